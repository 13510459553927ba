/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "talk-search-result.h"

/*
 * A search is two steps:
 *
 *   talk_chats_search_async() ─▶ hits (row, peer, time, snippet)
 *     └▶ per hit: talk_history_load_page_async() of one message just
 *        before (time, row + 1), which is the hit itself ─▶ its direction
 *
 * A hit does not say who wrote the message, and a result without its
 * sender would read as if the contact had written everything. The lookups
 * are queued on the history's worker together and answered in order.
 */

typedef struct
{
  GPtrArray *results;
  guint      pending;
} FindData;

typedef struct
{
  GTask            *task;
  TalkSearchResult *result;
} SenderLookup;

static void
find_data_free (FindData *data)
{
  g_clear_pointer (&data->results, g_ptr_array_unref);
  g_free (data);
}

TalkSearchResult *
talk_search_result_copy (const TalkSearchResult *result)
{
  TalkSearchResult *copy;

  g_return_val_if_fail (result != NULL, NULL);

  copy = g_new0 (TalkSearchResult, 1);
  copy->message_id = result->message_id;
  copy->peer = g_strdup (result->peer);
  copy->timestamp_us = result->timestamp_us;
  copy->snippet = g_strdup (result->snippet);
  copy->outgoing = result->outgoing;

  return copy;
}

void
talk_search_result_free (TalkSearchResult *result)
{
  if (result == NULL)
    return;

  g_free (result->peer);
  g_free (result->snippet);
  g_free (result);
}

static void
complete_if_done (GTask *task)
{
  FindData *data = g_task_get_task_data (task);

  if (data->pending > 0)
    return;
  if (g_task_return_error_if_cancelled (task))
    return;

  g_task_return_pointer (task, g_ptr_array_ref (data->results),
                         (GDestroyNotify) g_ptr_array_unref);
}

static void
sender_cb (GObject      *source,
           GAsyncResult *res,
           gpointer      user_data)
{
  SenderLookup *lookup = user_data;
  g_autoptr(GTask) task = lookup->task;
  FindData *data = g_task_get_task_data (task);
  g_autoptr(GPtrArray) messages = NULL;
  g_autoptr(GError) error = NULL;

  messages = talk_history_load_page_finish (TALK_HISTORY (source), res, NULL, &error);
  if (messages != NULL && messages->len > 0)
    {
      TalkMessage *message = g_ptr_array_index (messages, 0);

      if (talk_message_get_id (message) == lookup->result->message_id)
        lookup->result->outgoing =
          talk_message_get_direction (message) == TALK_MESSAGE_DIRECTION_OUT;
    }
  else if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      /* The result stays, shown as the contact's. */
      g_debug ("Looking up a search result's sender: %s", error->message);
    }

  g_free (lookup);
  data->pending--;
  complete_if_done (task);
}

static void
search_cb (GObject      *source,
           GAsyncResult *res,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TalkChats *chats = TALK_CHATS (source);
  FindData *data = g_task_get_task_data (task);
  g_autoptr(GPtrArray) hits = NULL;
  g_autoptr(GError) error = NULL;

  hits = talk_chats_search_finish (chats, res, &error);
  if (hits == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  for (guint i = 0; i < hits->len; i++)
    {
      const TalkHistoryHit *hit = g_ptr_array_index (hits, i);
      TalkSearchResult *result = g_new0 (TalkSearchResult, 1);
      SenderLookup *lookup = g_new0 (SenderLookup, 1);

      result->message_id = hit->message_id;
      result->peer = g_strdup (hit->peer);
      result->timestamp_us = hit->timestamp_us;
      result->snippet = g_strdup (hit->snippet != NULL ? hit->snippet : "");
      g_ptr_array_add (data->results, result);

      lookup->task = g_object_ref (task);
      lookup->result = result;
      data->pending++;
      /* The page strictly before (time, row + 1) starts with the row. */
      talk_history_load_page_async (talk_chats_get_history (chats),
                                    talk_chats_get_account (chats),
                                    hit->peer, hit->timestamp_us, hit->message_id + 1, 1,
                                    g_task_get_cancellable (task), sender_cb, lookup);
    }

  complete_if_done (task);
}

void
talk_search_result_find_async (TalkChats           *chats,
                               const char          *text,
                               const char          *peer,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  FindData *data;

  g_return_if_fail (TALK_IS_CHATS (chats));
  g_return_if_fail (text != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (chats, cancellable, callback, user_data);
  g_task_set_source_tag (task, talk_search_result_find_async);
  data = g_new0 (FindData, 1);
  data->results = g_ptr_array_new_with_free_func ((GDestroyNotify) talk_search_result_free);
  g_task_set_task_data (task, data, (GDestroyNotify) find_data_free);

  talk_chats_search_async (chats, text, peer, cancellable, search_cb, g_steal_pointer (&task));
}

GPtrArray *
talk_search_result_find_finish (TalkChats     *chats,
                                GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (TALK_IS_CHATS (chats), NULL);
  g_return_val_if_fail (g_task_is_valid (result, chats), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == talk_search_result_find_async,
                        NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
