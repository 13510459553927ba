/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * SASL mechanisms: the RFC 5802 / RFC 7677 test vectors, the checks that
 * protect against a hostile server, and mechanism / channel binding choice.
 */

#include <string.h>

#include "talk-xmpp-error.h"
#include "talk-xmpp-sasl.h"

/* RFC 5802 §5 */
#define SHA1_NONCE "fyko+d2lbbFgONRv9qkxdawL"
#define SHA1_SERVER_NONCE SHA1_NONCE "3rfcNHYJY1ZVvWVs7j"
#define SHA1_SERVER_FIRST "r=" SHA1_SERVER_NONCE ",s=QSXCR+Q6sek8bf92,i=4096"
#define SHA1_CLIENT_FINAL "c=biws,r=" SHA1_SERVER_NONCE ",p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts="
#define SHA1_SERVER_FINAL "v=rmF9pqV8S7suAoZWja4dJRkFsKQ="

/* RFC 7677 §3 */
#define SHA256_NONCE "rOprNGfwEbeRWgbNEkqO"
#define SHA256_SERVER_NONCE SHA256_NONCE "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
#define SHA256_SERVER_FIRST "r=" SHA256_SERVER_NONCE ",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
#define SHA256_CLIENT_FINAL "c=biws,r=" SHA256_SERVER_NONCE ",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
#define SHA256_SERVER_FINAL "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="

static GBytes *
bytes_new (const char *str)
{
  return g_bytes_new (str, strlen (str));
}

static void
assert_bytes_str (GBytes     *bytes,
                  const char *expected)
{
  gsize len = 0;
  const char *data;
  g_autofree char *copy = NULL;

  g_assert_nonnull (bytes);
  data = g_bytes_get_data (bytes, &len);
  copy = g_strndup (data, len);
  g_assert_cmpstr (copy, ==, expected);
  g_assert_cmpuint (len, ==, strlen (expected));
}

/* A SCRAM exchange with the client-first-message already sent. */
static TalkXmppSasl *
start_scram (TalkXmppSaslMechanism  mech,
             const char            *username,
             const char            *password,
             const char            *nonce,
             const char            *expected_first)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) first = NULL;
  TalkXmppSasl *sasl = talk_xmpp_sasl_new (mech, username, password, NULL, NULL);

  g_assert_cmpint (talk_xmpp_sasl_get_mechanism (sasl), ==, mech);
  talk_xmpp_sasl_set_client_nonce (sasl, nonce);
  first = talk_xmpp_sasl_initial_response (sasl, &error);
  g_assert_no_error (error);
  if (expected_first != NULL)
    assert_bytes_str (first, expected_first);

  return sasl;
}

static GBytes *
step_str (TalkXmppSasl  *sasl,
          const char    *server_first,
          GError       **error)
{
  g_autoptr(GBytes) challenge = bytes_new (server_first);

  return talk_xmpp_sasl_step (sasl, challenge, error);
}

static gboolean
verify_str (TalkXmppSasl  *sasl,
            const char    *server_final,
            GError       **error)
{
  g_autoptr(GBytes) data = bytes_new (server_final);

  return talk_xmpp_sasl_verify_success (sasl, data, error);
}

/* @needle: (nullable): a word the error message must contain */
static void
assert_step_fails_with (const char *server_first,
                        const char *needle)
{
  g_autoptr(TalkXmppSasl) sasl = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) final = NULL;

  sasl = start_scram (TALK_XMPP_SASL_MECHANISM_SCRAM_SHA_1, "user", "pencil",
                      SHA1_NONCE, NULL);
  final = step_str (sasl, server_first, &error);
  g_assert_null (final);
  g_assert_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_AUTH_PROTOCOL);
  g_assert_nonnull (error->message);
  g_assert_cmpstr (error->message, !=, "");
  if (needle != NULL)
    g_assert_nonnull (strstr (error->message, needle));

  /* A failed exchange stays failed. */
  g_clear_error (&error);
  g_assert_false (verify_str (sasl, SHA1_SERVER_FINAL, &error));
  g_assert_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_AUTH_PROTOCOL);
}

static void
assert_step_fails (const char *server_first)
{
  assert_step_fails_with (server_first, NULL);
}

/* An exchange that reached the client-final-message of RFC 5802 §5. */
static TalkXmppSasl *
sha1_after_step (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) final = NULL;
  TalkXmppSasl *sasl;

  sasl = start_scram (TALK_XMPP_SASL_MECHANISM_SCRAM_SHA_1, "user", "pencil",
                      SHA1_NONCE, "n,,n=user,r=" SHA1_NONCE);
  final = step_str (sasl, SHA1_SERVER_FIRST, &error);
  g_assert_no_error (error);
  assert_bytes_str (final, SHA1_CLIENT_FINAL);

  return sasl;
}

static void
test_scram_sha1_rfc5802 (void)
{
  g_autoptr(TalkXmppSasl) sasl = sha1_after_step ();
  g_autoptr(GError) error = NULL;

  g_assert_true (verify_str (sasl, SHA1_SERVER_FINAL, &error));
  g_assert_no_error (error);
}

static void
test_scram_sha256_rfc7677 (void)
{
  g_autoptr(TalkXmppSasl) sasl = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) final = NULL;

  sasl = start_scram (TALK_XMPP_SASL_MECHANISM_SCRAM_SHA_256, "user", "pencil",
                      SHA256_NONCE, "n,,n=user,r=" SHA256_NONCE);
  final = step_str (sasl, SHA256_SERVER_FIRST, &error);
  g_assert_no_error (error);
  assert_bytes_str (final, SHA256_CLIENT_FINAL);

  g_assert_true (verify_str (sasl, SHA256_SERVER_FINAL, &error));
  g_assert_no_error (error);
}

