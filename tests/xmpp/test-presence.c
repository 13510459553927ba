/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * TalkXmppPresence against a scripted server (TalkTestPeer), as in
 * test-session.c: the exact presence we send, and defensive reading of
 * what contacts send (SECURITY.md §1.6).
 */

#include "config.h"

#include <string.h>

#include "talk-xmpp.h"
#include "talk-xmpp-presence.h"
#include "talk-test-peer.h"

#define OWN_BARE "user@example.test"
#define OWN_FULL "user@example.test/talk"

typedef struct
{
  char                 *jid;
  TalkXmppPresenceShow  show;
  char                 *status;
  int                   priority;
} Change;

static void
change_free (gpointer data)
{
  Change *change = data;

  g_free (change->jid);
  g_free (change->status);
  g_free (change);
}

typedef struct
{
  TalkTestPeer     *peer;
  TalkXmppSession  *session;
  TalkXmppPresence *presence;
  GPtrArray        *changes;   /* Change */
  GPtrArray        *errors;    /* GError, with the JID as message prefix */
  GPtrArray        *events;    /* "kind jid [nick]" strings */
} Fixture;

static void
presence_changed_cb (TalkXmppPresence     *presence,
                     const char           *jid,
                     TalkXmppPresenceShow  show,
                     const char           *status,
                     int                   priority,
                     Fixture              *f)
{
  Change *change = g_new0 (Change, 1);

  change->jid = g_strdup (jid);
  change->show = show;
  change->status = g_strdup (status);
  change->priority = priority;
  g_ptr_array_add (f->changes, change);
}

static void
presence_error_cb (TalkXmppPresence *presence,
                   const char       *jid,
                   const GError     *error,
                   Fixture          *f)
{
  GError *copy = g_error_copy (error);

  g_prefix_error (&copy, "%s: ", jid);
  g_ptr_array_add (f->errors, copy);
}

static void
subscription_request_cb (TalkXmppPresence *presence,
                         const char       *jid,
                         const char       *nick,
                         Fixture          *f)
{
  g_ptr_array_add (f->events, g_strdup_printf ("request %s %s", jid, nick ? nick : "(none)"));
}

/* "subscribed", "unsubscribed" and "unsubscribe", recorded by name. */
static void
subscription_event_cb (TalkXmppPresence *presence,
                       const char       *jid,
                       Fixture          *f)
{
  GSignalInvocationHint *hint = g_signal_get_invocation_hint (presence);

  g_ptr_array_add (f->events, g_strdup_printf ("%s %s", g_signal_name (hint->signal_id), jid));
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(TalkXmppJid) jid = talk_xmpp_jid_new (OWN_BARE, NULL);

  f->session = talk_xmpp_session_new (jid);
  g_object_set (f->session, "keepalive-seconds", 0, "auto-reconnect", FALSE, NULL);

  f->presence = talk_xmpp_presence_new (f->session);
  f->changes = g_ptr_array_new_with_free_func (change_free);
  f->errors = g_ptr_array_new_with_free_func ((GDestroyNotify) g_error_free);
  f->events = g_ptr_array_new_with_free_func (g_free);
  g_signal_connect (f->presence, "presence-changed", G_CALLBACK (presence_changed_cb), f);
  g_signal_connect (f->presence, "presence-error", G_CALLBACK (presence_error_cb), f);
  g_signal_connect (f->presence, "subscription-request", G_CALLBACK (subscription_request_cb), f);
  g_signal_connect (f->presence, "subscribed", G_CALLBACK (subscription_event_cb), f);
  g_signal_connect (f->presence, "unsubscribed", G_CALLBACK (subscription_event_cb), f);
  g_signal_connect (f->presence, "unsubscribe", G_CALLBACK (subscription_event_cb), f);

  f->peer = talk_test_peer_new (f->session, OWN_FULL);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_object (&f->presence);
  g_clear_object (&f->session);
  g_clear_pointer (&f->peer, talk_test_peer_free);
  talk_test_run_for (20);
  g_ptr_array_unref (f->changes);
  g_ptr_array_unref (f->errors);
  g_ptr_array_unref (f->events);
}

