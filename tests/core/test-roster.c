/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * TalkRoster over a real TalkXmppSession, TalkXmppRoster and
 * TalkXmppPresence, with a scripted server (TalkTestPeer) on the other end
 * of a socketpair, as in tests/xmpp/test-session.c. Every test records the
 * model's items-changed (position, removed, added) and asserts on it.
 *
 * Keeping the roster version across a reconnect needs the stream features
 * of a real sign-in: that one runs against the fixture's Prosody.
 */

#include "config.h"

#include <glib/gstdio.h>

#include "talk-roster.h"
#include "talk-roster-cache.h"
#include "talk-xmpp.h"
#include "talk-test-peer.h"
#include "talk-test-prosody.h"

#define OWN_BARE "user@example.test"
#define OWN_FULL "user@example.test/talk"

#define WAIT_UNTIL(cond) TALK_TEST_WAIT_UNTIL (cond, 30000)

typedef struct
{
  guint position;
  guint removed;
  guint added;
} Change;

typedef struct
{
  TalkTestPeer     *peer;
  TalkXmppSession  *session;
  TalkXmppRoster   *xmpp_roster;
  TalkXmppPresence *presence;
  TalkRoster       *roster;
  GArray           *changes;   /* Change */
  guint             n_received;
  guint             n_disconnected;
} Fixture;

static void
items_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  Fixture    *f)
{
  Change change = { position, removed, added };

  g_array_append_val (f->changes, change);
}

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
}

static void
assert_changes (Fixture     *f,
                const Change *expected,
                guint         n_expected)
{
  g_assert_cmpuint (f->changes->len, ==, n_expected);
  for (guint i = 0; i < n_expected; i++)
    {
      const Change *change = &g_array_index (f->changes, Change, i);

      g_assert_cmpuint (change->position, ==, expected[i].position);
      g_assert_cmpuint (change->removed, ==, expected[i].removed);
      g_assert_cmpuint (change->added, ==, expected[i].added);
    }
  g_array_set_size (f->changes, 0);
}

#define ASSERT_CHANGES(f, ...)                                            \
  G_STMT_START {                                                          \
    const Change expected_[] = { __VA_ARGS__ };                           \
    assert_changes (f, expected_, G_N_ELEMENTS (expected_));              \
  } G_STMT_END

#define ASSERT_NO_CHANGES(f) g_assert_cmpuint ((f)->changes->len, ==, 0)

/* A fresh server end, and the session online over it. */
static void
connect_peer (Fixture *f)
{
  g_assert_null (f->peer);
  f->peer = talk_test_peer_new (f->session, OWN_FULL);
}

/* The server drops the connection. */
static void
drop_peer (Fixture *f)
{
  g_clear_pointer (&f->peer, talk_test_peer_free);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(TalkXmppJid) jid = talk_xmpp_jid_new (OWN_BARE, NULL);

  f->changes = g_array_new (FALSE, FALSE, sizeof (Change));
  f->session = talk_xmpp_session_new (jid);
  g_object_set (f->session, "keepalive-seconds", 0, "auto-reconnect", FALSE, NULL);
  g_signal_connect (f->session, "stanza-received", G_CALLBACK (stanza_received_cb), f);
  g_signal_connect (f->session, "disconnected", G_CALLBACK (disconnected_cb), f);

  f->xmpp_roster = talk_xmpp_roster_new (f->session);
  f->presence = talk_xmpp_presence_new (f->session);
  f->roster = talk_roster_new (f->xmpp_roster, f->presence);
  g_signal_connect (f->roster, "items-changed", G_CALLBACK (items_changed_cb), f);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_object (&f->roster);
  g_clear_object (&f->presence);
  g_clear_object (&f->xmpp_roster);
  g_clear_object (&f->session);
  drop_peer (f);
  talk_test_run_for (20);
  g_array_unref (f->changes);
}

/* Answers the roster request the session sends with @items (the inside of
 * <query/>) and @ver (nullable), and waits until the model took it. */
static void
serve_roster (Fixture    *f,
              const char *items,
              const char *ver)
{
  g_autoptr(TalkXmppStanza) request = talk_test_peer_expect (f->peer, "iq");
  g_autofree char *reply = NULL;
  TalkXmppStanza *query;
  guint before = f->n_received;

  g_assert_cmpstr (talk_xmpp_stanza_get_stanza_type (request), ==, "get");
  g_assert_null (talk_xmpp_stanza_get_to (request));
  query = talk_xmpp_stanza_get_child (request, "query", TALK_XMPP_NS_ROSTER);
  g_assert_nonnull (query);

  reply = g_strdup_printf ("<iq type='result' id='%s' to='" OWN_FULL "'>"
                           "<query xmlns='jabber:iq:roster'%s%s%s>%s</query></iq>",
                           talk_xmpp_stanza_get_id (request),
                           ver ? " ver='" : "", ver ? ver : "", ver ? "'" : "", items);
  talk_test_peer_send_large (f->peer, reply);
  WAIT_UNTIL (f->n_received > before);
  /* The fetch completes from the IQ tracker's callback. */
  talk_test_run_for (10);
}

