/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>

#include "talk-tray.h"

/*
 * A tray icon on GDBus alone: the StatusNotifierItem protocol
 * (specifications.freedesktop.org/status-notifier-item, with the "org.kde"
 * prefix every panel implements) and its menu over com.canonical.dbusmenu
 * (libdbusmenu's dbus-menu.xml).
 *
 *   constructed ─┬─ export /StatusNotifierItem and /StatusNotifierItem/Menu
 *                ├─ own org.kde.StatusNotifierItem-PID-N ─────┐
 *                └─ watch org.kde.StatusNotifierWatcher ──────┴─ both there:
 *                     RegisterStatusNotifierItem (our well-known name)
 *                     Get IsStatusNotifierHostRegistered ──▶ "available"
 *
 * The item registers with the well-known name, not the unique one, so the
 * watcher finds the object at the spec's default path /StatusNotifierItem.
 * A watcher that restarts shows up as vanished + appeared, and the item
 * registers again with the new owner.
 *
 * Everything arriving over D-Bus is untrusted: arguments are type-checked
 * before they are unpacked, unknown menu ids and event types are ignored,
 * and a reply goes out before any signal reaches the application, which may
 * drop the tray (or quit) from its handler.
 */

#define ITEM_PATH         "/StatusNotifierItem"
#define ITEM_INTERFACE    "org.kde.StatusNotifierItem"
#define MENU_PATH         "/StatusNotifierItem/Menu"
#define MENU_INTERFACE    "com.canonical.dbusmenu"
#define WATCHER_NAME      "org.kde.StatusNotifierWatcher"
#define WATCHER_PATH      "/StatusNotifierWatcher"
#define WATCHER_INTERFACE "org.kde.StatusNotifierWatcher"
#define DBUSMENU_VERSION  3

static const char item_xml[] =
  "<node>"
  "  <interface name='" ITEM_INTERFACE "'>"
  "    <property name='Category' type='s' access='read'/>"
  "    <property name='Id' type='s' access='read'/>"
  "    <property name='Title' type='s' access='read'/>"
  "    <property name='Status' type='s' access='read'/>"
  "    <property name='WindowId' type='i' access='read'/>"
  "    <property name='IconThemePath' type='s' access='read'/>"
  "    <property name='IconName' type='s' access='read'/>"
  "    <property name='IconPixmap' type='a(iiay)' access='read'/>"
  "    <property name='OverlayIconName' type='s' access='read'/>"
  "    <property name='OverlayIconPixmap' type='a(iiay)' access='read'/>"
  "    <property name='AttentionIconName' type='s' access='read'/>"
  "    <property name='AttentionIconPixmap' type='a(iiay)' access='read'/>"
  "    <property name='AttentionMovieName' type='s' access='read'/>"
  "    <property name='ToolTip' type='(sa(iiay)ss)' access='read'/>"
  "    <property name='ItemIsMenu' type='b' access='read'/>"
  "    <property name='Menu' type='o' access='read'/>"
  "    <method name='ContextMenu'>"
  "      <arg name='x' type='i' direction='in'/>"
  "      <arg name='y' type='i' direction='in'/>"
  "    </method>"
  "    <method name='Activate'>"
  "      <arg name='x' type='i' direction='in'/>"
  "      <arg name='y' type='i' direction='in'/>"
  "    </method>"
  "    <method name='SecondaryActivate'>"
  "      <arg name='x' type='i' direction='in'/>"
  "      <arg name='y' type='i' direction='in'/>"
  "    </method>"
  "    <method name='Scroll'>"
  "      <arg name='delta' type='i' direction='in'/>"
  "      <arg name='orientation' type='s' direction='in'/>"
  "    </method>"
  "    <signal name='NewTitle'/>"
  "    <signal name='NewIcon'/>"
  "    <signal name='NewAttentionIcon'/>"
  "    <signal name='NewOverlayIcon'/>"
  "    <signal name='NewToolTip'/>"
  "    <signal name='NewStatus'>"
  "      <arg name='status' type='s'/>"
  "    </signal>"
  "  </interface>"
  "</node>";

static const char menu_xml[] =
  "<node>"
  "  <interface name='" MENU_INTERFACE "'>"
  "    <property name='Version' type='u' access='read'/>"
  "    <property name='TextDirection' type='s' access='read'/>"
  "    <property name='Status' type='s' access='read'/>"
  "    <property name='IconThemePath' type='as' access='read'/>"
  "    <method name='GetLayout'>"
  "      <arg name='parentId' type='i' direction='in'/>"
  "      <arg name='recursionDepth' type='i' direction='in'/>"
  "      <arg name='propertyNames' type='as' direction='in'/>"
  "      <arg name='revision' type='u' direction='out'/>"
  "      <arg name='layout' type='(ia{sv}av)' direction='out'/>"
  "    </method>"
  "    <method name='GetGroupProperties'>"
  "      <arg name='ids' type='ai' direction='in'/>"
  "      <arg name='propertyNames' type='as' direction='in'/>"
  "      <arg name='properties' type='a(ia{sv})' direction='out'/>"
  "    </method>"
  "    <method name='GetProperty'>"
  "      <arg name='id' type='i' direction='in'/>"
  "      <arg name='name' type='s' direction='in'/>"
  "      <arg name='value' type='v' direction='out'/>"
  "    </method>"
  "    <method name='Event'>"
  "      <arg name='id' type='i' direction='in'/>"
  "      <arg name='eventId' type='s' direction='in'/>"
  "      <arg name='data' type='v' direction='in'/>"
  "      <arg name='timestamp' type='u' direction='in'/>"
  "    </method>"
  "    <method name='EventGroup'>"
  "      <arg name='events' type='a(isvu)' direction='in'/>"
  "      <arg name='idErrors' type='ai' direction='out'/>"
  "    </method>"
  "    <method name='AboutToShow'>"
  "      <arg name='id' type='i' direction='in'/>"
  "      <arg name='needUpdate' type='b' direction='out'/>"
  "    </method>"
  "    <method name='AboutToShowGroup'>"
  "      <arg name='ids' type='ai' direction='in'/>"
  "      <arg name='updatesNeeded' type='ai' direction='out'/>"
  "      <arg name='idErrors' type='ai' direction='out'/>"
  "    </method>"
  "    <signal name='ItemsPropertiesUpdated'>"
  "      <arg name='updatedProps' type='a(ia{sv})'/>"
  "      <arg name='removedProps' type='a(ias)'/>"
  "    </signal>"
  "    <signal name='LayoutUpdated'>"
  "      <arg name='revision' type='u'/>"
  "      <arg name='parent' type='i'/>"
  "    </signal>"
  "    <signal name='ItemActivationRequested'>"
  "      <arg name='id' type='i'/>"
  "      <arg name='timestamp' type='u'/>"
  "    </signal>"
  "  </interface>"
  "</node>";

