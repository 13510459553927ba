/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "talk-account.h"
#include "talk-core-error.h"

/*
 * An account is a GSettings path, /com/example/Talk/accounts/ID/, with the
 * relocatable schema com.example.Talk.Account; the list of IDs lives in the
 * "accounts" key of com.example.Talk. Every writable property is bound to
 * its key, so a change made anywhere (another TalkAccount for the same ID,
 * dconf-editor) shows up as a property notification.
 */

#define ACCOUNT_SCHEMA_ID APP_ID ".Account"
#define ACCOUNT_PATH_PREFIX "/com/example/Talk/accounts/"
#define ACCOUNT_ID_LENGTH 12

struct _TalkAccount
{
  GObject    parent_instance;

  char      *id;
  GSettings *settings;

  char      *jid;
  char      *resource;
  char      *host;
  guint      port;
  gboolean   direct_tls;
  char      *pinned_certificate;
  gboolean   enabled;
};

G_DEFINE_FINAL_TYPE (TalkAccount, talk_account, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_JID,
  PROP_RESOURCE,
  PROP_HOST,
  PROP_PORT,
  PROP_DIRECT_TLS,
  PROP_PINNED_CERTIFICATE,
  PROP_ENABLED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* IDs end up in a settings path, so only accept what we generate. */
static gboolean
id_is_valid (const char *id)
{
  if (id == NULL || *id == '\0' || strlen (id) > 64)
    return FALSE;

  for (const char *p = id; *p != '\0'; p++)
    {
      if (!g_ascii_isalnum (*p))
        return FALSE;
    }

  return TRUE;
}

static char *
generate_id (const char * const *taken)
{
  static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";

  for (;;)
    {
      char id[ACCOUNT_ID_LENGTH + 1];

      for (guint i = 0; i < ACCOUNT_ID_LENGTH; i++)
        id[i] = alphabet[g_random_int_range (0, sizeof alphabet - 1)];
      id[ACCOUNT_ID_LENGTH] = '\0';

      if (!g_strv_contains (taken, id))
        return g_strdup (id);
    }
}

/* Empty strings in settings mean "not set"; the API says NULL. */
static gboolean
string_get_mapping (GValue   *value,
                    GVariant *variant,
                    gpointer  user_data)
{
  const char *str = g_variant_get_string (variant, NULL);

  g_value_set_string (value, *str != '\0' ? str : NULL);
  return TRUE;
}

static GVariant *
string_set_mapping (const GValue       *value,
                    const GVariantType *expected_type,
                    gpointer            user_data)
{
  const char *str = g_value_get_string (value);

  return g_variant_new_string (str != NULL ? str : "");
}

static gboolean
set_string (char       **field,
            const char  *value)
{
  if (value != NULL && *value == '\0')
    value = NULL;

  if (g_strcmp0 (*field, value) == 0)
    return FALSE;

  g_free (*field);
  *field = g_strdup (value);
  return TRUE;
}

static void
talk_account_constructed (GObject *object)
{
  TalkAccount *self = TALK_ACCOUNT (object);
  g_autofree char *path = NULL;

  G_OBJECT_CLASS (talk_account_parent_class)->constructed (object);

  g_assert (id_is_valid (self->id));

  path = g_strconcat (ACCOUNT_PATH_PREFIX, self->id, "/", NULL);
  self->settings = g_settings_new_with_path (ACCOUNT_SCHEMA_ID, path);

  /* The JID names the account (and its keyring item): fixed for life. */
  self->jid = g_settings_get_string (self->settings, "jid");

  g_settings_bind_with_mapping (self->settings, "resource", self, "resource",
                                G_SETTINGS_BIND_DEFAULT,
                                string_get_mapping, string_set_mapping,
                                NULL, NULL);
  g_settings_bind_with_mapping (self->settings, "host", self, "host",
                                G_SETTINGS_BIND_DEFAULT,
                                string_get_mapping, string_set_mapping,
                                NULL, NULL);
  g_settings_bind (self->settings, "port", self, "port",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "direct-tls", self, "direct-tls",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind_with_mapping (self->settings, "pinned-certificate",
                                self, "pinned-certificate",
                                G_SETTINGS_BIND_DEFAULT,
                                string_get_mapping, string_set_mapping,
                                NULL, NULL);
  g_settings_bind (self->settings, "enabled", self, "enabled",
                   G_SETTINGS_BIND_DEFAULT);
}

static void
talk_account_finalize (GObject *object)
{
  TalkAccount *self = TALK_ACCOUNT (object);

  g_clear_object (&self->settings);
  g_clear_pointer (&self->id, g_free);
  g_clear_pointer (&self->jid, g_free);
  g_clear_pointer (&self->resource, g_free);
  g_clear_pointer (&self->host, g_free);
  g_clear_pointer (&self->pinned_certificate, g_free);

  G_OBJECT_CLASS (talk_account_parent_class)->finalize (object);
}

static void
talk_account_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  TalkAccount *self = TALK_ACCOUNT (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, self->id);
      break;
    case PROP_JID:
      g_value_set_string (value, self->jid);
      break;
    case PROP_RESOURCE:
      g_value_set_string (value, self->resource);
      break;
    case PROP_HOST:
      g_value_set_string (value, self->host);
      break;
    case PROP_PORT:
      g_value_set_uint (value, self->port);
      break;
    case PROP_DIRECT_TLS:
      g_value_set_boolean (value, self->direct_tls);
      break;
    case PROP_PINNED_CERTIFICATE:
      g_value_set_string (value, self->pinned_certificate);
      break;
    case PROP_ENABLED:
      g_value_set_boolean (value, self->enabled);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
talk_account_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  TalkAccount *self = TALK_ACCOUNT (object);

  switch (prop_id)
    {
    case PROP_ID:
      self->id = g_value_dup_string (value);
      break;
    case PROP_RESOURCE:
      if (set_string (&self->resource, g_value_get_string (value)))
        g_object_notify_by_pspec (object, pspec);
      break;
    case PROP_HOST:
      if (set_string (&self->host, g_value_get_string (value)))
        g_object_notify_by_pspec (object, pspec);
      break;
    case PROP_PORT:
      if (self->port != g_value_get_uint (value))
        {
          self->port = g_value_get_uint (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_DIRECT_TLS:
      if (self->direct_tls != g_value_get_boolean (value))
        {
          self->direct_tls = g_value_get_boolean (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_PINNED_CERTIFICATE:
      if (set_string (&self->pinned_certificate, g_value_get_string (value)))
        g_object_notify_by_pspec (object, pspec);
      break;
    case PROP_ENABLED:
      if (self->enabled != g_value_get_boolean (value))
        {
          self->enabled = g_value_get_boolean (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
talk_account_class_init (TalkAccountClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = talk_account_constructed;
  object_class->finalize = talk_account_finalize;
  object_class->get_property = talk_account_get_property;
  object_class->set_property = talk_account_set_property;

  properties[PROP_ID] =
    g_param_spec_string ("id", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_JID] =
    g_param_spec_string ("jid", NULL, NULL, NULL,
                         G_PARAM_READABLE |
                         G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_RESOURCE] =
    g_param_spec_string ("resource", NULL, NULL, NULL,
                         G_PARAM_READWRITE |
                         G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_HOST] =
    g_param_spec_string ("host", NULL, NULL, NULL,
                         G_PARAM_READWRITE |
                         G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PORT] =
    g_param_spec_uint ("port", NULL, NULL, 0, G_MAXUINT16, 0,
                       G_PARAM_READWRITE |
                       G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_DIRECT_TLS] =
    g_param_spec_boolean ("direct-tls", NULL, NULL, FALSE,
                          G_PARAM_READWRITE |
                          G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PINNED_CERTIFICATE] =
    g_param_spec_string ("pinned-certificate", NULL, NULL, NULL,
                         G_PARAM_READWRITE |
                         G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ENABLED] =
    g_param_spec_boolean ("enabled", NULL, NULL, TRUE,
                          G_PARAM_READWRITE |
                          G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
talk_account_init (TalkAccount *self)
{
  self->enabled = TRUE;
}

static void
reset_settings (GSettings *settings)
{
  g_autoptr(GSettingsSchema) schema = NULL;
  g_auto(GStrv) keys = NULL;

  g_object_get (settings, "settings-schema", &schema, NULL);
  keys = g_settings_schema_list_keys (schema);
  for (guint i = 0; keys[i] != NULL; i++)
    g_settings_reset (settings, keys[i]);
}

static TalkAccount *
talk_account_new_for_id (const char *id)
{
  return g_object_new (TALK_TYPE_ACCOUNT, "id", id, NULL);
}

/**
 * talk_account_load_all:
 *
 * Returns: (transfer full) (element-type TalkAccount): the accounts listed
 *   in settings, in their order; entries without a valid ID or JID are
 *   skipped.
 */
GPtrArray *
talk_account_load_all (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_auto(GStrv) ids = g_settings_get_strv (settings, "accounts");
  g_autoptr(GPtrArray) accounts = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; ids[i] != NULL; i++)
    {
      g_autoptr(TalkAccount) account = NULL;

      if (!id_is_valid (ids[i]))
        {
          g_debug ("Skipping account with malformed id");
          continue;
        }

      account = talk_account_new_for_id (ids[i]);
      if (account->jid == NULL || *account->jid == '\0')
        {
          g_debug ("Skipping account %s without an address", ids[i]);
          continue;
        }

      g_ptr_array_add (accounts, g_steal_pointer (&account));
    }

  return g_steal_pointer (&accounts);
}

static gboolean
jid_is_taken (const char * const *ids,
              const char         *bare_jid)
{
  for (guint i = 0; ids[i] != NULL; i++)
    {
      g_autoptr(TalkAccount) account = NULL;

      if (!id_is_valid (ids[i]))
        continue;

      account = talk_account_new_for_id (ids[i]);
      if (talk_xmpp_jid_string_equal (account->jid, bare_jid))
        return TRUE;
    }

  return FALSE;
}

/**
 * talk_account_create:
 * @jid: the address the user typed; a resource in it becomes the account's
 *   resource
 *
 * Validates and normalises @jid (RFC 7622), refuses an address without a
 * localpart or one that already has an account, then stores and lists the
 * new account.
 *
 * Returns: (transfer full) (nullable): the account, or %NULL with @error
 *   set to %TALK_CORE_ERROR_INVALID_ACCOUNT
 */
TalkAccount *
talk_account_create (const char  *jid,
                     GError     **error)
{
  g_autoptr(GSettings) settings = NULL;
  g_autoptr(TalkXmppJid) parsed = NULL;
  g_autoptr(GError) local_error = NULL;
  g_auto(GStrv) ids = NULL;
  g_autoptr(GStrvBuilder) builder = NULL;
  g_auto(GStrv) new_ids = NULL;
  g_autofree char *id = NULL;
  g_autoptr(TalkAccount) account = NULL;
  const char *bare;

  g_return_val_if_fail (jid != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  parsed = talk_xmpp_jid_new (jid, &local_error);
  if (parsed == NULL)
    {
      g_set_error (error, TALK_CORE_ERROR, TALK_CORE_ERROR_INVALID_ACCOUNT,
                   _("“%s” is not a valid address: %s"), jid,
                   local_error->message);
      return NULL;
    }

  if (talk_xmpp_jid_get_localpart (parsed) == NULL)
    {
      g_set_error (error, TALK_CORE_ERROR, TALK_CORE_ERROR_INVALID_ACCOUNT,
                   _("“%s” is not a valid address: it needs a user name, as in user@example.com"),
                   jid);
      return NULL;
    }

  bare = talk_xmpp_jid_get_bare_string (parsed);

  settings = g_settings_new (APP_ID);
  ids = g_settings_get_strv (settings, "accounts");

  if (jid_is_taken ((const char * const *) ids, bare))
    {
      g_set_error (error, TALK_CORE_ERROR, TALK_CORE_ERROR_INVALID_ACCOUNT,
                   _("There is already an account for %s"), bare);
      return NULL;
    }

  id = generate_id ((const char * const *) ids);

  account = talk_account_new_for_id (id);
  /* A leftover from an earlier account with this ID must not leak in. */
  reset_settings (account->settings);
  g_settings_set_string (account->settings, "jid", bare);
  g_free (account->jid);
  account->jid = g_strdup (bare);
  talk_account_set_resource (account, talk_xmpp_jid_get_resourcepart (parsed));

  builder = g_strv_builder_new ();
  g_strv_builder_addv (builder, (const char **) ids);
  g_strv_builder_add (builder, id);
  new_ids = g_strv_builder_end (builder);
  g_settings_set_strv (settings, "accounts", (const char * const *) new_ids);

  return g_steal_pointer (&account);
}

/**
 * talk_account_remove:
 *
 * Takes the account off the list and resets its settings. The keyring item
 * is the caller's to clear (talk_keyring_clear_password_async()).
 */
void
talk_account_remove (TalkAccount *self)
{
  g_autoptr(GSettings) settings = NULL;
  g_auto(GStrv) ids = NULL;
  g_autoptr(GStrvBuilder) builder = NULL;
  g_auto(GStrv) new_ids = NULL;

  g_return_if_fail (TALK_IS_ACCOUNT (self));

  settings = g_settings_new (APP_ID);
  ids = g_settings_get_strv (settings, "accounts");

  builder = g_strv_builder_new ();
  for (guint i = 0; ids[i] != NULL; i++)
    {
      if (g_strcmp0 (ids[i], self->id) != 0)
        g_strv_builder_add (builder, ids[i]);
    }
  new_ids = g_strv_builder_end (builder);
  g_settings_set_strv (settings, "accounts", (const char * const *) new_ids);

  reset_settings (self->settings);
}

const char *
talk_account_get_id (TalkAccount *self)
{
  g_return_val_if_fail (TALK_IS_ACCOUNT (self), NULL);

  return self->id;
}

/* The normalised bare JID. */
const char *
talk_account_get_jid (TalkAccount *self)
{
  g_return_val_if_fail (TALK_IS_ACCOUNT (self), NULL);

  return self->jid;
}

/* Returns: (nullable): NULL lets the server choose */
const char *
talk_account_get_resource (TalkAccount *self)
{
  g_return_val_if_fail (TALK_IS_ACCOUNT (self), NULL);

  return self->resource;
}

/* Returns: (nullable): NULL means DNS SRV */
const char *
talk_account_get_host (TalkAccount *self)
{
  g_return_val_if_fail (TALK_IS_ACCOUNT (self), NULL);

  return self->host;
}

/* 0 means the default port */
guint16
talk_account_get_port (TalkAccount *self)
{
  g_return_val_if_fail (TALK_IS_ACCOUNT (self), 0);

  return (guint16) self->port;
}

gboolean
talk_account_get_direct_tls (TalkAccount *self)
{
  g_return_val_if_fail (TALK_IS_ACCOUNT (self), FALSE);

  return self->direct_tls;
}

/* Returns: (nullable): the SHA-256 fingerprint the user chose to trust */
const char *
talk_account_get_pinned_certificate (TalkAccount *self)
{
  g_return_val_if_fail (TALK_IS_ACCOUNT (self), NULL);

  return self->pinned_certificate;
}

gboolean
talk_account_get_enabled (TalkAccount *self)
{
  g_return_val_if_fail (TALK_IS_ACCOUNT (self), FALSE);

  return self->enabled;
}

/* @resource: (nullable): NULL or "" lets the server choose */
void
talk_account_set_resource (TalkAccount *self,
                           const char  *resource)
{
  g_return_if_fail (TALK_IS_ACCOUNT (self));

  g_object_set (self, "resource", resource, NULL);
}

/**
 * talk_account_set_host:
 * @host: (nullable): NULL or "" for DNS SRV
 * @port: 0 for the default
 *
 * Sets the three connection settings at once.
 */
void
talk_account_set_host (TalkAccount *self,
                       const char  *host,
                       guint16      port,
                       gboolean     direct_tls)
{
  g_return_if_fail (TALK_IS_ACCOUNT (self));

  g_object_set (self,
                "host", host,
                "port", (guint) port,
                "direct-tls", direct_tls,
                NULL);
}

/* @fingerprint: (nullable): NULL or "" removes the pin */
void
talk_account_set_pinned_certificate (TalkAccount *self,
                                     const char  *fingerprint)
{
  g_return_if_fail (TALK_IS_ACCOUNT (self));

  g_object_set (self, "pinned-certificate", fingerprint, NULL);
}

void
talk_account_set_enabled (TalkAccount *self,
                          gboolean     enabled)
{
  g_return_if_fail (TALK_IS_ACCOUNT (self));

  g_object_set (self, "enabled", enabled, NULL);
}

void
talk_account_get_presence (TalkAccount           *self,
                           TalkXmppPresenceShow  *show,
                           char                 **status_message)
{
  g_autofree char *name = NULL;
  g_autofree char *message = NULL;

  g_return_if_fail (TALK_IS_ACCOUNT (self));
  g_return_if_fail (show != NULL);
  g_return_if_fail (status_message != NULL);

  name = g_settings_get_string (self->settings, "presence");
  if (!talk_xmpp_presence_show_from_string (name, show) ||
      *show == TALK_XMPP_PRESENCE_SHOW_OFFLINE)
    *show = TALK_XMPP_PRESENCE_SHOW_AVAILABLE;

  message = g_settings_get_string (self->settings, "status-message");
  *status_message = *message != '\0' ? g_steal_pointer (&message) : NULL;
}

void
talk_account_set_presence (TalkAccount          *self,
                           TalkXmppPresenceShow  show,
                           const char           *status_message)
{
  g_return_if_fail (TALK_IS_ACCOUNT (self));

  g_settings_delay (self->settings);
  if (show != TALK_XMPP_PRESENCE_SHOW_OFFLINE)
    g_settings_set_string (self->settings, "presence", talk_xmpp_presence_show_to_string (show));
  g_settings_set_string (self->settings, "status-message",
                         status_message != NULL ? status_message : "");
  g_settings_apply (self->settings);
}

/**
 * talk_account_create_session:
 *
 * A disconnected session configured from the account: host, port, direct
 * TLS, pinned certificate and resource. The caller sets the password.
 *
 * Returns: (transfer full) (nullable): the session, or %NULL with @error
 *   when the stored address is no longer valid
 */
TalkXmppSession *
talk_account_create_session (TalkAccount  *self,
                             GError      **error)
{
  g_autoptr(TalkXmppJid) jid = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(TalkXmppSession) session = NULL;

  g_return_val_if_fail (TALK_IS_ACCOUNT (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  jid = talk_xmpp_jid_new (self->jid, &local_error);
  if (jid == NULL)
    {
      g_set_error (error, TALK_CORE_ERROR, TALK_CORE_ERROR_INVALID_ACCOUNT,
                   _("“%s” is not a valid address: %s"), self->jid,
                   local_error->message);
      return NULL;
    }

  session = talk_xmpp_session_new (jid);
  talk_xmpp_session_set_host (session, self->host, (guint16) self->port,
                              self->direct_tls);
  talk_xmpp_session_set_pinned_certificate (session, self->pinned_certificate);
  g_object_set (session, "resource", self->resource, NULL);

  return g_steal_pointer (&session);
}
