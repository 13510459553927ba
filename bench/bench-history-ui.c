/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * W5: a long conversation opened in the chat page, then scrolled to its
 * beginning.
 *
 *   bench-history-ui [MESSAGES] [RUNS] [SCROLL_SECONDS]
 *
 * Fills a history in a temporary folder ($XDG_DATA_HOME/talk/history.db,
 * where TalkClient opens it) with MESSAGES (default 100000) messages of
 * one conversation, in batches of FILL_BATCH through TalkHistory's batch
 * API. A TalkClient holds an account that is offline (no server: the
 * page reads the history only), and a window of the size of the chat
 * area of Talk's window shows, RUNS times (default 5), the real
 * TalkChatPage (src/ui compiled in, with the app's resources):
 *
 *   talk_chat_page_new () and set in the window ─► newest page in the model
 *     ─► first frame with rows ─► first frame scrolled to the newest
 *     ─► settled
 *   then, every frame, the view set to its top (a user holding the
 *   scroll bar there): the page reads an older page each time it reaches
 *   the top ─► … ─► no older messages and the view at the top, or
 *   SCROLL_SECONDS (default 30) gone by: how far it got then
 *
 * It reports, with CLOCK_MONOTONIC from the open call, those moments,
 * the frames (GdkFrameClock "after-paint") and the longest gap between
 * two, and RSS (/proc/self/statm) before and after. Needs a display: run
 * it under `xvfb-run -a`. Prints; never asserts anything about time.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include <adwaita.h>
#include <glib/gstdio.h>

#include "bench-clock.h"
#include "talk-chat-page.h"
#include "talk-client.h"
#include "talk-history.h"

#define ACCOUNT "me@example.test"
#define ALICE "alice@example.test"
#define DEFAULT_MESSAGES 100000
#define DEFAULT_RUNS 5
#define DEFAULT_SCROLL_SECONDS 30
#define FILL_BATCH 1000
#define PAGE_SIZE 50
/* Talk's default window (960×640) less its contact list. */
#define WIDTH  640
#define HEIGHT 640
#define QUIET_MS 300
#define SETTLE_MAX_MS 2000
#define WAIT_MS 600000
#define MS_NS G_GINT64_CONSTANT (1000000)
/* Nothing listens there: the account stays offline. */
#define NO_SERVER_PORT 9

/* 2023-11-14 22:13:20 UTC */
#define T0 G_GINT64_CONSTANT (1700000000)

static const char *const bodies[] = {
  "Are you coming tonight? We could meet at the station at eight.",
  "Sure, I will bring the tickets. See you there!",
  "The build is green again, thanks for looking into it so fast. *Really* quick.",
  "Running ten minutes late, the tram is stuck behind a delivery van.",
  "Here is the link: https://example.org/tickets?id=42 — print it, please.",
  "ok",
};

typedef struct
{
  GtkWidget        *window;
  GtkWidget        *list_view;
  GtkAdjustment    *adjustment;
  TalkConversation *conversation;

  guint             n_paints;
  gint64            last_paint;

  /* the step being measured */
  gint64            start;
  gint64            in_model;
  gint64            first_rows;
  gint64            at_bottom;
  gint64            at_top;
  guint             n_step_paints;
  gint64            max_frame_gap;
  gboolean          scrolling;
  gint64            scroll_limit;
  gboolean          gave_up;
} Bench;

static GAsyncResult *result;

static void
store_result_cb (GObject      *source,
                 GAsyncResult *res,
                 gpointer      user_data)
{
  result = g_object_ref (res);
}

static GAsyncResult *
wait_result (void)
{
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return g_steal_pointer (&result);
}

static void
check (gboolean      ok,
       const GError *error,
       const char   *what)
{
  if (ok)
    return;

  g_printerr ("bench-history-ui: %s failed: %s\n", what, error ? error->message : "?");
  exit (EXIT_FAILURE);
}

static gboolean
set_true_cb (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Runs the main context until @done or WAIT_MS. */
static void
run_until (gboolean   (*done) (Bench *),
           Bench       *b,
           const char  *what)
{
  gboolean timed_out = FALSE;
  guint timeout_id = g_timeout_add (WAIT_MS, set_true_cb, &timed_out);

  while (!done (b) && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (timed_out)
    {
      g_printerr ("bench-history-ui: no %s after %d s\n", what, WAIT_MS / 1000);
      exit (EXIT_FAILURE);
    }
  g_source_remove (timeout_id);
}

/* Runs the main context until no frame for QUIET_MS, at most
 * SETTLE_MAX_MS. */
static void
settle (Bench *b)
{
  gint64 since = bench_now_ns ();

  for (;;)
    {
      gboolean waited = FALSE;
      gint64 now;

      g_timeout_add (QUIET_MS / 10, set_true_cb, &waited);
      while (!waited)
        g_main_context_iteration (NULL, TRUE);
      now = bench_now_ns ();
      if (now - MAX (b->last_paint, since) >= QUIET_MS * MS_NS ||
          now - since >= SETTLE_MAX_MS * MS_NS)
        return;
    }
}

static TalkMessage *
message_new (guint n)
{
  g_autoptr(GDateTime) timestamp = NULL;
  g_autofree char *id = g_strdup_printf ("m-%u", n);
  g_autofree char *body = NULL;

  /* A message a minute, in runs of one sender: rows grouped by sender
   * and day as in life. */
  timestamp = g_date_time_new_from_unix_utc (T0 + (gint64) n * 60);
  if (n % 7 == 0)
    body = g_strdup_printf ("%s (%u)", bodies[n % G_N_ELEMENTS (bodies)], n);
  else
    body = g_strdup (bodies[n % G_N_ELEMENTS (bodies)]);

  return g_object_new (TALK_TYPE_MESSAGE,
                       "peer", ALICE,
                       "direction", (n / 3) % 2 ? TALK_MESSAGE_DIRECTION_OUT
                                                : TALK_MESSAGE_DIRECTION_IN,
                       "sender", (n / 3) % 2 ? ACCOUNT "/laptop" : ALICE "/phone",
                       "body", body,
                       "timestamp", timestamp,
                       "state", TALK_MESSAGE_STATE_READ,
                       "stanza-id", id,
                       "stanza-id-by", ACCOUNT,
                       "origin-id", id,
                       "message-id", id,
                       NULL);
}

static void
fill (guint n_messages)
{
  g_autoptr(TalkHistory) history = talk_history_new (NULL);
  g_autoptr(GAsyncResult) closed = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start = bench_now_ns ();

  for (guint done = 0; done < n_messages; done += FILL_BATCH)
    {
      g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
      g_autoptr(GAsyncResult) res = NULL;
      gboolean ok;

      for (guint i = done; i < MIN (n_messages, done + FILL_BATCH); i++)
        g_ptr_array_add (batch, message_new (i));
      talk_history_store_batch_async (history, ACCOUNT, batch, NULL, store_result_cb, NULL);
      res = wait_result ();
      ok = talk_history_store_batch_finish (history, res, NULL, &error);
      check (ok, error, "storing a batch");
    }

  talk_history_close_async (history, NULL, store_result_cb, NULL);
  closed = wait_result ();
  check (talk_history_close_finish (history, closed, &error), error, "closing");
  printf ("history-ui: %u messages stored in %.1f s, %s\n", n_messages,
          bench_ms (bench_now_ns () - start) / 1000., talk_history_get_path (history));
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

/* The page's message list: the list view over the conversation (the
 * search panel has a list of its own). */
static GtkWidget *
find_message_list (GtkWidget        *widget,
                   TalkConversation *conversation)
{
  if (GTK_IS_LIST_VIEW (widget))
    {
      GtkSelectionModel *model = gtk_list_view_get_model (GTK_LIST_VIEW (widget));

      if (GTK_IS_NO_SELECTION (model) &&
          gtk_no_selection_get_model (GTK_NO_SELECTION (model)) == G_LIST_MODEL (conversation))
        return widget;
    }

  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_message_list (child, conversation);

      if (found != NULL)
        return found;
    }

  return NULL;
}

static gboolean
view_at_bottom (Bench *b)
{
  double value = gtk_adjustment_get_value (b->adjustment);
  double end = gtk_adjustment_get_upper (b->adjustment) -
               gtk_adjustment_get_page_size (b->adjustment);

  /* A conversation shorter than the view has nothing to scroll. */
  return value >= end - 1;
}

static gboolean
all_read (Bench *b)
{
  return !talk_conversation_get_has_older (b->conversation) &&
         !talk_conversation_get_loading (b->conversation);
}

static void
after_paint_cb (GdkFrameClock *clock,
                Bench         *b)
{
  gint64 t = bench_now_ns ();

  if (b->start != 0 && t - MAX (b->last_paint, b->start) > b->max_frame_gap)
    b->max_frame_gap = t - MAX (b->last_paint, b->start);
  b->n_paints++;
  b->n_step_paints++;
  b->last_paint = t;
  if (b->list_view == NULL || g_list_model_get_n_items (G_LIST_MODEL (b->conversation)) == 0)
    return;

  if (b->first_rows == 0 && count_rows (b->list_view) > 0)
    b->first_rows = t;
  if (b->first_rows != 0 && b->at_bottom == 0 && view_at_bottom (b))
    b->at_bottom = t;
  if (b->scrolling && b->at_top == 0 && all_read (b) &&
      gtk_adjustment_get_value (b->adjustment) <= 0.)
    b->at_top = t;
}

/* The user holds the view at the top: each frame sets it there again
 * after an older page pushed the rows down. */
static gboolean
scroll_up_tick_cb (GtkWidget     *widget,
                   GdkFrameClock *clock,
                   gpointer       user_data)
{
  Bench *b = user_data;

  if (b->at_top != 0 || b->gave_up)
    return G_SOURCE_REMOVE;
  if (gtk_adjustment_get_value (b->adjustment) > 0.)
    gtk_adjustment_set_value (b->adjustment, 0.);

  return G_SOURCE_CONTINUE;
}

static void
conversation_items_changed_cb (GListModel *model,
                               guint       position,
                               guint       removed,
                               guint       added,
                               Bench      *b)
{
  if (b->in_model == 0 && added > 0)
    b->in_model = bench_now_ns ();
}

static void
step_begin (Bench *b)
{
  b->n_step_paints = 0;
  b->max_frame_gap = 0;
  b->start = bench_now_ns ();
}

static gboolean
shown (Bench *b)
{
  return b->first_rows != 0 && b->at_bottom != 0;
}

static gboolean
at_top (Bench *b)
{
  if (b->at_top == 0 && bench_now_ns () - b->start > b->scroll_limit)
    b->gave_up = TRUE;
  return b->at_top != 0 || b->gave_up;
}

static gboolean
window_painted (Bench *b)
{
  return b->n_paints > 0;
}

typedef struct
{
  double open_rows;
  double open_bottom;
  double top;
  double top_frames;
  double top_gap;
  double per_page;
} Run;

static Run
run_once (Bench       *b,
          TalkClient  *client,
          TalkContact *contact,
          guint        run)
{
  Run r = { 0 };
  GtkWidget *page;
  guint n_items;
  double rss_before = bench_rss_mb ();

  b->in_model = b->first_rows = b->at_bottom = b->at_top = 0;
  b->scrolling = b->gave_up = FALSE;

  /* 1. Open: the page reads the newest page itself. */
  step_begin (b);
  page = talk_chat_page_new (client, contact);
  gtk_window_set_child (GTK_WINDOW (b->window), page);
  b->conversation = talk_chat_page_get_conversation (TALK_CHAT_PAGE (page));
  check (b->conversation != NULL, NULL, "opening the conversation (no chats)");
  if (g_list_model_get_n_items (G_LIST_MODEL (b->conversation)) > 0)
    b->in_model = bench_now_ns ();
  g_signal_connect (b->conversation, "items-changed",
                    G_CALLBACK (conversation_items_changed_cb), b);
  b->list_view = find_message_list (page, b->conversation);
  check (b->list_view != NULL, NULL, "finding the message list");
  b->adjustment = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (b->list_view));
  run_until (shown, b, "frame with the newest page");
  settle (b);
  r.open_rows = bench_ms (b->first_rows - b->start);
  r.open_bottom = bench_ms (b->at_bottom - b->start);
  n_items = g_list_model_get_n_items (G_LIST_MODEL (b->conversation));
  printf ("history-ui: run %u: open: newest page in the model at %.1f ms, first frame"
          " with rows at %.1f ms, at the newest at %.1f ms, settled at %.1f ms"
          " (%u frames, %u messages, %u rows)\n",
          run, bench_ms (b->in_model - b->start), r.open_rows, r.open_bottom,
          bench_ms (b->last_paint - b->start), b->n_step_paints, n_items,
          count_rows (b->list_view));

  /* 2. To the top */
  step_begin (b);
  b->scrolling = TRUE;
  gtk_widget_add_tick_callback (b->list_view, scroll_up_tick_cb, b, NULL);
  run_until (at_top, b, "top");
  r.top = bench_ms ((b->gave_up ? bench_now_ns () : b->at_top) - b->start);
  r.top_frames = b->n_step_paints;
  r.top_gap = bench_ms (b->max_frame_gap);
  n_items = g_list_model_get_n_items (G_LIST_MODEL (b->conversation));
  r.per_page = r.top / MAX (1, (n_items - PAGE_SIZE) / PAGE_SIZE);
  printf ("history-ui: run %u: %s: %.2f s, %u frames, longest gap between frames"
          " %.1f ms, %u messages in the model (%.2f ms per page of %d), RSS %.1f MB → %.1f MB\n",
          run, b->gave_up ? "towards the top, stopped" : "to the top", r.top / 1000.,
          b->n_step_paints, r.top_gap, n_items, r.per_page, PAGE_SIZE,
          rss_before, bench_rss_mb ());
  fflush (stdout);

  g_signal_handlers_disconnect_by_data (b->conversation, b);
  b->conversation = NULL;
  b->list_view = NULL;
  b->adjustment = NULL;
  gtk_window_set_child (GTK_WINDOW (b->window), NULL);
  step_begin (b);
  settle (b);

  return r;
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) &&
          !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static int
compare_doubles (const void *a,
                 const void *b)
{
  double x = *(const double *) a;
  double y = *(const double *) b;

  return (x > y) - (x < y);
}

static void
report (const char *what,
        double     *values,
        guint       n,
        const char *unit)
{
  double median;

  qsort (values, n, sizeof *values, compare_doubles);
  median = n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
  printf ("history-ui: %s: median %.1f %s (min %.1f, max %.1f, %u runs)\n",
          what, median, unit, values[0], values[n - 1], n);
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
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("talk-bench-history-ui-XXXXXX", &error);
  g_autofree char *data = NULL;
  g_autoptr(TalkClient) client = NULL;
  g_autoptr(TalkContact) contact = NULL;
  g_autofree Run *runs = NULL;
  g_autofree double *values = NULL;
  guint n_messages = argc > 1 ? (guint) g_ascii_strtoull (argv[1], NULL, 10) : DEFAULT_MESSAGES;
  guint n_runs = argc > 2 ? (guint) g_ascii_strtoull (argv[2], NULL, 10) : DEFAULT_RUNS;
  guint scroll_seconds = argc > 3 ? (guint) g_ascii_strtoull (argv[3], NULL, 10)
                                  : DEFAULT_SCROLL_SECONDS;
  Bench b = { 0 };

  check (dir != NULL, error, "making a temporary folder");
  if (n_messages == 0)
    n_messages = DEFAULT_MESSAGES;
  if (n_runs == 0)
    n_runs = DEFAULT_RUNS;
  if (scroll_seconds == 0)
    scroll_seconds = DEFAULT_SCROLL_SECONDS;
  b.scroll_limit = scroll_seconds * G_GINT64_CONSTANT (1000000000);

  /* Before GLib reads them: the history, settings and caches of this run
   * only. */
  data = g_build_filename (dir, "data", NULL);
  g_setenv ("XDG_DATA_HOME", data, TRUE);
  g_setenv ("XDG_CACHE_HOME", dir, TRUE);
  g_setenv ("XDG_STATE_HOME", dir, TRUE);
  g_setenv ("XDG_CONFIG_HOME", dir, TRUE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  if (g_getenv ("GSETTINGS_SCHEMA_DIR") == NULL)
    g_setenv ("GSETTINGS_SCHEMA_DIR", BENCH_SCHEMA_DIR, TRUE);

  fill (n_messages);

  adw_init ();
  load_css ();

  client = talk_client_new ();
  talk_client_start_with_password (client, ACCOUNT, "unused", "127.0.0.1", NO_SERVER_PORT,
                                   NULL);
  talk_client_set_presence (client, TALK_XMPP_PRESENCE_SHOW_OFFLINE, NULL);
  contact = talk_contact_new (ALICE);

  b.window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (b.window), WIDTH, HEIGHT);
  gtk_window_present (GTK_WINDOW (b.window));
  g_signal_connect (gtk_widget_get_frame_clock (b.window), "after-paint",
                    G_CALLBACK (after_paint_cb), &b);
  run_until (window_painted, &b, "first frame of the window");
  printf ("history-ui: GDK backend %s, renderer %s, window %d×%d, RSS %.1f MB\n",
          G_OBJECT_TYPE_NAME (gdk_display_get_default ()),
          G_OBJECT_TYPE_NAME (gtk_native_get_renderer (GTK_NATIVE (b.window))),
          WIDTH, HEIGHT, bench_rss_mb ());

  runs = g_new0 (Run, n_runs);
  for (guint i = 0; i < n_runs; i++)
    runs[i] = run_once (&b, client, contact, i + 1);

  values = g_new (double, n_runs);
#define REPORT(field, what, unit) \
  G_STMT_START { \
    for (guint i = 0; i < n_runs; i++) \
      values[i] = runs[i].field; \
    report (what, values, n_runs, unit); \
  } G_STMT_END
  REPORT (open_rows, "open → first frame with the newest page", "ms");
  REPORT (open_bottom, "open → first frame at the newest message", "ms");
  REPORT (top, "scrolling towards the top (until the top or the time limit)", "ms");
  REPORT (per_page, "per older page while scrolling", "ms");
  REPORT (top_frames, "frames while scrolling to the top", "");
  REPORT (top_gap, "longest gap between frames while scrolling", "ms");
#undef REPORT
  printf ("history-ui: RSS at the end %.1f MB\n", bench_rss_mb ());

  gtk_window_destroy (GTK_WINDOW (b.window));
  g_clear_object (&client);
  remove_tree (dir);

  return EXIT_SUCCESS;
}
