/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * TalkContact: display name, initials, the XEP-0392 colour and the
 * aggregation of per-resource presence.
 */

#include "config.h"

#include <string.h>

#include "talk-avatar-color.h"
#include "talk-contact.h"

static void
count_notify_cb (GObject    *object,
                 GParamSpec *pspec,
                 GHashTable *counts)
{
  const char *name = g_param_spec_get_name (pspec);
  guint count = GPOINTER_TO_UINT (g_hash_table_lookup (counts, name));

  g_hash_table_insert (counts, (gpointer) name, GUINT_TO_POINTER (count + 1));
}

static guint
notified (GHashTable *counts,
          const char *name)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (counts, name));
}

static GHashTable *
watch_notify (TalkContact *contact)
{
  GHashTable *counts = g_hash_table_new (g_str_hash, g_str_equal);

  g_signal_connect (contact, "notify", G_CALLBACK (count_notify_cb), counts);
  return counts;
}

static TalkXmppRosterItem *
make_item (const char           *jid,
           const char           *name,
           const char * const   *groups,
           TalkXmppSubscription  subscription,
           gboolean              ask)
{
  g_autoptr(GError) error = NULL;
  TalkXmppRosterItem *item = talk_xmpp_roster_item_new (jid, name, groups, subscription, ask,
                                                        &error);

  g_assert_no_error (error);
  return item;
}

static void
test_display_name (void)
{
  g_autoptr(TalkContact) contact = talk_contact_new ("Alice@Example.TEST");
  g_autoptr(TalkContact) service = talk_contact_new ("irc.example.test");
  g_autoptr(TalkXmppRosterItem) named = make_item ("alice@example.test", "Alice Smith", NULL,
                                                   TALK_XMPP_SUBSCRIPTION_BOTH, FALSE);
  g_autoptr(TalkXmppRosterItem) unnamed = make_item ("alice@example.test", "", NULL,
                                                     TALK_XMPP_SUBSCRIPTION_BOTH, FALSE);
  g_autoptr(GHashTable) counts = watch_notify (contact);
  g_autofree char *display = NULL;

  /* The JID is normalised; without a roster name, its localpart */
  g_assert_cmpstr (talk_contact_get_jid (contact), ==, "alice@example.test");
  g_assert_null (talk_contact_get_name (contact));
  g_assert_cmpstr (talk_contact_get_display_name (contact), ==, "alice");
  g_assert_cmpstr (talk_contact_get_initials (contact), ==, "A");

  /* A JID without localpart shows whole */
  g_assert_cmpstr (talk_contact_get_display_name (service), ==, "irc.example.test");
  g_assert_cmpstr (talk_contact_get_initials (service), ==, "I");

  g_assert_true (talk_contact_set_item (contact, named));
  g_assert_cmpstr (talk_contact_get_name (contact), ==, "Alice Smith");
  g_assert_cmpstr (talk_contact_get_display_name (contact), ==, "Alice Smith");
  g_assert_cmpstr (talk_contact_get_initials (contact), ==, "AS");
  g_assert_cmpuint (notified (counts, "name"), ==, 1);
  g_assert_cmpuint (notified (counts, "display-name"), ==, 1);
  g_assert_cmpuint (notified (counts, "initials"), ==, 1);

  g_object_get (contact, "display-name", &display, NULL);
  g_assert_cmpstr (display, ==, "Alice Smith");

  /* The same item again changes nothing and notifies nothing */
  g_assert_false (talk_contact_set_item (contact, named));
  g_assert_cmpuint (notified (counts, "name"), ==, 1);

  /* An empty roster name is none */
  g_assert_true (talk_contact_set_item (contact, unnamed));
  g_assert_null (talk_contact_get_name (contact));
  g_assert_cmpstr (talk_contact_get_display_name (contact), ==, "alice");
  g_assert_cmpuint (notified (counts, "display-name"), ==, 2);

  g_signal_handlers_disconnect_by_func (contact, count_notify_cb, counts);
}

