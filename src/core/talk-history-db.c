/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The history's connection, on the worker thread: the schema and its
 * migrations, opening (WAL, foreign keys, synchronous=FULL, a check after
 * an unclean shutdown), the full-text index, cached statements, and the
 * mapping of SQLite's failures to errors for people (SECURITY.md §3.4).
 */

#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "talk-core-error.h"
#include "talk-history-private.h"

/* How long a statement waits for a lock held by another process (a
 * second copy of Talk, or sqlite3 on the command line). */
#define BUSY_TIMEOUT_MS 5000

/*
 * The schema, one step per version: step i takes user_version i to i + 1
 * inside one transaction. Append; never edit a step that has shipped.
 */
static const char *const migrations[] = {
  /* 1 */
  "CREATE TABLE accounts ("
  "  id INTEGER PRIMARY KEY,"
  "  jid TEXT NOT NULL UNIQUE"
  ");"
  "CREATE TABLE conversations ("
  "  id INTEGER PRIMARY KEY,"
  "  account INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,"
  "  peer TEXT NOT NULL,"
  "  last_activity INTEGER NOT NULL DEFAULT 0,"
  "  unread INTEGER NOT NULL DEFAULT 0,"
  "  UNIQUE (account, peer)"
  ");"
  "CREATE TABLE messages ("
  "  id INTEGER PRIMARY KEY,"
  "  conversation INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,"
  "  direction INTEGER NOT NULL CHECK (direction IN (0, 1)),"
  "  sender TEXT NOT NULL,"
  "  body TEXT NOT NULL,"
  "  timestamp INTEGER NOT NULL,"
  "  server_timestamp INTEGER,"
  "  state INTEGER NOT NULL CHECK (state BETWEEN 0 AND 4),"
  "  error TEXT,"
  "  stanza_id TEXT,"
  "  stanza_id_by TEXT,"
  "  origin_id TEXT,"
  "  message_id TEXT,"
  "  replaces TEXT,"
  "  edited INTEGER NOT NULL DEFAULT 0,"
  "  archive_id TEXT"
  ");"
  "CREATE UNIQUE INDEX messages_stanza_id ON messages (conversation, stanza_id)"
  "  WHERE stanza_id IS NOT NULL;"
  "CREATE UNIQUE INDEX messages_origin_id ON messages (conversation, origin_id, direction)"
  "  WHERE origin_id IS NOT NULL;"
  /* Applied corrections (replaces set) are kept for deduplication only;
   * pages never show them. */
  "CREATE INDEX messages_page ON messages (conversation, timestamp, id)"
  "  WHERE replaces IS NULL;"
  "CREATE INDEX messages_message_id ON messages (conversation, message_id)"
  "  WHERE message_id IS NOT NULL;"
  "CREATE INDEX messages_pending ON messages (id) WHERE state = 0 AND direction = 1;"
  "CREATE INDEX messages_archive ON messages (timestamp, id) WHERE archive_id IS NOT NULL;",

  /* 2: XEP-0333 markers survive a restart: whether an incoming message
   * asked for them (1), and whether the displayed marker covering it was
   * sent (2). */
  "ALTER TABLE messages ADD COLUMN markable INTEGER NOT NULL DEFAULT 0"
  "  CHECK (markable BETWEEN 0 AND 2);"
  "CREATE INDEX messages_markable ON messages (conversation, timestamp, id)"
  "  WHERE markable <> 0;",

  /* 3: the full-text row of a new message is written by the store, not
   * by a trigger: a trigger makes every INSERT a statement with its own
   * savepoint, and FTS5 writes its pending terms out as a new segment at
   * each one, a segment (and merges) per message instead of per
   * transaction. */
  "DROP TRIGGER IF EXISTS messages_fts_insert;",
};

/* The full-text index is not a migration: it exists only where SQLite
 * has FTS5, and comes and goes with it (see db_setup_fts()). */
#define SQL_FTS_CREATE \
  "CREATE VIRTUAL TABLE IF NOT EXISTS messages_fts USING fts5 (" \
  "  body, content='messages', content_rowid='id'," \
  "  tokenize='unicode61 remove_diacritics 2')"
/* New rows are indexed by the store itself (migration 3,
 * talk-history-jobs.c); these follow changes made anywhere. */
