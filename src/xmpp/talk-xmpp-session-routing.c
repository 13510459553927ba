/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * TalkXmppSession: where a received stanza goes once it was announced as
 * "stanza-received".
 *
 *   iq result/error ─► the IQ tracker (talk-xmpp-session-iq.c)
 *   iq get/set ─► handlers by the payload's namespace ─► nobody took it:
 *                 service-unavailable (RFC 6120 §8.4)
 *   anything else ─► handlers by element and namespace
 *
 * Handlers run in the order they were added until one takes the stanza.
 * The table is copied on write: adding or removing a handler makes a new
 * array, so a routing pass holds the array it started with by one
 * reference rather than copying it for every stanza.
 */

#include "config.h"

#include <string.h>

#include "talk-xmpp-session-private.h"

typedef struct
{
  guint                  id;
  char                  *element;
  char                  *ns;
  TalkXmppStanzaHandler  func;
  gpointer               user_data;
  GDestroyNotify         destroy;
  gboolean               removed;
} Handler;

static void
handler_clear (gpointer data)
{
  Handler *handler = data;

  if (handler->destroy != NULL)
    handler->destroy (handler->user_data);
  g_free (handler->element);
  g_free (handler->ns);
}

static void
handler_release (gpointer data)
{
  g_rc_box_release_full (data, handler_clear);
}

static gpointer
handler_acquire (gconstpointer data,
                 gpointer      user_data)
{
  return g_rc_box_acquire ((gpointer) data);
}

/* Returns: (transfer full): a new table holding the same handlers */
static GPtrArray *
handlers_copy (GPtrArray *handlers)
{
  GPtrArray *copy = g_ptr_array_copy (handlers, handler_acquire, NULL);

  g_ptr_array_set_free_func (copy, handler_release);
  return copy;
}

static gboolean
handler_matches (Handler        *handler,
                 TalkXmppStanza *stanza,
                 TalkXmppStanza *iq_payload)
{
  if (handler->removed)
    return FALSE;
  if (handler->element != NULL &&
      g_strcmp0 (handler->element, talk_xmpp_stanza_get_name (stanza)) != 0)
    return FALSE;
  if (handler->ns == NULL)
    return TRUE;
  if (iq_payload != NULL)
    return g_strcmp0 (talk_xmpp_stanza_get_ns (iq_payload), handler->ns) == 0;
  return g_strcmp0 (talk_xmpp_stanza_get_ns (stanza), handler->ns) == 0 ||
         talk_xmpp_stanza_get_child_ns (stanza, handler->ns) != NULL;
}

/* Runs the matching handlers in the order they were added until one takes
 * the stanza. A handler may add or remove handlers, or disconnect. */
static gboolean
session_run_handlers (TalkXmppSession *self,
                      TalkXmppStanza  *stanza,
                      TalkXmppStanza  *iq_payload)
{
  g_autoptr(GPtrArray) snapshot = g_ptr_array_ref (self->handlers);
  TalkXmppStream *stream = self->stream;

  for (guint i = 0; i < snapshot->len; i++)
    {
      Handler *handler = g_ptr_array_index (snapshot, i);

      if (!handler_matches (handler, stanza, iq_payload))
        continue;
      if (handler->func (self, stanza, handler->user_data))
        return TRUE;
      if (self->stream != stream)
        return TRUE;
    }

  return FALSE;
}

void
_talk_xmpp_session_routing_init (TalkXmppSession *self)
{
  self->handlers = g_ptr_array_new_with_free_func (handler_release);
}

/* A routing pass may still hold handlers: they are marked, not freed. */
void
_talk_xmpp_session_routing_dispose (TalkXmppSession *self)
{
  g_autoptr(GPtrArray) handlers = NULL;

  if (self->handlers == NULL)
    return;

  handlers = g_steal_pointer (&self->handlers);
  _talk_xmpp_session_routing_init (self);
  for (guint i = 0; i < handlers->len; i++)
    ((Handler *) g_ptr_array_index (handlers, i))->removed = TRUE;
}

gboolean
_talk_xmpp_session_stanza_is_client (TalkXmppStanza *stanza,
                                     const char     *name)
{
  const char *ns = talk_xmpp_stanza_get_ns (stanza);

  return g_strcmp0 (talk_xmpp_stanza_get_name (stanza), name) == 0 &&
         (ns == NULL || strcmp (ns, TALK_XMPP_NS_CLIENT) == 0);
}

static void
session_reply_error (TalkXmppSession         *self,
                     TalkXmppStanza          *request,
                     TalkXmppStanzaErrorCode  condition)
{
  g_autoptr(TalkXmppStanza) reply = talk_xmpp_stanza_new_error_reply (request, condition, NULL);

  talk_xmpp_session_send (self, reply);
}

