/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * One account's one-to-one chats (DESIGN.md "The data path").
 *
 *   TalkXmppMessage, TalkXmppCarbons ──► talk-chats-incoming.c ──┐
 *   send_message, correct_last_message ─► talk-chats-outgoing.c ─┼─► TalkHistory
 *   "online": catch-up, older pages ───► talk-chats-archive.c ───┘   ("messages-added",
 *                                                                    "message-updated")
 *                                                                         │
 *                      TalkConversation (follows the history itself) ◄───┘
 *
 * This file holds the object and its API, what the session's connection
 * changes mean for the chats, the history's signals, and the chat states
 * the user's typing sends (XEP-0085).
 *
 * Each new stream ("online"): archive catch-up after the newest archive id
 * held (XEP-0313), then every PENDING message in the order written; what a
 * stream has sent is remembered by origin-id, so that nothing goes out twice
 * on one stream ("resumed" keeps the stream management session, and with it
 * that record).
 *
 * Async calls hold a weak reference to the chats (TalkChatsCall): a
 * callback that finds it gone returns quietly, except that an ack held for
 * a stanza is always released or dropped.
 */

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "talk-chats-private.h"

#define SEARCH_LIMIT 200

/* XEP-0085 §5.2 suggests these. */
#define PAUSED_AFTER_S   30
#define INACTIVE_AFTER_S 120

G_DEFINE_FINAL_TYPE (TalkChats, talk_chats, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_HISTORY,
  PROP_SESSION,
  PROP_MESSAGE,
  PROP_CARBONS,
  PROP_MAM,
  PROP_DISCO,
  PROP_ROSTER,
  PROP_ACCOUNT,
  PROP_ERROR,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  MESSAGE_RECEIVED,
  CHAT_STATE_CHANGED,
  UNREAD_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* Helpers */

TalkChatsCall *
_talk_chats_call_new (TalkChats *self)
{
  TalkChatsCall *call = g_new0 (TalkChatsCall, 1);

  g_weak_ref_init (&call->self, self);
  call->serial = self->serial;
  return call;
}

void
_talk_chats_call_free (TalkChatsCall *call)
{
  /* Never left dangling: a token nobody released would hold every later
   * ack of its stream. */
  if (call->token != NULL)
    talk_xmpp_session_release_ack (call->session, g_steal_pointer (&call->token));
  g_weak_ref_clear (&call->self);
  g_free (call->peer);
  g_clear_object (&call->message);
  g_clear_pointer (&call->info, talk_xmpp_message_info_unref);
  g_clear_pointer (&call->page, talk_xmpp_mam_page_unref);
  g_clear_pointer (&call->messages, g_ptr_array_unref);
  g_clear_pointer (&call->calls, g_ptr_array_unref);
  g_clear_object (&call->session);
  g_free (call);
}

/* Returns: (transfer full) (nullable): the bare JID of @jid, normalised */
char *
_talk_chats_bare_jid_dup (const char *jid)
{
  g_autoptr(TalkXmppJid) parsed = jid != NULL ? talk_xmpp_jid_new (jid, NULL) : NULL;

  return parsed != NULL ? g_strdup (talk_xmpp_jid_get_bare_string (parsed)) : NULL;
}

gboolean
_talk_chats_is_online (TalkChats *self)
{
  return talk_xmpp_session_get_state (self->session) == TALK_XMPP_SESSION_STATE_ONLINE;
}

void
_talk_chats_set_error (TalkChats    *self,
                       const GError *error)
{
  const char *text = error != NULL ? error->message : NULL;

  if (g_strcmp0 (self->error, text) == 0)
    return;
  g_free (self->error);
  self->error = g_strdup (text);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
}

static void
peer_free (TalkChatsPeer *peer)
{
  g_clear_handle_id (&peer->paused_id, g_source_remove);
  g_clear_handle_id (&peer->inactive_id, g_source_remove);
  g_clear_weak_pointer (&peer->conversation);
  g_clear_object (&peer->last_outgoing);
  g_free (peer->archive_before);
  g_free (peer->jid);
  g_free (peer);
}

/* @jid: a normalised bare JID */
TalkChatsPeer *
_talk_chats_ensure_peer (TalkChats  *self,
                         const char *jid)
{
  TalkChatsPeer *peer = g_hash_table_lookup (self->peers, jid);

  if (peer != NULL)
    return peer;

  peer = g_new0 (TalkChatsPeer, 1);
  peer->chats = self;
  peer->jid = g_strdup (jid);
  peer->supports_states = -1;
  g_hash_table_insert (self->peers, peer->jid, peer);
  return peer;
}

/* XEP-0184 #security, XEP-0333 #security: receipts and markers tell that
 * the user is online and reading, which only contacts allowed to see the
 * user's presence may learn. */
gboolean
_talk_chats_may_share_activity (TalkChats  *self,
                                const char *peer)
{
  TalkContact *contact;
  TalkXmppSubscription subscription;

  if (self->roster == NULL || strcmp (peer, self->account) == 0)
    return TRUE;

  contact = talk_roster_lookup (self->roster, peer);
  if (contact == NULL)
    return FALSE;
  subscription = talk_contact_get_subscription (contact);
  return subscription == TALK_XMPP_SUBSCRIPTION_FROM ||
         subscription == TALK_XMPP_SUBSCRIPTION_BOTH;
}

void
_talk_chats_log_failure (const char   *what,
                         const GError *error)
{
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_debug ("%s: %s", what, error->message);
}

static void
peer_set_last_outgoing (TalkChatsPeer *peer,
                        TalkMessage   *message)
{
  if (talk_message_get_replaces (message) != NULL)
    return;
  if (peer->last_outgoing != NULL &&
      talk_message_get_timestamp_us (peer->last_outgoing) > talk_message_get_timestamp_us (message))
    return;
  g_set_object (&peer->last_outgoing, message);
}

/* State reports */

static void
update_state_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  talk_history_update_state_finish (TALK_HISTORY (source), result, &error);
  if (error != NULL)
    _talk_chats_log_failure ("Updating a message state", error);
}

