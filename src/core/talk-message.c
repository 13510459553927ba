/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * One chat message. What identifies and dates it is fixed at construction;
 * what the network reports later (state, corrections) changes through the
 * setters, which notify only on a real change so that a row bound to the
 * message redraws only then.
 */

#include "config.h"

#include "talk-message-private.h"

struct _TalkMessage
{
  GObject parent_instance;

  gint64 id;
  char *peer;
  TalkMessageDirection direction;
  char *sender;
  char *body;
  /* The instants are kept in µs; their GDateTimes are made when asked
   * for, which most messages of a burst never are. */
  gint64 timestamp_us;
  gint64 server_timestamp_us;
  gboolean has_timestamp;
  gboolean has_server_timestamp;
  GDateTime *timestamp;
  GDateTime *server_timestamp;
  TalkMessageState state;
  char *error;
  char *stanza_id;
  char *stanza_id_by;
  char *origin_id;
  char *message_id;
  char *replaces;
  char *archive_id;
  gboolean edited;
  gboolean markable;
};

enum
{
  PROP_0,
  PROP_ID,
  PROP_PEER,
  PROP_DIRECTION,
  PROP_SENDER,
  PROP_BODY,
  PROP_TIMESTAMP,
  PROP_SERVER_TIMESTAMP,
  PROP_STATE,
  PROP_ERROR,
  PROP_STANZA_ID,
  PROP_STANZA_ID_BY,
  PROP_ORIGIN_ID,
  PROP_MESSAGE_ID,
  PROP_REPLACES,
  PROP_ARCHIVE_ID,
  PROP_EDITED,
  PROP_MARKABLE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (TalkMessage, talk_message, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (TalkMessageDirection, talk_message_direction,
                    G_DEFINE_ENUM_VALUE (TALK_MESSAGE_DIRECTION_IN, "in"),
                    G_DEFINE_ENUM_VALUE (TALK_MESSAGE_DIRECTION_OUT, "out"))

G_DEFINE_ENUM_TYPE (TalkMessageState, talk_message_state,
                    G_DEFINE_ENUM_VALUE (TALK_MESSAGE_STATE_PENDING, "pending"),
                    G_DEFINE_ENUM_VALUE (TALK_MESSAGE_STATE_SENT, "sent"),
                    G_DEFINE_ENUM_VALUE (TALK_MESSAGE_STATE_DELIVERED, "delivered"),
                    G_DEFINE_ENUM_VALUE (TALK_MESSAGE_STATE_READ, "read"),
                    G_DEFINE_ENUM_VALUE (TALK_MESSAGE_STATE_FAILED, "failed"))

gboolean
talk_message_state_can_follow (TalkMessageState current,
                               TalkMessageState next)
{
  if (next == current)
    return FALSE;

  if (next == TALK_MESSAGE_STATE_FAILED)
    return current == TALK_MESSAGE_STATE_PENDING || current == TALK_MESSAGE_STATE_SENT;

  /* A receipt proves the message arrived after all; pending again is the
   * user asking to send it once more. A late ack proves nothing new. */
  if (current == TALK_MESSAGE_STATE_FAILED)
    return next != TALK_MESSAGE_STATE_SENT;

  return next > current;
}

/* GDateTime has no µs constructor before GLib 2.80. */
static GDateTime *
date_time_new_from_unix_us (gint64 us)
{
  g_autoptr(GDateTime) seconds = g_date_time_new_from_unix_utc (us / G_USEC_PER_SEC);
  gint64 rest = us % G_USEC_PER_SEC;

  if (seconds == NULL)
    return NULL;
  return g_date_time_add (seconds, rest);
}

static gint64
date_time_to_unix_us (GDateTime *dt)
{
  return g_date_time_to_unix (dt) * G_USEC_PER_SEC + g_date_time_get_microsecond (dt);
}

/* GDateTime covers the years 1 to 9999. */
static gboolean
unix_us_is_valid (gint64 us)
{
  return us >= G_GINT64_CONSTANT (-62135596800) * G_USEC_PER_SEC &&
         us <= G_GINT64_CONSTANT (253402300799) * G_USEC_PER_SEC;
}

/* Public API */

TalkMessage *
talk_message_new (const char           *peer,
                  TalkMessageDirection  direction,
                  const char           *sender,
                  const char           *body,
                  GDateTime            *timestamp)
{
  g_return_val_if_fail (peer != NULL, NULL);
  g_return_val_if_fail (sender != NULL, NULL);
  g_return_val_if_fail (body != NULL, NULL);

  return g_object_new (TALK_TYPE_MESSAGE,
                       "peer", peer,
                       "direction", direction,
                       "sender", sender,
                       "body", body,
                       "timestamp", timestamp,
                       NULL);
}

gint64
talk_message_get_id (TalkMessage *self)
{
  g_return_val_if_fail (TALK_IS_MESSAGE (self), 0);
  return self->id;
}

const char *
talk_message_get_peer (TalkMessage *self)
{
  g_return_val_if_fail (TALK_IS_MESSAGE (self), NULL);
  return self->peer;
}

TalkMessageDirection
talk_message_get_direction (TalkMessage *self)
{
  g_return_val_if_fail (TALK_IS_MESSAGE (self), TALK_MESSAGE_DIRECTION_IN);
  return self->direction;
}

const char *
talk_message_get_sender (TalkMessage *self)
{
  g_return_val_if_fail (TALK_IS_MESSAGE (self), NULL);
  return self->sender;
}

const char *
talk_message_get_body (TalkMessage *self)
{
  g_return_val_if_fail (TALK_IS_MESSAGE (self), NULL);
  return self->body;
}

GDateTime *
talk_message_get_timestamp (TalkMessage *self)
{
  g_return_val_if_fail (TALK_IS_MESSAGE (self), NULL);

  if (self->timestamp == NULL)
    self->timestamp = date_time_new_from_unix_us (self->timestamp_us);
  return self->timestamp;
}

gint64
talk_message_get_timestamp_us (TalkMessage *self)
{
  g_return_val_if_fail (TALK_IS_MESSAGE (self), 0);
  return self->timestamp_us;
}

GDateTime *
talk_message_get_server_timestamp (TalkMessage *self)
{
  g_return_val_if_fail (TALK_IS_MESSAGE (self), NULL);

  if (self->server_timestamp == NULL && self->has_server_timestamp)
    self->server_timestamp = date_time_new_from_unix_us (self->server_timestamp_us);
  return self->server_timestamp;
}

/* Private API */

gboolean
_talk_message_get_server_timestamp_us (TalkMessage *self,
                                       gint64      *us)
{
  g_return_val_if_fail (TALK_IS_MESSAGE (self), FALSE);

  *us = self->server_timestamp_us;
  return self->has_server_timestamp;
}

TalkMessage *
_talk_message_new_from_fields (const TalkMessageFields *fields)
{
  TalkMessage *self;

  g_return_val_if_fail (fields != NULL, NULL);

  /* No GValue per property: this is the constructor of every message
   * received or read from the history. */
  self = g_object_new (TALK_TYPE_MESSAGE, NULL);
  self->id = MAX (fields->id, 0);
  g_free (self->peer);
  self->peer = g_strdup (fields->peer != NULL ? fields->peer : "");
  self->direction = fields->direction;
  g_free (self->sender);
  self->sender = g_strdup (fields->sender != NULL ? fields->sender : "");
  g_free (self->body);
  self->body = g_strdup (fields->body != NULL ? fields->body : "");
  /* As the "timestamp" property: an instant GDateTime cannot hold is now. */
  if (unix_us_is_valid (fields->timestamp_us))
    self->timestamp_us = fields->timestamp_us;
  self->has_server_timestamp = fields->has_server_timestamp &&
                               unix_us_is_valid (fields->server_timestamp_us);
  self->server_timestamp_us = self->has_server_timestamp ? fields->server_timestamp_us : 0;
  self->state = fields->state;
  self->error = g_strdup (fields->error);
  self->stanza_id = g_strdup (fields->stanza_id);
  self->stanza_id_by = g_strdup (fields->stanza_id_by);
  self->origin_id = g_strdup (fields->origin_id);
  self->message_id = g_strdup (fields->message_id);
  self->replaces = g_strdup (fields->replaces);
  self->archive_id = g_strdup (fields->archive_id);
  self->edited = fields->edited;
  self->markable = fields->markable;
  return self;
}

TalkMessageState
talk_message_get_state (TalkMessage *self)
{
  g_return_val_if_fail (TALK_IS_MESSAGE (self), TALK_MESSAGE_STATE_PENDING);
  return self->state;
}

const char *
talk_message_get_error (TalkMessage *self)
{
  g_return_val_if_fail (TALK_IS_MESSAGE (self), NULL);
  return self->error;
}

const char *
talk_message_get_stanza_id (TalkMessage *self)
{
  g_return_val_if_fail (TALK_IS_MESSAGE (self), NULL);
  return self->stanza_id;
}

const char *
talk_message_get_stanza_id_by (TalkMessage *self)
{
  g_return_val_if_fail (TALK_IS_MESSAGE (self), NULL);
  return self->stanza_id_by;
}

const char *
talk_message_get_origin_id (TalkMessage *self)
{
  g_return_val_if_fail (TALK_IS_MESSAGE (self), NULL);
  return self->origin_id;
}

const char *
talk_message_get_message_id (TalkMessage *self)
{
  g_return_val_if_fail (TALK_IS_MESSAGE (self), NULL);
  return self->message_id;
}

const char *
talk_message_get_replaces (TalkMessage *self)
{
  g_return_val_if_fail (TALK_IS_MESSAGE (self), NULL);
  return self->replaces;
}

const char *
talk_message_get_archive_id (TalkMessage *self)
{
  g_return_val_if_fail (TALK_IS_MESSAGE (self), NULL);
  return self->archive_id;
}

gboolean
talk_message_get_edited (TalkMessage *self)
{
  g_return_val_if_fail (TALK_IS_MESSAGE (self), FALSE);
  return self->edited;
}

gboolean
talk_message_get_markable (TalkMessage *self)
{
  g_return_val_if_fail (TALK_IS_MESSAGE (self), FALSE);
  return self->markable;
}

void
talk_message_set_id (TalkMessage *self,
                     gint64       id)
{
  g_return_if_fail (TALK_IS_MESSAGE (self));
  g_return_if_fail (id > 0);

  if (self->id == id)
    return;

  self->id = id;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ID]);
}

