/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * TalkChats: live messages and carbons (XEP-0280).
 *
 *   "message-received" / "carbon-*" ──► reports (receipt, marker, chat state)
 *        │ with a body: hold the XEP-0198 ack
 *        ▼
 *   stanza-ids trusted (disco of the own account, once) and the catch-up's
 *   first page stored? ──► else wait, in order
 *        ▼
 *   TalkMessage ──► talk_history_store (dedup, corrections) ──► "messages-added"
 *        │                                    (the open TalkConversation follows)
 *        ▼
 *   "message-received" ──► XEP-0184 receipt ──► release the ack
 *
 * A message that cannot be stored keeps its ack held (SECURITY.md §3.4):
 * the server keeps it, and the archive has it for the next catch-up.
 */

#include "config.h"

#include <string.h>

#include "talk-chats-private.h"
#include "talk-message-private.h"

/* Messages */

/*
 * A message as received (live, carbon or archive) for the history. The
 * stanza-id counts only when the server vouches for it (XEP-0359
 * #security); an archive result's id is the archive's own.
 */
TalkMessage *
_talk_chats_message_from_info (TalkChats            *self,
                               TalkXmppMessageInfo  *info,
                               TalkChatsOrigin       origin,
                               const char           *peer,
                               TalkMessageDirection  direction,
                               TalkMessageState      state)
{
  TalkMessageFields fields = { 0 };
  GDateTime *delay = talk_xmpp_message_info_get_delay (info);
  const char *from = talk_xmpp_message_info_get_from (info);
  const char *stanza_id = talk_xmpp_message_info_get_stanza_id (info);
  gboolean archived = origin == TALK_CHATS_ORIGIN_ARCHIVE;
  const char *archive_id;
  /* XEP-0333: a marker names the message by its id; one already read
   * (an older archive page) is owed none. */
  gboolean markable = direction == TALK_MESSAGE_DIRECTION_IN &&
                      state != TALK_MESSAGE_STATE_READ &&
                      talk_xmpp_message_info_get_markable (info) &&
                      talk_xmpp_message_info_get_id (info) != NULL;

  if (!archived && self->sid != TALK_CHATS_SID_TRUSTED)
    stanza_id = NULL;
  /* The stanza-id the own server gave a live message is its id in the
   * own archive (XEP-0313 §5): the catch-up after a new session starts
   * from it, not from the newest page only. */
  archive_id = archived ? stanza_id : NULL;
  if (!archived && stanza_id != NULL &&
      g_strcmp0 (talk_xmpp_message_info_get_stanza_id_by (info), self->account) == 0)
    archive_id = stanza_id;

  fields.peer = peer;
  fields.direction = direction;
  fields.sender = from != NULL ? from : self->account;
  fields.body = talk_xmpp_message_info_get_body (info);
  fields.timestamp_us = delay != NULL ? g_date_time_to_unix (delay) * G_USEC_PER_SEC +
                                        g_date_time_get_microsecond (delay)
                                      : g_get_real_time ();
  fields.has_server_timestamp = archived;
  fields.server_timestamp_us = fields.timestamp_us;
  fields.state = state;
  fields.stanza_id = stanza_id;
  fields.stanza_id_by = stanza_id != NULL ? talk_xmpp_message_info_get_stanza_id_by (info) : NULL;
  fields.origin_id = talk_xmpp_message_info_get_origin_id (info);
  fields.message_id = talk_xmpp_message_info_get_id (info);
  fields.replaces = talk_xmpp_message_info_get_replace_id (info);
  fields.archive_id = archive_id;
  fields.markable = markable;

  return _talk_message_new_from_fields (&fields);
}

/* _talk_chats_bare_jid_dup() of a sender. Normalising a JID (RFC 7622)
 * costs more than the rest of a message's way to the history; a burst
 * comes from one address, which is normalised once. */
