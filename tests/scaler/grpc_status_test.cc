#include "scaler/grpc_status.h"

#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace krs::scaler {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(ToGrpcStatus, OkStaysOk) { EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok()); }

TEST(ToGrpcStatus, KeepsCodeAndMessage) {
  struct Case {
    absl::StatusCode absl_code;
    grpc::StatusCode grpc_code;
  };
  const Case cases[] = {
      {absl::StatusCode::kCancelled, grpc::StatusCode::CANCELLED},
      {absl::StatusCode::kUnknown, grpc::StatusCode::UNKNOWN},
      {absl::StatusCode::kInvalidArgument, grpc::StatusCode::INVALID_ARGUMENT},
      {absl::StatusCode::kDeadlineExceeded, grpc::StatusCode::DEADLINE_EXCEEDED},
      {absl::StatusCode::kNotFound, grpc::StatusCode::NOT_FOUND},
      {absl::StatusCode::kAlreadyExists, grpc::StatusCode::ALREADY_EXISTS},
      {absl::StatusCode::kPermissionDenied, grpc::StatusCode::PERMISSION_DENIED},
      {absl::StatusCode::kResourceExhausted, grpc::StatusCode::RESOURCE_EXHAUSTED},
      {absl::StatusCode::kFailedPrecondition, grpc::StatusCode::FAILED_PRECONDITION},
      {absl::StatusCode::kAborted, grpc::StatusCode::ABORTED},
      {absl::StatusCode::kOutOfRange, grpc::StatusCode::OUT_OF_RANGE},
      {absl::StatusCode::kUnimplemented, grpc::StatusCode::UNIMPLEMENTED},
      {absl::StatusCode::kInternal, grpc::StatusCode::INTERNAL},
      {absl::StatusCode::kUnavailable, grpc::StatusCode::UNAVAILABLE},
      {absl::StatusCode::kDataLoss, grpc::StatusCode::DATA_LOSS},
      {absl::StatusCode::kUnauthenticated, grpc::StatusCode::UNAUTHENTICATED},
  };

  for (const Case& c : cases) {
    SCOPED_TRACE(absl::StatusCodeToString(c.absl_code));
    grpc::Status status = ToGrpcStatus(absl::Status(c.absl_code, "queue \"orders\" failed"));

    EXPECT_EQ(status.error_code(), c.grpc_code);
    EXPECT_EQ(status.error_message(), "queue \"orders\" failed");
  }
}

TEST(ToGrpcStatus, UnknownCodeBecomesUnknown) {
  grpc::Status status = ToGrpcStatus(absl::Status(static_cast<absl::StatusCode>(42), "odd"));

  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNKNOWN);
  EXPECT_EQ(status.error_message(), "odd");
}

TEST(ToGrpcStatus, RedactsPasswordInMessage) {
  grpc::Status status = ToGrpcStatus(
      absl::UnavailableError("connect to amqp://user:hunter2@broker:5672/ failed"));

  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(status.error_message(), Not(HasSubstr("hunter2")));
  EXPECT_THAT(status.error_message(), HasSubstr("amqp://user:***@broker:5672/"));
}

}  // namespace
}  // namespace krs::scaler
