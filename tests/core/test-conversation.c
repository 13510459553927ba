/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * TalkConversation over a real TalkHistory in a temporary folder. Every
 * test records the model's items-changed (position, removed, added) and
 * asserts on it, and the notifications of the messages it holds.
 */

#include "config.h"

#include <glib/gstdio.h>

#include "talk-conversation.h"
#include "talk-core-error.h"
#include "talk-test-peer.h"

#define ACCOUNT "me@example.test"
#define ME "me@example.test/laptop"
#define ALICE "alice@example.test"
#define ALICE_FULL "alice@example.test/home"
#define BOB "bob@example.test"

#define WAIT_UNTIL(cond) TALK_TEST_WAIT_UNTIL (cond, TALK_TEST_PEER_TIMEOUT_MS)

#define T0 G_GINT64_CONSTANT (1700000000000000)

typedef struct
{
  guint position;
  guint removed;
  guint added;
} Change;

typedef struct
{
  char *dir;
  char *path;
  TalkHistory *history;
  TalkConversation *conversation;
  GArray *changes;            /* Change */
  GHashTable *notified;       /* property name → count, of watched messages */
} Fixture;

static GDateTime *
date_time_from_us (gint64 us)
{
  g_autoptr(GDateTime) seconds = g_date_time_new_from_unix_utc (us / G_USEC_PER_SEC);

  return g_date_time_add (seconds, us % G_USEC_PER_SEC);
}

static TalkMessage *
message_new (const char *peer,
             guint       n,
             gint64      timestamp_us)
{
  g_autoptr(GDateTime) timestamp = date_time_from_us (timestamp_us);
  g_autofree char *body = g_strdup_printf ("message %u", n);
  g_autofree char *id = g_strdup_printf ("%s-%u", peer, n);

  return g_object_new (TALK_TYPE_MESSAGE,
                       "peer", peer,
                       "direction", TALK_MESSAGE_DIRECTION_IN,
                       "sender", ALICE_FULL,
                       "body", body,
                       "timestamp", timestamp,
                       "state", TALK_MESSAGE_STATE_DELIVERED,
                       "stanza-id", id,
                       "stanza-id-by", ACCOUNT,
                       "message-id", id,
                       NULL);
}

static void
items_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  Fixture    *f)
{
  Change change = { position, removed, added };

  g_array_append_val (f->changes, change);
}

static void
assert_changes (Fixture      *f,
                const Change *expected,
                guint         n_expected)
{
  g_assert_cmpuint (f->changes->len, ==, n_expected);
  for (guint i = 0; i < n_expected; i++)
    {
      const Change *change = &g_array_index (f->changes, Change, i);

      g_assert_cmpuint (change->position, ==, expected[i].position);
      g_assert_cmpuint (change->removed, ==, expected[i].removed);
      g_assert_cmpuint (change->added, ==, expected[i].added);
    }
  g_array_set_size (f->changes, 0);
}

#define ASSERT_CHANGES(f, ...)                                            \
  G_STMT_START {                                                          \
    const Change expected_[] = { __VA_ARGS__ };                           \
    assert_changes (f, expected_, G_N_ELEMENTS (expected_));              \
  } G_STMT_END

#define ASSERT_NO_CHANGES(f) g_assert_cmpuint ((f)->changes->len, ==, 0)

static void
notify_cb (GObject    *object,
           GParamSpec *pspec,
           Fixture    *f)
{
  const char *name = g_param_spec_get_name (pspec);
  guint count = GPOINTER_TO_UINT (g_hash_table_lookup (f->notified, name));

  g_hash_table_insert (f->notified, (gpointer) name, GUINT_TO_POINTER (count + 1));
}

static guint
notified (Fixture    *f,
          const char *name)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (f->notified, name));
}

static TalkMessage *
item_at (Fixture *f,
         guint    position)
{
  g_autoptr(TalkMessage) message = g_list_model_get_item (G_LIST_MODEL (f->conversation),
                                                          position);

  g_assert_nonnull (message);
  /* the model holds its own reference */
  return message;
}

static guint
n_items (Fixture *f)
{
  return g_list_model_get_n_items (G_LIST_MODEL (f->conversation));
}

