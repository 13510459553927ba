/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>
#include <libxml/parser.h>

#include "talk-xmpp-reader.h"
#include "talk-xmpp-stanza-private.h"

/*
 * A libxml2 SAX2 push parser for one XMPP stream (RFC 6120 §4).
 *
 *   feed ─▶ prolog check ─▶ byte budget ─▶ xmlParseChunk ─▶ SAX callbacks
 *           (UTF-8, XML 1.0)  (per stanza)                    │
 *                                                             ▼
 *   pop ◀──────────────── event queue ◀──────── stanza tree being built
 *
 * Depth 0 is the <stream:stream> root, depth 1 the stanzas. Everything
 * restricted by RFC 6120 §11.1 stops the parser; see SECURITY.md §2.6 for
 * why each libxml2 callback is set rather than left NULL.
 */

/* Long enough for any sensible XML declaration, short enough that
 * waiting for its end cannot hold much data back. */
#define MAX_XML_DECL_BYTES 256

/* Namespaces interned for the stanzas, by libxml2's own pointer to the
 * name: libxml2 keeps each namespace name once in its dictionary for the
 * life of the parser, so a pointer comparison finds it without taking
 * GLib's global lock for interning. */
#define NS_CACHE_SIZE 8

typedef struct
{
  const xmlChar *uri;
  char          *ns;   /* GRefString */
} NsCacheEntry;

#if LIBXML_VERSION >= 21200
typedef const xmlError *ReaderXmlError;
#else
typedef xmlErrorPtr ReaderXmlError;
#endif

typedef struct
{
  TalkXmppReaderEvent type;
  TalkXmppStanza *element;
} ReaderEvent;

struct _TalkXmppReader
{
  GObject parent_instance;

  xmlParserCtxtPtr ctxt;
  /* Of ReaderEvent, a FIFO from events_head on: no allocation per event. */
  GArray *events;
  guint events_head;
  GError *error;

  gsize max_stanza_bytes;
  guint max_depth;

  /* Bytes held back until the XML declaration has been checked; NULL once
   * it has been. */
  GString *prolog;

  /* Bytes handed to libxml2, and the stream offset of the last stanza
   * boundary: their difference is the budget in use (Prosody's method). */
  guint64 fed;
  guint64 boundary;

  /* Open elements, the root included. */
  guint depth;
  TalkXmppStanza *stanza;
  TalkXmppStanza *current;
  GString *text;
  GString *scratch;
  GString *ns_scratch;

  char *stream_ns;

  NsCacheEntry ns_cache[NS_CACHE_SIZE];
  guint ns_cache_next;
  char *no_ns;  /* "" interned, for elements in no namespace */
};

G_DEFINE_FINAL_TYPE (TalkXmppReader, talk_xmpp_reader, G_TYPE_OBJECT)

static void
reader_event_clear (gpointer data)
{
  ReaderEvent *event = data;

  g_clear_pointer (&event->element, talk_xmpp_stanza_unref);
}

static void
push_event (TalkXmppReader      *self,
            TalkXmppReaderEvent  type,
            TalkXmppStanza      *element)
{
  ReaderEvent event = { type, element };

  g_array_append_val (self->events, event);
}

static ReaderEvent *
peek_event (TalkXmppReader *self)
{
  if (self->events_head >= self->events->len)
    return NULL;
  return &g_array_index (self->events, ReaderEvent, self->events_head);
}

static void
clear_events (TalkXmppReader *self)
{
  /* The array's clear function drops what was not popped; popped events
   * hold nothing any more. */
  g_array_set_size (self->events, 0);
  self->events_head = 0;
}

static void
stop_parser (TalkXmppReader *self)
{
  if (self->ctxt != NULL)
    xmlStopParser (self->ctxt);
}

/* Records the first error only: whatever libxml2 says after we stopped it
 * is a consequence, not the cause. */
static void
fail (TalkXmppReader          *self,
      TalkXmppStreamErrorCode  code,
      const char              *message)
{
  if (self->error == NULL)
    self->error = g_error_new_literal (TALK_XMPP_STREAM_ERROR, code, message);
  stop_parser (self);
}

G_GNUC_PRINTF (3, 4)
static void
fail_printf (TalkXmppReader          *self,
             TalkXmppStreamErrorCode  code,
             const char              *format,
             ...)
{
  g_autofree char *message = NULL;
  va_list args;

  if (self->error != NULL)
    {
      stop_parser (self);
      return;
    }

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  fail (self, code, message);
}

/* Names and libxml2 messages end up in error messages a person may read:
 * keep them short and valid UTF-8 whatever the peer sent. */
