/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * TalkXmppRoster against a scripted server (TalkTestPeer), as in
 * test-session.c: fetching, pushes from the own account and from anyone
 * else (SECURITY.md §1.1), and the requests that change the roster.
 *
 * Roster versioning depends on the stream features the connector reads
 * after binding, which an adopted stream does not have; it is checked
 * against the real Prosody of the test fixture instead.
 */

#include "config.h"

#include "talk-xmpp.h"
#include "talk-xmpp-roster.h"
#include "talk-test-peer.h"
#include "talk-test-prosody.h"

#define OWN_BARE "user@example.test"
#define OWN_FULL "user@example.test/talk"
#define DOMAIN   "example.test"

#define WAIT_UNTIL(cond) TALK_TEST_WAIT_UNTIL (cond, 5000)

typedef struct
{
  TalkTestPeer    *peer;
  TalkXmppSession *session;
  TalkXmppRoster  *roster;
  GPtrArray       *updated;   /* TalkXmppRosterItem */
  GPtrArray       *removed;   /* char * */
  GPtrArray       *versions;  /* char * */
  GString         *order;     /* 'u', 'r', 'v' in signal order */
} Fixture;

static void
item_updated_cb (TalkXmppRoster     *roster,
                 TalkXmppRosterItem *item,
                 Fixture            *f)
{
  g_ptr_array_add (f->updated, talk_xmpp_roster_item_ref (item));
  g_string_append_c (f->order, 'u');
}

static void
item_removed_cb (TalkXmppRoster *roster,
                 const char     *jid,
                 Fixture        *f)
{
  g_ptr_array_add (f->removed, g_strdup (jid));
  g_string_append_c (f->order, 'r');
}

static void
version_changed_cb (TalkXmppRoster *roster,
                    const char     *ver,
                    Fixture        *f)
{
  g_ptr_array_add (f->versions, g_strdup (ver));
  g_string_append_c (f->order, 'v');
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(TalkXmppJid) jid = talk_xmpp_jid_new (OWN_BARE, NULL);

  f->session = talk_xmpp_session_new (jid);
  g_object_set (f->session, "keepalive-seconds", 0, "auto-reconnect", FALSE, NULL);
  f->roster = talk_xmpp_roster_new (f->session);
  f->updated = g_ptr_array_new_with_free_func ((GDestroyNotify) talk_xmpp_roster_item_unref);
  f->removed = g_ptr_array_new_with_free_func (g_free);
  f->versions = g_ptr_array_new_with_free_func (g_free);
  f->order = g_string_new (NULL);
  g_signal_connect (f->roster, "item-updated", G_CALLBACK (item_updated_cb), f);
  g_signal_connect (f->roster, "item-removed", G_CALLBACK (item_removed_cb), f);
  g_signal_connect (f->roster, "version-changed", G_CALLBACK (version_changed_cb), f);

  f->peer = talk_test_peer_new (f->session, OWN_FULL);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_object (&f->roster);
  g_clear_object (&f->session);
  g_clear_pointer (&f->peer, talk_test_peer_free);
  talk_test_run_for (20);
  g_ptr_array_unref (f->updated);
  g_ptr_array_unref (f->removed);
  g_ptr_array_unref (f->versions);
  g_string_free (f->order, TRUE);
}

/* @stanza serialised without its random id. */
static char *
to_string_without_id (TalkXmppStanza *stanza)
{
  g_autoptr(TalkXmppStanza) copy = talk_xmpp_stanza_copy (stanza);

  talk_xmpp_stanza_set_attribute (copy, "id", NULL);
  return talk_xmpp_stanza_to_string (copy, TALK_XMPP_NS_CLIENT);
}

/* Starts a fetch with @ver (nullable) and returns the request it sent. */
static TalkXmppStanza *
start_fetch (Fixture       *f,
             const char    *ver,
             GAsyncResult **result)
{
  talk_xmpp_roster_fetch_async (f->roster, ver, NULL, talk_test_store_result_cb, result);
  return talk_test_peer_expect (f->peer, "iq");
}

/* Delivers a roster push with @from (nullable) and @query, and returns
 * the client's reply to it. */
static TalkXmppStanza *
push (Fixture    *f,
      const char *from,
      const char *query)
{
  g_autofree char *text = NULL;
  g_autoptr(TalkXmppStanza) reply = NULL;

  if (from != NULL)
    text = g_strdup_printf ("<iq type='set' id='push1' from='%s' to='" OWN_FULL "'>%s</iq>",
                            from, query);
  else
    text = g_strdup_printf ("<iq type='set' id='push1' to='" OWN_FULL "'>%s</iq>", query);
  talk_test_peer_send (f->peer, text);

  reply = talk_test_peer_expect (f->peer, "iq");
  g_assert_cmpstr (talk_xmpp_stanza_get_id (reply), ==, "push1");
  g_assert_cmpstr (talk_xmpp_stanza_get_to (reply), ==, from);
  return g_steal_pointer (&reply);
}

