/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "talk-avatar.h"
#include "talk-message-row.h"
#include "talk-message-text.h"

/* Messages of one sender closer together than this share one header. */
#define GROUP_GAP_US (5 * G_TIME_SPAN_MINUTE)

/* Screen readers get the beginning of a long body; the label holds it all. */
#define ACCESSIBLE_BODY_CHARS 1000

/* How much of a body a row shows; a note says when it is cut. The list
 * measures a row several times per frame while it scrolls or animates,
 * and GTK 4.8 lays a wrapped label out in full for each: 16 KiB took a
 * third of a second, 64 KiB made the window freeze. */
#define ROW_BODY_MAX_BYTES (4 * 1024)

/* Word-char wrapping re-shapes a run that has no break opportunity for
 * every line it falls back to characters in: quadratic, minutes for a
 * long run. Longer runs than this wrap by character instead. */
#define LONG_RUN_CHARS 200

/* The row's own layout, one level deep: the avatar column, the text
 * column (name, body with the time beside it, notice) and the day above.
 * Like AdwClamp, the content grows up to a maximum and is centred. */
#define CLAMP_MAXIMUM 860
#define CLAMP_THRESHOLD 640
#define AVATAR_COLUMN 36
#define COLUMN_SPACING 12
#define LINE_SPACING 2
#define META_SPACING 12

struct _TalkMessageRow
{
  GtkWidget    parent_instance;

  TalkMessage *item;
  TalkContact *sender;
  TalkMessage *previous;
  /* The body as shown, for the links under a click. */
  TalkMessageText *text;
  /* The link pressed on, until the button is released. */
  char        *pressed_uri;
  /* What assistive technologies were told last: every update is a D-Bus
   * message, and GTK 4.8 rebinds rows whenever rows move. */
  char        *accessible;

  /* Template widgets */
  GtkWidget   *day_box;
  GtkLabel    *day_label;
  TalkAvatar  *avatar;
  GtkLabel    *name_label;
  GtkLabel    *body_label;
  GtkWidget   *meta_box;
  GtkLabel    *edited_label;
  GtkLabel    *time_label;
  GtkImage    *state_icon;
  GtkLabel    *state_label;
  GtkLabel    *notice_label;
};

G_DEFINE_FINAL_TYPE (TalkMessageRow, talk_message_row, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_ITEM,
  PROP_SENDER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Display text, cached on the message */

typedef struct
{
  char            *body;
  char            *name;
  TalkMessageText *text;
} CachedText;

static void
cached_text_free (gpointer data)
{
  CachedText *cached = data;

  g_free (cached->body);
  g_free (cached->name);
  g_clear_pointer (&cached->text, talk_message_text_unref);
  g_free (cached);
}

/* Rows are rebound while scrolling; a body is parsed again only when it
 * (or the sender's name, for "/me") changed. */
static TalkMessageText *
dup_message_text (TalkMessage *message,
                  const char  *name)
{
  static GQuark quark;
  const char *body = talk_message_get_body (message);
  CachedText *cached;

  if (quark == 0)
    quark = g_quark_from_static_string ("talk-message-row-text");
  if (body == NULL)
    body = "";

  cached = g_object_get_qdata (G_OBJECT (message), quark);
  if (cached == NULL ||
      g_strcmp0 (cached->body, body) != 0 ||
      g_strcmp0 (cached->name, name) != 0)
    {
      cached = g_new0 (CachedText, 1);
      cached->body = g_strdup (body);
      cached->name = g_strdup (name);
      cached->text = talk_message_text_new_full (body, -1, name, ROW_BODY_MAX_BYTES);
      g_object_set_qdata_full (G_OBJECT (message), quark, cached, cached_text_free);
    }

  return talk_message_text_ref (cached->text);
}

/* Whether @text has a run of more than LONG_RUN_CHARS characters without
 * white space. */
static gboolean
has_long_run (const char *text)
{
  guint run = 0;

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      if (g_unichar_isspace (g_utf8_get_char (p)))
        run = 0;
      else if (++run > LONG_RUN_CHARS)
        return TRUE;
    }
  return FALSE;
}

/* Formatting */