static char *
shorten (const char *text)
{
  g_autofree char *valid = g_utf8_make_valid (text, -1);
  g_autofree char *head = NULL;

  if (g_utf8_strlen (valid, -1) <= 64)
    return g_steal_pointer (&valid);

  head = g_utf8_substring (valid, 0, 64);
  return g_strconcat (head, "…", NULL);
}

/* Runs inside xmlParseChunk(): the offset counts the slice being parsed,
 * which feed_parser() adds to self->fed once the call returns. */
static void
mark_boundary (TalkXmppReader *self)
{
  long consumed = xmlByteConsumed (self->ctxt);

  if (consumed >= 0)
    self->boundary = (guint64) consumed;
}

/* libxml2 reports a start tag before it steps over the closing '>'. */
static void
mark_boundary_after_start_tag (TalkXmppReader *self)
{
  xmlParserInputPtr input = self->ctxt->input;

  mark_boundary (self);
  if (input != NULL && input->cur != NULL && input->cur < input->end &&
      *input->cur == '>')
    self->boundary++;
}

static void
flush_text (TalkXmppReader *self)
{
  if (self->text->len == 0)
    return;

  talk_xmpp_stanza_add_text_len (self->current, self->text->str,
                                 (gssize) self->text->len);
  g_string_truncate (self->text, 0);
}

/* Without entity substitution libxml2 keeps an '&' in an attribute value
 * as "&#38;" for its tree builder to decode later (xmlParseAttValueComplex);
 * every other reference has been resolved or refused by then. */
static void
append_attribute_value (GString    *out,
                        const char *value,
                        const char *end)
{
  const char *amp;

  while ((amp = memchr (value, '&', end - value)) != NULL)
    {
      g_string_append_len (out, value, amp - value);
      g_string_append_c (out, '&');
      if (end - amp >= 5 && memcmp (amp, "&#38;", 5) == 0)
        value = amp + 5;
      else
        value = amp + 1;
    }
  g_string_append_len (out, value, end - value);
}

/* A namespace name is an attribute value too, with the same "&#38;". */
static const char *
decode_namespace (TalkXmppReader *self,
                  const xmlChar  *uri)
{
  const char *ns = (const char *) uri;

  if (ns == NULL || strchr (ns, '&') == NULL)
    return ns;

  g_string_truncate (self->ns_scratch, 0);
  append_attribute_value (self->ns_scratch, ns, ns + strlen (ns));
  return self->ns_scratch->str;
}

static void
clear_ns_cache (TalkXmppReader *self)
{
  for (guint i = 0; i < NS_CACHE_SIZE; i++)
    {
      g_clear_pointer (&self->ns_cache[i].ns, g_ref_string_release);
      self->ns_cache[i].uri = NULL;
    }
  self->ns_cache_next = 0;
}

/* Returns: (transfer none): the element namespace for @uri, interned;
 * "" for none, so that the element never inherits its parent's. */
static char *
lookup_ns (TalkXmppReader *self,
           const xmlChar  *uri)
{
  const char *decoded;
  NsCacheEntry *entry;

  if (uri == NULL)
    return self->no_ns;

  for (guint i = 0; i < NS_CACHE_SIZE; i++)
    if (self->ns_cache[i].uri == uri)
      return self->ns_cache[i].ns;

  entry = &self->ns_cache[self->ns_cache_next];
  self->ns_cache_next = (self->ns_cache_next + 1) % NS_CACHE_SIZE;
  g_clear_pointer (&entry->ns, g_ref_string_release);

  /* A name decoded from "&#38;" is not libxml2's: not kept. */
  decoded = decode_namespace (self, uri);
  entry->ns = g_ref_string_new_intern (decoded);
  entry->uri = decoded == (const char *) uri ? uri : NULL;
  return entry->ns;
}

/* Without an "&#38;" to decode (nearly always), the attributes go over in
 * one piece, straight from libxml2's buffer. */
static gboolean
copy_plain_attributes (TalkXmppStanza  *element,
                       int              nb_attributes,
                       const xmlChar  **attributes)
{
  TalkXmppAttributeSpan spans[TALK_XMPP_READER_MAX_ATTRIBUTES];
  guint n = 0;

  g_assert (nb_attributes <= TALK_XMPP_READER_MAX_ATTRIBUTES);

  for (int i = 0; i < nb_attributes; i++)
    {
      const char *name = (const char *) attributes[i * 5];
      const char *uri = (const char *) attributes[i * 5 + 2];
      const char *value = (const char *) attributes[i * 5 + 3];
      const char *end = (const char *) attributes[i * 5 + 4];

      if (memchr (value, '&', end - value) != NULL ||
          (uri != NULL && strchr (uri, '&') != NULL))
        return FALSE;

      /* See copy_attributes(). */
      if (strcmp (name, "xmlns") == 0)
        continue;

      spans[n].ns = uri;
      spans[n].name = name;
      spans[n].value = value;
      spans[n].value_len = end - value;
      n++;
    }

  _talk_xmpp_stanza_set_attributes (element, spans, n);
  return TRUE;
}

