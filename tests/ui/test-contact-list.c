/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * TalkContactList: the rows its list view shows, in order, after every
 * change a roster makes, against a plain sort of the model computed here.
 *
 * The model is a GListStore of TalkContact changed the way TalkRoster
 * changes its rows: a fetch replaces them all in one "items-changed", a
 * push or a presence is (position, 1, 1) on the same contact, an added
 * contact is appended, a removed one goes, everyone going offline is one
 * change over the span concerned. The list is shown in a window and the
 * main loop turns after each step, so its rows are bound as in the app.
 *
 * Besides the order, each step checks that the list view's model
 * announced every change: a copy kept from its "items-changed" alone
 * must hold the same items as the model.
 *
 * Needs a display (Xvfb in the test session).
 */

#include "config.h"

#include <locale.h>
#include <string.h>

#include <adwaita.h>

#include "talk-contact-list.h"

typedef struct
{
  GListStore      *store;
  GtkWidget       *window;
  TalkContactList *list;
  GtkListView     *list_view;
  GtkStack        *stack;
  /* the list view's model and its items as announced */
  GListModel      *watched;
  GPtrArray       *announced;
  /* the search as the tests gave it, or NULL */
  char            *search;
} Fixture;

/* Contacts */

static TalkContact *
contact_new (const char         *jid,
             const char         *name,
             const char * const *groups)
{
  TalkContact *contact = talk_contact_new (jid);
  g_autoptr(TalkXmppRosterItem) item = NULL;

  item = talk_xmpp_roster_item_new (jid, name, groups, TALK_XMPP_SUBSCRIPTION_BOTH, FALSE, NULL);
  g_assert_nonnull (item);
  talk_contact_set_item (contact, item);

  return contact;
}

static void
contact_set_item (TalkContact        *contact,
                  const char         *name,
                  const char * const *groups)
{
  g_autoptr(TalkXmppRosterItem) item = NULL;

  item = talk_xmpp_roster_item_new (talk_contact_get_jid (contact), name, groups,
                                    TALK_XMPP_SUBSCRIPTION_BOTH, FALSE, NULL);
  talk_contact_set_item (contact, item);
}

/* Returns: (transfer none) */
static TalkContact *
store_get (Fixture *f,
           guint    position)
{
  TalkContact *contact = g_list_model_get_item (G_LIST_MODEL (f->store), position);

  /* The store keeps it. */
  g_object_unref (contact);
  return contact;
}

/* The contact of @jid changed: its row is announced again, in place. */
static void
store_touch (Fixture    *f,
             const char *jid)
{
  guint n_items = g_list_model_get_n_items (G_LIST_MODEL (f->store));

  for (guint i = 0; i < n_items; i++)
    {
      TalkContact *contact = store_get (f, i);

      if (strcmp (talk_contact_get_jid (contact), jid) == 0)
        {
          g_list_store_splice (f->store, i, 1, (gpointer *) &contact, 1);
          return;
        }
    }
  g_assert_not_reached ();
}

static TalkContact *
store_lookup (Fixture    *f,
              const char *jid)
{
  guint n_items = g_list_model_get_n_items (G_LIST_MODEL (f->store));

  for (guint i = 0; i < n_items; i++)
    if (strcmp (talk_contact_get_jid (store_get (f, i)), jid) == 0)
      return store_get (f, i);

  g_assert_not_reached ();
  return NULL;
}

static void
set_presence (Fixture              *f,
              const char           *jid,
              TalkXmppPresenceShow  show)
{
  talk_contact_set_presence (store_lookup (f, jid), "desktop", show, NULL, 0);
  store_touch (f, jid);
}

static void
set_item (Fixture            *f,
          const char         *jid,
          const char         *name,
          const char * const *groups)
{
  contact_set_item (store_lookup (f, jid), name, groups);
  store_touch (f, jid);
}

/* What the list should show, worked out plainly */

/* Case and accents of Latin letters ignored, as a person searching
 * expects. */
static char *
plain_fold (const char *text)
{
  g_autofree char *folded = g_utf8_casefold (text, -1);
  g_autofree char *decomposed = g_utf8_normalize (folded, -1, G_NORMALIZE_NFKD);
  GString *out = g_string_new (NULL);

  for (const char *p = decomposed; *p != '\0'; p = g_utf8_next_char (p))
    if (!g_unichar_ismark (g_utf8_get_char (p)))
      g_string_append_unichar (out, g_utf8_get_char (p));

  return g_string_free (out, FALSE);
}

