/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <glib/gi18n.h>
#include <glib-unix.h>

#include "talk-keyring.h"
#include "talk-probe-bench.h"
#include "talk-xmpp.h"
#include "talk-xmpp-session-private.h"

/*
 * talk-probe: what a person runs when a server will not work. It goes
 * through a sign-in step by step and says what it sees at each one.
 *
 *   password (stdin | keyring | terminal)
 *     → connector (resolve, connect, TLS, SASL, bind; "step" lines)
 *     → certificate check against the system trust store (in parallel)
 *     → session adopts the bound stream → ping → disco#info → disconnect
 *
 * The connector is driven directly because only it knows the address it
 * reached and the channel binding it used; the session then takes the
 * stream over for the IQ round trips.
 */

#define EXIT_USAGE 2
#define MAX_PASSWORD_BYTES 1024

typedef struct
{
  /* Options */
  char         *host;
  int           port;
  gboolean      direct_tls;
  char         *pin;
  char         *resource;
  int           timeout;
  gboolean      password_stdin;
  gboolean      no_keyring;
  char         *bench;
  int           expect_contacts;
  int           expect_messages;
  int           duration;

  GMainLoop    *loop;
  int           exit_code;
  GCancellable *cancellable;

  TalkXmppJid  *jid;

  /* The password as it is read, wiped as soon as the connector has it;
   * one byte more than allowed, to notice a password that is too long. */
  char          password[MAX_PASSWORD_BYTES + 2];
  gsize         password_len;
  int           password_fd;
  guint         password_source_id;
  gboolean      tty_echo_off;
  struct termios saved_termios;

  TalkXmppConnector *connector;
  TalkXmppSession   *session;
  TalkXmppDisco     *disco;
  gint64             ping_started;

  /* Lines that wait while the certificate check runs, so the output stays
   * in the order of the protocol. */
  gboolean      verifying;
  gboolean      verified;
  GPtrArray    *held_lines;
  gboolean      quit_when_verified;

  guint         sigint_id;
  guint         sigterm_id;
} Probe;

static Probe probe_data = { .port = 0, .timeout = 30, .password_fd = -1 };

/* --bench: "login" signs in and exits, "online" stays, "session" stays
 * with the session alone (see talk-probe-bench.c). */
static gboolean
bench_mode_is_valid (const char *mode)
{
  return g_strcmp0 (mode, "login") == 0 || g_strcmp0 (mode, "online") == 0 ||
         g_strcmp0 (mode, "session") == 0;
}

static void probe_connect (Probe *probe);

/* Output */

