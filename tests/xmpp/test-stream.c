/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * TalkXmppStream over one end of a socketpair; the test plays the server on
 * the other end with plain, non-blocking socket calls.
 */

#include "config.h"

#include <gio/gio.h>
#include <string.h>
#include <sys/socket.h>

#include "talk-xmpp-error.h"
#include "talk-xmpp-stream.h"

#define WAIT_MS 5000

#define SERVER_HEADER \
  "<?xml version='1.0'?>" \
  "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'" \
  " from='example.com' id='s1' version='1.0' xml:lang='en'>"

typedef struct
{
  GSocketConnection *client;
  GSocket           *peer;
  GString           *peer_in;
  gboolean           peer_eof;
  TalkXmppStream    *stream;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocket) client_socket = NULL;
  int fds[2];

  g_assert_no_errno (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds));

  client_socket = g_socket_new_from_fd (fds[0], &error);
  g_assert_no_error (error);
  f->peer = g_socket_new_from_fd (fds[1], &error);
  g_assert_no_error (error);
  g_socket_set_blocking (f->peer, FALSE);

  f->client = g_socket_connection_factory_create_connection (client_socket);
  f->stream = talk_xmpp_stream_new (G_IO_STREAM (f->client));
  f->peer_in = g_string_new (NULL);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_object (&f->stream);
  g_clear_object (&f->client);
  g_socket_close (f->peer, NULL);
  g_clear_object (&f->peer);
  g_string_free (f->peer_in, TRUE);

  /* Let background closes finish before the next test. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static void
peer_write (Fixture    *f,
            const char *text)
{
  gsize len = strlen (text);
  gsize done = 0;

  while (done < len)
    {
      g_autoptr(GError) error = NULL;
      gssize n = g_socket_send_with_blocking (f->peer, text + done, len - done,
                                              TRUE, NULL, &error);

      g_assert_no_error (error);
      done += n;
    }
}

/* Reads what is there without blocking. */
static void
peer_pump (Fixture *f)
{
  char buffer[4096];

  while (!f->peer_eof)
    {
      g_autoptr(GError) error = NULL;
      gssize n = g_socket_receive_with_blocking (f->peer, buffer, sizeof buffer,
                                                 FALSE, NULL, &error);

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        return;
      if (n <= 0)
        {
          f->peer_eof = TRUE;
          return;
        }
      g_string_append_len (f->peer_in, buffer, n);
    }
}

static gboolean
timeout_flag_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Runs the main context until @needle was received (or EOF when NULL). */
static gboolean
peer_wait_for (Fixture    *f,
               const char *needle)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add (WAIT_MS, timeout_flag_cb, &timed_out);

  while (!timed_out)
    {
      peer_pump (f);
      if (needle != NULL && strstr (f->peer_in->str, needle) != NULL)
        break;
      if (f->peer_eof)
        break;
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }

  if (!timed_out)
    g_source_remove (id);

  return needle != NULL ? strstr (f->peer_in->str, needle) != NULL : f->peer_eof;
}

static void
store_result_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GAsyncResult **slot = user_data;

  g_assert_null (*slot);
  *slot = g_object_ref (result);
}

static GAsyncResult *
wait_result (GAsyncResult **slot)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add (WAIT_MS, timeout_flag_cb, &timed_out);

  while (*slot == NULL && !timed_out)
    g_main_context_iteration (NULL, TRUE);

  if (!timed_out)
    g_source_remove (id);

  g_assert_nonnull (*slot);
  return *slot;
}

static void
spin (void)
{
  for (guint i = 0; i < 20; i++)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (500);
    }
}

/* Opens the stream and answers with SERVER_HEADER. */
static void
open_stream (Fixture *f)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(TalkXmppStanza) header = NULL;
  g_autoptr(GError) error = NULL;

  talk_xmpp_stream_open_async (f->stream, "example.com", NULL, NULL, store_result_cb, &result);
  g_assert_true (peer_wait_for (f, "xml:lang='en'>"));
  g_string_truncate (f->peer_in, 0);
  peer_write (f, SERVER_HEADER);

  header = talk_xmpp_stream_open_finish (f->stream, wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_nonnull (header);
}

