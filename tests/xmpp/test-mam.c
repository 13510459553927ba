/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * TalkXmppMam against a scripted server (TalkTestPeer): the query it
 * sends, which results it takes (XEP-0313 #security-impersonation,
 * SECURITY.md §1.1, CVE-2019-16237: only for a query it has open, only
 * from the own account), paging (XEP-0059) and catching up.
 */

#include "config.h"

#include <string.h>

#include "talk-xmpp.h"
#include "talk-xmpp-mam.h"
#include "talk-xmpp-message.h"
#include "talk-test-peer.h"

#define OWN_BARE "user@example.test"
#define OWN_FULL "user@example.test/talk"
#define DOMAIN   "example.test"
#define BOB_FULL "bob@example.org/phone"

#define WAIT_UNTIL(cond) TALK_TEST_WAIT_UNTIL (cond, TALK_TEST_PEER_TIMEOUT_MS)

typedef struct
{
  TalkTestPeer    *peer;
  TalkXmppSession *session;
  TalkXmppMam     *mam;
  TalkXmppMessage *message;
  GPtrArray       *plain;  /* TalkXmppMessageInfo: "message-received" */
} Fixture;

static void
message_received_cb (TalkXmppMessage     *message,
                     TalkXmppMessageInfo *info,
                     Fixture             *f)
{
  g_ptr_array_add (f->plain, talk_xmpp_message_info_ref (info));
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(TalkXmppJid) jid = talk_xmpp_jid_new (OWN_BARE, NULL);

  f->session = talk_xmpp_session_new (jid);
  g_object_set (f->session, "keepalive-seconds", 0, "auto-reconnect", FALSE, NULL);
  f->message = talk_xmpp_message_new (f->session);
  f->mam = talk_xmpp_mam_new (f->session);
  f->plain = g_ptr_array_new_with_free_func ((GDestroyNotify) talk_xmpp_message_info_unref);
  g_signal_connect (f->message, "message-received", G_CALLBACK (message_received_cb), f);

  f->peer = talk_test_peer_new (f->session, OWN_FULL);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_object (&f->mam);
  g_clear_object (&f->message);
  g_clear_object (&f->session);
  g_clear_pointer (&f->peer, talk_test_peer_free);
  talk_test_run_for (20);
  g_ptr_array_unref (f->plain);
}

/* A query in flight, as the server sees it. */
typedef struct
{
  TalkXmppStanza *iq;
  const char     *queryid;
} Request;

static void
request_clear (Request *request)
{
  g_clear_pointer (&request->iq, talk_xmpp_stanza_unref);
  request->queryid = NULL;
}

static void
expect_request (Fixture *f,
                Request *request)
{
  TalkXmppStanza *query;

  request->iq = talk_test_peer_expect (f->peer, "iq");
  g_assert_cmpstr (talk_xmpp_stanza_get_stanza_type (request->iq), ==, "set");
  g_assert_null (talk_xmpp_stanza_get_to (request->iq));
  query = talk_xmpp_stanza_get_child (request->iq, "query", TALK_XMPP_NS_MAM);
  g_assert_nonnull (query);
  request->queryid = talk_xmpp_stanza_get_attribute (query, "queryid");
  g_assert_nonnull (request->queryid);
  g_assert_cmpuint (strlen (request->queryid), >=, 16);
}

static void
start_query (Fixture        *f,
             const char     *after_id,
             guint           max,
             GAsyncResult  **result,
             Request        *request)
{
  talk_xmpp_mam_query_async (f->mam, NULL, after_id, NULL, NULL, max, NULL,
                             talk_test_store_result_cb, result);
  expect_request (f, request);
}

/* One result message; @from_attr is a whole attribute or "". */
static char *
result_xml (const char *from_attr,
            const char *queryid,
            const char *id,
            const char *body)
{
  return g_strdup_printf ("<message%s to='" OWN_FULL "' id='r-%s'>"
                          "<result xmlns='urn:xmpp:mam:2' queryid='%s' id='%s'>"
                          "<forwarded xmlns='urn:xmpp:forward:0'>"
                          "<delay xmlns='urn:xmpp:delay' stamp='2010-07-10T23:08:%02uZ'/>"
                          "<message xmlns='jabber:client' type='chat' from='" BOB_FULL "'"
                          " to='" OWN_BARE "' id='m-%s'><body>%s</body></message>"
                          "</forwarded></result></message>",
                          from_attr, id, queryid, id, (guint) (strlen (id) % 60), id, body);
}

