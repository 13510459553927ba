/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "talk-contact.h"

G_BEGIN_DECLS

#define TALK_TYPE_AVATAR (talk_avatar_get_type ())
G_DECLARE_FINAL_TYPE (TalkAvatar, talk_avatar, TALK, AVATAR, GtkWidget)

/**
 * TalkAvatar:
 *
 * A round avatar for a contact: a disc in the contact's XEP-0392 colour
 * ("color") with its initials ("initials") in white. It follows the
 * contact's changes. Properties: "contact" (TalkContact, nullable),
 * "size" (pixels, default 32).
 */
GtkWidget   *talk_avatar_new         (int          size);

TalkContact *talk_avatar_get_contact (TalkAvatar  *self);
void         talk_avatar_set_contact (TalkAvatar  *self,
                                      TalkContact *contact);
int          talk_avatar_get_size    (TalkAvatar  *self);
void         talk_avatar_set_size    (TalkAvatar  *self,
                                      int          size);

G_END_DECLS
