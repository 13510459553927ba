/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A message body as a label shows it: display text plus Pango attributes
 * built from the XEP-0393 spans of talk-styling.c. The body is only ever
 * copied into the display text, never interpreted as markup.
 *
 * The display text is the body, possibly cut, with at most two kinds of
 * additions: the "* Name " that replaces a XEP-0245 "/me ", and the
 * directional isolates around each line. Span offsets into the body are
 * mapped into the display text through the list of those insertions.
 */

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "talk-styling.h"
#include "talk-message-text.h"

#define FSI "\xe2\x81\xa8" /* U+2068 FIRST STRONG ISOLATE */
#define PDI "\xe2\x81\xa9" /* U+2069 POP DIRECTIONAL ISOLATE */
#define WJ  "\xe2\x81\xa0" /* U+2060 WORD JOINER */

/* Pango takes int indices; isolation at most triples a line's length. */
#define MAX_LENGTH_LIMIT ((gsize) G_MAXINT / 4)

/* The XEP asks for directives and quotations to stand apart from the text
 * without hindering readability on any background; alpha keeps the theme's
 * own foreground colour. */
#define QUOTE_ALPHA     0xB333 /* 70 % */
#define DIRECTIVE_ALPHA 0x7333 /* 45 % */

/* Adwaita's blue 3, #3584e4: legible on both the light and the dark window
 * background. */
#define LINK_RED   0x3535
#define LINK_GREEN 0x8484
#define LINK_BLUE  0xe4e4

struct _TalkMessageText
{
  gatomicrefcount  ref_count;
  char            *full_text;
  gsize            full_length;
  char            *text;
  PangoAttrList   *attrs;
  GArray          *links;     /* TalkMessageTextLink */
  GPtrArray       *link_uris; /* char *, pointed to by links */
  gboolean         shortened;
  gboolean         is_me;
  gboolean         isolated;
};

G_DEFINE_BOXED_TYPE (TalkMessageText, talk_message_text,
                     talk_message_text_ref, talk_message_text_unref)

typedef struct
{
  gsize src;   /* where in the body the bytes were inserted */
  gsize total; /* bytes inserted up to here, these included */
} Insertion;

typedef struct
{
  gsize   head;       /* display bytes before the body's text */
  gsize   skip;       /* body bytes not shown at its beginning */
  GArray *insertions; /* Insertion, by src */
} OffsetMap;

static void
record_insertion (GArray *insertions,
                  gsize   src,
                  gsize   length)
{
  Insertion insertion = { src, length };

  if (insertions == NULL)
    return;

  if (insertions->len > 0)
    {
      Insertion *last = &g_array_index (insertions, Insertion, insertions->len - 1);

      if (last->src == src)
        {
          last->total += length;
          return;
        }
      insertion.total += last->total;
    }
  g_array_append_val (insertions, insertion);
}

/* A span starting at @src starts after what was inserted there (the FSI at
 * the start of a line); a span ending at @src ends before it (the PDIs at
 * the end of a line). */
static guint
map_offset (const OffsetMap *map,
            gsize            src,
            gboolean         is_end)
{
  const Insertion *insertions = (const Insertion *) (gpointer) map->insertions->data;
  guint lo = 0;
  guint hi = map->insertions->len;

  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;

      if (insertions[mid].src < src || (!is_end && insertions[mid].src == src))
        lo = mid + 1;
      else
        hi = mid;
    }

  return map->head + (src - map->skip) + (lo > 0 ? insertions[lo - 1].total : 0);
}

/* The characters that end a paragraph for the bidirectional algorithm
 * (UAX #9 class B): an isolate does not reach past them. Returns the length
 * of the one at @p, or 0. */
