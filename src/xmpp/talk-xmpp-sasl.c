/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * SASL client mechanisms: SCRAM-SHA-1(-PLUS) (RFC 5802), SCRAM-SHA-256(-PLUS)
 * (RFC 7677) and PLAIN (RFC 4616).
 *
 *   initial_response ──► step ──► verify_success
 *   client-first         client-final   server-final (v=)
 *
 * Each object runs one exchange; anything out of order or malformed from the
 * server fails the exchange for good.
 */

#include "config.h"

#include <glib/gi18n-lib.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <string.h>

#include "talk-xmpp-error.h"
#include "talk-xmpp-sasl.h"

/* SHA-256 is the largest digest we use. */
#define MAX_DIGEST_LEN 32

/* RFC 5802 §5.1: enough randomness that nonces never repeat. */
#define CLIENT_NONCE_BYTES 24

/* Bounds what a server's e= reason can put into a message shown to a person. */
#define MAX_REASON_CHARS 100

typedef struct
{
  TalkXmppSaslMechanism  mechanism;
  const char            *name;
  gnutls_mac_algorithm_t mac;
  gnutls_digest_algorithm_t digest;
  gsize                  digest_len;
  gboolean               plus;
} MechanismInfo;

/* In order of preference, as the enum. */
static const MechanismInfo mechanisms[] = {
  { TALK_XMPP_SASL_MECHANISM_SCRAM_SHA_256_PLUS, "SCRAM-SHA-256-PLUS",
    GNUTLS_MAC_SHA256, GNUTLS_DIG_SHA256, 32, TRUE },
  { TALK_XMPP_SASL_MECHANISM_SCRAM_SHA_1_PLUS, "SCRAM-SHA-1-PLUS",
    GNUTLS_MAC_SHA1, GNUTLS_DIG_SHA1, 20, TRUE },
  { TALK_XMPP_SASL_MECHANISM_SCRAM_SHA_256, "SCRAM-SHA-256",
    GNUTLS_MAC_SHA256, GNUTLS_DIG_SHA256, 32, FALSE },
  { TALK_XMPP_SASL_MECHANISM_SCRAM_SHA_1, "SCRAM-SHA-1",
    GNUTLS_MAC_SHA1, GNUTLS_DIG_SHA1, 20, FALSE },
  { TALK_XMPP_SASL_MECHANISM_PLAIN, "PLAIN",
    GNUTLS_MAC_UNKNOWN, GNUTLS_DIG_UNKNOWN, 0, FALSE },
};

typedef enum
{
  STATE_INITIAL,
  STATE_FIRST_SENT,
  STATE_FINAL_SENT,
  STATE_DONE,
  STATE_FAILED,
} State;

struct _TalkXmppSasl
{
  GObject parent_instance;

  const MechanismInfo *info;
  State                state;

  /* NFKC'd; NULL when the input was not valid UTF-8. */
  char   *authcid;
  char   *password;

  char   *cb_type;
  GBytes *cb_data;
  gboolean client_supports_binding;

  char   *client_nonce;
  char   *gs2_header;
  char   *client_first_bare;

  guint8  server_signature[MAX_DIGEST_LEN];
};

G_DEFINE_FINAL_TYPE (TalkXmppSasl, talk_xmpp_sasl, G_TYPE_OBJECT)

static const MechanismInfo *
lookup_info (TalkXmppSaslMechanism mech)
{
  for (gsize i = 0; i < G_N_ELEMENTS (mechanisms); i++)
    if (mechanisms[i].mechanism == mech)
      return &mechanisms[i];
  return NULL;
}

static void
wipe_string (char **str)
{
  if (*str != NULL)
    gnutls_memset (*str, 0, strlen (*str));
  g_clear_pointer (str, g_free);
}

static void
wipe_and_free (gpointer data,
               gsize    len)
{
  gnutls_memset (data, 0, len);
  g_free (data);
}

typedef struct
{
  gpointer data;
  gsize    len;
} SecretBuffer;

static void
secret_buffer_free (gpointer user_data)
{
  SecretBuffer *buf = user_data;

  wipe_and_free (buf->data, buf->len);
  g_free (buf);
}

/* A GBytes whose contents are wiped when the last reference goes. Takes
 * ownership of @data. */
static GBytes *
secret_bytes_new_take (gpointer data,
                       gsize    len)
{
  SecretBuffer *buf = g_new (SecretBuffer, 1);

  buf->data = data;
  buf->len = len;
  return g_bytes_new_with_free_func (data, len, secret_buffer_free, buf);
}

