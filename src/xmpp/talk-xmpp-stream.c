/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * One XMPP stream (RFC 6120 §4) over a GIOStream.
 *
 *   open   reset reader ─► queue header ─► read … STREAM_OPEN ─► check version
 *   recv   queued STANZA? ─► else read ─► feed ─► STANZA | error | close
 *   send   serialise ─► queue ─► write_all, one at a time (order kept)
 *   close  [<stream:error/>] </stream:stream> ─► wait ≤ 2 s for the peer's
 *          </stream:stream> (through the pending recv if there is one)
 *          ─► close the transport ─► complete everyone waiting for the end
 *
 * At most one read is in flight, and only while someone wants input (a
 * pending open/recv, or a close waiting for the peer): events are pulled
 * from the reader one at a time, so nothing is read ahead of demand.
 * Every way the stream ends goes through shutdown_stream(): the closing
 * tag is written once, the transport is closed once, and the tasks waiting
 * for the end complete after that.
 */

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "talk-xmpp-reader.h"
#include "talk-xmpp-stream.h"

#define READ_BUFFER_SIZE 8192

/* RFC 6120 §4.4: how long we wait for the peer's closing tag. */
#define CLOSE_WAIT_SECONDS 2

/* A stream error's <text/> is the server's prose; keep it short. */
#define MAX_ERROR_TEXT_CHARS 200

#define STREAM_CLOSE_TAG "</stream:stream>"

typedef struct
{
  GBytes *bytes;
  GTask  *task;   /* nullable: our own header and closing tags */
} WriteItem;

typedef struct
{
  GTask   *task;
  GError  *error;   /* nullable: complete with TRUE */
  GSource *cancel_source;
} EndWaiter;

struct _TalkXmppStream
{
  GObject parent_instance;

  GIOStream      *base;
  TalkXmppReader *reader;
  gsize           max_stanza_bytes;

  /* Reading: the pending open or recv, and the one read in flight. */
  guint8       *buffer;
  GTask        *read_task;
  gboolean      reading;
  gboolean      read_aborted;
  GCancellable *read_cancellable;
  GCancellable *read_task_cancellable;
  gulong        read_cancel_id;

  /* Writing */
  GQueue        writes;
  WriteItem    *current_write;
  GCancellable *write_cancellable;
  GError       *write_error;

  /* Ending */
  TalkXmppStanza *stream_error;
  gboolean        close_sent;
  gboolean        peer_closed;
  gboolean        close_wait_over;
  gboolean        transport_closing;
  gboolean        transport_closed;
  guint           close_timeout_id;
  GPtrArray      *end_waiters;

  gint64 last_receive_time;
  gint64 last_send_time;
};

