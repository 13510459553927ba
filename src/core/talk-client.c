/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The app's world for one account.
 *
 *   start ──► keyring lookup ──► password ──► connect ──► "online" ──► presence
 *               │ none / error                  │            │ remember
 *               ▼                               ▼            ▼
 *          NEEDS_PASSWORD ◄── auth failed ── session    keyring store
 *                             certificate ──► CERTIFICATE ──► trust ──► connect
 *                             transient ───► WAITING ──► (session retries)
 *                             other fatal ─► FAILED
 *
 * The session owns the connection and its retries; this object only turns
 * what the session reports into one "status" the UI can show, and turns
 * the user's choices (sign in, presence, trust, forget) into session calls.
 * The password lives in the session, which wipes it; a copy is kept only
 * while it waits to be stored in the keyring after the first success.
 */

#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "talk-client.h"
#include "talk-core-error.h"
#include "talk-keyring.h"

struct _TalkClient
{
  GObject parent_instance;

  TalkAccount *account;
  TalkXmppSession *session;
  TalkXmppDisco *disco;
  TalkXmppRoster *xmpp_roster;
  TalkXmppPresence *presence;
  TalkXmppMessage *message;
  TalkXmppCarbons *carbons;
  TalkXmppMam *mam;
  TalkRoster *roster;
  TalkChats *chats;
  TalkHistory *history;         /* from the first account on */
  GListStore *empty_roster;     /* the "roster" without an account */

  gulong state_id;
  gulong reconnect_at_id;
  gulong online_id;
  gulong resumed_id;
  gboolean presence_unsent;
  gulong roster_fetching_id;
  guint presence_wait_id;       /* the initial presence waits for the roster */
  gulong disconnected_id;
  gulong reconnect_scheduled_id;
  gulong trim_stanza_id;        /* moves the trim on until the sign-in burst ends */
  GSource *trim_source;

  TalkClientStatus status;
  TalkXmppSessionState session_state;
  TalkXmppPresenceShow show;
  char *status_message;
  char *error;
  char *certificate_fingerprint;
  GTlsCertificateFlags certificate_errors;
  gint64 reconnect_at;
  gboolean password_saved;

  gboolean has_password;        /* the session holds one worth trying */
  gboolean own_disconnect;      /* a "disconnected" we caused ourselves */
  gboolean keyring_failed;      /* the keyring reported a problem */
  char *password_to_store;      /* until the first success, with remember */
  gboolean storing;
  GPtrArray *store_waiters;     /* sign-in tasks waiting for the store */

  GCancellable *lookup_cancellable;
  GCancellable *store_cancellable;
};

