/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The contact list model of one account.
 *
 *   session "online" ──► fetch (with the version held) ──► replace all rows
 *                                                     └──► unchanged: keep
 *   roster push ──► one row added / changed / removed
 *   presence ──► that row, or the unlisted table when not in the roster
 *   session "disconnected" ──► every resource offline
 *   cache file (optional) ──► the rows and version of the last run, until
 *                             the first fetch says what changed
 *
 * Rows live in a GPtrArray of Entry; a hash table maps each bare JID to its
 * Entry, whose position is kept in sync, so that a push or a presence
 * finds its row in O(1). Only a removal shifts the positions after it.
 */

#include "config.h"

#include <string.h>

#include "talk-roster.h"
#include "talk-roster-cache.h"

/* SECURITY.md §1.6: presence from outside the roster is bounded. */
#define MAX_UNLISTED 4096

/* A burst of pushes is written once. */
#define CACHE_SAVE_DELAY_SECONDS 2

typedef struct
{
  TalkContact *contact;
  TalkXmppRosterItem *item;   /* as last received, for the cache */
  guint position;
} Entry;

struct _TalkRoster
{
  GObject parent_instance;

  TalkXmppRoster *roster;
  TalkXmppPresence *presence;
  TalkXmppSession *session;

  GPtrArray *entries;    /* Entry*, owned, in row order */
  GHashTable *index;     /* jid (owned by the contact) → Entry* */
  GHashTable *unlisted;  /* jid (owned by the contact) → TalkContact*, owned */

  char *version;
  gboolean loaded;
  char *cache_path;
  guint cache_save_id;
  GCancellable *fetch_cancellable;

  gulong item_updated_id;
  gulong item_removed_id;
  gulong version_changed_id;
  gulong presence_changed_id;
  gulong presence_error_id;
  gulong online_id;
  gulong disconnected_id;
  gulong resumed_id;
  gboolean presence_stale;
};

enum
{
  PROP_0,
  PROP_ROSTER,
  PROP_PRESENCE,
  PROP_VERSION,
  PROP_LOADED,
  PROP_N_ITEMS,
  PROP_ITEM_TYPE,
  PROP_CACHE_PATH,
  PROP_FETCHING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void talk_roster_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TalkRoster, talk_roster, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL,
                                                      talk_roster_list_model_init))

static void
entry_free (gpointer data)
{
  Entry *entry = data;

  g_object_unref (entry->contact);
  g_clear_pointer (&entry->item, talk_xmpp_roster_item_unref);
  g_free (entry);
}

/* GListModel */

static GType
talk_roster_get_item_type (GListModel *model)
{
  return TALK_TYPE_CONTACT;
}

static guint
talk_roster_get_n_items (GListModel *model)
{
  return TALK_ROSTER (model)->entries->len;
}

static gpointer
talk_roster_get_item (GListModel *model,
                      guint       position)
{
  TalkRoster *self = TALK_ROSTER (model);
  Entry *entry;

  if (position >= self->entries->len)
    return NULL;

  entry = g_ptr_array_index (self->entries, position);
  return g_object_ref (entry->contact);
}

static void
talk_roster_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = talk_roster_get_item_type;
  iface->get_n_items = talk_roster_get_n_items;
  iface->get_item = talk_roster_get_item;
}

static void
roster_items_changed (TalkRoster *self,
                      guint       position,
                      guint       removed,
                      guint       added)
{
  g_list_model_items_changed (G_LIST_MODEL (self), position, removed, added);
  if (removed != added)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}

/* State */

static void
roster_set_version (TalkRoster *self,
                    const char *version)
{
  if (g_strcmp0 (self->version, version) == 0)
    return;

  g_free (self->version);
  self->version = g_strdup (version);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VERSION]);
}

static void
roster_set_loaded (TalkRoster *self)
{
  if (self->loaded)
    return;

  self->loaded = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADED]);
}

/* Takes the contact of @jid out of the unlisted table, or makes one. */
static TalkContact *
roster_take_contact (TalkRoster *self,
                     const char *jid)
{
  gpointer key;
  gpointer contact;

  if (g_hash_table_steal_extended (self->unlisted, jid, &key, &contact))
    return contact;

  return talk_contact_new (jid);
}

