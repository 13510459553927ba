/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "talk-application.h"
#include "talk-client.h"
#include "talk-tray.h"
#include "talk-window.h"

/*
 * The application owns the one TalkClient, the main window and the tray
 * icon, and keeps the three in step:
 *
 *   client "show"/"status-message" ──▶ tray presence, tooltip
 *   tray menu, --presence, app.set-presence ──▶ talk_client_set_presence()
 *   window "visible" ──▶ tray Show/Hide item
 *   app.open-chat (a notification clicked) ──▶ window shown, chat opened
 *
 * Closing the window hides it while a tray shows the icon (and the user
 * wants that); otherwise, and for Quit, the client signs out cleanly
 * before the process ends, waiting at most SHUTDOWN_TIMEOUT_MS for a
 * server that does not answer.
 *
 * Demo mode (scripts/run.sh without an account of the user's own): the
 * account comes from TALK_DEMO_* variables, its password from a file
 * that run.sh removes afterwards, and nothing reaches the keyring.
 * Closing the window always quits then, so the demo server does not
 * outlive what the user sees.
 */

#define SHUTDOWN_TIMEOUT_MS 2000

struct _TalkApplication
{
  AdwApplication  parent_instance;

  TalkClient     *client;
  TalkTray       *tray;
  GSettings      *settings;
  TalkWindow     *window;

  /* Held while the window is hidden to the tray. */
  gboolean        hidden_hold;

  /* Demo mode: the password file is read before the window shows. */
  gboolean        demo;
  gboolean        demo_loading;
  gboolean        present_pending;
  /* app.open-chat before the window could show: the bare JID. */
  char           *pending_chat;

  gboolean        quitting;
  gboolean        quit_done;
  GCancellable   *shutdown_cancellable;
  guint           shutdown_timeout_id;
};

G_DEFINE_FINAL_TYPE (TalkApplication, talk_application, ADW_TYPE_APPLICATION)

static const GOptionEntry main_entries[] = {
  { "presence", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_STRING, NULL,
    N_("Set your presence: available, chat, away, xa, dnd (or busy), offline"),
    N_("STATE") },
  { "status", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_STRING, NULL,
    N_("Set your status message"), N_("TEXT") },
  { "version", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_NONE, NULL,
    N_("Show the version and exit"), NULL },
  { NULL }
};

static void talk_application_begin_quit (TalkApplication *self,
                                         GtkWindow       *closing);

/* Presence names */

/* The names of talk_xmpp_presence_show_from_string(), in any case, and
 * "busy", which is what the desktop and the tray call "dnd". */
static gboolean
parse_presence (const char           *text,
                TalkXmppPresenceShow *show)
{
  g_autofree char *lower = NULL;

  if (text == NULL)
    return FALSE;

  lower = g_ascii_strdown (text, -1);
  if (g_str_equal (lower, "busy"))
    {
      *show = TALK_XMPP_PRESENCE_SHOW_DND;
      return TRUE;
    }

  return talk_xmpp_presence_show_from_string (lower, show);
}

/* The tray knows five states: "free to chat" shows as available. */
static const char *
tray_presence_for_show (TalkXmppPresenceShow show)
{
  switch (show)
    {
    case TALK_XMPP_PRESENCE_SHOW_AVAILABLE:
    case TALK_XMPP_PRESENCE_SHOW_CHAT:
      return "available";
    case TALK_XMPP_PRESENCE_SHOW_AWAY:
      return "away";
    case TALK_XMPP_PRESENCE_SHOW_XA:
      return "xa";
    case TALK_XMPP_PRESENCE_SHOW_DND:
      return "dnd";
    case TALK_XMPP_PRESENCE_SHOW_OFFLINE:
    default:
      return "offline";
    }
}

/* A new show keeps the status message the user set before. */
static void
set_show (TalkApplication      *self,
          TalkXmppPresenceShow  show)
{
  talk_client_set_presence (self->client, show,
                            talk_client_get_status_message (self->client));
}

/* Window */

static gboolean
window_is_visible (TalkApplication *self)
{
  return self->window != NULL && gtk_widget_get_visible (GTK_WIDGET (self->window));
}

static void
drop_hidden_hold (TalkApplication *self)
{
  if (!self->hidden_hold)
    return;

  self->hidden_hold = FALSE;
  g_application_release (G_APPLICATION (self));
}

