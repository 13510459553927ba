/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * TalkXmppSession: stream management (XEP-0198, urn:xmpp:sm:3).
 *
 *   bound, <sm/> offered ─► <enable resume='true'/> ─► <enabled/>: counting
 *                                                  └─► <failed/>: without
 *   sending    message/presence/iq ─► unacknowledged queue ─► <r/> after 5
 *              stanzas or 1 s after the last ─► <a h/> drops what the
 *              server handled ("stanza-acknowledged")
 *   receiving  stanza ─► handlers (one may hold the ack until the message
 *              is stored) ─► h, the stanzas handled in order ─► <a h/>
 *              answers <r/>, and follows a release the server waited for
 *   lost       resumable? ─► next attempt: SASL ─► <resume previd h/>
 *              ─► <resumed h/>: drop what it handled, send the rest again,
 *                 "resumed"
 *              ─► <failed h?/>: drop what it handled, bind, report the rest
 *                 ("stanzas-unacknowledged"), "online"
 *
 * Counts are 32-bit and wrap to 0 after 2^32 − 1 (XEP-0198 §4): every
 * comparison is a difference of guint32. Our count of received stanzas
 * starts at <enabled/>, as the server's count of what it sends starts there;
 * our count of sent stanzas starts at <enable/>, as the server counts what
 * it reads after that.
 */

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "talk-xmpp-session-private.h"

/* Ask for an ack after this many stanzas, or this long after the last one;
 * at most one <r/> is out at a time. */
#define REQUEST_AFTER_STANZAS 5
#define REQUEST_AFTER_MS      1000

enum {
  RESUMED,
  STANZA_ACKNOWLEDGED,
  STANZAS_UNACKNOWLEDGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];
static GParamSpec *prop_enabled;
static GParamSpec *prop_resumed;

struct _TalkXmppAckToken
{
  guint   epoch;   /* 0: holds nothing */
  guint32 seq;
};

/* A received stanza whose ack is held, with how many tokens hold it. */
typedef struct
{
  guint32 seq;
  guint   holds;
} Held;

/* Helpers */

static void
sm_set_enabled (TalkXmppSession *self,
                gboolean         enabled)
{
  if (self->sm.enabled == enabled)
    return;
  self->sm.enabled = enabled;
  g_object_notify_by_pspec (G_OBJECT (self), prop_enabled);
}

static void
sm_set_resumed (TalkXmppSession *self,
                gboolean         resumed)
{
  if (self->sm.resumed == resumed)
    return;
  self->sm.resumed = resumed;
  g_object_notify_by_pspec (G_OBJECT (self), prop_resumed);
}

/* XEP-0198 §4: h is an xs:unsignedInt. */
static gboolean
parse_count (const char *text,
             guint32    *count)
{
  guint64 value;

  if (text == NULL || !g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT32, &value, NULL))
    return FALSE;
  *count = (guint32) value;
  return TRUE;
}

/* Only stanzas count; nonzas such as <r/> and <a/> never do (XEP-0198 §1). */
static gboolean
is_counted (TalkXmppStanza *stanza)
{
  return _talk_xmpp_session_stanza_is_client (stanza, "message") ||
         _talk_xmpp_session_stanza_is_client (stanza, "presence") ||
         _talk_xmpp_session_stanza_is_client (stanza, "iq");
}

static GPtrArray *
stanza_array_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) talk_xmpp_stanza_unref);
}

static void
send_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  /* A failed write also fails the pending receive, which reports the loss. */
  if (!talk_xmpp_stream_send_finish (TALK_XMPP_STREAM (source), result, &error))
    g_debug ("Sending a stream management element failed: %s", error->message);
}

static void
send_raw_done_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!talk_xmpp_stream_send_raw_finish (TALK_XMPP_STREAM (source), result, &error))
    g_debug ("Sending a stream error failed: %s", error->message);
}

static void
sm_send (TalkXmppSession *self,
         TalkXmppStanza  *element)
{
  self->last_queued = g_get_monotonic_time ();
  talk_xmpp_stream_send_async (self->stream, element, NULL, send_done_cb, NULL);
}