static void
test_scram_plus (void)
{
  guint8 cb[32];
  g_autoptr(GBytes) cb_data = NULL;
  g_autoptr(TalkXmppSasl) sasl = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) first = NULL;
  g_autoptr(GBytes) final = NULL;
  g_autofree char *expected_c = NULL;
  guint8 cbind_input[sizeof "p=tls-exporter,," - 1 + sizeof cb];

  for (gsize i = 0; i < sizeof cb; i++)
    cb[i] = (guint8) i;
  cb_data = g_bytes_new (cb, sizeof cb);

  sasl = talk_xmpp_sasl_new (TALK_XMPP_SASL_MECHANISM_SCRAM_SHA_256_PLUS,
                             "user", "pencil", "tls-exporter", cb_data);
  talk_xmpp_sasl_set_client_nonce (sasl, SHA256_NONCE);
  /* The "y" flag is for non-PLUS mechanisms only. */
  talk_xmpp_sasl_set_client_supports_binding (sasl, TRUE);
  first = talk_xmpp_sasl_initial_response (sasl, &error);
  g_assert_no_error (error);
  assert_bytes_str (first, "p=tls-exporter,,n=user,r=" SHA256_NONCE);

  /* RFC 5802 §7: c = base64 (gs2-header + cbind-data). */
  memcpy (cbind_input, "p=tls-exporter,,", sizeof "p=tls-exporter,," - 1);
  memcpy (cbind_input + sizeof "p=tls-exporter,," - 1, cb, sizeof cb);
  expected_c = g_base64_encode (cbind_input, sizeof cbind_input);
  g_assert_cmpstr (expected_c, ==, "cD10bHMtZXhwb3J0ZXIsLAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f");

  final = step_str (sasl, SHA256_SERVER_FIRST, &error);
  g_assert_no_error (error);
  /* Proof and signature computed independently with Python's hashlib. */
  assert_bytes_str (final, "c=cD10bHMtZXhwb3J0ZXIsLAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f"
                           ",r=" SHA256_SERVER_NONCE
                           ",p=QC6CS20quADQRb3mT99YUH+n3VJxUvzuK0K0E1Vrs2M=");

  /* The plain RFC 7677 signature no longer fits: the binding is part of
   * the AuthMessage. */
  g_assert_false (verify_str (sasl, SHA256_SERVER_FINAL, &error));
  g_assert_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_AUTH_PROTOCOL);
}

static void
test_scram_plus_verify (void)
{
  g_autoptr(GBytes) cb_data = g_bytes_new_static ("\x00\x01\x02\x03\x04\x05\x06\x07"
                                                  "\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f"
                                                  "\x10\x11\x12\x13\x14\x15\x16\x17"
                                                  "\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f", 32);
  g_autoptr(TalkXmppSasl) sasl = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) first = NULL;
  g_autoptr(GBytes) final = NULL;

  sasl = talk_xmpp_sasl_new (TALK_XMPP_SASL_MECHANISM_SCRAM_SHA_256_PLUS,
                             "user", "pencil", "tls-exporter", cb_data);
  talk_xmpp_sasl_set_client_nonce (sasl, SHA256_NONCE);
  first = talk_xmpp_sasl_initial_response (sasl, &error);
  g_assert_no_error (error);
  final = step_str (sasl, SHA256_SERVER_FIRST, &error);
  g_assert_no_error (error);
  g_assert_nonnull (final);
  g_assert_true (verify_str (sasl, "v=2GiAgapEppLVlUXbxUDksL3VgYHzuqiK5tR4mhJGgvs=", &error));
  g_assert_no_error (error);
}

static void
test_scram_plus_without_binding (void)
{
  g_autoptr(GBytes) cb_data = bytes_new ("data");
  const struct
  {
    const char *cb_type;
    GBytes     *cb_data;
  } cases[] = {
    { NULL, cb_data },
    { "tls-exporter", NULL },
    { "", cb_data },
    { "tls,exporter", cb_data },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(TalkXmppSasl) sasl = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) first = NULL;

      sasl = talk_xmpp_sasl_new (TALK_XMPP_SASL_MECHANISM_SCRAM_SHA_1_PLUS,
                                 "user", "pencil", cases[i].cb_type, cases[i].cb_data);
      first = talk_xmpp_sasl_initial_response (sasl, &error);
      g_assert_null (first);
      g_assert_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_AUTH_PROTOCOL);
    }
}

static void
test_scram_y_flag (void)
{
  g_autoptr(TalkXmppSasl) sasl = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) first = NULL;
  g_autoptr(GBytes) final = NULL;

  sasl = talk_xmpp_sasl_new (TALK_XMPP_SASL_MECHANISM_SCRAM_SHA_1,
                             "user", "pencil", NULL, NULL);
  talk_xmpp_sasl_set_client_nonce (sasl, SHA1_NONCE);
  talk_xmpp_sasl_set_client_supports_binding (sasl, TRUE);
  first = talk_xmpp_sasl_initial_response (sasl, &error);
  g_assert_no_error (error);
  assert_bytes_str (first, "y,,n=user,r=" SHA1_NONCE);

  final = step_str (sasl, SHA1_SERVER_FIRST, &error);
  g_assert_no_error (error);
  /* base64 ("y,,") = "eSws"; proof from Python's hashlib. */
  assert_bytes_str (final, "c=eSws,r=" SHA1_SERVER_NONCE ",p=BjZF5dV+EkD3YCb3pH3IP8riMGw=");
  g_assert_true (verify_str (sasl, "v=dsprQ5R2AGYt1kn4bQRwTAE0PTU=", &error));
  g_assert_no_error (error);
}