G_DEFINE_FINAL_TYPE (TalkXmppStream, talk_xmpp_stream, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_BASE_STREAM,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void pump                   (TalkXmppStream *self);
static void write_next             (TalkXmppStream *self);
static void maybe_close_transport  (TalkXmppStream *self);
static void shutdown_stream        (TalkXmppStream *self,
                                    int             condition,
                                    gboolean        write_close,
                                    GError         *read_error);

static void
write_item_free (WriteItem *item)
{
  g_clear_pointer (&item->bytes, g_bytes_unref);
  g_clear_object (&item->task);
  g_free (item);
}

static void
end_waiter_free (EndWaiter *waiter)
{
  if (waiter->cancel_source != NULL)
    {
      g_source_destroy (waiter->cancel_source);
      g_source_unref (waiter->cancel_source);
    }
  g_clear_object (&waiter->task);
  g_clear_error (&waiter->error);
  g_free (waiter);
}

static GError *
new_closed_error (void)
{
  return g_error_new_literal (TALK_XMPP_ERROR, TALK_XMPP_ERROR_CLOSED,
                              _("The connection to the server was closed"));
}

static void
talk_xmpp_stream_dispose (GObject *object)
{
  TalkXmppStream *self = TALK_XMPP_STREAM (object);

  /* Pending tasks hold a reference, so nothing is in flight here. */
  g_clear_handle_id (&self->close_timeout_id, g_source_remove);
  g_queue_clear_full (&self->writes, (GDestroyNotify) write_item_free);
  g_clear_pointer (&self->end_waiters, g_ptr_array_unref);
  g_clear_object (&self->read_task);
  g_clear_object (&self->reader);
  g_clear_object (&self->base);

  G_OBJECT_CLASS (talk_xmpp_stream_parent_class)->dispose (object);
}

static void
talk_xmpp_stream_finalize (GObject *object)
{
  TalkXmppStream *self = TALK_XMPP_STREAM (object);

  g_clear_object (&self->read_cancellable);
  g_clear_object (&self->write_cancellable);
  g_clear_error (&self->write_error);
  g_clear_pointer (&self->stream_error, talk_xmpp_stanza_unref);
  g_free (self->buffer);

  G_OBJECT_CLASS (talk_xmpp_stream_parent_class)->finalize (object);
}

static void
talk_xmpp_stream_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  TalkXmppStream *self = TALK_XMPP_STREAM (object);

  switch (prop_id)
    {
    case PROP_BASE_STREAM:
      g_value_set_object (value, self->base);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
talk_xmpp_stream_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  TalkXmppStream *self = TALK_XMPP_STREAM (object);

  switch (prop_id)
    {
    case PROP_BASE_STREAM:
      talk_xmpp_stream_set_base_stream (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
talk_xmpp_stream_class_init (TalkXmppStreamClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = talk_xmpp_stream_dispose;
  object_class->finalize = talk_xmpp_stream_finalize;
  object_class->get_property = talk_xmpp_stream_get_property;
  object_class->set_property = talk_xmpp_stream_set_property;

  /**
   * TalkXmppStream:base-stream:
   *
   * The transport: a TCP connection, later the TLS connection over it.
   */
  properties[PROP_BASE_STREAM] =
    g_param_spec_object ("base-stream", NULL, NULL,
                         G_TYPE_IO_STREAM,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT |
                         G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
talk_xmpp_stream_init (TalkXmppStream *self)
{
  self->reader = talk_xmpp_reader_new ();
  self->max_stanza_bytes = TALK_XMPP_READER_DEFAULT_MAX_STANZA_BYTES;
  self->buffer = g_malloc (READ_BUFFER_SIZE);
  self->write_cancellable = g_cancellable_new ();
  self->end_waiters = g_ptr_array_new_with_free_func ((GDestroyNotify) end_waiter_free);
  g_queue_init (&self->writes);
}

/**
 * talk_xmpp_stream_new:
 * @base: the transport
 *
 * Returns: (transfer full): a stream that has not been opened yet
 */
TalkXmppStream *
talk_xmpp_stream_new (GIOStream *base)
{
  g_return_val_if_fail (G_IS_IO_STREAM (base), NULL);

  return g_object_new (TALK_XMPP_TYPE_STREAM, "base-stream", base, NULL);
}

/**
 * talk_xmpp_stream_get_base_stream:
 *
 * Returns: (transfer none): the transport
 */
GIOStream *
talk_xmpp_stream_get_base_stream (TalkXmppStream *self)
{
  g_return_val_if_fail (TALK_XMPP_IS_STREAM (self), NULL);

  return self->base;
}

/**
 * talk_xmpp_stream_set_base_stream:
 * @base: the new transport
 *
 * Swaps the transport, e.g. for the TLS connection after STARTTLS
 * (RFC 6120 §5.4.3.3). Only while nothing is being read or written.
 */
void
talk_xmpp_stream_set_base_stream (TalkXmppStream *self,
                                  GIOStream      *base)
{
  g_return_if_fail (TALK_XMPP_IS_STREAM (self));
  g_return_if_fail (G_IS_IO_STREAM (base));
  g_return_if_fail (!self->reading && self->read_task == NULL);
  g_return_if_fail (self->current_write == NULL && g_queue_is_empty (&self->writes));

  if (g_set_object (&self->base, base))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BASE_STREAM]);
}

/**
 * talk_xmpp_stream_set_max_stanza_bytes:
 * @max_bytes: the largest stanza accepted
 */
void
talk_xmpp_stream_set_max_stanza_bytes (TalkXmppStream *self,
                                       gsize           max_bytes)
{
  g_return_if_fail (TALK_XMPP_IS_STREAM (self));

  self->max_stanza_bytes = max_bytes;
  talk_xmpp_reader_set_max_stanza_bytes (self->reader, max_bytes);
}

/**
 * talk_xmpp_stream_is_closed:
 *
 * Returns: whether the stream has ended in either direction: the closing
 *   tag was sent or received, a stream error arrived, or the transport
 *   failed
 */
gboolean
talk_xmpp_stream_is_closed (TalkXmppStream *self)
{
  g_return_val_if_fail (TALK_XMPP_IS_STREAM (self), TRUE);

  return self->close_sent || self->peer_closed || self->transport_closing;
}

/**
 * talk_xmpp_stream_get_last_receive_time:
 *
 * Returns: g_get_monotonic_time() when bytes last arrived, 0 if never
 */
gint64
talk_xmpp_stream_get_last_receive_time (TalkXmppStream *self)
{
  g_return_val_if_fail (TALK_XMPP_IS_STREAM (self), 0);

  return self->last_receive_time;
}

/**
 * talk_xmpp_stream_get_last_send_time:
 *
 * Returns: g_get_monotonic_time() when a write last completed, 0 if never
 */
gint64
talk_xmpp_stream_get_last_send_time (TalkXmppStream *self)
{
  g_return_val_if_fail (TALK_XMPP_IS_STREAM (self), 0);

  return self->last_send_time;
}

/**
 * talk_xmpp_stream_get_stream_error:
 *
 * Returns: (transfer none) (nullable): the <stream:error/> element the
 *   server sent, e.g. to read the host of a see-other-host redirect
 */
TalkXmppStanza *
talk_xmpp_stream_get_stream_error (TalkXmppStream *self)
{
  g_return_val_if_fail (TALK_XMPP_IS_STREAM (self), NULL);

  return self->stream_error;
}

/* Writing */

static void
queue_write (TalkXmppStream *self,
             GBytes         *bytes,
             GTask          *task)
{
  WriteItem *item = g_new0 (WriteItem, 1);

  item->bytes = bytes;
  item->task = task;
  g_queue_push_tail (&self->writes, item);
  write_next (self);
}

static void
queue_write_string (TalkXmppStream *self,
                    const char     *text)
{
  queue_write (self, g_bytes_new (text, strlen (text)), NULL);
}

static void
write_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(TalkXmppStream) self = user_data;
  g_autoptr(GError) error = NULL;
  WriteItem *item = g_steal_pointer (&self->current_write);

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (object), result,
                                         NULL, &error))
    {
      g_debug ("Write failed: %s", error->message);
      if (self->write_error == NULL)
        self->write_error = g_error_copy (error);
      if (item->task != NULL)
        g_task_return_error (item->task,
                             g_steal_pointer (&error));
      /* The transport is broken: a pending read learns why. */
      shutdown_stream (self, -1, FALSE, g_error_copy (self->write_error));
    }
  else
    {
      self->last_send_time = g_get_monotonic_time ();
      if (item->task != NULL)
        g_task_return_boolean (item->task, TRUE);
    }

  write_item_free (item);
  write_next (self);
}

static void
write_next (TalkXmppStream *self)
{
  WriteItem *item;

  if (self->current_write != NULL)
    return;

  while ((item = g_queue_pop_head (&self->writes)) != NULL)
    {
      GOutputStream *output;
      gsize size;
      gconstpointer data;

      if (self->write_error != NULL || self->transport_closing)
        {
          if (item->task != NULL)
            {
              GError *error = self->write_error != NULL
                ? g_error_copy (self->write_error)
                : new_closed_error ();

              g_task_return_error (item->task, error);
            }
          write_item_free (item);
          continue;
        }

      /* A send cancelled before it started is dropped; once started it is
       * written whole, so the peer never sees half a stanza. */
      if (item->task != NULL && g_task_return_error_if_cancelled (item->task))
        {
          write_item_free (item);
          continue;
        }

      self->current_write = item;
      output = g_io_stream_get_output_stream (self->base);
      data = g_bytes_get_data (item->bytes, &size);
      g_output_stream_write_all_async (output, data, size, G_PRIORITY_DEFAULT,
                                       self->write_cancellable, write_cb,
                                       g_object_ref (self));
      return;
    }

  maybe_close_transport (self);
}

/**
 * talk_xmpp_stream_send_async:
 * @stanza: the element to send
 * @cancellable: (nullable): cancels the send only before it starts
 *
 * Serialises @stanza now and queues it behind earlier sends.
 */
void
talk_xmpp_stream_send_async (TalkXmppStream      *self,
                             TalkXmppStanza      *stanza,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  char *text;

  g_return_if_fail (TALK_XMPP_IS_STREAM (self));
  g_return_if_fail (stanza != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, talk_xmpp_stream_send_async);

  if (self->close_sent || self->transport_closing)
    {
      g_task_return_error (task, new_closed_error ());
      return;
    }

  text = talk_xmpp_stanza_to_string (stanza, TALK_XMPP_NS_CLIENT);
  queue_write (self, g_bytes_new_take (text, strlen (text)),
               g_steal_pointer (&task));
}

/**
 * talk_xmpp_stream_send_finish:
 *
 * Returns: whether the stanza was written to the transport
 */
gboolean
talk_xmpp_stream_send_finish (TalkXmppStream  *self,
                              GAsyncResult    *result,
                              GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        talk_xmpp_stream_send_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * talk_xmpp_stream_send_raw_async:
 * @text: text to write as it is (whitespace keepalives, RFC 6120 §4.6.1)
 * @cancellable: (nullable): cancels the send only before it starts
 */
void
talk_xmpp_stream_send_raw_async (TalkXmppStream      *self,
                                 const char          *text,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (TALK_XMPP_IS_STREAM (self));
  g_return_if_fail (text != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, talk_xmpp_stream_send_raw_async);

  if (self->close_sent || self->transport_closing)
    {
      g_task_return_error (task, new_closed_error ());
      return;
    }

  queue_write (self, g_bytes_new (text, strlen (text)), g_steal_pointer (&task));
}

/**
 * talk_xmpp_stream_send_raw_finish:
 *
 * Returns: whether the text was written to the transport
 */
gboolean
talk_xmpp_stream_send_raw_finish (TalkXmppStream  *self,
                                  GAsyncResult    *result,
                                  GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        talk_xmpp_stream_send_raw_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Ending */

static void
end_waiter_add (TalkXmppStream *self,
                GTask          *task,
                GError         *error)
{
  EndWaiter *waiter = g_new0 (EndWaiter, 1);

  waiter->task = task;
  waiter->error = error;
  g_ptr_array_add (self->end_waiters, waiter);
}

static void
transport_close_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(TalkXmppStream) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) waiters = NULL;

  /* The peer may have gone already; a closed transport is all we wanted. */
  if (!g_io_stream_close_finish (G_IO_STREAM (object), result, &error))
    g_debug ("Closing the transport: %s", error->message);

  self->transport_closed = TRUE;

  waiters = g_steal_pointer (&self->end_waiters);
  self->end_waiters = g_ptr_array_new_with_free_func ((GDestroyNotify) end_waiter_free);

  for (guint i = 0; i < waiters->len; i++)
    {
      EndWaiter *waiter = g_ptr_array_index (waiters, i);
      GTask *task = g_steal_pointer (&waiter->task);

      if (waiter->error != NULL)
        g_task_return_error (task, g_steal_pointer (&waiter->error));
      else
        g_task_return_boolean (task, TRUE);
      g_object_unref (task);
    }
}

static void
maybe_close_transport (TalkXmppStream *self)
{
  if (self->transport_closing || !self->close_sent)
    return;
  if (!self->peer_closed && !self->close_wait_over)
    return;
  if (self->current_write != NULL || !g_queue_is_empty (&self->writes))
    return;

  /* A TLS connection cannot close under a pending read: end the read
   * first; read_cb comes back here. */
  if (self->reading)
    {
      self->read_aborted = TRUE;
      g_cancellable_cancel (self->read_cancellable);
      return;
    }

  self->transport_closing = TRUE;
  g_clear_handle_id (&self->close_timeout_id, g_source_remove);
  g_io_stream_close_async (self->base, G_PRIORITY_DEFAULT, NULL,
                           transport_close_cb, g_object_ref (self));
}

static void
close_wait_expire (TalkXmppStream *self)
{
  if (self->close_wait_over)
    return;

  self->close_wait_over = TRUE;

  if (self->read_task != NULL)
    end_waiter_add (self, g_steal_pointer (&self->read_task), new_closed_error ());

  /* A peer that does not read must not keep us from closing. */
  if (self->current_write != NULL)
    g_cancellable_cancel (self->write_cancellable);

  maybe_close_transport (self);
}

static gboolean
close_timeout_cb (gpointer user_data)
{
  TalkXmppStream *self = user_data;

  self->close_timeout_id = 0;
  g_debug ("No closing tag from the peer within %d s", CLOSE_WAIT_SECONDS);
  close_wait_expire (self);

  return G_SOURCE_REMOVE;
}

static GBytes *
build_stream_error (int condition)
{
  char *text;

  text = g_strdup_printf ("<stream:error><%s xmlns='" TALK_XMPP_NS_STREAMS "'/></stream:error>",
                          talk_xmpp_stream_error_to_string ((TalkXmppStreamErrorCode) condition));

  return g_bytes_new_take (text, strlen (text));
}

/*
 * Ends the stream. @condition >= 0 sends that stream error first;
 * @write_close FALSE skips the tags (the transport is broken).
 * @read_error (transfer full, nullable): the peer is done (closed, broke or
 * was refused); a pending open/recv gets @read_error once the transport is
 * closed. Without it we wait (bounded) for the peer's closing tag.
 */
static void
shutdown_stream (TalkXmppStream *self,
                 int             condition,
                 gboolean        write_close,
                 GError         *read_error)
{
  if (read_error != NULL)
    {
      self->peer_closed = TRUE;
      if (self->read_task != NULL)
        end_waiter_add (self, g_steal_pointer (&self->read_task), read_error);
      else
        g_error_free (read_error);
    }

  if (!self->close_sent)
    {
      self->close_sent = TRUE;
      if (write_close && self->write_error == NULL)
        {
          if (condition >= 0)
            queue_write (self, build_stream_error (condition), NULL);
          queue_write_string (self, STREAM_CLOSE_TAG);
        }
    }

  if (!self->transport_closing && !self->close_wait_over && self->close_timeout_id == 0)
    /* Not g_timeout_add_seconds(): that may fire up to a second early. */
    self->close_timeout_id = g_timeout_add (CLOSE_WAIT_SECONDS * 1000,
                                            close_timeout_cb, self);

  pump (self);
  maybe_close_transport (self);
}

/* Reading */

static char *
dup_plain_text (const char *text)
{
  g_autoptr(GString) out = g_string_new (NULL);
  guint n_chars = 0;
  const char *p;

  for (p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (n_chars == MAX_ERROR_TEXT_CHARS)
        {
          g_string_append (out, "…");
          break;
        }
      g_string_append_unichar (out, g_unichar_iscntrl (c) ? ' ' : c);
      n_chars++;
    }

  return g_strstrip (g_string_free (g_steal_pointer (&out), FALSE));
}

static GError *
error_from_stream_error (TalkXmppStanza *element)
{
  TalkXmppStreamErrorCode code = TALK_XMPP_STREAM_ERROR_UNDEFINED_CONDITION;
  gboolean have_condition = FALSE;
  g_autofree char *text = NULL;
  TalkXmppStanzaIter iter;
  TalkXmppStanza *child;

  talk_xmpp_stanza_iter_init (&iter, element);
  while (talk_xmpp_stanza_iter_next (&iter, &child))
    {
      const char *name = talk_xmpp_stanza_get_name (child);

      if (g_strcmp0 (talk_xmpp_stanza_get_ns (child), TALK_XMPP_NS_STREAMS) != 0)
        continue;

      if (g_str_equal (name, "text"))
        {
          if (text == NULL)
            text = talk_xmpp_stanza_dup_text (child);
        }
      else if (!have_condition)
        {
          code = talk_xmpp_stream_error_from_string (name);
          have_condition = TRUE;
        }
    }

  if (text != NULL)
    {
      g_autofree char *plain = dup_plain_text (text);

      if (plain[0] != '\0')
        /* Translators: a sentence describing a stream error, then the
         * server's own words. */
        return g_error_new (TALK_XMPP_STREAM_ERROR, code, _("%s. The server said: %s"),
                            talk_xmpp_stream_error_describe (code), plain);
    }

  return g_error_new_literal (TALK_XMPP_STREAM_ERROR, code,
                              talk_xmpp_stream_error_describe (code));
}

/* RFC 6120 §4.7.5: we speak 1.0; the answer must be 1.x. No version means
 * a pre-XMPP server (0.9), which cannot do TLS the way we require. */
static gboolean
check_header (TalkXmppStream  *self,
              TalkXmppStanza  *header,
              int             *condition,
              GError         **error)
{
  const char *version = talk_xmpp_stanza_get_attribute (header, "version");
  const char *ns = talk_xmpp_reader_get_stream_ns (self->reader);
  guint64 major = 0;

  if (!talk_xmpp_stanza_is (header, "stream", TALK_XMPP_NS_STREAM) ||
      g_strcmp0 (ns, TALK_XMPP_NS_CLIENT) != 0)
    {
      *condition = TALK_XMPP_STREAM_ERROR_INVALID_NAMESPACE;
      g_set_error_literal (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_PROTOCOL,
                           _("The server did not open an XMPP client stream"));
      return FALSE;
    }

  if (version != NULL)
    {
      const char *dot = strchr (version, '.');
      gsize len = dot != NULL ? (gsize) (dot - version) : strlen (version);
      g_autofree char *major_str = g_strndup (version, len);

      if (!g_ascii_string_to_unsigned (major_str, 10, 0, G_MAXUINT32, &major, NULL))
        major = 0;
    }

  if (major != 1)
    {
      g_autofree char *plain = dup_plain_text (version ? version : "0.9");

      *condition = TALK_XMPP_STREAM_ERROR_UNSUPPORTED_VERSION;
      g_set_error (error, TALK_XMPP_STREAM_ERROR, TALK_XMPP_STREAM_ERROR_UNSUPPORTED_VERSION,
                   _("The server speaks XMPP version %s, not 1.0, so Talk did not continue"),
                   plain);
      return FALSE;
    }

  return TRUE;
}

static void
read_task_return_element (TalkXmppStream *self,
                          TalkXmppStanza *element)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->read_task);

  g_task_return_pointer (task, talk_xmpp_stanza_ref (element),
                         (GDestroyNotify) talk_xmpp_stanza_unref);
}

