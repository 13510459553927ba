/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The message list of one conversation: a window over the history.
 *
 *   new ──► newest page ──► items-changed (0, 0, n)
 *   load_older ──► page before the first row ──► items-changed (0, 0, n)
 *   history "messages-added" ──► rows in the window: one items-changed
 *                                (at the end for new messages)
 *   history "message-updated" ──► that TalkMessage changes and notifies
 *
 * Rows are ordered by (timestamp, history row), the order of the history's
 * pages, so that a page always fits before the first row held. A message
 * announced while a page is being read waits beside it and joins with
 * it, since the page may or may not have been read before it was stored.
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "talk-conversation.h"

#define DEFAULT_PAGE_SIZE 50

struct _TalkConversation
{
  GObject parent_instance;

  TalkHistory *history;
  char *account;
  char *peer;
  guint page_size;

  GPtrArray *messages;    /* TalkMessage, owned, oldest first */
  GHashTable *by_id;      /* history row (gint64*) → TalkMessage in messages */
  GPtrArray *waiting;     /* TalkMessage announced while a page is read */

  gboolean loaded;        /* the newest page came */
  gboolean loading;
  gboolean has_older;
  guint unread_count;
  GError *error;

  GCancellable *cancellable;
  gulong messages_added_id;
  gulong message_updated_id;
  gulong unread_changed_id;
};

enum
{
  PROP_0,
  PROP_HISTORY,
  PROP_ACCOUNT,
  PROP_PEER,
  PROP_PAGE_SIZE,
  PROP_LOADING,
  PROP_HAS_OLDER,
  PROP_UNREAD_COUNT,
  PROP_ERROR,
  PROP_N_ITEMS,
  PROP_ITEM_TYPE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void talk_conversation_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TalkConversation, talk_conversation, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL,
                                                      talk_conversation_list_model_init))

/* GListModel */

static GType
talk_conversation_get_item_type (GListModel *model)
{
  return TALK_TYPE_MESSAGE;
}

static guint
talk_conversation_get_n_items (GListModel *model)
{
  return TALK_CONVERSATION (model)->messages->len;
}

static gpointer
talk_conversation_get_item (GListModel *model,
                            guint       position)
{
  TalkConversation *self = TALK_CONVERSATION (model);

  if (position >= self->messages->len)
    return NULL;

  return g_object_ref (g_ptr_array_index (self->messages, position));
}

static void
talk_conversation_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = talk_conversation_get_item_type;
  iface->get_n_items = talk_conversation_get_n_items;
  iface->get_item = talk_conversation_get_item;
}

static void
conversation_items_changed (TalkConversation *self,
                            guint             position,
                            guint             removed,
                            guint             added)
{
  g_list_model_items_changed (G_LIST_MODEL (self), position, removed, added);
  if (removed != added)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}

/* Order and lookup */

static int
compare_messages (TalkMessage *a,
                  TalkMessage *b)
{
  gint64 ta = talk_message_get_timestamp_us (a);
  gint64 tb = talk_message_get_timestamp_us (b);
  gint64 ia = talk_message_get_id (a);
  gint64 ib = talk_message_get_id (b);

  if (ta != tb)
    return ta < tb ? -1 : 1;
  if (ia != ib)
    return ia < ib ? -1 : 1;
  return 0;
}

static int
compare_message_ptrs (gconstpointer a,
                      gconstpointer b)
{
  return compare_messages (*(TalkMessage **) a, *(TalkMessage **) b);
}

/* The first position whose message comes after @message. */
static guint
conversation_find_position (TalkConversation *self,
                            TalkMessage      *message)
{
  guint low = 0;
  guint high = self->messages->len;

  while (low < high)
    {
      guint mid = low + (high - low) / 2;

      if (compare_messages (g_ptr_array_index (self->messages, mid), message) <= 0)
        low = mid + 1;
      else
        high = mid;
    }
  return low;
}

