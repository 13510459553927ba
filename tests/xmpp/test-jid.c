/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <string.h>

#include "talk-xmpp-jid-private.h"
#include "talk-xmpp-error.h"

static TalkXmppJid *
parse_ok (const char *str)
{
  g_autoptr(GError) error = NULL;
  TalkXmppJid *jid = talk_xmpp_jid_new (str, &error);

  g_assert_no_error (error);
  g_assert_nonnull (jid);
  return jid;
}

static void
assert_invalid (const char *str)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TalkXmppJid) jid = talk_xmpp_jid_new (str, &error);

  if (jid != NULL)
    g_error ("“%s” was accepted as “%s”", str, talk_xmpp_jid_to_string (jid));
  g_assert_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_INVALID_JID);
  g_assert_nonnull (error->message);
  g_assert_cmpstr (error->message, !=, "");
}

static void
assert_normalizes (const char *str,
                   const char *expected)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *normalized = talk_xmpp_jid_normalize (str, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (normalized, ==, expected);
}

static void
test_parts (void)
{
  g_autoptr(TalkXmppJid) full = parse_ok ("juliet@example.com/balcony");
  g_autoptr(TalkXmppJid) bare = parse_ok ("juliet@example.com");
  g_autoptr(TalkXmppJid) domain = parse_ok ("example.com");
  g_autoptr(TalkXmppJid) domain_res = parse_ok ("example.com/res");

  g_assert_cmpstr (talk_xmpp_jid_get_localpart (full), ==, "juliet");
  g_assert_cmpstr (talk_xmpp_jid_get_domainpart (full), ==, "example.com");
  g_assert_cmpstr (talk_xmpp_jid_get_resourcepart (full), ==, "balcony");
  g_assert_cmpstr (talk_xmpp_jid_to_string (full), ==, "juliet@example.com/balcony");
  g_assert_cmpstr (talk_xmpp_jid_get_bare_string (full), ==, "juliet@example.com");
  g_assert_false (talk_xmpp_jid_is_bare (full));

  g_assert_true (talk_xmpp_jid_is_bare (bare));
  g_assert_null (talk_xmpp_jid_get_resourcepart (bare));
  g_assert_cmpstr (talk_xmpp_jid_to_string (bare), ==, "juliet@example.com");

  g_assert_null (talk_xmpp_jid_get_localpart (domain));
  g_assert_cmpstr (talk_xmpp_jid_get_domainpart (domain), ==, "example.com");
  g_assert_true (talk_xmpp_jid_is_bare (domain));

  g_assert_null (talk_xmpp_jid_get_localpart (domain_res));
  g_assert_cmpstr (talk_xmpp_jid_get_resourcepart (domain_res), ==, "res");
  g_assert_cmpstr (talk_xmpp_jid_get_bare_string (domain_res), ==, "example.com");
}

static void
test_casefold (void)
{
  g_autoptr(TalkXmppJid) jid = parse_ok ("JuLiEt@ExAmPlE.COM/BalCony");

  g_assert_cmpstr (talk_xmpp_jid_get_localpart (jid), ==, "juliet");
  g_assert_cmpstr (talk_xmpp_jid_get_domainpart (jid), ==, "example.com");
  /* RFC 7622 §3.4: the resourcepart keeps its case */
  g_assert_cmpstr (talk_xmpp_jid_get_resourcepart (jid), ==, "BalCony");

  assert_normalizes ("\xc3\x89LODIE@Example.com", "\xc3\xa9lodie@example.com");
  g_assert_true (talk_xmpp_jid_string_equal ("STRASSE@example.com", "stra\xc3\x9f" "e@example.com"));
  g_assert_true (talk_xmpp_jid_string_equal ("a@CAF\xc3\x89.example", "a@caf\xc3\xa9.example"));
  g_assert_false (talk_xmpp_jid_string_equal ("a@b/Res", "a@b/res"));
}

static void
test_idna (void)
{
  assert_normalizes ("a@xn--caf-dma.example", "a@caf\xc3\xa9.example");
  assert_normalizes ("a@XN--CAF-DMA.Example", "a@caf\xc3\xa9.example");
  g_assert_true (talk_xmpp_jid_string_equal ("a@xn--caf-dma.example/r",
                                             "a@caf\xc3\xa9.example/r"));
  /* "xn--" followed by something that is not Punycode */
  assert_invalid ("a@xn--.example");
}

