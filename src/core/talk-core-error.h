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
  TALK_CORE_ERROR_HISTORY_FULL,        /* the disk is full: messages cannot be stored */
  TALK_CORE_ERROR_HISTORY_IO,          /* the disk failed to read or write the history */
  TALK_CORE_ERROR_HISTORY_CORRUPT,     /* the history file is damaged or not a database */
  TALK_CORE_ERROR_HISTORY_READONLY,    /* the history file cannot be written */
} TalkCoreErrorCode;

GQuark talk_core_error_quark (void);

G_END_DECLS
