/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "talk-accessible.h"
#include "talk-chat-page.h"
#include "talk-chats.h"
#include "talk-connection-banner.h"
#include "talk-contact-list.h"
#include "talk-message-text.h"
#include "talk-presence-button.h"
#include "talk-search-dialog.h"
#include "talk-signin-page.h"
#include "talk-window.h"

/* A SHA-256 fingerprint is 32 bytes: four lines of eight. */
#define FINGERPRINT_BYTES_PER_LINE 8

/* A notification shows the beginning of a long message. */
#define NOTIFICATION_BODY_BYTES 400

/* Alt+1 … Alt+9 select the first nine tabs. */
#define N_TAB_DIGITS 9

struct _TalkWindow
{
  AdwApplicationWindow  parent_instance;

  GSettings            *settings;
  TalkClient           *client;
  /* The sign-in page stays up from the first attempt made on it until
   * the account is online, so that failures are explained there. */
  gboolean              signing_in;
  GtkWidget            *certificate_dialog;
  GBinding             *title_binding;

  /* The account's chats: unread counts and notifications. */
  TalkChats            *chats;
  /* The peer whose conversation the user sees now: the window is active,
   * the chat is the selected tab and the leaflet shows it; or NULL. */
  char                 *viewed_peer;
  /* Peers with a notification out, to withdraw when it is read here. */
  GHashTable           *notified;
  /* Search Messages, kept while hidden so that it keeps its words. */
  GtkWidget            *search_dialog;

  /* Template widgets */
  AdwToastOverlay      *toast_overlay;
  GtkStack             *main_stack;
  TalkSigninPage       *signin_page;     /* (nullable) until first needed */
  AdwLeaflet           *leaflet;
  GtkWidget            *sidebar;
  GtkWidget            *content;
  TalkPresenceButton   *presence_button;
  GtkMenuButton        *primary_menu_button;
  GtkSearchBar         *search_bar;
  GtkSearchEntry       *search_entry;
  TalkConnectionBanner *banner;
  TalkContactList      *contact_list;
  AdwWindowTitle       *chat_title;
  AdwTabBar            *tab_bar;
  GtkStack             *content_stack;
  AdwTabView           *tab_view;

  /* Built on first use: with every window it cost 8 ms and 1.5 MB. */
  GtkWindow            *shortcuts_window;
};

G_DEFINE_FINAL_TYPE (TalkWindow, talk_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_CLIENT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Window state */

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

/* Certificate */

/* "3a5f9c01…" or "3A:5F:9C:01:…" → "3A:5F:9C:01:22:B7:4E:D0\n…"; anything
 * that is not 32 bytes of hex is shown as it came. */
static char *
format_fingerprint (const char *fingerprint)
{
  g_autoptr(GString) hex = g_string_new (NULL);
  g_autoptr(GString) out = g_string_new (NULL);

  for (const char *p = fingerprint; *p != '\0'; p++)
    {
      if (g_ascii_isxdigit (*p))
        g_string_append_c (hex, g_ascii_toupper (*p));
      else if (*p != ':' && *p != ' ')
        return g_strdup (fingerprint);
    }
  if (hex->len != 64)
    return g_strdup (fingerprint);

  for (gsize i = 0; i < hex->len; i += 2)
    {
      if (i > 0)
        g_string_append_c (out, (i / 2) % FINGERPRINT_BYTES_PER_LINE == 0 ? '\n' : ':');
      g_string_append_len (out, hex->str + i, 2);
    }

  return g_string_free (g_steal_pointer (&out), FALSE);
}

static void
certificate_response_cb (AdwMessageDialog *dialog,
                         const char       *response,
                         TalkWindow       *self)
{
  const char *fingerprint = g_object_get_data (G_OBJECT (dialog), "fingerprint");

  if (g_strcmp0 (response, "trust") == 0 && fingerprint != NULL)
    talk_client_trust_certificate (self->client, fingerprint);
}

static GtkWidget *
certificate_details_new (const char *fingerprint)
{
  g_autofree char *formatted = format_fingerprint (fingerprint);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *caption = gtk_label_new (_("SHA-256 Fingerprint"));
  GtkWidget *value = gtk_label_new (formatted);

  gtk_widget_add_css_class (caption, "heading");
  gtk_box_append (GTK_BOX (box), caption);

  gtk_label_set_selectable (GTK_LABEL (value), TRUE);
  gtk_label_set_wrap (GTK_LABEL (value), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (value), PANGO_WRAP_CHAR);
  gtk_label_set_justify (GTK_LABEL (value), GTK_JUSTIFY_CENTER);
  gtk_widget_add_css_class (value, "monospace");
  gtk_widget_add_css_class (value, "fingerprint");
  gtk_accessible_update_property (GTK_ACCESSIBLE (value),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("SHA-256 fingerprint"),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, fingerprint,
                                  -1);
  gtk_box_append (GTK_BOX (box), value);

  return box;
}

static char *
dup_account_domain (TalkWindow *self)
{
  const char *jid = talk_client_get_jid (self->client);
  const char *at = jid != NULL ? strrchr (jid, '@') : NULL;

  if (at != NULL)
    return g_strdup (at + 1);
  if (jid != NULL && *jid != '\0')
    return g_strdup (jid);

  return g_strdup (_("the server"));
}

static void
present_certificate_dialog (TalkWindow *self)
{
  const char *fingerprint = talk_client_get_certificate_fingerprint (self->client);
  g_autofree char *reason =
    talk_xmpp_certificate_describe_errors (talk_client_get_certificate_errors (self->client));
  g_autofree char *domain = NULL;
  g_autofree char *body = NULL;
  GtkWidget *dialog;

  if (self->certificate_dialog != NULL)
    {
      gtk_window_present (GTK_WINDOW (self->certificate_dialog));
      return;
    }
  if (fingerprint == NULL || *fingerprint == '\0')
    return;

  domain = dup_account_domain (self);
  /* Translators: DOMAIN, then why (from the TLS layer) */
  body = g_strdup_printf (_("The server's certificate for %s is not trusted: %s"), domain,
                          reason != NULL ? reason : _("it could not be verified"));

  dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Certificate Not Trusted"), body);
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog),
                                      certificate_details_new (fingerprint));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "trust", _("_Trust This Certificate"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "trust",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  /* Only the fingerprint the user saw may be trusted. */
  g_object_set_data_full (G_OBJECT (dialog), "fingerprint", g_strdup (fingerprint), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (certificate_response_cb), self, 0);

  self->certificate_dialog = dialog;
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &self->certificate_dialog);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
close_certificate_dialog (TalkWindow *self)
{
  if (self->certificate_dialog != NULL)
    gtk_window_destroy (GTK_WINDOW (self->certificate_dialog));
}

