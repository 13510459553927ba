/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "talk-avatar.h"
#include "talk-chat-page.h"
#include "talk-chats.h"
#include "talk-composer.h"
#include "talk-message-row.h"
#include "talk-presence-button.h"
#include "talk-search-panel.h"

/*
 * Scrolling, from the vertical adjustment:
 *
 *   value-changed ─▶ stick_to_bottom = the view shows the end
 *                 └▶ near the top and allowed ─▶ talk_chats_load_older_async()
 *   changed (the content or the view changed size),
 *   a message appended, the user sent one ─▶ stick_to_bottom? scroll to the end
 *
 * Scrolling to the end makes the newest row the list view's anchor, so
 * rows measured later above it do not push it out of view; the value is
 * also set to the end on the next frame, before its layout.
 *
 * A load of older messages is allowed once per reach of the top: it is
 * allowed again when the view leaves the top. GtkListView keeps the rows
 * in view in place when the older page is prepended.
 *
 * Showing a message found by a search (talk_chat_page_show_message()):
 *
 *   in the model? ─▶ scroll to it, highlight it for a moment
 *   else a page is being read ─▶ wait for it (notify::loading, its callback)
 *   else older pages remain and the oldest held is not older than the
 *   message ─▶ talk_conversation_load_older_async() ─▶ look again
 *   else ─▶ give up: the message is not in this conversation's view
 *
 * The conversation only reads pages backwards from the newest, so an old
 * message takes as many pages as lie between; the history holds it, so
 * the archive on the server is never asked.
 */

/* Within this many pixels of an end counts as at it. */
#define BOTTOM_SLACK 32
#define TOP_SLACK    200

/* How long a message found by a search stays highlighted. */
#define HIGHLIGHT_MS 2500

struct _TalkChatPage
{
  AdwBin            parent_instance;

  TalkClient       *client;
  TalkContact      *contact;
  TalkChats        *chats;
  TalkConversation *conversation;
  /* The account itself, for the avatar and name of outgoing messages. */
  TalkContact      *own_contact;
  /* TalkMessage → the TalkMessageRow bound to it (both unowned), to tell a
   * row that the message before it changed. */
  GHashTable       *rows;
  GCancellable     *cancellable;
  gboolean          stick_to_bottom;
  guint             pin_tick_id;
  gboolean          top_armed;
  gboolean          loading_older;
  /* The message a search result asked to show, until it is in view. */
  gint64            jump_id;
  gint64            jump_timestamp_us;
  /* The message highlighted after a jump, and when that ends. */
  gint64            highlight_id;
  guint             highlight_timeout_id;
  /* Frames since the jump, to tell where the view ended up. */
  guint             settle_tick_id;
  guint             settle_frames;

  /* Template widgets */
  TalkAvatar       *avatar;
  GtkLabel         *name_label;
  GtkStack         *subtitle_stack;
  GtkWidget        *dot;
  GtkLabel         *presence_label;
  GtkLabel         *status_label;
  GtkLabel         *typing_label;
  TalkSearchPanel  *search_panel;
  GtkScrolledWindow *scroller;
  GtkListView      *list_view;
  GtkWidget        *empty_page;
  GtkRevealer      *loading_revealer;
  GtkSpinner       *loading_spinner;
  GtkLabel         *loading_label;
  GtkRevealer      *jump_revealer;
  TalkComposer     *composer;
};

