/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "talk-presence-button.h"

typedef struct
{
  TalkXmppPresenceShow  show;
  const char           *label;
  const char           *icon_name;
  const char           *css_class;
} PresenceInfo;

/* In the order the popover lists them. */
static const PresenceInfo presences[] = {
  { TALK_XMPP_PRESENCE_SHOW_AVAILABLE, N_("Available"), "user-available-symbolic", "available" },
  { TALK_XMPP_PRESENCE_SHOW_CHAT, N_("Free to Chat"), "user-available-symbolic", "available" },
  { TALK_XMPP_PRESENCE_SHOW_AWAY, N_("Away"), "user-away-symbolic", "away" },
  { TALK_XMPP_PRESENCE_SHOW_XA, N_("Extended Away"), "user-idle-symbolic", "away" },
  { TALK_XMPP_PRESENCE_SHOW_DND, N_("Do Not Disturb"), "user-busy-symbolic", "busy" },
  { TALK_XMPP_PRESENCE_SHOW_OFFLINE, N_("Offline"), "user-offline-symbolic", "offline" },
};

struct _TalkPresenceButton
{
  AdwBin         parent_instance;

  TalkClient    *client;
  GtkWidget     *checks[G_N_ELEMENTS (presences)];

  /* Template widgets */
  GtkMenuButton *menu_button;
  GtkWidget     *dot;
  GtkLabel      *show_label;
  GtkLabel      *message_label;
  GtkPopover    *popover;
  GtkBox        *states_box;
  GtkEntry      *message_entry;
};

G_DEFINE_FINAL_TYPE (TalkPresenceButton, talk_presence_button, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_CLIENT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static const PresenceInfo *
lookup_info (TalkXmppPresenceShow show)
{
  for (guint i = 0; i < G_N_ELEMENTS (presences); i++)
    if (presences[i].show == show)
      return &presences[i];

  return &presences[G_N_ELEMENTS (presences) - 1];
}

const char *
talk_presence_show_get_label (TalkXmppPresenceShow show)
{
  return _(lookup_info (show)->label);
}

const char *
talk_presence_show_get_icon_name (TalkXmppPresenceShow show)
{
  return lookup_info (show)->icon_name;
}

gboolean
talk_presence_show_is_online (TalkXmppPresenceShow show)
{
  return show != TALK_XMPP_PRESENCE_SHOW_OFFLINE;
}

void
talk_presence_dot_set_show (GtkWidget            *dot,
                            TalkXmppPresenceShow  show)
{
  const PresenceInfo *info = lookup_info (show);
  /* 0 when unset, else show + 1 */
  guint shown = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (dot), "talk-presence-show"));

  g_return_if_fail (GTK_IS_WIDGET (dot));

  /* Rows are rebound often: only a real change reaches the accessibility bus. */
  if (shown == (guint) show + 1)
    return;
  g_object_set_data (G_OBJECT (dot), "talk-presence-show", GUINT_TO_POINTER ((guint) show + 1));

  for (guint i = 0; i < G_N_ELEMENTS (presences); i++)
    if (strcmp (presences[i].css_class, info->css_class) != 0)
      gtk_widget_remove_css_class (dot, presences[i].css_class);
  gtk_widget_add_css_class (dot, info->css_class);

  gtk_accessible_update_property (GTK_ACCESSIBLE (dot),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _(info->label),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, _(info->label),
                                  -1);
}

