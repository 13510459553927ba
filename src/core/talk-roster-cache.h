/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "modules/talk-xmpp-roster.h"

G_BEGIN_DECLS

/*
 * The roster of an account as last received, kept between runs so that
 * the next sign-in asks only for what changed (RFC 6121 §2.6) and the
 * contact list shows at once. One file per account, written whole and
 * atomically; a missing, foreign or damaged file is only a cache miss.
 */

/**
 * talk_roster_cache_load:
 * @path: the cache file
 * @version: (out) (transfer full) (nullable): the roster version, %NULL
 *   when the server does not version rosters
 * @error: G_IO_ERROR_NOT_FOUND when there is no file; G_IO_ERROR_INVALID_DATA
 *   when it is not a roster cache of this format or holds an invalid item
 *
 * Returns: (transfer container) (element-type TalkXmppRosterItem) (nullable):
 *   the items in the server's order
 */
GPtrArray *talk_roster_cache_load (const char  *path,
                                   char       **version,
                                   GError     **error);

/**
 * talk_roster_cache_save:
 * @path: the cache file; its directory is made (mode 700) when missing
 * @version: (nullable): the roster version
 * @items: (element-type TalkXmppRosterItem): the items
 *
 * Writes the file readable by the user only.
 */
gboolean   talk_roster_cache_save (const char  *path,
                                   const char  *version,
                                   GPtrArray   *items,
                                   GError     **error);

G_END_DECLS
