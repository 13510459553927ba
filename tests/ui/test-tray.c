/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>

#include "talk-tray.h"

/*
 * Each test runs a private bus (GTestDBus) and plays the desktop panel on
 * its own connection: it owns org.kde.StatusNotifierWatcher, records the
 * items that register, and talks to the tray the way a host does, over
 * org.kde.StatusNotifierItem and com.canonical.dbusmenu. The tray has a
 * second connection, as an application would.
 *
 * Tray and panel share this thread, so every call from the panel is made
 * asynchronously while the main context turns.
 */

#define WATCHER_NAME      "org.kde.StatusNotifierWatcher"
#define WATCHER_PATH      "/StatusNotifierWatcher"
#define WATCHER_INTERFACE "org.kde.StatusNotifierWatcher"
#define ITEM_PATH         "/StatusNotifierItem"
#define ITEM_INTERFACE    "org.kde.StatusNotifierItem"
#define MENU_PATH         "/StatusNotifierItem/Menu"
#define MENU_INTERFACE    "com.canonical.dbusmenu"
#define PROPERTIES        "org.freedesktop.DBus.Properties"
#define APP_ID            "com.example.Talk"

static const char watcher_xml[] =
  "<node>"
  "  <interface name='" WATCHER_INTERFACE "'>"
  "    <method name='RegisterStatusNotifierItem'>"
  "      <arg name='service' type='s' direction='in'/>"
  "    </method>"
  "    <method name='RegisterStatusNotifierHost'>"
  "      <arg name='service' type='s' direction='in'/>"
  "    </method>"
  "    <property name='RegisteredStatusNotifierItems' type='as' access='read'/>"
  "    <property name='IsStatusNotifierHostRegistered' type='b' access='read'/>"
  "    <property name='ProtocolVersion' type='i' access='read'/>"
  "    <signal name='StatusNotifierItemRegistered'><arg type='s'/></signal>"
  "    <signal name='StatusNotifierItemUnregistered'><arg type='s'/></signal>"
  "    <signal name='StatusNotifierHostRegistered'/>"
  "    <signal name='StatusNotifierHostUnregistered'/>"
  "  </interface>"
  "</node>";

static const struct
{
  const char *label;
  const char *show;
  const char *icon_name;
} expected_presences[] = {
  { "Available", "available", "user-available-symbolic" },
  { "Away", "away", "user-away-symbolic" },
  { "Busy", "dnd", "user-busy-symbolic" },
  { "Extended away", "xa", "user-idle-symbolic" },
  { "Offline", "offline", "user-offline-symbolic" },
};

typedef enum {
  SETUP_REGISTERED,   /* watcher with a host, tray created and registered */
  SETUP_NO_HOST,      /* watcher without a host, tray registered */
  SETUP_EMPTY,        /* bus and connections only */
} SetupMode;

typedef struct
{
  GTestDBus       *bus;
  GDBusConnection *panel;
  GDBusConnection *app;

  GDBusNodeInfo   *watcher_info;
  guint            watcher_object_id;
  guint            watcher_own_id;
  gboolean         watcher_owned;
  gboolean         host_registered;
  guint            host_queries;
  GPtrArray       *registered;

  guint            item_signal_id;
  guint            menu_signal_id;
  GPtrArray       *item_signals;
  GPtrArray       *menu_signals;

  TalkTray        *tray;
  GPtrArray       *presence_selected;
  guint            toggle_window;
  guint            quit;
  guint            notify_presence;
  guint            notify_window_visible;
  guint            notify_available;
} Fixture;

static gboolean
timeout_cb (gpointer user_data)
{
  gboolean *timed_out = user_data;

  *timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

/* Turns the main context until EXPR holds, failing after ten seconds. */
#define WAIT_UNTIL(expr)                                                \
  G_STMT_START {                                                        \
    gboolean timed_out_ = FALSE;                                        \
    guint timeout_id_ = g_timeout_add_seconds (10, timeout_cb, &timed_out_); \
    while (!(expr) && !timed_out_)                                      \
      g_main_context_iteration (NULL, TRUE);                            \
    if (!timed_out_)                                                    \
      g_source_remove (timeout_id_);                                    \
    g_assert_true (expr);                                               \
  } G_STMT_END

typedef struct
{
  GVariant *reply;
  GError   *error;
  gboolean  done;
} CallResult;

static void
call_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  CallResult *r = user_data;

  r->reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &r->error);
  r->done = TRUE;
}

static GVariant *
call_on (GDBusConnection *connection,
         const char      *destination,
         const char      *path,
         const char      *interface,
         const char      *method,
         GVariant        *parameters,
         const char      *reply_type,
         GError         **error)
{
  CallResult r = { NULL, NULL, FALSE };

  g_dbus_connection_call (connection, destination, path, interface, method, parameters,
                          reply_type != NULL ? G_VARIANT_TYPE (reply_type) : NULL,
                          G_DBUS_CALL_FLAGS_NO_AUTO_START, 5000, NULL, call_done_cb, &r);
  while (!r.done)
    g_main_context_iteration (NULL, TRUE);

  if (r.error != NULL)
    g_propagate_error (error, r.error);
  return r.reply;
}

static const char *
item_service (Fixture *f)
{
  g_assert_cmpuint (f->registered->len, >, 0);
  return g_ptr_array_index (f->registered, f->registered->len - 1);
}

/* A call from the panel to the registered tray. */
static GVariant *
call (Fixture    *f,
      const char *path,
      const char *interface,
      const char *method,
      GVariant   *parameters,
      const char *reply_type,
      GError    **error)
{
  return call_on (f->panel, item_service (f), path, interface, method, parameters,
                  reply_type, error);
}

static GVariant *
call_ok (Fixture    *f,
         const char *path,
         const char *interface,
         const char *method,
         GVariant   *parameters,
         const char *reply_type)
{
  g_autoptr(GError) error = NULL;
  GVariant *reply = call (f, path, interface, method, parameters, reply_type, &error);

  g_assert_no_error (error);
  g_assert_nonnull (reply);
  return reply;
}

static gboolean
name_has_owner (Fixture    *f,
                const char *name)
{
  g_autoptr(GVariant) reply = NULL;
  gboolean has_owner;

  reply = call_on (f->panel, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                   "org.freedesktop.DBus", "NameHasOwner", g_variant_new ("(s)", name),
                   "(b)", NULL);
  g_assert_nonnull (reply);
  g_variant_get (reply, "(b)", &has_owner);
  return has_owner;
}

/* --- the panel's watcher ------------------------------------------------- */

