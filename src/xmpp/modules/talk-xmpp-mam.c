/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Message archive queries (XEP-0313, urn:xmpp:mam:2) with result set
 * paging (XEP-0059).
 *
 *   query_async ──► <iq type='set'><query queryid=Q><x/><set/></query></iq>
 *                   Q registered as open
 *   <message><result queryid id><forwarded><delay/><message/>…
 *     from the own account?  ─ no ──► dropped (XEP-0313 #security-impersonation)
 *     Q open?                ─ no ──► dropped (unsolicited)
 *     page full?             ─ yes ─► dropped
 *     ──► collected for Q
 *   <iq type='result'><fin complete><set><first/><last/></set></fin></iq>
 *     (from the account: the IQ tracker checks) ──► Q closed, page returned
 *
 *   catch_up_async: query after=<last id> ──► page ──► complete, no
 *     progress or the page limit? ─ no ──► query after=<page's last id> …
 */

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "talk-xmpp-mam.h"

/* Query ids closed recently: their late results are expected, not forged. */
#define MAX_CLOSED_QUERIES 16

/* Pages */

struct _TalkXmppMamPage
{
  GPtrArray *messages;
  gboolean complete;
  char *first;
  char *last;
  gint64 count;
};

G_DEFINE_BOXED_TYPE (TalkXmppMamPage, talk_xmpp_mam_page,
                     talk_xmpp_mam_page_ref, talk_xmpp_mam_page_unref)

/* Takes @messages, @first and @last. */
static TalkXmppMamPage *
mam_page_new (GPtrArray *messages,
              gboolean   complete,
              char      *first,
              char      *last,
              gint64     count)
{
  TalkXmppMamPage *self = g_rc_box_new0 (TalkXmppMamPage);

  self->messages = messages;
  self->complete = !!complete;
  self->first = first;
  self->last = last;
  self->count = count;

  return self;
}

TalkXmppMamPage *
talk_xmpp_mam_page_ref (TalkXmppMamPage *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return g_rc_box_acquire (self);
}

static void
mam_page_clear (gpointer data)
{
  TalkXmppMamPage *self = data;

  g_ptr_array_unref (self->messages);
  g_free (self->first);
  g_free (self->last);
}

void
talk_xmpp_mam_page_unref (TalkXmppMamPage *self)
{
  g_return_if_fail (self != NULL);

  g_rc_box_release_full (self, mam_page_clear);
}

GPtrArray *
talk_xmpp_mam_page_get_messages (TalkXmppMamPage *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->messages;
}

gboolean
talk_xmpp_mam_page_get_complete (TalkXmppMamPage *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->complete;
}

const char *
talk_xmpp_mam_page_get_first (TalkXmppMamPage *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->first;
}

const char *
talk_xmpp_mam_page_get_last (TalkXmppMamPage *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->last;
}

gint64
talk_xmpp_mam_page_get_count (TalkXmppMamPage *self)
{
  g_return_val_if_fail (self != NULL, -1);

  return self->count;
}

static GPtrArray *
message_array_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) talk_xmpp_message_info_unref);
}

/* The module */

struct _TalkXmppMam
{
  GObject parent_instance;

  TalkXmppSession *session;
  guint handler_id;
  GHashTable *queries;     /* queryid → Query, owned by its task */
  GQueue closed_queries;   /* char *, newest last */
};

