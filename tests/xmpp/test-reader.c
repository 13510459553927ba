/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "talk-xmpp-reader.h"

#define HEADER \
  "<?xml version='1.0' encoding='UTF-8'?>" \
  "<stream:stream xmlns='jabber:client'" \
  " xmlns:stream='http://etherx.jabber.org/streams'" \
  " from='example.org' id='c2s-4a7b' version='1.0' xml:lang='en'>"

#define BARE_HEADER \
  "<stream:stream xmlns='jabber:client'" \
  " xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>"

/* A realistic server-to-client stream: features, messages, presences and
 * IQs with namespaces, prefixed elements, xml:lang, the predefined and
 * character entities, CDATA, and whitespace keepalives between stanzas. */
static const char sample_stream[] =
  HEADER "\n"
  "<stream:features>"
    "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>"
    "<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
      "<mechanism>SCRAM-SHA-256</mechanism><mechanism>PLAIN</mechanism>"
    "</mechanisms>"
  "</stream:features>"
  " \n\t "
  "<message from='juliet@example.com/balcony' to='romeo@example.net'"
  " type='chat' id='m1' xml:lang='en'>"
    "<body>Wherefore &amp; why &lt;art&gt; thou &#x263A;?</body>"
    "<thread>t-1</thread>"
    "<active xmlns='http://jabber.org/protocol/chatstates'/>"
  "</message>\n"
  "<presence from='nurse@example.com/x'"
  " title='a &amp; b &lt; c &#x263A; &quot;q&quot; &apos;s'>"
    "<show>away</show><status xml:lang='fr'>Absente \xc3\xa0 midi</status>"
    "<c xmlns='http://jabber.org/protocol/caps' hash='sha-1'"
    " node='https://talk.example' ver='QgayPKawpkPSDYmwT/WM94uAlu0='/>"
  "</presence>"
  "<iq type='result' id='r1'>"
    "<query xmlns='jabber:iq:roster' ver='v2'>"
      "<item jid='a@example.org' name='A&amp;B' subscription='both'>"
        "<group>Friends</group>"
      "</item>"
    "</query>"
  "</iq>\n\n"
  "<message type='groupchat' id='m2'>"
    "<body><![CDATA[<b>not markup</b> & raw]]> and more</body>"
    "<x:data xmlns:x='urn:example:x' x:attr='1'>text<x:inner/>tail</x:data>"
  "</message>"
  "          "
  "<iq type='get' id='p1' from='example.org'><ping xmlns='urn:xmpp:ping'/></iq>"
  "\n</stream:stream>";

#define SAMPLE_EVENTS 8

/* Pops everything queued, one line per event. */
static void
drain (TalkXmppReader *reader,
       GPtrArray      *out)
{
  for (;;)
    {
      g_autoptr(TalkXmppStanza) element = NULL;
      TalkXmppReaderEvent event = talk_xmpp_reader_pop (reader, &element);

      switch (event)
        {
        case TALK_XMPP_READER_EVENT_NONE:
          g_assert_null (element);
          return;
        case TALK_XMPP_READER_EVENT_STREAM_OPEN:
          {
            g_autofree char *header = NULL;

            g_assert_nonnull (element);
            g_assert_true (talk_xmpp_stanza_is (element, "stream",
                                                TALK_XMPP_NS_STREAM));
            g_assert_cmpuint (talk_xmpp_stanza_get_n_children (element), ==, 0);
            header = talk_xmpp_stanza_to_string (element, NULL);
            g_ptr_array_add (out, g_strconcat ("OPEN ", header, NULL));
          }
          break;
        case TALK_XMPP_READER_EVENT_STANZA:
          g_assert_nonnull (element);
          g_ptr_array_add (out, talk_xmpp_stanza_to_string (element,
                                                            TALK_XMPP_NS_CLIENT));
          break;
        case TALK_XMPP_READER_EVENT_STREAM_CLOSE:
          g_assert_null (element);
          g_ptr_array_add (out, g_strdup ("CLOSE"));
          break;
        default:
          g_assert_not_reached ();
        }
    }
}

/* Feeds @data cut at the given offsets (ascending), draining as it goes
 * the way a connection would. */
static GPtrArray *
parse_split (const char  *data,
             gsize        len,
             const gsize *cuts,
             guint        n_cuts)
{
  g_autoptr(TalkXmppReader) reader = talk_xmpp_reader_new ();
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);
  gsize start = 0;

  for (guint i = 0; i <= n_cuts; i++)
    {
      g_autoptr(GError) error = NULL;
      gsize end = i < n_cuts ? cuts[i] : len;

      g_assert_cmpuint (end, >=, start);
      talk_xmpp_reader_feed (reader, data + start, end - start, &error);
      g_assert_no_error (error);
      drain (reader, out);
      start = end;
    }

  return out;
}

static GPtrArray *
parse_whole (const char *data)
{
  return parse_split (data, strlen (data), NULL, 0);
}

static void
assert_same_events (GPtrArray *expected,
                    GPtrArray *actual)
{
  g_assert_cmpuint (actual->len, ==, expected->len);
  for (guint i = 0; i < expected->len; i++)
    g_assert_cmpstr (g_ptr_array_index (actual, i), ==,
                     g_ptr_array_index (expected, i));
}