gboolean
talk_message_set_body (TalkMessage *self,
                       const char  *body)
{
  g_return_val_if_fail (TALK_IS_MESSAGE (self), FALSE);
  g_return_val_if_fail (body != NULL, FALSE);

  if (g_strcmp0 (self->body, body) == 0)
    return FALSE;

  g_free (self->body);
  self->body = g_strdup (body);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BODY]);
  return TRUE;
}

gboolean
talk_message_set_state (TalkMessage      *self,
                        TalkMessageState  state,
                        const char       *error)
{
  gboolean changed = FALSE;

  g_return_val_if_fail (TALK_IS_MESSAGE (self), FALSE);

  if (state != TALK_MESSAGE_STATE_FAILED)
    error = NULL;

  g_object_freeze_notify (G_OBJECT (self));

  if (self->state != state)
    {
      self->state = state;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
      changed = TRUE;
    }

  if (g_strcmp0 (self->error, error) != 0)
    {
      g_free (self->error);
      self->error = g_strdup (error);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
      changed = TRUE;
    }

  g_object_thaw_notify (G_OBJECT (self));
  return changed;
}

gboolean
talk_message_set_edited (TalkMessage *self,
                         gboolean     edited)
{
  g_return_val_if_fail (TALK_IS_MESSAGE (self), FALSE);

  edited = !!edited;
  if (self->edited == edited)
    return FALSE;

  self->edited = edited;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EDITED]);
  return TRUE;
}

