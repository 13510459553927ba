/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * One account's connection.
 *
 *   connect_async ──► attempt (TalkXmppConnector) ──► adopt stream ──► ONLINE
 *        ▲                  │ fails                        │
 *        │                  ▼                              ▼
 *   reconnect timer ◄── transient? ◄──────────────── connection lost
 *   (backoff, network-changed)                       (recv error, stream
 *                                                     error, dead keepalive)
 *
 * While online one receive is pending at a time; every stanza is emitted as
 * "stanza-received", IQ replies go to the tracker (matched by id and
 * sender), everything else to the handlers. A single keepalive timer is
 * re-armed to the next deadline: a whitespace keepalive when nothing was
 * sent, an XEP-0199 ping when nothing was received.
 *
 * This file holds the object, connecting and going offline; the rest is
 * split by topic behind talk-xmpp-session-private.h: -iq.c (the tracker),
 * -routing.c (handlers), -keepalive.c, -reconnect.c and -sm.c (stream
 * management, XEP-0198: its elements are taken before "stanza-received").
 */

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "talk-xmpp-enums.h"
#include "talk-xmpp-session-private.h"

/* SECURITY.md §3.1: reset the backoff once a session was stable this long. */
#define STABLE_USEC (60 * G_USEC_PER_SEC)

G_DEFINE_FINAL_TYPE (TalkXmppSession, talk_xmpp_session, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_JID,
  PROP_STATE,
  PROP_BOUND_JID,
  PROP_SASL_MECHANISM,
  PROP_PEER_FINGERPRINT,
  PROP_TLS_VERSION,
  PROP_HOST,
  PROP_PORT,
  PROP_DIRECT_TLS,
  PROP_RESOURCE,
  PROP_PINNED_CERTIFICATE,
  PROP_AUTO_RECONNECT,
  PROP_BACKOFF_BASE_MS,
  PROP_BACKOFF_MAX_MS,
  PROP_KEEPALIVE_SECONDS,
  PROP_PING_TIMEOUT_SECONDS,
  PROP_IQ_TIMEOUT_SECONDS,
  PROP_RECONNECT_AT,
  N_PROPS,

  /* installed by talk-xmpp-session-sm.c */
  PROP_SM_ENABLED = N_PROPS,
  PROP_SM_RESUMED,
};

enum {
  STANZA_RECEIVED,
  ONLINE,
  DISCONNECTED,
  RECONNECT_SCHEDULED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

typedef struct
{
  TalkXmppSession *self;
  GTask           *task;
  GSource         *cancel_source;
} ConnectWaiter;

/* Helpers */

void
_talk_xmpp_session_clear_source (GSource *source)
{
  g_source_destroy (source);
  g_source_unref (source);
}

guint
_talk_xmpp_session_timeout_add_named (guint        interval_ms,
                                      GSourceFunc  func,
                                      gpointer     data,
                                      const char  *name)
{
  GSource *source = g_timeout_source_new (interval_ms);
  guint id;

  g_source_set_callback (source, func, data, NULL);
  g_source_set_static_name (source, name);
  id = g_source_attach (source, NULL);
  g_source_unref (source);
  return id;
}

static void
password_wipe (char *password)
{
  if (password == NULL)
    return;
  explicit_bzero (password, strlen (password));
  g_free (password);
}

static gboolean
set_string (char       **field,
            const char  *value)
{
  if (g_strcmp0 (*field, value) == 0)
    return FALSE;
  g_free (*field);
  *field = g_strdup (value);
  return TRUE;
}

static void
session_set_string (TalkXmppSession  *self,
                    char            **field,
                    const char       *value,
                    guint             prop)
{
  if (set_string (field, value))
    g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
session_set_uint (TalkXmppSession *self,
                  guint           *field,
                  guint            value,
                  guint            prop)
{
  if (*field == value)
    return;
  *field = value;
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
session_set_state (TalkXmppSession      *self,
                   TalkXmppSessionState  state)
{
  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static void
session_set_bound_jid (TalkXmppSession *self,
                       TalkXmppJid     *jid)
{
  if (self->bound_jid == jid)
    return;
  if (self->bound_jid != NULL && jid != NULL && talk_xmpp_jid_equal (self->bound_jid, jid))
    return;
  g_clear_pointer (&self->bound_jid, talk_xmpp_jid_unref);
  if (jid != NULL)
    self->bound_jid = talk_xmpp_jid_ref (jid);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BOUND_JID]);
}

static void
session_set_sasl_mechanism (TalkXmppSession       *self,
                            TalkXmppSaslMechanism  mechanism)
{
  if (self->sasl_mechanism == mechanism)
    return;
  self->sasl_mechanism = mechanism;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SASL_MECHANISM]);
}

void
_talk_xmpp_session_set_reconnect_at (TalkXmppSession *self,
                                     gint64           reconnect_at)
{
  if (self->reconnect_at == reconnect_at)
    return;
  self->reconnect_at = reconnect_at;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RECONNECT_AT]);
}

