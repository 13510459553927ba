/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * XEP-0393 Message Styling, and links, over a message body.
 *
 * One pass over the lines. Blocks (§6.1) are tracked the way a container
 * parser does it, without recursion: each line first matches the `>`
 * prefixes of the quotations already open; the quotations (and a
 * preformatted block inside them) it does not continue end at the previous
 * line. Inside an open preformatted block the rest of the line is text,
 * unless it is exactly "```". Otherwise further `>` open new quotations,
 * a line starting with "```" opens a preformatted block, and anything else
 * is a plain block whose spans are parsed.
 *
 * Spans (§6.2) are matched lazily from the left: a valid opening directive
 * takes the first valid closing directive of the same character on its line,
 * and its children are parsed between the two. The opening positions a line
 * visits only ever increase (children lie between their parent's
 * directives, and the scan resumes after the closing one), so one forward
 * cursor per directive character finds every "first valid closer after here"
 * in linear time overall, where a naive search would be quadratic on a line
 * of "*a *a *a …".
 */

#include "config.h"

#include <string.h>

#include "talk-styling.h"

struct _TalkStyling
{
  gatomicrefcount  ref_count;
  char            *text;
  gsize            length;
  GArray          *spans; /* TalkStylingSpan */
  GPtrArray       *uris;  /* char *, pointed to by the LINK spans */
  gboolean         repaired;
  gboolean         has_bidi_controls;
};

G_DEFINE_BOXED_TYPE (TalkStyling, talk_styling, talk_styling_ref, talk_styling_unref)

typedef struct
{
  TalkStyling *result;
  const char  *text;
  gsize        length;

  /* The offset of the '>' that opened each open quotation. */
  gsize        quote_start[TALK_STYLING_MAX_QUOTE_DEPTH];
  guint        quote_depth;

  gboolean     in_pre;
  gsize        pre_start;
  guint        pre_depth;

  /* Where blocks that the current line does not continue end. */
  gsize        prev_line_end;
} Parser;

/* The span directives of §6.2, in the order of SpanScanner.found. */
static const char span_directives[] = "*_~`";
static const TalkStylingKind span_kinds[] = {
  TALK_STYLING_STRONG,
  TALK_STYLING_EMPHASIS,
  TALK_STYLING_STRIKE,
  TALK_STYLING_PRE,
};

typedef struct
{
  gsize line_end;
  /* Per directive: the first valid closing directive at or after the last
   * position asked about, or line_end if there is none. */
  gsize found[4];
} SpanScanner;

/* XEP-0393 §4: a Unicode "White_Space" character or one in category Z.
 * g_unichar_isspace() covers category Z and the ASCII controls but VT; NEL
 * is White_Space too. */
static gboolean
is_whitespace (gunichar c)
{
  return g_unichar_isspace (c) || c == 0x0B || c == 0x85;
}

static gunichar
char_before (const Parser *self,
             gsize         offset)
{
  return g_utf8_get_char (g_utf8_prev_char (self->text + offset));
}

static void
add_span (Parser          *self,
          TalkStylingKind  kind,
          TalkStylingKind  owner,
          gsize            start,
          gsize            end,
          guint            depth)
{
  TalkStylingSpan span = { kind, owner, start, end, depth, NULL };

  g_array_append_val (self->result->spans, span);
}

static int
directive_index (char c)
{
  switch (c)
    {
    case '*':
      return 0;
    case '_':
      return 1;
    case '~':
      return 2;
    case '`':
      return 3;
    default:
      return -1;
    }
}

/* §6.2: the closing directive "MUST NOT be preceded by a whitespace
 * character". */
static gsize
find_closer (const Parser *self,
             SpanScanner  *scan,
             int           index,
             gsize         from)
{
  char directive = span_directives[index];
  gsize p = from;

  if (scan->found[index] >= from)
    return scan->found[index];

  while (p < scan->line_end)
    {
      const char *hit = memchr (self->text + p, directive, scan->line_end - p);

      if (hit == NULL)
        break;
      p = hit - self->text;
      if (!is_whitespace (char_before (self, p)))
        return scan->found[index] = p;
      p++;
    }

  return scan->found[index] = scan->line_end;
}

/* §6.2: the opening directive is at the beginning of the parent block, after
 * whitespace, or right after a different opening directive (@start is the
 * beginning of the line's text or the first byte after the enclosing span's
 * opening directive), and is not followed by whitespace. */