static void
test_whole_stream (void)
{
  g_autoptr(TalkXmppReader) reader = talk_xmpp_reader_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(TalkXmppStanza) header = NULL;
  g_autoptr(TalkXmppStanza) features = NULL;
  g_autoptr(TalkXmppStanza) message = NULL;
  g_autoptr(TalkXmppStanza) presence = NULL;
  g_autoptr(TalkXmppStanza) iq = NULL;
  g_autoptr(TalkXmppStanza) groupchat = NULL;
  g_autoptr(TalkXmppStanza) ping = NULL;
  g_autofree char *body = NULL;
  g_autofree char *status = NULL;
  g_autofree char *cdata = NULL;
  g_autofree char *data_text = NULL;
  TalkXmppStanza *child;

  g_assert_true (talk_xmpp_reader_feed (reader, sample_stream,
                                        strlen (sample_stream), &error));
  g_assert_no_error (error);

  g_assert_cmpint (talk_xmpp_reader_pop (reader, &header), ==,
                   TALK_XMPP_READER_EVENT_STREAM_OPEN);
  g_assert_cmpstr (talk_xmpp_stanza_get_name (header), ==, "stream");
  g_assert_cmpstr (talk_xmpp_stanza_get_ns (header), ==, TALK_XMPP_NS_STREAM);
  g_assert_cmpstr (talk_xmpp_stanza_get_from (header), ==, "example.org");
  g_assert_cmpstr (talk_xmpp_stanza_get_id (header), ==, "c2s-4a7b");
  g_assert_cmpstr (talk_xmpp_stanza_get_attribute (header, "version"), ==, "1.0");
  g_assert_cmpstr (talk_xmpp_stanza_get_attribute_ns (header, TALK_XMPP_NS_XML,
                                                      "lang"), ==, "en");
  g_assert_cmpstr (talk_xmpp_reader_get_stream_ns (reader), ==, TALK_XMPP_NS_CLIENT);

  g_assert_cmpint (talk_xmpp_reader_pop (reader, &features), ==,
                   TALK_XMPP_READER_EVENT_STANZA);
  g_assert_true (talk_xmpp_stanza_is (features, "features", TALK_XMPP_NS_STREAM));
  child = talk_xmpp_stanza_get_child (features, "starttls", TALK_XMPP_NS_TLS);
  g_assert_nonnull (child);
  g_assert_nonnull (talk_xmpp_stanza_get_child (child, "required", TALK_XMPP_NS_TLS));
  child = talk_xmpp_stanza_get_child (features, "mechanisms", TALK_XMPP_NS_SASL);
  g_assert_cmpuint (talk_xmpp_stanza_get_n_children (child), ==, 2);

  g_assert_cmpint (talk_xmpp_reader_pop (reader, &message), ==,
                   TALK_XMPP_READER_EVENT_STANZA);
  g_assert_true (talk_xmpp_stanza_is (message, "message", TALK_XMPP_NS_CLIENT));
  g_assert_cmpstr (talk_xmpp_stanza_get_attribute_ns (message, TALK_XMPP_NS_XML,
                                                      "lang"), ==, "en");
  body = talk_xmpp_stanza_dup_child_text (message, "body", TALK_XMPP_NS_CLIENT);
  g_assert_cmpstr (body, ==, "Wherefore & why <art> thou \xe2\x98\xba?");
  g_assert_nonnull (talk_xmpp_stanza_get_child (message, "active",
                                                "http://jabber.org/protocol/chatstates"));
  g_assert_null (talk_xmpp_stanza_get_parent (message));

  g_assert_cmpint (talk_xmpp_reader_pop (reader, &presence), ==,
                   TALK_XMPP_READER_EVENT_STANZA);
  g_assert_cmpstr (talk_xmpp_stanza_get_attribute (presence, "title"), ==,
                   "a & b < c \xe2\x98\xba \"q\" 's");
  child = talk_xmpp_stanza_get_child (presence, "status", NULL);
  g_assert_cmpstr (talk_xmpp_stanza_get_attribute_ns (child, TALK_XMPP_NS_XML,
                                                      "lang"), ==, "fr");
  status = talk_xmpp_stanza_dup_text (child);
  g_assert_cmpstr (status, ==, "Absente \xc3\xa0 midi");
  child = talk_xmpp_stanza_get_child (presence, "c", TALK_XMPP_NS_CAPS);
  g_assert_cmpstr (talk_xmpp_stanza_get_attribute (child, "ver"), ==,
                   "QgayPKawpkPSDYmwT/WM94uAlu0=");

  g_assert_cmpint (talk_xmpp_reader_pop (reader, &iq), ==,
                   TALK_XMPP_READER_EVENT_STANZA);
  child = talk_xmpp_stanza_get_child (iq, "query", "jabber:iq:roster");
  child = talk_xmpp_stanza_get_child (child, "item", "jabber:iq:roster");
  g_assert_cmpstr (talk_xmpp_stanza_get_attribute (child, "name"), ==, "A&B");

  g_assert_cmpint (talk_xmpp_reader_pop (reader, &groupchat), ==,
                   TALK_XMPP_READER_EVENT_STANZA);
  cdata = talk_xmpp_stanza_dup_child_text (groupchat, "body", NULL);
  g_assert_cmpstr (cdata, ==, "<b>not markup</b> & raw and more");
  child = talk_xmpp_stanza_get_child (groupchat, "data", "urn:example:x");
  g_assert_nonnull (child);
  g_assert_cmpstr (talk_xmpp_stanza_get_attribute_ns (child, "urn:example:x",
                                                      "attr"), ==, "1");
  g_assert_null (talk_xmpp_stanza_get_attribute (child, "attr"));
  g_assert_nonnull (talk_xmpp_stanza_get_child (child, "inner", "urn:example:x"));
  data_text = talk_xmpp_stanza_dup_text (child);
  g_assert_cmpstr (data_text, ==, "texttail");

  g_assert_cmpint (talk_xmpp_reader_pop (reader, &ping), ==,
                   TALK_XMPP_READER_EVENT_STANZA);
  g_assert_nonnull (talk_xmpp_stanza_get_child (ping, "ping", TALK_XMPP_NS_PING));

  g_assert_cmpint (talk_xmpp_reader_pop (reader, NULL), ==,
                   TALK_XMPP_READER_EVENT_STREAM_CLOSE);
  g_assert_cmpint (talk_xmpp_reader_pop (reader, NULL), ==,
                   TALK_XMPP_READER_EVENT_NONE);
}

/* The serialised form survives a second parse unchanged. */
static void
test_round_trip (void)
{
  g_autoptr(GPtrArray) first = parse_whole (sample_stream);
  g_autoptr(GString) again = g_string_new (BARE_HEADER);
  g_autoptr(GPtrArray) second = NULL;

  g_assert_cmpuint (first->len, ==, SAMPLE_EVENTS);
  for (guint i = 1; i + 1 < first->len; i++)
    g_string_append (again, g_ptr_array_index (first, i));
  g_string_append (again, "</stream:stream>");

  second = parse_whole (again->str);
  g_assert_cmpuint (second->len, ==, first->len);
  for (guint i = 1; i < first->len; i++)
    g_assert_cmpstr (g_ptr_array_index (second, i), ==,
                     g_ptr_array_index (first, i));
}

static void
test_one_byte (void)
{
  gsize len = strlen (sample_stream);
  g_autoptr(GPtrArray) expected = parse_whole (sample_stream);
  g_autofree gsize *cuts = g_new (gsize, len - 1);
  g_autoptr(GPtrArray) actual = NULL;

  for (gsize i = 0; i < len - 1; i++)
    cuts[i] = i + 1;
  actual = parse_split (sample_stream, len, cuts, len - 1);

  g_assert_cmpuint (expected->len, ==, SAMPLE_EVENTS);
  assert_same_events (expected, actual);
}

