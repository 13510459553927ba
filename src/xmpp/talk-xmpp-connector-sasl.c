/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * TalkXmppConnector: SASL (RFC 6120 §6), once TLS is up.
 *
 *   features ─► mechanism and channel binding (XEP-0440) ─► <auth/>
 *     ─► <challenge/> ⇄ <response/> ─► <success/>: the server proves it
 *        knows the password (RFC 5802 §5) ─► a new stream (RFC 6120 §6.4.6)
 *     ─► <failure/>: why, in words for the user (RFC 6120 §6.5)
 *
 * The mechanisms themselves are TalkXmppSasl's.
 */

#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "talk-xmpp-connector-private.h"

#define MAX_SERVER_TEXT_CHARS 200

/* Channel binding types in the order we probe them (RFC 9266, RFC 5929). */
typedef struct
{
  const char             *name;
  GTlsChannelBindingType  type;
} BindingType;

static const BindingType binding_types[] = {
  { "tls-exporter", G_TLS_CHANNEL_BINDING_TLS_EXPORTER },
  { "tls-unique", G_TLS_CHANNEL_BINDING_TLS_UNIQUE },
  { "tls-server-end-point", G_TLS_CHANNEL_BINDING_TLS_SERVER_END_POINT },
};

/* The exchange */

/* RFC 6120 §6.4.2: base64 without whitespace; "=" is empty. Anything else
 * is a broken server. */
static GBytes *
decode_sasl_data (TalkXmppStanza  *element,
                  GError         **error)
{
  g_autofree char *text = talk_xmpp_stanza_dup_text (element);
  gsize len = strlen (text);
  gsize out_len = 0;
  guchar *data;

  if (len == 0 || g_str_equal (text, "="))
    return g_bytes_new (NULL, 0);

  for (gsize i = 0; i < len; i++)
    {
      char c = text[i];

      if (g_ascii_isalnum (c) || c == '+' || c == '/')
        continue;
      /* Padding only at the end, at most two. */
      if (c == '=' && i + 2 >= len && (i + 1 == len || text[i + 1] == '='))
        continue;

      len = 0;
      break;
    }

  if (len == 0 || len % 4 != 0)
    {
      g_set_error_literal (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_AUTH_PROTOCOL,
                           _("The server sent malformed sign-in data"));
      return NULL;
    }

  data = g_base64_decode (text, &out_len);
  return g_bytes_new_take (data, out_len);
}

static void
send_sasl (TalkXmppConnector *self,
           const char        *name,
           GBytes            *payload,
           const char        *mechanism)
{
  g_autoptr(TalkXmppStanza) element = talk_xmpp_stanza_new (name, TALK_XMPP_NS_SASL);
  gsize size = payload ? g_bytes_get_size (payload) : 0;

  if (mechanism != NULL)
    talk_xmpp_stanza_set_attribute (element, "mechanism", mechanism);

  if (size > 0)
    {
      g_autofree char *encoded = g_base64_encode (g_bytes_get_data (payload, NULL), size);

      talk_xmpp_stanza_add_text (element, encoded);
    }
  else if (mechanism != NULL && payload != NULL)
    {
      /* RFC 6120 §6.4.2: an empty initial response is "=". */
      talk_xmpp_stanza_add_text (element, "=");
    }

  _talk_xmpp_connector_send (self, element);
}

static char *
dup_plain_text (const char *text)
{
  g_autoptr(GString) out = g_string_new (NULL);
  guint n_chars = 0;

  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (n_chars++ == MAX_SERVER_TEXT_CHARS)
        {
          g_string_append (out, "…");
          break;
        }
      g_string_append_unichar (out, g_unichar_iscntrl (c) ? ' ' : c);
    }

  return g_strstrip (g_string_free (g_steal_pointer (&out), FALSE));
}

