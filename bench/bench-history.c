/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * TalkHistory and TalkConversation on a long conversation.
 *
 *   bench-history [MESSAGES] [RUNS]
 *
 * Fills a history in a temporary folder with MESSAGES (default 100000)
 * messages of one conversation, then reports:
 *
 *   - opening a TalkConversation until its newest page is in the model,
 *     with a fresh TalkHistory (the database opened too) and with one
 *     already open, RUNS times each (default 3);
 *   - reading up to 20 older pages, one after the other;
 *   - storing 10000 messages one by one (a transaction, and a disk flush,
 *     each: synchronous=FULL) and in batches of 100;
 *   - a burst of 10240 incoming messages as TalkChats stores them (batches
 *     of 512, queued back to back) with their conversation open: rate,
 *     and CPU per message on the main thread and on the worker;
 *   - the peak RSS.
 *
 * The figures depend on the disk under $TMPDIR. Prints them; never
 * asserts anything about time.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include <glib/gstdio.h>

#include "talk-conversation.h"
#include "talk-history.h"

#define ACCOUNT "me@example.test"
#define ALICE "alice@example.test"
#define BOB "bob@example.test"
#define PAGE_SIZE 50
#define N_OLDER_PAGES 20
#define N_INSERTS 10000
#define INSERT_BATCH 100
#define FILL_BATCH 1000
#define CAROL "carol@example.test"
#define N_BURST 10240
#define BURST_BATCH 512

static const char *const bodies[] = {
  "Are you coming tonight? We could meet at the station at eight.",
  "Sure, I will bring the tickets. See you there!",
  "The build is green again, thanks for looking into it so fast.",
  "Running ten minutes late, the tram is stuck behind a delivery van.",
};

/* 2023-11-14 22:13:20 UTC */
#define T0 G_GINT64_CONSTANT (1700000000000000)

static GAsyncResult *result;

static void
store_result_cb (GObject      *source,
                 GAsyncResult *res,
                 gpointer      user_data)
{
  result = g_object_ref (res);
}

/* Runs the main context until an operation completes; takes its result. */
static GAsyncResult *
wait_result (void)
{
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return g_steal_pointer (&result);
}

static double
now_ms (void)
{
  return g_get_monotonic_time () / 1000.0;
}

static TalkMessage *
message_new (const char *peer,
             guint       n)
{
  g_autoptr(GDateTime) seconds = g_date_time_new_from_unix_utc (T0 / G_USEC_PER_SEC + n);
  g_autoptr(GDateTime) timestamp = g_date_time_add (seconds, 1234);
  g_autofree char *id = g_strdup_printf ("%s-%u", peer, n);

  return g_object_new (TALK_TYPE_MESSAGE,
                       "peer", peer,
                       "direction", n % 2 ? TALK_MESSAGE_DIRECTION_OUT : TALK_MESSAGE_DIRECTION_IN,
                       "sender", n % 2 ? ACCOUNT "/laptop" : ALICE "/phone",
                       "body", bodies[n % G_N_ELEMENTS (bodies)],
                       "timestamp", timestamp,
                       "state", TALK_MESSAGE_STATE_READ,
                       "stanza-id", id,
                       "stanza-id-by", ACCOUNT,
                       "origin-id", id,
                       "message-id", id,
                       NULL);
}

static void
check (gboolean      ok,
       const GError *error,
       const char   *what)
{
  if (ok)
    return;

  g_printerr ("bench-history: %s failed: %s\n", what, error ? error->message : "?");
  exit (EXIT_FAILURE);
}

static void
store_batch (TalkHistory *history,
             GPtrArray   *messages)
{
  g_autoptr(GAsyncResult) res = NULL;
  g_autoptr(GError) error = NULL;
  gboolean ok;

  talk_history_store_batch_async (history, ACCOUNT, messages, NULL, store_result_cb, NULL);
  res = wait_result ();
  ok = talk_history_store_batch_finish (history, res, NULL, &error);
  check (ok, error, "storing a batch");
}