/* GObject */

static void
talk_message_constructed (GObject *object)
{
  TalkMessage *self = TALK_MESSAGE (object);

  G_OBJECT_CLASS (talk_message_parent_class)->constructed (object);

  if (!self->has_timestamp)
    self->timestamp_us = g_get_real_time ();

  if (self->peer == NULL)
    self->peer = g_strdup ("");
  if (self->sender == NULL)
    self->sender = g_strdup ("");
  if (self->body == NULL)
    self->body = g_strdup ("");
}

static void
talk_message_finalize (GObject *object)
{
  TalkMessage *self = TALK_MESSAGE (object);

  g_free (self->peer);
  g_free (self->sender);
  g_free (self->body);
  g_clear_pointer (&self->timestamp, g_date_time_unref);
  g_clear_pointer (&self->server_timestamp, g_date_time_unref);
  g_free (self->error);
  g_free (self->stanza_id);
  g_free (self->stanza_id_by);
  g_free (self->origin_id);
  g_free (self->message_id);
  g_free (self->replaces);
  g_free (self->archive_id);

  G_OBJECT_CLASS (talk_message_parent_class)->finalize (object);
}

static void
talk_message_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  TalkMessage *self = TALK_MESSAGE (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_int64 (value, self->id);
      break;
    case PROP_PEER:
      g_value_set_string (value, self->peer);
      break;
    case PROP_DIRECTION:
      g_value_set_enum (value, self->direction);
      break;
    case PROP_SENDER:
      g_value_set_string (value, self->sender);
      break;
    case PROP_BODY:
      g_value_set_string (value, self->body);
      break;
    case PROP_TIMESTAMP:
      g_value_set_boxed (value, talk_message_get_timestamp (self));
      break;
    case PROP_SERVER_TIMESTAMP:
      g_value_set_boxed (value, talk_message_get_server_timestamp (self));
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_ERROR:
      g_value_set_string (value, self->error);
      break;
    case PROP_STANZA_ID:
      g_value_set_string (value, self->stanza_id);
      break;
    case PROP_STANZA_ID_BY:
      g_value_set_string (value, self->stanza_id_by);
      break;
    case PROP_ORIGIN_ID:
      g_value_set_string (value, self->origin_id);
      break;
    case PROP_MESSAGE_ID:
      g_value_set_string (value, self->message_id);
      break;
    case PROP_REPLACES:
      g_value_set_string (value, self->replaces);
      break;
    case PROP_ARCHIVE_ID:
      g_value_set_string (value, self->archive_id);
      break;
    case PROP_EDITED:
      g_value_set_boolean (value, self->edited);
      break;
    case PROP_MARKABLE:
      g_value_set_boolean (value, self->markable);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
talk_message_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  TalkMessage *self = TALK_MESSAGE (object);

  switch (prop_id)
    {
    case PROP_ID:
      self->id = g_value_get_int64 (value);
      break;
    case PROP_PEER:
      self->peer = g_value_dup_string (value);
      break;
    case PROP_DIRECTION:
      self->direction = g_value_get_enum (value);
      break;
    case PROP_SENDER:
      self->sender = g_value_dup_string (value);
      break;
    case PROP_BODY:
      self->body = g_value_dup_string (value);
      break;
    case PROP_TIMESTAMP:
      if (g_value_get_boxed (value) != NULL)
        {
          self->timestamp_us = date_time_to_unix_us (g_value_get_boxed (value));
          self->has_timestamp = TRUE;
        }
      break;
    case PROP_SERVER_TIMESTAMP:
      if (g_value_get_boxed (value) != NULL)
        {
          self->server_timestamp_us = date_time_to_unix_us (g_value_get_boxed (value));
          self->has_server_timestamp = TRUE;
        }
      break;
    case PROP_STATE:
      self->state = g_value_get_enum (value);
      break;
    case PROP_ERROR:
      self->error = g_value_dup_string (value);
      break;
    case PROP_STANZA_ID:
      self->stanza_id = g_value_dup_string (value);
      break;
    case PROP_STANZA_ID_BY:
      self->stanza_id_by = g_value_dup_string (value);
      break;
    case PROP_ORIGIN_ID:
      self->origin_id = g_value_dup_string (value);
      break;
    case PROP_MESSAGE_ID:
      self->message_id = g_value_dup_string (value);
      break;
    case PROP_REPLACES:
      self->replaces = g_value_dup_string (value);
      break;
    case PROP_ARCHIVE_ID:
      self->archive_id = g_value_dup_string (value);
      break;
    case PROP_EDITED:
      self->edited = g_value_get_boolean (value);
      break;
    case PROP_MARKABLE:
      self->markable = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
talk_message_class_init (TalkMessageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  /* All are set at construction (the history builds messages it loads
   * that way); "id", "body", "state", "error" and "edited" then change
   * through the setters only, which notify. */
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                            G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->constructed = talk_message_constructed;
  object_class->finalize = talk_message_finalize;
  object_class->get_property = talk_message_get_property;
  object_class->set_property = talk_message_set_property;

  properties[PROP_ID] =
    g_param_spec_int64 ("id", NULL, NULL, 0, G_MAXINT64, 0, flags);
  properties[PROP_PEER] =
    g_param_spec_string ("peer", NULL, NULL, NULL, flags);
  properties[PROP_DIRECTION] =
    g_param_spec_enum ("direction", NULL, NULL, TALK_TYPE_MESSAGE_DIRECTION,
                       TALK_MESSAGE_DIRECTION_IN, flags);
  properties[PROP_SENDER] =
    g_param_spec_string ("sender", NULL, NULL, NULL, flags);
  properties[PROP_BODY] =
    g_param_spec_string ("body", NULL, NULL, NULL, flags);
  properties[PROP_TIMESTAMP] =
    g_param_spec_boxed ("timestamp", NULL, NULL, G_TYPE_DATE_TIME, flags);
  properties[PROP_SERVER_TIMESTAMP] =
    g_param_spec_boxed ("server-timestamp", NULL, NULL, G_TYPE_DATE_TIME, flags);
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, TALK_TYPE_MESSAGE_STATE,
                       TALK_MESSAGE_STATE_PENDING, flags);
  properties[PROP_ERROR] =
    g_param_spec_string ("error", NULL, NULL, NULL, flags);
  properties[PROP_STANZA_ID] =
    g_param_spec_string ("stanza-id", NULL, NULL, NULL, flags);
  properties[PROP_STANZA_ID_BY] =
    g_param_spec_string ("stanza-id-by", NULL, NULL, NULL, flags);
  properties[PROP_ORIGIN_ID] =
    g_param_spec_string ("origin-id", NULL, NULL, NULL, flags);
  properties[PROP_MESSAGE_ID] =
    g_param_spec_string ("message-id", NULL, NULL, NULL, flags);
  properties[PROP_REPLACES] =
    g_param_spec_string ("replaces", NULL, NULL, NULL, flags);
  properties[PROP_ARCHIVE_ID] =
    g_param_spec_string ("archive-id", NULL, NULL, NULL, flags);
  properties[PROP_EDITED] =
    g_param_spec_boolean ("edited", NULL, NULL, FALSE, flags);
  properties[PROP_MARKABLE] =
    g_param_spec_boolean ("markable", NULL, NULL, FALSE, flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
talk_message_init (TalkMessage *self)
{
}
