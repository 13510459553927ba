/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * TalkChats against a real Prosody: alice through TalkClient (her history
 * in the test's own data dir), bob as a plain session with the message
 * module, and for carbons a second resource of alice's as a plain session.
 *
 * - incoming messages reach the conversation in order, announced with
 *   notify, and bob gets the receipts he asked for; displayed marker;
 * - outgoing: pending → sent → delivered → read, with an origin-id; an
 *   error from the addressee fails the message;
 * - chat states both ways; a carbon of a message sent from alice's other
 *   device shows as hers, without notification;
 * - messages written while alice's client was shut down come from the
 *   archive exactly once, and a restart shows the same history;
 * - messages typed while the server is down are delivered once it is back,
 *   exactly once, also across a restart of the client;
 * - corrections from bob apply; a correction by bob of alice's message is
 *   refused; older pages come from the archive.
 *
 * Each test has a server and a history of its own.
 */

#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib/gstdio.h>

#include "talk-client.h"
#include "talk-test-peer.h"
#include "talk-test-prosody.h"

#define ALICE  "alice@" TALK_TEST_DOMAIN
#define BOB    "bob@" TALK_TEST_DOMAIN
#define NOBODY "nobody@" TALK_TEST_DOMAIN

#define WAIT_MS 30000

/* A plain session: bob, or another device of alice's */

typedef struct
{
  TalkXmppSession  *session;
  TalkXmppMessage  *message;
  TalkXmppCarbons  *carbons;
  TalkXmppRoster   *roster;
  TalkXmppPresence *presence;
  GPtrArray        *received;     /* TalkXmppMessageInfo */

  /* for the subscription handshake */
  char                 *other;
  gboolean              subscribe_back;
  TalkXmppSubscription  subscription;
  gboolean              other_available;
} Plain;

static void
collect_cb (GObject             *source,
            TalkXmppMessageInfo *info,
            GPtrArray           *array)
{
  g_ptr_array_add (array, talk_xmpp_message_info_ref (info));
}

static gboolean
result_set (gpointer data)
{
  return *(GAsyncResult **) data != NULL;
}

static void
plain_subscription_request_cb (TalkXmppPresence *presence,
                               const char       *jid,
                               const char       *nick,
                               Plain            *plain)
{
  g_autoptr(GError) error = NULL;

  if (!g_str_has_prefix (jid, plain->other))
    return;
  g_assert_true (talk_xmpp_presence_approve (presence, plain->other, &error));
  g_assert_no_error (error);
  if (plain->subscribe_back)
    {
      g_assert_true (talk_xmpp_presence_subscribe (presence, plain->other, &error));
      g_assert_no_error (error);
    }
}

static void
plain_item_updated_cb (TalkXmppRoster     *roster,
                       TalkXmppRosterItem *item,
                       Plain              *plain)
{
  if (g_strcmp0 (talk_xmpp_roster_item_get_jid (item), plain->other) == 0)
    plain->subscription = talk_xmpp_roster_item_get_subscription (item);
}

static void
plain_presence_changed_cb (TalkXmppPresence     *presence,
                           const char           *jid,
                           TalkXmppPresenceShow  show,
                           const char           *status,
                           int                   priority,
                           Plain                *plain)
{
  if (g_str_has_prefix (jid, plain->other))
    plain->other_available = show != TALK_XMPP_PRESENCE_SHOW_OFFLINE;
}

static Plain *
plain_new (TalkTestProsody *prosody,
           const char      *user,
           const char      *resource,
           const char      *other)
{
  g_autofree char *jid_text = g_strdup_printf ("%s@%s", user, TALK_TEST_DOMAIN);
  g_autofree char *password = g_strdup_printf ("%s-secret", user);
  g_autoptr(TalkXmppJid) jid = talk_xmpp_jid_new (jid_text, NULL);
  Plain *plain = g_new0 (Plain, 1);

  plain->session = talk_xmpp_session_new (jid);
  g_object_set (plain->session, "auto-reconnect", FALSE, "resource", resource, NULL);
  talk_xmpp_session_set_password (plain->session, password);
  talk_xmpp_session_set_host (plain->session, "127.0.0.1", talk_test_prosody_get_port (prosody),
                              FALSE);
  talk_xmpp_session_set_pinned_certificate (plain->session,
                                            talk_test_prosody_get_fingerprint (prosody));
  plain->message = talk_xmpp_message_new (plain->session);
  plain->carbons = talk_xmpp_carbons_new (plain->session);
  plain->roster = talk_xmpp_roster_new (plain->session);
  plain->presence = talk_xmpp_presence_new (plain->session);
  plain->received = g_ptr_array_new_with_free_func ((GDestroyNotify) talk_xmpp_message_info_unref);
  plain->other = g_strdup (other);

  g_signal_connect (plain->message, "message-received", G_CALLBACK (collect_cb),
                    plain->received);
  g_signal_connect (plain->presence, "subscription-request",
                    G_CALLBACK (plain_subscription_request_cb), plain);
  g_signal_connect (plain->roster, "item-updated", G_CALLBACK (plain_item_updated_cb), plain);
  g_signal_connect (plain->presence, "presence-changed", G_CALLBACK (plain_presence_changed_cb),
                    plain);
  return plain;
}

/* Online and available, the roster first (RFC 6121 §4.2). */
static void
plain_connect (Plain *plain)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GAsyncResult) fetched = NULL;
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(GError) error = NULL;

  talk_xmpp_session_connect_async (plain->session, NULL, talk_test_store_result_cb, &result);
  g_assert_true (talk_test_wait_for (result_set, &result, WAIT_MS));
  g_assert_true (talk_xmpp_session_connect_finish (plain->session, result, &error));
  g_assert_no_error (error);

  talk_xmpp_roster_fetch_async (plain->roster, NULL, NULL, talk_test_store_result_cb, &fetched);
  g_assert_true (talk_test_wait_for (result_set, &fetched, WAIT_MS));
  g_assert_true (talk_xmpp_roster_fetch_finish (plain->roster, fetched, &items, NULL, &error));
  g_assert_no_error (error);
  for (guint i = 0; items != NULL && i < items->len; i++)
    plain_item_updated_cb (plain->roster, g_ptr_array_index (items, i), plain);

  g_assert_true (talk_xmpp_presence_send_own (plain->presence, TALK_XMPP_PRESENCE_SHOW_AVAILABLE,
                                              NULL, 0));
}

