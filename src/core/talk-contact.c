/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "talk-avatar-color.h"
#include "talk-contact.h"

/* SECURITY.md §1.6: a contact cannot make us track unbounded resources. */
#define MAX_RESOURCES 128

typedef struct
{
  char *resource;
  TalkXmppPresenceShow show;
  char *status;
  int priority;
  guint64 serial;
} Resource;

/* A roster holds thousands of these, so a contact keeps little of its
 * own: the roster item is shared with the model that set it, the display
 * name points at the item's name (or the JID) unless it had to be made,
 * and the colour and initials live in the struct. */
struct _TalkContact
{
  GObject parent_instance;

  char *jid;
  TalkXmppRosterItem *item;     /* name, groups, subscription, ask; or NULL */
  const char *display_name;     /* the item's name, localpart, or jid */
  char *localpart;              /* made once, when shown for lack of a name */

  /* Resource*, few per contact: a linear scan is the fast way. NULL
   * while no resource is online. */
  GPtrArray *resources;
  guint64 serial;
  TalkXmppPresenceShow show;
  char *status;

  char color[8];                /* "#rrggbb" */
  char initials[16];            /* two characters, 4 bytes of UTF-8 each at most */
};

enum
{
  PROP_0,
  PROP_JID,
  PROP_NAME,
  PROP_DISPLAY_NAME,
  PROP_GROUPS,
  PROP_SUBSCRIPTION,
  PROP_ASK,
  PROP_SHOW,
  PROP_STATUS,
  PROP_N_RESOURCES,
  PROP_COLOR,
  PROP_INITIALS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (TalkContact, talk_contact, G_TYPE_OBJECT)

static void
resource_free (gpointer data)
{
  Resource *resource = data;

  g_free (resource->resource);
  g_free (resource->status);
  g_free (resource);
}

/* Lower is more available; the order of the aggregation rule. */
static guint
show_rank (TalkXmppPresenceShow show)
{
  switch (show)
    {
    case TALK_XMPP_PRESENCE_SHOW_CHAT:
      return 0;
    case TALK_XMPP_PRESENCE_SHOW_AVAILABLE:
      return 1;
    case TALK_XMPP_PRESENCE_SHOW_AWAY:
      return 2;
    case TALK_XMPP_PRESENCE_SHOW_DND:
      return 3;
    case TALK_XMPP_PRESENCE_SHOW_XA:
      return 4;
    case TALK_XMPP_PRESENCE_SHOW_OFFLINE:
    default:
      return 5;
    }
}

/* Whether @a ranks before @b. */
static gboolean
resource_better (const Resource *a,
                 const Resource *b)
{
  if (a->priority != b->priority)
    return a->priority > b->priority;
  if (show_rank (a->show) != show_rank (b->show))
    return show_rank (a->show) < show_rank (b->show);
  return a->serial > b->serial;
}

static int
resource_compare (gconstpointer a,
                  gconstpointer b)
{
  const Resource *ra = *(const Resource * const *) a;
  const Resource *rb = *(const Resource * const *) b;

  if (resource_better (ra, rb))
    return -1;
  if (resource_better (rb, ra))
    return 1;
  return 0;
}

static const char * const no_groups[] = { NULL };

static guint
contact_n_resources (TalkContact *self)
{
  return self->resources != NULL ? self->resources->len : 0;
}

static gboolean
set_string (char       **field,
            const char  *value)
{
  if (g_strcmp0 (*field, value) == 0)
    return FALSE;

  g_free (*field);
  *field = g_strdup (value);
  return TRUE;
}

static void
notify (TalkContact *self,
        guint        prop_id)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop_id]);
}

static void
append_initial (GString    *out,
                const char *word)
{
  gunichar pick = g_utf8_get_char (word);

  for (const char *p = word; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_isspace (c))
        break;
      if (g_unichar_isalnum (c))
        {
          pick = c;
          break;
        }
    }

  g_string_append_unichar (out, g_unichar_toupper (pick));
}

