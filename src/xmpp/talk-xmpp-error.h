/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define TALK_XMPP_ERROR (talk_xmpp_error_quark ())
#define TALK_XMPP_STREAM_ERROR (talk_xmpp_stream_error_quark ())
#define TALK_XMPP_STANZA_ERROR (talk_xmpp_stanza_error_quark ())

/**
 * TalkXmppErrorCode:
 * @TALK_XMPP_ERROR_FAILED: anything not covered below
 * @TALK_XMPP_ERROR_HOST_NOT_FOUND: no address for the domain (SRV and A/AAAA failed)
 * @TALK_XMPP_ERROR_CONNECTION_FAILED: TCP connect failed on every candidate
 * @TALK_XMPP_ERROR_NO_TLS: the server did not offer STARTTLS; never continued in plaintext
 * @TALK_XMPP_ERROR_TLS_FAILED: the TLS handshake failed
 * @TALK_XMPP_ERROR_CERTIFICATE: the certificate is not trusted; the message
 *   carries its SHA-256 fingerprint
 * @TALK_XMPP_ERROR_AUTH_FAILED: wrong credentials (SASL not-authorized and friends)
 * @TALK_XMPP_ERROR_AUTH_MECHANISM: no acceptable SASL mechanism
 * @TALK_XMPP_ERROR_AUTH_PROTOCOL: the server broke SCRAM (bad nonce, bad
 *   signature, iteration count out of bounds…)
 * @TALK_XMPP_ERROR_BIND_FAILED: resource binding refused
 * @TALK_XMPP_ERROR_STREAM: reserved; stream errors themselves are reported
 *   in the #TALK_XMPP_STREAM_ERROR domain with the condition as code
 * @TALK_XMPP_ERROR_PROTOCOL: the server sent something that is not XMPP
 * @TALK_XMPP_ERROR_TIMEOUT: a step or a request timed out
 * @TALK_XMPP_ERROR_CLOSED: the connection was closed
 * @TALK_XMPP_ERROR_NOT_CONNECTED: an operation needs an online session
 * @TALK_XMPP_ERROR_INVALID_JID: a JID failed RFC 7622 validation
 */
typedef enum
{
  TALK_XMPP_ERROR_FAILED,
  TALK_XMPP_ERROR_HOST_NOT_FOUND,
  TALK_XMPP_ERROR_CONNECTION_FAILED,
  TALK_XMPP_ERROR_NO_TLS,
  TALK_XMPP_ERROR_TLS_FAILED,
  TALK_XMPP_ERROR_CERTIFICATE,
  TALK_XMPP_ERROR_AUTH_FAILED,
  TALK_XMPP_ERROR_AUTH_MECHANISM,
  TALK_XMPP_ERROR_AUTH_PROTOCOL,
  TALK_XMPP_ERROR_BIND_FAILED,
  TALK_XMPP_ERROR_STREAM,
  TALK_XMPP_ERROR_PROTOCOL,
  TALK_XMPP_ERROR_TIMEOUT,
  TALK_XMPP_ERROR_CLOSED,
  TALK_XMPP_ERROR_NOT_CONNECTED,
  TALK_XMPP_ERROR_INVALID_JID,
} TalkXmppErrorCode;

/**
 * TalkXmppStreamErrorCode:
 *
 * RFC 6120 §4.9.3 stream error conditions, in the order of the RFC.
 */
typedef enum
{
  TALK_XMPP_STREAM_ERROR_BAD_FORMAT,
  TALK_XMPP_STREAM_ERROR_BAD_NAMESPACE_PREFIX,
  TALK_XMPP_STREAM_ERROR_CONFLICT,
  TALK_XMPP_STREAM_ERROR_CONNECTION_TIMEOUT,
  TALK_XMPP_STREAM_ERROR_HOST_GONE,
  TALK_XMPP_STREAM_ERROR_HOST_UNKNOWN,
  TALK_XMPP_STREAM_ERROR_IMPROPER_ADDRESSING,
  TALK_XMPP_STREAM_ERROR_INTERNAL_SERVER_ERROR,
  TALK_XMPP_STREAM_ERROR_INVALID_FROM,
  TALK_XMPP_STREAM_ERROR_INVALID_NAMESPACE,
  TALK_XMPP_STREAM_ERROR_INVALID_XML,
  TALK_XMPP_STREAM_ERROR_NOT_AUTHORIZED,
  TALK_XMPP_STREAM_ERROR_NOT_WELL_FORMED,
  TALK_XMPP_STREAM_ERROR_POLICY_VIOLATION,
  TALK_XMPP_STREAM_ERROR_REMOTE_CONNECTION_FAILED,
  TALK_XMPP_STREAM_ERROR_RESET,
  TALK_XMPP_STREAM_ERROR_RESOURCE_CONSTRAINT,
  TALK_XMPP_STREAM_ERROR_RESTRICTED_XML,
  TALK_XMPP_STREAM_ERROR_SEE_OTHER_HOST,
  TALK_XMPP_STREAM_ERROR_SYSTEM_SHUTDOWN,
  TALK_XMPP_STREAM_ERROR_UNDEFINED_CONDITION,
  TALK_XMPP_STREAM_ERROR_UNSUPPORTED_ENCODING,
  TALK_XMPP_STREAM_ERROR_UNSUPPORTED_FEATURE,
  TALK_XMPP_STREAM_ERROR_UNSUPPORTED_STANZA_TYPE,
  TALK_XMPP_STREAM_ERROR_UNSUPPORTED_VERSION,
} TalkXmppStreamErrorCode;

