/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Presence (RFC 6121 §4) and presence subscriptions (RFC 6121 §3).
 *
 * Incoming presence is read defensively (SECURITY.md §1.6): a sender that
 * is not a valid JID drops the stanza, <status/> is cut, <priority/> is
 * clamped, an unknown <show/> counts as plain available.
 */

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "talk-xmpp-presence.h"

#define NS_MUC_USER "http://jabber.org/protocol/muc#user"

/* XEP-0172 sets no limit; a nickname longer than this is not one. */
#define MAX_NICK_CHARS 256

G_DEFINE_ENUM_TYPE (TalkXmppPresenceShow, talk_xmpp_presence_show,
                    G_DEFINE_ENUM_VALUE (TALK_XMPP_PRESENCE_SHOW_OFFLINE, "offline"),
                    G_DEFINE_ENUM_VALUE (TALK_XMPP_PRESENCE_SHOW_AVAILABLE, "available"),
                    G_DEFINE_ENUM_VALUE (TALK_XMPP_PRESENCE_SHOW_CHAT, "chat"),
                    G_DEFINE_ENUM_VALUE (TALK_XMPP_PRESENCE_SHOW_AWAY, "away"),
                    G_DEFINE_ENUM_VALUE (TALK_XMPP_PRESENCE_SHOW_XA, "xa"),
                    G_DEFINE_ENUM_VALUE (TALK_XMPP_PRESENCE_SHOW_DND, "dnd"))

static const char * const show_names[] = {
  [TALK_XMPP_PRESENCE_SHOW_OFFLINE] = "offline",
  [TALK_XMPP_PRESENCE_SHOW_AVAILABLE] = "available",
  [TALK_XMPP_PRESENCE_SHOW_CHAT] = "chat",
  [TALK_XMPP_PRESENCE_SHOW_AWAY] = "away",
  [TALK_XMPP_PRESENCE_SHOW_XA] = "xa",
  [TALK_XMPP_PRESENCE_SHOW_DND] = "dnd",
};

const char *
talk_xmpp_presence_show_to_string (TalkXmppPresenceShow show)
{
  g_return_val_if_fail ((guint) show < G_N_ELEMENTS (show_names), NULL);

  return show_names[show];
}

gboolean
talk_xmpp_presence_show_from_string (const char           *str,
                                     TalkXmppPresenceShow *show)
{
  g_return_val_if_fail (show != NULL, FALSE);

  for (guint i = 0; str != NULL && i < G_N_ELEMENTS (show_names); i++)
    {
      if (strcmp (str, show_names[i]) == 0)
        {
          *show = i;
          return TRUE;
        }
    }

  return FALSE;
}

int
talk_xmpp_presence_parse_priority (const char *text)
{
  g_autofree char *copy = NULL;
  char *end = NULL;
  gint64 value;

  if (text == NULL)
    return 0;

  copy = g_strstrip (g_strdup (text));
  if (copy[0] == '\0')
    return 0;

  /* Out of range reads as G_MININT64/G_MAXINT64, which clamps correctly. */
  value = g_ascii_strtoll (copy, &end, 10);
  if (end == copy || *end != '\0')
    return 0;

  return (int) CLAMP (value, -128, 127);
}

struct _TalkXmppPresence
{
  GObject parent_instance;

  TalkXmppSession *session;
  TalkXmppDisco *disco;
  guint handler_id;
};

enum
{
  PROP_0,
  PROP_SESSION,
  PROP_DISCO,
  N_PROPS
};

