/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * TalkXmppConnector: where to connect (RFC 6120 §3.2, XEP-0368 §3).
 *
 *   manual host ───────────────────────────────┐
 *   SRV _xmpps-client ─┐                       ▼
 *   SRV _xmpp-client ──┴─► merge by priority ─► candidates ─► connect, next
 *   neither: the domain itself, port 5222           ▲          on failure
 *   see-other-host (after TLS, at most twice) ──────┘
 */

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "talk-xmpp-connector-private.h"

#define MAX_REDIRECTS 2

/* Candidates */

void
_talk_xmpp_connector_candidate_free (Candidate *candidate)
{
  g_free (candidate->host);
  g_free (candidate);
}

static void
add_candidate (TalkXmppConnector *self,
               const char        *host,
               guint16            port,
               gboolean           direct_tls)
{
  Candidate *candidate = g_new0 (Candidate, 1);

  candidate->host = g_strdup (host);
  candidate->port = port;
  candidate->direct_tls = direct_tls;
  g_ptr_array_add (self->candidates, candidate);
}

void
_talk_xmpp_connector_clear_srv_targets (TalkXmppConnector *self)
{
  for (guint i = 0; i < G_N_ELEMENTS (self->srv_targets); i++)
    g_list_free_full (g_steal_pointer (&self->srv_targets[i]),
                      (GDestroyNotify) g_srv_target_free);
}

/* Resolving */

/* RFC 2782: a lone "." target means "decidedly not available here". */
static gboolean
srv_refuses (GList *targets)
{
  const char *host;

  if (targets == NULL || targets->next != NULL)
    return FALSE;

  host = g_srv_target_get_hostname (targets->data);
  return host[0] == '\0' || g_str_equal (host, ".");
}

static void
resolve_done (GTask *task)
{
  TalkXmppConnector *self = g_task_get_source_object (task);
  GList *direct = self->srv_targets[0];
  GList *starttls = self->srv_targets[1];
  gboolean refused = FALSE;

  if (g_cancellable_is_cancelled (self->cancellable))
    {
      _talk_xmpp_connector_fail_error (task,
                                       g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                            _("The operation was cancelled")));
      return;
    }

  if (srv_refuses (direct))
    {
      direct = NULL;
      refused = TRUE;
    }
  if (srv_refuses (starttls))
    {
      starttls = NULL;
      refused = TRUE;
    }

  /* Each list is in RFC 2782 order already; merge by priority, direct TLS
   * first at equal priority (XEP-0368 §3). */
  while (direct != NULL || starttls != NULL)
    {
      gboolean take_direct;
      GList **list;

      if (direct == NULL)
        take_direct = FALSE;
      else if (starttls == NULL)
        take_direct = TRUE;
      else
        take_direct = g_srv_target_get_priority (direct->data) <=
                      g_srv_target_get_priority (starttls->data);

      list = take_direct ? &direct : &starttls;
      add_candidate (self, g_srv_target_get_hostname ((*list)->data),
                     g_srv_target_get_port ((*list)->data), take_direct);
      *list = (*list)->next;
    }

  _talk_xmpp_connector_clear_srv_targets (self);

  if (self->candidates->len == 0)
    {
      if (refused)
        {
          _talk_xmpp_connector_fail (task, TALK_XMPP_ERROR_HOST_NOT_FOUND,
                                     _("Server not found (%s does not offer XMPP)"),
                                     talk_xmpp_jid_get_domainpart (self->jid));
          return;
        }

      /* RFC 6120 §3.2.2: no SRV records at all, try the domain itself. */
      add_candidate (self, talk_xmpp_jid_get_domainpart (self->jid), DEFAULT_PORT, FALSE);
    }

  _talk_xmpp_connector_connect_candidate (task);
}

static void
lookup_done (GTask        *task,
             GObject      *resolver,
             GAsyncResult *result,
             guint         index)
{
  TalkXmppConnector *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;

  /* NXDOMAIN or no records is normal: most domains have one list or none. */
  self->srv_targets[index] = g_resolver_lookup_service_finish (G_RESOLVER (resolver),
                                                               result, &error);
  if (error != NULL)
    g_debug ("SRV lookup: %s", error->message);

  if (--self->lookups_pending == 0)
    resolve_done (task);
}

static void
lookup_direct_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;

  lookup_done (task, object, result, 0);
}

static void
lookup_starttls_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;

  lookup_done (task, object, result, 1);
}

void
_talk_xmpp_connector_resolve (GTask *task)
{
  TalkXmppConnector *self = g_task_get_source_object (task);
  const char *domain = talk_xmpp_jid_get_domainpart (self->jid);

  if (self->manual_host != NULL)
    {
      guint16 port = self->manual_port;

      if (port == 0)
        port = self->manual_direct_tls ? DEFAULT_DIRECT_TLS_PORT : DEFAULT_PORT;
      _talk_xmpp_connector_emit_step (self, TALK_XMPP_CONNECTOR_STEP_RESOLVING, self->manual_host);
      add_candidate (self, self->manual_host, port, self->manual_direct_tls);
      _talk_xmpp_connector_connect_candidate (task);
      return;
    }

  _talk_xmpp_connector_emit_step (self, TALK_XMPP_CONNECTOR_STEP_RESOLVING, domain);
  _talk_xmpp_connector_phase_start (self, _("looking up the server"));
  self->lookups_pending = 2;
  g_resolver_lookup_service_async (g_resolver_get_default (), "xmpps-client", "tcp", domain,
                                   self->cancellable, lookup_direct_cb, g_object_ref (task));
  g_resolver_lookup_service_async (g_resolver_get_default (), "xmpp-client", "tcp", domain,
                                   self->cancellable, lookup_starttls_cb, g_object_ref (task));
}