static void
deliver_result (Fixture    *f,
                const char *from_attr,
                const char *queryid,
                const char *id,
                const char *body)
{
  g_autofree char *xml = result_xml (from_attr, queryid, id, body);

  talk_test_peer_deliver (f->peer, xml);
}

/* The <fin/> for @request. */
static void
send_fin (Fixture    *f,
          Request    *request,
          const char *from_attr,
          gboolean    complete,
          const char *first,
          const char *last,
          int         count)
{
  g_autofree char *set = NULL;
  g_autofree char *count_text = count >= 0 ? g_strdup_printf ("<count>%d</count>", count)
                                           : g_strdup ("");

  if (first != NULL)
    set = g_strdup_printf ("<set xmlns='http://jabber.org/protocol/rsm'>"
                           "<first index='0'>%s</first><last>%s</last>%s</set>",
                           first, last, count_text);
  else
    set = g_strdup_printf ("<set xmlns='http://jabber.org/protocol/rsm'>%s</set>", count_text);

  talk_test_peer_sendf (f->peer, "<iq type='result' id='%s'%s><fin xmlns='urn:xmpp:mam:2'%s>"
                                 "%s</fin></iq>",
                        talk_xmpp_stanza_get_id (request->iq), from_attr,
                        complete ? " complete='true'" : "", set);
}

static TalkXmppMamPage *
finish_query (Fixture       *f,
              GAsyncResult **result)
{
  g_autoptr(GError) error = NULL;
  TalkXmppMamPage *page;

  WAIT_UNTIL (*result != NULL);
  page = talk_xmpp_mam_query_finish (f->mam, *result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (page);
  g_clear_object (result);
  return page;
}

static const char *
nth_body (TalkXmppMamPage *page,
          guint            n)
{
  return talk_xmpp_message_info_get_body (g_ptr_array_index (talk_xmpp_mam_page_get_messages (page),
                                                             n));
}

static guint
n_messages (TalkXmppMamPage *page)
{
  return talk_xmpp_mam_page_get_messages (page)->len;
}

/* The query */

/* @iq serialised without its random id and queryid. */
static char *
query_to_string (TalkXmppStanza *iq)
{
  g_autoptr(TalkXmppStanza) copy = talk_xmpp_stanza_copy (iq);

  talk_xmpp_stanza_set_attribute (copy, "id", NULL);
  talk_xmpp_stanza_set_attribute (talk_xmpp_stanza_get_child (copy, "query", NULL), "queryid",
                                  NULL);
  return talk_xmpp_stanza_to_string (copy, TALK_XMPP_NS_CLIENT);
}

static void
test_query_shape (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GTimeZone) zone = g_time_zone_new_offset (2 * 3600);
  g_autoptr(GDateTime) start = g_date_time_new (zone, 2010, 8, 7, 2, 0, 0);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(TalkXmppMamPage) page = NULL;
  g_autofree char *xml = NULL;
  Request request = { 0 };
  Request other = { 0 };

  talk_xmpp_mam_query_async (f->mam, "Juliet@Capulet.LIT", "09af3", NULL, start, 10, NULL,
                             talk_test_store_result_cb, &result);
  expect_request (f, &request);
  xml = query_to_string (request.iq);
  g_assert_cmpstr (xml, ==,
                   "<iq type='set'><query xmlns='urn:xmpp:mam:2'>"
                   "<x xmlns='jabber:x:data' type='submit'>"
                   "<field var='FORM_TYPE' type='hidden'><value>urn:xmpp:mam:2</value></field>"
                   "<field var='with'><value>juliet@capulet.lit</value></field>"
                   "<field var='start'><value>2010-08-07T00:00:00Z</value></field>"
                   "</x>"
                   "<set xmlns='http://jabber.org/protocol/rsm'><max>10</max>"
                   "<after>09af3</after></set></query></iq>");
  send_fin (f, &request, "", TRUE, NULL, NULL, 0);
  page = finish_query (f, &result);
  g_assert_cmpuint (n_messages (page), ==, 0);
  g_assert_true (talk_xmpp_mam_page_get_complete (page));
  g_assert_null (talk_xmpp_mam_page_get_first (page));
  g_assert_null (talk_xmpp_mam_page_get_last (page));
  g_assert_cmpint (talk_xmpp_mam_page_get_count (page), ==, 0);
  g_clear_pointer (&page, talk_xmpp_mam_page_unref);
  g_clear_pointer (&xml, g_free);

  /* The last page (XEP-0059 §2.5); the page size clamped; a fresh queryid */
  talk_xmpp_mam_query_async (f->mam, NULL, NULL, "", NULL, 100000, NULL,
                             talk_test_store_result_cb, &result);
  expect_request (f, &other);
  xml = query_to_string (other.iq);
  g_assert_cmpstr (xml, ==,
                   "<iq type='set'><query xmlns='urn:xmpp:mam:2'>"
                   "<x xmlns='jabber:x:data' type='submit'>"
                   "<field var='FORM_TYPE' type='hidden'><value>urn:xmpp:mam:2</value></field>"
                   "</x>"
                   "<set xmlns='http://jabber.org/protocol/rsm'><max>250</max>"
                   "<before/></set></query></iq>");
  g_assert_cmpstr (other.queryid, !=, request.queryid);
  send_fin (f, &other, "", TRUE, NULL, NULL, -1);
  page = finish_query (f, &result);
  g_assert_cmpint (talk_xmpp_mam_page_get_count (page), ==, -1);
  g_clear_pointer (&page, talk_xmpp_mam_page_unref);
  g_clear_pointer (&xml, g_free);
  request_clear (&other);

  talk_xmpp_mam_query_async (f->mam, NULL, NULL, "5d398", NULL, 0, NULL,
                             talk_test_store_result_cb, &result);
  expect_request (f, &other);
  xml = query_to_string (other.iq);
  g_assert_nonnull (strstr (xml, "<max>1</max><before>5d398</before></set>"));
  send_fin (f, &other, "", TRUE, NULL, NULL, -1);
  page = finish_query (f, &result);

  request_clear (&request);
  request_clear (&other);
}

