/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * TalkXmppCarbons against a scripted server (TalkTestPeer): enabling when
 * the session comes online, and which copies are taken. A copy counts only
 * when the wrapping message comes from the own account: no `from` or the
 * own bare JID (XEP-0280 §11, SECURITY.md §1.1: CVE-2017-5589 and family,
 * Dino CVE-2019-16235); never from a contact, the domain, another
 * resource, or inside a groupchat message (converse.js#1704).
 */

#include "config.h"

#include <string.h>

#include "talk-xmpp.h"
#include "talk-xmpp-carbons.h"
#include "talk-xmpp-message.h"
#include "talk-test-peer.h"

#define OWN_BARE "user@example.test"
#define OWN_FULL "user@example.test/talk"
#define OWN_OTHER "user@example.test/laptop"
#define DOMAIN   "example.test"
#define BOB_FULL "bob@example.org/phone"

#define WAIT_UNTIL(cond) TALK_TEST_WAIT_UNTIL (cond, TALK_TEST_PEER_TIMEOUT_MS)

typedef struct
{
  TalkTestPeer    *peer;
  TalkXmppSession *session;
  TalkXmppCarbons *carbons;
  TalkXmppMessage *message;
  GPtrArray       *received;  /* TalkXmppMessageInfo */
  GPtrArray       *sent;      /* TalkXmppMessageInfo */
  GPtrArray       *plain;     /* TalkXmppMessageInfo: "message-received" */
} Fixture;

static void
collect_cb (GObject             *source,
            TalkXmppMessageInfo *info,
            GPtrArray           *array)
{
  g_ptr_array_add (array, talk_xmpp_message_info_ref (info));
}

static GPtrArray *
info_array_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) talk_xmpp_message_info_unref);
}

/* @stanza serialised without its random id. */
static char *
to_string_without_id (TalkXmppStanza *stanza)
{
  g_autoptr(TalkXmppStanza) copy = talk_xmpp_stanza_copy (stanza);

  talk_xmpp_stanza_set_attribute (copy, "id", NULL);
  return talk_xmpp_stanza_to_string (copy, TALK_XMPP_NS_CLIENT);
}

/* The enable request the module sends on going online, answered the way
 * XEP-0280 §4 shows it. */
static void
answer_enable (Fixture *f)
{
  g_autoptr(TalkXmppStanza) request = talk_test_peer_expect (f->peer, "iq");
  g_autofree char *xml = to_string_without_id (request);

  /* To the own account, so no `to` */
  g_assert_cmpstr (xml, ==, "<iq type='set'><enable xmlns='urn:xmpp:carbons:2'/></iq>");
  talk_test_peer_sendf (f->peer, "<iq type='result' id='%s' from='" OWN_BARE "' to='"
                                 OWN_FULL "'/>", talk_xmpp_stanza_get_id (request));
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(TalkXmppJid) jid = talk_xmpp_jid_new (OWN_BARE, NULL);

  f->session = talk_xmpp_session_new (jid);
  g_object_set (f->session, "keepalive-seconds", 0, "auto-reconnect", FALSE, NULL);
  f->message = talk_xmpp_message_new (f->session);
  f->carbons = talk_xmpp_carbons_new (f->session);
  f->received = info_array_new ();
  f->sent = info_array_new ();
  f->plain = info_array_new ();
  g_signal_connect (f->carbons, "carbon-received", G_CALLBACK (collect_cb), f->received);
  g_signal_connect (f->carbons, "carbon-sent", G_CALLBACK (collect_cb), f->sent);
  g_signal_connect (f->message, "message-received", G_CALLBACK (collect_cb), f->plain);

  f->peer = talk_test_peer_new (f->session, OWN_FULL);
  answer_enable (f);
  WAIT_UNTIL (talk_xmpp_carbons_get_enabled (f->carbons));
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_object (&f->carbons);
  g_clear_object (&f->message);
  g_clear_object (&f->session);
  g_clear_pointer (&f->peer, talk_test_peer_free);
  talk_test_run_for (20);
  g_ptr_array_unref (f->received);
  g_ptr_array_unref (f->sent);
  g_ptr_array_unref (f->plain);
}

