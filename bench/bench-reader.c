/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Throughput of TalkXmppReader on a chat-like stream.
 *
 *   bench-reader [STANZAS] [RUNS]
 *
 * Builds one buffer with a stream header and STANZAS (default 100000)
 * message stanzas of about 300 bytes each (body, thread, origin-id and
 * a chat marker), feeds it in 4 KiB reads the way a socket
 * would deliver it, and pops every stanza after each read. Prints the
 * figures of each run; never asserts anything about time.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "talk-xmpp-reader.h"

#define READ_SIZE 4096

static const char *const bodies[] = {
  "Are you coming tonight? We could meet at the station at eight.",
  "Sure &amp; I will bring the tickets, see you there &lt;3",
  "The build is green again, thanks for looking into it so fast!",
  "Running ten minutes late, the tram is stuck behind a delivery van.",
};

static GString *
build_stream (guint n_stanzas)
{
  GString *out = g_string_sized_new ((gsize) n_stanzas * 320 + 512);

  g_string_append (out,
                   "<?xml version='1.0'?>"
                   "<stream:stream xmlns='jabber:client'"
                   " xmlns:stream='http://etherx.jabber.org/streams'"
                   " from='capulet.example' id='bench-stream' version='1.0'"
                   " xml:lang='en'>");

  for (guint i = 0; i < n_stanzas; i++)
    g_string_append_printf (out,
                            "<message from='juliet@capulet.example/balcony'"
                            " to='romeo@montague.example/orchard' type='chat'"
                            " id='m-%08x'>"
                            "<body>%s</body>"
                            "<thread>th-%04x</thread>"
                            "<origin-id xmlns='urn:xmpp:sid:0' id='o-%08x'/>"
                            "<markable xmlns='urn:xmpp:chat-markers:0'/>"
                            "</message>\n",
                            i, bodies[i % G_N_ELEMENTS (bodies)], i % 97, i);

  g_string_append (out, "</stream:stream>");
  return out;
}

static double
seconds (clockid_t clock)
{
  struct timespec ts;

  clock_gettime (clock, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static guint
run_once (const GString *stream)
{
  g_autoptr(TalkXmppReader) reader = talk_xmpp_reader_new ();
  g_autoptr(GError) error = NULL;
  guint stanzas = 0;

  for (gsize offset = 0; offset < stream->len; offset += READ_SIZE)
    {
      gsize len = MIN (READ_SIZE, stream->len - offset);
      TalkXmppReaderEvent event;
      TalkXmppStanza *element;

      if (!talk_xmpp_reader_feed (reader, stream->str + offset, len, &error))
        {
          g_printerr ("bench-reader: the stream was refused: %s\n", error->message);
          exit (EXIT_FAILURE);
        }

      while ((event = talk_xmpp_reader_pop (reader, &element)) !=
             TALK_XMPP_READER_EVENT_NONE)
        {
          if (event == TALK_XMPP_READER_EVENT_STANZA)
            stanzas++;
          g_clear_pointer (&element, talk_xmpp_stanza_unref);
        }
    }

  return stanzas;
}

int
main (int    argc,
      char **argv)
{
  guint n_stanzas = argc > 1 ? (guint) g_ascii_strtoull (argv[1], NULL, 10) : 100000;
  guint runs = argc > 2 ? (guint) g_ascii_strtoull (argv[2], NULL, 10) : 3;
  g_autoptr(GString) stream = NULL;
  struct rusage usage;

  if (n_stanzas == 0 || runs == 0)
    {
      g_printerr ("usage: %s [STANZAS] [RUNS]\n", argv[0]);
      return EXIT_FAILURE;
    }

  stream = build_stream (n_stanzas);
  printf ("reader: %u message stanzas, %.1f MB, %.0f bytes/stanza, %d-byte reads\n",
          n_stanzas, stream->len / 1e6, (double) stream->len / n_stanzas, READ_SIZE);

  /* A first pass warms caches and the allocator; it is not reported. */
  run_once (stream);

  for (guint run = 1; run <= runs; run++)
    {
      double wall = seconds (CLOCK_MONOTONIC);
      double cpu = seconds (CLOCK_PROCESS_CPUTIME_ID);
      guint parsed = run_once (stream);

      wall = seconds (CLOCK_MONOTONIC) - wall;
      cpu = seconds (CLOCK_PROCESS_CPUTIME_ID) - cpu;

      if (parsed != n_stanzas)
        {
          g_printerr ("bench-reader: parsed %u stanzas, expected %u\n", parsed, n_stanzas);
          return EXIT_FAILURE;
        }

      printf ("reader: run %u: %.1f MB/s, %.0f stanzas/s, %.2f µs CPU/stanza"
              " (%.3f s wall, %.3f s CPU)\n",
              run, stream->len / 1e6 / wall, parsed / wall, cpu * 1e6 / parsed,
              wall, cpu);
    }

  getrusage (RUSAGE_SELF, &usage);
  printf ("reader: peak RSS %.1f MB (the %.1f MB input buffer included)\n",
          usage.ru_maxrss / 1024.0, stream->len / 1e6);

  return EXIT_SUCCESS;
}