static void
assert_error_reply (TalkXmppStanza *reply,
                    const char     *condition)
{
  TalkXmppStanza *error;

  g_assert_cmpstr (talk_xmpp_stanza_get_stanza_type (reply), ==, "error");
  error = talk_xmpp_stanza_get_child (reply, "error", TALK_XMPP_NS_CLIENT);
  g_assert_nonnull (error);
  g_assert_nonnull (talk_xmpp_stanza_get_child (error, condition, TALK_XMPP_NS_STANZAS));
}

static void
assert_result_reply (TalkXmppStanza *reply)
{
  g_assert_cmpstr (talk_xmpp_stanza_get_stanza_type (reply), ==, "result");
  g_assert_cmpuint (talk_xmpp_stanza_get_n_children (reply), ==, 0);
}

#define ALICE_PUSH \
  "<query xmlns='jabber:iq:roster'><item jid='Alice@Example.TEST' name='Alice'" \
  " subscription='both'><group>Friends</group></item></query>"

/* Items */

static void
test_item (void)
{
  const char * const groups[] = { "Work", "", "Friends", "Work", NULL };
  const char * const sorted[] = { "Friends", "Work", NULL };
  g_autoptr(TalkXmppRosterItem) item = NULL;
  g_autoptr(TalkXmppRosterItem) same = NULL;
  g_autoptr(TalkXmppRosterItem) other = NULL;
  g_autoptr(TalkXmppRosterItem) invalid = NULL;
  g_autoptr(GError) error = NULL;
  TalkXmppSubscription subscription;

  item = talk_xmpp_roster_item_new ("Bob@Example.TEST", "", groups,
                                    TALK_XMPP_SUBSCRIPTION_TO, TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (talk_xmpp_roster_item_get_jid (item), ==, "bob@example.test");
  g_assert_null (talk_xmpp_roster_item_get_name (item));
  g_assert_true (g_strv_equal (talk_xmpp_roster_item_get_groups (item), sorted));
  g_assert_cmpint (talk_xmpp_roster_item_get_subscription (item), ==, TALK_XMPP_SUBSCRIPTION_TO);
  g_assert_true (talk_xmpp_roster_item_get_ask (item));

  same = talk_xmpp_roster_item_new ("bob@example.test", NULL, sorted,
                                    TALK_XMPP_SUBSCRIPTION_TO, TRUE, &error);
  g_assert_no_error (error);
  g_assert_true (talk_xmpp_roster_item_equal (item, same));
  other = talk_xmpp_roster_item_new ("bob@example.test", "Bob", sorted,
                                     TALK_XMPP_SUBSCRIPTION_TO, TRUE, &error);
  g_assert_no_error (error);
  g_assert_false (talk_xmpp_roster_item_equal (item, other));

  /* Roster items are bare JIDs */
  invalid = talk_xmpp_roster_item_new ("bob@example.test/phone", NULL, NULL,
                                       TALK_XMPP_SUBSCRIPTION_NONE, FALSE, &error);
  g_assert_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_INVALID_JID);
  g_assert_null (invalid);
  g_clear_error (&error);
  invalid = talk_xmpp_roster_item_new ("@example.test", NULL, NULL,
                                       TALK_XMPP_SUBSCRIPTION_NONE, FALSE, &error);
  g_assert_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_INVALID_JID);
  g_assert_null (invalid);

  for (guint i = TALK_XMPP_SUBSCRIPTION_NONE; i <= TALK_XMPP_SUBSCRIPTION_REMOVE; i++)
    {
      g_assert_true (talk_xmpp_subscription_from_string (talk_xmpp_subscription_to_string (i),
                                                         &subscription));
      g_assert_cmpint (subscription, ==, i);
    }
  g_assert_false (talk_xmpp_subscription_from_string ("pending", &subscription));
  g_assert_false (talk_xmpp_subscription_from_string (NULL, &subscription));
}

/* Fetching */