static gsize
paragraph_separator_at (const char *text,
                        gsize       p,
                        gsize       end)
{
  switch ((guchar) text[p])
    {
    case '\r':
      return p + 1 < end && text[p + 1] == '\n' ? 2 : 1;
    case '\n':
    case 0x1C:
    case 0x1D:
    case 0x1E:
      return 1;
    case 0xC2: /* U+0085 NEXT LINE */
      return p + 1 < end && (guchar) text[p + 1] == 0x85 ? 2 : 0;
    case 0xE2: /* U+2029 PARAGRAPH SEPARATOR */
      return p + 2 < end && (guchar) text[p + 1] == 0x80 && (guchar) text[p + 2] == 0xA9 ? 3 : 0;
    default:
      return 0;
    }
}

/* Closes the isolates the line opened and left open, then ours. */
static void
close_line (GString *out,
            GArray  *insertions,
            gsize    src,
            guint    open)
{
  for (guint i = 0; i <= open; i++)
    g_string_append (out, PDI);
  record_insertion (insertions, src, (gsize) (open + 1) * strlen (PDI));
}

static void
open_line (GString *out,
           GArray  *insertions,
           gsize    src)
{
  g_string_append (out, FSI);
  record_insertion (insertions, src, strlen (FSI));
}

/* Appends @text[@start, @end) to @out with each line between FSI and PDI.
 * A PDI of the text with no isolate of the text open would match our FSI
 * (UAX #9 BD9) and let the rest of the line out, so it is shown as a word
 * joiner, which has the same length; embeddings and overrides left open end
 * at our PDI (X6a). */
static void
append_isolated (GString    *out,
                 const char *text,
                 gsize       start,
                 gsize       end,
                 GArray     *insertions)
{
  gsize p = start;
  gsize copied = start;
  guint open = 0;

  open_line (out, insertions, start);
  while (p < end)
    {
      gsize separator = paragraph_separator_at (text, p, end);

      if (separator > 0)
        {
          g_string_append_len (out, text + copied, p - copied);
          close_line (out, insertions, p, open);
          g_string_append_len (out, text + p, separator);
          p += separator;
          copied = p;
          open = 0;
          open_line (out, insertions, p);
          continue;
        }

      if ((guchar) text[p] == 0xE2 && p + 2 < end && (guchar) text[p + 1] == 0x81)
        {
          guchar last = text[p + 2];

          if (last >= 0xA6 && last <= 0xA8) /* LRI, RLI, FSI */
            open++;
          else if (last == 0xA9 && open > 0)
            open--;
          else if (last == 0xA9)
            {
              g_string_append_len (out, text + copied, p - copied);
              g_string_append (out, WJ);
              p += 3;
              copied = p;
              continue;
            }
        }
      p++;
    }

  g_string_append_len (out, text + copied, end - copied);
  close_line (out, insertions, end, open);
}

/* A name comes from the network too: one line, no control characters, and
 * isolated when it carries directional controls. */
static void
append_name (GString    *out,
             const char *name)
{
  g_autofree char *valid = g_utf8_make_valid (name, -1);
  g_autoptr(GString) line = g_string_sized_new (strlen (valid));

  for (const char *p = valid; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_iscntrl (c) || c == 0x2028 || c == 0x2029)
        g_string_append_c (line, ' ');
      else
        g_string_append_unichar (line, c);
    }

  if (talk_styling_text_has_bidi_controls (line->str, line->len))
    append_isolated (out, line->str, 0, line->len, NULL);
  else
    g_string_append_len (out, line->str, line->len);
}

static void
insert_attr (PangoAttrList  *attrs,
             PangoAttribute *attr,
             guint           start,
             guint           end)
{
  attr->start_index = start;
  attr->end_index = end;
  pango_attr_list_insert (attrs, attr);
}

static void
add_link (TalkMessageText *self,
          const char      *uri,
          guint            start,
          guint            end)
{
  char *copy = g_strdup (uri);
  TalkMessageTextLink link = { start, end, copy };

  g_ptr_array_add (self->link_uris, copy);
  g_array_append_val (self->links, link);

  insert_attr (self->attrs, pango_attr_underline_new (PANGO_UNDERLINE_SINGLE), start, end);
  insert_attr (self->attrs, pango_attr_foreground_new (LINK_RED, LINK_GREEN, LINK_BLUE),
               start, end);
}