static GError *
error_from_sasl_failure (TalkXmppStanza *failure)
{
  g_autofree char *text = talk_xmpp_stanza_dup_child_text (failure, "text", TALK_XMPP_NS_SASL);
  g_autofree char *plain = text ? dup_plain_text (text) : NULL;
  const char *condition = "not-authorized";
  TalkXmppStanzaIter iter;
  TalkXmppStanza *child;

  talk_xmpp_stanza_iter_init (&iter, failure);
  while (talk_xmpp_stanza_iter_next (&iter, &child))
    if (!g_str_equal (talk_xmpp_stanza_get_name (child), "text"))
      {
        condition = talk_xmpp_stanza_get_name (child);
        break;
      }

  if (plain != NULL && plain[0] == '\0')
    g_clear_pointer (&plain, g_free);

  /* RFC 6120 §6.5 */
  if (g_str_equal (condition, "not-authorized"))
    return g_error_new_literal (TALK_XMPP_ERROR, TALK_XMPP_ERROR_AUTH_FAILED,
                                _("Wrong password or user name"));
  if (g_str_equal (condition, "temporary-auth-failure"))
    return g_error_new_literal (TALK_XMPP_ERROR, TALK_XMPP_ERROR_FAILED,
                                plain ? plain : _("The server could not check the password; "
                                                  "try again later"));
  if (g_str_equal (condition, "account-disabled"))
    return g_error_new_literal (TALK_XMPP_ERROR, TALK_XMPP_ERROR_AUTH_FAILED,
                                plain ? plain : _("The account is disabled"));
  if (g_str_equal (condition, "credentials-expired"))
    return g_error_new_literal (TALK_XMPP_ERROR, TALK_XMPP_ERROR_AUTH_FAILED,
                                plain ? plain : _("The password has expired"));

  if (plain != NULL)
    return g_error_new_literal (TALK_XMPP_ERROR, TALK_XMPP_ERROR_AUTH_FAILED, plain);

  return g_error_new (TALK_XMPP_ERROR, TALK_XMPP_ERROR_AUTH_FAILED,
                      _("The server refused the sign-in (%s)"), condition);
}

static void
sasl_success (GTask          *task,
              TalkXmppStanza *success)
{
  TalkXmppConnector *self = g_task_get_source_object (task);
  g_autoptr(GBytes) data = NULL;
  g_autoptr(GError) error = NULL;

  /* RFC 5802 §5: a server that cannot prove it knows the password is not
   * the server we meant, whatever <success/> says. */
  if (!self->server_verified)
    {
      data = decode_sasl_data (success, &error);
      if (data == NULL ||
          !talk_xmpp_sasl_verify_success (self->sasl,
                                          g_bytes_get_size (data) > 0 ? data : NULL,
                                          &error))
        {
          _talk_xmpp_connector_fail_error (task, g_steal_pointer (&error));
          return;
        }
    }

  g_clear_object (&self->sasl);
  self->stage = STAGE_AUTHENTICATED;

  /* RFC 6120 §6.4.6: a new stream over the same connection. */
  _talk_xmpp_connector_open_stream (task);
}

static gboolean
sasl_challenge (TalkXmppConnector  *self,
                TalkXmppStanza     *challenge,
                GError            **error)
{
  g_autoptr(GBytes) data = NULL;
  g_autoptr(GBytes) response = NULL;

  data = decode_sasl_data (challenge, error);
  if (data == NULL)
    return FALSE;

  self->n_challenges++;

  if (self->n_challenges == 1)
    {
      response = talk_xmpp_sasl_step (self->sasl, data, error);
      if (response == NULL)
        return FALSE;
    }
  else if (self->n_challenges == 2 && !self->server_verified)
    {
      /* Some servers send the server-final-message as a challenge. */
      if (!talk_xmpp_sasl_verify_success (self->sasl, data, error))
        return FALSE;
      self->server_verified = TRUE;
    }
  else
    {
      g_set_error_literal (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_AUTH_PROTOCOL,
                           _("The server sent more sign-in challenges than the method has"));
      return FALSE;
    }

  send_sasl (self, "response", response, NULL);
  return TRUE;
}