static gboolean
can_open (const Parser *self,
          gsize         p,
          gsize         start,
          gsize         end)
{
  if (p + 1 >= end || is_whitespace (g_utf8_get_char (self->text + p + 1)))
    return FALSE;

  return p == start || is_whitespace (char_before (self, p));
}

static void
parse_span_range (Parser      *self,
                  SpanScanner *scan,
                  gsize        start,
                  gsize        end)
{
  gsize p = start;

  while (p < end)
    {
      int index = directive_index (self->text[p]);
      gsize closer;

      if (index < 0 || !can_open (self, p, start, end))
        {
          p++;
          continue;
        }

      closer = find_closer (self, scan, index, p + 1);
      if (closer >= end)
        {
          /* No closing directive in this span or line: the character is
           * text, and "not considered when matching". */
          p++;
          continue;
        }

      if (closer == p + 1)
        {
          /* "**": spans "MUST contain some text between the two styling
           * directives, otherwise neither directive is valid". */
          p = closer + 1;
          continue;
        }

      add_span (self, span_kinds[index], span_kinds[index], p, closer + 1, 0);
      add_span (self, TALK_STYLING_DIRECTIVE, span_kinds[index], p, p + 1, 0);
      add_span (self, TALK_STYLING_DIRECTIVE, span_kinds[index], closer, closer + 1, 0);

      /* A preformatted span holds plain text only (§6.2.5). */
      if (span_kinds[index] != TALK_STYLING_PRE)
        parse_span_range (self, scan, p + 1, closer);

      p = closer + 1;
    }
}

static void
parse_spans (Parser *self,
             gsize   start,
             gsize   end)
{
  SpanScanner scan = { end, { start, start, start, start } };

  parse_span_range (self, &scan, start, end);
}

/* §6.1.3: a '>', then "the first leading whitespace character trimmed". */
static gsize
skip_quote_marker (const Parser *self,
                   gsize         p,
                   gsize         line_end)
{
  p++;
  if (p < line_end && is_whitespace (g_utf8_get_char (self->text + p)))
    p = g_utf8_next_char (self->text + p) - self->text;

  return p;
}

/* §6.1.2: "ended by a line containing only three grave accents"; a CR
 * before the line feed is tolerated. */
static gboolean
is_closing_fence (const Parser *self,
                  gsize         p,
                  gsize         line_end)
{
  gsize n = line_end - p;

  return (n == 3 || (n == 4 && self->text[p + 3] == '\r')) &&
         memcmp (self->text + p, "```", 3) == 0;
}

/* A preformatted block without a closing fence ends with the previous line:
 * "the end of the parent block" or of the message. */
static void
close_pre_block (Parser *self)
{
  add_span (self, TALK_STYLING_PRE_BLOCK, TALK_STYLING_PRE_BLOCK,
            self->pre_start, self->prev_line_end, 0);
  self->in_pre = FALSE;
}

/* Ends the quotations deeper than @depth, and the preformatted block inside
 * one of them, at the end of the previous line. */
static void
close_blocks (Parser *self,
              guint   depth)
{
  if (self->in_pre && self->pre_depth > depth)
    close_pre_block (self);

  while (self->quote_depth > depth)
    {
      self->quote_depth--;
      add_span (self, TALK_STYLING_QUOTE, TALK_STYLING_QUOTE,
                self->quote_start[self->quote_depth], self->prev_line_end,
                self->quote_depth + 1);
    }
}

