// Names and ports shared by the workloads, the manifests and the lab. Every other place that
// needs one of these values includes this header instead of repeating the literal.
#ifndef KRS_WORKLOADS_COMMON_DEFAULTS_H_
#define KRS_WORKLOADS_COMMON_DEFAULTS_H_

namespace krs::workloads {

// The durable direct exchange the producer publishes to.
inline constexpr char kDefaultExchange[] = "jobs";
inline constexpr char kDefaultExchangeType[] = "direct";
// The durable queue bound to kDefaultExchange with kDefaultRoutingKey.
inline constexpr char kDefaultQueue[] = "jobs";
inline constexpr char kDefaultRoutingKey[] = "jobs";

// The result-analyzer's HTTP port.
inline constexpr int kAnalyzerPort = 8080;
inline constexpr char kDefaultAnalyzerListen[] = "0.0.0.0:8080";

// The broker URL used when neither --amqp-url nor AMQP_URL is set: the broker that
// scripts/rabbitmq.sh starts with its default ports.
inline constexpr char kDefaultAmqpUrl[] = "amqp://guest:guest@127.0.0.1:29672/%2F";

// Environment variables read by the workloads.
inline constexpr char kAmqpUrlEnv[] = "AMQP_URL";          // broker URL
inline constexpr char kAnalyzerUrlEnv[] = "ANALYZER_URL";  // e.g. http://127.0.0.1:8080
inline constexpr char kPodNameEnv[] = "POD_NAME";          // consumer id
inline constexpr char kPodNamespaceEnv[] = "POD_NAMESPACE";
inline constexpr char kScenarioEnv[] = "SCENARIO";         // scenario name in bodies and events

// The annotation the ReplicaSet controller reads to choose which pod to delete first.
inline constexpr char kPodDeletionCostAnnotation[] = "controller.kubernetes.io/pod-deletion-cost";

}  // namespace krs::workloads

#endif  // KRS_WORKLOADS_COMMON_DEFAULTS_H_
