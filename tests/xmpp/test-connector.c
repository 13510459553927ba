/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * TalkXmppConnector against a scripted in-process server for what a real
 * server never sends (no STARTTLS, TLS failure, an untrusted certificate,
 * a SCRAM server that cannot prove the password, a bind to someone else,
 * redirects, silence), and a fake GResolver for SRV order and fallback.
 *
 * The server certificate is made at start with openssl(1) in a temp dir.
 */

#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#include "talk-xmpp-connector.h"
#include "talk-xmpp-connector-private.h"
#include "talk-xmpp-error.h"

#define DOMAIN   "example.test"
#define ACCOUNT  "alice@" DOMAIN
#define PASSWORD "correct horse"
#define WAIT_MS  20000

#define SERVER_HEADER \
  "<?xml version='1.0'?>" \
  "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'" \
  " from='" DOMAIN "' id='fake' version='1.0' xml:lang='en'>"
#define CLIENT_HEADER_END "xml:lang='en'>"
#define STARTTLS_REQUEST "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
#define FEATURES_STARTTLS \
  "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:features>"
#define PROCEED "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
#define MECHANISMS(list) \
  "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>" list \
  "</mechanisms></stream:features>"
#define MECHANISM(name) "<mechanism>" name "</mechanism>"
#define SASL_NS "urn:ietf:params:xml:ns:xmpp-sasl"

static char *cert_dir;
static char *cert_file;
static char *key_file;
static char *cert_fingerprint;

/* Fake resolver */

#define TEST_TYPE_RESOLVER (test_resolver_get_type ())
G_DECLARE_FINAL_TYPE (TestResolver, test_resolver, TEST, RESOLVER, GResolver)

struct _TestResolver
{
  GResolver   parent_instance;
  GHashTable *services;   /* rrname → GList of GSrvTarget */
  GHashTable *hosts;      /* names that resolve to 127.0.0.1 */
};

G_DEFINE_FINAL_TYPE (TestResolver, test_resolver, G_TYPE_RESOLVER)

static TestResolver *resolver;

static void
srv_list_free (gpointer data)
{
  g_list_free_full (data, (GDestroyNotify) g_srv_target_free);
}

static GList *
resolver_lookup_name (TestResolver             *self,
                      const char               *hostname,
                      GResolverNameLookupFlags  flags,
                      GError                  **error)
{
  if (!g_hash_table_contains (self->hosts, hostname) ||
      flags == G_RESOLVER_NAME_LOOKUP_FLAGS_IPV6_ONLY)
    {
      g_set_error (error, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND,
                   "No address for %s", hostname);
      return NULL;
    }

  return g_list_prepend (NULL, g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4));
}

static void
resolver_lookup_by_name_with_flags_async (GResolver                *base,
                                          const char               *hostname,
                                          GResolverNameLookupFlags  flags,
                                          GCancellable             *cancellable,
                                          GAsyncReadyCallback       callback,
                                          gpointer                  user_data)
{
  g_autoptr(GTask) task = g_task_new (base, cancellable, callback, user_data);
  GError *error = NULL;
  GList *list = resolver_lookup_name (TEST_RESOLVER (base), hostname, flags, &error);

  if (list == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, list, (GDestroyNotify) g_resolver_free_addresses);
}