/* Sends our presence and returns what arrived at the server. */
static char *
send_own (Fixture              *f,
          TalkXmppPresenceShow  show,
          const char           *status,
          int                   priority)
{
  g_autoptr(TalkXmppStanza) sent = NULL;

  g_assert_true (talk_xmpp_presence_send_own (f->presence, show, status, priority));
  sent = talk_test_peer_expect (f->peer, "presence");
  return talk_xmpp_stanza_to_string (sent, TALK_XMPP_NS_CLIENT);
}

static Change *
last_change (Fixture *f)
{
  g_assert_cmpuint (f->changes->len, >, 0);
  return g_ptr_array_index (f->changes, f->changes->len - 1);
}

/* Helpers */

static void
test_show_strings (void)
{
  const char * const names[] = { "offline", "available", "chat", "away", "xa", "dnd" };
  g_autofree char *enum_name = NULL;
  TalkXmppPresenceShow show;

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_assert_cmpstr (talk_xmpp_presence_show_to_string (i), ==, names[i]);
      g_assert_true (talk_xmpp_presence_show_from_string (names[i], &show));
      g_assert_cmpint (show, ==, i);
    }

  show = TALK_XMPP_PRESENCE_SHOW_DND;
  g_assert_false (talk_xmpp_presence_show_from_string ("busy", &show));
  g_assert_false (talk_xmpp_presence_show_from_string ("", &show));
  g_assert_false (talk_xmpp_presence_show_from_string (NULL, &show));
  g_assert_false (talk_xmpp_presence_show_from_string ("Away", &show));
  g_assert_cmpint (show, ==, TALK_XMPP_PRESENCE_SHOW_DND);

  enum_name = g_enum_to_string (TALK_XMPP_TYPE_PRESENCE_SHOW, TALK_XMPP_PRESENCE_SHOW_XA);
  g_assert_cmpstr (enum_name, ==, "TALK_XMPP_PRESENCE_SHOW_XA");
}