static GDateTime *
dup_local_time (TalkMessage *message)
{
  GDateTime *timestamp = talk_message_get_timestamp (message);

  return timestamp != NULL ? g_date_time_to_local (timestamp) : g_date_time_new_now_local ();
}

static gboolean
same_day (GDateTime *a,
          GDateTime *b)
{
  return g_date_time_get_year (a) == g_date_time_get_year (b) &&
         g_date_time_get_day_of_year (a) == g_date_time_get_day_of_year (b);
}

char *
talk_message_row_format_day (GDateTime *time,
                             GDateTime *now)
{
  g_autoptr(GDateTime) yesterday = g_date_time_add_days (now, -1);
  g_autoptr(GDateTime) week_ago = g_date_time_add_days (now, -6);

  g_return_val_if_fail (time != NULL && now != NULL, NULL);

  if (same_day (time, now))
    return g_strdup (_("Today"));
  if (same_day (time, yesterday))
    return g_strdup (_("Yesterday"));
  if (g_date_time_compare (time, week_ago) > 0 && g_date_time_compare (time, now) < 0)
    /* Translators: a day separator within the last week, see g_date_time_format() */
    return g_date_time_format (time, C_("day separator", "%A"));
  if (g_date_time_get_year (time) == g_date_time_get_year (now))
    /* Translators: a day separator in this year, see g_date_time_format() */
    return g_date_time_format (time, C_("day separator", "%A, %B %-e"));

  /* Translators: a day separator in another year, see g_date_time_format() */
  return g_date_time_format (time, C_("day separator", "%B %-e, %Y"));
}

static char *
format_time (GDateTime *local)
{
  /* Translators: the time beside a message, see g_date_time_format() */
  return g_date_time_format (local, C_("message time", "%H:%M"));
}

static const char *
get_state_label (TalkMessageState state)
{
  switch (state)
    {
    case TALK_MESSAGE_STATE_PENDING:
      return _("Sending");
    case TALK_MESSAGE_STATE_SENT:
      return _("Sent");
    case TALK_MESSAGE_STATE_DELIVERED:
      return _("Delivered");
    case TALK_MESSAGE_STATE_READ:
      return _("Read");
    case TALK_MESSAGE_STATE_FAILED:
      return _("Failed");
    default:
      return "";
    }
}

/* "Failed: the recipient is unavailable" */
static char *
dup_state_description (TalkMessage *message)
{
  TalkMessageState state = talk_message_get_state (message);
  const char *error = talk_message_get_error (message);

  if (state == TALK_MESSAGE_STATE_FAILED)
    /* Translators: why a message could not be sent */
    return g_strdup_printf (_("Failed: %s"),
                            error != NULL && *error != '\0' ? error : _("unknown error"));

  return g_strdup (get_state_label (state));
}

/* Grouping */

static const char *
get_sender_name (TalkMessageRow *self)
{
  if (self->sender != NULL)
    return talk_contact_get_display_name (self->sender);
  if (self->item != NULL && talk_message_get_sender (self->item) != NULL)
    return talk_message_get_sender (self->item);

  return "";
}

/* Whether @message continues the group of @previous: same direction (in a
 * one-to-one chat that is the same person), same day, not long after. */
static gboolean
continues_group (TalkMessage *message,
                 TalkMessage *previous,
                 GDateTime   *local,
                 GDateTime   *previous_local)
{
  gint64 gap;

  if (previous == NULL)
    return FALSE;
  if (talk_message_get_direction (message) != talk_message_get_direction (previous))
    return FALSE;
  if (!same_day (local, previous_local))
    return FALSE;

  gap = talk_message_get_timestamp_us (message) - talk_message_get_timestamp_us (previous);

  return gap >= 0 && gap < GROUP_GAP_US;
}

