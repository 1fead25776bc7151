// Planning a change of schema: two models in, the ordered statements that turn one into the
// other out, each with the statements that undo it. Pure: no database, no files. What
// `revision --autogenerate` and `squash` write, after proving on a throwaway database that the
// plan converges.
#pragma once

#include "schema/model.hpp"

#include <set>
#include <string>
#include <utility>
#include <vector>

namespace retort::schema {

// Where a step's statements run. A plan's transactional steps go into one revision that runs
// in a transaction; its online steps into a second, `transaction false` revision that runs
// after it, each statement alone in autocommit (CREATE INDEX CONCURRENTLY, VALIDATE
// CONSTRAINT, what has to wait for them). SQLite plans are transactional throughout.
enum class Phase { transactional, online };

// A lint finding the planner's statements knowingly raise, and why the planner chose them
// anyway; the revision carries it as `-- retort:lint-ignore CODE -- reason`.
struct Accepted {
  std::string code;  // a lint code: "PG203"
  std::string reason;

  friend bool operator==(const Accepted&, const Accepted&) = default;
};

// One change and how to undo it. Applying `up` of every step in order turns `from` into `to`;
// applying `down` of every step in reverse order turns it back: a step's `down` undoes exactly
// its own `up`, in the state its `up` left.
struct Step {
  Phase phase = Phase::transactional;
  // One line for the revision's comment above the statements: "add column
  // public.orders.status", "recreate view public.v (its column public.t.c changes type)".
  std::string summary;
  std::vector<std::string> up;    // statements, each complete and ending with ";"
  std::vector<std::string> down;  // likewise
  std::vector<Accepted> accepted;

  friend bool operator==(const Step&, const Step&) = default;
};

// A change that loses data or can fail on the data a database holds, refused unless
// PlanOptions::allow_hazards names its code.
struct Hazard {
  // The lint code of the statement that carries the danger: PG203 drop table, PG204 drop
  // column, PG206 drop schema, PG108 a column type change that narrows (or an enum label
  // removed, which recasts its columns), PG105 NOT NULL on an existing column (rows holding
  // NULL make it fail).
  std::string code;
  std::string object;  // "table public.old", "column public.users.email"
  std::string why;     // what is lost or what makes it fail, and what to do instead

  friend bool operator==(const Hazard&, const Hazard&) = default;
};

struct PlanOptions {
  // --rename old=new: a table ("public.users" = "public.members") or a column
  // ("public.users.email" = "public.users.mail") renamed rather than dropped and added.
  // Never guessed.
  std::vector<std::pair<std::string, std::string>> renames;
  std::set<std::string> allow_hazards;  // codes
  // [retort.schema] ignore, as diff() takes it: ignored objects are left as they are.
  std::vector<std::string> ignore;
};

struct Plan {
  std::vector<Step> steps;  // in the order they run
  // Every hazard found; `refused` those whose code allow_hazards does not name. A plan with a
  // refused hazard is not to be written: the caller lists them.
  std::vector<Hazard> hazards;
  std::vector<Hazard> refused;
  // What the planner noticed and the reader should know ("public.t.c: a drop and an add of a
  // column of the same type; if it is a rename, say --rename ...").
  std::vector<std::string> notes;

  [[nodiscard]] bool empty() const { return steps.empty(); }
};

// The plan from `from` to `to` (models of the same flavor). Throws retort::Error (input) for a
// rename that names no such object.
[[nodiscard]] Plan plan(const Schema& from, const Schema& to, const PlanOptions& options = {});

// SQLite's planner (plan_sqlite.cpp): ALTER TABLE where SQLite can, else the table rebuild
// (create the new table, copy, drop, rename, recreate its indexes and triggers, then
// PRAGMA foreign_key_check). plan() calls it for SQLite models.
[[nodiscard]] Plan plan_sqlite(const Schema& from, const Schema& to, const PlanOptions& options);

}  // namespace retort::schema