static void
talk_xmpp_sasl_finalize (GObject *object)
{
  TalkXmppSasl *self = TALK_XMPP_SASL (object);

  wipe_string (&self->password);
  gnutls_memset (self->server_signature, 0, sizeof self->server_signature);
  g_clear_pointer (&self->authcid, g_free);
  g_clear_pointer (&self->cb_type, g_free);
  g_clear_pointer (&self->cb_data, g_bytes_unref);
  g_clear_pointer (&self->client_nonce, g_free);
  g_clear_pointer (&self->gs2_header, g_free);
  g_clear_pointer (&self->client_first_bare, g_free);

  G_OBJECT_CLASS (talk_xmpp_sasl_parent_class)->finalize (object);
}

static void
talk_xmpp_sasl_class_init (TalkXmppSaslClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = talk_xmpp_sasl_finalize;
}

static void
talk_xmpp_sasl_init (TalkXmppSasl *self)
{
  self->state = STATE_INITIAL;
}

/* Fails the exchange for good and reports why. */
G_GNUC_PRINTF (3, 4)
static gboolean
fail (TalkXmppSasl  *self,
      GError       **error,
      const char    *format,
      ...)
{
  g_autofree char *message = NULL;
  va_list args;

  self->state = STATE_FAILED;
  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_AUTH_PROTOCOL,
                       message);
  return FALSE;
}

/**
 * talk_xmpp_sasl_mechanism_to_string:
 * @mech: a mechanism
 *
 * Returns: (nullable): the IANA name, or %NULL for NONE
 */
const char *
talk_xmpp_sasl_mechanism_to_string (TalkXmppSaslMechanism mech)
{
  const MechanismInfo *info = lookup_info (mech);

  return info != NULL ? info->name : NULL;
}

/**
 * talk_xmpp_sasl_mechanism_from_string:
 * @name: (nullable): a mechanism name
 *
 * Names are compared case-sensitively: RFC 4422 §3.1 makes them uppercase.
 *
 * Returns: the mechanism, or NONE for unknown names
 */
TalkXmppSaslMechanism
talk_xmpp_sasl_mechanism_from_string (const char *name)
{
  if (name == NULL)
    return TALK_XMPP_SASL_MECHANISM_NONE;

  for (gsize i = 0; i < G_N_ELEMENTS (mechanisms); i++)
    if (strcmp (mechanisms[i].name, name) == 0)
      return mechanisms[i].mechanism;

  return TALK_XMPP_SASL_MECHANISM_NONE;
}

gboolean
talk_xmpp_sasl_mechanism_is_plus (TalkXmppSaslMechanism mech)
{
  const MechanismInfo *info = lookup_info (mech);

  return info != NULL && info->plus;
}

TalkXmppSaslMechanism
talk_xmpp_sasl_choose (const char * const *offered,
                       gboolean            channel_binding_available,
                       gboolean            tls)
{
  TalkXmppSaslMechanism best = TALK_XMPP_SASL_MECHANISM_NONE;

  if (offered == NULL)
    return TALK_XMPP_SASL_MECHANISM_NONE;

  for (gsize i = 0; offered[i] != NULL; i++)
    {
      TalkXmppSaslMechanism mech = talk_xmpp_sasl_mechanism_from_string (offered[i]);

      if (mech == TALK_XMPP_SASL_MECHANISM_NONE)
        continue;
      /* Channel binding only exists on a TLS channel. */
      if (talk_xmpp_sasl_mechanism_is_plus (mech) &&
          !(channel_binding_available && tls))
        continue;
      /* DESIGN.md: no PLAIN over plaintext. */
      if (mech == TALK_XMPP_SASL_MECHANISM_PLAIN && !tls)
        continue;
      /* The enum is in order of preference. */
      if (best == TALK_XMPP_SASL_MECHANISM_NONE || mech < best)
        best = mech;
    }

  return best;
}

static gboolean
strv_has (const char * const *strv,
          const char         *str)
{
  return strv != NULL && g_strv_contains (strv, str);
}