static void
test_initials (void)
{
  const struct {
    const char *name;
    const char *initials;
  } cases[] = {
    { "Alice Smith", "AS" },
    { "alice", "A" },
    { "  bob  ", "B" },
    { "alice mary smith", "AS" },
    { "Jean-Luc Picard", "JP" },
    { "(Bob) Marley", "BM" },
    { "\xc3\xa9lodie durand", "\xc3\x89" "D" },           /* élodie → É */
    { "e\xcc\x81lodie", "\xc3\x89" },                     /* decomposed é, NFC first */
    { "\xf0\x9f\x98\xba Cat", "\xf0\x9f\x98\xba" "C" },   /* a word without letters */
    { "\xe5\xbc\xa0\xe4\xbc\x9f", "\xe5\xbc\xa0" },       /* 张伟 */
    { "42 things", "4T" },
    { "", "" },
    { "   ", "" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *initials = talk_contact_compute_initials (cases[i].name);

      g_assert_cmpstr (initials, ==, cases[i].initials);
    }
}

/* XEP-0392 §"Test Vectors", no colour vision deficiency correction:
 * text, angle, r, g, b. */
static const struct {
  const char *text;
  double      angle;
  double      r, g, b;
} vectors[] = {
  { "Romeo", 327.255249, 0.865, 0.000, 0.686 },
  { "juliet@capulet.lit", 209.410400, 0.000, 0.515, 0.573 },
  { "\xf0\x9f\x98\xba", 331.199341, 0.872, 0.000, 0.659 },
  { "council", 359.994507, 0.918, 0.000, 0.394 },
  { "Board", 171.430664, 0.000, 0.527, 0.457 },
};

static void
test_color_vectors (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (vectors); i++)
    {
      double r, g, b;

      g_assert_cmpfloat_with_epsilon (talk_avatar_color_hue (vectors[i].text), vectors[i].angle,
                                      0.000001);
      talk_avatar_color_rgb (vectors[i].text, &r, &g, &b);
      g_assert_cmpfloat_with_epsilon (r, vectors[i].r, 0.0006);
      g_assert_cmpfloat_with_epsilon (g, vectors[i].g, 0.0006);
      g_assert_cmpfloat_with_epsilon (b, vectors[i].b, 0.0006);
    }
}

static void
assert_hex_near (const char *hex,
                 double      r,
                 double      g,
                 double      b)
{
  const double expected[3] = { r, g, b };

  g_assert_cmpuint (strlen (hex), ==, 7);
  g_assert_cmpint (hex[0], ==, '#');
  for (guint c = 0; c < 3; c++)
    {
      char part[3] = { hex[1 + 2 * c], hex[2 + 2 * c], '\0' };
      gint64 value = g_ascii_strtoll (part, NULL, 16);

      g_assert_true (g_ascii_isxdigit (part[0]) && g_ascii_isxdigit (part[1]));
      g_assert_cmpint (ABS (value - expected[c] * 255.0), <=, 1);
    }
}

static void
test_color_contact (void)
{
  g_autoptr(TalkContact) juliet = talk_contact_new ("juliet@capulet.lit");
  g_autoptr(TalkContact) shouting = talk_contact_new ("JULIET@Capulet.LIT");
  g_autoptr(TalkContact) romeo = talk_contact_new ("romeo@montague.lit");
  g_autofree char *hex = talk_avatar_color_for_text ("Romeo");
  g_autofree char *color = NULL;

  assert_hex_near (hex, 0.865, 0.000, 0.686);
  assert_hex_near (talk_contact_get_color (juliet), 0.000, 0.515, 0.573);

  /* The colour of the JID as compared: normalised first */
  g_assert_cmpstr (talk_contact_get_color (shouting), ==, talk_contact_get_color (juliet));
  g_assert_cmpstr (talk_contact_get_color (romeo), !=, talk_contact_get_color (juliet));

  g_object_get (juliet, "color", &color, NULL);
  g_assert_cmpstr (color, ==, talk_contact_get_color (juliet));
}

/* HSLuv at its edges: black, white, and every hue in gamut. */
static void
test_color_range (void)
{
  double r, g, b;

  talk_avatar_color_hsluv_to_rgb (120.0, 100.0, 0.0, &r, &g, &b);
  g_assert_cmpfloat (r + g + b, ==, 0.0);
  talk_avatar_color_hsluv_to_rgb (120.0, 100.0, 100.0, &r, &g, &b);
  g_assert_cmpfloat (r + g + b, ==, 3.0);
  talk_avatar_color_hsluv_to_rgb (0.0, 0.0, 50.0, &r, &g, &b);
  g_assert_cmpfloat_with_epsilon (r, g, 1e-9);
  g_assert_cmpfloat_with_epsilon (g, b, 1e-9);

  for (double h = 0.0; h < 360.0; h += 0.5)
    {
      talk_avatar_color_hsluv_to_rgb (h, 100.0, 50.0, &r, &g, &b);
      g_assert_cmpfloat (r, >=, 0.0);
      g_assert_cmpfloat (r, <=, 1.0);
      g_assert_cmpfloat (g, >=, 0.0);
      g_assert_cmpfloat (g, <=, 1.0);
      g_assert_cmpfloat (b, >=, 0.0);
      g_assert_cmpfloat (b, <=, 1.0);
      /* Full saturation: some channel at the gamut's edge */
      g_assert_true (MIN (r, MIN (g, b)) < 0.01 || MAX (r, MAX (g, b)) > 0.99);
    }
}