static gboolean
is_bidi_control (gunichar c)
{
  return (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

/* Much of what is printed comes from the server (names, features, error
 * texts): control characters would drive the terminal, bidi controls
 * would reorder the line. Both are shown escaped instead. */
static char *
dup_terminal_safe (const char *line)
{
  g_autofree char *valid = g_utf8_make_valid (line, -1);
  GString *safe = g_string_sized_new (strlen (valid));

  for (const char *p = valid; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_iscntrl (c) || is_bidi_control (c))
        g_string_append_printf (safe, "\\u%04X", c);
      else
        g_string_append_unichar (safe, c);
    }

  return g_string_free (safe, FALSE);
}

/* Held lines start with '1' (standard output) or '2' (standard error). */
static void
write_line (char        stream,
            const char *line)
{
  FILE *file = stream == '2' ? stderr : stdout;
  g_autofree char *safe = dup_terminal_safe (line);

  fflush (stdout);
  if (stream == '2')
    fputs ("talk-probe: ", file);
  fputs (safe, file);
  fputc ('\n', file);
  fflush (file);
}

static void
emit_line (Probe      *probe,
           char        stream,
           const char *line)
{
  if (probe->verifying)
    {
      g_ptr_array_add (probe->held_lines, g_strdup_printf ("%c%s", stream, line));
      return;
    }

  write_line (stream, line);
}

static void
flush_held_lines (Probe *probe)
{
  for (guint i = 0; i < probe->held_lines->len; i++)
    {
      const char *held = g_ptr_array_index (probe->held_lines, i);

      write_line (held[0], held + 1);
    }
  g_ptr_array_set_size (probe->held_lines, 0);
}

static void say (Probe *probe, const char *format, ...) G_GNUC_PRINTF (2, 3);

/* A line of the report, on standard output. */
static void
say (Probe      *probe,
     const char *format,
     ...)
{
  g_autofree char *line = NULL;
  va_list args;

  va_start (args, format);
  line = g_strdup_vprintf (format, args);
  va_end (args);

  emit_line (probe, '1', line);
}

static void report_error (Probe *probe, const char *format, ...) G_GNUC_PRINTF (2, 3);

/* What went wrong, on standard error. */
static void
report_error (Probe      *probe,
              const char *format,
              ...)
{
  g_autofree char *line = NULL;
  va_list args;

  va_start (args, format);
  line = g_strdup_vprintf (format, args);
  va_end (args);

  emit_line (probe, '2', line);
}

/* The end */

static void
wipe_password (Probe *probe)
{
  memset (probe->password, 0, sizeof probe->password);
  probe->password_len = 0;
}

static void
restore_terminal (Probe *probe)
{
  if (probe->tty_echo_off)
    {
      tcsetattr (probe->password_fd, TCSAFLUSH, &probe->saved_termios);
      probe->tty_echo_off = FALSE;
      /* The Enter the user typed was not echoed either. */
      if (write (probe->password_fd, "\n", 1) < 0)
        g_debug ("Could not finish the prompt line: %s", g_strerror (errno));
    }
}

static void
close_password_fd (Probe *probe)
{
  g_clear_handle_id (&probe->password_source_id, g_source_remove);
  restore_terminal (probe);
  if (probe->password_fd > STDERR_FILENO)
    close (probe->password_fd);
  probe->password_fd = -1;
}

static void
finish (Probe *probe,
        int    exit_code)
{
  probe->exit_code = exit_code;

  /* A certificate verdict still on its way is part of the report. */
  if (probe->verifying)
    {
      probe->quit_when_verified = TRUE;
      return;
    }

  g_main_loop_quit (probe->loop);
}

static void
fail (Probe        *probe,
      const GError *error)
{
  report_error (probe, "%s", error->message);
  finish (probe, EXIT_FAILURE);
}

/* Disconnect */

static void
disconnect_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Probe *probe = user_data;
  g_autoptr(GError) error = NULL;

  if (!talk_xmpp_session_disconnect_finish (TALK_XMPP_SESSION (source), result, &error))
    {
      fail (probe, error);
      return;
    }

  say (probe, _("Disconnected cleanly."));
  finish (probe, probe->exit_code);
}

static void
probe_disconnect (Probe *probe)
{
  talk_xmpp_session_disconnect_async (probe->session, probe->cancellable,
                                      disconnect_cb, probe);
}

/* disco#info */

static void
print_disco_info (Probe          *probe,
                  TalkXmppStanza *query)
{
  TalkXmppStanzaIter iter;
  TalkXmppStanza *child;
  g_autoptr(GPtrArray) features = g_ptr_array_new ();

  talk_xmpp_stanza_iter_init (&iter, query);
  while (talk_xmpp_stanza_iter_next (&iter, &child))
    {
      if (talk_xmpp_stanza_is (child, "identity", TALK_XMPP_NS_DISCO_INFO))
        {
          const char *category = talk_xmpp_stanza_get_attribute (child, "category");
          const char *type = talk_xmpp_stanza_get_attribute (child, "type");
          const char *name = talk_xmpp_stanza_get_attribute (child, "name");

          if (name != NULL)
            say (probe, _("Server identity: %s/%s “%s”"),
                 category ? category : "?", type ? type : "?", name);
          else
            say (probe, _("Server identity: %s/%s"),
                 category ? category : "?", type ? type : "?");
        }
      else if (talk_xmpp_stanza_is (child, "feature", TALK_XMPP_NS_DISCO_INFO))
        {
          const char *var = talk_xmpp_stanza_get_attribute (child, "var");

          if (var != NULL)
            g_ptr_array_add (features, (gpointer) var);
        }
    }

  say (probe, ngettext ("Server feature (%u):", "Server features (%u):",
                        features->len),
       features->len);
  for (guint i = 0; i < features->len; i++)
    say (probe, "  %s", (const char *) g_ptr_array_index (features, i));
}

static void
disco_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Probe *probe = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(TalkXmppStanza) query = NULL;

  query = talk_xmpp_disco_query_info_finish (TALK_XMPP_DISCO (source), result, &error);
  if (query == NULL)
    {
      /* An error reply is an answer: the server is up, it just says no. */
      if (error->domain == TALK_XMPP_STANZA_ERROR)
        {
          say (probe, _("Service discovery: the server answered with an error: %s"),
               error->message);
          probe_disconnect (probe);
          return;
        }
      fail (probe, error);
      return;
    }

  print_disco_info (probe, query);
  probe_disconnect (probe);
}

