/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "talk-client.h"

G_BEGIN_DECLS

#define TALK_TYPE_CONNECTION_BANNER (talk_connection_banner_get_type ())
G_DECLARE_FINAL_TYPE (TalkConnectionBanner, talk_connection_banner, TALK, CONNECTION_BANNER, AdwBin)

/**
 * TalkConnectionBanner:
 *
 * A strip above the contact list that says why the account is not
 * online and offers the one thing to do about it: wait (connecting),
 * retry now (waiting), type the password, retry (failed), review the
 * certificate (through the "win.review-certificate" action), go online.
 * Hidden while online. Property: "client" (TalkClient).
 */
GtkWidget  *talk_connection_banner_new        (TalkClient           *client);

TalkClient *talk_connection_banner_get_client (TalkConnectionBanner *self);
void        talk_connection_banner_set_client (TalkConnectionBanner *self,
                                               TalkClient           *client);

G_END_DECLS