static GList *
resolver_lookup_by_name_with_flags_finish (GResolver     *base,
                                           GAsyncResult  *result,
                                           GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
resolver_lookup_by_name_async (GResolver           *base,
                               const char          *hostname,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  resolver_lookup_by_name_with_flags_async (base, hostname, G_RESOLVER_NAME_LOOKUP_FLAGS_DEFAULT,
                                            cancellable, callback, user_data);
}

static GList *
resolver_lookup_by_name (GResolver     *base,
                         const char    *hostname,
                         GCancellable  *cancellable,
                         GError       **error)
{
  return resolver_lookup_name (TEST_RESOLVER (base), hostname,
                               G_RESOLVER_NAME_LOOKUP_FLAGS_DEFAULT, error);
}

static void
resolver_lookup_service_async (GResolver           *base,
                               const char          *rrname,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  TestResolver *self = TEST_RESOLVER (base);
  g_autoptr(GTask) task = g_task_new (base, cancellable, callback, user_data);
  GList *targets = g_hash_table_lookup (self->services, rrname);
  GList *copy = NULL;

  if (targets == NULL)
    {
      g_task_return_new_error (task, G_RESOLVER_ERROR, G_RESOLVER_ERROR_NOT_FOUND,
                               "No service record for %s", rrname);
      return;
    }

  for (GList *l = targets; l != NULL; l = l->next)
    copy = g_list_append (copy, g_srv_target_copy (l->data));
  g_task_return_pointer (task, copy, srv_list_free);
}

static GList *
resolver_lookup_service_finish (GResolver     *base,
                                GAsyncResult  *result,
                                GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
test_resolver_finalize (GObject *object)
{
  TestResolver *self = TEST_RESOLVER (object);

  g_hash_table_unref (self->services);
  g_hash_table_unref (self->hosts);

  G_OBJECT_CLASS (test_resolver_parent_class)->finalize (object);
}

static void
test_resolver_class_init (TestResolverClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GResolverClass *resolver_class = G_RESOLVER_CLASS (klass);

  object_class->finalize = test_resolver_finalize;
  resolver_class->lookup_by_name = resolver_lookup_by_name;
  resolver_class->lookup_by_name_async = resolver_lookup_by_name_async;
  resolver_class->lookup_by_name_finish = resolver_lookup_by_name_with_flags_finish;
  resolver_class->lookup_by_name_with_flags_async = resolver_lookup_by_name_with_flags_async;
  resolver_class->lookup_by_name_with_flags_finish = resolver_lookup_by_name_with_flags_finish;
  resolver_class->lookup_service_async = resolver_lookup_service_async;
  resolver_class->lookup_service_finish = resolver_lookup_service_finish;
}

static void
test_resolver_init (TestResolver *self)
{
  self->services = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, srv_list_free);
  self->hosts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

static void
resolver_reset (void)
{
  g_hash_table_remove_all (resolver->services);
  g_hash_table_remove_all (resolver->hosts);
}

static void
resolver_add_srv (const char *service,
                  const char *host,
                  guint16     port,
                  guint16     priority)
{
  g_autofree char *rrname = g_strdup_printf ("_%s._tcp." DOMAIN, service);
  g_autofree char *old_key = NULL;
  GList *targets = NULL;

  g_hash_table_steal_extended (resolver->services, rrname, (gpointer *) &old_key,
                               (gpointer *) &targets);
  targets = g_list_append (targets, g_srv_target_new (host, port, priority, 0));
  g_hash_table_replace (resolver->services, g_strdup (rrname), targets);

  if (!g_str_equal (host, "."))
    g_hash_table_add (resolver->hosts, g_strdup (host));
}

/* Waiting */

static gboolean
timeout_flag_cb (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
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
spin_ms (guint ms)
{
  gboolean done = FALSE;

  g_timeout_add (ms, timeout_flag_cb, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

/* Scripted server */

typedef struct _FakeServer FakeServer;
typedef void (*ServerFunc) (FakeServer *server);

typedef enum
{
  ACT_EXPECT,
  ACT_SEND,
  ACT_TLS,
  ACT_CALL,
} ActionKind;

typedef struct
{
  ActionKind  kind;
  char       *text;
  ServerFunc  func;
} Action;

struct _FakeServer
{
  GSocketListener *listener;
  guint16          port;
  GCancellable    *cancellable;
  gboolean         accepting;
  guint            n_connections;

  GIOStream       *raw;
  GIOStream       *io;
  GQueue           actions;
  gboolean         reading;
  gboolean         handshaking;
  gboolean         eof;
  gboolean         tls_up;
  guint8           buffer[4096];

  GString *in;          /* not yet consumed */
  GString *log;         /* all received */
  GString *plain_log;   /* received before TLS */
  char    *consumed;    /* what the last EXPECT consumed */
  char    *alpn;
  GError  *tls_error;

  /* For the scripted SASL and bind answers */
  char *client_first;
  char *plain_payload;
  char *bind_jid;
  guint n_iqs;
};

static void server_run (FakeServer *server);

static void
action_free (Action *action)
{
  g_free (action->text);
  g_free (action);
}

static void
server_add (FakeServer *server,
            ActionKind  kind,
            const char *text,
            ServerFunc  func)
{
  Action *action = g_new0 (Action, 1);

  action->kind = kind;
  action->text = g_strdup (text);
  action->func = func;
  g_queue_push_tail (&server->actions, action);
}

static void
server_expect (FakeServer *server,
               const char *text)
{
  server_add (server, ACT_EXPECT, text, NULL);
}

static void
server_send (FakeServer *server,
             const char *text)
{
  server_add (server, ACT_SEND, text, NULL);
}

static void
server_tls (FakeServer *server)
{
  server_add (server, ACT_TLS, NULL, NULL);
}

static void
server_call (FakeServer *server,
             ServerFunc  func)
{
  server_add (server, ACT_CALL, NULL, func);
}

static void
server_write (FakeServer *server,
              const char *text)
{
  g_autoptr(GError) error = NULL;

  g_output_stream_write_all (g_io_stream_get_output_stream (server->io), text, strlen (text),
                             NULL, NULL, &error);
  if (error != NULL)
    g_test_message ("fake server: write failed: %s", error->message);
}

static void
server_read_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  FakeServer *server = user_data;
  g_autoptr(GError) error = NULL;
  gssize n;

  n = g_input_stream_read_finish (G_INPUT_STREAM (object), result, &error);
  server->reading = FALSE;

  if (n <= 0)
    {
      server->eof = TRUE;
      return;
    }

  g_string_append_len (server->in, (const char *) server->buffer, n);
  g_string_append_len (server->log, (const char *) server->buffer, n);
  if (!server->tls_up)
    g_string_append_len (server->plain_log, (const char *) server->buffer, n);

  server_run (server);
}

static void
server_read (FakeServer *server)
{
  if (server->reading || server->eof)
    return;

  server->reading = TRUE;
  g_input_stream_read_async (g_io_stream_get_input_stream (server->io),
                             server->buffer, sizeof server->buffer, G_PRIORITY_DEFAULT,
                             server->cancellable, server_read_cb, server);
}

static void
server_handshake_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  FakeServer *server = user_data;

  server->handshaking = FALSE;
  if (!g_tls_connection_handshake_finish (G_TLS_CONNECTION (object), result, &server->tls_error))
    {
      g_test_message ("fake server: handshake failed: %s", server->tls_error->message);
      return;
    }

  server->alpn = g_strdup (g_tls_connection_get_negotiated_protocol (G_TLS_CONNECTION (object)));
  server->tls_up = TRUE;
  g_set_object (&server->io, G_IO_STREAM (object));
  server_run (server);
}

static void
server_start_tls (FakeServer *server)
{
  static const char * const alpn[] = { "xmpp-client", NULL };
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(GIOStream) tls = NULL;
  g_autoptr(GError) error = NULL;

  certificate = g_tls_certificate_new_from_files (cert_file, key_file, &error);
  g_assert_no_error (error);
  tls = g_tls_server_connection_new (server->raw, certificate, &error);
  g_assert_no_error (error);
  g_tls_connection_set_advertised_protocols (G_TLS_CONNECTION (tls), alpn);

  /* What came before is plaintext; the handshake starts clean. */
  g_string_truncate (server->in, 0);
  server->handshaking = TRUE;
  g_tls_connection_handshake_async (G_TLS_CONNECTION (tls), G_PRIORITY_DEFAULT,
                                    server->cancellable, server_handshake_cb, server);
}

static void
server_run (FakeServer *server)
{
  Action *action;

  while ((action = g_queue_peek_head (&server->actions)) != NULL)
    {
      const char *found;

      switch (action->kind)
        {
        case ACT_EXPECT:
          found = strstr (server->in->str, action->text);
          if (found == NULL)
            {
              server_read (server);
              return;
            }
          g_free (server->consumed);
          server->consumed = g_strndup (server->in->str,
                                        found - server->in->str + strlen (action->text));
          g_string_erase (server->in, 0, strlen (server->consumed));
          break;

        case ACT_SEND:
          server_write (server, action->text);
          break;

        case ACT_TLS:
          action_free (g_queue_pop_head (&server->actions));
          server_start_tls (server);
          return;

        case ACT_CALL:
          action->func (server);
          break;

        default:
          g_assert_not_reached ();
        }

      action_free (g_queue_pop_head (&server->actions));
    }

  /* The script is done: keep listening, for the log. */
  server_read (server);
}

static void
server_accept_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  FakeServer *server = user_data;
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;

  server->accepting = FALSE;
  connection = g_socket_listener_accept_finish (G_SOCKET_LISTENER (object), result, NULL, &error);
  if (connection == NULL)
    return;

  server->n_connections++;
  server->raw = G_IO_STREAM (g_steal_pointer (&connection));
  server->io = g_object_ref (server->raw);
  server_run (server);
}

static FakeServer *
fake_server_new (void)
{
  FakeServer *server = g_new0 (FakeServer, 1);
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GSocketAddress) effective = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GError) error = NULL;

  server->listener = g_socket_listener_new ();
  address = g_inet_socket_address_new (loopback, 0);
  g_socket_listener_add_address (server->listener, address, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, NULL, &effective, &error);
  g_assert_no_error (error);
  server->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  server->cancellable = g_cancellable_new ();
  server->in = g_string_new (NULL);
  server->log = g_string_new (NULL);
  server->plain_log = g_string_new (NULL);
  server->bind_jid = g_strdup (ACCOUNT "/talk-test");
  g_queue_init (&server->actions);

  server->accepting = TRUE;
  g_socket_listener_accept_async (server->listener, server->cancellable,
                                  server_accept_cb, server);

  return server;
}

static void
fake_server_free (FakeServer *server)
{
  g_cancellable_cancel (server->cancellable);
  while (server->accepting || server->reading || server->handshaking)
    g_main_context_iteration (NULL, TRUE);

  g_socket_listener_close (server->listener);
  g_clear_object (&server->listener);
  if (server->io != NULL)
    g_io_stream_close (server->io, NULL, NULL);
  g_clear_object (&server->io);
  g_clear_object (&server->raw);
  g_clear_object (&server->cancellable);
  g_queue_clear_full (&server->actions, (GDestroyNotify) action_free);
  g_string_free (server->in, TRUE);
  g_string_free (server->log, TRUE);
  g_string_free (server->plain_log, TRUE);
  g_free (server->consumed);
  g_free (server->alpn);
  g_clear_error (&server->tls_error);
  g_free (server->client_first);
  g_free (server->plain_payload);
  g_free (server->bind_jid);
  g_free (server);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FakeServer, fake_server_free)

/* A port where nobody listens. */
static guint16
closed_port (void)
{
  g_autoptr(FakeServer) server = fake_server_new ();

  return server->port;
}

/* The base64 text of the first element @name in what the server consumed. */
static char *
dup_consumed_payload (FakeServer *server,
                      const char *name)
{
  g_autofree char *open = g_strdup_printf ("<%s ", name);
  g_autofree char *close = g_strdup_printf ("</%s>", name);
  const char *start = strstr (server->consumed, open);
  const char *end;
  g_autofree char *encoded = NULL;
  gsize len;
  guchar *data;

  g_assert_nonnull (start);
  start = strchr (start, '>') + 1;
  end = strstr (start, close);
  g_assert_nonnull (end);
  encoded = g_strndup (start, end - start);

  data = g_base64_decode (encoded, &len);
  data = g_realloc (data, len + 1);
  data[len] = '\0';
  return (char *) data;
}