static void
read_task_return_error (TalkXmppStream *self,
                        GError         *error)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->read_task);

  g_task_return_error (task, error);
}

static gboolean
read_task_is_open (TalkXmppStream *self)
{
  return self->read_task != NULL &&
         g_task_get_source_tag (self->read_task) == talk_xmpp_stream_open_async;
}

static void
handle_event (TalkXmppStream      *self,
              TalkXmppReaderEvent  event,
              TalkXmppStanza      *element)
{
  g_autoptr(GError) error = NULL;
  int condition = -1;

  switch (event)
    {
    case TALK_XMPP_READER_EVENT_STREAM_OPEN:
      if (!read_task_is_open (self))
        g_debug ("Ignoring a stream header nobody asked for");
      else if (!check_header (self, element, &condition, &error))
        shutdown_stream (self, condition, TRUE, g_steal_pointer (&error));
      else
        read_task_return_element (self, element);
      break;

    case TALK_XMPP_READER_EVENT_STANZA:
      if (talk_xmpp_stanza_is (element, "error", TALK_XMPP_NS_STREAM))
        {
          /* RFC 6120 §4.9.1.1: a stream error ends the stream. */
          g_clear_pointer (&self->stream_error, talk_xmpp_stanza_unref);
          self->stream_error = talk_xmpp_stanza_ref (element);
          error = error_from_stream_error (element);
          g_debug ("Stream error from the peer: %s", error->message);
          shutdown_stream (self, -1, TRUE, g_steal_pointer (&error));
        }
      else if (self->read_task != NULL && !read_task_is_open (self))
        read_task_return_element (self, element);
      else
        g_debug ("Dropping <%s/> that arrived while closing",
                 talk_xmpp_stanza_get_name (element));
      break;

    case TALK_XMPP_READER_EVENT_STREAM_CLOSE:
      g_debug ("The peer closed the stream");
      shutdown_stream (self, -1, TRUE, new_closed_error ());
      break;

    case TALK_XMPP_READER_EVENT_NONE:
    default:
      g_assert_not_reached ();
    }
}