static void
test_item (void)
{
  const char * const groups[] = { "Friends", "Work", NULL };
  g_autoptr(TalkContact) contact = talk_contact_new ("bob@example.test");
  g_autoptr(TalkXmppRosterItem) item = make_item ("bob@example.test", NULL, groups,
                                                  TALK_XMPP_SUBSCRIPTION_TO, TRUE);
  g_autoptr(GHashTable) counts = watch_notify (contact);
  g_auto(GStrv) held = NULL;
  TalkXmppSubscription subscription;

  g_assert_cmpuint (g_strv_length ((char **) talk_contact_get_groups (contact)), ==, 0);
  g_assert_cmpint (talk_contact_get_subscription (contact), ==, TALK_XMPP_SUBSCRIPTION_NONE);

  g_assert_true (talk_contact_set_item (contact, item));
  g_assert_true (g_strv_equal (talk_contact_get_groups (contact), groups));
  g_assert_cmpint (talk_contact_get_subscription (contact), ==, TALK_XMPP_SUBSCRIPTION_TO);
  g_assert_true (talk_contact_get_ask (contact));
  g_assert_cmpuint (notified (counts, "groups"), ==, 1);
  g_assert_cmpuint (notified (counts, "subscription"), ==, 1);
  g_assert_cmpuint (notified (counts, "ask"), ==, 1);
  g_assert_cmpuint (notified (counts, "name"), ==, 0);

  g_object_get (contact, "groups", &held, "subscription", &subscription, NULL);
  g_assert_true (g_strv_equal ((const char * const *) held, groups));
  g_assert_cmpint (subscription, ==, TALK_XMPP_SUBSCRIPTION_TO);

  /* Leaving the roster resets what the roster said */
  g_assert_true (talk_contact_set_item (contact, NULL));
  g_assert_cmpuint (g_strv_length ((char **) talk_contact_get_groups (contact)), ==, 0);
  g_assert_cmpint (talk_contact_get_subscription (contact), ==, TALK_XMPP_SUBSCRIPTION_NONE);
  g_assert_false (talk_contact_get_ask (contact));
  g_assert_false (talk_contact_set_item (contact, NULL));

  g_signal_handlers_disconnect_by_func (contact, count_notify_cb, counts);
}

/* The contact shares the item rather than copying it: an item replaced
 * by an equal one, and both dropped by their owner, leave the name, the
 * display name and the groups readable and unchanged. */
static void
test_item_shared (void)
{
  const char * const groups[] = { "Friends", NULL };
  g_autoptr(TalkContact) contact = talk_contact_new ("carol@example.test");
  TalkXmppRosterItem *first = make_item ("carol@example.test", "Carol Example", groups,
                                         TALK_XMPP_SUBSCRIPTION_BOTH, FALSE);
  TalkXmppRosterItem *second = make_item ("carol@example.test", "Carol Example", groups,
                                          TALK_XMPP_SUBSCRIPTION_BOTH, FALSE);
  g_autoptr(GHashTable) counts = watch_notify (contact);

  g_assert_true (talk_contact_set_item (contact, first));
  talk_xmpp_roster_item_unref (first);
  g_assert_cmpstr (talk_contact_get_display_name (contact), ==, "Carol Example");
  g_assert_cmpuint (notified (counts, "display-name"), ==, 1);
  g_assert_cmpuint (notified (counts, "initials"), ==, 1);

  /* Equal: nothing changed, nothing notified, the text now the second's. */
  g_assert_false (talk_contact_set_item (contact, second));
  talk_xmpp_roster_item_unref (second);
  g_assert_cmpstr (talk_contact_get_name (contact), ==, "Carol Example");
  g_assert_cmpstr (talk_contact_get_display_name (contact), ==, "Carol Example");
  g_assert_cmpstr (talk_contact_get_initials (contact), ==, "CE");
  g_assert_true (g_strv_equal (talk_contact_get_groups (contact), groups));
  g_assert_cmpuint (notified (counts, "display-name"), ==, 1);
  g_assert_cmpuint (notified (counts, "initials"), ==, 1);
  g_assert_cmpuint (notified (counts, "name"), ==, 1);

  /* Out of the roster: the localpart, made from the JID. */
  g_assert_true (talk_contact_set_item (contact, NULL));
  g_assert_null (talk_contact_get_name (contact));
  g_assert_cmpstr (talk_contact_get_display_name (contact), ==, "carol");
  g_assert_cmpstr (talk_contact_get_initials (contact), ==, "C");
  g_assert_cmpstr (talk_contact_get_color (contact), !=, "");
  g_assert_cmpuint (strlen (talk_contact_get_color (contact)), ==, 7);

  g_signal_handlers_disconnect_by_func (contact, count_notify_cb, counts);
}

