/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Messages (RFC 6121 §5) and the small XEPs that ride on them.
 *
 *   incoming <message/>
 *     carbon copy or archive result? ─ yes ──► left to TalkXmppCarbons /
 *                                              TalkXmppMam (they check who
 *                                              sent it)
 *     talk_xmpp_message_info_parse ─ bad address ──► dropped
 *     type='error' ──► "message-error" (id, from, error)
 *     otherwise    ──► "message-received" (info)
 *
 *   outgoing chat: <message type='chat' id=origin-id>
 *                    <body/> <origin-id/> (XEP-0359) <request/> (XEP-0184)
 *                    <markable/> (XEP-0333) <active/> (XEP-0085)
 *
 * Nothing here acknowledges anything on its own: receipts and markers are
 * the caller's decision, made once the message is stored or seen.
 */

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "talk-xmpp-carbons.h"
#include "talk-xmpp-mam.h"
#include "talk-xmpp-message.h"

/* XEP-0082 dates are about 30 characters; anything much longer is not one. */
#define MAX_STAMP_BYTES 64
/* How far ahead of the local clock a delay stamp may be (clock skew). */
#define MAX_STAMP_SKEW (5 * G_TIME_SPAN_MINUTE)

G_DEFINE_ENUM_TYPE (TalkXmppMessageType, talk_xmpp_message_type,
                    G_DEFINE_ENUM_VALUE (TALK_XMPP_MESSAGE_TYPE_NORMAL, "normal"),
                    G_DEFINE_ENUM_VALUE (TALK_XMPP_MESSAGE_TYPE_CHAT, "chat"),
                    G_DEFINE_ENUM_VALUE (TALK_XMPP_MESSAGE_TYPE_GROUPCHAT, "groupchat"),
                    G_DEFINE_ENUM_VALUE (TALK_XMPP_MESSAGE_TYPE_HEADLINE, "headline"),
                    G_DEFINE_ENUM_VALUE (TALK_XMPP_MESSAGE_TYPE_ERROR, "error"))

G_DEFINE_ENUM_TYPE (TalkXmppChatState, talk_xmpp_chat_state,
                    G_DEFINE_ENUM_VALUE (TALK_XMPP_CHAT_STATE_NONE, "none"),
                    G_DEFINE_ENUM_VALUE (TALK_XMPP_CHAT_STATE_ACTIVE, "active"),
                    G_DEFINE_ENUM_VALUE (TALK_XMPP_CHAT_STATE_COMPOSING, "composing"),
                    G_DEFINE_ENUM_VALUE (TALK_XMPP_CHAT_STATE_PAUSED, "paused"),
                    G_DEFINE_ENUM_VALUE (TALK_XMPP_CHAT_STATE_INACTIVE, "inactive"),
                    G_DEFINE_ENUM_VALUE (TALK_XMPP_CHAT_STATE_GONE, "gone"))

static const char * const type_names[] = {
  [TALK_XMPP_MESSAGE_TYPE_NORMAL] = "normal",
  [TALK_XMPP_MESSAGE_TYPE_CHAT] = "chat",
  [TALK_XMPP_MESSAGE_TYPE_GROUPCHAT] = "groupchat",
  [TALK_XMPP_MESSAGE_TYPE_HEADLINE] = "headline",
  [TALK_XMPP_MESSAGE_TYPE_ERROR] = "error",
};

static const char * const chat_state_names[] = {
  [TALK_XMPP_CHAT_STATE_NONE] = NULL,
  [TALK_XMPP_CHAT_STATE_ACTIVE] = "active",
  [TALK_XMPP_CHAT_STATE_COMPOSING] = "composing",
  [TALK_XMPP_CHAT_STATE_PAUSED] = "paused",
  [TALK_XMPP_CHAT_STATE_INACTIVE] = "inactive",
  [TALK_XMPP_CHAT_STATE_GONE] = "gone",
};

const char *
talk_xmpp_message_type_to_string (TalkXmppMessageType type)
{
  g_return_val_if_fail ((guint) type < G_N_ELEMENTS (type_names), NULL);

  return type_names[type];
}

/* RFC 6121 §5.2.2: no type, or one the application does not understand,
 * is 'normal'. */
static TalkXmppMessageType
message_type_from_string (const char *str)
{
  for (guint i = 0; str != NULL && i < G_N_ELEMENTS (type_names); i++)
    {
      if (strcmp (str, type_names[i]) == 0)
        return i;
    }

  return TALK_XMPP_MESSAGE_TYPE_NORMAL;
}