static void
test_query_invalid_with (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(TalkXmppMamPage) page = NULL;
  g_autoptr(GError) error = NULL;

  talk_xmpp_mam_query_async (f->mam, "a@b@c", NULL, NULL, NULL, 10, NULL,
                             talk_test_store_result_cb, &result);
  WAIT_UNTIL (result != NULL);
  page = talk_xmpp_mam_query_finish (f->mam, result, &error);
  g_assert_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_INVALID_JID);
  g_assert_null (page);
  talk_test_run_for (20);
  g_assert_cmpuint (talk_test_peer_get_n_pending (f->peer), ==, 0);
}

/* Results that are taken */

static void
test_results (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(TalkXmppMamPage) page = NULL;
  g_autofree char *stamp = NULL;
  TalkXmppMessageInfo *info;
  Request request = { 0 };

  start_query (f, NULL, 10, &result, &request);
  deliver_result (f, "", request.queryid, "a1", "one");
  deliver_result (f, " from='" OWN_BARE "'", request.queryid, "a22", "two");
  deliver_result (f, " from='User@EXAMPLE.test'", request.queryid, "a333", "three");
  send_fin (f, &request, " from='" OWN_BARE "'", TRUE, "a1", "a333", 3);
  page = finish_query (f, &result);

  g_assert_cmpuint (n_messages (page), ==, 3);
  g_assert_cmpstr (nth_body (page, 0), ==, "one");
  g_assert_cmpstr (nth_body (page, 1), ==, "two");
  g_assert_cmpstr (nth_body (page, 2), ==, "three");
  g_assert_true (talk_xmpp_mam_page_get_complete (page));
  g_assert_cmpstr (talk_xmpp_mam_page_get_first (page), ==, "a1");
  g_assert_cmpstr (talk_xmpp_mam_page_get_last (page), ==, "a333");
  g_assert_cmpint (talk_xmpp_mam_page_get_count (page), ==, 3);

  /* The archive id is the stanza-id, the archive's time the delay */
  info = g_ptr_array_index (talk_xmpp_mam_page_get_messages (page), 1);
  g_assert_cmpstr (talk_xmpp_message_info_get_stanza_id (info), ==, "a22");
  g_assert_cmpstr (talk_xmpp_message_info_get_stanza_id_by (info), ==, OWN_BARE);
  g_assert_cmpstr (talk_xmpp_message_info_get_id (info), ==, "m-a22");
  g_assert_cmpstr (talk_xmpp_message_info_get_from (info), ==, BOB_FULL);
  stamp = g_date_time_format_iso8601 (talk_xmpp_message_info_get_delay (info));
  g_assert_cmpstr (stamp, ==, "2010-07-10T23:08:03Z");
  g_assert_true (talk_xmpp_message_info_get_forwarded (info));

  /* Never passed off as live messages */
  g_assert_cmpuint (f->plain->len, ==, 0);
  request_clear (&request);
}

