#include "scaler/scaler_options.h"

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace krs::scaler {
namespace {

using ::testing::HasSubstr;

TEST(ScalerOptions, DefaultsAreValid) {
  ScalerOptions options;

  EXPECT_TRUE(options.Validate().ok());
  EXPECT_EQ(options.listen, "0.0.0.0:9090");
  EXPECT_EQ(options.default_timeout, absl::Seconds(3));
  EXPECT_EQ(options.cache_ttl, absl::Seconds(1));
  EXPECT_EQ(options.stream_check_interval, absl::Seconds(1));
}

TEST(ScalerOptions, ValidateRejectsOutOfRangeValues) {
  struct Case {
    std::string name;  // the option named in the error
    std::function<void(ScalerOptions&)> change;
  };
  const Case cases[] = {
      {"listen", [](ScalerOptions& o) { o.listen = ""; }},
      {"timeout", [](ScalerOptions& o) { o.default_timeout = absl::ZeroDuration(); }},
      {"cache_ttl", [](ScalerOptions& o) { o.cache_ttl = absl::Seconds(-1); }},
      {"stream_check_interval",
       [](ScalerOptions& o) { o.stream_check_interval = absl::ZeroDuration(); }},
      {"shutdown_grace", [](ScalerOptions& o) { o.shutdown_grace = absl::Seconds(-1); }},
      {"warning_interval", [](ScalerOptions& o) { o.warning_interval = absl::Seconds(-1); }},
  };

  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ScalerOptions options;
    c.change(options);
    absl::Status status = options.Validate();

    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(status.message()), HasSubstr(c.name));
  }
}

TEST(ScalerOptions, ValidateChecksListenAddress) {
  struct Case {
    std::string listen;
    bool valid;
  };
  const Case cases[] = {
      {"0.0.0.0:9090", true},
      {"127.0.0.1:0", true},
      {"[::]:9090", true},
      {"localhost:65535", true},
      {"unix:/run/scaler.sock", true},
      {"", false},
      {"9090", false},
      {":9090", false},
      {"127.0.0.1:", false},
      {"127.0.0.1:65536", false},  // gRPC would listen on another port
      {"127.0.0.1:99999", false},
      {"127.0.0.1:-1", false},
      {"127.0.0.1:http", false},
  };

  for (const Case& c : cases) {
    SCOPED_TRACE(c.listen);
    ScalerOptions options;
    options.listen = c.listen;
    absl::Status status = options.Validate();

    EXPECT_EQ(status.ok(), c.valid) << status;
    if (!c.valid) {
      EXPECT_THAT(std::string(status.message()), HasSubstr("listen"));
    }
  }
}

TEST(ScalerOptions, ZeroCacheTtlIsValid) {
  ScalerOptions options;
  options.cache_ttl = absl::ZeroDuration();

  EXPECT_TRUE(options.Validate().ok());
}

}  // namespace
}  // namespace krs::scaler