/* A contact that left the roster stays known while it is online. */
static void
roster_unlist_contact (TalkRoster  *self,
                       TalkContact *contact)
{
  talk_contact_set_item (contact, NULL);
  if (talk_contact_get_n_resources (contact) > 0 &&
      g_hash_table_size (self->unlisted) < MAX_UNLISTED)
    g_hash_table_insert (self->unlisted, (gpointer) talk_contact_get_jid (contact),
                         g_object_ref (contact));
}

static void
roster_replace_all (TalkRoster *self,
                    GPtrArray  *items)
{
  g_autoptr(GPtrArray) old_entries = self->entries;
  g_autoptr(GHashTable) old_index = self->index;
  guint n_removed = old_entries->len;
  GHashTableIter iter;
  Entry *entry;

  self->entries = g_ptr_array_new_full (items->len, entry_free);
  self->index = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < items->len; i++)
    {
      TalkXmppRosterItem *item = g_ptr_array_index (items, i);
      const char *jid = talk_xmpp_roster_item_get_jid (item);
      Entry *old;

      /* The same contact object stays, so that views bound to it stay. */
      entry = g_new0 (Entry, 1);
      old = g_hash_table_lookup (old_index, jid);
      if (old != NULL)
        {
          entry->contact = g_object_ref (old->contact);
          g_hash_table_remove (old_index, jid);
        }
      else
        {
          entry->contact = roster_take_contact (self, jid);
        }

      talk_contact_set_item (entry->contact, item);
      entry->item = talk_xmpp_roster_item_ref (item);
      entry->position = self->entries->len;
      g_ptr_array_add (self->entries, entry);
      g_hash_table_insert (self->index, (gpointer) talk_contact_get_jid (entry->contact), entry);
    }

  g_hash_table_iter_init (&iter, old_index);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &entry))
    roster_unlist_contact (self, entry->contact);

  if (n_removed > 0 || self->entries->len > 0)
    roster_items_changed (self, 0, n_removed, self->entries->len);
}

static void
roster_append (TalkRoster         *self,
               TalkXmppRosterItem *item)
{
  Entry *entry = g_new0 (Entry, 1);

  entry->contact = roster_take_contact (self, talk_xmpp_roster_item_get_jid (item));
  talk_contact_set_item (entry->contact, item);
  entry->item = talk_xmpp_roster_item_ref (item);
  entry->position = self->entries->len;
  g_ptr_array_add (self->entries, entry);
  g_hash_table_insert (self->index, (gpointer) talk_contact_get_jid (entry->contact), entry);

  roster_items_changed (self, entry->position, 0, 1);
}

static void
roster_remove (TalkRoster *self,
               Entry      *entry)
{
  g_autoptr(TalkContact) contact = g_object_ref (entry->contact);
  guint position = entry->position;

  g_hash_table_remove (self->index, talk_contact_get_jid (contact));
  g_ptr_array_remove_index (self->entries, position);
  for (guint i = position; i < self->entries->len; i++)
    ((Entry *) g_ptr_array_index (self->entries, i))->position = i;

  roster_unlist_contact (self, contact);
  roster_items_changed (self, position, 1, 0);
}

/* The cache */

static void
roster_save_cache (TalkRoster *self)
{
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(GError) error = NULL;

  g_clear_handle_id (&self->cache_save_id, g_source_remove);
  if (self->cache_path == NULL || !self->loaded)
    return;

  items = g_ptr_array_sized_new (self->entries->len);
  for (guint i = 0; i < self->entries->len; i++)
    g_ptr_array_add (items, ((Entry *) g_ptr_array_index (self->entries, i))->item);

  if (!talk_roster_cache_save (self->cache_path, self->version, items, &error))
    g_warning ("Could not keep the contact list for the next start: %s", error->message);
}

static gboolean
cache_save_cb (gpointer user_data)
{
  TalkRoster *self = user_data;

  self->cache_save_id = 0;
  roster_save_cache (self);

  return G_SOURCE_REMOVE;
}