static TalkXmppStanza *
recv_one (Fixture  *f,
          GError  **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  talk_xmpp_stream_recv_async (f->stream, NULL, store_result_cb, &result);
  return talk_xmpp_stream_recv_finish (f->stream, wait_result (&result), error);
}

static void
test_open (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(TalkXmppStanza) header = NULL;
  g_autoptr(GError) error = NULL;

  talk_xmpp_stream_open_async (f->stream, "example.com", "alice@example.com", NULL,
                               store_result_cb, &result);
  g_assert_true (peer_wait_for (f, "xml:lang='en'>"));
  g_assert_cmpstr (f->peer_in->str, ==,
                   "<?xml version='1.0'?>"
                   "<stream:stream xmlns='jabber:client'"
                   " xmlns:stream='http://etherx.jabber.org/streams'"
                   " to='example.com' from='alice@example.com'"
                   " version='1.0' xml:lang='en'>");
  g_assert_null (result);

  peer_write (f, SERVER_HEADER);
  header = talk_xmpp_stream_open_finish (f->stream, wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_true (talk_xmpp_stanza_is (header, "stream", TALK_XMPP_NS_STREAM));
  g_assert_cmpstr (talk_xmpp_stanza_get_attribute (header, "id"), ==, "s1");
  g_assert_cmpstr (talk_xmpp_stanza_get_attribute (header, "from"), ==, "example.com");
  g_assert_false (talk_xmpp_stream_is_closed (f->stream));
  g_assert_cmpint (talk_xmpp_stream_get_last_receive_time (f->stream), >, 0);
  g_assert_cmpint (talk_xmpp_stream_get_last_send_time (f->stream), >, 0);
}

static void
test_open_escapes (Fixture       *f,
                   gconstpointer  data)
{
  talk_xmpp_stream_open_async (f->stream, "a'b&c<d>", NULL, NULL, NULL, NULL);
  g_assert_true (peer_wait_for (f, "xml:lang='en'>"));
  g_assert_nonnull (strstr (f->peer_in->str, " to='a&apos;b&amp;c&lt;d&gt;' version='1.0'"));
  g_assert_null (strstr (f->peer_in->str, "from="));
}

static void
test_open_old_version (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(TalkXmppStanza) header = NULL;
  g_autoptr(GError) error = NULL;

  talk_xmpp_stream_open_async (f->stream, "example.com", NULL, NULL, store_result_cb, &result);
  /* A pre-XMPP 1.0 server sends no version (RFC 6120 §4.7.5). */
  peer_write (f, "<?xml version='1.0'?>"
                 "<stream:stream xmlns='jabber:client'"
                 " xmlns:stream='http://etherx.jabber.org/streams'"
                 " from='example.com' id='old'>");

  header = talk_xmpp_stream_open_finish (f->stream, wait_result (&result), &error);
  g_assert_error (error, TALK_XMPP_STREAM_ERROR, TALK_XMPP_STREAM_ERROR_UNSUPPORTED_VERSION);
  g_assert_null (header);
  g_assert_true (talk_xmpp_stream_is_closed (f->stream));

  g_assert_true (peer_wait_for (f, NULL));
  g_assert_nonnull (strstr (f->peer_in->str,
                            "<stream:error><unsupported-version"
                            " xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>"
                            "</stream:stream>"));
}

static void
test_open_version_2 (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(TalkXmppStanza) header = NULL;
  g_autoptr(GError) error = NULL;

  talk_xmpp_stream_open_async (f->stream, "example.com", NULL, NULL, store_result_cb, &result);
  peer_write (f, "<stream:stream xmlns='jabber:client'"
                 " xmlns:stream='http://etherx.jabber.org/streams' version='2.0'>");
  header = talk_xmpp_stream_open_finish (f->stream, wait_result (&result), &error);
  g_assert_error (error, TALK_XMPP_STREAM_ERROR, TALK_XMPP_STREAM_ERROR_UNSUPPORTED_VERSION);
  g_assert_nonnull (strstr (error->message, "2.0"));
}

static void
test_recv_split (Fixture       *f,
                 gconstpointer  data)
{
  static const char input[] =
    "<message to='alice@example.com' type='chat' id='m1'>"
    "<body>caf\xc3\xa9 &amp; &lt;b&gt;</body></message>"
    "<iq type='get' id='q1' from='example.com'><ping xmlns='urn:xmpp:ping'/></iq>";
  static const gsize splits[] = { 1, 2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 1000 };
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(TalkXmppStanza) message = NULL;
  g_autoptr(TalkXmppStanza) iq = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *body = NULL;
  gsize offset = 0;

  open_stream (f);

  talk_xmpp_stream_recv_async (f->stream, NULL, store_result_cb, &result);
  for (guint i = 0; offset < strlen (input); i++)
    {
      g_autofree char *chunk = NULL;
      gsize len = MIN (splits[i % G_N_ELEMENTS (splits)], strlen (input) - offset);

      /* Cut through the two-byte é as well as through tags and entities. */
      chunk = g_strndup (input + offset, len);
      peer_write (f, chunk);
      offset += len;
      spin ();
    }

  message = talk_xmpp_stream_recv_finish (f->stream, wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_true (talk_xmpp_stanza_is (message, "message", TALK_XMPP_NS_CLIENT));
  g_assert_cmpstr (talk_xmpp_stanza_get_id (message), ==, "m1");
  body = talk_xmpp_stanza_dup_child_text (message, "body", NULL);
  g_assert_cmpstr (body, ==, "caf\xc3\xa9 & <b>");

  iq = recv_one (f, &error);
  g_assert_no_error (error);
  g_assert_true (talk_xmpp_stanza_is (iq, "iq", TALK_XMPP_NS_CLIENT));
  g_assert_nonnull (talk_xmpp_stanza_get_child (iq, "ping", "urn:xmpp:ping"));
}

static void
test_keepalive (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(TalkXmppStanza) presence = NULL;
  g_autoptr(GError) error = NULL;

  open_stream (f);

  /* RFC 6120 §4.6.1: whitespace between stanzas is no stanza. */
  talk_xmpp_stream_recv_async (f->stream, NULL, store_result_cb, &result);
  peer_write (f, " ");
  spin ();
  peer_write (f, "\n\t \r\n");
  spin ();
  g_assert_null (result);
  peer_write (f, " <presence id='p1'/> ");
  presence = talk_xmpp_stream_recv_finish (f->stream, wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (talk_xmpp_stanza_get_id (presence), ==, "p1");

  g_clear_object (&result);
  talk_xmpp_stream_send_raw_async (f->stream, " ", NULL, store_result_cb, &result);
  g_assert_true (talk_xmpp_stream_send_raw_finish (f->stream, wait_result (&result), &error));
  g_assert_no_error (error);
  g_assert_true (peer_wait_for (f, " "));
  g_assert_cmpstr (f->peer_in->str, ==, " ");
}

static void
test_stream_error (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(TalkXmppStanza) stanza = NULL;
  g_autoptr(GError) error = NULL;

  open_stream (f);

  peer_write (f, "<stream:error>"
                 "<system-shutdown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
                 "<text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>Back at &lt;6&gt;\npm</text>"
                 "</stream:error></stream:stream>");
  stanza = recv_one (f, &error);
  g_assert_null (stanza);
  g_assert_error (error, TALK_XMPP_STREAM_ERROR, TALK_XMPP_STREAM_ERROR_SYSTEM_SHUTDOWN);
  g_assert_true (g_str_has_prefix (error->message,
                                   talk_xmpp_stream_error_describe (TALK_XMPP_STREAM_ERROR_SYSTEM_SHUTDOWN)));
  /* Plain text: unescaped once, control characters gone. */
  g_assert_nonnull (strstr (error->message, "Back at <6> pm"));
  g_assert_true (talk_xmpp_stream_is_closed (f->stream));
  g_assert_nonnull (talk_xmpp_stream_get_stream_error (f->stream));

  /* We answer with our closing tag and close. */
  g_assert_true (peer_wait_for (f, NULL));
  g_assert_cmpstr (f->peer_in->str, ==, "</stream:stream>");

  g_clear_error (&error);
  stanza = recv_one (f, &error);
  g_assert_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_CLOSED);
}

static void
test_stream_error_long_text (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(GString) input = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(TalkXmppStanza) stanza = NULL;

  open_stream (f);

  g_string_append (input, "<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
                          "<text xmlns='urn:ietf:params:xml:ns:xmpp-streams'>");
  for (guint i = 0; i < 500; i++)
    g_string_append (input, "\xc3\xa9");
  g_string_append (input, "</text></stream:error>");
  peer_write (f, input->str);

  stanza = recv_one (f, &error);
  g_assert_error (error, TALK_XMPP_STREAM_ERROR, TALK_XMPP_STREAM_ERROR_CONFLICT);

  /* 200 characters and an ellipsis, never 201. */
  g_assert_true (g_str_has_suffix (error->message, "\xc3\xa9…"));
  g_assert_cmpuint (g_utf8_strlen (strstr (error->message, "\xc3\xa9"), -1), ==, 201);
}

static void
test_unknown_stream_error (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TalkXmppStanza) stanza = NULL;

  open_stream (f);

  peer_write (f, "<stream:error><made-up xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
                 "</stream:error>");
  stanza = recv_one (f, &error);
  g_assert_error (error, TALK_XMPP_STREAM_ERROR, TALK_XMPP_STREAM_ERROR_UNDEFINED_CONDITION);
  g_assert_cmpstr (error->message, ==,
                   talk_xmpp_stream_error_describe (TALK_XMPP_STREAM_ERROR_UNDEFINED_CONDITION));
}

static void
test_peer_close (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(TalkXmppStanza) stanza = NULL;
  g_autoptr(TalkXmppStanza) last = NULL;
  g_autoptr(GError) error = NULL;

  open_stream (f);

  /* The stanza before the closing tag is still delivered. */
  peer_write (f, "<message id='last'/></stream:stream>");
  last = recv_one (f, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (talk_xmpp_stanza_get_id (last), ==, "last");

  stanza = recv_one (f, &error);
  g_assert_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_CLOSED);
  g_assert_true (talk_xmpp_stream_is_closed (f->stream));

  g_assert_true (peer_wait_for (f, NULL));
  g_assert_cmpstr (f->peer_in->str, ==, "</stream:stream>");
}

static void
test_eof (Fixture       *f,
          gconstpointer  data)
{
  g_autoptr(TalkXmppStanza) stanza = NULL;
  g_autoptr(GError) error = NULL;

  open_stream (f);

  g_socket_shutdown (f->peer, FALSE, TRUE, NULL);
  stanza = recv_one (f, &error);
  g_assert_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_CLOSED);
  g_assert_true (talk_xmpp_stream_is_closed (f->stream));
  g_assert_true (peer_wait_for (f, NULL));
}