/* @id names one of our messages to @peer; the history checks that it is
 * one and that @state is news (talk_message_state_can_follow()). */
void
_talk_chats_update_state (TalkChats        *self,
                          const char       *peer,
                          const char       *id,
                          TalkMessageState  state,
                          const char       *error_text)
{
  talk_history_update_state_async (self->history, self->account, peer, id, state, error_text,
                                   NULL, update_state_cb, NULL);
}

static void
mark_read_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!talk_history_mark_read_finish (TALK_HISTORY (source), result, &error))
    _talk_chats_log_failure ("Marking a conversation read", error);
}

/* The user has seen @peer's messages (here or on another device). */
void
_talk_chats_mark_read (TalkChats  *self,
                       const char *peer)
{
  talk_history_mark_read_async (self->history, self->account, peer, NULL, mark_read_cb, NULL);
}

void
_talk_chats_emit_message_received (TalkChats   *self,
                                   const char  *peer,
                                   TalkMessage *message,
                                   gboolean     notify)
{
  g_signal_emit (self, signals[MESSAGE_RECEIVED], 0, peer, message, notify);
}

void
_talk_chats_peer_set_chat_state (TalkChatsPeer     *peer,
                                 TalkXmppChatState  state)
{
  if (peer->peer_state == state)
    return;
  peer->peer_state = state;
  g_signal_emit (peer->chats, signals[CHAT_STATE_CHANGED], 0, peer->jid, state);
}

/* Session */

static void
chats_release_unreleased (TalkChats *self)
{
  for (guint i = 0; i < self->unreleased->len; i++)
    talk_xmpp_session_release_ack (self->session, g_ptr_array_index (self->unreleased, i));
  g_ptr_array_set_size (self->unreleased, 0);
}

/* A new stream: nothing was sent on it yet. */
static void
session_online_cb (TalkXmppSession *session,
                   TalkChats       *self)
{
  self->serial++;
  self->flushed = FALSE;
  g_hash_table_remove_all (self->sent);
  /* Tokens of an earlier stream release nothing; the server sends what
   * they held again. */
  chats_release_unreleased (self);

  /* The archive first, then the pending messages (talk-chats-archive.c). */
  _talk_chats_catch_up (self);
  _talk_chats_check_sid (self);
}

/* XEP-0198 §5: the server kept the session and sends again what we did
 * not acknowledge; so does the session. What was written meanwhile goes
 * out now. */
static void
session_resumed_cb (TalkXmppSession *session,
                    TalkChats       *self)
{
  _talk_chats_flush_pending (self);
}

static void
chats_forget_chat_states (TalkChats *self)
{
  GHashTableIter iter;
  TalkChatsPeer *peer;

  g_hash_table_iter_init (&iter, self->peers);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &peer))
    {
      g_clear_handle_id (&peer->paused_id, g_source_remove);
      g_clear_handle_id (&peer->inactive_id, g_source_remove);
      peer->own_state = TALK_XMPP_CHAT_STATE_NONE;
      _talk_chats_peer_set_chat_state (peer, TALK_XMPP_CHAT_STATE_NONE);
    }
}

