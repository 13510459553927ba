/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * TalkXmppSession against a scripted server: the session's stream sits on
 * one end of a socketpair, the test plays the server on the other end
 * (TalkTestPeer), reading what the session writes and writing raw XML back.
 */

#include "config.h"

#include "talk-xmpp.h"
#include "talk-xmpp-session-private.h"
#include "talk-test-peer.h"

#define OWN_BARE  "user@example.test"
#define OWN_FULL  "user@example.test/talk"
#define BOB_FULL  "bob@example.test/phone"
#define DOMAIN    "example.test"
#define NS_STREAMS "urn:ietf:params:xml:ns:xmpp-streams"
#define NS_STANZAS "urn:ietf:params:xml:ns:xmpp-stanzas"

#define BACKOFF_BASE_MS 10000

#define WAIT_UNTIL(cond) TALK_TEST_WAIT_UNTIL (cond, 5000)

/* The fixture: a session online over the pair */

typedef struct
{
  TalkTestPeer    *peer;
  TalkXmppJid     *jid;
  TalkXmppSession *session;
  guint            n_received;
  guint            n_disconnected;
  GError          *disconnect_error;
  guint            n_reconnect_scheduled;
  guint            reconnect_delay;
} Fixture;

static void
on_stanza_received (TalkXmppSession *session,
                    TalkXmppStanza  *stanza,
                    Fixture         *f)
{
  f->n_received++;
}

static void
on_disconnected (TalkXmppSession *session,
                 const GError    *error,
                 Fixture         *f)
{
  f->n_disconnected++;
  g_clear_error (&f->disconnect_error);
  if (error != NULL)
    f->disconnect_error = g_error_copy (error);
}

static void
on_reconnect_scheduled (TalkXmppSession *session,
                        guint            delay_ms,
                        Fixture         *f)
{
  f->n_reconnect_scheduled++;
  f->reconnect_delay = delay_ms;
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TalkXmppJid) bound_jid = NULL;

  f->jid = talk_xmpp_jid_new (OWN_BARE, &error);
  g_assert_no_error (error);
  bound_jid = talk_xmpp_jid_new (OWN_FULL, &error);
  g_assert_no_error (error);

  f->session = talk_xmpp_session_new (f->jid);
  talk_xmpp_session_set_password (f->session, "secret");
  g_object_set (f->session,
                "keepalive-seconds", 0,
                "backoff-base-ms", BACKOFF_BASE_MS,
                NULL);
  g_signal_connect (f->session, "stanza-received", G_CALLBACK (on_stanza_received), f);
  g_signal_connect (f->session, "disconnected", G_CALLBACK (on_disconnected), f);
  g_signal_connect (f->session, "reconnect-scheduled", G_CALLBACK (on_reconnect_scheduled), f);

  f->peer = talk_test_peer_new (f->session, OWN_FULL);
  g_assert_cmpint (talk_xmpp_session_get_state (f->session), ==, TALK_XMPP_SESSION_STATE_ONLINE);
  g_assert_true (talk_xmpp_jid_equal (talk_xmpp_session_get_bound_jid (f->session), bound_jid));
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_object (&f->session);
  g_clear_pointer (&f->jid, talk_xmpp_jid_unref);
  g_clear_error (&f->disconnect_error);

  g_clear_pointer (&f->peer, talk_test_peer_free);
  /* Let the session's stream see the end and close its side. */
  talk_test_run_for (50);
}

/* Sends an IQ get with an empty <query xmlns=@ns/> to @to (nullable);
 * returns the id. */
static char *
send_query (Fixture       *f,
            const char    *to,
            const char    *ns,
            GCancellable  *cancellable,
            GAsyncResult **result)
{
  g_autoptr(TalkXmppStanza) iq = talk_xmpp_stanza_new_iq ("get", to, NULL);
  g_autoptr(TalkXmppStanza) sent = NULL;

  talk_xmpp_stanza_add_child (iq, "query", ns);
  talk_xmpp_session_send_iq_async (f->session, iq, cancellable, talk_test_store_result_cb, result);
  g_assert_nonnull (talk_xmpp_stanza_get_id (iq));

  sent = talk_test_peer_expect (f->peer, "iq");
  g_assert_cmpstr (talk_xmpp_stanza_get_id (sent), ==, talk_xmpp_stanza_get_id (iq));
  g_assert_cmpstr (talk_xmpp_stanza_get_to (sent), ==, to);
  g_assert_nonnull (talk_xmpp_stanza_get_child (sent, "query", ns));

  return g_strdup (talk_xmpp_stanza_get_id (iq));
}

static void
assert_reply_ok (Fixture      *f,
                 GAsyncResult *result)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TalkXmppStanza) reply = NULL;

  reply = talk_xmpp_session_send_iq_finish (f->session, result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (reply);
  g_assert_cmpstr (talk_xmpp_stanza_get_stanza_type (reply), ==, "result");
}

/* An empty IQ result for @id, from @from (nullable: without `from`). */
static char *
dup_result (const char *id,
            const char *from)
{
  if (from == NULL)
    return g_strdup_printf ("<iq type='result' id='%s'/>", id);
  return g_strdup_printf ("<iq type='result' id='%s' from='%s'/>", id, from);
}

/* Delivers a result for @id from @from (nullable), which the tracker must
 * drop with the warning @message. */
static void
deliver_dropped (Fixture    *f,
                 const char *id,
                 const char *from,
                 const char *message)
{
  g_autofree char *xml = dup_result (id, from);

  g_test_expect_message ("talk-xmpp", G_LOG_LEVEL_WARNING, message);
  talk_test_peer_deliver (f->peer, xml);
  g_test_assert_expected_messages ();
}

/* Delivers a result for @id from @from (nullable), which completes the
 * request behind @result. */
static void
deliver_accepted (Fixture       *f,
                  const char    *id,
                  const char    *from,
                  GAsyncResult **result)
{
  g_autofree char *xml = dup_result (id, from);

  talk_test_peer_deliver (f->peer, xml);
  g_assert_nonnull (*result);
  assert_reply_ok (f, *result);
}

