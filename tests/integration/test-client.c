/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * TalkClient against a real Prosody, with bob as an independent peer (a
 * plain session with its own presence and roster modules): signing in and
 * remembering the password in the session's keyring, the roster model,
 * presence both ways, signing out and back in, the next start from the
 * keyring, a refused password, an untrusted certificate, the server going
 * away and coming back, no keyring at all, and forgetting the account.
 */
#include "config.h"

#include <string.h>

#include <libsecret/secret.h>

#include "talk-client.h"
#include "talk-core-error.h"
#include "talk-keyring.h"
#include "talk-test-prosody.h"

#define ALICE "alice@" TALK_TEST_DOMAIN
#define BOB   "bob@" TALK_TEST_DOMAIN

#define OTHER_FINGERPRINT \
  "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF"

static TalkTestProsody *prosody;

/* Async results */

typedef struct
{
  gboolean      done;
  gboolean      ok;
  GError       *error;
  GAsyncResult *result;
} Op;

static void
op_clear (Op *op)
{
  g_clear_error (&op->error);
  g_clear_object (&op->result);
  op->done = op->ok = FALSE;
}

static gboolean
op_done (gpointer data)
{
  return ((Op *) data)->done;
}

static void
op_result_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      data)
{
  Op *op = data;

  op->result = g_object_ref (result);
  op->done = TRUE;
}

static void
op_wait (Op *op)
{
  g_assert_true (talk_test_wait_for (op_done, op, 60000));
}

/* Keyring */

static char *
keyring_lookup (const char *jid)
{
  g_autoptr(GError) error = NULL;
  Op op = { 0 };
  char *password;

  talk_keyring_lookup_password_async (jid, NULL, op_result_cb, &op);
  op_wait (&op);
  password = talk_keyring_lookup_password_finish (op.result, &error);
  g_assert_no_error (error);
  op_clear (&op);
  return password;
}

static void
keyring_clear (const char *jid)
{
  g_autoptr(GError) error = NULL;
  Op op = { 0 };

  talk_keyring_clear_password_async (jid, NULL, op_result_cb, &op);
  op_wait (&op);
  g_assert_true (talk_keyring_clear_password_finish (op.result, &error));
  g_assert_no_error (error);
  op_clear (&op);
}

static void
assert_keyring_has (const char *jid,
                    const char *expected)
{
  char *password = keyring_lookup (jid);

  g_assert_cmpstr (password, ==, expected);
  talk_keyring_password_free (password);
}

/* Settings and the keyring as on a first start. */
static void
reset_world (gboolean touch_keyring)
{
  g_autoptr(GPtrArray) accounts = talk_account_load_all ();

  for (guint i = 0; i < accounts->len; i++)
    talk_account_remove (g_ptr_array_index (accounts, i));
  if (touch_keyring)
    keyring_clear (ALICE);
}

/* The account as the preferences would leave it: the test server, its
 * self-signed certificate pinned. */
static void
make_pinned_account (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TalkAccount) account = talk_account_create (ALICE, &error);

  g_assert_no_error (error);
  talk_account_set_host (account, "127.0.0.1", talk_test_prosody_get_port (prosody), FALSE);
  talk_account_set_pinned_certificate (account, talk_test_prosody_get_fingerprint (prosody));
}

/* The client */

typedef struct
{
  TalkClient       *client;
  TalkClientStatus  status;
} StatusWait;

static gboolean
status_is (gpointer data)
{
  StatusWait *wait = data;

  return talk_client_get_status (wait->client) == wait->status;
}

static void
wait_status (TalkClient       *client,
             TalkClientStatus  status,
             guint             timeout_ms)
{
  StatusWait wait = { client, status };

  if (!talk_test_wait_for (status_is, &wait, timeout_ms))
    g_error ("status %d, waited for %d (error: %s)", talk_client_get_status (client), status,
             talk_client_get_error (client));
}

