/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <gnutls/crypto.h>

#include "talk-xmpp-stanza-private.h"

/* The name, the value and the namespace of an attribute share one
 * allocation, starting at @name. */
typedef struct
{
  char *ns;
  char *name;
  char *value;
} Attribute;

/* A node is an element (name != NULL) or a text node (name == NULL, text
 * set). Text nodes never leave this file: lookups and the iterator skip
 * them, so adjacent text can be merged into one node.
 *
 * Every received stanza is built from these, so they are laid out for
 * few allocations: the name follows the struct, attributes and children
 * are plain arrays, namespaces are interned. The reader sets all of an
 * element's attributes in one block ("packed"), which becomes an array
 * of separate attributes on the first change. */
struct _TalkXmppStanza
{
  gatomicrefcount   ref_count;
  guint             n_elements;
  const char       *name;          /* in @data, NULL for text */
  char             *ns;            /* interned GRefString, nullable */
  char             *text;          /* text nodes only */
  gsize             text_len;
  Attribute        *attrs;         /* nullable */
  guint             n_attrs;
  guint             attrs_size;
  gboolean          attrs_packed;  /* @attrs and their strings in one block */
  TalkXmppStanza  **children;      /* nullable */
  guint             n_children;
  guint             children_size;
  TalkXmppStanza   *parent;        /* not owned */
  char              data[];
};

G_DEFINE_BOXED_TYPE (TalkXmppStanza, talk_xmpp_stanza,
                     talk_xmpp_stanza_ref, talk_xmpp_stanza_unref)

/* @name: (nullable): NULL for a text node */
static TalkXmppStanza *
node_alloc (const char *name,
            gsize       name_len)
{
  TalkXmppStanza *self;

  self = g_malloc0 (sizeof (TalkXmppStanza) + (name != NULL ? name_len + 1 : 0));
  g_atomic_ref_count_init (&self->ref_count);
  if (name != NULL)
    {
      memcpy (self->data, name, name_len);
      self->data[name_len] = '\0';
      self->name = self->data;
    }
  return self;
}

static void
attribute_init (Attribute  *attr,
                const char *ns,
                const char *name,
                const char *value,
                gsize       value_len)
{
  gsize name_len = strlen (name);
  gsize ns_len = ns != NULL ? strlen (ns) : 0;
  char *block = g_malloc (name_len + 1 + value_len + 1 + (ns != NULL ? ns_len + 1 : 0));

  attr->name = block;
  memcpy (attr->name, name, name_len + 1);
  attr->value = attr->name + name_len + 1;
  memcpy (attr->value, value, value_len);
  attr->value[value_len] = '\0';
  attr->ns = NULL;
  if (ns != NULL)
    {
      attr->ns = attr->value + value_len + 1;
      memcpy (attr->ns, ns, ns_len + 1);
    }
}

static void
attribute_clear (Attribute *attr)
{
  g_free (attr->name);
}

static Attribute *
attribute_append (TalkXmppStanza *self)
{
  if (self->n_attrs == self->attrs_size)
    {
      self->attrs_size = MAX (4, self->attrs_size * 2);
      self->attrs = g_renew (Attribute, self->attrs, self->attrs_size);
    }
  return &self->attrs[self->n_attrs++];
}

/* Gives every attribute its own block before a change.
 * Returns: (transfer full) (nullable): the old block, for the caller to
 * free once it no longer reads the arguments, which may point into it */
static gpointer
unpack_attributes (TalkXmppStanza *self)
{
  Attribute *packed = self->attrs;

  if (!self->attrs_packed)
    return NULL;

  self->attrs_size = MAX (4, self->n_attrs);
  self->attrs = g_new (Attribute, self->attrs_size);
  for (guint i = 0; i < self->n_attrs; i++)
    attribute_init (&self->attrs[i], packed[i].ns, packed[i].name,
                    packed[i].value, strlen (packed[i].value));
  self->attrs_packed = FALSE;

  return packed;
}

static TalkXmppStanza *
element_new_interned (const char *name,
                      gsize       name_len,
                      char       *ns)
{
  TalkXmppStanza *self = node_alloc (name, name_len);

  self->ns = ns != NULL ? g_ref_string_acquire (ns) : NULL;
  return self;
}

/**
 * talk_xmpp_stanza_new:
 * @name: the element name
 * @ns: (nullable): the namespace; %NULL takes the parent's once appended
 *
 * Returns: (transfer full): a new element without parent
 */
TalkXmppStanza *
talk_xmpp_stanza_new (const char *name,
                      const char *ns)
{
  TalkXmppStanza *self;

  g_return_val_if_fail (name != NULL && *name != '\0', NULL);

  self = node_alloc (name, strlen (name));
  self->ns = ns != NULL ? g_ref_string_new_intern (ns) : NULL;
  return self;
}

TalkXmppStanza *
_talk_xmpp_stanza_new_interned (const char *name,
                                char       *ns)
{
  g_return_val_if_fail (name != NULL && *name != '\0', NULL);

  return element_new_interned (name, strlen (name), ns);
}

/**
 * talk_xmpp_stanza_ref:
 *
 * Returns: (transfer full): @self
 */
