/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <gio/gio.h>
#include <glib/gi18n-lib.h>

#include "talk-xmpp-error.h"
#include "talk-xmpp-jid-private.h"

/* RFC 7622 §3.1: each part is at most 1023 octets once normalised. Input
 * longer than this many bytes per part is refused before any Unicode work,
 * which would otherwise run on attacker-sized strings (SECURITY.md §1.5). */
#define MAX_PART_BYTES 1023
#define MAX_RAW_PART_BYTES (4 * MAX_PART_BYTES)

/* One allocation per JID: the strings follow the struct, in @data. */
struct _TalkXmppJid
{
  gatomicrefcount  ref_count;
  const char      *localpart;     /* nullable */
  const char      *domainpart;
  const char      *resourcepart;  /* nullable */
  const char      *full;
  const char      *bare;          /* == full when there is no resource */
  char             data[];
};

G_DEFINE_BOXED_TYPE (TalkXmppJid, talk_xmpp_jid, talk_xmpp_jid_ref, talk_xmpp_jid_unref)

static gboolean
set_invalid (GError     **error,
             const char  *message)
{
  g_set_error_literal (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_INVALID_JID, message);
  return FALSE;
}

static gboolean
check_length (const char  *part,
              gsize        len,
              gsize        max,
              GError     **error)
{
  if (len <= max)
    return TRUE;

  /* Translators: %s names the part: "the part before “@”", "the domain"… */
  g_set_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_INVALID_JID,
               _("The address is too long: %s has more than %u bytes"),
               part, MAX_PART_BYTES);
  return FALSE;
}

/* Code points no part may hold: controls, and for the localpart and the
 * domain also spaces and invisible format characters (RFC 8264 §9.8,
 * §9.11 and §9.13 disallow them in IdentifierClass), which would let two
 * JIDs look alike. */
static gboolean
is_forbidden_char (gunichar ch,
                   gboolean identifier)
{
  GUnicodeType type = g_unichar_type (ch);

  if (type == G_UNICODE_CONTROL || ch == 0xfffe || ch == 0xffff)
    return TRUE;
  if (!identifier)
    return FALSE;
  return g_unichar_isspace (ch) ||
         type == G_UNICODE_SPACE_SEPARATOR ||
         type == G_UNICODE_LINE_SEPARATOR ||
         type == G_UNICODE_PARAGRAPH_SEPARATOR ||
         type == G_UNICODE_FORMAT;
}

/* RFC 8265 §3.3.2 width mapping: fullwidth and halfwidth forms become
 * their decompositions ("ｊｕｌｉｅｔ" → "juliet"). */
static char *
map_width (const char *str)
{
  GString *out = NULL;

  for (const char *p = str; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar ch = g_utf8_get_char (p);

      if (ch == 0x3000 || (ch >= 0xff01 && ch <= 0xffee))
        {
          g_autofree char *mapped = g_utf8_normalize (p, g_utf8_next_char (p) - p,
                                                      G_NORMALIZE_NFKC);

          if (out == NULL)
            out = g_string_new_len (str, p - str);
          g_string_append (out, mapped);
        }
      else if (out != NULL)
        g_string_append_unichar (out, ch);
    }

  return out != NULL ? g_string_free (out, FALSE) : g_strdup (str);
}

/* NFC, case folding, NFC again: folding can undo composition. */
static char *
fold_case (const char *str)
{
  g_autofree char *nfc = g_utf8_normalize (str, -1, G_NORMALIZE_NFC);
  g_autofree char *folded = g_utf8_casefold (nfc, -1);

  return g_utf8_normalize (folded, -1, G_NORMALIZE_NFC);
}

/* RFC 7622 §3.3, with UsernameCaseMapped (RFC 8265 §3.3) approximated by
 * width mapping, NFC and Unicode case folding. */
