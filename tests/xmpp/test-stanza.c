/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "talk-xmpp-stanza.h"

#define NS_CHATSTATES "http://jabber.org/protocol/chatstates"

static void
assert_serializes (TalkXmppStanza *stanza,
                   const char     *default_ns,
                   const char     *expected)
{
  g_autofree char *xml = talk_xmpp_stanza_to_string (stanza, default_ns);

  g_assert_cmpstr (xml, ==, expected);
}

/* The output must be well-formed XML that libxml2 reads back. */
static xmlDoc *
parse_output (TalkXmppStanza *stanza)
{
  g_autofree char *xml = talk_xmpp_stanza_to_string (stanza, NULL);
  xmlDoc *doc = xmlReadMemory (xml, strlen (xml), NULL, "UTF-8",
                               XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);

  if (doc == NULL)
    g_error ("not well-formed: %s", xml);
  return doc;
}

static void
test_attributes (void)
{
  g_autoptr(TalkXmppStanza) stanza = talk_xmpp_stanza_new ("message", TALK_XMPP_NS_CLIENT);
  const char *ns, *name, *value;

  g_assert_cmpstr (talk_xmpp_stanza_get_name (stanza), ==, "message");
  g_assert_cmpstr (talk_xmpp_stanza_get_ns (stanza), ==, TALK_XMPP_NS_CLIENT);
  g_assert_true (talk_xmpp_stanza_is (stanza, "message", TALK_XMPP_NS_CLIENT));
  g_assert_true (talk_xmpp_stanza_is (stanza, "message", NULL));
  g_assert_false (talk_xmpp_stanza_is (stanza, "message", "jabber:server"));
  g_assert_false (talk_xmpp_stanza_is (stanza, "iq", TALK_XMPP_NS_CLIENT));

  g_assert_cmpuint (talk_xmpp_stanza_get_n_attributes (stanza), ==, 0);
  talk_xmpp_stanza_set_attribute (stanza, "to", "a@b");
  talk_xmpp_stanza_set_attribute (stanza, "id", "1");
  talk_xmpp_stanza_set_attribute_ns (stanza, TALK_XMPP_NS_XML, "lang", "en");
  g_assert_cmpuint (talk_xmpp_stanza_get_n_attributes (stanza), ==, 3);
  g_assert_cmpstr (talk_xmpp_stanza_get_to (stanza), ==, "a@b");
  g_assert_cmpstr (talk_xmpp_stanza_get_id (stanza), ==, "1");
  g_assert_null (talk_xmpp_stanza_get_from (stanza));
  g_assert_null (talk_xmpp_stanza_get_attribute (stanza, "lang"));
  g_assert_cmpstr (talk_xmpp_stanza_get_attribute_ns (stanza, TALK_XMPP_NS_XML, "lang"), ==, "en");

  /* replacing keeps the position */
  talk_xmpp_stanza_set_attribute (stanza, "to", "c@d");
  talk_xmpp_stanza_get_nth_attribute (stanza, 0, &ns, &name, &value);
  g_assert_null (ns);
  g_assert_cmpstr (name, ==, "to");
  g_assert_cmpstr (value, ==, "c@d");
  talk_xmpp_stanza_get_nth_attribute (stanza, 2, &ns, &name, &value);
  g_assert_cmpstr (ns, ==, TALK_XMPP_NS_XML);
  g_assert_cmpstr (name, ==, "lang");

  talk_xmpp_stanza_set_attribute (stanza, "id", NULL);
  g_assert_null (talk_xmpp_stanza_get_id (stanza));
  g_assert_cmpuint (talk_xmpp_stanza_get_n_attributes (stanza), ==, 2);
  /* removing what is not there is harmless */
  talk_xmpp_stanza_set_attribute (stanza, "id", NULL);
  g_assert_cmpuint (talk_xmpp_stanza_get_n_attributes (stanza), ==, 2);
}

