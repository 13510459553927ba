/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* libsecret schema name; passwords live only in the system keyring. */
#define TALK_KEYRING_SCHEMA_NAME "com.example.Talk.Account"

/**
 * talk_keyring_lookup_password_async:
 * @jid: the account's bare JID (normalised)
 *
 * Never blocks the main loop. The finish function returns the password, or
 * NULL with no error when none is stored, or NULL with
 * TALK_CORE_ERROR_KEYRING_UNAVAILABLE / _LOCKED.
 */
void      talk_keyring_lookup_password_async  (const char          *jid,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
/* Returns: (transfer full) (nullable): free with talk_keyring_password_free() */
char     *talk_keyring_lookup_password_finish (GAsyncResult  *result,
                                               GError       **error);

void      talk_keyring_store_password_async   (const char          *jid,
                                               const char          *password,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
gboolean  talk_keyring_store_password_finish  (GAsyncResult  *result,
                                               GError       **error);

void      talk_keyring_clear_password_async   (const char          *jid,
                                               GCancellable        *cancellable,
                                               GAsyncReadyCallback  callback,
                                               gpointer             user_data);
gboolean  talk_keyring_clear_password_finish  (GAsyncResult  *result,
                                               GError       **error);

/* Wipes and frees a password. */
void      talk_keyring_password_free          (char *password);

G_END_DECLS