/* XEP-0198 §4: the server counts more than was sent. Its state is not
 * ours; the stream ends with this error (SECURITY.md §3.2). */
static void
write_count_too_high (TalkXmppStream *stream,
                      guint32         h,
                      guint32         send_count)
{
  g_autofree char *text = NULL;

  g_debug ("The server acknowledged up to %" G_GUINT32_FORMAT ", but only %" G_GUINT32_FORMAT
           " stanzas were sent", h, send_count);
  text = g_strdup_printf ("<stream:error>"
                          "<undefined-condition xmlns='" TALK_XMPP_NS_STREAMS "'/>"
                          "<handled-count-too-high xmlns='" TALK_XMPP_NS_SM "'"
                          " h='%" G_GUINT32_FORMAT "' send-count='%" G_GUINT32_FORMAT "'/>"
                          "</stream:error>",
                          h, send_count);
  talk_xmpp_stream_send_raw_async (stream, text, NULL, send_raw_done_cb, NULL);
}

static GError *
count_too_high_error_new (void)
{
  return g_error_new_literal (TALK_XMPP_ERROR, TALK_XMPP_ERROR_PROTOCOL,
                              _("The server claimed to have handled more messages than "
                                "were sent"));
}

/* Outgoing */

static void
sm_stop_requests (TalkXmppSessionSm *sm)
{
  g_clear_handle_id (&sm->r_source_id, g_source_remove);
  sm->r_pending = FALSE;
  sm->n_since_r = 0;
}

/* Whether the server may have handled up to @h: no more than was sent. */
static gboolean
sm_count_valid (TalkXmppSessionSm *sm,
                guint32            h)
{
  return (guint32) (h - sm->out_acked) <= (guint32) (sm->out_count - sm->out_acked);
}

/* Takes what the server handled up to @h (valid) off the queue.
 * Returns: (transfer full): the stanzas, oldest first */
static GPtrArray *
sm_take_acked (TalkXmppSessionSm *sm,
               guint32            h)
{
  GPtrArray *acked = stanza_array_new ();
  guint32 n_new = h - sm->out_acked;

  for (guint32 i = 0; i < n_new && !g_queue_is_empty (&sm->unacked); i++)
    g_ptr_array_add (acked, g_queue_pop_head (&sm->unacked));
  sm->out_acked = h;

  return acked;
}

/* Returns: (transfer full): every stanza still unacknowledged */
static GPtrArray *
sm_take_unacked (TalkXmppSessionSm *sm)
{
  GPtrArray *unacked = stanza_array_new ();

  while (!g_queue_is_empty (&sm->unacked))
    g_ptr_array_add (unacked, g_queue_pop_head (&sm->unacked));
  sm->out_acked = sm->out_count;

  return unacked;
}

/* Keeps @acked (taken) for "stanza-acknowledged" once online. */
static void
sm_acknowledge_later (TalkXmppSessionSm *sm,
                      GPtrArray         *acked)
{
  if (sm->to_acknowledge == NULL)
    sm->to_acknowledge = acked;
  else
    g_ptr_array_extend_and_steal (sm->to_acknowledge, acked);
}

static void
sm_emit_acknowledged (TalkXmppSession *self,
                      GPtrArray       *acked)
{
  for (guint i = 0; i < acked->len; i++)
    g_signal_emit (self, signals[STANZA_ACKNOWLEDGED], 0, g_ptr_array_index (acked, i));
}

static void
sm_send_request (TalkXmppSession *self)
{
  TalkXmppSessionSm *sm = &self->sm;
  g_autoptr(TalkXmppStanza) r = talk_xmpp_stanza_new ("r", TALK_XMPP_NS_SM);

  g_clear_handle_id (&sm->r_source_id, g_source_remove);
  sm->r_pending = TRUE;
  sm->n_since_r = 0;
  sm_send (self, r);
}