static void
watcher_method_call_cb (GDBusConnection       *connection,
                        const char            *sender,
                        const char            *object_path,
                        const char            *interface_name,
                        const char            *method_name,
                        GVariant              *parameters,
                        GDBusMethodInvocation *invocation,
                        gpointer               user_data)
{
  Fixture *f = user_data;
  const char *service;

  g_variant_get (parameters, "(&s)", &service);
  if (g_str_equal (method_name, "RegisterStatusNotifierItem"))
    {
      g_ptr_array_add (f->registered, g_strdup (service));
      g_dbus_connection_emit_signal (connection, NULL, WATCHER_PATH, WATCHER_INTERFACE,
                                     "StatusNotifierItemRegistered",
                                     g_variant_new ("(s)", service), NULL);
    }
  g_dbus_method_invocation_return_value (invocation, NULL);
}

static GVariant *
watcher_get_property_cb (GDBusConnection *connection,
                         const char      *sender,
                         const char      *object_path,
                         const char      *interface_name,
                         const char      *property_name,
                         GError         **error,
                         gpointer         user_data)
{
  Fixture *f = user_data;

  if (g_str_equal (property_name, "RegisteredStatusNotifierItems"))
    return g_variant_new_strv ((const char * const *) f->registered->pdata, f->registered->len);
  if (g_str_equal (property_name, "IsStatusNotifierHostRegistered"))
    {
      f->host_queries++;
      return g_variant_new_boolean (f->host_registered);
    }
  return g_variant_new_int32 (0);
}

static const GDBusInterfaceVTable watcher_vtable = {
  watcher_method_call_cb,
  watcher_get_property_cb,
  NULL,
};

static void
watcher_acquired_cb (GDBusConnection *connection,
                     const char      *name,
                     gpointer         user_data)
{
  Fixture *f = user_data;

  f->watcher_owned = TRUE;
}

static void
watcher_lost_cb (GDBusConnection *connection,
                 const char      *name,
                 gpointer         user_data)
{
  Fixture *f = user_data;

  f->watcher_owned = FALSE;
}

static void
watcher_start (Fixture *f)
{
  g_autoptr(GError) error = NULL;

  f->watcher_object_id =
    g_dbus_connection_register_object (f->panel, WATCHER_PATH, f->watcher_info->interfaces[0],
                                       &watcher_vtable, f, NULL, &error);
  g_assert_no_error (error);

  f->watcher_own_id = g_bus_own_name_on_connection (f->panel, WATCHER_NAME,
                                                    G_BUS_NAME_OWNER_FLAGS_NONE,
                                                    watcher_acquired_cb, watcher_lost_cb,
                                                    f, NULL);
  WAIT_UNTIL (f->watcher_owned);
}

static void
watcher_stop (Fixture *f)
{
  g_clear_handle_id (&f->watcher_own_id, g_bus_unown_name);
  f->watcher_owned = FALSE;
  g_dbus_connection_unregister_object (f->panel, f->watcher_object_id);
  f->watcher_object_id = 0;
}

static void
watcher_emit (Fixture    *f,
              const char *interface,
              const char *name,
              GVariant   *parameters)
{
  g_autoptr(GError) error = NULL;

  g_dbus_connection_emit_signal (f->panel, NULL, WATCHER_PATH, interface, name, parameters,
                                 &error);
  g_assert_no_error (error);
}

/* --- what the panel and the application see ----------------------------- */

static void
item_signal_cb (GDBusConnection *connection,
                const char      *sender_name,
                const char      *object_path,
                const char      *interface_name,
                const char      *signal_name,
                GVariant        *parameters,
                gpointer         user_data)
{
  Fixture *f = user_data;

  g_ptr_array_add (f->item_signals, g_strdup (signal_name));
}

static void
menu_signal_cb (GDBusConnection *connection,
                const char      *sender_name,
                const char      *object_path,
                const char      *interface_name,
                const char      *signal_name,
                GVariant        *parameters,
                gpointer         user_data)
{
  Fixture *f = user_data;

  g_ptr_array_add (f->menu_signals,
                   g_variant_ref_sink (g_variant_new ("(sv)", signal_name, parameters)));
}

static guint
count_item_signals (Fixture    *f,
                    const char *name)
{
  guint n = 0;

  for (guint i = 0; i < f->item_signals->len; i++)
    n += g_str_equal (g_ptr_array_index (f->item_signals, i), name);
  return n;
}

/* The parameters of the last menu signal called NAME, or NULL. */
static GVariant *
last_menu_signal (Fixture    *f,
                  const char *name)
{
  for (guint i = f->menu_signals->len; i > 0; i--)
    {
      GVariant *signal = g_ptr_array_index (f->menu_signals, i - 1);
      const char *signal_name;
      GVariant *parameters;

      g_variant_get (signal, "(&sv)", &signal_name, &parameters);
      if (g_str_equal (signal_name, name))
        return parameters;
      g_variant_unref (parameters);
    }
  return NULL;
}

static guint
count_menu_signals (Fixture    *f,
                    const char *name)
{
  guint n = 0;

  for (guint i = 0; i < f->menu_signals->len; i++)
    {
      const char *signal_name;

      g_variant_get_child (g_ptr_array_index (f->menu_signals, i), 0, "&s", &signal_name);
      n += g_str_equal (signal_name, name);
    }
  return n;
}

static void
presence_selected_cb (TalkTray   *tray,
                      const char *show,
                      Fixture    *f)
{
  g_ptr_array_add (f->presence_selected, g_strdup (show));
}

static void
toggle_window_cb (TalkTray *tray,
                  Fixture  *f)
{
  f->toggle_window++;
}

static void
quit_cb (TalkTray *tray,
         Fixture  *f)
{
  f->quit++;
}

static void
notify_cb (TalkTray   *tray,
           GParamSpec *pspec,
           Fixture    *f)
{
  if (g_str_equal (pspec->name, "presence"))
    f->notify_presence++;
  else if (g_str_equal (pspec->name, "window-visible"))
    f->notify_window_visible++;
  else if (g_str_equal (pspec->name, "available"))
    f->notify_available++;
}

static void
tray_create (Fixture *f)
{
  f->tray = talk_tray_new (f->app, APP_ID);
  g_signal_connect (f->tray, "presence-selected", G_CALLBACK (presence_selected_cb), f);
  g_signal_connect (f->tray, "toggle-window", G_CALLBACK (toggle_window_cb), f);
  g_signal_connect (f->tray, "quit", G_CALLBACK (quit_cb), f);
  g_signal_connect (f->tray, "notify", G_CALLBACK (notify_cb), f);
}