static gboolean
is_online (TalkContact *contact)
{
  return talk_contact_get_show (contact) != TALK_XMPP_PRESENCE_SHOW_OFFLINE;
}

/* Online first, then by name without case or accents, then with accents,
 * then by address. */
static int
plain_compare (gconstpointer a,
               gconstpointer b)
{
  TalkContact *contact_a = *(TalkContact **) a;
  TalkContact *contact_b = *(TalkContact **) b;
  const char *name_a = talk_contact_get_display_name (contact_a);
  const char *name_b = talk_contact_get_display_name (contact_b);
  g_autofree char *fold_a = plain_fold (name_a);
  g_autofree char *fold_b = plain_fold (name_b);
  g_autofree char *cased_a = g_utf8_casefold (name_a, -1);
  g_autofree char *cased_b = g_utf8_casefold (name_b, -1);
  int result;

  if (is_online (contact_a) != is_online (contact_b))
    return is_online (contact_a) ? -1 : 1;

  result = g_utf8_collate (fold_a, fold_b);
  if (result == 0)
    result = g_utf8_collate (cased_a, cased_b);
  if (result == 0)
    result = strcmp (talk_contact_get_jid (contact_a), talk_contact_get_jid (contact_b));

  return result;
}

static int
plain_compare_groups (gconstpointer a,
                      gconstpointer b)
{
  const char *name_a = *(const char **) a;
  const char *name_b = *(const char **) b;
  g_autofree char *fold_a = plain_fold (name_a);
  g_autofree char *fold_b = plain_fold (name_b);
  int result = g_utf8_collate (fold_a, fold_b);

  return result != 0 ? result : strcmp (name_a, name_b);
}

static gboolean
plain_matches (Fixture     *f,
               TalkContact *contact)
{
  g_autofree char *query = NULL;
  g_autofree char *name = NULL;
  g_autofree char *jid = NULL;

  if (f->search == NULL)
    return TRUE;

  query = g_strstrip (plain_fold (f->search));
  name = plain_fold (talk_contact_get_display_name (contact));
  jid = plain_fold (talk_contact_get_jid (contact));

  return *query == '\0' || strstr (name, query) != NULL || strstr (jid, query) != NULL;
}

static gboolean
in_group (TalkContact *contact,
          const char  *group)
{
  const char * const *groups = talk_contact_get_groups (contact);

  return group == NULL ? groups[0] == NULL : g_strv_contains (groups, group);
}

static void
append_group (GString    *out,
              const char *title,
              GPtrArray  *members)
{
  guint n_online = 0;

  for (guint i = 0; i < members->len; i++)
    n_online += is_online (g_ptr_array_index (members, i));

  g_string_append_printf (out, "[%s %u/%u]\n", title, n_online, members->len);
  for (guint i = 0; i < members->len; i++)
    g_string_append_printf (out, "%s\n", talk_contact_get_jid (g_ptr_array_index (members, i)));
}

static char *
expected_rows (Fixture *f)
{
  GString *out = g_string_new (NULL);
  g_autoptr(GPtrArray) matching = g_ptr_array_new ();
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  guint n_items = g_list_model_get_n_items (G_LIST_MODEL (f->store));
  gboolean grouped = FALSE;
  gboolean ungrouped = FALSE;

  for (guint i = 0; i < n_items; i++)
    {
      TalkContact *contact = store_get (f, i);
      const char * const *groups = talk_contact_get_groups (contact);

      /* Grouped as soon as anyone in the roster has a group, found or not. */
      grouped |= groups[0] != NULL;
      if (!plain_matches (f, contact))
        continue;
      g_ptr_array_add (matching, contact);
      ungrouped |= groups[0] == NULL;
      for (guint j = 0; groups[j] != NULL; j++)
        if (!g_ptr_array_find_with_equal_func (names, groups[j], g_str_equal, NULL))
          g_ptr_array_add (names, (gpointer) groups[j]);
    }
  g_ptr_array_sort (matching, plain_compare);

  if (!grouped)
    {
      for (guint i = 0; i < matching->len; i++)
        g_string_append_printf (out, "%s\n", talk_contact_get_jid (g_ptr_array_index (matching, i)));
      return g_string_free (out, FALSE);
    }

  g_ptr_array_sort (names, plain_compare_groups);
  for (guint i = 0; i <= names->len; i++)
    {
      const char *name = i < names->len ? g_ptr_array_index (names, i) : NULL;
      g_autoptr(GPtrArray) members = g_ptr_array_new ();

      if (name == NULL && !ungrouped)
        break;
      for (guint j = 0; j < matching->len; j++)
        if (in_group (g_ptr_array_index (matching, j), name))
          g_ptr_array_add (members, g_ptr_array_index (matching, j));
      append_group (out, name != NULL ? name : "Contacts", members);
    }

  return g_string_free (out, FALSE);
}

