// remote_panic: what a remote task's exception becomes on the client.
#pragma once

#include <stdexcept>
#include <string>

namespace parallel {

/// An exception thrown by a task on another node. The exception object itself
/// (its `std::exception_ptr`) cannot cross the wire, so the client gets this
/// instead: the original type's name and `what()` text, intact. It is the
/// group's panic like any task's exception: it cancels the group with
/// `errc::panicked` and `wait()` rethrows it.
class remote_panic : public std::runtime_error {
public:
  /// The panic of `task` on `node`: the exception's type name and `what()`.
  remote_panic(std::string type_name, const std::string& what,
               std::string task = {}, std::string node = {})
    : std::runtime_error(what),
      type_name_(std::move(type_name)),
      task_(std::move(task)),
      node_(std::move(node)) {
  }

  /// The demangled name of the thrown type, e.g. "std::out_of_range"
  /// ("unknown exception" for a throw of a non-class type it cannot name).
  const std::string& type_name() const noexcept {
    return type_name_;
  }

  /// The name of the remote task that threw.
  const std::string& task() const noexcept {
    return task_;
  }

  /// The node it ran on, as "host:port".
  const std::string& node() const noexcept {
    return node_;
  }

private:
  std::string type_name_;
  std::string task_;
  std::string node_;
};

} // namespace parallel
