/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "talk-search-result.h"

G_BEGIN_DECLS

#define TALK_TYPE_SEARCH_ROW (talk_search_row_get_type ())
G_DECLARE_FINAL_TYPE (TalkSearchRow, talk_search_row, TALK, SEARCH_ROW, GtkListBoxRow)

/**
 * TalkSearchRow:
 *
 * One message found by a search, in a #GtkListBox: a title (who wrote
 * it, or the conversation it belongs to), when, and the words around
 * what was found, as plain text. Its accessible label says all three.
 */

/**
 * talk_search_row_new:
 * @result: the message found (copied)
 * @title: the row's first line
 * @sender: (nullable): who wrote it, put before the snippet ("You: …")
 *   when @title does not say it already
 */
GtkWidget              *talk_search_row_new        (const TalkSearchResult *result,
                                                    const char             *title,
                                                    const char             *sender);

/* (transfer none) */
const TalkSearchResult *talk_search_row_get_result (TalkSearchRow          *self);

/* "14:05" today, else the day as a day separator says it. */
char                   *talk_search_row_format_time (gint64                 timestamp_us);

G_END_DECLS
