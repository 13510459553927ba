/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "talk-connection-banner.h"

struct _TalkConnectionBanner
{
  AdwBin            parent_instance;

  TalkClient       *client;
  TalkClientStatus  status;
  guint             countdown_source;

  /* Template widgets */
  GtkRevealer      *revealer;
  GtkWidget        *box;
  GtkSpinner       *spinner;
  GtkImage         *icon;
  GtkLabel         *title_label;
  GtkLabel         *detail_label;
  GtkButton        *action_button;
  GtkWidget        *password_box;
  GtkEditable      *password_entry;
  GtkWidget        *password_button;
};

G_DEFINE_FINAL_TYPE (TalkConnectionBanner, talk_connection_banner, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_CLIENT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void update (TalkConnectionBanner *self);

static const char *
phase_text (TalkXmppSessionState state)
{
  switch (state)
    {
    case TALK_XMPP_SESSION_STATE_SECURING:
      return _("Securing the connection…");
    case TALK_XMPP_SESSION_STATE_AUTHENTICATING:
    case TALK_XMPP_SESSION_STATE_BINDING:
    case TALK_XMPP_SESSION_STATE_ONLINE:
      return _("Signing in…");
    case TALK_XMPP_SESSION_STATE_DISCONNECTED:
    case TALK_XMPP_SESSION_STATE_RESOLVING:
    case TALK_XMPP_SESSION_STATE_CONNECTING:
    default:
      return _("Connecting…");
    }
}

static char *
waiting_text (TalkConnectionBanner *self)
{
  gint64 at = talk_client_get_reconnect_at (self->client);
  gint64 seconds;

  if (at <= 0)
    return g_strdup (_("Offline"));

  /* Rounded up: "in 0 seconds" only once the attempt is due. */
  seconds = (at - g_get_monotonic_time () + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC;
  if (seconds <= 0)
    return g_strdup (_("Offline. Retrying now…"));

  return g_strdup_printf (ngettext ("Offline. Retrying in %d second",
                                    "Offline. Retrying in %d seconds", (int) MIN (seconds, G_MAXINT)),
                          (int) MIN (seconds, G_MAXINT));
}

static gboolean
countdown_cb (gpointer user_data)
{
  TalkConnectionBanner *self = user_data;
  g_autofree char *text = waiting_text (self);

  gtk_label_set_text (self->title_label, text);

  return G_SOURCE_CONTINUE;
}

/* The countdown ticks only while someone can see it. */
static void
update_countdown (TalkConnectionBanner *self)
{
  gboolean wanted = self->client != NULL &&
                    self->status == TALK_CLIENT_STATUS_WAITING &&
                    gtk_widget_get_mapped (GTK_WIDGET (self));

  if (wanted && self->countdown_source == 0)
    {
      self->countdown_source = g_timeout_add_seconds (1, countdown_cb, self);
      countdown_cb (self);
    }
  else if (!wanted)
    {
      g_clear_handle_id (&self->countdown_source, g_source_remove);
    }
}

static void
set_action (TalkConnectionBanner *self,
            const char           *label,
            const char           *accessible)
{
  gtk_widget_set_visible (GTK_WIDGET (self->action_button), label != NULL);
  if (label == NULL)
    return;

  gtk_button_set_label (self->action_button, label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->action_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, accessible,
                                  -1);
}

static void
set_message (TalkConnectionBanner *self,
             const char           *icon_name,
             const char           *title,
             const char           *detail,
             gboolean              warning)
{
  gtk_widget_set_visible (GTK_WIDGET (self->icon), icon_name != NULL);
  gtk_image_set_from_icon_name (self->icon, icon_name);
  /* Error texts come from the network in part: plain text only. */
  gtk_label_set_text (self->title_label, title);
  gtk_label_set_text (self->detail_label, detail != NULL ? detail : "");
  gtk_widget_set_visible (GTK_WIDGET (self->detail_label), detail != NULL && *detail != '\0');
  if (warning)
    gtk_widget_add_css_class (self->box, "problem");
  else
    gtk_widget_remove_css_class (self->box, "problem");
}

static const char *
nonempty (const char *text,
          const char *fallback)
{
  return text != NULL && *text != '\0' ? text : fallback;
}

static void
update (TalkConnectionBanner *self)
{
  TalkClientStatus status = TALK_CLIENT_STATUS_NO_ACCOUNT;
  const char *error = NULL;
  gboolean reveal = TRUE;
  g_autofree char *waiting = NULL;
  g_autofree char *reason = NULL;

  if (self->client != NULL)
    {
      status = talk_client_get_status (self->client);
      error = talk_client_get_error (self->client);
    }
  self->status = status;

  gtk_widget_set_visible (GTK_WIDGET (self->spinner), status == TALK_CLIENT_STATUS_CONNECTING);
  gtk_spinner_set_spinning (self->spinner, status == TALK_CLIENT_STATUS_CONNECTING);
  gtk_widget_set_visible (self->password_box, status == TALK_CLIENT_STATUS_NEEDS_PASSWORD);

  switch (status)
    {
    case TALK_CLIENT_STATUS_CONNECTING:
      set_message (self, NULL, phase_text (talk_client_get_session_state (self->client)), NULL, FALSE);
      set_action (self, NULL, NULL);
      break;
    case TALK_CLIENT_STATUS_WAITING:
      waiting = waiting_text (self);
      set_message (self, "network-offline-symbolic", waiting, error, FALSE);
      set_action (self, _("_Retry Now"), _("Retry now"));
      break;
    case TALK_CLIENT_STATUS_NEEDS_PASSWORD:
      set_message (self, "dialog-password-symbolic",
                   nonempty (error, _("Enter your password to sign in")), NULL, TRUE);
      set_action (self, NULL, NULL);
      break;
    case TALK_CLIENT_STATUS_FAILED:
      set_message (self, "dialog-warning-symbolic",
                   nonempty (error, _("Could not sign in")), NULL, TRUE);
      set_action (self, _("_Retry"), _("Retry"));
      break;
    case TALK_CLIENT_STATUS_CERTIFICATE:
      reason = talk_xmpp_certificate_describe_errors (talk_client_get_certificate_errors (self->client));
      set_message (self, "channel-insecure-symbolic",
                   _("Certificate not trusted"), reason, TRUE);
      set_action (self, _("_Review Certificate…"), _("Review certificate"));
      break;
    case TALK_CLIENT_STATUS_OFFLINE:
      set_message (self, "user-offline-symbolic", _("You are offline"), NULL, FALSE);
      set_action (self, _("_Go Online"), _("Go online"));
      break;
    case TALK_CLIENT_STATUS_NO_ACCOUNT:
    case TALK_CLIENT_STATUS_ONLINE:
    default:
      reveal = FALSE;
      break;
    }

  gtk_revealer_set_reveal_child (self->revealer, reveal);
  update_countdown (self);
}

static void
action_button_clicked_cb (TalkConnectionBanner *self)
{
  g_autofree char *message = NULL;
  TalkXmppPresenceShow show;

  if (self->client == NULL)
    return;

  switch (self->status)
    {
    case TALK_CLIENT_STATUS_WAITING:
      talk_client_retry_now (self->client);
      break;
    case TALK_CLIENT_STATUS_FAILED:
      /* Choosing a presence again is what starts a new attempt. */
      show = talk_client_get_show (self->client);
      if (show == TALK_XMPP_PRESENCE_SHOW_OFFLINE)
        show = TALK_XMPP_PRESENCE_SHOW_AVAILABLE;
      message = g_strdup (talk_client_get_status_message (self->client));
      talk_client_set_presence (self->client, show, message);
      break;
    case TALK_CLIENT_STATUS_CERTIFICATE:
      gtk_widget_activate_action (GTK_WIDGET (self), "win.review-certificate", NULL);
      break;
    case TALK_CLIENT_STATUS_OFFLINE:
      message = g_strdup (talk_client_get_status_message (self->client));
      talk_client_set_presence (self->client, TALK_XMPP_PRESENCE_SHOW_AVAILABLE, message);
      break;
    case TALK_CLIENT_STATUS_NO_ACCOUNT:
    case TALK_CLIENT_STATUS_CONNECTING:
    case TALK_CLIENT_STATUS_ONLINE:
    case TALK_CLIENT_STATUS_NEEDS_PASSWORD:
    default:
      break;
    }
}

static void
password_changed_cb (TalkConnectionBanner *self)
{
  const char *text = gtk_editable_get_text (self->password_entry);

  gtk_widget_set_sensitive (self->password_button, text != NULL && *text != '\0');
}

static void
password_activate_cb (TalkConnectionBanner *self)
{
  const char *text = gtk_editable_get_text (self->password_entry);

  if (self->client == NULL || text == NULL || *text == '\0')
    return;

  talk_client_provide_password (self->client, text, TRUE);
  gtk_editable_set_text (self->password_entry, "");
}

static void
talk_connection_banner_map (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (talk_connection_banner_parent_class)->map (widget);
  update_countdown (TALK_CONNECTION_BANNER (widget));
}

static void
talk_connection_banner_unmap (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (talk_connection_banner_parent_class)->unmap (widget);
  update_countdown (TALK_CONNECTION_BANNER (widget));
}

static void
talk_connection_banner_dispose (GObject *object)
{
  TalkConnectionBanner *self = TALK_CONNECTION_BANNER (object);

  talk_connection_banner_set_client (self, NULL);
  g_clear_handle_id (&self->countdown_source, g_source_remove);
  /* The template's top widget is the bin's child: unset it first, or the
   * bin would unparent it again after the template did. */
  adw_bin_set_child (ADW_BIN (object), NULL);
  gtk_widget_dispose_template (GTK_WIDGET (object), TALK_TYPE_CONNECTION_BANNER);

  G_OBJECT_CLASS (talk_connection_banner_parent_class)->dispose (object);
}

static void
talk_connection_banner_get_property (GObject    *object,
                                     guint       prop_id,
                                     GValue     *value,
                                     GParamSpec *pspec)
{
  TalkConnectionBanner *self = TALK_CONNECTION_BANNER (object);

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
talk_connection_banner_set_property (GObject      *object,
                                     guint         prop_id,
                                     const GValue *value,
                                     GParamSpec   *pspec)
{
  TalkConnectionBanner *self = TALK_CONNECTION_BANNER (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      talk_connection_banner_set_client (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
talk_connection_banner_class_init (TalkConnectionBannerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = talk_connection_banner_dispose;
  object_class->get_property = talk_connection_banner_get_property;
  object_class->set_property = talk_connection_banner_set_property;
  widget_class->map = talk_connection_banner_map;
  widget_class->unmap = talk_connection_banner_unmap;

  properties[PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL, TALK_TYPE_CLIENT,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/com/example/Talk/ui/talk-connection-banner.ui");
  gtk_widget_class_bind_template_child (widget_class, TalkConnectionBanner, revealer);
  gtk_widget_class_bind_template_child (widget_class, TalkConnectionBanner, box);
  gtk_widget_class_bind_template_child (widget_class, TalkConnectionBanner, spinner);
  gtk_widget_class_bind_template_child (widget_class, TalkConnectionBanner, icon);
  gtk_widget_class_bind_template_child (widget_class, TalkConnectionBanner, title_label);
  gtk_widget_class_bind_template_child (widget_class, TalkConnectionBanner, detail_label);
  gtk_widget_class_bind_template_child (widget_class, TalkConnectionBanner, action_button);
  gtk_widget_class_bind_template_child (widget_class, TalkConnectionBanner, password_box);
  gtk_widget_class_bind_template_child (widget_class, TalkConnectionBanner, password_entry);
  gtk_widget_class_bind_template_child (widget_class, TalkConnectionBanner, password_button);
  gtk_widget_class_bind_template_callback (widget_class, action_button_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, password_activate_cb);
  gtk_widget_class_bind_template_callback (widget_class, password_changed_cb);
}

static void
talk_connection_banner_init (TalkConnectionBanner *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  update (self);
}

GtkWidget *
talk_connection_banner_new (TalkClient *client)
{
  return g_object_new (TALK_TYPE_CONNECTION_BANNER, "client", client, NULL);
}

TalkClient *
talk_connection_banner_get_client (TalkConnectionBanner *self)
{
  g_return_val_if_fail (TALK_IS_CONNECTION_BANNER (self), NULL);

  return self->client;
}

void
talk_connection_banner_set_client (TalkConnectionBanner *self,
                                   TalkClient           *client)
{
  static const char * const watched[] = {
    "notify::status", "notify::session-state", "notify::error", "notify::reconnect-at",
  };

  g_return_if_fail (TALK_IS_CONNECTION_BANNER (self));
  g_return_if_fail (client == NULL || TALK_IS_CLIENT (client));

  if (self->client == client)
    return;

  if (self->client != NULL)
    g_signal_handlers_disconnect_by_func (self->client, update, self);
  g_set_object (&self->client, client);
  if (client != NULL)
    for (guint i = 0; i < G_N_ELEMENTS (watched); i++)
      g_signal_connect_swapped (client, watched[i], G_CALLBACK (update), self);

  /* Called from dispose too, after the template is gone. */
  if (self->revealer != NULL)
    update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CLIENT]);
}