void
_talk_xmpp_session_emit_reconnect_scheduled (TalkXmppSession *self,
                                             guint            delay_ms)
{
  g_signal_emit (self, signals[RECONNECT_SCHEDULED], 0, delay_ms);
}

static void
send_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  /* A failed write also fails the pending receive, which reports the loss. */
  if (!talk_xmpp_stream_send_finish (TALK_XMPP_STREAM (source), result, &error))
    g_debug ("Sending failed: %s", error->message);
}

/* Receiving */

#define BURST_US        (8 * 1000)
#define RECV_WAITED_US  (2 * 1000)

static void session_receive_next (TalkXmppSession *self);

/* Returns: whether @stream is still the session's */
static gboolean
session_handle_stanza (TalkXmppSession *self,
                       TalkXmppStream  *stream,
                       TalkXmppStanza  *stanza)
{
  /* XEP-0198 elements are not stanzas: neither announced nor routed. */
  if (_talk_xmpp_session_sm_handle_nonza (self, stanza))
    return self->stream == stream;

  /* Announced first: a handler may take the session offline. Handled (for
   * XEP-0198) once routed, unless a handler held the ack. */
  _talk_xmpp_session_sm_stanza_begin (self, stanza);
  g_signal_emit (self, signals[STANZA_RECEIVED], 0, stanza);
  if (self->stream == stream)
    _talk_xmpp_session_route (self, stanza);
  _talk_xmpp_session_sm_stanza_end (self);

  return self->stream == stream;
}

static gboolean
session_burst_over (TalkXmppSession *self)
{
  return self->burst_start != 0 &&
         g_get_monotonic_time () - self->burst_start > BURST_US;
}

static void
session_recv_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  TalkXmppStream *stream = TALK_XMPP_STREAM (source);
  g_autoptr(TalkXmppSession) self = NULL;
  g_autoptr(TalkXmppStanza) stanza = NULL;
  g_autoptr(GError) error = NULL;

  stanza = talk_xmpp_stream_recv_finish (stream, result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self = g_object_ref (user_data);
  if (stream != self->stream)
    return;

  /* A receive that had to wait for the network starts a new burst. */
  if (g_get_monotonic_time () - self->recv_requested_at > RECV_WAITED_US)
    self->burst_start = g_get_monotonic_time ();

  if (stanza == NULL)
    {
      g_debug ("Connection lost: %s", error->message);
      _talk_xmpp_session_lost (self, error, FALSE);
      return;
    }

  if (!session_handle_stanza (self, stream, stanza))
    return;

  /* The rest of what the same read brought, in this dispatch: a round
   * trip through the main loop per stanza cost more than the stanza. */
  while (!session_burst_over (self))
    {
      g_autoptr(TalkXmppStanza) next = talk_xmpp_stream_try_recv (stream);

      if (next == NULL)
        break;
      if (!session_handle_stanza (self, stream, next))
        return;
    }

  session_receive_next (self);
}

static gboolean
session_resume_receive_cb (gpointer user_data)
{
  TalkXmppSession *self = user_data;

  self->yield_source_id = 0;
  self->burst_start = g_get_monotonic_time ();
  if (self->stream != NULL)
    session_receive_next (self);
  return G_SOURCE_REMOVE;
}

/* A flood of stanzas (thousands of presences after sign-in) is read at the
 * default priority, above GDK's redraw: after BURST_US of handling, pause
 * for a millisecond so a frame can be painted in between. A timeout rather
 * than an idle: an idle could wait forever behind a busy frame clock. */
static void
session_receive_next (TalkXmppSession *self)
{
  gint64 now = g_get_monotonic_time ();

  if (session_burst_over (self))
    {
      if (self->yield_source_id == 0)
        self->yield_source_id = g_timeout_add (1, session_resume_receive_cb, self);
      return;
    }
  self->recv_requested_at = now;
  talk_xmpp_stream_recv_async (self->stream, self->recv_cancellable, session_recv_cb, self);
}

/* Going offline */

/* Detaches the stream and stops everything that belongs to it.
 * Returns: (transfer full) (nullable): the stream, for the caller to close */
static TalkXmppStream *
session_detach_stream (TalkXmppSession *self)
{
  g_cancellable_cancel (self->recv_cancellable);
  g_clear_object (&self->recv_cancellable);
  g_clear_handle_id (&self->yield_source_id, g_source_remove);
  self->burst_start = 0;
  g_clear_handle_id (&self->keepalive_source_id, g_source_remove);
  _talk_xmpp_session_sm_detach (self);
  g_clear_pointer (&self->keepalive_ping_id, g_free);
  self->keepalive_ping_sent = 0;
  self->online_since = 0;

  return g_steal_pointer (&self->stream);
}

/* With @abort_transport the transport is closed at once (a dead link would
 * only stall a polite close); otherwise the stream is closed cleanly. */