const char *
talk_xmpp_chat_state_to_string (TalkXmppChatState state)
{
  g_return_val_if_fail ((guint) state < G_N_ELEMENTS (chat_state_names), NULL);

  return chat_state_names[state];
}

gboolean
talk_xmpp_chat_state_from_string (const char        *str,
                                  TalkXmppChatState *state)
{
  g_return_val_if_fail (state != NULL, FALSE);

  for (guint i = TALK_XMPP_CHAT_STATE_ACTIVE; str != NULL && i < G_N_ELEMENTS (chat_state_names);
       i++)
    {
      if (strcmp (str, chat_state_names[i]) == 0)
        {
          *state = i;
          return TRUE;
        }
    }

  return FALSE;
}

/* Parsed messages */

struct _TalkXmppMessageInfo
{
  TalkXmppMessageType type;
  char *from;
  char *to;
  char *id;
  char *body;
  char *subject;
  char *thread;
  char *origin_id;
  char *stanza_id;
  char *stanza_id_by;
  GDateTime *delay;
  char *delay_from;
  TalkXmppChatState chat_state;
  gboolean receipt_requested;
  char *receipt_id;
  gboolean markable;
  char *displayed_id;
  char *replace_id;
  GError *error;
  gboolean forwarded;
};

G_DEFINE_BOXED_TYPE (TalkXmppMessageInfo, talk_xmpp_message_info,
                     talk_xmpp_message_info_ref, talk_xmpp_message_info_unref)

TalkXmppMessageInfo *
talk_xmpp_message_info_ref (TalkXmppMessageInfo *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return g_rc_box_acquire (self);
}

static void
message_info_clear (gpointer data)
{
  TalkXmppMessageInfo *self = data;

  g_free (self->from);
  g_free (self->to);
  g_free (self->id);
  g_free (self->body);
  g_free (self->subject);
  g_free (self->thread);
  g_free (self->origin_id);
  g_free (self->stanza_id);
  g_free (self->stanza_id_by);
  g_clear_pointer (&self->delay, g_date_time_unref);
  g_free (self->delay_from);
  g_free (self->receipt_id);
  g_free (self->displayed_id);
  g_free (self->replace_id);
  g_clear_error (&self->error);
}

void
talk_xmpp_message_info_unref (TalkXmppMessageInfo *self)
{
  g_return_if_fail (self != NULL);

  g_rc_box_release_full (self, message_info_clear);
}

/* @value when it can be an id: present, not empty, not absurdly long. */
static const char *
bounded_id (const char *value)
{
  if (value == NULL || value[0] == '\0' || strlen (value) > TALK_XMPP_MESSAGE_MAX_ID_BYTES)
    return NULL;

  return value;
}

static gboolean
normalize_address (TalkXmppStanza  *message,
                   const char      *name,
                   char           **out,
                   GError         **error)
{
  const char *value = talk_xmpp_stanza_get_attribute (message, name);
  g_autoptr(GError) local_error = NULL;

  if (value == NULL)
    return TRUE;

  *out = talk_xmpp_jid_normalize (value, &local_error);
  if (*out == NULL)
    {
      g_set_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_INVALID_JID,
                   _("The message’s “%s” is not a valid address"), name);
      return FALSE;
    }

  return TRUE;
}

/* XEP-0203: stamp is a XEP-0082 DateTime, in UTC. A stamp without a
 * zone is read as UTC; one that is no date leaves the delay out. */
static gboolean
read_delay (TalkXmppStanza  *delay,
            GDateTime      **stamp,
            char           **from)
{
  const char *text = talk_xmpp_stanza_get_attribute (delay, "stamp");
  const char *by = talk_xmpp_stanza_get_attribute (delay, "from");
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr(GDateTime) parsed = NULL;
  g_autoptr(GDateTime) now = NULL;

  if (text == NULL || strlen (text) > MAX_STAMP_BYTES)
    return FALSE;

  parsed = g_date_time_new_from_iso8601 (text, utc);
  if (parsed == NULL)
    {
      g_debug ("Ignoring a delay stamp that is not a date");
      return FALSE;
    }

  /* A delay says when a message was first sent, so it cannot lie ahead.
   * Taken as is, a stamp in the year 9999 would keep its message below
   * every later one for ever; a few minutes of clock skew pass. */
  now = g_date_time_new_now_utc ();
  if (g_date_time_difference (parsed, now) > MAX_STAMP_SKEW)
    {
      g_debug ("Ignoring a delay stamp in the future");
      return FALSE;
    }

  *stamp = g_date_time_to_utc (parsed);
  *from = by != NULL ? talk_xmpp_jid_normalize (by, NULL) : NULL;
  return TRUE;
}

