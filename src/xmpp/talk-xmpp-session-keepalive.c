/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * TalkXmppSession: staying online (XEP-0199 §4.2, RFC 6120 §4.6.1).
 *
 * One timer, re-armed to the nearest deadline: a whitespace keepalive when
 * nothing was sent for keepalive-seconds, an XEP-0199 ping to the server
 * when nothing was received; a ping unanswered for ping-timeout-seconds,
 * with nothing else received meanwhile, means the connection is dead.
 * With stream management an <r/> (XEP-0198 §4) goes along with either.
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "talk-xmpp-session-private.h"

static void
send_raw_done_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!talk_xmpp_stream_send_raw_finish (TALK_XMPP_STREAM (source), result, &error))
    g_debug ("Sending a keepalive failed: %s", error->message);
}

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

void
_talk_xmpp_session_keepalive_ping_done (TalkXmppSession *self)
{
  g_clear_pointer (&self->keepalive_ping_id, g_free);
  self->keepalive_ping_sent = 0;
  _talk_xmpp_session_keepalive_arm (self);
}

static void
session_keepalive_send_ping (TalkXmppSession *self)
{
  g_autoptr(TalkXmppStanza) iq = NULL;
  g_autofree char *id = talk_xmpp_generate_id ();

  iq = talk_xmpp_stanza_new_iq ("get", talk_xmpp_jid_get_domainpart (self->jid), id);
  talk_xmpp_stanza_add_child (iq, "ping", TALK_XMPP_NS_PING);

  _talk_xmpp_session_track_iq (self, iq, NULL, 0, NULL);
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
          _talk_xmpp_session_lost (self, error, TRUE);
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

  if (pinged || now >= session_last_send (self) + interval)
    {
      /* XEP-0198 §4: with stream management an <r/> goes out too; it keeps
       * the stream alive instead of the whitespace, and asks the server
       * which stanzas it handled. */
      gboolean requested = _talk_xmpp_session_sm_request_ack (self);

      if (!pinged && !requested)
        {
          self->last_queued = g_get_monotonic_time ();
          talk_xmpp_stream_send_raw_async (self->stream, " ", NULL, send_raw_done_cb, NULL);
        }
    }

  _talk_xmpp_session_keepalive_arm (self);
  return G_SOURCE_REMOVE;
}

/* One timer, set to the nearest deadline: no polling. */
void
_talk_xmpp_session_keepalive_arm (TalkXmppSession *self)
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
  self->keepalive_source_id =
    _talk_xmpp_session_timeout_add_named ((guint) ((delay_us + 999) / 1000),
                                          session_keepalive_cb, self, "[talk] keepalive");
}
