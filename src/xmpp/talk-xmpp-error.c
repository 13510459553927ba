/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>

#include "talk-xmpp-error.h"

G_DEFINE_QUARK (talk-xmpp-error-quark, talk_xmpp_error)
G_DEFINE_QUARK (talk-xmpp-stream-error-quark, talk_xmpp_stream_error)
G_DEFINE_QUARK (talk-xmpp-stanza-error-quark, talk_xmpp_stanza_error)

/* RFC 6120 §4.9.3, indexed by TalkXmppStreamErrorCode. */
static const struct
{
  const char *name;
  const char *description;
} stream_conditions[] = {
  { "bad-format", N_("The server could not understand what was sent") },
  { "bad-namespace-prefix", N_("The server did not accept a namespace prefix") },
  { "conflict", N_("Signed in from another place with the same resource") },
  { "connection-timeout", N_("The server closed the idle connection") },
  { "host-gone", N_("The server no longer serves this domain") },
  { "host-unknown", N_("The server does not serve this domain") },
  { "improper-addressing", N_("The server refused a message without a proper address") },
  { "internal-server-error", N_("The server had an internal error") },
  { "invalid-from", N_("The server refused the sender address") },
  { "invalid-namespace", N_("The server refused an invalid namespace") },
  { "invalid-xml", N_("The server refused invalid data") },
  { "not-authorized", N_("Not authorized") },
  { "not-well-formed", N_("The server received malformed data") },
  { "policy-violation", N_("The server refused something as against its policy") },
  { "remote-connection-failed", N_("The server could not reach a service it depends on") },
  { "reset", N_("The server reset the connection") },
  { "resource-constraint", N_("The server is too busy") },
  { "restricted-xml", N_("The server refused restricted data") },
  { "see-other-host", N_("The server sent the connection to another host") },
  { "system-shutdown", N_("The server is shutting down") },
  { "undefined-condition", N_("The server closed the connection") },
  { "unsupported-encoding", N_("The server does not support the text encoding") },
  { "unsupported-feature", N_("The server requires a feature that is not supported") },
  { "unsupported-stanza-type", N_("The server did not understand a request") },
  { "unsupported-version", N_("The server does not support this version of XMPP") },
};

G_STATIC_ASSERT (G_N_ELEMENTS (stream_conditions) ==
                 TALK_XMPP_STREAM_ERROR_UNSUPPORTED_VERSION + 1);

/* RFC 6120 §8.3.3, indexed by TalkXmppStanzaErrorCode, with the error type
 * each section recommends. */
static const struct
{
  const char *name;
  const char *type;
  const char *description;
} stanza_conditions[] = {
  { "bad-request", "modify", N_("The request was malformed") },
  { "conflict", "cancel", N_("The request conflicts with something that already exists") },
  { "feature-not-implemented", "cancel", N_("The feature is not implemented") },
  { "forbidden", "auth", N_("Permission denied") },
  { "gone", "cancel", N_("The address is no longer in use") },
  { "internal-server-error", "cancel", N_("The server had an internal error") },
  { "item-not-found", "cancel", N_("The item was not found") },
  { "jid-malformed", "modify", N_("The address is not valid") },
  { "not-acceptable", "modify", N_("The request was not acceptable") },
  { "not-allowed", "cancel", N_("The action is not allowed") },
  { "not-authorized", "auth", N_("Not authorized") },
  { "policy-violation", "modify", N_("The server refused something as against its policy") },
  { "recipient-unavailable", "wait", N_("The recipient is temporarily unavailable") },
  { "redirect", "modify", N_("The request was redirected") },
  { "registration-required", "auth", N_("Registration is required") },
  { "remote-server-not-found", "cancel", N_("The remote server was not found") },
  { "remote-server-timeout", "wait", N_("The remote server did not answer in time") },
  { "resource-constraint", "wait", N_("The server is too busy") },
  { "service-unavailable", "cancel", N_("The service is not available") },
  { "subscription-required", "auth", N_("A subscription is required") },
  { "undefined-condition", "cancel", N_("The request failed") },
  { "unexpected-request", "wait", N_("The request was not expected now") },
};

G_STATIC_ASSERT (G_N_ELEMENTS (stanza_conditions) ==
                 TALK_XMPP_STANZA_ERROR_UNEXPECTED_REQUEST + 1);