G_DEFINE_FINAL_TYPE (TalkClient, talk_client, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (TalkClientStatus, talk_client_status,
                    G_DEFINE_ENUM_VALUE (TALK_CLIENT_STATUS_NO_ACCOUNT, "no-account"),
                    G_DEFINE_ENUM_VALUE (TALK_CLIENT_STATUS_OFFLINE, "offline"),
                    G_DEFINE_ENUM_VALUE (TALK_CLIENT_STATUS_CONNECTING, "connecting"),
                    G_DEFINE_ENUM_VALUE (TALK_CLIENT_STATUS_ONLINE, "online"),
                    G_DEFINE_ENUM_VALUE (TALK_CLIENT_STATUS_WAITING, "waiting"),
                    G_DEFINE_ENUM_VALUE (TALK_CLIENT_STATUS_NEEDS_PASSWORD, "needs-password"),
                    G_DEFINE_ENUM_VALUE (TALK_CLIENT_STATUS_CERTIFICATE, "certificate"),
                    G_DEFINE_ENUM_VALUE (TALK_CLIENT_STATUS_FAILED, "failed"))

enum {
  PROP_0,
  PROP_STATUS,
  PROP_SESSION_STATE,
  PROP_ACCOUNT,
  PROP_JID,
  PROP_ROSTER,
  PROP_SHOW,
  PROP_STATUS_MESSAGE,
  PROP_ERROR,
  PROP_CERTIFICATE_FINGERPRINT,
  PROP_CERTIFICATE_ERRORS,
  PROP_RECONNECT_AT,
  PROP_PASSWORD_SAVED,
  PROP_CHATS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  PASSWORD_NOT_SAVED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void client_connect (TalkClient *self);

/* Helpers */

static void
password_wipe (char *password)
{
  if (password == NULL)
    return;
  explicit_bzero (password, strlen (password));
  g_free (password);
}

static void
client_notify (TalkClient *self,
               guint       prop)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
client_set_string (TalkClient  *self,
                   char       **field,
                   const char  *value,
                   guint        prop)
{
  if (value != NULL && *value == '\0')
    value = NULL;
  if (g_strcmp0 (*field, value) == 0)
    return;
  g_free (*field);
  *field = g_strdup (value);
  client_notify (self, prop);
}

/* The reason goes in first, so that whoever follows "status" reads the
 * matching "error". */
static void
client_set_status (TalkClient       *self,
                   TalkClientStatus  status,
                   const char       *error)
{
  client_set_string (self, &self->error, error, PROP_ERROR);
  if (self->status == status)
    return;
  self->status = status;
  client_notify (self, PROP_STATUS);
}

/* The certificate the user is asked about, and why it did not validate. */
static void
client_set_certificate (TalkClient           *self,
                        const char           *fingerprint,
                        GTlsCertificateFlags  errors)
{
  if (self->certificate_errors != errors)
    {
      self->certificate_errors = errors;
      client_notify (self, PROP_CERTIFICATE_ERRORS);
    }
  client_set_string (self, &self->certificate_fingerprint, fingerprint,
                     PROP_CERTIFICATE_FINGERPRINT);
}

static void
client_set_password_saved (TalkClient *self,
                           gboolean    saved)
{
  saved = !!saved;
  if (self->password_saved == saved)
    return;
  self->password_saved = saved;
  client_notify (self, PROP_PASSWORD_SAVED);
}

static void
client_set_show (TalkClient           *self,
                 TalkXmppPresenceShow  show)
{
  if (self->show == show)
    return;
  self->show = show;
  client_notify (self, PROP_SHOW);
}

static void
client_set_reconnect_at (TalkClient *self,
                         gint64      reconnect_at)
{
  if (self->reconnect_at == reconnect_at)
    return;
  self->reconnect_at = reconnect_at;
  client_notify (self, PROP_RECONNECT_AT);
}

static void
client_set_session_state (TalkClient           *self,
                          TalkXmppSessionState  state)
{
  if (self->session_state == state)
    return;
  self->session_state = state;
  client_notify (self, PROP_SESSION_STATE);
}

static void
client_drop_password_to_store (TalkClient *self)
{
  g_clear_pointer (&self->password_to_store, password_wipe);
}

static void
client_cancel_lookup (TalkClient *self)
{
  g_cancellable_cancel (self->lookup_cancellable);
  g_clear_object (&self->lookup_cancellable);
}

static const char *
client_bare_jid (TalkClient *self)
{
  return self->account != NULL ? talk_account_get_jid (self->account) : NULL;
}

static gboolean
client_session_is_idle (TalkClient *self)
{
  return self->session_state == TALK_XMPP_SESSION_STATE_DISCONNECTED &&
         self->reconnect_at == 0;
}

/* A disconnect we asked for: its "disconnected" changes nothing here. */
static void
client_disconnect_session (TalkClient          *self,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  self->own_disconnect = TRUE;
  talk_xmpp_session_disconnect_async (self->session, cancellable, callback, user_data);
  self->own_disconnect = FALSE;
}

/* RFC 6121 §4.5.1: unavailable presence before the stream closes. */
static void
client_sign_out (TalkClient          *self,
                 GCancellable        *cancellable,
                 GAsyncReadyCallback  callback,
                 gpointer             user_data)
{
  if (self->session_state == TALK_XMPP_SESSION_STATE_ONLINE)
    talk_xmpp_presence_send_own (self->presence, TALK_XMPP_PRESENCE_SHOW_OFFLINE,
                                 self->status_message, 0);
  client_disconnect_session (self, cancellable, callback, user_data);
}

static void
keyring_clear_done_cb (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  /* Nothing of the client is touched: this may outlive it. */
  if (!talk_keyring_clear_password_finish (result, &error))
    g_debug ("Could not remove a password from the keyring: %s", error->message);
}

static void
client_clear_keyring (const char *jid)
{
  talk_keyring_clear_password_async (jid, NULL, keyring_clear_done_cb, NULL);
}

/* Storing the password after the first success */

static void
client_complete_store_waiters (TalkClient *self)
{
  g_autoptr(GPtrArray) waiters = g_steal_pointer (&self->store_waiters);

  self->store_waiters = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < waiters->len; i++)
    g_task_return_boolean (g_ptr_array_index (waiters, i), TRUE);
}

static void
keyring_store_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  TalkClient *self;
  g_autoptr(GError) error = NULL;
  gboolean saved;

  saved = talk_keyring_store_password_finish (result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self = TALK_CLIENT (user_data);
  self->storing = FALSE;
  g_clear_object (&self->store_cancellable);

  /* SECURITY.md §3.5: the sign-in stands; the UI says it was not saved. */
  if (!saved)
    {
      g_debug ("Could not store the password: %s", error->message);
      self->keyring_failed = TRUE;
    }
  client_set_password_saved (self, saved);
  client_complete_store_waiters (self);
  if (!saved)
    g_signal_emit (self, signals[PASSWORD_NOT_SAVED], 0);
}

static void
client_store_password (TalkClient *self)
{
  g_autofree char *jid = g_strdup (client_bare_jid (self));

  self->storing = TRUE;
  self->store_cancellable = g_cancellable_new ();
  /* libsecret copies the secret before this returns. */
  talk_keyring_store_password_async (jid, self->password_to_store, self->store_cancellable,
                                     keyring_store_cb, self);
  client_drop_password_to_store (self);
}

/* So that a forgotten account's password is not stored after the fact. The
 * sign-in itself succeeded, which is what its waiters hear. */
static void
client_cancel_store (TalkClient *self)
{
  g_cancellable_cancel (self->store_cancellable);
  g_clear_object (&self->store_cancellable);
  if (self->storing)
    {
      self->storing = FALSE;
      client_complete_store_waiters (self);
    }
}

/* Session signals */

static void
session_state_cb (TalkXmppSession *session,
                  GParamSpec      *pspec,
                  TalkClient      *self)
{
  TalkXmppSessionState state = talk_xmpp_session_get_state (session);

  client_set_session_state (self, state);

  /* ONLINE is announced by "online", once the presence is out. */
  if (state != TALK_XMPP_SESSION_STATE_DISCONNECTED &&
      state != TALK_XMPP_SESSION_STATE_ONLINE)
    client_set_status (self, TALK_CLIENT_STATUS_CONNECTING, self->error);
}

static void
session_reconnect_at_cb (TalkXmppSession *session,
                         GParamSpec      *pspec,
                         TalkClient      *self)
{
  gint64 reconnect_at = 0;

  g_object_get (session, "reconnect-at", &reconnect_at, NULL);
  client_set_reconnect_at (self, reconnect_at);
}

/* Memory after the sign-in burst
 *
 * A sign-in brings the roster result as one stanza tree, then a presence
 * per contact, and with a server like Prosody whose users' PEP services
 * ask each new resource for its features, thousands of disco#info queries
 * whose answers wait in the XEP-0198 queue until acknowledged. With 5,000
 * contacts that is 20 MB of heap at the peak and 7 MB once it is over, but
 * glibc keeps the freed pages: the process stayed at the peak. Once no
 * stanza has come for a while they are handed back, once. */

static gboolean
trim_source_dispatch (GSource     *source,
                      GSourceFunc  callback,
                      gpointer     user_data)
{
  return callback (user_data);
}

/* A source that fires at its ready time only. */
static GSourceFuncs trim_source_funcs = {
  .dispatch = trim_source_dispatch,
};

#define TRIM_QUIET_SECONDS 5

static void
client_stop_trim (TalkClient *self)
{
  if (self->trim_source != NULL)
    {
      g_source_destroy (self->trim_source);
      g_clear_pointer (&self->trim_source, g_source_unref);
    }
  if (self->session != NULL)
    g_clear_signal_handler (&self->trim_stanza_id, self->session);
}

/* Each stanza moves the moment on; no timer fires while they come, so an
 * idle client wakes once for this, not every few seconds. */
static void
trim_stanza_received_cb (TalkXmppSession *session,
                         TalkXmppStanza  *stanza,
                         TalkClient      *self)
{
  g_source_set_ready_time (self->trim_source,
                           g_get_monotonic_time () + TRIM_QUIET_SECONDS * G_USEC_PER_SEC);
}

static gboolean
trim_cb (gpointer user_data)
{
  TalkClient *self = user_data;

  client_stop_trim (self);
#ifdef __GLIBC__
  malloc_trim (0);
#endif
  return G_SOURCE_REMOVE;
}

static void
client_start_trim (TalkClient *self)
{
  client_stop_trim (self);
  self->trim_source = g_source_new (&trim_source_funcs, sizeof (GSource));
  g_source_set_name (self->trim_source, "[talk] heap trim");
  g_source_set_callback (self->trim_source, trim_cb, self, NULL);
  g_source_set_ready_time (self->trim_source,
                           g_get_monotonic_time () + TRIM_QUIET_SECONDS * G_USEC_PER_SEC);
  g_source_attach (self->trim_source, NULL);
  self->trim_stanza_id = g_signal_connect (self->session, "stanza-received",
                                           G_CALLBACK (trim_stanza_received_cb), self);
}

/* Longest the initial presence waits for the roster result. */
#define PRESENCE_WAIT_SECONDS 10

static void
client_send_initial_presence (TalkClient *self)
{
  g_clear_handle_id (&self->presence_wait_id, g_source_remove);
  if (talk_xmpp_session_get_state (self->session) != TALK_XMPP_SESSION_STATE_ONLINE)
    return;

  talk_xmpp_presence_send_own (self->presence, self->show, self->status_message, 0);
  self->presence_unsent = FALSE;
}

static gboolean
presence_wait_cb (gpointer user_data)
{
  TalkClient *self = user_data;

  self->presence_wait_id = 0;
  g_debug ("No roster yet: sending the initial presence anyway");
  client_send_initial_presence (self);
  return G_SOURCE_REMOVE;
}

static void
roster_fetching_cb (TalkRoster *roster,
                    GParamSpec *pspec,
                    TalkClient *self)
{
  if (self->presence_wait_id != 0 && !talk_roster_get_fetching (roster))
    client_send_initial_presence (self);
}

/* Connected after TalkRoster's own handler, which requests the roster.
 * The initial presence goes once the roster result is in (RFC 6121 §2.2,
 * §4.2): sent right behind the request, the server answers its probes
 * first, thousands of presences ahead of the roster that would have
 * placed them, and the list fills seconds later. */
static void
session_online_cb (TalkXmppSession *session,
                   TalkClient      *self)
{
  if (self->show == TALK_XMPP_PRESENCE_SHOW_OFFLINE)
    {
      client_disconnect_session (self, NULL, NULL, NULL);
      client_set_status (self, TALK_CLIENT_STATUS_OFFLINE, NULL);
      return;
    }

  if (talk_roster_get_fetching (self->roster))
    {
      g_clear_handle_id (&self->presence_wait_id, g_source_remove);
      self->presence_wait_id = g_timeout_add_seconds (PRESENCE_WAIT_SECONDS, presence_wait_cb, self);
      self->presence_unsent = TRUE;
    }
  else
    {
      client_send_initial_presence (self);
    }
  client_set_certificate (self, NULL, 0);
  client_set_status (self, TALK_CLIENT_STATUS_ONLINE, NULL);
  client_start_trim (self);

  if (self->password_to_store != NULL)
    client_store_password (self);
}

/* XEP-0198 §5: a resumed stream keeps its presence on the server; only a
 * choice made while the stream was away is sent. */
static void
session_resumed_cb (TalkXmppSession *session,
                    TalkClient      *self)
{
  if (self->show == TALK_XMPP_PRESENCE_SHOW_OFFLINE)
    {
      client_disconnect_session (self, NULL, NULL, NULL);
      client_set_status (self, TALK_CLIENT_STATUS_OFFLINE, NULL);
      return;
    }

  if (self->presence_unsent)
    {
      talk_xmpp_presence_send_own (self->presence, self->show, self->status_message, 0);
      self->presence_unsent = FALSE;
    }
  client_set_status (self, TALK_CLIENT_STATUS_ONLINE, NULL);
}

static gboolean
error_is_refused_password (const GError *error)
{
  return g_error_matches (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_AUTH_FAILED) ||
         g_error_matches (error, TALK_XMPP_STREAM_ERROR, TALK_XMPP_STREAM_ERROR_NOT_AUTHORIZED);
}

static void
session_disconnected_cb (TalkXmppSession *session,
                         const GError    *error,
                         TalkClient      *self)
{
  g_autofree char *reason = NULL;

  g_clear_handle_id (&self->presence_wait_id, g_source_remove);
  if (error == NULL)
    {
      /* Someone else gave up an attempt (a cancelled sign-in). */
      if (!self->own_disconnect)
        client_set_status (self, TALK_CLIENT_STATUS_OFFLINE, NULL);
      return;
    }

  g_debug ("%s went offline: %s", client_bare_jid (self), error->message);

  if (error_is_refused_password (error))
    {
      /* SECURITY.md §3.1: ask, never try the refused password again. */
      talk_xmpp_session_set_password (session, NULL);
      self->has_password = FALSE;
      client_drop_password_to_store (self);
      reason = g_strdup_printf (_("The server refused the password for %s"),
                                client_bare_jid (self));
      client_set_status (self, TALK_CLIENT_STATUS_NEEDS_PASSWORD, reason);
    }
  else if (g_error_matches (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_CERTIFICATE))
    {
      client_set_certificate (self, talk_xmpp_session_get_peer_fingerprint (session),
                              talk_xmpp_session_get_peer_certificate_errors (session));
      client_set_status (self, TALK_CLIENT_STATUS_CERTIFICATE, error->message);
    }
  else if (self->reconnect_at != 0)
    {
      /* The session armed its retry before telling us. */
      client_set_status (self, TALK_CLIENT_STATUS_WAITING, error->message);
    }
  else
    {
      client_set_status (self, TALK_CLIENT_STATUS_FAILED, error->message);
    }
}

static void
session_reconnect_scheduled_cb (TalkXmppSession *session,
                                guint            delay_ms,
                                TalkClient      *self)
{
  session_reconnect_at_cb (session, NULL, self);
  if (self->status == TALK_CLIENT_STATUS_CONNECTING ||
      self->status == TALK_CLIENT_STATUS_ONLINE ||
      self->status == TALK_CLIENT_STATUS_FAILED)
    client_set_status (self, TALK_CLIENT_STATUS_WAITING, self->error);
}

/* The account's session and modules */

static void
client_teardown (TalkClient *self)
{
  if (self->session == NULL)
    return;

  g_clear_signal_handler (&self->state_id, self->session);
  g_clear_signal_handler (&self->reconnect_at_id, self->session);
  g_clear_signal_handler (&self->online_id, self->session);
  g_clear_signal_handler (&self->resumed_id, self->session);
  g_clear_signal_handler (&self->disconnected_id, self->session);
  g_clear_signal_handler (&self->reconnect_scheduled_id, self->session);
  if (self->roster != NULL)
    g_clear_signal_handler (&self->roster_fetching_id, self->roster);
  g_clear_handle_id (&self->presence_wait_id, g_source_remove);
  client_stop_trim (self);

  client_cancel_store (self);

  /* The close goes on without us: its task keeps the session alive. */
  if (!client_session_is_idle (self))
    client_sign_out (self, NULL, NULL, NULL);

  g_clear_object (&self->chats);
  g_clear_object (&self->mam);
  g_clear_object (&self->carbons);
  g_clear_object (&self->message);
  g_clear_object (&self->roster);
  g_clear_object (&self->presence);
  g_clear_object (&self->xmpp_roster);
  g_clear_object (&self->disco);
  g_clear_object (&self->session);

  self->has_password = FALSE;
  client_set_session_state (self, TALK_XMPP_SESSION_STATE_DISCONNECTED);
  client_set_reconnect_at (self, 0);
}

/* In the cache dir: losing it costs one full roster fetch. */
static char *
client_dup_roster_cache_path (TalkAccount *account)
{
  g_autofree char *name = g_strconcat (talk_account_get_id (account), ".roster", NULL);

  return g_build_filename (g_get_user_cache_dir (), "talk", "roster", name, NULL);
}

static void
client_set_account (TalkClient  *self,
                    TalkAccount *account)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TalkXmppSession) session = NULL;
  g_autofree char *roster_cache = NULL;
  const char *old_jid = client_bare_jid (self);
  gboolean jid_changed;

  if (self->account == account)
    return;

  jid_changed = account == NULL || old_jid == NULL ||
                !talk_xmpp_jid_string_equal (old_jid, talk_account_get_jid (account));

  g_object_freeze_notify (G_OBJECT (self));

  client_teardown (self);
  g_set_object (&self->account, account);

  /* Another account signs in as it last chose. */
  if (account != NULL && jid_changed)
    {
      TalkXmppPresenceShow show;
      g_autofree char *status_message = NULL;

      talk_account_get_presence (account, &show, &status_message);
      client_set_show (self, show);
      client_set_string (self, &self->status_message, status_message, PROP_STATUS_MESSAGE);
    }

  if (account != NULL)
    session = talk_account_create_session (account, &error);
  if (account != NULL && session == NULL)
    g_warning ("Account %s: %s", talk_account_get_id (account), error->message);

  if (session != NULL)
    {
      self->session = g_steal_pointer (&session);
      self->disco = talk_xmpp_disco_new (self->session);
      talk_xmpp_disco_set_software (self->disco, "Talk", PACKAGE_VERSION, NULL);
      self->xmpp_roster = talk_xmpp_roster_new (self->session);
      self->presence = talk_xmpp_presence_new (self->session);
      talk_xmpp_presence_set_disco (self->presence, self->disco);
      roster_cache = client_dup_roster_cache_path (account);
      self->roster = talk_roster_new_cached (self->xmpp_roster, self->presence, roster_cache);
      self->roster_fetching_id = g_signal_connect (self->roster, "notify::fetching",
                                                   G_CALLBACK (roster_fetching_cb), self);

      /* Before the handlers below: TalkChats asks for the archive and
       * the server's features before the initial presence brings the
       * offline messages. */
      self->message = talk_xmpp_message_new (self->session);
      self->carbons = talk_xmpp_carbons_new (self->session);
      self->mam = talk_xmpp_mam_new (self->session);
      if (self->history == NULL)
        self->history = talk_history_new (NULL);
      self->chats = talk_chats_new (self->history, self->session, self->message, self->carbons,
                                    self->mam, self->disco, self->roster);

      self->state_id = g_signal_connect (self->session, "notify::state",
                                         G_CALLBACK (session_state_cb), self);
      self->reconnect_at_id = g_signal_connect (self->session, "notify::reconnect-at",
                                                G_CALLBACK (session_reconnect_at_cb), self);
      /* After talk_roster_new(): see session_online_cb(). */
      self->online_id = g_signal_connect (self->session, "online",
                                          G_CALLBACK (session_online_cb), self);
      self->resumed_id = g_signal_connect (self->session, "resumed",
                                           G_CALLBACK (session_resumed_cb), self);
      self->disconnected_id = g_signal_connect (self->session, "disconnected",
                                                G_CALLBACK (session_disconnected_cb), self);
      self->reconnect_scheduled_id =
        g_signal_connect (self->session, "reconnect-scheduled",
                          G_CALLBACK (session_reconnect_scheduled_cb), self);
    }

  client_notify (self, PROP_ACCOUNT);
  client_notify (self, PROP_ROSTER);
  client_notify (self, PROP_CHATS);
  if (jid_changed)
    client_notify (self, PROP_JID);

  g_object_thaw_notify (G_OBJECT (self));
}

