/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * One account's connection.
 *
 *   connect_async ──► attempt (TalkXmppConnector) ──► adopt stream ──► ONLINE
 *        ▲                  │ fails                        │
 *        │                  ▼                              ▼
 *   reconnect timer ◄── transient? ◄──────────────── connection lost
 *   (backoff, network-changed)                       (recv error, stream
 *                                                     error, dead keepalive)
 *
 * While online one receive is pending at a time; every stanza is emitted as
 * "stanza-received", IQ replies go to the tracker (matched by id and
 * sender), everything else to the handlers. A single keepalive timer is
 * re-armed to the next deadline: a whitespace keepalive when nothing was
 * sent, an XEP-0199 ping when nothing was received.
 */

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "talk-xmpp-connector.h"
#include "talk-xmpp-enums.h"
#include "talk-xmpp-session.h"
#include "talk-xmpp-session-private.h"
#include "talk-xmpp-stream.h"

/* SECURITY.md §3.1: reset the backoff once a session was stable this long. */
#define STABLE_USEC (60 * G_USEC_PER_SEC)

/* SECURITY.md §3.1: a small random delay after the network comes back, so
 * that every client behind the same access point does not connect at once. */
#define NETWORK_CHANGED_MAX_DELAY_MS 1000

struct _TalkXmppSession
{
  GObject parent_instance;

  /* configuration */
  TalkXmppJid *jid;
  char *password;
  char *host;
  guint16 port;
  gboolean direct_tls;
  char *resource;
  char *pinned_certificate;
  gboolean auto_reconnect;
  guint backoff_base_ms;
  guint backoff_max_ms;
  guint keepalive_seconds;
  guint ping_timeout_seconds;
  guint iq_timeout_seconds;

  /* what the last attempt learned */
  TalkXmppSessionState state;
  TalkXmppJid *bound_jid;
  TalkXmppSaslMechanism sasl_mechanism;
  char *peer_fingerprint;
  char *tls_version;
  TalkXmppStanza *features;
  GError *last_error;

  /* a connection attempt in progress */
  TalkXmppConnector *connector;
  GCancellable *connect_cancellable;
  gulong step_handler_id;
  GPtrArray *connect_waiters;

  /* online */
  TalkXmppStream *stream;
  GCancellable *recv_cancellable;
  gint64 online_since;
  gint64 last_queued;
  guint keepalive_source_id;
  char *keepalive_ping_id;
  gint64 keepalive_ping_sent;

  /* offline */
  guint reconnect_source_id;
  gint64 reconnect_at;
  guint n_failures;
  GNetworkMonitor *network_monitor;
  gulong network_changed_id;

  GPtrArray *handlers;
  guint last_handler_id;
  GHashTable *pending_iqs;
};

G_DEFINE_FINAL_TYPE (TalkXmppSession, talk_xmpp_session, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_JID,
  PROP_STATE,
  PROP_BOUND_JID,
  PROP_SASL_MECHANISM,
  PROP_PEER_FINGERPRINT,
  PROP_TLS_VERSION,
  PROP_HOST,
  PROP_PORT,
  PROP_DIRECT_TLS,
  PROP_RESOURCE,
  PROP_PINNED_CERTIFICATE,
  PROP_AUTO_RECONNECT,
  PROP_BACKOFF_BASE_MS,
  PROP_BACKOFF_MAX_MS,
  PROP_KEEPALIVE_SECONDS,
  PROP_PING_TIMEOUT_SECONDS,
  PROP_IQ_TIMEOUT_SECONDS,
  PROP_RECONNECT_AT,
  N_PROPS
};

enum {
  STANZA_RECEIVED,
  ONLINE,
  DISCONNECTED,
  RECONNECT_SCHEDULED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

typedef struct
{
  guint                  id;
  char                  *element;
  char                  *ns;
  TalkXmppStanzaHandler  func;
  gpointer               user_data;
  GDestroyNotify         destroy;
  gboolean               removed;
} Handler;

typedef struct
{
  TalkXmppSession *self;
  char            *id;
  char            *to;
  GTask           *task;           /* NULL for the keepalive ping */
  GSource         *timeout_source;
  GSource         *cancel_source;
} PendingIq;

typedef struct
{
  TalkXmppSession *self;
  GTask           *task;
  GSource         *cancel_source;
} ConnectWaiter;

static void session_start_attempt   (TalkXmppSession *self);
static void session_keepalive_arm   (TalkXmppSession *self);
static void session_lost            (TalkXmppSession *self,
                                     const GError    *error,
                                     gboolean         abort_transport);

/* Helpers */

static void
source_destroy_and_unref (GSource *source)
{
  g_source_destroy (source);
  g_source_unref (source);
}

static guint
timeout_add_named (guint        interval_ms,
                   GSourceFunc  func,
                   gpointer     data,
                   const char  *name)
{
  GSource *source = g_timeout_source_new (interval_ms);
  guint id;

  g_source_set_callback (source, func, data, NULL);
  g_source_set_static_name (source, name);
  id = g_source_attach (source, NULL);
  g_source_unref (source);
  return id;
}

static void
password_wipe (char *password)
{
  if (password == NULL)
    return;
  explicit_bzero (password, strlen (password));
  g_free (password);
}

static gboolean
set_string (char       **field,
            const char  *value)
{
  if (g_strcmp0 (*field, value) == 0)
    return FALSE;
  g_free (*field);
  *field = g_strdup (value);
  return TRUE;
}

static void
session_set_string (TalkXmppSession  *self,
                    char            **field,
                    const char       *value,
                    guint             prop)
{
  if (set_string (field, value))
    g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
session_set_uint (TalkXmppSession *self,
                  guint           *field,
                  guint            value,
                  guint            prop)
{
  if (*field == value)
    return;
  *field = value;
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
session_set_state (TalkXmppSession      *self,
                   TalkXmppSessionState  state)
{
  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static void
session_set_bound_jid (TalkXmppSession *self,
                       TalkXmppJid     *jid)
{
  if (self->bound_jid == jid)
    return;
  if (self->bound_jid != NULL && jid != NULL && talk_xmpp_jid_equal (self->bound_jid, jid))
    return;
  g_clear_pointer (&self->bound_jid, talk_xmpp_jid_unref);
  if (jid != NULL)
    self->bound_jid = talk_xmpp_jid_ref (jid);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BOUND_JID]);
}

static void
session_set_sasl_mechanism (TalkXmppSession       *self,
                            TalkXmppSaslMechanism  mechanism)
{
  if (self->sasl_mechanism == mechanism)
    return;
  self->sasl_mechanism = mechanism;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SASL_MECHANISM]);
}

static void
session_set_reconnect_at (TalkXmppSession *self,
                          gint64           reconnect_at)
{
  if (self->reconnect_at == reconnect_at)
    return;
  self->reconnect_at = reconnect_at;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RECONNECT_AT]);
}

static const char *
session_domain (TalkXmppSession *self)
{
  return talk_xmpp_jid_get_domainpart (self->jid);
}

static gboolean
stanza_is_client (TalkXmppStanza *stanza,
                  const char     *name)
{
  const char *ns = talk_xmpp_stanza_get_ns (stanza);

  return g_strcmp0 (talk_xmpp_stanza_get_name (stanza), name) == 0 &&
         (ns == NULL || strcmp (ns, TALK_XMPP_NS_CLIENT) == 0);
}

static void
send_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  /* A failed write also fails the pending receive, which reports the loss. */
  if (!talk_xmpp_stream_send_finish (TALK_XMPP_STREAM (source), result, &error))
    g_debug ("Sending failed: %s", error->message);
}

static void
send_raw_done_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!talk_xmpp_stream_send_raw_finish (TALK_XMPP_STREAM (source), result, &error))
    g_debug ("Sending a keepalive failed: %s", error->message);
}

/* Which failures are worth an automatic retry (SECURITY.md §3.1). A fatal
 * one needs the user: other credentials, a certificate decision, another
 * server, or (conflict) not fighting another client over the resource
 * (SECURITY.md §1.7). */
