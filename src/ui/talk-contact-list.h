/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "talk-contact.h"

G_BEGIN_DECLS

#define TALK_TYPE_CONTACT_LIST (talk_contact_list_get_type ())
G_DECLARE_FINAL_TYPE (TalkContactList, talk_contact_list, TALK, CONTACT_LIST, AdwBin)

/**
 * TalkContactList:
 *
 * The contact list: a GtkListView over "model" (a GListModel of
 * TalkContact, usually TalkClient "roster"), filtered by
 * "search-text" (display name or JID, case-insensitive), online
 * contacts first, then by display name. Contacts with roster groups are
 * shown under foldable group headers ("Contacts" gathers those without
 * a group); a roster without groups is one flat list.
 *
 * Signals: "contact-activated" (TalkContact) when a contact row is
 * clicked or Enter is pressed on it.
 */
GtkWidget   *talk_contact_list_new             (void);

GListModel  *talk_contact_list_get_model       (TalkContactList *self);
void         talk_contact_list_set_model       (TalkContactList *self,
                                                GListModel      *model);
const char  *talk_contact_list_get_search_text (TalkContactList *self);
void         talk_contact_list_set_search_text (TalkContactList *self,
                                                const char      *text);
/* Activates the first contact listed. Returns: whether there was one */
gboolean     talk_contact_list_activate_first  (TalkContactList *self);

G_END_DECLS
