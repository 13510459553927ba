/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * TalkXmppConnector: the last steps once signed in.
 *
 *   features ─► bind IQ (RFC 6120 §7) ─► bound JID is this account's?
 *     ─► [session IQ (RFC 3921 §3), unless the server says it is optional]
 *     ─► done: the stream is the caller's
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "talk-xmpp-connector-private.h"

/* A new IQ set, its id kept to know the reply. */
static TalkXmppStanza *
new_iq_set (TalkXmppConnector *self)
{
  g_free (self->iq_id);
  self->iq_id = talk_xmpp_generate_id ();
  return talk_xmpp_stanza_new_iq ("set", NULL, self->iq_id);
}

/* Whether @stanza answers the IQ set in flight. Anything else is skipped
 * and the next element awaited in @callback. */
static gboolean
is_reply (GTask               *task,
          TalkXmppStanza      *stanza,
          const char          *awaited,
          GAsyncReadyCallback  callback)
{
  TalkXmppConnector *self = g_task_get_source_object (task);

  if (talk_xmpp_stanza_is (stanza, "iq", TALK_XMPP_NS_CLIENT) &&
      g_strcmp0 (talk_xmpp_stanza_get_id (stanza), self->iq_id) == 0)
    return TRUE;

  g_debug ("Ignoring <%s/> while waiting for %s", talk_xmpp_stanza_get_name (stanza), awaited);
  _talk_xmpp_connector_receive (task, NULL, callback);
  return FALSE;
}

/* The legacy session (RFC 3921 §3) */

static void
session_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(TalkXmppStanza) stanza = NULL;
  g_autoptr(GError) iq_error = NULL;

  stanza = _talk_xmpp_connector_receive_finish (task, object, result);
  if (stanza == NULL || !is_reply (task, stanza, "the session", session_cb))
    return;

  if (talk_xmpp_stanza_get_error (stanza, &iq_error))
    {
      _talk_xmpp_connector_fail (task, TALK_XMPP_ERROR_BIND_FAILED,
                                 _("The server refused to start the session: %s"),
                                 iq_error->message);
      return;
    }

  _talk_xmpp_connector_done (task);
}

static void
start_session (GTask *task)
{
  TalkXmppConnector *self = g_task_get_source_object (task);
  g_autoptr(TalkXmppStanza) iq = new_iq_set (self);

  talk_xmpp_stanza_add_child (iq, "session", TALK_XMPP_NS_SESSION);
  _talk_xmpp_connector_send (self, iq);

  _talk_xmpp_connector_receive (task, _("starting the session"), session_cb);
}

static gboolean
needs_session (TalkXmppStanza *features)
{
  TalkXmppStanza *session = talk_xmpp_stanza_get_child (features, "session", TALK_XMPP_NS_SESSION);

  /* draft-cridland-xmpp-session-01: <optional/> means skip it. */
  return session != NULL && talk_xmpp_stanza_get_child (session, "optional", NULL) == NULL;
}

/* Binding (RFC 6120 §7) */

static gboolean
check_bound_jid (TalkXmppConnector  *self,
                 TalkXmppStanza     *result,
                 GError            **error)
{
  TalkXmppStanza *bind = talk_xmpp_stanza_get_child (result, "bind", TALK_XMPP_NS_BIND);
  g_autofree char *text = NULL;
  g_autoptr(TalkXmppJid) jid = NULL;

  if (bind != NULL)
    text = talk_xmpp_stanza_dup_child_text (bind, "jid", TALK_XMPP_NS_BIND);
  if (text != NULL)
    jid = talk_xmpp_jid_new (g_strstrip (text), NULL);

  /* The server may pick the resource, never the account. */
  if (jid == NULL ||
      talk_xmpp_jid_get_resourcepart (jid) == NULL ||
      !talk_xmpp_jid_equal_bare (jid, self->jid))
    {
      g_set_error_literal (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_BIND_FAILED,
                           _("The server bound the session to an address that is not "
                             "this account"));
      return FALSE;
    }

  g_clear_pointer (&self->bound_jid, talk_xmpp_jid_unref);
  self->bound_jid = g_steal_pointer (&jid);
  return TRUE;
}

static void
bind_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TalkXmppConnector *self = g_task_get_source_object (task);
  g_autoptr(TalkXmppStanza) stanza = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) iq_error = NULL;

  stanza = _talk_xmpp_connector_receive_finish (task, object, result);
  if (stanza == NULL || !is_reply (task, stanza, "the bind result", bind_cb))
    return;

  if (talk_xmpp_stanza_get_error (stanza, &iq_error))
    {
      _talk_xmpp_connector_fail (task, TALK_XMPP_ERROR_BIND_FAILED,
                                 _("The server refused the resource: %s"), iq_error->message);
      return;
    }

  if (g_strcmp0 (talk_xmpp_stanza_get_stanza_type (stanza), "result") != 0 ||
      !check_bound_jid (self, stanza, &error))
    {
      if (error == NULL)
        error = g_error_new_literal (TALK_XMPP_ERROR, TALK_XMPP_ERROR_BIND_FAILED,
                                     _("The server did not bind a resource"));
      _talk_xmpp_connector_fail_error (task, g_steal_pointer (&error));
      return;
    }

  if (needs_session (self->features))
    start_session (task);
  else
    _talk_xmpp_connector_done (task);
}

void
_talk_xmpp_connector_start_bind (GTask          *task,
                                 TalkXmppStanza *features)
{
  TalkXmppConnector *self = g_task_get_source_object (task);
  g_autoptr(TalkXmppStanza) iq = NULL;
  TalkXmppStanza *bind;

  g_clear_pointer (&self->features, talk_xmpp_stanza_unref);
  self->features = talk_xmpp_stanza_ref (features);

  if (talk_xmpp_stanza_get_child (features, "bind", TALK_XMPP_NS_BIND) == NULL)
    {
      _talk_xmpp_connector_fail_literal (task, TALK_XMPP_ERROR_BIND_FAILED,
                                         _("The server does not offer to bind a resource"));
      return;
    }

  _talk_xmpp_connector_emit_step (self, TALK_XMPP_CONNECTOR_STEP_BINDING, self->resource);

  iq = new_iq_set (self);
  bind = talk_xmpp_stanza_add_child (iq, "bind", TALK_XMPP_NS_BIND);
  if (self->resource != NULL)
    talk_xmpp_stanza_add_child_with_text (bind, "resource", NULL, self->resource);
  _talk_xmpp_connector_send (self, iq);

  _talk_xmpp_connector_receive (task, _("binding a resource"), bind_cb);
}