/* Oldest first by (timestamp, id), and nothing twice. */
static void
assert_ordered (Fixture *f)
{
  for (guint i = 1; i < n_items (f); i++)
    {
      TalkMessage *a = item_at (f, i - 1);
      TalkMessage *b = item_at (f, i);

      g_assert_true (talk_message_get_timestamp_us (a) < talk_message_get_timestamp_us (b) ||
                     (talk_message_get_timestamp_us (a) == talk_message_get_timestamp_us (b) &&
                      talk_message_get_id (a) < talk_message_get_id (b)));
    }
}

static TalkHistoryOutcome
store (Fixture     *f,
       TalkMessage *message)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  TalkHistoryOutcome outcome = TALK_HISTORY_OUTCOME_REFUSED;

  talk_history_store_async (f->history, ACCOUNT, message, NULL, talk_test_store_result_cb,
                            &result);
  WAIT_UNTIL (result != NULL);
  talk_history_store_finish (f->history, result, &outcome, &error);
  g_assert_no_error (error);
  return outcome;
}

static void
store_batch (Fixture   *f,
             GPtrArray *messages)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  talk_history_store_batch_async (f->history, ACCOUNT, messages, NULL,
                                  talk_test_store_result_cb, &result);
  WAIT_UNTIL (result != NULL);
  g_assert_true (talk_history_store_batch_finish (f->history, result, NULL, &error));
  g_assert_no_error (error);
}

/* Stores @n messages for @peer numbered from @first, one second apart. */
static void
store_many (Fixture    *f,
            const char *peer,
            guint       first,
            guint       n)
{
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = first; i < first + n; i++)
    g_ptr_array_add (batch, message_new (peer, i, T0 + (gint64) i * G_USEC_PER_SEC));
  store_batch (f, batch);
}

static void
open_conversation (Fixture *f,
                   guint    page_size)
{
  g_assert_null (f->conversation);
  f->conversation = g_object_new (TALK_TYPE_CONVERSATION,
                                  "history", f->history,
                                  "account", ACCOUNT,
                                  "peer", ALICE,
                                  "page-size", page_size,
                                  NULL);
  g_signal_connect (f->conversation, "items-changed", G_CALLBACK (items_changed_cb), f);
  g_assert_true (talk_conversation_get_loading (f->conversation));
  WAIT_UNTIL (!talk_conversation_get_loading (f->conversation));
}

static guint
load_older (Fixture *f)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  guint n_added = G_MAXUINT;

  talk_conversation_load_older_async (f->conversation, NULL, talk_test_store_result_cb,
                                      &result);
  WAIT_UNTIL (result != NULL);
  g_assert_true (talk_conversation_load_older_finish (f->conversation, result, &n_added,
                                                      &error));
  g_assert_no_error (error);
  return n_added;
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("talk-conversation-XXXXXX", &error);
  g_assert_no_error (error);
  f->path = g_build_filename (f->dir, "history.db", NULL);
  f->history = talk_history_new (f->path);
  f->changes = g_array_new (FALSE, FALSE, sizeof (Change));
  f->notified = g_hash_table_new (g_str_hash, g_str_equal);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  g_clear_object (&f->conversation);
  g_clear_object (&f->history);
  /* Completions of what the conversation started, now cancelled. */
  talk_test_run_for (10);

  dir = g_dir_open (f->dir, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (f->dir, name, NULL);

      g_remove (child);
    }
  g_rmdir (f->dir);
  g_array_unref (f->changes);
  g_hash_table_unref (f->notified);
  g_free (f->path);
  g_free (f->dir);
}

/* Tests */

static void
test_open_newest_page (Fixture       *f,
                       gconstpointer  data)
{
  store_many (f, ALICE, 0, 120);
  store_many (f, BOB, 0, 10);

  open_conversation (f, 50);

  /* Only the newest page, in one signal. */
  ASSERT_CHANGES (f, { 0, 0, 50 });
  g_assert_cmpuint (n_items (f), ==, 50);
  g_assert_cmpstr (talk_message_get_body (item_at (f, 0)), ==, "message 70");
  g_assert_cmpstr (talk_message_get_body (item_at (f, 49)), ==, "message 119");
  g_assert_true (talk_conversation_get_has_older (f->conversation));
  g_assert_cmpuint (talk_history_get_rows_read (f->history), ==, 50);
  WAIT_UNTIL (talk_conversation_get_unread_count (f->conversation) == 120);
  assert_ordered (f);
}

