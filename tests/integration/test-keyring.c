/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <libsecret/secret.h>

#include "talk-core-error.h"
#include "talk-keyring.h"

/*
 * Runs against the real Secret Service of the session (gnome-keyring,
 * unlocked by tests/session-env.sh), except the "unavailable" cases, which
 * run in a subprocess on a private bus where nobody owns
 * org.freedesktop.secrets.
 */

typedef struct
{
  GAsyncResult *result;
} Wait;

static void
wait_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Wait *wait = user_data;

  wait->result = g_object_ref (result);
}

static GAsyncResult *
wait_for_result (Wait *wait)
{
  while (wait->result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return wait->result;
}

static char *
lookup (const char  *jid,
        GError     **error)
{
  Wait wait = { NULL };
  g_autoptr(GAsyncResult) result = NULL;

  talk_keyring_lookup_password_async (jid, NULL, wait_cb, &wait);
  result = wait_for_result (&wait);
  return talk_keyring_lookup_password_finish (result, error);
}

static gboolean
store (const char  *jid,
       const char  *password,
       GError     **error)
{
  Wait wait = { NULL };
  g_autoptr(GAsyncResult) result = NULL;

  talk_keyring_store_password_async (jid, password, NULL, wait_cb, &wait);
  result = wait_for_result (&wait);
  return talk_keyring_store_password_finish (result, error);
}

static gboolean
clear (const char  *jid,
       GError     **error)
{
  Wait wait = { NULL };
  g_autoptr(GAsyncResult) result = NULL;

  talk_keyring_clear_password_async (jid, NULL, wait_cb, &wait);
  result = wait_for_result (&wait);
  return talk_keyring_clear_password_finish (result, error);
}

/* A JID of our own per run, so a real keyring's items are never touched. */
static char *
make_jid (const char *user)
{
  return g_strdup_printf ("%s-%08x@keyring.test", user, g_random_int ());
}

static void
test_store_lookup (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *jid = make_jid ("alice");
  char *password;

  g_assert_true (store (jid, "correct horse battery staple", &error));
  g_assert_no_error (error);

  password = lookup (jid, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (password, ==, "correct horse battery staple");
  talk_keyring_password_free (password);

  /* Storing again replaces the item rather than adding a second one. */
  g_assert_true (store (jid, "new secret", &error));
  g_assert_no_error (error);
  password = lookup (jid, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (password, ==, "new secret");
  talk_keyring_password_free (password);

  g_assert_true (clear (jid, &error));
  g_assert_no_error (error);
}

static void
test_lookup_other (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *jid = make_jid ("alice");
  g_autofree char *other = make_jid ("bob");
  char *password;

  g_assert_true (store (jid, "alice-secret", &error));
  g_assert_no_error (error);

  password = lookup (other, &error);
  g_assert_no_error (error);
  g_assert_null (password);

  g_assert_true (clear (jid, &error));
  g_assert_no_error (error);
}

static void
test_clear (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *jid = make_jid ("alice");
  g_autofree char *other = make_jid ("bob");
  char *password;

  g_assert_true (store (jid, "alice-secret", &error));
  g_assert_no_error (error);
  g_assert_true (store (other, "bob-secret", &error));
  g_assert_no_error (error);

  g_assert_true (clear (jid, &error));
  g_assert_no_error (error);

  password = lookup (jid, &error);
  g_assert_no_error (error);
  g_assert_null (password);

  /* Only that account's item went. */
  password = lookup (other, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (password, ==, "bob-secret");
  talk_keyring_password_free (password);

  /* Clearing what is not there is not an error. */
  g_assert_true (clear (jid, &error));
  g_assert_no_error (error);

  g_assert_true (clear (other, &error));
  g_assert_no_error (error);
}

static void
test_non_ascii (void)
{
  const char *secret = "pässwörd ✓ 密码 🔑";
  g_autoptr(GError) error = NULL;
  g_autofree char *jid = make_jid ("zoë");
  char *password;

  g_assert_true (store (jid, secret, &error));
  g_assert_no_error (error);

  password = lookup (jid, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (password, ==, secret);
  talk_keyring_password_free (password);

  g_assert_true (clear (jid, &error));
  g_assert_no_error (error);
}

static void
test_cancelled (void)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autofree char *jid = make_jid ("alice");
  Wait wait = { NULL };
  char *password;

  /* Our own cancellation must stay a cancellation, not "locked". */
  g_cancellable_cancel (cancellable);
  talk_keyring_lookup_password_async (jid, cancellable, wait_cb, &wait);
  result = wait_for_result (&wait);
  password = talk_keyring_lookup_password_finish (result, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (password);
}

static void
assert_unavailable (void)
{
  g_autoptr(GError) error = NULL;
  char *password;

  password = lookup ("alice@keyring.test", &error);
  g_assert_error (error, TALK_CORE_ERROR, TALK_CORE_ERROR_KEYRING_UNAVAILABLE);
  g_assert_cmpstr (error->message, ==, "The system keyring is not available");
  g_assert_null (password);
  g_clear_error (&error);

  g_assert_false (store ("alice@keyring.test", "secret", &error));
  g_assert_error (error, TALK_CORE_ERROR, TALK_CORE_ERROR_KEYRING_UNAVAILABLE);
}

static void
test_unavailable (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(GTestDBus) bus = g_test_dbus_new (G_TEST_DBUS_NONE);

      /* A private bus with no service files: nobody can provide
       * org.freedesktop.secrets. */
      g_test_dbus_up (bus);
      assert_unavailable ();

      /* libsecret keeps the service proxy (and so the connection) alive;
       * g_test_dbus_down() waits for the connection to go. */
      secret_service_disconnect ();
      g_test_dbus_down (bus);
      return;
    }

  g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

static void
test_no_session_bus (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(GTestDBus) bus = NULL;
      g_autofree char *dir = g_dir_make_tmp ("talk-keyring-XXXXXX", NULL);
      g_autofree char *address = NULL;

      g_assert_nonnull (dir);
      /* Clears DISPLAY and the bus variables so nothing is autolaunched. */
      g_test_dbus_unset ();
      address = g_strdup_printf ("unix:path=%s/no-bus-here", dir);
      g_setenv ("DBUS_SESSION_BUS_ADDRESS", address, TRUE);

      assert_unavailable ();

      g_rmdir (dir);
      return;
    }

  g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/talk/integration/keyring/store-lookup", test_store_lookup);
  g_test_add_func ("/talk/integration/keyring/lookup-other", test_lookup_other);
  g_test_add_func ("/talk/integration/keyring/clear", test_clear);
  g_test_add_func ("/talk/integration/keyring/non-ascii", test_non_ascii);
  g_test_add_func ("/talk/integration/keyring/cancelled", test_cancelled);
  g_test_add_func ("/talk/integration/keyring/unavailable", test_unavailable);
  g_test_add_func ("/talk/integration/keyring/no-session-bus", test_no_session_bus);

  return g_test_run ();
}
