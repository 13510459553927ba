/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "talk-contact-list.h"
#include "talk-contact-row.h"
#include "talk-presence-button.h"

/*
 * The index, for one roster:
 *
 *   model (a GListModel of TalkContact, usually TalkRoster)
 *     │ "items-changed"
 *     ▼
 *   entries   one Entry per row, in the model's order: the shadow copy
 *             that tells a removal which contact left
 *   all       every entry, sorted (GSequence)
 *   groups    each a GListModel of the entries that match the search,
 *             sorted (a GSequence each; an entry keeps its iter in every
 *             group it is in)
 *
 * The list view shows either the one group of everybody (a flat list, when
 * no contact has a roster group) or a GtkTreeListModel whose roots are the
 * non-empty groups, each expanding into its contacts. A group exists while
 * some contact is in it.
 *
 * Order: online first, then by name, then by address. An entry keeps a
 * snapshot of what it is sorted, grouped and searched by, taken when it
 * was placed: the contact has already changed when the model says so,
 * so an entry leaves its old place by its iters, never by comparing with
 * keys that no longer hold. One contact's change (a presence, a push) is
 * then O(log n): out of each group by iter, into its new place, one row
 * announced each way, or nothing when it lands where it was (the row
 * follows the contact by itself).
 *
 * Large changes (a roster fetch, everyone going offline, a new search)
 * are applied without a word, then announced group by group: each group
 * is refilled from "all" in one pass, already in order, and announces
 * the rows between those that stayed at its start and end in one
 * "items-changed". Until its turn, a group answers from its old contents,
 * so that the list view, busy with another group's change, never reads a
 * change it was not told about. After a new search nobody moved: a group
 * then announces each run of rows that left or came, and the rows that
 * stay keep their widgets (GTK 4.8 would build every row of one large
 * change again).
 */

/* Beyond this many rows changed at once, refilling every group in one
 * pass is cheaper than moving the rows one by one. */
#define LARGE_CHANGE 32

typedef enum
{
  GROUP_KIND_ALL,
  GROUP_KIND_NAMED,
  GROUP_KIND_UNGROUPED,
} GroupKind;

/* Search and sort keys, kept on the contact and recomputed when its
 * display name changes; an entry holds on to the ones it was sorted by. */
typedef struct
{
  char *source;
  char *fold;
  char *collate;
  char *collate_accents;
} ContactKeys;

static GQuark contact_keys_quark;

#define TALK_TYPE_CONTACT_LIST_GROUP (talk_contact_list_group_get_type ())
G_DECLARE_FINAL_TYPE (TalkContactListGroup, talk_contact_list_group, TALK, CONTACT_LIST_GROUP, GObject)

typedef struct
{
  TalkContactListGroup *group;
  GSequenceIter        *iter;
} Membership;

typedef struct
{
  TalkContact   *contact;
  const char    *jid;
  /* The snapshot: what the entry is sorted, grouped and searched by */
  ContactKeys   *keys;
  char         **groups;
  gboolean       online;
  gboolean       matches;

  GSequenceIter *all_iter;
  /* Its place in "all" at the last refill, and which refill that was */
  guint          rank;
  guint          rank_stamp;
  /* Membership, one per group the entry is in */
  GArray        *members;
} Entry;

/* A group is the list of its contacts: a GListModel of TalkContact. */
struct _TalkContactListGroup
{
  GObject    parent_instance;

  GroupKind  kind;
  char      *name;
  char      *collate;
  /* Entry*, not owned, in order */
  GSequence *members;
  guint      n_online;
  gboolean   listed;

  /* The contents a refill is building, until announced */
  GSequence *next;
  guint      next_n_online;
};

enum {
  GROUP_PROP_0,
  GROUP_PROP_TITLE,
  GROUP_PROP_N_ONLINE,
  N_GROUP_PROPS
};

enum {
  GROUP_CHANGED,
  N_GROUP_SIGNALS
};

static GParamSpec *group_properties[N_GROUP_PROPS];
static guint group_signals[N_GROUP_SIGNALS];

struct _TalkContactList
{
  AdwBin                parent_instance;

  GListModel           *model;
  char                 *search_text;
  char                 *search_fold;

  /* Entry*, owned, in the model's order */
  GPtrArray            *entries;
  /* Entry*, sorted */
  GSequence            *all;
  guint                 n_matching;
  /* entries with a roster group: the list is grouped while there is one */
  guint                 n_grouped;
  guint                 refill_stamp;

  /* name → TalkContactListGroup, owned */
  GHashTable           *groups;
  TalkContactListGroup *ungrouped;
  TalkContactListGroup *everyone;
  /* the listed (non-empty) groups, in order */
  GListStore           *roots;
  gboolean              grouped;
  gboolean              at_top;
  GPtrArray            *spare_rows;
  GPtrArray            *spare_headers;

  /* Template widgets */
  GtkStack             *stack;
  GtkListView          *list_view;
};

G_DEFINE_FINAL_TYPE (TalkContactList, talk_contact_list, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_MODEL,
  PROP_SEARCH_TEXT,
  N_PROPS
};

enum {
  CONTACT_ACTIVATED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* Keys */

static gboolean
script_has_optional_accents (GUnicodeScript script)
{
  return script == G_UNICODE_SCRIPT_LATIN ||
         script == G_UNICODE_SCRIPT_GREEK ||
         script == G_UNICODE_SCRIPT_CYRILLIC;
}

/* Case-folded and compatibility-decomposed, without the accents of
 * Latin, Greek and Cyrillic letters: "Érin" → "erin", so that searching
 * "erin" finds her and she sorts among the e's in every locale. Marks of
 * other scripts carry meaning (Devanagari vowel signs) and stay. */
static char *
fold (const char *text)
{
  g_autofree char *folded = g_utf8_casefold (text, -1);
  g_autofree char *decomposed = g_utf8_normalize (folded, -1, G_NORMALIZE_NFKD);
  GString *out = g_string_new (NULL);
  GUnicodeScript base_script = G_UNICODE_SCRIPT_COMMON;

  for (const char *p = decomposed; p != NULL && *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_type (c) == G_UNICODE_NON_SPACING_MARK &&
          script_has_optional_accents (base_script))
        continue;
      if (!g_unichar_ismark (c))
        base_script = g_unichar_get_script (c);
      g_string_append_unichar (out, c);
    }

