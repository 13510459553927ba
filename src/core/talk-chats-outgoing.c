/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * TalkChats: what the user writes.
 *
 *   send_message ──► store PENDING (fresh origin-id = stanza id) ──► online
 *   and flushed? ──► send ──► SM ack ("stanza-acknowledged") or, without
 *   stream management, the send itself ──► SENT ──► receipt: DELIVERED ──►
 *   displayed marker: READ; an error from the addressee: FAILED
 *
 * The flush of a stream sends every PENDING message in the order written;
 * messages stored meanwhile wait for it, so that the order on the wire is
 * the order typed. SECURITY.md §3.2–3.3: one origin-id per message for all
 * its sends, never twice on one stream, never lost (the row stays PENDING
 * until the server has it).
 */

#include "config.h"

#include "talk-chats-private.h"

/* Sending */

/* The JID our messages go out from. */
static const char *
chats_own_jid (TalkChats *self)
{
  TalkXmppJid *bound = talk_xmpp_session_get_bound_jid (self->session);

  return bound != NULL ? talk_xmpp_jid_to_string (bound) : self->account;
}

/* Whether the server will acknowledge what is sent (XEP-0198): then a
 * message is SENT when it does, else when it is handed to the stream. */
static gboolean
chats_expects_acks (TalkChats *self)
{
  TalkXmppStanza *features = talk_xmpp_session_get_features (self->session);

  return talk_xmpp_session_get_sm_enabled (self->session) ||
         (features != NULL && talk_xmpp_stanza_get_child (features, "sm", TALK_XMPP_NS_SM) != NULL);
}

/* Hands one stored PENDING message to the stream, unless this stream has
 * already had it. */
static void
chats_send_one (TalkChats   *self,
                TalkMessage *message)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  const char *origin_id = talk_message_get_origin_id (message);
  const char *peer = talk_message_get_peer (message);
  const char *replaces = talk_message_get_replaces (message);

  if (origin_id == NULL || g_hash_table_contains (self->sent, origin_id))
    return;

  if (replaces != NULL)
    id = talk_xmpp_message_send_correction (self->message, peer, talk_message_get_body (message),
                                            replaces, origin_id, &error);
  else
    id = talk_xmpp_message_send_chat (self->message, peer, talk_message_get_body (message),
                                      origin_id, &error);

  if (id == NULL)
    {
      /* Offline again: it stays PENDING for the next stream. */
      if (g_error_matches (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_NOT_CONNECTED))
        return;
      g_debug ("Cannot send to %s: %s", peer, error->message);
      _talk_chats_update_state (self, peer, origin_id, TALK_MESSAGE_STATE_FAILED, error->message);
      return;
    }

  g_hash_table_insert (self->sent, g_strdup (origin_id), g_strdup (peer));
  if (!chats_expects_acks (self))
    _talk_chats_update_state (self, peer, origin_id, TALK_MESSAGE_STATE_SENT, NULL);
}

static void
outgoing_stored_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(TalkChatsCall) call = user_data;
  g_autoptr(TalkChats) self = NULL;
  g_autoptr(GError) error = NULL;
  TalkHistoryOutcome outcome = TALK_HISTORY_OUTCOME_STORED;

  talk_history_store_finish (TALK_HISTORY (source), result, &outcome, &error);
  self = g_weak_ref_get (&call->self);
  if (self == NULL)
    return;

  if (error != NULL)
    {
      g_warning ("A message to %s could not be stored: %s", call->peer, error->message);
      _talk_chats_set_error (self, error);
      return;
    }
  _talk_chats_set_error (self, NULL);

  if (outcome == TALK_HISTORY_OUTCOME_REFUSED)
    return;

  /* Before the flush of this stream, the flush takes it, in order. */
  if (self->flushed && _talk_chats_is_online (self))
    chats_send_one (self, call->message);
}

void
_talk_chats_store_outgoing (TalkChats   *self,
                            TalkMessage *message)
{
  TalkChatsCall *call = _talk_chats_call_new (self);

  call->peer = g_strdup (talk_message_get_peer (message));
  call->message = g_object_ref (message);
  talk_history_store_async (self->history, self->account, message, NULL,
                            outgoing_stored_cb, call);
}

TalkMessage *
_talk_chats_new_outgoing (TalkChats  *self,
                          const char *peer,
                          const char *body,
                          const char *replaces)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *id = talk_xmpp_generate_id ();

  /* XEP-0359: the origin-id is also the stanza id, so that receipts,
   * markers, errors and corrections that name either find it. */
  return g_object_new (TALK_TYPE_MESSAGE,
                       "peer", peer,
                       "direction", TALK_MESSAGE_DIRECTION_OUT,
                       "sender", chats_own_jid (self),
                       "body", body,
                       "timestamp", now,
                       "state", TALK_MESSAGE_STATE_PENDING,
                       "origin-id", id,
                       "message-id", id,
                       "replaces", replaces,
                       NULL);
}

static void
list_pending_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(TalkChatsCall) call = user_data;
  g_autoptr(TalkChats) self = NULL;
  g_autoptr(GPtrArray) pending = NULL;
  g_autoptr(GError) error = NULL;

  pending = talk_history_list_pending_finish (TALK_HISTORY (source), result, &error);
  self = g_weak_ref_get (&call->self);
  if (self == NULL || call->serial != self->serial)
    return;

  /* Even after a failure: what is written from now on goes at once. */
  self->flushed = TRUE;
  if (pending == NULL)
    {
      g_warning ("Cannot read the messages waiting to be sent: %s", error->message);
      return;
    }

  if (!_talk_chats_is_online (self))
    return;
  for (guint i = 0; i < pending->len; i++)
    chats_send_one (self, g_ptr_array_index (pending, i));
}

/* Sends every PENDING message, in the order written, that this stream has
 * not had yet. Messages stored meanwhile wait for it. */
void
_talk_chats_flush_pending (TalkChats *self)
{
  self->flushed = FALSE;
  talk_history_list_pending_async (self->history, self->account, self->cancellable,
                                   list_pending_cb, _talk_chats_call_new (self));
}

/* Stream management (XEP-0198) */

void
_talk_chats_stanza_acknowledged_cb (TalkXmppSession *session,
                                    TalkXmppStanza  *stanza,
                                    TalkChats       *self)
{
  const char *id = talk_xmpp_stanza_get_id (stanza);
  const char *peer;

  if (g_strcmp0 (talk_xmpp_stanza_get_name (stanza), "message") != 0 || id == NULL)
    return;

  peer = g_hash_table_lookup (self->sent, id);
  if (peer != NULL)
    _talk_chats_update_state (self, peer, id, TALK_MESSAGE_STATE_SENT, NULL);
}

/* XEP-0198 §5: what the server never confirmed may be sent again on the
 * next stream, whose "online" flushes the PENDING messages. */
void
_talk_chats_stanzas_unacknowledged_cb (TalkXmppSession *session,
                                       GPtrArray       *stanzas,
                                       TalkChats       *self)
{
  for (guint i = 0; i < stanzas->len; i++)
    {
      TalkXmppStanza *stanza = g_ptr_array_index (stanzas, i);
      const char *id = talk_xmpp_stanza_get_id (stanza);

      if (g_strcmp0 (talk_xmpp_stanza_get_name (stanza), "message") == 0 && id != NULL)
        g_hash_table_remove (self->sent, id);
    }
}