static void
send_sasl (FakeServer *server,
           const char *name,
           const char *payload,
           gsize       len)
{
  g_autofree char *encoded = g_base64_encode ((const guchar *) payload, len);
  g_autofree char *text = g_strdup_printf ("<%s xmlns='" SASL_NS "'>%s</%s>", name, encoded, name);

  server_write (server, text);
}

/* RFC 5802 server-first-message extending the client's nonce. */
static void
scram_challenge (FakeServer *server)
{
  g_autofree char *decoded = NULL;
  g_autofree char *salt = g_base64_encode ((const guchar *) "pepper and salt!", 16);
  g_autofree char *challenge = NULL;
  const char *nonce;
  gsize len;

  g_assert_nonnull (strstr (server->consumed, "mechanism='SCRAM-SHA-1"));
  decoded = dup_consumed_payload (server, "auth");
  len = strlen (decoded);
  server->client_first = g_strndup (decoded, len);

  nonce = strstr (server->client_first, ",r=");
  g_assert_nonnull (nonce);
  challenge = g_strdup_printf ("r=%sfakeserver,s=%s,i=4096", nonce + 3, salt);
  send_sasl (server, "challenge", challenge, strlen (challenge));
}

/* A server-final-message with a signature that proves nothing. */
static void
scram_bad_success (FakeServer *server)
{
  static const guchar zeros[20] = { 0, };
  g_autofree char *signature = g_base64_encode (zeros, sizeof zeros);
  g_autofree char *final = g_strdup_printf ("v=%s", signature);

  send_sasl (server, "success", final, strlen (final));
}

static void
check_plain (FakeServer *server)
{
  g_autofree char *decoded = NULL;

  g_assert_nonnull (strstr (server->consumed, "mechanism='PLAIN'"));
  decoded = dup_consumed_payload (server, "auth");
  /* authzid \0 authcid \0 password (RFC 4616) */
  server->plain_payload = g_strdup_printf ("[%s][%s][%s]", decoded,
                                           decoded + strlen (decoded) + 1,
                                           decoded + strlen (decoded) + 1 +
                                           strlen (decoded + strlen (decoded) + 1) + 1);
}

static char *
dup_consumed_id (FakeServer *server)
{
  const char *iq = strstr (server->consumed, "<iq ");
  const char *id;

  g_assert_nonnull (iq);
  id = strstr (iq, " id='");
  g_assert_nonnull (id);
  id += 5;
  return g_strndup (id, strchr (id, '\'') - id);
}

static void
bind_result (FakeServer *server)
{
  g_autofree char *id = dup_consumed_id (server);
  g_autofree char *reply = NULL;

  g_assert_nonnull (strstr (server->consumed, "<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
                                              "<resource>talk-test</resource></bind>"));
  reply = g_strdup_printf ("<iq type='result' id='%s'>"
                           "<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
                           "<jid>%s</jid></bind></iq>", id, server->bind_jid);
  server->n_iqs++;
  server_write (server, reply);
}

static void
session_result (FakeServer *server)
{
  g_autofree char *id = dup_consumed_id (server);
  g_autofree char *reply = NULL;

  g_assert_nonnull (strstr (server->consumed,
                            "<session xmlns='urn:ietf:params:xml:ns:xmpp-session'/>"));
  reply = g_strdup_printf ("<iq type='result' id='%s'/>", id);
  server->n_iqs++;
  server_write (server, reply);
}

/* Scripts: STARTTLS up to the TLS handshake. */
static void
script_starttls (FakeServer *server)
{
  server_expect (server, CLIENT_HEADER_END);
  server_send (server, SERVER_HEADER FEATURES_STARTTLS);
  server_expect (server, STARTTLS_REQUEST);
  server_send (server, PROCEED);
  server_tls (server);
}

/* After TLS (either way): the new stream and its SASL features. */
static void
script_sasl_features (FakeServer *server,
                      const char *features)
{
  server_expect (server, CLIENT_HEADER_END);
  server_send (server, features);
}

/* Running the connector */

static const char * const step_names[] = {
  "resolving", "connecting", "securing", "authenticating", "binding", "done",
};

static void
step_cb (TalkXmppConnector     *connector,
         TalkXmppConnectorStep  step,
         const char            *detail,
         GPtrArray             *steps)
{
  g_ptr_array_add (steps, g_strdup_printf ("%s %s", step_names[step], detail ? detail : ""));
}

typedef struct
{
  TalkXmppConnector *connector;
  GPtrArray         *steps;
  TalkXmppStream    *stream;
  GError            *error;
  gint64             elapsed;
} Run;

static void
run_clear (Run *run)
{
  g_clear_object (&run->connector);
  g_clear_pointer (&run->steps, g_ptr_array_unref);
  g_clear_object (&run->stream);
  g_clear_error (&run->error);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Run, run_clear)

static void
run_init (Run        *run,
          const char *host,
          guint16     port,
          gboolean    direct_tls)
{
  g_autoptr(TalkXmppJid) jid = talk_xmpp_jid_new (ACCOUNT, NULL);

  run->connector = talk_xmpp_connector_new (jid, PASSWORD);
  run->steps = g_ptr_array_new_with_free_func (g_free);
  if (host != NULL)
    talk_xmpp_connector_set_host (run->connector, host, port, direct_tls);
  talk_xmpp_connector_set_resource (run->connector, "talk-test");
  talk_xmpp_connector_set_timeout (run->connector, 10);
  g_signal_connect (run->connector, "step", G_CALLBACK (step_cb), run->steps);
}

static void
run_connect (Run *run)
{
  g_autoptr(GAsyncResult) result = NULL;
  gint64 start = g_get_monotonic_time ();

  talk_xmpp_connector_connect_async (run->connector, NULL, store_result_cb, &result);
  run->stream = talk_xmpp_connector_connect_finish (run->connector, wait_result (&result),
                                                    &run->error);
  run->elapsed = g_get_monotonic_time () - start;

  for (guint i = 0; i < run->steps->len; i++)
    g_test_message ("step: %s", (char *) g_ptr_array_index (run->steps, i));
  if (run->error != NULL)
    g_test_message ("error: %s", run->error->message);
}

static gboolean
steps_contain (Run        *run,
               const char *step)
{
  for (guint i = 0; i < run->steps->len; i++)
    if (g_str_has_prefix (g_ptr_array_index (run->steps, i), step))
      return TRUE;

  return FALSE;
}

/* Tests */

static void
test_fingerprint (void)
{
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *fingerprint = NULL;
  g_autofree char *lower = NULL;
  g_autofree char *bare = NULL;

  certificate = g_tls_certificate_new_from_files (cert_file, key_file, &error);
  g_assert_no_error (error);

  /* openssl(1) computed it independently. */
  fingerprint = talk_xmpp_certificate_dup_fingerprint (certificate);
  g_assert_cmpstr (fingerprint, ==, cert_fingerprint);
  g_assert_cmpuint (strlen (fingerprint), ==, 32 * 3 - 1);

  lower = g_ascii_strdown (fingerprint, -1);
  bare = g_strdup (fingerprint);
  g_strdelimit (bare, ":", ' ');
  g_assert_true (talk_xmpp_fingerprint_equal (fingerprint, lower));
  g_assert_true (talk_xmpp_fingerprint_equal (bare, fingerprint));
  g_assert_true (talk_xmpp_fingerprint_equal ("ab:CD", "ABcd"));
  g_assert_false (talk_xmpp_fingerprint_equal ("AB:CD", "AB:CE"));
  g_assert_false (talk_xmpp_fingerprint_equal ("AB:CD", "AB:CD:EF"));
  g_assert_false (talk_xmpp_fingerprint_equal (fingerprint, NULL));
  g_assert_false (talk_xmpp_fingerprint_equal (NULL, NULL));
  g_assert_false (talk_xmpp_fingerprint_equal ("", ""));
  g_assert_false (talk_xmpp_fingerprint_equal (":", " "));
}

