/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * talk-probe --bench: the real sign-in, models and store without a window,
 * printing when each thing is done so that a harness (bench/run-xmpp.py)
 * can drive Talk and the reference clients in bench/ref/ the same way.
 *
 *   client level:  TalkClient ──► session online ──► SESSION
 *                     │             roster model loaded ──► ROSTER n
 *                     │             own presence out + roster ──► READY
 *                     └─► TalkChats "message-received" (stored) and the
 *                         open TalkConversation ──► FIRST, DONE n
 *   session level: TalkXmppSession + roster, presence and message modules,
 *                  the same lines, nothing stored
 *   then EXIT: at once (login), after DONE or --duration, or on SIGTERM.
 *
 * Every line is "<WORD> [n] <seconds>", CLOCK_MONOTONIC with %.6f, the
 * clock Python's time.monotonic() reads too. The history lives in a temp
 * XDG_DATA_HOME that is removed at exit; settings stay in memory.
 */

#include "config.h"

#define _GNU_SOURCE

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <time.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "talk-client.h"
#include "talk-probe-bench.h"
#include "talk-xmpp.h"
#include "modules/talk-xmpp-message.h"

/* A clean sign-out is not part of any figure, but must not hang. */
#define SHUTDOWN_TIMEOUT_MS 3000

typedef struct
{
  TalkProbeBenchOptions options;
  char *jid;
  char *host;
  char *pin;

  GMainLoop *loop;
  int *exit_code;
  char *data_dir;

  TalkClient *client;
  GListModel *roster_model;
  TalkChats *chats;
  TalkConversation *conversation;

  TalkXmppSession *session;
  TalkXmppRoster *xmpp_roster;
  TalkXmppPresence *presence;
  TalkXmppMessage *message;

  gboolean session_said;
  gboolean roster_said;
  gboolean presence_sent;
  gboolean ready_said;
  gboolean done_said;
  gboolean exit_said;
  gboolean quitting;
  guint messages;
  gint64 last_message_id;   /* history row of the last one counted */

  guint duration_id;
  guint shutdown_timeout_id;
  GCancellable *cancellable;
} Bench;

static Bench bench_data;

static double
now_seconds (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Machine-readable, never translated: the harness parses these. */
static void
bench_line (const char *word,
            gint64      count)
{
  if (count >= 0)
    printf ("%s %" G_GINT64_FORMAT " %.6f\n", word, count, now_seconds ());
  else
    printf ("%s %.6f\n", word, now_seconds ());
  fflush (stdout);
}

/* The end */

static void
bench_quit (Bench *bench)
{
  g_clear_handle_id (&bench->shutdown_timeout_id, g_source_remove);
  if (bench->loop != NULL)
    g_main_loop_quit (bench->loop);
}

static gboolean
shutdown_timeout_cb (gpointer user_data)
{
  Bench *bench = user_data;

  bench->shutdown_timeout_id = 0;
  bench_quit (bench);
  return G_SOURCE_REMOVE;
}

static void
shutdown_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Bench *bench = user_data;
  g_autoptr(GError) error = NULL;

  if (TALK_IS_CLIENT (source))
    talk_client_shutdown_finish (TALK_CLIENT (source), result, &error);
  else
    talk_xmpp_session_disconnect_finish (TALK_XMPP_SESSION (source), result, &error);
  if (error != NULL)
    g_debug ("Signing out: %s", error->message);

  bench_quit (bench);
}

static void
bench_finish (Bench *bench,
              int    exit_code)
{
  if (bench->quitting)
    return;
  bench->quitting = TRUE;
  *bench->exit_code = exit_code;

  if (!bench->exit_said)
    {
      bench->exit_said = TRUE;
      bench_line ("EXIT", -1);
    }

  g_clear_handle_id (&bench->duration_id, g_source_remove);
  bench->shutdown_timeout_id = g_timeout_add (SHUTDOWN_TIMEOUT_MS, shutdown_timeout_cb, bench);

  /* Signing out sends the unavailable presence and the closing tag, and
   * lets the history finish what it was writing. */
  if (bench->client != NULL)
    talk_client_shutdown_async (bench->client, NULL, shutdown_cb, bench);
  else if (bench->session != NULL &&
           talk_xmpp_session_get_state (bench->session) != TALK_XMPP_SESSION_STATE_DISCONNECTED)
    talk_xmpp_session_disconnect_async (bench->session, NULL, shutdown_cb, bench);
  else
    bench_quit (bench);
}