typedef struct
{
  const char *show;
  const char *label;
  const char *description;
  const char *icon_name;
} Presence;

/* In menu order; the index is also the offset from ITEM_PRESENCE_FIRST. */
static const Presence presences[] = {
  { "available", N_("Available"), N_("Set your status to available"), "user-available-symbolic" },
  { "away", N_("Away"), N_("Set your status to away"), "user-away-symbolic" },
  { "dnd", N_("Busy"), N_("Set your status to busy"), "user-busy-symbolic" },
  { "xa", N_("Extended away"), N_("Set your status to extended away"), "user-idle-symbolic" },
  { "offline", N_("Offline"), N_("Go offline"), "user-offline-symbolic" },
};

#define PRESENCE_OFFLINE 4

/* Menu item ids are part of the protocol: a panel may keep them across
 * LayoutUpdated, so they never change. */
enum {
  ITEM_ROOT = 0,
  ITEM_PRESENCE_FIRST = 1,
  ITEM_PRESENCE_LAST = ITEM_PRESENCE_FIRST + G_N_ELEMENTS (presences) - 1,
  ITEM_SEPARATOR_PRESENCE,
  ITEM_WINDOW,
  ITEM_SEPARATOR_QUIT,
  ITEM_QUIT,
  N_ITEMS
};

struct _TalkTray
{
  GObject          parent_instance;

  GDBusConnection *connection;
  char            *app_id;
  char            *bus_name;

  guint            item_registration_id;
  guint            menu_registration_id;
  guint            own_id;
  gboolean         name_owned;

  guint            watch_id;
  char            *watcher_owner;
  GCancellable    *watcher_cancellable;
  guint            watcher_signal_id;
  guint            watcher_properties_id;

  guint            presence;
  char            *status_message;
  gboolean         window_visible;
  gboolean         available;
  guint            revision;
};

G_DEFINE_FINAL_TYPE (TalkTray, talk_tray, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_CONNECTION,
  PROP_APP_ID,
  PROP_PRESENCE,
  PROP_STATUS_MESSAGE,
  PROP_WINDOW_VISIBLE,
  PROP_AVAILABLE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  PRESENCE_SELECTED,
  TOGGLE_WINDOW,
  QUIT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static GDBusNodeInfo *item_node_info;
static GDBusNodeInfo *menu_node_info;

static gboolean
presence_lookup (const char *show,
                 guint      *out_index)
{
  for (guint i = 0; i < G_N_ELEMENTS (presences); i++)
    {
      if (g_strcmp0 (presences[i].show, show) == 0)
        {
          *out_index = i;
          return TRUE;
        }
    }

  return FALSE;
}

static gboolean
item_is_valid (gint32 id)
{
  return id >= ITEM_ROOT && id < N_ITEMS;
}

static gboolean
item_is_presence (gint32 id)
{
  return id >= ITEM_PRESENCE_FIRST && id <= ITEM_PRESENCE_LAST;
}

/* dbus-menu.xml: "_" marks the access key and "__" is a literal underscore.
 * Our labels carry no access keys, so every underscore is literal. */
static char *
escape_mnemonic (const char *text)
{
  GString *escaped = g_string_sized_new (strlen (text) + 4);

  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '_')
        g_string_append_c (escaped, '_');
      g_string_append_c (escaped, *p);
    }

  return g_string_free (escaped, FALSE);
}

static const char *
text_direction (void)
{
  /* Translators: do not translate this into your language. Write
   * "default:RTL" if your language is written right to left; otherwise
   * leave "default:LTR". */
  const char *direction = _("default:LTR");

  return g_str_equal (direction, "default:RTL") ? "rtl" : "ltr";
}

static GVariant *
empty_pixmaps (void)
{
  return g_variant_new_array (G_VARIANT_TYPE ("(iiay)"), NULL, 0);
}

static GVariant *
build_tooltip (TalkTray *self)
{
  const Presence *presence = &presences[self->presence];
  g_autofree char *text = NULL;
  g_autofree char *markup = NULL;

  if (self->status_message != NULL)
    {
      /* Translators: the tray tooltip, presence then status message,
       * as in "Busy: In a meeting". */
      text = g_strdup_printf (_("%s: %s"), _(presence->label), self->status_message);
    }
  else
    {
      text = g_strdup (_(presence->label));
    }

  /* The SNI spec ("Markup") lets hosts render the tooltip body as a subset
   * of HTML; the status message is plain text. */
  markup = g_markup_escape_text (text, -1);

  return g_variant_new ("(s@a(iiay)ss)", presence->icon_name, empty_pixmaps (), _("Talk"), markup);
}

