/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "talk-xmpp.h"

G_BEGIN_DECLS

/**
 * FuzzSession:
 *
 * A TalkXmppSession online over a socketpair, with every protocol module
 * attached as TalkClient attaches them, for the stanza fuzz targets. The
 * fuzzer plays the server: it writes to the other end, and what the
 * session writes back is parsed so that replies can name the ids of its
 * requests.
 *
 * Placeholders in fed text: "@I@" the id of the newest request,
 * "@Q@" the queryid of the archive query, "@O@" the own bare JID,
 * "@F@" the own full JID.
 */
typedef struct _FuzzSession FuzzSession;

#define FUZZ_OWN_BARE "user@example.test"
#define FUZZ_OWN_FULL FUZZ_OWN_BARE "/talk"

typedef enum
{
  FUZZ_REQUEST_NONE,
  FUZZ_REQUEST_ROSTER,    /* a roster get */
  FUZZ_REQUEST_ARCHIVE,   /* an archive query */
  FUZZ_REQUEST_DISCO,     /* a disco#info query to the server */
} FuzzRequest;

FuzzSession *fuzz_session_new  (void);
/* Makes the session send @request, so that the next feed may answer it. */
void         fuzz_session_ask  (FuzzSession *self,
                                FuzzRequest  request);
/* Writes @len bytes (placeholders filled in) and runs the main context
 * until the session has read them all, or closed. */
void         fuzz_session_feed (FuzzSession *self,
                                const char  *data,
                                gsize        len);
void         fuzz_session_free (FuzzSession *self);

/* The libFuzzer glue both targets share */
void         fuzz_init         (void);

G_END_DECLS