#define INNER_RECEIVED \
  "<forwarded xmlns='urn:xmpp:forward:0'>" \
  "<message xmlns='jabber:client' type='chat' from='" BOB_FULL "' to='" OWN_OTHER "' id='m1'>" \
  "<body>Hi from Bob</body>" \
  "<stanza-id xmlns='urn:xmpp:sid:0' id='s1' by='" OWN_BARE "'/>" \
  "<request xmlns='urn:xmpp:receipts'/></message></forwarded>"

#define INNER_SENT \
  "<forwarded xmlns='urn:xmpp:forward:0'>" \
  "<message xmlns='jabber:client' type='chat' from='" OWN_OTHER "' to='" BOB_FULL "' id='m2'>" \
  "<body>Hi Bob</body><origin-id xmlns='urn:xmpp:sid:0' id='m2'/></message></forwarded>"

/* A copy wrapped in @wrapper ("received" or "sent") from @from (nullable). */
static char *
carbon_xml (const char *from,
            const char *type,
            const char *wrapper,
            const char *inner)
{
  return g_strdup_printf ("<message%s%s%s type='%s' to='" OWN_FULL "'>"
                          "<%s xmlns='urn:xmpp:carbons:2'>%s</%s></message>",
                          from != NULL ? " from='" : "", from != NULL ? from : "",
                          from != NULL ? "'" : "", type, wrapper, inner, wrapper);
}

static void
deliver_carbon (Fixture    *f,
                const char *from,
                const char *type,
                const char *wrapper,
                const char *inner)
{
  g_autofree char *xml = carbon_xml (from, type, wrapper, inner);

  talk_test_peer_deliver (f->peer, xml);
}

static void
assert_nothing_emitted (Fixture *f)
{
  g_assert_cmpuint (f->received->len, ==, 0);
  g_assert_cmpuint (f->sent->len, ==, 0);
  g_assert_cmpuint (f->plain->len, ==, 0);
}

/* Enabling */

static void
test_enable_on_online (Fixture       *f,
                       gconstpointer  data)
{
  g_assert_true (talk_xmpp_carbons_get_enabled (f->carbons));
  g_assert_true (talk_xmpp_carbons_get_auto_enable (f->carbons));
  g_assert_true (talk_xmpp_carbons_get_session (f->carbons) == f->session);
}

static void
count_notify_cb (GObject    *object,
                 GParamSpec *pspec,
                 guint      *n)
{
  (*n)++;
}

static void
test_enable_refused (void)
{
  g_autoptr(TalkXmppJid) jid = talk_xmpp_jid_new (OWN_BARE, NULL);
  g_autoptr(TalkXmppSession) session = talk_xmpp_session_new (jid);
  g_autoptr(TalkXmppCarbons) carbons = talk_xmpp_carbons_new (session);
  g_autoptr(TalkTestPeer) peer = NULL;
  g_autoptr(TalkXmppStanza) request = NULL;
  guint notified = 0;

  g_object_set (session, "keepalive-seconds", 0, "auto-reconnect", FALSE, NULL);
  g_signal_connect (carbons, "notify::enabled", G_CALLBACK (count_notify_cb), &notified);
  peer = talk_test_peer_new (session, OWN_FULL);
  request = talk_test_peer_expect (peer, "iq");

  /* A server without carbons: not an error anyone needs to see */
  talk_test_peer_sendf (peer, "<iq type='error' id='%s'><error type='cancel'>"
                              "<feature-not-implemented xmlns='" TALK_XMPP_NS_STANZAS "'/>"
                              "</error></iq>", talk_xmpp_stanza_get_id (request));
  talk_test_run_for (50);
  g_assert_false (talk_xmpp_carbons_get_enabled (carbons));
  g_assert_cmpuint (notified, ==, 0);
  g_clear_object (&carbons);
}

/* A reply from someone else does not enable anything (the IQ tracker). */
static void
test_enable_forged_reply (void)
{
  g_autoptr(TalkXmppJid) jid = talk_xmpp_jid_new (OWN_BARE, NULL);
  g_autoptr(TalkXmppSession) session = talk_xmpp_session_new (jid);
  g_autoptr(TalkXmppCarbons) carbons = talk_xmpp_carbons_new (session);
  g_autoptr(TalkTestPeer) peer = NULL;
  g_autoptr(TalkXmppStanza) request = NULL;

  g_object_set (session, "keepalive-seconds", 0, "auto-reconnect", FALSE, NULL);
  peer = talk_test_peer_new (session, OWN_FULL);
  request = talk_test_peer_expect (peer, "iq");

  g_test_expect_message ("talk-xmpp", G_LOG_LEVEL_WARNING, "Ignoring IQ reply from mallory*");
  talk_test_peer_sendf (peer, "<iq type='result' id='%s' from='mallory@evil.example'/>",
                        talk_xmpp_stanza_get_id (request));
  talk_test_run_for (50);
  g_test_assert_expected_messages ();
  g_assert_false (talk_xmpp_carbons_get_enabled (carbons));
  g_clear_object (&carbons);
}

