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
 */

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "talk-xmpp-connector.h"
#include "talk-xmpp-enums.h"

#define DEFAULT_TIMEOUT_SECONDS 30
#define DEFAULT_PORT            5222
#define DEFAULT_DIRECT_TLS_PORT 5223
#define MAX_REDIRECTS           2
#define MAX_SERVER_TEXT_CHARS   200

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

/* Channel binding types in the order we probe them (RFC 9266, RFC 5929). */
typedef struct
{
  const char             *name;
  GTlsChannelBindingType  type;
} BindingType;

static const BindingType binding_types[] = {
  { "tls-exporter", G_TLS_CHANNEL_BINDING_TLS_EXPORTER },
  { "tls-unique", G_TLS_CHANNEL_BINDING_TLS_UNIQUE },
  { "tls-server-end-point", G_TLS_CHANNEL_BINDING_TLS_SERVER_END_POINT },
};

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

static void connect_candidate (GTask *task);
static void start_tls         (GTask *task);
static void open_stream       (GTask *task);

static void
set_str (char       **ptr,
         const char  *value)
{
  if (*ptr != value)
    {
      g_free (*ptr);
      *ptr = g_strdup (value);
    }
}

static void
candidate_free (Candidate *candidate)
{
  g_free (candidate->host);
  g_free (candidate);
}

