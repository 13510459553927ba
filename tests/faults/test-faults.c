/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The fault and attack suite: what a real server never sends, played by
 * the scripted servers of tests/fixtures/talk-test-peer.h.
 *
 *   /talk/faults/connect/…  the connector against TalkTestServer (TCP,
 *                           STARTTLS with a self-signed certificate)
 *   /talk/faults/stream/…   an online session against TalkTestPeer
 *   /talk/faults/chats/…    the same, with TalkChats and a TalkHistory in
 *                           a temp dir: what is stored and shown
 *
 * Expected throughout: no crash, no hang, bounded memory, forged stanzas
 * dropped with a warning, a clear error where the connection must end,
 * each message stored and shown once. tests/faults/README.md lists each
 * case with what Talk does, and the cases covered elsewhere.
 */

#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "talk-chats.h"
#include "talk-history.h"
#include "talk-roster.h"
#include "talk-test-peer.h"
#include "talk-xmpp.h"

#define DOMAIN    TALK_TEST_SERVER_DOMAIN
#define OWN_BARE  "alice@" DOMAIN
#define OWN_FULL  OWN_BARE "/talk"
#define BOB       "bob@" DOMAIN
#define BOB_FULL  BOB "/phone"
#define EVE       "eve@evil.test"
#define PASSWORD  "correct horse"

#define WAIT_MS 30000
#define WAIT_UNTIL(cond) TALK_TEST_WAIT_UNTIL (cond, WAIT_MS)

#define SERVER_HEADER \
  "<?xml version='1.0'?>" \
  "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'" \
  " from='" DOMAIN "' id='fault' version='1.0' xml:lang='en'>"
#define CLIENT_HEADER_END "xml:lang='en'>"
#define STARTTLS_REQUEST "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
#define FEATURES_STARTTLS \
  "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:features>"
#define PROCEED "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
#define MECHANISMS(list) \
  "<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>" list "</mechanisms>"
#define MECHANISM(name) "<mechanism>" name "</mechanism>"

/* Sanitizers keep freed memory in quarantine: RSS says less there. */
#if defined(__SANITIZE_ADDRESS__)
#define RSS_SLACK 8
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RSS_SLACK 8
#endif
#endif
#ifndef RSS_SLACK
#define RSS_SLACK 1
#endif

/* Resident memory of this process, in bytes. */
static gsize
get_rss (void)
{
  g_autofree char *text = NULL;
  unsigned long pages = 0;
  unsigned long resident = 0;

  g_assert_true (g_file_get_contents ("/proc/self/statm", &text, NULL, NULL));
  g_assert_cmpint (sscanf (text, "%lu %lu", &pages, &resident), ==, 2);
  return (gsize) resident * (gsize) sysconf (_SC_PAGESIZE);
}

static void
assert_rss_growth_below (gsize before,
                         gsize limit_mib)
{
  gsize after = get_rss ();
  gsize growth = after > before ? after - before : 0;

  g_test_message ("RSS grew by %" G_GSIZE_FORMAT " KiB", growth / 1024);
  g_assert_cmpuint (growth, <, (gsize) limit_mib * RSS_SLACK * 1024 * 1024);
}

/* The connector against TalkTestServer */

typedef struct
{
  TalkTestServer    *server;
  TalkXmppConnector *connector;
  TalkXmppStream    *stream;
  GError            *error;
  gint64             elapsed;
} Run;