static void
window_visible_cb (TalkApplication *self)
{
  gboolean visible = window_is_visible (self);

  if (visible)
    drop_hidden_hold (self);
  if (self->tray != NULL)
    talk_tray_set_window_visible (self->tray, visible);
}

/* Only while a panel shows the icon: a window hidden without one could
 * not be brought back. */
static gboolean
can_hide_to_tray (TalkApplication *self)
{
  return !self->demo && self->tray != NULL && talk_tray_get_available (self->tray);
}

static void
talk_application_hide_window (TalkApplication *self)
{
  if (!window_is_visible (self))
    return;

  /* The hidden window keeps the app running; say so explicitly rather
   * than rely on GtkApplication counting hidden windows. */
  if (!self->hidden_hold)
    {
      self->hidden_hold = TRUE;
      g_application_hold (G_APPLICATION (self));
    }
  gtk_widget_set_visible (GTK_WIDGET (self->window), FALSE);
}

/* Runs after TalkWindow's own handler, which saves the window state. */
static gboolean
window_close_request_cb (GtkWindow       *window,
                         TalkApplication *self)
{
  if (self->quitting)
    return FALSE;

  if (can_hide_to_tray (self) &&
      g_settings_get_boolean (self->settings, "close-to-tray"))
    {
      talk_application_hide_window (self);
      return TRUE;
    }

  talk_application_begin_quit (self, window);
  return FALSE;
}

static void
window_destroy_cb (TalkApplication *self)
{
  self->window = NULL;
  drop_hidden_hold (self);
  if (self->tray != NULL)
    talk_tray_set_window_visible (self->tray, FALSE);
}

static void
ensure_window (TalkApplication *self)
{
  if (self->window != NULL)
    return;

  self->window = talk_window_new (GTK_APPLICATION (self), self->client);
  g_signal_connect_swapped (self->window, "notify::visible",
                            G_CALLBACK (window_visible_cb), self);
  g_signal_connect_after (self->window, "close-request",
                          G_CALLBACK (window_close_request_cb), self);
  g_signal_connect_swapped (self->window, "destroy",
                            G_CALLBACK (window_destroy_cb), self);
}

static void
talk_application_show_window (TalkApplication *self)
{
  if (self->quitting)
    return;

  if (self->demo_loading)
    {
      self->present_pending = TRUE;
      return;
    }

  ensure_window (self);
  gtk_window_present (GTK_WINDOW (self->window));
}

/* Quitting */

static void
finish_quit (TalkApplication *self)
{
  if (self->quit_done)
    return;

  self->quit_done = TRUE;
  g_clear_handle_id (&self->shutdown_timeout_id, g_source_remove);
  g_application_release (G_APPLICATION (self));
  g_application_quit (G_APPLICATION (self));
}

static void
shutdown_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(TalkApplication) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!talk_client_shutdown_finish (TALK_CLIENT (source), result, &error))
    g_debug ("Signing out on quit: %s", error->message);

  finish_quit (self);
}

static gboolean
shutdown_timeout_cb (gpointer user_data)
{
  TalkApplication *self = user_data;

  self->shutdown_timeout_id = 0;
  g_debug ("The server did not confirm the sign-out in time");
  g_cancellable_cancel (self->shutdown_cancellable);
  finish_quit (self);

  return G_SOURCE_REMOVE;
}

/* Closes the windows (@closing is already on its way) so they save
 * their state, and signs out before the process ends. */
static void
talk_application_begin_quit (TalkApplication *self,
                             GtkWindow       *closing)
{
  GList *windows;

  if (self->quitting)
    return;

  self->quitting = TRUE;
  g_application_hold (G_APPLICATION (self));

  windows = g_list_copy_deep (gtk_application_get_windows (GTK_APPLICATION (self)),
                              (GCopyFunc) g_object_ref, NULL);
  for (GList *l = windows; l != NULL; l = l->next)
    {
      if (l->data != closing)
        gtk_window_close (l->data);
    }
  g_list_free_full (windows, g_object_unref);

  self->shutdown_cancellable = g_cancellable_new ();
  self->shutdown_timeout_id = g_timeout_add (SHUTDOWN_TIMEOUT_MS, shutdown_timeout_cb, self);
  talk_client_shutdown_async (self->client, self->shutdown_cancellable,
                              shutdown_cb, g_object_ref (self));
}

/* Tray */

static void
client_show_cb (TalkApplication *self)
{
  talk_tray_set_presence (self->tray,
                          tray_presence_for_show (talk_client_get_show (self->client)));
}