static void
test_fetch_unversioned (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(TalkXmppStanza) request = NULL;
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = NULL;
  g_autofree char *ver = NULL;
  TalkXmppRosterItem *item;

  /* No <ver/> in the stream features: no 'ver', even with one held. */
  g_assert_false (talk_xmpp_roster_get_versioning_supported (f->roster));
  request = start_fetch (f, "old-version", &result);
  xml = to_string_without_id (request);
  g_assert_cmpstr (xml, ==, "<iq type='get'><query xmlns='jabber:iq:roster'/></iq>");

  talk_test_peer_sendf (f->peer,
                        "<iq type='result' id='%s' to='" OWN_FULL "'>"
                        "<query xmlns='jabber:iq:roster'>"
                        "<item jid='alice@example.test' name='Alice' subscription='both'>"
                        "<group>Friends</group><group>Work</group><group>Friends</group></item>"
                        "<item jid='Bob@Example.test' subscription='none' ask='subscribe'/>"
                        "<item jid='not a jid@@' subscription='both'/>"
                        "<item jid='carol@example.test' subscription='bogus'/>"
                        "<item jid='dave@example.test' subscription='remove'/>"
                        "<item jid='eve@example.test' subscription='from'/>"
                        "<item jid='alice@example.test' name='Alice Smith' subscription='to'/>"
                        "</query></iq>", talk_xmpp_stanza_get_id (request));
  WAIT_UNTIL (result != NULL);

  g_assert_true (talk_xmpp_roster_fetch_finish (f->roster, result, &items, &ver, &error));
  g_assert_no_error (error);
  g_assert_null (ver);
  g_assert_nonnull (items);
  g_assert_cmpuint (items->len, ==, 3);

  /* A duplicate replaces the earlier item in its place. */
  item = g_ptr_array_index (items, 0);
  g_assert_cmpstr (talk_xmpp_roster_item_get_jid (item), ==, "alice@example.test");
  g_assert_cmpstr (talk_xmpp_roster_item_get_name (item), ==, "Alice Smith");
  g_assert_cmpuint (g_strv_length ((char **) talk_xmpp_roster_item_get_groups (item)), ==, 0);
  g_assert_cmpint (talk_xmpp_roster_item_get_subscription (item), ==, TALK_XMPP_SUBSCRIPTION_TO);

  item = g_ptr_array_index (items, 1);
  g_assert_cmpstr (talk_xmpp_roster_item_get_jid (item), ==, "bob@example.test");
  g_assert_null (talk_xmpp_roster_item_get_name (item));
  g_assert_cmpint (talk_xmpp_roster_item_get_subscription (item), ==, TALK_XMPP_SUBSCRIPTION_NONE);
  g_assert_true (talk_xmpp_roster_item_get_ask (item));

  item = g_ptr_array_index (items, 2);
  g_assert_cmpstr (talk_xmpp_roster_item_get_jid (item), ==, "eve@example.test");
  g_assert_cmpint (talk_xmpp_roster_item_get_subscription (item), ==, TALK_XMPP_SUBSCRIPTION_FROM);
  g_assert_false (talk_xmpp_roster_item_get_ask (item));

  /* A fetch emits nothing: the result is the caller's. */
  g_assert_cmpuint (f->updated->len, ==, 0);
}