/* Pages */

static void
destroy_search_dialog (TalkWindow *self)
{
  GtkWidget *dialog = self->search_dialog;

  if (dialog == NULL)
    return;

  g_object_remove_weak_pointer (G_OBJECT (dialog), (gpointer *) &self->search_dialog);
  self->search_dialog = NULL;
  gtk_window_destroy (GTK_WINDOW (dialog));
}

static void
close_all_chats (TalkWindow *self)
{
  for (int i = adw_tab_view_get_n_pages (self->tab_view) - 1; i >= 0; i--)
    adw_tab_view_close_page (self->tab_view, adw_tab_view_get_nth_page (self->tab_view, i));
}

static void signed_in_cb (TalkWindow *self,
                          gboolean    remember);
static void signin_busy_cb (TalkWindow *self);

/* The sign-in page, made when first needed: with an account it never
 * shows, and it weighs about 1 MB. */
static TalkSigninPage *
ensure_signin_page (TalkWindow *self)
{
  if (self->signin_page == NULL)
    {
      self->signin_page = TALK_SIGNIN_PAGE (talk_signin_page_new (self->client));
      g_signal_connect_swapped (self->signin_page, "signed-in",
                                G_CALLBACK (signed_in_cb), self);
      g_signal_connect_swapped (self->signin_page, "notify::busy",
                                G_CALLBACK (signin_busy_cb), self);
      gtk_stack_add_named (self->main_stack, GTK_WIDGET (self->signin_page), "signin");
    }

  return self->signin_page;
}

static gboolean
signin_page_busy (TalkWindow *self)
{
  return self->signin_page != NULL && talk_signin_page_get_busy (self->signin_page);
}

static void
update_main_page (TalkWindow *self)
{
  gboolean want_signin = self->signing_in ||
                         talk_client_get_status (self->client) == TALK_CLIENT_STATUS_NO_ACCOUNT;
  const char *current = gtk_stack_get_visible_child_name (self->main_stack);

  if (want_signin && g_strcmp0 (current, "signin") != 0)
    {
      close_all_chats (self);
      /* Its words and results belong to the account that signed out. */
      destroy_search_dialog (self);
      gtk_search_bar_set_search_mode (self->search_bar, FALSE);
      talk_signin_page_reset (ensure_signin_page (self));
      gtk_stack_set_visible_child_name (self->main_stack, "signin");
    }
  else if (!want_signin && g_strcmp0 (current, "main") != 0)
    {
      gtk_stack_set_visible_child_name (self->main_stack, "main");
      adw_leaflet_set_visible_child (self->leaflet, self->sidebar);
      gtk_widget_grab_focus (GTK_WIDGET (self->contact_list));
    }
}

static void
client_status_cb (TalkWindow *self)
{
  TalkClientStatus status = talk_client_get_status (self->client);

  if (status == TALK_CLIENT_STATUS_ONLINE && !signin_page_busy (self))
    self->signing_in = FALSE;
  update_main_page (self);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.review-certificate",
                                 status == TALK_CLIENT_STATUS_CERTIFICATE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.sign-out",
                                 status != TALK_CLIENT_STATUS_NO_ACCOUNT);
  if (status == TALK_CLIENT_STATUS_CERTIFICATE)
    present_certificate_dialog (self);
  else
    close_certificate_dialog (self);
}


