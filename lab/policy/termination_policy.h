// The kubelet's container stop timing, as in Kubernetes 1.28
// pkg/kubelet/kuberuntime/kuberuntime_container.go (killContainer). The preStop hook runs first
// and may use the whole grace period. The stop signal (SIGTERM) follows, and SIGKILL comes when
// the remaining grace period (at least 2 s) expires.
#ifndef KRS_LAB_POLICY_TERMINATION_POLICY_H_
#define KRS_LAB_POLICY_TERMINATION_POLICY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "lab/manifests/pod_template.h"

namespace krs::lab {

// terminationGracePeriodSeconds when the pod spec leaves it unset (API default).
inline constexpr std::int64_t kDefaultTerminationGracePeriodSeconds = 30;
// minimumGracePeriodInSeconds: the kubelet never gives the stop signal less than this.
inline constexpr std::int64_t kMinimumGracePeriodSeconds = 2;

// The grace period for deleting a pod: `override_seconds` (a delete with gracePeriodSeconds)
// if set, else the template's terminationGracePeriodSeconds, else 30 s.
absl::Duration TerminationGracePeriod(const PodTemplate& pod,
                                      std::optional<std::int64_t> override_seconds = {});

// The preStop command of the pod's first container that has one; unset when none has.
std::optional<std::vector<std::string>> PreStopCommand(const PodTemplate& pod);

// The time the stop signal gets after a preStop hook that ran for `pre_stop_used`: the grace
// period minus the whole seconds used, at least 2 s.
absl::Duration RemainingGraceAfterPreStop(absl::Duration grace, absl::Duration pre_stop_used);

// Whether a preStop hook runs at all: one exists and the grace period is > 0.
bool RunsPreStop(const PodTemplate& pod, absl::Duration grace);

}  // namespace krs::lab

#endif  // KRS_LAB_POLICY_TERMINATION_POLICY_H_
