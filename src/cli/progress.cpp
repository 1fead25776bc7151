// Progress output for runs.
#include "cli/progress.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <sys/ioctl.h>
#include <unistd.h>

namespace retort::cli {

namespace {

// Columns a UTF-8 string takes, one per code point (wide characters are rare in messages).
std::size_t columns_of(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0U) != 0x80U;
  }));
}

// The first `columns` code points of text.
std::string first_columns(std::string_view text, std::size_t columns) {
  std::size_t seen = 0;
  for (std::size_t byte_idx = 0; byte_idx < text.size(); ++byte_idx) {
    if ((static_cast<unsigned char>(text[byte_idx]) & 0xC0U) != 0x80U) {
      if (seen == columns) {
        return std::string(text.substr(0, byte_idx));
      }
      ++seen;
    }
  }
  return std::string(text);
}

std::string bar_of(const StepEvent& step, int done, int total, int width) {
  const int filled =
      step.count == 0
          ? 0
          : ((step.index - 1) * width + (total > 0 ? done * width / total : 0)) / step.count;
  return "[" + std::string(static_cast<std::size_t>(filled), '#') +
         std::string(static_cast<std::size_t>(width - filled), '.') + "]";
}

}  // namespace

std::optional<int> terminal_columns() {
  winsize size{};
  if (ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) {
    return static_cast<int>(size.ws_col);
  }
  // A terminal that reports no size (some CI runners' pseudo-terminals): the shell's word.
  if (const char* value = std::getenv("COLUMNS"); value != nullptr) {
    const std::string_view text(value);
    int columns = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), columns);
    if (ec == std::errc() && end == text.data() + text.size() && columns > 0) {
      return columns;
    }
  }
  return std::nullopt;
}

std::string bar_line(const StepEvent& step, int done, int total, std::int64_t elapsed_ms,
                     int columns) {
  // One column stays free: writing the last one makes some terminals wrap at once.
  const std::size_t room = static_cast<std::size_t>(std::max(columns - 1, 0));
  const std::string where =
      fmt::format(" {}/{} {} {}", step.index, step.count, to_string(step.direction), step.revision);
  const std::string elapsed = "  " + elapsed_text(elapsed_ms);
  const std::string estimate =
      step.estimate_ms ? " (estimate " + elapsed_text(*step.estimate_ms) + ")" : std::string();
  const std::string message = step.message.empty() ? std::string() : " " + step.message;
  constexpr std::size_t k_min_message = 12;  // a shorter cut says nothing: drop it instead

  // What gives way, in order: the bar's width, then the message is cut (keeping the estimate,
  // then without it), then it goes. The message whole is worth more than a wide bar.
  struct Layout {
    int bar_width;
    bool with_estimate;
  };
  constexpr Layout k_layouts[] = {{20, true},  {10, true},  {5, true},
                                  {20, false}, {10, false}, {5, false}};
  enum class Message { whole, cut, none };
  for (const Message fit : {Message::whole, Message::cut, Message::none}) {
    for (const Layout& layout : k_layouts) {
      if (fit == Message::whole && !layout.with_estimate && !estimate.empty()) {
        continue;  // the estimate stays before a message is cut
      }
      const std::string bar = bar_of(step, done, total, layout.bar_width);
      const std::string tail = elapsed + (layout.with_estimate ? estimate : std::string());
      const std::size_t fixed = columns_of(bar) + columns_of(where) + columns_of(tail);
      if (fixed > room) {
        continue;
      }
      const std::size_t left = room - fixed;
      if (fit == Message::whole && columns_of(message) <= left) {
        return bar + where + message + tail;
      }
      if (fit == Message::cut && left >= k_min_message) {
        return bar + where + first_columns(message, left - 3) + "..." + tail;
      }
      if (fit == Message::none) {
        return bar + where + tail;
      }
    }
  }
  return first_columns(bar_of(step, done, total, 5) + where, room);
}

Progress::Progress(const Style& style, bool terminal) : m_style(style), m_terminal(terminal) {}

std::optional<int> Progress::bar_columns() const {
  if (!m_terminal || m_style.verbosity < 0) {
    return std::nullopt;
  }
  const std::optional<int> columns = terminal_columns();
  // An unknown width is taken as the usual 80; a narrow one gets plain lines.
  const int width = columns.value_or(80);
  if (width < k_min_bar_columns) {
    return std::nullopt;
  }
  return width;
}

void Progress::draw(const StepEvent& step, int done, int total, int columns) {
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
                           std::chrono::steady_clock::now() - m_step_start)
                           .count();
  const std::string line = "\r" + bar_line(step, done, total, elapsed, columns) + "\033[K";
  std::fputs(line.c_str(), stderr);
  m_line_open = true;
}

void Progress::close_line() {
  if (m_line_open) {
    std::fputs("\r\033[K", stderr);
    m_line_open = false;
  }
}

void Progress::step_started(const StepEvent& step) {
  m_step_start = std::chrono::steady_clock::now();
  if (m_style.verbosity < 0) {
    return;
  }
  if (const std::optional<int> columns = bar_columns()) {
    draw(step, 0, 1, *columns);
    return;
  }
  // Logs get one line per step, when it ends; -v adds one as it starts, for long steps.
  if (m_style.verbosity > 0) {
    std::string line = fmt::format("[{}/{}] {} {}: {} ...", step.index, step.count,
                                   to_string(step.direction), step.revision, step.message);
    if (step.estimate_ms) {
      line += fmt::format(" (estimate {})", elapsed_text(*step.estimate_ms));
    }
    close_line();
    std::fprintf(stderr, "%s\n", line.c_str());
  }
}

void Progress::statement_done(const StepEvent& step, int done, int total) {
  if (const std::optional<int> columns = bar_columns()) {
    draw(step, done, total, *columns);
  } else {
    // Narrowed below the bar's minimum during the step: what was drawn goes.
    close_line();
  }
}

void Progress::step_finished(const StepEvent& step, std::int64_t duration_ms, bool ok) {
  if (m_style.verbosity < 0 && ok) {
    return;
  }
  close_line();
  const std::string status = ok ? m_style.green("ok") : m_style.red("FAILED");
  std::fprintf(stderr, "[%d/%d] %s %s: %s %s (%s)\n", step.index, step.count,
               std::string(to_string(step.direction)).c_str(), step.revision.c_str(),
               step.message.c_str(), status.c_str(), elapsed_text(duration_ms).c_str());
}

void Progress::note(const std::string& text) {
  close_line();
  std::fprintf(stderr, "%s\n", m_style.yellow(text).c_str());
}

}  // namespace retort::cli