static void
test_paging (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(TalkXmppMamPage) page = NULL;
  g_autofree char *after = NULL;
  Request request = { 0 };
  TalkXmppStanza *set;

  start_query (f, NULL, 2, &result, &request);
  deliver_result (f, "", request.queryid, "a1", "one");
  deliver_result (f, "", request.queryid, "a2", "two");
  send_fin (f, &request, "", FALSE, "a1", "a2", 3);
  page = finish_query (f, &result);
  g_assert_false (talk_xmpp_mam_page_get_complete (page));
  g_assert_cmpuint (n_messages (page), ==, 2);
  request_clear (&request);

  /* XEP-0059 §2.2: after the last one */
  start_query (f, talk_xmpp_mam_page_get_last (page), 2, &result, &request);
  set = talk_xmpp_stanza_get_child (talk_xmpp_stanza_get_child (request.iq, "query", NULL),
                                    "set", TALK_XMPP_NS_RSM);
  after = talk_xmpp_stanza_dup_child_text (set, "after", NULL);
  g_assert_cmpstr (after, ==, "a2");
  g_clear_pointer (&page, talk_xmpp_mam_page_unref);
  deliver_result (f, "", request.queryid, "a3", "three");
  send_fin (f, &request, "", TRUE, "a3", "a3", 3);
  page = finish_query (f, &result);
  g_assert_true (talk_xmpp_mam_page_get_complete (page));
  g_assert_cmpuint (n_messages (page), ==, 1);
  g_assert_cmpstr (nth_body (page, 0), ==, "three");
  request_clear (&request);
}

/* Two queries at once: each result goes to its own. */
static void
test_concurrent (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GAsyncResult) result1 = NULL;
  g_autoptr(GAsyncResult) result2 = NULL;
  g_autoptr(TalkXmppMamPage) page1 = NULL;
  g_autoptr(TalkXmppMamPage) page2 = NULL;
  Request request1 = { 0 };
  Request request2 = { 0 };

  start_query (f, NULL, 10, &result1, &request1);
  start_query (f, NULL, 10, &result2, &request2);
  deliver_result (f, "", request2.queryid, "b1", "for two");
  deliver_result (f, "", request1.queryid, "a1", "for one");
  send_fin (f, &request2, "", TRUE, "b1", "b1", -1);
  send_fin (f, &request1, "", TRUE, "a1", "a1", -1);
  page1 = finish_query (f, &result1);
  page2 = finish_query (f, &result2);
  g_assert_cmpuint (n_messages (page1), ==, 1);
  g_assert_cmpstr (nth_body (page1, 0), ==, "for one");
  g_assert_cmpuint (n_messages (page2), ==, 1);
  g_assert_cmpstr (nth_body (page2, 0), ==, "for two");
  request_clear (&request1);
  request_clear (&request2);
}

/* Results that are dropped */

