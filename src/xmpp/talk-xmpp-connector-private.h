/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "talk-xmpp-connector.h"

G_BEGIN_DECLS

/* TalkXmppConnector, split by topic (GNOME Text Editor style); the flow is
 * drawn at the top of talk-xmpp-connector.c.
 *   talk-xmpp-connector.c          the object, failing, streams, the API
 *   talk-xmpp-connector-resolve.c  SRV, candidates, TCP, redirects
 *   talk-xmpp-connector-tls.c      STARTTLS, the handshake, certificates
 *   talk-xmpp-connector-sasl.c     mechanism choice and the exchange
 *   talk-xmpp-connector-bind.c     resource binding and the legacy session
 */

#define DEFAULT_PORT            5222
#define DEFAULT_DIRECT_TLS_PORT 5223

typedef enum
{
  STAGE_PLAIN,
  STAGE_SECURE,
  STAGE_AUTHENTICATED,
} Stage;

typedef struct
{
  char     *host;
  guint16   port;
  gboolean  direct_tls;
} Candidate;

struct _TalkXmppConnector
{
  GObject parent_instance;

  /* Settings */
  TalkXmppJid *jid;
  char        *password;
  char        *manual_host;
  guint16      manual_port;
  gboolean     manual_direct_tls;
  char        *pinned_fingerprint;
  char        *resource;
  guint        timeout;

  /* The attempt */
  gboolean      started;
  GCancellable *cancellable;
  GCancellable *user_cancellable;
  gulong        user_cancel_id;
  GCancellable *connect_cancellable;
  gboolean      connect_timed_out;
  gboolean      timed_out;
  guint         timeout_id;
  char         *phase;

  guint       lookups_pending;
  GList      *srv_targets[2];   /* [0] xmpps-client, [1] xmpp-client */
  GPtrArray  *candidates;
  guint       next_candidate;
  gboolean    any_address;
  GError     *last_error;
  guint       redirects;

  Stage               stage;
  GSocketConnection  *connection;
  GTlsConnection     *tls;
  gboolean            tls_failed;
  gboolean            certificate_rejected;
  TalkXmppStream     *stream;
  TalkXmppSasl       *sasl;
  guint               n_challenges;
  gboolean            server_verified;
  char               *iq_id;

  /* What we learnt */
  TalkXmppJid           *bound_jid;
  TalkXmppSaslMechanism  mechanism;
  char                  *channel_binding;
  TalkXmppStanza        *features;
  GTlsCertificate       *peer_certificate;
  GTlsCertificateFlags   peer_errors;
  char                  *peer_fingerprint;
  char                  *tls_version;
  char                  *remote_address;
  gboolean               direct_tls;
};

/* talk-xmpp-connector.c */

void            _talk_xmpp_connector_set_str          (char                 **ptr,
                                                       const char            *value);
void            _talk_xmpp_connector_emit_step        (TalkXmppConnector     *self,
                                                       TalkXmppConnectorStep  step,
                                                       const char            *detail);
/* Restarts the phase timer; @phase completes "The server did not answer
 * in time (while …)". */
void            _talk_xmpp_connector_phase_start      (TalkXmppConnector     *self,
                                                       const char            *phase);
/* That error, for the phase under way. */
GError         *_talk_xmpp_connector_timeout_error_new (TalkXmppConnector    *self);
/* Drops the current connection; closing finishes in the background. */
void            _talk_xmpp_connector_teardown         (TalkXmppConnector     *self);
/* Ends the attempt with @error (taken), a timeout if that is why it was
 * cancelled. */
void            _talk_xmpp_connector_fail_error       (GTask                 *task,
                                                       GError                *error);
void            _talk_xmpp_connector_fail_literal     (GTask                 *task,
                                                       int                    code,
                                                       const char            *message);
/* Ends the attempt with a TALK_XMPP_ERROR @code and a formatted message. */
void            _talk_xmpp_connector_fail             (GTask                 *task,
                                                       int                    code,
                                                       const char            *format,
                                                       ...) G_GNUC_PRINTF (3, 4);
/* Ends the attempt with the bound stream. */
void            _talk_xmpp_connector_done             (GTask                 *task);
/* Ends the attempt: the server sent something else than @expected. */
void            _talk_xmpp_connector_unexpected       (GTask                 *task,
                                                       TalkXmppStanza        *stanza,
                                                       const char            *expected);
/* Writes @stanza; a failed write shows up in the next receive. */
void            _talk_xmpp_connector_send             (TalkXmppConnector     *self,
                                                       TalkXmppStanza        *stanza);
/* Waits for the server's next element in @callback; with @phase (nullable)
 * under a new phase timer, else the running one goes on. */
void            _talk_xmpp_connector_receive          (GTask                 *task,
                                                       const char            *phase,
                                                       GAsyncReadyCallback    callback);
/* Returns: (transfer full) (nullable): the element, or NULL once the
 * attempt failed or follows a redirect. */
TalkXmppStanza *_talk_xmpp_connector_receive_finish   (GTask                 *task,
                                                       GObject               *stream,
                                                       GAsyncResult          *result);
/* Opens a (new) stream over the current connection; then the features. */
void            _talk_xmpp_connector_open_stream      (GTask                 *task);

/* talk-xmpp-connector-resolve.c */

void            _talk_xmpp_connector_candidate_free    (Candidate            *candidate);
void            _talk_xmpp_connector_clear_srv_targets (TalkXmppConnector    *self);
/* Finds the candidates (a manual host, or SRV) and connects to the first. */
void            _talk_xmpp_connector_resolve           (GTask                *task);
/* Connects to the next candidate, or fails once none is left. */
void            _talk_xmpp_connector_connect_candidate (GTask                *task);
/* Follows a see-other-host stream error; FALSE when it may not. */
gboolean        _talk_xmpp_connector_follow_redirect   (GTask                *task);

/* talk-xmpp-connector-tls.c */

void            _talk_xmpp_connector_start_starttls   (GTask                 *task,
                                                       TalkXmppStanza        *features);
void            _talk_xmpp_connector_start_tls        (GTask                 *task);

/* talk-xmpp-connector-sasl.c */

void            _talk_xmpp_connector_start_sasl       (GTask                 *task,
                                                       TalkXmppStanza        *features);

/* talk-xmpp-connector-bind.c */

void            _talk_xmpp_connector_start_bind       (GTask                 *task,
                                                       TalkXmppStanza        *features);

/* talk-xmpp-connector-trust.c: a GTlsDatabase that parses its anchors for
 * each verification and keeps none of them in between. */

#define TALK_XMPP_TYPE_TRUST_DATABASE (talk_xmpp_trust_database_get_type ())
G_DECLARE_FINAL_TYPE (TalkXmppTrustDatabase, talk_xmpp_trust_database,
                      TALK_XMPP, TRUST_DATABASE, GTlsDatabase)

/* (transfer full): over the PEM file @anchors_file, or the system's trust
 * when %NULL */
GTlsDatabase   *_talk_xmpp_trust_database_new         (const char            *anchors_file);
/* (transfer none): the system's trust, shared */
GTlsDatabase   *_talk_xmpp_trust_database_get_system  (void);

G_END_DECLS
