/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * TalkMessageRow lays out its children itself, one level deep (nested
 * boxes around the wrapping body made GTK measure each row about a
 * thousand times when a conversation opened). These tests check that
 * layout: the body wraps in the width left by the time, the content is
 * clamped and centred, the avatar column is kept when the avatar is
 * hidden, the time sits at the end of the body's last line, and all of
 * it is mirrored right to left.
 *
 * Needs a display (Xvfb in the test session).
 */

#include "config.h"

#include <adwaita.h>

#include "talk-message-row.h"

#define PEER "bob@example.test"
/* 2023-11-14 22:13:20 UTC */
#define T0 G_GINT64_CONSTANT (1700000000)
#define LONG_BODY \
  "A message long enough to wrap over several lines in a narrow window, " \
  "so that its height depends on the width it is given: the quick brown " \
  "fox jumps over the lazy dog, again and again, until the line is full."

typedef struct
{
  GtkWidget *window;
  GtkWidget *box;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  fixture->window = gtk_window_new ();
  fixture->box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  gtk_window_set_child (GTK_WINDOW (fixture->window), fixture->box);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  gtk_window_destroy (GTK_WINDOW (fixture->window));
}

static TalkMessage *
message_new (TalkMessageDirection  direction,
             const char           *body,
             int                   minutes)
{
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_utc (T0 + 60 * minutes);

  return talk_message_new (PEER, direction,
                           direction == TALK_MESSAGE_DIRECTION_IN ? PEER "/phone" : "me@example.test/desk",
                           body, time);
}

/* A row in the fixture's window (for its style), showing @message after
 * @previous. */
static TalkMessageRow *
row_new (Fixture     *fixture,
         TalkMessage *message,
         TalkMessage *previous)
{
  TalkMessageRow *row = TALK_MESSAGE_ROW (talk_message_row_new ());

  gtk_box_append (GTK_BOX (fixture->box), GTK_WIDGET (row));
  talk_message_row_set_previous (row, previous);
  talk_message_row_set_item (row, message);

  return row;
}

static int
height_for_width (TalkMessageRow *row,
                  int             width)
{
  int height;

  gtk_widget_measure (GTK_WIDGET (row), GTK_ORIENTATION_VERTICAL, width,
                      &height, NULL, NULL, NULL);
  return height;
}

static void
allocate (TalkMessageRow *row,
          int             width)
{
  gtk_widget_size_allocate (GTK_WIDGET (row),
                            &(GtkAllocation) { 0, 0, width, height_for_width (row, width) },
                            -1);
}

/* The descendant of @row that is a label showing @text. */
static GtkWidget *
find_label (GtkWidget  *widget,
            const char *text)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget);
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found;

      if (GTK_IS_LABEL (child) && g_strcmp0 (gtk_label_get_text (GTK_LABEL (child)), text) == 0)
        return child;
      found = find_label (child, text);
      if (found != NULL)
        return found;
    }

  return NULL;
}

static graphene_rect_t
bounds_in_row (TalkMessageRow *row,
               GtkWidget      *child)
{
  graphene_rect_t bounds;

  g_assert_nonnull (child);
  g_assert_true (gtk_widget_compute_bounds (child, GTK_WIDGET (row), &bounds));

  return bounds;
}

static void
test_wraps (Fixture       *fixture,
            gconstpointer  data)
{
  g_autoptr(TalkMessage) short_message = message_new (TALK_MESSAGE_DIRECTION_IN, "Hi", 0);
  g_autoptr(TalkMessage) long_message = message_new (TALK_MESSAGE_DIRECTION_IN, LONG_BODY, 1);
  TalkMessageRow *short_row = row_new (fixture, short_message, NULL);
  TalkMessageRow *long_row = row_new (fixture, long_message, short_message);
  int minimum;
  int natural;

  /* A short message is as high at any width; a long one grows as the
   * width shrinks. */
  g_assert_cmpint (height_for_width (short_row, 300), ==, height_for_width (short_row, 800));
  g_assert_cmpint (height_for_width (long_row, 300), >, height_for_width (long_row, 800));
  g_assert_cmpint (height_for_width (long_row, 300), >, height_for_width (short_row, 300));

  /* Its natural width is its text on one line, at most the clamp's. */
  gtk_widget_measure (GTK_WIDGET (long_row), GTK_ORIENTATION_HORIZONTAL, -1,
                      &minimum, &natural, NULL, NULL);
  g_assert_cmpint (minimum, <, 300);
  g_assert_cmpint (natural, >, minimum);
  g_assert_cmpint (natural, <=, 860 + 2 * 18);
}

