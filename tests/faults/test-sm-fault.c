/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Stream management under fault, against the real Prosody fixture.
 *
 * alice is Talk's own stack (session, modules, TalkChats and a TalkHistory
 * in the test's dir); bob is a plain session on the direct TLS port, so
 * that cutting alice's STARTTLS connections leaves him alone.
 *
 * - cut: 1,000 messages each way; after 300, alice's TCP connection is
 *   destroyed under the running server (`ss -K`, as test-reconnect.c
 *   does). She resumes (XEP-0198 §5) and the burst goes on. Every message
 *   is in alice's store, her conversation model and bob's inbox exactly
 *   once.
 * - kill: the same burst with alice in a child process (this executable
 *   with --child), SIGKILLed mid-burst; a fresh alice on the same store
 *   catches up from the archive and sends what was pending. Her store and
 *   model hold every message once; bob gets each of hers at least once
 *   (XEP-0198 §5: a message may arrive twice after a crash; receivers
 *   drop the repeat by origin-id) and the figures say how many twice.
 *
 * The figures (lost, duplicated, time to resume) go to the test log.
 */

#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include <glib/gstdio.h>

#include "talk-chats.h"
#include "talk-history.h"
#include "talk-test-peer.h"
#include "talk-test-prosody.h"
#include "talk-xmpp.h"

#define ALICE    "alice@" TALK_TEST_DOMAIN
#define BOB      "bob@" TALK_TEST_DOMAIN
#define N        1000
#define CUT_AT   300
#define WAIT_MS  180000
/* Until every message is in: the burst and the archive catch-up take
 * seconds; this is for slow machines. */
#define CATCH_UP_WAIT_MS 60000

/* Alice: Talk's stack */

typedef struct
{
  TalkXmppSession  *session;
  TalkXmppDisco    *disco;
  TalkXmppPresence *presence;
  TalkXmppMessage  *message;
  TalkXmppCarbons  *carbons;
  TalkXmppMam      *mam;
  TalkHistory      *history;
  TalkChats        *chats;
  GHashTable       *shown;        /* body → times announced */
  guint             n_shown;
  guint             n_online;
  guint             n_resumed;
  gboolean          connected;
} Alice;

static void
alice_online_cb (TalkXmppSession *session,
                 Alice           *alice)
{
  /* As TalkClient does: available, so that messages to the bare JID
   * come here (RFC 6121 §8.5.2.1). */
  alice->n_online++;
  talk_xmpp_presence_send_own (alice->presence, TALK_XMPP_PRESENCE_SHOW_AVAILABLE, NULL, 0);
}

static void
alice_resumed_cb (TalkXmppSession *session,
                  Alice           *alice)
{
  alice->n_resumed++;
}

static void
alice_message_received_cb (TalkChats   *chats,
                           const char  *peer,
                           TalkMessage *message,
                           gboolean     notify,
                           Alice       *alice)
{
  const char *body = talk_message_get_body (message);
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (alice->shown, body));

  g_hash_table_replace (alice->shown, g_strdup (body), GUINT_TO_POINTER (n + 1));
  alice->n_shown++;
}

static void
alice_connect_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Alice *alice = user_data;
  g_autoptr(GError) error = NULL;

  talk_xmpp_session_connect_finish (TALK_XMPP_SESSION (source), result, &error);
  g_assert_no_error (error);
  alice->connected = TRUE;
}

