/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "talk-contact-list.h"
#include "talk-contact-row.h"
#include "talk-presence-button.h"

/*
 * The models, for one roster:
 *
 *   model (TalkRoster) → relay → searched (GtkFilterListModel: the search text)
 *     → per group: members (filter: in the group)
 *                    → copy → online (filter)  → sort by name ┐
 *                    → copy → offline (filter) → sort by name ┴→ flatten = contacts
 *
 * The list view shows either the one group of everybody (flat list) or a
 * GtkTreeListModel whose roots are the non-empty groups, each expanding
 * into its "contacts".
 *
 * Online-first is two filtered halves rather than one sorter: when a
 * contact comes online, the halves report a removal and an insertion
 * of one row each, where one sort model would re-announce every row
 * between the old and the new place. That keeps a presence flood over a
 * large roster cheap.
 *
 * The search filters at once, not incrementally: GTK 4.8's incremental
 * filter empties the list on a narrower search and refills it a chunk at
 * a time, which flickers and, over 5,000 contacts, took longer in all
 * than filtering in one go (measured: 80 ms flat, under 300 ms grouped,
 * for the first letter; less for the next ones).
 */

/* The relay passes the roster's changes on, but splits a change that
 * moves contacts between online and offline into a removal, then an
 * insertion. Both halves of a group follow the same "items-changed" one
 * after the other; in one step, the half gaining the contact would show
 * it while the other still did, and the list view would see it twice. */

#define TALK_TYPE_CONTACT_LIST_RELAY (talk_contact_list_relay_get_type ())
G_DECLARE_FINAL_TYPE (TalkContactListRelay, talk_contact_list_relay, TALK, CONTACT_LIST_RELAY, GObject)

struct _TalkContactListRelay
{
  GObject     parent_instance;

  GListModel *model;
  /* gboolean per row: online when last announced */
  GArray     *online;
  /* rows of the model not announced yet */
  guint       hidden_position;
  guint       hidden_n;
};

static GType
relay_get_item_type (GListModel *list)
{
  return TALK_TYPE_CONTACT;
}

static guint
relay_get_n_items (GListModel *list)
{
  TalkContactListRelay *self = TALK_CONTACT_LIST_RELAY (list);

  return g_list_model_get_n_items (self->model) - self->hidden_n;
}

static gpointer
relay_get_item (GListModel *list,
                guint       position)
{
  TalkContactListRelay *self = TALK_CONTACT_LIST_RELAY (list);

  if (position >= self->hidden_position)
    position += self->hidden_n;

  return g_list_model_get_item (self->model, position);
}

static void
relay_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = relay_get_item_type;
  iface->get_n_items = relay_get_n_items;
  iface->get_item = relay_get_item;
}

G_DEFINE_FINAL_TYPE_WITH_CODE (TalkContactListRelay, talk_contact_list_relay, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, relay_list_model_init))

static GArray *
relay_read_online (TalkContactListRelay *self,
                   guint                 position,
                   guint                 n)
{
  GArray *online = g_array_sized_new (FALSE, FALSE, sizeof (gboolean), n);

  for (guint i = position; i < position + n; i++)
    {
      g_autoptr(TalkContact) contact = g_list_model_get_item (self->model, i);
      gboolean value = talk_presence_show_is_online (talk_contact_get_show (contact));

      g_array_append_val (online, value);
    }

  return online;
}

static void
relay_items_changed_cb (TalkContactListRelay *self,
                        guint                 position,
                        guint                 removed,
                        guint                 added)
{
  g_autoptr(GArray) fresh = relay_read_online (self, position, added);
  gboolean in_place = removed == added;

  for (guint i = 0; in_place && i < added; i++)
    in_place = g_array_index (fresh, gboolean, i) == g_array_index (self->online, gboolean, position + i);

  g_array_remove_range (self->online, position, removed);
  g_array_insert_vals (self->online, position, fresh->data, added);

  if (in_place || removed == 0 || added == 0)
    {
      g_list_model_items_changed (G_LIST_MODEL (self), position, removed, added);
      return;
    }

  self->hidden_position = position;
  self->hidden_n = added;
  g_list_model_items_changed (G_LIST_MODEL (self), position, removed, 0);
  self->hidden_n = 0;
  g_list_model_items_changed (G_LIST_MODEL (self), position, 0, added);
}

