// FakeManagementServer: a cpp-httplib server on 127.0.0.1 (a free port) that stands in for the
// RabbitMQ management API where a test must control the responses. It records every request.
#ifndef KRS_TESTS_TESTING_FAKE_MANAGEMENT_SERVER_H_
#define KRS_TESTS_TESTING_FAKE_MANAGEMENT_SERVER_H_

#include <httplib.h>

#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"

#include "common/mutex.h"

namespace krs::testing {

// One request as the server received it.
struct RecordedRequest {
  std::string method;
  std::string path;           // decoded by httplib, without the query
  std::string target;         // raw request target as sent: encoded path and query
  std::string authorization;  // the Authorization header, "" when absent
};

class FakeManagementServer {
 public:
  using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;

  // Binds 127.0.0.1 on a free port and serves from a background thread. The default handler
  // answers every request with 404 and the management API's not-found body.
  FakeManagementServer();
  // Stops the server and joins its thread.
  ~FakeManagementServer();

  FakeManagementServer(const FakeManagementServer&) = delete;
  FakeManagementServer& operator=(const FakeManagementServer&) = delete;

  int port() const { return port_; }
  // Returns "http://<userinfo>@127.0.0.1:<port>", or without userinfo when it is empty.
  std::string Url(absl::string_view userinfo = "guest:guest") const;

  // Replaces the handler of every method and path.
  void SetHandler(Handler handler);

  std::vector<RecordedRequest> requests() const;

 private:
  void Handle(const httplib::Request& request, httplib::Response& response);

  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;

  mutable Mutex mu_;
  Handler handler_ ABSL_GUARDED_BY(mu_);
  std::vector<RecordedRequest> requests_ ABSL_GUARDED_BY(mu_);
};

}  // namespace krs::testing

#endif  // KRS_TESTS_TESTING_FAKE_MANAGEMENT_SERVER_H_
