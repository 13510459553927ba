/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What each history job does, on the worker thread, in SQL.
 *
 * Storing: each message goes into the conversation of its peer. The
 * unique indexes decide duplicates (INSERT … ON CONFLICT DO NOTHING); a
 * duplicate completes the stored copy. A correction (XEP-0308) looks up
 * the message it replaces, checks the sender and rewrites that row.
 */

#include "config.h"

#include <string.h>

#include "talk-history-private.h"

/* A correction of a correction is followed back to the original at most
 * this far, which also ends loops of messages that name each other. */
#define MAX_CORRECTION_CHAIN 8

/* The LIKE fallback takes at most this many words. */
#define MAX_SEARCH_WORDS 16

/* Characters of context a LIKE snippet keeps before and after the hit. */
#define SNIPPET_BEFORE 30
#define SNIPPET_AFTER 70

#define FROM_MESSAGES " FROM messages m JOIN conversations c ON c.id = m.conversation"

static const char SQL_INSERT_MESSAGE[] =
  "INSERT INTO messages (conversation, direction, sender, body, timestamp,"
  " server_timestamp, state, error, stanza_id, stanza_id_by, origin_id, message_id,"
  " replaces, edited, archive_id, markable)"
  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)"
  " ON CONFLICT DO NOTHING";
static const char SQL_INSERT_FTS[] = "INSERT INTO messages_fts (rowid, body) VALUES (?1, ?2)";
static const char SQL_FIND_BY_STANZA_ID[] =
  "SELECT id FROM messages WHERE conversation = ?1 AND stanza_id = ?2";
static const char SQL_FIND_BY_ORIGIN_ID[] =
  "SELECT id FROM messages WHERE conversation = ?1 AND origin_id = ?2 AND direction = ?3";
static const char SQL_MERGE_DUPLICATE[] =
  "UPDATE OR IGNORE messages SET"
  " stanza_id_by = iif (stanza_id IS NULL, ?3, stanza_id_by),"
  " stanza_id = coalesce (stanza_id, ?2),"
  " archive_id = coalesce (archive_id, ?4),"
  " server_timestamp = coalesce (server_timestamp, ?5),"
  " markable = iif (markable = 0, ?6, markable)"
  " WHERE id = ?1 AND ((stanza_id IS NULL AND ?2 IS NOT NULL)"
  "  OR (archive_id IS NULL AND ?4 IS NOT NULL)"
  "  OR (server_timestamp IS NULL AND ?5 IS NOT NULL)"
  "  OR (markable = 0 AND ?6 <> 0))";
static const char SQL_PROMOTE_PENDING[] =
  "UPDATE messages SET state = 1 WHERE id = ?1 AND state = 0";
static const char SQL_TOUCH_CONVERSATION[] =
  "UPDATE conversations SET last_activity = max (last_activity, ?2), unread = unread + ?3"
  " WHERE id = ?1";
static const char SQL_FIND_CORRECTION_TARGET[] =
  "SELECT id, sender, replaces FROM messages"
  " WHERE conversation = ?1 AND (message_id = ?2 OR origin_id = ?2)"
  " ORDER BY id DESC";
static const char SQL_APPLY_CORRECTION[] =
  "UPDATE messages SET body = ?2, edited = 1 WHERE id = ?1";
static const char SQL_SELECT_MESSAGE[] =
  "SELECT " TALK_HISTORY_MESSAGE_COLUMNS FROM_MESSAGES
  " WHERE m.id = ?1";
static const char SQL_LOAD_PAGE[] =
  "SELECT " TALK_HISTORY_MESSAGE_COLUMNS FROM_MESSAGES
  " WHERE m.conversation = ?1 AND m.replaces IS NULL AND (m.timestamp, m.id) < (?2, ?3)"
  " ORDER BY m.timestamp DESC, m.id DESC LIMIT ?4";
static const char SQL_LIST_PENDING[] =
  "SELECT " TALK_HISTORY_MESSAGE_COLUMNS FROM_MESSAGES
  " WHERE m.state = 0 AND m.direction = 1 AND c.account = ?1"
  " ORDER BY m.id";
static const char SQL_FIND_STATE_TARGET[] =
  "SELECT id, state FROM messages"
  " WHERE conversation = ?1 AND direction = 1 AND (origin_id = ?2 OR message_id = ?2)"
  " ORDER BY id DESC LIMIT 1";
static const char SQL_SET_STATE[] = "UPDATE messages SET state = ?2, error = ?3 WHERE id = ?1";
static const char SQL_MARK_READ[] =
  "UPDATE conversations SET unread = 0 WHERE id = ?1 AND unread <> 0";
static const char SQL_GET_UNREAD[] = "SELECT unread FROM conversations WHERE id = ?1";
static const char SQL_LAST_ARCHIVE_ID[] =
  "SELECT m.archive_id" FROM_MESSAGES
  " WHERE m.archive_id IS NOT NULL AND c.account = ?1"
  " ORDER BY m.timestamp DESC, m.id DESC LIMIT 1";
/* XEP-0333 §4: a marker covers every message before it, so only the
 * newest markable message counts; it is owed when no marker covered it. */