/* libxml2 hands attribute values as (start, end) pointers into its buffer. */
static void
copy_attributes (TalkXmppReader  *self,
                 TalkXmppStanza  *element,
                 int              nb_attributes,
                 const xmlChar  **attributes)
{
  if (copy_plain_attributes (element, nb_attributes, attributes))
    return;

  for (int i = 0; i < nb_attributes; i++)
    {
      const char *name = (const char *) attributes[i * 5];
      const char *uri = decode_namespace (self, attributes[i * 5 + 2]);
      const char *value = (const char *) attributes[i * 5 + 3];
      const char *end = (const char *) attributes[i * 5 + 4];

      /* "p:xmlns" is well-formed but means nothing, and TalkXmppStanza
       * keeps that name for declarations. Dropped rather than refused:
       * servers relay payloads, so refusing would let any contact break
       * the stream. */
      if (strcmp (name, "xmlns") == 0)
        continue;

      if (memchr (value, '&', end - value) == NULL)
        {
          _talk_xmpp_stanza_set_attribute_len (element, uri, name, value, end - value);
          continue;
        }

      g_string_truncate (self->scratch, 0);
      append_attribute_value (self->scratch, value, end);
      _talk_xmpp_stanza_set_attribute_len (element, uri, name, self->scratch->str,
                                           self->scratch->len);
    }
}

static void
open_stream (TalkXmppReader  *self,
             const char      *localname,
             const char      *uri,
             int              nb_namespaces,
             const xmlChar  **namespaces,
             int              nb_attributes,
             const xmlChar  **attributes)
{
  TalkXmppStanza *header;

  /* RFC 6120 §4.9.3.10: the stream element lives in the streams namespace. */
  if (g_strcmp0 (uri, TALK_XMPP_NS_STREAM) != 0)
    {
      g_autofree char *shown = shorten (uri != NULL ? uri : "");

      fail_printf (self, TALK_XMPP_STREAM_ERROR_INVALID_NAMESPACE,
                   _("The stream root is in namespace “%s”, not %s"),
                   shown, TALK_XMPP_NS_STREAM);
      return;
    }
  if (strcmp (localname, "stream") != 0)
    {
      g_autofree char *shown = shorten (localname);

      fail_printf (self, TALK_XMPP_STREAM_ERROR_BAD_FORMAT,
                   _("The stream root is <%s>, not <stream>"), shown);
      return;
    }

  /* The content namespace is the default one declared on the root. */
  for (int i = 0; i < nb_namespaces; i++)
    {
      if (namespaces[i * 2] == NULL)
        {
          g_free (self->stream_ns);
          self->stream_ns = g_strdup (decode_namespace (self, namespaces[i * 2 + 1]));
        }
    }

  header = talk_xmpp_stanza_new ("stream", TALK_XMPP_NS_STREAM);
  copy_attributes (self, header, nb_attributes, attributes);
  push_event (self, TALK_XMPP_READER_EVENT_STREAM_OPEN, header);

  self->depth = 1;
  mark_boundary_after_start_tag (self);
}

static void
start_element_cb (void           *user_data,
                  const xmlChar  *localname,
                  const xmlChar  *prefix,
                  const xmlChar  *uri,
                  int             nb_namespaces,
                  const xmlChar **namespaces,
                  int             nb_attributes,
                  int             nb_defaulted,
                  const xmlChar **attributes)
{
  TalkXmppReader *self = user_data;
  TalkXmppStanza *element;

  if (self->error != NULL)
    return;

  if (nb_attributes > TALK_XMPP_READER_MAX_ATTRIBUTES ||
      nb_namespaces > TALK_XMPP_READER_MAX_ATTRIBUTES)
    {
      g_autofree char *shown = shorten ((const char *) localname);

      fail_printf (self, TALK_XMPP_STREAM_ERROR_POLICY_VIOLATION,
                   _("Element <%s> has more than %d attributes"),
                   shown, TALK_XMPP_READER_MAX_ATTRIBUTES);
      return;
    }

  if (self->depth == 0)
    {
      open_stream (self, (const char *) localname, (const char *) uri,
                   nb_namespaces, namespaces, nb_attributes, attributes);
      return;
    }

  if (self->depth > self->max_depth)
    {
      fail_printf (self, TALK_XMPP_STREAM_ERROR_POLICY_VIOLATION,
                   _("Elements nested deeper than %u levels"), self->max_depth);
      return;
    }

  element = _talk_xmpp_stanza_new_interned ((const char *) localname, lookup_ns (self, uri));
  copy_attributes (self, element, nb_attributes, attributes);

  if (self->depth == 1)
    {
      self->stanza = element;
    }
  else
    {
      flush_text (self);
      _talk_xmpp_stanza_append_element (self->current, element);
    }

  self->current = element;
  self->depth++;
}