/* What the list shows */

static char *
shown_rows (Fixture *f)
{
  GListModel *model = G_LIST_MODEL (gtk_list_view_get_model (f->list_view));
  guint n_items = model != NULL ? g_list_model_get_n_items (model) : 0;
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < n_items; i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (model, i);
      g_autoptr(GObject) inner = NULL;

      g_assert_nonnull (item);
      if (GTK_IS_TREE_LIST_ROW (item))
        {
          inner = gtk_tree_list_row_get_item (GTK_TREE_LIST_ROW (item));
          /* Groups start expanded. */
          if (!TALK_IS_CONTACT (inner))
            g_assert_true (gtk_tree_list_row_get_expanded (GTK_TREE_LIST_ROW (item)));
        }
      else
        {
          inner = g_object_ref (item);
        }

      if (TALK_IS_CONTACT (inner))
        {
          g_string_append_printf (out, "%s\n", talk_contact_get_jid (TALK_CONTACT (inner)));
        }
      else
        {
          g_autofree char *title = NULL;
          guint n_online = 0;

          g_assert_true (G_IS_LIST_MODEL (inner));
          g_object_get (inner, "title", &title, "n-online", &n_online, NULL);
          g_string_append_printf (out, "[%s %u/%u]\n", title, n_online,
                                  g_list_model_get_n_items (G_LIST_MODEL (inner)));
        }
    }

  return g_string_free (out, FALSE);
}

static void
watched_items_changed_cb (GListModel *model,
                          guint       position,
                          guint       removed,
                          guint       added,
                          Fixture    *f)
{
  g_assert_cmpuint (position + removed, <=, f->announced->len);
  g_ptr_array_remove_range (f->announced, position, removed);
  for (guint i = 0; i < added; i++)
    g_ptr_array_insert (f->announced, position + i, g_list_model_get_item (model, position + i));
  g_assert_cmpuint (f->announced->len, ==, g_list_model_get_n_items (model));
}

static void
watch_list_model (Fixture *f)
{
  GListModel *model = G_LIST_MODEL (gtk_list_view_get_model (f->list_view));
  guint n_items;

  if (f->watched == model)
    return;

  if (f->watched != NULL)
    g_signal_handlers_disconnect_by_func (f->watched, watched_items_changed_cb, f);
  g_set_object (&f->watched, model);
  g_ptr_array_set_size (f->announced, 0);
  if (model == NULL)
    return;

  n_items = g_list_model_get_n_items (model);
  for (guint i = 0; i < n_items; i++)
    g_ptr_array_add (f->announced, g_list_model_get_item (model, i));
  g_signal_connect (model, "items-changed", G_CALLBACK (watched_items_changed_cb), f);
}

static void
list_model_changed_cb (GtkListView *list_view,
                       GParamSpec  *pspec,
                       Fixture     *f)
{
  watch_list_model (f);
}

static void
check_announced (Fixture *f)
{
  GListModel *model = G_LIST_MODEL (gtk_list_view_get_model (f->list_view));

  g_assert_true (f->watched == model);
  g_assert_cmpuint (f->announced->len, ==, g_list_model_get_n_items (model));
  for (guint i = 0; i < f->announced->len; i++)
    {
      g_autoptr(GObject) item = g_list_model_get_item (model, i);

      g_assert_true (item == g_ptr_array_index (f->announced, i));
    }
}

