/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "talk-search-panel.h"
#include "talk-search-result.h"
#include "talk-search-row.h"

struct _TalkSearchPanel
{
  AdwBin           parent_instance;

  TalkChats       *chats;
  TalkContact     *contact;
  /* The search under way; a newer one cancels it. */
  GCancellable    *cancellable;

  /* Template widgets */
  GtkSearchBar    *search_bar;
  GtkSearchEntry  *entry;
  GtkLabel        *status_label;
  GtkWidget       *results_scroller;
  GtkListBox      *results_list;
};

G_DEFINE_FINAL_TYPE (TalkSearchPanel, talk_search_panel, ADW_TYPE_BIN)

enum {
  SIGNAL_RESULT_ACTIVATED,
  SIGNAL_CLOSED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
clear_results (TalkSearchPanel *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->results_list))) != NULL)
    gtk_list_box_remove (self->results_list, child);
  gtk_widget_set_visible (self->results_scroller, FALSE);
}

static void
cancel_search (TalkSearchPanel *self)
{
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
}

static void
set_status (TalkSearchPanel *self,
            const char      *text)
{
  gtk_label_set_text (self->status_label, text != NULL ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->status_label), text != NULL);
}

static void
show_results (TalkSearchPanel *self,
              GPtrArray       *results)
{
  const char *name = talk_contact_get_display_name (self->contact);
  g_autofree char *status = NULL;

  clear_results (self);
  for (guint i = 0; i < results->len; i++)
    {
      const TalkSearchResult *result = g_ptr_array_index (results, i);

      /* Copies from another device of the account are the user's too. */
      gtk_list_box_append (self->results_list,
                           talk_search_row_new (result,
                                                result->outgoing ? _("You") : name,
                                                NULL));
    }

  if (results->len == 0)
    {
      set_status (self, _("No messages found"));
      return;
    }

  status = g_strdup_printf (ngettext ("%u message found", "%u messages found", results->len),
                            results->len);
  set_status (self, status);
  gtk_widget_set_visible (self->results_scroller, TRUE);
}

static void
find_cb (GObject      *source,
         GAsyncResult *res,
         gpointer      user_data)
{
  g_autoptr(TalkSearchPanel) self = user_data;
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;

  results = talk_search_result_find_finish (TALK_CHATS (source), res, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  g_clear_object (&self->cancellable);
  if (results == NULL)
    {
      g_debug ("Searching a conversation: %s", error->message);
      clear_results (self);
      set_status (self, _("The history could not be searched"));
      return;
    }

  show_results (self, results);
}

static void
search_changed_cb (TalkSearchPanel *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->entry));
  g_autofree char *words = g_strstrip (g_strdup (text));

  cancel_search (self);
  if (*words == '\0' || self->chats == NULL || self->contact == NULL)
    {
      clear_results (self);
      set_status (self, NULL);
      return;
    }

  self->cancellable = g_cancellable_new ();
  talk_search_result_find_async (self->chats, words, talk_contact_get_jid (self->contact),
                                 self->cancellable, find_cb, g_object_ref (self));
}

static void
activate_row (TalkSearchPanel *self,
              GtkListBoxRow   *row)
{
  const TalkSearchResult *result;

  if (!TALK_IS_SEARCH_ROW (row))
    return;

  result = talk_search_row_get_result (TALK_SEARCH_ROW (row));
  g_signal_emit (self, signals[SIGNAL_RESULT_ACTIVATED], 0,
                 result->message_id, result->timestamp_us);
}

static void
row_activated_cb (TalkSearchPanel *self,
                  GtkListBoxRow   *row)
{
  activate_row (self, row);
}

/* Enter in the entry shows the newest message found. */
static void
entry_activate_cb (TalkSearchPanel *self)
{
  GtkListBoxRow *first = gtk_list_box_get_row_at_index (self->results_list, 0);

  if (first != NULL)
    {
      gtk_list_box_select_row (self->results_list, first);
      activate_row (self, first);
    }
}

/* Down in the entry goes on to the messages found. */
static gboolean
entry_key_pressed_cb (TalkSearchPanel       *self,
                      guint                  keyval,
                      guint                  keycode,
                      GdkModifierType        state,
                      GtkEventControllerKey *controller)
{
  GtkListBoxRow *first;

  if (keyval != GDK_KEY_Down && keyval != GDK_KEY_KP_Down)
    return GDK_EVENT_PROPAGATE;

  first = gtk_list_box_get_row_at_index (self->results_list, 0);
  if (first == NULL || !gtk_widget_get_visible (self->results_scroller))
    return GDK_EVENT_PROPAGATE;

  gtk_widget_grab_focus (GTK_WIDGET (first));
  return GDK_EVENT_STOP;
}