static void
test_parse_priority (void)
{
  const struct {
    const char *text;
    int         expected;
  } cases[] = {
    { "5", 5 },
    { "  7\n", 7 },
    { "-3", -3 },
    { "+4", 4 },
    { "127", 127 },
    { "-128", -128 },
    { "128", 127 },
    { "-129", -128 },
    { "1000", 127 },
    { "99999999999999999999999999", 127 },
    { "-99999999999999999999999999", -128 },
    { "", 0 },
    { "   ", 0 },
    { "abc", 0 },
    { "12abc", 0 },
    { "1 2", 0 },
    { "0x10", 0 },
    { "1.5", 0 },
    { "\xd9\xa3", 0 },  /* ARABIC-INDIC DIGIT THREE: not an XML Schema byte */
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpint (talk_xmpp_presence_parse_priority (cases[i].text), ==, cases[i].expected);
  g_assert_cmpint (talk_xmpp_presence_parse_priority (NULL), ==, 0);
}

/* Our presence */

static void
test_send_own (Fixture       *f,
               gconstpointer  data)
{
  const struct {
    TalkXmppPresenceShow  show;
    const char           *status;
    int                   priority;
    const char           *expected;
  } cases[] = {
    { TALK_XMPP_PRESENCE_SHOW_AVAILABLE, NULL, 0,
      "<presence><priority>0</priority></presence>" },
    { TALK_XMPP_PRESENCE_SHOW_AVAILABLE, "", 10,
      "<presence><priority>10</priority></presence>" },
    { TALK_XMPP_PRESENCE_SHOW_CHAT, "Talk to me", 5,
      "<presence><show>chat</show><status>Talk to me</status><priority>5</priority></presence>" },
    { TALK_XMPP_PRESENCE_SHOW_AWAY, "Lunch <& back soon>", 0,
      "<presence><show>away</show><status>Lunch &lt;&amp; back soon&gt;</status>"
      "<priority>0</priority></presence>" },
    { TALK_XMPP_PRESENCE_SHOW_XA, NULL, -1,
      "<presence><show>xa</show><priority>-1</priority></presence>" },
    { TALK_XMPP_PRESENCE_SHOW_DND, "Meeting", 300,
      "<presence><show>dnd</show><status>Meeting</status><priority>127</priority></presence>" },
    { TALK_XMPP_PRESENCE_SHOW_AVAILABLE, NULL, -300,
      "<presence><priority>-128</priority></presence>" },
    { TALK_XMPP_PRESENCE_SHOW_OFFLINE, NULL, 5,
      "<presence type='unavailable'/>" },
    { TALK_XMPP_PRESENCE_SHOW_OFFLINE, "Gone fishing", 5,
      "<presence type='unavailable'><status>Gone fishing</status></presence>" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *xml = send_own (f, cases[i].show, cases[i].status, cases[i].priority);

      g_assert_cmpstr (xml, ==, cases[i].expected);
    }
}

/* XEP-0115 §4: caps in available presence, not in unavailable. */
static void
test_send_own_caps (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(TalkXmppDisco) disco = talk_xmpp_disco_new (f->session);
  g_autoptr(TalkXmppDisco) held = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *xml = NULL;
  g_autofree char *offline = NULL;

  talk_xmpp_presence_set_disco (f->presence, disco);
  g_object_get (f->presence, "disco", &held, NULL);
  g_assert_true (held == disco);

  expected = g_strdup_printf ("<presence><show>away</show><priority>1</priority>"
                              "<c xmlns='" TALK_XMPP_NS_CAPS "' hash='sha-1'"
                              " node='" TALK_XMPP_CAPS_NODE "' ver='%s'/></presence>",
                              talk_xmpp_disco_get_caps_ver (disco));
  xml = send_own (f, TALK_XMPP_PRESENCE_SHOW_AWAY, NULL, 1);
  g_assert_cmpstr (xml, ==, expected);

  offline = send_own (f, TALK_XMPP_PRESENCE_SHOW_OFFLINE, NULL, 1);
  g_assert_cmpstr (offline, ==, "<presence type='unavailable'/>");
}

static void
test_send_own_offline_session (void)
{
  g_autoptr(TalkXmppJid) jid = talk_xmpp_jid_new (OWN_BARE, NULL);
  g_autoptr(TalkXmppSession) session = talk_xmpp_session_new (jid);
  g_autoptr(TalkXmppPresence) presence = talk_xmpp_presence_new (session);
  g_autoptr(GError) error = NULL;

  g_assert_false (talk_xmpp_presence_send_own (presence, TALK_XMPP_PRESENCE_SHOW_AVAILABLE,
                                               NULL, 0));
  g_assert_false (talk_xmpp_presence_subscribe (presence, "bob@example.test", &error));
  g_assert_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_NOT_CONNECTED);
}

/* Incoming presence */

/* Delivers <presence from=@from>@payload</presence>; returns the change it
 * made. */
static Change *
deliver_presence (Fixture    *f,
                  const char *from,
                  const char *payload)
{
  g_autofree char *xml = g_strdup_printf ("<presence from='%s'>%s</presence>", from, payload);

  talk_test_peer_deliver (f->peer, xml);
  return last_change (f);
}

static void
test_incoming (Fixture       *f,
               gconstpointer  data)
{
  static const struct {
    const char           *payload;
    TalkXmppPresenceShow  show;
  } shows[] = {
    { "<show> chat </show>", TALK_XMPP_PRESENCE_SHOW_CHAT },
    { "<show>away</show>", TALK_XMPP_PRESENCE_SHOW_AWAY },
    { "<show>xa</show>", TALK_XMPP_PRESENCE_SHOW_XA },
    /* Values that are not <show/> values */
    { "<show>sleeping</show>", TALK_XMPP_PRESENCE_SHOW_AVAILABLE },
    { "<show>offline</show>", TALK_XMPP_PRESENCE_SHOW_AVAILABLE },
  };
  Change *change;

  talk_test_peer_deliver (f->peer,
                          "<presence from='Bob@Example.TEST/Phone' to='" OWN_FULL "'>"
                          "<show>dnd</show><status>In a meeting</status><priority>10</priority>"
                          "</presence>");
  change = last_change (f);
  /* Normalised, the resource kept as it was */
  g_assert_cmpstr (change->jid, ==, "bob@example.test/Phone");
  g_assert_cmpint (change->show, ==, TALK_XMPP_PRESENCE_SHOW_DND);
  g_assert_cmpstr (change->status, ==, "In a meeting");
  g_assert_cmpint (change->priority, ==, 10);

  /* No <show/>: plain available (RFC 6121 §4.7.2.1) */
  talk_test_peer_deliver (f->peer, "<presence from='bob@example.test/laptop'/>");
  change = last_change (f);
  g_assert_cmpstr (change->jid, ==, "bob@example.test/laptop");
  g_assert_cmpint (change->show, ==, TALK_XMPP_PRESENCE_SHOW_AVAILABLE);
  g_assert_null (change->status);
  g_assert_cmpint (change->priority, ==, 0);

  for (guint i = 0; i < G_N_ELEMENTS (shows); i++)
    {
      change = deliver_presence (f, "bob@example.test/laptop", shows[i].payload);
      g_assert_cmpint (change->show, ==, shows[i].show);
    }
  change = deliver_presence (f, "bob@example.test/laptop", "<show/><status></status>");
  g_assert_cmpint (change->show, ==, TALK_XMPP_PRESENCE_SHOW_AVAILABLE);
  g_assert_null (change->status);

  /* From the bare JID */
  change = deliver_presence (f, "carol@example.test", "<show>away</show>");
  g_assert_cmpstr (change->jid, ==, "carol@example.test");

  /* Unavailable: OFFLINE with the status, priority ignored */
  talk_test_peer_deliver (f->peer,
                          "<presence type='unavailable' from='Bob@example.test/Phone'>"
                          "<status>Logged out</status><priority>50</priority></presence>");
  change = last_change (f);
  g_assert_cmpstr (change->jid, ==, "bob@example.test/Phone");
  g_assert_cmpint (change->show, ==, TALK_XMPP_PRESENCE_SHOW_OFFLINE);
  g_assert_cmpstr (change->status, ==, "Logged out");
  g_assert_cmpint (change->priority, ==, 0);

  g_assert_cmpuint (f->changes->len, ==, 10);
  g_assert_cmpuint (f->errors->len, ==, 0);
  g_assert_cmpuint (f->events->len, ==, 0);
}

static void
test_incoming_dropped (Fixture       *f,
                       gconstpointer  data)
{
  /* No sender, a sender that is not a JID, a probe, an unknown type */
  talk_test_peer_deliver (f->peer, "<presence><show>away</show></presence>");
  talk_test_peer_deliver (f->peer, "<presence from='a@b@c/x'/>");
  talk_test_peer_deliver (f->peer, "<presence from='@example.test'/>");
  talk_test_peer_deliver (f->peer, "<presence type='probe' from='bob@example.test'/>");
  talk_test_peer_deliver (f->peer, "<presence type='invisible' from='bob@example.test/x'/>");
  /* XEP-0045 occupant presence is not a contact's */
  talk_test_peer_deliver (f->peer,
                          "<presence from='room@muc.example.test/bob'>"
                          "<x xmlns='http://jabber.org/protocol/muc#user'>"
                          "<item affiliation='member' role='participant'/></x></presence>");

  g_assert_cmpuint (f->changes->len, ==, 0);
  g_assert_cmpuint (f->errors->len, ==, 0);
  g_assert_cmpuint (f->events->len, ==, 0);

  /* The session goes on */
  talk_test_peer_deliver (f->peer, "<presence from='bob@example.test/x'/>");
  g_assert_cmpuint (f->changes->len, ==, 1);
}

static void
test_incoming_priority (Fixture       *f,
                        gconstpointer  data)
{
  static const struct {
    const char *payload;
    int         priority;
  } cases[] = {
    { "<priority>300</priority>", 127 },
    { "<priority>-300</priority>", -128 },
    { "<priority>high</priority>", 0 },
    { "<priority> -5 </priority>", -5 },
    { "<priority></priority>", 0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    g_assert_cmpint (deliver_presence (f, "bob@example.test/a", cases[i].payload)->priority, ==,
                     cases[i].priority);
}

static void
test_incoming_status (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GString) text = g_string_new ("<status>");
  Change *change;

  /* 2,000 two-byte characters: cut to 1,024 characters, still UTF-8 */
  for (guint i = 0; i < 2000; i++)
    g_string_append (text, "\xc3\xa9");
  g_string_append (text, "</status>");

  change = deliver_presence (f, "bob@example.test/a", text->str);
  g_assert_true (g_utf8_validate (change->status, -1, NULL));
  g_assert_cmpint (g_utf8_strlen (change->status, -1), ==, TALK_XMPP_PRESENCE_MAX_STATUS_CHARS);
  g_assert_cmpuint (strlen (change->status), ==, 2 * TALK_XMPP_PRESENCE_MAX_STATUS_CHARS);

  /* Markup stays text */
  change = deliver_presence (f, "bob@example.test/a", "<status>&lt;b&gt;hi&lt;/b&gt;</status>");
  g_assert_cmpstr (change->status, ==, "<b>hi</b>");

  /* Exactly at the limit: kept whole */
  g_string_assign (text, "<status>");
  for (guint i = 0; i < TALK_XMPP_PRESENCE_MAX_STATUS_CHARS; i++)
    g_string_append_c (text, 'x');
  g_string_append (text, "</status>");
  change = deliver_presence (f, "bob@example.test/a", text->str);
  g_assert_cmpuint (strlen (change->status), ==, TALK_XMPP_PRESENCE_MAX_STATUS_CHARS);
}

static void
test_incoming_error (Fixture       *f,
                     gconstpointer  data)
{
  GError *error;

  talk_test_peer_deliver (f->peer,
                          "<presence type='error' from='bob@far.example'>"
                          "<error type='cancel'><remote-server-not-found"
                          " xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></presence>");
  g_assert_cmpuint (f->errors->len, ==, 1);
  error = g_ptr_array_index (f->errors, 0);
  g_assert_error (error, TALK_XMPP_STANZA_ERROR, TALK_XMPP_STANZA_ERROR_REMOTE_SERVER_NOT_FOUND);
  g_assert_true (g_str_has_prefix (error->message, "bob@far.example: "));

  /* An error without an <error/> inside still says so */
  talk_test_peer_deliver (f->peer, "<presence type='error' from='carol@far.example'/>");
  g_assert_cmpuint (f->errors->len, ==, 2);
  error = g_ptr_array_index (f->errors, 1);
  g_assert_error (error, TALK_XMPP_STANZA_ERROR, TALK_XMPP_STANZA_ERROR_UNDEFINED_CONDITION);

  g_assert_cmpuint (f->changes->len, ==, 0);
}

/* Subscriptions */

static void
test_subscription_request (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(GString) long_nick = g_string_new (NULL);

  /* XEP-0172 §4.1: the nick comes along as a hint */
  talk_test_peer_deliver (f->peer,
                          "<presence type='subscribe' from='Romeo@Montague.example/orchard'>"
                          "<nick xmlns='http://jabber.org/protocol/nick'>Romeo</nick></presence>");
  talk_test_peer_deliver (f->peer, "<presence type='subscribe' from='nurse@capulet.example'/>");
  talk_test_peer_deliver (f->peer,
                          "<presence type='subscribe' from='tybalt@capulet.example'>"
                          "<nick xmlns='http://jabber.org/protocol/nick'></nick>"
                          "<nick>not in the nick namespace</nick></presence>");
  /* A "nickname" of 300 characters is cut */
  g_string_append (long_nick, "<presence type='subscribe' from='paris@verona.example'>"
                              "<nick xmlns='http://jabber.org/protocol/nick'>");
  for (guint i = 0; i < 300; i++)
    g_string_append_c (long_nick, 'p');
  g_string_append (long_nick, "</nick></presence>");
  talk_test_peer_deliver (f->peer, long_nick->str);

  g_assert_cmpuint (f->events->len, ==, 4);
  g_assert_cmpuint (strlen (g_ptr_array_index (f->events, 3)), ==,
                    strlen ("request paris@verona.example ") + 256);
  /* Requests are from the bare JID (RFC 6121 §3.1.3) */
  g_assert_cmpstr (g_ptr_array_index (f->events, 0), ==, "request romeo@montague.example Romeo");
  g_assert_cmpstr (g_ptr_array_index (f->events, 1), ==, "request nurse@capulet.example (none)");
  g_assert_cmpstr (g_ptr_array_index (f->events, 2), ==, "request tybalt@capulet.example (none)");
  g_assert_cmpuint (f->changes->len, ==, 0);
}

static void
test_subscription_replies (Fixture       *f,
                           gconstpointer  data)
{
  talk_test_peer_deliver (f->peer, "<presence type='subscribed' from='juliet@capulet.example'/>");
  talk_test_peer_deliver (f->peer,
                          "<presence type='unsubscribed' from='Juliet@capulet.example/balcony'/>");
  talk_test_peer_deliver (f->peer, "<presence type='unsubscribe' from='juliet@capulet.example'/>");

  g_assert_cmpuint (f->events->len, ==, 3);
  g_assert_cmpstr (g_ptr_array_index (f->events, 0), ==, "subscribed juliet@capulet.example");
  g_assert_cmpstr (g_ptr_array_index (f->events, 1), ==, "unsubscribed juliet@capulet.example");
  g_assert_cmpstr (g_ptr_array_index (f->events, 2), ==, "unsubscribe juliet@capulet.example");
}

static void
test_subscription_send (Fixture       *f,
                        gconstpointer  data)
{
  const struct {
    gboolean  (*func) (TalkXmppPresence *, const char *, GError **);
    const char *expected;
  } cases[] = {
    { talk_xmpp_presence_subscribe, "<presence type='subscribe' to='juliet@capulet.example'/>" },
    { talk_xmpp_presence_unsubscribe,
      "<presence type='unsubscribe' to='juliet@capulet.example'/>" },
    { talk_xmpp_presence_approve, "<presence type='subscribed' to='juliet@capulet.example'/>" },
    { talk_xmpp_presence_deny, "<presence type='unsubscribed' to='juliet@capulet.example'/>" },
  };
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(TalkXmppStanza) sent = NULL;
      g_autofree char *xml = NULL;

      /* To the bare JID, normalised, whatever was given */
      g_assert_true (cases[i].func (f->presence, "Juliet@Capulet.example/balcony", &error));
      g_assert_no_error (error);
      sent = talk_test_peer_expect (f->peer, "presence");
      xml = talk_xmpp_stanza_to_string (sent, TALK_XMPP_NS_CLIENT);
      g_assert_cmpstr (xml, ==, cases[i].expected);
    }

  g_assert_false (talk_xmpp_presence_approve (f->presence, "not a jid@@", &error));
  g_assert_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_INVALID_JID);
  talk_test_run_for (20);
  g_assert_cmpuint (talk_test_peer_get_n_pending (f->peer), ==, 0);
}

