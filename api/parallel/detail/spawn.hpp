// Factories for a group's actors, defined next to the actors in actors/.
#pragma once

#include <cstddef>
#include <memory>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "parallel/context.hpp"

namespace parallel::detail {

class group_core;
class group_handle;
class wrapper_base;

/// Creates a group: its core and the handle its copies share (no actor yet).
/// `bound == 0` is serial; `group_core::unbounded` is unlimited.
std::shared_ptr<group_handle> make_group(caf::actor_system& sys,
                                         const context& parent,
                                         std::size_t bound);

/// Spawns the reducer actor of wrapper `w`.
caf::actor spawn_reducer(std::shared_ptr<wrapper_base> w);

} // namespace parallel::detail