static void
test_enable_manual (void)
{
  g_autoptr(TalkXmppJid) jid = talk_xmpp_jid_new (OWN_BARE, NULL);
  g_autoptr(TalkXmppSession) session = talk_xmpp_session_new (jid);
  g_autoptr(TalkXmppCarbons) carbons = NULL;
  g_autoptr(TalkTestPeer) peer = NULL;
  g_autoptr(TalkXmppStanza) request = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = NULL;

  g_object_set (session, "keepalive-seconds", 0, "auto-reconnect", FALSE, NULL);
  carbons = g_object_new (TALK_XMPP_TYPE_CARBONS, "session", session, "auto-enable", FALSE,
                          NULL);
  peer = talk_test_peer_new (session, OWN_FULL);
  talk_test_run_for (20);
  g_assert_cmpuint (talk_test_peer_get_n_pending (peer), ==, 0);

  talk_xmpp_carbons_enable_async (carbons, NULL, talk_test_store_result_cb, &result);
  request = talk_test_peer_expect (peer, "iq");
  talk_test_peer_sendf (peer, "<iq type='result' id='%s'/>", talk_xmpp_stanza_get_id (request));
  WAIT_UNTIL (result != NULL);
  g_assert_true (talk_xmpp_carbons_enable_finish (carbons, result, &error));
  g_assert_no_error (error);
  g_assert_true (talk_xmpp_carbons_get_enabled (carbons));
  g_clear_object (&result);
  g_clear_pointer (&request, talk_xmpp_stanza_unref);

  /* XEP-0280 §5 */
  talk_xmpp_carbons_disable_async (carbons, NULL, talk_test_store_result_cb, &result);
  request = talk_test_peer_expect (peer, "iq");
  xml = to_string_without_id (request);
  g_assert_cmpstr (xml, ==, "<iq type='set'><disable xmlns='urn:xmpp:carbons:2'/></iq>");
  talk_test_peer_sendf (peer, "<iq type='result' id='%s'/>", talk_xmpp_stanza_get_id (request));
  WAIT_UNTIL (result != NULL);
  g_assert_true (talk_xmpp_carbons_disable_finish (carbons, result, &error));
  g_assert_false (talk_xmpp_carbons_get_enabled (carbons));
  g_clear_object (&result);
  g_clear_pointer (&request, talk_xmpp_stanza_unref);

  talk_xmpp_carbons_enable_async (carbons, NULL, talk_test_store_result_cb, &result);
  request = talk_test_peer_expect (peer, "iq");
  talk_test_peer_sendf (peer, "<iq type='error' id='%s'><error type='auth'>"
                              "<forbidden xmlns='" TALK_XMPP_NS_STANZAS "'/></error></iq>",
                        talk_xmpp_stanza_get_id (request));
  WAIT_UNTIL (result != NULL);
  g_assert_false (talk_xmpp_carbons_enable_finish (carbons, result, &error));
  g_assert_error (error, TALK_XMPP_STANZA_ERROR, TALK_XMPP_STANZA_ERROR_FORBIDDEN);
  g_assert_false (talk_xmpp_carbons_get_enabled (carbons));
}

/* A new connection starts without carbons. */
static void
test_disabled_when_offline (Fixture       *f,
                            gconstpointer  data)
{
  talk_test_peer_close (f->peer);
  WAIT_UNTIL (talk_xmpp_session_get_state (f->session) == TALK_XMPP_SESSION_STATE_DISCONNECTED);
  g_assert_false (talk_xmpp_carbons_get_enabled (f->carbons));
}

