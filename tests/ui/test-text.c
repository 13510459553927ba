/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * TalkMessageText: what a label shows for a message body. Markup-looking
 * bodies stay text, styles become attributes at the right byte offsets (read
 * back through a PangoAttrIterator), links, "/me", directional isolation,
 * shortening of huge bodies, and invalid UTF-8. No display needed.
 */

#include "config.h"

#include <string.h>

#include "talk-message-text.h"

#define FSI "\xe2\x81\xa8"
#define PDI "\xe2\x81\xa9"
#define WJ  "\xe2\x81\xa0"
#define RLO "\xe2\x80\xae"
#define RLI "\xe2\x81\xa7"

/* Every attribute lies inside the text, on character boundaries. */
static void
check_attributes_in_bounds (TalkMessageText *text)
{
  const char *display = talk_message_text_get_text (text);
  gsize length = strlen (display);
  GSList *attrs = pango_attr_list_get_attributes (talk_message_text_get_attributes (text));

  g_assert_true (g_utf8_validate (display, -1, NULL));
  for (GSList *l = attrs; l != NULL; l = l->next)
    {
      PangoAttribute *attr = l->data;

      g_assert_cmpuint (attr->start_index, <, attr->end_index);
      g_assert_cmpuint (attr->end_index, <=, length);
      g_assert_true (g_utf8_validate_len (display + attr->start_index,
                                          attr->end_index - attr->start_index, NULL));
    }
  g_slist_free_full (attrs, (GDestroyNotify) pango_attribute_destroy);
}

/* The attribute of @type in effect at byte @index, as a label's layout sees
 * it through the iterator; a copy, or NULL. */
static PangoAttribute *
attr_at (TalkMessageText *text,
         PangoAttrType    type,
         guint            index)
{
  PangoAttrIterator *iter = pango_attr_list_get_iterator (talk_message_text_get_attributes (text));
  PangoAttribute *found = NULL;

  do
    {
      int start, end;

      pango_attr_iterator_range (iter, &start, &end);
      if ((guint) start <= index && index < (guint) end)
        {
          PangoAttribute *attr = pango_attr_iterator_get (iter, type);

          if (attr != NULL)
            found = pango_attribute_copy (attr);
          break;
        }
    }
  while (pango_attr_iterator_next (iter));
  pango_attr_iterator_destroy (iter);

  return found;
}

/* An attribute of @type covers exactly [@start, @end) and has @value (for
 * integer attributes; -1 to not check). */
static void
assert_attr (TalkMessageText *text,
             PangoAttrType    type,
             guint            start,
             guint            end,
             int              value)
{
  PangoAttribute *attr = attr_at (text, type, start);

  if (attr == NULL)
    g_error ("no attribute %d at %u in \"%s\"", type, start, talk_message_text_get_text (text));
  g_assert_cmpuint (attr->start_index, ==, start);
  g_assert_cmpuint (attr->end_index, ==, end);
  if (value >= 0)
    g_assert_cmpint (((PangoAttrInt *) attr)->value, ==, value);
  pango_attribute_destroy (attr);
}

static void
assert_no_attr (TalkMessageText *text,
                PangoAttrType    type,
                guint            index)
{
  PangoAttribute *attr = attr_at (text, type, index);

  if (attr != NULL)
    g_error ("attribute %d at %u in \"%s\"", type, index, talk_message_text_get_text (text));
}

static guint
count_attributes (TalkMessageText *text)
{
  GSList *attrs = pango_attr_list_get_attributes (talk_message_text_get_attributes (text));
  guint n = g_slist_length (attrs);

  g_slist_free_full (attrs, (GDestroyNotify) pango_attribute_destroy);
  return n;
}

/* @display with every bidirectional paragraph separator (UAX #9 class B;
 * CR LF counts as one) replaced by a line feed. */
