/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * TalkChats: the message archive (XEP-0313).
 *
 *   "online" ──► newest archive id held? ──► yes: pages after it (catch-up)
 *                                        └─► no: the newest page only
 *            ──► one batch per call ──► "message-received" (no notification),
 *                receipts and markers ──► live messages and the pending
 *                ones go on after the first batch
 *
 *   load_older ──► the store's older page ──► none: the archive's page
 *                  before the oldest archive id, with the peer; read already
 */

#include "config.h"

#include "talk-chats-private.h"

/* XEP-0313 catch-up: pages per call, calls per sign-in. */
#define CATCH_UP_PAGE_SIZE  100
#define CATCH_UP_MAX_PAGES  5
#define CATCH_UP_MAX_ROUNDS 20
/* Without an archive id yet: the newest messages only. */
#define FIRST_SYNC_PAGE_SIZE 50
/* Older pages of one conversation from the archive. */
#define OLDER_PAGE_SIZE 50

/* Catch-up */

/* Disposed while a caller's task holds it. */
static gboolean
chats_is_disposed (TalkChats *self)
{
  return self->session == NULL;
}

/* The first page is in (or there is none): live messages and the pending
 * ones go on. SECURITY.md §3.3: own messages the archive holds are SENT
 * by now, so the flush does not send them twice. */
static void
chats_catch_up_done (TalkChats *self)
{
  self->catching_up = FALSE;
  _talk_chats_drain_waiting (self);
  if (!self->flushed)
    _talk_chats_flush_pending (self);
}

static void chats_catch_up_from (TalkChats  *self,
                                 const char *after_id,
                                 guint       rounds);
static void chats_catch_up_last_page (TalkChats *self);

/* The messages of a page that have a body, for the history, in archive
 * order. */
static GPtrArray *
chats_messages_from_page (TalkChats       *self,
                          TalkXmppMamPage *page,
                          gboolean         older)
{
  GPtrArray *infos = talk_xmpp_mam_page_get_messages (page);
  GPtrArray *messages = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < infos->len; i++)
    {
      TalkXmppMessageInfo *info = g_ptr_array_index (infos, i);
      g_autofree char *peer = NULL;
      TalkMessageDirection direction;
      TalkMessageState state;

      if (!_talk_chats_classify (self, info, TALK_CHATS_ORIGIN_ARCHIVE, &peer, &direction))
        continue;

      if (talk_xmpp_message_info_get_body (info) == NULL)
        continue;

      /* Older history than what is shown is not news. */
      if (direction == TALK_MESSAGE_DIRECTION_OUT)
        state = TALK_MESSAGE_STATE_SENT;
      else
        state = older ? TALK_MESSAGE_STATE_READ : TALK_MESSAGE_STATE_DELIVERED;

      g_ptr_array_add (messages, _talk_chats_message_from_info (self, info,
                                                                TALK_CHATS_ORIGIN_ARCHIVE, peer,
                                                                direction, state));
    }

  return messages;
}

/*
 * Receipts and markers of a page, once its messages are stored: they may
 * name them. The user's own displayed marker marks the conversation read
 * unless a message from the peer came after it.
 */
static void
chats_apply_page_reports (TalkChats       *self,
                          TalkXmppMamPage *page)
{
  GPtrArray *infos = talk_xmpp_mam_page_get_messages (page);
  g_autoptr(GHashTable) read = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GHashTableIter iter;
  const char *read_peer;

  for (guint i = 0; i < infos->len; i++)
    {
      TalkXmppMessageInfo *info = g_ptr_array_index (infos, i);
      g_autofree char *peer = NULL;
      TalkMessageDirection direction;

      if (!_talk_chats_classify (self, info, TALK_CHATS_ORIGIN_ARCHIVE, &peer, &direction))
        continue;

      if (direction == TALK_MESSAGE_DIRECTION_IN)
        {
          if (talk_xmpp_message_info_get_body (info) != NULL)
            g_hash_table_remove (read, peer);
          else
            _talk_chats_apply_reports (self, info, TALK_CHATS_ORIGIN_ARCHIVE, peer, direction);
        }
      else if (talk_xmpp_message_info_get_displayed_id (info) != NULL)
        {
          _talk_chats_record_own_displayed (self, peer,
                                            talk_xmpp_message_info_get_displayed_id (info));
          g_hash_table_add (read, g_steal_pointer (&peer));
        }
    }

  g_hash_table_iter_init (&iter, read);
  while (g_hash_table_iter_next (&iter, (gpointer *) &read_peer, NULL))
    _talk_chats_mark_read (self, read_peer);
}