static void
signin_busy_cb (TalkWindow *self)
{
  if (signin_page_busy (self))
    self->signing_in = TRUE;
}

static void
signed_in_cb (TalkWindow *self,
              gboolean    remember)
{
  self->signing_in = FALSE;
  update_main_page (self);
}

/* The sign-in stands without the keyring; say so, until dismissed. */
static void
password_not_saved_cb (TalkWindow *self)
{
  AdwToast *toast = adw_toast_new (_("The password could not be saved in the system keyring; Talk will ask again next time"));

  adw_toast_set_timeout (toast, 0);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

/* Search */

static void
search_changed_cb (TalkWindow *self)
{
  talk_contact_list_set_search_text (self->contact_list,
                                     gtk_editable_get_text (GTK_EDITABLE (self->search_entry)));
}

static void
search_activate_cb (TalkWindow *self)
{
  talk_contact_list_activate_first (self->contact_list);
}

void
talk_window_focus_search (TalkWindow *self)
{
  g_return_if_fail (TALK_IS_WINDOW (self));

  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack), "main") != 0)
    return;

  adw_leaflet_set_visible_child (self->leaflet, self->sidebar);
  gtk_search_bar_set_search_mode (self->search_bar, TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

/* Chats */

static void
contact_activated_cb (TalkWindow  *self,
                      TalkContact *contact)
{
  talk_window_open_chat (self, talk_contact_get_jid (contact));
}

static AdwTabPage *
lookup_chat (TalkWindow *self,
             const char *jid)
{
  int n_pages = adw_tab_view_get_n_pages (self->tab_view);

  for (int i = 0; i < n_pages; i++)
    {
      AdwTabPage *page = adw_tab_view_get_nth_page (self->tab_view, i);
      GtkWidget *child = adw_tab_page_get_child (page);

      if (TALK_IS_CHAT_PAGE (child) &&
          g_strcmp0 (talk_contact_get_jid (talk_chat_page_get_contact (TALK_CHAT_PAGE (child))), jid) == 0)
        return page;
    }

  return NULL;
}

static TalkContact *
dup_contact (TalkWindow *self,
             const char *jid)
{
  GListModel *roster = talk_client_get_roster (self->client);
  TalkContact *contact = NULL;
  guint n_items;

  if (TALK_IS_ROSTER (roster))
    {
      contact = talk_roster_lookup (TALK_ROSTER (roster), jid);
      if (contact == NULL)
        contact = talk_roster_lookup_unlisted (TALK_ROSTER (roster), jid);
      if (contact != NULL)
        return g_object_ref (contact);
    }
  else if (roster != NULL)
    {
      n_items = g_list_model_get_n_items (roster);
      for (guint i = 0; i < n_items; i++)
        {
          g_autoptr(TalkContact) item = g_list_model_get_item (roster, i);

          if (g_strcmp0 (talk_contact_get_jid (item), jid) == 0)
            return g_steal_pointer (&item);
        }
    }

  /* Someone the account does not know yet. */
  return talk_contact_new (jid);
}

static TalkChatPage *
get_chat_page (AdwTabPage *page)
{
  GtkWidget *child = adw_tab_page_get_child (page);

  return TALK_IS_CHAT_PAGE (child) ? TALK_CHAT_PAGE (child) : NULL;
}

static const char *
get_page_peer (AdwTabPage *page)
{
  TalkChatPage *chat = get_chat_page (page);

  return chat != NULL ? talk_contact_get_jid (talk_chat_page_get_contact (chat)) : NULL;
}

static void
update_tab_icon (AdwTabPage *page)
{
  TalkChatPage *chat = get_chat_page (page);
  TalkXmppPresenceShow show = talk_contact_get_show (talk_chat_page_get_contact (chat));
  g_autoptr(GIcon) icon = g_themed_icon_new (talk_presence_show_get_icon_name (show));

  adw_tab_page_set_icon (page, icon);
}

/* "Bob", or "Bob (3)" with three unread messages; the tab asks for
 * attention while there are any. */
static void
update_tab_title (AdwTabPage *page)
{
  TalkChatPage *chat = get_chat_page (page);
  const char *name = talk_contact_get_display_name (talk_chat_page_get_contact (chat));
  guint unread = talk_chat_page_get_unread (chat);

  if (unread > 0)
    {
      /* Translators: a tab's title: a contact's name and how many of
       * their messages are unread, "Bob (3)" */
      g_autofree char *title = g_strdup_printf (_("%s (%u)"), name, unread);

      adw_tab_page_set_title (page, title);
    }
  else
    {
      adw_tab_page_set_title (page, name);
    }
  adw_tab_page_set_needs_attention (page, unread > 0);
}

static AdwTabPage *
add_chat (TalkWindow *self,
          const char *jid)
{
  g_autoptr(TalkContact) contact = dup_contact (self, jid);
  GtkWidget *chat = talk_chat_page_new (self->client, contact);
  AdwTabPage *page = adw_tab_view_append (self->tab_view, chat);
  /* The tab's tooltip is markup, the title plain text. */
  g_autofree char *tooltip = g_markup_escape_text (talk_contact_get_jid (contact), -1);

  adw_tab_page_set_tooltip (page, tooltip);
  g_signal_connect_object (contact, "notify::show", G_CALLBACK (update_tab_icon), page,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (contact, "notify::display-name", G_CALLBACK (update_tab_title), page,
                           G_CONNECT_SWAPPED);
  update_tab_icon (page);
  update_tab_title (page);
  /* The new tab's close button. */
  talk_accessible_name_icon_buttons (GTK_WIDGET (self->tab_bar));

  return page;
}

static void update_viewed_chat (TalkWindow *self);

void
talk_window_open_chat (TalkWindow *self,
                       const char *jid)
{
  g_autofree char *normalized = NULL;
  AdwTabPage *page;

  g_return_if_fail (TALK_IS_WINDOW (self));
  g_return_if_fail (jid != NULL);

  normalized = talk_xmpp_jid_normalize (jid, NULL);
  if (normalized == NULL)
    normalized = g_strdup (jid);

  page = lookup_chat (self, normalized);
  if (page == NULL)
    page = add_chat (self, normalized);

  adw_tab_view_set_selected_page (self->tab_view, page);
  adw_leaflet_set_visible_child (self->leaflet, self->content);
  talk_chat_page_focus_composer (get_chat_page (page));
  update_viewed_chat (self);
}

static void
tabs_changed_cb (TalkWindow *self)
{
  int n_pages = adw_tab_view_get_n_pages (self->tab_view);
  gboolean any = n_pages > 0;

  gtk_widget_set_visible (GTK_WIDGET (self->tab_bar), any);
  gtk_stack_set_visible_child_name (self->content_stack, any ? "chats" : "empty");
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.close-tab", any);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.previous-tab", n_pages > 1);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.next-tab", n_pages > 1);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.select-tab", any);
  if (!any && adw_leaflet_get_folded (self->leaflet))
    adw_leaflet_set_visible_child (self->leaflet, self->sidebar);
  update_viewed_chat (self);
}