static void
test_wrong_server_signature (void)
{
  const char *finals[] = {
    "v=rmF9pqV8S7suAoZWja4dJRkFsKQ",     /* unpadded */
    "v=smF9pqV8S7suAoZWja4dJRkFsKQ=",    /* one bit off */
    "v=rmF9pqV8S7suAoZWja4dJRkFsKA=",
    "v=rmF9pqV8S7suAoZWja4dJRkF",        /* truncated */
    SHA256_SERVER_FINAL,                 /* another length */
    "v=",
    "v=!!!!",
    "v=rmF9pqV8S7su AoZWja4dJRkFsKQ=",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (finals); i++)
    {
      g_autoptr(TalkXmppSasl) sasl = sha1_after_step ();
      g_autoptr(GError) error = NULL;

      g_assert_false (verify_str (sasl, finals[i], &error));
      g_assert_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_AUTH_PROTOCOL);
    }

  /* The message explains the risk to a person. */
  {
    g_autoptr(TalkXmppSasl) sasl = sha1_after_step ();
    g_autoptr(GError) error = NULL;

    g_assert_false (verify_str (sasl, "v=smF9pqV8S7suAoZWja4dJRkFsKQ=", &error));
    g_assert_nonnull (strstr (error->message, "intercepted"));
  }
}

static void
test_missing_server_signature (void)
{
  const char *finals[] = {
    "",
    "x=rmF9pqV8S7suAoZWja4dJRkFsKQ=",
    "rmF9pqV8S7suAoZWja4dJRkFsKQ=",
    "," SHA1_SERVER_FINAL,
  };

  {
    g_autoptr(TalkXmppSasl) sasl = sha1_after_step ();
    g_autoptr(GError) error = NULL;

    /* RFC 6120 §6.4.6: <success/> without additional data. */
    g_assert_false (talk_xmpp_sasl_verify_success (sasl, NULL, &error));
    g_assert_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_AUTH_PROTOCOL);
  }

  for (gsize i = 0; i < G_N_ELEMENTS (finals); i++)
    {
      g_autoptr(TalkXmppSasl) sasl = sha1_after_step ();
      g_autoptr(GError) error = NULL;

      g_assert_false (verify_str (sasl, finals[i], &error));
      g_assert_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_AUTH_PROTOCOL);
    }
}

static void
test_server_final_extension (void)
{
  g_autoptr(TalkXmppSasl) sasl = sha1_after_step ();
  g_autoptr(GError) error = NULL;

  /* RFC 5802 §7: extensions after the verifier are allowed. */
  g_assert_true (verify_str (sasl, SHA1_SERVER_FINAL ",x=future", &error));
  g_assert_no_error (error);
}

static void
test_server_final_error (void)
{
  g_autoptr(TalkXmppSasl) sasl = sha1_after_step ();
  g_autoptr(GError) error = NULL;

  g_assert_false (verify_str (sasl, "e=invalid-proof", &error));
  g_assert_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_AUTH_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "invalid-proof"));

  /* After a failure not even the right signature is accepted. */
  g_clear_error (&error);
  g_assert_false (verify_str (sasl, SHA1_SERVER_FINAL, &error));
  g_assert_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_AUTH_PROTOCOL);
}

static void
test_server_final_error_long_reason (void)
{
  g_autoptr(TalkXmppSasl) sasl = sha1_after_step ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) reason = g_string_new ("e=");

  for (guint i = 0; i < 1000; i++)
    g_string_append_c (reason, 'x');
  g_string_append (reason, "\xff\xfe");

  g_assert_false (verify_str (sasl, reason->str, &error));
  g_assert_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_AUTH_PROTOCOL);
  /* Network text is bounded and valid UTF-8 before it reaches a person. */
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
  g_assert_cmpuint (strlen (error->message), <, 300);
}

static void
test_nonce_not_extending (void)
{
  assert_step_fails ("r=Xyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096");
  assert_step_fails ("r=3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096");
  assert_step_fails ("r=fyko+d2lbbFgONRv9qkxdaw,s=QSXCR+Q6sek8bf92,i=4096");
  assert_step_fails ("r=,s=QSXCR+Q6sek8bf92,i=4096");
  /* The server's part must be printable too (RFC 5802 §7). */
  assert_step_fails ("r=" SHA1_NONCE "abc def,s=QSXCR+Q6sek8bf92,i=4096");
}

static void
test_nonce_equal (void)
{
  assert_step_fails ("r=" SHA1_NONCE ",s=QSXCR+Q6sek8bf92,i=4096");
}

static void
test_iterations_out_of_range (void)
{
  const char *counts[] = {
    "4095", "10000001", "1000001", "0", "1", "4294967296",
    "99999999999999999999999999",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (counts); i++)
    {
      g_autofree char *first = g_strdup_printf ("r=%s,s=QSXCR+Q6sek8bf92,i=%s",
                                                SHA1_SERVER_NONCE, counts[i]);
      assert_step_fails_with (first, "accepted range");
    }

  /* The message names the count and the accepted range. */
  {
    g_autoptr(TalkXmppSasl) sasl = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) final = NULL;

    sasl = start_scram (TALK_XMPP_SASL_MECHANISM_SCRAM_SHA_1, "user", "pencil",
                        SHA1_NONCE, NULL);
    final = step_str (sasl, "r=" SHA1_SERVER_NONCE ",s=QSXCR+Q6sek8bf92,i=4095", &error);
    g_assert_null (final);
    g_assert_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_AUTH_PROTOCOL);
    g_assert_nonnull (strstr (error->message, "4095"));
    g_assert_nonnull (strstr (error->message, "1000000"));
  }
}