static void
session_close_detached (TalkXmppStream *stream,
                        gboolean        abort_transport)
{
  if (stream == NULL)
    return;

  if (abort_transport)
    {
      /* Cancelled from the start: the stream stops waiting for the peer
       * and closes the transport at once. */
      g_autoptr(GCancellable) now = g_cancellable_new ();

      g_cancellable_cancel (now);
      talk_xmpp_stream_close_async (stream, -1, now, NULL, NULL);
    }
  else
    {
      talk_xmpp_stream_close_async (stream, -1, NULL, NULL, NULL);
    }
}

static void
session_clear_connector (TalkXmppSession *self)
{
  g_cancellable_cancel (self->connect_cancellable);
  g_clear_object (&self->connect_cancellable);
  if (self->connector != NULL)
    g_clear_signal_handler (&self->step_handler_id, self->connector);
  g_clear_object (&self->connector);
}

static void
connect_waiter_free (ConnectWaiter *waiter)
{
  g_clear_pointer (&waiter->cancel_source, _talk_xmpp_session_clear_source);
  g_clear_object (&waiter->task);
  g_free (waiter);
}

static void
session_complete_waiters (TalkXmppSession *self,
                          const GError    *error)
{
  g_autoptr(GPtrArray) waiters = g_steal_pointer (&self->connect_waiters);

  self->connect_waiters = g_ptr_array_new ();

  for (guint i = 0; i < waiters->len; i++)
    {
      ConnectWaiter *waiter = g_ptr_array_index (waiters, i);
      g_autoptr(GTask) task = g_steal_pointer (&waiter->task);

      connect_waiter_free (waiter);
      if (error != NULL)
        g_task_return_error (task, g_error_copy (error));
      else
        g_task_return_boolean (task, TRUE);
    }
}

/* Common end of a failed attempt, a lost connection and a user disconnect
 * (@error NULL): state, last error, pending requests, signals, and the next
 * attempt when the failure is worth one. */
static void
session_went_offline (TalkXmppSession *self,
                      const GError    *error)
{
  /* Signal handlers below may drop the last outside reference. */
  G_GNUC_UNUSED g_autoptr(TalkXmppSession) hold = g_object_ref (self);
  gboolean was_offline = self->state == TALK_XMPP_SESSION_STATE_DISCONNECTED;
  guint delay_ms;

  g_clear_error (&self->last_error);
  if (error != NULL)
    self->last_error = g_error_copy (error);

  g_clear_pointer (&self->features, talk_xmpp_stanza_unref);
  session_set_bound_jid (self, NULL);
  session_set_state (self, TALK_XMPP_SESSION_STATE_DISCONNECTED);
  _talk_xmpp_session_fail_pending_iqs (self);
  _talk_xmpp_session_sm_offline (self, error);

  delay_ms = _talk_xmpp_session_schedule_retry (self, error);

  if (!was_offline || error != NULL)
    g_signal_emit (self, signals[DISCONNECTED], 0, error);

  if (error != NULL)
    {
      session_complete_waiters (self, error);
    }
  else
    {
      g_autoptr(GError) cancelled = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                         _("Disconnected"));
      session_complete_waiters (self, cancelled);
    }

  /* Unless a handler of "disconnected" connected or disconnected meanwhile. */
  if (delay_ms > 0 && self->reconnect_source_id != 0)
    {
      g_debug ("Reconnecting in %u ms", delay_ms);
      _talk_xmpp_session_emit_reconnect_scheduled (self, delay_ms);
    }
}

void
_talk_xmpp_session_lost (TalkXmppSession *self,
                         const GError    *error,
                         gboolean         abort_transport)
{
  g_autoptr(TalkXmppStream) stream = NULL;

  if (self->online_since != 0 && g_get_monotonic_time () - self->online_since >= STABLE_USEC)
    self->n_failures = 0;

  stream = session_detach_stream (self);
  session_close_detached (stream, abort_transport);
  session_went_offline (self, error);
}

/* Connecting */

static void session_adopt (TalkXmppSession *self,
                           TalkXmppStream  *stream,
                           TalkXmppJid     *bound_jid,
                           gboolean         resumed);

static void
session_copy_connector_info (TalkXmppSession   *self,
                             TalkXmppConnector *connector)
{
  const char *fingerprint = talk_xmpp_connector_get_peer_fingerprint (connector);

  /* Kept after a certificate failure too: the user is shown it to decide. */
  if (fingerprint != NULL)
    {
      self->peer_errors = talk_xmpp_connector_get_peer_errors (connector);
      session_set_string (self, &self->peer_fingerprint, fingerprint, PROP_PEER_FINGERPRINT);
    }
  session_set_string (self, &self->tls_version,
                      talk_xmpp_connector_get_tls_version (connector), PROP_TLS_VERSION);
  session_set_sasl_mechanism (self, talk_xmpp_connector_get_sasl_mechanism (connector));
}