/* Delivers a roster push of @item with @ver (nullable) under the IQ id @id. */
static void
deliver_push (Fixture    *f,
              const char *id,
              const char *ver,
              const char *item)
{
  g_autofree char *xml = NULL;

  xml = g_strdup_printf ("<iq type='set' id='%s'><query xmlns='jabber:iq:roster'%s%s%s>%s"
                         "</query></iq>",
                         id, ver ? " ver='" : "", ver ? ver : "", ver ? "'" : "", item);
  talk_test_peer_deliver (f->peer, xml);
}

#define THREE_ITEMS \
  "<item jid='alice@example.test' name='Alice' subscription='both'/>" \
  "<item jid='bob@example.test' subscription='to'/>" \
  "<item jid='carol@example.test' name='Carol' subscription='from'><group>Work</group></item>"

static TalkContact *
contact_at (Fixture *f,
            guint    position)
{
  g_autoptr(TalkContact) contact = g_list_model_get_item (G_LIST_MODEL (f->roster), position);

  g_assert_nonnull (contact);
  /* the model holds its own reference */
  return contact;
}

/* Online with the three contacts loaded. */
static void
setup_loaded (Fixture *f)
{
  connect_peer (f);
  serve_roster (f, THREE_ITEMS, "v1");
  ASSERT_CHANGES (f, { 0, 0, 3 });
}

static void
count_notify_cb (GObject    *object,
                 GParamSpec *pspec,
                 guint      *count)
{
  (*count)++;
}

/* The fetch when the session comes online: one items-changed for all. */
static void
test_fetch (Fixture       *f,
            gconstpointer  data)
{
  guint n_items_notified = 0;
  guint position;
  TalkContact *carol;

  g_signal_connect (f->roster, "notify::n-items", G_CALLBACK (count_notify_cb), &n_items_notified);
  g_assert_false (talk_roster_get_loaded (f->roster));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->roster)), ==, 0);
  g_assert_true (g_list_model_get_item_type (G_LIST_MODEL (f->roster)) == TALK_TYPE_CONTACT);

  g_assert_false (talk_roster_get_fetching (f->roster));
  connect_peer (f);
  /* What the client's initial presence waits for. */
  g_assert_true (talk_roster_get_fetching (f->roster));
  serve_roster (f, THREE_ITEMS, "v1");
  g_assert_false (talk_roster_get_fetching (f->roster));

  ASSERT_CHANGES (f, { 0, 0, 3 });
  g_assert_cmpuint (n_items_notified, ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->roster)), ==, 3);
  g_assert_true (talk_roster_get_loaded (f->roster));
  g_assert_cmpstr (talk_roster_get_version (f->roster), ==, "v1");

  /* In the server's order */
  g_assert_cmpstr (talk_contact_get_jid (contact_at (f, 0)), ==, "alice@example.test");
  g_assert_cmpstr (talk_contact_get_jid (contact_at (f, 1)), ==, "bob@example.test");
  g_assert_cmpstr (talk_contact_get_jid (contact_at (f, 2)), ==, "carol@example.test");
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (f->roster), 3));

  carol = talk_roster_lookup (f->roster, "carol@example.test");
  g_assert_true (carol == contact_at (f, 2));
  g_assert_cmpstr (talk_contact_get_display_name (carol), ==, "Carol");
  g_assert_cmpint (talk_contact_get_subscription (carol), ==, TALK_XMPP_SUBSCRIPTION_FROM);
  g_assert_true (talk_roster_lookup_position (f->roster, "carol@example.test", &position));
  g_assert_cmpuint (position, ==, 2);
  g_assert_null (talk_roster_lookup (f->roster, "dave@example.test"));
  g_assert_false (talk_roster_lookup_position (f->roster, "dave@example.test", NULL));

  g_signal_handlers_disconnect_by_func (f->roster, count_notify_cb, &n_items_notified);
}

/* Made while the session is online: it fetches at once. */
static void
test_fetch_when_online (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(TalkRoster) second = NULL;

  setup_loaded (f);

  second = talk_roster_new (f->xmpp_roster, f->presence);
  serve_roster (f, THREE_ITEMS, "v1");
  g_assert_true (talk_roster_get_loaded (second));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (second)), ==, 3);
}

