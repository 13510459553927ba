/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "talk-avatar.h"
#include "talk-chats.h"
#include "talk-contact-row.h"
#include "talk-presence-button.h"
#include "talk-window.h"

/* Larger counts show as "99+". */
#define MAX_SHOWN_UNREAD 99

struct _TalkContactRow
{
  AdwBin       parent_instance;

  TalkContact *item;
  /* The window's client and its chats while the row is in the window,
   * for the unread count. */
  TalkClient  *client;
  TalkChats   *chats;
  /* What assistive technologies were told last: GTK 4.8 rebinds rows
   * whenever rows move, and every update is a D-Bus message. */
  char        *accessible;

  /* Template widgets */
  TalkAvatar  *avatar;
  GtkWidget   *dot;
  GtkLabel    *name_label;
  GtkLabel    *status_label;
  GtkLabel    *unread_label;
};

G_DEFINE_FINAL_TYPE (TalkContactRow, talk_contact_row, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_ITEM,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
update (TalkContactRow *self)
{
  TalkXmppPresenceShow show = TALK_XMPP_PRESENCE_SHOW_OFFLINE;
  const char *name = "";
  const char *status = NULL;
  guint unread = 0;
  g_autofree char *accessible = NULL;

  if (self->item != NULL)
    {
      name = talk_contact_get_display_name (self->item);
      show = talk_contact_get_show (self->item);
      status = talk_contact_get_status (self->item);
      if (self->chats != NULL)
        unread = talk_chats_get_unread (self->chats, talk_contact_get_jid (self->item));
    }
  if (status != NULL && *status == '\0')
    status = NULL;

  /* Network text: never markup. */
  gtk_label_set_text (self->name_label, name);
  gtk_label_set_text (self->status_label, status != NULL ? status : "");
  gtk_widget_set_visible (GTK_WIDGET (self->status_label), status != NULL);
  talk_presence_dot_set_show (self->dot, show);

  if (talk_presence_show_is_online (show))
    gtk_widget_remove_css_class (GTK_WIDGET (self), "offline");
  else
    gtk_widget_add_css_class (GTK_WIDGET (self), "offline");

  if (unread > MAX_SHOWN_UNREAD)
    gtk_label_set_text (self->unread_label, "99+");
  else if (unread > 0)
    {
      g_autofree char *count = g_strdup_printf ("%u", unread);

      gtk_label_set_text (self->unread_label, count);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->unread_label), unread > 0);

  if (status != NULL)
    /* Translators: a contact for screen readers: "Alice, Away, At lunch" */
    accessible = g_strdup_printf (_("%s, %s, %s"), name, talk_presence_show_get_label (show), status);
  else
    /* Translators: a contact for screen readers: "Alice, Available" */
    accessible = g_strdup_printf (_("%s, %s"), name, talk_presence_show_get_label (show));
  if (unread > 0)
    {
      /* Translators: a contact for screen readers, then how many of their
       * messages are unread: "Alice, Available, 3 unread messages" */
      g_autofree char *with_unread = g_strdup_printf (ngettext ("%s, %u unread message",
                                                                "%s, %u unread messages",
                                                                unread),
                                                      accessible, unread);

      g_free (accessible);
      accessible = g_steal_pointer (&with_unread);
    }
  if (g_strcmp0 (accessible, self->accessible) != 0)
    {
      gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, accessible,
                                      -1);
      g_free (self->accessible);
      self->accessible = g_steal_pointer (&accessible);
    }
}

static void
unread_changed_cb (TalkContactRow *self,
                   const char     *peer,
                   guint           count)
{
  if (self->item != NULL && g_strcmp0 (peer, talk_contact_get_jid (self->item)) == 0)
    update (self);
}

static void
set_chats (TalkContactRow *self,
           TalkChats      *chats)
{
  if (self->chats == chats)
    return;

  if (self->chats != NULL)
    g_signal_handlers_disconnect_by_func (self->chats, unread_changed_cb, self);
  g_set_object (&self->chats, chats);
  if (chats != NULL)
    g_signal_connect_swapped (chats, "unread-changed", G_CALLBACK (unread_changed_cb), self);
  if (self->item != NULL)
    update (self);
}

static void
client_chats_cb (TalkContactRow *self)
{
  set_chats (self, self->client != NULL ? talk_client_get_chats (self->client) : NULL);
}