static void
assert_error_reply (TalkXmppStanza *reply,
                    const char     *id,
                    const char     *condition)
{
  TalkXmppStanza *error;

  g_assert_cmpstr (talk_xmpp_stanza_get_stanza_type (reply), ==, "error");
  g_assert_cmpstr (talk_xmpp_stanza_get_id (reply), ==, id);
  error = talk_xmpp_stanza_get_child (reply, "error", NULL);
  g_assert_nonnull (error);
  g_assert_nonnull (talk_xmpp_stanza_get_child (error, condition, NS_STANZAS));
}

/* IQ tracker */

static void
test_iq_round_trip (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(TalkXmppStanza) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  g_autofree char *name = NULL;

  id = send_query (f, DOMAIN, TALK_XMPP_NS_VERSION, NULL, &result);
  talk_test_peer_sendf (f->peer,
                        "<iq type='result' id='%s' from='" DOMAIN "' to='" OWN_FULL "'>"
                        "<query xmlns='jabber:iq:version'><name>Server</name></query></iq>", id);
  WAIT_UNTIL (result != NULL);

  reply = talk_xmpp_session_send_iq_finish (f->session, result, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (talk_xmpp_stanza_get_id (reply), ==, id);
  name = talk_xmpp_stanza_dup_child_text (talk_xmpp_stanza_get_child (reply, "query", TALK_XMPP_NS_VERSION),
                                          "name", NULL);
  g_assert_cmpstr (name, ==, "Server");
}

/* CVE-2013-6483: a reply from anyone but the addressee is ignored and the
 * request keeps waiting for the real one. */
static void
test_iq_wrong_sender (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *id = NULL;

  id = send_query (f, BOB_FULL, TALK_XMPP_NS_VERSION, NULL, &result);

  deliver_dropped (f, id, "mallory@example.test/x",
                   "Ignoring IQ reply from mallory@example.test/x to a request sent to " BOB_FULL);
  g_assert_null (result);

  /* The addressee itself, spelled unnormalised */
  deliver_accepted (f, id, "Bob@Example.TEST/phone", &result);
}

static void
test_iq_no_from_to_other (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *id = NULL;

  id = send_query (f, BOB_FULL, TALK_XMPP_NS_VERSION, NULL, &result);

  /* No `from` means the own account: not what a request to Bob gets. */
  deliver_dropped (f, id, NULL,
                   "Ignoring IQ reply from (no sender) to a request sent to " BOB_FULL);
  g_assert_null (result);

  deliver_accepted (f, id, BOB_FULL, &result);
}

/* A request to the own bare JID may be answered without `from`. */
static void
test_iq_own_bare_no_from (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *id = NULL;

  id = send_query (f, OWN_BARE, "jabber:iq:private", NULL, &result);
  deliver_accepted (f, id, NULL, &result);
}

/* A request without `to` goes to the own account: the reply has no
 * `from`, or the own bare or full JID; nobody else, not even the domain. */
static void
test_iq_no_to (Fixture       *f,
               gconstpointer  data)
{
  static const char * const accepted[] = { NULL, OWN_BARE, OWN_FULL, "USER@example.test" };

  for (guint i = 0; i < G_N_ELEMENTS (accepted); i++)
    {
      g_autoptr(GAsyncResult) result = NULL;
      g_autofree char *id = NULL;

      id = send_query (f, NULL, "jabber:iq:roster", NULL, &result);

      deliver_dropped (f, id, "mallory@example.test",
                       "Ignoring IQ reply from mallory@example.test to a request sent to "
                       OWN_BARE);
      deliver_dropped (f, id, DOMAIN,
                       "Ignoring IQ reply from " DOMAIN " to a request sent to " OWN_BARE);
      g_assert_null (result);

      deliver_accepted (f, id, accepted[i], &result);
    }
}

static void
test_iq_error (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(TalkXmppStanza) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;

  id = send_query (f, DOMAIN, "urn:example:nothing", NULL, &result);
  talk_test_peer_sendf (f->peer,
                        "<iq type='error' id='%s' from='" DOMAIN "'><error type='cancel'>"
                        "<item-not-found xmlns='" NS_STANZAS "'/>"
                        "<text xmlns='" NS_STANZAS "'>No such thing</text></error></iq>", id);
  WAIT_UNTIL (result != NULL);

  reply = talk_xmpp_session_send_iq_finish (f->session, result, &error);
  g_assert_null (reply);
  g_assert_error (error, TALK_XMPP_STANZA_ERROR, TALK_XMPP_STANZA_ERROR_ITEM_NOT_FOUND);
  g_assert_cmpstr (error->message, ==, "No such thing");
}

static void
test_iq_timeout (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(TalkXmppStanza) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  g_autofree char *late = NULL;
  gint64 start = g_get_monotonic_time ();

  g_object_set (f->session, "iq-timeout-seconds", 1, NULL);
  id = send_query (f, DOMAIN, TALK_XMPP_NS_VERSION, NULL, &result);
  WAIT_UNTIL (result != NULL);

  reply = talk_xmpp_session_send_iq_finish (f->session, result, &error);
  g_assert_null (reply);
  g_assert_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_TIMEOUT);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, G_USEC_PER_SEC - 1000);

  /* The late reply finds nothing waiting and changes nothing. */
  late = dup_result (id, DOMAIN);
  talk_test_peer_deliver (f->peer, late);
  g_assert_cmpint (talk_xmpp_session_get_state (f->session), ==, TALK_XMPP_SESSION_STATE_ONLINE);
}

static void
test_iq_cancel (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(TalkXmppStanza) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  g_autofree char *late = NULL;

  id = send_query (f, DOMAIN, TALK_XMPP_NS_VERSION, cancellable, &result);
  g_cancellable_cancel (cancellable);
  WAIT_UNTIL (result != NULL);

  reply = talk_xmpp_session_send_iq_finish (f->session, result, &error);
  g_assert_null (reply);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);

  late = dup_result (id, DOMAIN);
  talk_test_peer_deliver (f->peer, late);
}