static void
update_header (TalkMessageRow *self)
{
  g_autoptr(GDateTime) local = NULL;
  g_autoptr(GDateTime) previous_local = NULL;
  g_autoptr(GDateTime) now = NULL;
  gboolean new_day;
  gboolean header;

  if (self->item == NULL)
    return;

  local = dup_local_time (self->item);
  if (self->previous != NULL)
    previous_local = dup_local_time (self->previous);

  new_day = previous_local == NULL || !same_day (local, previous_local);
  header = !continues_group (self->item, self->previous, local, previous_local);

  if (new_day)
    {
      g_autofree char *day = NULL;

      now = g_date_time_new_now_local ();
      day = talk_message_row_format_day (local, now);
      gtk_label_set_text (self->day_label, day);
    }
  gtk_widget_set_visible (self->day_box, new_day);

  gtk_widget_set_visible (GTK_WIDGET (self->avatar), header);
  gtk_widget_set_visible (GTK_WIDGET (self->name_label), header);
  gtk_label_set_text (self->name_label, get_sender_name (self));
  talk_avatar_set_contact (self->avatar, self->sender);

  if (header)
    gtk_widget_add_css_class (GTK_WIDGET (self), "first-in-group");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self), "first-in-group");
}

/* Body and state */

static void
update_state (TalkMessageRow *self)
{
  TalkMessageState state = talk_message_get_state (self->item);
  g_autofree char *description = NULL;
  const char *icon = NULL;
  const char *marks = NULL;

  gtk_widget_remove_css_class (GTK_WIDGET (self->state_label), "read");
  gtk_widget_remove_css_class (GTK_WIDGET (self->state_icon), "error");

  if (talk_message_get_direction (self->item) != TALK_MESSAGE_DIRECTION_OUT)
    {
      gtk_widget_set_visible (GTK_WIDGET (self->state_icon), FALSE);
      gtk_widget_set_visible (GTK_WIDGET (self->state_label), FALSE);
      return;
    }

  switch (state)
    {
    case TALK_MESSAGE_STATE_PENDING:
      icon = "document-open-recent-symbolic";
      break;
    case TALK_MESSAGE_STATE_SENT:
      marks = "✓";
      break;
    case TALK_MESSAGE_STATE_DELIVERED:
      marks = "✓✓";
      break;
    case TALK_MESSAGE_STATE_READ:
      marks = "✓✓";
      gtk_widget_add_css_class (GTK_WIDGET (self->state_label), "read");
      break;
    case TALK_MESSAGE_STATE_FAILED:
      icon = "dialog-error-symbolic";
      gtk_widget_add_css_class (GTK_WIDGET (self->state_icon), "error");
      break;
    default:
      break;
    }

  description = dup_state_description (self->item);
  if (icon != NULL)
    {
      gtk_image_set_from_icon_name (self->state_icon, icon);
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->state_icon), description);
      gtk_accessible_update_property (GTK_ACCESSIBLE (self->state_icon),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, description,
                                      -1);
    }
  if (marks != NULL)
    {
      gtk_label_set_text (self->state_label, marks);
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->state_label), description);
      gtk_accessible_update_property (GTK_ACCESSIBLE (self->state_label),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, description,
                                      -1);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->state_icon), icon != NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->state_label), marks != NULL);
}

static char *
dup_accessible_label (TalkMessageRow *self,
                      const char     *time)
{
  const char *body = talk_message_text_get_text (self->text);
  g_autofree char *shown = NULL;
  g_autofree char *state = NULL;
  g_autofree char *label = NULL;

  if (g_utf8_strlen (body, -1) > ACCESSIBLE_BODY_CHARS)
    {
      g_autofree char *start = g_utf8_substring (body, 0, ACCESSIBLE_BODY_CHARS);

      shown = g_strconcat (start, "…", NULL);
    }
  else
    {
      shown = g_strdup (body);
    }

  /* Translators: a message for screen readers: "Bob at 14:05: Hello" */
  label = g_strdup_printf (_("%s at %s: %s"), get_sender_name (self), time, shown);

  if (talk_message_get_edited (self->item))
    {
      /* Translators: appended to a corrected message for screen readers */
      g_autofree char *edited = g_strdup_printf (_("%s (edited)"), label);

      g_free (label);
      label = g_steal_pointer (&edited);
    }
  if (talk_message_get_direction (self->item) == TALK_MESSAGE_DIRECTION_OUT)
    {
      state = dup_state_description (self->item);
      /* Translators: a message and its delivery state: "… (Delivered)" */
      return g_strdup_printf (_("%s (%s)"), label, state);
    }

  return g_steal_pointer (&label);
}