/* A round trip: the server has processed what was sent before. */
static void
plain_sync (Plain *plain)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  talk_xmpp_session_ping_async (plain->session, NULL, NULL, talk_test_store_result_cb, &result);
  g_assert_true (talk_test_wait_for (result_set, &result, WAIT_MS));
  g_assert_true (talk_xmpp_session_ping_finish (plain->session, result, &error));
  g_assert_no_error (error);
}

static void
plain_disconnect (Plain *plain)
{
  g_autoptr(GAsyncResult) result = NULL;

  if (talk_xmpp_session_get_state (plain->session) == TALK_XMPP_SESSION_STATE_DISCONNECTED)
    return;
  talk_xmpp_session_disconnect_async (plain->session, NULL, talk_test_store_result_cb, &result);
  g_assert_true (talk_test_wait_for (result_set, &result, WAIT_MS));
  talk_xmpp_session_disconnect_finish (plain->session, result, NULL);
}

static void
plain_free (Plain *plain)
{
  plain_disconnect (plain);
  g_signal_handlers_disconnect_by_data (plain->message, plain->received);
  g_signal_handlers_disconnect_by_data (plain->presence, plain);
  g_signal_handlers_disconnect_by_data (plain->roster, plain);
  g_clear_object (&plain->presence);
  g_clear_object (&plain->roster);
  g_clear_object (&plain->carbons);
  g_clear_object (&plain->message);
  g_clear_object (&plain->session);
  g_ptr_array_unref (plain->received);
  g_free (plain->other);
  g_free (plain);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Plain, plain_free)

static char *
plain_send (Plain      *plain,
            const char *to,
            const char *body)
{
  g_autoptr(GError) error = NULL;
  char *id = talk_xmpp_message_send_chat (plain->message, to, body, NULL, &error);

  g_assert_no_error (error);
  return id;
}

/* The received messages with a body, and one by its body. */
static guint
plain_count_bodies (Plain *plain)
{
  guint n = 0;

  for (guint i = 0; i < plain->received->len; i++)
    if (talk_xmpp_message_info_get_body (g_ptr_array_index (plain->received, i)) != NULL)
      n++;
  return n;
}

static TalkXmppMessageInfo *
plain_find (Plain      *plain,
            const char *body)
{
  for (guint i = 0; i < plain->received->len; i++)
    {
      TalkXmppMessageInfo *info = g_ptr_array_index (plain->received, i);

      if (g_strcmp0 (talk_xmpp_message_info_get_body (info), body) == 0)
        return info;
    }
  return NULL;
}

static TalkXmppMessageInfo *
plain_find_report (Plain      *plain,
                   const char *receipt_id,
                   const char *displayed_id)
{
  for (guint i = 0; i < plain->received->len; i++)
    {
      TalkXmppMessageInfo *info = g_ptr_array_index (plain->received, i);

      if ((receipt_id != NULL &&
           g_strcmp0 (talk_xmpp_message_info_get_receipt_id (info), receipt_id) == 0) ||
          (displayed_id != NULL &&
           g_strcmp0 (talk_xmpp_message_info_get_displayed_id (info), displayed_id) == 0))
        return info;
    }
  return NULL;
}

static guint
plain_count_displayed (Plain      *plain,
                       const char *displayed_id)
{
  guint n = 0;

  for (guint i = 0; i < plain->received->len; i++)
    if (g_strcmp0 (talk_xmpp_message_info_get_displayed_id (g_ptr_array_index (plain->received, i)),
                   displayed_id) == 0)
      n++;
  return n;
}

static guint
plain_count_origin_id (Plain      *plain,
                       const char *origin_id)
{
  guint n = 0;

  for (guint i = 0; i < plain->received->len; i++)
    {
      TalkXmppMessageInfo *info = g_ptr_array_index (plain->received, i);

      if (talk_xmpp_message_info_get_body (info) != NULL &&
          g_strcmp0 (talk_xmpp_message_info_get_origin_id (info), origin_id) == 0)
        n++;
    }
  return n;
}

static TalkXmppChatState
plain_last_chat_state (Plain *plain)
{
  for (guint i = plain->received->len; i > 0; i--)
    {
      TalkXmppChatState state =
        talk_xmpp_message_info_get_chat_state (g_ptr_array_index (plain->received, i - 1));

      if (state != TALK_XMPP_CHAT_STATE_NONE)
        return state;
    }
  return TALK_XMPP_CHAT_STATE_NONE;
}

/* alice and bob in each other's roster, both ways (RFC 6121 §3.1): bob
 * then gets receipts and markers (XEP-0184 #security). */
static void
make_contacts (TalkTestProsody *prosody)
{
  g_autoptr(Plain) alice = plain_new (prosody, "alice", "setup", BOB);
  g_autoptr(Plain) bob = plain_new (prosody, "bob", "setup", ALICE);
  g_autoptr(GError) error = NULL;

  bob->subscribe_back = TRUE;
  plain_connect (alice);
  plain_connect (bob);
  g_assert_true (talk_xmpp_presence_subscribe (alice->presence, BOB, &error));
  g_assert_no_error (error);
  TALK_TEST_WAIT_UNTIL (alice->subscription == TALK_XMPP_SUBSCRIPTION_BOTH &&
                        bob->subscription == TALK_XMPP_SUBSCRIPTION_BOTH, WAIT_MS);
}

/* Alice: TalkClient */

typedef struct
{
  char        *peer;
  TalkMessage *message;
  gboolean     notify;
} Received;

static void
received_free (Received *received)
{
  g_free (received->peer);
  g_object_unref (received->message);
  g_free (received);
}

