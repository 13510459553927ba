/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * From an account to a bound stream (RFC 6120 §3–§7, XEP-0368).
 *
 *   resolve (SRV ×2, or manual) ─► connect_candidate ◄──── next on failure
 *     ├─ direct TLS: start_tls ─► handshake_cb ─► open ─► features_cb
 *     └─ STARTTLS:   open ─► features_cb ─► <starttls/> ─► proceed_cb
 *                    ─► start_tls ─► handshake_cb ─► open ─► features_cb
 *   features_cb (TLS up) ─► <auth/> ─► sasl_cb (challenge ⇄ response)
 *                        ─► <success/> ─► open ─► features_cb
 *   features_cb (authenticated) ─► bind IQ ─► bind_cb ─► [session IQ
 *                        ─► session_cb] ─► done
 *
 * TLS always comes first: without it nothing is authenticated. The
 * certificate is checked against the JID's domain whatever host we reach
 * (RFC 7590 §3.2, CVE-2022-26491). Each phase restarts one timer; when it
 * fires the attempt is cancelled and fails with TALK_XMPP_ERROR_TIMEOUT
 * (during TCP connect only that candidate is given up). A see-other-host
 * stream error after TLS restarts at connect_candidate, at most twice.
 *
 * This file holds the object, the phase timer, failing and the streams;
 * the steps are split by topic behind talk-xmpp-connector-private.h:
 * -resolve.c (SRV, candidates, connect, redirects), -tls.c (STARTTLS and
 * the handshake), -sasl.c and -bind.c (resource and legacy session).
 */

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "talk-xmpp-connector-private.h"
#include "talk-xmpp-enums.h"

#define DEFAULT_TIMEOUT_SECONDS 30

G_DEFINE_FINAL_TYPE (TalkXmppConnector, talk_xmpp_connector, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_JID,
  N_PROPS
};

enum {
  STEP,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

void
_talk_xmpp_connector_set_str (char       **ptr,
                              const char  *value)
{
  if (*ptr != value)
    {
      g_free (*ptr);
      *ptr = g_strdup (value);
    }
}

static void
talk_xmpp_connector_dispose (GObject *object)
{
  TalkXmppConnector *self = TALK_XMPP_CONNECTOR (object);

  g_clear_handle_id (&self->timeout_id, g_source_remove);
  g_clear_object (&self->stream);
  g_clear_object (&self->tls);
  g_clear_object (&self->connection);
  g_clear_object (&self->sasl);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->connect_cancellable);
  g_clear_object (&self->peer_certificate);

  G_OBJECT_CLASS (talk_xmpp_connector_parent_class)->dispose (object);
}

static void
talk_xmpp_connector_finalize (GObject *object)
{
  TalkXmppConnector *self = TALK_XMPP_CONNECTOR (object);

  if (self->password != NULL)
    {
      memset (self->password, 0, strlen (self->password));
      g_free (self->password);
    }
  g_clear_pointer (&self->jid, talk_xmpp_jid_unref);
  g_free (self->manual_host);
  g_free (self->pinned_fingerprint);
  g_free (self->resource);
  g_free (self->phase);
  _talk_xmpp_connector_clear_srv_targets (self);
  g_clear_pointer (&self->candidates, g_ptr_array_unref);
  g_clear_error (&self->last_error);
  g_free (self->iq_id);
  g_clear_pointer (&self->bound_jid, talk_xmpp_jid_unref);
  g_free (self->channel_binding);
  g_clear_pointer (&self->features, talk_xmpp_stanza_unref);
  g_free (self->peer_fingerprint);
  g_free (self->tls_version);
  g_free (self->remote_address);

  G_OBJECT_CLASS (talk_xmpp_connector_parent_class)->finalize (object);
}

