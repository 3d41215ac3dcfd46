#include "lab/control/control_plane.h"

namespace krs::lab {

const char* SampleSourceName(SampleSource source) {
  switch (source) {
    case SampleSource::kKedaPoll:
      return "keda-poll";
    case SampleSource::kHpaSync:
      return "hpa-sync";
    case SampleSource::kReplicaSet:
      return "replicaset";
  }
  return "keda-poll";
}

const char* PodEventTypeName(PodEventType type) {
  switch (type) {
    case PodEventType::kCreated:
      return "created";
    case PodEventType::kSelectedForDeletion:
      return "selected-for-deletion";
    case PodEventType::kPreStopStarted:
      return "prestop-started";
    case PodEventType::kPreStopFinished:
      return "prestop-finished";
    case PodEventType::kSigterm:
      return "sigterm";
    case PodEventType::kSigkill:
      return "sigkill";
    case PodEventType::kExited:
      return "exited";
    case PodEventType::kRemoved:
      return "removed";
  }
  return "created";
}

const char* JobEventTypeName(JobEventType type) {
  switch (type) {
    case JobEventType::kRequested:
      return "requested";
    case JobEventType::kCreated:
      return "created";
    case JobEventType::kFinished:
      return "finished";
    case JobEventType::kDeleted:
      return "deleted";
  }
  return "requested";
}

}  // namespace krs::lab
