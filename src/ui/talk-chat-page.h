/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "talk-client.h"
#include "talk-contact.h"
#include "talk-conversation.h"

G_BEGIN_DECLS

#define TALK_TYPE_CHAT_PAGE (talk_chat_page_get_type ())
G_DECLARE_FINAL_TYPE (TalkChatPage, talk_chat_page, TALK, CHAT_PAGE, AdwBin)

/**
 * TalkChatPage:
 *
 * The conversation with one contact, shown in a tab: who the contact is
 * and how they are (avatar, name, presence, "typing…"), the messages
 * (a list view over the #TalkConversation of talk_chats_open_conversation(),
 * older pages loaded when scrolled to the top) and the composer.
 *
 * The list follows the newest message while it is scrolled to the bottom
 * and after the user sends; otherwise it keeps its place.
 *
 * A search bar (Ctrl+F, through the window) finds messages of this
 * conversation in the history; choosing one shows it.
 *
 * Properties: "client" (TalkClient, construct-only), "contact"
 * (TalkContact, construct-only).
 */
GtkWidget        *talk_chat_page_new              (TalkClient   *client,
                                                   TalkContact  *contact);

TalkContact      *talk_chat_page_get_contact      (TalkChatPage *self);
/* (transfer none) (nullable): while the client has a chat service */
TalkConversation *talk_chat_page_get_conversation (TalkChatPage *self);

/* How many of the contact's messages the user has not seen. */
guint             talk_chat_page_get_unread       (TalkChatPage *self);

/* Puts the keyboard focus in the composer. */
void              talk_chat_page_focus_composer   (TalkChatPage *self);

/* Opens the search bar of the conversation, the focus in its entry. */
void              talk_chat_page_begin_search     (TalkChatPage *self);

/**
 * talk_chat_page_show_message:
 * @message_id: a history row of this conversation
 * @timestamp_us: its time, to know when older pages cannot hold it
 *
 * Scrolls the message into view, reading older pages first when it is
 * older than those held, and highlights it for a moment.
 */
void              talk_chat_page_show_message     (TalkChatPage *self,
                                                   gint64        message_id,
                                                   gint64        timestamp_us);

G_END_DECLS
