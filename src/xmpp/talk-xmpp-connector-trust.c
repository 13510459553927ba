/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * TalkXmppConnector: the certificate authorities a server's certificate is
 * checked against, loaded only while a handshake checks one.
 *
 *   handshake ─► verify_chain ─► load the anchors ─► verify the chain
 *                                                   + the domain's name
 *                                └────────────── free the anchors ◄┘
 *
 * GIO's default database parses the system's whole CA bundle when the
 * first TLS connection is made and keeps it, twice (once for itself, once
 * for the GnuTLS credentials): about 7 MB of heap for the life of the
 * process, a quarter of the headless session's memory, to check one
 * certificate per sign-in. This database gives the same answers from the
 * same GnuTLS system trust, but holds nothing between handshakes.
 *
 * The flags are those of glib-networking's GnuTLS database, so that
 * accept-certificate (and the pin, talk-xmpp-connector-tls.c) sees what it
 * always saw: issuer, time and signature problems from GnuTLS's chain
 * verification, BAD_IDENTITY from its RFC 6125 name check of the leaf.
 */

#include "config.h"

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include <glib/gi18n-lib.h>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "talk-xmpp-connector-private.h"

/* Far more than any real chain; a longer one is not parsed. */
#define MAX_CHAIN_LENGTH 16

struct _TalkXmppTrustDatabase
{
  GTlsDatabase parent_instance;

  char *anchors_file;   /* NULL: the system's trust */
};

G_DEFINE_FINAL_TYPE (TalkXmppTrustDatabase, talk_xmpp_trust_database, G_TYPE_TLS_DATABASE)

/* As glib-networking's g_tls_certificate_gnutls_convert_flags(). */
static GTlsCertificateFlags
convert_status (guint status)
{
  static const struct
  {
    guint gnutls;
    GTlsCertificateFlags gio;
  } map[] = {
    { GNUTLS_CERT_SIGNER_NOT_FOUND, G_TLS_CERTIFICATE_UNKNOWN_CA },
    { GNUTLS_CERT_SIGNER_NOT_CA, G_TLS_CERTIFICATE_UNKNOWN_CA },
    { GNUTLS_CERT_SIGNER_CONSTRAINTS_FAILURE, G_TLS_CERTIFICATE_UNKNOWN_CA },
    { GNUTLS_CERT_INSECURE_ALGORITHM, G_TLS_CERTIFICATE_INSECURE },
    { GNUTLS_CERT_REVOKED, G_TLS_CERTIFICATE_REVOKED },
    { GNUTLS_CERT_NOT_ACTIVATED, G_TLS_CERTIFICATE_NOT_ACTIVATED },
    { GNUTLS_CERT_EXPIRED, G_TLS_CERTIFICATE_EXPIRED },
  };
  GTlsCertificateFlags flags = 0;
  guint rest = status & ~GNUTLS_CERT_INVALID;

  for (guint i = 0; i < G_N_ELEMENTS (map); i++)
    if (rest & map[i].gnutls)
      {
        flags |= map[i].gio;
        rest &= ~map[i].gnutls;
      }

  /* Whatever GnuTLS found that has no flag of its own. */
  if (rest != 0 || ((status & GNUTLS_CERT_INVALID) && flags == 0))
    flags |= G_TLS_CERTIFICATE_GENERIC_ERROR;

  return flags;
}

static void
free_chain (gnutls_x509_crt_t *chain,
            guint              length)
{
  for (guint i = 0; i < length; i++)
    gnutls_x509_crt_deinit (chain[i]);
}

/* The chain as the peer sent it, leaf first; FALSE when it cannot be read. */
static gboolean
import_chain (GTlsCertificate   *certificate,
              gnutls_x509_crt_t *chain,
              guint             *length)
{
  *length = 0;

  for (GTlsCertificate *cert = certificate; cert != NULL; cert = g_tls_certificate_get_issuer (cert))
    {
      g_autoptr(GByteArray) der = NULL;
      gnutls_datum_t datum;

      if (*length == MAX_CHAIN_LENGTH)
        return FALSE;

      g_object_get (cert, "certificate", &der, NULL);
      if (der == NULL || gnutls_x509_crt_init (&chain[*length]) < 0)
        return FALSE;
      (*length)++;

      datum.data = der->data;
      datum.size = der->len;
      if (gnutls_x509_crt_import (chain[*length - 1], &datum, GNUTLS_X509_FMT_DER) < 0)
        return FALSE;
    }

  return *length > 0;
}

/* The reference identity as text: a host name or an IP address literal. */
static char *
dup_identity_name (GSocketConnectable *identity)
{
  if (G_IS_NETWORK_ADDRESS (identity))
    return g_strdup (g_network_address_get_hostname (G_NETWORK_ADDRESS (identity)));
  if (G_IS_NETWORK_SERVICE (identity))
    return g_strdup (g_network_service_get_domain (G_NETWORK_SERVICE (identity)));
  if (G_IS_INET_SOCKET_ADDRESS (identity))
    return g_inet_address_to_string (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (identity)));

  return NULL;
}

static gboolean
load_anchors (TalkXmppTrustDatabase     *self,
              gnutls_x509_trust_list_t   list,
              GError                   **error)
{
  int ret;

  if (self->anchors_file != NULL)
    ret = gnutls_x509_trust_list_add_trust_file (list, self->anchors_file, NULL,
                                                 GNUTLS_X509_FMT_PEM, 0, 0);
  else
    ret = gnutls_x509_trust_list_add_system_trust (list, 0, 0);

  if (ret < 0)
    {
      g_set_error (error, G_TLS_ERROR, G_TLS_ERROR_MISC,
                   _("Could not load the trusted certificate authorities: %s"),
                   gnutls_strerror (ret));
      return FALSE;
    }

  return TRUE;
}

