/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What this client tells others about itself: service discovery
 * (XEP-0030), software version (XEP-0092), ping (XEP-0199), and the entity
 * capabilities hash (XEP-0115) that lets contacts cache all of it.
 */

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "talk-xmpp-disco.h"

#define NS_DATA_FORMS "jabber:x:data"

struct _TalkXmppDisco
{
  GObject parent_instance;

  TalkXmppSession *session;
  guint handler_ids[4];

  char *category;
  char *type;
  char *name;
  GPtrArray *features;          /* sorted, unique */

  char *software_name;
  char *software_version;
  char *software_os;            /* XEP-0092 §3: optional; left out for privacy */

  char *caps_ver;
};

G_DEFINE_FINAL_TYPE (TalkXmppDisco, talk_xmpp_disco, G_TYPE_OBJECT)

/* XEP-0115 §5 */

typedef struct
{
  const char *category;
  const char *type;
  const char *lang;
  const char *name;
} Identity;

typedef struct
{
  const char *var;
  GPtrArray  *values;           /* (element-type utf8) owned */
} Field;

typedef struct
{
  char      *form_type;
  GPtrArray *fields;            /* (element-type Field) */
} Form;

static const char *
or_empty (const char *s)
{
  return s != NULL ? s : "";
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  /* "i;octet" (RFC 4790 §9.3): strcmp compares unsigned bytes. */
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

static int
compare_identities (gconstpointer a,
                    gconstpointer b)
{
  const Identity *x = a;
  const Identity *y = b;
  int cmp;

  if ((cmp = strcmp (x->category, y->category)) != 0)
    return cmp;
  if ((cmp = strcmp (x->type, y->type)) != 0)
    return cmp;
  if ((cmp = strcmp (x->lang, y->lang)) != 0)
    return cmp;
  return strcmp (x->name, y->name);
}

static int
compare_fields (gconstpointer a,
                gconstpointer b)
{
  const Field *x = *(const Field * const *) a;
  const Field *y = *(const Field * const *) b;

  return strcmp (x->var, y->var);
}

static int
compare_forms (gconstpointer a,
               gconstpointer b)
{
  const Form *x = *(const Form * const *) a;
  const Form *y = *(const Form * const *) b;

  return strcmp (x->form_type, y->form_type);
}

static void
field_free (Field *field)
{
  g_ptr_array_unref (field->values);
  g_free (field);
}

static void
form_free (Form *form)
{
  g_free (form->form_type);
  g_ptr_array_unref (form->fields);
  g_free (form);
}

static GPtrArray *
collect_values (TalkXmppStanza *field)
{
  GPtrArray *values = g_ptr_array_new_with_free_func (g_free);
  TalkXmppStanzaIter iter;
  TalkXmppStanza *child;

  talk_xmpp_stanza_iter_init (&iter, field);
  while (talk_xmpp_stanza_iter_next (&iter, &child))
    if (talk_xmpp_stanza_is (child, "value", NS_DATA_FORMS))
      g_ptr_array_add (values, talk_xmpp_stanza_dup_text (child));

  return values;
}

/* One XEP-0128 form. Returns NULL without @error for a form to ignore
 * (§5.4 step 3.6), NULL with @error for an ill-formed one (step 3.5). */
static Form *
parse_form (TalkXmppStanza  *x,
            GError         **error)
{
  g_autoptr(GPtrArray) fields = g_ptr_array_new_with_free_func ((GDestroyNotify) field_free);
  g_autoptr(GPtrArray) form_type_values = NULL;
  TalkXmppStanza *form_type_field = NULL;
  TalkXmppStanzaIter iter;
  TalkXmppStanza *child;
  Form *form;

  talk_xmpp_stanza_iter_init (&iter, x);
  while (talk_xmpp_stanza_iter_next (&iter, &child))
    {
      const char *var;
      Field *field;

      if (!talk_xmpp_stanza_is (child, "field", NS_DATA_FORMS))
        continue;

      var = or_empty (talk_xmpp_stanza_get_attribute (child, "var"));
      if (strcmp (var, "FORM_TYPE") == 0)
        {
          if (form_type_field != NULL)
            {
              g_set_error_literal (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_PROTOCOL,
                                   "A form has more than one FORM_TYPE field");
              return NULL;
            }
          form_type_field = child;
          continue;
        }

      field = g_new0 (Field, 1);
      field->var = var;
      field->values = collect_values (child);
      g_ptr_array_sort (field->values, compare_strings);
      g_ptr_array_add (fields, field);
    }

  if (form_type_field == NULL ||
      g_strcmp0 (talk_xmpp_stanza_get_attribute (form_type_field, "type"), "hidden") != 0)
    return NULL;

  form_type_values = collect_values (form_type_field);
  if (form_type_values->len == 0)
    return NULL;
  for (guint i = 1; i < form_type_values->len; i++)
    if (strcmp (g_ptr_array_index (form_type_values, i),
                g_ptr_array_index (form_type_values, 0)) != 0)
      {
        g_set_error_literal (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_PROTOCOL,
                             "A FORM_TYPE field has different values");
        return NULL;
      }

  g_ptr_array_sort (fields, compare_fields);

  form = g_new0 (Form, 1);
  form->form_type = g_strdup (g_ptr_array_index (form_type_values, 0));
  form->fields = g_steal_pointer (&fields);
  return form;
}

static gboolean
collect_query (TalkXmppStanza  *query,
               GArray          *identities,
               GPtrArray       *features,
               GPtrArray       *forms,
               GError         **error)
{
  TalkXmppStanzaIter iter;
  TalkXmppStanza *child;

  talk_xmpp_stanza_iter_init (&iter, query);
  while (talk_xmpp_stanza_iter_next (&iter, &child))
    {
      if (talk_xmpp_stanza_is (child, "identity", TALK_XMPP_NS_DISCO_INFO))
        {
          Identity identity = {
            or_empty (talk_xmpp_stanza_get_attribute (child, "category")),
            or_empty (talk_xmpp_stanza_get_attribute (child, "type")),
            or_empty (talk_xmpp_stanza_get_attribute_ns (child, TALK_XMPP_NS_XML, "lang")),
            or_empty (talk_xmpp_stanza_get_attribute (child, "name")),
          };

          g_array_append_val (identities, identity);
        }
      else if (talk_xmpp_stanza_is (child, "feature", TALK_XMPP_NS_DISCO_INFO))
        {
          g_ptr_array_add (features,
                           (gpointer) or_empty (talk_xmpp_stanza_get_attribute (child, "var")));
        }
      else if (talk_xmpp_stanza_is (child, "x", NS_DATA_FORMS))
        {
          g_autoptr(GError) local_error = NULL;
          Form *form = parse_form (child, &local_error);

          if (local_error != NULL)
            {
              g_propagate_error (error, g_steal_pointer (&local_error));
              return FALSE;
            }
          if (form != NULL)
            g_ptr_array_add (forms, form);
        }
    }

  return TRUE;
}

/* XEP-0115 §5.4 steps 3.3–3.5: duplicates make the whole response ill-formed. */
static gboolean
check_duplicates (GArray     *identities,
                  GPtrArray  *features,
                  GPtrArray  *forms,
                  GError    **error)
{
  for (guint i = 1; i < identities->len; i++)
    if (compare_identities (&g_array_index (identities, Identity, i - 1),
                            &g_array_index (identities, Identity, i)) == 0)
      {
        g_set_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_PROTOCOL,
                     "Duplicate identity %s/%s",
                     g_array_index (identities, Identity, i).category,
                     g_array_index (identities, Identity, i).type);
        return FALSE;
      }

  for (guint i = 1; i < features->len; i++)
    if (strcmp (g_ptr_array_index (features, i - 1), g_ptr_array_index (features, i)) == 0)
      {
        g_set_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_PROTOCOL,
                     "Duplicate feature %s", (const char *) g_ptr_array_index (features, i));
        return FALSE;
      }

  for (guint i = 1; i < forms->len; i++)
    if (compare_forms (&g_ptr_array_index (forms, i - 1), &g_ptr_array_index (forms, i)) == 0)
      {
        g_set_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_PROTOCOL,
                     "Duplicate form %s", ((Form *) g_ptr_array_index (forms, i))->form_type);
        return FALSE;
      }

  return TRUE;
}

