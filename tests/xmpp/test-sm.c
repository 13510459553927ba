/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Stream management (XEP-0198) in TalkXmppSession against a scripted
 * server (TalkTestPeer): enabling, counting both ways, acks held until a
 * handler releases them, the server's acks, a count too high, and the
 * counters crossing 2^32. Resumption needs the connector and a real
 * server: tests/integration/test-reconnect.c.
 */

#include "config.h"

#include "talk-xmpp.h"
#include "talk-xmpp-session-private.h"
#include "talk-test-peer.h"

#define OWN_BARE   "user@example.test"
#define OWN_FULL   "user@example.test/talk"
#define BOB_FULL   "bob@example.test/phone"
#define NS_SM      "urn:xmpp:sm:3"
#define NS_STREAMS "urn:ietf:params:xml:ns:xmpp-streams"

#define WAIT_UNTIL(cond) TALK_TEST_WAIT_UNTIL (cond, 5000)

#define ENABLED_RESUMABLE \
  "<enabled xmlns='" NS_SM "' id='sm-1' resume='true' max='300'/>"
#define ENABLED_PLAIN "<enabled xmlns='" NS_SM "'/>"
#define R "<r xmlns='" NS_SM "'/>"

typedef struct
{
  gboolean    offer_sm;
  const char *enabled;   /* the answer to <enable/>, NULL for none yet */
} Setup;

static const Setup setup_none = { FALSE, NULL };
static const Setup setup_offered = { TRUE, NULL };
static const Setup setup_resumable = { TRUE, ENABLED_RESUMABLE };
static const Setup setup_plain = { TRUE, ENABLED_PLAIN };

typedef struct
{
  TalkTestPeer     *peer;
  TalkXmppJid      *jid;
  TalkXmppSession  *session;
  GPtrArray        *acknowledged;    /* of TalkXmppStanza */
  GPtrArray        *unacknowledged;  /* of GPtrArray of TalkXmppStanza */
  guint             n_disconnected;
  GError           *disconnect_error;
  GPtrArray        *tokens;          /* held by the message handler */
} Fixture;

static void
on_acknowledged (TalkXmppSession *session,
                 TalkXmppStanza  *stanza,
                 Fixture         *f)
{
  g_ptr_array_add (f->acknowledged, talk_xmpp_stanza_ref (stanza));
}

