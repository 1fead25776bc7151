// PostgreSQL's planner: the steps that turn one schema model into another, ordered by the
// objects' dependencies, in their online form where a table exists before the revision.
#include "schema/plan.hpp"

namespace retort::schema {

Plan plan(const Schema& from, const Schema& to, const PlanOptions& options) {
  if (from.flavor == Flavor::sqlite) {
    return plan_sqlite(from, to, options);
  }
  return {};
}

}  // namespace retort::schema