static gboolean
stream_error_is_transient (TalkXmppStreamErrorCode code)
{
  switch (code)
    {
    case TALK_XMPP_STREAM_ERROR_SYSTEM_SHUTDOWN:
    case TALK_XMPP_STREAM_ERROR_RESET:
    case TALK_XMPP_STREAM_ERROR_CONNECTION_TIMEOUT:
    case TALK_XMPP_STREAM_ERROR_INTERNAL_SERVER_ERROR:
    case TALK_XMPP_STREAM_ERROR_RESOURCE_CONSTRAINT:
    case TALK_XMPP_STREAM_ERROR_REMOTE_CONNECTION_FAILED:
    case TALK_XMPP_STREAM_ERROR_UNDEFINED_CONDITION:
    case TALK_XMPP_STREAM_ERROR_POLICY_VIOLATION:
    case TALK_XMPP_STREAM_ERROR_NOT_WELL_FORMED:
    case TALK_XMPP_STREAM_ERROR_BAD_FORMAT:
    case TALK_XMPP_STREAM_ERROR_RESTRICTED_XML:
    case TALK_XMPP_STREAM_ERROR_INVALID_XML:
    /* Left over from the connector: a redirect it did not follow. */
    case TALK_XMPP_STREAM_ERROR_SEE_OTHER_HOST:
      return TRUE;

    case TALK_XMPP_STREAM_ERROR_CONFLICT:
    case TALK_XMPP_STREAM_ERROR_NOT_AUTHORIZED:
    case TALK_XMPP_STREAM_ERROR_HOST_UNKNOWN:
    case TALK_XMPP_STREAM_ERROR_HOST_GONE:
    case TALK_XMPP_STREAM_ERROR_IMPROPER_ADDRESSING:
    case TALK_XMPP_STREAM_ERROR_INVALID_FROM:
    case TALK_XMPP_STREAM_ERROR_INVALID_NAMESPACE:
    case TALK_XMPP_STREAM_ERROR_BAD_NAMESPACE_PREFIX:
    case TALK_XMPP_STREAM_ERROR_UNSUPPORTED_ENCODING:
    case TALK_XMPP_STREAM_ERROR_UNSUPPORTED_FEATURE:
    case TALK_XMPP_STREAM_ERROR_UNSUPPORTED_STANZA_TYPE:
    case TALK_XMPP_STREAM_ERROR_UNSUPPORTED_VERSION:
      return FALSE;

    default:
      return TRUE;
    }
}

static gboolean
xmpp_error_is_transient (TalkXmppErrorCode code)
{
  switch (code)
    {
    case TALK_XMPP_ERROR_FAILED:
    case TALK_XMPP_ERROR_HOST_NOT_FOUND:
    case TALK_XMPP_ERROR_CONNECTION_FAILED:
    case TALK_XMPP_ERROR_STREAM:
    case TALK_XMPP_ERROR_PROTOCOL:
    case TALK_XMPP_ERROR_TIMEOUT:
    case TALK_XMPP_ERROR_CLOSED:
    case TALK_XMPP_ERROR_NOT_CONNECTED:
      return TRUE;

    case TALK_XMPP_ERROR_NO_TLS:
    case TALK_XMPP_ERROR_TLS_FAILED:
    case TALK_XMPP_ERROR_CERTIFICATE:
    case TALK_XMPP_ERROR_AUTH_FAILED:
    case TALK_XMPP_ERROR_AUTH_MECHANISM:
    case TALK_XMPP_ERROR_AUTH_PROTOCOL:
    case TALK_XMPP_ERROR_BIND_FAILED:
    case TALK_XMPP_ERROR_INVALID_JID:
      return FALSE;

    default:
      return TRUE;
    }
}

static gboolean
error_is_transient (const GError *error)
{
  if (error->domain == TALK_XMPP_STREAM_ERROR)
    return stream_error_is_transient (error->code);
  if (error->domain == TALK_XMPP_ERROR)
    return xmpp_error_is_transient (error->code);
  if (error->domain == G_IO_ERROR)
    return error->code != G_IO_ERROR_CANCELLED;
  /* On an established connection these are a broken transport; handshake
   * and certificate problems come from the connector as TLS_FAILED and
   * CERTIFICATE. */
  if (error->domain == G_TLS_ERROR)
    return error->code == G_TLS_ERROR_EOF || error->code == G_TLS_ERROR_MISC;
  return error->domain == G_RESOLVER_ERROR;
}

/* Handlers */

static void
handler_clear (gpointer data)
{
  Handler *handler = data;

  if (handler->destroy != NULL)
    handler->destroy (handler->user_data);
  g_free (handler->element);
  g_free (handler->ns);
}

static void
handler_release (gpointer data)
{
  g_rc_box_release_full (data, handler_clear);
}

static gpointer
handler_acquire (gconstpointer data,
                 gpointer      user_data)
{
  return g_rc_box_acquire ((gpointer) data);
}

static gboolean
handler_matches (Handler        *handler,
                 TalkXmppStanza *stanza,
                 TalkXmppStanza *iq_payload)
{
  if (handler->removed)
    return FALSE;
  if (handler->element != NULL &&
      g_strcmp0 (handler->element, talk_xmpp_stanza_get_name (stanza)) != 0)
    return FALSE;
  if (handler->ns == NULL)
    return TRUE;
  if (iq_payload != NULL)
    return g_strcmp0 (talk_xmpp_stanza_get_ns (iq_payload), handler->ns) == 0;
  return g_strcmp0 (talk_xmpp_stanza_get_ns (stanza), handler->ns) == 0 ||
         talk_xmpp_stanza_get_child_ns (stanza, handler->ns) != NULL;
}

/* Runs the matching handlers in the order they were added until one takes
 * the stanza. A handler may add or remove handlers, or disconnect. */
static gboolean
session_run_handlers (TalkXmppSession *self,
                      TalkXmppStanza  *stanza,
                      TalkXmppStanza  *iq_payload)
{
  g_autoptr(GPtrArray) snapshot = NULL;
  TalkXmppStream *stream = self->stream;

  snapshot = g_ptr_array_copy (self->handlers, handler_acquire, NULL);
  g_ptr_array_set_free_func (snapshot, handler_release);

  for (guint i = 0; i < snapshot->len; i++)
    {
      Handler *handler = g_ptr_array_index (snapshot, i);

      if (!handler_matches (handler, stanza, iq_payload))
        continue;
      if (handler->func (self, stanza, handler->user_data))
        return TRUE;
      if (self->stream != stream)
        return TRUE;
    }

  return FALSE;
}

/* IQ tracker */

static void
pending_iq_free (gpointer data)
{
  PendingIq *pending = data;

  g_clear_pointer (&pending->timeout_source, source_destroy_and_unref);
  g_clear_pointer (&pending->cancel_source, source_destroy_and_unref);
  g_clear_object (&pending->task);
  g_free (pending->id);
  g_free (pending->to);
  g_free (pending);
}

static void
session_keepalive_ping_done (TalkXmppSession *self)
{
  g_clear_pointer (&self->keepalive_ping_id, g_free);
  self->keepalive_ping_sent = 0;
  session_keepalive_arm (self);
}

/* Takes @pending out of the table and completes it with @reply or @error
 * (one of them non-NULL). */
static void
pending_iq_complete (PendingIq      *pending,
                     TalkXmppStanza *reply,
                     GError         *error)
{
  TalkXmppSession *self = pending->self;
  g_autoptr(GTask) task = g_steal_pointer (&pending->task);

  g_hash_table_steal (self->pending_iqs, pending->id);
  pending_iq_free (pending);

  if (task == NULL)
    {
      /* The keepalive ping: any reply, even an error, proves the link. */
      if (error == NULL || !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        session_keepalive_ping_done (self);
      g_clear_error (&error);
      return;
    }

  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, talk_xmpp_stanza_ref (reply),
                           (GDestroyNotify) talk_xmpp_stanza_unref);
}