static void
connector_step_cb (TalkXmppConnector     *connector,
                   TalkXmppConnectorStep  step,
                   const char            *detail,
                   gpointer               user_data)
{
  TalkXmppSession *self = user_data;

  session_copy_connector_info (self, connector);

  switch (step)
    {
    case TALK_XMPP_CONNECTOR_STEP_RESOLVING:
      session_set_state (self, TALK_XMPP_SESSION_STATE_RESOLVING);
      break;
    case TALK_XMPP_CONNECTOR_STEP_CONNECTING:
      session_set_state (self, TALK_XMPP_SESSION_STATE_CONNECTING);
      break;
    case TALK_XMPP_CONNECTOR_STEP_SECURING:
      session_set_state (self, TALK_XMPP_SESSION_STATE_SECURING);
      break;
    case TALK_XMPP_CONNECTOR_STEP_AUTHENTICATING:
      session_set_state (self, TALK_XMPP_SESSION_STATE_AUTHENTICATING);
      break;
    case TALK_XMPP_CONNECTOR_STEP_BINDING:
      session_set_state (self, TALK_XMPP_SESSION_STATE_BINDING);
      break;
    case TALK_XMPP_CONNECTOR_STEP_DONE:
    default:
      break;
    }
}

static void
session_connect_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  TalkXmppConnector *connector = TALK_XMPP_CONNECTOR (source);
  g_autoptr(TalkXmppSession) self = NULL;
  g_autoptr(TalkXmppStream) stream = NULL;
  g_autoptr(GError) error = NULL;
  gboolean resumed = FALSE;

  stream = talk_xmpp_connector_connect_finish (connector, result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self = g_object_ref (user_data);
  if (connector != self->connector)
    return;

  session_copy_connector_info (self, connector);

  if (stream == NULL)
    {
      g_debug ("Connecting %s failed: %s",
               talk_xmpp_jid_get_bare_string (self->jid), error->message);
      session_clear_connector (self);
      session_went_offline (self, error);
      return;
    }

  g_clear_pointer (&self->features, talk_xmpp_stanza_unref);
  if (talk_xmpp_connector_get_features (connector) != NULL)
    self->features = talk_xmpp_stanza_ref (talk_xmpp_connector_get_features (connector));

  /* One connector per attempt; the stream is ours now. Its operations
   * are over: nothing to cancel. */
  g_object_ref (connector);
  g_clear_object (&self->connect_cancellable);
  session_clear_connector (self);

  /* XEP-0198 §5: what became of the <resume/>, if one was asked for. */
  if (!_talk_xmpp_session_sm_attempt_done (self, connector, stream, &resumed, &error))
    {
      g_object_unref (connector);
      session_close_detached (stream, FALSE);
      session_went_offline (self, error);
      return;
    }

  session_adopt (self, stream, talk_xmpp_connector_get_bound_jid (connector), resumed);
  g_object_unref (connector);

  if (self->stream == stream)
    session_complete_waiters (self, NULL);
}

void
_talk_xmpp_session_start_attempt (TalkXmppSession *self)
{
  g_return_if_fail (self->connector == NULL);
  g_return_if_fail (self->stream == NULL);

  _talk_xmpp_session_cancel_reconnect (self);

  if (self->password == NULL)
    {
      g_autoptr(GError) error = g_error_new_literal (TALK_XMPP_ERROR, TALK_XMPP_ERROR_AUTH_FAILED,
                                                     _("No password was given"));

      session_went_offline (self, error);
      return;
    }

  self->connector = talk_xmpp_connector_new (self->jid, self->password);
  if (self->host != NULL || self->port != 0 || self->direct_tls)
    talk_xmpp_connector_set_host (self->connector, self->host, self->port, self->direct_tls);
  if (self->pinned_certificate != NULL)
    talk_xmpp_connector_set_pinned_certificate (self->connector, self->pinned_certificate);
  if (self->resource != NULL)
    talk_xmpp_connector_set_resource (self->connector, self->resource);
  _talk_xmpp_session_sm_prepare_attempt (self, self->connector);
  self->step_handler_id = g_signal_connect (self->connector, "step",
                                            G_CALLBACK (connector_step_cb), self);

  self->connect_cancellable = g_cancellable_new ();
  session_set_state (self, TALK_XMPP_SESSION_STATE_RESOLVING);
  talk_xmpp_connector_connect_async (self->connector, self->connect_cancellable,
                                     session_connect_cb, self);
}

/* The caller of connect_async gave up; the attempt goes on only for others
 * still waiting on it. */
static gboolean
connect_waiter_cancelled_cb (GCancellable *cancellable,
                             gpointer      user_data)
{
  ConnectWaiter *waiter = user_data;
  TalkXmppSession *self = waiter->self;
  g_autoptr(GTask) task = g_steal_pointer (&waiter->task);

  g_ptr_array_remove (self->connect_waiters, waiter);
  connect_waiter_free (waiter);

  if (self->connect_waiters->len == 0 && self->connector != NULL)
    {
      session_clear_connector (self);
      session_went_offline (self, NULL);
    }

  g_task_return_error_if_cancelled (task);
  return G_SOURCE_REMOVE;
}