static void
test_fetch_groups (Fixture       *f,
                   gconstpointer  data)
{
  const char * const expected[] = { "Friends", "Work", NULL };
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(TalkXmppStanza) request = NULL;
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(GError) error = NULL;

  request = start_fetch (f, NULL, &result);
  g_assert_null (talk_xmpp_stanza_get_attribute (
    talk_xmpp_stanza_get_child (request, "query", TALK_XMPP_NS_ROSTER), "ver"));

  talk_test_peer_sendf (f->peer,
                        "<iq type='result' id='%s'><query xmlns='jabber:iq:roster' ver='v7'>"
                        "<item jid='alice@example.test'><group>Work</group><group></group>"
                        "<group>Friends</group><group>Work</group></item></query></iq>",
                        talk_xmpp_stanza_get_id (request));
  WAIT_UNTIL (result != NULL);

  g_assert_true (talk_xmpp_roster_fetch_finish (f->roster, result, &items, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (items->len, ==, 1);
  g_assert_true (g_strv_equal (talk_xmpp_roster_item_get_groups (g_ptr_array_index (items, 0)),
                               expected));
}

/* The server's version comes back even when the client did not ask. */
static void
test_fetch_server_version (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(TalkXmppStanza) request = NULL;
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *ver = NULL;

  request = start_fetch (f, NULL, &result);
  talk_test_peer_sendf (f->peer, "<iq type='result' id='%s'><query xmlns='jabber:iq:roster'"
                                 " ver='ver14'/></iq>", talk_xmpp_stanza_get_id (request));
  WAIT_UNTIL (result != NULL);

  g_assert_true (talk_xmpp_roster_fetch_finish (f->roster, result, &items, &ver, &error));
  g_assert_no_error (error);
  g_assert_nonnull (items);
  g_assert_cmpuint (items->len, ==, 0);
  g_assert_cmpstr (ver, ==, "ver14");
}

/* An empty result without a version sent is an empty roster, not
 * "unchanged": the client holds nothing it could keep. */
static void
test_fetch_empty_result (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(TalkXmppStanza) request = NULL;
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *ver = NULL;

  request = start_fetch (f, "v1", &result);
  talk_test_peer_sendf (f->peer, "<iq type='result' id='%s'/>", talk_xmpp_stanza_get_id (request));
  WAIT_UNTIL (result != NULL);

  g_assert_true (talk_xmpp_roster_fetch_finish (f->roster, result, &items, &ver, &error));
  g_assert_no_error (error);
  g_assert_nonnull (items);
  g_assert_cmpuint (items->len, ==, 0);
  g_assert_null (ver);
}

static void
test_fetch_error (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(TalkXmppStanza) request = NULL;
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(GError) error = NULL;

  request = start_fetch (f, NULL, &result);
  talk_test_peer_sendf (f->peer, "<iq type='error' id='%s'><error type='wait'>"
                                 "<resource-constraint xmlns='" TALK_XMPP_NS_STANZAS "'/>"
                                 "</error></iq>", talk_xmpp_stanza_get_id (request));
  WAIT_UNTIL (result != NULL);

  g_assert_false (talk_xmpp_roster_fetch_finish (f->roster, result, &items, NULL, &error));
  g_assert_error (error, TALK_XMPP_STANZA_ERROR, TALK_XMPP_STANZA_ERROR_RESOURCE_CONSTRAINT);
  g_assert_null (items);
}

/* A reply from someone other than the own account is not the roster. */
static void
test_fetch_forged_reply (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(TalkXmppStanza) request = NULL;
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(GError) error = NULL;

  request = start_fetch (f, NULL, &result);

  talk_test_peer_sendf (f->peer, "<iq type='result' id='%s' from='mallory@evil.example'>"
                                 "<query xmlns='jabber:iq:roster'><item jid='mallory@evil.example'"
                                 " name='Your bank' subscription='both'/></query></iq>",
                                 talk_xmpp_stanza_get_id (request));
  g_test_expect_message ("talk-xmpp", G_LOG_LEVEL_WARNING, "Ignoring IQ reply from mallory*");
  talk_test_run_for (50);
  g_test_assert_expected_messages ();
  g_assert_null (result);

  talk_test_peer_sendf (f->peer, "<iq type='result' id='%s' from='" OWN_BARE "'>"
                                 "<query xmlns='jabber:iq:roster'/></iq>",
                                 talk_xmpp_stanza_get_id (request));
  WAIT_UNTIL (result != NULL);
  g_assert_true (talk_xmpp_roster_fetch_finish (f->roster, result, &items, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (items->len, ==, 0);
}

static void
test_fetch_offline (void)
{
  g_autoptr(TalkXmppJid) jid = talk_xmpp_jid_new (OWN_BARE, NULL);
  g_autoptr(TalkXmppSession) session = talk_xmpp_session_new (jid);
  g_autoptr(TalkXmppRoster) roster = talk_xmpp_roster_new (session);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  talk_xmpp_roster_fetch_async (roster, NULL, NULL, talk_test_store_result_cb, &result);
  WAIT_UNTIL (result != NULL);
  g_assert_false (talk_xmpp_roster_fetch_finish (roster, result, NULL, NULL, &error));
  g_assert_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_NOT_CONNECTED);
}

/* Pushes */

static void
test_push_no_from (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(TalkXmppStanza) reply = push (f, NULL, ALICE_PUSH);
  const char * const groups[] = { "Friends", NULL };
  TalkXmppRosterItem *item;

  assert_result_reply (reply);
  g_assert_cmpuint (f->updated->len, ==, 1);
  item = g_ptr_array_index (f->updated, 0);
  g_assert_cmpstr (talk_xmpp_roster_item_get_jid (item), ==, "alice@example.test");
  g_assert_cmpstr (talk_xmpp_roster_item_get_name (item), ==, "Alice");
  g_assert_true (g_strv_equal (talk_xmpp_roster_item_get_groups (item), groups));
  g_assert_cmpint (talk_xmpp_roster_item_get_subscription (item), ==, TALK_XMPP_SUBSCRIPTION_BOTH);
  g_assert_cmpuint (f->versions->len, ==, 0);
}

static void
test_push_own_bare (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(TalkXmppStanza) reply = push (f, OWN_BARE, ALICE_PUSH);
  g_autoptr(TalkXmppStanza) reply2 = NULL;

  assert_result_reply (reply);
  g_assert_cmpuint (f->updated->len, ==, 1);

  /* The same account, spelled unnormalised (RFC 7622) */
  reply2 = push (f, "User@Example.TEST", ALICE_PUSH);
  assert_result_reply (reply2);
  g_assert_cmpuint (f->updated->len, ==, 2);
}

/* SECURITY.md §1.1, CVE-2015-8688 (Gajim), CVE-2019-16236 (Dino): a push
 * from anyone else is refused and never applied. */
static void
assert_push_refused (Fixture    *f,
                     const char *from)
{
  g_autoptr(TalkXmppStanza) reply = NULL;
  g_autofree char *pattern = g_strdup_printf ("Dropping a roster push from %s*", from);

  g_test_expect_message ("talk-xmpp", G_LOG_LEVEL_WARNING, pattern);
  reply = push (f, from,
                "<query xmlns='jabber:iq:roster' ver='evil'><item jid='mallory@evil.example'"
                " name='Alice' subscription='both'/></query>");
  g_test_assert_expected_messages ();

  assert_error_reply (reply, "service-unavailable");
  g_assert_cmpuint (f->updated->len, ==, 0);
  g_assert_cmpuint (f->removed->len, ==, 0);
  g_assert_cmpuint (f->versions->len, ==, 0);
}

static void
test_push_foreign_sender (Fixture       *f,
                          gconstpointer  data)
{
  assert_push_refused (f, "mallory@evil.example");
}

static void
test_push_own_domain (Fixture       *f,
                      gconstpointer  data)
{
  assert_push_refused (f, DOMAIN);
}

static void
test_push_own_full_jid (Fixture       *f,
                        gconstpointer  data)
{
  /* Another resource of the account is a client, not the roster's keeper;
   * and this very resource does not push to itself either. */
  assert_push_refused (f, OWN_BARE "/other");
  assert_push_refused (f, OWN_FULL);
}

static void
test_push_remove (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(TalkXmppStanza) reply = NULL;

  reply = push (f, NULL,
                "<query xmlns='jabber:iq:roster'><item jid='Bob@example.test'"
                " subscription='remove'/></query>");
  assert_result_reply (reply);
  g_assert_cmpuint (f->updated->len, ==, 0);
  g_assert_cmpuint (f->removed->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (f->removed, 0), ==, "bob@example.test");
}

static void
test_push_version (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(TalkXmppStanza) reply = NULL;
  g_autoptr(TalkXmppStanza) reply2 = NULL;

  reply = push (f, NULL,
                "<query xmlns='jabber:iq:roster' ver='ver35'><item jid='alice@example.test'"
                " subscription='to'/></query>");
  assert_result_reply (reply);
  reply2 = push (f, NULL,
                 "<query xmlns='jabber:iq:roster' ver='ver36'><item jid='alice@example.test'"
                 " subscription='remove'/></query>");
  assert_result_reply (reply2);

  /* The item first, then the version that includes it */
  g_assert_cmpstr (f->order->str, ==, "uvrv");
  g_assert_cmpuint (f->versions->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (f->versions, 0), ==, "ver35");
  g_assert_cmpstr (g_ptr_array_index (f->versions, 1), ==, "ver36");
}

static void
assert_push_bad_request (Fixture    *f,
                         const char *query)
{
  g_autoptr(TalkXmppStanza) reply = push (f, NULL, query);

  assert_error_reply (reply, "bad-request");
  g_assert_cmpuint (f->updated->len, ==, 0);
  g_assert_cmpuint (f->removed->len, ==, 0);
  g_assert_cmpuint (f->versions->len, ==, 0);
}

static void
test_push_malformed (Fixture       *f,
                     gconstpointer  data)
{
  /* RFC 6121 §2.1.6: exactly one item */
  assert_push_bad_request (f, "<query xmlns='jabber:iq:roster' ver='v2'>"
                              "<item jid='alice@example.test'/>"
                              "<item jid='bob@example.test'/></query>");
  assert_push_bad_request (f, "<query xmlns='jabber:iq:roster' ver='v2'/>");
  assert_push_bad_request (f, "<query xmlns='jabber:iq:roster'><group>x</group></query>");
  /* A JID that is not one, or not bare */
  assert_push_bad_request (f, "<query xmlns='jabber:iq:roster'><item jid='a@b@c'/></query>");
  assert_push_bad_request (f, "<query xmlns='jabber:iq:roster'><item/></query>");
  assert_push_bad_request (f, "<query xmlns='jabber:iq:roster'>"
                              "<item jid='alice@example.test/phone'/></query>");
  /* A subscription state that does not exist */
  assert_push_bad_request (f, "<query xmlns='jabber:iq:roster'>"
                              "<item jid='alice@example.test' subscription='all'/></query>");
}

/* A roster get to a client is not a thing. */
static void
test_roster_get (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(TalkXmppStanza) reply = NULL;

  talk_test_peer_send (f->peer, "<iq type='get' id='g1' from='" OWN_BARE "'>"
                                "<query xmlns='jabber:iq:roster'/></iq>");
  reply = talk_test_peer_expect (f->peer, "iq");
  g_assert_cmpstr (talk_xmpp_stanza_get_id (reply), ==, "g1");
  assert_error_reply (reply, "service-unavailable");
  g_assert_cmpuint (f->updated->len, ==, 0);
}

/* Changes */

static void
test_set_item (Fixture       *f,
               gconstpointer  data)
{
  const char * const groups[] = { "Work", "Friends", "", "Work", NULL };
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(TalkXmppStanza) request = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = NULL;

  talk_xmpp_roster_set_item_async (f->roster, "Alice@Example.TEST", "Alice <3", groups,
                                   NULL, talk_test_store_result_cb, &result);
  request = talk_test_peer_expect (f->peer, "iq");
  xml = to_string_without_id (request);
  /* RFC 6121 §2.3.2: no 'subscription', no 'ask'; groups unique */
  g_assert_cmpstr (xml, ==,
                   "<iq type='set'><query xmlns='jabber:iq:roster'>"
                   "<item jid='alice@example.test' name='Alice &lt;3'>"
                   "<group>Friends</group><group>Work</group></item></query></iq>");

  talk_test_peer_sendf (f->peer, "<iq type='result' id='%s'/>", talk_xmpp_stanza_get_id (request));
  WAIT_UNTIL (result != NULL);
  g_assert_true (talk_xmpp_roster_set_item_finish (f->roster, result, &error));
  g_assert_no_error (error);
}

static void
test_set_item_no_name (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(TalkXmppStanza) request = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = NULL;

  talk_xmpp_roster_set_item_async (f->roster, "bob@example.test", "", NULL,
                                   NULL, talk_test_store_result_cb, &result);
  request = talk_test_peer_expect (f->peer, "iq");
  xml = to_string_without_id (request);
  g_assert_cmpstr (xml, ==,
                   "<iq type='set'><query xmlns='jabber:iq:roster'>"
                   "<item jid='bob@example.test'/></query></iq>");

  /* RFC 6121 §2.3.3: the server may refuse */
  talk_test_peer_sendf (f->peer, "<iq type='error' id='%s'><error type='modify'>"
                                 "<not-acceptable xmlns='" TALK_XMPP_NS_STANZAS "'/></error></iq>",
                                 talk_xmpp_stanza_get_id (request));
  WAIT_UNTIL (result != NULL);
  g_assert_false (talk_xmpp_roster_set_item_finish (f->roster, result, &error));
  g_assert_error (error, TALK_XMPP_STANZA_ERROR, TALK_XMPP_STANZA_ERROR_NOT_ACCEPTABLE);
}

static void
test_set_item_invalid (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  talk_xmpp_roster_set_item_async (f->roster, "not a jid@@", NULL, NULL,
                                   NULL, talk_test_store_result_cb, &result);
  WAIT_UNTIL (result != NULL);
  g_assert_false (talk_xmpp_roster_set_item_finish (f->roster, result, &error));
  g_assert_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_INVALID_JID);

  /* Nothing went out */
  talk_test_run_for (20);
  g_assert_cmpuint (talk_test_peer_get_n_pending (f->peer), ==, 0);
}

static void
test_remove_item (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(TalkXmppStanza) request = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = NULL;

  talk_xmpp_roster_remove_item_async (f->roster, "Bob@Example.test", NULL,
                                      talk_test_store_result_cb, &result);
  request = talk_test_peer_expect (f->peer, "iq");
  xml = to_string_without_id (request);
  g_assert_cmpstr (xml, ==,
                   "<iq type='set'><query xmlns='jabber:iq:roster'>"
                   "<item jid='bob@example.test' subscription='remove'/></query></iq>");

  talk_test_peer_sendf (f->peer, "<iq type='result' id='%s'/>", talk_xmpp_stanza_get_id (request));
  WAIT_UNTIL (result != NULL);
  g_assert_true (talk_xmpp_roster_remove_item_finish (f->roster, result, &error));
  g_assert_no_error (error);
}

static void
test_remove_item_cancelled (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(TalkXmppStanza) request = NULL;
  g_autoptr(GError) error = NULL;

  talk_xmpp_roster_remove_item_async (f->roster, "bob@example.test", cancellable,
                                      talk_test_store_result_cb, &result);
  request = talk_test_peer_expect (f->peer, "iq");
  g_cancellable_cancel (cancellable);
  WAIT_UNTIL (result != NULL);
  g_assert_false (talk_xmpp_roster_remove_item_finish (f->roster, result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* The module lets go of the session's handler table when it goes. */
static void
test_dispose (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(TalkXmppStanza) reply = NULL;

  g_clear_object (&f->roster);
  talk_test_peer_send (f->peer, "<iq type='set' id='push1'>" ALICE_PUSH "</iq>");
  reply = talk_test_peer_expect (f->peer, "iq");
  assert_error_reply (reply, "service-unavailable");
  g_assert_cmpuint (f->updated->len, ==, 0);
}

/* Versioning against a real server (RFC 6121 §2.6) */

static gboolean
result_set (gpointer data)
{
  return *(GAsyncResult **) data != NULL;
}

typedef struct
{
  GPtrArray *array;
  guint      len;
} ArrayWait;

static gboolean
array_reached (gpointer data)
{
  ArrayWait *wait = data;

  return wait->array->len >= wait->len;
}

/* Waits until @array holds @len elements. */
static void
wait_for_len (GPtrArray *array,
              guint      len)
{
  ArrayWait wait = { array, len };

  g_assert_true (talk_test_wait_for (array_reached, &wait, 10000));
}

static void
fetch_and_wait (TalkXmppRoster  *roster,
                const char      *ver,
                GPtrArray      **items,
                char           **new_ver)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  talk_xmpp_roster_fetch_async (roster, ver, NULL, talk_test_store_result_cb, &result);
  g_assert_true (talk_test_wait_for (result_set, &result, 10000));
  g_assert_true (talk_xmpp_roster_fetch_finish (roster, result, items, new_ver, &error));
  g_assert_no_error (error);
}

/* Sets (with @name) or removes (@name NULL) the item @jid and waits for
 * the server's answer. */
static void
change_and_wait (TalkXmppRoster     *roster,
                 const char         *jid,
                 const char         *name,
                 const char * const *groups)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  if (name != NULL)
    talk_xmpp_roster_set_item_async (roster, jid, name, groups, NULL,
                                     talk_test_store_result_cb, &result);
  else
    talk_xmpp_roster_remove_item_async (roster, jid, NULL, talk_test_store_result_cb, &result);
  g_assert_true (talk_test_wait_for (result_set, &result, 10000));
  if (name != NULL)
    g_assert_true (talk_xmpp_roster_set_item_finish (roster, result, &error));
  else
    g_assert_true (talk_xmpp_roster_remove_item_finish (roster, result, &error));
  g_assert_no_error (error);
}

static void
test_prosody_versioning (void)
{
  g_autoptr(TalkTestProsody) prosody = NULL;
  g_autoptr(TalkXmppJid) jid = talk_xmpp_jid_new ("alice@" TALK_TEST_DOMAIN, NULL);
  g_autoptr(TalkXmppSession) session = NULL;
  g_autoptr(TalkXmppRoster) roster = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(GPtrArray) updated = NULL;
  g_autoptr(GPtrArray) versions = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *ver1 = NULL;
  g_autofree char *ver2 = NULL;
  g_autofree char *ver3 = NULL;
  const char * const groups[] = { "Friends", NULL };
  Fixture f = { 0 };

  prosody = talk_test_prosody_start (&error);
  if (prosody == NULL)
    {
      g_test_skip (error->message);
      return;
    }

  session = talk_xmpp_session_new (jid);
  g_object_set (session, "auto-reconnect", FALSE, NULL);
  talk_xmpp_session_set_password (session, "alice-secret");
  talk_xmpp_session_set_host (session, "127.0.0.1", talk_test_prosody_get_port (prosody), FALSE);
  talk_xmpp_session_set_pinned_certificate (session, talk_test_prosody_get_fingerprint (prosody));

  roster = talk_xmpp_roster_new (session);
  updated = g_ptr_array_new_with_free_func ((GDestroyNotify) talk_xmpp_roster_item_unref);
  f.updated = updated;
  f.removed = g_ptr_array_new_with_free_func (g_free);
  f.versions = versions = g_ptr_array_new_with_free_func (g_free);
  f.order = g_string_new (NULL);
  g_signal_connect (roster, "item-updated", G_CALLBACK (item_updated_cb), &f);
  g_signal_connect (roster, "item-removed", G_CALLBACK (item_removed_cb), &f);
  g_signal_connect (roster, "version-changed", G_CALLBACK (version_changed_cb), &f);

  talk_xmpp_session_connect_async (session, NULL, talk_test_store_result_cb, &result);
  g_assert_true (talk_test_wait_for (result_set, &result, 30000));
  g_assert_true (talk_xmpp_session_connect_finish (session, result, &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  /* Prosody advertises <ver xmlns='urn:xmpp:features:rosterver'/> */
  g_assert_true (talk_xmpp_roster_get_versioning_supported (roster));

  /* No roster held: ver='' bootstraps versioning (§2.6.2) */
  fetch_and_wait (roster, NULL, &items, &ver1);
  g_assert_nonnull (items);
  g_assert_nonnull (ver1);
  g_clear_pointer (&items, g_ptr_array_unref);

  /* Changes come back as pushes, each with the version it makes */
  change_and_wait (roster, "bob@" TALK_TEST_DOMAIN, "Bob", groups);
  wait_for_len (versions, 1);
  g_assert_cmpuint (updated->len, ==, 1);
  g_assert_cmpstr (talk_xmpp_roster_item_get_jid (g_ptr_array_index (updated, 0)), ==,
                   "bob@" TALK_TEST_DOMAIN);
  g_assert_true (g_strv_equal (talk_xmpp_roster_item_get_groups (g_ptr_array_index (updated, 0)),
                               groups));

  change_and_wait (roster, "bob@" TALK_TEST_DOMAIN, "Bobby", groups);
  wait_for_len (versions, 2);
  g_assert_cmpstr (talk_xmpp_roster_item_get_name (g_ptr_array_index (updated, 1)), ==, "Bobby");
  g_assert_cmpstr (g_ptr_array_index (versions, 1), !=, g_ptr_array_index (versions, 0));

  /* The version held is current: an empty result, nothing to replace
   * (§2.6.3) */
  fetch_and_wait (roster, g_ptr_array_index (versions, 1), &items, &ver2);
  g_assert_null (items);
  g_assert_cmpstr (ver2, ==, g_ptr_array_index (versions, 1));

  /* An older version: the server answers with the roster as it is now */
  fetch_and_wait (roster, g_ptr_array_index (versions, 0), &items, &ver3);
  g_assert_nonnull (items);
  g_assert_cmpuint (items->len, ==, 1);
  g_assert_cmpstr (talk_xmpp_roster_item_get_name (g_ptr_array_index (items, 0)), ==, "Bobby");
  g_assert_cmpstr (ver3, ==, ver2);

  change_and_wait (roster, "bob@" TALK_TEST_DOMAIN, NULL, NULL);
  wait_for_len (versions, 3);
  g_assert_cmpuint (f.removed->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (f.removed, 0), ==, "bob@" TALK_TEST_DOMAIN);

  talk_xmpp_session_disconnect_async (session, NULL, talk_test_store_result_cb, &result);
  g_assert_true (talk_test_wait_for (result_set, &result, 10000));
  g_assert_true (talk_xmpp_session_disconnect_finish (session, result, &error));
  g_clear_object (&roster);
  g_ptr_array_unref (f.removed);
  g_string_free (f.order, TRUE);
}

#define ADD(path, func) \
  g_test_add ("/talk/xmpp/roster/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

int
main (int   argc,
      char *argv[])
{
  g_setenv ("GIO_USE_NETWORK_MONITOR", "base", TRUE);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/talk/xmpp/roster/item", test_item);
  ADD ("fetch-unversioned", test_fetch_unversioned);
  ADD ("fetch-groups", test_fetch_groups);
  ADD ("fetch-server-version", test_fetch_server_version);
  ADD ("fetch-empty-result", test_fetch_empty_result);
  ADD ("fetch-error", test_fetch_error);
  ADD ("fetch-forged-reply", test_fetch_forged_reply);
  g_test_add_func ("/talk/xmpp/roster/fetch-offline", test_fetch_offline);
  ADD ("push-no-from", test_push_no_from);
  ADD ("push-own-bare", test_push_own_bare);
  ADD ("push-foreign-sender", test_push_foreign_sender);
  ADD ("push-own-domain", test_push_own_domain);
  ADD ("push-own-full-jid", test_push_own_full_jid);
  ADD ("push-remove", test_push_remove);
  ADD ("push-version", test_push_version);
  ADD ("push-malformed", test_push_malformed);
  ADD ("roster-get", test_roster_get);
  ADD ("set-item", test_set_item);
  ADD ("set-item-no-name", test_set_item_no_name);
  ADD ("set-item-invalid", test_set_item_invalid);
  ADD ("remove-item", test_remove_item);
  ADD ("remove-item-cancelled", test_remove_item_cancelled);
  ADD ("dispose", test_dispose);
  g_test_add_func ("/talk/xmpp/roster/prosody-versioning", test_prosody_versioning);

  return g_test_run ();
}