static void
parse_line (Parser *self,
            gsize   line_start,
            gsize   line_end)
{
  gsize p = line_start;
  guint matched = 0;

  while (matched < self->quote_depth && p < line_end && self->text[p] == '>')
    {
      p = skip_quote_marker (self, p, line_end);
      matched++;
    }
  close_blocks (self, matched);

  if (self->in_pre)
    {
      /* The block's quotations all continue, so this line is its text or
       * its end. */
      if (p > line_start)
        add_span (self, TALK_STYLING_DIRECTIVE, TALK_STYLING_QUOTE, line_start, p, matched);
      if (is_closing_fence (self, p, line_end))
        {
          add_span (self, TALK_STYLING_DIRECTIVE, TALK_STYLING_PRE_BLOCK, p, line_end, 0);
          add_span (self, TALK_STYLING_PRE_BLOCK, TALK_STYLING_PRE_BLOCK,
                    self->pre_start, line_end, 0);
          self->in_pre = FALSE;
        }
      return;
    }

  while (p < line_end && self->text[p] == '>' &&
         self->quote_depth < TALK_STYLING_MAX_QUOTE_DEPTH)
    {
      self->quote_start[self->quote_depth++] = p;
      p = skip_quote_marker (self, p, line_end);
    }
  if (p > line_start)
    add_span (self, TALK_STYLING_DIRECTIVE, TALK_STYLING_QUOTE, line_start, p,
              self->quote_depth);

  if (line_end - p >= 3 && memcmp (self->text + p, "```", 3) == 0)
    {
      /* The rest of the fence line is an ignored tag; the whole line is the
       * directive. */
      self->in_pre = TRUE;
      self->pre_start = p;
      self->pre_depth = self->quote_depth;
      add_span (self, TALK_STYLING_DIRECTIVE, TALK_STYLING_PRE_BLOCK, p, line_end, 0);
      return;
    }

  parse_spans (self, p, line_end);
}

static void
parse_blocks (Parser *self)
{
  gsize line_start = 0;

  for (;;)
    {
      const char *newline = memchr (self->text + line_start, '\n',
                                    self->length - line_start);
      gsize line_end = newline != NULL ? (gsize) (newline - self->text) : self->length;

      parse_line (self, line_start, line_end);
      self->prev_line_end = line_end;
      if (newline == NULL)
        break;
      line_start = line_end + 1;
    }

  if (self->in_pre)
    close_pre_block (self);
  close_blocks (self, 0);
}

static gboolean
is_uri_char (gunichar c)
{
  if (c < 0x80)
    return c > 0x20 && c < 0x7F && strchr ("<>\"`{}|\\^", (int) c) == NULL;

  /* IRIs: letters, digits and combining marks; not punctuation such as
   * quotation marks, not spaces, and not format characters like the
   * directional controls. */
  return g_unichar_isalnum (c) || g_unichar_ismark (c);
}

/* Returns the end of the link starting at @p, or @p if there is none. */
static gsize
match_link (const Parser *self,
            gsize         p)
{
  static const char * const schemes[] = { "https://", "http://", "xmpp:", "mailto:" };
  gsize body = 0;
  gsize q;
  gsize open_paren = 0, close_paren = 0, open_bracket = 0, close_bracket = 0;

  for (guint i = 0; i < G_N_ELEMENTS (schemes); i++)
    {
      gsize n = strlen (schemes[i]);

      if (self->length - p >= n && g_ascii_strncasecmp (self->text + p, schemes[i], n) == 0)
        {
          body = p + n;
          break;
        }
    }
  if (body == 0)
    return p;

  for (q = body; q < self->length; q = g_utf8_next_char (self->text + q) - self->text)
    {
      if (!is_uri_char (g_utf8_get_char (self->text + q)))
        break;
      switch (self->text[q])
        {
        case '(':
          open_paren++;
          break;
        case ')':
          close_paren++;
          break;
        case '[':
          open_bracket++;
          break;
        case ']':
          close_bracket++;
          break;
        default:
          break;
        }
    }

  /* Punctuation that ends a sentence or a styled span is not part of the
   * link, nor is a closing parenthesis or bracket without its opening one:
   * "(see https://example.org/a_(b))." keeps "a_(b)". */
  while (q > body)
    {
      char last = self->text[q - 1];

      if (strchr (".,;:!?'\"*_~", last) != NULL)
        ;
      else if (last == ')' && close_paren > open_paren)
        close_paren--;
      else if (last == ']' && close_bracket > open_bracket)
        close_bracket--;
      else
        break;
      q--;
    }

  return q > body ? q : p;
}

static void
find_links (Parser *self)
{
  gsize p = 0;

  while (p < self->length)
    {
      char c = g_ascii_tolower (self->text[p]);
      gsize end;

      /* A scheme starts a word: "foohttp://" is not a link. */
      if ((c != 'h' && c != 'x' && c != 'm') ||
          (p > 0 && g_unichar_isalnum (char_before (self, p))))
        {
          p++;
          continue;
        }

      end = match_link (self, p);
      if (end == p)
        {
          p++;
          continue;
        }

      {
        char *uri = g_strndup (self->text + p, end - p);
        TalkStylingSpan span = { TALK_STYLING_LINK, TALK_STYLING_LINK, p, end, 0, uri };

        g_ptr_array_add (self->result->uris, uri);
        g_array_append_val (self->result->spans, span);
      }
      p = end;
    }
}