static void
test_iq_not_connected (void)
{
  g_autoptr(TalkXmppJid) jid = talk_xmpp_jid_new (OWN_BARE, NULL);
  g_autoptr(TalkXmppSession) session = talk_xmpp_session_new (jid);
  g_autoptr(TalkXmppStanza) iq = talk_xmpp_stanza_new_iq ("get", DOMAIN, NULL);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  talk_xmpp_stanza_add_child (iq, "ping", TALK_XMPP_NS_PING);
  talk_xmpp_session_send_iq_async (session, iq, NULL, talk_test_store_result_cb, &result);
  WAIT_UNTIL (result != NULL);
  g_assert_null (talk_xmpp_session_send_iq_finish (session, result, &error));
  g_assert_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_NOT_CONNECTED);
  g_assert_false (talk_xmpp_session_send (session, iq));
}

/* RFC 6120 §8.4: an IQ get nobody handles is answered with
 * service-unavailable under the same id. */
static void
test_iq_unknown_get (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(TalkXmppStanza) reply = NULL;

  talk_test_peer_send (f->peer,
                       "<iq type='get' id='u1' from='" BOB_FULL "' to='" OWN_FULL "'>"
                       "<query xmlns='urn:example:unknown'/></iq>");
  reply = talk_test_peer_expect (f->peer, "iq");

  assert_error_reply (reply, "u1", "service-unavailable");
  g_assert_cmpstr (talk_xmpp_stanza_get_to (reply), ==, BOB_FULL);
}

/* RFC 6120 §8.2.3: a get or set carries one payload. */
static void
test_iq_no_payload (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(TalkXmppStanza) reply = NULL;

  talk_test_peer_send (f->peer, "<iq type='set' id='e1' from='" BOB_FULL "'/>");
  reply = talk_test_peer_expect (f->peer, "iq");

  assert_error_reply (reply, "e1", "bad-request");
}

/* Results and errors are never answered, known or not (RFC 6120 §8.2.3). */
static void
test_iq_result_unanswered (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(TalkXmppStanza) reply = NULL;

  talk_test_peer_send (f->peer,
                       "<iq type='result' id='stray1' from='" DOMAIN "'/>"
                       "<iq type='error' id='stray2' from='" BOB_FULL "'><error type='cancel'>"
                       "<service-unavailable xmlns='" NS_STANZAS "'/></error></iq>"
                       "<iq type='get' id='marker' from='" DOMAIN "'>"
                       "<query xmlns='urn:example:unknown'/></iq>");

  /* The first thing the session writes answers the marker. */
  reply = talk_test_peer_expect (f->peer, "iq");
  g_assert_cmpstr (talk_xmpp_stanza_get_id (reply), ==, "marker");
  g_assert_cmpuint (f->n_received, ==, 3);
}

/* Handlers */

typedef struct
{
  GString    *log;
  const char *letter;
  gboolean    take;
  guint       n_destroyed;
} Recorder;

static gboolean
record_cb (TalkXmppSession *session,
           TalkXmppStanza  *stanza,
           gpointer         user_data)
{
  Recorder *recorder = user_data;

  g_string_append (recorder->log, recorder->letter);
  return recorder->take;
}

static void
recorder_destroyed (gpointer user_data)
{
  Recorder *recorder = user_data;

  recorder->n_destroyed++;
}

static void
expect_log (Fixture    *f,
            GString    *log,
            const char *xml,
            const char *expected)
{
  g_string_truncate (log, 0);
  talk_test_peer_deliver (f->peer, xml);
  g_assert_cmpstr (log->str, ==, expected);
}

static void
test_handler_routing (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GString) log = g_string_new (NULL);
  g_autoptr(TalkXmppStanza) reply = NULL;
  Recorder a = { log, "A", FALSE, 0 };
  Recorder b = { log, "B", TRUE, 0 };
  Recorder c = { log, "C", FALSE, 0 };
  Recorder d = { log, "D", TRUE, 0 };
  Recorder e = { log, "E", TRUE, 0 };
  Recorder g = { log, "G", TRUE, 0 };
  guint a_id;

  a_id = talk_xmpp_session_add_handler (f->session, "message", NULL, record_cb, &a, recorder_destroyed);
  talk_xmpp_session_add_handler (f->session, "message", "urn:example:a", record_cb, &b, NULL);
  talk_xmpp_session_add_handler (f->session, "message", NULL, record_cb, &c, NULL);
  talk_xmpp_session_add_handler (f->session, "presence", NULL, record_cb, &d, NULL);
  talk_xmpp_session_add_handler (f->session, "iq", "urn:example:x", record_cb, &e, NULL);
  talk_xmpp_session_add_handler (f->session, NULL, "urn:example:a", record_cb, &g, NULL);

  /* In order; the first that takes it stops the rest. */
  expect_log (f, log, "<message from='" BOB_FULL "'><x xmlns='urn:example:a'/></message>", "AB");
  expect_log (f, log, "<message from='" BOB_FULL "'><body>hi</body></message>", "AC");
  expect_log (f, log, "<presence from='" BOB_FULL "'><x xmlns='urn:example:a'/></presence>", "D");
  /* The IQ payload's namespace decides, not a grandchild's. */
  expect_log (f, log, "<iq type='set' id='h1' from='" BOB_FULL "'><q xmlns='urn:example:x'/></iq>", "E");
  expect_log (f, log, "<iq type='get' id='h2' from='" BOB_FULL "'>"
                      "<q xmlns='urn:example:y'><x xmlns='urn:example:x'/></q></iq>", "");
  /* An element nobody else takes, matched by namespace only */
  expect_log (f, log, "<r xmlns='urn:example:a'/>", "G");

  talk_xmpp_session_remove_handler (f->session, a_id);
  g_assert_cmpuint (a.n_destroyed, ==, 1);
  expect_log (f, log, "<message from='" BOB_FULL "'><body>hi</body></message>", "C");

  /* h1 was taken by E: the only reply is the error for h2. */
  reply = talk_test_peer_expect (f->peer, "iq");
  g_assert_cmpstr (talk_xmpp_stanza_get_id (reply), ==, "h2");
  g_assert_cmpstr (talk_xmpp_stanza_get_stanza_type (reply), ==, "error");
}

static gboolean
remove_self_cb (TalkXmppSession *session,
                TalkXmppStanza  *stanza,
                gpointer         user_data)
{
  guint *id = user_data;

  talk_xmpp_session_remove_handler (session, *id);
  return FALSE;
}

