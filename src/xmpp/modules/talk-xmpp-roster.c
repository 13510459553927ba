/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The roster protocol (RFC 6121 §2).
 *
 *   fetch   <iq type='get'><query [ver]/></iq> ──► result: items + ver
 *                                              └─► empty result: unchanged,
 *                                                  pushes follow (§2.6.3)
 *   push    <iq type='set'><query [ver]><item/></query></iq>
 *             from the own account? ─ no ──► service-unavailable, dropped
 *             exactly one valid item? ─ no ──► bad-request
 *             result ──► "item-updated" / "item-removed", "version-changed"
 *   change  <iq type='set'><query><item …/></query></iq> ──► result
 */

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "talk-xmpp-roster.h"

G_DEFINE_ENUM_TYPE (TalkXmppSubscription, talk_xmpp_subscription,
                    G_DEFINE_ENUM_VALUE (TALK_XMPP_SUBSCRIPTION_NONE, "none"),
                    G_DEFINE_ENUM_VALUE (TALK_XMPP_SUBSCRIPTION_TO, "to"),
                    G_DEFINE_ENUM_VALUE (TALK_XMPP_SUBSCRIPTION_FROM, "from"),
                    G_DEFINE_ENUM_VALUE (TALK_XMPP_SUBSCRIPTION_BOTH, "both"),
                    G_DEFINE_ENUM_VALUE (TALK_XMPP_SUBSCRIPTION_REMOVE, "remove"))

static const char * const subscription_names[] = {
  [TALK_XMPP_SUBSCRIPTION_NONE] = "none",
  [TALK_XMPP_SUBSCRIPTION_TO] = "to",
  [TALK_XMPP_SUBSCRIPTION_FROM] = "from",
  [TALK_XMPP_SUBSCRIPTION_BOTH] = "both",
  [TALK_XMPP_SUBSCRIPTION_REMOVE] = "remove",
};

const char *
talk_xmpp_subscription_to_string (TalkXmppSubscription subscription)
{
  g_return_val_if_fail ((guint) subscription < G_N_ELEMENTS (subscription_names), NULL);

  return subscription_names[subscription];
}

gboolean
talk_xmpp_subscription_from_string (const char           *str,
                                    TalkXmppSubscription *subscription)
{
  g_return_val_if_fail (subscription != NULL, FALSE);

  for (guint i = 0; str != NULL && i < G_N_ELEMENTS (subscription_names); i++)
    {
      if (strcmp (str, subscription_names[i]) == 0)
        {
          *subscription = i;
          return TRUE;
        }
    }

  return FALSE;
}

/* Roster items */

/* One block per item: the struct, then the groups' vector, then the text
 * of the JID, the name and the groups. A roster of 5,000 contacts is
 * 5,000 blocks rather than 30,000 small ones; items are never changed. */
struct _TalkXmppRosterItem
{
  const char *jid;
  const char *name;
  const char * const *groups;
  TalkXmppSubscription subscription;
  gboolean ask;
};

G_DEFINE_BOXED_TYPE (TalkXmppRosterItem, talk_xmpp_roster_item,
                     talk_xmpp_roster_item_ref, talk_xmpp_roster_item_unref)

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* Sorted, without duplicates and without empty names (RFC 6121 §2.1.2.2:
 * an empty group is not a group). The strings stay @groups'. */
static GPtrArray *
normalize_groups (const char * const *groups)
{
  g_autoptr(GPtrArray) sorted = g_ptr_array_new ();
  GPtrArray *out = g_ptr_array_new ();

  for (guint i = 0; groups != NULL && groups[i] != NULL; i++)
    {
      if (groups[i][0] != '\0')
        g_ptr_array_add (sorted, (gpointer) groups[i]);
    }
  g_ptr_array_sort (sorted, compare_strings);

  for (guint i = 0; i < sorted->len; i++)
    {
      const char *group = g_ptr_array_index (sorted, i);

      if (i == 0 || strcmp (group, g_ptr_array_index (sorted, i - 1)) != 0)
        g_ptr_array_add (out, (gpointer) group);
    }

  return out;
}

static char *
append_text (char       *at,
             const char *text,
             gsize       size)
{
  memcpy (at, text, size);
  return at + size;
}

