/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * TalkSearchPanel going away: alone, and inside a window that closes
 * with the bar open, as when Talk quits with a chat in view.
 *
 * The bar is both a template child and the bin's child; disposing it
 * twice was a Gtk-CRITICAL (gtk_widget_unparent on a freed widget) that
 * fatal criticals, set by g_test_init and by meson's G_DEBUG, turn into
 * an abort. So these tests pass by not crashing, and check that the
 * panel was really finalized.
 *
 * Needs a display (Xvfb in the test session).
 */

#include "config.h"

#include <adwaita.h>

#include "talk-search-panel.h"

/* Long enough for a loaded CI machine under the sanitizers. */
#define WAIT_SECONDS 30

static gboolean
timed_out_cb (gpointer user_data)
{
  gboolean *timed_out = user_data;

  *timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

/* Turns the main loop until @done (@data) holds, or fails the test. */
static void
wait_until (gboolean  (*done) (gpointer data),
            gpointer    data,
            const char *what)
{
  gboolean timed_out = FALSE;
  guint timeout_id = g_timeout_add_seconds (WAIT_SECONDS, timed_out_cb, &timed_out);

  while (!done (data) && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (timeout_id);
  if (!done (data))
    g_error ("%s did not happen within %d s", what, WAIT_SECONDS);
}

static gboolean
is_cleared (gpointer data)
{
  return *(gpointer *) data == NULL;
}

static gboolean
is_mapped (gpointer data)
{
  return gtk_widget_get_mapped (data);
}

static void
test_unparented (void)
{
  GtkWidget *panel = g_object_ref_sink (talk_search_panel_new ());
  gpointer weak = panel;

  g_object_add_weak_pointer (G_OBJECT (panel), &weak);
  g_object_unref (panel);
  g_assert_null (weak);
}

static void
test_window_closes_while_open (void)
{
  GtkWidget *window = gtk_window_new ();
  GtkWidget *panel = talk_search_panel_new ();
  gpointer weak_panel = panel;
  gpointer weak_window = window;

  g_object_add_weak_pointer (G_OBJECT (panel), &weak_panel);
  g_object_add_weak_pointer (G_OBJECT (window), &weak_window);
  gtk_window_set_child (GTK_WINDOW (window), panel);
  gtk_window_present (GTK_WINDOW (window));
  talk_search_panel_begin (TALK_SEARCH_PANEL (panel));
  g_assert_true (talk_search_panel_get_active (TALK_SEARCH_PANEL (panel)));

  /* Let it map and draw, so that closing takes the path of a real one. */
  wait_until (is_mapped, panel, "mapping the search panel");

  gtk_window_destroy (GTK_WINDOW (window));
  wait_until (is_cleared, &weak_window, "finalizing the window");
  wait_until (is_cleared, &weak_panel, "finalizing the search panel");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  if (!gtk_init_check ())
    {
      g_test_message ("No display: run the tests under Xvfb (tests/session-env.sh)");
      return 77;
    }
  adw_init ();

  g_test_add_func ("/talk/ui/search-panel/unparented", test_unparented);
  g_test_add_func ("/talk/ui/search-panel/window-closes-while-open",
                   test_window_closes_while_open);

  return g_test_run ();
}