static gboolean
sign_in (TalkClient  *client,
         const char  *password,
         gboolean     remember,
         GError     **error)
{
  Op op = { 0 };
  gboolean ok;

  talk_client_sign_in_async (client, ALICE, password, remember, "127.0.0.1",
                             talk_test_prosody_get_port (prosody), NULL, op_result_cb, &op);
  op_wait (&op);
  ok = talk_client_sign_in_finish (client, op.result, error);
  op_clear (&op);
  return ok;
}

static void
sign_in_ok (TalkClient *client,
            gboolean    remember)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (sign_in (client, "alice-secret", remember, &error));
  g_assert_no_error (error);
  g_assert_cmpint (talk_client_get_status (client), ==, TALK_CLIENT_STATUS_ONLINE);
  g_assert_cmpint (talk_client_get_session_state (client), ==, TALK_XMPP_SESSION_STATE_ONLINE);
  g_assert_null (talk_client_get_error (client));
}

/* Shuts down, and checks nothing keeps the client alive. */
static void
shutdown_and_free (TalkClient *client)
{
  g_autoptr(GError) error = NULL;
  Op op = { 0 };

  talk_client_shutdown_async (client, NULL, op_result_cb, &op);
  op_wait (&op);
  g_assert_true (talk_client_shutdown_finish (client, op.result, &error));
  g_assert_no_error (error);
  op_clear (&op);

  g_assert_cmpint (talk_client_get_session_state (client), ==,
                   TALK_XMPP_SESSION_STATE_DISCONNECTED);
  g_object_add_weak_pointer (G_OBJECT (client), (gpointer *) &client);
  g_object_unref (client);
  g_assert_null (client);
}

static TalkContact *
find_contact (GListModel *model,
              const char *jid)
{
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(TalkContact) contact = g_list_model_get_item (model, i);

      if (g_strcmp0 (talk_contact_get_jid (contact), jid) == 0)
        return contact;  /* the model keeps it alive */
    }
  return NULL;
}

typedef struct
{
  TalkClient           *client;
  const char           *jid;
  TalkXmppPresenceShow  show;
} ContactWait;

static gboolean
contact_listed (gpointer data)
{
  ContactWait *wait = data;

  return find_contact (talk_client_get_roster (wait->client), wait->jid) != NULL;
}

static gboolean
contact_shows (gpointer data)
{
  ContactWait *wait = data;
  TalkContact *contact = find_contact (talk_client_get_roster (wait->client), wait->jid);

  return contact != NULL && talk_contact_get_show (contact) == wait->show;
}

/* The peer */

typedef struct
{
  TalkXmppSession      *session;
  TalkXmppRoster       *roster;
  TalkXmppPresence     *presence;
  char                 *other;          /* the bare JID watched */
  gboolean              subscribe_back;

  TalkXmppSubscription  subscription;   /* of @other in our roster */
  guint                 n_presences;    /* from @other */
  TalkXmppPresenceShow  show;
  char                 *status;
  gboolean              caps;
} Peer;

static gboolean
jid_is_of (const char *jid,
           const char *bare)
{
  gsize len = strlen (bare);

  return strncmp (jid, bare, len) == 0 && (jid[len] == '\0' || jid[len] == '/');
}

static void
peer_presence_changed_cb (TalkXmppPresence     *presence,
                          const char           *jid,
                          TalkXmppPresenceShow  show,
                          const char           *status,
                          int                   priority,
                          Peer                 *peer)
{
  if (!jid_is_of (jid, peer->other))
    return;

  peer->n_presences++;
  peer->show = show;
  g_free (peer->status);
  peer->status = g_strdup (status);
}

static void
peer_subscription_request_cb (TalkXmppPresence *presence,
                              const char       *jid,
                              const char       *nick,
                              Peer             *peer)
{
  g_autoptr(GError) error = NULL;

  if (!jid_is_of (jid, peer->other))
    return;

  g_assert_true (talk_xmpp_presence_approve (presence, jid, &error));
  g_assert_no_error (error);
  if (peer->subscribe_back)
    {
      g_assert_true (talk_xmpp_presence_subscribe (presence, jid, &error));
      g_assert_no_error (error);
    }
}

