/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Sign-in against a real Prosody started by the fixture: STARTTLS and
 * direct TLS, the SASL mechanism chosen, wrong password, an untrusted
 * certificate then pinned, an IQ ping round trip, disco#info both ways.
 */
#include "talk-xmpp.h"
#include "talk-test-prosody.h"

static TalkTestProsody *prosody;

typedef struct
{
  gboolean  done;
  gboolean  ok;
  GError   *error;
  TalkXmppStanza *reply;
} Op;

static void
op_clear (Op *op)
{
  g_clear_error (&op->error);
  g_clear_pointer (&op->reply, talk_xmpp_stanza_unref);
  op->done = op->ok = FALSE;
}

static gboolean
op_done (gpointer data)
{
  return ((Op *) data)->done;
}

static void
connect_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  Op *op = data;

  op->ok = talk_xmpp_session_connect_finish (TALK_XMPP_SESSION (source), result, &op->error);
  op->done = TRUE;
}

static void
disconnect_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  Op *op = data;

  op->ok = talk_xmpp_session_disconnect_finish (TALK_XMPP_SESSION (source), result, &op->error);
  op->done = TRUE;
}

static void
ping_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  Op *op = data;

  op->ok = talk_xmpp_session_ping_finish (TALK_XMPP_SESSION (source), result, &op->error);
  op->done = TRUE;
}

static void
disco_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  Op *op = data;

  op->reply = talk_xmpp_disco_query_info_finish (TALK_XMPP_DISCO (source), result, &op->error);
  op->ok = op->reply != NULL;
  op->done = TRUE;
}

static TalkXmppSession *
make_session_for (TalkTestProsody *server,
                  const char      *user,
                  gboolean         direct_tls,
                  gboolean         pin,
                  const char      *password)
{
  g_autofree char *jid_str = g_strdup_printf ("%s@%s", user, TALK_TEST_DOMAIN);
  g_autoptr(TalkXmppJid) jid = talk_xmpp_jid_new (jid_str, NULL);
  g_autofree char *default_password = g_strdup_printf ("%s-secret", user);
  TalkXmppSession *session = talk_xmpp_session_new (jid);

  g_object_set (session, "auto-reconnect", FALSE, NULL);
  talk_xmpp_session_set_password (session, password ? password : default_password);
  talk_xmpp_session_set_host (session, "127.0.0.1",
                              direct_tls ? talk_test_prosody_get_direct_tls_port (server)
                                         : talk_test_prosody_get_port (server),
                              direct_tls);
  if (pin)
    talk_xmpp_session_set_pinned_certificate (session, talk_test_prosody_get_fingerprint (server));
  return session;
}

static TalkXmppSession *
make_session (const char *user,
              gboolean    direct_tls,
              gboolean    pin,
              const char *password)
{
  return make_session_for (prosody, user, direct_tls, pin, password);
}

static void
connect_and_wait (TalkXmppSession *session, Op *op)
{
  op_clear (op);
  talk_xmpp_session_connect_async (session, NULL, connect_cb, op);
  g_assert_true (talk_test_wait_for (op_done, op, 30000));
}

static void
disconnect_and_wait (TalkXmppSession *session)
{
  Op op = { 0 };

  talk_xmpp_session_disconnect_async (session, NULL, disconnect_cb, &op);
  g_assert_true (talk_test_wait_for (op_done, &op, 10000));
  g_assert_no_error (op.error);
  g_assert_cmpint (talk_xmpp_session_get_state (session), ==, TALK_XMPP_SESSION_STATE_DISCONNECTED);
  op_clear (&op);
}

static void
assert_signed_in_with (TalkXmppSession       *session,
                       const char            *user,
                       TalkTestProsody       *server,
                       TalkXmppSaslMechanism  expected)
{
  TalkXmppJid *bound = talk_xmpp_session_get_bound_jid (session);
  g_autofree char *bare = g_strdup_printf ("%s@%s", user, TALK_TEST_DOMAIN);
  TalkXmppSaslMechanism mech = talk_xmpp_session_get_sasl_mechanism (session);

  g_assert_cmpint (talk_xmpp_session_get_state (session), ==, TALK_XMPP_SESSION_STATE_ONLINE);
  g_assert_nonnull (bound);
  g_assert_cmpstr (talk_xmpp_jid_get_bare_string (bound), ==, bare);
  g_assert_nonnull (talk_xmpp_jid_get_resourcepart (bound));

  g_test_message ("mechanism %s, %s",
                  talk_xmpp_sasl_mechanism_to_string (mech),
                  talk_xmpp_session_get_tls_version (session));
  g_assert_cmpstr (talk_xmpp_sasl_mechanism_to_string (mech), ==,
                   talk_xmpp_sasl_mechanism_to_string (expected));
  g_assert_cmpstr (talk_xmpp_session_get_peer_fingerprint (session), ==,
                   talk_test_prosody_get_fingerprint (server));
}

/* Prosody 0.12 with hashed storage offers SCRAM-SHA-1 and PLAIN on TLS 1.3
 * (no channel binding type it supports exists there): the best is SCRAM-SHA-1,
 * never PLAIN. The -PLUS cases run against servers set up for them below. */