G_DEFINE_FINAL_TYPE (TalkChatPage, talk_chat_page, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_CLIENT,
  PROP_CONTACT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Header */

static void
update_typing (TalkChatPage *self)
{
  TalkXmppChatState state = TALK_XMPP_CHAT_STATE_NONE;

  if (self->chats != NULL)
    state = talk_chats_get_peer_chat_state (self->chats, talk_contact_get_jid (self->contact));

  if (state == TALK_XMPP_CHAT_STATE_COMPOSING)
    {
      /* Translators: %s is a contact's name */
      g_autofree char *typing = g_strdup_printf (_("%s is typing…"),
                                                 talk_contact_get_display_name (self->contact));

      gtk_label_set_text (self->typing_label, typing);
      gtk_stack_set_visible_child_name (self->subtitle_stack, "typing");
    }
  else
    {
      gtk_stack_set_visible_child_name (self->subtitle_stack, "presence");
    }
}

static void
update_contact (TalkChatPage *self)
{
  TalkXmppPresenceShow show = talk_contact_get_show (self->contact);
  const char *status = talk_contact_get_status (self->contact);
  const char *name = talk_contact_get_display_name (self->contact);
  gboolean has_status = status != NULL && *status != '\0';
  g_autofree char *description = NULL;

  /* Network text: never markup. */
  gtk_label_set_text (self->name_label, name);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->name_label), talk_contact_get_jid (self->contact));
  talk_presence_dot_set_show (self->dot, show);
  gtk_label_set_text (self->presence_label, talk_presence_show_get_label (show));
  gtk_label_set_text (self->status_label, has_status ? status : "");
  gtk_widget_set_visible (GTK_WIDGET (self->status_label), has_status);

  /* Translators: %s is a contact's name */
  description = g_strdup_printf (_("Messages you exchange with %s appear here"), name);
  adw_status_page_set_description (ADW_STATUS_PAGE (self->empty_page), description);
  update_typing (self);
}

static void
chat_state_changed_cb (TalkChatPage      *self,
                       const char        *peer,
                       TalkXmppChatState  state)
{
  if (g_strcmp0 (peer, talk_contact_get_jid (self->contact)) == 0)
    update_typing (self);
}

/* Rows */

static TalkMessage *
dup_message (TalkChatPage *self,
             guint         position)
{
  return self->conversation != NULL
         ? g_list_model_get_item (G_LIST_MODEL (self->conversation), position)
         : NULL;
}

static void
factory_setup_cb (GtkSignalListItemFactory *factory,
                  GtkListItem              *list_item,
                  TalkChatPage             *self)
{
  gtk_list_item_set_activatable (list_item, FALSE);
  gtk_list_item_set_selectable (list_item, FALSE);
  gtk_list_item_set_child (list_item, talk_message_row_new ());
}

static void
factory_bind_cb (GtkSignalListItemFactory *factory,
                 GtkListItem              *list_item,
                 TalkChatPage             *self)
{
  TalkMessageRow *row = TALK_MESSAGE_ROW (gtk_list_item_get_child (list_item));
  TalkMessage *message = gtk_list_item_get_item (list_item);
  guint position = gtk_list_item_get_position (list_item);
  g_autoptr(TalkMessage) previous = NULL;
  gboolean outgoing = talk_message_get_direction (message) == TALK_MESSAGE_DIRECTION_OUT;

  if (position > 0 && position != GTK_INVALID_LIST_POSITION)
    previous = dup_message (self, position - 1);

  /* Copies from another device of the account are the user's too. */
  talk_message_row_set_sender (row, outgoing ? self->own_contact : self->contact);
  talk_message_row_set_previous (row, previous);
  talk_message_row_set_item (row, message);
  g_hash_table_insert (self->rows, message, row);

  /* Rows are recycled: only the highlighted message's row keeps it. */
  if (self->highlight_id != 0 && talk_message_get_id (message) == self->highlight_id)
    gtk_widget_add_css_class (GTK_WIDGET (row), "search-highlight");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (row), "search-highlight");
}

static void
factory_unbind_cb (GtkSignalListItemFactory *factory,
                   GtkListItem              *list_item,
                   TalkChatPage             *self)
{
  TalkMessageRow *row = TALK_MESSAGE_ROW (gtk_list_item_get_child (list_item));
  TalkMessage *message = talk_message_row_get_item (row);

  if (message != NULL && g_hash_table_lookup (self->rows, message) == row)
    g_hash_table_remove (self->rows, message);
  talk_message_row_set_item (row, NULL);
  talk_message_row_set_previous (row, NULL);
  gtk_widget_remove_css_class (GTK_WIDGET (row), "search-highlight");
}