static void
probe_disco (Probe *probe)
{
  const char *domain = talk_xmpp_jid_get_domainpart (probe->jid);

  probe->disco = talk_xmpp_disco_new (probe->session);
  talk_xmpp_disco_query_info_async (probe->disco, domain, NULL,
                                    probe->cancellable, disco_cb, probe);
}

/* Ping */

static void
ping_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Probe *probe = user_data;
  g_autoptr(GError) error = NULL;
  gint64 elapsed_us;

  if (!talk_xmpp_session_ping_finish (TALK_XMPP_SESSION (source), result, &error))
    {
      if (error->domain == TALK_XMPP_STANZA_ERROR)
        {
          say (probe, _("Ping: the server answered with an error: %s"),
               error->message);
          probe_disco (probe);
          return;
        }
      fail (probe, error);
      return;
    }

  elapsed_us = g_get_monotonic_time () - probe->ping_started;
  say (probe, _("Ping: %.1f ms"), elapsed_us / 1000.0);
  probe_disco (probe);
}

static void
probe_ping (Probe *probe)
{
  probe->ping_started = g_get_monotonic_time ();
  talk_xmpp_session_ping_async (probe->session, NULL, probe->cancellable,
                                ping_cb, probe);
}

/* Certificate */

static void
describe_certificate_flags (Probe                *probe,
                            GTlsCertificateFlags  flags)
{
  const char *domain = talk_xmpp_jid_get_domainpart (probe->jid);

  if (flags & G_TLS_CERTIFICATE_UNKNOWN_CA)
    say (probe, "  - %s", _("it is self-signed or issued by an authority this system does not know"));
  if (flags & G_TLS_CERTIFICATE_BAD_IDENTITY)
    say (probe, "  - %s", _("it is not for this domain"));
  if (flags & G_TLS_CERTIFICATE_NOT_ACTIVATED)
    say (probe, "  - %s", _("it is not valid yet"));
  if (flags & G_TLS_CERTIFICATE_EXPIRED)
    say (probe, "  - %s", _("it has expired"));
  if (flags & G_TLS_CERTIFICATE_REVOKED)
    say (probe, "  - %s", _("it has been revoked"));
  if (flags & G_TLS_CERTIFICATE_INSECURE)
    say (probe, "  - %s", _("it uses an insecure algorithm"));
  if (flags & G_TLS_CERTIFICATE_GENERIC_ERROR)
    say (probe, "  - %s", _("it could not be checked"));
  if (flags & G_TLS_CERTIFICATE_BAD_IDENTITY)
    say (probe, _("    (the certificate must name %s)"), domain);
}

static void
verify_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Probe *probe = user_data;
  g_autoptr(GError) error = NULL;
  GTlsCertificateFlags flags;
  const char *domain = talk_xmpp_jid_get_domainpart (probe->jid);

  flags = g_tls_database_verify_chain_finish (G_TLS_DATABASE (source), result, &error);
  probe->verifying = FALSE;
  probe->verified = TRUE;

  if (error != NULL)
    {
      say (probe, _("Certificate: could not be checked: %s"), error->message);
    }
  else if (flags == 0)
    {
      say (probe, _("Certificate: valid for %s"), domain);
    }
  else
    {
      say (probe, _("Certificate: NOT trusted by this system, because"));
      describe_certificate_flags (probe, flags);
      if (probe->pin != NULL &&
          talk_xmpp_fingerprint_equal (probe->pin,
                                       talk_xmpp_connector_get_peer_fingerprint (probe->connector)))
        say (probe, _("Certificate: accepted because it matches --pin"));
    }

  flush_held_lines (probe);

  if (probe->quit_when_verified)
    g_main_loop_quit (probe->loop);
}

/* Checks the presented certificate the way the system would, so the
 * output can say why it is not trusted, even when a pin let it through. */
