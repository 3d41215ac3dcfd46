// Url: a parsed `scheme://[user[:password]@]host[:port][/path][?query][#fragment]` URL, plus
// RFC 3986 percent-encoding helpers and RedactUrl() for logs and errors.
//
// Pure functions, no I/O. Userinfo is percent-decoded exactly once. The path is kept as written
// so callers can split it into segments before decoding.
#ifndef KRS_COMMON_URL_H_
#define KRS_COMMON_URL_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace krs {

struct Url {
  std::string scheme;        // lower-case, e.g. "amqp"
  std::string username;      // percent-decoded once
  std::string password;      // percent-decoded once; never log it
  bool has_password = false; // true when the userinfo contains ':' (even "user:@host")
  std::string host;          // IPv6 literals without the brackets
  int port = 0;              // 0 when the URL has no port
  std::string raw_path;      // as written, not decoded; "" when absent
  std::string query;         // text after '?', without it; not decoded
  std::string fragment;      // text after '#', without it; not decoded
};

// Parses an absolute URL with an authority ("scheme://..."). Returns INVALID_ARGUMENT for a
// missing scheme, an invalid port, an unclosed IPv6 bracket or an invalid percent escape in the
// userinfo. The message never contains the userinfo or the port text, because a password with
// an unencoded '/' ends up in the port. Callers add RedactUrl(text) for context.
absl::StatusOr<Url> ParseUrl(absl::string_view text);

// Decodes %XX escapes ('+' stays '+'). Returns INVALID_ARGUMENT for a '%' not followed by two
// hex digits; the message gives the byte offset, never the text.
absl::StatusOr<std::string> PercentDecode(absl::string_view text);

// Encodes `text` as one URL path segment: RFC 3986 unreserved characters (A-Z a-z 0-9 - . _ ~)
// are kept and every other byte becomes %XX with upper-case hex, so a space is %20 (never '+')
// and '/', '?', '#', '+' and '%' are all encoded. UTF-8 is encoded byte by byte.
std::string PercentEncodePathSegment(absl::string_view text);

// Encodes `text` as one query parameter value, with the same rule as PercentEncodePathSegment.
std::string PercentEncodeQueryValue(absl::string_view text);

// Replaces the password of every `scheme://user:password@` in `text` with "***". Works on
// whole URLs and on messages that contain URLs (split at spaces and quotes), and also on URLs
// that fail to parse: then the password is taken to run up to the last '@' of the URL, which may
// hide more than the password but never less. A word without "://" that contains
// "user:password@" is redacted the same way, so "guest:pw@rabbit" becomes "guest:***@rabbit".
std::string RedactUrl(absl::string_view text);

// Replaces the password of one URL given on its own (a metadata value, a flag) with "***":
// everything from the first ':' after "scheme://" to the last '@' of the text, so that a password
// with a space or a quote in an invalid URL is hidden as a whole, which RedactUrl's word split
// cannot do. Text without "://" is redacted like RedactUrl's "user:password@host" words.
std::string RedactSingleUrl(absl::string_view url);

}  // namespace krs

#endif  // KRS_COMMON_URL_H_
