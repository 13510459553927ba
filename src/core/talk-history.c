/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The message store: the object, its API and signals, and the job queue.
 * One worker thread owns the sqlite3 connection (talk-history-db.c, and
 * talk-history-jobs.c for what each job does); the main context never
 * touches it (STYLE.md "Async").
 *
 *   talk_history_foo_async ──► Job (inputs copied, GTask) ──► thread pool
 *                                                              (1 thread)
 *        worker: open on demand ─► run (SQL, one transaction) ─► outputs
 *   main context ◄── idle source ◄─────────────────────────────────┘
 *        done: set ids, emit signals ─► return the Job as the task result
 *
 * Jobs carry plain data (TalkHistoryRow) across threads; TalkMessage
 * objects are made and changed on the main context only. A job holds its
 * GTask, and the task holds the history, so the history cannot be
 * finalized while a job is under way; finalizing then closes the database
 * on the worker.
 *
 * Durability (SECURITY.md §3.4): WAL with synchronous=FULL, so that the
 * commit that completes a store is on the disk before the caller acks the
 * stanza. Idempotence: UNIQUE (conversation, stanza_id) and UNIQUE
 * (conversation, origin_id, direction) turn a second copy of a message
 * (carbon, archive, redelivery) into a "duplicate", not an error.
 */

#include "config.h"

#include "talk-history-private.h"
#include "talk-message-private.h"

void
_talk_history_row_free (gpointer data)
{
  TalkHistoryRow *row = data;

  g_free (row->body);
  g_free (row->error);
  if (!row->borrowed)
    {
      g_free (row->peer);
      g_free (row->sender);
      g_free (row->stanza_id);
      g_free (row->stanza_id_by);
      g_free (row->origin_id);
      g_free (row->message_id);
      g_free (row->replaces);
      g_free (row->archive_id);
    }
  g_free (row);
}

void
_talk_history_unread_free (gpointer data)
{
  TalkHistoryUnread *change = data;

  g_free (change->peer);
  g_free (change);
}

void
_talk_history_job_free (TalkHistoryJob *job)
{
  g_clear_object (&job->task);
  g_clear_pointer (&job->context, g_main_context_unref);
  /* Before the messages their strings may be borrowed from. */
  g_clear_pointer (&job->rows, g_ptr_array_unref);
  g_clear_pointer (&job->messages, g_ptr_array_unref);
  g_clear_object (&job->cancellable);
  g_clear_error (&job->error);
  g_free (job->account);
  g_free (job->peer);
  g_free (job->text);
  g_free (job->error_text);
  g_clear_pointer (&job->updated, g_ptr_array_unref);
  g_clear_pointer (&job->unread, g_ptr_array_unref);
  g_clear_pointer (&job->touched, g_hash_table_unref);
  g_clear_pointer (&job->hits, g_ptr_array_unref);
  g_free (job->result_text);
  g_free (job);
}

/* Main context: what the worker needs from @message, which the job
 * holds (job->messages) as long as the row lives. Body and error change
 * on this thread (talk_message_set_body(), talk_message_set_state()), so
 * they are copied; the rest is fixed at construction and borrowed. */
static TalkHistoryRow *
row_new_from_message (TalkMessage *message)
{
  TalkHistoryRow *row = g_new0 (TalkHistoryRow, 1);
  gint64 server_timestamp = 0;

  row->borrowed = TRUE;
  row->peer = (char *) talk_message_get_peer (message);
  row->direction = talk_message_get_direction (message);
  row->sender = (char *) talk_message_get_sender (message);
  row->body = g_strdup (talk_message_get_body (message));
  row->timestamp = talk_message_get_timestamp_us (message);
  if (_talk_message_get_server_timestamp_us (message, &server_timestamp))
    row->server_timestamp = server_timestamp;
  row->state = talk_message_get_state (message);
  row->error = g_strdup (talk_message_get_error (message));
  row->stanza_id = (char *) talk_message_get_stanza_id (message);
  row->stanza_id_by = (char *) talk_message_get_stanza_id_by (message);
  row->origin_id = (char *) talk_message_get_origin_id (message);
  row->message_id = (char *) talk_message_get_message_id (message);
  row->replaces = (char *) talk_message_get_replaces (message);
  row->edited = talk_message_get_edited (message);
  row->archive_id = (char *) talk_message_get_archive_id (message);
  row->markable = talk_message_get_markable (message) ? TALK_HISTORY_MARKABLE_OWED
                                                      : TALK_HISTORY_MARKABLE_NO;
  return row;
}

