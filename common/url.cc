#include "common/url.h"

#include <cstddef>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace krs {
namespace {

constexpr absl::string_view kSchemeSeparator = "://";
constexpr absl::string_view kRedacted = "***";

bool IsSchemeChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
}

bool IsValidScheme(absl::string_view scheme) {
  if (scheme.empty() || !absl::ascii_isalpha(static_cast<unsigned char>(scheme[0]))) return false;
  for (char c : scheme) {
    if (!IsSchemeChar(c)) return false;
  }
  return true;
}

bool IsUnreserved(unsigned char c) {
  return absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string PercentEncodeUnreserved(absl::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (IsUnreserved(byte)) {
      out.push_back(c);
      continue;
    }
    out.push_back('%');
    out.push_back(kHex[byte >> 4]);
    out.push_back(kHex[byte & 0x0F]);
  }
  return out;
}

// Parses the port after ':' ("" means no port, as Go's net/url accepts "host:").
absl::StatusOr<int> ParsePort(absl::string_view text) {
  if (text.empty()) return 0;
  int port = 0;
  bool digits_only = text.size() <= 5;
  for (char c : text) digits_only = digits_only && absl::ascii_isdigit(static_cast<unsigned char>(c));
  if (!digits_only || !absl::SimpleAtoi(text, &port) || port < 1 || port > 65535) {
    return absl::InvalidArgumentError("URL port is not a number between 1 and 65535");
  }
  return port;
}

// Splits "host", "host:port", "[v6]" or "[v6]:port" into url->host and url->port.
absl::Status ParseHostPort(absl::string_view host_port, Url* url) {
  absl::string_view port_text;
  if (!host_port.empty() && host_port.front() == '[') {
    const size_t close = host_port.find(']');
    if (close == absl::string_view::npos) {
      return absl::InvalidArgumentError("URL has an IPv6 host without the closing ']'");
    }
    url->host = std::string(host_port.substr(1, close - 1));
    absl::string_view after = host_port.substr(close + 1);
    if (!after.empty() && after.front() != ':') {
      return absl::InvalidArgumentError("URL has characters after the IPv6 host other than ':port'");
    }
    if (!after.empty()) port_text = after.substr(1);
  } else {
    const size_t colon = host_port.find(':');
    url->host = std::string(host_port.substr(0, colon));
    if (colon != absl::string_view::npos) {
      port_text = host_port.substr(colon + 1);
      if (port_text.find(':') != absl::string_view::npos) {
        return absl::InvalidArgumentError(
            "URL host contains more than one ':'; write IPv6 addresses in brackets, e.g. [::1]");
      }
    }
  }

  absl::StatusOr<int> port = ParsePort(port_text);
  if (!port.ok()) return port.status();
  url->port = *port;
  return absl::OkStatus();
}

// The bytes Go's net/url accepts in a userinfo (validUserinfo in Go 1.20): RFC 3986 unreserved
// and sub-delims, ':', '@' and '%'. KEDA parses the host URL with net/url, so a URL it rejects
// is rejected here too. Spaces and quotes are excluded, which keeps RedactUrl's word split
// from cutting a parsed password in two.
bool IsUserinfoChar(unsigned char c) {
  if (absl::ascii_isalnum(c)) return true;
  return absl::string_view("-._:~!$&'()*+,;=%@").find(static_cast<char>(c)) !=
         absl::string_view::npos;
}

// Splits the userinfo ("user", "user:password") and decodes both parts once.
absl::Status ParseUserinfo(absl::string_view userinfo, Url* url) {
  for (char c : userinfo) {
    if (!IsUserinfoChar(static_cast<unsigned char>(c))) {
      return absl::InvalidArgumentError(
          "URL userinfo contains a character that must be percent-encoded (a space, a quote, a "
          "control character or a non-ASCII byte, for example)");
    }
  }
  const size_t colon = userinfo.find(':');
  absl::StatusOr<std::string> username = PercentDecode(userinfo.substr(0, colon));
  if (!username.ok()) {
    return absl::InvalidArgumentError("URL username contains an invalid percent escape");
  }
  url->username = *std::move(username);
  if (colon == absl::string_view::npos) return absl::OkStatus();

  absl::StatusOr<std::string> password = PercentDecode(userinfo.substr(colon + 1));
  if (!password.ok()) {
    return absl::InvalidArgumentError("URL password contains an invalid percent escape");
  }
  url->password = *std::move(password);
  url->has_password = true;
  return absl::OkStatus();
}

// Splits "/path?query#fragment" (each part optional) as written.
void ParsePathQueryFragment(absl::string_view rest, Url* url) {
  const size_t hash = rest.find('#');
  if (hash != absl::string_view::npos) {
    url->fragment = std::string(rest.substr(hash + 1));
    rest = rest.substr(0, hash);
  }
  const size_t question = rest.find('?');
  if (question != absl::string_view::npos) {
    url->query = std::string(rest.substr(question + 1));
    rest = rest.substr(0, question);
  }
  url->raw_path = std::string(rest);
}

// Returns where the authority of `url_text` ("scheme://authority...") ends.
size_t AuthorityEnd(absl::string_view url_text, size_t authority_begin) {
  const size_t end = url_text.find_first_of("/?#", authority_begin);
  return end == absl::string_view::npos ? url_text.size() : end;
}