static void
test_no_starttls (void)
{
  g_autoptr(FakeServer) server = fake_server_new ();
  g_auto(Run) run = { 0, };

  /* A man in the middle strips <starttls/> and offers PLAIN in clear. */
  server_expect (server, CLIENT_HEADER_END);
  server_send (server, SERVER_HEADER MECHANISMS (MECHANISM ("PLAIN") MECHANISM ("SCRAM-SHA-1")));

  run_init (&run, "127.0.0.1", server->port, FALSE);
  run_connect (&run);

  g_assert_error (run.error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_NO_TLS);
  g_assert_cmpstr (run.error->message, ==,
                   "The server did not offer encryption, so Talk did not continue");
  g_assert_null (run.stream);

  /* Whatever the client still sends, it never authenticates. */
  spin_ms (300);
  g_assert_nonnull (strstr (server->log->str, "<stream:stream"));
  g_assert_null (strstr (server->log->str, "<auth"));
  g_assert_null (strstr (server->log->str, "from="));
  g_assert_false (steps_contain (&run, "authenticating"));
}

static void
test_starttls_failure (void)
{
  g_autoptr(FakeServer) server = fake_server_new ();
  g_auto(Run) run = { 0, };

  server_expect (server, CLIENT_HEADER_END);
  server_send (server, SERVER_HEADER FEATURES_STARTTLS);
  server_expect (server, STARTTLS_REQUEST);
  server_send (server, "<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:stream>");

  run_init (&run, "127.0.0.1", server->port, FALSE);
  run_connect (&run);

  g_assert_error (run.error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_TLS_FAILED);
  spin_ms (100);
  g_assert_null (strstr (server->log->str, "<auth"));
}

static void
test_certificate_untrusted (void)
{
  g_autoptr(FakeServer) server = fake_server_new ();
  g_auto(Run) run = { 0, };

  script_starttls (server);

  run_init (&run, "127.0.0.1", server->port, FALSE);
  run_connect (&run);

  g_assert_error (run.error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_CERTIFICATE);
  g_assert_nonnull (strstr (run.error->message, cert_fingerprint));
  g_assert_nonnull (strstr (run.error->message, "issuer unknown"));
  /* Checked against the JID's domain, which the certificate names; the
   * host we connected to (127.0.0.1) is not the reference identity. */
  g_assert_null (strstr (run.error->message, "another name"));
  g_assert_cmpstr (talk_xmpp_connector_get_peer_fingerprint (run.connector), ==, cert_fingerprint);
  g_assert_nonnull (talk_xmpp_connector_get_peer_certificate (run.connector));

  spin_ms (100);
  g_assert_null (strstr (server->log->str, "<auth"));
}

static void
test_certificate_wrong_pin (void)
{
  g_autoptr(FakeServer) server = fake_server_new ();
  g_auto(Run) run = { 0, };

  script_starttls (server);

  run_init (&run, "127.0.0.1", server->port, FALSE);
  talk_xmpp_connector_set_pinned_certificate (run.connector,
                                              "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
                                              "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF");
  run_connect (&run);

  g_assert_error (run.error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_CERTIFICATE);
}

static void
test_pinned_bad_server_signature (void)
{
  g_autoptr(FakeServer) server = fake_server_new ();
  g_auto(Run) run = { 0, };
  g_autofree char *lower = g_ascii_strdown (cert_fingerprint, -1);

  script_starttls (server);
  script_sasl_features (server, SERVER_HEADER MECHANISMS (MECHANISM ("SCRAM-SHA-1")));
  server_expect (server, "</auth>");
  server_call (server, scram_challenge);
  server_expect (server, "</response>");
  server_call (server, scram_bad_success);

  run_init (&run, "127.0.0.1", server->port, FALSE);
  /* The pin may be written any way the user copied it. */
  talk_xmpp_connector_set_pinned_certificate (run.connector, lower);
  run_connect (&run);

  /* TLS passed with the pin and SASL ran... */
  g_assert_true (server->tls_up);
  g_assert_nonnull (server->client_first);
  /* RFC 5802 §6: we could bind but no -PLUS was offered, so "y" tells a
   * server that stripped -PLUS to fail the exchange. */
  g_assert_true (g_str_has_prefix (server->client_first, "y,,n=alice,r="));
  g_assert_true (g_str_has_suffix (server->plain_log->str, STARTTLS_REQUEST));
  g_assert_true (steps_contain (&run, "securing TLS 1."));
  g_assert_true (steps_contain (&run, "authenticating SCRAM-SHA-1"));
  g_assert_cmpint (talk_xmpp_connector_get_sasl_mechanism (run.connector), ==,
                   TALK_XMPP_SASL_MECHANISM_SCRAM_SHA_1);
  g_assert_nonnull (strstr (server->log->str, " from='" ACCOUNT "'"));

  /* ...but a server that cannot prove it knows the password is refused. */
  g_assert_error (run.error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_AUTH_PROTOCOL);
  g_assert_null (run.stream);
  g_assert_false (steps_contain (&run, "binding"));
}

static void
test_scram_success_without_signature (void)
{
  g_autoptr(FakeServer) server = fake_server_new ();
  g_auto(Run) run = { 0, };

  script_starttls (server);
  script_sasl_features (server, SERVER_HEADER MECHANISMS (MECHANISM ("SCRAM-SHA-1")));
  server_expect (server, "</auth>");
  server_call (server, scram_challenge);
  server_expect (server, "</response>");
  server_send (server, "<success xmlns='" SASL_NS "'/>");

  run_init (&run, "127.0.0.1", server->port, FALSE);
  talk_xmpp_connector_set_pinned_certificate (run.connector, cert_fingerprint);
  run_connect (&run);

  g_assert_error (run.error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_AUTH_PROTOCOL);
}

static void
reject (FakeServer *server)
{
  server_write (server, "<failure xmlns='" SASL_NS "'><not-authorized/></failure>");
}

/* XEP-0440 names the types; the first both sides have wins. */
static void
test_channel_binding_listed (void)
{
  g_autoptr(FakeServer) server = fake_server_new ();
  g_auto(Run) run = { 0, };

  server_tls (server);
  script_sasl_features (server, SERVER_HEADER "<stream:features>"
                        "<mechanisms xmlns='" SASL_NS "'>" MECHANISM ("SCRAM-SHA-1")
                        MECHANISM ("SCRAM-SHA-1-PLUS") "</mechanisms>"
                        "<sasl-channel-binding xmlns='urn:xmpp:sasl-cb:0'>"
                        "<channel-binding type='tls-unique'/>"
                        "<channel-binding type='tls-server-end-point'/>"
                        "</sasl-channel-binding></stream:features>");
  server_expect (server, "</auth>");
  server_call (server, scram_challenge);
  server_expect (server, "</response>");
  server_call (server, reject);

  run_init (&run, "127.0.0.1", server->port, TRUE);
  talk_xmpp_connector_set_pinned_certificate (run.connector, cert_fingerprint);
  run_connect (&run);

  g_assert_error (run.error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_AUTH_FAILED);
  g_assert_nonnull (strstr (server->log->str, "mechanism='SCRAM-SHA-1-PLUS'"));
  /* tls-unique is not defined on TLS 1.3 (RFC 9266 §3). */
  if (g_strcmp0 (talk_xmpp_connector_get_tls_version (run.connector), "TLS 1.3") == 0)
    {
      g_assert_true (g_str_has_prefix (server->client_first, "p=tls-server-end-point,,n=alice,"));
      g_assert_true (steps_contain (&run,
                                    "authenticating SCRAM-SHA-1-PLUS (tls-server-end-point)"));
      g_assert_cmpstr (talk_xmpp_connector_get_channel_binding (run.connector), ==,
                       "tls-server-end-point");
    }
  g_assert_cmpint (talk_xmpp_connector_get_sasl_mechanism (run.connector), ==,
                   TALK_XMPP_SASL_MECHANISM_SCRAM_SHA_1_PLUS);
}

