#include "api/server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <future>
#include <iostream>

#include "core/metrics.hpp"

namespace creditscope::api {
namespace {
constexpr MetricFamily kHttpRequestsMetric{"creditscope_http_requests_total", "HTTP requests answered, by route and status"};
constexpr MetricFamily kHttpDurationMetric{"creditscope_http_request_duration_seconds", "Time from a request read to its answer written, by route"};
}  // namespace
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

// Counts one request from its read to its answer.
class InFlight {
 public:
  explicit InFlight(std::atomic<std::size_t>& n) : n_(&n) { ++*n_; }
  ~InFlight() { release(); }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;
  void release() {
    if (n_) --*n_;
    n_ = nullptr;
  }

 private:
  std::atomic<std::size_t>* n_;
};

struct HttpServer::Impl {
  ServerOptions options;
  const Router& router;
  asio::io_context ioc;
  asio::thread_pool workers;
  tcp::acceptor acceptor{ioc};
  std::vector<std::thread> threads;
  std::atomic<std::size_t> connections{0};
  std::atomic<std::size_t> streams{0};  // chunked bodies being sent
  std::atomic<bool> stopping{false};      // streams end; sessions close after their current answer
  std::atomic<std::size_t> in_flight{0};  // requests read and not yet answered (streams once started excluded)

  Impl(ServerOptions o, const Router& r) : options(std::move(o)), router(r), workers(options.worker_threads) {}

  awaitable<void> write(beast::tcp_stream& stream, ApiResponse r, unsigned version, bool keep_alive, bool head) {
    if (r.stream && !head) {
      co_await write_stream(stream, std::move(r), version, keep_alive);
      co_return;
    }
    // The body is sent from a shared buffer: a cached rendering goes out without a copy.
    auto body = r.shared_body ? std::move(r.shared_body) : std::make_shared<const std::string>(std::move(r.body));
    http::response<http::span_body<const char>> res{static_cast<http::status>(r.status), version};
    res.set(http::field::server, "creditscope");
    if (!r.no_body) res.set(http::field::content_type, r.content_type);
    for (auto& [k, v] : r.headers) res.set(k, v);
    res.keep_alive(keep_alive);
    if (!r.no_body) {
      res.body() = http::span_body<const char>::value_type(body->data(), body->size());
      res.content_length(body->size());  // for HEAD too: that of the GET answer
    }
    stream.expires_after(options.read_timeout);
    http::response_serializer<http::span_body<const char>> sr{res};
    if (head || r.no_body) {
      co_await http::async_write_header(stream, sr, kTuple);
    } else {
      co_await http::async_write(stream, sr, kTuple);
    }
  }

  static awaitable<std::optional<std::string>> next_piece(BodyStream* body) { co_return body->next(); }

  // A chunked body: pieces from the stream (asked on the worker pool, so a piece that needs the
  // store never holds a network thread) until it ends, the client goes away or the server stops.
  awaitable<void> write_stream(beast::tcp_stream& stream, ApiResponse r, unsigned version, bool keep_alive) {
    http::response<http::empty_body> res{static_cast<http::status>(r.status), version};
    res.set(http::field::server, "creditscope");
    res.set(http::field::content_type, r.content_type);
    for (auto& [k, v] : r.headers) res.set(k, v);
    res.keep_alive(keep_alive);
    res.chunked(true);
    http::response_serializer<http::empty_body> sr{res};
    stream.expires_after(options.read_timeout);
    auto [ec, n] = co_await http::async_write_header(stream, sr, kTuple);
    if (ec) co_return;
    ++streams;
    asio::steady_timer timer(stream.get_executor());
    std::string piece;
    for (;;) {
      if (stopping) {
        auto last = r.stream->on_shutdown();
        if (!last) {  // incomplete: no final chunk
          --streams;
          co_return;
        }
        piece = std::move(*last);
        if (!piece.empty()) {
          stream.expires_after(std::chrono::seconds(1));
          co_await asio::async_write(stream, http::make_chunk(asio::buffer(piece)), kTuple);
        }
        break;
      }
      auto next = co_await asio::co_spawn(workers, next_piece(r.stream.get()), use_awaitable);
      if (!next) break;
      if (next->empty()) {
        timer.expires_after(r.stream->idle_wait());
        co_await timer.async_wait(kTuple);
        continue;
      }
      stream.expires_after(options.read_timeout);
      auto [wec, wn] = co_await asio::async_write(stream, http::make_chunk(asio::buffer(*next)), kTuple);
      if (wec) {
        --streams;
        co_return;
      }
    }
    stream.expires_after(std::chrono::seconds(1));
    co_await asio::async_write(stream, http::make_chunk_last(), kTuple);
    --streams;
  }