static void
test_split_every_byte (void)
{
  gsize len = strlen (sample_stream);
  g_autoptr(GPtrArray) expected = parse_whole (sample_stream);

  for (gsize i = 0; i <= len; i++)
    {
      g_autoptr(GPtrArray) actual = parse_split (sample_stream, len, &i, 1);

      assert_same_events (expected, actual);
    }
}

static void
test_split_three (void)
{
  gsize len = strlen (sample_stream);
  g_autoptr(GPtrArray) expected = parse_whole (sample_stream);
  guint runs = 0;

  /* Co-prime strides so the cuts land on every kind of position. */
  for (gsize i = 0; i <= len; i += 7)
    for (gsize j = i; j <= len; j += 23)
      {
        gsize cuts[2] = { i, j };
        g_autoptr(GPtrArray) actual = parse_split (sample_stream, len, cuts, 2);

        assert_same_events (expected, actual);
        runs++;
      }

  g_assert_cmpuint (runs, >, 1000);
}

/* A stanza completed by the last byte of a read is delivered at once,
 * not when the next read arrives: STARTTLS depends on it. */
static void
test_proceed_at_end (void)
{
  static const char data[] =
    BARE_HEADER "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>";
  g_autoptr(TalkXmppReader) reader = talk_xmpp_reader_new ();
  g_autoptr(TalkXmppStanza) header = NULL;
  g_autoptr(TalkXmppStanza) proceed = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (talk_xmpp_reader_feed (reader, data, strlen (data), &error));
  g_assert_no_error (error);
  g_assert_cmpint (talk_xmpp_reader_pop (reader, &header), ==,
                   TALK_XMPP_READER_EVENT_STREAM_OPEN);
  g_assert_cmpint (talk_xmpp_reader_pop (reader, &proceed), ==,
                   TALK_XMPP_READER_EVENT_STANZA);
  g_assert_true (talk_xmpp_stanza_is (proceed, "proceed", TALK_XMPP_NS_TLS));
  g_assert_cmpuint (talk_xmpp_stanza_get_n_attributes (proceed), ==, 0);
  g_assert_cmpuint (talk_xmpp_stanza_get_n_children (proceed), ==, 0);
  g_assert_cmpint (talk_xmpp_reader_pop (reader, NULL), ==,
                   TALK_XMPP_READER_EVENT_NONE);
}

/* RFC 6120 §4.3.3: after STARTTLS the stream restarts with a new header
 * (and a new XML declaration) on a fresh parser. */
static void
test_restart (void)
{
  static const char first[] =
    HEADER "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
    "</stream:features><proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>";
  static const char second[] =
    "<?xml version='1.0'?><stream:stream xmlns='jabber:client'"
    " xmlns:stream='http://etherx.jabber.org/streams' id='after-tls'>"
    "<stream:features/>";
  g_autoptr(TalkXmppReader) reader = talk_xmpp_reader_new ();
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(TalkXmppStanza) header = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (talk_xmpp_reader_feed (reader, first, strlen (first), &error));
  drain (reader, events);
  g_assert_cmpuint (events->len, ==, 3);
  g_assert_true (g_str_has_prefix (g_ptr_array_index (events, 2), "<proceed"));

  /* Queued events that were not popped are dropped by the reset. */
  g_assert_true (talk_xmpp_reader_feed (reader, "<a/>", 4, &error));
  talk_xmpp_reader_reset (reader);
  g_assert_cmpint (talk_xmpp_reader_pop (reader, NULL), ==,
                   TALK_XMPP_READER_EVENT_NONE);
  g_assert_null (talk_xmpp_reader_get_stream_ns (reader));

  g_assert_true (talk_xmpp_reader_feed (reader, second, strlen (second), &error));
  g_assert_no_error (error);
  g_assert_cmpint (talk_xmpp_reader_pop (reader, &header), ==,
                   TALK_XMPP_READER_EVENT_STREAM_OPEN);
  g_assert_cmpstr (talk_xmpp_stanza_get_id (header), ==, "after-tls");
  g_assert_cmpint (talk_xmpp_reader_pop (reader, NULL), ==,
                   TALK_XMPP_READER_EVENT_STANZA);
  g_assert_cmpstr (talk_xmpp_reader_get_stream_ns (reader), ==, TALK_XMPP_NS_CLIENT);
}

static void
test_close (void)
{
  g_autoptr(GPtrArray) events = parse_whole (BARE_HEADER "<a/></stream:stream>\n");

  g_assert_cmpuint (events->len, ==, 3);
  g_assert_cmpstr (g_ptr_array_index (events, 2), ==, "CLOSE");
}

/* Whitespace keepalives (RFC 6120 §4.6.1) are ignored and do not count
 * towards the next stanza's budget. */
static void
test_keepalive (void)
{
  g_autoptr(TalkXmppReader) reader = talk_xmpp_reader_new ();
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;

  talk_xmpp_reader_set_max_stanza_bytes (reader, 512);
  g_assert_true (talk_xmpp_reader_feed (reader, BARE_HEADER, strlen (BARE_HEADER),
                                        &error));
  for (guint i = 0; i < 5000; i++)
    {
      g_assert_true (talk_xmpp_reader_feed (reader, i % 3 ? " " : "\n", 1, &error));
      g_assert_no_error (error);
      if (i % 1000 == 999)
        g_assert_true (talk_xmpp_reader_feed (reader, "<presence/>", 11, &error));
    }
  g_assert_true (talk_xmpp_reader_feed (reader, "<message/>", 10, &error));
  g_assert_no_error (error);
  drain (reader, events);
  g_assert_cmpuint (events->len, ==, 7);
  g_assert_cmpstr (g_ptr_array_index (events, 6), ==, "<message/>");
}

/* Many stanzas each just under the budget, in one chunk: the budget is
 * counted from each stanza boundary, not per chunk. */
static void
test_budget_per_stanza (void)
{
  g_autoptr(TalkXmppReader) reader = talk_xmpp_reader_new ();
  g_autoptr(GString) data = g_string_new (BARE_HEADER);
  g_autoptr(GString) stanza = g_string_new ("<message><body>");
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;

  while (stanza->len < 1000 - strlen ("</body></message>"))
    g_string_append_c (stanza, 'x');
  g_string_append (stanza, "</body></message>");
  g_assert_cmpuint (stanza->len, ==, 1000);

  for (guint i = 0; i < 100; i++)
    g_string_append (data, stanza->str);

  talk_xmpp_reader_set_max_stanza_bytes (reader, 1000);
  g_assert_true (talk_xmpp_reader_feed (reader, data->str, data->len, &error));
  g_assert_no_error (error);
  drain (reader, events);
  g_assert_cmpuint (events->len, ==, 101);

  /* One byte more is one too many. */
  g_string_insert_c (stanza, strlen ("<message><body>"), 'y');
  g_assert_false (talk_xmpp_reader_feed (reader, stanza->str, stanza->len, &error));
  g_assert_error (error, TALK_XMPP_STREAM_ERROR,
                  TALK_XMPP_STREAM_ERROR_POLICY_VIOLATION);
  g_assert_cmpstr (error->message, ==, "Stanza larger than 1000 bytes");
}