static GDBusConnection *
bus_connect (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  GDBusConnection *connection;

  connection = g_dbus_connection_new_for_address_sync (g_test_dbus_get_bus_address (f->bus),
                                                       G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                       G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                       NULL, NULL, &error);
  g_assert_no_error (error);
  return connection;
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  SetupMode mode = GPOINTER_TO_INT (data);
  g_autoptr(GError) error = NULL;

  f->bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (f->bus);
  f->panel = bus_connect (f);
  f->app = bus_connect (f);

  f->watcher_info = g_dbus_node_info_new_for_xml (watcher_xml, &error);
  g_assert_no_error (error);
  f->registered = g_ptr_array_new_with_free_func (g_free);
  f->item_signals = g_ptr_array_new_with_free_func (g_free);
  f->menu_signals = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  f->presence_selected = g_ptr_array_new_with_free_func (g_free);

  f->item_signal_id =
    g_dbus_connection_signal_subscribe (f->panel, NULL, ITEM_INTERFACE, NULL, ITEM_PATH, NULL,
                                        G_DBUS_SIGNAL_FLAGS_NONE, item_signal_cb, f, NULL);
  f->menu_signal_id =
    g_dbus_connection_signal_subscribe (f->panel, NULL, MENU_INTERFACE, NULL, MENU_PATH, NULL,
                                        G_DBUS_SIGNAL_FLAGS_NONE, menu_signal_cb, f, NULL);

  if (mode == SETUP_EMPTY)
    return;

  f->host_registered = mode == SETUP_REGISTERED;
  watcher_start (f);
  tray_create (f);
  WAIT_UNTIL (f->registered->len == 1);
  if (mode == SETUP_REGISTERED)
    WAIT_UNTIL (talk_tray_get_available (f->tray));
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_object (&f->tray);
  if (f->watcher_own_id != 0)
    watcher_stop (f);
  g_dbus_connection_signal_unsubscribe (f->panel, f->item_signal_id);
  g_dbus_connection_signal_unsubscribe (f->panel, f->menu_signal_id);

  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_dbus_connection_close_sync (f->panel, NULL, NULL);
  g_dbus_connection_close_sync (f->app, NULL, NULL);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_clear_object (&f->panel);
  g_clear_object (&f->app);

  g_test_dbus_down (f->bus);
  g_clear_object (&f->bus);

  g_clear_pointer (&f->watcher_info, g_dbus_node_info_unref);
  g_clear_pointer (&f->registered, g_ptr_array_unref);
  g_clear_pointer (&f->item_signals, g_ptr_array_unref);
  g_clear_pointer (&f->menu_signals, g_ptr_array_unref);
  g_clear_pointer (&f->presence_selected, g_ptr_array_unref);
}

/* --- reading the item and the menu -------------------------------------- */

static GVariant *
get_item_properties (Fixture *f)
{
  g_autoptr(GVariant) reply = NULL;
  GVariant *props;

  reply = call_ok (f, ITEM_PATH, PROPERTIES, "GetAll", g_variant_new ("(s)", ITEM_INTERFACE),
                   "(a{sv})");
  g_variant_get (reply, "(@a{sv})", &props);
  return props;
}

static char *
get_icon_name (Fixture *f)
{
  g_autoptr(GVariant) props = get_item_properties (f);
  char *icon_name = NULL;

  g_assert_true (g_variant_lookup (props, "IconName", "s", &icon_name));
  return icon_name;
}

static GVariant *
get_layout_full (Fixture            *f,
                 gint32              parent_id,
                 gint32              depth,
                 const char * const *names,
                 guint              *out_revision)
{
  g_autoptr(GVariant) reply = NULL;
  GVariant *layout;
  guint revision;

  reply = call_ok (f, MENU_PATH, MENU_INTERFACE, "GetLayout",
                   g_variant_new ("(ii^as)", parent_id, depth, names), "(u(ia{sv}av))");
  g_variant_get (reply, "(u@(ia{sv}av))", &revision, &layout);
  if (out_revision != NULL)
    *out_revision = revision;
  return layout;
}

static GVariant *
get_layout (Fixture *f,
            guint   *out_revision)
{
  static const char * const no_names[] = { NULL };

  return get_layout_full (f, 0, -1, no_names, out_revision);
}

/* The (ia{sv}av) of child INDEX of the layout. */
static GVariant *
layout_child (GVariant *layout,
              gsize     index_)
{
  g_autoptr(GVariant) children = g_variant_get_child_value (layout, 2);
  g_autoptr(GVariant) boxed = g_variant_get_child_value (children, index_);

  return g_variant_get_variant (boxed);
}

static gsize
layout_n_children (GVariant *layout)
{
  g_autoptr(GVariant) children = g_variant_get_child_value (layout, 2);

  return g_variant_n_children (children);
}

static gint32
layout_id (GVariant *item)
{
  gint32 id;

  g_variant_get_child (item, 0, "i", &id);
  return id;
}

static GVariant *
layout_props (GVariant *item)
{
  return g_variant_get_child_value (item, 1);
}

static char *
layout_label (GVariant *item)
{
  g_autoptr(GVariant) props = layout_props (item);
  char *label = NULL;

  g_variant_lookup (props, "label", "s", &label);
  return label;
}

/* Finds a menu item by label, as a panel user does. */
static gint32
find_item (Fixture    *f,
           const char *label)
{
  g_autoptr(GVariant) layout = get_layout (f, NULL);

  for (gsize i = 0; i < layout_n_children (layout); i++)
    {
      g_autoptr(GVariant) item = layout_child (layout, i);
      g_autofree char *item_label = layout_label (item);

      if (g_strcmp0 (item_label, label) == 0)
        return layout_id (item);
    }

  g_assert_not_reached ();
  return -1;
}

static gint32
find_toggled_item (Fixture *f)
{
  g_autoptr(GVariant) layout = get_layout (f, NULL);
  gint32 toggled = -1;

  for (gsize i = 0; i < layout_n_children (layout); i++)
    {
      g_autoptr(GVariant) item = layout_child (layout, i);
      g_autoptr(GVariant) props = layout_props (item);
      gint32 state;

      if (g_variant_lookup (props, "toggle-state", "i", &state) && state == 1)
        {
          g_assert_cmpint (toggled, ==, -1);
          toggled = layout_id (item);
        }
    }

  return toggled;
}

static void
send_event (Fixture    *f,
            gint32      id,
            const char *event_id)
{
  g_autoptr(GVariant) reply = NULL;

  reply = call_ok (f, MENU_PATH, MENU_INTERFACE, "Event",
                   g_variant_new ("(isvu)", id, event_id, g_variant_new_int32 (0), 0), "()");
}

static char *
get_menu_string_property (Fixture    *f,
                          gint32      id,
                          const char *name)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) value = NULL;

  reply = call_ok (f, MENU_PATH, MENU_INTERFACE, "GetProperty", g_variant_new ("(is)", id, name),
                   "(v)");
  g_variant_get (reply, "(v)", &value);
  g_assert_true (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING));
  return g_variant_dup_string (value, NULL);
}