static void
on_unacknowledged (TalkXmppSession *session,
                   GPtrArray       *stanzas,
                   Fixture         *f)
{
  g_ptr_array_add (f->unacknowledged, g_ptr_array_ref (stanzas));
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

/* Holds the ack of messages whose body starts with "hold" (twice for
 * "hold2"), as a store that writes asynchronously would. */
static gboolean
message_handler (TalkXmppSession *session,
                 TalkXmppStanza  *stanza,
                 gpointer         user_data)
{
  Fixture *f = user_data;
  g_autofree char *body = talk_xmpp_stanza_dup_child_text (stanza, "body", NULL);

  if (g_str_has_prefix (body, "hold"))
    g_ptr_array_add (f->tokens, talk_xmpp_session_hold_ack (session));
  if (g_strcmp0 (body, "hold2") == 0)
    g_ptr_array_add (f->tokens, talk_xmpp_session_hold_ack (session));

  return TRUE;
}

/* Takes the next element the session wrote: the stream management element
 * @name. */
static TalkXmppStanza *
expect_sm (Fixture    *f,
           const char *name)
{
  TalkXmppStanza *element = talk_test_peer_expect (f->peer, NULL);

  g_assert_cmpstr (talk_xmpp_stanza_get_ns (element), ==, NS_SM);
  g_assert_cmpstr (talk_xmpp_stanza_get_name (element), ==, name);
  return element;
}

static void
expect_a (Fixture    *f,
          const char *h)
{
  g_autoptr(TalkXmppStanza) a = expect_sm (f, "a");

  g_assert_cmpstr (talk_xmpp_stanza_get_attribute (a, "h"), ==, h);
}

/* The next element that is not an <r/>: requests go out on a timer, so
 * where they fall among other elements depends on the machine's speed. */
static TalkXmppStanza *
expect_skipping_r (Fixture *f)
{
  for (;;)
    {
      TalkXmppStanza *element = talk_test_peer_expect (f->peer, NULL);

      if (!talk_xmpp_stanza_is (element, "r", NS_SM))
        return element;
      talk_xmpp_stanza_unref (element);
    }
}

static void
send_message (Fixture    *f,
              const char *body)
{
  g_autoptr(TalkXmppStanza) message = talk_xmpp_stanza_new_message ("chat", BOB_FULL, body);

  g_assert_true (talk_xmpp_session_send (f->session, message));
}

static void
expect_message (Fixture    *f,
                const char *body)
{
  g_autoptr(TalkXmppStanza) message = talk_test_peer_expect (f->peer, "message");
  g_autofree char *text = talk_xmpp_stanza_dup_child_text (message, "body", NULL);

  g_assert_cmpstr (text, ==, body);
}

static void
deliver_message (Fixture    *f,
                 const char *body)
{
  g_autofree char *xml = g_strdup_printf ("<message from='" BOB_FULL "' to='" OWN_FULL "'"
                                          " type='chat'><body>%s</body></message>", body);

  talk_test_peer_deliver (f->peer, xml);
}

static void
assert_bodies (GPtrArray  *stanzas,
               const char *first,
               ...)
{
  va_list args;
  const char *body = first;
  guint i = 0;

  va_start (args, first);
  for (; body != NULL; body = va_arg (args, const char *), i++)
    {
      g_autofree char *text = NULL;

      g_assert_cmpuint (i, <, stanzas->len);
      text = talk_xmpp_stanza_dup_child_text (g_ptr_array_index (stanzas, i), "body", NULL);
      g_assert_cmpstr (text, ==, body);
    }
  va_end (args);
  g_assert_cmpuint (i, ==, stanzas->len);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  const Setup *setup = data;
  g_autoptr(GError) error = NULL;

  f->jid = talk_xmpp_jid_new (OWN_BARE, &error);
  g_assert_no_error (error);
  f->acknowledged = g_ptr_array_new_with_free_func ((GDestroyNotify) talk_xmpp_stanza_unref);
  f->unacknowledged = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
  f->tokens = g_ptr_array_new ();

  f->session = talk_xmpp_session_new (f->jid);
  talk_xmpp_session_set_password (f->session, "secret");
  g_object_set (f->session, "keepalive-seconds", 0, "auto-reconnect", FALSE, NULL);
  g_signal_connect (f->session, "stanza-acknowledged", G_CALLBACK (on_acknowledged), f);
  g_signal_connect (f->session, "stanzas-unacknowledged", G_CALLBACK (on_unacknowledged), f);
  g_signal_connect (f->session, "disconnected", G_CALLBACK (on_disconnected), f);
  talk_xmpp_session_add_handler (f->session, "message", NULL, message_handler, f, NULL);

  /* What the connector hands over with the stream: the features after
   * binding. */
  if (setup->offer_sm)
    {
      f->session->features = talk_xmpp_stanza_new ("features", TALK_XMPP_NS_STREAM);
      talk_xmpp_stanza_add_child (f->session->features, "sm", NS_SM);
    }

  f->peer = talk_test_peer_new (f->session, OWN_FULL);

  if (setup->offer_sm)
    {
      g_autoptr(TalkXmppStanza) enable = expect_sm (f, "enable");

      g_assert_cmpstr (talk_xmpp_stanza_get_attribute (enable, "resume"), ==, "true");
    }

  if (setup->enabled != NULL)
    {
      talk_test_peer_send (f->peer, setup->enabled);
      WAIT_UNTIL (talk_xmpp_session_get_sm_enabled (f->session));
    }
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  for (guint i = 0; i < f->tokens->len; i++)
    talk_xmpp_session_release_ack (f->session, g_ptr_array_index (f->tokens, i));
  g_ptr_array_unref (f->tokens);

  g_clear_object (&f->session);
  g_clear_pointer (&f->jid, talk_xmpp_jid_unref);
  g_clear_pointer (&f->acknowledged, g_ptr_array_unref);
  g_clear_pointer (&f->unacknowledged, g_ptr_array_unref);
  g_clear_error (&f->disconnect_error);

  g_clear_pointer (&f->peer, talk_test_peer_free);
  talk_test_run_for (50);
}

/* Enabling (XEP-0198 §3) */

static void
test_enable (Fixture       *f,
             gconstpointer  data)
{
  gboolean enabled = FALSE;
  gboolean resumed = TRUE;

  g_object_get (f->session, "sm-enabled", &enabled, "sm-resumed", &resumed, NULL);
  g_assert_true (enabled);
  g_assert_false (resumed);
  g_assert_true (f->session->sm.resumable);
  g_assert_cmpstr (f->session->sm.id, ==, "sm-1");
  g_assert_cmpuint (f->session->sm.max_seconds, ==, 300);
  g_assert_cmpuint (talk_test_peer_get_n_pending (f->peer), ==, 0);
}

static void
test_not_offered (Fixture       *f,
                  gconstpointer  data)
{
  send_message (f, "plain");
  expect_message (f, "plain");

  /* Without stream management a held ack is a no-op. */
  deliver_message (f, "hold");
  g_assert_cmpuint (f->tokens->len, ==, 1);
  talk_xmpp_session_release_ack (f->session, g_ptr_array_steal_index (f->tokens, 0));

  /* Neither <enable/> nor requests; an <r/> is not answered. */
  talk_test_peer_send (f->peer, R);
  talk_test_run_for (1500);
  g_assert_cmpuint (talk_test_peer_get_n_pending (f->peer), ==, 0);
  g_assert_false (talk_xmpp_session_get_sm_enabled (f->session));
}

static void
test_enable_failed (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;

  send_message (f, "before");
  talk_test_peer_send (f->peer, "<failed xmlns='" NS_SM "'>"
                                "<unexpected-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
                                "</failed>");
  expect_message (f, "before");
  talk_test_run_for (200);
  send_message (f, "after");
  expect_message (f, "after");

  talk_test_peer_send (f->peer, R);
  talk_test_run_for (1500);
  g_assert_cmpuint (talk_test_peer_get_n_pending (f->peer), ==, 0);
  g_assert_false (talk_xmpp_session_get_sm_enabled (f->session));

  /* Nothing was counted, so nothing is reported. */
  talk_xmpp_session_disconnect_async (f->session, NULL, talk_test_store_result_cb, &result);
  WAIT_UNTIL (result != NULL);
  g_assert_cmpuint (f->unacknowledged->len, ==, 0);
}

/* Counting received stanzas (XEP-0198 §4) */

static void
test_count_incoming (Fixture       *f,
                     gconstpointer  data)
{
  deliver_message (f, "one");
  talk_test_peer_deliver (f->peer, "<presence from='" BOB_FULL "'/>");
  /* Nonzas are not counted. */
  talk_test_peer_send (f->peer, "<a xmlns='" NS_SM "' h='0'/>");
  deliver_message (f, "two");

  talk_test_peer_send (f->peer, R);
  expect_a (f, "3");

  deliver_message (f, "three");
  talk_test_peer_send (f->peer, R);
  expect_a (f, "4");
  g_assert_cmpuint (talk_test_peer_get_n_pending (f->peer), ==, 0);
}

/* DESIGN.md: acks only after the stanza is stored. The count stops before
 * the first held stanza, even when later ones were handled at once. */
static void
test_held_ack (Fixture       *f,
               gconstpointer  data)
{
  deliver_message (f, "one");
  deliver_message (f, "hold");
  g_assert_cmpuint (f->tokens->len, ==, 1);

  talk_test_peer_send (f->peer, R);
  expect_a (f, "1");

  /* Released: the server asked, so it is told at once. */
  talk_xmpp_session_release_ack (f->session, g_ptr_array_steal_index (f->tokens, 0));
  expect_a (f, "2");

  /* Held twice (two handlers), then one handled at once behind it. */
  deliver_message (f, "hold2");
  deliver_message (f, "four");
  g_assert_cmpuint (f->tokens->len, ==, 2);

  /* Nobody asked: no unsolicited <a/>. */
  talk_xmpp_session_release_ack (f->session, g_ptr_array_steal_index (f->tokens, 0));
  talk_test_run_for (200);
  g_assert_cmpuint (talk_test_peer_get_n_pending (f->peer), ==, 0);

  talk_test_peer_send (f->peer, R);
  expect_a (f, "2");

  talk_xmpp_session_release_ack (f->session, g_ptr_array_steal_index (f->tokens, 0));
  expect_a (f, "4");

  /* Caught up: nothing more until asked. */
  talk_test_run_for (200);
  g_assert_cmpuint (talk_test_peer_get_n_pending (f->peer), ==, 0);
  talk_test_peer_send (f->peer, R);
  expect_a (f, "4");
}

/* Acks released in a run (a batch of messages stored at once) are told
 * in one <a/>, not one each. */
static void
test_held_ack_run (Fixture       *f,
                   gconstpointer  data)
{
  deliver_message (f, "one");
  for (guint i = 0; i < 50; i++)
    deliver_message (f, "hold");
  g_assert_cmpuint (f->tokens->len, ==, 50);

  talk_test_peer_send (f->peer, R);
  expect_a (f, "1");

  while (f->tokens->len > 0)
    talk_xmpp_session_release_ack (f->session, g_ptr_array_steal_index (f->tokens, 0));
  expect_a (f, "51");
  talk_test_run_for (200);
  g_assert_cmpuint (talk_test_peer_get_n_pending (f->peer), ==, 0);
}

/* A release that comes while a later stanza is being handled moves the
 * count up to that stanza, not past it. */
static gboolean
release_in_handler (TalkXmppSession *session,
                    TalkXmppStanza  *stanza,
                    gpointer         user_data)
{
  Fixture *f = user_data;

  if (f->tokens->len > 0)
    talk_xmpp_session_release_ack (session, g_ptr_array_steal_index (f->tokens, 0));
  return FALSE;
}

static void
test_release_in_handler (Fixture       *f,
                         gconstpointer  data)
{
  talk_xmpp_session_add_handler (f->session, "presence", NULL, release_in_handler, f, NULL);

  deliver_message (f, "hold");
  talk_test_peer_send (f->peer, R);
  expect_a (f, "0");

  /* Released by the presence's handler: told once the dispatch is over,
   * so with the presence handled too, in one <a/>. */
  talk_test_peer_deliver (f->peer, "<presence from='" BOB_FULL "'/>");
  expect_a (f, "2");
  talk_test_run_for (200);
  g_assert_cmpuint (talk_test_peer_get_n_pending (f->peer), ==, 0);
}

/* The server's acks */

static void
test_outgoing_acks (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(TalkXmppStanza) r = NULL;
  gint64 sent_at;

  send_message (f, "one");
  send_message (f, "two");
  send_message (f, "three");
  sent_at = g_get_monotonic_time ();
  expect_message (f, "one");
  expect_message (f, "two");
  expect_message (f, "three");

  /* Fewer than five: one request, a second after the last stanza. */
  r = expect_sm (f, "r");
  g_assert_cmpint (g_get_monotonic_time () - sent_at, >=, 900 * 1000);

  talk_test_peer_send (f->peer, "<a xmlns='" NS_SM "' h='2'/>");
  WAIT_UNTIL (f->acknowledged->len == 2);
  assert_bodies (f->acknowledged, "one", "two", NULL);

  /* One is still out: asked again. */
  g_clear_pointer (&r, talk_xmpp_stanza_unref);
  r = expect_sm (f, "r");
  talk_test_peer_send (f->peer, "<a xmlns='" NS_SM "' h='3'/>");
  WAIT_UNTIL (f->acknowledged->len == 3);
  assert_bodies (f->acknowledged, "one", "two", "three", NULL);

  /* All acknowledged: no more requests. */
  talk_test_run_for (1500);
  g_assert_cmpuint (talk_test_peer_get_n_pending (f->peer), ==, 0);
  g_assert_cmpuint (f->unacknowledged->len, ==, 0);
}

static void
test_request_batch (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(TalkXmppStanza) r = NULL;
  static const char * const bodies[] = { "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11" };

  /* The fifth stanza asks at once. */
  for (guint i = 0; i < 5; i++)
    send_message (f, bodies[i]);
  for (guint i = 0; i < 5; i++)
    expect_message (f, bodies[i]);
  WAIT_UNTIL (talk_test_peer_get_n_pending (f->peer) > 0);
  r = expect_sm (f, "r");

  /* Never two requests out. */
  for (guint i = 5; i < 11; i++)
    send_message (f, bodies[i]);
  for (guint i = 5; i < 11; i++)
    expect_message (f, bodies[i]);
  talk_test_run_for (1500);
  g_assert_cmpuint (talk_test_peer_get_n_pending (f->peer), ==, 0);

  /* The answer covers the first five; the next six were five or more:
   * asked at once. */
  talk_test_peer_send (f->peer, "<a xmlns='" NS_SM "' h='5'/>");
  g_clear_pointer (&r, talk_xmpp_stanza_unref);
  r = expect_sm (f, "r");
  g_assert_cmpuint (f->acknowledged->len, ==, 5);

  talk_test_peer_send (f->peer, "<a xmlns='" NS_SM "' h='11'/>");
  WAIT_UNTIL (f->acknowledged->len == 11);
  talk_test_run_for (1500);
  g_assert_cmpuint (talk_test_peer_get_n_pending (f->peer), ==, 0);
}

/* XEP-0198 §4, SECURITY.md §3.2: acknowledging more than was sent ends the
 * stream with handled-count-too-high. */
static void
assert_count_too_high (Fixture    *f,
                       const char *h,
                       const char *send_count)
{
  g_autoptr(TalkXmppStanza) error = expect_skipping_r (f);
  TalkXmppStanza *too_high;

  g_assert_true (talk_xmpp_stanza_is (error, "error", TALK_XMPP_NS_STREAM));
  g_assert_nonnull (talk_xmpp_stanza_get_child (error, "undefined-condition", NS_STREAMS));
  too_high = talk_xmpp_stanza_get_child (error, "handled-count-too-high", NS_SM);
  g_assert_nonnull (too_high);
  g_assert_cmpstr (talk_xmpp_stanza_get_attribute (too_high, "h"), ==, h);
  g_assert_cmpstr (talk_xmpp_stanza_get_attribute (too_high, "send-count"), ==, send_count);

  WAIT_UNTIL (f->n_disconnected == 1);
  g_assert_error (f->disconnect_error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_PROTOCOL);
  WAIT_UNTIL (talk_test_peer_got_close_tag (f->peer));
  g_assert_cmpint (talk_xmpp_session_get_state (f->session), ==,
                   TALK_XMPP_SESSION_STATE_DISCONNECTED);
  g_assert_false (talk_xmpp_session_get_sm_enabled (f->session));
}

static void
test_count_too_high (Fixture       *f,
                     gconstpointer  data)
{
  send_message (f, "only");
  expect_message (f, "only");

  talk_test_peer_send (f->peer, "<a xmlns='" NS_SM "' h='2'/>");
  assert_count_too_high (f, "2", "1");

  /* Not resumable after that: what was not acknowledged is reported. */
  g_assert_cmpuint (f->acknowledged->len, ==, 0);
  g_assert_cmpuint (f->unacknowledged->len, ==, 1);
  assert_bodies (g_ptr_array_index (f->unacknowledged, 0), "only", NULL);
  g_assert_false (f->session->sm.suspended);
}

/* h wraps to 0 after 2^32 − 1 (XEP-0198 §4). */
static void
test_wrap (Fixture       *f,
           gconstpointer  data)
{
  _talk_xmpp_session_sm_set_counters (f->session, G_MAXUINT32 - 1, G_MAXUINT32 - 1);

  /* Received: 4294967295, 0, 1. */
  deliver_message (f, "in-1");
  talk_test_peer_send (f->peer, R);
  expect_a (f, "4294967295");
  deliver_message (f, "in-2");
  deliver_message (f, "in-3");
  talk_test_peer_send (f->peer, R);
  expect_a (f, "1");

  /* Sent: 4294967295, 0, 1. */
  send_message (f, "out-1");
  send_message (f, "out-2");
  send_message (f, "out-3");
  expect_message (f, "out-1");
  expect_message (f, "out-2");
  expect_message (f, "out-3");

  talk_test_peer_send (f->peer, "<a xmlns='" NS_SM "' h='0'/>");
  WAIT_UNTIL (f->acknowledged->len == 2);
  assert_bodies (f->acknowledged, "out-1", "out-2", NULL);
  talk_test_peer_send (f->peer, "<a xmlns='" NS_SM "' h='1'/>");
  WAIT_UNTIL (f->acknowledged->len == 3);

  /* An old h (before the wrap) would be more than was sent since. */
  talk_test_peer_send (f->peer, "<a xmlns='" NS_SM "' h='4294967295'/>");
  assert_count_too_high (f, "4294967295", "1");
  g_assert_cmpuint (f->unacknowledged->len, ==, 0);
}

/* Losing the stream */

static void
test_lost_unresumable (Fixture       *f,
                       gconstpointer  data)
{
  send_message (f, "one");
  send_message (f, "two");
  expect_message (f, "one");
  expect_message (f, "two");
  talk_test_peer_send (f->peer, "<a xmlns='" NS_SM "' h='1'/>");
  WAIT_UNTIL (f->acknowledged->len == 1);

  talk_test_peer_close (f->peer);
  WAIT_UNTIL (f->n_disconnected == 1);

  /* Never silently dropped (SECURITY.md §3.2). */
  g_assert_cmpuint (f->unacknowledged->len, ==, 1);
  assert_bodies (g_ptr_array_index (f->unacknowledged, 0), "two", NULL);
  g_assert_false (f->session->sm.suspended);
}

static void
test_lost_resumable (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;

  send_message (f, "one");
  expect_message (f, "one");
  deliver_message (f, "in-1");
  deliver_message (f, "hold");

  talk_test_peer_close (f->peer);
  WAIT_UNTIL (f->n_disconnected == 1);

  /* Kept for resumption: nothing reported yet. */
  g_assert_true (f->session->sm.suspended);
  g_assert_cmpuint (f->unacknowledged->len, ==, 0);
  g_assert_false (talk_xmpp_session_get_sm_enabled (f->session));

  /* A store that finishes after the loss still counts for <resume h/>. */
  talk_xmpp_session_release_ack (f->session, g_ptr_array_steal_index (f->tokens, 0));
  g_assert_true (g_queue_is_empty (&f->session->sm.held));
  g_assert_cmpuint (f->session->sm.in_count, ==, 2);

  /* Giving up on resuming reports what it would have sent again. */
  talk_xmpp_session_disconnect_async (f->session, NULL, talk_test_store_result_cb, &result);
  WAIT_UNTIL (result != NULL);
  g_assert_cmpuint (f->unacknowledged->len, ==, 1);
  assert_bodies (g_ptr_array_index (f->unacknowledged, 0), "one", NULL);
  g_assert_false (f->session->sm.suspended);
}

static void
test_clean_disconnect (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;

  send_message (f, "one");
  expect_message (f, "one");

  /* RFC 6120 §4.4: the server handles what it read before our closing
   * tag; nothing to report. */
  talk_xmpp_session_disconnect_async (f->session, NULL, talk_test_store_result_cb, &result);
  WAIT_UNTIL (talk_test_peer_got_close_tag (f->peer));
  talk_test_peer_send (f->peer, "</stream:stream>");
  WAIT_UNTIL (result != NULL);
  g_assert_cmpuint (f->unacknowledged->len, ==, 0);
  g_assert_false (f->session->sm.suspended);
}

/* The keepalive asks for an ack as well (SECURITY.md §3.1). */
static void
test_keepalive_request (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(TalkXmppStanza) ping = NULL;
  g_autoptr(TalkXmppStanza) r = NULL;

  g_object_set (f->session, "keepalive-seconds", 1, NULL);

  ping = talk_test_peer_expect (f->peer, "iq");
  g_assert_nonnull (talk_xmpp_stanza_get_child (ping, "ping", TALK_XMPP_NS_PING));
  r = expect_sm (f, "r");
  g_assert_cmpuint (talk_test_peer_get_n_whitespace (f->peer), ==, 0);
}

#define ADD(path, setup, func) \
  g_test_add ("/talk/xmpp/sm/" path, Fixture, &setup, fixture_setup, func, fixture_teardown)

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  ADD ("enable", setup_resumable, test_enable);
  ADD ("not-offered", setup_none, test_not_offered);
  ADD ("enable-failed", setup_offered, test_enable_failed);
  ADD ("count-incoming", setup_resumable, test_count_incoming);
  ADD ("held-ack", setup_resumable, test_held_ack);
  ADD ("held-ack-run", setup_resumable, test_held_ack_run);
  ADD ("release-in-handler", setup_resumable, test_release_in_handler);
  ADD ("outgoing-acks", setup_resumable, test_outgoing_acks);
  ADD ("request-batch", setup_resumable, test_request_batch);
  ADD ("count-too-high", setup_resumable, test_count_too_high);
  ADD ("wrap", setup_resumable, test_wrap);
  ADD ("lost-unresumable", setup_plain, test_lost_unresumable);
  ADD ("lost-resumable", setup_resumable, test_lost_resumable);
  ADD ("clean-disconnect", setup_resumable, test_clean_disconnect);
  ADD ("keepalive-request", setup_resumable, test_keepalive_request);

  return g_test_run ();
}