/* Dropping the module while its enable request is out is quiet. */
static void
test_dispose_while_enabling (void)
{
  g_autoptr(TalkXmppJid) jid = talk_xmpp_jid_new (OWN_BARE, NULL);
  g_autoptr(TalkXmppSession) session = talk_xmpp_session_new (jid);
  g_autoptr(TalkXmppCarbons) carbons = talk_xmpp_carbons_new (session);
  g_autoptr(TalkTestPeer) peer = NULL;
  g_autoptr(TalkXmppStanza) request = NULL;

  g_object_set (session, "keepalive-seconds", 0, "auto-reconnect", FALSE, NULL);
  peer = talk_test_peer_new (session, OWN_FULL);
  request = talk_test_peer_expect (peer, "iq");
  g_clear_object (&carbons);
  talk_test_peer_sendf (peer, "<iq type='result' id='%s'/>", talk_xmpp_stanza_get_id (request));
  talk_test_run_for (50);
}

/* Created after the session came online: enables right away. */
static void
test_created_online (void)
{
  g_autoptr(TalkXmppJid) jid = talk_xmpp_jid_new (OWN_BARE, NULL);
  g_autoptr(TalkXmppSession) session = talk_xmpp_session_new (jid);
  g_autoptr(TalkXmppCarbons) carbons = NULL;
  g_autoptr(TalkTestPeer) peer = NULL;
  g_autoptr(TalkXmppStanza) request = NULL;

  g_object_set (session, "keepalive-seconds", 0, "auto-reconnect", FALSE, NULL);
  peer = talk_test_peer_new (session, OWN_FULL);
  carbons = talk_xmpp_carbons_new (session);
  request = talk_test_peer_expect (peer, "iq");
  g_assert_nonnull (talk_xmpp_stanza_get_child (request, "enable", TALK_XMPP_NS_CARBONS));
  talk_test_peer_sendf (peer, "<iq type='result' id='%s'/>", talk_xmpp_stanza_get_id (request));
  WAIT_UNTIL (talk_xmpp_carbons_get_enabled (carbons));
}

/* Copies that are taken */

static void
test_received_no_from (Fixture       *f,
                       gconstpointer  data)
{
  TalkXmppMessageInfo *info;

  deliver_carbon (f, NULL, "chat", "received", INNER_RECEIVED);
  g_assert_cmpuint (f->received->len, ==, 1);
  g_assert_cmpuint (f->sent->len, ==, 0);
  g_assert_cmpuint (f->plain->len, ==, 0);

  info = g_ptr_array_index (f->received, 0);
  g_assert_cmpstr (talk_xmpp_message_info_get_from (info), ==, BOB_FULL);
  g_assert_cmpstr (talk_xmpp_message_info_get_to (info), ==, OWN_OTHER);
  g_assert_cmpstr (talk_xmpp_message_info_get_body (info), ==, "Hi from Bob");
  g_assert_cmpstr (talk_xmpp_message_info_get_stanza_id (info), ==, "s1");
  g_assert_true (talk_xmpp_message_info_get_forwarded (info));
  /* The resource that got the original answers it */
  g_assert_false (talk_xmpp_message_info_wants_receipt (info));
}

static void
test_received_own_bare (Fixture       *f,
                        gconstpointer  data)
{
  deliver_carbon (f, OWN_BARE, "chat", "received", INNER_RECEIVED);
  g_assert_cmpuint (f->received->len, ==, 1);

  /* The same account, spelled unnormalised (RFC 7622) */
  deliver_carbon (f, "User@Example.TEST", "chat", "received", INNER_RECEIVED);
  g_assert_cmpuint (f->received->len, ==, 2);
  g_assert_cmpuint (f->sent->len, ==, 0);
}

static void
test_sent (Fixture       *f,
           gconstpointer  data)
{
  TalkXmppMessageInfo *info;

  deliver_carbon (f, OWN_BARE, "chat", "sent", INNER_SENT);
  g_assert_cmpuint (f->sent->len, ==, 1);
  g_assert_cmpuint (f->received->len, ==, 0);
  g_assert_cmpuint (f->plain->len, ==, 0);

  info = g_ptr_array_index (f->sent, 0);
  g_assert_cmpstr (talk_xmpp_message_info_get_from (info), ==, OWN_OTHER);
  g_assert_cmpstr (talk_xmpp_message_info_get_to (info), ==, BOB_FULL);
  g_assert_cmpstr (talk_xmpp_message_info_get_body (info), ==, "Hi Bob");
  g_assert_cmpstr (talk_xmpp_message_info_get_origin_id (info), ==, "m2");

  /* A copy of a message sent without `from` (the server had not stamped it) */
  deliver_carbon (f, NULL, "chat", "sent",
                  "<forwarded xmlns='urn:xmpp:forward:0'>"
                  "<message xmlns='jabber:client' type='chat' to='" BOB_FULL "'>"
                  "<body>x</body></message></forwarded>");
  g_assert_cmpuint (f->sent->len, ==, 2);
}

