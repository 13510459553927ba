/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define TALK_CORE_ERROR (talk_core_error_quark ())

typedef enum
{
  TALK_CORE_ERROR_FAILED,
  TALK_CORE_ERROR_KEYRING_UNAVAILABLE, /* no Secret Service on the bus */
  TALK_CORE_ERROR_KEYRING_LOCKED,      /* locked, or the unlock prompt dismissed */
  TALK_CORE_ERROR_INVALID_ACCOUNT,
} TalkCoreErrorCode;

GQuark talk_core_error_quark (void);

G_END_DECLS
