// Fuzzes ParseUrl, PercentDecode and RedactUrl. The input is the URL text.
//
// Property checked besides the sanitizers: when ParseUrl finds a password, RedactUrl's output
// does not contain the password as written, unless the same bytes also appear elsewhere in the
// input or the password contains '*'.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "common/url.h"

namespace {

size_t CountOccurrences(absl::string_view haystack, absl::string_view needle) {
  size_t count = 0;
  for (size_t at = haystack.find(needle); at != absl::string_view::npos;
       at = haystack.find(needle, at + 1)) {
    ++count;
  }
  return count;
}

// Returns the password of `text` as written, the way ParseUrl splits it: the userinfo ends at
// the last '@' of the authority and the password starts after its first ':'.
absl::string_view RawPassword(absl::string_view text) {
  size_t begin = text.find("://");
  if (begin == absl::string_view::npos) return "";
  begin += 3;
  size_t end = text.find_first_of("/?#", begin);
  if (end == absl::string_view::npos) end = text.size();
  size_t at = text.substr(0, end).rfind('@');
  if (at == absl::string_view::npos || at < begin) return "";
  size_t colon = text.find(':', begin);
  if (colon == absl::string_view::npos || colon > at) return "";
  return text.substr(colon + 1, at - colon - 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view text(reinterpret_cast<const char*>(data), size);

  (void)krs::PercentDecode(text);
  std::string redacted = krs::RedactUrl(text);

  absl::StatusOr<krs::Url> url = krs::ParseUrl(text);
  if (!url.ok() || !url->has_password) return 0;

  absl::string_view password = RawPassword(text);
  // A password with '*' can be rebuilt from the "user:***" that replaces it, e.g. the password
  // "st:***" of "amqp://st:st:***@host" reappears in "amqp://st:***@host".
  if (password.size() < 4 || absl::StrContains(password, "*")) return 0;
  if (CountOccurrences(text, password) != 1) return 0;
  if (absl::StrContains(redacted, password)) std::abort();
  return 0;
}