static void
clear_srv_targets (TalkXmppConnector *self)
{
  for (guint i = 0; i < G_N_ELEMENTS (self->srv_targets); i++)
    g_list_free_full (g_steal_pointer (&self->srv_targets[i]),
                      (GDestroyNotify) g_srv_target_free);
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
  clear_srv_targets (self);
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
  self->candidates = g_ptr_array_new_with_free_func ((GDestroyNotify) candidate_free);
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

  set_str (&self->manual_host, host != NULL && host[0] != '\0' ? host : NULL);
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

  set_str (&self->pinned_fingerprint, fingerprint);
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

  set_str (&self->resource, resource != NULL && resource[0] != '\0' ? resource : NULL);
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

/* Fingerprints */

/**
 * talk_xmpp_certificate_dup_fingerprint:
 * @certificate: a certificate
 *
 * Returns: (transfer full): the SHA-256 of its DER form, "AB:CD:…"
 */
char *
talk_xmpp_certificate_dup_fingerprint (GTlsCertificate *certificate)
{
  g_autoptr(GByteArray) der = NULL;
  g_autoptr(GChecksum) checksum = NULL;
  g_autoptr(GString) out = g_string_new (NULL);
  guint8 digest[32];
  gsize digest_len = sizeof digest;

  g_return_val_if_fail (G_IS_TLS_CERTIFICATE (certificate), NULL);

  g_object_get (certificate, "certificate", &der, NULL);
  g_return_val_if_fail (der != NULL, NULL);

  checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (checksum, der->data, der->len);
  g_checksum_get_digest (checksum, digest, &digest_len);

  for (gsize i = 0; i < digest_len; i++)
    g_string_append_printf (out, i == 0 ? "%02X" : ":%02X", digest[i]);

  return g_string_free (g_steal_pointer (&out), FALSE);
}

static char *
normalize_fingerprint (const char *fingerprint)
{
  GString *out = g_string_new (NULL);

  for (const char *p = fingerprint; *p != '\0'; p++)
    if (*p != ':' && !g_ascii_isspace (*p))
      g_string_append_c (out, g_ascii_tolower (*p));

  return g_string_free (out, FALSE);
}

/**
 * talk_xmpp_fingerprint_equal:
 * @a: (nullable): a fingerprint
 * @b: (nullable): another
 *
 * Returns: whether both are set and equal, ignoring case, colons and spaces
 */
gboolean
talk_xmpp_fingerprint_equal (const char *a,
                             const char *b)
{
  g_autofree char *norm_a = NULL;
  g_autofree char *norm_b = NULL;

  if (a == NULL || b == NULL)
    return FALSE;

  norm_a = normalize_fingerprint (a);
  norm_b = normalize_fingerprint (b);

  return norm_a[0] != '\0' && g_str_equal (norm_a, norm_b);
}

/* Completing */

static void
emit_step (TalkXmppConnector     *self,
           TalkXmppConnectorStep  step,
           const char            *detail)
{
  g_signal_emit (self, signals[STEP], 0, step, detail);
}

static char *
dup_plain_text (const char *text)
{
  g_autoptr(GString) out = g_string_new (NULL);
  guint n_chars = 0;

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (n_chars++ == MAX_SERVER_TEXT_CHARS)
        {
          g_string_append (out, "…");
          break;
        }
      g_string_append_unichar (out, g_unichar_iscntrl (c) ? ' ' : c);
    }

  return g_strstrip (g_string_free (g_steal_pointer (&out), FALSE));
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
static void
teardown (TalkXmppConnector *self)
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

static void
fail (GTask  *task,
      GError *error)
{
  TalkXmppConnector *self = g_task_get_source_object (task);

  if (self->timed_out && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_error_free (error);
      error = g_error_new (TALK_XMPP_ERROR, TALK_XMPP_ERROR_TIMEOUT,
                           _("The server did not answer in time (while %s)"),
                           self->phase);
    }

  g_debug ("Connecting as %s failed: %s",
           talk_xmpp_jid_get_bare_string (self->jid), error->message);

  finish_attempt (self);
  teardown (self);
  g_task_return_error (task, error);
}

static void
fail_literal (GTask      *task,
              int         code,
              const char *message)
{
  fail (task, g_error_new_literal (TALK_XMPP_ERROR, code, message));
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

/* @phase: completes "The server did not answer in time (while …)" */
static void
phase_start (TalkXmppConnector *self,
             const char        *phase)
{
  set_str (&self->phase, phase);
  g_clear_handle_id (&self->timeout_id, g_source_remove);
  self->timeout_id = g_timeout_add (self->timeout * 1000, phase_timeout_cb, self);
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

/* Writes @stanza; a failed write shows up in the next receive. */
static void
send (TalkXmppConnector *self,
      TalkXmppStanza    *stanza)
{
  talk_xmpp_stream_send_async (self->stream, stanza, self->cancellable, NULL, NULL);
}

/* see-other-host (RFC 6120 §4.9.3.19) */

static gboolean
follow_redirect (GTask *task)
{
  TalkXmppConnector *self = g_task_get_source_object (task);
  TalkXmppStanza *stream_error = talk_xmpp_stream_get_stream_error (self->stream);
  g_autoptr(GSocketConnectable) address = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  Candidate *candidate;
  guint16 default_port;

  /* Only once the server has proven who it is (RFC 6120 erratum 3651). */
  if (self->stage == STAGE_PLAIN || self->redirects >= MAX_REDIRECTS || stream_error == NULL)
    return FALSE;

  text = talk_xmpp_stanza_dup_child_text (stream_error, "see-other-host", TALK_XMPP_NS_STREAMS);
  if (text == NULL)
    return FALSE;

  default_port = self->direct_tls ? DEFAULT_DIRECT_TLS_PORT : DEFAULT_PORT;
  address = g_network_address_parse (g_strstrip (text), default_port, &error);
  if (address == NULL)
    {
      g_debug ("Ignoring a redirect to an invalid address: %s", error->message);
      return FALSE;
    }

  self->redirects++;
  g_debug ("The server redirects to %s", text);

  candidate = g_new0 (Candidate, 1);
  candidate->host = g_strdup (g_network_address_get_hostname (G_NETWORK_ADDRESS (address)));
  candidate->port = g_network_address_get_port (G_NETWORK_ADDRESS (address));
  candidate->direct_tls = self->direct_tls;

  teardown (self);
  g_ptr_array_set_size (self->candidates, 0);
  g_ptr_array_add (self->candidates, candidate);
  self->next_candidate = 0;
  self->any_address = FALSE;
  g_clear_error (&self->last_error);
  g_clear_object (&self->peer_certificate);
  g_clear_pointer (&self->peer_fingerprint, g_free);
  self->peer_errors = 0;

  connect_candidate (task);
  return TRUE;
}

/* Handles an error from the stream: a redirect is followed, anything else
 * (a stream error from the server included) ends the attempt. */
static void
stream_failed (GTask  *task,
               GError *error)
{
  if (g_error_matches (error, TALK_XMPP_STREAM_ERROR, TALK_XMPP_STREAM_ERROR_SEE_OTHER_HOST) &&
      follow_redirect (task))
    {
      g_error_free (error);
      return;
    }

  fail (task, error);
}

static void
unexpected (GTask          *task,
            TalkXmppStanza *stanza,
            const char     *expected)
{
  g_debug ("Expected %s, got <%s xmlns='%s'/>", expected,
           talk_xmpp_stanza_get_name (stanza),
           talk_xmpp_stanza_get_ns (stanza) ? talk_xmpp_stanza_get_ns (stanza) : "");
  fail_literal (task, TALK_XMPP_ERROR_PROTOCOL,
                _("The server answered with something Talk did not expect"));
}

/* Done */

static void
done (GTask *task)
{
  TalkXmppConnector *self = g_task_get_source_object (task);
  g_autofree char *detail = g_strdup_printf (_("bound as %s"),
                                             talk_xmpp_jid_to_string (self->bound_jid));

  finish_attempt (self);
  emit_step (self, TALK_XMPP_CONNECTOR_STEP_DONE, detail);
  g_task_return_pointer (task, g_steal_pointer (&self->stream), g_object_unref);
}

/* Binding (RFC 6120 §7) and the legacy session (RFC 3921 §3) */

static void
session_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TalkXmppConnector *self = g_task_get_source_object (task);
  g_autoptr(TalkXmppStanza) stanza = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) iq_error = NULL;

  stanza = talk_xmpp_stream_recv_finish (TALK_XMPP_STREAM (object), result, &error);
  if (stanza == NULL)
    {
      stream_failed (task, g_steal_pointer (&error));
      return;
    }

  if (!talk_xmpp_stanza_is (stanza, "iq", TALK_XMPP_NS_CLIENT) ||
      g_strcmp0 (talk_xmpp_stanza_get_id (stanza), self->iq_id) != 0)
    {
      g_debug ("Ignoring <%s/> while waiting for the session", talk_xmpp_stanza_get_name (stanza));
      talk_xmpp_stream_recv_async (self->stream, self->cancellable, session_cb,
                                   g_object_ref (task));
      return;
    }

  if (talk_xmpp_stanza_get_error (stanza, &iq_error))
    {
      fail (task, g_error_new (TALK_XMPP_ERROR, TALK_XMPP_ERROR_BIND_FAILED,
                               _("The server refused to start the session: %s"),
                               iq_error->message));
      return;
    }

  done (task);
}

static void
start_session (GTask *task)
{
  TalkXmppConnector *self = g_task_get_source_object (task);
  g_autoptr(TalkXmppStanza) iq = NULL;

  g_free (self->iq_id);
  self->iq_id = talk_xmpp_generate_id ();
  iq = talk_xmpp_stanza_new_iq ("set", NULL, self->iq_id);
  talk_xmpp_stanza_add_child (iq, "session", TALK_XMPP_NS_SESSION);
  send (self, iq);

  phase_start (self, _("starting the session"));
  talk_xmpp_stream_recv_async (self->stream, self->cancellable, session_cb, g_object_ref (task));
}

static gboolean
needs_session (TalkXmppStanza *features)
{
  TalkXmppStanza *session = talk_xmpp_stanza_get_child (features, "session", TALK_XMPP_NS_SESSION);

  /* draft-cridland-xmpp-session-01: <optional/> means skip it. */
  return session != NULL && talk_xmpp_stanza_get_child (session, "optional", NULL) == NULL;
}

static gboolean
check_bound_jid (TalkXmppConnector  *self,
                 TalkXmppStanza     *result,
                 GError            **error)
{
  TalkXmppStanza *bind = talk_xmpp_stanza_get_child (result, "bind", TALK_XMPP_NS_BIND);
  g_autofree char *text = NULL;
  g_autoptr(TalkXmppJid) jid = NULL;

  if (bind != NULL)
    text = talk_xmpp_stanza_dup_child_text (bind, "jid", TALK_XMPP_NS_BIND);
  if (text != NULL)
    jid = talk_xmpp_jid_new (g_strstrip (text), NULL);

  /* The server may pick the resource, never the account. */
  if (jid == NULL ||
      talk_xmpp_jid_get_resourcepart (jid) == NULL ||
      !talk_xmpp_jid_equal_bare (jid, self->jid))
    {
      g_set_error_literal (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_BIND_FAILED,
                           _("The server bound the session to an address that is not "
                             "this account"));
      return FALSE;
    }

  g_clear_pointer (&self->bound_jid, talk_xmpp_jid_unref);
  self->bound_jid = g_steal_pointer (&jid);
  return TRUE;
}

static void
bind_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TalkXmppConnector *self = g_task_get_source_object (task);
  g_autoptr(TalkXmppStanza) stanza = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) iq_error = NULL;

  stanza = talk_xmpp_stream_recv_finish (TALK_XMPP_STREAM (object), result, &error);
  if (stanza == NULL)
    {
      stream_failed (task, g_steal_pointer (&error));
      return;
    }

  if (!talk_xmpp_stanza_is (stanza, "iq", TALK_XMPP_NS_CLIENT) ||
      g_strcmp0 (talk_xmpp_stanza_get_id (stanza), self->iq_id) != 0)
    {
      g_debug ("Ignoring <%s/> while waiting for the bind result",
               talk_xmpp_stanza_get_name (stanza));
      talk_xmpp_stream_recv_async (self->stream, self->cancellable, bind_cb,
                                   g_object_ref (task));
      return;
    }

  if (talk_xmpp_stanza_get_error (stanza, &iq_error))
    {
      fail (task, g_error_new (TALK_XMPP_ERROR, TALK_XMPP_ERROR_BIND_FAILED,
                               _("The server refused the resource: %s"),
                               iq_error->message));
      return;
    }

  if (g_strcmp0 (talk_xmpp_stanza_get_stanza_type (stanza), "result") != 0 ||
      !check_bound_jid (self, stanza, &error))
    {
      if (error == NULL)
        error = g_error_new_literal (TALK_XMPP_ERROR, TALK_XMPP_ERROR_BIND_FAILED,
                                     _("The server did not bind a resource"));
      fail (task, g_steal_pointer (&error));
      return;
    }

  if (needs_session (self->features))
    start_session (task);
  else
    done (task);
}