static void
test_open_empty (Fixture       *f,
                 gconstpointer  data)
{
  open_conversation (f, 50);

  ASSERT_NO_CHANGES (f);
  g_assert_cmpuint (n_items (f), ==, 0);
  g_assert_false (talk_conversation_get_has_older (f->conversation));
  g_assert_null (talk_conversation_get_error (f->conversation));
  g_assert_cmpuint (load_older (f), ==, 0);
  ASSERT_NO_CHANGES (f);
}

static void
test_load_older (Fixture       *f,
                 gconstpointer  data)
{
  TalkMessage *first;

  store_many (f, ALICE, 0, 120);
  open_conversation (f, 50);
  ASSERT_CHANGES (f, { 0, 0, 50 });
  first = item_at (f, 0);

  /* Each page is one prepend. */
  g_assert_cmpuint (load_older (f), ==, 50);
  ASSERT_CHANGES (f, { 0, 0, 50 });
  g_assert_true (talk_conversation_get_has_older (f->conversation));
  g_assert_true (item_at (f, 50) == first);

  g_assert_cmpuint (load_older (f), ==, 20);
  ASSERT_CHANGES (f, { 0, 0, 20 });
  g_assert_false (talk_conversation_get_has_older (f->conversation));

  g_assert_cmpuint (load_older (f), ==, 0);
  ASSERT_NO_CHANGES (f);

  g_assert_cmpuint (n_items (f), ==, 120);
  for (guint i = 0; i < 120; i++)
    {
      g_autofree char *body = g_strdup_printf ("message %u", i);

      g_assert_cmpstr (talk_message_get_body (item_at (f, i)), ==, body);
    }
  assert_ordered (f);
}

static void
test_load_older_busy (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GAsyncResult) first = NULL;
  g_autoptr(GAsyncResult) second = NULL;
  g_autoptr(GError) error = NULL;
  guint n_added = 0;

  store_many (f, ALICE, 0, 30);
  open_conversation (f, 10);
  ASSERT_CHANGES (f, { 0, 0, 10 });

  /* One page at a time. */
  talk_conversation_load_older_async (f->conversation, NULL, talk_test_store_result_cb,
                                      &first);
  talk_conversation_load_older_async (f->conversation, NULL, talk_test_store_result_cb,
                                      &second);
  WAIT_UNTIL (first != NULL && second != NULL);
  g_assert_false (talk_conversation_load_older_finish (f->conversation, second, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PENDING);
  g_assert_true (talk_conversation_load_older_finish (f->conversation, first, &n_added, NULL));
  g_assert_cmpuint (n_added, ==, 10);
  ASSERT_CHANGES (f, { 0, 0, 10 });
}