static void
test_nfc (void)
{
  /* e + COMBINING ACUTE ACCENT vs. precomposed é, in every part */
  const char *decomposed = "re\xcc\x81mi@caf" "e\xcc\x81.example/ce\xcc\x81line";
  const char *composed = "r\xc3\xa9mi@caf\xc3\xa9.example/c\xc3\xa9line";
  g_autoptr(TalkXmppJid) a = parse_ok (decomposed);
  g_autoptr(TalkXmppJid) b = parse_ok (composed);

  g_assert_true (talk_xmpp_jid_equal (a, b));
  g_assert_cmpstr (talk_xmpp_jid_to_string (a), ==, composed);
  g_assert_cmpuint (talk_xmpp_jid_hash (a), ==, talk_xmpp_jid_hash (b));
}

static void
test_width_mapping (void)
{
  /* RFC 8265 §3.3.2: FULLWIDTH LATIN letters map to ASCII */
  assert_normalizes ("\xef\xbd\x8a\xef\xbd\x95\xef\xbd\x8c\xef\xbd\x89\xef\xbd\x85\xef\xbd\x94@example.com",
                     "juliet@example.com");
}

static void
test_trailing_dot (void)
{
  assert_normalizes ("a@example.com.", "a@example.com");
  assert_normalizes ("example.com./r", "example.com/r");
  g_assert_true (talk_xmpp_jid_string_equal ("a@example.com./r", "a@example.com/r"));
  assert_invalid ("a@example.com..");
  assert_invalid ("a@.");
  assert_invalid ("a@.example.com");
  assert_invalid ("a@example..com");
}

static void
test_separators_in_resource (void)
{
  g_autoptr(TalkXmppJid) jid = parse_ok ("a@b/c@d/e");
  g_autoptr(TalkXmppJid) jid2 = parse_ok ("a/b@c");

  /* RFC 7622 §3.1: split at the first '/', then the last '@' before it */
  g_assert_cmpstr (talk_xmpp_jid_get_localpart (jid), ==, "a");
  g_assert_cmpstr (talk_xmpp_jid_get_domainpart (jid), ==, "b");
  g_assert_cmpstr (talk_xmpp_jid_get_resourcepart (jid), ==, "c@d/e");

  g_assert_null (talk_xmpp_jid_get_localpart (jid2));
  g_assert_cmpstr (talk_xmpp_jid_get_domainpart (jid2), ==, "a");
  g_assert_cmpstr (talk_xmpp_jid_get_resourcepart (jid2), ==, "b@c");
}

static void
test_empty_parts (void)
{
  g_autoptr(GError) error = NULL;

  assert_invalid ("");
  assert_invalid ("@example.com");
  assert_invalid ("a@");
  assert_invalid ("a@/r");
  assert_invalid ("a@b/");
  assert_invalid ("/r");
  assert_invalid ("@");

  g_assert_null (talk_xmpp_jid_new (NULL, &error));
  g_assert_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_INVALID_JID);
}

static void
test_lengths (void)
{
  g_autofree char *local_1023 = g_strnfill (1023, 'a');
  g_autofree char *local_1024 = g_strnfill (1024, 'a');
  g_autofree char *ok = g_strdup_printf ("%s@example.com/%s", local_1023, local_1023);
  g_autofree char *long_local = g_strdup_printf ("%s@example.com", local_1024);
  g_autofree char *long_resource = g_strdup_printf ("a@example.com/%s", local_1024);
  g_autofree char *long_domain = g_strdup_printf ("a@%s.com", local_1023);
  g_autofree char *huge = g_strnfill (100000, 'a');
  g_autoptr(TalkXmppJid) jid = parse_ok (ok);

  g_assert_cmpuint (strlen (talk_xmpp_jid_get_localpart (jid)), ==, 1023);
  g_assert_cmpuint (strlen (talk_xmpp_jid_get_resourcepart (jid)), ==, 1023);
  assert_invalid (long_local);
  assert_invalid (long_resource);
  assert_invalid (long_domain);
  assert_invalid (huge);
}