enum
{
  PRESENCE_CHANGED,
  PRESENCE_ERROR,
  SUBSCRIPTION_REQUEST,
  SUBSCRIBED,
  UNSUBSCRIBED,
  UNSUBSCRIBE,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (TalkXmppPresence, talk_xmpp_presence, G_TYPE_OBJECT)

/* The text of the first @name child, valid UTF-8, at most @max_chars
 * characters, NULL when absent or empty. */
static char *
dup_child_text_cut (TalkXmppStanza *stanza,
                    const char     *name,
                    const char     *ns,
                    glong           max_chars)
{
  g_autofree char *text = talk_xmpp_stanza_dup_child_text (stanza, name, ns);
  g_autofree char *valid = NULL;

  if (text == NULL || text[0] == '\0')
    return NULL;

  valid = g_utf8_make_valid (text, -1);
  if (g_utf8_strlen (valid, -1) > max_chars)
    return g_utf8_substring (valid, 0, max_chars);

  return g_steal_pointer (&valid);
}

static TalkXmppPresenceShow
parse_show (TalkXmppStanza *presence)
{
  g_autofree char *text = talk_xmpp_stanza_dup_child_text (presence, "show", TALK_XMPP_NS_CLIENT);
  TalkXmppPresenceShow show = TALK_XMPP_PRESENCE_SHOW_AVAILABLE;

  if (text == NULL)
    return TALK_XMPP_PRESENCE_SHOW_AVAILABLE;

  /* RFC 6121 §4.7.2.1: one of four values; anything else is plain
   * availability, and never "offline" nor "available" spelled out. */
  g_strstrip (text);
  if (!talk_xmpp_presence_show_from_string (text, &show) ||
      show == TALK_XMPP_PRESENCE_SHOW_OFFLINE)
    return TALK_XMPP_PRESENCE_SHOW_AVAILABLE;

  return show;
}

static void
presence_handle_availability (TalkXmppPresence *self,
                              TalkXmppStanza   *presence,
                              TalkXmppJid      *from,
                              gboolean          available)
{
  g_autofree char *status = NULL;
  g_autofree char *priority_text = NULL;
  TalkXmppPresenceShow show = TALK_XMPP_PRESENCE_SHOW_OFFLINE;
  int priority = 0;

  status = dup_child_text_cut (presence, "status", TALK_XMPP_NS_CLIENT,
                               TALK_XMPP_PRESENCE_MAX_STATUS_CHARS);
  if (available)
    {
      show = parse_show (presence);
      priority_text = talk_xmpp_stanza_dup_child_text (presence, "priority", TALK_XMPP_NS_CLIENT);
      priority = talk_xmpp_presence_parse_priority (priority_text);
    }

  g_signal_emit (self, signals[PRESENCE_CHANGED], 0,
                 talk_xmpp_jid_to_string (from), show, status, priority);
}

static void
presence_handle_error (TalkXmppPresence *self,
                       TalkXmppStanza   *presence,
                       TalkXmppJid      *from)
{
  g_autoptr(GError) error = NULL;
  TalkXmppStanzaErrorCode undefined = TALK_XMPP_STANZA_ERROR_UNDEFINED_CONDITION;

  if (!talk_xmpp_stanza_get_error (presence, &error))
    error = g_error_new_literal (TALK_XMPP_STANZA_ERROR, undefined,
                                 talk_xmpp_stanza_error_describe (undefined));

  g_debug ("Presence error from %s: %s", talk_xmpp_jid_to_string (from), error->message);
  g_signal_emit (self, signals[PRESENCE_ERROR], 0, talk_xmpp_jid_to_string (from), error);
}

static void
presence_handle_subscribe (TalkXmppPresence *self,
                           TalkXmppStanza   *presence,
                           const char       *bare)
{
  /* XEP-0172 §4.1: the nick travels with the request. It is the
   * requester's own claim, so it is handed on as a hint only. */
  g_autofree char *nick = dup_child_text_cut (presence, "nick", TALK_XMPP_NS_NICK,
                                              MAX_NICK_CHARS);

  g_signal_emit (self, signals[SUBSCRIPTION_REQUEST], 0, bare, nick);
}

static gboolean
presence_handle_cb (TalkXmppSession *session,
                    TalkXmppStanza  *presence,
                    gpointer         user_data)
{
  TalkXmppPresence *self = TALK_XMPP_PRESENCE (user_data);
  g_autoptr(TalkXmppPresence) hold = NULL;
  g_autoptr(TalkXmppJid) from = NULL;
  g_autoptr(GError) error = NULL;
  const char *type = talk_xmpp_stanza_get_stanza_type (presence);
  const char *sender = talk_xmpp_stanza_get_from (presence);
  const char *bare;

  /* Presence is never consumed here: other modules (XEP-0115 caps,
   * avatars) read the same stanzas, so routing goes on. */
  if (!talk_xmpp_stanza_is (presence, "presence", TALK_XMPP_NS_CLIENT))
    return FALSE;

  /* XEP-0045 §7.2: occupant presence describes a room seat, not a contact. */
  if (talk_xmpp_stanza_get_child (presence, "x", NS_MUC_USER) != NULL)
    return FALSE;

  from = sender != NULL ? talk_xmpp_jid_new (sender, &error) : NULL;
  if (from == NULL)
    {
      g_debug ("Dropping presence from %s: %s", sender ? sender : "(no sender)",
               error ? error->message : "no sender");
      return FALSE;
    }
  bare = talk_xmpp_jid_get_bare_string (from);

  hold = g_object_ref (self);

  if (type == NULL)
    presence_handle_availability (self, presence, from, TRUE);
  else if (strcmp (type, "unavailable") == 0)
    presence_handle_availability (self, presence, from, FALSE);
  else if (strcmp (type, "error") == 0)
    presence_handle_error (self, presence, from);
  else if (strcmp (type, "subscribe") == 0)
    presence_handle_subscribe (self, presence, bare);
  else if (strcmp (type, "subscribed") == 0)
    g_signal_emit (self, signals[SUBSCRIBED], 0, bare);
  else if (strcmp (type, "unsubscribed") == 0)
    g_signal_emit (self, signals[UNSUBSCRIBED], 0, bare);
  else if (strcmp (type, "unsubscribe") == 0)
    g_signal_emit (self, signals[UNSUBSCRIBE], 0, bare);
  else
    {
      /* 'probe' is for servers (RFC 6121 §4.3); other types do not exist. */
      g_debug ("Ignoring presence of type %s from %s", type, talk_xmpp_jid_to_string (from));
    }

  return FALSE;
}

/* Own presence */

TalkXmppStanza *
talk_xmpp_presence_build_own (TalkXmppPresence     *self,
                              TalkXmppPresenceShow  show,
                              const char           *status,
                              int                   priority)
{
  g_autoptr(TalkXmppStanza) presence = NULL;
  g_autofree char *priority_text = NULL;

  g_return_val_if_fail (TALK_XMPP_IS_PRESENCE (self), NULL);
  g_return_val_if_fail ((guint) show < G_N_ELEMENTS (show_names), NULL);

  if (status != NULL && status[0] == '\0')
    status = NULL;

  /* RFC 6121 §4.5.1: unavailable carries at most a status. */
  if (show == TALK_XMPP_PRESENCE_SHOW_OFFLINE)
    {
      presence = talk_xmpp_stanza_new_presence ("unavailable", NULL);
      if (status != NULL)
        talk_xmpp_stanza_add_child_with_text (presence, "status", NULL, status);
      return g_steal_pointer (&presence);
    }

  presence = talk_xmpp_stanza_new_presence (NULL, NULL);
  if (show != TALK_XMPP_PRESENCE_SHOW_AVAILABLE)
    talk_xmpp_stanza_add_child_with_text (presence, "show", NULL, show_names[show]);
  if (status != NULL)
    talk_xmpp_stanza_add_child_with_text (presence, "status", NULL, status);

  priority_text = g_strdup_printf ("%d", CLAMP (priority, -128, 127));
  talk_xmpp_stanza_add_child_with_text (presence, "priority", NULL, priority_text);

  /* XEP-0115 §4: caps in every available presence. */
  if (self->disco != NULL)
    {
      g_autoptr(TalkXmppStanza) caps = talk_xmpp_disco_build_caps (self->disco);

      talk_xmpp_stanza_append (presence, caps);
    }

  return g_steal_pointer (&presence);
}

gboolean
talk_xmpp_presence_send_own (TalkXmppPresence     *self,
                             TalkXmppPresenceShow  show,
                             const char           *status,
                             int                   priority)
{
  g_autoptr(TalkXmppStanza) presence = NULL;

  g_return_val_if_fail (TALK_XMPP_IS_PRESENCE (self), FALSE);
  g_return_val_if_fail ((guint) show < G_N_ELEMENTS (show_names), FALSE);

  presence = talk_xmpp_presence_build_own (self, show, status, priority);
  return talk_xmpp_session_send (self->session, presence);
}

/* Subscriptions */

static gboolean
presence_send_subscription (TalkXmppPresence  *self,
                            const char        *jid,
                            const char        *type,
                            GError           **error)
{
  g_autoptr(TalkXmppJid) parsed = NULL;
  g_autoptr(TalkXmppStanza) presence = NULL;

  parsed = jid != NULL ? talk_xmpp_jid_new (jid, NULL) : NULL;
  if (parsed == NULL)
    {
      g_set_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_INVALID_JID,
                   _("“%s” is not a valid address for a contact"), jid ? jid : "");
      return FALSE;
    }