static void
fill (TalkHistory *history,
      const char  *peer,
      guint        first,
      guint        n,
      guint        batch_size)
{
  for (guint done = 0; done < n; done += batch_size)
    {
      g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);

      for (guint i = done; i < MIN (n, done + batch_size); i++)
        g_ptr_array_add (batch, message_new (peer, first + i));
      store_batch (history, batch);
    }
}

static void
close_history (TalkHistory *history)
{
  g_autoptr(GAsyncResult) res = NULL;
  g_autoptr(GError) error = NULL;
  gboolean ok;

  talk_history_close_async (history, NULL, store_result_cb, NULL);
  res = wait_result ();
  ok = talk_history_close_finish (history, res, &error);
  check (ok, error, "closing");
}

/* Milliseconds from creating the conversation to its newest page in the
 * model. */
static guint n_messages;

static double
open_conversation (TalkHistory       *history,
                   TalkConversation **out)
{
  double start = now_ms ();
  TalkConversation *conversation = talk_conversation_new (history, ACCOUNT, ALICE);
  double elapsed;

  while (talk_conversation_get_loading (conversation))
    g_main_context_iteration (NULL, TRUE);
  elapsed = now_ms () - start;

  check (talk_conversation_get_error (conversation) == NULL,
         talk_conversation_get_error (conversation), "opening the conversation");
  if (g_list_model_get_n_items (G_LIST_MODEL (conversation)) != MIN (PAGE_SIZE, n_messages))
    {
      g_printerr ("bench-history: the newest page has %u messages\n",
                  g_list_model_get_n_items (G_LIST_MODEL (conversation)));
      exit (EXIT_FAILURE);
    }

  if (out != NULL)
    *out = conversation;
  else
    g_object_unref (conversation);
  return elapsed;
}

static void
bench_open (const char *path,
            guint       runs)
{
  for (guint run = 0; run < runs; run++)
    {
      g_autoptr(TalkHistory) history = talk_history_new (path);
      guint64 rows_before = talk_history_get_rows_read (history);
      double ms = open_conversation (history, NULL);

      printf ("history: run %u: open conversation, opening the database too: %.2f ms"
              " (%" G_GUINT64_FORMAT " rows read)\n",
              run + 1, ms, talk_history_get_rows_read (history) - rows_before);
      close_history (history);
    }

  {
    g_autoptr(TalkHistory) history = talk_history_new (path);

    /* Opened once; every conversation after that only reads its page. */
    open_conversation (history, NULL);
    for (guint run = 0; run < runs; run++)
      printf ("history: run %u: open conversation, history open: %.2f ms\n",
              run + 1, open_conversation (history, NULL));
    close_history (history);
  }
}

static void
bench_older_pages (const char *path)
{
  g_autoptr(TalkHistory) history = talk_history_new (path);
  g_autoptr(TalkConversation) conversation = NULL;
  guint n_pages = MIN (N_OLDER_PAGES, (n_messages - MIN (n_messages, PAGE_SIZE)) / PAGE_SIZE);
  double total = 0;
  double slowest = 0;

  if (n_pages == 0)
    return;

  open_conversation (history, &conversation);
  for (guint i = 0; i < n_pages; i++)
    {
      g_autoptr(GAsyncResult) res = NULL;
      g_autoptr(GError) error = NULL;
      double start = now_ms ();
      guint n_added = 0;
      gboolean ok;
      double elapsed;

      talk_conversation_load_older_async (conversation, NULL, store_result_cb, NULL);
      res = wait_result ();
      ok = talk_conversation_load_older_finish (conversation, res, &n_added, &error);
      check (ok, error, "loading an older page");
      elapsed = now_ms () - start;
      total += elapsed;
      slowest = MAX (slowest, elapsed);
    }

  printf ("history: older pages: %.2f ms per page of %d on average, %.2f ms the slowest"
          " (%u pages, %u messages in the model)\n",
          total / n_pages, PAGE_SIZE, slowest, n_pages,
          g_list_model_get_n_items (G_LIST_MODEL (conversation)));
  g_clear_object (&conversation);
  close_history (history);
}