static gboolean
request_timeout_cb (gpointer user_data)
{
  TalkXmppSession *self = user_data;

  self->sm.r_source_id = 0;
  if (self->sm.enabled && !self->sm.r_pending && !g_queue_is_empty (&self->sm.unacked))
    sm_send_request (self);
  return G_SOURCE_REMOVE;
}

/* Batches requests: at once after REQUEST_AFTER_STANZAS, else
 * REQUEST_AFTER_MS after the last stanza; never two <r/> out. */
static void
sm_schedule_request (TalkXmppSession *self)
{
  TalkXmppSessionSm *sm = &self->sm;

  if (!sm->enabled || sm->r_pending || self->stream == NULL || g_queue_is_empty (&sm->unacked))
    return;

  if (sm->n_since_r >= REQUEST_AFTER_STANZAS)
    {
      sm_send_request (self);
      return;
    }

  g_clear_handle_id (&sm->r_source_id, g_source_remove);
  sm->r_source_id = _talk_xmpp_session_timeout_add_named (REQUEST_AFTER_MS, request_timeout_cb,
                                                          self, "[talk] sm request");
}

/* Incoming */

/* What the server may be told: the stanzas handled in order, up to the
 * first one still held, or the one being handled. */
static guint32
sm_handled (TalkXmppSessionSm *sm)
{
  Held *first = g_queue_peek_head (&sm->held);

  if (first != NULL)
    return first->seq - 1;
  if (sm->in_counted)
    return sm->in_count - 1;
  return sm->in_count;
}

/* Counting received stanzas starts over at @count; tokens from before
 * release nothing. */
static void
sm_restart_incoming (TalkXmppSessionSm *sm,
                     guint32            count)
{
  g_queue_clear_full (&sm->held, g_free);
  if (++sm->epoch == 0)
    sm->epoch = 1;
  sm->in_count = count;
  sm->in_told = count;
  sm->in_counted = FALSE;
  sm->peer_waiting = FALSE;
}

static void
sm_send_ack (TalkXmppSession *self,
             guint32          h)
{
  g_autoptr(TalkXmppStanza) a = talk_xmpp_stanza_new ("a", TALK_XMPP_NS_SM);
  g_autofree char *text = g_strdup_printf ("%" G_GUINT32_FORMAT, h);

  talk_xmpp_stanza_set_attribute (a, "h", text);
  self->sm.in_told = h;
  sm_send (self, a);
}

static gboolean
sm_tell_cb (gpointer user_data)
{
  TalkXmppSession *self = user_data;
  TalkXmppSessionSm *sm = &self->sm;
  guint32 h;

  sm->tell_source_id = 0;
  if (!sm->enabled || !sm->peer_waiting || self->stream == NULL)
    return G_SOURCE_REMOVE;

  h = sm_handled (sm);
  if (h != sm->in_told)
    sm_send_ack (self, h);
  if (h == sm->in_count)
    sm->peer_waiting = FALSE;

  return G_SOURCE_REMOVE;
}

/* The server asked while stanzas were held: an unsolicited <a/> tells it
 * as the count moves on (XEP-0198 §4 allows them at any time). Held acks
 * are released a stored batch at a time, hundreds in one go: the <a/>
 * waits for the end of the dispatch, so that one tells of them all
 * rather than one each (each <a/> also has Prosody send a new <r/>). */
static void
sm_maybe_tell (TalkXmppSession *self)
{
  TalkXmppSessionSm *sm = &self->sm;

  if (!sm->enabled || !sm->peer_waiting || self->stream == NULL ||
      sm->tell_source_id != 0)
    return;

  sm->tell_source_id = g_idle_add_full (G_PRIORITY_DEFAULT, sm_tell_cb, self, NULL);
}

/* Ending and suspending */

/* The stream management session is over: nothing to resume, counting
 * starts over. Returns: (transfer full): what the server never
 * acknowledged */
static GPtrArray *
sm_reset (TalkXmppSession *self)
{
  TalkXmppSessionSm *sm = &self->sm;
  GPtrArray *unacked = sm_take_unacked (sm);

  g_clear_pointer (&sm->id, g_free);
  g_clear_pointer (&sm->location, g_free);
  g_clear_pointer (&sm->jid, talk_xmpp_jid_unref);
  sm->resumable = FALSE;
  sm->suspended = FALSE;
  sm->max_seconds = 0;
  sm->out_count = 0;
  sm->out_acked = 0;
  sm_stop_requests (sm);
  sm_restart_incoming (sm, 0);

  return unacked;
}