/* Connecting */

static void
fail_all_candidates (GTask *task)
{
  TalkXmppConnector *self = g_task_get_source_object (task);
  const char *reason = self->last_error ? self->last_error->message : _("no address");

  if (!self->any_address)
    _talk_xmpp_connector_fail (task, TALK_XMPP_ERROR_HOST_NOT_FOUND,
                               _("Server not found (%s)"), reason);
  else if (g_error_matches (self->last_error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_TIMEOUT) ||
           g_error_matches (self->last_error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    _talk_xmpp_connector_fail_error (task, _talk_xmpp_connector_timeout_error_new (self));
  else
    _talk_xmpp_connector_fail (task, TALK_XMPP_ERROR_CONNECTION_FAILED,
                               _("Could not connect to the server (%s)"), reason);
}

static void
connect_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TalkXmppConnector *self = g_task_get_source_object (task);
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  gboolean timed_out = self->connect_timed_out;
  Candidate *candidate;

  connection = g_socket_client_connect_finish (G_SOCKET_CLIENT (object), result, &error);
  g_clear_object (&self->connect_cancellable);
  self->connect_timed_out = FALSE;

  if (connection == NULL)
    {
      if (g_cancellable_is_cancelled (self->cancellable))
        {
          _talk_xmpp_connector_fail_error (task, g_steal_pointer (&error));
          return;
        }

      if (timed_out)
        {
          g_clear_error (&error);
          error = _talk_xmpp_connector_timeout_error_new (self);
        }

      g_debug ("Could not connect to %s: %s", self->remote_address, error->message);
      if (error->domain != G_RESOLVER_ERROR)
        self->any_address = TRUE;
      g_clear_error (&self->last_error);
      self->last_error = g_steal_pointer (&error);
      _talk_xmpp_connector_connect_candidate (task);
      return;
    }

  /* GSocketClient's timeout stays on the socket; an idle stream must not
   * time out (keepalives are the session's business). */
  g_socket_set_timeout (g_socket_connection_get_socket (connection), 0);

  candidate = g_ptr_array_index (self->candidates, self->next_candidate - 1);
  self->direct_tls = candidate->direct_tls;
  self->connection = g_steal_pointer (&connection);

  if (self->direct_tls)
    _talk_xmpp_connector_start_tls (task);
  else
    {
      self->stream = talk_xmpp_stream_new (G_IO_STREAM (self->connection));
      _talk_xmpp_connector_open_stream (task);
    }
}

void
_talk_xmpp_connector_connect_candidate (GTask *task)
{
  TalkXmppConnector *self = g_task_get_source_object (task);
  g_autoptr(GSocketClient) client = NULL;
  g_autoptr(GSocketConnectable) address = NULL;
  g_autofree char *phase = NULL;
  Candidate *candidate;

  if (self->next_candidate >= self->candidates->len)
    {
      fail_all_candidates (task);
      return;
    }

  candidate = g_ptr_array_index (self->candidates, self->next_candidate++);

  g_free (self->remote_address);
  if (strchr (candidate->host, ':') != NULL)
    self->remote_address = g_strdup_printf ("[%s]:%u", candidate->host, candidate->port);
  else
    self->remote_address = g_strdup_printf ("%s:%u", candidate->host, candidate->port);

  _talk_xmpp_connector_emit_step (self, TALK_XMPP_CONNECTOR_STEP_CONNECTING, self->remote_address);
  phase = g_strdup_printf (_("connecting to %s"), self->remote_address);
  _talk_xmpp_connector_phase_start (self, phase);

  client = g_socket_client_new ();
  g_socket_client_set_timeout (client, self->timeout);
  address = g_network_address_new (candidate->host, candidate->port);

  self->connect_cancellable = g_cancellable_new ();
  g_socket_client_connect_async (client, address, self->connect_cancellable,
                                 connect_cb, g_object_ref (task));
}

/* see-other-host (RFC 6120 §4.9.3.19) */

gboolean
_talk_xmpp_connector_follow_redirect (GTask *task)
{
  TalkXmppConnector *self = g_task_get_source_object (task);
  TalkXmppStanza *stream_error = talk_xmpp_stream_get_stream_error (self->stream);
  g_autoptr(GSocketConnectable) address = NULL;
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  guint16 default_port;

  /* Only once the server has proven who it is (RFC 6120 erratum 3651). */
  if (self->stage == STAGE_PLAIN || self->redirects >= MAX_REDIRECTS || stream_error == NULL)
    return FALSE;

  text = talk_xmpp_stanza_dup_child_text (stream_error, "see-other-host", TALK_XMPP_NS_STREAMS);
  if (text == NULL)
    return FALSE;

  default_port = self->direct_tls ? DEFAULT_DIRECT_TLS_PORT : DEFAULT_PORT;
  address = g_network_address_parse (g_strstrip (text), default_port, &error);
  if (address == NULL)
    {
      g_debug ("Ignoring a redirect to an invalid address: %s", error->message);
      return FALSE;
    }

  self->redirects++;
  g_debug ("The server redirects to %s", text);

  _talk_xmpp_connector_teardown (self);
  g_ptr_array_set_size (self->candidates, 0);
  add_candidate (self, g_network_address_get_hostname (G_NETWORK_ADDRESS (address)),
                 g_network_address_get_port (G_NETWORK_ADDRESS (address)), self->direct_tls);
  self->next_candidate = 0;
  self->any_address = FALSE;
  g_clear_error (&self->last_error);
  g_clear_object (&self->peer_certificate);
  g_clear_pointer (&self->peer_fingerprint, g_free);
  self->peer_errors = 0;

  _talk_xmpp_connector_connect_candidate (task);
  return TRUE;
}
