/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The baseline of W4: a bare GTK 4 window.
 *
 *   bench-hello-gtk
 *
 * An AdwApplication (the libadwaita Talk uses, so its style sheet and
 * settings are loaded too) with one AdwApplicationWindow of Talk's
 * default size holding a label. It prints the time from the process's
 * start (BENCH_START_NS, see bench-clock.h) to the window's first frame
 * (its GdkFrameClock "after-paint"), and the RSS once the frames have
 * settled (no frame for SETTLE_QUIET_MS, or SETTLE_MAX_MS after the
 * first), then quits. bench/run-app.py runs it beside bench-app, with
 * the same renderer, to subtract what any GTK window costs.
 *
 * Needs a display. Prints; never asserts anything about time.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include <adwaita.h>

#include "bench-clock.h"

#define SETTLE_QUIET_MS 300
#define SETTLE_MAX_MS   1000
/* Talk's window-width and window-height defaults. */
#define WIDTH  960
#define HEIGHT 640

typedef struct
{
  GApplication *app;
  GtkWidget    *window;
  gint64        start;
  gboolean      exact;
  gint64        main_at;
  gint64        first_paint;
  gint64        last_paint;
  guint         n_paints;
} Hello;

static void
after_paint_cb (GdkFrameClock *clock,
                Hello         *h)
{
  h->last_paint = bench_now_ns ();
  if (h->n_paints++ == 0)
    h->first_paint = h->last_paint;
}

static gboolean
settle_cb (gpointer user_data)
{
  Hello *h = user_data;
  gint64 now = bench_now_ns ();
  double anon, file;

  if (h->n_paints == 0 ||
      (now - h->last_paint < SETTLE_QUIET_MS * G_GINT64_CONSTANT (1000000) &&
       now - h->first_paint < SETTLE_MAX_MS * G_GINT64_CONSTANT (1000000)))
    return G_SOURCE_CONTINUE;

  printf ("hello: renderer %s\n",
          G_OBJECT_TYPE_NAME (gtk_native_get_renderer (GTK_NATIVE (h->window))));
  printf ("hello: main() at %.1f ms, first frame at %.1f ms after the start%s\n",
          bench_ms (h->main_at - h->start), bench_ms (h->first_paint - h->start),
          h->exact ? "" : " (start from /proc, to 10 ms)");
  bench_rss_split_mb (&anon, &file);
  printf ("hello: RSS %.1f MB (anonymous %.1f MB, files %.1f MB) after %u frames,"
          " %.0f ms after the first\n",
          bench_rss_mb (), anon, file, h->n_paints, bench_ms (now - h->first_paint));
  fflush (stdout);
  g_application_quit (h->app);

  return G_SOURCE_REMOVE;
}

static void
realize_cb (GtkWidget *window,
            Hello     *h)
{
  g_signal_connect (gtk_widget_get_frame_clock (window), "after-paint",
                    G_CALLBACK (after_paint_cb), h);
}

static void
activate_cb (GApplication *app,
             Hello        *h)
{
  GtkWidget *label;

  if (h->window != NULL)
    return;

  h->window = adw_application_window_new (GTK_APPLICATION (app));
  gtk_window_set_title (GTK_WINDOW (h->window), "Hello");
  gtk_window_set_default_size (GTK_WINDOW (h->window), WIDTH, HEIGHT);
  label = gtk_label_new ("Hello, world");
  adw_application_window_set_content (ADW_APPLICATION_WINDOW (h->window), label);
  g_signal_connect (h->window, "realize", G_CALLBACK (realize_cb), h);
  gtk_window_present (GTK_WINDOW (h->window));
  g_timeout_add (10, settle_cb, h);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(AdwApplication) app = NULL;
  Hello h = { 0 };

  h.main_at = bench_now_ns ();
  h.start = bench_start_ns (&h.exact);

  app = adw_application_new ("com.example.Talk.BenchHello", G_APPLICATION_DEFAULT_FLAGS);
  h.app = G_APPLICATION (app);
  g_signal_connect (app, "activate", G_CALLBACK (activate_cb), &h);

  return g_application_run (G_APPLICATION (app), argc, argv);
}
