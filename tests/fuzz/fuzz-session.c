/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * An online session for the stanza fuzz targets.
 *
 *   socketpair ─► server header written ─► the client's stream opens
 *     ─► adopted, ONLINE, modules attached
 *   feed: bytes ─► the server end ─► the main context runs until the
 *     session has read them ─► what it wrote is parsed (it must be
 *     well-formed) for the ids of its requests
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz-session.h"
#include "talk-xmpp-session-private.h"

#define SERVER_HEADER \
  "<?xml version='1.0'?><stream:stream xmlns='jabber:client'" \
  " xmlns:stream='http://etherx.jabber.org/streams' version='1.0'" \
  " from='example.test' id='fuzz'>"

struct _FuzzSession
{
  TalkXmppSession  *session;
  TalkXmppDisco    *disco;
  TalkXmppRoster   *roster;
  TalkXmppPresence *presence;
  TalkXmppMessage  *message;
  TalkXmppCarbons  *carbons;
  TalkXmppMam      *mam;
  GCancellable     *cancellable;

  int               server_fd;
  int               client_fd;
  TalkXmppReader   *reader;      /* what the session writes */
  char             *last_id;
  char             *query_id;
};

/* Logging: criticals are bugs; the rest (forged stanzas are warned
 * about) is noise at a thousand inputs a second. */
static GLogWriterOutput
fuzz_log_writer (GLogLevelFlags   level,
                 const GLogField *fields,
                 gsize            n_fields,
                 gpointer         user_data)
{
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
    {
      g_log_writer_standard_streams (level, fields, n_fields, user_data);
      /* abort(), not the SIGTRAP of G_BREAKPOINT: libFuzzer keeps the
       * input on SIGABRT. */
      abort ();
    }
  return G_LOG_WRITER_HANDLED;
}

void
fuzz_init (void)
{
  /* Nothing here waits for the network. */
  g_setenv ("GIO_USE_NETWORK_MONITOR", "base", TRUE);
  g_log_set_writer_func (fuzz_log_writer, NULL, NULL);
}

static void
fuzz_fail (const char *what,
           const char *detail)
{
  fprintf (stderr, "%s: %s\n", what, detail);
  abort ();
}

/* Reads what the session wrote: it must be well-formed XML. */
static void
drain (FuzzSession *self)
{
  char buf[4096];
  ssize_t n;

  while ((n = read (self->server_fd, buf, sizeof buf)) > 0)
    {
      g_autoptr(GError) error = NULL;
      TalkXmppStanza *element = NULL;
      TalkXmppReaderEvent event;

      if (!talk_xmpp_reader_feed (self->reader, buf, n, &error))
        fuzz_fail ("the session wrote malformed XML", error->message);

      while ((event = talk_xmpp_reader_pop (self->reader, &element)) != TALK_XMPP_READER_EVENT_NONE)
        {
          if (event == TALK_XMPP_READER_EVENT_STANZA &&
              talk_xmpp_stanza_is (element, "iq", TALK_XMPP_NS_CLIENT))
            {
              const char *type = talk_xmpp_stanza_get_stanza_type (element);
              TalkXmppStanza *query = talk_xmpp_stanza_get_child (element, "query",
                                                                  TALK_XMPP_NS_MAM);

              if (g_strcmp0 (type, "get") == 0 || g_strcmp0 (type, "set") == 0)
                {
                  g_free (self->last_id);
                  self->last_id = g_strdup (talk_xmpp_stanza_get_id (element));
                }
              if (query != NULL)
                {
                  g_free (self->query_id);
                  self->query_id = g_strdup (talk_xmpp_stanza_get_attribute (query, "queryid"));
                }
            }
          g_clear_pointer (&element, talk_xmpp_stanza_unref);
        }
    }
}

/* Runs the main context until nothing is left to read or to dispatch. */
static void
pump (FuzzSession *self)
{
  guint idle = 0;

  for (guint i = 0; i < 100000 && idle < 3; i++)
    {
      gboolean dispatched = g_main_context_iteration (NULL, FALSE);
      int unread = 0;

      drain (self);
      if (ioctl (self->client_fd, FIONREAD, &unread) != 0)
        unread = 0;
      idle = dispatched || unread > 0 ? 0 : idle + 1;
    }
}

static void
store_result_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/* A completion nobody waits for: requests end with the input. */
static void
ignore_result_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (TALK_XMPP_IS_ROSTER (source))
    {
      g_autoptr(GPtrArray) items = NULL;
      g_autofree char *version = NULL;

      talk_xmpp_roster_fetch_finish (TALK_XMPP_ROSTER (source), result, &items, &version, &error);
    }
  else if (TALK_XMPP_IS_MAM (source))
    {
      g_autoptr(TalkXmppMamPage) page = NULL;

      page = talk_xmpp_mam_query_finish (TALK_XMPP_MAM (source), result, &error);
    }
  else if (TALK_XMPP_IS_DISCO (source))
    {
      g_autoptr(TalkXmppStanza) query = NULL;

      query = talk_xmpp_disco_query_info_finish (TALK_XMPP_DISCO (source), result, &error);
    }
}