static void
end_element_cb (void          *user_data,
                const xmlChar *localname,
                const xmlChar *prefix,
                const xmlChar *uri)
{
  TalkXmppReader *self = user_data;

  if (self->error != NULL || self->depth == 0)
    return;

  self->depth--;

  if (self->depth == 0)
    {
      push_event (self, TALK_XMPP_READER_EVENT_STREAM_CLOSE, NULL);
      mark_boundary (self);
      return;
    }

  flush_text (self);

  if (self->depth == 1)
    {
      self->current = NULL;
      push_event (self, TALK_XMPP_READER_EVENT_STANZA,
                  g_steal_pointer (&self->stanza));
      mark_boundary (self);
    }
  else
    {
      self->current = talk_xmpp_stanza_get_parent (self->current);
    }
}

static gboolean
is_xml_space (const xmlChar *text,
              int            len)
{
  for (int i = 0; i < len; i++)
    {
      if (text[i] != ' ' && text[i] != '\t' && text[i] != '\n' && text[i] != '\r')
        return FALSE;
    }

  return TRUE;
}

static void
characters_cb (void          *user_data,
               const xmlChar *text,
               int            len)
{
  TalkXmppReader *self = user_data;

  if (self->error != NULL)
    return;

  if (self->depth >= 2)
    {
      g_string_append_len (self->text, (const char *) text, len);
      return;
    }

  /* Between stanzas only whitespace keepalives are allowed (RFC 6120
   * §4.6.1); they end the previous stanza's budget like a stanza would. */
  if (!is_xml_space (text, len))
    {
      fail (self, TALK_XMPP_STREAM_ERROR_BAD_FORMAT,
            _("Text is not allowed between stanzas"));
      return;
    }

  mark_boundary (self);
}

static void
restricted (TalkXmppReader *self,
            const char     *message)
{
  fail (self, TALK_XMPP_STREAM_ERROR_RESTRICTED_XML, message);
}

static void
internal_subset_cb (void          *user_data,
                    const xmlChar *name,
                    const xmlChar *external_id,
                    const xmlChar *system_id)
{
  restricted (user_data,
              _("Document type declarations are not allowed (RFC 6120 §11.1)"));
}

static void
entity_decl_cb (void          *user_data,
                const xmlChar *name,
                int            type,
                const xmlChar *public_id,
                const xmlChar *system_id,
                xmlChar       *content)
{
  restricted (user_data,
              _("Entity declarations are not allowed (RFC 6120 §11.1)"));
}

static void
unparsed_entity_decl_cb (void          *user_data,
                         const xmlChar *name,
                         const xmlChar *public_id,
                         const xmlChar *system_id,
                         const xmlChar *notation_name)
{
  restricted (user_data,
              _("Entity declarations are not allowed (RFC 6120 §11.1)"));
}

static void
notation_decl_cb (void          *user_data,
                  const xmlChar *name,
                  const xmlChar *public_id,
                  const xmlChar *system_id)
{
  restricted (user_data,
              _("Notation declarations are not allowed (RFC 6120 §11.1)"));
}

static void
attribute_decl_cb (void              *user_data,
                   const xmlChar     *element,
                   const xmlChar     *fullname,
                   int                type,
                   int                def,
                   const xmlChar     *default_value,
                   xmlEnumerationPtr  tree)
{
  /* The callback owns the enumeration (see xmlParseAttributeListDecl). */
  if (tree != NULL)
    xmlFreeEnumeration (tree);
  restricted (user_data,
              _("Attribute declarations are not allowed (RFC 6120 §11.1)"));
}

static void
element_decl_cb (void                 *user_data,
                 const xmlChar        *name,
                 int                   type,
                 xmlElementContentPtr  content)
{
  restricted (user_data,
              _("Element declarations are not allowed (RFC 6120 §11.1)"));
}

/* Returning NULL for every entity is what keeps declared entities from
 * ever being expanded: libxml2 consults its own table only when the user
 * data is the parser context (SECURITY.md §2.3). */