static void
sasl_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TalkXmppConnector *self = g_task_get_source_object (task);
  g_autoptr(TalkXmppStanza) stanza = NULL;
  g_autoptr(GError) error = NULL;

  stanza = _talk_xmpp_connector_receive_finish (task, object, result);
  if (stanza == NULL)
    return;

  if (talk_xmpp_stanza_is (stanza, "challenge", TALK_XMPP_NS_SASL))
    {
      if (!sasl_challenge (self, stanza, &error))
        _talk_xmpp_connector_fail_error (task, g_steal_pointer (&error));
      else
        _talk_xmpp_connector_receive (task, NULL, sasl_cb);
    }
  else if (talk_xmpp_stanza_is (stanza, "success", TALK_XMPP_NS_SASL))
    sasl_success (task, stanza);
  else if (talk_xmpp_stanza_is (stanza, "failure", TALK_XMPP_NS_SASL))
    _talk_xmpp_connector_fail_error (task, error_from_sasl_failure (stanza));
  else
    _talk_xmpp_connector_unexpected (task, stanza, "a SASL answer");
}

/* Choosing the mechanism */

/* The channel binding data this TLS session can produce, by type name. */
static GHashTable *
probe_channel_bindings (TalkXmppConnector *self,
                        gboolean           tls13)
{
  GHashTable *local = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                             (GDestroyNotify) g_bytes_unref);

  for (guint i = 0; i < G_N_ELEMENTS (binding_types); i++)
    {
      g_autoptr(GByteArray) bytes = g_byte_array_new ();
      g_autoptr(GError) error = NULL;
      GTlsChannelBindingType type = binding_types[i].type;

      /* RFC 9266: tls-exporter needs TLS 1.3 (or EMS); tls-unique is
       * unsafe on 1.3. */
      if ((type == G_TLS_CHANNEL_BINDING_TLS_EXPORTER && !tls13) ||
          (type == G_TLS_CHANNEL_BINDING_TLS_UNIQUE && tls13))
        continue;

      if (!g_tls_connection_get_channel_binding_data (self->tls, type, bytes, &error))
        {
          g_debug ("No %s channel binding: %s", binding_types[i].name, error->message);
          continue;
        }

      g_hash_table_insert (local, (gpointer) binding_types[i].name,
                           g_byte_array_free_to_bytes (g_steal_pointer (&bytes)));
    }

  return local;
}

static GStrv
dup_mechanisms (TalkXmppStanza *features)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  TalkXmppStanza *mechanisms = talk_xmpp_stanza_get_child (features, "mechanisms",
                                                           TALK_XMPP_NS_SASL);
  TalkXmppStanzaIter iter;
  TalkXmppStanza *child;

  if (mechanisms != NULL)
    {
      talk_xmpp_stanza_iter_init (&iter, mechanisms);
      while (talk_xmpp_stanza_iter_next (&iter, &child))
        if (talk_xmpp_stanza_is (child, "mechanism", TALK_XMPP_NS_SASL))
          {
            g_autofree char *name = talk_xmpp_stanza_dup_text (child);

            g_strv_builder_add (builder, g_strstrip (name));
          }
    }

  return g_strv_builder_end (builder);
}

/* XEP-0440; NULL when the server does not say. */
static GStrv
dup_server_bindings (TalkXmppStanza *features)
{
  g_autoptr(GStrvBuilder) builder = NULL;
  TalkXmppStanza *list = talk_xmpp_stanza_get_child (features, "sasl-channel-binding",
                                                     TALK_XMPP_NS_SASL_CB);
  TalkXmppStanzaIter iter;
  TalkXmppStanza *child;

  if (list == NULL)
    return NULL;

  builder = g_strv_builder_new ();
  talk_xmpp_stanza_iter_init (&iter, list);
  while (talk_xmpp_stanza_iter_next (&iter, &child))
    {
      const char *type = talk_xmpp_stanza_get_attribute (child, "type");

      if (g_str_equal (talk_xmpp_stanza_get_name (child), "channel-binding") && type != NULL)
        g_strv_builder_add (builder, type);
    }

  return g_strv_builder_end (builder);
}

