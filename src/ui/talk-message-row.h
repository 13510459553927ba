/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "talk-contact.h"
#include "talk-message.h"

G_BEGIN_DECLS

#define TALK_TYPE_MESSAGE_ROW (talk_message_row_get_type ())
G_DECLARE_FINAL_TYPE (TalkMessageRow, talk_message_row, TALK, MESSAGE_ROW, GtkWidget)

/**
 * TalkMessageRow:
 *
 * One message of a conversation: the body (plain text with the styling
 * attributes of talk-message-text, links open on click), the time, for
 * outgoing messages the delivery state, and "edited" after a correction.
 *
 * Rows are grouped the way chat clients do: a row shows the sender's
 * avatar and name only when the previous message is from someone else,
 * from another day or from a while ago, and the first row of a day shows
 * the day above it ("Today", "Yesterday", a date). GTK 4.8 list views have
 * no section headers, so the row is told the previous message with
 * talk_message_row_set_previous().
 *
 * Properties: "item" (TalkMessage, nullable), "sender" (TalkContact,
 * nullable: who wrote it, for the avatar and the name).
 */
GtkWidget   *talk_message_row_new          (void);

TalkMessage *talk_message_row_get_item     (TalkMessageRow *self);
void         talk_message_row_set_item     (TalkMessageRow *self,
                                            TalkMessage    *item);
TalkContact *talk_message_row_get_sender   (TalkMessageRow *self);
void         talk_message_row_set_sender   (TalkMessageRow *self,
                                            TalkContact    *sender);
/* @previous: (nullable): the message shown just above, %NULL for the first */
void         talk_message_row_set_previous (TalkMessageRow *self,
                                            TalkMessage    *previous);

/* The day separator's words for @time: "Today", "Yesterday", "Monday",
 * "Monday, March 4" or "March 4, 2023"; @now is the reference (local). */
char        *talk_message_row_format_day   (GDateTime      *time,
                                            GDateTime      *now);

G_END_DECLS