static void
append_string (GString    *s,
               const char *text)
{
  g_string_append (s, text);
  g_string_append_c (s, '<');
}

char *
talk_xmpp_caps_compute_ver (TalkXmppStanza  *query,
                            GError         **error)
{
  g_autoptr(GArray) identities = g_array_new (FALSE, FALSE, sizeof (Identity));
  g_autoptr(GPtrArray) features = g_ptr_array_new ();
  g_autoptr(GPtrArray) forms = g_ptr_array_new_with_free_func ((GDestroyNotify) form_free);
  g_autoptr(GString) s = g_string_new (NULL);
  g_autoptr(GChecksum) checksum = NULL;
  guint8 digest[20];
  gsize digest_len = sizeof digest;

  g_return_val_if_fail (query != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!collect_query (query, identities, features, forms, error))
    return NULL;

  g_array_sort (identities, compare_identities);
  g_ptr_array_sort (features, compare_strings);
  g_ptr_array_sort (forms, compare_forms);

  if (!check_duplicates (identities, features, forms, error))
    return NULL;

  /* §5.1 steps 2–7 */
  for (guint i = 0; i < identities->len; i++)
    {
      const Identity *identity = &g_array_index (identities, Identity, i);

      g_string_append_printf (s, "%s/%s/%s/%s<", identity->category, identity->type,
                              identity->lang, identity->name);
    }

  for (guint i = 0; i < features->len; i++)
    append_string (s, g_ptr_array_index (features, i));

  for (guint i = 0; i < forms->len; i++)
    {
      const Form *form = g_ptr_array_index (forms, i);

      append_string (s, form->form_type);
      for (guint j = 0; j < form->fields->len; j++)
        {
          const Field *field = g_ptr_array_index (form->fields, j);

          append_string (s, field->var);
          for (guint k = 0; k < field->values->len; k++)
            append_string (s, g_ptr_array_index (field->values, k));
        }
    }

  /* §5.1 steps 8–9: the UTF-8 bytes, SHA-1, base64 */
  checksum = g_checksum_new (G_CHECKSUM_SHA1);
  g_checksum_update (checksum, (const guchar *) s->str, s->len);
  g_checksum_get_digest (checksum, digest, &digest_len);

  return g_base64_encode (digest, digest_len);
}