/* RFC 6121 §5.2.3, §5.2.4: the first child without xml:lang, else the
 * first one. Two of the same language is malformed; the first wins. */
static void
take_text_child (TalkXmppStanza  *child,
                 char           **text,
                 gboolean        *has_lang)
{
  gboolean lang = talk_xmpp_stanza_get_attribute_ns (child, TALK_XMPP_NS_XML, "lang") != NULL;

  if (*text != NULL && (lang || !*has_lang))
    return;

  g_free (*text);
  *text = talk_xmpp_stanza_dup_text (child);
  *has_lang = lang;
}

typedef struct
{
  gboolean body_lang;
  gboolean subject_lang;
  const char *archive_jid;
} ParseState;

static void
parse_client_child (TalkXmppMessageInfo *self,
                    TalkXmppStanza      *child,
                    ParseState          *state)
{
  const char *name = talk_xmpp_stanza_get_name (child);

  if (strcmp (name, "body") == 0)
    {
      take_text_child (child, &self->body, &state->body_lang);
    }
  else if (strcmp (name, "subject") == 0)
    {
      take_text_child (child, &self->subject, &state->subject_lang);
    }
  else if (strcmp (name, "thread") == 0 && self->thread == NULL)
    {
      g_autofree char *thread = talk_xmpp_stanza_dup_text (child);

      self->thread = g_strdup (bounded_id (thread));
    }
}

/* XEP-0359, and its #security: only the archive's own stanza-id. */
static void
parse_sid_child (TalkXmppMessageInfo *self,
                 TalkXmppStanza      *child,
                 ParseState          *state)
{
  const char *id = bounded_id (talk_xmpp_stanza_get_attribute (child, "id"));
  const char *by = talk_xmpp_stanza_get_attribute (child, "by");

  if (id == NULL)
    return;

  if (talk_xmpp_stanza_is (child, "origin-id", TALK_XMPP_NS_SID))
    {
      if (self->origin_id == NULL)
        self->origin_id = g_strdup (id);
    }
  else if (talk_xmpp_stanza_is (child, "stanza-id", TALK_XMPP_NS_SID))
    {
      g_autofree char *by_normalized = NULL;

      if (self->stanza_id != NULL || state->archive_jid == NULL || by == NULL)
        return;

      /* Normalised once, then compared as talk_xmpp_jid_string_equal()
       * would: one preparation of "by" per message, not three. */
      by_normalized = talk_xmpp_jid_normalize (by, NULL);
      if (by_normalized != NULL &&
          (strcmp (by_normalized, state->archive_jid) == 0 ||
           talk_xmpp_jid_string_equal (by_normalized, state->archive_jid)))
        {
          self->stanza_id = g_strdup (id);
          self->stanza_id_by = g_steal_pointer (&by_normalized);
        }
    }
}

static void
parse_child (TalkXmppMessageInfo *self,
             TalkXmppStanza      *child,
             ParseState          *state)
{
  const char *ns = talk_xmpp_stanza_get_ns (child);
  const char *name = talk_xmpp_stanza_get_name (child);

  if (g_strcmp0 (ns, TALK_XMPP_NS_CLIENT) == 0)
    {
      parse_client_child (self, child, state);
    }
  else if (g_strcmp0 (ns, TALK_XMPP_NS_SID) == 0)
    {
      parse_sid_child (self, child, state);
    }
  else if (g_strcmp0 (ns, TALK_XMPP_NS_DELAY) == 0)
    {
      if (strcmp (name, "delay") == 0 && self->delay == NULL)
        read_delay (child, &self->delay, &self->delay_from);
    }
  else if (g_strcmp0 (ns, TALK_XMPP_NS_CHATSTATES) == 0)
    {
      if (self->chat_state == TALK_XMPP_CHAT_STATE_NONE)
        talk_xmpp_chat_state_from_string (name, &self->chat_state);
    }
  else if (g_strcmp0 (ns, TALK_XMPP_NS_RECEIPTS) == 0)
    {
      /* XEP-0184 #format; receipts from before version 1.1 carried the id
       * on the message alone. */
      if (strcmp (name, "request") == 0)
        self->receipt_requested = TRUE;
      else if (strcmp (name, "received") == 0 && self->receipt_id == NULL)
        {
          const char *id = bounded_id (talk_xmpp_stanza_get_attribute (child, "id"));

          self->receipt_id = g_strdup (id != NULL ? id : self->id);
        }
    }
  else if (g_strcmp0 (ns, TALK_XMPP_NS_CHAT_MARKERS) == 0)
    {
      /* XEP-0333 */
      if (strcmp (name, "markable") == 0)
        self->markable = TRUE;
      else if (strcmp (name, "displayed") == 0 && self->displayed_id == NULL)
        self->displayed_id = g_strdup (bounded_id (talk_xmpp_stanza_get_attribute (child, "id")));
    }
  else if (g_strcmp0 (ns, TALK_XMPP_NS_CORRECTION) == 0)
    {
      if (strcmp (name, "replace") == 0 && self->replace_id == NULL)
        self->replace_id = g_strdup (bounded_id (talk_xmpp_stanza_get_attribute (child, "id")));
    }
}