  return g_string_free (out, FALSE);
}

static void
contact_keys_clear (gpointer data)
{
  ContactKeys *keys = data;

  g_free (keys->source);
  g_free (keys->fold);
  g_free (keys->collate);
  g_free (keys->collate_accents);
}

static void
contact_keys_release (gpointer data)
{
  g_rc_box_release_full (data, contact_keys_clear);
}

static ContactKeys *
contact_get_keys (TalkContact *contact)
{
  ContactKeys *keys = g_object_get_qdata (G_OBJECT (contact), contact_keys_quark);
  const char *name = talk_contact_get_display_name (contact);
  g_autofree char *name_fold = NULL;
  g_autofree char *jid_fold = NULL;
  g_autofree char *name_cased = NULL;

  if (name == NULL)
    name = "";
  if (keys != NULL && strcmp (keys->source, name) == 0)
    return keys;

  name_fold = fold (name);
  jid_fold = fold (talk_contact_get_jid (contact));
  keys = g_rc_box_new0 (ContactKeys);
  keys->source = g_strdup (name);
  /* A query never holds a newline, so it cannot match across the two. */
  keys->fold = g_strconcat (name_fold, "\n", jid_fold, NULL);
  keys->collate = g_utf8_collate_key (name_fold, -1);
  name_cased = g_utf8_casefold (name, -1);
  keys->collate_accents = g_utf8_collate_key (name_cased, -1);
  g_object_set_qdata_full (G_OBJECT (contact), contact_keys_quark, keys, contact_keys_release);

  return keys;
}

/* Entries */

static int
compare_entries (gconstpointer a,
                 gconstpointer b,
                 gpointer      user_data)
{
  const Entry *entry_a = a;
  const Entry *entry_b = b;
  int result;

  if (entry_a->online != entry_b->online)
    return entry_a->online ? -1 : 1;

  /* By name, then accents ("Erin" before "Érin"), then address. */
  result = strcmp (entry_a->keys->collate, entry_b->keys->collate);
  if (result == 0)
    result = strcmp (entry_a->keys->collate_accents, entry_b->keys->collate_accents);
  if (result == 0)
    result = strcmp (entry_a->jid, entry_b->jid);

  return result;
}

static Entry *
entry_new (TalkContact *contact)
{
  Entry *entry = g_new0 (Entry, 1);

  entry->contact = g_object_ref (contact);
  entry->jid = talk_contact_get_jid (contact);
  entry->members = g_array_new (FALSE, FALSE, sizeof (Membership));

  return entry;
}

static void
entry_free (gpointer data)
{
  Entry *entry = data;

  g_object_unref (entry->contact);
  g_clear_pointer (&entry->keys, contact_keys_release);
  g_strfreev (entry->groups);
  g_array_unref (entry->members);
  g_free (entry);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Entry, entry_free)

static gboolean
entry_match (TalkContactList *self,
             Entry           *entry)
{
  return self->search_fold == NULL || strstr (entry->keys->fold, self->search_fold) != NULL;
}

static void
entry_set_matches (TalkContactList *self,
                   Entry           *entry,
                   gboolean         matches)
{
  if (entry->matches == matches)
    return;

  entry->matches = matches;
  if (matches)
    self->n_matching++;
  else
    self->n_matching--;
}

/* Takes a new snapshot of the contact. Returns: whether anything the
 * entry is sorted, grouped or searched by changed. */
static gboolean
entry_refresh (TalkContactList *self,
               Entry           *entry)
{
  ContactKeys *keys = contact_get_keys (entry->contact);
  const char * const *groups = talk_contact_get_groups (entry->contact);
  gboolean online = talk_presence_show_is_online (talk_contact_get_show (entry->contact));
  gboolean changed = FALSE;

  if (entry->keys != keys)
    {
      g_clear_pointer (&entry->keys, contact_keys_release);
      entry->keys = g_rc_box_acquire (keys);
      changed = TRUE;
    }

  if (entry->groups == NULL || !g_strv_equal ((const char * const *) entry->groups, groups))
    {
      if (entry->groups != NULL && entry->groups[0] != NULL)
        self->n_grouped--;
      if (groups[0] != NULL)
        self->n_grouped++;
      g_strfreev (entry->groups);
      entry->groups = g_strdupv ((char **) groups);
      changed = TRUE;
    }

  if (entry->online != online)
    {
      entry->online = online;
      changed = TRUE;
    }

  if (entry->matches != entry_match (self, entry))
    {
      entry_set_matches (self, entry, !entry->matches);
      changed = TRUE;
    }

  return changed;
}

/* Takes the entry out of the counts, when it leaves. */
static void
entry_forget (TalkContactList *self,
              Entry           *entry)
{
  entry_set_matches (self, entry, FALSE);
  if (entry->groups != NULL && entry->groups[0] != NULL)
    self->n_grouped--;
  g_clear_pointer (&entry->groups, g_strfreev);
  if (entry->all_iter != NULL)
    g_sequence_remove (g_steal_pointer (&entry->all_iter));
}

/* Groups */

static GType
group_get_item_type (GListModel *list)
{
  return TALK_TYPE_CONTACT;
}

static guint
group_get_n_items (GListModel *list)
{
  return g_sequence_get_length (TALK_CONTACT_LIST_GROUP (list)->members);
}

static gpointer
group_get_item (GListModel *list,
                guint       position)
{
  TalkContactListGroup *self = TALK_CONTACT_LIST_GROUP (list);
  GSequenceIter *iter = g_sequence_get_iter_at_pos (self->members, position);
  Entry *entry;

  if (g_sequence_iter_is_end (iter))
    return NULL;

  entry = g_sequence_get (iter);
  return g_object_ref (entry->contact);
}

static void
group_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = group_get_item_type;
  iface->get_n_items = group_get_n_items;
  iface->get_item = group_get_item;
}

G_DEFINE_FINAL_TYPE_WITH_CODE (TalkContactListGroup, talk_contact_list_group, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, group_list_model_init))

static const char *
group_get_title (TalkContactListGroup *group)
{
  if (group->kind == GROUP_KIND_NAMED)
    return group->name;

  /* Translators: the group of contacts that are in no roster group */
  return _("Contacts");
}