/* --- tests --------------------------------------------------------------- */

static void
test_register (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *prefix = g_strdup_printf ("org.kde.StatusNotifierItem-%d-", (int) getpid ());
  g_autoptr(GVariant) reply = NULL;
  const char *owner;

  g_assert_cmpuint (f->registered->len, ==, 1);
  g_assert_cmpstr (item_service (f), ==, talk_tray_get_bus_name (f->tray));
  g_assert_true (g_str_has_prefix (item_service (f), prefix));

  /* The registered name belongs to the application's connection. */
  reply = call_on (f->panel, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                   "org.freedesktop.DBus", "GetNameOwner", g_variant_new ("(s)", item_service (f)),
                   "(s)", NULL);
  g_assert_nonnull (reply);
  g_variant_get (reply, "(&s)", &owner);
  g_assert_cmpstr (owner, ==, g_dbus_connection_get_unique_name (f->app));

  g_assert_true (talk_tray_get_available (f->tray));
  g_assert_cmpuint (f->notify_available, ==, 1);
}

static void
test_item_properties (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GVariant) props = get_item_properties (f);
  g_autoptr(GVariant) tooltip = NULL;
  g_autoptr(GVariant) pixmaps = NULL;
  const char *str;
  gboolean item_is_menu = TRUE;

  g_assert_true (g_variant_lookup (props, "Category", "&s", &str));
  g_assert_cmpstr (str, ==, "Communications");
  g_assert_true (g_variant_lookup (props, "Id", "&s", &str));
  g_assert_cmpstr (str, ==, APP_ID);
  g_assert_true (g_variant_lookup (props, "Title", "&s", &str));
  g_assert_cmpstr (str, ==, "Talk");
  g_assert_true (g_variant_lookup (props, "Status", "&s", &str));
  g_assert_cmpstr (str, ==, "Active");
  g_assert_true (g_variant_lookup (props, "IconName", "&s", &str));
  g_assert_cmpstr (str, ==, "user-offline-symbolic");
  g_assert_true (g_variant_lookup (props, "Menu", "&o", &str));
  g_assert_cmpstr (str, ==, MENU_PATH);
  g_assert_true (g_variant_lookup (props, "ItemIsMenu", "b", &item_is_menu));
  g_assert_false (item_is_menu);

  tooltip = g_variant_lookup_value (props, "ToolTip", G_VARIANT_TYPE ("(sa(iiay)ss)"));
  g_assert_nonnull (tooltip);
  g_variant_get_child (tooltip, 0, "&s", &str);
  g_assert_cmpstr (str, ==, "user-offline-symbolic");
  pixmaps = g_variant_get_child_value (tooltip, 1);
  g_assert_cmpuint (g_variant_n_children (pixmaps), ==, 0);
  g_variant_get_child (tooltip, 2, "&s", &str);
  g_assert_cmpstr (str, ==, "Talk");
  g_variant_get_child (tooltip, 3, "&s", &str);
  g_assert_cmpstr (str, ==, "Offline");
}

static void
test_icon_names (Fixture       *f,
                 gconstpointer  data)
{
  for (guint i = 0; i < G_N_ELEMENTS (expected_presences); i++)
    {
      g_autofree char *icon_name = NULL;

      g_object_set (f->tray, "presence", expected_presences[i].show, NULL);
      g_assert_cmpstr (talk_tray_get_presence (f->tray), ==, expected_presences[i].show);
      icon_name = get_icon_name (f);
      g_assert_cmpstr (icon_name, ==, expected_presences[i].icon_name);
    }

  /* Anything else is a programming error and changes nothing. */
  g_test_expect_message ("talk-ui", G_LOG_LEVEL_CRITICAL, "*Unknown presence*chat*");
  talk_tray_set_presence (f->tray, "chat");
  g_test_assert_expected_messages ();
  g_assert_cmpstr (talk_tray_get_presence (f->tray), ==, "offline");
}

static void
test_menu_layout (Fixture       *f,
                  gconstpointer  data)
{
  static const char * const labels_only[] = { "label", NULL };
  g_autoptr(GVariant) layout = get_layout (f, NULL);
  g_autoptr(GVariant) root_props = layout_props (layout);
  g_autoptr(GHashTable) ids = g_hash_table_new (NULL, NULL);
  g_autoptr(GVariant) shallow = NULL;
  g_autoptr(GVariant) filtered = NULL;
  const char *str;
  gsize i;

  g_assert_cmpint (layout_id (layout), ==, 0);
  g_assert_true (g_variant_lookup (root_props, "children-display", "&s", &str));
  g_assert_cmpstr (str, ==, "submenu");
  g_assert_cmpuint (layout_n_children (layout), ==, 9);

  for (i = 0; i < layout_n_children (layout); i++)
    {
      g_autoptr(GVariant) item = layout_child (layout, i);
      g_autoptr(GVariant) props = layout_props (item);
      g_autoptr(GVariant) grandchildren = g_variant_get_child_value (item, 2);
      const char *type = "standard";
      const char *label = NULL;
      const char *description = NULL;

      g_assert_cmpint (layout_id (item), >, 0);
      g_assert_false (g_hash_table_contains (ids, GINT_TO_POINTER (layout_id (item))));
      g_hash_table_add (ids, GINT_TO_POINTER (layout_id (item)));
      g_assert_cmpuint (g_variant_n_children (grandchildren), ==, 0);

      g_variant_lookup (props, "type", "&s", &type);
      g_variant_lookup (props, "label", "&s", &label);
      g_variant_lookup (props, "accessible-desc", "&s", &description);

      if (i == 5 || i == 7)
        {
          g_assert_cmpstr (type, ==, "separator");
          continue;
        }

      g_assert_cmpstr (type, ==, "standard");
      g_assert_nonnull (label);
      g_assert_nonnull (description);
      g_assert_cmpuint (strlen (description), >, 0);

      if (i < G_N_ELEMENTS (expected_presences))
        {
          const char *toggle_type = NULL;
          gint32 toggle_state = -1;

          g_assert_cmpstr (label, ==, expected_presences[i].label);
          g_assert_true (g_variant_lookup (props, "toggle-type", "&s", &toggle_type));
          g_assert_cmpstr (toggle_type, ==, "radio");
          g_assert_true (g_variant_lookup (props, "toggle-state", "i", &toggle_state));
          /* A new tray starts offline. */
          g_assert_cmpint (toggle_state, ==, g_str_equal (label, "Offline") ? 1 : 0);
        }
      else
        {
          g_assert_false (g_variant_lookup (props, "toggle-type", "&s", &str));
          g_assert_cmpstr (label, ==, i == 6 ? "Show Talk" : "Quit");
        }
    }

  /* recursionDepth 0: the root alone. */
  shallow = get_layout_full (f, 0, 0, labels_only, NULL);
  g_assert_cmpuint (layout_n_children (shallow), ==, 0);

  /* propertyNames filters what is sent. */
  filtered = get_layout_full (f, 0, -1, labels_only, NULL);
  g_assert_cmpuint (layout_n_children (filtered), ==, 9);
  for (i = 0; i < layout_n_children (filtered); i++)
    {
      g_autoptr(GVariant) item = layout_child (filtered, i);
      g_autoptr(GVariant) props = layout_props (item);
      g_autoptr(GVariant) label = g_variant_lookup_value (props, "label", NULL);

      g_assert_cmpuint (g_variant_n_children (props), ==, label != NULL ? 1 : 0);
      g_assert_true (label != NULL || i == 5 || i == 7);
    }
}