static xmlEntityPtr
get_entity_cb (void          *user_data,
               const xmlChar *name)
{
  restricted (user_data,
              _("Entity references other than the predefined ones are not allowed (RFC 6120 §11.1)"));
  return NULL;
}

static xmlEntityPtr
get_parameter_entity_cb (void          *user_data,
                         const xmlChar *name)
{
  restricted (user_data,
              _("Parameter entities are not allowed (RFC 6120 §11.1)"));
  return NULL;
}

static xmlParserInputPtr
resolve_entity_cb (void          *user_data,
                   const xmlChar *public_id,
                   const xmlChar *system_id)
{
  restricted (user_data,
              _("External entities are not allowed (RFC 6120 §11.1)"));
  return NULL;
}

static void
reference_cb (void          *user_data,
              const xmlChar *name)
{
  restricted (user_data,
              _("Entity references other than the predefined ones are not allowed (RFC 6120 §11.1)"));
}

static void
processing_instruction_cb (void          *user_data,
                           const xmlChar *target,
                           const xmlChar *data)
{
  restricted (user_data,
              _("Processing instructions are not allowed (RFC 6120 §11.1)"));
}

static void
comment_cb (void          *user_data,
            const xmlChar *value)
{
  restricted (user_data, _("Comments are not allowed (RFC 6120 §11.1)"));
}

static void
structured_error_cb (void           *user_data,
                     ReaderXmlError  xml_error)
{
  TalkXmppReader *self = user_data;
  TalkXmppStreamErrorCode code = TALK_XMPP_STREAM_ERROR_NOT_WELL_FORMED;
  g_autofree char *first_line = NULL;
  g_autofree char *detail = NULL;

  /* Warnings do not make a stream unusable; everything from XML_ERR_ERROR
   * up does, except a namespace name that is not an absolute URI: that is
   * only a SHOULD (Namespaces in XML 1.0 §2.2), servers relay such
   * payloads, and refusing them would let any contact break the stream. */
  if (xml_error->level == XML_ERR_WARNING ||
      xml_error->code == XML_WAR_NS_URI ||
      xml_error->code == XML_WAR_NS_URI_RELATIVE)
    {
      g_debug ("XML warning: %s", xml_error->message);
      return;
    }

  /* RFC 6120 §4.9.3.2 */
  if (xml_error->domain == XML_FROM_NAMESPACE &&
      xml_error->code == XML_NS_ERR_UNDEFINED_NAMESPACE)
    code = TALK_XMPP_STREAM_ERROR_BAD_NAMESPACE_PREFIX;

  /* libxml2 adds a hex dump on further lines for encoding errors. */
  first_line = g_strdup (xml_error->message != NULL ? xml_error->message : "");
  first_line[strcspn (first_line, "\n")] = '\0';
  detail = shorten (first_line);
  fail_printf (self, code, _("Malformed XML at line %d: %s"),
               xml_error->line, detail);
}

static const xmlSAXHandler reader_sax = {
  .internalSubset = internal_subset_cb,
  .externalSubset = internal_subset_cb,
  .resolveEntity = resolve_entity_cb,
  .getEntity = get_entity_cb,
  .getParameterEntity = get_parameter_entity_cb,
  .entityDecl = entity_decl_cb,
  .unparsedEntityDecl = unparsed_entity_decl_cb,
  .notationDecl = notation_decl_cb,
  .attributeDecl = attribute_decl_cb,
  .elementDecl = element_decl_cb,
  .reference = reference_cb,
  .characters = characters_cb,
  .cdataBlock = characters_cb,
  .processingInstruction = processing_instruction_cb,
  .comment = comment_cb,
  .initialized = XML_SAX2_MAGIC,
  .startElementNs = start_element_cb,
  .endElementNs = end_element_cb,
  .serror = structured_error_cb,
};

static gboolean
ensure_parser (TalkXmppReader *self)
{
  int options = XML_PARSE_NONET | XML_PARSE_IGNORE_ENC;

  if (self->ctxt != NULL)
    return TRUE;

#if LIBXML_VERSION >= 21300
  options |= XML_PARSE_NO_XXE;
#endif

  /* The user data is the reader, never the context (SECURITY.md §2.3). No
   * initial chunk: the first bytes reach libxml2 only after
   * check_prolog() has accepted them. */
  self->ctxt = xmlCreatePushParserCtxt ((xmlSAXHandler *) &reader_sax, self,
                                        NULL, 0, NULL);
  if (self->ctxt == NULL)
    {
      fail (self, TALK_XMPP_STREAM_ERROR_INTERNAL_SERVER_ERROR,
            _("Could not create an XML parser"));
      return FALSE;
    }
  xmlCtxtUseOptions (self->ctxt, options);

  return TRUE;
}