static Alice *
alice_new (const char *history_path,
           guint16     port,
           const char *fingerprint)
{
  g_autoptr(TalkXmppJid) jid = talk_xmpp_jid_new (ALICE, NULL);
  Alice *alice = g_new0 (Alice, 1);

  alice->session = talk_xmpp_session_new (jid);
  g_object_set (alice->session,
                "resource", "talk",
                "backoff-base-ms", 200,
                "backoff-max-ms", 1000,
                NULL);
  talk_xmpp_session_set_password (alice->session, "alice-secret");
  talk_xmpp_session_set_host (alice->session, "127.0.0.1", port, FALSE);
  talk_xmpp_session_set_pinned_certificate (alice->session, fingerprint);

  /* In TalkClient's order (talk-client.c). */
  alice->disco = talk_xmpp_disco_new (alice->session);
  alice->presence = talk_xmpp_presence_new (alice->session);
  talk_xmpp_presence_set_disco (alice->presence, alice->disco);
  alice->message = talk_xmpp_message_new (alice->session);
  alice->carbons = talk_xmpp_carbons_new (alice->session);
  alice->mam = talk_xmpp_mam_new (alice->session);
  alice->history = talk_history_new (history_path);
  alice->chats = talk_chats_new (alice->history, alice->session, alice->message, alice->carbons,
                                 alice->mam, alice->disco, NULL);
  alice->shown = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  g_signal_connect (alice->session, "online", G_CALLBACK (alice_online_cb), alice);
  g_signal_connect (alice->session, "resumed", G_CALLBACK (alice_resumed_cb), alice);
  g_signal_connect (alice->chats, "message-received",
                    G_CALLBACK (alice_message_received_cb), alice);

  talk_xmpp_session_connect_async (alice->session, NULL, alice_connect_cb, alice);
  TALK_TEST_WAIT_UNTIL (alice->connected, WAIT_MS);
  return alice;
}

static void
alice_free (Alice *alice)
{
  g_autoptr(GAsyncResult) result = NULL;

  if (talk_xmpp_session_get_state (alice->session) == TALK_XMPP_SESSION_STATE_ONLINE)
    {
      talk_xmpp_session_disconnect_async (alice->session, NULL, talk_test_store_result_cb,
                                          &result);
      TALK_TEST_WAIT_UNTIL (result != NULL, WAIT_MS);
    }
  g_signal_handlers_disconnect_by_data (alice->session, alice);
  g_signal_handlers_disconnect_by_data (alice->chats, alice);
  g_clear_object (&alice->chats);
  g_clear_object (&alice->history);
  g_clear_object (&alice->mam);
  g_clear_object (&alice->carbons);
  g_clear_object (&alice->message);
  g_clear_object (&alice->presence);
  g_clear_object (&alice->disco);
  g_clear_object (&alice->session);
  g_hash_table_unref (alice->shown);
  talk_test_run_for (50);
  g_free (alice);
}

/* Bob: a plain session */

typedef struct
{
  TalkXmppSession *session;
  TalkXmppMessage *message;
  GHashTable      *received;     /* body → times */
  guint            n_received;
  gboolean         connected;
} Bob;

static void
bob_message_received_cb (TalkXmppMessage     *message,
                         TalkXmppMessageInfo *info,
                         Bob                 *bob)
{
  const char *body = talk_xmpp_message_info_get_body (info);
  guint n;

  if (body == NULL)
    return;
  n = GPOINTER_TO_UINT (g_hash_table_lookup (bob->received, body));
  g_hash_table_replace (bob->received, g_strdup (body), GUINT_TO_POINTER (n + 1));
  bob->n_received++;
}

static void
bob_connect_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Bob *bob = user_data;
  g_autoptr(GError) error = NULL;

  talk_xmpp_session_connect_finish (TALK_XMPP_SESSION (source), result, &error);
  g_assert_no_error (error);
  bob->connected = TRUE;
}

