/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "talk-xmpp-session.h"
#include "talk-xmpp-stanza.h"

G_BEGIN_DECLS

#define TALK_XMPP_NS_SID          "urn:xmpp:sid:0"
#define TALK_XMPP_NS_DELAY        "urn:xmpp:delay"
#define TALK_XMPP_NS_FORWARD      "urn:xmpp:forward:0"
#define TALK_XMPP_NS_CHATSTATES   "http://jabber.org/protocol/chatstates"
#define TALK_XMPP_NS_RECEIPTS     "urn:xmpp:receipts"
#define TALK_XMPP_NS_CHAT_MARKERS "urn:xmpp:chat-markers:0"
#define TALK_XMPP_NS_CORRECTION   "urn:xmpp:message-correct:0"
#define TALK_XMPP_NS_HINTS        "urn:xmpp:hints"

/* Ids and thread ids longer than this are not ids anyone sends; they are
 * read as absent. */
#define TALK_XMPP_MESSAGE_MAX_ID_BYTES 256

/* Outgoing bodies are refused beyond this: servers close the stream on
 * stanzas over their limit (256 KiB for a Prosody client connection). */
#define TALK_XMPP_MESSAGE_MAX_SEND_BODY_BYTES (128 * 1024)

/**
 * TalkXmppMessageType:
 * @TALK_XMPP_MESSAGE_TYPE_NORMAL: 'normal', no type, or a type RFC 6121
 *   §5.2.2 does not know
 * @TALK_XMPP_MESSAGE_TYPE_CHAT: one-to-one chat
 * @TALK_XMPP_MESSAGE_TYPE_GROUPCHAT: a message in a multi-user chat
 * @TALK_XMPP_MESSAGE_TYPE_HEADLINE: an alert or notification, not stored
 * @TALK_XMPP_MESSAGE_TYPE_ERROR: an error reply to a message sent earlier
 *
 * The 'type' attribute of a message (RFC 6121 §5.2.2).
 */
typedef enum
{
  TALK_XMPP_MESSAGE_TYPE_NORMAL,
  TALK_XMPP_MESSAGE_TYPE_CHAT,
  TALK_XMPP_MESSAGE_TYPE_GROUPCHAT,
  TALK_XMPP_MESSAGE_TYPE_HEADLINE,
  TALK_XMPP_MESSAGE_TYPE_ERROR,
} TalkXmppMessageType;

#define TALK_XMPP_TYPE_MESSAGE_TYPE (talk_xmpp_message_type_get_type ())
GType        talk_xmpp_message_type_get_type (void) G_GNUC_CONST;

/* The attribute value ("normal", "chat", …). */
const char  *talk_xmpp_message_type_to_string (TalkXmppMessageType type);

/**
 * TalkXmppChatState:
 * @TALK_XMPP_CHAT_STATE_NONE: the message carries no chat state
 * @TALK_XMPP_CHAT_STATE_ACTIVE: paying attention to the conversation
 * @TALK_XMPP_CHAT_STATE_COMPOSING: typing
 * @TALK_XMPP_CHAT_STATE_PAUSED: stopped typing for a short while
 * @TALK_XMPP_CHAT_STATE_INACTIVE: not paying attention for a while
 * @TALK_XMPP_CHAT_STATE_GONE: has left the conversation
 *
 * Chat state notifications (XEP-0085).
 */
typedef enum
{
  TALK_XMPP_CHAT_STATE_NONE,
  TALK_XMPP_CHAT_STATE_ACTIVE,
  TALK_XMPP_CHAT_STATE_COMPOSING,
  TALK_XMPP_CHAT_STATE_PAUSED,
  TALK_XMPP_CHAT_STATE_INACTIVE,
  TALK_XMPP_CHAT_STATE_GONE,
} TalkXmppChatState;

#define TALK_XMPP_TYPE_CHAT_STATE (talk_xmpp_chat_state_get_type ())
GType        talk_xmpp_chat_state_get_type    (void) G_GNUC_CONST;

/* The element name ("active", …); %NULL for %TALK_XMPP_CHAT_STATE_NONE. */
const char  *talk_xmpp_chat_state_to_string   (TalkXmppChatState  state);
/* Returns: %FALSE when @str names no XEP-0085 state */
gboolean     talk_xmpp_chat_state_from_string (const char         *str,
                                               TalkXmppChatState  *state);

#define TALK_XMPP_TYPE_MESSAGE_INFO (talk_xmpp_message_info_get_type ())

/**
 * TalkXmppMessageInfo:
 *
 * One message as read from the network (RFC 6121 §5 and the XEPs below),
 * immutable and reference-counted. Every string in it is plain text from
 * the network: escape it before it goes near markup. JIDs are normalised
 * (RFC 7622).
 */
