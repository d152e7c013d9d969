// The library's error category and the human text of errors.
#include "parallel/error.hpp"

#include <caf/message.hpp>
#include <caf/sec.hpp>

#include "error_codes.hpp"

namespace parallel {

error make_error(errc code) {
  return error{static_cast<uint8_t>(code), error_category};
}

error make_error(std::string message) {
  return caf::make_error(caf::sec::runtime_error, std::move(message));
}

std::string to_string(errc code) {
  switch (code) {
    case errc::cancelled:
      return "cancelled";
    case errc::deadline_exceeded:
      return "deadline exceeded";
    case errc::group_done:
      return "group done";
    case errc::group_abandoned:
      return "group abandoned";
    case errc::panicked:
      return "panicked";
    case errc::node_down:
      return "node down";
    case errc::misuse:
      return "misuse";
  }
  return "unknown parallel error";
}

bool is(const error& e, errc code) {
  return e && e.category() == error_category
         && e.code() == static_cast<uint8_t>(code);
}

namespace {

// The context's elements that are strings, joined by ": ".
std::string context_text(const caf::message& ctx) {
  std::string out;
  for (size_t i = 0; i < ctx.size(); ++i) {
    if (ctx.match_element<std::string>(i)) {
      if (!out.empty())
        out += ": ";
      out += ctx.get_as<std::string>(i);
    }
  }
  return out;
}

} // namespace

std::string message(const error& e) {
  if (!e)
    return {};
  if (e.category() == error_category) {
    if (e.code() == detail::multi_error_code) {
      std::string out;
      auto& parts = e.context();
      // Like multi_error::message() (Go's Error()): one line per non-empty
      // part (one whose text is "" too).
      bool first = true;
      for (size_t i = 0; i < parts.size(); ++i) {
        if (!parts.match_element<error>(i) || !parts.get_as<error>(i))
          continue;
        if (!first)
          out += '\n';
        first = false;
        out += message(parts.get_as<error>(i));
      }
      return out;
    }
    auto text = to_string(static_cast<errc>(e.code()));
    auto extra = context_text(e.context());
    return extra.empty() ? text : text + ": " + extra;
  }
  if (e.category() == caf::atom("system")
      && e.code() == static_cast<uint8_t>(caf::sec::runtime_error)) {
    // make_error(std::string): its text as it is, "" too (as errors.New("")).
    auto& ctx = e.context();
    if (ctx.size() == 1 && ctx.match_element<std::string>(0))
      return ctx.get_as<std::string>(0);
    auto text = context_text(ctx);
    if (!text.empty())
      return text;
  }
  return caf::to_string(e);
}

} // namespace parallel