/* Appends @stanzas to what is reported once online again. */
static void
sm_report_later (TalkXmppSessionSm *sm,
                 GPtrArray         *stanzas)
{
  if (stanzas->len == 0)
    return;
  if (sm->to_report == NULL)
    sm->to_report = stanza_array_new ();
  for (guint i = 0; i < stanzas->len; i++)
    g_ptr_array_add (sm->to_report, talk_xmpp_stanza_ref (g_ptr_array_index (stanzas, i)));
}

/* Emits "stanzas-unacknowledged" for what was kept for it and @more. */
static void
sm_report (TalkXmppSession *self,
           GPtrArray       *more)
{
  g_autoptr(GPtrArray) stanzas = g_steal_pointer (&self->sm.to_report);

  if (stanzas == NULL)
    stanzas = stanza_array_new ();
  if (more != NULL)
    for (guint i = 0; i < more->len; i++)
      g_ptr_array_add (stanzas, talk_xmpp_stanza_ref (g_ptr_array_index (more, i)));

  if (stanzas->len == 0)
    return;

  g_debug ("%u stanzas were never acknowledged by the server", stanzas->len);
  g_signal_emit (self, signals[STANZAS_UNACKNOWLEDGED], 0, stanzas);
}

/* Private API */

void
_talk_xmpp_session_sm_offline (TalkXmppSession *self,
                               const GError    *error)
{
  TalkXmppSessionSm *sm = &self->sm;
  gboolean was_counting = sm->enable_sent;
  gboolean was_enabled = sm->enabled;
  g_autoptr(GPtrArray) unacked = NULL;

  sm->enable_sent = FALSE;
  sm_stop_requests (sm);
  sm_set_enabled (self, FALSE);
  sm_set_resumed (self, FALSE);

  if (error == NULL)
    {
      /* The user's choice. Online, the stream was closed cleanly: the
       * server handles what it read before the closing tag (RFC 6120
       * §4.4). A resumption still pending is given up, and with it what
       * it would have sent again. */
      if (!was_counting && !sm->suspended && sm->to_report == NULL)
        return;
      unacked = sm_reset (self);
      if (was_counting && unacked->len > 0)
        g_debug ("Closed cleanly with %u stanzas unacknowledged", unacked->len);
      sm_report (self, was_counting ? NULL : unacked);
      return;
    }

  /* A failed attempt: a suspended session stays so for the next one. */
  if (!was_counting)
    return;

  if (was_enabled && sm->resumable)
    {
      g_debug ("Stream management session %s suspended", sm->id);
      sm->suspended = TRUE;
      sm->lost_at = g_get_monotonic_time ();
      return;
    }

  unacked = sm_reset (self);
  sm_report (self, unacked);
}

void
_talk_xmpp_session_sm_prepare_attempt (TalkXmppSession   *self,
                                       TalkXmppConnector *connector)
{
  TalkXmppSessionSm *sm = &self->sm;

  if (!sm->suspended)
    return;

  /* XEP-0198 §5: the server keeps the session for max seconds at most. */
  if (sm->max_seconds > 0 &&
      g_get_monotonic_time () - sm->lost_at > (gint64) sm->max_seconds * G_USEC_PER_SEC)
    {
      g_autoptr(GPtrArray) unacked = NULL;

      g_debug ("Too late to resume: the server keeps a session %u s", sm->max_seconds);
      unacked = sm_reset (self);
      sm_report_later (sm, unacked);
      return;
    }

  /* Stanzas stored since the loss count as handled too. */
  sm->resume_h = sm_handled (sm);
  talk_xmpp_connector_set_resume (connector, sm->id, sm->resume_h, sm->jid);
}