static void
talk_xmpp_connector_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  TalkXmppConnector *self = TALK_XMPP_CONNECTOR (object);

  switch (prop_id)
    {
    case PROP_JID:
      g_value_set_boxed (value, self->jid);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
talk_xmpp_connector_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  TalkXmppConnector *self = TALK_XMPP_CONNECTOR (object);

  switch (prop_id)
    {
    case PROP_JID:
      self->jid = g_value_dup_boxed (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
talk_xmpp_connector_class_init (TalkXmppConnectorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = talk_xmpp_connector_dispose;
  object_class->finalize = talk_xmpp_connector_finalize;
  object_class->get_property = talk_xmpp_connector_get_property;
  object_class->set_property = talk_xmpp_connector_set_property;

  /**
   * TalkXmppConnector:jid:
   *
   * The account; its domain is the server's identity for TLS.
   */
  properties[PROP_JID] =
    g_param_spec_boxed ("jid", NULL, NULL,
                        TALK_XMPP_TYPE_JID,
                        G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                        G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * TalkXmppConnector::step:
   * @step: a #TalkXmppConnectorStep
   * @detail: (nullable): what was learnt ("host:port", "TLS 1.3, …")
   *
   * Emitted as each phase starts or learns something.
   */
  signals[STEP] =
    g_signal_new ("step",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2,
                  talk_xmpp_connector_step_get_type (),
                  G_TYPE_STRING);
}

static void
talk_xmpp_connector_init (TalkXmppConnector *self)
{
  self->timeout = DEFAULT_TIMEOUT_SECONDS;
  self->candidates =
    g_ptr_array_new_with_free_func ((GDestroyNotify) _talk_xmpp_connector_candidate_free);
}

/**
 * talk_xmpp_connector_new:
 * @jid: the account (bare or full; the resource is ignored)
 * @password: the password, kept only for this attempt
 *
 * Returns: (transfer full): a connector for one attempt
 */
TalkXmppConnector *
talk_xmpp_connector_new (TalkXmppJid *jid,
                         const char  *password)
{
  TalkXmppConnector *self;

  g_return_val_if_fail (jid != NULL, NULL);
  g_return_val_if_fail (password != NULL, NULL);

  self = g_object_new (TALK_XMPP_TYPE_CONNECTOR, "jid", jid, NULL);
  self->password = g_strdup (password);

  return self;
}

/**
 * talk_xmpp_connector_set_host:
 * @host: (nullable): connect there instead of looking up SRV records
 * @port: the port, or 0 for the default of the mode
 * @direct_tls: TLS from the first byte (XEP-0368) instead of STARTTLS
 */
void
talk_xmpp_connector_set_host (TalkXmppConnector *self,
                              const char        *host,
                              guint16            port,
                              gboolean           direct_tls)
{
  g_return_if_fail (TALK_XMPP_IS_CONNECTOR (self));
  g_return_if_fail (!self->started);

  _talk_xmpp_connector_set_str (&self->manual_host, host != NULL && host[0] != '\0' ? host : NULL);
  self->manual_port = port;
  self->manual_direct_tls = !!direct_tls;
}

/**
 * talk_xmpp_connector_set_pinned_certificate:
 * @fingerprint: (nullable): a SHA-256 fingerprint the user trusts for this
 *   account
 */
void
talk_xmpp_connector_set_pinned_certificate (TalkXmppConnector *self,
                                            const char        *fingerprint)
{
  g_return_if_fail (TALK_XMPP_IS_CONNECTOR (self));

  _talk_xmpp_connector_set_str (&self->pinned_fingerprint, fingerprint);
}

/**
 * talk_xmpp_connector_set_resource:
 * @resource: (nullable): the resource to ask for, or %NULL
 */
void
talk_xmpp_connector_set_resource (TalkXmppConnector *self,
                                  const char        *resource)
{
  g_return_if_fail (TALK_XMPP_IS_CONNECTOR (self));

  if (resource != NULL && resource[0] == '\0')
    resource = NULL;
  _talk_xmpp_connector_set_str (&self->resource, resource);
}

/**
 * talk_xmpp_connector_set_timeout:
 * @seconds: how long each phase may take
 */
void
talk_xmpp_connector_set_timeout (TalkXmppConnector *self,
                                 guint              seconds)
{
  g_return_if_fail (TALK_XMPP_IS_CONNECTOR (self));
  g_return_if_fail (seconds > 0);

  self->timeout = seconds;
}

/* Completing */

void
_talk_xmpp_connector_emit_step (TalkXmppConnector     *self,
                                TalkXmppConnectorStep  step,
                                const char            *detail)
{
  g_signal_emit (self, signals[STEP], 0, step, detail);
}

static void
close_quietly_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (TALK_XMPP_IS_STREAM (object))
    talk_xmpp_stream_close_finish (TALK_XMPP_STREAM (object), result, &error);
  else
    g_io_stream_close_finish (G_IO_STREAM (object), result, &error);

  if (error != NULL)
    g_debug ("Closing an abandoned connection: %s", error->message);
}

/* Drops the current connection; closing finishes in the background. */
void
_talk_xmpp_connector_teardown (TalkXmppConnector *self)
{
  if (self->stream != NULL && !self->tls_failed)
    talk_xmpp_stream_close_async (self->stream, -1, NULL, close_quietly_cb, NULL);
  else if (self->connection != NULL)
    g_io_stream_close_async (G_IO_STREAM (self->connection), G_PRIORITY_DEFAULT,
                             NULL, close_quietly_cb, NULL);

  g_clear_object (&self->stream);
  g_clear_object (&self->tls);
  g_clear_object (&self->connection);
  g_clear_object (&self->sasl);
  self->tls_failed = FALSE;
  self->certificate_rejected = FALSE;
  self->stage = STAGE_PLAIN;
}

static void
finish_attempt (TalkXmppConnector *self)
{
  g_clear_handle_id (&self->timeout_id, g_source_remove);
  if (self->user_cancel_id != 0)
    g_cancellable_disconnect (self->user_cancellable, self->user_cancel_id);
  self->user_cancel_id = 0;
  g_clear_object (&self->user_cancellable);
}

void
_talk_xmpp_connector_fail_error (GTask  *task,
                                 GError *error)
{
  TalkXmppConnector *self = g_task_get_source_object (task);

  if (self->timed_out && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_error_free (error);
      error = _talk_xmpp_connector_timeout_error_new (self);
    }

  g_debug ("Connecting as %s failed: %s",
           talk_xmpp_jid_get_bare_string (self->jid), error->message);

  finish_attempt (self);
  _talk_xmpp_connector_teardown (self);
  g_task_return_error (task, error);
}

void
_talk_xmpp_connector_fail_literal (GTask      *task,
                                   int         code,
                                   const char *message)
{
  _talk_xmpp_connector_fail_error (task, g_error_new_literal (TALK_XMPP_ERROR, code, message));
}

void
_talk_xmpp_connector_fail (GTask      *task,
                           int         code,
                           const char *format,
                           ...)
{
  GError *error;
  va_list args;

  va_start (args, format);
  error = g_error_new_valist (TALK_XMPP_ERROR, code, format, args);
  va_end (args);
  _talk_xmpp_connector_fail_error (task, error);
}

void
_talk_xmpp_connector_done (GTask *task)
{
  TalkXmppConnector *self = g_task_get_source_object (task);
  g_autofree char *detail = g_strdup_printf (_("bound as %s"),
                                             talk_xmpp_jid_to_string (self->bound_jid));

  finish_attempt (self);
  _talk_xmpp_connector_emit_step (self, TALK_XMPP_CONNECTOR_STEP_DONE, detail);
  g_task_return_pointer (task, g_steal_pointer (&self->stream), g_object_unref);
}

static gboolean
phase_timeout_cb (gpointer user_data)
{
  TalkXmppConnector *self = user_data;

  self->timeout_id = 0;

  /* Over TCP connect only this candidate is given up. */
  if (self->connect_cancellable != NULL)
    {
      self->connect_timed_out = TRUE;
      g_cancellable_cancel (self->connect_cancellable);
    }
  else
    {
      self->timed_out = TRUE;
      g_cancellable_cancel (self->cancellable);
    }

  return G_SOURCE_REMOVE;
}

void
_talk_xmpp_connector_phase_start (TalkXmppConnector *self,
                                  const char        *phase)
{
  _talk_xmpp_connector_set_str (&self->phase, phase);
  g_clear_handle_id (&self->timeout_id, g_source_remove);
  self->timeout_id = g_timeout_add (self->timeout * 1000, phase_timeout_cb, self);
}

GError *
_talk_xmpp_connector_timeout_error_new (TalkXmppConnector *self)
{
  return g_error_new (TALK_XMPP_ERROR, TALK_XMPP_ERROR_TIMEOUT,
                      _("The server did not answer in time (while %s)"), self->phase);
}

static void
user_cancelled_cb (GCancellable *cancellable,
                   gpointer      user_data)
{
  TalkXmppConnector *self = user_data;

  g_cancellable_cancel (self->cancellable);
  if (self->connect_cancellable != NULL)
    g_cancellable_cancel (self->connect_cancellable);
}

void
_talk_xmpp_connector_send (TalkXmppConnector *self,
                           TalkXmppStanza    *stanza)
{
  talk_xmpp_stream_send_async (self->stream, stanza, self->cancellable, NULL, NULL);
}

/* Handles an error from the stream: a redirect is followed, anything else
 * (a stream error from the server included) ends the attempt. */
static void
stream_failed (GTask  *task,
               GError *error)
{
  if (g_error_matches (error, TALK_XMPP_STREAM_ERROR, TALK_XMPP_STREAM_ERROR_SEE_OTHER_HOST) &&
      _talk_xmpp_connector_follow_redirect (task))
    {
      g_error_free (error);
      return;
    }

  _talk_xmpp_connector_fail_error (task, error);
}

void
_talk_xmpp_connector_receive (GTask               *task,
                              const char          *phase,
                              GAsyncReadyCallback  callback)
{
  TalkXmppConnector *self = g_task_get_source_object (task);

  if (phase != NULL)
    _talk_xmpp_connector_phase_start (self, phase);
  talk_xmpp_stream_recv_async (self->stream, self->cancellable, callback, g_object_ref (task));
}

TalkXmppStanza *
_talk_xmpp_connector_receive_finish (GTask        *task,
                                     GObject      *stream,
                                     GAsyncResult *result)
{
  GError *error = NULL;
  TalkXmppStanza *stanza;

  stanza = talk_xmpp_stream_recv_finish (TALK_XMPP_STREAM (stream), result, &error);
  if (stanza == NULL)
    stream_failed (task, error);

  return stanza;
}

void
_talk_xmpp_connector_unexpected (GTask          *task,
                                 TalkXmppStanza *stanza,
                                 const char     *expected)
{
  g_debug ("Expected %s, got <%s xmlns='%s'/>", expected,
           talk_xmpp_stanza_get_name (stanza),
           talk_xmpp_stanza_get_ns (stanza) ? talk_xmpp_stanza_get_ns (stanza) : "");
  _talk_xmpp_connector_fail_literal (task, TALK_XMPP_ERROR_PROTOCOL,
                                     _("The server answered with something Talk did not expect"));
}

/* Streams */

static void
features_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TalkXmppConnector *self = g_task_get_source_object (task);
  g_autoptr(TalkXmppStanza) features = NULL;

  features = _talk_xmpp_connector_receive_finish (task, object, result);
  if (features == NULL)
    return;

  if (!talk_xmpp_stanza_is (features, "features", TALK_XMPP_NS_STREAM))
    {
      _talk_xmpp_connector_unexpected (task, features, "<stream:features/>");
      return;
    }

  switch (self->stage)
    {
    case STAGE_PLAIN:
      _talk_xmpp_connector_start_starttls (task, features);
      break;

    case STAGE_SECURE:
      _talk_xmpp_connector_start_sasl (task, features);
      break;

    case STAGE_AUTHENTICATED:
      _talk_xmpp_connector_start_bind (task, features);
      break;

    default:
      g_assert_not_reached ();
    }
}

static void
open_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(TalkXmppStanza) header = NULL;
  g_autoptr(GError) error = NULL;

  header = talk_xmpp_stream_open_finish (TALK_XMPP_STREAM (object), result, &error);
  if (header == NULL)
    {
      stream_failed (task, g_steal_pointer (&error));
      return;
    }

  _talk_xmpp_connector_receive (task, _("waiting for the server's features"), features_cb);
}

void
_talk_xmpp_connector_open_stream (GTask *task)
{
  TalkXmppConnector *self = g_task_get_source_object (task);
  const char *from = NULL;

  /* RFC 6120 §4.7.1: say who we are only once TLS protects it. */
  if (self->stage != STAGE_PLAIN)
    from = talk_xmpp_jid_get_bare_string (self->jid);

  _talk_xmpp_connector_phase_start (self, _("opening the stream"));
  talk_xmpp_stream_open_async (self->stream,
                               talk_xmpp_jid_get_domainpart (self->jid), from,
                               self->cancellable, open_cb, g_object_ref (task));
}

/* Public API */

/**
 * talk_xmpp_connector_connect_async:
 * @cancellable: (nullable): a #GCancellable
 *
 * Runs the attempt: resolve, connect, TLS, SASL, bind. Once per connector.
 */
void
talk_xmpp_connector_connect_async (TalkXmppConnector   *self,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (TALK_XMPP_IS_CONNECTOR (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, talk_xmpp_connector_connect_async);

  if (self->started)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING,
                               "A connector runs one attempt only");
      return;
    }
  self->started = TRUE;

  if (talk_xmpp_jid_get_localpart (self->jid) == NULL)
    {
      g_task_return_new_error (task, TALK_XMPP_ERROR, TALK_XMPP_ERROR_INVALID_JID,
                               _("The address %s has no user name"),
                               talk_xmpp_jid_to_string (self->jid));
      return;
    }

  self->cancellable = g_cancellable_new ();
  if (cancellable != NULL)
    {
      self->user_cancellable = g_object_ref (cancellable);
      self->user_cancel_id = g_cancellable_connect (cancellable,
                                                    G_CALLBACK (user_cancelled_cb),
                                                    self, NULL);
    }

  _talk_xmpp_connector_resolve (task);
}

