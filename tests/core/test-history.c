/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * TalkHistory on a real SQLite file in a temporary folder: the schema and
 * its version, storing and loading every field, deduplication of carbons,
 * archive copies and redeliveries, batches, paging, pending messages,
 * states, corrections (and the ones to refuse), search with and without
 * FTS5, reopening, and files that are read-only or damaged.
 *
 * Some checks open the file with their own sqlite3 connection, to look at
 * what TalkHistory wrote or to break it on purpose; TalkHistory's own
 * connection stays on its worker thread.
 */

#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <sqlite3.h>

#include "talk-core-error.h"
#include "talk-history.h"
#include "talk-test-peer.h"

#define ACCOUNT "me@example.test"
#define ME "me@example.test/laptop"
#define ME_PHONE "me@example.test/phone"
#define ALICE "alice@example.test"
#define ALICE_FULL "alice@example.test/home"
#define ALICE_PHONE "alice@example.test/phone"
#define BOB "bob@example.test"
#define BOB_FULL "bob@example.test/work"

#define WAIT_UNTIL(cond) TALK_TEST_WAIT_UNTIL (cond, TALK_TEST_PEER_TIMEOUT_MS)

/* 2023-11-14 22:13:20 UTC, with microseconds that must survive. */
#define T0 G_GINT64_CONSTANT (1700000000123456)

typedef struct
{
  char *dir;
  char *path;
  TalkHistory *history;
  GPtrArray *added;     /* TalkMessage, from "messages-added" */
  GPtrArray *updated;   /* TalkMessage, from "message-updated" */
  GHashTable *unread;   /* peer → count, from "unread-changed" */
  guint n_added_signals;
} Fixture;

/* Helpers */

static GDateTime *
date_time_from_us (gint64 us)
{
  g_autoptr(GDateTime) seconds = g_date_time_new_from_unix_utc (us / G_USEC_PER_SEC);

  return g_date_time_add (seconds, us % G_USEC_PER_SEC);
}

/* A message with the fields of a received or sent stanza; NULL leaves a
 * field out. */
static TalkMessage *
make_message (const char           *peer,
              TalkMessageDirection  direction,
              const char           *sender,
              const char           *body,
              gint64                timestamp_us,
              const char           *stanza_id,
              const char           *origin_id,
              const char           *message_id)
{
  g_autoptr(GDateTime) timestamp = date_time_from_us (timestamp_us);

  return g_object_new (TALK_TYPE_MESSAGE,
                       "peer", peer,
                       "direction", direction,
                       "sender", sender,
                       "body", body,
                       "timestamp", timestamp,
                       "state", direction == TALK_MESSAGE_DIRECTION_IN ?
                                TALK_MESSAGE_STATE_DELIVERED : TALK_MESSAGE_STATE_SENT,
                       "stanza-id", stanza_id,
                       "stanza-id-by", stanza_id != NULL ? ACCOUNT : NULL,
                       "origin-id", origin_id,
                       "message-id", message_id,
                       NULL);
}

static TalkMessage *
incoming (const char *body,
          gint64      timestamp_us,
          const char *stanza_id,
          const char *origin_id,
          const char *message_id)
{
  return make_message (ALICE, TALK_MESSAGE_DIRECTION_IN, ALICE_FULL, body, timestamp_us,
                       stanza_id, origin_id, message_id);
}

static TalkMessage *
pending (const char *peer,
         const char *body,
         gint64      timestamp_us,
         const char *origin_id)
{
  g_autoptr(GDateTime) timestamp = date_time_from_us (timestamp_us);

  return g_object_new (TALK_TYPE_MESSAGE,
                       "peer", peer,
                       "direction", TALK_MESSAGE_DIRECTION_OUT,
                       "sender", ME,
                       "body", body,
                       "timestamp", timestamp,
                       "state", TALK_MESSAGE_STATE_PENDING,
                       "origin-id", origin_id,
                       "message-id", origin_id,
                       NULL);
}

static TalkMessage *
correction (const char *sender,
            const char *body,
            gint64      timestamp_us,
            const char *replaces,
            const char *origin_id)
{
  g_autoptr(GDateTime) timestamp = date_time_from_us (timestamp_us);
  gboolean own = g_str_has_prefix (sender, ACCOUNT);

  return g_object_new (TALK_TYPE_MESSAGE,
                       "peer", ALICE,
                       "direction", own ? TALK_MESSAGE_DIRECTION_OUT : TALK_MESSAGE_DIRECTION_IN,
                       "sender", sender,
                       "body", body,
                       "timestamp", timestamp,
                       "state", TALK_MESSAGE_STATE_DELIVERED,
                       "origin-id", origin_id,
                       "message-id", origin_id,
                       "replaces", replaces,
                       NULL);
}

static gint64
store (Fixture            *f,
       TalkMessage        *message,
       TalkHistoryOutcome *outcome,
       GError            **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  talk_history_store_async (f->history, ACCOUNT, message, NULL, talk_test_store_result_cb,
                            &result);
  WAIT_UNTIL (result != NULL);
  return talk_history_store_finish (f->history, result, outcome, error);
}

/* As store(), taking the message. */
static gint64
store_owned (Fixture            *f,
             TalkMessage        *message,
             TalkHistoryOutcome *outcome,
             GError            **error)
{
  g_autoptr(TalkMessage) owned = message;

  return store (f, owned, outcome, error);
}

/* Stores @message, which must be new, and returns its row. */
static gint64
store_new (Fixture     *f,
           TalkMessage *message)
{
  g_autoptr(GError) error = NULL;
  TalkHistoryOutcome outcome = TALK_HISTORY_OUTCOME_REFUSED;
  gint64 id = store (f, message, &outcome, &error);

  g_assert_no_error (error);
  g_assert_cmpint (outcome, ==, TALK_HISTORY_OUTCOME_STORED);
  g_assert_cmpint (id, >, 0);
  g_assert_cmpint (talk_message_get_id (message), ==, id);
  return id;
}

/* As store_new(), taking the message. */
static gint64
store_new_owned (Fixture     *f,
                 TalkMessage *message)
{
  g_autoptr(TalkMessage) owned = message;

  return store_new (f, owned);
}

static gboolean
store_batch (Fixture    *f,
             GPtrArray  *messages,
             guint      *n_stored,
             GError    **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  talk_history_store_batch_async (f->history, ACCOUNT, messages, NULL,
                                  talk_test_store_result_cb, &result);
  WAIT_UNTIL (result != NULL);
  return talk_history_store_batch_finish (f->history, result, n_stored, error);
}

static GPtrArray *
load_page (Fixture    *f,
           const char *peer,
           gint64      before_timestamp,
           gint64      before_id,
           guint       limit,
           gboolean   *has_more)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *page;

  talk_history_load_page_async (f->history, ACCOUNT, peer, before_timestamp, before_id, limit,
                                NULL, talk_test_store_result_cb, &result);
  WAIT_UNTIL (result != NULL);
  page = talk_history_load_page_finish (f->history, result, has_more, &error);
  g_assert_no_error (error);
  g_assert_nonnull (page);
  return page;
}

static GPtrArray *
load_newest (Fixture    *f,
             const char *peer,
             guint       limit)
{
  return load_page (f, peer, G_MAXINT64, G_MAXINT64, limit, NULL);
}

static GPtrArray *
list_pending (Fixture *f)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *messages;

  talk_history_list_pending_async (f->history, ACCOUNT, NULL, talk_test_store_result_cb,
                                   &result);
  WAIT_UNTIL (result != NULL);
  messages = talk_history_list_pending_finish (f->history, result, &error);
  g_assert_no_error (error);
  return messages;
}

static gint64
update_state (Fixture          *f,
              const char       *id,
              TalkMessageState  state,
              const char       *error_text)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gint64 row;

  talk_history_update_state_async (f->history, ACCOUNT, ALICE, id, state, error_text, NULL,
                                   talk_test_store_result_cb, &result);
  WAIT_UNTIL (result != NULL);
  row = talk_history_update_state_finish (f->history, result, &error);
  g_assert_no_error (error);
  return row;
}

static GPtrArray *
search (Fixture    *f,
        const char *peer,
        const char *text)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *hits;

  talk_history_search_async (f->history, ACCOUNT, peer, text, 50, NULL,
                             talk_test_store_result_cb, &result);
  WAIT_UNTIL (result != NULL);
  hits = talk_history_search_finish (f->history, result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (hits);
  return hits;
}

static char *
last_archive_id (Fixture *f)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  char *id;

  talk_history_get_last_archive_id_async (f->history, ACCOUNT, NULL,
                                          talk_test_store_result_cb, &result);
  WAIT_UNTIL (result != NULL);
  id = talk_history_get_last_archive_id_finish (f->history, result, &error);
  g_assert_no_error (error);
  return id;
}

static guint
get_unread (Fixture    *f,
            const char *peer)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  guint count;

  talk_history_get_unread_async (f->history, ACCOUNT, peer, NULL, talk_test_store_result_cb,
                                 &result);
  WAIT_UNTIL (result != NULL);
  count = talk_history_get_unread_finish (f->history, result, &error);
  g_assert_no_error (error);
  return count;
}

static TalkMessage *
get_markable (Fixture    *f,
              const char *peer)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  TalkMessage *message;

  talk_history_get_markable_async (f->history, ACCOUNT, peer, NULL, talk_test_store_result_cb,
                                   &result);
  WAIT_UNTIL (result != NULL);
  message = talk_history_get_markable_finish (f->history, result, &error);
  g_assert_no_error (error);
  return message;
}

static guint
set_displayed (Fixture    *f,
               const char *peer,
               gint64      row)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  guint n_changed = G_MAXUINT;

  talk_history_set_displayed_async (f->history, ACCOUNT, peer, row, NULL,
                                    talk_test_store_result_cb, &result);
  WAIT_UNTIL (result != NULL);
  g_assert_true (talk_history_set_displayed_finish (f->history, result, &n_changed, &error));
  g_assert_no_error (error);
  return n_changed;
}

