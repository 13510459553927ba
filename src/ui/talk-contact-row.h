/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "talk-contact.h"

G_BEGIN_DECLS

#define TALK_TYPE_CONTACT_ROW (talk_contact_row_get_type ())
G_DECLARE_FINAL_TYPE (TalkContactRow, talk_contact_row, TALK, CONTACT_ROW, AdwBin)

/**
 * TalkContactRow:
 *
 * One contact of the contact list: avatar, display name, status message,
 * presence dot and the count of unread messages (from the chats of the
 * #TalkWindow the row is in), kept current while "item" (TalkContact,
 * nullable) is set. The list's factory sets "item" on bind and clears it on unbind,
 * which drops the row's handlers on the contact.
 */
GtkWidget   *talk_contact_row_new      (void);

TalkContact *talk_contact_row_get_item (TalkContactRow *self);
void         talk_contact_row_set_item (TalkContactRow *self,
                                        TalkContact    *item);

G_END_DECLS