/* CVE-2019-16237: a contact (or anyone but the account) plays archive. */
static void
test_foreign_sender (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(TalkXmppMamPage) page = NULL;
  Request request = { 0 };
  const char *senders[] = {
    "bob@example.org", BOB_FULL, DOMAIN, OWN_FULL, "user@example.test/other",
  };

  start_query (f, NULL, 10, &result, &request);
  for (guint i = 0; i < G_N_ELEMENTS (senders); i++)
    {
      g_autofree char *from_attr = g_strdup_printf (" from='%s'", senders[i]);
      g_autofree char *pattern = g_strdup_printf ("Dropping an archive result from %s:*",
                                                  senders[i]);

      g_test_expect_message ("talk-xmpp", G_LOG_LEVEL_WARNING, pattern);
      deliver_result (f, from_attr, request.queryid, "evil", "forged");
      g_test_assert_expected_messages ();
    }
  deliver_result (f, "", request.queryid, "a1", "real");
  send_fin (f, &request, "", TRUE, "a1", "a1", 1);
  page = finish_query (f, &result);

  g_assert_cmpuint (n_messages (page), ==, 1);
  g_assert_cmpstr (nth_body (page, 0), ==, "real");
  g_assert_cmpuint (f->plain->len, ==, 0);
  request_clear (&request);
}

static void
test_wrong_queryid (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(TalkXmppMamPage) page = NULL;
  Request request = { 0 };

  start_query (f, NULL, 10, &result, &request);
  g_test_expect_message ("talk-xmpp", G_LOG_LEVEL_WARNING,
                         "Dropping an archive result for query guessed: no such query is open");
  deliver_result (f, "", "guessed", "evil", "forged");
  g_test_assert_expected_messages ();

  /* No queryid at all */
  g_test_expect_message ("talk-xmpp", G_LOG_LEVEL_WARNING,
                         "Dropping an archive result for query (none):*");
  talk_test_peer_deliver (f->peer, "<message><result xmlns='urn:xmpp:mam:2' id='x'>"
                                   "<forwarded xmlns='urn:xmpp:forward:0'>"
                                   "<message xmlns='jabber:client'><body>forged</body>"
                                   "</message></forwarded></result></message>");
  g_test_assert_expected_messages ();

  send_fin (f, &request, "", TRUE, NULL, NULL, 0);
  page = finish_query (f, &result);
  g_assert_cmpuint (n_messages (page), ==, 0);
  g_assert_cmpuint (f->plain->len, ==, 0);
  request_clear (&request);
}

static void
test_unsolicited (Fixture       *f,
                  gconstpointer  data)
{
  g_test_expect_message ("talk-xmpp", G_LOG_LEVEL_WARNING,
                         "Dropping an archive result for query q1: no such query is open");
  deliver_result (f, " from='" OWN_BARE "'", "q1", "a1", "unsolicited");
  g_test_assert_expected_messages ();
  g_assert_cmpuint (f->plain->len, ==, 0);
}

/* Results after the <fin/> belong to a closed query: quietly dropped. */
static void
test_late_result (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(TalkXmppMamPage) page = NULL;
  Request request = { 0 };

  start_query (f, NULL, 10, &result, &request);
  send_fin (f, &request, "", TRUE, NULL, NULL, 0);
  page = finish_query (f, &result);
  deliver_result (f, "", request.queryid, "a1", "late");
  g_assert_cmpuint (n_messages (page), ==, 0);
  request_clear (&request);
}

static void
test_overflow (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(TalkXmppMamPage) page = NULL;
  Request request = { 0 };

  start_query (f, NULL, 2, &result, &request);
  deliver_result (f, "", request.queryid, "a1", "one");
  deliver_result (f, "", request.queryid, "a2", "two");
  g_test_expect_message ("talk-xmpp", G_LOG_LEVEL_WARNING,
                         "Dropping archive results beyond the 2 asked for");
  deliver_result (f, "", request.queryid, "a3", "three");
  deliver_result (f, "", request.queryid, "a4", "four");
  g_test_assert_expected_messages ();
  send_fin (f, &request, "", TRUE, "a1", "a4", 4);
  page = finish_query (f, &result);
  g_assert_cmpuint (n_messages (page), ==, 2);
  request_clear (&request);
}