TalkXmppStanza *
talk_xmpp_stanza_ref (TalkXmppStanza *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

/**
 * talk_xmpp_stanza_unref:
 *
 * Drops a reference; children still referenced elsewhere lose their parent.
 */
void
talk_xmpp_stanza_unref (TalkXmppStanza *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;

  for (guint i = 0; i < self->n_children; i++)
    {
      TalkXmppStanza *child = self->children[i];

      child->parent = NULL;
      talk_xmpp_stanza_unref (child);
    }
  g_free (self->children);

  if (!self->attrs_packed)
    for (guint i = 0; i < self->n_attrs; i++)
      attribute_clear (&self->attrs[i]);
  g_free (self->attrs);
  g_clear_pointer (&self->ns, g_ref_string_release);
  g_free (self->text);
  g_free (self);
}

static void
append_node (TalkXmppStanza *self,
             TalkXmppStanza *child)
{
  if (self->n_children == self->children_size)
    {
      self->children_size = MAX (2, self->children_size * 2);
      self->children = g_renew (TalkXmppStanza *, self->children, self->children_size);
    }

  child->parent = self;
  self->children[self->n_children++] = child;
  if (child->name != NULL)
    self->n_elements++;
}

static TalkXmppStanza *
text_node_new (const char *text,
               gsize       len)
{
  TalkXmppStanza *node = node_alloc (NULL, 0);

  node->text = g_strndup (text, len);
  node->text_len = len;
  return node;
}

/**
 * talk_xmpp_stanza_copy:
 *
 * Returns: (transfer full): a deep copy of @self, without parent
 */
TalkXmppStanza *
talk_xmpp_stanza_copy (TalkXmppStanza *self)
{
  TalkXmppStanza *copy;

  g_return_val_if_fail (self != NULL, NULL);

  if (self->name == NULL)
    return text_node_new (self->text, self->text_len);

  copy = element_new_interned (self->name, strlen (self->name), self->ns);

  for (guint i = 0; i < self->n_attrs; i++)
    {
      const Attribute *attr = &self->attrs[i];

      attribute_init (attribute_append (copy), attr->ns, attr->name,
                      attr->value, strlen (attr->value));
    }

  for (guint i = 0; i < self->n_children; i++)
    append_node (copy, talk_xmpp_stanza_copy (self->children[i]));

  return copy;
}

/**
 * talk_xmpp_stanza_get_name:
 *
 * Returns: (transfer none): the element name
 */
const char *
talk_xmpp_stanza_get_name (TalkXmppStanza *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->name;
}

/**
 * talk_xmpp_stanza_get_ns:
 *
 * Returns: (transfer none) (nullable): the namespace
 */
const char *
talk_xmpp_stanza_get_ns (TalkXmppStanza *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->ns;
}

static inline gboolean
node_matches (TalkXmppStanza *node,
              const char     *name,
              const char     *ns)
{
  return node->name != NULL &&
         (name == NULL || strcmp (node->name, name) == 0) &&
         (ns == NULL || g_strcmp0 (node->ns, ns) == 0);
}

/**
 * talk_xmpp_stanza_is:
 * @name: the element name
 * @ns: (nullable): the namespace, %NULL for any
 *
 * Returns: whether @self is the element @name in @ns
 */
gboolean
talk_xmpp_stanza_is (TalkXmppStanza *self,
                     const char     *name,
                     const char     *ns)
{
  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (name != NULL, FALSE);

  return node_matches (self, name, ns);
}

/* "xml:lang" spelled as a plain name means the attribute in the xml
 * namespace, which is bound to that prefix by definition (XML Names §3). */
static const char *
split_xml_prefix (const char  *name,
                  const char **ns)
{
  if (*ns == NULL && g_str_has_prefix (name, "xml:"))
    {
      *ns = TALK_XMPP_NS_XML;
      return name + strlen ("xml:");
    }
  return name;
}

/* Returns: the index of the attribute, or -1 */
static int
lookup_attribute (TalkXmppStanza *self,
                  const char     *ns,
                  const char     *name)
{
  for (guint i = 0; i < self->n_attrs; i++)
    {
      const Attribute *attr = &self->attrs[i];

      /* The first byte first: most names differ there. */
      if (attr->name[0] == name[0] && strcmp (attr->name, name) == 0 &&
          g_strcmp0 (attr->ns, ns) == 0)
        return (int) i;
    }
  return -1;
}

/**
 * talk_xmpp_stanza_get_attribute_ns:
 * @ns: (nullable): the attribute namespace, %NULL for none
 *
 * Returns: (transfer none) (nullable): the value
 */
const char *
talk_xmpp_stanza_get_attribute_ns (TalkXmppStanza *self,
                                   const char     *ns,
                                   const char     *name)
{
  int index;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  name = split_xml_prefix (name, &ns);
  index = lookup_attribute (self, ns, name);
  return index >= 0 ? self->attrs[index].value : NULL;
}

/**
 * talk_xmpp_stanza_set_attribute_ns:
 * @ns: (nullable): the attribute namespace, %NULL for none
 * @value: (nullable): the unescaped value; %NULL removes the attribute
 */
void
talk_xmpp_stanza_set_attribute_ns (TalkXmppStanza *self,
                                   const char     *ns,
                                   const char     *name,
                                   const char     *value)
{
  g_autofree gpointer old_pack = NULL;
  int index;

  g_return_if_fail (self != NULL && self->name != NULL);
  g_return_if_fail (name != NULL && *name != '\0');
  /* Namespace declarations come from the element's ns only. */
  g_return_if_fail (strcmp (name, "xmlns") != 0 &&
                    !g_str_has_prefix (name, "xmlns:"));

  old_pack = unpack_attributes (self);

  name = split_xml_prefix (name, &ns);
  index = lookup_attribute (self, ns, name);

  if (value == NULL)
    {
      if (index >= 0)
        {
          attribute_clear (&self->attrs[index]);
          self->n_attrs--;
          memmove (&self->attrs[index], &self->attrs[index + 1],
                   (self->n_attrs - index) * sizeof (Attribute));
        }
      return;
    }

  if (index >= 0)
    {
      Attribute *attr = &self->attrs[index];
      Attribute old = *attr;

      /* @value, @name and @ns may point into the old attribute */
      attribute_init (attr, old.ns, old.name, value, strlen (value));
      attribute_clear (&old);
      return;
    }

  attribute_init (attribute_append (self), ns, name, value, strlen (value));
}

/* For the reader: @name and @ns as libxml2 reports them (never "xmlns",
 * never an "xml:" prefix in @name), @value of @value_len bytes. */
void
_talk_xmpp_stanza_set_attribute_len (TalkXmppStanza *self,
                                     const char     *ns,
                                     const char     *name,
                                     const char     *value,
                                     gsize           value_len)
{
  g_autofree gpointer old_pack = unpack_attributes (self);
  int index = lookup_attribute (self, ns, name);

  /* libxml2 refuses duplicates; the last one wins as in
   * talk_xmpp_stanza_set_attribute_ns() all the same. */
  if (index >= 0)
    {
      Attribute old = self->attrs[index];

      attribute_init (&self->attrs[index], old.ns, old.name, value, value_len);
      attribute_clear (&old);
      return;
    }

  attribute_init (attribute_append (self), ns, name, value, value_len);
}

void
_talk_xmpp_stanza_set_attributes (TalkXmppStanza              *self,
                                  const TalkXmppAttributeSpan *spans,
                                  guint                        n)
{
  gsize size = n * sizeof (Attribute);
  char *p;

  g_return_if_fail (self != NULL && self->name != NULL);
  g_return_if_fail (self->attrs == NULL);

  if (n == 0)
    return;

  for (guint i = 0; i < n; i++)
    size += strlen (spans[i].name) + 1 + spans[i].value_len + 1 +
            (spans[i].ns != NULL ? strlen (spans[i].ns) + 1 : 0);

  self->attrs = g_malloc (size);
  self->attrs_size = n;
  self->attrs_packed = TRUE;
  p = (char *) (self->attrs + n);

  for (guint i = 0; i < n; i++)
    {
      Attribute attr;
      int index;

      attr.name = p;
      p = g_stpcpy (p, spans[i].name) + 1;
      attr.value = p;
      memcpy (p, spans[i].value, spans[i].value_len);
      p[spans[i].value_len] = '\0';
      p += spans[i].value_len + 1;
      attr.ns = NULL;
      if (spans[i].ns != NULL)
        {
          attr.ns = p;
          p = g_stpcpy (p, spans[i].ns) + 1;
        }

      /* The last of two alike wins, as with talk_xmpp_stanza_set_attribute_ns(). */
      index = lookup_attribute (self, attr.ns, attr.name);
      if (index >= 0)
        self->attrs[index].value = attr.value;
      else
        self->attrs[self->n_attrs++] = attr;
    }

  g_assert (p == (char *) self->attrs + size);
}

void
_talk_xmpp_stanza_append_element (TalkXmppStanza *self,
                                  TalkXmppStanza *child)
{
  append_node (self, child);
}

/**
 * talk_xmpp_stanza_get_attribute:
 *
 * Returns: (transfer none) (nullable): the value of the attribute @name
 *   without namespace
 */
const char *
talk_xmpp_stanza_get_attribute (TalkXmppStanza *self,
                                const char     *name)
{
  return talk_xmpp_stanza_get_attribute_ns (self, NULL, name);
}

/**
 * talk_xmpp_stanza_set_attribute:
 * @value: (nullable): the unescaped value; %NULL removes the attribute
 */
void
talk_xmpp_stanza_set_attribute (TalkXmppStanza *self,
                                const char     *name,
                                const char     *value)
{
  talk_xmpp_stanza_set_attribute_ns (self, NULL, name, value);
}

guint
talk_xmpp_stanza_get_n_attributes (TalkXmppStanza *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->n_attrs;
}

/**
 * talk_xmpp_stanza_get_nth_attribute:
 * @ns: (out) (optional) (transfer none) (nullable): the namespace
 * @name: (out) (optional) (transfer none): the name
 * @value: (out) (optional) (transfer none): the value
 */
void
talk_xmpp_stanza_get_nth_attribute (TalkXmppStanza  *self,
                                    guint            n,
                                    const char     **ns,
                                    const char     **name,
                                    const char     **value)
{
  const Attribute *attr;

  g_return_if_fail (self != NULL);
  g_return_if_fail (n < talk_xmpp_stanza_get_n_attributes (self));

  attr = &self->attrs[n];
  if (ns != NULL)
    *ns = attr->ns;
  if (name != NULL)
    *name = attr->name;
  if (value != NULL)
    *value = attr->value;
}

/* An element appended without namespace takes its new parent's, and so do
 * its descendants that had none either. */
static void
inherit_ns (TalkXmppStanza *self,
            char           *ns)
{
  self->ns = g_ref_string_acquire (ns);

  for (guint i = 0; i < self->n_children; i++)
    {
      TalkXmppStanza *child = self->children[i];

      if (child->name != NULL && child->ns == NULL)
        inherit_ns (child, ns);
    }
}

/**
 * talk_xmpp_stanza_append:
 * @child: an element without parent; a new reference is taken
 */
void
talk_xmpp_stanza_append (TalkXmppStanza *self,
                         TalkXmppStanza *child)
{
  g_return_if_fail (self != NULL && self->name != NULL);
  g_return_if_fail (child != NULL && child->name != NULL);
  g_return_if_fail (child->parent == NULL);

  for (TalkXmppStanza *up = self; up != NULL; up = up->parent)
    g_return_if_fail (up != child);

  if (child->ns == NULL && self->ns != NULL)
    inherit_ns (child, self->ns);

  append_node (self, talk_xmpp_stanza_ref (child));
}

/**
 * talk_xmpp_stanza_add_child:
 * @ns: (nullable): the namespace, %NULL for the parent's
 *
 * Returns: (transfer none): the new child
 */
TalkXmppStanza *
talk_xmpp_stanza_add_child (TalkXmppStanza *self,
                            const char     *name,
                            const char     *ns)
{
  g_autoptr(TalkXmppStanza) child = NULL;

  g_return_val_if_fail (self != NULL && self->name != NULL, NULL);
  g_return_val_if_fail (name != NULL && *name != '\0', NULL);

  child = talk_xmpp_stanza_new (name, ns);
  talk_xmpp_stanza_append (self, child);
  return child;
}

/**
 * talk_xmpp_stanza_add_child_with_text:
 * @ns: (nullable): the namespace, %NULL for the parent's
 * @text: (nullable): the unescaped text
 *
 * Returns: (transfer none): the new child
 */
TalkXmppStanza *
talk_xmpp_stanza_add_child_with_text (TalkXmppStanza *self,
                                      const char     *name,
                                      const char     *ns,
                                      const char     *text)
{
  TalkXmppStanza *child = talk_xmpp_stanza_add_child (self, name, ns);

  if (child != NULL && text != NULL)
    talk_xmpp_stanza_add_text (child, text);
  return child;
}

/**
 * talk_xmpp_stanza_add_text_len:
 * @text: unescaped text, UTF-8
 * @len: the length in bytes, or -1 when nul-terminated
 */
void
talk_xmpp_stanza_add_text_len (TalkXmppStanza *self,
                               const char     *text,
                               gssize          len)
{
  TalkXmppStanza *last;
  TalkXmppStanza *node;

  g_return_if_fail (self != NULL && self->name != NULL);
  g_return_if_fail (text != NULL || len == 0);

  if (len < 0)
    len = strlen (text);
  if (len == 0)
    return;

  /* The parser hands text over in chunks; keep one node per run. */
  last = self->n_children > 0 ? self->children[self->n_children - 1] : NULL;
  if (last != NULL && last->name == NULL)
    {
      last->text = g_realloc (last->text, last->text_len + len + 1);
      memcpy (last->text + last->text_len, text, len);
      last->text_len += len;
      last->text[last->text_len] = '\0';
      return;
    }

  node = text_node_new (text, len);
  append_node (self, node);
}

void
talk_xmpp_stanza_add_text (TalkXmppStanza *self,
                           const char     *text)
{
  talk_xmpp_stanza_add_text_len (self, text, -1);
}

/**
 * talk_xmpp_stanza_remove_child:
 * @name: (nullable): the element name, %NULL for any
 * @ns: (nullable): the namespace, %NULL for any
 *
 * Returns: whether an element was removed
 */
gboolean
talk_xmpp_stanza_remove_child (TalkXmppStanza *self,
                               const char     *name,
                               const char     *ns)
{
  g_return_val_if_fail (self != NULL, FALSE);

  for (guint i = 0; i < self->n_children; i++)
    {
      TalkXmppStanza *child = self->children[i];

      if (node_matches (child, name, ns))
        {
          self->n_children--;
          memmove (&self->children[i], &self->children[i + 1],
                   (self->n_children - i) * sizeof (TalkXmppStanza *));
          self->n_elements--;
          child->parent = NULL;
          talk_xmpp_stanza_unref (child);
          return TRUE;
        }
    }
  return FALSE;
}

/**
 * talk_xmpp_stanza_get_child:
 * @name: (nullable): the element name, %NULL for any
 * @ns: (nullable): the namespace, %NULL for any
 *
 * Returns: (transfer none) (nullable): the first matching element child
 */
TalkXmppStanza *
talk_xmpp_stanza_get_child (TalkXmppStanza *self,
                            const char     *name,
                            const char     *ns)
{
  g_return_val_if_fail (self != NULL, NULL);

  for (guint i = 0; i < self->n_children; i++)
    {
      TalkXmppStanza *child = self->children[i];

      if (node_matches (child, name, ns))
        return child;
    }
  return NULL;
}

/**
 * talk_xmpp_stanza_get_child_ns:
 *
 * Returns: (transfer none) (nullable): the first element child in @ns
 */
TalkXmppStanza *
talk_xmpp_stanza_get_child_ns (TalkXmppStanza *self,
                               const char     *ns)
{
  return talk_xmpp_stanza_get_child (self, NULL, ns);
}

/**
 * talk_xmpp_stanza_get_parent:
 *
 * Returns: (transfer none) (nullable): the parent element
 */
TalkXmppStanza *
talk_xmpp_stanza_get_parent (TalkXmppStanza *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->parent;
}

guint
talk_xmpp_stanza_get_n_children (TalkXmppStanza *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->n_elements;
}

void
talk_xmpp_stanza_iter_init (TalkXmppStanzaIter *iter,
                            TalkXmppStanza     *parent)
{
  g_return_if_fail (iter != NULL);
  g_return_if_fail (parent != NULL);

  iter->parent = parent;
  iter->index = 0;
}

/**
 * talk_xmpp_stanza_iter_next:
 * @child: (out) (optional) (transfer none): the next element child
 *
 * Returns: %FALSE when there are no more element children
 */
gboolean
talk_xmpp_stanza_iter_next (TalkXmppStanzaIter  *iter,
                            TalkXmppStanza     **child)
{
  TalkXmppStanza *parent;

  g_return_val_if_fail (iter != NULL && iter->parent != NULL, FALSE);

  parent = iter->parent;
  while (iter->index < parent->n_children)
    {
      TalkXmppStanza *node = parent->children[iter->index++];

      if (node->name != NULL)
        {
          if (child != NULL)
            *child = node;
          return TRUE;
        }
    }
  return FALSE;
}

/**
 * talk_xmpp_stanza_dup_text:
 *
 * Returns: (transfer full): the direct text children joined, maybe empty
 */
char *
talk_xmpp_stanza_dup_text (TalkXmppStanza *self)
{
  GString *text = NULL;
  TalkXmppStanza *first = NULL;

  g_return_val_if_fail (self != NULL, NULL);

  if (self->name == NULL)
    return g_strndup (self->text, self->text_len);

  /* Mostly one text child, or none: no GString for those. */
  for (guint i = 0; i < self->n_children; i++)
    {
      TalkXmppStanza *node = self->children[i];

      if (node->name != NULL)
        continue;
      if (first == NULL)
        {
          first = node;
          continue;
        }
      if (text == NULL)
        text = g_string_new_len (first->text, first->text_len);
      g_string_append_len (text, node->text, node->text_len);
    }

  if (text != NULL)
    return g_string_free (text, FALSE);
  if (first != NULL)
    return g_strndup (first->text, first->text_len);
  return g_strdup ("");
}

/**
 * talk_xmpp_stanza_dup_child_text:
 * @name: (nullable): the element name, %NULL for any
 * @ns: (nullable): the namespace, %NULL for any
 *
 * Returns: (transfer full) (nullable): the text of the first matching child,
 *   %NULL when there is none
 */
char *
talk_xmpp_stanza_dup_child_text (TalkXmppStanza *self,
                                 const char     *name,
                                 const char     *ns)
{
  TalkXmppStanza *child = talk_xmpp_stanza_get_child (self, name, ns);

  return child != NULL ? talk_xmpp_stanza_dup_text (child) : NULL;
}

/* Serialisation.
 *
 * XML 1.0 §2.2: Char ::= #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD]
 *                        | [#x10000-#x10FFFF]
 * Anything else is dropped; bytes that are not UTF-8 become U+FFFD, one per
 * maximal ill-formed subpart (Unicode §3.9). */

#define REPLACEMENT_CHARACTER "\xef\xbf\xbd"

static inline gboolean
is_cont (guchar c)
{
  return (c & 0xc0) == 0x80;
}

/* Decodes one non-ASCII sequence at @s (@len > 0 bytes left). Returns the
 * number of bytes consumed; *@ch is the code point, or (gunichar) -1 when
 * the bytes are not UTF-8. Surrogates decode as themselves so that the
 * caller drops them. */
static gsize
decode_utf8 (const guchar *s,
             gsize         len,
             gunichar     *ch)
{
  guchar c = s[0];
  guchar lo = 0x80, hi = 0xbf;
  gsize need;

  *ch = (gunichar) -1;

  if (c >= 0xc2 && c <= 0xdf)
    need = 1;
  else if (c >= 0xe0 && c <= 0xef)
    {
      need = 2;
      if (c == 0xe0)
        lo = 0xa0;
    }
  else if (c >= 0xf0 && c <= 0xf4)
    {
      need = 3;
      if (c == 0xf0)
        lo = 0x90;
      else if (c == 0xf4)
        hi = 0x8f;
    }
  else
    return 1;

  if (len < 2 || s[1] < lo || s[1] > hi)
    return 1;
  for (gsize i = 2; i <= need; i++)
    if (i >= len || !is_cont (s[i]))
      return i;

  switch (need)
    {
    case 1:
      *ch = ((c & 0x1f) << 6) | (s[1] & 0x3f);
      break;
    case 2:
      *ch = ((c & 0x0f) << 12) | ((s[1] & 0x3f) << 6) | (s[2] & 0x3f);
      break;
    default:
      *ch = ((c & 0x07) << 18) | ((s[1] & 0x3f) << 12) |
            ((s[2] & 0x3f) << 6) | (s[3] & 0x3f);
      break;
    }
  return need + 1;
}

static inline gboolean
is_xml_char (gunichar ch)
{
  return (ch >= 0x20 && ch <= 0xd7ff) ||
         ch == 0x9 || ch == 0xa || ch == 0xd ||
         (ch >= 0xe000 && ch <= 0xfffd) ||
         (ch >= 0x10000 && ch <= 0x10ffff);
}

/* Writes @s escaped. In attribute values, tab, newline and carriage return
 * are written as references too, or a parser would normalise them into
 * spaces (XML 1.0 §3.3.3); in text, carriage return would become a newline
 * (§2.11). */
static void
append_escaped (GString    *out,
                const char *str,
                gsize       len,
                gboolean    attribute)
{
  const guchar *s = (const guchar *) str;
  gsize start = 0;
  gsize i = 0;

  while (i < len)
    {
      guchar c = s[i];
      const char *repl = NULL;
      gsize consumed = 1;

      if (c >= 0x80)
        {
          gunichar ch;

          consumed = decode_utf8 (s + i, len - i, &ch);
          if (ch == (gunichar) -1)
            repl = REPLACEMENT_CHARACTER;
          else if (!is_xml_char (ch))
            repl = "";
          else
            {
              i += consumed;
              continue;
            }
        }
      else if (c >= 0x20 && c != '&' && c != '<' && c != '>' &&
               c != '"' && c != '\'')
        {
          i++;
          continue;
        }
      else
        {
          switch (c)
            {
            case '&': repl = "&amp;"; break;
            case '<': repl = "&lt;"; break;
            case '>': repl = "&gt;"; break;
            case '"': repl = "&quot;"; break;
            case '\'': repl = "&apos;"; break;
            case '\t': repl = attribute ? "&#9;" : "\t"; break;
            case '\n': repl = attribute ? "&#10;" : "\n"; break;
            case '\r': repl = "&#13;"; break;
            default: repl = ""; break;
            }
        }

      g_string_append_len (out, str + start, i - start);
      g_string_append (out, repl);
      i += consumed;
      start = i;
    }

  g_string_append_len (out, str + start, len - start);
}

static void
append_attribute (GString    *out,
                  const char *prefix,
                  const char *name,
                  const char *value)
{
  g_string_append_c (out, ' ');
  if (prefix != NULL)
    {
      g_string_append (out, prefix);
      g_string_append_c (out, ':');
    }
  g_string_append (out, name);
  g_string_append (out, "='");
  append_escaped (out, value, strlen (value), TRUE);
  g_string_append_c (out, '\'');
}

/* "xml" is bound by definition (XML Names §3); any other attribute
 * namespace gets a prefix "nsN" declared on the element itself. */
static void
write_attributes (TalkXmppStanza *self,
                  GString        *out)
{
  g_autoptr(GPtrArray) declared = NULL;

  for (guint i = 0; i < self->n_attrs; i++)
    {
      const Attribute *attr = &self->attrs[i];
      char prefix[24];
      guint k;

      if (attr->ns == NULL)
        {
          append_attribute (out, NULL, attr->name, attr->value);
          continue;
        }
      if (strcmp (attr->ns, TALK_XMPP_NS_XML) == 0)
        {
          append_attribute (out, "xml", attr->name, attr->value);
          continue;
        }

      if (declared == NULL)
        declared = g_ptr_array_new ();
      if (!g_ptr_array_find_with_equal_func (declared, attr->ns, g_str_equal, &k))
        {
          k = declared->len;
          g_ptr_array_add (declared, attr->ns);
          g_snprintf (prefix, sizeof prefix, "ns%u", k + 1);
          append_attribute (out, "xmlns", prefix, attr->ns);
        }
      else
        g_snprintf (prefix, sizeof prefix, "ns%u", k + 1);

      append_attribute (out, prefix, attr->name, attr->value);
    }
}

static void write_node (TalkXmppStanza *self,
                        const char     *scope_ns,
                        GString        *out);

static void
write_xml_prefixed_node (TalkXmppStanza *self,
                         const char     *scope_ns,
                         GString        *out)
{
  g_string_append (out, "<xml:");
  g_string_append (out, self->name);
  if (self->n_attrs > 0)
    write_attributes (self, out);
  if (self->n_children == 0)
    {
      g_string_append (out, "/>");
      return;
    }
  g_string_append_c (out, '>');
  for (guint i = 0; i < self->n_children; i++)
    write_node (self->children[i], scope_ns, out);
  g_string_append (out, "</xml:");
  g_string_append (out, self->name);
  g_string_append_c (out, '>');
}

static void
write_node (TalkXmppStanza *self,
            const char     *scope_ns,
            GString        *out)
{
  if (self->name == NULL)
    {
      append_escaped (out, self->text, self->text_len, FALSE);
      return;
    }

  /* The xml namespace may only be written with its own prefix, never
   * declared as a default (XML Names §3); the default in scope is unchanged. */
  if (self->ns != NULL && strcmp (self->ns, TALK_XMPP_NS_XML) == 0)
    {
      write_xml_prefixed_node (self, scope_ns, out);
      return;
    }

  g_string_append_c (out, '<');
  g_string_append (out, self->name);

  /* Namespaces are interned, so equal ones are usually the same pointer. */
  if (self->ns != scope_ns && g_strcmp0 (self->ns, scope_ns) != 0)
    {
      g_string_append (out, " xmlns='");
      if (self->ns != NULL)
        append_escaped (out, self->ns, strlen (self->ns), TRUE);
      g_string_append_c (out, '\'');
    }

  if (self->n_attrs > 0)
    write_attributes (self, out);

  if (self->n_children == 0)
    {
      g_string_append (out, "/>");
      return;
    }

  g_string_append_c (out, '>');
  for (guint i = 0; i < self->n_children; i++)
    write_node (self->children[i], self->ns, out);
  g_string_append (out, "</");
  g_string_append (out, self->name);
  g_string_append_c (out, '>');
}

/**
 * talk_xmpp_stanza_write:
 * @default_ns: (nullable): the namespace in scope where @self is written
 * @out: where to append the XML
 *
 * Appends @self to @out as talk_xmpp_stanza_to_string() would return it.
 */
void
talk_xmpp_stanza_write (TalkXmppStanza *self,
                        const char     *default_ns,
                        GString        *out)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (out != NULL);

  write_node (self, default_ns, out);
}

