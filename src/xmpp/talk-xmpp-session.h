/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "talk-xmpp-error.h"
#include "talk-xmpp-jid.h"
#include "talk-xmpp-sasl.h"
#include "talk-xmpp-stanza.h"

G_BEGIN_DECLS

typedef enum
{
  TALK_XMPP_SESSION_STATE_DISCONNECTED,
  TALK_XMPP_SESSION_STATE_RESOLVING,
  TALK_XMPP_SESSION_STATE_CONNECTING,
  TALK_XMPP_SESSION_STATE_SECURING,
  TALK_XMPP_SESSION_STATE_AUTHENTICATING,
  TALK_XMPP_SESSION_STATE_BINDING,
  TALK_XMPP_SESSION_STATE_ONLINE,
} TalkXmppSessionState;

#define TALK_XMPP_TYPE_SESSION (talk_xmpp_session_get_type ())
G_DECLARE_FINAL_TYPE (TalkXmppSession, talk_xmpp_session, TALK_XMPP, SESSION, GObject)

/**
 * TalkXmppStanzaHandler:
 *
 * Returns: %TRUE when the stanza was handled; routing stops there. An IQ
 * get/set no handler takes is answered with service-unavailable.
 */
typedef gboolean (*TalkXmppStanzaHandler) (TalkXmppSession *session,
                                           TalkXmppStanza  *stanza,
                                           gpointer         user_data);

/**
 * TalkXmppAckToken:
 *
 * A deferred stream management acknowledgement of one received stanza;
 * see talk_xmpp_session_hold_ack().
 */
typedef struct _TalkXmppAckToken TalkXmppAckToken;

/**
 * TalkXmppSession:
 *
 * One account's connection (DESIGN.md "The session object").
 *
 * Properties: "jid" (TalkXmppJid, construct-only), "state"
 * (TalkXmppSessionState, read-only), "bound-jid" (TalkXmppJid, read-only),
 * "sasl-mechanism" (string, read-only), "peer-fingerprint" (string,
 * read-only), "tls-version" (string, read-only), "host", "port",
 * "direct-tls", "resource", "pinned-certificate", "auto-reconnect"
 * (default TRUE), "backoff-base-ms" (default 1000), "backoff-max-ms"
 * (default 300000), "keepalive-seconds" (default 60), "ping-timeout-seconds"
 * (default 30), "iq-timeout-seconds" (default 60), "reconnect-at"
 * (gint64 monotonic µs of the next automatic attempt, 0 when none).
 *
 * Signals: "stanza-received" (TalkXmppStanza) for every incoming stanza
 * before routing; "online" when bound; "disconnected" (GError, nullable:
 * NULL for a disconnect the user asked for); "reconnect-scheduled"
 * (guint delay_ms).
 *
 * Stream management (XEP-0198), used whenever the server offers it:
 * "sm-enabled" (gboolean, read-only) while stanzas are counted on the
 * current stream; "sm-resumed" (gboolean, read-only) when the current
 * stream resumed the previous one. Signals: "resumed" instead of "online"
 * after a lost connection was resumed: the server kept the session (roster,
 * presence, carbons, the bound JID), so nothing is to be fetched or sent
 * again (XEP-0198 §5); "stanza-acknowledged" (TalkXmppStanza) when the
 * server confirmed that it handled a stanza sent with
 * talk_xmpp_session_send(); "stanzas-unacknowledged" (GPtrArray of
 * TalkXmppStanza, oldest first) for stanzas the server never confirmed and
 * the session will not send again: after a loss that cannot be resumed
 * (at once), after a failed resumption (once online again, right before
 * "online", so that they can be sent again at once), or when the user
 * disconnects while a resumption was pending. Some may have arrived
 * (XEP-0198 §5): messages carry an XEP-0359 origin-id to deduplicate. A
 * clean disconnect reports nothing: the server handles what it read before
 * the closing tag (RFC 6120 §4.4).
 */
TalkXmppSession *talk_xmpp_session_new (TalkXmppJid *jid);

/* Kept in memory only (wiped on change and finalize); never logged. */
void                  talk_xmpp_session_set_password         (TalkXmppSession *self,
                                                              const char      *password);

TalkXmppJid          *talk_xmpp_session_get_jid              (TalkXmppSession *self);
TalkXmppSessionState  talk_xmpp_session_get_state            (TalkXmppSession *self);
/* nullable until online */
TalkXmppJid          *talk_xmpp_session_get_bound_jid        (TalkXmppSession *self);
TalkXmppSaslMechanism talk_xmpp_session_get_sasl_mechanism   (TalkXmppSession *self);
const char           *talk_xmpp_session_get_peer_fingerprint (TalkXmppSession *self);
/* Why the certificate of "peer-fingerprint" did not validate; 0 when it did. */
GTlsCertificateFlags  talk_xmpp_session_get_peer_certificate_errors (TalkXmppSession *self);
const char           *talk_xmpp_session_get_tls_version      (TalkXmppSession *self);
/* The post-bind stream features. (transfer none) (nullable) */
TalkXmppStanza       *talk_xmpp_session_get_features         (TalkXmppSession *self);
/* The error that ended the last attempt or connection. (transfer none) (nullable) */
const GError         *talk_xmpp_session_get_last_error       (TalkXmppSession *self);

void                  talk_xmpp_session_set_host             (TalkXmppSession *self,
                                                              const char      *host,
                                                              guint16          port,
                                                              gboolean         direct_tls);
void                  talk_xmpp_session_set_pinned_certificate (TalkXmppSession *self,
                                                                const char      *fingerprint);

