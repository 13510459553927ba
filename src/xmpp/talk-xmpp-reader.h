/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

#include "talk-xmpp-stanza.h"

G_BEGIN_DECLS

#define TALK_XMPP_TYPE_READER (talk_xmpp_reader_get_type ())
G_DECLARE_FINAL_TYPE (TalkXmppReader, talk_xmpp_reader, TALK_XMPP, READER, GObject)

/* Defaults; see SECURITY.md §2.6 for why these are far below libxml2's own. */
#define TALK_XMPP_READER_DEFAULT_MAX_STANZA_BYTES (1024 * 1024)
#define TALK_XMPP_READER_DEFAULT_MAX_DEPTH        64
#define TALK_XMPP_READER_MAX_ATTRIBUTES           64

typedef enum
{
  TALK_XMPP_READER_EVENT_NONE,
  TALK_XMPP_READER_EVENT_STREAM_OPEN,   /* the <stream:stream> header */
  TALK_XMPP_READER_EVENT_STANZA,        /* one complete top-level element */
  TALK_XMPP_READER_EVENT_STREAM_CLOSE,  /* </stream:stream> */
} TalkXmppReaderEvent;

/**
 * talk_xmpp_reader_new:
 *
 * A push reader for one XMPP stream (RFC 6120 §4): feed it whatever bytes
 * arrive, then pop the events it produced. DTDs, entity declarations and
 * references other than the five predefined ones, processing instructions
 * and comments are refused (restricted-xml); an XML declaration other than
 * version 1.0 in UTF-8 is refused; a stanza over the byte budget or deeper
 * than the depth limit is refused (policy-violation); malformed XML is
 * not-well-formed. After an error the reader stays failed until reset.
 */
TalkXmppReader *talk_xmpp_reader_new (void);

void     talk_xmpp_reader_set_max_stanza_bytes (TalkXmppReader *self,
                                                gsize           max_bytes);
void     talk_xmpp_reader_set_max_depth        (TalkXmppReader *self,
                                                guint           max_depth);

/**
 * talk_xmpp_reader_feed:
 *
 * Parses @len bytes. Complete events are queued for talk_xmpp_reader_pop().
 *
 * Returns: %FALSE with @error in %TALK_XMPP_STREAM_ERROR (code =
 * the stream error condition to send, message = why) on refused input.
 */
gboolean talk_xmpp_reader_feed (TalkXmppReader  *self,
                                const char      *data,
                                gsize            len,
                                GError         **error);

/**
 * talk_xmpp_reader_pop:
 * @out_element: (out) (transfer full) (optional): the stream header element
 *   (name "stream", ns TALK_XMPP_NS_STREAM, with its attributes and no
 *   children) for STREAM_OPEN, the stanza for STANZA, NULL otherwise
 *
 * Returns: the next queued event, or TALK_XMPP_READER_EVENT_NONE.
 */
TalkXmppReaderEvent talk_xmpp_reader_pop (TalkXmppReader  *self,
                                          TalkXmppStanza **out_element);

/**
 * talk_xmpp_reader_peek:
 * @out_element: (out) (transfer none) (optional): as for
 *   talk_xmpp_reader_pop(), still owned by the queue
 *
 * Returns: the next queued event, left in the queue, or
 * TALK_XMPP_READER_EVENT_NONE.
 */
TalkXmppReaderEvent talk_xmpp_reader_peek (TalkXmppReader  *self,
                                           TalkXmppStanza **out_element);

/* Starts a new stream (RFC 6120 §4.3.3 restart after STARTTLS and SASL):
 * a fresh parser, the queue emptied, the error state cleared. */
void     talk_xmpp_reader_reset (TalkXmppReader *self);

/* The default namespace of the stream (jabber:client), once opened. */
const char *talk_xmpp_reader_get_stream_ns (TalkXmppReader *self);

G_END_DECLS
