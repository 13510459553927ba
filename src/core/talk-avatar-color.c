/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "talk-avatar-color.h"

/* HSLuv (hsluv.org) is CIELUV in polar form with the chroma
 * scaled to the largest one sRGB can show at that lightness and hue, so that
 * every hue at one lightness looks equally bright. The constants are those
 * of the reference implementation: the sRGB (D65) matrix, the white point's
 * u'v', and the CIE κ and ε. */
static const double xyz_to_rgb[3][3] = {
  {  3.240969941904521, -1.537383177570093, -0.498610760293003 },
  { -0.969243636280870,  1.875967501507720,  0.041555057407175 },
  {  0.055630079696993, -0.203976958888970,  1.056971514242878 },
};

#define REF_U   0.19783000664283681
#define REF_V   0.46831999493879100
#define KAPPA   903.2962962962963
#define EPSILON 0.0088564516790356308

typedef struct
{
  double slope;
  double intercept;
} Line;

/* The six lines bounding the sRGB gamut in the (u, v) plane at lightness @l:
 * each channel at 0 and at 1. */
static void
gamut_bounds (double l,
              Line   bounds[6])
{
  double sub1 = pow (l + 16.0, 3.0) / 1560896.0;
  double sub2 = sub1 > EPSILON ? sub1 : l / KAPPA;

  for (guint c = 0; c < 3; c++)
    {
      double m1 = xyz_to_rgb[c][0];
      double m2 = xyz_to_rgb[c][1];
      double m3 = xyz_to_rgb[c][2];

      for (guint t = 0; t < 2; t++)
        {
          double top1 = (284517.0 * m1 - 94839.0 * m3) * sub2;
          double top2 = (838422.0 * m3 + 769860.0 * m2 + 731718.0 * m1) * l * sub2
                        - 769860.0 * t * l;
          double bottom = (632260.0 * m3 - 126452.0 * m2) * sub2 + 126452.0 * t;

          bounds[c * 2 + t].slope = top1 / bottom;
          bounds[c * 2 + t].intercept = top2 / bottom;
        }
    }
}

static double
max_chroma (double l,
            double h)
{
  double hrad = h / 360.0 * 2.0 * G_PI;
  double min = G_MAXDOUBLE;
  Line bounds[6];

  gamut_bounds (l, bounds);
  for (guint i = 0; i < G_N_ELEMENTS (bounds); i++)
    {
      double length = bounds[i].intercept /
                      (sin (hrad) - bounds[i].slope * cos (hrad));

      if (length >= 0.0)
        min = MIN (min, length);
    }

  return min;
}

static double
from_linear (double c)
{
  if (c <= 0.0031308)
    return 12.92 * c;
  return 1.055 * pow (c, 1.0 / 2.4) - 0.055;
}

static double
lightness_to_y (double l)
{
  if (l <= 8.0)
    return l / KAPPA;
  return pow ((l + 16.0) / 116.0, 3.0);
}

double
talk_avatar_color_hue (const char *text)
{
  g_autoptr(GChecksum) checksum = NULL;
  guint8 digest[20];
  gsize len = sizeof digest;

  g_return_val_if_fail (text != NULL, 0.0);

  /* XEP-0392 §5.1: the first two octets of SHA-1 read little endian,
   * divided by 65536 and mapped onto the circle. */
  checksum = g_checksum_new (G_CHECKSUM_SHA1);
  g_checksum_update (checksum, (const guchar *) text, strlen (text));
  g_checksum_get_digest (checksum, digest, &len);

  return (double) (digest[0] | (digest[1] << 8)) / 65536.0 * 360.0;
}

void
talk_avatar_color_hsluv_to_rgb (double  h,
                                double  s,
                                double  l,
                                double *r,
                                double *g,
                                double *b)
{
  double chroma, hrad, u, v, var_u, var_v, x, y, z;
  double rgb[3];

  g_return_if_fail (r != NULL && g != NULL && b != NULL);

  if (l > 99.9999999 || l < 0.00000001)
    {
      *r = *g = *b = l > 50.0 ? 1.0 : 0.0;
      return;
    }

  /* HSLuv → LCh(uv) → Luv → XYZ → linear sRGB → sRGB */
  chroma = max_chroma (l, h) / 100.0 * s;
  hrad = h / 360.0 * 2.0 * G_PI;
  u = cos (hrad) * chroma;
  v = sin (hrad) * chroma;

  var_u = u / (13.0 * l) + REF_U;
  var_v = v / (13.0 * l) + REF_V;
  y = lightness_to_y (l);
  x = 0.0 - (9.0 * y * var_u) / ((var_u - 4.0) * var_v - var_u * var_v);
  z = (9.0 * y - 15.0 * var_v * y - var_v * x) / (3.0 * var_v);

  for (guint c = 0; c < 3; c++)
    {
      double linear = xyz_to_rgb[c][0] * x + xyz_to_rgb[c][1] * y + xyz_to_rgb[c][2] * z;

      rgb[c] = CLAMP (from_linear (linear), 0.0, 1.0);
    }

  *r = rgb[0];
  *g = rgb[1];
  *b = rgb[2];
}

void
talk_avatar_color_rgb (const char *text,
                       double     *r,
                       double     *g,
                       double     *b)
{
  g_return_if_fail (text != NULL);

  /* XEP-0392 §5.2: saturation 100, lightness 50. */
  talk_avatar_color_hsluv_to_rgb (talk_avatar_color_hue (text), 100.0, 50.0, r, g, b);
}

char *
talk_avatar_color_for_text (const char *text)
{
  double r, g, b;

  g_return_val_if_fail (text != NULL, NULL);

  talk_avatar_color_rgb (text, &r, &g, &b);
  return g_strdup_printf ("#%02x%02x%02x",
                          (guint) lround (r * 255.0),
                          (guint) lround (g * 255.0),
                          (guint) lround (b * 255.0));
}