static void
test_menu_queries (Fixture       *f,
                   gconstpointer  data)
{
  gint32 busy = find_item (f, "Busy");
  gint32 quit = find_item (f, "Quit");
  g_autoptr(GVariant) menu_props = NULL;
  g_autoptr(GVariant) theme_path = NULL;
  g_autoptr(GVariant) group = NULL;
  g_autoptr(GVariant) all = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) single = NULL;
  g_autoptr(GVariant) expected = NULL;
  g_autofree char *label = NULL;
  g_autofree char *description = NULL;
  guint32 version = 0;
  const char *str;
  gboolean need_update = TRUE;
  gint32 id;

  reply = call_ok (f, MENU_PATH, PROPERTIES, "GetAll", g_variant_new ("(s)", MENU_INTERFACE),
                   "(a{sv})");
  g_variant_get (reply, "(@a{sv})", &menu_props);
  g_assert_true (g_variant_lookup (menu_props, "Version", "u", &version));
  g_assert_cmpuint (version, ==, 3);
  g_assert_true (g_variant_lookup (menu_props, "Status", "&s", &str));
  g_assert_cmpstr (str, ==, "normal");
  g_assert_true (g_variant_lookup (menu_props, "TextDirection", "&s", &str));
  g_assert_cmpstr (str, ==, "ltr");
  theme_path = g_variant_lookup_value (menu_props, "IconThemePath", G_VARIANT_TYPE_STRING_ARRAY);
  g_assert_nonnull (theme_path);
  g_clear_pointer (&reply, g_variant_unref);

  label = get_menu_string_property (f, busy, "label");
  g_assert_cmpstr (label, ==, "Busy");
  description = get_menu_string_property (f, quit, "accessible-desc");
  g_assert_cmpstr (description, ==, "Quit Talk");

  /* Unknown ids are left out of the answer. */
  reply = call_ok (f, MENU_PATH, MENU_INTERFACE, "GetGroupProperties",
                   g_variant_new_parsed ("([%i, 4242, %i], ['label', 'toggle-state'])", busy,
                                         quit),
                   "(a(ia{sv}))");
  g_variant_get (reply, "(@a(ia{sv}))", &group);
  g_assert_cmpuint (g_variant_n_children (group), ==, 2);
  g_variant_get_child (group, 0, "(i@a{sv})", &id, &single);
  g_assert_cmpint (id, ==, busy);
  g_assert_cmpuint (g_variant_n_children (single), ==, 2);
  g_clear_pointer (&single, g_variant_unref);
  g_variant_get_child (group, 1, "(i@a{sv})", &id, &single);
  g_assert_cmpint (id, ==, quit);
  g_assert_cmpuint (g_variant_n_children (single), ==, 1);
  g_clear_pointer (&reply, g_variant_unref);

  /* No ids: every item, the root included. */
  reply = call_ok (f, MENU_PATH, MENU_INTERFACE, "GetGroupProperties",
                   g_variant_new_parsed ("(@ai [], @as [])"), "(a(ia{sv}))");
  g_variant_get (reply, "(@a(ia{sv}))", &all);
  g_assert_cmpuint (g_variant_n_children (all), ==, 10);
  g_clear_pointer (&reply, g_variant_unref);

  reply = call_ok (f, MENU_PATH, MENU_INTERFACE, "AboutToShow", g_variant_new ("(i)", 0), "(b)");
  g_variant_get (reply, "(b)", &need_update);
  g_assert_false (need_update);
  g_clear_pointer (&reply, g_variant_unref);

  reply = call_ok (f, MENU_PATH, MENU_INTERFACE, "AboutToShowGroup",
                   g_variant_new_parsed ("([0, %i, 4242],)", busy), "(aiai)");
  expected = g_variant_ref_sink (g_variant_new_parsed ("(@ai [], [4242])"));
  g_assert_true (g_variant_equal (reply, expected));
}

static void
test_presence_event (Fixture       *f,
                     gconstpointer  data)
{
  gint32 busy = find_item (f, "Busy");

  send_event (f, busy, "clicked");
  g_assert_cmpuint (f->presence_selected->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (f->presence_selected, 0), ==, "dnd");

  /* The application decides; the tray shows what it is told. */
  g_assert_cmpstr (talk_tray_get_presence (f->tray), ==, "offline");
  g_assert_cmpuint (f->notify_presence, ==, 0);

  for (guint i = 0; i < G_N_ELEMENTS (expected_presences); i++)
    {
      send_event (f, find_item (f, expected_presences[i].label), "clicked");
      g_assert_cmpuint (f->presence_selected->len, ==, i + 2);
      g_assert_cmpstr (g_ptr_array_index (f->presence_selected, i + 1), ==,
                       expected_presences[i].show);
    }

  g_assert_cmpuint (f->toggle_window, ==, 0);
  g_assert_cmpuint (f->quit, ==, 0);
}