/* Announcing */

static void
disco_insert_feature (TalkXmppDisco *self,
                      const char    *var)
{
  guint lo = 0;
  guint hi = self->features->len;

  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;
      int cmp = strcmp (g_ptr_array_index (self->features, mid), var);

      if (cmp == 0)
        return;
      if (cmp < 0)
        lo = mid + 1;
      else
        hi = mid;
    }

  g_ptr_array_insert (self->features, (int) lo, g_strdup (var));
}

/* XEP-0115 §4: recomputed whenever what we announce changes. */
static void
disco_update_caps (TalkXmppDisco *self)
{
  g_autoptr(TalkXmppStanza) info = talk_xmpp_disco_build_info (self, NULL);
  g_autoptr(GError) error = NULL;
  char *ver;

  ver = talk_xmpp_caps_compute_ver (info, &error);
  if (ver == NULL)
    {
      /* Features are unique by construction; nothing else can fail. */
      g_critical ("Cannot compute the caps hash: %s", error->message);
      return;
    }

  g_free (self->caps_ver);
  self->caps_ver = ver;
}

static void
disco_reply (TalkXmppDisco  *self,
             TalkXmppStanza *request,
             TalkXmppStanza *payload)
{
  g_autoptr(TalkXmppStanza) reply = talk_xmpp_stanza_new_iq_result (request);

  if (payload != NULL)
    talk_xmpp_stanza_append (reply, payload);
  talk_xmpp_session_send (self->session, reply);
}

static void
disco_reply_error (TalkXmppDisco           *self,
                   TalkXmppStanza          *request,
                   TalkXmppStanzaErrorCode  condition)
{
  g_autoptr(TalkXmppStanza) reply = talk_xmpp_stanza_new_error_reply (request, condition, NULL);

  talk_xmpp_session_send (self->session, reply);
}

/* These namespaces only define get requests. Returns the payload <@name/>
 * of a well-formed get, or NULL after answering anything else. */