/* A handler may remove itself (and others) while routing runs. */
static void
test_handler_remove_while_routing (Fixture       *f,
                                   gconstpointer  data)
{
  g_autoptr(GString) log = g_string_new (NULL);
  Recorder b = { log, "B", TRUE, 0 };
  guint self_id;

  self_id = talk_xmpp_session_add_handler (f->session, "message", NULL, remove_self_cb, &self_id, NULL);
  talk_xmpp_session_add_handler (f->session, "message", NULL, record_cb, &b, NULL);

  expect_log (f, log, "<message from='" BOB_FULL "'/>", "B");
  expect_log (f, log, "<message from='" BOB_FULL "'/>", "B");
}

/* Disco, version, ping */

static gboolean
query_has_feature (TalkXmppStanza *query,
                   const char     *var)
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
test_disco_info (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(TalkXmppDisco) disco = talk_xmpp_disco_new (f->session);
  g_autoptr(TalkXmppStanza) reply = NULL;
  g_autoptr(TalkXmppStanza) node_reply = NULL;
  g_autoptr(TalkXmppStanza) unknown_reply = NULL;
  g_autoptr(TalkXmppStanza) items_reply = NULL;
  g_autofree char *ver = NULL;
  g_autofree char *node = NULL;
  TalkXmppStanza *query;
  TalkXmppStanza *identity;

  talk_test_peer_send (f->peer,
                       "<iq type='get' id='d1' from='" BOB_FULL "' to='" OWN_FULL "'>"
                       "<query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
  reply = talk_test_peer_expect (f->peer, "iq");
  g_assert_cmpstr (talk_xmpp_stanza_get_stanza_type (reply), ==, "result");
  g_assert_cmpstr (talk_xmpp_stanza_get_id (reply), ==, "d1");
  g_assert_cmpstr (talk_xmpp_stanza_get_to (reply), ==, BOB_FULL);

  query = talk_xmpp_stanza_get_child (reply, "query", TALK_XMPP_NS_DISCO_INFO);
  g_assert_nonnull (query);
  identity = talk_xmpp_stanza_get_child (query, "identity", TALK_XMPP_NS_DISCO_INFO);
  g_assert_nonnull (identity);
  g_assert_cmpstr (talk_xmpp_stanza_get_attribute (identity, "category"), ==, "client");
  g_assert_cmpstr (talk_xmpp_stanza_get_attribute (identity, "type"), ==, "pc");
  g_assert_cmpstr (talk_xmpp_stanza_get_attribute (identity, "name"), ==, "Talk");
  g_assert_true (query_has_feature (query, TALK_XMPP_NS_DISCO_INFO));
  g_assert_true (query_has_feature (query, TALK_XMPP_NS_DISCO_ITEMS));
  g_assert_true (query_has_feature (query, TALK_XMPP_NS_CAPS));
  g_assert_true (query_has_feature (query, TALK_XMPP_NS_PING));
  g_assert_true (query_has_feature (query, TALK_XMPP_NS_VERSION));

  /* What went over the wire hashes to the announced ver. */
  ver = talk_xmpp_caps_compute_ver (query, NULL);
  g_assert_cmpstr (ver, ==, talk_xmpp_disco_get_caps_ver (disco));

  /* XEP-0115 §6.2: the caps node */
  node = g_strconcat (TALK_XMPP_CAPS_NODE "#", ver, NULL);
  talk_test_peer_sendf (f->peer,
                        "<iq type='get' id='d2' from='" BOB_FULL "'>"
                        "<query xmlns='http://jabber.org/protocol/disco#info' node='%s'/></iq>",
                        node);
  node_reply = talk_test_peer_expect (f->peer, "iq");
  g_assert_cmpstr (talk_xmpp_stanza_get_stanza_type (node_reply), ==, "result");
  query = talk_xmpp_stanza_get_child (node_reply, "query", TALK_XMPP_NS_DISCO_INFO);
  g_assert_cmpstr (talk_xmpp_stanza_get_attribute (query, "node"), ==, node);
  g_assert_true (query_has_feature (query, TALK_XMPP_NS_PING));

  talk_test_peer_send (f->peer,
                       "<iq type='get' id='d3' from='" BOB_FULL "'>"
                       "<query xmlns='http://jabber.org/protocol/disco#info'"
                       " node='urn:example:nope'/></iq>");
  unknown_reply = talk_test_peer_expect (f->peer, "iq");
  assert_error_reply (unknown_reply, "d3", "item-not-found");

  talk_test_peer_send (f->peer,
                       "<iq type='get' id='d4' from='" BOB_FULL "'>"
                       "<query xmlns='http://jabber.org/protocol/disco#items'/></iq>");
  items_reply = talk_test_peer_expect (f->peer, "iq");
  g_assert_cmpstr (talk_xmpp_stanza_get_stanza_type (items_reply), ==, "result");
  query = talk_xmpp_stanza_get_child (items_reply, "query", TALK_XMPP_NS_DISCO_ITEMS);
  g_assert_nonnull (query);
  g_assert_cmpuint (talk_xmpp_stanza_get_n_children (query), ==, 0);
}

static void
test_disco_added_feature (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(TalkXmppDisco) disco = talk_xmpp_disco_new (f->session);
  g_autoptr(TalkXmppStanza) reply = NULL;

  talk_xmpp_disco_add_feature (disco, "urn:xmpp:example:0");
  talk_test_peer_send (f->peer,
                       "<iq type='get' id='d1' from='" BOB_FULL "'>"
                       "<query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
  reply = talk_test_peer_expect (f->peer, "iq");
  g_assert_true (query_has_feature (talk_xmpp_stanza_get_child (reply, "query", NULL),
                                    "urn:xmpp:example:0"));
}

static void
test_version (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(TalkXmppDisco) disco = talk_xmpp_disco_new (f->session);
  g_autoptr(TalkXmppStanza) reply = NULL;
  g_autoptr(TalkXmppStanza) with_os = NULL;
  g_autoptr(TalkXmppStanza) set_reply = NULL;
  g_autofree char *name = NULL;
  g_autofree char *version = NULL;
  g_autofree char *os = NULL;
  TalkXmppStanza *query;

  talk_test_peer_send (f->peer,
                       "<iq type='get' id='v1' from='" BOB_FULL "'>"
                       "<query xmlns='jabber:iq:version'/></iq>");
  reply = talk_test_peer_expect (f->peer, "iq");
  g_assert_cmpstr (talk_xmpp_stanza_get_stanza_type (reply), ==, "result");
  g_assert_cmpstr (talk_xmpp_stanza_get_id (reply), ==, "v1");
  query = talk_xmpp_stanza_get_child (reply, "query", TALK_XMPP_NS_VERSION);
  g_assert_nonnull (query);
  name = talk_xmpp_stanza_dup_child_text (query, "name", NULL);
  version = talk_xmpp_stanza_dup_child_text (query, "version", NULL);
  g_assert_cmpstr (name, ==, "Talk");
  g_assert_cmpstr (version, ==, PACKAGE_VERSION);
  /* Not told by default (XEP-0092 §5) */
  g_assert_null (talk_xmpp_stanza_get_child (query, "os", NULL));

  talk_xmpp_disco_set_software (disco, "Talk", PACKAGE_VERSION, "GNU/Linux");
  talk_test_peer_send (f->peer,
                       "<iq type='get' id='v2' from='" BOB_FULL "'>"
                       "<query xmlns='jabber:iq:version'/></iq>");
  with_os = talk_test_peer_expect (f->peer, "iq");
  os = talk_xmpp_stanza_dup_child_text (talk_xmpp_stanza_get_child (with_os, "query", NULL), "os", NULL);
  g_assert_cmpstr (os, ==, "GNU/Linux");

  /* Only get is defined */
  talk_test_peer_send (f->peer,
                       "<iq type='set' id='v3' from='" BOB_FULL "'>"
                       "<query xmlns='jabber:iq:version'/></iq>");
  set_reply = talk_test_peer_expect (f->peer, "iq");
  assert_error_reply (set_reply, "v3", "feature-not-implemented");
}

static void
test_ping_answered (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(TalkXmppDisco) disco = talk_xmpp_disco_new (f->session);
  g_autoptr(TalkXmppStanza) reply = NULL;

  talk_test_peer_send (f->peer,
                       "<iq type='get' id='p1' from='" DOMAIN "' to='" OWN_FULL "'>"
                       "<ping xmlns='urn:xmpp:ping'/></iq>");
  reply = talk_test_peer_expect (f->peer, "iq");
  g_assert_cmpstr (talk_xmpp_stanza_get_stanza_type (reply), ==, "result");
  g_assert_cmpstr (talk_xmpp_stanza_get_id (reply), ==, "p1");
  g_assert_cmpstr (talk_xmpp_stanza_get_to (reply), ==, DOMAIN);
  g_assert_cmpuint (talk_xmpp_stanza_get_n_children (reply), ==, 0);
}

static void
test_ping_server (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(TalkXmppStanza) ping = NULL;
  g_autoptr(GError) error = NULL;

  talk_xmpp_session_ping_async (f->session, NULL, NULL, talk_test_store_result_cb, &result);
  ping = talk_test_peer_expect (f->peer, "iq");
  g_assert_cmpstr (talk_xmpp_stanza_get_to (ping), ==, DOMAIN);
  g_assert_nonnull (talk_xmpp_stanza_get_child (ping, "ping", TALK_XMPP_NS_PING));

  talk_test_peer_sendf (f->peer, "<iq type='result' id='%s' from='" DOMAIN "'/>",
                        talk_xmpp_stanza_get_id (ping));
  WAIT_UNTIL (result != NULL);
  g_assert_true (talk_xmpp_session_ping_finish (f->session, result, &error));
  g_assert_no_error (error);
}

/* SECURITY.md §1.1 */

static void
test_own_account (void)
{
  static const struct {
    const char *from;
    gboolean    own;
  } cases[] = {
    { NULL, TRUE },
    { OWN_BARE, TRUE },
    { "USER@Example.TEST", TRUE },
    { "user@example.test.", TRUE },
    { OWN_FULL, FALSE },
    { "user@example.test/other", FALSE },
    { DOMAIN, FALSE },
    { "bob@example.test", FALSE },
    { "user@evil.test", FALSE },
    { "user@example.test.evil.test", FALSE },
    { "", FALSE },
    { "@example.test", FALSE },
    { "user@", FALSE },
    { "us er@example.test", FALSE },
  };
  g_autoptr(TalkXmppJid) jid = talk_xmpp_jid_new (OWN_BARE, NULL);
  g_autoptr(TalkXmppSession) session = talk_xmpp_session_new (jid);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(TalkXmppStanza) stanza = talk_xmpp_stanza_new_iq ("set", NULL, "r1");

      if (cases[i].from != NULL)
        talk_xmpp_stanza_set_attribute (stanza, "from", cases[i].from);
      g_test_message ("from %s", cases[i].from ? cases[i].from : "(none)");
      g_assert_cmpint (talk_xmpp_session_is_from_own_account (session, stanza), ==, cases[i].own);
    }
}

/* Staying online */

static gboolean
feed_whitespace_cb (gpointer user_data)
{
  Fixture *f = user_data;

  talk_test_peer_send (f->peer, " ");
  return G_SOURCE_CONTINUE;
}

static void
assert_reconnect_scheduled (Fixture *f,
                            guint    n)
{
  guint upper = BACKOFF_BASE_MS << n;

  g_assert_cmpuint (f->n_reconnect_scheduled, ==, 1);
  g_assert_cmpuint (f->reconnect_delay, >=, upper / 2);
  g_assert_cmpuint (f->reconnect_delay, <=, upper);
  g_assert_cmpint (talk_xmpp_session_get_state (f->session), ==, TALK_XMPP_SESSION_STATE_DISCONNECTED);
}

static gint64
get_reconnect_at (TalkXmppSession *session)
{
  gint64 reconnect_at = 0;

  g_object_get (session, "reconnect-at", &reconnect_at, NULL);
  return reconnect_at;
}

static void
test_keepalive (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(TalkXmppStanza) ping = NULL;
  guint feeder;

  g_object_set (f->session, "keepalive-seconds", 1, "ping-timeout-seconds", 1, NULL);

  /* The server keeps talking: the session has only nothing to send, and
   * answers that with whitespace. */
  feeder = g_timeout_add (200, feed_whitespace_cb, f);
  TALK_TEST_WAIT_UNTIL (talk_test_peer_get_n_whitespace (f->peer) >= 1, 3000);
  g_assert_cmpuint (talk_test_peer_get_n_pending (f->peer), ==, 0);
  g_source_remove (feeder);

  /* Silence: XEP-0199 ping to the server */
  ping = talk_test_peer_expect (f->peer, "iq");
  g_assert_cmpstr (talk_xmpp_stanza_get_stanza_type (ping), ==, "get");
  g_assert_cmpstr (talk_xmpp_stanza_get_to (ping), ==, DOMAIN);
  g_assert_nonnull (talk_xmpp_stanza_get_child (ping, "ping", TALK_XMPP_NS_PING));
  g_assert_cmpuint (f->n_disconnected, ==, 0);

  /* Never answered: the connection is dead. */
  TALK_TEST_WAIT_UNTIL (f->n_disconnected == 1, 3000);
  g_assert_error (f->disconnect_error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_TIMEOUT);
  g_assert_error ((GError *) talk_xmpp_session_get_last_error (f->session),
                  TALK_XMPP_ERROR, TALK_XMPP_ERROR_TIMEOUT);
  assert_reconnect_scheduled (f, 0);
  g_assert_cmpint (get_reconnect_at (f->session), >, g_get_monotonic_time ());
  g_assert_null (talk_xmpp_session_get_bound_jid (f->session));

  /* The transport is closed on our side. */
  WAIT_UNTIL (talk_test_peer_is_closed (f->peer));
}

/* An answered ping keeps the session online. */
static void
test_keepalive_answered (Fixture       *f,
                         gconstpointer  data)
{
  g_object_set (f->session, "keepalive-seconds", 1, "ping-timeout-seconds", 1, NULL);

  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(TalkXmppStanza) ping = talk_test_peer_expect (f->peer, "iq");

      g_assert_nonnull (talk_xmpp_stanza_get_child (ping, "ping", TALK_XMPP_NS_PING));
      talk_test_peer_sendf (f->peer, "<iq type='result' id='%s' from='" DOMAIN "'/>",
                            talk_xmpp_stanza_get_id (ping));
    }

  g_assert_cmpuint (f->n_disconnected, ==, 0);
  g_assert_cmpint (talk_xmpp_session_get_state (f->session), ==, TALK_XMPP_SESSION_STATE_ONLINE);
}