static char *
chats_dup_bare_of_sender (TalkChats  *self,
                          const char *from)
{
  if (from == NULL)
    return NULL;

  if (g_strcmp0 (from, self->last_from) != 0)
    {
      g_autofree char *bare = _talk_chats_bare_jid_dup (from);

      if (bare == NULL)
        return NULL;
      g_free (self->last_from);
      self->last_from = g_strdup (from);
      g_free (self->last_from_bare);
      self->last_from_bare = g_steal_pointer (&bare);
    }

  return g_strdup (self->last_from_bare);
}

/* Where a message belongs: the peer and whether it is ours. Returns FALSE
 * for what is not a one-to-one message with an address. */
gboolean
_talk_chats_classify (TalkChats             *self,
                      TalkXmppMessageInfo   *info,
                      TalkChatsOrigin        origin,
                      char                 **peer,
                      TalkMessageDirection  *direction)
{
  TalkXmppMessageType type = talk_xmpp_message_info_get_message_type (info);
  const char *from = talk_xmpp_message_info_get_from (info);
  const char *to = talk_xmpp_message_info_get_to (info);
  g_autofree char *from_bare = chats_dup_bare_of_sender (self, from);
  gboolean outgoing;

  if (type != TALK_XMPP_MESSAGE_TYPE_CHAT && type != TALK_XMPP_MESSAGE_TYPE_NORMAL)
    return FALSE;

  switch (origin)
    {
    case TALK_CHATS_ORIGIN_CARBON_SENT:
      outgoing = TRUE;
      break;
    case TALK_CHATS_ORIGIN_ARCHIVE:
      /* The archive holds both directions; the sender tells which. */
      outgoing = from_bare == NULL || strcmp (from_bare, self->account) == 0;
      break;
    case TALK_CHATS_ORIGIN_LIVE:
    case TALK_CHATS_ORIGIN_CARBON_RECEIVED:
    default:
      outgoing = FALSE;
      break;
    }

  *peer = outgoing ? _talk_chats_bare_jid_dup (to) : g_steal_pointer (&from_bare);
  *direction = outgoing ? TALK_MESSAGE_DIRECTION_OUT : TALK_MESSAGE_DIRECTION_IN;
  return *peer != NULL;
}

/*
 * What a message says besides its body: a chat state (XEP-0085), a receipt
 * (XEP-0184), a displayed marker (XEP-0333). Reports name our messages to
 * @peer only: the history looks the id up in that conversation alone.
 */
void
_talk_chats_apply_reports (TalkChats            *self,
                           TalkXmppMessageInfo  *info,
                           TalkChatsOrigin       origin,
                           const char           *peer_jid,
                           TalkMessageDirection  direction)
{
  TalkXmppChatState state = talk_xmpp_message_info_get_chat_state (info);
  const char *receipt_id = talk_xmpp_message_info_get_receipt_id (info);
  const char *displayed_id = talk_xmpp_message_info_get_displayed_id (info);
  TalkChatsPeer *peer = _talk_chats_ensure_peer (self, peer_jid);

  if (direction == TALK_MESSAGE_DIRECTION_OUT)
    {
      /* Another of the user's devices displayed the conversation. */
      if (displayed_id != NULL)
        {
          _talk_chats_mark_read (self, peer_jid);
          _talk_chats_record_own_displayed (self, peer_jid, displayed_id);
        }
      return;
    }

  if (receipt_id != NULL)
    _talk_chats_update_state (self, peer_jid, receipt_id, TALK_MESSAGE_STATE_DELIVERED, NULL);
  if (displayed_id != NULL)
    _talk_chats_update_state (self, peer_jid, displayed_id, TALK_MESSAGE_STATE_READ, NULL);

  /* Chat states are of the moment: not from the archive. */
  if (origin == TALK_CHATS_ORIGIN_ARCHIVE)
    return;

  if (state != TALK_XMPP_CHAT_STATE_NONE)
    {
      peer->supports_states = 1;
      _talk_chats_peer_set_chat_state (peer, state);
    }
  else if (talk_xmpp_message_info_get_body (info) != NULL)
    {
      /* XEP-0085 §5.1: a reply without a state: no more to that contact.
       * A message ends any typing all the same. */
      peer->supports_states = 0;
      if (peer->peer_state != TALK_XMPP_CHAT_STATE_NONE)
        _talk_chats_peer_set_chat_state (peer, TALK_XMPP_CHAT_STATE_ACTIVE);
    }
}