static void
disconnect_read_task_cancellable (TalkXmppStream *self)
{
  if (self->read_cancel_id != 0)
    g_cancellable_disconnect (self->read_task_cancellable, self->read_cancel_id);
  self->read_cancel_id = 0;
  g_clear_object (&self->read_task_cancellable);
}

static void
read_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(TalkXmppStream) self = user_data;
  g_autoptr(GError) error = NULL;
  gboolean aborted = self->read_aborted;
  gssize n;

  n = g_input_stream_read_finish (G_INPUT_STREAM (object), result, &error);

  self->reading = FALSE;
  self->read_aborted = FALSE;
  disconnect_read_task_cancellable (self);
  g_clear_object (&self->read_cancellable);

  if (n < 0 && aborted && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      /* We ended the read to close the transport. */
      maybe_close_transport (self);
      return;
    }

  if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      /* The caller gave up on this open/recv; the stream stays usable. */
      if (self->read_task != NULL)
        read_task_return_error (self, g_steal_pointer (&error));
      pump (self);
      return;
    }

  if (n < 0)
    {
      g_debug ("Read failed: %s", error->message);
      shutdown_stream (self, -1, FALSE, g_steal_pointer (&error));
      return;
    }

  if (n == 0)
    {
      g_debug ("The peer closed the connection");
      shutdown_stream (self, -1, TRUE, new_closed_error ());
      return;
    }

  self->last_receive_time = g_get_monotonic_time ();

  if (!talk_xmpp_reader_feed (self->reader, (const char *) self->buffer, n, &error))
    {
      int condition = error->code;

      /* RFC 6120 §4.9.1.1: tell the peer why, then close. */
      g_debug ("Refusing the peer's input: %s", error->message);
      shutdown_stream (self, condition, TRUE, g_steal_pointer (&error));
      return;
    }

  pump (self);
}

