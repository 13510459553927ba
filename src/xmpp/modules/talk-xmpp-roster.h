/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "talk-xmpp-session.h"
#include "talk-xmpp-stanza.h"

G_BEGIN_DECLS

#define TALK_XMPP_NS_ROSTER     "jabber:iq:roster"
#define TALK_XMPP_NS_ROSTER_VER "urn:xmpp:features:rosterver"

/**
 * TalkXmppSubscription:
 * @TALK_XMPP_SUBSCRIPTION_NONE: no presence subscription either way
 * @TALK_XMPP_SUBSCRIPTION_TO: the user sees the contact's presence
 * @TALK_XMPP_SUBSCRIPTION_FROM: the contact sees the user's presence
 * @TALK_XMPP_SUBSCRIPTION_BOTH: both ways
 * @TALK_XMPP_SUBSCRIPTION_REMOVE: only in pushes: the item is gone
 *
 * The 'subscription' attribute of a roster item (RFC 6121 §2.1.2.5).
 */
typedef enum
{
  TALK_XMPP_SUBSCRIPTION_NONE,
  TALK_XMPP_SUBSCRIPTION_TO,
  TALK_XMPP_SUBSCRIPTION_FROM,
  TALK_XMPP_SUBSCRIPTION_BOTH,
  TALK_XMPP_SUBSCRIPTION_REMOVE,
} TalkXmppSubscription;

#define TALK_XMPP_TYPE_SUBSCRIPTION (talk_xmpp_subscription_get_type ())
GType        talk_xmpp_subscription_get_type    (void) G_GNUC_CONST;

/* The attribute value ("none", "to", …). */
const char  *talk_xmpp_subscription_to_string   (TalkXmppSubscription  subscription);
/* Returns: %FALSE for anything RFC 6121 §2.1.2.5 does not list */
gboolean     talk_xmpp_subscription_from_string (const char            *str,
                                                 TalkXmppSubscription  *subscription);

#define TALK_XMPP_TYPE_ROSTER_ITEM (talk_xmpp_roster_item_get_type ())

/**
 * TalkXmppRosterItem:
 *
 * One roster item (RFC 6121 §2.1.2), immutable and reference-counted: the
 * contact's normalised bare JID, the name the user gave it, its groups
 * (sorted, unique, never empty strings), the subscription state and
 * whether an outbound subscription request is pending (ask='subscribe').
 */
typedef struct _TalkXmppRosterItem TalkXmppRosterItem;

GType                talk_xmpp_roster_item_get_type         (void) G_GNUC_CONST;

/**
 * talk_xmpp_roster_item_new:
 * @jid: a bare JID; it is normalised
 * @name: (nullable): the user's name for the contact; "" counts as none
 * @groups: (nullable) (array zero-terminated=1): group names
 * @subscription: the subscription state
 * @ask: whether a subscription request is pending
 * @error: set to %TALK_XMPP_ERROR_INVALID_JID when @jid is not a valid bare JID
 *
 * Returns: (transfer full) (nullable): the item
 */
TalkXmppRosterItem  *talk_xmpp_roster_item_new              (const char           *jid,
                                                             const char           *name,
                                                             const char * const   *groups,
                                                             TalkXmppSubscription  subscription,
                                                             gboolean              ask,
                                                             GError              **error);
TalkXmppRosterItem  *talk_xmpp_roster_item_ref              (TalkXmppRosterItem *self);
void                 talk_xmpp_roster_item_unref            (TalkXmppRosterItem *self);

const char          *talk_xmpp_roster_item_get_jid          (TalkXmppRosterItem *self);
/* (nullable) */
const char          *talk_xmpp_roster_item_get_name         (TalkXmppRosterItem *self);
/* (transfer none) (array zero-terminated=1): never %NULL */
const char * const  *talk_xmpp_roster_item_get_groups       (TalkXmppRosterItem *self);
TalkXmppSubscription talk_xmpp_roster_item_get_subscription (TalkXmppRosterItem *self);
gboolean             talk_xmpp_roster_item_get_ask          (TalkXmppRosterItem *self);
gboolean             talk_xmpp_roster_item_equal            (TalkXmppRosterItem *a,
                                                             TalkXmppRosterItem *b);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TalkXmppRosterItem, talk_xmpp_roster_item_unref)

