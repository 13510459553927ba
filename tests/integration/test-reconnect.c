/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Staying online against a real Prosody: the server goes away while the
 * session is online (a clean shutdown, then a hard kill) and comes back;
 * the session reconnects on its own within the backoff.
 *
 * Stream management (XEP-0198, mod_smacks): alice's TCP connection is cut
 * under a running server (`ss -K` destroys the server's socket, which
 * sends a RST; Prosody sees the connection fail and keeps the session
 * hibernating); she resumes it, and every message on either side arrives
 * exactly once, by origin-id. When the server lost the session (killed and
 * restarted), resumption fails: a new session, "online", and the messages
 * the server never acknowledged are reported.
 */
#include "talk-xmpp.h"
#include "talk-test-prosody.h"

#include <signal.h>

#define NS_SID "urn:xmpp:sid:0"


typedef struct
{
  gboolean  done;
  GError   *error;
  guint     n_disconnected;
  guint     n_online;
  guint     n_scheduled;
  guint     last_delay_ms;
  GError   *disconnect_error;
} Watch;

static TalkTestProsody *prosody;

static gboolean
never (gpointer data)
{
  return FALSE;
}

static gboolean
watch_done (gpointer data)
{
  return ((Watch *) data)->done;
}

static gboolean
watch_disconnected (gpointer data)
{
  return ((Watch *) data)->n_disconnected > 0;
}

static gboolean
watch_online_again (gpointer data)
{
  return ((Watch *) data)->n_online > 1;
}

static void
connect_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  Watch *w = data;

  talk_xmpp_session_connect_finish (TALK_XMPP_SESSION (source), result, &w->error);
  w->done = TRUE;
}

static void
disconnect_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  Watch *w = data;

  talk_xmpp_session_disconnect_finish (TALK_XMPP_SESSION (source), result, &w->error);
  w->done = TRUE;
}

static void
online_cb (TalkXmppSession *session, gpointer data)
{
  ((Watch *) data)->n_online++;
}

static void
disconnected_cb (TalkXmppSession *session, const GError *error, gpointer data)
{
  Watch *w = data;

  w->n_disconnected++;
  g_clear_error (&w->disconnect_error);
  if (error)
    w->disconnect_error = g_error_copy (error);
}

static void
scheduled_cb (TalkXmppSession *session, guint delay_ms, gpointer data)
{
  Watch *w = data;

  w->n_scheduled++;
  w->last_delay_ms = delay_ms;
}

static TalkXmppSession *
make_session (Watch *w)
{
  g_autoptr(TalkXmppJid) jid = talk_xmpp_jid_new ("alice@" TALK_TEST_DOMAIN, NULL);
  TalkXmppSession *session = talk_xmpp_session_new (jid);

  g_object_set (session,
                "auto-reconnect", TRUE,
                "backoff-base-ms", 300,
                "backoff-max-ms", 2000,
                NULL);
  talk_xmpp_session_set_password (session, "alice-secret");
  talk_xmpp_session_set_host (session, "127.0.0.1", talk_test_prosody_get_port (prosody), FALSE);
  talk_xmpp_session_set_pinned_certificate (session, talk_test_prosody_get_fingerprint (prosody));
  g_signal_connect (session, "online", G_CALLBACK (online_cb), w);
  g_signal_connect (session, "disconnected", G_CALLBACK (disconnected_cb), w);
  g_signal_connect (session, "reconnect-scheduled", G_CALLBACK (scheduled_cb), w);
  return session;
}