static void
session_disconnected_cb (TalkXmppSession *session,
                         const GError    *error,
                         TalkChats       *self)
{
  GHashTableIter iter;
  const char *id;
  const char *peer;

  self->flushed = FALSE;
  chats_forget_chat_states (self);

  /* What waited for the catch-up is stored now rather than kept in
   * memory until the next stream. */
  self->catching_up = FALSE;
  _talk_chats_drain_waiting (self);

  /* Lost: what was sent stays on record for a resumption. */
  if (error != NULL)
    return;

  /* A clean close (RFC 6120 §4.4): the server handled all it read before
   * the closing tag, acknowledged or not; what it did not read the session
   * reported through "stanzas-unacknowledged". */
  g_hash_table_iter_init (&iter, self->sent);
  while (g_hash_table_iter_next (&iter, (gpointer *) &id, (gpointer *) &peer))
    _talk_chats_update_state (self, peer, id, TALK_MESSAGE_STATE_SENT, NULL);
  g_hash_table_remove_all (self->sent);
}

/* History */

static void
history_messages_added_cb (TalkHistory *history,
                           const char  *account,
                           GPtrArray   *messages,
                           TalkChats   *self)
{
  if (g_strcmp0 (account, self->account) != 0)
    return;

  for (guint i = 0; i < messages->len; i++)
    {
      TalkMessage *message = g_ptr_array_index (messages, i);

      if (talk_message_get_direction (message) == TALK_MESSAGE_DIRECTION_OUT)
        peer_set_last_outgoing (_talk_chats_ensure_peer (self, talk_message_get_peer (message)),
                                message);
    }
}

/* The conversations follow the history themselves; this keeps the last
 * outgoing message (for corrections) as the store has it. */
static void
history_message_updated_cb (TalkHistory *history,
                            const char  *account,
                            TalkMessage *stored,
                            TalkChats   *self)
{
  TalkChatsPeer *peer;
  TalkMessage *last;

  if (g_strcmp0 (account, self->account) != 0)
    return;

  peer = g_hash_table_lookup (self->peers, talk_message_get_peer (stored));
  last = peer != NULL ? peer->last_outgoing : NULL;
  if (last == NULL || last == stored || talk_message_get_id (last) != talk_message_get_id (stored))
    return;

  g_object_freeze_notify (G_OBJECT (last));
  talk_message_set_state (last, talk_message_get_state (stored), talk_message_get_error (stored));
  talk_message_set_body (last, talk_message_get_body (stored));
  talk_message_set_edited (last, talk_message_get_edited (stored));
  g_object_thaw_notify (G_OBJECT (last));
}

static void
history_unread_changed_cb (TalkHistory *history,
                           const char  *account,
                           const char  *peer_jid,
                           guint        count,
                           TalkChats   *self)
{
  TalkChatsPeer *peer;

  if (g_strcmp0 (account, self->account) != 0)
    return;

  peer = _talk_chats_ensure_peer (self, peer_jid);
  if (peer->unread == count)
    return;
  peer->unread = count;
  g_signal_emit (self, signals[UNREAD_CHANGED], 0, peer->jid, count);
}

static void
unread_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(TalkChatsCall) call = user_data;
  g_autoptr(TalkChats) self = NULL;
  g_autoptr(GError) error = NULL;
  guint count;

  count = talk_history_get_unread_finish (TALK_HISTORY (source), result, &error);
  if (error != NULL)
    {
      _talk_chats_log_failure ("Reading an unread count", error);
      return;
    }
  self = g_weak_ref_get (&call->self);
  if (self != NULL)
    history_unread_changed_cb (self->history, self->account, call->peer, count, self);
}

static void
history_open_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(TalkChatsCall) call = user_data;
  g_autoptr(TalkChats) self = NULL;
  g_autoptr(GError) error = NULL;

  if (talk_history_open_finish (TALK_HISTORY (source), result, &error))
    return;
  self = g_weak_ref_get (&call->self);
  if (self != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_warning ("Cannot open the history: %s", error->message);
      _talk_chats_set_error (self, error);
    }
}

/* Chat states (XEP-0085) */

static void
peer_send_chat_state (TalkChatsPeer     *peer,
                      TalkXmppChatState  state)
{
  TalkChats *self = peer->chats;
  g_autoptr(GError) error = NULL;

  /* §5.1: not to someone whose replies carry none. */
  if (peer->own_state == state || peer->supports_states == 0 || !_talk_chats_is_online (self))
    return;

  if (!talk_xmpp_message_send_chat_state (self->message, peer->jid, state, &error))
    {
      g_debug ("Chat state to %s: %s", peer->jid, error->message);
      return;
    }
  peer->own_state = state;
}

static gboolean
paused_cb (gpointer user_data)
{
  TalkChatsPeer *peer = user_data;
  gint64 idle = g_get_monotonic_time () - peer->last_typed;

  peer->paused_id = 0;

  /* Typed meanwhile: wait for the rest of the idle time. */
  if (idle < PAUSED_AFTER_S * G_USEC_PER_SEC)
    {
      guint rest_ms = (guint) ((PAUSED_AFTER_S * G_USEC_PER_SEC - idle) / 1000) + 1;

      peer->paused_id = g_timeout_add (rest_ms, paused_cb, peer);
      return G_SOURCE_REMOVE;
    }

  peer_send_chat_state (peer, TALK_XMPP_CHAT_STATE_PAUSED);
  return G_SOURCE_REMOVE;
}

