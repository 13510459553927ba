/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * W4: the whole app, from its start to a signed-in contact list.
 *
 *   bench-app [CONTACTS]
 *
 * The app's own TalkApplication (src/ui compiled in, with its resources;
 * only main.c is this file) run as src/ui/main.c runs it, in demo mode:
 * bench/run-app.py sets TALK_DEMO_* for an account on a private Prosody
 * whose roster holds CONTACTS contacts (default 5000), keeps the server
 * stopped (SIGSTOP) while the window comes up, and continues it when the
 * first line below is out:
 *
 *   start ─► main() ─► window added ─► first frame ─► settled: RSS
 *     ─► "app: started" ─► (server continued) ─► online ─► roster get
 *     ─► roster result parsed ─► in the model ─► first frame with rows
 *     ─► settled: RSS ─► IDLE_MS later: RSS again ─► quit
 *
 * Times are from the process's start (BENCH_START_NS, see bench-clock.h)
 * with CLOCK_MONOTONIC; frames are the window's GdkFrameClock
 * "after-paint"; "settled" is no frame for SETTLE_QUIET_MS (at most
 * SETTLE_MAX_MS after the frame awaited); RSS is /proc/self/statm. The
 * second RSS after the rows is what the app keeps once the sign-in's
 * burst (presences, the server's queries) is over and TalkClient has
 * handed the freed heap back.
 * bench-hello-gtk prints the same for a bare window.
 *
 * Needs a display and a session bus. Prints; never asserts anything
 * about time.
 */
#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>

#include <glib/gi18n.h>

#include "bench-clock.h"
#include "talk-application.h"
#include "talk-client.h"
#include "talk-contact-list.h"
#include "talk-window.h"

#define DEFAULT_CONTACTS 5000
#define SETTLE_QUIET_MS  300
#define SETTLE_MAX_MS    1000
#define ROSTER_SETTLE_MAX_MS 3000
#define IDLE_MS          10000
#define WAIT_MS          120000
#define MS_NS            G_GINT64_CONSTANT (1000000)

typedef enum
{
  PHASE_START,
  PHASE_ROSTER,
  PHASE_IDLE,
  PHASE_DONE,
} Phase;

typedef struct
{
  GApplication *app;
  GtkWidget    *window;
  GtkWidget    *list_view;
  GListModel   *roster;
  guint         n_contacts;
  Phase         phase;
  int           status;

  gint64        start;
  gboolean      exact;
  gint64        main_at;
  gint64        window_added;

  /* frames */
  gint64        first_paint;
  gint64        last_paint;
  guint         n_paints;
  double        rss_start;
  double        rss_start_paint;

  /* the roster */
  gint64        online;
  gint64        requested;
  gint64        result;
  gint64        in_model;
  gint64        model_frame;
  gint64        rows_frame;
  guint         n_paints_before_model;
} App;

static double
since_start (App    *a,
             gint64  t)
{
  return t != 0 ? bench_ms (t - a->start) : -1.;
}

static GtkWidget *
find_widget (GtkWidget *widget,
             GType      type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    return widget;

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_widget (child, type);

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
                App           *a)
{
  gint64 t = bench_now_ns ();

  a->last_paint = t;
  if (a->n_paints++ == 0)
    a->first_paint = t;
  if (a->in_model == 0)
    {
      a->n_paints_before_model = a->n_paints;
      return;
    }
  if (a->model_frame == 0)
    a->model_frame = t;
  if (a->rows_frame == 0 && a->list_view != NULL && count_rows (a->list_view) > 0)
    a->rows_frame = t;
}

static void
realize_cb (GtkWidget *window,
            App       *a)
{
  g_signal_connect (gtk_widget_get_frame_clock (window), "after-paint",
                    G_CALLBACK (after_paint_cb), a);
}

static void
roster_items_changed_cb (GListModel *model,
                         guint       position,
                         guint       removed,
                         guint       added,
                         App        *a)
{
  if (a->in_model == 0 && g_list_model_get_n_items (model) >= a->n_contacts)
    a->in_model = bench_now_ns ();
}

static void
roster_fetching_cb (TalkRoster *roster,
                    GParamSpec *pspec,
                    App        *a)
{
  if (a->requested == 0 && talk_roster_get_fetching (roster))
    a->requested = bench_now_ns ();
}

/* Connected after the session's own handlers, but the signal comes
 * before the stanza is routed: this is the result parsed, not yet
 * handled. */
static void
stanza_received_cb (TalkXmppSession *session,
                    TalkXmppStanza  *stanza,
                    App             *a)
{
  if (a->result == 0 &&
      talk_xmpp_stanza_is (stanza, "iq", TALK_XMPP_NS_CLIENT) &&
      g_strcmp0 (talk_xmpp_stanza_get_attribute (stanza, "type"), "result") == 0 &&
      talk_xmpp_stanza_get_child (stanza, "query", TALK_XMPP_NS_ROSTER) != NULL)
    a->result = bench_now_ns ();
}

static void
client_status_cb (TalkClient *client,
                  GParamSpec *pspec,
                  App        *a)
{
  if (a->online == 0 && talk_client_get_status (client) == TALK_CLIENT_STATUS_ONLINE)
    a->online = bench_now_ns ();
}

static void
window_added_cb (GtkApplication *app,
                 GtkWindow      *window,
                 App            *a)
{
  TalkClient *client;
  TalkXmppSession *session;
  GtkWidget *contact_list;

  if (a->window != NULL || !TALK_IS_WINDOW (window))
    return;

  a->window_added = bench_now_ns ();
  a->window = GTK_WIDGET (window);
  g_signal_connect (window, "realize", G_CALLBACK (realize_cb), a);

  contact_list = find_widget (a->window, TALK_TYPE_CONTACT_LIST);
  if (contact_list != NULL)
    a->list_view = find_widget (contact_list, GTK_TYPE_LIST_VIEW);

  client = talk_window_get_client (TALK_WINDOW (window));
  session = talk_client_get_session (client);
  a->roster = talk_client_get_roster (client);
  if (session == NULL || a->list_view == NULL || !TALK_IS_ROSTER (a->roster))
    {
      g_printerr ("bench-app: no account (are TALK_DEMO_* set?) or no contact list\n");
      a->status = EXIT_FAILURE;
      g_application_quit (G_APPLICATION (app));
      return;
    }
  g_signal_connect (client, "notify::status", G_CALLBACK (client_status_cb), a);
  g_signal_connect (session, "stanza-received", G_CALLBACK (stanza_received_cb), a);
  g_signal_connect (a->roster, "items-changed", G_CALLBACK (roster_items_changed_cb), a);
  g_signal_connect (a->roster, "notify::fetching", G_CALLBACK (roster_fetching_cb), a);
}

static gboolean
settled (App    *a,
         gint64  since,
         gint64  max_ms)
{
  gint64 now = bench_now_ns ();

  return now - a->last_paint >= SETTLE_QUIET_MS * MS_NS || now - since >= max_ms * MS_NS;
}

static void
report_start (App *a)
{
  double anon, file;

  bench_rss_split_mb (&anon, &file);
  printf ("app: renderer %s\n",
          G_OBJECT_TYPE_NAME (gtk_native_get_renderer (GTK_NATIVE (a->window))));
  printf ("app: main() at %.1f ms, window added at %.1f ms, first frame at %.1f ms"
          " after the start%s\n",
          since_start (a, a->main_at), since_start (a, a->window_added),
          since_start (a, a->first_paint),
          a->exact ? "" : " (start from /proc, to 10 ms)");
  printf ("app: started: RSS %.1f MB at the first frame, %.1f MB after %u frames,"
          " %.0f ms after the first (anonymous %.1f MB, files %.1f MB)\n",
          a->rss_start_paint, a->rss_start, a->n_paints,
          bench_ms (bench_now_ns () - a->first_paint), anon, file);
  fflush (stdout);
}

static void
report_roster (App *a)
{
  double anon, file;

  bench_rss_split_mb (&anon, &file);
  printf ("app: online at %.1f ms, roster asked at %.1f ms, result parsed at %.1f ms,"
          " in the model at %.1f ms (%u contacts)\n",
          since_start (a, a->online), since_start (a, a->requested),
          since_start (a, a->result), since_start (a, a->in_model),
          g_list_model_get_n_items (a->roster));
  printf ("app: roster: first frame %.1f ms after the result, %.1f ms after the model;"
          " first frame with rows %.1f ms after the result\n",
          bench_ms (a->model_frame - a->result), bench_ms (a->model_frame - a->in_model),
          bench_ms (a->rows_frame - a->result));
  printf ("app: signed in: RSS %.1f MB with %u contacts listed, %u rows shown"
          " (anonymous %.1f MB, files %.1f MB)\n",
          bench_rss_mb (), g_list_model_get_n_items (a->roster), count_rows (a->list_view),
          anon, file);
  fflush (stdout);
}

static void
report_idle (App *a)
{
  double anon, file;

  bench_rss_split_mb (&anon, &file);
  printf ("app: idle: RSS %.1f MB %d s after the first frame with rows"
          " (anonymous %.1f MB, files %.1f MB)\n",
          bench_rss_mb (), IDLE_MS / 1000, anon, file);
  fflush (stdout);
}

static gboolean
tick_cb (gpointer user_data)
{
  App *a = user_data;

  if (bench_now_ns () - a->main_at > WAIT_MS * MS_NS)
    {
      g_printerr ("bench-app: gave up after %d s (phase %d, %u contacts in the model)\n",
                  WAIT_MS / 1000, a->phase,
                  a->roster != NULL ? g_list_model_get_n_items (a->roster) : 0);
      a->status = EXIT_FAILURE;
      g_application_quit (a->app);
      return G_SOURCE_REMOVE;
    }

  switch (a->phase)
    {
    case PHASE_START:
      if (a->n_paints == 0)
        break;
      if (a->rss_start_paint == 0.)
        a->rss_start_paint = bench_rss_mb ();
      if (!settled (a, a->first_paint, SETTLE_MAX_MS))
        break;
      a->rss_start = bench_rss_mb ();
      report_start (a);
      a->phase = PHASE_ROSTER;
      break;

    case PHASE_ROSTER:
      if (a->rows_frame == 0 || !settled (a, a->rows_frame, ROSTER_SETTLE_MAX_MS))
        break;
      report_roster (a);
      a->phase = PHASE_IDLE;
      break;

    case PHASE_IDLE:
      if (bench_now_ns () - a->rows_frame < IDLE_MS * MS_NS)
        break;
      report_idle (a);
      a->phase = PHASE_DONE;
      g_application_quit (a->app);
      return G_SOURCE_REMOVE;

    case PHASE_DONE:
    default:
      return G_SOURCE_REMOVE;
    }

  return G_SOURCE_CONTINUE;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(TalkApplication) app = NULL;
  char *app_argv[] = { argv[0], NULL };
  App a = { 0 };
  int status;

  a.main_at = bench_now_ns ();
  a.start = bench_start_ns (&a.exact);
  a.n_contacts = argc > 1 ? (guint) g_ascii_strtoull (argv[1], NULL, 10) : DEFAULT_CONTACTS;
  if (a.n_contacts == 0)
    a.n_contacts = DEFAULT_CONTACTS;

  /* As src/ui/main.c does. */
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = talk_application_new ();
  a.app = G_APPLICATION (app);
  g_signal_connect (app, "window-added", G_CALLBACK (window_added_cb), &a);
  g_timeout_add (10, tick_cb, &a);

  status = g_application_run (G_APPLICATION (app), 1, app_argv);

  return a.status != 0 ? a.status : status;
}