static void
assert_refused_with (const char              *data,
                     gsize                    len,
                     gsize                    max_bytes,
                     guint                    max_depth,
                     TalkXmppStreamErrorCode  code)
{
  /* Whole, then one byte at a time: both must fail the same way. */
  for (guint pass = 0; pass < 2; pass++)
    {
      g_autoptr(TalkXmppReader) reader = talk_xmpp_reader_new ();
      g_autoptr(GError) error = NULL;
      gboolean ok = TRUE;

      talk_xmpp_reader_set_max_stanza_bytes (reader, max_bytes);
      talk_xmpp_reader_set_max_depth (reader, max_depth);

      if (pass == 0)
        ok = talk_xmpp_reader_feed (reader, data, len, &error);
      else
        for (gsize i = 0; i < len && ok; i++)
          ok = talk_xmpp_reader_feed (reader, data + i, 1, &error);

      g_test_message ("pass %u: %s", pass, error != NULL ? error->message : "(none)");
      g_assert_false (ok);
      g_assert_error (error, TALK_XMPP_STREAM_ERROR, (int) code);
      g_assert_nonnull (error->message);
      g_assert_cmpuint (strlen (error->message), >, 10);
    }
}

static void
assert_refused (const char              *data,
                TalkXmppStreamErrorCode  code)
{
  assert_refused_with (data, strlen (data),
                       TALK_XMPP_READER_DEFAULT_MAX_STANZA_BYTES,
                       TALK_XMPP_READER_DEFAULT_MAX_DEPTH, code);
}

typedef struct
{
  const char *path;
  const char *data;
  TalkXmppStreamErrorCode code;
} RefusedCase;

#define LOL "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"

static const RefusedCase refused_cases[] = {
  /* RFC 6120 §11.1 restricted XML */
  { "restricted/billion-laughs",
    "<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol \"lol\">"
    "<!ENTITY lol2 \"" LOL "\"><!ENTITY lol3 \"&lol2;&lol2;&lol2;\">]>"
    BARE_HEADER "<message><body>&lol3;</body></message>",
    TALK_XMPP_STREAM_ERROR_RESTRICTED_XML },
  { "restricted/doctype",
    "<!DOCTYPE stream:stream>" BARE_HEADER,
    TALK_XMPP_STREAM_ERROR_RESTRICTED_XML },
  { "restricted/external-entity",
    "<?xml version='1.0'?><!DOCTYPE stream:stream ["
    "<!ENTITY xxe SYSTEM 'file:///etc/passwd'>]>"
    BARE_HEADER "<message><body>&xxe;</body></message>",
    TALK_XMPP_STREAM_ERROR_RESTRICTED_XML },
  { "restricted/external-dtd",
    "<!DOCTYPE stream:stream SYSTEM 'http://127.0.0.1:1/evil.dtd'>" BARE_HEADER,
    TALK_XMPP_STREAM_ERROR_RESTRICTED_XML },
  { "restricted/parameter-entity",
    "<!DOCTYPE stream:stream [<!ENTITY % pe SYSTEM 'http://127.0.0.1:1/x.dtd'>"
    "%pe;]>" BARE_HEADER,
    TALK_XMPP_STREAM_ERROR_RESTRICTED_XML },
  { "restricted/undeclared-entity",
    BARE_HEADER "<message><body>&foo;</body></message>",
    TALK_XMPP_STREAM_ERROR_RESTRICTED_XML },
  { "restricted/undeclared-entity-attribute",
    BARE_HEADER "<message to='&foo;'/>",
    TALK_XMPP_STREAM_ERROR_RESTRICTED_XML },
  { "restricted/pi-before-root",
    "<?xml version='1.0'?><?xml-stylesheet href='x.xsl'?>" BARE_HEADER,
    TALK_XMPP_STREAM_ERROR_RESTRICTED_XML },
  { "restricted/pi-between-stanzas",
    BARE_HEADER "<presence/><?evil data?><presence/>",
    TALK_XMPP_STREAM_ERROR_RESTRICTED_XML },
  { "restricted/pi-in-stanza",
    BARE_HEADER "<message><?evil data?><body>x</body></message>",
    TALK_XMPP_STREAM_ERROR_RESTRICTED_XML },
  { "restricted/comment-in-stanza",
    BARE_HEADER "<message><body>a<!-- hidden -->b</body></message>",
    TALK_XMPP_STREAM_ERROR_RESTRICTED_XML },
  { "restricted/comment-between-stanzas",
    BARE_HEADER "<presence/><!-- hidden --><presence/>",
    TALK_XMPP_STREAM_ERROR_RESTRICTED_XML },
  { "restricted/comment-before-root",
    "<!-- hello -->" BARE_HEADER,
    TALK_XMPP_STREAM_ERROR_RESTRICTED_XML },
  /* RFC 6120 §11.5, §11.6 */
  { "declaration/version-1.1",
    "<?xml version='1.1'?>" BARE_HEADER,
    TALK_XMPP_STREAM_ERROR_UNSUPPORTED_VERSION },
  { "declaration/version-2.0",
    "<?xml version=\"2.0\" encoding=\"UTF-8\"?>" BARE_HEADER,
    TALK_XMPP_STREAM_ERROR_UNSUPPORTED_VERSION },
  { "declaration/iso-8859-1",
    "<?xml version='1.0' encoding='ISO-8859-1'?>" BARE_HEADER,
    TALK_XMPP_STREAM_ERROR_UNSUPPORTED_ENCODING },
  { "declaration/utf-16",
    "<?xml version='1.0' encoding='UTF-16'?>" BARE_HEADER,
    TALK_XMPP_STREAM_ERROR_UNSUPPORTED_ENCODING },
  { "declaration/utf-8-prefix",
    "<?xml version='1.0' encoding='UTF'?>" BARE_HEADER,
    TALK_XMPP_STREAM_ERROR_UNSUPPORTED_ENCODING },
  { "declaration/malformed",
    "<?xml encoding='UTF-8' version='1.0'?>" BARE_HEADER,
    TALK_XMPP_STREAM_ERROR_NOT_WELL_FORMED },
  { "declaration/misplaced",
    BARE_HEADER "<?xml version='1.0'?>",
    TALK_XMPP_STREAM_ERROR_NOT_WELL_FORMED },
  /* Malformed XML */
  { "malformed/invalid-utf8",
    BARE_HEADER "<message><body>caf\xc3\x28</body></message>",
    TALK_XMPP_STREAM_ERROR_NOT_WELL_FORMED },
  { "malformed/overlong-utf8",
    BARE_HEADER "<message><body>\xc0\xbc</body></message>",
    TALK_XMPP_STREAM_ERROR_NOT_WELL_FORMED },
  { "malformed/invalid-utf8-attribute",
    BARE_HEADER "<message to='\xff\xfe'/>",
    TALK_XMPP_STREAM_ERROR_NOT_WELL_FORMED },
  { "malformed/char-ref-1",
    BARE_HEADER "<message><body>&#1;</body></message>",
    TALK_XMPP_STREAM_ERROR_NOT_WELL_FORMED },
  { "malformed/char-ref-1-attribute",
    BARE_HEADER "<message id='&#x1;'/>",
    TALK_XMPP_STREAM_ERROR_NOT_WELL_FORMED },
  { "malformed/raw-control",
    BARE_HEADER "<message><body>a\x01z</body></message>",
    TALK_XMPP_STREAM_ERROR_NOT_WELL_FORMED },
  { "malformed/mismatched-tags",
    BARE_HEADER "<message><body>x</message></body>",
    TALK_XMPP_STREAM_ERROR_NOT_WELL_FORMED },
  { "malformed/close-inside-stanza",
    BARE_HEADER "<message><body>x</stream:stream>",
    TALK_XMPP_STREAM_ERROR_NOT_WELL_FORMED },
  { "malformed/duplicate-attribute",
    BARE_HEADER "<message id='a' id='b'/>",
    TALK_XMPP_STREAM_ERROR_NOT_WELL_FORMED },
  { "malformed/after-close",
    BARE_HEADER "</stream:stream><message/>",
    TALK_XMPP_STREAM_ERROR_NOT_WELL_FORMED },
  { "malformed/undeclared-prefix",
    BARE_HEADER "<foo:message/>",
    TALK_XMPP_STREAM_ERROR_BAD_NAMESPACE_PREFIX },
  { "malformed/undeclared-attribute-prefix",
    BARE_HEADER "<message foo:id='1'/>",
    TALK_XMPP_STREAM_ERROR_BAD_NAMESPACE_PREFIX },
  { "malformed/utf-16-bytes",
    "\xff\xfe<\0?\0x\0m\0l\0",
    TALK_XMPP_STREAM_ERROR_UNSUPPORTED_ENCODING },
  /* RFC 6120 §4.9.3 stream structure */
  { "stream/root-namespace",
    "<stream:stream xmlns:stream='jabber:client'>",
    TALK_XMPP_STREAM_ERROR_INVALID_NAMESPACE },
  { "stream/root-no-namespace",
    "<stream xmlns='jabber:client'>",
    TALK_XMPP_STREAM_ERROR_INVALID_NAMESPACE },
  { "stream/root-name",
    "<stream:features xmlns:stream='http://etherx.jabber.org/streams'>",
    TALK_XMPP_STREAM_ERROR_BAD_FORMAT },
  { "stream/text-between-stanzas",
    BARE_HEADER "<presence/> hello <presence/>",
    TALK_XMPP_STREAM_ERROR_BAD_FORMAT },
  { "stream/text-before-root",
    "hello" BARE_HEADER,
    TALK_XMPP_STREAM_ERROR_NOT_WELL_FORMED },
};