static void
test_append (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(TalkMessage) fresh = message_new (ALICE, 100, T0 + 100 * G_USEC_PER_SEC);
  g_autoptr(TalkMessage) copy = message_new (ALICE, 100, T0 + 100 * G_USEC_PER_SEC);
  g_autoptr(TalkMessage) elsewhere = message_new (BOB, 101, T0 + 101 * G_USEC_PER_SEC);
  g_autoptr(TalkMessage) late = message_new (ALICE, 200, T0 + 10 * G_USEC_PER_SEC + 1);
  g_autoptr(TalkMessage) too_old = message_new (ALICE, 300, T0 + 1);
  g_autoptr(GPtrArray) burst = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) archive = g_ptr_array_new_with_free_func (g_object_unref);

  store_many (f, ALICE, 0, 20);
  open_conversation (f, 10);
  ASSERT_CHANGES (f, { 0, 0, 10 });

  /* A new message: one row at the end, the very object stored. */
  g_assert_cmpint (store (f, fresh), ==, TALK_HISTORY_OUTCOME_STORED);
  ASSERT_CHANGES (f, { 10, 0, 1 });
  g_assert_true (item_at (f, 10) == fresh);

  /* Its carbon, and a message to someone else: nothing. */
  g_assert_cmpint (store (f, copy), ==, TALK_HISTORY_OUTCOME_DUPLICATE);
  g_assert_cmpint (store (f, elsewhere), ==, TALK_HISTORY_OUTCOME_STORED);
  ASSERT_NO_CHANGES (f);

  /* A burst: one signal. */
  for (guint i = 0; i < 3; i++)
    g_ptr_array_add (burst, message_new (ALICE, 110 + i, T0 + (110 + i) * G_USEC_PER_SEC));
  store_batch (f, burst);
  ASSERT_CHANGES (f, { 11, 0, 3 });

  /* A late message dated inside the window goes where it belongs. */
  g_assert_cmpint (store (f, late), ==, TALK_HISTORY_OUTCOME_STORED);
  ASSERT_CHANGES (f, { 1, 0, 1 });
  g_assert_true (item_at (f, 1) == late);
  g_assert_cmpstr (talk_message_get_body (item_at (f, 0)), ==, "message 10");

  /* Several late ones: one signal over the span they change. */
  g_ptr_array_add (archive, message_new (ALICE, 201, T0 + 15 * G_USEC_PER_SEC + 1));
  g_ptr_array_add (archive, message_new (ALICE, 202, T0 + 12 * G_USEC_PER_SEC + 1));
  store_batch (f, archive);
  /* Rows: 10, late, 11, 12, [202], 13, 14, 15, [201], 16 … 19, 100, 110 … 112 */
  ASSERT_CHANGES (f, { 4, 11, 13 });
  g_assert_cmpstr (talk_message_get_body (item_at (f, 4)), ==, "message 202");
  g_assert_cmpstr (talk_message_get_body (item_at (f, 8)), ==, "message 201");
  g_assert_cmpuint (n_items (f), ==, 17);
  assert_ordered (f);

  /* Older than the window while older pages remain: its page brings it. */
  g_assert_cmpint (store (f, too_old), ==, TALK_HISTORY_OUTCOME_STORED);
  ASSERT_NO_CHANGES (f);
  g_assert_null (talk_conversation_lookup_message (f->conversation,
                                                   talk_message_get_id (too_old), NULL));
  g_assert_cmpuint (load_older (f), ==, 10);
  ASSERT_CHANGES (f, { 0, 0, 10 });
  g_assert_cmpuint (load_older (f), ==, 1);
  ASSERT_CHANGES (f, { 0, 0, 1 });
  g_assert_cmpstr (talk_message_get_body (item_at (f, 1)), ==, "message 300");
  assert_ordered (f);
}

static void
test_stored_while_opening (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(TalkMessage) before = message_new (ALICE, 1, T0 + 1);
  g_autoptr(TalkMessage) after = message_new (ALICE, 2, T0 + 2);
  g_autoptr(GAsyncResult) stored_before = NULL;
  g_autoptr(GAsyncResult) stored_after = NULL;

  /* Stored before the page is read, announced before it arrives... */
  talk_history_store_async (f->history, ACCOUNT, before, NULL, talk_test_store_result_cb,
                            &stored_before);
  f->conversation = talk_conversation_new (f->history, ACCOUNT, ALICE);
  g_signal_connect (f->conversation, "items-changed", G_CALLBACK (items_changed_cb), f);
  /* ...and one stored after it is read. */
  talk_history_store_async (f->history, ACCOUNT, after, NULL, talk_test_store_result_cb,
                            &stored_after);
  WAIT_UNTIL (stored_before != NULL && stored_after != NULL &&
              !talk_conversation_get_loading (f->conversation));

  /* Each once. */
  ASSERT_CHANGES (f, { 0, 0, 1 }, { 1, 0, 1 });
  g_assert_cmpuint (n_items (f), ==, 2);
  g_assert_true (item_at (f, 1) == after);
}