TalkXmppMessageInfo *
talk_xmpp_message_info_parse (TalkXmppStanza  *message,
                              const char      *archive_jid,
                              GError         **error)
{
  TalkXmppMessageInfo *self;
  g_autofree char *from = NULL;
  g_autofree char *to = NULL;
  ParseState state = { FALSE, FALSE, archive_jid };
  TalkXmppStanzaIter iter;
  TalkXmppStanza *child;

  g_return_val_if_fail (message != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!talk_xmpp_stanza_is (message, "message", TALK_XMPP_NS_CLIENT))
    {
      g_set_error_literal (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_PROTOCOL,
                           _("The stanza is not a message"));
      return NULL;
    }

  if (!normalize_address (message, "from", &from, error) ||
      !normalize_address (message, "to", &to, error))
    return NULL;

  self = g_rc_box_new0 (TalkXmppMessageInfo);
  self->type = message_type_from_string (talk_xmpp_stanza_get_stanza_type (message));
  self->from = g_steal_pointer (&from);
  self->to = g_steal_pointer (&to);
  self->id = g_strdup (bounded_id (talk_xmpp_stanza_get_id (message)));

  talk_xmpp_stanza_iter_init (&iter, message);
  while (talk_xmpp_stanza_iter_next (&iter, &child))
    parse_child (self, child, &state);

  /* CVE-2021-41055: a message that claims to correct itself. */
  if (self->replace_id != NULL && g_strcmp0 (self->replace_id, self->id) == 0)
    g_clear_pointer (&self->replace_id, g_free);

  if (self->type == TALK_XMPP_MESSAGE_TYPE_ERROR)
    talk_xmpp_stanza_get_error (message, &self->error);

  return self;
}