static char *
normalize_localpart (const char  *raw,
                     gsize        len,
                     GError     **error)
{
  g_autofree char *copy = NULL;
  g_autofree char *mapped = NULL;
  g_autofree char *folded = NULL;

  if (len == 0)
    {
      set_invalid (error, _("The part before “@” is empty"));
      return NULL;
    }
  if (!check_length (_("the part before “@”"), len, MAX_RAW_PART_BYTES, error))
    return NULL;

  copy = g_strndup (raw, len);
  mapped = map_width (copy);
  folded = fold_case (mapped);

  for (const char *p = folded; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar ch = g_utf8_get_char (p);

      /* RFC 7622 §3.3.1 */
      if (ch < 0x80 && strchr ("\"&'/:<>@", (int) ch) != NULL)
        {
          g_set_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_INVALID_JID,
                       _("The part before “@” must not contain “%c”"), (int) ch);
          return NULL;
        }
      if (is_forbidden_char (ch, TRUE))
        {
          set_invalid (error, _("The part before “@” contains a space or an invisible character"));
          return NULL;
        }
    }

  if (!check_length (_("the part before “@”"), strlen (folded), MAX_PART_BYTES, error))
    return NULL;

  return g_steal_pointer (&folded);
}

/* RFC 7622 §3.2 allows an IP literal as domain: IPv4 dotted quad or an
 * IPv6 address in brackets (RFC 3986 §3.2.2), written canonically here so
 * that equal addresses compare equal. */
static char *
normalize_ip_literal (const char  *domain,
                      GError     **error)
{
  g_autoptr(GInetAddress) address = NULL;
  g_autofree char *inner = NULL;
  g_autofree char *canonical = NULL;
  gsize len = strlen (domain);

  if (domain[0] != '[')
    {
      address = g_inet_address_new_from_string (domain);
      if (address == NULL || g_inet_address_get_family (address) != G_SOCKET_FAMILY_IPV4)
        return NULL;
      return g_inet_address_to_string (address);
    }

  inner = len >= 2 && domain[len - 1] == ']' ? g_strndup (domain + 1, len - 2) : NULL;
  if (inner != NULL && strchr (inner, '%') == NULL)
    address = g_inet_address_new_from_string (inner);
  if (address == NULL || g_inet_address_get_family (address) != G_SOCKET_FAMILY_IPV6)
    {
      set_invalid (error, _("The domain is not a valid IPv6 address in brackets"));
      return NULL;
    }

  canonical = g_inet_address_to_string (address);
  return g_strdup_printf ("[%s]", canonical);
}

static gboolean
is_domain_ascii (char c)
{
  return g_ascii_isalnum (c) || c == '-' || c == '.' || c == '_';
}

/* Everything a normalised domain name must satisfy: allowed characters
 * only, and no empty label. */
static gboolean
check_domain_name (const char  *domain,
                   GError     **error)
{
  gboolean label_start = TRUE;

  for (const char *p = domain; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar ch = g_utf8_get_char (p);

      if (ch == '.' && label_start)
        return set_invalid (error, _("The domain has an empty label (“..”)"));
      label_start = ch == '.';

      if (ch < 0x80 && !is_domain_ascii ((char) ch))
        {
          if (g_ascii_isgraph ((char) ch))
            g_set_error (error, TALK_XMPP_ERROR, TALK_XMPP_ERROR_INVALID_JID,
                         _("The domain must not contain “%c”"), (int) ch);
          else
            set_invalid (error, _("The domain contains a space or a control character"));
          return FALSE;
        }
      if (ch >= 0x80 && is_forbidden_char (ch, TRUE))
        return set_invalid (error, _("The domain contains a space or an invisible character"));
    }

  if (label_start)
    return set_invalid (error, _("The domain has an empty label (“..”)"));

  return TRUE;
}

/* RFC 7622 §3.2: one trailing dot removed, A-labels turned into U-labels
 * (RFC 5891 §5.3; GLib's conversion applies IDNA2003 nameprep mappings),
 * then NFC and lowercase. */
