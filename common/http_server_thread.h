// StartListeningThread: runs a bound cpp-httplib server on its own thread.
#ifndef KRS_COMMON_HTTP_SERVER_THREAD_H_
#define KRS_COMMON_HTTP_SERVER_THREAD_H_

#include <thread>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "httplib.h"

namespace krs {

// Starts `server.listen_after_bind()` on a new thread and returns once the server runs.
// httplib::Server::stop() does nothing until the listen loop has marked the server running, so
// a stop() issued earlier would leave the thread listening forever. The bound socket queues
// connections in its backlog meanwhile. The server must already be bound to a port.
inline std::thread StartListeningThread(httplib::Server& server) {
  std::thread thread([&server] { server.listen_after_bind(); });
  while (!server.is_running()) absl::SleepFor(absl::Milliseconds(1));
  return thread;
}

}  // namespace krs

#endif  // KRS_COMMON_HTTP_SERVER_THREAD_H_
