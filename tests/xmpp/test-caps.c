/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * XEP-0115 verification strings: the examples of §5.2 and §5.3, the
 * §5.4 rules for ill-formed input, and the hash this client announces.
 */

#include "config.h"

#include <string.h>

#include "talk-xmpp.h"

#define NS_DATA_FORMS "jabber:x:data"
#define NS_MUC        "http://jabber.org/protocol/muc"

static void
add_identity (TalkXmppStanza *query,
              const char     *category,
              const char     *type,
              const char     *lang,
              const char     *name)
{
  TalkXmppStanza *identity = talk_xmpp_stanza_add_child (query, "identity", NULL);

  talk_xmpp_stanza_set_attribute (identity, "category", category);
  talk_xmpp_stanza_set_attribute (identity, "type", type);
  if (lang != NULL)
    talk_xmpp_stanza_set_attribute_ns (identity, TALK_XMPP_NS_XML, "lang", lang);
  if (name != NULL)
    talk_xmpp_stanza_set_attribute (identity, "name", name);
}

static void
add_feature (TalkXmppStanza *query,
             const char     *var)
{
  TalkXmppStanza *feature = talk_xmpp_stanza_add_child (query, "feature", NULL);

  talk_xmpp_stanza_set_attribute (feature, "var", var);
}

/* @values: NULL-terminated */
static void
add_field (TalkXmppStanza     *form,
           const char         *var,
           const char         *type,
           const char * const *values)
{
  TalkXmppStanza *field = talk_xmpp_stanza_add_child (form, "field", NULL);

  talk_xmpp_stanza_set_attribute (field, "var", var);
  if (type != NULL)
    talk_xmpp_stanza_set_attribute (field, "type", type);
  for (; *values != NULL; values++)
    talk_xmpp_stanza_add_child_with_text (field, "value", NULL, *values);
}

static TalkXmppStanza *
new_query (void)
{
  return talk_xmpp_stanza_new ("query", TALK_XMPP_NS_DISCO_INFO);
}

static void
assert_ver (TalkXmppStanza *query,
            const char     *expected)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *ver = NULL;

  ver = talk_xmpp_caps_compute_ver (query, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ver, ==, expected);
}

static void
assert_ill_formed (TalkXmppStanza *query)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *ver = NULL;

  ver = talk_xmpp_caps_compute_ver (query, &error);
  g_assert_null (ver);
  g_assert_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_PROTOCOL);
}

/* XEP-0115 §5.2 */
#define SIMPLE_VER "QgayPKawpkPSDYmwT/WM94uAlu0="

static TalkXmppStanza *
build_simple (gboolean reversed)
{
  TalkXmppStanza *query = new_query ();

  add_identity (query, "client", "pc", NULL, "Exodus 0.9.1");
  if (!reversed)
    {
      add_feature (query, TALK_XMPP_NS_CAPS);
      add_feature (query, TALK_XMPP_NS_DISCO_INFO);
      add_feature (query, TALK_XMPP_NS_DISCO_ITEMS);
      add_feature (query, NS_MUC);
    }
  else
    {
      add_feature (query, NS_MUC);
      add_feature (query, TALK_XMPP_NS_DISCO_ITEMS);
      add_feature (query, TALK_XMPP_NS_CAPS);
      add_feature (query, TALK_XMPP_NS_DISCO_INFO);
    }
  return query;
}

/* XEP-0115 §5.3 */
#define COMPLEX_VER "q07IKJEyjvHSyhy//CH0CxmKi8w="