static gboolean
pending_iq_timeout_cb (gpointer user_data)
{
  PendingIq *pending = user_data;
  TalkXmppSession *self = pending->self;

  g_debug ("No reply to IQ %s within %u seconds", pending->id, self->iq_timeout_seconds);
  pending_iq_complete (pending, NULL,
                       g_error_new (TALK_XMPP_ERROR, TALK_XMPP_ERROR_TIMEOUT,
                                    _("No reply within %u seconds"),
                                    self->iq_timeout_seconds));
  return G_SOURCE_REMOVE;
}

static gboolean
pending_iq_cancelled_cb (GCancellable *cancellable,
                         gpointer      user_data)
{
  PendingIq *pending = user_data;

  pending_iq_complete (pending, NULL,
                       g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                            _("Operation was cancelled")));
  return G_SOURCE_REMOVE;
}

static void
session_track_iq (TalkXmppSession *self,
                  TalkXmppStanza  *iq,
                  GTask           *task,
                  guint            timeout_seconds,
                  GCancellable    *cancellable)
{
  PendingIq *pending = g_new0 (PendingIq, 1);

  pending->self = self;
  pending->id = g_strdup (talk_xmpp_stanza_get_id (iq));
  pending->to = g_strdup (talk_xmpp_stanza_get_to (iq));
  pending->task = task;

  if (timeout_seconds > 0)
    {
      /* Not g_timeout_source_new_seconds(): that one may fire early. */
      pending->timeout_source = g_timeout_source_new ((guint) MIN ((guint64) timeout_seconds * 1000,
                                                                   G_MAXUINT));
      g_source_set_callback (pending->timeout_source, pending_iq_timeout_cb, pending, NULL);
      g_source_set_static_name (pending->timeout_source, "[talk] IQ timeout");
      g_source_attach (pending->timeout_source, NULL);
    }

  /* A source rather than g_cancellable_connect(): completing the task from
   * inside the "cancelled" emission could not disconnect the handler. */
  if (cancellable != NULL)
    {
      pending->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (pending->cancel_source, (GSourceFunc) pending_iq_cancelled_cb,
                             pending, NULL);
      g_source_attach (pending->cancel_source, NULL);
    }

  g_hash_table_insert (self->pending_iqs, pending->id, pending);
}

static void
session_fail_pending_iqs (TalkXmppSession *self)
{
  g_autoptr(GHashTable) pending_iqs = NULL;
  GHashTableIter iter;
  PendingIq *pending;

  /* Swapped out first: a callback that runs synchronously may send again. */
  pending_iqs = g_steal_pointer (&self->pending_iqs);
  self->pending_iqs = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, pending_iq_free);

  g_hash_table_iter_init (&iter, pending_iqs);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &pending))
    {
      g_autoptr(GTask) task = g_steal_pointer (&pending->task);

      g_hash_table_iter_remove (&iter);
      if (task != NULL)
        g_task_return_new_error (task, TALK_XMPP_ERROR, TALK_XMPP_ERROR_CLOSED,
                                 _("The connection was closed"));
    }
}

/* The reply must come from where the request went (CVE-2013-6483). A
 * request without `to` is handled by the own account (RFC 6120 §10.3.3):
 * its reply has no `from`, or the own bare or full JID. */
static gboolean
session_reply_sender_matches (TalkXmppSession *self,
                              const char      *to,
                              const char      *from)
{
  const char *own_bare = talk_xmpp_jid_get_bare_string (self->jid);

  if (to == NULL)
    {
      if (from == NULL || talk_xmpp_jid_string_equal (from, own_bare))
        return TRUE;
      return self->bound_jid != NULL &&
             talk_xmpp_jid_string_equal (from, talk_xmpp_jid_to_string (self->bound_jid));
    }

  if (from == NULL)
    return talk_xmpp_jid_string_equal (to, own_bare);

  return talk_xmpp_jid_string_equal (from, to);
}

static void
session_handle_iq_reply (TalkXmppSession *self,
                         TalkXmppStanza  *reply)
{
  const char *id = talk_xmpp_stanza_get_id (reply);
  const char *from = talk_xmpp_stanza_get_from (reply);
  PendingIq *pending;
  GError *error = NULL;

  pending = id != NULL ? g_hash_table_lookup (self->pending_iqs, id) : NULL;
  if (pending == NULL)
    {
      g_debug ("Ignoring IQ reply with unknown id %s", id ? id : "(none)");
      return;
    }

  if (!session_reply_sender_matches (self, pending->to, from))
    {
      /* Escaped: the sender's text must not shape the log. */
      g_autofree char *sender = from != NULL ? g_strescape (from, NULL) : NULL;

      g_warning ("Ignoring IQ reply from %s to a request sent to %s",
                 sender ? sender : "(no sender)",
                 pending->to ? pending->to : talk_xmpp_jid_get_bare_string (self->jid));
      return;
    }

  if (g_strcmp0 (talk_xmpp_stanza_get_stanza_type (reply), "error") == 0)
    {
      TalkXmppStanzaErrorCode undefined = TALK_XMPP_STANZA_ERROR_UNDEFINED_CONDITION;

      if (!talk_xmpp_stanza_get_error (reply, &error))
        error = g_error_new_literal (TALK_XMPP_STANZA_ERROR, undefined,
                                     talk_xmpp_stanza_error_describe (undefined));
      pending_iq_complete (pending, NULL, error);
    }
  else
    {
      pending_iq_complete (pending, reply, NULL);
    }
}

/* Routing */

static void
session_reply_error (TalkXmppSession         *self,
                     TalkXmppStanza          *request,
                     TalkXmppStanzaErrorCode  condition)
{
  g_autoptr(TalkXmppStanza) reply = talk_xmpp_stanza_new_error_reply (request, condition, NULL);

  talk_xmpp_session_send (self, reply);
}

static void
session_handle_iq (TalkXmppSession *self,
                   TalkXmppStanza  *iq)
{
  const char *type = talk_xmpp_stanza_get_stanza_type (iq);
  TalkXmppStanza *payload = NULL;
  TalkXmppStanzaIter iter;

  if (g_strcmp0 (type, "result") == 0 || g_strcmp0 (type, "error") == 0)
    {
      session_handle_iq_reply (self, iq);
      return;
    }

  if (g_strcmp0 (type, "get") != 0 && g_strcmp0 (type, "set") != 0)
    {
      g_debug ("Ignoring an IQ without a valid type");
      return;
    }

  if (talk_xmpp_stanza_get_id (iq) == NULL)
    {
      g_debug ("Ignoring IQ %s without id", type);
      return;
    }

  /* RFC 6120 §8.2.3: a get or set carries exactly one payload. */
  talk_xmpp_stanza_iter_init (&iter, iq);
  if (!talk_xmpp_stanza_iter_next (&iter, &payload))
    {
      session_reply_error (self, iq, TALK_XMPP_STANZA_ERROR_BAD_REQUEST);
      return;
    }

  if (session_run_handlers (self, iq, payload))
    return;

  /* RFC 6120 §8.4: an IQ nobody understands is answered, not dropped. */
  session_reply_error (self, iq, TALK_XMPP_STANZA_ERROR_SERVICE_UNAVAILABLE);
}

static void
session_route (TalkXmppSession *self,
               TalkXmppStanza  *stanza)
{
  TalkXmppStream *stream = self->stream;

  g_signal_emit (self, signals[STANZA_RECEIVED], 0, stanza);
  if (self->stream != stream)
    return;

  if (stanza_is_client (stanza, "iq"))
    session_handle_iq (self, stanza);
  else
    session_run_handlers (self, stanza, NULL);
}

/* Keepalive (XEP-0199 §4.2, whitespace per RFC 6120 §4.6.1) */

static gint64
session_last_receive (TalkXmppSession *self)
{
  return MAX (talk_xmpp_stream_get_last_receive_time (self->stream), self->online_since);
}

static gint64
session_last_send (TalkXmppSession *self)
{
  return MAX (talk_xmpp_stream_get_last_send_time (self->stream), self->last_queued);
}

