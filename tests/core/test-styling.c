/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * TalkStyling: XEP-0393 blocks and spans, links, XEP-0245 "/me", direction
 * controls, invalid UTF-8, and bodies built to make a naive parser
 * quadratic.
 *
 * Most cases compare a rendering of the spans with brackets: "[S" opens a
 * strong span and "]" closes it (E emphasis, X strike through, P
 * preformatted span, B preformatted block, Qn quotation of depth n, L link),
 * and a second rendering marks only the directives with "{" and "}".
 */

#include "config.h"

#include <string.h>

#include "talk-styling.h"

static const char *
kind_tag (const TalkStylingSpan *span)
{
  switch (span->kind)
    {
    case TALK_STYLING_STRONG:
      return "S";
    case TALK_STYLING_EMPHASIS:
      return "E";
    case TALK_STYLING_STRIKE:
      return "X";
    case TALK_STYLING_PRE:
      return "P";
    case TALK_STYLING_PRE_BLOCK:
      return "B";
    case TALK_STYLING_QUOTE:
      return "Q";
    case TALK_STYLING_DIRECTIVE:
      return "";
    case TALK_STYLING_LINK:
      return "L";
    default:
      g_assert_not_reached ();
    }
}

/* Checks what every parse must satisfy, whatever the input. */
static void
check_invariants (TalkStyling *styling)
{
  gsize length;
  const char *text = talk_styling_get_text (styling, &length);
  guint n_spans;
  const TalkStylingSpan *spans = talk_styling_get_spans (styling, &n_spans);

  g_assert_true (g_utf8_validate_len (text, length, NULL));
  g_assert_cmpuint (strlen (text), ==, length);

  for (guint i = 0; i < n_spans; i++)
    {
      const TalkStylingSpan *span = &spans[i];

      g_assert_cmpuint (span->start, <, span->end);
      g_assert_cmpuint (span->end, <=, length);
      /* On character boundaries. */
      g_assert_true (g_utf8_validate_len (text + span->start, span->end - span->start, NULL));
      if (i > 0)
        {
          g_assert_cmpuint (spans[i - 1].start, <=, span->start);
          if (spans[i - 1].start == span->start)
            g_assert_cmpuint (spans[i - 1].end, >=, span->end);
        }

      switch (span->kind)
        {
        case TALK_STYLING_STRONG:
        case TALK_STYLING_EMPHASIS:
        case TALK_STYLING_STRIKE:
        case TALK_STYLING_PRE:
          /* Within one line, some text between two directives. */
          g_assert_cmpuint (span->end - span->start, >=, 3);
          g_assert_null (memchr (text + span->start, '\n', span->end - span->start));
          g_assert_true (text[span->start] == text[span->end - 1]);
          g_assert_cmpint (span->owner, ==, span->kind);
          break;
        case TALK_STYLING_QUOTE:
          g_assert_cmpuint (span->depth, >=, 1);
          g_assert_cmpuint (span->depth, <=, TALK_STYLING_MAX_QUOTE_DEPTH);
          g_assert_cmpint (text[span->start], ==, '>');
          break;
        case TALK_STYLING_PRE_BLOCK:
          g_assert_true (g_str_has_prefix (text + span->start, "```"));
          break;
        case TALK_STYLING_LINK:
          g_assert_nonnull (span->uri);
          g_assert_cmpuint (strlen (span->uri), ==, span->end - span->start);
          g_assert_cmpint (memcmp (span->uri, text + span->start, span->end - span->start), ==, 0);
          break;
        case TALK_STYLING_DIRECTIVE:
          g_assert_cmpint (span->owner, !=, TALK_STYLING_DIRECTIVE);
          g_assert_cmpint (span->owner, !=, TALK_STYLING_LINK);
          break;
        default:
          g_assert_not_reached ();
        }
    }
}

/* The text with "[K" before and "]" after each span that is not a
 * directive (or, with @directives, "{" and "}" around each directive). */