/* The account's settings may have changed since the session was made
 * (a pin, the preferences): every attempt starts from them. */
static void
client_sync_session (TalkClient *self)
{
  talk_xmpp_session_set_host (self->session,
                              talk_account_get_host (self->account),
                              talk_account_get_port (self->account),
                              talk_account_get_direct_tls (self->account));
  talk_xmpp_session_set_pinned_certificate (self->session,
                                            talk_account_get_pinned_certificate (self->account));
  g_object_set (self->session, "resource", talk_account_get_resource (self->account), NULL);
}

static void
client_connect (TalkClient *self)
{
  client_sync_session (self);
  client_set_status (self, TALK_CLIENT_STATUS_CONNECTING, self->error);
  /* The outcome arrives through the session's signals. */
  talk_xmpp_session_connect_async (self->session, NULL, NULL, NULL);
}

/* Finds or makes the one account for @jid (one account for now): the
 * current one, a listed one with the same address, or a new one; any other
 * listed account is removed, and with @touch_keyring its password too. */
static TalkAccount *
client_ensure_account (TalkClient  *self,
                       const char  *jid,
                       gboolean     touch_keyring,
                       GError     **error)
{
  g_autoptr(TalkXmppJid) parsed = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GPtrArray) accounts = NULL;
  g_autoptr(TalkAccount) found = NULL;
  const char *bare;

  parsed = talk_xmpp_jid_new (jid, &local_error);
  if (parsed == NULL)
    {
      g_set_error (error, TALK_CORE_ERROR, TALK_CORE_ERROR_INVALID_ACCOUNT,
                   _("“%s” is not a valid address: %s"), jid, local_error->message);
      return NULL;
    }
  bare = talk_xmpp_jid_get_bare_string (parsed);

  accounts = talk_account_load_all ();
  for (guint i = 0; i < accounts->len; i++)
    {
      TalkAccount *account = g_ptr_array_index (accounts, i);

      if (found == NULL && talk_xmpp_jid_string_equal (talk_account_get_jid (account), bare))
        {
          /* The object the UI already holds, when it is this one. */
          if (self->account != NULL &&
              g_strcmp0 (talk_account_get_id (self->account), talk_account_get_id (account)) == 0)
            found = g_object_ref (self->account);
          else
            found = g_object_ref (account);
          continue;
        }

      if (touch_keyring)
        client_clear_keyring (talk_account_get_jid (account));
      talk_account_remove (account);
    }

  if (found == NULL)
    return talk_account_create (jid, error);

  if (talk_xmpp_jid_get_resourcepart (parsed) != NULL)
    talk_account_set_resource (found, talk_xmpp_jid_get_resourcepart (parsed));
  talk_account_set_enabled (found, TRUE);

  return g_steal_pointer (&found);
}