TalkXmppMessageInfo *
talk_xmpp_message_info_parse_forwarded (TalkXmppStanza  *forwarded,
                                        const char      *archive_jid,
                                        const char      *archive_id,
                                        GError         **error)
{
  TalkXmppMessageInfo *self;
  TalkXmppStanza *message = NULL;
  TalkXmppStanza *delay = NULL;
  TalkXmppStanzaIter iter;
  TalkXmppStanza *child;
  GDateTime *stamp = NULL;
  char *stamp_from = NULL;
  guint n_messages = 0;

  g_return_val_if_fail (forwarded != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* XEP-0297: one forwarded stanza, maybe one delay. */
  talk_xmpp_stanza_iter_init (&iter, forwarded);
  while (talk_xmpp_stanza_iter_next (&iter, &child))
    {
      if (talk_xmpp_stanza_is (child, "message", TALK_XMPP_NS_CLIENT))
        {
          message = child;
          n_messages++;
        }
      else if (talk_xmpp_stanza_is (child, "delay", TALK_XMPP_NS_DELAY) && delay == NULL)
        {
          delay = child;
        }
    }

  if (!talk_xmpp_stanza_is (forwarded, "forwarded", TALK_XMPP_NS_FORWARD) ||
      n_messages != 1)
    {
      g_set_error_literal (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_PROTOCOL,
                           _("The forwarded stanza is not one message"));
      return NULL;
    }

  self = talk_xmpp_message_info_parse (message, archive_jid, error);
  if (self == NULL)
    return NULL;
  self->forwarded = TRUE;

  if (delay != NULL && read_delay (delay, &stamp, &stamp_from))
    {
      g_clear_pointer (&self->delay, g_date_time_unref);
      g_free (self->delay_from);
      self->delay = stamp;
      self->delay_from = stamp_from;
    }

  /* XEP-0313 #results: the result id is the archive's stanza-id. */
  if (bounded_id (archive_id) != NULL && archive_jid != NULL)
    {
      g_free (self->stanza_id);
      g_free (self->stanza_id_by);
      self->stanza_id = g_strdup (archive_id);
      self->stanza_id_by = talk_xmpp_jid_normalize (archive_jid, NULL);
    }

  return self;
}

TalkXmppMessageType
talk_xmpp_message_info_get_message_type (TalkXmppMessageInfo *self)
{
  g_return_val_if_fail (self != NULL, TALK_XMPP_MESSAGE_TYPE_NORMAL);

  return self->type;
}

const char *
talk_xmpp_message_info_get_from (TalkXmppMessageInfo *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->from;
}

const char *
talk_xmpp_message_info_get_to (TalkXmppMessageInfo *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->to;
}

const char *
talk_xmpp_message_info_get_id (TalkXmppMessageInfo *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->id;
}

const char *
talk_xmpp_message_info_get_body (TalkXmppMessageInfo *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->body;
}

const char *
talk_xmpp_message_info_get_subject (TalkXmppMessageInfo *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->subject;
}

const char *
talk_xmpp_message_info_get_thread (TalkXmppMessageInfo *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->thread;
}

const char *
talk_xmpp_message_info_get_origin_id (TalkXmppMessageInfo *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->origin_id;
}

const char *
talk_xmpp_message_info_get_stanza_id (TalkXmppMessageInfo *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->stanza_id;
}

const char *
talk_xmpp_message_info_get_stanza_id_by (TalkXmppMessageInfo *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->stanza_id_by;
}

GDateTime *
talk_xmpp_message_info_get_delay (TalkXmppMessageInfo *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->delay;
}

const char *
talk_xmpp_message_info_get_delay_from (TalkXmppMessageInfo *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->delay_from;
}

TalkXmppChatState
talk_xmpp_message_info_get_chat_state (TalkXmppMessageInfo *self)
{
  g_return_val_if_fail (self != NULL, TALK_XMPP_CHAT_STATE_NONE);

  return self->chat_state;
}

gboolean
talk_xmpp_message_info_get_receipt_requested (TalkXmppMessageInfo *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->receipt_requested;
}

const char *
talk_xmpp_message_info_get_receipt_id (TalkXmppMessageInfo *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->receipt_id;
}

gboolean
talk_xmpp_message_info_get_markable (TalkXmppMessageInfo *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->markable;
}

const char *
talk_xmpp_message_info_get_displayed_id (TalkXmppMessageInfo *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->displayed_id;
}

const char *
talk_xmpp_message_info_get_replace_id (TalkXmppMessageInfo *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->replace_id;
}

const GError *
talk_xmpp_message_info_get_error (TalkXmppMessageInfo *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->error;
}

gboolean
talk_xmpp_message_info_get_forwarded (TalkXmppMessageInfo *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->forwarded;
}

gboolean
talk_xmpp_message_info_wants_receipt (TalkXmppMessageInfo *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->receipt_requested && self->id != NULL && self->from != NULL &&
         !self->forwarded &&
         (self->type == TALK_XMPP_MESSAGE_TYPE_CHAT ||
          self->type == TALK_XMPP_MESSAGE_TYPE_NORMAL);
}

const char *
talk_xmpp_message_info_get_me_action (TalkXmppMessageInfo *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  /* XEP-0245: "/me " at the very start, then the action. */
  if (self->body == NULL || !g_str_has_prefix (self->body, "/me ") || self->body[4] == '\0')
    return NULL;

  return self->body + 4;
}

/* The module */

struct _TalkXmppMessage
{
  GObject parent_instance;

  TalkXmppSession *session;
  guint handler_id;
};

G_DEFINE_FINAL_TYPE (TalkXmppMessage, talk_xmpp_message, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_SESSION,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  MESSAGE_RECEIVED,
  MESSAGE_ERROR,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* Carbon copies and archive results are someone else's: their modules
 * decide whether the wrapper came from the own account. */
static gboolean
message_is_wrapper (TalkXmppStanza *message)
{
  return talk_xmpp_stanza_get_child (message, "received", TALK_XMPP_NS_CARBONS) != NULL ||
         talk_xmpp_stanza_get_child (message, "sent", TALK_XMPP_NS_CARBONS) != NULL ||
         talk_xmpp_stanza_get_child (message, "result", TALK_XMPP_NS_MAM) != NULL;
}

/* Whose stanza-ids to trust: the own archive, or for a room's messages the
 * room's (XEP-0359 #security). @room holds the room's JID for the
 * returned string. Returns: (transfer none) (nullable) */
static const char *
message_get_archive_jid (TalkXmppMessage  *self,
                         TalkXmppStanza   *message,
                         TalkXmppJid     **room)
{
  const char *from = talk_xmpp_stanza_get_from (message);

  if (g_strcmp0 (talk_xmpp_stanza_get_stanza_type (message), "groupchat") == 0)
    {
      *room = from != NULL ? talk_xmpp_jid_new (from, NULL) : NULL;

      return *room != NULL ? talk_xmpp_jid_get_bare_string (*room) : NULL;
    }

  return talk_xmpp_jid_get_bare_string (talk_xmpp_session_get_jid (self->session));
}

static gboolean
message_handle_cb (TalkXmppSession *session,
                   TalkXmppStanza  *stanza,
                   gpointer         user_data)
{
  TalkXmppMessage *self = TALK_XMPP_MESSAGE (user_data);
  g_autoptr(TalkXmppMessage) hold = NULL;
  g_autoptr(TalkXmppMessageInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(TalkXmppJid) room = NULL;
  const char *archive_jid;

  if (message_is_wrapper (stanza))
    return FALSE;

  archive_jid = message_get_archive_jid (self, stanza, &room);
  info = talk_xmpp_message_info_parse (stanza, archive_jid, &error);
  if (info == NULL)
    {
      g_debug ("Dropping a message: %s", error->message);
      return FALSE;
    }

  /* A handler may drop the last other reference. */
  hold = g_object_ref (self);

  if (info->type == TALK_XMPP_MESSAGE_TYPE_ERROR)
    {
      if (info->id != NULL)
        g_signal_emit (self, signals[MESSAGE_ERROR], 0, info->id, info->from, info->error);
      else
        g_debug ("Ignoring a message error that refers to no message");
      return FALSE;
    }

  g_signal_emit (self, signals[MESSAGE_RECEIVED], 0, info);
  return FALSE;
}

/* Sending */

static char *
normalize_to (const char  *to,
              GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  char *jid = to != NULL ? talk_xmpp_jid_normalize (to, &local_error) : NULL;

  if (jid == NULL)
    g_set_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_INVALID_JID,
                 _("“%s” is not a valid address"), to != NULL ? to : "");

  return jid;
}

static gboolean
check_id (const char  *id,
          GError     **error)
{
  if (id != NULL && bounded_id (id) == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "A message id must have 1 to %d bytes", TALK_XMPP_MESSAGE_MAX_ID_BYTES);
      return FALSE;
    }

  return TRUE;
}

TalkXmppStanza *
talk_xmpp_message_build_chat (const char  *to,
                              const char  *body,
                              const char  *origin_id,
                              GError     **error)
{
  g_autoptr(TalkXmppStanza) message = NULL;
  g_autofree char *jid = NULL;
  g_autofree char *id = NULL;
  TalkXmppStanza *child;

  g_return_val_if_fail (body != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  jid = normalize_to (to, error);
  if (jid == NULL || !check_id (origin_id, error))
    return NULL;

  if (strlen (body) > TALK_XMPP_MESSAGE_MAX_SEND_BODY_BYTES)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                   _("The message is too long to send (more than %u kB)"),
                   TALK_XMPP_MESSAGE_MAX_SEND_BODY_BYTES / 1024);
      return NULL;
    }

  id = origin_id != NULL ? g_strdup (origin_id) : talk_xmpp_generate_id ();
  message = talk_xmpp_stanza_new_message ("chat", jid, body);
  talk_xmpp_stanza_set_attribute (message, "id", id);

  /* XEP-0359: the same id on every resend lets the other side see it is
   * one message; the stanza id matches so that receipts and markers (which
   * refer to the stanza id) name it too. */
  child = talk_xmpp_stanza_add_child (message, "origin-id", TALK_XMPP_NS_SID);
  talk_xmpp_stanza_set_attribute (child, "id", id);
  talk_xmpp_stanza_add_child (message, "request", TALK_XMPP_NS_RECEIPTS);
  talk_xmpp_stanza_add_child (message, "markable", TALK_XMPP_NS_CHAT_MARKERS);
  /* XEP-0085: a content message carries <active/>. */
  talk_xmpp_stanza_add_child (message, "active", TALK_XMPP_NS_CHATSTATES);

  return g_steal_pointer (&message);
}