const char *
talk_xmpp_sasl_choose_channel_binding (const char * const *server_types,
                                       gboolean            tls13,
                                       const char * const *local_types)
{
  g_return_val_if_fail (local_types != NULL, NULL);

  /* Without XEP-0440 the server's support can only be guessed: the type
   * RFC 9266 (1.3) or RFC 5929 (1.2) makes the default. */
  if (server_types == NULL)
    {
      if (tls13 && strv_has (local_types, "tls-exporter"))
        return "tls-exporter";
      if (!tls13 && strv_has (local_types, "tls-unique"))
        return "tls-unique";
      return NULL;
    }

  /* tls-unique is unsafe on TLS 1.3 (RFC 9266 §3), tls-exporter undefined
   * without extended master secret on 1.2. */
  if (tls13 && strv_has (server_types, "tls-exporter") &&
      strv_has (local_types, "tls-exporter"))
    return "tls-exporter";
  if (!tls13 && strv_has (server_types, "tls-unique") &&
      strv_has (local_types, "tls-unique"))
    return "tls-unique";
  if (strv_has (server_types, "tls-server-end-point") &&
      strv_has (local_types, "tls-server-end-point"))
    return "tls-server-end-point";

  return NULL;
}

/* RFC 5802 §5.1: saslname escapes ',' and '='. */
static char *
escape_saslname (const char *name)
{
  GString *out = g_string_sized_new (strlen (name));

  for (const char *p = name; *p != '\0'; p++)
    {
      if (*p == ',')
        g_string_append (out, "=2C");
      else if (*p == '=')
        g_string_append (out, "=3D");
      else
        g_string_append_c (out, *p);
    }

  return g_string_free (out, FALSE);
}

/* SASLprep (RFC 4013) approximated by its core step, NFKC. */
static char *
prepare (const char *str)
{
  if (!g_utf8_validate (str, -1, NULL))
    return NULL;
  return g_utf8_normalize (str, -1, G_NORMALIZE_NFKC);
}

/**
 * talk_xmpp_sasl_new:
 * @mechanism: the mechanism to run; not NONE
 * @username: the authentication identity
 * @password: the password
 * @cb_type: (nullable): channel binding type for -PLUS mechanisms
 * @cb_data: (nullable): channel binding data for -PLUS mechanisms
 *
 * Returns: (transfer full): a new exchange
 */
TalkXmppSasl *
talk_xmpp_sasl_new (TalkXmppSaslMechanism  mechanism,
                    const char            *username,
                    const char            *password,
                    const char            *cb_type,
                    GBytes                *cb_data)
{
  TalkXmppSasl *self;
  const MechanismInfo *info = lookup_info (mechanism);

  g_return_val_if_fail (info != NULL, NULL);
  g_return_val_if_fail (username != NULL, NULL);
  g_return_val_if_fail (password != NULL, NULL);

  self = g_object_new (TALK_XMPP_TYPE_SASL, NULL);
  self->info = info;
  self->authcid = prepare (username);
  self->password = prepare (password);
  self->cb_type = g_strdup (cb_type);
  self->cb_data = cb_data != NULL ? g_bytes_ref (cb_data) : NULL;

  return self;
}

TalkXmppSaslMechanism
talk_xmpp_sasl_get_mechanism (TalkXmppSasl *self)
{
  g_return_val_if_fail (TALK_XMPP_IS_SASL (self), TALK_XMPP_SASL_MECHANISM_NONE);

  return self->info->mechanism;
}

void
talk_xmpp_sasl_set_client_nonce (TalkXmppSasl *self,
                                 const char   *nonce)
{
  g_return_if_fail (TALK_XMPP_IS_SASL (self));
  g_return_if_fail (self->state == STATE_INITIAL);

  g_free (self->client_nonce);
  self->client_nonce = g_strdup (nonce);
}

void
talk_xmpp_sasl_set_client_supports_binding (TalkXmppSasl *self,
                                            gboolean      supports)
{
  g_return_if_fail (TALK_XMPP_IS_SASL (self));
  g_return_if_fail (self->state == STATE_INITIAL);

  self->client_supports_binding = !!supports;
}

/* RFC 5802 §7: printable = %x21-2B / %x2D-7E, i.e. no ',' and no spaces. */
static gboolean
is_printable (const char *str,
              gsize       len)
{
  for (gsize i = 0; i < len; i++)
    {
      guchar c = (guchar) str[i];

      if (c < 0x21 || c > 0x7e || c == ',')
        return FALSE;
    }
  return TRUE;
}