static int
compare_spans (gconstpointer a,
               gconstpointer b)
{
  const TalkStylingSpan *x = a;
  const TalkStylingSpan *y = b;

  if (x->start != y->start)
    return x->start < y->start ? -1 : 1;
  if (x->end != y->end)
    return x->end > y->end ? -1 : 1;
  if (x->kind != y->kind)
    return x->kind < y->kind ? -1 : 1;
  if (x->owner != y->owner)
    return x->owner < y->owner ? -1 : 1;
  return 0;
}

TalkStyling *
talk_styling_parse (const char *body,
                    gssize      length)
{
  TalkStyling *self;
  Parser parser = { 0 };

  g_return_val_if_fail (body != NULL || length <= 0, NULL);

  if (body == NULL)
    body = "";
  if (length < 0)
    length = strlen (body);

  self = g_new0 (TalkStyling, 1);
  g_atomic_ref_count_init (&self->ref_count);

  /* g_utf8_validate_len() also refuses NUL bytes, which g_utf8_make_valid()
   * then replaces like any other invalid byte. */
  if (g_utf8_validate_len (body, length, NULL))
    {
      self->text = g_strndup (body, length);
      self->length = length;
    }
  else
    {
      self->text = g_utf8_make_valid (body, length);
      self->length = strlen (self->text);
      self->repaired = TRUE;
    }

  self->spans = g_array_new (FALSE, FALSE, sizeof (TalkStylingSpan));
  self->uris = g_ptr_array_new_with_free_func (g_free);
  self->has_bidi_controls = talk_styling_text_has_bidi_controls (self->text, self->length);

  parser.result = self;
  parser.text = self->text;
  parser.length = self->length;
  parse_blocks (&parser);
  find_links (&parser);
  g_array_sort (self->spans, compare_spans);

  return self;
}

TalkStyling *
talk_styling_ref (TalkStyling *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
talk_styling_unref (TalkStyling *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;

  g_array_unref (self->spans);
  g_ptr_array_unref (self->uris);
  g_free (self->text);
  g_free (self);
}

const char *
talk_styling_get_text (TalkStyling *self,
                       gsize       *length)
{
  g_return_val_if_fail (self != NULL, NULL);

  if (length != NULL)
    *length = self->length;
  return self->text;
}

const TalkStylingSpan *
talk_styling_get_spans (TalkStyling *self,
                        guint       *n_spans)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (n_spans != NULL, NULL);

  *n_spans = self->spans->len;
  return (const TalkStylingSpan *) (gpointer) self->spans->data;
}

gboolean
talk_styling_get_repaired (TalkStyling *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->repaired;
}

gboolean
talk_styling_get_has_bidi_controls (TalkStyling *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->has_bidi_controls;
}

gboolean
talk_styling_is_bidi_control (gunichar c)
{
  return (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

gboolean
talk_styling_text_has_bidi_controls (const char *text,
                                     gssize      length)
{
  const guchar *p;
  const guchar *end;

  g_return_val_if_fail (text != NULL || length <= 0, FALSE);

  if (text == NULL)
    return FALSE;
  if (length < 0)
    length = strlen (text);

  /* Every one of them is encoded as E2 80 AA–AE or E2 81 A6–A9. */
  p = (const guchar *) text;
  end = p + length;
  while (p < end && (p = memchr (p, 0xE2, end - p)) != NULL)
    {
      if (end - p >= 3 &&
          ((p[1] == 0x80 && p[2] >= 0xAA && p[2] <= 0xAE) ||
           (p[1] == 0x81 && p[2] >= 0xA6 && p[2] <= 0xA9)))
        return TRUE;
      p++;
    }

  return FALSE;
}

gboolean
talk_styling_is_me_command (const char *body)
{
  /* XEP-0245 §2: string matching on the first four characters of the body,
   * which must be "/me " (with the space). */
  return body != NULL && strncmp (body, "/me ", 4) == 0;
}