static void
test_refused (gconstpointer data)
{
  const RefusedCase *c = data;

  assert_refused (c->data, c->code);
}

static void
test_utf16_nul (void)
{
  static const char data[] = "<\0?\0x\0m\0l\0 \0";

  assert_refused_with (data, sizeof data - 1,
                       TALK_XMPP_READER_DEFAULT_MAX_STANZA_BYTES,
                       TALK_XMPP_READER_DEFAULT_MAX_DEPTH,
                       TALK_XMPP_STREAM_ERROR_UNSUPPORTED_ENCODING);
}

static void
test_stanza_too_large (void)
{
  g_autoptr(GString) data = g_string_new (BARE_HEADER "<message><body>");

  for (guint i = 0; i < 2000; i++)
    g_string_append_c (data, 'a' + i % 26);
  g_string_append (data, "</body></message>");

  assert_refused_with (data->str, data->len, 1024,
                       TALK_XMPP_READER_DEFAULT_MAX_DEPTH,
                       TALK_XMPP_STREAM_ERROR_POLICY_VIOLATION);
}

/* Feeds @prefix then @filler in 4 KiB chunks forever: an element that never
 * ends must fail on the very read that takes it past the budget. */
static void
assert_endless_fails_in_time (const char *prefix,
                              char        filler)
{
  g_autoptr(TalkXmppReader) reader = talk_xmpp_reader_new ();
  g_autoptr(GError) error = NULL;
  char chunk[4096];
  gsize fed = strlen (prefix);
  guint calls = 0;

  memset (chunk, filler, sizeof chunk);
  g_assert_true (talk_xmpp_reader_feed (reader, BARE_HEADER, strlen (BARE_HEADER),
                                        &error));
  g_assert_true (talk_xmpp_reader_feed (reader, prefix, fed, &error));

  while (talk_xmpp_reader_feed (reader, chunk, sizeof chunk, &error))
    {
      fed += sizeof chunk;
      calls++;
      g_assert_cmpuint (calls, <, 1000);
    }

  /* The failing call is the one that crosses the limit. */
  g_assert_error (error, TALK_XMPP_STREAM_ERROR,
                  TALK_XMPP_STREAM_ERROR_POLICY_VIOLATION);
  g_assert_cmpuint (fed, <=, TALK_XMPP_READER_DEFAULT_MAX_STANZA_BYTES);
  g_assert_cmpuint (fed + sizeof chunk, >, TALK_XMPP_READER_DEFAULT_MAX_STANZA_BYTES);
}

static void
test_endless_attribute (void)
{
  assert_endless_fails_in_time ("<message to='", 'a');
}

static void
test_endless_tag (void)
{
  assert_endless_fails_in_time ("<message", ' ');
}

static void
test_endless_text (void)
{
  assert_endless_fails_in_time ("<message><body>", 'z');
}