static TalkXmppStanza *
build_complex (gboolean reversed)
{
  static const char * const ip_versions[] = { "ipv4", "ipv6", NULL };
  static const char * const ip_versions_reversed[] = { "ipv6", "ipv4", NULL };
  TalkXmppStanza *query = new_query ();
  TalkXmppStanza *form;

  if (!reversed)
    {
      add_identity (query, "client", "pc", "en", "Psi 0.11");
      add_identity (query, "client", "pc", "el", "\316\250 0.11");
      add_feature (query, TALK_XMPP_NS_CAPS);
      add_feature (query, TALK_XMPP_NS_DISCO_INFO);
      add_feature (query, TALK_XMPP_NS_DISCO_ITEMS);
      add_feature (query, NS_MUC);
    }
  else
    {
      add_identity (query, "client", "pc", "el", "\316\250 0.11");
      add_identity (query, "client", "pc", "en", "Psi 0.11");
      add_feature (query, NS_MUC);
      add_feature (query, TALK_XMPP_NS_DISCO_INFO);
      add_feature (query, TALK_XMPP_NS_CAPS);
      add_feature (query, TALK_XMPP_NS_DISCO_ITEMS);
    }

  form = talk_xmpp_stanza_add_child (query, "x", NS_DATA_FORMS);
  talk_xmpp_stanza_set_attribute (form, "type", "result");
  if (!reversed)
    {
      add_field (form, "FORM_TYPE", "hidden",
                 (const char *[]) { "urn:xmpp:dataforms:softwareinfo", NULL });
      add_field (form, "ip_version", NULL, ip_versions);
      add_field (form, "os", NULL, (const char *[]) { "Mac", NULL });
      add_field (form, "os_version", NULL, (const char *[]) { "10.5.1", NULL });
      add_field (form, "software", NULL, (const char *[]) { "Psi", NULL });
      add_field (form, "software_version", NULL, (const char *[]) { "0.11", NULL });
    }
  else
    {
      add_field (form, "software_version", NULL, (const char *[]) { "0.11", NULL });
      add_field (form, "software", NULL, (const char *[]) { "Psi", NULL });
      add_field (form, "os_version", NULL, (const char *[]) { "10.5.1", NULL });
      add_field (form, "os", NULL, (const char *[]) { "Mac", NULL });
      add_field (form, "ip_version", NULL, ip_versions_reversed);
      add_field (form, "FORM_TYPE", "hidden",
                 (const char *[]) { "urn:xmpp:dataforms:softwareinfo", NULL });
    }

  return query;
}

static void
test_simple_example (void)
{
  g_autoptr(TalkXmppStanza) query = build_simple (FALSE);

  assert_ver (query, SIMPLE_VER);
}

static void
test_complex_example (void)
{
  g_autoptr(TalkXmppStanza) query = build_complex (FALSE);

  assert_ver (query, COMPLEX_VER);
}

static void
test_order_independent (void)
{
  g_autoptr(TalkXmppStanza) simple = build_simple (TRUE);
  g_autoptr(TalkXmppStanza) complex = build_complex (TRUE);

  assert_ver (simple, SIMPLE_VER);
  assert_ver (complex, COMPLEX_VER);
}

/* The §5.3 example as it arrives on the wire, xml:lang and all. */
static void
test_parsed_example (void)
{
  static const char xml[] =
    "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'"
    " version='1.0' from='capulet.lit' id='s1'>"
    "<iq from='benvolio@capulet.lit/230193' id='disco1' to='juliet@capulet.lit/chamber' type='result'>"
    "<query xmlns='http://jabber.org/protocol/disco#info'"
    " node='http://psi-im.org#q07IKJEyjvHSyhy//CH0CxmKi8w='>"
    "<identity xml:lang='en' category='client' name='Psi 0.11' type='pc'/>"
    "<identity xml:lang='el' category='client' name='&#936; 0.11' type='pc'/>"
    "<feature var='http://jabber.org/protocol/caps'/>"
    "<feature var='http://jabber.org/protocol/disco#info'/>"
    "<feature var='http://jabber.org/protocol/disco#items'/>"
    "<feature var='http://jabber.org/protocol/muc'/>"
    "<x xmlns='jabber:x:data' type='result'>"
    "<field var='FORM_TYPE' type='hidden'><value>urn:xmpp:dataforms:softwareinfo</value></field>"
    "<field var='ip_version'><value>ipv4</value><value>ipv6</value></field>"
    "<field var='os'><value>Mac</value></field>"
    "<field var='os_version'><value>10.5.1</value></field>"
    "<field var='software'><value>Psi</value></field>"
    "<field var='software_version'><value>0.11</value></field>"
    "</x></query></iq>";
  g_autoptr(TalkXmppReader) reader = talk_xmpp_reader_new ();
  g_autoptr(TalkXmppStanza) header = NULL;
  g_autoptr(TalkXmppStanza) iq = NULL;
  g_autoptr(GError) error = NULL;
  TalkXmppStanza *query;

  g_assert_true (talk_xmpp_reader_feed (reader, xml, strlen (xml), &error));
  g_assert_no_error (error);
  g_assert_cmpint (talk_xmpp_reader_pop (reader, &header), ==, TALK_XMPP_READER_EVENT_STREAM_OPEN);
  g_assert_cmpint (talk_xmpp_reader_pop (reader, &iq), ==, TALK_XMPP_READER_EVENT_STANZA);

  query = talk_xmpp_stanza_get_child (iq, "query", TALK_XMPP_NS_DISCO_INFO);
  g_assert_nonnull (query);
  assert_ver (query, COMPLEX_VER);
}

static void
test_duplicate_feature (void)
{
  g_autoptr(TalkXmppStanza) query = build_simple (FALSE);

  add_feature (query, TALK_XMPP_NS_DISCO_INFO);
  assert_ill_formed (query);
}