static void
update (TalkMessageRow *self)
{
  g_autoptr(GDateTime) local = NULL;
  g_autofree char *time = NULL;
  g_autofree char *notice = NULL;
  g_autofree char *accessible = NULL;
  g_autoptr(TalkMessageText) text = NULL;

  if (self->item == NULL)
    return;

  text = dup_message_text (self->item, get_sender_name (self));
  /* GTK 4.8 rebinds a row whenever rows move, and new attributes always
   * drop the label's layout and its measured sizes: a list of rows
   * measured again and again. The same text (cached on the message) is
   * left as it is. */
  if (text != self->text)
    {
      g_clear_pointer (&self->text, talk_message_text_unref);
      self->text = g_steal_pointer (&text);

      /* Network text: plain text and attributes, never markup. */
      gtk_label_set_wrap_mode (self->body_label,
                               has_long_run (talk_message_text_get_text (self->text))
                               ? PANGO_WRAP_CHAR : PANGO_WRAP_WORD_CHAR);
      gtk_label_set_text (self->body_label, talk_message_text_get_text (self->text));
      gtk_label_set_attributes (self->body_label, talk_message_text_get_attributes (self->text));
    }

  notice = talk_message_text_dup_shortened_notice (self->text);
  gtk_label_set_text (self->notice_label, notice != NULL ? notice : "");
  gtk_widget_set_visible (GTK_WIDGET (self->notice_label), notice != NULL);

  local = dup_local_time (self->item);
  time = format_time (local);
  gtk_label_set_text (self->time_label, time);
  gtk_widget_set_visible (GTK_WIDGET (self->edited_label), talk_message_get_edited (self->item));
  update_state (self);

  if (talk_message_get_direction (self->item) == TALK_MESSAGE_DIRECTION_OUT)
    gtk_widget_add_css_class (GTK_WIDGET (self), "outgoing");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self), "outgoing");
  if (talk_message_text_get_is_me (self->text))
    gtk_widget_add_css_class (GTK_WIDGET (self), "me-action");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self), "me-action");

  accessible = dup_accessible_label (self, time);
  if (g_strcmp0 (accessible, self->accessible) != 0)
    {
      gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, accessible,
                                      -1);
      g_free (self->accessible);
      self->accessible = g_steal_pointer (&accessible);
    }
}

static void
sender_changed_cb (TalkMessageRow *self)
{
  update_header (self);
  update (self);
}

/* Links */

/* The link under (@x, @y) in the body label's coordinates, if any. */
static const char *
lookup_link_at (TalkMessageRow *self,
                double          x,
                double          y)
{
  PangoLayout *layout;
  int offset_x;
  int offset_y;
  int index;
  int trailing;

  if (self->text == NULL)
    return NULL;

  layout = gtk_label_get_layout (self->body_label);
  gtk_label_get_layout_offsets (self->body_label, &offset_x, &offset_y);
  if (!pango_layout_xy_to_index (layout,
                                 (int) ((x - offset_x) * PANGO_SCALE),
                                 (int) ((y - offset_y) * PANGO_SCALE),
                                 &index, &trailing))
    return NULL;

  return talk_message_text_lookup_link (self->text, index);
}

/* A press on a link is ours: it opens the link on release instead of
 * starting a selection. Anywhere else the label selects as usual. */
static void
body_pressed_cb (GtkGestureClick *gesture,
                 int              n_press,
                 double           x,
                 double           y,
                 TalkMessageRow  *self)
{
  const char *uri = n_press == 1 ? lookup_link_at (self, x, y) : NULL;

  g_clear_pointer (&self->pressed_uri, g_free);
  if (uri == NULL)
    return;

  self->pressed_uri = g_strdup (uri);
  gtk_gesture_set_state (GTK_GESTURE (gesture), GTK_EVENT_SEQUENCE_CLAIMED);
}

