/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "talk-xmpp-jid.h"

G_BEGIN_DECLS

/* talk_xmpp_jid_new() without its ASCII shortcut: every part through the
 * full RFC 7622 preparation. For the tests that both agree. */
TalkXmppJid *_talk_xmpp_jid_new_full            (const char  *str,
                                                 GError     **error);
/* Whether talk_xmpp_jid_new() takes the ASCII shortcut for @str. */
gboolean     _talk_xmpp_jid_takes_ascii_shortcut (const char *str);

G_END_DECLS
