/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "talk-chats.h"

G_BEGIN_DECLS

/**
 * TalkSearchResult:
 * @message_id: the history row of the message
 * @peer: the bare JID of its conversation
 * @timestamp_us: when it was written, µs since the Unix epoch
 * @snippet: plain text (never markup) around the words found
 * @outgoing: whether the account wrote it (from this device or another)
 *
 * One message found by talk_search_result_find_async().
 */
typedef struct
{
  gint64    message_id;
  char     *peer;
  gint64    timestamp_us;
  char     *snippet;
  gboolean  outgoing;
} TalkSearchResult;

TalkSearchResult *talk_search_result_copy        (const TalkSearchResult *result);
void              talk_search_result_free        (TalkSearchResult       *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TalkSearchResult, talk_search_result_free)

/**
 * talk_search_result_find_async:
 * @chats: the account's chats
 * @text: the words to find (talk_chats_search_async())
 * @peer: (nullable): one conversation, or %NULL for all of them
 *
 * Searches the history, newest first, and tells for each message found
 * who wrote it.
 */
void              talk_search_result_find_async  (TalkChats           *chats,
                                                  const char          *text,
                                                  const char          *peer,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
/**
 * talk_search_result_find_finish:
 *
 * Returns: (transfer full) (element-type TalkSearchResult) (nullable):
 *   %NULL on error
 */
GPtrArray        *talk_search_result_find_finish (TalkChats     *chats,
                                                  GAsyncResult  *result,
                                                  GError       **error);

G_END_DECLS