static void
test_forbidden_localpart (void)
{
  const char forbidden[] = "\"&'/:<>@";

  /* RFC 7622 §3.3.1 */
  for (const char *c = forbidden; *c != '\0'; c++)
    {
      g_autoptr(GError) error = NULL;
      char local[] = { 'a', *c, 'b', '\0' };
      g_autoptr(TalkXmppJid) jid = talk_xmpp_jid_new_from_parts (local, "example.com", NULL, &error);

      g_assert_null (jid);
      g_assert_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_INVALID_JID);
    }

  assert_invalid ("a\"b@example.com");
  assert_invalid ("a<b@example.com");
  assert_invalid ("a:b@example.com");
  /* the last '@' splits, so the localpart is "a@b" */
  assert_invalid ("a@b@example.com");
}

static void
test_spaces (void)
{
  g_autoptr(TalkXmppJid) jid = parse_ok ("a@example.com/my phone");

  g_assert_cmpstr (talk_xmpp_jid_get_resourcepart (jid), ==, "my phone");
  assert_invalid ("a b@example.com");
  assert_invalid ("a@exa mple.com");
  assert_invalid ("a\xc2\xa0" "b@example.com");      /* NO-BREAK SPACE */
  assert_invalid ("a\xe3\x80\x80" "b@example.com");  /* IDEOGRAPHIC SPACE */
  assert_invalid ("bo\xe2\x80\x8b" "b@example.com"); /* ZERO WIDTH SPACE */
  assert_invalid ("a\xe2\x80\xae" "b@example.com");  /* RIGHT-TO-LEFT OVERRIDE */
}

static void
test_controls (void)
{
  assert_invalid ("a\x01@example.com");
  assert_invalid ("a@exam\x1bple.com");
  assert_invalid ("a@example.com/x\ty");
  assert_invalid ("a@example.com/x\ny");
  assert_invalid ("a@example.com/x\x7fy");
  assert_invalid ("a@example.com/x\xc2\x85y");  /* NEXT LINE, a C1 control */
}

static void
test_invalid_utf8 (void)
{
  g_autoptr(GError) error = NULL;

  assert_invalid ("a\xff@example.com");
  assert_invalid ("a@exa\xc3mple.com");
  assert_invalid ("a@example.com/\xc0\xaf");     /* overlong '/' */
  assert_invalid ("a@example.com/\xed\xa0\x80"); /* lone surrogate */
  assert_invalid ("a@example.com/\xc3");         /* truncated */

  g_assert_null (talk_xmpp_jid_new_from_parts ("a", "example.com", "\xfe", &error));
  g_assert_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_INVALID_JID);
}

static void
test_ip_literals (void)
{
  g_autoptr(TalkXmppJid) v6 = parse_ok ("a@[::1]/r");
  g_autoptr(TalkXmppJid) v4 = parse_ok ("a@127.0.0.1");

  g_assert_cmpstr (talk_xmpp_jid_get_domainpart (v6), ==, "[::1]");
  g_assert_cmpstr (talk_xmpp_jid_get_domainpart (v4), ==, "127.0.0.1");
  g_assert_true (talk_xmpp_jid_string_equal ("a@[0:0::1]", "a@[::1]"));
  assert_normalizes ("[2001:DB8::1]", "[2001:db8::1]");

  assert_invalid ("a@[::1");
  assert_invalid ("a@::1");
  assert_invalid ("a@[1.2.3.4]");
  assert_invalid ("a@[example.com]");
  assert_invalid ("a@[fe80::1%eth0]");
  assert_invalid ("a@[]");
}

static void
test_equality (void)
{
  g_autoptr(TalkXmppJid) a = parse_ok ("juliet@example.com/balcony");
  g_autoptr(TalkXmppJid) b = parse_ok ("Juliet@Example.com/balcony");
  g_autoptr(TalkXmppJid) c = parse_ok ("juliet@example.com/chamber");
  g_autoptr(TalkXmppJid) d = parse_ok ("juliet@example.com");
  g_autoptr(TalkXmppJid) e = parse_ok ("romeo@example.com");

  g_assert_true (talk_xmpp_jid_equal (a, b));
  g_assert_false (talk_xmpp_jid_equal (a, c));
  g_assert_true (talk_xmpp_jid_equal_bare (a, c));
  g_assert_false (talk_xmpp_jid_equal (a, d));
  g_assert_true (talk_xmpp_jid_equal_bare (a, d));
  g_assert_false (talk_xmpp_jid_equal_bare (a, e));
}

