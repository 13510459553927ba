/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "talk-xmpp-message.h"
#include "talk-xmpp-session.h"
#include "talk-xmpp-stanza.h"

G_BEGIN_DECLS

#define TALK_XMPP_NS_CARBONS "urn:xmpp:carbons:2"

#define TALK_XMPP_TYPE_CARBONS (talk_xmpp_carbons_get_type ())
G_DECLARE_FINAL_TYPE (TalkXmppCarbons, talk_xmpp_carbons, TALK_XMPP, CARBONS, GObject)

/**
 * TalkXmppCarbons:
 *
 * Message carbons (XEP-0280) for one session: copies of the messages the
 * user's other devices send and receive.
 *
 * A copy is taken only when the wrapping message comes from the user's own
 * account, i.e. has no `from` or the own bare JID
 * (talk_xmpp_session_is_from_own_account(), XEP-0280 §11, SECURITY.md
 * §1.1: CVE-2017-5589 and its family, CVE-2019-16235). The `from` of the
 * forwarded message inside proves nothing. Copies inside a type='groupchat'
 * message are dropped as well (converse.js#1704). What is dropped is
 * logged with g_warning() and never emitted.
 *
 * Signals, with the forwarded message (whose stanza-ids are trusted when
 * `by` is the own bare JID):
 * - "carbon-received" (TalkXmppMessageInfo): a message to the account that
 *   another of its resources received (XEP-0280 §7);
 * - "carbon-sent" (TalkXmppMessageInfo): a message another resource sent
 *   (XEP-0280 §8).
 * Copies are for the record: no receipt, marker or automatic reply is
 * owed for them (XEP-0280 §10.4); the resource that got the original
 * answers.
 *
 * Properties: "session" (construct-only); "enabled" (read-only): whether
 * the server has confirmed carbons for this connection; "auto-enable"
 * (default %TRUE): enable each time the session comes online.
 */
TalkXmppCarbons *talk_xmpp_carbons_new            (TalkXmppSession *session);

/* (transfer none) */
TalkXmppSession *talk_xmpp_carbons_get_session    (TalkXmppCarbons *self);
gboolean         talk_xmpp_carbons_get_enabled    (TalkXmppCarbons *self);
gboolean         talk_xmpp_carbons_get_auto_enable (TalkXmppCarbons *self);
void             talk_xmpp_carbons_set_auto_enable (TalkXmppCarbons *self,
                                                    gboolean         auto_enable);

/**
 * talk_xmpp_carbons_enable_async:
 *
 * Asks the server for carbons on this connection (XEP-0280 §4). A server
 * without them answers with an error (feature-not-implemented or
 * service-unavailable), which finish reports in %TALK_XMPP_STANZA_ERROR.
 */
void             talk_xmpp_carbons_enable_async   (TalkXmppCarbons     *self,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
gboolean         talk_xmpp_carbons_enable_finish  (TalkXmppCarbons  *self,
                                                   GAsyncResult     *result,
                                                   GError          **error);

/* Stops carbons for this connection (XEP-0280 §5). */
void             talk_xmpp_carbons_disable_async  (TalkXmppCarbons     *self,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
gboolean         talk_xmpp_carbons_disable_finish (TalkXmppCarbons  *self,
                                                   GAsyncResult     *result,
                                                   GError          **error);

/**
 * talk_xmpp_carbons_add_private:
 * @message: an outgoing `<message/>`
 *
 * Keeps @message from being copied to the user's other resources
 * (XEP-0280 §9): `<private xmlns='urn:xmpp:carbons:2'/>` and the XEP-0334
 * `<no-copy/>` hint.
 */
void             talk_xmpp_carbons_add_private    (TalkXmppStanza *message);

G_END_DECLS
