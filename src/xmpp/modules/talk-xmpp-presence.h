/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "talk-xmpp-disco.h"
#include "talk-xmpp-session.h"
#include "talk-xmpp-stanza.h"

G_BEGIN_DECLS

#define TALK_XMPP_NS_NICK "http://jabber.org/protocol/nick"

/* RFC 6121 §4.7.2.2 sets no limit on <status/>; longer ones are cut. */
#define TALK_XMPP_PRESENCE_MAX_STATUS_CHARS 1024

/**
 * TalkXmppPresenceShow:
 * @TALK_XMPP_PRESENCE_SHOW_OFFLINE: unavailable
 * @TALK_XMPP_PRESENCE_SHOW_AVAILABLE: available, no <show/>
 * @TALK_XMPP_PRESENCE_SHOW_CHAT: free to chat
 * @TALK_XMPP_PRESENCE_SHOW_AWAY: away for a short while
 * @TALK_XMPP_PRESENCE_SHOW_XA: away for a long while
 * @TALK_XMPP_PRESENCE_SHOW_DND: do not disturb
 *
 * Availability (RFC 6121 §4.7.2.1).
 */
typedef enum
{
  TALK_XMPP_PRESENCE_SHOW_OFFLINE,
  TALK_XMPP_PRESENCE_SHOW_AVAILABLE,
  TALK_XMPP_PRESENCE_SHOW_CHAT,
  TALK_XMPP_PRESENCE_SHOW_AWAY,
  TALK_XMPP_PRESENCE_SHOW_XA,
  TALK_XMPP_PRESENCE_SHOW_DND,
} TalkXmppPresenceShow;

#define TALK_XMPP_TYPE_PRESENCE_SHOW (talk_xmpp_presence_show_get_type ())
GType        talk_xmpp_presence_show_get_type    (void) G_GNUC_CONST;

/* "offline", "available", "chat", "away", "xa" or "dnd" (for settings and
 * actions; the last four are also the <show/> values). */
const char  *talk_xmpp_presence_show_to_string   (TalkXmppPresenceShow  show);
/* Returns: %FALSE when @str is none of the names above */
gboolean     talk_xmpp_presence_show_from_string (const char            *str,
                                                  TalkXmppPresenceShow  *show);

#define TALK_XMPP_TYPE_PRESENCE (talk_xmpp_presence_get_type ())
G_DECLARE_FINAL_TYPE (TalkXmppPresence, talk_xmpp_presence, TALK_XMPP, PRESENCE, GObject)

/**
 * TalkXmppPresence:
 *
 * Presence and subscriptions for one session (RFC 6121 §3–4).
 *
 * Signals:
 * - "presence-changed" (const char *jid, TalkXmppPresenceShow show,
 *   const char *status, int priority): an available or unavailable
 *   presence; @jid is the normalised sender, usually a full JID;
 *   unavailable is %TALK_XMPP_PRESENCE_SHOW_OFFLINE; @status is nullable,
 *   at most %TALK_XMPP_PRESENCE_MAX_STATUS_CHARS characters; @priority is
 *   within -128…127 (§4.7.2.3).
 * - "presence-error" (const char *jid, GError *error): a type='error'
 *   presence, the error in %TALK_XMPP_STANZA_ERROR.
 * - "subscription-request" (const char *jid, const char *nick): a bare
 *   JID asks to see the user's presence (§3.1.3). @nick (nullable) is the
 *   XEP-0172 nickname the requester claims: a hint to show beside the JID,
 *   never a name to show instead of it.
 * - "subscribed", "unsubscribed", "unsubscribe" (const char *jid): the
 *   contact approved, denied or cancelled, or unsubscribed (§3.1.5, §3.2,
 *   §3.3).
 *
 * Presences carrying XEP-0045 occupant data are left to other handlers.
 */
TalkXmppPresence *talk_xmpp_presence_new        (TalkXmppSession  *session);

/* (transfer none) */
TalkXmppSession  *talk_xmpp_presence_get_session (TalkXmppPresence *self);

/**
 * talk_xmpp_presence_set_disco:
 * @disco: (nullable): whose XEP-0115 caps go into our available presence
 */
void              talk_xmpp_presence_set_disco  (TalkXmppPresence *self,
                                                 TalkXmppDisco    *disco);

/**
 * talk_xmpp_presence_build_own:
 * @status: (nullable): a message to go with it; "" counts as none
 * @priority: clamped to -128…127
 *
 * The user's broadcast presence (RFC 6121 §4.2, §4.4): <show/>, <status/>,
 * <priority/> and the caps element for available presence;
 * type='unavailable' and the status alone for
 * %TALK_XMPP_PRESENCE_SHOW_OFFLINE.
 *
 * Returns: (transfer full)
 */
TalkXmppStanza   *talk_xmpp_presence_build_own  (TalkXmppPresence     *self,
                                                 TalkXmppPresenceShow  show,
                                                 const char           *status,
                                                 int                   priority);

/**
 * talk_xmpp_presence_send_own:
 *
 * Sends talk_xmpp_presence_build_own().
 *
 * Returns: %FALSE when the session is not online (nothing was sent)
 */
gboolean          talk_xmpp_presence_send_own   (TalkXmppPresence     *self,
                                                 TalkXmppPresenceShow  show,
                                                 const char           *status,
                                                 int                   priority);

/*
 * Subscription management (RFC 6121 §3), each to the bare JID of @jid:
 * subscribe asks to see the contact's presence (type='subscribe'),
 * unsubscribe stops seeing it ('unsubscribe'), approve lets the contact
 * see the user's ('subscribed'), deny refuses a request or revokes an
 * approval ('unsubscribed').
 *
 * Returns: %FALSE with @error set to %TALK_XMPP_ERROR_INVALID_JID or
 * %TALK_XMPP_ERROR_NOT_CONNECTED
 */
gboolean          talk_xmpp_presence_subscribe  (TalkXmppPresence  *self,
                                                 const char        *jid,
                                                 GError           **error);
gboolean          talk_xmpp_presence_unsubscribe (TalkXmppPresence *self,
                                                  const char       *jid,
                                                  GError          **error);
gboolean          talk_xmpp_presence_approve    (TalkXmppPresence  *self,
                                                 const char        *jid,
                                                 GError           **error);
gboolean          talk_xmpp_presence_deny       (TalkXmppPresence  *self,
                                                 const char        *jid,
                                                 GError           **error);

/**
 * talk_xmpp_presence_parse_priority:
 * @text: (nullable): the text of a <priority/> element
 *
 * RFC 6121 §4.7.2.3, read defensively: surrounding whitespace is allowed,
 * anything that is not an integer is 0, and the value is clamped to
 * -128…127.
 */
int               talk_xmpp_presence_parse_priority (const char *text);

G_END_DECLS