  /* RFC 6121 §3.1.1 and friends: addressed to the contact's bare JID. */
  presence = talk_xmpp_stanza_new_presence (type, talk_xmpp_jid_get_bare_string (parsed));
  if (!talk_xmpp_session_send (self->session, presence))
    {
      g_set_error_literal (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_NOT_CONNECTED,
                           _("Not connected"));
      return FALSE;
    }

  return TRUE;
}

gboolean
talk_xmpp_presence_subscribe (TalkXmppPresence  *self,
                              const char        *jid,
                              GError           **error)
{
  g_return_val_if_fail (TALK_XMPP_IS_PRESENCE (self), FALSE);

  return presence_send_subscription (self, jid, "subscribe", error);
}

gboolean
talk_xmpp_presence_unsubscribe (TalkXmppPresence  *self,
                                const char        *jid,
                                GError           **error)
{
  g_return_val_if_fail (TALK_XMPP_IS_PRESENCE (self), FALSE);

  return presence_send_subscription (self, jid, "unsubscribe", error);
}

gboolean
talk_xmpp_presence_approve (TalkXmppPresence  *self,
                            const char        *jid,
                            GError           **error)
{
  g_return_val_if_fail (TALK_XMPP_IS_PRESENCE (self), FALSE);

  return presence_send_subscription (self, jid, "subscribed", error);
}

