#include "new_source_budget.hpp"

namespace parallel::remote::detail {

new_source_budget::new_source_budget(std::size_t per_second)
  : per_second_(static_cast<double>(per_second)),
    burst_(2.0 * static_cast<double>(per_second)),
    bucket_{burst_, clock::time_point{}} {
}

bool new_source_budget::admit(const std::string& source, const known_sources& known,
                              clock::time_point now) {
  if (per_second_ == 0)
    return true;
  if (known.contains(source, now) && known_rate_.admit(source, now))
    return true;
  return bucket_.take(per_second_, burst_, now);
}

} // namespace parallel::remote::detail