static void
test_push (Fixture       *f,
           gconstpointer  data)
{
  TalkContact *bob;
  guint position;

  setup_loaded (f);
  bob = contact_at (f, 1);

  /* Added: appended */
  deliver_push (f, "p1", "v2",
                "<item jid='dave@example.test' subscription='none' ask='subscribe'/>");
  ASSERT_CHANGES (f, { 3, 0, 1 });
  g_assert_cmpstr (talk_contact_get_jid (contact_at (f, 3)), ==, "dave@example.test");
  g_assert_true (talk_contact_get_ask (contact_at (f, 3)));
  g_assert_cmpstr (talk_roster_get_version (f->roster), ==, "v2");

  /* Changed: that row, as removed and added again */
  deliver_push (f, "p2", "v3", "<item jid='bob@example.test' name='Bobby' subscription='both'/>");
  ASSERT_CHANGES (f, { 1, 1, 1 });
  g_assert_true (contact_at (f, 1) == bob);
  g_assert_cmpstr (talk_contact_get_display_name (bob), ==, "Bobby");

  /* The same item again: nothing to tell */
  deliver_push (f, "p3", "v4", "<item jid='bob@example.test' name='Bobby' subscription='both'/>");
  ASSERT_NO_CHANGES (f);
  g_assert_cmpstr (talk_roster_get_version (f->roster), ==, "v4");

  /* Removed: the rows after it move up */
  deliver_push (f, "p4", "v5", "<item jid='alice@example.test' subscription='remove'/>");
  ASSERT_CHANGES (f, { 0, 1, 0 });
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->roster)), ==, 3);
  g_assert_null (talk_roster_lookup (f->roster, "alice@example.test"));
  g_assert_true (talk_roster_lookup_position (f->roster, "bob@example.test", &position));
  g_assert_cmpuint (position, ==, 0);
  g_assert_true (talk_roster_lookup_position (f->roster, "dave@example.test", &position));
  g_assert_cmpuint (position, ==, 2);
  g_assert_true (contact_at (f, 0) == bob);

  /* Removing what is not there */
  deliver_push (f, "p5", NULL, "<item jid='zoe@example.test' subscription='remove'/>");
  ASSERT_NO_CHANGES (f);
}

/* SECURITY.md §1.1: a forged push never reaches the model. */
static void
test_push_forged (Fixture       *f,
                  gconstpointer  data)
{
  setup_loaded (f);

  g_test_expect_message ("talk-xmpp", G_LOG_LEVEL_WARNING,
                         "Dropping a roster push from mallory@evil.example*");
  talk_test_peer_deliver (f->peer,
                          "<iq type='set' id='evil' from='mallory@evil.example'>"
                          "<query xmlns='jabber:iq:roster' ver='evil'>"
                          "<item jid='alice@example.test' name='Mallory' subscription='both'/>"
                          "</query></iq>");
  g_test_assert_expected_messages ();

  ASSERT_NO_CHANGES (f);
  g_assert_cmpstr (talk_contact_get_display_name (contact_at (f, 0)), ==, "Alice");
  g_assert_cmpstr (talk_roster_get_version (f->roster), ==, "v1");
}

static void
test_presence (Fixture       *f,
               gconstpointer  data)
{
  TalkContact *bob;
  TalkContact *stranger;
  TalkContact *own;

  setup_loaded (f);
  bob = contact_at (f, 1);

  /* That row only */
  talk_test_peer_deliver (f->peer, "<presence from='bob@example.test/phone'><show>away</show>"
                                   "<status>Out</status></presence>");
  ASSERT_CHANGES (f, { 1, 1, 1 });
  g_assert_cmpint (talk_contact_get_show (bob), ==, TALK_XMPP_PRESENCE_SHOW_AWAY);
  g_assert_cmpstr (talk_contact_get_status (bob), ==, "Out");

  /* The same again changes nothing */
  talk_test_peer_deliver (f->peer, "<presence from='bob@example.test/phone'><show>away</show>"
                                   "<status>Out</status></presence>");
  ASSERT_NO_CHANGES (f);

  talk_test_peer_deliver (f->peer,
                          "<presence from='bob@example.test/laptop'>"
                          "<priority>5</priority></presence>");
  ASSERT_CHANGES (f, { 1, 1, 1 });
  g_assert_cmpint (talk_contact_get_show (bob), ==, TALK_XMPP_PRESENCE_SHOW_AVAILABLE);
  g_assert_cmpuint (talk_contact_get_n_resources (bob), ==, 2);

  /* From outside the roster: kept apart, not listed */
  talk_test_peer_deliver (f->peer,
                          "<presence from='erin@example.test/pc'><show>chat</show></presence>");
  ASSERT_NO_CHANGES (f);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->roster)), ==, 3);
  g_assert_null (talk_roster_lookup (f->roster, "erin@example.test"));
  stranger = talk_roster_lookup_unlisted (f->roster, "erin@example.test");
  g_assert_nonnull (stranger);
  g_assert_cmpint (talk_contact_get_show (stranger), ==, TALK_XMPP_PRESENCE_SHOW_CHAT);

  /* The account's own other resource, likewise */
  talk_test_peer_deliver (f->peer, "<presence from='" OWN_BARE "/phone'/>");
  ASSERT_NO_CHANGES (f);
  own = talk_roster_lookup_unlisted (f->roster, OWN_BARE);
  g_assert_nonnull (own);
  talk_test_peer_deliver (f->peer, "<presence type='unavailable' from='" OWN_BARE "/phone'/>");
  g_assert_null (talk_roster_lookup_unlisted (f->roster, OWN_BARE));
  ASSERT_NO_CHANGES (f);

  /* Added to the roster while online: listed with its presence */
  deliver_push (f, "p1", NULL, "<item jid='erin@example.test' subscription='both'/>");
  ASSERT_CHANGES (f, { 3, 0, 1 });
  g_assert_true (contact_at (f, 3) == stranger);
  g_assert_cmpint (talk_contact_get_show (stranger), ==, TALK_XMPP_PRESENCE_SHOW_CHAT);
  g_assert_null (talk_roster_lookup_unlisted (f->roster, "erin@example.test"));

  /* …and removed while online: apart again, still online */
  deliver_push (f, "p2", NULL, "<item jid='erin@example.test' subscription='remove'/>");
  ASSERT_CHANGES (f, { 3, 1, 0 });
  g_assert_true (talk_roster_lookup_unlisted (f->roster, "erin@example.test") == stranger);

  /* Unavailable from a resource: that row */
  talk_test_peer_deliver (f->peer, "<presence type='unavailable' from='bob@example.test/laptop'/>");
  ASSERT_CHANGES (f, { 1, 1, 1 });
  g_assert_cmpint (talk_contact_get_show (bob), ==, TALK_XMPP_PRESENCE_SHOW_AWAY);

  /* An error for the contact: shown offline */
  talk_test_peer_deliver (f->peer,
                          "<presence type='error' from='bob@example.test'><error type='cancel'>"
                          "<remote-server-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
                          "</error></presence>");
  ASSERT_CHANGES (f, { 1, 1, 1 });
  g_assert_cmpint (talk_contact_get_show (bob), ==, TALK_XMPP_PRESENCE_SHOW_OFFLINE);
}