static void
read_task_cancelled_cb (GCancellable *cancellable,
                        gpointer      user_data)
{
  g_cancellable_cancel (G_CANCELLABLE (user_data));
}

static void
start_read (TalkXmppStream *self)
{
  GInputStream *input = g_io_stream_get_input_stream (self->base);
  GCancellable *task_cancellable = NULL;

  self->reading = TRUE;
  self->read_cancellable = g_cancellable_new ();

  /* The read has its own cancellable so that closing can end it; the
   * caller's cancellable ends it too. */
  if (self->read_task != NULL)
    task_cancellable = g_task_get_cancellable (self->read_task);
  if (task_cancellable != NULL)
    {
      self->read_task_cancellable = g_object_ref (task_cancellable);
      self->read_cancel_id = g_cancellable_connect (task_cancellable,
                                                    G_CALLBACK (read_task_cancelled_cb),
                                                    g_object_ref (self->read_cancellable),
                                                    g_object_unref);
    }

  g_input_stream_read_async (input, self->buffer, READ_BUFFER_SIZE,
                             G_PRIORITY_DEFAULT, self->read_cancellable,
                             read_cb, g_object_ref (self));
}

static gboolean
wants_input (TalkXmppStream *self)
{
  if (self->transport_closing)
    return FALSE;
  if (self->read_task != NULL)
    return TRUE;

  /* Closing: read until the peer's closing tag. */
  return self->close_sent && !self->peer_closed && !self->close_wait_over;
}