static char *
normalize_domainpart (const char  *raw,
                      gsize        len,
                      GError     **error)
{
  g_autofree char *copy = NULL;
  g_autofree char *unicode = NULL;
  g_autofree char *folded = NULL;
  char *ip;

  if (len > 0 && raw[len - 1] == '.')
    len--;
  if (len == 0)
    {
      set_invalid (error, _("The domain is empty"));
      return NULL;
    }
  if (!check_length (_("the domain"), len, MAX_RAW_PART_BYTES, error))
    return NULL;

  copy = g_strndup (raw, len);

  if (copy[0] == '[')
    return normalize_ip_literal (copy, error);
  ip = normalize_ip_literal (copy, NULL);
  if (ip != NULL)
    return ip;

  /* Checked before the IDNA conversion, which would drop some characters. */
  if (!check_domain_name (copy, error))
    return NULL;

  unicode = g_hostname_to_unicode (copy);
  if (unicode == NULL)
    {
      set_invalid (error, _("The domain is not a valid internationalized domain name"));
      return NULL;
    }

  folded = fold_case (unicode);
  if (*folded == '\0')
    {
      set_invalid (error, _("The domain is empty"));
      return NULL;
    }
  if (!check_domain_name (folded, error))
    return NULL;
  if (!check_length (_("the domain"), strlen (folded), MAX_PART_BYTES, error))
    return NULL;

  return g_steal_pointer (&folded);
}

/* RFC 7622 §3.4: OpaqueString (RFC 8265 §4.2) approximated by NFC; case
 * and spaces are kept. */
static char *
normalize_resourcepart (const char  *raw,
                        gsize        len,
                        GError     **error)
{
  g_autofree char *nfc = NULL;

  if (len == 0)
    {
      set_invalid (error, _("The resource after “/” is empty"));
      return NULL;
    }
  if (!check_length (_("the resource"), len, MAX_RAW_PART_BYTES, error))
    return NULL;

  nfc = g_utf8_normalize (raw, len, G_NORMALIZE_NFC);

  for (const char *p = nfc; *p != '\0'; p = g_utf8_next_char (p))
    if (is_forbidden_char (g_utf8_get_char (p), FALSE))
      {
        set_invalid (error, _("The resource contains a control character"));
        return NULL;
      }

  if (!check_length (_("the resource"), strlen (nfc), MAX_PART_BYTES, error))
    return NULL;

  return g_steal_pointer (&nfc);
}

/* Copies @src into @dest, lowercased when @fold (ASCII only), and returns
 * where the next string goes. */
static char *
copy_part (char       *dest,
           const char *src,
           gsize       len,
           gboolean    fold)
{
  if (fold)
    {
      for (gsize i = 0; i < len; i++)
        dest[i] = g_ascii_tolower (src[i]);
    }
  else
    {
      memcpy (dest, src, len);
    }
  dest[len] = '\0';
  return dest + len + 1;
}

/* Builds a JID from parts already in normalised form, or from ASCII parts
 * that only need lowercasing (@fold, localpart and domain only). */
static TalkXmppJid *
jid_build (const char *localpart,
           gsize       local_len,
           const char *domainpart,
           gsize       domain_len,
           const char *resourcepart,
           gsize       resource_len,
           gboolean    fold)
{
  gsize bare_len = (localpart != NULL ? local_len + 1 : 0) + domain_len;
  gsize full_len = bare_len + (resourcepart != NULL ? resource_len + 1 : 0);
  gsize size = full_len + 1 + local_len + 1 + domain_len + 1 + resource_len + 1;
  TalkXmppJid *self;
  char *p;

  if (resourcepart != NULL)
    size += bare_len + 1;

  self = g_malloc (sizeof (TalkXmppJid) + size);
  g_atomic_ref_count_init (&self->ref_count);

  p = self->data;
  self->localpart = NULL;
  if (localpart != NULL)
    {
      self->localpart = p;
      p = copy_part (p, localpart, local_len, fold);
    }
  self->domainpart = p;
  p = copy_part (p, domainpart, domain_len, fold);
  self->resourcepart = NULL;
  if (resourcepart != NULL)
    {
      self->resourcepart = p;
      p = copy_part (p, resourcepart, resource_len, FALSE);
    }

  /* The forms are made from the parts just copied, already folded. */
  self->bare = p;
  if (localpart != NULL)
    {
      memcpy (p, self->localpart, local_len);
      p += local_len;
      *p++ = '@';
    }
  memcpy (p, self->domainpart, domain_len);
  p += domain_len;
  *p++ = '\0';

  if (resourcepart != NULL)
    {
      self->full = p;
      memcpy (p, self->bare, bare_len);
      p += bare_len;
      *p++ = '/';
      memcpy (p, self->resourcepart, resource_len);
      p += resource_len;
      *p++ = '\0';
    }
  else
    {
      self->full = self->bare;
    }

  g_assert (p <= self->data + size);
  return self;
}