static void
test_iterations_malformed (void)
{
  const char *counts[] = {
    "abc", "4096abc", "-4096", "+4096", "", " 4096", "4096 ", "0x1000",
    "4096.0", "-18446744073709547520",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (counts); i++)
    {
      g_autofree char *first = g_strdup_printf ("r=%s,s=QSXCR+Q6sek8bf92,i=%s",
                                                SHA1_SERVER_NONCE, counts[i]);
      assert_step_fails_with (first, "invalid iteration count");
    }
}

static void
test_iterations_bounds_accepted (void)
{
  const char *counts[] = { "1000000", "04096" };

  for (gsize i = 0; i < G_N_ELEMENTS (counts); i++)
    {
      g_autoptr(TalkXmppSasl) sasl = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) final = NULL;
      g_autofree char *first = g_strdup_printf ("r=%s,s=QSXCR+Q6sek8bf92,i=%s",
                                                SHA1_SERVER_NONCE, counts[i]);

      sasl = start_scram (TALK_XMPP_SASL_MECHANISM_SCRAM_SHA_1, "user", "pencil",
                          SHA1_NONCE, NULL);
      final = step_str (sasl, first, &error);
      g_assert_no_error (error);
      g_assert_nonnull (final);
    }
}

static void
test_bad_salt (void)
{
  const char *salts[] = {
    "", "!!!!", "QSXCR+Q6sek8bf9", "QS=CR+Q6sek8bf92", "QSXCR+Q6sek8bf92===",
    "QSXC R+Q6sek8bf92", "====", "QSXCR+Q6sek8b*92",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (salts); i++)
    {
      g_autofree char *first = g_strdup_printf ("r=%s,s=%s,i=4096",
                                                SHA1_SERVER_NONCE, salts[i]);
      assert_step_fails (first);
    }
}

static void
test_mandatory_extension (void)
{
  g_autoptr(TalkXmppSasl) sasl = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) final = NULL;

  assert_step_fails ("m=foo," SHA1_SERVER_FIRST);
  assert_step_fails ("m=");

  /* RFC 5802 §5.1: the client MUST fail, and says why. */
  sasl = start_scram (TALK_XMPP_SASL_MECHANISM_SCRAM_SHA_1, "user", "pencil",
                      SHA1_NONCE, NULL);
  final = step_str (sasl, "m=foo," SHA1_SERVER_FIRST, &error);
  g_assert_null (final);
  g_assert_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_AUTH_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "extension"));
}

static void
test_server_first_error (void)
{
  g_autoptr(TalkXmppSasl) sasl = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) final = NULL;

  sasl = start_scram (TALK_XMPP_SASL_MECHANISM_SCRAM_SHA_1, "user", "pencil",
                      SHA1_NONCE, NULL);
  final = step_str (sasl, "e=unknown-user", &error);
  g_assert_null (final);
  g_assert_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_AUTH_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "unknown-user"));
}

static void
test_malformed_server_first (void)
{
  g_autoptr(TalkXmppSasl) sasl = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) final = NULL;
  g_autoptr(GBytes) with_nul = NULL;

  /* Order is fixed by RFC 5802 §7. */
  assert_step_fails ("s=QSXCR+Q6sek8bf92,r=" SHA1_SERVER_NONCE ",i=4096");
  assert_step_fails ("r=" SHA1_SERVER_NONCE ",i=4096,s=QSXCR+Q6sek8bf92");
  assert_step_fails ("r=" SHA1_SERVER_NONCE ",s=QSXCR+Q6sek8bf92");
  assert_step_fails ("r=" SHA1_SERVER_NONCE);
  assert_step_fails ("");
  assert_step_fails (",");
  assert_step_fails (SHA1_SERVER_FIRST ",");
  assert_step_fails (SHA1_SERVER_FIRST ",garbage");
  assert_step_fails ("R=" SHA1_SERVER_NONCE ",s=QSXCR+Q6sek8bf92,i=4096");

  sasl = start_scram (TALK_XMPP_SASL_MECHANISM_SCRAM_SHA_1, "user", "pencil",
                      SHA1_NONCE, NULL);
  with_nul = g_bytes_new (SHA1_SERVER_FIRST "\0", sizeof SHA1_SERVER_FIRST);
  final = talk_xmpp_sasl_step (sasl, with_nul, &error);
  g_assert_null (final);
  g_assert_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_AUTH_PROTOCOL);
}

static void
test_server_first_extension (void)
{
  g_autoptr(TalkXmppSasl) sasl = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) final = NULL;
  g_autofree char *text = NULL;

  /* Optional trailing extensions are ignored (RFC 5802 §7), but they are
   * part of the AuthMessage, so the proof differs from the RFC's. */
  sasl = start_scram (TALK_XMPP_SASL_MECHANISM_SCRAM_SHA_1, "user", "pencil",
                      SHA1_NONCE, NULL);
  final = step_str (sasl, SHA1_SERVER_FIRST ",x=future", &error);
  g_assert_no_error (error);
  g_assert_nonnull (final);
  text = g_strndup (g_bytes_get_data (final, NULL), g_bytes_get_size (final));
  g_assert_true (g_str_has_prefix (text, "c=biws,r=" SHA1_SERVER_NONCE ",p="));
  g_assert_cmpstr (text, !=, SHA1_CLIENT_FINAL);
}