static const char SQL_NEWEST_MARKABLE[] =
  "SELECT " TALK_HISTORY_MESSAGE_COLUMNS FROM_MESSAGES
  " WHERE m.conversation = ?1 AND m.markable <> 0 AND m.direction = 0"
  " ORDER BY m.timestamp DESC, m.id DESC LIMIT 1";
static const char SQL_SET_DISPLAYED[] =
  "UPDATE messages SET markable = 2"
  " WHERE conversation = ?1 AND markable = 1 AND direction = 0"
  "  AND (timestamp, id) <= (SELECT timestamp, id FROM messages WHERE id = ?2)";
static const char SQL_SET_DISPLAYED_BY_ID[] =
  "UPDATE messages SET markable = 2"
  " WHERE conversation = ?1 AND markable = 1 AND direction = 0"
  "  AND (timestamp, id) <= (SELECT timestamp, id FROM messages"
  "   WHERE conversation = ?1 AND direction = 0 AND (message_id = ?2 OR stanza_id = ?2)"
  "   ORDER BY timestamp DESC, id DESC LIMIT 1)";
static const char SQL_SEARCH_FTS[] =
  "SELECT m.id, c.peer, m.timestamp, snippet (messages_fts, 0, '', '', '…', 16), m.direction"
  " FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid"
  " JOIN conversations c ON c.id = m.conversation"
  " WHERE messages_fts MATCH ?1 AND c.account = ?2 AND (?3 IS NULL OR c.peer = ?3)"
  " ORDER BY m.timestamp DESC, m.id DESC LIMIT ?4";