/* Spans come ordered by start offset and the mapping keeps that order, so
 * every insertion appends to the list. */
static void
add_span_attributes (TalkMessageText       *self,
                     const TalkStylingSpan *span,
                     guint                  start,
                     guint                  end)
{
  switch (span->kind)
    {
    case TALK_STYLING_STRONG:
      insert_attr (self->attrs, pango_attr_weight_new (PANGO_WEIGHT_BOLD), start, end);
      break;
    case TALK_STYLING_EMPHASIS:
      insert_attr (self->attrs, pango_attr_style_new (PANGO_STYLE_ITALIC), start, end);
      break;
    case TALK_STYLING_STRIKE:
      insert_attr (self->attrs, pango_attr_strikethrough_new (TRUE), start, end);
      break;
    case TALK_STYLING_PRE:
    case TALK_STYLING_PRE_BLOCK:
      insert_attr (self->attrs, pango_attr_family_new ("monospace"), start, end);
      insert_attr (self->attrs, pango_attr_insert_hyphens_new (FALSE), start, end);
      break;
    case TALK_STYLING_QUOTE:
      /* Nested quotations lie inside the outermost one, which is enough. */
      if (span->depth == 1)
        insert_attr (self->attrs, pango_attr_foreground_alpha_new (QUOTE_ALPHA), start, end);
      break;
    case TALK_STYLING_DIRECTIVE:
      insert_attr (self->attrs, pango_attr_foreground_alpha_new (DIRECTIVE_ALPHA), start, end);
      /* The ">" prefix is the quotation's indicator: make it a solid mark. */
      if (span->owner == TALK_STYLING_QUOTE)
        insert_attr (self->attrs, pango_attr_weight_new (PANGO_WEIGHT_BOLD), start, end);
      break;
    case TALK_STYLING_LINK:
      add_link (self, span->uri, start, end);
      break;
    default:
      g_assert_not_reached ();
    }
}

static void
build_display (TalkMessageText *self,
               gsize            cut,
               const char      *sender_name)
{
  g_autoptr(TalkStyling) styling = talk_styling_parse (self->full_text, cut);
  g_autoptr(GString) out = g_string_sized_new (cut + 64);
  g_autoptr(GArray) insertions = g_array_new (FALSE, FALSE, sizeof (Insertion));
  OffsetMap map = { 0, 0, insertions };
  const TalkStylingSpan *spans;
  guint n_spans;

  self->is_me = sender_name != NULL && cut >= 4 && talk_styling_is_me_command (self->full_text);
  self->isolated = talk_styling_get_has_bidi_controls (styling);

  if (self->is_me)
    {
      /* XEP-0245 §2: "/me laughs" from Juliet reads "* Juliet laughs". */
      g_string_append (out, "* ");
      append_name (out, sender_name);
      g_string_append_c (out, ' ');
      map.head = out->len;
      map.skip = 4;
    }

  if (self->isolated)
    append_isolated (out, self->full_text, map.skip, cut, insertions);
  else
    g_string_append_len (out, self->full_text + map.skip, cut - map.skip);

  if (self->is_me)
    insert_attr (self->attrs, pango_attr_style_new (PANGO_STYLE_ITALIC), 0, out->len);

  spans = talk_styling_get_spans (styling, &n_spans);
  for (guint i = 0; i < n_spans; i++)
    {
      guint start, end;

      if (spans[i].end <= map.skip)
        continue;
      start = map_offset (&map, MAX (spans[i].start, map.skip), FALSE);
      end = map_offset (&map, spans[i].end, TRUE);
      if (start < end)
        add_span_attributes (self, &spans[i], start, end);
    }

  self->text = g_string_free (g_steal_pointer (&out), FALSE);
}

TalkMessageText *
talk_message_text_new (const char *body,
                       const char *sender_name)
{
  g_return_val_if_fail (body != NULL, NULL);

  return talk_message_text_new_full (body, -1, sender_name, 0);
}

