// doctor: the run lock. A lease whose runner is gone (expired, not yet taken over), and who
// holds the lock now, so that the other findings can be read knowing a run may be going on.
#include "ops/doctor/doctor.hpp"
#include "runner/lease.hpp"

#include <fmt/format.h>

namespace retort::ops::doctor {

void check_locks(Context& context, Findings& findings) {
  if (context.lock.kind == runner::LockKind::lease) {
    runner::Lease lease(context.db, context.lock.version_table_schema, context.lock.version_table,
                        context.lock.lease_ttl);
    const std::optional<runner::LeaseHolder> held = lease.holder();
    if (held && held->expires_in_ms < 0) {
      DoctorFinding finding{
          "expired-lease", DoctorLevel::warning,
          fmt::format("the migration lease on {} expired without being released: its runner "
                      "({}) is gone",
                      lease.key(), held->describe()),
          "nothing to do: the next run takes it over (doctor --fix deletes it)", false};
      if (context.fix && lease.delete_expired()) {
        finding.fixed = true;
        finding.fix = "deleted the expired lease row";
      }
      findings.push_back(std::move(finding));
    }
  }
  if (!context.lock_holder.empty()) {
    findings.push_back(
        {"lock-held", DoctorLevel::info, "the run lock is held now: " + context.lock_holder,
         "a run is going on: read the other findings with that in mind, and run doctor again "
         "when it is done",
         false});
  }
}

}  // namespace retort::ops::doctor