static gboolean
conversation_holds (TalkConversation *self,
                    TalkMessage      *message)
{
  gint64 id = talk_message_get_id (message);

  return g_hash_table_contains (self->by_id, &id);
}

static void
conversation_index (TalkConversation *self,
                    TalkMessage      *message)
{
  gint64 id = talk_message_get_id (message);

  g_hash_table_insert (self->by_id, g_memdup2 (&id, sizeof id), message);
}

static gboolean
conversation_is_before_first (TalkConversation *self,
                              TalkMessage      *message)
{
  return self->messages->len > 0 &&
         compare_messages (message, g_ptr_array_index (self->messages, 0)) < 0;
}

/* State */

static void
conversation_set_loading (TalkConversation *self,
                          gboolean          loading)
{
  if (self->loading == loading)
    return;

  self->loading = loading;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

static void
conversation_set_has_older (TalkConversation *self,
                            gboolean          has_older)
{
  if (self->has_older == has_older)
    return;

  self->has_older = has_older;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HAS_OLDER]);
}

static void
conversation_set_unread_count (TalkConversation *self,
                               guint             count)
{
  if (self->unread_count == count)
    return;

  self->unread_count = count;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UNREAD_COUNT]);
}

static void
conversation_set_error (TalkConversation *self,
                        const GError     *error)
{
  if (self->error == NULL && error == NULL)
    return;

  g_clear_error (&self->error);
  self->error = error != NULL ? g_error_copy (error) : NULL;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
}

/*
 * Puts a page (newest first, all before the first row held) in front,
 * with the messages that waited for it and belong in the window: those
 * not older than the page's oldest when older pages remain.
 */
static guint
conversation_prepend_page (TalkConversation *self,
                           GPtrArray        *page,
                           gboolean          has_more)
{
  g_autoptr(GPtrArray) waiting = g_steal_pointer (&self->waiting);
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);
  TalkMessage *oldest = page->len > 0 ? g_ptr_array_index (page, page->len - 1) : NULL;
  guint n;

  for (guint i = page->len; i > 0; i--)
    {
      TalkMessage *message = g_ptr_array_index (page, i - 1);

      if (conversation_holds (self, message))
        continue;
      conversation_index (self, message);
      g_ptr_array_add (items, g_object_ref (message));
    }

  for (guint i = 0; waiting != NULL && i < waiting->len; i++)
    {
      TalkMessage *message = g_ptr_array_index (waiting, i);

      if (conversation_holds (self, message) ||
          (has_more && oldest != NULL && compare_messages (message, oldest) < 0))
        continue;
      conversation_index (self, message);
      g_ptr_array_add (items, g_object_ref (message));
    }
  g_ptr_array_sort (items, compare_message_ptrs);

  n = items->len;
  if (n > 0)
    {
      g_ptr_array_extend_and_steal (items, g_steal_pointer (&self->messages));
      self->messages = g_steal_pointer (&items);
      conversation_items_changed (self, 0, 0, n);
    }

  conversation_set_has_older (self, has_more);
  return n;
}

/* Puts @added (sorted, all newer than the first row held, or the window
 * has all there is) where they belong, in one "items-changed". */
