/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What the parts of TalkHistory share:
 *
 *   talk-history.c       the object, its API and signals, the job queue
 *                        (main context)
 *   talk-history-db.c    the connection: schema and migrations, opening,
 *                        checks, statements, errors      (worker thread)
 *   talk-history-jobs.c  what each job does in SQL       (worker thread)
 *
 * A job crosses from the main context to the worker and back once;
 * between the two it belongs to one thread at a time.
 */
#pragma once

#include <sqlite3.h>

#include "talk-history.h"

G_BEGIN_DECLS

/* The SQL writes these values as literals, so that partial indexes
 * (WHERE state = 0 AND direction = 1) apply. */
G_STATIC_ASSERT (TALK_MESSAGE_STATE_PENDING == 0);
G_STATIC_ASSERT (TALK_MESSAGE_STATE_SENT == 1);
G_STATIC_ASSERT (TALK_MESSAGE_STATE_FAILED == 4);
G_STATIC_ASSERT (TALK_MESSAGE_DIRECTION_IN == 0);
G_STATIC_ASSERT (TALK_MESSAGE_DIRECTION_OUT == 1);

/* messages.markable: whether an incoming message asked for chat markers
 * (XEP-0333), and whether the displayed marker that covers it went out. */
#define TALK_HISTORY_MARKABLE_NO        0
#define TALK_HISTORY_MARKABLE_OWED      1
#define TALK_HISTORY_MARKABLE_DISPLAYED 2

/* A message as plain data, the only form that crosses threads. A row
 * made to store a TalkMessage borrows the strings that never change after
 * construction (all but body and error) from the message, which the job
 * holds until it is back on the main context. */
typedef struct
{
  gboolean borrowed;
  gint64 id;
  char *peer;
  TalkMessageDirection direction;
  char *sender;
  char *body;
  gint64 timestamp;
  gint64 server_timestamp;   /* 0: none */
  TalkMessageState state;
  char *error;
  char *stanza_id;
  char *stanza_id_by;
  char *origin_id;
  char *message_id;
  char *replaces;
  gboolean edited;
  char *archive_id;
  /* XEP-0333, incoming only: TALK_HISTORY_MARKABLE_* */
  int markable;

  /* What storing it did. */
  TalkHistoryOutcome outcome;
  gint64 result_id;
} TalkHistoryRow;

void _talk_history_row_free (gpointer data);

/* The connection and what goes with it. */
typedef struct
{
  /* Set before the thread starts; read-only afterwards. */
  char *path;
  char *marker_path;
  gboolean read_only;
  gboolean use_fts;

  /* The worker thread's alone. */
  sqlite3 *db;
  GHashTable *statements;     /* SQL (static string) → sqlite3_stmt* */
  GHashTable *accounts;       /* jid → gint64* */
  GHashTable *conversations;  /* "account\npeer" → gint64* */
  gboolean writable;
  gboolean indexed;
  gboolean fts_rows;          /* the store writes the full-text row of new messages */
  gboolean unclean;
  gboolean closed;
} TalkHistoryWorker;

/* What the messages a job stored change in one conversation. */
typedef struct
{
  char *peer;
  gint64 last_activity;
  guint unread;
} TalkHistoryTouch;

/* A conversation whose unread count changed. */
typedef struct
{
  char *peer;
  guint count;
} TalkHistoryUnread;

void _talk_history_unread_free (gpointer data);

typedef struct _TalkHistoryJob TalkHistoryJob;

typedef void (*TalkHistoryJobRun)  (TalkHistoryWorker  *worker,
                                    TalkHistoryJob     *job,
                                    GError            **error);
typedef void (*TalkHistoryJobDone) (TalkHistory        *self,
                                    TalkHistoryJob     *job);

struct _TalkHistoryJob
{
  /* Main context only. */
  GTask *task;                /* NULL for the shutdown at finalization */
  GMainContext *context;
  GPtrArray *messages;        /* TalkMessage: the objects stored */
  TalkHistoryJobDone done;    /* side effects before the task returns */

  GCancellable *cancellable;
  TalkHistoryJobRun run;
  GError *error;

  /* Inputs, set before the job is queued. */
  char *account;
  char *peer;
  char *text;
  char *error_text;
  TalkMessageState state;
  gint64 before_timestamp;
  gint64 before_id;
  guint limit;

  /* Inputs and outputs, handed over with the job. */
  GPtrArray *rows;            /* TalkHistoryRow: to store, or loaded */
  GPtrArray *updated;         /* TalkHistoryRow: copies of rows changed in place */
  GPtrArray *unread;          /* TalkHistoryUnread */
  GHashTable *touched;        /* conversation id (gint64*) → TalkHistoryTouch */
  GPtrArray *hits;            /* TalkHistoryHit */
  char *result_text;
  gint64 result_id;
  guint count;
  gboolean has_more;