static gboolean
inactive_cb (gpointer user_data)
{
  TalkChatsPeer *peer = user_data;

  peer->inactive_id = 0;
  g_clear_handle_id (&peer->paused_id, g_source_remove);
  peer_send_chat_state (peer, TALK_XMPP_CHAT_STATE_INACTIVE);
  return G_SOURCE_REMOVE;
}

/* Public API */

/* Returns: (transfer full) (nullable): @peer normalised and bare, or NULL
 * (with a warning) when it is no JID */
static char *
chats_normalize_peer (const char *peer)
{
  char *bare = _talk_chats_bare_jid_dup (peer);

  if (bare == NULL)
    g_warning ("“%s” is not a valid address", peer != NULL ? peer : "");
  return bare;
}

TalkChats *
talk_chats_new (TalkHistory     *history,
                TalkXmppSession *session,
                TalkXmppMessage *message,
                TalkXmppCarbons *carbons,
                TalkXmppMam     *mam,
                TalkXmppDisco   *disco,
                TalkRoster      *roster)
{
  g_return_val_if_fail (TALK_IS_HISTORY (history), NULL);
  g_return_val_if_fail (TALK_XMPP_IS_SESSION (session), NULL);
  g_return_val_if_fail (TALK_XMPP_IS_MESSAGE (message), NULL);
  g_return_val_if_fail (TALK_XMPP_IS_CARBONS (carbons), NULL);
  g_return_val_if_fail (TALK_XMPP_IS_MAM (mam), NULL);
  g_return_val_if_fail (disco == NULL || TALK_XMPP_IS_DISCO (disco), NULL);
  g_return_val_if_fail (roster == NULL || TALK_IS_ROSTER (roster), NULL);

  return g_object_new (TALK_TYPE_CHATS,
                       "history", history,
                       "session", session,
                       "message", message,
                       "carbons", carbons,
                       "mam", mam,
                       "disco", disco,
                       "roster", roster,
                       NULL);
}

TalkHistory *
talk_chats_get_history (TalkChats *self)
{
  g_return_val_if_fail (TALK_IS_CHATS (self), NULL);
  return self->history;
}

const char *
talk_chats_get_account (TalkChats *self)
{
  g_return_val_if_fail (TALK_IS_CHATS (self), NULL);
  return self->account;
}

const char *
talk_chats_get_error (TalkChats *self)
{
  g_return_val_if_fail (TALK_IS_CHATS (self), NULL);
  return self->error;
}

TalkConversation *
talk_chats_open_conversation (TalkChats  *self,
                              const char *peer_jid)
{
  g_autofree char *jid = NULL;
  TalkChatsPeer *peer;
  TalkConversation *conversation;
  TalkChatsCall *call;

  g_return_val_if_fail (TALK_IS_CHATS (self), NULL);

  if ((jid = chats_normalize_peer (peer_jid)) == NULL)
    return NULL;

  peer = _talk_chats_ensure_peer (self, jid);
  if (peer->conversation != NULL)
    return g_object_ref (peer->conversation);

  conversation = talk_conversation_new (self->history, self->account, jid);
  g_set_weak_pointer (&peer->conversation, conversation);

  /* For talk_chats_get_unread() before anything changes. */
  call = _talk_chats_call_new (self);
  call->peer = g_strdup (jid);
  talk_history_get_unread_async (self->history, self->account, jid, self->cancellable,
                                 unread_cb, call);

  return conversation;
}

void
talk_chats_send_message (TalkChats  *self,
                         const char *peer_jid,
                         const char *body)
{
  g_autofree char *jid = NULL;
  g_autoptr(TalkMessage) message = NULL;
  TalkChatsPeer *peer;

  g_return_if_fail (TALK_IS_CHATS (self));
  g_return_if_fail (body != NULL);

  if (*body == '\0' || (jid = chats_normalize_peer (peer_jid)) == NULL)
    return;

  /* The message carries <active/> (XEP-0085 §5.5): typing is over. */
  peer = _talk_chats_ensure_peer (self, jid);
  g_clear_handle_id (&peer->paused_id, g_source_remove);
  if (peer->own_state != TALK_XMPP_CHAT_STATE_NONE && _talk_chats_is_online (self))
    peer->own_state = TALK_XMPP_CHAT_STATE_ACTIVE;

  message = _talk_chats_new_outgoing (self, jid, body, NULL);
  _talk_chats_store_outgoing (self, message);
}

