/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "talk-message.h"

G_BEGIN_DECLS

/**
 * TalkHistoryOutcome:
 * @TALK_HISTORY_OUTCOME_STORED: a new row
 * @TALK_HISTORY_OUTCOME_DUPLICATE: the message is already stored (the same
 *   stanza-id, or the same origin-id in the same direction): a carbon, an
 *   archive copy or a redelivery of one message
 * @TALK_HISTORY_OUTCOME_CORRECTED: a correction (XEP-0308) replaced the body
 *   of an earlier message
 * @TALK_HISTORY_OUTCOME_REFUSED: a correction that targets another sender's
 *   message, or itself (XEP-0308 §5, CVE-2021-41055); nothing changed
 */
typedef enum
{
  TALK_HISTORY_OUTCOME_STORED,
  TALK_HISTORY_OUTCOME_DUPLICATE,
  TALK_HISTORY_OUTCOME_CORRECTED,
  TALK_HISTORY_OUTCOME_REFUSED,
} TalkHistoryOutcome;

#define TALK_TYPE_HISTORY_OUTCOME (talk_history_outcome_get_type ())
GType talk_history_outcome_get_type (void) G_GNUC_CONST;

/**
 * TalkHistoryHit:
 * @message_id: the history row of the message
 * @peer: the bare JID of its conversation
 * @timestamp_us: when it was written, µs since the Unix epoch
 * @snippet: plain text (not markup) around the words found, "…" where cut
 * @direction: who wrote it: the contact (IN) or the user (OUT)
 *
 * One search result.
 */
typedef struct
{
  gint64 message_id;
  char *peer;
  gint64 timestamp_us;
  char *snippet;
  TalkMessageDirection direction;
} TalkHistoryHit;

#define TALK_TYPE_HISTORY_HIT (talk_history_hit_get_type ())
GType           talk_history_hit_get_type (void) G_GNUC_CONST;
TalkHistoryHit *talk_history_hit_copy     (const TalkHistoryHit *hit);
void            talk_history_hit_free     (TalkHistoryHit *hit);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TalkHistoryHit, talk_history_hit_free)

#define TALK_TYPE_HISTORY (talk_history_get_type ())
G_DECLARE_FINAL_TYPE (TalkHistory, talk_history, TALK, HISTORY, GObject)

/**
 * TalkHistory:
 *
 * The message store: one SQLite database for all accounts, used by one
 * worker thread that alone holds the connection. Every operation is an
 * `_async` call whose result comes back on the main context of the caller;
 * operations run one at a time in the order they were made.
 *
 * Writes are durable before they complete (WAL, synchronous=FULL), so a
 * caller may acknowledge a stanza to the server (XEP-0198) from the
 * callback of the store that holds it (SECURITY.md §3.4). A failed write
 * reports a #TALK_CORE_ERROR (HISTORY_FULL, HISTORY_IO, HISTORY_READONLY,
 * HISTORY_CORRUPT) with a sentence for people; nothing is dropped quietly.
 *
 * JIDs given to it (account, peer, sender) are normalised; the account and
 * the peer are bare.
 *
 * The database opens with the first operation (or talk_history_open_async()).
 *
 * Signals, emitted on the main context after the write is durable and
 * before the callback of the operation that caused it:
 * "messages-added" (account, GPtrArray of the new #TalkMessage, in the order
 * stored; duplicates are not announced), "message-updated" (account,
 * #TalkMessage: a copy of the stored row whose state or body changed),
 * "unread-changed" (account, peer, count).
 *
 * Properties: "path" (construct-only, nullable for the default),
 * "read-only" (construct-only: open for reading; every write fails with
 * HISTORY_READONLY), "full-text-search" (construct-only, default %TRUE:
 * index bodies with SQLite's FTS5 when it has it; %FALSE searches with
 * LIKE), "indexed" (whether search uses the FTS5 index; known once open),
 * "unclean-shutdown" (the previous run did not close the database, so
 * it was checked with `PRAGMA quick_check`; known once open), "rows-read"
 * (message rows handed out so far).
 */