static void
test_step_twice (void)
{
  g_autoptr(TalkXmppSasl) sasl = sha1_after_step ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) again = NULL;

  again = step_str (sasl, SHA1_SERVER_FIRST, &error);
  g_assert_null (again);
  g_assert_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_AUTH_PROTOCOL);

  /* The exchange is dead: even the right signature fails now. */
  g_clear_error (&error);
  g_assert_false (verify_str (sasl, SHA1_SERVER_FINAL, &error));
  g_assert_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_AUTH_PROTOCOL);
}

static void
test_out_of_order (void)
{
  g_autoptr(GError) error = NULL;

  /* Success before the proof was ever sent. */
  {
    g_autoptr(TalkXmppSasl) sasl = start_scram (TALK_XMPP_SASL_MECHANISM_SCRAM_SHA_1,
                                                "user", "pencil", SHA1_NONCE, NULL);

    g_assert_false (verify_str (sasl, SHA1_SERVER_FINAL, &error));
    g_assert_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_AUTH_PROTOCOL);
    g_clear_error (&error);
  }

  /* Nothing works before the initial response. */
  {
    g_autoptr(TalkXmppSasl) sasl = talk_xmpp_sasl_new (TALK_XMPP_SASL_MECHANISM_SCRAM_SHA_1,
                                                       "user", "pencil", NULL, NULL);
    g_autoptr(GBytes) final = NULL;

    final = step_str (sasl, SHA1_SERVER_FIRST, &error);
    g_assert_null (final);
    g_assert_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_AUTH_PROTOCOL);
    g_clear_error (&error);
  }

  /* One initial response per exchange. */
  {
    g_autoptr(TalkXmppSasl) sasl = start_scram (TALK_XMPP_SASL_MECHANISM_SCRAM_SHA_1,
                                                "user", "pencil", SHA1_NONCE, NULL);
    g_autoptr(GBytes) first = talk_xmpp_sasl_initial_response (sasl, &error);

    g_assert_null (first);
    g_assert_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_AUTH_PROTOCOL);
    g_clear_error (&error);
  }

  /* A second verify after success. */
  {
    g_autoptr(TalkXmppSasl) sasl = sha1_after_step ();

    g_assert_true (verify_str (sasl, SHA1_SERVER_FINAL, &error));
    g_assert_no_error (error);
    g_assert_false (verify_str (sasl, SHA1_SERVER_FINAL, &error));
    g_assert_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_AUTH_PROTOCOL);
  }
}

static void
test_username_escaping (void)
{
  g_autoptr(TalkXmppSasl) sasl = NULL;

  /* RFC 5802 §5.1 */
  sasl = start_scram (TALK_XMPP_SASL_MECHANISM_SCRAM_SHA_1, "a,b=c", "pencil",
                      SHA1_NONCE, "n,,n=a=2Cb=3Dc,r=" SHA1_NONCE);
  g_assert_nonnull (sasl);
}

static void
test_username_nfkc (void)
{
  g_autoptr(TalkXmppSasl) sasl = NULL;

  /* Fullwidth "ｕｓｅｒ" and the "ﬁ" ligature fold to ASCII. */
  sasl = start_scram (TALK_XMPP_SASL_MECHANISM_SCRAM_SHA_1,
                      "\xef\xbd\x95\xef\xbd\x93\xef\xbd\x85\xef\xbd\x92\xef\xac\x81",
                      "pencil", SHA1_NONCE, "n,,n=userfi,r=" SHA1_NONCE);
  g_assert_nonnull (sasl);
}

static void
test_password_nfkc (void)
{
  g_autoptr(TalkXmppSasl) composed = NULL;
  g_autoptr(TalkXmppSasl) folded = NULL;
  g_autoptr(TalkXmppSasl) other = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) final_composed = NULL;
  g_autoptr(GBytes) final_folded = NULL;
  g_autoptr(GBytes) final_other = NULL;
  /* Proof for the password "IXa", from Python's hashlib. */
  const char *expected = "c=biws,r=" SHA1_SERVER_NONCE ",p=X2hzP+9u2+XgP0Ak4WJgmF+Kfis=";

  /* U+2168 ROMAN NUMERAL NINE and U+FF41 FULLWIDTH a: NFKC gives "IXa". */
  composed = start_scram (TALK_XMPP_SASL_MECHANISM_SCRAM_SHA_1, "user",
                          "\xe2\x85\xa8\xef\xbd\x81", SHA1_NONCE, NULL);
  folded = start_scram (TALK_XMPP_SASL_MECHANISM_SCRAM_SHA_1, "user", "IXa",
                        SHA1_NONCE, NULL);
  other = start_scram (TALK_XMPP_SASL_MECHANISM_SCRAM_SHA_1, "user", "IXb",
                       SHA1_NONCE, NULL);

  final_composed = step_str (composed, SHA1_SERVER_FIRST, &error);
  g_assert_no_error (error);
  final_folded = step_str (folded, SHA1_SERVER_FIRST, &error);
  g_assert_no_error (error);
  final_other = step_str (other, SHA1_SERVER_FIRST, &error);
  g_assert_no_error (error);

  assert_bytes_str (final_composed, expected);
  assert_bytes_str (final_folded, expected);
  g_assert_false (g_bytes_equal (final_other, final_folded));
  g_assert_true (verify_str (composed, "v=VeoZfUEnh9c8YzvqRqgA2o6Z8cE=", &error));
  g_assert_no_error (error);
}