static void
update (TalkPresenceButton *self)
{
  TalkXmppPresenceShow show = TALK_XMPP_PRESENCE_SHOW_OFFLINE;
  const char *message = NULL;
  g_autofree char *accessible = NULL;

  if (self->client != NULL)
    {
      show = talk_client_get_show (self->client);
      message = talk_client_get_status_message (self->client);
    }
  if (message != NULL && *message == '\0')
    message = NULL;

  talk_presence_dot_set_show (self->dot, show);
  gtk_label_set_text (self->show_label, talk_presence_show_get_label (show));
  gtk_label_set_text (self->message_label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->message_label), message != NULL);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->message_label), message);

  for (guint i = 0; i < G_N_ELEMENTS (presences); i++)
    gtk_widget_set_opacity (self->checks[i], presences[i].show == show ? 1. : 0.);

  if (message != NULL)
    /* Translators: the accessible name of the presence selector: "Presence: Away — Coffee" */
    accessible = g_strdup_printf (_("Presence: %s — %s"), talk_presence_show_get_label (show), message);
  else
    /* Translators: the accessible name of the presence selector: "Presence: Away" */
    accessible = g_strdup_printf (_("Presence: %s"), talk_presence_show_get_label (show));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->menu_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, accessible,
                                  -1);
}

static char *
dup_entry_message (TalkPresenceButton *self)
{
  g_autofree char *message = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->message_entry))));

  if (*message == '\0')
    return NULL;

  return g_steal_pointer (&message);
}

static void
apply (TalkPresenceButton   *self,
       TalkXmppPresenceShow  show)
{
  g_autofree char *message = dup_entry_message (self);

  gtk_popover_popdown (self->popover);
  if (self->client != NULL)
    talk_client_set_presence (self->client, show, message);
}

static void
choose_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  TalkPresenceButton *self = TALK_PRESENCE_BUTTON (widget);
  TalkXmppPresenceShow show;

  if (!talk_xmpp_presence_show_from_string (g_variant_get_string (parameter, NULL), &show))
    return;

  apply (self, show);
}

static void
set_message_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  TalkPresenceButton *self = TALK_PRESENCE_BUTTON (widget);
  TalkXmppPresenceShow show = TALK_XMPP_PRESENCE_SHOW_AVAILABLE;

  /* A message is for people to read: it keeps the state, and brings the
   * user online when they were offline. */
  if (self->client != NULL &&
      talk_presence_show_is_online (talk_client_get_show (self->client)))
    show = talk_client_get_show (self->client);

  apply (self, show);
}

static void
message_entry_activate_cb (TalkPresenceButton *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "presence.set-message", NULL);
}

static void
popover_show_cb (TalkPresenceButton *self)
{
  const char *message = NULL;

  if (self->client != NULL)
    message = talk_client_get_status_message (self->client);
  gtk_editable_set_text (GTK_EDITABLE (self->message_entry), message != NULL ? message : "");
}

static GtkWidget *
create_state_button (TalkPresenceButton *self,
                     guint               i)
{
  GtkWidget *button;
  GtkWidget *box;
  GtkWidget *dot;
  GtkWidget *label;

  box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 10);
  dot = g_object_new (GTK_TYPE_BOX,
                      "accessible-role", GTK_ACCESSIBLE_ROLE_IMG,
                      "valign", GTK_ALIGN_CENTER,
                      "css-classes", (const char * const []) { "presence-dot", NULL },
                      NULL);
  talk_presence_dot_set_show (dot, presences[i].show);
  gtk_box_append (GTK_BOX (box), dot);

  label = gtk_label_new (_(presences[i].label));
  gtk_label_set_xalign (GTK_LABEL (label), 0.);
  gtk_widget_set_hexpand (label, TRUE);
  gtk_box_append (GTK_BOX (box), label);

  self->checks[i] = gtk_image_new_from_icon_name ("object-select-symbolic");
  gtk_box_append (GTK_BOX (box), self->checks[i]);

  button = g_object_new (GTK_TYPE_BUTTON,
                         "child", box,
                         "action-name", "presence.choose",
                         "css-classes", (const char * const []) { "flat", "presence-state", NULL },
                         NULL);
  gtk_actionable_set_action_target (GTK_ACTIONABLE (button), "s",
                                    talk_xmpp_presence_show_to_string (presences[i].show));
  gtk_accessible_update_property (GTK_ACCESSIBLE (button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _(presences[i].label),
                                  -1);

  return button;
}

