/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * talk_avatar_color_hue:
 * @text: the identifier, UTF-8; for a contact its normalised bare JID
 *
 * The XEP-0392 §5.1 hue angle of @text.
 *
 * Returns: an angle in degrees, in [0, 360)
 */
double  talk_avatar_color_hue          (const char *text);

/**
 * talk_avatar_color_hsluv_to_rgb:
 * @h: hue in degrees
 * @s: saturation, 0–100
 * @l: lightness, 0–100
 * @r: (out): red, 0–1
 * @g: (out): green, 0–1
 * @b: (out): blue, 0–1
 *
 * The HSLuv "hsluvToRgb" conversion (sRGB, D65) that XEP-0392 §5.2 names.
 */
void    talk_avatar_color_hsluv_to_rgb (double  h,
                                        double  s,
                                        double  l,
                                        double *r,
                                        double *g,
                                        double *b);

/**
 * talk_avatar_color_rgb:
 * @text: the identifier, UTF-8
 * @r: (out): red, 0–1
 * @g: (out): green, 0–1
 * @b: (out): blue, 0–1
 *
 * The XEP-0392 colour of @text without colour vision deficiency correction:
 * its hue at HSLuv saturation 100 and lightness 50.
 */
void    talk_avatar_color_rgb          (const char *text,
                                        double     *r,
                                        double     *g,
                                        double     *b);

/**
 * talk_avatar_color_for_text:
 * @text: the identifier, UTF-8
 *
 * Returns: (transfer full): the colour of talk_avatar_color_rgb() as
 *   "#rrggbb"
 */
char   *talk_avatar_color_for_text     (const char *text);

G_END_DECLS