static void
run_clear (Run *run)
{
  g_clear_object (&run->connector);
  g_clear_object (&run->stream);
  g_clear_error (&run->error);
  g_clear_pointer (&run->server, talk_test_server_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Run, run_clear)

static void
run_init (Run   *run,
          guint  timeout_seconds)
{
  g_autoptr(TalkXmppJid) jid = talk_xmpp_jid_new (OWN_BARE, NULL);

  run->server = talk_test_server_new ();
  run->connector = talk_xmpp_connector_new (jid, PASSWORD);
  talk_xmpp_connector_set_host (run->connector, "127.0.0.1",
                                talk_test_server_get_port (run->server), FALSE);
  talk_xmpp_connector_set_pinned_certificate (run->connector,
                                              talk_test_server_get_fingerprint (run->server));
  talk_xmpp_connector_set_resource (run->connector, "talk");
  talk_xmpp_connector_set_timeout (run->connector, timeout_seconds);
}

static void
run_connect (Run *run)
{
  g_autoptr(GAsyncResult) result = NULL;
  gint64 start = g_get_monotonic_time ();

  talk_xmpp_connector_connect_async (run->connector, NULL, talk_test_store_result_cb, &result);
  WAIT_UNTIL (result != NULL);
  run->stream = talk_xmpp_connector_connect_finish (run->connector, result, &run->error);
  run->elapsed = g_get_monotonic_time () - start;

  if (run->error != NULL)
    g_test_message ("error: %s", run->error->message);
  /* The connection ends: whatever the client still writes is in the log. */
  talk_test_run_for (50);
}

/* A connector that failed says why, in a sentence, and never got online. */
static void
assert_failed (Run   *run,
               GQuark domain,
               int    code)
{
  g_assert_error (run->error, domain, code);
  g_assert_cmpuint (strlen (run->error->message), >, 10);
  g_assert_null (run->stream);
}

static void
script_tls (TalkTestServer *server)
{
  talk_test_server_expect (server, CLIENT_HEADER_END);
  talk_test_server_send (server, SERVER_HEADER FEATURES_STARTTLS);
  talk_test_server_expect (server, STARTTLS_REQUEST);
  talk_test_server_send (server, PROCEED);
  talk_test_server_starttls (server);
}

static void
script_sasl (TalkTestServer *server)
{
  script_tls (server);
  talk_test_server_expect (server, CLIENT_HEADER_END);
  talk_test_server_send (server, SERVER_HEADER "<stream:features>"
                         MECHANISMS (MECHANISM ("SCRAM-SHA-1")) "</stream:features>");
  talk_test_server_expect (server, "</auth>");
}

/* STARTTLS answered with <proceed/>, then plaintext instead of a
 * handshake: what came with <proceed/> is never read as XML, the TLS
 * attempt fails on the plaintext, and nothing is sent in clear after. */
static void
test_starttls_garbage (void)
{
  g_auto(Run) run = { 0, };

  run_init (&run, 5);
  talk_test_server_expect (run.server, CLIENT_HEADER_END);
  talk_test_server_send (run.server, SERVER_HEADER FEATURES_STARTTLS);
  talk_test_server_expect (run.server, STARTTLS_REQUEST);
  talk_test_server_send (run.server, PROCEED "<stream:features>"
                         MECHANISMS (MECHANISM ("PLAIN")) "</stream:features>");
  /* The ClientHello: a TLS handshake record */
  talk_test_server_expect (run.server, "\x16\x03");
  talk_test_server_send (run.server, SERVER_HEADER "<stream:features>"
                         MECHANISMS (MECHANISM ("PLAIN")) "</stream:features>");
  run_connect (&run);

  assert_failed (&run, TALK_XMPP_ERROR, TALK_XMPP_ERROR_TLS_FAILED);
  g_assert_true (talk_test_server_get_done (run.server));
  g_assert_cmpint (run.elapsed, <, 4 * G_USEC_PER_SEC);
  g_assert_null (strstr (talk_test_server_get_log (run.server), "<auth"));
}

/* STARTTLS offered, and PLAIN right beside it before TLS: Talk still
 * starts TLS and never authenticates in clear, even when TLS then fails. */
static void
test_plain_over_plaintext (void)
{
  g_auto(Run) run = { 0, };

  run_init (&run, 5);
  talk_test_server_expect (run.server, CLIENT_HEADER_END);
  talk_test_server_send (run.server, SERVER_HEADER "<stream:features>"
                         "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
                         MECHANISMS (MECHANISM ("PLAIN")) "</stream:features>");
  talk_test_server_expect (run.server, STARTTLS_REQUEST);
  talk_test_server_send (run.server,
                         "<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:stream>");
  run_connect (&run);

  assert_failed (&run, TALK_XMPP_ERROR, TALK_XMPP_ERROR_TLS_FAILED);
  g_assert_null (strstr (talk_test_server_get_log (run.server), "<auth"));
  g_assert_null (strstr (talk_test_server_get_log (run.server), "PLAIN"));
}

/* Only PLAIN, on a stream that never offered STARTTLS (a stripping man in
 * the middle): the password never leaves. */
static void
test_plain_only_no_tls (void)
{
  g_auto(Run) run = { 0, };

  run_init (&run, 5);
  talk_test_server_expect (run.server, CLIENT_HEADER_END);
  talk_test_server_send (run.server, SERVER_HEADER "<stream:features>"
                         MECHANISMS (MECHANISM ("PLAIN")) "</stream:features>");
  run_connect (&run);

  assert_failed (&run, TALK_XMPP_ERROR, TALK_XMPP_ERROR_NO_TLS);
  g_assert_null (strstr (talk_test_server_get_log (run.server), "<auth"));
}

typedef struct
{
  const char *nonce_suffix;   /* appended to the client's nonce… */
  gboolean    replace_nonce;  /* …or instead of it */
  const char *iterations;
} ScramChallenge;

static void
scram_challenge_cb (TalkTestServer *server,
                    gpointer        user_data)
{
  const ScramChallenge *variant = user_data;
  g_autofree char *client_first = talk_test_server_dup_payload (server, "auth");
  g_autofree char *salt = g_base64_encode ((const guchar *) "pepper and salt!", 16);
  g_autofree char *challenge = NULL;
  const char *nonce = strstr (client_first, ",r=");

  g_assert_nonnull (nonce);
  challenge = g_strdup_printf ("r=%s%s,s=%s,i=%s",
                               variant->replace_nonce ? "" : nonce + 3,
                               variant->nonce_suffix, salt, variant->iterations);
  talk_test_server_send_sasl (server, "challenge", challenge);
}

/* A SCRAM challenge Talk must refuse before it proves anything: the
 * client proof never leaves, and the error is about the server. */
static void
run_bad_scram (const ScramChallenge *variant)
{
  g_auto(Run) run = { 0, };

  run_init (&run, 10);
  script_sasl (run.server);
  talk_test_server_call (run.server, scram_challenge_cb, (gpointer) variant);
  run_connect (&run);

  assert_failed (&run, TALK_XMPP_ERROR, TALK_XMPP_ERROR_AUTH_PROTOCOL);
  g_assert_true (talk_test_server_get_tls_up (run.server));
  g_assert_null (strstr (talk_test_server_get_log (run.server), "<response"));
  /* Refused at once, not after hashing for ages */
  g_assert_cmpint (run.elapsed, <, 8 * G_USEC_PER_SEC);
}

static void
test_scram_nonce_not_extending (void)
{
  static const ScramChallenge variant = { "0123456789abcdefghijklmn", TRUE, "4096" };

  run_bad_scram (&variant);
}

static void
test_scram_too_few_iterations (void)
{
  static const ScramChallenge variant = { "server", FALSE, "1" };

  run_bad_scram (&variant);
}

static void
test_scram_absurd_iterations (void)
{
  static const ScramChallenge variant = { "server", FALSE, "4294967295" };
  static const ScramChallenge huge = { "server", FALSE, "99999999999999999999999" };

  run_bad_scram (&variant);
  run_bad_scram (&huge);
}

/* A restricted-XML header: an internal DTD with the billion laughs, and an
 * external entity. Refused before anything is expanded or loaded. */
static void
run_hostile_header (const char *prologue,
                    const char *body)
{
  g_auto(Run) run = { 0, };
  g_autofree char *header = NULL;
  gsize rss = get_rss ();

  run_init (&run, 5);
  header = g_strconcat ("<?xml version='1.0'?>", prologue,
                        "<stream:stream xmlns='jabber:client'"
                        " xmlns:stream='http://etherx.jabber.org/streams'"
                        " from='" DOMAIN "' id='fault' version='1.0'>", body, NULL);
  talk_test_server_expect (run.server, CLIENT_HEADER_END);
  talk_test_server_send (run.server, header);
  run_connect (&run);

  assert_failed (&run, TALK_XMPP_STREAM_ERROR, TALK_XMPP_STREAM_ERROR_RESTRICTED_XML);
  g_assert_nonnull (strstr (talk_test_server_get_log (run.server), "<restricted-xml"));
  g_assert_null (strstr (talk_test_server_get_log (run.server), "starttls"));
  assert_rss_growth_below (rss, 16);
}

static void
test_doctype_entity_expansion (void)
{
  run_hostile_header ("<!DOCTYPE stream:stream ["
                      "<!ENTITY a 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'>"
                      "<!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;'>"
                      "<!ENTITY c '&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;'>"
                      "<!ENTITY d '&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;'>"
                      "<!ENTITY e '&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;'>"
                      "<!ENTITY f '&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;'>"
                      "]>",
                      "<stream:features>&f;</stream:features>");
}

static void
test_external_entity (void)
{
  run_hostile_header ("<!DOCTYPE stream:stream ["
                      "<!ENTITY xxe SYSTEM 'file:///etc/passwd'>"
                      "]>",
                      "<stream:features><x>&xxe;</x></stream:features>");
}

/* A server that stops answering in the middle of each phase. The
 * per-phase deadline (1 s here) ends the attempt with a timeout, even
 * while the server trickles whitespace to look alive. */
typedef enum
{
  STALL_FEATURES_AFTER_TLS,
  STALL_SASL_CHALLENGE,
  STALL_SASL_SUCCESS,
  STALL_BIND,
} StallPhase;

static gboolean
trickle_cb (gpointer user_data)
{
  TalkTestServer *server = user_data;

  if (talk_test_server_get_done (server) && talk_test_server_get_tls_up (server))
    talk_test_server_write (server, " ");
  return G_SOURCE_CONTINUE;
}

static void
scram_good_challenge_cb (TalkTestServer *server,
                         gpointer        user_data)
{
  static const ScramChallenge variant = { "server", FALSE, "4096" };

  scram_challenge_cb (server, (gpointer) &variant);
}

static void
run_stall (StallPhase phase)
{
  g_auto(Run) run = { 0, };
  guint trickle_id;

  run_init (&run, 1);
  script_tls (run.server);
  if (phase == STALL_SASL_CHALLENGE || phase == STALL_SASL_SUCCESS)
    {
      talk_test_server_expect (run.server, CLIENT_HEADER_END);
      talk_test_server_send (run.server, SERVER_HEADER "<stream:features>"
                             MECHANISMS (MECHANISM ("SCRAM-SHA-1")) "</stream:features>");
      talk_test_server_expect (run.server, "</auth>");
    }
  if (phase == STALL_SASL_SUCCESS)
    {
      talk_test_server_call (run.server, scram_good_challenge_cb, NULL);
      talk_test_server_expect (run.server, "</response>");
    }
  if (phase == STALL_BIND)
    {
      /* PLAIN (inside TLS) needs no server proof to get this far. */
      talk_test_server_expect (run.server, CLIENT_HEADER_END);
      talk_test_server_send (run.server, SERVER_HEADER "<stream:features>"
                             MECHANISMS (MECHANISM ("PLAIN")) "</stream:features>");
      talk_test_server_expect (run.server, "</auth>");
      talk_test_server_send (run.server, "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
      talk_test_server_expect (run.server, CLIENT_HEADER_END);
      talk_test_server_send (run.server, SERVER_HEADER "<stream:features>"
                             "<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>"
                             "</stream:features>");
      talk_test_server_expect (run.server, "</iq>");
    }

  trickle_id = g_timeout_add (200, trickle_cb, run.server);
  run_connect (&run);
  g_source_remove (trickle_id);

  assert_failed (&run, TALK_XMPP_ERROR, TALK_XMPP_ERROR_TIMEOUT);
  g_assert_true (talk_test_server_get_done (run.server));
  g_assert_cmpint (run.elapsed, <, 5 * G_USEC_PER_SEC);
}

static void
test_stall_features_after_tls (void)
{
  run_stall (STALL_FEATURES_AFTER_TLS);
}

static void
test_stall_sasl_challenge (void)
{
  run_stall (STALL_SASL_CHALLENGE);
}

static void
test_stall_sasl_success (void)
{
  run_stall (STALL_SASL_SUCCESS);
}

static void
test_stall_bind (void)
{
  run_stall (STALL_BIND);
}

/* An online session against TalkTestPeer */

typedef struct
{
  TalkXmppSession  *session;
  TalkTestPeer     *peer;
  guint             n_received;
  guint             n_disconnected;
  GError           *disconnect_error;
  guint             n_reconnect_scheduled;

  /* With TalkChats */
  char             *dir;
  TalkHistory      *history;
  TalkXmppMessage  *message;
  TalkXmppCarbons  *carbons;
  TalkXmppMam      *mam;
  TalkXmppRoster   *xmpp_roster;
  TalkXmppPresence *presence;
  TalkRoster       *roster;
  TalkChats        *chats;
  GPtrArray        *shown;        /* TalkMessage, from "message-received" */
} Fixture;

static void
stanza_received_cb (TalkXmppSession *session,
                    TalkXmppStanza  *stanza,
                    Fixture         *f)
{
  f->n_received++;
}

static void
disconnected_cb (TalkXmppSession *session,
                 const GError    *error,
                 Fixture         *f)
{
  f->n_disconnected++;
  g_clear_error (&f->disconnect_error);
  if (error != NULL)
    f->disconnect_error = g_error_copy (error);
}

static void
reconnect_scheduled_cb (TalkXmppSession *session,
                        guint            delay_ms,
                        Fixture         *f)
{
  f->n_reconnect_scheduled++;
}

static void
message_received_cb (TalkChats   *chats,
                     const char  *peer,
                     TalkMessage *message,
                     gboolean     notify,
                     Fixture     *f)
{
  g_ptr_array_add (f->shown, g_object_ref (message));
}

static void
session_setup (Fixture *f)
{
  g_autoptr(TalkXmppJid) jid = talk_xmpp_jid_new (OWN_BARE, NULL);

  f->session = talk_xmpp_session_new (jid);
  talk_xmpp_session_set_password (f->session, PASSWORD);
  /* Nowhere to reconnect to: a test that wants the retry turns it on. */
  g_object_set (f->session,
                "keepalive-seconds", 0,
                "auto-reconnect", FALSE,
                "backoff-base-ms", 60000,
                NULL);
  g_signal_connect (f->session, "stanza-received", G_CALLBACK (stanza_received_cb), f);
  g_signal_connect (f->session, "disconnected", G_CALLBACK (disconnected_cb), f);
  g_signal_connect (f->session, "reconnect-scheduled", G_CALLBACK (reconnect_scheduled_cb), f);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  session_setup (f);
  f->peer = talk_test_peer_new (f->session, OWN_FULL);
}

static void
chats_fixture_setup (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  session_setup (f);
  f->dir = g_dir_make_tmp ("talk-faults-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (f->dir, "history.db", NULL);
  f->history = talk_history_new (path);

  f->xmpp_roster = talk_xmpp_roster_new (f->session);
  f->presence = talk_xmpp_presence_new (f->session);
  f->roster = talk_roster_new (f->xmpp_roster, f->presence);
  f->message = talk_xmpp_message_new (f->session);
  f->carbons = talk_xmpp_carbons_new (f->session);
  f->mam = talk_xmpp_mam_new (f->session);
  f->chats = talk_chats_new (f->history, f->session, f->message, f->carbons, f->mam, NULL,
                             f->roster);
  f->shown = g_ptr_array_new_with_free_func (g_object_unref);
  g_signal_connect (f->chats, "message-received", G_CALLBACK (message_received_cb), f);

  /* Going online, TalkChats and TalkRoster ask the server (archive,
   * carbons, roster); the peer answers all that with nothing new. */
  f->peer = talk_test_peer_new (f->session, OWN_FULL);
  talk_test_peer_set_auto_reply (f->peer, TRUE);
  WAIT_UNTIL (talk_test_peer_get_n_auto_replied (f->peer) >= 3);
  talk_test_run_for (50);
}

static void
remove_dir (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      g_remove (child);
    }
  g_rmdir (path);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_pointer (&f->peer, talk_test_peer_free);
  if (f->chats != NULL)
    g_signal_handlers_disconnect_by_data (f->chats, f);
  g_clear_object (&f->chats);
  g_clear_object (&f->mam);
  g_clear_object (&f->carbons);
  g_clear_object (&f->message);
  g_clear_object (&f->roster);
  g_clear_object (&f->presence);
  g_clear_object (&f->xmpp_roster);
  g_signal_handlers_disconnect_by_data (f->session, f);
  g_clear_object (&f->session);
  g_clear_object (&f->history);
  /* Completions of what was cancelled, the history's worker closing. */
  talk_test_run_for (20);
  if (f->dir != NULL)
    remove_dir (f->dir);
  g_clear_pointer (&f->dir, g_free);
  g_clear_pointer (&f->shown, g_ptr_array_unref);
  g_clear_error (&f->disconnect_error);
}

/* Hostile XML on an open stream */

typedef struct
{
  const char *xml;
  int         code;
  const char *condition;
} Refused;

/* The session tells the server why (RFC 6120 §4.9), closes, and reports a
 * stream error; nothing of the refused input was handled. */
static void
assert_refused (Fixture    *f,
                const char *condition,
                int         code)
{
  g_autoptr(TalkXmppStanza) stream_error = NULL;

  WAIT_UNTIL (f->n_disconnected == 1);
  g_assert_error (f->disconnect_error, TALK_XMPP_STREAM_ERROR, code);
  g_assert_cmpuint (strlen (f->disconnect_error->message), >, 10);
  g_assert_cmpint (talk_xmpp_session_get_state (f->session), ==,
                   TALK_XMPP_SESSION_STATE_DISCONNECTED);
  g_assert_cmpuint (f->n_received, ==, 0);

  stream_error = talk_test_peer_expect (f->peer, NULL);
  g_assert_true (talk_xmpp_stanza_is (stream_error, "error", TALK_XMPP_NS_STREAM));
  g_assert_nonnull (talk_xmpp_stanza_get_child (stream_error, condition, TALK_XMPP_NS_STREAMS));
  WAIT_UNTIL (talk_test_peer_got_close_tag (f->peer));
  WAIT_UNTIL (talk_test_peer_is_closed (f->peer));
}

static void
test_refused (Fixture       *f,
              gconstpointer  data)
{
  const Refused *refused = data;

  talk_test_peer_send (f->peer, refused->xml);
  assert_refused (f, refused->condition, refused->code);
}

static const Refused refused_entity = {
  "<message from='" BOB_FULL "' type='chat'><body>&xxe;</body></message>",
  TALK_XMPP_STREAM_ERROR_RESTRICTED_XML, "restricted-xml"
};
static const Refused refused_doctype = {
  "<!DOCTYPE m [<!ENTITY a 'aaaaaaaa'><!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;'>]>"
  "<message from='" BOB_FULL "' type='chat'><body>&b;</body></message>",
  /* Inside the stream's root element a DTD is plain malformed XML. */
  TALK_XMPP_STREAM_ERROR_NOT_WELL_FORMED, "not-well-formed"
};
static const Refused refused_comment = {
  "<message from='" BOB_FULL "' type='chat'><!-- a comment --><body>hi</body></message>",
  TALK_XMPP_STREAM_ERROR_RESTRICTED_XML, "restricted-xml"
};
static const Refused refused_pi = {
  "<message from='" BOB_FULL "' type='chat'><?evil instruction?><body>hi</body></message>",
  TALK_XMPP_STREAM_ERROR_RESTRICTED_XML, "restricted-xml"
};
static const Refused refused_pi_top = {
  "<?xml-stylesheet href='x'?><message from='" BOB_FULL "' type='chat'/>",
  TALK_XMPP_STREAM_ERROR_RESTRICTED_XML, "restricted-xml"
};
static const Refused refused_bad_utf8 = {
  "<message from='" BOB_FULL "' type='chat'><body>caf\xc3\x28 \xff\xfe</body></message>",
  TALK_XMPP_STREAM_ERROR_NOT_WELL_FORMED, "not-well-formed"
};
static const Refused refused_control = {
  "<message from='" BOB_FULL "' type='chat'><body>bell \x07 here</body></message>",
  TALK_XMPP_STREAM_ERROR_NOT_WELL_FORMED, "not-well-formed"
};
static const Refused refused_control_reference = {
  "<message from='" BOB_FULL "' type='chat'><body>nul &#0; and &#x1B;</body></message>",
  TALK_XMPP_STREAM_ERROR_NOT_WELL_FORMED, "not-well-formed"
};

/* Deeper than the reader's limit (64): policy-violation before the
 * stanza is ever built. */
static void
test_nesting (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(GString) xml = g_string_new ("<message from='" BOB_FULL "' type='chat'>");

  for (guint i = 0; i < 10000; i++)
    g_string_append (xml, "<x>");
  talk_test_peer_try_send (f->peer, xml->str, xml->len);
  assert_refused (f, "policy-violation", TALK_XMPP_STREAM_ERROR_POLICY_VIOLATION);
}

/* A stanza that never ends: 16 MiB of body text. The session stops at
 * its byte budget (1 MiB), and the memory it used stays near that. */
static void
test_unclosed_element (Fixture       *f,
                       gconstpointer  data)
{
  const char *start = "<message from='" BOB_FULL "' type='chat'><body>";
  g_autofree char *chunk = g_malloc (64 * 1024);
  gsize rss = get_rss ();
  gsize sent = 0;

  memset (chunk, 'A', 64 * 1024);
  g_assert_true (talk_test_peer_try_send (f->peer, start, strlen (start)));
  while (sent < 16 * 1024 * 1024 && f->n_disconnected == 0 &&
         talk_test_peer_try_send (f->peer, chunk, 64 * 1024))
    sent += 64 * 1024;

  assert_refused (f, "policy-violation", TALK_XMPP_STREAM_ERROR_POLICY_VIOLATION);
  g_test_message ("sent %" G_GSIZE_FORMAT " KiB before the session closed", sent / 1024);
  g_assert_cmpuint (sent, <, 16 * 1024 * 1024);
  assert_rss_growth_below (rss, 24);
}

/* The server's stream error arrives inside an unfinished stanza, then the
 * stream closes: the half stanza is never handled, the session ends with
 * an error and no crash. */
static void
test_stream_error_mid_stanza (Fixture       *f,
                              gconstpointer  data)
{
  talk_test_peer_send (f->peer, "<message from='" BOB_FULL "' type='chat'><body>half");
  talk_test_run_for (50);
  talk_test_peer_send (f->peer, "<stream:error><system-shutdown"
                       " xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>"
                       "</stream:stream>");

  WAIT_UNTIL (f->n_disconnected == 1);
  g_assert_nonnull (f->disconnect_error);
  g_assert_cmpuint (f->n_received, ==, 0);
  g_assert_cmpint (talk_xmpp_session_get_state (f->session), ==,
                   TALK_XMPP_SESSION_STATE_DISCONNECTED);
  WAIT_UNTIL (talk_test_peer_is_closed (f->peer));
}

/* The TCP link goes down in the middle of a stanza: that stanza is never
 * handled, the session says the connection was lost and schedules a
 * retry. */
static void
test_cut_mid_stanza (Fixture       *f,
                     gconstpointer  data)
{
  g_object_set (f->session, "auto-reconnect", TRUE, NULL);
  talk_test_peer_send (f->peer, "<message from='" BOB_FULL "' type='chat' id='m1'><body>one</body>"
                       "</message><message from='" BOB_FULL "' type='chat' id='m2'><bo");
  WAIT_UNTIL (f->n_received == 1);
  talk_test_peer_close (f->peer);

  WAIT_UNTIL (f->n_disconnected == 1);
  g_assert_error (f->disconnect_error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_CLOSED);
  g_assert_cmpuint (f->n_received, ==, 1);
  g_assert_cmpuint (f->n_reconnect_scheduled, ==, 1);
  g_object_set (f->session, "auto-reconnect", FALSE, NULL);
}

/* With TalkChats: what is stored and shown */

static GPtrArray *
load_stored (Fixture    *f,
             const char *peer)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *messages;

  talk_history_load_page_async (f->history, OWN_BARE, peer, G_MAXINT64, G_MAXINT64, 100000,
                                NULL, talk_test_store_result_cb, &result);
  WAIT_UNTIL (result != NULL);
  messages = talk_history_load_page_finish (f->history, result, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (messages);
  return messages;
}

static guint
count_body (GPtrArray  *messages,
            const char *body)
{
  guint n = 0;

  for (guint i = 0; i < messages->len; i++)
    if (g_strcmp0 (talk_message_get_body (g_ptr_array_index (messages, i)), body) == 0)
      n++;
  return n;
}

static guint
count_body_prefix (GPtrArray  *messages,
                   const char *prefix)
{
  guint n = 0;

  for (guint i = 0; i < messages->len; i++)
    {
      const char *body = talk_message_get_body (g_ptr_array_index (messages, i));

      if (body != NULL && g_str_has_prefix (body, prefix))
        n++;
    }
  return n;
}

static GPtrArray *
model_items (GListModel *model)
{
  GPtrArray *items = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    g_ptr_array_add (items, g_list_model_get_item (model, i));
  return items;
}

static void
send_from_bob (Fixture    *f,
               const char *id,
               const char *body)
{
  g_autofree char *escaped = g_markup_escape_text (body, -1);

  talk_test_peer_sendf (f->peer, "<message from='" BOB_FULL "' to='" OWN_FULL "' type='chat'"
                        " id='%s'><body>%s</body></message>", id, escaped);
}

/* Stanzas are handled in order: once this one is shown, all before it
 * were dealt with. */
static void
sentinel (Fixture    *f,
          const char *body)
{
  static guint n;
  g_autofree char *id = g_strdup_printf ("sentinel-%u", n++);

  send_from_bob (f, id, body);
  WAIT_UNTIL (count_body (f->shown, body) == 1);
}

/* Carbons, a roster push, an archive result and a PEP event, all from a
 * contact pretending to be the account (SECURITY.md §1.1): dropped, and
 * each but the PEP event (which nothing consumes) with a warning. */
static void
test_forged_own_account (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(TalkXmppStanza) push_reply = NULL;
  g_autoptr(GPtrArray) from_eve = NULL;
  g_autoptr(GPtrArray) from_bob = NULL;

  g_test_expect_message ("talk-xmpp", G_LOG_LEVEL_WARNING,
                         "Dropping a carbon copy from *: not the own account");
  talk_test_peer_send (f->peer,
                       "<message from='" BOB_FULL "' to='" OWN_FULL "' type='chat'>"
                       "<received xmlns='urn:xmpp:carbons:2'>"
                       "<forwarded xmlns='urn:xmpp:forward:0'>"
                       "<message from='" EVE "/x' to='" OWN_BARE "' type='chat' id='c1'>"
                       "<body>forged carbon</body></message></forwarded></received></message>");

  g_test_expect_message ("talk-xmpp", G_LOG_LEVEL_WARNING,
                         "Dropping a roster push from *: not the own account");
  talk_test_peer_send (f->peer,
                       "<iq type='set' id='push1' from='" BOB_FULL "' to='" OWN_FULL "'>"
                       "<query xmlns='jabber:iq:roster'>"
                       "<item jid='" EVE "' name='forged push' subscription='both'/>"
                       "</query></iq>");

  g_test_expect_message ("talk-xmpp", G_LOG_LEVEL_WARNING,
                         "Dropping an archive result from *: not the own account");
  talk_test_peer_send (f->peer,
                       "<message from='" BOB_FULL "' to='" OWN_FULL "'>"
                       "<result xmlns='urn:xmpp:mam:2' queryid='q1' id='arch1'>"
                       "<forwarded xmlns='urn:xmpp:forward:0'>"
                       "<delay xmlns='urn:xmpp:delay' stamp='2024-01-01T10:00:00Z'/>"
                       "<message from='" EVE "/x' to='" OWN_BARE "' type='chat'>"
                       "<body>forged archive</body></message></forwarded></result></message>");

  talk_test_peer_send (f->peer,
                       "<message from='" BOB_FULL "' to='" OWN_FULL "' type='headline'>"
                       "<event xmlns='http://jabber.org/protocol/pubsub#event'>"
                       "<items node='urn:xmpp:bookmarks:1'><item id='room@conf.evil.test'>"
                       "<conference xmlns='urn:xmpp:bookmarks:1' autojoin='true'/>"
                       "</item></items></event></message>");

  sentinel (f, "after the forgeries");
  g_test_assert_expected_messages ();

  /* The push was refused (RFC 6121 §2.1.6) and changed nothing. */
  push_reply = talk_test_peer_expect (f->peer, "iq");
  g_assert_cmpstr (talk_xmpp_stanza_get_id (push_reply), ==, "push1");
  g_assert_cmpstr (talk_xmpp_stanza_get_stanza_type (push_reply), ==, "error");
  g_assert_null (talk_roster_lookup (f->roster, EVE));

  from_eve = load_stored (f, EVE);
  from_bob = load_stored (f, BOB);
  g_assert_cmpuint (from_eve->len, ==, 0);
  g_assert_cmpuint (from_bob->len, ==, 1);
  g_assert_cmpuint (f->shown->len, ==, 1);
}

/* XEP-0308 #security: only the sender of a message may correct it. */
static void
test_forged_correction (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(TalkXmppStanza) sent = NULL;
  g_autoptr(GPtrArray) stored = NULL;
  g_autoptr(GPtrArray) stored_eve = NULL;

  send_from_bob (f, "b1", "original");
  WAIT_UNTIL (count_body (f->shown, "original") == 1);

  /* Someone else corrects bob's message, */
  talk_test_peer_send (f->peer,
                       "<message from='" EVE "/x' to='" OWN_FULL "' type='chat' id='e1'>"
                       "<body>changed by eve</body>"
                       "<replace xmlns='urn:xmpp:message-correct:0' id='b1'/></message>");
  /* and bob corrects a message of alice's. */
  talk_chats_send_message (f->chats, BOB, "mine");
  sent = talk_test_peer_expect (f->peer, "message");
  talk_test_peer_sendf (f->peer,
                        "<message from='" BOB_FULL "' to='" OWN_FULL "' type='chat' id='b2'>"
                        "<body>bob rewrote it</body>"
                        "<replace xmlns='urn:xmpp:message-correct:0' id='%s'/></message>",
                        talk_xmpp_stanza_get_id (sent));
  /* bob's own correction of his own message applies. */
  talk_test_peer_send (f->peer,
                       "<message from='" BOB_FULL "' to='" OWN_FULL "' type='chat' id='b3'>"
                       "<body>original, fixed</body>"
                       "<replace xmlns='urn:xmpp:message-correct:0' id='b1'/></message>");
  sentinel (f, "after the corrections");

  stored = load_stored (f, BOB);
  g_assert_cmpuint (count_body (stored, "changed by eve"), ==, 0);
  g_assert_cmpuint (count_body (stored, "bob rewrote it"), ==, 0);
  g_assert_cmpuint (count_body (stored, "mine"), ==, 1);
  g_assert_cmpuint (count_body (stored, "original, fixed"), ==, 1);
  g_assert_cmpuint (count_body (stored, "original"), ==, 0);
  stored_eve = load_stored (f, EVE);
  for (guint i = 0; i < stored_eve->len; i++)
    g_assert_null (talk_message_get_replaces (g_ptr_array_index (stored_eve, i)));
}

/* 2,000 presences, each with a capabilities hash never seen before, from
 * new resources and strangers: no query goes out per presence (XEP-0115
 * lookups would be a flood of our own), memory stays bounded, and the
 * session still answers. */
static void
test_presence_flood (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GString) xml = g_string_new (NULL);
  g_autoptr(GAsyncResult) ping = NULL;
  g_autoptr(GError) error = NULL;
  guint n_read = talk_test_peer_get_n_read (f->peer);
  guint n_received = f->n_received;
  gsize rss = get_rss ();

  for (guint i = 0; i < 2000; i++)
    g_string_append_printf (xml,
                            "<presence from='%s%u%s'>"
                            "<c xmlns='http://jabber.org/protocol/caps' hash='sha-1'"
                            " node='https://flood.example/%u' ver='%08x%08x='/>"
                            "<show>dnd</show><status>flood %u</status></presence>",
                            i % 2 ? "bob@" DOMAIN "/r" : "stranger", i,
                            i % 2 ? "" : "@flood.test/r", i, g_random_int (), i, i);
  g_assert_true (talk_test_peer_try_send (f->peer, xml->str, xml->len));
  WAIT_UNTIL (f->n_received == n_received + 2000);

  talk_xmpp_session_ping_async (f->session, NULL, NULL, talk_test_store_result_cb, &ping);
  WAIT_UNTIL (ping != NULL);
  g_assert_true (talk_xmpp_session_ping_finish (f->session, ping, &error));
  g_assert_no_error (error);

  /* The ping only */
  g_assert_cmpuint (talk_test_peer_get_n_read (f->peer) - n_read, ==, 1);
  assert_rss_growth_below (rss, 64);
}

/* 1,000 messages in one burst: each stored once, shown once, in order. */
static void
test_message_flood (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(TalkConversation) conversation = talk_chats_open_conversation (f->chats, BOB);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GString) xml = g_string_new (NULL);
  g_autoptr(GPtrArray) stored = NULL;
  g_autoptr(GPtrArray) items = NULL;
  gsize rss = get_rss ();
  const guint n = 1000;

  WAIT_UNTIL (!talk_conversation_get_loading (conversation));
  for (guint i = 0; i < n; i++)
    g_string_append_printf (xml,
                            "<message from='" BOB_FULL "' to='" OWN_FULL "' type='chat'"
                            " id='flood-%u'><body>flood %u</body>"
                            "<origin-id xmlns='urn:xmpp:sid:0' id='flood-origin-%u'/>"
                            "</message>", i, i, i);
  g_assert_true (talk_test_peer_try_send (f->peer, xml->str, xml->len));
  WAIT_UNTIL (f->shown->len == n);
  talk_test_run_for (100);
  g_assert_cmpuint (f->shown->len, ==, n);

  stored = load_stored (f, BOB);
  g_assert_cmpuint (stored->len, ==, n);
  for (guint i = 0; i < stored->len; i++)
    g_assert_true (g_hash_table_add (seen, (gpointer) talk_message_get_body (g_ptr_array_index (stored, i))));

  items = model_items (G_LIST_MODEL (conversation));
  g_assert_cmpuint (items->len, ==, n);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *body = g_strdup_printf ("flood %u", i);

      g_assert_cmpstr (talk_message_get_body (g_ptr_array_index (items, i)), ==, body);
    }
  assert_rss_growth_below (rss, 64);
}