/* Only what the server confirmed is written: never a list that a fetch
 * has not yet brought up to date. */
static void
roster_schedule_cache_save (TalkRoster *self)
{
  if (self->cache_path == NULL || !self->loaded || self->cache_save_id != 0)
    return;

  self->cache_save_id = g_timeout_add_seconds (CACHE_SAVE_DELAY_SECONDS, cache_save_cb, self);
}

static void
roster_load_cache (TalkRoster *self)
{
  g_autoptr(GPtrArray) items = NULL;
  g_autofree char *version = NULL;
  g_autoptr(GError) error = NULL;

  items = talk_roster_cache_load (self->cache_path, &version, &error);
  if (items == NULL)
    {
      /* Fetched whole instead. */
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        g_warning ("%s", error->message);
      return;
    }

  roster_replace_all (self, items);
  roster_set_version (self, version);
}

/* Fetching */

static void
roster_notify_fetching (TalkRoster *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FETCHING]);
}

static void
roster_fetch_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  TalkRoster *self;
  g_autoptr(GPtrArray) items = NULL;
  g_autofree char *version = NULL;
  g_autoptr(GError) error = NULL;

  if (!talk_xmpp_roster_fetch_finish (TALK_XMPP_ROSTER (source), result, &items, &version,
                                      &error))
    {
      /* Cancelled: @user_data may be gone, and whoever cancelled said so. */
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      g_debug ("Fetching the roster failed: %s", error->message);
      self = TALK_ROSTER (user_data);
      g_clear_object (&self->fetch_cancellable);
      roster_notify_fetching (self);
      return;
    }

  self = TALK_ROSTER (user_data);
  g_clear_object (&self->fetch_cancellable);

  /* RFC 6121 §2.6.3: NULL means the list held is current. */
  if (items != NULL)
    roster_replace_all (self, items);
  roster_set_version (self, version);
  roster_set_loaded (self);
  roster_schedule_cache_save (self);
  roster_notify_fetching (self);
}

void
talk_roster_refresh (TalkRoster *self)
{
  g_return_if_fail (TALK_IS_ROSTER (self));

  if (talk_xmpp_session_get_state (self->session) != TALK_XMPP_SESSION_STATE_ONLINE)
    return;

  g_cancellable_cancel (self->fetch_cancellable);
  g_clear_object (&self->fetch_cancellable);
  self->fetch_cancellable = g_cancellable_new ();
  roster_notify_fetching (self);

  talk_xmpp_roster_fetch_async (self->roster, self->version, self->fetch_cancellable,
                                roster_fetch_cb, self);
}

/* Signal handlers */

static void
item_updated_cb (TalkXmppRoster     *roster,
                 TalkXmppRosterItem *item,
                 TalkRoster         *self)
{
  Entry *entry = g_hash_table_lookup (self->index, talk_xmpp_roster_item_get_jid (item));

  if (entry == NULL)
    {
      roster_append (self, item);
    }
  else
    {
      talk_xmpp_roster_item_unref (entry->item);
      entry->item = talk_xmpp_roster_item_ref (item);
      if (talk_contact_set_item (entry->contact, item))
        roster_items_changed (self, entry->position, 1, 1);
    }
  roster_schedule_cache_save (self);
}

static void
item_removed_cb (TalkXmppRoster *roster,
                 const char     *jid,
                 TalkRoster     *self)
{
  Entry *entry = g_hash_table_lookup (self->index, jid);

  if (entry != NULL)
    roster_remove (self, entry);
  roster_schedule_cache_save (self);
}

static void
version_changed_cb (TalkXmppRoster *roster,
                    const char     *version,
                    TalkRoster     *self)
{
  roster_set_version (self, version);
  roster_schedule_cache_save (self);
}