/* <resumed h/>: the session goes on (XEP-0198 §5). */
static gboolean
sm_resumed (TalkXmppSession  *self,
            TalkXmppStanza   *resumed,
            TalkXmppStream   *stream,
            GError          **error)
{
  TalkXmppSessionSm *sm = &self->sm;
  guint32 h;

  if (!parse_count (talk_xmpp_stanza_get_attribute (resumed, "h"), &h))
    {
      /* Without h there is no knowing what to send again (Conversations
       * gives up here too): a fresh session next time. */
      g_autoptr(GPtrArray) unacked = sm_reset (self);

      sm_report_later (sm, unacked);
      g_set_error_literal (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_PROTOCOL,
                           _("The server resumed the session without saying what it "
                             "received"));
      return FALSE;
    }

  if (!sm_count_valid (sm, h))
    {
      g_autoptr(GPtrArray) unacked = NULL;

      write_count_too_high (stream, h, sm->out_count);
      unacked = sm_reset (self);
      sm_report_later (sm, unacked);
      g_propagate_error (error, count_too_high_error_new ());
      return FALSE;
    }

  g_debug ("Stream management session %s resumed", sm->id);
  sm_acknowledge_later (sm, sm_take_acked (sm, h));

  /* The server sends again what it sent after the h we gave. */
  sm->suspended = FALSE;
  sm->enable_sent = TRUE;
  sm_restart_incoming (sm, sm->resume_h);
  return TRUE;
}

gboolean
_talk_xmpp_session_sm_attempt_done (TalkXmppSession    *self,
                                    TalkXmppConnector  *connector,
                                    TalkXmppStream     *stream,
                                    gboolean           *resumed,
                                    GError            **error)
{
  TalkXmppSessionSm *sm = &self->sm;
  TalkXmppStanza *answer = talk_xmpp_connector_get_resume_answer (connector);
  g_autoptr(GPtrArray) unacked = NULL;
  guint32 h;

  *resumed = FALSE;
  if (!sm->suspended)
    return TRUE;

  if (answer != NULL && talk_xmpp_stanza_is (answer, "resumed", TALK_XMPP_NS_SM))
    {
      if (!sm_resumed (self, answer, stream, error))
        return FALSE;
      *resumed = TRUE;
      return TRUE;
    }

  /* <failed/>, or no resumption on offer: a new session was bound. The h
   * of <failed/> says what the server handled before it gave up
   * (XEP-0198 §5); the rest is reported once online. */
  if (answer != NULL && parse_count (talk_xmpp_stanza_get_attribute (answer, "h"), &h))
    {
      if (sm_count_valid (sm, h))
        sm_acknowledge_later (sm, sm_take_acked (sm, h));
      else
        g_debug ("Ignoring the h of <failed/>: more than was sent");
    }

  unacked = sm_reset (self);
  sm_report_later (sm, unacked);
  return TRUE;
}

void
_talk_xmpp_session_sm_online (TalkXmppSession *self,
                              gboolean         resumed)
{
  TalkXmppSessionSm *sm = &self->sm;
  TalkXmppStream *stream = self->stream;
  g_autoptr(GPtrArray) acked = g_steal_pointer (&sm->to_acknowledge);

  if (resumed)
    {
      sm_set_resumed (self, TRUE);
      sm_set_enabled (self, TRUE);

      /* XEP-0198 §5: what the server did not handle goes again, in order,
       * under the same numbers; then a request confirms it. */
      g_debug ("Sending %u unacknowledged stanzas again", sm->unacked.length);
      for (GList *l = sm->unacked.head; l != NULL; l = l->next)
        sm_send (self, l->data);
      sm->n_since_r = sm->unacked.length;
      if (!g_queue_is_empty (&sm->unacked))
        sm_send_request (self);
    }
  else if (self->features != NULL &&
           talk_xmpp_stanza_get_child (self->features, "sm", TALK_XMPP_NS_SM) != NULL)
    {
      g_autoptr(TalkXmppStanza) enable = talk_xmpp_stanza_new ("enable", TALK_XMPP_NS_SM);

      /* XEP-0198 §3: after binding, before anything else is sent, so
       * every stanza of this session is counted. */
      sm_stop_requests (sm);
      g_queue_clear_full (&sm->unacked, (GDestroyNotify) talk_xmpp_stanza_unref);
      sm->out_count = 0;
      sm->out_acked = 0;
      sm->enable_sent = TRUE;
      talk_xmpp_stanza_set_attribute (enable, "resume", "true");
      sm_send (self, enable);
    }

  /* Handlers may send, or go offline. */
  if (acked != NULL)
    sm_emit_acknowledged (self, acked);
  if (self->stream == stream)
    sm_report (self, NULL);
}