static void
pump (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static const char *
expected_page (Fixture *f)
{
  guint n_items = g_list_model_get_n_items (G_LIST_MODEL (f->store));

  if (n_items == 0)
    return "empty";
  for (guint i = 0; i < n_items; i++)
    if (plain_matches (f, store_get (f, i)))
      return "list";
  return "no-results";
}

static void
check (Fixture *f)
{
  g_autofree char *expected = expected_rows (f);
  g_autofree char *shown = shown_rows (f);

  g_assert_cmpstr (shown, ==, expected);
  check_announced (f);
  g_assert_cmpstr (gtk_stack_get_visible_child_name (f->stack), ==, expected_page (f));
  pump ();
}

static void
check_literal (Fixture    *f,
               const char *rows)
{
  g_autofree char *shown = shown_rows (f);

  g_assert_cmpstr (shown, ==, rows);
  check (f);
}

static void
set_search (Fixture    *f,
            const char *text)
{
  g_free (f->search);
  f->search = g_strdup (text);
  talk_contact_list_set_search_text (f->list, text);
}

/* Fixture */

static GtkWidget *
find_child (GtkWidget *widget,
            GType      type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    return widget;

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_child (child, type);

      if (found != NULL)
        return found;
    }

  return NULL;
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  f->store = g_list_store_new (TALK_TYPE_CONTACT);
  f->announced = g_ptr_array_new_with_free_func (g_object_unref);
  f->window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (f->window), 360, 600);
  f->list = TALK_CONTACT_LIST (talk_contact_list_new ());
  gtk_window_set_child (GTK_WINDOW (f->window), GTK_WIDGET (f->list));
  f->list_view = GTK_LIST_VIEW (find_child (GTK_WIDGET (f->list), GTK_TYPE_LIST_VIEW));
  f->stack = GTK_STACK (find_child (GTK_WIDGET (f->list), GTK_TYPE_STACK));
  g_assert_nonnull (f->list_view);
  g_assert_nonnull (f->stack);
  g_signal_connect (f->list_view, "notify::model", G_CALLBACK (list_model_changed_cb), f);

  talk_contact_list_set_model (f->list, G_LIST_MODEL (f->store));
  watch_list_model (f);
  gtk_window_present (GTK_WINDOW (f->window));
  pump ();
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  if (f->watched != NULL)
    g_signal_handlers_disconnect_by_func (f->watched, watched_items_changed_cb, f);
  g_signal_handlers_disconnect_by_func (f->list_view, list_model_changed_cb, f);
  gtk_window_destroy (GTK_WINDOW (f->window));
  pump ();
  g_clear_object (&f->watched);
  g_clear_pointer (&f->announced, g_ptr_array_unref);
  g_clear_object (&f->store);
  g_clear_pointer (&f->search, g_free);
}

/* The roster of the fixed tests, fetched:
 *
 *   alice  "Alice"   Work
 *   bob    "bob"     Work, Family   (online)
 *   erin   "Érin"    Family
 *   erin2  "Erin"    Family
 *   zed    no name   no group       (shown as "zed")
 */
static void
fetch_small_roster (Fixture *f)
{
  const char * const work[] = { "Work", NULL };
  const char * const both[] = { "Work", "Family", NULL };
  const char * const family[] = { "Family", NULL };
  TalkContact *contacts[] = {
    contact_new ("alice@example.test", "Alice", work),
    contact_new ("bob@example.test", "bob", both),
    contact_new ("erin@example.test", "Érin", family),
    contact_new ("erin2@example.test", "Erin", family),
    contact_new ("zed@example.test", NULL, NULL),
  };

  talk_contact_set_presence (contacts[1], "desktop", TALK_XMPP_PRESENCE_SHOW_AVAILABLE, NULL, 0);
  g_list_store_splice (f->store, 0, 0, (gpointer *) contacts, G_N_ELEMENTS (contacts));
  for (guint i = 0; i < G_N_ELEMENTS (contacts); i++)
    g_object_unref (contacts[i]);
}

static void
test_fetch (Fixture       *f,
            gconstpointer  data)
{
  check (f);
  fetch_small_roster (f);
  /* Online first; "Erin" before "Érin", both among the e's; no group last. */
  check_literal (f,
                 "[Family 1/3]\n"
                 "bob@example.test\n"
                 "erin2@example.test\n"
                 "erin@example.test\n"
                 "[Work 1/2]\n"
                 "bob@example.test\n"
                 "alice@example.test\n"
                 "[Contacts 0/1]\n"
                 "zed@example.test\n");

  /* Fetched again with the same contacts: nothing moves. */
  {
    g_autoptr(GPtrArray) same = g_ptr_array_new_with_free_func (g_object_unref);
    guint n_items = g_list_model_get_n_items (G_LIST_MODEL (f->store));

    for (guint i = 0; i < n_items; i++)
      g_ptr_array_add (same, g_list_model_get_item (G_LIST_MODEL (f->store), i));
    g_list_store_splice (f->store, 0, n_items, same->pdata, same->len);
    check (f);
  }
}