static void
start_bind (GTask          *task,
            TalkXmppStanza *features)
{
  TalkXmppConnector *self = g_task_get_source_object (task);
  g_autoptr(TalkXmppStanza) iq = NULL;
  TalkXmppStanza *bind;

  g_clear_pointer (&self->features, talk_xmpp_stanza_unref);
  self->features = talk_xmpp_stanza_ref (features);

  if (talk_xmpp_stanza_get_child (features, "bind", TALK_XMPP_NS_BIND) == NULL)
    {
      fail_literal (task, TALK_XMPP_ERROR_BIND_FAILED,
                    _("The server does not offer to bind a resource"));
      return;
    }

  emit_step (self, TALK_XMPP_CONNECTOR_STEP_BINDING, self->resource);

  g_free (self->iq_id);
  self->iq_id = talk_xmpp_generate_id ();
  iq = talk_xmpp_stanza_new_iq ("set", NULL, self->iq_id);
  bind = talk_xmpp_stanza_add_child (iq, "bind", TALK_XMPP_NS_BIND);
  if (self->resource != NULL)
    talk_xmpp_stanza_add_child_with_text (bind, "resource", NULL, self->resource);
  send (self, iq);

  phase_start (self, _("binding a resource"));
  talk_xmpp_stream_recv_async (self->stream, self->cancellable, bind_cb, g_object_ref (task));
}

/* SASL (RFC 6120 §6) */

/* RFC 6120 §6.4.2: base64 without whitespace; "=" is empty. Anything else
 * is a broken server. */
static GBytes *
decode_sasl_data (TalkXmppStanza  *element,
                  GError         **error)
{
  g_autofree char *text = talk_xmpp_stanza_dup_text (element);
  gsize len = strlen (text);
  gsize out_len = 0;
  guchar *data;

  if (len == 0 || g_str_equal (text, "="))
    return g_bytes_new (NULL, 0);

  for (gsize i = 0; i < len; i++)
    {
      char c = text[i];

      if (g_ascii_isalnum (c) || c == '+' || c == '/')
        continue;
      /* Padding only at the end, at most two. */
      if (c == '=' && i + 2 >= len && (i + 1 == len || text[i + 1] == '='))
        continue;

      len = 0;
      break;
    }

  if (len == 0 || len % 4 != 0)
    {
      g_set_error_literal (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_AUTH_PROTOCOL,
                           _("The server sent malformed sign-in data"));
      return NULL;
    }

  data = g_base64_decode (text, &out_len);
  return g_bytes_new_take (data, out_len);
}

static void
send_sasl (TalkXmppConnector *self,
           const char        *name,
           GBytes            *payload,
           const char        *mechanism)
{
  g_autoptr(TalkXmppStanza) element = talk_xmpp_stanza_new (name, TALK_XMPP_NS_SASL);
  gsize size = payload ? g_bytes_get_size (payload) : 0;

  if (mechanism != NULL)
    talk_xmpp_stanza_set_attribute (element, "mechanism", mechanism);

  if (size > 0)
    {
      g_autofree char *encoded = g_base64_encode (g_bytes_get_data (payload, NULL), size);

      talk_xmpp_stanza_add_text (element, encoded);
    }
  else if (mechanism != NULL && payload != NULL)
    {
      /* RFC 6120 §6.4.2: an empty initial response is "=". */
      talk_xmpp_stanza_add_text (element, "=");
    }

  send (self, element);
}

