// SQLite's planner: ALTER TABLE where SQLite can, else the table rebuild.
#include "schema/plan.hpp"

namespace retort::schema {

Plan plan_sqlite(const Schema& /*from*/, const Schema& /*to*/, const PlanOptions& /*options*/) {
  return {};
}

}  // namespace retort::schema