static void
test_presence (Fixture       *f,
               gconstpointer  data)
{
  fetch_small_roster (f);
  check (f);

  set_presence (f, "erin@example.test", TALK_XMPP_PRESENCE_SHOW_AWAY);
  check_literal (f,
                 "[Family 2/3]\n"
                 "bob@example.test\n"
                 "erin@example.test\n"
                 "erin2@example.test\n"
                 "[Work 1/2]\n"
                 "bob@example.test\n"
                 "alice@example.test\n"
                 "[Contacts 0/1]\n"
                 "zed@example.test\n");

  /* Another show, still online: same place. */
  set_presence (f, "erin@example.test", TALK_XMPP_PRESENCE_SHOW_DND);
  check (f);
  set_presence (f, "alice@example.test", TALK_XMPP_PRESENCE_SHOW_CHAT);
  check (f);
  set_presence (f, "zed@example.test", TALK_XMPP_PRESENCE_SHOW_XA);
  check (f);
  set_presence (f, "bob@example.test", TALK_XMPP_PRESENCE_SHOW_OFFLINE);
  check_literal (f,
                 "[Family 1/3]\n"
                 "erin@example.test\n"
                 "bob@example.test\n"
                 "erin2@example.test\n"
                 "[Work 1/2]\n"
                 "alice@example.test\n"
                 "bob@example.test\n"
                 "[Contacts 1/1]\n"
                 "zed@example.test\n");

  /* Everyone offline in one change, as when the connection drops. */
  {
    guint n_items = g_list_model_get_n_items (G_LIST_MODEL (f->store));
    g_autoptr(GPtrArray) same = g_ptr_array_new_with_free_func (g_object_unref);

    for (guint i = 0; i < n_items; i++)
      {
        TalkContact *contact = g_list_model_get_item (G_LIST_MODEL (f->store), i);

        talk_contact_clear_presence (contact);
        g_ptr_array_add (same, contact);
      }
    g_list_store_splice (f->store, 0, n_items, same->pdata, same->len);
    check (f);
  }
}

static void
test_rename (Fixture       *f,
             gconstpointer  data)
{
  const char * const work[] = { "Work", NULL };

  fetch_small_roster (f);
  check (f);

  set_item (f, "alice@example.test", "Zoë", work);
  check_literal (f,
                 "[Family 1/3]\n"
                 "bob@example.test\n"
                 "erin2@example.test\n"
                 "erin@example.test\n"
                 "[Work 1/2]\n"
                 "bob@example.test\n"
                 "alice@example.test\n"
                 "[Contacts 0/1]\n"
                 "zed@example.test\n");
  set_item (f, "bob@example.test", "Ábel", work);
  check (f);
  /* Back to no name: the address's local part. */
  set_item (f, "alice@example.test", NULL, work);
  check (f);
}

static void
test_regroup (Fixture       *f,
              gconstpointer  data)
{
  const char * const family[] = { "Family", NULL };
  const char * const friends[] = { "friends", NULL };

  fetch_small_roster (f);
  check (f);

  /* Into a new group, sorted by name without case. */
  set_item (f, "zed@example.test", NULL, friends);
  check_literal (f,
                 "[Family 1/3]\n"
                 "bob@example.test\n"
                 "erin2@example.test\n"
                 "erin@example.test\n"
                 "[friends 0/1]\n"
                 "zed@example.test\n"
                 "[Work 1/2]\n"
                 "bob@example.test\n"
                 "alice@example.test\n");
  /* Out of Work: bob leaves it, alice stays. */
  set_item (f, "bob@example.test", "bob", family);
  check (f);
  /* The last one out of Work: the group goes. */
  set_item (f, "alice@example.test", "Alice", family);
  check_literal (f,
                 "[Family 1/4]\n"
                 "bob@example.test\n"
                 "alice@example.test\n"
                 "erin2@example.test\n"
                 "erin@example.test\n"
                 "[friends 0/1]\n"
                 "zed@example.test\n");
  set_item (f, "erin@example.test", "Érin", NULL);
  check (f);
}