static void
peer_item_updated_cb (TalkXmppRoster     *roster,
                      TalkXmppRosterItem *item,
                      Peer               *peer)
{
  if (g_strcmp0 (talk_xmpp_roster_item_get_jid (item), peer->other) == 0)
    peer->subscription = talk_xmpp_roster_item_get_subscription (item);
}

/* What the caps element says is only checked where it is: in available
 * presence (XEP-0115 §4). */
static void
peer_stanza_received_cb (TalkXmppSession *session,
                         TalkXmppStanza  *stanza,
                         Peer            *peer)
{
  const char *from = talk_xmpp_stanza_get_from (stanza);

  if (g_strcmp0 (talk_xmpp_stanza_get_name (stanza), "presence") != 0 ||
      talk_xmpp_stanza_get_stanza_type (stanza) != NULL ||
      from == NULL || !jid_is_of (from, peer->other))
    return;

  peer->caps = talk_xmpp_stanza_get_child (stanza, "c", TALK_XMPP_NS_CAPS) != NULL;
}

static Peer *
peer_new (const char *user,
          const char *other)
{
  g_autofree char *jid_str = g_strdup_printf ("%s@%s", user, TALK_TEST_DOMAIN);
  g_autofree char *password = g_strdup_printf ("%s-secret", user);
  g_autoptr(TalkXmppJid) jid = talk_xmpp_jid_new (jid_str, NULL);
  Peer *peer = g_new0 (Peer, 1);

  peer->session = talk_xmpp_session_new (jid);
  g_object_set (peer->session, "auto-reconnect", FALSE, NULL);
  talk_xmpp_session_set_password (peer->session, password);
  talk_xmpp_session_set_host (peer->session, "127.0.0.1",
                              talk_test_prosody_get_port (prosody), FALSE);
  talk_xmpp_session_set_pinned_certificate (peer->session,
                                            talk_test_prosody_get_fingerprint (prosody));
  peer->roster = talk_xmpp_roster_new (peer->session);
  peer->presence = talk_xmpp_presence_new (peer->session);
  peer->other = g_strdup (other);
  peer->show = TALK_XMPP_PRESENCE_SHOW_OFFLINE;

  g_signal_connect (peer->presence, "presence-changed",
                    G_CALLBACK (peer_presence_changed_cb), peer);
  g_signal_connect (peer->presence, "subscription-request",
                    G_CALLBACK (peer_subscription_request_cb), peer);
  g_signal_connect (peer->roster, "item-updated", G_CALLBACK (peer_item_updated_cb), peer);
  g_signal_connect (peer->session, "stanza-received",
                    G_CALLBACK (peer_stanza_received_cb), peer);
  return peer;
}

/* Online as a client should be (RFC 6121 §4.2): the roster first, so that
 * the server counts us as interested in subscription requests, then the
 * initial presence. */
static void
peer_connect (Peer *peer)
{
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(GError) error = NULL;
  Op op = { 0 };

  talk_xmpp_session_connect_async (peer->session, NULL, op_result_cb, &op);
  op_wait (&op);
  g_assert_true (talk_xmpp_session_connect_finish (peer->session, op.result, &error));
  g_assert_no_error (error);
  op_clear (&op);

  talk_xmpp_roster_fetch_async (peer->roster, NULL, NULL, op_result_cb, &op);
  op_wait (&op);
  g_assert_true (talk_xmpp_roster_fetch_finish (peer->roster, op.result, &items, NULL, &error));
  g_assert_no_error (error);
  op_clear (&op);

  for (guint i = 0; items != NULL && i < items->len; i++)
    peer_item_updated_cb (peer->roster, g_ptr_array_index (items, i), peer);

  g_assert_true (talk_xmpp_presence_send_own (peer->presence, TALK_XMPP_PRESENCE_SHOW_AVAILABLE,
                                              NULL, 0));
}