/* After the store: the new ones are announced (without notification), and
 * the catch-up goes on or the pending messages go out. */
static void
catch_up_stored_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(TalkChatsCall) call = user_data;
  g_autoptr(TalkChats) self = NULL;
  g_autoptr(GError) error = NULL;
  const char *last;

  talk_history_store_batch_finish (TALK_HISTORY (source), result, NULL, &error);
  self = g_weak_ref_get (&call->self);
  if (self == NULL)
    return;

  if (error != NULL)
    {
      g_warning ("The archive's messages could not be stored: %s", error->message);
      _talk_chats_set_error (self, error);
    }
  else
    {
      _talk_chats_set_error (self, NULL);
      for (guint i = 0; i < call->messages->len; i++)
        {
          TalkMessage *message = g_ptr_array_index (call->messages, i);

          /* The history sets the row of new messages only. */
          if (talk_message_get_id (message) != 0)
            _talk_chats_emit_message_received (self, talk_message_get_peer (message), message,
                                               FALSE);
        }
      chats_apply_page_reports (self, call->page);
    }

  if (call->serial != self->serial)
    return;

  chats_catch_up_done (self);

  last = talk_xmpp_mam_page_get_last (call->page);
  if (error == NULL && call->rounds > 0 && !talk_xmpp_mam_page_get_complete (call->page) &&
      last != NULL && call->rounds < CATCH_UP_MAX_ROUNDS)
    chats_catch_up_from (self, last, call->rounds + 1);
}

static void
chats_store_catch_up (TalkChats       *self,
                      TalkXmppMamPage *page,
                      guint            rounds)
{
  TalkChatsCall *call = _talk_chats_call_new (self);

  call->page = talk_xmpp_mam_page_ref (page);
  call->rounds = rounds;
  call->messages = chats_messages_from_page (self, page, FALSE);
  talk_history_store_batch_async (self->history, self->account, call->messages, NULL,
                                  catch_up_stored_cb, call);
}

