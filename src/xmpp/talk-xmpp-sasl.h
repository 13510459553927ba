/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/**
 * TalkXmppSaslMechanism:
 *
 * In order of preference (DESIGN.md: SCRAM-SHA-256-PLUS > SCRAM-SHA-1-PLUS >
 * SCRAM-SHA-256 > SCRAM-SHA-1 > PLAIN, PLAIN only inside TLS).
 */
typedef enum
{
  TALK_XMPP_SASL_MECHANISM_NONE,
  TALK_XMPP_SASL_MECHANISM_SCRAM_SHA_256_PLUS,
  TALK_XMPP_SASL_MECHANISM_SCRAM_SHA_1_PLUS,
  TALK_XMPP_SASL_MECHANISM_SCRAM_SHA_256,
  TALK_XMPP_SASL_MECHANISM_SCRAM_SHA_1,
  TALK_XMPP_SASL_MECHANISM_PLAIN,
} TalkXmppSaslMechanism;

/* Iteration bounds: RFC 7677 §4 asks for at least 4096; above the maximum a
 * hostile server could make the client burn seconds of CPU. */
#define TALK_XMPP_SASL_MIN_ITERATIONS 4096
#define TALK_XMPP_SASL_MAX_ITERATIONS 1000000

const char            *talk_xmpp_sasl_mechanism_to_string   (TalkXmppSaslMechanism mech);
TalkXmppSaslMechanism  talk_xmpp_sasl_mechanism_from_string (const char *name);
gboolean               talk_xmpp_sasl_mechanism_is_plus     (TalkXmppSaslMechanism mech);

/**
 * talk_xmpp_sasl_choose:
 * @offered: (array zero-terminated=1): the server's <mechanism/> names
 * @channel_binding_available: whether a channel binding type both sides
 *   support is available (then -PLUS variants may be chosen)
 * @tls: whether the stream is encrypted (PLAIN is never chosen without it)
 *
 * Returns: the best acceptable mechanism, or NONE.
 */
TalkXmppSaslMechanism  talk_xmpp_sasl_choose (const char * const *offered,
                                              gboolean            channel_binding_available,
                                              gboolean            tls);

/**
 * talk_xmpp_sasl_choose_channel_binding:
 * @server_types: (nullable) (array zero-terminated=1): the XEP-0440
 *   <channel-binding type=…/> list, or NULL when the server sent none
 * @tls13: whether the TLS session is 1.3
 * @local_types: (array zero-terminated=1): types the local TLS stack can
 *   produce ("tls-exporter", "tls-unique", "tls-server-end-point")
 *
 * Without a server list: tls-exporter on TLS 1.3, tls-unique on TLS 1.2 (if
 * local). With a list: the first of tls-exporter (1.3 only), tls-unique
 * (1.2 only), tls-server-end-point that both sides have.
 *
 * Returns: (nullable): a static string, or NULL when none fits.
 */
const char            *talk_xmpp_sasl_choose_channel_binding (const char * const *server_types,
                                                              gboolean            tls13,
                                                              const char * const *local_types);

#define TALK_XMPP_TYPE_SASL (talk_xmpp_sasl_get_type ())
G_DECLARE_FINAL_TYPE (TalkXmppSasl, talk_xmpp_sasl, TALK_XMPP, SASL, GObject)

/**
 * talk_xmpp_sasl_new:
 * @username: the authentication identity (the JID's localpart); SASLprep'd
 *   (NFKC) and escaped per RFC 5802 §5.1 inside
 * @password: never logged; copied and wiped on finalize
 * @cb_type: (nullable): channel binding type for -PLUS mechanisms
 * @cb_data: (nullable): channel binding data for -PLUS mechanisms
 */
TalkXmppSasl *talk_xmpp_sasl_new (TalkXmppSaslMechanism  mechanism,
                                  const char            *username,
                                  const char            *password,
                                  const char            *cb_type,
                                  GBytes                *cb_data);

TalkXmppSaslMechanism talk_xmpp_sasl_get_mechanism (TalkXmppSasl *self);

/* For test vectors only: a fixed client nonce instead of a random one. */
void     talk_xmpp_sasl_set_client_nonce (TalkXmppSasl *self,
                                          const char   *nonce);

/* Whether the client advertises channel binding support it did not use
 * ("y" gs2 flag, RFC 5802 §6) because the server offered no -PLUS variant. */
void     talk_xmpp_sasl_set_client_supports_binding (TalkXmppSasl *self,
                                                     gboolean      supports);

/* Returns: (transfer full): the raw (not base64) initial response. */
GBytes  *talk_xmpp_sasl_initial_response (TalkXmppSasl  *self,
                                          GError       **error);

/**
 * talk_xmpp_sasl_step:
 * @challenge: the raw server-first-message
 *
 * Checks the server nonce extends the client's, the salt is valid base64
 * and the iteration count within bounds, then computes the proof.
 *
 * Returns: (transfer full): the raw client-final-message, or NULL with
 * @error (TALK_XMPP_ERROR_AUTH_PROTOCOL).
 */
GBytes  *talk_xmpp_sasl_step (TalkXmppSasl  *self,
                              GBytes        *challenge,
                              GError       **error);

/**
 * talk_xmpp_sasl_verify_success:
 * @additional_data: (nullable): the raw server-final-message from <success/>
 *
 * For SCRAM: checks v= equals the expected server signature (constant-time
 * compare); a missing or wrong signature, or e=, is an error. For PLAIN:
 * always TRUE.
 */
gboolean talk_xmpp_sasl_verify_success (TalkXmppSasl  *self,
                                        GBytes        *additional_data,
                                        GError       **error);

G_END_DECLS