/* The row after a change has a new message above it: its day separator
 * and header may come or go. The rows inside the change are bound anew. */
static void
refresh_row_after (TalkChatPage *self,
                   guint         position)
{
  g_autoptr(TalkMessage) message = dup_message (self, position);
  g_autoptr(TalkMessage) previous = NULL;
  TalkMessageRow *row;

  if (message == NULL)
    return;
  row = g_hash_table_lookup (self->rows, message);
  if (row == NULL)
    return;

  if (position > 0)
    previous = dup_message (self, position - 1);
  talk_message_row_set_previous (row, previous);
}

/* Scrolling */

static GtkAdjustment *
get_vadjustment (TalkChatPage *self)
{
  return gtk_scrolled_window_get_vadjustment (self->scroller);
}

static gboolean
pin_tick_cb (GtkWidget     *widget,
             GdkFrameClock *frame_clock,
             gpointer       user_data)
{
  TalkChatPage *self = user_data;
  GtkAdjustment *adjustment = get_vadjustment (self);

  self->pin_tick_id = 0;
  if (self->stick_to_bottom)
    gtk_adjustment_set_value (adjustment,
                              gtk_adjustment_get_upper (adjustment) -
                              gtk_adjustment_get_page_size (adjustment));

  return G_SOURCE_REMOVE;
}

static void
queue_pin (TalkChatPage *self)
{
  if (self->pin_tick_id == 0 && self->stick_to_bottom)
    self->pin_tick_id = gtk_widget_add_tick_callback (GTK_WIDGET (self->list_view),
                                                      pin_tick_cb, self, NULL);
}

/* Makes the newest row the list's anchor, then pins the end. */
static void
scroll_to_bottom (TalkChatPage *self)
{
  guint n_items = self->conversation != NULL
                  ? g_list_model_get_n_items (G_LIST_MODEL (self->conversation))
                  : 0;

  if (n_items > 0)
    gtk_widget_activate_action (GTK_WIDGET (self->list_view), "list.scroll-to-item", "u",
                                n_items - 1);
  queue_pin (self);
}

static void
set_stick_to_bottom (TalkChatPage *self,
                     gboolean      stick)
{
  self->stick_to_bottom = stick;
  if (!stick)
    gtk_widget_set_visible (GTK_WIDGET (self->jump_revealer), TRUE);
  gtk_revealer_set_reveal_child (self->jump_revealer, !stick);
}

/* Hidden once faded out, so that assistive technologies do not offer a
 * button nobody sees. */
static void
jump_revealed_cb (TalkChatPage *self)
{
  if (!gtk_revealer_get_child_revealed (self->jump_revealer) &&
      !gtk_revealer_get_reveal_child (self->jump_revealer))
    gtk_widget_set_visible (GTK_WIDGET (self->jump_revealer), FALSE);
}

static void check_top (TalkChatPage *self);
static void continue_jump (TalkChatPage *self);

static void
update_loading (TalkChatPage *self)
{
  gboolean loading = self->conversation != NULL &&
                     (self->loading_older || talk_conversation_get_loading (self->conversation));
  guint n_items = self->conversation != NULL
                  ? g_list_model_get_n_items (G_LIST_MODEL (self->conversation))
                  : 0;

  gtk_label_set_text (self->loading_label,
                      n_items > 0 ? _("Loading older messages…") : _("Loading messages…"));
  gtk_spinner_set_spinning (self->loading_spinner, loading);
  gtk_revealer_set_reveal_child (self->loading_revealer, loading);
  gtk_widget_set_visible (self->empty_page, !loading && n_items == 0);
}

static void
load_older_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(TalkChatPage) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!talk_chats_load_older_finish (TALK_CHATS (source), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      g_debug ("Loading older messages: %s", error->message);
    }
  if (self->conversation == NULL)
    return;

  self->loading_older = FALSE;
  update_loading (self);
  if (self->jump_id != 0)
    {
      continue_jump (self);
      return;
    }

  /* Too little to scroll yet: nothing can reach the top again, so go on. */
  if (error == NULL)
    {
      GtkAdjustment *adjustment = get_vadjustment (self);
      double range = gtk_adjustment_get_upper (adjustment) -
                     gtk_adjustment_get_page_size (adjustment);

      if (range < TOP_SLACK)
        {
          self->top_armed = TRUE;
          check_top (self);
        }
    }
}