static Bob *
bob_new (TalkTestProsody *prosody)
{
  g_autoptr(TalkXmppJid) jid = talk_xmpp_jid_new (BOB, NULL);
  g_autoptr(TalkXmppPresence) presence = NULL;
  Bob *bob = g_new0 (Bob, 1);

  bob->session = talk_xmpp_session_new (jid);
  g_object_set (bob->session, "resource", "bob", "auto-reconnect", FALSE, NULL);
  talk_xmpp_session_set_password (bob->session, "bob-secret");
  talk_xmpp_session_set_host (bob->session, "127.0.0.1",
                              talk_test_prosody_get_direct_tls_port (prosody), TRUE);
  talk_xmpp_session_set_pinned_certificate (bob->session,
                                            talk_test_prosody_get_fingerprint (prosody));
  bob->message = talk_xmpp_message_new (bob->session);
  presence = talk_xmpp_presence_new (bob->session);
  bob->received = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_signal_connect (bob->message, "message-received", G_CALLBACK (bob_message_received_cb), bob);

  talk_xmpp_session_connect_async (bob->session, NULL, bob_connect_cb, bob);
  TALK_TEST_WAIT_UNTIL (bob->connected, WAIT_MS);
  talk_xmpp_presence_send_own (presence, TALK_XMPP_PRESENCE_SHOW_AVAILABLE, NULL, 0);
  return bob;
}

static void
bob_send (Bob   *bob,
          guint  i)
{
  g_autofree char *body = g_strdup_printf ("b2a %u", i);
  g_autofree char *origin_id = g_strdup_printf ("bob-%u", i);
  g_autofree char *id = NULL;
  g_autoptr(GError) error = NULL;

  id = talk_xmpp_message_send_chat (bob->message, ALICE, body, origin_id, &error);
  g_assert_no_error (error);
  g_assert_nonnull (id);
}

static void
bob_free (Bob *bob)
{
  g_autoptr(GAsyncResult) result = NULL;

  talk_xmpp_session_disconnect_async (bob->session, NULL, talk_test_store_result_cb, &result);
  TALK_TEST_WAIT_UNTIL (result != NULL, WAIT_MS);
  g_signal_handlers_disconnect_by_data (bob->message, bob);
  g_clear_object (&bob->message);
  g_clear_object (&bob->session);
  g_hash_table_unref (bob->received);
  g_free (bob);
}

/* Counting */

typedef struct
{
  guint lost;
  guint duplicated;
} Tally;

/* Each "PREFIX i" for i < N: how many are missing, how many more than once. */
static Tally
tally_table (GHashTable *counts,
             const char *prefix)
{
  Tally tally = { 0, 0 };

  for (guint i = 0; i < N; i++)
    {
      g_autofree char *body = g_strdup_printf ("%s %u", prefix, i);
      guint n = GPOINTER_TO_UINT (g_hash_table_lookup (counts, body));

      if (n == 0)
        tally.lost++;
      else if (n > 1)
        tally.duplicated += n - 1;
    }
  return tally;
}

static GHashTable *
count_bodies (GPtrArray *messages)
{
  GHashTable *counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < messages->len; i++)
    {
      const char *body = talk_message_get_body (g_ptr_array_index (messages, i));
      guint n = GPOINTER_TO_UINT (g_hash_table_lookup (counts, body));

      g_hash_table_replace (counts, g_strdup (body), GUINT_TO_POINTER (n + 1));
    }
  return counts;
}

static GPtrArray *
load_stored (Alice *alice)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *messages;

  talk_history_load_page_async (alice->history, ALICE, BOB, G_MAXINT64, G_MAXINT64, 10 * N,
                                NULL, talk_test_store_result_cb, &result);
  TALK_TEST_WAIT_UNTIL (result != NULL, WAIT_MS);
  messages = talk_history_load_page_finish (alice->history, result, NULL, &error);
  g_assert_no_error (error);
  return messages;
}

/* The conversation as the chat view shows it, scrolled back to the start. */
static GPtrArray *
load_model (Alice *alice)
{
  g_autoptr(TalkConversation) conversation = talk_chats_open_conversation (alice->chats, BOB);
  GListModel *model = G_LIST_MODEL (conversation);
  GPtrArray *items = g_ptr_array_new_with_free_func (g_object_unref);

  TALK_TEST_WAIT_UNTIL (!talk_conversation_get_loading (conversation), WAIT_MS);
  while (talk_conversation_get_has_older (conversation))
    {
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GError) error = NULL;

      talk_conversation_load_older_async (conversation, NULL, talk_test_store_result_cb, &result);
      TALK_TEST_WAIT_UNTIL (result != NULL, WAIT_MS);
      talk_conversation_load_older_finish (conversation, result, NULL, &error);
      g_assert_no_error (error);
    }

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    g_ptr_array_add (items, g_list_model_get_item (model, i));
  return items;
}