/* Offline: every resource offline, one signal over the rows concerned;
 * back online: fetched again, the contacts kept where they stay. */
static void
test_offline_and_refetch (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(TalkContact) alice = NULL;
  TalkContact *bob;
  TalkContact *carol;

  setup_loaded (f);
  /* It leaves the roster below: held here to look at it after */
  alice = g_object_ref (contact_at (f, 0));
  bob = contact_at (f, 1);
  carol = contact_at (f, 2);

  talk_test_peer_deliver (f->peer, "<presence from='bob@example.test/a'/>");
  talk_test_peer_deliver (f->peer, "<presence from='carol@example.test/a'/>");
  talk_test_peer_deliver (f->peer, "<presence from='erin@example.test/a'/>");
  ASSERT_CHANGES (f, { 1, 1, 1 }, { 2, 1, 1 });

  drop_peer (f);
  WAIT_UNTIL (f->n_disconnected == 1);
  ASSERT_CHANGES (f, { 1, 2, 2 });
  g_assert_cmpint (talk_contact_get_show (bob), ==, TALK_XMPP_PRESENCE_SHOW_OFFLINE);
  g_assert_cmpint (talk_contact_get_show (carol), ==, TALK_XMPP_PRESENCE_SHOW_OFFLINE);
  g_assert_null (talk_roster_lookup_unlisted (f->roster, "erin@example.test"));
  /* The list itself stays while offline */
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->roster)), ==, 3);

  connect_peer (f);
  serve_roster (f,
                "<item jid='carol@example.test' name='Carol' subscription='both'/>"
                "<item jid='frank@example.test' subscription='none'/>",
                "v9");
  ASSERT_CHANGES (f, { 0, 3, 2 });
  g_assert_true (contact_at (f, 0) == carol);
  g_assert_cmpint (talk_contact_get_subscription (carol), ==, TALK_XMPP_SUBSCRIPTION_BOTH);
  g_assert_cmpstr (talk_contact_get_jid (contact_at (f, 1)), ==, "frank@example.test");
  g_assert_null (talk_roster_lookup (f->roster, "alice@example.test"));
  g_assert_cmpint (talk_contact_get_subscription (alice), ==, TALK_XMPP_SUBSCRIPTION_NONE);
  g_assert_cmpstr (talk_roster_get_version (f->roster), ==, "v9");
}

/* Nothing online when the session drops: nothing to tell. */
static void
test_offline_quiet (Fixture       *f,
                    gconstpointer  data)
{
  setup_loaded (f);
  drop_peer (f);
  WAIT_UNTIL (f->n_disconnected == 1);
  ASSERT_NO_CHANGES (f);
}

/* Going away while the fetch is in flight. */
static void
test_dispose_fetching (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(TalkXmppStanza) request = NULL;
  g_autofree char *reply = NULL;

  connect_peer (f);
  request = talk_test_peer_expect (f->peer, "iq");
  g_clear_object (&f->roster);

  reply = g_strdup_printf ("<iq type='result' id='%s'><query xmlns='jabber:iq:roster'>"
                           THREE_ITEMS "</query></iq>", talk_xmpp_stanza_get_id (request));
  talk_test_peer_send (f->peer, reply);
  talk_test_run_for (50);
  ASSERT_NO_CHANGES (f);
}

