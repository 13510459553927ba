/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define TALK_TYPE_TRAY (talk_tray_get_type ())
G_DECLARE_FINAL_TYPE (TalkTray, talk_tray, TALK, TRAY, GObject)

/**
 * TalkTray:
 *
 * The tray icon: a StatusNotifierItem at /StatusNotifierItem with its menu
 * over com.canonical.dbusmenu at /StatusNotifierItem/Menu, under the bus
 * name org.kde.StatusNotifierItem-PID-N, registered with every
 * org.kde.StatusNotifierWatcher that appears on the bus. No GTK.
 *
 * Properties: "connection" and "app-id" (construct-only), "presence" (one of
 * "available", "away", "dnd", "xa", "offline"; the icon and the checked
 * radio item), "status-message" (nullable; the tooltip), "window-visible"
 * (the Show/Hide item), "available" (read-only: a watcher is present and
 * reports a host, so the icon is actually shown somewhere).
 *
 * Signals: "presence-selected" (const char *show) when the user picks a
 * presence in the menu, "toggle-window" when the icon is activated or the
 * Show/Hide item is picked, "quit" for the Quit item. The tray never changes
 * its own state from the menu: the application decides and sets the
 * properties.
 */

/* (transfer full) */
TalkTray   *talk_tray_new                (GDBusConnection *connection,
                                          const char      *app_id);

const char *talk_tray_get_presence       (TalkTray   *self);
void        talk_tray_set_presence       (TalkTray   *self,
                                          const char *presence);
/* (nullable) */
const char *talk_tray_get_status_message (TalkTray   *self);
void        talk_tray_set_status_message (TalkTray   *self,
                                          const char *status_message);
gboolean    talk_tray_get_window_visible (TalkTray   *self);
void        talk_tray_set_window_visible (TalkTray   *self,
                                          gboolean    window_visible);
gboolean    talk_tray_get_available      (TalkTray   *self);
/* The well-known name the item is registered under. (transfer none) */
const char *talk_tray_get_bus_name       (TalkTray   *self);

G_END_DECLS
