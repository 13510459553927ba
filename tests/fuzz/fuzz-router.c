/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libFuzzer target for the stanza router: whatever follows the stream
 * header, read by an online TalkXmppSession with every module attached
 * (disco, roster, presence, message, carbons, archive), as the server
 * would send it. The first byte says which requests are open first (a
 * roster get, an archive query, a disco#info query), so that replies can
 * match them: "@I@" in the input is the newest request's id, "@Q@" the
 * archive query's queryid, "@O@" / "@F@" the own bare / full JID.
 *
 * Checked besides the sanitizers: no critical is logged, and whatever the
 * session writes back is well-formed XML.
 */
#include "config.h"

#include <stdint.h>

#include "fuzz-session.h"

int LLVMFuzzerInitialize   (int            *argc,
                            char         ***argv);
int LLVMFuzzerTestOneInput (const uint8_t  *data,
                            size_t          size);

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  fuzz_init ();
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  FuzzSession *session;
  guint8 asks;

  if (size == 0)
    return 0;

  asks = data[0];
  session = fuzz_session_new ();
  if (asks & 0x01)
    fuzz_session_ask (session, FUZZ_REQUEST_ROSTER);
  if (asks & 0x02)
    fuzz_session_ask (session, FUZZ_REQUEST_DISCO);
  if (asks & 0x04)
    fuzz_session_ask (session, FUZZ_REQUEST_ARCHIVE);
  fuzz_session_feed (session, (const char *) data + 1, size - 1);
  fuzz_session_free (session);

  return 0;
}