static void
test_presence_change (Fixture       *f,
                      gconstpointer  data)
{
  gint32 busy = find_item (f, "Busy");
  gint32 offline = find_item (f, "Offline");
  g_autoptr(GVariant) updated_signal = NULL;
  g_autoptr(GVariant) layout_signal = NULL;
  g_autoptr(GVariant) layout = NULL;
  g_autoptr(GVariant) expected = NULL;
  g_autofree char *icon_name = NULL;
  guint revision_before;
  guint revision_after;
  guint signalled_revision;
  gint32 signalled_parent;

  g_assert_cmpint (find_toggled_item (f), ==, offline);
  layout = get_layout (f, &revision_before);

  g_object_set (f->tray, "presence", "dnd", NULL);
  g_assert_cmpuint (f->notify_presence, ==, 1);

  WAIT_UNTIL (count_item_signals (f, "NewIcon") == 1);
  WAIT_UNTIL (count_item_signals (f, "NewToolTip") == 1);
  WAIT_UNTIL (count_menu_signals (f, "LayoutUpdated") == 1);

  icon_name = get_icon_name (f);
  g_assert_cmpstr (icon_name, ==, "user-busy-symbolic");

  /* Exactly the two radio items that changed, with their new state. */
  updated_signal = last_menu_signal (f, "ItemsPropertiesUpdated");
  g_assert_nonnull (updated_signal);
  expected = g_variant_ref_sink (
    g_variant_new_parsed ("([(%i, {'toggle-state': <0>}), (%i, {'toggle-state': <1>})],"
                          " @a(ias) [])", offline, busy));
  g_assert_true (g_variant_equal (updated_signal, expected));

  layout_signal = last_menu_signal (f, "LayoutUpdated");
  g_variant_get (layout_signal, "(ui)", &signalled_revision, &signalled_parent);
  g_assert_cmpint (signalled_parent, ==, 0);
  g_assert_cmpuint (signalled_revision, >, revision_before);

  g_clear_pointer (&layout, g_variant_unref);
  layout = get_layout (f, &revision_after);
  g_assert_cmpuint (revision_after, ==, signalled_revision);
  g_assert_cmpint (find_toggled_item (f), ==, busy);
  /* Ids are stable across revisions. */
  g_assert_cmpint (find_item (f, "Busy"), ==, busy);

  /* Setting the same presence again changes nothing and says nothing. */
  g_object_set (f->tray, "presence", "dnd", NULL);
  g_clear_pointer (&icon_name, g_free);
  icon_name = get_icon_name (f);
  g_assert_cmpuint (f->notify_presence, ==, 1);
  g_assert_cmpuint (count_item_signals (f, "NewIcon"), ==, 1);
  g_assert_cmpuint (count_menu_signals (f, "LayoutUpdated"), ==, 1);
}

static void
test_status_message (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GVariant) props = NULL;
  g_autoptr(GVariant) tooltip = NULL;
  const char *description;

  talk_tray_set_presence (f->tray, "away");
  talk_tray_set_status_message (f->tray, "Lunch <back at 2> & more");
  g_assert_cmpstr (talk_tray_get_status_message (f->tray), ==, "Lunch <back at 2> & more");
  WAIT_UNTIL (count_item_signals (f, "NewToolTip") == 2);

  /* The tooltip body may be rendered as markup (SNI spec, "Markup"). */
  props = get_item_properties (f);
  tooltip = g_variant_lookup_value (props, "ToolTip", G_VARIANT_TYPE ("(sa(iiay)ss)"));
  g_assert_nonnull (tooltip);
  g_variant_get_child (tooltip, 3, "&s", &description);
  g_assert_cmpstr (description, ==, "Away: Lunch &lt;back at 2&gt; &amp; more");

  /* An empty message is no message. */
  talk_tray_set_status_message (f->tray, "");
  g_assert_null (talk_tray_get_status_message (f->tray));
  WAIT_UNTIL (count_item_signals (f, "NewToolTip") == 3);
  g_clear_pointer (&props, g_variant_unref);
  g_clear_pointer (&tooltip, g_variant_unref);
  props = get_item_properties (f);
  tooltip = g_variant_lookup_value (props, "ToolTip", G_VARIANT_TYPE ("(sa(iiay)ss)"));
  g_variant_get_child (tooltip, 3, "&s", &description);
  g_assert_cmpstr (description, ==, "Away");

  talk_tray_set_status_message (f->tray, NULL);
  g_clear_pointer (&props, g_variant_unref);
  props = get_item_properties (f);
  g_assert_cmpuint (count_item_signals (f, "NewToolTip"), ==, 3);

  /* Invalid UTF-8 cannot go over D-Bus; the tray repairs it. */
  talk_tray_set_status_message (f->tray, "caf\xe9");
  g_assert_cmpstr (talk_tray_get_status_message (f->tray), ==, "caf\xef\xbf\xbd");
  WAIT_UNTIL (count_item_signals (f, "NewToolTip") == 4);
  g_clear_pointer (&props, g_variant_unref);
  g_clear_pointer (&tooltip, g_variant_unref);
  props = get_item_properties (f);
  tooltip = g_variant_lookup_value (props, "ToolTip", G_VARIANT_TYPE ("(sa(iiay)ss)"));
  g_variant_get_child (tooltip, 3, "&s", &description);
  g_assert_cmpstr (description, ==, "Away: caf\xef\xbf\xbd");
}

static void
test_window_toggle (Fixture       *f,
                    gconstpointer  data)
{
  gint32 show = find_item (f, "Show Talk");
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) updated_signal = NULL;
  g_autoptr(GVariant) expected = NULL;
  g_autofree char *label = NULL;

  reply = call_ok (f, ITEM_PATH, ITEM_INTERFACE, "Activate", g_variant_new ("(ii)", 0, 0), "()");
  g_assert_cmpuint (f->toggle_window, ==, 1);
  g_clear_pointer (&reply, g_variant_unref);

  send_event (f, show, "clicked");
  g_assert_cmpuint (f->toggle_window, ==, 2);

  /* Answered, but nothing for the application. */
  reply = call_ok (f, ITEM_PATH, ITEM_INTERFACE, "SecondaryActivate",
                   g_variant_new ("(ii)", 10, 10), "()");
  g_clear_pointer (&reply, g_variant_unref);
  reply = call_ok (f, ITEM_PATH, ITEM_INTERFACE, "ContextMenu", g_variant_new ("(ii)", 10, 10),
                   "()");
  g_clear_pointer (&reply, g_variant_unref);
  reply = call_ok (f, ITEM_PATH, ITEM_INTERFACE, "Scroll", g_variant_new ("(is)", 120, "vertical"),
                   "()");
  g_assert_cmpuint (f->toggle_window, ==, 2);
  g_assert_cmpuint (f->presence_selected->len, ==, 0);
  g_assert_cmpuint (f->quit, ==, 0);

  g_object_set (f->tray, "window-visible", TRUE, NULL);
  g_assert_true (talk_tray_get_window_visible (f->tray));
  g_assert_cmpuint (f->notify_window_visible, ==, 1);
  WAIT_UNTIL (count_menu_signals (f, "ItemsPropertiesUpdated") == 1);
  updated_signal = last_menu_signal (f, "ItemsPropertiesUpdated");
  expected = g_variant_ref_sink (
    g_variant_new_parsed ("([(%i, {'label': <'Hide Talk'>,"
                          " 'accessible-desc': <'Hide the Talk window'>})], @a(ias) [])", show));
  g_assert_true (g_variant_equal (updated_signal, expected));

  label = get_menu_string_property (f, show, "label");
  g_assert_cmpstr (label, ==, "Hide Talk");
  g_assert_cmpint (find_item (f, "Hide Talk"), ==, show);

  /* The item keeps its job under its new label. */
  send_event (f, show, "clicked");
  g_assert_cmpuint (f->toggle_window, ==, 3);

  g_object_set (f->tray, "window-visible", TRUE, NULL);
  g_assert_cmpuint (f->notify_window_visible, ==, 1);
  talk_tray_set_window_visible (f->tray, FALSE);
  g_assert_cmpuint (f->notify_window_visible, ==, 2);
  g_clear_pointer (&label, g_free);
  label = get_menu_string_property (f, show, "label");
  g_assert_cmpstr (label, ==, "Show Talk");
}