#define SQL_FTS_TRIGGERS \
  "CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages" \
  "  WHEN old.replaces IS NULL BEGIN" \
  "  INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.id, old.body);" \
  "END;" \
  "CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages" \
  "  WHEN old.replaces IS NULL BEGIN" \
  "  INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.id, old.body);" \
  "  INSERT INTO messages_fts (rowid, body) VALUES (new.id, new.body);" \
  "END;" \
  "INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');"
#define SQL_FTS_DROP_TRIGGERS \
  "DROP TRIGGER IF EXISTS messages_fts_insert;" \
  "DROP TRIGGER IF EXISTS messages_fts_delete;" \
  "DROP TRIGGER IF EXISTS messages_fts_update;"

static const char SQL_LOOKUP_ACCOUNT[] = "SELECT id FROM accounts WHERE jid = ?1";
static const char SQL_INSERT_ACCOUNT[] = "INSERT INTO accounts (jid) VALUES (?1)";
static const char SQL_LOOKUP_CONVERSATION[] =
  "SELECT id FROM conversations WHERE account = ?1 AND peer = ?2";
static const char SQL_INSERT_CONVERSATION[] =
  "INSERT INTO conversations (account, peer) VALUES (?1, ?2)";

char *
_talk_history_column_dup_text (sqlite3_stmt *stmt,
                               int           column)
{
  return g_strdup ((const char *) sqlite3_column_text (stmt, column));
}

/* Reads TALK_HISTORY_MESSAGE_COLUMNS. */
TalkHistoryRow *
_talk_history_row_new_from_stmt (sqlite3_stmt *stmt)
{
  TalkHistoryRow *row = g_new0 (TalkHistoryRow, 1);
  int state = sqlite3_column_int (stmt, 7);

  row->id = sqlite3_column_int64 (stmt, 0);
  row->peer = _talk_history_column_dup_text (stmt, 1);
  row->direction = sqlite3_column_int (stmt, 2) == TALK_MESSAGE_DIRECTION_OUT ?
                   TALK_MESSAGE_DIRECTION_OUT : TALK_MESSAGE_DIRECTION_IN;
  row->sender = _talk_history_column_dup_text (stmt, 3);
  row->body = _talk_history_column_dup_text (stmt, 4);
  row->timestamp = sqlite3_column_int64 (stmt, 5);
  row->server_timestamp = sqlite3_column_int64 (stmt, 6);
  row->state = CLAMP (state, TALK_MESSAGE_STATE_PENDING, TALK_MESSAGE_STATE_FAILED);
  row->error = _talk_history_column_dup_text (stmt, 8);
  row->stanza_id = _talk_history_column_dup_text (stmt, 9);
  row->stanza_id_by = _talk_history_column_dup_text (stmt, 10);
  row->origin_id = _talk_history_column_dup_text (stmt, 11);
  row->message_id = _talk_history_column_dup_text (stmt, 12);
  row->replaces = _talk_history_column_dup_text (stmt, 13);
  row->edited = sqlite3_column_int (stmt, 14) != 0;
  row->archive_id = _talk_history_column_dup_text (stmt, 15);
  row->markable = CLAMP (sqlite3_column_int (stmt, 16), TALK_HISTORY_MARKABLE_NO,
                         TALK_HISTORY_MARKABLE_DISPLAYED);
  return row;
}