char *
talk_contact_compute_initials (const char *name)
{
  g_autofree char *valid = NULL;
  g_autofree char *normalized = NULL;
  GString *out = g_string_new (NULL);
  const char *first = NULL;
  const char *last = NULL;
  const char *p;

  g_return_val_if_fail (name != NULL, NULL);

  valid = g_utf8_make_valid (name, -1);
  normalized = g_utf8_normalize (valid, -1, G_NORMALIZE_NFC);
  p = normalized;

  while (*p != '\0')
    {
      while (*p != '\0' && g_unichar_isspace (g_utf8_get_char (p)))
        p = g_utf8_next_char (p);
      if (*p == '\0')
        break;

      if (first == NULL)
        first = p;
      last = p;

      while (*p != '\0' && !g_unichar_isspace (g_utf8_get_char (p)))
        p = g_utf8_next_char (p);
    }

  if (first != NULL)
    append_initial (out, first);
  if (last != NULL && last != first)
    append_initial (out, last);

  return g_string_free (out, FALSE);
}

/* The old display name, when there was one, must still be readable. */
static void
contact_update_display_name (TalkContact *self)
{
  g_autofree char *initials = NULL;
  const char *name = talk_contact_get_name (self);
  const char *at = strchr (self->jid, '@');
  const char *display;

  if (name != NULL)
    display = name;
  else if (at != NULL && at != self->jid)
    {
      if (self->localpart == NULL)
        self->localpart = g_strndup (self->jid, at - self->jid);
      display = self->localpart;
    }
  else
    display = self->jid;

  /* Equal text may have moved: a new item with the same name. */
  if (g_strcmp0 (self->display_name, display) == 0)
    {
      self->display_name = display;
      return;
    }

  self->display_name = display;
  notify (self, PROP_DISPLAY_NAME);

  initials = talk_contact_compute_initials (self->display_name);
  if (strcmp (self->initials, initials) != 0)
    {
      g_strlcpy (self->initials, initials, sizeof self->initials);
      notify (self, PROP_INITIALS);
    }
}

/* Recomputes show, status and n-resources; returns whether one changed. */
static gboolean
contact_aggregate (TalkContact *self,
                   guint        n_before)
{
  const Resource *best = NULL;
  TalkXmppPresenceShow show = TALK_XMPP_PRESENCE_SHOW_OFFLINE;
  gboolean changed = FALSE;

  for (guint i = 0; i < contact_n_resources (self); i++)
    {
      const Resource *resource = g_ptr_array_index (self->resources, i);

      if (best == NULL || resource_better (resource, best))
        best = resource;
    }

  if (best != NULL)
    show = best->show;

  if (self->show != show)
    {
      self->show = show;
      notify (self, PROP_SHOW);
      changed = TRUE;
    }
  if (set_string (&self->status, best != NULL ? best->status : NULL))
    {
      notify (self, PROP_STATUS);
      changed = TRUE;
    }
  if (contact_n_resources (self) != n_before)
    {
      notify (self, PROP_N_RESOURCES);
      changed = TRUE;
    }

  return changed;
}

static Resource *
contact_find_resource (TalkContact *self,
                       const char  *resource,
                       guint       *index)
{
  for (guint i = 0; i < contact_n_resources (self); i++)
    {
      Resource *entry = g_ptr_array_index (self->resources, i);

      if (strcmp (entry->resource, resource) == 0)
        {
          if (index != NULL)
            *index = i;
          return entry;
        }
    }

  return NULL;
}

TalkContact *
talk_contact_new (const char *jid)
{
  g_return_val_if_fail (jid != NULL, NULL);

  return g_object_new (TALK_TYPE_CONTACT, "jid", jid, NULL);
}

const char *
talk_contact_get_jid (TalkContact *self)
{
  g_return_val_if_fail (TALK_IS_CONTACT (self), NULL);

  return self->jid;
}

const char *
talk_contact_get_name (TalkContact *self)
{
  g_return_val_if_fail (TALK_IS_CONTACT (self), NULL);

  return self->item != NULL ? talk_xmpp_roster_item_get_name (self->item) : NULL;
}

const char *
talk_contact_get_display_name (TalkContact *self)
{
  g_return_val_if_fail (TALK_IS_CONTACT (self), NULL);

  return self->display_name;
}