static void
session_keepalive_send_ping (TalkXmppSession *self)
{
  g_autoptr(TalkXmppStanza) iq = NULL;
  g_autofree char *id = talk_xmpp_generate_id ();

  iq = talk_xmpp_stanza_new_iq ("get", session_domain (self), id);
  talk_xmpp_stanza_add_child (iq, "ping", TALK_XMPP_NS_PING);

  session_track_iq (self, iq, NULL, 0, NULL);
  self->keepalive_ping_id = g_steal_pointer (&id);
  self->keepalive_ping_sent = g_get_monotonic_time ();
  talk_xmpp_session_send (self, iq);
}

static gboolean
session_keepalive_cb (gpointer user_data)
{
  TalkXmppSession *self = user_data;
  gint64 interval = (gint64) self->keepalive_seconds * G_USEC_PER_SEC;
  /* Timers fire on a millisecond grid: allow for the rounding. */
  gint64 now = g_get_monotonic_time () + 1000;
  gboolean pinged = FALSE;

  self->keepalive_source_id = 0;

  if (self->keepalive_ping_id != NULL &&
      now >= self->keepalive_ping_sent + (gint64) self->ping_timeout_seconds * G_USEC_PER_SEC)
    {
      if (session_last_receive (self) <= self->keepalive_ping_sent)
        {
          g_autoptr(GError) error = NULL;

          error = g_error_new (TALK_XMPP_ERROR, TALK_XMPP_ERROR_TIMEOUT,
                               _("The server did not answer for %u seconds"),
                               self->keepalive_seconds + self->ping_timeout_seconds);
          g_debug ("Keepalive ping unanswered: connection dead");
          session_lost (self, error, TRUE);
          return G_SOURCE_REMOVE;
        }

      /* Data arrived since the ping went out (a large stanza ahead of the
       * reply): the link lives. */
      g_hash_table_remove (self->pending_iqs, self->keepalive_ping_id);
      g_clear_pointer (&self->keepalive_ping_id, g_free);
      self->keepalive_ping_sent = 0;
    }

  if (self->keepalive_ping_id == NULL && now >= session_last_receive (self) + interval)
    {
      session_keepalive_send_ping (self);
      pinged = TRUE;
    }

  if (!pinged && now >= session_last_send (self) + interval)
    {
      self->last_queued = g_get_monotonic_time ();
      talk_xmpp_stream_send_raw_async (self->stream, " ", NULL, send_raw_done_cb, NULL);
    }

  session_keepalive_arm (self);
  return G_SOURCE_REMOVE;
}

/* One timer, set to the nearest deadline: no polling. */
static void
session_keepalive_arm (TalkXmppSession *self)
{
  gint64 interval = (gint64) self->keepalive_seconds * G_USEC_PER_SEC;
  gint64 next;
  gint64 delay_us;

  g_clear_handle_id (&self->keepalive_source_id, g_source_remove);

  if (self->stream == NULL || self->state != TALK_XMPP_SESSION_STATE_ONLINE ||
      self->keepalive_seconds == 0)
    return;

  next = session_last_send (self) + interval;
  if (self->keepalive_ping_id != NULL)
    next = MIN (next, self->keepalive_ping_sent +
                      (gint64) self->ping_timeout_seconds * G_USEC_PER_SEC);
  else
    next = MIN (next, session_last_receive (self) + interval);

  delay_us = MAX (0, next - g_get_monotonic_time ());
  self->keepalive_source_id = timeout_add_named ((guint) ((delay_us + 999) / 1000),
                                                 session_keepalive_cb, self, "[talk] keepalive");
}

/* Receiving */

static void session_receive_next (TalkXmppSession *self);

static void
session_recv_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  TalkXmppStream *stream = TALK_XMPP_STREAM (source);
  g_autoptr(TalkXmppSession) self = NULL;
  g_autoptr(TalkXmppStanza) stanza = NULL;
  g_autoptr(GError) error = NULL;

  stanza = talk_xmpp_stream_recv_finish (stream, result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self = g_object_ref (user_data);
  if (stream != self->stream)
    return;

  if (stanza == NULL)
    {
      g_debug ("Connection lost: %s", error->message);
      session_lost (self, error, FALSE);
      return;
    }

  session_route (self, stanza);

  if (self->stream == stream)
    session_receive_next (self);
}

static void
session_receive_next (TalkXmppSession *self)
{
  talk_xmpp_stream_recv_async (self->stream, self->recv_cancellable, session_recv_cb, self);
}

/* Going offline */

/* Detaches the stream and stops everything that belongs to it.
 * Returns: (transfer full) (nullable): the stream, for the caller to close */
static TalkXmppStream *
session_detach_stream (TalkXmppSession *self)
{
  g_cancellable_cancel (self->recv_cancellable);
  g_clear_object (&self->recv_cancellable);
  g_clear_handle_id (&self->keepalive_source_id, g_source_remove);
  g_clear_pointer (&self->keepalive_ping_id, g_free);
  self->keepalive_ping_sent = 0;
  self->online_since = 0;

  return g_steal_pointer (&self->stream);
}

/* With @abort_transport the transport is closed at once (a dead link would
 * only stall a polite close); otherwise the stream is closed cleanly. */
static void
session_close_detached (TalkXmppStream *stream,
                        gboolean        abort_transport)
{
  if (stream == NULL)
    return;

  if (abort_transport)
    {
      /* Cancelled from the start: the stream stops waiting for the peer
       * and closes the transport at once. */
      g_autoptr(GCancellable) now = g_cancellable_new ();

      g_cancellable_cancel (now);
      talk_xmpp_stream_close_async (stream, -1, now, NULL, NULL);
    }
  else
    {
      talk_xmpp_stream_close_async (stream, -1, NULL, NULL, NULL);
    }
}

static void
session_clear_connector (TalkXmppSession *self)
{
  g_cancellable_cancel (self->connect_cancellable);
  g_clear_object (&self->connect_cancellable);
  if (self->connector != NULL)
    g_clear_signal_handler (&self->step_handler_id, self->connector);
  g_clear_object (&self->connector);
}

static void
connect_waiter_free (ConnectWaiter *waiter)
{
  g_clear_pointer (&waiter->cancel_source, source_destroy_and_unref);
  g_clear_object (&waiter->task);
  g_free (waiter);
}

static void
session_complete_waiters (TalkXmppSession *self,
                          const GError    *error)
{
  g_autoptr(GPtrArray) waiters = g_steal_pointer (&self->connect_waiters);

  self->connect_waiters = g_ptr_array_new ();

  for (guint i = 0; i < waiters->len; i++)
    {
      ConnectWaiter *waiter = g_ptr_array_index (waiters, i);
      g_autoptr(GTask) task = g_steal_pointer (&waiter->task);

      connect_waiter_free (waiter);
      if (error != NULL)
        g_task_return_error (task, g_error_copy (error));
      else
        g_task_return_boolean (task, TRUE);
    }
}

static void
session_cancel_reconnect (TalkXmppSession *self)
{
  g_clear_handle_id (&self->reconnect_source_id, g_source_remove);
  session_set_reconnect_at (self, 0);
}

static gboolean
session_reconnect_cb (gpointer user_data)
{
  TalkXmppSession *self = user_data;

  self->reconnect_source_id = 0;
  session_set_reconnect_at (self, 0);
  g_debug ("Reconnecting %s", talk_xmpp_jid_get_bare_string (self->jid));
  session_start_attempt (self);
  return G_SOURCE_REMOVE;
}

static void
session_arm_reconnect (TalkXmppSession *self,
                       guint            delay_ms)
{
  g_clear_handle_id (&self->reconnect_source_id, g_source_remove);
  self->reconnect_source_id = timeout_add_named (delay_ms, session_reconnect_cb, self,
                                                 "[talk] reconnect");
  session_set_reconnect_at (self, g_get_monotonic_time () + (gint64) delay_ms * 1000);
}

static void
network_changed_cb (GNetworkMonitor *monitor,
                    gboolean         network_available,
                    gpointer         user_data)
{
  TalkXmppSession *self = user_data;
  guint delay_ms;

  /* Going away while online is for the keepalive to find out. */
  if (!network_available || self->reconnect_source_id == 0)
    return;

  delay_ms = (guint) g_random_int_range (0, NETWORK_CHANGED_MAX_DELAY_MS + 1);
  if (g_get_monotonic_time () + (gint64) delay_ms * 1000 >= self->reconnect_at)
    return;

  g_debug ("Network available: reconnecting in %u ms", delay_ms);
  session_arm_reconnect (self, delay_ms);
  g_signal_emit (self, signals[RECONNECT_SCHEDULED], 0, delay_ms);
}