static char *
normalize_separators (const char *display)
{
  GString *out = g_string_new (NULL);
  const char *p = display;

  while (*p != '\0')
    {
      if (g_str_has_prefix (p, "\r\n") || g_str_has_prefix (p, "\xc2\x85"))
        p += 2;
      else if (g_str_has_prefix (p, "\xe2\x80\xa9"))
        p += 3;
      else if (*p == '\r' || *p == '\n' || (*p >= 0x1C && *p <= 0x1E))
        p++;
      else
        {
          g_string_append_c (out, *p++);
          continue;
        }
      g_string_append_c (out, '\n');
    }

  return g_string_free (out, FALSE);
}

/* UAX #9 BD9 on each paragraph of @display: it starts with an isolate
 * initiator whose matching PDI is its last character. */
static void
assert_lines_isolated (const char *display)
{
  g_autofree char *normalized = normalize_separators (display);
  g_auto(GStrv) lines = g_strsplit (normalized, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *line = lines[i];
      gsize length = strlen (line);
      guint depth = 0;

      g_assert_true (g_str_has_prefix (line, FSI));
      for (const char *p = line; p < line + length; p = g_utf8_next_char (p))
        {
          gunichar c = g_utf8_get_char (p);

          if (c >= 0x2066 && c <= 0x2068)
            depth++;
          else if (c == 0x2069 && depth > 0)
            {
              depth--;
              /* Our FSI is closed only by the line's last character. */
              if (depth == 0)
                g_assert_true (g_utf8_next_char (p) == line + length);
            }
        }
      g_assert_cmpuint (depth, ==, 0);
    }
}

static void
test_markup_is_text (void)
{
  const char *bodies[] = {
    "<b>hi</b>",
    "&amp;lt;",
    "<span foreground=\"red\" size=\"xx-large\">red</span>",
    "%s%n%x%%",
    "<i>*</i> &#x202E; <a href=\"#\">x</a>",
    "\\*not\\* strong",
    "",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      g_autoptr(TalkMessageText) text = talk_message_text_new (bodies[i], NULL);
      guint n_links;

      g_assert_cmpstr (talk_message_text_get_text (text), ==, bodies[i]);
      g_assert_cmpstr (talk_message_text_get_full_text (text), ==, bodies[i]);
      g_assert_cmpuint (count_attributes (text), ==, 0);
      talk_message_text_get_links (text, &n_links);
      g_assert_cmpuint (n_links, ==, 0);
      g_assert_false (talk_message_text_get_isolated (text));
      g_assert_false (talk_message_text_get_shortened (text));
      g_assert_null (talk_message_text_dup_shortened_notice (text));
    }
}

static void
test_styles (void)
{
  /*                     0         1
   *                     0123456789012345 */
  const char *body = "*b* _i_ ~s~ `m`";
  g_autoptr(TalkMessageText) text = talk_message_text_new (body, NULL);
  PangoAttribute *family;

  /* The directives stay, dimmed, inside their span's style. */
  g_assert_cmpstr (talk_message_text_get_text (text), ==, body);
  check_attributes_in_bounds (text);

  assert_attr (text, PANGO_ATTR_WEIGHT, 0, 3, PANGO_WEIGHT_BOLD);
  assert_attr (text, PANGO_ATTR_STYLE, 4, 7, PANGO_STYLE_ITALIC);
  assert_attr (text, PANGO_ATTR_STRIKETHROUGH, 8, 11, TRUE);
  assert_attr (text, PANGO_ATTR_FAMILY, 12, 15, -1);
  family = attr_at (text, PANGO_ATTR_FAMILY, 13);
  g_assert_cmpstr (((PangoAttrString *) family)->value, ==, "monospace");
  pango_attribute_destroy (family);

  for (guint i = 0; i < 4; i++)
    {
      assert_attr (text, PANGO_ATTR_FOREGROUND_ALPHA, 4 * i, 4 * i + 1, -1);
      assert_attr (text, PANGO_ATTR_FOREGROUND_ALPHA, 4 * i + 2, 4 * i + 3, -1);
      assert_no_attr (text, PANGO_ATTR_FOREGROUND_ALPHA, 4 * i + 1);
    }
  assert_no_attr (text, PANGO_ATTR_WEIGHT, 3);
  assert_no_attr (text, PANGO_ATTR_STYLE, 3);
  assert_no_attr (text, PANGO_ATTR_STYLE, 8);

  /* Nested: bold and italic together. */
  {
    g_autoptr(TalkMessageText) nested = talk_message_text_new ("*strong _emphasis_*", NULL);

    assert_attr (nested, PANGO_ATTR_WEIGHT, 0, 19, PANGO_WEIGHT_BOLD);
    assert_attr (nested, PANGO_ATTR_STYLE, 8, 18, PANGO_STYLE_ITALIC);
    g_assert_nonnull (attr_at (nested, PANGO_ATTR_WEIGHT, 10));
  }
}