#define N_LARGE 5000

/* 5,000 contacts and a burst of 5,000 presences: one signal for the
 * fetch, one per presence for its row, one for going offline. */
static void
test_large (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(GString) items = g_string_new (NULL);
  g_autoptr(GTimer) timer = g_timer_new ();

  for (guint i = 0; i < N_LARGE; i++)
    g_string_append_printf (items, "<item jid='c%u@example.test' subscription='both'/>", i);

  connect_peer (f);
  serve_roster (f, items->str, NULL);
  ASSERT_CHANGES (f, { 0, 0, N_LARGE });
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->roster)), ==, N_LARGE);
  g_assert_null (talk_roster_get_version (f->roster));

  /* In chunks, in reverse order of the rows, waiting for each chunk */
  for (guint chunk = 0; chunk < N_LARGE; chunk += 250)
    {
      g_autoptr(GString) burst = g_string_new (NULL);
      guint before = f->n_received;

      for (guint i = chunk; i < chunk + 250; i++)
        g_string_append_printf (burst, "<presence from='c%u@example.test/r'><show>%s</show>"
                                "</presence>", N_LARGE - 1 - i, i % 2 ? "away" : "dnd");
      talk_test_peer_send_large (f->peer, burst->str);
      WAIT_UNTIL (f->n_received >= before + 250);
    }

  g_assert_cmpuint (f->changes->len, ==, N_LARGE);
  for (guint i = 0; i < N_LARGE; i++)
    {
      const Change *change = &g_array_index (f->changes, Change, i);

      g_assert_cmpuint (change->position, ==, N_LARGE - 1 - i);
      g_assert_cmpuint (change->removed, ==, 1);
      g_assert_cmpuint (change->added, ==, 1);
    }
  g_array_set_size (f->changes, 0);
  g_assert_cmpint (talk_contact_get_show (contact_at (f, N_LARGE - 1)), ==,
                   TALK_XMPP_PRESENCE_SHOW_DND);
  g_assert_cmpint (talk_contact_get_show (contact_at (f, 0)), ==, TALK_XMPP_PRESENCE_SHOW_AWAY);

  /* A push in the middle of it all touches one row */
  deliver_push (f, "p1", NULL,
                "<item jid='c2500@example.test' name='Middle' subscription='both'/>");
  ASSERT_CHANGES (f, { 2500, 1, 1 });
  deliver_push (f, "p2", NULL, "<item jid='c10@example.test' subscription='remove'/>");
  ASSERT_CHANGES (f, { 10, 1, 0 });
  g_assert_cmpstr (talk_contact_get_display_name (contact_at (f, 2499)), ==, "Middle");

  drop_peer (f);
  WAIT_UNTIL (f->n_disconnected == 1);
  ASSERT_CHANGES (f, { 0, N_LARGE - 1, N_LARGE - 1 });

  g_test_message ("5,000 contacts, 5,000 presences, offline: %.2f s",
                  g_timer_elapsed (timer, NULL));
}

/* Against a real server: the version held is passed on after a
 * reconnect, so an unchanged roster costs no reset of the list. */

static gboolean
result_set (gpointer data)
{
  return *(GAsyncResult **) data != NULL;
}

static TalkXmppSession *
prosody_session (TalkTestProsody *prosody)
{
  g_autoptr(TalkXmppJid) jid = talk_xmpp_jid_new ("alice@" TALK_TEST_DOMAIN, NULL);
  TalkXmppSession *session = talk_xmpp_session_new (jid);

  g_object_set (session, "auto-reconnect", FALSE, NULL);
  talk_xmpp_session_set_password (session, "alice-secret");
  talk_xmpp_session_set_host (session, "127.0.0.1", talk_test_prosody_get_port (prosody), FALSE);
  talk_xmpp_session_set_pinned_certificate (session, talk_test_prosody_get_fingerprint (prosody));
  return session;
}

static void
prosody_connect (TalkXmppSession *session)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  talk_xmpp_session_connect_async (session, NULL, talk_test_store_result_cb, &result);
  g_assert_true (talk_test_wait_for (result_set, &result, 30000));
  g_assert_true (talk_xmpp_session_connect_finish (session, result, &error));
  g_assert_no_error (error);
}

static void
prosody_disconnect (TalkXmppSession *session)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  talk_xmpp_session_disconnect_async (session, NULL, talk_test_store_result_cb, &result);
  g_assert_true (talk_test_wait_for (result_set, &result, 10000));
  g_assert_true (talk_xmpp_session_disconnect_finish (session, result, &error));
  g_assert_no_error (error);
}

