// The doctor's order of checks, and the lookup of which migration made an object.
#include "ops/doctor/doctor.hpp"

#include "sql/objects.hpp"

#include <fmt/format.h>

namespace retort::ops::doctor {

Findings run(Context& context) {
  Findings findings;
  check_version_rows(context, findings);
  check_unfinished(context, findings);
  check_invalid_objects(context, findings);
  check_edited(context, findings);
  check_locks(context, findings);
  check_existing_objects(context, findings);
  return findings;
}

std::string made_by(runner::Ledger& ledger, const std::string& object_name) {
  std::vector<runner::LedgerRow> rows = ledger.applied();
  for (const runner::LedgerRow& row : ledger.unfinished()) {
    rows.push_back(row);
  }
  for (auto row = rows.rbegin(); row != rows.rend(); ++row) {
    if (row->sql.find(object_name) == std::string::npos) {
      continue;  // the cheap test first: most rows do not mention the name at all
    }
    for (const std::string& relation : sql::mentioned_relations(row->sql)) {
      const std::size_t dot = relation.rfind('.');
      if (relation == object_name ||
          (dot != std::string::npos && relation.substr(dot + 1) == object_name)) {
        return row->message.empty() ? row->entry.revision
                                    : fmt::format("{} ({})", row->entry.revision, row->message);
      }
    }
  }
  return {};
}

}  // namespace retort::ops::doctor