gboolean
talk_xmpp_presence_deny (TalkXmppPresence  *self,
                         const char        *jid,
                         GError           **error)
{
  g_return_val_if_fail (TALK_XMPP_IS_PRESENCE (self), FALSE);

  return presence_send_subscription (self, jid, "unsubscribed", error);
}

/* GObject */

TalkXmppPresence *
talk_xmpp_presence_new (TalkXmppSession *session)
{
  g_return_val_if_fail (TALK_XMPP_IS_SESSION (session), NULL);

  return g_object_new (TALK_XMPP_TYPE_PRESENCE, "session", session, NULL);
}

TalkXmppSession *
talk_xmpp_presence_get_session (TalkXmppPresence *self)
{
  g_return_val_if_fail (TALK_XMPP_IS_PRESENCE (self), NULL);

  return self->session;
}

void
talk_xmpp_presence_set_disco (TalkXmppPresence *self,
                              TalkXmppDisco    *disco)
{
  g_return_if_fail (TALK_XMPP_IS_PRESENCE (self));
  g_return_if_fail (!disco || TALK_XMPP_IS_DISCO (disco));

  if (g_set_object (&self->disco, disco))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DISCO]);
}

static void
talk_xmpp_presence_constructed (GObject *object)
{
  TalkXmppPresence *self = TALK_XMPP_PRESENCE (object);

  G_OBJECT_CLASS (talk_xmpp_presence_parent_class)->constructed (object);

  g_return_if_fail (TALK_XMPP_IS_SESSION (self->session));
  self->handler_id = talk_xmpp_session_add_handler (self->session, "presence", NULL,
                                                    presence_handle_cb, self, NULL);
}

static void
talk_xmpp_presence_dispose (GObject *object)
{
  TalkXmppPresence *self = TALK_XMPP_PRESENCE (object);

  if (self->handler_id != 0)
    {
      talk_xmpp_session_remove_handler (self->session, self->handler_id);
      self->handler_id = 0;
    }
  g_clear_object (&self->disco);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (talk_xmpp_presence_parent_class)->dispose (object);
}

static void
talk_xmpp_presence_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  TalkXmppPresence *self = TALK_XMPP_PRESENCE (object);

  switch (prop_id)
    {
    case PROP_SESSION:
      g_value_set_object (value, self->session);
      break;

    case PROP_DISCO:
      g_value_set_object (value, self->disco);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
talk_xmpp_presence_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  TalkXmppPresence *self = TALK_XMPP_PRESENCE (object);

  switch (prop_id)
    {
    case PROP_SESSION:
      self->session = g_value_dup_object (value);
      break;

    case PROP_DISCO:
      talk_xmpp_presence_set_disco (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
talk_xmpp_presence_class_init (TalkXmppPresenceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = talk_xmpp_presence_constructed;
  object_class->dispose = talk_xmpp_presence_dispose;
  object_class->get_property = talk_xmpp_presence_get_property;
  object_class->set_property = talk_xmpp_presence_set_property;

  properties[PROP_SESSION] =
    g_param_spec_object ("session", NULL, NULL,
                         TALK_XMPP_TYPE_SESSION,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  properties[PROP_DISCO] =
    g_param_spec_object ("disco", NULL, NULL,
                         TALK_XMPP_TYPE_DISCO,
                         G_PARAM_READWRITE |
                         G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[PRESENCE_CHANGED] =
    g_signal_new ("presence-changed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 4,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  TALK_XMPP_TYPE_PRESENCE_SHOW,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_INT);

  signals[PRESENCE_ERROR] =
    g_signal_new ("presence-error",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE);

  signals[SUBSCRIPTION_REQUEST] =
    g_signal_new ("subscription-request",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);

  signals[SUBSCRIBED] =
    g_signal_new ("subscribed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);

  signals[UNSUBSCRIBED] =
    g_signal_new ("unsubscribed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);

  signals[UNSUBSCRIBE] =
    g_signal_new ("unsubscribe",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
talk_xmpp_presence_init (TalkXmppPresence *self)
{
}
