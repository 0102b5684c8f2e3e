#include "manager/observe/http_endpoint.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <httplib.h>
#include <mutex>
#include <stdexcept>
#include <vector>

#include "manager/observe/log_tail.hpp"
#include "manager/observe/routes.hpp"
#include "services/role.hpp"

namespace sm::observe {

namespace {

// httplib's ThreadPool queues without bound; this one makes the accepting thread wait while
// `maxQueued` connections wait for a worker, so that a flood stays in the kernel's backlog
// instead of in our memory.
class BoundedPool : public httplib::TaskQueue {
 public:
  BoundedPool(int workers, std::size_t maxQueued) : maxQueued_(maxQueued) {
    for (int i = 0; i < workers; ++i) threads_.emplace_back([this] { work(); });
  }
  ~BoundedPool() override = default;

  void enqueue(std::function<void()> fn) override {
    std::unique_lock lock(mutex_);
    spaceFreed_.wait(lock, [&] { return jobs_.size() < maxQueued_ || shutdown_; });
    // Even while shutting down: the job closes its socket.
    jobs_.push_back(std::move(fn));
    jobAdded_.notify_one();
  }

  void shutdown() override {
    {
      std::lock_guard lock(mutex_);
      shutdown_ = true;
    }
    jobAdded_.notify_all();
    spaceFreed_.notify_all();
    for (auto& t : threads_) t.join();
  }

 private:
  void work() {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock lock(mutex_);
        jobAdded_.wait(lock, [&] { return !jobs_.empty() || shutdown_; });
        if (jobs_.empty()) return;
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      spaceFreed_.notify_one();
      job();
    }
  }

  const std::size_t maxQueued_;
  std::mutex mutex_;
  std::condition_variable jobAdded_;
  std::condition_variable spaceFreed_;
  std::deque<std::function<void()>> jobs_;
  bool shutdown_ = false;
  std::vector<std::thread> threads_;
};

// The listening socket's backlog: httplib listens with a small one, and its socket is reachable
// only from a subclass.
constexpr int kBacklog = 128;
// Seconds a connection may stay silent before the kernel hands it to accept() all the same.
constexpr int kDeferAcceptSeconds = 5;

}  // namespace

class HttpEndpoint::Server : public httplib::Server {
 public:
  bool widenBacklog() { return ::listen(svr_sock_, kBacklog) == 0; }
};

HttpEndpoint::HttpEndpoint(const StateBoard& board, HttpEndpointOptions options)
    : board_(board), options_(std::move(options)), server_(std::make_unique<Server>()) {}

HttpEndpoint::~HttpEndpoint() {
  stop();
}