static void
emit_signal (TalkTray   *self,
             const char *path,
             const char *interface,
             const char *name,
             GVariant   *parameters)
{
  g_autoptr(GVariant) owned = parameters != NULL ? g_variant_ref_sink (parameters) : NULL;
  g_autoptr(GError) error = NULL;

  if (self->connection == NULL || self->item_registration_id == 0)
    return;

  if (!g_dbus_connection_emit_signal (self->connection, NULL, path, interface, name, owned,
                                      &error))
    g_debug ("Could not emit %s.%s: %s", interface, name, error->message);
}

/* --- com.canonical.dbusmenu -------------------------------------------- */

static void
add_property (GVariantBuilder    *builder,
              const char * const *names,
              const char         *name,
              GVariant           *value)
{
  g_autoptr(GVariant) owned = g_variant_ref_sink (value);

  /* dbus-menu.xml: an empty propertyNames list asks for everything. */
  if (names == NULL || names[0] == NULL || g_strv_contains (names, name))
    g_variant_builder_add (builder, "{sv}", name, owned);
}

static void
add_label (GVariantBuilder    *builder,
           const char * const *names,
           const char         *label,
           const char         *description)
{
  g_autofree char *escaped = escape_mnemonic (label);

  add_property (builder, names, "label", g_variant_new_string (escaped));
  add_property (builder, names, "accessible-desc", g_variant_new_string (description));
}

/* Only values that differ from the defaults of dbus-menu.xml are sent. */
static GVariant *
menu_item_properties (TalkTray           *self,
                      gint32              id,
                      const char * const *names)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);

  if (item_is_presence (id))
    {
      guint i = id - ITEM_PRESENCE_FIRST;

      add_label (&builder, names, _(presences[i].label), _(presences[i].description));
      add_property (&builder, names, "toggle-type", g_variant_new_string ("radio"));
      add_property (&builder, names, "toggle-state",
                    g_variant_new_int32 (i == self->presence ? 1 : 0));
    }
  else if (id == ITEM_ROOT)
    {
      add_property (&builder, names, "children-display", g_variant_new_string ("submenu"));
    }
  else if (id == ITEM_SEPARATOR_PRESENCE || id == ITEM_SEPARATOR_QUIT)
    {
      add_property (&builder, names, "type", g_variant_new_string ("separator"));
    }
  else if (id == ITEM_WINDOW)
    {
      if (self->window_visible)
        add_label (&builder, names, _("Hide Talk"), _("Hide the Talk window"));
      else
        add_label (&builder, names, _("Show Talk"), _("Show the Talk window"));
    }
  else if (id == ITEM_QUIT)
    {
      add_label (&builder, names, _("Quit"), _("Quit Talk"));
    }

  return g_variant_builder_end (&builder);
}

static GVariant *
menu_build_layout (TalkTray           *self,
                   gint32              id,
                   gint32              depth,
                   const char * const *names)
{
  GVariantBuilder children;

  g_variant_builder_init (&children, G_VARIANT_TYPE ("av"));

  /* recursionDepth: -1 is everything, 0 no children (dbus-menu.xml). */
  if (id == ITEM_ROOT && depth != 0)
    {
      for (gint32 child = ITEM_ROOT + 1; child < N_ITEMS; child++)
        {
          g_variant_builder_add (&children, "v",
                                 menu_build_layout (self, child, depth > 0 ? depth - 1 : depth,
                                                    names));
        }
    }

  return g_variant_new ("(i@a{sv}av)", id, menu_item_properties (self, id, names), &children);
}

/* Tells hosts about changed items both ways: ItemsPropertiesUpdated for
 * those that patch their copy, and a new revision with LayoutUpdated so one
 * that caches GetLayout by revision never shows a stale item. */
static void
menu_items_changed (TalkTray           *self,
                    const gint32       *ids,
                    gsize               n_ids,
                    const char * const *names)
{
  GVariantBuilder updated;

  g_variant_builder_init (&updated, G_VARIANT_TYPE ("a(ia{sv})"));
  for (gsize i = 0; i < n_ids; i++)
    {
      g_variant_builder_add (&updated, "(i@a{sv})", ids[i],
                             menu_item_properties (self, ids[i], names));
    }

  emit_signal (self, MENU_PATH, MENU_INTERFACE, "ItemsPropertiesUpdated",
               g_variant_new ("(a(ia{sv})@a(ias))", &updated,
                              g_variant_new_array (G_VARIANT_TYPE ("(ias)"), NULL, 0)));

  self->revision++;
  emit_signal (self, MENU_PATH, MENU_INTERFACE, "LayoutUpdated",
               g_variant_new ("(ui)", self->revision, ITEM_ROOT));
}

static void
menu_item_clicked (TalkTray *self,
                   gint32    id)
{
  if (item_is_presence (id))
    g_signal_emit (self, signals[PRESENCE_SELECTED], 0,
                   presences[id - ITEM_PRESENCE_FIRST].show);
  else if (id == ITEM_WINDOW)
    g_signal_emit (self, signals[TOGGLE_WINDOW], 0);
  else if (id == ITEM_QUIT)
    g_signal_emit (self, signals[QUIT], 0);
}

static void
return_no_item (GDBusMethodInvocation *invocation,
                gint32                 id)
{
  g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                                         "No menu item with id %d", id);
}