static void
test_blocks (void)
{
  /*                   0    5    1    1    2
   *                             0    5    0 */
  const char *body = "> ```\n> code *x*\n> ```\nafter";
  g_autoptr(TalkMessageText) text = talk_message_text_new (body, NULL);
  guint quote_alpha, directive_alpha;
  PangoAttribute *attr;

  g_assert_cmpstr (talk_message_text_get_text (text), ==, body);
  check_attributes_in_bounds (text);

  /* The quotation, dimmed, with its prefix as a dimmer, bolder mark. */
  attr = attr_at (text, PANGO_ATTR_FOREGROUND_ALPHA, 8);
  g_assert_cmpuint (attr->start_index, ==, 0);
  g_assert_cmpuint (attr->end_index, ==, 22);
  quote_alpha = ((PangoAttrInt *) attr)->value;
  pango_attribute_destroy (attr);

  attr = attr_at (text, PANGO_ATTR_FOREGROUND_ALPHA, 6);
  g_assert_cmpuint (attr->start_index, ==, 6);
  g_assert_cmpuint (attr->end_index, ==, 8);
  directive_alpha = ((PangoAttrInt *) attr)->value;
  pango_attribute_destroy (attr);
  g_assert_cmpuint (directive_alpha, <, quote_alpha);
  assert_attr (text, PANGO_ATTR_WEIGHT, 0, 2, PANGO_WEIGHT_BOLD);

  /* The preformatted block: monospace from its fence to its closing fence,
   * with no styling inside. */
  attr = attr_at (text, PANGO_ATTR_FAMILY, 8);
  g_assert_cmpuint (attr->start_index, ==, 2);
  g_assert_cmpuint (attr->end_index, ==, 22);
  pango_attribute_destroy (attr);
  assert_no_attr (text, PANGO_ATTR_WEIGHT, 14);

  /* And nothing after the quotation. */
  assert_no_attr (text, PANGO_ATTR_FAMILY, 24);
  assert_no_attr (text, PANGO_ATTR_FOREGROUND_ALPHA, 24);
}

static void
test_links (void)
{
  /*                   0     6                    27 */
  const char *body = "go to https://example.org/x. now";
  g_autoptr(TalkMessageText) text = talk_message_text_new (body, NULL);
  const TalkMessageTextLink *links;
  guint n_links;
  PangoAttribute *attr;

  g_assert_cmpstr (talk_message_text_get_text (text), ==, body);
  links = talk_message_text_get_links (text, &n_links);
  g_assert_cmpuint (n_links, ==, 1);
  g_assert_cmpuint (links[0].start, ==, 6);
  g_assert_cmpuint (links[0].end, ==, 27);
  g_assert_cmpstr (links[0].uri, ==, "https://example.org/x");

  assert_attr (text, PANGO_ATTR_UNDERLINE, 6, 27, PANGO_UNDERLINE_SINGLE);
  attr = attr_at (text, PANGO_ATTR_FOREGROUND, 6);
  g_assert_nonnull (attr);
  g_assert_cmpuint (attr->end_index, ==, 27);
  pango_attribute_destroy (attr);
  assert_no_attr (text, PANGO_ATTR_UNDERLINE, 27);

  g_assert_null (talk_message_text_lookup_link (text, -1));
  g_assert_null (talk_message_text_lookup_link (text, 5));
  g_assert_cmpstr (talk_message_text_lookup_link (text, 6), ==, "https://example.org/x");
  g_assert_cmpstr (talk_message_text_lookup_link (text, 26), ==, "https://example.org/x");
  g_assert_null (talk_message_text_lookup_link (text, 27));
  g_assert_null (talk_message_text_lookup_link (text, 1000));

  {
    g_autoptr(TalkMessageText) many = talk_message_text_new (
      "a http://a.example b xmpp:c@d.example e mailto:f@g.example", NULL);

    talk_message_text_get_links (many, &n_links);
    g_assert_cmpuint (n_links, ==, 3);
    g_assert_null (talk_message_text_lookup_link (many, 0));
    g_assert_cmpstr (talk_message_text_lookup_link (many, 2), ==, "http://a.example");
    g_assert_null (talk_message_text_lookup_link (many, 18));
    g_assert_cmpstr (talk_message_text_lookup_link (many, 25), ==, "xmpp:c@d.example");
    g_assert_null (talk_message_text_lookup_link (many, 38));
    g_assert_cmpstr (talk_message_text_lookup_link (many, 40), ==, "mailto:f@g.example");
  }
}

