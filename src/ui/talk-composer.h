/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "talk-chats.h"

G_BEGIN_DECLS

#define TALK_TYPE_COMPOSER (talk_composer_get_type ())
G_DECLARE_FINAL_TYPE (TalkComposer, talk_composer, TALK, COMPOSER, AdwBin)

/**
 * TalkComposer:
 *
 * Where the user writes to one peer: a text view that grows to about six
 * lines and then scrolls, an emoji chooser and a send button.
 *
 * Enter sends (talk_chats_send_message()), Shift+Enter starts a new line.
 * Up in an empty composer brings back the last outgoing message for
 * correction (XEP-0308): an "Editing message" bar shows, Enter replaces
 * the message (talk_chats_correct_last_message()), Escape or Cancel
 * leaves it alone. Every change of the text is reported with
 * talk_chats_composer_changed(), which sends the chat states.
 *
 * Properties: "chats" (TalkChats, nullable), "peer" (bare JID, nullable),
 * "editing" (read-only: a correction is being written).
 * Signals: "sent" after a message was sent or corrected.
 */
GtkWidget *talk_composer_new         (void);

void       talk_composer_set_target  (TalkComposer *self,
                                      TalkChats    *chats,
                                      const char   *peer);
gboolean   talk_composer_get_editing (TalkComposer *self);

/* Puts the keyboard focus in the text. */
void       talk_composer_focus       (TalkComposer *self);

/* Leaves correction mode and empties the text. */
void       talk_composer_cancel_edit (TalkComposer *self);

G_END_DECLS