static char *
render (TalkStyling *styling,
        gboolean     directives)
{
  gsize length;
  const char *text = talk_styling_get_text (styling, &length);
  guint n_spans;
  const TalkStylingSpan *spans = talk_styling_get_spans (styling, &n_spans);
  GString *out = g_string_new (NULL);

  for (gsize p = 0; p <= length; p++)
    {
      /* Inner spans close first: walk backwards, by start descending. */
      for (guint i = n_spans; i > 0; i--)
        {
          const TalkStylingSpan *span = &spans[i - 1];

          if (span->end == p && (span->kind == TALK_STYLING_DIRECTIVE) == directives)
            g_string_append (out, directives ? "}" : "]");
        }
      for (guint i = 0; i < n_spans; i++)
        {
          const TalkStylingSpan *span = &spans[i];

          if (span->start != p || (span->kind == TALK_STYLING_DIRECTIVE) != directives)
            continue;
          if (directives)
            g_string_append (out, "{");
          else if (span->kind == TALK_STYLING_QUOTE)
            g_string_append_printf (out, "[Q%u", span->depth);
          else
            g_string_append_printf (out, "[%s", kind_tag (span));
        }
      if (p < length)
        g_string_append_c (out, text[p]);
    }

  return g_string_free (out, FALSE);
}

static void
check_styles (const char *body,
              const char *expected)
{
  g_autoptr(TalkStyling) styling = talk_styling_parse (body, -1);
  g_autofree char *rendered = NULL;

  check_invariants (styling);
  rendered = render (styling, FALSE);
  g_assert_cmpstr (rendered, ==, expected);
}

static void
check_directives (const char *body,
                  const char *expected)
{
  g_autoptr(TalkStyling) styling = talk_styling_parse (body, -1);
  g_autofree char *rendered = NULL;

  check_invariants (styling);
  rendered = render (styling, TRUE);
  g_assert_cmpstr (rendered, ==, expected);
}

static void
check_unstyled (const char *body)
{
  g_autoptr(TalkStyling) styling = talk_styling_parse (body, -1);
  guint n_spans;

  talk_styling_get_spans (styling, &n_spans);
  g_assert_cmpuint (n_spans, ==, 0);
}

/* XEP-0393 §6.1.1 example: spans may not escape their block. */
static void
test_plain_blocks (void)
{
  check_unstyled ("(There are three blocks in this body marked by parens,)\n"
                  "(but there is no *formatting)\n"
                  "(as spans* may not escape blocks.)");
}

/* §6.1.2, first example. */
static void
test_pre_block (void)
{
  const char *body = "```ignored\n"
                     "(println \"Hello, world!\")\n"
                     "```\n"
                     "\n"
                     "This should show up as monospace, preformatted text ⤴";

  check_styles (body,
                "[B```ignored\n"
                "(println \"Hello, world!\")\n"
                "```]\n"
                "\n"
                "This should show up as monospace, preformatted text ⤴");
  check_directives (body,
                    "{```ignored}\n"
                    "(println \"Hello, world!\")\n"
                    "{```}\n"
                    "\n"
                    "This should show up as monospace, preformatted text ⤴");

  /* No styling inside; only a line of exactly three grave accents ends it,
   * else the end of the message does. */
  check_styles ("```\n*not strong*\n``` \n_still pre_",
                "[B```\n*not strong*\n``` \n_still pre_]");
  check_styles ("```\n*a*\n```\n*b*", "[B```\n*a*\n```]\n[S*b*]");
  check_styles ("```", "[B```]");
  /* A fence inside a line is no block. */
  check_unstyled ("a ```b```");
}

/* §6.1.2, second example: a block with no closing fence ends with its
 * parent quotation. */
static void
test_pre_block_in_quote (void)
{
  const char *body = "> ```\n"
                     "> (println \"Hello, world!\")\n"
                     "\n"
                     "The entire blockquote is a preformatted text block, but this line\n"
                     "is plaintext!";

  check_styles (body,
                "[Q1> [B```\n"
                "> (println \"Hello, world!\")]]\n"
                "\n"
                "The entire blockquote is a preformatted text block, but this line\n"
                "is plaintext!");
  check_directives (body,
                    "{> }{```}\n"
                    "{> }(println \"Hello, world!\")\n"
                    "\n"
                    "The entire blockquote is a preformatted text block, but this line\n"
                    "is plaintext!");

  /* Closed inside the quotation, which goes on with styled text; a deeper
   * '>' inside the block is its text. */
  check_styles ("> ```\n> *code*\n>> deeper\n> ```\n> *strong*\nplain",
                "[Q1> [B```\n> *code*\n>> deeper\n> ```]\n> [S*strong*]]\nplain");
}