static void bench_fail (Bench *bench, const char *format, ...) G_GNUC_PRINTF (2, 3);

static void
bench_fail (Bench      *bench,
            const char *format,
            ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  fprintf (stderr, "talk-probe: %s\n", message);
  bench_finish (bench, EXIT_FAILURE);
}

static gboolean
duration_cb (gpointer user_data)
{
  Bench *bench = user_data;

  bench->duration_id = 0;
  if (bench->options.expect_messages > 0 && !bench->done_said)
    {
      bench_fail (bench, _("Only %u of %u messages arrived in %u s"),
                  bench->messages, bench->options.expect_messages, bench->options.duration);
      return G_SOURCE_REMOVE;
    }
  bench_finish (bench, EXIT_SUCCESS);
  return G_SOURCE_REMOVE;
}

/* Progress */

static void
bench_check_ready (Bench *bench)
{
  if (bench->ready_said || !bench->roster_said || !bench->presence_sent)
    return;

  bench->ready_said = TRUE;
  bench_line ("READY", -1);

  if (!bench->options.stay)
    {
      bench_finish (bench, EXIT_SUCCESS);
      return;
    }
  if (bench->options.duration > 0)
    bench->duration_id = g_timeout_add_seconds (bench->options.duration, duration_cb, bench);
}

static void
bench_check_done (Bench *bench)
{
  if (bench->done_said || bench->options.expect_messages == 0 ||
      bench->messages < bench->options.expect_messages)
    return;

  /* At the client level a message counts once it is stored AND in the
   * conversation's model. The model holds the newest page and what
   * arrived since, not necessarily every message: the last one being
   * there means all before it went through. */
  if (bench->conversation != NULL &&
      talk_conversation_lookup_message (bench->conversation, bench->last_message_id, NULL) == NULL)
    return;

  bench->done_said = TRUE;
  bench_line ("DONE", bench->messages);
  if (bench->ready_said)
    bench_finish (bench, EXIT_SUCCESS);
}

static void
bench_count_message (Bench *bench)
{
  bench->messages++;
  if (bench->messages == 1)
    bench_line ("FIRST", -1);
  bench_check_done (bench);
}

static void
bench_session_online (Bench *bench)
{
  if (bench->session_said)
    return;
  bench->session_said = TRUE;
  bench_line ("SESSION", -1);
}

static void
bench_roster_loaded (Bench *bench,
                     guint  n_contacts)
{
  if (bench->roster_said || n_contacts < bench->options.expect_contacts)
    return;
  bench->roster_said = TRUE;
  bench_line ("ROSTER", n_contacts);
  bench_check_ready (bench);
}

/* Client level */

static void
client_roster_changed_cb (GListModel *model,
                          guint       position,
                          guint       removed,
                          guint       added,
                          Bench      *bench)
{
  if (talk_roster_get_loaded (TALK_ROSTER (model)))
    bench_roster_loaded (bench, g_list_model_get_n_items (model));
}

static void
client_roster_loaded_cb (GObject    *object,
                         GParamSpec *pspec,
                         Bench      *bench)
{
  client_roster_changed_cb (G_LIST_MODEL (object), 0, 0, 0, bench);
}

static void
conversation_changed_cb (GListModel *model,
                         guint       position,
                         guint       removed,
                         guint       added,
                         Bench      *bench)
{
  bench_check_done (bench);
}

static void
chats_message_received_cb (TalkChats   *chats,
                           const char  *peer,
                           TalkMessage *message,
                           gboolean     notify,
                           Bench       *bench)
{
  /* Opened with the first message, as a window would open its tab. */
  if (bench->conversation == NULL)
    {
      bench->conversation = talk_chats_open_conversation (chats, peer);
      g_signal_connect (bench->conversation, "items-changed",
                        G_CALLBACK (conversation_changed_cb), bench);
    }
  bench->last_message_id = talk_message_get_id (message);
  bench_count_message (bench);
}

static void
client_session_online_cb (TalkXmppSession *session,
                          Bench           *bench)
{
  bench_session_online (bench);
}