static void
test_clamped (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(TalkMessage) first = message_new (TALK_MESSAGE_DIRECTION_IN, "first", 0);
  g_autoptr(TalkMessage) second = message_new (TALK_MESSAGE_DIRECTION_IN, LONG_BODY, 1);
  TalkMessageRow *first_row = row_new (fixture, first, NULL);
  TalkMessageRow *second_row = row_new (fixture, second, first);
  graphene_rect_t body;
  graphene_rect_t first_body;
  graphene_rect_t time;
  double left;
  double right;

  allocate (first_row, 1600);
  allocate (second_row, 1600);

  /* In a wide window the content is centred: as far from the left edge
   * (avatar column and spacing aside) as the time is from the right. */
  body = bounds_in_row (second_row, find_label (GTK_WIDGET (second_row), LONG_BODY));
  time = bounds_in_row (second_row, find_label (GTK_WIDGET (second_row), "22:14"));
  left = body.origin.x - (36 + 12);
  right = 1600 - (time.origin.x + time.size.width);
  g_assert_cmpfloat (left, >, 300);
  g_assert_cmpfloat (ABS (left - right), <=, 2);
  /* The body keeps clear of the time. */
  g_assert_cmpfloat (body.origin.x + body.size.width + 12, <=, time.origin.x);

  /* The second row continues the first's group, so it shows no avatar,
   * but its body starts where the first one's does. */
  first_body = bounds_in_row (first_row, find_label (GTK_WIDGET (first_row), "first"));
  g_assert_cmpfloat (first_body.origin.x, ==, body.origin.x);
}

static void
test_time_on_last_line (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(TalkMessage) message = message_new (TALK_MESSAGE_DIRECTION_OUT, LONG_BODY, 0);
  TalkMessageRow *row = row_new (fixture, message, NULL);
  GtkWidget *body_label = find_label (GTK_WIDGET (row), LONG_BODY);
  graphene_rect_t body;
  graphene_rect_t time;
  graphene_rect_t name;

  allocate (row, 320);
  body = bounds_in_row (row, body_label);
  time = bounds_in_row (row, find_label (GTK_WIDGET (row), "22:13"));
  name = bounds_in_row (row, find_label (GTK_WIDGET (row), "me@example.test/desk"));

  /* Wrapped over several lines, with the time beside its end. */
  g_assert_cmpfloat (body.size.height, >, 3 * time.size.height);
  g_assert_cmpfloat (time.origin.y + time.size.height, >, body.origin.y + body.size.height - time.size.height);
  g_assert_cmpfloat (time.origin.y + time.size.height, <=, body.origin.y + body.size.height + 1);
  g_assert_cmpfloat (time.origin.x, >=, body.origin.x + body.size.width);
  /* The sender's name heads the group, above the body. */
  g_assert_cmpfloat (name.origin.y + name.size.height, <=, body.origin.y);
  g_assert_cmpfloat (name.origin.x, ==, body.origin.x);
  g_assert_cmpint (height_for_width (row, 320), >=, (int) (body.origin.y + body.size.height));
}

static void
test_right_to_left (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(TalkMessage) message = message_new (TALK_MESSAGE_DIRECTION_IN, "שלום", 0);
  TalkMessageRow *row = row_new (fixture, message, NULL);
  graphene_rect_t body;
  graphene_rect_t time;
  graphene_rect_t ltr_body;

  allocate (row, 600);
  ltr_body = bounds_in_row (row, find_label (GTK_WIDGET (row), "שלום"));

  gtk_widget_set_direction (GTK_WIDGET (row), GTK_TEXT_DIR_RTL);
  allocate (row, 600);
  body = bounds_in_row (row, find_label (GTK_WIDGET (row), "שלום"));
  time = bounds_in_row (row, find_label (GTK_WIDGET (row), "22:13"));

  /* Mirrored: the avatar column on the right, the time at the left. */
  g_assert_cmpfloat (time.origin.x + time.size.width, <=, body.origin.x);
  g_assert_cmpfloat (ABS ((body.origin.x + body.size.width) - (600 - ltr_body.origin.x)), <=, 1);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  /* Times show in UTC whatever the machine's zone. */
  g_setenv ("TZ", "UTC", TRUE);
  adw_init ();

  g_test_add ("/talk/ui/message-row/wraps", Fixture, NULL,
              fixture_set_up, test_wraps, fixture_tear_down);
  g_test_add ("/talk/ui/message-row/clamped", Fixture, NULL,
              fixture_set_up, test_clamped, fixture_tear_down);
  g_test_add ("/talk/ui/message-row/time-on-last-line", Fixture, NULL,
              fixture_set_up, test_time_on_last_line, fixture_tear_down);
  g_test_add ("/talk/ui/message-row/right-to-left", Fixture, NULL,
              fixture_set_up, test_right_to_left, fixture_tear_down);

  return g_test_run ();
}
