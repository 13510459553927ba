/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "talk-search-dialog.h"
#include "talk-search-result.h"
#include "talk-search-row.h"

struct _TalkSearchDialog
{
  AdwWindow       parent_instance;

  TalkClient     *client;
  /* The search under way; a newer one cancels it. */
  GCancellable   *cancellable;

  /* Template widgets */
  GtkSearchEntry *entry;
  GtkStack       *stack;
  GtkLabel       *count_label;
  GtkListBox     *results_list;
};

G_DEFINE_FINAL_TYPE (TalkSearchDialog, talk_search_dialog, ADW_TYPE_WINDOW)

enum {
  PROP_0,
  PROP_CLIENT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  SIGNAL_RESULT_ACTIVATED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
cancel_search (TalkSearchDialog *self)
{
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
}

static void
clear_results (TalkSearchDialog *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->results_list))) != NULL)
    gtk_list_box_remove (self->results_list, child);
}

/* The contact as the contact list and the chat tabs name it. */
static TalkContact *
dup_contact (TalkSearchDialog *self,
             const char       *peer)
{
  GListModel *roster = talk_client_get_roster (self->client);
  TalkContact *contact = NULL;

  if (TALK_IS_ROSTER (roster))
    {
      contact = talk_roster_lookup (TALK_ROSTER (roster), peer);
      if (contact == NULL)
        contact = talk_roster_lookup_unlisted (TALK_ROSTER (roster), peer);
    }

  return contact != NULL ? g_object_ref (contact) : talk_contact_new (peer);
}

static void
show_results (TalkSearchDialog *self,
              GPtrArray        *results)
{
  g_autoptr(GHashTable) contacts = g_hash_table_new_full (g_str_hash, g_str_equal,
                                                          NULL, g_object_unref);
  g_autofree char *count = NULL;

  clear_results (self);
  if (results->len == 0)
    {
      gtk_stack_set_visible_child_name (self->stack, "none");
      return;
    }

  for (guint i = 0; i < results->len; i++)
    {
      const TalkSearchResult *result = g_ptr_array_index (results, i);
      TalkContact *contact = g_hash_table_lookup (contacts, result->peer);

      if (contact == NULL)
        {
          contact = dup_contact (self, result->peer);
          g_hash_table_insert (contacts, result->peer, contact);
        }
      gtk_list_box_append (self->results_list,
                           talk_search_row_new (result, talk_contact_get_display_name (contact),
                                                result->outgoing ? _("You") : NULL));
    }

  count = g_strdup_printf (ngettext ("%u message found", "%u messages found", results->len),
                           results->len);
  gtk_label_set_text (self->count_label, count);
  gtk_stack_set_visible_child_name (self->stack, "results");
}

static void
find_cb (GObject      *source,
         GAsyncResult *res,
         gpointer      user_data)
{
  g_autoptr(TalkSearchDialog) self = user_data;
  g_autoptr(GPtrArray) results = NULL;
  g_autoptr(GError) error = NULL;

  results = talk_search_result_find_finish (TALK_CHATS (source), res, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  g_clear_object (&self->cancellable);
  if (results == NULL)
    {
      g_debug ("Searching all conversations: %s", error->message);
      clear_results (self);
      gtk_stack_set_visible_child_name (self->stack, "none");
      return;
    }

  show_results (self, results);
}

static void
search_changed_cb (TalkSearchDialog *self)
{
  TalkChats *chats = talk_client_get_chats (self->client);
  g_autofree char *words = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->entry))));

  cancel_search (self);
  if (*words == '\0' || chats == NULL)
    {
      clear_results (self);
      gtk_stack_set_visible_child_name (self->stack, "start");
      return;
    }

  self->cancellable = g_cancellable_new ();
  talk_search_result_find_async (chats, words, NULL, self->cancellable, find_cb,
                                 g_object_ref (self));
}

static void
activate_row (TalkSearchDialog *self,
              GtkListBoxRow    *row)
{
  g_autoptr(TalkSearchResult) result = NULL;

  if (!TALK_IS_SEARCH_ROW (row))
    return;

  /* A copy: whoever handles the signal may change the list. */
  result = talk_search_result_copy (talk_search_row_get_result (TALK_SEARCH_ROW (row)));
  gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
  g_signal_emit (self, signals[SIGNAL_RESULT_ACTIVATED], 0,
                 result->peer, result->message_id, result->timestamp_us);
}