/* §6.1.3 examples. */
static void
test_quote (void)
{
  check_styles ("> That that is, is.\n\nSaid the old hermit of Prague.",
                "[Q1> That that is, is.]\n\nSaid the old hermit of Prague.");
  check_directives ("> That that is, is.\n\nSaid the old hermit of Prague.",
                    "{> }That that is, is.\n\nSaid the old hermit of Prague.");

  check_styles (">> That that is, is.\n> Said the old hermit of Prague.\n\nWho?",
                "[Q1>[Q2> That that is, is.]\n> Said the old hermit of Prague.]\n\nWho?");
  check_directives (">> That that is, is.\n> Said the old hermit of Prague.\n\nWho?",
                    "{>> }That that is, is.\n{> }Said the old hermit of Prague.\n\nWho?");

  /* Quotations hold blocks: spans per line, a nested quotation in the
   * middle, and only the first whitespace character is trimmed. */
  check_styles ("> *a*\n>> _b_\n> ~c~", "[Q1> [S*a*]\n>[Q2> [E_b_]]\n> [X~c~]]");
  check_directives (">  *a*", "{> } {*}a{*}");
  check_directives (">\t*a*", "{>\t}{*}a{*}");
  check_styles ("> > nested", "[Q1> [Q2> nested]]");
  check_styles (">\n>", "[Q1>\n>]");
  /* '>' elsewhere is text. */
  check_unstyled ("a > b");
}

static void
test_quote_depth_limit (void)
{
  g_autoptr(GString) body = g_string_new (NULL);
  g_autoptr(TalkStyling) styling = NULL;
  const TalkStylingSpan *spans;
  guint n_spans, quotes = 0;

  for (guint i = 0; i < TALK_STYLING_MAX_QUOTE_DEPTH + 8; i++)
    g_string_append_c (body, '>');
  g_string_append (body, "*x*");

  styling = talk_styling_parse (body->str, body->len);
  check_invariants (styling);
  spans = talk_styling_get_spans (styling, &n_spans);
  for (guint i = 0; i < n_spans; i++)
    {
      if (spans[i].kind == TALK_STYLING_QUOTE)
        {
          quotes++;
          g_assert_cmpuint (spans[i].start, ==, spans[i].depth - 1);
        }
      /* The '>' past the limit are text, so "*x*" follows text, not the
       * start of the block. */
      g_assert_cmpint (spans[i].kind, !=, TALK_STYLING_STRONG);
    }
  g_assert_cmpuint (quotes, ==, TALK_STYLING_MAX_QUOTE_DEPTH);
}

/* §6.2: the spans the XEP lists as styled, and as not styled. */
static void
test_span_rules (void)
{
  check_styles ("*strong*", "[S*strong*]");
  check_directives ("*strong*", "{*}strong{*}");
  check_styles ("plain *strong* plain", "plain [S*strong*] plain");
  check_styles ("*strong* plain *strong*", "[S*strong*] plain [S*strong*]");
  check_styles ("*strong*plain*", "[S*strong*]plain*");
  check_styles ("* plain *strong*", "* plain [S*strong*]");

  check_unstyled ("not strong*");
  check_unstyled ("*not strong");
  check_unstyled ("*not \n strong*");
  check_unstyled ("*not *strong");
  check_unstyled ("**");
  check_unstyled ("***");
  check_unstyled ("****");
  check_unstyled ("a **b** c");
  check_unstyled ("* not strong*");
  check_unstyled ("*not strong *");
  check_unstyled ("word*not strong*");

  /* Nothing in the rules looks at what follows a closing directive: this
   * is "*strong*plain*" again, strong then plain. */
  check_styles ("*not strong*s", "[S*not strong*]s");

  /* Unicode whitespace counts: U+00A0 NO-BREAK SPACE and U+3000. */
  check_unstyled ("*\xc2\xa0not strong*");
  check_styles ("a\xe3\x80\x80*b*", "a\xe3\x80\x80[S*b*]");
  /* A span needs no whitespace around it at the end of the line or after
   * a quotation prefix. */
  check_styles ("> *strong*", "[Q1> [S*strong*]]");
}