static void
test_state_change (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GDateTime) timestamp = date_time_from_us (T0 + 50 * G_USEC_PER_SEC);
  g_autoptr(TalkMessage) mine = g_object_new (TALK_TYPE_MESSAGE,
                                              "peer", ALICE,
                                              "direction", TALK_MESSAGE_DIRECTION_OUT,
                                              "sender", ME,
                                              "body", "are you there?",
                                              "timestamp", timestamp,
                                              "state", TALK_MESSAGE_STATE_PENDING,
                                              "origin-id", "o-1",
                                              NULL);
  g_autoptr(GAsyncResult) result = NULL;
  TalkMessage *item;

  store_many (f, ALICE, 0, 5);
  open_conversation (f, 50);
  ASSERT_CHANGES (f, { 0, 0, 5 });
  g_assert_cmpint (store (f, mine), ==, TALK_HISTORY_OUTCOME_STORED);
  ASSERT_CHANGES (f, { 5, 0, 1 });
  item = item_at (f, 5);
  g_signal_connect (item, "notify", G_CALLBACK (notify_cb), f);

  /* Delivered, then read: the message notifies; the model is quiet. */
  talk_history_update_state_async (f->history, ACCOUNT, ALICE, "o-1",
                                   TALK_MESSAGE_STATE_DELIVERED, NULL, NULL,
                                   talk_test_store_result_cb, &result);
  WAIT_UNTIL (result != NULL);
  g_assert_cmpint (talk_history_update_state_finish (f->history, result, NULL), >, 0);
  g_clear_object (&result);
  g_assert_cmpint (talk_message_get_state (item), ==, TALK_MESSAGE_STATE_DELIVERED);
  g_assert_cmpuint (notified (f, "state"), ==, 1);

  talk_history_update_state_async (f->history, ACCOUNT, ALICE, "o-1", TALK_MESSAGE_STATE_READ,
                                   NULL, NULL, talk_test_store_result_cb, &result);
  WAIT_UNTIL (result != NULL);
  g_assert_cmpint (talk_history_update_state_finish (f->history, result, NULL), >, 0);
  g_assert_cmpint (talk_message_get_state (item), ==, TALK_MESSAGE_STATE_READ);
  g_assert_cmpuint (notified (f, "state"), ==, 2);
  g_assert_cmpuint (notified (f, "body"), ==, 0);
  g_assert_cmpuint (notified (f, "edited"), ==, 0);
  g_assert_cmpuint (notified (f, "error"), ==, 0);
  ASSERT_NO_CHANGES (f);
}

static void
test_correction (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GDateTime) timestamp = date_time_from_us (T0 + 60 * G_USEC_PER_SEC);
  g_autoptr(TalkMessage) fix = g_object_new (TALK_TYPE_MESSAGE,
                                             "peer", ALICE,
                                             "direction", TALK_MESSAGE_DIRECTION_IN,
                                             "sender", "alice@example.test/phone",
                                             "body", "message two, corrected",
                                             "timestamp", timestamp,
                                             "state", TALK_MESSAGE_STATE_DELIVERED,
                                             "origin-id", "fix-1",
                                             "replaces", ALICE "-2",
                                             NULL);
  g_autoptr(TalkMessage) forged = NULL;
  TalkMessage *item;

  store_many (f, ALICE, 0, 5);
  open_conversation (f, 50);
  ASSERT_CHANGES (f, { 0, 0, 5 });
  item = item_at (f, 2);
  g_signal_connect (item, "notify", G_CALLBACK (notify_cb), f);

  g_assert_cmpint (store (f, fix), ==, TALK_HISTORY_OUTCOME_CORRECTED);
  g_assert_cmpstr (talk_message_get_body (item), ==, "message two, corrected");
  g_assert_true (talk_message_get_edited (item));
  g_assert_cmpuint (notified (f, "body"), ==, 1);
  g_assert_cmpuint (notified (f, "edited"), ==, 1);
  g_assert_cmpuint (notified (f, "state"), ==, 0);
  /* The correction is not a row of its own. */
  ASSERT_NO_CHANGES (f);
  g_assert_cmpuint (n_items (f), ==, 5);

  /* Someone else's "correction" changes nothing. */
  forged = g_object_new (TALK_TYPE_MESSAGE,
                         "peer", ALICE,
                         "sender", "mallory@example.test/x",
                         "body", "forged",
                         "timestamp", timestamp,
                         "origin-id", "forged-1",
                         "replaces", ALICE "-3",
                         NULL);
  g_assert_cmpint (store (f, forged), ==, TALK_HISTORY_OUTCOME_REFUSED);
  g_assert_cmpstr (talk_message_get_body (item_at (f, 3)), ==, "message 3");
  g_assert_false (talk_message_get_edited (item_at (f, 3)));
  ASSERT_NO_CHANGES (f);
}

