/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Clocks and memory for the benchmarks that start a whole GTK program
 * (bench-hello-gtk, bench-app, bench-history-ui).
 *
 * A process's start is the CLOCK_MONOTONIC stamp (nanoseconds) that the
 * harness took just before it started the program, in BENCH_START_NS;
 * without it, the kernel's start time of the process (/proc/self/stat,
 * in clock ticks since boot, so only to 10 ms) against CLOCK_BOOTTIME.
 */
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>

static inline gint64
bench_clock_ns (clockid_t clock)
{
  struct timespec ts;

  clock_gettime (clock, &ts);
  return (gint64) ts.tv_sec * G_GINT64_CONSTANT (1000000000) + ts.tv_nsec;
}

/* Now, on the clock of bench_start_ns(), in nanoseconds. */
static inline gint64
bench_now_ns (void)
{
  return bench_clock_ns (CLOCK_MONOTONIC);
}

static inline double
bench_ms (gint64 ns)
{
  return ns / 1e6;
}

/* Returns: the kernel's start time of this process, moved to
 * CLOCK_MONOTONIC, or 0 */
static inline gint64
bench_proc_start_ns (void)
{
  g_autofree char *stat = NULL;
  g_auto(GStrv) fields = NULL;
  const char *after_name;
  guint64 ticks;
  gint64 since_start;

  if (!g_file_get_contents ("/proc/self/stat", &stat, NULL, NULL))
    return 0;
  /* The name may hold spaces and parentheses: count from the last ')'. */
  after_name = strrchr (stat, ')');
  if (after_name == NULL)
    return 0;
  fields = g_strsplit (after_name + 2, " ", 0);
  /* Field 22 of proc(5), the 20th after the name. */
  if (g_strv_length (fields) < 20)
    return 0;
  ticks = g_ascii_strtoull (fields[19], NULL, 10);
  since_start = bench_clock_ns (CLOCK_BOOTTIME) -
                (gint64) (ticks * (1e9 / sysconf (_SC_CLK_TCK)));

  return bench_now_ns () - since_start;
}

/* Returns: when this process started, on CLOCK_MONOTONIC; *exact says
 * whether the harness told it */
static inline gint64
bench_start_ns (gboolean *exact)
{
  const char *text = g_getenv ("BENCH_START_NS");
  gint64 start = text != NULL ? g_ascii_strtoll (text, NULL, 10) : 0;

  *exact = start > 0;
  return start > 0 ? start : bench_proc_start_ns ();
}

/* Resident set size in MB (MiB), as /proc/self/statm counts it. */
static inline double
bench_rss_mb (void)
{
  unsigned long size = 0;
  unsigned long resident = 0;
  FILE *statm = fopen ("/proc/self/statm", "r");

  if (statm == NULL)
    return 0.;
  if (fscanf (statm, "%lu %lu", &size, &resident) != 2)
    resident = 0;
  fclose (statm);

  return resident * (double) sysconf (_SC_PAGESIZE) / (1024. * 1024.);
}

/* The resident anonymous memory (heap, stacks, GPU buffers in memory)
 * and file-backed pages (code and data of the libraries, fonts), in MB,
 * from /proc/self/status. */
static inline void
bench_rss_split_mb (double *anon,
                    double *file)
{
  g_autofree char *status = NULL;
  const char *line;

  *anon = *file = 0.;
  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return;
  if ((line = strstr (status, "\nRssAnon:")) != NULL)
    *anon = g_ascii_strtod (line + strlen ("\nRssAnon:"), NULL) / 1024.;
  if ((line = strstr (status, "\nRssFile:")) != NULL)
    *file = g_ascii_strtod (line + strlen ("\nRssFile:"), NULL) / 1024.;
}