static void
test_duplicate_identity (void)
{
  g_autoptr(TalkXmppStanza) query = build_simple (FALSE);

  add_identity (query, "client", "pc", NULL, "Exodus 0.9.1");
  assert_ill_formed (query);
}

static void
test_duplicate_form_type (void)
{
  g_autoptr(TalkXmppStanza) query = build_complex (FALSE);
  TalkXmppStanza *form;

  form = talk_xmpp_stanza_add_child (query, "x", NS_DATA_FORMS);
  talk_xmpp_stanza_set_attribute (form, "type", "result");
  add_field (form, "FORM_TYPE", "hidden",
             (const char *[]) { "urn:xmpp:dataforms:softwareinfo", NULL });
  assert_ill_formed (query);
}

static void
test_form_type_values_differ (void)
{
  g_autoptr(TalkXmppStanza) query = build_simple (FALSE);
  TalkXmppStanza *form;

  form = talk_xmpp_stanza_add_child (query, "x", NS_DATA_FORMS);
  add_field (form, "FORM_TYPE", "hidden", (const char *[]) { "urn:a", "urn:b", NULL });
  assert_ill_formed (query);
}

/* §5.4 step 3.6: such forms are left out, the rest still counts. */
static void
test_form_ignored (void)
{
  g_autoptr(TalkXmppStanza) query = build_simple (FALSE);
  TalkXmppStanza *form;

  form = talk_xmpp_stanza_add_child (query, "x", NS_DATA_FORMS);
  add_field (form, "os", NULL, (const char *[]) { "Linux", NULL });

  form = talk_xmpp_stanza_add_child (query, "x", NS_DATA_FORMS);
  add_field (form, "FORM_TYPE", NULL, (const char *[]) { "urn:xmpp:dataforms:softwareinfo", NULL });
  add_field (form, "os", NULL, (const char *[]) { "Linux", NULL });

  assert_ver (query, SIMPLE_VER);
}

static char *
sha1_base64 (const char *s)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA1);
  guint8 digest[20];
  gsize len = sizeof digest;

  g_checksum_update (checksum, (const guchar *) s, strlen (s));
  g_checksum_get_digest (checksum, digest, &len);
  return g_base64_encode (digest, len);
}

/* Sorting compares bytes (XEP-0115 §5.1 "i;octet") field by field: upper
 * case before lower case, and "client" before "client-x" although "-"
 * sorts before "/" in the joined string. */
static void
test_octet_order (void)
{
  g_autoptr(TalkXmppStanza) query = new_query ();
  g_autofree char *expected = NULL;

  add_identity (query, "client-x", "pc", NULL, NULL);
  add_identity (query, "client", "pc", NULL, NULL);
  add_feature (query, "urn:b");
  add_feature (query, "urn:B");
  add_feature (query, "urn:\xc3\xa9");
  add_feature (query, "urn:z");

  expected = sha1_base64 ("client/pc//<client-x/pc//<urn:B<urn:b<urn:z<urn:\xc3\xa9<");
  assert_ver (query, expected);
}

static TalkXmppDisco *
new_disco (void)
{
  g_autoptr(TalkXmppJid) jid = talk_xmpp_jid_new ("user@example.test", NULL);
  g_autoptr(TalkXmppSession) session = talk_xmpp_session_new (jid);

  return talk_xmpp_disco_new (session);
}

static gboolean
query_has_feature (TalkXmppStanza *query,
                   const char     *var)
{
  TalkXmppStanzaIter iter;
  TalkXmppStanza *child;

  talk_xmpp_stanza_iter_init (&iter, query);
  while (talk_xmpp_stanza_iter_next (&iter, &child))
    if (talk_xmpp_stanza_is (child, "feature", TALK_XMPP_NS_DISCO_INFO) &&
        g_strcmp0 (talk_xmpp_stanza_get_attribute (child, "var"), var) == 0)
      return TRUE;
  return FALSE;
}