const char * const *
talk_contact_get_groups (TalkContact *self)
{
  g_return_val_if_fail (TALK_IS_CONTACT (self), NULL);

  return self->item != NULL ? talk_xmpp_roster_item_get_groups (self->item) : no_groups;
}

TalkXmppSubscription
talk_contact_get_subscription (TalkContact *self)
{
  g_return_val_if_fail (TALK_IS_CONTACT (self), TALK_XMPP_SUBSCRIPTION_NONE);

  return self->item != NULL ? talk_xmpp_roster_item_get_subscription (self->item)
                            : TALK_XMPP_SUBSCRIPTION_NONE;
}

gboolean
talk_contact_get_ask (TalkContact *self)
{
  g_return_val_if_fail (TALK_IS_CONTACT (self), FALSE);

  return self->item != NULL && talk_xmpp_roster_item_get_ask (self->item);
}

TalkXmppPresenceShow
talk_contact_get_show (TalkContact *self)
{
  g_return_val_if_fail (TALK_IS_CONTACT (self), TALK_XMPP_PRESENCE_SHOW_OFFLINE);

  return self->show;
}

const char *
talk_contact_get_status (TalkContact *self)
{
  g_return_val_if_fail (TALK_IS_CONTACT (self), NULL);

  return self->status;
}

guint
talk_contact_get_n_resources (TalkContact *self)
{
  g_return_val_if_fail (TALK_IS_CONTACT (self), 0);

  return contact_n_resources (self);
}

const char *
talk_contact_get_color (TalkContact *self)
{
  g_return_val_if_fail (TALK_IS_CONTACT (self), NULL);

  return self->color;
}

const char *
talk_contact_get_initials (TalkContact *self)
{
  g_return_val_if_fail (TALK_IS_CONTACT (self), NULL);

  return self->initials;
}

char **
talk_contact_dup_resources (TalkContact *self)
{
  g_autoptr(GPtrArray) sorted = NULL;
  GStrvBuilder *builder;
  char **out;

  g_return_val_if_fail (TALK_IS_CONTACT (self), NULL);

  /* A shallow copy: it must not free the resources it points to. */
  sorted = g_ptr_array_new ();
  for (guint i = 0; i < contact_n_resources (self); i++)
    g_ptr_array_add (sorted, g_ptr_array_index (self->resources, i));
  g_ptr_array_sort (sorted, resource_compare);

  builder = g_strv_builder_new ();
  for (guint i = 0; i < sorted->len; i++)
    g_strv_builder_add (builder, ((Resource *) g_ptr_array_index (sorted, i))->resource);
  out = g_strv_builder_end (builder);
  g_strv_builder_unref (builder);

  return out;
}

gboolean
talk_contact_lookup_resource (TalkContact           *self,
                              const char            *resource,
                              TalkXmppPresenceShow  *show,
                              const char           **status,
                              int                   *priority)
{
  Resource *entry;

  g_return_val_if_fail (TALK_IS_CONTACT (self), FALSE);
  g_return_val_if_fail (resource != NULL, FALSE);

  entry = contact_find_resource (self, resource, NULL);
  if (entry == NULL)
    return FALSE;

  if (show != NULL)
    *show = entry->show;
  if (status != NULL)
    *status = entry->status;
  if (priority != NULL)
    *priority = entry->priority;

  return TRUE;
}