typedef struct
{
  TalkTestProsody   *prosody;
  TalkClient        *client;
  TalkChats         *chats;
  GPtrArray         *received;       /* Received */
  TalkXmppChatState  bob_state;
  guint              n_state_changes;
  guint              bob_unread;
  guint              n_unread_changes;
} Alice;

static void
alice_message_received_cb (TalkChats   *chats,
                           const char  *peer,
                           TalkMessage *message,
                           gboolean     notify,
                           Alice       *alice)
{
  Received *received = g_new0 (Received, 1);

  received->peer = g_strdup (peer);
  received->message = g_object_ref (message);
  received->notify = notify;
  g_ptr_array_add (alice->received, received);
}

static void
alice_chat_state_changed_cb (TalkChats         *chats,
                             const char        *peer,
                             TalkXmppChatState  state,
                             Alice             *alice)
{
  if (g_strcmp0 (peer, BOB) != 0)
    return;
  alice->bob_state = state;
  alice->n_state_changes++;
}

static void
alice_unread_changed_cb (TalkChats  *chats,
                         const char *peer,
                         guint       count,
                         Alice      *alice)
{
  if (g_strcmp0 (peer, BOB) != 0)
    return;
  alice->bob_unread = count;
  alice->n_unread_changes++;
}

static gboolean
contact_listed (TalkClient *client,
                const char *jid)
{
  GListModel *roster = talk_client_get_roster (client);

  for (guint i = 0; i < g_list_model_get_n_items (roster); i++)
    {
      g_autoptr(TalkContact) contact = g_list_model_get_item (roster, i);

      if (g_strcmp0 (talk_contact_get_jid (contact), jid) == 0)
        return TRUE;
    }
  return FALSE;
}

static Alice *
alice_start (TalkTestProsody *prosody)
{
  Alice *alice = g_new0 (Alice, 1);

  alice->prosody = prosody;
  alice->received = g_ptr_array_new_with_free_func ((GDestroyNotify) received_free);
  alice->client = talk_client_new ();
  talk_client_start_with_password (alice->client, ALICE, "alice-secret", "127.0.0.1",
                                   talk_test_prosody_get_port (prosody),
                                   talk_test_prosody_get_fingerprint (prosody));
  g_object_set (talk_client_get_session (alice->client),
                "backoff-base-ms", 200,
                "backoff-max-ms", 1000,
                NULL);

  alice->chats = talk_client_get_chats (alice->client);
  g_assert_nonnull (alice->chats);
  g_assert_cmpstr (talk_chats_get_account (alice->chats), ==, ALICE);
  g_signal_connect (alice->chats, "message-received",
                    G_CALLBACK (alice_message_received_cb), alice);
  g_signal_connect (alice->chats, "chat-state-changed",
                    G_CALLBACK (alice_chat_state_changed_cb), alice);
  g_signal_connect (alice->chats, "unread-changed",
                    G_CALLBACK (alice_unread_changed_cb), alice);

  TALK_TEST_WAIT_UNTIL (talk_client_get_status (alice->client) == TALK_CLIENT_STATUS_ONLINE,
                        WAIT_MS);
  return alice;
}

static void
alice_wait_for_bob_listed (Alice *alice)
{
  TALK_TEST_WAIT_UNTIL (contact_listed (alice->client, BOB), WAIT_MS);
}

/* Shuts the client down as the app does on quit, and waits until its
 * history has closed the database. */
static void
alice_stop (Alice *alice)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  TalkHistory *history = talk_chats_get_history (alice->chats);
  TalkClient *client = alice->client;

  g_object_add_weak_pointer (G_OBJECT (history), (gpointer *) &history);
  g_signal_handlers_disconnect_by_data (alice->chats, alice);

  talk_client_shutdown_async (client, NULL, talk_test_store_result_cb, &result);
  g_assert_true (talk_test_wait_for (result_set, &result, WAIT_MS));
  g_assert_true (talk_client_shutdown_finish (client, result, &error));
  g_assert_no_error (error);
  /* The task holds the client. */
  g_clear_object (&result);

  g_object_add_weak_pointer (G_OBJECT (client), (gpointer *) &client);
  g_object_unref (client);
  g_assert_null (client);
  TALK_TEST_WAIT_UNTIL (history == NULL, WAIT_MS);

  g_ptr_array_unref (alice->received);
  g_free (alice);
}

static TalkConversation *
alice_open (Alice *alice)
{
  TalkConversation *conversation = talk_chats_open_conversation (alice->chats, BOB);
  g_autoptr(TalkConversation) again = NULL;

  g_assert_nonnull (conversation);
  TALK_TEST_WAIT_UNTIL (!talk_conversation_get_loading (conversation), WAIT_MS);

  /* The same model while someone holds it, however the JID is written */
  again = talk_chats_open_conversation (alice->chats, "Bob@localhost");
  g_assert_true (again == conversation);
  return conversation;
}

/* The conversation's messages */

static TalkMessage *
conversation_find (TalkConversation *conversation,
                   const char       *body)
{
  GListModel *model = G_LIST_MODEL (conversation);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(TalkMessage) message = g_list_model_get_item (model, i);

      if (g_strcmp0 (talk_message_get_body (message), body) == 0)
        return message;   /* the model keeps it */
    }
  return NULL;
}

static guint
conversation_count (TalkConversation *conversation,
                    const char       *body)
{
  GListModel *model = G_LIST_MODEL (conversation);
  guint n = 0;

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(TalkMessage) message = g_list_model_get_item (model, i);

      if (g_strcmp0 (talk_message_get_body (message), body) == 0)
        n++;
    }
  return n;
}

/* -1 while the message is not in the model */
static int
state_of (TalkConversation *conversation,
          const char       *body)
{
  TalkMessage *message = conversation_find (conversation, body);

  return message != NULL ? (int) talk_message_get_state (message) : -1;
}

static guint
n_items (TalkConversation *conversation)
{
  return g_list_model_get_n_items (G_LIST_MODEL (conversation));
}