static void
test_me (void)
{
  g_autoptr(TalkMessageText) text = talk_message_text_new ("/me waves *hard*", "Alice");
  const char *display = talk_message_text_get_text (text);

  /*                        0       8     14    20 */
  g_assert_cmpstr (display, ==, "* Alice waves *hard*");
  g_assert_true (talk_message_text_get_is_me (text));
  g_assert_cmpstr (talk_message_text_get_full_text (text), ==, "/me waves *hard*");
  check_attributes_in_bounds (text);
  assert_attr (text, PANGO_ATTR_STYLE, 0, strlen (display), PANGO_STYLE_ITALIC);
  assert_attr (text, PANGO_ATTR_WEIGHT, 14, 20, PANGO_WEIGHT_BOLD);
  assert_attr (text, PANGO_ATTR_FOREGROUND_ALPHA, 14, 15, -1);

  /* Without a name, or without the space, it is an ordinary body. */
  {
    g_autoptr(TalkMessageText) nameless = talk_message_text_new ("/me waves", NULL);
    g_autoptr(TalkMessageText) no_space = talk_message_text_new ("/mewaves", "Alice");

    g_assert_cmpstr (talk_message_text_get_text (nameless), ==, "/me waves");
    g_assert_false (talk_message_text_get_is_me (nameless));
    g_assert_cmpuint (count_attributes (nameless), ==, 0);
    g_assert_cmpstr (talk_message_text_get_text (no_space), ==, "/mewaves");
    g_assert_false (talk_message_text_get_is_me (no_space));
  }

  /* The name is network text too: one line, isolated if it needs it. */
  {
    g_autoptr(TalkMessageText) tricky = talk_message_text_new ("/me waves", "Eve\n" RLO "\xff");

    g_assert_cmpstr (talk_message_text_get_text (tricky), ==,
                     "* " FSI "Eve " RLO "\xef\xbf\xbd" PDI " waves");
  }
  {
    g_autoptr(TalkMessageText) markup = talk_message_text_new ("/me <b>waves</b>", "<i>Bob</i>");

    g_assert_cmpstr (talk_message_text_get_text (markup), ==, "* <i>Bob</i> <b>waves</b>");
    g_assert_cmpuint (count_attributes (markup), ==, 1);
  }
  {
    g_autoptr(TalkMessageText) rtl = talk_message_text_new ("/me " RLO " *waves*", "Bob");
    const char *expected = "* Bob " FSI RLO " *waves*" PDI;

    g_assert_cmpstr (talk_message_text_get_text (rtl), ==, expected);
    g_assert_true (talk_message_text_get_isolated (rtl));
    assert_attr (rtl, PANGO_ATTR_STYLE, 0, strlen (expected), PANGO_STYLE_ITALIC);
    assert_attr (rtl, PANGO_ATTR_WEIGHT, 13, 20, PANGO_WEIGHT_BOLD);
  }
}

