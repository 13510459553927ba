/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "talk-xmpp-stanza.h"

G_BEGIN_DECLS

#define TALK_XMPP_TYPE_STREAM (talk_xmpp_stream_get_type ())
G_DECLARE_FINAL_TYPE (TalkXmppStream, talk_xmpp_stream, TALK_XMPP, STREAM, GObject)

/**
 * TalkXmppStream:
 *
 * One XMPP stream over a #GIOStream (RFC 6120 §4): writes the stream header,
 * reads stanzas one at a time through a #TalkXmppReader, queues writes so
 * they go out in order. At most one receive is pending at a time. Knows
 * nothing of TLS or SASL; the connector drives it through those phases.
 */
TalkXmppStream *talk_xmpp_stream_new              (GIOStream *base);

/* (transfer none) */
GIOStream      *talk_xmpp_stream_get_base_stream  (TalkXmppStream *self);
/* Replaces the transport (after a STARTTLS handshake). Only while no
 * receive or write is pending. */
void            talk_xmpp_stream_set_base_stream  (TalkXmppStream *self,
                                                   GIOStream      *base);

/* Limits handed to the reader (see talk_xmpp_reader_set_max_stanza_bytes()). */
void            talk_xmpp_stream_set_max_stanza_bytes (TalkXmppStream *self,
                                                       gsize           max_bytes);

/**
 * talk_xmpp_stream_open_async:
 * @to: the server's domain
 * @from: (nullable): the account's bare JID (RFC 6120 §4.7.1: only once TLS is on)
 *
 * (Re)starts the stream: a fresh reader, our header written, the server's
 * header read. The finish function returns the server's header element
 * (transfer full); it must be version 1.0 in the jabber:client namespace.
 */
void            talk_xmpp_stream_open_async       (TalkXmppStream      *self,
                                                   const char          *to,
                                                   const char          *from,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
TalkXmppStanza *talk_xmpp_stream_open_finish      (TalkXmppStream  *self,
                                                   GAsyncResult    *result,
                                                   GError         **error);

/**
 * talk_xmpp_stream_recv_async:
 *
 * Reads the next top-level element. Errors: the server's <stream:error> in
 * %TALK_XMPP_STREAM_ERROR (code = condition, message = the condition's
 * description plus the server's text, cut and plain); </stream:stream> or
 * end of file as %TALK_XMPP_ERROR_CLOSED; input the reader refused → the
 * stream error is sent, the stream closed, and that error returned; I/O
 * errors as they come (%G_IO_ERROR, %G_TLS_ERROR).
 */
void            talk_xmpp_stream_recv_async       (TalkXmppStream      *self,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
TalkXmppStanza *talk_xmpp_stream_recv_finish      (TalkXmppStream  *self,
                                                   GAsyncResult    *result,
                                                   GError         **error);
/* The next stanza if one is parsed already; see the doc comment. */
TalkXmppStanza *talk_xmpp_stream_try_recv         (TalkXmppStream  *self);

/* Queues @stanza (serialised at once, in jabber:client). */
void            talk_xmpp_stream_send_async       (TalkXmppStream      *self,
                                                   TalkXmppStanza      *stanza,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
gboolean        talk_xmpp_stream_send_finish      (TalkXmppStream  *self,
                                                   GAsyncResult    *result,
                                                   GError         **error);
/* Queues raw text (a whitespace keepalive). */
void            talk_xmpp_stream_send_raw_async   (TalkXmppStream      *self,
                                                   const char          *text,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
gboolean        talk_xmpp_stream_send_raw_finish  (TalkXmppStream  *self,
                                                   GAsyncResult    *result,
                                                   GError         **error);

/**
 * talk_xmpp_stream_close_async:
 * @condition: a stream error to send first, or -1 for a clean close
 *
 * Writes <stream:error/> if asked, then </stream:stream>, waits a short
 * while (RFC 6120 §4.4) for the server's closing tag, and closes the
 * transport. Never fails for a stream already closed.
 */
void            talk_xmpp_stream_close_async      (TalkXmppStream      *self,
                                                   int                  condition,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);
gboolean        talk_xmpp_stream_close_finish     (TalkXmppStream  *self,
                                                   GAsyncResult    *result,
                                                   GError         **error);

gboolean        talk_xmpp_stream_is_closed        (TalkXmppStream *self);
/* g_get_monotonic_time() of the last byte received / sent */
gint64          talk_xmpp_stream_get_last_receive_time (TalkXmppStream *self);
gint64          talk_xmpp_stream_get_last_send_time    (TalkXmppStream *self);
/* The <stream:error/> the server sent, if any, e.g. for the host of a
 * see-other-host redirect (RFC 6120 §4.9.3.19). (transfer none) (nullable) */
TalkXmppStanza *talk_xmpp_stream_get_stream_error      (TalkXmppStream *self);

G_END_DECLS
