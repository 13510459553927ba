/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "talk-history.h"
#include "talk-message.h"

G_BEGIN_DECLS

#define TALK_TYPE_CONVERSATION (talk_conversation_get_type ())
G_DECLARE_FINAL_TYPE (TalkConversation, talk_conversation, TALK, CONVERSATION, GObject)

/**
 * TalkConversation:
 *
 * The messages of one conversation (an account and a peer), a #GListModel
 * of #TalkMessage in the order to display them: oldest first, by
 * timestamp, then by history row.
 *
 * It holds a window of the history, never all of it: creating it loads
 * the newest page (one "items-changed" (0, 0, n)), and
 * talk_conversation_load_older_async() prepends the page before the
 * oldest message held (one "items-changed" (0, 0, n)).
 *
 * It follows the #TalkHistory it was made with, whoever writes to it: a
 * message stored for this conversation is one "items-changed" where it
 * belongs (at the end, for one that is newest), a page of them one
 * "items-changed" over the span; a message older than the window, while
 * older pages remain, waits for its page. A new state, or a correction,
 * changes the #TalkMessage in place, which notifies "state", "error",
 * "body" or "edited"; the model itself emits nothing.
 *
 * Properties: "history", "account", "peer" (construct-only; JIDs bare and
 * normalised), "page-size" (construct-only, default 50), "loading" (a page
 * is being read), "has-older" (the history holds messages before the
 * first one here), "unread-count", "error" (#GError, nullable: the last
 * page that could not be read, for a banner), "n-items", "item-type".
 */
TalkConversation *talk_conversation_new                (TalkHistory *history,
                                                        const char  *account,
                                                        const char  *peer);

/* (transfer none) */
TalkHistory      *talk_conversation_get_history        (TalkConversation *self);
const char       *talk_conversation_get_account        (TalkConversation *self);
const char       *talk_conversation_get_peer           (TalkConversation *self);
gboolean          talk_conversation_get_loading        (TalkConversation *self);
gboolean          talk_conversation_get_has_older      (TalkConversation *self);
guint             talk_conversation_get_unread_count   (TalkConversation *self);
/* (transfer none) (nullable) */
const GError     *talk_conversation_get_error          (TalkConversation *self);

/**
 * talk_conversation_lookup_message:
 * @id: a history row
 * @position: (out) (optional): its position in the model
 *
 * Returns: (transfer none) (nullable): the message, when the model holds it
 */
TalkMessage      *talk_conversation_lookup_message     (TalkConversation *self,
                                                        gint64            id,
                                                        guint            *position);

/**
 * talk_conversation_load_older_async:
 *
 * Reads the page before the oldest message held and prepends it. Fails
 * with %G_IO_ERROR_PENDING while another page is being read; completes at
 * once, adding nothing, when "has-older" is %FALSE.
 */
void              talk_conversation_load_older_async   (TalkConversation    *self,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
/**
 * talk_conversation_load_older_finish:
 * @n_added: (out) (optional): how many messages were prepended
 */
gboolean          talk_conversation_load_older_finish  (TalkConversation  *self,
                                                        GAsyncResult      *result,
                                                        guint             *n_added,
                                                        GError           **error);

/**
 * talk_conversation_mark_read_async:
 *
 * The user has seen the conversation: its unread count goes to 0.
 */
void              talk_conversation_mark_read_async    (TalkConversation    *self,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
gboolean          talk_conversation_mark_read_finish   (TalkConversation  *self,
                                                        GAsyncResult      *result,
                                                        GError           **error);

G_END_DECLS
