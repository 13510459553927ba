/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <pango/pango.h>

G_BEGIN_DECLS

/**
 * TALK_MESSAGE_TEXT_DEFAULT_MAX_LENGTH:
 *
 * How many bytes of a body are shown by default: 64 KiB.
 */
#define TALK_MESSAGE_TEXT_DEFAULT_MAX_LENGTH (64 * 1024)

/**
 * TalkMessageTextLink:
 * @start: byte offset of the link in the display text
 * @end: byte offset just past it
 * @uri: the URI (http, https, xmpp or mailto), as written in the body
 *
 * A link of the display text, for opening it on click.
 */
typedef struct
{
  guint       start;
  guint       end;
  const char *uri;
} TalkMessageTextLink;

#define TALK_TYPE_MESSAGE_TEXT (talk_message_text_get_type ())

/**
 * TalkMessageText:
 *
 * A message body turned into what a #GtkLabel shows: plain display text and
 * a #PangoAttrList, to be set with gtk_label_set_text() and
 * gtk_label_set_attributes() on a label that does not use markup. Nothing
 * from the body is ever parsed as Pango markup, so `<b>`, `&amp;` or `%s`
 * in a body are shown as typed.
 *
 * XEP-0393 styling becomes attributes: bold, italic, strike through,
 * monospace for preformatted spans and blocks, dimmed text for quotations,
 * and links underlined and coloured (with a side table to open them). The
 * styling directives are kept and dimmed, as the XEP recommends.
 *
 * A XEP-0245 "/me does something" body with a sender name is shown as
 * "* Name does something", all in italic.
 *
 * A body with explicit directional controls (see
 * talk_styling_text_has_bidi_controls()) is isolated line by line: each line
 * is put between U+2068 FIRST STRONG ISOLATE and U+2069 POP DIRECTIONAL
 * ISOLATE, isolates the line leaves open are closed, and a U+2069 that
 * would close the outer isolate early is shown as U+2060 WORD JOINER. So a
 * right-to-left override in a body cannot reorder anything displayed next to
 * it, in the same label or not.
 *
 * Bodies longer than the maximum length are cut at a character boundary;
 * talk_message_text_get_shortened() then says so, and the whole body stays
 * available from talk_message_text_get_full_text() for copying.
 *
 * Invalid UTF-8 in the body or the name is replaced with U+FFFD.
 *
 * A #TalkMessageText does not change once built; the #PangoAttrList it
 * returns must not be modified either.
 */
typedef struct _TalkMessageText TalkMessageText;

GType                      talk_message_text_get_type                (void) G_GNUC_CONST;

/**
 * talk_message_text_new:
 * @body: the message body, nul-terminated
 * @sender_name: (nullable): the sender's display name, for a "/me" body;
 *   with %NULL a "/me" body is shown as it is
 *
 * Like talk_message_text_new_full() with the default maximum length.
 *
 * Returns: (transfer full): the display form of @body
 */
TalkMessageText           *talk_message_text_new                     (const char      *body,
                                                                      const char      *sender_name);

/**
 * talk_message_text_new_full:
 * @body: (array length=length): the message body
 * @length: length of @body in bytes, or -1 if it is nul-terminated
 * @sender_name: (nullable): the sender's display name, for a "/me" body;
 *   with %NULL a "/me" body is shown as it is
 * @max_length: how many bytes of the body to show at most, or 0 for
 *   %TALK_MESSAGE_TEXT_DEFAULT_MAX_LENGTH
 *
 * Builds the display text and attributes of @body.
 *
 * Returns: (transfer full): the display form of @body
 */
TalkMessageText           *talk_message_text_new_full                (const char      *body,
                                                                      gssize           length,
                                                                      const char      *sender_name,
                                                                      gsize            max_length);

/**
 * talk_message_text_ref:
 * @self: a #TalkMessageText
 *
 * Returns: (transfer full): @self
 */
TalkMessageText           *talk_message_text_ref                     (TalkMessageText *self);

/**
 * talk_message_text_unref:
 * @self: (transfer full): a #TalkMessageText
 */
void                       talk_message_text_unref                   (TalkMessageText *self);

/**
 * talk_message_text_get_text:
 * @self: a #TalkMessageText
 *
 * The text to show; plain text, never markup.
 *
 * Returns: (transfer none): the display text
 */
const char                *talk_message_text_get_text                (TalkMessageText *self);

/**
 * talk_message_text_get_attributes:
 * @self: a #TalkMessageText
 *
 * The attributes of the display text, with byte offsets into
 * talk_message_text_get_text().
 *
 * Returns: (transfer none): the attributes
 */
PangoAttrList             *talk_message_text_get_attributes          (TalkMessageText *self);

/**
 * talk_message_text_get_links:
 * @self: a #TalkMessageText
 * @n_links: (out): the number of links
 *
 * The links of the display text, in order.
 *
 * Returns: (transfer none) (array length=n_links): the links
 */
const TalkMessageTextLink *talk_message_text_get_links               (TalkMessageText *self,
                                                                      guint           *n_links);

/**
 * talk_message_text_lookup_link:
 * @self: a #TalkMessageText
 * @index_: a byte offset into the display text, as pango_layout_xy_to_index()
 *   gives for a click
 *
 * Returns: (transfer none) (nullable): the URI of the link at @index_, or
 *   %NULL if there is none
 */
const char                *talk_message_text_lookup_link             (TalkMessageText *self,
                                                                      int              index_);

/**
 * talk_message_text_get_full_text:
 * @self: a #TalkMessageText
 *
 * The whole body as valid UTF-8, without any shortening, "/me" rewriting or
 * directional isolation: what "Copy" should copy.
 *
 * Returns: (transfer none): the full body
 */
const char                *talk_message_text_get_full_text           (TalkMessageText *self);

/**
 * talk_message_text_get_full_length:
 * @self: a #TalkMessageText
 *
 * Returns: the length in bytes of talk_message_text_get_full_text()
 */
gsize                      talk_message_text_get_full_length         (TalkMessageText *self);

/**
 * talk_message_text_get_shortened:
 * @self: a #TalkMessageText
 *
 * Whether the body was longer than the maximum length and the display text
 * shows only its beginning.
 *
 * Returns: %TRUE if it was shortened
 */
gboolean                   talk_message_text_get_shortened           (TalkMessageText *self);

/**
 * talk_message_text_dup_shortened_notice:
 * @self: a #TalkMessageText
 *
 * A translated notice to show under a shortened message, such as
 * "Message shortened (10.5 MB)", with the size of the full body.
 *
 * Returns: (transfer full) (nullable): the notice, or %NULL if the message
 *   was not shortened
 */
char                      *talk_message_text_dup_shortened_notice    (TalkMessageText *self);

/**
 * talk_message_text_get_is_me:
 * @self: a #TalkMessageText
 *
 * Returns: %TRUE if the body was a "/me" command shown with the sender name
 */
gboolean                   talk_message_text_get_is_me               (TalkMessageText *self);

/**
 * talk_message_text_get_isolated:
 * @self: a #TalkMessageText
 *
 * Returns: %TRUE if the body had directional controls and its lines were
 *   wrapped in directional isolates
 */
gboolean                   talk_message_text_get_isolated            (TalkMessageText *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TalkMessageText, talk_message_text_unref)

G_END_DECLS