#define TALK_XMPP_TYPE_ROSTER (talk_xmpp_roster_get_type ())
G_DECLARE_FINAL_TYPE (TalkXmppRoster, talk_xmpp_roster, TALK_XMPP, ROSTER, GObject)

/**
 * TalkXmppRoster:
 *
 * The roster protocol of one session (RFC 6121 §2): fetching, versioning
 * (§2.6), pushes (§2.1.6) and changes (§2.3–2.5).
 *
 * A push is taken only from the user's own account
 * (talk_xmpp_session_is_from_own_account(), SECURITY.md §1.1); any other is
 * answered with service-unavailable and never applied.
 *
 * Signals, for accepted pushes, after the push has been answered:
 * "item-updated" (TalkXmppRosterItem) for an added or changed item,
 * "item-removed" (const char *jid) for subscription='remove', then
 * "version-changed" (const char *ver) when the push carried a version.
 */
TalkXmppRoster   *talk_xmpp_roster_new                   (TalkXmppSession *session);

/* (transfer none) */
TalkXmppSession  *talk_xmpp_roster_get_session           (TalkXmppRoster  *self);

/* Whether the server advertised roster versioning in its stream features
 * (RFC 6121 §2.6.1). */
gboolean          talk_xmpp_roster_get_versioning_supported (TalkXmppRoster *self);

/**
 * talk_xmpp_roster_fetch_async:
 * @ver: (nullable): the version of the roster the caller holds, or %NULL
 *   when it holds none
 *
 * Retrieves the roster (RFC 6121 §2.2). The 'ver' attribute is sent only
 * when the server advertised versioning: @ver, or "" when @ver is %NULL
 * (§2.6.2).
 */
void              talk_xmpp_roster_fetch_async           (TalkXmppRoster      *self,
                                                          const char          *ver,
                                                          GCancellable        *cancellable,
                                                          GAsyncReadyCallback  callback,
                                                          gpointer             user_data);

/**
 * talk_xmpp_roster_fetch_finish:
 * @items: (out) (transfer full) (optional) (nullable) (element-type TalkXmppRosterItem):
 *   the whole roster, or %NULL when the server answered that the version
 *   sent is current (RFC 6121 §2.6.3: the changes follow as pushes)
 * @ver: (out) (transfer full) (optional) (nullable): the roster's version,
 *   %NULL when the server does not version rosters
 *
 * Items with an invalid JID are left out (and logged).
 *
 * Returns: %TRUE on success
 */
gboolean          talk_xmpp_roster_fetch_finish          (TalkXmppRoster  *self,
                                                          GAsyncResult    *result,
                                                          GPtrArray      **items,
                                                          char           **ver,
                                                          GError         **error);

/**
 * talk_xmpp_roster_set_item_async:
 * @jid: the contact's bare JID
 * @name: (nullable): the name to give it; %NULL or "" for none
 * @groups: (nullable) (array zero-terminated=1): its groups; empty names
 *   and duplicates are dropped
 *
 * Adds or updates an item (RFC 6121 §2.3, §2.4). The server's push that
 * follows is what changes the roster. An invalid @jid fails with
 * %TALK_XMPP_ERROR_INVALID_JID.
 */
void              talk_xmpp_roster_set_item_async        (TalkXmppRoster      *self,
                                                          const char          *jid,
                                                          const char          *name,
                                                          const char * const  *groups,
                                                          GCancellable        *cancellable,
                                                          GAsyncReadyCallback  callback,
                                                          gpointer             user_data);
gboolean          talk_xmpp_roster_set_item_finish       (TalkXmppRoster  *self,
                                                          GAsyncResult    *result,
                                                          GError         **error);

/**
 * talk_xmpp_roster_remove_item_async:
 * @jid: the contact's bare JID
 *
 * Removes an item (RFC 6121 §2.5); the server also cancels the
 * subscriptions both ways.
 */
void              talk_xmpp_roster_remove_item_async     (TalkXmppRoster      *self,
                                                          const char          *jid,
                                                          GCancellable        *cancellable,
                                                          GAsyncReadyCallback  callback,
                                                          gpointer             user_data);
gboolean          talk_xmpp_roster_remove_item_finish    (TalkXmppRoster  *self,
                                                          GAsyncResult    *result,
                                                          GError         **error);

G_END_DECLS