static void
write_stream_error (Fixture    *f,
                    const char *condition)
{
  talk_test_peer_sendf (f->peer,
                        "<stream:error><%s xmlns='" NS_STREAMS "'/>"
                        "<text xmlns='" NS_STREAMS "'>Bye</text></stream:error></stream:stream>",
                        condition);
}

/* The server ends the stream with @condition: the session goes offline
 * with that error. */
static void
lose_with_stream_error (Fixture                 *f,
                        const char              *condition,
                        TalkXmppStreamErrorCode  code)
{
  write_stream_error (f, condition);
  WAIT_UNTIL (f->n_disconnected == 1);
  g_assert_error (f->disconnect_error, TALK_XMPP_STREAM_ERROR, code);
}

/* SECURITY.md §1.7: signed in elsewhere; retrying would fight the other
 * client forever. */
static void
test_stream_error_conflict (Fixture       *f,
                            gconstpointer  data)
{
  lose_with_stream_error (f, "conflict", TALK_XMPP_STREAM_ERROR_CONFLICT);
  g_assert_cmpint (talk_xmpp_session_get_state (f->session), ==, TALK_XMPP_SESSION_STATE_DISCONNECTED);
  talk_test_run_for (100);
  g_assert_cmpuint (f->n_reconnect_scheduled, ==, 0);
  g_assert_cmpint (get_reconnect_at (f->session), ==, 0);

  /* RFC 6120 §4.4: our closing tag answers theirs. */
  WAIT_UNTIL (talk_test_peer_got_close_tag (f->peer));
}

