/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "talk-conversation.h"
#include "talk-history.h"
#include "talk-message.h"
#include "talk-roster.h"
#include "talk-xmpp.h"

G_BEGIN_DECLS

#define TALK_TYPE_CHATS (talk_chats_get_type ())
G_DECLARE_FINAL_TYPE (TalkChats, talk_chats, TALK, CHATS, GObject)

/**
 * TalkChats:
 *
 * One account's one-to-one chats (DESIGN.md "The data path"): the incoming
 * pipeline (parse → dedup by stanza-id/origin-id → store → conversation
 * model → notify), the outgoing one (store as pending → send when online →
 * sent / delivered / read / failed), carbons, archive catch-up after
 * sign-in, receipts and displayed markers, chat states, corrections.
 * Owned by TalkClient (talk_client_get_chats()). Never touches GTK.
 *
 * Signals:
 * "message-received" (const char *peer, TalkMessage *message, gboolean
 *   notify): a new incoming message was stored; @notify is FALSE for own
 *   carbons and archive catch-up (no desktop notification for those);
 * "chat-state-changed" (const char *peer, TalkXmppChatState state);
 * "unread-changed" (const char *peer, guint count).
 *
 * Properties: "history", "session", "message", "carbons", "mam", "disco"
 * (nullable), "roster" (nullable), all construct-only; "account" (the bare
 * JID of the session); "error" (string, nullable: a sentence for people
 * about the last message that could not be stored, cleared by the next
 * one that could).
 */

/**
 * talk_chats_new:
 * @history: the store
 * @session: the account's session
 * @message: @session's message module
 * @carbons: @session's carbons module (XEP-0280)
 * @mam: @session's archive module (XEP-0313)
 * @disco: (nullable): @session's disco module: asks whether the server
 *   vouches for its stanza-ids (XEP-0359 #security) and announces what
 *   TalkChats supports; without it, stanza-ids by the own bare JID are
 *   trusted
 * @roster: (nullable): the account's roster: receipts and displayed
 *   markers go only to contacts that may see the user's presence
 *   (XEP-0184 #security, XEP-0333 #security); without it, to everyone
 *
 * Returns: (transfer full): the chats of @session's account
 */
TalkChats         *talk_chats_new                 (TalkHistory     *history,
                                                   TalkXmppSession *session,
                                                   TalkXmppMessage *message,
                                                   TalkXmppCarbons *carbons,
                                                   TalkXmppMam     *mam,
                                                   TalkXmppDisco   *disco,
                                                   TalkRoster      *roster);

/* (transfer none) */
TalkHistory       *talk_chats_get_history         (TalkChats  *self);
/* The account's bare JID */
const char        *talk_chats_get_account         (TalkChats  *self);
/* (nullable) */
const char        *talk_chats_get_error           (TalkChats  *self);

/* Returns: (transfer full): the conversation with @peer (bare JID), newest
 * page loaded; the same object while someone holds it. */
TalkConversation  *talk_chats_open_conversation   (TalkChats  *self,
                                                   const char *peer);

/* Stores @body as pending at once (it shows in the conversation), sends it
 * when online, exactly once. /me and styling are sent as typed. */
void               talk_chats_send_message        (TalkChats  *self,
                                                   const char *peer,
                                                   const char *body);

/* XEP-0308: replaces the last outgoing message to @peer. Returns FALSE when
 * there is none to correct. */
gboolean           talk_chats_correct_last_message (TalkChats  *self,
                                                    const char *peer,
                                                    const char *body);
/* (transfer none) (nullable): the body of the last outgoing message, for
 * Up-in-an-empty-composer */
TalkMessage       *talk_chats_get_last_outgoing   (TalkChats  *self,
                                                   const char *peer);

/* The composer tells what the user does; TalkChats sends XEP-0085 states
 * with sensible timeouts (composing → paused after 30 s idle, inactive
 * when the chat is not in view for 2 min, active on send or focus). */
void               talk_chats_composer_changed    (TalkChats  *self,
                                                   const char *peer,
                                                   gboolean    has_text);
void               talk_chats_set_chat_visible    (TalkChats  *self,
                                                   const char *peer,
                                                   gboolean    visible);

/* The person has seen @peer's messages (window focused, tab visible):
 * unread count to 0, XEP-0333 displayed for the newest markable one. */
void               talk_chats_mark_displayed      (TalkChats  *self,
                                                   const char *peer);

TalkXmppChatState  talk_chats_get_peer_chat_state (TalkChats  *self,
                                                   const char *peer);
guint              talk_chats_get_unread          (TalkChats  *self,
                                                   const char *peer);

/* Full-text search in one conversation (@peer) or all (@peer NULL). */
void               talk_chats_search_async        (TalkChats           *self,
                                                   const char          *query,
                                                   const char          *peer,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
/* Returns: (transfer full) (element-type TalkHistoryHit) */
GPtrArray         *talk_chats_search_finish       (TalkChats     *self,
                                                   GAsyncResult  *result,
                                                   GError       **error);

/* Older history while scrolling up: the local store first, then the
 * archive (XEP-0313 before the oldest known archive id). Messages read
 * from the archive this way count as read. finish returns %TRUE when
 * older messages were added, %FALSE with @error on failure, and %FALSE
 * without an error once the beginning of the conversation is reached (or,
 * offline, the beginning of the local store). */
void               talk_chats_load_older_async    (TalkChats           *self,
                                                   TalkConversation    *conversation,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
gboolean           talk_chats_load_older_finish   (TalkChats     *self,
                                                   GAsyncResult  *result,
                                                   GError       **error);

G_END_DECLS