static void
conversation_insert (TalkConversation *self,
                     GPtrArray        *added)
{
  guint n = self->messages->len;
  guint k = added->len;
  TalkMessage *first_added = g_ptr_array_index (added, 0);
  g_autoptr(GPtrArray) merged = NULL;
  guint position;
  guint i;
  guint j;

  for (i = 0; i < k; i++)
    conversation_index (self, g_ptr_array_index (added, i));

  /* New messages: at the end. */
  if (n == 0 || compare_messages (first_added, g_ptr_array_index (self->messages, n - 1)) > 0)
    {
      for (i = 0; i < k; i++)
        g_ptr_array_add (self->messages, g_object_ref (g_ptr_array_index (added, i)));
      conversation_items_changed (self, n, 0, k);
      return;
    }

  position = conversation_find_position (self, first_added);
  if (k == 1)
    {
      g_ptr_array_insert (self->messages, position, g_object_ref (first_added));
      conversation_items_changed (self, position, 0, 1);
      return;
    }

  /* Late messages (from the archive) among the ones held: the span from
   * the first of them to the end changes at once. */
  merged = g_ptr_array_new_full (n - position + k, g_object_unref);
  for (i = position, j = 0; i < n || j < k;)
    {
      TalkMessage *next;

      if (j == k ||
          (i < n && compare_messages (g_ptr_array_index (self->messages, i),
                                      g_ptr_array_index (added, j)) <= 0))
        next = g_ptr_array_index (self->messages, i++);
      else
        next = g_ptr_array_index (added, j++);
      g_ptr_array_add (merged, g_object_ref (next));
    }
  g_ptr_array_set_size (self->messages, position);
  g_ptr_array_extend_and_steal (self->messages, g_steal_pointer (&merged));
  conversation_items_changed (self, position, n - position, n - position + k);
}

static void
conversation_wait (TalkConversation *self,
                   TalkMessage      *message)
{
  if (self->waiting == NULL)
    self->waiting = g_ptr_array_new_with_free_func (g_object_unref);
  else if (g_ptr_array_find (self->waiting, message, NULL))
    return;
  g_ptr_array_add (self->waiting, g_object_ref (message));
}

/* History signals */

static void
messages_added_cb (TalkHistory      *history,
                   const char       *account,
                   GPtrArray        *messages,
                   TalkConversation *self)
{
  g_autoptr(GPtrArray) added = NULL;

  if (g_strcmp0 (account, self->account) != 0)
    return;

  for (guint i = 0; i < messages->len; i++)
    {
      TalkMessage *message = g_ptr_array_index (messages, i);

      if (g_strcmp0 (talk_message_get_peer (message), self->peer) != 0 ||
          conversation_holds (self, message))
        continue;

      /* The page being read may or may not hold it. */
      if (self->loading && (!self->loaded || conversation_is_before_first (self, message)))
        {
          conversation_wait (self, message);
          continue;
        }

      /* Without the newest page there is no window to put it in; older
       * than the window, its page brings it when asked for. */
      if (!self->loaded || (self->has_older && conversation_is_before_first (self, message)))
        continue;

      if (added == NULL)
        added = g_ptr_array_new_with_free_func (g_object_unref);
      g_ptr_array_add (added, g_object_ref (message));
    }

  if (added == NULL)
    return;

  g_ptr_array_sort (added, compare_message_ptrs);
  conversation_insert (self, added);
}

static void
message_updated_cb (TalkHistory      *history,
                    const char       *account,
                    TalkMessage      *stored,
                    TalkConversation *self)
{
  gint64 id = talk_message_get_id (stored);
  TalkMessage *message;

  if (g_strcmp0 (account, self->account) != 0 ||
      g_strcmp0 (talk_message_get_peer (stored), self->peer) != 0)
    return;

  message = g_hash_table_lookup (self->by_id, &id);
  if (message == NULL)
    return;

  /* The row in the store is the truth; the message notifies what
   * changed, and views bound to it redraw that. */
  g_object_freeze_notify (G_OBJECT (message));
  talk_message_set_state (message, talk_message_get_state (stored),
                          talk_message_get_error (stored));
  talk_message_set_body (message, talk_message_get_body (stored));
  talk_message_set_edited (message, talk_message_get_edited (stored));
  g_object_thaw_notify (G_OBJECT (message));
}

static void
unread_changed_cb (TalkHistory      *history,
                   const char       *account,
                   const char       *peer,
                   guint             count,
                   TalkConversation *self)
{
  if (g_strcmp0 (account, self->account) == 0 && g_strcmp0 (peer, self->peer) == 0)
    conversation_set_unread_count (self, count);
}

/* Loading */