static void
menu_get_layout (TalkTray              *self,
                 GVariant              *parameters,
                 GDBusMethodInvocation *invocation)
{
  gint32 parent_id;
  gint32 depth;
  g_autofree const char **names = NULL;

  g_variant_get (parameters, "(ii^a&s)", &parent_id, &depth, &names);

  if (!item_is_valid (parent_id))
    {
      return_no_item (invocation, parent_id);
      return;
    }

  g_dbus_method_invocation_return_value (invocation,
                                         g_variant_new ("(u@(ia{sv}av))", self->revision,
                                                        menu_build_layout (self, parent_id, depth,
                                                                           names)));
}

static void
menu_get_group_properties (TalkTray              *self,
                           GVariant              *parameters,
                           GDBusMethodInvocation *invocation)
{
  g_autoptr(GVariant) ids_variant = NULL;
  g_autofree const char **names = NULL;
  const gint32 *ids;
  gsize n_ids;
  GVariantBuilder result;

  g_variant_get (parameters, "(@ai^a&s)", &ids_variant, &names);
  ids = g_variant_get_fixed_array (ids_variant, &n_ids, sizeof (gint32));

  g_variant_builder_init (&result, G_VARIANT_TYPE ("a(ia{sv})"));

  /* dbus-menu.xml: an empty list of ids asks for every item; ids that do
   * not exist are left out. */
  if (n_ids == 0)
    {
      for (gint32 id = ITEM_ROOT; id < N_ITEMS; id++)
        g_variant_builder_add (&result, "(i@a{sv})", id, menu_item_properties (self, id, names));
    }
  for (gsize i = 0; i < n_ids; i++)
    {
      if (item_is_valid (ids[i]))
        g_variant_builder_add (&result, "(i@a{sv})", ids[i],
                               menu_item_properties (self, ids[i], names));
    }

  g_dbus_method_invocation_return_value (invocation, g_variant_new ("(a(ia{sv}))", &result));
}

static void
menu_get_property (TalkTray              *self,
                   GVariant              *parameters,
                   GDBusMethodInvocation *invocation)
{
  gint32 id;
  const char *name;
  const char *names[2] = { NULL, NULL };
  g_autoptr(GVariant) props = NULL;
  g_autoptr(GVariant) value = NULL;

  g_variant_get (parameters, "(i&s)", &id, &name);

  if (!item_is_valid (id))
    {
      return_no_item (invocation, id);
      return;
    }

  names[0] = name;
  props = g_variant_ref_sink (menu_item_properties (self, id, names));
  value = g_variant_lookup_value (props, name, NULL);
  if (value == NULL)
    {
      g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS,
                                             "Menu item %d has no property “%s”", id, name);
      return;
    }

  g_dbus_method_invocation_return_value (invocation, g_variant_new ("(v)", value));
}

static void
menu_event (TalkTray              *self,
            GVariant              *parameters,
            GDBusMethodInvocation *invocation)
{
  gint32 id;
  const char *event_id;
  g_autoptr(GVariant) data = NULL;
  guint32 timestamp;

  g_variant_get (parameters, "(i&svu)", &id, &event_id, &data, &timestamp);
  g_dbus_method_invocation_return_value (invocation, NULL);

  /* "hovered", "opened", "closed" and vendor events need nothing from us. */
  if (g_str_equal (event_id, "clicked"))
    menu_item_clicked (self, id);
}

static void
menu_event_group (TalkTray              *self,
                  GVariant              *parameters,
                  GDBusMethodInvocation *invocation)
{
  g_autoptr(GVariant) events = NULL;
  g_autoptr(GArray) clicked = g_array_new (FALSE, FALSE, sizeof (gint32));
  GVariantBuilder errors;
  GVariantIter iter;
  gint32 id;
  const char *event_id;
  GVariant *data;
  guint32 timestamp;

  g_variant_get (parameters, "(@a(isvu))", &events);
  g_variant_builder_init (&errors, G_VARIANT_TYPE ("ai"));

  g_variant_iter_init (&iter, events);
  while (g_variant_iter_next (&iter, "(i&svu)", &id, &event_id, &data, &timestamp))
    {
      if (!item_is_valid (id))
        g_variant_builder_add (&errors, "i", id);
      else if (g_str_equal (event_id, "clicked"))
        g_array_append_val (clicked, id);
      g_variant_unref (data);
    }

  g_dbus_method_invocation_return_value (invocation, g_variant_new ("(ai)", &errors));

  for (guint i = 0; i < clicked->len; i++)
    menu_item_clicked (self, g_array_index (clicked, gint32, i));
}

static void
menu_about_to_show (TalkTray              *self,
                    GVariant              *parameters,
                    GDBusMethodInvocation *invocation)
{
  gint32 id;

  g_variant_get (parameters, "(i)", &id);

  if (!item_is_valid (id))
    {
      return_no_item (invocation, id);
      return;
    }

  /* Every change is signalled as it happens; nothing to refresh here. */
  g_dbus_method_invocation_return_value (invocation, g_variant_new ("(b)", FALSE));
}

static void
menu_about_to_show_group (TalkTray              *self,
                          GVariant              *parameters,
                          GDBusMethodInvocation *invocation)
{
  g_autoptr(GVariant) ids_variant = NULL;
  const gint32 *ids;
  gsize n_ids;
  GVariantBuilder errors;

  g_variant_get (parameters, "(@ai)", &ids_variant);
  ids = g_variant_get_fixed_array (ids_variant, &n_ids, sizeof (gint32));

  g_variant_builder_init (&errors, G_VARIANT_TYPE ("ai"));
  for (gsize i = 0; i < n_ids; i++)
    {
      if (!item_is_valid (ids[i]))
        g_variant_builder_add (&errors, "i", ids[i]);
    }

  g_dbus_method_invocation_return_value (invocation,
                                         g_variant_new ("(@aiai)",
                                                        g_variant_new_array (G_VARIANT_TYPE_INT32,
                                                                             NULL, 0),
                                                        &errors));
}