static void
roster_update_unlisted (TalkRoster           *self,
                        const char           *bare,
                        const char           *resource,
                        TalkXmppPresenceShow  show,
                        const char           *status,
                        int                   priority)
{
  TalkContact *contact = g_hash_table_lookup (self->unlisted, bare);

  if (contact == NULL)
    {
      if (show == TALK_XMPP_PRESENCE_SHOW_OFFLINE)
        return;
      if (g_hash_table_size (self->unlisted) >= MAX_UNLISTED)
        {
          g_debug ("Ignoring presence of %s: too many outside the roster", bare);
          return;
        }
      contact = talk_contact_new (bare);
      g_hash_table_insert (self->unlisted, (gpointer) talk_contact_get_jid (contact), contact);
    }

  talk_contact_set_presence (contact, resource, show, status, priority);
  if (talk_contact_get_n_resources (contact) == 0)
    g_hash_table_remove (self->unlisted, bare);
}

static void
presence_changed_cb (TalkXmppPresence     *presence,
                     const char           *jid,
                     TalkXmppPresenceShow  show,
                     const char           *status,
                     int                   priority,
                     TalkRoster           *self)
{
  /* @jid is normalised: the first '/' starts the resource (RFC 7622 §3.1). */
  const char *slash = strchr (jid, '/');
  g_autofree char *bare = g_strndup (jid, slash != NULL ? (gsize) (slash - jid) : strlen (jid));
  const char *resource = slash != NULL ? slash + 1 : NULL;
  Entry *entry = g_hash_table_lookup (self->index, bare);

  if (entry == NULL)
    roster_update_unlisted (self, bare, resource, show, status, priority);
  else if (talk_contact_set_presence (entry->contact, resource, show, status, priority))
    roster_items_changed (self, entry->position, 1, 1);
}

static void
presence_error_cb (TalkXmppPresence *presence,
                   const char       *jid,
                   const GError     *error,
                   TalkRoster       *self)
{
  const char *slash = strchr (jid, '/');
  g_autofree char *bare = g_strndup (jid, slash != NULL ? (gsize) (slash - jid) : strlen (jid));
  Entry *entry = g_hash_table_lookup (self->index, bare);

  /* The contact cannot be reached: show it offline rather than stale. */
  if (entry != NULL && talk_contact_clear_presence (entry->contact))
    roster_items_changed (self, entry->position, 1, 1);
  g_hash_table_remove (self->unlisted, bare);
}

static void
clear_all_presence (TalkRoster *self)
{
  guint first = G_MAXUINT;
  guint last = 0;

  g_hash_table_remove_all (self->unlisted);

  for (guint i = 0; i < self->entries->len; i++)
    {
      Entry *entry = g_ptr_array_index (self->entries, i);

      if (talk_contact_clear_presence (entry->contact))
        {
          first = MIN (first, i);
          last = i;
        }
    }

  /* One signal over the span, not one per contact. */
  if (first != G_MAXUINT)
    roster_items_changed (self, first, last - first + 1, last - first + 1);
}

static void
session_online_cb (TalkXmppSession *session,
                   TalkRoster      *self)
{
  /* A fresh session: the server sends everyone's presence again. */
  if (self->presence_stale)
    {
      self->presence_stale = FALSE;
      clear_all_presence (self);
    }
  talk_roster_refresh (self);
}

static void
session_resumed_cb (TalkXmppSession *session,
                    TalkRoster      *self)
{
  self->presence_stale = FALSE;
}


static void
session_disconnected_cb (TalkXmppSession *session,
                         const GError    *error,
                         TalkRoster      *self)
{
  gboolean was_fetching = self->fetch_cancellable != NULL;

  g_cancellable_cancel (self->fetch_cancellable);
  g_clear_object (&self->fetch_cancellable);
  if (was_fetching)
    roster_notify_fetching (self);

  /* A resumed stream management session gets no presence again (XEP-0198
   * §5): keep what we know until it is resumed, or cleared on "online". */
  if (error != NULL && talk_xmpp_session_get_sm_suspended (session))
    {
      self->presence_stale = TRUE;
      return;
    }
  clear_all_presence (self);
}

/* Public API */

TalkRoster *
talk_roster_new (TalkXmppRoster   *roster,
                 TalkXmppPresence *presence)
{
  g_return_val_if_fail (TALK_XMPP_IS_ROSTER (roster), NULL);
  g_return_val_if_fail (TALK_XMPP_IS_PRESENCE (presence), NULL);
  g_return_val_if_fail (talk_xmpp_roster_get_session (roster) ==
                        talk_xmpp_presence_get_session (presence), NULL);

  return g_object_new (TALK_TYPE_ROSTER, "roster", roster, "presence", presence, NULL);
}

