/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * TalkMessageDirection:
 * @TALK_MESSAGE_DIRECTION_IN: received from the peer
 * @TALK_MESSAGE_DIRECTION_OUT: written by the account (here or on another
 *   of its devices, seen through a carbon or the archive)
 */
typedef enum
{
  TALK_MESSAGE_DIRECTION_IN,
  TALK_MESSAGE_DIRECTION_OUT,
} TalkMessageDirection;

/**
 * TalkMessageState:
 * @TALK_MESSAGE_STATE_PENDING: outgoing, not yet handed to the server
 *   (written offline, or waiting for the stream); sent once online
 * @TALK_MESSAGE_STATE_SENT: the server acknowledged it (XEP-0198) or it came
 *   back as a carbon
 * @TALK_MESSAGE_STATE_DELIVERED: outgoing: a receipt (XEP-0184) or a
 *   "received" marker (XEP-0333) came back; incoming: received, not read
 * @TALK_MESSAGE_STATE_READ: a "displayed" marker came back (outgoing), or the
 *   user saw it (incoming)
 * @TALK_MESSAGE_STATE_FAILED: the server or the peer returned an error;
 *   "error" says which
 *
 * The states from pending to read only move forwards; see
 * talk_message_state_can_follow().
 */
typedef enum
{
  TALK_MESSAGE_STATE_PENDING,
  TALK_MESSAGE_STATE_SENT,
  TALK_MESSAGE_STATE_DELIVERED,
  TALK_MESSAGE_STATE_READ,
  TALK_MESSAGE_STATE_FAILED,
} TalkMessageState;

#define TALK_TYPE_MESSAGE_DIRECTION (talk_message_direction_get_type ())
GType talk_message_direction_get_type (void) G_GNUC_CONST;
#define TALK_TYPE_MESSAGE_STATE (talk_message_state_get_type ())
GType talk_message_state_get_type (void) G_GNUC_CONST;

/**
 * talk_message_state_can_follow:
 * @current: the state held
 * @next: a state reported later
 *
 * Whether @next replaces @current. Reports arrive out of order (a late
 * server ack after the peer's receipt), so a state never moves back; a
 * failure replaces pending and sent only, and anything that proves the
 * message arrived replaces a failure.
 *
 * Returns: %TRUE when @next is news
 */
gboolean talk_message_state_can_follow (TalkMessageState current,
                                        TalkMessageState next);

#define TALK_TYPE_MESSAGE (talk_message_get_type ())
G_DECLARE_FINAL_TYPE (TalkMessage, talk_message, TALK, MESSAGE, GObject)

/**
 * TalkMessage:
 *
 * One chat message of a conversation, as stored by #TalkHistory.
 *
 * Construct-only properties, set with g_object_new() when a message is
 * received or written: "peer" (the bare JID of the conversation),
 * "direction", "sender" (the full JID that sent it), "timestamp" (GDateTime,
 * when it was written: the XEP-0203 delay stamp when there is one, else the
 * time it arrived), "server-timestamp" (GDateTime, nullable: the archive's
 * time), "stanza-id" and "stanza-id-by" (XEP-0359, set only when the server
 * that assigned it is trusted to), "origin-id" (XEP-0359), "message-id" (the
 * stanza's id attribute), "replaces" (XEP-0308: the id of the message this
 * one corrects), "archive-id" (XEP-0313), "markable" (an incoming message
 * that asked for chat markers, XEP-0333: the history keeps it so that the
 * displayed marker is still owed after a restart).
 *
 * Changing properties, which notify: "id" (the history row, 0 until
 * stored), "body", "state", "error" (nullable: a sentence for people about
 * a failure), "edited" (a correction replaced the body).
 */
TalkMessage          *talk_message_new                  (const char           *peer,
                                                         TalkMessageDirection  direction,
                                                         const char           *sender,
                                                         const char           *body,
                                                         GDateTime            *timestamp);

gint64                talk_message_get_id               (TalkMessage *self);
const char           *talk_message_get_peer             (TalkMessage *self);
TalkMessageDirection  talk_message_get_direction        (TalkMessage *self);
const char           *talk_message_get_sender           (TalkMessage *self);
const char           *talk_message_get_body             (TalkMessage *self);
/* (transfer none): UTC */
GDateTime            *talk_message_get_timestamp        (TalkMessage *self);
/* The same instant in µs since the Unix epoch, the order of the history. */
gint64                talk_message_get_timestamp_us     (TalkMessage *self);
/* (transfer none) (nullable) */
GDateTime            *talk_message_get_server_timestamp (TalkMessage *self);
TalkMessageState      talk_message_get_state            (TalkMessage *self);
/* (nullable) for all of these */
const char           *talk_message_get_error            (TalkMessage *self);
const char           *talk_message_get_stanza_id        (TalkMessage *self);
const char           *talk_message_get_stanza_id_by     (TalkMessage *self);
const char           *talk_message_get_origin_id        (TalkMessage *self);
const char           *talk_message_get_message_id       (TalkMessage *self);
const char           *talk_message_get_replaces         (TalkMessage *self);
const char           *talk_message_get_archive_id       (TalkMessage *self);
gboolean              talk_message_get_edited           (TalkMessage *self);
gboolean              talk_message_get_markable         (TalkMessage *self);

/**
 * talk_message_set_id:
 * @id: the history row, > 0
 *
 * Set by #TalkHistory once the message is stored.
 */
void                  talk_message_set_id               (TalkMessage *self,
                                                         gint64       id);

/**
 * talk_message_set_body:
 * @body: the new text
 *
 * Returns: whether it changed (and "body" was notified)
 */
gboolean              talk_message_set_body             (TalkMessage *self,
                                                         const char  *body);

/**
 * talk_message_set_state:
 * @state: the new state
 * @error: (nullable): why it failed, for people; only kept with
 *   %TALK_MESSAGE_STATE_FAILED
 *
 * Sets the state as it is; callers that receive reports check
 * talk_message_state_can_follow() first.
 *
 * Returns: whether anything changed
 */
gboolean              talk_message_set_state            (TalkMessage      *self,
                                                         TalkMessageState  state,
                                                         const char       *error);

gboolean              talk_message_set_edited           (TalkMessage *self,
                                                         gboolean     edited);

G_END_DECLS
