/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "talk-message-row.h"
#include "talk-message-text.h"
#include "talk-search-row.h"

/* A snippet is a few words; a longer one is cut before layout. */
#define SNIPPET_MAX_BYTES 600

struct _TalkSearchRow
{
  GtkListBoxRow     parent_instance;

  TalkSearchResult *result;

  /* Template widgets */
  GtkLabel         *title_label;
  GtkLabel         *time_label;
  GtkLabel         *snippet_label;
};

G_DEFINE_FINAL_TYPE (TalkSearchRow, talk_search_row, GTK_TYPE_LIST_BOX_ROW)

char *
talk_search_row_format_time (gint64 timestamp_us)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (timestamp_us / G_USEC_PER_SEC);
  g_autoptr(GDateTime) local = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();

  if (utc == NULL)
    return g_strdup ("");

  local = g_date_time_to_local (utc);
  if (g_date_time_get_year (local) == g_date_time_get_year (now) &&
      g_date_time_get_day_of_year (local) == g_date_time_get_day_of_year (now))
    /* Translators: the time of a message found today, see g_date_time_format() */
    return g_date_time_format (local, C_("search result time", "%H:%M"));

  return talk_message_row_format_day (local, now);
}

static void
talk_search_row_finalize (GObject *object)
{
  TalkSearchRow *self = TALK_SEARCH_ROW (object);

  g_clear_pointer (&self->result, talk_search_result_free);

  G_OBJECT_CLASS (talk_search_row_parent_class)->finalize (object);
}

static void
talk_search_row_class_init (TalkSearchRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = talk_search_row_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/com/example/Talk/ui/talk-search-row.ui");
  gtk_widget_class_bind_template_child (widget_class, TalkSearchRow, title_label);
  gtk_widget_class_bind_template_child (widget_class, TalkSearchRow, time_label);
  gtk_widget_class_bind_template_child (widget_class, TalkSearchRow, snippet_label);
}

static void
talk_search_row_init (TalkSearchRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
talk_search_row_new (const TalkSearchResult *result,
                     const char             *title,
                     const char             *sender)
{
  TalkSearchRow *self;
  g_autoptr(TalkMessageText) text = NULL;
  g_autofree char *time = NULL;
  g_autofree char *snippet = NULL;
  g_autofree char *accessible = NULL;

  g_return_val_if_fail (result != NULL, NULL);
  g_return_val_if_fail (title != NULL, NULL);

  self = g_object_new (TALK_TYPE_SEARCH_ROW, NULL);
  self->result = talk_search_result_copy (result);

  /* Network text: plain, with directional controls isolated so that
   * they cannot reorder the title or the time beside it. */
  text = talk_message_text_new_full (result->snippet, -1, NULL, SNIPPET_MAX_BYTES);
  if (sender != NULL)
    /* Translators: who wrote a message found, then words from it: "You: …see you at noon…" */
    snippet = g_strdup_printf (_("%s: %s"), sender, talk_message_text_get_text (text));
  else
    snippet = g_strdup (talk_message_text_get_text (text));
  time = talk_search_row_format_time (result->timestamp_us);

  gtk_label_set_text (self->title_label, title);
  gtk_label_set_text (self->time_label, time);
  gtk_label_set_text (self->snippet_label, snippet);

  /* Translators: a search result for screen readers: "Bob, 14:05: …see you at noon…" */
  accessible = g_strdup_printf (_("%s, %s: %s"), title, time, snippet);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, accessible,
                                  -1);

  return GTK_WIDGET (self);
}

const TalkSearchResult *
talk_search_row_get_result (TalkSearchRow *self)
{
  g_return_val_if_fail (TALK_IS_SEARCH_ROW (self), NULL);

  return self->result;
}