  static std::size_t header_bytes(const http::request_parser<http::string_body>& parser) {
    std::size_t n = 0;
    for (const auto& f : parser.get()) n += f.name_string().size() + f.value().size() + 4;
    return n;
  }

  // A plain coroutine rather than a capturing lambda: GCC 12 mishandles lambda captures that
  // must outlive the first suspension.
  static awaitable<ApiResponse> run_handler(const Route* route, ApiRequest request) {
    co_return route->handler(request);
  }

  awaitable<ApiResponse> dispatch(const Route& route, ApiRequest request) {
    if (!route.blocking) co_return route.handler(request);
    if (route.fast) {
      if (auto answer = route.fast(request)) co_return std::move(*answer);
    }
    co_return co_await asio::co_spawn(workers, run_handler(&route, std::move(request)), use_awaitable);
  }

  awaitable<void> session(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    bool first = true;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.header_limit(static_cast<std::uint32_t>(std::max<std::size_t>(64 * 1024, options.max_header_bytes + options.max_target_bytes)));
      parser.body_limit(options.max_body_bytes);
      stream.expires_after(first ? options.read_timeout : options.idle_timeout);
      first = false;
      auto [ec, n] = co_await http::async_read_header(stream, buffer, parser, kTuple);
      if (ec == http::error::header_limit) {
        co_await write(stream, detail_response(431, "Request Header Fields Too Large"), 11, false, false);
        break;
      }
      if (ec == http::error::body_limit) {  // a declared Content-Length above the limit
        co_await write(stream, detail_response(413, "Request Entity Too Large"), 11, false, false);
        break;
      }
      if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::eof ||
          ec == asio::error::connection_reset || ec == asio::error::operation_aborted) {
        break;
      }
      if (ec) {
        co_await write(stream, detail_response(400, "Bad Request"), 11, false, false);
        break;
      }
      stream.expires_after(options.read_timeout);
      InFlight counted(in_flight);
      const auto started = std::chrono::steady_clock::now();
      auto& req = parser.get();
      const unsigned version = req.version();
      std::string route_label = "unmatched";
      auto respond = [&](ApiResponse r, bool keep_alive, bool head) -> awaitable<void> {
        const unsigned status = r.status;
        co_await write(stream, std::move(r), version, keep_alive, head);
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        auto& m = Metrics::global();
        m.inc(kHttpRequestsMetric, {{"route", route_label}, {"status", std::to_string(status)}});
        m.observe(kHttpDurationMetric, {{"route", route_label}}, seconds);
      };
      if (req.target().size() > options.max_target_bytes) {
        co_await respond(detail_response(414, "URI Too Long"), false, false);
        break;
      }
      if (header_bytes(parser) > options.max_header_bytes) {
        co_await respond(detail_response(431, "Request Header Fields Too Large"), false, false);
        break;
      }
      if (auto len = parser.content_length(); len && *len > options.max_body_bytes) {
        co_await respond(detail_response(413, "Request Entity Too Large"), false, false);
        break;
      }
      if (!parser.is_done()) {
        auto [body_ec, body_n] = co_await http::async_read(stream, buffer, parser, kTuple);
        if (body_ec == http::error::body_limit) {
          co_await respond(detail_response(413, "Request Entity Too Large"), false, false);
          break;
        }
        if (body_ec) break;
      }