static void
test_namespaces (void)
{
  g_autoptr(TalkXmppStanza) message = talk_xmpp_stanza_new ("message", TALK_XMPP_NS_CLIENT);
  g_autoptr(TalkXmppStanza) detached = talk_xmpp_stanza_new ("x", NULL);
  TalkXmppStanza *body = talk_xmpp_stanza_add_child (message, "body", NULL);
  TalkXmppStanza *active = talk_xmpp_stanza_add_child (message, "active", NS_CHATSTATES);
  TalkXmppStanza *inner = talk_xmpp_stanza_add_child (active, "inner", NULL);
  TalkXmppStanza *back = talk_xmpp_stanza_add_child (active, "back", TALK_XMPP_NS_CLIENT);

  g_assert_cmpstr (talk_xmpp_stanza_get_ns (body), ==, TALK_XMPP_NS_CLIENT);
  g_assert_cmpstr (talk_xmpp_stanza_get_ns (inner), ==, NS_CHATSTATES);
  g_assert_cmpstr (talk_xmpp_stanza_get_ns (back), ==, TALK_XMPP_NS_CLIENT);

  assert_serializes (message, TALK_XMPP_NS_CLIENT,
                     "<message><body/><active xmlns='" NS_CHATSTATES "'><inner/>"
                     "<back xmlns='jabber:client'/></active></message>");
  assert_serializes (message, NULL,
                     "<message xmlns='jabber:client'><body/><active xmlns='" NS_CHATSTATES "'>"
                     "<inner/><back xmlns='jabber:client'/></active></message>");

  /* a subtree built without namespace takes the parent's when appended */
  talk_xmpp_stanza_add_child (detached, "y", NULL);
  g_assert_null (talk_xmpp_stanza_get_ns (detached));
  talk_xmpp_stanza_append (active, detached);
  g_assert_cmpstr (talk_xmpp_stanza_get_ns (detached), ==, NS_CHATSTATES);
  g_assert_cmpstr (talk_xmpp_stanza_get_ns (talk_xmpp_stanza_get_child (detached, "y", NULL)),
                   ==, NS_CHATSTATES);
  g_assert_true (talk_xmpp_stanza_get_parent (detached) == active);
}

static void
test_escape_text (void)
{
  g_autoptr(TalkXmppStanza) body = talk_xmpp_stanza_new ("body", NULL);

  talk_xmpp_stanza_add_text (body, "a & b < c > d \" e ' f\tg\nh\ri");
  assert_serializes (body, NULL,
                     "<body>a &amp; b &lt; c &gt; d &quot; e &apos; f\tg\nh&#13;i</body>");
}

static void
test_escape_attribute (void)
{
  g_autoptr(TalkXmppStanza) x = talk_xmpp_stanza_new ("x", "urn:x");
  xmlDoc *doc;
  xmlChar *value;

  talk_xmpp_stanza_set_attribute (x, "v", "&<>\"'\t\n\r");
  assert_serializes (x, "urn:x", "<x v='&amp;&lt;&gt;&quot;&apos;&#9;&#10;&#13;'/>");

  /* read back unchanged, not normalised into spaces */
  doc = parse_output (x);
  value = xmlGetProp (xmlDocGetRootElement (doc), (const xmlChar *) "v");
  g_assert_cmpstr ((const char *) value, ==, "&<>\"'\t\n\r");
  xmlFree (value);
  xmlFreeDoc (doc);
}

static void
test_forbidden_chars (void)
{
  g_autoptr(TalkXmppStanza) body = talk_xmpp_stanza_new ("body", NULL);

  /* XML 1.0 §2.2: C0 controls other than tab, newline and carriage
   * return, U+FFFE, U+FFFF and surrogates cannot be written at all */
  talk_xmpp_stanza_add_text (body, "a\x01" "b\x0b" "c\x1f" "d\xef\xbf\xbe" "e\xef\xbf\xbf"
                                   "f\xed\xa0\x80" "g\xef\xbf\xbd");
  talk_xmpp_stanza_set_attribute (body, "v", "1\x02" "2\x7f" "3");
  assert_serializes (body, NULL, "<body v='12\x7f" "3'>abcdefg\xef\xbf\xbd</body>");
  xmlFreeDoc (parse_output (body));
}

static void
test_invalid_utf8 (void)
{
  g_autoptr(TalkXmppStanza) body = talk_xmpp_stanza_new ("body", NULL);
  g_autoptr(TalkXmppStanza) tail = talk_xmpp_stanza_new ("t", NULL);

  /* stray byte, overlong '/', byte too high, then valid é and 😀 */
  talk_xmpp_stanza_add_text (body, "a\xff" "b\xc0\xaf" "c\xf8" "d\xc3\xa9\xf0\x9f\x98\x80");
  assert_serializes (body, NULL,
                     "<body>a\xef\xbf\xbd" "b\xef\xbf\xbd\xef\xbf\xbd" "c\xef\xbf\xbd"
                     "d\xc3\xa9\xf0\x9f\x98\x80</body>");

  /* a sequence cut off at the end becomes one U+FFFD */
  talk_xmpp_stanza_add_text (tail, "x\xe2\x82");
  assert_serializes (tail, NULL, "<t>x\xef\xbf\xbd</t>");
  xmlFreeDoc (parse_output (body));
  xmlFreeDoc (parse_output (tail));
}