static void
assert_signed_in (TalkXmppSession *session, const char *user)
{
  assert_signed_in_with (session, user, prosody, TALK_XMPP_SASL_MECHANISM_SCRAM_SHA_1);
}

static void
test_starttls (void)
{
  g_autoptr(TalkXmppSession) session = make_session ("alice", FALSE, TRUE, NULL);
  Op op = { 0 };

  connect_and_wait (session, &op);
  g_assert_no_error (op.error);
  g_assert_true (op.ok);
  assert_signed_in (session, "alice");
  disconnect_and_wait (session);
  op_clear (&op);
}

static void
test_direct_tls (void)
{
  g_autoptr(TalkXmppSession) session = make_session ("bob", TRUE, TRUE, NULL);
  Op op = { 0 };

  connect_and_wait (session, &op);
  g_assert_no_error (op.error);
  assert_signed_in (session, "bob");
  disconnect_and_wait (session);
  op_clear (&op);
}

static void
test_wrong_password (void)
{
  g_autoptr(TalkXmppSession) session = make_session ("alice", FALSE, TRUE, "not-the-password");
  Op op = { 0 };

  connect_and_wait (session, &op);
  g_assert_false (op.ok);
  g_assert_error (op.error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_AUTH_FAILED);
  g_test_message ("wrong password: %s", op.error->message);
  g_assert_cmpint (talk_xmpp_session_get_state (session), ==, TALK_XMPP_SESSION_STATE_DISCONNECTED);
  op_clear (&op);
}

static void
test_untrusted_then_pinned (void)
{
  g_autoptr(TalkXmppSession) session = make_session ("alice", FALSE, FALSE, NULL);
  const char *fingerprint = talk_test_prosody_get_fingerprint (prosody);
  Op op = { 0 };

  connect_and_wait (session, &op);
  g_assert_error (op.error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_CERTIFICATE);
  g_test_message ("untrusted: %s", op.error->message);
  g_assert_nonnull (strstr (op.error->message, fingerprint));
  g_assert_cmpstr (talk_xmpp_session_get_peer_fingerprint (session), ==, fingerprint);
  g_assert_cmpint (talk_xmpp_session_get_state (session), ==, TALK_XMPP_SESSION_STATE_DISCONNECTED);

  /* A pin for some other certificate must not help. */
  talk_xmpp_session_set_pinned_certificate (session,
    "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF");
  connect_and_wait (session, &op);
  g_assert_error (op.error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_CERTIFICATE);

  /* The user decides to trust it: pinned, the same session signs in. */
  talk_xmpp_session_set_pinned_certificate (session, fingerprint);
  connect_and_wait (session, &op);
  g_assert_no_error (op.error);
  assert_signed_in (session, "alice");
  disconnect_and_wait (session);
  op_clear (&op);
}

static void
test_ping (void)
{
  g_autoptr(TalkXmppSession) session = make_session ("alice", FALSE, TRUE, NULL);
  Op op = { 0 };
  gint64 start;

  connect_and_wait (session, &op);
  g_assert_no_error (op.error);

  op_clear (&op);
  start = g_get_monotonic_time ();
  talk_xmpp_session_ping_async (session, NULL, NULL, ping_cb, &op);
  g_assert_true (talk_test_wait_for (op_done, &op, 10000));
  g_assert_no_error (op.error);
  g_assert_true (op.ok);
  g_test_message ("ping round trip %.1f ms", (g_get_monotonic_time () - start) / 1000.0);

  disconnect_and_wait (session);
  op_clear (&op);
}

static gboolean
has_feature (TalkXmppStanza *query, const char *var)
{
  TalkXmppStanzaIter iter;
  TalkXmppStanza *child;

  talk_xmpp_stanza_iter_init (&iter, query);
  while (talk_xmpp_stanza_iter_next (&iter, &child))
    if (talk_xmpp_stanza_is (child, "feature", TALK_XMPP_NS_DISCO_INFO) &&
        g_strcmp0 (talk_xmpp_stanza_get_attribute (child, "var"), var) == 0)
      return TRUE;
  return FALSE;
}

