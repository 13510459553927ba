/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "talk-xmpp-message.h"
#include "talk-xmpp-session.h"
#include "talk-xmpp-stanza.h"

G_BEGIN_DECLS

#define TALK_XMPP_NS_MAM  "urn:xmpp:mam:2"
#define TALK_XMPP_NS_RSM  "http://jabber.org/protocol/rsm"
#define TALK_XMPP_NS_DATA "jabber:x:data"

/* The largest page asked for. Each result may hold a body of up to the
 * reader's stanza limit, so pages stay small. */
#define TALK_XMPP_MAM_MAX_PAGE_SIZE 250

#define TALK_XMPP_TYPE_MAM_PAGE (talk_xmpp_mam_page_get_type ())

/**
 * TalkXmppMamPage:
 *
 * What one archive query returned (XEP-0313 #results and XEP-0059 §2),
 * immutable and reference-counted: the messages in archive order, each
 * with the archive id as its stanza-id (by the own bare JID) and the
 * archive's timestamp as its delay; whether the end of the query range was
 * reached; the RSM ids of the first and last result, to page on from.
 */
typedef struct _TalkXmppMamPage TalkXmppMamPage;

GType              talk_xmpp_mam_page_get_type     (void) G_GNUC_CONST;
TalkXmppMamPage   *talk_xmpp_mam_page_ref          (TalkXmppMamPage *self);
void               talk_xmpp_mam_page_unref        (TalkXmppMamPage *self);

/* (transfer none) (element-type TalkXmppMessageInfo): never %NULL */
GPtrArray         *talk_xmpp_mam_page_get_messages (TalkXmppMamPage *self);
/* XEP-0313 #query-paging: no more results in the direction of the query */
gboolean           talk_xmpp_mam_page_get_complete (TalkXmppMamPage *self);
/* (nullable): the RSM <first/>, %NULL for an empty page */
const char        *talk_xmpp_mam_page_get_first    (TalkXmppMamPage *self);
/* (nullable): the RSM <last/>, %NULL for an empty page */
const char        *talk_xmpp_mam_page_get_last     (TalkXmppMamPage *self);
/* The RSM <count/> of the whole range, or -1 when the server gave none */
gint64             talk_xmpp_mam_page_get_count    (TalkXmppMamPage *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TalkXmppMamPage, talk_xmpp_mam_page_unref)

#define TALK_XMPP_TYPE_MAM (talk_xmpp_mam_get_type ())
G_DECLARE_FINAL_TYPE (TalkXmppMam, talk_xmpp_mam, TALK_XMPP, MAM, GObject)

/**
 * TalkXmppMam:
 *
 * Queries of the user's own message archive (XEP-0313, urn:xmpp:mam:2).
 *
 * A result is taken only when its queryid is that of a query this object
 * has open and the message carrying it comes from the own account (no
 * `from`, or the own bare JID): XEP-0313 #security-impersonation and
 * SECURITY.md §1.1 (CVE-2019-16237, CVE-2020-26547). Everything else is
 * dropped and logged with g_warning(). The `<fin/>` must come back from the account as well,
 * which the session's IQ tracker sees to.
 */
TalkXmppMam     *talk_xmpp_mam_new               (TalkXmppSession *session);

/* (transfer none) */
TalkXmppSession *talk_xmpp_mam_get_session       (TalkXmppMam *self);

/**
 * talk_xmpp_mam_query_async:
 * @with: (nullable): only messages exchanged with this JID
 * @after_id: (nullable): only messages after the one with this archive id
 *   (XEP-0059 §2.2, paging forwards)
 * @before_id: (nullable): only messages before the one with this archive
 *   id (XEP-0059 §2.5, paging backwards); "" asks for the last page
 * @start: (nullable): only messages archived at or after this time
 * @max: the page size, 1 to %TALK_XMPP_MAM_MAX_PAGE_SIZE (clamped)
 *
 * Asks for one page of the archive (XEP-0313 #query) under a new,
 * unguessable queryid. Results beyond @max are dropped. @after_id and
 * @before_id together are undefined (XEP-0313 #impl).
 */
void             talk_xmpp_mam_query_async       (TalkXmppMam         *self,
                                                  const char          *with,
                                                  const char          *after_id,
                                                  const char          *before_id,
                                                  GDateTime           *start,
                                                  guint                max,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);

/**
 * talk_xmpp_mam_query_finish:
 * @error: %TALK_XMPP_ERROR_INVALID_JID for a bad @with; the server's error
 *   in %TALK_XMPP_STANZA_ERROR (item-not-found when an id is not in the
 *   archive any more); %TALK_XMPP_ERROR_PROTOCOL for a reply without
 *   `<fin/>`
 *
 * Returns: (transfer full) (nullable): the page
 */
TalkXmppMamPage *talk_xmpp_mam_query_finish      (TalkXmppMam   *self,
                                                  GAsyncResult  *result,
                                                  GError       **error);

/**
 * talk_xmpp_mam_catch_up_async:
 * @after_id: (nullable): the archive id of the newest message the caller
 *   holds; %NULL reads the archive from its beginning
 * @page_size: as @max of talk_xmpp_mam_query_async()
 * @max_pages: stop after this many pages even when more are left (at
 *   least 1)
 *
 * Pages forwards from @after_id until the archive says it is complete, or
 * @max_pages pages were read. The messages of all pages come back as one
 * page: complete when the end was reached; its last id is where to catch up
 * from next time. A server that stops making progress (an empty page, or
 * the same last id again) ends the catch-up.
 */
void             talk_xmpp_mam_catch_up_async    (TalkXmppMam         *self,
                                                  const char          *after_id,
                                                  guint                page_size,
                                                  guint                max_pages,
                                                  GCancellable        *cancellable,
                                                  GAsyncReadyCallback  callback,
                                                  gpointer             user_data);
/* Returns: (transfer full) (nullable) */
TalkXmppMamPage *talk_xmpp_mam_catch_up_finish   (TalkXmppMam   *self,
                                                  GAsyncResult  *result,
                                                  GError       **error);

G_END_DECLS