TalkRoster *
talk_roster_new_cached (TalkXmppRoster   *roster,
                        TalkXmppPresence *presence,
                        const char       *cache_path)
{
  g_return_val_if_fail (TALK_XMPP_IS_ROSTER (roster), NULL);
  g_return_val_if_fail (TALK_XMPP_IS_PRESENCE (presence), NULL);
  g_return_val_if_fail (talk_xmpp_roster_get_session (roster) ==
                        talk_xmpp_presence_get_session (presence), NULL);

  return g_object_new (TALK_TYPE_ROSTER, "roster", roster, "presence", presence,
                       "cache-path", cache_path, NULL);
}

const char *
talk_roster_get_version (TalkRoster *self)
{
  g_return_val_if_fail (TALK_IS_ROSTER (self), NULL);

  return self->version;
}

gboolean
talk_roster_get_fetching (TalkRoster *self)
{
  g_return_val_if_fail (TALK_IS_ROSTER (self), FALSE);

  return self->fetch_cancellable != NULL;
}

gboolean
talk_roster_get_loaded (TalkRoster *self)
{
  g_return_val_if_fail (TALK_IS_ROSTER (self), FALSE);

  return self->loaded;
}

TalkContact *
talk_roster_lookup (TalkRoster *self,
                    const char *jid)
{
  Entry *entry;

  g_return_val_if_fail (TALK_IS_ROSTER (self), NULL);
  g_return_val_if_fail (jid != NULL, NULL);

  entry = g_hash_table_lookup (self->index, jid);
  return entry != NULL ? entry->contact : NULL;
}

gboolean
talk_roster_lookup_position (TalkRoster *self,
                             const char *jid,
                             guint      *position)
{
  Entry *entry;

  g_return_val_if_fail (TALK_IS_ROSTER (self), FALSE);
  g_return_val_if_fail (jid != NULL, FALSE);

  entry = g_hash_table_lookup (self->index, jid);
  if (entry == NULL)
    return FALSE;

  if (position != NULL)
    *position = entry->position;
  return TRUE;
}

TalkContact *
talk_roster_lookup_unlisted (TalkRoster *self,
                             const char *jid)
{
  g_return_val_if_fail (TALK_IS_ROSTER (self), NULL);
  g_return_val_if_fail (jid != NULL, NULL);

  return g_hash_table_lookup (self->unlisted, jid);
}

/* GObject */

static void
talk_roster_constructed (GObject *object)
{
  TalkRoster *self = TALK_ROSTER (object);

  G_OBJECT_CLASS (talk_roster_parent_class)->constructed (object);

  self->session = g_object_ref (talk_xmpp_roster_get_session (self->roster));
  if (self->cache_path != NULL)
    roster_load_cache (self);

  self->item_updated_id = g_signal_connect (self->roster, "item-updated",
                                            G_CALLBACK (item_updated_cb), self);
  self->item_removed_id = g_signal_connect (self->roster, "item-removed",
                                            G_CALLBACK (item_removed_cb), self);
  self->version_changed_id = g_signal_connect (self->roster, "version-changed",
                                               G_CALLBACK (version_changed_cb), self);
  self->presence_changed_id = g_signal_connect (self->presence, "presence-changed",
                                                G_CALLBACK (presence_changed_cb), self);
  self->presence_error_id = g_signal_connect (self->presence, "presence-error",
                                              G_CALLBACK (presence_error_cb), self);
  self->online_id = g_signal_connect (self->session, "online",
                                      G_CALLBACK (session_online_cb), self);
  self->disconnected_id = g_signal_connect (self->session, "disconnected",
                                            G_CALLBACK (session_disconnected_cb), self);
  self->resumed_id = g_signal_connect (self->session, "resumed",
                                       G_CALLBACK (session_resumed_cb), self);

  talk_roster_refresh (self);
}