void
_talk_history_db_set_error (TalkHistoryWorker  *w,
                            int                 rc,
                            GError            **error)
{
  /* The connection's message when it is about this failure; some codes
   * (READONLY for a history opened read-only) are decided here. */
  const char *detail = w->db != NULL && sqlite3_extended_errcode (w->db) == rc ?
                       sqlite3_errmsg (w->db) : sqlite3_errstr (rc);

  g_debug ("History %s: SQLite error %d: %s", w->path, rc, detail);

  switch (rc & 0xff)
    {
    case SQLITE_FULL:
      g_set_error_literal (error, TALK_CORE_ERROR, TALK_CORE_ERROR_HISTORY_FULL,
                           _("The disk is full, so Talk cannot save messages. "
                             "Free some space to go on."));
      break;

    case SQLITE_IOERR:
    case SQLITE_NOLFS:
    case SQLITE_PROTOCOL:
      g_set_error (error, TALK_CORE_ERROR, TALK_CORE_ERROR_HISTORY_IO,
                   _("The disk failed to read or write the message history (%s)."),
                   w->path);
      break;

    case SQLITE_CANTOPEN:
      g_set_error (error, TALK_CORE_ERROR, TALK_CORE_ERROR_HISTORY_IO,
                   _("Talk cannot open the message history (%s)."), w->path);
      break;

    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      g_set_error (error, TALK_CORE_ERROR, TALK_CORE_ERROR_HISTORY_READONLY,
                   _("The message history (%s) cannot be written, so Talk cannot save "
                     "messages."), w->path);
      break;

    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      g_set_error (error, TALK_CORE_ERROR, TALK_CORE_ERROR_HISTORY_CORRUPT,
                   _("The message history (%s) is damaged, so Talk cannot use it."),
                   w->path);
      break;

    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      g_set_error (error, TALK_CORE_ERROR, TALK_CORE_ERROR_FAILED,
                   _("The message history (%s) is in use by another program."), w->path);
      break;

    default:
      g_set_error (error, TALK_CORE_ERROR, TALK_CORE_ERROR_FAILED,
                   _("Talk cannot use the message history: %s"), detail);
      break;
    }
}