static void
test_mixed_content (void)
{
  g_autoptr(TalkXmppStanza) p = talk_xmpp_stanza_new ("p", "urn:x");
  g_autofree char *text = NULL;
  TalkXmppStanzaIter iter;
  TalkXmppStanza *child;
  guint n = 0;

  talk_xmpp_stanza_add_text (p, "one ");
  talk_xmpp_stanza_add_child_with_text (p, "b", NULL, "two");
  talk_xmpp_stanza_add_text_len (p, " threXXX", 5);
  talk_xmpp_stanza_add_text_len (p, "e ", -1);
  talk_xmpp_stanza_add_child (p, "br", NULL);
  talk_xmpp_stanza_add_text (p, "four");
  talk_xmpp_stanza_add_text (p, "");

  assert_serializes (p, "urn:x", "<p>one <b>two</b> three <br/>four</p>");

  text = talk_xmpp_stanza_dup_text (p);
  g_assert_cmpstr (text, ==, "one  three four");
  g_assert_cmpuint (talk_xmpp_stanza_get_n_children (p), ==, 2);

  talk_xmpp_stanza_iter_init (&iter, p);
  while (talk_xmpp_stanza_iter_next (&iter, &child))
    {
      g_assert_nonnull (talk_xmpp_stanza_get_name (child));
      g_assert_cmpstr (talk_xmpp_stanza_get_name (child), ==, n == 0 ? "b" : "br");
      n++;
    }
  g_assert_cmpuint (n, ==, 2);
  g_assert_false (talk_xmpp_stanza_iter_next (&iter, &child));
}

/* An element in the xml namespace must keep the xml: prefix; declaring
 * that namespace as a default is not well-formed (found by fuzzing). */
static void
test_xml_namespace_element (void)
{
  g_autoptr(TalkXmppStanza) message = talk_xmpp_stanza_new ("message", TALK_XMPP_NS_CLIENT);
  TalkXmppStanza *odd = talk_xmpp_stanza_add_child (message, "x", TALK_XMPP_NS_XML);
  xmlDoc *doc;

  talk_xmpp_stanza_add_child_with_text (odd, "y", TALK_XMPP_NS_CLIENT, "t");
  assert_serializes (message, TALK_XMPP_NS_CLIENT,
                     "<message><xml:x><y>t</y></xml:x></message>");
  doc = parse_output (message);
  g_assert_nonnull (doc);
  xmlFreeDoc (doc);
}

static void
test_xml_lang (void)
{
  g_autoptr(TalkXmppStanza) message = talk_xmpp_stanza_new ("message", TALK_XMPP_NS_CLIENT);
  TalkXmppStanza *body;
  xmlDoc *doc;
  xmlNode *root;
  xmlChar *value;

  talk_xmpp_stanza_set_attribute_ns (message, TALK_XMPP_NS_XML, "lang", "en");
  body = talk_xmpp_stanza_add_child_with_text (message, "body", NULL, "Bonjour");
  talk_xmpp_stanza_set_attribute_ns (body, TALK_XMPP_NS_XML, "lang", "fr");
  /* other namespaced attributes get a declared prefix */
  talk_xmpp_stanza_set_attribute_ns (message, "urn:a", "x", "1");
  talk_xmpp_stanza_set_attribute_ns (message, "urn:b", "y", "2");
  talk_xmpp_stanza_set_attribute_ns (message, "urn:a", "z", "3");

  assert_serializes (message, TALK_XMPP_NS_CLIENT,
                     "<message xml:lang='en' xmlns:ns1='urn:a' ns1:x='1' xmlns:ns2='urn:b' "
                     "ns2:y='2' ns1:z='3'><body xml:lang='fr'>Bonjour</body></message>");

  doc = parse_output (message);
  root = xmlDocGetRootElement (doc);
  value = xmlGetNsProp (root, (const xmlChar *) "z", (const xmlChar *) "urn:a");
  g_assert_cmpstr ((const char *) value, ==, "3");
  xmlFree (value);
  value = xmlGetNsProp (root, (const xmlChar *) "lang", XML_XML_NAMESPACE);
  g_assert_cmpstr ((const char *) value, ==, "en");
  xmlFree (value);
  xmlFreeDoc (doc);
}

