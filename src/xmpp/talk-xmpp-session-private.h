/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "talk-xmpp-connector.h"
#include "talk-xmpp-session.h"
#include "talk-xmpp-stream.h"

G_BEGIN_DECLS

/* TalkXmppSession, split by topic (GNOME Text Editor style):
 *   talk-xmpp-session.c            the object, connecting, going offline
 *   talk-xmpp-session-iq.c         the IQ tracker
 *   talk-xmpp-session-routing.c    stanza handlers, IQ get/set dispatch
 *   talk-xmpp-session-keepalive.c  whitespace keepalive and XEP-0199 ping
 *   talk-xmpp-session-reconnect.c  retry policy, backoff, network changes
 *   talk-xmpp-session-sm.c         stream management (XEP-0198)
 */

/* Stream management state (talk-xmpp-session-sm.c). The counters are
 * 32-bit and wrap (XEP-0198 §4). */
typedef struct
{
  /* this stream */
  gboolean     enable_sent;    /* <enable/> is out: outgoing stanzas count */
  gboolean     enabled;        /* <enabled/> came: incoming stanzas count */
  gboolean     resumed;        /* this stream resumed an earlier one */

  /* the stream management session, kept over a loss to resume it */
  char        *id;
  gboolean     resumable;
  guint        max_seconds;
  char        *location;
  TalkXmppJid *jid;
  gboolean     suspended;      /* lost while resumable: resume next time */
  gint64       lost_at;
  guint32      resume_h;       /* the h of the <resume/> under way */

  /* outgoing */
  guint32      out_count;      /* stanzas sent since <enable/> */
  guint32      out_acked;      /* the server's last h */
  GQueue       unacked;        /* TalkXmppStanza: out_acked + 1 … out_count */
  gboolean     r_pending;      /* an <r/> is out, no <a/> yet */
  guint        n_since_r;
  guint        r_source_id;
  GPtrArray   *to_report;      /* unacknowledged after a failed resumption */
  GPtrArray   *to_acknowledge; /* handled, as <resumed/> or <failed/> said */

  /* incoming */
  guint32      in_count;       /* stanzas received since <enabled/> */
  guint32      in_told;        /* the h of our last <a/> */
  GQueue       held;           /* acks held by handlers, oldest first */
  guint        epoch;          /* bumped when counting starts over */
  gboolean     in_stanza;      /* a received stanza is being handled… */
  gboolean     in_counted;     /* …and it counts */
  gboolean     peer_waiting;   /* an <r/> was answered short of in_count */
  guint        tell_source_id; /* the <a/> for a run of releases, to come */
} TalkXmppSessionSm;

struct _TalkXmppSession
{
  GObject parent_instance;

  /* configuration */
  TalkXmppJid *jid;
  char *password;
  char *host;
  guint16 port;
  gboolean direct_tls;
  char *resource;
  char *pinned_certificate;
  gboolean auto_reconnect;
  guint backoff_base_ms;
  guint backoff_max_ms;
  guint keepalive_seconds;
  guint ping_timeout_seconds;
  guint iq_timeout_seconds;

  /* what the last attempt learned */
  TalkXmppSessionState state;
  TalkXmppJid *bound_jid;
  TalkXmppSaslMechanism sasl_mechanism;
  char *peer_fingerprint;
  GTlsCertificateFlags peer_errors;
  char *tls_version;
  TalkXmppStanza *features;
  GError *last_error;

  /* a connection attempt in progress */
  TalkXmppConnector *connector;
  GCancellable *connect_cancellable;
  gulong step_handler_id;
  GPtrArray *connect_waiters;

  /* online */
  TalkXmppStream *stream;
  GCancellable *recv_cancellable;
  gint64 online_since;
  gint64 last_queued;
  guint keepalive_source_id;
  /* Receiving in bursts (see session_receive_next()) */
  gint64 burst_start;
  gint64 recv_requested_at;
  guint yield_source_id;
  char *keepalive_ping_id;
  gint64 keepalive_ping_sent;

  /* offline */
  guint reconnect_source_id;
  gint64 reconnect_at;
  guint n_failures;
  GNetworkMonitor *network_monitor;
  gulong network_changed_id;

  GPtrArray *handlers;
  guint last_handler_id;
  GHashTable *pending_iqs;

  TalkXmppSessionSm sm;
};

/* For tests and the connector's result */

/* Puts an already open and bound @stream online, as if the connector had
 * produced it, so that tests can play the server over an in-memory pair. */
void  _talk_xmpp_session_adopt_stream    (TalkXmppSession *self,
                                          TalkXmppStream  *stream,
                                          TalkXmppJid     *bound_jid);

/* The reconnect delay in ms after @n consecutive failures:
 * min (backoff-max-ms, backoff-base-ms · 2^n) · uniform (0.5, 1). */
guint _talk_xmpp_session_compute_backoff (TalkXmppSession *self,
                                          guint            n);

/* talk-xmpp-session.c */

/* Destroys and unrefs @source; for g_clear_pointer(). */
void     _talk_xmpp_session_clear_source              (GSource         *source);
/* A named timeout on the default context. */
guint    _talk_xmpp_session_timeout_add_named         (guint            interval_ms,
                                                       GSourceFunc      func,
                                                       gpointer         data,
                                                       const char      *name);
void     _talk_xmpp_session_set_reconnect_at          (TalkXmppSession *self,
                                                       gint64           reconnect_at);