TalkMessage *
talk_chats_get_last_outgoing (TalkChats  *self,
                              const char *peer_jid)
{
  g_autofree char *jid = NULL;
  TalkChatsPeer *peer;
  GListModel *model;

  g_return_val_if_fail (TALK_IS_CHATS (self), NULL);

  if ((jid = chats_normalize_peer (peer_jid)) == NULL)
    return NULL;

  peer = _talk_chats_ensure_peer (self, jid);
  if (peer->last_outgoing != NULL || peer->conversation == NULL)
    return peer->last_outgoing;

  /* Written in an earlier run: the conversation has read it. */
  model = G_LIST_MODEL (peer->conversation);
  for (guint i = g_list_model_get_n_items (model); i > 0; i--)
    {
      g_autoptr(TalkMessage) message = g_list_model_get_item (model, i - 1);

      if (talk_message_get_direction (message) == TALK_MESSAGE_DIRECTION_OUT)
        {
          peer_set_last_outgoing (peer, message);
          break;
        }
    }

  return peer->last_outgoing;
}

gboolean
talk_chats_correct_last_message (TalkChats  *self,
                                 const char *peer_jid,
                                 const char *body)
{
  g_autoptr(TalkMessage) correction = NULL;
  TalkMessage *last;
  const char *target;

  g_return_val_if_fail (TALK_IS_CHATS (self), FALSE);
  g_return_val_if_fail (body != NULL, FALSE);

  last = talk_chats_get_last_outgoing (self, peer_jid);
  if (last == NULL || *body == '\0')
    return FALSE;

  /* XEP-0308 §4: the id of the original stanza. */
  target = talk_message_get_message_id (last);
  if (target == NULL)
    target = talk_message_get_origin_id (last);
  if (target == NULL)
    return FALSE;

  correction = _talk_chats_new_outgoing (self, talk_message_get_peer (last), body, target);
  _talk_chats_store_outgoing (self, correction);
  return TRUE;
}

void
talk_chats_composer_changed (TalkChats  *self,
                             const char *peer_jid,
                             gboolean    has_text)
{
  g_autofree char *jid = NULL;
  TalkChatsPeer *peer;

  g_return_if_fail (TALK_IS_CHATS (self));

  if ((jid = chats_normalize_peer (peer_jid)) == NULL)
    return;
  peer = _talk_chats_ensure_peer (self, jid);

  if (!has_text)
    {
      g_clear_handle_id (&peer->paused_id, g_source_remove);
      if (peer->own_state == TALK_XMPP_CHAT_STATE_COMPOSING ||
          peer->own_state == TALK_XMPP_CHAT_STATE_PAUSED)
        peer_send_chat_state (peer, TALK_XMPP_CHAT_STATE_ACTIVE);
      return;
    }

  peer->last_typed = g_get_monotonic_time ();
  peer_send_chat_state (peer, TALK_XMPP_CHAT_STATE_COMPOSING);
  if (peer->own_state == TALK_XMPP_CHAT_STATE_COMPOSING && peer->paused_id == 0)
    peer->paused_id = g_timeout_add_seconds (PAUSED_AFTER_S, paused_cb, peer);
}

void
talk_chats_set_chat_visible (TalkChats  *self,
                             const char *peer_jid,
                             gboolean    visible)
{
  g_autofree char *jid = NULL;
  TalkChatsPeer *peer;

  g_return_if_fail (TALK_IS_CHATS (self));

  if ((jid = chats_normalize_peer (peer_jid)) == NULL)
    return;
  peer = _talk_chats_ensure_peer (self, jid);

  if (visible)
    {
      g_clear_handle_id (&peer->inactive_id, g_source_remove);
      if (peer->own_state == TALK_XMPP_CHAT_STATE_INACTIVE ||
          (peer->own_state == TALK_XMPP_CHAT_STATE_NONE && peer->supports_states == 1))
        peer_send_chat_state (peer, TALK_XMPP_CHAT_STATE_ACTIVE);
      return;
    }

  if (peer->own_state != TALK_XMPP_CHAT_STATE_NONE &&
      peer->own_state != TALK_XMPP_CHAT_STATE_INACTIVE &&
      peer->inactive_id == 0)
    peer->inactive_id = g_timeout_add_seconds (INACTIVE_AFTER_S, inactive_cb, peer);
}

static void
set_displayed_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!talk_history_set_displayed_finish (TALK_HISTORY (source), result, NULL, &error))
    _talk_chats_log_failure ("Recording a displayed marker", error);
}

/* Another of the user's devices sent a displayed marker naming @id: the
 * marker is not owed from here any more, after a restart neither. */