static guint
set_displayed_by_id (Fixture    *f,
                     const char *peer,
                     const char *id)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  guint n_changed = G_MAXUINT;

  talk_history_set_displayed_by_id_async (f->history, ACCOUNT, peer, id, NULL,
                                          talk_test_store_result_cb, &result);
  WAIT_UNTIL (result != NULL);
  g_assert_true (talk_history_set_displayed_finish (f->history, result, &n_changed, &error));
  g_assert_no_error (error);
  return n_changed;
}

/* An incoming message that asked for chat markers (XEP-0333). */
static TalkMessage *
incoming_markable (const char *body,
                   gint64      timestamp_us,
                   const char *stanza_id,
                   const char *message_id)
{
  g_autoptr(GDateTime) timestamp = date_time_from_us (timestamp_us);

  return g_object_new (TALK_TYPE_MESSAGE,
                       "peer", ALICE,
                       "direction", TALK_MESSAGE_DIRECTION_IN,
                       "sender", ALICE_FULL,
                       "body", body,
                       "timestamp", timestamp,
                       "state", TALK_MESSAGE_STATE_DELIVERED,
                       "stanza-id", stanza_id,
                       "stanza-id-by", stanza_id != NULL ? ACCOUNT : NULL,
                       "message-id", message_id,
                       "markable", TRUE,
                       NULL);
}

static gboolean
open_history (Fixture  *f,
              GError  **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  talk_history_open_async (f->history, NULL, talk_test_store_result_cb, &result);
  WAIT_UNTIL (result != NULL);
  return talk_history_open_finish (f->history, result, error);
}

static void
close_history (Fixture *f)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  talk_history_close_async (f->history, NULL, talk_test_store_result_cb, &result);
  WAIT_UNTIL (result != NULL);
  g_assert_true (talk_history_close_finish (f->history, result, &error));
  g_assert_no_error (error);
}

/* Runs @sql on a connection of the test's own. */
static void
exec_sql (const char *path,
          const char *sql)
{
  sqlite3 *db = NULL;
  char *message = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  if (sqlite3_exec (db, sql, NULL, NULL, &message) != SQLITE_OK)
    g_error ("%s: %s", sql, message);
  sqlite3_close (db);
}

/* The first column of the first row of @sql, as text. */
static char *
query_sql (const char *path,
           const char *sql)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  char *text = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    text = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return text;
}

#define ASSERT_QUERY(f, sql, expected)                \
  G_STMT_START {                                      \
    g_autofree char *value_ = query_sql ((f)->path, (sql)); \
    g_assert_cmpstr (value_, ==, (expected));         \
  } G_STMT_END

/* Fixture */

static void
messages_added_cb (TalkHistory *history,
                   const char  *account,
                   GPtrArray   *messages,
                   Fixture     *f)
{
  g_assert_cmpstr (account, ==, ACCOUNT);
  f->n_added_signals++;
  for (guint i = 0; i < messages->len; i++)
    g_ptr_array_add (f->added, g_object_ref (g_ptr_array_index (messages, i)));
}

static void
message_updated_cb (TalkHistory *history,
                    const char  *account,
                    TalkMessage *message,
                    Fixture     *f)
{
  g_assert_cmpstr (account, ==, ACCOUNT);
  g_ptr_array_add (f->updated, g_object_ref (message));
}

static void
unread_changed_cb (TalkHistory *history,
                   const char  *account,
                   const char  *peer,
                   guint        count,
                   Fixture     *f)
{
  g_hash_table_insert (f->unread, g_strdup (peer), GUINT_TO_POINTER (count + 1));
}

/* The count last announced for @peer, or -1 when none was. */
static int
announced_unread (Fixture    *f,
                  const char *peer)
{
  gpointer value = g_hash_table_lookup (f->unread, peer);

  return value != NULL ? (int) GPOINTER_TO_UINT (value) - 1 : -1;
}

static void
fixture_new_history (Fixture    *f,
                     const char *first_property,
                     ...)
{
  va_list args;

  g_clear_object (&f->history);
  va_start (args, first_property);
  f->history = TALK_HISTORY (g_object_new_valist (TALK_TYPE_HISTORY, first_property, args));
  va_end (args);

  g_signal_connect (f->history, "messages-added", G_CALLBACK (messages_added_cb), f);
  g_signal_connect (f->history, "message-updated", G_CALLBACK (message_updated_cb), f);
  g_signal_connect (f->history, "unread-changed", G_CALLBACK (unread_changed_cb), f);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("talk-history-XXXXXX", &error);
  g_assert_no_error (error);
  f->path = g_build_filename (f->dir, "history.db", NULL);
  f->added = g_ptr_array_new_with_free_func (g_object_unref);
  f->updated = g_ptr_array_new_with_free_func (g_object_unref);
  f->unread = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  fixture_new_history (f, "path", f->path, NULL);
}

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir == NULL)
    {
      g_remove (path);
      return;
    }

  g_chmod (path, 0700);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      remove_tree (child);
    }
  g_rmdir (path);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_object (&f->history);
  remove_tree (f->dir);
  g_ptr_array_unref (f->added);
  g_ptr_array_unref (f->updated);
  g_hash_table_unref (f->unread);
  g_free (f->path);
  g_free (f->dir);
}

/* Tests */

static void
test_schema (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *marker = g_strconcat (f->path, "-open", NULL);

  g_assert_false (g_file_test (f->path, G_FILE_TEST_EXISTS));
  g_assert_true (open_history (f, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_test (f->path, G_FILE_TEST_EXISTS));
  /* Open: the marker of a run that has not closed the file yet. */
  g_assert_true (g_file_test (marker, G_FILE_TEST_EXISTS));
  g_assert_false (talk_history_get_unclean_shutdown (f->history));
  g_assert_true (talk_history_get_indexed (f->history));

  ASSERT_QUERY (f, "PRAGMA user_version", "3");
  ASSERT_QUERY (f, "PRAGMA journal_mode", "wal");
  ASSERT_QUERY (f, "SELECT group_concat (name, ' ') FROM"
                   " (SELECT name FROM sqlite_schema WHERE type = 'table'"
                   "  AND name IN ('accounts', 'conversations', 'messages', 'messages_fts')"
                   "  ORDER BY name)",
                "accounts conversations messages messages_fts");
  /* The unique indexes that make copies of one message idempotent. */
  ASSERT_QUERY (f, "SELECT sql FROM sqlite_schema WHERE name = 'messages_stanza_id'",
                "CREATE UNIQUE INDEX messages_stanza_id ON messages (conversation, stanza_id)"
                "  WHERE stanza_id IS NOT NULL");
  ASSERT_QUERY (f, "SELECT sql FROM sqlite_schema WHERE name = 'messages_origin_id'",
                "CREATE UNIQUE INDEX messages_origin_id ON messages"
                " (conversation, origin_id, direction)  WHERE origin_id IS NOT NULL");
  /* Paging reads the index, not the table. */
  ASSERT_QUERY (f, "SELECT count(*) FROM sqlite_schema WHERE name = 'messages_page'", "1");

  close_history (f);
  g_assert_false (g_file_test (marker, G_FILE_TEST_EXISTS));
}

static void
test_query_plan (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) details = g_string_new (NULL);
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;

  g_assert_true (open_history (f, &error));
  close_history (f);

  /* The page query (as in talk-history-jobs.c) walks messages_page back
   * from the cursor: no sort, no scan of the conversation. */
  g_assert_cmpint (sqlite3_open (f->path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db,
                                       "EXPLAIN QUERY PLAN SELECT m.id FROM messages m"
                                       " JOIN conversations c ON c.id = m.conversation"
                                       " WHERE m.conversation = 1 AND m.replaces IS NULL"
                                       " AND (m.timestamp, m.id) < (5, 5)"
                                       " ORDER BY m.timestamp DESC, m.id DESC LIMIT 51",
                                       -1, &stmt, NULL), ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_string_append_printf (details, "%s; ", sqlite3_column_text (stmt, 3));
  sqlite3_finalize (stmt);
  sqlite3_close (db);

  g_test_message ("plan: %s", details->str);
  g_assert_nonnull (strstr (details->str, "messages_page"));
  g_assert_null (strstr (details->str, "TEMP B-TREE"));
}

static void
test_migrate_empty (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  /* An empty file is an empty database at version 0. */
  g_assert_true (g_file_set_contents (f->path, "", 0, &error));
  g_assert_true (open_history (f, &error));
  g_assert_no_error (error);
  ASSERT_QUERY (f, "PRAGMA user_version", "3");
  ASSERT_QUERY (f, "SELECT count(*) FROM messages", "0");
  store_new_owned (f, incoming ("hello", T0, "s1", NULL, "m1"));
  close_history (f);

  /* Opening again migrates nothing and keeps the message. */
  fixture_new_history (f, "path", f->path, NULL);
  g_assert_true (open_history (f, &error));
  ASSERT_QUERY (f, "PRAGMA user_version", "3");
  ASSERT_QUERY (f, "SELECT body FROM messages", "hello");
}

static void
test_newer_version (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  exec_sql (f->path, "PRAGMA user_version = 99");
  g_assert_false (open_history (f, &error));
  g_assert_error (error, TALK_CORE_ERROR, TALK_CORE_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "newer version"));
  /* Left alone. */
  ASSERT_QUERY (f, "PRAGMA user_version", "99");
}

