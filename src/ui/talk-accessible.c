/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "talk-accessible.h"

#define NAMED_KEY "talk-accessible-named"

static void
name_from_tooltip (GtkWidget *button)
{
  const char *tooltip = gtk_widget_get_tooltip_text (button);

  if (tooltip != NULL && *tooltip != '\0')
    gtk_accessible_update_property (GTK_ACCESSIBLE (button),
                                    GTK_ACCESSIBLE_PROPERTY_LABEL, tooltip,
                                    -1);
}

static void
tooltip_changed_cb (GtkWidget  *button,
                    GParamSpec *pspec,
                    gpointer    user_data)
{
  name_from_tooltip (button);
}

void
talk_accessible_name_icon_buttons (GtkWidget *root)
{
  g_return_if_fail (GTK_IS_WIDGET (root));

  for (GtkWidget *child = gtk_widget_get_first_child (root);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (GTK_IS_BUTTON (child) &&
          GTK_IS_IMAGE (gtk_button_get_child (GTK_BUTTON (child))) &&
          g_object_get_data (G_OBJECT (child), NAMED_KEY) == NULL)
        {
          g_object_set_data (G_OBJECT (child), NAMED_KEY, GINT_TO_POINTER (TRUE));
          name_from_tooltip (child);
          g_signal_connect (child, "notify::tooltip-text", G_CALLBACK (tooltip_changed_cb), NULL);
          continue;
        }
      talk_accessible_name_icon_buttons (child);
    }
}