static gboolean bob_has_all (Bob *bob);

/* Which of bob's messages the store lacks, as ranges. */
static void
log_missing (Alice *alice)
{
  g_autoptr(GPtrArray) stored = load_stored (alice);
  g_autoptr(GHashTable) counts = count_bodies (stored);
  g_autoptr(GString) ranges = g_string_new (NULL);
  gint first = -1;

  for (guint i = 0; i <= N; i++)
    {
      g_autofree char *body = g_strdup_printf ("b2a %u", i);
      gboolean missing = i < N && !g_hash_table_contains (counts, body);

      if (missing && first < 0)
        first = i;
      else if (!missing && first >= 0)
        {
          g_string_append_printf (ranges, " %d-%u", first, i - 1);
          first = -1;
        }
    }
  g_test_message ("missing from the store:%s", ranges->str);
}

/* Until alice's store and bob's inbox have every message, looking twice
 * a second; on a timeout, says what is missing before failing. */
static void
wait_until_stored (Alice *alice,
                   Bob   *bob)
{
  gint64 deadline = g_get_monotonic_time () + CATCH_UP_WAIT_MS * 1000;
  Tally in = { N, 0 };
  Tally out = { N, 0 };

  while (g_get_monotonic_time () < deadline)
    {
      g_autoptr(GPtrArray) stored = load_stored (alice);
      g_autoptr(GHashTable) counts = count_bodies (stored);

      in = tally_table (counts, "b2a");
      out = tally_table (counts, "a2b");
      if (in.lost == 0 && out.lost == 0 && bob_has_all (bob))
        return;
      talk_test_run_for (500);
    }

  g_test_message ("timed out: the store misses %u of bob's messages and %u of alice's, bob "
                  "misses %u of alice's", in.lost, out.lost,
                  tally_table (bob->received, "a2b").lost);
  log_missing (alice);
  g_assert_not_reached ();
}

/* alice's store and model: every message of the burst, each once. */
static void
assert_alice_complete (Alice      *alice,
                       const char *what)
{
  g_autoptr(GPtrArray) stored = load_stored (alice);
  g_autoptr(GPtrArray) items = load_model (alice);
  g_autoptr(GHashTable) stored_counts = count_bodies (stored);
  g_autoptr(GHashTable) model_counts = count_bodies (items);
  Tally stored_in = tally_table (stored_counts, "b2a");
  Tally stored_out = tally_table (stored_counts, "a2b");
  Tally model_in = tally_table (model_counts, "b2a");
  Tally model_out = tally_table (model_counts, "a2b");

  g_test_message ("%s: store %u rows, from bob %u lost %u duplicated, to bob %u lost "
                  "%u duplicated; model %u rows, from bob %u lost %u duplicated, to bob "
                  "%u lost %u duplicated", what, stored->len, stored_in.lost,
                  stored_in.duplicated, stored_out.lost, stored_out.duplicated, items->len,
                  model_in.lost, model_in.duplicated, model_out.lost, model_out.duplicated);
  g_assert_cmpuint (stored_in.lost, ==, 0);
  g_assert_cmpuint (stored_in.duplicated, ==, 0);
  g_assert_cmpuint (stored_out.lost, ==, 0);
  g_assert_cmpuint (stored_out.duplicated, ==, 0);
  g_assert_cmpuint (stored->len, ==, 2 * N);
  g_assert_cmpuint (model_in.lost, ==, 0);
  g_assert_cmpuint (model_in.duplicated, ==, 0);
  g_assert_cmpuint (model_out.lost, ==, 0);
  g_assert_cmpuint (model_out.duplicated, ==, 0);
  g_assert_cmpuint (items->len, ==, 2 * N);
}