static gboolean
offers_plus (const char * const *mechanisms)
{
  for (guint i = 0; mechanisms[i] != NULL; i++)
    if (g_str_has_suffix (mechanisms[i], "-PLUS"))
      return TRUE;

  return FALSE;
}

/* Picks the mechanism and channel binding (XEP-0440) and sets up the
 * exchange. */
static gboolean
create_sasl (TalkXmppConnector  *self,
             TalkXmppStanza     *features,
             GError            **error)
{
  gboolean tls13 = g_tls_connection_get_protocol_version (self->tls) ==
                   G_TLS_PROTOCOL_VERSION_TLS_1_3;
  g_autoptr(GHashTable) local = probe_channel_bindings (self, tls13);
  g_autofree const char **local_types = NULL;
  g_auto(GStrv) offered = dup_mechanisms (features);
  g_auto(GStrv) server_types = dup_server_bindings (features);
  const char *cb_type;
  gboolean plus;

  local_types = (const char **) g_hash_table_get_keys_as_array (local, NULL);
  cb_type = talk_xmpp_sasl_choose_channel_binding ((const char * const *) server_types,
                                                   tls13, local_types);
  self->mechanism = talk_xmpp_sasl_choose ((const char * const *) offered,
                                           cb_type != NULL, TRUE);

  if (self->mechanism == TALK_XMPP_SASL_MECHANISM_NONE)
    {
      g_autofree char *list = g_strjoinv (", ", offered);

      g_set_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_AUTH_MECHANISM,
                   _("The server offers no sign-in method Talk trusts (it offers: %s)"),
                   list[0] ? list : _("none"));
      return FALSE;
    }

  plus = talk_xmpp_sasl_mechanism_is_plus (self->mechanism);
  self->sasl = talk_xmpp_sasl_new (self->mechanism,
                                   talk_xmpp_jid_get_localpart (self->jid),
                                   self->password,
                                   plus ? cb_type : NULL,
                                   plus ? g_hash_table_lookup (local, cb_type) : NULL);

  /* RFC 5802 §6 "y": we could bind, the server offered no -PLUS; a
   * downgrade that stripped them fails the exchange. */
  if (!plus && g_hash_table_size (local) > 0 && !offers_plus ((const char * const *) offered))
    talk_xmpp_sasl_set_client_supports_binding (self->sasl, TRUE);

  _talk_xmpp_connector_set_str (&self->channel_binding, plus ? cb_type : NULL);
  return TRUE;
}

void
_talk_xmpp_connector_start_sasl (GTask          *task,
                                 TalkXmppStanza *features)
{
  TalkXmppConnector *self = g_task_get_source_object (task);
  g_autoptr(GBytes) initial = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *detail = NULL;
  const char *mech_name;

  if (!create_sasl (self, features, &error))
    {
      _talk_xmpp_connector_fail_error (task, g_steal_pointer (&error));
      return;
    }

  mech_name = talk_xmpp_sasl_mechanism_to_string (self->mechanism);
  if (self->channel_binding != NULL)
    detail = g_strdup_printf ("%s (%s)", mech_name, self->channel_binding);
  _talk_xmpp_connector_emit_step (self, TALK_XMPP_CONNECTOR_STEP_AUTHENTICATING,
                                  detail ? detail : mech_name);

  initial = talk_xmpp_sasl_initial_response (self->sasl, &error);
  if (initial == NULL)
    {
      _talk_xmpp_connector_fail_error (task, g_steal_pointer (&error));
      return;
    }

  self->n_challenges = 0;
  self->server_verified = FALSE;
  send_sasl (self, "auth", initial, mech_name);

  _talk_xmpp_connector_receive (task, _("signing in"), sasl_cb);
}