/* Markup and control characters in a contact's name, status and message:
 * kept as the text they are, never read as markup here; escaping is for
 * whoever draws them. */
#define MARKUP_NAME   "<b>Bob</b> &amp; <span foreground='red'>\u202Egnp.exe</span>"
#define MARKUP_STATUS "<i>away</i> \xc2\x85" "\u2066isolated\u2069 &lt;"
#define MARKUP_BODY   "<a href='javascript:x'>click</a> &lt;script&gt; \u202E\xc2\x85" "\t!"

static void
test_markup_and_controls (Fixture       *f,
                          gconstpointer  data)
{
  g_autofree char *name = g_markup_escape_text (MARKUP_NAME, -1);
  g_autofree char *status = g_markup_escape_text (MARKUP_STATUS, -1);
  g_autoptr(GPtrArray) stored = NULL;
  TalkContact *contact;

  talk_test_peer_sendf (f->peer,
                        "<iq type='set' id='push1'><query xmlns='jabber:iq:roster'>"
                        "<item jid='" BOB "' name='%s' subscription='both'/></query></iq>",
                        name);
  WAIT_UNTIL (talk_roster_lookup (f->roster, BOB) != NULL);
  talk_test_peer_sendf (f->peer, "<presence from='" BOB_FULL "'><show>away</show>"
                        "<status>%s</status></presence>", status);
  sentinel (f, MARKUP_BODY);

  contact = talk_roster_lookup (f->roster, BOB);
  g_assert_cmpstr (talk_contact_get_name (contact), ==, MARKUP_NAME);
  g_assert_cmpstr (talk_contact_get_status (contact), ==, MARKUP_STATUS);
  stored = load_stored (f, BOB);
  g_assert_cmpuint (count_body (stored, MARKUP_BODY), ==, 1);
}