void     _talk_xmpp_session_emit_reconnect_scheduled  (TalkXmppSession *self,
                                                       guint            delay_ms);
void     _talk_xmpp_session_start_attempt             (TalkXmppSession *self);
/* The connection is gone (@error says why): offline, and maybe a retry.
 * With @abort_transport the transport is closed at once. */
void     _talk_xmpp_session_lost                      (TalkXmppSession *self,
                                                       const GError    *error,
                                                       gboolean         abort_transport);

/* talk-xmpp-session-iq.c */

void     _talk_xmpp_session_iq_init                   (TalkXmppSession *self);
/* Waits for the reply to @iq; @task NULL for the keepalive ping, and
 * @timeout_seconds 0 for no timeout. Takes @task. */
void     _talk_xmpp_session_track_iq                  (TalkXmppSession *self,
                                                       TalkXmppStanza  *iq,
                                                       GTask           *task,
                                                       guint            timeout_seconds,
                                                       GCancellable    *cancellable);
/* Every pending request fails with TALK_XMPP_ERROR_CLOSED. */
void     _talk_xmpp_session_fail_pending_iqs          (TalkXmppSession *self);
void     _talk_xmpp_session_handle_iq_reply           (TalkXmppSession *self,
                                                       TalkXmppStanza  *reply);

/* talk-xmpp-session-routing.c */

void     _talk_xmpp_session_routing_init              (TalkXmppSession *self);
void     _talk_xmpp_session_routing_dispose           (TalkXmppSession *self);
/* Whether @stanza is the element @name in jabber:client (or no namespace). */
gboolean _talk_xmpp_session_stanza_is_client          (TalkXmppStanza  *stanza,
                                                       const char      *name);
void     _talk_xmpp_session_route                     (TalkXmppSession *self,
                                                       TalkXmppStanza  *stanza);

/* talk-xmpp-session-keepalive.c */

/* Re-arms the one keepalive timer to the nearest deadline, or stops it
 * while offline or with keepalive-seconds 0. */
void     _talk_xmpp_session_keepalive_arm             (TalkXmppSession *self);
/* Any reply to the keepalive ping proves the link. */
void     _talk_xmpp_session_keepalive_ping_done       (TalkXmppSession *self);

/* talk-xmpp-session-reconnect.c */

guint    _talk_xmpp_session_schedule_retry            (TalkXmppSession *self,
                                                       const GError    *error);
void     _talk_xmpp_session_cancel_reconnect          (TalkXmppSession *self);
void     _talk_xmpp_session_stop_network_monitor      (TalkXmppSession *self);

/* talk-xmpp-session-sm.c */

/* Installs "sm-enabled" and "sm-resumed" under the given ids, and the
 * signals "resumed", "stanza-acknowledged" and "stanzas-unacknowledged". */
void     _talk_xmpp_session_sm_class_init             (GObjectClass    *klass,
                                                       guint            prop_enabled,
                                                       guint            prop_resumed);
void     _talk_xmpp_session_sm_init                   (TalkXmppSession *self);
void     _talk_xmpp_session_sm_finalize               (TalkXmppSession *self);
/* Asks @connector to resume a suspended session. */
void     _talk_xmpp_session_sm_prepare_attempt        (TalkXmppSession   *self,
                                                       TalkXmppConnector *connector);
/* Reads the connector's answer to <resume/>: sets @resumed, or fails when
 * the answer is unusable (the stream, if any, is then to be closed). */
gboolean _talk_xmpp_session_sm_attempt_done           (TalkXmppSession    *self,
                                                       TalkXmppConnector  *connector,
                                                       TalkXmppStream     *stream,
                                                       gboolean           *resumed,
                                                       GError            **error);
/* Online on a new stream: <enable/>, or the re-sending after <resumed/>. */
void     _talk_xmpp_session_sm_online                 (TalkXmppSession *self,
                                                       gboolean         resumed);
void     _talk_xmpp_session_sm_emit_resumed           (TalkXmppSession *self);
/* The stream is going away: timers stop. */
void     _talk_xmpp_session_sm_detach                 (TalkXmppSession *self);
/* Offline (@error NULL: the user's doing): suspend for resumption, or end
 * and report what the server never acknowledged. */
void     _talk_xmpp_session_sm_offline                (TalkXmppSession *self,
                                                       const GError    *error);
/* TRUE when @element was a stream management element; it is handled. */
gboolean _talk_xmpp_session_sm_handle_nonza           (TalkXmppSession *self,
                                                       TalkXmppStanza  *element);
/* Around the handling of a received stanza. */
void     _talk_xmpp_session_sm_stanza_begin           (TalkXmppSession *self,
                                                       TalkXmppStanza  *stanza);
void     _talk_xmpp_session_sm_stanza_end             (TalkXmppSession *self);
/* @stanza was queued on the stream. */
void     _talk_xmpp_session_sm_sent                   (TalkXmppSession *self,
                                                       TalkXmppStanza  *stanza);
/* The keepalive's turn: sends an <r/> unless one is out. Returns whether
 * it did. */
gboolean _talk_xmpp_session_sm_request_ack            (TalkXmppSession *self);
/* For tests: both counters of an enabled session with nothing pending
 * start at these values, to cross 2^32 quickly. */
void     _talk_xmpp_session_sm_set_counters           (TalkXmppSession *self,
                                                       guint32          out_count,
                                                       guint32          in_count);

G_END_DECLS