  /* Set when this job opened the database. */
  gboolean opened;
  gboolean indexed;
  gboolean unclean;
};

void _talk_history_job_free (TalkHistoryJob *job);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TalkHistoryJob, _talk_history_job_free)

/* talk-history-db.c */
void            _talk_history_db_set_error           (TalkHistoryWorker  *w,
                                                      int                 rc,
                                                      GError            **error);
/* A cached statement, reset and unbound; owned by the worker. */
sqlite3_stmt   *_talk_history_db_prepare             (TalkHistoryWorker  *w,
                                                      const char         *sql,
                                                      GError            **error);
/* Steps a statement that returns no row, and resets it. */
gboolean        _talk_history_db_step_done           (TalkHistoryWorker  *w,
                                                      sqlite3_stmt       *stmt,
                                                      GError            **error);
/* TRUE with a row; FALSE at the end (reset) or on error (@error set). */
gboolean        _talk_history_db_step_row            (TalkHistoryWorker  *w,
                                                      sqlite3_stmt       *stmt,
                                                      GError            **error);
gboolean        _talk_history_db_require_writable    (TalkHistoryWorker  *w,
                                                      GError            **error);
gboolean        _talk_history_db_begin               (TalkHistoryWorker  *w,
                                                      GError            **error);
gboolean        _talk_history_db_commit              (TalkHistoryWorker  *w,
                                                      GError            **error);
void            _talk_history_db_rollback            (TalkHistoryWorker  *w);
void            _talk_history_db_reset_statements    (TalkHistoryWorker  *w);
gboolean        _talk_history_db_ensure_open         (TalkHistoryWorker  *w,
                                                      TalkHistoryJob     *job,
                                                      GError            **error);
void            _talk_history_db_close               (TalkHistoryWorker  *w);
gboolean        _talk_history_db_lookup_account      (TalkHistoryWorker  *w,
                                                      const char         *account,
                                                      gboolean            create,
                                                      gint64             *id,
                                                      GError            **error);
gboolean        _talk_history_db_lookup_conversation (TalkHistoryWorker  *w,
                                                      const char         *account,
                                                      const char         *peer,
                                                      gboolean            create,
                                                      gint64             *id,
                                                      GError            **error);
gint64         *_talk_history_id_dup                 (gint64              id);
char           *_talk_history_column_dup_text        (sqlite3_stmt       *stmt,
                                                      int                 column);
/* Reads the columns of TALK_HISTORY_MESSAGE_COLUMNS. */
TalkHistoryRow *_talk_history_row_new_from_stmt      (sqlite3_stmt       *stmt);

#define TALK_HISTORY_MESSAGE_COLUMNS \
  "m.id, c.peer, m.direction, m.sender, m.body, m.timestamp, m.server_timestamp," \
  " m.state, m.error, m.stanza_id, m.stanza_id_by, m.origin_id, m.message_id," \
  " m.replaces, m.edited, m.archive_id, m.markable"

/* talk-history-jobs.c: the TalkHistoryJobRun of each operation. */
void _talk_history_run_open            (TalkHistoryWorker *w, TalkHistoryJob *job, GError **error);
void _talk_history_run_close           (TalkHistoryWorker *w, TalkHistoryJob *job, GError **error);
void _talk_history_run_store           (TalkHistoryWorker *w, TalkHistoryJob *job, GError **error);
void _talk_history_run_update_state    (TalkHistoryWorker *w, TalkHistoryJob *job, GError **error);
void _talk_history_run_load_page       (TalkHistoryWorker *w, TalkHistoryJob *job, GError **error);
void _talk_history_run_list_pending    (TalkHistoryWorker *w, TalkHistoryJob *job, GError **error);
void _talk_history_run_mark_read       (TalkHistoryWorker *w, TalkHistoryJob *job, GError **error);
void _talk_history_run_get_unread      (TalkHistoryWorker *w, TalkHistoryJob *job, GError **error);
void _talk_history_run_last_archive_id (TalkHistoryWorker *w, TalkHistoryJob *job, GError **error);
void _talk_history_run_search          (TalkHistoryWorker *w, TalkHistoryJob *job, GError **error);
void _talk_history_run_get_markable    (TalkHistoryWorker *w, TalkHistoryJob *job, GError **error);
void _talk_history_run_set_displayed   (TalkHistoryWorker *w, TalkHistoryJob *job, GError **error);

G_END_DECLS