static void
talk_roster_dispose (GObject *object)
{
  TalkRoster *self = TALK_ROSTER (object);

  g_cancellable_cancel (self->fetch_cancellable);
  g_clear_object (&self->fetch_cancellable);
  /* What a burst of pushes changed is not lost at quit. */
  if (self->cache_save_id != 0)
    roster_save_cache (self);

  if (self->roster != NULL)
    {
      g_clear_signal_handler (&self->item_updated_id, self->roster);
      g_clear_signal_handler (&self->item_removed_id, self->roster);
      g_clear_signal_handler (&self->version_changed_id, self->roster);
    }
  if (self->presence != NULL)
    {
      g_clear_signal_handler (&self->presence_changed_id, self->presence);
      g_clear_signal_handler (&self->presence_error_id, self->presence);
    }
  if (self->session != NULL)
    {
      g_clear_signal_handler (&self->online_id, self->session);
      g_clear_signal_handler (&self->disconnected_id, self->session);
      g_clear_signal_handler (&self->resumed_id, self->session);
    }

  g_clear_object (&self->roster);
  g_clear_object (&self->presence);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (talk_roster_parent_class)->dispose (object);
}

static void
talk_roster_finalize (GObject *object)
{
  TalkRoster *self = TALK_ROSTER (object);

  g_hash_table_unref (self->index);
  g_ptr_array_unref (self->entries);
  g_hash_table_unref (self->unlisted);
  g_free (self->version);
  g_free (self->cache_path);

  G_OBJECT_CLASS (talk_roster_parent_class)->finalize (object);
}

static void
talk_roster_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  TalkRoster *self = TALK_ROSTER (object);

  switch (prop_id)
    {
    case PROP_ROSTER:
      g_value_set_object (value, self->roster);
      break;

    case PROP_PRESENCE:
      g_value_set_object (value, self->presence);
      break;

    case PROP_VERSION:
      g_value_set_string (value, self->version);
      break;

    case PROP_LOADED:
      g_value_set_boolean (value, self->loaded);
      break;

    case PROP_N_ITEMS:
      g_value_set_uint (value, self->entries->len);
      break;

    case PROP_ITEM_TYPE:
      g_value_set_gtype (value, TALK_TYPE_CONTACT);
      break;

    case PROP_CACHE_PATH:
      g_value_set_string (value, self->cache_path);
      break;

    case PROP_FETCHING:
      g_value_set_boolean (value, self->fetch_cancellable != NULL);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
talk_roster_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  TalkRoster *self = TALK_ROSTER (object);

  switch (prop_id)
    {
    case PROP_ROSTER:
      self->roster = g_value_dup_object (value);
      break;

    case PROP_PRESENCE:
      self->presence = g_value_dup_object (value);
      break;

    case PROP_CACHE_PATH:
      self->cache_path = g_value_dup_string (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
talk_roster_class_init (TalkRosterClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = talk_roster_constructed;
  object_class->dispose = talk_roster_dispose;
  object_class->finalize = talk_roster_finalize;
  object_class->get_property = talk_roster_get_property;
  object_class->set_property = talk_roster_set_property;

  properties[PROP_ROSTER] =
    g_param_spec_object ("roster", NULL, NULL,
                         TALK_XMPP_TYPE_ROSTER,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PRESENCE] =
    g_param_spec_object ("presence", NULL, NULL,
                         TALK_XMPP_TYPE_PRESENCE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_VERSION] =
    g_param_spec_string ("version", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LOADED] =
    g_param_spec_boolean ("loaded", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_ITEMS] =
    g_param_spec_uint ("n-items", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ITEM_TYPE] =
    g_param_spec_gtype ("item-type", NULL, NULL, TALK_TYPE_CONTACT,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_FETCHING] =
    g_param_spec_boolean ("fetching", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CACHE_PATH] =
    g_param_spec_string ("cache-path", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
talk_roster_init (TalkRoster *self)
{
  self->entries = g_ptr_array_new_with_free_func (entry_free);
  self->index = g_hash_table_new (g_str_hash, g_str_equal);
  self->unlisted = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_object_unref);
}