/* Without XEP-0440: tls-exporter on TLS 1.3 (RFC 9266), tls-unique on 1.2. */
static void
test_channel_binding_default (void)
{
  g_autoptr(FakeServer) server = fake_server_new ();
  g_auto(Run) run = { 0, };
  const char *expected;
  g_autofree char *gs2 = NULL;

  server_tls (server);
  script_sasl_features (server, SERVER_HEADER
                        MECHANISMS (MECHANISM ("SCRAM-SHA-1") MECHANISM ("SCRAM-SHA-256-PLUS")
                                    MECHANISM ("SCRAM-SHA-256")));
  server_expect (server, "</auth>");
  server_call (server, reject);

  run_init (&run, "127.0.0.1", server->port, TRUE);
  talk_xmpp_connector_set_pinned_certificate (run.connector, cert_fingerprint);
  run_connect (&run);

  g_assert_error (run.error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_AUTH_FAILED);
  g_assert_cmpint (talk_xmpp_connector_get_sasl_mechanism (run.connector), ==,
                   TALK_XMPP_SASL_MECHANISM_SCRAM_SHA_256_PLUS);
  expected = g_strcmp0 (talk_xmpp_connector_get_tls_version (run.connector), "TLS 1.3") == 0
    ? "tls-exporter" : "tls-unique";
  g_assert_cmpstr (talk_xmpp_connector_get_channel_binding (run.connector), ==, expected);

  g_free (server->client_first);
  server->client_first = dup_consumed_payload (server, "auth");
  gs2 = g_strdup_printf ("p=%s,,n=alice,r=", expected);
  g_assert_true (g_str_has_prefix (server->client_first, gs2));
}

static void
test_not_authorized (void)
{
  g_autoptr(FakeServer) server = fake_server_new ();
  g_auto(Run) run = { 0, };

  script_starttls (server);
  script_sasl_features (server, SERVER_HEADER MECHANISMS (MECHANISM ("SCRAM-SHA-1")));
  server_expect (server, "</auth>");
  server_call (server, scram_challenge);
  server_expect (server, "</response>");
  server_send (server, "<failure xmlns='" SASL_NS "'><not-authorized/>"
                       "<text xml:lang='en'>go away</text></failure>");

  run_init (&run, "127.0.0.1", server->port, FALSE);
  talk_xmpp_connector_set_pinned_certificate (run.connector, cert_fingerprint);
  run_connect (&run);

  g_assert_error (run.error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_AUTH_FAILED);
  g_assert_cmpstr (run.error->message, ==, "Wrong password or user name");
}

static void
test_account_disabled (void)
{
  g_autoptr(FakeServer) server = fake_server_new ();
  g_auto(Run) run = { 0, };

  server_tls (server);
  script_sasl_features (server, SERVER_HEADER MECHANISMS (MECHANISM ("PLAIN")));
  server_expect (server, "</auth>");
  server_send (server, "<failure xmlns='" SASL_NS "'><account-disabled/>"
                       "<text>Call\nthe admin</text></failure>");

  run_init (&run, "127.0.0.1", server->port, TRUE);
  talk_xmpp_connector_set_pinned_certificate (run.connector, cert_fingerprint);
  run_connect (&run);

  g_assert_error (run.error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_AUTH_FAILED);
  g_assert_cmpstr (run.error->message, ==, "Call the admin");
}

static void
test_bad_base64 (void)
{
  g_autoptr(FakeServer) server = fake_server_new ();
  g_auto(Run) run = { 0, };

  server_tls (server);
  script_sasl_features (server, SERVER_HEADER MECHANISMS (MECHANISM ("SCRAM-SHA-1")));
  server_expect (server, "</auth>");
  server_send (server, "<challenge xmlns='" SASL_NS "'>cj1*YWJj</challenge>");

  run_init (&run, "127.0.0.1", server->port, TRUE);
  talk_xmpp_connector_set_pinned_certificate (run.connector, cert_fingerprint);
  run_connect (&run);

  g_assert_error (run.error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_AUTH_PROTOCOL);
}

static void
test_no_mechanism (void)
{
  g_autoptr(FakeServer) server = fake_server_new ();
  g_auto(Run) run = { 0, };

  server_tls (server);
  script_sasl_features (server, SERVER_HEADER MECHANISMS (MECHANISM ("DIGEST-MD5")
                                                          MECHANISM ("X-OAUTH2")));

  run_init (&run, "127.0.0.1", server->port, TRUE);
  talk_xmpp_connector_set_pinned_certificate (run.connector, cert_fingerprint);
  run_connect (&run);

  g_assert_error (run.error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_AUTH_MECHANISM);
  g_assert_nonnull (strstr (run.error->message, "DIGEST-MD5, X-OAUTH2"));
  spin_ms (100);
  g_assert_null (strstr (server->log->str, "<auth"));
}

/* Only PLAIN offered: used, and only inside TLS; then bind and session. */
static void
script_plain_to_bind (FakeServer *server)
{
  server_tls (server);
  script_sasl_features (server, SERVER_HEADER MECHANISMS (MECHANISM ("PLAIN")));
  server_expect (server, "</auth>");
  server_call (server, check_plain);
  server_send (server, "<success xmlns='" SASL_NS "'/>");
  server_expect (server, CLIENT_HEADER_END);
  server_send (server, SERVER_HEADER
               "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>"
               "<session xmlns='urn:ietf:params:xml:ns:xmpp-session'/>"
               "<sm xmlns='urn:xmpp:sm:3'/></stream:features>");
  server_expect (server, "</iq>");
  server_call (server, bind_result);
}

static void
test_plain_inside_tls (void)
{
  g_autoptr(FakeServer) server = fake_server_new ();
  g_auto(Run) run = { 0, };
  TalkXmppStanza *features;
  const char *version;

  script_plain_to_bind (server);
  server_expect (server, "</iq>");
  server_call (server, session_result);

  run_init (&run, "127.0.0.1", server->port, TRUE);
  talk_xmpp_connector_set_pinned_certificate (run.connector, cert_fingerprint);
  run_connect (&run);

  g_assert_no_error (run.error);
  g_assert_nonnull (run.stream);
  g_assert_false (talk_xmpp_stream_is_closed (run.stream));

  /* Direct TLS from the first byte (XEP-0368), with ALPN. */
  g_assert_cmpuint (server->plain_log->len, ==, 0);
  g_assert_cmpstr (server->alpn, ==, "xmpp-client");
  g_assert_true (talk_xmpp_connector_get_direct_tls (run.connector));

  g_assert_cmpstr (server->plain_payload, ==, "[][alice][" PASSWORD "]");
  g_assert_cmpint (talk_xmpp_connector_get_sasl_mechanism (run.connector), ==,
                   TALK_XMPP_SASL_MECHANISM_PLAIN);
  g_assert_null (talk_xmpp_connector_get_channel_binding (run.connector));
  g_assert_cmpstr (talk_xmpp_jid_to_string (talk_xmpp_connector_get_bound_jid (run.connector)), ==,
                   ACCOUNT "/talk-test");
  g_assert_cmpuint (server->n_iqs, ==, 2);

  features = talk_xmpp_connector_get_features (run.connector);
  g_assert_nonnull (features);
  g_assert_nonnull (talk_xmpp_stanza_get_child (features, "sm", "urn:xmpp:sm:3"));

  version = talk_xmpp_connector_get_tls_version (run.connector);
  g_assert_true (g_strcmp0 (version, "TLS 1.3") == 0 || g_strcmp0 (version, "TLS 1.2") == 0);
  g_assert_cmpstr (talk_xmpp_connector_get_peer_fingerprint (run.connector), ==, cert_fingerprint);
  g_assert_cmpstr (talk_xmpp_connector_get_remote_address (run.connector), ==,
                   strrchr (g_ptr_array_index (run.steps, 1), ' ') + 1);

  g_assert_cmpuint (run.steps->len, ==, 7);
  g_assert_cmpstr (g_ptr_array_index (run.steps, 0), ==, "resolving 127.0.0.1");
  g_assert_true (g_str_has_prefix (g_ptr_array_index (run.steps, 1), "connecting 127.0.0.1:"));
  g_assert_cmpstr (g_ptr_array_index (run.steps, 2), ==, "securing direct TLS");
  g_assert_nonnull (strstr (g_ptr_array_index (run.steps, 3), cert_fingerprint));
  g_assert_cmpstr (g_ptr_array_index (run.steps, 4), ==, "authenticating PLAIN");
  g_assert_cmpstr (g_ptr_array_index (run.steps, 5), ==, "binding talk-test");
  g_assert_cmpstr (g_ptr_array_index (run.steps, 6), ==, "done bound as " ACCOUNT "/talk-test");
}