static void
test_write_appends (void)
{
  g_autoptr(TalkXmppStanza) presence = talk_xmpp_stanza_new_presence (NULL, NULL);
  g_autoptr(GString) out = g_string_new ("<stream>");

  talk_xmpp_stanza_write (presence, TALK_XMPP_NS_CLIENT, out);
  talk_xmpp_stanza_write (presence, TALK_XMPP_NS_CLIENT, out);
  g_assert_cmpstr (out->str, ==, "<stream><presence/><presence/>");
}

static void
test_child_lookup (void)
{
  g_autoptr(TalkXmppStanza) iq = talk_xmpp_stanza_new_iq ("get", NULL, "q1");
  TalkXmppStanza *query = talk_xmpp_stanza_add_child (iq, "query", TALK_XMPP_NS_DISCO_INFO);
  TalkXmppStanza *ping = talk_xmpp_stanza_add_child (iq, "ping", TALK_XMPP_NS_PING);
  TalkXmppStanza *query2 = talk_xmpp_stanza_add_child (iq, "query", TALK_XMPP_NS_VERSION);
  g_autofree char *name_text = NULL;
  g_autofree char *missing = NULL;

  talk_xmpp_stanza_add_text (iq, "ignored text");
  talk_xmpp_stanza_add_child_with_text (query2, "name", NULL, "Talk");

  g_assert_true (talk_xmpp_stanza_get_child (iq, "query", NULL) == query);
  g_assert_true (talk_xmpp_stanza_get_child (iq, "query", TALK_XMPP_NS_VERSION) == query2);
  g_assert_true (talk_xmpp_stanza_get_child (iq, NULL, TALK_XMPP_NS_PING) == ping);
  g_assert_true (talk_xmpp_stanza_get_child (iq, NULL, NULL) == query);
  g_assert_true (talk_xmpp_stanza_get_child_ns (iq, TALK_XMPP_NS_VERSION) == query2);
  g_assert_null (talk_xmpp_stanza_get_child (iq, "ping", TALK_XMPP_NS_VERSION));
  g_assert_null (talk_xmpp_stanza_get_child (iq, "nope", NULL));
  g_assert_true (talk_xmpp_stanza_get_parent (query) == iq);
  g_assert_null (talk_xmpp_stanza_get_parent (iq));
  g_assert_cmpuint (talk_xmpp_stanza_get_n_children (iq), ==, 3);

  name_text = talk_xmpp_stanza_dup_child_text (query2, "name", TALK_XMPP_NS_VERSION);
  g_assert_cmpstr (name_text, ==, "Talk");
  missing = talk_xmpp_stanza_dup_child_text (query2, "version", NULL);
  g_assert_null (missing);

  g_assert_true (talk_xmpp_stanza_remove_child (iq, "query", TALK_XMPP_NS_DISCO_INFO));
  g_assert_false (talk_xmpp_stanza_remove_child (iq, "query", TALK_XMPP_NS_DISCO_INFO));
  g_assert_cmpuint (talk_xmpp_stanza_get_n_children (iq), ==, 2);
  g_assert_true (talk_xmpp_stanza_get_child (iq, "query", NULL) == query2);
}

static void
test_removed_child_survives (void)
{
  g_autoptr(TalkXmppStanza) parent = talk_xmpp_stanza_new ("a", "urn:x");
  g_autoptr(TalkXmppStanza) kept = talk_xmpp_stanza_ref (talk_xmpp_stanza_add_child (parent, "b", NULL));

  talk_xmpp_stanza_add_text (kept, "still here");
  g_assert_true (talk_xmpp_stanza_remove_child (parent, "b", NULL));
  g_assert_null (talk_xmpp_stanza_get_parent (kept));
  assert_serializes (kept, NULL, "<b xmlns='urn:x'>still here</b>");

  /* and it may be appended elsewhere now */
  talk_xmpp_stanza_append (parent, kept);
  g_assert_true (talk_xmpp_stanza_get_parent (kept) == parent);
}