void
_talk_chats_record_own_displayed (TalkChats  *self,
                                  const char *peer,
                                  const char *id)
{
  if (self->history == NULL || id == NULL || *id == '\0')
    return;

  talk_history_set_displayed_by_id_async (self->history, self->account, peer, id, NULL,
                                          set_displayed_cb, NULL);
}

static void
get_markable_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(TalkChatsCall) call = user_data;
  g_autoptr(TalkChats) self = NULL;
  g_autoptr(TalkMessage) markable = NULL;
  g_autoptr(GError) error = NULL;
  TalkChatsPeer *peer;
  gint64 row;

  markable = talk_history_get_markable_finish (TALK_HISTORY (source), result, &error);
  if (error != NULL)
    {
      _talk_chats_log_failure ("Looking up the message to mark displayed", error);
      return;
    }
  self = g_weak_ref_get (&call->self);
  if (self == NULL || markable == NULL)
    return;

  /* Two looks at the chat in a row find the same message: one marker. */
  peer = _talk_chats_ensure_peer (self, call->peer);
  row = talk_message_get_id (markable);
  if (row == peer->displayed_row || !_talk_chats_is_online (self) ||
      !_talk_chats_may_share_activity (self, call->peer))
    return;

  /* The history keeps no message type; one-to-one chats are "chat". */
  if (!talk_xmpp_message_send_displayed (self->message, call->peer,
                                         talk_message_get_message_id (markable),
                                         TALK_XMPP_MESSAGE_TYPE_CHAT, &error))
    {
      g_debug ("No displayed marker to %s: %s", call->peer, error->message);
      return;
    }
  peer->displayed_row = row;
  talk_history_set_displayed_async (self->history, self->account, call->peer, row, NULL,
                                    set_displayed_cb, NULL);
}

void
talk_chats_mark_displayed (TalkChats  *self,
                           const char *peer_jid)
{
  g_autofree char *jid = NULL;
  TalkChatsCall *call;

  g_return_if_fail (TALK_IS_CHATS (self));

  if ((jid = chats_normalize_peer (peer_jid)) == NULL)
    return;
  _talk_chats_ensure_peer (self, jid);

  _talk_chats_mark_read (self, jid);

  /* XEP-0333 §4: one marker for the newest, which covers those before;
   * the history knows which that is, also for messages of an earlier
   * run. Offline, it stays owed until the next look at the chat. */
  if (!_talk_chats_is_online (self) || !_talk_chats_may_share_activity (self, jid))
    return;

  call = _talk_chats_call_new (self);
  call->peer = g_steal_pointer (&jid);
  talk_history_get_markable_async (self->history, self->account, call->peer,
                                   self->cancellable, get_markable_cb, call);
}

TalkXmppChatState
talk_chats_get_peer_chat_state (TalkChats  *self,
                                const char *peer_jid)
{
  g_autofree char *jid = NULL;
  TalkChatsPeer *peer;

  g_return_val_if_fail (TALK_IS_CHATS (self), TALK_XMPP_CHAT_STATE_NONE);

  jid = _talk_chats_bare_jid_dup (peer_jid);
  peer = jid != NULL ? g_hash_table_lookup (self->peers, jid) : NULL;
  return peer != NULL ? peer->peer_state : TALK_XMPP_CHAT_STATE_NONE;
}

guint
talk_chats_get_unread (TalkChats  *self,
                       const char *peer_jid)
{
  g_autofree char *jid = NULL;
  TalkChatsPeer *peer;

  g_return_val_if_fail (TALK_IS_CHATS (self), 0);

  jid = _talk_chats_bare_jid_dup (peer_jid);
  peer = jid != NULL ? g_hash_table_lookup (self->peers, jid) : NULL;
  return peer != NULL ? peer->unread : 0;
}

static void
search_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  GPtrArray *hits;

  hits = talk_history_search_finish (TALK_HISTORY (source), result, &error);
  if (hits == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, hits, (GDestroyNotify) g_ptr_array_unref);
}

void
talk_chats_search_async (TalkChats           *self,
                         const char          *query,
                         const char          *peer_jid,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *jid = NULL;

  g_return_if_fail (TALK_IS_CHATS (self));
  g_return_if_fail (query != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, talk_chats_search_async);

  if (peer_jid != NULL && (jid = _talk_chats_bare_jid_dup (peer_jid)) == NULL)
    {
      g_task_return_new_error (task, TALK_XMPP_ERROR, TALK_XMPP_ERROR_INVALID_JID,
                               _("“%s” is not a valid address"), peer_jid);
      return;
    }

  talk_history_search_async (self->history, self->account, jid, query, SEARCH_LIMIT,
                             cancellable, search_cb, g_steal_pointer (&task));
}