static void
client_status_cb (TalkClient *client,
                  GParamSpec *pspec,
                  Bench      *bench)
{
  switch (talk_client_get_status (client))
    {
    case TALK_CLIENT_STATUS_ONLINE:
      /* TalkClient sends the initial presence, then says ONLINE. */
      bench->presence_sent = TRUE;
      bench_check_ready (bench);
      break;
    case TALK_CLIENT_STATUS_NEEDS_PASSWORD:
    case TALK_CLIENT_STATUS_CERTIFICATE:
    case TALK_CLIENT_STATUS_FAILED:
    case TALK_CLIENT_STATUS_WAITING:
      if (!bench->quitting)
        bench_fail (bench, _("Could not sign in: %s"),
                    talk_client_get_error (client) != NULL ?
                      talk_client_get_error (client) : "?");
      break;
    case TALK_CLIENT_STATUS_NO_ACCOUNT:
    case TALK_CLIENT_STATUS_OFFLINE:
    case TALK_CLIENT_STATUS_CONNECTING:
    default:
      break;
    }
}

static void
bench_start_client (Bench      *bench,
                    const char *password)
{
  TalkXmppSession *session;

  bench->client = talk_client_new ();
  g_signal_connect (bench->client, "notify::status", G_CALLBACK (client_status_cb), bench);
  talk_client_start_with_password (bench->client, bench->jid, password, bench->host,
                                   bench->options.port, bench->pin);

  session = talk_client_get_session (bench->client);
  if (session == NULL)
    {
      bench_fail (bench, _("Could not set up the account %s"), bench->jid);
      return;
    }
  g_signal_connect (session, "online", G_CALLBACK (client_session_online_cb), bench);

  bench->roster_model = g_object_ref (talk_client_get_roster (bench->client));
  g_signal_connect (bench->roster_model, "items-changed",
                    G_CALLBACK (client_roster_changed_cb), bench);
  g_signal_connect (bench->roster_model, "notify::loaded",
                    G_CALLBACK (client_roster_loaded_cb), bench);

  bench->chats = g_object_ref (talk_client_get_chats (bench->client));
  g_signal_connect (bench->chats, "message-received",
                    G_CALLBACK (chats_message_received_cb), bench);
}

/* Session level */

static void
session_roster_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Bench *bench = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) items = NULL;
  g_autofree char *version = NULL;

  if (!talk_xmpp_roster_fetch_finish (TALK_XMPP_ROSTER (source), result, &items, &version,
                                      &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        bench_fail (bench, _("Could not fetch the roster: %s"), error->message);
      return;
    }

  /* One result holds the whole roster: said as it is, so that a short
   * one shows in the harness rather than as a hang. */
  bench->options.expect_contacts = 0;
  bench_roster_loaded (bench, items != NULL ? items->len : 0);
}

static void
session_online_cb (TalkXmppSession *session,
                   Bench           *bench)
{
  bench_session_online (bench);

  /* RFC 6121 §4.2: the roster request goes out before the initial presence. */
  talk_xmpp_roster_fetch_async (bench->xmpp_roster, NULL, bench->cancellable,
                                session_roster_cb, bench);
  bench->presence_sent = talk_xmpp_presence_send_own (bench->presence,
                                                      TALK_XMPP_PRESENCE_SHOW_AVAILABLE,
                                                      NULL, 0);
  bench_check_ready (bench);
}

static void
session_message_cb (TalkXmppMessage     *message,
                    TalkXmppMessageInfo *info,
                    Bench               *bench)
{
  if (talk_xmpp_message_info_get_body (info) != NULL)
    bench_count_message (bench);
}

static void
session_connect_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  Bench *bench = user_data;
  g_autoptr(GError) error = NULL;

  if (!talk_xmpp_session_connect_finish (TALK_XMPP_SESSION (source), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    bench_fail (bench, _("Could not sign in: %s"), error->message);
}

static void
bench_start_session (Bench      *bench,
                     const char *password)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TalkXmppJid) jid = talk_xmpp_jid_new (bench->jid, &error);

  if (jid == NULL)
    {
      bench_fail (bench, "%s", error->message);
      return;
    }

  bench->session = talk_xmpp_session_new (jid);
  g_object_set (bench->session, "auto-reconnect", FALSE, NULL);
  talk_xmpp_session_set_host (bench->session, bench->host, bench->options.port,
                              bench->options.direct_tls);
  talk_xmpp_session_set_pinned_certificate (bench->session, bench->pin);
  talk_xmpp_session_set_password (bench->session, password);

  bench->xmpp_roster = talk_xmpp_roster_new (bench->session);
  bench->presence = talk_xmpp_presence_new (bench->session);
  bench->message = talk_xmpp_message_new (bench->session);

  g_signal_connect (bench->session, "online", G_CALLBACK (session_online_cb), bench);
  g_signal_connect (bench->message, "message-received",
                    G_CALLBACK (session_message_cb), bench);

  talk_xmpp_session_connect_async (bench->session, bench->cancellable,
                                   session_connect_cb, bench);
}