/* Public API */

TalkXmppSession *
talk_xmpp_session_new (TalkXmppJid *jid)
{
  g_return_val_if_fail (jid != NULL, NULL);

  return g_object_new (TALK_XMPP_TYPE_SESSION, "jid", jid, NULL);
}

void
talk_xmpp_session_set_password (TalkXmppSession *self,
                                const char      *password)
{
  g_return_if_fail (TALK_XMPP_IS_SESSION (self));

  g_clear_pointer (&self->password, password_wipe);
  self->password = g_strdup (password);
}

TalkXmppJid *
talk_xmpp_session_get_jid (TalkXmppSession *self)
{
  g_return_val_if_fail (TALK_XMPP_IS_SESSION (self), NULL);
  return self->jid;
}

TalkXmppSessionState
talk_xmpp_session_get_state (TalkXmppSession *self)
{
  g_return_val_if_fail (TALK_XMPP_IS_SESSION (self), TALK_XMPP_SESSION_STATE_DISCONNECTED);
  return self->state;
}

TalkXmppJid *
talk_xmpp_session_get_bound_jid (TalkXmppSession *self)
{
  g_return_val_if_fail (TALK_XMPP_IS_SESSION (self), NULL);
  return self->bound_jid;
}

TalkXmppSaslMechanism
talk_xmpp_session_get_sasl_mechanism (TalkXmppSession *self)
{
  g_return_val_if_fail (TALK_XMPP_IS_SESSION (self), TALK_XMPP_SASL_MECHANISM_NONE);
  return self->sasl_mechanism;
}

GTlsCertificateFlags
talk_xmpp_session_get_peer_certificate_errors (TalkXmppSession *self)
{
  g_return_val_if_fail (TALK_XMPP_IS_SESSION (self), 0);

  return self->peer_errors;
}

const char *
talk_xmpp_session_get_peer_fingerprint (TalkXmppSession *self)
{
  g_return_val_if_fail (TALK_XMPP_IS_SESSION (self), NULL);
  return self->peer_fingerprint;
}

const char *
talk_xmpp_session_get_tls_version (TalkXmppSession *self)
{
  g_return_val_if_fail (TALK_XMPP_IS_SESSION (self), NULL);
  return self->tls_version;
}

TalkXmppStanza *
talk_xmpp_session_get_features (TalkXmppSession *self)
{
  g_return_val_if_fail (TALK_XMPP_IS_SESSION (self), NULL);
  return self->features;
}

const GError *
talk_xmpp_session_get_last_error (TalkXmppSession *self)
{
  g_return_val_if_fail (TALK_XMPP_IS_SESSION (self), NULL);
  return self->last_error;
}

void
talk_xmpp_session_set_host (TalkXmppSession *self,
                            const char      *host,
                            guint16          port,
                            gboolean         direct_tls)
{
  g_return_if_fail (TALK_XMPP_IS_SESSION (self));

  g_object_freeze_notify (G_OBJECT (self));
  session_set_string (self, &self->host, host, PROP_HOST);
  if (self->port != port)
    {
      self->port = port;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PORT]);
    }
  direct_tls = !!direct_tls;
  if (self->direct_tls != direct_tls)
    {
      self->direct_tls = direct_tls;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DIRECT_TLS]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

void
talk_xmpp_session_set_pinned_certificate (TalkXmppSession *self,
                                          const char      *fingerprint)
{
  g_return_if_fail (TALK_XMPP_IS_SESSION (self));

  session_set_string (self, &self->pinned_certificate, fingerprint, PROP_PINNED_CERTIFICATE);
}