/* A copy of the row @id as it is now, for "message-updated". */
static gboolean
worker_snapshot (TalkHistoryWorker  *w,
                 TalkHistoryJob     *job,
                 gint64              id,
                 GError            **error)
{
  g_autoptr(GError) local_error = NULL;
  sqlite3_stmt *stmt;

  if ((stmt = _talk_history_db_prepare (w, SQL_SELECT_MESSAGE, error)) == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, id);
  if (!_talk_history_db_step_row (w, stmt, &local_error))
    {
      if (local_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      return TRUE;
    }

  if (job->updated == NULL)
    job->updated = g_ptr_array_new_with_free_func (_talk_history_row_free);
  g_ptr_array_add (job->updated, _talk_history_row_new_from_stmt (stmt));
  sqlite3_reset (stmt);
  return TRUE;
}

static void
bind_text_or_null (sqlite3_stmt *stmt,
                   int           index,
                   const char   *text)
{
  if (text != NULL)
    sqlite3_bind_text (stmt, index, text, -1, SQLITE_STATIC);
  else
    sqlite3_bind_null (stmt, index);
}

static void
bind_time_or_null (sqlite3_stmt *stmt,
                   int           index,
                   gint64        us)
{
  if (us != 0)
    sqlite3_bind_int64 (stmt, index, us);
  else
    sqlite3_bind_null (stmt, index);
}

/* Inserts @row unless a unique index already holds it. */
static gboolean
worker_insert (TalkHistoryWorker     *w,
               gint64                 conversation,
               const TalkHistoryRow  *row,
               const char            *replaces,
               gboolean              *inserted,
               GError               **error)
{
  sqlite3_stmt *stmt;

  if ((stmt = _talk_history_db_prepare (w, SQL_INSERT_MESSAGE, error)) == NULL)
    return FALSE;

  sqlite3_bind_int64 (stmt, 1, conversation);
  sqlite3_bind_int (stmt, 2, row->direction);
  sqlite3_bind_text (stmt, 3, row->sender, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, row->body, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 5, row->timestamp);
  bind_time_or_null (stmt, 6, row->server_timestamp);
  sqlite3_bind_int (stmt, 7, row->state);
  bind_text_or_null (stmt, 8, row->error);
  bind_text_or_null (stmt, 9, row->stanza_id);
  bind_text_or_null (stmt, 10, row->stanza_id_by);
  bind_text_or_null (stmt, 11, row->origin_id);
  bind_text_or_null (stmt, 12, row->message_id);
  bind_text_or_null (stmt, 13, replaces);
  sqlite3_bind_int (stmt, 14, row->edited);
  bind_text_or_null (stmt, 15, row->archive_id);
  sqlite3_bind_int (stmt, 16, row->direction == TALK_MESSAGE_DIRECTION_IN ? row->markable : 0);

  if (!_talk_history_db_step_done (w, stmt, error))
    return FALSE;

  *inserted = sqlite3_changes (w->db) > 0;
  if (!*inserted || replaces != NULL || !w->fts_rows)
    return TRUE;

  /* What the messages_fts_insert trigger did before schema version 3,
   * in a statement of its own: see the migration. Applied corrections
   * stay out of the index, their text is in the row they changed. */
  if ((stmt = _talk_history_db_prepare (w, SQL_INSERT_FTS, error)) == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, sqlite3_last_insert_rowid (w->db));
  sqlite3_bind_text (stmt, 2, row->body, -1, SQLITE_STATIC);
  return _talk_history_db_step_done (w, stmt, error);
}

/* The row that a duplicate of @row collided with; 0 when none. */
static gboolean
worker_find_duplicate (TalkHistoryWorker     *w,
                       gint64                 conversation,
                       const TalkHistoryRow  *row,
                       gint64                *id,
                       GError               **error)
{
  g_autoptr(GError) local_error = NULL;
  sqlite3_stmt *stmt;

  *id = 0;

  if (row->stanza_id != NULL)
    {
      if ((stmt = _talk_history_db_prepare (w, SQL_FIND_BY_STANZA_ID, error)) == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, conversation);
      sqlite3_bind_text (stmt, 2, row->stanza_id, -1, SQLITE_STATIC);
      if (_talk_history_db_step_row (w, stmt, &local_error))
        *id = sqlite3_column_int64 (stmt, 0);
      sqlite3_reset (stmt);
    }

  if (*id == 0 && local_error == NULL && row->origin_id != NULL)
    {
      if ((stmt = _talk_history_db_prepare (w, SQL_FIND_BY_ORIGIN_ID, error)) == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, conversation);
      sqlite3_bind_text (stmt, 2, row->origin_id, -1, SQLITE_STATIC);
      sqlite3_bind_int (stmt, 3, row->direction);
      if (_talk_history_db_step_row (w, stmt, &local_error))
        *id = sqlite3_column_int64 (stmt, 0);
      sqlite3_reset (stmt);
    }

  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return TRUE;
}

/*
 * A second copy completes the first: a live message has no archive id
 * until the archive's copy comes; an own message written here is PENDING
 * until the server's copy (carbon, archive) proves it was sent.
 */
static gboolean
worker_merge_duplicate (TalkHistoryWorker     *w,
                        TalkHistoryJob        *job,
                        gint64                 id,
                        const TalkHistoryRow  *row,
                        GError               **error)
{
  sqlite3_stmt *stmt;

  if ((stmt = _talk_history_db_prepare (w, SQL_MERGE_DUPLICATE, error)) == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, id);
  bind_text_or_null (stmt, 2, row->stanza_id);
  bind_text_or_null (stmt, 3, row->stanza_id_by);
  bind_text_or_null (stmt, 4, row->archive_id);
  bind_time_or_null (stmt, 5, row->server_timestamp);
  sqlite3_bind_int (stmt, 6, row->direction == TALK_MESSAGE_DIRECTION_IN ? row->markable : 0);
  if (!_talk_history_db_step_done (w, stmt, error))
    return FALSE;

  if (row->direction != TALK_MESSAGE_DIRECTION_OUT || row->state == TALK_MESSAGE_STATE_PENDING)
    return TRUE;

  if ((stmt = _talk_history_db_prepare (w, SQL_PROMOTE_PENDING, error)) == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, id);
  if (!_talk_history_db_step_done (w, stmt, error))
    return FALSE;

  if (sqlite3_changes (w->db) > 0)
    return worker_snapshot (w, job, id, error);
  return TRUE;
}

static void
touch_free (gpointer data)
{
  TalkHistoryTouch *touch = data;

  g_free (touch->peer);
  g_free (touch);
}

/* Notes what a stored row changes in its conversation; one UPDATE per
 * conversation and job writes it (worker_apply_touches()). */
static void
worker_touch_conversation (TalkHistoryJob        *job,
                           gint64                 conversation,
                           const TalkHistoryRow  *row)
{
  TalkHistoryTouch *touch;

  if (job->touched == NULL)
    job->touched = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, touch_free);

  touch = g_hash_table_lookup (job->touched, &conversation);
  if (touch == NULL)
    {
      touch = g_new0 (TalkHistoryTouch, 1);
      touch->peer = g_strdup (row->peer);
      touch->last_activity = row->timestamp;
      g_hash_table_insert (job->touched, _talk_history_id_dup (conversation), touch);
    }

  touch->last_activity = MAX (touch->last_activity, row->timestamp);
  if (row->direction == TALK_MESSAGE_DIRECTION_IN && row->state != TALK_MESSAGE_STATE_READ)
    touch->unread++;
}

