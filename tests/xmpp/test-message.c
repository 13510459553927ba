/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * TalkXmppMessage: the parser as a pure function of a stanza (every
 * element it reads, and malformed input), then the module against a
 * scripted server (TalkTestPeer): what it emits, the exact stanzas it
 * sends, and the rules for receipts and markers.
 */

#include "config.h"

#include <string.h>

#include "talk-xmpp.h"
#include "talk-xmpp-message.h"
#include "talk-test-peer.h"

#define OWN_BARE "user@example.test"
#define OWN_FULL "user@example.test/talk"
#define BOB_FULL "bob@example.org/phone"

#define WAIT_UNTIL(cond) TALK_TEST_WAIT_UNTIL (cond, TALK_TEST_PEER_TIMEOUT_MS)

/* Parsing */

/* @xml (one stanza) read the way the session reads it. */
static TalkXmppStanza *
parse_xml (const char *xml)
{
  static const char header[] =
    "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'"
    " version='1.0' from='example.test'>";
  g_autoptr(TalkXmppReader) reader = talk_xmpp_reader_new ();
  g_autoptr(GError) error = NULL;
  TalkXmppStanza *stanza = NULL;

  g_assert_true (talk_xmpp_reader_feed (reader, header, strlen (header), &error));
  g_assert_true (talk_xmpp_reader_feed (reader, xml, strlen (xml), &error));
  g_assert_no_error (error);
  g_assert_cmpint (talk_xmpp_reader_pop (reader, NULL), ==, TALK_XMPP_READER_EVENT_STREAM_OPEN);
  g_assert_cmpint (talk_xmpp_reader_pop (reader, &stanza), ==, TALK_XMPP_READER_EVENT_STANZA);
  return stanza;
}

static TalkXmppMessageInfo *
parse (const char *xml)
{
  g_autoptr(TalkXmppStanza) stanza = parse_xml (xml);
  g_autoptr(GError) error = NULL;
  TalkXmppMessageInfo *info;

  info = talk_xmpp_message_info_parse (stanza, OWN_BARE, &error);
  g_assert_no_error (error);
  g_assert_nonnull (info);
  return info;
}

static void
assert_parse_fails (const char *xml,
                    GQuark      domain,
                    int         code)
{
  g_autoptr(TalkXmppStanza) stanza = parse_xml (xml);
  g_autoptr(TalkXmppMessageInfo) info = NULL;
  g_autoptr(GError) error = NULL;

  info = talk_xmpp_message_info_parse (stanza, OWN_BARE, &error);
  g_assert_error (error, domain, code);
  g_assert_null (info);
}

static void
assert_stamp (GDateTime  *stamp,
              const char *expected)
{
  g_autofree char *text = NULL;

  g_assert_nonnull (stamp);
  g_assert_true (g_time_zone_get_offset (g_date_time_get_timezone (stamp), 0) == 0);
  text = g_date_time_format_iso8601 (stamp);
  g_assert_cmpstr (text, ==, expected);
}

static void
test_parse_everything (void)
{
  g_autoptr(TalkXmppMessageInfo) info = NULL;

  info = parse ("<message type='chat' from='Bob@Example.ORG/phone' to='" OWN_FULL "' id='m1'>"
                "<body>Hello &lt;b&gt; &amp; bye</body>"
                "<subject>Greeting</subject>"
                "<thread>t-42</thread>"
                "<origin-id xmlns='urn:xmpp:sid:0' id='o1'/>"
                "<stanza-id xmlns='urn:xmpp:sid:0' id='s1' by='User@Example.test'/>"
                "<delay xmlns='urn:xmpp:delay' from='example.test' stamp='2002-09-10T23:08:25Z'/>"
                "<composing xmlns='http://jabber.org/protocol/chatstates'/>"
                "<request xmlns='urn:xmpp:receipts'/>"
                "<markable xmlns='urn:xmpp:chat-markers:0'/>"
                "<replace xmlns='urn:xmpp:message-correct:0' id='m0'/>"
                "</message>");

  g_assert_cmpint (talk_xmpp_message_info_get_message_type (info), ==,
                   TALK_XMPP_MESSAGE_TYPE_CHAT);
  g_assert_cmpstr (talk_xmpp_message_info_get_from (info), ==, "bob@example.org/phone");
  g_assert_cmpstr (talk_xmpp_message_info_get_to (info), ==, OWN_FULL);
  g_assert_cmpstr (talk_xmpp_message_info_get_id (info), ==, "m1");
  /* Plain text: never markup */
  g_assert_cmpstr (talk_xmpp_message_info_get_body (info), ==, "Hello <b> & bye");
  g_assert_cmpstr (talk_xmpp_message_info_get_subject (info), ==, "Greeting");
  g_assert_cmpstr (talk_xmpp_message_info_get_thread (info), ==, "t-42");
  g_assert_cmpstr (talk_xmpp_message_info_get_origin_id (info), ==, "o1");
  g_assert_cmpstr (talk_xmpp_message_info_get_stanza_id (info), ==, "s1");
  g_assert_cmpstr (talk_xmpp_message_info_get_stanza_id_by (info), ==, OWN_BARE);
  assert_stamp (talk_xmpp_message_info_get_delay (info), "2002-09-10T23:08:25Z");
  g_assert_cmpstr (talk_xmpp_message_info_get_delay_from (info), ==, "example.test");
  g_assert_cmpint (talk_xmpp_message_info_get_chat_state (info), ==,
                   TALK_XMPP_CHAT_STATE_COMPOSING);
  g_assert_true (talk_xmpp_message_info_get_receipt_requested (info));
  g_assert_null (talk_xmpp_message_info_get_receipt_id (info));
  g_assert_true (talk_xmpp_message_info_get_markable (info));
  g_assert_null (talk_xmpp_message_info_get_displayed_id (info));
  g_assert_cmpstr (talk_xmpp_message_info_get_replace_id (info), ==, "m0");
  g_assert_null (talk_xmpp_message_info_get_error (info));
  g_assert_false (talk_xmpp_message_info_get_forwarded (info));
  g_assert_true (talk_xmpp_message_info_wants_receipt (info));
  g_assert_null (talk_xmpp_message_info_get_me_action (info));
}