static void
client_status_message_cb (TalkApplication *self)
{
  talk_tray_set_status_message (self->tray, talk_client_get_status_message (self->client));
}

static void
tray_presence_selected_cb (TalkApplication *self,
                           const char      *presence)
{
  TalkXmppPresenceShow show;

  if (parse_presence (presence, &show))
    set_show (self, show);
}

static void
tray_toggle_window_cb (TalkApplication *self)
{
  if (window_is_visible (self))
    talk_application_hide_window (self);
  else
    talk_application_show_window (self);
}

static void
tray_available_cb (TalkApplication *self)
{
  /* The panel went away while the window was hidden: bring it back, or
   * the user could not reach Talk at all. */
  if (!talk_tray_get_available (self->tray) && self->window != NULL &&
      !window_is_visible (self))
    talk_application_show_window (self);
}

static void
tray_quit_cb (TalkApplication *self)
{
  talk_application_begin_quit (self, NULL);
}

static void
setup_tray (TalkApplication *self)
{
  GDBusConnection *connection = g_application_get_dbus_connection (G_APPLICATION (self));

  if (connection == NULL)
    return;

  self->tray = talk_tray_new (connection, APP_ID);
  client_show_cb (self);
  client_status_message_cb (self);

  g_signal_connect_swapped (self->client, "notify::show",
                            G_CALLBACK (client_show_cb), self);
  g_signal_connect_swapped (self->client, "notify::status-message",
                            G_CALLBACK (client_status_message_cb), self);
  g_signal_connect_swapped (self->tray, "presence-selected",
                            G_CALLBACK (tray_presence_selected_cb), self);
  g_signal_connect_swapped (self->tray, "toggle-window",
                            G_CALLBACK (tray_toggle_window_cb), self);
  g_signal_connect_swapped (self->tray, "notify::available",
                            G_CALLBACK (tray_available_cb), self);
  g_signal_connect_swapped (self->tray, "quit",
                            G_CALLBACK (tray_quit_cb), self);
}

/* Demo mode */

static void
demo_password_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(TalkApplication) self = user_data;
  g_autoptr(GError) error = NULL;
  char *contents = NULL;
  gsize length = 0;
  guint64 port = 0;
  const char *port_text = g_getenv ("TALK_DEMO_PORT");

  if (!g_file_load_contents_finish (G_FILE (source), result, &contents, &length, NULL, &error))
    {
      g_warning ("Cannot read the demo account's password: %s", error->message);
    }
  else
    {
      /* The file holds one line; the contents come NUL-terminated. */
      contents[strcspn (contents, "\r\n")] = '\0';
      if (port_text != NULL &&
          !g_ascii_string_to_unsigned (port_text, 10, 1, G_MAXUINT16, &port, &error))
        g_warning ("Ignoring TALK_DEMO_PORT: %s", error->message);

      if (*contents != '\0' && g_utf8_validate (contents, -1, NULL))
        talk_client_start_with_password (self->client,
                                         g_getenv ("TALK_DEMO_JID"),
                                         contents,
                                         g_getenv ("TALK_DEMO_HOST"),
                                         (guint16) port,
                                         g_getenv ("TALK_DEMO_FINGERPRINT"));
      else
        g_warning ("The demo account's password file holds no password");

      explicit_bzero (contents, length);
      g_free (contents);
    }

  self->demo_loading = FALSE;
  if (self->present_pending)
    talk_application_show_window (self);
  if (self->pending_chat != NULL && self->window != NULL)
    talk_window_open_chat (self->window, self->pending_chat);
  g_clear_pointer (&self->pending_chat, g_free);
  g_application_release (G_APPLICATION (self));
}

/* Returns: whether demo mode is on */
static gboolean
start_demo (TalkApplication *self)
{
  const char *jid = g_getenv ("TALK_DEMO_JID");
  const char *password_file = g_getenv ("TALK_DEMO_PASSWORD_FILE");
  g_autoptr(GFile) file = NULL;

  if (jid == NULL || *jid == '\0')
    return FALSE;

  self->demo = TRUE;
  if (password_file == NULL || *password_file == '\0')
    {
      g_warning ("TALK_DEMO_JID is set without TALK_DEMO_PASSWORD_FILE");
      return TRUE;
    }

  /* Held until the account is set up, so that the window never shows
   * the sign-in page for a moment first. */
  self->demo_loading = TRUE;
  g_application_hold (G_APPLICATION (self));
  file = g_file_new_for_path (password_file);
  g_file_load_contents_async (file, NULL, demo_password_cb, g_object_ref (self));

  return TRUE;
}