/* Hands queued events to whoever wants input, reading when none are left. */
static void
pump (TalkXmppStream *self)
{
  while (!self->reading && wants_input (self))
    {
      g_autoptr(TalkXmppStanza) element = NULL;
      TalkXmppReaderEvent event;

      /* Leave queued events for the next caller rather than dropping one
       * into a cancelled task. */
      if (self->read_task != NULL &&
          g_cancellable_is_cancelled (g_task_get_cancellable (self->read_task)))
        {
          g_autoptr(GTask) task = g_steal_pointer (&self->read_task);

          g_task_return_error_if_cancelled (task);
          continue;
        }

      event = talk_xmpp_reader_pop (self->reader, &element);
      if (event != TALK_XMPP_READER_EVENT_NONE)
        {
          handle_event (self, event, element);
          continue;
        }

      if (self->peer_closed)
        {
          if (self->read_task != NULL)
            read_task_return_error (self, new_closed_error ());
          return;
        }

      start_read (self);
    }
}

static gboolean
start_read_task (TalkXmppStream *self,
                 GTask          *task)
{
  if (self->read_task != NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING,
                               "A receive is already pending on this stream");
      return FALSE;
    }

  if (self->close_sent || self->peer_closed || self->transport_closing)
    {
      g_task_return_error (task, new_closed_error ());
      return FALSE;
    }

  self->read_task = g_object_ref (task);
  return TRUE;
}