static void
test_bind_other_account (void)
{
  g_autoptr(FakeServer) server = fake_server_new ();
  g_auto(Run) run = { 0, };

  /* A server must not put us into someone else's account. */
  g_free (server->bind_jid);
  server->bind_jid = g_strdup ("mallory@" DOMAIN "/talk-test");
  script_plain_to_bind (server);

  run_init (&run, "127.0.0.1", server->port, TRUE);
  talk_xmpp_connector_set_pinned_certificate (run.connector, cert_fingerprint);
  run_connect (&run);

  g_assert_error (run.error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_BIND_FAILED);
  g_assert_null (talk_xmpp_connector_get_bound_jid (run.connector));
}

static void
bind_conflict (FakeServer *server)
{
  g_autofree char *id = dup_consumed_id (server);
  g_autofree char *reply = NULL;

  reply = g_strdup_printf ("<iq type='error' id='%s'><error type='cancel'>"
                           "<conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
                           "</error></iq>", id);
  server_write (server, reply);
}

static void
test_bind_error (void)
{
  g_autoptr(FakeServer) server = fake_server_new ();
  g_auto(Run) run = { 0, };

  server_tls (server);
  script_sasl_features (server, SERVER_HEADER MECHANISMS (MECHANISM ("PLAIN")));
  server_expect (server, "</auth>");
  server_send (server, "<success xmlns='" SASL_NS "'/>");
  server_expect (server, CLIENT_HEADER_END);
  server_send (server, SERVER_HEADER
               "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>"
               "</stream:features>");
  server_expect (server, "</iq>");
  server_call (server, bind_conflict);

  run_init (&run, "127.0.0.1", server->port, TRUE);
  talk_xmpp_connector_set_pinned_certificate (run.connector, cert_fingerprint);
  run_connect (&run);

  g_assert_error (run.error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_BIND_FAILED);
  g_assert_true (steps_contain (&run, "binding talk-test"));
  g_assert_false (steps_contain (&run, "done"));
}

static void
test_stream_error (void)
{
  g_autoptr(FakeServer) server = fake_server_new ();
  g_auto(Run) run = { 0, };

  server_expect (server, CLIENT_HEADER_END);
  server_send (server, SERVER_HEADER "<stream:error>"
               "<host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>"
               "</stream:stream>");

  run_init (&run, "127.0.0.1", server->port, FALSE);
  run_connect (&run);

  g_assert_error (run.error, TALK_XMPP_STREAM_ERROR, TALK_XMPP_STREAM_ERROR_HOST_UNKNOWN);
}

static void
test_redirect_before_tls (void)
{
  g_autoptr(FakeServer) server = fake_server_new ();
  g_autoptr(FakeServer) other = fake_server_new ();
  g_autofree char *redirect = NULL;
  g_auto(Run) run = { 0, };

  /* Not authenticated yet: anyone could have sent it. */
  redirect = g_strdup_printf (SERVER_HEADER "<stream:error><see-other-host"
                              " xmlns='urn:ietf:params:xml:ns:xmpp-streams'>127.0.0.1:%u"
                              "</see-other-host></stream:error>", other->port);
  server_expect (server, CLIENT_HEADER_END);
  server_send (server, redirect);

  run_init (&run, "127.0.0.1", server->port, FALSE);
  run_connect (&run);

  g_assert_error (run.error, TALK_XMPP_STREAM_ERROR, TALK_XMPP_STREAM_ERROR_SEE_OTHER_HOST);
  g_assert_cmpuint (other->n_connections, ==, 0);
}

static void
redirect_to (FakeServer *server,
             guint16     port)
{
  g_autofree char *redirect = NULL;

  redirect = g_strdup_printf (SERVER_HEADER "<stream:error><see-other-host"
                              " xmlns='urn:ietf:params:xml:ns:xmpp-streams'>[::ffff:127.0.0.1]:%u"
                              "</see-other-host></stream:error>", port);
  server_tls (server);
  server_expect (server, CLIENT_HEADER_END);
  server_send (server, redirect);
}

static void
test_redirect_after_tls (void)
{
  g_autoptr(FakeServer) first = fake_server_new ();
  g_autoptr(FakeServer) second = fake_server_new ();
  g_autofree char *second_address = NULL;
  g_auto(Run) run = { 0, };

  redirect_to (first, second->port);
  server_tls (second);
  script_sasl_features (second, SERVER_HEADER MECHANISMS (MECHANISM ("PLAIN")));
  server_expect (second, "</auth>");
  server_send (second, "<failure xmlns='" SASL_NS "'><not-authorized/></failure>");

  run_init (&run, "127.0.0.1", first->port, TRUE);
  talk_xmpp_connector_set_pinned_certificate (run.connector, cert_fingerprint);
  run_connect (&run);

  /* Followed, with TLS and the same certificate policy, to the end. */
  g_assert_error (run.error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_AUTH_FAILED);
  g_assert_cmpuint (second->n_connections, ==, 1);
  g_assert_true (second->tls_up);
  second_address = g_strdup_printf ("connecting [::ffff:127.0.0.1]:%u", second->port);
  g_assert_true (steps_contain (&run, second_address));
}

static void
test_redirect_loop (void)
{
  g_autoptr(FakeServer) a = fake_server_new ();
  g_autoptr(FakeServer) b = fake_server_new ();
  g_autoptr(FakeServer) c = fake_server_new ();
  g_autoptr(FakeServer) d = fake_server_new ();
  g_auto(Run) run = { 0, };

  redirect_to (a, b->port);
  redirect_to (b, c->port);
  redirect_to (c, d->port);

  run_init (&run, "127.0.0.1", a->port, TRUE);
  talk_xmpp_connector_set_pinned_certificate (run.connector, cert_fingerprint);
  run_connect (&run);

  /* At most two redirects in a row. */
  g_assert_error (run.error, TALK_XMPP_STREAM_ERROR, TALK_XMPP_STREAM_ERROR_SEE_OTHER_HOST);
  g_assert_cmpuint (c->n_connections, ==, 1);
  g_assert_cmpuint (d->n_connections, ==, 0);
}

static void
test_timeout (void)
{
  g_autoptr(FakeServer) server = fake_server_new ();
  g_auto(Run) run = { 0, };

  /* Accepts, reads, never answers. */
  server_expect (server, "nothing the client sends");

  run_init (&run, "127.0.0.1", server->port, FALSE);
  talk_xmpp_connector_set_timeout (run.connector, 1);
  run_connect (&run);

  g_assert_error (run.error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_TIMEOUT);
  g_assert_cmpstr (run.error->message, ==,
                   "The server did not answer in time (while opening the stream)");
  g_assert_cmpint (run.elapsed, >=, 900 * 1000);
  g_assert_cmpint (run.elapsed, <, 3 * G_USEC_PER_SEC);
}

static void
test_timeout_tls (void)
{
  g_autoptr(FakeServer) server = fake_server_new ();
  g_auto(Run) run = { 0, };

  /* Direct TLS to a server that never says hello. */
  server_expect (server, "nothing the client sends");

  run_init (&run, "127.0.0.1", server->port, TRUE);
  talk_xmpp_connector_set_timeout (run.connector, 1);
  run_connect (&run);

  g_assert_error (run.error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_TIMEOUT);
  g_assert_nonnull (strstr (run.error->message, "encryption"));
}