static void
talk_contact_list_relay_dispose (GObject *object)
{
  TalkContactListRelay *self = TALK_CONTACT_LIST_RELAY (object);

  if (self->model != NULL)
    g_signal_handlers_disconnect_by_func (self->model, relay_items_changed_cb, self);
  g_clear_object (&self->model);
  g_clear_pointer (&self->online, g_array_unref);

  G_OBJECT_CLASS (talk_contact_list_relay_parent_class)->dispose (object);
}

static void
talk_contact_list_relay_class_init (TalkContactListRelayClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = talk_contact_list_relay_dispose;
}

static void
talk_contact_list_relay_init (TalkContactListRelay *self)
{
}

static GListModel *
talk_contact_list_relay_new (GListModel *model)
{
  TalkContactListRelay *self = g_object_new (TALK_TYPE_CONTACT_LIST_RELAY, NULL);

  self->model = g_object_ref (model);
  self->online = relay_read_online (self, 0, g_list_model_get_n_items (model));
  g_signal_connect_swapped (model, "items-changed", G_CALLBACK (relay_items_changed_cb), self);

  return G_LIST_MODEL (self);
}

/* The two halves of a group read its members through a copy each. GTK
 * models answer get_item() from their upstream model; when one upstream
 * change reaches two models one after the other, the one not reached yet
 * would answer from the new upstream through its old positions, and the
 * list view, busy with the first one's change, asks it. A copy changes
 * only when its turn comes. (Groups need none: no model reads through
 * another group's.) */
static void
mirror_items_changed_cb (GListModel *source,
                         guint       position,
                         guint       removed,
                         guint       added,
                         GListStore *mirror)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new_full (added, g_object_unref);

  for (guint i = 0; i < added; i++)
    g_ptr_array_add (items, g_list_model_get_item (source, position + i));

  g_list_store_splice (mirror, position, removed, items->pdata, added);
}

static GListModel *
mirror_new (GListModel *source)
{
  GListStore *mirror = g_list_store_new (TALK_TYPE_CONTACT);

  mirror_items_changed_cb (source, 0, 0, g_list_model_get_n_items (source), mirror);
  g_signal_connect_object (source, "items-changed",
                           G_CALLBACK (mirror_items_changed_cb), mirror, 0);
  g_object_set_data_full (G_OBJECT (mirror), "talk-source", g_object_ref (source), g_object_unref);

  return G_LIST_MODEL (mirror);
}


typedef enum
{
  GROUP_KIND_ALL,
  GROUP_KIND_NAMED,
  GROUP_KIND_UNGROUPED,
} GroupKind;

/* Which contacts a group holds: owned by its filter, so that models held
 * elsewhere (list rows) never reach a freed group. */
typedef struct
{
  GroupKind  kind;
  char      *name;
} GroupMatch;

/* Search and sort keys, kept on the contact and recomputed when its
 * display name changes. */
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

struct _TalkContactListGroup
{
  GObject     parent_instance;

  GroupKind   kind;
  char       *name;
  char       *collate;
  GListModel *online;
  GListModel *contacts;
  gboolean    listed;
};

G_DEFINE_FINAL_TYPE (TalkContactListGroup, talk_contact_list_group, G_TYPE_OBJECT)

enum {
  GROUP_CHANGED,
  N_GROUP_SIGNALS
};

static guint group_signals[N_GROUP_SIGNALS];

struct _TalkContactList
{
  AdwBin                parent_instance;

  GListModel           *model;
  char                 *search_text;
  char                 *search_fold;
  GtkFilter            *search_filter;
  GtkFilterListModel   *searched;
  GtkSorter            *sorter;