static void
test_parse_minimal (void)
{
  g_autoptr(TalkXmppMessageInfo) info = parse ("<message/>");

  g_assert_cmpint (talk_xmpp_message_info_get_message_type (info), ==,
                   TALK_XMPP_MESSAGE_TYPE_NORMAL);
  g_assert_null (talk_xmpp_message_info_get_from (info));
  g_assert_null (talk_xmpp_message_info_get_to (info));
  g_assert_null (talk_xmpp_message_info_get_id (info));
  g_assert_null (talk_xmpp_message_info_get_body (info));
  g_assert_null (talk_xmpp_message_info_get_subject (info));
  g_assert_null (talk_xmpp_message_info_get_thread (info));
  g_assert_null (talk_xmpp_message_info_get_origin_id (info));
  g_assert_null (talk_xmpp_message_info_get_stanza_id (info));
  g_assert_null (talk_xmpp_message_info_get_stanza_id_by (info));
  g_assert_null (talk_xmpp_message_info_get_delay (info));
  g_assert_null (talk_xmpp_message_info_get_delay_from (info));
  g_assert_cmpint (talk_xmpp_message_info_get_chat_state (info), ==, TALK_XMPP_CHAT_STATE_NONE);
  g_assert_false (talk_xmpp_message_info_get_receipt_requested (info));
  g_assert_false (talk_xmpp_message_info_get_markable (info));
  g_assert_null (talk_xmpp_message_info_get_replace_id (info));
  g_assert_false (talk_xmpp_message_info_wants_receipt (info));
}

static void
test_parse_types (void)
{
  static const struct {
    const char *xml;
    TalkXmppMessageType type;
  } cases[] = {
    { "<message type='chat'/>", TALK_XMPP_MESSAGE_TYPE_CHAT },
    { "<message type='normal'/>", TALK_XMPP_MESSAGE_TYPE_NORMAL },
    { "<message type='groupchat'/>", TALK_XMPP_MESSAGE_TYPE_GROUPCHAT },
    { "<message type='headline'/>", TALK_XMPP_MESSAGE_TYPE_HEADLINE },
    { "<message type='error'/>", TALK_XMPP_MESSAGE_TYPE_ERROR },
    /* RFC 6121 §5.2.2: unknown is normal */
    { "<message type='shout'/>", TALK_XMPP_MESSAGE_TYPE_NORMAL },
    { "<message type='CHAT'/>", TALK_XMPP_MESSAGE_TYPE_NORMAL },
    { "<message type=''/>", TALK_XMPP_MESSAGE_TYPE_NORMAL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(TalkXmppMessageInfo) info = parse (cases[i].xml);

      g_assert_cmpint (talk_xmpp_message_info_get_message_type (info), ==, cases[i].type);
    }

  g_assert_cmpstr (talk_xmpp_message_type_to_string (TALK_XMPP_MESSAGE_TYPE_GROUPCHAT), ==,
                   "groupchat");
}

static void
test_parse_bodies (void)
{
  g_autoptr(TalkXmppMessageInfo) duplicate = NULL;
  g_autoptr(TalkXmppMessageInfo) lang = NULL;
  g_autoptr(TalkXmppMessageInfo) only_lang = NULL;
  g_autoptr(TalkXmppMessageInfo) empty = NULL;
  g_autoptr(TalkXmppMessageInfo) foreign = NULL;

  /* Two bodies of the same language: malformed, the first one wins */
  duplicate = parse ("<message><body>first</body><body>second</body></message>");
  g_assert_cmpstr (talk_xmpp_message_info_get_body (duplicate), ==, "first");

  /* RFC 6121 §5.2.3: the one without xml:lang is the default */
  lang = parse ("<message><body xml:lang='de'>Hallo</body><body>Hello</body>"
                "<body xml:lang='fr'>Salut</body><subject xml:lang='de'>Gruss</subject>"
                "<subject>Greeting</subject></message>");
  g_assert_cmpstr (talk_xmpp_message_info_get_body (lang), ==, "Hello");
  g_assert_cmpstr (talk_xmpp_message_info_get_subject (lang), ==, "Greeting");

  only_lang = parse ("<message><body xml:lang='de'>Hallo</body>"
                     "<body xml:lang='fr'>Salut</body></message>");
  g_assert_cmpstr (talk_xmpp_message_info_get_body (only_lang), ==, "Hallo");

  /* An empty body is a body */
  empty = parse ("<message><body/></message>");
  g_assert_cmpstr (talk_xmpp_message_info_get_body (empty), ==, "");

  /* A <body/> in another namespace is not the message's */
  foreign = parse ("<message><body xmlns='urn:example:other'>nope</body></message>");
  g_assert_null (talk_xmpp_message_info_get_body (foreign));
}

static void
test_parse_delay (void)
{
  g_autoptr(TalkXmppMessageInfo) bad = NULL;
  g_autoptr(TalkXmppMessageInfo) second = NULL;
  g_autoptr(TalkXmppMessageInfo) offset = NULL;
  g_autoptr(TalkXmppMessageInfo) fraction = NULL;
  g_autoptr(TalkXmppMessageInfo) no_zone = NULL;
  g_autoptr(TalkXmppMessageInfo) bad_from = NULL;
  const char *bad_stamps[] = {
    "yesterday", "", "2002-13-45T25:61:61Z", "99999-09-10T23:08:25Z",
    "2002-09-10T23:08:25Z and then some more text that makes it far too long to be a date",
    "-1-01-01T00:00:00Z",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad_stamps); i++)
    {
      g_autofree char *xml = g_strdup_printf ("<message><body>x</body><delay xmlns='urn:xmpp:delay'"
                                              " stamp='%s'/></message>", bad_stamps[i]);

      bad = parse (xml);
      g_assert_null (talk_xmpp_message_info_get_delay (bad));
      g_assert_cmpstr (talk_xmpp_message_info_get_body (bad), ==, "x");
      g_clear_pointer (&bad, talk_xmpp_message_info_unref);
    }

  bad = parse ("<message><delay xmlns='urn:xmpp:delay'/></message>");
  g_assert_null (talk_xmpp_message_info_get_delay (bad));

  /* The first valid one counts */
  second = parse ("<message><delay xmlns='urn:xmpp:delay' stamp='nonsense'/>"
                  "<delay xmlns='urn:xmpp:delay' stamp='2010-07-10T23:08:25Z'/>"
                  "<delay xmlns='urn:xmpp:delay' stamp='2011-07-10T23:08:25Z'/></message>");
  assert_stamp (talk_xmpp_message_info_get_delay (second), "2010-07-10T23:08:25Z");

  /* Converted to UTC */
  offset = parse ("<message><delay xmlns='urn:xmpp:delay' stamp='2002-09-10T23:08:25-02:00'/>"
                  "</message>");
  assert_stamp (talk_xmpp_message_info_get_delay (offset), "2002-09-11T01:08:25Z");
  fraction = parse ("<message><delay xmlns='urn:xmpp:delay' stamp='2002-09-10T23:08:25.123Z'/>"
                    "</message>");
  assert_stamp (talk_xmpp_message_info_get_delay (fraction), "2002-09-10T23:08:25.123000Z");
  no_zone = parse ("<message><delay xmlns='urn:xmpp:delay' stamp='2002-09-10T23:08:25'/>"
                   "</message>");
  assert_stamp (talk_xmpp_message_info_get_delay (no_zone), "2002-09-10T23:08:25Z");

  /* A `from` that is no JID is left out, the stamp kept */
  bad_from = parse ("<message><delay xmlns='urn:xmpp:delay' from='a@b@c'"
                    " stamp='2002-09-10T23:08:25Z'/></message>");
  g_assert_nonnull (talk_xmpp_message_info_get_delay (bad_from));
  g_assert_null (talk_xmpp_message_info_get_delay_from (bad_from));
}