static GError *
error_from_sasl_failure (TalkXmppStanza *failure)
{
  g_autofree char *text = talk_xmpp_stanza_dup_child_text (failure, "text", TALK_XMPP_NS_SASL);
  g_autofree char *plain = text ? dup_plain_text (text) : NULL;
  const char *condition = "not-authorized";
  TalkXmppStanzaIter iter;
  TalkXmppStanza *child;

  talk_xmpp_stanza_iter_init (&iter, failure);
  while (talk_xmpp_stanza_iter_next (&iter, &child))
    if (!g_str_equal (talk_xmpp_stanza_get_name (child), "text"))
      {
        condition = talk_xmpp_stanza_get_name (child);
        break;
      }

  if (plain != NULL && plain[0] == '\0')
    g_clear_pointer (&plain, g_free);

  /* RFC 6120 §6.5 */
  if (g_str_equal (condition, "not-authorized"))
    return g_error_new_literal (TALK_XMPP_ERROR, TALK_XMPP_ERROR_AUTH_FAILED,
                                _("Wrong password or user name"));
  if (g_str_equal (condition, "temporary-auth-failure"))
    return g_error_new_literal (TALK_XMPP_ERROR, TALK_XMPP_ERROR_FAILED,
                                plain ? plain : _("The server could not check the password; "
                                                  "try again later"));
  if (g_str_equal (condition, "account-disabled"))
    return g_error_new_literal (TALK_XMPP_ERROR, TALK_XMPP_ERROR_AUTH_FAILED,
                                plain ? plain : _("The account is disabled"));
  if (g_str_equal (condition, "credentials-expired"))
    return g_error_new_literal (TALK_XMPP_ERROR, TALK_XMPP_ERROR_AUTH_FAILED,
                                plain ? plain : _("The password has expired"));

  if (plain != NULL)
    return g_error_new_literal (TALK_XMPP_ERROR, TALK_XMPP_ERROR_AUTH_FAILED, plain);

  return g_error_new (TALK_XMPP_ERROR, TALK_XMPP_ERROR_AUTH_FAILED,
                      _("The server refused the sign-in (%s)"), condition);
}

static void
sasl_success (GTask          *task,
              TalkXmppStanza *success)
{
  TalkXmppConnector *self = g_task_get_source_object (task);
  g_autoptr(GBytes) data = NULL;
  g_autoptr(GError) error = NULL;

  /* RFC 5802 §5: a server that cannot prove it knows the password is not
   * the server we meant, whatever <success/> says. */
  if (!self->server_verified)
    {
      data = decode_sasl_data (success, &error);
      if (data == NULL ||
          !talk_xmpp_sasl_verify_success (self->sasl,
                                          g_bytes_get_size (data) > 0 ? data : NULL,
                                          &error))
        {
          fail (task, g_steal_pointer (&error));
          return;
        }
    }

  g_clear_object (&self->sasl);
  self->stage = STAGE_AUTHENTICATED;

  /* RFC 6120 §6.4.6: a new stream over the same connection. */
  open_stream (task);
}

static gboolean
sasl_challenge (TalkXmppConnector  *self,
                TalkXmppStanza     *challenge,
                GError            **error)
{
  g_autoptr(GBytes) data = NULL;
  g_autoptr(GBytes) response = NULL;

  data = decode_sasl_data (challenge, error);
  if (data == NULL)
    return FALSE;

  self->n_challenges++;

  if (self->n_challenges == 1)
    {
      response = talk_xmpp_sasl_step (self->sasl, data, error);
      if (response == NULL)
        return FALSE;
    }
  else if (self->n_challenges == 2 && !self->server_verified)
    {
      /* Some servers send the server-final-message as a challenge. */
      if (!talk_xmpp_sasl_verify_success (self->sasl, data, error))
        return FALSE;
      self->server_verified = TRUE;
    }
  else
    {
      g_set_error_literal (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_AUTH_PROTOCOL,
                           _("The server sent more sign-in challenges than the method has"));
      return FALSE;
    }

  send_sasl (self, "response", response, NULL);
  return TRUE;
}

static void
sasl_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TalkXmppConnector *self = g_task_get_source_object (task);
  g_autoptr(TalkXmppStanza) stanza = NULL;
  g_autoptr(GError) error = NULL;

  stanza = talk_xmpp_stream_recv_finish (TALK_XMPP_STREAM (object), result, &error);
  if (stanza == NULL)
    {
      stream_failed (task, g_steal_pointer (&error));
      return;
    }

  if (talk_xmpp_stanza_is (stanza, "challenge", TALK_XMPP_NS_SASL))
    {
      if (!sasl_challenge (self, stanza, &error))
        fail (task, g_steal_pointer (&error));
      else
        talk_xmpp_stream_recv_async (self->stream, self->cancellable, sasl_cb,
                                     g_object_ref (task));
    }
  else if (talk_xmpp_stanza_is (stanza, "success", TALK_XMPP_NS_SASL))
    sasl_success (task, stanza);
  else if (talk_xmpp_stanza_is (stanza, "failure", TALK_XMPP_NS_SASL))
    fail (task, error_from_sasl_failure (stanza));
  else
    unexpected (task, stanza, "a SASL answer");
}

/* The channel binding data this TLS session can produce, by type name. */
static GHashTable *
probe_channel_bindings (TalkXmppConnector *self,
                        gboolean           tls13)
{
  GHashTable *local = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                             (GDestroyNotify) g_bytes_unref);

  for (guint i = 0; i < G_N_ELEMENTS (binding_types); i++)
    {
      g_autoptr(GByteArray) bytes = g_byte_array_new ();
      g_autoptr(GError) error = NULL;
      GTlsChannelBindingType type = binding_types[i].type;

      /* RFC 9266: tls-exporter needs TLS 1.3 (or EMS); tls-unique is
       * unsafe on 1.3. */
      if ((type == G_TLS_CHANNEL_BINDING_TLS_EXPORTER && !tls13) ||
          (type == G_TLS_CHANNEL_BINDING_TLS_UNIQUE && tls13))
        continue;

      if (!g_tls_connection_get_channel_binding_data (self->tls, type, bytes, &error))
        {
          g_debug ("No %s channel binding: %s", binding_types[i].name, error->message);
          continue;
        }

      g_hash_table_insert (local, (gpointer) binding_types[i].name,
                           g_byte_array_free_to_bytes (g_steal_pointer (&bytes)));
    }

  return local;
}