static void
test_stream_error_shutdown (Fixture       *f,
                            gconstpointer  data)
{
  lose_with_stream_error (f, "system-shutdown", TALK_XMPP_STREAM_ERROR_SYSTEM_SHUTDOWN);
  assert_reconnect_scheduled (f, 0);
}

static void
test_stream_error_not_authorized (Fixture       *f,
                                  gconstpointer  data)
{
  lose_with_stream_error (f, "not-authorized", TALK_XMPP_STREAM_ERROR_NOT_AUTHORIZED);
  talk_test_run_for (100);
  g_assert_cmpuint (f->n_reconnect_scheduled, ==, 0);
}

static void
test_connection_loss (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(TalkXmppStanza) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;

  id = send_query (f, DOMAIN, TALK_XMPP_NS_VERSION, NULL, &result);
  talk_test_peer_close (f->peer);
  WAIT_UNTIL (result != NULL);

  reply = talk_xmpp_session_send_iq_finish (f->session, result, &error);
  g_assert_null (reply);
  g_assert_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_CLOSED);

  g_assert_cmpuint (f->n_disconnected, ==, 1);
  g_assert_nonnull (f->disconnect_error);
  assert_reconnect_scheduled (f, 0);
}

/* A user disconnect: clean close, pending requests fail, no retry. */
static void
test_disconnect (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GAsyncResult) iq_result = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(TalkXmppStanza) presence = talk_xmpp_stanza_new_presence ("unavailable", NULL);
  g_autoptr(TalkXmppStanza) sent = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;

  id = send_query (f, DOMAIN, TALK_XMPP_NS_VERSION, NULL, &iq_result);

  /* What was queued before goes out before the closing tag. */
  g_assert_true (talk_xmpp_session_send (f->session, presence));
  talk_xmpp_session_disconnect_async (f->session, NULL, talk_test_store_result_cb, &result);
  g_assert_cmpint (talk_xmpp_session_get_state (f->session), ==, TALK_XMPP_SESSION_STATE_DISCONNECTED);

  WAIT_UNTIL (talk_test_peer_got_close_tag (f->peer));
  sent = talk_test_peer_expect (f->peer, "presence");
  talk_test_peer_send (f->peer, "</stream:stream>");

  WAIT_UNTIL (result != NULL && iq_result != NULL);
  g_assert_true (talk_xmpp_session_disconnect_finish (f->session, result, &error));
  g_assert_no_error (error);
  g_assert_null (talk_xmpp_session_send_iq_finish (f->session, iq_result, &error));
  g_assert_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_CLOSED);

  g_assert_cmpuint (f->n_disconnected, ==, 1);
  g_assert_null (f->disconnect_error);
  g_assert_null (talk_xmpp_session_get_last_error (f->session));
  g_assert_cmpuint (f->n_reconnect_scheduled, ==, 0);
  g_assert_false (talk_xmpp_session_send (f->session, presence));
  WAIT_UNTIL (talk_test_peer_is_closed (f->peer));
}