static void
bench_inserts (const char *path)
{
  g_autoptr(TalkHistory) history = talk_history_new (path);
  double start;
  double elapsed;

  start = now_ms ();
  for (guint i = 0; i < N_INSERTS; i++)
    {
      g_autoptr(TalkMessage) message = message_new (BOB, i);
      g_autoptr(GAsyncResult) res = NULL;
      g_autoptr(GError) error = NULL;
      TalkHistoryOutcome outcome;

      talk_history_store_async (history, ACCOUNT, message, NULL, store_result_cb, NULL);
      res = wait_result ();
      talk_history_store_finish (history, res, &outcome, &error);
      check (error == NULL && outcome == TALK_HISTORY_OUTCOME_STORED, error, "storing");
    }
  elapsed = now_ms () - start;
  printf ("history: %d messages stored one by one (a transaction each, synchronous=FULL):"
          " %.0f messages/s, %.3f ms each\n",
          N_INSERTS, N_INSERTS / (elapsed / 1000.0), elapsed / N_INSERTS);

  start = now_ms ();
  fill (history, BOB, N_INSERTS, N_INSERTS, INSERT_BATCH);
  elapsed = now_ms () - start;
  printf ("history: %d messages stored in batches of %d (a transaction each):"
          " %.0f messages/s, %.2f ms per batch\n",
          N_INSERTS, INSERT_BATCH, N_INSERTS / (elapsed / 1000.0),
          elapsed / (N_INSERTS / INSERT_BATCH));
  close_history (history);
}

/* A live message as TalkChats makes it: delivered, unread, with the
 * server's stanza-id (its archive id too), an origin-id and a body of
 * about 100 bytes. */
static TalkMessage *
live_message_new (guint n)
{
  g_autoptr(GDateTime) seconds = g_date_time_new_from_unix_utc (T0 / G_USEC_PER_SEC + n);
  g_autoptr(GDateTime) timestamp = g_date_time_add (seconds, 1234);
  g_autofree char *id = g_strdup_printf ("burst-%u", n);
  g_autofree char *body = g_strdup_printf ("%s (%u)", bodies[n % G_N_ELEMENTS (bodies)], n);

  return g_object_new (TALK_TYPE_MESSAGE,
                       "peer", CAROL,
                       "direction", TALK_MESSAGE_DIRECTION_IN,
                       "sender", CAROL "/phone",
                       "body", body,
                       "timestamp", timestamp,
                       "state", TALK_MESSAGE_STATE_DELIVERED,
                       "stanza-id", id,
                       "stanza-id-by", ACCOUNT,
                       "archive-id", id,
                       "origin-id", id,
                       "message-id", id,
                       "markable", TRUE,
                       NULL);
}

static guint burst_pending;

static void
burst_stored_cb (GObject      *source,
                 GAsyncResult *res,
                 gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  gboolean ok = talk_history_store_batch_finish (TALK_HISTORY (source), res, NULL, &error);

  check (ok, error, "storing a burst");
  burst_pending--;
}