static TalkXmppStanza *
disco_check_request (TalkXmppDisco  *self,
                     TalkXmppStanza *iq,
                     const char     *name,
                     const char     *ns)
{
  TalkXmppStanza *payload;

  if (g_strcmp0 (talk_xmpp_stanza_get_stanza_type (iq), "get") != 0)
    {
      disco_reply_error (self, iq, TALK_XMPP_STANZA_ERROR_FEATURE_NOT_IMPLEMENTED);
      return NULL;
    }

  payload = talk_xmpp_stanza_get_child (iq, name, ns);
  if (payload == NULL)
    {
      disco_reply_error (self, iq, TALK_XMPP_STANZA_ERROR_BAD_REQUEST);
      return NULL;
    }

  return payload;
}

static gboolean
disco_info_cb (TalkXmppSession *session,
               TalkXmppStanza  *iq,
               gpointer         user_data)
{
  TalkXmppDisco *self = user_data;
  g_autofree char *caps_node = NULL;
  g_autoptr(TalkXmppStanza) info = NULL;
  TalkXmppStanza *query;
  const char *node;

  query = disco_check_request (self, iq, "query", TALK_XMPP_NS_DISCO_INFO);
  if (query == NULL)
    return TRUE;

  /* XEP-0115 §6.2: the caps node "node#ver" is answered like no node. */
  node = talk_xmpp_stanza_get_attribute (query, "node");
  caps_node = g_strconcat (TALK_XMPP_CAPS_NODE "#", self->caps_ver, NULL);
  if (node != NULL && strcmp (node, caps_node) != 0)
    {
      disco_reply_error (self, iq, TALK_XMPP_STANZA_ERROR_ITEM_NOT_FOUND);
      return TRUE;
    }

  info = talk_xmpp_disco_build_info (self, node);
  disco_reply (self, iq, info);

  return TRUE;
}

static gboolean
disco_items_cb (TalkXmppSession *session,
                TalkXmppStanza  *iq,
                gpointer         user_data)
{
  TalkXmppDisco *self = user_data;
  g_autoptr(TalkXmppStanza) result = NULL;
  TalkXmppStanza *query;

  query = disco_check_request (self, iq, "query", TALK_XMPP_NS_DISCO_ITEMS);
  if (query == NULL)
    return TRUE;

  /* A client has no items; XEP-0115 §6.2: not even the caps node. */
  if (talk_xmpp_stanza_get_attribute (query, "node") != NULL)
    {
      disco_reply_error (self, iq, TALK_XMPP_STANZA_ERROR_ITEM_NOT_FOUND);
      return TRUE;
    }

  result = talk_xmpp_stanza_new ("query", TALK_XMPP_NS_DISCO_ITEMS);
  disco_reply (self, iq, result);
  return TRUE;
}

static gboolean
disco_version_cb (TalkXmppSession *session,
                  TalkXmppStanza  *iq,
                  gpointer         user_data)
{
  TalkXmppDisco *self = user_data;
  g_autoptr(TalkXmppStanza) result = NULL;

  if (disco_check_request (self, iq, "query", TALK_XMPP_NS_VERSION) == NULL)
    return TRUE;

  /* XEP-0092 §3 */
  result = talk_xmpp_stanza_new ("query", TALK_XMPP_NS_VERSION);
  talk_xmpp_stanza_add_child_with_text (result, "name", NULL, self->software_name);
  talk_xmpp_stanza_add_child_with_text (result, "version", NULL, self->software_version);
  if (self->software_os != NULL)
    talk_xmpp_stanza_add_child_with_text (result, "os", NULL, self->software_os);
  disco_reply (self, iq, result);
  return TRUE;
}

static gboolean
disco_ping_cb (TalkXmppSession *session,
               TalkXmppStanza  *iq,
               gpointer         user_data)
{
  TalkXmppDisco *self = user_data;

  /* XEP-0199 §4.1: an empty result */
  if (disco_check_request (self, iq, "ping", TALK_XMPP_NS_PING) != NULL)
    disco_reply (self, iq, NULL);
  return TRUE;
}

