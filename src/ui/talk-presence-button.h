/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "talk-client.h"

G_BEGIN_DECLS

#define TALK_TYPE_PRESENCE_BUTTON (talk_presence_button_get_type ())
G_DECLARE_FINAL_TYPE (TalkPresenceButton, talk_presence_button, TALK, PRESENCE_BUTTON, AdwBin)

/**
 * TalkPresenceButton:
 *
 * The own presence selector: a menu button showing a coloured dot, the
 * chosen state and the status message; its popover lists the six states
 * and edits the status message. Choosing applies at once through
 * talk_client_set_presence(). Property: "client" (TalkClient).
 */
GtkWidget   *talk_presence_button_new        (TalkClient         *client);

TalkClient  *talk_presence_button_get_client (TalkPresenceButton *self);
void         talk_presence_button_set_client (TalkPresenceButton *self,
                                              TalkClient         *client);
void         talk_presence_button_popup      (TalkPresenceButton *self);

/* Presence vocabulary shared by the widgets that show one. */

/* "Available", "Away"… translated */
const char  *talk_presence_show_get_label     (TalkXmppPresenceShow show);
/* A themed symbolic icon: "user-available-symbolic"… */
const char  *talk_presence_show_get_icon_name (TalkXmppPresenceShow show);
/* Anything but OFFLINE */
gboolean     talk_presence_show_is_online     (TalkXmppPresenceShow show);
/* Styles @dot (an empty widget with the "presence-dot" class) for @show
 * and names it for assistive technologies. */
void         talk_presence_dot_set_show       (GtkWidget           *dot,
                                               TalkXmppPresenceShow show);

G_END_DECLS