G_DEFINE_FINAL_TYPE (TalkXmppMam, talk_xmpp_mam, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_SESSION,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* One open query: the task data of its GTask. */
typedef struct
{
  char *queryid;
  GPtrArray *messages;
  guint max;
  gboolean overflowed;
} Query;

static void
query_free (gpointer data)
{
  Query *query = data;

  g_free (query->queryid);
  g_ptr_array_unref (query->messages);
  g_free (query);
}

static void
mam_close_query (TalkXmppMam *self,
                 Query       *query)
{
  if (!g_hash_table_remove (self->queries, query->queryid))
    return;

  g_queue_push_tail (&self->closed_queries, g_strdup (query->queryid));
  if (self->closed_queries.length > MAX_CLOSED_QUERIES)
    g_free (g_queue_pop_head (&self->closed_queries));
}

static gboolean
mam_query_was_closed (TalkXmppMam *self,
                      const char  *queryid)
{
  return queryid != NULL &&
         g_queue_find_custom (&self->closed_queries, queryid, (GCompareFunc) strcmp) != NULL;
}

/* Results */

/* For the log: the sender's text must not shape it. */
static char *
dup_printable (const char *text)
{
  return text != NULL ? g_strescape (text, NULL) : g_strdup ("(none)");
}

/* Adds the result in @result (a <result/>) to @query. */
static void
mam_collect (TalkXmppMam    *self,
             Query          *query,
             TalkXmppStanza *result)
{
  TalkXmppStanza *forwarded = talk_xmpp_stanza_get_child (result, "forwarded",
                                                          TALK_XMPP_NS_FORWARD);
  const char *own_bare = talk_xmpp_jid_get_bare_string (talk_xmpp_session_get_jid (self->session));
  g_autoptr(TalkXmppMessageInfo) info = NULL;
  g_autoptr(GError) error = NULL;

  if (forwarded == NULL)
    {
      g_debug ("Dropping an archive result without a forwarded message");
      return;
    }

  info = talk_xmpp_message_info_parse_forwarded (forwarded, own_bare,
                                                 talk_xmpp_stanza_get_id (result), &error);
  if (info == NULL)
    {
      g_debug ("Dropping an archive result: %s", error->message);
      return;
    }

  /* The archive id is what paging and deduplication go by. */
  if (talk_xmpp_message_info_get_stanza_id (info) == NULL)
    {
      g_debug ("Dropping an archive result without a usable id");
      return;
    }

  g_ptr_array_add (query->messages, g_steal_pointer (&info));
}

static gboolean
mam_handle_cb (TalkXmppSession *session,
               TalkXmppStanza  *stanza,
               gpointer         user_data)
{
  TalkXmppMam *self = TALK_XMPP_MAM (user_data);
  TalkXmppStanza *result = talk_xmpp_stanza_get_child (stanza, "result", TALK_XMPP_NS_MAM);
  g_autofree char *printable = NULL;
  const char *queryid;
  Query *query;

  if (result == NULL)
    return FALSE;

  /* XEP-0313 #security-impersonation, SECURITY.md §1.1 (CVE-2019-16237):
   * the user's archive speaks as the user's account, nobody else does. */
  if (!talk_xmpp_session_is_from_own_account (session, stanza))
    {
      printable = dup_printable (talk_xmpp_stanza_get_from (stanza));
      g_warning ("Dropping an archive result from %s: not the own account", printable);
      return TRUE;
    }

  queryid = talk_xmpp_stanza_get_attribute (result, "queryid");
  query = queryid != NULL ? g_hash_table_lookup (self->queries, queryid) : NULL;
  if (query == NULL)
    {
      printable = dup_printable (queryid);
      if (mam_query_was_closed (self, queryid))
        g_debug ("Dropping a late archive result for query %s", printable);
      else
        g_warning ("Dropping an archive result for query %s: no such query is open", printable);
      return TRUE;
    }

  if (query->messages->len >= query->max)
    {
      if (!query->overflowed)
        g_warning ("Dropping archive results beyond the %u asked for", query->max);
      query->overflowed = TRUE;
      return TRUE;
    }

  mam_collect (self, query, result);
  return TRUE;
}

/* Queries */

static char *
dup_bounded_child_text (TalkXmppStanza *set,
                        const char     *name)
{
  g_autofree char *text = set != NULL ? talk_xmpp_stanza_dup_child_text (set, name,
                                                                         TALK_XMPP_NS_RSM)
                                      : NULL;

  if (text == NULL || text[0] == '\0' || strlen (text) > TALK_XMPP_MESSAGE_MAX_ID_BYTES)
    return NULL;

  return g_steal_pointer (&text);
}

static gint64
read_count (TalkXmppStanza *set)
{
  g_autofree char *text = set != NULL ? talk_xmpp_stanza_dup_child_text (set, "count",
                                                                         TALK_XMPP_NS_RSM)
                                      : NULL;
  gint64 count;

  if (text == NULL || !g_ascii_string_to_signed (text, 10, 0, G_MAXINT64, &count, NULL))
    return -1;

  return count;
}

static void
mam_query_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(TalkXmppStanza) reply = NULL;
  TalkXmppMam *self = g_task_get_source_object (task);
  Query *query = g_task_get_task_data (task);
  TalkXmppStanza *fin;
  TalkXmppStanza *set;
  const char *complete;
  GError *error = NULL;

  mam_close_query (self, query);

  reply = talk_xmpp_session_send_iq_finish (TALK_XMPP_SESSION (source), result, &error);
  if (reply == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  /* XEP-0313 #query-paging: the IQ result carries <fin/> with the RSM set. */
  fin = talk_xmpp_stanza_get_child (reply, "fin", TALK_XMPP_NS_MAM);
  if (fin == NULL)
    {
      g_task_return_new_error (task, TALK_XMPP_ERROR, TALK_XMPP_ERROR_PROTOCOL,
                               _("The server’s archive answered without a result"));
      return;
    }

  complete = talk_xmpp_stanza_get_attribute (fin, "complete");
  set = talk_xmpp_stanza_get_child (fin, "set", TALK_XMPP_NS_RSM);
  g_task_return_pointer (task,
                         mam_page_new (g_ptr_array_ref (query->messages),
                                       g_strcmp0 (complete, "true") == 0 ||
                                       g_strcmp0 (complete, "1") == 0,
                                       dup_bounded_child_text (set, "first"),
                                       dup_bounded_child_text (set, "last"),
                                       read_count (set)),
                         (GDestroyNotify) talk_xmpp_mam_page_unref);
}

static void
add_field (TalkXmppStanza *form,
           const char     *var,
           const char     *type,
           const char     *value)
{
  TalkXmppStanza *field = talk_xmpp_stanza_add_child (form, "field", NULL);

  talk_xmpp_stanza_set_attribute (field, "var", var);
  if (type != NULL)
    talk_xmpp_stanza_set_attribute (field, "type", type);
  talk_xmpp_stanza_add_child_with_text (field, "value", NULL, value);
}

/* XEP-0313 #query (the form, XEP-0004) and XEP-0059 §2 (the set). */
static TalkXmppStanza *
mam_build_query (const char *queryid,
                 const char *with,
                 const char *after_id,
                 const char *before_id,
                 GDateTime  *start,
                 guint       max)
{
  TalkXmppStanza *iq = talk_xmpp_stanza_new_iq ("set", NULL, NULL);
  TalkXmppStanza *query = talk_xmpp_stanza_add_child (iq, "query", TALK_XMPP_NS_MAM);
  TalkXmppStanza *form = talk_xmpp_stanza_add_child (query, "x", TALK_XMPP_NS_DATA);
  TalkXmppStanza *set;
  g_autofree char *max_text = g_strdup_printf ("%u", max);

  talk_xmpp_stanza_set_attribute (query, "queryid", queryid);
  talk_xmpp_stanza_set_attribute (form, "type", "submit");
  add_field (form, "FORM_TYPE", "hidden", TALK_XMPP_NS_MAM);
  if (with != NULL)
    add_field (form, "with", NULL, with);
  if (start != NULL)
    {
      /* XEP-0082 DateTime, in UTC */
      g_autoptr(GDateTime) utc = g_date_time_to_utc (start);
      g_autofree char *text = g_date_time_format_iso8601 (utc);

      add_field (form, "start", NULL, text);
    }

  set = talk_xmpp_stanza_add_child (query, "set", TALK_XMPP_NS_RSM);
  talk_xmpp_stanza_add_child_with_text (set, "max", NULL, max_text);
  if (after_id != NULL)
    talk_xmpp_stanza_add_child_with_text (set, "after", NULL, after_id);
  if (before_id != NULL && before_id[0] == '\0')
    talk_xmpp_stanza_add_child (set, "before", NULL);
  else if (before_id != NULL)
    talk_xmpp_stanza_add_child_with_text (set, "before", NULL, before_id);

  return iq;
}

void
talk_xmpp_mam_query_async (TalkXmppMam         *self,
                           const char          *with,
                           const char          *after_id,
                           const char          *before_id,
                           GDateTime           *start,
                           guint                max,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(TalkXmppStanza) iq = NULL;
  g_autofree char *with_jid = NULL;
  Query *query;

  g_return_if_fail (TALK_XMPP_IS_MAM (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, talk_xmpp_mam_query_async);

  if (with != NULL)
    {
      g_autoptr(GError) error = NULL;

      with_jid = talk_xmpp_jid_normalize (with, &error);
      if (with_jid == NULL)
        {
          g_task_return_new_error (task, TALK_XMPP_ERROR, TALK_XMPP_ERROR_INVALID_JID,
                                   _("“%s” is not a valid address"), with);
          return;
        }
    }

  query = g_new0 (Query, 1);
  /* Unguessable, so that nobody can answer a query they have not seen. */
  query->queryid = talk_xmpp_generate_id ();
  query->messages = message_array_new ();
  query->max = CLAMP (max, 1, TALK_XMPP_MAM_MAX_PAGE_SIZE);
  g_task_set_task_data (task, query, query_free);
  g_hash_table_insert (self->queries, query->queryid, query);

  iq = mam_build_query (query->queryid, with_jid, after_id, before_id, start, query->max);
  talk_xmpp_session_send_iq_async (self->session, iq, cancellable, mam_query_cb,
                                   g_steal_pointer (&task));
}

TalkXmppMamPage *
talk_xmpp_mam_query_finish (TalkXmppMam   *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (TALK_XMPP_IS_MAM (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == talk_xmpp_mam_query_async,
                        NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Catching up */

typedef struct
{
  GPtrArray *messages;
  char *first;
  char *after;
  guint page_size;
  guint pages_left;
} CatchUp;

static void
catch_up_free (gpointer data)
{
  CatchUp *catch_up = data;

  g_ptr_array_unref (catch_up->messages);
  g_free (catch_up->first);
  g_free (catch_up->after);
  g_free (catch_up);
}

static void catch_up_page_cb (GObject      *source,
                              GAsyncResult *result,
                              gpointer      user_data);

static void
catch_up_next (GTask *task)
{
  CatchUp *catch_up = g_task_get_task_data (task);

  talk_xmpp_mam_query_async (g_task_get_source_object (task), NULL, catch_up->after, NULL,
                             NULL, catch_up->page_size, g_task_get_cancellable (task),
                             catch_up_page_cb, task);
}

static void
catch_up_page_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(TalkXmppMamPage) page = NULL;
  CatchUp *catch_up = g_task_get_task_data (task);
  GError *error = NULL;
  gboolean progress;

  page = talk_xmpp_mam_query_finish (TALK_XMPP_MAM (source), result, &error);
  if (page == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  for (guint i = 0; i < page->messages->len; i++)
    g_ptr_array_add (catch_up->messages,
                     talk_xmpp_message_info_ref (g_ptr_array_index (page->messages, i)));
  if (catch_up->first == NULL)
    catch_up->first = g_strdup (page->first);

  progress = page->messages->len > 0 && page->last != NULL &&
             g_strcmp0 (page->last, catch_up->after) != 0;
  if (progress)
    {
      g_free (catch_up->after);
      catch_up->after = g_strdup (page->last);
    }
  catch_up->pages_left--;

  if (!page->complete && progress && catch_up->pages_left > 0)
    {
      catch_up_next (g_steal_pointer (&task));
      return;
    }

  if (!page->complete && !progress)
    g_debug ("The archive stopped paging before it was complete");

  g_task_return_pointer (task,
                         mam_page_new (g_ptr_array_ref (catch_up->messages), page->complete,
                                       g_strdup (catch_up->first), g_strdup (catch_up->after),
                                       page->count),
                         (GDestroyNotify) talk_xmpp_mam_page_unref);
}

void
talk_xmpp_mam_catch_up_async (TalkXmppMam         *self,
                              const char          *after_id,
                              guint                page_size,
                              guint                max_pages,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  CatchUp *catch_up;

  g_return_if_fail (TALK_XMPP_IS_MAM (self));
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, talk_xmpp_mam_catch_up_async);

  catch_up = g_new0 (CatchUp, 1);
  catch_up->messages = message_array_new ();
  catch_up->after = g_strdup (after_id);
  catch_up->page_size = page_size;
  catch_up->pages_left = MAX (max_pages, 1);
  g_task_set_task_data (task, catch_up, catch_up_free);

  catch_up_next (g_steal_pointer (&task));
}

TalkXmppMamPage *
talk_xmpp_mam_catch_up_finish (TalkXmppMam   *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (TALK_XMPP_IS_MAM (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == talk_xmpp_mam_catch_up_async,
                        NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* GObject */

TalkXmppMam *
talk_xmpp_mam_new (TalkXmppSession *session)
{
  g_return_val_if_fail (TALK_XMPP_IS_SESSION (session), NULL);

  return g_object_new (TALK_XMPP_TYPE_MAM, "session", session, NULL);
}

TalkXmppSession *
talk_xmpp_mam_get_session (TalkXmppMam *self)
{
  g_return_val_if_fail (TALK_XMPP_IS_MAM (self), NULL);

  return self->session;
}

static void
talk_xmpp_mam_constructed (GObject *object)
{
  TalkXmppMam *self = TALK_XMPP_MAM (object);

  G_OBJECT_CLASS (talk_xmpp_mam_parent_class)->constructed (object);

  g_return_if_fail (TALK_XMPP_IS_SESSION (self->session));
  self->handler_id = talk_xmpp_session_add_handler (self->session, "message", TALK_XMPP_NS_MAM,
                                                    mam_handle_cb, self, NULL);
}

static void
talk_xmpp_mam_dispose (GObject *object)
{
  TalkXmppMam *self = TALK_XMPP_MAM (object);

  if (self->handler_id != 0)
    {
      talk_xmpp_session_remove_handler (self->session, self->handler_id);
      self->handler_id = 0;
    }
  g_clear_object (&self->session);
  /* Open queries hold a reference to self through their task, so there are
   * none left by now; the table only borrows them anyway. */
  g_hash_table_remove_all (self->queries);
  g_queue_clear_full (&self->closed_queries, g_free);

  G_OBJECT_CLASS (talk_xmpp_mam_parent_class)->dispose (object);
}

static void
talk_xmpp_mam_finalize (GObject *object)
{
  TalkXmppMam *self = TALK_XMPP_MAM (object);

  g_hash_table_unref (self->queries);

  G_OBJECT_CLASS (talk_xmpp_mam_parent_class)->finalize (object);
}

static void
talk_xmpp_mam_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  TalkXmppMam *self = TALK_XMPP_MAM (object);

  switch (prop_id)
    {
    case PROP_SESSION:
      g_value_set_object (value, self->session);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
talk_xmpp_mam_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  TalkXmppMam *self = TALK_XMPP_MAM (object);

  switch (prop_id)
    {
    case PROP_SESSION:
      self->session = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
talk_xmpp_mam_class_init (TalkXmppMamClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = talk_xmpp_mam_constructed;
  object_class->dispose = talk_xmpp_mam_dispose;
  object_class->finalize = talk_xmpp_mam_finalize;
  object_class->get_property = talk_xmpp_mam_get_property;
  object_class->set_property = talk_xmpp_mam_set_property;

  properties[PROP_SESSION] =
    g_param_spec_object ("session", NULL, NULL,
                         TALK_XMPP_TYPE_SESSION,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
talk_xmpp_mam_init (TalkXmppMam *self)
{
  self->queries = g_hash_table_new (g_str_hash, g_str_equal);
  g_queue_init (&self->closed_queries);
}