static GStrv
dup_mechanisms (TalkXmppStanza *features)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  TalkXmppStanza *mechanisms = talk_xmpp_stanza_get_child (features, "mechanisms",
                                                           TALK_XMPP_NS_SASL);
  TalkXmppStanzaIter iter;
  TalkXmppStanza *child;

  if (mechanisms != NULL)
    {
      talk_xmpp_stanza_iter_init (&iter, mechanisms);
      while (talk_xmpp_stanza_iter_next (&iter, &child))
        if (talk_xmpp_stanza_is (child, "mechanism", TALK_XMPP_NS_SASL))
          {
            g_autofree char *name = talk_xmpp_stanza_dup_text (child);

            g_strv_builder_add (builder, g_strstrip (name));
          }
    }

  return g_strv_builder_end (builder);
}

/* XEP-0440; NULL when the server does not say. */
static GStrv
dup_server_bindings (TalkXmppStanza *features)
{
  g_autoptr(GStrvBuilder) builder = NULL;
  TalkXmppStanza *list = talk_xmpp_stanza_get_child (features, "sasl-channel-binding",
                                                     TALK_XMPP_NS_SASL_CB);
  TalkXmppStanzaIter iter;
  TalkXmppStanza *child;

  if (list == NULL)
    return NULL;

  builder = g_strv_builder_new ();
  talk_xmpp_stanza_iter_init (&iter, list);
  while (talk_xmpp_stanza_iter_next (&iter, &child))
    {
      const char *type = talk_xmpp_stanza_get_attribute (child, "type");

      if (g_str_equal (talk_xmpp_stanza_get_name (child), "channel-binding") && type != NULL)
        g_strv_builder_add (builder, type);
    }

  return g_strv_builder_end (builder);
}

static gboolean
offers_plus (const char * const *mechanisms)
{
  for (guint i = 0; mechanisms[i] != NULL; i++)
    if (g_str_has_suffix (mechanisms[i], "-PLUS"))
      return TRUE;

  return FALSE;
}

/* Picks the mechanism and channel binding (XEP-0440) and sets up the
 * exchange. */
static gboolean
create_sasl (TalkXmppConnector  *self,
             TalkXmppStanza     *features,
             GError            **error)
{
  gboolean tls13 = g_tls_connection_get_protocol_version (self->tls) ==
                   G_TLS_PROTOCOL_VERSION_TLS_1_3;
  g_autoptr(GHashTable) local = probe_channel_bindings (self, tls13);
  g_autofree const char **local_types = NULL;
  g_auto(GStrv) offered = dup_mechanisms (features);
  g_auto(GStrv) server_types = dup_server_bindings (features);
  const char *cb_type;
  gboolean plus;

  local_types = (const char **) g_hash_table_get_keys_as_array (local, NULL);
  cb_type = talk_xmpp_sasl_choose_channel_binding ((const char * const *) server_types,
                                                   tls13, local_types);
  self->mechanism = talk_xmpp_sasl_choose ((const char * const *) offered,
                                           cb_type != NULL, TRUE);

  if (self->mechanism == TALK_XMPP_SASL_MECHANISM_NONE)
    {
      g_autofree char *list = g_strjoinv (", ", offered);

      g_set_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_AUTH_MECHANISM,
                   _("The server offers no sign-in method Talk trusts (it offers: %s)"),
                   list[0] ? list : _("none"));
      return FALSE;
    }

  plus = talk_xmpp_sasl_mechanism_is_plus (self->mechanism);
  self->sasl = talk_xmpp_sasl_new (self->mechanism,
                                   talk_xmpp_jid_get_localpart (self->jid),
                                   self->password,
                                   plus ? cb_type : NULL,
                                   plus ? g_hash_table_lookup (local, cb_type) : NULL);

  /* RFC 5802 §6 "y": we could bind, the server offered no -PLUS; a
   * downgrade that stripped them fails the exchange. */
  if (!plus && g_hash_table_size (local) > 0 && !offers_plus ((const char * const *) offered))
    talk_xmpp_sasl_set_client_supports_binding (self->sasl, TRUE);

  set_str (&self->channel_binding, plus ? cb_type : NULL);
  return TRUE;
}

static void
start_sasl (GTask          *task,
            TalkXmppStanza *features)
{
  TalkXmppConnector *self = g_task_get_source_object (task);
  g_autoptr(GBytes) initial = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *detail = NULL;
  const char *mech_name;

  if (!create_sasl (self, features, &error))
    {
      fail (task, g_steal_pointer (&error));
      return;
    }

  mech_name = talk_xmpp_sasl_mechanism_to_string (self->mechanism);
  if (self->channel_binding != NULL)
    detail = g_strdup_printf ("%s (%s)", mech_name, self->channel_binding);
  emit_step (self, TALK_XMPP_CONNECTOR_STEP_AUTHENTICATING, detail ? detail : mech_name);

  initial = talk_xmpp_sasl_initial_response (self->sasl, &error);
  if (initial == NULL)
    {
      fail (task, g_steal_pointer (&error));
      return;
    }

  self->n_challenges = 0;
  self->server_verified = FALSE;
  send_sasl (self, "auth", initial, mech_name);

  phase_start (self, _("signing in"));
  talk_xmpp_stream_recv_async (self->stream, self->cancellable, sasl_cb,
                               g_object_ref (task));
}

/* STARTTLS (RFC 6120 §5) */

static void
proceed_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(TalkXmppStanza) stanza = NULL;
  g_autoptr(GError) error = NULL;

  stanza = talk_xmpp_stream_recv_finish (TALK_XMPP_STREAM (object), result, &error);
  if (stanza == NULL)
    stream_failed (task, g_steal_pointer (&error));
  else if (talk_xmpp_stanza_is (stanza, "proceed", TALK_XMPP_NS_TLS))
    start_tls (task);
  else if (talk_xmpp_stanza_is (stanza, "failure", TALK_XMPP_NS_TLS))
    fail_literal (task, TALK_XMPP_ERROR_TLS_FAILED,
                  _("The server could not start encryption, so Talk did not continue"));
  else
    unexpected (task, stanza, "<proceed/>");
}

