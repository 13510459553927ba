/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Message carbons (XEP-0280).
 *
 *   "online" (auto-enable) ──► <iq type='set'><enable/></iq> ──► "enabled"
 *   "disconnected"         ──► not enabled (a new stream starts without)
 *
 *   <message><received|sent xmlns='urn:xmpp:carbons:2'>
 *              <forwarded xmlns='urn:xmpp:forward:0'><message/></forwarded>
 *     type='groupchat'?                 ─ yes ──► dropped (converse.js#1704)
 *     outer from = none or own bare JID? ─ no ──► dropped (XEP-0280 §11)
 *     exactly one wrapper, one message?  ─ no ──► dropped
 *     inner message ours to have?        ─ no ──► dropped
 *     ──► "carbon-received" / "carbon-sent" (inner message)
 */

#include "config.h"

#include "talk-xmpp-carbons.h"

struct _TalkXmppCarbons
{
  GObject parent_instance;

  TalkXmppSession *session;
  guint handler_id;
  gulong online_id;
  gulong disconnected_id;
  GCancellable *auto_cancellable;
  gboolean enabled;
  gboolean auto_enable;
};

G_DEFINE_FINAL_TYPE (TalkXmppCarbons, talk_xmpp_carbons, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_SESSION,
  PROP_ENABLED,
  PROP_AUTO_ENABLE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  CARBON_RECEIVED,
  CARBON_SENT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
carbons_set_enabled (TalkXmppCarbons *self,
                     gboolean         enabled)
{
  enabled = !!enabled;
  if (self->enabled == enabled)
    return;

  self->enabled = enabled;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ENABLED]);
}

/* Incoming copies */

/* For the log: the sender's text must not shape it. */
static char *
dup_printable_from (TalkXmppStanza *stanza)
{
  const char *from = talk_xmpp_stanza_get_from (stanza);

  return from != NULL ? g_strescape (from, NULL) : g_strdup ("(no sender)");
}

/* The one <received/> or <sent/>, or NULL when there are several. */
static TalkXmppStanza *
carbons_get_wrapper (TalkXmppStanza *message)
{
  TalkXmppStanza *wrapper = NULL;
  TalkXmppStanzaIter iter;
  TalkXmppStanza *child;

  talk_xmpp_stanza_iter_init (&iter, message);
  while (talk_xmpp_stanza_iter_next (&iter, &child))
    {
      if (!talk_xmpp_stanza_is (child, "received", TALK_XMPP_NS_CARBONS) &&
          !talk_xmpp_stanza_is (child, "sent", TALK_XMPP_NS_CARBONS))
        continue;
      if (wrapper != NULL)
        return NULL;
      wrapper = child;
    }

  return wrapper;
}

/* A sent copy is a message from this account, a received copy one to it;
 * anything else was not the server's to copy. An absent address is the
 * account's own. */
static gboolean
carbons_address_is_own (TalkXmppCarbons *self,
                        const char      *address)
{
  g_autoptr(TalkXmppJid) jid = NULL;

  if (address == NULL)
    return TRUE;

  jid = talk_xmpp_jid_new (address, NULL);
  return jid != NULL && talk_xmpp_jid_equal_bare (jid, talk_xmpp_session_get_jid (self->session));
}

