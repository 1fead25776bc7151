// The timeouts a step's statements run under, as its migration's header, the settings and the
// defaults decide, and the PostgreSQL SET statements that give them: one answer for the online
// run and the --sql script alike.
#pragma once

#include "base/duration.hpp"
#include "runner/settings.hpp"
#include "script/script_directory.hpp"

#include <string>
#include <vector>

namespace retort::runner {

// What a step's statements run under.
struct Timeouts {
  base::Millis lock_timeout{0};       // 0: none
  base::Millis statement_timeout{0};  // 0: none
  int lock_retries = 0;               // retries of a statement stopped by lock_timeout
};

// The migration's `-- retort:lock_timeout` and `-- retort:statement_timeout` where its header
// has them, the settings (retort.toml, the command line) otherwise.
[[nodiscard]] Timeouts effective_timeouts(const script::Migration& migration,
                                          const Settings& settings);

// SET LOCAL lasts until the end of the transaction; SET stays on the session.
enum class SetScope { local, session };

// The SET statements that give the timeouts, without their semicolons, in the order they run:
// {"SET LOCAL lock_timeout = '2000ms'", "SET LOCAL statement_timeout = '0ms'"}. PostgreSQL
// only: SQLite has neither setting.
[[nodiscard]] std::vector<std::string> set_timeouts_sql(const Timeouts& timeouts, SetScope scope);

}  // namespace retort::runner