static TalkXmppRosterItem *
roster_item_alloc (const char           *jid,
                   const char           *name,
                   GPtrArray            *groups,
                   TalkXmppSubscription  subscription,
                   gboolean              ask)
{
  gsize jid_size = strlen (jid) + 1;
  gsize name_size = name != NULL ? strlen (name) + 1 : 0;
  gsize size = sizeof (TalkXmppRosterItem) + (groups->len + 1) * sizeof (char *) +
               jid_size + name_size;
  TalkXmppRosterItem *self;
  const char **vector;
  char *text;

  for (guint i = 0; i < groups->len; i++)
    size += strlen (g_ptr_array_index (groups, i)) + 1;

  self = g_rc_box_alloc0 (size);
  vector = (const char **) (self + 1);
  text = (char *) (vector + groups->len + 1);

  self->jid = text;
  text = append_text (text, jid, jid_size);
  if (name != NULL)
    {
      self->name = text;
      text = append_text (text, name, name_size);
    }
  for (guint i = 0; i < groups->len; i++)
    {
      const char *group = g_ptr_array_index (groups, i);

      vector[i] = text;
      text = append_text (text, group, strlen (group) + 1);
    }
  vector[groups->len] = NULL;
  self->groups = vector;
  self->subscription = subscription;
  self->ask = !!ask;

  return self;
}

TalkXmppRosterItem *
talk_xmpp_roster_item_new (const char           *jid,
                           const char           *name,
                           const char * const   *groups,
                           TalkXmppSubscription  subscription,
                           gboolean              ask,
                           GError              **error)
{
  g_autoptr(TalkXmppJid) parsed = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GPtrArray) normalized = NULL;

  g_return_val_if_fail (subscription <= TALK_XMPP_SUBSCRIPTION_REMOVE, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  parsed = jid != NULL ? talk_xmpp_jid_new (jid, &local_error) : NULL;
  if (parsed == NULL || !talk_xmpp_jid_is_bare (parsed))
    {
      g_set_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_INVALID_JID,
                   _("“%s” is not a valid address for a contact"), jid ? jid : "");
      return NULL;
    }

  normalized = normalize_groups (groups);
  return roster_item_alloc (talk_xmpp_jid_to_string (parsed),
                            name != NULL && name[0] != '\0' ? name : NULL,
                            normalized, subscription, ask);
}

TalkXmppRosterItem *
talk_xmpp_roster_item_ref (TalkXmppRosterItem *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return g_rc_box_acquire (self);
}

void
talk_xmpp_roster_item_unref (TalkXmppRosterItem *self)
{
  g_return_if_fail (self != NULL);

  g_rc_box_release (self);
}

const char *
talk_xmpp_roster_item_get_jid (TalkXmppRosterItem *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->jid;
}

const char *
talk_xmpp_roster_item_get_name (TalkXmppRosterItem *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->name;
}

const char * const *
talk_xmpp_roster_item_get_groups (TalkXmppRosterItem *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->groups;
}

TalkXmppSubscription
talk_xmpp_roster_item_get_subscription (TalkXmppRosterItem *self)
{
  g_return_val_if_fail (self != NULL, TALK_XMPP_SUBSCRIPTION_NONE);

  return self->subscription;
}

gboolean
talk_xmpp_roster_item_get_ask (TalkXmppRosterItem *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->ask;
}

gboolean
talk_xmpp_roster_item_equal (TalkXmppRosterItem *a,
                             TalkXmppRosterItem *b)
{
  g_return_val_if_fail (a != NULL && b != NULL, FALSE);

  return g_str_equal (a->jid, b->jid) &&
         g_strcmp0 (a->name, b->name) == 0 &&
         g_strv_equal (a->groups, b->groups) &&
         a->subscription == b->subscription &&
         a->ask == b->ask;
}

/* Reads an <item/> of a roster result or push (RFC 6121 §2.1.2). An
 * unknown subscription value makes the item invalid. */