static void
body_released_cb (GtkGestureClick *gesture,
                  int              n_press,
                  double           x,
                  double           y,
                  TalkMessageRow  *self)
{
  g_autofree char *pressed = g_steal_pointer (&self->pressed_uri);
  const char *uri;
  GtkRoot *root;

  if (pressed == NULL)
    return;
  uri = lookup_link_at (self, x, y);
  if (g_strcmp0 (uri, pressed) != 0)
    return;

  root = gtk_widget_get_root (GTK_WIDGET (self));
  gtk_show_uri (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, pressed, GDK_CURRENT_TIME);
}

/* Enter on a link opens it, for those who reach the text by keyboard:
 * the caret (or the selection's start) says where. */
static gboolean
body_key_pressed_cb (GtkEventControllerKey *controller,
                     guint                  keyval,
                     guint                  keycode,
                     GdkModifierType        state,
                     TalkMessageRow        *self)
{
  const char *text;
  const char *uri;
  int start;
  int end;
  GtkRoot *root;

  if (keyval != GDK_KEY_Return && keyval != GDK_KEY_KP_Enter && keyval != GDK_KEY_ISO_Enter)
    return GDK_EVENT_PROPAGATE;
  if (self->text == NULL)
    return GDK_EVENT_PROPAGATE;

  gtk_label_get_selection_bounds (self->body_label, &start, &end);
  text = talk_message_text_get_text (self->text);
  if (start < 0 || start > g_utf8_strlen (text, -1))
    return GDK_EVENT_PROPAGATE;

  uri = talk_message_text_lookup_link (self->text, g_utf8_offset_to_pointer (text, start) - text);
  if (uri == NULL)
    return GDK_EVENT_PROPAGATE;

  root = gtk_widget_get_root (GTK_WIDGET (self));
  gtk_show_uri (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, uri, GDK_CURRENT_TIME);

  return GDK_EVENT_STOP;
}

static void
body_cancel_cb (TalkMessageRow *self)
{
  g_clear_pointer (&self->pressed_uri, g_free);
}

static void
body_motion_cb (GtkEventControllerMotion *controller,
                double                    x,
                double                    y,
                TalkMessageRow           *self)
{
  gboolean on_link = lookup_link_at (self, x, y) != NULL;

  gtk_widget_set_cursor_from_name (GTK_WIDGET (self->body_label), on_link ? "pointer" : "text");
}

/* Layout */

/* The content's width for @width, as AdwClamp with its tightening
 * threshold: the full width up to the threshold, then growing more slowly
 * (ease-out cubic) up to the maximum. */
static int
clamp_width (int width)
{
  const int lower = CLAMP_THRESHOLD;
  const int upper = 4 * (CLAMP_MAXIMUM - CLAMP_THRESHOLD) + CLAMP_THRESHOLD;
  double progress;
  double eased;

  if (width <= lower)
    return width;
  if (width >= upper)
    return CLAMP_MAXIMUM;

  progress = (double) (width - lower) / (double) (upper - lower);
  eased = 1.0 - (1.0 - progress) * (1.0 - progress) * (1.0 - progress);

  return lower + (int) ((CLAMP_MAXIMUM - lower) * eased);
}

static void
measure_width (GtkWidget *child,
               int       *minimum,
               int       *natural)
{
  *minimum = *natural = 0;
  if (gtk_widget_should_layout (child))
    gtk_widget_measure (child, GTK_ORIENTATION_HORIZONTAL, -1, minimum, natural, NULL, NULL);
}

static int
measure_height (GtkWidget *child,
                int        width)
{
  int height = 0;

  if (gtk_widget_should_layout (child))
    gtk_widget_measure (child, GTK_ORIENTATION_VERTICAL, width, &height, NULL, NULL, NULL);

  return height;
}

/* Where each child goes in a content box @width wide, from its top. */
typedef struct
{
  int day_height;
  int text_x;
  int text_width;
  int name_height;
  int body_y;
  int body_width;
  int body_height;
  int meta_width;
  int meta_height;
  int line_height;
  int notice_y;
  int notice_height;
  int height;
} RowLayout;