/* Actions */

static void
about_action (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  GtkApplication *app = GTK_APPLICATION (user_data);
  static const char *developers[] = { "Talk developers", NULL };
  GtkWidget *about;

  about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                        "transient-for", gtk_application_get_active_window (app),
                        "modal", TRUE,
                        "application-name", _("Talk"),
                        "application-icon", APP_ID,
                        "developer-name", "Talk developers",
                        "version", PACKAGE_VERSION,
                        "comments", _("Chat with your contacts on any XMPP server"),
                        "website", "https://talk.example.com",
                        "license-type", GTK_LICENSE_GPL_3_0,
                        "copyright", "© 2026 Talk developers",
                        "developers", developers,
                        /* Translators: replace with your names, one per line */
                        "translator-credits", _("translator-credits"),
                        NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static void
quit_action (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  talk_application_begin_quit (TALK_APPLICATION (user_data), NULL);
}

static void
set_presence_action (GSimpleAction *action,
                     GVariant      *parameter,
                     gpointer       user_data)
{
  TalkApplication *self = TALK_APPLICATION (user_data);
  const char *name = g_variant_get_string (parameter, NULL);
  TalkXmppPresenceShow show;

  /* The parameter may come from another process over D-Bus. */
  if (!parse_presence (name, &show))
    {
      g_debug ("app.set-presence: unknown presence ignored");
      return;
    }

  set_show (self, show);
}

/* The default action of the message notifications: the window, with the
 * conversation. The parameter may come from another process over D-Bus. */
static void
open_chat_action (GSimpleAction *action,
                  GVariant      *parameter,
                  gpointer       user_data)
{
  TalkApplication *self = TALK_APPLICATION (user_data);
  g_autoptr(TalkXmppJid) jid = talk_xmpp_jid_new (g_variant_get_string (parameter, NULL), NULL);
  const char *peer;

  talk_application_show_window (self);
  if (jid == NULL)
    {
      g_debug ("app.open-chat: not an address, ignored");
      return;
    }

  peer = talk_xmpp_jid_get_bare_string (jid);
  if (self->window == NULL)
    {
      /* The demo account is still being set up. */
      g_free (self->pending_chat);
      self->pending_chat = g_strdup (peer);
      return;
    }
  /* Without an account the window shows the sign-in page; a tab opened
   * behind it would belong to no one. */
  if (talk_client_get_status (self->client) == TALK_CLIENT_STATUS_NO_ACCOUNT)
    return;

  talk_window_open_chat (self->window, peer);
}

static const GActionEntry app_actions[] = {
  { "about", about_action },
  { "quit", quit_action },
  { "set-presence", set_presence_action, "s" },
  { "open-chat", open_chat_action, "s" },
};

/* GApplication */

/* --version is answered by the instance that was started; everything else
 * goes to the primary instance through command_line. */
static int
talk_application_handle_local_options (GApplication *app,
                                       GVariantDict *options)
{
  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("%s %s\n", "talk", PACKAGE_VERSION);
      return EXIT_SUCCESS;
    }

  return G_APPLICATION_CLASS (talk_application_parent_class)->handle_local_options (app, options);
}

/* The launcher started a startup notification (a busy cursor) for a
 * command that shows no window: end it now rather than at its timeout. */
static void
complete_startup_notification (GApplicationCommandLine *command_line)
{
  g_autoptr(GVariant) platform_data = g_application_command_line_get_platform_data (command_line);
  GdkDisplay *display = gdk_display_get_default ();
  const char *startup_id = NULL;

  if (display == NULL || platform_data == NULL)
    return;

  if (g_variant_lookup (platform_data, "desktop-startup-id", "&s", &startup_id) ||
      g_variant_lookup (platform_data, "activation-token", "&s", &startup_id))
    gdk_display_notify_startup_complete (display, startup_id);
}

/* Runs in the primary instance, for its own command line and for those
 * of later `talk` invocations; messages go to the caller's terminal. */