static TalkXmppJid *
jid_build_normalized (const char *localpart,
                      const char *domainpart,
                      const char *resourcepart)
{
  return jid_build (localpart, localpart != NULL ? strlen (localpart) : 0,
                    domainpart, strlen (domainpart),
                    resourcepart, resourcepart != NULL ? strlen (resourcepart) : 0,
                    FALSE);
}

/* The ASCII shortcut.
 *
 * For input made only of the printable ASCII characters below, the full
 * preparation above reduces to lowercasing the localpart and the domain
 * and removing one trailing dot: width mapping, NFC and IDNA nameprep
 * change no such character other than by lowercasing it, and case folding
 * of ASCII is lowercasing. Everything else falls back to the full path,
 * which then decides, with the same errors as ever:
 *
 * - any byte outside 0x20–0x7e, so every non-ASCII character;
 * - in the localpart: space and "&'/:<>@ (RFC 7622 §3.3.1);
 * - in the domain: anything but letters, digits, '-', '_' and '.', an
 *   empty label, a label starting with the IDNA prefix "xn--" (which
 *   GLib would decode), a name of digits and dots only (an IPv4 address,
 *   written canonically by the full path) and brackets (IPv6);
 * - in the resource: controls (0x7f and below 0x20, never in this range);
 * - empty parts, and parts longer than 1023 bytes (255 for the domain,
 *   below every limit GLib's IDNA functions apply).
 *
 * tests/xmpp/test-jid.c checks that both paths agree.
 */
#define MAX_SHORTCUT_DOMAIN_BYTES 255

typedef struct
{
  const char *local;     /* nullable */
  gsize       local_len;
  const char *domain;
  gsize       domain_len; /* without the trailing dot */
  const char *resource;  /* nullable */
  gsize       resource_len;
  gboolean    normalized; /* nothing to lowercase, no trailing dot */
} JidSpans;

static gboolean
ascii_localpart_ok (const char *p,
                    gsize       len,
                    gboolean   *normalized)
{
  if (len == 0 || len > MAX_PART_BYTES)
    return FALSE;

  for (gsize i = 0; i < len; i++)
    {
      char c = p[i];

      if (c <= 0x20 || c >= 0x7f)
        return FALSE;
      switch (c)
        {
        case '"': case '&': case '\'': case '/': case ':': case '<': case '>': case '@':
          return FALSE;
        default:
          break;
        }
      if (c >= 'A' && c <= 'Z')
        *normalized = FALSE;
    }
  return TRUE;
}

static gboolean
ascii_domainpart_ok (const char *p,
                     gsize      *len,
                     gboolean   *normalized)
{
  gboolean label_start = TRUE;
  gboolean numeric = TRUE;

  if (*len > 0 && p[*len - 1] == '.')
    {
      (*len)--;
      *normalized = FALSE;
    }
  if (*len == 0 || *len > MAX_SHORTCUT_DOMAIN_BYTES)
    return FALSE;

  for (gsize i = 0; i < *len; i++)
    {
      char c = p[i];

      if (c == '.')
        {
          if (label_start)
            return FALSE;
          label_start = TRUE;
          continue;
        }
      if (label_start && *len - i >= 4 && g_ascii_strncasecmp (p + i, "xn--", 4) == 0)
        return FALSE;
      label_start = FALSE;

      if (c >= 'A' && c <= 'Z')
        *normalized = FALSE;
      else if (!(c >= 'a' && c <= 'z') && !(c >= '0' && c <= '9') && c != '-' && c != '_')
        return FALSE;
      if (!(c >= '0' && c <= '9'))
        numeric = FALSE;
    }

  return !label_start && !numeric;
}

static gboolean
ascii_resourcepart_ok (const char *p,
                       gsize       len)
{
  if (len == 0 || len > MAX_PART_BYTES)
    return FALSE;

  for (gsize i = 0; i < len; i++)
    if (p[i] < 0x20 || p[i] >= 0x7f)
      return FALSE;
  return TRUE;
}