char *
talk_xmpp_stanza_to_string (TalkXmppStanza *self,
                            const char     *default_ns)
{
  GString *out;

  g_return_val_if_fail (self != NULL, NULL);

  out = g_string_sized_new (256);
  write_node (self, default_ns, out);
  return g_string_free (out, FALSE);
}

/* Builders */

static TalkXmppStanza *
new_stanza (const char *name,
            const char *type,
            const char *to,
            const char *id)
{
  TalkXmppStanza *self = talk_xmpp_stanza_new (name, TALK_XMPP_NS_CLIENT);

  if (type != NULL)
    talk_xmpp_stanza_set_attribute (self, "type", type);
  if (to != NULL)
    talk_xmpp_stanza_set_attribute (self, "to", to);
  if (id != NULL)
    talk_xmpp_stanza_set_attribute (self, "id", id);
  return self;
}

/**
 * talk_xmpp_stanza_new_message:
 * @type: (nullable): "chat", "groupchat", "headline", "normal" or "error"
 * @to: (nullable): the addressee
 * @body: (nullable): the text of a `<body/>` child
 *
 * Returns: (transfer full): a `<message/>` in jabber:client, without id
 */
TalkXmppStanza *
talk_xmpp_stanza_new_message (const char *type,
                              const char *to,
                              const char *body)
{
  TalkXmppStanza *self = new_stanza ("message", type, to, NULL);

  if (body != NULL)
    talk_xmpp_stanza_add_child_with_text (self, "body", NULL, body);
  return self;
}

