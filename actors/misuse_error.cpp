#include "parallel/misuse_error.hpp"

namespace parallel {

misuse_error::misuse_error()
  : std::logic_error("parallel executor misuse: don't reuse executors") {
}

misuse_error::misuse_error(const std::string& why)
  : std::logic_error("parallel executor misuse: " + why) {
}

} // namespace parallel