static void
test_doctype (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(TalkXmppStanza) header = NULL;
  g_autoptr(GError) error = NULL;

  talk_xmpp_stream_open_async (f->stream, "example.com", NULL, NULL, store_result_cb, &result);
  g_assert_true (peer_wait_for (f, "xml:lang='en'>"));
  g_string_truncate (f->peer_in, 0);

  /* The billion laughs start with a DTD; the reader must refuse it. */
  peer_write (f, "<?xml version='1.0'?>"
                 "<!DOCTYPE stream:stream [<!ENTITY lol 'lol'>]>"
                 "<stream:stream xmlns='jabber:client'"
                 " xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>");

  header = talk_xmpp_stream_open_finish (f->stream, wait_result (&result), &error);
  g_assert_null (header);
  g_assert_error (error, TALK_XMPP_STREAM_ERROR, TALK_XMPP_STREAM_ERROR_RESTRICTED_XML);
  g_assert_true (talk_xmpp_stream_is_closed (f->stream));

  /* Told why, then closed: the peer sees end of file. */
  g_assert_true (peer_wait_for (f, NULL));
  g_assert_cmpstr (f->peer_in->str, ==,
                   "<stream:error><restricted-xml xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
                   "</stream:error></stream:stream>");
}

static void
test_bad_xml_mid_stream (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(TalkXmppStanza) stanza = NULL;
  g_autoptr(GError) error = NULL;

  open_stream (f);

  peer_write (f, "<message><body>a</bod></message>");
  stanza = recv_one (f, &error);
  g_assert_error (error, TALK_XMPP_STREAM_ERROR, TALK_XMPP_STREAM_ERROR_NOT_WELL_FORMED);
  g_assert_true (peer_wait_for (f, NULL));
  g_assert_true (g_str_has_prefix (f->peer_in->str, "<stream:error><not-well-formed "));
}