static void
test_hash (void)
{
  g_autoptr(GHashTable) table = g_hash_table_new_full ((GHashFunc) talk_xmpp_jid_hash,
                                                       (GEqualFunc) talk_xmpp_jid_equal,
                                                       (GDestroyNotify) talk_xmpp_jid_unref,
                                                       NULL);
  g_autoptr(TalkXmppJid) lookup = parse_ok ("ROMEO@EXAMPLE.NET/Orchard");
  g_autoptr(TalkXmppJid) other = parse_ok ("romeo@example.net/orchard");

  g_hash_table_add (table, parse_ok ("romeo@example.net/Orchard"));
  g_assert_true (g_hash_table_contains (table, lookup));
  g_assert_false (g_hash_table_contains (table, other));
}

static void
test_dup_bare (void)
{
  g_autoptr(TalkXmppJid) full = parse_ok ("a@example.com/r");
  g_autoptr(TalkXmppJid) bare = talk_xmpp_jid_dup_bare (full);
  g_autoptr(TalkXmppJid) bare2 = talk_xmpp_jid_dup_bare (bare);

  g_assert_true (talk_xmpp_jid_is_bare (bare));
  g_assert_cmpstr (talk_xmpp_jid_to_string (bare), ==, "a@example.com");
  g_assert_true (talk_xmpp_jid_equal_bare (full, bare));
  /* already bare: the same object */
  g_assert_true (bare2 == bare);
}

static void
test_dup_with_resource (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TalkXmppJid) jid = parse_ok ("A@Example.com/old");
  g_autoptr(TalkXmppJid) renamed = talk_xmpp_jid_dup_with_resource (jid, "Ne\xcc\x81w", &error);
  g_autoptr(TalkXmppJid) none = NULL;
  g_autoptr(TalkXmppJid) bad = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (talk_xmpp_jid_to_string (renamed), ==, "a@example.com/N\xc3\xa9w");
  g_assert_cmpstr (talk_xmpp_jid_to_string (jid), ==, "a@example.com/old");

  none = talk_xmpp_jid_dup_with_resource (jid, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (talk_xmpp_jid_is_bare (none));

  bad = talk_xmpp_jid_dup_with_resource (jid, "", &error);
  g_assert_null (bad);
  g_assert_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_INVALID_JID);
}

static void
test_string_equal (void)
{
  g_assert_true (talk_xmpp_jid_string_equal ("A@B", "a@b"));
  g_assert_true (talk_xmpp_jid_string_equal ("a@b/r", "a@b./r"));
  g_assert_false (talk_xmpp_jid_string_equal ("a@b", "a@b/r"));
  g_assert_false (talk_xmpp_jid_string_equal (NULL, "a@b"));
  g_assert_false (talk_xmpp_jid_string_equal ("a@b", NULL));
  g_assert_false (talk_xmpp_jid_string_equal (NULL, NULL));
  /* invalid strings never compare equal, not even to themselves */
  g_assert_false (talk_xmpp_jid_string_equal ("@b", "@b"));
  g_assert_false (talk_xmpp_jid_string_equal ("a b@c", "a b@c"));
}

static void
test_from_parts (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TalkXmppJid) jid = talk_xmpp_jid_new_from_parts ("Juliet", "EXAMPLE.com.", "Balcony", &error);
  g_autoptr(TalkXmppJid) domain = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (talk_xmpp_jid_to_string (jid), ==, "juliet@example.com/Balcony");

  domain = talk_xmpp_jid_new_from_parts (NULL, "example.com", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (talk_xmpp_jid_to_string (domain), ==, "example.com");

  g_assert_null (talk_xmpp_jid_new_from_parts ("", "example.com", NULL, &error));
  g_assert_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_INVALID_JID);
  g_clear_error (&error);
  g_assert_null (talk_xmpp_jid_new_from_parts ("a", "example.com", "", &error));
  g_assert_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_INVALID_JID);
  g_clear_error (&error);
  g_assert_null (talk_xmpp_jid_new_from_parts ("a", NULL, NULL, &error));
  g_assert_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_INVALID_JID);
  g_clear_error (&error);
  g_assert_null (talk_xmpp_jid_new_from_parts ("a", "exa/mple", NULL, &error));
  g_assert_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_INVALID_JID);
}