/* Incoming */

/* One message of a stored batch, its ack released unless the store
 * failed; @self may be gone. */
static void
incoming_stored (TalkChats          *self,
                 TalkChatsCall      *call,
                 TalkHistoryOutcome  outcome,
                 const GError       *store_error)
{
  g_autoptr(GError) error = NULL;

  if (store_error != NULL)
    {
      /* SECURITY.md §3.4: not acknowledged, so the server keeps it. */
      g_warning ("A message with %s could not be stored: %s", call->peer, store_error->message);
      if (self != NULL)
        {
          if (call->token != NULL)
            g_ptr_array_add (self->unreleased, g_steal_pointer (&call->token));
          _talk_chats_set_error (self, store_error);
        }
      return;
    }

  if (self == NULL)
    return;
  _talk_chats_set_error (self, NULL);

  switch (outcome)
    {
    case TALK_HISTORY_OUTCOME_STORED:
      _talk_chats_emit_message_received (self, call->peer, call->message,
                                         call->origin != TALK_CHATS_ORIGIN_CARBON_SENT);
      break;

    case TALK_HISTORY_OUTCOME_REFUSED:
      g_debug ("Refused a correction from %s", talk_message_get_sender (call->message));
      return;

    case TALK_HISTORY_OUTCOME_DUPLICATE:
    case TALK_HISTORY_OUTCOME_CORRECTED:
    default:
      break;
    }

  /* XEP-0184: the message is safe now; a redelivered one is answered
   * again, since the first receipt may be what got lost. */
  if (call->origin == TALK_CHATS_ORIGIN_LIVE &&
      talk_xmpp_message_info_wants_receipt (call->info) &&
      _talk_chats_may_share_activity (self, call->peer) &&
      _talk_chats_is_online (self))
    {
      if (!talk_xmpp_message_send_receipt (self->message, call->info, &error))
        g_debug ("No receipt to %s: %s", call->peer, error->message);
    }
}

static void
incoming_batch_stored_cb (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  g_autoptr(TalkChatsCall) batch = user_data;
  g_autoptr(GArray) outcomes = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(TalkChats) self = NULL;
  GPtrArray *calls = batch->calls;

  talk_history_store_batch_finish_outcomes (TALK_HISTORY (source), result, &outcomes, &error);
  self = g_weak_ref_get (&batch->self);

  /* Stored durably: the server may forget them (XEP-0198 §4). The oldest
   * goes last. While the server waits for the answer to an <r/>, the
   * session tells it every new count at once, and the count moves only
   * when the oldest held stanza is released: one <a/> for the batch
   * rather than one per message. */
  for (guint i = 1; error == NULL && i <= calls->len; i++)
    {
      TalkChatsCall *call = g_ptr_array_index (calls, i % calls->len);

      if (call->token != NULL)
        talk_xmpp_session_release_ack (call->session, g_steal_pointer (&call->token));
    }

  for (guint i = 0; i < calls->len; i++)
    incoming_stored (self, g_ptr_array_index (calls, i),
                     outcomes != NULL ? g_array_index (outcomes, TalkHistoryOutcome, i)
                                      : TALK_HISTORY_OUTCOME_STORED,
                     error);
}

/* Stores what arrived since the last flush in one transaction: one disk
 * flush for a burst rather than one per message. */
void
_talk_chats_flush_incoming (TalkChats *self)
{
  g_autoptr(GPtrArray) calls = g_steal_pointer (&self->batch);
  g_autoptr(GPtrArray) messages = NULL;
  TalkChatsCall *batch;

  g_clear_handle_id (&self->batch_source_id, g_source_remove);
  if (calls == NULL || calls->len == 0)
    return;

  messages = g_ptr_array_new_full (calls->len, NULL);
  for (guint i = 0; i < calls->len; i++)
    g_ptr_array_add (messages, ((TalkChatsCall *) g_ptr_array_index (calls, i))->message);

  /* The batch holds the one weak reference to the chats. */
  batch = _talk_chats_call_new (self);
  batch->calls = g_steal_pointer (&calls);

  /* No cancellable: the outcome decides about the acks. */
  talk_history_store_batch_async (self->history, self->account, messages, NULL,
                                  incoming_batch_stored_cb, batch);
}