typedef struct
{
  guint n_done;
  guint n_failed;
} SendCounter;

static void
send_counted_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  SendCounter *counter = user_data;
  g_autoptr(GError) error = NULL;

  if (!talk_xmpp_stream_send_finish (TALK_XMPP_STREAM (object), result, &error))
    counter->n_failed++;
  counter->n_done++;
}

static void
test_send_order (Fixture       *f,
                 gconstpointer  data)
{
  const guint n = 300;
  SendCounter counter = { 0, };
  const char *p;

  open_stream (f);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(TalkXmppStanza) message = NULL;
      g_autofree char *id = g_strdup_printf ("m%u", i);
      g_autofree char *body = g_strnfill (64 + (i * 37) % 500, 'a' + i % 26);

      message = talk_xmpp_stanza_new_message ("chat", "bob@example.com", body);
      talk_xmpp_stanza_set_attribute (message, "id", id);
      talk_xmpp_stream_send_async (f->stream, message, NULL, send_counted_cb, &counter);
    }

  g_assert_true (peer_wait_for (f, "id='m299'"));
  g_assert_true (peer_wait_for (f, "</message>"));
  while (counter.n_done < n)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (counter.n_failed, ==, 0);
  peer_wait_for (f, NULL);

  /* Every id once, in the order queued. */
  p = f->peer_in->str;
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *needle = g_strdup_printf ("id='m%u'", i);
      const char *found = strstr (p, needle);

      g_assert_nonnull (found);
      p = found + strlen (needle);
    }
}

