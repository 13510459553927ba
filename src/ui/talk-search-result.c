/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "talk-search-result.h"

/* Who wrote a result comes with the hit: a result without its sender
 * would read as if the contact had written everything. */

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
search_cb (GObject      *source,
           GAsyncResult *res,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GPtrArray) hits = NULL;
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;

  hits = talk_chats_search_finish (TALK_CHATS (source), res, &error);
  if (hits == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  results = g_ptr_array_new_full (hits->len, (GDestroyNotify) talk_search_result_free);
  for (guint i = 0; i < hits->len; i++)
    {
      const TalkHistoryHit *hit = g_ptr_array_index (hits, i);
      TalkSearchResult *result = g_new0 (TalkSearchResult, 1);

      result->message_id = hit->message_id;
      result->peer = g_strdup (hit->peer);
      result->timestamp_us = hit->timestamp_us;
      result->snippet = g_strdup (hit->snippet != NULL ? hit->snippet : "");
      result->outgoing = hit->direction == TALK_MESSAGE_DIRECTION_OUT;
      g_ptr_array_add (results, result);
    }

  g_task_return_pointer (task, g_steal_pointer (&results), (GDestroyNotify) g_ptr_array_unref);
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

  g_return_if_fail (TALK_IS_CHATS (chats));
  g_return_if_fail (text != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (chats, cancellable, callback, user_data);
  g_task_set_source_tag (task, talk_search_result_find_async);

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