static void
test_builders (void)
{
  g_autoptr(TalkXmppStanza) message = talk_xmpp_stanza_new_message ("chat", "romeo@example.net", "Hi <3");
  g_autoptr(TalkXmppStanza) empty = talk_xmpp_stanza_new_message (NULL, NULL, NULL);
  g_autoptr(TalkXmppStanza) presence = talk_xmpp_stanza_new_presence ("unavailable", "room@muc/nick");
  g_autoptr(TalkXmppStanza) iq = talk_xmpp_stanza_new_iq ("set", "example.net", "abc");
  g_autoptr(TalkXmppStanza) result = NULL;
  g_autofree char *body = NULL;

  g_assert_cmpstr (talk_xmpp_stanza_get_ns (message), ==, TALK_XMPP_NS_CLIENT);
  g_assert_cmpstr (talk_xmpp_stanza_get_stanza_type (message), ==, "chat");
  g_assert_cmpstr (talk_xmpp_stanza_get_to (message), ==, "romeo@example.net");
  body = talk_xmpp_stanza_dup_child_text (message, "body", TALK_XMPP_NS_CLIENT);
  g_assert_cmpstr (body, ==, "Hi <3");
  assert_serializes (message, TALK_XMPP_NS_CLIENT,
                     "<message type='chat' to='romeo@example.net'><body>Hi &lt;3</body></message>");
  assert_serializes (empty, TALK_XMPP_NS_CLIENT, "<message/>");
  assert_serializes (presence, TALK_XMPP_NS_CLIENT,
                     "<presence type='unavailable' to='room@muc/nick'/>");
  assert_serializes (iq, TALK_XMPP_NS_CLIENT, "<iq type='set' to='example.net' id='abc'/>");

  talk_xmpp_stanza_set_attribute (iq, "from", "juliet@example.com/balcony");
  talk_xmpp_stanza_add_child (iq, "query", "jabber:iq:roster");
  result = talk_xmpp_stanza_new_iq_result (iq);
  g_assert_true (talk_xmpp_stanza_is (result, "iq", TALK_XMPP_NS_CLIENT));
  g_assert_cmpstr (talk_xmpp_stanza_get_stanza_type (result), ==, "result");
  g_assert_cmpstr (talk_xmpp_stanza_get_to (result), ==, "juliet@example.com/balcony");
  g_assert_cmpstr (talk_xmpp_stanza_get_id (result), ==, "abc");
  g_assert_null (talk_xmpp_stanza_get_from (result));
  g_assert_cmpuint (talk_xmpp_stanza_get_n_children (result), ==, 0);
}

static void
test_error_reply (void)
{
  g_autoptr(TalkXmppStanza) request = talk_xmpp_stanza_new_iq ("get", "juliet@example.com/balcony", "q7");
  g_autoptr(TalkXmppStanza) reply = NULL;
  g_autoptr(TalkXmppStanza) message = talk_xmpp_stanza_new_message ("chat", "x@y", "hi");
  g_autoptr(TalkXmppStanza) bare = NULL;
  TalkXmppStanza *error;

  talk_xmpp_stanza_set_attribute (request, "from", "romeo@example.net/orchard");
  talk_xmpp_stanza_add_child (request, "query", "jabber:iq:private");

  reply = talk_xmpp_stanza_new_error_reply (request, TALK_XMPP_STANZA_ERROR_SERVICE_UNAVAILABLE,
                                            "Not here & not now");
  /* RFC 6120 §8.3.1: type error, to the sender, same id, no from, and
   * the payload is not echoed */
  g_assert_true (talk_xmpp_stanza_is (reply, "iq", TALK_XMPP_NS_CLIENT));
  g_assert_cmpstr (talk_xmpp_stanza_get_stanza_type (reply), ==, "error");
  g_assert_cmpstr (talk_xmpp_stanza_get_to (reply), ==, "romeo@example.net/orchard");
  g_assert_cmpstr (talk_xmpp_stanza_get_id (reply), ==, "q7");
  g_assert_null (talk_xmpp_stanza_get_from (reply));
  g_assert_null (talk_xmpp_stanza_get_child (reply, "query", NULL));
  g_assert_cmpuint (talk_xmpp_stanza_get_n_children (reply), ==, 1);

  error = talk_xmpp_stanza_get_child (reply, "error", TALK_XMPP_NS_CLIENT);
  g_assert_nonnull (error);
  g_assert_cmpstr (talk_xmpp_stanza_get_attribute (error, "type"), ==, "cancel");
  g_assert_nonnull (talk_xmpp_stanza_get_child (error, "service-unavailable", TALK_XMPP_NS_STANZAS));

  assert_serializes (reply, TALK_XMPP_NS_CLIENT,
                     "<iq type='error' to='romeo@example.net/orchard' id='q7'>"
                     "<error type='cancel'>"
                     "<service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
                     "<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>Not here &amp; not now</text>"
                     "</error></iq>");

  /* a message without from or id; no text */
  bare = talk_xmpp_stanza_new_error_reply (message, TALK_XMPP_STANZA_ERROR_BAD_REQUEST, NULL);
  assert_serializes (bare, TALK_XMPP_NS_CLIENT,
                     "<message type='error'><error type='modify'>"
                     "<bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>");
}