/* --- org.kde.StatusNotifierItem ---------------------------------------- */

static void
item_activate (TalkTray              *self,
               GVariant              *parameters,
               GDBusMethodInvocation *invocation)
{
  g_dbus_method_invocation_return_value (invocation, NULL);
  g_signal_emit (self, signals[TOGGLE_WINDOW], 0);
}

/* ContextMenu is only called by hosts that cannot show the Menu property
 * themselves, SecondaryActivate (a middle click) and Scroll have no meaning
 * for a chat client: all are answered so the host sees no error. */
static void
item_ignore (TalkTray              *self,
             GVariant              *parameters,
             GDBusMethodInvocation *invocation)
{
  g_dbus_method_invocation_return_value (invocation, NULL);
}

/* --- method dispatch ---------------------------------------------------- */

typedef void (*MethodHandler) (TalkTray              *self,
                               GVariant              *parameters,
                               GDBusMethodInvocation *invocation);

typedef struct
{
  const char    *name;
  const char    *signature;
  MethodHandler  handler;
} Method;

static const Method item_methods[] = {
  { "Activate", "(ii)", item_activate },
  { "SecondaryActivate", "(ii)", item_ignore },
  { "ContextMenu", "(ii)", item_ignore },
  { "Scroll", "(is)", item_ignore },
};

static const Method menu_methods[] = {
  { "GetLayout", "(iias)", menu_get_layout },
  { "GetGroupProperties", "(aias)", menu_get_group_properties },
  { "GetProperty", "(is)", menu_get_property },
  { "Event", "(isvu)", menu_event },
  { "EventGroup", "(a(isvu))", menu_event_group },
  { "AboutToShow", "(i)", menu_about_to_show },
  { "AboutToShowGroup", "(ai)", menu_about_to_show_group },
};

static void
dispatch_method (TalkTray              *self,
                 const Method          *methods,
                 gsize                  n_methods,
                 const char            *method_name,
                 GVariant              *parameters,
                 GDBusMethodInvocation *invocation)
{
  for (gsize i = 0; i < n_methods; i++)
    {
      g_autoptr(TalkTray) hold = NULL;

      if (!g_str_equal (methods[i].name, method_name))
        continue;

      /* GDBus checks arguments against the introspection data already;
       * checking again keeps the unpacking below safe on its own. */
      if (!g_variant_is_of_type (parameters, G_VARIANT_TYPE (methods[i].signature)))
        {
          g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR,
                                                 G_DBUS_ERROR_INVALID_ARGS,
                                                 "Expected arguments %s, got %s",
                                                 methods[i].signature,
                                                 g_variant_get_type_string (parameters));
          return;
        }

      /* A signal handler may drop the last reference to the tray. */
      hold = g_object_ref (self);
      methods[i].handler (self, parameters, invocation);
      return;
    }

  g_dbus_method_invocation_return_error (invocation, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD,
                                         "No method “%s”", method_name);
}

static void
item_method_call_cb (GDBusConnection       *connection,
                     const char            *sender,
                     const char            *object_path,
                     const char            *interface_name,
                     const char            *method_name,
                     GVariant              *parameters,
                     GDBusMethodInvocation *invocation,
                     gpointer               user_data)
{
  dispatch_method (user_data, item_methods, G_N_ELEMENTS (item_methods), method_name,
                   parameters, invocation);
}

static void
menu_method_call_cb (GDBusConnection       *connection,
                     const char            *sender,
                     const char            *object_path,
                     const char            *interface_name,
                     const char            *method_name,
                     GVariant              *parameters,
                     GDBusMethodInvocation *invocation,
                     gpointer               user_data)
{
  dispatch_method (user_data, menu_methods, G_N_ELEMENTS (menu_methods), method_name,
                   parameters, invocation);
}

static GVariant *
item_get_property_cb (GDBusConnection *connection,
                      const char      *sender,
                      const char      *object_path,
                      const char      *interface_name,
                      const char      *property_name,
                      GError         **error,
                      gpointer         user_data)
{
  TalkTray *self = user_data;

  if (g_str_equal (property_name, "Category"))
    return g_variant_new_string ("Communications");
  if (g_str_equal (property_name, "Id"))
    return g_variant_new_string (self->app_id);
  if (g_str_equal (property_name, "Title"))
    return g_variant_new_string (_("Talk"));
  /* Always Active: "Passive" lets hosts hide the icon, and an offline user
   * needs it most, to come back online. */
  if (g_str_equal (property_name, "Status"))
    return g_variant_new_string ("Active");
  if (g_str_equal (property_name, "WindowId"))
    return g_variant_new_int32 (0);
  if (g_str_equal (property_name, "IconName"))
    return g_variant_new_string (presences[self->presence].icon_name);
  if (g_str_equal (property_name, "IconThemePath")
      || g_str_equal (property_name, "OverlayIconName")
      || g_str_equal (property_name, "AttentionIconName")
      || g_str_equal (property_name, "AttentionMovieName"))
    return g_variant_new_string ("");
  if (g_str_equal (property_name, "IconPixmap")
      || g_str_equal (property_name, "OverlayIconPixmap")
      || g_str_equal (property_name, "AttentionIconPixmap"))
    return empty_pixmaps ();
  if (g_str_equal (property_name, "ToolTip"))
    return build_tooltip (self);
  if (g_str_equal (property_name, "ItemIsMenu"))
    return g_variant_new_boolean (FALSE);
  if (g_str_equal (property_name, "Menu"))
    return g_variant_new_object_path (MENU_PATH);

  g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_PROPERTY,
               "No property “%s”", property_name);
  return NULL;
}