static void
selected_page_cb (TalkWindow *self)
{
  AdwTabPage *page = adw_tab_view_get_selected_page (self->tab_view);
  TalkChatPage *chat = page != NULL ? get_chat_page (page) : NULL;
  const char *jid = NULL;

  g_clear_pointer (&self->title_binding, g_binding_unbind);
  if (chat != NULL)
    {
      TalkContact *contact = talk_chat_page_get_contact (chat);

      jid = talk_contact_get_jid (contact);
      self->title_binding = g_object_bind_property (contact, "display-name",
                                                    self->chat_title, "title",
                                                    G_BINDING_SYNC_CREATE);
      if (gtk_widget_get_mapped (GTK_WIDGET (self->tab_view)))
        talk_chat_page_focus_composer (chat);
    }
  else
    {
      adw_window_title_set_title (self->chat_title, "");
    }
  adw_window_title_set_subtitle (self->chat_title, jid != NULL ? jid : "");
  update_viewed_chat (self);
}

/* What the user sees: unread counts, displayed markers, notifications */

static const char *
get_viewed_peer (TalkWindow *self)
{
  AdwTabPage *page;

  if (!gtk_widget_get_visible (GTK_WIDGET (self)) || !gtk_window_is_active (GTK_WINDOW (self)))
    return NULL;
  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack), "main") != 0)
    return NULL;
  if (adw_leaflet_get_folded (self->leaflet) &&
      adw_leaflet_get_visible_child (self->leaflet) != self->content)
    return NULL;

  page = adw_tab_view_get_selected_page (self->tab_view);

  return page != NULL ? get_page_peer (page) : NULL;
}

static char *
dup_notification_id (const char *peer)
{
  return g_strconcat ("message-", peer, NULL);
}

static void
withdraw_notification (TalkWindow *self,
                       const char *peer)
{
  GApplication *application = G_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));
  g_autofree char *id = NULL;

  if (!g_hash_table_remove (self->notified, peer) || application == NULL)
    return;

  id = dup_notification_id (peer);
  g_application_withdraw_notification (application, id);
}

/* The user sees @peer's messages now. */
static void
chat_seen (TalkWindow *self,
           const char *peer)
{
  if (self->chats != NULL)
    talk_chats_mark_displayed (self->chats, peer);
  withdraw_notification (self, peer);
}

static void
update_viewed_chat (TalkWindow *self)
{
  const char *peer = get_viewed_peer (self);

  if (g_strcmp0 (peer, self->viewed_peer) == 0)
    return;

  if (self->viewed_peer != NULL && self->chats != NULL)
    talk_chats_set_chat_visible (self->chats, self->viewed_peer, FALSE);
  g_free (self->viewed_peer);
  self->viewed_peer = g_strdup (peer);
  if (peer == NULL)
    return;

  if (self->chats != NULL)
    talk_chats_set_chat_visible (self->chats, peer, TRUE);
  chat_seen (self, peer);
}