static void
test_remove (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(TalkContact) added = contact_new ("yann@example.test", "Yann", NULL);

  fetch_small_roster (f);
  check (f);

  g_list_store_append (f->store, added);
  check (f);
  /* bob: out of two groups at once. */
  g_list_store_remove (f->store, 1);
  check_literal (f,
                 "[Family 0/2]\n"
                 "erin2@example.test\n"
                 "erin@example.test\n"
                 "[Work 0/1]\n"
                 "alice@example.test\n"
                 "[Contacts 0/2]\n"
                 "yann@example.test\n"
                 "zed@example.test\n");
  /* alice: the last of Work. */
  g_list_store_remove (f->store, 0);
  check (f);
  while (g_list_model_get_n_items (G_LIST_MODEL (f->store)) > 0)
    {
      g_list_store_remove (f->store, 0);
      check (f);
    }
  g_assert_cmpstr (gtk_stack_get_visible_child_name (f->stack), ==, "empty");
}

static void
test_search (Fixture       *f,
             gconstpointer  data)
{
  fetch_small_roster (f);
  check (f);

  /* Without case or accents; by name or address. */
  set_search (f, "ERIN");
  check_literal (f,
                 "[Family 0/2]\n"
                 "erin2@example.test\n"
                 "erin@example.test\n");
  set_search (f, "erin2");
  check (f);
  set_search (f, "e");
  check (f);
  set_search (f, "  ");
  check (f);
  set_search (f, "b");
  check (f);
  set_search (f, "nobody");
  check (f);
  g_assert_cmpstr (gtk_stack_get_visible_child_name (f->stack), ==, "no-results");
  /* Changes while searching follow the search. */
  set_item (f, "zed@example.test", "nobody", NULL);
  check (f);
  set_presence (f, "erin@example.test", TALK_XMPP_PRESENCE_SHOW_AVAILABLE);
  check (f);
  set_search (f, "e");
  check (f);
  set_search (f, NULL);
  check (f);
}

static void
test_flat (Fixture       *f,
           gconstpointer  data)
{
  const char * const work[] = { "Work", NULL };
  TalkContact *contacts[] = {
    contact_new ("carol@example.test", "Carol", NULL),
    contact_new ("dave@example.test", "Dave", NULL),
    contact_new ("anna@example.test", "anna", NULL),
  };

  g_list_store_splice (f->store, 0, 0, (gpointer *) contacts, G_N_ELEMENTS (contacts));
  for (guint i = 0; i < G_N_ELEMENTS (contacts); i++)
    g_object_unref (contacts[i]);

  /* No groups at all: one flat list. */
  check_literal (f,
                 "anna@example.test\n"
                 "carol@example.test\n"
                 "dave@example.test\n");
  set_presence (f, "dave@example.test", TALK_XMPP_PRESENCE_SHOW_AVAILABLE);
  check_literal (f,
                 "dave@example.test\n"
                 "anna@example.test\n"
                 "carol@example.test\n");

  /* One contact in a group: groups, the others under "Contacts". */
  set_item (f, "carol@example.test", "Carol", work);
  check_literal (f,
                 "[Work 0/1]\n"
                 "carol@example.test\n"
                 "[Contacts 1/2]\n"
                 "dave@example.test\n"
                 "anna@example.test\n");
  /* Even when the search hides the group. */
  set_search (f, "a");
  check (f);
  set_search (f, "dave");
  check (f);
  set_search (f, NULL);

  /* The last group gone: flat again. */
  set_item (f, "carol@example.test", "Carol", NULL);
  check (f);
  g_list_store_remove (f->store, 0);
  check (f);
}

static void
contact_activated_cb (TalkContactList  *list,
                      TalkContact      *contact,
                      TalkContact     **activated)
{
  g_set_object (activated, contact);
}

static void
test_activate_first (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(TalkContact) activated = NULL;

  g_signal_connect (f->list, "contact-activated", G_CALLBACK (contact_activated_cb), &activated);
  g_assert_false (talk_contact_list_activate_first (f->list));
  g_assert_null (activated);

  fetch_small_roster (f);
  /* The first contact under the first group's header */
  g_assert_true (talk_contact_list_activate_first (f->list));
  g_assert_cmpstr (talk_contact_get_jid (activated), ==, "bob@example.test");

  set_search (f, "zed");
  g_assert_true (talk_contact_list_activate_first (f->list));
  g_assert_cmpstr (talk_contact_get_jid (activated), ==, "zed@example.test");

  g_clear_object (&activated);
  set_search (f, "nobody");
  g_assert_false (talk_contact_list_activate_first (f->list));
  g_assert_null (activated);
  g_signal_handlers_disconnect_by_func (f->list, contact_activated_cb, &activated);
}