static void
assert_same_message (TalkMessage *a,
                     TalkMessage *b)
{
  GDateTime *sa = talk_message_get_server_timestamp (a);
  GDateTime *sb = talk_message_get_server_timestamp (b);

  g_assert_cmpint (talk_message_get_id (a), ==, talk_message_get_id (b));
  g_assert_cmpstr (talk_message_get_peer (a), ==, talk_message_get_peer (b));
  g_assert_cmpint (talk_message_get_direction (a), ==, talk_message_get_direction (b));
  g_assert_cmpstr (talk_message_get_sender (a), ==, talk_message_get_sender (b));
  g_assert_cmpstr (talk_message_get_body (a), ==, talk_message_get_body (b));
  g_assert_cmpint (talk_message_get_timestamp_us (a), ==, talk_message_get_timestamp_us (b));
  g_assert_true (g_date_time_equal (talk_message_get_timestamp (a),
                                    talk_message_get_timestamp (b)));
  g_assert_true ((sa == NULL) == (sb == NULL));
  if (sa != NULL)
    g_assert_true (g_date_time_equal (sa, sb));
  g_assert_cmpint (talk_message_get_state (a), ==, talk_message_get_state (b));
  g_assert_cmpstr (talk_message_get_error (a), ==, talk_message_get_error (b));
  g_assert_cmpstr (talk_message_get_stanza_id (a), ==, talk_message_get_stanza_id (b));
  g_assert_cmpstr (talk_message_get_stanza_id_by (a), ==, talk_message_get_stanza_id_by (b));
  g_assert_cmpstr (talk_message_get_origin_id (a), ==, talk_message_get_origin_id (b));
  g_assert_cmpstr (talk_message_get_message_id (a), ==, talk_message_get_message_id (b));
  g_assert_cmpstr (talk_message_get_replaces (a), ==, talk_message_get_replaces (b));
  g_assert_cmpstr (talk_message_get_archive_id (a), ==, talk_message_get_archive_id (b));
  g_assert_cmpint (talk_message_get_edited (a), ==, talk_message_get_edited (b));
}

static void
test_round_trip (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GDateTime) timestamp = date_time_from_us (T0);
  g_autoptr(GDateTime) server_timestamp = date_time_from_us (T0 + 1500001);
  g_autoptr(GDateTime) old = date_time_from_us (G_GINT64_CONSTANT (-86400000001));
  g_autoptr(TalkMessage) full = NULL;
  g_autoptr(TalkMessage) unicode = NULL;
  g_autoptr(TalkMessage) failed = NULL;
  g_autoptr(TalkMessage) huge = NULL;
  g_autoptr(TalkMessage) ancient = NULL;
  g_autoptr(GPtrArray) page = NULL;
  g_autoptr(GString) big = g_string_sized_new (10 * 1024 * 1024 + 16);

  full = g_object_new (TALK_TYPE_MESSAGE,
                       "peer", ALICE,
                       "direction", TALK_MESSAGE_DIRECTION_IN,
                       "sender", ALICE_FULL,
                       "body", "Hello <b>&amp;</b> 'quotes' \"double\"\n\tsecond line",
                       "timestamp", timestamp,
                       "server-timestamp", server_timestamp,
                       "state", TALK_MESSAGE_STATE_DELIVERED,
                       "stanza-id", "stanza-1",
                       "stanza-id-by", ACCOUNT,
                       "origin-id", "origin-1",
                       "message-id", "id-1",
                       "archive-id", "archive-1",
                       NULL);
  unicode = make_message (ALICE, TALK_MESSAGE_DIRECTION_OUT, ME,
                          "Grüße aus Köln — 你好 — שלום — 👋🏽 — e\u0301", T0 + 1,
                          NULL, "origin-2", "id-2");
  failed = g_object_new (TALK_TYPE_MESSAGE,
                         "peer", ALICE, "direction", TALK_MESSAGE_DIRECTION_OUT,
                         "sender", ME, "body", "not delivered", "timestamp", timestamp,
                         "state", TALK_MESSAGE_STATE_FAILED,
                         "error", "The recipient is not available",
                         "origin-id", "origin-3",
                         NULL);
  /* 10 MB of text, with a multi-byte character across every boundary. */
  while (big->len < 10 * 1024 * 1024)
    g_string_append (big, "0123456789abcdé");
  huge = make_message (ALICE, TALK_MESSAGE_DIRECTION_IN, ALICE_FULL, big->str, T0 + 3,
                       "stanza-4", NULL, NULL);
  /* Before 1970, with microseconds. */
  ancient = g_object_new (TALK_TYPE_MESSAGE, "peer", ALICE, "sender", ALICE_FULL,
                          "body", "old", "timestamp", old, NULL);

  store_new (f, full);
  store_new (f, unicode);
  store_new (f, failed);
  store_new (f, huge);
  store_new (f, ancient);

  /* Announced once each, as the very objects stored. */
  g_assert_cmpuint (f->added->len, ==, 5);
  g_assert_true (g_ptr_array_index (f->added, 0) == full);
  g_assert_true (g_ptr_array_index (f->added, 3) == huge);

  page = load_newest (f, ALICE, 10);
  g_assert_cmpuint (page->len, ==, 5);
  /* Newest first; equal timestamps by row. */
  assert_same_message (g_ptr_array_index (page, 0), huge);
  assert_same_message (g_ptr_array_index (page, 1), unicode);
  assert_same_message (g_ptr_array_index (page, 2), failed);
  assert_same_message (g_ptr_array_index (page, 3), full);
  assert_same_message (g_ptr_array_index (page, 4), ancient);
  g_assert_cmpint (talk_message_get_timestamp_us (g_ptr_array_index (page, 3)), ==, T0);
  g_assert_cmpint (g_date_time_get_microsecond (
                     talk_message_get_timestamp (g_ptr_array_index (page, 3))), ==, 123456);
  g_assert_cmpint (talk_message_get_timestamp_us (g_ptr_array_index (page, 4)), ==,
                   G_GINT64_CONSTANT (-86400000001));
  g_assert_cmpuint (strlen (talk_message_get_body (g_ptr_array_index (page, 0))), ==, big->len);
  g_assert_cmpuint (talk_history_get_rows_read (f->history), ==, 5);
}

static void
test_duplicates (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(TalkMessage) live = incoming ("hi", T0, "sid-1", "oid-1", "m-1");
  g_autoptr(TalkMessage) carbon = incoming ("hi", T0, "sid-1", "oid-1", "m-1");
  g_autoptr(TalkMessage) archived = NULL;
  g_autoptr(TalkMessage) by_stanza = incoming ("copy", T0 + 5, "sid-1", NULL, NULL);
  g_autoptr(TalkMessage) mine = NULL;
  g_autoptr(TalkMessage) other_direction = NULL;
  g_autoptr(TalkMessage) no_ids_1 = incoming ("no ids", T0 + 9, NULL, NULL, NULL);
  g_autoptr(TalkMessage) no_ids_2 = incoming ("no ids", T0 + 9, NULL, NULL, NULL);
  g_autoptr(GDateTime) timestamp = date_time_from_us (T0);
  g_autoptr(GDateTime) archived_at = date_time_from_us (T0 + 2);
  g_autoptr(GPtrArray) page = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *archive_id = NULL;
  TalkHistoryOutcome outcome;
  gint64 id;
  gint64 again;

  /* Live, then the carbon of the same message, then the archive's copy. */
  id = store_new (f, live);
  again = store (f, carbon, &outcome, &error);
  g_assert_no_error (error);
  g_assert_cmpint (outcome, ==, TALK_HISTORY_OUTCOME_DUPLICATE);
  g_assert_cmpint (again, ==, id);
  g_assert_cmpint (talk_message_get_id (carbon), ==, 0);

  archived = g_object_new (TALK_TYPE_MESSAGE, "peer", ALICE, "sender", ALICE_FULL,
                           "body", "hi", "timestamp", timestamp,
                           "server-timestamp", archived_at,
                           "state", TALK_MESSAGE_STATE_DELIVERED,
                           "stanza-id", "sid-1", "stanza-id-by", ACCOUNT,
                           "origin-id", "oid-1", "message-id", "m-1",
                           "archive-id", "sid-1", NULL);
  again = store (f, archived, &outcome, &error);
  g_assert_no_error (error);
  g_assert_cmpint (outcome, ==, TALK_HISTORY_OUTCOME_DUPLICATE);
  g_assert_cmpint (again, ==, id);

  /* By stanza-id alone. */
  again = store (f, by_stanza, &outcome, &error);
  g_assert_cmpint (outcome, ==, TALK_HISTORY_OUTCOME_DUPLICATE);
  g_assert_cmpint (again, ==, id);

  /* The same origin-id in the other direction is another message. */
  other_direction = make_message (ALICE, TALK_MESSAGE_DIRECTION_OUT, ME, "mine", T0 + 7,
                                  NULL, "oid-1", NULL);
  store_new (f, other_direction);
  mine = make_message (ALICE, TALK_MESSAGE_DIRECTION_OUT, ME_PHONE, "mine", T0 + 7,
                       "sid-9", "oid-1", NULL);
  again = store (f, mine, &outcome, &error);
  g_assert_cmpint (outcome, ==, TALK_HISTORY_OUTCOME_DUPLICATE);
  g_assert_cmpint (again, ==, talk_message_get_id (other_direction));

  /* Without any id there is nothing to recognise a copy by. */
  store_new (f, no_ids_1);
  store_new (f, no_ids_2);

  /* One row per message, announced once. */
  page = load_newest (f, ALICE, 50);
  g_assert_cmpuint (page->len, ==, 4);
  g_assert_cmpuint (f->added->len, ==, 4);
  ASSERT_QUERY (f, "SELECT count(*) FROM messages", "4");

  /* The archive's copy completed the live one. */
  ASSERT_QUERY (f, "SELECT archive_id FROM messages WHERE origin_id = 'oid-1' AND direction = 0",
                "sid-1");
  ASSERT_QUERY (f, "SELECT server_timestamp FROM messages WHERE stanza_id = 'sid-1'",
                "1700000000123458");
  archive_id = last_archive_id (f);
  g_assert_cmpstr (archive_id, ==, "sid-1");
  g_assert_cmpuint (f->updated->len, ==, 0);
}