static void
peer_free (Peer *peer)
{
  g_autoptr(GError) error = NULL;
  Op op = { 0 };

  talk_xmpp_session_disconnect_async (peer->session, NULL, op_result_cb, &op);
  op_wait (&op);
  g_assert_true (talk_xmpp_session_disconnect_finish (peer->session, op.result, &error));
  g_assert_no_error (error);
  op_clear (&op);

  g_signal_handlers_disconnect_by_data (peer->presence, peer);
  g_signal_handlers_disconnect_by_data (peer->roster, peer);
  g_signal_handlers_disconnect_by_data (peer->session, peer);
  g_clear_object (&peer->presence);
  g_clear_object (&peer->roster);
  g_clear_object (&peer->session);
  g_free (peer->other);
  g_free (peer->status);
  g_free (peer);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Peer, peer_free)

typedef struct
{
  Peer                 *peer;
  TalkXmppPresenceShow  show;
  const char           *status;
} PresenceWait;

static gboolean
peer_sees (gpointer data)
{
  PresenceWait *wait = data;

  return wait->peer->n_presences > 0 && wait->peer->show == wait->show &&
         g_strcmp0 (wait->peer->status, wait->status) == 0;
}

static void
wait_peer_sees (Peer                 *peer,
                TalkXmppPresenceShow  show,
                const char           *status)
{
  PresenceWait wait = { peer, show, status };

  if (!talk_test_wait_for (peer_sees, &wait, 30000))
    g_error ("%s: show %d status %s, waited for %d %s", peer->other, peer->show,
             peer->status, show, status);
}

typedef struct
{
  Peer *alice;
  Peer *bob;
} Friends;

static gboolean
mutual (gpointer data)
{
  Friends *friends = data;

  return friends->alice->subscription == TALK_XMPP_SUBSCRIPTION_BOTH &&
         friends->bob->subscription == TALK_XMPP_SUBSCRIPTION_BOTH;
}

/* alice subscribes to bob, bob approves and subscribes back, alice
 * approves (RFC 6121 §3.1): once per server. */
static void
ensure_mutual_contacts (void)
{
  static gboolean done;
  g_autoptr(Peer) alice = NULL;
  g_autoptr(Peer) bob = NULL;
  g_autoptr(GError) error = NULL;
  Friends friends;

  if (done)
    return;

  alice = peer_new ("alice", BOB);
  bob = peer_new ("bob", ALICE);
  bob->subscribe_back = TRUE;
  peer_connect (alice);
  peer_connect (bob);

  g_assert_true (talk_xmpp_presence_subscribe (alice->presence, BOB, &error));
  g_assert_no_error (error);

  friends.alice = alice;
  friends.bob = bob;
  g_assert_true (talk_test_wait_for (mutual, &friends, 30000));
  done = TRUE;
}

/* Cases */

static void
test_no_account (void)
{
  TalkClient *client = NULL;
  GListModel *roster;

  reset_world (TRUE);

  client = talk_client_new ();
  talk_client_start (client);
  g_assert_cmpint (talk_client_get_status (client), ==, TALK_CLIENT_STATUS_NO_ACCOUNT);
  g_assert_null (talk_client_get_account (client));
  g_assert_null (talk_client_get_jid (client));
  g_assert_null (talk_client_get_session (client));

  /* The UI can bind to it all the same. */
  roster = talk_client_get_roster (client);
  g_assert_nonnull (roster);
  g_assert_cmpuint (g_list_model_get_n_items (roster), ==, 0);
  g_assert_true (g_list_model_get_item_type (roster) == TALK_TYPE_CONTACT);

  shutdown_and_free (client);
}

