/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libFuzzer target for each protocol module's parsing. The first byte
 * picks the module; the rest is the part of a stanza that module reads,
 * put in the envelope that takes it there on an online session:
 *
 *   0 roster    the items of a reply to a roster get
 *   1 roster    a roster push from the own account
 *   2 presence  a presence from a contact (show, status, caps, nick)
 *   3 message   a message from a contact (body, ids, states, receipts…)
 *   4 carbons   the forwarded message of a received carbon
 *   5 carbons   the forwarded message of a sent carbon
 *   6 archive   result messages of an open query, then the <fin/> reply
 *   7 disco     the <query/> of a disco#info reply
 *
 * Placeholders as in fuzz-router.c. Checked: sanitizers, no critical, and
 * the session's own output stays well-formed.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "fuzz-session.h"

int LLVMFuzzerInitialize   (int            *argc,
                            char         ***argv);
int LLVMFuzzerTestOneInput (const uint8_t  *data,
                            size_t          size);

typedef struct
{
  FuzzRequest  request;
  const char  *before;
  const char  *after;
} Envelope;

static const Envelope envelopes[] = {
  { FUZZ_REQUEST_ROSTER,
    "<iq type='result' id='@I@'><query xmlns='jabber:iq:roster'>",
    "</query></iq>" },
  { FUZZ_REQUEST_NONE,
    "<iq type='set' id='push' from='@O@'><query xmlns='jabber:iq:roster'>",
    "</query></iq>" },
  { FUZZ_REQUEST_NONE,
    "<presence from='contact@example.test/phone' to='@F@'>",
    "</presence>" },
  { FUZZ_REQUEST_NONE,
    "<message from='contact@example.test/phone' to='@F@' type='chat' id='m1'>",
    "</message>" },
  { FUZZ_REQUEST_NONE,
    "<message from='@O@' to='@F@' type='chat'><received xmlns='urn:xmpp:carbons:2'>"
    "<forwarded xmlns='urn:xmpp:forward:0'>",
    "</forwarded></received></message>" },
  { FUZZ_REQUEST_NONE,
    "<message from='@O@' to='@F@' type='chat'><sent xmlns='urn:xmpp:carbons:2'>"
    "<forwarded xmlns='urn:xmpp:forward:0'>",
    "</forwarded></sent></message>" },
  { FUZZ_REQUEST_ARCHIVE,
    "<message to='@F@'><result xmlns='urn:xmpp:mam:2' queryid='@Q@' id='a1'>"
    "<forwarded xmlns='urn:xmpp:forward:0'>",
    "</forwarded></result></message>"
    "<iq type='result' id='@I@'><fin xmlns='urn:xmpp:mam:2' complete='true'>"
    "<set xmlns='http://jabber.org/protocol/rsm'><first>a1</first><last>a1</last></set>"
    "</fin></iq>" },
  { FUZZ_REQUEST_DISCO,
    "<iq type='result' id='@I@' from='example.test'>",
    "</iq>" },
};

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
  g_autoptr(GString) text = NULL;
  const Envelope *envelope;
  FuzzSession *session;

  if (size == 0)
    return 0;

  envelope = &envelopes[data[0] % G_N_ELEMENTS (envelopes)];
  text = g_string_new (envelope->before);
  g_string_append_len (text, (const char *) data + 1, size - 1);
  g_string_append (text, envelope->after);

  session = fuzz_session_new ();
  fuzz_session_ask (session, envelope->request);
  fuzz_session_feed (session, text->str, text->len);
  fuzz_session_free (session);

  return 0;
}
