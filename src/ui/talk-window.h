/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "talk-client.h"

G_BEGIN_DECLS

#define TALK_TYPE_WINDOW (talk_window_get_type ())
G_DECLARE_FINAL_TYPE (TalkWindow, talk_window, TALK, WINDOW, AdwApplicationWindow)

/**
 * TalkWindow:
 *
 * The main window: the sign-in page while there is no account, else
 * the contact list beside the conversations in tabs. Its size is kept
 * in GSettings. Property: "client" (TalkClient, construct-only).
 *
 * Tabs: Ctrl+W closes one, Ctrl+Page_Up and Ctrl+Page_Down go to the
 * previous and next, Alt+1 … Alt+9 to the first nine. A tab shows the
 * contact's presence and, with unread messages, their count.
 *
 * The conversation the user sees (the window active, the chat the
 * selected tab) is told to the chats (talk_chats_set_chat_visible(),
 * talk_chats_mark_displayed()). A message for any other conversation
 * raises a desktop notification, one per peer, whose default action is
 * "app.open-chat" (of #TalkApplication) with the peer's JID; with the
 * setting "notification-show-text" off it names the sender only.
 *
 * Search: Ctrl+F searches the conversation in view (its search bar) or,
 * from the contact list, the contacts; Ctrl+Shift+F and "Search
 * Messages…" in the main menu search every conversation, and choosing a
 * message found opens its chat there.
 */
TalkWindow *talk_window_new          (GtkApplication *application,
                                      TalkClient     *client);

TalkClient *talk_window_get_client   (TalkWindow     *self);

/* Opens the conversation with @jid (a bare JID) in a tab, or brings its
 * tab forward when it is open. */
void        talk_window_open_chat    (TalkWindow     *self,
                                      const char     *jid);

/* Shows the contact search and puts the focus in it. */
void        talk_window_focus_search (TalkWindow     *self);

G_END_DECLS