/* RFC 5056 §7: cb-name = 1*(ALPHA / DIGIT / "." / "-"). */
static gboolean
is_cb_name (const char *name)
{
  if (name == NULL || *name == '\0')
    return FALSE;
  for (const char *p = name; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '.' && *p != '-')
      return FALSE;
  return TRUE;
}

static GBytes *
plain_initial_response (TalkXmppSasl *self)
{
  gsize user_len = strlen (self->authcid);
  gsize pass_len = strlen (self->password);
  gsize len = 1 + user_len + 1 + pass_len;
  char *buf = g_malloc (len);

  /* RFC 4616 §2: [authzid] NUL authcid NUL passwd, authzid left empty so
   * the server derives it from authcid. */
  buf[0] = '\0';
  memcpy (buf + 1, self->authcid, user_len);
  buf[1 + user_len] = '\0';
  memcpy (buf + 2 + user_len, self->password, pass_len);

  self->state = STATE_DONE;
  return secret_bytes_new_take (buf, len);
}

static char *
make_gs2_header (TalkXmppSasl  *self,
                 GError       **error)
{
  /* RFC 5802 §6: "p=" when binding, "y" when we could have but the server
   * offered no -PLUS (a downgrade the server can then detect), else "n". */
  if (self->info->plus)
    {
      if (!is_cb_name (self->cb_type) || self->cb_data == NULL)
        {
          fail (self, error, _("Channel binding was requested but no usable binding data is available"));
          return NULL;
        }
      return g_strdup_printf ("p=%s,,", self->cb_type);
    }

  return g_strdup (self->client_supports_binding ? "y,," : "n,,");
}

static GBytes *
scram_initial_response (TalkXmppSasl  *self,
                        GError       **error)
{
  g_autofree char *escaped = NULL;
  g_autofree char *gs2_header = NULL;
  char *message;

  if (*self->authcid == '\0')
    {
      fail (self, error, _("The user name is empty"));
      return NULL;
    }

  if (self->client_nonce == NULL)
    {
      guchar raw[CLIENT_NONCE_BYTES];

      if (gnutls_rnd (GNUTLS_RND_NONCE, raw, sizeof raw) < 0)
        {
          fail (self, error, _("Could not generate random data for signing in"));
          return NULL;
        }
      /* Base64 is printable and has no ','. */
      self->client_nonce = g_base64_encode (raw, sizeof raw);
    }
  else if (*self->client_nonce == '\0' ||
           !is_printable (self->client_nonce, strlen (self->client_nonce)))
    {
      fail (self, error, _("The sign-in nonce is not valid"));
      return NULL;
    }

  gs2_header = make_gs2_header (self, error);
  if (gs2_header == NULL)
    return NULL;

  escaped = escape_saslname (self->authcid);
  self->client_first_bare = g_strdup_printf ("n=%s,r=%s", escaped, self->client_nonce);
  self->gs2_header = g_steal_pointer (&gs2_header);
  self->state = STATE_FIRST_SENT;

  message = g_strconcat (self->gs2_header, self->client_first_bare, NULL);
  return g_bytes_new_take (message, strlen (message));
}

/**
 * talk_xmpp_sasl_initial_response:
 * @self: the exchange
 * @error: return location for an error
 *
 * For SCRAM the client-first-message (RFC 5802 §5.1); for PLAIN the whole
 * credentials (RFC 4616 §2), wiped from memory when released.
 *
 * Returns: (transfer full): the raw initial response, or %NULL with @error
 */