/* ss -K: the server's end of alice's connections (on the STARTTLS port;
 * bob is on the direct TLS one) is destroyed, the client gets a RST. */
static void
cut_starttls_connections (TalkTestProsody *prosody)
{
  g_autofree char *filter = g_strdup_printf ("( sport = :%u )",
                                             talk_test_prosody_get_port (prosody));
  const char *argv[] = { "ss", "-K", "-t", "state", "established", filter, NULL };
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                NULL, NULL, NULL, NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
}

/* The burst: a few messages each way per tick, so that both directions
 * are in flight together. */
typedef struct
{
  TalkTestProsody *prosody;
  Alice           *alice;   /* NULL: alice is another process */
  Bob             *bob;
  guint            next;
  gboolean         cut;
  gint64           cut_at;
} Burst;

static gboolean
burst_tick_cb (gpointer user_data)
{
  Burst *burst = user_data;

  for (guint k = 0; k < 10 && burst->next < N; k++, burst->next++)
    {
      g_autofree char *body = g_strdup_printf ("a2b %u", burst->next);

      bob_send (burst->bob, burst->next);
      if (burst->alice != NULL)
        talk_chats_send_message (burst->alice->chats, BOB, body);

      if (burst->next == CUT_AT && burst->prosody != NULL)
        {
          cut_starttls_connections (burst->prosody);
          burst->cut = TRUE;
          burst->cut_at = g_get_monotonic_time ();
        }
    }
  return burst->next < N ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

static gboolean
bob_has_all (Bob *bob)
{
  return tally_table (bob->received, "a2b").lost == 0;
}

static gboolean
wait_complete_cb (gpointer user_data)
{
  gboolean *timed_out = user_data;

  *timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

/* Until both sides have every message; on a timeout, says what is
 * missing before failing. */
static void
wait_until_complete (Burst *burst,
                     Alice *alice,
                     Bob   *bob)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add (CATCH_UP_WAIT_MS, wait_complete_cb, &timed_out);

  while (!(burst->next == N && tally_table (alice->shown, "b2a").lost == 0 &&
           bob_has_all (bob)) && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (id);

  if (timed_out)
    g_test_message ("timed out: %u sent each way, alice misses %u of bob's, bob misses %u of "
                    "alice's", burst->next, tally_table (alice->shown, "b2a").lost,
                    tally_table (bob->received, "a2b").lost);
  g_assert_false (timed_out);
}

static void
test_cut (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TalkTestProsody) prosody = talk_test_prosody_start (&error);
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  Burst burst = { 0, };
  Tally bob_tally;
  Tally shown;
  Alice *alice;
  Bob *bob;
  gint64 start;

  g_assert_no_error (error);
  dir = g_build_filename (talk_test_prosody_get_dir (prosody), "alice", NULL);
  path = g_build_filename (dir, "history.db", NULL);

  alice = alice_new (path, talk_test_prosody_get_port (prosody),
                     talk_test_prosody_get_fingerprint (prosody));
  bob = bob_new (prosody);
  TALK_TEST_WAIT_UNTIL (talk_xmpp_session_get_sm_enabled (alice->session), WAIT_MS);

  burst.prosody = prosody;
  burst.alice = alice;
  burst.bob = bob;
  start = g_get_monotonic_time ();
  g_timeout_add (5, burst_tick_cb, &burst);

  wait_until_complete (&burst, alice, bob);
  g_test_message ("burst of %u each way, cut at %u: resumed %u time(s), online %u time(s), "
                  "done in %" G_GINT64_FORMAT " ms", N, CUT_AT, alice->n_resumed,
                  alice->n_online, (g_get_monotonic_time () - start) / 1000);
  /* Late repeats would show now. */
  talk_test_run_for (2000);

  /* Resumed; or, when the server refused the resumed stream (see
   * README.md: Prosody 0.12 feeds it to the old connection's parser,
   * which may hold half a stanza from before the cut), online on a new
   * session, the gap filled from the archive. */
  g_assert_true (burst.cut);
  g_assert_cmpuint (alice->n_resumed + alice->n_online, >=, 2);

  shown = tally_table (alice->shown, "b2a");
  bob_tally = tally_table (bob->received, "a2b");
  g_test_message ("alice was told of %u messages: %u lost, %u duplicated; bob got %u: %u lost, "
                  "%u duplicated", alice->n_shown, shown.lost, shown.duplicated,
                  bob->n_received, bob_tally.lost, bob_tally.duplicated);
  g_assert_cmpuint (shown.lost, ==, 0);
  g_assert_cmpuint (shown.duplicated, ==, 0);
  g_assert_cmpuint (bob_tally.lost, ==, 0);
  /* A resumed stream sends again only what the server did not handle; a
   * new session cannot know, and may repeat (XEP-0198 §5). */
  if (alice->n_online == 1)
    g_assert_cmpuint (bob_tally.duplicated, ==, 0);
  assert_alice_complete (alice, "after the cut");

  alice_free (alice);
  bob_free (bob);
}

/* The child: alice until SIGKILL. Writes "online", "queued" once her
 * N messages are in the store, and "in K" as bob's arrive. */
static void
child_conversation_changed_cb (GListModel *model,
                               guint       position,
                               guint       removed,
                               guint       added,
                               gpointer    user_data)
{
  gboolean *queued = user_data;
  guint n_out = 0;

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(TalkMessage) message = g_list_model_get_item (model, i);

      if (talk_message_get_direction (message) == TALK_MESSAGE_DIRECTION_OUT)
        n_out++;
    }
  if (n_out == N && !*queued)
    {
      *queued = TRUE;
      printf ("queued\n");
      fflush (stdout);
    }
}