static const char *
body_at (TalkConversation *conversation,
         guint             position)
{
  g_autoptr(TalkMessage) message = g_list_model_get_item (G_LIST_MODEL (conversation), position);

  return message != NULL ? talk_message_get_body (message) : NULL;
}

static Received *
alice_find_received (Alice      *alice,
                     const char *body)
{
  for (guint i = 0; i < alice->received->len; i++)
    {
      Received *received = g_ptr_array_index (alice->received, i);

      if (g_strcmp0 (talk_message_get_body (received->message), body) == 0)
        return received;
    }
  return NULL;
}

/* Fixture */

/* A fresh server with alice and bob as contacts, and no history. */
static TalkTestProsody *
fixture_start (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = talk_history_dup_default_path ();
  const char *suffixes[] = { "", "-wal", "-shm", "-open" };
  TalkTestProsody *prosody;

  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *file = g_strconcat (path, suffixes[i], NULL);

      if (g_unlink (file) != 0 && errno != ENOENT)
        g_error ("Cannot remove %s: %s", file, g_strerror (errno));
    }

  prosody = talk_test_prosody_start (&error);
  g_assert_no_error (error);
  make_contacts (prosody);
  return prosody;
}

/* Cases */

static void
test_incoming (void)
{
  g_autoptr(TalkTestProsody) prosody = fixture_start ();
  g_autoptr(Plain) bob = plain_new (prosody, "bob", "phone", ALICE);
  g_autoptr(TalkConversation) conversation = NULL;
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  const char *bodies[3] = { "one", "two", "three" };
  Alice *alice;

  alice = alice_start (prosody);
  alice_wait_for_bob_listed (alice);
  conversation = alice_open (alice);
  g_assert_cmpuint (n_items (conversation), ==, 0);
  plain_connect (bob);

  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    g_ptr_array_add (ids, plain_send (bob, ALICE, bodies[i]));

  TALK_TEST_WAIT_UNTIL (n_items (conversation) == 3 && alice->received->len == 3, WAIT_MS);
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(TalkMessage) message = g_list_model_get_item (G_LIST_MODEL (conversation), i);
      Received *received = g_ptr_array_index (alice->received, i);

      g_assert_cmpstr (talk_message_get_body (message), ==, bodies[i]);
      g_assert_cmpint (talk_message_get_direction (message), ==, TALK_MESSAGE_DIRECTION_IN);
      g_assert_cmpstr (talk_message_get_peer (message), ==, BOB);
      g_assert_cmpstr (talk_message_get_sender (message), ==, BOB "/phone");
      g_assert_cmpstr (talk_message_get_origin_id (message), ==, g_ptr_array_index (ids, i));
      /* Prosody vouches for its stanza-ids (urn:xmpp:sid:0) */
      g_assert_nonnull (talk_message_get_stanza_id (message));
      g_assert_cmpstr (talk_message_get_stanza_id_by (message), ==, ALICE);

      /* Announced once stored, the model's own object, for a notification */
      g_assert_true (received->message == message);
      g_assert_cmpstr (received->peer, ==, BOB);
      g_assert_true (received->notify);
    }

  /* Receipts, which bob asked for (XEP-0184), once stored */
  for (guint i = 0; i < 3; i++)
    TALK_TEST_WAIT_UNTIL (plain_find_report (bob, g_ptr_array_index (ids, i), NULL) != NULL,
                          WAIT_MS);

  TALK_TEST_WAIT_UNTIL (alice->bob_unread == 3, WAIT_MS);
  g_assert_cmpuint (talk_chats_get_unread (alice->chats, BOB), ==, 3);

  /* Seen: nothing unread, and one displayed marker for the newest */
  talk_chats_mark_displayed (alice->chats, BOB);
  TALK_TEST_WAIT_UNTIL (alice->bob_unread == 0, WAIT_MS);
  g_assert_cmpuint (talk_chats_get_unread (alice->chats, BOB), ==, 0);
  TALK_TEST_WAIT_UNTIL (plain_find_report (bob, NULL, g_ptr_array_index (ids, 2)) != NULL,
                        WAIT_MS);
  g_assert_null (plain_find_report (bob, NULL, g_ptr_array_index (ids, 0)));

  g_clear_object (&conversation);
  alice_stop (alice);
}

typedef struct
{
  TalkConversation *conversation;
  const char       *body;
  TalkMessage      *message;
  GArray           *states;      /* TalkMessageState as seen */
} Watch;

static void
watch_state_cb (TalkMessage *message,
                GParamSpec  *pspec,
                Watch       *watch)
{
  TalkMessageState state = talk_message_get_state (message);

  g_array_append_val (watch->states, state);
}

/* Catches the message with @body as it enters the model. */
static void
watch_items_changed_cb (GListModel *model,
                        guint       position,
                        guint       removed,
                        guint       added,
                        Watch      *watch)
{
  for (guint i = position; watch->message == NULL && i < position + added; i++)
    {
      g_autoptr(TalkMessage) message = g_list_model_get_item (model, i);
      TalkMessageState state;

      if (g_strcmp0 (talk_message_get_body (message), watch->body) != 0)
        continue;

      watch->message = message;
      state = talk_message_get_state (message);
      g_array_append_val (watch->states, state);
      g_signal_connect (message, "notify::state", G_CALLBACK (watch_state_cb), watch);
    }
}

static void
watch_init (Watch            *watch,
            TalkConversation *conversation,
            const char       *body)
{
  watch->conversation = conversation;
  watch->body = body;
  watch->message = NULL;
  watch->states = g_array_new (FALSE, FALSE, sizeof (TalkMessageState));
  g_signal_connect (conversation, "items-changed", G_CALLBACK (watch_items_changed_cb), watch);
}

static void
watch_clear (Watch *watch)
{
  g_signal_handlers_disconnect_by_data (watch->conversation, watch);
  if (watch->message != NULL)
    g_signal_handlers_disconnect_by_data (watch->message, watch);
  g_array_unref (watch->states);
}