static void
test_batch (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) poisoned = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) page = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *archive_id = NULL;
  guint n_stored = 0;

  store_new_owned (f, incoming ("already here", T0, "a-4", NULL, NULL));
  g_ptr_array_set_size (f->added, 0);
  f->n_added_signals = 0;

  /* A page of the archive: 100 messages of two conversations, one of
   * which is already stored, one twice in the page. */
  for (guint i = 0; i < 100; i++)
    {
      g_autofree char *stanza_id = g_strdup_printf ("a-%u", i);
      g_autofree char *body = g_strdup_printf ("archived %u", i);
      g_autoptr(GDateTime) timestamp = date_time_from_us (T0 + i * 1000);
      const char *peer = i % 3 == 0 ? BOB : ALICE;

      g_ptr_array_add (batch, g_object_new (TALK_TYPE_MESSAGE,
                                            "peer", peer,
                                            "sender", i % 3 == 0 ? BOB_FULL : ALICE_FULL,
                                            "body", body, "timestamp", timestamp,
                                            "state", TALK_MESSAGE_STATE_READ,
                                            "stanza-id", stanza_id, "stanza-id-by", ACCOUNT,
                                            "archive-id", stanza_id, NULL));
    }
  g_ptr_array_add (batch, incoming ("archived 50 again", T0, "a-50", NULL, NULL));

  g_assert_true (store_batch (f, batch, &n_stored, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_stored, ==, 99);
  /* One announcement for the whole page. */
  g_assert_cmpuint (f->n_added_signals, ==, 1);
  g_assert_cmpuint (f->added->len, ==, 99);
  g_assert_cmpint (talk_message_get_id (g_ptr_array_index (batch, 99)), >, 0);
  ASSERT_QUERY (f, "SELECT count(*) FROM messages", "100");
  page = load_newest (f, BOB, 100);
  g_assert_cmpuint (page->len, ==, 34);
  archive_id = last_archive_id (f);
  g_assert_cmpstr (archive_id, ==, "a-99");
  /* Read in the archive already: no unread count. */
  g_assert_cmpuint (get_unread (f, BOB), ==, 0);

  /* All or nothing: a row that fails (here through a trigger of the
   * test's own) takes the whole batch back. */
  exec_sql (f->path,
            "CREATE TRIGGER test_poison BEFORE INSERT ON messages"
            " WHEN new.body = 'poison' BEGIN SELECT RAISE (ABORT, 'poisoned'); END");
  g_ptr_array_add (poisoned, incoming ("first", T0 + 200000, "p-1", NULL, NULL));
  g_ptr_array_add (poisoned, incoming ("poison", T0 + 200001, "p-2", NULL, NULL));
  g_ptr_array_add (poisoned, incoming ("third", T0 + 200002, "p-3", NULL, NULL));
  g_assert_false (store_batch (f, poisoned, &n_stored, &error));
  g_assert_error (error, TALK_CORE_ERROR, TALK_CORE_ERROR_FAILED);
  g_assert_cmpint (talk_message_get_id (g_ptr_array_index (poisoned, 0)), ==, 0);
  ASSERT_QUERY (f, "SELECT count(*) FROM messages", "100");
  ASSERT_QUERY (f, "SELECT count(*) FROM messages WHERE stanza_id LIKE 'p-%'", "0");
  g_assert_cmpuint (f->added->len, ==, 99);

  /* And the history goes on working. */
  g_clear_error (&error);
  exec_sql (f->path, "DROP TRIGGER test_poison");
  g_assert_true (store_batch (f, poisoned, &n_stored, &error));
  g_assert_cmpuint (n_stored, ==, 3);
}

static void
test_paging (Fixture       *f,
             gconstpointer  data)
{
  /* Timestamps with ties: the cursor must be (timestamp, id), or rows
   * that share the timestamp of a page's end are lost or repeated. */
  static const gint64 offsets[] = { 0, 10, 10, 10, 20, 30, 30, 40, 40, 40, 40, 50, 5 };
  g_autoptr(GPtrArray) stored = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) walked = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) empty = NULL;
  gint64 before_timestamp = G_MAXINT64;
  gint64 before_id = G_MAXINT64;
  gboolean has_more = TRUE;
  guint n_pages = 0;

  for (guint i = 0; i < G_N_ELEMENTS (offsets); i++)
    {
      g_autofree char *body = g_strdup_printf ("message %u", i);
      TalkMessage *message = incoming (body, T0 + offsets[i], NULL, NULL, NULL);

      store_new (f, message);
      g_ptr_array_add (stored, message);
    }
  /* Another conversation stays out of this one's pages. */
  store_new_owned (f, make_message (BOB, TALK_MESSAGE_DIRECTION_IN, BOB_FULL, "bob", T0 + 25,
                                    NULL, NULL, NULL));

  while (has_more)
    {
      g_autoptr(GPtrArray) page = load_page (f, ALICE, before_timestamp, before_id, 3,
                                             &has_more);
      TalkMessage *last;

      g_assert_cmpuint (page->len, >, 0);
      g_assert_cmpuint (page->len, <=, 3);
      for (guint i = 0; i < page->len; i++)
        g_ptr_array_add (walked, g_object_ref (g_ptr_array_index (page, i)));

      last = g_ptr_array_index (page, page->len - 1);
      before_timestamp = talk_message_get_timestamp_us (last);
      before_id = talk_message_get_id (last);
      n_pages++;
    }

  g_assert_cmpuint (n_pages, ==, 5);
  g_assert_cmpuint (walked->len, ==, stored->len);
  for (guint i = 1; i < walked->len; i++)
    {
      TalkMessage *newer = g_ptr_array_index (walked, i - 1);
      TalkMessage *older = g_ptr_array_index (walked, i);
      gint64 tn = talk_message_get_timestamp_us (newer);
      gint64 to = talk_message_get_timestamp_us (older);

      /* Strictly descending (timestamp, id): no repeat, no gap. */
      g_assert_true (tn > to ||
                     (tn == to && talk_message_get_id (newer) > talk_message_get_id (older)));
    }
  /* The one written last but dated second comes second to last. */
  g_assert_cmpint (talk_message_get_id (g_ptr_array_index (walked, walked->len - 2)), ==,
                   talk_message_get_id (g_ptr_array_index (stored, stored->len - 1)));

  empty = load_page (f, ALICE, before_timestamp, before_id, 3, &has_more);
  g_assert_cmpuint (empty->len, ==, 0);
  g_assert_false (has_more);
  g_clear_pointer (&empty, g_ptr_array_unref);
  empty = load_newest (f, "nobody@example.test", 3);
  g_assert_cmpuint (empty->len, ==, 0);
}

static void
test_pending (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(TalkMessage) carbon = NULL;
  TalkHistoryOutcome outcome;
  g_autoptr(GError) error = NULL;

  list = list_pending (f);
  g_assert_cmpuint (list->len, ==, 0);
  g_clear_pointer (&list, g_ptr_array_unref);

  /* Written offline, to two people, in this order; later ones dated
   * earlier by a skewed clock still come in writing order. */
  store_new_owned (f, pending (ALICE, "one", T0 + 100, "o-1"));
  store_new_owned (f, pending (BOB, "two", T0 + 50, "o-2"));
  store_new_owned (f, make_message (ALICE, TALK_MESSAGE_DIRECTION_OUT, ME, "sent", T0, NULL,
                                    "o-x", NULL));
  store_new_owned (f, incoming ("hi", T0 + 60, NULL, NULL, NULL));
  store_new_owned (f, pending (ALICE, "three", T0 + 10, "o-3"));

  list = list_pending (f);
  g_assert_cmpuint (list->len, ==, 3);
  g_assert_cmpstr (talk_message_get_body (g_ptr_array_index (list, 0)), ==, "one");
  g_assert_cmpstr (talk_message_get_peer (g_ptr_array_index (list, 0)), ==, ALICE);
  g_assert_cmpstr (talk_message_get_body (g_ptr_array_index (list, 1)), ==, "two");
  g_assert_cmpstr (talk_message_get_peer (g_ptr_array_index (list, 1)), ==, BOB);
  g_assert_cmpstr (talk_message_get_body (g_ptr_array_index (list, 2)), ==, "three");
  g_assert_cmpstr (talk_message_get_origin_id (g_ptr_array_index (list, 2)), ==, "o-3");
  g_clear_pointer (&list, g_ptr_array_unref);

  /* Acked by the server: no longer pending. */
  g_assert_cmpint (update_state (f, "o-1", TALK_MESSAGE_STATE_SENT, NULL), >, 0);
  /* The server's carbon of "three" proves it was sent before the
   * connection dropped: it is not sent again. */
  carbon = make_message (ALICE, TALK_MESSAGE_DIRECTION_OUT, ME, "three", T0 + 10, "sid-3",
                         "o-3", "o-3");
  store (f, carbon, &outcome, &error);
  g_assert_no_error (error);
  g_assert_cmpint (outcome, ==, TALK_HISTORY_OUTCOME_DUPLICATE);
  g_assert_cmpuint (f->updated->len, ==, 2);
  g_assert_cmpint (talk_message_get_state (g_ptr_array_index (f->updated, 1)), ==,
                   TALK_MESSAGE_STATE_SENT);

  list = list_pending (f);
  g_assert_cmpuint (list->len, ==, 1);
  g_assert_cmpstr (talk_message_get_body (g_ptr_array_index (list, 0)), ==, "two");
}