static void
test_error_types (void)
{
  /* RFC 6120 §8.3.3 */
  static const struct
  {
    TalkXmppStanzaErrorCode code;
    const char *type;
  } expected[] = {
    { TALK_XMPP_STANZA_ERROR_BAD_REQUEST, "modify" },
    { TALK_XMPP_STANZA_ERROR_CONFLICT, "cancel" },
    { TALK_XMPP_STANZA_ERROR_FORBIDDEN, "auth" },
    { TALK_XMPP_STANZA_ERROR_ITEM_NOT_FOUND, "cancel" },
    { TALK_XMPP_STANZA_ERROR_JID_MALFORMED, "modify" },
    { TALK_XMPP_STANZA_ERROR_NOT_AUTHORIZED, "auth" },
    { TALK_XMPP_STANZA_ERROR_RECIPIENT_UNAVAILABLE, "wait" },
    { TALK_XMPP_STANZA_ERROR_REMOTE_SERVER_TIMEOUT, "wait" },
    { TALK_XMPP_STANZA_ERROR_RESOURCE_CONSTRAINT, "wait" },
    { TALK_XMPP_STANZA_ERROR_SERVICE_UNAVAILABLE, "cancel" },
    { TALK_XMPP_STANZA_ERROR_SUBSCRIPTION_REQUIRED, "auth" },
  };
  g_autoptr(TalkXmppStanza) request = talk_xmpp_stanza_new_iq ("get", NULL, "1");

  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_autoptr(TalkXmppStanza) reply = talk_xmpp_stanza_new_error_reply (request, expected[i].code, NULL);
      TalkXmppStanza *error = talk_xmpp_stanza_get_child (reply, "error", NULL);

      g_assert_cmpstr (talk_xmpp_stanza_get_attribute (error, "type"), ==, expected[i].type);
      g_assert_cmpstr (talk_xmpp_stanza_error_get_default_type (expected[i].code), ==, expected[i].type);
    }
}

static void
test_get_error (void)
{
  g_autoptr(TalkXmppStanza) request = talk_xmpp_stanza_new_iq ("get", "a@b", "1");
  g_autoptr(TalkXmppStanza) result = talk_xmpp_stanza_new_iq_result (request);
  g_autoptr(TalkXmppStanza) no_element = talk_xmpp_stanza_new_iq ("error", NULL, "2");
  g_autoptr(TalkXmppStanza) odd = talk_xmpp_stanza_new_message ("error", NULL, NULL);
  g_autoptr(GError) error = NULL;
  TalkXmppStanza *element;

  /* every condition survives a round trip, with or without text */
  for (int code = TALK_XMPP_STANZA_ERROR_BAD_REQUEST;
       code <= TALK_XMPP_STANZA_ERROR_UNEXPECTED_REQUEST; code++)
    {
      g_autoptr(TalkXmppStanza) with_text = talk_xmpp_stanza_new_error_reply (request, code, "Server says no");
      g_autoptr(TalkXmppStanza) without = talk_xmpp_stanza_new_error_reply (request, code, NULL);

      g_assert_true (talk_xmpp_stanza_get_error (with_text, &error));
      g_assert_error (error, TALK_XMPP_STANZA_ERROR, code);
      g_assert_cmpstr (error->message, ==, "Server says no");
      g_clear_error (&error);

      g_assert_true (talk_xmpp_stanza_get_error (without, &error));
      g_assert_error (error, TALK_XMPP_STANZA_ERROR, code);
      g_assert_cmpstr (error->message, ==, talk_xmpp_stanza_error_describe (code));
      g_assert_cmpstr (error->message, !=, "");
      g_clear_error (&error);
    }

  g_assert_false (talk_xmpp_stanza_get_error (result, &error));
  g_assert_no_error (error);
  g_assert_false (talk_xmpp_stanza_get_error (request, NULL));

  /* an error stanza without <error/> is still an error */
  g_assert_true (talk_xmpp_stanza_get_error (no_element, &error));
  g_assert_error (error, TALK_XMPP_STANZA_ERROR, TALK_XMPP_STANZA_ERROR_UNDEFINED_CONDITION);
  g_clear_error (&error);

  /* application-specific conditions (RFC 6120 §8.3.4) and the order of
   * the children do not hide the defined condition */
  element = talk_xmpp_stanza_add_child (odd, "error", NULL);
  talk_xmpp_stanza_set_attribute (element, "type", "modify");
  talk_xmpp_stanza_add_child_with_text (element, "text", TALK_XMPP_NS_STANZAS, "Too fast");
  talk_xmpp_stanza_add_child (element, "too-many-stanzas", "urn:example:app");
  talk_xmpp_stanza_add_child (element, "policy-violation", TALK_XMPP_NS_STANZAS);
  g_assert_true (talk_xmpp_stanza_get_error (odd, &error));
  g_assert_error (error, TALK_XMPP_STANZA_ERROR, TALK_XMPP_STANZA_ERROR_POLICY_VIOLATION);
  g_assert_cmpstr (error->message, ==, "Too fast");
}