/* Splits @str like talk_xmpp_jid_new() and checks it for the shortcut. */
static gboolean
split_ascii (const char *str,
             gsize       len,
             JidSpans   *spans)
{
  const char *slash = memchr (str, '/', len);
  const char *at = NULL;
  const char *end = str + len;

  if (slash == NULL)
    slash = end;
  for (const char *p = slash; p > str; p--)
    if (p[-1] == '@')
      {
        at = p - 1;
        break;
      }

  spans->normalized = TRUE;
  spans->local = at != NULL ? str : NULL;
  spans->local_len = at != NULL ? (gsize) (at - str) : 0;
  spans->domain = at != NULL ? at + 1 : str;
  spans->domain_len = slash - spans->domain;
  spans->resource = slash < end ? slash + 1 : NULL;
  spans->resource_len = slash < end ? (gsize) (end - slash - 1) : 0;

  if (spans->local != NULL &&
      !ascii_localpart_ok (spans->local, spans->local_len, &spans->normalized))
    return FALSE;
  if (!ascii_domainpart_ok (spans->domain, &spans->domain_len, &spans->normalized))
    return FALSE;
  if (spans->resource != NULL &&
      !ascii_resourcepart_ok (spans->resource, spans->resource_len))
    return FALSE;

  return TRUE;
}

static TalkXmppJid *
jid_build_spans (const JidSpans *spans)
{
  return jid_build (spans->local, spans->local_len,
                    spans->domain, spans->domain_len,
                    spans->resource, spans->resource_len,
                    !spans->normalized);
}

/* Equal after normalisation: parts compared as the full path would
 * leave them. */
static gboolean
spans_equal (const JidSpans *a,
             const JidSpans *b)
{
  if ((a->local == NULL) != (b->local == NULL) ||
      (a->resource == NULL) != (b->resource == NULL) ||
      a->local_len != b->local_len ||
      a->domain_len != b->domain_len ||
      a->resource_len != b->resource_len)
    return FALSE;

  return (a->local == NULL || g_ascii_strncasecmp (a->local, b->local, a->local_len) == 0) &&
         g_ascii_strncasecmp (a->domain, b->domain, a->domain_len) == 0 &&
         (a->resource == NULL || memcmp (a->resource, b->resource, a->resource_len) == 0);
}

static TalkXmppJid *
jid_new_from_raw (const char  *local,
                  gsize        local_len,
                  const char  *domain,
                  gsize        domain_len,
                  const char  *resource,
                  gsize        resource_len,
                  GError     **error)
{
  g_autofree char *localpart = NULL;
  g_autofree char *domainpart = NULL;
  g_autofree char *resourcepart = NULL;

  if (local != NULL &&
      (localpart = normalize_localpart (local, local_len, error)) == NULL)
    return NULL;
  if ((domainpart = normalize_domainpart (domain, domain_len, error)) == NULL)
    return NULL;
  if (resource != NULL &&
      (resourcepart = normalize_resourcepart (resource, resource_len, error)) == NULL)
    return NULL;

  return jid_build_normalized (localpart, domainpart, resourcepart);
}

/* The full RFC 7622 preparation, without the ASCII shortcut. */
TalkXmppJid *
_talk_xmpp_jid_new_full (const char  *str,
                         GError     **error)
{
  const char *slash;
  const char *at;
  const char *domain;
  gsize len;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (str == NULL || *str == '\0')
    {
      set_invalid (error, _("The address is empty"));
      return NULL;
    }

  len = strlen (str);
  if (len > 3 * MAX_RAW_PART_BYTES + 2)
    {
      set_invalid (error, _("The address is too long"));
      return NULL;
    }
  /* Before any normalisation: stringprep on broken UTF-8 caused
   * CVE-2014-3698. */
  if (!g_utf8_validate (str, len, NULL))
    {
      set_invalid (error, _("The address is not valid UTF-8"));
      return NULL;
    }

  slash = strchr (str, '/');
  if (slash == NULL)
    slash = str + len;
  at = g_strrstr_len (str, slash - str, "@");
  domain = at != NULL ? at + 1 : str;

  return jid_new_from_raw (at != NULL ? str : NULL, at != NULL ? (gsize) (at - str) : 0,
                           domain, slash - domain,
                           *slash == '/' ? slash + 1 : NULL,
                           *slash == '/' ? strlen (slash + 1) : 0,
                           error);
}