/* Public */

gboolean
talk_probe_bench_prepare (GError **error)
{
  Bench *bench = &bench_data;
  g_autofree char *data = NULL;
  g_autofree char *cache = NULL;

  bench->data_dir = g_dir_make_tmp ("talk-probe-bench-XXXXXX", error);
  if (bench->data_dir == NULL)
    return FALSE;

  data = g_build_filename (bench->data_dir, "data", NULL);
  cache = g_build_filename (bench->data_dir, "cache", NULL);
  if (g_mkdir (data, 0700) != 0 || g_mkdir (cache, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Could not make a folder in %s: %s"), bench->data_dir,
                   g_strerror (saved_errno));
      return FALSE;
    }

  /* A bench run must never touch the user's history, settings or keyring. */
  g_setenv ("XDG_DATA_HOME", data, TRUE);
  g_setenv ("XDG_CACHE_HOME", cache, TRUE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);

  return TRUE;
}

void
talk_probe_bench_start (const TalkProbeBenchOptions *options,
                        const char                  *password,
                        GMainLoop                   *loop,
                        int                         *exit_code)
{
  Bench *bench = &bench_data;

  bench->options = *options;
  bench->jid = g_strdup (options->jid);
  bench->host = g_strdup (options->host);
  bench->pin = g_strdup (options->pin);
  bench->options.jid = bench->jid;
  bench->options.host = bench->host;
  bench->options.pin = bench->pin;
  bench->loop = g_main_loop_ref (loop);
  bench->exit_code = exit_code;
  bench->cancellable = g_cancellable_new ();

  if (options->level == TALK_PROBE_BENCH_SESSION)
    bench_start_session (bench, password);
  else
    bench_start_client (bench, password);
}

void
talk_probe_bench_stop (void)
{
  Bench *bench = &bench_data;

  if (bench->loop == NULL)
    return;
  bench_finish (bench, EXIT_SUCCESS);
}

static int
remove_entry (const char        *path,
              const struct stat *st,
              int                type,
              struct FTW        *ftw)
{
  if (remove (path) != 0)
    g_debug ("Could not remove %s: %s", path, g_strerror (errno));
  return 0;
}

void
talk_probe_bench_cleanup (void)
{
  Bench *bench = &bench_data;

  g_cancellable_cancel (bench->cancellable);
  g_clear_handle_id (&bench->duration_id, g_source_remove);
  g_clear_handle_id (&bench->shutdown_timeout_id, g_source_remove);

  if (bench->conversation != NULL)
    g_signal_handlers_disconnect_by_data (bench->conversation, bench);
  if (bench->chats != NULL)
    g_signal_handlers_disconnect_by_data (bench->chats, bench);
  if (bench->roster_model != NULL)
    g_signal_handlers_disconnect_by_data (bench->roster_model, bench);
  if (bench->client != NULL)
    {
      TalkXmppSession *session = talk_client_get_session (bench->client);

      if (session != NULL)
        g_signal_handlers_disconnect_by_data (session, bench);
      g_signal_handlers_disconnect_by_data (bench->client, bench);
    }
  g_clear_object (&bench->conversation);
  g_clear_object (&bench->chats);
  g_clear_object (&bench->roster_model);
  g_clear_object (&bench->client);

  if (bench->message != NULL)
    g_signal_handlers_disconnect_by_data (bench->message, bench);
  if (bench->session != NULL)
    g_signal_handlers_disconnect_by_data (bench->session, bench);
  g_clear_object (&bench->message);
  g_clear_object (&bench->presence);
  g_clear_object (&bench->xmpp_roster);
  g_clear_object (&bench->session);
  g_clear_object (&bench->cancellable);
  g_clear_pointer (&bench->loop, g_main_loop_unref);

  /* The history's worker may still hold the file for a moment; what it
   * writes after this goes into an unlinked file. */
  if (bench->data_dir != NULL)
    nftw (bench->data_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
  g_clear_pointer (&bench->data_dir, g_free);
  g_clear_pointer (&bench->jid, g_free);
  g_clear_pointer (&bench->host, g_free);
  g_clear_pointer (&bench->pin, g_free);
}
