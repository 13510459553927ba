/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "talk-accessible.h"
#include "talk-signin-page.h"

struct _TalkSigninPage
{
  AdwBin        parent_instance;

  TalkClient   *client;
  GCancellable *cancellable;
  /* An attempt made here failed: the client's own retries (after the
   * certificate was trusted) are reported here too. */
  gboolean      failed;

  /* Template widgets */
  GtkWidget    *form;
  AdwEntryRow  *address_row;
  AdwEntryRow  *password_row;
  GtkSwitch    *remember_switch;
  AdwExpanderRow *advanced_row;
  AdwEntryRow  *server_row;
  AdwEntryRow  *port_row;
  GtkWidget    *error_box;
  GtkLabel     *error_label;
  GtkSpinner   *spinner;
  GtkLabel     *sign_in_label;
};

G_DEFINE_FINAL_TYPE (TalkSigninPage, talk_signin_page, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_CLIENT,
  PROP_BUSY,
  N_PROPS
};

enum {
  SIGNED_IN,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static gboolean
address_is_plausible (const char *text)
{
  g_autoptr(TalkXmppJid) jid = NULL;
  const char *localpart;

  if (text == NULL || strchr (text, '@') == NULL)
    return FALSE;

  jid = talk_xmpp_jid_new (text, NULL);
  if (jid == NULL || !talk_xmpp_jid_is_bare (jid))
    return FALSE;
  localpart = talk_xmpp_jid_get_localpart (jid);

  return localpart != NULL && *localpart != '\0';
}

/* Returns: FALSE for anything but empty (the default) or 1–65535 */
static gboolean
parse_port (const char *text,
            guint16    *port)
{
  guint64 value;

  *port = 0;
  if (text == NULL || *text == '\0')
    return TRUE;
  if (!g_ascii_string_to_unsigned (text, 10, 1, G_MAXUINT16, &value, NULL))
    return FALSE;
  *port = (guint16) value;

  return TRUE;
}

static const char *
row_text (AdwEntryRow *row)
{
  return gtk_editable_get_text (GTK_EDITABLE (row));
}

static void
update_sensitivity (TalkSigninPage *self)
{
  gboolean busy = self->cancellable != NULL;
  const char *password = row_text (self->password_row);
  guint16 port;
  gboolean port_ok = parse_port (row_text (self->port_row), &port);

  if (port_ok)
    gtk_widget_remove_css_class (GTK_WIDGET (self->port_row), "error");
  else
    gtk_widget_add_css_class (GTK_WIDGET (self->port_row), "error");

  gtk_widget_set_sensitive (self->form, !busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "signin.sign-in",
                                 !busy && self->client != NULL &&
                                 address_is_plausible (row_text (self->address_row)) &&
                                 password != NULL && *password != '\0' &&
                                 port_ok);
}

static void
form_changed_cb (TalkSigninPage *self)
{
  update_sensitivity (self);
}

static void
address_activated_cb (TalkSigninPage *self)
{
  gtk_widget_grab_focus (GTK_WIDGET (self->password_row));
}

static void
password_activated_cb (TalkSigninPage *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "signin.sign-in", NULL);
}

/* The port row takes digits only. */
static void
port_insert_text_cb (GtkEditable *editable,
                     const char  *text,
                     int          length,
                     int         *position,
                     gpointer     user_data)
{
  g_autoptr(GString) digits = g_string_new (NULL);
  gsize len = length < 0 ? strlen (text) : (gsize) length;

  for (gsize i = 0; i < len; i++)
    if (g_ascii_isdigit (text[i]))
      g_string_append_c (digits, text[i]);

  if (digits->len == len)
    return;

  g_signal_stop_emission_by_name (editable, "insert-text");
  if (digits->len > 0)
    {
      g_signal_handlers_block_by_func (editable, port_insert_text_cb, user_data);
      gtk_editable_insert_text (editable, digits->str, (int) digits->len, position);
      g_signal_handlers_unblock_by_func (editable, port_insert_text_cb, user_data);
    }
  gtk_widget_error_bell (GTK_WIDGET (editable));
}

static void
show_error (TalkSigninPage *self,
            const char     *message)
{
  /* Server error text is plain text: never markup. */
  gtk_label_set_text (self->error_label, message != NULL ? message : "");
  gtk_widget_set_visible (self->error_box, message != NULL && *message != '\0');
}

static void
update_spinner (TalkSigninPage *self)
{
  gboolean spinning = self->cancellable != NULL ||
                      (self->failed && self->client != NULL &&
                       talk_client_get_status (self->client) == TALK_CLIENT_STATUS_CONNECTING);

  gtk_widget_set_visible (GTK_WIDGET (self->spinner), spinning);
  gtk_spinner_set_spinning (self->spinner, spinning);
}

