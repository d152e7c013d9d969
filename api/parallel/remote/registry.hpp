// registry: the named tasks a node can run, and the types they exchange.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <caf/actor_system_config.hpp>
#include <caf/message.hpp>
#include <caf/type_nr.hpp>

#include "parallel/context.hpp"
#include "parallel/detail/invoke.hpp"
#include "parallel/detail/type_name.hpp"
#include "parallel/error.hpp"
#include "parallel/remote/protocol.hpp"

namespace parallel::remote {

/// A typed name of a remote task `R(Args...)`: `go_remote(h, ref, xs...)`
/// converts `xs` to `Args` at compile time, and the reply is checked against
/// `R`. `registry::add` returns one; a client may also spell it out.
template <class Signature>
class task_ref;

/// `task_ref` of a task taking `Args...` and producing `R`.
template <class R, class... Args>
class task_ref<R(Args...)> {
public:
  /// What the task returns.
  using result_type = R;

  /// Names the task registered as `name`.
  explicit task_ref(std::string name) : name_(std::move(name)) {
  }

  /// The registered name.
  const std::string& name() const noexcept {
    return name_;
  }

private:
  std::string name_;
};

// Not API; the reference skips it (doxygen misreads fn_traits' recursive base).
/// @cond detail
namespace detail {

template <class T>
struct fn_traits : fn_traits<decltype(&T::operator())> {};

template <class R, class... As>
struct fn_traits<R (*)(As...)> {
  using result = R;
  using args = std::tuple<As...>;
};

template <class R, class... As>
struct fn_traits<R (*)(As...) noexcept> : fn_traits<R (*)(As...)> {};

template <class C, class R, class... As>
struct fn_traits<R (C::*)(As...) const> : fn_traits<R (*)(As...)> {};

template <class C, class R, class... As>
struct fn_traits<R (C::*)(As...) const noexcept> : fn_traits<R (*)(As...)> {};

template <class C, class R, class... As>
struct fn_traits<R (C::*)(As...)> : fn_traits<R (*)(As...)> {};

template <class C, class R, class... As>
struct fn_traits<R (C::*)(As...) noexcept> : fn_traits<R (*)(As...)> {};

/// What a task returning `R` produces on success: `T` for `expected<T>` and
/// `T`, `void` for `error`, `void` and `expected<void>`.
template <class R>
struct value_of {
  using type = R;
};

template <class T>
struct value_of<caf::expected<T>> {
  using type = T;
};

template <>
struct value_of<error> {
  using type = void;
};

/// True for types CAF 0.17 serialises without registration.
template <class T>
constexpr bool is_builtin_v = caf::type_nr<T>::value != 0;

/// The name of `T` in error messages: CAF's fixed-width spelling for its
/// built-in types ("int64_t", not "long"), the C++ name otherwise.
template <class T>
std::string wire_name() {
  if constexpr (std::is_void_v<T>) {
    return "void";
  } else if constexpr (is_builtin_v<T> && std::is_default_constructible_v<T>) {
    auto s = parallel::detail::describe_types(caf::make_message(T{}));
    return s.substr(1, s.size() - 2);
  } else {
    return parallel::detail::type_name<T>();
  }
}

/// "(int32_t, std::string)" for the argument types.
template <class... Ts>
std::string signature_of() {
  std::string out = "(";
  ((out += (out.size() > 1 ? ", " : "") + wire_name<Ts>()), ...);
  return out + ")";
}

/// The reply of a task that returned `r`.
template <class R>
caf::message make_reply(R&& r) {
  using D = std::decay_t<R>;
  if constexpr (std::is_same_v<D, error>) {
    if (r)
      return caf::make_message(fail_atom::value, std::forward<R>(r));
    return caf::make_message(ok_atom::value);
  } else if constexpr (parallel::detail::is_expected<D>::value) {
    if (!r)
      return caf::make_message(fail_atom::value, std::move(r.error()));
    if constexpr (std::is_void_v<typename D::value_type>)
      return caf::make_message(ok_atom::value);
    else
      return caf::make_message(ok_atom::value, std::move(*r));
  } else {
    return caf::make_message(ok_atom::value, std::forward<R>(r));
  }
}

} // namespace detail
/// @endcond

/// Maps task names to functions `R(const context&, Args...)`, where `R` is
/// `expected<T>`, `T`, `error` or `void`, and `Args`, `T` are serialisable by
/// CAF (built-in types, or types with `inspect()`). A node program fills one
/// registry with its tasks and serves it (`node.hpp`); a client uses the same
/// registry (or at least the same `add_type` calls) so that both sides know
/// the types on the wire: call `configure(cfg, registry)` before creating the
/// actor system on both sides.
class registry {
public:
  /// One registered task.
  struct entry {
    std::string name;      ///< what clients call it by
    std::string signature; ///< e.g. "int64_t(int32_t)", for error messages
    /// Checks the arguments, runs the function and returns the reply message
    /// (`ok_atom, value` or `fail_atom, error`). Exceptions propagate.
    std::function<caf::message(const context&, caf::message&)> invoke;
  };