static void
test_quit (Fixture       *f,
           gconstpointer  data)
{
  send_event (f, find_item (f, "Quit"), "clicked");
  g_assert_cmpuint (f->quit, ==, 1);
  g_assert_cmpuint (f->toggle_window, ==, 0);
  g_assert_cmpuint (f->presence_selected->len, ==, 0);
}

static void
test_available (Fixture       *f,
                gconstpointer  data)
{
  g_assert_true (talk_tray_get_available (f->tray));

  watcher_stop (f);
  WAIT_UNTIL (!talk_tray_get_available (f->tray));
  g_assert_cmpuint (f->notify_available, ==, 2);
}

static void
test_host_registration (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(GDBusConnection) impostor = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  /* A watcher but no host: nothing would show the icon. */
  WAIT_UNTIL (f->host_queries >= 1);
  reply = call_ok (f, ITEM_PATH, PROPERTIES, "GetAll", g_variant_new ("(s)", ITEM_INTERFACE),
                   "(a{sv})");
  g_clear_pointer (&reply, g_variant_unref);
  g_assert_false (talk_tray_get_available (f->tray));

  f->host_registered = TRUE;
  watcher_emit (f, WATCHER_INTERFACE, "StatusNotifierHostRegistered", NULL);
  WAIT_UNTIL (talk_tray_get_available (f->tray));

  f->host_registered = FALSE;
  watcher_emit (f, PROPERTIES, "PropertiesChanged",
                g_variant_new_parsed ("(%s, {'IsStatusNotifierHostRegistered': <false>},"
                                      " @as [])", WATCHER_INTERFACE));
  WAIT_UNTIL (!talk_tray_get_available (f->tray));

  f->host_registered = TRUE;
  watcher_emit (f, PROPERTIES, "PropertiesChanged",
                g_variant_new_parsed ("(%s, @a{sv} {}, ['IsStatusNotifierHostRegistered'])",
                                      WATCHER_INTERFACE));
  WAIT_UNTIL (talk_tray_get_available (f->tray));

  f->host_registered = FALSE;
  watcher_emit (f, WATCHER_INTERFACE, "StatusNotifierHostUnregistered", NULL);
  WAIT_UNTIL (!talk_tray_get_available (f->tray));

  /* Only the watcher speaks for the watcher: the same signal from another
   * connection changes nothing. Its own call to the tray afterwards
   * arrives after its signal. */
  impostor = bus_connect (f);
  g_dbus_connection_emit_signal (impostor, NULL, WATCHER_PATH, PROPERTIES, "PropertiesChanged",
                                 g_variant_new_parsed ("(%s, {'IsStatusNotifierHostRegistered':"
                                                       " <true>}, @as [])", WATCHER_INTERFACE),
                                 &error);
  g_assert_no_error (error);
  reply = call_on (impostor, item_service (f), ITEM_PATH, PROPERTIES, "GetAll",
                   g_variant_new ("(s)", ITEM_INTERFACE), "(a{sv})", &error);
  g_assert_no_error (error);
  g_assert_false (talk_tray_get_available (f->tray));
  g_dbus_connection_close_sync (impostor, NULL, NULL);
}

static void
test_watcher_late (Fixture       *f,
                   gconstpointer  data)
{
  tray_create (f);
  WAIT_UNTIL (name_has_owner (f, talk_tray_get_bus_name (f->tray)));
  g_assert_cmpuint (f->registered->len, ==, 0);
  g_assert_false (talk_tray_get_available (f->tray));

  f->host_registered = TRUE;
  watcher_start (f);
  WAIT_UNTIL (f->registered->len == 1);
  g_assert_cmpstr (item_service (f), ==, talk_tray_get_bus_name (f->tray));
  WAIT_UNTIL (talk_tray_get_available (f->tray));
}

static void
test_watcher_restart (Fixture       *f,
                      gconstpointer  data)
{
  g_autofree char *icon_name = NULL;

  watcher_stop (f);
  WAIT_UNTIL (!talk_tray_get_available (f->tray));

  watcher_start (f);
  WAIT_UNTIL (f->registered->len == 2);
  g_assert_cmpstr (g_ptr_array_index (f->registered, 0), ==,
                   g_ptr_array_index (f->registered, 1));
  WAIT_UNTIL (talk_tray_get_available (f->tray));

  icon_name = get_icon_name (f);
  g_assert_cmpstr (icon_name, ==, "user-offline-symbolic");
}

static void
assert_call_fails (Fixture    *f,
                   const char *path,
                   const char *interface,
                   const char *method,
                   GVariant   *parameters,
                   gint        code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;

  reply = call (f, path, interface, method, parameters, NULL, &error);
  g_assert_null (reply);
  g_assert_error (error, G_DBUS_ERROR, code);
}