gboolean
talk_contact_set_item (TalkContact        *self,
                       TalkXmppRosterItem *item)
{
  /* Kept until the display name no longer points into it. */
  g_autoptr(TalkXmppRosterItem) old = NULL;
  const char * const *old_groups;
  const char *old_name;
  TalkXmppSubscription old_subscription;
  gboolean old_ask;
  gboolean changed = FALSE;

  g_return_val_if_fail (TALK_IS_CONTACT (self), FALSE);
  g_return_val_if_fail (item == NULL ||
                        g_str_equal (talk_xmpp_roster_item_get_jid (item), self->jid), FALSE);

  old_name = talk_contact_get_name (self);
  old_groups = talk_contact_get_groups (self);
  old_subscription = talk_contact_get_subscription (self);
  old_ask = talk_contact_get_ask (self);

  old = g_steal_pointer (&self->item);
  self->item = item != NULL ? talk_xmpp_roster_item_ref (item) : NULL;

  g_object_freeze_notify (G_OBJECT (self));

  if (g_strcmp0 (old_name, talk_contact_get_name (self)) != 0)
    {
      notify (self, PROP_NAME);
      changed = TRUE;
    }
  /* Also when only the name's storage moved to the new item. */
  contact_update_display_name (self);
  if (!g_strv_equal (old_groups, talk_contact_get_groups (self)))
    {
      notify (self, PROP_GROUPS);
      changed = TRUE;
    }
  if (old_subscription != talk_contact_get_subscription (self))
    {
      notify (self, PROP_SUBSCRIPTION);
      changed = TRUE;
    }
  if (old_ask != talk_contact_get_ask (self))
    {
      notify (self, PROP_ASK);
      changed = TRUE;
    }

  g_object_thaw_notify (G_OBJECT (self));

  return changed;
}

/* Stores a presence of @resource; returns whether it differs from before. */
static gboolean
contact_store_resource (TalkContact          *self,
                        const char           *resource,
                        TalkXmppPresenceShow  show,
                        const char           *status,
                        int                   priority)
{
  Resource *entry = contact_find_resource (self, resource, NULL);
  gboolean changed;

  if (entry == NULL)
    {
      if (contact_n_resources (self) >= MAX_RESOURCES)
        {
          g_debug ("Ignoring resource %s of %s: too many", resource, self->jid);
          return FALSE;
        }
      if (self->resources == NULL)
        self->resources = g_ptr_array_new_with_free_func (resource_free);
      entry = g_new0 (Resource, 1);
      entry->resource = g_strdup (resource);
      entry->show = TALK_XMPP_PRESENCE_SHOW_OFFLINE;
      g_ptr_array_add (self->resources, entry);
    }

  changed = entry->show != show || entry->priority != priority;
  changed |= set_string (&entry->status, status);
  entry->show = show;
  entry->priority = priority;
  entry->serial = ++self->serial;

  return changed;
}

gboolean
talk_contact_set_presence (TalkContact          *self,
                           const char           *resource,
                           TalkXmppPresenceShow  show,
                           const char           *status,
                           int                   priority)
{
  guint n_before;
  guint index;
  gboolean changed = FALSE;

  g_return_val_if_fail (TALK_IS_CONTACT (self), FALSE);

  if (resource == NULL)
    resource = "";
  if (status != NULL && status[0] == '\0')
    status = NULL;

  if (show == TALK_XMPP_PRESENCE_SHOW_OFFLINE && resource[0] == '\0')
    return talk_contact_clear_presence (self);

  n_before = contact_n_resources (self);
  if (show == TALK_XMPP_PRESENCE_SHOW_OFFLINE)
    {
      if (contact_find_resource (self, resource, &index) == NULL)
        return FALSE;
      g_ptr_array_remove_index_fast (self->resources, index);
      if (self->resources->len == 0)
        g_clear_pointer (&self->resources, g_ptr_array_unref);
      changed = TRUE;
    }
  else
    {
      changed = contact_store_resource (self, resource, show, status, priority);
    }

  g_object_freeze_notify (G_OBJECT (self));
  changed |= contact_aggregate (self, n_before);
  g_object_thaw_notify (G_OBJECT (self));

  return changed;
}

gboolean
talk_contact_clear_presence (TalkContact *self)
{
  guint n_before;

  g_return_val_if_fail (TALK_IS_CONTACT (self), FALSE);

  n_before = contact_n_resources (self);
  if (n_before == 0)
    return FALSE;

  g_clear_pointer (&self->resources, g_ptr_array_unref);

  g_object_freeze_notify (G_OBJECT (self));
  contact_aggregate (self, n_before);
  g_object_thaw_notify (G_OBJECT (self));

  return TRUE;
}