static void
newest_page_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  TalkConversation *self;
  g_autoptr(GPtrArray) page = NULL;
  g_autoptr(GError) error = NULL;
  gboolean has_more = FALSE;

  page = talk_history_load_page_finish (TALK_HISTORY (source), result, &has_more, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self = TALK_CONVERSATION (user_data);
  g_object_freeze_notify (G_OBJECT (self));

  if (page == NULL)
    {
      g_debug ("Loading the conversation with %s failed: %s", self->peer, error->message);
      g_clear_pointer (&self->waiting, g_ptr_array_unref);
      conversation_set_error (self, error);
    }
  else
    {
      self->loaded = TRUE;
      conversation_prepend_page (self, page, has_more);
      conversation_set_error (self, NULL);
    }

  conversation_set_loading (self, FALSE);
  g_object_thaw_notify (G_OBJECT (self));
}

static void
unread_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  guint count = talk_history_get_unread_finish (TALK_HISTORY (source), result, &error);

  if (error != NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("Reading the unread count failed: %s", error->message);
      return;
    }

  conversation_set_unread_count (TALK_CONVERSATION (user_data), count);
}

static void
older_page_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TalkConversation *self = g_task_get_source_object (task);
  g_autoptr(GPtrArray) page = NULL;
  g_autoptr(GError) error = NULL;
  gboolean has_more = FALSE;
  guint n;

  page = talk_history_load_page_finish (TALK_HISTORY (source), result, &has_more, &error);

  g_object_freeze_notify (G_OBJECT (self));
  if (page == NULL)
    {
      /* What waited for the page is older than the window: a later
       * page reads it again. */
      g_clear_pointer (&self->waiting, g_ptr_array_unref);
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        conversation_set_error (self, error);
      conversation_set_loading (self, FALSE);
      g_object_thaw_notify (G_OBJECT (self));
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  n = conversation_prepend_page (self, page, has_more);
  conversation_set_error (self, NULL);
  conversation_set_loading (self, FALSE);
  g_object_thaw_notify (G_OBJECT (self));
  g_task_return_int (task, n);
}

/* Public API */

TalkConversation *
talk_conversation_new (TalkHistory *history,
                       const char  *account,
                       const char  *peer)
{
  g_return_val_if_fail (TALK_IS_HISTORY (history), NULL);
  g_return_val_if_fail (account != NULL, NULL);
  g_return_val_if_fail (peer != NULL, NULL);

  return g_object_new (TALK_TYPE_CONVERSATION,
                       "history", history,
                       "account", account,
                       "peer", peer,
                       NULL);
}

TalkHistory *
talk_conversation_get_history (TalkConversation *self)
{
  g_return_val_if_fail (TALK_IS_CONVERSATION (self), NULL);

  return self->history;
}

const char *
talk_conversation_get_account (TalkConversation *self)
{
  g_return_val_if_fail (TALK_IS_CONVERSATION (self), NULL);

  return self->account;
}

const char *
talk_conversation_get_peer (TalkConversation *self)
{
  g_return_val_if_fail (TALK_IS_CONVERSATION (self), NULL);

  return self->peer;
}

gboolean
talk_conversation_get_loading (TalkConversation *self)
{
  g_return_val_if_fail (TALK_IS_CONVERSATION (self), FALSE);

  return self->loading;
}

gboolean
talk_conversation_get_has_older (TalkConversation *self)
{
  g_return_val_if_fail (TALK_IS_CONVERSATION (self), FALSE);

  return self->has_older;
}

guint
talk_conversation_get_unread_count (TalkConversation *self)
{
  g_return_val_if_fail (TALK_IS_CONVERSATION (self), 0);

  return self->unread_count;
}

const GError *
talk_conversation_get_error (TalkConversation *self)
{
  g_return_val_if_fail (TALK_IS_CONVERSATION (self), NULL);

  return self->error;
}

TalkMessage *
talk_conversation_lookup_message (TalkConversation *self,
                                  gint64            id,
                                  guint            *position)
{
  TalkMessage *message;

  g_return_val_if_fail (TALK_IS_CONVERSATION (self), NULL);

  message = g_hash_table_lookup (self->by_id, &id);
  if (message != NULL && position != NULL)
    g_ptr_array_find (self->messages, message, position);
  return message;
}

