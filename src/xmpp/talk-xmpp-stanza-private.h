/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "talk-xmpp-stanza.h"

G_BEGIN_DECLS

/* For TalkXmppReader, which builds every received stanza: the shortcuts
 * it can take because libxml2 has checked the input already. */

/* @ns: (nullable): an interned GRefString; a reference is taken */
TalkXmppStanza *_talk_xmpp_stanza_new_interned      (const char     *name,
                                                     char           *ns);
/* Like talk_xmpp_stanza_set_attribute_ns() for a name without prefix and
 * a value of @value_len bytes. */
void            _talk_xmpp_stanza_set_attribute_len (TalkXmppStanza *self,
                                                     const char     *ns,
                                                     const char     *name,
                                                     const char     *value,
                                                     gsize           value_len);
typedef struct
{
  const char *ns;        /* nullable */
  const char *name;
  const char *value;     /* @value_len bytes */
  gsize       value_len;
} TalkXmppAttributeSpan;

/* Gives a new element (no attributes yet) all of its attributes in one
 * allocation: @spans as libxml2 reports them. */
void            _talk_xmpp_stanza_set_attributes    (TalkXmppStanza              *self,
                                                     const TalkXmppAttributeSpan *spans,
                                                     guint                        n);
/* Appends @child, taking over the caller's reference. @child has a
 * namespace and no parent, and is not an ancestor of @self. */
void            _talk_xmpp_stanza_append_element    (TalkXmppStanza *self,
                                                     TalkXmppStanza *child);

G_END_DECLS