/* XEP-0359 #security: only the stanza-id the own archive added. */
static void
test_parse_stanza_id (void)
{
  g_autoptr(TalkXmppMessageInfo) foreign = NULL;
  g_autoptr(TalkXmppMessageInfo) forged_first = NULL;
  g_autoptr(TalkXmppMessageInfo) full = NULL;
  g_autoptr(TalkXmppMessageInfo) no_by = NULL;
  g_autoptr(TalkXmppMessageInfo) untrusted = NULL;
  g_autoptr(TalkXmppStanza) stanza = NULL;

  foreign = parse ("<message from='" BOB_FULL "'>"
                   "<stanza-id xmlns='urn:xmpp:sid:0' id='x' by='bob@example.org'/></message>");
  g_assert_null (talk_xmpp_message_info_get_stanza_id (foreign));
  g_assert_null (talk_xmpp_message_info_get_stanza_id_by (foreign));

  forged_first = parse ("<message from='" BOB_FULL "'>"
                        "<stanza-id xmlns='urn:xmpp:sid:0' id='forged' by='example.test'/>"
                        "<stanza-id xmlns='urn:xmpp:sid:0' id='real' by='" OWN_BARE "'/>"
                        "</message>");
  g_assert_cmpstr (talk_xmpp_message_info_get_stanza_id (forged_first), ==, "real");

  /* The archive is the bare JID, not a resource of it */
  full = parse ("<message><stanza-id xmlns='urn:xmpp:sid:0' id='x' by='" OWN_FULL "'/></message>");
  g_assert_null (talk_xmpp_message_info_get_stanza_id (full));
  no_by = parse ("<message><stanza-id xmlns='urn:xmpp:sid:0' id='x'/></message>");
  g_assert_null (talk_xmpp_message_info_get_stanza_id (no_by));

  /* No archive JID: nothing is trusted */
  stanza = parse_xml ("<message><stanza-id xmlns='urn:xmpp:sid:0' id='x' by='" OWN_BARE "'/>"
                      "</message>");
  untrusted = talk_xmpp_message_info_parse (stanza, NULL, NULL);
  g_assert_null (talk_xmpp_message_info_get_stanza_id (untrusted));
}

static void
test_parse_invalid_jids (void)
{
  assert_parse_fails ("<message from='a@b@c'><body>hi</body></message>",
                      TALK_XMPP_ERROR, TALK_XMPP_ERROR_INVALID_JID);
  assert_parse_fails ("<message from=''><body>hi</body></message>",
                      TALK_XMPP_ERROR, TALK_XMPP_ERROR_INVALID_JID);
  assert_parse_fails ("<message from='@example.org'><body>hi</body></message>",
                      TALK_XMPP_ERROR, TALK_XMPP_ERROR_INVALID_JID);
  assert_parse_fails ("<message to='bob@'><body>hi</body></message>",
                      TALK_XMPP_ERROR, TALK_XMPP_ERROR_INVALID_JID);
  assert_parse_fails ("<presence/>", TALK_XMPP_ERROR, TALK_XMPP_ERROR_PROTOCOL);
}

static void
test_parse_long_ids (void)
{
  g_autofree char *long_id = g_strnfill (TALK_XMPP_MESSAGE_MAX_ID_BYTES + 1, 'a');
  g_autofree char *max_id = g_strnfill (TALK_XMPP_MESSAGE_MAX_ID_BYTES, 'b');
  g_autofree char *xml = NULL;
  g_autoptr(TalkXmppMessageInfo) info = NULL;

  xml = g_strdup_printf ("<message id='%s'><thread>%s</thread>"
                         "<origin-id xmlns='urn:xmpp:sid:0' id='%s'/>"
                         "<stanza-id xmlns='urn:xmpp:sid:0' id='%s' by='" OWN_BARE "'/>"
                         "<displayed xmlns='urn:xmpp:chat-markers:0' id='%s'/>"
                         "<replace xmlns='urn:xmpp:message-correct:0' id='%s'/>"
                         "<origin-id xmlns='urn:xmpp:sid:0' id='%s'/></message>",
                         long_id, long_id, long_id, long_id, long_id, long_id, max_id);
  info = parse (xml);
  g_assert_null (talk_xmpp_message_info_get_id (info));
  g_assert_null (talk_xmpp_message_info_get_thread (info));
  g_assert_null (talk_xmpp_message_info_get_stanza_id (info));
  g_assert_null (talk_xmpp_message_info_get_displayed_id (info));
  g_assert_null (talk_xmpp_message_info_get_replace_id (info));
  /* The first usable one */
  g_assert_cmpstr (talk_xmpp_message_info_get_origin_id (info), ==, max_id);
}

static void
test_parse_chat_states (void)
{
  static const struct {
    const char *name;
    TalkXmppChatState state;
  } cases[] = {
    { "active", TALK_XMPP_CHAT_STATE_ACTIVE },
    { "composing", TALK_XMPP_CHAT_STATE_COMPOSING },
    { "paused", TALK_XMPP_CHAT_STATE_PAUSED },
    { "inactive", TALK_XMPP_CHAT_STATE_INACTIVE },
    { "gone", TALK_XMPP_CHAT_STATE_GONE },
    { "dancing", TALK_XMPP_CHAT_STATE_NONE },
  };
  g_autoptr(TalkXmppMessageInfo) two = NULL;
  TalkXmppChatState state = TALK_XMPP_CHAT_STATE_NONE;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *xml = g_strdup_printf ("<message type='chat'><%s xmlns='"
                                              TALK_XMPP_NS_CHATSTATES "'/></message>",
                                              cases[i].name);
      g_autoptr(TalkXmppMessageInfo) info = parse (xml);

      g_assert_cmpint (talk_xmpp_message_info_get_chat_state (info), ==, cases[i].state);
    }

  /* The first known one */
  two = parse ("<message><dancing xmlns='" TALK_XMPP_NS_CHATSTATES "'/>"
               "<paused xmlns='" TALK_XMPP_NS_CHATSTATES "'/>"
               "<active xmlns='" TALK_XMPP_NS_CHATSTATES "'/></message>");
  g_assert_cmpint (talk_xmpp_message_info_get_chat_state (two), ==, TALK_XMPP_CHAT_STATE_PAUSED);

  g_assert_null (talk_xmpp_chat_state_to_string (TALK_XMPP_CHAT_STATE_NONE));
  g_assert_cmpstr (talk_xmpp_chat_state_to_string (TALK_XMPP_CHAT_STATE_GONE), ==, "gone");
  g_assert_true (talk_xmpp_chat_state_from_string ("inactive", &state));
  g_assert_cmpint (state, ==, TALK_XMPP_CHAT_STATE_INACTIVE);
  g_assert_false (talk_xmpp_chat_state_from_string ("none", &state));
  g_assert_false (talk_xmpp_chat_state_from_string (NULL, &state));
}