static void
check_top (TalkChatPage *self)
{
  GtkAdjustment *adjustment = get_vadjustment (self);
  gboolean near_top = gtk_adjustment_get_value (adjustment) < TOP_SLACK;

  if (!near_top)
    {
      self->top_armed = TRUE;
      return;
    }
  if (!self->top_armed || self->loading_older || self->chats == NULL ||
      self->conversation == NULL ||
      g_list_model_get_n_items (G_LIST_MODEL (self->conversation)) == 0 ||
      talk_conversation_get_loading (self->conversation) ||
      !talk_conversation_get_has_older (self->conversation))
    return;

  self->top_armed = FALSE;
  self->loading_older = TRUE;
  update_loading (self);
  talk_chats_load_older_async (self->chats, self->conversation, self->cancellable,
                               load_older_cb, g_object_ref (self));
}

static void
value_changed_cb (TalkChatPage *self)
{
  GtkAdjustment *adjustment = get_vadjustment (self);
  double bottom = gtk_adjustment_get_upper (adjustment) - gtk_adjustment_get_page_size (adjustment);

  set_stick_to_bottom (self, gtk_adjustment_get_value (adjustment) >= bottom - BOTTOM_SLACK);
  check_top (self);
}

static void
adjustment_changed_cb (TalkChatPage *self)
{
  if (self->stick_to_bottom)
    scroll_to_bottom (self);
}

static void
items_changed_cb (TalkChatPage *self,
                  guint         position,
                  guint         removed,
                  guint         added)
{
  guint n_items = g_list_model_get_n_items (G_LIST_MODEL (self->conversation));

  if (position + added < n_items)
    refresh_row_after (self, position + added);
  update_loading (self);

  if (added > 0 && position + added == n_items && self->stick_to_bottom)
    scroll_to_bottom (self);
}

static void
composer_sent_cb (TalkChatPage *self)
{
  set_stick_to_bottom (self, TRUE);
  scroll_to_bottom (self);
}

static void
scroll_to_newest_action (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *parameter)
{
  TalkChatPage *self = TALK_CHAT_PAGE (widget);

  set_stick_to_bottom (self, TRUE);
  scroll_to_bottom (self);
  talk_composer_focus (self->composer);
}

/* Search */

static void
set_highlight (TalkChatPage *self,
               gint64        id,
               gboolean      highlight)
{
  TalkMessage *message;
  TalkMessageRow *row;

  if (id == 0 || self->conversation == NULL)
    return;

  message = talk_conversation_lookup_message (self->conversation, id, NULL);
  row = message != NULL ? g_hash_table_lookup (self->rows, message) : NULL;
  if (row == NULL)
    return;

  if (highlight)
    gtk_widget_add_css_class (GTK_WIDGET (row), "search-highlight");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (row), "search-highlight");
}

static gboolean
highlight_timeout_cb (gpointer user_data)
{
  TalkChatPage *self = user_data;

  self->highlight_timeout_id = 0;
  set_highlight (self, self->highlight_id, FALSE);
  self->highlight_id = 0;

  return G_SOURCE_REMOVE;
}

/* A view that did not move (everything fits) emits no value-changed:
 * once the list is laid out around the message, look where it is. */
static gboolean
settle_tick_cb (GtkWidget     *widget,
                GdkFrameClock *frame_clock,
                gpointer       user_data)
{
  TalkChatPage *self = user_data;

  if (++self->settle_frames < 2)
    return G_SOURCE_CONTINUE;

  self->settle_tick_id = 0;
  value_changed_cb (self);

  return G_SOURCE_REMOVE;
}