typedef struct _TalkXmppMessageInfo TalkXmppMessageInfo;

GType                talk_xmpp_message_info_get_type (void) G_GNUC_CONST;

/**
 * talk_xmpp_message_info_parse:
 * @message: a `<message/>` in jabber:client
 * @archive_jid: (nullable): the JID whose XEP-0359 stanza-ids are trusted:
 *   the own bare JID for one-to-one messages, a room's bare JID for its
 *   messages; %NULL trusts none
 * @error: set to %TALK_XMPP_ERROR_INVALID_JID when `from` or `to` is
 *   present but not a JID, %TALK_XMPP_ERROR_PROTOCOL when @message is not a
 *   message
 *
 * Reads a message; a pure function of its arguments. What is malformed in
 * an extension (a delay stamp that is not a XEP-0082 date, an id too long
 * to be one) is left out; a malformed address fails the whole message,
 * since a missing `from` would mean "from the own server".
 *
 * - body: the first `<body/>` without xml:lang, else the first one
 *   (RFC 6121 §5.2.3), %NULL when there is none;
 * - XEP-0359: origin-id (chosen by the sender: spoofable) and the
 *   stanza-id whose `by` equals @archive_jid (XEP-0359 #security: any
 *   other was added by someone else). It is only unique when the archive
 *   advertises urn:xmpp:sid:0, which the caller checks once per account;
 * - XEP-0203: the first valid `<delay/>`, in UTC, and its `from`;
 * - XEP-0085 chat state, XEP-0184 receipt request and receipt, XEP-0333
 *   markable and displayed marker, XEP-0308 replaced id (never the
 *   message's own id: CVE-2021-41055);
 * - for type='error', the error (RFC 6120 §8.3).
 *
 * Returns: (transfer full) (nullable): the message, or %NULL with @error
 */
TalkXmppMessageInfo *talk_xmpp_message_info_parse (TalkXmppStanza  *message,
                                                   const char      *archive_jid,
                                                   GError         **error);

/**
 * talk_xmpp_message_info_parse_forwarded:
 * @forwarded: a `<forwarded xmlns='urn:xmpp:forward:0'/>` (XEP-0297)
 *   holding one `<message/>` in jabber:client
 * @archive_jid: (nullable): as for talk_xmpp_message_info_parse()
 * @archive_id: (nullable): the id an archive gave the message (XEP-0313
 *   #results, `<result id>`): it becomes the stanza-id, by @archive_jid
 * @error: as for talk_xmpp_message_info_parse(), and
 *   %TALK_XMPP_ERROR_PROTOCOL when @forwarded does not hold a message
 *
 * Reads a forwarded message (carbons, archives) and marks it as such. The
 * `<delay/>` of the forwarding, when there is one, is the message's delay
 * (XEP-0297: when the forwarder received it).
 *
 * Returns: (transfer full) (nullable): the inner message
 */
TalkXmppMessageInfo *talk_xmpp_message_info_parse_forwarded (TalkXmppStanza  *forwarded,
                                                             const char      *archive_jid,
                                                             const char      *archive_id,
                                                             GError         **error);

TalkXmppMessageInfo *talk_xmpp_message_info_ref            (TalkXmppMessageInfo *self);
void                 talk_xmpp_message_info_unref          (TalkXmppMessageInfo *self);