static void
test_malformed_results (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(TalkXmppMamPage) page = NULL;
  g_autofree char *long_id = g_strnfill (TALK_XMPP_MESSAGE_MAX_ID_BYTES + 1, 'x');
  Request request = { 0 };

  start_query (f, NULL, 10, &result, &request);
  /* No forwarded message, no archive id, one too long, a bad address */
  talk_test_peer_sendf (f->peer, "<message><result xmlns='urn:xmpp:mam:2' queryid='%s' id='x1'/>"
                                 "</message>", request.queryid);
  talk_test_peer_sendf (f->peer, "<message><result xmlns='urn:xmpp:mam:2' queryid='%s'>"
                                 "<forwarded xmlns='urn:xmpp:forward:0'>"
                                 "<message xmlns='jabber:client'><body>x2</body></message>"
                                 "</forwarded></result></message>", request.queryid);
  deliver_result (f, "", request.queryid, long_id, "x3");
  talk_test_peer_sendf (f->peer, "<message><result xmlns='urn:xmpp:mam:2' queryid='%s' id='x4'>"
                                 "<forwarded xmlns='urn:xmpp:forward:0'>"
                                 "<message xmlns='jabber:client' from='a@@b'><body>x4</body>"
                                 "</message></forwarded></result></message>", request.queryid);
  deliver_result (f, "", request.queryid, "ok", "fine");
  send_fin (f, &request, "", TRUE, "ok", "ok", -1);
  page = finish_query (f, &result);
  g_assert_cmpuint (n_messages (page), ==, 1);
  g_assert_cmpstr (nth_body (page, 0), ==, "fine");
  request_clear (&request);
}

/* The <fin/> */

/* The IQ tracker: a fin from someone else does not end the query. */
static void
test_forged_fin (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(TalkXmppMamPage) page = NULL;
  Request request = { 0 };

  start_query (f, NULL, 10, &result, &request);
  g_test_expect_message ("talk-xmpp", G_LOG_LEVEL_WARNING, "Ignoring IQ reply from mallory*");
  send_fin (f, &request, " from='mallory@evil.example'", TRUE, "e1", "e1", 1);
  talk_test_run_for (50);
  g_test_assert_expected_messages ();
  g_assert_null (result);

  deliver_result (f, "", request.queryid, "a1", "real");
  send_fin (f, &request, "", TRUE, "a1", "a1", 1);
  page = finish_query (f, &result);
  g_assert_cmpuint (n_messages (page), ==, 1);
  g_assert_cmpstr (talk_xmpp_mam_page_get_last (page), ==, "a1");
  request_clear (&request);
}

static void
test_no_fin (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(TalkXmppMamPage) page = NULL;
  g_autoptr(GError) error = NULL;
  Request request = { 0 };

  start_query (f, NULL, 10, &result, &request);
  talk_test_peer_sendf (f->peer, "<iq type='result' id='%s'/>",
                        talk_xmpp_stanza_get_id (request.iq));
  WAIT_UNTIL (result != NULL);
  page = talk_xmpp_mam_query_finish (f->mam, result, &error);
  g_assert_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_PROTOCOL);
  g_assert_null (page);
  request_clear (&request);
}

static void
test_error_reply (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(TalkXmppMamPage) page = NULL;
  g_autoptr(GError) error = NULL;
  Request request = { 0 };

  start_query (f, "gone-id", 10, &result, &request);
  talk_test_peer_sendf (f->peer, "<iq type='error' id='%s'><error type='cancel'>"
                                 "<item-not-found xmlns='" TALK_XMPP_NS_STANZAS "'/>"
                                 "</error></iq>", talk_xmpp_stanza_get_id (request.iq));
  WAIT_UNTIL (result != NULL);
  page = talk_xmpp_mam_query_finish (f->mam, result, &error);
  g_assert_error (error, TALK_XMPP_STANZA_ERROR, TALK_XMPP_STANZA_ERROR_ITEM_NOT_FOUND);
  g_assert_null (page);
  request_clear (&request);
}