static void
test_unread (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  store_many (f, ALICE, 0, 3);
  open_conversation (f, 50);
  WAIT_UNTIL (talk_conversation_get_unread_count (f->conversation) == 3);

  store_many (f, ALICE, 3, 2);
  g_assert_cmpuint (talk_conversation_get_unread_count (f->conversation), ==, 5);

  talk_conversation_mark_read_async (f->conversation, NULL, talk_test_store_result_cb,
                                     &result);
  WAIT_UNTIL (result != NULL);
  g_assert_true (talk_conversation_mark_read_finish (f->conversation, result, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (talk_conversation_get_unread_count (f->conversation), ==, 0);
}

static void
test_damaged (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  const GError *shown;

  g_assert_true (g_file_set_contents (f->path, "certainly not a database, but long enough "
                                      "to be read as a header by SQLite............", -1,
                                      &error));
  open_conversation (f, 50);

  ASSERT_NO_CHANGES (f);
  shown = talk_conversation_get_error (f->conversation);
  g_assert_nonnull (shown);
  g_assert_true (g_error_matches (shown, TALK_CORE_ERROR, TALK_CORE_ERROR_HISTORY_CORRUPT));

  talk_conversation_load_older_async (f->conversation, NULL, talk_test_store_result_cb,
                                      &result);
  WAIT_UNTIL (result != NULL);
  g_assert_false (talk_conversation_load_older_finish (f->conversation, result, NULL, &error));
  g_assert_error (error, TALK_CORE_ERROR, TALK_CORE_ERROR_HISTORY_CORRUPT);
}

static void
test_large (Fixture       *f,
            gconstpointer  data)
{
  guint64 rows_before;
  gint64 start;

  /* 100,000 messages, ten batches of 10,000. */
  for (guint i = 0; i < 10; i++)
    store_many (f, ALICE, i * 10000, 10000);
  rows_before = talk_history_get_rows_read (f->history);

  start = g_get_monotonic_time ();
  open_conversation (f, 50);
  g_test_message ("newest page of 100000 in %.1f ms",
                  (g_get_monotonic_time () - start) / 1000.0);

  /* Exactly one page was read and shown. */
  ASSERT_CHANGES (f, { 0, 0, 50 });
  g_assert_cmpuint (talk_history_get_rows_read (f->history) - rows_before, ==, 50);
  g_assert_cmpstr (talk_message_get_body (item_at (f, 49)), ==, "message 99999");
  g_assert_true (talk_conversation_get_has_older (f->conversation));

  g_assert_cmpuint (load_older (f), ==, 50);
  ASSERT_CHANGES (f, { 0, 0, 50 });
  g_assert_cmpuint (talk_history_get_rows_read (f->history) - rows_before, ==, 100);
  g_assert_cmpstr (talk_message_get_body (item_at (f, 0)), ==, "message 99900");
}

static void
test_dispose_while_loading (Fixture       *f,
                            gconstpointer  data)
{
  store_many (f, ALICE, 0, 10);

  /* Dropped before its page arrives: the page finds it gone quietly. */
  f->conversation = talk_conversation_new (f->history, ACCOUNT, ALICE);
  g_clear_object (&f->conversation);
  talk_test_run_for (50);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/talk/core/conversation/" path, Fixture, NULL, fixture_setup, func, \
              fixture_teardown)

  ADD ("open-newest-page", test_open_newest_page);
  ADD ("open-empty", test_open_empty);
  ADD ("load-older", test_load_older);
  ADD ("load-older-busy", test_load_older_busy);
  ADD ("append", test_append);
  ADD ("stored-while-opening", test_stored_while_opening);
  ADD ("state-change", test_state_change);
  ADD ("correction", test_correction);
  ADD ("unread", test_unread);
  ADD ("damaged", test_damaged);
  ADD ("large", test_large);
  ADD ("dispose-while-loading", test_dispose_while_loading);

#undef ADD

  return g_test_run ();
}