static void
test_sign_in (void)
{
  g_autoptr(Peer) bob = NULL;
  g_autoptr(GPtrArray) accounts = NULL;
  TalkClient *client = NULL;
  ContactWait listed;
  TalkContact *contact;

  reset_world (TRUE);
  ensure_mutual_contacts ();

  bob = peer_new ("bob", ALICE);
  peer_connect (bob);

  /* The account exists already (pinned): signing in reuses it. */
  make_pinned_account ();
  client = talk_client_new ();
  sign_in_ok (client, TRUE);
  g_assert_cmpstr (talk_client_get_jid (client), ==, ALICE);
  accounts = talk_account_load_all ();
  g_assert_cmpuint (accounts->len, ==, 1);
  g_assert_cmpstr (talk_account_get_pinned_certificate (talk_client_get_account (client)), ==,
                   talk_test_prosody_get_fingerprint (prosody));

  /* Stored once the sign-in succeeded, and said so. */
  g_assert_true (talk_client_get_password_saved (client));
  assert_keyring_has (ALICE, "alice-secret");

  listed = (ContactWait) { client, BOB, TALK_XMPP_PRESENCE_SHOW_AVAILABLE };
  g_assert_true (talk_test_wait_for (contact_listed, &listed, 30000));
  contact = find_contact (talk_client_get_roster (client), BOB);
  g_assert_cmpint (talk_contact_get_subscription (contact), ==, TALK_XMPP_SUBSCRIPTION_BOTH);

  /* bob sees her, with the caps Talk announces. */
  wait_peer_sees (bob, TALK_XMPP_PRESENCE_SHOW_AVAILABLE, NULL);
  g_assert_true (bob->caps);

  /* And she sees him: the server answered her initial presence. */
  g_assert_true (talk_test_wait_for (contact_shows, &listed, 30000));

  shutdown_and_free (client);
}

static gboolean
client_disconnected (gpointer data)
{
  return talk_client_get_session_state (data) == TALK_XMPP_SESSION_STATE_DISCONNECTED;
}

static void
test_presence (void)
{
  g_autoptr(Peer) bob = NULL;
  TalkClient *client = NULL;
  ContactWait xa;

  reset_world (TRUE);
  ensure_mutual_contacts ();

  bob = peer_new ("bob", ALICE);
  peer_connect (bob);

  make_pinned_account ();
  client = talk_client_new ();
  sign_in_ok (client, FALSE);
  g_assert_false (talk_client_get_password_saved (client));
  wait_peer_sees (bob, TALK_XMPP_PRESENCE_SHOW_AVAILABLE, NULL);

  talk_client_set_presence (client, TALK_XMPP_PRESENCE_SHOW_AWAY, "Coffee");
  g_assert_cmpint (talk_client_get_show (client), ==, TALK_XMPP_PRESENCE_SHOW_AWAY);
  g_assert_cmpstr (talk_client_get_status_message (client), ==, "Coffee");
  wait_peer_sees (bob, TALK_XMPP_PRESENCE_SHOW_AWAY, "Coffee");

  talk_client_set_presence (client, TALK_XMPP_PRESENCE_SHOW_DND, NULL);
  wait_peer_sees (bob, TALK_XMPP_PRESENCE_SHOW_DND, NULL);

  /* The other way: bob's presence reaches alice's roster model. */
  g_assert_true (talk_xmpp_presence_send_own (bob->presence, TALK_XMPP_PRESENCE_SHOW_XA,
                                              NULL, 0));
  xa = (ContactWait) { client, BOB, TALK_XMPP_PRESENCE_SHOW_XA };
  g_assert_true (talk_test_wait_for (contact_shows, &xa, 30000));

  /* Offline signs out cleanly: unavailable presence, then the stream. */
  talk_client_set_presence (client, TALK_XMPP_PRESENCE_SHOW_OFFLINE, NULL);
  g_assert_cmpint (talk_client_get_status (client), ==, TALK_CLIENT_STATUS_OFFLINE);
  g_assert_true (talk_test_wait_for (client_disconnected, client, 10000));
  wait_peer_sees (bob, TALK_XMPP_PRESENCE_SHOW_OFFLINE, NULL);
  g_assert_cmpint (talk_client_get_status (client), ==, TALK_CLIENT_STATUS_OFFLINE);
  g_assert_cmpint (talk_xmpp_session_get_state (talk_client_get_session (client)), ==,
                   TALK_XMPP_SESSION_STATE_DISCONNECTED);

  /* And back, with the password still in memory. */
  talk_client_set_presence (client, TALK_XMPP_PRESENCE_SHOW_AVAILABLE, NULL);
  wait_status (client, TALK_CLIENT_STATUS_ONLINE, 30000);
  wait_peer_sees (bob, TALK_XMPP_PRESENCE_SHOW_AVAILABLE, NULL);

  shutdown_and_free (client);
}

