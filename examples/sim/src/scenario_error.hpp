// scenario_error: a bad scenario, with where it is wrong.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

#include "text_escape.hpp"

namespace sim {

/// What is wrong with a scenario, and where. `line` and `column` are 1-based;
/// 0 means there is no position (a file that cannot be opened). The message
/// is one line: control characters in the file name or in echoed user text
/// are escaped (`escape_for_terminal`).
class scenario_error : public std::runtime_error {
public:
  scenario_error(std::string file, std::size_t line, std::size_t column,
                 std::string what_is_wrong)
    : std::runtime_error(format(file, line, column, what_is_wrong)),
      file_(std::move(file)),
      line_(line),
      column_(column),
      problem_(std::move(what_is_wrong)) {
  }

  const std::string& file() const noexcept {
    return file_;
  }
  std::size_t line() const noexcept {
    return line_;
  }
  std::size_t column() const noexcept {
    return column_;
  }
  const std::string& problem() const noexcept {
    return problem_;
  }

  /// "FILE:LINE:COL: what is wrong" (or "FILE: what is wrong"), escaped.
  static std::string format(const std::string& file, std::size_t line,
                            std::size_t column, const std::string& problem) {
    std::string out = file;
    if (line > 0) {
      out += ':' + std::to_string(line);
      if (column > 0)
        out += ':' + std::to_string(column);
    }
    out += ": ";
    out += problem;
    return escape_for_terminal(out);
  }

private:
  std::string file_;
  std::size_t line_;
  std::size_t column_;
  std::string problem_;
};

} // namespace sim