static void
test_malformed (Fixture       *f,
                gconstpointer  data)
{
  gint32 busy = find_item (f, "Busy");
  gint32 quit = find_item (f, "Quit");
  gint32 past_last = 0;
  g_autoptr(GVariant) layout = get_layout (f, NULL);

  for (gsize i = 0; i < layout_n_children (layout); i++)
    {
      g_autoptr(GVariant) item = layout_child (layout, i);

      past_last = MAX (past_last, layout_id (item) + 1);
    }

  /* The first id past the menu is no item either. */
  assert_call_fails (f, MENU_PATH, MENU_INTERFACE, "GetLayout",
                     g_variant_new_parsed ("(%i, -1, @as [])", past_last),
                     G_DBUS_ERROR_INVALID_ARGS);
  assert_call_fails (f, MENU_PATH, MENU_INTERFACE, "GetProperty",
                     g_variant_new ("(is)", past_last, "label"), G_DBUS_ERROR_INVALID_ARGS);
  assert_call_fails (f, MENU_PATH, MENU_INTERFACE, "AboutToShow",
                     g_variant_new ("(i)", past_last), G_DBUS_ERROR_INVALID_ARGS);

  assert_call_fails (f, MENU_PATH, MENU_INTERFACE, "Event",
                     g_variant_new ("(ssvu)", "3", "clicked", g_variant_new_int32 (0), 0),
                     G_DBUS_ERROR_INVALID_ARGS);
  assert_call_fails (f, MENU_PATH, MENU_INTERFACE, "Event", g_variant_new ("(i)", quit),
                     G_DBUS_ERROR_INVALID_ARGS);
  assert_call_fails (f, MENU_PATH, MENU_INTERFACE, "Event", NULL, G_DBUS_ERROR_INVALID_ARGS);
  assert_call_fails (f, MENU_PATH, MENU_INTERFACE, "GetLayout", g_variant_new ("(ss)", "0", "-1"),
                     G_DBUS_ERROR_INVALID_ARGS);
  assert_call_fails (f, MENU_PATH, MENU_INTERFACE, "GetLayout",
                     g_variant_new_parsed ("(4242, -1, @as [])"), G_DBUS_ERROR_INVALID_ARGS);
  assert_call_fails (f, MENU_PATH, MENU_INTERFACE, "GetProperty",
                     g_variant_new ("(is)", 4242, "label"), G_DBUS_ERROR_INVALID_ARGS);
  assert_call_fails (f, MENU_PATH, MENU_INTERFACE, "GetProperty",
                     g_variant_new ("(is)", quit, "toggle-state"), G_DBUS_ERROR_INVALID_ARGS);
  assert_call_fails (f, MENU_PATH, MENU_INTERFACE, "AboutToShow", g_variant_new ("(i)", -7),
                     G_DBUS_ERROR_INVALID_ARGS);
  assert_call_fails (f, MENU_PATH, MENU_INTERFACE, "Frobnicate", NULL,
                     G_DBUS_ERROR_UNKNOWN_METHOD);
  assert_call_fails (f, ITEM_PATH, ITEM_INTERFACE, "Activate", g_variant_new ("(s)", "now"),
                     G_DBUS_ERROR_INVALID_ARGS);
  assert_call_fails (f, ITEM_PATH, PROPERTIES, "Get",
                     g_variant_new ("(ss)", ITEM_INTERFACE, "NoSuchProperty"),
                     G_DBUS_ERROR_INVALID_ARGS);

  /* Well-formed but meaningless: ignored. */
  send_event (f, 4242, "clicked");
  send_event (f, past_last, "clicked");
  send_event (f, G_MININT32, "clicked");
  send_event (f, 0, "clicked");
  send_event (f, quit, "hovered");
  send_event (f, busy, "x-vendor-event");
  g_assert_cmpuint (f->quit, ==, 0);
  g_assert_cmpuint (f->toggle_window, ==, 0);
  g_assert_cmpuint (f->presence_selected->len, ==, 0);

  /* And the tray still works. */
  send_event (f, busy, "clicked");
  g_assert_cmpuint (f->presence_selected->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (f->presence_selected, 0), ==, "dnd");
  send_event (f, quit, "clicked");
  g_assert_cmpuint (f->quit, ==, 1);
}

static void
test_event_group (Fixture       *f,
                  gconstpointer  data)
{
  gint32 busy = find_item (f, "Busy");
  gint32 show = find_item (f, "Show Talk");
  gint32 quit = find_item (f, "Quit");
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) expected = NULL;

  reply = call_ok (f, MENU_PATH, MENU_INTERFACE, "EventGroup",
                   g_variant_new_parsed ("([(%i, 'clicked', <0>, @u 0),"
                                         "  (4242, 'clicked', <0>, @u 0),"
                                         "  (%i, 'clicked', <''>, @u 0),"
                                         "  (%i, 'hovered', <0>, @u 0)],)", busy, show, quit),
                   "(ai)");
  expected = g_variant_ref_sink (g_variant_new_parsed ("([4242],)"));
  g_assert_true (g_variant_equal (reply, expected));
  g_assert_cmpuint (f->presence_selected->len, ==, 1);
  g_assert_cmpstr (g_ptr_array_index (f->presence_selected, 0), ==, "dnd");
  g_assert_cmpuint (f->toggle_window, ==, 1);
  g_assert_cmpuint (f->quit, ==, 0);
}

static void
test_dispose (Fixture       *f,
              gconstpointer  data)
{
  g_autofree char *first_name = g_strdup (talk_tray_get_bus_name (f->tray));
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  g_clear_object (&f->tray);
  WAIT_UNTIL (!name_has_owner (f, first_name));

  reply = call_on (f->panel, g_dbus_connection_get_unique_name (f->app), ITEM_PATH, PROPERTIES,
                   "GetAll", g_variant_new ("(s)", ITEM_INTERFACE), NULL, &error);
  g_assert_null (reply);
  g_assert_nonnull (error);
  g_assert_true (error->domain == G_DBUS_ERROR);
  g_clear_error (&error);

  /* The paths are free again, and a new tray gets a name of its own. */
  tray_create (f);
  WAIT_UNTIL (f->registered->len == 2);
  g_assert_cmpstr (item_service (f), ==, talk_tray_get_bus_name (f->tray));
  g_assert_cmpstr (item_service (f), !=, first_name);
  send_event (f, find_item (f, "Quit"), "clicked");
  g_assert_cmpuint (f->quit, ==, 1);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, mode, func) \
  g_test_add ("/talk/ui/tray/" path, Fixture, GINT_TO_POINTER (mode), \
              fixture_setup, func, fixture_teardown)

  ADD ("register", SETUP_REGISTERED, test_register);
  ADD ("item-properties", SETUP_REGISTERED, test_item_properties);
  ADD ("icon-names", SETUP_REGISTERED, test_icon_names);
  ADD ("menu-layout", SETUP_REGISTERED, test_menu_layout);
  ADD ("menu-queries", SETUP_REGISTERED, test_menu_queries);
  ADD ("presence-event", SETUP_REGISTERED, test_presence_event);
  ADD ("presence-change", SETUP_REGISTERED, test_presence_change);
  ADD ("status-message", SETUP_REGISTERED, test_status_message);
  ADD ("window-toggle", SETUP_REGISTERED, test_window_toggle);
  ADD ("quit", SETUP_REGISTERED, test_quit);
  ADD ("available", SETUP_REGISTERED, test_available);
  ADD ("host-registration", SETUP_NO_HOST, test_host_registration);
  ADD ("watcher-late", SETUP_EMPTY, test_watcher_late);
  ADD ("watcher-restart", SETUP_REGISTERED, test_watcher_restart);
  ADD ("malformed", SETUP_REGISTERED, test_malformed);
  ADD ("event-group", SETUP_REGISTERED, test_event_group);
  ADD ("dispose", SETUP_REGISTERED, test_dispose);

#undef ADD

  return g_test_run ();
}