static void
compute_layout (TalkMessageRow *self,
                int             width,
                RowLayout      *layout)
{
  int meta_min;
  int body_min;
  int unused;
  int y;

  layout->day_height = measure_height (self->day_box, width);
  layout->text_x = AVATAR_COLUMN + COLUMN_SPACING;
  layout->text_width = MAX (0, width - layout->text_x);

  y = layout->day_height;
  layout->name_height = measure_height (GTK_WIDGET (self->name_label), layout->text_width);
  if (gtk_widget_should_layout (GTK_WIDGET (self->name_label)))
    y += layout->name_height + LINE_SPACING;

  /* The time keeps its natural width; the body wraps in the rest. */
  measure_width (self->meta_box, &meta_min, &layout->meta_width);
  measure_width (GTK_WIDGET (self->body_label), &body_min, &unused);
  layout->body_y = y;
  layout->body_width = MAX (body_min, layout->text_width - layout->meta_width - META_SPACING);
  layout->body_height = measure_height (GTK_WIDGET (self->body_label), layout->body_width);
  layout->meta_height = measure_height (self->meta_box, layout->meta_width);
  layout->line_height = MAX (layout->body_height, layout->meta_height);
  y += layout->line_height;

  layout->notice_height = measure_height (GTK_WIDGET (self->notice_label), layout->text_width);
  if (gtk_widget_should_layout (GTK_WIDGET (self->notice_label)))
    y += LINE_SPACING;
  layout->notice_y = y;
  y += layout->notice_height;

  layout->height = MAX (y, layout->day_height + measure_height (GTK_WIDGET (self->avatar), AVATAR_COLUMN));
}

static GtkSizeRequestMode
talk_message_row_get_request_mode (GtkWidget *widget)
{
  return GTK_SIZE_REQUEST_HEIGHT_FOR_WIDTH;
}

static void
talk_message_row_measure (GtkWidget      *widget,
                          GtkOrientation  orientation,
                          int             for_size,
                          int            *minimum,
                          int            *natural,
                          int            *minimum_baseline,
                          int            *natural_baseline)
{
  TalkMessageRow *self = TALK_MESSAGE_ROW (widget);

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      int child_min;
      int child_nat;
      int meta_min;
      int meta_nat;
      int text_min;
      int text_nat;

      measure_width (self->meta_box, &meta_min, &meta_nat);
      measure_width (GTK_WIDGET (self->body_label), &child_min, &child_nat);
      text_min = child_min + META_SPACING + meta_nat;
      text_nat = child_nat + META_SPACING + meta_nat;
      measure_width (GTK_WIDGET (self->name_label), &child_min, &child_nat);
      text_min = MAX (text_min, child_min);
      text_nat = MAX (text_nat, child_nat);
      measure_width (GTK_WIDGET (self->notice_label), &child_min, &child_nat);
      text_min = MAX (text_min, child_min);
      text_nat = MAX (text_nat, child_nat);

      *minimum = AVATAR_COLUMN + COLUMN_SPACING + text_min;
      *natural = AVATAR_COLUMN + COLUMN_SPACING + text_nat;
      measure_width (self->day_box, &child_min, &child_nat);
      *minimum = MAX (*minimum, child_min);
      *natural = MAX (*natural, child_nat);
      *natural = MAX (*minimum, MIN (*natural, CLAMP_MAXIMUM));
    }
  else
    {
      RowLayout layout;
      int width = for_size;

      if (width < 0)
        {
          int unused;

          talk_message_row_measure (widget, GTK_ORIENTATION_HORIZONTAL, -1,
                                    &unused, &width, NULL, NULL);
        }
      compute_layout (self, clamp_width (width), &layout);
      *minimum = *natural = layout.height;
    }
}

/* Allocates @child at (@x, @y) in content coordinates, mirrored in
 * right-to-left locales. */
static void
place (GtkWidget *child,
       gboolean   rtl,
       int        content_x,
       int        content_width,
       int        x,
       int        y,
       int        width,
       int        height)
{
  if (!gtk_widget_should_layout (child))
    return;

  x = rtl ? content_width - x - width : x;
  gtk_widget_size_allocate (child,
                            &(GtkAllocation) { content_x + x, y, width, height },
                            -1);
}