gboolean
_talk_xmpp_jid_takes_ascii_shortcut (const char *str)
{
  JidSpans spans;

  return str != NULL && split_ascii (str, strlen (str), &spans);
}

/**
 * talk_xmpp_jid_new:
 * @str: a JID such as "juliet@example.com/balcony"
 * @error: return location for a %TALK_XMPP_ERROR_INVALID_JID error
 *
 * Splits @str at the first '/' (the resource may contain '/' and '@') and
 * the part before it at the last '@' (RFC 7622 §3.1), then normalises each
 * part.
 *
 * Returns: (transfer full) (nullable): the JID, or %NULL when invalid
 */
TalkXmppJid *
talk_xmpp_jid_new (const char  *str,
                   GError     **error)
{
  JidSpans spans;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* Every incoming stanza's addresses come through here: most are plain
   * ASCII and need no Unicode work at all. */
  if (str != NULL && split_ascii (str, strlen (str), &spans))
    return jid_build_spans (&spans);

  return _talk_xmpp_jid_new_full (str, error);
}

static gboolean
check_utf8_part (const char  *part,
                 GError     **error)
{
  if (part == NULL || g_utf8_validate (part, -1, NULL))
    return TRUE;
  return set_invalid (error, _("The address is not valid UTF-8"));
}

/**
 * talk_xmpp_jid_new_from_parts:
 * @localpart: (nullable): the part before '@'; "" is invalid
 * @domainpart: the domain
 * @resourcepart: (nullable): the part after '/'; "" is invalid
 * @error: return location for a %TALK_XMPP_ERROR_INVALID_JID error
 *
 * Returns: (transfer full) (nullable): the JID, or %NULL when invalid
 */
TalkXmppJid *
talk_xmpp_jid_new_from_parts (const char  *localpart,
                              const char  *domainpart,
                              const char  *resourcepart,
                              GError     **error)
{
  JidSpans spans;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (domainpart == NULL)
    {
      set_invalid (error, _("The domain is empty"));
      return NULL;
    }
  if (!check_utf8_part (localpart, error) ||
      !check_utf8_part (domainpart, error) ||
      !check_utf8_part (resourcepart, error))
    return NULL;

  spans.local = localpart;
  spans.local_len = localpart != NULL ? strlen (localpart) : 0;
  spans.domain = domainpart;
  spans.domain_len = strlen (domainpart);
  spans.resource = resourcepart;
  spans.resource_len = resourcepart != NULL ? strlen (resourcepart) : 0;
  spans.normalized = TRUE;
  if ((localpart == NULL ||
       ascii_localpart_ok (localpart, spans.local_len, &spans.normalized)) &&
      ascii_domainpart_ok (domainpart, &spans.domain_len, &spans.normalized) &&
      (resourcepart == NULL ||
       ascii_resourcepart_ok (resourcepart, spans.resource_len)))
    return jid_build_spans (&spans);

  return jid_new_from_raw (localpart, localpart != NULL ? strlen (localpart) : 0,
                           domainpart, strlen (domainpart),
                           resourcepart, resourcepart != NULL ? strlen (resourcepart) : 0,
                           error);
}

/**
 * talk_xmpp_jid_ref:
 *
 * Returns: (transfer full): @self
 */
