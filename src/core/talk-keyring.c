/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>
#include <libsecret/secret.h>

#include "talk-core-error.h"
#include "talk-keyring.h"

/*
 * Account passwords in the Secret Service (SECURITY.md §3.5): one item per
 * account JID in the default collection, never anywhere else. libsecret's
 * own errors are translated into the two conditions the UI can explain to
 * a person: there is no keyring, or it is locked.
 */

static const SecretSchema talk_keyring_schema = {
  TALK_KEYRING_SCHEMA_NAME,
  SECRET_SCHEMA_NONE,
  {
    { "jid", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { NULL, 0 },
  },
};

static gboolean
is_unavailable_error (const GError *error)
{
  if (error->domain == G_DBUS_ERROR)
    {
      switch (error->code)
        {
        case G_DBUS_ERROR_SERVICE_UNKNOWN:
        case G_DBUS_ERROR_NAME_HAS_NO_OWNER:
        case G_DBUS_ERROR_NO_SERVER:
        case G_DBUS_ERROR_DISCONNECTED:
        case G_DBUS_ERROR_SPAWN_EXEC_FAILED:
        case G_DBUS_ERROR_SPAWN_FORK_FAILED:
        case G_DBUS_ERROR_SPAWN_CHILD_EXITED:
        case G_DBUS_ERROR_SPAWN_CHILD_SIGNALED:
        case G_DBUS_ERROR_SPAWN_FAILED:
        case G_DBUS_ERROR_SPAWN_SERVICE_INVALID:
        case G_DBUS_ERROR_SPAWN_SERVICE_NOT_FOUND:
          return TRUE;
        default:
          break;
        }
    }

  /* Remote errors that GDBus could not map keep only their text. */
  if (error->message != NULL &&
      strstr (error->message, "org.freedesktop.secrets was not provided") != NULL)
    return TRUE;

  /* No session bus at all (no address, nothing listening, no X11 to
   * autolaunch one) comes back from g_bus_get() as a plain G_IO_ERROR. */
  if (error->domain == G_IO_ERROR && error->code != G_IO_ERROR_CANCELLED)
    return TRUE;

  return FALSE;
}

/* Takes @error; returns the error to report to the caller. */
static GError *
map_error (GError       *error,
           GCancellable *cancellable)
{
  GError *mapped = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      /* Our own cancellation stays a cancellation; otherwise the user
       * dismissed the unlock prompt. */
      if (cancellable != NULL && g_cancellable_is_cancelled (cancellable))
        return error;
      mapped = g_error_new_literal (TALK_CORE_ERROR,
                                    TALK_CORE_ERROR_KEYRING_LOCKED,
                                    _("The system keyring is locked"));
    }
  else if (g_error_matches (error, SECRET_ERROR, SECRET_ERROR_IS_LOCKED))
    {
      mapped = g_error_new_literal (TALK_CORE_ERROR,
                                    TALK_CORE_ERROR_KEYRING_LOCKED,
                                    _("The system keyring is locked"));
    }
  else if (is_unavailable_error (error))
    {
      mapped = g_error_new_literal (TALK_CORE_ERROR,
                                    TALK_CORE_ERROR_KEYRING_UNAVAILABLE,
                                    _("The system keyring is not available"));
    }
  else
    {
      return error;
    }

  g_debug ("Keyring: %s (%s)", mapped->message, error->message);
  g_error_free (error);
  return mapped;
}

static void
lookup_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  char *password;

  password = secret_password_lookup_finish (result, &error);
  if (error != NULL)
    {
      g_task_return_error (task, map_error (error, g_task_get_cancellable (task)));
      return;
    }

  g_task_return_pointer (task, password, (GDestroyNotify) secret_password_free);
}

/**
 * talk_keyring_lookup_password_async:
 * @jid: the account's normalised bare JID
 * @cancellable: (nullable): cancelling fails with %G_IO_ERROR_CANCELLED
 *
 * Looks the account's password up; may show the keyring's unlock prompt.
 */
void
talk_keyring_lookup_password_async (const char          *jid,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (jid != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, talk_keyring_lookup_password_async);

  secret_password_lookup (&talk_keyring_schema, cancellable, lookup_cb,
                          g_steal_pointer (&task),
                          "jid", jid,
                          NULL);
}

/**
 * talk_keyring_lookup_password_finish:
 *
 * Returns: (transfer full) (nullable): the password (free it with
 *   talk_keyring_password_free()), or %NULL without an error when none is
 *   stored, or %NULL with %TALK_CORE_ERROR_KEYRING_UNAVAILABLE or
 *   %TALK_CORE_ERROR_KEYRING_LOCKED
 */
char *
talk_keyring_lookup_password_finish (GAsyncResult  *result,
                                     GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        talk_keyring_lookup_password_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
store_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!secret_password_store_finish (result, &error))
    {
      g_task_return_error (task, map_error (error, g_task_get_cancellable (task)));
      return;
    }

  g_task_return_boolean (task, TRUE);
}

/**
 * talk_keyring_store_password_async:
 * @jid: the account's normalised bare JID
 * @password: stored in the default collection, replacing any earlier one
 * @cancellable: (nullable)
 */
void
talk_keyring_store_password_async (const char          *jid,
                                   const char          *password,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *label = NULL;

  g_return_if_fail (jid != NULL);
  g_return_if_fail (password != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, talk_keyring_store_password_async);

  /* Translators: the name of the password item in the keyring manager */
  label = g_strdup_printf (_("Talk password for %s"), jid);

  secret_password_store (&talk_keyring_schema, SECRET_COLLECTION_DEFAULT,
                         label, password, cancellable, store_cb,
                         g_steal_pointer (&task),
                         "jid", jid,
                         NULL);
}

/* Returns: %TRUE, or %FALSE with the same errors as the lookup. */
gboolean
talk_keyring_store_password_finish (GAsyncResult  *result,
                                    GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        talk_keyring_store_password_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
clear_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  /* FALSE without an error only means there was nothing to remove. */
  secret_password_clear_finish (result, &error);
  if (error != NULL)
    {
      g_task_return_error (task, map_error (error, g_task_get_cancellable (task)));
      return;
    }

  g_task_return_boolean (task, TRUE);
}

/**
 * talk_keyring_clear_password_async:
 * @jid: the account's normalised bare JID
 * @cancellable: (nullable)
 *
 * Removes the account's password; nothing stored is not an error.
 */
void
talk_keyring_clear_password_async (const char          *jid,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (jid != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, talk_keyring_clear_password_async);

  secret_password_clear (&talk_keyring_schema, cancellable, clear_cb,
                         g_steal_pointer (&task),
                         "jid", jid,
                         NULL);
}

/* Returns: %TRUE, or %FALSE with the same errors as the lookup. */
gboolean
talk_keyring_clear_password_finish (GAsyncResult  *result,
                                    GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        talk_keyring_clear_password_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* @password: (nullable) (transfer full) */
void
talk_keyring_password_free (char *password)
{
  /* secret_password_free() zeroes the memory before releasing it. */
  secret_password_free (password);
}