static void
session_ensure_network_monitor (TalkXmppSession *self)
{
  if (self->network_monitor != NULL)
    return;

  self->network_monitor = g_object_ref (g_network_monitor_get_default ());
  self->network_changed_id = g_signal_connect (self->network_monitor, "network-changed",
                                               G_CALLBACK (network_changed_cb), self);
}

/* Common end of a failed attempt, a lost connection and a user disconnect
 * (@error NULL): state, last error, pending requests, signals, and the next
 * attempt when the failure is worth one. */
static void
session_went_offline (TalkXmppSession *self,
                      const GError    *error)
{
  /* Signal handlers below may drop the last outside reference. */
  G_GNUC_UNUSED g_autoptr(TalkXmppSession) hold = g_object_ref (self);
  gboolean was_offline = self->state == TALK_XMPP_SESSION_STATE_DISCONNECTED;
  guint delay_ms = 0;

  g_clear_error (&self->last_error);
  if (error != NULL)
    self->last_error = g_error_copy (error);

  g_clear_pointer (&self->features, talk_xmpp_stanza_unref);
  session_set_bound_jid (self, NULL);
  session_set_state (self, TALK_XMPP_SESSION_STATE_DISCONNECTED);
  session_fail_pending_iqs (self);

  if (error != NULL && self->auto_reconnect && error_is_transient (error))
    {
      delay_ms = _talk_xmpp_session_compute_backoff (self, self->n_failures);
      if (self->n_failures < G_MAXUINT)
        self->n_failures++;
      session_ensure_network_monitor (self);
      session_arm_reconnect (self, delay_ms);
    }

  if (!was_offline || error != NULL)
    g_signal_emit (self, signals[DISCONNECTED], 0, error);

  if (error != NULL)
    {
      session_complete_waiters (self, error);
    }
  else
    {
      g_autoptr(GError) cancelled = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                         _("Disconnected"));
      session_complete_waiters (self, cancelled);
    }

  /* Unless a handler of "disconnected" connected or disconnected meanwhile. */
  if (delay_ms > 0 && self->reconnect_source_id != 0)
    {
      g_debug ("Reconnecting in %u ms", delay_ms);
      g_signal_emit (self, signals[RECONNECT_SCHEDULED], 0, delay_ms);
    }
}

static void
session_lost (TalkXmppSession *self,
              const GError    *error,
              gboolean         abort_transport)
{
  g_autoptr(TalkXmppStream) stream = NULL;

  if (self->online_since != 0 && g_get_monotonic_time () - self->online_since >= STABLE_USEC)
    self->n_failures = 0;

  stream = session_detach_stream (self);
  session_close_detached (stream, abort_transport);
  session_went_offline (self, error);
}

/* Connecting */

static void
session_copy_connector_info (TalkXmppSession   *self,
                             TalkXmppConnector *connector)
{
  const char *fingerprint = talk_xmpp_connector_get_peer_fingerprint (connector);

  /* Kept after a certificate failure too: the user is shown it to decide. */
  if (fingerprint != NULL)
    session_set_string (self, &self->peer_fingerprint, fingerprint, PROP_PEER_FINGERPRINT);
  session_set_string (self, &self->tls_version,
                      talk_xmpp_connector_get_tls_version (connector), PROP_TLS_VERSION);
  session_set_sasl_mechanism (self, talk_xmpp_connector_get_sasl_mechanism (connector));
}

static void
connector_step_cb (TalkXmppConnector     *connector,
                   TalkXmppConnectorStep  step,
                   const char            *detail,
                   gpointer               user_data)
{
  TalkXmppSession *self = user_data;

  session_copy_connector_info (self, connector);

  switch (step)
    {
    case TALK_XMPP_CONNECTOR_STEP_RESOLVING:
      session_set_state (self, TALK_XMPP_SESSION_STATE_RESOLVING);
      break;
    case TALK_XMPP_CONNECTOR_STEP_CONNECTING:
      session_set_state (self, TALK_XMPP_SESSION_STATE_CONNECTING);
      break;
    case TALK_XMPP_CONNECTOR_STEP_SECURING:
      session_set_state (self, TALK_XMPP_SESSION_STATE_SECURING);
      break;
    case TALK_XMPP_CONNECTOR_STEP_AUTHENTICATING:
      session_set_state (self, TALK_XMPP_SESSION_STATE_AUTHENTICATING);
      break;
    case TALK_XMPP_CONNECTOR_STEP_BINDING:
      session_set_state (self, TALK_XMPP_SESSION_STATE_BINDING);
      break;
    case TALK_XMPP_CONNECTOR_STEP_DONE:
    default:
      break;
    }
}

static void
session_connect_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  TalkXmppConnector *connector = TALK_XMPP_CONNECTOR (source);
  g_autoptr(TalkXmppSession) self = NULL;
  g_autoptr(TalkXmppStream) stream = NULL;
  g_autoptr(GError) error = NULL;

  stream = talk_xmpp_connector_connect_finish (connector, result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self = g_object_ref (user_data);
  if (connector != self->connector)
    return;

  session_copy_connector_info (self, connector);

  if (stream == NULL)
    {
      g_debug ("Connecting %s failed: %s",
               talk_xmpp_jid_get_bare_string (self->jid), error->message);
      session_clear_connector (self);
      session_went_offline (self, error);
      return;
    }

  g_clear_pointer (&self->features, talk_xmpp_stanza_unref);
  if (talk_xmpp_connector_get_features (connector) != NULL)
    self->features = talk_xmpp_stanza_ref (talk_xmpp_connector_get_features (connector));

  /* One connector per attempt; the stream is ours now. Its operations
   * are over: nothing to cancel. */
  g_object_ref (connector);
  g_clear_object (&self->connect_cancellable);
  session_clear_connector (self);
  _talk_xmpp_session_adopt_stream (self, stream, talk_xmpp_connector_get_bound_jid (connector));
  g_object_unref (connector);

  if (self->stream == stream)
    session_complete_waiters (self, NULL);
}

static void
session_start_attempt (TalkXmppSession *self)
{
  g_return_if_fail (self->connector == NULL);
  g_return_if_fail (self->stream == NULL);

  session_cancel_reconnect (self);

  if (self->password == NULL)
    {
      g_autoptr(GError) error = g_error_new_literal (TALK_XMPP_ERROR, TALK_XMPP_ERROR_AUTH_FAILED,
                                                     _("No password was given"));

      session_went_offline (self, error);
      return;
    }

  self->connector = talk_xmpp_connector_new (self->jid, self->password);
  if (self->host != NULL || self->port != 0 || self->direct_tls)
    talk_xmpp_connector_set_host (self->connector, self->host, self->port, self->direct_tls);
  if (self->pinned_certificate != NULL)
    talk_xmpp_connector_set_pinned_certificate (self->connector, self->pinned_certificate);
  if (self->resource != NULL)
    talk_xmpp_connector_set_resource (self->connector, self->resource);
  self->step_handler_id = g_signal_connect (self->connector, "step",
                                            G_CALLBACK (connector_step_cb), self);

  self->connect_cancellable = g_cancellable_new ();
  session_set_state (self, TALK_XMPP_SESSION_STATE_RESOLVING);
  talk_xmpp_connector_connect_async (self->connector, self->connect_cancellable,
                                     session_connect_cb, self);
}

/* The caller of connect_async gave up; the attempt goes on only for others
 * still waiting on it. */
static gboolean
connect_waiter_cancelled_cb (GCancellable *cancellable,
                             gpointer      user_data)
{
  ConnectWaiter *waiter = user_data;
  TalkXmppSession *self = waiter->self;
  g_autoptr(GTask) task = g_steal_pointer (&waiter->task);

  g_ptr_array_remove (self->connect_waiters, waiter);
  connect_waiter_free (waiter);

  if (self->connect_waiters->len == 0 && self->connector != NULL)
    {
      session_clear_connector (self);
      session_went_offline (self, NULL);
    }

  g_task_return_error_if_cancelled (task);
  return G_SOURCE_REMOVE;
}

