/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The contact list while a large roster arrives.
 *
 *   bench-roster-ui [--without-list] [CONTACTS]
 *
 * A window shows a TalkContactList bound to the TalkRoster of a
 * TalkXmppSession whose other end is a scripted server (TalkTestPeer):
 *
 *   window painted, list empty ─► session online ─► roster get
 *     ─► result with CONTACTS items (default 5000, 10 groups) ─► frames
 *     ─► CONTACTS available presences in one flood ─► frames
 *     ─► a search for one letter ─► frames ─► search cleared ─► frames ─► quit
 *
 * Everything goes through the real reader, session, roster module,
 * TalkRoster and the list's models and rows. It reports, with
 * CLOCK_MONOTONIC:
 *
 *   - from the server's first write of the roster result to the roster
 *     model's "items-changed", to the first frame painted after it
 *     (GdkFrameClock "after-paint") and to the first frame with rows;
 *   - the longest main-loop stall meanwhile: the largest gap between two
 *     runs of a 1 ms timeout;
 *   - the same for the presences, until every one is applied, and for
 *     the search, from setting the text to the list's change;
 *   - RSS (/proc/self/statm) before and after each step.
 *
 * With --without-list the list is shown but bound to no model: what the
 * session and the roster cost alone, to compare with.
 *
 * Needs a display: run it under `xvfb-run -a`. Prints; never asserts
 * anything about time.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <adwaita.h>

#include "talk-contact-list.h"
#include "talk-roster.h"
#include "talk-test-peer.h"
#include "talk-xmpp.h"

#define OWN_BARE "user@example.test"
#define OWN_FULL "user@example.test/talk"
#define DEFAULT_CONTACTS 5000
/* No frame for this long: the list has settled. */
#define QUIET_MS 300
#define WAIT_MS 60000

static const char *const first_names[] = {
  "Alice", "Bob", "Carol", "Dave", "Érin", "Frank", "Grace", "Heidi", "Ivan", "Judy",
  "Kofi", "Lena", "Mallory", "Niamh", "Olivia", "Peggy", "Quentin", "Rupert", "Sybil",
  "Trent", "Ursula", "Victor", "Walter", "Xiu", "Yusuf", "Zoë", "Björn", "Łukasz",
  "Søren", "José", "Anaïs", "Chidi", "Dmitri", "Aarav", "Hana", "Mateo", "Ines",
  "Siobhán", "Tomás", "Priya",
};

static const char *const last_names[] = {
  "Smith", "Jones", "O'Brien", "Müller", "García", "Rossi", "Nowak", "Kowalski", "Dubois",
  "Andersson", "Nakamura", "Kim", "Okafor", "Petrov", "Haddad", "Silva", "Novák",
  "Johansson", "Fischer", "Martin", "Bianchi", "Yılmaz", "Costa", "Van Dijk", "Murphy",
  "Schmidt", "Lefèvre", "Ivanova", "Chen", "Patel",
};

static const char *const groups[] = {
  "Family", "Friends", "Work", "Football club", "Neighbours", "University",
  "Open source", "Choir", "Book club", "Travel",
};

static const char *const statuses[] = {
  "In a meeting", "On the train", "Back at 3", "Working from home", "Lunch",
};

typedef struct
{
  GtkWidget  *window;
  GtkWidget  *list_view;

  /* frames */
  guint       n_paints;
  gint64      last_paint;

  /* the step being measured */
  gboolean    measuring;
  gint64      start;
  gint64      model_changed;
  gint64      first_paint;
  gint64      first_rows;
  guint       n_step_paints;
  guint       n_presences;
  guint       n_presences_wanted;
  gint64      presences_applied;

  /* stalls: gaps between runs of a 1 ms timeout, at the default
   * priority and at the priority GDK paints at, and between frames */
  guint       ticker;
  gint64      last_tick;
  gint64      max_gap;
  gint64      max_gap_at;
  guint       redraw_ticker;
  gint64      last_redraw_tick;
  gint64      max_redraw_gap;
  gint64      max_frame_gap;
} Bench;

static gint64
now_us (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

static double
ms (gint64 us)
{
  return us / 1000.;
}

static double
rss_mb (void)
{
  unsigned long size = 0;
  unsigned long resident = 0;
  FILE *statm = fopen ("/proc/self/statm", "r");

  if (statm == NULL)
    return 0.;
  if (fscanf (statm, "%lu %lu", &size, &resident) != 2)
    resident = 0;
  fclose (statm);

  return resident * (double) sysconf (_SC_PAGESIZE) / (1024. * 1024.);
}

static GtkWidget *
find_list_view (GtkWidget *widget)
{
  if (GTK_IS_LIST_VIEW (widget))
    return widget;

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_list_view (child);

      if (found != NULL)
        return found;
    }

  return NULL;
}