  /* name ("" for no group) → TalkContactListGroup */
  GHashTable           *groups;
  /* the listed (non-empty) groups, in order */
  GListStore           *roots;
  TalkContactListGroup *everyone;
  gboolean              grouped;
  guint                 regroup_source;
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
contact_keys_free (gpointer data)
{
  ContactKeys *keys = data;

  g_free (keys->source);
  g_free (keys->fold);
  g_free (keys->collate);
  g_free (keys->collate_accents);
  g_free (keys);
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
  keys = g_new0 (ContactKeys, 1);
  keys->source = g_strdup (name);
  /* A query never holds a newline, so it cannot match across the two. */
  keys->fold = g_strconcat (name_fold, "\n", jid_fold, NULL);
  keys->collate = g_utf8_collate_key (name_fold, -1);
  name_cased = g_utf8_casefold (name, -1);
  keys->collate_accents = g_utf8_collate_key (name_cased, -1);
  g_object_set_qdata_full (G_OBJECT (contact), contact_keys_quark, keys, contact_keys_free);

  return keys;
}

static int
compare_contacts (gconstpointer a,
                  gconstpointer b,
                  gpointer      user_data)
{
  TalkContact *contact_a = (TalkContact *) a;
  TalkContact *contact_b = (TalkContact *) b;
  ContactKeys *keys_a = contact_get_keys (contact_a);
  ContactKeys *keys_b = contact_get_keys (contact_b);
  int result;

  /* By name, then accents ("Erin" before "Érin"), then address. */
  result = strcmp (keys_a->collate, keys_b->collate);
  if (result == 0)
    result = strcmp (keys_a->collate_accents, keys_b->collate_accents);
  if (result == 0)
    result = strcmp (talk_contact_get_jid (contact_a), talk_contact_get_jid (contact_b));

  return result < 0 ? GTK_ORDERING_SMALLER : result > 0 ? GTK_ORDERING_LARGER : GTK_ORDERING_EQUAL;
}

static gboolean
search_filter_func (gpointer item,
                    gpointer user_data)
{
  TalkContactList *self = user_data;

  if (self->search_fold == NULL)
    return TRUE;

  return strstr (contact_get_keys (item)->fold, self->search_fold) != NULL;
}

/* Groups */

static void
group_match_free (gpointer data)
{
  GroupMatch *match = data;

  g_free (match->name);
  g_free (match);
}

static gboolean
group_match_func (gpointer item,
                  gpointer user_data)
{
  GroupMatch *match = user_data;
  const char * const *groups = talk_contact_get_groups (item);

  switch (match->kind)
    {
    case GROUP_KIND_NAMED:
      return g_strv_contains (groups, match->name);
    case GROUP_KIND_UNGROUPED:
      return groups[0] == NULL;
    case GROUP_KIND_ALL:
    default:
      return TRUE;
    }
}

static gboolean
online_filter_func (gpointer item,
                    gpointer user_data)
{
  return talk_presence_show_is_online (talk_contact_get_show (item));
}

static gboolean
offline_filter_func (gpointer item,
                     gpointer user_data)
{
  return !talk_presence_show_is_online (talk_contact_get_show (item));
}

/* The online or offline half of a group's members, by name. */
static GListModel *
group_half_new (GListModel *members,
                GtkSorter  *sorter,
                gboolean    online)
{
  GtkFilter *filter;
  GtkFilterListModel *filtered;

  filter = GTK_FILTER (gtk_custom_filter_new (online ? online_filter_func : offline_filter_func,
                                              NULL, NULL));
  filtered = gtk_filter_list_model_new (mirror_new (members), filter);

  return G_LIST_MODEL (gtk_sort_list_model_new (G_LIST_MODEL (filtered), g_object_ref (sorter)));
}

static void
group_contacts_changed_cb (TalkContactListGroup *self)
{
  g_signal_emit (self, group_signals[GROUP_CHANGED], 0);
}

static TalkContactListGroup *
talk_contact_list_group_new (GroupKind   kind,
                             const char *name,
                             GListModel *searched,
                             GtkSorter  *sorter)
{
  TalkContactListGroup *self = g_object_new (TALK_TYPE_CONTACT_LIST_GROUP, NULL);
  GListStore *halves = g_list_store_new (G_TYPE_LIST_MODEL);
  g_autoptr(GListModel) offline = NULL;
  g_autoptr(GtkFilterListModel) members = NULL;
  g_autofree char *name_fold = NULL;
  GroupMatch *match;

  self->kind = kind;
  self->name = g_strdup (name);
  name_fold = fold (name != NULL ? name : "");
  self->collate = g_utf8_collate_key (name_fold, -1);

  match = g_new0 (GroupMatch, 1);
  match->kind = kind;
  match->name = g_strdup (name);
  members = gtk_filter_list_model_new (g_object_ref (searched),
                                       GTK_FILTER (gtk_custom_filter_new (group_match_func, match,
                                                                          group_match_free)));

  self->online = group_half_new (G_LIST_MODEL (members), sorter, TRUE);
  offline = group_half_new (G_LIST_MODEL (members), sorter, FALSE);
  g_list_store_append (halves, self->online);
  g_list_store_append (halves, offline);
  self->contacts = G_LIST_MODEL (gtk_flatten_list_model_new (G_LIST_MODEL (halves)));
  g_signal_connect_swapped (self->contacts, "items-changed",
                            G_CALLBACK (group_contacts_changed_cb), self);

  return self;
}

static void
talk_contact_list_group_dispose (GObject *object)
{
  TalkContactListGroup *self = TALK_CONTACT_LIST_GROUP (object);

  if (self->contacts != NULL)
    g_signal_handlers_disconnect_by_data (self->contacts, self);
  g_clear_object (&self->contacts);
  g_clear_object (&self->online);

  G_OBJECT_CLASS (talk_contact_list_group_parent_class)->dispose (object);
}

static void
talk_contact_list_group_finalize (GObject *object)
{
  TalkContactListGroup *self = TALK_CONTACT_LIST_GROUP (object);

  g_free (self->name);
  g_free (self->collate);

  G_OBJECT_CLASS (talk_contact_list_group_parent_class)->finalize (object);
}

static void
talk_contact_list_group_class_init (TalkContactListGroupClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = talk_contact_list_group_dispose;
  object_class->finalize = talk_contact_list_group_finalize;

  group_signals[GROUP_CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
talk_contact_list_group_init (TalkContactListGroup *self)
{
}

static const char *
group_get_title (TalkContactListGroup *group)
{
  if (group->kind == GROUP_KIND_NAMED)
    return group->name;

  /* Translators: the group of contacts that are in no roster group */
  return _("Contacts");
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
  guint n_items = g_list_model_get_n_items (group->contacts);
  guint n_online = g_list_model_get_n_items (group->online);
  g_autofree char *count_text = NULL;
  g_autofree char *accessible = NULL;

  gtk_label_set_text (GTK_LABEL (title), group_get_title (group));
  /* Translators: online and total contacts of a group: "3/10" */
  count_text = g_strdup_printf (C_("group count", "%u/%u"), n_online, n_items);
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

  if (TALK_IS_CONTACT_ROW (child))
    {
      talk_contact_row_set_item (TALK_CONTACT_ROW (child), NULL);
    }
  else if (GTK_IS_TREE_EXPANDER (child))
    {
      GtkTreeListRow *row = gtk_tree_expander_get_list_row (GTK_TREE_EXPANDER (child));
      g_autoptr(GObject) group = row != NULL ? gtk_tree_list_row_get_item (row) : NULL;

      /* The row stays until the next bind or the teardown (see bind). */
      if (group != NULL)
        g_signal_handlers_disconnect_by_func (group, header_update, child);
    }
}

/* The list's model */

static GListModel *
create_group_model (gpointer item,
                    gpointer user_data)
{
  if (TALK_IS_CONTACT_LIST_GROUP (item))
    return g_object_ref (TALK_CONTACT_LIST_GROUP (item)->contacts);

  return NULL;
}

static void
update_page (TalkContactList *self)
{
  const char *page = "list";

  if (self->model == NULL || g_list_model_get_n_items (self->model) == 0)
    page = "empty";
  else if (g_list_model_get_n_items (G_LIST_MODEL (self->searched)) == 0)
    page = "no-results";

  gtk_stack_set_visible_child_name (self->stack, page);
}

static void
group_set_listed (TalkContactList      *self,
                  TalkContactListGroup *group,
                  gboolean              listed)
{
  guint position;

  if (group->listed == listed)
    return;

  group->listed = listed;
  if (listed)
    g_list_store_insert_sorted (self->roots, group, compare_groups, NULL);
  else if (g_list_store_find (self->roots, group, &position))
    g_list_store_remove (self->roots, position);
}

static void
group_changed_cb (TalkContactListGroup *group,
                  TalkContactList      *self)
{
  group_set_listed (self, group, g_list_model_get_n_items (group->contacts) > 0);
}

static void
drop_group (gpointer data)
{
  TalkContactListGroup *group = data;

  g_signal_handlers_disconnect_matched (group, G_SIGNAL_MATCH_FUNC, 0, 0, NULL,
                                        group_changed_cb, NULL);
  g_object_unref (group);
}

static void
ensure_group (TalkContactList *self,
              GroupKind        kind,
              const char      *name)
{
  TalkContactListGroup *group;

  if (g_hash_table_contains (self->groups, name))
    return;

  group = talk_contact_list_group_new (kind, kind == GROUP_KIND_NAMED ? name : NULL,
                                       G_LIST_MODEL (self->searched), self->sorter);
  g_hash_table_insert (self->groups, g_strdup (name), group);
  g_signal_connect (group, "changed", G_CALLBACK (group_changed_cb), self);
  group_changed_cb (group, self);
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

static void
set_grouped (TalkContactList *self,
             gboolean         grouped)
{
  g_autoptr(GtkNoSelection) selection = NULL;
  GListModel *list_model = NULL;

  self->grouped = grouped;
  g_hash_table_remove_all (self->groups);
  g_list_store_remove_all (self->roots);
  g_clear_object (&self->everyone);

  if (self->searched != NULL && grouped)
    list_model = G_LIST_MODEL (gtk_tree_list_model_new (g_object_ref (G_LIST_MODEL (self->roots)),
                                                        FALSE, TRUE,
                                                        create_group_model, NULL, NULL));
  else if (self->searched != NULL)
    {
      self->everyone = talk_contact_list_group_new (GROUP_KIND_ALL, NULL,
                                                    G_LIST_MODEL (self->searched),
                                                    self->sorter);
      list_model = g_object_ref (self->everyone->contacts);
    }

  selection = gtk_no_selection_new (list_model);
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (selection));
  /* After the list view's own handler. */
  g_signal_connect_object (selection, "items-changed", G_CALLBACK (list_items_changed_cb),
                           self, G_CONNECT_SWAPPED);
}

/* Brings the groups in line with the roster: a pass over every contact,
 * run once the roster's changes of this main loop iteration are in. */
static void
regroup (TalkContactList *self)
{
  g_autoptr(GHashTable) names = g_hash_table_new (g_str_hash, g_str_equal);
  gboolean ungrouped = FALSE;
  guint n_items = self->model != NULL ? g_list_model_get_n_items (self->model) : 0;
  GHashTableIter iter;
  gpointer key;
  gpointer value;

  for (guint i = 0; i < n_items; i++)
    {
      g_autoptr(TalkContact) contact = g_list_model_get_item (self->model, i);
      const char * const *groups = talk_contact_get_groups (contact);

      if (groups[0] == NULL)
        ungrouped = TRUE;
      for (guint j = 0; groups[j] != NULL; j++)
        g_hash_table_add (names, (gpointer) groups[j]);
    }

  if ((g_hash_table_size (names) > 0) != self->grouped)
    set_grouped (self, !self->grouped);
  if (!self->grouped)
    return;

  g_hash_table_iter_init (&iter, self->groups);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      const char *name = key;
      gboolean wanted = *name == '\0' ? ungrouped : g_hash_table_contains (names, name);

      if (!wanted)
        {
          group_set_listed (self, value, FALSE);
          g_hash_table_iter_remove (&iter);
        }
    }

  g_hash_table_iter_init (&iter, names);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    ensure_group (self, GROUP_KIND_NAMED, key);
  if (ungrouped)
    ensure_group (self, GROUP_KIND_UNGROUPED, "");
}

static gboolean
regroup_cb (gpointer user_data)
{
  TalkContactList *self = user_data;

  self->regroup_source = 0;
  regroup (self);

  return G_SOURCE_REMOVE;
}

static void
model_items_changed_cb (TalkContactList *self,
                        guint            position,
                        guint            removed,
                        guint            added)
{
  /* Contacts come or go (a roster fetch, a push): at once, so that the
   * list never shows flat first. A change in place (presence, mostly;
   * sometimes the groups) once the burst is over. */
  if (removed != added)
    {
      g_clear_handle_id (&self->regroup_source, g_source_remove);
      regroup (self);
    }
  else if (self->regroup_source == 0)
    {
      self->regroup_source = g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, regroup_cb, self, NULL);
    }
  update_page (self);
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
  /* The template's top widget is the bin's child: unset it first, or the
   * bin would unparent it again after the template did. */
  adw_bin_set_child (ADW_BIN (object), NULL);
  gtk_widget_dispose_template (GTK_WIDGET (object), TALK_TYPE_CONTACT_LIST);
  g_clear_pointer (&self->spare_rows, g_ptr_array_unref);
  g_clear_pointer (&self->spare_headers, g_ptr_array_unref);
  g_clear_pointer (&self->groups, g_hash_table_unref);
  g_clear_object (&self->roots);
  g_clear_object (&self->sorter);
  g_clear_object (&self->search_filter);

  G_OBJECT_CLASS (talk_contact_list_parent_class)->dispose (object);
}

static void
talk_contact_list_finalize (GObject *object)
{
  TalkContactList *self = TALK_CONTACT_LIST (object);

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

  self->search_filter = GTK_FILTER (gtk_custom_filter_new (search_filter_func, self, NULL));
  self->sorter = GTK_SORTER (gtk_custom_sorter_new (compare_contacts, NULL, NULL));
  self->groups = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, drop_group);
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
  g_clear_handle_id (&self->regroup_source, g_source_remove);
  if (self->searched != NULL)
    g_signal_handlers_disconnect_by_func (self->searched, update_page, self);
  g_clear_object (&self->searched);
  g_set_object (&self->model, model);