/* Delay stamps (XEP-0203) far in the past, far in the future, malformed:
 * each message is stored and shown once, and none claims to be from the
 * future, where it would sit below every later message for ever. */
static void
test_absurd_timestamps (Fixture       *f,
                        gconstpointer  data)
{
  static const char * const stamps[] = {
    "9999-12-31T23:59:59Z",
    "3000-01-01T00:00:00.999999999999Z",
    "0001-01-01T00:00:00Z",
    "1970-01-01T00:00:00Z",
    "1969-12-31T23:59:59Z",
    "2024-13-45T99:99:99Z",
    "+275760-09-13T00:00:00Z",
    "-0001-01-01T00:00:00Z",
    "2024-01-01T00:00:00+99:99",
    "99999999999999999999-01-01T00:00:00Z",
    "",
    "now",
  };
  g_autoptr(GPtrArray) stored = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  gint64 tomorrow = g_date_time_to_unix (now) + 24 * 60 * 60;

  for (guint i = 0; i < G_N_ELEMENTS (stamps); i++)
    talk_test_peer_sendf (f->peer,
                          "<message from='" BOB_FULL "' to='" OWN_FULL "' type='chat'"
                          " id='ts%u'><body>stamp %u</body>"
                          "<delay xmlns='urn:xmpp:delay' stamp='%s'/></message>",
                          i, i, stamps[i]);
  sentinel (f, "after the stamps");

  stored = load_stored (f, BOB);
  for (guint i = 0; i < G_N_ELEMENTS (stamps); i++)
    {
      g_autofree char *body = g_strdup_printf ("stamp %u", i);

      g_test_message ("%s", stamps[i]);
      g_assert_cmpuint (count_body (stored, body), ==, 1);
      g_assert_cmpuint (count_body (f->shown, body), ==, 1);
    }
  for (guint i = 0; i < stored->len; i++)
    {
      TalkMessage *message = g_ptr_array_index (stored, i);
      GDateTime *timestamp = talk_message_get_timestamp (message);

      g_test_message ("%s: %" G_GINT64_FORMAT, talk_message_get_body (message),
                      g_date_time_to_unix (timestamp));
      g_assert_cmpint (g_date_time_to_unix (timestamp), <=, tomorrow);
    }
}

