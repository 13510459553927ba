/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "talk-client.h"

G_BEGIN_DECLS

#define TALK_TYPE_SEARCH_DIALOG (talk_search_dialog_get_type ())
G_DECLARE_FINAL_TYPE (TalkSearchDialog, talk_search_dialog, TALK, SEARCH_DIALOG, AdwWindow)

/**
 * TalkSearchDialog:
 *
 * Search Messages: finds words in every conversation of the account and
 * lists the messages found, newest first, each labelled with its
 * contact. It hides when closed, keeping what was typed for next time.
 *
 * Property: "client" (TalkClient, construct-only).
 * Signal: "result-activated" (const char *peer, gint64 message_id,
 * gint64 timestamp_us): the person chose a message to see; the dialog
 * has hidden itself by then.
 */
GtkWidget *talk_search_dialog_new     (GtkWindow        *parent,
                                       TalkClient       *client);

/* Shows the dialog with the focus in its entry, text selected, and
 * searches again: the history may have grown since. */
void       talk_search_dialog_present (TalkSearchDialog *self);

G_END_DECLS
