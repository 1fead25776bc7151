// The --sql writer: the run of a plan written as the SQL script a DBA reviews and runs.
#pragma once

#include "driver/driver.hpp"
#include "graph/revision_map.hpp"
#include "runner/settings.hpp"
#include "script/script_directory.hpp"

#include <ostream>

namespace retort::runner {

// Writes the plan as the SQL script a DBA can review and run with psql (or sqlite3): the
// version table and ledger DDL, then each step's statements and its version-table change, in
// transaction blocks exactly as the online run would use them.
void write_sql(std::ostream& out, base::Dialect dialect, const script::ScriptDirectory& scripts,
               const graph::Plan& plan, const Settings& settings);

}  // namespace retort::runner