/* The same message three times (a resumed stream sends again what it
 * never saw acknowledged; a server may repeat itself): stored and shown
 * once, by its stanza-id and origin-id (XEP-0359). */
static void
test_delivered_three_times (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(TalkConversation) conversation = talk_chats_open_conversation (f->chats, BOB);
  g_autoptr(GPtrArray) stored = NULL;
  g_autoptr(GPtrArray) items = NULL;

  WAIT_UNTIL (!talk_conversation_get_loading (conversation));
  for (guint i = 0; i < 3; i++)
    talk_test_peer_send (f->peer,
                         "<message from='" BOB_FULL "' to='" OWN_FULL "' type='chat' id='m1'>"
                         "<body>only once</body>"
                         "<origin-id xmlns='urn:xmpp:sid:0' id='origin-1'/>"
                         "<stanza-id xmlns='urn:xmpp:sid:0' by='" OWN_BARE "' id='sid-1'/>"
                         "</message>");
  sentinel (f, "after the repeats");

  stored = load_stored (f, BOB);
  g_assert_cmpuint (count_body (stored, "only once"), ==, 1);
  g_assert_cmpuint (count_body (f->shown, "only once"), ==, 1);
  items = model_items (G_LIST_MODEL (conversation));
  g_assert_cmpuint (count_body (items, "only once"), ==, 1);
  g_assert_cmpuint (count_body_prefix (items, "after"), ==, 1);
}

