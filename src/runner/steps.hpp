// The steps of a plan made ready to run (each with its migration found and its statements
// split and checked), and the few words and helpers the run loop, recovery and the --sql
// writer share about them. Inside the runner only.
#pragma once

#include "base/duration.hpp"
#include "driver/driver.hpp"
#include "graph/revision_map.hpp"
#include "retort/error.hpp"
#include "retort/events.hpp"
#include "script/script_directory.hpp"

#include <string>
#include <vector>

namespace retort::runner {

struct Leftover;

// One step with its statements split, ready to run.
struct PreparedStep {
  const graph::Step* step = nullptr;
  const script::Migration* migration = nullptr;
  std::vector<script::Statement> statements;
  StepEvent event;
  // A resumed non-transactional step: the row it continues, and the first statement to run.
  const Leftover* resumed = nullptr;
  int resume_at = 0;
};

// "upgrade", "downgrade" or "stamp": the ledger's and the events' word for a direction.
[[nodiscard]] const char* direction_name(graph::Direction direction);

// "a1, b2", or "base (no revision)" for no row.
[[nodiscard]] std::string heads_text(const std::vector<std::string>& heads);

// The migration of a step; throws Error(input) when no file declares it.
[[nodiscard]] const script::Migration& migration_of(const script::ScriptDirectory& scripts,
                                                    const graph::Step& step);

// The statements of a step's section, split; throws Error(input) naming file:line when the
// section is missing, does not split, or is empty without saying it means to be.
[[nodiscard]] std::vector<script::Statement> split_or_throw(const script::Migration& migration,
                                                            graph::Direction direction,
                                                            base::Dialect dialect);

// Backoff before retry number `attempt` (1-based): 250ms doubling to 8s, with full jitter so
// that several runners do not retry in lockstep.
[[nodiscard]] base::Millis backoff(int attempt);

// Whether a statement stopped on lock_timeout (SQLSTATE 55P03).
[[nodiscard]] bool is_lock_timeout(const driver::DatabaseError& error);

// Turns a server error in a statement into the user's error: file:line:column of the failing
// character, computed from the statement's place in the file plus the server's position.
[[nodiscard]] Error statement_error(const driver::DatabaseError& error,
                                    const script::Migration& migration,
                                    const script::Statement& statement);

}  // namespace retort::runner