GBytes *
talk_xmpp_sasl_initial_response (TalkXmppSasl  *self,
                                 GError       **error)
{
  g_return_val_if_fail (TALK_XMPP_IS_SASL (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (self->state != STATE_INITIAL)
    {
      fail (self, error, _("The sign-in exchange was already started"));
      return NULL;
    }
  if (self->authcid == NULL)
    {
      fail (self, error, _("The user name is not valid text"));
      return NULL;
    }
  if (self->password == NULL)
    {
      fail (self, error, _("The password is not valid text"));
      return NULL;
    }

  if (self->info->mechanism == TALK_XMPP_SASL_MECHANISM_PLAIN)
    return plain_initial_response (self);

  return scram_initial_response (self, error);
}

static gboolean
is_base64_char (char c)
{
  return g_ascii_isalnum (c) || c == '+' || c == '/';
}

/* g_base64_decode() skips characters it does not know; a server's salt or
 * signature is checked to be canonical, padded base64 first. */
static guchar *
decode_base64_strict (const char *text,
                      gsize      *out_len)
{
  gsize len = strlen (text);
  gsize pad = 0;
  guchar *data;

  if (len == 0 || len % 4 != 0)
    return NULL;
  if (text[len - 1] == '=')
    pad = text[len - 2] == '=' ? 2 : 1;
  for (gsize i = 0; i < len - pad; i++)
    if (!is_base64_char (text[i]))
      return NULL;

  data = g_base64_decode (text, out_len);
  if (*out_len == 0)
    {
      g_free (data);
      return NULL;
    }
  return data;
}

static gboolean
parse_iterations (TalkXmppSasl  *self,
                  const char    *text,
                  guint         *out_iterations,
                  GError       **error)
{
  guint64 value = 0;

  if (*text == '\0')
    return fail (self, error, _("The server sent an invalid iteration count"));
  for (const char *p = text; *p != '\0'; p++)
    if (!g_ascii_isdigit (*p))
      return fail (self, error, _("The server sent an invalid iteration count"));

  /* Only digits are left, so the sole failure is a number past G_MAXUINT. */
  if (!g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT, &value, NULL))
    return fail (self, error,
                 _("The server asked for too many iterations, outside the accepted range %u–%u"),
                 TALK_XMPP_SASL_MIN_ITERATIONS, TALK_XMPP_SASL_MAX_ITERATIONS);

  /* RFC 5802 §9: a huge count is a denial of service, a small one makes the
   * proof cheap to attack offline. */
  if (value < TALK_XMPP_SASL_MIN_ITERATIONS || value > TALK_XMPP_SASL_MAX_ITERATIONS)
    return fail (self, error,
                 _("The server asked for %u iterations, outside the accepted range %u–%u"),
                 (guint) value, TALK_XMPP_SASL_MIN_ITERATIONS, TALK_XMPP_SASL_MAX_ITERATIONS);

  *out_iterations = (guint) value;
  return TRUE;
}

/* RFC 5802 §7: attr-val = ALPHA "=" value, value without ','. */
static gboolean
is_attr_val (const char *part)
{
  return g_ascii_isalpha (part[0]) && part[1] == '=';
}

/* Reads a server message into a string; SCRAM messages never hold NUL. */
static char *
dup_message (GBytes *bytes)
{
  gsize len = 0;
  const char *data = g_bytes_get_data (bytes, &len);

  if (data == NULL || len == 0 || memchr (data, '\0', len) != NULL)
    return NULL;
  if (!g_utf8_validate_len (data, len, NULL))
    return NULL;
  return g_strndup (data, len);
}

/* Attribute values from the network end up in messages for people. */
static char *
make_reason (const char *text)
{
  g_autofree char *valid = g_utf8_make_valid (text, -1);

  if (g_utf8_strlen (valid, -1) > MAX_REASON_CHARS)
    {
      g_autofree char *cut = g_utf8_substring (valid, 0, MAX_REASON_CHARS);
      return g_strconcat (cut, "…", NULL);
    }
  return g_steal_pointer (&valid);
}

static gboolean
check_extensions (char **parts)
{
  for (gsize i = 0; parts[i] != NULL; i++)
    if (!is_attr_val (parts[i]))
      return FALSE;
  return TRUE;
}

typedef struct
{
  guint8 client_key[MAX_DIGEST_LEN];
  guint8 stored_key[MAX_DIGEST_LEN];
  guint8 client_signature[MAX_DIGEST_LEN];
  guint8 server_key[MAX_DIGEST_LEN];
  guint8 salted_password[MAX_DIGEST_LEN];
} ScramKeys;

/* RFC 5802 §3: SaltedPassword, ClientKey, StoredKey, ClientSignature,
 * ServerKey and ServerSignature; writes ClientProof. */
static gboolean
compute_proof (TalkXmppSasl *self,
               const guchar *salt,
               gsize         salt_len,
               guint         iterations,
               const char   *auth_message,
               guint8       *client_proof)
{
  const MechanismInfo *info = self->info;
  gnutls_datum_t key = { (unsigned char *) self->password, strlen (self->password) };
  gnutls_datum_t salt_datum = { (unsigned char *) salt, salt_len };
  gsize auth_len = strlen (auth_message);
  ScramKeys keys;
  gboolean ok;

  ok = gnutls_pbkdf2 (info->mac, &key, &salt_datum, iterations,
                      keys.salted_password, info->digest_len) >= 0 &&
       gnutls_hmac_fast (info->mac, keys.salted_password, info->digest_len,
                         "Client Key", strlen ("Client Key"), keys.client_key) >= 0 &&
       gnutls_hash_fast (info->digest, keys.client_key, info->digest_len,
                         keys.stored_key) >= 0 &&
       gnutls_hmac_fast (info->mac, keys.stored_key, info->digest_len,
                         auth_message, auth_len, keys.client_signature) >= 0 &&
       gnutls_hmac_fast (info->mac, keys.salted_password, info->digest_len,
                         "Server Key", strlen ("Server Key"), keys.server_key) >= 0 &&
       gnutls_hmac_fast (info->mac, keys.server_key, info->digest_len,
                         auth_message, auth_len, self->server_signature) >= 0;

  if (ok)
    for (gsize i = 0; i < info->digest_len; i++)
      client_proof[i] = keys.client_key[i] ^ keys.client_signature[i];

  gnutls_memset (&keys, 0, sizeof keys);
  return ok;
}

/* RFC 5802 §7: c= carries the GS2 header and, for -PLUS, the binding data,
 * so the server can see both were not tampered with. */
static char *
make_channel_binding_attr (TalkXmppSasl *self)
{
  g_autoptr(GByteArray) cbind = g_byte_array_new ();

  g_byte_array_append (cbind, (const guint8 *) self->gs2_header, strlen (self->gs2_header));
  if (self->info->plus)
    {
      gsize len = 0;
      const guint8 *data = g_bytes_get_data (self->cb_data, &len);

      if (len > 0)
        g_byte_array_append (cbind, data, len);
    }

  return g_base64_encode (cbind->data, cbind->len);
}

/* Takes apart r=…,s=…,i=…[,ext…] (RFC 5802 §7 server-first-message). */
static gboolean
parse_server_first (TalkXmppSasl  *self,
                    char         **parts,
                    const char   **out_nonce,
                    guchar       **out_salt,
                    gsize         *out_salt_len,
                    guint         *out_iterations,
                    GError       **error)
{
  const char *nonce;
  gsize nonce_len;
  gsize client_len = strlen (self->client_nonce);

  /* RFC 5802 §5.1: the client MUST fail on a mandatory extension. */
  if (g_str_has_prefix (parts[0], "m="))
    return fail (self, error, _("The server requires an extension to the sign-in protocol that is not supported"));
  if (g_str_has_prefix (parts[0], "e="))
    {
      g_autofree char *reason = make_reason (parts[0] + 2);
      return fail (self, error, _("The server reported a sign-in error: %s"), reason);
    }

  if (g_strv_length (parts) < 3 ||
      !g_str_has_prefix (parts[0], "r=") ||
      !g_str_has_prefix (parts[1], "s=") ||
      !g_str_has_prefix (parts[2], "i=") ||
      !check_extensions (parts + 3))
    return fail (self, error, _("The server sent a malformed sign-in challenge"));

  nonce = parts[0] + 2;
  nonce_len = strlen (nonce);
  if (!is_printable (nonce, nonce_len) ||
      nonce_len <= client_len ||
      strncmp (nonce, self->client_nonce, client_len) != 0)
    return fail (self, error, _("The server's sign-in challenge does not answer this client's — the connection may be intercepted"));

  *out_salt = decode_base64_strict (parts[1] + 2, out_salt_len);
  if (*out_salt == NULL)
    return fail (self, error, _("The server sent an invalid password salt"));

  if (!parse_iterations (self, parts[2] + 2, out_iterations, error))
    {
      g_clear_pointer (out_salt, g_free);
      return FALSE;
    }

  *out_nonce = nonce;
  return TRUE;
}

/**
 * talk_xmpp_sasl_step:
 * @self: the exchange
 * @challenge: the raw server-first-message
 * @error: return location for an error
 *
 * Checks the server nonce extends the client's, the salt is valid base64
 * and the iteration count within bounds, then computes the proof.
 *
 * Returns: (transfer full): the raw client-final-message, or %NULL with
 *   @error (%TALK_XMPP_ERROR_AUTH_PROTOCOL)
 */
GBytes *
talk_xmpp_sasl_step (TalkXmppSasl  *self,
                     GBytes        *challenge,
                     GError       **error)
{
  g_autofree char *server_first = NULL;
  g_auto(GStrv) parts = NULL;
  g_autofree guchar *salt = NULL;
  g_autofree char *cbind = NULL;
  g_autofree char *without_proof = NULL;
  g_autofree char *auth_message = NULL;
  g_autofree char *proof_b64 = NULL;
  const char *nonce = NULL;
  gsize salt_len = 0;
  guint iterations = 0;
  guint8 proof[MAX_DIGEST_LEN];
  gboolean ok;
  char *final;

  g_return_val_if_fail (TALK_XMPP_IS_SASL (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* PLAIN has no challenges; SCRAM has exactly one. */
  if (self->info->mechanism == TALK_XMPP_SASL_MECHANISM_PLAIN ||
      self->state != STATE_FIRST_SENT)
    {
      fail (self, error, _("The server sent an unexpected sign-in challenge"));
      return NULL;
    }

  if (challenge == NULL || (server_first = dup_message (challenge)) == NULL)
    {
      fail (self, error, _("The server sent a malformed sign-in challenge"));
      return NULL;
    }

  parts = g_strsplit (server_first, ",", -1);
  if (!parse_server_first (self, parts, &nonce, &salt, &salt_len, &iterations, error))
    return NULL;

  cbind = make_channel_binding_attr (self);
  without_proof = g_strdup_printf ("c=%s,r=%s", cbind, nonce);
  auth_message = g_strjoin (",", self->client_first_bare, server_first, without_proof, NULL);

  ok = compute_proof (self, salt, salt_len, iterations, auth_message, proof);
  if (ok)
    proof_b64 = g_base64_encode (proof, self->info->digest_len);
  gnutls_memset (proof, 0, sizeof proof);
  if (!ok)
    {
      fail (self, error, _("Could not compute the sign-in proof"));
      return NULL;
    }

  self->state = STATE_FINAL_SENT;
  final = g_strdup_printf ("%s,p=%s", without_proof, proof_b64);
  return g_bytes_new_take (final, strlen (final));
}

static gboolean
check_server_signature (TalkXmppSasl  *self,
                        const char    *b64,
                        GError       **error)
{
  g_autofree guchar *signature = NULL;
  gsize len = 0;

  signature = decode_base64_strict (b64, &len);
  if (signature == NULL || len != self->info->digest_len ||
      gnutls_memcmp (signature, self->server_signature, len) != 0)
    return fail (self, error, _("The server's proof of identity did not match — the connection may be intercepted"));

  self->state = STATE_DONE;
  return TRUE;
}

/**
 * talk_xmpp_sasl_verify_success:
 * @self: the exchange
 * @additional_data: (nullable): the raw server-final-message from <success/>
 * @error: return location for an error
 *
 * For SCRAM: checks v= equals the expected server signature (constant-time
 * compare); a missing or wrong signature, or e=, is an error. For PLAIN:
 * always %TRUE.
 *
 * Returns: %TRUE when the server proved it knows the password
 */
gboolean
talk_xmpp_sasl_verify_success (TalkXmppSasl  *self,
                               GBytes        *additional_data,
                               GError       **error)
{
  g_autofree char *server_final = NULL;
  g_auto(GStrv) parts = NULL;

  g_return_val_if_fail (TALK_XMPP_IS_SASL (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->info->mechanism == TALK_XMPP_SASL_MECHANISM_PLAIN)
    return TRUE;

  /* A <success/> before our proof means the server never checked it. */
  if (self->state != STATE_FINAL_SENT)
    return fail (self, error, _("The server reported success before the sign-in exchange was complete"));

  /* RFC 6120 §6.4.6: the server MUST send v= with <success/> for SCRAM;
   * without it the server is unverified, which is what an interceptor
   * would look like. */
  if (additional_data == NULL || g_bytes_get_size (additional_data) == 0)
    return fail (self, error, _("The server did not prove its identity after sign-in — the connection may be intercepted"));

  server_final = dup_message (additional_data);
  if (server_final == NULL)
    return fail (self, error, _("The server sent a malformed sign-in result"));

  parts = g_strsplit (server_final, ",", -1);
  if (g_str_has_prefix (parts[0], "e="))
    {
      g_autofree char *reason = make_reason (parts[0] + 2);
      return fail (self, error, _("The server reported a sign-in error: %s"), reason);
    }
  if (!g_str_has_prefix (parts[0], "v=") || !check_extensions (parts + 1))
    return fail (self, error, _("The server sent a malformed sign-in result"));

  return check_server_signature (self, parts[0] + 2, error);
}