char *
talk_xmpp_message_send (TalkXmppMessage  *self,
                        TalkXmppStanza   *message,
                        GError          **error)
{
  g_return_val_if_fail (TALK_XMPP_IS_MESSAGE (self), NULL);
  g_return_val_if_fail (message != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (talk_xmpp_session_get_state (self->session) != TALK_XMPP_SESSION_STATE_ONLINE)
    {
      g_set_error_literal (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_NOT_CONNECTED,
                           _("Not connected"));
      return NULL;
    }

  if (talk_xmpp_stanza_get_id (message) == NULL)
    {
      g_autofree char *id = talk_xmpp_generate_id ();

      talk_xmpp_stanza_set_attribute (message, "id", id);
    }

  if (!talk_xmpp_session_send (self->session, message))
    {
      g_set_error_literal (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_NOT_CONNECTED,
                           _("Not connected"));
      return NULL;
    }

  return g_strdup (talk_xmpp_stanza_get_id (message));
}

char *
talk_xmpp_message_send_chat (TalkXmppMessage  *self,
                             const char       *to,
                             const char       *body,
                             const char       *origin_id,
                             GError          **error)
{
  g_autoptr(TalkXmppStanza) message = NULL;

  g_return_val_if_fail (TALK_XMPP_IS_MESSAGE (self), NULL);
  g_return_val_if_fail (body != NULL, NULL);

  message = talk_xmpp_message_build_chat (to, body, origin_id, error);
  if (message == NULL)
    return NULL;

  return talk_xmpp_message_send (self, message, error);
}

char *
talk_xmpp_message_send_correction (TalkXmppMessage  *self,
                                   const char       *to,
                                   const char       *body,
                                   const char       *replace_id,
                                   const char       *origin_id,
                                   GError          **error)
{
  g_autoptr(TalkXmppStanza) message = NULL;
  TalkXmppStanza *replace;

  g_return_val_if_fail (TALK_XMPP_IS_MESSAGE (self), NULL);
  g_return_val_if_fail (body != NULL, NULL);
  g_return_val_if_fail (replace_id != NULL, NULL);

  if (!check_id (replace_id, error))
    return NULL;

  message = talk_xmpp_message_build_chat (to, body, origin_id, error);
  if (message == NULL)
    return NULL;

  /* XEP-0308, and never itself (CVE-2021-41055). */
  if (strcmp (replace_id, talk_xmpp_stanza_get_id (message)) == 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "A correction cannot replace itself");
      return NULL;
    }

  replace = talk_xmpp_stanza_add_child (message, "replace", TALK_XMPP_NS_CORRECTION);
  talk_xmpp_stanza_set_attribute (replace, "id", replace_id);

  return talk_xmpp_message_send (self, message, error);
}

