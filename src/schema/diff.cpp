// Placeholder until the comparison lands: every model compares equal.
#include "schema/diff.hpp"

namespace retort::schema {

Diff diff(const Schema& /*from*/, const Schema& /*to*/, const DiffOptions& /*options*/) {
  return {};
}

std::string change_line(const Change& change) { return change.object + " " + change.name; }

std::string unified_diff(const std::string& /*before*/, const std::string& /*after*/,
                         int /*context*/) {
  return {};
}

bool multi_line(const Change& /*change*/) { return false; }

}  // namespace retort::schema