static void
session_handle_iq (TalkXmppSession *self,
                   TalkXmppStanza  *iq)
{
  const char *type = talk_xmpp_stanza_get_stanza_type (iq);
  TalkXmppStanza *payload = NULL;
  TalkXmppStanzaIter iter;

  if (g_strcmp0 (type, "result") == 0 || g_strcmp0 (type, "error") == 0)
    {
      _talk_xmpp_session_handle_iq_reply (self, iq);
      return;
    }

  if (g_strcmp0 (type, "get") != 0 && g_strcmp0 (type, "set") != 0)
    {
      g_debug ("Ignoring an IQ without a valid type");
      return;
    }

  if (talk_xmpp_stanza_get_id (iq) == NULL)
    {
      g_debug ("Ignoring IQ %s without id", type);
      return;
    }

  /* RFC 6120 §8.2.3: a get or set carries exactly one payload. */
  talk_xmpp_stanza_iter_init (&iter, iq);
  if (!talk_xmpp_stanza_iter_next (&iter, &payload))
    {
      session_reply_error (self, iq, TALK_XMPP_STANZA_ERROR_BAD_REQUEST);
      return;
    }

  if (session_run_handlers (self, iq, payload))
    return;

  /* RFC 6120 §8.4: an IQ nobody understands is answered, not dropped. */
  session_reply_error (self, iq, TALK_XMPP_STANZA_ERROR_SERVICE_UNAVAILABLE);
}

/* Dispatches @stanza, already announced as "stanza-received". */
void
_talk_xmpp_session_route (TalkXmppSession *self,
                          TalkXmppStanza  *stanza)
{
  if (_talk_xmpp_session_stanza_is_client (stanza, "iq"))
    session_handle_iq (self, stanza);
  else
    session_run_handlers (self, stanza, NULL);
}

/* Public API */

guint
talk_xmpp_session_add_handler (TalkXmppSession       *self,
                               const char            *element,
                               const char            *ns,
                               TalkXmppStanzaHandler  handler,
                               gpointer               user_data,
                               GDestroyNotify         destroy)
{
  Handler *entry;
  GPtrArray *handlers;

  g_return_val_if_fail (TALK_XMPP_IS_SESSION (self), 0);
  g_return_val_if_fail (handler != NULL, 0);

  entry = g_rc_box_new0 (Handler);
  entry->id = ++self->last_handler_id;
  entry->element = g_strdup (element);
  entry->ns = g_strdup (ns);
  entry->func = handler;
  entry->user_data = user_data;
  entry->destroy = destroy;
  handlers = handlers_copy (self->handlers);
  g_ptr_array_add (handlers, entry);
  g_ptr_array_unref (self->handlers);
  self->handlers = handlers;

  return entry->id;
}

void
talk_xmpp_session_remove_handler (TalkXmppSession *self,
                                  guint            handler_id)
{
  g_return_if_fail (TALK_XMPP_IS_SESSION (self));

  for (guint i = 0; i < self->handlers->len; i++)
    {
      Handler *entry = g_ptr_array_index (self->handlers, i);
      GDestroyNotify destroy;
      GPtrArray *handlers;

      if (entry->id != handler_id)
        continue;

      /* A routing pass may still hold it: it skips removed entries. */
      g_rc_box_acquire (entry);
      entry->removed = TRUE;
      destroy = g_steal_pointer (&entry->destroy);
      if (destroy != NULL)
        destroy (entry->user_data);
      /* By pointer: the destroy function may have changed the table. */
      handlers = handlers_copy (self->handlers);
      g_ptr_array_remove (handlers, entry);
      g_ptr_array_unref (self->handlers);
      self->handlers = handlers;
      handler_release (entry);
      return;
    }

  /* Already gone with the session's dispose. */
  g_debug ("No stanza handler with id %u", handler_id);
}

gboolean
talk_xmpp_session_is_from_own_account (TalkXmppSession *self,
                                       TalkXmppStanza  *stanza)
{
  const char *from;

  g_return_val_if_fail (TALK_XMPP_IS_SESSION (self), FALSE);
  g_return_val_if_fail (stanza != NULL, FALSE);

  /* SECURITY.md §1.1: the bare JID, not the domain nor any full JID. */
  from = talk_xmpp_stanza_get_from (stanza);
  if (from == NULL)
    return TRUE;

  return talk_xmpp_jid_string_equal (from, talk_xmpp_jid_get_bare_string (self->jid));
}