static gboolean
carbons_handle_cb (TalkXmppSession *session,
                   TalkXmppStanza  *stanza,
                   gpointer         user_data)
{
  TalkXmppCarbons *self = TALK_XMPP_CARBONS (user_data);
  g_autoptr(TalkXmppCarbons) hold = NULL;
  g_autoptr(TalkXmppMessageInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *sender = NULL;
  TalkXmppStanza *wrapper;
  TalkXmppStanza *forwarded;
  const char *own_bare;
  gboolean sent;

  /* <private/> and the like on an ordinary message are not copies. */
  if (talk_xmpp_stanza_get_child (stanza, "received", TALK_XMPP_NS_CARBONS) == NULL &&
      talk_xmpp_stanza_get_child (stanza, "sent", TALK_XMPP_NS_CARBONS) == NULL)
    return FALSE;

  /* converse.js#1704: a room occupant wrapping a "copy" of anything. */
  if (g_strcmp0 (talk_xmpp_stanza_get_stanza_type (stanza), "groupchat") == 0)
    {
      sender = dup_printable_from (stanza);
      g_warning ("Dropping a carbon copy inside a groupchat message from %s", sender);
      return TRUE;
    }

  /* XEP-0280 §11, SECURITY.md §1.1 (CVE-2017-5589, CVE-2019-16235): the
   * wrapping message must come from the own account. */
  if (!talk_xmpp_session_is_from_own_account (session, stanza))
    {
      sender = dup_printable_from (stanza);
      g_warning ("Dropping a carbon copy from %s: not the own account", sender);
      return TRUE;
    }

  wrapper = carbons_get_wrapper (stanza);
  forwarded = wrapper != NULL
              ? talk_xmpp_stanza_get_child (wrapper, "forwarded", TALK_XMPP_NS_FORWARD)
              : NULL;
  if (forwarded == NULL)
    {
      g_debug ("Dropping a carbon copy without exactly one forwarded message");
      return TRUE;
    }

  own_bare = talk_xmpp_jid_get_bare_string (talk_xmpp_session_get_jid (session));
  info = talk_xmpp_message_info_parse_forwarded (forwarded, own_bare, NULL, &error);
  if (info == NULL)
    {
      g_debug ("Dropping a carbon copy: %s", error->message);
      return TRUE;
    }

  sent = g_strcmp0 (talk_xmpp_stanza_get_name (wrapper), "sent") == 0;
  if (!carbons_address_is_own (self, sent ? talk_xmpp_message_info_get_from (info)
                                          : talk_xmpp_message_info_get_to (info)))
    {
      g_warning ("Dropping a %s carbon copy of a message %s another account",
                 sent ? "sent" : "received", sent ? "from" : "to");
      return TRUE;
    }

  /* A handler may drop the last other reference. */
  hold = g_object_ref (self);
  g_signal_emit (self, signals[sent ? CARBON_SENT : CARBON_RECEIVED], 0, info);
  return TRUE;
}

/* Enabling and disabling (XEP-0280 §4, §5) */

static TalkXmppStanza *
carbons_new_request (const char *name)
{
  TalkXmppStanza *iq = talk_xmpp_stanza_new_iq ("set", NULL, NULL);

  talk_xmpp_stanza_add_child (iq, name, TALK_XMPP_NS_CARBONS);
  return iq;
}

static void
carbons_auto_enable_cb (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(TalkXmppStanza) reply = NULL;
  g_autoptr(GError) error = NULL;
  TalkXmppCarbons *self;

  reply = talk_xmpp_session_send_iq_finish (TALK_XMPP_SESSION (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self = TALK_XMPP_CARBONS (user_data);
  if (reply == NULL)
    {
      /* A server without carbons: a normal thing, not a fault. */
      g_debug ("Carbons not enabled: %s", error->message);
      return;
    }

  carbons_set_enabled (self, TRUE);
}

static void
carbons_online_cb (TalkXmppSession *session,
                   TalkXmppCarbons *self)
{
  g_autoptr(TalkXmppStanza) iq = NULL;

  if (!self->auto_enable)
    return;

  g_cancellable_cancel (self->auto_cancellable);
  g_clear_object (&self->auto_cancellable);
  self->auto_cancellable = g_cancellable_new ();

  /* The cancellable, cancelled in dispose, keeps the callback off a
   * finalized self. */
  iq = carbons_new_request ("enable");
  talk_xmpp_session_send_iq_async (session, iq, self->auto_cancellable,
                                   carbons_auto_enable_cb, self);
}

static void
carbons_disconnected_cb (TalkXmppSession *session,
                         const GError    *error,
                         TalkXmppCarbons *self)
{
  g_cancellable_cancel (self->auto_cancellable);
  /* A resumed stream keeps its carbons state on the server (XEP-0198 §5);
   * a fresh one starts without, and "online" enables it again. */
  if (error != NULL && talk_xmpp_session_get_sm_suspended (session))
    return;
  carbons_set_enabled (self, FALSE);
}

static void
carbons_toggle_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(TalkXmppStanza) reply = NULL;
  TalkXmppCarbons *self = g_task_get_source_object (task);
  GError *error = NULL;

  reply = talk_xmpp_session_send_iq_finish (TALK_XMPP_SESSION (source), result, &error);
  if (reply == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  carbons_set_enabled (self, g_task_get_source_tag (task) == talk_xmpp_carbons_enable_async);
  g_task_return_boolean (task, TRUE);
}

static void
carbons_toggle (TalkXmppCarbons     *self,
                gpointer             source_tag,
                const char          *name,
                GCancellable        *cancellable,
                GAsyncReadyCallback  callback,
                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(TalkXmppStanza) iq = NULL;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);

  iq = carbons_new_request (name);
  talk_xmpp_session_send_iq_async (self->session, iq, cancellable, carbons_toggle_cb,
                                   g_steal_pointer (&task));
}

void
talk_xmpp_carbons_enable_async (TalkXmppCarbons     *self,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_return_if_fail (TALK_XMPP_IS_CARBONS (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  carbons_toggle (self, talk_xmpp_carbons_enable_async, "enable", cancellable, callback,
                  user_data);
}

gboolean
talk_xmpp_carbons_enable_finish (TalkXmppCarbons  *self,
                                 GAsyncResult     *result,
                                 GError          **error)
{
  g_return_val_if_fail (TALK_XMPP_IS_CARBONS (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == talk_xmpp_carbons_enable_async,
                        FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
talk_xmpp_carbons_disable_async (TalkXmppCarbons     *self,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_return_if_fail (TALK_XMPP_IS_CARBONS (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  carbons_toggle (self, talk_xmpp_carbons_disable_async, "disable", cancellable, callback,
                  user_data);
}

gboolean
talk_xmpp_carbons_disable_finish (TalkXmppCarbons  *self,
                                  GAsyncResult     *result,
                                  GError          **error)
{
  g_return_val_if_fail (TALK_XMPP_IS_CARBONS (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == talk_xmpp_carbons_disable_async,
                        FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
talk_xmpp_carbons_add_private (TalkXmppStanza *message)
{
  g_return_if_fail (message != NULL);

  /* XEP-0280 §9; XEP-0334 no-copy says the same to servers that know hints. */
  if (talk_xmpp_stanza_get_child (message, "private", TALK_XMPP_NS_CARBONS) == NULL)
    talk_xmpp_stanza_add_child (message, "private", TALK_XMPP_NS_CARBONS);
  if (talk_xmpp_stanza_get_child (message, "no-copy", TALK_XMPP_NS_HINTS) == NULL)
    talk_xmpp_stanza_add_child (message, "no-copy", TALK_XMPP_NS_HINTS);
}

/* GObject */

TalkXmppCarbons *
talk_xmpp_carbons_new (TalkXmppSession *session)
{
  g_return_val_if_fail (TALK_XMPP_IS_SESSION (session), NULL);

  return g_object_new (TALK_XMPP_TYPE_CARBONS, "session", session, NULL);
}

TalkXmppSession *
talk_xmpp_carbons_get_session (TalkXmppCarbons *self)
{
  g_return_val_if_fail (TALK_XMPP_IS_CARBONS (self), NULL);

  return self->session;
}

gboolean
talk_xmpp_carbons_get_enabled (TalkXmppCarbons *self)
{
  g_return_val_if_fail (TALK_XMPP_IS_CARBONS (self), FALSE);

  return self->enabled;
}

gboolean
talk_xmpp_carbons_get_auto_enable (TalkXmppCarbons *self)
{
  g_return_val_if_fail (TALK_XMPP_IS_CARBONS (self), FALSE);

  return self->auto_enable;
}

void
talk_xmpp_carbons_set_auto_enable (TalkXmppCarbons *self,
                                   gboolean         auto_enable)
{
  g_return_if_fail (TALK_XMPP_IS_CARBONS (self));

  auto_enable = !!auto_enable;
  if (self->auto_enable == auto_enable)
    return;

  self->auto_enable = auto_enable;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AUTO_ENABLE]);
}

static void
talk_xmpp_carbons_constructed (GObject *object)
{
  TalkXmppCarbons *self = TALK_XMPP_CARBONS (object);

  G_OBJECT_CLASS (talk_xmpp_carbons_parent_class)->constructed (object);

  g_return_if_fail (TALK_XMPP_IS_SESSION (self->session));
  self->handler_id = talk_xmpp_session_add_handler (self->session, "message",
                                                    TALK_XMPP_NS_CARBONS,
                                                    carbons_handle_cb, self, NULL);
  self->online_id = g_signal_connect (self->session, "online",
                                      G_CALLBACK (carbons_online_cb), self);
  self->disconnected_id = g_signal_connect (self->session, "disconnected",
                                            G_CALLBACK (carbons_disconnected_cb), self);

  /* Created after the session came online: enable now. */
  if (talk_xmpp_session_get_state (self->session) == TALK_XMPP_SESSION_STATE_ONLINE)
    carbons_online_cb (self->session, self);
}

static void
talk_xmpp_carbons_dispose (GObject *object)
{
  TalkXmppCarbons *self = TALK_XMPP_CARBONS (object);

  g_cancellable_cancel (self->auto_cancellable);
  g_clear_object (&self->auto_cancellable);

  if (self->session != NULL)
    {
      if (self->handler_id != 0)
        talk_xmpp_session_remove_handler (self->session, self->handler_id);
      self->handler_id = 0;
      g_clear_signal_handler (&self->online_id, self->session);
      g_clear_signal_handler (&self->disconnected_id, self->session);
    }
  g_clear_object (&self->session);

  G_OBJECT_CLASS (talk_xmpp_carbons_parent_class)->dispose (object);
}

static void
talk_xmpp_carbons_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  TalkXmppCarbons *self = TALK_XMPP_CARBONS (object);

  switch (prop_id)
    {
    case PROP_SESSION:
      g_value_set_object (value, self->session);
      break;

    case PROP_ENABLED:
      g_value_set_boolean (value, self->enabled);
      break;

    case PROP_AUTO_ENABLE:
      g_value_set_boolean (value, self->auto_enable);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
talk_xmpp_carbons_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  TalkXmppCarbons *self = TALK_XMPP_CARBONS (object);

  switch (prop_id)
    {
    case PROP_SESSION:
      self->session = g_value_dup_object (value);
      break;

    case PROP_AUTO_ENABLE:
      talk_xmpp_carbons_set_auto_enable (self, g_value_get_boolean (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
talk_xmpp_carbons_class_init (TalkXmppCarbonsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = talk_xmpp_carbons_constructed;
  object_class->dispose = talk_xmpp_carbons_dispose;
  object_class->get_property = talk_xmpp_carbons_get_property;
  object_class->set_property = talk_xmpp_carbons_set_property;

  properties[PROP_SESSION] =
    g_param_spec_object ("session", NULL, NULL,
                         TALK_XMPP_TYPE_SESSION,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  properties[PROP_ENABLED] =
    g_param_spec_boolean ("enabled", NULL, NULL,
                          FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  properties[PROP_AUTO_ENABLE] =
    g_param_spec_boolean ("auto-enable", NULL, NULL,
                          TRUE,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT |
                          G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[CARBON_RECEIVED] =
    g_signal_new ("carbon-received",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, TALK_XMPP_TYPE_MESSAGE_INFO | G_SIGNAL_TYPE_STATIC_SCOPE);

  signals[CARBON_SENT] =
    g_signal_new ("carbon-sent",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, TALK_XMPP_TYPE_MESSAGE_INFO | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
talk_xmpp_carbons_init (TalkXmppCarbons *self)
{
  self->auto_enable = TRUE;
}