static gboolean
flush_incoming_cb (gpointer user_data)
{
  TalkChats *self = user_data;

  self->batch_source_id = 0;
  _talk_chats_flush_incoming (self);
  return G_SOURCE_REMOVE;
}

/* At most this many messages in one transaction, gathered for at most
 * this long. */
#define MAX_BATCH 512
#define BATCH_WAIT_MS 4

static void
chats_store_incoming (TalkChats     *self,
                      TalkChatsCall *call)
{
  TalkMessageDirection direction = call->origin == TALK_CHATS_ORIGIN_CARBON_SENT
                                   ? TALK_MESSAGE_DIRECTION_OUT : TALK_MESSAGE_DIRECTION_IN;
  TalkMessageState state = direction == TALK_MESSAGE_DIRECTION_OUT
                           ? TALK_MESSAGE_STATE_SENT : TALK_MESSAGE_STATE_DELIVERED;

  call->message = _talk_chats_message_from_info (self, call->info, call->origin, call->peer,
                                                 direction, state);

  /* Gathered for a few milliseconds: each stanza of a burst reaches us
   * in its own dispatch, so an idle would flush after every one; a lower
   * priority could wait forever behind a busy frame clock. */
  if (self->batch == NULL)
    self->batch = g_ptr_array_new_with_free_func ((GDestroyNotify) _talk_chats_call_free);
  g_ptr_array_add (self->batch, call);
  if (self->batch->len >= MAX_BATCH)
    _talk_chats_flush_incoming (self);
  else if (self->batch_source_id == 0)
    self->batch_source_id = g_timeout_add (BATCH_WAIT_MS, flush_incoming_cb, self);
}

/* Live messages wait while the server's stanza-ids are not known to be
 * trustworthy, and while the archive catch-up after sign-in is stored: the
 * archive's messages are older than what arrives meanwhile (offline
 * messages among them), and rows keep the order they are stored in when
 * timestamps tie (archives count whole seconds). */
static gboolean
chats_holds_incoming (TalkChats *self)
{
  return self->sid == TALK_CHATS_SID_UNKNOWN || self->catching_up;
}

void
_talk_chats_drain_waiting (TalkChats *self)
{
  TalkChatsCall *call;

  while (!chats_holds_incoming (self) && (call = g_queue_pop_head (&self->waiting)) != NULL)
    chats_store_incoming (self, call);
}

static void
chats_take_incoming (TalkChats           *self,
                     TalkXmppMessageInfo *info,
                     TalkChatsOrigin      origin)
{
  g_autofree char *peer = NULL;
  TalkMessageDirection direction;
  TalkChatsCall *call;

  if (!_talk_chats_classify (self, info, origin, &peer, &direction))
    return;

  _talk_chats_apply_reports (self, info, origin, peer, direction);
  if (talk_xmpp_message_info_get_body (info) == NULL)
    return;

  /* No weak reference of its own: the batch that stores it holds one.
   * GObject keeps an object's weak references in a list, so one per
   * message of a burst would cost a walk of hundreds each. */
  call = g_new0 (TalkChatsCall, 1);
  g_weak_ref_init (&call->self, NULL);
  call->serial = self->serial;
  call->origin = origin;
  call->peer = g_steal_pointer (&peer);
  call->info = talk_xmpp_message_info_ref (info);
  /* DESIGN.md: acknowledged (XEP-0198) only once stored. */
  call->session = g_object_ref (self->session);
  call->token = talk_xmpp_session_hold_ack (self->session);

  if (chats_holds_incoming (self))
    g_queue_push_tail (&self->waiting, call);
  else
    chats_store_incoming (self, call);
}

void
_talk_chats_message_received_cb (TalkXmppMessage     *module,
                                 TalkXmppMessageInfo *info,
                                 TalkChats           *self)
{
  chats_take_incoming (self, info, TALK_CHATS_ORIGIN_LIVE);
}

