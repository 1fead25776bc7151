// The gates a run passes before each step: see runner::StepGate.
#pragma once

#include "base/url.hpp"
#include "driver/driver.hpp"
#include "ops/backup/backup_gate.hpp"
#include "ops/windows/window_gate.hpp"
#include "retort/config.hpp"
#include "retort/events.hpp"
#include "runner/runner.hpp"
#include "script/script_directory.hpp"

#include <memory>
#include <vector>

namespace retort::commands {

// The gates the configuration asks for, for a run of `plan` on `connection` (the run's own;
// the gates open connections of their own, but for the backup gate, which uses it between
// steps). backups: skipped for --no-backup; windows: ignored for --ignore-window. Throws
// DatabaseError when a gate cannot connect.
[[nodiscard]] std::vector<std::unique_ptr<runner::StepGate>> make_gates(
    const Config& config, const base::DatabaseUrl& url, driver::Connection& connection,
    RunObserver* observer, const script::ScriptDirectory& scripts, const graph::Plan& plan,
    ops::backup::Backups backups = ops::backup::Backups::as_configured,
    ops::windows::Windows windows = ops::windows::Windows::enforced);

}  // namespace retort::commands