static void
client_changed_cb (TalkSigninPage *self)
{
  const char *error;

  if (!self->failed || self->cancellable != NULL)
    return;

  update_spinner (self);
  error = talk_client_get_error (self->client);
  if (error != NULL && *error != '\0')
    show_error (self, error);
  else if (talk_client_get_status (self->client) == TALK_CLIENT_STATUS_CONNECTING)
    show_error (self, NULL);
}

static void
set_busy (TalkSigninPage *self,
          gboolean        busy)
{
  if (busy)
    {
      GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

      /* A focused entry that turns insensitive is never told it lost the
       * focus (GTK warns): let go of it first. */
      if (root != NULL)
        gtk_root_set_focus (root, NULL);
      self->cancellable = g_cancellable_new ();
      gtk_label_set_text_with_mnemonic (self->sign_in_label, _("Signing In…"));
    }
  else
    {
      g_clear_object (&self->cancellable);
      gtk_label_set_text_with_mnemonic (self->sign_in_label, _("_Sign In"));
    }
  update_spinner (self);
  update_sensitivity (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

static void
sign_in_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(TalkSigninPage) self = user_data;
  g_autoptr(GError) error = NULL;
  const char *message;

  if (!talk_client_sign_in_finish (TALK_CLIENT (source), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;

      self->failed = TRUE;
      set_busy (self, FALSE);
      message = talk_client_get_error (TALK_CLIENT (source));
      show_error (self, message != NULL && *message != '\0' ? message : error->message);
      gtk_widget_grab_focus (GTK_WIDGET (self->password_row));
      return;
    }

  self->failed = FALSE;
  set_busy (self, FALSE);
  gtk_editable_set_text (GTK_EDITABLE (self->password_row), "");
  g_signal_emit (self, signals[SIGNED_IN], 0, gtk_switch_get_active (self->remember_switch));
}

static void
sign_in_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  TalkSigninPage *self = TALK_SIGNIN_PAGE (widget);
  g_autofree char *address = g_strstrip (g_strdup (row_text (self->address_row)));
  g_autofree char *host = g_strstrip (g_strdup (row_text (self->server_row)));
  guint16 port = 0;

  if (self->client == NULL || self->cancellable != NULL)
    return;
  if (!parse_port (row_text (self->port_row), &port))
    return;

  show_error (self, NULL);
  set_busy (self, TRUE);
  talk_client_sign_in_async (self->client,
                             address,
                             row_text (self->password_row),
                             gtk_switch_get_active (self->remember_switch),
                             *host != '\0' ? host : NULL,
                             port,
                             self->cancellable,
                             sign_in_cb,
                             g_object_ref (self));
}

static void
label_delegate (AdwEntryRow *row,
                const char  *label)
{
  GtkEditable *delegate = gtk_editable_get_delegate (GTK_EDITABLE (row));

  if (delegate != NULL)
    gtk_accessible_update_property (GTK_ACCESSIBLE (delegate),
                                    GTK_ACCESSIBLE_PROPERTY_LABEL, label,
                                    -1);
}

static void
talk_signin_page_dispose (GObject *object)
{
  TalkSigninPage *self = TALK_SIGNIN_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->client != NULL)
    g_signal_handlers_disconnect_by_func (self->client, client_changed_cb, self);
  g_clear_object (&self->client);
  gtk_widget_dispose_template (GTK_WIDGET (object), TALK_TYPE_SIGNIN_PAGE);

  G_OBJECT_CLASS (talk_signin_page_parent_class)->dispose (object);
}