void
_talk_xmpp_session_sm_emit_resumed (TalkXmppSession *self)
{
  g_signal_emit (self, signals[RESUMED], 0);
}

void
_talk_xmpp_session_sm_detach (TalkXmppSession *self)
{
  sm_stop_requests (&self->sm);
  g_clear_handle_id (&self->sm.tell_source_id, g_source_remove);
}

/* Stream management elements */

static void
sm_handle_enabled (TalkXmppSession *self,
                   TalkXmppStanza  *enabled)
{
  TalkXmppSessionSm *sm = &self->sm;
  const char *id = talk_xmpp_stanza_get_attribute (enabled, "id");
  const char *resume = talk_xmpp_stanza_get_attribute (enabled, "resume");
  guint32 max = 0;

  if (!sm->enable_sent || sm->enabled)
    {
      g_debug ("Ignoring an <enabled/> nobody asked for");
      return;
    }

  g_free (sm->id);
  sm->id = g_strdup (id);
  g_free (sm->location);
  sm->location = g_strdup (talk_xmpp_stanza_get_attribute (enabled, "location"));
  sm->max_seconds = parse_count (talk_xmpp_stanza_get_attribute (enabled, "max"), &max) ? max : 0;
  g_clear_pointer (&sm->jid, talk_xmpp_jid_unref);
  if (self->bound_jid != NULL)
    sm->jid = talk_xmpp_jid_ref (self->bound_jid);
  /* XEP-0198 §3: 'resume' is an xs:boolean; resuming needs the id. */
  sm->resumable = id != NULL && id[0] != '\0' && sm->jid != NULL &&
                  (g_strcmp0 (resume, "true") == 0 || g_strcmp0 (resume, "1") == 0);

  g_debug ("Stream management enabled%s%s%s", sm->resumable ? ", resumable as " : "",
           sm->resumable ? sm->id : "", sm->location != NULL ? " (location given)" : "");

  sm_restart_incoming (sm, 0);
  sm_set_enabled (self, TRUE);
  sm_schedule_request (self);
}

static void
sm_handle_failed (TalkXmppSession *self,
                  TalkXmppStanza  *failed)
{
  TalkXmppSessionSm *sm = &self->sm;

  if (!sm->enable_sent || sm->enabled)
    {
      g_debug ("Ignoring a stream management <failed/> nobody asked for");
      return;
    }

  /* XEP-0198 §3: no stream management on this stream. What was sent
   * meanwhile went as it would have without. */
  g_debug ("The server refused stream management; going on without");
  sm->enable_sent = FALSE;
  sm_stop_requests (sm);
  g_queue_clear_full (&sm->unacked, (GDestroyNotify) talk_xmpp_stanza_unref);
  sm->out_count = 0;
  sm->out_acked = 0;
}

static void
sm_handle_r (TalkXmppSession *self)
{
  TalkXmppSessionSm *sm = &self->sm;
  guint32 h;

  if (!sm->enabled)
    {
      g_debug ("Ignoring an <r/> without stream management");
      return;
    }

  /* XEP-0198 §4: answered at once with what is handled; held stanzas
   * follow in an unsolicited <a/> once released. */
  h = sm_handled (sm);
  sm_send_ack (self, h);
  sm->peer_waiting = h != sm->in_count;
}