static void
talk_contact_list_group_finalize (GObject *object)
{
  TalkContactListGroup *self = TALK_CONTACT_LIST_GROUP (object);

  g_sequence_free (self->members);
  g_clear_pointer (&self->next, g_sequence_free);
  g_free (self->name);
  g_free (self->collate);

  G_OBJECT_CLASS (talk_contact_list_group_parent_class)->finalize (object);
}

static void
talk_contact_list_group_get_property (GObject    *object,
                                      guint       prop_id,
                                      GValue     *value,
                                      GParamSpec *pspec)
{
  TalkContactListGroup *self = TALK_CONTACT_LIST_GROUP (object);

  switch (prop_id)
    {
    case GROUP_PROP_TITLE:
      g_value_set_string (value, group_get_title (self));
      break;
    case GROUP_PROP_N_ONLINE:
      g_value_set_uint (value, self->n_online);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
talk_contact_list_group_class_init (TalkContactListGroupClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = talk_contact_list_group_finalize;
  object_class->get_property = talk_contact_list_group_get_property;

  /* Read by the header rows, and by the tests. */
  group_properties[GROUP_PROP_TITLE] =
    g_param_spec_string ("title", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  group_properties[GROUP_PROP_N_ONLINE] =
    g_param_spec_uint ("n-online", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_GROUP_PROPS, group_properties);

  /* The count of contacts or of those online changed. */
  group_signals[GROUP_CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
talk_contact_list_group_init (TalkContactListGroup *self)
{
  self->members = g_sequence_new (NULL);
}

static TalkContactListGroup *
talk_contact_list_group_new (GroupKind   kind,
                             const char *name)
{
  TalkContactListGroup *self = g_object_new (TALK_TYPE_CONTACT_LIST_GROUP, NULL);
  g_autofree char *name_fold = fold (name != NULL ? name : "");

  self->kind = kind;
  self->name = g_strdup (name);
  self->collate = g_utf8_collate_key (name_fold, -1);

  return self;
}

/* Tells the header what changed since @n_items and @n_online. */
static void
group_counts_changed (TalkContactListGroup *self,
                      guint                 n_items,
                      guint                 n_online)
{
  if (self->n_online != n_online)
    g_object_notify_by_pspec (G_OBJECT (self), group_properties[GROUP_PROP_N_ONLINE]);
  if (self->n_online != n_online || g_sequence_get_length (self->members) != n_items)
    g_signal_emit (self, group_signals[GROUP_CHANGED], 0);
}

/* Named groups by name, then the contacts without a group. */
static int
compare_groups (gconstpointer a,
                gconstpointer b,
                gpointer      user_data)
{
  const TalkContactListGroup *group_a = a;
  const TalkContactListGroup *group_b = b;
  int result;

  if (group_a->kind != group_b->kind)
    return group_a->kind == GROUP_KIND_UNGROUPED ? 1 : -1;

  result = strcmp (group_a->collate, group_b->collate);
  if (result == 0)
    result = g_strcmp0 (group_a->name, group_b->name);

  return result;
}

/* Group header rows */

static void
header_update (GtkTreeExpander      *expander,
               TalkContactListGroup *group)
{
  GtkWidget *box = gtk_tree_expander_get_child (expander);
  GtkWidget *title = gtk_widget_get_first_child (box);
  GtkWidget *count = gtk_widget_get_next_sibling (title);
  guint n_items = g_list_model_get_n_items (G_LIST_MODEL (group));
  g_autofree char *count_text = NULL;
  g_autofree char *accessible = NULL;

  gtk_label_set_text (GTK_LABEL (title), group_get_title (group));
  /* Translators: online and total contacts of a group: "3/10" */
  count_text = g_strdup_printf (C_("group count", "%u/%u"), group->n_online, n_items);
  gtk_label_set_text (GTK_LABEL (count), count_text);

  accessible = g_strdup_printf (ngettext ("Group %s, %u contact", "Group %s, %u contacts", n_items),
                                group_get_title (group), n_items);
  /* Headers are rebound often: only a real change reaches the bus. */
  if (g_strcmp0 (accessible, g_object_get_data (G_OBJECT (expander), "talk-accessible")) != 0)
    {
      gtk_accessible_update_property (GTK_ACCESSIBLE (expander),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, accessible,
                                      -1);
      g_object_set_data_full (G_OBJECT (expander), "talk-accessible",
                              g_steal_pointer (&accessible), g_free);
    }
}

static GtkWidget *
header_new (void)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *title = gtk_label_new (NULL);
  GtkWidget *count = gtk_label_new (NULL);
  GtkWidget *expander = gtk_tree_expander_new ();

  gtk_label_set_xalign (GTK_LABEL (title), 0.);
  gtk_label_set_ellipsize (GTK_LABEL (title), PANGO_ELLIPSIZE_END);
  gtk_label_set_single_line_mode (GTK_LABEL (title), TRUE);
  gtk_widget_set_hexpand (title, TRUE);
  gtk_widget_add_css_class (title, "heading");
  gtk_box_append (GTK_BOX (box), title);

  gtk_widget_add_css_class (count, "caption");
  gtk_widget_add_css_class (count, "dim-label");
  gtk_widget_add_css_class (count, "numeric");
  gtk_box_append (GTK_BOX (box), count);

  gtk_widget_add_css_class (expander, "group-header");
  gtk_tree_expander_set_child (GTK_TREE_EXPANDER (expander), box);

  return expander;
}

/* The list factory: one kind of widget per kind of item, swapped when a
 * recycled list item changes kind. */

/* GTK 4.8 makes a new list item for every row that changes, so rows are
 * kept for reuse: building one from its template is most of the cost of
 * a change on screen. */
#define MAX_SPARE_ROWS 100

static GtkWidget *
take_spare (GPtrArray *spares)
{
  if (spares->len == 0)
    return NULL;

  return g_ptr_array_steal_index_fast (spares, spares->len - 1);
}

static void
factory_teardown_cb (GtkSignalListItemFactory *factory,
                     GtkListItem              *list_item,
                     TalkContactList          *self)
{
  GtkWidget *child = gtk_list_item_get_child (list_item);
  GPtrArray *spares = TALK_IS_CONTACT_ROW (child) ? self->spare_rows : self->spare_headers;

  /* Rows keep their contact from one bind to the next (see unbind). */
  if (TALK_IS_CONTACT_ROW (child))
    talk_contact_row_set_item (TALK_CONTACT_ROW (child), NULL);
  if (GTK_IS_TREE_EXPANDER (child))
    gtk_tree_expander_set_list_row (GTK_TREE_EXPANDER (child), NULL);
  if (child == NULL || spares == NULL || spares->len >= MAX_SPARE_ROWS)
    return;

  g_ptr_array_add (spares, g_object_ref (child));
  gtk_list_item_set_child (list_item, NULL);
}

static void
factory_bind_cb (GtkSignalListItemFactory *factory,
                 GtkListItem              *list_item,
                 TalkContactList          *self)
{
  gpointer item = gtk_list_item_get_item (list_item);
  GtkWidget *child = gtk_list_item_get_child (list_item);
  g_autoptr(GObject) inner = NULL;

  if (GTK_IS_TREE_LIST_ROW (item))
    inner = gtk_tree_list_row_get_item (item);
  else
    inner = g_object_ref (item);

  if (TALK_IS_CONTACT_LIST_GROUP (inner))
    {
      if (!GTK_IS_TREE_EXPANDER (child))
        {
          g_autoptr(GtkWidget) spare = take_spare (self->spare_headers);

          child = spare != NULL ? spare : header_new ();
          gtk_list_item_set_child (list_item, child);
        }
      /* Setting the same row again would re-announce its state over D-Bus. */
      if (gtk_tree_expander_get_list_row (GTK_TREE_EXPANDER (child)) != item)
        gtk_tree_expander_set_list_row (GTK_TREE_EXPANDER (child), item);
      header_update (GTK_TREE_EXPANDER (child), TALK_CONTACT_LIST_GROUP (inner));
      g_signal_connect_object (inner, "changed", G_CALLBACK (header_update), child,
                               G_CONNECT_SWAPPED);
    }
  else
    {
      if (!TALK_IS_CONTACT_ROW (child))
        {
          g_autoptr(GtkWidget) spare = take_spare (self->spare_rows);

          child = spare != NULL ? spare : talk_contact_row_new ();
          gtk_list_item_set_child (list_item, child);
        }
      talk_contact_row_set_item (TALK_CONTACT_ROW (child), TALK_CONTACT (inner));
    }
}

static void
factory_unbind_cb (GtkSignalListItemFactory *factory,
                   GtkListItem              *list_item,
                   TalkContactList          *self)
{
  GtkWidget *child = gtk_list_item_get_child (list_item);

  /* A contact row keeps its contact until the next bind or the teardown:
   * GTK 4.8 unbinds and binds again every row whose position changes, so a
   * contact coming online near the top would otherwise rebuild every row
   * below it, when most are bound to the same contact again. */
  if (GTK_IS_TREE_EXPANDER (child))
    {
      GtkTreeListRow *row = gtk_tree_expander_get_list_row (GTK_TREE_EXPANDER (child));
      g_autoptr(GObject) group = row != NULL ? gtk_tree_list_row_get_item (row) : NULL;

      /* The row stays until the next bind or the teardown (see bind). */
      if (group != NULL)
        g_signal_handlers_disconnect_by_func (group, header_update, child);
    }
}

/* The index: which groups there are */

/* Empties a group that leaves the list, for whoever still holds it: its
 * entries may be freed after. */
static void
group_drop (gpointer data)
{
  TalkContactListGroup *group = data;
  guint n_items = g_sequence_get_length (group->members);

  if (n_items > 0)
    {
      g_sequence_remove_range (g_sequence_get_begin_iter (group->members),
                               g_sequence_get_end_iter (group->members));
      group->n_online = 0;
      g_list_model_items_changed (G_LIST_MODEL (group), 0, n_items, 0);
    }
  g_object_unref (group);
}

static TalkContactListGroup *
ensure_group (TalkContactList *self,
              GroupKind        kind,
              const char      *name)
{
  TalkContactListGroup *group;

  switch (kind)
    {
    case GROUP_KIND_ALL:
      return self->everyone;

    case GROUP_KIND_UNGROUPED:
      if (self->ungrouped == NULL)
        self->ungrouped = talk_contact_list_group_new (GROUP_KIND_UNGROUPED, NULL);
      return self->ungrouped;

    case GROUP_KIND_NAMED:
    default:
      group = g_hash_table_lookup (self->groups, name);
      if (group == NULL)
        {
          group = talk_contact_list_group_new (GROUP_KIND_NAMED, name);
          g_hash_table_insert (self->groups, g_strdup (name), group);
        }
      return group;
    }
}

/* Fills @groups with the groups @entry belongs in by its snapshot, made
 * when missing. */
static void
entry_collect_groups (TalkContactList *self,
                      Entry           *entry,
                      GPtrArray       *groups)
{
  g_ptr_array_set_size (groups, 0);

  if (!entry->matches)
    return;

  if (!self->grouped)
    {
      g_ptr_array_add (groups, ensure_group (self, GROUP_KIND_ALL, NULL));
      return;
    }

  for (guint i = 0; entry->groups[i] != NULL; i++)
    {
      TalkContactListGroup *group;

      /* The roster module hands them unique and non-empty; other models
       * might not. */
      if (*entry->groups[i] == '\0')
        continue;
      group = ensure_group (self, GROUP_KIND_NAMED, entry->groups[i]);
      if (!g_ptr_array_find (groups, group, NULL))
        g_ptr_array_add (groups, group);
    }
  if (groups->len == 0)
    g_ptr_array_add (groups, ensure_group (self, GROUP_KIND_UNGROUPED, NULL));
}

/* Lists a group while it has contacts; forgets it once it has none. */
static void
group_update_listed (TalkContactList      *self,
                     TalkContactListGroup *group)
{
  guint position;

  if (group->kind == GROUP_KIND_ALL)
    return;

  if (g_sequence_get_length (group->members) > 0)
    {
      if (!group->listed)
        {
          group->listed = TRUE;
          g_list_store_insert_sorted (self->roots, group, compare_groups, NULL);
        }
      return;
    }

  if (group->listed && g_list_store_find (self->roots, group, &position))
    g_list_store_remove (self->roots, position);
  group->listed = FALSE;

  if (group == self->ungrouped)
    g_clear_pointer (&self->ungrouped, group_drop);
  else if (g_hash_table_lookup (self->groups, group->name) == group)
    g_hash_table_remove (self->groups, group->name);
}

/* Every group of the current mode, referenced. */
static GPtrArray *
dup_groups (TalkContactList *self)
{
  GPtrArray *groups = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  gpointer group;

  if (self->everyone != NULL)
    g_ptr_array_add (groups, g_object_ref (self->everyone));
  if (self->ungrouped != NULL)
    g_ptr_array_add (groups, g_object_ref (self->ungrouped));
  g_hash_table_iter_init (&iter, self->groups);
  while (g_hash_table_iter_next (&iter, NULL, &group))
    g_ptr_array_add (groups, g_object_ref (group));

  return groups;
}

static void
clear_groups (TalkContactList *self)
{
  /* The list view lets go of the rows first. */
  g_list_store_remove_all (self->roots);
  g_hash_table_remove_all (self->groups);
  g_clear_pointer (&self->ungrouped, group_drop);
  g_clear_pointer (&self->everyone, group_drop);

  for (guint i = 0; i < self->entries->len; i++)
    g_array_set_size (((Entry *) g_ptr_array_index (self->entries, i))->members, 0);
}

/* The index: one entry at a time */

static void
group_insert (TalkContactListGroup *group,
              Entry                *entry,
              GSequenceIter        *iter)
{
  Membership member = { group, iter };

  g_array_append_val (entry->members, member);
  if (entry->online)
    group->n_online++;
}

/* Takes @entry out of the place @iter of @group, where it was put when
 * its online flag was @was_online; puts it back at its new place when it
 * @stays. One row is announced each way, none when the place is the same. */
static void
group_move (TalkContactListGroup *group,
            GSequenceIter        *iter,
            Entry                *entry,
            gboolean              was_online,
            gboolean              stays)
{
  guint n_items = g_sequence_get_length (group->members);
  guint n_online = group->n_online;
  guint old_position = g_sequence_iter_get_position (iter);

  g_sequence_remove (iter);
  if (was_online)
    group->n_online--;

  if (stays)
    {
      GSequenceIter *dest = g_sequence_search (group->members, entry, compare_entries, NULL);

      if (g_sequence_iter_get_position (dest) == old_position)
        {
          group_insert (group, entry, g_sequence_insert_before (dest, entry));
          group_counts_changed (group, n_items, n_online);
          return;
        }
    }

  g_list_model_items_changed (G_LIST_MODEL (group), old_position, 1, 0);
  if (stays)
    {
      iter = g_sequence_insert_sorted (group->members, entry, compare_entries, NULL);
      group_insert (group, entry, iter);
      g_list_model_items_changed (G_LIST_MODEL (group), g_sequence_iter_get_position (iter), 0, 1);
    }
  group_counts_changed (group, n_items, n_online);
}

static void
group_add (TalkContactListGroup *group,
           Entry                *entry)
{
  guint n_items = g_sequence_get_length (group->members);
  guint n_online = group->n_online;
  GSequenceIter *iter = g_sequence_insert_sorted (group->members, entry, compare_entries, NULL);

  group_insert (group, entry, iter);
  g_list_model_items_changed (G_LIST_MODEL (group), g_sequence_iter_get_position (iter), 0, 1);
  group_counts_changed (group, n_items, n_online);
}

/* Brings @entry's groups in line with its new snapshot; @was_online is
 * the online flag it was placed with. */
static void
entry_move (TalkContactList *self,
            Entry           *entry,
            gboolean         was_online)
{
  g_autoptr(GArray) old_members = g_steal_pointer (&entry->members);
  g_autoptr(GPtrArray) targets = g_ptr_array_new ();
  g_autoptr(GPtrArray) touched = g_ptr_array_new_with_free_func (g_object_unref);

  entry->members = g_array_new (FALSE, FALSE, sizeof (Membership));
  entry_collect_groups (self, entry, targets);

  for (guint i = 0; i < old_members->len; i++)
    {
      Membership *member = &g_array_index (old_members, Membership, i);
      guint index;
      gboolean stays = g_ptr_array_find (targets, member->group, &index);

      if (stays)
        g_ptr_array_remove_index_fast (targets, index);
      g_ptr_array_add (touched, g_object_ref (member->group));
      group_move (member->group, member->iter, entry, was_online, stays);
    }

  for (guint i = 0; i < targets->len; i++)
    {
      g_ptr_array_add (touched, g_object_ref (g_ptr_array_index (targets, i)));
      group_add (g_ptr_array_index (targets, i), entry);
    }

  for (guint i = 0; i < touched->len; i++)
    group_update_listed (self, g_ptr_array_index (touched, i));
}

/* Puts @entry at its place in "all", after a change of its snapshot. */
static void
entry_sort (TalkContactList *self,
            Entry           *entry)
{
  if (entry->all_iter != NULL)
    g_sequence_sort_changed (entry->all_iter, compare_entries, NULL);
  else
    entry->all_iter = g_sequence_insert_sorted (self->all, entry, compare_entries, NULL);
}

/* The index: everything at once */

/* Makes @group's refilled contents current in one "items-changed" over
 * the rows between those that stayed at the start and at the end. */
static void
group_announce_block (TalkContactListGroup *group)
{
  g_autoptr(GSequence) old = group->members;
  guint n_old = g_sequence_get_length (old);
  guint n_new;
  guint n_same;
  guint n_prefix = 0;
  guint n_suffix = 0;
  GSequenceIter *a = g_sequence_get_begin_iter (old);
  GSequenceIter *b;

  group->members = g_steal_pointer (&group->next);
  n_new = g_sequence_get_length (group->members);
  n_same = MIN (n_old, n_new);

  b = g_sequence_get_begin_iter (group->members);
  while (n_prefix < n_same && g_sequence_get (a) == g_sequence_get (b))
    {
      n_prefix++;
      a = g_sequence_iter_next (a);
      b = g_sequence_iter_next (b);
    }
  a = g_sequence_get_end_iter (old);
  b = g_sequence_get_end_iter (group->members);
  while (n_prefix + n_suffix < n_same)
    {
      a = g_sequence_iter_prev (a);
      b = g_sequence_iter_prev (b);
      if (g_sequence_get (a) != g_sequence_get (b))
        break;
      n_suffix++;
    }

  if (n_prefix + n_suffix < n_old || n_prefix + n_suffix < n_new)
    g_list_model_items_changed (G_LIST_MODEL (group), n_prefix,
                                n_old - n_prefix - n_suffix, n_new - n_prefix - n_suffix);
}

/* Whether the contents of @group are in the order of the refill @stamp:
 * so they are after a new search, when nobody moved. */
static gboolean
group_in_rank_order (TalkContactListGroup *group,
                     guint                 stamp)
{
  Entry *previous = NULL;

  for (GSequenceIter *iter = g_sequence_get_begin_iter (group->members);
       !g_sequence_iter_is_end (iter);
       iter = g_sequence_iter_next (iter))
    {
      Entry *entry = g_sequence_get (iter);

      if (entry->rank_stamp != stamp || (previous != NULL && entry->rank <= previous->rank))
        return FALSE;
      previous = entry;
    }

  return TRUE;
}

/* Points @entry's membership of @group at @iter. */
static void
entry_set_member_iter (Entry                *entry,
                       TalkContactListGroup *group,
                       GSequenceIter        *iter)
{
  for (guint i = 0; i < entry->members->len; i++)
    {
      Membership *member = &g_array_index (entry->members, Membership, i);

      if (member->group == group)
        {
          member->iter = iter;
          return;
        }
    }
  g_assert_not_reached ();
}

/* Makes @group's refilled contents current run by run, in rank order:
 * the rows that stay keep their place in the list view, and their
 * widgets (a search that narrows, then widens, shows the same rows). */
static void
group_announce_runs (TalkContactListGroup *group)
{
  g_autoptr(GSequence) next = g_steal_pointer (&group->next);
  GSequenceIter *a = g_sequence_get_begin_iter (group->members);
  GSequenceIter *b = g_sequence_get_begin_iter (next);
  guint position = 0;

  for (;;)
    {
      guint removed = 0;
      guint added = 0;

      while (!g_sequence_iter_is_end (a) && !g_sequence_iter_is_end (b) &&
             g_sequence_get (a) == g_sequence_get (b))
        {
          entry_set_member_iter (g_sequence_get (b), group, a);
          a = g_sequence_iter_next (a);
          b = g_sequence_iter_next (b);
          position++;
        }
      if (g_sequence_iter_is_end (a) && g_sequence_iter_is_end (b))
        return;

      /* Up to the next row both hold: out what only the old contents
       * hold, in what only the new ones do. */
      while (!(g_sequence_iter_is_end (a) && g_sequence_iter_is_end (b)) &&
             (g_sequence_iter_is_end (a) || g_sequence_iter_is_end (b) ||
              g_sequence_get (a) != g_sequence_get (b)))
        {
          Entry *old_entry = g_sequence_iter_is_end (a) ? NULL : g_sequence_get (a);
          Entry *new_entry = g_sequence_iter_is_end (b) ? NULL : g_sequence_get (b);

          if (old_entry != NULL && (new_entry == NULL || old_entry->rank < new_entry->rank))
            {
              GSequenceIter *gone = a;

              a = g_sequence_iter_next (a);
              g_sequence_remove (gone);
              removed++;
            }
          else
            {
              entry_set_member_iter (new_entry, group, g_sequence_insert_before (a, new_entry));
              b = g_sequence_iter_next (b);
              added++;
            }
        }

      g_list_model_items_changed (G_LIST_MODEL (group), position, removed, added);
      position += added;
    }
}

/* Makes @group's refilled contents current and announces them. */
static void
group_announce_next (TalkContactListGroup *group,
                     guint                 stamp)
{
  guint n_items = g_sequence_get_length (group->members);
  guint n_online = group->n_online;

  if (group->next == NULL)
    group->next = g_sequence_new (NULL);
  group->n_online = group->next_n_online;
  group->next_n_online = 0;

  if (group_in_rank_order (group, stamp))
    group_announce_runs (group);
  else
    group_announce_block (group);
  group_counts_changed (group, n_items, n_online);
}

/* Refills every group from "all", in order, in one pass; then each group
 * announces its change. The groups read the entries' snapshots: take
 * them first. */
static void
refill (TalkContactList *self)
{
  g_autoptr(GPtrArray) targets = g_ptr_array_new ();
  g_autoptr(GPtrArray) groups = NULL;
  guint rank = 0;

  self->refill_stamp++;
  for (GSequenceIter *iter = g_sequence_get_begin_iter (self->all);
       !g_sequence_iter_is_end (iter);
       iter = g_sequence_iter_next (iter))
    {
      Entry *entry = g_sequence_get (iter);

      entry->rank = rank++;
      entry->rank_stamp = self->refill_stamp;
      g_array_set_size (entry->members, 0);
      entry_collect_groups (self, entry, targets);
      for (guint i = 0; i < targets->len; i++)
        {
          TalkContactListGroup *group = g_ptr_array_index (targets, i);
          Membership member = { group, NULL };

          if (group->next == NULL)
            group->next = g_sequence_new (NULL);
          member.iter = g_sequence_append (group->next, entry);
          g_array_append_val (entry->members, member);
          if (entry->online)
            group->next_n_online++;
        }
    }

  groups = dup_groups (self);
  for (guint i = 0; i < groups->len; i++)
    group_announce_next (g_ptr_array_index (groups, i), self->refill_stamp);
  for (guint i = 0; i < groups->len; i++)
    group_update_listed (self, g_ptr_array_index (groups, i));
}

/* The list's model */

static GListModel *
create_group_model (gpointer item,
                    gpointer user_data)
{
  if (TALK_IS_CONTACT_LIST_GROUP (item))
    return g_object_ref (G_LIST_MODEL (item));

  return NULL;
}

static void
update_page (TalkContactList *self)
{
  const char *page = "list";

  if (self->entries->len == 0)
    page = "empty";
  else if (self->n_matching == 0)
    page = "no-results";

  gtk_stack_set_visible_child_name (self->stack, page);
}

static void
vadjustment_changed_cb (TalkContactList *self,
                        GtkAdjustment   *adjustment)
{
  self->at_top = gtk_adjustment_get_value (adjustment) <= 0.;
}

/* GtkListView keeps the first row shown in place when rows are inserted
 * above it; at the top of the list, a contact coming online or a new group
 * would then be hidden above the view. There, stay at the top. */
static void
list_items_changed_cb (TalkContactList *self,
                       guint            position,
                       guint            removed,
                       guint            added)
{
  if (self->at_top && position == 0 && added > 0)
    gtk_widget_activate_action (GTK_WIDGET (self->list_view), "list.scroll-to-item", "u", 0);
}

/* Starts over with the groups of one mode: the flat list of everybody, or
 * a tree of groups. */
static void
set_grouped (TalkContactList *self,
             gboolean         grouped)
{
  g_autoptr(GtkNoSelection) selection = NULL;
  GListModel *list_model;

  /* The old rows go first, or they would follow every step below. */
  gtk_list_view_set_model (self->list_view, NULL);
  clear_groups (self);
  self->grouped = grouped;
  if (!grouped)
    self->everyone = talk_contact_list_group_new (GROUP_KIND_ALL, NULL);
  /* Filled before the list view sees them: nothing to announce. */
  refill (self);

  if (grouped)
    list_model = G_LIST_MODEL (gtk_tree_list_model_new (g_object_ref (G_LIST_MODEL (self->roots)),
                                                        FALSE, TRUE,
                                                        create_group_model, NULL, NULL));
  else
    list_model = g_object_ref (G_LIST_MODEL (self->everyone));

  selection = gtk_no_selection_new (list_model);
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (selection));
  /* After the list view's own handler. */
  g_signal_connect_object (selection, "items-changed", G_CALLBACK (list_items_changed_cb),
                           self, G_CONNECT_SWAPPED);
}

static void
model_items_changed_cb (TalkContactList *self,
                        guint            position,
                        guint            removed,
                        guint            added)
{
  gboolean large = removed + added > LARGE_CHANGE;
  /* Entries that left, freed once no group can hand them out */
  g_autoptr(GPtrArray) gone = g_ptr_array_new_with_free_func (entry_free);
  g_autoptr(GHashTable) left = g_hash_table_new (NULL, NULL);
  GHashTableIter iter;
  Entry *entry;

  g_return_if_fail (position + removed <= self->entries->len);

  /* The roster keeps the contact of a row that changes, and of a JID that
   * a fetch lists again: its entry stays too. */
  for (guint i = 0; i < removed; i++)
    {
      entry = g_ptr_array_index (self->entries, position + i);
      g_hash_table_insert (left, entry->contact, entry);
    }
  g_ptr_array_remove_range (self->entries, position, removed);

  for (guint i = 0; i < added; i++)
    {
      g_autoptr(TalkContact) contact = g_list_model_get_item (self->model, position + i);
      gboolean was_online;

      if (!g_hash_table_steal_extended (left, contact, NULL, (gpointer *) &entry))
        entry = entry_new (contact);
      g_ptr_array_insert (self->entries, position + i, entry);

      was_online = entry->online;
      if (!entry_refresh (self, entry))
        continue;
      entry_sort (self, entry);
      if (!large)
        entry_move (self, entry, was_online);
    }

  g_hash_table_iter_init (&iter, left);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &entry))
    {
      if (!large)
        {
          entry_set_matches (self, entry, FALSE);
          entry_move (self, entry, entry->online);
        }
      entry_forget (self, entry);
      g_ptr_array_add (gone, entry);
    }

  if ((self->n_grouped > 0) != self->grouped)
    set_grouped (self, !self->grouped);
  else if (large)
    refill (self);

  update_page (self);
}

static void
clear_entries (TalkContactList *self)
{
  for (guint i = 0; i < self->entries->len; i++)
    entry_free (g_ptr_array_index (self->entries, i));
  g_ptr_array_set_size (self->entries, 0);
  g_sequence_remove_range (g_sequence_get_begin_iter (self->all),
                           g_sequence_get_end_iter (self->all));
  self->n_matching = 0;
  self->n_grouped = 0;
}

static void
list_view_activate_cb (TalkContactList *self,
                       guint            position)
{
  GListModel *model = G_LIST_MODEL (gtk_list_view_get_model (self->list_view));
  g_autoptr(GObject) item = g_list_model_get_item (model, position);
  g_autoptr(GObject) inner = NULL;

  if (item == NULL)
    return;

  if (GTK_IS_TREE_LIST_ROW (item))
    inner = gtk_tree_list_row_get_item (GTK_TREE_LIST_ROW (item));
  else
    inner = g_object_ref (item);

  if (TALK_IS_CONTACT_LIST_GROUP (inner))
    gtk_tree_list_row_set_expanded (GTK_TREE_LIST_ROW (item),
                                    !gtk_tree_list_row_get_expanded (GTK_TREE_LIST_ROW (item)));
  else if (TALK_IS_CONTACT (inner))
    g_signal_emit (self, signals[CONTACT_ACTIVATED], 0, inner);
}

static void
talk_contact_list_dispose (GObject *object)
{
  TalkContactList *self = TALK_CONTACT_LIST (object);

  talk_contact_list_set_model (self, NULL);
  if (self->roots != NULL)
    clear_groups (self);
  /* The template's top widget is the bin's child: unset it first, or the
   * bin would unparent it again after the template did. */
  adw_bin_set_child (ADW_BIN (object), NULL);
  gtk_widget_dispose_template (GTK_WIDGET (object), TALK_TYPE_CONTACT_LIST);
  g_clear_pointer (&self->spare_rows, g_ptr_array_unref);
  g_clear_pointer (&self->spare_headers, g_ptr_array_unref);
  g_clear_pointer (&self->groups, g_hash_table_unref);
  g_clear_object (&self->roots);

  G_OBJECT_CLASS (talk_contact_list_parent_class)->dispose (object);
}

static void
talk_contact_list_finalize (GObject *object)
{
  TalkContactList *self = TALK_CONTACT_LIST (object);

  g_ptr_array_unref (self->entries);
  g_sequence_free (self->all);
  g_free (self->search_text);
  g_free (self->search_fold);

  G_OBJECT_CLASS (talk_contact_list_parent_class)->finalize (object);
}

static void
talk_contact_list_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  TalkContactList *self = TALK_CONTACT_LIST (object);

  switch (prop_id)
    {
    case PROP_MODEL:
      g_value_set_object (value, self->model);
      break;
    case PROP_SEARCH_TEXT:
      g_value_set_string (value, self->search_text);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
talk_contact_list_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  TalkContactList *self = TALK_CONTACT_LIST (object);

  switch (prop_id)
    {
    case PROP_MODEL:
      talk_contact_list_set_model (self, g_value_get_object (value));
      break;
    case PROP_SEARCH_TEXT:
      talk_contact_list_set_search_text (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
talk_contact_list_class_init (TalkContactListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = talk_contact_list_dispose;
  object_class->finalize = talk_contact_list_finalize;
  object_class->get_property = talk_contact_list_get_property;
  object_class->set_property = talk_contact_list_set_property;

  properties[PROP_MODEL] =
    g_param_spec_object ("model", NULL, NULL, G_TYPE_LIST_MODEL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SEARCH_TEXT] =
    g_param_spec_string ("search-text", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[CONTACT_ACTIVATED] =
    g_signal_new ("contact-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, TALK_TYPE_CONTACT);

  contact_keys_quark = g_quark_from_static_string ("talk-contact-list-keys");

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/com/example/Talk/ui/talk-contact-list.ui");
  gtk_widget_class_bind_template_child (widget_class, TalkContactList, stack);
  gtk_widget_class_bind_template_child (widget_class, TalkContactList, list_view);
  gtk_widget_class_bind_template_callback (widget_class, factory_bind_cb);
  gtk_widget_class_bind_template_callback (widget_class, factory_unbind_cb);
  gtk_widget_class_bind_template_callback (widget_class, factory_teardown_cb);
  gtk_widget_class_bind_template_callback (widget_class, list_view_activate_cb);
}

static void
talk_contact_list_init (TalkContactList *self)
{
  self->spare_rows = g_ptr_array_new_with_free_func (g_object_unref);
  self->spare_headers = g_ptr_array_new_with_free_func (g_object_unref);

  gtk_widget_init_template (GTK_WIDGET (self));

  /* Entries are freed by hand: a change takes them out of the array
   * before it is done with them. */
  self->entries = g_ptr_array_new ();
  self->all = g_sequence_new (NULL);
  self->groups = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, group_drop);
  self->roots = g_list_store_new (TALK_TYPE_CONTACT_LIST_GROUP);
  self->at_top = TRUE;
  g_signal_connect_object (gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (self->list_view)),
                           "value-changed", G_CALLBACK (vadjustment_changed_cb),
                           self, G_CONNECT_SWAPPED);

  update_page (self);
}

GtkWidget *
talk_contact_list_new (void)
{
  return g_object_new (TALK_TYPE_CONTACT_LIST, NULL);
}

GListModel *
talk_contact_list_get_model (TalkContactList *self)
{
  g_return_val_if_fail (TALK_IS_CONTACT_LIST (self), NULL);

  return self->model;
}

void
talk_contact_list_set_model (TalkContactList *self,
                             GListModel      *model)
{
  g_return_if_fail (TALK_IS_CONTACT_LIST (self));
  g_return_if_fail (model == NULL || G_IS_LIST_MODEL (model));

  if (self->model == model)
    return;

  if (self->model != NULL)
    g_signal_handlers_disconnect_by_func (self->model, model_items_changed_cb, self);
  /* The groups hand out entries: they go first, and the rows before them. */
  if (self->list_view != NULL)
    gtk_list_view_set_model (self->list_view, NULL);
  clear_groups (self);
  clear_entries (self);
  g_set_object (&self->model, model);

  if (model != NULL)
    {
      guint n_items = g_list_model_get_n_items (model);

      for (guint i = 0; i < n_items; i++)
        {
          g_autoptr(TalkContact) contact = g_list_model_get_item (model, i);
          Entry *entry = entry_new (contact);

          g_ptr_array_add (self->entries, entry);
          entry_refresh (self, entry);
          entry_sort (self, entry);
        }
      g_signal_connect_swapped (model, "items-changed", G_CALLBACK (model_items_changed_cb), self);
    }

  if (self->list_view != NULL)
    {
      set_grouped (self, self->n_grouped > 0);
      update_page (self);
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODEL]);
}

const char *
talk_contact_list_get_search_text (TalkContactList *self)
{
  g_return_val_if_fail (TALK_IS_CONTACT_LIST (self), NULL);

  return self->search_text;
}

void
talk_contact_list_set_search_text (TalkContactList *self,
                                   const char      *text)
{
  g_autofree char *new_fold = NULL;

  g_return_if_fail (TALK_IS_CONTACT_LIST (self));

  if (g_strcmp0 (self->search_text, text) == 0)
    return;

  g_free (self->search_text);
  self->search_text = g_strdup (text);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SEARCH_TEXT]);

  if (text != NULL)
    new_fold = g_strstrip (fold (text));
  if (new_fold != NULL && *new_fold == '\0')
    g_clear_pointer (&new_fold, g_free);
  if (g_strcmp0 (new_fold, self->search_fold) == 0)
    return;

  g_free (self->search_fold);
  self->search_fold = g_steal_pointer (&new_fold);

  /* At once rather than a chunk at a time: GTK 4.8's incremental filter
   * empties the list on a narrower search and refills it piecewise, which
   * flickers and took longer in all. */
  for (guint i = 0; i < self->entries->len; i++)
    {
      Entry *entry = g_ptr_array_index (self->entries, i);

      entry_set_matches (self, entry, entry_match (self, entry));
    }
  refill (self);
  update_page (self);
}

gboolean
talk_contact_list_activate_first (TalkContactList *self)
{
  GListModel *model;
  guint n_items;

  g_return_val_if_fail (TALK_IS_CONTACT_LIST (self), FALSE);

  model = G_LIST_MODEL (gtk_list_view_get_model (self->list_view));
  n_items = model != NULL ? g_list_model_get_n_items (model) : 0;
  for (guint i = 0; i < n_items; i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (model, i);
      g_autoptr(GObject) inner = NULL;

      if (GTK_IS_TREE_LIST_ROW (item))
        inner = gtk_tree_list_row_get_item (GTK_TREE_LIST_ROW (item));
      else
        inner = g_object_ref (item);

      if (TALK_IS_CONTACT (inner))
        {
          g_signal_emit (self, signals[CONTACT_ACTIVATED], 0, inner);
          return TRUE;
        }
    }

  return FALSE;
}
