#include "chain/http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <map>
#include <memory>
#include <variant>

namespace creditscope::chain {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

Result<Url> parse_url(std::string_view text) {
  Url url;
  std::string_view rest;
  if (text.starts_with("http://")) {
    rest = text.substr(7);
  } else if (text.starts_with("https://")) {
    url.tls = true;
    rest = text.substr(8);
  } else {
    return make_error(Errc::kInvalidInput, "URL must start with http:// or https://");
  }
  auto slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  url.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (url.target.front() == '?') url.target.insert(0, "/");
  if (auto at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
  std::string_view host = authority, port = url.tls ? "443" : "80";
  if (!authority.empty() && authority.front() == '[') {  // [v6]:port
    auto close = authority.find(']');
    if (close == std::string_view::npos) return make_error(Errc::kInvalidInput, "bad IPv6 host in URL");
    host = authority.substr(1, close - 1);
    if (close + 1 < authority.size() && authority[close + 1] == ':') port = authority.substr(close + 2);
  } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty() || port.empty()) return make_error(Errc::kInvalidInput, "URL has no host or port");
  url.host = host;
  url.port = port;
  return url;
}

std::string redact_url(std::string_view text) {
  auto scheme_end = text.find("://");
  std::string_view scheme = scheme_end == std::string_view::npos ? "" : text.substr(0, scheme_end + 3);
  std::string_view rest = scheme_end == std::string_view::npos ? text : text.substr(scheme_end + 3);
  std::string_view authority = rest.substr(0, rest.find_first_of("/?"));
  if (auto at = authority.rfind('@'); at != std::string_view::npos) authority.remove_prefix(at + 1);
  std::string out = std::string(scheme) + std::string(authority);
  if (authority.size() < rest.size()) out += "/***";
  return out;
}

namespace {

using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

struct Connection {
  std::variant<PlainStream, TlsStream> stream;
  beast::flat_buffer buffer;  // reserved by connect(): see there
  beast::tcp_stream& lowest() {
    if (auto* p = std::get_if<PlainStream>(&stream)) return *p;
    return beast::get_lowest_layer(std::get<TlsStream>(stream));
  }
};

// Each thread owns an io_context and its idle connections, so no locking is needed and a
// keep-alive connection is reused by the next request from the same worker.
struct ThreadState {
  asio::io_context ioc;
  std::multimap<std::string, std::unique_ptr<Connection>> idle;
};

// One TLS context for the process, made on first use: loading the system's CA certificates costs
// milliseconds, which a per-thread context paid on every new thread (each backfill runs on one)
// even for plain-HTTP nodes. An SSL_CTX is safe to share once configured.
asio::ssl::context& shared_tls() {
  static asio::ssl::context tls = [] {
    asio::ssl::context c{asio::ssl::context::tls_client};
    c.set_default_verify_paths();
    c.set_verify_mode(asio::ssl::verify_peer);
    return c;
  }();
  return tls;
}

ThreadState& thread_state() {
  thread_local ThreadState state;
  return state;
}

std::string pool_key(const Url& url) { return (url.tls ? "s:" : "p:") + url.host + ":" + url.port; }

error_code run_for(ThreadState& ts) {
  ts.ioc.restart();
  ts.ioc.run();
  return {};
}

Result<std::unique_ptr<Connection>> connect(ThreadState& ts, const Url& url,
                                            std::chrono::milliseconds timeout) {
  tcp::resolver resolver(ts.ioc);
  error_code ec;
  auto endpoints = resolver.resolve(url.host, url.port, ec);
  if (ec) return make_error(Errc::kUpstream, "cannot resolve " + url.host + ": " + ec.message());
  std::unique_ptr<Connection> conn;
  if (url.tls) {
    conn.reset(new Connection{TlsStream(ts.ioc, shared_tls()), {}});
  } else {
    conn.reset(new Connection{PlainStream(ts.ioc), {}});
  }
  // Beast reads at most the buffer's free capacity (at least 512 bytes) per read_some. Left to
  // itself the buffer stays at 512 bytes, so a 12 MB eth_getLogs answer took 25,000 reads, each
  // with an epoll wait and a timer reset, and came in a third slower than with curl.
  conn->buffer.reserve(64 * 1024);
  conn->lowest().expires_after(timeout);
  conn->lowest().async_connect(endpoints, [&](error_code e, const tcp::endpoint&) { ec = e; });
  run_for(ts);
  if (ec) return make_error(ec == beast::error::timeout ? Errc::kTimeout : Errc::kUpstream,
                            "connect to " + url.host + ":" + url.port + " failed: " + ec.message());
  conn->lowest().socket().set_option(tcp::no_delay(true));
  if (auto* tls = std::get_if<TlsStream>(&conn->stream)) {
    if (!SSL_set_tlsext_host_name(tls->native_handle(), url.host.c_str()))
      return make_error(Errc::kUpstream, "cannot set TLS server name");
    tls->set_verify_callback(asio::ssl::host_name_verification(url.host));
    tls->async_handshake(asio::ssl::stream_base::client, [&](error_code e) { ec = e; });
    run_for(ts);
    if (ec) return make_error(Errc::kUpstream, "TLS handshake with " + url.host + " failed: " + ec.message());
  }
  return conn;
}

template <class Stream>
error_code exchange(ThreadState& ts, Stream& stream, beast::tcp_stream& lowest, beast::flat_buffer& buffer,
                    http::request<http::string_body>& req, http::response_parser<http::string_body>& parser,
                    std::chrono::milliseconds timeout) {
  error_code result;
  lowest.expires_after(timeout);
  http::async_write(stream, req, [&](error_code ec, std::size_t) {
    if (ec) {
      result = ec;
      return;
    }
    http::async_read(stream, buffer, parser, [&](error_code ec2, std::size_t) { result = ec2; });
  });
  run_for(ts);
  return result;
}

Result<HttpResponse> request(const Url& url, http::verb verb, std::string body, const HttpOptions& options) {
  ThreadState& ts = thread_state();
  http::request<http::string_body> req{verb, url.target, 11};
  req.set(http::field::host, url.host);
  req.set(http::field::user_agent, "creditscope/0.1");
  req.set(http::field::accept, "application/json");
  for (const auto& [name, value] : options.headers) req.set(name, value);
  if (verb == http::verb::post) {
    req.set(http::field::content_type, "application/json");
    req.body() = std::move(body);
  }
  req.keep_alive(true);
  req.prepare_payload();

  const std::string key = pool_key(url);
  // A pooled connection may have been closed by the server while idle; such a failure before
  // any response byte is retried once on a fresh connection.
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::unique_ptr<Connection> conn;
    bool reused = false;
    if (auto it = ts.idle.find(key); it != ts.idle.end() && attempt == 0) {
      conn = std::move(it->second);
      ts.idle.erase(it);
      reused = true;
    } else {
      auto fresh = connect(ts, url, options.timeout);
      if (!fresh) return fresh.error();
      conn = std::move(*fresh);
    }
    http::response_parser<http::string_body> parser;
    parser.body_limit(options.max_body_bytes);
    parser.header_limit(64 * 1024);
    error_code ec = std::visit(
        [&](auto& s) { return exchange(ts, s, conn->lowest(), conn->buffer, req, parser, options.timeout); },
        conn->stream);
    if (ec) {
      bool stale = reused && (ec == http::error::end_of_stream || ec == asio::error::connection_reset ||
                              ec == asio::error::eof || ec == asio::error::broken_pipe);
      if (stale) continue;
      if (ec == beast::error::timeout)
        return make_error(Errc::kTimeout, "timed out talking to " + url.host + ":" + url.port);
      if (ec == http::error::body_limit)
        return make_error(Errc::kUpstream, "response from " + url.host + " exceeds the size limit");
      return make_error(Errc::kUpstream, "HTTP exchange with " + url.host + ":" + url.port + " failed: " + ec.message());
    }
    auto& res = parser.get();
    HttpResponse out;
    out.status = res.result_int();
    if (auto ra = res.find(http::field::retry_after); ra != res.end()) {
      try {
        out.retry_after = std::chrono::seconds(std::stoul(std::string(ra->value())));
      } catch (...) {
        // An HTTP-date Retry-After is rare for JSON-RPC; ignore it rather than guess.
      }
    }
    for (const auto& field : res) {
      std::string name(field.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      out.headers.emplace_back(std::move(name), std::string(field.value()));
    }
    bool keep = res.keep_alive();
    out.body = std::move(res.body());
    if (keep && ts.idle.count(key) < 16) ts.idle.emplace(key, std::move(conn));
    return out;
  }
  return make_error(Errc::kUpstream, "connection to " + url.host + " closed repeatedly");
}

}  // namespace

Result<HttpResponse> http_post(const Url& url, std::string body, const HttpOptions& options) {
  return request(url, http::verb::post, std::move(body), options);
}

Result<HttpResponse> http_get(const Url& url, const HttpOptions& options) {
  return request(url, http::verb::get, {}, options);
}

}  // namespace creditscope::chain