static void
sm_handle_a (TalkXmppSession *self,
             TalkXmppStanza  *a)
{
  TalkXmppSessionSm *sm = &self->sm;
  TalkXmppStream *stream = self->stream;
  g_autoptr(GPtrArray) acked = NULL;
  guint32 h;

  if (!sm->enabled)
    {
      g_debug ("Ignoring an <a/> without stream management");
      return;
    }

  if (!parse_count (talk_xmpp_stanza_get_attribute (a, "h"), &h))
    {
      g_debug ("Ignoring an <a/> without a valid h");
      return;
    }

  sm->r_pending = FALSE;

  if (!sm_count_valid (sm, h))
    {
      g_autoptr(GError) error = count_too_high_error_new ();

      write_count_too_high (self->stream, h, sm->out_count);
      /* Nothing to resume from a state we cannot trust. */
      sm->resumable = FALSE;
      _talk_xmpp_session_lost (self, error, FALSE);
      return;
    }

  acked = sm_take_acked (sm, h);
  sm_emit_acknowledged (self, acked);

  if (self->stream == stream)
    sm_schedule_request (self);
}

gboolean
_talk_xmpp_session_sm_handle_nonza (TalkXmppSession *self,
                                    TalkXmppStanza  *element)
{
  const char *name;

  if (g_strcmp0 (talk_xmpp_stanza_get_ns (element), TALK_XMPP_NS_SM) != 0)
    return FALSE;

  name = talk_xmpp_stanza_get_name (element);
  if (strcmp (name, "r") == 0)
    sm_handle_r (self);
  else if (strcmp (name, "a") == 0)
    sm_handle_a (self, element);
  else if (strcmp (name, "enabled") == 0)
    sm_handle_enabled (self, element);
  else if (strcmp (name, "failed") == 0)
    sm_handle_failed (self, element);
  else
    g_debug ("Ignoring stream management element <%s/>", name);

  return TRUE;
}

void
_talk_xmpp_session_sm_stanza_begin (TalkXmppSession *self,
                                    TalkXmppStanza  *stanza)
{
  TalkXmppSessionSm *sm = &self->sm;

  sm->in_stanza = TRUE;
  sm->in_counted = sm->enabled && is_counted (stanza);
  if (sm->in_counted)
    sm->in_count++;
}

void
_talk_xmpp_session_sm_stanza_end (TalkXmppSession *self)
{
  TalkXmppSessionSm *sm = &self->sm;
  gboolean counted = sm->in_counted;

  sm->in_stanza = FALSE;
  sm->in_counted = FALSE;
  if (counted)
    sm_maybe_tell (self);
}

void
_talk_xmpp_session_sm_sent (TalkXmppSession *self,
                            TalkXmppStanza  *stanza)
{
  TalkXmppSessionSm *sm = &self->sm;

  if (!sm->enable_sent || !is_counted (stanza))
    return;

  g_queue_push_tail (&sm->unacked, talk_xmpp_stanza_ref (stanza));
  sm->out_count++;
  sm->n_since_r++;
  sm_schedule_request (self);
}

gboolean
_talk_xmpp_session_sm_request_ack (TalkXmppSession *self)
{
  if (!self->sm.enabled || self->sm.r_pending || self->stream == NULL)
    return FALSE;

  sm_send_request (self);
  return TRUE;
}

void
_talk_xmpp_session_sm_set_counters (TalkXmppSession *self,
                                    guint32          out_count,
                                    guint32          in_count)
{
  TalkXmppSessionSm *sm = &self->sm;

  g_return_if_fail (TALK_XMPP_IS_SESSION (self));
  g_return_if_fail (sm->enabled);
  g_return_if_fail (g_queue_is_empty (&sm->unacked));
  g_return_if_fail (g_queue_is_empty (&sm->held));

  sm->out_count = out_count;
  sm->out_acked = out_count;
  sm->in_count = in_count;
  sm->in_told = in_count;
}

void
_talk_xmpp_session_sm_init (TalkXmppSession *self)
{
  g_queue_init (&self->sm.unacked);
  g_queue_init (&self->sm.held);
  self->sm.epoch = 1;
}