static void
start_starttls (GTask          *task,
                TalkXmppStanza *features)
{
  TalkXmppConnector *self = g_task_get_source_object (task);
  g_autoptr(TalkXmppStanza) starttls = NULL;

  /* Never plaintext, whatever <required/> says (CVE-2016-10027). */
  if (talk_xmpp_stanza_get_child (features, "starttls", TALK_XMPP_NS_TLS) == NULL)
    {
      fail_literal (task, TALK_XMPP_ERROR_NO_TLS,
                    _("The server did not offer encryption, so Talk did not continue"));
      return;
    }

  starttls = talk_xmpp_stanza_new ("starttls", TALK_XMPP_NS_TLS);
  send (self, starttls);

  phase_start (self, _("starting encryption"));
  talk_xmpp_stream_recv_async (self->stream, self->cancellable, proceed_cb, g_object_ref (task));
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
  g_autoptr(GError) error = NULL;

  features = talk_xmpp_stream_recv_finish (TALK_XMPP_STREAM (object), result, &error);
  if (features == NULL)
    {
      stream_failed (task, g_steal_pointer (&error));
      return;
    }

  if (!talk_xmpp_stanza_is (features, "features", TALK_XMPP_NS_STREAM))
    {
      unexpected (task, features, "<stream:features/>");
      return;
    }

  switch (self->stage)
    {
    case STAGE_PLAIN:
      start_starttls (task, features);
      break;

    case STAGE_SECURE:
      start_sasl (task, features);
      break;

    case STAGE_AUTHENTICATED:
      start_bind (task, features);
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
  TalkXmppConnector *self = g_task_get_source_object (task);
  g_autoptr(TalkXmppStanza) header = NULL;
  g_autoptr(GError) error = NULL;

  header = talk_xmpp_stream_open_finish (TALK_XMPP_STREAM (object), result, &error);
  if (header == NULL)
    {
      stream_failed (task, g_steal_pointer (&error));
      return;
    }

  phase_start (self, _("waiting for the server's features"));
  talk_xmpp_stream_recv_async (self->stream, self->cancellable, features_cb,
                               g_object_ref (task));
}

static void
open_stream (GTask *task)
{
  TalkXmppConnector *self = g_task_get_source_object (task);
  const char *from = NULL;

  /* RFC 6120 §4.7.1: say who we are only once TLS protects it. */
  if (self->stage != STAGE_PLAIN)
    from = talk_xmpp_jid_get_bare_string (self->jid);

  phase_start (self, _("opening the stream"));
  talk_xmpp_stream_open_async (self->stream,
                               talk_xmpp_jid_get_domainpart (self->jid), from,
                               self->cancellable, open_cb, g_object_ref (task));
}

/* TLS */

static const char *
describe_protocol_version (GTlsProtocolVersion version)
{
  switch (version)
    {
    case G_TLS_PROTOCOL_VERSION_SSL_3_0:
      return "SSL 3.0";
    case G_TLS_PROTOCOL_VERSION_TLS_1_0:
      return "TLS 1.0";
    case G_TLS_PROTOCOL_VERSION_TLS_1_1:
      return "TLS 1.1";
    case G_TLS_PROTOCOL_VERSION_TLS_1_2:
      return "TLS 1.2";
    case G_TLS_PROTOCOL_VERSION_TLS_1_3:
      return "TLS 1.3";
    case G_TLS_PROTOCOL_VERSION_DTLS_1_0:
      return "DTLS 1.0";
    case G_TLS_PROTOCOL_VERSION_DTLS_1_2:
      return "DTLS 1.2";
    case G_TLS_PROTOCOL_VERSION_UNKNOWN:
    default:
      return "TLS";
    }
}

static char *
describe_certificate_errors (GTlsCertificateFlags errors)
{
  static const struct
  {
    GTlsCertificateFlags flag;
    const char *text;
  } problems[] = {
    { G_TLS_CERTIFICATE_UNKNOWN_CA, N_("issuer unknown") },
    { G_TLS_CERTIFICATE_BAD_IDENTITY, N_("issued for another name") },
    { G_TLS_CERTIFICATE_NOT_ACTIVATED, N_("not valid yet") },
    { G_TLS_CERTIFICATE_EXPIRED, N_("expired") },
    { G_TLS_CERTIFICATE_REVOKED, N_("revoked") },
    { G_TLS_CERTIFICATE_INSECURE, N_("insecure algorithm") },
    { G_TLS_CERTIFICATE_GENERIC_ERROR, N_("invalid") },
  };
  g_autoptr(GString) out = g_string_new (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (problems); i++)
    if (errors & problems[i].flag)
      {
        if (out->len > 0)
          g_string_append (out, ", ");
        g_string_append (out, _(problems[i].text));
      }

  if (out->len == 0)
    g_string_append (out, _("invalid"));

  return g_string_free (g_steal_pointer (&out), FALSE);
}

static void
remember_certificate (TalkXmppConnector    *self,
                      GTlsCertificate      *certificate,
                      GTlsCertificateFlags  errors)
{
  g_set_object (&self->peer_certificate, certificate);
  g_free (self->peer_fingerprint);
  self->peer_fingerprint = talk_xmpp_certificate_dup_fingerprint (certificate);
  self->peer_errors = errors;
}

/* Only called when the certificate did not validate. */
static gboolean
accept_certificate_cb (GTlsConnection       *tls,
                       GTlsCertificate      *certificate,
                       GTlsCertificateFlags  errors,
                       gpointer              user_data)
{
  TalkXmppConnector *self = user_data;

  remember_certificate (self, certificate, errors);

  /* A pin accepts exactly the certificate the user saw, for this account. */
  if (talk_xmpp_fingerprint_equal (self->pinned_fingerprint, self->peer_fingerprint))
    {
      g_debug ("Accepting the pinned certificate %s", self->peer_fingerprint);
      return TRUE;
    }

  self->certificate_rejected = TRUE;
  return FALSE;
}

static void
handshake_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TalkXmppConnector *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autofree char *detail = NULL;
  GTlsCertificate *certificate;

  if (!g_tls_connection_handshake_finish (G_TLS_CONNECTION (object), result, &error))
    {
      self->tls_failed = TRUE;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        fail (task, g_steal_pointer (&error));
      else if (self->certificate_rejected)
        {
          g_autofree char *problems = describe_certificate_errors (self->peer_errors);

          fail (task,
                g_error_new (TALK_XMPP_ERROR, TALK_XMPP_ERROR_CERTIFICATE,
                             _("The server's certificate is not trusted (%s). "
                               "SHA-256 fingerprint: %s"),
                             problems, self->peer_fingerprint));
        }
      else
        fail (task,
              g_error_new (TALK_XMPP_ERROR, TALK_XMPP_ERROR_TLS_FAILED,
                           _("The secure connection could not be set up: %s"),
                           error->message));
      return;
    }

  /* A valid certificate never reached accept-certificate. */
  certificate = g_tls_connection_get_peer_certificate (self->tls);
  if (certificate != NULL && self->peer_certificate == NULL)
    remember_certificate (self, certificate, 0);

  set_str (&self->tls_version,
             describe_protocol_version (g_tls_connection_get_protocol_version (self->tls)));
  detail = g_strdup_printf (_("%s, certificate SHA-256 %s"), self->tls_version,
                            self->peer_fingerprint ? self->peer_fingerprint : "?");
  emit_step (self, TALK_XMPP_CONNECTOR_STEP_SECURING, detail);

  self->stage = STAGE_SECURE;
  if (self->stream == NULL)
    self->stream = talk_xmpp_stream_new (G_IO_STREAM (self->tls));
  else
    talk_xmpp_stream_set_base_stream (self->stream, G_IO_STREAM (self->tls));

  /* RFC 6120 §5.4.3.3: a new stream over TLS. */
  open_stream (task);
}