static void
test_copy (void)
{
  g_autoptr(TalkXmppStanza) original = talk_xmpp_stanza_new_message ("chat", "a@b", "hello");
  g_autoptr(TalkXmppStanza) copy = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *copy_xml = NULL;
  TalkXmppStanza *copy_body;

  talk_xmpp_stanza_set_attribute_ns (original, TALK_XMPP_NS_XML, "lang", "en");
  talk_xmpp_stanza_add_child (original, "active", NS_CHATSTATES);
  before = talk_xmpp_stanza_to_string (original, NULL);

  copy = talk_xmpp_stanza_copy (original);
  copy_xml = talk_xmpp_stanza_to_string (copy, NULL);
  g_assert_cmpstr (copy_xml, ==, before);
  g_assert_true (copy != original);
  g_assert_null (talk_xmpp_stanza_get_parent (copy));

  copy_body = talk_xmpp_stanza_get_child (copy, "body", NULL);
  g_assert_true (copy_body != talk_xmpp_stanza_get_child (original, "body", NULL));
  g_assert_true (talk_xmpp_stanza_get_parent (copy_body) == copy);
  talk_xmpp_stanza_add_text (copy_body, " world");
  talk_xmpp_stanza_set_attribute (copy, "to", "c@d");
  talk_xmpp_stanza_remove_child (copy, "active", NULL);

  after = talk_xmpp_stanza_to_string (original, NULL);
  g_assert_cmpstr (after, ==, before);

  /* the copy outlives the original */
  g_clear_pointer (&original, talk_xmpp_stanza_unref);
  g_clear_pointer (&copy_xml, g_free);
  copy_xml = talk_xmpp_stanza_to_string (copy, TALK_XMPP_NS_CLIENT);
  g_assert_cmpstr (copy_xml, ==,
                   "<message type='chat' to='c@d' xml:lang='en'><body>hello world</body></message>");
}

static void
test_boxed (void)
{
  g_autoptr(TalkXmppStanza) stanza = talk_xmpp_stanza_new ("a", NULL);
  TalkXmppStanza *ref = g_boxed_copy (TALK_XMPP_TYPE_STANZA, stanza);

  /* a boxed copy shares the element */
  g_assert_true (ref == stanza);
  g_boxed_free (TALK_XMPP_TYPE_STANZA, ref);
  g_assert_cmpstr (talk_xmpp_stanza_get_name (stanza), ==, "a");
}

static void
test_ids (void)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < 10000; i++)
    {
      char *id = talk_xmpp_generate_id ();

      g_assert_cmpuint (strlen (id), ==, 16);
      for (const char *p = id; *p != '\0'; p++)
        g_assert_true (g_ascii_isalnum (*p) || *p == '-' || *p == '_');
      g_assert_false (g_hash_table_contains (seen, id));
      g_hash_table_add (seen, id);
    }
}

