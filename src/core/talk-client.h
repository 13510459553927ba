/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "talk-account.h"
#include "talk-chats.h"
#include "talk-roster.h"
#include "talk-xmpp.h"
#include "modules/talk-xmpp-presence.h"
#include "modules/talk-xmpp-roster.h"

G_BEGIN_DECLS

/**
 * TalkClientStatus:
 * @TALK_CLIENT_STATUS_NO_ACCOUNT: nothing configured: show the sign-in page
 * @TALK_CLIENT_STATUS_OFFLINE: the user chose Offline
 * @TALK_CLIENT_STATUS_CONNECTING: an attempt is under way ("session-state" tells the phase)
 * @TALK_CLIENT_STATUS_ONLINE: signed in
 * @TALK_CLIENT_STATUS_WAITING: lost or failed for a passing reason; an
 *   automatic retry is scheduled at "reconnect-at"
 * @TALK_CLIENT_STATUS_NEEDS_PASSWORD: no usable password (none stored,
 *   keyring unavailable or locked, or the stored one was refused): ask,
 *   saying "error" as the reason
 * @TALK_CLIENT_STATUS_CERTIFICATE: the server's certificate is not trusted;
 *   "certificate-fingerprint" and "error" say why; the user decides
 * @TALK_CLIENT_STATUS_FAILED: stopped for a reason that needs the user
 *   (no TLS, conflict, configuration): "error" says what
 */
typedef enum
{
  TALK_CLIENT_STATUS_NO_ACCOUNT,
  TALK_CLIENT_STATUS_OFFLINE,
  TALK_CLIENT_STATUS_CONNECTING,
  TALK_CLIENT_STATUS_ONLINE,
  TALK_CLIENT_STATUS_WAITING,
  TALK_CLIENT_STATUS_NEEDS_PASSWORD,
  TALK_CLIENT_STATUS_CERTIFICATE,
  TALK_CLIENT_STATUS_FAILED,
} TalkClientStatus;

#define TALK_TYPE_CLIENT_STATUS (talk_client_status_get_type ())
GType talk_client_status_get_type (void) G_GNUC_CONST;

#define TALK_TYPE_CLIENT (talk_client_get_type ())
G_DECLARE_FINAL_TYPE (TalkClient, talk_client, TALK, CLIENT, GObject)

/**
 * TalkClient:
 *
 * The app's world for one account (DESIGN.md src/core): the account and its
 * session, the roster and presence modules, disco/caps, the roster model,
 * the password from the keyring, and the own presence policy. The UI reads
 * its properties and calls its methods; it never touches the session.
 *
 * Properties (all read-only unless noted, all notify):
 * "status" (TalkClientStatus), "session-state" (TalkXmppSessionState),
 * "account" (TalkAccount, nullable), "jid" (string, nullable: the bare JID),
 * "roster" (GListModel of TalkContact; empty without an account),
 * "show" (TalkXmppPresenceShow: what the user chose), "status-message"
 * (string, nullable), "error" (string, nullable: a sentence for people
 * about the last failure), "certificate-fingerprint" (string, nullable),
 * "certificate-errors" (GTlsCertificateFlags: why that certificate did not
 * validate, for talk_xmpp_certificate_describe_errors()),
 * "reconnect-at" (gint64, monotonic µs, 0 when none),
 * "password-saved" (gboolean: FALSE when the keyring could not take it;
 * the UI says so), "chats" (TalkChats, nullable: the account's chats, a new
 * object when the account changes).
 *
 * Signal "password-not-saved": a password the user asked to remember
 * could not be stored in the keyring, whichever way it was given (the
 * sign-in form, the banner, after trusting a certificate). The sign-in
 * stands; the UI says the password will be asked for again.
 *
 * Messages are kept in one history at the default path
 * (talk_history_dup_default_path()), opened with the first account.
 */
TalkClient       *talk_client_new                 (void);

/**
 * talk_client_start:
 *
 * Loads the first enabled account from settings. With one, looks up its
 * password in the keyring and signs in (status CONNECTING → ONLINE, or
 * NEEDS_PASSWORD with the reason when the keyring has none, is missing or
 * is locked). Without one, status NO_ACCOUNT.
 */
void              talk_client_start               (TalkClient *self);