static void
run_server_loss (gboolean hard_kill)
{
  g_autoptr(GError) error = NULL;
  Watch w = { 0 };
  g_autoptr(TalkXmppSession) session = make_session (&w);
  gint64 back_at;

  talk_xmpp_session_connect_async (session, NULL, connect_cb, &w);
  g_assert_true (talk_test_wait_for (watch_done, &w, 30000));
  g_assert_no_error (w.error);
  g_assert_cmpuint (w.n_online, ==, 1);

  if (hard_kill)
    {
      /* No stream error, no TCP FIN from a clean close: just gone. */
      kill (talk_test_prosody_get_pid (prosody), SIGKILL);
    }
  talk_test_prosody_stop (prosody);

  g_assert_true (talk_test_wait_for (watch_disconnected, &w, 30000));
  g_assert_nonnull (w.disconnect_error);
  g_test_message ("lost: %s", w.disconnect_error->message);
  g_assert_cmpint (talk_xmpp_session_get_state (session), !=, TALK_XMPP_SESSION_STATE_ONLINE);
  g_assert_cmpuint (w.n_scheduled, >=, 1);
  g_assert_cmpuint (w.last_delay_ms, <=, 2000);

  /* A few attempts fail while the server is down; the delays stay capped. */
  talk_test_wait_for (never, NULL, 1500);
  g_assert_cmpuint (w.last_delay_ms, <=, 2000);

  g_assert_true (talk_test_prosody_restart (prosody, &error));
  g_assert_no_error (error);
  back_at = g_get_monotonic_time ();

  /* Back online within one capped backoff period (plus connect time). */
  g_assert_true (talk_test_wait_for (watch_online_again, &w, 15000));
  g_test_message ("online again %.2f s after the server came back, after %u scheduled attempts",
                  (g_get_monotonic_time () - back_at) / 1e6, w.n_scheduled);
  g_assert_cmpint (talk_xmpp_session_get_state (session), ==, TALK_XMPP_SESSION_STATE_ONLINE);
  g_assert_cmpint (g_get_monotonic_time () - back_at, <, 2000 * 1000 + 10 * G_USEC_PER_SEC);

  w.done = FALSE;
  talk_xmpp_session_disconnect_async (session, NULL, disconnect_cb, &w);
  g_assert_true (talk_test_wait_for (watch_done, &w, 10000));
  g_assert_no_error (w.error);
  g_clear_error (&w.disconnect_error);
}

static void
test_server_shutdown (void)
{
  run_server_loss (FALSE);
}

static void
test_server_killed (void)
{
  run_server_loss (TRUE);
}

/* Stream management */

typedef struct
{
  TalkXmppSession *session;
  GHashTable      *received;      /* origin-id → number of times */
  GPtrArray       *unacknowledged;
  guint            n_acknowledged;
  guint            n_online;
  guint            n_resumed;
  guint            n_disconnected;
  gboolean         done;
  GError          *error;
} Peer;

static gboolean
record_message_cb (TalkXmppSession *session,
                   TalkXmppStanza  *stanza,
                   gpointer         user_data)
{
  Peer *peer = user_data;
  TalkXmppStanza *origin = talk_xmpp_stanza_get_child (stanza, "origin-id", NS_SID);
  const char *id = origin != NULL ? talk_xmpp_stanza_get_attribute (origin, "id") : NULL;

  if (id != NULL)
    g_hash_table_insert (peer->received, g_strdup (id),
                         GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (peer->received,
                                                                                  id)) + 1));
  return TRUE;
}

static void
peer_online_cb (TalkXmppSession *session,
                Peer            *peer)
{
  peer->n_online++;
}

static void
peer_resumed_cb (TalkXmppSession *session,
                 Peer            *peer)
{
  peer->n_resumed++;
}

static void
peer_disconnected_cb (TalkXmppSession *session,
                      const GError    *error,
                      Peer            *peer)
{
  peer->n_disconnected++;
}

static void
peer_acknowledged_cb (TalkXmppSession *session,
                      TalkXmppStanza  *stanza,
                      Peer            *peer)
{
  peer->n_acknowledged++;
}

static void
peer_unacknowledged_cb (TalkXmppSession *session,
                        GPtrArray       *stanzas,
                        Peer            *peer)
{
  for (guint i = 0; i < stanzas->len; i++)
    g_ptr_array_add (peer->unacknowledged,
                     talk_xmpp_stanza_ref (g_ptr_array_index (stanzas, i)));
}

static void
peer_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Peer *peer = user_data;

  if (g_task_get_source_tag (G_TASK (result)) == talk_xmpp_session_ping_async)
    talk_xmpp_session_ping_finish (TALK_XMPP_SESSION (source), result, &peer->error);
  else if (g_task_get_source_tag (G_TASK (result)) == talk_xmpp_session_disconnect_async)
    talk_xmpp_session_disconnect_finish (TALK_XMPP_SESSION (source), result, &peer->error);
  else
    talk_xmpp_session_connect_finish (TALK_XMPP_SESSION (source), result, &peer->error);
  peer->done = TRUE;
}

static gboolean
peer_done (gpointer data)
{
  return ((Peer *) data)->done;
}

static gboolean
peer_sm_enabled (gpointer data)
{
  return talk_xmpp_session_get_sm_enabled (((Peer *) data)->session);
}

static gboolean
peer_disconnected (gpointer data)
{
  return ((Peer *) data)->n_disconnected > 0;
}