static void
probe_verify_certificate (Probe *probe)
{
  GTlsCertificate *certificate;
  GTlsDatabase *database;
  g_autoptr(GSocketConnectable) identity = NULL;

  if (probe->verifying || probe->verified || probe->connector == NULL)
    return;

  certificate = talk_xmpp_connector_get_peer_certificate (probe->connector);
  if (certificate == NULL)
    return;

  database = g_tls_backend_get_default_database (g_tls_backend_get_default ());
  if (database == NULL)
    {
      say (probe, _("Certificate: this system has no store of trusted authorities"));
      probe->verified = TRUE;
      return;
    }

  identity = g_network_address_new (talk_xmpp_jid_get_domainpart (probe->jid), 0);
  probe->verifying = TRUE;
  g_tls_database_verify_chain_async (database, certificate,
                                     G_TLS_DATABASE_PURPOSE_AUTHENTICATE_SERVER,
                                     identity, NULL, G_TLS_DATABASE_VERIFY_NONE,
                                     probe->cancellable, verify_cb, probe);
  g_object_unref (database);
}

static char *
build_pin_command (Probe      *probe,
                   const char *fingerprint)
{
  g_autoptr(GString) command = g_string_new ("talk-probe");
  g_autofree char *quoted_jid = g_shell_quote (talk_xmpp_jid_to_string (probe->jid));

  if (probe->host != NULL)
    {
      g_autofree char *quoted_host = g_shell_quote (probe->host);

      g_string_append_printf (command, " --host %s", quoted_host);
    }
  if (probe->port != 0)
    g_string_append_printf (command, " --port %d", probe->port);
  if (probe->direct_tls)
    g_string_append (command, " --direct-tls");
  g_string_append_printf (command, " --pin %s %s", fingerprint, quoted_jid);

  return g_string_free (g_steal_pointer (&command), FALSE);
}

/* Connecting */

static void
say_mechanism (Probe *probe)
{
  TalkXmppSaslMechanism mechanism = talk_xmpp_connector_get_sasl_mechanism (probe->connector);
  const char *name = talk_xmpp_sasl_mechanism_to_string (mechanism);
  const char *binding = talk_xmpp_connector_get_channel_binding (probe->connector);

  if (binding != NULL)
    say (probe, _("Authenticating with %s, channel binding %s"), name, binding);
  else if (talk_xmpp_sasl_mechanism_is_plus (mechanism))
    say (probe, _("Authenticating with %s"), name);
  else
    say (probe, _("Authenticating with %s, without channel binding"), name);
}

static void
step_cb (TalkXmppConnector     *connector,
         TalkXmppConnectorStep  step,
         const char            *detail,
         gpointer               user_data)
{
  Probe *probe = user_data;

  switch (step)
    {
    case TALK_XMPP_CONNECTOR_STEP_RESOLVING:
      say (probe, _("Resolving %s"), detail ? detail : "?");
      break;
    case TALK_XMPP_CONNECTOR_STEP_CONNECTING:
      say (probe, _("Connecting to %s"), detail ? detail : "?");
      break;
    case TALK_XMPP_CONNECTOR_STEP_SECURING:
      /* Once with "STARTTLS" or "direct TLS", once with the outcome. */
      say (probe, _("TLS: %s"), detail ? detail : "…");
      break;
    case TALK_XMPP_CONNECTOR_STEP_AUTHENTICATING:
      /* TLS is up: its certificate can be judged now. */
      probe_verify_certificate (probe);
      say_mechanism (probe);
      break;
    case TALK_XMPP_CONNECTOR_STEP_BINDING:
      if (detail != NULL)
        say (probe, _("Authenticated; binding the resource %s"), detail);
      else
        say (probe, _("Authenticated; binding a resource the server chooses"));
      break;
    case TALK_XMPP_CONNECTOR_STEP_DONE:
      /* connect_cb says "Bound as …". */
      break;
    default:
      break;
    }
}

static void
report_connect_error (Probe        *probe,
                      const GError *error)
{
  const char *fingerprint = talk_xmpp_connector_get_peer_fingerprint (probe->connector);

  if (g_error_matches (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_CERTIFICATE) &&
      fingerprint != NULL)
    {
      g_autofree char *command = build_pin_command (probe, fingerprint);

      say (probe, _("Certificate SHA-256: %s"), fingerprint);
      say (probe, _("The server's certificate is not trusted."));
      say (probe, _("Check the fingerprint with the server's administrator."));
      say (probe, _("To trust this certificate: %s"), command);
    }
  else if (g_error_matches (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_AUTH_FAILED))
    {
      say (probe, _("Authentication failed: the password is wrong, or there is no account %s on this server."),
           talk_xmpp_jid_get_bare_string (probe->jid));
    }
}

