/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "talk-client.h"

G_BEGIN_DECLS

#define TALK_TYPE_SIGNIN_PAGE (talk_signin_page_get_type ())
G_DECLARE_FINAL_TYPE (TalkSigninPage, talk_signin_page, TALK, SIGNIN_PAGE, AdwBin)

/**
 * TalkSigninPage:
 *
 * The welcome page with the sign-in form: address, password, whether to
 * remember it, and an optional server and port. "Sign In" calls
 * talk_client_sign_in_async(); a failure is explained under the form
 * with the client's "error" sentence.
 *
 * Properties: "client" (TalkClient), "busy" (read-only: a sign-in is
 * under way). Signals: "signed-in" (gboolean remember: the user asked to
 * keep the password) when the sign-in succeeded; TalkClient has settled
 * "password-saved" by then.
 */
GtkWidget  *talk_signin_page_new        (TalkClient     *client);

TalkClient *talk_signin_page_get_client (TalkSigninPage *self);
void        talk_signin_page_set_client (TalkSigninPage *self,
                                         TalkClient     *client);
gboolean    talk_signin_page_get_busy   (TalkSigninPage *self);

/* Empties the form but for what the account already says (address,
 * server, port), hides the last error and focuses the first empty field. */
void        talk_signin_page_reset      (TalkSigninPage *self);

G_END_DECLS