static void
assert_resources (TalkContact        *contact,
                  const char * const *expected)
{
  g_auto(GStrv) resources = talk_contact_dup_resources (contact);

  g_assert_true (g_strv_equal ((const char * const *) resources, expected));
  g_assert_cmpuint (talk_contact_get_n_resources (contact), ==, g_strv_length (resources));
}

static void
test_aggregation (void)
{
  g_autoptr(TalkContact) contact = talk_contact_new ("bob@example.test");
  g_autoptr(GHashTable) counts = watch_notify (contact);
  TalkXmppPresenceShow show;
  const char *status;
  int priority;

  g_assert_cmpint (talk_contact_get_show (contact), ==, TALK_XMPP_PRESENCE_SHOW_OFFLINE);
  g_assert_null (talk_contact_get_status (contact));

  g_assert_true (talk_contact_set_presence (contact, "phone", TALK_XMPP_PRESENCE_SHOW_AWAY,
                                            "On the bus", 5));
  g_assert_cmpint (talk_contact_get_show (contact), ==, TALK_XMPP_PRESENCE_SHOW_AWAY);
  g_assert_cmpstr (talk_contact_get_status (contact), ==, "On the bus");

  /* Equal priority: the more available show wins */
  g_assert_true (talk_contact_set_presence (contact, "laptop", TALK_XMPP_PRESENCE_SHOW_CHAT,
                                            "Free", 5));
  g_assert_cmpint (talk_contact_get_show (contact), ==, TALK_XMPP_PRESENCE_SHOW_CHAT);
  g_assert_cmpstr (talk_contact_get_status (contact), ==, "Free");
  assert_resources (contact, (const char * const[]) { "laptop", "phone", NULL });

  /* A higher priority wins even when less available */
  g_assert_true (talk_contact_set_presence (contact, "desktop", TALK_XMPP_PRESENCE_SHOW_XA,
                                            NULL, 10));
  g_assert_cmpint (talk_contact_get_show (contact), ==, TALK_XMPP_PRESENCE_SHOW_XA);
  g_assert_null (talk_contact_get_status (contact));
  assert_resources (contact, (const char * const[]) { "desktop", "laptop", "phone", NULL });

  g_assert_true (talk_contact_lookup_resource (contact, "phone", &show, &status, &priority));
  g_assert_cmpint (show, ==, TALK_XMPP_PRESENCE_SHOW_AWAY);
  g_assert_cmpstr (status, ==, "On the bus");
  g_assert_cmpint (priority, ==, 5);
  g_assert_false (talk_contact_lookup_resource (contact, "tablet", NULL, NULL, NULL));

  /* The same presence again: nothing changes */
  g_assert_false (talk_contact_set_presence (contact, "phone", TALK_XMPP_PRESENCE_SHOW_AWAY,
                                             "On the bus", 5));

  /* The winner goes offline: back to the best of the rest */
  g_assert_true (talk_contact_set_presence (contact, "desktop", TALK_XMPP_PRESENCE_SHOW_OFFLINE,
                                            "Bye", 0));
  g_assert_cmpint (talk_contact_get_show (contact), ==, TALK_XMPP_PRESENCE_SHOW_CHAT);
  g_assert_cmpuint (talk_contact_get_n_resources (contact), ==, 2);
  /* Offline for a resource that was not online */
  g_assert_false (talk_contact_set_presence (contact, "desktop", TALK_XMPP_PRESENCE_SHOW_OFFLINE,
                                             NULL, 0));

  g_assert_cmpuint (notified (counts, "show"), ==, 4);
  g_assert_cmpuint (notified (counts, "n-resources"), ==, 4);

  /* Unavailable from the bare JID: every resource */
  g_assert_true (talk_contact_set_presence (contact, NULL, TALK_XMPP_PRESENCE_SHOW_OFFLINE,
                                            NULL, 0));
  g_assert_cmpint (talk_contact_get_show (contact), ==, TALK_XMPP_PRESENCE_SHOW_OFFLINE);
  g_assert_cmpuint (talk_contact_get_n_resources (contact), ==, 0);
  g_assert_false (talk_contact_clear_presence (contact));

  g_signal_handlers_disconnect_by_func (contact, count_notify_cb, counts);
}