static void
test_states (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(TalkMessage) message = pending (ALICE, "how are you?", T0, "o-1");
  g_autoptr(TalkMessage) other = pending (ALICE, "anyone?", T0 + 1, "o-2");
  g_autoptr(GPtrArray) page = NULL;
  TalkMessage *updated;
  gint64 id = store_new (f, message);

  store_new (f, other);

  g_assert_cmpint (update_state (f, "o-1", TALK_MESSAGE_STATE_SENT, NULL), ==, id);
  /* A receipt names the message by its id attribute (XEP-0184). */
  g_assert_cmpint (update_state (f, "o-1", TALK_MESSAGE_STATE_DELIVERED, NULL), ==, id);
  g_assert_cmpint (update_state (f, "o-1", TALK_MESSAGE_STATE_READ, NULL), ==, id);
  /* Late reports do not move it back. */
  g_assert_cmpint (update_state (f, "o-1", TALK_MESSAGE_STATE_SENT, NULL), ==, 0);
  g_assert_cmpint (update_state (f, "o-1", TALK_MESSAGE_STATE_DELIVERED, NULL), ==, 0);
  g_assert_cmpint (update_state (f, "o-1", TALK_MESSAGE_STATE_FAILED, "late error"), ==, 0);
  /* Unknown ids change nothing. */
  g_assert_cmpint (update_state (f, "nope", TALK_MESSAGE_STATE_READ, NULL), ==, 0);

  g_assert_cmpuint (f->updated->len, ==, 3);
  updated = g_ptr_array_index (f->updated, 2);
  g_assert_cmpint (talk_message_get_id (updated), ==, id);
  g_assert_cmpint (talk_message_get_state (updated), ==, TALK_MESSAGE_STATE_READ);

  /* A failure keeps its reason for people. */
  g_assert_cmpint (update_state (f, "o-2", TALK_MESSAGE_STATE_FAILED,
                                 "The recipient is unavailable"), >, 0);
  updated = g_ptr_array_index (f->updated, 3);
  g_assert_cmpint (talk_message_get_state (updated), ==, TALK_MESSAGE_STATE_FAILED);
  g_assert_cmpstr (talk_message_get_error (updated), ==, "The recipient is unavailable");

  page = load_newest (f, ALICE, 10);
  g_assert_cmpint (talk_message_get_state (g_ptr_array_index (page, 0)), ==,
                   TALK_MESSAGE_STATE_FAILED);
  g_assert_cmpstr (talk_message_get_error (g_ptr_array_index (page, 0)), ==,
                   "The recipient is unavailable");
  g_assert_cmpint (talk_message_get_state (g_ptr_array_index (page, 1)), ==,
                   TALK_MESSAGE_STATE_READ);

  /* A receipt after all clears the failure. */
  g_assert_cmpint (update_state (f, "o-2", TALK_MESSAGE_STATE_DELIVERED, NULL), >, 0);
  updated = g_ptr_array_index (f->updated, 4);
  g_assert_cmpint (talk_message_get_state (updated), ==, TALK_MESSAGE_STATE_DELIVERED);
  g_assert_null (talk_message_get_error (updated));
}

static void
test_state_rules (void)
{
  g_assert_true (talk_message_state_can_follow (TALK_MESSAGE_STATE_PENDING,
                                                TALK_MESSAGE_STATE_SENT));
  g_assert_true (talk_message_state_can_follow (TALK_MESSAGE_STATE_PENDING,
                                                TALK_MESSAGE_STATE_READ));
  g_assert_false (talk_message_state_can_follow (TALK_MESSAGE_STATE_READ,
                                                 TALK_MESSAGE_STATE_DELIVERED));
  g_assert_false (talk_message_state_can_follow (TALK_MESSAGE_STATE_SENT,
                                                 TALK_MESSAGE_STATE_SENT));
  g_assert_true (talk_message_state_can_follow (TALK_MESSAGE_STATE_SENT,
                                                TALK_MESSAGE_STATE_FAILED));
  g_assert_false (talk_message_state_can_follow (TALK_MESSAGE_STATE_DELIVERED,
                                                 TALK_MESSAGE_STATE_FAILED));
  g_assert_true (talk_message_state_can_follow (TALK_MESSAGE_STATE_FAILED,
                                                TALK_MESSAGE_STATE_PENDING));
  g_assert_false (talk_message_state_can_follow (TALK_MESSAGE_STATE_FAILED,
                                                 TALK_MESSAGE_STATE_SENT));
}

static void
test_corrections (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(TalkMessage) original = incoming ("I'll be there at 8", T0, "s-1", "o-1", "m-1");
  g_autoptr(TalkMessage) mine = make_message (ALICE, TALK_MESSAGE_DIRECTION_OUT, ME, "okey",
                                              T0 + 5, NULL, "o-mine", "o-mine");
  g_autoptr(GPtrArray) page = NULL;
  g_autoptr(GError) error = NULL;
  TalkHistoryOutcome outcome;
  TalkMessage *updated;
  gint64 original_id = store_new (f, original);
  gint64 mine_id = store_new (f, mine);
  gint64 id;

  /* From another device of the same sender: applied (XEP-0308). */
  id = store_owned (f, correction (ALICE_PHONE, "I'll be there at 9", T0 + 10, "m-1", "c-1"),
                    &outcome, &error);
  g_assert_no_error (error);
  g_assert_cmpint (outcome, ==, TALK_HISTORY_OUTCOME_CORRECTED);
  g_assert_cmpint (id, ==, original_id);
  g_assert_cmpuint (f->updated->len, ==, 1);
  updated = g_ptr_array_index (f->updated, 0);
  g_assert_cmpint (talk_message_get_id (updated), ==, original_id);
  g_assert_cmpstr (talk_message_get_body (updated), ==, "I'll be there at 9");
  g_assert_true (talk_message_get_edited (updated));

  /* The same correction again (carbon, archive): nothing more. */
  id = store_owned (f, correction (ALICE_PHONE, "I'll be there at 9", T0 + 10, "m-1", "c-1"),
                    &outcome, &error);
  g_assert_cmpint (outcome, ==, TALK_HISTORY_OUTCOME_DUPLICATE);
  g_assert_cmpuint (f->updated->len, ==, 1);

  /* A correction of the correction still edits the original. */
  id = store_owned (f, correction (ALICE_FULL, "I'll be there at 10", T0 + 20, "c-1", "c-2"),
                    &outcome, &error);
  g_assert_cmpint (outcome, ==, TALK_HISTORY_OUTCOME_CORRECTED);
  g_assert_cmpint (id, ==, original_id);

  /* Someone else may not rewrite Alice's words (CVE-2021-41055)... */
  id = store_owned (f, correction ("mallory@example.test/x", "Don't come", T0 + 30, "m-1",
                                  "evil-1"), &outcome, &error);
  g_assert_no_error (error);
  g_assert_cmpint (outcome, ==, TALK_HISTORY_OUTCOME_REFUSED);
  g_assert_cmpint (id, ==, 0);
  /* ...nor may the account rewrite hers, nor she the account's. */
  id = store_owned (f, correction (ME, "Don't come", T0 + 31, "m-1", "evil-2"), &outcome, &error);
  g_assert_cmpint (outcome, ==, TALK_HISTORY_OUTCOME_REFUSED);
  id = store_owned (f, correction (ALICE_FULL, "I hate you", T0 + 32, "o-mine", "evil-3"),
                    &outcome, &error);
  g_assert_cmpint (outcome, ==, TALK_HISTORY_OUTCOME_REFUSED);
  /* A correction that names itself is refused. */
  id = store_owned (f, correction (ALICE_FULL, "loop", T0 + 33, "self-1", "self-1"), &outcome,
                    &error);
  g_assert_cmpint (outcome, ==, TALK_HISTORY_OUTCOME_REFUSED);
  g_assert_cmpuint (f->updated->len, ==, 2);

  /* The account corrects its own message from another device. */
  id = store_owned (f, correction (ME_PHONE, "okay", T0 + 40, "o-mine", "c-mine"), &outcome,
                    &error);
  g_assert_cmpint (outcome, ==, TALK_HISTORY_OUTCOME_CORRECTED);
  g_assert_cmpint (id, ==, mine_id);

  /* A correction of a message never received is kept as a message. */
  id = store_owned (f, correction (ALICE_FULL, "sorry, typo", T0 + 50, "unknown", "c-3"),
                    &outcome, &error);
  g_assert_cmpint (outcome, ==, TALK_HISTORY_OUTCOME_STORED);

  page = load_newest (f, ALICE, 10);
  g_assert_cmpuint (page->len, ==, 3);
  g_assert_cmpstr (talk_message_get_body (g_ptr_array_index (page, 0)), ==, "sorry, typo");
  g_assert_cmpstr (talk_message_get_body (g_ptr_array_index (page, 1)), ==, "okay");
  g_assert_true (talk_message_get_edited (g_ptr_array_index (page, 1)));
  g_assert_cmpstr (talk_message_get_body (g_ptr_array_index (page, 2)), ==,
                   "I'll be there at 10");
  g_assert_true (talk_message_get_edited (g_ptr_array_index (page, 2)));
  g_assert_cmpint (talk_message_get_id (g_ptr_array_index (page, 2)), ==, original_id);
}

static guint
count_hits_in (GPtrArray  *hits,
               const char *peer)
{
  guint n = 0;

  for (guint i = 0; i < hits->len; i++)
    if (g_strcmp0 (((TalkHistoryHit *) g_ptr_array_index (hits, i))->peer, peer) == 0)
      n++;
  return n;
}