sqlite3_stmt *
_talk_history_db_prepare (TalkHistoryWorker  *w,
                          const char         *sql,
                          GError            **error)
{
  sqlite3_stmt *stmt = g_hash_table_lookup (w->statements, sql);
  int rc;

  if (stmt != NULL)
    {
      sqlite3_reset (stmt);
      sqlite3_clear_bindings (stmt);
      return stmt;
    }

  rc = sqlite3_prepare_v3 (w->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
  if (rc != SQLITE_OK)
    {
      _talk_history_db_set_error (w, rc, error);
      sqlite3_finalize (stmt);
      return NULL;
    }

  g_hash_table_insert (w->statements, (gpointer) sql, stmt);
  return stmt;
}

/* Steps a statement that returns no row; resets it. */
gboolean
_talk_history_db_step_done (TalkHistoryWorker  *w,
                            sqlite3_stmt       *stmt,
                            GError            **error)
{
  int rc = sqlite3_step (stmt);

  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    {
      _talk_history_db_set_error (w, rc, error);
      return FALSE;
    }
  return TRUE;
}

/* Steps to the next row: TRUE with a row, FALSE at the end or on error
 * (then @error is set). */
gboolean
_talk_history_db_step_row (TalkHistoryWorker  *w,
                           sqlite3_stmt       *stmt,
                           GError            **error)
{
  int rc = sqlite3_step (stmt);

  if (rc == SQLITE_ROW)
    return TRUE;

  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    _talk_history_db_set_error (w, rc, error);
  return FALSE;
}

static gboolean
db_exec (TalkHistoryWorker  *w,
         const char         *sql,
         GError            **error)
{
  int rc = sqlite3_exec (w->db, sql, NULL, NULL, NULL);

  if (rc != SQLITE_OK)
    {
      _talk_history_db_set_error (w, rc, error);
      return FALSE;
    }
  return TRUE;
}

/* Runs a one-row, one-column query such as a PRAGMA. */
static gboolean
db_query_text (TalkHistoryWorker  *w,
               const char         *sql,
               char              **text,
               GError            **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v2 (w->db, sql, -1, &stmt, NULL);

  if (rc == SQLITE_OK)
    {
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        *text = _talk_history_column_dup_text (stmt, 0);
      else if (rc == SQLITE_DONE)
        *text = NULL;
    }
  sqlite3_finalize (stmt);

  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    {
      _talk_history_db_set_error (w, rc, error);
      return FALSE;
    }
  return TRUE;
}

gboolean
_talk_history_db_require_writable (TalkHistoryWorker  *w,
                                   GError            **error)
{
  if (w->writable)
    return TRUE;

  _talk_history_db_set_error (w, SQLITE_READONLY, error);
  return FALSE;
}

gboolean
_talk_history_db_begin (TalkHistoryWorker  *w,
                        GError            **error)
{
  /* IMMEDIATE: take the write lock now, so that busy_timeout applies
   * here instead of failing the transaction halfway. */
  return _talk_history_db_require_writable (w, error) && db_exec (w, "BEGIN IMMEDIATE", error);
}

void
_talk_history_db_rollback (TalkHistoryWorker *w)
{
  /* SQLite rolls back by itself after some errors (FULL, IOERR). */
  if (!sqlite3_get_autocommit (w->db))
    sqlite3_exec (w->db, "ROLLBACK", NULL, NULL, NULL);

  /* Ids made in the transaction are gone with it. */
  g_hash_table_remove_all (w->accounts);
  g_hash_table_remove_all (w->conversations);
}

gboolean
_talk_history_db_commit (TalkHistoryWorker  *w,
                         GError            **error)
{
  if (db_exec (w, "COMMIT", error))
    return TRUE;

  _talk_history_db_rollback (w);
  return FALSE;
}

/* Ends every statement left open, so that no read transaction lingers
 * and blocks WAL checkpoints. */
void
_talk_history_db_reset_statements (TalkHistoryWorker *w)
{
  sqlite3_stmt *stmt = NULL;

  if (w->db == NULL)
    return;

  while ((stmt = sqlite3_next_stmt (w->db, stmt)) != NULL)
    if (sqlite3_stmt_busy (stmt))
      sqlite3_reset (stmt);
}

void
_talk_history_db_close (TalkHistoryWorker *w)
{
  if (w->db == NULL)
    return;

  g_hash_table_remove_all (w->statements);
  g_hash_table_remove_all (w->accounts);
  g_hash_table_remove_all (w->conversations);

  if (w->writable)
    sqlite3_exec (w->db, "PRAGMA optimize", NULL, NULL, NULL);

  /* The last connection checkpoints the WAL into the database on close. */
  if (sqlite3_close (w->db) != SQLITE_OK)
    g_warning ("History %s: closing: %s", w->path, sqlite3_errmsg (w->db));
  w->db = NULL;

  if (w->writable && g_unlink (w->marker_path) != 0 && errno != ENOENT)
    g_debug ("History %s: cannot remove %s: %s", w->path, w->marker_path,
             g_strerror (errno));
}

static gboolean
db_migrate (TalkHistoryWorker  *w,
            GError            **error)
{
  g_autofree char *text = NULL;
  gint64 version;

  if (!db_query_text (w, "PRAGMA user_version", &text, error))
    return FALSE;
  version = text != NULL ? g_ascii_strtoll (text, NULL, 10) : 0;

  if (version > (gint64) G_N_ELEMENTS (migrations))
    {
      g_set_error (error, TALK_CORE_ERROR, TALK_CORE_ERROR_FAILED,
                   _("The message history (%s) was written by a newer version of Talk."),
                   w->path);
      return FALSE;
    }
  if (version == G_N_ELEMENTS (migrations))
    return TRUE;
  if (!_talk_history_db_require_writable (w, error))
    return FALSE;

  /* SECURITY.md §3.4: keep a copy of a history before changing its
   * schema. A new file has nothing to keep. */
  if (version > 0)
    {
      g_autofree char *backup = g_strdup_printf ("%s.v%" G_GINT64_FORMAT ".bak", w->path, version);
      char *sql = sqlite3_mprintf ("VACUUM INTO %Q", backup);
      gboolean ok;

      g_unlink (backup);
      ok = db_exec (w, sql, error);
      sqlite3_free (sql);
      if (!ok)
        return FALSE;
    }

  for (gint64 v = version; v < (gint64) G_N_ELEMENTS (migrations); v++)
    {
      g_autofree char *set_version = g_strdup_printf ("PRAGMA user_version = %" G_GINT64_FORMAT,
                                                      v + 1);

      if (!_talk_history_db_begin (w, error) ||
          !db_exec (w, migrations[v], error) ||
          !db_exec (w, set_version, error) ||
          !_talk_history_db_commit (w, error))
        {
          _talk_history_db_rollback (w);
          return FALSE;
        }
      g_debug ("History %s: schema version %" G_GINT64_FORMAT, w->path, v + 1);
    }

  return TRUE;
}

static gboolean
db_has_fts_triggers (TalkHistoryWorker  *w,
                     gboolean           *has,
                     GError            **error)
{
  g_autofree char *text = NULL;

  if (!db_query_text (w,
                      "SELECT count(*) FROM sqlite_schema"
                      " WHERE type = 'trigger' AND name = 'messages_fts_update'",
                      &text, error))
    return FALSE;

  *has = g_strcmp0 (text, "1") == 0;
  return TRUE;
}

/*
 * The index follows the SQLite at hand: made (and filled from the
 * messages) when FTS5 is there; its triggers dropped when it is not, since
 * they would fail every insert; made again, and refilled, when it is back.
 */
static gboolean
db_setup_fts (TalkHistoryWorker  *w,
              GError            **error)
{
  gboolean has_triggers = FALSE;
  gboolean available = sqlite3_compileoption_used ("ENABLE_FTS5");

  w->fts_rows = FALSE;
  if (!db_has_fts_triggers (w, &has_triggers, error))
    return FALSE;

  if (!w->writable)
    {
      w->indexed = w->use_fts && available && has_triggers;
      return TRUE;
    }

  if (!available)
    {
      w->indexed = FALSE;
      if (has_triggers)
        return db_exec (w, SQL_FTS_DROP_TRIGGERS, error);
      return TRUE;
    }

  /* Without full-text-search, an index already there is kept up to date
   * (for the next run that wants it) but not made. */
  if (!w->use_fts)
    {
      w->indexed = FALSE;
      w->fts_rows = has_triggers;
      return TRUE;
    }

  if (!has_triggers)
    {
      if (!_talk_history_db_begin (w, error) ||
          !db_exec (w, SQL_FTS_CREATE, error) ||
          !db_exec (w, SQL_FTS_TRIGGERS, error) ||
          !_talk_history_db_commit (w, error))
        {
          _talk_history_db_rollback (w);
          return FALSE;
        }
    }

  w->indexed = TRUE;
  w->fts_rows = TRUE;
  return TRUE;
}

static gboolean
db_open (TalkHistoryWorker  *w,
         GError            **error)
{
  g_autofree char *mode = NULL;
  g_autofree char *check = NULL;
  int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  int rc;

  w->unclean = g_file_test (w->marker_path, G_FILE_TEST_EXISTS);

  if (w->read_only)
    {
      flags |= SQLITE_OPEN_READONLY;
    }
  else
    {
      g_autofree char *dir = g_path_get_dirname (w->path);

      flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
      if (g_mkdir_with_parents (dir, 0700) != 0)
        g_debug ("History %s: cannot make %s: %s", w->path, dir, g_strerror (errno));
    }

  rc = sqlite3_open_v2 (w->path, &w->db, flags, NULL);
  if (rc != SQLITE_OK)
    {
      _talk_history_db_set_error (w, rc, error);
      sqlite3_close (w->db);
      w->db = NULL;
      return FALSE;
    }

  sqlite3_extended_result_codes (w->db, 1);
  sqlite3_busy_timeout (w->db, BUSY_TIMEOUT_MS);
  /* A file the process may not write opens read-only without a word. */
  w->writable = !w->read_only && sqlite3_db_readonly (w->db, "main") == 0;

  /* The first statement that reads the file: garbage fails here with
   * SQLITE_NOTADB. */
  if (!db_query_text (w, w->writable ? "PRAGMA journal_mode = WAL" : "PRAGMA journal_mode",
                      &mode, error) ||
      !db_exec (w, "PRAGMA foreign_keys = ON", error) ||
      !db_exec (w, "PRAGMA synchronous = FULL", error))
    goto fail;

  if (w->writable && g_strcmp0 (mode, "wal") != 0)
    g_debug ("History %s: journal mode %s, not WAL", w->path, mode);

  if (w->unclean)
    {
      g_debug ("History %s: not closed cleanly last time; checking it", w->path);
      if (!db_query_text (w, "PRAGMA quick_check", &check, error))
        goto fail;
      if (g_strcmp0 (check, "ok") != 0)
        {
          g_debug ("History %s: quick_check: %.*s", w->path, (int) strcspn (check, "\n"),
                   check);
          _talk_history_db_set_error (w, SQLITE_CORRUPT, error);
          goto fail;
        }
    }

  if (!db_migrate (w, error) || !db_setup_fts (w, error))
    goto fail;

  /* Removed by a clean close: finding it at the next open means this run
   * ended without one. */
  if (w->writable)
    {
      g_autoptr(GError) local_error = NULL;

      if (!g_file_set_contents (w->marker_path, "", 0, &local_error))
        g_debug ("History %s: %s", w->path, local_error->message);
    }

  return TRUE;

fail:
  g_hash_table_remove_all (w->statements);
  sqlite3_close (w->db);
  w->db = NULL;
  return FALSE;
}

gboolean
_talk_history_db_ensure_open (TalkHistoryWorker  *w,
                              TalkHistoryJob     *job,
                              GError            **error)
{
  if (w->closed)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CLOSED,
                           _("The message history is closed."));
      return FALSE;
    }

  if (w->db != NULL)
    return TRUE;

  /* A failed open is tried again by the next job: the disk may have
   * room again, the file may have been restored. */
  if (!db_open (w, error))
    return FALSE;

  job->opened = TRUE;
  job->indexed = w->indexed;
  job->unclean = w->unclean;
  return TRUE;
}