/* Copies that are dropped */

static void
assert_carbon_refused (Fixture    *f,
                       const char *from,
                       const char *type,
                       const char *pattern)
{
  g_test_expect_message ("talk-xmpp", G_LOG_LEVEL_WARNING, pattern);
  deliver_carbon (f, from, type, "received", INNER_RECEIVED);
  g_test_expect_message ("talk-xmpp", G_LOG_LEVEL_WARNING, pattern);
  deliver_carbon (f, from, type, "sent", INNER_SENT);
  g_test_assert_expected_messages ();
  assert_nothing_emitted (f);
}

/* CVE-2017-5589 and family: a contact forges a copy. */
static void
test_forged_by_contact (Fixture       *f,
                        gconstpointer  data)
{
  assert_carbon_refused (f, BOB_FULL, "chat", "Dropping a carbon copy from " BOB_FULL "*");
  assert_carbon_refused (f, "bob@example.org", "chat",
                         "Dropping a carbon copy from bob@example.org*");
  /* Dino CVE-2019-16235 checked the inner `from`; here the inner one even
   * claims to be the own account */
  g_test_expect_message ("talk-xmpp", G_LOG_LEVEL_WARNING,
                         "Dropping a carbon copy from mallory@evil.example*");
  deliver_carbon (f, "mallory@evil.example", "chat", "sent",
                  "<forwarded xmlns='urn:xmpp:forward:0'>"
                  "<message xmlns='jabber:client' from='" OWN_BARE "' to='" BOB_FULL "'>"
                  "<body>I owe Mallory money</body></message></forwarded>");
  g_test_assert_expected_messages ();
  assert_nothing_emitted (f);
}

/* XEP-0280 §11 names the bare JID: not the domain, not a resource. */
static void
test_forged_by_domain_or_resource (Fixture       *f,
                                   gconstpointer  data)
{
  assert_carbon_refused (f, DOMAIN, "chat", "Dropping a carbon copy from " DOMAIN "*");
  assert_carbon_refused (f, OWN_FULL, "chat", "Dropping a carbon copy from " OWN_FULL "*");
  assert_carbon_refused (f, OWN_OTHER, "chat", "Dropping a carbon copy from " OWN_OTHER "*");
  assert_carbon_refused (f, "user@example.test.evil.example", "chat",
                         "Dropping a carbon copy from user@example.test.evil.example*");
}

/* converse.js#1704: a room occupant wraps a "copy". */
static void
test_inside_groupchat (Fixture       *f,
                       gconstpointer  data)
{
  assert_carbon_refused (f, "room@muc.example.org/groot", "groupchat",
                         "Dropping a carbon copy inside a groupchat message*");
  /* Even when it claims to be the own account */
  assert_carbon_refused (f, OWN_BARE, "groupchat",
                         "Dropping a carbon copy inside a groupchat message*");
}

/* Escaped in the log: a forged sender cannot shape it. */
static void
test_forged_log_escaped (Fixture       *f,
                         gconstpointer  data)
{
  g_test_expect_message ("talk-xmpp", G_LOG_LEVEL_WARNING,
                         "Dropping a carbon copy from bob@example.org/a\\nFAKE*");
  deliver_carbon (f, "bob@example.org/a&#10;FAKE", "chat", "received", INNER_RECEIVED);
  g_test_assert_expected_messages ();
  assert_nothing_emitted (f);
}

/* The server's copy must be of the account's own traffic. */
static void
test_wrong_direction (Fixture       *f,
                      gconstpointer  data)
{
  g_test_expect_message ("talk-xmpp", G_LOG_LEVEL_WARNING,
                         "Dropping a sent carbon copy of a message from another account");
  deliver_carbon (f, OWN_BARE, "chat", "sent",
                  "<forwarded xmlns='urn:xmpp:forward:0'>"
                  "<message xmlns='jabber:client' from='" BOB_FULL "' to='" OWN_FULL "'>"
                  "<body>x</body></message></forwarded>");
  g_test_expect_message ("talk-xmpp", G_LOG_LEVEL_WARNING,
                         "Dropping a received carbon copy of a message to another account");
  deliver_carbon (f, OWN_BARE, "chat", "received",
                  "<forwarded xmlns='urn:xmpp:forward:0'>"
                  "<message xmlns='jabber:client' from='" BOB_FULL "' to='carol@example.org'>"
                  "<body>x</body></message></forwarded>");
  g_test_assert_expected_messages ();
  assert_nothing_emitted (f);
}