static void
test_next_start (void)
{
  TalkClient *client = NULL;

  reset_world (TRUE);
  make_pinned_account ();

  client = talk_client_new ();
  sign_in_ok (client, TRUE);
  g_assert_true (talk_client_get_password_saved (client));
  /* Chosen last: busy with a message, then offline before quitting. */
  talk_client_set_presence (client, TALK_XMPP_PRESENCE_SHOW_DND, "In a meeting");
  talk_client_set_presence (client, TALK_XMPP_PRESENCE_SHOW_OFFLINE, "In a meeting");
  shutdown_and_free (client);

  /* The next run of the app: the password comes from the keyring, and it
   * signs in as last chosen (offline is not kept: starting means online). */
  client = talk_client_new ();
  talk_client_start (client);
  g_assert_cmpstr (talk_client_get_jid (client), ==, ALICE);
  wait_status (client, TALK_CLIENT_STATUS_ONLINE, 30000);
  g_assert_true (talk_client_get_password_saved (client));
  g_assert_null (talk_client_get_error (client));
  g_assert_cmpint (talk_client_get_show (client), ==, TALK_XMPP_PRESENCE_SHOW_DND);
  g_assert_cmpstr (talk_client_get_status_message (client), ==, "In a meeting");
  shutdown_and_free (client);
}

static void
test_no_stored_password (void)
{
  TalkClient *client = NULL;

  reset_world (TRUE);
  make_pinned_account ();

  client = talk_client_new ();
  talk_client_start (client);
  wait_status (client, TALK_CLIENT_STATUS_NEEDS_PASSWORD, 30000);
  g_assert_null (talk_client_get_error (client));

  talk_client_provide_password (client, "alice-secret", FALSE);
  wait_status (client, TALK_CLIENT_STATUS_ONLINE, 30000);
  g_assert_false (talk_client_get_password_saved (client));
  shutdown_and_free (client);
}

static gboolean
password_saved (gpointer data)
{
  return talk_client_get_password_saved (data);
}

static void
count_cb (guint *count)
{
  (*count)++;
}

static void
test_wrong_password (void)
{
  g_autoptr(GError) error = NULL;
  TalkClient *client = NULL;
  guint not_saved = 0;
  char *stored;

  reset_world (TRUE);
  make_pinned_account ();

  client = talk_client_new ();
  g_assert_false (sign_in (client, "not-the-password", TRUE, &error));
  g_assert_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_AUTH_FAILED);
  g_assert_cmpint (talk_client_get_status (client), ==, TALK_CLIENT_STATUS_NEEDS_PASSWORD);
  g_assert_cmpstr (talk_client_get_error (client), ==,
                   "The server refused the password for " ALICE);
  g_assert_false (talk_client_get_password_saved (client));

  /* A refused password is never stored, nor tried again on its own. */
  stored = keyring_lookup (ALICE);
  g_assert_null (stored);
  talk_client_set_presence (client, TALK_XMPP_PRESENCE_SHOW_AVAILABLE, NULL);
  g_assert_cmpint (talk_client_get_status (client), ==, TALK_CLIENT_STATUS_NEEDS_PASSWORD);

  g_signal_connect_swapped (client, "password-not-saved", G_CALLBACK (count_cb), &not_saved);
  talk_client_provide_password (client, "alice-secret", TRUE);
  wait_status (client, TALK_CLIENT_STATUS_ONLINE, 30000);
  g_assert_null (talk_client_get_error (client));
  g_assert_true (talk_test_wait_for (password_saved, client, 30000));
  assert_keyring_has (ALICE, "alice-secret");
  g_assert_cmpuint (not_saved, ==, 0);

  shutdown_and_free (client);
}

