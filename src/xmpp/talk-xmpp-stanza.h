/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

#include "talk-xmpp-error.h"

G_BEGIN_DECLS

#define TALK_XMPP_NS_CLIENT   "jabber:client"
#define TALK_XMPP_NS_STREAM   "http://etherx.jabber.org/streams"
#define TALK_XMPP_NS_STREAMS  "urn:ietf:params:xml:ns:xmpp-streams"
#define TALK_XMPP_NS_STANZAS  "urn:ietf:params:xml:ns:xmpp-stanzas"
#define TALK_XMPP_NS_TLS      "urn:ietf:params:xml:ns:xmpp-tls"
#define TALK_XMPP_NS_SASL     "urn:ietf:params:xml:ns:xmpp-sasl"
#define TALK_XMPP_NS_BIND     "urn:ietf:params:xml:ns:xmpp-bind"
#define TALK_XMPP_NS_SESSION  "urn:ietf:params:xml:ns:xmpp-session"
#define TALK_XMPP_NS_XML      "http://www.w3.org/XML/1998/namespace"
#define TALK_XMPP_NS_PING     "urn:xmpp:ping"
#define TALK_XMPP_NS_DISCO_INFO  "http://jabber.org/protocol/disco#info"
#define TALK_XMPP_NS_DISCO_ITEMS "http://jabber.org/protocol/disco#items"
#define TALK_XMPP_NS_CAPS     "http://jabber.org/protocol/caps"
#define TALK_XMPP_NS_VERSION  "jabber:iq:version"
#define TALK_XMPP_NS_SASL_CB  "urn:xmpp:sasl-cb:0"

#define TALK_XMPP_TYPE_STANZA (talk_xmpp_stanza_get_type ())

/**
 * TalkXmppStanza:
 *
 * A reference-counted XML element: a name, a namespace, attributes and an
 * ordered list of children (elements and text). Used for stanzas and for
 * every element inside them. Text is stored unescaped; escaping happens only
 * in talk_xmpp_stanza_to_string().
 */
typedef struct _TalkXmppStanza TalkXmppStanza;

typedef struct
{
  /*< private >*/
  TalkXmppStanza *parent;
  guint           index;
} TalkXmppStanzaIter;

GType           talk_xmpp_stanza_get_type        (void) G_GNUC_CONST;

/* @ns: (nullable): NULL means "the parent's namespace" once appended */
TalkXmppStanza *talk_xmpp_stanza_new             (const char     *name,
                                                  const char     *ns);
TalkXmppStanza *talk_xmpp_stanza_ref             (TalkXmppStanza *self);
void            talk_xmpp_stanza_unref           (TalkXmppStanza *self);
/* transfer full: a deep copy */
TalkXmppStanza *talk_xmpp_stanza_copy            (TalkXmppStanza *self);

const char     *talk_xmpp_stanza_get_name        (TalkXmppStanza *self);
/* nullable */
const char     *talk_xmpp_stanza_get_ns          (TalkXmppStanza *self);
gboolean        talk_xmpp_stanza_is              (TalkXmppStanza *self,
                                                  const char     *name,
                                                  const char     *ns);

/* Attributes without a namespace. @value NULL removes. */
const char     *talk_xmpp_stanza_get_attribute   (TalkXmppStanza *self,
                                                  const char     *name);
void            talk_xmpp_stanza_set_attribute   (TalkXmppStanza *self,
                                                  const char     *name,
                                                  const char     *value);
/* Namespaced attributes, e.g. xml:lang is (TALK_XMPP_NS_XML, "lang"). */
const char     *talk_xmpp_stanza_get_attribute_ns (TalkXmppStanza *self,
                                                   const char     *ns,
                                                   const char     *name);
void            talk_xmpp_stanza_set_attribute_ns (TalkXmppStanza *self,
                                                   const char     *ns,
                                                   const char     *name,
                                                   const char     *value);
guint           talk_xmpp_stanza_get_n_attributes (TalkXmppStanza *self);
/* nth attribute; @ns may be set to NULL */
void            talk_xmpp_stanza_get_nth_attribute (TalkXmppStanza *self,
                                                    guint           n,
                                                    const char    **ns,
                                                    const char    **name,
                                                    const char    **value);

/* Returns: (transfer none): the new child, owned by @self. @ns NULL inherits. */
TalkXmppStanza *talk_xmpp_stanza_add_child       (TalkXmppStanza *self,
                                                  const char     *name,
                                                  const char     *ns);
/* Like add_child, with a text child. Returns: (transfer none) */
TalkXmppStanza *talk_xmpp_stanza_add_child_with_text (TalkXmppStanza *self,
                                                      const char     *name,
                                                      const char     *ns,
                                                      const char     *text);