TalkXmppDisco *
talk_xmpp_disco_new (TalkXmppSession *session)
{
  g_autoptr(TalkXmppDisco) self = NULL;

  g_return_val_if_fail (TALK_XMPP_IS_SESSION (session), NULL);

  self = g_object_new (TALK_XMPP_TYPE_DISCO, NULL);
  self->session = g_object_ref (session);
  self->handler_ids[0] = talk_xmpp_session_add_handler (session, "iq", TALK_XMPP_NS_DISCO_INFO,
                                                        disco_info_cb, self, NULL);
  self->handler_ids[1] = talk_xmpp_session_add_handler (session, "iq", TALK_XMPP_NS_DISCO_ITEMS,
                                                        disco_items_cb, self, NULL);
  self->handler_ids[2] = talk_xmpp_session_add_handler (session, "iq", TALK_XMPP_NS_VERSION,
                                                        disco_version_cb, self, NULL);
  self->handler_ids[3] = talk_xmpp_session_add_handler (session, "iq", TALK_XMPP_NS_PING,
                                                        disco_ping_cb, self, NULL);

  return g_steal_pointer (&self);
}

void
talk_xmpp_disco_set_identity (TalkXmppDisco *self,
                              const char    *category,
                              const char    *type,
                              const char    *name)
{
  g_return_if_fail (TALK_XMPP_IS_DISCO (self));
  g_return_if_fail (category != NULL && type != NULL);

  g_free (self->category);
  g_free (self->type);
  g_free (self->name);
  self->category = g_strdup (category);
  self->type = g_strdup (type);
  self->name = g_strdup (name);
  disco_update_caps (self);
}

void
talk_xmpp_disco_add_feature (TalkXmppDisco *self,
                             const char    *var)
{
  guint len;

  g_return_if_fail (TALK_XMPP_IS_DISCO (self));
  g_return_if_fail (var != NULL && *var != '\0');

  len = self->features->len;
  disco_insert_feature (self, var);
  if (self->features->len != len)
    disco_update_caps (self);
}

void
talk_xmpp_disco_set_software (TalkXmppDisco *self,
                              const char    *name,
                              const char    *version,
                              const char    *os)
{
  g_return_if_fail (TALK_XMPP_IS_DISCO (self));
  g_return_if_fail (name != NULL);

  g_free (self->software_name);
  g_free (self->software_version);
  g_free (self->software_os);
  self->software_name = g_strdup (name);
  self->software_version = g_strdup (version);
  self->software_os = g_strdup (os);
}

TalkXmppStanza *
talk_xmpp_disco_build_info (TalkXmppDisco *self,
                            const char    *node)
{
  TalkXmppStanza *query;
  TalkXmppStanza *identity;

  g_return_val_if_fail (TALK_XMPP_IS_DISCO (self), NULL);

  query = talk_xmpp_stanza_new ("query", TALK_XMPP_NS_DISCO_INFO);
  if (node != NULL)
    talk_xmpp_stanza_set_attribute (query, "node", node);

  identity = talk_xmpp_stanza_add_child (query, "identity", NULL);
  talk_xmpp_stanza_set_attribute (identity, "category", self->category);
  talk_xmpp_stanza_set_attribute (identity, "type", self->type);
  if (self->name != NULL)
    talk_xmpp_stanza_set_attribute (identity, "name", self->name);

  for (guint i = 0; i < self->features->len; i++)
    {
      TalkXmppStanza *feature = talk_xmpp_stanza_add_child (query, "feature", NULL);

      talk_xmpp_stanza_set_attribute (feature, "var", g_ptr_array_index (self->features, i));
    }

  return query;
}

const char *
talk_xmpp_disco_get_caps_ver (TalkXmppDisco *self)
{
  g_return_val_if_fail (TALK_XMPP_IS_DISCO (self), NULL);

  return self->caps_ver;
}

TalkXmppStanza *
talk_xmpp_disco_build_caps (TalkXmppDisco *self)
{
  TalkXmppStanza *caps;

  g_return_val_if_fail (TALK_XMPP_IS_DISCO (self), NULL);

  /* XEP-0115 §4 */
  caps = talk_xmpp_stanza_new ("c", TALK_XMPP_NS_CAPS);
  talk_xmpp_stanza_set_attribute (caps, "hash", "sha-1");
  talk_xmpp_stanza_set_attribute (caps, "node", TALK_XMPP_CAPS_NODE);
  talk_xmpp_stanza_set_attribute (caps, "ver", self->caps_ver);

  return caps;
}