      ApiRequest request;
      request.method = std::string(req.method_string());
      std::string_view target = req.target();
      auto q = target.find('?');
      request.path = std::string(target.substr(0, q));
      if (q != std::string_view::npos) request.query = std::string(target.substr(q + 1));
      boost::system::error_code peer_ec;
      auto peer = stream.socket().remote_endpoint(peer_ec);
      if (!peer_ec) request.client = peer.address().to_string();
      for (const char* name : {"accept", "accept-encoding", "if-none-match", "last-event-id"})
        if (auto it = req.find(name); it != req.end()) request.headers.emplace_back(name, std::string(it->value()));
      if (auto it = req.find("x-api-key"); it != req.end()) {
        request.has_api_key = true;
        request.api_key = std::string(it->value());
      }
      request.limit_key = router.limit_key(request);
      // Once shutting down, the answer closes the connection so the client goes elsewhere.
      const bool keep_alive = req.keep_alive() && !stopping;
      const bool head = req.method() == http::verb::head;
      const Route* route = router.find(request.path);
      if (route) route_label = route->path;
      ApiResponse response;
      if (auto early = router.precheck(request, route)) {
        response = std::move(*early);
      } else {
        try {
          response = co_await dispatch(*route, std::move(request));
        } catch (const std::exception& e) {
          std::cerr << "handler for " << route_label << " threw: " << e.what() << "\n";
          response = detail_response(500, "Internal Server Error");
        }
      }
      const bool streamed = response.stream && !head;
      if (streamed) counted.release();  // a stream lasts until shutdown ends it: not a request to wait for
      co_await respond(std::move(response), keep_alive && !streamed && !stopping, head);
      if (!keep_alive || streamed || stopping) break;
    }
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    --connections;
  }

  awaitable<void> reject(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    ApiResponse r = detail_response(503, "Too many connections");
    r.headers.emplace_back("Retry-After", "1");
    co_await write(stream, std::move(r), 11, false, false);
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  }

  awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(asio::make_strand(ioc), kTuple);
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
      if (ec) continue;  // e.g. EMFILE: keep serving the connections we have
      socket.set_option(tcp::no_delay(true));
      auto executor = socket.get_executor();
      if (++connections > options.max_connections) {
        --connections;
        asio::co_spawn(executor, reject(std::move(socket)), asio::detached);
        continue;
      }
      asio::co_spawn(executor, session(std::move(socket)), asio::detached);
    }
  }
};

HttpServer::HttpServer(ServerOptions options, const Router& router)
    : impl_(std::make_unique<Impl>(std::move(options), router)) {
  const std::string& listen = impl_->options.listen;
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) throw std::runtime_error("server.listen must be host:port, got " + listen);
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  tcp::endpoint endpoint(asio::ip::make_address(host), static_cast<unsigned short>(std::stoul(listen.substr(colon + 1))));
  auto& acceptor = impl_->acceptor;
  acceptor.open(endpoint.protocol());
  acceptor.set_option(asio::socket_base::reuse_address(true));
  boost::system::error_code ec;
  acceptor.bind(endpoint, ec);
  if (ec) throw std::runtime_error("cannot listen on " + listen + ": " + ec.message());
  acceptor.listen(asio::socket_base::max_listen_connections);
  port_ = acceptor.local_endpoint().port();
}

HttpServer::~HttpServer() { stop(); }

void HttpServer::start() {
  asio::co_spawn(impl_->ioc, impl_->accept_loop(), asio::detached);
  for (unsigned i = 0; i < std::max(1u, impl_->options.io_threads); ++i)
    impl_->threads.emplace_back([this] { impl_->ioc.run(); });
}

void HttpServer::stop_accepting() {
  if (!impl_ || impl_->stopping.exchange(true)) return;
  // On the io threads: the acceptor is not thread-safe, and its pending accept ends with operation_aborted.
  std::promise<void> closed;
  asio::post(impl_->ioc, [this, &closed] {
    boost::system::error_code ignored;
    impl_->acceptor.close(ignored);
    closed.set_value();
  });
  if (!impl_->threads.empty()) closed.get_future().wait();
}

bool HttpServer::wait_idle(std::chrono::steady_clock::time_point deadline) const {
  while (impl_->in_flight > 0) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

std::size_t HttpServer::in_flight() const { return impl_->in_flight; }

void HttpServer::stop() {
  if (!impl_) return;
  stop_accepting();
  // Streams end cleanly: each sends its last piece and the final chunk before the threads stop.
  for (int i = 0; i < 100 && impl_->streams > 0 && !impl_->threads.empty(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  impl_->ioc.stop();
  for (auto& t : impl_->threads)
    if (t.joinable()) t.join();
  impl_->threads.clear();
  impl_->workers.stop();
  impl_->workers.join();
}

}  // namespace creditscope::api