static GBytes *
build_header (const char *to,
              const char *from)
{
  g_autoptr(GString) out = g_string_new ("<?xml version='1.0'?>"
                                         "<stream:stream xmlns='" TALK_XMPP_NS_CLIENT "'"
                                         " xmlns:stream='" TALK_XMPP_NS_STREAM "'");
  g_autofree char *to_escaped = g_markup_escape_text (to, -1);

  g_string_append_printf (out, " to='%s'", to_escaped);
  if (from != NULL)
    {
      g_autofree char *from_escaped = g_markup_escape_text (from, -1);

      g_string_append_printf (out, " from='%s'", from_escaped);
    }
  g_string_append (out, " version='1.0' xml:lang='en'>");

  return g_string_free_to_bytes (g_steal_pointer (&out));
}

/**
 * talk_xmpp_stream_open_async:
 * @to: the server's domain
 * @from: (nullable): the account's bare JID, only once TLS is on
 * @cancellable: (nullable): a #GCancellable
 *
 * (Re)starts the stream (RFC 6120 §4.2, §4.3.3): a fresh reader, our
 * header written, the server's header read and checked.
 */
void
talk_xmpp_stream_open_async (TalkXmppStream      *self,
                             const char          *to,
                             const char          *from,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (TALK_XMPP_IS_STREAM (self));
  g_return_if_fail (to != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, talk_xmpp_stream_open_async);

  if (!start_read_task (self, task))
    return;

  talk_xmpp_reader_reset (self->reader);
  talk_xmpp_reader_set_max_stanza_bytes (self->reader, self->max_stanza_bytes);
  queue_write (self, build_header (to, from), NULL);
  pump (self);
}