FuzzSession *
fuzz_session_new (void)
{
  FuzzSession *self = g_new0 (FuzzSession, 1);
  g_autoptr(TalkXmppJid) jid = talk_xmpp_jid_new (FUZZ_OWN_BARE, NULL);
  g_autoptr(TalkXmppJid) bound_jid = talk_xmpp_jid_new (FUZZ_OWN_FULL, NULL);
  g_autoptr(GSocket) client_socket = NULL;
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(TalkXmppStream) stream = NULL;
  g_autoptr(TalkXmppStanza) header = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  int fds[2];

  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    fuzz_fail ("socketpair", g_strerror (errno));
  self->client_fd = fds[0];
  self->server_fd = fds[1];
  fcntl (self->server_fd, F_SETFL, fcntl (self->server_fd, F_GETFL) | O_NONBLOCK);
  client_socket = g_socket_new_from_fd (self->client_fd, &error);
  if (client_socket == NULL)
    fuzz_fail ("g_socket_new_from_fd", error->message);
  connection = g_socket_connection_factory_create_connection (client_socket);
  self->reader = talk_xmpp_reader_new ();
  self->cancellable = g_cancellable_new ();

  self->session = talk_xmpp_session_new (jid);
  g_object_set (self->session,
                "auto-reconnect", FALSE,
                "keepalive-seconds", 0,
                NULL);
  /* In TalkClient's order (talk-client.c). */
  self->disco = talk_xmpp_disco_new (self->session);
  self->roster = talk_xmpp_roster_new (self->session);
  self->presence = talk_xmpp_presence_new (self->session);
  talk_xmpp_presence_set_disco (self->presence, self->disco);
  self->message = talk_xmpp_message_new (self->session);
  self->carbons = talk_xmpp_carbons_new (self->session);
  self->mam = talk_xmpp_mam_new (self->session);

  if (write (self->server_fd, SERVER_HEADER, strlen (SERVER_HEADER)) !=
      (ssize_t) strlen (SERVER_HEADER))
    fuzz_fail ("write", g_strerror (errno));
  stream = talk_xmpp_stream_new (G_IO_STREAM (connection));
  talk_xmpp_stream_open_async (stream, "example.test", FUZZ_OWN_BARE, NULL, store_result_cb,
                               &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  header = talk_xmpp_stream_open_finish (stream, result, &error);
  if (header == NULL)
    fuzz_fail ("opening the stream", error->message);

  _talk_xmpp_session_adopt_stream (self->session, stream, bound_jid);
  pump (self);
  return self;
}

void
fuzz_session_ask (FuzzSession *self,
                  FuzzRequest  request)
{
  switch (request)
    {
    case FUZZ_REQUEST_ROSTER:
      talk_xmpp_roster_fetch_async (self->roster, NULL, self->cancellable, ignore_result_cb,
                                    NULL);
      break;
    case FUZZ_REQUEST_ARCHIVE:
      talk_xmpp_mam_query_async (self->mam, NULL, NULL, "", NULL, 50, self->cancellable,
                                 ignore_result_cb, NULL);
      break;
    case FUZZ_REQUEST_DISCO:
      talk_xmpp_disco_query_info_async (self->disco, "example.test", NULL, self->cancellable,
                                        ignore_result_cb, NULL);
      break;
    case FUZZ_REQUEST_NONE:
    default:
      break;
    }
  pump (self);
}

static void
replace_all (GString    *text,
             const char *placeholder,
             const char *value)
{
  g_string_replace (text, placeholder, value != NULL ? value : "none", 0);
}

void
fuzz_session_feed (FuzzSession *self,
                   const char  *data,
                   gsize        len)
{
  g_autoptr(GString) text = g_string_new_len (data, len);
  gsize written = 0;

  replace_all (text, "@I@", self->last_id);
  replace_all (text, "@Q@", self->query_id);
  replace_all (text, "@O@", FUZZ_OWN_BARE);
  replace_all (text, "@F@", FUZZ_OWN_FULL);

  /* Larger than the socket buffer only with huge inputs: write what
   * fits, let the session read, go on. */
  while (written < text->len)
    {
      ssize_t n = write (self->server_fd, text->str + written, text->len - written);

      if (n < 0 && errno != EAGAIN && errno != EINTR)
        break;  /* the session closed its end */
      if (n > 0)
        written += n;
      pump (self);
      if (talk_xmpp_session_get_state (self->session) != TALK_XMPP_SESSION_STATE_ONLINE)
        break;
    }
  pump (self);
}

void
fuzz_session_free (FuzzSession *self)
{
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->mam);
  g_clear_object (&self->carbons);
  g_clear_object (&self->message);
  g_clear_object (&self->presence);
  g_clear_object (&self->roster);
  g_clear_object (&self->disco);
  g_clear_object (&self->session);
  /* The session's closing tag, then the transport's end. */
  pump (self);
  close (self->server_fd);
  pump (self);

  g_clear_object (&self->cancellable);
  g_clear_object (&self->reader);
  g_free (self->last_id);
  g_free (self->query_id);
  g_free (self);
}