static void
start_tls (GTask *task)
{
  TalkXmppConnector *self = g_task_get_source_object (task);
  static const char * const alpn[] = { "xmpp-client", NULL };
  g_autoptr(GSocketConnectable) identity = NULL;
  g_autofree char *domain = NULL;
  g_autoptr(GError) error = NULL;
  GIOStream *tls;

  /* The reference identity is the JID's domain, never the host we reached
   * (RFC 7590 §3.2; SRV and redirects are not authenticated). */
  domain = g_hostname_to_ascii (talk_xmpp_jid_get_domainpart (self->jid));
  if (domain == NULL)
    domain = g_strdup (talk_xmpp_jid_get_domainpart (self->jid));
  identity = g_network_address_new (domain, DEFAULT_PORT);

  tls = g_tls_client_connection_new (G_IO_STREAM (self->connection), identity, &error);
  if (tls == NULL)
    {
      fail (task,
            g_error_new (TALK_XMPP_ERROR, TALK_XMPP_ERROR_TLS_FAILED,
                         _("The secure connection could not be set up: %s"),
                         error->message));
      return;
    }

  g_clear_object (&self->tls);
  self->tls = G_TLS_CONNECTION (tls);

  /* XEP-0368 §3 */
  if (self->direct_tls)
    g_tls_connection_set_advertised_protocols (self->tls, alpn);

  g_signal_connect_object (self->tls, "accept-certificate",
                           G_CALLBACK (accept_certificate_cb), self, 0);

  emit_step (self, TALK_XMPP_CONNECTOR_STEP_SECURING,
             self->direct_tls ? "direct TLS" : "STARTTLS");
  phase_start (self, _("setting up encryption"));
  g_tls_connection_handshake_async (self->tls, G_PRIORITY_DEFAULT, self->cancellable,
                                    handshake_cb, g_object_ref (task));
}

/* Connecting */

