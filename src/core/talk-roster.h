/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "talk-contact.h"
#include "talk-xmpp-presence.h"
#include "talk-xmpp-roster.h"

G_BEGIN_DECLS

#define TALK_TYPE_ROSTER (talk_roster_get_type ())
G_DECLARE_FINAL_TYPE (TalkRoster, talk_roster, TALK, ROSTER, GObject)

/**
 * TalkRoster:
 *
 * The contact list of one account: a #GListModel of #TalkContact in the
 * order the server listed them, new contacts appended.
 *
 * It fetches the roster whenever the session comes online, passing the
 * version it holds (RFC 6121 §2.6), and follows pushes and presence:
 * a fetch replaces the whole list in one "items-changed"; an added,
 * removed or changed contact is one "items-changed" for its row only
 * (a change is (position, 1, 1) so that filter and sort models above
 * look at it again). When the session goes offline every resource goes
 * offline, announced as one "items-changed" over the rows concerned.
 *
 * Presence from JIDs outside the roster is kept apart, not listed (see
 * talk_roster_lookup_unlisted()).
 *
 * Properties: "roster" (TalkXmppRoster, construct-only), "presence"
 * (TalkXmppPresence, construct-only), "version" (nullable string),
 * "loaded" (a fetch succeeded once), "n-items", "item-type",
 * "cache-path" (nullable string, construct-only), "fetching" (a fetch
 * of this session is under way).
 */
TalkRoster  *talk_roster_new                 (TalkXmppRoster   *roster,
                                              TalkXmppPresence *presence);

/**
 * talk_roster_new_cached:
 * @cache_path: the account's roster cache (see talk-roster-cache.h)
 *
 * Starts with the rows and version of the last run, all offline, so the
 * contact list shows at once and the first fetch asks only for what
 * changed; writes the list back, a moment after each change the server
 * confirmed, and at dispose.
 */
TalkRoster  *talk_roster_new_cached          (TalkXmppRoster   *roster,
                                              TalkXmppPresence *presence,
                                              const char       *cache_path);

/* The roster version last seen, or %NULL. */
const char  *talk_roster_get_version         (TalkRoster *self);
gboolean     talk_roster_get_loaded          (TalkRoster *self);
gboolean     talk_roster_get_fetching        (TalkRoster *self);

/**
 * talk_roster_lookup:
 * @jid: a bare JID, normalised
 *
 * Returns: (transfer none) (nullable): the listed contact
 */
TalkContact *talk_roster_lookup              (TalkRoster *self,
                                              const char *jid);

/**
 * talk_roster_lookup_position:
 * @jid: a bare JID, normalised
 * @position: (out) (optional): its row
 *
 * Returns: whether @jid is listed
 */
gboolean     talk_roster_lookup_position     (TalkRoster *self,
                                              const char *jid,
                                              guint      *position);

/**
 * talk_roster_lookup_unlisted:
 * @jid: a bare JID, normalised
 *
 * Someone outside the roster who is online to the account (directed
 * presence, the account's other resources).
 *
 * Returns: (transfer none) (nullable)
 */
TalkContact *talk_roster_lookup_unlisted     (TalkRoster *self,
                                              const char *jid);

/* Fetches the roster again now, when the session is online. */
void         talk_roster_refresh             (TalkRoster *self);

G_END_DECLS
