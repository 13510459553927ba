/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What the parts of TalkChats share:
 *
 *   talk-chats.c           the object, its API and signals, the session's
 *                          and the history's signals, chat states
 *   talk-chats-incoming.c  live messages and carbons: reports, the trust in
 *                          stanza-ids, store, receipts, held acks
 *   talk-chats-outgoing.c  pending messages, sending once per stream,
 *                          stream management acks
 *   talk-chats-archive.c   the catch-up after sign-in and older pages
 *                          (XEP-0313)
 */
#pragma once

#include "talk-chats.h"

G_BEGIN_DECLS

/* XEP-0359 #security: whether the server vouches for stanza-ids by the
 * own bare JID (it advertises urn:xmpp:sid:0). */
typedef enum
{
  TALK_CHATS_SID_UNKNOWN,
  TALK_CHATS_SID_TRUSTED,
  TALK_CHATS_SID_UNTRUSTED,
} TalkChatsSidTrust;

/* How a message reached us. */
typedef enum
{
  TALK_CHATS_ORIGIN_LIVE,
  TALK_CHATS_ORIGIN_CARBON_RECEIVED,
  TALK_CHATS_ORIGIN_CARBON_SENT,
  TALK_CHATS_ORIGIN_ARCHIVE,
} TalkChatsOrigin;

/* What is known about one conversation partner. */
typedef struct
{
  TalkChats *chats;                 /* not owned: peers die with it */
  char *jid;

  TalkConversation *conversation;   /* weak: while someone holds it */
  TalkMessage *last_outgoing;
  guint unread;

  /* XEP-0333: the history row the last displayed marker of this run
   * named (the history keeps which markers are owed, across restarts). */
  gint64 displayed_row;

  /* XEP-0085 */
  TalkXmppChatState peer_state;
  TalkXmppChatState own_state;
  int supports_states;              /* -1 not known, 0 no, 1 yes (§5.1) */
  gint64 last_typed;                /* monotonic µs */
  guint paused_id;
  guint inactive_id;

  /* XEP-0313 paging backwards */
  char *archive_before;
  gboolean archive_exhausted;
} TalkChatsPeer;

struct _TalkChats
{
  GObject parent_instance;

  TalkHistory *history;
  TalkXmppSession *session;
  TalkXmppMessage *message;
  TalkXmppCarbons *carbons;
  TalkXmppMam *mam;
  TalkXmppDisco *disco;
  TalkRoster *roster;
  char *account;
  char *error;

  GHashTable *peers;                /* bare JID → TalkChatsPeer */
  GCancellable *cancellable;

  /* The current stream */
  guint serial;                     /* bumped by each new stream */
  gboolean flushed;                 /* pending messages went out: new ones go at once */
  GHashTable *sent;                 /* origin-id → peer, sent on this stream */
  TalkChatsSidTrust sid;
  gboolean catching_up;             /* the first archive page is on its way */
  GQueue waiting;                   /* TalkChatsCall: incoming while either is so */
  GPtrArray *batch;                 /* TalkChatsCall: incoming, to store together */
  guint batch_source_id;
  GPtrArray *unreleased;            /* TalkXmppAckToken of stanzas that could not be stored */
  char *last_from;                  /* the last sender classified, and its bare JID: */
  char *last_from_bare;             /* a burst comes from one address */

  gulong online_id;
  gulong resumed_id;
  gulong disconnected_id;
  gulong acknowledged_id;
  gulong unacknowledged_id;
  gulong received_id;
  gulong error_id;
  gulong carbon_received_id;
  gulong carbon_sent_id;
  gulong messages_added_id;
  gulong message_updated_id;
  gulong unread_changed_id;
};

/* The context of one async call. */
typedef struct
{
  GWeakRef self;
  guint serial;
  TalkChatsOrigin origin;
  char *peer;
  TalkMessage *message;
  TalkXmppMessageInfo *info;
  TalkXmppMamPage *page;
  GPtrArray *messages;              /* TalkMessage */
  GPtrArray *calls;                 /* TalkChatsCall: the messages of a batch */
  guint rounds;

  /* A held XEP-0198 ack: released once the message is stored. */
  TalkXmppSession *session;
  TalkXmppAckToken *token;
} TalkChatsCall;