static void
test_malformed (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *both = NULL;

  /* No forwarded, no message, two messages, a bad address inside */
  deliver_carbon (f, OWN_BARE, "chat", "received", "");
  deliver_carbon (f, OWN_BARE, "chat", "received",
                  "<forwarded xmlns='urn:xmpp:forward:0'/>");
  deliver_carbon (f, OWN_BARE, "chat", "received",
                  "<forwarded xmlns='urn:xmpp:forward:0'>"
                  "<message xmlns='jabber:client'><body>a</body></message>"
                  "<message xmlns='jabber:client'><body>b</body></message></forwarded>");
  deliver_carbon (f, OWN_BARE, "chat", "received",
                  "<forwarded xmlns='urn:xmpp:forward:0'>"
                  "<message xmlns='jabber:client' from='x@@y'><body>a</body></message>"
                  "</forwarded>");
  /* Both wrappers at once */
  both = g_strdup_printf ("<message from='" OWN_BARE "' type='chat'>"
                          "<received xmlns='urn:xmpp:carbons:2'>%s</received>"
                          "<sent xmlns='urn:xmpp:carbons:2'>%s</sent></message>",
                          INNER_RECEIVED, INNER_SENT);
  talk_test_peer_deliver (f->peer, both);
  assert_nothing_emitted (f);
}

static void
test_add_private (void)
{
  g_autoptr(TalkXmppStanza) message = talk_xmpp_stanza_new_message ("chat", BOB_FULL, "psst");
  g_autofree char *xml = NULL;

  talk_xmpp_carbons_add_private (message);
  talk_xmpp_carbons_add_private (message);
  xml = talk_xmpp_stanza_to_string (message, TALK_XMPP_NS_CLIENT);
  g_assert_cmpstr (xml, ==,
                   "<message type='chat' to='" BOB_FULL "'><body>psst</body>"
                   "<private xmlns='urn:xmpp:carbons:2'/>"
                   "<no-copy xmlns='urn:xmpp:hints'/></message>");
}

/* The module lets go of the session's handler table when it goes. */
static void
test_dispose (Fixture       *f,
              gconstpointer  data)
{
  g_clear_object (&f->carbons);
  deliver_carbon (f, OWN_BARE, "chat", "received", INNER_RECEIVED);
  assert_nothing_emitted (f);
}

#define ADD(path, func) \
  g_test_add ("/talk/xmpp/carbons/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

int
main (int   argc,
      char *argv[])
{
  g_setenv ("GIO_USE_NETWORK_MONITOR", "base", TRUE);
  g_test_init (&argc, &argv, NULL);

  ADD ("enable-on-online", test_enable_on_online);
  g_test_add_func ("/talk/xmpp/carbons/enable-refused", test_enable_refused);
  g_test_add_func ("/talk/xmpp/carbons/enable-forged-reply", test_enable_forged_reply);
  g_test_add_func ("/talk/xmpp/carbons/enable-manual", test_enable_manual);
  ADD ("disabled-when-offline", test_disabled_when_offline);
  g_test_add_func ("/talk/xmpp/carbons/dispose-while-enabling", test_dispose_while_enabling);
  g_test_add_func ("/talk/xmpp/carbons/created-online", test_created_online);
  ADD ("received-no-from", test_received_no_from);
  ADD ("received-own-bare", test_received_own_bare);
  ADD ("sent", test_sent);
  ADD ("forged-by-contact", test_forged_by_contact);
  ADD ("forged-by-domain-or-resource", test_forged_by_domain_or_resource);
  ADD ("inside-groupchat", test_inside_groupchat);
  ADD ("forged-log-escaped", test_forged_log_escaped);
  ADD ("wrong-direction", test_wrong_direction);
  ADD ("malformed", test_malformed);
  g_test_add_func ("/talk/xmpp/carbons/add-private", test_add_private);
  ADD ("dispose", test_dispose);

  return g_test_run ();
}
