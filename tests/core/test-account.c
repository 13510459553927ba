/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <gio/gio.h>

#include "talk-account.h"
#include "talk-core-error.h"

typedef struct
{
  GSettings *settings;
} Fixture;

/* Runs with GSETTINGS_BACKEND=memory: every test starts from no accounts. */
static void
remove_all_accounts (Fixture *fixture)
{
  g_autoptr(GPtrArray) accounts = talk_account_load_all ();

  for (guint i = 0; i < accounts->len; i++)
    talk_account_remove (g_ptr_array_index (accounts, i));
  g_settings_reset (fixture->settings, "accounts");
}

static void
setup (Fixture       *fixture,
       gconstpointer  data)
{
  fixture->settings = g_settings_new (APP_ID);
  remove_all_accounts (fixture);
}

static void
teardown (Fixture       *fixture,
          gconstpointer  data)
{
  remove_all_accounts (fixture);
  g_clear_object (&fixture->settings);
}

static TalkAccount *
find_account (GPtrArray  *accounts,
              const char *id)
{
  for (guint i = 0; i < accounts->len; i++)
    {
      TalkAccount *account = g_ptr_array_index (accounts, i);

      if (g_strcmp0 (talk_account_get_id (account), id) == 0)
        return account;
    }
  return NULL;
}

static void
test_create (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TalkAccount) account = NULL;
  g_autoptr(GPtrArray) accounts = NULL;
  g_auto(GStrv) ids = NULL;
  TalkAccount *loaded;
  const char *id;

  account = talk_account_create ("Alice@Example.COM", &error);
  g_assert_no_error (error);
  g_assert_nonnull (account);

  id = talk_account_get_id (account);
  g_assert_nonnull (id);
  g_assert_cmpuint (strlen (id), >=, 8);
  g_assert_cmpstr (talk_account_get_jid (account), ==, "alice@example.com");
  g_assert_null (talk_account_get_resource (account));
  g_assert_null (talk_account_get_host (account));
  g_assert_cmpuint (talk_account_get_port (account), ==, 0);
  g_assert_false (talk_account_get_direct_tls (account));
  g_assert_null (talk_account_get_pinned_certificate (account));
  g_assert_true (talk_account_get_enabled (account));

  ids = g_settings_get_strv (fixture->settings, "accounts");
  g_assert_cmpuint (g_strv_length (ids), ==, 1);
  g_assert_cmpstr (ids[0], ==, id);

  accounts = talk_account_load_all ();
  g_assert_cmpuint (accounts->len, ==, 1);
  loaded = find_account (accounts, id);
  g_assert_nonnull (loaded);
  g_assert_true (loaded != account);
  g_assert_cmpstr (talk_account_get_jid (loaded), ==, "alice@example.com");
  g_assert_null (talk_account_get_host (loaded));
  g_assert_cmpuint (talk_account_get_port (loaded), ==, 0);
  g_assert_true (talk_account_get_enabled (loaded));
}

static void
test_create_two (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TalkAccount) a = NULL;
  g_autoptr(TalkAccount) b = NULL;
  g_autoptr(GPtrArray) accounts = NULL;

  a = talk_account_create ("alice@example.com", &error);
  g_assert_no_error (error);
  b = talk_account_create ("bob@example.com", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (talk_account_get_id (a), !=, talk_account_get_id (b));

  accounts = talk_account_load_all ();
  g_assert_cmpuint (accounts->len, ==, 2);
  /* Listed in the order they were created. */
  g_assert_cmpstr (talk_account_get_jid (g_ptr_array_index (accounts, 0)), ==,
                   "alice@example.com");
  g_assert_cmpstr (talk_account_get_jid (g_ptr_array_index (accounts, 1)), ==,
                   "bob@example.com");
}

static void
test_resource_from_jid (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TalkAccount) account = NULL;

  account = talk_account_create ("carol@example.com/Laptop", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (talk_account_get_jid (account), ==, "carol@example.com");
  g_assert_cmpstr (talk_account_get_resource (account), ==, "Laptop");
}

static void
test_duplicate (Fixture       *fixture,
                gconstpointer  data)
{
  const char *same[] = {
    "alice@example.com",
    "ALICE@example.com",
    "alice@EXAMPLE.com",
    "alice@example.com/Phone",
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(TalkAccount) account = NULL;
  g_autoptr(GPtrArray) accounts = NULL;

  account = talk_account_create ("Alice@example.com", &error);
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (same); i++)
    {
      g_autoptr(TalkAccount) dup = NULL;

      dup = talk_account_create (same[i], &error);
      g_assert_error (error, TALK_CORE_ERROR, TALK_CORE_ERROR_INVALID_ACCOUNT);
      g_assert_null (dup);
      g_clear_error (&error);
    }

  accounts = talk_account_load_all ();
  g_assert_cmpuint (accounts->len, ==, 1);
}