static GVariant *
menu_get_property_cb (GDBusConnection *connection,
                      const char      *sender,
                      const char      *object_path,
                      const char      *interface_name,
                      const char      *property_name,
                      GError         **error,
                      gpointer         user_data)
{
  if (g_str_equal (property_name, "Version"))
    return g_variant_new_uint32 (DBUSMENU_VERSION);
  if (g_str_equal (property_name, "TextDirection"))
    return g_variant_new_string (text_direction ());
  if (g_str_equal (property_name, "Status"))
    return g_variant_new_string ("normal");
  if (g_str_equal (property_name, "IconThemePath"))
    return g_variant_new_strv (NULL, 0);

  g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_PROPERTY,
               "No property “%s”", property_name);
  return NULL;
}

static const GDBusInterfaceVTable item_vtable = {
  item_method_call_cb,
  item_get_property_cb,
  NULL,
};

static const GDBusInterfaceVTable menu_vtable = {
  menu_method_call_cb,
  menu_get_property_cb,
  NULL,
};

/* --- the watcher --------------------------------------------------------- */

static void
set_available (TalkTray *self,
               gboolean  available)
{
  available = !!available;
  if (self->available == available)
    return;

  self->available = available;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AVAILABLE]);
}

static void
register_item_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  if (reply == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_debug ("Could not register the tray item: %s", error->message);
}

/* The spec takes either a bus name or an object path; the name is what
 * every watcher understands. */
static void
register_item (TalkTray *self)
{
  if (!self->name_owned || self->watcher_owner == NULL)
    return;

  g_dbus_connection_call (self->connection, self->watcher_owner, WATCHER_PATH,
                          WATCHER_INTERFACE, "RegisterStatusNotifierItem",
                          g_variant_new ("(s)", self->bus_name), G_VARIANT_TYPE_UNIT,
                          G_DBUS_CALL_FLAGS_NO_AUTO_START, -1, self->watcher_cancellable,
                          register_item_cb, self);
}

static void
query_host_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  TalkTray *self;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) value = NULL;
  g_autoptr(GError) error = NULL;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self = user_data;
  if (reply == NULL)
    {
      g_debug ("Could not ask the tray watcher for a host: %s", error->message);
      set_available (self, FALSE);
      return;
    }

  g_variant_get (reply, "(v)", &value);
  set_available (self, g_variant_is_of_type (value, G_VARIANT_TYPE_BOOLEAN)
                       && g_variant_get_boolean (value));
}

static void
query_host (TalkTray *self)
{
  g_dbus_connection_call (self->connection, self->watcher_owner, WATCHER_PATH,
                          "org.freedesktop.DBus.Properties", "Get",
                          g_variant_new ("(ss)", WATCHER_INTERFACE,
                                         "IsStatusNotifierHostRegistered"),
                          G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NO_AUTO_START, -1,
                          self->watcher_cancellable, query_host_cb, self);
}

/* StatusNotifierHostRegistered / -Unregistered: one host coming or going
 * says nothing about the others, so ask again. */
static void
watcher_signal_cb (GDBusConnection *connection,
                   const char      *sender_name,
                   const char      *object_path,
                   const char      *interface_name,
                   const char      *signal_name,
                   GVariant        *parameters,
                   gpointer         user_data)
{
  TalkTray *self = user_data;

  if (g_str_equal (signal_name, "StatusNotifierHostRegistered")
      || g_str_equal (signal_name, "StatusNotifierHostUnregistered"))
    query_host (self);
}