/* §6.2.2–§6.2.5 examples. */
static void
test_span_kinds (void)
{
  check_styles ("The full title is _Twelfth Night, or What You Will_ but\n"
                "_most_ people shorten it.",
                "The full title is [E_Twelfth Night, or What You Will_] but\n"
                "[E_most_] people shorten it.");
  check_styles ("The full title is \"Twelfth Night, or What You Will\" but\n"
                "*most* people shorten it.",
                "The full title is \"Twelfth Night, or What You Will\" but\n"
                "[S*most*] people shorten it.");
  check_styles ("Everyone ~dis~likes cake.", "Everyone [X~dis~]likes cake.");
  check_styles ("This is `monospace`", "This is [P`monospace`]");
  check_styles ("This is `*monospace*`", "This is [P`*monospace*`]");
  check_styles ("This is *`monospace and bold`*", "This is [S*[P`monospace and bold`]*]");
  check_directives ("This is *`monospace and bold`*", "This is {*}{`}monospace and bold{`}{*}");
  check_styles ("Wow, I can write in `monospace`!", "Wow, I can write in [P`monospace`]!");
}

/* Nesting: children lie between their parent's directives. */
static void
test_span_nesting (void)
{
  /* §4, the glossary's span examples. */
  check_styles ("_emphasized span containing *strong span*_",
                "[E_emphasized span containing [S*strong span*]_]");
  check_styles ("span one *span two*", "span one [S*span two*]");

  check_styles ("*strong _emphasis_*", "[S*strong [E_emphasis_]*]");
  check_styles ("_*~all three~*_", "[E_[S*[X~all three~]*]_]");
  /* A preformatted span holds no children. */
  check_styles ("_no pre `with *children*`_", "[E_no pre [P`with *children*`]_]");
  /* Lazy: the first closing directive wins, and spans cannot overlap. */
  check_styles ("*this cannot _overlap*_", "[S*this cannot _overlap*]_");
  check_styles ("*a *b* c*", "[S*a *b*] c*");
  /* After a directive that opened nothing, no new span opens. */
  check_unstyled ("*_a_");
  check_styles ("*_a_ b*", "[S*[E_a_] b*]");
}

