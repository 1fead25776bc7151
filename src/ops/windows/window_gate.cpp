// The maintenance-window gate: see window_gate.hpp.
#include "ops/windows/window_gate.hpp"

#include "base/duration.hpp"
#include "base/text.hpp"
#include "retort/error.hpp"
#include "runner/ledger.hpp"
#include "runner/timings.hpp"

#include <fmt/format.h>

namespace retort::ops::windows {

namespace {

// "Sat 2026-12-12 01:00 UTC (Sat 2026-12-12 02:00 Europe/Berlin)": UTC, and the window's zone.
std::string both_zones(base::SysSeconds instant, const base::Window& window) {
  const std::string utc = base::format_in_zone(instant, "UTC");
  return window.zone == "UTC"
             ? utc
             : fmt::format("{} ({})", utc, base::format_in_zone(instant, window.zone));
}

std::string listed(const std::vector<base::Window>& windows) {
  std::vector<std::string> texts;
  texts.reserve(windows.size());
  for (const base::Window& window : windows) {
    texts.push_back("\"" + window.text + "\"");
  }
  return base::join(texts, ", ");
}

}  // namespace

WindowGate::WindowGate(const WindowSettings& settings, Windows policy, RunObserver* observer,
                       std::map<std::string, preflight::StepEstimate> estimates,
                       std::function<base::SysSeconds()> now)
    : m_policy(policy),
      m_observer(observer),
      m_estimates(std::move(estimates)),
      m_now(std::move(now)) {
  for (const std::string& text : settings.allowed) {
    if (auto window = base::parse_window(text); window.ok()) {
      m_windows.push_back(std::move(window).value());
    }
  }
}

std::string WindowGate::before_step(const graph::Step& step, const script::Migration& migration,
                                    const std::vector<script::Statement>& /*statements*/) {
  check(step, migration, false);
  return {};
}

std::string WindowGate::inside_transaction(const graph::Step& step,
                                           const script::Migration& migration,
                                           const std::vector<script::Statement>& /*statements*/) {
  check(step, migration, true);
  return {};
}

void WindowGate::check(const graph::Step& step, const script::Migration& migration,
                       bool in_transaction) {
  const bool first = m_steps_seen++ == 0;
  if (!migration.maintenance_window) {
    return;
  }
  const auto say = [this](const std::string& text) {
    if (m_observer != nullptr) {
      m_observer->note(text);
    }
  };
  if (m_windows.empty()) {
    say(
        fmt::format("{} is marked for a maintenance window, and [retort.windows] allows none: "
                    "it runs now",
                    step.revision));
    return;
  }
  if (m_policy == Windows::ignored) {
    say(
        fmt::format("{} is marked for a maintenance window: --ignore-window runs it now, "
                    "whatever the time (the ledger keeps the reason)",
                    step.revision));
    return;
  }
  const base::SysSeconds now = m_now();
  const std::string next_words = [&] {
    const std::optional<base::WindowSpan> next = base::next_window(m_windows, now);
    return next ? fmt::format("the next window opens {}", both_zones(next->open, *next->window))
                : std::string("no allowed window opens in the next eight days");
  }();
  // Inside the run's one transaction (transaction_per_migration = false), the error rolls back
  // every step before it with the rest of the run.
  const std::string state =
      first || in_transaction
          ? std::string(in_transaction && !first
                            ? "the run is one transaction (transaction_per_migration = false) "
                              "and was rolled back whole: the database is as it was"
                            : "nothing was run; the database is as it was")
          : fmt::format("nothing of {} ran; the steps before it in this run are applied",
                        step.revision);
  const std::string_view verb =
      step.direction == graph::Direction::downgrade ? "downgrade TARGET" : "upgrade";
  const std::string later = fmt::format(
      "run the same command again inside a window ({}), or, when it cannot wait, retort {} "
      "--ignore-window --reason \"why now\"",
      next_words, verb);
  const std::optional<base::WindowSpan> open = base::window_at(m_windows, now);
  if (!open) {
    throw Error(ExitCode::failed,
                fmt::format("{} needs a maintenance window, and {} is outside every allowed "
                            "window; {}",
                            step.revision, base::format_in_zone(now, "UTC"), next_words))
        .explain(fmt::format("{} is marked `-- retort:maintenance_window true` ({}); "
                             "[retort.windows] allowed = [{}]",
                             step.revision, migration.display_path, listed(m_windows)))
        .state(state)
        .next(later);
  }
  const auto estimate = m_estimates.find(step.revision);
  if (estimate == m_estimates.end()) {
    return;
  }
  const base::Millis expected{estimate->second.ms};
  if (now + std::chrono::duration_cast<std::chrono::seconds>(expected) > open->close) {
    const auto left = std::chrono::duration_cast<base::Millis>(open->close - now);
    const std::string source =
        estimate->second.source == EstimateSource::header
            ? fmt::format("`-- retort:estimate` in {}", migration.display_path)
        : estimate->second.source == EstimateSource::staging
            ? std::string("staging's timing of the same statements (retort timings import)")
            : std::string("an earlier run of the same statements in this database's ledger");
    throw Error(ExitCode::failed,
                fmt::format("{} is estimated at {}, and the maintenance window closes at {}, in "
                            "{}: it would run past the window's end",
                            step.revision, base::format_duration(expected),
                            both_zones(open->close, *open->window), base::format_duration(left)))
        .explain(
            fmt::format("the estimate is {}; the window is \"{}\"", source, open->window->text))
        .state(state)
        .next(fmt::format("start it at the beginning of a window ({}), or, when it cannot "
                          "wait, retort {} --ignore-window --reason \"why now\"",
                          next_words, verb));
  }
}

std::unique_ptr<WindowGate> gate_for(const Config& config, driver::Connection& connection,
                                     const script::ScriptDirectory& scripts,
                                     const graph::Plan& plan, Windows policy,
                                     RunObserver* observer) {
  std::vector<std::pair<const graph::Step*, const script::Migration*>> marked;
  for (const graph::Step& step : plan.steps) {
    const script::Migration* migration = scripts.find(step.revision);
    if (migration != nullptr && migration->maintenance_window) {
      marked.emplace_back(&step, migration);
    }
  }
  if (marked.empty()) {
    return nullptr;
  }
  std::map<std::string, preflight::StepEstimate> estimates;
  if (policy == Windows::enforced && !config.windows.allowed.empty()) {
    runner::TimingsTable timings(connection, config.version_table_schema);
    runner::Ledger ledger(&connection, connection.dialect(), config.version_table_schema,
                          config.version_table);
    for (const auto& [step, migration] : marked) {
      const Direction direction = step->direction == graph::Direction::downgrade
                                      ? Direction::downgrade
                                      : Direction::upgrade;
      if (auto estimate = preflight::estimate_step(timings, ledger, *migration, direction)) {
        estimates.emplace(step->revision, *estimate);
      }
    }
  }
  return std::make_unique<WindowGate>(config.windows, policy, observer, std::move(estimates));
}

}  // namespace retort::ops::windows