/* Public API */

TalkXmppSession *
talk_xmpp_session_new (TalkXmppJid *jid)
{
  g_return_val_if_fail (jid != NULL, NULL);

  return g_object_new (TALK_XMPP_TYPE_SESSION, "jid", jid, NULL);
}

void
talk_xmpp_session_set_password (TalkXmppSession *self,
                                const char      *password)
{
  g_return_if_fail (TALK_XMPP_IS_SESSION (self));

  g_clear_pointer (&self->password, password_wipe);
  self->password = g_strdup (password);
}

TalkXmppJid *
talk_xmpp_session_get_jid (TalkXmppSession *self)
{
  g_return_val_if_fail (TALK_XMPP_IS_SESSION (self), NULL);
  return self->jid;
}

TalkXmppSessionState
talk_xmpp_session_get_state (TalkXmppSession *self)
{
  g_return_val_if_fail (TALK_XMPP_IS_SESSION (self), TALK_XMPP_SESSION_STATE_DISCONNECTED);
  return self->state;
}

TalkXmppJid *
talk_xmpp_session_get_bound_jid (TalkXmppSession *self)
{
  g_return_val_if_fail (TALK_XMPP_IS_SESSION (self), NULL);
  return self->bound_jid;
}

TalkXmppSaslMechanism
talk_xmpp_session_get_sasl_mechanism (TalkXmppSession *self)
{
  g_return_val_if_fail (TALK_XMPP_IS_SESSION (self), TALK_XMPP_SASL_MECHANISM_NONE);
  return self->sasl_mechanism;
}

const char *
talk_xmpp_session_get_peer_fingerprint (TalkXmppSession *self)
{
  g_return_val_if_fail (TALK_XMPP_IS_SESSION (self), NULL);
  return self->peer_fingerprint;
}

const char *
talk_xmpp_session_get_tls_version (TalkXmppSession *self)
{
  g_return_val_if_fail (TALK_XMPP_IS_SESSION (self), NULL);
  return self->tls_version;
}

TalkXmppStanza *
talk_xmpp_session_get_features (TalkXmppSession *self)
{
  g_return_val_if_fail (TALK_XMPP_IS_SESSION (self), NULL);
  return self->features;
}

const GError *
talk_xmpp_session_get_last_error (TalkXmppSession *self)
{
  g_return_val_if_fail (TALK_XMPP_IS_SESSION (self), NULL);
  return self->last_error;
}

void
talk_xmpp_session_set_host (TalkXmppSession *self,
                            const char      *host,
                            guint16          port,
                            gboolean         direct_tls)
{
  g_return_if_fail (TALK_XMPP_IS_SESSION (self));

  g_object_freeze_notify (G_OBJECT (self));
  session_set_string (self, &self->host, host, PROP_HOST);
  if (self->port != port)
    {
      self->port = port;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PORT]);
    }
  direct_tls = !!direct_tls;
  if (self->direct_tls != direct_tls)
    {
      self->direct_tls = direct_tls;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DIRECT_TLS]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

void
talk_xmpp_session_set_pinned_certificate (TalkXmppSession *self,
                                          const char      *fingerprint)
{
  g_return_if_fail (TALK_XMPP_IS_SESSION (self));

  session_set_string (self, &self->pinned_certificate, fingerprint, PROP_PINNED_CERTIFICATE);
}