static void
test_cancel (void)
{
  g_autoptr(FakeServer) server = fake_server_new ();
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(TalkXmppStream) stream = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(Run) run = { 0, };

  server_expect (server, "nothing the client sends");

  run_init (&run, "127.0.0.1", server->port, FALSE);
  talk_xmpp_connector_connect_async (run.connector, cancellable, store_result_cb, &result);
  spin_ms (100);
  g_cancellable_cancel (cancellable);
  stream = talk_xmpp_connector_connect_finish (run.connector, wait_result (&result), &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (stream);
}

static void
test_connection_refused (void)
{
  g_auto(Run) run = { 0, };

  run_init (&run, "127.0.0.1", closed_port (), FALSE);
  run_connect (&run);

  g_assert_error (run.error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_CONNECTION_FAILED);
}

static void
test_host_not_found (void)
{
  g_auto(Run) run = { 0, };

  resolver_reset ();
  run_init (&run, "nowhere." DOMAIN, 5222, FALSE);
  run_connect (&run);

  g_assert_error (run.error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_HOST_NOT_FOUND);
}

static void
test_srv_order (void)
{
  g_autoptr(FakeServer) server = fake_server_new ();
  guint16 port_a = closed_port ();
  guint16 port_b = closed_port ();
  guint16 port_c = closed_port ();
  g_autofree char *expected = NULL;
  g_autofree char *joined = NULL;
  g_auto(Run) run = { 0, };

  resolver_reset ();
  resolver_add_srv ("xmpps-client", "a." DOMAIN, port_a, 10);
  resolver_add_srv ("xmpps-client", "b." DOMAIN, port_b, 20);
  resolver_add_srv ("xmpp-client", "c." DOMAIN, port_c, 10);
  resolver_add_srv ("xmpp-client", "d." DOMAIN, server->port, 30);

  server_expect (server, CLIENT_HEADER_END);
  server_send (server, SERVER_HEADER MECHANISMS (MECHANISM ("PLAIN")));

  run_init (&run, NULL, 0, FALSE);
  run_connect (&run);

  /* By priority; direct TLS first when equal (XEP-0368 §3). */
  expected = g_strdup_printf ("resolving " DOMAIN "|connecting a." DOMAIN ":%u|"
                              "connecting c." DOMAIN ":%u|connecting b." DOMAIN ":%u|"
                              "connecting d." DOMAIN ":%u",
                              port_a, port_c, port_b, server->port);
  g_ptr_array_add (run.steps, NULL);
  joined = g_strjoinv ("|", (char **) run.steps->pdata);
  g_assert_cmpstr (joined, ==, expected);

  /* d speaks STARTTLS and offered none. */
  g_assert_error (run.error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_NO_TLS);
  g_assert_false (talk_xmpp_connector_get_direct_tls (run.connector));
  g_assert_nonnull (strstr (talk_xmpp_connector_get_remote_address (run.connector), "d." DOMAIN));
}

static void
test_srv_all_refused (void)
{
  g_auto(Run) run = { 0, };

  resolver_reset ();
  resolver_add_srv ("xmpp-client", "a." DOMAIN, closed_port (), 0);
  resolver_add_srv ("xmpps-client", "b." DOMAIN, closed_port (), 0);

  run_init (&run, NULL, 0, FALSE);
  run_connect (&run);

  g_assert_error (run.error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_CONNECTION_FAILED);
  g_assert_cmpuint (run.steps->len, ==, 3);
}

static void
test_srv_fallback (void)
{
  g_auto(Run) run = { 0, };

  /* No records at all: the domain itself on 5222 (RFC 6120 §3.2.2). */
  resolver_reset ();
  run_init (&run, NULL, 0, FALSE);
  run_connect (&run);

  g_assert_error (run.error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_HOST_NOT_FOUND);
  g_assert_cmpuint (run.steps->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (run.steps, 1), ==, "connecting " DOMAIN ":5222");
}

static void
test_srv_dot (void)
{
  g_auto(Run) run = { 0, };

  /* RFC 2782: "." means decidedly no service; no fallback. */
  resolver_reset ();
  resolver_add_srv ("xmpp-client", ".", 0, 0);
  run_init (&run, NULL, 0, FALSE);
  run_connect (&run);

  g_assert_error (run.error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_HOST_NOT_FOUND);
  g_assert_false (steps_contain (&run, "connecting"));
}

/* The trust database (talk-xmpp-connector-trust.c) */

static void
run_openssl (const char *command)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  int status = 0;

  g_spawn_command_line_sync (command, NULL, &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("openssl failed: %s", err);
}

typedef struct
{
  char *dir;
  char *ca_file;        /* a CA that signed leaf_file */
  char *leaf_file;      /* for DOMAIN */
} Chain;

static void
chain_init (Chain *chain)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *ca_key = NULL;
  g_autofree char *leaf_key = NULL;
  g_autofree char *csr = NULL;
  g_autofree char *ext = NULL;
  g_autofree char *command = NULL;

  chain->dir = g_dir_make_tmp ("talk-test-trust-XXXXXX", &error);
  g_assert_no_error (error);
  chain->ca_file = g_build_filename (chain->dir, "ca.pem", NULL);
  chain->leaf_file = g_build_filename (chain->dir, "leaf.pem", NULL);
  ca_key = g_build_filename (chain->dir, "ca.key", NULL);
  leaf_key = g_build_filename (chain->dir, "leaf.key", NULL);
  csr = g_build_filename (chain->dir, "leaf.csr", NULL);
  ext = g_build_filename (chain->dir, "leaf.ext", NULL);

  command = g_strdup_printf ("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1"
                             " -nodes -days 30 -subj /CN=Talk-Test-CA"
                             " -addext basicConstraints=critical,CA:TRUE"
                             " -addext keyUsage=critical,keyCertSign"
                             " -keyout %s -out %s", ca_key, chain->ca_file);
  run_openssl (command);
  g_free (command);
  command = g_strdup_printf ("openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1"
                             " -nodes -subj /CN=" DOMAIN " -keyout %s -out %s", leaf_key, csr);
  run_openssl (command);
  g_file_set_contents (ext, "subjectAltName=DNS:" DOMAIN "\n", -1, &error);
  g_assert_no_error (error);
  g_free (command);
  command = g_strdup_printf ("openssl x509 -req -in %s -CA %s -CAkey %s -CAcreateserial"
                             " -days 30 -extfile %s -out %s",
                             csr, chain->ca_file, ca_key, ext, chain->leaf_file);
  run_openssl (command);
}

static void
chain_clear (Chain *chain)
{
  g_autoptr(GDir) dir = g_dir_open (chain->dir, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (chain->dir, name, NULL);

      g_unlink (path);
    }
  g_rmdir (chain->dir);
  g_free (chain->dir);
  g_free (chain->ca_file);
  g_free (chain->leaf_file);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Chain, chain_clear)

static GTlsCertificateFlags
verify_file (GTlsDatabase *database,
             const char   *file,
             const char   *domain)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GTlsCertificate) certificate = g_tls_certificate_new_from_file (file, &error);
  g_autoptr(GSocketConnectable) identity = g_network_address_new (domain, 5222);
  GTlsCertificateFlags flags;

  g_assert_no_error (error);
  flags = g_tls_database_verify_chain (database, certificate, G_TLS_DATABASE_PURPOSE_AUTHENTICATE_SERVER,
                                       identity, NULL, G_TLS_DATABASE_VERIFY_NONE, NULL, &error);
  g_assert_no_error (error);

  return flags;
}

static void
test_trust_valid_chain (void)
{
  g_auto(Chain) chain = { 0, };
  g_autoptr(GTlsDatabase) database = NULL;

  chain_init (&chain);
  database = _talk_xmpp_trust_database_new (chain.ca_file);

  g_assert_cmpint (verify_file (database, chain.leaf_file, DOMAIN), ==, 0);
  /* Verifying again parses the anchors again: the same answer. */
  g_assert_cmpint (verify_file (database, chain.leaf_file, DOMAIN), ==, 0);
}

