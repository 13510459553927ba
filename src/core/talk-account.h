/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "talk-xmpp.h"

G_BEGIN_DECLS

#define TALK_TYPE_ACCOUNT (talk_account_get_type ())
G_DECLARE_FINAL_TYPE (TalkAccount, talk_account, TALK, ACCOUNT, GObject)

/**
 * TalkAccount:
 *
 * One configured account, kept in GSettings (schema com.example.Talk,
 * relocatable com.example.Talk.Account under /com/example/Talk/accounts/ID/).
 * Properties: "id" (construct-only), "jid", "resource", "host", "port",
 * "direct-tls", "pinned-certificate", "enabled". Never holds a password
 * beyond handing it to the session.
 */

/* The accounts listed in settings. (transfer full) (element-type TalkAccount) */
GPtrArray   *talk_account_load_all             (void);
/* Creates, stores and lists a new account. (transfer full) */
TalkAccount *talk_account_create               (const char  *jid,
                                                GError     **error);
/* Removes from the list and resets its settings. */
void         talk_account_remove               (TalkAccount *self);

const char  *talk_account_get_id               (TalkAccount *self);
const char  *talk_account_get_jid              (TalkAccount *self);
const char  *talk_account_get_resource         (TalkAccount *self);
const char  *talk_account_get_host             (TalkAccount *self);
guint16      talk_account_get_port             (TalkAccount *self);
gboolean     talk_account_get_direct_tls       (TalkAccount *self);
const char  *talk_account_get_pinned_certificate (TalkAccount *self);
gboolean     talk_account_get_enabled          (TalkAccount *self);

void         talk_account_set_resource         (TalkAccount *self, const char *resource);
void         talk_account_set_host             (TalkAccount *self, const char *host,
                                                guint16 port, gboolean direct_tls);
void         talk_account_set_pinned_certificate (TalkAccount *self, const char *fingerprint);
void         talk_account_set_enabled          (TalkAccount *self, gboolean enabled);

/* The presence last chosen, never OFFLINE, and its status message
 * (nullable out: %NULL for none). */
void         talk_account_get_presence         (TalkAccount           *self,
                                                TalkXmppPresenceShow  *show,
                                                char                 **status_message);
/* Choosing OFFLINE keeps the show chosen before; the message is kept. */
void         talk_account_set_presence         (TalkAccount           *self,
                                                TalkXmppPresenceShow   show,
                                                const char            *status_message);

/* A session configured from the account (host, port, pin, resource).
 * (transfer full) */
TalkXmppSession *talk_account_create_session   (TalkAccount  *self,
                                                GError      **error);

G_END_DECLS
