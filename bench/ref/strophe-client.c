/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A reference client for bench/run-xmpp.py: the same work as
 * `talk-probe --bench` on libstrophe (Debian's libstrophe-dev, OpenSSL and
 * expat underneath), printing the same lines, so that every figure of
 * Talk has a C peer measured side by side.
 *
 *   connect (STARTTLS, SASL, bind) ──► SESSION
 *   roster get ──► result ──► ROSTER n ──► initial presence ──► READY
 *   each chat message with a body ──► FIRST (the first), DONE n (the n-th)
 *   EXIT: at once (login), after DONE or --duration, or on SIGTERM
 *
 * It keeps nothing: no roster model, no store. The password is the first
 * line of standard input; the server's certificate must have the SHA-256
 * fingerprint given with --pin.
 *
 *   strophe-client --mode login|online --jid JID --host HOST --port PORT
 *                  --pin FINGERPRINT [--expect N] [--messages N]
 *                  [--duration S] < password
 */

#define _GNU_SOURCE

#include <ctype.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <strophe.h>

typedef struct
{
  int stay;
  const char *jid;
  const char *host;
  unsigned short port;
  const char *pin;
  unsigned long expect_contacts;
  unsigned long expect_messages;
  unsigned long duration;

  xmpp_ctx_t *ctx;
  unsigned long messages;
  int ready;
  int done;
  int failed;
} Client;

static volatile sig_atomic_t stop_requested;