static void
test_error_messages (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *normalized = talk_xmpp_jid_normalize ("a<b@example.com", &error);

  g_assert_null (normalized);
  g_assert_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_INVALID_JID);
  /* the message names the offending character */
  g_assert_nonnull (strstr (error->message, "<"));
  g_clear_error (&error);

  g_assert_null (talk_xmpp_jid_new ("a@b/", &error));
  g_assert_nonnull (strstr (error->message, "/"));
}

static void
test_boxed (void)
{
  g_autoptr(TalkXmppJid) jid = parse_ok ("a@b/c");
  TalkXmppJid *copy = g_boxed_copy (TALK_XMPP_TYPE_JID, jid);

  g_assert_true (G_TYPE_IS_BOXED (TALK_XMPP_TYPE_JID));
  g_assert_true (talk_xmpp_jid_equal (copy, jid));
  g_boxed_free (TALK_XMPP_TYPE_JID, copy);
  g_assert_cmpstr (talk_xmpp_jid_to_string (jid), ==, "a@b/c");
}

/* The ASCII shortcut of talk_xmpp_jid_new() against the full preparation:
 * the same JID, or both refuse. */

/* Hand-picked: mixed case, trailing dots, IDNA prefixes, IP literals,
 * forbidden and non-ASCII characters in every part, and the limits. */
static const char * const shortcut_cases[] = {
  "juliet@example.com/balcony", "Juliet@EXAMPLE.com./Balcony", "JULIET@EXAMPLE.COM",
  "a@b", "A@B", "example.com", "EXAMPLE.COM.", "example.com./R", "a@b/r/s@t", "a/b@c",
  "a@b/ c d ", "a@b/~!*()", "a@xn--caf-dma.example", "a@XN--CAF-DMA.example",
  "a@Xn--caf-dma.example", "a@xn--.example", "a@axn--b.example", "a@b.xn--caf-dma",
  "a@127.0.0.1", "a@127.0.0.1.", "a@1.2.3", "a@0127.0.0.1", "a@1e100.net", "a@123",
  "a@[::1]", "a@[2001:DB8::1]/r", "a@::1", "a b@c", "a@b c", "\"a\"@b", "a&b@c",
  "a'b@c", "a:b@c", "a<b@c", "a>b@c", "a@b@c", "a@b..c", ".a@b", "a@.b", "a@b.",
  "a@b..", "a@.", "a@-", "a@_x", "a@-x-.y_", "a@b/", "@b", "a@", "/r", "@", "/",
  "a!#$%()*+,;=?[]^`{|}~@b", "a\\b@c", "a@b\\c", "a@b%c", "a@b+c", "a@b!c",
  "caf\xc3\xa9@example.com", "a@exampl\xc3\xa9.com", "a@example.com/caf\xc3\xa9",
  "CAF\xc3\x89@example.com", "a@EXAMPL\xc3\x89.com", "STRASSE@b", "stra\xc3\x9f" "e@b",
  "\xef\xbd\x8a@b", "K\xe2\x84\xaa@b", "a@b/r\xcc\x81", "re\xcc\x81mi@b",
  "a\x7f@b", "a@b\x7f", "a@b/\x7f", "a@b/\t", "a\x01@b", "a@b/x\ny",
  "a\xc2\xa0" "b@c", "a@b\xe3\x80\x82" "c", "bo\xe2\x80\x8b" "b@c", "a\xff@b",
  "a@exa\xc3mple.com",
};