static void
unread_changed_cb (TalkWindow *self,
                   const char *peer,
                   guint       count)
{
  AdwTabPage *page = lookup_chat (self, peer);

  if (page != NULL)
    update_tab_title (page);
  if (count > 0 && g_strcmp0 (peer, self->viewed_peer) == 0)
    chat_seen (self, peer);
}

/* The body as the chat shows it (a "/me" with the name, directional
 * controls isolated), cut short: plain text, as GNotification takes it. */
static char *
dup_notification_body (const char  *body,
                       const char  *name)
{
  g_autoptr(TalkMessageText) text = talk_message_text_new_full (body != NULL ? body : "", -1,
                                                                 name, NOTIFICATION_BODY_BYTES);

  if (talk_message_text_get_shortened (text))
    return g_strconcat (talk_message_text_get_text (text), "…", NULL);

  return g_strdup (talk_message_text_get_text (text));
}

static void
send_message_notification (TalkWindow  *self,
                           const char  *peer,
                           TalkMessage *message)
{
  GApplication *application = G_APPLICATION (gtk_window_get_application (GTK_WINDOW (self)));
  g_autoptr(TalkContact) contact = NULL;
  g_autoptr(GNotification) notification = NULL;
  g_autofree char *body = NULL;
  g_autofree char *id = NULL;
  const char *name;

  if (application == NULL)
    return;

  contact = dup_contact (self, peer);
  name = talk_contact_get_display_name (contact);

  /* Without the text, only who wrote: the screen may be seen by others. */
  notification = g_notification_new (name);
  if (g_settings_get_boolean (self->settings, "notification-show-text"))
    {
      body = dup_notification_body (talk_message_get_body (message), name);
      g_notification_set_body (notification, body);
    }
  g_notification_set_category (notification, "im.received");
  g_notification_set_default_action_and_target (notification, "app.open-chat", "s", peer);

  /* One per peer: a newer message replaces the notification of the last. */
  id = dup_notification_id (peer);
  g_application_send_notification (application, id, notification);
  g_hash_table_add (self->notified, g_strdup (peer));
}

static void
message_received_cb (TalkWindow  *self,
                     const char  *peer,
                     TalkMessage *message,
                     gboolean     notify)
{
  if (g_strcmp0 (peer, self->viewed_peer) == 0)
    {
      chat_seen (self, peer);
      return;
    }
  if (notify)
    send_message_notification (self, peer, message);
}

/* A new account brings new chats; the tabs of the last one are closed
 * with the sign-in page by then. */
static void
client_chats_cb (TalkWindow *self)
{
  TalkChats *chats = talk_client_get_chats (self->client);

  if (chats == self->chats)
    return;

  if (self->chats != NULL)
    {
      if (self->viewed_peer != NULL)
        talk_chats_set_chat_visible (self->chats, self->viewed_peer, FALSE);
      g_signal_handlers_disconnect_by_data (self->chats, self);
    }
  g_clear_pointer (&self->viewed_peer, g_free);
  g_set_object (&self->chats, chats);
  if (chats != NULL)
    {
      g_signal_connect_object (chats, "message-received",
                               G_CALLBACK (message_received_cb), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (chats, "unread-changed",
                               G_CALLBACK (unread_changed_cb), self, G_CONNECT_SWAPPED);
    }
  update_viewed_chat (self);
}

static void
page_detached_cb (TalkWindow *self,
                  AdwTabPage *page)
{
  const char *peer = get_page_peer (page);

  if (peer != NULL && g_strcmp0 (peer, self->viewed_peer) == 0)
    {
      if (self->chats != NULL)
        talk_chats_set_chat_visible (self->chats, peer, FALSE);
      g_clear_pointer (&self->viewed_peer, g_free);
    }
}

/* Actions */

static void
close_tab_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  TalkWindow *self = TALK_WINDOW (widget);
  AdwTabPage *page = adw_tab_view_get_selected_page (self->tab_view);

  if (page != NULL)
    adw_tab_view_close_page (self->tab_view, page);
}

/* Ctrl+Page_Up and Ctrl+Page_Down go round. */
static void
previous_tab_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  TalkWindow *self = TALK_WINDOW (widget);
  int n_pages = adw_tab_view_get_n_pages (self->tab_view);

  if (n_pages > 1 && !adw_tab_view_select_previous_page (self->tab_view))
    adw_tab_view_set_selected_page (self->tab_view,
                                    adw_tab_view_get_nth_page (self->tab_view, n_pages - 1));
}

static void
next_tab_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  TalkWindow *self = TALK_WINDOW (widget);
  int n_pages = adw_tab_view_get_n_pages (self->tab_view);

  if (n_pages > 1 && !adw_tab_view_select_next_page (self->tab_view))
    adw_tab_view_set_selected_page (self->tab_view, adw_tab_view_get_nth_page (self->tab_view, 0));
}