TalkMessageText *
talk_message_text_new_full (const char *body,
                            gssize      length,
                            const char *sender_name,
                            gsize       max_length)
{
  TalkMessageText *self;
  gsize cut;

  g_return_val_if_fail (body != NULL || length <= 0, NULL);

  if (body == NULL)
    body = "";
  if (length < 0)
    length = strlen (body);
  if (max_length == 0)
    max_length = TALK_MESSAGE_TEXT_DEFAULT_MAX_LENGTH;
  max_length = MIN (max_length, MAX_LENGTH_LIMIT);

  self = g_new0 (TalkMessageText, 1);
  g_atomic_ref_count_init (&self->ref_count);
  self->attrs = pango_attr_list_new ();
  self->links = g_array_new (FALSE, FALSE, sizeof (TalkMessageTextLink));
  self->link_uris = g_ptr_array_new_with_free_func (g_free);

  if (g_utf8_validate_len (body, length, NULL))
    {
      self->full_text = g_strndup (body, length);
      self->full_length = length;
    }
  else
    {
      self->full_text = g_utf8_make_valid (body, length);
      self->full_length = strlen (self->full_text);
    }

  /* Cut at a character boundary: back off continuation bytes. */
  cut = self->full_length;
  if (cut > max_length)
    {
      cut = max_length;
      while (cut > 0 && ((guchar) self->full_text[cut] & 0xC0) == 0x80)
        cut--;
      self->shortened = TRUE;
    }

  build_display (self, cut, sender_name);

  return self;
}

TalkMessageText *
talk_message_text_ref (TalkMessageText *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
talk_message_text_unref (TalkMessageText *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;

  g_clear_pointer (&self->attrs, pango_attr_list_unref);
  g_clear_pointer (&self->links, g_array_unref);
  g_clear_pointer (&self->link_uris, g_ptr_array_unref);
  g_free (self->text);
  g_free (self->full_text);
  g_free (self);
}

const char *
talk_message_text_get_text (TalkMessageText *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->text;
}

PangoAttrList *
talk_message_text_get_attributes (TalkMessageText *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->attrs;
}

const TalkMessageTextLink *
talk_message_text_get_links (TalkMessageText *self,
                             guint           *n_links)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (n_links != NULL, NULL);

  *n_links = self->links->len;
  return (const TalkMessageTextLink *) (gpointer) self->links->data;
}

const char *
talk_message_text_lookup_link (TalkMessageText *self,
                               int              index_)
{
  const TalkMessageTextLink *links;
  guint lo = 0;
  guint hi;

  g_return_val_if_fail (self != NULL, NULL);

  if (index_ < 0)
    return NULL;

  /* Links do not overlap and are ordered, so their ends are ordered too. */
  links = (const TalkMessageTextLink *) (gpointer) self->links->data;
  hi = self->links->len;
  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;

      if (links[mid].end <= (guint) index_)
        lo = mid + 1;
      else
        hi = mid;
    }

  if (lo < self->links->len && links[lo].start <= (guint) index_)
    return links[lo].uri;
  return NULL;
}

const char *
talk_message_text_get_full_text (TalkMessageText *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->full_text;
}

gsize
talk_message_text_get_full_length (TalkMessageText *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->full_length;
}

gboolean
talk_message_text_get_shortened (TalkMessageText *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->shortened;
}

char *
talk_message_text_dup_shortened_notice (TalkMessageText *self)
{
  g_autofree char *size = NULL;

  g_return_val_if_fail (self != NULL, NULL);

  if (!self->shortened)
    return NULL;

  size = g_format_size (self->full_length);
  /* Translators: shown under a very long message of which only the
   * beginning is displayed; %s is the size of the whole message, such as
   * "10.5 MB". */
  return g_strdup_printf (_("Message shortened (%s)"), size);
}

gboolean
talk_message_text_get_is_me (TalkMessageText *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->is_me;
}

gboolean
talk_message_text_get_isolated (TalkMessageText *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->isolated;
}