static gboolean
peer_resumed (gpointer data)
{
  return ((Peer *) data)->n_resumed > 0;
}

/* The presence and the ping of peer_connect() and peer_round_trip() */
static gboolean
peer_all_acknowledged (gpointer data)
{
  return ((Peer *) data)->n_acknowledged >= 2;
}

static gboolean
peer_online_again (gpointer data)
{
  return ((Peer *) data)->n_online > 1;
}

static void
peer_wait_done (Peer *peer)
{
  g_assert_true (talk_test_wait_for (peer_done, peer, 30000));
  g_assert_no_error (peer->error);
  peer->done = FALSE;
}

/* alice on STARTTLS, bob on direct TLS: cutting the connections to the
 * STARTTLS port cuts only alice's. */
static void
peer_init (Peer       *peer,
           const char *user,
           gboolean    direct_tls)
{
  g_autofree char *bare = g_strdup_printf ("%s@" TALK_TEST_DOMAIN, user);
  g_autofree char *password = g_strdup_printf ("%s-secret", user);
  g_autoptr(TalkXmppJid) jid = talk_xmpp_jid_new (bare, NULL);
  guint16 port = direct_tls ? talk_test_prosody_get_direct_tls_port (prosody)
                            : talk_test_prosody_get_port (prosody);

  peer->session = talk_xmpp_session_new (jid);
  peer->received = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  peer->unacknowledged = g_ptr_array_new_with_free_func ((GDestroyNotify) talk_xmpp_stanza_unref);
  g_object_set (peer->session, "auto-reconnect", TRUE, "backoff-base-ms", 300,
                "backoff-max-ms", 2000, NULL);
  talk_xmpp_session_set_password (peer->session, password);
  talk_xmpp_session_set_host (peer->session, "127.0.0.1", port, direct_tls);
  talk_xmpp_session_set_pinned_certificate (peer->session,
                                            talk_test_prosody_get_fingerprint (prosody));
  talk_xmpp_session_add_handler (peer->session, "message", NULL, record_message_cb, peer, NULL);
  g_signal_connect (peer->session, "online", G_CALLBACK (peer_online_cb), peer);
  g_signal_connect (peer->session, "resumed", G_CALLBACK (peer_resumed_cb), peer);
  g_signal_connect (peer->session, "disconnected", G_CALLBACK (peer_disconnected_cb), peer);
  g_signal_connect (peer->session, "stanza-acknowledged",
                    G_CALLBACK (peer_acknowledged_cb), peer);
  g_signal_connect (peer->session, "stanzas-unacknowledged",
                    G_CALLBACK (peer_unacknowledged_cb), peer);
}

static void
peer_clear (Peer *peer)
{
  if (talk_xmpp_session_get_state (peer->session) != TALK_XMPP_SESSION_STATE_DISCONNECTED)
    {
      talk_xmpp_session_disconnect_async (peer->session, NULL, peer_done_cb, peer);
      peer_wait_done (peer);
    }
  g_clear_object (&peer->session);
  g_clear_pointer (&peer->received, g_hash_table_unref);
  g_clear_pointer (&peer->unacknowledged, g_ptr_array_unref);
}

/* Online, available (so that messages to the bare JID reach it), with
 * stream management on. */
static void
peer_connect (Peer *peer)
{
  g_autoptr(TalkXmppStanza) presence = talk_xmpp_stanza_new_presence (NULL, NULL);

  talk_xmpp_session_connect_async (peer->session, NULL, peer_done_cb, peer);
  peer_wait_done (peer);
  g_assert_true (talk_test_wait_for (peer_sm_enabled, peer, 10000));
  g_assert_true (talk_xmpp_session_send (peer->session, presence));
}

/* Everything sent before has been processed by the server: it handles a
 * session's stanzas in order (RFC 6120 §10.1). */
static void
peer_round_trip (Peer *peer)
{
  talk_xmpp_session_ping_async (peer->session, NULL, NULL, peer_done_cb, peer);
  peer_wait_done (peer);
}

static void
peer_send (Peer       *peer,
           const char *to,
           const char *origin_id)
{
  g_autoptr(TalkXmppStanza) message = talk_xmpp_stanza_new_message ("chat", to, origin_id);
  TalkXmppStanza *origin = talk_xmpp_stanza_add_child (message, "origin-id", NS_SID);

  talk_xmpp_stanza_set_attribute (origin, "id", origin_id);
  talk_xmpp_stanza_set_attribute (message, "id", origin_id);
  g_assert_true (talk_xmpp_session_send (peer->session, message));
}