static void
assert_same_jid (const char *str)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) full_error = NULL;
  g_autoptr(TalkXmppJid) jid = talk_xmpp_jid_new (str, &error);
  g_autoptr(TalkXmppJid) full = _talk_xmpp_jid_new_full (str, &full_error);
  g_autofree char *normalized = talk_xmpp_jid_normalize (str, NULL);

  if ((jid == NULL) != (full == NULL))
    g_error ("“%s”: %s by talk_xmpp_jid_new(), %s by the full preparation", str,
             jid != NULL ? "accepted" : "refused", full != NULL ? "accepted" : "refused");

  if (full == NULL)
    {
      g_assert_null (normalized);
      g_assert_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_INVALID_JID);
      /* a refusal always comes from the full path: the same message */
      g_assert_cmpstr (error->message, ==, full_error->message);
      return;
    }

  g_assert_cmpstr (talk_xmpp_jid_get_localpart (jid), ==, talk_xmpp_jid_get_localpart (full));
  g_assert_cmpstr (talk_xmpp_jid_get_domainpart (jid), ==, talk_xmpp_jid_get_domainpart (full));
  g_assert_cmpstr (talk_xmpp_jid_get_resourcepart (jid), ==,
                   talk_xmpp_jid_get_resourcepart (full));
  g_assert_cmpstr (talk_xmpp_jid_get_bare_string (jid), ==, talk_xmpp_jid_get_bare_string (full));
  g_assert_cmpstr (talk_xmpp_jid_to_string (jid), ==, talk_xmpp_jid_to_string (full));
  g_assert_cmpstr (normalized, ==, talk_xmpp_jid_to_string (full));
  g_assert_true (talk_xmpp_jid_equal (jid, full));
  g_assert_cmpuint (talk_xmpp_jid_hash (jid), ==, talk_xmpp_jid_hash (full));
}

/* talk_xmpp_jid_string_equal() as the full preparation would answer. */
static void
assert_same_equality (const char *a,
                      const char *b)
{
  g_autoptr(TalkXmppJid) ja = _talk_xmpp_jid_new_full (a, NULL);
  g_autoptr(TalkXmppJid) jb = _talk_xmpp_jid_new_full (b, NULL);
  gboolean expected = ja != NULL && jb != NULL &&
                      strcmp (talk_xmpp_jid_to_string (ja), talk_xmpp_jid_to_string (jb)) == 0;

  if (talk_xmpp_jid_string_equal (a, b) != expected)
    g_error ("“%s” and “%s”: string_equal() says %s", a, b, expected ? "different" : "equal");
}

static void
test_ascii_shortcut_cases (void)
{
  g_autofree char *local_1023 = g_strnfill (1023, 'A');
  g_autofree char *local_1024 = g_strnfill (1024, 'a');
  g_autofree char *label_63 = g_strnfill (63, 'B');
  g_autofree char *label_300 = g_strnfill (300, 'c');
  g_autofree char *domain_255 = g_strdup_printf ("%s.%s.%s.%s", label_63, label_63, label_63,
                                                 label_63);
  g_autofree char *long_local = g_strdup_printf ("%s@b/%s", local_1023, local_1023);
  g_autofree char *too_long_local = g_strdup_printf ("%s@b", local_1024);
  g_autofree char *too_long_resource = g_strdup_printf ("a@b/%s", local_1024);
  g_autofree char *long_label = g_strdup_printf ("a@%s.example", label_300);
  g_autofree char *at_255 = g_strdup_printf ("a@%s", domain_255);
  g_autofree char *at_256 = g_strdup_printf ("a@x%s", domain_255);
  g_autofree char *dot_255 = g_strdup_printf ("a@%s.", domain_255);
  const char *limits[] = {
    long_local, too_long_local, too_long_resource, long_label, at_255, at_256, dot_255,
  };

  for (guint i = 0; i < G_N_ELEMENTS (shortcut_cases); i++)
    assert_same_jid (shortcut_cases[i]);
  for (guint i = 0; i < G_N_ELEMENTS (limits); i++)
    assert_same_jid (limits[i]);
  for (guint i = 0; i < G_N_ELEMENTS (shortcut_cases); i++)
    for (guint j = 0; j < G_N_ELEMENTS (shortcut_cases); j++)
      assert_same_equality (shortcut_cases[i], shortcut_cases[j]);

  /* The shortcut is taken where it should be, and only there. */
  g_assert_true (_talk_xmpp_jid_takes_ascii_shortcut ("Juliet@EXAMPLE.com./Balcony"));
  g_assert_true (_talk_xmpp_jid_takes_ascii_shortcut ("example.com"));
  g_assert_true (_talk_xmpp_jid_takes_ascii_shortcut (long_local));
  g_assert_true (_talk_xmpp_jid_takes_ascii_shortcut (at_255));
  g_assert_false (_talk_xmpp_jid_takes_ascii_shortcut (at_256));
  g_assert_false (_talk_xmpp_jid_takes_ascii_shortcut ("caf\xc3\xa9@example.com"));
  g_assert_false (_talk_xmpp_jid_takes_ascii_shortcut ("a@example.com/caf\xc3\xa9"));
  g_assert_false (_talk_xmpp_jid_takes_ascii_shortcut ("a@XN--CAF-DMA.example"));
  g_assert_false (_talk_xmpp_jid_takes_ascii_shortcut ("a@127.0.0.1"));
  g_assert_false (_talk_xmpp_jid_takes_ascii_shortcut ("a@[::1]"));
  g_assert_false (_talk_xmpp_jid_takes_ascii_shortcut ("a<b@c"));
  g_assert_false (_talk_xmpp_jid_takes_ascii_shortcut ("a@b/\x7f"));
}