/* Appends @child (takes a new reference). @child must have no parent. */
void            talk_xmpp_stanza_append          (TalkXmppStanza *self,
                                                  TalkXmppStanza *child);
void            talk_xmpp_stanza_add_text        (TalkXmppStanza *self,
                                                  const char     *text);
void            talk_xmpp_stanza_add_text_len    (TalkXmppStanza *self,
                                                  const char     *text,
                                                  gssize          len);
/* Removes the first element child matching @name/@ns; returns whether one was */
gboolean        talk_xmpp_stanza_remove_child    (TalkXmppStanza *self,
                                                  const char     *name,
                                                  const char     *ns);

/* First element child with @name (NULL: any) in @ns (NULL: any).
 * Returns: (transfer none) (nullable) */
TalkXmppStanza *talk_xmpp_stanza_get_child       (TalkXmppStanza *self,
                                                  const char     *name,
                                                  const char     *ns);
/* First element child of any name in @ns. (transfer none) (nullable) */
TalkXmppStanza *talk_xmpp_stanza_get_child_ns    (TalkXmppStanza *self,
                                                  const char     *ns);
/* (transfer none) (nullable) */
TalkXmppStanza *talk_xmpp_stanza_get_parent      (TalkXmppStanza *self);
guint           talk_xmpp_stanza_get_n_children  (TalkXmppStanza *self); /* elements only */

/* Iterates element children in document order (text is skipped). */
void            talk_xmpp_stanza_iter_init       (TalkXmppStanzaIter *iter,
                                                  TalkXmppStanza     *parent);
gboolean        talk_xmpp_stanza_iter_next       (TalkXmppStanzaIter *iter,
                                                  TalkXmppStanza    **child);

/* The concatenated direct text children. (transfer full), never NULL */
char           *talk_xmpp_stanza_dup_text        (TalkXmppStanza *self);
/* Text of the first child @name/@ns. (transfer full) (nullable) */
char           *talk_xmpp_stanza_dup_child_text  (TalkXmppStanza *self,
                                                  const char     *name,
                                                  const char     *ns);

/**
 * talk_xmpp_stanza_to_string:
 * @default_ns: (nullable): the namespace in scope where the element is
 *   written (TALK_XMPP_NS_CLIENT inside a client stream): no xmlns is
 *   written for it.
 *
 * Serialises with every text and attribute value escaped (& < > " ' and
 * characters XML 1.0 forbids are dropped).
 *
 * Returns: (transfer full)
 */
char           *talk_xmpp_stanza_to_string       (TalkXmppStanza *self,
                                                  const char     *default_ns);
void            talk_xmpp_stanza_write           (TalkXmppStanza *self,
                                                  const char     *default_ns,
                                                  GString        *out);

/* Builders; @type/@to/@id nullable. The stanzas are in jabber:client. */
TalkXmppStanza *talk_xmpp_stanza_new_message     (const char *type,
                                                  const char *to,
                                                  const char *body);
TalkXmppStanza *talk_xmpp_stanza_new_presence    (const char *type,
                                                  const char *to);
TalkXmppStanza *talk_xmpp_stanza_new_iq          (const char *type,
                                                  const char *to,
                                                  const char *id);
/* An IQ result to @request: to=request.from, id=request.id */
TalkXmppStanza *talk_xmpp_stanza_new_iq_result   (TalkXmppStanza *request);
/* An error reply to @request (RFC 6120 §8.3): swaps to/from, copies the id,
 * type='error', <error type=...><condition/><text/></error>. @text nullable. */
TalkXmppStanza *talk_xmpp_stanza_new_error_reply (TalkXmppStanza          *request,
                                                  TalkXmppStanzaErrorCode  condition,
                                                  const char              *text);

/* For a type='error' stanza: fills @error in TALK_XMPP_STANZA_ERROR with the
 * condition as code and the server's text (escaped nowhere; plain text).
 * Returns FALSE when @self carries no error. */
gboolean        talk_xmpp_stanza_get_error       (TalkXmppStanza *self,
                                                  GError        **error);

/* Shortcuts for the common attributes. */
const char     *talk_xmpp_stanza_get_id          (TalkXmppStanza *self);
const char     *talk_xmpp_stanza_get_from        (TalkXmppStanza *self);
const char     *talk_xmpp_stanza_get_to          (TalkXmppStanza *self);
const char     *talk_xmpp_stanza_get_stanza_type (TalkXmppStanza *self);

/* A new random id, 16 url-safe characters. (transfer full) */
char           *talk_xmpp_generate_id            (void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TalkXmppStanza, talk_xmpp_stanza_unref)

G_END_DECLS