  /// Registers `fn` under `name` (replacing a task of that name) and every
  /// argument and result type CAF does not know yet, under its C++ name.
  /// Returns a typed reference for clients.
  template <class F>
  auto add(std::string name, F fn) {
    using traits = detail::fn_traits<std::decay_t<F>>;
    using args = typename traits::args;
    using R = typename traits::result;
    static_assert(std::tuple_size_v<args> >= 1,
                  "a remote task takes (const parallel::context&, args...)");
    static_assert(
      std::is_same_v<std::tuple_element_t<0, args>, const context&>,
      "a remote task's first parameter is const parallel::context&");
    return add_impl<R>(std::move(name), std::move(fn),
                       static_cast<args*>(nullptr));
  }

  /// Registers `T` for the wire under `name` (the same name on every node and
  /// client). Built-in CAF types need no registration.
  template <class T>
  registry& add_type(std::string name) {
    if constexpr (!detail::is_builtin_v<T>) {
      if (type_names_.insert(name).second)
        types_.push_back([name](caf::actor_system_config& cfg) {
          cfg.add_message_type<T>(name);
        });
    }
    return *this;
  }

  /// Registers every type of every task with `cfg`. Called by
  /// `remote::configure`; call it yourself only if you configure CAF alone.
  void register_types(caf::actor_system_config& cfg) const {
    for (auto& f : types_)
      f(cfg);
  }

  /// The task called `name`, or null.
  const entry* find(const std::string& name) const {
    auto i = entries_.find(name);
    return i == entries_.end() ? nullptr : i->second.get();
  }

  /// Every task name, sorted.
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (auto& [name, e] : entries_)
      out.push_back(name);
    return out;
  }

private:
  template <class T>
  void add_type_auto() {
    using D = std::decay_t<T>;
    if constexpr (!std::is_void_v<D> && !detail::is_builtin_v<D>)
      add_type<D>(parallel::detail::type_name<D>());
  }

  template <class R, class F, class Ctx, class... As>
  auto add_impl(std::string name, F fn, std::tuple<Ctx, As...>*) {
    using V = typename detail::value_of<std::decay_t<R>>::type;
    (add_type_auto<As>(), ...);
    add_type_auto<V>();
    auto e = std::make_shared<entry>();
    e->name = name;
    e->signature = detail::wire_name<V>()
                   + detail::signature_of<std::decay_t<As>...>();
    e->invoke = [fn = std::move(fn), name,
                 sig = e->signature](const context& ctx, caf::message& msg) {
      if (!msg.match_elements<std::decay_t<As>...>())
        return caf::make_message(
          fail_atom::value,
          make_error("remote task \"" + name + "\" is " + sig
                     + ", called with arguments "
                     + parallel::detail::describe_types(msg)));
      return call<R>(fn, ctx, msg, std::index_sequence_for<As...>{},
                     static_cast<std::tuple<std::decay_t<As>...>*>(nullptr));
    };
    entries_[name] = std::move(e);
    return task_ref<V(std::decay_t<As>...)>{std::move(name)};
  }

  template <class R, class F, size_t... Is, class... Ds>
  static caf::message call(const F& fn, const context& ctx, caf::message& msg,
                           std::index_sequence<Is...>, std::tuple<Ds...>*) {
    if constexpr (std::is_void_v<R>) {
      fn(ctx, msg.get_mutable_as<Ds>(Is)...);
      return caf::make_message(ok_atom::value);
    } else {
      return detail::make_reply(fn(ctx, msg.get_mutable_as<Ds>(Is)...));
    }
  }

  std::map<std::string, std::shared_ptr<const entry>> entries_;
  std::vector<std::function<void(caf::actor_system_config&)>> types_;
  std::set<std::string> type_names_;
};

} // namespace parallel::remote
