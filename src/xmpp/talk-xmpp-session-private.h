/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "talk-xmpp-session.h"
#include "talk-xmpp-stream.h"

G_BEGIN_DECLS

/* Puts an already open and bound @stream online, as if the connector had
 * produced it, so that tests can play the server over an in-memory pair. */
void  _talk_xmpp_session_adopt_stream    (TalkXmppSession *self,
                                          TalkXmppStream  *stream,
                                          TalkXmppJid     *bound_jid);

/* The reconnect delay in ms after @n consecutive failures:
 * min (backoff-max-ms, backoff-base-ms · 2^n) · uniform (0.5, 1). */
guint _talk_xmpp_session_compute_backoff (TalkXmppSession *self,
                                          guint            n);

G_END_DECLS