/* Alt+N: the Nth tab, counted from 1. */
static void
select_tab_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  TalkWindow *self = TALK_WINDOW (widget);
  int n = g_variant_get_int32 (parameter);

  if (n >= 1 && n <= adw_tab_view_get_n_pages (self->tab_view))
    adw_tab_view_set_selected_page (self->tab_view,
                                    adw_tab_view_get_nth_page (self->tab_view, n - 1));
}

static void
add_shortcut (GtkShortcutController *controller,
              const char            *accelerator,
              const char            *action_name,
              GVariant              *arguments)
{
  GtkShortcut *shortcut = gtk_shortcut_new (gtk_shortcut_trigger_parse_string (accelerator),
                                            gtk_named_action_new (action_name));

  if (arguments != NULL)
    gtk_shortcut_set_arguments (shortcut, arguments);
  gtk_shortcut_controller_add_shortcut (controller, shortcut);
}

/* The tab shortcuts run before the focused widget sees the keys: the
 * composer's text view would take Ctrl+Page_Up for itself. They replace
 * the tab view's own, which only wrap the keys the same way. */
static void
setup_tab_shortcuts (TalkWindow *self)
{
  GtkEventController *controller = gtk_shortcut_controller_new ();
  GtkShortcutController *shortcuts = GTK_SHORTCUT_CONTROLLER (controller);

  gtk_event_controller_set_propagation_phase (controller, GTK_PHASE_CAPTURE);
  add_shortcut (shortcuts, "<Control>w", "win.close-tab", NULL);
  add_shortcut (shortcuts, "<Control>Page_Up", "win.previous-tab", NULL);
  add_shortcut (shortcuts, "<Control>Page_Down", "win.next-tab", NULL);
  for (int i = 1; i <= N_TAB_DIGITS; i++)
    {
      g_autofree char *accelerator = g_strdup_printf ("<Alt>%d", i);

      add_shortcut (shortcuts, accelerator, "win.select-tab", g_variant_new_int32 (i));
    }
  gtk_widget_add_controller (GTK_WIDGET (self), controller);

  adw_tab_view_remove_shortcuts (self->tab_view,
                                 ADW_TAB_VIEW_SHORTCUT_CONTROL_PAGE_UP |
                                 ADW_TAB_VIEW_SHORTCUT_CONTROL_PAGE_DOWN |
                                 ADW_TAB_VIEW_SHORTCUT_ALT_DIGITS);
}

/* Whether the person is in the conversations' pane: it is the one shown
 * when folded, else it has the keyboard focus. */
static gboolean
chat_pane_in_use (TalkWindow *self)
{
  GtkWidget *focus;

  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack), "main") != 0)
    return FALSE;
  if (adw_leaflet_get_folded (self->leaflet))
    return adw_leaflet_get_visible_child (self->leaflet) == self->content;

  focus = gtk_root_get_focus (GTK_ROOT (self));
  return focus != NULL && (focus == self->content || gtk_widget_is_ancestor (focus, self->content));
}

/* Ctrl+F searches where the person is: the conversation in view, else
 * the contacts. */
static void
search_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  TalkWindow *self = TALK_WINDOW (widget);
  AdwTabPage *page = adw_tab_view_get_selected_page (self->tab_view);
  TalkChatPage *chat = page != NULL ? get_chat_page (page) : NULL;

  if (chat != NULL && chat_pane_in_use (self))
    talk_chat_page_begin_search (chat);
  else
    talk_window_focus_search (self);
}

static void
search_result_activated_cb (TalkWindow *self,
                            const char *peer,
                            gint64      message_id,
                            gint64      timestamp_us)
{
  AdwTabPage *page;

  talk_window_open_chat (self, peer);
  page = lookup_chat (self, peer);
  if (page != NULL)
    talk_chat_page_show_message (get_chat_page (page), message_id, timestamp_us);
}

static void
search_messages_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  TalkWindow *self = TALK_WINDOW (widget);

  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack), "main") != 0)
    return;

  if (self->search_dialog == NULL)
    {
      self->search_dialog = talk_search_dialog_new (GTK_WINDOW (self), self->client);
      g_object_add_weak_pointer (G_OBJECT (self->search_dialog),
                                 (gpointer *) &self->search_dialog);
      g_signal_connect_object (self->search_dialog, "result-activated",
                               G_CALLBACK (search_result_activated_cb), self,
                               G_CONNECT_SWAPPED);
    }
  talk_search_dialog_present (TALK_SEARCH_DIALOG (self->search_dialog));
}

static void
back_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  TalkWindow *self = TALK_WINDOW (widget);

  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
}

static void
review_certificate_action (GtkWidget  *widget,
                           const char *action_name,
                           GVariant   *parameter)
{
  present_certificate_dialog (TALK_WINDOW (widget));
}