static void
test_invalid (Fixture       *fixture,
              gconstpointer  data)
{
  const char *invalid[] = {
    "",
    "example.com",            /* no user name */
    "@example.com",
    "alice@",
    "alice@exa mple.com",
    "alice@example.com/",
  };
  g_autoptr(GPtrArray) accounts = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (invalid); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(TalkAccount) account = NULL;

      account = talk_account_create (invalid[i], &error);
      g_assert_error (error, TALK_CORE_ERROR, TALK_CORE_ERROR_INVALID_ACCOUNT);
      g_assert_null (account);
    }

  accounts = talk_account_load_all ();
  g_assert_cmpuint (accounts->len, ==, 0);
}

static void
count_notify_cb (GObject    *object,
                 GParamSpec *pspec,
                 gpointer    user_data)
{
  guint *count = user_data;

  (*count)++;
}

static void
test_setters_persist (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TalkAccount) account = NULL;
  g_autoptr(GPtrArray) accounts = NULL;
  TalkAccount *loaded;
  guint host_notifies = 0;

  account = talk_account_create ("alice@example.com", &error);
  g_assert_no_error (error);

  g_signal_connect (account, "notify::host",
                    G_CALLBACK (count_notify_cb), &host_notifies);

  talk_account_set_resource (account, "Desk");
  talk_account_set_host (account, "xmpp.example.net", 5223, TRUE);
  talk_account_set_pinned_certificate (account, "AB:CD:EF");
  talk_account_set_enabled (account, FALSE);

  g_assert_cmpuint (host_notifies, ==, 1);
  /* Setting the same value again is not a change. */
  talk_account_set_host (account, "xmpp.example.net", 5223, TRUE);
  g_assert_cmpuint (host_notifies, ==, 1);

  g_assert_cmpstr (talk_account_get_resource (account), ==, "Desk");
  g_assert_cmpstr (talk_account_get_host (account), ==, "xmpp.example.net");
  g_assert_cmpuint (talk_account_get_port (account), ==, 5223);
  g_assert_true (talk_account_get_direct_tls (account));
  g_assert_cmpstr (talk_account_get_pinned_certificate (account), ==, "AB:CD:EF");
  g_assert_false (talk_account_get_enabled (account));

  accounts = talk_account_load_all ();
  loaded = find_account (accounts, talk_account_get_id (account));
  g_assert_nonnull (loaded);
  g_assert_cmpstr (talk_account_get_resource (loaded), ==, "Desk");
  g_assert_cmpstr (talk_account_get_host (loaded), ==, "xmpp.example.net");
  g_assert_cmpuint (talk_account_get_port (loaded), ==, 5223);
  g_assert_true (talk_account_get_direct_tls (loaded));
  g_assert_cmpstr (talk_account_get_pinned_certificate (loaded), ==, "AB:CD:EF");
  g_assert_false (talk_account_get_enabled (loaded));

  /* Clearing goes back to "automatic", and other instances follow. */
  talk_account_set_host (account, NULL, 0, FALSE);
  talk_account_set_pinned_certificate (account, NULL);
  talk_account_set_resource (account, "");
  g_assert_null (talk_account_get_host (loaded));
  g_assert_cmpuint (talk_account_get_port (loaded), ==, 0);
  g_assert_false (talk_account_get_direct_tls (loaded));
  g_assert_null (talk_account_get_pinned_certificate (loaded));
  g_assert_null (talk_account_get_resource (loaded));

  /* The presence: a new account starts available, without a message;
   * offline keeps the choice before it. */
  {
    TalkXmppPresenceShow show;
    g_autofree char *message = NULL;

    talk_account_get_presence (loaded, &show, &message);
    g_assert_cmpint (show, ==, TALK_XMPP_PRESENCE_SHOW_AVAILABLE);
    g_assert_null (message);

    talk_account_set_presence (account, TALK_XMPP_PRESENCE_SHOW_XA, "Gone fishing");
    talk_account_get_presence (loaded, &show, &message);
    g_assert_cmpint (show, ==, TALK_XMPP_PRESENCE_SHOW_XA);
    g_assert_cmpstr (message, ==, "Gone fishing");
    g_clear_pointer (&message, g_free);

    talk_account_set_presence (account, TALK_XMPP_PRESENCE_SHOW_OFFLINE, NULL);
    talk_account_get_presence (loaded, &show, &message);
    g_assert_cmpint (show, ==, TALK_XMPP_PRESENCE_SHOW_XA);
    g_assert_null (message);
  }
}