/* Scrolls @message (at @position) into view and highlights it for a
 * moment; the view stops following the newest message. */
static void
reveal_message (TalkChatPage *self,
                TalkMessage  *message,
                guint         position)
{
  set_highlight (self, self->highlight_id, FALSE);
  g_clear_handle_id (&self->highlight_timeout_id, g_source_remove);

  self->highlight_id = talk_message_get_id (message);
  set_highlight (self, self->highlight_id, TRUE);
  self->highlight_timeout_id = g_timeout_add (HIGHLIGHT_MS, highlight_timeout_cb, self);

  self->stick_to_bottom = FALSE;
  gtk_widget_activate_action (GTK_WIDGET (self->list_view), "list.scroll-to-item", "u",
                              position);
  self->settle_frames = 0;
  if (self->settle_tick_id == 0)
    self->settle_tick_id = gtk_widget_add_tick_callback (GTK_WIDGET (self->list_view),
                                                         settle_tick_cb, self, NULL);
}

static void
jump_load_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(TalkChatPage) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!talk_conversation_load_older_finish (TALK_CONVERSATION (source), result, NULL, &error) &&
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (self->conversation == NULL)
    return;

  self->loading_older = FALSE;
  update_loading (self);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PENDING))
    {
      /* The conversation reads a page of its own: notify::loading. */
      return;
    }
  if (error != NULL)
    {
      g_debug ("Loading older messages to show one found: %s", error->message);
      self->jump_id = 0;
      return;
    }

  continue_jump (self);
}

static void
continue_jump (TalkChatPage *self)
{
  g_autoptr(TalkMessage) oldest = NULL;
  TalkMessage *message;
  guint position = 0;

  if (self->jump_id == 0 || self->conversation == NULL)
    return;

  message = talk_conversation_lookup_message (self->conversation, self->jump_id, &position);
  if (message != NULL)
    {
      self->jump_id = 0;
      reveal_message (self, message, position);
      return;
    }

  if (self->loading_older || talk_conversation_get_loading (self->conversation))
    return;

  /* The model holds a contiguous stretch up to the newest message: once
   * its oldest is older than the one wanted, more pages cannot bring it. */
  oldest = dup_message (self, 0);
  if (!talk_conversation_get_has_older (self->conversation) ||
      (oldest != NULL && talk_message_get_timestamp_us (oldest) < self->jump_timestamp_us))
    {
      g_debug ("A message found by a search is not in the conversation");
      self->jump_id = 0;
      return;
    }

  self->loading_older = TRUE;
  update_loading (self);
  talk_conversation_load_older_async (self->conversation, self->cancellable,
                                      jump_load_cb, g_object_ref (self));
}

static void
search_result_cb (TalkChatPage *self,
                  gint64        message_id,
                  gint64        timestamp_us)
{
  talk_chat_page_show_message (self, message_id, timestamp_us);
}

static void
search_closed_cb (TalkChatPage *self)
{
  talk_composer_focus (self->composer);
}

/* Setup */

static TalkChats *
lookup_chats (TalkClient *client)
{
  return client != NULL ? talk_client_get_chats (client) : NULL;
}

static void
open_conversation (TalkChatPage *self)
{
  const char *peer = talk_contact_get_jid (self->contact);
  const char *own_jid = talk_client_get_jid (self->client);
  g_autoptr(GtkNoSelection) selection = NULL;

  self->own_contact = talk_contact_new (own_jid != NULL ? own_jid : "");
  self->chats = lookup_chats (self->client);
  if (self->chats == NULL)
    return;
  g_object_ref (self->chats);

  self->conversation = talk_chats_open_conversation (self->chats, peer);
  g_signal_connect_object (self->conversation, "notify::loading",
                           G_CALLBACK (update_loading), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->conversation, "notify::loading",
                           G_CALLBACK (continue_jump), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->chats, "chat-state-changed",
                           G_CALLBACK (chat_state_changed_cb), self, G_CONNECT_SWAPPED);

  selection = gtk_no_selection_new (g_object_ref (G_LIST_MODEL (self->conversation)));
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (selection));
  /* After the list view's own handler: it must know a new row before it
   * can scroll to it. */
  g_signal_connect_object (selection, "items-changed",
                           G_CALLBACK (items_changed_cb), self, G_CONNECT_SWAPPED);
  talk_composer_set_target (self->composer, self->chats, peer);
  talk_search_panel_set_target (self->search_panel, self->chats, self->contact);
}