static TalkMessageState
watch_state (Watch *watch,
             guint  i)
{
  return g_array_index (watch->states, TalkMessageState, i);
}

static void
test_outgoing (void)
{
  g_autoptr(TalkTestProsody) prosody = fixture_start ();
  g_autoptr(Plain) bob = plain_new (prosody, "bob", "phone", ALICE);
  g_autoptr(TalkConversation) conversation = NULL;
  g_autoptr(TalkConversation) nobody = NULL;
  g_autoptr(GError) error = NULL;
  TalkXmppMessageInfo *info;
  TalkMessage *failed;
  Watch watch;
  Alice *alice;

  plain_connect (bob);
  alice = alice_start (prosody);
  alice_wait_for_bob_listed (alice);
  conversation = alice_open (alice);

  watch_init (&watch, conversation, "Hello Bob");
  talk_chats_send_message (alice->chats, BOB, "Hello Bob");

  /* In the model at once, as pending */
  TALK_TEST_WAIT_UNTIL (watch.message != NULL, WAIT_MS);
  g_assert_cmpint (watch_state (&watch, 0), ==, TALK_MESSAGE_STATE_PENDING);
  g_assert_cmpint (talk_message_get_direction (watch.message), ==, TALK_MESSAGE_DIRECTION_OUT);
  g_assert_nonnull (talk_message_get_origin_id (watch.message));
  g_assert_true (talk_chats_get_last_outgoing (alice->chats, BOB) == watch.message);

  /* bob gets it with the origin-id, and the server's ack makes it sent */
  TALK_TEST_WAIT_UNTIL ((info = plain_find (bob, "Hello Bob")) != NULL, WAIT_MS);
  g_assert_cmpstr (talk_xmpp_message_info_get_origin_id (info), ==,
                   talk_message_get_origin_id (watch.message));
  g_assert_cmpstr (talk_xmpp_message_info_get_id (info), ==,
                   talk_message_get_origin_id (watch.message));
  g_assert_true (talk_xmpp_message_info_wants_receipt (info));
  TALK_TEST_WAIT_UNTIL (talk_message_get_state (watch.message) == TALK_MESSAGE_STATE_SENT,
                        WAIT_MS);

  /* bob's receipt: delivered; his displayed marker: read */
  g_assert_true (talk_xmpp_message_send_receipt (bob->message, info, &error));
  g_assert_no_error (error);
  TALK_TEST_WAIT_UNTIL (talk_message_get_state (watch.message) == TALK_MESSAGE_STATE_DELIVERED,
                        WAIT_MS);
  g_assert_true (talk_xmpp_message_send_displayed (bob->message, ALICE,
                                                   talk_xmpp_message_info_get_id (info),
                                                   TALK_XMPP_MESSAGE_TYPE_CHAT, &error));
  g_assert_no_error (error);
  TALK_TEST_WAIT_UNTIL (talk_message_get_state (watch.message) == TALK_MESSAGE_STATE_READ,
                        WAIT_MS);

  /* Each state once, in order */
  g_assert_cmpuint (watch.states->len, ==, 4);
  g_assert_cmpint (watch_state (&watch, 1), ==, TALK_MESSAGE_STATE_SENT);
  g_assert_cmpint (watch_state (&watch, 2), ==, TALK_MESSAGE_STATE_DELIVERED);
  g_assert_cmpint (watch_state (&watch, 3), ==, TALK_MESSAGE_STATE_READ);
  watch_clear (&watch);

  /* Sent once: bob never saw a second copy */
  plain_sync (bob);
  g_assert_cmpuint (plain_count_origin_id (bob, talk_message_get_origin_id (watch.message)), ==, 1);

  /* An address that does not exist: the server's error fails it */
  nobody = talk_chats_open_conversation (alice->chats, NOBODY);
  TALK_TEST_WAIT_UNTIL (!talk_conversation_get_loading (nobody), WAIT_MS);
  talk_chats_send_message (alice->chats, NOBODY, "Anyone there?");
  TALK_TEST_WAIT_UNTIL ((failed = conversation_find (nobody, "Anyone there?")) != NULL &&
                        talk_message_get_state (failed) == TALK_MESSAGE_STATE_FAILED, WAIT_MS);
  g_assert_nonnull (talk_message_get_error (failed));
  g_test_message ("failed: %s", talk_message_get_error (failed));

  g_clear_object (&nobody);
  g_clear_object (&conversation);
  alice_stop (alice);
}

static void
test_chat_states (void)
{
  g_autoptr(TalkTestProsody) prosody = fixture_start ();
  g_autoptr(Plain) bob = plain_new (prosody, "bob", "phone", ALICE);
  g_autoptr(GError) error = NULL;
  guint n_composing = 0;
  Alice *alice;

  plain_connect (bob);
  alice = alice_start (prosody);
  alice_wait_for_bob_listed (alice);
  /* A chat state reaches only a resource that is available. */
  TALK_TEST_WAIT_UNTIL (bob->other_available, WAIT_MS);

  g_assert_cmpint (talk_chats_get_peer_chat_state (alice->chats, BOB), ==,
                   TALK_XMPP_CHAT_STATE_NONE);
  g_assert_true (talk_xmpp_message_send_chat_state (bob->message, ALICE,
                                                    TALK_XMPP_CHAT_STATE_COMPOSING, &error));
  g_assert_no_error (error);
  TALK_TEST_WAIT_UNTIL (alice->bob_state == TALK_XMPP_CHAT_STATE_COMPOSING, WAIT_MS);
  g_assert_cmpint (talk_chats_get_peer_chat_state (alice->chats, BOB), ==,
                   TALK_XMPP_CHAT_STATE_COMPOSING);

  g_assert_true (talk_xmpp_message_send_chat_state (bob->message, ALICE,
                                                    TALK_XMPP_CHAT_STATE_PAUSED, &error));
  TALK_TEST_WAIT_UNTIL (alice->bob_state == TALK_XMPP_CHAT_STATE_PAUSED, WAIT_MS);

  /* His message ends the typing */
  g_free (plain_send (bob, ALICE, "Done typing"));
  TALK_TEST_WAIT_UNTIL (alice->bob_state == TALK_XMPP_CHAT_STATE_ACTIVE, WAIT_MS);

  /* And hers go to him: composing, then active when the text is gone */
  talk_chats_set_chat_visible (alice->chats, BOB, TRUE);
  talk_chats_composer_changed (alice->chats, BOB, TRUE);
  TALK_TEST_WAIT_UNTIL (plain_last_chat_state (bob) == TALK_XMPP_CHAT_STATE_COMPOSING, WAIT_MS);
  talk_chats_composer_changed (alice->chats, BOB, TRUE);
  talk_chats_composer_changed (alice->chats, BOB, FALSE);
  TALK_TEST_WAIT_UNTIL (plain_last_chat_state (bob) == TALK_XMPP_CHAT_STATE_ACTIVE, WAIT_MS);

  /* One composing for two changes: states are sent on change only */
  plain_sync (bob);
  for (guint i = 0; i < bob->received->len; i++)
    if (talk_xmpp_message_info_get_chat_state (g_ptr_array_index (bob->received, i)) ==
        TALK_XMPP_CHAT_STATE_COMPOSING)
      n_composing++;
  g_assert_cmpuint (n_composing, ==, 1);

  alice_stop (alice);
}