static void
child_message_received_cb (TalkChats   *chats,
                           const char  *peer,
                           TalkMessage *message,
                           gboolean     notify,
                           Alice       *alice)
{
  printf ("in %u\n", alice->n_shown);
  fflush (stdout);
}

static int
run_child (const char *path,
           const char *port,
           const char *fingerprint)
{
  g_autoptr(TalkConversation) conversation = NULL;
  gboolean queued = FALSE;
  Alice *alice;

  /* Never outlive the test. */
  prctl (PR_SET_PDEATHSIG, SIGKILL);

  alice = alice_new (path, (guint16) g_ascii_strtoull (port, NULL, 10), fingerprint);
  g_signal_connect_after (alice->chats, "message-received",
                          G_CALLBACK (child_message_received_cb), alice);
  conversation = talk_chats_open_conversation (alice->chats, BOB);
  g_signal_connect (conversation, "items-changed",
                    G_CALLBACK (child_conversation_changed_cb), &queued);
  TALK_TEST_WAIT_UNTIL (talk_xmpp_session_get_sm_enabled (alice->session), WAIT_MS);
  printf ("online\n");
  fflush (stdout);

  for (guint i = 0; i < N; i++)
    {
      g_autofree char *body = g_strdup_printf ("a2b %u", i);

      talk_chats_send_message (alice->chats, BOB, body);
    }

  /* Until the SIGKILL */
  g_main_loop_run (g_main_loop_new (NULL, FALSE));
  return 1;
}

typedef struct
{
  GDataInputStream *lines;
  GCancellable     *cancellable;
  gboolean          online;
  gboolean          queued;
  guint             n_in;
  gboolean          eof;
} Child;