static void
test_cancelled (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(TalkXmppMamPage) page = NULL;
  g_autoptr(GError) error = NULL;
  Request request = { 0 };

  talk_xmpp_mam_query_async (f->mam, NULL, NULL, NULL, NULL, 10, cancellable,
                             talk_test_store_result_cb, &result);
  expect_request (f, &request);
  g_cancellable_cancel (cancellable);
  WAIT_UNTIL (result != NULL);
  page = talk_xmpp_mam_query_finish (f->mam, result, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (page);

  /* The server goes on answering: expected, not an attack */
  deliver_result (f, "", request.queryid, "a1", "late");
  send_fin (f, &request, "", TRUE, "a1", "a1", 1);
  talk_test_run_for (20);
  request_clear (&request);
}

static void
test_offline (void)
{
  g_autoptr(TalkXmppJid) jid = talk_xmpp_jid_new (OWN_BARE, NULL);
  g_autoptr(TalkXmppSession) session = talk_xmpp_session_new (jid);
  g_autoptr(TalkXmppMam) mam = talk_xmpp_mam_new (session);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(TalkXmppMamPage) page = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (talk_xmpp_mam_get_session (mam) == session);
  talk_xmpp_mam_query_async (mam, NULL, NULL, NULL, NULL, 10, NULL,
                             talk_test_store_result_cb, &result);
  WAIT_UNTIL (result != NULL);
  page = talk_xmpp_mam_query_finish (mam, result, &error);
  g_assert_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_NOT_CONNECTED);
  g_assert_null (page);
}

/* Catching up */