/**
 * talk_xmpp_stanza_new_presence:
 * @type: (nullable): %NULL for available, or "unavailable", "subscribe"…
 * @to: (nullable): the addressee, %NULL for a broadcast
 *
 * Returns: (transfer full): a `<presence/>` in jabber:client
 */
TalkXmppStanza *
talk_xmpp_stanza_new_presence (const char *type,
                               const char *to)
{
  return new_stanza ("presence", type, to, NULL);
}

/**
 * talk_xmpp_stanza_new_iq:
 * @type: (nullable): "get", "set", "result" or "error"
 * @to: (nullable): the addressee, %NULL for the own account
 * @id: (nullable): the id; %NULL leaves it to the sender
 *
 * Returns: (transfer full): an `<iq/>` in jabber:client
 */
TalkXmppStanza *
talk_xmpp_stanza_new_iq (const char *type,
                         const char *to,
                         const char *id)
{
  return new_stanza ("iq", type, to, id);
}

/**
 * talk_xmpp_stanza_new_iq_result:
 * @request: an IQ get or set
 *
 * Returns: (transfer full): an empty result addressed to the sender of
 *   @request with its id (RFC 6120 §8.2.3)
 */
TalkXmppStanza *
talk_xmpp_stanza_new_iq_result (TalkXmppStanza *request)
{
  g_return_val_if_fail (request != NULL, NULL);

  return new_stanza ("iq", "result",
                     talk_xmpp_stanza_get_from (request),
                     talk_xmpp_stanza_get_id (request));
}