static void
test_invalid_utf8 (void)
{
  const struct
  {
    TalkXmppSaslMechanism mech;
    const char           *username;
    const char           *password;
  } cases[] = {
    { TALK_XMPP_SASL_MECHANISM_SCRAM_SHA_1, "us\xffr", "pencil" },
    { TALK_XMPP_SASL_MECHANISM_SCRAM_SHA_256, "user", "pen\xc3" },
    { TALK_XMPP_SASL_MECHANISM_PLAIN, "\xc0\xaf", "pencil" },
    { TALK_XMPP_SASL_MECHANISM_SCRAM_SHA_1, "", "pencil" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(TalkXmppSasl) sasl = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(GBytes) first = NULL;

      sasl = talk_xmpp_sasl_new (cases[i].mech, cases[i].username,
                                 cases[i].password, NULL, NULL);
      first = talk_xmpp_sasl_initial_response (sasl, &error);
      g_assert_null (first);
      g_assert_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_AUTH_PROTOCOL);
    }
}

static void
test_random_nonce (void)
{
  g_autoptr(TalkXmppSasl) a = talk_xmpp_sasl_new (TALK_XMPP_SASL_MECHANISM_SCRAM_SHA_256,
                                                  "user", "pencil", NULL, NULL);
  g_autoptr(TalkXmppSasl) b = talk_xmpp_sasl_new (TALK_XMPP_SASL_MECHANISM_SCRAM_SHA_256,
                                                  "user", "pencil", NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) first_a = talk_xmpp_sasl_initial_response (a, &error);
  g_autoptr(GBytes) first_b = NULL;
  gsize len = 0;
  const char *data;
  const char *nonce;

  g_assert_no_error (error);
  first_b = talk_xmpp_sasl_initial_response (b, &error);
  g_assert_no_error (error);
  g_assert_false (g_bytes_equal (first_a, first_b));

  data = g_bytes_get_data (first_a, &len);
  g_assert_true (len > strlen ("n,,n=user,r="));
  g_assert_cmpmem (data, strlen ("n,,n=user,r="), "n,,n=user,r=", strlen ("n,,n=user,r="));
  nonce = data + strlen ("n,,n=user,r=");
  /* 24 random bytes in base64: 32 printable characters, no ','. */
  g_assert_cmpuint (len - strlen ("n,,n=user,r="), ==, 32);
  for (gsize i = 0; i < 32; i++)
    {
      g_assert_cmpint (nonce[i], >=, 0x21);
      g_assert_cmpint (nonce[i], <=, 0x7e);
      g_assert_cmpint (nonce[i], !=, ',');
    }
}

static void
test_plain (void)
{
  g_autoptr(TalkXmppSasl) sasl = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) first = NULL;
  g_autoptr(GBytes) challenge = bytes_new (SHA1_SERVER_FIRST);
  g_autoptr(GBytes) final = NULL;
  g_autoptr(GBytes) expected = g_bytes_new_static ("\0user\0pencil", 12);

  sasl = talk_xmpp_sasl_new (TALK_XMPP_SASL_MECHANISM_PLAIN, "user", "pencil", NULL, NULL);
  g_assert_cmpint (talk_xmpp_sasl_get_mechanism (sasl), ==, TALK_XMPP_SASL_MECHANISM_PLAIN);

  /* RFC 4616 §2: empty authzid, NUL, authcid, NUL, password. */
  first = talk_xmpp_sasl_initial_response (sasl, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (first, expected));

  /* PLAIN has no challenge. */
  final = talk_xmpp_sasl_step (sasl, challenge, &error);
  g_assert_null (final);
  g_assert_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_AUTH_PROTOCOL);
  g_clear_error (&error);

  g_assert_true (talk_xmpp_sasl_verify_success (sasl, NULL, &error));
  g_assert_no_error (error);
}

static void
test_plain_nfkc (void)
{
  g_autoptr(TalkXmppSasl) sasl = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) first = NULL;
  g_autoptr(GBytes) expected = g_bytes_new_static ("\0a,b=c\0IXa", 10);

  /* Escaping is SCRAM's; PLAIN sends the name as it is, prepared. */
  sasl = talk_xmpp_sasl_new (TALK_XMPP_SASL_MECHANISM_PLAIN, "a,b=c",
                             "\xe2\x85\xa8\xef\xbd\x81", NULL, NULL);
  first = talk_xmpp_sasl_initial_response (sasl, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (first, expected));
}

