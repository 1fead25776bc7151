// Why a run will not start over a partially applied migration, as facts: src/commands/ says
// what they mean for the user (the state of the database, the choices, the next command).
#pragma once

#include "retort/error.hpp"
#include "retort/results.hpp"

#include <string>
#include <utility>

namespace retort::runner {

struct ResumeRefusal {
  enum class Why {
    partially_applied,  // refused: the operator has not said how to finish it
    not_in_plan,        // --resume, but this run's plan does not include it
    ran_unknown,        // the ledger does not say which statements ran, or the file has fewer
    edited,             // a statement that already ran was edited since
    nothing_to_resume,  // --resume or --restart, and no migration is partially applied
  };
  Why why = Why::partially_applied;
  std::string revision;
  Direction direction = Direction::upgrade;  // the step's, as the ledger records it
  int statements_done = 0;
  int statements_total = 0;
  std::string file;        // the migration's path, or "(no file declares it)"
  std::string last_error;  // what its last run's ledger row says (partially_applied)
  // The INVALID index the statement that runs next drops and builds again; empty: none.
  std::string index_rebuilt{};
  std::string asked{};  // nothing_to_resume: "resume" or "restart"
};

// The error of a refused run (what and where, and for an edit the two texts) with the facts.
class ResumeRefused : public Error {
 public:
  ResumeRefused(const Error& error, ResumeRefusal facts)
      : Error(error), refusal(std::move(facts)) {}
  ResumeRefusal refusal;
};

}  // namespace retort::runner