/* Tries @password now, dropping whatever attempt or connection there was. */
static void
client_try_password (TalkClient *self,
                     const char *password,
                     gboolean    remember,
                     gboolean    touch_keyring)
{
  client_cancel_lookup (self);
  client_drop_password_to_store (self);

  if (!client_session_is_idle (self))
    client_disconnect_session (self, NULL, NULL, NULL);

  talk_xmpp_session_set_password (self->session, password);
  self->has_password = TRUE;

  /* Not saved until the keyring has taken this one. */
  client_set_password_saved (self, FALSE);
  if (remember)
    {
      self->password_to_store = g_strdup (password);
    }
  else
    {
      /* Not remembered means not kept from an earlier sign-in either; a
       * keyring that failed is left alone rather than prompting again. */
      if (touch_keyring && !self->keyring_failed)
        client_clear_keyring (client_bare_jid (self));
    }

  if (self->show == TALK_XMPP_PRESENCE_SHOW_OFFLINE)
    client_set_show (self, TALK_XMPP_PRESENCE_SHOW_AVAILABLE);

  client_set_certificate (self, NULL, 0);
  client_set_status (self, TALK_CLIENT_STATUS_CONNECTING, NULL);
  client_sync_session (self);
}

/* Keyring lookup at start */

static void
keyring_lookup_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  TalkClient *self;
  g_autoptr(GError) error = NULL;
  char *password;

  password = talk_keyring_lookup_password_finish (result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self = TALK_CLIENT (user_data);
  g_clear_object (&self->lookup_cancellable);

  if (error != NULL)
    {
      const char *reason;

      /* SECURITY.md §3.5: ask for this session only; never a file. */
      self->keyring_failed = TRUE;
      if (g_error_matches (error, TALK_CORE_ERROR, TALK_CORE_ERROR_KEYRING_LOCKED))
        reason = _("The system keyring is locked, so Talk cannot use a saved password");
      else
        reason = _("The system keyring is not available, so Talk cannot use a saved password");
      g_debug ("Keyring lookup for %s: %s", client_bare_jid (self), error->message);
      client_set_password_saved (self, FALSE);
      client_set_status (self, TALK_CLIENT_STATUS_NEEDS_PASSWORD, reason);
      return;
    }

  if (password == NULL)
    {
      client_set_password_saved (self, FALSE);
      client_set_status (self, TALK_CLIENT_STATUS_NEEDS_PASSWORD, NULL);
      return;
    }

  talk_xmpp_session_set_password (self->session, password);
  talk_keyring_password_free (password);
  self->has_password = TRUE;
  client_set_password_saved (self, TRUE);

  if (self->show == TALK_XMPP_PRESENCE_SHOW_OFFLINE)
    client_set_status (self, TALK_CLIENT_STATUS_OFFLINE, NULL);
  else
    client_connect (self);
}