void
talk_conversation_load_older_async (TalkConversation    *self,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  TalkMessage *first;

  g_return_if_fail (TALK_IS_CONVERSATION (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, talk_conversation_load_older_async);

  if (self->loading)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING,
                               _("The conversation is being loaded."));
      return;
    }

  if (!self->loaded)
    {
      g_task_return_error (task, self->error != NULL ? g_error_copy (self->error) :
                           g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED,
                                                _("The conversation could not be loaded.")));
      return;
    }

  if (!self->has_older || self->messages->len == 0)
    {
      g_task_return_int (task, 0);
      return;
    }

  first = g_ptr_array_index (self->messages, 0);
  conversation_set_loading (self, TRUE);
  talk_history_load_page_async (self->history, self->account, self->peer,
                                talk_message_get_timestamp_us (first),
                                talk_message_get_id (first),
                                self->page_size, cancellable, older_page_cb,
                                g_steal_pointer (&task));
}

gboolean
talk_conversation_load_older_finish (TalkConversation  *self,
                                     GAsyncResult      *result,
                                     guint             *n_added,
                                     GError           **error)
{
  gssize n;

  g_return_val_if_fail (TALK_IS_CONVERSATION (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        talk_conversation_load_older_async, FALSE);

  n = g_task_propagate_int (G_TASK (result), error);
  if (n < 0)
    return FALSE;

  if (n_added != NULL)
    *n_added = (guint) n;
  return TRUE;
}

static void
mark_read_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  if (!talk_history_mark_read_finish (TALK_HISTORY (source), result, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

void
talk_conversation_mark_read_async (TalkConversation    *self,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (TALK_IS_CONVERSATION (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, talk_conversation_mark_read_async);
  talk_history_mark_read_async (self->history, self->account, self->peer, cancellable,
                                mark_read_cb, task);
}

gboolean
talk_conversation_mark_read_finish (TalkConversation  *self,
                                    GAsyncResult      *result,
                                    GError           **error)
{
  g_return_val_if_fail (TALK_IS_CONVERSATION (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        talk_conversation_mark_read_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* GObject */

static void
talk_conversation_constructed (GObject *object)
{
  TalkConversation *self = TALK_CONVERSATION (object);

  G_OBJECT_CLASS (talk_conversation_parent_class)->constructed (object);

  g_return_if_fail (TALK_IS_HISTORY (self->history));
  g_return_if_fail (self->account != NULL && self->peer != NULL);

  self->messages_added_id = g_signal_connect (self->history, "messages-added",
                                              G_CALLBACK (messages_added_cb), self);
  self->message_updated_id = g_signal_connect (self->history, "message-updated",
                                               G_CALLBACK (message_updated_cb), self);
  self->unread_changed_id = g_signal_connect (self->history, "unread-changed",
                                              G_CALLBACK (unread_changed_cb), self);

  self->loading = TRUE;
  talk_history_load_page_async (self->history, self->account, self->peer,
                                G_MAXINT64, G_MAXINT64, self->page_size,
                                self->cancellable, newest_page_cb, self);
  talk_history_get_unread_async (self->history, self->account, self->peer,
                                 self->cancellable, unread_cb, self);
}

static void
talk_conversation_dispose (GObject *object)
{
  TalkConversation *self = TALK_CONVERSATION (object);

  g_cancellable_cancel (self->cancellable);

  if (self->history != NULL)
    {
      g_clear_signal_handler (&self->messages_added_id, self->history);
      g_clear_signal_handler (&self->message_updated_id, self->history);
      g_clear_signal_handler (&self->unread_changed_id, self->history);
    }
  g_clear_object (&self->history);
  g_clear_pointer (&self->waiting, g_ptr_array_unref);

  G_OBJECT_CLASS (talk_conversation_parent_class)->dispose (object);
}

static void
talk_conversation_finalize (GObject *object)
{
  TalkConversation *self = TALK_CONVERSATION (object);

  g_hash_table_unref (self->by_id);
  g_ptr_array_unref (self->messages);
  g_clear_object (&self->cancellable);
  g_clear_error (&self->error);
  g_free (self->account);
  g_free (self->peer);

  G_OBJECT_CLASS (talk_conversation_parent_class)->finalize (object);
}

static void
talk_conversation_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  TalkConversation *self = TALK_CONVERSATION (object);

  switch (prop_id)
    {
    case PROP_HISTORY:
      g_value_set_object (value, self->history);
      break;

    case PROP_ACCOUNT:
      g_value_set_string (value, self->account);
      break;

    case PROP_PEER:
      g_value_set_string (value, self->peer);
      break;

    case PROP_PAGE_SIZE:
      g_value_set_uint (value, self->page_size);
      break;

    case PROP_LOADING:
      g_value_set_boolean (value, self->loading);
      break;

    case PROP_HAS_OLDER:
      g_value_set_boolean (value, self->has_older);
      break;

    case PROP_UNREAD_COUNT:
      g_value_set_uint (value, self->unread_count);
      break;

    case PROP_ERROR:
      g_value_set_boxed (value, self->error);
      break;

    case PROP_N_ITEMS:
      g_value_set_uint (value, self->messages->len);
      break;

    case PROP_ITEM_TYPE:
      g_value_set_gtype (value, TALK_TYPE_MESSAGE);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
talk_conversation_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  TalkConversation *self = TALK_CONVERSATION (object);

  switch (prop_id)
    {
    case PROP_HISTORY:
      self->history = g_value_dup_object (value);
      break;

    case PROP_ACCOUNT:
      self->account = g_value_dup_string (value);
      break;

    case PROP_PEER:
      self->peer = g_value_dup_string (value);
      break;

    case PROP_PAGE_SIZE:
      self->page_size = g_value_get_uint (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
talk_conversation_class_init (TalkConversationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags construct = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                                G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->constructed = talk_conversation_constructed;
  object_class->dispose = talk_conversation_dispose;
  object_class->finalize = talk_conversation_finalize;
  object_class->get_property = talk_conversation_get_property;
  object_class->set_property = talk_conversation_set_property;

  properties[PROP_HISTORY] =
    g_param_spec_object ("history", NULL, NULL, TALK_TYPE_HISTORY, construct);
  properties[PROP_ACCOUNT] =
    g_param_spec_string ("account", NULL, NULL, NULL, construct);
  properties[PROP_PEER] =
    g_param_spec_string ("peer", NULL, NULL, NULL, construct);
  properties[PROP_PAGE_SIZE] =
    g_param_spec_uint ("page-size", NULL, NULL, 1, 10000, DEFAULT_PAGE_SIZE,
                       construct);
  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL, FALSE, ro);
  properties[PROP_HAS_OLDER] =
    g_param_spec_boolean ("has-older", NULL, NULL, FALSE, ro);
  properties[PROP_UNREAD_COUNT] =
    g_param_spec_uint ("unread-count", NULL, NULL, 0, G_MAXUINT, 0, ro);
  properties[PROP_ERROR] =
    g_param_spec_boxed ("error", NULL, NULL, G_TYPE_ERROR, ro);
  properties[PROP_N_ITEMS] =
    g_param_spec_uint ("n-items", NULL, NULL, 0, G_MAXUINT, 0, ro);
  properties[PROP_ITEM_TYPE] =
    g_param_spec_gtype ("item-type", NULL, NULL, TALK_TYPE_MESSAGE, ro);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
talk_conversation_init (TalkConversation *self)
{
  self->page_size = DEFAULT_PAGE_SIZE;
  self->messages = g_ptr_array_new_with_free_func (g_object_unref);
  self->by_id = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  self->cancellable = g_cancellable_new ();
}
