// Progress output for runs.
#include "cli/progress.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <string>

namespace retort::cli {

Progress::Progress(const Style& style, bool terminal) : m_style(style), m_terminal(terminal) {}

void Progress::draw(const StepEvent& step, int done, int total) {
  constexpr int k_width = 20;
  const int filled =
      step.count == 0
          ? 0
          : ((step.index - 1) * k_width + (total > 0 ? done * k_width / total : 0)) / step.count;
  const std::string bar = std::string(static_cast<std::size_t>(filled), '#') +
                          std::string(static_cast<std::size_t>(k_width - filled), '.');
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::steady_clock::now() - m_step_start)
                           .count();
  std::string line = fmt::format("\r[{}] {}/{} {} {} {}", bar, step.index, step.count,
                                 step.direction, step.revision, step.message);
  if (line.size() > 70) {
    line.resize(70);
  }
  line += "  " + elapsed_text(elapsed);
  if (step.estimate_ms) {
    line += " (estimate " + elapsed_text(*step.estimate_ms) + ")";
  }
  std::fputs((line + "\033[K").c_str(), stderr);
  m_line_open = true;
}

void Progress::step_started(const StepEvent& step) {
  m_step_start = std::chrono::steady_clock::now();
  if (m_style.verbosity < 0) {
    return;
  }
  if (m_terminal) {
    draw(step, 0, 1);
    return;
  }
  // Logs get one line per step, when it ends; -v adds one as it starts, for long steps.
  if (m_style.verbosity > 0) {
    std::string line = fmt::format("[{}/{}] {} {}: {} ...", step.index, step.count, step.direction,
                                   step.revision, step.message);
    if (step.estimate_ms) {
      line += fmt::format(" (estimate {})", elapsed_text(*step.estimate_ms));
    }
    std::fprintf(stderr, "%s\n", line.c_str());
  }
}

void Progress::statement_done(const StepEvent& step, int done, int total) {
  if (m_terminal && m_style.verbosity >= 0) {
    draw(step, done, total);
  }
}

void Progress::step_finished(const StepEvent& step, std::int64_t duration_ms, bool ok) {
  if (m_style.verbosity < 0 && ok) {
    return;
  }
  if (m_line_open) {
    std::fputs("\r\033[K", stderr);
    m_line_open = false;
  }
  const std::string status = ok ? m_style.green("ok") : m_style.red("FAILED");
  std::fprintf(stderr, "[%d/%d] %s %s: %s %s (%s)\n", step.index, step.count,
               step.direction.c_str(), step.revision.c_str(), step.message.c_str(), status.c_str(),
               elapsed_text(duration_ms).c_str());
}

void Progress::note(const std::string& text) {
  if (m_line_open) {
    std::fputs("\r\033[K", stderr);
    m_line_open = false;
  }
  std::fprintf(stderr, "%s\n", m_style.yellow(text).c_str());
}

}  // namespace retort::cli