/* Public API */

/**
 * talk_client_new:
 *
 * Returns: (transfer full): a client with status NO_ACCOUNT until
 *   talk_client_start() or a sign-in
 */
TalkClient *
talk_client_new (void)
{
  return g_object_new (TALK_TYPE_CLIENT, NULL);
}

void
talk_client_start (TalkClient *self)
{
  g_autoptr(GPtrArray) accounts = NULL;
  TalkAccount *account = NULL;

  g_return_if_fail (TALK_IS_CLIENT (self));

  if (self->account != NULL)
    {
      g_debug ("Already started for %s", client_bare_jid (self));
      return;
    }

  accounts = talk_account_load_all ();
  for (guint i = 0; i < accounts->len && account == NULL; i++)
    {
      if (talk_account_get_enabled (g_ptr_array_index (accounts, i)))
        account = g_ptr_array_index (accounts, i);
    }

  client_set_account (self, account);
  if (self->session == NULL)
    {
      client_set_status (self, TALK_CLIENT_STATUS_NO_ACCOUNT, NULL);
      return;
    }

  client_set_status (self, TALK_CLIENT_STATUS_CONNECTING, NULL);
  client_cancel_lookup (self);
  self->lookup_cancellable = g_cancellable_new ();
  talk_keyring_lookup_password_async (client_bare_jid (self), self->lookup_cancellable,
                                      keyring_lookup_cb, self);
}

