/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Messaging against a real Prosody started by the fixture (carbons, mam and
 * smacks enabled): alice on two resources with carbons, bob as the other
 * side, each a Talk session of its own.
 *
 * - live delivery to the bare and the full JID, carbon copies of received
 *   and sent messages, receipts only when alice sends them;
 * - a carbon copy forged by a contact is dropped;
 * - messages to alice while she is offline come back from her archive,
 *   with stanza-ids by her bare JID, in order, page by page.
 *
 * Each test has a server of its own, so that archives start empty.
 */

#include "config.h"

#include "talk-xmpp.h"
#include "talk-xmpp-carbons.h"
#include "talk-xmpp-mam.h"
#include "talk-xmpp-message.h"
#include "talk-test-peer.h"
#include "talk-test-prosody.h"

#define ALICE_BARE "alice@" TALK_TEST_DOMAIN
#define BOB_BARE   "bob@" TALK_TEST_DOMAIN

#define WAIT_MS 20000

typedef struct
{
  TalkXmppSession *session;
  TalkXmppMessage *message;
  TalkXmppCarbons *carbons;
  TalkXmppMam     *mam;
  GPtrArray       *received;         /* TalkXmppMessageInfo */
  GPtrArray       *carbon_received;  /* TalkXmppMessageInfo */
  GPtrArray       *carbon_sent;      /* TalkXmppMessageInfo */
  guint            n_errors;
} Account;

static void
collect_cb (GObject             *source,
            TalkXmppMessageInfo *info,
            GPtrArray           *array)
{
  g_ptr_array_add (array, talk_xmpp_message_info_ref (info));
}

static void
message_error_cb (TalkXmppMessage *message,
                  const char      *id,
                  const char      *from,
                  const GError    *error,
                  Account         *account)
{
  g_test_message ("message error for %s from %s: %s", id, from, error->message);
  account->n_errors++;
}

static GPtrArray *
info_array_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) talk_xmpp_message_info_unref);
}

static Account *
account_new (TalkTestProsody *prosody,
             const char      *user,
             const char      *resource)
{
  g_autofree char *jid_text = g_strdup_printf ("%s@%s", user, TALK_TEST_DOMAIN);
  g_autofree char *password = g_strdup_printf ("%s-secret", user);
  g_autoptr(TalkXmppJid) jid = talk_xmpp_jid_new (jid_text, NULL);
  Account *account = g_new0 (Account, 1);

  account->session = talk_xmpp_session_new (jid);
  g_object_set (account->session, "auto-reconnect", FALSE, "resource", resource, NULL);
  talk_xmpp_session_set_password (account->session, password);
  talk_xmpp_session_set_host (account->session, "127.0.0.1",
                              talk_test_prosody_get_port (prosody), FALSE);
  talk_xmpp_session_set_pinned_certificate (account->session,
                                            talk_test_prosody_get_fingerprint (prosody));

  account->message = talk_xmpp_message_new (account->session);
  account->carbons = talk_xmpp_carbons_new (account->session);
  account->mam = talk_xmpp_mam_new (account->session);
  account->received = info_array_new ();
  account->carbon_received = info_array_new ();
  account->carbon_sent = info_array_new ();
  g_signal_connect (account->message, "message-received", G_CALLBACK (collect_cb),
                    account->received);
  g_signal_connect (account->message, "message-error", G_CALLBACK (message_error_cb), account);
  g_signal_connect (account->carbons, "carbon-received", G_CALLBACK (collect_cb),
                    account->carbon_received);
  g_signal_connect (account->carbons, "carbon-sent", G_CALLBACK (collect_cb),
                    account->carbon_sent);

  return account;
}

static gboolean
result_set (gpointer data)
{
  return *(GAsyncResult **) data != NULL;
}

static gboolean
carbons_enabled (gpointer data)
{
  return talk_xmpp_carbons_get_enabled (data);
}

static void
account_connect (Account *account)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  talk_xmpp_session_connect_async (account->session, NULL, talk_test_store_result_cb, &result);
  g_assert_true (talk_test_wait_for (result_set, &result, 30000));
  g_assert_true (talk_xmpp_session_connect_finish (account->session, result, &error));
  g_assert_no_error (error);

  /* Prosody has carbons: enabled on its own after going online */
  g_assert_true (talk_test_wait_for (carbons_enabled, account->carbons, WAIT_MS));
}