static void
check_search (Fixture  *f,
              gboolean  indexed)
{
  g_autoptr(GPtrArray) hits = NULL;
  g_autoptr(GString) long_body = g_string_new ("Start. ");
  TalkHistoryHit *hit;
  gint64 lunch;

  for (guint i = 0; i < 40; i++)
    g_string_append (long_body, "filler words here. ");
  g_string_append (long_body, "The needle is here. ");
  for (guint i = 0; i < 40; i++)
    g_string_append (long_body, "more filler. ");

  lunch = store_new_owned (f, incoming ("Shall we have lunch tomorrow?", T0, NULL, NULL,
                                        "m-lunch"));
  store_new_owned (f, incoming ("Lunch was great", T0 + 10, NULL, NULL, NULL));
  store_new_owned (f, make_message (BOB, TALK_MESSAGE_DIRECTION_IN, BOB_FULL,
                                    "lunch meeting at noon", T0 + 20, NULL, NULL, NULL));
  store_new_owned (f, make_message (BOB, TALK_MESSAGE_DIRECTION_IN, BOB_FULL, long_body->str,
                                    T0 + 30, NULL, NULL, NULL));
  store_new_owned (f, incoming ("100% sure_thing \"quoted\" AND OR NOT *", T0 + 40, NULL, NULL,
                                NULL));
  g_assert_cmpint (talk_history_get_indexed (f->history), ==, indexed);

  /* Across all conversations, newest first. */
  hits = search (f, NULL, "lunch");
  g_assert_cmpuint (hits->len, ==, 3);
  hit = g_ptr_array_index (hits, 0);
  g_assert_cmpstr (hit->peer, ==, BOB);
  g_assert_cmpint (hit->timestamp_us, ==, T0 + 20);
  g_assert_nonnull (strstr (hit->snippet, "lunch"));
  hit = g_ptr_array_index (hits, 2);
  g_assert_cmpint (hit->message_id, ==, lunch);
  g_clear_pointer (&hits, g_ptr_array_unref);

  /* In one conversation; every word must occur. */
  hits = search (f, ALICE, "lunch");
  g_assert_cmpuint (hits->len, ==, 2);
  g_assert_cmpuint (count_hits_in (hits, ALICE), ==, 2);
  g_clear_pointer (&hits, g_ptr_array_unref);
  hits = search (f, NULL, "lunch tomorrow");
  g_assert_cmpuint (hits->len, ==, 1);
  g_clear_pointer (&hits, g_ptr_array_unref);

  /* Word prefixes, as one types. */
  hits = search (f, NULL, "tomor");
  g_assert_cmpuint (hits->len, ==, 1);
  g_clear_pointer (&hits, g_ptr_array_unref);

  /* A long body gives a snippet around the word, not the whole text. */
  hits = search (f, BOB, "needle");
  g_assert_cmpuint (hits->len, ==, 1);
  hit = g_ptr_array_index (hits, 0);
  g_assert_nonnull (strstr (hit->snippet, "needle"));
  g_assert_cmpuint (strlen (hit->snippet), <, 300);
  g_assert_true (g_str_has_prefix (hit->snippet, "…"));
  g_clear_pointer (&hits, g_ptr_array_unref);

  /* Text that would be syntax is only text. */
  hits = search (f, NULL, "\"quoted\" AND");
  g_assert_cmpuint (hits->len, ==, 1);
  g_clear_pointer (&hits, g_ptr_array_unref);
  hits = search (f, NULL, "* OR");
  g_assert_cmpuint (hits->len, ==, 1);
  g_clear_pointer (&hits, g_ptr_array_unref);

  /* Nothing to find. */
  hits = search (f, NULL, "   ");
  g_assert_cmpuint (hits->len, ==, 0);
  g_clear_pointer (&hits, g_ptr_array_unref);
  hits = search (f, NULL, "dinner");
  g_assert_cmpuint (hits->len, ==, 0);
  g_clear_pointer (&hits, g_ptr_array_unref);

  /* A correction changes what is found. */
  store_owned (f, correction (ALICE_FULL, "Shall we have dinner tomorrow?", T0 + 50, "m-lunch",
                              "c-lunch"), NULL, NULL);
  hits = search (f, ALICE, "dinner");
  g_assert_cmpuint (hits->len, ==, 1);
  g_assert_cmpint (((TalkHistoryHit *) g_ptr_array_index (hits, 0))->message_id, ==, lunch);
  g_clear_pointer (&hits, g_ptr_array_unref);
  hits = search (f, ALICE, "lunch");
  g_assert_cmpuint (hits->len, ==, 1);
  g_clear_pointer (&hits, g_ptr_array_unref);

  /* A hit says who wrote it. */
  store_new_owned (f, incoming ("a walrus on the beach", T0 + 55, NULL, NULL, NULL));
  store_new_owned (f, make_message (ALICE, TALK_MESSAGE_DIRECTION_OUT, ME, "what a walrus",
                                    T0 + 60, NULL, NULL, NULL));
  hits = search (f, ALICE, "walrus");
  g_assert_cmpuint (hits->len, ==, 2);
  g_assert_cmpint (((TalkHistoryHit *) g_ptr_array_index (hits, 0))->direction, ==,
                   TALK_MESSAGE_DIRECTION_OUT);
  g_assert_cmpint (((TalkHistoryHit *) g_ptr_array_index (hits, 1))->direction, ==,
                   TALK_MESSAGE_DIRECTION_IN);
}

static void
test_search_fts (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GPtrArray) hits = NULL;
  g_autoptr(TalkMessage) original = incoming ("See you at the café", T0, NULL, NULL, "m-1");

  check_search (f, TRUE);

  /* FTS5 folds case and diacritics; the index follows corrections. */
  store_new (f, original);
  hits = search (f, NULL, "CAFE");
  g_assert_cmpuint (hits->len, ==, 1);
  g_clear_pointer (&hits, g_ptr_array_unref);
  store_owned (f, correction (ALICE_FULL, "See you at the station", T0 + 1, "m-1", "c-1"),
               NULL, NULL);
  hits = search (f, NULL, "cafe");
  g_assert_cmpuint (hits->len, ==, 0);
  g_clear_pointer (&hits, g_ptr_array_unref);
  hits = search (f, NULL, "station");
  g_assert_cmpuint (hits->len, ==, 1);
  g_assert_cmpint (((TalkHistoryHit *) g_ptr_array_index (hits, 0))->message_id, ==,
                   talk_message_get_id (original));
}

/* The store writes the index rows of a batch itself (schema version 3):
 * a correction of a message stored in the same transaction changes
 * what is found, and copies add nothing. */
static void
test_search_fts_batch (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) again = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) hits = NULL;
  g_autoptr(GError) error = NULL;
  guint n_stored = 0;
  gint64 original;

  g_ptr_array_add (batch, incoming ("lunch at noon?", T0, "s-1", NULL, "m-1"));
  g_ptr_array_add (batch, incoming ("or a picnic", T0 + 1, "s-2", NULL, "m-2"));
  g_ptr_array_add (batch, correction (ALICE_FULL, "dinner at eight?", T0 + 2, "m-1", "c-1"));
  g_assert_true (store_batch (f, batch, &n_stored, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_stored, ==, 2);
  original = talk_message_get_id (g_ptr_array_index (batch, 0));

  hits = search (f, NULL, "lunch");
  g_assert_cmpuint (hits->len, ==, 0);
  g_clear_pointer (&hits, g_ptr_array_unref);
  hits = search (f, NULL, "dinner");
  g_assert_cmpuint (hits->len, ==, 1);
  g_assert_cmpint (((TalkHistoryHit *) g_ptr_array_index (hits, 0))->message_id, ==, original);
  g_clear_pointer (&hits, g_ptr_array_unref);
  hits = search (f, NULL, "picnic");
  g_assert_cmpuint (hits->len, ==, 1);
  g_clear_pointer (&hits, g_ptr_array_unref);

  /* The same messages again (the archive's copies): duplicates. */
  g_ptr_array_add (again, incoming ("or a picnic", T0 + 1, "s-2", NULL, "m-2"));
  g_ptr_array_add (again, incoming ("a picnic, then", T0 + 3, "s-3", NULL, "m-3"));
  g_assert_true (store_batch (f, again, &n_stored, &error));
  g_assert_cmpuint (n_stored, ==, 1);
  hits = search (f, NULL, "picnic");
  g_assert_cmpuint (hits->len, ==, 2);
  g_clear_pointer (&hits, g_ptr_array_unref);
  hits = search (f, ALICE, "eight");
  g_assert_cmpuint (hits->len, ==, 1);
}

/* A history of schema version 2 indexed new rows through a trigger; the
 * migration drops it, or every message would be indexed twice. */
static void
test_migrate_fts_trigger (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(GPtrArray) hits = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *backup = g_strconcat (f->path, ".v2.bak", NULL);

  store_new_owned (f, incoming ("stored by version two", T0, "s-1", NULL, "m-1"));
  close_history (f);
  g_clear_object (&f->history);
  /* What version 2 looked like. */
  exec_sql (f->path, "CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages"
                     "  WHEN new.replaces IS NULL BEGIN"
                     "  INSERT INTO messages_fts (rowid, body) VALUES (new.id, new.body);"
                     "END;"
                     "PRAGMA user_version = 2;");

  fixture_new_history (f, "path", f->path, NULL);
  g_assert_true (open_history (f, &error));
  g_assert_no_error (error);
  g_assert_true (talk_history_get_indexed (f->history));
  ASSERT_QUERY (f, "PRAGMA user_version", "3");
  g_assert_true (g_file_test (backup, G_FILE_TEST_EXISTS));
  ASSERT_QUERY (f, "SELECT group_concat (name, ' ') FROM"
                   " (SELECT name FROM sqlite_schema WHERE type = 'trigger' ORDER BY name)",
                "messages_fts_delete messages_fts_update");

  store_new_owned (f, incoming ("stored by version three", T0 + 1, "s-2", NULL, "m-2"));
  hits = search (f, NULL, "stored version");
  g_assert_cmpuint (hits->len, ==, 2);
  g_clear_pointer (&hits, g_ptr_array_unref);
  hits = search (f, NULL, "three");
  g_assert_cmpuint (hits->len, ==, 1);
}

static void
test_search_like (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GPtrArray) hits = NULL;

  fixture_new_history (f, "path", f->path, "full-text-search", FALSE, NULL);
  check_search (f, FALSE);

  /* The LIKE scan matches inside words and ignores ASCII case. */
  hits = search (f, NULL, "UNCH");
  g_assert_cmpuint (hits->len, ==, 2);
  g_clear_pointer (&hits, g_ptr_array_unref);
  hits = search (f, NULL, "100%");
  g_assert_cmpuint (hits->len, ==, 1);
  g_clear_pointer (&hits, g_ptr_array_unref);
  hits = search (f, NULL, "0%s");
  g_assert_cmpuint (hits->len, ==, 0);
}

static void
test_search_index_later (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GPtrArray) hits = NULL;
  g_autoptr(GError) error = NULL;

  /* Messages stored while the index was not kept... */
  fixture_new_history (f, "path", f->path, "full-text-search", FALSE, NULL);
  store_new_owned (f, incoming ("written before the index", T0, NULL, NULL, NULL));
  close_history (f);

  /* ...are found once it is made. */
  fixture_new_history (f, "path", f->path, NULL);
  g_assert_true (open_history (f, &error));
  g_assert_true (talk_history_get_indexed (f->history));
  hits = search (f, NULL, "before index");
  g_assert_cmpuint (hits->len, ==, 1);
}

