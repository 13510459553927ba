/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define TALK_TYPE_WINDOW (talk_window_get_type ())
G_DECLARE_FINAL_TYPE (TalkWindow, talk_window, TALK, WINDOW, AdwApplicationWindow)

TalkWindow *talk_window_new (GtkApplication *application);

G_END_DECLS
