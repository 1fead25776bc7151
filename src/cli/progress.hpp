// Progress output for runs: a bar redrawn in place on a terminal, one plain line per step
// otherwise. Written to stderr so stdout stays the result (and the JSON document).
#pragma once

#include "cli/render.hpp"
#include "retort/events.hpp"

#include <chrono>

namespace retort::cli {

class Progress : public RunObserver {
 public:
  Progress(const Style& style, bool terminal);

  void step_started(const StepEvent& step) override;
  void statement_done(const StepEvent& step, int done, int total) override;
  void step_finished(const StepEvent& step, std::int64_t duration_ms, bool ok) override;
  void note(const std::string& text) override;

 private:
  void draw(const StepEvent& step, int done, int total);

  Style m_style;
  bool m_terminal;
  bool m_line_open = false;
  std::chrono::steady_clock::time_point m_step_start;
};

}  // namespace retort::cli
