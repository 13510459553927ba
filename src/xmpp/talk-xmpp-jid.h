/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define TALK_XMPP_TYPE_JID (talk_xmpp_jid_get_type ())

/**
 * TalkXmppJid:
 *
 * An immutable, reference-counted JID, validated and normalised per RFC 7622
 * as far as GLib allows: NFC everywhere, case folding of the localpart and the
 * domain, IDNA (A-labels → U-labels) and a trailing dot removed from the
 * domain; the resourcepart is kept as given (NFC only). Parts are limited to
 * 1023 bytes each.
 */
typedef struct _TalkXmppJid TalkXmppJid;

GType        talk_xmpp_jid_get_type        (void) G_GNUC_CONST;

TalkXmppJid *talk_xmpp_jid_new             (const char   *str,
                                            GError      **error);
TalkXmppJid *talk_xmpp_jid_new_from_parts  (const char   *localpart,
                                            const char   *domainpart,
                                            const char   *resourcepart,
                                            GError      **error);
TalkXmppJid *talk_xmpp_jid_ref             (TalkXmppJid  *self);
void         talk_xmpp_jid_unref           (TalkXmppJid  *self);

/* nullable for localpart and resourcepart */
const char  *talk_xmpp_jid_get_localpart   (const TalkXmppJid *self);
const char  *talk_xmpp_jid_get_domainpart  (const TalkXmppJid *self);
const char  *talk_xmpp_jid_get_resourcepart(const TalkXmppJid *self);

/* The normalised string forms; owned by the JID. */
const char  *talk_xmpp_jid_to_string       (const TalkXmppJid *self);
const char  *talk_xmpp_jid_get_bare_string (const TalkXmppJid *self);

gboolean     talk_xmpp_jid_is_bare         (const TalkXmppJid *self);
/* transfer full; returns a new ref to @self when it is already bare */
TalkXmppJid *talk_xmpp_jid_dup_bare        (TalkXmppJid  *self);
/* transfer full; @resourcepart replaces any resource */
TalkXmppJid *talk_xmpp_jid_dup_with_resource (TalkXmppJid *self,
                                              const char  *resourcepart,
                                              GError     **error);

gboolean     talk_xmpp_jid_equal           (const TalkXmppJid *a,
                                            const TalkXmppJid *b);
gboolean     talk_xmpp_jid_equal_bare      (const TalkXmppJid *a,
                                            const TalkXmppJid *b);
guint        talk_xmpp_jid_hash            (const TalkXmppJid *self);

/**
 * talk_xmpp_jid_string_equal:
 *
 * Compares two JID strings after normalisation. Returns %FALSE when either is
 * %NULL or invalid.
 */
gboolean     talk_xmpp_jid_string_equal    (const char *a,
                                            const char *b);

/**
 * talk_xmpp_jid_normalize:
 *
 * Returns: (transfer full) (nullable): the normalised form of @str, or %NULL
 * with @error set when it is not a valid JID.
 */
char        *talk_xmpp_jid_normalize       (const char  *str,
                                            GError     **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TalkXmppJid, talk_xmpp_jid_unref)

G_END_DECLS