/* Main context. */
static TalkMessage *
message_new_from_row (const TalkHistoryRow *row)
{
  TalkMessageFields fields = {
    .id = row->id,
    .peer = row->peer,
    .direction = row->direction,
    .sender = row->sender,
    .body = row->body,
    .timestamp_us = row->timestamp,
    /* The column is NULL for none, read as 0. */
    .has_server_timestamp = row->server_timestamp != 0,
    .server_timestamp_us = row->server_timestamp,
    .state = row->state,
    .error = row->error,
    .stanza_id = row->stanza_id,
    .stanza_id_by = row->stanza_id_by,
    .origin_id = row->origin_id,
    .message_id = row->message_id,
    .replaces = row->replaces,
    .edited = row->edited,
    .archive_id = row->archive_id,
    .markable = row->markable != TALK_HISTORY_MARKABLE_NO,
  };

  return _talk_message_new_from_fields (&fields);
}

/* Search hits */

G_DEFINE_BOXED_TYPE (TalkHistoryHit, talk_history_hit, talk_history_hit_copy,
                     talk_history_hit_free)

TalkHistoryHit *
talk_history_hit_copy (const TalkHistoryHit *hit)
{
  TalkHistoryHit *copy;

  g_return_val_if_fail (hit != NULL, NULL);

  copy = g_new0 (TalkHistoryHit, 1);
  copy->message_id = hit->message_id;
  copy->peer = g_strdup (hit->peer);
  copy->timestamp_us = hit->timestamp_us;
  copy->snippet = g_strdup (hit->snippet);
  copy->direction = hit->direction;
  return copy;
}

void
talk_history_hit_free (TalkHistoryHit *hit)
{
  if (hit == NULL)
    return;

  g_free (hit->peer);
  g_free (hit->snippet);
  g_free (hit);
}

G_DEFINE_ENUM_TYPE (TalkHistoryOutcome, talk_history_outcome,
                    G_DEFINE_ENUM_VALUE (TALK_HISTORY_OUTCOME_STORED, "stored"),
                    G_DEFINE_ENUM_VALUE (TALK_HISTORY_OUTCOME_DUPLICATE, "duplicate"),
                    G_DEFINE_ENUM_VALUE (TALK_HISTORY_OUTCOME_CORRECTED, "corrected"),
                    G_DEFINE_ENUM_VALUE (TALK_HISTORY_OUTCOME_REFUSED, "refused"))

static gboolean job_complete_cb (gpointer data);

/* The thread pool's function: one job at a time, in order. */
static void
worker_job_func (gpointer data,
                 gpointer user_data)
{
  TalkHistoryJob *job = data;
  TalkHistoryWorker *w = user_data;
  GSource *source;

  if (!g_cancellable_set_error_if_cancelled (job->cancellable, &job->error))
    job->run (w, job, &job->error);

  _talk_history_db_reset_statements (w);

  if (job->task == NULL)
    {
      _talk_history_job_free (job);
      return;
    }

  /* An idle source, not g_main_context_invoke(): that would run the
   * completion on this thread whenever the main context is free. */
  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, job_complete_cb, job, NULL);
  g_source_set_static_name (source, "[talk] history job");
  g_source_attach (source, job->context);
  g_source_unref (source);
}

/* Jobs: the main context's side. */

struct _TalkHistory
{
  GObject parent_instance;

  char *path;
  gboolean read_only;
  gboolean full_text_search;
  gboolean indexed;
  gboolean unclean_shutdown;
  guint64 rows_read;

  TalkHistoryWorker *worker;
  GThreadPool *pool;
  GError *pool_error;   /* the pool could not start: every job fails */
};