static void
talk_message_row_size_allocate (GtkWidget *widget,
                                int        width,
                                int        height,
                                int        baseline)
{
  TalkMessageRow *self = TALK_MESSAGE_ROW (widget);
  gboolean rtl = gtk_widget_get_direction (widget) == GTK_TEXT_DIR_RTL;
  int content_width = clamp_width (width);
  int content_x = (width - content_width) / 2;
  RowLayout layout;
  int y;

  compute_layout (self, content_width, &layout);

  place (self->day_box, rtl, content_x, content_width,
         0, 0, content_width, layout.day_height);
  place (GTK_WIDGET (self->avatar), rtl, content_x, content_width,
         0, layout.day_height, AVATAR_COLUMN,
         measure_height (GTK_WIDGET (self->avatar), AVATAR_COLUMN));

  y = layout.day_height;
  place (GTK_WIDGET (self->name_label), rtl, content_x, content_width,
         layout.text_x, y, layout.text_width, layout.name_height);
  place (GTK_WIDGET (self->body_label), rtl, content_x, content_width,
         layout.text_x, layout.body_y, layout.body_width, layout.body_height);
  place (self->meta_box, rtl, content_x, content_width,
         layout.text_x + layout.text_width - layout.meta_width,
         layout.body_y + layout.line_height - layout.meta_height,
         layout.meta_width, layout.meta_height);
  place (GTK_WIDGET (self->notice_label), rtl, content_x, content_width,
         layout.text_x, layout.notice_y, layout.text_width, layout.notice_height);
}

/* GObject */

static void
disconnect_item (TalkMessageRow *self)
{
  if (self->item != NULL)
    g_signal_handlers_disconnect_by_data (self->item, self);
}

static void
talk_message_row_dispose (GObject *object)
{
  TalkMessageRow *self = TALK_MESSAGE_ROW (object);
  GtkWidget *child;

  disconnect_item (self);
  if (self->sender != NULL)
    g_signal_handlers_disconnect_by_data (self->sender, self);
  g_clear_object (&self->item);
  g_clear_object (&self->sender);
  g_clear_object (&self->previous);
  g_clear_pointer (&self->text, talk_message_text_unref);
  g_clear_pointer (&self->pressed_uri, g_free);
  g_clear_pointer (&self->accessible, g_free);
  gtk_widget_dispose_template (GTK_WIDGET (object), TALK_TYPE_MESSAGE_ROW);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (object))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (talk_message_row_parent_class)->dispose (object);
}