static void
test_unread (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  store_new_owned (f, incoming ("one", T0, NULL, NULL, NULL));
  g_assert_cmpint (announced_unread (f, ALICE), ==, 1);
  store_new_owned (f, incoming ("two", T0 + 1, NULL, NULL, NULL));
  g_assert_cmpint (announced_unread (f, ALICE), ==, 2);
  /* Outgoing messages are not unread. */
  store_new_owned (f, make_message (ALICE, TALK_MESSAGE_DIRECTION_OUT, ME, "three", T0 + 2, NULL,
                                    NULL, NULL));
  g_assert_cmpuint (get_unread (f, ALICE), ==, 2);
  g_assert_cmpuint (get_unread (f, BOB), ==, 0);

  talk_history_mark_read_async (f->history, ACCOUNT, ALICE, NULL, talk_test_store_result_cb,
                                &result);
  WAIT_UNTIL (result != NULL);
  g_assert_true (talk_history_mark_read_finish (f->history, result, &error));
  g_assert_no_error (error);
  g_assert_cmpint (announced_unread (f, ALICE), ==, 0);
  g_assert_cmpuint (get_unread (f, ALICE), ==, 0);
}

static void
test_reopen (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GPtrArray) page = NULL;
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *version = NULL;

  store_new_owned (f, incoming ("first", T0, "s-1", "o-1", NULL));
  store_new_owned (f, pending (ALICE, "queued", T0 + 1, "o-2"));
  store_owned (f, correction (ALICE_FULL, "first!", T0 + 2, "o-1", "c-1"), NULL, NULL);
  close_history (f);

  /* Closed: operations fail cleanly. */
  talk_history_load_page_async (f->history, ACCOUNT, ALICE, G_MAXINT64, G_MAXINT64, 10, NULL,
                                talk_test_store_result_cb, &result);
  WAIT_UNTIL (result != NULL);
  g_assert_null (talk_history_load_page_finish (f->history, result, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
  g_clear_error (&error);

  fixture_new_history (f, "path", f->path, NULL);
  page = load_newest (f, ALICE, 10);
  g_assert_false (talk_history_get_unclean_shutdown (f->history));
  g_assert_cmpuint (page->len, ==, 2);
  g_assert_cmpstr (talk_message_get_body (g_ptr_array_index (page, 1)), ==, "first!");
  g_assert_true (talk_message_get_edited (g_ptr_array_index (page, 1)));
  list = list_pending (f);
  g_assert_cmpuint (list->len, ==, 1);
  g_assert_cmpuint (get_unread (f, ALICE), ==, 1);

  /* Duplicates are still recognised after the restart. */
  store_owned (f, incoming ("first", T0, "s-1", "o-1", NULL), NULL, &error);
  g_assert_no_error (error);
  ASSERT_QUERY (f, "SELECT count(*) FROM messages WHERE replaces IS NULL", "2");

  /* Finalizing without close_async() closes too. */
  g_clear_object (&f->history);
  version = query_sql (f->path, "PRAGMA user_version");
  g_assert_cmpstr (version, ==, "3");
  {
    g_autofree char *marker = g_strconcat (f->path, "-open", NULL);

    g_assert_false (g_file_test (marker, G_FILE_TEST_EXISTS));
  }
}

/* The displayed marker owed for the newest markable message survives a
 * restart, and one marker covers the messages before it. */
static void
test_markable (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(TalkMessage) owed = NULL;
  g_autoptr(TalkMessage) none = NULL;
  g_autoptr(GPtrArray) page = NULL;
  g_autoptr(GError) error = NULL;
  TalkHistoryOutcome outcome = TALK_HISTORY_OUTCOME_STORED;
  gint64 first, newest;

  g_assert_null (get_markable (f, ALICE));

  first = store_new_owned (f, incoming_markable ("one", T0, "s-1", "m-1"));
  store_new_owned (f, incoming ("two, no markers asked", T0 + 1, "s-2", NULL, "m-2"));
  owed = get_markable (f, ALICE);
  g_assert_nonnull (owed);
  g_assert_cmpint (talk_message_get_id (owed), ==, first);
  g_assert_cmpstr (talk_message_get_message_id (owed), ==, "m-1");
  g_assert_true (talk_message_get_markable (owed));
  g_clear_object (&owed);

  newest = store_new_owned (f, incoming_markable ("three", T0 + 2, "s-3", "m-3"));
  /* Our own messages never owe a marker, whatever they carry. */
  {
    g_autoptr(GDateTime) later = date_time_from_us (T0 + 4);

    store_new_owned (f, g_object_new (TALK_TYPE_MESSAGE, "peer", ALICE,
                                      "direction", TALK_MESSAGE_DIRECTION_OUT, "sender", ME,
                                      "body", "mine", "timestamp", later,
                                      "state", TALK_MESSAGE_STATE_SENT, "origin-id", "o-4",
                                      "markable", TRUE, NULL));
  }

  /* A restart keeps what is owed. */
  close_history (f);
  fixture_new_history (f, "path", f->path, NULL);
  owed = get_markable (f, ALICE);
  g_assert_nonnull (owed);
  g_assert_cmpint (talk_message_get_id (owed), ==, newest);
  g_assert_cmpstr (talk_message_get_message_id (owed), ==, "m-3");
  ASSERT_QUERY (f, "SELECT count(*) FROM messages WHERE markable <> 0", "2");

  /* One marker for the newest covers the first as well. */
  g_assert_cmpuint (set_displayed (f, ALICE, newest), ==, 2);
  none = get_markable (f, ALICE);
  g_assert_null (none);
  g_assert_cmpuint (set_displayed (f, ALICE, newest), ==, 0);

  /* A copy from the archive does not make it owed again. */
  store_owned (f, incoming_markable ("three", T0 + 2, "s-3", "m-3"), &outcome, &error);
  g_assert_no_error (error);
  g_assert_cmpint (outcome, ==, TALK_HISTORY_OUTCOME_DUPLICATE);
  g_assert_null (get_markable (f, ALICE));

  close_history (f);
  fixture_new_history (f, "path", f->path, NULL);
  g_assert_null (get_markable (f, ALICE));
  page = load_newest (f, ALICE, 10);
  g_assert_cmpuint (page->len, ==, 4);
  /* Newest first: mine, three, two, one; the flag comes back as stored. */
  g_assert_false (talk_message_get_markable (g_ptr_array_index (page, 0)));
  g_assert_true (talk_message_get_markable (g_ptr_array_index (page, 1)));
  g_assert_false (talk_message_get_markable (g_ptr_array_index (page, 2)));
  g_assert_true (talk_message_get_markable (g_ptr_array_index (page, 3)));

  /* A newer markable message is owed again; other peers are apart. */
  store_new_owned (f, incoming_markable ("four", T0 + 3, "s-5", "m-5"));
  owed = get_markable (f, ALICE);
  g_assert_cmpstr (talk_message_get_message_id (owed), ==, "m-5");
  g_assert_null (get_markable (f, BOB));
  g_clear_object (&owed);

  /* Another of the user's devices sent the marker: named by the message's
   * id, or by its stanza-id; an id of nothing here covers nothing. */
  g_assert_cmpuint (set_displayed_by_id (f, ALICE, "m-unknown"), ==, 0);
  g_assert_cmpuint (set_displayed_by_id (f, BOB, "m-5"), ==, 0);
  g_assert_cmpuint (set_displayed_by_id (f, ALICE, "m-5"), ==, 1);
  g_assert_null (get_markable (f, ALICE));
  store_new_owned (f, incoming_markable ("five", T0 + 5, "s-6", "m-6"));
  store_new_owned (f, incoming_markable ("six", T0 + 6, "s-7", "m-7"));
  g_assert_cmpuint (set_displayed_by_id (f, ALICE, "s-6"), ==, 1);
  owed = get_markable (f, ALICE);
  g_assert_cmpstr (talk_message_get_message_id (owed), ==, "m-7");
}

/* A history of schema version 1 (before markers were kept) migrates
 * with its messages, after a backup. */
static void
test_migrate_markable (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) page = NULL;
  g_autoptr(TalkMessage) owed = NULL;
  g_autofree char *backup = g_strconcat (f->path, ".v1.bak", NULL);

  store_new_owned (f, incoming ("from version 1", T0, "s-1", NULL, "m-1"));
  close_history (f);
  g_clear_object (&f->history);
  /* What version 1 looked like. */
  exec_sql (f->path, "DROP INDEX messages_markable;"
                     "ALTER TABLE messages DROP COLUMN markable;"
                     "PRAGMA user_version = 1;");

  fixture_new_history (f, "path", f->path, NULL);
  g_assert_true (open_history (f, &error));
  g_assert_no_error (error);
  ASSERT_QUERY (f, "PRAGMA user_version", "3");
  g_assert_true (g_file_test (backup, G_FILE_TEST_EXISTS));
  page = load_newest (f, ALICE, 10);
  g_assert_cmpuint (page->len, ==, 1);
  g_assert_cmpstr (talk_message_get_body (g_ptr_array_index (page, 0)), ==, "from version 1");
  g_assert_false (talk_message_get_markable (g_ptr_array_index (page, 0)));
  g_assert_null (get_markable (f, ALICE));

  store_new_owned (f, incoming_markable ("after the migration", T0 + 1, "s-2", "m-2"));
  owed = get_markable (f, ALICE);
  g_assert_cmpstr (talk_message_get_message_id (owed), ==, "m-2");
}

static void
test_unclean_shutdown (Fixture       *f,
                       gconstpointer  data)
{
  g_autofree char *marker = g_strconcat (f->path, "-open", NULL);
  g_autoptr(GPtrArray) page = NULL;
  g_autoptr(GError) error = NULL;

  store_new_owned (f, incoming ("kept", T0, NULL, NULL, NULL));
  close_history (f);

  /* As if the last run had crashed with the file open. */
  g_assert_true (g_file_set_contents (marker, "", 0, &error));
  fixture_new_history (f, "path", f->path, NULL);
  g_assert_true (open_history (f, &error));
  g_assert_no_error (error);
  g_assert_true (talk_history_get_unclean_shutdown (f->history));
  page = load_newest (f, ALICE, 10);
  g_assert_cmpuint (page->len, ==, 1);
}