/* Initial presence (RFC 6121 §4.2): without it the server delivers
 * nothing to this resource. */
static void
account_go_available (Account *account)
{
  g_autoptr(TalkXmppStanza) presence = talk_xmpp_stanza_new_presence (NULL, NULL);

  g_assert_true (talk_xmpp_session_send (account->session, presence));
}

/* A round trip to the server: everything sent before it has been
 * processed (stanzas of one stream are handled in order). */
static void
account_sync (Account *account)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  talk_xmpp_session_ping_async (account->session, NULL, NULL, talk_test_store_result_cb,
                                &result);
  g_assert_true (talk_test_wait_for (result_set, &result, WAIT_MS));
  g_assert_true (talk_xmpp_session_ping_finish (account->session, result, &error));
  g_assert_no_error (error);
}

static void
account_free (Account *account)
{
  if (account->session != NULL &&
      talk_xmpp_session_get_state (account->session) == TALK_XMPP_SESSION_STATE_ONLINE)
    {
      g_autoptr(GAsyncResult) result = NULL;

      talk_xmpp_session_disconnect_async (account->session, NULL, talk_test_store_result_cb,
                                          &result);
      g_assert_true (talk_test_wait_for (result_set, &result, WAIT_MS));
      g_assert_true (talk_xmpp_session_disconnect_finish (account->session, result, NULL));
    }

  g_clear_object (&account->mam);
  g_clear_object (&account->carbons);
  g_clear_object (&account->message);
  g_clear_object (&account->session);
  g_ptr_array_unref (account->received);
  g_ptr_array_unref (account->carbon_received);
  g_ptr_array_unref (account->carbon_sent);
  g_free (account);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Account, account_free)

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

/* Waits until @array holds @len messages and returns the last. */
static TalkXmppMessageInfo *
wait_for_len (GPtrArray *array,
              guint      len)
{
  ArrayWait wait = { array, len };

  g_assert_true (talk_test_wait_for (array_reached, &wait, WAIT_MS));
  g_assert_cmpuint (array->len, ==, len);
  return g_ptr_array_index (array, len - 1);
}

static TalkTestProsody *
start_prosody (void)
{
  g_autoptr(GError) error = NULL;
  TalkTestProsody *prosody = talk_test_prosody_start (&error);

  g_assert_no_error (error);
  g_assert_nonnull (prosody);
  return prosody;
}