  if (model != NULL)
    {
      self->searched = gtk_filter_list_model_new (talk_contact_list_relay_new (model),
                                                  g_object_ref (self->search_filter));
      g_signal_connect_swapped (self->searched, "items-changed", G_CALLBACK (update_page), self);
      g_signal_connect_swapped (model, "items-changed", G_CALLBACK (model_items_changed_cb), self);
    }

  /* Rebuilt from nothing: the old groups watch the old model. */
  if (self->list_view != NULL)
    {
      set_grouped (self, FALSE);
      regroup (self);
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
  GtkFilterChange change = GTK_FILTER_CHANGE_DIFFERENT;

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

  /* Typing on narrows the list; deleting widens it: GTK then only looks
   * at the rows that can change. */
  if (self->search_fold == NULL)
    change = GTK_FILTER_CHANGE_MORE_STRICT;
  else if (new_fold == NULL)
    change = GTK_FILTER_CHANGE_LESS_STRICT;
  else if (strstr (new_fold, self->search_fold) != NULL)
    change = GTK_FILTER_CHANGE_MORE_STRICT;
  else if (strstr (self->search_fold, new_fold) != NULL)
    change = GTK_FILTER_CHANGE_LESS_STRICT;

  g_free (self->search_fold);
  self->search_fold = g_steal_pointer (&new_fold);
  gtk_filter_changed (self->search_filter, change);
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
