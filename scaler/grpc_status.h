// ToGrpcStatus: the one conversion from absl::Status to grpc::Status at the RPC edge.
//
// Both libraries number their codes as google.rpc.Code does, so the code carries over
// unchanged (INVALID_ARGUMENT stays INVALID_ARGUMENT, NOT_FOUND stays NOT_FOUND, ...). The
// message is kept, with the password of any URL in it replaced by "***" as a last line of
// defence: callers are expected to have redacted it already.
#ifndef KRS_SCALER_GRPC_STATUS_H_
#define KRS_SCALER_GRPC_STATUS_H_

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace krs::scaler {

// Returns a grpc::Status with the code and the redacted message of `status`. An OK status
// becomes grpc::Status::OK. Codes outside 0..16 become UNKNOWN.
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace krs::scaler

#endif  // KRS_SCALER_GRPC_STATUS_H_