// Redacts one URL token that starts with its scheme. A token that parses has its userinfo at the
// last '@' of the authority. A token that does not parse may have a password with an unencoded
// '/', '?' or '#', so the userinfo is taken to end at the last '@' of the whole token.
std::string RedactToken(absl::string_view token) {
  const size_t authority_begin = token.find(kSchemeSeparator) + kSchemeSeparator.size();
  const size_t authority_end = AuthorityEnd(token, authority_begin);
  size_t at = token.substr(0, authority_end).rfind('@');
  if (at == absl::string_view::npos || at < authority_begin) {
    if (ParseUrl(token).ok()) return std::string(token);
    at = token.rfind('@');
    if (at == absl::string_view::npos || at < authority_begin) return std::string(token);
  }

  const size_t colon = token.find(':', authority_begin);
  if (colon == absl::string_view::npos || colon > at) return std::string(token);
  return absl::StrCat(token.substr(0, colon + 1), kRedacted, token.substr(at));
}

// A single quote does not end a word: RFC 3986 allows it in a password, and splitting there
// would show the part of the password after it.
bool IsWordEnd(char c) {
  return absl::ascii_isspace(static_cast<unsigned char>(c)) || c == '"' || c == '<' ||
         c == '>' || c == '`';
}

// Redacts "user:password@host" written without a scheme: everything from the first ':' to the
// last '@' is taken as the password.
std::string RedactSchemelessWord(absl::string_view word) {
  const size_t at = word.rfind('@');
  const size_t colon = word.find(':');
  if (at == absl::string_view::npos || colon == absl::string_view::npos || colon > at) {
    return std::string(word);
  }
  return absl::StrCat(word.substr(0, colon + 1), kRedacted, word.substr(at));
}

// Redacts every URL in a word without spaces; URLs joined by other characters
// ("a://...,b://...") are redacted one by one.
std::string RedactWord(absl::string_view word) {
  size_t separator = word.find(kSchemeSeparator);
  if (separator == absl::string_view::npos) return RedactSchemelessWord(word);

  std::string out;
  size_t copied = 0;
  while (separator != absl::string_view::npos) {
    size_t url_begin = separator;
    while (url_begin > copied && IsSchemeChar(word[url_begin - 1])) --url_begin;

    const size_t next_separator = word.find(kSchemeSeparator, separator + 1);
    size_t url_end = word.size();
    if (next_separator != absl::string_view::npos) {
      url_end = next_separator;
      while (url_end > separator + kSchemeSeparator.size() && IsSchemeChar(word[url_end - 1])) {
        --url_end;
      }
    }

    absl::StrAppend(&out, word.substr(copied, url_begin - copied),
                    RedactToken(word.substr(url_begin, url_end - url_begin)));
    copied = url_end;
    separator = next_separator;
  }
  return out;
}

}  // namespace

absl::StatusOr<Url> ParseUrl(absl::string_view text) {
  const size_t separator = text.find(kSchemeSeparator);
  if (separator == absl::string_view::npos) {
    return absl::InvalidArgumentError("URL has no scheme; expected scheme://host[:port][/path]");
  }
  absl::string_view scheme = text.substr(0, separator);
  if (!IsValidScheme(scheme)) {
    return absl::InvalidArgumentError(
        "URL scheme is invalid; it must start with a letter followed by letters, digits, '+', "
        "'-' or '.'");
  }

  Url url;
  url.scheme = absl::AsciiStrToLower(scheme);
  const size_t authority_begin = separator + kSchemeSeparator.size();
  const size_t authority_end = AuthorityEnd(text, authority_begin);
  absl::string_view authority = text.substr(authority_begin, authority_end - authority_begin);

  // The last '@' ends the userinfo, as in Go's net/url, so "user:p@ss@host" keeps "p@ss".
  const size_t at = authority.rfind('@');
  absl::string_view host_port = authority;
  if (at != absl::string_view::npos) {
    absl::Status status = ParseUserinfo(authority.substr(0, at), &url);
    if (!status.ok()) return status;
    host_port = authority.substr(at + 1);
  }

  absl::Status status = ParseHostPort(host_port, &url);
  if (!status.ok()) return status;

  ParsePathQueryFragment(text.substr(authority_end), &url);
  return url;
}

absl::StatusOr<std::string> PercentDecode(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    const bool complete = i + 2 < text.size();
    const int high = complete ? HexValue(text[i + 1]) : -1;
    const int low = complete ? HexValue(text[i + 2]) : -1;
    if (high < 0 || low < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "invalid percent escape at byte ", i, ": '%' must be followed by two hex digits"));
    }
    out.push_back(static_cast<char>(high * 16 + low));
    i += 2;
  }
  return out;
}

std::string PercentEncodePathSegment(absl::string_view text) {
  return PercentEncodeUnreserved(text);
}

std::string PercentEncodeQueryValue(absl::string_view text) {
  return PercentEncodeUnreserved(text);
}

std::string RedactSingleUrl(absl::string_view url) {
  const size_t separator = url.find(kSchemeSeparator);
  if (separator == absl::string_view::npos) return RedactSchemelessWord(url);
  const size_t authority_begin = separator + kSchemeSeparator.size();
  const size_t at = url.rfind('@');
  const size_t colon = url.find(':', authority_begin);
  if (at == absl::string_view::npos || at < authority_begin || colon == absl::string_view::npos ||
      colon > at) {
    return std::string(url);
  }
  return absl::StrCat(url.substr(0, colon + 1), kRedacted, url.substr(at));
}

std::string RedactUrl(absl::string_view text) {
  std::string out;
  size_t word_begin = 0;
  while (word_begin < text.size()) {
    size_t word_end = word_begin;
    while (word_end < text.size() && !IsWordEnd(text[word_end])) ++word_end;
    absl::StrAppend(&out, RedactWord(text.substr(word_begin, word_end - word_begin)));
    if (word_end < text.size()) out.push_back(text[word_end]);
    word_begin = word_end + 1;
  }
  return out;
}

}  // namespace krs