static void
row_activated_cb (TalkSearchDialog *self,
                  GtkListBoxRow    *row)
{
  activate_row (self, row);
}

static void
entry_activate_cb (TalkSearchDialog *self)
{
  GtkListBoxRow *first = gtk_list_box_get_row_at_index (self->results_list, 0);

  if (first != NULL && g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "results") == 0)
    activate_row (self, first);
}

static void
stop_search_cb (TalkSearchDialog *self)
{
  gtk_window_close (GTK_WINDOW (self));
}

/* Down in the entry goes on to the messages found. */
static gboolean
entry_key_pressed_cb (TalkSearchDialog      *self,
                      guint                  keyval,
                      guint                  keycode,
                      GdkModifierType        state,
                      GtkEventControllerKey *controller)
{
  GtkListBoxRow *first;

  if (keyval != GDK_KEY_Down && keyval != GDK_KEY_KP_Down)
    return GDK_EVENT_PROPAGATE;

  first = gtk_list_box_get_row_at_index (self->results_list, 0);
  if (first == NULL || g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "results") != 0)
    return GDK_EVENT_PROPAGATE;

  gtk_widget_grab_focus (GTK_WIDGET (first));
  return GDK_EVENT_STOP;
}

static void
talk_search_dialog_dispose (GObject *object)
{
  TalkSearchDialog *self = TALK_SEARCH_DIALOG (object);

  cancel_search (self);
  gtk_widget_dispose_template (GTK_WIDGET (object), TALK_TYPE_SEARCH_DIALOG);

  G_OBJECT_CLASS (talk_search_dialog_parent_class)->dispose (object);
}

static void
talk_search_dialog_finalize (GObject *object)
{
  TalkSearchDialog *self = TALK_SEARCH_DIALOG (object);

  g_clear_object (&self->client);

  G_OBJECT_CLASS (talk_search_dialog_parent_class)->finalize (object);
}

static void
talk_search_dialog_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  TalkSearchDialog *self = TALK_SEARCH_DIALOG (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      g_value_set_object (value, self->client);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
talk_search_dialog_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  TalkSearchDialog *self = TALK_SEARCH_DIALOG (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      self->client = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
talk_search_dialog_class_init (TalkSearchDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = talk_search_dialog_dispose;
  object_class->finalize = talk_search_dialog_finalize;
  object_class->get_property = talk_search_dialog_get_property;
  object_class->set_property = talk_search_dialog_set_property;

  properties[PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL, TALK_TYPE_CLIENT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_RESULT_ACTIVATED] =
    g_signal_new ("result-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 3,
                  G_TYPE_STRING, G_TYPE_INT64, G_TYPE_INT64);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/com/example/Talk/ui/talk-search-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, TalkSearchDialog, entry);
  gtk_widget_class_bind_template_child (widget_class, TalkSearchDialog, stack);
  gtk_widget_class_bind_template_child (widget_class, TalkSearchDialog, count_label);
  gtk_widget_class_bind_template_child (widget_class, TalkSearchDialog, results_list);
  gtk_widget_class_bind_template_callback (widget_class, search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, entry_activate_cb);
  gtk_widget_class_bind_template_callback (widget_class, stop_search_cb);
  gtk_widget_class_bind_template_callback (widget_class, row_activated_cb);

  /* Escape anywhere in the dialog, as in the entry. */
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
talk_search_dialog_init (TalkSearchDialog *self)
{
  GtkEventController *keys = gtk_event_controller_key_new ();

  gtk_widget_init_template (GTK_WIDGET (self));

  g_signal_connect_swapped (keys, "key-pressed", G_CALLBACK (entry_key_pressed_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self->entry), keys);
}

GtkWidget *
talk_search_dialog_new (GtkWindow  *parent,
                        TalkClient *client)
{
  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (TALK_IS_CLIENT (client), NULL);

  return g_object_new (TALK_TYPE_SEARCH_DIALOG,
                       "transient-for", parent,
                       "client", client,
                       NULL);
}

void
talk_search_dialog_present (TalkSearchDialog *self)
{
  g_return_if_fail (TALK_IS_SEARCH_DIALOG (self));

  gtk_window_present (GTK_WINDOW (self));
  gtk_widget_grab_focus (GTK_WIDGET (self->entry));
  gtk_editable_select_region (GTK_EDITABLE (self->entry), 0, -1);
  search_changed_cb (self);
}