static void
talk_chat_page_constructed (GObject *object)
{
  TalkChatPage *self = TALK_CHAT_PAGE (object);
  GtkAdjustment *adjustment;

  G_OBJECT_CLASS (talk_chat_page_parent_class)->constructed (object);

  g_return_if_fail (TALK_IS_CLIENT (self->client));
  g_return_if_fail (TALK_IS_CONTACT (self->contact));

  talk_avatar_set_contact (self->avatar, self->contact);
  g_signal_connect_object (self->contact, "notify::display-name",
                           G_CALLBACK (update_contact), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->contact, "notify::show",
                           G_CALLBACK (update_contact), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->contact, "notify::status",
                           G_CALLBACK (update_contact), self, G_CONNECT_SWAPPED);

  open_conversation (self);

  adjustment = get_vadjustment (self);
  g_signal_connect_object (adjustment, "value-changed",
                           G_CALLBACK (value_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (adjustment, "changed",
                           G_CALLBACK (adjustment_changed_cb), self, G_CONNECT_SWAPPED);

  update_contact (self);
  update_loading (self);
}

static void
talk_chat_page_dispose (GObject *object)
{
  TalkChatPage *self = TALK_CHAT_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  if (self->pin_tick_id != 0)
    gtk_widget_remove_tick_callback (GTK_WIDGET (self->list_view), self->pin_tick_id);
  self->pin_tick_id = 0;
  g_clear_handle_id (&self->highlight_timeout_id, g_source_remove);
  if (self->settle_tick_id != 0)
    gtk_widget_remove_tick_callback (GTK_WIDGET (self->list_view), self->settle_tick_id);
  self->settle_tick_id = 0;
  if (self->chats != NULL && self->contact != NULL)
    talk_chats_composer_changed (self->chats, talk_contact_get_jid (self->contact), FALSE);
  gtk_widget_dispose_template (GTK_WIDGET (object), TALK_TYPE_CHAT_PAGE);
  g_clear_object (&self->conversation);
  g_clear_object (&self->chats);
  g_clear_object (&self->own_contact);
  g_clear_object (&self->contact);
  g_clear_object (&self->client);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->rows, g_hash_table_unref);

  G_OBJECT_CLASS (talk_chat_page_parent_class)->dispose (object);
}

static void
talk_chat_page_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  TalkChatPage *self = TALK_CHAT_PAGE (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      g_value_set_object (value, self->client);
      break;
    case PROP_CONTACT:
      g_value_set_object (value, self->contact);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
talk_chat_page_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  TalkChatPage *self = TALK_CHAT_PAGE (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      self->client = g_value_dup_object (value);
      break;
    case PROP_CONTACT:
      self->contact = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
talk_chat_page_class_init (TalkChatPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = talk_chat_page_constructed;
  object_class->dispose = talk_chat_page_dispose;
  object_class->get_property = talk_chat_page_get_property;
  object_class->set_property = talk_chat_page_set_property;

  properties[PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL, TALK_TYPE_CLIENT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CONTACT] =
    g_param_spec_object ("contact", NULL, NULL, TALK_TYPE_CONTACT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (TALK_TYPE_AVATAR);
  g_type_ensure (TALK_TYPE_COMPOSER);
  g_type_ensure (TALK_TYPE_SEARCH_PANEL);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/com/example/Talk/ui/talk-chat-page.ui");
  gtk_widget_class_bind_template_child (widget_class, TalkChatPage, avatar);
  gtk_widget_class_bind_template_child (widget_class, TalkChatPage, name_label);
  gtk_widget_class_bind_template_child (widget_class, TalkChatPage, subtitle_stack);
  gtk_widget_class_bind_template_child (widget_class, TalkChatPage, dot);
  gtk_widget_class_bind_template_child (widget_class, TalkChatPage, presence_label);
  gtk_widget_class_bind_template_child (widget_class, TalkChatPage, status_label);
  gtk_widget_class_bind_template_child (widget_class, TalkChatPage, typing_label);
  gtk_widget_class_bind_template_child (widget_class, TalkChatPage, search_panel);
  gtk_widget_class_bind_template_child (widget_class, TalkChatPage, scroller);
  gtk_widget_class_bind_template_child (widget_class, TalkChatPage, list_view);
  gtk_widget_class_bind_template_child (widget_class, TalkChatPage, empty_page);
  gtk_widget_class_bind_template_child (widget_class, TalkChatPage, loading_revealer);
  gtk_widget_class_bind_template_child (widget_class, TalkChatPage, loading_spinner);
  gtk_widget_class_bind_template_child (widget_class, TalkChatPage, loading_label);
  gtk_widget_class_bind_template_child (widget_class, TalkChatPage, jump_revealer);
  gtk_widget_class_bind_template_child (widget_class, TalkChatPage, composer);
  gtk_widget_class_bind_template_callback (widget_class, factory_setup_cb);
  gtk_widget_class_bind_template_callback (widget_class, factory_bind_cb);
  gtk_widget_class_bind_template_callback (widget_class, factory_unbind_cb);
  gtk_widget_class_bind_template_callback (widget_class, composer_sent_cb);
  gtk_widget_class_bind_template_callback (widget_class, jump_revealed_cb);
  gtk_widget_class_bind_template_callback (widget_class, search_result_cb);
  gtk_widget_class_bind_template_callback (widget_class, search_closed_cb);

  gtk_widget_class_install_action (widget_class, "chat.scroll-to-newest", NULL,
                                   scroll_to_newest_action);
}

static void
talk_chat_page_init (TalkChatPage *self)
{
  self->rows = g_hash_table_new (NULL, NULL);
  self->cancellable = g_cancellable_new ();
  self->stick_to_bottom = TRUE;
  self->top_armed = TRUE;

  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
talk_chat_page_new (TalkClient  *client,
                    TalkContact *contact)
{
  g_return_val_if_fail (TALK_IS_CLIENT (client), NULL);
  g_return_val_if_fail (TALK_IS_CONTACT (contact), NULL);

  return g_object_new (TALK_TYPE_CHAT_PAGE, "client", client, "contact", contact, NULL);
}

TalkContact *
talk_chat_page_get_contact (TalkChatPage *self)
{
  g_return_val_if_fail (TALK_IS_CHAT_PAGE (self), NULL);

  return self->contact;
}

TalkConversation *
talk_chat_page_get_conversation (TalkChatPage *self)
{
  g_return_val_if_fail (TALK_IS_CHAT_PAGE (self), NULL);

  return self->conversation;
}

guint
talk_chat_page_get_unread (TalkChatPage *self)
{
  g_return_val_if_fail (TALK_IS_CHAT_PAGE (self), 0);

  if (self->chats == NULL)
    return 0;

  return talk_chats_get_unread (self->chats, talk_contact_get_jid (self->contact));
}

void
talk_chat_page_focus_composer (TalkChatPage *self)
{
  g_return_if_fail (TALK_IS_CHAT_PAGE (self));

  talk_composer_focus (self->composer);
}

void
talk_chat_page_begin_search (TalkChatPage *self)
{
  g_return_if_fail (TALK_IS_CHAT_PAGE (self));

  talk_search_panel_begin (self->search_panel);
}

void
talk_chat_page_show_message (TalkChatPage *self,
                             gint64        message_id,
                             gint64        timestamp_us)
{
  g_return_if_fail (TALK_IS_CHAT_PAGE (self));
  g_return_if_fail (message_id > 0);

  self->jump_id = message_id;
  self->jump_timestamp_us = timestamp_us;
  continue_jump (self);
}
