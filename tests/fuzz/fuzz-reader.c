/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libFuzzer target for TalkXmppReader. The first input byte picks how the
 * rest is cut into chunks and which limits apply; the rest is the stream.
 *
 * Besides the sanitizers, three properties are checked:
 *  - the events (and the error condition, if any) do not depend on how
 *    the bytes were cut: the stream is parsed chunked, then again whole
 *    after a reset;
 *  - every stanza, serialised and parsed again, serialises the same way;
 *  - a stanza never comes out deeper than the depth limit.
 */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "talk-xmpp-reader.h"

#define STREAM_HEADER \
  "<stream:stream xmlns='jabber:client'" \
  " xmlns:stream='http://etherx.jabber.org/streams'>"

int LLVMFuzzerInitialize    (int            *argc,
                             char         ***argv);
int LLVMFuzzerTestOneInput  (const uint8_t  *data,
                             size_t          size);

/* abort() rather than g_error(): libFuzzer saves the input on SIGABRT,
 * not on the SIGTRAP g_error() raises. */
G_GNUC_PRINTF (1, 2) G_GNUC_NORETURN
static void
fuzz_fail (const char *format,
           ...)
{
  va_list args;

  va_start (args, format);
  vfprintf (stderr, format, args);
  va_end (args);
  fputc ('\n', stderr);
  abort ();
}

static guint
element_depth (TalkXmppStanza *element)
{
  TalkXmppStanzaIter iter;
  TalkXmppStanza *child;
  guint deepest = 0;

  talk_xmpp_stanza_iter_init (&iter, element);
  while (talk_xmpp_stanza_iter_next (&iter, &child))
    deepest = MAX (deepest, element_depth (child));

  return deepest + 1;
}

/* Parses the serialised stanzas again, as one stream, and checks each
 * comes out the same. */
static void
check_round_trip (GPtrArray *serialised)
{
  g_autoptr(TalkXmppReader) reader = NULL;
  g_autoptr(GString) stream = NULL;
  g_autoptr(GError) error = NULL;

  if (serialised->len == 0)
    return;

  reader = talk_xmpp_reader_new ();
  stream = g_string_new (STREAM_HEADER);
  for (guint i = 0; i < serialised->len; i++)
    g_string_append (stream, g_ptr_array_index (serialised, i));

  if (!talk_xmpp_reader_feed (reader, stream->str, stream->len, &error))
    fuzz_fail ("serialised stanzas refused (%s): %s", error->message, stream->str);
  if (talk_xmpp_reader_pop (reader, NULL) != TALK_XMPP_READER_EVENT_STREAM_OPEN)
    fuzz_fail ("no stream header: %s", stream->str);

  for (guint i = 0; i < serialised->len; i++)
    {
      g_autoptr(TalkXmppStanza) again = NULL;
      g_autofree char *again_serialised = NULL;
      const char *expected = g_ptr_array_index (serialised, i);

      if (talk_xmpp_reader_pop (reader, &again) != TALK_XMPP_READER_EVENT_STANZA)
        fuzz_fail ("serialised stanza did not parse back: %s", expected);
      again_serialised = talk_xmpp_stanza_to_string (again, TALK_XMPP_NS_CLIENT);
      if (strcmp (again_serialised, expected) != 0)
        fuzz_fail ("round trip changed the stanza:\n%s\n%s", expected, again_serialised);
    }

  if (talk_xmpp_reader_pop (reader, NULL) != TALK_XMPP_READER_EVENT_NONE)
    fuzz_fail ("serialised stanzas parsed into extra events: %s", stream->str);
}

static void
drain (TalkXmppReader *reader,
       GString        *log,
       guint           max_depth,
       GPtrArray      *stanzas)
{
  for (;;)
    {
      g_autoptr(TalkXmppStanza) element = NULL;
      g_autofree char *serialised = NULL;
      TalkXmppReaderEvent event = talk_xmpp_reader_pop (reader, &element);

      if (event == TALK_XMPP_READER_EVENT_NONE)
        return;

      g_string_append_printf (log, "%d ", event);
      if (element != NULL)
        {
          serialised = talk_xmpp_stanza_to_string (element, TALK_XMPP_NS_CLIENT);
          g_string_append (log, serialised);
        }
      g_string_append_c (log, '\n');

      if (event == TALK_XMPP_READER_EVENT_STANZA)
        {
          if (element_depth (element) > max_depth)
            fuzz_fail ("stanza deeper than the limit of %u", max_depth);
          if (stanzas != NULL)
            g_ptr_array_add (stanzas, g_strdup (serialised));
        }
    }
}

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  /* A critical from the stanza API is a bug worth a crash report. */
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(TalkXmppReader) reader = NULL;
  g_autoptr(GString) chunked = g_string_new (NULL);
  g_autoptr(GString) whole = g_string_new (NULL);
  g_autoptr(GPtrArray) stanzas = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  const char *stream;
  gsize len;
  guint8 seed;
  guint32 state;
  guint max_chunk;
  guint max_depth = TALK_XMPP_READER_DEFAULT_MAX_DEPTH;
  gsize offset = 0;
  int chunked_code;
  int whole_code;
  gboolean equal;

  if (size == 0)
    return 0;

  seed = data[0];
  stream = (const char *) data + 1;
  len = size - 1;
  reader = talk_xmpp_reader_new ();

  /* Small limits reach the policy checks within -max_len. */
  if (seed & 0x80)
    {
      max_depth = 6;
      talk_xmpp_reader_set_max_stanza_bytes (reader, 256);
      talk_xmpp_reader_set_max_depth (reader, max_depth);
    }

  /* Chunk sizes from 1 to max_chunk, from a xorshift seeded by the byte. */
  max_chunk = 1u << (seed & 0x07);
  state = 0x9e3779b9u ^ seed;
  while (offset < len)
    {
      gsize chunk;

      state ^= state << 13;
      state ^= state >> 17;
      state ^= state << 5;
      chunk = MIN (len - offset, 1 + state % max_chunk);

      if (!talk_xmpp_reader_feed (reader, stream + offset, chunk, &error))
        break;
      offset += chunk;
      drain (reader, chunked, max_depth, stanzas);
    }
  drain (reader, chunked, max_depth, stanzas);
  chunked_code = error != NULL ? error->code : -1;
  g_clear_error (&error);

  /* The same stream after a restart, in one piece. Events queued before
   * an error stay queued, so both runs log the same events. */
  talk_xmpp_reader_reset (reader);
  talk_xmpp_reader_feed (reader, stream, len, &error);
  drain (reader, whole, max_depth, NULL);
  whole_code = error != NULL ? error->code : -1;

  /* Where libxml2 notices malformed input can depend on the cuts (it
   * waits for a '>' it believes ends a tag), so once either run failed the
   * two only have to agree on the events both produced. A stream that
   * parses cleanly must give the same events however it was cut. */
  if (chunked_code >= 0 || whole_code >= 0)
    equal = g_str_has_prefix (chunked->str, whole->str) ||
            g_str_has_prefix (whole->str, chunked->str);
  else
    equal = g_str_equal (chunked->str, whole->str);

  check_round_trip (stanzas);

  if (!equal)
    fuzz_fail ("chunking changed the result:\n--- chunked (error %d)\n%s\n"
               "--- whole (error %d)\n%s",
               chunked_code, chunked->str, whole_code, whole->str);

  return 0;
}