#define ADD(path, func) \
  g_test_add ("/talk/faults/stream/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)
#define ADD_REFUSED(path, refused) \
  g_test_add ("/talk/faults/stream/" path, Fixture, &refused, fixture_setup, test_refused, \
              fixture_teardown)
#define ADD_CHATS(path, func) \
  g_test_add ("/talk/faults/chats/" path, Fixture, NULL, chats_fixture_setup, func, \
              fixture_teardown)

int
main (int   argc,
      char *argv[])
{
  /* A quiet network monitor: nothing here waits for the network. */
  g_setenv ("GIO_USE_NETWORK_MONITOR", "base", TRUE);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/talk/faults/connect/starttls-garbage", test_starttls_garbage);
  g_test_add_func ("/talk/faults/connect/plain-over-plaintext", test_plain_over_plaintext);
  g_test_add_func ("/talk/faults/connect/plain-only-no-tls", test_plain_only_no_tls);
  g_test_add_func ("/talk/faults/connect/scram-nonce-not-extending",
                   test_scram_nonce_not_extending);
  g_test_add_func ("/talk/faults/connect/scram-too-few-iterations",
                   test_scram_too_few_iterations);
  g_test_add_func ("/talk/faults/connect/scram-absurd-iterations",
                   test_scram_absurd_iterations);
  g_test_add_func ("/talk/faults/connect/doctype-entity-expansion",
                   test_doctype_entity_expansion);
  g_test_add_func ("/talk/faults/connect/external-entity", test_external_entity);
  g_test_add_func ("/talk/faults/connect/stall-features-after-tls",
                   test_stall_features_after_tls);
  g_test_add_func ("/talk/faults/connect/stall-sasl-challenge", test_stall_sasl_challenge);
  g_test_add_func ("/talk/faults/connect/stall-sasl-success", test_stall_sasl_success);
  g_test_add_func ("/talk/faults/connect/stall-bind", test_stall_bind);

  ADD_REFUSED ("undeclared-entity", refused_entity);
  ADD_REFUSED ("doctype-mid-stream", refused_doctype);
  ADD_REFUSED ("comment", refused_comment);
  ADD_REFUSED ("processing-instruction", refused_pi);
  ADD_REFUSED ("processing-instruction-top", refused_pi_top);
  ADD_REFUSED ("invalid-utf8", refused_bad_utf8);
  ADD_REFUSED ("control-character", refused_control);
  ADD_REFUSED ("control-character-reference", refused_control_reference);
  ADD ("nesting", test_nesting);
  ADD ("unclosed-element", test_unclosed_element);
  ADD ("stream-error-mid-stanza", test_stream_error_mid_stanza);
  ADD ("cut-mid-stanza", test_cut_mid_stanza);

  ADD_CHATS ("forged-own-account", test_forged_own_account);
  ADD_CHATS ("forged-correction", test_forged_correction);
  ADD_CHATS ("presence-flood", test_presence_flood);
  ADD_CHATS ("message-flood", test_message_flood);
  ADD_CHATS ("markup-and-controls", test_markup_and_controls);
  ADD_CHATS ("absurd-timestamps", test_absurd_timestamps);
  ADD_CHATS ("delivered-three-times", test_delivered_three_times);

  return g_test_run ();
}