/**
 * TalkXmppStanzaErrorCode:
 *
 * RFC 6120 §8.3.3 stanza error conditions, in the order of the RFC.
 */
typedef enum
{
  TALK_XMPP_STANZA_ERROR_BAD_REQUEST,
  TALK_XMPP_STANZA_ERROR_CONFLICT,
  TALK_XMPP_STANZA_ERROR_FEATURE_NOT_IMPLEMENTED,
  TALK_XMPP_STANZA_ERROR_FORBIDDEN,
  TALK_XMPP_STANZA_ERROR_GONE,
  TALK_XMPP_STANZA_ERROR_INTERNAL_SERVER_ERROR,
  TALK_XMPP_STANZA_ERROR_ITEM_NOT_FOUND,
  TALK_XMPP_STANZA_ERROR_JID_MALFORMED,
  TALK_XMPP_STANZA_ERROR_NOT_ACCEPTABLE,
  TALK_XMPP_STANZA_ERROR_NOT_ALLOWED,
  TALK_XMPP_STANZA_ERROR_NOT_AUTHORIZED,
  TALK_XMPP_STANZA_ERROR_POLICY_VIOLATION,
  TALK_XMPP_STANZA_ERROR_RECIPIENT_UNAVAILABLE,
  TALK_XMPP_STANZA_ERROR_REDIRECT,
  TALK_XMPP_STANZA_ERROR_REGISTRATION_REQUIRED,
  TALK_XMPP_STANZA_ERROR_REMOTE_SERVER_NOT_FOUND,
  TALK_XMPP_STANZA_ERROR_REMOTE_SERVER_TIMEOUT,
  TALK_XMPP_STANZA_ERROR_RESOURCE_CONSTRAINT,
  TALK_XMPP_STANZA_ERROR_SERVICE_UNAVAILABLE,
  TALK_XMPP_STANZA_ERROR_SUBSCRIPTION_REQUIRED,
  TALK_XMPP_STANZA_ERROR_UNDEFINED_CONDITION,
  TALK_XMPP_STANZA_ERROR_UNEXPECTED_REQUEST,
} TalkXmppStanzaErrorCode;

GQuark talk_xmpp_error_quark (void);
GQuark talk_xmpp_stream_error_quark (void);
GQuark talk_xmpp_stanza_error_quark (void);

/* Condition names ("not-well-formed", "item-not-found") and back. The
 * _from_string variants return UNDEFINED_CONDITION for unknown names. */
const char              *talk_xmpp_stream_error_to_string   (TalkXmppStreamErrorCode code);
TalkXmppStreamErrorCode  talk_xmpp_stream_error_from_string (const char *condition);
const char              *talk_xmpp_stanza_error_to_string   (TalkXmppStanzaErrorCode code);
TalkXmppStanzaErrorCode  talk_xmpp_stanza_error_from_string (const char *condition);

/* A sentence a person can read, e.g. "The server is shutting down". */
const char              *talk_xmpp_stream_error_describe    (TalkXmppStreamErrorCode code);
/* A sentence a person can read for a stanza error without text of its own. */
const char              *talk_xmpp_stanza_error_describe    (TalkXmppStanzaErrorCode code);
/* The error type RFC 6120 §8.3.3 recommends: "auth", "cancel", "modify" or "wait". */
const char              *talk_xmpp_stanza_error_get_default_type (TalkXmppStanzaErrorCode code);

G_END_DECLS