static void
talk_signin_page_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  TalkSigninPage *self = TALK_SIGNIN_PAGE (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      g_value_set_object (value, self->client);
      break;
    case PROP_BUSY:
      g_value_set_boolean (value, self->cancellable != NULL);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
talk_signin_page_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  TalkSigninPage *self = TALK_SIGNIN_PAGE (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      talk_signin_page_set_client (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
talk_signin_page_class_init (TalkSigninPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = talk_signin_page_dispose;
  object_class->get_property = talk_signin_page_get_property;
  object_class->set_property = talk_signin_page_set_property;

  properties[PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL, TALK_TYPE_CLIENT,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_BUSY] =
    g_param_spec_boolean ("busy", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNED_IN] =
    g_signal_new ("signed-in", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_BOOLEAN);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/com/example/Talk/ui/talk-signin-page.ui");
  gtk_widget_class_bind_template_child (widget_class, TalkSigninPage, form);
  gtk_widget_class_bind_template_child (widget_class, TalkSigninPage, address_row);
  gtk_widget_class_bind_template_child (widget_class, TalkSigninPage, password_row);
  gtk_widget_class_bind_template_child (widget_class, TalkSigninPage, remember_switch);
  gtk_widget_class_bind_template_child (widget_class, TalkSigninPage, advanced_row);
  gtk_widget_class_bind_template_child (widget_class, TalkSigninPage, server_row);
  gtk_widget_class_bind_template_child (widget_class, TalkSigninPage, port_row);
  gtk_widget_class_bind_template_child (widget_class, TalkSigninPage, error_box);
  gtk_widget_class_bind_template_child (widget_class, TalkSigninPage, error_label);
  gtk_widget_class_bind_template_child (widget_class, TalkSigninPage, spinner);
  gtk_widget_class_bind_template_child (widget_class, TalkSigninPage, sign_in_label);
  gtk_widget_class_bind_template_callback (widget_class, form_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, address_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, password_activated_cb);

  gtk_widget_class_install_action (widget_class, "signin.sign-in", NULL, sign_in_action);
}

static void
talk_signin_page_init (TalkSigninPage *self)
{
  GtkEditable *port_text;

  gtk_widget_init_template (GTK_WIDGET (self));
  /* The row's own show-password button. */
  talk_accessible_name_icon_buttons (GTK_WIDGET (self->password_row));

  port_text = gtk_editable_get_delegate (GTK_EDITABLE (self->port_row));
  g_signal_connect (port_text, "insert-text", G_CALLBACK (port_insert_text_cb), self);
  gtk_editable_set_max_width_chars (port_text, 5);

  /* The text inside each row is what takes the focus and the typing. */
  label_delegate (self->address_row, _("Address"));
  label_delegate (self->password_row, _("Password"));
  label_delegate (self->server_row, _("Server"));
  label_delegate (self->port_row, _("Port"));

  update_sensitivity (self);
}

GtkWidget *
talk_signin_page_new (TalkClient *client)
{
  return g_object_new (TALK_TYPE_SIGNIN_PAGE, "client", client, NULL);
}

TalkClient *
talk_signin_page_get_client (TalkSigninPage *self)
{
  g_return_val_if_fail (TALK_IS_SIGNIN_PAGE (self), NULL);

  return self->client;
}

void
talk_signin_page_set_client (TalkSigninPage *self,
                             TalkClient     *client)
{
  g_return_if_fail (TALK_IS_SIGNIN_PAGE (self));
  g_return_if_fail (client == NULL || TALK_IS_CLIENT (client));

  if (self->client == client)
    return;

  if (self->client != NULL)
    g_signal_handlers_disconnect_by_func (self->client, client_changed_cb, self);
  g_set_object (&self->client, client);
  if (client != NULL)
    {
      g_signal_connect_swapped (client, "notify::status", G_CALLBACK (client_changed_cb), self);
      g_signal_connect_swapped (client, "notify::error", G_CALLBACK (client_changed_cb), self);
    }
  self->failed = FALSE;

  update_sensitivity (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CLIENT]);
}

gboolean
talk_signin_page_get_busy (TalkSigninPage *self)
{
  g_return_val_if_fail (TALK_IS_SIGNIN_PAGE (self), FALSE);

  return self->cancellable != NULL;
}

void
talk_signin_page_reset (TalkSigninPage *self)
{
  TalkAccount *account = NULL;
  const char *jid = NULL;
  const char *host = NULL;
  g_autofree char *port = NULL;

  g_return_if_fail (TALK_IS_SIGNIN_PAGE (self));

  if (self->client != NULL)
    {
      account = talk_client_get_account (self->client);
      jid = talk_client_get_jid (self->client);
    }
  if (account != NULL)
    {
      host = talk_account_get_host (account);
      if (talk_account_get_port (account) != 0)
        port = g_strdup_printf ("%u", talk_account_get_port (account));
    }

  gtk_editable_set_text (GTK_EDITABLE (self->address_row), jid != NULL ? jid : "");
  gtk_editable_set_text (GTK_EDITABLE (self->password_row), "");
  gtk_editable_set_text (GTK_EDITABLE (self->server_row), host != NULL ? host : "");
  gtk_editable_set_text (GTK_EDITABLE (self->port_row), port != NULL ? port : "");
  adw_expander_row_set_expanded (self->advanced_row, (host != NULL && *host != '\0') || port != NULL);
  self->failed = FALSE;
  update_spinner (self);
  show_error (self, NULL);
  update_sensitivity (self);

  if (jid != NULL && *jid != '\0')
    gtk_widget_grab_focus (GTK_WIDGET (self->password_row));
  else
    gtk_widget_grab_focus (GTK_WIDGET (self->address_row));
}