/**
 * talk_history_dup_default_path:
 *
 * Returns: (transfer full): `$XDG_DATA_HOME/talk/history.db`
 */
char        *talk_history_dup_default_path     (void);

/**
 * talk_history_new:
 * @path: (nullable): the database file; %NULL for the default path. Its
 *   folder is made when missing.
 *
 * Returns: (transfer full): a history that opens @path with its first
 *   operation
 */
TalkHistory *talk_history_new                  (const char *path);

/* (transfer none): the database file */
const char  *talk_history_get_path             (TalkHistory *self);
gboolean     talk_history_get_read_only        (TalkHistory *self);
gboolean     talk_history_get_indexed          (TalkHistory *self);
gboolean     talk_history_get_unclean_shutdown (TalkHistory *self);
guint64      talk_history_get_rows_read        (TalkHistory *self);

/**
 * talk_history_open_async:
 *
 * Opens the database now, so that a damaged or unwritable file is reported
 * at start-up rather than with the first message. Creates or migrates the
 * schema. Other operations open it themselves when needed.
 */
void         talk_history_open_async           (TalkHistory         *self,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
gboolean     talk_history_open_finish          (TalkHistory   *self,
                                                GAsyncResult  *result,
                                                GError       **error);

/**
 * talk_history_close_async:
 *
 * Closes the database after the operations made before, and marks it
 * closed cleanly. Operations made after fail with %G_IO_ERROR_CLOSED.
 */
void         talk_history_close_async          (TalkHistory         *self,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
gboolean     talk_history_close_finish         (TalkHistory   *self,
                                                GAsyncResult  *result,
                                                GError       **error);

/**
 * talk_history_store_async:
 * @account: the account's bare JID
 * @message: a message with its "peer" set; when it has "replaces", it is
 *   a correction (XEP-0308)
 *
 * Stores @message in the conversation of @account with its peer, in one
 * transaction. A new row sets the message's "id" and is announced by
 * "messages-added"; an incoming message not in state READ counts as
 * unread.
 *
 * A duplicate changes nothing but completes what the stored copy lacks
 * (stanza-id, archive-id, server time from an archive copy), and an
 * outgoing PENDING copy that comes back from the server becomes SENT, so
 * that it is not sent twice after a reconnect (SECURITY.md §3.3).
 *
 * A correction applies only when the message it replaces (by message-id
 * or origin-id) has the same sender's bare JID and its id is not the
 * correction's own; the row corrected gets the new body and "edited" and
 * is announced by "message-updated". A correction of a message that is not
 * stored is kept as a message of its own.
 */
void         talk_history_store_async          (TalkHistory         *self,
                                                const char          *account,
                                                TalkMessage         *message,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
/**
 * talk_history_store_finish:
 * @outcome: (out) (optional): what became of the message
 *
 * Returns: the row of the message (the existing one for a duplicate, the
 *   corrected one for a correction), 0 when refused or on error
 */
gint64       talk_history_store_finish         (TalkHistory         *self,
                                                GAsyncResult        *result,
                                                TalkHistoryOutcome  *outcome,
                                                GError             **error);

/**
 * talk_history_store_batch_async:
 * @account: the account's bare JID
 * @messages: (element-type TalkMessage): messages as for
 *   talk_history_store_async(), of any peers
 *
 * Stores all of @messages in ONE transaction (a page of the archive, a
 * burst of carbons): all or none, and one disk flush.
 */
void         talk_history_store_batch_async    (TalkHistory         *self,
                                                const char          *account,
                                                GPtrArray           *messages,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
/**
 * talk_history_store_batch_finish:
 * @n_stored: (out) (optional): how many became new rows
 */
gboolean     talk_history_store_batch_finish   (TalkHistory   *self,
                                                GAsyncResult  *result,
                                                guint         *n_stored,
                                                GError       **error);
/**
 * talk_history_store_batch_finish_outcomes:
 * @outcomes: (out) (transfer full) (element-type TalkHistoryOutcome):
 *   what became of each message, in the order given
 *
 * As talk_history_store_batch_finish(), for callers that act on each
 * message (live messages stored a burst at a time).
 */
gboolean     talk_history_store_batch_finish_outcomes (TalkHistory   *self,
                                                       GAsyncResult  *result,
                                                       GArray       **outcomes,
                                                       GError       **error);

/**
 * talk_history_update_state_async:
 * @peer: the conversation's bare JID
 * @id: the origin-id or the message-id (stanza id attribute) of an
 *   outgoing message, as receipts, markers, acks and errors name it
 * @state: the state reported
 * @error_text: (nullable): with %TALK_MESSAGE_STATE_FAILED, why
 *
 * Moves the newest outgoing message with @id to @state when
 * talk_message_state_can_follow() allows it, and announces it by
 * "message-updated".
 */
void         talk_history_update_state_async   (TalkHistory         *self,
                                                const char          *account,
                                                const char          *peer,
                                                const char          *id,
                                                TalkMessageState     state,
                                                const char          *error_text,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
/**
 * talk_history_update_state_finish:
 *
 * Returns: the row changed, or 0 when no message has that id or the state
 *   is not news (and on error)
 */
gint64       talk_history_update_state_finish  (TalkHistory   *self,
                                                GAsyncResult  *result,
                                                GError       **error);

/**
 * talk_history_load_page_async:
 * @peer: the conversation's bare JID
 * @before_timestamp_us: the cursor: the timestamp of the oldest message
 *   held, or %G_MAXINT64 for the newest page
 * @before_id: the row of that message (ties on the timestamp are ordered
 *   by row), or %G_MAXINT64
 * @limit: at most this many messages, > 0
 *
 * Loads the messages strictly before the cursor (timestamp, id), newest
 * first. Only that page is read, however long the conversation.
 */
void         talk_history_load_page_async      (TalkHistory         *self,
                                                const char          *account,
                                                const char          *peer,
                                                gint64               before_timestamp_us,
                                                gint64               before_id,
                                                guint                limit,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
/**
 * talk_history_load_page_finish:
 * @has_more: (out) (optional): whether older messages remain
 *
 * Returns: (transfer full) (element-type TalkMessage) (nullable): newest
 *   first; %NULL on error
 */
GPtrArray   *talk_history_load_page_finish     (TalkHistory   *self,
                                                GAsyncResult  *result,
                                                gboolean      *has_more,
                                                GError       **error);

/**
 * talk_history_list_pending_async:
 *
 * The outgoing messages of @account still PENDING, of every conversation,
 * in the order they were written: what to send once online.
 */
void         talk_history_list_pending_async   (TalkHistory         *self,
                                                const char          *account,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
/**
 * talk_history_list_pending_finish:
 *
 * Returns: (transfer full) (element-type TalkMessage) (nullable): %NULL on
 *   error
 */
GPtrArray   *talk_history_list_pending_finish  (TalkHistory   *self,
                                                GAsyncResult  *result,
                                                GError       **error);

/**
 * talk_history_mark_read_async:
 *
 * The user has seen the conversation: its unread count goes to 0
 * ("unread-changed" when it was not).
 */
void         talk_history_mark_read_async      (TalkHistory         *self,
                                                const char          *account,
                                                const char          *peer,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
gboolean     talk_history_mark_read_finish     (TalkHistory   *self,
                                                GAsyncResult  *result,
                                                GError       **error);

/**
 * talk_history_get_unread_async:
 *
 * Reads the unread count of the conversation of @account with @peer, as
 * "unread-changed" announces it afterwards.
 */
void         talk_history_get_unread_async     (TalkHistory         *self,
                                                const char          *account,
                                                const char          *peer,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
/**
 * talk_history_get_unread_finish:
 *
 * Returns: the unread count of the conversation (0 when there is none)
 */
guint        talk_history_get_unread_finish    (TalkHistory   *self,
                                                GAsyncResult  *result,
                                                GError       **error);

/**
 * talk_history_get_last_archive_id_async:
 *
 * The archive id (XEP-0313) of the newest archived message of @account,
 * to ask the server for what came after it.
 */
void         talk_history_get_last_archive_id_async  (TalkHistory         *self,
                                                      const char          *account,
                                                      GCancellable        *cancellable,
                                                      GAsyncReadyCallback  callback,
                                                      gpointer             user_data);
/**
 * talk_history_get_last_archive_id_finish:
 *
 * Returns: (transfer full) (nullable): the id, or %NULL when none is
 *   stored (@error tells an error apart)
 */
char        *talk_history_get_last_archive_id_finish (TalkHistory   *self,
                                                      GAsyncResult  *result,
                                                      GError       **error);

/**
 * talk_history_get_markable_async:
 * @peer: the conversation's bare JID
 *
 * The newest incoming message of the conversation that asked for chat
 * markers (XEP-0333), when no displayed marker covers it yet: the one
 * to name in the marker once the user has seen the conversation. Kept in
 * the store, so it is still owed after a restart.
 */
void         talk_history_get_markable_async   (TalkHistory         *self,
                                                const char          *account,
                                                const char          *peer,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
/**
 * talk_history_get_markable_finish:
 *
 * Returns: (transfer full) (nullable): the message, or %NULL when no
 *   marker is owed (@error tells an error apart)
 */
TalkMessage *talk_history_get_markable_finish  (TalkHistory   *self,
                                                GAsyncResult  *result,
                                                GError       **error);

/**
 * talk_history_set_displayed_async:
 * @peer: the conversation's bare JID
 * @message_id: the history row of the message a displayed marker named
 *
 * Records that a displayed marker went out for that message, which covers
 * every markable message of the conversation up to it (XEP-0333 §4).
 */
void         talk_history_set_displayed_async  (TalkHistory         *self,
                                                const char          *account,
                                                const char          *peer,
                                                gint64               message_id,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
/**
 * talk_history_set_displayed_by_id_async:
 * @peer: the conversation's bare JID
 * @id: the id a displayed marker named: the message's id attribute or
 *   its stanza-id
 *
 * As talk_history_set_displayed_async(), for a marker that another of the
 * user's devices sent (a carbon or the archive tells of it): it covers the
 * incoming message with that id and every markable one before it, so the
 * marker is not owed here any more. An id naming no incoming message
 * covers nothing. Finish with talk_history_set_displayed_finish().
 */
void         talk_history_set_displayed_by_id_async (TalkHistory         *self,
                                                     const char          *account,
                                                     const char          *peer,
                                                     const char          *id,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
/**
 * talk_history_set_displayed_finish:
 * @n_changed: (out) (optional): how many messages it covered that no
 *   marker covered before
 */
gboolean     talk_history_set_displayed_finish (TalkHistory   *self,
                                                GAsyncResult  *result,
                                                guint         *n_changed,
                                                GError       **error);

/**
 * talk_history_search_async:
 * @peer: (nullable): one conversation, or %NULL for all of @account's
 * @text: words, each of which must occur (as a word prefix with the FTS5
 *   index; anywhere in the body, ASCII case-insensitively, without it)
 * @limit: at most this many results, > 0
 *
 * Finds messages by words, newest first.
 */
void         talk_history_search_async         (TalkHistory         *self,
                                                const char          *account,
                                                const char          *peer,
                                                const char          *text,
                                                guint                limit,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
/**
 * talk_history_search_finish:
 *
 * Returns: (transfer full) (element-type TalkHistoryHit) (nullable): %NULL
 *   on error
 */
GPtrArray   *talk_history_search_finish        (TalkHistory   *self,
                                                GAsyncResult  *result,
                                                GError       **error);

G_END_DECLS