static void
test_bidi_isolation (void)
{
  const struct
  {
    const char *body;
    const char *display;
  } cases[] = {
    { "abc " RLO "evil\nline2", FSI "abc " RLO "evil" PDI "\n" FSI "line2" PDI },
    /* A stray PDI would close our isolate. */
    { PDI RLO "x", FSI WJ RLO "x" PDI },
    /* Isolates the body opened and left open are closed before ours. */
    { RLI "x", FSI RLI "x" PDI PDI },
    { RLI RLI "x" PDI, FSI RLI RLI "x" PDI PDI PDI },
    { RLI "x" PDI "y" PDI, FSI RLI "x" PDI "y" WJ PDI },
    { RLO "a\r\nb", FSI RLO "a" PDI "\r\n" FSI "b" PDI },
    { RLO "a\xe2\x80\xa9" "b", FSI RLO "a" PDI "\xe2\x80\xa9" FSI "b" PDI },
    { RLO "\n\n", FSI RLO PDI "\n" FSI PDI "\n" FSI PDI },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(TalkMessageText) text = talk_message_text_new (cases[i].body, NULL);

      g_assert_true (talk_message_text_get_isolated (text));
      g_assert_cmpstr (talk_message_text_get_text (text), ==, cases[i].display);
      g_assert_cmpstr (talk_message_text_get_full_text (text), ==, cases[i].body);
      assert_lines_isolated (talk_message_text_get_text (text));
      check_attributes_in_bounds (text);
    }

  /* Attributes and links move with the inserted isolates. */
  {
    /* FSI at 0, "*a*" at 3, RLO, x, PDI, newline at 14, FSI, "_b_" at 18,
     * the link at 22. */
    g_autoptr(TalkMessageText) text = talk_message_text_new ("*a* " RLO "x\n_b_ http://c.example", NULL);

    g_assert_cmpstr (talk_message_text_get_text (text), ==,
                     FSI "*a* " RLO "x" PDI "\n" FSI "_b_ http://c.example" PDI);
    assert_attr (text, PANGO_ATTR_WEIGHT, 3, 6, PANGO_WEIGHT_BOLD);
    assert_attr (text, PANGO_ATTR_STYLE, 18, 21, PANGO_STYLE_ITALIC);
    assert_attr (text, PANGO_ATTR_UNDERLINE, 22, 38, PANGO_UNDERLINE_SINGLE);
    g_assert_null (talk_message_text_lookup_link (text, 21));
    g_assert_cmpstr (talk_message_text_lookup_link (text, 22), ==, "http://c.example");
    g_assert_null (talk_message_text_lookup_link (text, 38));
  }

  /* Random mixtures of controls, separators and letters. */
  for (guint round = 0; round < 2000; round++)
    {
      static const char * const alphabet[] = {
        RLO, RLI, PDI, FSI, "\xe2\x80\xaa", "\xe2\x80\xac", "\n", "\r", "a", "*", " ",
        "\xe2\x80\xa9", "\xc2\x85",
      };
      g_autoptr(GString) body = g_string_new (NULL);
      g_autoptr(TalkMessageText) text = NULL;
      guint length = g_test_rand_int_range (1, 30);

      for (guint i = 0; i < length; i++)
        g_string_append (body, alphabet[g_test_rand_int_range (0, G_N_ELEMENTS (alphabet))]);

      text = talk_message_text_new (body->str, NULL);
      check_attributes_in_bounds (text);
      if (talk_message_text_get_isolated (text))
        assert_lines_isolated (talk_message_text_get_text (text));
    }
}