enum
{
  PROP_0,
  PROP_PATH,
  PROP_READ_ONLY,
  PROP_FULL_TEXT_SEARCH,
  PROP_INDEXED,
  PROP_UNCLEAN_SHUTDOWN,
  PROP_ROWS_READ,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum
{
  MESSAGES_ADDED,
  MESSAGE_UPDATED,
  UNREAD_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (TalkHistory, talk_history, G_TYPE_OBJECT)

static TalkHistoryJob *
job_new (TalkHistory         *self,
         TalkHistoryJobRun    run,
         TalkHistoryJobDone   done,
         GCancellable        *cancellable,
         GAsyncReadyCallback  callback,
         gpointer             user_data,
         gpointer             source_tag)
{
  TalkHistoryJob *job = g_new0 (TalkHistoryJob, 1);

  job->task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (job->task, source_tag);
  job->context = g_main_context_ref_thread_default ();
  job->cancellable = cancellable != NULL ? g_object_ref (cancellable) : NULL;
  job->run = run;
  job->done = done;
  return job;
}

static void
history_queue (TalkHistory    *self,
               TalkHistoryJob *job)
{
  g_autoptr(GError) error = NULL;

  if (self->pool == NULL)
    error = g_error_copy (self->pool_error);
  else if (g_thread_pool_push (self->pool, job, &error))
    return;

  g_task_return_error (job->task, g_steal_pointer (&error));
  _talk_history_job_free (job);
}

static TalkHistoryJob *
history_finish (TalkHistory   *self,
                GAsyncResult  *result,
                gpointer       source_tag,
                GError       **error)
{
  g_return_val_if_fail (TALK_IS_HISTORY (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
history_opened (TalkHistory    *self,
                TalkHistoryJob *job)
{
  g_object_freeze_notify (G_OBJECT (self));
  if (self->indexed != job->indexed)
    {
      self->indexed = job->indexed;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_INDEXED]);
    }
  if (self->unclean_shutdown != job->unclean)
    {
      self->unclean_shutdown = job->unclean;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UNCLEAN_SHUTDOWN]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

static gboolean
job_complete_cb (gpointer data)
{
  TalkHistoryJob *job = data;
  g_autoptr(GTask) task = g_steal_pointer (&job->task);
  TalkHistory *self = g_task_get_source_object (task);

  if (job->opened)
    history_opened (self, job);

  if (job->error != NULL)
    {
      g_task_return_error (task, g_steal_pointer (&job->error));
      _talk_history_job_free (job);
      return G_SOURCE_REMOVE;
    }

  if (job->done != NULL)
    job->done (self, job);
  /* The job is the result: finish functions take their outputs from it. */
  g_task_return_pointer (task, job, (GDestroyNotify) _talk_history_job_free);
  return G_SOURCE_REMOVE;
}

static void
history_emit_changes (TalkHistory    *self,
                      TalkHistoryJob *job)
{
  for (guint i = 0; job->updated != NULL && i < job->updated->len; i++)
    {
      g_autoptr(TalkMessage) message = message_new_from_row (g_ptr_array_index (job->updated, i));

      g_signal_emit (self, signals[MESSAGE_UPDATED], 0, job->account, message);
    }

  for (guint i = 0; job->unread != NULL && i < job->unread->len; i++)
    {
      TalkHistoryUnread *change = g_ptr_array_index (job->unread, i);

      g_signal_emit (self, signals[UNREAD_CHANGED], 0, job->account, change->peer, change->count);
    }
}

static void
history_add_rows_read (TalkHistory *self,
                       guint        n)
{
  if (n == 0)
    return;

  self->rows_read += n;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ROWS_READ]);
}

/* Rows loaded become messages here, on the main context. */
static void
rows_to_messages_done (TalkHistory    *self,
                       TalkHistoryJob *job)
{
  job->messages = g_ptr_array_new_full (job->rows->len, g_object_unref);
  for (guint i = 0; i < job->rows->len; i++)
    g_ptr_array_add (job->messages, message_new_from_row (g_ptr_array_index (job->rows, i)));
  g_clear_pointer (&job->rows, g_ptr_array_unref);

  history_add_rows_read (self, job->messages->len);
}

/* Public API */

char *
talk_history_dup_default_path (void)
{
  return g_build_filename (g_get_user_data_dir (), "talk", "history.db", NULL);
}

TalkHistory *
talk_history_new (const char *path)
{
  return g_object_new (TALK_TYPE_HISTORY, "path", path, NULL);
}

const char *
talk_history_get_path (TalkHistory *self)
{
  g_return_val_if_fail (TALK_IS_HISTORY (self), NULL);

  return self->path;
}

gboolean
talk_history_get_read_only (TalkHistory *self)
{
  g_return_val_if_fail (TALK_IS_HISTORY (self), FALSE);

  return self->read_only;
}

gboolean
talk_history_get_indexed (TalkHistory *self)
{
  g_return_val_if_fail (TALK_IS_HISTORY (self), FALSE);

  return self->indexed;
}

gboolean
talk_history_get_unclean_shutdown (TalkHistory *self)
{
  g_return_val_if_fail (TALK_IS_HISTORY (self), FALSE);

  return self->unclean_shutdown;
}

guint64
talk_history_get_rows_read (TalkHistory *self)
{
  g_return_val_if_fail (TALK_IS_HISTORY (self), 0);

  return self->rows_read;
}

void
talk_history_open_async (TalkHistory         *self,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_return_if_fail (TALK_IS_HISTORY (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  history_queue (self, job_new (self, _talk_history_run_open, NULL, cancellable, callback,
                                user_data, talk_history_open_async));
}

gboolean
talk_history_open_finish (TalkHistory   *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_autoptr(TalkHistoryJob) job = history_finish (self, result, talk_history_open_async, error);

  return job != NULL;
}

void
talk_history_close_async (TalkHistory         *self,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_return_if_fail (TALK_IS_HISTORY (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  history_queue (self, job_new (self, _talk_history_run_close, NULL, cancellable, callback,
                                user_data, talk_history_close_async));
}

gboolean
talk_history_close_finish (TalkHistory   *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_autoptr(TalkHistoryJob) job = history_finish (self, result, talk_history_close_async, error);

  return job != NULL;
}

static void
store_done (TalkHistory    *self,
            TalkHistoryJob *job)
{
  g_autoptr(GPtrArray) added = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < job->rows->len; i++)
    {
      TalkHistoryRow *row = g_ptr_array_index (job->rows, i);
      TalkMessage *message = g_ptr_array_index (job->messages, i);

      if (row->outcome != TALK_HISTORY_OUTCOME_STORED)
        continue;

      talk_message_set_id (message, row->result_id);
      g_ptr_array_add (added, g_object_ref (message));
    }

  if (added->len > 0)
    g_signal_emit (self, signals[MESSAGES_ADDED], 0, job->account, added);
  history_emit_changes (self, job);
}

static void
history_store (TalkHistory         *self,
               const char          *account,
               GPtrArray           *messages,
               GCancellable        *cancellable,
               GAsyncReadyCallback  callback,
               gpointer             user_data,
               gpointer             source_tag)
{
  TalkHistoryJob *job = job_new (self, _talk_history_run_store, store_done, cancellable,
                                 callback, user_data, source_tag);

  job->account = g_strdup (account);
  job->messages = g_ptr_array_ref (messages);
  job->rows = g_ptr_array_new_full (messages->len, _talk_history_row_free);
  for (guint i = 0; i < messages->len; i++)
    g_ptr_array_add (job->rows, row_new_from_message (g_ptr_array_index (messages, i)));

  history_queue (self, job);
}

void
talk_history_store_async (TalkHistory         *self,
                          const char          *account,
                          TalkMessage         *message,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GPtrArray) messages = NULL;

  g_return_if_fail (TALK_IS_HISTORY (self));
  g_return_if_fail (account != NULL);
  g_return_if_fail (TALK_IS_MESSAGE (message));
  g_return_if_fail (*talk_message_get_peer (message) != '\0');
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  messages = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (messages, g_object_ref (message));
  history_store (self, account, messages, cancellable, callback, user_data,
                 talk_history_store_async);
}

gint64
talk_history_store_finish (TalkHistory         *self,
                           GAsyncResult        *result,
                           TalkHistoryOutcome  *outcome,
                           GError             **error)
{
  g_autoptr(TalkHistoryJob) job = history_finish (self, result, talk_history_store_async, error);
  TalkHistoryRow *row;

  if (job == NULL)
    return 0;

  row = g_ptr_array_index (job->rows, 0);
  if (outcome != NULL)
    *outcome = row->outcome;
  return row->result_id;
}

void
talk_history_store_batch_async (TalkHistory         *self,
                                const char          *account,
                                GPtrArray           *messages,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GPtrArray) copy = NULL;

  g_return_if_fail (TALK_IS_HISTORY (self));
  g_return_if_fail (account != NULL);
  g_return_if_fail (messages != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  /* The caller may change its array after this call. */
  copy = g_ptr_array_new_full (messages->len, g_object_unref);
  for (guint i = 0; i < messages->len; i++)
    {
      TalkMessage *message = g_ptr_array_index (messages, i);

      g_return_if_fail (TALK_IS_MESSAGE (message));
      g_return_if_fail (*talk_message_get_peer (message) != '\0');
      g_ptr_array_add (copy, g_object_ref (message));
    }

  history_store (self, account, copy, cancellable, callback, user_data,
                 talk_history_store_batch_async);
}

gboolean
talk_history_store_batch_finish (TalkHistory   *self,
                                 GAsyncResult  *result,
                                 guint         *n_stored,
                                 GError       **error)
{
  g_autoptr(TalkHistoryJob) job = history_finish (self, result,
                                                  talk_history_store_batch_async, error);

  if (job == NULL)
    return FALSE;

  if (n_stored != NULL)
    *n_stored = job->count;
  return TRUE;
}

gboolean
talk_history_store_batch_finish_outcomes (TalkHistory   *self,
                                          GAsyncResult  *result,
                                          GArray       **outcomes,
                                          GError       **error)
{
  g_autoptr(TalkHistoryJob) job = NULL;

  g_return_val_if_fail (outcomes != NULL, FALSE);

  job = history_finish (self, result, talk_history_store_batch_async, error);
  if (job == NULL)
    return FALSE;

  *outcomes = g_array_sized_new (FALSE, FALSE, sizeof (TalkHistoryOutcome), job->rows->len);
  for (guint i = 0; i < job->rows->len; i++)
    {
      TalkHistoryRow *row = g_ptr_array_index (job->rows, i);

      g_array_append_val (*outcomes, row->outcome);
    }
  return TRUE;
}

void
talk_history_update_state_async (TalkHistory         *self,
                                 const char          *account,
                                 const char          *peer,
                                 const char          *id,
                                 TalkMessageState     state,
                                 const char          *error_text,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  TalkHistoryJob *job;

  g_return_if_fail (TALK_IS_HISTORY (self));
  g_return_if_fail (account != NULL);
  g_return_if_fail (peer != NULL);
  g_return_if_fail (id != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  job = job_new (self, _talk_history_run_update_state, history_emit_changes, cancellable, callback,
                 user_data, talk_history_update_state_async);
  job->account = g_strdup (account);
  job->peer = g_strdup (peer);
  job->text = g_strdup (id);
  job->state = state;
  job->error_text = g_strdup (error_text);
  history_queue (self, job);
}

gint64
talk_history_update_state_finish (TalkHistory   *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  g_autoptr(TalkHistoryJob) job = history_finish (self, result,
                                                  talk_history_update_state_async, error);

  return job != NULL ? job->result_id : 0;
}

void
talk_history_load_page_async (TalkHistory         *self,
                              const char          *account,
                              const char          *peer,
                              gint64               before_timestamp_us,
                              gint64               before_id,
                              guint                limit,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  TalkHistoryJob *job;

  g_return_if_fail (TALK_IS_HISTORY (self));
  g_return_if_fail (account != NULL);
  g_return_if_fail (peer != NULL);
  g_return_if_fail (limit > 0);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  job = job_new (self, _talk_history_run_load_page, rows_to_messages_done, cancellable, callback,
                 user_data, talk_history_load_page_async);
  job->account = g_strdup (account);
  job->peer = g_strdup (peer);
  job->before_timestamp = before_timestamp_us;
  job->before_id = before_id;
  job->limit = limit;
  history_queue (self, job);
}

GPtrArray *
talk_history_load_page_finish (TalkHistory   *self,
                               GAsyncResult  *result,
                               gboolean      *has_more,
                               GError       **error)
{
  g_autoptr(TalkHistoryJob) job = history_finish (self, result,
                                                  talk_history_load_page_async, error);

  if (job == NULL)
    return NULL;

  if (has_more != NULL)
    *has_more = job->has_more;
  return g_steal_pointer (&job->messages);
}

void
talk_history_list_pending_async (TalkHistory         *self,
                                 const char          *account,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  TalkHistoryJob *job;

  g_return_if_fail (TALK_IS_HISTORY (self));
  g_return_if_fail (account != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  job = job_new (self, _talk_history_run_list_pending, rows_to_messages_done, cancellable, callback,
                 user_data, talk_history_list_pending_async);
  job->account = g_strdup (account);
  history_queue (self, job);
}

GPtrArray *
talk_history_list_pending_finish (TalkHistory   *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  g_autoptr(TalkHistoryJob) job = history_finish (self, result,
                                                  talk_history_list_pending_async, error);

  return job != NULL ? g_steal_pointer (&job->messages) : NULL;
}

void
talk_history_mark_read_async (TalkHistory         *self,
                              const char          *account,
                              const char          *peer,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  TalkHistoryJob *job;

  g_return_if_fail (TALK_IS_HISTORY (self));
  g_return_if_fail (account != NULL);
  g_return_if_fail (peer != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  job = job_new (self, _talk_history_run_mark_read, history_emit_changes, cancellable, callback,
                 user_data, talk_history_mark_read_async);
  job->account = g_strdup (account);
  job->peer = g_strdup (peer);
  history_queue (self, job);
}

gboolean
talk_history_mark_read_finish (TalkHistory   *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_autoptr(TalkHistoryJob) job = history_finish (self, result,
                                                  talk_history_mark_read_async, error);

  return job != NULL;
}

void
talk_history_get_unread_async (TalkHistory         *self,
                               const char          *account,
                               const char          *peer,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  TalkHistoryJob *job;

  g_return_if_fail (TALK_IS_HISTORY (self));
  g_return_if_fail (account != NULL);
  g_return_if_fail (peer != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  job = job_new (self, _talk_history_run_get_unread, NULL, cancellable, callback,
                 user_data, talk_history_get_unread_async);
  job->account = g_strdup (account);
  job->peer = g_strdup (peer);
  history_queue (self, job);
}

guint
talk_history_get_unread_finish (TalkHistory   *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  g_autoptr(TalkHistoryJob) job = history_finish (self, result,
                                                  talk_history_get_unread_async, error);

  return job != NULL ? job->count : 0;
}

void
talk_history_get_last_archive_id_async (TalkHistory         *self,
                                        const char          *account,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  TalkHistoryJob *job;

  g_return_if_fail (TALK_IS_HISTORY (self));
  g_return_if_fail (account != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  job = job_new (self, _talk_history_run_last_archive_id, NULL, cancellable, callback,
                 user_data, talk_history_get_last_archive_id_async);
  job->account = g_strdup (account);
  history_queue (self, job);
}

char *
talk_history_get_last_archive_id_finish (TalkHistory   *self,
                                         GAsyncResult  *result,
                                         GError       **error)
{
  g_autoptr(TalkHistoryJob) job = history_finish (self, result,
                                                  talk_history_get_last_archive_id_async, error);

  return job != NULL ? g_steal_pointer (&job->result_text) : NULL;
}

void
talk_history_get_markable_async (TalkHistory         *self,
                                 const char          *account,
                                 const char          *peer,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  TalkHistoryJob *job;

  g_return_if_fail (TALK_IS_HISTORY (self));
  g_return_if_fail (account != NULL);
  g_return_if_fail (peer != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  job = job_new (self, _talk_history_run_get_markable, rows_to_messages_done, cancellable,
                 callback, user_data, talk_history_get_markable_async);
  job->account = g_strdup (account);
  job->peer = g_strdup (peer);
  history_queue (self, job);
}

TalkMessage *
talk_history_get_markable_finish (TalkHistory   *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  g_autoptr(TalkHistoryJob) job = history_finish (self, result,
                                                  talk_history_get_markable_async, error);

  if (job == NULL || job->messages == NULL || job->messages->len == 0)
    return NULL;
  return g_object_ref (g_ptr_array_index (job->messages, 0));
}

void
talk_history_set_displayed_async (TalkHistory         *self,
                                  const char          *account,
                                  const char          *peer,
                                  gint64               message_id,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  TalkHistoryJob *job;

  g_return_if_fail (TALK_IS_HISTORY (self));
  g_return_if_fail (account != NULL);
  g_return_if_fail (peer != NULL);
  g_return_if_fail (message_id > 0);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  job = job_new (self, _talk_history_run_set_displayed, NULL, cancellable, callback,
                 user_data, talk_history_set_displayed_async);
  job->account = g_strdup (account);
  job->peer = g_strdup (peer);
  job->before_id = message_id;
  history_queue (self, job);
}

void
talk_history_set_displayed_by_id_async (TalkHistory         *self,
                                        const char          *account,
                                        const char          *peer,
                                        const char          *id,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  TalkHistoryJob *job;

  g_return_if_fail (TALK_IS_HISTORY (self));
  g_return_if_fail (account != NULL);
  g_return_if_fail (peer != NULL);
  g_return_if_fail (id != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  /* One finish for both: the same job, looked up by id. */
  job = job_new (self, _talk_history_run_set_displayed, NULL, cancellable, callback,
                 user_data, talk_history_set_displayed_async);
  job->account = g_strdup (account);
  job->peer = g_strdup (peer);
  job->text = g_strdup (id);
  history_queue (self, job);
}

gboolean
talk_history_set_displayed_finish (TalkHistory   *self,
                                   GAsyncResult  *result,
                                   guint         *n_changed,
                                   GError       **error)
{
  g_autoptr(TalkHistoryJob) job = history_finish (self, result,
                                                  talk_history_set_displayed_async, error);

  if (job == NULL)
    return FALSE;
  if (n_changed != NULL)
    *n_changed = job->count;
  return TRUE;
}

void
talk_history_search_async (TalkHistory         *self,
                           const char          *account,
                           const char          *peer,
                           const char          *text,
                           guint                limit,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  TalkHistoryJob *job;

  g_return_if_fail (TALK_IS_HISTORY (self));
  g_return_if_fail (account != NULL);
  g_return_if_fail (text != NULL);
  g_return_if_fail (limit > 0);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  job = job_new (self, _talk_history_run_search, NULL, cancellable, callback,
                 user_data, talk_history_search_async);
  job->account = g_strdup (account);
  job->peer = g_strdup (peer);
  job->text = g_strdup (text);
  job->limit = limit;
  history_queue (self, job);
}

GPtrArray *
talk_history_search_finish (TalkHistory   *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_autoptr(TalkHistoryJob) job = history_finish (self, result, talk_history_search_async, error);

  return job != NULL ? g_steal_pointer (&job->hits) : NULL;
}

/* GObject */

static void
statement_free (gpointer data)
{
  sqlite3_finalize (data);
}

static void
talk_history_constructed (GObject *object)
{
  TalkHistory *self = TALK_HISTORY (object);
  TalkHistoryWorker *w = g_new0 (TalkHistoryWorker, 1);

  G_OBJECT_CLASS (talk_history_parent_class)->constructed (object);

  if (self->path == NULL)
    self->path = talk_history_dup_default_path ();

  w->path = g_strdup (self->path);
  w->marker_path = g_strconcat (self->path, "-open", NULL);
  w->read_only = self->read_only;
  w->use_fts = self->full_text_search;
  w->statements = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, statement_free);
  w->accounts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  w->conversations = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->worker = w;

  /* One exclusive thread: the connection never sees another one. */
  self->pool = g_thread_pool_new (worker_job_func, w, 1, TRUE, &self->pool_error);
}

static void
talk_history_finalize (GObject *object)
{
  TalkHistory *self = TALK_HISTORY (object);

  /* No job is under way (each holds the history); the last one closes
   * the database on the worker thread, and the pool waits for it. */
  if (self->pool != NULL)
    {
      TalkHistoryJob *job = g_new0 (TalkHistoryJob, 1);

      job->run = _talk_history_run_close;
      g_thread_pool_push (self->pool, job, NULL);
      g_thread_pool_free (self->pool, FALSE, TRUE);
    }

  g_hash_table_unref (self->worker->statements);
  g_hash_table_unref (self->worker->accounts);
  g_hash_table_unref (self->worker->conversations);
  g_free (self->worker->path);
  g_free (self->worker->marker_path);
  g_free (self->worker);

  g_clear_error (&self->pool_error);
  g_free (self->path);

  G_OBJECT_CLASS (talk_history_parent_class)->finalize (object);
}

static void
talk_history_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  TalkHistory *self = TALK_HISTORY (object);

  switch (prop_id)
    {
    case PROP_PATH:
      g_value_set_string (value, self->path);
      break;

    case PROP_READ_ONLY:
      g_value_set_boolean (value, self->read_only);
      break;

    case PROP_FULL_TEXT_SEARCH:
      g_value_set_boolean (value, self->full_text_search);
      break;

    case PROP_INDEXED:
      g_value_set_boolean (value, self->indexed);
      break;

    case PROP_UNCLEAN_SHUTDOWN:
      g_value_set_boolean (value, self->unclean_shutdown);
      break;

    case PROP_ROWS_READ:
      g_value_set_uint64 (value, self->rows_read);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
talk_history_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  TalkHistory *self = TALK_HISTORY (object);

  switch (prop_id)
    {
    case PROP_PATH:
      self->path = g_value_dup_string (value);
      break;

    case PROP_READ_ONLY:
      self->read_only = g_value_get_boolean (value);
      break;

    case PROP_FULL_TEXT_SEARCH:
      self->full_text_search = g_value_get_boolean (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
talk_history_class_init (TalkHistoryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags construct = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                                G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->constructed = talk_history_constructed;
  object_class->finalize = talk_history_finalize;
  object_class->get_property = talk_history_get_property;
  object_class->set_property = talk_history_set_property;

  properties[PROP_PATH] =
    g_param_spec_string ("path", NULL, NULL, NULL, construct);
  properties[PROP_READ_ONLY] =
    g_param_spec_boolean ("read-only", NULL, NULL, FALSE, construct);
  properties[PROP_FULL_TEXT_SEARCH] =
    g_param_spec_boolean ("full-text-search", NULL, NULL, TRUE, construct);
  properties[PROP_INDEXED] =
    g_param_spec_boolean ("indexed", NULL, NULL, FALSE, ro);
  properties[PROP_UNCLEAN_SHUTDOWN] =
    g_param_spec_boolean ("unclean-shutdown", NULL, NULL, FALSE, ro);
  properties[PROP_ROWS_READ] =
    g_param_spec_uint64 ("rows-read", NULL, NULL, 0, G_MAXUINT64, 0, ro);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * TalkHistory::messages-added:
   * @account: the account's bare JID
   * @messages: (element-type TalkMessage): the new rows, in the order stored
   */
  signals[MESSAGES_ADDED] =
    g_signal_new ("messages-added",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_PTR_ARRAY | G_SIGNAL_TYPE_STATIC_SCOPE);

  /**
   * TalkHistory::message-updated:
   * @account: the account's bare JID
   * @message: a copy of the row as stored now (state, error, body, edited)
   */
  signals[MESSAGE_UPDATED] =
    g_signal_new ("message-updated",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  TALK_TYPE_MESSAGE);

  /**
   * TalkHistory::unread-changed:
   * @account: the account's bare JID
   * @peer: the conversation's bare JID
   * @count: its unread count now
   */
  signals[UNREAD_CHANGED] =
    g_signal_new ("unread-changed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_UINT);
}

static void
talk_history_init (TalkHistory *self)
{
  self->full_text_search = TRUE;
}
