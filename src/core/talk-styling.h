/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/**
 * TalkStylingKind:
 * @TALK_STYLING_STRONG: `*strong*` (XEP-0393 §6.2.3)
 * @TALK_STYLING_EMPHASIS: `_emphasis_` (§6.2.2)
 * @TALK_STYLING_STRIKE: `~strike through~` (§6.2.4)
 * @TALK_STYLING_PRE: a `` `preformatted` `` span (§6.2.5); no children
 * @TALK_STYLING_PRE_BLOCK: a ```` ``` ```` preformatted block (§6.1.2), from
 *   the opening fence to the end of the closing fence, the end of the message
 *   or the end of the enclosing quotation; no children
 * @TALK_STYLING_QUOTE: a quotation (§6.1.3); nested quotations are separate
 *   spans with a larger depth
 * @TALK_STYLING_DIRECTIVE: the styling directive characters of the span or
 *   block given by the span's owner: the `*` of a strong span, the fence
 *   lines of a preformatted block, the `>` prefix (with the one whitespace
 *   character the XEP trims) of a quoted line
 * @TALK_STYLING_LINK: an http, https, xmpp or mailto URI
 *
 * What a #TalkStylingSpan marks.
 */
typedef enum
{
  TALK_STYLING_STRONG,
  TALK_STYLING_EMPHASIS,
  TALK_STYLING_STRIKE,
  TALK_STYLING_PRE,
  TALK_STYLING_PRE_BLOCK,
  TALK_STYLING_QUOTE,
  TALK_STYLING_DIRECTIVE,
  TALK_STYLING_LINK,
} TalkStylingKind;

/**
 * TalkStylingSpan:
 * @kind: what the span marks
 * @owner: for %TALK_STYLING_DIRECTIVE, the kind of span or block the
 *   directive belongs to; otherwise equal to @kind
 * @start: byte offset of the first byte, into talk_styling_get_text()
 * @end: byte offset just past the last byte
 * @depth: for %TALK_STYLING_QUOTE and the directives it owns, the nesting
 *   level (1 for the outermost quotation; a quote directive covers the whole
 *   prefix of its line, so its depth is the number of `>` in it); otherwise 0
 * @uri: (nullable): for %TALK_STYLING_LINK, the URI, exactly the text of the
 *   span; owned by the #TalkStyling
 *
 * One range of a parsed body. Styled spans include their directives, as the
 * XEP recommends they be rendered in the style they apply; the directives are
 * also listed on their own so they can be dimmed or hidden.
 */
typedef struct
{
  TalkStylingKind  kind;
  TalkStylingKind  owner;
  gsize            start;
  gsize            end;
  guint            depth;
  const char      *uri;
} TalkStylingSpan;

/**
 * TALK_STYLING_MAX_QUOTE_DEPTH:
 *
 * Quotations nest at most this deep; further `>` characters are text. A
 * defensive bound so that a line of a million `>` costs a million bytes of
 * text, not a million spans.
 */
#define TALK_STYLING_MAX_QUOTE_DEPTH 32

#define TALK_TYPE_STYLING (talk_styling_get_type ())

/**
 * TalkStyling:
 *
 * A message body parsed for XEP-0393 Message Styling and for links.
 *
 * The parser is a single pass over the body with constant work per byte, so
 * hostile bodies (a megabyte of `*_~` or backticks) cost linear time. The
 * body is validated first: invalid UTF-8 (including NUL bytes) is replaced
 * with U+FFFD by g_utf8_make_valid(), and all offsets then refer to that
 * repaired copy, which talk_styling_get_text() returns.
 *
 * Nothing here is markup: the result is a list of byte ranges, and the text
 * is never interpreted beyond the XEP's directives.
 *
 * A #TalkStyling does not change once parsed, and its reference count is
 * atomic, so it may be handed from a worker thread to the main thread.
 */
typedef struct _TalkStyling TalkStyling;

GType                  talk_styling_get_type               (void) G_GNUC_CONST;

/**
 * talk_styling_parse:
 * @body: (array length=length): the message body, in UTF-8
 * @length: length of @body in bytes, or -1 if it is nul-terminated
 *
 * Parses @body. Never fails: bytes that are not valid UTF-8 are replaced
 * before parsing.
 *
 * Returns: (transfer full): the parsed body
 */
TalkStyling           *talk_styling_parse                  (const char  *body,
                                                            gssize       length);

/**
 * talk_styling_ref:
 * @self: a #TalkStyling
 *
 * Returns: (transfer full): @self
 */
TalkStyling           *talk_styling_ref                    (TalkStyling *self);

/**
 * talk_styling_unref:
 * @self: (transfer full): a #TalkStyling
 */
void                   talk_styling_unref                  (TalkStyling *self);

/**
 * talk_styling_get_text:
 * @self: a #TalkStyling
 * @length: (out) (optional): the length of the text in bytes
 *
 * The text the span offsets refer to: the body, or its repaired copy when it
 * was not valid UTF-8. Always nul-terminated and valid UTF-8.
 *
 * Returns: (transfer none): the text
 */
const char            *talk_styling_get_text               (TalkStyling *self,
                                                            gsize       *length);

/**
 * talk_styling_get_spans:
 * @self: a #TalkStyling
 * @n_spans: (out): the number of spans
 *
 * The spans, ordered by start offset, then by end offset descending (so an
 * enclosing span comes before the spans it contains), then by kind.
 *
 * Returns: (transfer none) (array length=n_spans): the spans
 */
const TalkStylingSpan *talk_styling_get_spans              (TalkStyling *self,
                                                            guint       *n_spans);

/**
 * talk_styling_get_repaired:
 * @self: a #TalkStyling
 *
 * Returns: %TRUE if the body was not valid UTF-8 and was repaired
 */
gboolean               talk_styling_get_repaired           (TalkStyling *self);

/**
 * talk_styling_get_has_bidi_controls:
 * @self: a #TalkStyling
 *
 * Whether the text contains explicit bidirectional formatting characters,
 * which the UI must isolate; see talk_styling_text_has_bidi_controls().
 *
 * Returns: %TRUE if it does
 */
gboolean               talk_styling_get_has_bidi_controls  (TalkStyling *self);

/**
 * talk_styling_is_bidi_control:
 * @c: a character
 *
 * Whether @c is an explicit directional embedding, override or isolate
 * (U+202A–U+202E, U+2066–U+2069; UAX #9 §2).
 *
 * Returns: %TRUE if it is
 */
gboolean               talk_styling_is_bidi_control        (gunichar     c);

/**
 * talk_styling_text_has_bidi_controls:
 * @text: (array length=length): UTF-8 text
 * @length: length of @text in bytes, or -1 if it is nul-terminated
 *
 * Whether @text contains a character for which talk_styling_is_bidi_control()
 * is %TRUE. Such text can reorder whatever is displayed after it in the same
 * paragraph (a right-to-left override left open flips a sender name or a
 * time), so it must be shown inside a directional isolate.
 *
 * Returns: %TRUE if it does
 */
gboolean               talk_styling_text_has_bidi_controls (const char  *text,
                                                            gssize       length);

/**
 * talk_styling_is_me_command:
 * @body: (nullable): a message body
 *
 * Whether @body is a XEP-0245 "/me" command: it begins with the four
 * characters "/me ".
 *
 * Returns: %TRUE if it is
 */
gboolean               talk_styling_is_me_command          (const char  *body);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TalkStyling, talk_styling_unref)

G_END_DECLS