static void
roster_change (TalkXmppRoster *roster,
               const char     *jid,
               const char     *name)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  if (name != NULL)
    talk_xmpp_roster_set_item_async (roster, jid, name, NULL, NULL, talk_test_store_result_cb,
                                     &result);
  else
    talk_xmpp_roster_remove_item_async (roster, jid, NULL, talk_test_store_result_cb, &result);
  g_assert_true (talk_test_wait_for (result_set, &result, 10000));
  if (name != NULL)
    g_assert_true (talk_xmpp_roster_set_item_finish (roster, result, &error));
  else
    g_assert_true (talk_xmpp_roster_remove_item_finish (roster, result, &error));
  g_assert_no_error (error);
}

static gboolean
has_changes (gpointer data)
{
  Fixture *f = data;

  return f->changes->len > 0;
}

static gboolean
loaded (gpointer data)
{
  return talk_roster_get_loaded (TALK_ROSTER (data));
}

static void
test_prosody_reconnect (void)
{
  g_autoptr(TalkTestProsody) prosody = NULL;
  g_autoptr(TalkXmppSession) other = NULL;
  g_autoptr(TalkXmppRoster) other_roster = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *version = NULL;
  guint before;
  Fixture fixture = { 0 };
  Fixture *f = &fixture;

  prosody = talk_test_prosody_start (&error);
  if (prosody == NULL)
    {
      g_test_skip (error->message);
      return;
    }

  f->changes = g_array_new (FALSE, FALSE, sizeof (Change));
  f->session = prosody_session (prosody);
  g_signal_connect (f->session, "stanza-received", G_CALLBACK (stanza_received_cb), f);
  f->xmpp_roster = talk_xmpp_roster_new (f->session);
  f->presence = talk_xmpp_presence_new (f->session);
  f->roster = talk_roster_new (f->xmpp_roster, f->presence);
  g_signal_connect (f->roster, "items-changed", G_CALLBACK (items_changed_cb), f);

  /* A new account's roster is empty: loaded, nothing to tell */
  prosody_connect (f->session);
  g_assert_true (talk_test_wait_for (loaded, f->roster, 10000));
  ASSERT_NO_CHANGES (f);
  g_assert_nonnull (talk_roster_get_version (f->roster));

  roster_change (f->xmpp_roster, "bob@" TALK_TEST_DOMAIN, "Bob");
  g_assert_true (talk_test_wait_for (has_changes, f, 10000));
  ASSERT_CHANGES (f, { 0, 0, 1 });
  roster_change (f->xmpp_roster, "carol@" TALK_TEST_DOMAIN, "Carol");
  g_assert_true (talk_test_wait_for (has_changes, f, 10000));
  ASSERT_CHANGES (f, { 1, 0, 1 });
  version = g_strdup (talk_roster_get_version (f->roster));

  /* Back online with nothing changed: the server says so, the list stays */
  prosody_disconnect (f->session);
  before = f->n_received;
  prosody_connect (f->session);
  WAIT_UNTIL (f->n_received > before);
  talk_test_run_for (100);
  ASSERT_NO_CHANGES (f);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->roster)), ==, 2);
  g_assert_cmpstr (talk_roster_get_version (f->roster), ==, version);

  /* Changed elsewhere while offline: the whole roster, in one signal */
  prosody_disconnect (f->session);
  other = prosody_session (prosody);
  other_roster = talk_xmpp_roster_new (other);
  prosody_connect (other);
  roster_change (other_roster, "bob@" TALK_TEST_DOMAIN, NULL);
  prosody_disconnect (other);

  prosody_connect (f->session);
  g_assert_true (talk_test_wait_for (has_changes, f, 10000));
  ASSERT_CHANGES (f, { 0, 2, 1 });
  g_assert_cmpstr (talk_contact_get_jid (contact_at (f, 0)), ==, "carol@" TALK_TEST_DOMAIN);
  g_assert_cmpstr (talk_roster_get_version (f->roster), !=, version);
  prosody_disconnect (f->session);

  /* The next start, from the cache: the server finds the version current
   * and sends no items; the list from the file stays as it is. */
  {
    g_autofree char *dir = g_dir_make_tmp ("talk-roster-cache-XXXXXX", NULL);
    g_autofree char *path = g_build_filename (dir, "alice.roster", NULL);
    g_autofree char *cached_version = NULL;

    g_clear_object (&f->roster);
    f->roster = talk_roster_new_cached (f->xmpp_roster, f->presence, path);
    g_signal_connect (f->roster, "items-changed", G_CALLBACK (items_changed_cb), f);
    prosody_connect (f->session);
    g_assert_true (talk_test_wait_for (loaded, f->roster, 10000));
    ASSERT_CHANGES (f, { 0, 0, 1 });
    cached_version = g_strdup (talk_roster_get_version (f->roster));
    prosody_disconnect (f->session);
    g_clear_object (&f->roster);

    f->roster = talk_roster_new_cached (f->xmpp_roster, f->presence, path);
    g_signal_connect (f->roster, "items-changed", G_CALLBACK (items_changed_cb), f);
    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->roster)), ==, 1);
    g_assert_cmpstr (talk_roster_get_version (f->roster), ==, cached_version);
    before = f->n_received;
    prosody_connect (f->session);
    g_assert_true (talk_test_wait_for (loaded, f->roster, 10000));
    g_assert_cmpuint (f->n_received, >, before);
    ASSERT_NO_CHANGES (f);
    g_assert_cmpstr (talk_contact_get_jid (contact_at (f, 0)), ==, "carol@" TALK_TEST_DOMAIN);
    prosody_disconnect (f->session);

    g_clear_object (&f->roster);
    g_unlink (path);
    g_rmdir (dir);
  }

  fixture_teardown (f, NULL);
}

