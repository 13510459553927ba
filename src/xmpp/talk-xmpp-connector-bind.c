/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * TalkXmppConnector: the last steps once signed in.
 *
 *   features ─► [asked to resume and <sm/> offered: <resume/> (XEP-0198 §5)
 *                 ─► <resumed/>: done, the old session goes on
 *                 ─► <failed/>: on to binding]
 *     ─► bind IQ (RFC 6120 §7) ─► bound JID is this account's?
 *     ─► [session IQ (RFC 3921 §3), unless the server says it is optional]
 *     ─► done: the stream is the caller's
 *
 * Resumption comes after SASL only: the session resumed is one that this
 * account authenticated, never on trust of the previd alone.
 */

#include "config.h"

#include <glib/gi18n-lib.h>

#include "talk-xmpp-connector-private.h"

/* What talk_xmpp_connector_set_resume() asked for, and the answer. It lives
 * with the step that uses it, as object data freed with the connector. */
typedef struct
{
  char           *previd;
  guint32         h;
  TalkXmppJid    *bound_jid;
  TalkXmppStanza *answer;
} ResumeRequest;

static GQuark
resume_request_quark (void)
{
  return g_quark_from_static_string ("talk-xmpp-connector-resume");
}

static void
resume_request_free (gpointer data)
{
  ResumeRequest *request = data;

  g_free (request->previd);
  g_clear_pointer (&request->bound_jid, talk_xmpp_jid_unref);
  g_clear_pointer (&request->answer, talk_xmpp_stanza_unref);
  g_free (request);
}

static ResumeRequest *
resume_request_lookup (TalkXmppConnector *self)
{
  return g_object_get_qdata (G_OBJECT (self), resume_request_quark ());
}

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

static void
start_bind_iq (GTask *task)
{
  TalkXmppConnector *self = g_task_get_source_object (task);
  g_autoptr(TalkXmppStanza) iq = NULL;
  TalkXmppStanza *bind;

  if (talk_xmpp_stanza_get_child (self->features, "bind", TALK_XMPP_NS_BIND) == NULL)
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

/* Resumption (XEP-0198 §5) */

static void
resume_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TalkXmppConnector *self = g_task_get_source_object (task);
  ResumeRequest *request = resume_request_lookup (self);
  g_autoptr(TalkXmppStanza) stanza = NULL;
  const char *previd;

  stanza = _talk_xmpp_connector_receive_finish (task, object, result);
  if (stanza == NULL)
    return;

  previd = talk_xmpp_stanza_get_attribute (stanza, "previd");

  if (talk_xmpp_stanza_is (stanza, "resumed", TALK_XMPP_NS_SM) &&
      (previd == NULL || g_strcmp0 (previd, request->previd) == 0))
    {
      /* The old session goes on, bound as it was: no new resource. */
      request->answer = g_steal_pointer (&stanza);
      g_clear_pointer (&self->bound_jid, talk_xmpp_jid_unref);
      self->bound_jid = talk_xmpp_jid_ref (request->bound_jid);
      _talk_xmpp_connector_done (task);
      return;
    }

  if (talk_xmpp_stanza_is (stanza, "failed", TALK_XMPP_NS_SM))
    {
      g_debug ("The server could not resume the session; binding a new one");
      request->answer = g_steal_pointer (&stanza);
      start_bind_iq (task);
      return;
    }

  _talk_xmpp_connector_unexpected (task, stanza, "<resumed/> or <failed/>");
}

static void
start_resume (GTask         *task,
              ResumeRequest *request)
{
  TalkXmppConnector *self = g_task_get_source_object (task);
  g_autoptr(TalkXmppStanza) resume = talk_xmpp_stanza_new ("resume", TALK_XMPP_NS_SM);
  g_autofree char *h = g_strdup_printf ("%" G_GUINT32_FORMAT, request->h);

  _talk_xmpp_connector_emit_step (self, TALK_XMPP_CONNECTOR_STEP_BINDING, NULL);

  talk_xmpp_stanza_set_attribute (resume, "previd", request->previd);
  talk_xmpp_stanza_set_attribute (resume, "h", h);
  _talk_xmpp_connector_send (self, resume);

  _talk_xmpp_connector_receive (task, _("resuming the session"), resume_cb);
}

void
_talk_xmpp_connector_start_bind (GTask          *task,
                                 TalkXmppStanza *features)
{
  TalkXmppConnector *self = g_task_get_source_object (task);
  ResumeRequest *request = resume_request_lookup (self);

  g_clear_pointer (&self->features, talk_xmpp_stanza_unref);
  self->features = talk_xmpp_stanza_ref (features);

  /* XEP-0198 §5: <resume/> takes the place of binding. Without <sm/> on
   * offer the server cannot resume anything: bind, and the caller sees no
   * answer. */
  if (request != NULL && request->answer == NULL &&
      talk_xmpp_stanza_get_child (features, "sm", TALK_XMPP_NS_SM) != NULL)
    start_resume (task, request);
  else
    start_bind_iq (task);
}

/* Public API */

void
talk_xmpp_connector_set_resume (TalkXmppConnector *self,
                                const char        *previd,
                                guint32            h,
                                TalkXmppJid       *bound_jid)
{
  ResumeRequest *request;

  g_return_if_fail (TALK_XMPP_IS_CONNECTOR (self));
  g_return_if_fail (!self->started);
  g_return_if_fail (previd != NULL && previd[0] != '\0');
  g_return_if_fail (bound_jid != NULL);
  /* Only this account's own session, which SASL will have proven. */
  g_return_if_fail (talk_xmpp_jid_equal_bare (bound_jid, self->jid));

  request = g_new0 (ResumeRequest, 1);
  request->previd = g_strdup (previd);
  request->h = h;
  request->bound_jid = talk_xmpp_jid_ref (bound_jid);
  g_object_set_qdata_full (G_OBJECT (self), resume_request_quark (), request,
                           resume_request_free);
}

TalkXmppStanza *
talk_xmpp_connector_get_resume_answer (TalkXmppConnector *self)
{
  ResumeRequest *request;

  g_return_val_if_fail (TALK_XMPP_IS_CONNECTOR (self), NULL);

  request = resume_request_lookup (self);
  return request != NULL ? request->answer : NULL;
}