static void
search_mode_cb (TalkSearchPanel *self)
{
  if (gtk_search_bar_get_search_mode (self->search_bar))
    return;

  cancel_search (self);
  g_signal_emit (self, signals[SIGNAL_CLOSED], 0);
}

/* Escape from the list of results; the entry handles its own. */
static gboolean
close_shortcut_cb (GtkWidget *widget,
                   GVariant  *args,
                   gpointer   user_data)
{
  TalkSearchPanel *self = TALK_SEARCH_PANEL (widget);

  if (!gtk_search_bar_get_search_mode (self->search_bar))
    return FALSE;

  talk_search_panel_close (self);
  return TRUE;
}

static void
close_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  talk_search_panel_close (TALK_SEARCH_PANEL (widget));
}

static void
talk_search_panel_dispose (GObject *object)
{
  TalkSearchPanel *self = TALK_SEARCH_PANEL (object);

  cancel_search (self);
  /* The search bar is both a template child and the bin's child: unset it
   * first, or the bin would unparent it again after the template freed it. */
  adw_bin_set_child (ADW_BIN (object), NULL);
  gtk_widget_dispose_template (GTK_WIDGET (object), TALK_TYPE_SEARCH_PANEL);
  g_clear_object (&self->chats);
  g_clear_object (&self->contact);

  G_OBJECT_CLASS (talk_search_panel_parent_class)->dispose (object);
}

static void
talk_search_panel_class_init (TalkSearchPanelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = talk_search_panel_dispose;

  signals[SIGNAL_RESULT_ACTIVATED] =
    g_signal_new ("result-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_INT64, G_TYPE_INT64);
  signals[SIGNAL_CLOSED] =
    g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/com/example/Talk/ui/talk-search-panel.ui");
  gtk_widget_class_bind_template_child (widget_class, TalkSearchPanel, search_bar);
  gtk_widget_class_bind_template_child (widget_class, TalkSearchPanel, entry);
  gtk_widget_class_bind_template_child (widget_class, TalkSearchPanel, status_label);
  gtk_widget_class_bind_template_child (widget_class, TalkSearchPanel, results_scroller);
  gtk_widget_class_bind_template_child (widget_class, TalkSearchPanel, results_list);
  gtk_widget_class_bind_template_callback (widget_class, search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, entry_activate_cb);
  gtk_widget_class_bind_template_callback (widget_class, row_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, search_mode_cb);

  gtk_widget_class_install_action (widget_class, "search.close", NULL, close_action);
  gtk_widget_class_add_binding (widget_class, GDK_KEY_Escape, 0, close_shortcut_cb, NULL);
}

static void
talk_search_panel_init (TalkSearchPanel *self)
{
  GtkEventController *keys = gtk_event_controller_key_new ();

  gtk_widget_init_template (GTK_WIDGET (self));

  /* The entry is not the bar's direct child: tell the bar which entry
   * stops the search on Escape. */
  gtk_search_bar_connect_entry (self->search_bar, GTK_EDITABLE (self->entry));
  g_signal_connect_swapped (keys, "key-pressed", G_CALLBACK (entry_key_pressed_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self->entry), keys);
}

GtkWidget *
talk_search_panel_new (void)
{
  return g_object_new (TALK_TYPE_SEARCH_PANEL, NULL);
}

void
talk_search_panel_set_target (TalkSearchPanel *self,
                              TalkChats       *chats,
                              TalkContact     *contact)
{
  g_return_if_fail (TALK_IS_SEARCH_PANEL (self));
  g_return_if_fail (chats == NULL || TALK_IS_CHATS (chats));
  g_return_if_fail (contact == NULL || TALK_IS_CONTACT (contact));

  cancel_search (self);
  g_set_object (&self->chats, chats);
  g_set_object (&self->contact, contact);
  clear_results (self);
  set_status (self, NULL);
}

void
talk_search_panel_begin (TalkSearchPanel *self)
{
  g_return_if_fail (TALK_IS_SEARCH_PANEL (self));

  gtk_search_bar_set_search_mode (self->search_bar, TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->entry));
  gtk_editable_select_region (GTK_EDITABLE (self->entry), 0, -1);
}

gboolean
talk_search_panel_get_active (TalkSearchPanel *self)
{
  g_return_val_if_fail (TALK_IS_SEARCH_PANEL (self), FALSE);

  return gtk_search_bar_get_search_mode (self->search_bar);
}

void
talk_search_panel_close (TalkSearchPanel *self)
{
  g_return_if_fail (TALK_IS_SEARCH_PANEL (self));

  gtk_search_bar_set_search_mode (self->search_bar, FALSE);
}