static void
test_carbon_sent (void)
{
  g_autoptr(TalkTestProsody) prosody = fixture_start ();
  g_autoptr(Plain) bob = plain_new (prosody, "bob", "phone", ALICE);
  g_autoptr(Plain) phone = plain_new (prosody, "alice", "phone", BOB);
  g_autoptr(TalkConversation) conversation = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *got_it = NULL;
  g_autofree char *id = NULL;
  TalkMessage *message;
  Received *received;
  Alice *alice;

  plain_connect (bob);
  alice = alice_start (prosody);
  conversation = alice_open (alice);
  plain_connect (phone);
  TALK_TEST_WAIT_UNTIL (talk_xmpp_carbons_get_enabled (phone->carbons), WAIT_MS);

  /* From alice's other device */
  id = plain_send (phone, BOB, "Sent from my phone");
  TALK_TEST_WAIT_UNTIL ((message = conversation_find (conversation, "Sent from my phone")) != NULL,
                        WAIT_MS);
  g_assert_cmpint (talk_message_get_direction (message), ==, TALK_MESSAGE_DIRECTION_OUT);
  g_assert_cmpint (talk_message_get_state (message), ==, TALK_MESSAGE_STATE_SENT);
  g_assert_cmpstr (talk_message_get_sender (message), ==, ALICE "/phone");
  g_assert_cmpstr (talk_message_get_origin_id (message), ==, id);

  received = alice_find_received (alice, "Sent from my phone");
  g_assert_nonnull (received);
  g_assert_false (received->notify);
  g_assert_cmpstr (received->peer, ==, BOB);

  /* bob's answer to alice's bare JID reaches both devices; the client
   * shows it once and notifies */
  got_it = plain_send (bob, ALICE, "Got it");
  TALK_TEST_WAIT_UNTIL (alice_find_received (alice, "Got it") != NULL, WAIT_MS);
  g_assert_true (alice_find_received (alice, "Got it")->notify);
  plain_sync (bob);
  g_assert_cmpuint (conversation_count (conversation, "Got it"), ==, 1);

  /* alice reads it on her phone: the phone's displayed marker comes here
   * as a carbon, so this client owes bob no marker of its own for it
   * (XEP-0333 §4), now or after a restart. What it sends later goes out
   * after any marker it would have sent, the history's jobs being run in
   * order. */
  g_assert_true (talk_xmpp_message_send_displayed (phone->message, BOB, got_it,
                                                   TALK_XMPP_MESSAGE_TYPE_CHAT, &error));
  g_assert_no_error (error);
  TALK_TEST_WAIT_UNTIL (plain_count_displayed (bob, got_it) == 1, WAIT_MS);
  TALK_TEST_WAIT_UNTIL (alice->bob_unread == 0, WAIT_MS);
  talk_chats_mark_displayed (alice->chats, BOB);
  talk_chats_send_message (alice->chats, BOB, "Seen on my phone");
  TALK_TEST_WAIT_UNTIL (plain_find (bob, "Seen on my phone") != NULL, WAIT_MS);
  g_assert_cmpuint (plain_count_displayed (bob, got_it), ==, 1);

  g_clear_object (&conversation);
  alice_stop (alice);
}

static void
test_catch_up (void)
{
  g_autoptr(TalkTestProsody) prosody = fixture_start ();
  g_autoptr(Plain) bob = plain_new (prosody, "bob", "phone", ALICE);
  const char *bodies[] = { "while you were out 1", "while you were out 2",
                           "while you were out 3" };
  guint before;
  guint total;
  Alice *alice;

  plain_connect (bob);

  /* A first run: one message, then quit */
  alice = alice_start (prosody);
  g_free (plain_send (bob, ALICE, "before"));
  TALK_TEST_WAIT_UNTIL (alice_find_received (alice, "before") != NULL, WAIT_MS);
  alice_stop (alice);

  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    g_free (plain_send (bob, ALICE, bodies[i]));
  plain_sync (bob);

  /* The next start reads them from the archive (and the server may also
   * deliver them as offline messages): each once, in order */
  {
    g_autoptr(TalkConversation) conversation = NULL;

    alice = alice_start (prosody);
    conversation = alice_open (alice);
    TALK_TEST_WAIT_UNTIL (conversation_find (conversation, bodies[2]) != NULL, WAIT_MS);
    plain_sync (bob);
    talk_test_run_for (500);

    total = n_items (conversation);
    g_assert_cmpuint (total, ==, 4);
    g_assert_cmpstr (body_at (conversation, 0), ==, "before");
    for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
      {
        g_assert_cmpstr (body_at (conversation, i + 1), ==, bodies[i]);
        g_assert_nonnull (alice_find_received (alice, bodies[i]));
      }
    before = alice->received->len;
    g_assert_cmpuint (before, ==, 3);
    g_clear_object (&conversation);
    alice_stop (alice);
  }

  /* A restart shows the same history, from the store, without copies */
  {
    g_autoptr(TalkConversation) conversation = NULL;

    alice = alice_start (prosody);
    conversation = alice_open (alice);
    g_assert_cmpuint (n_items (conversation), ==, total);
    talk_test_run_for (1000);
    g_assert_cmpuint (n_items (conversation), ==, total);
    g_assert_cmpuint (alice->received->len, ==, 0);
    for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
      g_assert_cmpuint (conversation_count (conversation, bodies[i]), ==, 1);
    g_clear_object (&conversation);
    alice_stop (alice);
  }
}