gboolean
talk_xmpp_message_send_chat_state (TalkXmppMessage    *self,
                                   const char         *to,
                                   TalkXmppChatState   state,
                                   GError            **error)
{
  g_autoptr(TalkXmppStanza) message = NULL;
  g_autofree char *jid = NULL;
  g_autofree char *id = NULL;

  g_return_val_if_fail (TALK_XMPP_IS_MESSAGE (self), FALSE);
  g_return_val_if_fail (state > TALK_XMPP_CHAT_STATE_NONE &&
                        state <= TALK_XMPP_CHAT_STATE_GONE, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  jid = normalize_to (to, error);
  if (jid == NULL)
    return FALSE;

  /* XEP-0085 standalone notification; XEP-0334 no-store: not worth
   * archiving. */
  message = talk_xmpp_stanza_new_message ("chat", jid, NULL);
  talk_xmpp_stanza_add_child (message, talk_xmpp_chat_state_to_string (state),
                              TALK_XMPP_NS_CHATSTATES);
  talk_xmpp_stanza_add_child (message, "no-store", TALK_XMPP_NS_HINTS);

  id = talk_xmpp_message_send (self, message, error);
  return id != NULL;
}

gboolean
talk_xmpp_message_send_receipt (TalkXmppMessage      *self,
                                TalkXmppMessageInfo  *message,
                                GError              **error)
{
  g_autoptr(TalkXmppStanza) receipt = NULL;
  g_autofree char *id = NULL;
  TalkXmppStanza *received;

  g_return_val_if_fail (TALK_XMPP_IS_MESSAGE (self), FALSE);
  g_return_val_if_fail (message != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* XEP-0184 #when-groupchat, #when-archive: only what asked for one,
   * never errors, groupchat or copies. */
  if (!talk_xmpp_message_info_wants_receipt (message))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           "The message did not ask for a receipt");
      return FALSE;
    }

  /* XEP-0184 #format: the same type; as a chat message it is carbon-copied
   * (XEP-0280 §6), so the user's other devices learn of it too. */
  receipt = talk_xmpp_stanza_new_message (message->type == TALK_XMPP_MESSAGE_TYPE_CHAT ? "chat"
                                                                                       : NULL,
                                          message->from, NULL);
  received = talk_xmpp_stanza_add_child (receipt, "received", TALK_XMPP_NS_RECEIPTS);
  talk_xmpp_stanza_set_attribute (received, "id", message->id);

  id = talk_xmpp_message_send (self, receipt, error);
  return id != NULL;
}

