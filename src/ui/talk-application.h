/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define TALK_TYPE_APPLICATION (talk_application_get_type ())
G_DECLARE_FINAL_TYPE (TalkApplication, talk_application, TALK, APPLICATION, AdwApplication)

TalkApplication *talk_application_new (void);

G_END_DECLS