static void
test_parse_receipts_markers (void)
{
  g_autoptr(TalkXmppMessageInfo) received = NULL;
  g_autoptr(TalkXmppMessageInfo) old_style = NULL;
  g_autoptr(TalkXmppMessageInfo) displayed = NULL;
  g_autoptr(TalkXmppMessageInfo) self_correction = NULL;

  received = parse ("<message from='" BOB_FULL "' id='r1'>"
                    "<received xmlns='urn:xmpp:receipts' id='m1'/></message>");
  g_assert_cmpstr (talk_xmpp_message_info_get_receipt_id (received), ==, "m1");
  g_assert_false (talk_xmpp_message_info_get_receipt_requested (received));

  /* Before XEP-0184 1.1 the receipt had the message's id */
  old_style = parse ("<message from='" BOB_FULL "' id='m2'>"
                     "<received xmlns='urn:xmpp:receipts'/></message>");
  g_assert_cmpstr (talk_xmpp_message_info_get_receipt_id (old_style), ==, "m2");

  displayed = parse ("<message from='" BOB_FULL "' type='chat'>"
                     "<displayed xmlns='urn:xmpp:chat-markers:0' id='m3'/></message>");
  g_assert_cmpstr (talk_xmpp_message_info_get_displayed_id (displayed), ==, "m3");
  g_assert_false (talk_xmpp_message_info_get_markable (displayed));

  /* CVE-2021-41055: a correction of itself is none */
  self_correction = parse ("<message id='m4'><body>x</body>"
                           "<replace xmlns='urn:xmpp:message-correct:0' id='m4'/></message>");
  g_assert_null (talk_xmpp_message_info_get_replace_id (self_correction));
}