/* Every string of up to four symbols from an alphabet of the characters
 * that matter to either path. */
static void
test_ascii_shortcut_exhaustive (void)
{
  static const char * const symbols[] = {
    "a", "Z", "0", ".", "-", "_", "@", "/", " ", ":", "x", "n", "\x7f", "\xc3\xa9", "[",
  };
  const guint n = G_N_ELEMENTS (symbols);
  guint taken = 0;
  guint valid = 0;

  for (guint length = 1; length <= 4; length++)
    {
      guint total = 1;

      for (guint i = 0; i < length; i++)
        total *= n;
      for (guint k = 0; k < total; k++)
        {
          char str[4 * 2 + 1] = "";
          g_autoptr(TalkXmppJid) jid = NULL;

          for (guint i = 0, rest = k; i < length; i++, rest /= n)
            g_strlcat (str, symbols[rest % n], sizeof str);
          assert_same_jid (str);
          taken += _talk_xmpp_jid_takes_ascii_shortcut (str);
          jid = talk_xmpp_jid_new (str, NULL);
          valid += jid != NULL;
        }
    }

  /* Both paths were exercised, not one of them only. */
  g_assert_cmpuint (taken, >, 1000);
  g_assert_cmpuint (valid, >, taken);
}

/* Random addresses built from parts that look like real ones. */
static void
test_ascii_shortcut_random (void)
{
  static const char * const pieces[] = {
    "a", "B", "z9", "Juliet", "-", "_", ".", "..", "xn--", "XN--caf-dma", "xn--caf-dma",
    "0", "127", "1", " ", "\t", "\"", "&", "'", ":", "<", ">", "~", "!", "%", "\\",
    "\x7f", "\xc3\xa9", "\xc3\x89", "\xef\xbd\x8a", "\xe2\x80\x8b", "\xc3\x9f", "e\xcc\x81",
    "[", "]", "::1",
  };
  g_autoptr(GRand) rand = g_rand_new_with_seed (7622);
  guint taken = 0;

  for (guint i = 0; i < 20000; i++)
    {
      g_autoptr(GString) str = g_string_new (NULL);
      guint parts = g_rand_int_range (rand, 1, 4);

      for (guint part = 0; part < parts; part++)
        {
          guint n_pieces = g_rand_int_range (rand, 0, 5);

          if (part > 0)
            g_string_append_c (str, g_rand_boolean (rand) ? '@' : '/');
          for (guint j = 0; j < n_pieces; j++)
            g_string_append (str, pieces[g_rand_int_range (rand, 0, G_N_ELEMENTS (pieces))]);
        }
      assert_same_jid (str->str);
      taken += _talk_xmpp_jid_takes_ascii_shortcut (str->str);
    }

  g_assert_cmpuint (taken, >, 400);
}