static void
test_own_info (void)
{
  g_autoptr(TalkXmppDisco) disco = new_disco ();
  g_autoptr(TalkXmppStanza) info = talk_xmpp_disco_build_info (disco, NULL);
  g_autoptr(TalkXmppStanza) again = talk_xmpp_disco_build_info (disco, NULL);
  g_autofree char *ver = NULL;
  g_autofree char *ver_again = NULL;
  TalkXmppStanza *identity;

  identity = talk_xmpp_stanza_get_child (info, "identity", TALK_XMPP_NS_DISCO_INFO);
  g_assert_nonnull (identity);
  g_assert_cmpstr (talk_xmpp_stanza_get_attribute (identity, "category"), ==, "client");
  g_assert_cmpstr (talk_xmpp_stanza_get_attribute (identity, "type"), ==, "pc");
  g_assert_cmpstr (talk_xmpp_stanza_get_attribute (identity, "name"), ==, "Talk");
  g_assert_true (query_has_feature (info, TALK_XMPP_NS_DISCO_INFO));
  g_assert_true (query_has_feature (info, TALK_XMPP_NS_DISCO_ITEMS));
  g_assert_true (query_has_feature (info, TALK_XMPP_NS_CAPS));
  g_assert_true (query_has_feature (info, TALK_XMPP_NS_PING));
  g_assert_true (query_has_feature (info, TALK_XMPP_NS_VERSION));
  g_assert_null (talk_xmpp_stanza_get_attribute (info, "node"));

  ver = talk_xmpp_caps_compute_ver (info, NULL);
  ver_again = talk_xmpp_caps_compute_ver (again, NULL);
  g_assert_nonnull (ver);
  g_assert_cmpstr (ver, ==, ver_again);
  g_assert_cmpstr (talk_xmpp_disco_get_caps_ver (disco), ==, ver);
}

static void
test_own_ver_changes (void)
{
  g_autoptr(TalkXmppDisco) disco = new_disco ();
  g_autofree char *before = g_strdup (talk_xmpp_disco_get_caps_ver (disco));
  g_autofree char *after = NULL;
  g_autoptr(TalkXmppStanza) info = NULL;
  g_autofree char *recomputed = NULL;

  talk_xmpp_disco_add_feature (disco, "urn:xmpp:example:0");
  after = g_strdup (talk_xmpp_disco_get_caps_ver (disco));
  g_assert_cmpstr (before, !=, after);

  info = talk_xmpp_disco_build_info (disco, NULL);
  g_assert_true (query_has_feature (info, "urn:xmpp:example:0"));
  recomputed = talk_xmpp_caps_compute_ver (info, NULL);
  g_assert_cmpstr (recomputed, ==, after);

  /* Features are a set: adding one twice changes nothing. */
  talk_xmpp_disco_add_feature (disco, "urn:xmpp:example:0");
  g_assert_cmpstr (talk_xmpp_disco_get_caps_ver (disco), ==, after);
}

static void
test_build_caps (void)
{
  g_autoptr(TalkXmppDisco) disco = new_disco ();
  g_autoptr(TalkXmppStanza) caps = talk_xmpp_disco_build_caps (disco);
  g_autoptr(TalkXmppStanza) info_for_node = NULL;
  g_autofree char *node = NULL;

  g_assert_true (talk_xmpp_stanza_is (caps, "c", TALK_XMPP_NS_CAPS));
  g_assert_cmpstr (talk_xmpp_stanza_get_attribute (caps, "hash"), ==, "sha-1");
  g_assert_cmpstr (talk_xmpp_stanza_get_attribute (caps, "node"), ==, TALK_XMPP_CAPS_NODE);
  g_assert_cmpstr (talk_xmpp_stanza_get_attribute (caps, "ver"), ==,
                   talk_xmpp_disco_get_caps_ver (disco));

  node = g_strconcat (TALK_XMPP_CAPS_NODE "#", talk_xmpp_disco_get_caps_ver (disco), NULL);
  info_for_node = talk_xmpp_disco_build_info (disco, node);
  g_assert_cmpstr (talk_xmpp_stanza_get_attribute (info_for_node, "node"), ==, node);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/talk/xmpp/caps/simple-example", test_simple_example);
  g_test_add_func ("/talk/xmpp/caps/complex-example", test_complex_example);
  g_test_add_func ("/talk/xmpp/caps/order-independent", test_order_independent);
  g_test_add_func ("/talk/xmpp/caps/parsed-example", test_parsed_example);
  g_test_add_func ("/talk/xmpp/caps/duplicate-feature", test_duplicate_feature);
  g_test_add_func ("/talk/xmpp/caps/duplicate-identity", test_duplicate_identity);
  g_test_add_func ("/talk/xmpp/caps/duplicate-form-type", test_duplicate_form_type);
  g_test_add_func ("/talk/xmpp/caps/form-type-values-differ", test_form_type_values_differ);
  g_test_add_func ("/talk/xmpp/caps/form-ignored", test_form_ignored);
  g_test_add_func ("/talk/xmpp/caps/octet-order", test_octet_order);
  g_test_add_func ("/talk/xmpp/caps/own-info", test_own_info);
  g_test_add_func ("/talk/xmpp/caps/own-ver-changes", test_own_ver_changes);
  g_test_add_func ("/talk/xmpp/caps/build-caps", test_build_caps);

  return g_test_run ();
}