static TalkXmppRosterItem *
roster_item_from_element (TalkXmppStanza  *element,
                          GError         **error)
{
  g_autoptr(GPtrArray) groups = g_ptr_array_new_with_free_func (g_free);
  TalkXmppSubscription subscription = TALK_XMPP_SUBSCRIPTION_NONE;
  const char *value;
  TalkXmppStanzaIter iter;
  TalkXmppStanza *child;

  value = talk_xmpp_stanza_get_attribute (element, "subscription");
  if (value != NULL && !talk_xmpp_subscription_from_string (value, &subscription))
    {
      g_set_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_PROTOCOL,
                   "Unknown subscription state “%s”", value);
      return NULL;
    }

  talk_xmpp_stanza_iter_init (&iter, element);
  while (talk_xmpp_stanza_iter_next (&iter, &child))
    {
      if (talk_xmpp_stanza_is (child, "group", TALK_XMPP_NS_ROSTER))
        g_ptr_array_add (groups, talk_xmpp_stanza_dup_text (child));
    }
  g_ptr_array_add (groups, NULL);

  return talk_xmpp_roster_item_new (talk_xmpp_stanza_get_attribute (element, "jid"),
                                    talk_xmpp_stanza_get_attribute (element, "name"),
                                    (const char * const *) groups->pdata,
                                    subscription,
                                    g_strcmp0 (talk_xmpp_stanza_get_attribute (element, "ask"),
                                               "subscribe") == 0,
                                    error);
}

/* The roster module */

struct _TalkXmppRoster
{
  GObject parent_instance;

  TalkXmppSession *session;
  guint handler_id;
};

enum
{
  PROP_0,
  PROP_SESSION,
  N_PROPS
};

enum
{
  ITEM_UPDATED,
  ITEM_REMOVED,
  VERSION_CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (TalkXmppRoster, talk_xmpp_roster, G_TYPE_OBJECT)

typedef struct
{
  GPtrArray *items;
  char *ver;
} FetchResult;

static void
fetch_result_free (gpointer data)
{
  FetchResult *result = data;

  g_clear_pointer (&result->items, g_ptr_array_unref);
  g_free (result->ver);
  g_free (result);
}

static void
roster_reply_result (TalkXmppRoster *self,
                     TalkXmppStanza *request)
{
  g_autoptr(TalkXmppStanza) reply = talk_xmpp_stanza_new_iq_result (request);

  talk_xmpp_session_send (self->session, reply);
}

static void
roster_reply_error (TalkXmppRoster          *self,
                    TalkXmppStanza          *request,
                    TalkXmppStanzaErrorCode  condition)
{
  g_autoptr(TalkXmppStanza) reply = talk_xmpp_stanza_new_error_reply (request, condition, NULL);

  talk_xmpp_session_send (self->session, reply);
}

/* The one <item/> of a push, or NULL when there is not exactly one element
 * child and that an item. */
static TalkXmppStanza *
push_get_single_item (TalkXmppStanza *query)
{
  TalkXmppStanzaIter iter;
  TalkXmppStanza *item = NULL;
  TalkXmppStanza *extra = NULL;

  talk_xmpp_stanza_iter_init (&iter, query);
  if (!talk_xmpp_stanza_iter_next (&iter, &item) ||
      talk_xmpp_stanza_iter_next (&iter, &extra))
    return NULL;

  return talk_xmpp_stanza_is (item, "item", TALK_XMPP_NS_ROSTER) ? item : NULL;
}

static gboolean
roster_handle_iq_cb (TalkXmppSession *session,
                     TalkXmppStanza  *iq,
                     gpointer         user_data)
{
  TalkXmppRoster *self = TALK_XMPP_ROSTER (user_data);
  g_autoptr(TalkXmppRoster) hold = NULL;
  g_autoptr(TalkXmppRosterItem) item = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *ver = NULL;
  TalkXmppStanza *query;
  TalkXmppStanza *element;

  /* A roster get to a client is not a thing: service-unavailable. */
  if (g_strcmp0 (talk_xmpp_stanza_get_stanza_type (iq), "set") != 0)
    return FALSE;

  /* RFC 6121 §2.1.6 security warning, SECURITY.md §1.1 (CVE-2015-8688,
   * CVE-2019-16236): only the account itself may push. */
  if (!talk_xmpp_session_is_from_own_account (session, iq))
    {
      g_warning ("Dropping a roster push from %s: not the own account",
                 talk_xmpp_stanza_get_from (iq));
      roster_reply_error (self, iq, TALK_XMPP_STANZA_ERROR_SERVICE_UNAVAILABLE);
      return TRUE;
    }

  query = talk_xmpp_stanza_get_child (iq, "query", TALK_XMPP_NS_ROSTER);
  element = query != NULL ? push_get_single_item (query) : NULL;
  if (element == NULL)
    {
      g_debug ("Refusing a roster push without exactly one item");
      roster_reply_error (self, iq, TALK_XMPP_STANZA_ERROR_BAD_REQUEST);
      return TRUE;
    }

  item = roster_item_from_element (element, &error);
  if (item == NULL)
    {
      g_debug ("Refusing a roster push: %s", error->message);
      roster_reply_error (self, iq, TALK_XMPP_STANZA_ERROR_BAD_REQUEST);
      return TRUE;
    }

  ver = g_strdup (talk_xmpp_stanza_get_attribute (query, "ver"));
  roster_reply_result (self, iq);

  /* A handler may drop the last other reference. */
  hold = g_object_ref (self);
  if (talk_xmpp_roster_item_get_subscription (item) == TALK_XMPP_SUBSCRIPTION_REMOVE)
    g_signal_emit (self, signals[ITEM_REMOVED], 0, talk_xmpp_roster_item_get_jid (item));
  else
    g_signal_emit (self, signals[ITEM_UPDATED], 0, item);

  if (ver != NULL)
    g_signal_emit (self, signals[VERSION_CHANGED], 0, ver);

  return TRUE;
}

/* Fetching */

static GPtrArray *
parse_roster_items (TalkXmppStanza *query)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  GPtrArray *items = g_ptr_array_new_with_free_func ((GDestroyNotify) talk_xmpp_roster_item_unref);
  TalkXmppStanzaIter iter;
  TalkXmppStanza *element;