/* chat, available, away, dnd, xa at equal priority */
static void
test_aggregation_order (void)
{
  const TalkXmppPresenceShow order[] = {
    TALK_XMPP_PRESENCE_SHOW_XA,
    TALK_XMPP_PRESENCE_SHOW_DND,
    TALK_XMPP_PRESENCE_SHOW_AWAY,
    TALK_XMPP_PRESENCE_SHOW_AVAILABLE,
    TALK_XMPP_PRESENCE_SHOW_CHAT,
  };
  g_autoptr(TalkContact) contact = talk_contact_new ("bob@example.test");

  /* Each more available one takes over… */
  for (guint i = 0; i < G_N_ELEMENTS (order); i++)
    {
      g_autofree char *resource = g_strdup_printf ("r%u", i);

      talk_contact_set_presence (contact, resource, order[i], resource, 0);
      g_assert_cmpint (talk_contact_get_show (contact), ==, order[i]);
      g_assert_cmpstr (talk_contact_get_status (contact), ==, resource);
    }

  /* …and leaving in the same order hands back down the line */
  for (guint i = G_N_ELEMENTS (order) - 1; i > 0; i--)
    {
      g_autofree char *resource = g_strdup_printf ("r%u", i);

      talk_contact_set_presence (contact, resource, TALK_XMPP_PRESENCE_SHOW_OFFLINE, NULL, 0);
      g_assert_cmpint (talk_contact_get_show (contact), ==, order[i - 1]);
    }
}

static void
test_aggregation_ties (void)
{
  g_autoptr(TalkContact) contact = talk_contact_new ("bob@example.test");

  /* Same priority, same show: the one heard from last */
  talk_contact_set_presence (contact, "a", TALK_XMPP_PRESENCE_SHOW_AWAY, "from a", 1);
  talk_contact_set_presence (contact, "b", TALK_XMPP_PRESENCE_SHOW_AWAY, "from b", 1);
  g_assert_cmpstr (talk_contact_get_status (contact), ==, "from b");
  g_assert_true (talk_contact_set_presence (contact, "a", TALK_XMPP_PRESENCE_SHOW_AWAY,
                                            "from a again", 1));
  g_assert_cmpstr (talk_contact_get_status (contact), ==, "from a again");

  /* Negative priority is still online (RFC 6121 §4.7.2.3) */
  talk_contact_clear_presence (contact);
  talk_contact_set_presence (contact, "bot", TALK_XMPP_PRESENCE_SHOW_AVAILABLE, "", -1);
  g_assert_cmpint (talk_contact_get_show (contact), ==, TALK_XMPP_PRESENCE_SHOW_AVAILABLE);
  g_assert_null (talk_contact_get_status (contact));
}

/* SECURITY.md §1.6: resources are bounded. */
static void
test_resource_limit (void)
{
  g_autoptr(TalkContact) contact = talk_contact_new ("mallory@evil.example");

  for (guint i = 0; i < 1000; i++)
    {
      g_autofree char *resource = g_strdup_printf ("r%u", i);

      talk_contact_set_presence (contact, resource, TALK_XMPP_PRESENCE_SHOW_AVAILABLE, NULL, 0);
    }

  g_assert_cmpuint (talk_contact_get_n_resources (contact), ==, 128);
  g_assert_true (talk_contact_lookup_resource (contact, "r0", NULL, NULL, NULL));
  g_assert_false (talk_contact_lookup_resource (contact, "r999", NULL, NULL, NULL));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/talk/core/contact/display-name", test_display_name);
  g_test_add_func ("/talk/core/contact/initials", test_initials);
  g_test_add_func ("/talk/core/contact/color-vectors", test_color_vectors);
  g_test_add_func ("/talk/core/contact/color-contact", test_color_contact);
  g_test_add_func ("/talk/core/contact/color-range", test_color_range);
  g_test_add_func ("/talk/core/contact/item", test_item);
  g_test_add_func ("/talk/core/contact/item-shared", test_item_shared);
  g_test_add_func ("/talk/core/contact/aggregation", test_aggregation);
  g_test_add_func ("/talk/core/contact/aggregation-order", test_aggregation_order);
  g_test_add_func ("/talk/core/contact/aggregation-ties", test_aggregation_ties);
  g_test_add_func ("/talk/core/contact/resource-limit", test_resource_limit);

  return g_test_run ();
}
