/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * TalkXmppSession: reconnecting (SECURITY.md §3.1).
 *
 *   went offline ─► transient? ─► backoff delay ─► timer ─► next attempt
 *                                  network back ─► sooner (≤ 1 s)
 *
 * Only failures worth a retry are retried: a fatal one needs the user.
 */

#include "config.h"

#include "talk-xmpp-session-private.h"

/* SECURITY.md §3.1: a small random delay after the network comes back, so
 * that every client behind the same access point does not connect at once. */
#define NETWORK_CHANGED_MAX_DELAY_MS 1000

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

void
_talk_xmpp_session_cancel_reconnect (TalkXmppSession *self)
{
  g_clear_handle_id (&self->reconnect_source_id, g_source_remove);
  _talk_xmpp_session_set_reconnect_at (self, 0);
}

static gboolean
session_reconnect_cb (gpointer user_data)
{
  TalkXmppSession *self = user_data;

  self->reconnect_source_id = 0;
  _talk_xmpp_session_set_reconnect_at (self, 0);
  g_debug ("Reconnecting %s", talk_xmpp_jid_get_bare_string (self->jid));
  _talk_xmpp_session_start_attempt (self);
  return G_SOURCE_REMOVE;
}

static void
session_arm_reconnect (TalkXmppSession *self,
                       guint            delay_ms)
{
  g_clear_handle_id (&self->reconnect_source_id, g_source_remove);
  self->reconnect_source_id = _talk_xmpp_session_timeout_add_named (delay_ms, session_reconnect_cb,
                                                                    self, "[talk] reconnect");
  _talk_xmpp_session_set_reconnect_at (self, g_get_monotonic_time () + (gint64) delay_ms * 1000);
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
  _talk_xmpp_session_emit_reconnect_scheduled (self, delay_ms);
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

/* After @error (nullable: a user disconnect) arms the next attempt when the
 * failure is worth one. Returns: its delay in ms, or 0 for none. */
guint
_talk_xmpp_session_schedule_retry (TalkXmppSession *self,
                                   const GError    *error)
{
  guint delay_ms;

  if (error == NULL || !self->auto_reconnect || !error_is_transient (error))
    return 0;

  delay_ms = _talk_xmpp_session_compute_backoff (self, self->n_failures);
  if (self->n_failures < G_MAXUINT)
    self->n_failures++;
  session_ensure_network_monitor (self);
  session_arm_reconnect (self, delay_ms);
  return delay_ms;
}

void
_talk_xmpp_session_stop_network_monitor (TalkXmppSession *self)
{
  if (self->network_monitor != NULL)
    g_clear_signal_handler (&self->network_changed_id, self->network_monitor);
  g_clear_object (&self->network_monitor);
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

/* Public API */

void
talk_xmpp_session_reconnect_now (TalkXmppSession *self)
{
  g_return_if_fail (TALK_XMPP_IS_SESSION (self));

  if (self->reconnect_source_id == 0)
    return;

  _talk_xmpp_session_start_attempt (self);
}