static void
test_remove (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TalkAccount) a = NULL;
  g_autoptr(TalkAccount) b = NULL;
  g_autoptr(TalkAccount) again = NULL;
  g_autoptr(GPtrArray) accounts = NULL;

  a = talk_account_create ("alice@example.com", &error);
  g_assert_no_error (error);
  b = talk_account_create ("bob@example.com", &error);
  g_assert_no_error (error);
  talk_account_set_host (a, "xmpp.example.net", 5222, FALSE);

  talk_account_remove (a);

  accounts = talk_account_load_all ();
  g_assert_cmpuint (accounts->len, ==, 1);
  g_assert_cmpstr (talk_account_get_id (g_ptr_array_index (accounts, 0)), ==,
                   talk_account_get_id (b));
  /* Its settings are reset, not left behind. */
  g_assert_null (talk_account_get_host (a));

  /* The address is free again. */
  again = talk_account_create ("alice@example.com", &error);
  g_assert_no_error (error);
  g_assert_null (talk_account_get_host (again));
}

static void
test_create_session (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TalkAccount) account = NULL;
  g_autoptr(TalkXmppSession) session = NULL;
  g_autofree char *host = NULL;
  g_autofree char *resource = NULL;
  g_autofree char *pin = NULL;
  gboolean direct_tls = FALSE;
  GValue port = G_VALUE_INIT;
  TalkXmppJid *jid;

  account = talk_account_create ("alice@example.com", &error);
  g_assert_no_error (error);
  talk_account_set_host (account, "127.0.0.1", 15223, TRUE);
  talk_account_set_pinned_certificate (account, "01:23:45:67");
  talk_account_set_resource (account, "Probe");

  session = talk_account_create_session (account, &error);
  g_assert_no_error (error);
  g_assert_true (TALK_XMPP_IS_SESSION (session));

  jid = talk_xmpp_session_get_jid (session);
  g_assert_cmpstr (talk_xmpp_jid_to_string (jid), ==, "alice@example.com");
  g_assert_cmpint (talk_xmpp_session_get_state (session), ==,
                   TALK_XMPP_SESSION_STATE_DISCONNECTED);

  g_value_init (&port, G_TYPE_UINT);
  g_object_get_property (G_OBJECT (session), "port", &port);
  g_object_get (session,
                "host", &host,
                "direct-tls", &direct_tls,
                "pinned-certificate", &pin,
                "resource", &resource,
                NULL);
  g_assert_cmpstr (host, ==, "127.0.0.1");
  g_assert_cmpuint (g_value_get_uint (&port), ==, 15223);
  g_assert_true (direct_tls);
  g_assert_cmpstr (pin, ==, "01:23:45:67");
  g_assert_cmpstr (resource, ==, "Probe");
  g_value_unset (&port);
}

static void
test_create_session_defaults (Fixture       *fixture,
                              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TalkAccount) account = NULL;
  g_autoptr(TalkXmppSession) session = NULL;
  g_autofree char *host = NULL;
  g_autofree char *pin = NULL;

  account = talk_account_create ("bob@example.com", &error);
  g_assert_no_error (error);

  session = talk_account_create_session (account, &error);
  g_assert_no_error (error);
  g_object_get (session, "host", &host, "pinned-certificate", &pin, NULL);
  /* No host: the session looks up SRV records; no pin: only valid certs. */
  g_assert_true (host == NULL || *host == '\0');
  g_assert_true (pin == NULL || *pin == '\0');
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/talk/core/account/" path, Fixture, NULL, setup, func, teardown)

  ADD ("create", test_create);
  ADD ("create-two", test_create_two);
  ADD ("resource-from-jid", test_resource_from_jid);
  ADD ("duplicate", test_duplicate);
  ADD ("invalid", test_invalid);
  ADD ("setters-persist", test_setters_persist);
  ADD ("remove", test_remove);
  ADD ("create-session", test_create_session);
  ADD ("create-session-defaults", test_create_session_defaults);

#undef ADD

  return g_test_run ();
}