void
_talk_xmpp_session_sm_finalize (TalkXmppSession *self)
{
  TalkXmppSessionSm *sm = &self->sm;

  g_clear_handle_id (&sm->r_source_id, g_source_remove);
  g_clear_handle_id (&sm->tell_source_id, g_source_remove);
  g_clear_pointer (&sm->id, g_free);
  g_clear_pointer (&sm->location, g_free);
  g_clear_pointer (&sm->jid, talk_xmpp_jid_unref);
  g_queue_clear_full (&sm->unacked, (GDestroyNotify) talk_xmpp_stanza_unref);
  g_queue_clear_full (&sm->held, g_free);
  g_clear_pointer (&sm->to_report, g_ptr_array_unref);
  g_clear_pointer (&sm->to_acknowledge, g_ptr_array_unref);
}

void
_talk_xmpp_session_sm_class_init (GObjectClass *klass,
                                  guint         prop_enabled_id,
                                  guint         prop_resumed_id)
{
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  prop_enabled = g_param_spec_boolean ("sm-enabled", NULL, NULL, FALSE, ro);
  g_object_class_install_property (klass, prop_enabled_id, prop_enabled);
  prop_resumed = g_param_spec_boolean ("sm-resumed", NULL, NULL, FALSE, ro);
  g_object_class_install_property (klass, prop_resumed_id, prop_resumed);

  signals[RESUMED] =
    g_signal_new ("resumed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[STANZA_ACKNOWLEDGED] =
    g_signal_new ("stanza-acknowledged", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                  TALK_XMPP_TYPE_STANZA | G_SIGNAL_TYPE_STATIC_SCOPE);
  signals[STANZAS_UNACKNOWLEDGED] =
    g_signal_new ("stanzas-unacknowledged", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                  G_TYPE_PTR_ARRAY | G_SIGNAL_TYPE_STATIC_SCOPE);
}

/* Public API */

TalkXmppAckToken *
talk_xmpp_session_hold_ack (TalkXmppSession *self)
{
  TalkXmppSessionSm *sm;
  TalkXmppAckToken *token;
  Held *last;

  g_return_val_if_fail (TALK_XMPP_IS_SESSION (self), NULL);
  g_return_val_if_fail (self->sm.in_stanza, NULL);

  sm = &self->sm;
  token = g_new0 (TalkXmppAckToken, 1);
  if (!sm->in_counted)
    return token;

  last = g_queue_peek_tail (&sm->held);
  if (last == NULL || last->seq != sm->in_count)
    {
      last = g_new0 (Held, 1);
      last->seq = sm->in_count;
      g_queue_push_tail (&sm->held, last);
    }
  last->holds++;

  token->epoch = sm->epoch;
  token->seq = sm->in_count;
  return token;
}

void
talk_xmpp_session_release_ack (TalkXmppSession  *self,
                               TalkXmppAckToken *token)
{
  TalkXmppSessionSm *sm;

  g_return_if_fail (TALK_XMPP_IS_SESSION (self));
  g_return_if_fail (token != NULL);

  sm = &self->sm;
  if (token->epoch == sm->epoch)
    {
      for (GList *l = sm->held.head; l != NULL; l = l->next)
        {
          Held *held = l->data;

          if (held->seq != token->seq)
            continue;
          if (--held->holds == 0)
            {
              g_queue_delete_link (&sm->held, l);
              g_free (held);
            }
          break;
        }
    }
  g_free (token);

  sm_maybe_tell (self);
}

gboolean
talk_xmpp_session_get_sm_enabled (TalkXmppSession *self)
{
  g_return_val_if_fail (TALK_XMPP_IS_SESSION (self), FALSE);
  return self->sm.enabled;
}

gboolean
talk_xmpp_session_get_sm_suspended (TalkXmppSession *self)
{
  g_return_val_if_fail (TALK_XMPP_IS_SESSION (self), FALSE);
  return self->sm.suspended;
}

gboolean
talk_xmpp_session_get_sm_resumed (TalkXmppSession *self)
{
  g_return_val_if_fail (TALK_XMPP_IS_SESSION (self), FALSE);
  return self->sm.resumed;
}