/* XEP-0184: which messages may be acknowledged. */
static void
test_wants_receipt (void)
{
  static const struct {
    const char *xml;
    gboolean wants;
  } cases[] = {
    { "<message type='chat' id='a' from='" BOB_FULL "'><request xmlns='urn:xmpp:receipts'/>"
      "</message>", TRUE },
    { "<message id='a' from='" BOB_FULL "'><request xmlns='urn:xmpp:receipts'/></message>", TRUE },
    /* No request, no id, no sender */
    { "<message type='chat' id='a' from='" BOB_FULL "'/>", FALSE },
    { "<message type='chat' from='" BOB_FULL "'><request xmlns='urn:xmpp:receipts'/></message>",
      FALSE },
    { "<message type='chat' id='a'><request xmlns='urn:xmpp:receipts'/></message>", FALSE },
    /* Never for errors, groupchat or headlines */
    { "<message type='error' id='a' from='" BOB_FULL "'><request xmlns='urn:xmpp:receipts'/>"
      "</message>", FALSE },
    { "<message type='groupchat' id='a' from='room@muc.example.org/bob'>"
      "<request xmlns='urn:xmpp:receipts'/></message>", FALSE },
    { "<message type='headline' id='a' from='" BOB_FULL "'><request xmlns='urn:xmpp:receipts'/>"
      "</message>", FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(TalkXmppMessageInfo) info = parse (cases[i].xml);

      g_assert_cmpint (talk_xmpp_message_info_wants_receipt (info), ==, cases[i].wants);
    }
}

static void
test_me_action (void)
{
  static const struct {
    const char *body;
    const char *action;
  } cases[] = {
    { "/me waves", "waves" },
    { "/me  waves twice", " waves twice" },
    { "/me", NULL },
    { "/me ", NULL },
    { "/mewaves", NULL },
    { " /me waves", NULL },
    { "/ME waves", NULL },
    { "hi /me waves", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *xml = g_strdup_printf ("<message><body>%s</body></message>",
                                              cases[i].body);
      g_autoptr(TalkXmppMessageInfo) info = parse (xml);

      g_assert_cmpstr (talk_xmpp_message_info_get_me_action (info), ==, cases[i].action);
    }
}

static void
test_parse_error (void)
{
  g_autoptr(TalkXmppMessageInfo) info = NULL;
  g_autoptr(TalkXmppMessageInfo) bare = NULL;
  const GError *error;

  info = parse ("<message type='error' id='m1' from='bob@example.org'>"
                "<body>original</body><error type='cancel'>"
                "<service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
                "<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>Nobody &lt;here&gt;</text>"
                "</error></message>");
  error = talk_xmpp_message_info_get_error (info);
  g_assert_error (error, TALK_XMPP_STANZA_ERROR, TALK_XMPP_STANZA_ERROR_SERVICE_UNAVAILABLE);
  g_assert_cmpstr (error->message, ==, "Nobody <here>");

  /* An error without an <error/> is still one */
  bare = parse ("<message type='error' id='m1'/>");
  g_assert_error (talk_xmpp_message_info_get_error (bare), TALK_XMPP_STANZA_ERROR,
                  TALK_XMPP_STANZA_ERROR_UNDEFINED_CONDITION);
}

static void
test_parse_forwarded (void)
{
  g_autoptr(TalkXmppStanza) result = NULL;
  g_autoptr(TalkXmppMessageInfo) info = NULL;
  g_autoptr(TalkXmppMessageInfo) no_delay = NULL;
  g_autoptr(GError) error = NULL;
  TalkXmppStanza *forwarded;

  result = parse_xml ("<message><result xmlns='urn:xmpp:mam:2' id='a1'>"
                      "<forwarded xmlns='urn:xmpp:forward:0'>"
                      "<delay xmlns='urn:xmpp:delay' stamp='2010-07-10T23:08:25Z'/>"
                      "<message xmlns='jabber:client' type='chat' from='" BOB_FULL "' id='m1'>"
                      "<body>hi</body><request xmlns='urn:xmpp:receipts'/>"
                      "<delay xmlns='urn:xmpp:delay' stamp='2009-07-10T23:08:25Z'/>"
                      "<stanza-id xmlns='urn:xmpp:sid:0' id='other' by='" OWN_BARE "'/>"
                      "</message></forwarded></result></message>");
  forwarded = talk_xmpp_stanza_get_child (talk_xmpp_stanza_get_child (result, "result", NULL),
                                          "forwarded", TALK_XMPP_NS_FORWARD);
  info = talk_xmpp_message_info_parse_forwarded (forwarded, OWN_BARE, "a1", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (talk_xmpp_message_info_get_body (info), ==, "hi");
  g_assert_cmpstr (talk_xmpp_message_info_get_from (info), ==, BOB_FULL);
  /* The archive's id and time win */
  g_assert_cmpstr (talk_xmpp_message_info_get_stanza_id (info), ==, "a1");
  g_assert_cmpstr (talk_xmpp_message_info_get_stanza_id_by (info), ==, OWN_BARE);
  assert_stamp (talk_xmpp_message_info_get_delay (info), "2010-07-10T23:08:25Z");
  g_assert_true (talk_xmpp_message_info_get_forwarded (info));
  /* XEP-0184 #when-archive */
  g_assert_false (talk_xmpp_message_info_wants_receipt (info));

  /* Without an archive id or a delay of its own, the inner ones stay */
  no_delay = talk_xmpp_message_info_parse_forwarded (forwarded, OWN_BARE, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (talk_xmpp_message_info_get_stanza_id (no_delay), ==, "other");
}

static void
assert_forwarded_fails (const char *xml,
                        int         code)
{
  g_autoptr(TalkXmppStanza) stanza = parse_xml (xml);
  g_autoptr(TalkXmppMessageInfo) info = NULL;
  g_autoptr(GError) error = NULL;

  info = talk_xmpp_message_info_parse_forwarded (talk_xmpp_stanza_get_child (stanza, NULL, NULL),
                                                 OWN_BARE, NULL, &error);
  g_assert_error (error, TALK_XMPP_ERROR, code);
  g_assert_null (info);
}

static void
test_parse_forwarded_malformed (void)
{
  /* No message, two messages, a message in the wrong namespace */
  assert_forwarded_fails ("<message><forwarded xmlns='urn:xmpp:forward:0'/></message>",
                          TALK_XMPP_ERROR_PROTOCOL);
  assert_forwarded_fails ("<message><forwarded xmlns='urn:xmpp:forward:0'>"
                          "<message xmlns='jabber:client'><body>a</body></message>"
                          "<message xmlns='jabber:client'><body>b</body></message>"
                          "</forwarded></message>", TALK_XMPP_ERROR_PROTOCOL);
  assert_forwarded_fails ("<message><forwarded xmlns='urn:xmpp:forward:0'>"
                          "<message><body>a</body></message></forwarded></message>",
                          TALK_XMPP_ERROR_PROTOCOL);
  /* Not a forwarded element at all */
  assert_forwarded_fails ("<message><wrapped xmlns='urn:xmpp:forward:0'>"
                          "<message xmlns='jabber:client'/></wrapped></message>",
                          TALK_XMPP_ERROR_PROTOCOL);
  /* The forwarded message's own address is bad */
  assert_forwarded_fails ("<message><forwarded xmlns='urn:xmpp:forward:0'>"
                          "<message xmlns='jabber:client' from='x@@y'/></forwarded></message>",
                          TALK_XMPP_ERROR_INVALID_JID);
}

/* The module against a scripted server */

typedef struct
{
  char   *id;
  char   *from;
  GError *error;
} Failure;

static void
failure_free (gpointer data)
{
  Failure *failure = data;

  g_free (failure->id);
  g_free (failure->from);
  g_clear_error (&failure->error);
  g_free (failure);
}

typedef struct
{
  TalkTestPeer    *peer;
  TalkXmppSession *session;
  TalkXmppMessage *message;
  GPtrArray       *received;  /* TalkXmppMessageInfo */
  GPtrArray       *failures;  /* Failure */
} Fixture;

static void
message_received_cb (TalkXmppMessage     *message,
                     TalkXmppMessageInfo *info,
                     Fixture             *f)
{
  g_ptr_array_add (f->received, talk_xmpp_message_info_ref (info));
}

static void
message_error_cb (TalkXmppMessage *message,
                  const char      *id,
                  const char      *from,
                  const GError    *error,
                  Fixture         *f)
{
  Failure *failure = g_new0 (Failure, 1);

  failure->id = g_strdup (id);
  failure->from = g_strdup (from);
  failure->error = g_error_copy (error);
  g_ptr_array_add (f->failures, failure);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(TalkXmppJid) jid = talk_xmpp_jid_new (OWN_BARE, NULL);

  f->session = talk_xmpp_session_new (jid);
  g_object_set (f->session, "keepalive-seconds", 0, "auto-reconnect", FALSE, NULL);
  f->message = talk_xmpp_message_new (f->session);
  f->received = g_ptr_array_new_with_free_func ((GDestroyNotify) talk_xmpp_message_info_unref);
  f->failures = g_ptr_array_new_with_free_func (failure_free);
  g_signal_connect (f->message, "message-received", G_CALLBACK (message_received_cb), f);
  g_signal_connect (f->message, "message-error", G_CALLBACK (message_error_cb), f);

  f->peer = talk_test_peer_new (f->session, OWN_FULL);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_object (&f->message);
  g_clear_object (&f->session);
  g_clear_pointer (&f->peer, talk_test_peer_free);
  talk_test_run_for (20);
  g_ptr_array_unref (f->received);
  g_ptr_array_unref (f->failures);
}

static char *
stanza_to_string (TalkXmppStanza *stanza)
{
  return talk_xmpp_stanza_to_string (stanza, TALK_XMPP_NS_CLIENT);
}

/* @stanza serialised without its random id. */
static char *
to_string_without_id (TalkXmppStanza *stanza)
{
  g_autoptr(TalkXmppStanza) copy = talk_xmpp_stanza_copy (stanza);

  talk_xmpp_stanza_set_attribute (copy, "id", NULL);
  return stanza_to_string (copy);
}

/* Delivers @xml and returns the message it was received as. */
static TalkXmppMessageInfo *
deliver_one (Fixture    *f,
             const char *xml)
{
  guint before = f->received->len;

  talk_test_peer_deliver (f->peer, xml);
  g_assert_cmpuint (f->received->len, ==, before + 1);
  return g_ptr_array_index (f->received, before);
}

static void
test_received (Fixture       *f,
               gconstpointer  data)
{
  TalkXmppMessageInfo *info;

  info = deliver_one (f, "<message type='chat' from='" BOB_FULL "' to='" OWN_FULL "' id='m1'>"
                         "<body>Hi!</body><request xmlns='urn:xmpp:receipts'/>"
                         "<stanza-id xmlns='urn:xmpp:sid:0' id='s1' by='" OWN_BARE "'/>"
                         "</message>");
  g_assert_cmpstr (talk_xmpp_message_info_get_body (info), ==, "Hi!");
  g_assert_cmpstr (talk_xmpp_message_info_get_from (info), ==, BOB_FULL);
  g_assert_cmpstr (talk_xmpp_message_info_get_stanza_id (info), ==, "s1");
  g_assert_true (talk_xmpp_message_info_wants_receipt (info));

  /* Bodiless ones too: chat states, receipts */
  info = deliver_one (f, "<message type='chat' from='" BOB_FULL "'>"
                         "<composing xmlns='" TALK_XMPP_NS_CHATSTATES "'/></message>");
  g_assert_null (talk_xmpp_message_info_get_body (info));
  g_assert_cmpint (talk_xmpp_message_info_get_chat_state (info), ==,
                   TALK_XMPP_CHAT_STATE_COMPOSING);

  /* Nothing was answered on the user's behalf: no automatic receipt */
  talk_test_run_for (20);
  g_assert_cmpuint (talk_test_peer_get_n_pending (f->peer), ==, 0);
  g_assert_cmpuint (f->failures->len, ==, 0);
}

/* A room's stanza-id is trusted for its groupchat messages. */
static void
test_received_groupchat (Fixture       *f,
                         gconstpointer  data)
{
  TalkXmppMessageInfo *info;

  info = deliver_one (f, "<message type='groupchat' from='room@muc.example.org/bob' id='g1'>"
                         "<body>hi all</body>"
                         "<stanza-id xmlns='urn:xmpp:sid:0' id='own' by='" OWN_BARE "'/>"
                         "<stanza-id xmlns='urn:xmpp:sid:0' id='room1' by='room@muc.example.org'/>"
                         "</message>");
  g_assert_cmpstr (talk_xmpp_message_info_get_stanza_id (info), ==, "room1");
  g_assert_cmpstr (talk_xmpp_message_info_get_stanza_id_by (info), ==, "room@muc.example.org");
  g_assert_false (talk_xmpp_message_info_wants_receipt (info));
}

static void
test_received_error (Fixture       *f,
                     gconstpointer  data)
{
  Failure *failure;

  talk_test_peer_deliver (f->peer, "<message type='error' from='bob@example.org' id='m7'>"
                                   "<error type='cancel'><item-not-found xmlns='"
                                   TALK_XMPP_NS_STANZAS "'/></error></message>");
  g_assert_cmpuint (f->received->len, ==, 0);
  g_assert_cmpuint (f->failures->len, ==, 1);
  failure = g_ptr_array_index (f->failures, 0);
  g_assert_cmpstr (failure->id, ==, "m7");
  g_assert_cmpstr (failure->from, ==, "bob@example.org");
  g_assert_error (failure->error, TALK_XMPP_STANZA_ERROR, TALK_XMPP_STANZA_ERROR_ITEM_NOT_FOUND);

  /* An error that refers to nothing is dropped */
  talk_test_peer_deliver (f->peer, "<message type='error' from='bob@example.org'>"
                                   "<error type='cancel'><gone xmlns='"
                                   TALK_XMPP_NS_STANZAS "'/></error></message>");
  g_assert_cmpuint (f->received->len, ==, 0);
  g_assert_cmpuint (f->failures->len, ==, 1);
}

static void
test_received_malformed (Fixture       *f,
                         gconstpointer  data)
{
  /* A bad address drops the message: no `from` would mean the server */
  talk_test_peer_deliver (f->peer, "<message type='chat' from='bob@@example.org'>"
                                   "<body>spoof</body></message>");
  talk_test_peer_deliver (f->peer, "<message type='chat' from='" BOB_FULL "' to='x@'>"
                                   "<body>spoof</body></message>");
  g_assert_cmpuint (f->received->len, ==, 0);

  /* Still reading after that */
  deliver_one (f, "<message type='chat' from='" BOB_FULL "'><body>ok</body></message>");
}

/* Carbon copies and archive results are not this module's, even from
 * the own account, and even when nobody else takes them. */
static void
test_received_wrappers (Fixture       *f,
                        gconstpointer  data)
{
  talk_test_peer_deliver (f->peer, "<message from='" OWN_BARE "'>"
                                   "<received xmlns='urn:xmpp:carbons:2'>"
                                   "<forwarded xmlns='urn:xmpp:forward:0'>"
                                   "<message xmlns='jabber:client' from='" BOB_FULL "'>"
                                   "<body>carbon</body></message></forwarded></received>"
                                   "</message>");
  talk_test_peer_deliver (f->peer, "<message from='mallory@evil.example'>"
                                   "<sent xmlns='urn:xmpp:carbons:2'>"
                                   "<forwarded xmlns='urn:xmpp:forward:0'>"
                                   "<message xmlns='jabber:client' from='" BOB_FULL "'>"
                                   "<body>forged</body></message></forwarded></sent>"
                                   "<body>outer</body></message>");
  talk_test_peer_deliver (f->peer, "<message><result xmlns='urn:xmpp:mam:2' queryid='q' id='1'>"
                                   "<forwarded xmlns='urn:xmpp:forward:0'>"
                                   "<message xmlns='jabber:client' from='" BOB_FULL "'>"
                                   "<body>archived</body></message></forwarded></result>"
                                   "</message>");
  g_assert_cmpuint (f->received->len, ==, 0);

  /* <private/> on an ordinary message makes it no wrapper */
  deliver_one (f, "<message type='chat' from='" BOB_FULL "'><body>p</body>"
                  "<private xmlns='urn:xmpp:carbons:2'/></message>");
}

/* The reader caps a stanza at 1 MiB; a body just below arrives whole. */
static void
test_received_huge_body (Fixture       *f,
                         gconstpointer  data)
{
  gsize body_len = TALK_XMPP_READER_DEFAULT_MAX_STANZA_BYTES - 1024;
  g_autofree char *body = g_strnfill (body_len, 'x');
  g_autofree char *xml = g_strdup_printf ("<message type='chat' from='" BOB_FULL "' id='big'>"
                                          "<body>%s</body></message>", body);
  TalkXmppMessageInfo *info;

  talk_test_peer_send_large (f->peer, xml);
  WAIT_UNTIL (f->received->len == 1);
  info = g_ptr_array_index (f->received, 0);
  g_assert_cmpuint (strlen (talk_xmpp_message_info_get_body (info)), ==, body_len);
  g_assert_cmpstr (talk_xmpp_message_info_get_id (info), ==, "big");
}

/* Sending */

static void
test_send_chat (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(TalkXmppStanza) sent = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  g_autofree char *xml = NULL;
  g_autofree char *generated = NULL;

  id = talk_xmpp_message_send_chat (f->message, "Bob@Example.ORG", "Hi <you> & 'them'",
                                    "origin-1", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (id, ==, "origin-1");

  sent = talk_test_peer_expect (f->peer, "message");
  xml = stanza_to_string (sent);
  g_assert_cmpstr (xml, ==,
                   "<message type='chat' to='bob@example.org' id='origin-1'>"
                   "<body>Hi &lt;you&gt; &amp; &apos;them&apos;</body>"
                   "<origin-id xmlns='urn:xmpp:sid:0' id='origin-1'/>"
                   "<request xmlns='urn:xmpp:receipts'/>"
                   "<markable xmlns='urn:xmpp:chat-markers:0'/>"
                   "<active xmlns='http://jabber.org/protocol/chatstates'/>"
                   "</message>");
  g_clear_pointer (&sent, talk_xmpp_stanza_unref);

  /* Without an origin id one is made, the same for both */
  generated = talk_xmpp_message_send_chat (f->message, BOB_FULL, "again", NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (generated);
  sent = talk_test_peer_expect (f->peer, "message");
  g_assert_cmpstr (talk_xmpp_stanza_get_id (sent), ==, generated);
  g_assert_cmpstr (talk_xmpp_stanza_get_attribute (
                     talk_xmpp_stanza_get_child (sent, "origin-id", TALK_XMPP_NS_SID), "id"),
                   ==, generated);
  g_assert_cmpstr (talk_xmpp_stanza_get_to (sent), ==, BOB_FULL);
}

static void
test_send_chat_refused (Fixture       *f,
                        gconstpointer  data)
{
  g_autofree char *big = g_strnfill (TALK_XMPP_MESSAGE_MAX_SEND_BODY_BYTES + 1, 'x');
  g_autofree char *long_id = g_strnfill (TALK_XMPP_MESSAGE_MAX_ID_BYTES + 1, 'a');
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;

  id = talk_xmpp_message_send_chat (f->message, "not a jid@@", "hi", NULL, &error);
  g_assert_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_INVALID_JID);
  g_assert_null (id);
  g_clear_error (&error);

  id = talk_xmpp_message_send_chat (f->message, BOB_FULL, big, NULL, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE);
  g_assert_null (id);
  g_clear_error (&error);

  id = talk_xmpp_message_send_chat (f->message, BOB_FULL, "hi", long_id, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_null (id);
  g_clear_error (&error);

  talk_test_run_for (20);
  g_assert_cmpuint (talk_test_peer_get_n_pending (f->peer), ==, 0);
}

static void
test_send_offline (void)
{
  g_autoptr(TalkXmppJid) jid = talk_xmpp_jid_new (OWN_BARE, NULL);
  g_autoptr(TalkXmppSession) session = talk_xmpp_session_new (jid);
  g_autoptr(TalkXmppMessage) message = talk_xmpp_message_new (session);
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;

  g_assert_true (talk_xmpp_message_get_session (message) == session);
  id = talk_xmpp_message_send_chat (message, BOB_FULL, "hi", "o1", &error);
  g_assert_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_NOT_CONNECTED);
  g_assert_null (id);
  g_clear_error (&error);

  g_assert_false (talk_xmpp_message_send_chat_state (message, BOB_FULL,
                                                     TALK_XMPP_CHAT_STATE_COMPOSING, &error));
  g_assert_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_NOT_CONNECTED);
}

static void
test_send_private (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(TalkXmppStanza) message = NULL;
  g_autoptr(TalkXmppStanza) sent = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;

  /* Built, extended, then sent */
  message = talk_xmpp_message_build_chat (BOB_FULL, "secret", "o9", &error);
  g_assert_no_error (error);
  talk_xmpp_stanza_add_child (message, "private", "urn:xmpp:carbons:2");
  id = talk_xmpp_message_send (f->message, message, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (id, ==, "o9");

  sent = talk_test_peer_expect (f->peer, "message");
  g_assert_nonnull (talk_xmpp_stanza_get_child (sent, "private", "urn:xmpp:carbons:2"));
}

static void
test_send_chat_state (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(TalkXmppStanza) sent = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = NULL;

  g_assert_true (talk_xmpp_message_send_chat_state (f->message, BOB_FULL,
                                                    TALK_XMPP_CHAT_STATE_PAUSED, &error));
  g_assert_no_error (error);
  sent = talk_test_peer_expect (f->peer, "message");
  xml = to_string_without_id (sent);
  /* XEP-0085 standalone, not archived (XEP-0334) */
  g_assert_cmpstr (xml, ==,
                   "<message type='chat' to='" BOB_FULL "'>"
                   "<paused xmlns='http://jabber.org/protocol/chatstates'/>"
                   "<no-store xmlns='urn:xmpp:hints'/></message>");

  g_assert_false (talk_xmpp_message_send_chat_state (f->message, "@", TALK_XMPP_CHAT_STATE_GONE,
                                                     &error));
  g_assert_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_INVALID_JID);
}

static void
test_send_receipt (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(TalkXmppStanza) sent = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = NULL;
  TalkXmppMessageInfo *info;

  info = deliver_one (f, "<message type='chat' from='" BOB_FULL "' id='m1'><body>hi</body>"
                         "<request xmlns='urn:xmpp:receipts'/></message>");
  /* Only once the caller says so */
  talk_test_run_for (20);
  g_assert_cmpuint (talk_test_peer_get_n_pending (f->peer), ==, 0);

  g_assert_true (talk_xmpp_message_send_receipt (f->message, info, &error));
  g_assert_no_error (error);
  sent = talk_test_peer_expect (f->peer, "message");
  xml = to_string_without_id (sent);
  /* XEP-0184 #format: to the sender, the same type, no request of its own */
  g_assert_cmpstr (xml, ==,
                   "<message type='chat' to='" BOB_FULL "'>"
                   "<received xmlns='urn:xmpp:receipts' id='m1'/></message>");
  g_assert_nonnull (talk_xmpp_stanza_get_id (sent));
  g_clear_pointer (&sent, talk_xmpp_stanza_unref);
  g_clear_pointer (&xml, g_free);

  /* A normal message gets a receipt without a type */
  info = deliver_one (f, "<message from='" BOB_FULL "' id='m2'><body>hi</body>"
                         "<request xmlns='urn:xmpp:receipts'/></message>");
  g_assert_true (talk_xmpp_message_send_receipt (f->message, info, &error));
  sent = talk_test_peer_expect (f->peer, "message");
  xml = to_string_without_id (sent);
  g_assert_cmpstr (xml, ==,
                   "<message to='" BOB_FULL "'>"
                   "<received xmlns='urn:xmpp:receipts' id='m2'/></message>");
}

static void
assert_no_receipt (Fixture    *f,
                   const char *xml)
{
  g_autoptr(TalkXmppStanza) stanza = parse_xml (xml);
  g_autoptr(TalkXmppMessageInfo) info = talk_xmpp_message_info_parse (stanza, OWN_BARE, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_false (talk_xmpp_message_send_receipt (f->message, info, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
}

static void
test_send_receipt_refused (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(TalkXmppStanza) archived = NULL;
  g_autoptr(TalkXmppMessageInfo) info = NULL;
  g_autoptr(GError) error = NULL;

  /* Not asked for */
  assert_no_receipt (f, "<message type='chat' from='" BOB_FULL "' id='m1'><body>hi</body>"
                        "</message>");
  /* XEP-0184 #when-groupchat, and never errors */
  assert_no_receipt (f, "<message type='groupchat' from='room@muc.example.org/bob' id='m1'>"
                        "<body>hi</body><request xmlns='urn:xmpp:receipts'/></message>");
  assert_no_receipt (f, "<message type='error' from='" BOB_FULL "' id='m1'>"
                        "<request xmlns='urn:xmpp:receipts'/></message>");
  /* No id to refer to */
  assert_no_receipt (f, "<message type='chat' from='" BOB_FULL "'><body>hi</body>"
                        "<request xmlns='urn:xmpp:receipts'/></message>");

  /* XEP-0184 #when-archive */
  archived = parse_xml ("<message><forwarded xmlns='urn:xmpp:forward:0'>"
                        "<message xmlns='jabber:client' type='chat' from='" BOB_FULL "' id='m1'>"
                        "<body>hi</body><request xmlns='urn:xmpp:receipts'/></message>"
                        "</forwarded></message>");
  info = talk_xmpp_message_info_parse_forwarded (talk_xmpp_stanza_get_child (archived, NULL, NULL),
                                                 OWN_BARE, "a1", NULL);
  g_assert_false (talk_xmpp_message_send_receipt (f->message, info, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);

  talk_test_run_for (20);
  g_assert_cmpuint (talk_test_peer_get_n_pending (f->peer), ==, 0);
}

static void
test_send_displayed (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(TalkXmppStanza) sent = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *xml = NULL;

  g_assert_true (talk_xmpp_message_send_displayed (f->message, BOB_FULL, "m1",
                                                   TALK_XMPP_MESSAGE_TYPE_CHAT, &error));
  g_assert_no_error (error);
  sent = talk_test_peer_expect (f->peer, "message");
  xml = to_string_without_id (sent);
  g_assert_cmpstr (xml, ==,
                   "<message type='chat' to='" BOB_FULL "'>"
                   "<displayed xmlns='urn:xmpp:chat-markers:0' id='m1'/>"
                   "<store xmlns='urn:xmpp:hints'/></message>");
  g_clear_pointer (&sent, talk_xmpp_stanza_unref);
  g_clear_pointer (&xml, g_free);

  /* A room's message goes by its stanza-id, to the room */
  g_assert_true (talk_xmpp_message_send_displayed (f->message, "room@muc.example.org", "s9",
                                                   TALK_XMPP_MESSAGE_TYPE_GROUPCHAT, &error));
  sent = talk_test_peer_expect (f->peer, "message");
  xml = to_string_without_id (sent);
  g_assert_cmpstr (xml, ==,
                   "<message type='groupchat' to='room@muc.example.org'>"
                   "<displayed xmlns='urn:xmpp:chat-markers:0' id='s9'/>"
                   "<store xmlns='urn:xmpp:hints'/></message>");

  /* Markers for errors and headlines, or without an id, are not */
  g_assert_false (talk_xmpp_message_send_displayed (f->message, BOB_FULL, "m1",
                                                    TALK_XMPP_MESSAGE_TYPE_ERROR, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (talk_xmpp_message_send_displayed (f->message, BOB_FULL, "m1",
                                                    TALK_XMPP_MESSAGE_TYPE_HEADLINE, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (talk_xmpp_message_send_displayed (f->message, BOB_FULL, "",
                                                    TALK_XMPP_MESSAGE_TYPE_CHAT, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (talk_xmpp_message_send_displayed (f->message, "x@@", "m1",
                                                    TALK_XMPP_MESSAGE_TYPE_CHAT, &error));
  g_assert_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_INVALID_JID);

  talk_test_run_for (20);
  g_assert_cmpuint (talk_test_peer_get_n_pending (f->peer), ==, 0);
}

static void
test_send_correction (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(TalkXmppStanza) sent = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  g_autofree char *xml = NULL;

  id = talk_xmpp_message_send_correction (f->message, BOB_FULL, "Hello, fixed", "origin-1",
                                          "origin-2", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (id, ==, "origin-2");
  sent = talk_test_peer_expect (f->peer, "message");
  xml = stanza_to_string (sent);
  g_assert_cmpstr (xml, ==,
                   "<message type='chat' to='" BOB_FULL "' id='origin-2'>"
                   "<body>Hello, fixed</body>"
                   "<origin-id xmlns='urn:xmpp:sid:0' id='origin-2'/>"
                   "<request xmlns='urn:xmpp:receipts'/>"
                   "<markable xmlns='urn:xmpp:chat-markers:0'/>"
                   "<active xmlns='http://jabber.org/protocol/chatstates'/>"
                   "<replace xmlns='urn:xmpp:message-correct:0' id='origin-1'/>"
                   "</message>");
  g_clear_pointer (&id, g_free);

  /* CVE-2021-41055: never a correction of itself */
  id = talk_xmpp_message_send_correction (f->message, BOB_FULL, "x", "same", "same", &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_assert_null (id);

  talk_test_run_for (20);
  g_assert_cmpuint (talk_test_peer_get_n_pending (f->peer), ==, 0);
}

/* The module lets go of the session's handler table when it goes. */
static void
test_dispose (Fixture       *f,
              gconstpointer  data)
{
  g_clear_object (&f->message);
  talk_test_peer_deliver (f->peer, "<message type='chat' from='" BOB_FULL "'><body>hi</body>"
                                   "</message>");
  g_assert_cmpuint (f->received->len, ==, 0);
}

#define ADD(path, func) \
  g_test_add ("/talk/xmpp/message/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

int
main (int   argc,
      char *argv[])
{
  g_setenv ("GIO_USE_NETWORK_MONITOR", "base", TRUE);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/talk/xmpp/message/parse-everything", test_parse_everything);
  g_test_add_func ("/talk/xmpp/message/parse-minimal", test_parse_minimal);
  g_test_add_func ("/talk/xmpp/message/parse-types", test_parse_types);
  g_test_add_func ("/talk/xmpp/message/parse-bodies", test_parse_bodies);
  g_test_add_func ("/talk/xmpp/message/parse-delay", test_parse_delay);
  g_test_add_func ("/talk/xmpp/message/parse-stanza-id", test_parse_stanza_id);
  g_test_add_func ("/talk/xmpp/message/parse-invalid-jids", test_parse_invalid_jids);
  g_test_add_func ("/talk/xmpp/message/parse-long-ids", test_parse_long_ids);
  g_test_add_func ("/talk/xmpp/message/parse-chat-states", test_parse_chat_states);
  g_test_add_func ("/talk/xmpp/message/parse-receipts-markers", test_parse_receipts_markers);
  g_test_add_func ("/talk/xmpp/message/wants-receipt", test_wants_receipt);
  g_test_add_func ("/talk/xmpp/message/me-action", test_me_action);
  g_test_add_func ("/talk/xmpp/message/parse-error", test_parse_error);
  g_test_add_func ("/talk/xmpp/message/parse-forwarded", test_parse_forwarded);
  g_test_add_func ("/talk/xmpp/message/parse-forwarded-malformed", test_parse_forwarded_malformed);
  ADD ("received", test_received);
  ADD ("received-groupchat", test_received_groupchat);
  ADD ("received-error", test_received_error);
  ADD ("received-malformed", test_received_malformed);
  ADD ("received-wrappers", test_received_wrappers);
  ADD ("received-huge-body", test_received_huge_body);
  ADD ("send-chat", test_send_chat);
  ADD ("send-chat-refused", test_send_chat_refused);
  g_test_add_func ("/talk/xmpp/message/send-offline", test_send_offline);
  ADD ("send-private", test_send_private);
  ADD ("send-chat-state", test_send_chat_state);
  ADD ("send-receipt", test_send_receipt);
  ADD ("send-receipt-refused", test_send_receipt_refused);
  ADD ("send-displayed", test_send_displayed);
  ADD ("send-correction", test_send_correction);
  ADD ("dispose", test_dispose);

  return g_test_run ();
}