static void
test_disco (void)
{
  g_autoptr(TalkXmppSession) alice = make_session ("alice", FALSE, TRUE, NULL);
  g_autoptr(TalkXmppSession) bob = make_session ("bob", TRUE, TRUE, NULL);
  g_autoptr(TalkXmppDisco) alice_disco = talk_xmpp_disco_new (alice);
  g_autoptr(TalkXmppDisco) bob_disco = talk_xmpp_disco_new (bob);
  g_autofree char *ver = NULL;
  TalkXmppStanza *identity;
  const char *alice_full;
  Op op = { 0 };

  connect_and_wait (alice, &op);
  g_assert_no_error (op.error);
  connect_and_wait (bob, &op);
  g_assert_no_error (op.error);

  /* The server answers our query. */
  op_clear (&op);
  talk_xmpp_disco_query_info_async (alice_disco, TALK_TEST_DOMAIN, NULL, NULL, disco_cb, &op);
  g_assert_true (talk_test_wait_for (op_done, &op, 10000));
  g_assert_no_error (op.error);
  identity = talk_xmpp_stanza_get_child (op.reply, "identity", TALK_XMPP_NS_DISCO_INFO);
  g_assert_nonnull (identity);
  g_assert_cmpstr (talk_xmpp_stanza_get_attribute (identity, "category"), ==, "server");
  g_assert_true (has_feature (op.reply, TALK_XMPP_NS_PING));

  /* Talk answers another client's query, through the real server. */
  alice_full = talk_xmpp_jid_to_string (talk_xmpp_session_get_bound_jid (alice));
  op_clear (&op);
  talk_xmpp_disco_query_info_async (bob_disco, alice_full, NULL, NULL, disco_cb, &op);
  g_assert_true (talk_test_wait_for (op_done, &op, 10000));
  g_assert_no_error (op.error);
  identity = talk_xmpp_stanza_get_child (op.reply, "identity", TALK_XMPP_NS_DISCO_INFO);
  g_assert_nonnull (identity);
  g_assert_cmpstr (talk_xmpp_stanza_get_attribute (identity, "category"), ==, "client");
  g_assert_cmpstr (talk_xmpp_stanza_get_attribute (identity, "name"), ==, "Talk");
  g_assert_true (has_feature (op.reply, TALK_XMPP_NS_DISCO_INFO));
  g_assert_true (has_feature (op.reply, TALK_XMPP_NS_PING));
  g_assert_true (has_feature (op.reply, TALK_XMPP_NS_VERSION));

  /* What she answers hashes to the caps she would announce (XEP-0115 §5.1). */
  ver = talk_xmpp_caps_compute_ver (op.reply, NULL);
  g_assert_cmpstr (ver, ==, talk_xmpp_disco_get_caps_ver (alice_disco));

  /* A ping from bob to alice's full JID is answered by Talk. */
  op_clear (&op);
  talk_xmpp_session_ping_async (bob, alice_full, NULL, ping_cb, &op);
  g_assert_true (talk_test_wait_for (op_done, &op, 10000));
  g_assert_no_error (op.error);
  g_assert_true (op.ok);

  disconnect_and_wait (alice);
  disconnect_and_wait (bob);
  op_clear (&op);
}

/* Channel binding and SCRAM-SHA-256 need a server that offers them: Prosody
 * 0.12 binds with tls-unique only (TLS 1.2), and offers SCRAM-SHA-256 only
 * with plain password storage. Talk must pick the strongest offered. */
static void
run_mechanism_case (TalkTestProsodyFlags   flags,
                    gboolean               direct_tls,
                    TalkXmppSaslMechanism  expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TalkTestProsody) server = talk_test_prosody_start_with_flags (flags, &error);
  g_autoptr(TalkXmppSession) session = NULL;
  Op op = { 0 };

  g_assert_no_error (error);
  session = make_session_for (server, "alice", direct_tls, TRUE, NULL);
  connect_and_wait (session, &op);
  g_assert_no_error (op.error);
  assert_signed_in_with (session, "alice", server, expected);
  disconnect_and_wait (session);
  op_clear (&op);
}

static void
test_mechanism_sha1_plus (void)
{
  run_mechanism_case (TALK_TEST_PROSODY_TLS_1_2_ONLY, FALSE,
                      TALK_XMPP_SASL_MECHANISM_SCRAM_SHA_1_PLUS);
}

static void
test_mechanism_sha256_plus (void)
{
  run_mechanism_case (TALK_TEST_PROSODY_TLS_1_2_ONLY | TALK_TEST_PROSODY_PLAIN_PASSWORDS, TRUE,
                      TALK_XMPP_SASL_MECHANISM_SCRAM_SHA_256_PLUS);
}

static void
test_mechanism_sha256 (void)
{
  run_mechanism_case (TALK_TEST_PROSODY_PLAIN_PASSWORDS, FALSE,
                      TALK_XMPP_SASL_MECHANISM_SCRAM_SHA_256);
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  int ret;

  g_test_init (&argc, &argv, NULL);
  talk_test_isolate_home ();

  prosody = talk_test_prosody_start (&error);
  g_assert_no_error (error);

  g_test_add_func ("/talk/integration/signin/starttls", test_starttls);
  g_test_add_func ("/talk/integration/signin/direct-tls", test_direct_tls);
  g_test_add_func ("/talk/integration/signin/wrong-password", test_wrong_password);
  g_test_add_func ("/talk/integration/signin/untrusted-then-pinned", test_untrusted_then_pinned);
  g_test_add_func ("/talk/integration/signin/mechanism/scram-sha-1-plus", test_mechanism_sha1_plus);
  g_test_add_func ("/talk/integration/signin/mechanism/scram-sha-256-plus", test_mechanism_sha256_plus);
  g_test_add_func ("/talk/integration/signin/mechanism/scram-sha-256", test_mechanism_sha256);
  g_test_add_func ("/talk/integration/signin/ping", test_ping);
  g_test_add_func ("/talk/integration/signin/disco", test_disco);

  ret = g_test_run ();
  talk_test_prosody_free (prosody);
  return ret;
}