  talk_xmpp_stanza_iter_init (&iter, query);
  while (talk_xmpp_stanza_iter_next (&iter, &element))
    {
      g_autoptr(GError) error = NULL;
      TalkXmppRosterItem *item;
      gpointer index;

      if (!talk_xmpp_stanza_is (element, "item", TALK_XMPP_NS_ROSTER))
        continue;

      item = roster_item_from_element (element, &error);
      if (item == NULL)
        {
          g_debug ("Skipping a roster item: %s", error->message);
          continue;
        }
      if (item->subscription == TALK_XMPP_SUBSCRIPTION_REMOVE)
        {
          talk_xmpp_roster_item_unref (item);
          continue;
        }

      /* A duplicate replaces the earlier item in its place. */
      if (g_hash_table_lookup_extended (seen, item->jid, NULL, &index))
        {
          TalkXmppRosterItem *earlier = g_ptr_array_index (items, GPOINTER_TO_UINT (index));

          g_ptr_array_index (items, GPOINTER_TO_UINT (index)) = item;
          g_hash_table_replace (seen, (gpointer) item->jid, index);
          talk_xmpp_roster_item_unref (earlier);
          continue;
        }

      g_hash_table_insert (seen, (gpointer) item->jid, GUINT_TO_POINTER (items->len));
      g_ptr_array_add (items, item);
    }

  return items;
}

static void
fetch_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(TalkXmppStanza) reply = NULL;
  const char *sent_ver = g_task_get_task_data (task);
  FetchResult *fetched;
  TalkXmppStanza *query;
  GError *error = NULL;

  reply = talk_xmpp_session_send_iq_finish (TALK_XMPP_SESSION (source), result, &error);
  if (reply == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  fetched = g_new0 (FetchResult, 1);
  query = talk_xmpp_stanza_get_child (reply, "query", TALK_XMPP_NS_ROSTER);
  if (query == NULL && sent_ver != NULL && sent_ver[0] != '\0')
    {
      /* RFC 6121 §2.6.3: the version we hold is current. */
      fetched->ver = g_strdup (sent_ver);
    }
  else if (query == NULL)
    {
      fetched->items = g_ptr_array_new_with_free_func (
        (GDestroyNotify) talk_xmpp_roster_item_unref);
    }
  else
    {
      fetched->items = parse_roster_items (query);
      fetched->ver = g_strdup (talk_xmpp_stanza_get_attribute (query, "ver"));
    }

  g_task_return_pointer (task, fetched, fetch_result_free);
}