static double
now_seconds (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
line (const char *word,
      long        count)
{
  if (count >= 0)
    printf ("%s %ld %.6f\n", word, count, now_seconds ());
  else
    printf ("%s %.6f\n", word, now_seconds ());
  fflush (stdout);
}

static void
on_signal (int sig)
{
  (void) sig;
  stop_requested = 1;
}

/* Fingerprints compared as hex digits only: "ab:cd…" equals "ABCD…". */
static int
fingerprint_equal (const char *a,
                   const char *b)
{
  while (*a != '\0' || *b != '\0')
    {
      if (*a != '\0' && !isxdigit ((unsigned char) *a))
        {
          a++;
          continue;
        }
      if (*b != '\0' && !isxdigit ((unsigned char) *b))
        {
          b++;
          continue;
        }
      if (tolower ((unsigned char) *a) != tolower ((unsigned char) *b))
        return 0;
      a++;
      b++;
    }
  return 1;
}

static Client client;

/* The test server's certificate is self-signed: trust exactly the pin. */
static int
certfail_handler (const xmpp_tlscert_t *cert,
                  const char *const     errormsg)
{
  const char *fingerprint = xmpp_tlscert_get_string (cert, XMPP_CERT_FINGERPRINT_SHA256);

  (void) errormsg;
  return fingerprint != NULL && client.pin != NULL &&
         fingerprint_equal (fingerprint, client.pin);
}

static int
duration_handler (xmpp_conn_t *conn,
                  void        *userdata)
{
  Client *self = userdata;

  (void) conn;
  if (self->expect_messages > 0 && !self->done)
    {
      fprintf (stderr, "strophe-client: only %lu of %lu messages in %lu s\n",
               self->messages, self->expect_messages, self->duration);
      self->failed = 1;
    }
  xmpp_stop (self->ctx);
  return 0;
}

/* The harness ends idle runs with SIGTERM. */
static int
stop_handler (xmpp_ctx_t *ctx,
              void       *userdata)
{
  (void) userdata;
  if (stop_requested)
    xmpp_stop (ctx);
  return 1;
}

static void
check_done (Client *self)
{
  if (self->done || self->expect_messages == 0 || self->messages < self->expect_messages)
    return;
  self->done = 1;
  line ("DONE", (long) self->messages);
  if (self->ready)
    xmpp_stop (self->ctx);
}

static int
message_handler (xmpp_conn_t   *conn,
                 xmpp_stanza_t *stanza,
                 void          *userdata)
{
  Client *self = userdata;

  (void) conn;
  if (xmpp_stanza_get_child_by_name (stanza, "body") == NULL)
    return 1;
  self->messages++;
  if (self->messages == 1)
    line ("FIRST", -1);
  check_done (self);
  return 1;
}

static int
roster_handler (xmpp_conn_t   *conn,
                xmpp_stanza_t *stanza,
                void          *userdata)
{
  Client *self = userdata;
  xmpp_stanza_t *query;
  xmpp_stanza_t *item;
  xmpp_stanza_t *presence;
  const char *type = xmpp_stanza_get_type (stanza);
  long n = 0;

  if (type == NULL || strcmp (type, "result") != 0)
    {
      fprintf (stderr, "strophe-client: the roster request failed\n");
      self->failed = 1;
      xmpp_stop (self->ctx);
      return 0;
    }

  query = xmpp_stanza_get_child_by_name (stanza, "query");
  for (item = query != NULL ? xmpp_stanza_get_children (query) : NULL;
       item != NULL; item = xmpp_stanza_get_next (item))
    {
      const char *name = xmpp_stanza_get_name (item);

      if (name != NULL && strcmp (name, "item") == 0)
        n++;
    }
  line ("ROSTER", n);

  presence = xmpp_presence_new (self->ctx);
  xmpp_send (conn, presence);
  xmpp_stanza_release (presence);
  self->ready = 1;
  line ("READY", -1);

  if (!self->stay)
    xmpp_stop (self->ctx);
  else if (self->done)
    xmpp_stop (self->ctx);
  else if (self->duration > 0)
    xmpp_timed_handler_add (conn, duration_handler, self->duration * 1000, self);
  return 0;
}

static void
conn_handler (xmpp_conn_t         *conn,
              xmpp_conn_event_t    status,
              int                  error,
              xmpp_stream_error_t *stream_error,
              void                *userdata)
{
  Client *self = userdata;
  xmpp_stanza_t *iq;
  xmpp_stanza_t *query;

  (void) stream_error;
  if (status != XMPP_CONN_CONNECT)
    {
      if (!self->ready || (self->expect_messages > 0 && !self->done && self->stay))
        {
          fprintf (stderr, "strophe-client: disconnected (error %d)\n", error);
          self->failed = 1;
        }
      xmpp_stop (self->ctx);
      return;
    }

  line ("SESSION", -1);

  xmpp_handler_add (conn, message_handler, NULL, "message", NULL, self);
  xmpp_id_handler_add (conn, roster_handler, "roster1", self);

  /* RFC 6121 §2.1.3, then the initial presence once it is in. */
  iq = xmpp_iq_new (self->ctx, "get", "roster1");
  query = xmpp_stanza_new (self->ctx);
  xmpp_stanza_set_name (query, "query");
  xmpp_stanza_set_ns (query, "jabber:iq:roster");
  xmpp_stanza_add_child (iq, query);
  xmpp_stanza_release (query);
  xmpp_send (conn, iq);
  xmpp_stanza_release (iq);
}

static int
read_password (char   *buffer,
               size_t  size)
{
  size_t len;

  if (fgets (buffer, (int) size, stdin) == NULL)
    return 0;
  len = strcspn (buffer, "\r\n");
  buffer[len] = '\0';
  return len > 0;
}

static void
usage (void)
{
  fprintf (stderr,
           "usage: strophe-client --mode login|online --jid JID --host HOST --port PORT\n"
           "                      --pin FINGERPRINT [--expect N] [--messages N]\n"
           "                      [--duration SECONDS] < password\n");
  exit (2);
}

int
main (int   argc,
      char *argv[])
{
  static const struct option options[] = {
    { "mode", required_argument, NULL, 'm' },
    { "jid", required_argument, NULL, 'j' },
    { "host", required_argument, NULL, 'h' },
    { "port", required_argument, NULL, 'p' },
    { "pin", required_argument, NULL, 'f' },
    { "expect", required_argument, NULL, 'e' },
    { "messages", required_argument, NULL, 'n' },
    { "duration", required_argument, NULL, 'd' },
    { NULL, 0, NULL, 0 }
  };
  char password[1024];
  xmpp_conn_t *conn;
  int opt;
  int status;

  while ((opt = getopt_long (argc, argv, "", options, NULL)) != -1)
    {
      switch (opt)
        {
        case 'm':
          if (strcmp (optarg, "login") == 0)
            client.stay = 0;
          else if (strcmp (optarg, "online") == 0)
            client.stay = 1;
          else
            usage ();
          break;
        case 'j': client.jid = optarg; break;
        case 'h': client.host = optarg; break;
        case 'p': client.port = (unsigned short) strtoul (optarg, NULL, 10); break;
        case 'f': client.pin = optarg; break;
        case 'e': client.expect_contacts = strtoul (optarg, NULL, 10); break;
        case 'n': client.expect_messages = strtoul (optarg, NULL, 10); break;
        case 'd': client.duration = strtoul (optarg, NULL, 10); break;
        default: usage ();
        }
    }
  if (client.jid == NULL || client.host == NULL || client.port == 0 || client.pin == NULL)
    usage ();
  if (!read_password (password, sizeof password))
    {
      fprintf (stderr, "strophe-client: no password on standard input\n");
      return 1;
    }

  signal (SIGTERM, on_signal);
  signal (SIGINT, on_signal);

  xmpp_initialize ();
  client.ctx = xmpp_ctx_new (NULL, NULL);
  conn = xmpp_conn_new (client.ctx);
  xmpp_conn_set_flags (conn, XMPP_CONN_FLAG_MANDATORY_TLS);
  xmpp_conn_set_certfail_handler (conn, certfail_handler);
  xmpp_conn_set_jid (conn, client.jid);
  xmpp_conn_set_pass (conn, password);
  memset (password, 0, sizeof password);

  if (xmpp_connect_client (conn, client.host, client.port, conn_handler, &client) != XMPP_EOK)
    {
      fprintf (stderr, "strophe-client: could not connect\n");
      return 1;
    }

  /* The library's own loop, as a libstrophe program runs it (it polls
   * with a short timeout: that is part of what W3 measures). */
  xmpp_global_timed_handler_add (client.ctx, stop_handler, 100, &client);
  xmpp_run (client.ctx);
  line ("EXIT", -1);

  status = client.failed ? 1 : 0;
  xmpp_disconnect (conn);
  xmpp_conn_release (conn);
  xmpp_ctx_free (client.ctx);
  xmpp_shutdown ();
  return status;
}