/* The last reference going away while online: the stream is closed and
 * nothing calls back into the freed session. */
static void
test_dispose_online (Fixture       *f,
                     gconstpointer  data)
{
  g_object_set (f->session, "keepalive-seconds", 1, NULL);
  g_clear_object (&f->session);

  WAIT_UNTIL (talk_test_peer_got_close_tag (f->peer));
  talk_test_peer_send (f->peer, "</stream:stream>");
  WAIT_UNTIL (talk_test_peer_is_closed (f->peer));
}

/* Reconnecting, with the real connector */

static guint16
closed_port (void)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;

  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_socket_bind (socket, address, FALSE, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

static void
test_network_changed (Fixture       *f,
                      gconstpointer  data)
{
  GNetworkMonitor *monitor = g_network_monitor_get_default ();

  write_stream_error (f, "system-shutdown");
  WAIT_UNTIL (f->n_reconnect_scheduled == 1);
  g_assert_cmpuint (f->reconnect_delay, >=, BACKOFF_BASE_MS / 2);

  /* Nobody listens there: the attempt fails fast with a transient error. */
  talk_xmpp_session_set_host (f->session, "127.0.0.1", closed_port (), FALSE);

  /* The network is back: retry within a second instead. */
  g_signal_emit_by_name (monitor, "network-changed", TRUE);
  g_assert_cmpuint (f->n_reconnect_scheduled, ==, 2);
  g_assert_cmpuint (f->reconnect_delay, <=, 1000);
  g_assert_cmpint (get_reconnect_at (f->session), <=, g_get_monotonic_time () + 1000 * 1000);

  /* Losing the network changes nothing. */
  g_signal_emit_by_name (monitor, "network-changed", FALSE);
  g_assert_cmpuint (f->n_reconnect_scheduled, ==, 2);

  /* The attempt runs and fails; the next wait is longer (n = 1). */
  WAIT_UNTIL (f->n_disconnected == 2);
  g_assert_error (f->disconnect_error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_CONNECTION_FAILED);
  g_assert_cmpuint (f->n_reconnect_scheduled, ==, 3);
  g_assert_cmpuint (f->reconnect_delay, >=, BACKOFF_BASE_MS);
  g_assert_cmpuint (f->reconnect_delay, <=, 2 * BACKOFF_BASE_MS);
}

static void
test_reconnect_now (Fixture       *f,
                    gconstpointer  data)
{
  write_stream_error (f, "reset");
  WAIT_UNTIL (f->n_reconnect_scheduled == 1);

  talk_xmpp_session_set_host (f->session, "127.0.0.1", closed_port (), FALSE);
  talk_xmpp_session_reconnect_now (f->session);
  g_assert_cmpint (get_reconnect_at (f->session), ==, 0);
  g_assert_cmpint (talk_xmpp_session_get_state (f->session), !=, TALK_XMPP_SESSION_STATE_DISCONNECTED);

  WAIT_UNTIL (f->n_disconnected == 2);
  g_assert_cmpuint (f->n_reconnect_scheduled, ==, 2);
}

typedef struct
{
  GArray *states;
} StateLog;

static void
on_state_notify (TalkXmppSession *session,
                 GParamSpec      *pspec,
                 StateLog        *log)
{
  TalkXmppSessionState state = talk_xmpp_session_get_state (session);

  g_array_append_val (log->states, state);
}

static void
test_connect_refused (void)
{
  g_autoptr(TalkXmppJid) jid = talk_xmpp_jid_new (OWN_BARE, NULL);
  g_autoptr(TalkXmppSession) session = talk_xmpp_session_new (jid);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  StateLog log = { g_array_new (FALSE, FALSE, sizeof (TalkXmppSessionState)) };
  Fixture f = { 0 };

  g_object_set (session, "backoff-base-ms", BACKOFF_BASE_MS, NULL);
  talk_xmpp_session_set_password (session, "secret");
  talk_xmpp_session_set_host (session, "127.0.0.1", closed_port (), FALSE);
  g_signal_connect (session, "notify::state", G_CALLBACK (on_state_notify), &log);
  g_signal_connect (session, "disconnected", G_CALLBACK (on_disconnected), &f);
  g_signal_connect (session, "reconnect-scheduled", G_CALLBACK (on_reconnect_scheduled), &f);

  talk_xmpp_session_connect_async (session, NULL, talk_test_store_result_cb, &result);
  g_assert_cmpint (talk_xmpp_session_get_state (session), !=, TALK_XMPP_SESSION_STATE_DISCONNECTED);
  WAIT_UNTIL (result != NULL);

  g_assert_false (talk_xmpp_session_connect_finish (session, result, &error));
  g_assert_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_CONNECTION_FAILED);
  g_assert_cmpint (talk_xmpp_session_get_state (session), ==, TALK_XMPP_SESSION_STATE_DISCONNECTED);
  g_assert_error ((GError *) talk_xmpp_session_get_last_error (session),
                  TALK_XMPP_ERROR, TALK_XMPP_ERROR_CONNECTION_FAILED);
  g_assert_cmpuint (f.n_disconnected, ==, 1);
  g_assert_cmpuint (f.n_reconnect_scheduled, ==, 1);
  g_assert_cmpuint (f.reconnect_delay, <=, BACKOFF_BASE_MS);
  g_assert_cmpint (get_reconnect_at (session), >, 0);

  /* Went through the connector's steps, ended disconnected */
  g_assert_cmpuint (log.states->len, >=, 2);
  g_assert_cmpint (g_array_index (log.states, TalkXmppSessionState, log.states->len - 1), ==,
                   TALK_XMPP_SESSION_STATE_DISCONNECTED);

  /* Turning auto-reconnect off drops the scheduled attempt. */
  g_object_set (session, "auto-reconnect", FALSE, NULL);
  g_assert_cmpint (get_reconnect_at (session), ==, 0);

  g_signal_handlers_disconnect_by_data (session, &log);
  g_signal_handlers_disconnect_by_data (session, &f);
  g_array_unref (log.states);
  g_clear_error (&f.disconnect_error);
}