static void
test_links (void)
{
  const struct
  {
    const char *body;
    const char *expected;
  } cases[] = {
    { "see https://example.org/a.", "see [Lhttps://example.org/a]." },
    { "(see https://en.wikipedia.org/wiki/Foo_(bar)).",
      "(see [Lhttps://en.wikipedia.org/wiki/Foo_(bar)])." },
    { "https://example.org/a)b", "[Lhttps://example.org/a)b]" },
    { "[https://example.org/x]", "[[Lhttps://example.org/x]]" },
    { "https://example.org/p?q=1&r=2#frag!?", "[Lhttps://example.org/p?q=1&r=2#frag]!?" },
    { "mailto:juliet@example.com, xmpp:romeo@montague.lit?message;",
      "[Lmailto:juliet@example.com], [Lxmpp:romeo@montague.lit?message];" },
    { "<https://example.org>", "<[Lhttps://example.org]>" },
    { "\"http://example.org/\"", "\"[Lhttp://example.org/]\"" },
    { "HTTPS://EXAMPLE.ORG", "[LHTTPS://EXAMPLE.ORG]" },
    { "https://例え.jp/パス。", "[Lhttps://例え.jp/パス]。" },
    { "_https://example.org/x_", "[E_[Lhttps://example.org/x]_]" },
    { "`https://example.org/x`", "[P`[Lhttps://example.org/x]`]" },
    { "> https://example.org/q", "[Q1> [Lhttps://example.org/q]]" },
    { "https://a.example\nhttps://b.example", "[Lhttps://a.example]\n[Lhttps://b.example]" },
    { "foohttp://example.org http:// https://. mailto: xmpp:,",
      "foohttp://example.org http:// https://. mailto: xmpp:," },
    { "ftp://example.org javascript:alert(1)", "ftp://example.org javascript:alert(1)" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    check_styles (cases[i].body, cases[i].expected);

  /* A direction control ends a link: it could make the URI read as
   * something else. */
  {
    g_autoptr(TalkStyling) styling = talk_styling_parse ("https://example.org/\u202Egpj.exe", -1);
    guint n_spans;
    const TalkStylingSpan *spans = talk_styling_get_spans (styling, &n_spans);

    g_assert_cmpuint (n_spans, ==, 1);
    g_assert_cmpint (spans[0].kind, ==, TALK_STYLING_LINK);
    g_assert_cmpstr (spans[0].uri, ==, "https://example.org/");
  }
}

static void
test_me_command (void)
{
  g_assert_true (talk_styling_is_me_command ("/me waves"));
  g_assert_true (talk_styling_is_me_command ("/me "));
  g_assert_false (talk_styling_is_me_command ("/me"));
  g_assert_false (talk_styling_is_me_command ("/meow"));
  g_assert_false (talk_styling_is_me_command ("/ME waves"));
  g_assert_false (talk_styling_is_me_command (" /me waves"));
  g_assert_false (talk_styling_is_me_command ("/me\twaves"));
  g_assert_false (talk_styling_is_me_command (""));
  g_assert_false (talk_styling_is_me_command (NULL));
}

static void
test_bidi_controls (void)
{
  const gunichar controls[] = {
    0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069,
  };

  for (guint i = 0; i < G_N_ELEMENTS (controls); i++)
    {
      char buf[16] = "ab";
      g_autoptr(TalkStyling) styling = NULL;

      g_unichar_to_utf8 (controls[i], buf + 2);
      g_assert_true (talk_styling_is_bidi_control (controls[i]));
      g_assert_true (talk_styling_text_has_bidi_controls (buf, -1));
      styling = talk_styling_parse (buf, -1);
      g_assert_true (talk_styling_get_has_bidi_controls (styling));
      /* The last byte cut off is no control. */
      g_assert_false (talk_styling_text_has_bidi_controls (buf, strlen (buf) - 1));
    }

  /* Right-to-left text and the implicit marks need no isolation. */
  g_assert_false (talk_styling_text_has_bidi_controls ("שלום עולם مرحبا", -1));
  g_assert_false (talk_styling_text_has_bidi_controls ("a\u200Eb\u200Fc\u061C", -1));
  g_assert_false (talk_styling_text_has_bidi_controls ("\u2029\u2064\u202F\u2060", -1));
  g_assert_false (talk_styling_text_has_bidi_controls ("", -1));
  g_assert_false (talk_styling_is_bidi_control (0x200F));
}

static void
test_invalid_utf8 (void)
{
  static const char body[] = "\xff *a* \xc3\x28 _b_ \0 ~c~ \xe2\x80";
  g_autoptr(TalkStyling) styling = talk_styling_parse (body, sizeof body - 1);
  g_autoptr(TalkStyling) valid = talk_styling_parse ("*a*", -1);
  g_autofree char *rendered = NULL;

  g_assert_true (talk_styling_get_repaired (styling));
  g_assert_false (talk_styling_get_repaired (valid));
  check_invariants (styling);
  rendered = render (styling, FALSE);
  /* Each bad byte, and the NUL, became U+FFFD; the spans are still found. */
  g_assert_cmpstr (rendered, ==,
                   "\uFFFD [S*a*] \uFFFD( [E_b_] \uFFFD [X~c~] \uFFFD\uFFFD");

  /* Truncated sequences at the very end. */
  for (guint cut = 1; cut <= 3; cut++)
    {
      g_autoptr(TalkStyling) truncated = talk_styling_parse ("*ok* \xf0\x9f\x98\x80", 9 - cut);

      g_assert_true (talk_styling_get_repaired (truncated));
      check_invariants (truncated);
    }

  {
    g_autoptr(TalkStyling) empty = talk_styling_parse (NULL, 0);
    guint n_spans;

    g_assert_cmpstr (talk_styling_get_text (empty, NULL), ==, "");
    talk_styling_get_spans (empty, &n_spans);
    g_assert_cmpuint (n_spans, ==, 0);
  }
}

/* The span rules done the obvious, quadratic way, to check the cursors. */
static gboolean
ref_is_space_at (const char *text,
                 gsize       p)
{
  gunichar c = g_utf8_get_char (text + p);

  return g_unichar_isspace (c);
}

static gboolean
ref_is_space_before (const char *text,
                     gsize       p)
{
  return g_unichar_isspace (g_utf8_get_char (g_utf8_prev_char (text + p)));
}

static void
ref_spans (const char *text,
           gsize       start,
           gsize       end,
           gsize       line_end,
           GString    *out)
{
  gsize p = start;

  while (p < end)
    {
      char c = text[p];

      if (c != '\0' && strchr ("*_~`", c) != NULL && p + 1 < end &&
          !ref_is_space_at (text, p + 1) && (p == start || ref_is_space_before (text, p)))
        {
          gsize j = p + 1;

          while (j < line_end && !(text[j] == c && !ref_is_space_before (text, j)))
            j++;
          if (j < end && j == p + 1)
            {
              p = j + 1;
              continue;
            }
          if (j < end)
            {
              g_string_append_printf (out, "%c%" G_GSIZE_FORMAT "-%" G_GSIZE_FORMAT " ",
                                      c, p, j + 1);
              if (c != '`')
                ref_spans (text, p + 1, j, line_end, out);
              p = j + 1;
              continue;
            }
        }
      p++;
    }
}

static void
test_random_lines (void)
{
  /* Directives, spaces (one of them U+00A0) and letters (one of them two
   * bytes long); no '>' or newline, so each string is one plain line. */
  static const char * const alphabet[] = { "*", "_", "~", "`", " ", "\xc2\xa0", "a", "\xc3\xa9" };

  for (guint round = 0; round < 20000; round++)
    {
      g_autoptr(GString) line = g_string_new (NULL);
      g_autoptr(GString) expected = g_string_new (NULL);
      g_autoptr(GString) got = g_string_new (NULL);
      g_autoptr(TalkStyling) styling = NULL;
      guint length = g_test_rand_int_range (1, 24);
      const TalkStylingSpan *spans;
      guint n_spans;

      for (guint i = 0; i < length; i++)
        g_string_append (line, alphabet[g_test_rand_int_range (0, G_N_ELEMENTS (alphabet))]);
      if (g_str_has_prefix (line->str, "```"))
        continue;

      ref_spans (line->str, 0, line->len, line->len, expected);

      styling = talk_styling_parse (line->str, line->len);
      check_invariants (styling);
      spans = talk_styling_get_spans (styling, &n_spans);
      for (guint i = 0; i < n_spans; i++)
        {
          if (spans[i].kind != TALK_STYLING_DIRECTIVE)
            g_string_append_printf (got, "%c%" G_GSIZE_FORMAT "-%" G_GSIZE_FORMAT " ",
                                    line->str[spans[i].start], spans[i].start, spans[i].end);
        }

      if (!g_str_equal (expected->str, got->str))
        g_test_message ("line \"%s\"", line->str);
      g_assert_cmpstr (got->str, ==, expected->str);
    }
}

/* One MiB of @unit repeated; the parse must finish (linear time), and its
 * result must be sane. Returns the number of spans. */
static guint
parse_repeated (const char *unit)
{
  const gsize size = 1024 * 1024;
  gsize unit_length = strlen (unit);
  g_autoptr(GString) body = g_string_sized_new (size + unit_length);
  g_autoptr(TalkStyling) styling = NULL;
  g_autoptr(GTimer) timer = g_timer_new ();
  guint n_spans;

  while (body->len < size)
    g_string_append_len (body, unit, unit_length);

  g_timer_start (timer);
  styling = talk_styling_parse (body->str, body->len);
  g_test_message ("%" G_GSIZE_FORMAT " bytes of \"%s\": %.3f s", body->len, unit,
                  g_timer_elapsed (timer, NULL));

  talk_styling_get_spans (styling, &n_spans);
  if (n_spans < 100000)
    check_invariants (styling);
  return n_spans;
}

static void
test_stress_directives (void)
{
  /* Nothing but directives: every pair is empty or cannot open. */
  g_assert_cmpuint (parse_repeated ("*_~`"), <=, 3);
  g_assert_cmpuint (parse_repeated ("*"), ==, 0);
  g_assert_cmpuint (parse_repeated (" `"), ==, 0);
  g_assert_cmpuint (parse_repeated (" ``"), ==, 0);
  /* At the start of a line, grave accents open a block with the whole line
   * as its fence: one block and its directive. */
  g_assert_cmpuint (parse_repeated ("`"), ==, 2);
  /* Openers that never close: quadratic for a parser that searches for a
   * closer from every opener. */
  g_assert_cmpuint (parse_repeated ("*a "), ==, 0);
  g_assert_cmpuint (parse_repeated ("*a _a ~a `a "), ==, 0);
  g_assert_cmpuint (parse_repeated ("_*~`a "), ==, 0);
  /* Closers with the opener long gone. */
  g_assert_cmpuint (parse_repeated ("a*"), ==, 0);
  /* Many real spans, nested four deep: 4 spans and 8 directives per unit. */
  g_assert_cmpuint (parse_repeated ("_*~`x`~*_ "), ==, 12 * ((1024 * 1024 + 9) / 10));
  g_assert_cmpuint (parse_repeated ("*a* "), ==, 3 * (1024 * 1024 / 4));
}

static void
test_stress_blocks (void)
{
  /* One line of '>' stops nesting at the limit. */
  g_assert_cmpuint (parse_repeated (">"), ==, TALK_STYLING_MAX_QUOTE_DEPTH + 1);
  /* Fences open and close blocks, in and out of quotations. */
  g_assert_cmpuint (parse_repeated ("```\n"), ==, 3 * (1024 * 1024 / 8));
  g_assert_cmpuint (parse_repeated ("> ```\n"), >, 0);
  g_assert_cmpuint (parse_repeated (">>\n>\n"), >, 0);
  g_assert_cmpuint (parse_repeated ("\n"), ==, 0);
  g_assert_cmpuint (parse_repeated ("*\n"), ==, 0);
}

static void
test_stress_links (void)
{
  g_assert_cmpuint (parse_repeated ("h"), ==, 0);
  g_assert_cmpuint (parse_repeated ("http:/"), ==, 0);
  /* One link a megabyte long, trimmed of a megabyte of ')' or '.'. */
  {
    g_autoptr(GString) body = g_string_new ("http://a");
    g_autoptr(TalkStyling) styling = NULL;
    const TalkStylingSpan *spans;
    guint n_spans;

    while (body->len < 1024 * 1024)
      g_string_append (body, ").");
    styling = talk_styling_parse (body->str, body->len);
    spans = talk_styling_get_spans (styling, &n_spans);
    g_assert_cmpuint (n_spans, ==, 1);
    g_assert_cmpstr (spans[0].uri, ==, "http://a");
  }
  g_assert_cmpuint (parse_repeated ("http://x "), ==, 1024 * 1024 / 9 + 1);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/talk/core/styling/blocks/plain", test_plain_blocks);
  g_test_add_func ("/talk/core/styling/blocks/pre", test_pre_block);
  g_test_add_func ("/talk/core/styling/blocks/pre-in-quote", test_pre_block_in_quote);
  g_test_add_func ("/talk/core/styling/blocks/quote", test_quote);
  g_test_add_func ("/talk/core/styling/blocks/quote-depth-limit", test_quote_depth_limit);
  g_test_add_func ("/talk/core/styling/spans/rules", test_span_rules);
  g_test_add_func ("/talk/core/styling/spans/kinds", test_span_kinds);
  g_test_add_func ("/talk/core/styling/spans/nesting", test_span_nesting);
  g_test_add_func ("/talk/core/styling/spans/random-lines", test_random_lines);
  g_test_add_func ("/talk/core/styling/links", test_links);
  g_test_add_func ("/talk/core/styling/me-command", test_me_command);
  g_test_add_func ("/talk/core/styling/bidi-controls", test_bidi_controls);
  g_test_add_func ("/talk/core/styling/invalid-utf8", test_invalid_utf8);
  g_test_add_func ("/talk/core/styling/stress/directives", test_stress_directives);
  g_test_add_func ("/talk/core/styling/stress/blocks", test_stress_blocks);
  g_test_add_func ("/talk/core/styling/stress/links", test_stress_links);

  return g_test_run ();
}