static void
test_close (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start;

  open_stream (f);

  start = g_get_monotonic_time ();
  talk_xmpp_stream_close_async (f->stream, -1, NULL, store_result_cb, &result);
  g_assert_true (talk_xmpp_stream_is_closed (f->stream));
  g_assert_true (peer_wait_for (f, "</stream:stream>"));
  g_assert_cmpstr (f->peer_in->str, ==, "</stream:stream>");
  g_assert_null (result);

  /* RFC 6120 §4.4: the peer answers with its own closing tag. */
  peer_write (f, "</stream:stream>");
  g_assert_true (talk_xmpp_stream_close_finish (f->stream, wait_result (&result), &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_get_monotonic_time () - start, <, G_USEC_PER_SEC);
  g_assert_true (peer_wait_for (f, NULL));

  /* Closing again is fine; sending is not. */
  g_clear_object (&result);
  talk_xmpp_stream_close_async (f->stream, -1, NULL, store_result_cb, &result);
  g_assert_true (talk_xmpp_stream_close_finish (f->stream, wait_result (&result), &error));
  g_assert_no_error (error);

  g_clear_object (&result);
  talk_xmpp_stream_send_raw_async (f->stream, " ", NULL, store_result_cb, &result);
  g_assert_false (talk_xmpp_stream_send_raw_finish (f->stream, wait_result (&result), &error));
  g_assert_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_CLOSED);
}