static double
cpu_ms (clockid_t clock)
{
  struct timespec ts;

  clock_gettime (clock, &ts);
  return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

/*
 * W2 "drained" without the network: the batches TalkChats hands over
 * while a burst comes in, all queued at once, with the conversation open
 * as a chat window holds it. The messages are made before the clock
 * starts; what is measured is the store (worker) and the announcements
 * and the model (main thread).
 */
static void
bench_burst (const char *path)
{
  g_autoptr(TalkHistory) history = talk_history_new (path);
  g_autoptr(TalkConversation) conversation = NULL;
  g_autoptr(GPtrArray) batches = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
  double start, process_start, main_start;
  double elapsed, process_ms, main_ms;

  conversation = talk_conversation_new (history, ACCOUNT, CAROL);
  while (talk_conversation_get_loading (conversation))
    g_main_context_iteration (NULL, TRUE);

  for (guint done = 0; done < N_BURST; done += BURST_BATCH)
    {
      GPtrArray *batch = g_ptr_array_new_with_free_func (g_object_unref);

      for (guint i = done; i < MIN (N_BURST, done + BURST_BATCH); i++)
        g_ptr_array_add (batch, live_message_new (i));
      g_ptr_array_add (batches, batch);
    }

  start = now_ms ();
  process_start = cpu_ms (CLOCK_PROCESS_CPUTIME_ID);
  main_start = cpu_ms (CLOCK_THREAD_CPUTIME_ID);
  for (guint i = 0; i < batches->len; i++)
    {
      talk_history_store_batch_async (history, ACCOUNT, g_ptr_array_index (batches, i), NULL,
                                      burst_stored_cb, NULL);
      burst_pending++;
    }
  while (burst_pending > 0)
    g_main_context_iteration (NULL, TRUE);
  elapsed = now_ms () - start;
  process_ms = cpu_ms (CLOCK_PROCESS_CPUTIME_ID) - process_start;
  main_ms = cpu_ms (CLOCK_THREAD_CPUTIME_ID) - main_start;

  if (g_list_model_get_n_items (G_LIST_MODEL (conversation)) != N_BURST)
    {
      g_printerr ("bench-history: %u of the burst in the model\n",
                  g_list_model_get_n_items (G_LIST_MODEL (conversation)));
      exit (EXIT_FAILURE);
    }

  printf ("history: a burst of %d live messages in batches of %d, conversation open:"
          " %.0f messages/s; CPU per message %.2f µs (main thread %.2f µs, worker %.2f µs)\n",
          N_BURST, BURST_BATCH, N_BURST / (elapsed / 1000.0),
          process_ms * 1000.0 / N_BURST, main_ms * 1000.0 / N_BURST,
          (process_ms - main_ms) * 1000.0 / N_BURST);
  g_clear_object (&conversation);
  close_history (history);
}

static void
remove_dir (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      g_remove (child);
    }
  g_rmdir (path);
}

int
main (int    argc,
      char **argv)
{
  guint runs = argc > 2 ? (guint) g_ascii_strtoull (argv[2], NULL, 10) : 3;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  struct rusage usage;
  GStatBuf st;
  double start;

  n_messages = argc > 1 ? (guint) g_ascii_strtoull (argv[1], NULL, 10) : 100000;
  if (n_messages == 0 || runs == 0)
    {
      g_printerr ("usage: %s [MESSAGES] [RUNS]\n", argv[0]);
      return EXIT_FAILURE;
    }

  dir = g_dir_make_tmp ("bench-history-XXXXXX", &error);
  check (dir != NULL, error, "making a temporary folder");
  path = g_build_filename (dir, "history.db", NULL);

  {
    g_autoptr(TalkHistory) history = talk_history_new (path);

    start = now_ms ();
    fill (history, ALICE, 0, n_messages, FILL_BATCH);
    printf ("history: %u messages in one conversation, stored in %.1f s (batches of %d),"
            " full-text index %s\n",
            n_messages, (now_ms () - start) / 1000.0, FILL_BATCH,
            talk_history_get_indexed (history) ? "on" : "off");
    close_history (history);
  }
  if (g_stat (path, &st) == 0)
    printf ("history: database %.1f MB in %s\n", st.st_size / 1e6, dir);

  bench_open (path, runs);
  bench_older_pages (path);
  bench_inserts (path);
  bench_burst (path);

  getrusage (RUSAGE_SELF, &usage);
  printf ("history: peak RSS %.1f MB\n", usage.ru_maxrss / 1024.0);

  remove_dir (dir);
  return EXIT_SUCCESS;
}