static void
connect_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Probe *probe = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(TalkXmppStream) stream = NULL;
  TalkXmppJid *bound;

  stream = talk_xmpp_connector_connect_finish (probe->connector, result, &error);

  probe_verify_certificate (probe);

  if (stream == NULL)
    {
      report_connect_error (probe, error);
      fail (probe, error);
      return;
    }

  bound = talk_xmpp_connector_get_bound_jid (probe->connector);
  say (probe, _("Bound as %s"), bound ? talk_xmpp_jid_to_string (bound) : "?");

  probe->session = talk_xmpp_session_new (probe->jid);
  g_object_set (probe->session,
                "auto-reconnect", FALSE,
                "iq-timeout-seconds", (guint) probe->timeout,
                "keepalive-seconds", 0u,
                NULL);
  _talk_xmpp_session_adopt_stream (probe->session, stream, bound);

  probe_ping (probe);
}

static void
probe_start_bench (Probe *probe)
{
  TalkProbeBenchOptions options = {
    .level = g_strcmp0 (probe->bench, "session") == 0 ?
               TALK_PROBE_BENCH_SESSION : TALK_PROBE_BENCH_CLIENT,
    .jid = talk_xmpp_jid_get_bare_string (probe->jid),
    .host = probe->host,
    .port = (guint16) probe->port,
    .direct_tls = probe->direct_tls,
    .pin = probe->pin,
    .expect_contacts = (guint) probe->expect_contacts,
    .expect_messages = (guint) probe->expect_messages,
    .duration = (guint) probe->duration,
    .stay = g_strcmp0 (probe->bench, "login") != 0,
  };

  talk_probe_bench_start (&options, probe->password, probe->loop, &probe->exit_code);
  /* The session keeps its own copy for SASL. */
  wipe_password (probe);
}

static void
probe_connect (Probe *probe)
{
  const char *domain = talk_xmpp_jid_get_domainpart (probe->jid);

  if (probe->bench != NULL)
    {
      probe_start_bench (probe);
      return;
    }

  say (probe, _("Probing %s"), talk_xmpp_jid_to_string (probe->jid));
  if (probe->host != NULL)
    say (probe, _("Server: %s, port %d, %s (from the command line)"),
         probe->host, probe->port != 0 ? probe->port : (probe->direct_tls ? 5223 : 5222),
         probe->direct_tls ? _("direct TLS") : _("STARTTLS"));
  else
    say (probe, _("Server: looked up in DNS (SRV records of %s)"), domain);

  probe->connector = talk_xmpp_connector_new (probe->jid, probe->password);
  /* The connector keeps its own copy for SASL. */
  wipe_password (probe);

  if (probe->host != NULL || probe->port != 0 || probe->direct_tls)
    talk_xmpp_connector_set_host (probe->connector, probe->host,
                                  (guint16) probe->port, probe->direct_tls);
  if (probe->pin != NULL)
    talk_xmpp_connector_set_pinned_certificate (probe->connector, probe->pin);
  if (probe->resource != NULL)
    talk_xmpp_connector_set_resource (probe->connector, probe->resource);
  talk_xmpp_connector_set_timeout (probe->connector, (guint) probe->timeout);

  g_signal_connect (probe->connector, "step", G_CALLBACK (step_cb), probe);
  talk_xmpp_connector_connect_async (probe->connector, probe->cancellable,
                                     connect_cb, probe);
}

/* Password */

static void
password_read (Probe *probe)
{
  /* Windows line ends in piped input. */
  while (probe->password_len > 0 &&
         (probe->password[probe->password_len - 1] == '\r' ||
          probe->password[probe->password_len - 1] == '\n'))
    probe->password[--probe->password_len] = '\0';

  close_password_fd (probe);

  if (probe->password_len == 0)
    {
      report_error (probe, _("No password given"));
      finish (probe, EXIT_FAILURE);
      return;
    }

  if (!g_utf8_validate (probe->password, probe->password_len, NULL))
    {
      wipe_password (probe);
      report_error (probe, _("The password is not valid UTF-8"));
      finish (probe, EXIT_FAILURE);
      return;
    }

  probe_connect (probe);
}

/* One read per wake-up, so the loop never blocks: a pipe gives what it
 * has, a terminal in canonical mode the whole line. Bytes after the first
 * newline are dropped (and wiped with the rest). Never through stdio,
 * whose buffers nobody wipes. */