gboolean
talk_xmpp_message_send_displayed (TalkXmppMessage      *self,
                                  const char           *to,
                                  const char           *id,
                                  TalkXmppMessageType   type,
                                  GError              **error)
{
  g_autoptr(TalkXmppStanza) marker = NULL;
  g_autofree char *jid = NULL;
  g_autofree char *sent_id = NULL;
  TalkXmppStanza *displayed;

  g_return_val_if_fail (TALK_XMPP_IS_MESSAGE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  jid = normalize_to (to, error);
  if (jid == NULL)
    return FALSE;

  if (bounded_id (id) == NULL ||
      (type != TALK_XMPP_MESSAGE_TYPE_CHAT && type != TALK_XMPP_MESSAGE_TYPE_NORMAL &&
       type != TALK_XMPP_MESSAGE_TYPE_GROUPCHAT))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "Markers refer to a chat, normal or groupchat message by its id");
      return FALSE;
    }

  /* XEP-0333; XEP-0334 store: the other devices read it back. */
  marker = talk_xmpp_stanza_new_message (type == TALK_XMPP_MESSAGE_TYPE_NORMAL
                                           ? NULL : type_names[type],
                                         jid, NULL);
  displayed = talk_xmpp_stanza_add_child (marker, "displayed", TALK_XMPP_NS_CHAT_MARKERS);
  talk_xmpp_stanza_set_attribute (displayed, "id", id);
  talk_xmpp_stanza_add_child (marker, "store", TALK_XMPP_NS_HINTS);

  sent_id = talk_xmpp_message_send (self, marker, error);
  return sent_id != NULL;
}

/* GObject */

TalkXmppMessage *
talk_xmpp_message_new (TalkXmppSession *session)
{
  g_return_val_if_fail (TALK_XMPP_IS_SESSION (session), NULL);

  return g_object_new (TALK_XMPP_TYPE_MESSAGE, "session", session, NULL);
}

TalkXmppSession *
talk_xmpp_message_get_session (TalkXmppMessage *self)
{
  g_return_val_if_fail (TALK_XMPP_IS_MESSAGE (self), NULL);

  return self->session;
}

static void
talk_xmpp_message_constructed (GObject *object)
{
  TalkXmppMessage *self = TALK_XMPP_MESSAGE (object);

  G_OBJECT_CLASS (talk_xmpp_message_parent_class)->constructed (object);

  g_return_if_fail (TALK_XMPP_IS_SESSION (self->session));
  self->handler_id = talk_xmpp_session_add_handler (self->session, "message", NULL,
                                                    message_handle_cb, self, NULL);
}

static void
talk_xmpp_message_dispose (GObject *object)
{
  TalkXmppMessage *self = TALK_XMPP_MESSAGE (object);

  if (self->handler_id != 0)
    {
      talk_xmpp_session_remove_handler (self->session, self->handler_id);
      self->handler_id = 0;
    }
  g_clear_object (&self->session);

  G_OBJECT_CLASS (talk_xmpp_message_parent_class)->dispose (object);
}

static void
talk_xmpp_message_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  TalkXmppMessage *self = TALK_XMPP_MESSAGE (object);

  switch (prop_id)
    {
    case PROP_SESSION:
      g_value_set_object (value, self->session);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
talk_xmpp_message_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  TalkXmppMessage *self = TALK_XMPP_MESSAGE (object);

  switch (prop_id)
    {
    case PROP_SESSION:
      self->session = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
talk_xmpp_message_class_init (TalkXmppMessageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = talk_xmpp_message_constructed;
  object_class->dispose = talk_xmpp_message_dispose;
  object_class->get_property = talk_xmpp_message_get_property;
  object_class->set_property = talk_xmpp_message_set_property;

  properties[PROP_SESSION] =
    g_param_spec_object ("session", NULL, NULL,
                         TALK_XMPP_TYPE_SESSION,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[MESSAGE_RECEIVED] =
    g_signal_new ("message-received",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, TALK_XMPP_TYPE_MESSAGE_INFO | G_SIGNAL_TYPE_STATIC_SCOPE);

  signals[MESSAGE_ERROR] =
    g_signal_new ("message-error",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 3,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE,
                  G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
talk_xmpp_message_init (TalkXmppMessage *self)
{
}