static guint
count_rows (GtkWidget *list_view)
{
  guint n = 0;

  for (GtkWidget *child = gtk_widget_get_first_child (list_view);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    n++;

  return n;
}

static void
after_paint_cb (GdkFrameClock *clock,
                Bench         *b)
{
  gint64 t = now_us ();

  b->n_paints++;
  if (b->measuring && t - MAX (b->last_paint, b->start) > b->max_frame_gap)
    b->max_frame_gap = t - MAX (b->last_paint, b->start);
  b->last_paint = t;
  if (!b->measuring)
    return;

  b->n_step_paints++;
  if (b->model_changed != 0 && b->first_paint == 0)
    b->first_paint = t;
  if (b->model_changed != 0 && b->first_rows == 0 && count_rows (b->list_view) > 0)
    b->first_rows = t;
}

static gboolean
tick_cb (gpointer user_data)
{
  Bench *b = user_data;
  gint64 t = now_us ();

  if (b->last_tick != 0 && t - b->last_tick > b->max_gap)
    {
      b->max_gap = t - b->last_tick;
      b->max_gap_at = t;
    }
  b->last_tick = t;

  return G_SOURCE_CONTINUE;
}

static gboolean
redraw_tick_cb (gpointer user_data)
{
  Bench *b = user_data;
  gint64 t = now_us ();

  b->max_redraw_gap = MAX (b->max_redraw_gap, t - b->last_redraw_tick);
  b->last_redraw_tick = t;

  return G_SOURCE_CONTINUE;
}

static void
step_begin (Bench *b)
{
  b->model_changed = 0;
  b->first_paint = 0;
  b->first_rows = 0;
  b->n_step_paints = 0;
  b->presences_applied = 0;
  b->max_gap = 0;
  b->max_gap_at = 0;
  b->max_redraw_gap = 0;
  b->max_frame_gap = 0;
  b->last_tick = now_us ();
  b->last_redraw_tick = b->last_tick;
  b->ticker = g_timeout_add (1, tick_cb, b);
  b->redraw_ticker = g_timeout_add_full (GDK_PRIORITY_REDRAW, 1, redraw_tick_cb, b, NULL);
  b->start = now_us ();
  b->measuring = TRUE;
}

static void
step_end (Bench *b)
{
  g_clear_handle_id (&b->ticker, g_source_remove);
  g_clear_handle_id (&b->redraw_ticker, g_source_remove);
  b->measuring = FALSE;
}

/* Runs the main context until no frame has been painted for QUIET_MS. */
static void
run_until_quiet (Bench *b)
{
  gboolean timed_out = FALSE;
  guint timeout_id = g_timeout_add (WAIT_MS, talk_test_set_true_cb, &timed_out);

  while (!timed_out && now_us () - MAX (b->last_paint, b->start) < QUIET_MS * 1000)
    {
      gboolean waited = FALSE;
      guint wait_id = g_timeout_add (QUIET_MS / 10, talk_test_set_true_cb, &waited);

      while (!waited && !timed_out)
        g_main_context_iteration (NULL, TRUE);
      if (!waited)
        g_source_remove (wait_id);
    }
  if (!timed_out)
    g_source_remove (timeout_id);
}

static void
roster_items_changed_cb (GListModel *model,
                         guint       position,
                         guint       removed,
                         guint       added,
                         Bench      *b)
{
  if (b->measuring && b->model_changed == 0 && added > 0)
    b->model_changed = now_us ();
}

static void
stanza_received_cb (TalkXmppSession *session,
                    TalkXmppStanza  *stanza,
                    Bench           *b)
{
  if (!talk_xmpp_stanza_is (stanza, "presence", TALK_XMPP_NS_CLIENT))
    return;

  /* TalkXmppPresence connected first: the roster has it by now. */
  if (++b->n_presences == b->n_presences_wanted)
    {
      b->presences_applied = now_us ();
      b->model_changed = b->presences_applied;
    }
}

static char *
contact_jid (guint i)
{
  return g_strdup_printf ("contact%u@example.test", i);
}

static char *
build_roster (guint n_contacts)
{
  GString *items = g_string_new (NULL);

  for (guint i = 0; i < n_contacts; i++)
    {
      const char *first = first_names[i % G_N_ELEMENTS (first_names)];
      const char *last = last_names[(i / G_N_ELEMENTS (first_names)) % G_N_ELEMENTS (last_names)];
      g_autofree char *jid = contact_jid (i);
      g_autofree char *name = g_strdup_printf ("%s %s", first, last);
      g_autofree char *item = NULL;

      /* One in twenty has no roster name: the list shows the localpart. */
      if (i % 20 == 19)
        item = g_markup_printf_escaped ("<item jid='%s' subscription='both'>", jid);
      else
        item = g_markup_printf_escaped ("<item jid='%s' name='%s' subscription='both'>",
                                        jid, name);
      g_string_append (items, item);
      g_string_append_printf (items, "<group>%s</group>", groups[i % G_N_ELEMENTS (groups)]);
      /* Some people are in two groups. */
      if (i % 7 == 0)
        g_string_append_printf (items, "<group>%s</group>",
                                groups[(i / 7) % G_N_ELEMENTS (groups)]);
      g_string_append (items, "</item>");
    }

  return g_string_free (items, FALSE);
}

static char *
build_presences (guint n_contacts)
{
  GString *xml = g_string_new (NULL);

  for (guint i = 0; i < n_contacts; i++)
    {
      g_autofree char *jid = contact_jid (i);

      g_string_append_printf (xml, "<presence from='%s/%s' to='" OWN_FULL "'>", jid,
                              i % 3 == 0 ? "phone" : "laptop");
      /* Mostly plain available; some away, busy or chatty, with a status. */
      switch (i % 10)
        {
        case 1:
          g_string_append (xml, "<show>away</show>");
          break;
        case 2:
          g_string_append (xml, "<show>dnd</show>");
          break;
        case 3:
          g_string_append (xml, "<show>chat</show>");
          break;
        default:
          break;
        }
      if (i % 4 == 0)
        g_string_append_printf (xml, "<status>%s</status>", statuses[i % G_N_ELEMENTS (statuses)]);
      g_string_append (xml, "<priority>5</priority></presence>");
    }

  return g_string_free (xml, FALSE);
}

static TalkXmppStanza *
expect_roster_get (TalkTestPeer *peer)
{
  for (;;)
    {
      g_autoptr(TalkXmppStanza) stanza = talk_test_peer_expect (peer, NULL);

      if (talk_xmpp_stanza_is (stanza, "iq", TALK_XMPP_NS_CLIENT) &&
          talk_xmpp_stanza_get_child (stanza, "query", TALK_XMPP_NS_ROSTER) != NULL)
        return g_steal_pointer (&stanza);
    }
}

static void
report_step (Bench      *b,
             const char *what,
             const char *model_what)
{
  printf ("roster-ui: %s: %s after %.1f ms\n", what, model_what, ms (b->model_changed - b->start));
  if (b->first_paint == 0)
    printf ("roster-ui: %s: no frame after it", what);
  else
    printf ("roster-ui: %s: first frame after it at %.1f ms", what, ms (b->first_paint - b->start));
  if (b->first_rows != 0 && b->first_rows != b->first_paint)
    printf (", first frame with rows at %.1f ms", ms (b->first_rows - b->start));
  printf ("\n");
  if (b->n_step_paints > 0)
    printf ("roster-ui: %s: settled (last frame) at %.1f ms, %u frames\n", what,
            ms (b->last_paint - b->start), b->n_step_paints);
  printf ("roster-ui: %s: longest main-loop stall %.1f ms (ended at %.1f ms)\n", what,
          ms (b->max_gap), ms (b->max_gap_at - b->start));
  printf ("roster-ui: %s: longest wait at the paint priority %.1f ms, longest gap between"
          " frames %.1f ms\n", what, ms (b->max_redraw_gap), ms (b->max_frame_gap));
}

static void
search_step (Bench           *b,
             TalkContactList *list,
             const char      *text)
{
  step_begin (b);
  talk_contact_list_set_search_text (list, text);
  b->model_changed = now_us ();
  TALK_TEST_WAIT_UNTIL (b->first_paint != 0, WAIT_MS);
  run_until_quiet (b);
  step_end (b);
}

static void
load_css (void)
{
  g_autoptr(GtkCssProvider) css = gtk_css_provider_new ();

  /* AdwApplication would load it from the resource base path. */
  gtk_css_provider_load_from_resource (css, "/com/example/Talk/style.css");
  gtk_style_context_add_provider_for_display (gdk_display_get_default (),
                                              GTK_STYLE_PROVIDER (css),
                                              GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
}

int
main (int   argc,
      char *argv[])
{
  gboolean without_list = argc > 1 && g_strcmp0 (argv[1], "--without-list") == 0;
  guint n_contacts;
  g_autoptr(TalkXmppJid) jid = NULL;
  g_autoptr(TalkXmppSession) session = NULL;
  g_autoptr(TalkXmppRoster) xmpp_roster = NULL;
  g_autoptr(TalkXmppPresence) presence = NULL;
  g_autoptr(TalkRoster) roster = NULL;
  g_autoptr(TalkXmppStanza) request = NULL;
  g_autofree char *items = NULL;
  g_autofree char *reply = NULL;
  g_autofree char *presences = NULL;
  TalkTestPeer *peer;
  GtkWidget *contact_list;
  GdkFrameClock *clock;
  Bench b = { 0 };
  double rss_start, rss_before, rss_loaded, rss_online;

  if (without_list)
    {
      argc--;
      argv++;
    }
  n_contacts = argc > 1 ? (guint) g_ascii_strtoull (argv[1], NULL, 10) : DEFAULT_CONTACTS;
  if (n_contacts == 0)
    n_contacts = DEFAULT_CONTACTS;

  adw_init ();
  load_css ();
  rss_start = rss_mb ();

  jid = talk_xmpp_jid_new (OWN_BARE, NULL);
  session = talk_xmpp_session_new (jid);
  g_object_set (session, "keepalive-seconds", 0, "auto-reconnect", FALSE, NULL);
  xmpp_roster = talk_xmpp_roster_new (session);
  presence = talk_xmpp_presence_new (session);
  roster = talk_roster_new (xmpp_roster, presence);
  g_signal_connect (roster, "items-changed", G_CALLBACK (roster_items_changed_cb), &b);
  g_signal_connect (session, "stanza-received", G_CALLBACK (stanza_received_cb), &b);

  /* The window as the app shows it: the list bound to the roster, empty. */
  b.window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (b.window), 360, 760);
  contact_list = talk_contact_list_new ();
  if (!without_list)
    talk_contact_list_set_model (TALK_CONTACT_LIST (contact_list), G_LIST_MODEL (roster));
  gtk_window_set_child (GTK_WINDOW (b.window), contact_list);
  b.list_view = find_list_view (contact_list);
  g_assert (b.list_view != NULL);
  gtk_window_present (GTK_WINDOW (b.window));
  clock = gtk_widget_get_frame_clock (b.window);
  g_assert (clock != NULL);
  g_signal_connect (clock, "after-paint", G_CALLBACK (after_paint_cb), &b);
  TALK_TEST_WAIT_UNTIL (b.n_paints > 0, WAIT_MS);
  run_until_quiet (&b);

  items = build_roster (n_contacts);
  presences = build_presences (n_contacts);

  peer = talk_test_peer_new (session, OWN_FULL);
  request = expect_roster_get (peer);
  reply = g_strdup_printf ("<iq type='result' id='%s' to='" OWN_FULL "'>"
                           "<query xmlns='" TALK_XMPP_NS_ROSTER "' ver='v1'>%s</query></iq>",
                           talk_xmpp_stanza_get_id (request), items);
  printf ("roster-ui: %u contacts in %u groups, roster result %.0f kB, presences %.0f kB%s\n",
          n_contacts, (guint) G_N_ELEMENTS (groups), strlen (reply) / 1024.,
          strlen (presences) / 1024., without_list ? ", list without a model" : "");
  printf ("roster-ui: GDK backend %s, renderer %s\n",
          G_OBJECT_TYPE_NAME (gdk_display_get_default ()),
          G_OBJECT_TYPE_NAME (gtk_native_get_renderer (GTK_NATIVE (b.window))));

  /* 1. The roster result */
  rss_before = rss_mb ();
  step_begin (&b);
  talk_test_peer_send_large (peer, reply);
  /* Without the list nothing changes on screen: no frame to wait for. */
  TALK_TEST_WAIT_UNTIL ((b.first_rows != 0 || without_list) &&
                        g_list_model_get_n_items (G_LIST_MODEL (roster)) == n_contacts,
                        WAIT_MS);
  run_until_quiet (&b);
  step_end (&b);
  rss_loaded = rss_mb ();
  report_step (&b, "roster", "model items-changed");

  /* 2. Everyone's presence, as a server sends it after the initial
   * presence: one flood. */
  b.n_presences_wanted = b.n_presences + n_contacts;
  step_begin (&b);
  talk_test_peer_send_large (peer, presences);
  TALK_TEST_WAIT_UNTIL (b.presences_applied != 0 && (b.first_paint != 0 || without_list),
                        WAIT_MS);
  run_until_quiet (&b);
  step_end (&b);
  rss_online = rss_mb ();
  report_step (&b, "presences", "last one applied");

  /* 3. The first letter typed in the search, then the search cleared */
  if (!without_list)
    {
      /* Not a letter of the addresses, which every contact would match. */
      search_step (&b, TALK_CONTACT_LIST (contact_list), "r");
      report_step (&b, "search \"r\"", "list changed");
      search_step (&b, TALK_CONTACT_LIST (contact_list), NULL);
      report_step (&b, "search cleared", "list changed");
    }

  printf ("roster-ui: RSS %.1f MB at start, %.1f MB before the roster, %.1f MB loaded,"
          " %.1f MB with presences\n", rss_start, rss_before, rss_loaded, rss_online);

  gtk_window_destroy (GTK_WINDOW (b.window));
  talk_test_peer_free (peer);
  talk_test_run_for (20);

  return EXIT_SUCCESS;
}
