/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "talk-composer.h"

/* The text grows up to this many lines, then scrolls. */
#define MAX_VISIBLE_LINES 6

struct _TalkComposer
{
  AdwBin          parent_instance;

  TalkChats      *chats;
  char           *peer;
  gboolean        editing;
  /* An input method is composing: Enter is its to take. */
  gboolean        preedit;

  /* Template widgets */
  GtkRevealer    *edit_revealer;
  GtkScrolledWindow *scroller;
  GtkTextView    *text_view;
  GtkWidget      *placeholder;
  GtkMenuButton  *emoji_button;
  GtkWidget      *send_button;
};

G_DEFINE_FINAL_TYPE (TalkComposer, talk_composer, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_EDITING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  SENT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* Text */

static GtkTextBuffer *
get_buffer (TalkComposer *self)
{
  return gtk_text_view_get_buffer (self->text_view);
}

static char *
dup_text (TalkComposer *self)
{
  GtkTextBuffer *buffer = get_buffer (self);
  GtkTextIter start;
  GtkTextIter end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);

  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

static void
set_text (TalkComposer *self,
          const char   *text)
{
  GtkTextBuffer *buffer = get_buffer (self);
  GtkTextIter end;

  gtk_text_buffer_set_text (buffer, text != NULL ? text : "", -1);
  gtk_text_buffer_get_end_iter (buffer, &end);
  gtk_text_buffer_place_cursor (buffer, &end);
}

/* What is sent: the text without the blank lines and spaces around it at
 * the end; nothing when it is only white space. Leading spaces stay, as a
 * preformatted block may need them. */
static char *
dup_message (TalkComposer *self)
{
  g_autofree char *text = dup_text (self);
  g_autofree char *stripped = g_strstrip (g_strdup (text));

  if (*stripped == '\0')
    return NULL;

  return g_strdup (g_strchomp (text));
}

static void
set_editing (TalkComposer *self,
             gboolean      editing)
{
  if (self->editing == editing)
    return;

  self->editing = editing;
  gtk_revealer_set_reveal_child (self->edit_revealer, editing);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "composer.cancel-edit", editing);
  if (editing)
    {
      gtk_widget_add_css_class (GTK_WIDGET (self), "editing");
      gtk_accessible_update_property (GTK_ACCESSIBLE (self->text_view),
                                      GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, _("Editing message"),
                                      -1);
    }
  else
    {
      gtk_widget_remove_css_class (GTK_WIDGET (self), "editing");
      gtk_accessible_reset_property (GTK_ACCESSIBLE (self->text_view),
                                     GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EDITING]);
}

static gboolean
update_controls (TalkComposer *self)
{
  gboolean has_text = gtk_text_buffer_get_char_count (get_buffer (self)) > 0;
  g_autofree char *message = dup_message (self);

  gtk_widget_set_visible (self->placeholder, !has_text);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "composer.send",
                                 message != NULL && self->chats != NULL && self->peer != NULL);

  return has_text;
}

static void
buffer_changed_cb (TalkComposer *self)
{
  gboolean has_text = update_controls (self);

  if (self->chats != NULL && self->peer != NULL)
    talk_chats_composer_changed (self->chats, self->peer, has_text);
}

/* Sending and correcting */

static void
send (TalkComposer *self)
{
  g_autofree char *message = dup_message (self);

  if (message == NULL || self->chats == NULL || self->peer == NULL)
    return;

  if (self->editing)
    {
      /* The last message may have been sent from another device since:
       * then there is nothing to correct any more, and it goes out new. */
      if (!talk_chats_correct_last_message (self->chats, self->peer, message))
        talk_chats_send_message (self->chats, self->peer, message);
    }
  else
    {
      talk_chats_send_message (self->chats, self->peer, message);
    }

  set_editing (self, FALSE);
  set_text (self, "");
  g_signal_emit (self, signals[SENT], 0);
}