static guint
peer_count (Peer       *peer,
            const char *origin_id)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (peer->received, origin_id));
}

typedef struct
{
  Peer       *peer;
  const char *origin_id;
} Awaited;

static gboolean
awaited_received (gpointer data)
{
  Awaited *awaited = data;

  return peer_count (awaited->peer, awaited->origin_id) > 0;
}

static void
peer_wait_for (Peer       *peer,
               const char *origin_id)
{
  Awaited awaited = { peer, origin_id };

  g_assert_true (talk_test_wait_for (awaited_received, &awaited, 20000));
}

static void
stanza_acknowledged_cb (TalkXmppSession *session,
                        TalkXmppStanza  *stanza,
                        gboolean        *acknowledged)
{
  *acknowledged = TRUE;
}

/* Destroys the server's end of every established connection to the
 * STARTTLS port: the server sees it fail, the client gets a RST. */
static void
cut_starttls_connections (void)
{
  g_autofree char *filter = g_strdup_printf ("( sport = :%u )",
                                             talk_test_prosody_get_port (prosody));
  const char *argv[] = { "ss", "-K", "-t", "state", "established", filter, NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                &out, &err, &status, &error);
  g_assert_no_error (error);
  g_test_message ("ss -K: %s%s", out, err);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
}

static void
test_sm_resume (void)
{
  Peer alice = { 0 };
  Peer bob = { 0 };
  g_autoptr(TalkXmppJid) bound_before = NULL;
  g_autofree char *alice_full = NULL;
  gboolean a1_acknowledged = FALSE;
  gboolean resumed = FALSE;

  peer_init (&alice, "alice", FALSE);
  peer_init (&bob, "bob", TRUE);
  peer_connect (&alice);
  peer_connect (&bob);
  peer_round_trip (&alice);
  peer_round_trip (&bob);
  bound_before = talk_xmpp_jid_ref (talk_xmpp_session_get_bound_jid (alice.session));
  alice_full = g_strdup (talk_xmpp_jid_to_string (bound_before));

  /* a1 reaches bob; alice may not have its ack yet (requests are batched
   * by a second). */
  g_signal_connect (alice.session, "stanza-acknowledged",
                    G_CALLBACK (stanza_acknowledged_cb), &a1_acknowledged);
  peer_send (&alice, "bob@" TALK_TEST_DOMAIN, "a1");
  peer_wait_for (&bob, "a1");
  g_test_message ("a1 acknowledged before the cut: %s", a1_acknowledged ? "yes" : "no");

  /* alice decides for herself when to come back. */
  g_object_set (alice.session, "backoff-base-ms", 600000, "backoff-max-ms", 600000, NULL);

  /* The cut; a2 goes out right after it, before alice can notice: the
   * server never reads it. */
  cut_starttls_connections ();
  peer_send (&alice, "bob@" TALK_TEST_DOMAIN, "a2");
  g_assert_true (talk_test_wait_for (peer_disconnected, &alice, 10000));
  g_assert_false (talk_xmpp_session_get_sm_enabled (alice.session));
  g_assert_cmpuint (alice.unacknowledged->len, ==, 0);

  /* While she is away, bob writes to her. */
  peer_send (&bob, "alice@" TALK_TEST_DOMAIN, "b1");
  peer_round_trip (&bob);
  g_assert_cmpint (talk_xmpp_session_get_state (alice.session), ==,
                   TALK_XMPP_SESSION_STATE_DISCONNECTED);

  talk_xmpp_session_reconnect_now (alice.session);
  g_assert_true (talk_test_wait_for (peer_resumed, &alice, 30000));

  /* The same session: same JID, no "online" (modules must not fetch the
   * roster or send presence again, XEP-0198 §5). */
  g_object_get (alice.session, "sm-resumed", &resumed, NULL);
  g_assert_true (resumed);
  g_assert_true (talk_xmpp_session_get_sm_enabled (alice.session));
  g_assert_cmpint (talk_xmpp_session_get_state (alice.session), ==,
                   TALK_XMPP_SESSION_STATE_ONLINE);
  g_assert_cmpstr (talk_xmpp_jid_to_string (talk_xmpp_session_get_bound_jid (alice.session)),
                   ==, alice_full);
  g_assert_cmpuint (alice.n_online, ==, 1);
  g_assert_cmpuint (alice.n_resumed, ==, 1);

  /* b1 from the server's queue, a2 from alice's. */
  peer_wait_for (&alice, "b1");
  peer_wait_for (&bob, "a2");

  /* Exactly once, even after the dust settles. */
  peer_round_trip (&alice);
  peer_round_trip (&bob);
  talk_test_wait_for (never, NULL, 1500);
  g_assert_cmpuint (peer_count (&alice, "b1"), ==, 1);
  g_assert_cmpuint (peer_count (&bob, "a1"), ==, 1);
  g_assert_cmpuint (peer_count (&bob, "a2"), ==, 1);
  g_assert_cmpuint (alice.unacknowledged->len, ==, 0);
  g_assert_cmpuint (alice.n_online, ==, 1);

  peer_clear (&alice);
  peer_clear (&bob);
}