GPtrArray *
talk_chats_search_finish (TalkChats     *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (TALK_IS_CHATS (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == talk_chats_search_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* GObject */

static void
talk_chats_constructed (GObject *object)
{
  TalkChats *self = TALK_CHATS (object);
  static const char * const features[] = {
    TALK_XMPP_NS_RECEIPTS,
    TALK_XMPP_NS_CHATSTATES,
    TALK_XMPP_NS_CHAT_MARKERS,
    TALK_XMPP_NS_CORRECTION,
  };
  TalkXmppJid *jid;

  G_OBJECT_CLASS (talk_chats_parent_class)->constructed (object);

  jid = talk_xmpp_session_get_jid (self->session);
  self->account = g_strdup (talk_xmpp_jid_get_bare_string (jid));

  /* XEP-0115: what this client takes part in. */
  for (guint i = 0; self->disco != NULL && i < G_N_ELEMENTS (features); i++)
    talk_xmpp_disco_add_feature (self->disco, features[i]);

  self->online_id = g_signal_connect (self->session, "online",
                                      G_CALLBACK (session_online_cb), self);
  self->resumed_id = g_signal_connect (self->session, "resumed",
                                       G_CALLBACK (session_resumed_cb), self);
  self->disconnected_id = g_signal_connect (self->session, "disconnected",
                                            G_CALLBACK (session_disconnected_cb), self);
  self->acknowledged_id = g_signal_connect (self->session, "stanza-acknowledged",
                                            G_CALLBACK (_talk_chats_stanza_acknowledged_cb), self);
  self->unacknowledged_id =
    g_signal_connect (self->session, "stanzas-unacknowledged",
                      G_CALLBACK (_talk_chats_stanzas_unacknowledged_cb), self);
  self->received_id = g_signal_connect (self->message, "message-received",
                                        G_CALLBACK (_talk_chats_message_received_cb), self);
  self->error_id = g_signal_connect (self->message, "message-error",
                                     G_CALLBACK (_talk_chats_message_error_cb), self);
  self->carbon_received_id = g_signal_connect (self->carbons, "carbon-received",
                                               G_CALLBACK (_talk_chats_carbon_received_cb), self);
  self->carbon_sent_id = g_signal_connect (self->carbons, "carbon-sent",
                                           G_CALLBACK (_talk_chats_carbon_sent_cb), self);
  self->messages_added_id = g_signal_connect (self->history, "messages-added",
                                              G_CALLBACK (history_messages_added_cb), self);
  self->message_updated_id = g_signal_connect (self->history, "message-updated",
                                               G_CALLBACK (history_message_updated_cb), self);
  self->unread_changed_id = g_signal_connect (self->history, "unread-changed",
                                              G_CALLBACK (history_unread_changed_cb), self);

  /* A damaged or unwritable store is reported at start, not with the
   * first message. */
  talk_history_open_async (self->history, self->cancellable, history_open_cb,
                           _talk_chats_call_new (self));
}

static void
talk_chats_dispose (GObject *object)
{
  TalkChats *self = TALK_CHATS (object);
  TalkChatsCall *call;

  g_cancellable_cancel (self->cancellable);

  if (self->session != NULL)
    {
      g_clear_signal_handler (&self->online_id, self->session);
      g_clear_signal_handler (&self->resumed_id, self->session);
      g_clear_signal_handler (&self->disconnected_id, self->session);
      g_clear_signal_handler (&self->acknowledged_id, self->session);
      g_clear_signal_handler (&self->unacknowledged_id, self->session);
      /* The stream is being closed cleanly: the server takes what it
       * read as handled either way (RFC 6120 §4.4). */
      chats_release_unreleased (self);
    }
  if (self->message != NULL)
    {
      g_clear_signal_handler (&self->received_id, self->message);
      g_clear_signal_handler (&self->error_id, self->message);
    }
  if (self->carbons != NULL)
    {
      g_clear_signal_handler (&self->carbon_received_id, self->carbons);
      g_clear_signal_handler (&self->carbon_sent_id, self->carbons);
    }
  if (self->history != NULL)
    {
      g_clear_signal_handler (&self->messages_added_id, self->history);
      g_clear_signal_handler (&self->message_updated_id, self->history);
      g_clear_signal_handler (&self->unread_changed_id, self->history);
    }

  /* Read and acknowledged only once stored: stored even now. */
  if (self->history != NULL)
    _talk_chats_flush_incoming (self);

  /* Messages still waiting to be stored: the stream is closing cleanly, so
   * the server counts them handled; the next catch-up reads them from the
   * archive. */
  while ((call = g_queue_pop_head (&self->waiting)) != NULL)
    _talk_chats_call_free (call);

  g_hash_table_remove_all (self->peers);

  g_clear_object (&self->roster);
  g_clear_object (&self->disco);
  g_clear_object (&self->mam);
  g_clear_object (&self->carbons);
  g_clear_object (&self->message);
  g_clear_object (&self->session);
  g_clear_object (&self->history);

  G_OBJECT_CLASS (talk_chats_parent_class)->dispose (object);
}

static void
talk_chats_finalize (GObject *object)
{
  TalkChats *self = TALK_CHATS (object);

  g_hash_table_unref (self->peers);
  g_hash_table_unref (self->sent);
  g_ptr_array_unref (self->unreleased);
  g_clear_object (&self->cancellable);
  g_free (self->account);
  g_free (self->error);
  g_free (self->last_from);
  g_free (self->last_from_bare);

  G_OBJECT_CLASS (talk_chats_parent_class)->finalize (object);
}

static void
talk_chats_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  TalkChats *self = TALK_CHATS (object);

  switch (prop_id)
    {
    case PROP_HISTORY:
      g_value_set_object (value, self->history);
      break;
    case PROP_SESSION:
      g_value_set_object (value, self->session);
      break;
    case PROP_MESSAGE:
      g_value_set_object (value, self->message);
      break;
    case PROP_CARBONS:
      g_value_set_object (value, self->carbons);
      break;
    case PROP_MAM:
      g_value_set_object (value, self->mam);
      break;
    case PROP_DISCO:
      g_value_set_object (value, self->disco);
      break;
    case PROP_ROSTER:
      g_value_set_object (value, self->roster);
      break;
    case PROP_ACCOUNT:
      g_value_set_string (value, self->account);
      break;
    case PROP_ERROR:
      g_value_set_string (value, self->error);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
talk_chats_set_property (GObject      *object,
                         guint         prop_id,
                         const GValue *value,
                         GParamSpec   *pspec)
{
  TalkChats *self = TALK_CHATS (object);

  switch (prop_id)
    {
    case PROP_HISTORY:
      self->history = g_value_dup_object (value);
      break;
    case PROP_SESSION:
      self->session = g_value_dup_object (value);
      break;
    case PROP_MESSAGE:
      self->message = g_value_dup_object (value);
      break;
    case PROP_CARBONS:
      self->carbons = g_value_dup_object (value);
      break;
    case PROP_MAM:
      self->mam = g_value_dup_object (value);
      break;
    case PROP_DISCO:
      self->disco = g_value_dup_object (value);
      break;
    case PROP_ROSTER:
      self->roster = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
talk_chats_class_init (TalkChatsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags construct = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                                G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->constructed = talk_chats_constructed;
  object_class->dispose = talk_chats_dispose;
  object_class->finalize = talk_chats_finalize;
  object_class->get_property = talk_chats_get_property;
  object_class->set_property = talk_chats_set_property;

  properties[PROP_HISTORY] =
    g_param_spec_object ("history", NULL, NULL, TALK_TYPE_HISTORY, construct);
  properties[PROP_SESSION] =
    g_param_spec_object ("session", NULL, NULL, TALK_XMPP_TYPE_SESSION, construct);
  properties[PROP_MESSAGE] =
    g_param_spec_object ("message", NULL, NULL, TALK_XMPP_TYPE_MESSAGE, construct);
  properties[PROP_CARBONS] =
    g_param_spec_object ("carbons", NULL, NULL, TALK_XMPP_TYPE_CARBONS, construct);
  properties[PROP_MAM] =
    g_param_spec_object ("mam", NULL, NULL, TALK_XMPP_TYPE_MAM, construct);
  properties[PROP_DISCO] =
    g_param_spec_object ("disco", NULL, NULL, TALK_XMPP_TYPE_DISCO, construct);
  properties[PROP_ROSTER] =
    g_param_spec_object ("roster", NULL, NULL, TALK_TYPE_ROSTER, construct);
  properties[PROP_ACCOUNT] =
    g_param_spec_string ("account", NULL, NULL, NULL, ro);
  properties[PROP_ERROR] =
    g_param_spec_string ("error", NULL, NULL, NULL, ro);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * TalkChats::message-received:
   * @peer: the conversation's bare JID
   * @message: the message as stored
   * @notify: whether it is news for a desktop notification
   */
  signals[MESSAGE_RECEIVED] =
    g_signal_new ("message-received", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 3,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE, TALK_TYPE_MESSAGE, G_TYPE_BOOLEAN);
  signals[CHAT_STATE_CHANGED] =
    g_signal_new ("chat-state-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE, TALK_XMPP_TYPE_CHAT_STATE);
  signals[UNREAD_CHANGED] =
    g_signal_new ("unread-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                  G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE, G_TYPE_UINT);
}

static void
talk_chats_init (TalkChats *self)
{
  self->peers = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) peer_free);
  self->sent = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->unreleased = g_ptr_array_new ();
  self->cancellable = g_cancellable_new ();
  g_queue_init (&self->waiting);
}