static void
talk_message_row_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  TalkMessageRow *self = TALK_MESSAGE_ROW (object);

  switch (prop_id)
    {
    case PROP_ITEM:
      g_value_set_object (value, self->item);
      break;
    case PROP_SENDER:
      g_value_set_object (value, self->sender);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
talk_message_row_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  TalkMessageRow *self = TALK_MESSAGE_ROW (object);

  switch (prop_id)
    {
    case PROP_ITEM:
      talk_message_row_set_item (self, g_value_get_object (value));
      break;
    case PROP_SENDER:
      talk_message_row_set_sender (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
talk_message_row_class_init (TalkMessageRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = talk_message_row_dispose;
  object_class->get_property = talk_message_row_get_property;
  object_class->set_property = talk_message_row_set_property;
  widget_class->get_request_mode = talk_message_row_get_request_mode;
  widget_class->measure = talk_message_row_measure;
  widget_class->size_allocate = talk_message_row_size_allocate;

  properties[PROP_ITEM] =
    g_param_spec_object ("item", NULL, NULL, TALK_TYPE_MESSAGE,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SENDER] =
    g_param_spec_object ("sender", NULL, NULL, TALK_TYPE_CONTACT,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (TALK_TYPE_AVATAR);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/com/example/Talk/ui/talk-message-row.ui");
  gtk_widget_class_bind_template_child (widget_class, TalkMessageRow, day_box);
  gtk_widget_class_bind_template_child (widget_class, TalkMessageRow, day_label);
  gtk_widget_class_bind_template_child (widget_class, TalkMessageRow, avatar);
  gtk_widget_class_bind_template_child (widget_class, TalkMessageRow, name_label);
  gtk_widget_class_bind_template_child (widget_class, TalkMessageRow, body_label);
  gtk_widget_class_bind_template_child (widget_class, TalkMessageRow, meta_box);
  gtk_widget_class_bind_template_child (widget_class, TalkMessageRow, edited_label);
  gtk_widget_class_bind_template_child (widget_class, TalkMessageRow, time_label);
  gtk_widget_class_bind_template_child (widget_class, TalkMessageRow, state_icon);
  gtk_widget_class_bind_template_child (widget_class, TalkMessageRow, state_label);
  gtk_widget_class_bind_template_child (widget_class, TalkMessageRow, notice_label);
}

static void
talk_message_row_init (TalkMessageRow *self)
{
  GtkGesture *click;
  GtkEventController *keys;
  GtkEventController *motion;

  gtk_widget_init_template (GTK_WIDGET (self));

  /* Before the label's own gesture, so a press on a link can be claimed. */
  click = gtk_gesture_click_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (click), GDK_BUTTON_PRIMARY);
  gtk_event_controller_set_propagation_phase (GTK_EVENT_CONTROLLER (click), GTK_PHASE_CAPTURE);
  g_signal_connect (click, "pressed", G_CALLBACK (body_pressed_cb), self);
  g_signal_connect (click, "released", G_CALLBACK (body_released_cb), self);
  g_signal_connect_swapped (click, "cancel", G_CALLBACK (body_cancel_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self->body_label), GTK_EVENT_CONTROLLER (click));

  keys = gtk_event_controller_key_new ();
  g_signal_connect (keys, "key-pressed", G_CALLBACK (body_key_pressed_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self->body_label), keys);

  motion = gtk_event_controller_motion_new ();
  g_signal_connect (motion, "motion", G_CALLBACK (body_motion_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self->body_label), motion);
}

GtkWidget *
talk_message_row_new (void)
{
  return g_object_new (TALK_TYPE_MESSAGE_ROW, NULL);
}

TalkMessage *
talk_message_row_get_item (TalkMessageRow *self)
{
  g_return_val_if_fail (TALK_IS_MESSAGE_ROW (self), NULL);

  return self->item;
}

void
talk_message_row_set_item (TalkMessageRow *self,
                           TalkMessage    *item)
{
  static const char * const watched[] = {
    "notify::body", "notify::state", "notify::error", "notify::edited",
  };

  g_return_if_fail (TALK_IS_MESSAGE_ROW (self));
  g_return_if_fail (item == NULL || TALK_IS_MESSAGE (item));

  if (self->item == item)
    return;

  disconnect_item (self);
  g_set_object (&self->item, item);
  if (item != NULL)
    for (guint i = 0; i < G_N_ELEMENTS (watched); i++)
      g_signal_connect_swapped (item, watched[i], G_CALLBACK (update), self);

  /* Cleared on unbind: the row keeps showing the last message until it
   * is bound again or dropped. */
  if (item != NULL)
    {
      update_header (self);
      update (self);
    }
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ITEM]);
}

TalkContact *
talk_message_row_get_sender (TalkMessageRow *self)
{
  g_return_val_if_fail (TALK_IS_MESSAGE_ROW (self), NULL);

  return self->sender;
}

void
talk_message_row_set_sender (TalkMessageRow *self,
                             TalkContact    *sender)
{
  g_return_if_fail (TALK_IS_MESSAGE_ROW (self));
  g_return_if_fail (sender == NULL || TALK_IS_CONTACT (sender));

  if (self->sender == sender)
    return;

  if (self->sender != NULL)
    g_signal_handlers_disconnect_by_data (self->sender, self);
  g_set_object (&self->sender, sender);
  if (sender != NULL)
    g_signal_connect_swapped (sender, "notify::display-name",
                              G_CALLBACK (sender_changed_cb), self);

  if (self->item != NULL)
    sender_changed_cb (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SENDER]);
}

void
talk_message_row_set_previous (TalkMessageRow *self,
                               TalkMessage    *previous)
{
  g_return_if_fail (TALK_IS_MESSAGE_ROW (self));
  g_return_if_fail (previous == NULL || TALK_IS_MESSAGE (previous));

  if (self->previous == previous)
    return;

  g_set_object (&self->previous, previous);
  update_header (self);
}