/* Random changes of every kind, the way a roster makes them, checked
 * after each one. Some touch more rows than the list moves one by one. */

static const char *const random_names[] = {
  "Ada", "ada", "Ádám", "Adam", "Bea", "Ben", "Cleo", "émile", "Emile", "Omar", "Zoe", NULL,
};
static const char *const random_groups[] = { "Alpha", "beta", "Gamma", "Delta" };
static const char *const random_searches[] = {
  "a", "ad", "e", "mile", "be", "@", "x", "contact1", "o", NULL,
};
static const TalkXmppPresenceShow random_shows[] = {
  TALK_XMPP_PRESENCE_SHOW_OFFLINE, TALK_XMPP_PRESENCE_SHOW_OFFLINE,
  TALK_XMPP_PRESENCE_SHOW_AVAILABLE, TALK_XMPP_PRESENCE_SHOW_AWAY,
  TALK_XMPP_PRESENCE_SHOW_DND, TALK_XMPP_PRESENCE_SHOW_CHAT,
};

typedef struct
{
  guint    next_jid;
  gboolean with_groups;
} RandomState;

static char **
random_group_list (RandomState *state)
{
  GPtrArray *groups = g_ptr_array_new ();

  if (state->with_groups)
    for (guint i = 0; i < G_N_ELEMENTS (random_groups); i++)
      if (g_test_rand_int_range (0, 4) == 0)
        g_ptr_array_add (groups, g_strdup (random_groups[i]));
  g_ptr_array_add (groups, NULL);

  return (char **) g_ptr_array_free (groups, FALSE);
}

static TalkContact *
random_contact_new (RandomState *state)
{
  g_autofree char *jid = g_strdup_printf ("contact%u@example.test", state->next_jid++);
  g_auto(GStrv) groups = random_group_list (state);
  const char *name = random_names[g_test_rand_int_range (0, G_N_ELEMENTS (random_names))];
  TalkContact *contact = contact_new (jid, name, (const char * const *) groups);

  if (g_test_rand_int_range (0, 3) == 0)
    talk_contact_set_presence (contact, "desktop",
                               random_shows[g_test_rand_int_range (2, G_N_ELEMENTS (random_shows))],
                               NULL, 0);

  return contact;
}

static void
random_fetch (Fixture     *f,
              RandomState *state,
              guint        n_new)
{
  guint n_items = g_list_model_get_n_items (G_LIST_MODEL (f->store));
  g_autoptr(GPtrArray) contacts = g_ptr_array_new_with_free_func (g_object_unref);

  /* Most contacts listed again, in another order, with some new. */
  for (guint i = 0; i < n_items; i++)
    if (g_test_rand_int_range (0, 5) != 0)
      g_ptr_array_insert (contacts, g_test_rand_int_range (0, contacts->len + 1),
                          g_list_model_get_item (G_LIST_MODEL (f->store), i));
  for (guint i = 0; i < n_new; i++)
    g_ptr_array_insert (contacts, g_test_rand_int_range (0, contacts->len + 1),
                        random_contact_new (state));

  g_list_store_splice (f->store, 0, n_items, contacts->pdata, contacts->len);
}