void
_talk_chats_carbon_received_cb (TalkXmppCarbons     *carbons,
                                TalkXmppMessageInfo *info,
                                TalkChats           *self)
{
  chats_take_incoming (self, info, TALK_CHATS_ORIGIN_CARBON_RECEIVED);
}

void
_talk_chats_carbon_sent_cb (TalkXmppCarbons     *carbons,
                            TalkXmppMessageInfo *info,
                            TalkChats           *self)
{
  chats_take_incoming (self, info, TALK_CHATS_ORIGIN_CARBON_SENT);
}

/*
 * RFC 6120 §8.3: an error reply names the message by its id. It counts only
 * from where the message went, or that address's server, which answers for
 * addressees that do not exist.
 */
void
_talk_chats_message_error_cb (TalkXmppMessage *module,
                              const char      *id,
                              const char      *from,
                              const GError    *error,
                              TalkChats       *self)
{
  g_autofree char *from_bare = _talk_chats_bare_jid_dup (from);
  const char *sent_to = g_hash_table_lookup (self->sent, id);
  const char *peer = NULL;

  if (from_bare != NULL && strchr (from_bare, '@') != NULL)
    peer = from_bare;
  else if (sent_to != NULL && from_bare != NULL)
    {
      const char *domain = strchr (sent_to, '@');

      if (domain != NULL && strcmp (domain + 1, from_bare) == 0)
        peer = sent_to;
    }
  else if (sent_to != NULL && from == NULL)
    peer = sent_to;

  if (peer == NULL || (sent_to != NULL && strcmp (peer, sent_to) != 0))
    {
      g_debug ("Ignoring an error for %s from %s", id, from != NULL ? from : "the server");
      return;
    }

  _talk_chats_update_state (self, peer, id, TALK_MESSAGE_STATE_FAILED, error->message);
}

/* XEP-0359 #security: stanza-ids by the own bare JID are unique only when
 * the account's server says it adds them (and strips forged ones). */

static void
sid_info_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(TalkChatsCall) call = user_data;
  g_autoptr(TalkChats) self = NULL;
  g_autoptr(TalkXmppStanza) query = NULL;
  g_autoptr(GError) error = NULL;
  TalkXmppStanzaIter iter;
  TalkXmppStanza *child;
  TalkChatsSidTrust sid = TALK_CHATS_SID_UNTRUSTED;

  query = talk_xmpp_disco_query_info_finish (TALK_XMPP_DISCO (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = g_weak_ref_get (&call->self);
  if (self == NULL)
    return;

  if (query == NULL)
    {
      g_debug ("disco#info of %s: %s", self->account, error->message);
      /* Only the server's answer changes what is known; the messages that
       * wait go on either way. */
      if (!g_error_matches (error, TALK_XMPP_STANZA_ERROR, error->code) &&
          self->sid != TALK_CHATS_SID_UNKNOWN)
        sid = self->sid;
    }
  else
    talk_xmpp_stanza_iter_init (&iter, query);

  while (query != NULL && talk_xmpp_stanza_iter_next (&iter, &child))
    {
      if (g_strcmp0 (talk_xmpp_stanza_get_name (child), "feature") == 0 &&
          g_strcmp0 (talk_xmpp_stanza_get_attribute (child, "var"), TALK_XMPP_NS_SID) == 0)
        sid = TALK_CHATS_SID_TRUSTED;
    }

  if (self->sid != sid)
    g_debug ("%s stanza-ids by %s", sid == TALK_CHATS_SID_TRUSTED ? "Trusting" : "Not trusting",
             self->account);
  self->sid = sid;
  _talk_chats_drain_waiting (self);
}

void
_talk_chats_check_sid (TalkChats *self)
{
  if (self->disco == NULL)
    {
      self->sid = TALK_CHATS_SID_TRUSTED;
      _talk_chats_drain_waiting (self);
      return;
    }

  talk_xmpp_disco_query_info_async (self->disco, self->account, NULL, self->cancellable,
                                    sid_info_cb, _talk_chats_call_new (self));
}