/* talk_xmpp_jid_new_from_parts() takes the shortcut per part. */
static void
test_ascii_shortcut_from_parts (void)
{
  static const char * const cases[][3] = {
    { "Juliet", "EXAMPLE.com.", "Balcony" },
    { NULL, "Example.COM", NULL },
    { "a/b", "example.com", NULL },
    { "a", "exa@mple", NULL },
    { "a", "example.com", "x/y@z" },
    { "a", "xn--caf-dma.example", NULL },
    { "a", "127.0.0.1", NULL },
    { "caf\xc3\xa9", "example.com", "r" },
    { "a b", "example.com", NULL },
    { "a", "example.com", "\x7f" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(TalkXmppJid) jid = talk_xmpp_jid_new_from_parts (cases[i][0], cases[i][1],
                                                                 cases[i][2], &error);
      g_autofree char *joined = g_strdup_printf ("%s%s%s%s%s",
                                                 cases[i][0] != NULL ? cases[i][0] : "",
                                                 cases[i][0] != NULL ? "@" : "",
                                                 cases[i][1],
                                                 cases[i][2] != NULL ? "/" : "",
                                                 cases[i][2] != NULL ? cases[i][2] : "");
      g_autoptr(TalkXmppJid) full = _talk_xmpp_jid_new_full (joined, NULL);

      /* "a/b" and "exa@mple" split differently once joined: both invalid
       * as parts, whatever the joined string means. */
      if (i == 2 || i == 3)
        {
          g_assert_null (jid);
          g_assert_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_INVALID_JID);
          continue;
        }
      g_assert_cmpint (jid == NULL, ==, full == NULL);
      if (full != NULL)
        g_assert_cmpstr (talk_xmpp_jid_to_string (jid), ==, talk_xmpp_jid_to_string (full));
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/talk/xmpp/jid/parts", test_parts);
  g_test_add_func ("/talk/xmpp/jid/casefold", test_casefold);
  g_test_add_func ("/talk/xmpp/jid/idna", test_idna);
  g_test_add_func ("/talk/xmpp/jid/nfc", test_nfc);
  g_test_add_func ("/talk/xmpp/jid/width-mapping", test_width_mapping);
  g_test_add_func ("/talk/xmpp/jid/trailing-dot", test_trailing_dot);
  g_test_add_func ("/talk/xmpp/jid/separators-in-resource", test_separators_in_resource);
  g_test_add_func ("/talk/xmpp/jid/empty-parts", test_empty_parts);
  g_test_add_func ("/talk/xmpp/jid/lengths", test_lengths);
  g_test_add_func ("/talk/xmpp/jid/forbidden-localpart", test_forbidden_localpart);
  g_test_add_func ("/talk/xmpp/jid/spaces", test_spaces);
  g_test_add_func ("/talk/xmpp/jid/controls", test_controls);
  g_test_add_func ("/talk/xmpp/jid/invalid-utf8", test_invalid_utf8);
  g_test_add_func ("/talk/xmpp/jid/ip-literals", test_ip_literals);
  g_test_add_func ("/talk/xmpp/jid/equality", test_equality);
  g_test_add_func ("/talk/xmpp/jid/hash", test_hash);
  g_test_add_func ("/talk/xmpp/jid/dup-bare", test_dup_bare);
  g_test_add_func ("/talk/xmpp/jid/dup-with-resource", test_dup_with_resource);
  g_test_add_func ("/talk/xmpp/jid/string-equal", test_string_equal);
  g_test_add_func ("/talk/xmpp/jid/from-parts", test_from_parts);
  g_test_add_func ("/talk/xmpp/jid/error-messages", test_error_messages);
  g_test_add_func ("/talk/xmpp/jid/boxed", test_boxed);
  g_test_add_func ("/talk/xmpp/jid/ascii-shortcut/cases", test_ascii_shortcut_cases);
  g_test_add_func ("/talk/xmpp/jid/ascii-shortcut/exhaustive", test_ascii_shortcut_exhaustive);
  g_test_add_func ("/talk/xmpp/jid/ascii-shortcut/random", test_ascii_shortcut_random);
  g_test_add_func ("/talk/xmpp/jid/ascii-shortcut/from-parts", test_ascii_shortcut_from_parts);

  return g_test_run ();
}