static void
watcher_properties_changed_cb (GDBusConnection *connection,
                               const char      *sender_name,
                               const char      *object_path,
                               const char      *interface_name,
                               const char      *signal_name,
                               GVariant        *parameters,
                               gpointer         user_data)
{
  TalkTray *self = user_data;
  const char *interface;
  g_autoptr(GVariant) changed = NULL;
  g_autoptr(GVariant) value = NULL;
  g_autofree const char **invalidated = NULL;

  if (!g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(sa{sv}as)")))
    return;

  g_variant_get (parameters, "(&s@a{sv}^a&s)", &interface, &changed, &invalidated);
  if (!g_str_equal (interface, WATCHER_INTERFACE))
    return;

  value = g_variant_lookup_value (changed, "IsStatusNotifierHostRegistered",
                                  G_VARIANT_TYPE_BOOLEAN);
  if (value != NULL)
    set_available (self, g_variant_get_boolean (value));
  else if (g_strv_contains (invalidated, "IsStatusNotifierHostRegistered"))
    query_host (self);
}

static void
watcher_forget (TalkTray *self)
{
  g_cancellable_cancel (self->watcher_cancellable);
  g_clear_object (&self->watcher_cancellable);

  if (self->watcher_signal_id != 0)
    {
      g_dbus_connection_signal_unsubscribe (self->connection, self->watcher_signal_id);
      self->watcher_signal_id = 0;
    }
  if (self->watcher_properties_id != 0)
    {
      g_dbus_connection_signal_unsubscribe (self->connection, self->watcher_properties_id);
      self->watcher_properties_id = 0;
    }

  g_clear_pointer (&self->watcher_owner, g_free);
}

static void
watcher_appeared_cb (GDBusConnection *connection,
                     const char      *name,
                     const char      *name_owner,
                     gpointer         user_data)
{
  TalkTray *self = user_data;

  watcher_forget (self);

  /* Signals are matched on the unique owner: only this watcher speaks. */
  self->watcher_owner = g_strdup (name_owner);
  self->watcher_cancellable = g_cancellable_new ();
  self->watcher_signal_id =
    g_dbus_connection_signal_subscribe (connection, name_owner, WATCHER_INTERFACE, NULL,
                                        WATCHER_PATH, NULL, G_DBUS_SIGNAL_FLAGS_NONE,
                                        watcher_signal_cb, self, NULL);
  self->watcher_properties_id =
    g_dbus_connection_signal_subscribe (connection, name_owner,
                                        "org.freedesktop.DBus.Properties", "PropertiesChanged",
                                        WATCHER_PATH, WATCHER_INTERFACE,
                                        G_DBUS_SIGNAL_FLAGS_NONE,
                                        watcher_properties_changed_cb, self, NULL);

  register_item (self);
  query_host (self);
}

static void
watcher_vanished_cb (GDBusConnection *connection,
                     const char      *name,
                     gpointer         user_data)
{
  TalkTray *self = user_data;

  watcher_forget (self);
  set_available (self, FALSE);
}

static void
name_acquired_cb (GDBusConnection *connection,
                  const char      *name,
                  gpointer         user_data)
{
  TalkTray *self = user_data;

  self->name_owned = TRUE;
  register_item (self);
}

static void
name_lost_cb (GDBusConnection *connection,
              const char      *name,
              gpointer         user_data)
{
  TalkTray *self = user_data;

  self->name_owned = FALSE;
  g_debug ("Tray item name %s not owned%s", name,
           connection == NULL ? ": the bus connection is closed" : "");
}

/* --- GObject ------------------------------------------------------------- */

static void
talk_tray_constructed (GObject *object)
{
  TalkTray *self = TALK_TRAY (object);
  static gint instance_counter;
  g_autoptr(GError) error = NULL;

  G_OBJECT_CLASS (talk_tray_parent_class)->constructed (object);

  g_assert (self->connection != NULL);
  g_assert (self->app_id != NULL);

  /* SNI spec §3: org.freedesktop.StatusNotifierItem-PID-ID; panels look
   * for the "org.kde" spelling. */
  self->bus_name = g_strdup_printf ("org.kde.StatusNotifierItem-%d-%d", (int) getpid (),
                                    g_atomic_int_add (&instance_counter, 1) + 1);

  self->item_registration_id =
    g_dbus_connection_register_object (self->connection, ITEM_PATH,
                                       g_dbus_node_info_lookup_interface (item_node_info,
                                                                          ITEM_INTERFACE),
                                       &item_vtable, self, NULL, &error);
  if (self->item_registration_id == 0)
    {
      g_warning ("Could not export the tray item: %s", error->message);
      return;
    }

  self->menu_registration_id =
    g_dbus_connection_register_object (self->connection, MENU_PATH,
                                       g_dbus_node_info_lookup_interface (menu_node_info,
                                                                          MENU_INTERFACE),
                                       &menu_vtable, self, NULL, &error);
  if (self->menu_registration_id == 0)
    {
      g_warning ("Could not export the tray menu: %s", error->message);
      return;
    }

  self->own_id = g_bus_own_name_on_connection (self->connection, self->bus_name,
                                               G_BUS_NAME_OWNER_FLAGS_DO_NOT_QUEUE,
                                               name_acquired_cb, name_lost_cb, self, NULL);
  self->watch_id = g_bus_watch_name_on_connection (self->connection, WATCHER_NAME,
                                                   G_BUS_NAME_WATCHER_FLAGS_NONE,
                                                   watcher_appeared_cb, watcher_vanished_cb,
                                                   self, NULL);
}

static void
talk_tray_dispose (GObject *object)
{
  TalkTray *self = TALK_TRAY (object);

  g_clear_handle_id (&self->watch_id, g_bus_unwatch_name);
  g_clear_handle_id (&self->own_id, g_bus_unown_name);
  self->name_owned = FALSE;

  if (self->connection != NULL)
    {
      watcher_forget (self);

      if (self->menu_registration_id != 0)
        g_dbus_connection_unregister_object (self->connection, self->menu_registration_id);
      if (self->item_registration_id != 0)
        g_dbus_connection_unregister_object (self->connection, self->item_registration_id);
    }
  self->menu_registration_id = 0;
  self->item_registration_id = 0;

  g_clear_object (&self->connection);

  G_OBJECT_CLASS (talk_tray_parent_class)->dispose (object);
}

static void
talk_tray_finalize (GObject *object)
{
  TalkTray *self = TALK_TRAY (object);

  g_free (self->app_id);
  g_free (self->bus_name);
  g_free (self->status_message);

  G_OBJECT_CLASS (talk_tray_parent_class)->finalize (object);
}

static void
talk_tray_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  TalkTray *self = TALK_TRAY (object);

  switch (prop_id)
    {
    case PROP_CONNECTION:
      g_value_set_object (value, self->connection);
      break;

    case PROP_APP_ID:
      g_value_set_string (value, self->app_id);
      break;

    case PROP_PRESENCE:
      g_value_set_string (value, talk_tray_get_presence (self));
      break;

    case PROP_STATUS_MESSAGE:
      g_value_set_string (value, self->status_message);
      break;

    case PROP_WINDOW_VISIBLE:
      g_value_set_boolean (value, self->window_visible);
      break;

    case PROP_AVAILABLE:
      g_value_set_boolean (value, self->available);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
talk_tray_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  TalkTray *self = TALK_TRAY (object);

  switch (prop_id)
    {
    case PROP_CONNECTION:
      self->connection = g_value_dup_object (value);
      break;

    case PROP_APP_ID:
      self->app_id = g_value_dup_string (value);
      break;

    case PROP_PRESENCE:
      talk_tray_set_presence (self, g_value_get_string (value));
      break;

    case PROP_STATUS_MESSAGE:
      talk_tray_set_status_message (self, g_value_get_string (value));
      break;

    case PROP_WINDOW_VISIBLE:
      talk_tray_set_window_visible (self, g_value_get_boolean (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
talk_tray_class_init (TalkTrayClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  g_autoptr(GError) error = NULL;

  object_class->constructed = talk_tray_constructed;
  object_class->dispose = talk_tray_dispose;
  object_class->finalize = talk_tray_finalize;
  object_class->get_property = talk_tray_get_property;
  object_class->set_property = talk_tray_set_property;

  item_node_info = g_dbus_node_info_new_for_xml (item_xml, &error);
  if (item_node_info == NULL)
    g_error ("Tray item introspection data: %s", error->message);
  menu_node_info = g_dbus_node_info_new_for_xml (menu_xml, &error);
  if (menu_node_info == NULL)
    g_error ("Tray menu introspection data: %s", error->message);

  properties[PROP_CONNECTION] =
    g_param_spec_object ("connection", NULL, NULL, G_TYPE_DBUS_CONNECTION,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  properties[PROP_APP_ID] =
    g_param_spec_string ("app-id", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  properties[PROP_PRESENCE] =
    g_param_spec_string ("presence", NULL, NULL, presences[PRESENCE_OFFLINE].show,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  properties[PROP_STATUS_MESSAGE] =
    g_param_spec_string ("status-message", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  properties[PROP_WINDOW_VISIBLE] =
    g_param_spec_boolean ("window-visible", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  properties[PROP_AVAILABLE] =
    g_param_spec_boolean ("available", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[PRESENCE_SELECTED] =
    g_signal_new ("presence-selected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING | G_SIGNAL_TYPE_STATIC_SCOPE);

  signals[TOGGLE_WINDOW] =
    g_signal_new ("toggle-window", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);

  signals[QUIT] =
    g_signal_new ("quit", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
talk_tray_init (TalkTray *self)
{
  self->presence = PRESENCE_OFFLINE;
}

TalkTray *
talk_tray_new (GDBusConnection *connection,
               const char      *app_id)
{
  g_return_val_if_fail (G_IS_DBUS_CONNECTION (connection), NULL);
  g_return_val_if_fail (app_id != NULL, NULL);

  return g_object_new (TALK_TYPE_TRAY,
                       "connection", connection,
                       "app-id", app_id,
                       NULL);
}

const char *
talk_tray_get_presence (TalkTray *self)
{
  g_return_val_if_fail (TALK_IS_TRAY (self), NULL);

  return presences[self->presence].show;
}

void
talk_tray_set_presence (TalkTray   *self,
                        const char *presence)
{
  guint i;
  gint32 changed[2];

  g_return_if_fail (TALK_IS_TRAY (self));
  g_return_if_fail (presence != NULL);

  if (!presence_lookup (presence, &i))
    {
      g_critical ("Unknown presence “%s”", presence);
      return;
    }

  if (i == self->presence)
    return;

  changed[0] = ITEM_PRESENCE_FIRST + self->presence;
  changed[1] = ITEM_PRESENCE_FIRST + i;
  self->presence = i;

  emit_signal (self, ITEM_PATH, ITEM_INTERFACE, "NewIcon", NULL);
  emit_signal (self, ITEM_PATH, ITEM_INTERFACE, "NewToolTip", NULL);
  menu_items_changed (self, changed, G_N_ELEMENTS (changed),
                      (const char * const []) { "toggle-state", NULL });

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PRESENCE]);
}

const char *
talk_tray_get_status_message (TalkTray *self)
{
  g_return_val_if_fail (TALK_IS_TRAY (self), NULL);

  return self->status_message;
}

void
talk_tray_set_status_message (TalkTray   *self,
                              const char *status_message)
{
  g_autofree char *valid = NULL;

  g_return_if_fail (TALK_IS_TRAY (self));

  /* An empty message is no message: the tooltip shows the presence alone.
   * The text may come from the network, and D-Bus strings must be UTF-8. */
  if (status_message != NULL && *status_message != '\0')
    valid = g_utf8_make_valid (status_message, -1);

  if (g_strcmp0 (self->status_message, valid) == 0)
    return;

  g_free (self->status_message);
  self->status_message = g_steal_pointer (&valid);
  emit_signal (self, ITEM_PATH, ITEM_INTERFACE, "NewToolTip", NULL);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS_MESSAGE]);
}

gboolean
talk_tray_get_window_visible (TalkTray *self)
{
  g_return_val_if_fail (TALK_IS_TRAY (self), FALSE);

  return self->window_visible;
}

void
talk_tray_set_window_visible (TalkTray *self,
                              gboolean  window_visible)
{
  static const gint32 changed[] = { ITEM_WINDOW };

  g_return_if_fail (TALK_IS_TRAY (self));

  window_visible = !!window_visible;
  if (self->window_visible == window_visible)
    return;

  self->window_visible = window_visible;
  menu_items_changed (self, changed, G_N_ELEMENTS (changed),
                      (const char * const []) { "label", "accessible-desc", NULL });

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WINDOW_VISIBLE]);
}

gboolean
talk_tray_get_available (TalkTray *self)
{
  g_return_val_if_fail (TALK_IS_TRAY (self), FALSE);

  return self->available;
}

const char *
talk_tray_get_bus_name (TalkTray *self)
{
  g_return_val_if_fail (TALK_IS_TRAY (self), NULL);

  return self->bus_name;
}