static void
talk_contact_constructed (GObject *object)
{
  TalkContact *self = TALK_CONTACT (object);
  g_autoptr(TalkXmppJid) jid = NULL;
  g_autofree char *color = NULL;

  G_OBJECT_CLASS (talk_contact_parent_class)->constructed (object);

  /* XEP-0392 (Implementation Notes, Normalization): the colour of the JID
   * as it is compared, i.e. normalised. */
  jid = self->jid != NULL ? talk_xmpp_jid_new (self->jid, NULL) : NULL;
  if (jid != NULL)
    set_string (&self->jid, talk_xmpp_jid_get_bare_string (jid));
  else if (self->jid == NULL)
    self->jid = g_strdup ("");

  color = talk_avatar_color_for_text (self->jid);
  g_strlcpy (self->color, color, sizeof self->color);
  contact_update_display_name (self);
}

static void
talk_contact_finalize (GObject *object)
{
  TalkContact *self = TALK_CONTACT (object);

  g_free (self->jid);
  g_clear_pointer (&self->item, talk_xmpp_roster_item_unref);
  g_free (self->localpart);
  g_clear_pointer (&self->resources, g_ptr_array_unref);
  g_free (self->status);

  G_OBJECT_CLASS (talk_contact_parent_class)->finalize (object);
}

static void
talk_contact_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  TalkContact *self = TALK_CONTACT (object);

  switch (prop_id)
    {
    case PROP_JID:
      g_value_set_string (value, self->jid);
      break;

    case PROP_NAME:
      g_value_set_string (value, talk_contact_get_name (self));
      break;

    case PROP_DISPLAY_NAME:
      g_value_set_string (value, self->display_name);
      break;

    case PROP_GROUPS:
      g_value_set_boxed (value, talk_contact_get_groups (self));
      break;

    case PROP_SUBSCRIPTION:
      g_value_set_enum (value, talk_contact_get_subscription (self));
      break;

    case PROP_ASK:
      g_value_set_boolean (value, talk_contact_get_ask (self));
      break;

    case PROP_SHOW:
      g_value_set_enum (value, self->show);
      break;

    case PROP_STATUS:
      g_value_set_string (value, self->status);
      break;

    case PROP_N_RESOURCES:
      g_value_set_uint (value, contact_n_resources (self));
      break;

    case PROP_COLOR:
      g_value_set_string (value, self->color);
      break;

    case PROP_INITIALS:
      g_value_set_string (value, self->initials);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
talk_contact_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  TalkContact *self = TALK_CONTACT (object);

  switch (prop_id)
    {
    case PROP_JID:
      self->jid = g_value_dup_string (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
talk_contact_class_init (TalkContactClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->constructed = talk_contact_constructed;
  object_class->finalize = talk_contact_finalize;
  object_class->get_property = talk_contact_get_property;
  object_class->set_property = talk_contact_set_property;

  properties[PROP_JID] =
    g_param_spec_string ("jid", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL, NULL, ro);
  properties[PROP_DISPLAY_NAME] =
    g_param_spec_string ("display-name", NULL, NULL, NULL, ro);
  properties[PROP_GROUPS] =
    g_param_spec_boxed ("groups", NULL, NULL, G_TYPE_STRV, ro);
  properties[PROP_SUBSCRIPTION] =
    g_param_spec_enum ("subscription", NULL, NULL,
                       TALK_XMPP_TYPE_SUBSCRIPTION, TALK_XMPP_SUBSCRIPTION_NONE, ro);
  properties[PROP_ASK] =
    g_param_spec_boolean ("ask", NULL, NULL, FALSE, ro);
  properties[PROP_SHOW] =
    g_param_spec_enum ("show", NULL, NULL,
                       TALK_XMPP_TYPE_PRESENCE_SHOW, TALK_XMPP_PRESENCE_SHOW_OFFLINE, ro);
  properties[PROP_STATUS] =
    g_param_spec_string ("status", NULL, NULL, NULL, ro);
  properties[PROP_N_RESOURCES] =
    g_param_spec_uint ("n-resources", NULL, NULL, 0, G_MAXUINT, 0, ro);
  properties[PROP_COLOR] =
    g_param_spec_string ("color", NULL, NULL, NULL, ro);
  properties[PROP_INITIALS] =
    g_param_spec_string ("initials", NULL, NULL, NULL, ro);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
talk_contact_init (TalkContact *self)
{
  self->show = TALK_XMPP_PRESENCE_SHOW_OFFLINE;
}