static void
sign_out_response_cb (AdwMessageDialog *dialog,
                      const char       *response,
                      TalkWindow       *self)
{
  if (g_strcmp0 (response, "sign-out") == 0)
    talk_client_forget_account (self->client);
}

static void
show_help_overlay_action (GtkWidget  *widget,
                          const char *action_name,
                          GVariant   *parameter)
{
  TalkWindow *self = TALK_WINDOW (widget);

  if (self->shortcuts_window == NULL)
    {
      g_autoptr(GtkBuilder) builder =
        gtk_builder_new_from_resource ("/com/example/Talk/ui/talk-shortcuts-window.ui");

      self->shortcuts_window = GTK_WINDOW (g_object_ref (gtk_builder_get_object (builder, "help_overlay")));
      gtk_window_set_transient_for (self->shortcuts_window, GTK_WINDOW (self));
      gtk_window_set_hide_on_close (self->shortcuts_window, TRUE);
    }

  gtk_window_present (self->shortcuts_window);
}

static void
sign_out_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  TalkWindow *self = TALK_WINDOW (widget);
  const char *jid = talk_client_get_jid (self->client);
  g_autofree char *body = NULL;
  GtkWidget *dialog;

  /* Translators: %s is the account's address */
  body = g_strdup_printf (_("Talk will forget the account %s and remove its password from the system keyring. You can sign in again at any time."),
                          jid != NULL ? jid : "");
  dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Sign Out?"), body);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "sign-out", _("_Sign Out"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "sign-out",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (sign_out_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* GObject */

static gboolean
talk_window_close_request (GtkWindow *window)
{
  talk_window_save_state (TALK_WINDOW (window));

  return GTK_WINDOW_CLASS (talk_window_parent_class)->close_request (window);
}

