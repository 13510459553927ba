/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "talk-core-error.h"

G_DEFINE_QUARK (talk-core-error-quark, talk_core_error)