static void
catch_up_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(TalkChatsCall) call = user_data;
  g_autoptr(TalkChats) self = NULL;
  g_autoptr(TalkXmppMamPage) page = NULL;
  g_autoptr(GError) error = NULL;

  page = talk_xmpp_mam_catch_up_finish (TALK_XMPP_MAM (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = g_weak_ref_get (&call->self);
  if (self == NULL || call->serial != self->serial)
    return;

  if (page != NULL)
    {
      chats_store_catch_up (self, page, call->rounds);
      return;
    }

  /* The id is no longer in the archive (expired): the newest page then. */
  if (g_error_matches (error, TALK_XMPP_STANZA_ERROR, TALK_XMPP_STANZA_ERROR_ITEM_NOT_FOUND) &&
      call->rounds == 1)
    {
      chats_catch_up_last_page (self);
      return;
    }

  g_debug ("Archive catch-up for %s: %s", self->account, error->message);
  chats_catch_up_done (self);
}

static void
chats_catch_up_from (TalkChats  *self,
                     const char *after_id,
                     guint       rounds)
{
  TalkChatsCall *call = _talk_chats_call_new (self);

  call->rounds = rounds;
  talk_xmpp_mam_catch_up_async (self->mam, after_id, CATCH_UP_PAGE_SIZE, CATCH_UP_MAX_PAGES,
                                self->cancellable, catch_up_cb, call);
}

static void
last_page_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(TalkChatsCall) call = user_data;
  g_autoptr(TalkChats) self = NULL;
  g_autoptr(TalkXmppMamPage) page = NULL;
  g_autoptr(GError) error = NULL;

  page = talk_xmpp_mam_query_finish (TALK_XMPP_MAM (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = g_weak_ref_get (&call->self);
  if (self == NULL || call->serial != self->serial)
    return;

  if (page == NULL)
    {
      g_debug ("No archive for %s: %s", self->account, error->message);
      chats_catch_up_done (self);
      return;
    }

  /* rounds 0: a page backwards has nothing after it to follow. */
  chats_store_catch_up (self, page, 0);
}

/* XEP-0313 #query-paging: before="" is the newest page. */
static void
chats_catch_up_last_page (TalkChats *self)
{
  talk_xmpp_mam_query_async (self->mam, NULL, NULL, "", NULL, FIRST_SYNC_PAGE_SIZE,
                             self->cancellable, last_page_cb, _talk_chats_call_new (self));
}

static void
last_archive_id_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(TalkChatsCall) call = user_data;
  g_autoptr(TalkChats) self = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *last = NULL;

  last = talk_history_get_last_archive_id_finish (TALK_HISTORY (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = g_weak_ref_get (&call->self);
  if (self == NULL || call->serial != self->serial || !_talk_chats_is_online (self))
    return;

  if (error != NULL)
    {
      g_warning ("Cannot read the history for the catch-up: %s", error->message);
      chats_catch_up_done (self);
    }
  else if (last != NULL)
    chats_catch_up_from (self, last, 1);
  else
    chats_catch_up_last_page (self);
}

/* Older pages: the store, then the archive */

typedef struct
{
  TalkConversation *conversation;
  char *peer;
  GPtrArray *messages;
} Older;

static void
older_free (Older *older)
{
  g_clear_object (&older->conversation);
  g_free (older->peer);
  g_clear_pointer (&older->messages, g_ptr_array_unref);
  g_free (older);
}

static void older_query_archive (GTask *task);

/* Nothing new from this page: the one before it, unless the archive
 * begins here. */
static void
older_go_on (GTask *task)
{
  TalkChats *self = g_task_get_source_object (task);
  Older *older = g_task_get_task_data (task);
  TalkChatsPeer *peer;

  if (chats_is_disposed (self))
    {
      g_task_return_boolean (task, FALSE);
      g_object_unref (task);
      return;
    }

  peer = _talk_chats_ensure_peer (self, older->peer);
  if (peer->archive_exhausted || !_talk_chats_is_online (self))
    {
      g_task_return_boolean (task, FALSE);
      g_object_unref (task);
      return;
    }

  older_query_archive (task);
}

static void
older_stored_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  guint n_stored = 0;

  if (!talk_history_store_batch_finish (TALK_HISTORY (source), result, &n_stored, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else if (n_stored > 0)
    g_task_return_boolean (task, TRUE);
  else
    older_go_on (g_steal_pointer (&task));
}

static void
older_archive_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TalkChats *self = g_task_get_source_object (task);
  Older *older = g_task_get_task_data (task);
  g_autoptr(TalkXmppMamPage) page = NULL;
  g_autoptr(GError) error = NULL;
  GCancellable *cancellable;
  TalkChatsPeer *peer;
  const char *first;

  page = talk_xmpp_mam_query_finish (TALK_XMPP_MAM (source), result, &error);
  if (page == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (chats_is_disposed (self))
    {
      g_task_return_boolean (task, FALSE);
      return;
    }

  /* Paging backwards: complete means the first message was reached; so
   * does a server that gives the same page again. */
  peer = _talk_chats_ensure_peer (self, older->peer);
  first = talk_xmpp_mam_page_get_first (page);
  peer->archive_exhausted = talk_xmpp_mam_page_get_complete (page) || first == NULL ||
                            g_strcmp0 (first, peer->archive_before) == 0;
  g_free (peer->archive_before);
  peer->archive_before = g_strdup (first);

  g_clear_pointer (&older->messages, g_ptr_array_unref);
  older->messages = chats_messages_from_page (self, page, TRUE);
  if (older->messages->len == 0)
    {
      older_go_on (g_steal_pointer (&task));
      return;
    }

  cancellable = g_task_get_cancellable (task);
  talk_history_store_batch_async (self->history, self->account, older->messages, cancellable,
                                  older_stored_cb, g_steal_pointer (&task));
}

/* The archive id of the oldest message held, to page on from.
 * Returns: (transfer full) (nullable) */
static char *
conversation_oldest_archive_id (TalkChats        *self,
                                TalkConversation *conversation)
{
  GListModel *model = G_LIST_MODEL (conversation);
  guint n = g_list_model_get_n_items (model);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(TalkMessage) message = g_list_model_get_item (model, i);
      const char *id = talk_message_get_archive_id (message);

      /* XEP-0313 §5.1.2: the stanza-id by the archive is the archive id. */
      if (id == NULL && g_strcmp0 (talk_message_get_stanza_id_by (message), self->account) == 0)
        id = talk_message_get_stanza_id (message);
      if (id != NULL)
        return g_strdup (id);
    }

  return NULL;
}

/* XEP-0313 with the peer, before the oldest archive id known ("" for the
 * newest page when none is). Takes @task. */
static void
older_query_archive (GTask *task)
{
  TalkChats *self = g_task_get_source_object (task);
  Older *older = g_task_get_task_data (task);
  TalkChatsPeer *peer = _talk_chats_ensure_peer (self, older->peer);
  GCancellable *cancellable = g_task_get_cancellable (task);
  g_autofree char *oldest = NULL;
  const char *before = peer->archive_before;

  if (before == NULL)
    before = oldest = conversation_oldest_archive_id (self, older->conversation);
  talk_xmpp_mam_query_async (self->mam, older->peer, NULL, before != NULL ? before : "", NULL,
                             OLDER_PAGE_SIZE, cancellable, older_archive_cb, task);
}

static void
older_local_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TalkChats *self = g_task_get_source_object (task);
  Older *older = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  guint n_added = 0;

  if (!talk_conversation_load_older_finish (older->conversation, result, &n_added, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (n_added > 0 || chats_is_disposed (self))
    {
      g_task_return_boolean (task, n_added > 0);
      return;
    }

  /* The store has nothing older: the archive. */
  older_go_on (g_steal_pointer (&task));
}

void
talk_chats_load_older_async (TalkChats           *self,
                             TalkConversation    *conversation,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Older *older;

  g_return_if_fail (TALK_IS_CHATS (self));
  g_return_if_fail (TALK_IS_CONVERSATION (conversation));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, talk_chats_load_older_async);

  older = g_new0 (Older, 1);
  older->conversation = g_object_ref (conversation);
  older->peer = g_strdup (talk_conversation_get_peer (conversation));
  g_task_set_task_data (task, older, (GDestroyNotify) older_free);

  talk_conversation_load_older_async (conversation, cancellable, older_local_cb,
                                      g_steal_pointer (&task));
}

gboolean
talk_chats_load_older_finish (TalkChats     *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (TALK_IS_CHATS (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == talk_chats_load_older_async,
                        FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Reads what came while this client was away: after the newest archive id
 * held, or the newest page when there is none. Live messages wait until the
 * first page is stored, the pending ones until then as well. */
void
_talk_chats_catch_up (TalkChats *self)
{
  self->catching_up = TRUE;
  talk_history_get_last_archive_id_async (self->history, self->account, self->cancellable,
                                          last_archive_id_cb, _talk_chats_call_new (self));
}