void
talk_xmpp_session_connect_async (TalkXmppSession     *self,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  ConnectWaiter *waiter;

  g_return_if_fail (TALK_XMPP_IS_SESSION (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, talk_xmpp_session_connect_async);

  if (g_task_return_error_if_cancelled (task))
    return;

  if (self->state == TALK_XMPP_SESSION_STATE_ONLINE)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  waiter = g_new0 (ConnectWaiter, 1);
  waiter->self = self;
  waiter->task = g_steal_pointer (&task);
  if (cancellable != NULL)
    {
      waiter->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (waiter->cancel_source, (GSourceFunc) connect_waiter_cancelled_cb,
                             waiter, NULL);
      g_source_attach (waiter->cancel_source, NULL);
    }
  g_ptr_array_add (self->connect_waiters, waiter);

  /* A user's request starts afresh: no waiting for a scheduled retry. */
  if (self->connector == NULL)
    {
      self->n_failures = 0;
      _talk_xmpp_session_start_attempt (self);
    }
}

gboolean
talk_xmpp_session_connect_finish (TalkXmppSession  *self,
                                  GAsyncResult     *result,
                                  GError          **error)
{
  g_return_val_if_fail (TALK_XMPP_IS_SESSION (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == talk_xmpp_session_connect_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
session_close_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  if (!talk_xmpp_stream_close_finish (TALK_XMPP_STREAM (source), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      /* Offline either way; the transport is gone. */
      g_debug ("Closing the stream: %s", error->message);
    }

  g_task_return_boolean (task, TRUE);
}

void
talk_xmpp_session_disconnect_async (TalkXmppSession     *self,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(TalkXmppStream) stream = NULL;

  g_return_if_fail (TALK_XMPP_IS_SESSION (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, talk_xmpp_session_disconnect_async);

  _talk_xmpp_session_cancel_reconnect (self);
  session_clear_connector (self);
  self->n_failures = 0;
  stream = session_detach_stream (self);

  session_went_offline (self, NULL);

  /* RFC 6120 §4.4: our closing tag goes out after whatever is queued. */
  if (stream != NULL)
    talk_xmpp_stream_close_async (stream, -1, cancellable, session_close_cb,
                                  g_steal_pointer (&task));
  else
    g_task_return_boolean (task, TRUE);
}

gboolean
talk_xmpp_session_disconnect_finish (TalkXmppSession  *self,
                                     GAsyncResult     *result,
                                     GError          **error)
{
  g_return_val_if_fail (TALK_XMPP_IS_SESSION (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == talk_xmpp_session_disconnect_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
talk_xmpp_session_send (TalkXmppSession *self,
                        TalkXmppStanza  *stanza)
{
  g_return_val_if_fail (TALK_XMPP_IS_SESSION (self), FALSE);
  g_return_val_if_fail (stanza != NULL, FALSE);

  if (self->stream == NULL || self->state != TALK_XMPP_SESSION_STATE_ONLINE)
    {
      g_debug ("Not sending <%s/>: not online", talk_xmpp_stanza_get_name (stanza));
      return FALSE;
    }

  self->last_queued = g_get_monotonic_time ();
  talk_xmpp_stream_send_async (self->stream, stanza, NULL, send_done_cb, NULL);
  _talk_xmpp_session_sm_sent (self, stanza);
  return TRUE;
}

/* Private API */

/* With @resumed the stream continues the previous session (XEP-0198 §5):
 * "resumed" instead of "online". */
static void
session_adopt (TalkXmppSession *self,
               TalkXmppStream  *stream,
               TalkXmppJid     *bound_jid,
               gboolean         resumed)
{
  _talk_xmpp_session_cancel_reconnect (self);

  self->stream = g_object_ref (stream);
  self->recv_cancellable = g_cancellable_new ();
  self->online_since = g_get_monotonic_time ();
  self->last_queued = self->online_since;
  g_clear_error (&self->last_error);

  session_set_bound_jid (self, bound_jid);
  session_set_state (self, TALK_XMPP_SESSION_STATE_ONLINE);
  session_receive_next (self);
  /* <enable/> before anything else is sent, or the re-sending after
   * <resumed/>; may report stanzas a failed resumption left over. */
  _talk_xmpp_session_sm_online (self, resumed);
  if (self->stream != stream)
    return;
  _talk_xmpp_session_keepalive_arm (self);

  g_debug ("%s %s", bound_jid ? talk_xmpp_jid_to_string (bound_jid) : "Session",
           resumed ? "resumed" : "online");
  if (resumed)
    _talk_xmpp_session_sm_emit_resumed (self);
  else
    g_signal_emit (self, signals[ONLINE], 0);
}

void
_talk_xmpp_session_adopt_stream (TalkXmppSession *self,
                                 TalkXmppStream  *stream,
                                 TalkXmppJid     *bound_jid)
{
  g_return_if_fail (TALK_XMPP_IS_SESSION (self));
  g_return_if_fail (TALK_XMPP_IS_STREAM (stream));
  g_return_if_fail (self->stream == NULL);

  session_adopt (self, stream, bound_jid, FALSE);
}

/* GObject */

static void
talk_xmpp_session_dispose (GObject *object)
{
  TalkXmppSession *self = TALK_XMPP_SESSION (object);
  g_autoptr(TalkXmppStream) stream = session_detach_stream (self);

  g_clear_handle_id (&self->reconnect_source_id, g_source_remove);
  session_clear_connector (self);
  session_close_detached (stream, FALSE);

  /* Tasks keep the session alive, so normally only the keepalive ping is
   * left here; g_object_run_dispose() may leave more. */
  if (self->pending_iqs != NULL)
    _talk_xmpp_session_fail_pending_iqs (self);
  if (self->connect_waiters != NULL)
    {
      g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                     _("Operation was cancelled"));

      session_complete_waiters (self, error);
    }

  _talk_xmpp_session_routing_dispose (self);
  _talk_xmpp_session_stop_network_monitor (self);

  G_OBJECT_CLASS (talk_xmpp_session_parent_class)->dispose (object);
}

static void
talk_xmpp_session_finalize (GObject *object)
{
  TalkXmppSession *self = TALK_XMPP_SESSION (object);

  g_clear_pointer (&self->password, password_wipe);
  g_clear_pointer (&self->jid, talk_xmpp_jid_unref);
  g_clear_pointer (&self->bound_jid, talk_xmpp_jid_unref);
  g_clear_pointer (&self->features, talk_xmpp_stanza_unref);
  g_clear_error (&self->last_error);
  g_free (self->host);
  g_free (self->resource);
  g_free (self->pinned_certificate);
  g_free (self->peer_fingerprint);
  g_free (self->tls_version);
  g_clear_pointer (&self->pending_iqs, g_hash_table_unref);
  g_clear_pointer (&self->connect_waiters, g_ptr_array_unref);
  g_clear_pointer (&self->handlers, g_ptr_array_unref);
  _talk_xmpp_session_sm_finalize (self);

  G_OBJECT_CLASS (talk_xmpp_session_parent_class)->finalize (object);
}

static void
talk_xmpp_session_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  TalkXmppSession *self = TALK_XMPP_SESSION (object);

  switch (prop_id)
    {
    case PROP_JID:
      g_value_set_boxed (value, self->jid);
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_BOUND_JID:
      g_value_set_boxed (value, self->bound_jid);
      break;
    case PROP_SASL_MECHANISM:
      g_value_set_string (value, self->sasl_mechanism == TALK_XMPP_SASL_MECHANISM_NONE ? NULL :
                          talk_xmpp_sasl_mechanism_to_string (self->sasl_mechanism));
      break;
    case PROP_PEER_FINGERPRINT:
      g_value_set_string (value, self->peer_fingerprint);
      break;
    case PROP_TLS_VERSION:
      g_value_set_string (value, self->tls_version);
      break;
    case PROP_HOST:
      g_value_set_string (value, self->host);
      break;
    case PROP_PORT:
      g_value_set_uint (value, self->port);
      break;
    case PROP_DIRECT_TLS:
      g_value_set_boolean (value, self->direct_tls);
      break;
    case PROP_RESOURCE:
      g_value_set_string (value, self->resource);
      break;
    case PROP_PINNED_CERTIFICATE:
      g_value_set_string (value, self->pinned_certificate);
      break;
    case PROP_AUTO_RECONNECT:
      g_value_set_boolean (value, self->auto_reconnect);
      break;
    case PROP_BACKOFF_BASE_MS:
      g_value_set_uint (value, self->backoff_base_ms);
      break;
    case PROP_BACKOFF_MAX_MS:
      g_value_set_uint (value, self->backoff_max_ms);
      break;
    case PROP_KEEPALIVE_SECONDS:
      g_value_set_uint (value, self->keepalive_seconds);
      break;
    case PROP_PING_TIMEOUT_SECONDS:
      g_value_set_uint (value, self->ping_timeout_seconds);
      break;
    case PROP_IQ_TIMEOUT_SECONDS:
      g_value_set_uint (value, self->iq_timeout_seconds);
      break;
    case PROP_RECONNECT_AT:
      g_value_set_int64 (value, self->reconnect_at);
      break;
    case PROP_SM_ENABLED:
      g_value_set_boolean (value, self->sm.enabled);
      break;
    case PROP_SM_RESUMED:
      g_value_set_boolean (value, self->sm.resumed);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
talk_xmpp_session_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  TalkXmppSession *self = TALK_XMPP_SESSION (object);

  switch (prop_id)
    {
    case PROP_JID:
      self->jid = g_value_dup_boxed (value);
      break;
    case PROP_HOST:
      talk_xmpp_session_set_host (self, g_value_get_string (value), self->port, self->direct_tls);
      break;
    case PROP_PORT:
      talk_xmpp_session_set_host (self, self->host, (guint16) g_value_get_uint (value),
                                  self->direct_tls);
      break;
    case PROP_DIRECT_TLS:
      talk_xmpp_session_set_host (self, self->host, self->port, g_value_get_boolean (value));
      break;
    case PROP_RESOURCE:
      session_set_string (self, &self->resource, g_value_get_string (value), PROP_RESOURCE);
      break;
    case PROP_PINNED_CERTIFICATE:
      talk_xmpp_session_set_pinned_certificate (self, g_value_get_string (value));
      break;
    case PROP_AUTO_RECONNECT:
      if (self->auto_reconnect != g_value_get_boolean (value))
        {
          self->auto_reconnect = g_value_get_boolean (value);
          if (!self->auto_reconnect)
            _talk_xmpp_session_cancel_reconnect (self);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_BACKOFF_BASE_MS:
      session_set_uint (self, &self->backoff_base_ms, g_value_get_uint (value), prop_id);
      break;
    case PROP_BACKOFF_MAX_MS:
      session_set_uint (self, &self->backoff_max_ms, g_value_get_uint (value), prop_id);
      break;
    case PROP_KEEPALIVE_SECONDS:
      session_set_uint (self, &self->keepalive_seconds, g_value_get_uint (value), prop_id);
      _talk_xmpp_session_keepalive_arm (self);
      break;
    case PROP_PING_TIMEOUT_SECONDS:
      session_set_uint (self, &self->ping_timeout_seconds, g_value_get_uint (value), prop_id);
      _talk_xmpp_session_keepalive_arm (self);
      break;
    case PROP_IQ_TIMEOUT_SECONDS:
      session_set_uint (self, &self->iq_timeout_seconds, g_value_get_uint (value), prop_id);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
talk_xmpp_session_class_init (TalkXmppSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = talk_xmpp_session_dispose;
  object_class->finalize = talk_xmpp_session_finalize;
  object_class->get_property = talk_xmpp_session_get_property;
  object_class->set_property = talk_xmpp_session_set_property;

  properties[PROP_JID] =
    g_param_spec_boxed ("jid", NULL, NULL, TALK_XMPP_TYPE_JID,
                        G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, talk_xmpp_session_state_get_type (),
                       TALK_XMPP_SESSION_STATE_DISCONNECTED, ro);
  properties[PROP_BOUND_JID] =
    g_param_spec_boxed ("bound-jid", NULL, NULL, TALK_XMPP_TYPE_JID, ro);
  properties[PROP_SASL_MECHANISM] =
    g_param_spec_string ("sasl-mechanism", NULL, NULL, NULL, ro);
  properties[PROP_PEER_FINGERPRINT] =
    g_param_spec_string ("peer-fingerprint", NULL, NULL, NULL, ro);
  properties[PROP_TLS_VERSION] =
    g_param_spec_string ("tls-version", NULL, NULL, NULL, ro);
  properties[PROP_HOST] =
    g_param_spec_string ("host", NULL, NULL, NULL, rw);
  properties[PROP_PORT] =
    g_param_spec_uint ("port", NULL, NULL, 0, G_MAXUINT16, 0, rw);
  properties[PROP_DIRECT_TLS] =
    g_param_spec_boolean ("direct-tls", NULL, NULL, FALSE, rw);
  properties[PROP_RESOURCE] =
    g_param_spec_string ("resource", NULL, NULL, NULL, rw);
  properties[PROP_PINNED_CERTIFICATE] =
    g_param_spec_string ("pinned-certificate", NULL, NULL, NULL, rw);
  properties[PROP_AUTO_RECONNECT] =
    g_param_spec_boolean ("auto-reconnect", NULL, NULL, TRUE, rw);
  properties[PROP_BACKOFF_BASE_MS] =
    g_param_spec_uint ("backoff-base-ms", NULL, NULL, 1, G_MAXUINT, 1000, rw);
  properties[PROP_BACKOFF_MAX_MS] =
    g_param_spec_uint ("backoff-max-ms", NULL, NULL, 1, G_MAXUINT, 300000, rw);
  properties[PROP_KEEPALIVE_SECONDS] =
    g_param_spec_uint ("keepalive-seconds", NULL, NULL, 0, G_MAXUINT / 2, 60, rw);
  properties[PROP_PING_TIMEOUT_SECONDS] =
    g_param_spec_uint ("ping-timeout-seconds", NULL, NULL, 1, G_MAXUINT / 2, 30, rw);
  properties[PROP_IQ_TIMEOUT_SECONDS] =
    g_param_spec_uint ("iq-timeout-seconds", NULL, NULL, 0, G_MAXUINT / 2, 60, rw);
  properties[PROP_RECONNECT_AT] =
    g_param_spec_int64 ("reconnect-at", NULL, NULL, 0, G_MAXINT64, 0, ro);

  g_object_class_install_properties (object_class, N_PROPS, properties);
  _talk_xmpp_session_sm_class_init (object_class, PROP_SM_ENABLED, PROP_SM_RESUMED);

  signals[STANZA_RECEIVED] =
    g_signal_new ("stanza-received", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                  TALK_XMPP_TYPE_STANZA | G_SIGNAL_TYPE_STATIC_SCOPE);
  signals[ONLINE] =
    g_signal_new ("online", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[DISCONNECTED] =
    g_signal_new ("disconnected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                  G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE);
  signals[RECONNECT_SCHEDULED] =
    g_signal_new ("reconnect-scheduled", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
}

static void
talk_xmpp_session_init (TalkXmppSession *self)
{
  self->auto_reconnect = TRUE;
  self->backoff_base_ms = 1000;
  self->backoff_max_ms = 300000;
  self->keepalive_seconds = 60;
  self->ping_timeout_seconds = 30;
  self->iq_timeout_seconds = 60;
  self->connect_waiters = g_ptr_array_new ();
  _talk_xmpp_session_routing_init (self);
  _talk_xmpp_session_iq_init (self);
  _talk_xmpp_session_sm_init (self);
}