static GString *
nested (guint levels)
{
  GString *data = g_string_new (BARE_HEADER);

  /* The stanza is level 1. */
  for (guint i = 0; i < levels; i++)
    g_string_append (data, "<a>");
  for (guint i = 0; i < levels; i++)
    g_string_append (data, "</a>");

  return data;
}

static void
test_depth (void)
{
  g_autoptr(GString) ok = nested (TALK_XMPP_READER_DEFAULT_MAX_DEPTH);
  g_autoptr(GString) deep = nested (TALK_XMPP_READER_DEFAULT_MAX_DEPTH + 1);
  g_autoptr(GString) shallow = nested (4);
  g_autoptr(GString) five = nested (5);
  g_autoptr(GPtrArray) events = parse_whole (ok->str);

  g_assert_cmpuint (events->len, ==, 2);
  assert_refused (deep->str, TALK_XMPP_STREAM_ERROR_POLICY_VIOLATION);

  /* A lowered limit: four levels below the root pass, five do not. */
  assert_refused_with (five->str, five->len,
                       TALK_XMPP_READER_DEFAULT_MAX_STANZA_BYTES, 4,
                       TALK_XMPP_STREAM_ERROR_POLICY_VIOLATION);
  {
    g_autoptr(TalkXmppReader) reader = talk_xmpp_reader_new ();
    g_autoptr(GError) error = NULL;

    talk_xmpp_reader_set_max_depth (reader, 4);
    g_assert_true (talk_xmpp_reader_feed (reader, shallow->str, shallow->len, &error));
    g_assert_no_error (error);
  }
}

static GString *
with_attributes (guint n)
{
  GString *data = g_string_new (BARE_HEADER "<message");

  for (guint i = 0; i < n; i++)
    g_string_append_printf (data, " a%u='%u'", i, i);
  g_string_append (data, "/>");

  return data;
}

static void
test_attributes (void)
{
  g_autoptr(GString) ok = with_attributes (TALK_XMPP_READER_MAX_ATTRIBUTES);
  g_autoptr(GString) many = with_attributes (TALK_XMPP_READER_MAX_ATTRIBUTES + 1);
  g_autoptr(GPtrArray) events = parse_whole (ok->str);
  g_autoptr(TalkXmppReader) reader = talk_xmpp_reader_new ();
  g_autoptr(TalkXmppStanza) stanza = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpuint (events->len, ==, 2);
  assert_refused (many->str, TALK_XMPP_STREAM_ERROR_POLICY_VIOLATION);

  g_assert_true (talk_xmpp_reader_feed (reader, ok->str, ok->len, &error));
  g_assert_cmpint (talk_xmpp_reader_pop (reader, NULL), ==,
                   TALK_XMPP_READER_EVENT_STREAM_OPEN);
  g_assert_cmpint (talk_xmpp_reader_pop (reader, &stanza), ==,
                   TALK_XMPP_READER_EVENT_STANZA);
  g_assert_cmpuint (talk_xmpp_stanza_get_n_attributes (stanza), ==,
                    TALK_XMPP_READER_MAX_ATTRIBUTES);
  g_assert_cmpstr (talk_xmpp_stanza_get_attribute (stanza, "a63"), ==, "63");
}

/* An error is sticky: nothing more is parsed until reset, and stanzas
 * completed before the error stay queued. */
static void
test_sticky_error (void)
{
  static const char bad[] = BARE_HEADER "<presence/><!-- x --><presence/>";
  g_autoptr(TalkXmppReader) reader = talk_xmpp_reader_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_free);

  g_assert_false (talk_xmpp_reader_feed (reader, bad, strlen (bad), &error));
  g_assert_error (error, TALK_XMPP_STREAM_ERROR,
                  TALK_XMPP_STREAM_ERROR_RESTRICTED_XML);
  g_clear_error (&error);
  drain (reader, events);
  g_assert_cmpuint (events->len, ==, 2);

  for (guint i = 0; i < 3; i++)
    {
      g_assert_false (talk_xmpp_reader_feed (reader, "<presence/>", 11, &error));
      g_assert_error (error, TALK_XMPP_STREAM_ERROR,
                      TALK_XMPP_STREAM_ERROR_RESTRICTED_XML);
      g_clear_error (&error);
      g_assert_cmpint (talk_xmpp_reader_pop (reader, NULL), ==,
                       TALK_XMPP_READER_EVENT_NONE);
    }

  /* Without a GError the failure is still reported. */
  g_assert_false (talk_xmpp_reader_feed (reader, "", 0, NULL));

  talk_xmpp_reader_reset (reader);
  g_assert_true (talk_xmpp_reader_feed (reader, BARE_HEADER "<presence/>",
                                        strlen (BARE_HEADER) + 11, &error));
  g_assert_no_error (error);
  drain (reader, events);
  g_assert_cmpuint (events->len, ==, 4);
}

/* A restart must apply every restriction to the new prolog too
 * (SECURITY.md §2.6, item 5). */
static void
test_restart_restricted (void)
{
  static const char attack[] =
    "<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'aaaa'>]>" BARE_HEADER;
  g_autoptr(TalkXmppReader) reader = talk_xmpp_reader_new ();
  g_autoptr(GError) error = NULL;

  g_assert_true (talk_xmpp_reader_feed (reader, HEADER, strlen (HEADER), &error));
  talk_xmpp_reader_reset (reader);
  g_assert_false (talk_xmpp_reader_feed (reader, attack, strlen (attack), &error));
  g_assert_error (error, TALK_XMPP_STREAM_ERROR,
                  TALK_XMPP_STREAM_ERROR_RESTRICTED_XML);
}

static void
test_bom_and_no_declaration (void)
{
  g_autoptr(GPtrArray) plain = parse_whole (BARE_HEADER "<a/>");
  g_autoptr(GPtrArray) bom = parse_whole ("\xef\xbb\xbf" BARE_HEADER "<a/>");
  g_autoptr(GPtrArray) decl = parse_whole ("\xef\xbb\xbf<?xml version=\"1.0\""
                                           " encoding='utf-8' standalone='yes' ?>\n"
                                           BARE_HEADER "<a/>");

  g_assert_cmpuint (plain->len, ==, 2);
  assert_same_events (plain, bom);
  assert_same_events (plain, decl);
}

