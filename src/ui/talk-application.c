/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "talk-application.h"
#include "talk-window.h"

struct _TalkApplication
{
  AdwApplication parent_instance;
};

G_DEFINE_FINAL_TYPE (TalkApplication, talk_application, ADW_TYPE_APPLICATION)

static const GOptionEntry main_entries[] = {
  { "version", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_NONE, NULL,
    N_("Show the version and exit"), NULL },
  { NULL }
};

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

static int
talk_application_command_line (GApplication            *app,
                               GApplicationCommandLine *command_line)
{
  g_application_activate (app);

  return EXIT_SUCCESS;
}

static void
talk_application_activate (GApplication *app)
{
  GtkWindow *window;

  window = gtk_application_get_active_window (GTK_APPLICATION (app));
  if (window == NULL)
    window = GTK_WINDOW (talk_window_new (GTK_APPLICATION (app)));

  gtk_window_present (window);
}

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

/* Closing the windows first lets them save their state. */
static void
quit_action (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  GApplication *app = G_APPLICATION (user_data);
  GList *windows;

  windows = g_list_copy_deep (gtk_application_get_windows (GTK_APPLICATION (app)),
                              (GCopyFunc) g_object_ref, NULL);
  for (GList *l = windows; l != NULL; l = l->next)
    gtk_window_close (l->data);
  g_list_free_full (windows, g_object_unref);

  g_application_quit (app);
}

static const GActionEntry app_actions[] = {
  { "about", about_action },
  { "quit", quit_action },
};

static void
talk_application_startup (GApplication *app)
{
  static const char *quit_accels[] = { "<Control>q", NULL };

  G_APPLICATION_CLASS (talk_application_parent_class)->startup (app);

  g_action_map_add_action_entries (G_ACTION_MAP (app), app_actions,
                                   G_N_ELEMENTS (app_actions), app);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.quit",
                                         quit_accels);
  gtk_window_set_default_icon_name (APP_ID);
}

static void
talk_application_class_init (TalkApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  app_class->handle_local_options = talk_application_handle_local_options;
  app_class->command_line = talk_application_command_line;
  app_class->activate = talk_application_activate;
  app_class->startup = talk_application_startup;
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
