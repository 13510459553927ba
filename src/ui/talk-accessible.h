/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/**
 * talk_accessible_name_icon_buttons:
 * @root: a widget built by a library, such as a password row or a tab bar
 *
 * Names every button under @root that shows only an image after its
 * tooltip, for screen readers, and keeps the name in step when the
 * tooltip changes ("Show Text" / "Hide Text"). libadwaita 1.2 leaves such
 * buttons named after their image ("GtkImage"). Buttons named once are
 * skipped, so this can run again after @root gained children.
 */
void talk_accessible_name_icon_buttons (GtkWidget *root);

G_END_DECLS