static void
test_dispose (Fixture       *f,
              gconstpointer  data)
{
  g_clear_object (&f->presence);
  talk_test_peer_deliver (f->peer, "<presence from='bob@example.test/x'/>");
  g_assert_cmpuint (f->changes->len, ==, 0);
}

#define ADD(path, func) \
  g_test_add ("/talk/xmpp/presence/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

int
main (int   argc,
      char *argv[])
{
  g_setenv ("GIO_USE_NETWORK_MONITOR", "base", TRUE);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/talk/xmpp/presence/show-strings", test_show_strings);
  g_test_add_func ("/talk/xmpp/presence/parse-priority", test_parse_priority);
  ADD ("send-own", test_send_own);
  ADD ("send-own-caps", test_send_own_caps);
  g_test_add_func ("/talk/xmpp/presence/send-own-offline-session", test_send_own_offline_session);
  ADD ("incoming", test_incoming);
  ADD ("incoming-dropped", test_incoming_dropped);
  ADD ("incoming-priority", test_incoming_priority);
  ADD ("incoming-status", test_incoming_status);
  ADD ("incoming-error", test_incoming_error);
  ADD ("subscription-request", test_subscription_request);
  ADD ("subscription-replies", test_subscription_replies);
  ADD ("subscription-send", test_subscription_send);
  ADD ("dispose", test_dispose);

  return g_test_run ();
}