/**
 * talk_client_sign_in_async:
 * @jid: the address the user typed
 * @password: kept in memory for this session; stored in the keyring only
 *   when @remember is TRUE and the sign-in succeeded
 * @host: (nullable): manual server host (advanced), NULL for DNS
 * @port: 0 for the default
 *
 * Creates (or updates) the account and signs in with the current presence
 * choice (Available when it was Offline). Completes when online or when
 * the attempt failed; a failure leaves the account configured, so
 * "status" tells what the user should do (NEEDS_PASSWORD for a wrong
 * password, CERTIFICATE, FAILED…). Errors: the session's GError.
 */
void              talk_client_sign_in_async       (TalkClient          *self,
                                                   const char          *jid,
                                                   const char          *password,
                                                   gboolean             remember,
                                                   const char          *host,
                                                   guint16              port,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
gboolean          talk_client_sign_in_finish      (TalkClient    *self,
                                                   GAsyncResult  *result,
                                                   GError       **error);

/**
 * talk_client_start_with_password:
 * @jid: the account's address
 * @password: kept in memory for this session only
 * @host: (nullable): manual server host, NULL for DNS
 * @port: 0 for the default
 * @pinned_fingerprint: (nullable): SHA-256 fingerprint of the server's
 *   certificate to trust, NULL for none
 *
 * Configures (creates or updates) the account with @host, @port and
 * @pinned_fingerprint and signs in without touching the keyring: for a
 * throwaway account whose password must never end up in the user's
 * keyring (the demo launcher, tests).
 */
void              talk_client_start_with_password (TalkClient *self,
                                                   const char *jid,
                                                   const char *password,
                                                   const char *host,
                                                   guint16     port,
                                                   const char *pinned_fingerprint);

/* For NEEDS_PASSWORD: tries again with @password (stored when @remember). */
void              talk_client_provide_password    (TalkClient *self,
                                                   const char *password,
                                                   gboolean    remember);

/* For CERTIFICATE: pins the certificate with @fingerprint for this account
 * (settings) and tries again. Only the fingerprint shown is accepted. */
void              talk_client_trust_certificate   (TalkClient *self,
                                                   const char *fingerprint);

/**
 * talk_client_set_presence:
 * @status_message: (nullable)
 *
 * The user's choice, applied at once: sends presence when online, connects
 * when coming from Offline, signs out cleanly (unavailable presence, stream
 * closed) for OFFLINE. Remembered for the next reconnect.
 */
void              talk_client_set_presence        (TalkClient           *self,
                                                   TalkXmppPresenceShow  show,
                                                   const char           *status_message);

/* Skips the wait of WAITING. */
void              talk_client_retry_now           (TalkClient *self);

/* Signs out, removes the account from settings and its password from the
 * keyring; status NO_ACCOUNT. */
void              talk_client_forget_account      (TalkClient *self);

/* Disconnects cleanly (on quit). */
void              talk_client_shutdown_async      (TalkClient          *self,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
gboolean          talk_client_shutdown_finish     (TalkClient    *self,
                                                   GAsyncResult  *result,
                                                   GError       **error);

TalkClientStatus      talk_client_get_status      (TalkClient *self);
TalkXmppSessionState  talk_client_get_session_state (TalkClient *self);
TalkAccount          *talk_client_get_account     (TalkClient *self);
const char           *talk_client_get_jid         (TalkClient *self);
GListModel           *talk_client_get_roster      (TalkClient *self);
TalkXmppPresenceShow  talk_client_get_show        (TalkClient *self);
const char           *talk_client_get_status_message (TalkClient *self);
const char           *talk_client_get_error       (TalkClient *self);
const char           *talk_client_get_certificate_fingerprint (TalkClient *self);
GTlsCertificateFlags  talk_client_get_certificate_errors (TalkClient *self);
gint64                talk_client_get_reconnect_at (TalkClient *self);
gboolean              talk_client_get_password_saved (TalkClient *self);
/* (transfer none) (nullable): for diagnostics and tests */
TalkXmppSession      *talk_client_get_session     (TalkClient *self);
/* (transfer none) (nullable): the account's chats; %NULL without an account */
TalkChats            *talk_client_get_chats       (TalkClient *self);

G_END_DECLS