static void
test_condition_names (void)
{
  for (int code = TALK_XMPP_STANZA_ERROR_BAD_REQUEST;
       code <= TALK_XMPP_STANZA_ERROR_UNEXPECTED_REQUEST; code++)
    g_assert_cmpint (talk_xmpp_stanza_error_from_string (talk_xmpp_stanza_error_to_string (code)),
                     ==, code);
  for (int code = TALK_XMPP_STREAM_ERROR_BAD_FORMAT;
       code <= TALK_XMPP_STREAM_ERROR_UNSUPPORTED_VERSION; code++)
    {
      g_assert_cmpint (talk_xmpp_stream_error_from_string (talk_xmpp_stream_error_to_string (code)),
                       ==, code);
      g_assert_cmpstr (talk_xmpp_stream_error_describe (code), !=, "");
    }

  g_assert_cmpstr (talk_xmpp_stanza_error_to_string (TALK_XMPP_STANZA_ERROR_ITEM_NOT_FOUND),
                   ==, "item-not-found");
  g_assert_cmpstr (talk_xmpp_stream_error_to_string (TALK_XMPP_STREAM_ERROR_NOT_WELL_FORMED),
                   ==, "not-well-formed");
  g_assert_cmpstr (talk_xmpp_stream_error_to_string (TALK_XMPP_STREAM_ERROR_SEE_OTHER_HOST),
                   ==, "see-other-host");
  g_assert_cmpint (talk_xmpp_stanza_error_from_string ("no-such-thing"),
                   ==, TALK_XMPP_STANZA_ERROR_UNDEFINED_CONDITION);
  g_assert_cmpint (talk_xmpp_stream_error_from_string (NULL),
                   ==, TALK_XMPP_STREAM_ERROR_UNDEFINED_CONDITION);
  g_assert_cmpstr (talk_xmpp_stream_error_describe (TALK_XMPP_STREAM_ERROR_SYSTEM_SHUTDOWN),
                   ==, "The server is shutting down");
  g_assert_cmpstr (talk_xmpp_stream_error_describe (TALK_XMPP_STREAM_ERROR_CONFLICT),
                   ==, "Signed in from another place with the same resource");

  g_assert_cmpstr (g_quark_to_string (TALK_XMPP_ERROR), ==, "talk-xmpp-error-quark");
  g_assert_cmpstr (g_quark_to_string (TALK_XMPP_STREAM_ERROR), ==, "talk-xmpp-stream-error-quark");
  g_assert_cmpstr (g_quark_to_string (TALK_XMPP_STANZA_ERROR), ==, "talk-xmpp-stanza-error-quark");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/talk/xmpp/stanza/attributes", test_attributes);
  g_test_add_func ("/talk/xmpp/stanza/namespaces", test_namespaces);
  g_test_add_func ("/talk/xmpp/stanza/escape-text", test_escape_text);
  g_test_add_func ("/talk/xmpp/stanza/escape-attribute", test_escape_attribute);
  g_test_add_func ("/talk/xmpp/stanza/forbidden-chars", test_forbidden_chars);
  g_test_add_func ("/talk/xmpp/stanza/invalid-utf8", test_invalid_utf8);
  g_test_add_func ("/talk/xmpp/stanza/mixed-content", test_mixed_content);
  g_test_add_func ("/talk/xmpp/stanza/xml-lang", test_xml_lang);
  g_test_add_func ("/talk/xmpp/stanza/xml-namespace-element", test_xml_namespace_element);
  g_test_add_func ("/talk/xmpp/stanza/write-appends", test_write_appends);
  g_test_add_func ("/talk/xmpp/stanza/child-lookup", test_child_lookup);
  g_test_add_func ("/talk/xmpp/stanza/removed-child-survives", test_removed_child_survives);
  g_test_add_func ("/talk/xmpp/stanza/builders", test_builders);
  g_test_add_func ("/talk/xmpp/stanza/error-reply", test_error_reply);
  g_test_add_func ("/talk/xmpp/stanza/error-types", test_error_types);
  g_test_add_func ("/talk/xmpp/stanza/get-error", test_get_error);
  g_test_add_func ("/talk/xmpp/stanza/copy", test_copy);
  g_test_add_func ("/talk/xmpp/stanza/boxed", test_boxed);
  g_test_add_func ("/talk/xmpp/stanza/ids", test_ids);
  g_test_add_func ("/talk/xmpp/stanza/condition-names", test_condition_names);

  return g_test_run ();
}