static void
assert_store_fails (Fixture    *f,
                    GQuark      domain,
                    int         code)
{
  g_autoptr(TalkMessage) message = incoming ("lost?", T0, NULL, NULL, NULL);
  g_autoptr(GError) error = NULL;
  TalkHistoryOutcome outcome = TALK_HISTORY_OUTCOME_STORED;

  g_assert_cmpint (store (f, message, &outcome, &error), ==, 0);
  g_assert_error (error, domain, code);
  g_test_message ("%s", error->message);
  g_assert_cmpint (talk_message_get_id (message), ==, 0);
}

static void
test_read_only (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GPtrArray) page = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  store_new_owned (f, incoming ("readable", T0, NULL, NULL, NULL));
  close_history (f);

  fixture_new_history (f, "path", f->path, "read-only", TRUE, NULL);
  page = load_newest (f, ALICE, 10);
  g_assert_cmpuint (page->len, ==, 1);
  assert_store_fails (f, TALK_CORE_ERROR, TALK_CORE_ERROR_HISTORY_READONLY);

  talk_history_mark_read_async (f->history, ACCOUNT, ALICE, NULL, talk_test_store_result_cb,
                                &result);
  WAIT_UNTIL (result != NULL);
  g_assert_false (talk_history_mark_read_finish (f->history, result, &error));
  g_assert_error (error, TALK_CORE_ERROR, TALK_CORE_ERROR_HISTORY_READONLY);
  g_assert_nonnull (strstr (error->message, f->path));
}

/* The file and its folder without write permission. Root ignores
 * permissions, so as root the test acts as nobody meanwhile (seteuid
 * applies to every thread of the process). */
static void
test_read_only_file (Fixture       *f,
                     gconstpointer  data)
{
  gboolean as_root = geteuid () == 0;
  g_autoptr(GPtrArray) page = NULL;
  g_autoptr(GError) error = NULL;

  store_new_owned (f, incoming ("readable", T0, NULL, NULL, NULL));
  close_history (f);
  g_clear_object (&f->history);

  g_assert_cmpint (g_chmod (f->path, 0444), ==, 0);
  g_assert_cmpint (g_chmod (f->dir, 0555), ==, 0);
  if (as_root)
    {
      g_assert_cmpint (setegid (65534), ==, 0);
      g_assert_cmpint (seteuid (65534), ==, 0);
    }

  fixture_new_history (f, "path", f->path, NULL);
  assert_store_fails (f, TALK_CORE_ERROR, TALK_CORE_ERROR_HISTORY_READONLY);
  g_clear_object (&f->history);

  if (as_root)
    {
      g_assert_cmpint (seteuid (0), ==, 0);
      g_assert_cmpint (setegid (0), ==, 0);
    }
  g_chmod (f->dir, 0700);
  g_chmod (f->path, 0644);
}

static void
test_corrupt (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(GString) garbage = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *contents = NULL;
  gsize length;

  for (guint i = 0; i < 8192; i++)
    g_string_append_c (garbage, (char) g_random_int_range (0, 256));
  memcpy (garbage->str, "This is not SQLite", 18);
  g_assert_true (g_file_set_contents (f->path, garbage->str, garbage->len, &error));

  g_assert_false (open_history (f, &error));
  g_assert_error (error, TALK_CORE_ERROR, TALK_CORE_ERROR_HISTORY_CORRUPT);
  g_test_message ("%s", error->message);
  g_clear_error (&error);

  /* Every operation says so; none crashes, none writes. */
  assert_store_fails (f, TALK_CORE_ERROR, TALK_CORE_ERROR_HISTORY_CORRUPT);
  talk_history_search_async (f->history, ACCOUNT, NULL, "x", 10, NULL,
                             talk_test_store_result_cb, &result);
  WAIT_UNTIL (result != NULL);
  g_assert_null (talk_history_search_finish (f->history, result, &error));
  g_assert_error (error, TALK_CORE_ERROR, TALK_CORE_ERROR_HISTORY_CORRUPT);

  g_assert_true (g_file_get_contents (f->path, &contents, &length, NULL));
  g_assert_cmpmem (contents, length, garbage->str, garbage->len);
}

static void
test_corrupt_pages (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) body = g_string_new (NULL);
  g_autofree char *marker = g_strconcat (f->path, "-open", NULL);
  g_autofree char *contents = NULL;
  gsize length;

  /* A real database whose pages past the first are overwritten: the
   * check after an unclean shutdown finds it. */
  for (guint i = 0; i < 2000; i++)
    g_string_append (body, "some text ");
  for (guint i = 0; i < 20; i++)
    store_new_owned (f, incoming (body->str, T0 + i, NULL, NULL, NULL));
  close_history (f);
  g_clear_object (&f->history);

  g_assert_true (g_file_get_contents (f->path, &contents, &length, &error));
  g_assert_cmpuint (length, >, 8 * 4096);
  for (gsize i = 4096; i < length; i++)
    contents[i] = (char) (i * 7);
  g_assert_true (g_file_set_contents (f->path, contents, length, &error));
  g_assert_true (g_file_set_contents (marker, "", 0, &error));

  fixture_new_history (f, "path", f->path, NULL);
  g_assert_false (open_history (f, &error));
  g_assert_error (error, TALK_CORE_ERROR, TALK_CORE_ERROR_HISTORY_CORRUPT);
  g_clear_error (&error);
  assert_store_fails (f, TALK_CORE_ERROR, TALK_CORE_ERROR_HISTORY_CORRUPT);
}

static void
test_cancelled (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  g_cancellable_cancel (cancellable);
  talk_history_load_page_async (f->history, ACCOUNT, ALICE, G_MAXINT64, G_MAXINT64, 10,
                                cancellable, talk_test_store_result_cb, &result);
  WAIT_UNTIL (result != NULL);
  g_assert_null (talk_history_load_page_finish (f->history, result, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

static void
test_default_path (void)
{
  g_autofree char *path = talk_history_dup_default_path ();
  g_autofree char *expected = g_build_filename (g_get_user_data_dir (), "talk", "history.db",
                                                NULL);
  g_autoptr(TalkHistory) history = talk_history_new (NULL);

  g_assert_cmpstr (path, ==, expected);
  g_assert_cmpstr (talk_history_get_path (history), ==, expected);
}

/* A burst of live messages stored together: what became of each one, in
 * order (the same message delivered three times is stored once). */
static void
test_batch_outcomes (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GPtrArray) burst = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GArray) outcomes = NULL;
  g_autoptr(GError) error = NULL;

  g_ptr_array_add (burst, incoming ("once", T0, "s-1", "o-1", "m-1"));
  g_ptr_array_add (burst, incoming ("once", T0, "s-1", "o-1", "m-1"));
  g_ptr_array_add (burst, incoming ("twice", T0 + 1000, "s-2", "o-2", "m-2"));
  g_ptr_array_add (burst, incoming ("once", T0, "s-1", "o-1", "m-1"));
  g_ptr_array_add (burst, correction (ALICE_FULL, "twice, corrected", T0 + 2000, "m-2", "o-3"));

  talk_history_store_batch_async (f->history, ACCOUNT, burst, NULL,
                                  talk_test_store_result_cb, &result);
  WAIT_UNTIL (result != NULL);
  g_assert_true (talk_history_store_batch_finish_outcomes (f->history, result, &outcomes, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (outcomes->len, ==, 5);
  g_assert_cmpint (g_array_index (outcomes, TalkHistoryOutcome, 0), ==, TALK_HISTORY_OUTCOME_STORED);
  g_assert_cmpint (g_array_index (outcomes, TalkHistoryOutcome, 1), ==, TALK_HISTORY_OUTCOME_DUPLICATE);
  g_assert_cmpint (g_array_index (outcomes, TalkHistoryOutcome, 2), ==, TALK_HISTORY_OUTCOME_STORED);
  g_assert_cmpint (g_array_index (outcomes, TalkHistoryOutcome, 3), ==, TALK_HISTORY_OUTCOME_DUPLICATE);
  g_assert_cmpint (g_array_index (outcomes, TalkHistoryOutcome, 4), ==, TALK_HISTORY_OUTCOME_CORRECTED);
  ASSERT_QUERY (f, "SELECT count(*) FROM messages WHERE replaces IS NULL", "2");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/talk/core/history/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("schema", test_schema);
  ADD ("query-plan", test_query_plan);
  ADD ("migrate-empty", test_migrate_empty);
  ADD ("newer-version", test_newer_version);
  ADD ("round-trip", test_round_trip);
  ADD ("duplicates", test_duplicates);
  ADD ("batch", test_batch);
  ADD ("batch-outcomes", test_batch_outcomes);
  ADD ("paging", test_paging);
  ADD ("pending", test_pending);
  ADD ("states", test_states);
  ADD ("corrections", test_corrections);
  ADD ("search-fts", test_search_fts);
  ADD ("search-fts-batch", test_search_fts_batch);
  ADD ("migrate-fts-trigger", test_migrate_fts_trigger);
  ADD ("search-like", test_search_like);
  ADD ("search-index-later", test_search_index_later);
  ADD ("unread", test_unread);
  ADD ("reopen", test_reopen);
  ADD ("markable", test_markable);
  ADD ("migrate-markable", test_migrate_markable);
  ADD ("unclean-shutdown", test_unclean_shutdown);
  ADD ("read-only", test_read_only);
  ADD ("read-only-file", test_read_only_file);
  ADD ("corrupt", test_corrupt);
  ADD ("corrupt-pages", test_corrupt_pages);
  ADD ("cancelled", test_cancelled);
  g_test_add_func ("/talk/core/history/state-rules", test_state_rules);
  g_test_add_func ("/talk/core/history/default-path", test_default_path);

#undef ADD

  return g_test_run ();
}