static gboolean
password_fd_cb (int          fd,
                GIOCondition condition,
                gpointer     user_data)
{
  Probe *probe = user_data;
  gsize room = sizeof probe->password - 1 - probe->password_len;
  const char *newline;
  ssize_t n;

  n = read (fd, probe->password + probe->password_len, room);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return G_SOURCE_CONTINUE;

  if (n < 0)
    {
      int saved_errno = errno;

      probe->password_source_id = 0;
      close_password_fd (probe);
      wipe_password (probe);
      report_error (probe, _("Could not read the password: %s"), g_strerror (saved_errno));
      finish (probe, EXIT_FAILURE);
      return G_SOURCE_REMOVE;
    }

  newline = memchr (probe->password + probe->password_len, '\n', (gsize) n);
  if (newline != NULL)
    {
      gsize len = (gsize) (newline - probe->password);

      memset (probe->password + len, 0, sizeof probe->password - len);
      probe->password_len = len;
    }
  else
    {
      probe->password_len += (gsize) n;
    }

  if (newline == NULL && n > 0)
    {
      if (probe->password_len <= MAX_PASSWORD_BYTES)
        return G_SOURCE_CONTINUE;

      probe->password_source_id = 0;
      close_password_fd (probe);
      wipe_password (probe);
      report_error (probe, _("The password is longer than %d bytes"), MAX_PASSWORD_BYTES);
      finish (probe, EXIT_FAILURE);
      return G_SOURCE_REMOVE;
    }

  probe->password_source_id = 0;
  password_read (probe);
  return G_SOURCE_REMOVE;
}

static void
read_password_from_fd (Probe *probe,
                       int    fd)
{
  probe->password_fd = fd;
  probe->password_source_id = g_unix_fd_add (fd, G_IO_IN | G_IO_HUP | G_IO_ERR,
                                              password_fd_cb, probe);
}

static void
prompt_for_password (Probe *probe)
{
  g_autofree char *prompt = NULL;
  struct termios quiet;
  int fd;

  fd = open ("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0)
    {
      report_error (probe, _("No password: there is no terminal to ask for it. Use --password-stdin or store it in the keyring."));
      finish (probe, EXIT_FAILURE);
      return;
    }

  prompt = g_strdup_printf (_("Password for %s: "),
                            talk_xmpp_jid_get_bare_string (probe->jid));
  fflush (stdout);
  if (write (fd, prompt, strlen (prompt)) < 0)
    g_debug ("Could not write the prompt: %s", g_strerror (errno));

  if (tcgetattr (fd, &probe->saved_termios) == 0)
    {
      quiet = probe->saved_termios;
      quiet.c_lflag &= ~(tcflag_t) (ECHO | ECHONL);
      quiet.c_lflag |= ICANON;
      if (tcsetattr (fd, TCSAFLUSH, &quiet) == 0)
        probe->tty_echo_off = TRUE;
    }

  if (!probe->tty_echo_off)
    {
      close (fd);
      report_error (probe, _("Cannot turn off echo on the terminal; not asking for the password"));
      finish (probe, EXIT_FAILURE);
      return;
    }

  read_password_from_fd (probe, fd);
}

static void
keyring_lookup_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Probe *probe = user_data;
  g_autoptr(GError) error = NULL;
  char *password;

  password = talk_keyring_lookup_password_finish (result, &error);
  if (error != NULL)
    {
      say (probe, _("Keyring: %s"), error->message);
      prompt_for_password (probe);
      return;
    }

  if (password == NULL)
    {
      say (probe, _("Keyring: no password stored for %s"),
           talk_xmpp_jid_get_bare_string (probe->jid));
      prompt_for_password (probe);
      return;
    }

  if (strlen (password) > MAX_PASSWORD_BYTES)
    {
      talk_keyring_password_free (password);
      report_error (probe, _("The password is longer than %d bytes"), MAX_PASSWORD_BYTES);
      finish (probe, EXIT_FAILURE);
      return;
    }

  say (probe, _("Keyring: using the stored password"));
  probe->password_len = strlen (password);
  memcpy (probe->password, password, probe->password_len);
  talk_keyring_password_free (password);

  probe_connect (probe);
}