/**
 * talk_xmpp_stanza_new_error_reply:
 * @request: the stanza that failed
 * @condition: the RFC 6120 §8.3.3 condition
 * @text: (nullable): a description for people
 *
 * Builds the reply of RFC 6120 §8.3.1: same element and id, type='error',
 * addressed to the sender of @request, no from (the server stamps it). The
 * original payload is not echoed, which §8.3.1 allows and which keeps the
 * reply small.
 *
 * Returns: (transfer full): the error stanza
 */
TalkXmppStanza *
talk_xmpp_stanza_new_error_reply (TalkXmppStanza          *request,
                                  TalkXmppStanzaErrorCode  condition,
                                  const char              *text)
{
  TalkXmppStanza *self;
  TalkXmppStanza *error;

  g_return_val_if_fail (request != NULL && request->name != NULL, NULL);

  self = new_stanza (request->name, "error",
                     talk_xmpp_stanza_get_from (request),
                     talk_xmpp_stanza_get_id (request));

  error = talk_xmpp_stanza_add_child (self, "error", NULL);
  talk_xmpp_stanza_set_attribute (error, "type",
                                  talk_xmpp_stanza_error_get_default_type (condition));
  talk_xmpp_stanza_add_child (error,
                              talk_xmpp_stanza_error_to_string (condition),
                              TALK_XMPP_NS_STANZAS);
  if (text != NULL)
    talk_xmpp_stanza_add_child_with_text (error, "text", TALK_XMPP_NS_STANZAS, text);

  return self;
}

