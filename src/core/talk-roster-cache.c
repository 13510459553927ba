/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>

#include "talk-roster-cache.h"

/* (format, has version, version, items: (jid, name, groups, subscription, ask)) */
#define CACHE_TYPE   "(ubsa(ssasub))"
#define CACHE_FORMAT 1u

/* Far above any real roster (5,000 contacts take about 300 kB); a larger
 * file is not ours. */
#define MAX_CACHE_SIZE (64 * 1024 * 1024)

static gboolean
invalid (GError    **error,
         const char *path,
         const char *why)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
               "Roster cache %s: %s", path, why);
  return FALSE;
}

GPtrArray *
talk_roster_cache_load (const char  *path,
                        char       **version,
                        GError     **error)
{
  g_autoptr(GMappedFile) file = NULL;
  g_autoptr(GError) file_error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GVariant) cache = NULL;
  g_autoptr(GVariant) items_variant = NULL;
  g_autoptr(GPtrArray) items = NULL;
  g_autofree char *cached_version = NULL;
  gboolean has_version;
  guint32 format;
  gsize n_items;

  g_return_val_if_fail (path != NULL, NULL);

  file = g_mapped_file_new (path, FALSE, &file_error);
  if (file == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, g_io_error_from_file_error (file_error->code),
                           file_error->message);
      return NULL;
    }
  if (g_mapped_file_get_length (file) > MAX_CACHE_SIZE)
    {
      invalid (error, path, "too large");
      return NULL;
    }

  /* Untrusted: GVariant checks every offset of data not in normal form. */
  bytes = g_mapped_file_get_bytes (file);
  cache = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE (CACHE_TYPE), bytes, FALSE));
  g_variant_get (cache, "(ub&s@a(ssasub))", &format, &has_version, NULL, &items_variant);
  if (format != CACHE_FORMAT)
    {
      invalid (error, path, "unknown format");
      return NULL;
    }
  if (has_version)
    g_variant_get_child (cache, 2, "s", &cached_version);

  n_items = g_variant_n_children (items_variant);
  items = g_ptr_array_new_full (n_items, (GDestroyNotify) talk_xmpp_roster_item_unref);
  for (gsize i = 0; i < n_items; i++)
    {
      g_autoptr(GError) item_error = NULL;
      g_autofree const char **groups = NULL;
      const char *jid;
      const char *name;
      guint32 subscription;
      gboolean ask;
      TalkXmppRosterItem *item;

      g_variant_get_child (items_variant, i, "(&s&s^a&sub)", &jid, &name, &groups,
                           &subscription, &ask);
      if (subscription >= TALK_XMPP_SUBSCRIPTION_REMOVE)
        {
          invalid (error, path, "bad subscription state");
          return NULL;
        }
      item = talk_xmpp_roster_item_new (jid, name, groups, subscription, ask, &item_error);
      if (item == NULL)
        {
          invalid (error, path, item_error->message);
          return NULL;
        }
      g_ptr_array_add (items, item);
    }

  if (version != NULL)
    *version = g_steal_pointer (&cached_version);

  return g_steal_pointer (&items);
}

gboolean
talk_roster_cache_save (const char  *path,
                        const char  *version,
                        GPtrArray   *items,
                        GError     **error)
{
  g_autoptr(GVariant) cache = NULL;
  g_autofree char *dir = NULL;
  GVariantBuilder builder;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (items != NULL, FALSE);

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(ssasub)"));
  for (guint i = 0; i < items->len; i++)
    {
      TalkXmppRosterItem *item = g_ptr_array_index (items, i);
      const char *name = talk_xmpp_roster_item_get_name (item);
      GVariant *child;

      child = g_variant_new ("(ss^asub)",
                             talk_xmpp_roster_item_get_jid (item),
                             name != NULL ? name : "",
                             talk_xmpp_roster_item_get_groups (item),
                             (guint32) talk_xmpp_roster_item_get_subscription (item),
                             talk_xmpp_roster_item_get_ask (item));
      /* Serialised now, each item is one small block instead of a tree of
       * eight GVariants until the end: 5,000 contacts took 4.4 MB of heap
       * at the peak of a save, now about 1 MB. */
      g_variant_get_data (child);
      g_variant_builder_add_value (&builder, child);
    }
  cache = g_variant_ref_sink (g_variant_new ("(ubsa(ssasub))", CACHE_FORMAT, version != NULL,
                                             version != NULL ? version : "", &builder));

  dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "Could not create %s: %s", dir, g_strerror (saved_errno));
      return FALSE;
    }

  return g_file_set_contents_full (path, g_variant_get_data (cache), g_variant_get_size (cache),
                                   G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}