gint64 *
_talk_history_id_dup (gint64 id)
{
  return g_memdup2 (&id, sizeof id);
}

/* The row of @account, made when @create; 0 when there is none. */
gboolean
_talk_history_db_lookup_account (TalkHistoryWorker  *w,
                                 const char         *account,
                                 gboolean            create,
                                 gint64             *id,
                                 GError            **error)
{
  gint64 *cached = g_hash_table_lookup (w->accounts, account);
  g_autoptr(GError) local_error = NULL;
  sqlite3_stmt *stmt;

  if (cached != NULL)
    {
      *id = *cached;
      return TRUE;
    }

  if ((stmt = _talk_history_db_prepare (w, SQL_LOOKUP_ACCOUNT, error)) == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, account, -1, SQLITE_STATIC);
  if (_talk_history_db_step_row (w, stmt, &local_error))
    {
      *id = sqlite3_column_int64 (stmt, 0);
      sqlite3_reset (stmt);
    }
  else if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  else if (create)
    {
      if ((stmt = _talk_history_db_prepare (w, SQL_INSERT_ACCOUNT, error)) == NULL)
        return FALSE;
      sqlite3_bind_text (stmt, 1, account, -1, SQLITE_STATIC);
      if (!_talk_history_db_step_done (w, stmt, error))
        return FALSE;
      *id = sqlite3_last_insert_rowid (w->db);
    }
  else
    {
      *id = 0;
      return TRUE;
    }

  g_hash_table_insert (w->accounts, g_strdup (account), _talk_history_id_dup (*id));
  return TRUE;
}