/* An element in no namespace keeps none rather than inheriting one. */
static void
test_empty_namespace (void)
{
  g_autoptr(TalkXmppReader) reader = talk_xmpp_reader_new ();
  g_autoptr(TalkXmppStanza) stanza = NULL;
  g_autoptr(GError) error = NULL;
  static const char data[] = BARE_HEADER "<message><x xmlns=''/></message>";
  TalkXmppStanza *x;

  g_assert_true (talk_xmpp_reader_feed (reader, data, strlen (data), &error));
  g_assert_cmpint (talk_xmpp_reader_pop (reader, NULL), ==,
                   TALK_XMPP_READER_EVENT_STREAM_OPEN);
  g_assert_cmpint (talk_xmpp_reader_pop (reader, &stanza), ==,
                   TALK_XMPP_READER_EVENT_STANZA);
  x = talk_xmpp_stanza_get_child (stanza, "x", NULL);
  g_assert_nonnull (x);
  g_assert_cmpstr (talk_xmpp_stanza_get_ns (x), !=, TALK_XMPP_NS_CLIENT);
}

/* libxml2 keeps '&' as "&#38;" in attribute values and namespace names
 * when it does not substitute entities; the reader must undo that. */
static void
test_ampersand (void)
{
  g_autoptr(TalkXmppReader) reader = talk_xmpp_reader_new ();
  g_autoptr(TalkXmppStanza) stanza = NULL;
  g_autoptr(GError) error = NULL;
  static const char data[] =
    BARE_HEADER "<message id='&amp;&#38;&#x26;#38;'>"
    "<x xmlns='urn:a&amp;b' xmlns:p='urn:c&#38;d' p:q='&amp;amp;' p:xmlns='z'/>"
    "</message>";
  TalkXmppStanza *x;

  g_assert_true (talk_xmpp_reader_feed (reader, data, strlen (data), &error));
  g_assert_no_error (error);
  g_assert_cmpint (talk_xmpp_reader_pop (reader, NULL), ==,
                   TALK_XMPP_READER_EVENT_STREAM_OPEN);
  g_assert_cmpint (talk_xmpp_reader_pop (reader, &stanza), ==,
                   TALK_XMPP_READER_EVENT_STANZA);
  g_assert_cmpstr (talk_xmpp_stanza_get_id (stanza), ==, "&&&#38;");
  x = talk_xmpp_stanza_get_child (stanza, "x", "urn:a&b");
  g_assert_nonnull (x);
  g_assert_cmpstr (talk_xmpp_stanza_get_attribute_ns (x, "urn:c&d", "q"), ==, "&amp;");
  /* An attribute named like a declaration cannot be represented. */
  g_assert_cmpuint (talk_xmpp_stanza_get_n_attributes (x), ==, 1);
}

/* Namespace names that are not absolute URIs are a SHOULD violation only;
 * a contact can put them in a payload the server relays, so they must not
 * break the stream. */
static void
test_odd_namespace_names (void)
{
  static const char data[] =
    BARE_HEADER "<message><x xmlns='not a uri'/><y xmlns='relative/path'/>"
    "<z xmlns='%zz'/></message>";
  g_autoptr(GPtrArray) events = parse_whole (data);

  g_assert_cmpuint (events->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (events, 1), ==,
                   "<message><x xmlns='not a uri'/><y xmlns='relative/path'/>"
                   "<z xmlns='%zz'/></message>");
}

/* A NUL byte is refused, after what came before it has been parsed. */
static void
test_nul_byte (void)
{
  static const char data[] = BARE_HEADER "<presence/><message>\0</message>";
  g_autoptr(TalkXmppReader) reader = talk_xmpp_reader_new ();
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;

  g_assert_false (talk_xmpp_reader_feed (reader, data, sizeof data - 1, &error));
  g_assert_error (error, TALK_XMPP_STREAM_ERROR,
                  TALK_XMPP_STREAM_ERROR_NOT_WELL_FORMED);
  drain (reader, events);
  g_assert_cmpuint (events->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (events, 1), ==, "<presence/>");

  assert_refused_with (data, sizeof data - 1,
                       TALK_XMPP_READER_DEFAULT_MAX_STANZA_BYTES,
                       TALK_XMPP_READER_DEFAULT_MAX_DEPTH,
                       TALK_XMPP_STREAM_ERROR_NOT_WELL_FORMED);
  /* In the XML declaration too. */
  assert_refused_with ("<?xml version='1.0\0'?>", 23,
                       TALK_XMPP_READER_DEFAULT_MAX_STANZA_BYTES,
                       TALK_XMPP_READER_DEFAULT_MAX_DEPTH,
                       TALK_XMPP_STREAM_ERROR_NOT_WELL_FORMED);
}

/* peek leaves the event where it is; pop then hands the same one over. */
static void
test_peek (void)
{
  g_autoptr(TalkXmppReader) reader = talk_xmpp_reader_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(TalkXmppStanza) header = NULL;
  g_autoptr(TalkXmppStanza) message = NULL;
  TalkXmppStanza *peeked = NULL;
  const char *text = "<stream:stream xmlns='jabber:client'"
                     " xmlns:stream='http://etherx.jabber.org/streams'>"
                     "<message id='m1'/>";

  g_assert_cmpint (talk_xmpp_reader_peek (reader, &peeked), ==, TALK_XMPP_READER_EVENT_NONE);
  g_assert_null (peeked);
  g_assert_true (talk_xmpp_reader_feed (reader, text, strlen (text), &error));
  g_assert_no_error (error);

  g_assert_cmpint (talk_xmpp_reader_peek (reader, NULL), ==, TALK_XMPP_READER_EVENT_STREAM_OPEN);
  g_assert_cmpint (talk_xmpp_reader_pop (reader, &header), ==, TALK_XMPP_READER_EVENT_STREAM_OPEN);
  g_assert_cmpint (talk_xmpp_reader_peek (reader, &peeked), ==, TALK_XMPP_READER_EVENT_STANZA);
  g_assert_cmpint (talk_xmpp_reader_peek (reader, &peeked), ==, TALK_XMPP_READER_EVENT_STANZA);
  g_assert_cmpint (talk_xmpp_reader_pop (reader, &message), ==, TALK_XMPP_READER_EVENT_STANZA);
  g_assert_true (message == peeked);
  g_assert_cmpstr (talk_xmpp_stanza_get_id (message), ==, "m1");
  g_assert_cmpint (talk_xmpp_reader_peek (reader, &peeked), ==, TALK_XMPP_READER_EVENT_NONE);
  g_assert_null (peeked);
}

/* Namespaces are remembered by libxml2's pointer to them, which is only
 * good for one parser: more namespaces than are remembered, and a
 * restarted stream, still give every element its own. */