static TalkXmppMamPage *
finish_catch_up (Fixture       *f,
                 GAsyncResult **result)
{
  g_autoptr(GError) error = NULL;
  TalkXmppMamPage *page;

  WAIT_UNTIL (*result != NULL);
  page = talk_xmpp_mam_catch_up_finish (f->mam, *result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (page);
  g_clear_object (result);
  return page;
}

static char *
request_after (Request *request)
{
  TalkXmppStanza *query = talk_xmpp_stanza_get_child (request->iq, "query", TALK_XMPP_NS_MAM);
  TalkXmppStanza *set = talk_xmpp_stanza_get_child (query, "set", TALK_XMPP_NS_RSM);
  g_autofree char *max = talk_xmpp_stanza_dup_child_text (set, "max", NULL);

  g_assert_cmpstr (max, ==, "2");
  return talk_xmpp_stanza_dup_child_text (set, "after", NULL);
}

/* Five messages after "a0", two a page. */
static void
test_catch_up (Fixture       *f,
               gconstpointer  data)
{
  static const char * const ids[] = { "a1", "a2", "a3", "a4", "a5" };
  const char *expected_after = "a0";
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(TalkXmppMamPage) page = NULL;

  talk_xmpp_mam_catch_up_async (f->mam, "a0", 2, 10, NULL, talk_test_store_result_cb, &result);
  for (guint i = 0; i < G_N_ELEMENTS (ids); i += 2)
    {
      g_autofree char *after = NULL;
      guint n = MIN (2, G_N_ELEMENTS (ids) - i);
      Request request = { 0 };

      expect_request (f, &request);
      after = request_after (&request);
      g_assert_cmpstr (after, ==, expected_after);
      for (guint j = 0; j < n; j++)
        deliver_result (f, "", request.queryid, ids[i + j], ids[i + j]);
      send_fin (f, &request, "", i + n == G_N_ELEMENTS (ids), ids[i], ids[i + n - 1], 5);
      expected_after = ids[i + n - 1];
      request_clear (&request);
    }

  page = finish_catch_up (f, &result);
  g_assert_true (talk_xmpp_mam_page_get_complete (page));
  g_assert_cmpuint (n_messages (page), ==, 5);
  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    g_assert_cmpstr (nth_body (page, i), ==, ids[i]);
  g_assert_cmpstr (talk_xmpp_mam_page_get_first (page), ==, "a1");
  g_assert_cmpstr (talk_xmpp_mam_page_get_last (page), ==, "a5");
  g_assert_cmpint (talk_xmpp_mam_page_get_count (page), ==, 5);
}

static void
test_catch_up_page_limit (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(TalkXmppMamPage) page = NULL;
  g_autofree char *after = NULL;
  Request request = { 0 };

  /* From the beginning of the archive: no <after/> */
  talk_xmpp_mam_catch_up_async (f->mam, NULL, 2, 2, NULL, talk_test_store_result_cb, &result);
  expect_request (f, &request);
  after = request_after (&request);
  g_assert_null (after);
  deliver_result (f, "", request.queryid, "a1", "one");
  deliver_result (f, "", request.queryid, "a2", "two");
  send_fin (f, &request, "", FALSE, "a1", "a2", -1);
  request_clear (&request);

  expect_request (f, &request);
  deliver_result (f, "", request.queryid, "a3", "three");
  deliver_result (f, "", request.queryid, "a4", "four");
  send_fin (f, &request, "", FALSE, "a3", "a4", -1);
  request_clear (&request);

  /* Two pages and no more, even though the archive has more */
  page = finish_catch_up (f, &result);
  g_assert_false (talk_xmpp_mam_page_get_complete (page));
  g_assert_cmpuint (n_messages (page), ==, 4);
  g_assert_cmpstr (talk_xmpp_mam_page_get_last (page), ==, "a4");
  talk_test_run_for (20);
  g_assert_cmpuint (talk_test_peer_get_n_pending (f->peer), ==, 0);
}

/* A server that says "more" but gives nothing ends the catch-up. */
static void
test_catch_up_no_progress (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(TalkXmppMamPage) page = NULL;
  Request request = { 0 };

  talk_xmpp_mam_catch_up_async (f->mam, "a9", 2, 100, NULL, talk_test_store_result_cb, &result);
  expect_request (f, &request);
  send_fin (f, &request, "", FALSE, NULL, NULL, -1);
  request_clear (&request);

  page = finish_catch_up (f, &result);
  g_assert_false (talk_xmpp_mam_page_get_complete (page));
  g_assert_cmpuint (n_messages (page), ==, 0);
  /* Where to go on from next time: where it started */
  g_assert_cmpstr (talk_xmpp_mam_page_get_last (page), ==, "a9");
  talk_test_run_for (20);
  g_assert_cmpuint (talk_test_peer_get_n_pending (f->peer), ==, 0);
}

static void
test_catch_up_error (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(TalkXmppMamPage) page = NULL;
  g_autoptr(GError) error = NULL;
  Request request = { 0 };

  talk_xmpp_mam_catch_up_async (f->mam, "expired", 2, 10, NULL, talk_test_store_result_cb,
                                &result);
  expect_request (f, &request);
  talk_test_peer_sendf (f->peer, "<iq type='error' id='%s'><error type='cancel'>"
                                 "<item-not-found xmlns='" TALK_XMPP_NS_STANZAS "'/>"
                                 "</error></iq>", talk_xmpp_stanza_get_id (request.iq));
  WAIT_UNTIL (result != NULL);
  page = talk_xmpp_mam_catch_up_finish (f->mam, result, &error);
  g_assert_error (error, TALK_XMPP_STANZA_ERROR, TALK_XMPP_STANZA_ERROR_ITEM_NOT_FOUND);
  g_assert_null (page);
  request_clear (&request);
}

/* The module lets go of the session's handler table when it goes. */
static void
test_dispose (Fixture       *f,
              gconstpointer  data)
{
  g_clear_object (&f->mam);
  deliver_result (f, "", "q1", "a1", "after dispose");
  g_assert_cmpuint (f->plain->len, ==, 0);
}

#define ADD(path, func) \
  g_test_add ("/talk/xmpp/mam/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

int
main (int   argc,
      char *argv[])
{
  g_setenv ("GIO_USE_NETWORK_MONITOR", "base", TRUE);
  g_test_init (&argc, &argv, NULL);

  ADD ("query-shape", test_query_shape);
  ADD ("query-invalid-with", test_query_invalid_with);
  ADD ("results", test_results);
  ADD ("paging", test_paging);
  ADD ("concurrent", test_concurrent);
  ADD ("foreign-sender", test_foreign_sender);
  ADD ("wrong-queryid", test_wrong_queryid);
  ADD ("unsolicited", test_unsolicited);
  ADD ("late-result", test_late_result);
  ADD ("overflow", test_overflow);
  ADD ("malformed-results", test_malformed_results);
  ADD ("forged-fin", test_forged_fin);
  ADD ("no-fin", test_no_fin);
  ADD ("error-reply", test_error_reply);
  ADD ("cancelled", test_cancelled);
  g_test_add_func ("/talk/xmpp/mam/offline", test_offline);
  ADD ("catch-up", test_catch_up);
  ADD ("catch-up-page-limit", test_catch_up_page_limit);
  ADD ("catch-up-no-progress", test_catch_up_no_progress);
  ADD ("catch-up-error", test_catch_up_error);
  ADD ("dispose", test_dispose);

  return g_test_run ();
}