static void
test_shortened (void)
{
  const gsize size = 10 * 1024 * 1024;
  g_autoptr(GString) body = g_string_sized_new (size);
  g_autoptr(TalkMessageText) text = NULL;
  g_autofree char *notice = NULL;
  const char *display;

  /* Two-byte characters, styled text, links and a direction control. */
  while (body->len < size)
    g_string_append (body, "\xc3\xa9 *b* _i_ https://example.org/\xc3\xa9 " RLO "\n");

  text = talk_message_text_new_full (body->str, body->len, NULL, 0);
  display = talk_message_text_get_text (text);
  g_assert_true (talk_message_text_get_shortened (text));
  g_assert_true (talk_message_text_get_isolated (text));
  g_assert_cmpuint (talk_message_text_get_full_length (text), ==, body->len);
  g_assert_cmpmem (talk_message_text_get_full_text (text), body->len, body->str, body->len);
  /* The cut is at the limit; the isolates add a little per line. */
  g_assert_cmpuint (strlen (display), >, TALK_MESSAGE_TEXT_DEFAULT_MAX_LENGTH);
  g_assert_cmpuint (strlen (display), <, 2 * TALK_MESSAGE_TEXT_DEFAULT_MAX_LENGTH);
  check_attributes_in_bounds (text);
  assert_lines_isolated (display);

  notice = talk_message_text_dup_shortened_notice (text);
  g_assert_nonnull (notice);
  g_test_message ("%s", notice);

  /* A cut in the middle of a character moves back to its start. */
  for (gsize max = 1; max <= 8; max++)
    {
      static const gsize shown_length[] = { 0, 0, 2, 2, 4, 4, 4, 7, 7 };
      g_autoptr(TalkMessageText) small = talk_message_text_new_full ("\xc3\xa9\xc3\xa9\xe2\x82\xac",
                                                                     -1, NULL, max);
      const char *shown = talk_message_text_get_text (small);

      g_assert_true (g_utf8_validate (shown, -1, NULL));
      g_assert_cmpuint (strlen (shown), ==, shown_length[max]);
      g_assert_cmpint (talk_message_text_get_shortened (small), ==, max < 7);
    }

  /* At the limit exactly, nothing is cut. */
  {
    g_autoptr(TalkMessageText) exact = talk_message_text_new_full ("abc", 3, NULL, 3);

    g_assert_false (talk_message_text_get_shortened (exact));
    g_assert_cmpstr (talk_message_text_get_text (exact), ==, "abc");
  }
}

static void
test_invalid_utf8 (void)
{
  static const char body[] = "a\xff" "b *c* \xc3\x28\0 _d_";
  g_autoptr(TalkMessageText) text = talk_message_text_new_full (body, sizeof body - 1, NULL, 0);
  const char *expected = "a\xef\xbf\xbd" "b *c* \xef\xbf\xbd(\xef\xbf\xbd _d_";

  g_assert_cmpstr (talk_message_text_get_text (text), ==, expected);
  g_assert_cmpstr (talk_message_text_get_full_text (text), ==, expected);
  check_attributes_in_bounds (text);
  assert_attr (text, PANGO_ATTR_WEIGHT, 6, 9, PANGO_WEIGHT_BOLD);
  assert_attr (text, PANGO_ATTR_STYLE, 18, 21, PANGO_STYLE_ITALIC);

  /* Cut inside a repaired sequence: still whole characters. */
  {
    g_autoptr(TalkMessageText) cut = talk_message_text_new_full ("\xff\xff\xff", -1, NULL, 4);

    g_assert_cmpstr (talk_message_text_get_text (cut), ==, "\xef\xbf\xbd");
    g_assert_true (talk_message_text_get_shortened (cut));
  }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/talk/ui/text/markup-is-text", test_markup_is_text);
  g_test_add_func ("/talk/ui/text/styles", test_styles);
  g_test_add_func ("/talk/ui/text/blocks", test_blocks);
  g_test_add_func ("/talk/ui/text/links", test_links);
  g_test_add_func ("/talk/ui/text/me", test_me);
  g_test_add_func ("/talk/ui/text/bidi-isolation", test_bidi_isolation);
  g_test_add_func ("/talk/ui/text/shortened", test_shortened);
  g_test_add_func ("/talk/ui/text/invalid-utf8", test_invalid_utf8);

  return g_test_run ();
}