static void
child_read_line_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  Child *child = user_data;
  g_autofree char *line = NULL;

  line = g_data_input_stream_read_line_finish (G_DATA_INPUT_STREAM (source), result, NULL, NULL);
  if (line == NULL)
    {
      child->eof = TRUE;
      return;
    }

  if (g_str_equal (line, "online"))
    child->online = TRUE;
  else if (g_str_equal (line, "queued"))
    child->queued = TRUE;
  else if (g_str_has_prefix (line, "in "))
    child->n_in = (guint) g_ascii_strtoull (line + 3, NULL, 10);

  g_data_input_stream_read_line_async (child->lines, G_PRIORITY_DEFAULT, child->cancellable,
                                       child_read_line_cb, child);
}

static void
test_kill (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TalkTestProsody) prosody = talk_test_prosody_start (&error);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autofree char *port = NULL;
  g_autofree char *self_path = g_file_read_link ("/proc/self/exe", NULL);
  Child child = { 0, };
  Burst burst = { 0, };
  Tally bob_tally;
  Alice *alice;
  Bob *bob;
  gint64 start;

  g_assert_no_error (error);
  dir = g_build_filename (talk_test_prosody_get_dir (prosody), "alice", NULL);
  path = g_build_filename (dir, "history.db", NULL);
  port = g_strdup_printf ("%u", talk_test_prosody_get_port (prosody));

  bob = bob_new (prosody);
  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, self_path, "--child",
                              path, port, talk_test_prosody_get_fingerprint (prosody), NULL);
  g_assert_no_error (error);
  child.cancellable = cancellable;
  child.lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (process));
  g_data_input_stream_read_line_async (child.lines, G_PRIORITY_DEFAULT, cancellable,
                                       child_read_line_cb, &child);

  /* alice's messages are all stored (and going out) before bob starts. */
  TALK_TEST_WAIT_UNTIL (child.queued || child.eof, WAIT_MS);
  g_assert_false (child.eof);

  burst.bob = bob;
  start = g_get_monotonic_time ();
  g_timeout_add (5, burst_tick_cb, &burst);
  TALK_TEST_WAIT_UNTIL (child.n_in >= CUT_AT || child.eof, WAIT_MS);
  g_assert_false (child.eof);
  g_subprocess_force_exit (process);
  g_subprocess_wait (process, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_term_sig (process), ==, SIGKILL);
  g_test_message ("alice killed after %u of bob's messages, %u of them sent by then",
                  child.n_in, burst.next);

  TALK_TEST_WAIT_UNTIL (burst.next == N, WAIT_MS);

  /* A fresh alice on the same store: the archive fills the gap, what was
   * pending goes out. */
  alice = alice_new (path, talk_test_prosody_get_port (prosody),
                     talk_test_prosody_get_fingerprint (prosody));
  wait_until_stored (alice, bob);
  g_test_message ("caught up %" G_GINT64_FORMAT " ms after the burst started",
                  (g_get_monotonic_time () - start) / 1000);
  talk_test_run_for (2000);

  bob_tally = tally_table (bob->received, "a2b");
  g_test_message ("bob got %u of alice's messages: %u lost, %u twice (sent before the kill, "
                  "not yet acknowledged)", bob->n_received, bob_tally.lost,
                  bob_tally.duplicated);
  g_assert_cmpuint (bob_tally.lost, ==, 0);
  assert_alice_complete (alice, "after the kill");

  g_cancellable_cancel (cancellable);
  talk_test_run_for (50);
  g_clear_object (&child.lines);
  alice_free (alice);
  bob_free (bob);
}

int
main (int   argc,
      char *argv[])
{
  if (argc == 5 && g_str_equal (argv[1], "--child"))
    return run_child (argv[2], argv[3], argv[4]);

  talk_test_isolate_home ();
  g_setenv ("GIO_USE_NETWORK_MONITOR", "base", TRUE);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/talk/faults/sm/cut-mid-burst", test_cut);
  g_test_add_func ("/talk/faults/sm/kill-mid-burst", test_kill);

  return g_test_run ();
}
