/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "talk-avatar.h"

/* Letters take this share of the disc's diameter, as in AdwAvatar. */
#define INITIALS_SCALE 0.4

struct _TalkAvatar
{
  GtkWidget    parent_instance;

  TalkContact *contact;
  int          size;
};

G_DEFINE_FINAL_TYPE (TalkAvatar, talk_avatar, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_CONTACT,
  PROP_SIZE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
contact_changed_cb (TalkAvatar *self)
{
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
talk_avatar_measure (GtkWidget      *widget,
                     GtkOrientation  orientation,
                     int             for_size,
                     int            *minimum,
                     int            *natural,
                     int            *minimum_baseline,
                     int            *natural_baseline)
{
  TalkAvatar *self = TALK_AVATAR (widget);

  *minimum = *natural = self->size;
}

static void
get_color (TalkAvatar *self,
           GdkRGBA    *rgba)
{
  const char *color = NULL;

  if (self->contact != NULL)
    color = talk_contact_get_color (self->contact);
  if (color == NULL || !gdk_rgba_parse (rgba, color))
    gdk_rgba_parse (rgba, "#9a9996");
}

static void
snapshot_initials (TalkAvatar  *self,
                   GtkSnapshot *snapshot,
                   float        x,
                   float        y,
                   float        diameter)
{
  const GdkRGBA white = { 1.f, 1.f, 1.f, 1.f };
  const char *initials;
  g_autoptr(PangoLayout) layout = NULL;
  PangoFontDescription *font;
  PangoRectangle logical;

  if (self->contact == NULL)
    return;
  initials = talk_contact_get_initials (self->contact);
  if (initials == NULL || *initials == '\0')
    return;

  layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), initials);
  font = pango_font_description_copy (pango_context_get_font_description (pango_layout_get_context (layout)));
  pango_font_description_set_weight (font, PANGO_WEIGHT_BOLD);
  pango_font_description_set_absolute_size (font, MAX (1.0, diameter * INITIALS_SCALE) * PANGO_SCALE);
  pango_layout_set_font_description (layout, font);
  pango_font_description_free (font);

  pango_layout_get_pixel_extents (layout, NULL, &logical);
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot,
                          &GRAPHENE_POINT_INIT (x + (diameter - logical.width) / 2.f - logical.x,
                                                y + (diameter - logical.height) / 2.f - logical.y));
  gtk_snapshot_append_layout (snapshot, layout, &white);
  gtk_snapshot_restore (snapshot);
}

static void
talk_avatar_snapshot (GtkWidget   *widget,
                      GtkSnapshot *snapshot)
{
  TalkAvatar *self = TALK_AVATAR (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  float diameter = MIN (width, height);
  float x = (width - diameter) / 2.f;
  float y = (height - diameter) / 2.f;
  graphene_rect_t bounds = GRAPHENE_RECT_INIT (x, y, diameter, diameter);
  GskRoundedRect disc;
  GdkRGBA color;

  if (diameter <= 0)
    return;

  get_color (self, &color);
  gsk_rounded_rect_init_from_rect (&disc, &bounds, diameter / 2.f);
  gtk_snapshot_push_rounded_clip (snapshot, &disc);
  gtk_snapshot_append_color (snapshot, &color, &bounds);
  gtk_snapshot_pop (snapshot);

  snapshot_initials (self, snapshot, x, y, diameter);
}

static void
talk_avatar_dispose (GObject *object)
{
  talk_avatar_set_contact (TALK_AVATAR (object), NULL);

  G_OBJECT_CLASS (talk_avatar_parent_class)->dispose (object);
}

static void
talk_avatar_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  TalkAvatar *self = TALK_AVATAR (object);

  switch (prop_id)
    {
    case PROP_CONTACT:
      g_value_set_object (value, self->contact);
      break;
    case PROP_SIZE:
      g_value_set_int (value, self->size);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
talk_avatar_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  TalkAvatar *self = TALK_AVATAR (object);

  switch (prop_id)
    {
    case PROP_CONTACT:
      talk_avatar_set_contact (self, g_value_get_object (value));
      break;
    case PROP_SIZE:
      talk_avatar_set_size (self, g_value_get_int (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
talk_avatar_class_init (TalkAvatarClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = talk_avatar_dispose;
  object_class->get_property = talk_avatar_get_property;
  object_class->set_property = talk_avatar_set_property;
  widget_class->measure = talk_avatar_measure;
  widget_class->snapshot = talk_avatar_snapshot;

  properties[PROP_CONTACT] =
    g_param_spec_object ("contact", NULL, NULL, TALK_TYPE_CONTACT,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SIZE] =
    g_param_spec_int ("size", NULL, NULL, 1, G_MAXINT, 32,
                      G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "avatar");
  /* Decoration: the row or page around it names the contact. */
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_PRESENTATION);
}

static void
talk_avatar_init (TalkAvatar *self)
{
  self->size = 32;
  gtk_widget_set_overflow (GTK_WIDGET (self), GTK_OVERFLOW_HIDDEN);
}

GtkWidget *
talk_avatar_new (int size)
{
  return g_object_new (TALK_TYPE_AVATAR, "size", size, NULL);
}

TalkContact *
talk_avatar_get_contact (TalkAvatar *self)
{
  g_return_val_if_fail (TALK_IS_AVATAR (self), NULL);

  return self->contact;
}

void
talk_avatar_set_contact (TalkAvatar  *self,
                         TalkContact *contact)
{
  g_return_if_fail (TALK_IS_AVATAR (self));
  g_return_if_fail (contact == NULL || TALK_IS_CONTACT (contact));

  if (self->contact == contact)
    return;

  if (self->contact != NULL)
    g_signal_handlers_disconnect_by_func (self->contact, contact_changed_cb, self);
  g_set_object (&self->contact, contact);
  if (contact != NULL)
    {
      g_signal_connect_swapped (contact, "notify::color",
                                G_CALLBACK (contact_changed_cb), self);
      g_signal_connect_swapped (contact, "notify::initials",
                                G_CALLBACK (contact_changed_cb), self);
    }

  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONTACT]);
}

int
talk_avatar_get_size (TalkAvatar *self)
{
  g_return_val_if_fail (TALK_IS_AVATAR (self), 0);

  return self->size;
}

void
talk_avatar_set_size (TalkAvatar *self,
                      int         size)
{
  g_return_if_fail (TALK_IS_AVATAR (self));
  g_return_if_fail (size > 0);

  if (self->size == size)
    return;

  self->size = size;
  gtk_widget_queue_resize (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SIZE]);
}
