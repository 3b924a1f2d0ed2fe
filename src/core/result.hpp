#pragma once
// Expected failures travel as values: Result<T> holds a T or an Error.
// Exceptions are reserved for bugs and start-up failures (see STYLE.md).

#include <boost/assert/source_location.hpp>
#include <boost/system/result.hpp>
#include <stdexcept>
#include <string>
#include <utility>

namespace creditscope {

enum class Errc {
  kInvalidInput,   // the caller sent something malformed
  kUpstream,       // an RPC node or price API failed or answered nonsense
  kRangeTooLarge,  // a provider refused an eth_getLogs range; split and retry
  kNotConfigured,  // the chain or feature is not configured on this server
  kTimeout,        // a deadline passed
  kBackfilling,    // the account's history is still being indexed; ask again later
  kFenced,        // a store write carried a lease epoch that is no longer current
  kInternal,       // a bug or broken invariant
};

struct Error {
  Errc code = Errc::kInternal;
  std::string message;
};

class ErrorException : public std::runtime_error {
 public:
  explicit ErrorException(Error e) : std::runtime_error(e.message), error_(std::move(e)) {}
  const Error& error() const noexcept { return error_; }

 private:
  Error error_;
};

// Found by boost::system::result<T, Error>::value() through ADL.
[[noreturn]] inline void throw_exception_from_error(const Error& e, const boost::source_location&) {
  throw ErrorException(e);
}

template <class T>
using Result = boost::system::result<T, Error>;

inline Error make_error(Errc code, std::string message) { return Error{code, std::move(message)}; }

}  // namespace creditscope
