// Progress output for runs: a bar redrawn in place on a terminal, one plain line per step
// otherwise. Written to stderr so stdout stays the result (and the JSON document).
#pragma once

#include "cli/render.hpp"
#include "retort/events.hpp"

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

namespace retort::cli {

// Below this many columns a redrawn bar has no room for what it says: plain lines instead.
inline constexpr int k_min_bar_columns = 50;

// The width of the terminal on stderr: TIOCGWINSZ, else $COLUMNS, else nothing.
[[nodiscard]] std::optional<int> terminal_columns();

// The bar line for a step, fitted into `columns` columns without the last one (so that a
// terminal never wraps it): "[####......] 2/5 upgrade REV MESSAGE  3.1s (estimate 40m)".
// The message is cut, with "...", only when it does not fit; then the estimate and the
// message go, and the bar narrows. Counts UTF-8 code points as columns.
[[nodiscard]] std::string bar_line(const StepEvent& step, int done, int total,
                                   std::int64_t elapsed_ms, int columns);

class Progress : public RunObserver {
 public:
  Progress(const Style& style, bool terminal);

  void step_started(const StepEvent& step) override;
  void statement_done(const StepEvent& step, int done, int total) override;
  void step_finished(const StepEvent& step, std::int64_t duration_ms, bool ok) override;
  void note(const std::string& text) override;

 private:
  // Whether to redraw a bar now: a terminal, measured wide enough (measured each time, since
  // the window may be resized during a long step).
  [[nodiscard]] std::optional<int> bar_columns() const;
  void draw(const StepEvent& step, int done, int total, int columns);
  void close_line();

  Style m_style;
  bool m_terminal;
  bool m_line_open = false;
  std::chrono::steady_clock::time_point m_step_start;
};

}  // namespace retort::cli