static void
fail_all_candidates (GTask *task)
{
  TalkXmppConnector *self = g_task_get_source_object (task);
  const char *reason = self->last_error ? self->last_error->message : _("no address");

  if (!self->any_address)
    fail (task, g_error_new (TALK_XMPP_ERROR, TALK_XMPP_ERROR_HOST_NOT_FOUND,
                             _("Server not found (%s)"), reason));
  else if (g_error_matches (self->last_error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_TIMEOUT) ||
           g_error_matches (self->last_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    fail (task, g_error_new (TALK_XMPP_ERROR, TALK_XMPP_ERROR_TIMEOUT,
                             _("The server did not answer in time (while %s)"), self->phase));
  else
    fail (task, g_error_new (TALK_XMPP_ERROR, TALK_XMPP_ERROR_CONNECTION_FAILED,
                             _("Could not connect to the server (%s)"), reason));
}

static void
connect_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TalkXmppConnector *self = g_task_get_source_object (task);
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  gboolean timed_out = self->connect_timed_out;
  Candidate *candidate;

  connection = g_socket_client_connect_finish (G_SOCKET_CLIENT (object), result, &error);
  g_clear_object (&self->connect_cancellable);
  self->connect_timed_out = FALSE;

  if (connection == NULL)
    {
      if (g_cancellable_is_cancelled (self->cancellable))
        {
          fail (task, g_steal_pointer (&error));
          return;
        }

      if (timed_out)
        {
          g_clear_error (&error);
          error = g_error_new (TALK_XMPP_ERROR, TALK_XMPP_ERROR_TIMEOUT,
                               _("The server did not answer in time (while %s)"), self->phase);
        }

      g_debug ("Could not connect to %s: %s", self->remote_address, error->message);
      if (error->domain != G_RESOLVER_ERROR)
        self->any_address = TRUE;
      g_clear_error (&self->last_error);
      self->last_error = g_steal_pointer (&error);
      connect_candidate (task);
      return;
    }

  /* GSocketClient's timeout stays on the socket; an idle stream must not
   * time out (keepalives are the session's business). */
  g_socket_set_timeout (g_socket_connection_get_socket (connection), 0);

  candidate = g_ptr_array_index (self->candidates, self->next_candidate - 1);
  self->direct_tls = candidate->direct_tls;
  self->connection = g_steal_pointer (&connection);

  if (self->direct_tls)
    start_tls (task);
  else
    {
      self->stream = talk_xmpp_stream_new (G_IO_STREAM (self->connection));
      open_stream (task);
    }
}

static void
connect_candidate (GTask *task)
{
  TalkXmppConnector *self = g_task_get_source_object (task);
  g_autoptr(GSocketClient) client = NULL;
  g_autoptr(GSocketConnectable) address = NULL;
  g_autofree char *phase = NULL;
  Candidate *candidate;

  if (self->next_candidate >= self->candidates->len)
    {
      fail_all_candidates (task);
      return;
    }

  candidate = g_ptr_array_index (self->candidates, self->next_candidate++);

  g_free (self->remote_address);
  if (strchr (candidate->host, ':') != NULL)
    self->remote_address = g_strdup_printf ("[%s]:%u", candidate->host, candidate->port);
  else
    self->remote_address = g_strdup_printf ("%s:%u", candidate->host, candidate->port);

  emit_step (self, TALK_XMPP_CONNECTOR_STEP_CONNECTING, self->remote_address);
  phase = g_strdup_printf (_("connecting to %s"), self->remote_address);
  phase_start (self, phase);

  client = g_socket_client_new ();
  g_socket_client_set_timeout (client, self->timeout);
  address = g_network_address_new (candidate->host, candidate->port);

  self->connect_cancellable = g_cancellable_new ();
  g_socket_client_connect_async (client, address, self->connect_cancellable,
                                 connect_cb, g_object_ref (task));
}

/* Resolving (RFC 6120 §3.2, XEP-0368 §3) */

static void
add_candidate (TalkXmppConnector *self,
               const char        *host,
               guint16            port,
               gboolean           direct_tls)
{
  Candidate *candidate = g_new0 (Candidate, 1);

  candidate->host = g_strdup (host);
  candidate->port = port;
  candidate->direct_tls = direct_tls;
  g_ptr_array_add (self->candidates, candidate);
}

/* RFC 2782: a lone "." target means "decidedly not available here". */
static gboolean
srv_refuses (GList *targets)
{
  const char *host;

  if (targets == NULL || targets->next != NULL)
    return FALSE;

  host = g_srv_target_get_hostname (targets->data);
  return host[0] == '\0' || g_str_equal (host, ".");
}

static void
resolve_done (GTask *task)
{
  TalkXmppConnector *self = g_task_get_source_object (task);
  GList *direct = self->srv_targets[0];
  GList *starttls = self->srv_targets[1];
  gboolean refused = FALSE;

  if (g_cancellable_is_cancelled (self->cancellable))
    {
      fail (task, g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                       _("The operation was cancelled")));
      return;
    }

  if (srv_refuses (direct))
    {
      direct = NULL;
      refused = TRUE;
    }
  if (srv_refuses (starttls))
    {
      starttls = NULL;
      refused = TRUE;
    }

  /* Each list is in RFC 2782 order already; merge by priority, direct TLS
   * first at equal priority (XEP-0368 §3). */
  while (direct != NULL || starttls != NULL)
    {
      gboolean take_direct;
      GList **list;

      if (direct == NULL)
        take_direct = FALSE;
      else if (starttls == NULL)
        take_direct = TRUE;
      else
        take_direct = g_srv_target_get_priority (direct->data) <=
                      g_srv_target_get_priority (starttls->data);

      list = take_direct ? &direct : &starttls;
      add_candidate (self, g_srv_target_get_hostname ((*list)->data),
                     g_srv_target_get_port ((*list)->data), take_direct);
      *list = (*list)->next;
    }

  clear_srv_targets (self);

  if (self->candidates->len == 0)
    {
      if (refused)
        {
          fail (task, g_error_new (TALK_XMPP_ERROR, TALK_XMPP_ERROR_HOST_NOT_FOUND,
                                   _("Server not found (%s does not offer XMPP)"),
                                   talk_xmpp_jid_get_domainpart (self->jid)));
          return;
        }

      /* RFC 6120 §3.2.2: no SRV records at all, try the domain itself. */
      add_candidate (self, talk_xmpp_jid_get_domainpart (self->jid), DEFAULT_PORT, FALSE);
    }

  connect_candidate (task);
}

static void
lookup_done (GTask        *task,
             GObject      *resolver,
             GAsyncResult *result,
             guint         index)
{
  TalkXmppConnector *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;

  /* NXDOMAIN or no records is normal: most domains have one list or none. */
  self->srv_targets[index] = g_resolver_lookup_service_finish (G_RESOLVER (resolver),
                                                               result, &error);
  if (error != NULL)
    g_debug ("SRV lookup: %s", error->message);

  if (--self->lookups_pending == 0)
    resolve_done (task);
}

static void
lookup_direct_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;

  lookup_done (task, object, result, 0);
}

static void
lookup_starttls_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;

  lookup_done (task, object, result, 1);
}

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
  const char *domain;

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

  domain = talk_xmpp_jid_get_domainpart (self->jid);

  if (self->manual_host != NULL)
    {
      guint16 port = self->manual_port;

      if (port == 0)
        port = self->manual_direct_tls ? DEFAULT_DIRECT_TLS_PORT : DEFAULT_PORT;
      emit_step (self, TALK_XMPP_CONNECTOR_STEP_RESOLVING, self->manual_host);
      add_candidate (self, self->manual_host, port, self->manual_direct_tls);
      connect_candidate (task);
      return;
    }

  emit_step (self, TALK_XMPP_CONNECTOR_STEP_RESOLVING, domain);
  phase_start (self, _("looking up the server"));
  self->lookups_pending = 2;
  g_resolver_lookup_service_async (g_resolver_get_default (), "xmpps-client", "tcp", domain,
                                   self->cancellable, lookup_direct_cb, g_object_ref (task));
  g_resolver_lookup_service_async (g_resolver_get_default (), "xmpp-client", "tcp", domain,
                                   self->cancellable, lookup_starttls_cb, g_object_ref (task));
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