static GTlsCertificateFlags
talk_xmpp_trust_database_verify_chain (GTlsDatabase             *database,
                                       GTlsCertificate          *chain,
                                       const char               *purpose,
                                       GSocketConnectable       *identity,
                                       GTlsInteraction          *interaction,
                                       GTlsDatabaseVerifyFlags   flags,
                                       GCancellable             *cancellable,
                                       GError                  **error)
{
  TalkXmppTrustDatabase *self = TALK_XMPP_TRUST_DATABASE (database);
  gnutls_x509_crt_t certs[MAX_CHAIN_LENGTH];
  gnutls_x509_trust_list_t list = NULL;
  g_autofree char *name = NULL;
  GTlsCertificateFlags result = G_TLS_CERTIFICATE_GENERIC_ERROR;
  guint length = 0;
  guint status = 0;

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return G_TLS_CERTIFICATE_GENERIC_ERROR;

  if (!import_chain (chain, certs, &length))
    goto out;

  if (gnutls_x509_trust_list_init (&list, 0) < 0)
    goto out;
  if (!load_anchors (self, list, error))
    goto out;
  if (gnutls_x509_trust_list_verify_crt (list, certs, length, 0, &status, NULL) < 0)
    goto out;

  result = convert_status (status);

  /* RFC 6125 on the leaf, as GIO's own database does after the chain. */
  name = identity != NULL ? dup_identity_name (identity) : NULL;
  if (identity != NULL && (name == NULL || !gnutls_x509_crt_check_hostname (certs[0], name)))
    result |= G_TLS_CERTIFICATE_BAD_IDENTITY;

out:
  if (list != NULL)
    gnutls_x509_trust_list_deinit (list, 1);
  free_chain (certs, length);

#ifdef __GLIBC__
  /* The anchors were parsed on the handshake's thread, whose malloc arena
   * keeps the freed pages (a few MB) until told to give them back. */
  malloc_trim (0);
#endif

  return result;
}

/* Nothing is looked up by handle or issuer: GIO's TLS connection only
 * asks to verify. */
static GTlsCertificate *
talk_xmpp_trust_database_lookup_certificate_issuer (GTlsDatabase             *database,
                                                    GTlsCertificate          *certificate,
                                                    GTlsInteraction          *interaction,
                                                    GTlsDatabaseLookupFlags   flags,
                                                    GCancellable             *cancellable,
                                                    GError                  **error)
{
  return NULL;
}

static GList *
talk_xmpp_trust_database_lookup_certificates_issued_by (GTlsDatabase             *database,
                                                        GByteArray               *issuer_raw_dn,
                                                        GTlsInteraction          *interaction,
                                                        GTlsDatabaseLookupFlags   flags,
                                                        GCancellable             *cancellable,
                                                        GError                  **error)
{
  return NULL;
}

static char *
talk_xmpp_trust_database_create_certificate_handle (GTlsDatabase    *database,
                                                    GTlsCertificate *certificate)
{
  return NULL;
}

static GTlsCertificate *
talk_xmpp_trust_database_lookup_certificate_for_handle (GTlsDatabase             *database,
                                                        const char               *handle,
                                                        GTlsInteraction          *interaction,
                                                        GTlsDatabaseLookupFlags   flags,
                                                        GCancellable             *cancellable,
                                                        GError                  **error)
{
  return NULL;
}

static void
talk_xmpp_trust_database_finalize (GObject *object)
{
  TalkXmppTrustDatabase *self = TALK_XMPP_TRUST_DATABASE (object);

  g_free (self->anchors_file);

  G_OBJECT_CLASS (talk_xmpp_trust_database_parent_class)->finalize (object);
}

static void
talk_xmpp_trust_database_class_init (TalkXmppTrustDatabaseClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GTlsDatabaseClass *database_class = G_TLS_DATABASE_CLASS (klass);

  object_class->finalize = talk_xmpp_trust_database_finalize;

  database_class->verify_chain = talk_xmpp_trust_database_verify_chain;
  database_class->lookup_certificate_issuer = talk_xmpp_trust_database_lookup_certificate_issuer;
  database_class->lookup_certificates_issued_by =
    talk_xmpp_trust_database_lookup_certificates_issued_by;
  database_class->create_certificate_handle = talk_xmpp_trust_database_create_certificate_handle;
  database_class->lookup_certificate_for_handle =
    talk_xmpp_trust_database_lookup_certificate_for_handle;
}

static void
talk_xmpp_trust_database_init (TalkXmppTrustDatabase *self)
{
}

GTlsDatabase *
_talk_xmpp_trust_database_new (const char *anchors_file)
{
  TalkXmppTrustDatabase *self = g_object_new (TALK_XMPP_TYPE_TRUST_DATABASE, NULL);

  self->anchors_file = g_strdup (anchors_file);

  return G_TLS_DATABASE (self);
}

GTlsDatabase *
_talk_xmpp_trust_database_get_system (void)
{
  static gsize system = 0;

  /* Stateless, so one serves every connection of the process. */
  if (g_once_init_enter (&system))
    g_once_init_leave (&system, (gsize) _talk_xmpp_trust_database_new (NULL));

  return (GTlsDatabase *) system;
}