/* The row of the conversation, made when @create; 0 when there is none. */
gboolean
_talk_history_db_lookup_conversation (TalkHistoryWorker  *w,
                                      const char         *account,
                                      const char         *peer,
                                      gboolean            create,
                                      gint64             *id,
                                      GError            **error)
{
  g_autofree char *key = g_strconcat (account, "\n", peer, NULL);
  gint64 *cached = g_hash_table_lookup (w->conversations, key);
  g_autoptr(GError) local_error = NULL;
  sqlite3_stmt *stmt;
  gint64 account_id;

  if (cached != NULL)
    {
      *id = *cached;
      return TRUE;
    }

  if (!_talk_history_db_lookup_account (w, account, create, &account_id, error))
    return FALSE;
  if (account_id == 0)
    {
      *id = 0;
      return TRUE;
    }

  if ((stmt = _talk_history_db_prepare (w, SQL_LOOKUP_CONVERSATION, error)) == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, account_id);
  sqlite3_bind_text (stmt, 2, peer, -1, SQLITE_STATIC);
  if (_talk_history_db_step_row (w, stmt, &local_error))
    {
      *id = sqlite3_column_int64 (stmt, 0);
      sqlite3_reset (stmt);
    }
  else if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  else if (create)
    {
      if ((stmt = _talk_history_db_prepare (w, SQL_INSERT_CONVERSATION, error)) == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, account_id);
      sqlite3_bind_text (stmt, 2, peer, -1, SQLITE_STATIC);
      if (!_talk_history_db_step_done (w, stmt, error))
        return FALSE;
      *id = sqlite3_last_insert_rowid (w->db);
    }
  else
    {
      *id = 0;
      return TRUE;
    }

  g_hash_table_insert (w->conversations, g_steal_pointer (&key), _talk_history_id_dup (*id));
  return TRUE;
}