static void
test_close_timeout (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gint64 elapsed;

  open_stream (f);

  elapsed = g_get_monotonic_time ();
  talk_xmpp_stream_close_async (f->stream, TALK_XMPP_STREAM_ERROR_POLICY_VIOLATION, NULL,
                                store_result_cb, &result);

  /* A peer that never answers costs at most the 2 s grace. */
  g_assert_true (talk_xmpp_stream_close_finish (f->stream, wait_result (&result), &error));
  g_assert_no_error (error);
  elapsed = g_get_monotonic_time () - elapsed;
  g_assert_cmpint (elapsed, >=, 1900 * 1000);
  g_assert_cmpint (elapsed, <, 4 * G_USEC_PER_SEC);

  g_assert_true (peer_wait_for (f, NULL));
  g_assert_cmpstr (f->peer_in->str, ==,
                   "<stream:error><policy-violation xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
                   "</stream:error></stream:stream>");
}

static void
test_close_cancel (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  gint64 elapsed;

  open_stream (f);

  elapsed = g_get_monotonic_time ();
  talk_xmpp_stream_close_async (f->stream, -1, cancellable, store_result_cb, &result);
  g_assert_true (peer_wait_for (f, "</stream:stream>"));
  g_cancellable_cancel (cancellable);

  /* No waiting for the peer any more; the transport is closed at once. */
  g_assert_false (talk_xmpp_stream_close_finish (f->stream, wait_result (&result), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  elapsed = g_get_monotonic_time () - elapsed;
  g_assert_cmpint (elapsed, <, G_USEC_PER_SEC);
  g_assert_true (peer_wait_for (f, NULL));
}

static void
test_close_pending_recv (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GAsyncResult) recv_result = NULL;
  g_autoptr(GAsyncResult) close_result = NULL;
  g_autoptr(TalkXmppStanza) stanza = NULL;
  g_autoptr(GError) error = NULL;

  open_stream (f);

  talk_xmpp_stream_recv_async (f->stream, NULL, store_result_cb, &recv_result);
  spin ();
  talk_xmpp_stream_close_async (f->stream, -1, NULL, store_result_cb, &close_result);
  g_assert_true (peer_wait_for (f, "</stream:stream>"));

  /* The pending receive sees what the peer still sends, then the end. */
  peer_write (f, "<message id='late'/>");
  stanza = talk_xmpp_stream_recv_finish (f->stream, wait_result (&recv_result), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (talk_xmpp_stanza_get_id (stanza), ==, "late");
  g_clear_pointer (&stanza, talk_xmpp_stanza_unref);
  g_assert_null (close_result);

  /* A receive while closing reports the close. */
  g_clear_object (&recv_result);
  peer_write (f, "</stream:stream>");
  g_assert_true (talk_xmpp_stream_close_finish (f->stream, wait_result (&close_result), &error));
  g_assert_no_error (error);
  g_assert_true (peer_wait_for (f, NULL));

  stanza = recv_one (f, &error);
  g_assert_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_CLOSED);
}

static void
test_close_while_receiving (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(GAsyncResult) recv_result = NULL;
  g_autoptr(GAsyncResult) close_result = NULL;
  g_autoptr(TalkXmppStanza) stanza = NULL;
  g_autoptr(GError) error = NULL;

  open_stream (f);

  talk_xmpp_stream_recv_async (f->stream, NULL, store_result_cb, &recv_result);
  spin ();
  talk_xmpp_stream_close_async (f->stream, -1, NULL, store_result_cb, &close_result);
  g_assert_true (peer_wait_for (f, "</stream:stream>"));
  peer_write (f, "</stream:stream>");

  stanza = talk_xmpp_stream_recv_finish (f->stream, wait_result (&recv_result), &error);
  g_assert_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_CLOSED);
  g_clear_error (&error);
  g_assert_true (talk_xmpp_stream_close_finish (f->stream, wait_result (&close_result), &error));
  g_assert_no_error (error);
}