/* Sets up the account for @jid with the connection settings given.
 * Returns: whether the client now has a session for it */
static gboolean
client_configure (TalkClient  *self,
                  const char  *jid,
                  const char  *host,
                  guint16      port,
                  gboolean     touch_keyring,
                  GError     **error)
{
  g_autoptr(TalkAccount) account = NULL;

  account = client_ensure_account (self, jid, touch_keyring, error);
  if (account == NULL)
    return FALSE;

  talk_account_set_host (account, host, port,
                         host != NULL && talk_account_get_direct_tls (account));
  client_set_account (self, account);

  if (self->session == NULL)
    {
      g_set_error (error, TALK_CORE_ERROR, TALK_CORE_ERROR_INVALID_ACCOUNT,
                   _("“%s” is not a valid address"), jid);
      return FALSE;
    }

  return TRUE;
}

static void
sign_in_connect_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TalkClient *self = g_task_get_source_object (task);
  GError *error = NULL;

  if (!talk_xmpp_session_connect_finish (TALK_XMPP_SESSION (source), result, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  /* "password-saved" is settled before the caller hears of success. */
  if (self->storing)
    g_ptr_array_add (self->store_waiters, g_steal_pointer (&task));
  else
    g_task_return_boolean (task, TRUE);
}

void
talk_client_sign_in_async (TalkClient          *self,
                           const char          *jid,
                           const char          *password,
                           gboolean             remember,
                           const char          *host,
                           guint16              port,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  GError *error = NULL;

  g_return_if_fail (TALK_IS_CLIENT (self));
  g_return_if_fail (jid != NULL);
  g_return_if_fail (password != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, talk_client_sign_in_async);

  if (host != NULL && *host == '\0')
    host = NULL;

  if (!client_configure (self, jid, host, port, TRUE, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  client_try_password (self, password, remember, TRUE);
  talk_xmpp_session_connect_async (self->session, cancellable, sign_in_connect_cb,
                                   g_steal_pointer (&task));
}

gboolean
talk_client_sign_in_finish (TalkClient    *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (TALK_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == talk_client_sign_in_async,
                        FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Never touches the keyring: see the header. */
void
talk_client_start_with_password (TalkClient *self,
                                 const char *jid,
                                 const char *password,
                                 const char *host,
                                 guint16     port,
                                 const char *pinned_fingerprint)
{
  g_autoptr(GError) error = NULL;

  g_return_if_fail (TALK_IS_CLIENT (self));
  g_return_if_fail (jid != NULL);
  g_return_if_fail (password != NULL);

  if (host != NULL && *host == '\0')
    host = NULL;

  if (!client_configure (self, jid, host, port, FALSE, &error))
    {
      g_warning ("Cannot sign in: %s", error->message);
      if (self->account == NULL)
        client_set_status (self, TALK_CLIENT_STATUS_NO_ACCOUNT, NULL);
      return;
    }

  talk_account_set_pinned_certificate (self->account, pinned_fingerprint);
  client_try_password (self, password, FALSE, FALSE);
  client_connect (self);
}

void
talk_client_provide_password (TalkClient *self,
                              const char *password,
                              gboolean    remember)
{
  g_return_if_fail (TALK_IS_CLIENT (self));
  g_return_if_fail (password != NULL);

  if (self->session == NULL)
    {
      g_debug ("A password without an account: ignored");
      return;
    }

  client_try_password (self, password, remember, TRUE);
  client_connect (self);
}

void
talk_client_trust_certificate (TalkClient *self,
                               const char *fingerprint)
{
  g_autofree char *pin = NULL;

  g_return_if_fail (TALK_IS_CLIENT (self));

  /* Only what the user was shown: a fingerprint from elsewhere could pin
   * an attacker's certificate (SECURITY.md, DESIGN.md "Security rules"). */
  if (self->status != TALK_CLIENT_STATUS_CERTIFICATE ||
      fingerprint == NULL || self->certificate_fingerprint == NULL ||
      !talk_xmpp_fingerprint_equal (fingerprint, self->certificate_fingerprint))
    {
      g_debug ("Not trusting a certificate that is not the one shown");
      return;
    }

  pin = g_strdup (self->certificate_fingerprint);
  talk_account_set_pinned_certificate (self->account, pin);
  client_set_certificate (self, NULL, 0);

  if (!self->has_password)
    {
      client_set_status (self, TALK_CLIENT_STATUS_NEEDS_PASSWORD, NULL);
      return;
    }

  if (self->show == TALK_XMPP_PRESENCE_SHOW_OFFLINE)
    client_set_show (self, TALK_XMPP_PRESENCE_SHOW_AVAILABLE);
  client_set_status (self, TALK_CLIENT_STATUS_CONNECTING, NULL);
  client_connect (self);
}

void
talk_client_set_presence (TalkClient           *self,
                          TalkXmppPresenceShow  show,
                          const char           *status_message)
{
  g_return_if_fail (TALK_IS_CLIENT (self));
  g_return_if_fail ((guint) show <= TALK_XMPP_PRESENCE_SHOW_DND);

  client_set_show (self, show);
  client_set_string (self, &self->status_message, status_message, PROP_STATUS_MESSAGE);
  self->presence_unsent = TRUE;
  /* The next start signs in with it. */
  if (self->account != NULL)
    talk_account_set_presence (self->account, show, status_message);

  if (self->session == NULL)
    return;

  if (show == TALK_XMPP_PRESENCE_SHOW_OFFLINE)
    {
      if (!client_session_is_idle (self))
        client_sign_out (self, NULL, NULL, NULL);
      client_set_status (self, TALK_CLIENT_STATUS_OFFLINE, NULL);
      return;
    }

  switch (self->status)
    {
    case TALK_CLIENT_STATUS_ONLINE:
      g_clear_handle_id (&self->presence_wait_id, g_source_remove);
      talk_xmpp_presence_send_own (self->presence, show, self->status_message, 0);
      self->presence_unsent = FALSE;
      break;

    case TALK_CLIENT_STATUS_OFFLINE:
    case TALK_CLIENT_STATUS_WAITING:
    case TALK_CLIENT_STATUS_FAILED:
      if (self->has_password)
        client_connect (self);
      else if (self->lookup_cancellable == NULL)
        client_set_status (self, TALK_CLIENT_STATUS_NEEDS_PASSWORD, NULL);
      break;

    /* The choice waits for the attempt, the password or the decision. */
    case TALK_CLIENT_STATUS_NO_ACCOUNT:
    case TALK_CLIENT_STATUS_CONNECTING:
    case TALK_CLIENT_STATUS_NEEDS_PASSWORD:
    case TALK_CLIENT_STATUS_CERTIFICATE:
    default:
      break;
    }
}

void
talk_client_retry_now (TalkClient *self)
{
  g_return_if_fail (TALK_IS_CLIENT (self));

  if (self->session != NULL && self->status == TALK_CLIENT_STATUS_WAITING)
    talk_xmpp_session_reconnect_now (self->session);
}

void
talk_client_forget_account (TalkClient *self)
{
  g_autoptr(TalkAccount) account = NULL;
  g_autofree char *roster_cache = NULL;

  g_return_if_fail (TALK_IS_CLIENT (self));

  if (self->account == NULL)
    return;

  client_cancel_lookup (self);
  client_drop_password_to_store (self);

  account = g_object_ref (self->account);
  g_object_freeze_notify (G_OBJECT (self));
  client_set_account (self, NULL);
  client_clear_keyring (talk_account_get_jid (account));
  roster_cache = client_dup_roster_cache_path (account);
  if (g_unlink (roster_cache) != 0 && errno != ENOENT)
    g_warning ("Could not remove %s: %s", roster_cache, g_strerror (errno));
  talk_account_remove (account);

  client_set_password_saved (self, FALSE);
  client_set_certificate (self, NULL, 0);
  client_set_status (self, TALK_CLIENT_STATUS_NO_ACCOUNT, NULL);
  g_object_thaw_notify (G_OBJECT (self));
}

static void
shutdown_disconnect_cb (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!talk_xmpp_session_disconnect_finish (TALK_XMPP_SESSION (source), result, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

void
talk_client_shutdown_async (TalkClient          *self,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (TALK_IS_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, talk_client_shutdown_async);

  client_cancel_lookup (self);

  if (self->session == NULL)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  /* The user's choice of presence stays for the next start. */
  client_sign_out (self, cancellable, shutdown_disconnect_cb, g_steal_pointer (&task));
  client_set_status (self, TALK_CLIENT_STATUS_OFFLINE, NULL);
}

gboolean
talk_client_shutdown_finish (TalkClient    *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (TALK_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == talk_client_shutdown_async,
                        FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

TalkClientStatus
talk_client_get_status (TalkClient *self)
{
  g_return_val_if_fail (TALK_IS_CLIENT (self), TALK_CLIENT_STATUS_NO_ACCOUNT);
  return self->status;
}

TalkXmppSessionState
talk_client_get_session_state (TalkClient *self)
{
  g_return_val_if_fail (TALK_IS_CLIENT (self), TALK_XMPP_SESSION_STATE_DISCONNECTED);
  return self->session_state;
}

/* Returns: (transfer none) (nullable) */
TalkAccount *
talk_client_get_account (TalkClient *self)
{
  g_return_val_if_fail (TALK_IS_CLIENT (self), NULL);
  return self->account;
}

/* Returns: (nullable): the account's normalised bare JID */
const char *
talk_client_get_jid (TalkClient *self)
{
  g_return_val_if_fail (TALK_IS_CLIENT (self), NULL);
  return client_bare_jid (self);
}

/* Returns: (transfer none): a GListModel of TalkContact, never NULL */
GListModel *
talk_client_get_roster (TalkClient *self)
{
  g_return_val_if_fail (TALK_IS_CLIENT (self), NULL);

  if (self->roster != NULL)
    return G_LIST_MODEL (self->roster);
  return G_LIST_MODEL (self->empty_roster);
}

TalkXmppPresenceShow
talk_client_get_show (TalkClient *self)
{
  g_return_val_if_fail (TALK_IS_CLIENT (self), TALK_XMPP_PRESENCE_SHOW_OFFLINE);
  return self->show;
}

/* Returns: (nullable) */
const char *
talk_client_get_status_message (TalkClient *self)
{
  g_return_val_if_fail (TALK_IS_CLIENT (self), NULL);
  return self->status_message;
}

/* Returns: (nullable) */
const char *
talk_client_get_error (TalkClient *self)
{
  g_return_val_if_fail (TALK_IS_CLIENT (self), NULL);
  return self->error;
}

/* Returns: (nullable) */
GTlsCertificateFlags
talk_client_get_certificate_errors (TalkClient *self)
{
  g_return_val_if_fail (TALK_IS_CLIENT (self), 0);

  return self->certificate_errors;
}

const char *
talk_client_get_certificate_fingerprint (TalkClient *self)
{
  g_return_val_if_fail (TALK_IS_CLIENT (self), NULL);
  return self->certificate_fingerprint;
}

gint64
talk_client_get_reconnect_at (TalkClient *self)
{
  g_return_val_if_fail (TALK_IS_CLIENT (self), 0);
  return self->reconnect_at;
}

gboolean
talk_client_get_password_saved (TalkClient *self)
{
  g_return_val_if_fail (TALK_IS_CLIENT (self), FALSE);
  return self->password_saved;
}

TalkXmppSession *
talk_client_get_session (TalkClient *self)
{
  g_return_val_if_fail (TALK_IS_CLIENT (self), NULL);
  return self->session;
}

TalkChats *
talk_client_get_chats (TalkClient *self)
{
  g_return_val_if_fail (TALK_IS_CLIENT (self), NULL);
  return self->chats;
}

/* GObject */

static void
talk_client_dispose (GObject *object)
{
  TalkClient *self = TALK_CLIENT (object);

  client_cancel_lookup (self);
  client_drop_password_to_store (self);
  client_teardown (self);
  g_clear_object (&self->account);
  g_clear_object (&self->history);
  g_clear_object (&self->empty_roster);
  g_clear_pointer (&self->store_waiters, g_ptr_array_unref);

  G_OBJECT_CLASS (talk_client_parent_class)->dispose (object);
}

static void
talk_client_finalize (GObject *object)
{
  TalkClient *self = TALK_CLIENT (object);

  g_free (self->status_message);
  g_free (self->error);
  g_free (self->certificate_fingerprint);

  G_OBJECT_CLASS (talk_client_parent_class)->finalize (object);
}

static void
talk_client_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  TalkClient *self = TALK_CLIENT (object);

  switch (prop_id)
    {
    case PROP_STATUS:
      g_value_set_enum (value, self->status);
      break;
    case PROP_SESSION_STATE:
      g_value_set_enum (value, self->session_state);
      break;
    case PROP_ACCOUNT:
      g_value_set_object (value, self->account);
      break;
    case PROP_JID:
      g_value_set_string (value, client_bare_jid (self));
      break;
    case PROP_ROSTER:
      g_value_set_object (value, self->empty_roster != NULL ? talk_client_get_roster (self) : NULL);
      break;
    case PROP_SHOW:
      g_value_set_enum (value, self->show);
      break;
    case PROP_STATUS_MESSAGE:
      g_value_set_string (value, self->status_message);
      break;
    case PROP_ERROR:
      g_value_set_string (value, self->error);
      break;
    case PROP_CERTIFICATE_FINGERPRINT:
      g_value_set_string (value, self->certificate_fingerprint);
      break;
    case PROP_CERTIFICATE_ERRORS:
      g_value_set_flags (value, self->certificate_errors);
      break;
    case PROP_RECONNECT_AT:
      g_value_set_int64 (value, self->reconnect_at);
      break;
    case PROP_PASSWORD_SAVED:
      g_value_set_boolean (value, self->password_saved);
      break;
    case PROP_CHATS:
      g_value_set_object (value, self->chats);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
talk_client_class_init (TalkClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = talk_client_dispose;
  object_class->finalize = talk_client_finalize;
  object_class->get_property = talk_client_get_property;

  properties[PROP_STATUS] =
    g_param_spec_enum ("status", NULL, NULL, TALK_TYPE_CLIENT_STATUS,
                       TALK_CLIENT_STATUS_NO_ACCOUNT, ro);
  properties[PROP_SESSION_STATE] =
    g_param_spec_enum ("session-state", NULL, NULL, talk_xmpp_session_state_get_type (),
                       TALK_XMPP_SESSION_STATE_DISCONNECTED, ro);
  properties[PROP_ACCOUNT] =
    g_param_spec_object ("account", NULL, NULL, TALK_TYPE_ACCOUNT, ro);
  properties[PROP_JID] =
    g_param_spec_string ("jid", NULL, NULL, NULL, ro);
  properties[PROP_ROSTER] =
    g_param_spec_object ("roster", NULL, NULL, G_TYPE_LIST_MODEL, ro);
  properties[PROP_SHOW] =
    g_param_spec_enum ("show", NULL, NULL, TALK_XMPP_TYPE_PRESENCE_SHOW,
                       TALK_XMPP_PRESENCE_SHOW_AVAILABLE, ro);
  properties[PROP_STATUS_MESSAGE] =
    g_param_spec_string ("status-message", NULL, NULL, NULL, ro);
  properties[PROP_ERROR] =
    g_param_spec_string ("error", NULL, NULL, NULL, ro);
  properties[PROP_CERTIFICATE_FINGERPRINT] =
    g_param_spec_string ("certificate-fingerprint", NULL, NULL, NULL, ro);
  properties[PROP_CERTIFICATE_ERRORS] =
    g_param_spec_flags ("certificate-errors", NULL, NULL, G_TYPE_TLS_CERTIFICATE_FLAGS, 0, ro);
  properties[PROP_RECONNECT_AT] =
    g_param_spec_int64 ("reconnect-at", NULL, NULL, 0, G_MAXINT64, 0, ro);
  properties[PROP_PASSWORD_SAVED] =
    g_param_spec_boolean ("password-saved", NULL, NULL, FALSE, ro);
  properties[PROP_CHATS] =
    g_param_spec_object ("chats", NULL, NULL, TALK_TYPE_CHATS, ro);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[PASSWORD_NOT_SAVED] =
    g_signal_new ("password-not-saved", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
talk_client_init (TalkClient *self)
{
  self->status = TALK_CLIENT_STATUS_NO_ACCOUNT;
  self->session_state = TALK_XMPP_SESSION_STATE_DISCONNECTED;
  self->show = TALK_XMPP_PRESENCE_SHOW_AVAILABLE;
  self->empty_roster = g_list_store_new (TALK_TYPE_CONTACT);
  self->store_waiters = g_ptr_array_new_with_free_func (g_object_unref);
}