/* Runs from the main loop, so that every way out can quit it. */
static gboolean
probe_start_cb (gpointer user_data)
{
  Probe *probe = user_data;

  if (probe->password_stdin)
    read_password_from_fd (probe, STDIN_FILENO);
  else if (!probe->no_keyring)
    talk_keyring_lookup_password_async (talk_xmpp_jid_get_bare_string (probe->jid),
                                        probe->cancellable, keyring_lookup_cb, probe);
  else
    prompt_for_password (probe);

  return G_SOURCE_REMOVE;
}

static gboolean
signal_cb (gpointer user_data)
{
  Probe *probe = user_data;

  /* The harness ends an open-ended bench run this way. */
  if (probe->bench != NULL && probe->password_fd < 0)
    {
      talk_probe_bench_stop ();
      return G_SOURCE_CONTINUE;
    }

  /* Never leave the terminal without echo. */
  close_password_fd (probe);
  wipe_password (probe);
  g_cancellable_cancel (probe->cancellable);
  probe->verifying = FALSE;
  flush_held_lines (probe);
  report_error (probe, _("Interrupted"));
  probe->exit_code = 130;
  g_main_loop_quit (probe->loop);
  return G_SOURCE_CONTINUE;
}

/* Command line */

static gboolean
is_fingerprint (const char *str)
{
  guint digits = 0;

  for (const char *p = str; *p != '\0'; p++)
    {
      if (g_ascii_isxdigit (*p))
        digits++;
      else if (*p != ':' && *p != ' ')
        return FALSE;
    }

  return digits == 64;
}

static int
usage_error (const char *message)
{
  fprintf (stderr, "talk-probe: %s\n", message);
  fprintf (stderr, _("Try “%s --help” for more information.\n"), g_get_prgname ());
  return EXIT_USAGE;
}