/**
 * talk_xmpp_session_connect_async:
 *
 * Connects, secures, authenticates and binds. Completes when online or with
 * the first attempt's error. A transient failure (network, server gone,
 * timeout, a stream error of the "try again" kind) also schedules an
 * automatic retry when "auto-reconnect" is on; a fatal one (credentials,
 * certificate, no TLS, conflict) does not.
 */
void      talk_xmpp_session_connect_async     (TalkXmppSession     *self,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
gboolean  talk_xmpp_session_connect_finish    (TalkXmppSession  *self,
                                               GAsyncResult     *result,
                                               GError          **error);

/* Closes cleanly (RFC 6120 §4.4) and cancels any pending reconnect. */
void      talk_xmpp_session_disconnect_async  (TalkXmppSession     *self,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
gboolean  talk_xmpp_session_disconnect_finish (TalkXmppSession  *self,
                                               GAsyncResult     *result,
                                               GError          **error);

/* Skips the wait of a scheduled reconnect. */
void      talk_xmpp_session_reconnect_now     (TalkXmppSession *self);

/* Queues @stanza. Returns FALSE (and drops nothing silently: it logs) when
 * not online. */
gboolean  talk_xmpp_session_send              (TalkXmppSession *self,
                                               TalkXmppStanza  *stanza);

/**
 * talk_xmpp_session_send_iq_async:
 * @iq: a get or set; an id is added when missing
 *
 * The reply must come from the JID @iq was sent to (no `to`: no `from`, the
 * own bare JID, or the own full JID); other replies with the same id are
 * ignored and logged. Errors: a type='error' reply in
 * %TALK_XMPP_STANZA_ERROR; no reply within "iq-timeout-seconds" as
 * %TALK_XMPP_ERROR_TIMEOUT; connection lost as %TALK_XMPP_ERROR_CLOSED.
 */
void            talk_xmpp_session_send_iq_async  (TalkXmppSession     *self,
                                                  TalkXmppStanza      *iq,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
/* Returns: (transfer full): the type='result' reply */
TalkXmppStanza *talk_xmpp_session_send_iq_finish (TalkXmppSession  *self,
                                                  GAsyncResult     *result,
                                                  GError          **error);

/* XEP-0199 ping; @to NULL pings the own server. */
void      talk_xmpp_session_ping_async        (TalkXmppSession     *self,
                                               const char          *to,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
gboolean  talk_xmpp_session_ping_finish       (TalkXmppSession  *self,
                                               GAsyncResult     *result,
                                               GError          **error);

/**
 * talk_xmpp_session_add_handler:
 * @element: (nullable): "message", "presence", "iq", or NULL for any
 * @ns: (nullable): namespace of a child element (for IQs: the payload), or
 *   NULL for any
 *
 * Handlers run in the order added. IQ results and errors never reach
 * handlers: they go to the IQ tracker.
 *
 * Returns: a handler id for talk_xmpp_session_remove_handler()
 */
guint     talk_xmpp_session_add_handler       (TalkXmppSession       *self,
                                               const char            *element,
                                               const char            *ns,
                                               TalkXmppStanzaHandler  handler,
                                               gpointer               user_data,
                                               GDestroyNotify         destroy);
void      talk_xmpp_session_remove_handler    (TalkXmppSession *self,
                                               guint            handler_id);

/**
 * talk_xmpp_session_is_from_own_account:
 *
 * THE check for stanzas that claim to come from the user's own account
 * (roster pushes, carbons, MAM results, own PEP): %TRUE only when @stanza
 * has no `from` or `from` equals the account's bare JID after RFC 7622
 * normalisation. See SECURITY.md §1.1.
 */
gboolean  talk_xmpp_session_is_from_own_account (TalkXmppSession *self,
                                                 TalkXmppStanza  *stanza);

/**
 * talk_xmpp_session_hold_ack:
 *
 * Only while a received stanza is being handled (in a stanza handler or a
 * "stanza-received" handler): the server is not told that this stanza was
 * handled until talk_xmpp_session_release_ack(). DESIGN.md: a message is
 * acknowledged only once it is stored, because an XEP-0198 ack is a promise
 * that it is durable. The count the server sees advances in order: a held
 * stanza also holds back those received after it (XEP-0198 §4). Stanzas
 * nobody holds count as handled once routed. Without stream management the
 * token does nothing.
 *
 * A connection lost before the release is resumed with the count released
 * by then; the server sends the rest again (dedupe by XEP-0359 stanza-id),
 * and a token from before then releases nothing.
 *
 * Returns: (transfer full): the token, for exactly one
 *   talk_xmpp_session_release_ack()
 */
TalkXmppAckToken *talk_xmpp_session_hold_ack    (TalkXmppSession  *self);
/**
 * talk_xmpp_session_release_ack:
 * @token: (transfer full): from talk_xmpp_session_hold_ack()
 *
 * The stanza is handled (for a message: durably stored). When the server
 * had asked for the count meanwhile, an <a/> follows with the new one.
 */
void              talk_xmpp_session_release_ack (TalkXmppSession  *self,
                                                 TalkXmppAckToken *token);

gboolean  talk_xmpp_session_get_sm_enabled    (TalkXmppSession *self);
gboolean  talk_xmpp_session_get_sm_resumed    (TalkXmppSession *self);
/* TRUE while a lost stream management session may still be resumed: what
 * the server knew about this client (presence, carbons) may come back. */
gboolean  talk_xmpp_session_get_sm_suspended  (TalkXmppSession *self);

G_END_DECLS