void
talk_xmpp_session_connect_async (TalkXmppSession     *self,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  ConnectWaiter *waiter;

  g_return_if_fail (TALK_XMPP_IS_SESSION (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, talk_xmpp_session_connect_async);

  if (g_task_return_error_if_cancelled (task))
    return;

  if (self->state == TALK_XMPP_SESSION_STATE_ONLINE)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  waiter = g_new0 (ConnectWaiter, 1);
  waiter->self = self;
  waiter->task = g_steal_pointer (&task);
  if (cancellable != NULL)
    {
      waiter->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (waiter->cancel_source, (GSourceFunc) connect_waiter_cancelled_cb,
                             waiter, NULL);
      g_source_attach (waiter->cancel_source, NULL);
    }
  g_ptr_array_add (self->connect_waiters, waiter);

  /* A user's request starts afresh: no waiting for a scheduled retry. */
  if (self->connector == NULL)
    {
      self->n_failures = 0;
      session_start_attempt (self);
    }
}

gboolean
talk_xmpp_session_connect_finish (TalkXmppSession  *self,
                                  GAsyncResult     *result,
                                  GError          **error)
{
  g_return_val_if_fail (TALK_XMPP_IS_SESSION (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == talk_xmpp_session_connect_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
session_close_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  if (!talk_xmpp_stream_close_finish (TALK_XMPP_STREAM (source), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      /* Offline either way; the transport is gone. */
      g_debug ("Closing the stream: %s", error->message);
    }

  g_task_return_boolean (task, TRUE);
}

void
talk_xmpp_session_disconnect_async (TalkXmppSession     *self,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(TalkXmppStream) stream = NULL;

  g_return_if_fail (TALK_XMPP_IS_SESSION (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, talk_xmpp_session_disconnect_async);

  session_cancel_reconnect (self);
  session_clear_connector (self);
  self->n_failures = 0;
  stream = session_detach_stream (self);

  session_went_offline (self, NULL);

  /* RFC 6120 §4.4: our closing tag goes out after whatever is queued. */
  if (stream != NULL)
    talk_xmpp_stream_close_async (stream, -1, cancellable, session_close_cb,
                                  g_steal_pointer (&task));
  else
    g_task_return_boolean (task, TRUE);
}

gboolean
talk_xmpp_session_disconnect_finish (TalkXmppSession  *self,
                                     GAsyncResult     *result,
                                     GError          **error)
{
  g_return_val_if_fail (TALK_XMPP_IS_SESSION (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == talk_xmpp_session_disconnect_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
talk_xmpp_session_reconnect_now (TalkXmppSession *self)
{
  g_return_if_fail (TALK_XMPP_IS_SESSION (self));

  if (self->reconnect_source_id == 0)
    return;

  session_start_attempt (self);
}

gboolean
talk_xmpp_session_send (TalkXmppSession *self,
                        TalkXmppStanza  *stanza)
{
  g_return_val_if_fail (TALK_XMPP_IS_SESSION (self), FALSE);
  g_return_val_if_fail (stanza != NULL, FALSE);

  if (self->stream == NULL || self->state != TALK_XMPP_SESSION_STATE_ONLINE)
    {
      g_debug ("Not sending <%s/>: not online", talk_xmpp_stanza_get_name (stanza));
      return FALSE;
    }

  self->last_queued = g_get_monotonic_time ();
  talk_xmpp_stream_send_async (self->stream, stanza, NULL, send_done_cb, NULL);
  return TRUE;
}

void
talk_xmpp_session_send_iq_async (TalkXmppSession     *self,
                                 TalkXmppStanza      *iq,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  const char *type;

  g_return_if_fail (TALK_XMPP_IS_SESSION (self));
  g_return_if_fail (iq != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, talk_xmpp_session_send_iq_async);

  type = talk_xmpp_stanza_get_stanza_type (iq);
  if (!stanza_is_client (iq, "iq") ||
      (g_strcmp0 (type, "get") != 0 && g_strcmp0 (type, "set") != 0))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               "Only IQ get and set requests get replies");
      return;
    }

  if (g_task_return_error_if_cancelled (task))
    return;

  if (self->stream == NULL || self->state != TALK_XMPP_SESSION_STATE_ONLINE)
    {
      g_task_return_new_error (task, TALK_XMPP_ERROR, TALK_XMPP_ERROR_NOT_CONNECTED,
                               _("Not connected"));
      return;
    }

  if (talk_xmpp_stanza_get_id (iq) == NULL)
    {
      g_autofree char *id = talk_xmpp_generate_id ();

      talk_xmpp_stanza_set_attribute (iq, "id", id);
    }

  if (g_hash_table_contains (self->pending_iqs, talk_xmpp_stanza_get_id (iq)))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_EXISTS,
                               "An IQ with id %s is already pending",
                               talk_xmpp_stanza_get_id (iq));
      return;
    }

  session_track_iq (self, iq, g_steal_pointer (&task), self->iq_timeout_seconds, cancellable);
  talk_xmpp_session_send (self, iq);
}

TalkXmppStanza *
talk_xmpp_session_send_iq_finish (TalkXmppSession  *self,
                                  GAsyncResult     *result,
                                  GError          **error)
{
  g_return_val_if_fail (TALK_XMPP_IS_SESSION (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == talk_xmpp_session_send_iq_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
session_ping_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(TalkXmppStanza) reply = NULL;
  GError *error = NULL;

  reply = talk_xmpp_session_send_iq_finish (TALK_XMPP_SESSION (source), result, &error);
  if (reply == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

void
talk_xmpp_session_ping_async (TalkXmppSession     *self,
                              const char          *to,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(TalkXmppStanza) iq = NULL;

  g_return_if_fail (TALK_XMPP_IS_SESSION (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, talk_xmpp_session_ping_async);

  /* XEP-0199 §4.2: client-to-server ping */
  iq = talk_xmpp_stanza_new_iq ("get", to != NULL ? to : session_domain (self), NULL);
  talk_xmpp_stanza_add_child (iq, "ping", TALK_XMPP_NS_PING);

  talk_xmpp_session_send_iq_async (self, iq, cancellable, session_ping_cb,
                                   g_steal_pointer (&task));
}

gboolean
talk_xmpp_session_ping_finish (TalkXmppSession  *self,
                               GAsyncResult     *result,
                               GError          **error)
{
  g_return_val_if_fail (TALK_XMPP_IS_SESSION (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == talk_xmpp_session_ping_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

guint
talk_xmpp_session_add_handler (TalkXmppSession       *self,
                               const char            *element,
                               const char            *ns,
                               TalkXmppStanzaHandler  handler,
                               gpointer               user_data,
                               GDestroyNotify         destroy)
{
  Handler *entry;

  g_return_val_if_fail (TALK_XMPP_IS_SESSION (self), 0);
  g_return_val_if_fail (handler != NULL, 0);

  entry = g_rc_box_new0 (Handler);
  entry->id = ++self->last_handler_id;
  entry->element = g_strdup (element);
  entry->ns = g_strdup (ns);
  entry->func = handler;
  entry->user_data = user_data;
  entry->destroy = destroy;
  g_ptr_array_add (self->handlers, entry);

  return entry->id;
}

void
talk_xmpp_session_remove_handler (TalkXmppSession *self,
                                  guint            handler_id)
{
  g_return_if_fail (TALK_XMPP_IS_SESSION (self));

  for (guint i = 0; i < self->handlers->len; i++)
    {
      Handler *entry = g_ptr_array_index (self->handlers, i);
      GDestroyNotify destroy;

      if (entry->id != handler_id)
        continue;

      /* A routing pass may still hold it: it skips removed entries. */
      entry->removed = TRUE;
      destroy = g_steal_pointer (&entry->destroy);
      if (destroy != NULL)
        destroy (entry->user_data);
      g_ptr_array_remove (self->handlers, entry);
      return;
    }

  /* Already gone with the session's dispose. */
  g_debug ("No stanza handler with id %u", handler_id);
}

gboolean
talk_xmpp_session_is_from_own_account (TalkXmppSession *self,
                                       TalkXmppStanza  *stanza)
{
  const char *from;

  g_return_val_if_fail (TALK_XMPP_IS_SESSION (self), FALSE);
  g_return_val_if_fail (stanza != NULL, FALSE);

  /* SECURITY.md §1.1: the bare JID, not the domain nor any full JID. */
  from = talk_xmpp_stanza_get_from (stanza);
  if (from == NULL)
    return TRUE;

  return talk_xmpp_jid_string_equal (from, talk_xmpp_jid_get_bare_string (self->jid));
}

/* Private API */

void
_talk_xmpp_session_adopt_stream (TalkXmppSession *self,
                                 TalkXmppStream  *stream,
                                 TalkXmppJid     *bound_jid)
{
  g_return_if_fail (TALK_XMPP_IS_SESSION (self));
  g_return_if_fail (TALK_XMPP_IS_STREAM (stream));
  g_return_if_fail (self->stream == NULL);

  session_cancel_reconnect (self);

  self->stream = g_object_ref (stream);
  self->recv_cancellable = g_cancellable_new ();
  self->online_since = g_get_monotonic_time ();
  self->last_queued = self->online_since;
  g_clear_error (&self->last_error);

  session_set_bound_jid (self, bound_jid);
  session_set_state (self, TALK_XMPP_SESSION_STATE_ONLINE);
  session_receive_next (self);
  session_keepalive_arm (self);

  g_debug ("%s online", bound_jid ? talk_xmpp_jid_to_string (bound_jid) : "Session");
  g_signal_emit (self, signals[ONLINE], 0);
}

guint
_talk_xmpp_session_compute_backoff (TalkXmppSession *self,
                                    guint            n)
{
  gdouble delay;

  g_return_val_if_fail (TALK_XMPP_IS_SESSION (self), 0);

  /* SECURITY.md §3.1: exponential with jitter, never a tight loop. */
  delay = self->backoff_base_ms;
  for (guint i = 0; i < n && delay < self->backoff_max_ms; i++)
    delay *= 2;
  delay = MIN (delay, (gdouble) self->backoff_max_ms);
  delay *= g_random_double_range (0.5, 1.0);

  return MAX (1, (guint) delay);
}

/* GObject */

static void
talk_xmpp_session_dispose (GObject *object)
{
  TalkXmppSession *self = TALK_XMPP_SESSION (object);
  g_autoptr(TalkXmppStream) stream = session_detach_stream (self);

  g_clear_handle_id (&self->reconnect_source_id, g_source_remove);
  session_clear_connector (self);
  session_close_detached (stream, FALSE);

  /* Tasks keep the session alive, so normally only the keepalive ping is
   * left here; g_object_run_dispose() may leave more. */
  if (self->pending_iqs != NULL)
    session_fail_pending_iqs (self);
  if (self->connect_waiters != NULL)
    {
      g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                     _("Operation was cancelled"));

      session_complete_waiters (self, error);
    }

  if (self->handlers != NULL)
    {
      g_autoptr(GPtrArray) handlers = g_steal_pointer (&self->handlers);

      self->handlers = g_ptr_array_new_with_free_func (handler_release);
      for (guint i = 0; i < handlers->len; i++)
        ((Handler *) g_ptr_array_index (handlers, i))->removed = TRUE;
    }

  if (self->network_monitor != NULL)
    g_clear_signal_handler (&self->network_changed_id, self->network_monitor);
  g_clear_object (&self->network_monitor);

  G_OBJECT_CLASS (talk_xmpp_session_parent_class)->dispose (object);
}

static void
talk_xmpp_session_finalize (GObject *object)
{
  TalkXmppSession *self = TALK_XMPP_SESSION (object);

  g_clear_pointer (&self->password, password_wipe);
  g_clear_pointer (&self->jid, talk_xmpp_jid_unref);
  g_clear_pointer (&self->bound_jid, talk_xmpp_jid_unref);
  g_clear_pointer (&self->features, talk_xmpp_stanza_unref);
  g_clear_error (&self->last_error);
  g_free (self->host);
  g_free (self->resource);
  g_free (self->pinned_certificate);
  g_free (self->peer_fingerprint);
  g_free (self->tls_version);
  g_clear_pointer (&self->pending_iqs, g_hash_table_unref);
  g_clear_pointer (&self->connect_waiters, g_ptr_array_unref);
  g_clear_pointer (&self->handlers, g_ptr_array_unref);

  G_OBJECT_CLASS (talk_xmpp_session_parent_class)->finalize (object);
}

static void
talk_xmpp_session_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  TalkXmppSession *self = TALK_XMPP_SESSION (object);

  switch (prop_id)
    {
    case PROP_JID:
      g_value_set_boxed (value, self->jid);
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_BOUND_JID:
      g_value_set_boxed (value, self->bound_jid);
      break;
    case PROP_SASL_MECHANISM:
      g_value_set_string (value, self->sasl_mechanism == TALK_XMPP_SASL_MECHANISM_NONE ? NULL :
                          talk_xmpp_sasl_mechanism_to_string (self->sasl_mechanism));
      break;
    case PROP_PEER_FINGERPRINT:
      g_value_set_string (value, self->peer_fingerprint);
      break;
    case PROP_TLS_VERSION:
      g_value_set_string (value, self->tls_version);
      break;
    case PROP_HOST:
      g_value_set_string (value, self->host);
      break;
    case PROP_PORT:
      g_value_set_uint (value, self->port);
      break;
    case PROP_DIRECT_TLS:
      g_value_set_boolean (value, self->direct_tls);
      break;
    case PROP_RESOURCE:
      g_value_set_string (value, self->resource);
      break;
    case PROP_PINNED_CERTIFICATE:
      g_value_set_string (value, self->pinned_certificate);
      break;
    case PROP_AUTO_RECONNECT:
      g_value_set_boolean (value, self->auto_reconnect);
      break;
    case PROP_BACKOFF_BASE_MS:
      g_value_set_uint (value, self->backoff_base_ms);
      break;
    case PROP_BACKOFF_MAX_MS:
      g_value_set_uint (value, self->backoff_max_ms);
      break;
    case PROP_KEEPALIVE_SECONDS:
      g_value_set_uint (value, self->keepalive_seconds);
      break;
    case PROP_PING_TIMEOUT_SECONDS:
      g_value_set_uint (value, self->ping_timeout_seconds);
      break;
    case PROP_IQ_TIMEOUT_SECONDS:
      g_value_set_uint (value, self->iq_timeout_seconds);
      break;
    case PROP_RECONNECT_AT:
      g_value_set_int64 (value, self->reconnect_at);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
talk_xmpp_session_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  TalkXmppSession *self = TALK_XMPP_SESSION (object);

  switch (prop_id)
    {
    case PROP_JID:
      self->jid = g_value_dup_boxed (value);
      break;
    case PROP_HOST:
      talk_xmpp_session_set_host (self, g_value_get_string (value), self->port, self->direct_tls);
      break;
    case PROP_PORT:
      talk_xmpp_session_set_host (self, self->host, (guint16) g_value_get_uint (value),
                                  self->direct_tls);
      break;
    case PROP_DIRECT_TLS:
      talk_xmpp_session_set_host (self, self->host, self->port, g_value_get_boolean (value));
      break;
    case PROP_RESOURCE:
      session_set_string (self, &self->resource, g_value_get_string (value), PROP_RESOURCE);
      break;
    case PROP_PINNED_CERTIFICATE:
      talk_xmpp_session_set_pinned_certificate (self, g_value_get_string (value));
      break;
    case PROP_AUTO_RECONNECT:
      if (self->auto_reconnect != g_value_get_boolean (value))
        {
          self->auto_reconnect = g_value_get_boolean (value);
          if (!self->auto_reconnect)
            session_cancel_reconnect (self);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_BACKOFF_BASE_MS:
      session_set_uint (self, &self->backoff_base_ms, g_value_get_uint (value), prop_id);
      break;
    case PROP_BACKOFF_MAX_MS:
      session_set_uint (self, &self->backoff_max_ms, g_value_get_uint (value), prop_id);
      break;
    case PROP_KEEPALIVE_SECONDS:
      session_set_uint (self, &self->keepalive_seconds, g_value_get_uint (value), prop_id);
      session_keepalive_arm (self);
      break;
    case PROP_PING_TIMEOUT_SECONDS:
      session_set_uint (self, &self->ping_timeout_seconds, g_value_get_uint (value), prop_id);
      session_keepalive_arm (self);
      break;
    case PROP_IQ_TIMEOUT_SECONDS:
      session_set_uint (self, &self->iq_timeout_seconds, g_value_get_uint (value), prop_id);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
talk_xmpp_session_class_init (TalkXmppSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = talk_xmpp_session_dispose;
  object_class->finalize = talk_xmpp_session_finalize;
  object_class->get_property = talk_xmpp_session_get_property;
  object_class->set_property = talk_xmpp_session_set_property;

  properties[PROP_JID] =
    g_param_spec_boxed ("jid", NULL, NULL, TALK_XMPP_TYPE_JID,
                        G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, talk_xmpp_session_state_get_type (),
                       TALK_XMPP_SESSION_STATE_DISCONNECTED, ro);
  properties[PROP_BOUND_JID] =
    g_param_spec_boxed ("bound-jid", NULL, NULL, TALK_XMPP_TYPE_JID, ro);
  properties[PROP_SASL_MECHANISM] =
    g_param_spec_string ("sasl-mechanism", NULL, NULL, NULL, ro);
  properties[PROP_PEER_FINGERPRINT] =
    g_param_spec_string ("peer-fingerprint", NULL, NULL, NULL, ro);
  properties[PROP_TLS_VERSION] =
    g_param_spec_string ("tls-version", NULL, NULL, NULL, ro);
  properties[PROP_HOST] =
    g_param_spec_string ("host", NULL, NULL, NULL, rw);
  properties[PROP_PORT] =
    g_param_spec_uint ("port", NULL, NULL, 0, G_MAXUINT16, 0, rw);
  properties[PROP_DIRECT_TLS] =
    g_param_spec_boolean ("direct-tls", NULL, NULL, FALSE, rw);
  properties[PROP_RESOURCE] =
    g_param_spec_string ("resource", NULL, NULL, NULL, rw);
  properties[PROP_PINNED_CERTIFICATE] =
    g_param_spec_string ("pinned-certificate", NULL, NULL, NULL, rw);
  properties[PROP_AUTO_RECONNECT] =
    g_param_spec_boolean ("auto-reconnect", NULL, NULL, TRUE, rw);
  properties[PROP_BACKOFF_BASE_MS] =
    g_param_spec_uint ("backoff-base-ms", NULL, NULL, 1, G_MAXUINT, 1000, rw);
  properties[PROP_BACKOFF_MAX_MS] =
    g_param_spec_uint ("backoff-max-ms", NULL, NULL, 1, G_MAXUINT, 300000, rw);
  properties[PROP_KEEPALIVE_SECONDS] =
    g_param_spec_uint ("keepalive-seconds", NULL, NULL, 0, G_MAXUINT / 2, 60, rw);
  properties[PROP_PING_TIMEOUT_SECONDS] =
    g_param_spec_uint ("ping-timeout-seconds", NULL, NULL, 1, G_MAXUINT / 2, 30, rw);
  properties[PROP_IQ_TIMEOUT_SECONDS] =
    g_param_spec_uint ("iq-timeout-seconds", NULL, NULL, 0, G_MAXUINT / 2, 60, rw);
  properties[PROP_RECONNECT_AT] =
    g_param_spec_int64 ("reconnect-at", NULL, NULL, 0, G_MAXINT64, 0, ro);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[STANZA_RECEIVED] =
    g_signal_new ("stanza-received", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                  TALK_XMPP_TYPE_STANZA | G_SIGNAL_TYPE_STATIC_SCOPE);
  signals[ONLINE] =
    g_signal_new ("online", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[DISCONNECTED] =
    g_signal_new ("disconnected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                  G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE);
  signals[RECONNECT_SCHEDULED] =
    g_signal_new ("reconnect-scheduled", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
}

static void
talk_xmpp_session_init (TalkXmppSession *self)
{
  self->auto_reconnect = TRUE;
  self->backoff_base_ms = 1000;
  self->backoff_max_ms = 300000;
  self->keepalive_seconds = 60;
  self->ping_timeout_seconds = 30;
  self->iq_timeout_seconds = 60;
  self->handlers = g_ptr_array_new_with_free_func (handler_release);
  self->connect_waiters = g_ptr_array_new ();
  self->pending_iqs = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, pending_iq_free);
}