/* The server forgot the session: a new one, "online", and what it never
 * acknowledged is reported, never dropped (SECURITY.md §3.2). */
static void
test_sm_resume_failed (void)
{
  g_autoptr(GError) error = NULL;
  Peer alice = { 0 };
  gboolean resumed = TRUE;
  TalkXmppStanza *origin;

  peer_init (&alice, "alice", FALSE);
  peer_connect (&alice);
  peer_round_trip (&alice);
  g_assert_true (talk_test_wait_for (peer_all_acknowledged, &alice, 10000));

  /* Frozen, the server cannot acknowledge what alice sends; then it dies
   * with the session. */
  kill (talk_test_prosody_get_pid (prosody), SIGSTOP);
  peer_send (&alice, "bob@" TALK_TEST_DOMAIN, "lost-1");
  talk_test_wait_for (never, NULL, 200);
  kill (talk_test_prosody_get_pid (prosody), SIGKILL);
  talk_test_prosody_stop (prosody);
  g_assert_true (talk_test_wait_for (peer_disconnected, &alice, 30000));
  g_assert_cmpuint (alice.unacknowledged->len, ==, 0);

  g_assert_true (talk_test_prosody_restart (prosody, &error));
  g_assert_no_error (error);

  g_assert_true (talk_test_wait_for (peer_online_again, &alice, 30000));
  g_object_get (alice.session, "sm-resumed", &resumed, NULL);
  g_assert_false (resumed);
  g_assert_cmpuint (alice.n_resumed, ==, 0);
  g_assert_cmpuint (alice.unacknowledged->len, ==, 1);
  origin = talk_xmpp_stanza_get_child (g_ptr_array_index (alice.unacknowledged, 0),
                                       "origin-id", NS_SID);
  g_assert_nonnull (origin);
  g_assert_cmpstr (talk_xmpp_stanza_get_attribute (origin, "id"), ==, "lost-1");

  /* A fresh session with stream management of its own. */
  g_assert_true (talk_test_wait_for (peer_sm_enabled, &alice, 10000));

  peer_clear (&alice);
}

static void
test_user_disconnect_no_reconnect (void)
{
  Watch w = { 0 };
  g_autoptr(TalkXmppSession) session = make_session (&w);

  talk_xmpp_session_connect_async (session, NULL, connect_cb, &w);
  g_assert_true (talk_test_wait_for (watch_done, &w, 30000));
  g_assert_no_error (w.error);

  w.done = FALSE;
  talk_xmpp_session_disconnect_async (session, NULL, disconnect_cb, &w);
  g_assert_true (talk_test_wait_for (watch_done, &w, 10000));
  g_assert_no_error (w.error);
  g_assert_null (w.disconnect_error);

  /* Nothing comes back by itself after the user said goodbye. */
  talk_test_wait_for (never, NULL, 1500);
  g_assert_cmpuint (w.n_scheduled, ==, 0);
  g_assert_cmpuint (w.n_online, ==, 1);
  g_assert_cmpint (talk_xmpp_session_get_state (session), ==, TALK_XMPP_SESSION_STATE_DISCONNECTED);
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

  g_test_add_func ("/talk/integration/reconnect/server-shutdown", test_server_shutdown);
  g_test_add_func ("/talk/integration/reconnect/server-killed", test_server_killed);
  g_test_add_func ("/talk/integration/reconnect/user-disconnect", test_user_disconnect_no_reconnect);
  g_test_add_func ("/talk/integration/reconnect/sm-resume", test_sm_resume);
  g_test_add_func ("/talk/integration/reconnect/sm-resume-failed", test_sm_resume_failed);

  ret = g_test_run ();
  talk_test_prosody_free (prosody);
  return ret;
}