static int
talk_application_command_line (GApplication            *app,
                               GApplicationCommandLine *command_line)
{
  TalkApplication *self = TALK_APPLICATION (app);
  GVariantDict *options = g_application_command_line_get_options_dict (command_line);
  const char *presence = NULL;
  const char *status = NULL;
  TalkXmppPresenceShow show = TALK_XMPP_PRESENCE_SHOW_AVAILABLE;
  gboolean has_presence;
  gboolean has_status;

  has_presence = g_variant_dict_lookup (options, "presence", "&s", &presence);
  has_status = g_variant_dict_lookup (options, "status", "&s", &status);

  if (has_presence && !parse_presence (presence, &show))
    {
      g_application_command_line_printerr (command_line,
                                           _("Unknown presence “%s”. Use one of: "
                                             "available, chat, away, xa, dnd (or busy), offline.\n"),
                                           presence);
      return EXIT_FAILURE;
    }

  if (has_status && !g_utf8_validate (status, -1, NULL))
    {
      g_application_command_line_printerr (command_line,
                                           _("The status message is not valid UTF-8 text.\n"));
      return EXIT_FAILURE;
    }

  if (has_presence || has_status)
    {
      if (!has_presence)
        show = talk_client_get_show (self->client);
      if (!has_status)
        status = talk_client_get_status_message (self->client);
      else if (*status == '\0')
        status = NULL;
      talk_client_set_presence (self->client, show, status);

      /* A launcher action must not steal the focus from what the user is
       * doing; the window only shows on a first start. */
      if (self->window == NULL)
        talk_application_show_window (self);
      else
        complete_startup_notification (command_line);
      return EXIT_SUCCESS;
    }

  g_application_activate (app);
  return EXIT_SUCCESS;
}

static void
talk_application_activate (GApplication *app)
{
  talk_application_show_window (TALK_APPLICATION (app));
}

static void
talk_application_startup (GApplication *app)
{
  TalkApplication *self = TALK_APPLICATION (app);
  static const char *quit_accels[] = { "<Control>q", NULL };
  /* What GtkApplication sets when it loads a help overlay itself. */
  static const char *shortcuts_accels[] = { "<Control>question", NULL };

  G_APPLICATION_CLASS (talk_application_parent_class)->startup (app);

  g_action_map_add_action_entries (G_ACTION_MAP (app), app_actions,
                                   G_N_ELEMENTS (app_actions), app);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.quit",
                                         quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "win.show-help-overlay",
                                         shortcuts_accels);
  gtk_window_set_default_icon_name (APP_ID);

  self->settings = g_settings_new (APP_ID);
  self->client = talk_client_new ();
  setup_tray (self);

  if (!start_demo (self))
    talk_client_start (self->client);
}

static void
talk_application_shutdown (GApplication *app)
{
  TalkApplication *self = TALK_APPLICATION (app);

  /* Off the bus before the connection goes: panels drop the icon. */
  if (self->tray != NULL)
    g_signal_handlers_disconnect_by_data (self->tray, self);
  g_clear_object (&self->tray);
  if (self->window != NULL)
    gtk_window_destroy (GTK_WINDOW (self->window));

  G_APPLICATION_CLASS (talk_application_parent_class)->shutdown (app);
}

static void
talk_application_dispose (GObject *object)
{
  TalkApplication *self = TALK_APPLICATION (object);

  g_clear_handle_id (&self->shutdown_timeout_id, g_source_remove);
  g_cancellable_cancel (self->shutdown_cancellable);
  g_clear_object (&self->shutdown_cancellable);
  if (self->tray != NULL)
    g_signal_handlers_disconnect_by_data (self->tray, self);
  g_clear_object (&self->tray);
  if (self->client != NULL)
    g_signal_handlers_disconnect_by_data (self->client, self);
  g_clear_object (&self->client);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->pending_chat, g_free);

  G_OBJECT_CLASS (talk_application_parent_class)->dispose (object);
}

static void
talk_application_class_init (TalkApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = talk_application_dispose;

  app_class->handle_local_options = talk_application_handle_local_options;
  app_class->command_line = talk_application_command_line;
  app_class->activate = talk_application_activate;
  app_class->startup = talk_application_startup;
  app_class->shutdown = talk_application_shutdown;
}

static void
talk_application_init (TalkApplication *self)
{
  g_application_add_main_option_entries (G_APPLICATION (self), main_entries);
}

TalkApplication *
talk_application_new (void)
{
  return g_object_new (TALK_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_HANDLES_COMMAND_LINE,
                       "resource-base-path", "/com/example/Talk",
                       NULL);
}
