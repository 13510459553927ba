/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "talk-window.h"

struct _TalkWindow
{
  AdwApplicationWindow  parent_instance;

  GSettings            *settings;

  /* Template widgets */
  AdwHeaderBar         *header_bar;
  GtkMenuButton        *primary_menu_button;
  AdwStatusPage        *status_page;
};

G_DEFINE_FINAL_TYPE (TalkWindow, talk_window, ADW_TYPE_APPLICATION_WINDOW)

/* The size is only remembered while not maximized, so that leaving the
 * maximized state later restores the size the user chose. */
static void
talk_window_save_state (TalkWindow *self)
{
  int width;
  int height;
  gboolean maximized = gtk_window_is_maximized (GTK_WINDOW (self));

  if (!maximized)
    {
      gtk_window_get_default_size (GTK_WINDOW (self), &width, &height);
      g_settings_set_int (self->settings, "window-width", width);
      g_settings_set_int (self->settings, "window-height", height);
    }
  g_settings_set_boolean (self->settings, "window-maximized", maximized);
}

static void
talk_window_restore_state (TalkWindow *self)
{
  int width = g_settings_get_int (self->settings, "window-width");
  int height = g_settings_get_int (self->settings, "window-height");

  gtk_window_set_default_size (GTK_WINDOW (self), width, height);
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));
}

static gboolean
talk_window_close_request (GtkWindow *window)
{
  talk_window_save_state (TALK_WINDOW (window));

  return GTK_WINDOW_CLASS (talk_window_parent_class)->close_request (window);
}

static void
talk_window_dispose (GObject *object)
{
  gtk_widget_dispose_template (GTK_WIDGET (object), TALK_TYPE_WINDOW);

  G_OBJECT_CLASS (talk_window_parent_class)->dispose (object);
}

static void
talk_window_finalize (GObject *object)
{
  TalkWindow *self = TALK_WINDOW (object);

  g_clear_object (&self->settings);

  G_OBJECT_CLASS (talk_window_parent_class)->finalize (object);
}

static void
talk_window_class_init (TalkWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = talk_window_dispose;
  object_class->finalize = talk_window_finalize;
  window_class->close_request = talk_window_close_request;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/com/example/Talk/ui/talk-window.ui");
  gtk_widget_class_bind_template_child (widget_class, TalkWindow, header_bar);
  gtk_widget_class_bind_template_child (widget_class, TalkWindow, primary_menu_button);
  gtk_widget_class_bind_template_child (widget_class, TalkWindow, status_page);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_w, GDK_CONTROL_MASK,
                                       "window.close", NULL);
}

static void
talk_window_init (TalkWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->settings = g_settings_new (APP_ID);
  talk_window_restore_state (self);
}

TalkWindow *
talk_window_new (GtkApplication *application)
{
  g_return_val_if_fail (GTK_IS_APPLICATION (application), NULL);

  return g_object_new (TALK_TYPE_WINDOW, "application", application, NULL);
}