void HttpEndpoint::start() {
  auto& server = *server_;
  const auto workers = options_.workers;
  const auto maxQueued = options_.maxQueued;
  server.new_task_queue = [workers, maxQueued] { return new BoundedPool(workers, maxQueued); };
  server.set_socket_options([](int sock) {
    int one = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    int defer = kDeferAcceptSeconds;
    ::setsockopt(sock, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer, sizeof defer);
  });
  // One request per connection, and a connection that has sent nothing yet is dropped at once
  // (keep-alive timeout 0 = about 10 ms): with deferred accepts, a request's bytes are there.
  server.set_keep_alive_max_count(1);
  server.set_keep_alive_timeout(0);
  server.set_read_timeout(options_.ioTimeout);
  server.set_write_timeout(options_.ioTimeout);
  server.set_payload_max_length(4096);

  server.set_exception_handler([](const httplib::Request&, httplib::Response& res,
                                  std::exception_ptr) {
    res.status = 500;
    res.set_content("internal error\n", "text/plain; charset=utf-8");
  });
  // Every request is answered here, before httplib's own (regex) routing.
  server.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    auto reply = [&res](const HttpReply& r) {
      res.status = r.status;
      res.set_content(r.body, r.contentType.c_str());
    };
    if (req.method != "GET" && req.method != "HEAD") {
      res.set_header("Allow", "GET, HEAD");
      reply(HttpReply{405, "text/plain; charset=utf-8", "read-only endpoint: GET or HEAD\n"});
      return httplib::Server::HandlerResponse::Handled;
    }
    const auto state = board_.current();
    const RouteClock clock{std::chrono::steady_clock::now(), services::monotonicNowNs()};
    std::string_view path = req.path;
    if (!path.starts_with(kLogsPrefix)) {
      reply(route(state.get(), path, req.params, clock, options_.staleAfter));
      return httplib::Server::HandlerResponse::Handled;
    }
    auto log = routeLog(state.get(), path.substr(kLogsPrefix.size()), req.params);
    if (!log.request) {
      reply(log.error);
      return httplib::Server::HandlerResponse::Handled;
    }
    auto tail = readLogTail(log.request->path, log.request->tail);
    if (!tail) {
      reply(HttpReply{404, "text/plain; charset=utf-8", "no log written yet\n"});
      return httplib::Server::HandlerResponse::Handled;
    }
    if (!log.request->follow) {
      reply(HttpReply{200, "text/plain; charset=utf-8", std::move(tail->text)});
      return httplib::Server::HandlerResponse::Handled;
    }
    // A follower holds a worker: only a few at a time, each for a bounded time.
    if (followers_.fetch_add(1) >= options_.maxFollowers) {
      followers_.fetch_sub(1);
      reply(HttpReply{429, "text/plain; charset=utf-8",
                      "too many log followers on this host; try again later\n"});
      return httplib::Server::HandlerResponse::Handled;
    }
    struct Follow {
      std::string path;
      std::string pending;
      std::uint64_t offset;
      std::chrono::steady_clock::time_point until;
    };
    auto follow = std::make_shared<Follow>(Follow{log.request->path, std::move(tail->text),
                                                  tail->endOffset,
                                                  std::chrono::steady_clock::now() +
                                                      options_.maxFollow});
    res.status = 200;
    res.set_chunked_content_provider(
        "text/plain; charset=utf-8",
        [this, follow](std::size_t, httplib::DataSink& sink) {
          if (!follow->pending.empty()) {
            if (!sink.write(follow->pending.data(), follow->pending.size())) return false;
            follow->pending.clear();
          }
          // Polls the file: a few times a second is plenty for a human reading it.
          constexpr auto kPoll = std::chrono::milliseconds(200);
          while (!stopping_ && std::chrono::steady_clock::now() < follow->until) {
            if (auto more = readLogSince(follow->path, follow->offset); more && !more->text.empty()) {
              follow->offset = more->endOffset;
              return sink.write(more->text.data(), more->text.size());
            }
            if (!sink.is_writable()) return false;
            std::this_thread::sleep_for(kPoll);
          }
          sink.done();
          return true;
        },
        [this](bool) { followers_.fetch_sub(1); });
    return httplib::Server::HandlerResponse::Handled;
  });

  const auto& host = options_.address.host;
  if (options_.address.port == 0) {
    port_ = server.bind_to_any_port(host);
  } else {
    port_ = server.bind_to_port(host, options_.address.port) ? options_.address.port : -1;
  }
  if (port_ <= 0) {
    throw std::runtime_error("cannot listen on " + host + ":" +
                             std::to_string(options_.address.port));
  }
  server.widenBacklog();
  listener_ = std::thread([&server] { server.listen_after_bind(); });
  // httplib's stop() does nothing until its accept loop has begun (is_running()): a stop before
  // that would leave the thread in accept() for ever. Its first statement sets it.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!server.is_running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (!server.is_running()) {
    // Unblocks the thread in any case: closing the socket ends accept().
    server.stop();
    listener_.detach();
    throw std::runtime_error("the HTTP listener did not start");
  }
}

void HttpEndpoint::stop() {
  if (!listener_.joinable()) return;
  stopping_ = true;
  server_->stop();
  listener_.join();
}

}  // namespace sm::observe