static void
test_certificate (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *shown_lower = NULL;
  const char *fingerprint = talk_test_prosody_get_fingerprint (prosody);
  TalkClient *client = NULL;
  TalkAccount *account;

  /* A first sign-in: a new account, nothing pinned. */
  reset_world (TRUE);
  client = talk_client_new ();
  g_assert_false (sign_in (client, "alice-secret", TRUE, &error));
  g_assert_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_CERTIFICATE);
  g_assert_cmpint (talk_client_get_status (client), ==, TALK_CLIENT_STATUS_CERTIFICATE);
  g_assert_cmpstr (talk_client_get_certificate_fingerprint (client), ==, fingerprint);
  /* The fixture's certificate is self-signed: no known issuer. */
  g_assert_cmpint (talk_client_get_certificate_errors (client) & G_TLS_CERTIFICATE_UNKNOWN_CA, !=, 0);
  g_assert_nonnull (talk_client_get_error (client));
  account = talk_client_get_account (client);
  g_assert_nonnull (account);
  g_assert_null (talk_account_get_pinned_certificate (account));

  /* Only the certificate shown can be trusted. */
  talk_client_trust_certificate (client, OTHER_FINGERPRINT);
  g_assert_cmpint (talk_client_get_status (client), ==, TALK_CLIENT_STATUS_CERTIFICATE);
  g_assert_cmpstr (talk_client_get_certificate_fingerprint (client), ==, fingerprint);
  g_assert_null (talk_account_get_pinned_certificate (account));

  /* The same fingerprint, however it is written. */
  shown_lower = g_ascii_strdown (fingerprint, -1);
  talk_client_trust_certificate (client, shown_lower);
  wait_status (client, TALK_CLIENT_STATUS_ONLINE, 30000);
  g_assert_cmpstr (talk_account_get_pinned_certificate (account), ==, fingerprint);
  g_assert_null (talk_client_get_certificate_fingerprint (client));
  g_assert_cmpint (talk_client_get_certificate_errors (client), ==, 0);

  /* The password given with the sign-in is stored now that it worked. */
  g_assert_true (talk_test_wait_for (password_saved, client, 30000));
  assert_keyring_has (ALICE, "alice-secret");

  /* Trusting is refused when nothing is asked. */
  talk_client_trust_certificate (client, fingerprint);
  g_assert_cmpint (talk_client_get_status (client), ==, TALK_CLIENT_STATUS_ONLINE);

  shutdown_and_free (client);
}

static gboolean
waiting_with_time (gpointer data)
{
  TalkClient *client = data;

  return talk_client_get_status (client) == TALK_CLIENT_STATUS_WAITING &&
         talk_client_get_reconnect_at (client) > 0;
}

static void
test_reconnect (void)
{
  g_autoptr(GError) error = NULL;
  TalkClient *client = NULL;

  reset_world (TRUE);
  make_pinned_account ();
  client = talk_client_new ();
  sign_in_ok (client, FALSE);
  g_object_set (talk_client_get_session (client),
                "backoff-base-ms", 200,
                "backoff-max-ms", 1000,
                NULL);

  talk_test_prosody_stop (prosody);
  g_assert_true (talk_test_wait_for (waiting_with_time, client, 30000));
  g_assert_nonnull (talk_client_get_error (client));
  g_test_message ("waiting: %s", talk_client_get_error (client));

  g_assert_true (talk_test_prosody_restart (prosody, &error));
  g_assert_no_error (error);
  wait_status (client, TALK_CLIENT_STATUS_ONLINE, 30000);
  g_assert_cmpint (talk_client_get_reconnect_at (client), ==, 0);
  g_assert_null (talk_client_get_error (client));

  shutdown_and_free (client);
}

