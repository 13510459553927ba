/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * TalkProbeBenchLevel:
 * @TALK_PROBE_BENCH_CLIENT: the whole account: TalkClient with its session,
 *   roster model, chats and history (SQLite)
 * @TALK_PROBE_BENCH_SESSION: the session and its roster, presence and
 *   message modules only, nothing stored
 */
typedef enum
{
  TALK_PROBE_BENCH_CLIENT,
  TALK_PROBE_BENCH_SESSION,
} TalkProbeBenchLevel;

typedef struct
{
  TalkProbeBenchLevel level;
  const char *jid;              /* bare JID */
  const char *host;             /* nullable: DNS */
  guint16     port;
  gboolean    direct_tls;
  const char *pin;              /* nullable */
  guint       expect_contacts;  /* ROSTER waits for this many */
  guint       expect_messages;  /* DONE after this many; 0: none */
  guint       duration;         /* seconds online after READY; 0: no limit */
  gboolean    stay;             /* stay online after READY (else EXIT) */
} TalkProbeBenchOptions;

/* Points XDG_DATA_HOME and XDG_CACHE_HOME at a new temp dir and settings
 * at memory. Call before anything reads them (GLib caches them). */
gboolean talk_probe_bench_prepare  (GError **error);

/* Signs in with @password (copied) and prints the bench lines; quits
 * @loop when done, with the exit status in @exit_code. */
void     talk_probe_bench_start    (const TalkProbeBenchOptions *options,
                                    const char                  *password,
                                    GMainLoop                   *loop,
                                    int                         *exit_code);

/* SIGINT/SIGTERM: prints EXIT and quits the loop. */
void     talk_probe_bench_stop     (void);

/* Releases everything and removes the temp dir. */
void     talk_probe_bench_cleanup  (void);

G_END_DECLS