static void
test_many_namespaces (void)
{
  g_autoptr(TalkXmppReader) reader = talk_xmpp_reader_new ();
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint round = 0; round < 2; round++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(TalkXmppStanza) header = NULL;
      g_autoptr(TalkXmppStanza) message = NULL;
      TalkXmppStanzaIter iter;
      TalkXmppStanza *child;
      guint n = 0;

      talk_xmpp_reader_reset (reader);
      g_string_assign (text, "<stream:stream xmlns='jabber:client'"
                             " xmlns:stream='http://etherx.jabber.org/streams'><message>");
      for (guint i = 0; i < 20; i++)
        g_string_append_printf (text, "<x xmlns='urn:test:%u:%u'/><y xmlns='urn:test:%u:%u'/>",
                                round, i % 11, round, i % 11);
      g_string_append (text, "<z xmlns=''/></message>");
      g_assert_true (talk_xmpp_reader_feed (reader, text->str, text->len, &error));
      g_assert_no_error (error);
      g_assert_cmpint (talk_xmpp_reader_pop (reader, &header), ==,
                       TALK_XMPP_READER_EVENT_STREAM_OPEN);
      g_assert_cmpint (talk_xmpp_reader_pop (reader, &message), ==,
                       TALK_XMPP_READER_EVENT_STANZA);
      g_assert_cmpstr (talk_xmpp_stanza_get_ns (message), ==, TALK_XMPP_NS_CLIENT);

      talk_xmpp_stanza_iter_init (&iter, message);
      while (talk_xmpp_stanza_iter_next (&iter, &child))
        {
          g_autofree char *expected = g_strdup_printf ("urn:test:%u:%u", round, (n / 2) % 11);

          if (n == 40)
            g_assert_cmpstr (talk_xmpp_stanza_get_ns (child), ==, "");
          else
            g_assert_cmpstr (talk_xmpp_stanza_get_ns (child), ==, expected);
          n++;
        }
      g_assert_cmpuint (n, ==, 41);
    }
}

/* The reader gives an element all its attributes in one block; changing
 * them afterwards works as on any element, even with a value taken from
 * the element itself. */
static void
test_attributes_changed (void)
{
  g_autoptr(TalkXmppReader) reader = talk_xmpp_reader_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(TalkXmppStanza) header = NULL;
  g_autoptr(TalkXmppStanza) message = NULL;
  g_autoptr(TalkXmppStanza) copy = NULL;
  g_autofree char *text = NULL;
  g_autofree char *copy_text = NULL;
  const char *input = "<stream:stream xmlns='jabber:client'"
                      " xmlns:stream='http://etherx.jabber.org/streams'>"
                      "<message from='a@b/r' to='c@d' id='m1' xml:lang='en'/>";

  g_assert_true (talk_xmpp_reader_feed (reader, input, strlen (input), &error));
  g_assert_no_error (error);
  talk_xmpp_reader_pop (reader, &header);
  g_assert_cmpint (talk_xmpp_reader_pop (reader, &message), ==, TALK_XMPP_READER_EVENT_STANZA);
  g_assert_cmpuint (talk_xmpp_stanza_get_n_attributes (message), ==, 4);

  copy = talk_xmpp_stanza_copy (message);
  talk_xmpp_stanza_set_attribute (message, "to", talk_xmpp_stanza_get_attribute (message, "from"));
  talk_xmpp_stanza_set_attribute (message, "id", NULL);
  talk_xmpp_stanza_set_attribute (message, "type", "chat");
  talk_xmpp_stanza_set_attribute_ns (message, TALK_XMPP_NS_XML, "lang", "de");

  text = talk_xmpp_stanza_to_string (message, TALK_XMPP_NS_CLIENT);
  g_assert_cmpstr (text, ==, "<message from='a@b/r' to='a@b/r' xml:lang='de' type='chat'/>");
  copy_text = talk_xmpp_stanza_to_string (copy, TALK_XMPP_NS_CLIENT);
  g_assert_cmpstr (copy_text, ==, "<message from='a@b/r' to='c@d' id='m1' xml:lang='en'/>");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/talk/xmpp/reader/whole-stream", test_whole_stream);
  g_test_add_func ("/talk/xmpp/reader/peek", test_peek);
  g_test_add_func ("/talk/xmpp/reader/attributes-changed", test_attributes_changed);
  g_test_add_func ("/talk/xmpp/reader/many-namespaces", test_many_namespaces);
  g_test_add_func ("/talk/xmpp/reader/round-trip", test_round_trip);
  g_test_add_func ("/talk/xmpp/reader/one-byte", test_one_byte);
  g_test_add_func ("/talk/xmpp/reader/split-every-byte", test_split_every_byte);
  g_test_add_func ("/talk/xmpp/reader/split-three", test_split_three);
  g_test_add_func ("/talk/xmpp/reader/proceed-at-end", test_proceed_at_end);
  g_test_add_func ("/talk/xmpp/reader/restart", test_restart);
  g_test_add_func ("/talk/xmpp/reader/restart-restricted", test_restart_restricted);
  g_test_add_func ("/talk/xmpp/reader/close", test_close);
  g_test_add_func ("/talk/xmpp/reader/keepalive", test_keepalive);
  g_test_add_func ("/talk/xmpp/reader/bom-and-declaration", test_bom_and_no_declaration);
  g_test_add_func ("/talk/xmpp/reader/empty-namespace", test_empty_namespace);
  g_test_add_func ("/talk/xmpp/reader/ampersand", test_ampersand);
  g_test_add_func ("/talk/xmpp/reader/budget-per-stanza", test_budget_per_stanza);
  g_test_add_func ("/talk/xmpp/reader/stanza-too-large", test_stanza_too_large);
  g_test_add_func ("/talk/xmpp/reader/endless-attribute", test_endless_attribute);
  g_test_add_func ("/talk/xmpp/reader/endless-tag", test_endless_tag);
  g_test_add_func ("/talk/xmpp/reader/endless-text", test_endless_text);
  g_test_add_func ("/talk/xmpp/reader/depth", test_depth);
  g_test_add_func ("/talk/xmpp/reader/attributes", test_attributes);
  g_test_add_func ("/talk/xmpp/reader/sticky-error", test_sticky_error);
  g_test_add_func ("/talk/xmpp/reader/utf-16-nul", test_utf16_nul);
  g_test_add_func ("/talk/xmpp/reader/nul-byte", test_nul_byte);
  g_test_add_func ("/talk/xmpp/reader/odd-namespace-names", test_odd_namespace_names);

  for (guint i = 0; i < G_N_ELEMENTS (refused_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/talk/xmpp/reader/refused/%s",
                                               refused_cases[i].path);

      g_test_add_data_func (path, &refused_cases[i], test_refused);
    }

  return g_test_run ();
}