static void
test_trust_bad_identity (void)
{
  g_auto(Chain) chain = { 0, };
  g_autoptr(GTlsDatabase) database = NULL;

  chain_init (&chain);
  database = _talk_xmpp_trust_database_new (chain.ca_file);

  g_assert_cmpint (verify_file (database, chain.leaf_file, "other.test"), ==,
                   G_TLS_CERTIFICATE_BAD_IDENTITY);
  g_assert_cmpint (verify_file (database, chain.leaf_file, "sub." DOMAIN), ==,
                   G_TLS_CERTIFICATE_BAD_IDENTITY);
}

static void
test_trust_unknown_ca (void)
{
  g_auto(Chain) chain = { 0, };
  g_autoptr(GTlsDatabase) database = NULL;

  chain_init (&chain);
  /* Anchors that did not sign the leaf: the server's self-signed one. */
  database = _talk_xmpp_trust_database_new (cert_file);

  g_assert_cmpint (verify_file (database, chain.leaf_file, DOMAIN), ==,
                   G_TLS_CERTIFICATE_UNKNOWN_CA);
}

static void
test_trust_system (void)
{
  GTlsDatabase *database = _talk_xmpp_trust_database_get_system ();
  g_autoptr(GTlsDatabase) gio_database = g_tls_backend_get_default_database (g_tls_backend_get_default ());
  g_auto(Chain) chain = { 0, };

  chain_init (&chain);

  g_assert_true (database == _talk_xmpp_trust_database_get_system ());
  /* No system CA signed these; the same answers as GIO's own database. */
  g_assert_cmpint (verify_file (database, cert_file, DOMAIN), ==, G_TLS_CERTIFICATE_UNKNOWN_CA);
  g_assert_cmpint (verify_file (database, cert_file, DOMAIN), ==,
                   verify_file (gio_database, cert_file, DOMAIN));
  g_assert_cmpint (verify_file (database, chain.leaf_file, "other.test"), ==,
                   G_TLS_CERTIFICATE_UNKNOWN_CA | G_TLS_CERTIFICATE_BAD_IDENTITY);
  g_assert_cmpint (verify_file (database, chain.leaf_file, "other.test"), ==,
                   verify_file (gio_database, chain.leaf_file, "other.test"));
}

/* Setup */

static void
make_certificate (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *command = NULL;
  int status = 0;
  char *eq;

  cert_dir = g_dir_make_tmp ("talk-test-connector-XXXXXX", &error);
  g_assert_no_error (error);
  cert_file = g_build_filename (cert_dir, "cert.pem", NULL);
  key_file = g_build_filename (cert_dir, "key.pem", NULL);

  command = g_strdup_printf ("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1"
                             " -nodes -days 30 -subj /CN=" DOMAIN
                             " -addext subjectAltName=DNS:" DOMAIN
                             " -keyout %s -out %s", key_file, cert_file);
  g_spawn_command_line_sync (command, NULL, &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("openssl failed: %s", err);

  g_free (command);
  command = g_strdup_printf ("openssl x509 -noout -fingerprint -sha256 -in %s", cert_file);
  g_spawn_command_line_sync (command, &out, NULL, &status, &error);
  g_assert_no_error (error);
  eq = strchr (out, '=');
  g_assert_nonnull (eq);
  cert_fingerprint = g_strdup (g_strstrip (eq + 1));
}

static void
remove_certificate (void)
{
  g_unlink (cert_file);
  g_unlink (key_file);
  g_rmdir (cert_dir);
  g_free (cert_file);
  g_free (key_file);
  g_free (cert_dir);
  g_free (cert_fingerprint);
}

/* What the UI says about a certificate comes from its flags, in order. */
static void
test_describe_errors (void)
{
  g_autofree char *one = talk_xmpp_certificate_describe_errors (G_TLS_CERTIFICATE_UNKNOWN_CA);
  g_autofree char *two = talk_xmpp_certificate_describe_errors (G_TLS_CERTIFICATE_EXPIRED |
                                                                G_TLS_CERTIFICATE_BAD_IDENTITY);
  g_autofree char *none = talk_xmpp_certificate_describe_errors (0);

  g_assert_cmpstr (one, ==, "issuer unknown");
  g_assert_cmpstr (two, ==, "issued for another name, expired");
  g_assert_cmpstr (none, ==, "invalid");
}

int
main (int   argc,
      char *argv[])
{
  int ret;

  g_test_init (&argc, &argv, NULL);

  make_certificate ();
  resolver = g_object_new (TEST_TYPE_RESOLVER, NULL);
  g_resolver_set_default (G_RESOLVER (resolver));

  g_test_add_func ("/talk/xmpp/connector/fingerprint", test_fingerprint);
  g_test_add_func ("/talk/xmpp/connector/no-starttls", test_no_starttls);
  g_test_add_func ("/talk/xmpp/connector/starttls-failure", test_starttls_failure);
  g_test_add_func ("/talk/xmpp/connector/certificate-untrusted", test_certificate_untrusted);
  g_test_add_func ("/talk/xmpp/connector/certificate-wrong-pin", test_certificate_wrong_pin);
  g_test_add_func ("/talk/xmpp/connector/pinned-bad-server-signature",
                   test_pinned_bad_server_signature);
  g_test_add_func ("/talk/xmpp/connector/scram-success-without-signature",
                   test_scram_success_without_signature);
  g_test_add_func ("/talk/xmpp/connector/channel-binding-listed", test_channel_binding_listed);
  g_test_add_func ("/talk/xmpp/connector/channel-binding-default", test_channel_binding_default);
  g_test_add_func ("/talk/xmpp/connector/not-authorized", test_not_authorized);
  g_test_add_func ("/talk/xmpp/connector/account-disabled", test_account_disabled);
  g_test_add_func ("/talk/xmpp/connector/bad-base64", test_bad_base64);
  g_test_add_func ("/talk/xmpp/connector/no-mechanism", test_no_mechanism);
  g_test_add_func ("/talk/xmpp/connector/plain-inside-tls", test_plain_inside_tls);
  g_test_add_func ("/talk/xmpp/connector/bind-other-account", test_bind_other_account);
  g_test_add_func ("/talk/xmpp/connector/bind-error", test_bind_error);
  g_test_add_func ("/talk/xmpp/connector/stream-error", test_stream_error);
  g_test_add_func ("/talk/xmpp/connector/redirect-before-tls", test_redirect_before_tls);
  g_test_add_func ("/talk/xmpp/connector/redirect-after-tls", test_redirect_after_tls);
  g_test_add_func ("/talk/xmpp/connector/redirect-loop", test_redirect_loop);
  g_test_add_func ("/talk/xmpp/connector/timeout", test_timeout);
  g_test_add_func ("/talk/xmpp/connector/timeout-tls", test_timeout_tls);
  g_test_add_func ("/talk/xmpp/connector/cancel", test_cancel);
  g_test_add_func ("/talk/xmpp/connector/connection-refused", test_connection_refused);
  g_test_add_func ("/talk/xmpp/connector/host-not-found", test_host_not_found);
  g_test_add_func ("/talk/xmpp/connector/srv-order", test_srv_order);
  g_test_add_func ("/talk/xmpp/connector/srv-all-refused", test_srv_all_refused);
  g_test_add_func ("/talk/xmpp/connector/srv-fallback", test_srv_fallback);
  g_test_add_func ("/talk/xmpp/connector/srv-dot", test_srv_dot);
  g_test_add_func ("/talk/xmpp/connector/trust/valid-chain", test_trust_valid_chain);
  g_test_add_func ("/talk/xmpp/connector/trust/bad-identity", test_trust_bad_identity);
  g_test_add_func ("/talk/xmpp/connector/trust/unknown-ca", test_trust_unknown_ca);
  g_test_add_func ("/talk/xmpp/connector/trust/system", test_trust_system);
  g_test_add_func ("/talk/xmpp/connector/describe-errors", test_describe_errors);

  ret = g_test_run ();

  g_clear_object (&resolver);
  remove_certificate ();

  return ret;
}