static void
talk_presence_button_dispose (GObject *object)
{
  TalkPresenceButton *self = TALK_PRESENCE_BUTTON (object);

  talk_presence_button_set_client (self, NULL);
  /* The template's top widget is the bin's child: unset it first, or the
   * bin would unparent it again after the template did. */
  adw_bin_set_child (ADW_BIN (object), NULL);
  gtk_widget_dispose_template (GTK_WIDGET (object), TALK_TYPE_PRESENCE_BUTTON);

  G_OBJECT_CLASS (talk_presence_button_parent_class)->dispose (object);
}

static void
talk_presence_button_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  TalkPresenceButton *self = TALK_PRESENCE_BUTTON (object);

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
talk_presence_button_set_property (GObject      *object,
                                   guint         prop_id,
                                   const GValue *value,
                                   GParamSpec   *pspec)
{
  TalkPresenceButton *self = TALK_PRESENCE_BUTTON (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      talk_presence_button_set_client (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
talk_presence_button_class_init (TalkPresenceButtonClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = talk_presence_button_dispose;
  object_class->get_property = talk_presence_button_get_property;
  object_class->set_property = talk_presence_button_set_property;

  properties[PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL, TALK_TYPE_CLIENT,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/com/example/Talk/ui/talk-presence-button.ui");
  gtk_widget_class_bind_template_child (widget_class, TalkPresenceButton, menu_button);
  gtk_widget_class_bind_template_child (widget_class, TalkPresenceButton, dot);
  gtk_widget_class_bind_template_child (widget_class, TalkPresenceButton, show_label);
  gtk_widget_class_bind_template_child (widget_class, TalkPresenceButton, message_label);
  gtk_widget_class_bind_template_child (widget_class, TalkPresenceButton, popover);
  gtk_widget_class_bind_template_child (widget_class, TalkPresenceButton, states_box);
  gtk_widget_class_bind_template_child (widget_class, TalkPresenceButton, message_entry);
  gtk_widget_class_bind_template_callback (widget_class, popover_show_cb);
  gtk_widget_class_bind_template_callback (widget_class, message_entry_activate_cb);

  gtk_widget_class_install_action (widget_class, "presence.choose", "s", choose_action);
  gtk_widget_class_install_action (widget_class, "presence.set-message", NULL, set_message_action);
}

static void
talk_presence_button_init (TalkPresenceButton *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  for (guint i = 0; i < G_N_ELEMENTS (presences); i++)
    gtk_box_append (self->states_box, create_state_button (self, i));
  gtk_entry_set_max_length (self->message_entry, TALK_XMPP_PRESENCE_MAX_STATUS_CHARS);

  update (self);
}

GtkWidget *
talk_presence_button_new (TalkClient *client)
{
  return g_object_new (TALK_TYPE_PRESENCE_BUTTON, "client", client, NULL);
}

TalkClient *
talk_presence_button_get_client (TalkPresenceButton *self)
{
  g_return_val_if_fail (TALK_IS_PRESENCE_BUTTON (self), NULL);

  return self->client;
}

void
talk_presence_button_set_client (TalkPresenceButton *self,
                                 TalkClient         *client)
{
  g_return_if_fail (TALK_IS_PRESENCE_BUTTON (self));
  g_return_if_fail (client == NULL || TALK_IS_CLIENT (client));

  if (self->client == client)
    return;

  if (self->client != NULL)
    g_signal_handlers_disconnect_by_func (self->client, update, self);
  g_set_object (&self->client, client);
  if (client != NULL)
    {
      g_signal_connect_swapped (client, "notify::show", G_CALLBACK (update), self);
      g_signal_connect_swapped (client, "notify::status-message", G_CALLBACK (update), self);
    }

  /* Called from dispose too, after the template is gone. */
  if (self->dot != NULL)
    update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CLIENT]);
}

void
talk_presence_button_popup (TalkPresenceButton *self)
{
  g_return_if_fail (TALK_IS_PRESENCE_BUTTON (self));

  gtk_menu_button_popup (self->menu_button);
}