/**
 * talk_xmpp_stream_error_to_string:
 * @code: a stream error condition
 *
 * Returns: (transfer none): the RFC 6120 §4.9.3 element name of @code
 */
const char *
talk_xmpp_stream_error_to_string (TalkXmppStreamErrorCode code)
{
  if ((guint) code >= G_N_ELEMENTS (stream_conditions))
    code = TALK_XMPP_STREAM_ERROR_UNDEFINED_CONDITION;

  return stream_conditions[code].name;
}

/**
 * talk_xmpp_stream_error_from_string:
 * @condition: (nullable): an element name
 *
 * Returns: the condition, or %TALK_XMPP_STREAM_ERROR_UNDEFINED_CONDITION
 *   for an unknown name
 */
TalkXmppStreamErrorCode
talk_xmpp_stream_error_from_string (const char *condition)
{
  if (condition == NULL)
    return TALK_XMPP_STREAM_ERROR_UNDEFINED_CONDITION;

  for (guint i = 0; i < G_N_ELEMENTS (stream_conditions); i++)
    if (g_str_equal (condition, stream_conditions[i].name))
      return (TalkXmppStreamErrorCode) i;

  return TALK_XMPP_STREAM_ERROR_UNDEFINED_CONDITION;
}

/**
 * talk_xmpp_stanza_error_to_string:
 * @code: a stanza error condition
 *
 * Returns: (transfer none): the RFC 6120 §8.3.3 element name of @code
 */
const char *
talk_xmpp_stanza_error_to_string (TalkXmppStanzaErrorCode code)
{
  if ((guint) code >= G_N_ELEMENTS (stanza_conditions))
    code = TALK_XMPP_STANZA_ERROR_UNDEFINED_CONDITION;

  return stanza_conditions[code].name;
}

/**
 * talk_xmpp_stanza_error_from_string:
 * @condition: (nullable): an element name
 *
 * Returns: the condition, or %TALK_XMPP_STANZA_ERROR_UNDEFINED_CONDITION
 *   for an unknown name
 */
TalkXmppStanzaErrorCode
talk_xmpp_stanza_error_from_string (const char *condition)
{
  if (condition == NULL)
    return TALK_XMPP_STANZA_ERROR_UNDEFINED_CONDITION;

  for (guint i = 0; i < G_N_ELEMENTS (stanza_conditions); i++)
    if (g_str_equal (condition, stanza_conditions[i].name))
      return (TalkXmppStanzaErrorCode) i;

  return TALK_XMPP_STANZA_ERROR_UNDEFINED_CONDITION;
}

/**
 * talk_xmpp_stanza_error_get_default_type:
 * @code: a stanza error condition
 *
 * Returns: (transfer none): the error type RFC 6120 §8.3.3 recommends for
 *   @code: "auth", "cancel", "modify" or "wait"
 */
const char *
talk_xmpp_stanza_error_get_default_type (TalkXmppStanzaErrorCode code)
{
  if ((guint) code >= G_N_ELEMENTS (stanza_conditions))
    code = TALK_XMPP_STANZA_ERROR_UNDEFINED_CONDITION;

  return stanza_conditions[code].type;
}

/**
 * talk_xmpp_stream_error_describe:
 * @code: a stream error condition
 *
 * Returns: (transfer none): a translated sentence for people
 */
const char *
talk_xmpp_stream_error_describe (TalkXmppStreamErrorCode code)
{
  if ((guint) code >= G_N_ELEMENTS (stream_conditions))
    code = TALK_XMPP_STREAM_ERROR_UNDEFINED_CONDITION;

  return _(stream_conditions[code].description);
}

/**
 * talk_xmpp_stanza_error_describe:
 * @code: a stanza error condition
 *
 * Returns: (transfer none): a translated sentence for people, used when the
 *   error carries no text of its own
 */
const char *
talk_xmpp_stanza_error_describe (TalkXmppStanzaErrorCode code)
{
  if ((guint) code >= G_N_ELEMENTS (stanza_conditions))
    code = TALK_XMPP_STANZA_ERROR_UNDEFINED_CONDITION;

  return _(stanza_conditions[code].description);
}
