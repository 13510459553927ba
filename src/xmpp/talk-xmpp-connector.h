/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "talk-xmpp-jid.h"
#include "talk-xmpp-sasl.h"
#include "talk-xmpp-stream.h"

G_BEGIN_DECLS

/* XEP-0198 stream management, version 3 */
#define TALK_XMPP_NS_SM "urn:xmpp:sm:3"

typedef enum
{
  TALK_XMPP_CONNECTOR_STEP_RESOLVING,
  TALK_XMPP_CONNECTOR_STEP_CONNECTING,
  TALK_XMPP_CONNECTOR_STEP_SECURING,
  TALK_XMPP_CONNECTOR_STEP_AUTHENTICATING,
  TALK_XMPP_CONNECTOR_STEP_BINDING,
  TALK_XMPP_CONNECTOR_STEP_DONE,
} TalkXmppConnectorStep;

#define TALK_XMPP_TYPE_CONNECTOR (talk_xmpp_connector_get_type ())
G_DECLARE_FINAL_TYPE (TalkXmppConnector, talk_xmpp_connector, TALK_XMPP, CONNECTOR, GObject)

/**
 * TalkXmppConnector:
 *
 * Takes one account from nothing to a bound stream: SRV lookup
 * (_xmpps-client._tcp for direct TLS per XEP-0368, _xmpp-client._tcp for
 * STARTTLS, by priority and weight, RFC 2782), fallback to the domain on
 * 5222, or a manual host/port; TCP; TLS (mandatory, certificate checked
 * against the JID's domain, never the SRV target); SASL; resource binding.
 * One connector is used for one attempt.
 *
 * Signals: "step" (TalkXmppConnectorStep step, const char *detail) as each
 * phase starts or learns something (the address, TLS version and
 * fingerprint, the mechanism, the bound JID), for talk-probe and the
 * session's state.
 */
TalkXmppConnector *talk_xmpp_connector_new (TalkXmppJid *jid,
                                            const char  *password);

/* @host NULL: DNS SRV. @port 0: 5222 (or 5223 with @direct_tls). */
void        talk_xmpp_connector_set_host            (TalkXmppConnector *self,
                                                     const char        *host,
                                                     guint16            port,
                                                     gboolean           direct_tls);
/* A SHA-256 fingerprint ("AB:CD:…", case and colons ignored) accepted even
 * when the certificate does not validate. */
void        talk_xmpp_connector_set_pinned_certificate (TalkXmppConnector *self,
                                                        const char        *fingerprint);
/* nullable: let the server pick */
void        talk_xmpp_connector_set_resource        (TalkXmppConnector *self,
                                                     const char        *resource);
/* Seconds each phase may take (default 30). */
void        talk_xmpp_connector_set_timeout         (TalkXmppConnector *self,
                                                     guint              seconds);
/**
 * talk_xmpp_connector_set_resume:
 * @previd: the id from the server's <enabled/>
 * @h: the count of stanzas handled from the server (XEP-0198 §4)
 * @bound_jid: the full JID the stream management session was bound to; its
 *   bare JID must be this connector's account
 *
 * After SASL, when the server offers stream management, asks to resume
 * that session (XEP-0198 §5) instead of binding a resource. The answer is
 * talk_xmpp_connector_get_resume_answer(): on <resumed/> the attempt ends
 * there, with @bound_jid as the bound JID; on <failed/> a resource is
 * bound as usual.
 */
void        talk_xmpp_connector_set_resume          (TalkXmppConnector *self,
                                                     const char        *previd,
                                                     guint32            h,
                                                     TalkXmppJid       *bound_jid);

void            talk_xmpp_connector_connect_async  (TalkXmppConnector   *self,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
/* Returns: (transfer full): the stream, online and bound. */
TalkXmppStream *talk_xmpp_connector_connect_finish (TalkXmppConnector  *self,
                                                    GAsyncResult       *result,
                                                    GError            **error);

/* Filled in as the attempt goes; nullable until known. */
TalkXmppJid           *talk_xmpp_connector_get_bound_jid        (TalkXmppConnector *self);
TalkXmppSaslMechanism  talk_xmpp_connector_get_sasl_mechanism   (TalkXmppConnector *self);
const char            *talk_xmpp_connector_get_channel_binding  (TalkXmppConnector *self);
/* The post-bind <stream:features/> (for stream management and friends). */
TalkXmppStanza        *talk_xmpp_connector_get_features         (TalkXmppConnector *self);
/* The server's <resumed/> or <failed/> (XEP-0198 §5), or NULL when
 * resumption was not asked for or not offered. (transfer none) (nullable) */
TalkXmppStanza        *talk_xmpp_connector_get_resume_answer    (TalkXmppConnector *self);
/* SHA-256 of the DER certificate, "AB:CD:…" upper case. */
const char            *talk_xmpp_connector_get_peer_fingerprint (TalkXmppConnector *self);
/* (transfer none) (nullable) */
GTlsCertificate       *talk_xmpp_connector_get_peer_certificate (TalkXmppConnector *self);
/* Why the certificate did not validate; 0 when it did. */
GTlsCertificateFlags   talk_xmpp_connector_get_peer_errors      (TalkXmppConnector *self);
/* "TLS 1.3" etc. */
const char            *talk_xmpp_connector_get_tls_version      (TalkXmppConnector *self);
/* "host:port" actually connected to */
const char            *talk_xmpp_connector_get_remote_address   (TalkXmppConnector *self);
gboolean               talk_xmpp_connector_get_direct_tls       (TalkXmppConnector *self);

/* "AB:CD:…" SHA-256 of @certificate's DER. (transfer full) */
char       *talk_xmpp_certificate_dup_fingerprint (GTlsCertificate *certificate);
/* Why a certificate is not trusted, for people: "issuer unknown, expired".
 * (transfer full) */
char       *talk_xmpp_certificate_describe_errors (GTlsCertificateFlags errors);
/* Whether two fingerprints are equal, ignoring case, colons and spaces. */
gboolean    talk_xmpp_fingerprint_equal           (const char *a,
                                                   const char *b);

G_END_DECLS