static void
test_keyring_unavailable (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(GTestDBus) bus = g_test_dbus_new (G_TEST_DBUS_NONE);
      g_autoptr(GError) error = NULL;
      TalkClient *client = NULL;
      guint not_saved = 0;

      /* A private bus where nobody provides org.freedesktop.secrets. */
      g_test_dbus_up (bus);

      reset_world (FALSE);
      make_pinned_account ();
      client = talk_client_new ();
      talk_client_start (client);
      wait_status (client, TALK_CLIENT_STATUS_NEEDS_PASSWORD, 30000);
      g_assert_cmpstr (talk_client_get_error (client), ==,
                       "The system keyring is not available, so Talk cannot use a saved password");

      /* The sign-in stands; only the password could not be kept, and the
       * UI is told so once. */
      g_signal_connect_swapped (client, "password-not-saved", G_CALLBACK (count_cb), &not_saved);
      g_assert_true (sign_in (client, "alice-secret", TRUE, &error));
      g_assert_no_error (error);
      g_assert_cmpint (talk_client_get_status (client), ==, TALK_CLIENT_STATUS_ONLINE);
      g_assert_false (talk_client_get_password_saved (client));
      g_assert_cmpuint (not_saved, ==, 1);
      shutdown_and_free (client);

      /* libsecret holds the connection; g_test_dbus_down() waits for it. */
      secret_service_disconnect ();
      g_test_dbus_down (bus);
      return;
    }

  g_test_trap_subprocess (NULL, 120 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

static gboolean
keyring_empty (gpointer data)
{
  char *password = keyring_lookup (data);

  if (password == NULL)
    return TRUE;
  talk_keyring_password_free (password);
  return FALSE;
}

static void
test_forget (void)
{
  g_autoptr(GPtrArray) accounts = NULL;
  TalkClient *client = NULL;
  GListModel *roster;

  reset_world (TRUE);
  make_pinned_account ();
  client = talk_client_new ();
  sign_in_ok (client, TRUE);
  assert_keyring_has (ALICE, "alice-secret");

  talk_client_forget_account (client);
  g_assert_cmpint (talk_client_get_status (client), ==, TALK_CLIENT_STATUS_NO_ACCOUNT);
  g_assert_null (talk_client_get_account (client));
  g_assert_null (talk_client_get_jid (client));
  g_assert_null (talk_client_get_session (client));
  g_assert_false (talk_client_get_password_saved (client));
  roster = talk_client_get_roster (client);
  g_assert_cmpuint (g_list_model_get_n_items (roster), ==, 0);

  accounts = talk_account_load_all ();
  g_assert_cmpuint (accounts->len, ==, 0);
  g_assert_true (talk_test_wait_for (keyring_empty, (gpointer) ALICE, 10000));

  shutdown_and_free (client);
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

  g_test_add_func ("/talk/integration/client/no-account", test_no_account);
  g_test_add_func ("/talk/integration/client/sign-in", test_sign_in);
  g_test_add_func ("/talk/integration/client/presence", test_presence);
  g_test_add_func ("/talk/integration/client/next-start", test_next_start);
  g_test_add_func ("/talk/integration/client/no-stored-password", test_no_stored_password);
  g_test_add_func ("/talk/integration/client/wrong-password", test_wrong_password);
  g_test_add_func ("/talk/integration/client/certificate", test_certificate);
  g_test_add_func ("/talk/integration/client/keyring-unavailable", test_keyring_unavailable);
  g_test_add_func ("/talk/integration/client/forget", test_forget);
  g_test_add_func ("/talk/integration/client/reconnect", test_reconnect);

  ret = g_test_run ();
  talk_test_prosody_free (prosody);
  return ret;
}