/**
 * talk_xmpp_stanza_get_error:
 * @error: (out) (optional): the stanza error
 *
 * Reads the `<error/>` of a type='error' stanza (RFC 6120 §8.3.2). An
 * error stanza without a known condition reports undefined-condition.
 *
 * Returns: %TRUE when @self is an error stanza
 */
gboolean
talk_xmpp_stanza_get_error (TalkXmppStanza  *self,
                            GError         **error)
{
  TalkXmppStanzaErrorCode code = TALK_XMPP_STANZA_ERROR_UNDEFINED_CONDITION;
  g_autofree char *text = NULL;
  TalkXmppStanza *element;

  g_return_val_if_fail (self != NULL, FALSE);

  if (g_strcmp0 (talk_xmpp_stanza_get_stanza_type (self), "error") != 0)
    return FALSE;

  element = talk_xmpp_stanza_get_child (self, "error", self->ns);
  if (element != NULL)
    {
      TalkXmppStanzaIter iter;
      TalkXmppStanza *child;

      talk_xmpp_stanza_iter_init (&iter, element);
      while (talk_xmpp_stanza_iter_next (&iter, &child))
        {
          if (g_strcmp0 (child->ns, TALK_XMPP_NS_STANZAS) != 0)
            continue;
          if (strcmp (child->name, "text") == 0)
            {
              if (text == NULL)
                text = talk_xmpp_stanza_dup_text (child);
            }
          else if (code == TALK_XMPP_STANZA_ERROR_UNDEFINED_CONDITION)
            code = talk_xmpp_stanza_error_from_string (child->name);
        }
    }

  if (text != NULL && *text != '\0')
    g_set_error_literal (error, TALK_XMPP_STANZA_ERROR, code, text);
  else
    g_set_error_literal (error, TALK_XMPP_STANZA_ERROR, code,
                         talk_xmpp_stanza_error_describe (code));
  return TRUE;
}