/* The cache file alone: what it writes comes back; anything else is a
 * miss with a reason, never a crash or a half list. */
static void
test_cache_file (void)
{
  g_autofree char *dir = g_dir_make_tmp ("talk-roster-cache-XXXXXX", NULL);
  g_autofree char *sub = g_build_filename (dir, "sub", NULL);
  g_autofree char *path = g_build_filename (sub, "a.roster", NULL);
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func ((GDestroyNotify) talk_xmpp_roster_item_unref);
  g_autoptr(GPtrArray) loaded_items = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *version = NULL;
  g_autofree char *contents = NULL;
  const char *groups[] = { "Friends", "Work", NULL };
  gsize length;
  GStatBuf buf;

  g_ptr_array_add (items, talk_xmpp_roster_item_new ("alice@example.test", "Alice ❤ <b>", groups,
                                                     TALK_XMPP_SUBSCRIPTION_BOTH, FALSE, &error));
  g_ptr_array_add (items, talk_xmpp_roster_item_new ("bob@example.test", NULL, NULL,
                                                     TALK_XMPP_SUBSCRIPTION_NONE, TRUE, &error));
  g_assert_no_error (error);

  loaded_items = talk_roster_cache_load (path, &version, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_null (loaded_items);
  g_clear_error (&error);

  g_assert_true (talk_roster_cache_save (path, "v7", items, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_stat (path, &buf), ==, 0);
  g_assert_cmpint (buf.st_mode & 0777, ==, 0600);

  loaded_items = talk_roster_cache_load (path, &version, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (version, ==, "v7");
  g_assert_cmpuint (loaded_items->len, ==, 2);
  for (guint i = 0; i < 2; i++)
    g_assert_true (talk_xmpp_roster_item_equal (g_ptr_array_index (items, i),
                                                g_ptr_array_index (loaded_items, i)));
  g_clear_pointer (&loaded_items, g_ptr_array_unref);
  g_clear_pointer (&version, g_free);

  /* No version (a server without versioning) is not an empty one. */
  g_assert_true (talk_roster_cache_save (path, NULL, items, &error));
  loaded_items = talk_roster_cache_load (path, &version, &error);
  g_assert_no_error (error);
  g_assert_null (version);
  g_assert_cmpuint (loaded_items->len, ==, 2);
  g_clear_pointer (&loaded_items, g_ptr_array_unref);

  /* Damaged: cut short, garbage, empty, a JID that is not one. */
  g_assert_true (talk_roster_cache_save (path, "v7", items, &error));
  g_assert_true (g_file_get_contents (path, &contents, &length, &error));
  for (gsize cut = 0; cut < length; cut += 7)
    {
      g_assert_true (g_file_set_contents (path, contents, cut, &error));
      loaded_items = talk_roster_cache_load (path, &version, &error);
      /* A cut file reads as the default value of its type, or as fewer
       * well-formed items: either way nothing invalid comes out. */
      if (loaded_items == NULL)
        {
          g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
          g_clear_error (&error);
        }
      else
        {
          g_assert_cmpuint (loaded_items->len, <=, 2);
          g_clear_pointer (&loaded_items, g_ptr_array_unref);
        }
      g_clear_pointer (&version, g_free);
    }
  for (gsize i = 0; i < length; i++)
    contents[i] ^= 0x5a;
  g_assert_true (g_file_set_contents (path, contents, length, &error));
  loaded_items = talk_roster_cache_load (path, &version, &error);
  if (loaded_items == NULL)
    g_clear_error (&error);
  g_clear_pointer (&loaded_items, g_ptr_array_unref);
  g_clear_pointer (&version, g_free);

  {
    g_autoptr(GVariant) forged =
      g_variant_ref_sink (g_variant_new_parsed ("(uint32 1, true, 'v1', "
                                                "[('not a jid@@', '', @as [], uint32 3, false)])"));

    g_assert_true (g_file_set_contents (path, g_variant_get_data (forged),
                                        g_variant_get_size (forged), &error));
    loaded_items = talk_roster_cache_load (path, &version, &error);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    g_assert_null (loaded_items);
    g_clear_error (&error);
  }
  {
    g_autoptr(GVariant) forged =
      g_variant_ref_sink (g_variant_new_parsed ("(uint32 1, true, 'v1', "
                                                "[('a@example.test', '', @as [], uint32 4, false)])"));

    g_assert_true (g_file_set_contents (path, g_variant_get_data (forged),
                                        g_variant_get_size (forged), &error));
    g_assert_null (talk_roster_cache_load (path, &version, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    g_clear_error (&error);
  }
  {
    g_autoptr(GVariant) other =
      g_variant_ref_sink (g_variant_new_parsed ("(uint32 2, true, 'v1', @a(ssasub) [])"));

    g_assert_true (g_file_set_contents (path, g_variant_get_data (other),
                                        g_variant_get_size (other), &error));
    g_assert_null (talk_roster_cache_load (path, &version, &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    g_clear_error (&error);
  }

  g_assert_cmpint (g_unlink (path), ==, 0);
  g_assert_cmpint (g_rmdir (sub), ==, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

/* The next start shows the last list at once, offline, and keeps its
 * contacts when the fetch brings the same list. */
static void
test_cache_next_start (Fixture       *f,
                       gconstpointer  data)
{
  g_autofree char *dir = g_dir_make_tmp ("talk-roster-cache-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "account.roster", NULL);
  g_autoptr(TalkContact) alice = NULL;

  g_clear_object (&f->roster);
  f->roster = talk_roster_new_cached (f->xmpp_roster, f->presence, path);
  g_signal_connect (f->roster, "items-changed", G_CALLBACK (items_changed_cb), f);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->roster)), ==, 0);
  setup_loaded (f);
  /* Written a moment later, or at dispose at the latest. */
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_clear_object (&f->roster);
  g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));
  drop_peer (f);
  talk_test_run_for (20);

  f->roster = talk_roster_new_cached (f->xmpp_roster, f->presence, path);
  g_signal_connect (f->roster, "items-changed", G_CALLBACK (items_changed_cb), f);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->roster)), ==, 3);
  g_assert_false (talk_roster_get_loaded (f->roster));
  g_assert_cmpstr (talk_roster_get_version (f->roster), ==, "v1");
  alice = g_object_ref (contact_at (f, 0));
  g_assert_cmpstr (talk_contact_get_jid (alice), ==, "alice@example.test");
  g_assert_cmpstr (talk_contact_get_display_name (alice), ==, "Alice");
  g_assert_cmpstr (talk_contact_get_groups (contact_at (f, 2))[0], ==, "Work");
  g_assert_cmpint (talk_contact_get_show (alice), ==, TALK_XMPP_PRESENCE_SHOW_OFFLINE);

  /* This server does not version: the whole list again, same contacts. */
  connect_peer (f);
  serve_roster (f, THREE_ITEMS "<item jid='dave@example.test' subscription='both'/>", "v2");
  ASSERT_CHANGES (f, { 0, 3, 4 });
  g_assert_true (contact_at (f, 0) == alice);
  g_assert_true (talk_roster_get_loaded (f->roster));

  /* A push is kept too. */
  deliver_push (f, "p1", "v3", "<item jid='dave@example.test' subscription='remove'/>");
  WAIT_UNTIL (f->changes->len > 0);
  ASSERT_CHANGES (f, { 3, 1, 0 });
  g_clear_object (&f->roster);

  f->roster = talk_roster_new_cached (f->xmpp_roster, f->presence, path);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->roster)), ==, 3);
  g_assert_cmpstr (talk_roster_get_version (f->roster), ==, "v3");
  g_clear_object (&f->roster);

  /* A damaged file is only a miss. */
  g_assert_true (g_file_set_contents (path, "garbage", -1, NULL));
  g_test_expect_message ("talk-core", G_LOG_LEVEL_WARNING, "Roster cache*");
  f->roster = talk_roster_new_cached (f->xmpp_roster, f->presence, path);
  g_test_assert_expected_messages ();
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (f->roster)), ==, 0);
  g_assert_null (talk_roster_get_version (f->roster));

  g_clear_object (&f->roster);
  g_unlink (path);
  g_rmdir (dir);
}

#define ADD(path, func) \
  g_test_add ("/talk/core/roster/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

int
main (int   argc,
      char *argv[])
{
  g_setenv ("GIO_USE_NETWORK_MONITOR", "base", TRUE);
  g_test_init (&argc, &argv, NULL);

  ADD ("fetch", test_fetch);
  ADD ("fetch-when-online", test_fetch_when_online);
  ADD ("push", test_push);
  ADD ("push-forged", test_push_forged);
  ADD ("presence", test_presence);
  ADD ("offline-and-refetch", test_offline_and_refetch);
  ADD ("offline-quiet", test_offline_quiet);
  ADD ("dispose-fetching", test_dispose_fetching);
  ADD ("large", test_large);
  ADD ("cache-next-start", test_cache_next_start);
  g_test_add_func ("/talk/core/roster/cache-file", test_cache_file);
  g_test_add_func ("/talk/core/roster/prosody-reconnect", test_prosody_reconnect);

  return g_test_run ();
}