static char *
send_chat (Account    *from,
           const char *to,
           const char *body)
{
  g_autoptr(GError) error = NULL;
  char *id = talk_xmpp_message_send_chat (from->message, to, body, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (id);
  return id;
}

/* Live delivery, carbons and receipts */

static void
test_live_and_carbons (void)
{
  g_autoptr(TalkTestProsody) prosody = start_prosody ();
  g_autoptr(Account) alice_a = account_new (prosody, "alice", "A");
  g_autoptr(Account) alice_b = account_new (prosody, "alice", "B");
  g_autoptr(Account) bob = account_new (prosody, "bob", "phone");
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  TalkXmppMessageInfo *info;
  TalkXmppMessageInfo *at_b;

  account_connect (alice_a);
  account_connect (alice_b);
  account_connect (bob);
  account_go_available (alice_a);
  account_go_available (alice_b);
  account_go_available (bob);
  account_sync (alice_a);
  account_sync (alice_b);

  /* bob → alice's bare JID: both resources get the message itself */
  id = send_chat (bob, ALICE_BARE, "Hello, both of you");
  info = wait_for_len (alice_a->received, 1);
  at_b = wait_for_len (alice_b->received, 1);
  g_assert_cmpstr (talk_xmpp_message_info_get_body (info), ==, "Hello, both of you");
  g_assert_cmpstr (talk_xmpp_message_info_get_body (at_b), ==, "Hello, both of you");
  g_assert_cmpstr (talk_xmpp_message_info_get_from (info), ==, BOB_BARE "/phone");
  g_assert_cmpstr (talk_xmpp_message_info_get_origin_id (info), ==, id);
  g_assert_cmpstr (talk_xmpp_message_info_get_id (info), ==, id);
  /* The archive's stanza-id, one for both copies */
  g_assert_cmpstr (talk_xmpp_message_info_get_stanza_id_by (info), ==, ALICE_BARE);
  g_assert_nonnull (talk_xmpp_message_info_get_stanza_id (info));
  g_assert_cmpstr (talk_xmpp_message_info_get_stanza_id (at_b), ==,
                   talk_xmpp_message_info_get_stanza_id (info));
  g_assert_cmpuint (alice_b->carbon_received->len, ==, 0);

  /* bob → alice/A: A gets it, B a received carbon */
  g_free (id);
  id = send_chat (bob, ALICE_BARE "/A", "Just for A");
  info = wait_for_len (alice_a->received, 2);
  g_assert_cmpstr (talk_xmpp_message_info_get_body (info), ==, "Just for A");
  at_b = wait_for_len (alice_b->carbon_received, 1);
  g_assert_cmpstr (talk_xmpp_message_info_get_body (at_b), ==, "Just for A");
  g_assert_cmpstr (talk_xmpp_message_info_get_from (at_b), ==, BOB_BARE "/phone");
  g_assert_cmpstr (talk_xmpp_message_info_get_to (at_b), ==, ALICE_BARE "/A");
  g_assert_cmpstr (talk_xmpp_message_info_get_origin_id (at_b), ==, id);
  g_assert_true (talk_xmpp_message_info_get_forwarded (at_b));
  g_assert_cmpuint (alice_b->received->len, ==, 1);

  /* A → bob: bob gets it, B a sent carbon */
  g_free (id);
  id = send_chat (alice_a, BOB_BARE, "Hi Bob, from A");
  info = wait_for_len (bob->received, 1);
  g_assert_cmpstr (talk_xmpp_message_info_get_body (info), ==, "Hi Bob, from A");
  g_assert_cmpstr (talk_xmpp_message_info_get_from (info), ==, ALICE_BARE "/A");
  at_b = wait_for_len (alice_b->carbon_sent, 1);
  g_assert_cmpstr (talk_xmpp_message_info_get_body (at_b), ==, "Hi Bob, from A");
  g_assert_cmpstr (talk_xmpp_message_info_get_to (at_b), ==, BOB_BARE);
  g_assert_cmpstr (talk_xmpp_message_info_get_origin_id (at_b), ==, id);
  g_assert_cmpuint (alice_a->carbon_sent->len, ==, 0);

  /* A receipt request: nothing until alice says the message is safe */
  g_free (id);
  id = send_chat (bob, ALICE_BARE "/A", "Tell me you got this");
  info = wait_for_len (alice_a->received, 3);
  g_assert_true (talk_xmpp_message_info_wants_receipt (info));
  account_sync (bob);
  g_assert_cmpuint (bob->received->len, ==, 1);

  g_assert_true (talk_xmpp_message_send_receipt (alice_a->message, info, &error));
  g_assert_no_error (error);
  info = wait_for_len (bob->received, 2);
  g_assert_cmpstr (talk_xmpp_message_info_get_receipt_id (info), ==, id);
  g_assert_null (talk_xmpp_message_info_get_body (info));
  g_assert_false (talk_xmpp_message_info_get_receipt_requested (info));
  /* The receipt is chat-typed, so B learns of it as well */
  at_b = wait_for_len (alice_b->carbon_sent, 2);
  g_assert_cmpstr (talk_xmpp_message_info_get_receipt_id (at_b), ==, id);

  g_assert_cmpuint (alice_a->n_errors + alice_b->n_errors + bob->n_errors, ==, 0);
}

/* SECURITY.md §1.1 (CVE-2017-5589): a contact wraps a "copy" of a message
 * from someone else. The real server passes it on; Talk drops it. */
static void
test_forged_carbon (void)
{
  g_autoptr(TalkTestProsody) prosody = start_prosody ();
  g_autoptr(Account) alice = account_new (prosody, "alice", "A");
  g_autoptr(Account) bob = account_new (prosody, "bob", "phone");
  g_autoptr(TalkXmppStanza) forged = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  TalkXmppStanza *forwarded;
  TalkXmppStanza *inner;
  TalkXmppMessageInfo *info;

  account_connect (alice);
  account_connect (bob);
  account_go_available (alice);
  account_sync (alice);

  forged = talk_xmpp_stanza_new_message ("chat", ALICE_BARE "/A", NULL);
  forwarded = talk_xmpp_stanza_add_child (talk_xmpp_stanza_add_child (forged, "received",
                                                                      TALK_XMPP_NS_CARBONS),
                                          "forwarded", TALK_XMPP_NS_FORWARD);
  inner = talk_xmpp_stanza_add_child (forwarded, "message", TALK_XMPP_NS_CLIENT);
  talk_xmpp_stanza_set_attribute (inner, "type", "chat");
  talk_xmpp_stanza_set_attribute (inner, "from", "carol@" TALK_TEST_DOMAIN "/home");
  talk_xmpp_stanza_set_attribute (inner, "to", ALICE_BARE "/A");
  talk_xmpp_stanza_add_child_with_text (inner, "body", NULL, "Send the money to Bob");

  g_test_expect_message ("talk-xmpp", G_LOG_LEVEL_WARNING,
                         "Dropping a carbon copy from " BOB_BARE "/phone*");
  g_free (talk_xmpp_message_send (bob->message, forged, &error));
  g_assert_no_error (error);

  /* Messages from one sender arrive in order: once this one is here, the
   * forged one has been seen */
  id = send_chat (bob, ALICE_BARE "/A", "An honest message");
  info = wait_for_len (alice->received, 1);
  g_test_assert_expected_messages ();
  g_assert_cmpstr (talk_xmpp_message_info_get_body (info), ==, "An honest message");
  g_assert_cmpuint (alice->carbon_received->len, ==, 0);
  g_assert_cmpuint (alice->carbon_sent->len, ==, 0);
}

/* The archive */

static TalkXmppMamPage *
query_page (Account    *account,
            const char *with,
            const char *after_id,
            guint       max)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  TalkXmppMamPage *page;

  talk_xmpp_mam_query_async (account->mam, with, after_id, NULL, NULL, max, NULL,
                             talk_test_store_result_cb, &result);
  g_assert_true (talk_test_wait_for (result_set, &result, WAIT_MS));
  page = talk_xmpp_mam_query_finish (account->mam, result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (page);
  return page;
}

static TalkXmppMamPage *
catch_up (Account    *account,
          const char *after_id,
          guint       page_size)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  TalkXmppMamPage *page;

  talk_xmpp_mam_catch_up_async (account->mam, after_id, page_size, 10, NULL,
                                talk_test_store_result_cb, &result);
  g_assert_true (talk_test_wait_for (result_set, &result, WAIT_MS));
  page = talk_xmpp_mam_catch_up_finish (account->mam, result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (page);
  return page;
}

static void
test_offline_archive (void)
{
  g_autoptr(TalkTestProsody) prosody = start_prosody ();
  g_autoptr(Account) alice = account_new (prosody, "alice", "A");
  g_autoptr(Account) bob = account_new (prosody, "bob", "phone");
  g_autoptr(GPtrArray) collected = info_array_new ();
  g_autoptr(GHashTable) archive_ids = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(TalkXmppMamPage) all = NULL;
  g_autoptr(TalkXmppMamPage) newer = NULL;
  g_autofree char *after = NULL;
  g_autofree char *live_id = NULL;
  TalkXmppMessageInfo *live;
  TalkXmppMessageInfo *archived;
  guint n_pages = 0;

  /* alice is offline: bob writes five messages */
  account_connect (bob);
  for (guint i = 1; i <= 5; i++)
    {
      g_autofree char *body = g_strdup_printf ("offline %u", i);

      g_free (send_chat (bob, ALICE_BARE, body));
    }
  account_sync (bob);

  /* alice comes online and reads her archive, two at a time */
  account_connect (alice);
  for (;;)
    {
      g_autoptr(TalkXmppMamPage) page = query_page (alice, BOB_BARE, after, 2);
      GPtrArray *messages = talk_xmpp_mam_page_get_messages (page);
      TalkXmppMessageInfo *last;

      n_pages++;
      g_assert_cmpuint (n_pages, <=, 3);
      g_assert_cmpuint (messages->len, ==, n_pages < 3 ? 2 : 1);
      g_assert_cmpint (talk_xmpp_mam_page_get_complete (page), ==, n_pages == 3);
      for (guint i = 0; i < messages->len; i++)
        g_ptr_array_add (collected, talk_xmpp_message_info_ref (g_ptr_array_index (messages, i)));
      /* RSM <last/> is the archive id of the page's last message */
      last = g_ptr_array_index (messages, messages->len - 1);
      g_assert_cmpstr (talk_xmpp_mam_page_get_last (page), ==,
                       talk_xmpp_message_info_get_stanza_id (last));
      g_free (after);
      after = g_strdup (talk_xmpp_mam_page_get_last (page));
      if (talk_xmpp_mam_page_get_complete (page))
        break;
    }

  g_assert_cmpuint (collected->len, ==, 5);
  for (guint i = 0; i < collected->len; i++)
    {
      TalkXmppMessageInfo *info = g_ptr_array_index (collected, i);
      g_autofree char *body = g_strdup_printf ("offline %u", i + 1);

      g_assert_cmpstr (talk_xmpp_message_info_get_body (info), ==, body);
      g_assert_cmpstr (talk_xmpp_message_info_get_from (info), ==, BOB_BARE "/phone");
      g_assert_cmpstr (talk_xmpp_message_info_get_stanza_id_by (info), ==, ALICE_BARE);
      g_assert_nonnull (talk_xmpp_message_info_get_delay (info));
      g_assert_true (talk_xmpp_message_info_get_forwarded (info));
      g_assert_false (talk_xmpp_message_info_wants_receipt (info));
      g_assert_true (g_hash_table_add (archive_ids,
                                       (gpointer) talk_xmpp_message_info_get_stanza_id (info)));
    }

  /* The same through the catch-up helper, from the archive's start */
  all = catch_up (alice, NULL, 2);
  g_assert_true (talk_xmpp_mam_page_get_complete (all));
  g_assert_cmpuint (talk_xmpp_mam_page_get_messages (all)->len, ==, 5);
  g_assert_cmpstr (talk_xmpp_mam_page_get_last (all), ==, after);

  /* A live message carries the same kind of stanza-id the archive gives
   * back later: that is what deduplication goes by */
  account_go_available (alice);
  account_sync (alice);
  live_id = send_chat (bob, ALICE_BARE, "live one");
  live = wait_for_len (alice->received, 1);
  g_assert_cmpstr (talk_xmpp_message_info_get_body (live), ==, "live one");
  g_assert_cmpstr (talk_xmpp_message_info_get_stanza_id_by (live), ==, ALICE_BARE);

  newer = catch_up (alice, after, 2);
  g_assert_true (talk_xmpp_mam_page_get_complete (newer));
  g_assert_cmpuint (talk_xmpp_mam_page_get_messages (newer)->len, ==, 1);
  archived = g_ptr_array_index (talk_xmpp_mam_page_get_messages (newer), 0);
  g_assert_cmpstr (talk_xmpp_message_info_get_body (archived), ==, "live one");
  g_assert_cmpstr (talk_xmpp_message_info_get_stanza_id (archived), ==,
                   talk_xmpp_message_info_get_stanza_id (live));
  g_assert_cmpstr (talk_xmpp_message_info_get_origin_id (archived), ==, live_id);

  /* The offline copies are not delivered again after the archive query
   * (XEP-0313 #business-storeret-user-archives): only the live one came */
  account_sync (alice);
  g_assert_cmpuint (alice->received->len, ==, 1);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  talk_test_isolate_home ();

  g_test_add_func ("/talk/integration/messaging/live-and-carbons", test_live_and_carbons);
  g_test_add_func ("/talk/integration/messaging/forged-carbon", test_forged_carbon);
  g_test_add_func ("/talk/integration/messaging/offline-archive", test_offline_archive);

  return g_test_run ();
}