static void
test_mechanism_names (void)
{
  const struct
  {
    TalkXmppSaslMechanism mech;
    const char           *name;
    gboolean              plus;
  } table[] = {
    { TALK_XMPP_SASL_MECHANISM_SCRAM_SHA_256_PLUS, "SCRAM-SHA-256-PLUS", TRUE },
    { TALK_XMPP_SASL_MECHANISM_SCRAM_SHA_1_PLUS, "SCRAM-SHA-1-PLUS", TRUE },
    { TALK_XMPP_SASL_MECHANISM_SCRAM_SHA_256, "SCRAM-SHA-256", FALSE },
    { TALK_XMPP_SASL_MECHANISM_SCRAM_SHA_1, "SCRAM-SHA-1", FALSE },
    { TALK_XMPP_SASL_MECHANISM_PLAIN, "PLAIN", FALSE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (table); i++)
    {
      g_assert_cmpstr (talk_xmpp_sasl_mechanism_to_string (table[i].mech), ==, table[i].name);
      g_assert_cmpint (talk_xmpp_sasl_mechanism_from_string (table[i].name), ==, table[i].mech);
      g_assert_cmpint (talk_xmpp_sasl_mechanism_is_plus (table[i].mech), ==, table[i].plus);
    }

  g_assert_null (talk_xmpp_sasl_mechanism_to_string (TALK_XMPP_SASL_MECHANISM_NONE));
  g_assert_false (talk_xmpp_sasl_mechanism_is_plus (TALK_XMPP_SASL_MECHANISM_NONE));
  g_assert_cmpint (talk_xmpp_sasl_mechanism_from_string (NULL), ==, TALK_XMPP_SASL_MECHANISM_NONE);
  g_assert_cmpint (talk_xmpp_sasl_mechanism_from_string (""), ==, TALK_XMPP_SASL_MECHANISM_NONE);
  /* RFC 4422 §3.1: names are uppercase; compare exactly. */
  g_assert_cmpint (talk_xmpp_sasl_mechanism_from_string ("plain"), ==, TALK_XMPP_SASL_MECHANISM_NONE);
  g_assert_cmpint (talk_xmpp_sasl_mechanism_from_string ("Scram-Sha-1"), ==, TALK_XMPP_SASL_MECHANISM_NONE);
  g_assert_cmpint (talk_xmpp_sasl_mechanism_from_string ("SCRAM-SHA-512"), ==, TALK_XMPP_SASL_MECHANISM_NONE);
  g_assert_cmpint (talk_xmpp_sasl_mechanism_from_string ("PLAIN "), ==, TALK_XMPP_SASL_MECHANISM_NONE);
}

static void
test_choose (void)
{
  const char *all[] = { "PLAIN", "SCRAM-SHA-1", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-256",
                        "SCRAM-SHA-256-PLUS", NULL };
  const char *sha1_both[] = { "SCRAM-SHA-1-PLUS", "SCRAM-SHA-1", "PLAIN", NULL };
  const char *no_plus[] = { "SCRAM-SHA-1", "PLAIN", "SCRAM-SHA-256", NULL };
  const char *plus_only[] = { "SCRAM-SHA-256-PLUS", NULL };
  const char *plain_only[] = { "PLAIN", NULL };
  const char *unknown[] = { "X-OAUTH2", "DIGEST-MD5", "scram-sha-256", "EXTERNAL",
                            "ANONYMOUS", "SCRAM-SHA-512", NULL };
  const char *unknown_and_sha1[] = { "X-OAUTH2", "scram-sha-256", "SCRAM-SHA-1", "plain", NULL };
  const char *empty[] = { NULL };
  const struct
  {
    const char * const   *offered;
    gboolean              cb;
    gboolean              tls;
    TalkXmppSaslMechanism expected;
  } cases[] = {
    { all, TRUE, TRUE, TALK_XMPP_SASL_MECHANISM_SCRAM_SHA_256_PLUS },
    { all, FALSE, TRUE, TALK_XMPP_SASL_MECHANISM_SCRAM_SHA_256 },
    { all, FALSE, FALSE, TALK_XMPP_SASL_MECHANISM_SCRAM_SHA_256 },
    /* Channel binding needs the TLS channel it binds to. */
    { all, TRUE, FALSE, TALK_XMPP_SASL_MECHANISM_SCRAM_SHA_256 },
    { sha1_both, TRUE, TRUE, TALK_XMPP_SASL_MECHANISM_SCRAM_SHA_1_PLUS },
    { sha1_both, FALSE, TRUE, TALK_XMPP_SASL_MECHANISM_SCRAM_SHA_1 },
    { no_plus, TRUE, TRUE, TALK_XMPP_SASL_MECHANISM_SCRAM_SHA_256 },
    { no_plus, FALSE, FALSE, TALK_XMPP_SASL_MECHANISM_SCRAM_SHA_256 },
    { plus_only, TRUE, TRUE, TALK_XMPP_SASL_MECHANISM_SCRAM_SHA_256_PLUS },
    { plus_only, FALSE, TRUE, TALK_XMPP_SASL_MECHANISM_NONE },
    { plain_only, TRUE, TRUE, TALK_XMPP_SASL_MECHANISM_PLAIN },
    { plain_only, FALSE, TRUE, TALK_XMPP_SASL_MECHANISM_PLAIN },
    /* DESIGN.md: never PLAIN over plaintext. */
    { plain_only, FALSE, FALSE, TALK_XMPP_SASL_MECHANISM_NONE },
    { plain_only, TRUE, FALSE, TALK_XMPP_SASL_MECHANISM_NONE },
    { unknown, TRUE, TRUE, TALK_XMPP_SASL_MECHANISM_NONE },
    { unknown_and_sha1, TRUE, TRUE, TALK_XMPP_SASL_MECHANISM_SCRAM_SHA_1 },
    { unknown_and_sha1, FALSE, FALSE, TALK_XMPP_SASL_MECHANISM_SCRAM_SHA_1 },
    { empty, TRUE, TRUE, TALK_XMPP_SASL_MECHANISM_NONE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpint (talk_xmpp_sasl_choose (cases[i].offered, cases[i].cb, cases[i].tls),
                     ==, cases[i].expected);
}

static void
test_choose_channel_binding (void)
{
  const char *local_all[] = { "tls-server-end-point", "tls-unique", "tls-exporter", NULL };
  const char *local_endpoint[] = { "tls-server-end-point", NULL };
  const char *local_exporter[] = { "tls-exporter", NULL };
  const char *local_none[] = { NULL };
  const char *server_all[] = { "tls-server-end-point", "tls-unique", "tls-exporter", NULL };
  const char *server_endpoint[] = { "tls-server-end-point", NULL };
  const char *server_unique[] = { "tls-unique", NULL };
  const char *server_exporter[] = { "tls-exporter", NULL };
  const char *server_unknown[] = { "tls-future", "TLS-EXPORTER", NULL };
  const char *server_empty[] = { NULL };
  const struct
  {
    const char * const *server;
    gboolean            tls13;
    const char * const *local;
    const char         *expected;
  } cases[] = {
    /* No XEP-0440 list: the version's default type. */
    { NULL, TRUE, local_all, "tls-exporter" },
    { NULL, FALSE, local_all, "tls-unique" },
    { NULL, TRUE, local_endpoint, NULL },
    { NULL, FALSE, local_exporter, NULL },
    { NULL, TRUE, local_none, NULL },
    /* With a list: exporter on 1.3, unique on 1.2, end-point as fallback. */
    { server_all, TRUE, local_all, "tls-exporter" },
    { server_all, FALSE, local_all, "tls-unique" },
    { server_all, TRUE, local_endpoint, "tls-server-end-point" },
    { server_all, FALSE, local_exporter, NULL },
    { server_all, TRUE, local_exporter, "tls-exporter" },
    { server_endpoint, TRUE, local_all, "tls-server-end-point" },
    { server_endpoint, FALSE, local_all, "tls-server-end-point" },
    { server_endpoint, TRUE, local_exporter, NULL },
    /* tls-unique is not defined for TLS 1.3 (RFC 9266 §3). */
    { server_unique, TRUE, local_all, NULL },
    { server_unique, FALSE, local_all, "tls-unique" },
    /* tls-exporter is for TLS 1.3 only here. */
    { server_exporter, FALSE, local_all, NULL },
    { server_exporter, TRUE, local_all, "tls-exporter" },
    { server_unknown, TRUE, local_all, NULL },
    { server_empty, TRUE, local_all, NULL },
    { server_all, TRUE, local_none, NULL },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpstr (talk_xmpp_sasl_choose_channel_binding (cases[i].server, cases[i].tls13,
                                                            cases[i].local),
                     ==, cases[i].expected);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/talk/xmpp/sasl/scram-sha-1-rfc5802", test_scram_sha1_rfc5802);
  g_test_add_func ("/talk/xmpp/sasl/scram-sha-256-rfc7677", test_scram_sha256_rfc7677);
  g_test_add_func ("/talk/xmpp/sasl/scram-plus-gs2-header", test_scram_plus);
  g_test_add_func ("/talk/xmpp/sasl/scram-plus-verify", test_scram_plus_verify);
  g_test_add_func ("/talk/xmpp/sasl/scram-plus-without-binding", test_scram_plus_without_binding);
  g_test_add_func ("/talk/xmpp/sasl/scram-y-flag", test_scram_y_flag);
  g_test_add_func ("/talk/xmpp/sasl/wrong-server-signature", test_wrong_server_signature);
  g_test_add_func ("/talk/xmpp/sasl/missing-server-signature", test_missing_server_signature);
  g_test_add_func ("/talk/xmpp/sasl/server-final-extension", test_server_final_extension);
  g_test_add_func ("/talk/xmpp/sasl/server-final-error", test_server_final_error);
  g_test_add_func ("/talk/xmpp/sasl/server-final-error-long-reason", test_server_final_error_long_reason);
  g_test_add_func ("/talk/xmpp/sasl/nonce-not-extending", test_nonce_not_extending);
  g_test_add_func ("/talk/xmpp/sasl/nonce-equal", test_nonce_equal);
  g_test_add_func ("/talk/xmpp/sasl/iterations-out-of-range", test_iterations_out_of_range);
  g_test_add_func ("/talk/xmpp/sasl/iterations-malformed", test_iterations_malformed);
  g_test_add_func ("/talk/xmpp/sasl/iterations-bounds-accepted", test_iterations_bounds_accepted);
  g_test_add_func ("/talk/xmpp/sasl/bad-salt", test_bad_salt);
  g_test_add_func ("/talk/xmpp/sasl/mandatory-extension", test_mandatory_extension);
  g_test_add_func ("/talk/xmpp/sasl/server-first-error", test_server_first_error);
  g_test_add_func ("/talk/xmpp/sasl/malformed-server-first", test_malformed_server_first);
  g_test_add_func ("/talk/xmpp/sasl/server-first-extension", test_server_first_extension);
  g_test_add_func ("/talk/xmpp/sasl/step-twice", test_step_twice);
  g_test_add_func ("/talk/xmpp/sasl/out-of-order", test_out_of_order);
  g_test_add_func ("/talk/xmpp/sasl/username-escaping", test_username_escaping);
  g_test_add_func ("/talk/xmpp/sasl/username-nfkc", test_username_nfkc);
  g_test_add_func ("/talk/xmpp/sasl/password-nfkc", test_password_nfkc);
  g_test_add_func ("/talk/xmpp/sasl/invalid-utf8", test_invalid_utf8);
  g_test_add_func ("/talk/xmpp/sasl/random-nonce", test_random_nonce);
  g_test_add_func ("/talk/xmpp/sasl/plain", test_plain);
  g_test_add_func ("/talk/xmpp/sasl/plain-nfkc", test_plain_nfkc);
  g_test_add_func ("/talk/xmpp/sasl/mechanism-names", test_mechanism_names);
  g_test_add_func ("/talk/xmpp/sasl/choose", test_choose);
  g_test_add_func ("/talk/xmpp/sasl/choose-channel-binding", test_choose_channel_binding);

  return g_test_run ();
}