static gboolean
drop_session_cb (gpointer user_data)
{
  TalkXmppSession **session = user_data;

  g_clear_object (session);
  return G_SOURCE_REMOVE;
}

/* The last reference goes while an automatic attempt (no task holds the
 * session) waits for a server that accepted the TCP connection but never
 * speaks. */
static void
test_dispose_connecting (void)
{
  g_autoptr(TalkXmppJid) jid = talk_xmpp_jid_new (OWN_BARE, NULL);
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  TalkXmppSession *session = talk_xmpp_session_new (jid);
  guint16 port;

  port = g_socket_listener_add_any_inet_port (listener, NULL, &error);
  g_assert_no_error (error);

  g_object_set (session, "backoff-base-ms", BACKOFF_BASE_MS, NULL);
  talk_xmpp_session_set_password (session, "secret");
  talk_xmpp_session_set_host (session, "127.0.0.1", closed_port (), FALSE);
  talk_xmpp_session_connect_async (session, NULL, talk_test_store_result_cb, &result);
  WAIT_UNTIL (result != NULL);
  g_assert_false (talk_xmpp_session_connect_finish (session, result, NULL));
  g_clear_object (&result);
  g_assert_cmpint (get_reconnect_at (session), >, 0);

  talk_xmpp_session_set_host (session, "127.0.0.1", port, FALSE);
  talk_xmpp_session_reconnect_now (session);
  WAIT_UNTIL (talk_xmpp_session_get_state (session) >= TALK_XMPP_SESSION_STATE_CONNECTING);
  talk_test_run_for (100);
  g_assert_cmpint (talk_xmpp_session_get_state (session), !=, TALK_XMPP_SESSION_STATE_DISCONNECTED);

  g_idle_add (drop_session_cb, &session);
  WAIT_UNTIL (session == NULL);
  talk_test_run_for (200);
}

static void
test_backoff (void)
{
  g_autoptr(TalkXmppJid) jid = talk_xmpp_jid_new (OWN_BARE, NULL);
  g_autoptr(TalkXmppSession) session = talk_xmpp_session_new (jid);
  guint previous_upper = 0;

  g_object_set (session, "backoff-base-ms", 1000, "backoff-max-ms", 30000, NULL);

  for (guint n = 0; n < 40; n++)
    {
      guint upper = n < 5 ? MIN (30000u, 1000u << n) : 30000u;

      /* Grows until the cap, then stays there */
      g_assert_cmpuint (upper, >=, previous_upper);
      previous_upper = upper;

      for (guint i = 0; i < 50; i++)
        {
          guint delay = _talk_xmpp_session_compute_backoff (session, n);

          g_assert_cmpuint (delay, >=, upper / 2);
          g_assert_cmpuint (delay, <=, upper);
        }
    }

  g_assert_cmpuint (_talk_xmpp_session_compute_backoff (session, G_MAXUINT), <=, 30000);
}

#define ADD(path, func) \
  g_test_add ("/talk/xmpp/session/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

int
main (int   argc,
      char *argv[])
{
  /* A quiet network monitor: the tests emit its signal themselves. */
  g_setenv ("GIO_USE_NETWORK_MONITOR", "base", TRUE);
  g_test_init (&argc, &argv, NULL);

  ADD ("iq-round-trip", test_iq_round_trip);
  ADD ("iq-wrong-sender", test_iq_wrong_sender);
  ADD ("iq-no-from-to-other", test_iq_no_from_to_other);
  ADD ("iq-own-bare-no-from", test_iq_own_bare_no_from);
  ADD ("iq-no-to", test_iq_no_to);
  ADD ("iq-error", test_iq_error);
  ADD ("iq-timeout", test_iq_timeout);
  ADD ("iq-cancel", test_iq_cancel);
  g_test_add_func ("/talk/xmpp/session/iq-not-connected", test_iq_not_connected);
  ADD ("iq-unknown-get", test_iq_unknown_get);
  ADD ("iq-no-payload", test_iq_no_payload);
  ADD ("iq-result-unanswered", test_iq_result_unanswered);
  ADD ("handler-routing", test_handler_routing);
  ADD ("handler-remove-while-routing", test_handler_remove_while_routing);
  ADD ("disco-info", test_disco_info);
  ADD ("disco-added-feature", test_disco_added_feature);
  ADD ("version", test_version);
  ADD ("ping-answered", test_ping_answered);
  ADD ("ping-server", test_ping_server);
  g_test_add_func ("/talk/xmpp/session/own-account", test_own_account);
  ADD ("keepalive", test_keepalive);
  ADD ("keepalive-answered", test_keepalive_answered);
  ADD ("stream-error-conflict", test_stream_error_conflict);
  ADD ("stream-error-shutdown", test_stream_error_shutdown);
  ADD ("stream-error-not-authorized", test_stream_error_not_authorized);
  ADD ("connection-loss", test_connection_loss);
  ADD ("disconnect", test_disconnect);
  ADD ("dispose-online", test_dispose_online);
  ADD ("network-changed", test_network_changed);
  ADD ("reconnect-now", test_reconnect_now);
  g_test_add_func ("/talk/xmpp/session/connect-refused", test_connect_refused);
  g_test_add_func ("/talk/xmpp/session/dispose-connecting", test_dispose_connecting);
  g_test_add_func ("/talk/xmpp/session/backoff", test_backoff);

  return g_test_run ();
}
