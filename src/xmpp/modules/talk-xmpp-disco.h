/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "talk-xmpp-session.h"
#include "talk-xmpp-stanza.h"

G_BEGIN_DECLS

#define TALK_XMPP_CAPS_NODE "https://talk.example.com"

#define TALK_XMPP_TYPE_DISCO (talk_xmpp_disco_get_type ())
G_DECLARE_FINAL_TYPE (TalkXmppDisco, talk_xmpp_disco, TALK_XMPP, DISCO, GObject)

/**
 * TalkXmppDisco:
 *
 * Service discovery for one session: answers disco#info (XEP-0030, also for
 * the caps node "node#ver"), software version (XEP-0092) and ping
 * (XEP-0199); computes the entity capabilities hash (XEP-0115) of what it
 * announces; queries other entities' disco#info.
 */
TalkXmppDisco  *talk_xmpp_disco_new            (TalkXmppSession *session);

void            talk_xmpp_disco_set_identity   (TalkXmppDisco *self,
                                                const char    *category,
                                                const char    *type,
                                                const char    *name);
/* Features are kept sorted and unique; adding changes the caps hash. */
void            talk_xmpp_disco_add_feature    (TalkXmppDisco *self,
                                                const char    *var);
void            talk_xmpp_disco_set_software   (TalkXmppDisco *self,
                                                const char    *name,
                                                const char    *version,
                                                const char    *os);

/* The disco#info <query/> this client answers with. (transfer full) */
TalkXmppStanza *talk_xmpp_disco_build_info     (TalkXmppDisco *self,
                                                const char    *node);
/* The XEP-0115 verification string of talk_xmpp_disco_build_info(). */
const char     *talk_xmpp_disco_get_caps_ver   (TalkXmppDisco *self);
/* <c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node=… ver=…/>
 * to put into presence. (transfer full) */
TalkXmppStanza *talk_xmpp_disco_build_caps     (TalkXmppDisco *self);

void            talk_xmpp_disco_query_info_async  (TalkXmppDisco       *self,
                                                   const char          *jid,
                                                   const char          *node,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
/* Returns: (transfer full): the <query/> of the reply */
TalkXmppStanza *talk_xmpp_disco_query_info_finish (TalkXmppDisco  *self,
                                                   GAsyncResult   *result,
                                                   GError        **error);

/**
 * talk_xmpp_caps_compute_ver:
 * @query: a disco#info <query/> element
 *
 * The XEP-0115 §5.1 verification string (SHA-1, base64) including
 * XEP-0128 extended forms (§5.4). Returns NULL with @error when the input
 * is not acceptable per §5.4 (duplicate identities or features, a form
 * without FORM_TYPE…).
 *
 * Returns: (transfer full) (nullable)
 */
char           *talk_xmpp_caps_compute_ver (TalkXmppStanza  *query,
                                            GError         **error);

G_END_DECLS