/**
 * talk_xmpp_connector_connect_finish:
 *
 * Returns: (transfer full): the stream, open, authenticated and bound
 */
TalkXmppStream *
talk_xmpp_connector_connect_finish (TalkXmppConnector  *self,
                                    GAsyncResult       *result,
                                    GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        talk_xmpp_connector_connect_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * talk_xmpp_connector_get_bound_jid:
 *
 * Returns: (transfer none) (nullable): the full JID the server bound
 */
TalkXmppJid *
talk_xmpp_connector_get_bound_jid (TalkXmppConnector *self)
{
  g_return_val_if_fail (TALK_XMPP_IS_CONNECTOR (self), NULL);

  return self->bound_jid;
}

/**
 * talk_xmpp_connector_get_sasl_mechanism:
 *
 * Returns: the mechanism chosen, or NONE before SASL
 */
TalkXmppSaslMechanism
talk_xmpp_connector_get_sasl_mechanism (TalkXmppConnector *self)
{
  g_return_val_if_fail (TALK_XMPP_IS_CONNECTOR (self), TALK_XMPP_SASL_MECHANISM_NONE);

  return self->mechanism;
}

/**
 * talk_xmpp_connector_get_channel_binding:
 *
 * Returns: (nullable): the channel binding type used by a -PLUS mechanism
 */
const char *
talk_xmpp_connector_get_channel_binding (TalkXmppConnector *self)
{
  g_return_val_if_fail (TALK_XMPP_IS_CONNECTOR (self), NULL);

  return self->channel_binding;
}

/**
 * talk_xmpp_connector_get_features:
 *
 * Returns: (transfer none) (nullable): the <stream:features/> received
 *   after authentication
 */
TalkXmppStanza *
talk_xmpp_connector_get_features (TalkXmppConnector *self)
{
  g_return_val_if_fail (TALK_XMPP_IS_CONNECTOR (self), NULL);

  return self->features;
}

/**
 * talk_xmpp_connector_get_peer_fingerprint:
 *
 * Returns: (nullable): SHA-256 of the server certificate, "AB:CD:…"
 */
const char *
talk_xmpp_connector_get_peer_fingerprint (TalkXmppConnector *self)
{
  g_return_val_if_fail (TALK_XMPP_IS_CONNECTOR (self), NULL);

  return self->peer_fingerprint;
}

/**
 * talk_xmpp_connector_get_peer_errors:
 *
 * Returns: why the server certificate did not validate, 0 when it did (or
 *   before the handshake)
 */
GTlsCertificateFlags
talk_xmpp_connector_get_peer_errors (TalkXmppConnector *self)
{
  g_return_val_if_fail (TALK_XMPP_IS_CONNECTOR (self), 0);

  return self->peer_errors;
}

/**
 * talk_xmpp_connector_get_peer_certificate:
 *
 * Returns: (transfer none) (nullable): the server certificate
 */
GTlsCertificate *
talk_xmpp_connector_get_peer_certificate (TalkXmppConnector *self)
{
  g_return_val_if_fail (TALK_XMPP_IS_CONNECTOR (self), NULL);

  return self->peer_certificate;
}

/**
 * talk_xmpp_connector_get_tls_version:
 *
 * Returns: (nullable): "TLS 1.3", "TLS 1.2"…
 */
const char *
talk_xmpp_connector_get_tls_version (TalkXmppConnector *self)
{
  g_return_val_if_fail (TALK_XMPP_IS_CONNECTOR (self), NULL);

  return self->tls_version;
}

/**
 * talk_xmpp_connector_get_remote_address:
 *
 * Returns: (nullable): "host:port" last connected to
 */
const char *
talk_xmpp_connector_get_remote_address (TalkXmppConnector *self)
{
  g_return_val_if_fail (TALK_XMPP_IS_CONNECTOR (self), NULL);

  return self->remote_address;
}

/**
 * talk_xmpp_connector_get_direct_tls:
 *
 * Returns: whether the connection used direct TLS (XEP-0368)
 */
gboolean
talk_xmpp_connector_get_direct_tls (TalkXmppConnector *self)
{
  g_return_val_if_fail (TALK_XMPP_IS_CONNECTOR (self), FALSE);

  return self->direct_tls;
}