static void
random_step (Fixture     *f,
             RandomState *state)
{
  guint n_items = g_list_model_get_n_items (G_LIST_MODEL (f->store));
  TalkContact *contact = n_items > 0 ? store_get (f, g_test_rand_int_range (0, n_items)) : NULL;
  int choice = g_test_rand_int_range (0, 100);

  if (contact == NULL || choice < 45)
    {
      if (contact == NULL)
        {
          g_autoptr(TalkContact) added = random_contact_new (state);

          g_list_store_append (f->store, added);
          return;
        }
      set_presence (f, talk_contact_get_jid (contact),
                    random_shows[g_test_rand_int_range (0, G_N_ELEMENTS (random_shows))]);
    }
  else if (choice < 55)
    {
      set_item (f, talk_contact_get_jid (contact),
                random_names[g_test_rand_int_range (0, G_N_ELEMENTS (random_names))],
                talk_contact_get_groups (contact));
    }
  else if (choice < 65)
    {
      g_auto(GStrv) groups = random_group_list (state);

      set_item (f, talk_contact_get_jid (contact), talk_contact_get_name (contact),
                (const char * const *) groups);
    }
  else if (choice < 72)
    {
      g_autoptr(TalkContact) added = random_contact_new (state);

      g_list_store_append (f->store, added);
    }
  else if (choice < 79)
    {
      g_list_store_remove (f->store, g_test_rand_int_range (0, n_items));
    }
  else if (choice < 87)
    {
      set_search (f, random_searches[g_test_rand_int_range (0, G_N_ELEMENTS (random_searches))]);
    }
  else if (choice < 91)
    {
      random_fetch (f, state, g_test_rand_int_range (0, 40));
    }
  else if (choice < 96)
    {
      /* Everyone in a span offline, in one change. */
      guint first = g_test_rand_int_range (0, n_items);
      guint n = g_test_rand_int_range (1, n_items - first + 1);
      g_autoptr(GPtrArray) same = g_ptr_array_new_with_free_func (g_object_unref);

      for (guint i = first; i < first + n; i++)
        {
          TalkContact *cleared = g_list_model_get_item (G_LIST_MODEL (f->store), i);

          talk_contact_clear_presence (cleared);
          g_ptr_array_add (same, cleared);
        }
      g_list_store_splice (f->store, first, n, same->pdata, n);
    }
  else
    {
      /* Everybody out of the groups, or back in them, by a fetch: flat
       * and back. */
      g_autoptr(GPtrArray) same = g_ptr_array_new_with_free_func (g_object_unref);

      state->with_groups = !state->with_groups;
      for (guint i = 0; i < n_items; i++)
        {
          TalkContact *regrouped = g_list_model_get_item (G_LIST_MODEL (f->store), i);
          g_auto(GStrv) groups = random_group_list (state);

          contact_set_item (regrouped, talk_contact_get_name (regrouped),
                            (const char * const *) groups);
          g_ptr_array_add (same, regrouped);
        }
      g_list_store_splice (f->store, 0, n_items, same->pdata, n_items);
    }
}

static void
test_random (Fixture       *f,
             gconstpointer  data)
{
  RandomState state = { 0, TRUE };

  random_fetch (f, &state, 80);
  check (f);
  for (guint i = 0; i < 400; i++)
    {
      random_step (f, &state);
      check (f);
    }
}

int
main (int   argc,
      char *argv[])
{
  /* One collation for the order written in the tests. */
  gtk_disable_setlocale ();
  setlocale (LC_ALL, "C.UTF-8");
  g_test_init (&argc, &argv, NULL);

  if (!gtk_init_check ())
    {
      g_test_message ("No display: run the tests under Xvfb (tests/session-env.sh)");
      return 77;
    }
  adw_init ();

  g_test_add ("/talk/ui/contact-list/fetch", Fixture, NULL,
              fixture_set_up, test_fetch, fixture_tear_down);
  g_test_add ("/talk/ui/contact-list/presence", Fixture, NULL,
              fixture_set_up, test_presence, fixture_tear_down);
  g_test_add ("/talk/ui/contact-list/rename", Fixture, NULL,
              fixture_set_up, test_rename, fixture_tear_down);
  g_test_add ("/talk/ui/contact-list/regroup", Fixture, NULL,
              fixture_set_up, test_regroup, fixture_tear_down);
  g_test_add ("/talk/ui/contact-list/remove", Fixture, NULL,
              fixture_set_up, test_remove, fixture_tear_down);
  g_test_add ("/talk/ui/contact-list/search", Fixture, NULL,
              fixture_set_up, test_search, fixture_tear_down);
  g_test_add ("/talk/ui/contact-list/flat", Fixture, NULL,
              fixture_set_up, test_flat, fixture_tear_down);
  g_test_add ("/talk/ui/contact-list/activate-first", Fixture, NULL,
              fixture_set_up, test_activate_first, fixture_tear_down);
  g_test_add ("/talk/ui/contact-list/random", Fixture, NULL,
              fixture_set_up, test_random, fixture_tear_down);

  return g_test_run ();
}
