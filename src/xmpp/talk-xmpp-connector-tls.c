/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * TalkXmppConnector: TLS, from the first byte (XEP-0368) or after
 * STARTTLS (RFC 6120 §5), and the server's certificate.
 *
 *   <starttls/> ─► <proceed/> ─┐
 *   direct TLS ────────────────┴─► handshake ─► a new stream over TLS
 *
 * Never plaintext (CVE-2016-10027). The certificate is checked against
 * the JID's domain, never the host reached (RFC 7590 §3.2,
 * CVE-2022-26491); one that does not validate is accepted only when its
 * fingerprint is the one pinned for the account.
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "talk-xmpp-connector-private.h"

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

/* STARTTLS (RFC 6120 §5) */

static void
proceed_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(TalkXmppStanza) stanza = NULL;

  stanza = _talk_xmpp_connector_receive_finish (task, object, result);
  if (stanza == NULL)
    return;

  if (talk_xmpp_stanza_is (stanza, "proceed", TALK_XMPP_NS_TLS))
    _talk_xmpp_connector_start_tls (task);
  else if (talk_xmpp_stanza_is (stanza, "failure", TALK_XMPP_NS_TLS))
    _talk_xmpp_connector_fail_literal (task, TALK_XMPP_ERROR_TLS_FAILED,
                                       _("The server could not start encryption, "
                                         "so Talk did not continue"));
  else
    _talk_xmpp_connector_unexpected (task, stanza, "<proceed/>");
}

void
_talk_xmpp_connector_start_starttls (GTask          *task,
                                     TalkXmppStanza *features)
{
  TalkXmppConnector *self = g_task_get_source_object (task);
  g_autoptr(TalkXmppStanza) starttls = NULL;

  /* Never plaintext, whatever <required/> says (CVE-2016-10027). */
  if (talk_xmpp_stanza_get_child (features, "starttls", TALK_XMPP_NS_TLS) == NULL)
    {
      _talk_xmpp_connector_fail_literal (task, TALK_XMPP_ERROR_NO_TLS,
                                         _("The server did not offer encryption, "
                                           "so Talk did not continue"));
      return;
    }

  starttls = talk_xmpp_stanza_new ("starttls", TALK_XMPP_NS_TLS);
  _talk_xmpp_connector_send (self, starttls);

  _talk_xmpp_connector_receive (task, _("starting encryption"), proceed_cb);
}

/* The handshake */

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

/**
 * talk_xmpp_certificate_describe_errors:
 *
 * Returns: (transfer full): why a certificate is not trusted, for people:
 *   "issuer unknown, expired"
 */
char *
talk_xmpp_certificate_describe_errors (GTlsCertificateFlags errors)
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
  GTlsProtocolVersion version;

  if (!g_tls_connection_handshake_finish (G_TLS_CONNECTION (object), result, &error))
    {
      self->tls_failed = TRUE;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        _talk_xmpp_connector_fail_error (task, g_steal_pointer (&error));
      else if (self->certificate_rejected)
        {
          g_autofree char *problems = talk_xmpp_certificate_describe_errors (self->peer_errors);

          _talk_xmpp_connector_fail (task, TALK_XMPP_ERROR_CERTIFICATE,
                                     _("The server's certificate is not trusted (%s). "
                                       "SHA-256 fingerprint: %s"),
                                     problems, self->peer_fingerprint);
        }
      else
        _talk_xmpp_connector_fail (task, TALK_XMPP_ERROR_TLS_FAILED,
                                   _("The secure connection could not be set up: %s"),
                                   error->message);
      return;
    }

  /* A valid certificate never reached accept-certificate. */
  certificate = g_tls_connection_get_peer_certificate (self->tls);
  if (certificate != NULL && self->peer_certificate == NULL)
    remember_certificate (self, certificate, 0);

  version = g_tls_connection_get_protocol_version (self->tls);
  _talk_xmpp_connector_set_str (&self->tls_version, describe_protocol_version (version));
  detail = g_strdup_printf (_("%s, certificate SHA-256 %s"), self->tls_version,
                            self->peer_fingerprint ? self->peer_fingerprint : "?");
  _talk_xmpp_connector_emit_step (self, TALK_XMPP_CONNECTOR_STEP_SECURING, detail);

  self->stage = STAGE_SECURE;
  if (self->stream == NULL)
    self->stream = talk_xmpp_stream_new (G_IO_STREAM (self->tls));
  else
    talk_xmpp_stream_set_base_stream (self->stream, G_IO_STREAM (self->tls));

  /* RFC 6120 §5.4.3.3: a new stream over TLS. */
  _talk_xmpp_connector_open_stream (task);
}

void
_talk_xmpp_connector_start_tls (GTask *task)
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

  /* As g_tls_client_connection_new(), but with our database from the
   * start: the default one would be loaded, and kept, by the first
   * connection (talk-xmpp-connector-trust.c). */
  tls = g_initable_new (g_tls_backend_get_client_connection_type (g_tls_backend_get_default ()),
                        NULL, &error,
                        "base-io-stream", self->connection,
                        "server-identity", identity,
                        "database", _talk_xmpp_trust_database_get_system (),
                        NULL);
  if (tls == NULL)
    {
      _talk_xmpp_connector_fail (task, TALK_XMPP_ERROR_TLS_FAILED,
                                 _("The secure connection could not be set up: %s"),
                                 error->message);
      return;
    }

  g_clear_object (&self->tls);
  self->tls = G_TLS_CONNECTION (tls);

  /* XEP-0368 §3 */
  if (self->direct_tls)
    g_tls_connection_set_advertised_protocols (self->tls, alpn);

  g_signal_connect_object (self->tls, "accept-certificate",
                           G_CALLBACK (accept_certificate_cb), self, 0);

  _talk_xmpp_connector_emit_step (self, TALK_XMPP_CONNECTOR_STEP_SECURING,
                                  self->direct_tls ? "direct TLS" : "STARTTLS");
  _talk_xmpp_connector_phase_start (self, _("setting up encryption"));
  g_tls_connection_handshake_async (self->tls, G_PRIORITY_DEFAULT, self->cancellable,
                                    handshake_cb, g_object_ref (task));
}
