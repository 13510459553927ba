/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What TalkChats and TalkHistory, which make messages by the thousand (a
 * burst received, a page read), share with TalkMessage: a constructor
 * that takes the fields as they are, without a GValue per property and a
 * GDateTime per instant.
 */
#pragma once

#include "talk-message.h"

G_BEGIN_DECLS

/* The construct-only properties and the first values of the others.
 * Strings are copied; instants are µs since the Unix epoch (UTC). */
typedef struct
{
  gint64 id;
  const char *peer;
  TalkMessageDirection direction;
  const char *sender;
  const char *body;
  gint64 timestamp_us;
  gboolean has_server_timestamp;
  gint64 server_timestamp_us;
  TalkMessageState state;
  const char *error;
  const char *stanza_id;
  const char *stanza_id_by;
  const char *origin_id;
  const char *message_id;
  const char *replaces;
  const char *archive_id;
  gboolean edited;
  gboolean markable;
} TalkMessageFields;

/* Returns: (transfer full): as g_object_new() with the same properties;
 * an instant GDateTime cannot hold (outside the years 1 to 9999) is taken
 * as now for the timestamp and as none for the server's. */
TalkMessage *_talk_message_new_from_fields         (const TalkMessageFields *fields);

/* Returns: whether there is a server timestamp; @us is set either way. */
gboolean     _talk_message_get_server_timestamp_us (TalkMessage             *self,
                                                    gint64                  *us);

G_END_DECLS
