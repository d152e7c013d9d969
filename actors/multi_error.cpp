// multi_error: Go's MultiError, and flattening errors that carry several parts.
#include "parallel/multi_error.hpp"

#include <stdexcept>

#include <caf/message_builder.hpp>

#include "error_codes.hpp"

namespace parallel {

namespace {

bool is_multi(const error& e) {
  return e && e.category() == error_category
         && e.code() == detail::multi_error_code;
}

// Appends `e` to `out`, replacing a multi-part error by its parts.
void flatten_into(const error& e, std::vector<error>& out) {
  if (!e)
    return;
  if (!is_multi(e)) {
    out.push_back(e);
    return;
  }
  auto& parts = e.context();
  for (size_t i = 0; i < parts.size(); ++i)
    if (parts.match_element<error>(i))
      flatten_into(parts.get_as<error>(i), out);
}

} // namespace

const error& multi_error::one() const {
  if (errs_.empty())
    throw std::logic_error("parallel::multi_error::one() on an empty multi_error");
  return errs_.front();
}

std::string multi_error::message() const {
  // Go's Error() skips empty (nil) parts: {foo, {}, bar} reads "foo\nbar";
  // a part whose text is "" is a line of its own, as in Go.
  std::string out;
  bool first = true;
  for (auto& e : errs_) {
    if (!e)
      continue;
    if (!first)
      out += '\n';
    first = false;
    out += parallel::message(e);
  }
  return out;
}

multi_error::operator error() const {
  if (errs_.empty())
    return {};
  // Only the non-empty parts travel, so the error's message() (and what
  // combine_errors flattens it back into) matches message() above.
  std::vector<const error*> parts;
  parts.reserve(errs_.size());
  for (auto& e : errs_)
    if (e)
      parts.push_back(&e);
  // A lone part stands for itself.
  if (parts.size() == 1)
    return *parts.front();
  // A multi_error that holds parts is an error even when every part is
  // empty, so what it converts to must be one too (with no parts inside).
  caf::message_builder builder;
  for (auto* e : parts)
    builder.append(*e);
  return error{detail::multi_error_code, error_category, builder.to_message()};
}

multi_error make_multi_error(std::vector<error> errs) {
  return multi_error{std::move(errs)};
}

multi_error combine_errors(std::vector<error> errs) {
  std::vector<error> out;
  out.reserve(errs.size());
  for (auto& e : errs)
    flatten_into(e, out);
  return multi_error{std::move(out)};
}

multi_error combine_errors(const multi_error& a, const multi_error& b) {
  std::vector<error> out;
  out.reserve(a.size() + b.size());
  for (auto& e : a.errors())
    flatten_into(e, out);
  for (auto& e : b.errors())
    flatten_into(e, out);
  return multi_error{std::move(out)};
}

std::string message(const multi_error& e) {
  return e.message();
}

std::string to_string(const multi_error& e) {
  return e.message();
}

} // namespace parallel