TalkXmppJid *
talk_xmpp_jid_ref (TalkXmppJid *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
talk_xmpp_jid_unref (TalkXmppJid *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;

  g_free (self);
}

/**
 * talk_xmpp_jid_get_localpart:
 *
 * Returns: (transfer none) (nullable): the normalised localpart
 */
const char *
talk_xmpp_jid_get_localpart (const TalkXmppJid *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->localpart;
}

/**
 * talk_xmpp_jid_get_domainpart:
 *
 * Returns: (transfer none): the normalised domain
 */
const char *
talk_xmpp_jid_get_domainpart (const TalkXmppJid *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->domainpart;
}

/**
 * talk_xmpp_jid_get_resourcepart:
 *
 * Returns: (transfer none) (nullable): the resource
 */
const char *
talk_xmpp_jid_get_resourcepart (const TalkXmppJid *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->resourcepart;
}

/**
 * talk_xmpp_jid_to_string:
 *
 * Returns: (transfer none): the normalised full JID
 */
const char *
talk_xmpp_jid_to_string (const TalkXmppJid *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->full;
}

/**
 * talk_xmpp_jid_get_bare_string:
 *
 * Returns: (transfer none): the normalised JID without resource
 */
const char *
talk_xmpp_jid_get_bare_string (const TalkXmppJid *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->bare;
}

gboolean
talk_xmpp_jid_is_bare (const TalkXmppJid *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->resourcepart == NULL;
}

/**
 * talk_xmpp_jid_dup_bare:
 *
 * Returns: (transfer full): @self without resource
 */
TalkXmppJid *
talk_xmpp_jid_dup_bare (TalkXmppJid *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  if (self->resourcepart == NULL)
    return talk_xmpp_jid_ref (self);

  return jid_build_normalized (self->localpart, self->domainpart, NULL);
}

/**
 * talk_xmpp_jid_dup_with_resource:
 * @resourcepart: (nullable): the new resource; %NULL for none
 * @error: return location for a %TALK_XMPP_ERROR_INVALID_JID error
 *
 * Returns: (transfer full) (nullable): @self with @resourcepart, or %NULL
 *   when @resourcepart is invalid
 */
TalkXmppJid *
talk_xmpp_jid_dup_with_resource (TalkXmppJid  *self,
                                 const char   *resourcepart,
                                 GError      **error)
{
  g_autofree char *resource = NULL;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (resourcepart == NULL)
    return talk_xmpp_jid_dup_bare (self);
  if (!check_utf8_part (resourcepart, error))
    return NULL;

  resource = normalize_resourcepart (resourcepart, strlen (resourcepart), error);
  if (resource == NULL)
    return NULL;

  return jid_build_normalized (self->localpart, self->domainpart, resource);
}

gboolean
talk_xmpp_jid_equal (const TalkXmppJid *a,
                     const TalkXmppJid *b)
{
  g_return_val_if_fail (a != NULL, FALSE);
  g_return_val_if_fail (b != NULL, FALSE);

  return a == b || strcmp (a->full, b->full) == 0;
}

gboolean
talk_xmpp_jid_equal_bare (const TalkXmppJid *a,
                          const TalkXmppJid *b)
{
  g_return_val_if_fail (a != NULL, FALSE);
  g_return_val_if_fail (b != NULL, FALSE);

  return a == b || strcmp (a->bare, b->bare) == 0;
}

/* Equal JIDs have equal normalised strings, hence equal hashes. */
guint
talk_xmpp_jid_hash (const TalkXmppJid *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return g_str_hash (self->full);
}

gboolean
talk_xmpp_jid_string_equal (const char *a,
                            const char *b)
{
  g_autoptr(TalkXmppJid) ja = NULL;
  g_autoptr(TalkXmppJid) jb = NULL;
  JidSpans sa;
  JidSpans sb;

  if (a == NULL || b == NULL)
    return FALSE;

  if (split_ascii (a, strlen (a), &sa) && split_ascii (b, strlen (b), &sb))
    return spans_equal (&sa, &sb);

  ja = talk_xmpp_jid_new (a, NULL);
  if (ja == NULL)
    return FALSE;
  jb = talk_xmpp_jid_new (b, NULL);
  if (jb == NULL)
    return FALSE;

  return talk_xmpp_jid_equal (ja, jb);
}

char *
talk_xmpp_jid_normalize (const char  *str,
                         GError     **error)
{
  g_autoptr(TalkXmppJid) jid = NULL;
  JidSpans spans;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* Most addresses on the wire are already in normalised form. */
  if (str != NULL && split_ascii (str, strlen (str), &spans) && spans.normalized)
    return g_strdup (str);

  jid = talk_xmpp_jid_new (str, error);

  return jid != NULL ? g_strdup (jid->full) : NULL;
}