/**
 * talk_xmpp_stream_open_finish:
 *
 * Returns: (transfer full): the server's stream header
 */
TalkXmppStanza *
talk_xmpp_stream_open_finish (TalkXmppStream  *self,
                              GAsyncResult    *result,
                              GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        talk_xmpp_stream_open_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * talk_xmpp_stream_recv_async:
 * @cancellable: (nullable): a #GCancellable; cancelling leaves the stream
 *   usable
 *
 * Reads the next top-level element.
 */
void
talk_xmpp_stream_recv_async (TalkXmppStream      *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (TALK_XMPP_IS_STREAM (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, talk_xmpp_stream_recv_async);

  if (start_read_task (self, task))
    pump (self);
}

/**
 * talk_xmpp_stream_recv_finish:
 *
 * Returns: (transfer full): the next stanza or other top-level element
 */
TalkXmppStanza *
talk_xmpp_stream_recv_finish (TalkXmppStream  *self,
                              GAsyncResult    *result,
                              GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        talk_xmpp_stream_recv_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * talk_xmpp_stream_try_recv:
 *
 * The next stanza when it has been read and parsed already, so that a
 * burst of stanzas from one read is taken without a main loop iteration
 * per stanza. Anything else that comes next (the peer's stream error or
 * closing tag, a failure, nothing yet) is left for
 * talk_xmpp_stream_recv_async(), as is everything while a receive is
 * pending or the stream is closing.
 *
 * Returns: (transfer full) (nullable): the stanza, or %NULL
 */
TalkXmppStanza *
talk_xmpp_stream_try_recv (TalkXmppStream *self)
{
  TalkXmppStanza *element = NULL;

  g_return_val_if_fail (TALK_XMPP_IS_STREAM (self), NULL);

  if (self->read_task != NULL || self->close_sent || self->peer_closed ||
      self->transport_closing)
    return NULL;

  if (talk_xmpp_reader_peek (self->reader, &element) != TALK_XMPP_READER_EVENT_STANZA ||
      talk_xmpp_stanza_is (element, "error", TALK_XMPP_NS_STREAM))
    return NULL;

  talk_xmpp_reader_pop (self->reader, &element);
  return element;
}

static gboolean
close_cancelled_cb (GCancellable *cancellable,
                    gpointer      user_data)
{
  close_wait_expire (TALK_XMPP_STREAM (user_data));

  return G_SOURCE_REMOVE;
}

/**
 * talk_xmpp_stream_close_async:
 * @condition: a #TalkXmppStreamErrorCode to send first, or -1
 * @cancellable: (nullable): stops waiting for the peer; the transport is
 *   closed at once
 */
void
talk_xmpp_stream_close_async (TalkXmppStream      *self,
                              int                  condition,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  EndWaiter *waiter;

  g_return_if_fail (TALK_XMPP_IS_STREAM (self));
  g_return_if_fail (condition >= -1 && condition <= TALK_XMPP_STREAM_ERROR_UNSUPPORTED_VERSION);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, talk_xmpp_stream_close_async);

  if (self->transport_closed)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  end_waiter_add (self, g_steal_pointer (&task), NULL);

  if (cancellable != NULL)
    {
      waiter = g_ptr_array_index (self->end_waiters, self->end_waiters->len - 1);
      waiter->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (waiter->cancel_source, G_SOURCE_FUNC (close_cancelled_cb),
                             self, NULL);
      g_source_attach (waiter->cancel_source, g_main_context_get_thread_default ());
    }

  if (!self->close_sent)
    shutdown_stream (self, condition, TRUE, NULL);
  else
    maybe_close_transport (self);
}

/**
 * talk_xmpp_stream_close_finish:
 *
 * Returns: %TRUE once the transport is closed
 */
gboolean
talk_xmpp_stream_close_finish (TalkXmppStream  *self,
                               GAsyncResult    *result,
                               GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        talk_xmpp_stream_close_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