TalkXmppMessageType  talk_xmpp_message_info_get_message_type (TalkXmppMessageInfo *self);
/* (nullable): absent means the own server or account */
const char          *talk_xmpp_message_info_get_from       (TalkXmppMessageInfo *self);
/* (nullable) */
const char          *talk_xmpp_message_info_get_to         (TalkXmppMessageInfo *self);
/* (nullable) */
const char          *talk_xmpp_message_info_get_id         (TalkXmppMessageInfo *self);
/* (nullable) */
const char          *talk_xmpp_message_info_get_body       (TalkXmppMessageInfo *self);
/* (nullable) */
const char          *talk_xmpp_message_info_get_subject    (TalkXmppMessageInfo *self);
/* (nullable) */
const char          *talk_xmpp_message_info_get_thread     (TalkXmppMessageInfo *self);
/* XEP-0359 (nullable) */
const char          *talk_xmpp_message_info_get_origin_id  (TalkXmppMessageInfo *self);
/* XEP-0359, only the one by the archive JID given to the parser (nullable) */
const char          *talk_xmpp_message_info_get_stanza_id  (TalkXmppMessageInfo *self);
/* The `by` of that stanza-id, normalised (nullable) */
const char          *talk_xmpp_message_info_get_stanza_id_by (TalkXmppMessageInfo *self);
/* XEP-0203, UTC. (transfer none) (nullable) */
GDateTime           *talk_xmpp_message_info_get_delay      (TalkXmppMessageInfo *self);
/* Who added the delay, normalised (nullable) */
const char          *talk_xmpp_message_info_get_delay_from (TalkXmppMessageInfo *self);
TalkXmppChatState    talk_xmpp_message_info_get_chat_state (TalkXmppMessageInfo *self);
/* XEP-0184: whether the sender asked for a receipt */
gboolean             talk_xmpp_message_info_get_receipt_requested (TalkXmppMessageInfo *self);
/* XEP-0184: the id of the message this one acknowledges (nullable) */
const char          *talk_xmpp_message_info_get_receipt_id (TalkXmppMessageInfo *self);
/* XEP-0333 */
gboolean             talk_xmpp_message_info_get_markable   (TalkXmppMessageInfo *self);
/* XEP-0333: the id of the message the sender has displayed (nullable) */
const char          *talk_xmpp_message_info_get_displayed_id (TalkXmppMessageInfo *self);
/* XEP-0308: the id of the message this one corrects (nullable) */
const char          *talk_xmpp_message_info_get_replace_id (TalkXmppMessageInfo *self);
/* For type='error', in %TALK_XMPP_STANZA_ERROR. (transfer none) (nullable) */
const GError        *talk_xmpp_message_info_get_error      (TalkXmppMessageInfo *self);

/* Whether it came out of a carbon copy or an archive (XEP-0297) */
gboolean             talk_xmpp_message_info_get_forwarded  (TalkXmppMessageInfo *self);

/**
 * talk_xmpp_message_info_wants_receipt:
 *
 * Whether XEP-0184 lets a receipt be sent for this message: it asked for
 * one, has an id and a sender, is of type chat or normal (never error;
 * never groupchat, #when-groupchat), and was delivered to this client
 * rather than forwarded: no receipts for archived messages
 * (#when-archive) nor for carbon copies (XEP-0280 §10.4).
 */
gboolean             talk_xmpp_message_info_wants_receipt  (TalkXmppMessageInfo *self);

/**
 * talk_xmpp_message_info_get_me_action:
 *
 * XEP-0245: a body that starts with "/me " is an action of the sender's,
 * shown as "* Bob waves" rather than as quoted text.
 *
 * Returns: (transfer none) (nullable): the text after "/me ", or %NULL
 *   when the body is no /me command
 */
const char          *talk_xmpp_message_info_get_me_action  (TalkXmppMessageInfo *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TalkXmppMessageInfo, talk_xmpp_message_info_unref)

#define TALK_XMPP_TYPE_MESSAGE (talk_xmpp_message_get_type ())
G_DECLARE_FINAL_TYPE (TalkXmppMessage, talk_xmpp_message, TALK_XMPP, MESSAGE, GObject)

/**
 * TalkXmppMessage:
 *
 * Messages of one session (RFC 6121 §5): sending chat messages with the
 * extensions a modern client expects, reading incoming ones.
 *
 * Signals:
 * - "message-received" (TalkXmppMessageInfo): a message that is neither
 *   an error nor a carbon copy (XEP-0280) nor an archive result
 *   (XEP-0313): TalkXmppCarbons and TalkXmppMam take those, after checking
 *   who sent them. Messages without a body (chat states, receipts,
 *   markers) are emitted too. Stanza-ids are trusted when `by` is the own
 *   bare JID, or for type='groupchat' the room's bare JID.
 * - "message-error" (const char *id, const char *from, GError *error): a
 *   type='error' reply to the message with that id, the error in
 *   %TALK_XMPP_STANZA_ERROR. @from (nullable) is who answered: compare it
 *   with where the message went (or that address's server) before
 *   believing it.
 *
 * Receipts (XEP-0184) are never sent automatically: a receipt promises
 * that the message is safe, which only the caller knows once it has
 * stored it. Call talk_xmpp_message_send_receipt() then.
 *
 * The handler leaves every message to later handlers as well (MUC, PEP),
 * so the order modules are created in does not matter.
 */
TalkXmppMessage *talk_xmpp_message_new          (TalkXmppSession *session);

/* (transfer none) */
TalkXmppSession *talk_xmpp_message_get_session  (TalkXmppMessage *self);

