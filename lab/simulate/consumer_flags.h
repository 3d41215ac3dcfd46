// ConsumerFlags: the rmq-consumer settings the lab reads from a container's args, so that
// simulate mode behaves as the real consumer configured by the same manifest.
#ifndef KRS_LAB_SIMULATE_CONSUMER_FLAGS_H_
#define KRS_LAB_SIMULATE_CONSUMER_FLAGS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace krs::lab {

enum class SigtermPolicy { kIgnore, kRequeue, kDrain };

struct ConsumerFlags {
  bool job_mode = false;                 // --mode=job: one message, then exit
  int prefetch = 1;                      // --prefetch
  SigtermPolicy on_sigterm = SigtermPolicy::kRequeue;  // --on-sigterm
  double idle_timeout_seconds = 30;      // --idle-timeout, job mode: exit when no message came
  bool deletion_cost = false;            // --deletion-cost-endpoint given
};

// Reads --mode, --prefetch, --on-sigterm, --idle-timeout and --deletion-cost-endpoint from
// `args` ("--flag=value" or "--flag value"); other flags are ignored. Defaults are
// rmq-consumer's. Returns INVALID_ARGUMENT naming the flag and the value for an invalid one.
absl::StatusOr<ConsumerFlags> ParseConsumerFlags(const std::vector<std::string>& args);

// Returns `args` with --flag set to `value`: replaces an existing "--flag=..." (or "--flag X")
// or appends "--flag=value".
std::vector<std::string> SetFlag(std::vector<std::string> args, const std::string& flag,
                                 const std::string& value);

// Returns the value of --flag in `args` (either form, '-' or '_' in the name), if present.
std::optional<std::string> FlagValue(const std::vector<std::string>& args,
                                     const std::string& flag);

// Returns `args` without --flag (both forms).
std::vector<std::string> RemoveFlag(std::vector<std::string> args, const std::string& flag);

}  // namespace krs::lab

#endif  // KRS_LAB_SIMULATE_CONSUMER_FLAGS_H_