static void
query_info_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(TalkXmppStanza) reply = NULL;
  TalkXmppStanza *query;
  GError *error = NULL;

  reply = talk_xmpp_session_send_iq_finish (TALK_XMPP_SESSION (source), result, &error);
  if (reply == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  query = talk_xmpp_stanza_get_child (reply, "query", TALK_XMPP_NS_DISCO_INFO);
  if (query == NULL)
    {
      g_task_return_new_error (task, TALK_XMPP_ERROR, TALK_XMPP_ERROR_PROTOCOL,
                               _("The reply carries no service discovery information"));
      return;
    }

  g_task_return_pointer (task, talk_xmpp_stanza_ref (query),
                         (GDestroyNotify) talk_xmpp_stanza_unref);
}

void
talk_xmpp_disco_query_info_async (TalkXmppDisco       *self,
                                  const char          *jid,
                                  const char          *node,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(TalkXmppStanza) iq = NULL;
  TalkXmppStanza *query;

  g_return_if_fail (TALK_XMPP_IS_DISCO (self));
  g_return_if_fail (jid != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, talk_xmpp_disco_query_info_async);

  /* XEP-0030 §3.1 */
  iq = talk_xmpp_stanza_new_iq ("get", jid, NULL);
  query = talk_xmpp_stanza_add_child (iq, "query", TALK_XMPP_NS_DISCO_INFO);
  if (node != NULL)
    talk_xmpp_stanza_set_attribute (query, "node", node);

  talk_xmpp_session_send_iq_async (self->session, iq, cancellable, query_info_cb,
                                   g_steal_pointer (&task));
}

TalkXmppStanza *
talk_xmpp_disco_query_info_finish (TalkXmppDisco  *self,
                                   GAsyncResult   *result,
                                   GError        **error)
{
  g_return_val_if_fail (TALK_XMPP_IS_DISCO (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == talk_xmpp_disco_query_info_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
talk_xmpp_disco_dispose (GObject *object)
{
  TalkXmppDisco *self = TALK_XMPP_DISCO (object);

  if (self->session != NULL)
    {
      for (guint i = 0; i < G_N_ELEMENTS (self->handler_ids); i++)
        if (self->handler_ids[i] != 0)
          talk_xmpp_session_remove_handler (self->session, self->handler_ids[i]);
      memset (self->handler_ids, 0, sizeof self->handler_ids);
    }
  g_clear_object (&self->session);

  G_OBJECT_CLASS (talk_xmpp_disco_parent_class)->dispose (object);
}

static void
talk_xmpp_disco_finalize (GObject *object)
{
  TalkXmppDisco *self = TALK_XMPP_DISCO (object);

  g_free (self->category);
  g_free (self->type);
  g_free (self->name);
  g_ptr_array_unref (self->features);
  g_free (self->software_name);
  g_free (self->software_version);
  g_free (self->software_os);
  g_free (self->caps_ver);

  G_OBJECT_CLASS (talk_xmpp_disco_parent_class)->finalize (object);
}

static void
talk_xmpp_disco_class_init (TalkXmppDiscoClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = talk_xmpp_disco_dispose;
  object_class->finalize = talk_xmpp_disco_finalize;
}

static void
talk_xmpp_disco_init (TalkXmppDisco *self)
{
  static const char * const base_features[] = {
    TALK_XMPP_NS_DISCO_INFO,
    TALK_XMPP_NS_DISCO_ITEMS,
    TALK_XMPP_NS_CAPS,
    TALK_XMPP_NS_PING,
    TALK_XMPP_NS_VERSION,
  };

  self->category = g_strdup ("client");
  self->type = g_strdup ("pc");
  self->name = g_strdup ("Talk");
  self->software_name = g_strdup ("Talk");
  self->software_version = g_strdup (PACKAGE_VERSION);
  self->features = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < G_N_ELEMENTS (base_features); i++)
    disco_insert_feature (self, base_features[i]);
  disco_update_caps (self);
}