static gboolean
is_decl_space (char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Reads one pseudo-attribute of the XML declaration (XML 1.0 §2.8):
 * S name S? '=' S? quoted-value. */
static gboolean
next_pseudo_attribute (const char **cursor,
                       const char  *end,
                       const char **name,
                       gsize       *name_len,
                       const char **value,
                       gsize       *value_len)
{
  const char *p = *cursor;
  const char *close;
  char quote;

  if (p >= end || !is_decl_space (*p))
    return FALSE;
  while (p < end && is_decl_space (*p))
    p++;

  *name = p;
  while (p < end && g_ascii_isalpha (*p))
    p++;
  *name_len = p - *name;

  while (p < end && is_decl_space (*p))
    p++;
  if (*name_len == 0 || p >= end || *p != '=')
    return FALSE;
  p++;
  while (p < end && is_decl_space (*p))
    p++;

  if (p >= end || (*p != '\'' && *p != '"'))
    return FALSE;
  quote = *p++;
  close = memchr (p, quote, end - p);
  if (close == NULL)
    return FALSE;

  *value = p;
  *value_len = close - p;
  *cursor = close + 1;

  return TRUE;
}

static gboolean
span_equal (const char *span,
            gsize       len,
            const char *literal)
{
  return len == strlen (literal) && memcmp (span, literal, len) == 0;
}

static gboolean
span_equal_ascii_case (const char *span,
                       gsize       len,
                       const char *literal)
{
  return len == strlen (literal) && g_ascii_strncasecmp (span, literal, len) == 0;
}

/* @decl spans "<?xml" … up to, not including, "?>". */
static gboolean
check_xml_decl (TalkXmppReader *self,
                const char     *decl,
                const char     *end)
{
  const char *cursor = decl + strlen ("<?xml");
  const char *name;
  const char *value;
  gsize name_len;
  gsize value_len;
  gboolean seen_version = FALSE;

  while (next_pseudo_attribute (&cursor, end, &name, &name_len,
                                &value, &value_len))
    {
      if (!seen_version && span_equal (name, name_len, "version"))
        {
          seen_version = TRUE;
          /* RFC 6120 §11.5: XML 1.0 only. */
          if (!span_equal (value, value_len, "1.0"))
            {
              fail_printf (self, TALK_XMPP_STREAM_ERROR_UNSUPPORTED_VERSION,
                           _("XML version %.*s is not supported; only 1.0 is (RFC 6120 §11.5)"),
                           (int) MIN (value_len, 16), value);
              return FALSE;
            }
        }
      else if (seen_version && span_equal (name, name_len, "encoding"))
        {
          /* RFC 6120 §11.6: UTF-8 only; libxml2 never switches. */
          if (!span_equal_ascii_case (value, value_len, "UTF-8") &&
              !span_equal_ascii_case (value, value_len, "UTF8"))
            {
              fail_printf (self, TALK_XMPP_STREAM_ERROR_UNSUPPORTED_ENCODING,
                           _("Encoding “%.*s” is not supported; only UTF-8 is (RFC 6120 §11.6)"),
                           (int) MIN (value_len, 32), value);
              return FALSE;
            }
        }
      else if (!seen_version || !span_equal (name, name_len, "standalone"))
        {
          break;
        }
    }

  while (cursor < end && is_decl_space (*cursor))
    cursor++;
  if (!seen_version || cursor != end)
    {
      fail (self, TALK_XMPP_STREAM_ERROR_NOT_WELL_FORMED,
            _("Malformed XML declaration"));
      return FALSE;
    }

  return TRUE;
}

typedef enum
{
  PROLOG_NEED_MORE,
  PROLOG_ACCEPTED,
  PROLOG_REFUSED,
} PrologResult;

/* Decides on the bytes up to the first NUL, which feed_parser() refuses. */
static PrologResult
check_decl (TalkXmppReader *self,
            const char     *p,
            gsize           len)
{
  static const char bom[] = "\xEF\xBB\xBF";
  static const char decl[] = "<?xml";
  const char *decl_end;

  if (len >= 3 && memcmp (p, bom, 3) == 0)
    {
      p += 3;
      len -= 3;
    }

  if (memcmp (p, decl, MIN (len, strlen (decl))) != 0)
    return PROLOG_ACCEPTED;
  if (len <= strlen (decl))
    return PROLOG_NEED_MORE;
  /* "<?xml-stylesheet" and friends are processing instructions, refused
   * later by the parser. */
  if (!is_decl_space (p[strlen (decl)]))
    return PROLOG_ACCEPTED;

  decl_end = g_strstr_len (p, (gssize) MIN (len, MAX_XML_DECL_BYTES), "?>");
  if (decl_end == NULL)
    {
      if (len < MAX_XML_DECL_BYTES)
        return PROLOG_NEED_MORE;
      fail (self, TALK_XMPP_STREAM_ERROR_NOT_WELL_FORMED,
            _("Malformed XML declaration"));
      return PROLOG_REFUSED;
    }

  if (!check_xml_decl (self, p, decl_end))
    return PROLOG_REFUSED;

  return PROLOG_ACCEPTED;
}

/* Looks at the start of the stream before libxml2 does, so that it never
 * detects or switches to an encoding other than UTF-8. */
static PrologResult
check_prolog (TalkXmppReader *self)
{
  const char *p = self->prolog->str;
  gsize len = self->prolog->len;
  const char *nul;
  PrologResult result;
  xmlCharEncoding enc;

  /* libxml2 detects the encoding from exactly these first bytes. */
  enc = xmlDetectCharEncoding ((const unsigned char *) p, (int) MIN (len, 4));
  if (enc != XML_CHAR_ENCODING_NONE && enc != XML_CHAR_ENCODING_UTF8)
    {
      fail (self, TALK_XMPP_STREAM_ERROR_UNSUPPORTED_ENCODING,
            _("The stream is not encoded in UTF-8 (RFC 6120 §11.6)"));
      return PROLOG_REFUSED;
    }
  if (len < 4)
    return PROLOG_NEED_MORE;

  nul = memchr (p, '\0', len);
  result = check_decl (self, p, nul != NULL ? (gsize) (nul - p) : len);

  /* Waiting cannot complete a declaration cut short by a NUL. */
  if (result == PROLOG_NEED_MORE && nul != NULL)
    return PROLOG_ACCEPTED;

  return result;
}

/* Feeds libxml2 in slices no larger than what is left of the stanza
 * budget, so an endless tag or attribute fails as soon as it passes the
 * limit and never grows libxml2's buffer beyond it (SECURITY.md §2.6). */
static gboolean
feed_parser (TalkXmppReader *self,
             const char     *data,
             gsize           len)
{
  /* XML 1.0 §2.2 forbids U+0000, and libxml2 takes a NUL byte in its
   * buffer for the end of the input: stop before it gets there. */
  const char *nul = memchr (data, '\0', len);

  if (nul != NULL)
    {
      if (!feed_parser (self, data, nul - data))
        return FALSE;
      fail (self, TALK_XMPP_STREAM_ERROR_NOT_WELL_FORMED,
            _("The stream contains a NUL byte"));
      return FALSE;
    }

  while (len > 0)
    {
      guint64 outstanding = self->fed > self->boundary ? self->fed - self->boundary : 0;
      gsize slice;

      if (outstanding >= self->max_stanza_bytes)
        {
          fail_printf (self, TALK_XMPP_STREAM_ERROR_POLICY_VIOLATION,
                       _("Stanza larger than %lu bytes"),
                       (gulong) self->max_stanza_bytes);
          return FALSE;
        }

      slice = MIN (len, self->max_stanza_bytes - outstanding);
      slice = MIN (slice, G_MAXINT);
      xmlParseChunk (self->ctxt, data, (int) slice, 0);
      self->fed += slice;
      data += slice;
      len -= slice;

      if (self->error != NULL)
        return FALSE;
    }

  return TRUE;
}

static gboolean
feed_prolog (TalkXmppReader *self,
             const char     *data,
             gsize           len)
{
  g_autoptr(GString) held = NULL;

  g_string_append_len (self->prolog, data, len);

  switch (check_prolog (self))
    {
    case PROLOG_NEED_MORE:
      return TRUE;
    case PROLOG_REFUSED:
      return FALSE;
    case PROLOG_ACCEPTED:
      held = g_steal_pointer (&self->prolog);
      return feed_parser (self, held->str, held->len);
    default:
      g_assert_not_reached ();
    }
}

gboolean
talk_xmpp_reader_feed (TalkXmppReader  *self,
                       const char      *data,
                       gsize            len,
                       GError         **error)
{
  gboolean ok;

  g_return_val_if_fail (TALK_XMPP_IS_READER (self), FALSE);
  g_return_val_if_fail (data != NULL || len == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->error == NULL && len > 0 && ensure_parser (self))
    {
      if (self->prolog != NULL)
        ok = feed_prolog (self, data, len);
      else
        ok = feed_parser (self, data, len);

      /* The partial stanza is of no use once the stream has failed. */
      if (!ok)
        {
          g_clear_pointer (&self->stanza, talk_xmpp_stanza_unref);
          self->current = NULL;
        }
    }

  if (self->error != NULL)
    {
      if (error != NULL)
        *error = g_error_copy (self->error);
      return FALSE;
    }

  return TRUE;
}

TalkXmppReaderEvent
talk_xmpp_reader_pop (TalkXmppReader  *self,
                      TalkXmppStanza **out_element)
{
  ReaderEvent *event;
  TalkXmppReaderEvent type;

  g_return_val_if_fail (TALK_XMPP_IS_READER (self), TALK_XMPP_READER_EVENT_NONE);

  if (out_element != NULL)
    *out_element = NULL;

  event = peek_event (self);
  if (event == NULL)
    return TALK_XMPP_READER_EVENT_NONE;

  type = event->type;
  if (out_element != NULL)
    *out_element = g_steal_pointer (&event->element);
  reader_event_clear (event);

  /* Emptied: start over at the front rather than grow. */
  if (++self->events_head == self->events->len)
    {
      g_array_set_size (self->events, 0);
      self->events_head = 0;
    }

  return type;
}

TalkXmppReaderEvent
talk_xmpp_reader_peek (TalkXmppReader  *self,
                       TalkXmppStanza **out_element)
{
  ReaderEvent *event;

  g_return_val_if_fail (TALK_XMPP_IS_READER (self), TALK_XMPP_READER_EVENT_NONE);

  event = peek_event (self);
  if (out_element != NULL)
    *out_element = event != NULL ? event->element : NULL;

  return event != NULL ? event->type : TALK_XMPP_READER_EVENT_NONE;
}

static void
clear_stream (TalkXmppReader *self)
{
  /* The cache is keyed by the parser's dictionary. */
  clear_ns_cache (self);
  g_clear_pointer (&self->ctxt, xmlFreeParserCtxt);
  clear_events (self);
  g_clear_error (&self->error);
  g_clear_pointer (&self->stanza, talk_xmpp_stanza_unref);
  self->current = NULL;
  g_string_truncate (self->text, 0);
  g_clear_pointer (&self->stream_ns, g_free);
  self->depth = 0;
  self->fed = 0;
  self->boundary = 0;
}

void
talk_xmpp_reader_reset (TalkXmppReader *self)
{
  g_return_if_fail (TALK_XMPP_IS_READER (self));

  clear_stream (self);
  if (self->prolog == NULL)
    self->prolog = g_string_new (NULL);
  else
    g_string_truncate (self->prolog, 0);
}

void
talk_xmpp_reader_set_max_stanza_bytes (TalkXmppReader *self,
                                       gsize           max_bytes)
{
  g_return_if_fail (TALK_XMPP_IS_READER (self));
  g_return_if_fail (max_bytes > 0);

  self->max_stanza_bytes = max_bytes;
}

void
talk_xmpp_reader_set_max_depth (TalkXmppReader *self,
                                guint           max_depth)
{
  g_return_if_fail (TALK_XMPP_IS_READER (self));

  self->max_depth = max_depth;
}

const char *
talk_xmpp_reader_get_stream_ns (TalkXmppReader *self)
{
  g_return_val_if_fail (TALK_XMPP_IS_READER (self), NULL);

  return self->stream_ns;
}

static void
talk_xmpp_reader_finalize (GObject *object)
{
  TalkXmppReader *self = TALK_XMPP_READER (object);

  clear_stream (self);
  if (self->prolog != NULL)
    g_string_free (self->prolog, TRUE);
  g_string_free (self->text, TRUE);
  g_string_free (self->scratch, TRUE);
  g_string_free (self->ns_scratch, TRUE);
  g_array_unref (self->events);
  g_ref_string_release (self->no_ns);

  G_OBJECT_CLASS (talk_xmpp_reader_parent_class)->finalize (object);
}

static void
talk_xmpp_reader_class_init (TalkXmppReaderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = talk_xmpp_reader_finalize;

  xmlInitParser ();
}

static void
talk_xmpp_reader_init (TalkXmppReader *self)
{
  self->events = g_array_new (FALSE, FALSE, sizeof (ReaderEvent));
  g_array_set_clear_func (self->events, reader_event_clear);
  self->max_stanza_bytes = TALK_XMPP_READER_DEFAULT_MAX_STANZA_BYTES;
  self->max_depth = TALK_XMPP_READER_DEFAULT_MAX_DEPTH;
  self->prolog = g_string_new (NULL);
  self->text = g_string_new (NULL);
  self->scratch = g_string_new (NULL);
  self->ns_scratch = g_string_new (NULL);
  self->no_ns = g_ref_string_new_intern ("");
}

TalkXmppReader *
talk_xmpp_reader_new (void)
{
  return g_object_new (TALK_XMPP_TYPE_READER, NULL);
}
