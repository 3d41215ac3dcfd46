// Fuzzes ParseTriggerMetadata. The input is a metadata map written as "key=value" lines (the
// first '=' splits a line), so the seed corpus stays readable.
//
// Properties checked besides the sanitizers: an accepted config has a metric name of
// [A-Za-z0-9_-] only, a positive page size and finite values, and no error message contains
// any part of the password of the `host` URL. For the last one a sentinel word is written at
// both ends of the password, where a redaction that cuts the password short would show it.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "scaler/trigger_metadata.h"

namespace {

constexpr absl::string_view kSentinel = "Zq7SentinelQz7";

std::map<std::string, std::string> MetadataFromBytes(absl::string_view text) {
  std::map<std::string, std::string> metadata;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    size_t equals = line.find('=');
    if (equals == absl::string_view::npos) continue;
    metadata[std::string(line.substr(0, equals))] = std::string(line.substr(equals + 1));
  }
  return metadata;
}

bool IsMetricNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '-' || c == '_';
}

// Writes kSentinel at both ends of the password of `url`, found as ParseUrl finds it: after the
// first ':' of the userinfo, which ends at the last '@' before the first '/', '?' or '#'.
// Returns false when the URL has no password.
bool MarkPassword(std::string& url) {
  size_t begin = url.find("://");
  if (begin == std::string::npos) return false;
  begin += 3;
  size_t end = url.find_first_of("/?#", begin);
  if (end == std::string::npos) end = url.size();
  size_t at = url.rfind('@', end == 0 ? 0 : end - 1);
  if (at == std::string::npos || at < begin) return false;
  size_t colon = url.find(':', begin);
  if (colon == std::string::npos || colon > at) return false;
  url = absl::StrCat(url.substr(0, colon + 1), kSentinel, url.substr(colon + 1, at - colon - 1),
                     kSentinel, url.substr(at));
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view text(reinterpret_cast<const char*>(data), size);
  std::map<std::string, std::string> metadata = MetadataFromBytes(text);
  for (const auto& [key, value] : metadata) {
    if (absl::StrContains(key, kSentinel) || absl::StrContains(value, kSentinel)) return 0;
  }
  auto host = metadata.find("host");
  bool marked = host != metadata.end() && MarkPassword(host->second);

  absl::StatusOr<krs::scaler::TriggerConfig> config =
      krs::scaler::ParseTriggerMetadata(metadata, absl::Seconds(3));
  if (!config.ok()) {
    if (marked && absl::StrContains(config.status().message(), kSentinel)) std::abort();
    return 0;
  }

  for (char c : config->metric_name) {
    if (!IsMetricNameChar(c)) std::abort();
  }
  if (config->query.page_size < 1) std::abort();
  if (!std::isfinite(config->value) || !std::isfinite(config->activation_value)) std::abort();
  return 0;
}
