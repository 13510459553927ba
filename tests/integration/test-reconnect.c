/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Staying online against a real Prosody: the server goes away while the
 * session is online (a clean shutdown, then a hard kill) and comes back;
 * the session reconnects on its own within the backoff.
 */
#include "talk-xmpp.h"
#include "talk-test-prosody.h"

#include <signal.h>


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

  ret = g_test_run ();
  talk_test_prosody_free (prosody);
  return ret;
}