static gboolean
session_waiting (TalkClient *client)
{
  return talk_client_get_status (client) == TALK_CLIENT_STATUS_WAITING;
}

static void
test_offline_pending (void)
{
  g_autoptr(TalkTestProsody) prosody = fixture_start ();
  g_autoptr(Plain) bob = NULL;
  g_autoptr(TalkConversation) conversation = NULL;
  g_autoptr(GError) error = NULL;
  const char *bodies[] = { "typed offline 1", "typed offline 2", "typed before quitting" };
  g_autoptr(GPtrArray) origin_ids = g_ptr_array_new_with_free_func (g_free);
  Alice *alice;

  alice = alice_start (prosody);
  conversation = alice_open (alice);

  talk_test_prosody_stop (prosody);
  TALK_TEST_WAIT_UNTIL (session_waiting (alice->client), WAIT_MS);

  /* Stored at once, pending */
  talk_chats_send_message (alice->chats, BOB, bodies[0]);
  talk_chats_send_message (alice->chats, BOB, bodies[1]);
  TALK_TEST_WAIT_UNTIL (n_items (conversation) == 2, WAIT_MS);
  for (guint i = 0; i < 2; i++)
    {
      TalkMessage *message = conversation_find (conversation, bodies[i]);

      g_assert_cmpstr (body_at (conversation, i), ==, bodies[i]);
      g_assert_cmpint (talk_message_get_state (message), ==, TALK_MESSAGE_STATE_PENDING);
      g_ptr_array_add (origin_ids, g_strdup (talk_message_get_origin_id (message)));
    }

  /* Back: sent once, in order */
  g_assert_true (talk_test_prosody_restart (prosody, &error));
  g_assert_no_error (error);
  TALK_TEST_WAIT_UNTIL (talk_client_get_status (alice->client) == TALK_CLIENT_STATUS_ONLINE,
                        WAIT_MS);
  for (guint i = 0; i < 2; i++)
    TALK_TEST_WAIT_UNTIL (state_of (conversation, bodies[i]) == TALK_MESSAGE_STATE_SENT, WAIT_MS);

  /* A message typed offline survives quitting the app */
  talk_test_prosody_stop (prosody);
  TALK_TEST_WAIT_UNTIL (session_waiting (alice->client), WAIT_MS);
  talk_chats_send_message (alice->chats, BOB, bodies[2]);
  TALK_TEST_WAIT_UNTIL (conversation_find (conversation, bodies[2]) != NULL, WAIT_MS);
  g_assert_cmpint (state_of (conversation, bodies[2]), ==, TALK_MESSAGE_STATE_PENDING);
  g_ptr_array_add (origin_ids,
                   g_strdup (talk_message_get_origin_id (conversation_find (conversation,
                                                                            bodies[2]))));
  g_clear_object (&conversation);
  alice_stop (alice);

  g_assert_true (talk_test_prosody_restart (prosody, &error));
  g_assert_no_error (error);
  alice = alice_start (prosody);
  conversation = alice_open (alice);
  TALK_TEST_WAIT_UNTIL (state_of (conversation, bodies[2]) == TALK_MESSAGE_STATE_SENT, WAIT_MS);

  /* bob (offline all along) gets each exactly once, in order */
  bob = plain_new (prosody, "bob", "phone", ALICE);
  plain_connect (bob);
  TALK_TEST_WAIT_UNTIL (plain_count_bodies (bob) >= 3, WAIT_MS);
  plain_sync (bob);
  talk_test_run_for (1500);
  g_assert_cmpuint (plain_count_bodies (bob), ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      TalkXmppMessageInfo *info = g_ptr_array_index (bob->received, i);

      g_assert_cmpuint (plain_count_origin_id (bob, g_ptr_array_index (origin_ids, i)), ==, 1);
      g_assert_cmpstr (talk_xmpp_message_info_get_body (info), ==, bodies[i]);
    }
  g_assert_cmpuint (n_items (conversation), ==, 3);

  g_clear_object (&conversation);
  alice_stop (alice);
}