gboolean
talk_xmpp_roster_get_versioning_supported (TalkXmppRoster *self)
{
  TalkXmppStanza *features;

  g_return_val_if_fail (TALK_XMPP_IS_ROSTER (self), FALSE);

  /* RFC 6121 §2.6.1: <ver xmlns='urn:xmpp:features:rosterver'/> */
  features = talk_xmpp_session_get_features (self->session);
  return features != NULL &&
         talk_xmpp_stanza_get_child (features, "ver", TALK_XMPP_NS_ROSTER_VER) != NULL;
}

void
talk_xmpp_roster_fetch_async (TalkXmppRoster      *self,
                              const char          *ver,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(TalkXmppStanza) iq = NULL;
  TalkXmppStanza *query;

  g_return_if_fail (TALK_XMPP_IS_ROSTER (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, talk_xmpp_roster_fetch_async);

  iq = talk_xmpp_stanza_new_iq ("get", NULL, NULL);
  query = talk_xmpp_stanza_add_child (iq, "query", TALK_XMPP_NS_ROSTER);

  /* RFC 6121 §2.6.2: only to a server that versions, and "" to bootstrap. */
  if (talk_xmpp_roster_get_versioning_supported (self))
    {
      talk_xmpp_stanza_set_attribute (query, "ver", ver != NULL ? ver : "");
      g_task_set_task_data (task, g_strdup (ver != NULL ? ver : ""), g_free);
    }

  talk_xmpp_session_send_iq_async (self->session, iq, cancellable, fetch_cb,
                                   g_steal_pointer (&task));
}

gboolean
talk_xmpp_roster_fetch_finish (TalkXmppRoster  *self,
                               GAsyncResult    *result,
                               GPtrArray      **items,
                               char           **ver,
                               GError         **error)
{
  FetchResult *fetched;

  g_return_val_if_fail (TALK_XMPP_IS_ROSTER (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == talk_xmpp_roster_fetch_async,
                        FALSE);

  fetched = g_task_propagate_pointer (G_TASK (result), error);
  if (fetched == NULL)
    return FALSE;

  if (items != NULL)
    *items = g_steal_pointer (&fetched->items);
  if (ver != NULL)
    *ver = g_steal_pointer (&fetched->ver);
  fetch_result_free (fetched);

  return TRUE;
}

/* Changes */

static void
change_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(TalkXmppStanza) reply = NULL;
  GError *error = NULL;

  reply = talk_xmpp_session_send_iq_finish (TALK_XMPP_SESSION (source), result, &error);
  if (reply == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

/* Sends a roster set with the one <item/> @item describes (RFC 6121 §2.3.2:
 * no subscription attribute unless removing, never 'ask'). */
static void
roster_send_set (TalkXmppRoster     *self,
                 TalkXmppRosterItem *item,
                 GTask              *task)
{
  g_autoptr(TalkXmppStanza) iq = talk_xmpp_stanza_new_iq ("set", NULL, NULL);
  TalkXmppStanza *query = talk_xmpp_stanza_add_child (iq, "query", TALK_XMPP_NS_ROSTER);
  TalkXmppStanza *element = talk_xmpp_stanza_add_child (query, "item", NULL);

  talk_xmpp_stanza_set_attribute (element, "jid", item->jid);
  if (item->subscription == TALK_XMPP_SUBSCRIPTION_REMOVE)
    {
      talk_xmpp_stanza_set_attribute (element, "subscription", "remove");
    }
  else
    {
      if (item->name != NULL)
        talk_xmpp_stanza_set_attribute (element, "name", item->name);
      for (guint i = 0; item->groups[i] != NULL; i++)
        talk_xmpp_stanza_add_child_with_text (element, "group", NULL, item->groups[i]);
    }

  talk_xmpp_session_send_iq_async (self->session, iq, g_task_get_cancellable (task),
                                   change_cb, task);
}

void
talk_xmpp_roster_set_item_async (TalkXmppRoster      *self,
                                 const char          *jid,
                                 const char          *name,
                                 const char * const  *groups,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(TalkXmppRosterItem) item = NULL;
  GError *error = NULL;

  g_return_if_fail (TALK_XMPP_IS_ROSTER (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, talk_xmpp_roster_set_item_async);

  item = talk_xmpp_roster_item_new (jid, name, groups, TALK_XMPP_SUBSCRIPTION_NONE, FALSE, &error);
  if (item == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  roster_send_set (self, item, g_steal_pointer (&task));
}

gboolean
talk_xmpp_roster_set_item_finish (TalkXmppRoster  *self,
                                  GAsyncResult    *result,
                                  GError         **error)
{
  g_return_val_if_fail (TALK_XMPP_IS_ROSTER (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == talk_xmpp_roster_set_item_async,
                        FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
talk_xmpp_roster_remove_item_async (TalkXmppRoster      *self,
                                    const char          *jid,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(TalkXmppRosterItem) item = NULL;
  GError *error = NULL;

  g_return_if_fail (TALK_XMPP_IS_ROSTER (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, talk_xmpp_roster_remove_item_async);

  item = talk_xmpp_roster_item_new (jid, NULL, NULL, TALK_XMPP_SUBSCRIPTION_REMOVE, FALSE, &error);
  if (item == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  roster_send_set (self, item, g_steal_pointer (&task));
}

gboolean
talk_xmpp_roster_remove_item_finish (TalkXmppRoster  *self,
                                     GAsyncResult    *result,
                                     GError         **error)
{
  g_return_val_if_fail (TALK_XMPP_IS_ROSTER (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        talk_xmpp_roster_remove_item_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* GObject */

TalkXmppRoster *
talk_xmpp_roster_new (TalkXmppSession *session)
{
  g_return_val_if_fail (TALK_XMPP_IS_SESSION (session), NULL);

  return g_object_new (TALK_XMPP_TYPE_ROSTER, "session", session, NULL);
}

TalkXmppSession *
talk_xmpp_roster_get_session (TalkXmppRoster *self)
{
  g_return_val_if_fail (TALK_XMPP_IS_ROSTER (self), NULL);

  return self->session;
}

static void
talk_xmpp_roster_constructed (GObject *object)
{
  TalkXmppRoster *self = TALK_XMPP_ROSTER (object);

  G_OBJECT_CLASS (talk_xmpp_roster_parent_class)->constructed (object);

  g_return_if_fail (TALK_XMPP_IS_SESSION (self->session));
  self->handler_id = talk_xmpp_session_add_handler (self->session, "iq", TALK_XMPP_NS_ROSTER,
                                                    roster_handle_iq_cb, self, NULL);
}

static void
talk_xmpp_roster_dispose (GObject *object)
{
  TalkXmppRoster *self = TALK_XMPP_ROSTER (object);

  if (self->handler_id != 0)
    {
      talk_xmpp_session_remove_handler (self->session, self->handler_id);
      self->handler_id = 0;
    }
  g_clear_object (&self->session);

  G_OBJECT_CLASS (talk_xmpp_roster_parent_class)->dispose (object);
}

static void
talk_xmpp_roster_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  TalkXmppRoster *self = TALK_XMPP_ROSTER (object);

  switch (prop_id)
    {
    case PROP_SESSION:
      g_value_set_object (value, self->session);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
talk_xmpp_roster_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  TalkXmppRoster *self = TALK_XMPP_ROSTER (object);

  switch (prop_id)
    {
    case PROP_SESSION:
      self->session = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
talk_xmpp_roster_class_init (TalkXmppRosterClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = talk_xmpp_roster_constructed;
  object_class->dispose = talk_xmpp_roster_dispose;
  object_class->get_property = talk_xmpp_roster_get_property;
  object_class->set_property = talk_xmpp_roster_set_property;

  properties[PROP_SESSION] =
    g_param_spec_object ("session", NULL, NULL,
                         TALK_XMPP_TYPE_SESSION,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[ITEM_UPDATED] =
    g_signal_new ("item-updated",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, TALK_XMPP_TYPE_ROSTER_ITEM | G_SIGNAL_TYPE_STATIC_SCOPE);

  signals[ITEM_REMOVED] =
    g_signal_new ("item-removed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);

  signals[VERSION_CHANGED] =
    g_signal_new ("version-changed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);
}

static void
talk_xmpp_roster_init (TalkXmppRoster *self)
{
}