static void
talk_window_constructed (GObject *object)
{
  TalkWindow *self = TALK_WINDOW (object);

  G_OBJECT_CLASS (talk_window_parent_class)->constructed (object);

  g_return_if_fail (TALK_IS_CLIENT (self->client));

  talk_presence_button_set_client (self->presence_button, self->client);
  talk_connection_banner_set_client (self->banner, self->client);
  g_object_bind_property (self->client, "roster", self->contact_list, "model",
                          G_BINDING_SYNC_CREATE);
  g_signal_connect_object (self->client, "password-not-saved",
                           G_CALLBACK (password_not_saved_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->client, "notify::status",
                           G_CALLBACK (client_status_cb), self, G_CONNECT_SWAPPED);

  g_signal_connect_object (self->client, "notify::chats",
                           G_CALLBACK (client_chats_cb), self, G_CONNECT_SWAPPED);
  client_chats_cb (self);
  /* Whether the user sees a chat depends on all of these. */
  g_signal_connect (self, "notify::is-active", G_CALLBACK (update_viewed_chat), NULL);
  g_signal_connect (self, "notify::visible", G_CALLBACK (update_viewed_chat), NULL);
  g_signal_connect_swapped (self->leaflet, "notify::visible-child",
                            G_CALLBACK (update_viewed_chat), self);
  g_signal_connect_swapped (self->leaflet, "notify::folded",
                            G_CALLBACK (update_viewed_chat), self);
  g_signal_connect_swapped (self->main_stack, "notify::visible-child-name",
                            G_CALLBACK (update_viewed_chat), self);
  g_signal_connect_swapped (self->tab_view, "page-detached",
                            G_CALLBACK (page_detached_cb), self);

  /* Start on the right page without a transition. */
  gtk_stack_set_transition_type (self->main_stack, GTK_STACK_TRANSITION_TYPE_NONE);
  gtk_stack_set_visible_child_name (self->main_stack, "main");
  client_status_cb (self);
  tabs_changed_cb (self);
  gtk_stack_set_transition_type (self->main_stack, GTK_STACK_TRANSITION_TYPE_CROSSFADE);
}

static void
talk_window_dispose (GObject *object)
{
  TalkWindow *self = TALK_WINDOW (object);

  g_clear_pointer (&self->title_binding, g_binding_unbind);
  if (self->viewed_peer != NULL && self->chats != NULL)
    talk_chats_set_chat_visible (self->chats, self->viewed_peer, FALSE);
  g_clear_pointer (&self->viewed_peer, g_free);
  if (self->leaflet != NULL)
    g_signal_handlers_disconnect_by_data (self->leaflet, self);
  if (self->main_stack != NULL)
    g_signal_handlers_disconnect_by_data (self->main_stack, self);
  if (self->tab_view != NULL)
    g_signal_handlers_disconnect_by_data (self->tab_view, self);
  g_signal_handlers_disconnect_by_func (self, update_viewed_chat, NULL);
  destroy_search_dialog (self);
  /* Owned by the stack, which goes with the template. */
  if (self->signin_page != NULL)
    g_signal_handlers_disconnect_by_data (self->signin_page, self);
  self->signin_page = NULL;
  if (self->shortcuts_window != NULL)
    gtk_window_destroy (self->shortcuts_window);
  g_clear_object (&self->shortcuts_window);
  gtk_widget_dispose_template (GTK_WIDGET (object), TALK_TYPE_WINDOW);
  g_clear_object (&self->chats);

  G_OBJECT_CLASS (talk_window_parent_class)->dispose (object);
}

static void
talk_window_finalize (GObject *object)
{
  TalkWindow *self = TALK_WINDOW (object);

  g_clear_object (&self->settings);
  g_clear_object (&self->client);
  g_clear_pointer (&self->notified, g_hash_table_unref);

  G_OBJECT_CLASS (talk_window_parent_class)->finalize (object);
}

static void
talk_window_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  TalkWindow *self = TALK_WINDOW (object);

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
talk_window_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  TalkWindow *self = TALK_WINDOW (object);

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
talk_window_class_init (TalkWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->constructed = talk_window_constructed;
  object_class->dispose = talk_window_dispose;
  object_class->finalize = talk_window_finalize;
  object_class->get_property = talk_window_get_property;
  object_class->set_property = talk_window_set_property;
  window_class->close_request = talk_window_close_request;

  properties[PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL, TALK_TYPE_CLIENT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (TALK_TYPE_PRESENCE_BUTTON);
  g_type_ensure (TALK_TYPE_CONNECTION_BANNER);
  g_type_ensure (TALK_TYPE_CONTACT_LIST);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/com/example/Talk/ui/talk-window.ui");
  gtk_widget_class_bind_template_child (widget_class, TalkWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, TalkWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, TalkWindow, leaflet);
  gtk_widget_class_bind_template_child (widget_class, TalkWindow, sidebar);
  gtk_widget_class_bind_template_child (widget_class, TalkWindow, content);
  gtk_widget_class_bind_template_child (widget_class, TalkWindow, presence_button);
  gtk_widget_class_bind_template_child (widget_class, TalkWindow, primary_menu_button);
  gtk_widget_class_bind_template_child (widget_class, TalkWindow, search_bar);
  gtk_widget_class_bind_template_child (widget_class, TalkWindow, search_entry);
  gtk_widget_class_bind_template_child (widget_class, TalkWindow, banner);
  gtk_widget_class_bind_template_child (widget_class, TalkWindow, contact_list);
  gtk_widget_class_bind_template_child (widget_class, TalkWindow, chat_title);
  gtk_widget_class_bind_template_child (widget_class, TalkWindow, tab_bar);
  gtk_widget_class_bind_template_child (widget_class, TalkWindow, content_stack);
  gtk_widget_class_bind_template_child (widget_class, TalkWindow, tab_view);
  gtk_widget_class_bind_template_callback (widget_class, search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, search_activate_cb);
  gtk_widget_class_bind_template_callback (widget_class, contact_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, tabs_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, selected_page_cb);

  gtk_widget_class_install_action (widget_class, "win.close-tab", NULL, close_tab_action);
  gtk_widget_class_install_action (widget_class, "win.previous-tab", NULL, previous_tab_action);
  gtk_widget_class_install_action (widget_class, "win.next-tab", NULL, next_tab_action);
  gtk_widget_class_install_action (widget_class, "win.select-tab", "i", select_tab_action);
  gtk_widget_class_install_action (widget_class, "win.search", NULL, search_action);
  gtk_widget_class_install_action (widget_class, "win.search-messages", NULL,
                                   search_messages_action);
  gtk_widget_class_install_action (widget_class, "win.back", NULL, back_action);
  gtk_widget_class_install_action (widget_class, "win.review-certificate", NULL, review_certificate_action);
  gtk_widget_class_install_action (widget_class, "win.sign-out", NULL, sign_out_action);
  gtk_widget_class_install_action (widget_class, "win.show-help-overlay", NULL,
                                   show_help_overlay_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK,
                                       "win.search", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "win.search-messages", NULL);
}

static void
talk_window_init (TalkWindow *self)
{
  g_autoptr(GAction) show_text = NULL;

  gtk_widget_init_template (GTK_WIDGET (self));

  gtk_search_bar_set_key_capture_widget (self->search_bar, self->sidebar);
  setup_tab_shortcuts (self);
  self->notified = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  self->settings = g_settings_new (APP_ID);
  talk_window_restore_state (self);

  /* A check item in the main menu. */
  show_text = g_settings_create_action (self->settings, "notification-show-text");
  g_action_map_add_action (G_ACTION_MAP (self), show_text);
}

TalkWindow *
talk_window_new (GtkApplication *application,
                 TalkClient     *client)
{
  g_return_val_if_fail (GTK_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (TALK_IS_CLIENT (client), NULL);

  return g_object_new (TALK_TYPE_WINDOW,
                       "application", application,
                       "client", client,
                       NULL);
}

TalkClient *
talk_window_get_client (TalkWindow *self)
{
  g_return_val_if_fail (TALK_IS_WINDOW (self), NULL);

  return self->client;
}