static gboolean
start_edit (TalkComposer *self)
{
  TalkMessage *last;

  if (self->chats == NULL || self->peer == NULL)
    return FALSE;

  last = talk_chats_get_last_outgoing (self->chats, self->peer);
  if (last == NULL || talk_message_get_body (last) == NULL)
    return FALSE;

  set_text (self, talk_message_get_body (last));
  set_editing (self, TRUE);

  return TRUE;
}

void
talk_composer_cancel_edit (TalkComposer *self)
{
  g_return_if_fail (TALK_IS_COMPOSER (self));

  if (!self->editing)
    return;

  set_editing (self, FALSE);
  set_text (self, "");
}

/* Keys */

static gboolean
key_pressed_cb (GtkEventControllerKey *controller,
                guint                  keyval,
                guint                  keycode,
                GdkModifierType        state,
                TalkComposer          *self)
{
  GdkModifierType modifiers = state & gtk_accelerator_get_default_mod_mask ();

  switch (keyval)
    {
    case GDK_KEY_Return:
    case GDK_KEY_KP_Enter:
    case GDK_KEY_ISO_Enter:
      /* Shift+Enter (and Ctrl+Enter) are new lines; the input method's
       * Enter confirms what it composes. */
      if (modifiers != 0 || self->preedit)
        return GDK_EVENT_PROPAGATE;
      send (self);
      return GDK_EVENT_STOP;

    case GDK_KEY_Up:
    case GDK_KEY_KP_Up:
      if (modifiers != 0 || self->editing ||
          gtk_text_buffer_get_char_count (get_buffer (self)) > 0)
        return GDK_EVENT_PROPAGATE;
      return start_edit (self) ? GDK_EVENT_STOP : GDK_EVENT_PROPAGATE;

    case GDK_KEY_Escape:
      if (!self->editing)
        return GDK_EVENT_PROPAGATE;
      talk_composer_cancel_edit (self);
      return GDK_EVENT_STOP;

    default:
      return GDK_EVENT_PROPAGATE;
    }
}

static void
preedit_changed_cb (TalkComposer *self,
                    const char   *preedit)
{
  self->preedit = preedit != NULL && *preedit != '\0';
}

static void
emoji_picked_cb (TalkComposer *self,
                 const char   *text)
{
  GtkTextBuffer *buffer = get_buffer (self);

  gtk_text_buffer_begin_user_action (buffer);
  gtk_text_buffer_delete_selection (buffer, TRUE, TRUE);
  gtk_text_buffer_insert_at_cursor (buffer, text, -1);
  gtk_text_buffer_end_user_action (buffer);
  gtk_widget_grab_focus (GTK_WIDGET (self->text_view));
}

/* Actions */

static void
send_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  TalkComposer *self = TALK_COMPOSER (widget);

  send (self);
  gtk_widget_grab_focus (GTK_WIDGET (self->text_view));
}

static void
cancel_edit_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  TalkComposer *self = TALK_COMPOSER (widget);

  talk_composer_cancel_edit (self);
  gtk_widget_grab_focus (GTK_WIDGET (self->text_view));
}

/* The height of MAX_VISIBLE_LINES lines in the text view's font, once
 * it is shown with its style. */
static void
update_max_height (TalkComposer *self)
{
  g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (GTK_WIDGET (self->text_view),
                                                                  "X");
  int margins = gtk_text_view_get_top_margin (self->text_view) +
                gtk_text_view_get_bottom_margin (self->text_view);
  int line;

  pango_layout_get_pixel_size (layout, NULL, &line);
  if (line <= 0)
    return;

  gtk_scrolled_window_set_max_content_height (self->scroller, line * MAX_VISIBLE_LINES + margins);
}

/* A scroll bar only once the text is taller than the composer grows:
 * GtkScrolledWindow is at least as tall as its scroll bar could be, which
 * is more than one line. */
static void
scroller_changed_cb (TalkComposer  *self,
                     GtkAdjustment *adjustment)
{
  gboolean overflows = gtk_adjustment_get_upper (adjustment) >
                       gtk_scrolled_window_get_max_content_height (self->scroller);

  gtk_scrolled_window_set_policy (self->scroller, GTK_POLICY_NEVER,
                                  overflows ? GTK_POLICY_AUTOMATIC : GTK_POLICY_EXTERNAL);
}