/**
 * talk_xmpp_message_build_chat:
 * @to: the addressee, a bare or full JID
 * @body: the text
 * @origin_id: (nullable): an id the caller keeps for this message and
 *   reuses when it sends it again (after a reconnect), so that the other
 *   side can tell a resend from a new message; %NULL makes one
 * @error: %TALK_XMPP_ERROR_INVALID_JID, or %G_IO_ERROR_MESSAGE_TOO_LARGE
 *   beyond %TALK_XMPP_MESSAGE_MAX_SEND_BODY_BYTES
 *
 * A type='chat' message with @body, the stanza id and the XEP-0359
 * origin-id both set to @origin_id, a XEP-0184 receipt request, the
 * XEP-0333 markable flag and the XEP-0085 `<active/>` state. Callers may
 * add to it (XEP-0280 `<private/>`) before talk_xmpp_message_send().
 *
 * Returns: (transfer full) (nullable): the message
 */
TalkXmppStanza  *talk_xmpp_message_build_chat   (const char  *to,
                                                 const char  *body,
                                                 const char  *origin_id,
                                                 GError     **error);

/**
 * talk_xmpp_message_send:
 * @message: a `<message/>`; an id is added when it has none
 * @error: %TALK_XMPP_ERROR_NOT_CONNECTED when the session is not online
 *
 * Returns: (transfer full) (nullable): the stanza id, which receipts,
 *   markers and error replies refer to
 */
char            *talk_xmpp_message_send         (TalkXmppMessage  *self,
                                                 TalkXmppStanza   *message,
                                                 GError          **error);

/**
 * talk_xmpp_message_send_chat:
 *
 * Builds a chat message with talk_xmpp_message_build_chat() and sends it.
 *
 * Returns: (transfer full) (nullable): the stanza id (@origin_id when it
 *   was given), or %NULL with @error
 */
char            *talk_xmpp_message_send_chat    (TalkXmppMessage  *self,
                                                 const char       *to,
                                                 const char       *body,
                                                 const char       *origin_id,
                                                 GError          **error);

/**
 * talk_xmpp_message_send_correction:
 * @replace_id: the id of the message of the user's this one corrects
 * @origin_id: (nullable): the correction's own stable id
 *
 * A chat message like talk_xmpp_message_send_chat() that replaces the text
 * of an earlier one (XEP-0308).
 *
 * Returns: (transfer full) (nullable): the correction's stanza id
 */
char            *talk_xmpp_message_send_correction (TalkXmppMessage  *self,
                                                    const char       *to,
                                                    const char       *body,
                                                    const char       *replace_id,
                                                    const char       *origin_id,
                                                    GError          **error);

/**
 * talk_xmpp_message_send_chat_state:
 * @state: any state but %TALK_XMPP_CHAT_STATE_NONE
 *
 * A standalone chat state notification (XEP-0085), with a XEP-0334
 * no-store hint so that archives do not keep it.
 *
 * Returns: %FALSE with @error (%TALK_XMPP_ERROR_INVALID_JID,
 *   %TALK_XMPP_ERROR_NOT_CONNECTED)
 */
gboolean         talk_xmpp_message_send_chat_state (TalkXmppMessage    *self,
                                                    const char         *to,
                                                    TalkXmppChatState   state,
                                                    GError            **error);

/**
 * talk_xmpp_message_send_receipt:
 * @message: a message received from someone
 *
 * Acknowledges @message (XEP-0184 #format), with the type it had. Call it once the message is
 * stored, never before. Sending receipts reveals that the user is online:
 * XEP-0184 #security asks not to send them to senders who may not see the
 * user's presence, which the caller decides.
 *
 * Returns: %FALSE with @error: %G_IO_ERROR_NOT_SUPPORTED when no receipt
 *   is due (talk_xmpp_message_info_wants_receipt()),
 *   %TALK_XMPP_ERROR_NOT_CONNECTED
 */
gboolean         talk_xmpp_message_send_receipt (TalkXmppMessage      *self,
                                                 TalkXmppMessageInfo  *message,
                                                 GError              **error);

/**
 * talk_xmpp_message_send_displayed:
 * @to: the sender of the message that was displayed
 * @id: the id of that message (for type groupchat: its stanza-id)
 * @type: the type of that message: chat, normal or groupchat
 *
 * Tells the sender that the user has seen the message with @id and every
 * one before it (XEP-0333). Only for messages that were markable. Has a
 * XEP-0334 store hint, so that the user's other devices learn it from the
 * archive.
 *
 * Returns: %FALSE with @error: %TALK_XMPP_ERROR_INVALID_JID,
 *   %G_IO_ERROR_INVALID_ARGUMENT for an empty @id or a type that takes no
 *   markers, %TALK_XMPP_ERROR_NOT_CONNECTED
 */
gboolean         talk_xmpp_message_send_displayed (TalkXmppMessage      *self,
                                                   const char           *to,
                                                   const char           *id,
                                                   TalkXmppMessageType   type,
                                                   GError              **error);

G_END_DECLS
