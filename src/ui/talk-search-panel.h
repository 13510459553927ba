/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "talk-chats.h"
#include "talk-contact.h"

G_BEGIN_DECLS

#define TALK_TYPE_SEARCH_PANEL (talk_search_panel_get_type ())
G_DECLARE_FINAL_TYPE (TalkSearchPanel, talk_search_panel, TALK, SEARCH_PANEL, AdwBin)

/**
 * TalkSearchPanel:
 *
 * The search bar of one conversation: an entry that searches the
 * conversation's history by words as they are typed, and the messages
 * found, newest first (who wrote each, when, and the words around what
 * was found). Escape, in the entry or the list, closes it.
 *
 * Signals: "result-activated" (gint64 message_id, gint64 timestamp_us):
 * the person chose a message to see; "closed": the bar was closed.
 */
GtkWidget *talk_search_panel_new        (void);

/* The conversation to search: @contact's with @chats. */
void       talk_search_panel_set_target (TalkSearchPanel *self,
                                         TalkChats       *chats,
                                         TalkContact     *contact);

/* Shows the bar and puts the focus in its entry, text selected. */
void       talk_search_panel_begin      (TalkSearchPanel *self);
gboolean   talk_search_panel_get_active (TalkSearchPanel *self);
void       talk_search_panel_close      (TalkSearchPanel *self);

G_END_DECLS