static void
test_corrections (void)
{
  g_autoptr(TalkTestProsody) prosody = fixture_start ();
  g_autoptr(Plain) bob = plain_new (prosody, "bob", "phone", ALICE);
  g_autoptr(TalkConversation) conversation = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  g_autofree char *correction_id = NULL;
  g_autofree char *forged_id = NULL;
  TalkXmppMessageInfo *hers;
  TalkMessage *message;
  TalkMessage *own;
  Alice *alice;

  plain_connect (bob);
  alice = alice_start (prosody);
  conversation = alice_open (alice);

  /* bob corrects his own message: the same row, new text, edited */
  id = plain_send (bob, ALICE, "Helo");
  TALK_TEST_WAIT_UNTIL ((message = conversation_find (conversation, "Helo")) != NULL, WAIT_MS);
  correction_id = talk_xmpp_message_send_correction (bob->message, ALICE, "Hello", id, NULL,
                                                     &error);
  g_assert_no_error (error);
  TALK_TEST_WAIT_UNTIL (g_strcmp0 (talk_message_get_body (message), "Hello") == 0, WAIT_MS);
  g_assert_true (talk_message_get_edited (message));
  g_assert_cmpuint (n_items (conversation), ==, 1);

  /* alice writes; bob "corrects" her message: refused (XEP-0308 §5) */
  talk_chats_send_message (alice->chats, BOB, "I owe you nothing");
  TALK_TEST_WAIT_UNTIL ((hers = plain_find (bob, "I owe you nothing")) != NULL, WAIT_MS);
  own = conversation_find (conversation, "I owe you nothing");
  g_assert_nonnull (own);
  forged_id = talk_xmpp_message_send_correction (bob->message, ALICE, "I owe you 1000 €",
                                                 talk_xmpp_message_info_get_id (hers), NULL,
                                                 &error);
  g_assert_no_error (error);

  /* bob's messages are handled in order: once this one is in, so was that */
  g_free (plain_send (bob, ALICE, "never mind"));
  TALK_TEST_WAIT_UNTIL (conversation_find (conversation, "never mind") != NULL, WAIT_MS);
  g_assert_cmpstr (talk_message_get_body (own), ==, "I owe you nothing");
  g_assert_false (talk_message_get_edited (own));
  g_assert_null (conversation_find (conversation, "I owe you 1000 €"));
  g_assert_cmpuint (n_items (conversation), ==, 3);

  /* alice corrects her last message: bob gets a XEP-0308 replace */
  g_assert_true (talk_chats_correct_last_message (alice->chats, BOB, "I owe you a coffee"));
  TALK_TEST_WAIT_UNTIL (g_strcmp0 (talk_message_get_body (own), "I owe you a coffee") == 0,
                        WAIT_MS);
  g_assert_true (talk_message_get_edited (own));
  TALK_TEST_WAIT_UNTIL ((hers = plain_find (bob, "I owe you a coffee")) != NULL, WAIT_MS);
  g_assert_cmpstr (talk_xmpp_message_info_get_replace_id (hers), ==,
                   talk_message_get_origin_id (own));
  g_assert_cmpuint (n_items (conversation), ==, 3);

  g_clear_object (&conversation);
  alice_stop (alice);
}

static void
test_older_from_archive (void)
{
  g_autoptr(TalkTestProsody) prosody = fixture_start ();
  g_autoptr(Plain) bob = plain_new (prosody, "bob", "phone", ALICE);
  g_autoptr(Plain) tablet = plain_new (prosody, "alice", "tablet", BOB);
  g_autoptr(TalkConversation) conversation = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GAsyncResult) again = NULL;
  g_autoptr(GError) error = NULL;
  Alice *alice;

  /* Sixty messages before alice ever used this client, read on another
   * device of hers, which stays online (so that none waits as an offline
   * message), the first ten a while earlier (the archive's clock counts
   * seconds) */
  plain_connect (tablet);
  plain_connect (bob);
  for (guint i = 1; i <= 60; i++)
    {
      g_autofree char *body = g_strdup_printf ("old %u", i);

      g_free (plain_send (bob, ALICE, body));
      if (i == 10)
        {
          plain_sync (bob);
          talk_test_run_for (1100);
        }
    }
  plain_sync (bob);
  TALK_TEST_WAIT_UNTIL (plain_count_bodies (tablet) == 60, WAIT_MS);
  plain_disconnect (bob);

  /* The first start reads the newest page only */
  alice = alice_start (prosody);
  conversation = alice_open (alice);
  TALK_TEST_WAIT_UNTIL (conversation_find (conversation, "old 60") != NULL, WAIT_MS);
  talk_test_run_for (500);
  g_assert_cmpuint (n_items (conversation), ==, 50);
  g_assert_cmpstr (body_at (conversation, 0), ==, "old 11");
  TALK_TEST_WAIT_UNTIL (alice->bob_unread == 50, WAIT_MS);

  /* Scrolling up: the archive has ten more, older, which are not news */
  talk_chats_load_older_async (alice->chats, conversation, NULL, talk_test_store_result_cb,
                               &result);
  TALK_TEST_WAIT_UNTIL (result != NULL, WAIT_MS);
  g_assert_true (talk_chats_load_older_finish (alice->chats, result, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_items (conversation), ==, 60);
  for (guint i = 0; i < 60; i++)
    {
      g_autofree char *body = g_strdup_printf ("old %u", i + 1);

      g_assert_cmpstr (body_at (conversation, i), ==, body);
    }
  g_assert_cmpuint (talk_chats_get_unread (alice->chats, BOB), ==, 50);

  /* The beginning */
  talk_chats_load_older_async (alice->chats, conversation, NULL, talk_test_store_result_cb,
                               &again);
  TALK_TEST_WAIT_UNTIL (again != NULL, WAIT_MS);
  g_assert_false (talk_chats_load_older_finish (alice->chats, again, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_items (conversation), ==, 60);

  /* Search finds them */
  {
    g_autoptr(GAsyncResult) found = NULL;
    g_autoptr(GPtrArray) hits = NULL;

    talk_chats_search_async (alice->chats, "old", BOB, NULL, talk_test_store_result_cb, &found);
    TALK_TEST_WAIT_UNTIL (found != NULL, WAIT_MS);
    hits = talk_chats_search_finish (alice->chats, found, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (hits->len, ==, 60);
  }

  /* The tasks hold the chats, which hold the history. */
  g_clear_object (&result);
  g_clear_object (&again);
  g_clear_object (&conversation);
  alice_stop (alice);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  talk_test_isolate_home ();

  g_test_add_func ("/talk/integration/chats/incoming", test_incoming);
  g_test_add_func ("/talk/integration/chats/outgoing", test_outgoing);
  g_test_add_func ("/talk/integration/chats/chat-states", test_chat_states);
  g_test_add_func ("/talk/integration/chats/carbon-sent", test_carbon_sent);
  g_test_add_func ("/talk/integration/chats/catch-up", test_catch_up);
  g_test_add_func ("/talk/integration/chats/offline-pending", test_offline_pending);
  g_test_add_func ("/talk/integration/chats/corrections", test_corrections);
  g_test_add_func ("/talk/integration/chats/older-from-archive", test_older_from_archive);

  return g_test_run ();
}