const char *
talk_xmpp_stanza_get_id (TalkXmppStanza *self)
{
  return talk_xmpp_stanza_get_attribute (self, "id");
}

const char *
talk_xmpp_stanza_get_from (TalkXmppStanza *self)
{
  return talk_xmpp_stanza_get_attribute (self, "from");
}

const char *
talk_xmpp_stanza_get_to (TalkXmppStanza *self)
{
  return talk_xmpp_stanza_get_attribute (self, "to");
}

const char *
talk_xmpp_stanza_get_stanza_type (TalkXmppStanza *self)
{
  return talk_xmpp_stanza_get_attribute (self, "type");
}

/**
 * talk_xmpp_generate_id:
 *
 * 96 random bits from the GnuTLS nonce generator, base64url-encoded
 * (RFC 4648 §5) without padding: ids must not be guessable, or a peer
 * could forge replies to pending requests.
 *
 * Returns: (transfer full): 16 characters from [A-Za-z0-9_-]
 */
char *
talk_xmpp_generate_id (void)
{
  static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  guint8 bytes[12];
  char *id = g_new (char, 17);

  if (gnutls_rnd (GNUTLS_RND_NONCE, bytes, sizeof bytes) < 0)
    for (gsize i = 0; i < sizeof bytes; i++)
      bytes[i] = (guint8) g_random_int_range (0, 256);

  for (gsize i = 0, o = 0; i < sizeof bytes; i += 3)
    {
      guint32 v = ((guint32) bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];

      id[o++] = alphabet[(v >> 18) & 0x3f];
      id[o++] = alphabet[(v >> 12) & 0x3f];
      id[o++] = alphabet[(v >> 6) & 0x3f];
      id[o++] = alphabet[v & 0x3f];
    }
  id[16] = '\0';
  return id;
}