static int
parse_arguments (Probe   *probe,
                 int     *argc,
                 char  ***argv)
{
  gboolean version = FALSE;
  const GOptionEntry entries[] = {
    { "host", 0, 0, G_OPTION_ARG_STRING, &probe->host,
      N_("Connect to HOST instead of looking up DNS SRV records"), N_("HOST") },
    { "port", 0, 0, G_OPTION_ARG_INT, &probe->port,
      N_("Port on the host (default 5222, or 5223 with --direct-tls)"), N_("PORT") },
    { "direct-tls", 0, 0, G_OPTION_ARG_NONE, &probe->direct_tls,
      N_("Start TLS right away (XEP-0368) instead of STARTTLS"), NULL },
    { "pin", 0, 0, G_OPTION_ARG_STRING, &probe->pin,
      N_("Trust the server certificate with this SHA-256 fingerprint"), N_("FINGERPRINT") },
    { "resource", 0, 0, G_OPTION_ARG_STRING, &probe->resource,
      N_("Ask for this resource when binding"), N_("RESOURCE") },
    { "timeout", 0, 0, G_OPTION_ARG_INT, &probe->timeout,
      N_("Seconds each step may take (default 30)"), N_("SECONDS") },
    { "password-stdin", 0, 0, G_OPTION_ARG_NONE, &probe->password_stdin,
      N_("Read the password from the first line of standard input"), NULL },
    { "no-keyring", 0, 0, G_OPTION_ARG_NONE, &probe->no_keyring,
      N_("Do not look the password up in the system keyring"), NULL },
    { "bench", 0, 0, G_OPTION_ARG_STRING, &probe->bench,
      N_("Benchmark: sign in as Talk does and print timestamps (login, online or session)"),
      N_("MODE") },
    { "expect", 0, 0, G_OPTION_ARG_INT, &probe->expect_contacts,
      N_("Benchmark: wait until the roster holds this many contacts"), N_("N") },
    { "messages", 0, 0, G_OPTION_ARG_INT, &probe->expect_messages,
      N_("Benchmark: wait until this many messages have arrived"), N_("N") },
    { "duration", 0, 0, G_OPTION_ARG_INT, &probe->duration,
      N_("Benchmark: stay online this many seconds (default: until stopped)"),
      N_("SECONDS") },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version,
      N_("Show the version and exit"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(TalkXmppJid) jid = NULL;
  g_autofree char *message = NULL;

  context = g_option_context_new (_("JID — test signing in to an XMPP account"));
  g_option_context_set_summary (context,
    _("Connects to the server of JID step by step and reports what it finds:\n"
      "the address, TLS and the certificate, the authentication mechanism,\n"
      "the bound address, a ping and the server's features.\n"
      "\n"
      "The password comes from the system keyring, standard input\n"
      "(--password-stdin) or a prompt on the terminal; never from the\n"
      "command line."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);

  if (!g_option_context_parse (context, argc, argv, &error))
    return usage_error (error->message);

  if (version)
    {
      g_print ("talk-probe %s\n", PACKAGE_VERSION);
      return EXIT_SUCCESS;
    }

  if (*argc != 2)
    return usage_error (*argc < 2 ? _("No JID given") : _("Only one JID at a time"));

  if (probe->port < 0 || probe->port > G_MAXUINT16)
    return usage_error (_("The port must be between 1 and 65535"));
  if (probe->timeout <= 0 || probe->timeout > 3600)
    return usage_error (_("The timeout must be between 1 and 3600 seconds"));
  if (probe->pin != NULL && !is_fingerprint (probe->pin))
    return usage_error (_("The fingerprint must be 32 hexadecimal bytes (AB:CD:…)"));
  if (probe->host != NULL && *probe->host == '\0')
    return usage_error (_("The host must not be empty"));
  if (probe->bench != NULL && !bench_mode_is_valid (probe->bench))
    return usage_error (_("The benchmark mode must be login, online or session"));
  if (probe->expect_contacts < 0 || probe->expect_messages < 0 ||
      probe->duration < 0 || probe->duration > 86400)
    return usage_error (_("The benchmark counts and duration must not be negative"));

  jid = talk_xmpp_jid_new ((*argv)[1], &error);
  if (jid == NULL)
    {
      message = g_strdup_printf (_("“%s” is not a valid JID: %s"), (*argv)[1], error->message);
      return usage_error (message);
    }
  if (talk_xmpp_jid_get_localpart (jid) == NULL)
    {
      message = g_strdup_printf (_("“%s” has no user name (user@example.com)"), (*argv)[1]);
      return usage_error (message);
    }

  /* A resource in the JID is the one to bind unless --resource says otherwise. */
  if (probe->resource == NULL && talk_xmpp_jid_get_resourcepart (jid) != NULL)
    probe->resource = g_strdup (talk_xmpp_jid_get_resourcepart (jid));
  probe->jid = talk_xmpp_jid_dup_bare (jid);

  return -1;
}

static void
probe_clear (Probe *probe)
{
  close_password_fd (probe);
  wipe_password (probe);
  g_clear_handle_id (&probe->sigint_id, g_source_remove);
  g_clear_handle_id (&probe->sigterm_id, g_source_remove);
  g_clear_object (&probe->disco);
  g_clear_object (&probe->session);
  g_clear_object (&probe->connector);
  g_clear_object (&probe->cancellable);
  g_clear_pointer (&probe->held_lines, g_ptr_array_unref);
  g_clear_pointer (&probe->jid, talk_xmpp_jid_unref);
  g_clear_pointer (&probe->loop, g_main_loop_unref);
  g_clear_pointer (&probe->host, g_free);
  g_clear_pointer (&probe->pin, g_free);
  g_clear_pointer (&probe->resource, g_free);
  g_clear_pointer (&probe->bench, g_free);
}

int
main (int   argc,
      char *argv[])
{
  Probe *probe = &probe_data;
  int status;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  g_set_prgname ("talk-probe");

  status = parse_arguments (probe, &argc, &argv);
  if (status >= 0)
    {
      probe_clear (probe);
      return status;
    }

  if (probe->bench != NULL)
    {
      g_autoptr(GError) error = NULL;

      if (!talk_probe_bench_prepare (&error))
        {
          fprintf (stderr, "talk-probe: %s\n", error->message);
          probe_clear (probe);
          return EXIT_FAILURE;
        }
      /* Only the bench lines go to standard output. */
      probe->no_keyring = TRUE;
    }

  probe->loop = g_main_loop_new (NULL, FALSE);
  probe->cancellable = g_cancellable_new ();
  probe->held_lines = g_ptr_array_new_with_free_func (g_free);
  probe->exit_code = EXIT_SUCCESS;
  probe->sigint_id = g_unix_signal_add (SIGINT, signal_cb, probe);
  probe->sigterm_id = g_unix_signal_add (SIGTERM, signal_cb, probe);

  g_idle_add (probe_start_cb, probe);
  g_main_loop_run (probe->loop);

  status = probe->exit_code;
  if (probe->bench != NULL)
    talk_probe_bench_cleanup ();
  probe_clear (probe);

  return status;
}