static void
test_recv_cancel (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(TalkXmppStanza) stanza = NULL;
  g_autoptr(GError) error = NULL;

  open_stream (f);

  talk_xmpp_stream_recv_async (f->stream, cancellable, store_result_cb, &result);
  spin ();
  g_cancellable_cancel (cancellable);
  stanza = talk_xmpp_stream_recv_finish (f->stream, wait_result (&result), &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  /* Nothing was lost and the stream still works. */
  g_assert_false (talk_xmpp_stream_is_closed (f->stream));
  peer_write (f, "<presence id='after'/>");
  stanza = recv_one (f, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (talk_xmpp_stanza_get_id (stanza), ==, "after");
}

static void
test_recv_pending (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GAsyncResult) first = NULL;
  g_autoptr(GAsyncResult) second = NULL;
  g_autoptr(TalkXmppStanza) stanza = NULL;
  g_autoptr(GError) error = NULL;

  open_stream (f);

  talk_xmpp_stream_recv_async (f->stream, NULL, store_result_cb, &first);
  talk_xmpp_stream_recv_async (f->stream, NULL, store_result_cb, &second);
  stanza = talk_xmpp_stream_recv_finish (f->stream, wait_result (&second), &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PENDING);
  g_clear_error (&error);

  peer_write (f, "<iq id='one' type='result'/>");
  stanza = talk_xmpp_stream_recv_finish (f->stream, wait_result (&first), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (talk_xmpp_stanza_get_id (stanza), ==, "one");
}

static void
test_restart (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(TalkXmppStanza) success = NULL;
  g_autoptr(TalkXmppStanza) header = NULL;
  g_autoptr(TalkXmppStanza) features = NULL;
  g_autoptr(GError) error = NULL;

  open_stream (f);
  peer_write (f, "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
  success = recv_one (f, &error);
  g_assert_no_error (error);
  g_assert_true (talk_xmpp_stanza_is (success, "success", "urn:ietf:params:xml:ns:xmpp-sasl"));

  /* RFC 6120 §6.4.6: a new header on the same connection. */
  g_string_truncate (f->peer_in, 0);
  talk_xmpp_stream_open_async (f->stream, "example.com", "alice@example.com", NULL,
                               store_result_cb, &result);
  g_assert_true (peer_wait_for (f, "xml:lang='en'>"));
  g_assert_true (g_str_has_prefix (f->peer_in->str, "<?xml version='1.0'?><stream:stream "));
  peer_write (f, SERVER_HEADER "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>"
                 "</stream:features>");
  header = talk_xmpp_stream_open_finish (f->stream, wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_nonnull (header);

  features = recv_one (f, &error);
  g_assert_no_error (error);
  g_assert_true (talk_xmpp_stanza_is (features, "features", TALK_XMPP_NS_STREAM));
  g_assert_nonnull (talk_xmpp_stanza_get_child (features, "bind", TALK_XMPP_NS_BIND));
}

/* Stanzas one read brought are there for the taking, in order; a stream
 * error, the end of the stream and a pending receive are left for
 * talk_xmpp_stream_recv_async(). */
static void
test_try_recv (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(TalkXmppStanza) first = NULL;
  g_autoptr(TalkXmppStanza) second = NULL;
  g_autoptr(TalkXmppStanza) third = NULL;
  g_autoptr(TalkXmppStanza) none = NULL;
  g_autoptr(TalkXmppStanza) after_error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  open_stream (f);
  g_assert_null (talk_xmpp_stream_try_recv (f->stream));

  peer_write (f, "<message id='1'/><message id='2'/><presence id='3'/>"
                 "<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
                 "</stream:error><message id='4'/>");
  first = recv_one (f, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (talk_xmpp_stanza_get_id (first), ==, "1");

  second = talk_xmpp_stream_try_recv (f->stream);
  third = talk_xmpp_stream_try_recv (f->stream);
  g_assert_nonnull (second);
  g_assert_cmpstr (talk_xmpp_stanza_get_id (second), ==, "2");
  g_assert_nonnull (third);
  g_assert_true (talk_xmpp_stanza_is (third, "presence", TALK_XMPP_NS_CLIENT));

  /* The stream error is the receive's to report, and nothing after it
   * is taken. */
  none = talk_xmpp_stream_try_recv (f->stream);
  g_assert_null (none);
  g_assert_null (recv_one (f, &error));
  g_assert_error (error, TALK_XMPP_STREAM_ERROR, TALK_XMPP_STREAM_ERROR_CONFLICT);
  after_error = talk_xmpp_stream_try_recv (f->stream);
  g_assert_null (after_error);

  talk_xmpp_stream_recv_async (f->stream, NULL, store_result_cb, &result);
  g_assert_null (talk_xmpp_stream_try_recv (f->stream));
  g_clear_error (&error);
  g_assert_null (talk_xmpp_stream_recv_finish (f->stream, wait_result (&result), &error));
  g_assert_nonnull (error);
}

/* Nothing is taken while a receive waits for it. */
static void
test_try_recv_pending (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(TalkXmppStanza) stanza = NULL;
  g_autoptr(GError) error = NULL;

  open_stream (f);
  talk_xmpp_stream_recv_async (f->stream, NULL, store_result_cb, &result);
  peer_write (f, "<message id='1'/>");
  g_assert_null (talk_xmpp_stream_try_recv (f->stream));
  stanza = talk_xmpp_stream_recv_finish (f->stream, wait_result (&result), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (talk_xmpp_stanza_get_id (stanza), ==, "1");
}

static void
add (const char *path,
     void      (*func) (Fixture *, gconstpointer))
{
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  add ("/talk/xmpp/stream/open", test_open);
  add ("/talk/xmpp/stream/open-escapes", test_open_escapes);
  add ("/talk/xmpp/stream/open-old-version", test_open_old_version);
  add ("/talk/xmpp/stream/open-version-2", test_open_version_2);
  add ("/talk/xmpp/stream/recv-split", test_recv_split);
  add ("/talk/xmpp/stream/keepalive", test_keepalive);
  add ("/talk/xmpp/stream/stream-error", test_stream_error);
  add ("/talk/xmpp/stream/stream-error-long-text", test_stream_error_long_text);
  add ("/talk/xmpp/stream/stream-error-unknown", test_unknown_stream_error);
  add ("/talk/xmpp/stream/peer-close", test_peer_close);
  add ("/talk/xmpp/stream/eof", test_eof);
  add ("/talk/xmpp/stream/doctype", test_doctype);
  add ("/talk/xmpp/stream/bad-xml", test_bad_xml_mid_stream);
  add ("/talk/xmpp/stream/send-order", test_send_order);
  add ("/talk/xmpp/stream/close", test_close);
  add ("/talk/xmpp/stream/close-timeout", test_close_timeout);
  add ("/talk/xmpp/stream/close-cancel", test_close_cancel);
  add ("/talk/xmpp/stream/close-pending-recv", test_close_pending_recv);
  add ("/talk/xmpp/stream/close-while-receiving", test_close_while_receiving);
  add ("/talk/xmpp/stream/recv-cancel", test_recv_cancel);
  add ("/talk/xmpp/stream/recv-pending", test_recv_pending);
  add ("/talk/xmpp/stream/restart", test_restart);
  add ("/talk/xmpp/stream/try-recv", test_try_recv);
  add ("/talk/xmpp/stream/try-recv-pending", test_try_recv_pending);

  return g_test_run ();
}