static gboolean
worker_apply_touches (TalkHistoryWorker  *w,
                      TalkHistoryJob     *job,
                      GError            **error)
{
  GHashTableIter iter;
  gpointer key;
  gpointer value;

  if (job->touched == NULL)
    return TRUE;

  g_hash_table_iter_init (&iter, job->touched);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      TalkHistoryTouch *touch = value;
      sqlite3_stmt *stmt = _talk_history_db_prepare (w, SQL_TOUCH_CONVERSATION, error);

      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, *(gint64 *) key);
      sqlite3_bind_int64 (stmt, 2, touch->last_activity);
      sqlite3_bind_int64 (stmt, 3, touch->unread);
      if (!_talk_history_db_step_done (w, stmt, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
worker_store_plain (TalkHistoryWorker  *w,
                    TalkHistoryJob     *job,
                    gint64              conversation,
                    TalkHistoryRow     *row,
                    GError            **error)
{
  gboolean inserted = FALSE;

  if (!worker_insert (w, conversation, row, NULL, &inserted, error))
    return FALSE;

  if (inserted)
    {
      row->outcome = TALK_HISTORY_OUTCOME_STORED;
      row->result_id = sqlite3_last_insert_rowid (w->db);
      worker_touch_conversation (job, conversation, row);
      return TRUE;
    }

  row->outcome = TALK_HISTORY_OUTCOME_DUPLICATE;
  if (!worker_find_duplicate (w, conversation, row, &row->result_id, error))
    return FALSE;
  if (row->result_id == 0)
    return TRUE;
  return worker_merge_duplicate (w, job, row->result_id, row, error);
}

/* The part of a JID before the resource (RFC 7622 §3.1: the first '/'). */
static gboolean
same_bare_jid (const char *a,
               const char *b)
{
  gsize len_a = strcspn (a, "/");
  gsize len_b = strcspn (b, "/");

  return len_a == len_b && strncmp (a, b, len_a) == 0;
}

/*
 * Finds the message that @row corrects: the newest row of the conversation
 * whose message-id or origin-id is @row->replaces and whose sender has the
 * correction's bare JID (XEP-0308 §5; a correction of someone else's
 * message is CVE-2021-41055). A target that is itself a correction leads
 * on to the message it corrected.
 */
static gboolean
worker_find_correction_target (TalkHistoryWorker     *w,
                               gint64                 conversation,
                               const TalkHistoryRow  *row,
                               gint64                *target,
                               gboolean              *foreign,
                               GError               **error)
{
  g_autofree char *reference = g_strdup (row->replaces);
  g_autoptr(GError) local_error = NULL;

  *target = 0;
  *foreign = FALSE;

  for (guint depth = 0; depth < MAX_CORRECTION_CHAIN && reference != NULL; depth++)
    {
      sqlite3_stmt *stmt = _talk_history_db_prepare (w, SQL_FIND_CORRECTION_TARGET, error);
      g_autofree char *next = NULL;

      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, conversation);
      sqlite3_bind_text (stmt, 2, reference, -1, SQLITE_STATIC);

      while (_talk_history_db_step_row (w, stmt, &local_error))
        {
          const char *sender = (const char *) sqlite3_column_text (stmt, 1);
          const char *replaces = (const char *) sqlite3_column_text (stmt, 2);

          if (sender == NULL || !same_bare_jid (sender, row->sender))
            {
              *foreign = TRUE;
              continue;
            }

          if (replaces == NULL)
            *target = sqlite3_column_int64 (stmt, 0);
          else
            next = g_strdup (replaces);
          break;
        }
      sqlite3_reset (stmt);

      if (local_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      if (*target != 0)
        {
          *foreign = FALSE;
          return TRUE;
        }

      g_free (reference);
      reference = g_steal_pointer (&next);
    }

  return TRUE;
}

static gboolean
worker_store_correction (TalkHistoryWorker  *w,
                         TalkHistoryJob     *job,
                         gint64              conversation,
                         TalkHistoryRow     *row,
                         GError            **error)
{
  gint64 target = 0;
  gboolean foreign = FALSE;
  gboolean inserted = FALSE;
  sqlite3_stmt *stmt;

  /* A message cannot correct itself (XEP-0308 §5). */
  if (g_strcmp0 (row->replaces, row->message_id) == 0 ||
      g_strcmp0 (row->replaces, row->origin_id) == 0)
    {
      g_debug ("History: refused a correction that names itself (%s)", row->replaces);
      row->outcome = TALK_HISTORY_OUTCOME_REFUSED;
      return TRUE;
    }

  if (!worker_find_correction_target (w, conversation, row, &target, &foreign, error))
    return FALSE;

  if (target == 0 && foreign)
    {
      g_debug ("History: refused a correction by %s of another sender's message (%s)",
               row->sender, row->replaces);
      row->outcome = TALK_HISTORY_OUTCOME_REFUSED;
      return TRUE;
    }

  /* Nothing to correct (not received, or not yet from the archive): the
   * text is kept and shown as a message rather than lost. */
  if (target == 0)
    return worker_store_plain (w, job, conversation, row, error);

  /* The correction is kept, hidden, so that its next copy (carbon,
   * archive) is a duplicate rather than a second edit. */
  if (!worker_insert (w, conversation, row, row->replaces, &inserted, error))
    return FALSE;
  row->result_id = target;
  if (!inserted)
    {
      row->outcome = TALK_HISTORY_OUTCOME_DUPLICATE;
      return TRUE;
    }

  if ((stmt = _talk_history_db_prepare (w, SQL_APPLY_CORRECTION, error)) == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, target);
  sqlite3_bind_text (stmt, 2, row->body, -1, SQLITE_STATIC);
  if (!_talk_history_db_step_done (w, stmt, error))
    return FALSE;

  row->outcome = TALK_HISTORY_OUTCOME_CORRECTED;
  return worker_snapshot (w, job, target, error);
}

static gboolean
worker_collect_unread (TalkHistoryWorker  *w,
                       TalkHistoryJob     *job,
                       GError            **error)
{
  GHashTableIter iter;
  gpointer key;
  gpointer value;

  if (job->touched == NULL)
    return TRUE;

  g_hash_table_iter_init (&iter, job->touched);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      g_autoptr(GError) local_error = NULL;
      TalkHistoryTouch *touch = value;
      sqlite3_stmt *stmt;
      TalkHistoryUnread *change;

      if (touch->unread == 0)
        continue;
      if ((stmt = _talk_history_db_prepare (w, SQL_GET_UNREAD, error)) == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, *(gint64 *) key);
      if (!_talk_history_db_step_row (w, stmt, &local_error))
        {
          if (local_error != NULL)
            {
              g_propagate_error (error, g_steal_pointer (&local_error));
              return FALSE;
            }
          continue;
        }

      change = g_new0 (TalkHistoryUnread, 1);
      change->peer = g_strdup (touch->peer);
      change->count = (guint) CLAMP (sqlite3_column_int64 (stmt, 0), 0, G_MAXUINT);
      sqlite3_reset (stmt);

      if (job->unread == NULL)
        job->unread = g_ptr_array_new_with_free_func (_talk_history_unread_free);
      g_ptr_array_add (job->unread, change);
    }
  return TRUE;
}

void
_talk_history_run_store (TalkHistoryWorker  *w,
                         TalkHistoryJob     *job,
                         GError            **error)
{
  if (!_talk_history_db_ensure_open (w, job, error) || !_talk_history_db_begin (w, error))
    return;

  for (guint i = 0; i < job->rows->len; i++)
    {
      TalkHistoryRow *row = g_ptr_array_index (job->rows, i);
      gint64 conversation;
      gboolean ok;

      ok = _talk_history_db_lookup_conversation (w, job->account, row->peer, TRUE,
                                                 &conversation, error);
      if (ok && row->replaces != NULL)
        ok = worker_store_correction (w, job, conversation, row, error);
      else if (ok)
        ok = worker_store_plain (w, job, conversation, row, error);

      if (!ok)
        {
          _talk_history_db_rollback (w);
          g_clear_pointer (&job->updated, g_ptr_array_unref);
          return;
        }

      if (row->outcome == TALK_HISTORY_OUTCOME_STORED)
        job->count++;
    }

  if (!worker_apply_touches (w, job, error))
    {
      _talk_history_db_rollback (w);
      g_clear_pointer (&job->updated, g_ptr_array_unref);
      return;
    }

  if (!_talk_history_db_commit (w, error))
    {
      g_clear_pointer (&job->updated, g_ptr_array_unref);
      return;
    }

  /* Counts are read after the commit; a failure here loses no message,
   * only the announcement. */
  if (!worker_collect_unread (w, job, NULL))
    g_clear_pointer (&job->unread, g_ptr_array_unref);
}

void
_talk_history_run_update_state (TalkHistoryWorker  *w,
                                TalkHistoryJob     *job,
                                GError            **error)
{
  g_autoptr(GError) local_error = NULL;
  gint64 conversation;
  gint64 id;
  TalkMessageState current;
  sqlite3_stmt *stmt;

  if (!_talk_history_db_ensure_open (w, job, error) ||
      !_talk_history_db_lookup_conversation (w, job->account, job->peer, FALSE,
                                             &conversation, error) ||
      conversation == 0)
    return;

  if ((stmt = _talk_history_db_prepare (w, SQL_FIND_STATE_TARGET, error)) == NULL)
    return;
  sqlite3_bind_int64 (stmt, 1, conversation);
  sqlite3_bind_text (stmt, 2, job->text, -1, SQLITE_STATIC);
  if (!_talk_history_db_step_row (w, stmt, &local_error))
    {
      if (local_error != NULL)
        g_propagate_error (error, g_steal_pointer (&local_error));
      return;
    }
  id = sqlite3_column_int64 (stmt, 0);
  current = sqlite3_column_int (stmt, 1);
  sqlite3_reset (stmt);

  if (!talk_message_state_can_follow (current, job->state))
    return;

  if (!_talk_history_db_require_writable (w, error) ||
      (stmt = _talk_history_db_prepare (w, SQL_SET_STATE, error)) == NULL)
    return;
  sqlite3_bind_int64 (stmt, 1, id);
  sqlite3_bind_int (stmt, 2, job->state);
  bind_text_or_null (stmt, 3, job->state == TALK_MESSAGE_STATE_FAILED ? job->error_text : NULL);
  if (!_talk_history_db_step_done (w, stmt, error))
    return;

  job->result_id = id;
  worker_snapshot (w, job, id, NULL);
}

static gboolean
worker_collect_rows (TalkHistoryWorker  *w,
                     TalkHistoryJob     *job,
                     sqlite3_stmt       *stmt,
                     GError            **error)
{
  g_autoptr(GError) local_error = NULL;

  g_clear_pointer (&job->rows, g_ptr_array_unref);
  job->rows = g_ptr_array_new_with_free_func (_talk_history_row_free);
  while (_talk_history_db_step_row (w, stmt, &local_error))
    g_ptr_array_add (job->rows, _talk_history_row_new_from_stmt (stmt));

  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return TRUE;
}

void
_talk_history_run_load_page (TalkHistoryWorker  *w,
                             TalkHistoryJob     *job,
                             GError            **error)
{
  gint64 conversation;
  sqlite3_stmt *stmt;

  if (!_talk_history_db_ensure_open (w, job, error) ||
      !_talk_history_db_lookup_conversation (w, job->account, job->peer, FALSE,
                                             &conversation, error))
    return;

  if (conversation == 0)
    {
      job->rows = g_ptr_array_new_with_free_func (_talk_history_row_free);
      return;
    }

  if ((stmt = _talk_history_db_prepare (w, SQL_LOAD_PAGE, error)) == NULL)
    return;
  sqlite3_bind_int64 (stmt, 1, conversation);
  sqlite3_bind_int64 (stmt, 2, job->before_timestamp);
  sqlite3_bind_int64 (stmt, 3, job->before_id);
  /* One more than asked tells whether older messages remain. */
  sqlite3_bind_int64 (stmt, 4, (gint64) job->limit + 1);
  if (!worker_collect_rows (w, job, stmt, error))
    return;

  if (job->rows->len > job->limit)
    {
      job->has_more = TRUE;
      g_ptr_array_set_size (job->rows, job->limit);
    }
}

void
_talk_history_run_list_pending (TalkHistoryWorker  *w,
                                TalkHistoryJob     *job,
                                GError            **error)
{
  gint64 account;
  sqlite3_stmt *stmt;

  if (!_talk_history_db_ensure_open (w, job, error) ||
      !_talk_history_db_lookup_account (w, job->account, FALSE, &account, error))
    return;

  if (account == 0)
    {
      job->rows = g_ptr_array_new_with_free_func (_talk_history_row_free);
      return;
    }

  if ((stmt = _talk_history_db_prepare (w, SQL_LIST_PENDING, error)) == NULL)
    return;
  sqlite3_bind_int64 (stmt, 1, account);
  worker_collect_rows (w, job, stmt, error);
}

void
_talk_history_run_mark_read (TalkHistoryWorker  *w,
                             TalkHistoryJob     *job,
                             GError            **error)
{
  gint64 conversation;
  sqlite3_stmt *stmt;
  TalkHistoryUnread *change;

  if (!_talk_history_db_ensure_open (w, job, error) ||
      !_talk_history_db_lookup_conversation (w, job->account, job->peer, FALSE,
                                             &conversation, error) ||
      conversation == 0 ||
      !_talk_history_db_require_writable (w, error) ||
      (stmt = _talk_history_db_prepare (w, SQL_MARK_READ, error)) == NULL)
    return;

  sqlite3_bind_int64 (stmt, 1, conversation);
  if (!_talk_history_db_step_done (w, stmt, error) || sqlite3_changes (w->db) == 0)
    return;

  change = g_new0 (TalkHistoryUnread, 1);
  change->peer = g_strdup (job->peer);
  job->unread = g_ptr_array_new_with_free_func (_talk_history_unread_free);
  g_ptr_array_add (job->unread, change);
}

void
_talk_history_run_get_unread (TalkHistoryWorker  *w,
                              TalkHistoryJob     *job,
                              GError            **error)
{
  gint64 conversation;
  sqlite3_stmt *stmt;

  if (!_talk_history_db_ensure_open (w, job, error) ||
      !_talk_history_db_lookup_conversation (w, job->account, job->peer, FALSE,
                                             &conversation, error) ||
      conversation == 0 ||
      (stmt = _talk_history_db_prepare (w, SQL_GET_UNREAD, error)) == NULL)
    return;

  sqlite3_bind_int64 (stmt, 1, conversation);
  if (_talk_history_db_step_row (w, stmt, error))
    {
      job->count = (guint) CLAMP (sqlite3_column_int64 (stmt, 0), 0, G_MAXUINT);
      sqlite3_reset (stmt);
    }
}

void
_talk_history_run_get_markable (TalkHistoryWorker  *w,
                                TalkHistoryJob     *job,
                                GError            **error)
{
  gint64 conversation;
  sqlite3_stmt *stmt;

  job->rows = g_ptr_array_new_with_free_func (_talk_history_row_free);
  if (!_talk_history_db_ensure_open (w, job, error) ||
      !_talk_history_db_lookup_conversation (w, job->account, job->peer, FALSE,
                                             &conversation, error) ||
      conversation == 0 ||
      (stmt = _talk_history_db_prepare (w, SQL_NEWEST_MARKABLE, error)) == NULL)
    return;

  sqlite3_bind_int64 (stmt, 1, conversation);
  if (!worker_collect_rows (w, job, stmt, error))
    return;

  /* Covered by a marker already: nothing is owed. */
  if (job->rows->len > 0 &&
      ((TalkHistoryRow *) g_ptr_array_index (job->rows, 0))->markable != TALK_HISTORY_MARKABLE_OWED)
    g_ptr_array_set_size (job->rows, 0);
}

void
_talk_history_run_set_displayed (TalkHistoryWorker  *w,
                                 TalkHistoryJob     *job,
                                 GError            **error)
{
  gint64 conversation;
  sqlite3_stmt *stmt;

  if (!_talk_history_db_ensure_open (w, job, error) ||
      !_talk_history_db_lookup_conversation (w, job->account, job->peer, FALSE,
                                             &conversation, error) ||
      conversation == 0 ||
      !_talk_history_db_require_writable (w, error) ||
      (stmt = _talk_history_db_prepare (w, job->text != NULL ? SQL_SET_DISPLAYED_BY_ID
                                                             : SQL_SET_DISPLAYED,
                                        error)) == NULL)
    return;

  /* By the row for a marker Talk sent, by the id for another device's. */
  sqlite3_bind_int64 (stmt, 1, conversation);
  if (job->text != NULL)
    sqlite3_bind_text (stmt, 2, job->text, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_int64 (stmt, 2, job->before_id);
  if (_talk_history_db_step_done (w, stmt, error))
    job->count = (guint) sqlite3_changes (w->db);
}

void
_talk_history_run_last_archive_id (TalkHistoryWorker  *w,
                                   TalkHistoryJob     *job,
                                   GError            **error)
{
  gint64 account;
  sqlite3_stmt *stmt;

  if (!_talk_history_db_ensure_open (w, job, error) ||
      !_talk_history_db_lookup_account (w, job->account, FALSE, &account, error) ||
      account == 0 ||
      (stmt = _talk_history_db_prepare (w, SQL_LAST_ARCHIVE_ID, error)) == NULL)
    return;

  sqlite3_bind_int64 (stmt, 1, account);
  if (_talk_history_db_step_row (w, stmt, error))
    {
      job->result_text = _talk_history_column_dup_text (stmt, 0);
      sqlite3_reset (stmt);
    }
}

/* Splits @text into words on white space. */
static GPtrArray *
split_words (const char *text)
{
  GPtrArray *words = g_ptr_array_new_with_free_func (g_free);
  const char *p = text;

  while (*p != '\0')
    {
      const char *start;

      while (*p != '\0' && g_unichar_isspace (g_utf8_get_char (p)))
        p = g_utf8_next_char (p);
      start = p;
      while (*p != '\0' && !g_unichar_isspace (g_utf8_get_char (p)))
        p = g_utf8_next_char (p);
      if (p > start)
        g_ptr_array_add (words, g_strndup (start, p - start));
    }
  return words;
}

static gboolean
has_alnum (const char *word)
{
  for (const char *p = word; *p != '\0'; p = g_utf8_next_char (p))
    if (g_unichar_isalnum (g_utf8_get_char (p)))
      return TRUE;
  return FALSE;
}

/* Each word becomes an FTS5 string (quotes doubled, so that no word is
 * read as syntax) matched as a prefix; all of them must occur. Words
 * without a letter or digit hold no token and are left out, since an
 * empty string is an FTS5 syntax error. Returns NULL when none is left. */
static char *
fts_query_new (GPtrArray *words)
{
  g_autoptr(GString) query = g_string_new (NULL);

  for (guint i = 0; i < words->len; i++)
    {
      const char *word = g_ptr_array_index (words, i);

      if (!has_alnum (word))
        continue;
      if (query->len > 0)
        g_string_append_c (query, ' ');
      g_string_append_c (query, '"');
      for (const char *p = word; *p != '\0'; p++)
        {
          if (*p == '"')
            g_string_append_c (query, '"');
          g_string_append_c (query, *p);
        }
      g_string_append (query, "\"*");
    }

  if (query->len == 0)
    return NULL;
  return g_string_free (g_steal_pointer (&query), FALSE);
}

static char *
like_pattern_new (const char *word)
{
  GString *pattern = g_string_new ("%");

  for (const char *p = word; *p != '\0'; p++)
    {
      if (*p == '%' || *p == '_' || *p == '\\')
        g_string_append_c (pattern, '\\');
      g_string_append_c (pattern, *p);
    }
  g_string_append_c (pattern, '%');
  return g_string_free (pattern, FALSE);
}

static const char *
ascii_strcasestr (const char *haystack,
                  const char *needle)
{
  gsize len = strlen (needle);

  for (const char *p = haystack; *p != '\0'; p++)
    if (g_ascii_strncasecmp (p, needle, len) == 0)
      return p;
  return NULL;
}

/* Some characters either side of the first word found, on character
 * boundaries. */
static char *
snippet_new (const char *body,
             const char *word)
{
  const char *hit = ascii_strcasestr (body, word);
  const char *start;
  const char *end;
  g_autofree char *slice = NULL;
  GString *snippet = g_string_new (NULL);

  if (hit == NULL)
    hit = body;
  start = hit;
  end = hit;
  for (guint i = 0; i < SNIPPET_BEFORE && start > body; i++)
    start = g_utf8_find_prev_char (body, start);
  for (guint i = 0; i < SNIPPET_AFTER && *end != '\0'; i++)
    end = g_utf8_next_char (end);

  slice = g_utf8_make_valid (start, end - start);
  if (start > body)
    g_string_append (snippet, "…");
  g_string_append (snippet, slice);
  if (*end != '\0')
    g_string_append (snippet, "…");
  return g_string_free (snippet, FALSE);
}

static gboolean
worker_collect_hits (TalkHistoryWorker  *w,
                     TalkHistoryJob     *job,
                     sqlite3_stmt       *stmt,
                     const char         *first_word,
                     GError            **error)
{
  int rc;

  job->hits = g_ptr_array_new_with_free_func ((GDestroyNotify) talk_history_hit_free);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      TalkHistoryHit *hit = g_new0 (TalkHistoryHit, 1);
      const char *text = (const char *) sqlite3_column_text (stmt, 3);

      hit->message_id = sqlite3_column_int64 (stmt, 0);
      hit->peer = _talk_history_column_dup_text (stmt, 1);
      hit->timestamp_us = sqlite3_column_int64 (stmt, 2);
      hit->direction = sqlite3_column_int (stmt, 4) != 0 ? TALK_MESSAGE_DIRECTION_OUT
                                                         : TALK_MESSAGE_DIRECTION_IN;
      /* FTS5 gives the snippet; LIKE gives the body to cut it from. */
      hit->snippet = first_word != NULL ? snippet_new (text != NULL ? text : "", first_word)
                                        : g_strdup (text != NULL ? text : "");
      g_ptr_array_add (job->hits, hit);
    }

  if (rc != SQLITE_DONE)
    {
      _talk_history_db_set_error (w, rc, error);
      return FALSE;
    }
  return TRUE;
}

static void
run_search_fts (TalkHistoryWorker  *w,
                TalkHistoryJob     *job,
                GPtrArray          *words,
                gint64              account,
                GError            **error)
{
  g_autofree char *query = fts_query_new (words);
  sqlite3_stmt *stmt;

  if (query == NULL)
    {
      job->hits = g_ptr_array_new_with_free_func ((GDestroyNotify) talk_history_hit_free);
      return;
    }

  if ((stmt = _talk_history_db_prepare (w, SQL_SEARCH_FTS, error)) == NULL)
    return;
  sqlite3_bind_text (stmt, 1, query, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, account);
  bind_text_or_null (stmt, 3, job->peer);
  sqlite3_bind_int64 (stmt, 4, job->limit);
  worker_collect_hits (w, job, stmt, NULL, error);
  sqlite3_reset (stmt);
}

static void
run_search_like (TalkHistoryWorker  *w,
                 TalkHistoryJob     *job,
                 GPtrArray          *words,
                 gint64              account,
                 GError            **error)
{
  g_autoptr(GString) sql = g_string_new (NULL);
  g_autoptr(GPtrArray) patterns = g_ptr_array_new_with_free_func (g_free);
  sqlite3_stmt *stmt = NULL;
  guint n_words = MIN (words->len, MAX_SEARCH_WORDS);
  int rc;

  g_string_append (sql,
                   "SELECT m.id, c.peer, m.timestamp, m.body, m.direction" FROM_MESSAGES
                   " WHERE c.account = ?1 AND (?2 IS NULL OR c.peer = ?2)"
                   " AND m.replaces IS NULL");
  for (guint i = 0; i < n_words; i++)
    {
      g_string_append_printf (sql, " AND m.body LIKE ?%u ESCAPE '\\'", i + 4);
      g_ptr_array_add (patterns, like_pattern_new (g_ptr_array_index (words, i)));
    }
  g_string_append (sql, " ORDER BY m.timestamp DESC, m.id DESC LIMIT ?3");

  rc = sqlite3_prepare_v2 (w->db, sql->str, -1, &stmt, NULL);
  if (rc != SQLITE_OK)
    {
      _talk_history_db_set_error (w, rc, error);
      sqlite3_finalize (stmt);
      return;
    }

  sqlite3_bind_int64 (stmt, 1, account);
  bind_text_or_null (stmt, 2, job->peer);
  sqlite3_bind_int64 (stmt, 3, job->limit);
  for (guint i = 0; i < n_words; i++)
    sqlite3_bind_text (stmt, (int) i + 4, g_ptr_array_index (patterns, i), -1, SQLITE_STATIC);

  worker_collect_hits (w, job, stmt, g_ptr_array_index (words, 0), error);
  sqlite3_finalize (stmt);
}

void
_talk_history_run_search (TalkHistoryWorker  *w,
                          TalkHistoryJob     *job,
                          GError            **error)
{
  g_autoptr(GPtrArray) words = split_words (job->text);
  gint64 account;

  if (!_talk_history_db_ensure_open (w, job, error) ||
      !_talk_history_db_lookup_account (w, job->account, FALSE, &account, error))
    return;

  if (account == 0 || words->len == 0)
    {
      job->hits = g_ptr_array_new_with_free_func ((GDestroyNotify) talk_history_hit_free);
      return;
    }

  if (w->indexed)
    run_search_fts (w, job, words, account, error);
  else
    run_search_like (w, job, words, account, error);
}

void
_talk_history_run_open (TalkHistoryWorker  *w,
                        TalkHistoryJob     *job,
                        GError            **error)
{
  _talk_history_db_ensure_open (w, job, error);
}

void
_talk_history_run_close (TalkHistoryWorker  *w,
                         TalkHistoryJob     *job,
                         GError            **error)
{
  _talk_history_db_close (w);
  w->closed = TRUE;
}