static void
set_client (TalkContactRow *self,
            TalkClient     *client)
{
  if (self->client == client)
    return;

  if (self->client != NULL)
    g_signal_handlers_disconnect_by_func (self->client, client_chats_cb, self);
  g_set_object (&self->client, client);
  if (client != NULL)
    g_signal_connect_swapped (client, "notify::chats", G_CALLBACK (client_chats_cb), self);
  client_chats_cb (self);
}

/* The row follows the unread counts of the window it is shown in. */
static void
talk_contact_row_root (GtkWidget *widget)
{
  TalkContactRow *self = TALK_CONTACT_ROW (widget);
  GtkRoot *root;

  GTK_WIDGET_CLASS (talk_contact_row_parent_class)->root (widget);

  root = gtk_widget_get_root (widget);
  if (TALK_IS_WINDOW (root))
    set_client (self, talk_window_get_client (TALK_WINDOW (root)));
}

static void
talk_contact_row_unroot (GtkWidget *widget)
{
  set_client (TALK_CONTACT_ROW (widget), NULL);

  GTK_WIDGET_CLASS (talk_contact_row_parent_class)->unroot (widget);
}

static void
talk_contact_row_dispose (GObject *object)
{
  TalkContactRow *self = TALK_CONTACT_ROW (object);

  set_client (self, NULL);

  if (self->item != NULL)
    g_signal_handlers_disconnect_by_func (self->item, update, self);
  g_clear_object (&self->item);
  g_clear_pointer (&self->accessible, g_free);
  gtk_widget_dispose_template (GTK_WIDGET (object), TALK_TYPE_CONTACT_ROW);

  G_OBJECT_CLASS (talk_contact_row_parent_class)->dispose (object);
}

static void
talk_contact_row_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  TalkContactRow *self = TALK_CONTACT_ROW (object);

  switch (prop_id)
    {
    case PROP_ITEM:
      g_value_set_object (value, self->item);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
talk_contact_row_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  TalkContactRow *self = TALK_CONTACT_ROW (object);

  switch (prop_id)
    {
    case PROP_ITEM:
      talk_contact_row_set_item (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
talk_contact_row_class_init (TalkContactRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = talk_contact_row_dispose;
  object_class->get_property = talk_contact_row_get_property;
  object_class->set_property = talk_contact_row_set_property;
  widget_class->root = talk_contact_row_root;
  widget_class->unroot = talk_contact_row_unroot;

  properties[PROP_ITEM] =
    g_param_spec_object ("item", NULL, NULL, TALK_TYPE_CONTACT,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (TALK_TYPE_AVATAR);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/com/example/Talk/ui/talk-contact-row.ui");
  gtk_widget_class_bind_template_child (widget_class, TalkContactRow, avatar);
  gtk_widget_class_bind_template_child (widget_class, TalkContactRow, dot);
  gtk_widget_class_bind_template_child (widget_class, TalkContactRow, name_label);
  gtk_widget_class_bind_template_child (widget_class, TalkContactRow, status_label);
  gtk_widget_class_bind_template_child (widget_class, TalkContactRow, unread_label);
}

static void
talk_contact_row_init (TalkContactRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  update (self);
}

GtkWidget *
talk_contact_row_new (void)
{
  return g_object_new (TALK_TYPE_CONTACT_ROW, NULL);
}

TalkContact *
talk_contact_row_get_item (TalkContactRow *self)
{
  g_return_val_if_fail (TALK_IS_CONTACT_ROW (self), NULL);

  return self->item;
}

void
talk_contact_row_set_item (TalkContactRow *self,
                           TalkContact    *item)
{
  static const char * const watched[] = {
    "notify::display-name", "notify::show", "notify::status",
  };

  g_return_if_fail (TALK_IS_CONTACT_ROW (self));
  g_return_if_fail (item == NULL || TALK_IS_CONTACT (item));

  if (self->item == item)
    return;

  if (self->item != NULL)
    g_signal_handlers_disconnect_by_func (self->item, update, self);
  g_set_object (&self->item, item);
  if (item != NULL)
    for (guint i = 0; i < G_N_ELEMENTS (watched); i++)
      g_signal_connect_swapped (item, watched[i], G_CALLBACK (update), self);

  talk_avatar_set_contact (self->avatar, item);
  /* Cleared on unbind: the row keeps showing the last contact until it is
   * bound again or dropped, which saves redrawing it for nothing. */
  if (item != NULL)
    update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ITEM]);
}