/* talk-chats.c */
TalkChatsCall *_talk_chats_call_new              (TalkChats         *self);
void           _talk_chats_call_free             (TalkChatsCall     *call);
/* Returns: (transfer full) (nullable): the bare JID of @jid, normalised */
char          *_talk_chats_bare_jid_dup          (const char        *jid);
gboolean       _talk_chats_is_online             (TalkChats         *self);
void           _talk_chats_set_error             (TalkChats    *self,
                                                  const GError *error);
/* @jid: a normalised bare JID */
TalkChatsPeer *_talk_chats_ensure_peer           (TalkChats  *self,
                                                  const char *jid);
gboolean       _talk_chats_may_share_activity    (TalkChats  *self,
                                                  const char *peer);
void           _talk_chats_log_failure           (const char   *what,
                                                  const GError *error);
void           _talk_chats_update_state          (TalkChats        *self,
                                                  const char       *peer,
                                                  const char       *id,
                                                  TalkMessageState  state,
                                                  const char       *error_text);
void           _talk_chats_record_own_displayed  (TalkChats  *self,
                                                  const char *peer,
                                                  const char *id);
void           _talk_chats_mark_read             (TalkChats  *self,
                                                  const char *peer);
void           _talk_chats_emit_message_received (TalkChats   *self,
                                                  const char  *peer,
                                                  TalkMessage *message,
                                                  gboolean     notify);
void           _talk_chats_peer_set_chat_state   (TalkChatsPeer     *peer,
                                                  TalkXmppChatState  state);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TalkChatsCall, _talk_chats_call_free)

/* talk-chats-incoming.c */
TalkMessage   *_talk_chats_message_from_info     (TalkChats            *self,
                                                  TalkXmppMessageInfo  *info,
                                                  TalkChatsOrigin       origin,
                                                  const char           *peer,
                                                  TalkMessageDirection  direction,
                                                  TalkMessageState      state);
gboolean       _talk_chats_classify              (TalkChats             *self,
                                                  TalkXmppMessageInfo   *info,
                                                  TalkChatsOrigin        origin,
                                                  char                 **peer,
                                                  TalkMessageDirection  *direction);
void           _talk_chats_apply_reports         (TalkChats            *self,
                                                  TalkXmppMessageInfo  *info,
                                                  TalkChatsOrigin       origin,
                                                  const char           *peer_jid,
                                                  TalkMessageDirection  direction);
void           _talk_chats_drain_waiting         (TalkChats            *self);
void           _talk_chats_flush_incoming        (TalkChats            *self);
void           _talk_chats_check_sid             (TalkChats            *self);
void           _talk_chats_message_received_cb   (TalkXmppMessage     *module,
                                                  TalkXmppMessageInfo *info,
                                                  TalkChats           *self);
void           _talk_chats_carbon_received_cb    (TalkXmppCarbons     *carbons,
                                                  TalkXmppMessageInfo *info,
                                                  TalkChats           *self);
void           _talk_chats_carbon_sent_cb        (TalkXmppCarbons     *carbons,
                                                  TalkXmppMessageInfo *info,
                                                  TalkChats           *self);
void           _talk_chats_message_error_cb      (TalkXmppMessage *module,
                                                  const char      *id,
                                                  const char      *from,
                                                  const GError    *error,
                                                  TalkChats       *self);

/* talk-chats-outgoing.c */
TalkMessage   *_talk_chats_new_outgoing          (TalkChats  *self,
                                                  const char *peer,
                                                  const char *body,
                                                  const char *replaces);
void           _talk_chats_store_outgoing        (TalkChats   *self,
                                                  TalkMessage *message);
void           _talk_chats_flush_pending         (TalkChats       *self);
void           _talk_chats_stanza_acknowledged_cb    (TalkXmppSession *session,
                                                      TalkXmppStanza  *stanza,
                                                      TalkChats       *self);
void           _talk_chats_stanzas_unacknowledged_cb (TalkXmppSession *session,
                                                      GPtrArray       *stanzas,
                                                      TalkChats       *self);

/* talk-chats-archive.c */
void           _talk_chats_catch_up              (TalkChats       *self);

G_END_DECLS
