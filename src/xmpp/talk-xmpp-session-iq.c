/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * TalkXmppSession: the IQ tracker (RFC 6120 §8.2.3).
 *
 *   send_iq_async ─► track (by id, with the addressee) ─► send
 *   recv: result/error ─► _handle_iq_reply ─► sender matches? ─► complete
 *   timeout │ cancellable │ connection gone ─────────────────────► complete
 *
 * A reply counts only from where the request went (CVE-2013-6483). The
 * keepalive ping (talk-xmpp-session-keepalive.c) is tracked without a task.
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "talk-xmpp-session-private.h"

typedef struct
{
  TalkXmppSession *self;
  char            *id;
  char            *to;
  GTask           *task;           /* NULL for the keepalive ping */
  GSource         *timeout_source;
  GSource         *cancel_source;
} PendingIq;

static void
pending_iq_free (gpointer data)
{
  PendingIq *pending = data;

  g_clear_pointer (&pending->timeout_source, _talk_xmpp_session_clear_source);
  g_clear_pointer (&pending->cancel_source, _talk_xmpp_session_clear_source);
  g_clear_object (&pending->task);
  g_free (pending->id);
  g_free (pending->to);
  g_free (pending);
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
        _talk_xmpp_session_keepalive_ping_done (self);
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

void
_talk_xmpp_session_iq_init (TalkXmppSession *self)
{
  self->pending_iqs = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, pending_iq_free);
}

void
_talk_xmpp_session_track_iq (TalkXmppSession *self,
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

void
_talk_xmpp_session_fail_pending_iqs (TalkXmppSession *self)
{
  g_autoptr(GHashTable) pending_iqs = NULL;
  GHashTableIter iter;
  PendingIq *pending;

  /* Swapped out first: a callback that runs synchronously may send again. */
  pending_iqs = g_steal_pointer (&self->pending_iqs);
  _talk_xmpp_session_iq_init (self);

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

void
_talk_xmpp_session_handle_iq_reply (TalkXmppSession *self,
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

/* Public API */

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
  if (!_talk_xmpp_session_stanza_is_client (iq, "iq") ||
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

  _talk_xmpp_session_track_iq (self, iq, g_steal_pointer (&task), self->iq_timeout_seconds,
                               cancellable);
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
  if (to == NULL)
    to = talk_xmpp_jid_get_domainpart (self->jid);
  iq = talk_xmpp_stanza_new_iq ("get", to, NULL);
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