/* GObject */

static void
talk_composer_dispose (GObject *object)
{
  TalkComposer *self = TALK_COMPOSER (object);

  gtk_widget_dispose_template (GTK_WIDGET (object), TALK_TYPE_COMPOSER);
  g_clear_object (&self->chats);
  g_clear_pointer (&self->peer, g_free);

  G_OBJECT_CLASS (talk_composer_parent_class)->dispose (object);
}

static void
talk_composer_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  TalkComposer *self = TALK_COMPOSER (object);

  switch (prop_id)
    {
    case PROP_EDITING:
      g_value_set_boolean (value, self->editing);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
talk_composer_class_init (TalkComposerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = talk_composer_dispose;
  object_class->get_property = talk_composer_get_property;

  properties[PROP_EDITING] =
    g_param_spec_boolean ("editing", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SENT] = g_signal_new ("sent", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/com/example/Talk/ui/talk-composer.ui");
  gtk_widget_class_bind_template_child (widget_class, TalkComposer, edit_revealer);
  gtk_widget_class_bind_template_child (widget_class, TalkComposer, scroller);
  gtk_widget_class_bind_template_child (widget_class, TalkComposer, text_view);
  gtk_widget_class_bind_template_child (widget_class, TalkComposer, placeholder);
  gtk_widget_class_bind_template_child (widget_class, TalkComposer, emoji_button);
  gtk_widget_class_bind_template_child (widget_class, TalkComposer, send_button);
  gtk_widget_class_bind_template_callback (widget_class, emoji_picked_cb);
  gtk_widget_class_bind_template_callback (widget_class, preedit_changed_cb);

  gtk_widget_class_install_action (widget_class, "composer.send", NULL, send_action);
  gtk_widget_class_install_action (widget_class, "composer.cancel-edit", NULL, cancel_edit_action);
}

static void
talk_composer_init (TalkComposer *self)
{
  GtkEventController *keys;

  gtk_widget_init_template (GTK_WIDGET (self));

  /* Before the text view inserts a new line for Enter. */
  keys = gtk_event_controller_key_new ();
  gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
  g_signal_connect (keys, "key-pressed", G_CALLBACK (key_pressed_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self->text_view), keys);

  g_signal_connect_object (get_buffer (self), "changed", G_CALLBACK (buffer_changed_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->text_view),
                                  GTK_ACCESSIBLE_PROPERTY_PLACEHOLDER, _("Write a message…"),
                                  GTK_ACCESSIBLE_PROPERTY_MULTI_LINE, TRUE,
                                  -1);

  g_signal_connect_swapped (self->text_view, "map", G_CALLBACK (update_max_height), self);
  g_signal_connect_object (gtk_scrolled_window_get_vadjustment (self->scroller), "changed",
                           G_CALLBACK (scroller_changed_cb), self, G_CONNECT_SWAPPED);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "composer.send", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "composer.cancel-edit", FALSE);
}

GtkWidget *
talk_composer_new (void)
{
  return g_object_new (TALK_TYPE_COMPOSER, NULL);
}

void
talk_composer_set_target (TalkComposer *self,
                          TalkChats    *chats,
                          const char   *peer)
{
  g_return_if_fail (TALK_IS_COMPOSER (self));
  g_return_if_fail (chats == NULL || TALK_IS_CHATS (chats));

  /* A draft or a correction belongs to the peer it was written to. */
  if (self->peer != NULL && g_strcmp0 (self->peer, peer) != 0)
    {
      set_editing (self, FALSE);
      set_text (self, "");
    }

  g_set_object (&self->chats, chats);
  g_free (self->peer);
  self->peer = g_strdup (peer);
  update_controls (self);
}

gboolean
talk_composer_get_editing (TalkComposer *self)
{
  g_return_val_if_fail (TALK_IS_COMPOSER (self), FALSE);

  return self->editing;
}

void
talk_composer_focus (TalkComposer *self)
{
  g_return_if_fail (TALK_IS_COMPOSER (self));

  gtk_widget_grab_focus (GTK_WIDGET (self->text_view));
}
