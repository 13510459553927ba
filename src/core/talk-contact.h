/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "talk-xmpp-presence.h"
#include "talk-xmpp-roster.h"

G_BEGIN_DECLS

#define TALK_TYPE_CONTACT (talk_contact_get_type ())
G_DECLARE_FINAL_TYPE (TalkContact, talk_contact, TALK, CONTACT, GObject)

/**
 * TalkContact:
 *
 * One person of an account's roster, or someone outside it whose presence
 * the account sees.
 *
 * Properties: "jid" (normalised bare JID, construct-only), "name" (the
 * roster name, nullable), "display-name" (the roster name, else the JID's
 * localpart, else the JID), "groups" (GStrv), "subscription"
 * (TalkXmppSubscription), "ask" (a subscription request is pending),
 * "show" and "status" (aggregated over the online resources), "n-resources",
 * "color" (XEP-0392 colour of the JID, "#rrggbb") and "initials" (one or two
 * letters for an avatar). All read-only but for the constructor; the model
 * that owns the contact updates it.
 *
 * Aggregation: the resource with the highest priority wins; among equal
 * priorities the most available show (chat, available, away, dnd, xa);
 * among equal shows the resource heard from last.
 */
TalkContact          *talk_contact_new                (const char *jid);

const char           *talk_contact_get_jid            (TalkContact *self);
/* (nullable) */
const char           *talk_contact_get_name           (TalkContact *self);
const char           *talk_contact_get_display_name   (TalkContact *self);
/* (transfer none) (array zero-terminated=1): never %NULL */
const char * const   *talk_contact_get_groups         (TalkContact *self);
TalkXmppSubscription  talk_contact_get_subscription   (TalkContact *self);
gboolean              talk_contact_get_ask            (TalkContact *self);
TalkXmppPresenceShow  talk_contact_get_show           (TalkContact *self);
/* (nullable) */
const char           *talk_contact_get_status         (TalkContact *self);
guint                 talk_contact_get_n_resources    (TalkContact *self);
const char           *talk_contact_get_color          (TalkContact *self);
const char           *talk_contact_get_initials       (TalkContact *self);

/**
 * talk_contact_dup_resources:
 *
 * Returns: (transfer full) (array zero-terminated=1): the online resources,
 *   best first as the aggregation ranks them ("" for presence from the
 *   bare JID)
 */
char                **talk_contact_dup_resources      (TalkContact *self);

/**
 * talk_contact_lookup_resource:
 * @resource: a resource, "" for the bare JID
 * @show: (out) (optional)
 * @status: (out) (optional) (transfer none) (nullable)
 * @priority: (out) (optional)
 *
 * Returns: whether @resource is online
 */
gboolean              talk_contact_lookup_resource    (TalkContact           *self,
                                                       const char            *resource,
                                                       TalkXmppPresenceShow  *show,
                                                       const char           **status,
                                                       int                   *priority);

/**
 * talk_contact_set_item:
 * @item: (nullable): the roster item for this JID, or %NULL when the
 *   contact left the roster (name, groups, subscription and ask reset)
 *
 * Returns: whether anything changed
 */
gboolean              talk_contact_set_item           (TalkContact        *self,
                                                       TalkXmppRosterItem *item);

/**
 * talk_contact_set_presence:
 * @resource: (nullable): the resource, %NULL or "" for the bare JID
 * @show: %TALK_XMPP_PRESENCE_SHOW_OFFLINE removes the resource; from the
 *   bare JID it removes every resource
 * @status: (nullable)
 *
 * Returns: whether anything changed
 */
gboolean              talk_contact_set_presence       (TalkContact          *self,
                                                       const char           *resource,
                                                       TalkXmppPresenceShow  show,
                                                       const char           *status,
                                                       int                   priority);

/* Every resource offline. Returns: whether any was online */
gboolean              talk_contact_clear_presence     (TalkContact *self);

/**
 * talk_contact_compute_initials:
 * @name: a display name
 *
 * The first letters of the first and last words, upper-cased ("Alice
 * Smith" → "AS", "alice" → "A"); a word contributes its first letter or
 * digit, or its first character when it has neither.
 *
 * Returns: (transfer full)
 */
char                 *talk_contact_compute_initials   (const char *name);

G_END_DECLS
