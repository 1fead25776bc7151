// The revision graph, pure and in memory: revisions, heads, bases, branch labels, depends_on,
// target resolution and planning, with Alembic's semantics (alembic/script/revision.py).
// Knows nothing of files or databases: script/ builds it, runner/ executes its plans.
#pragma once

#include "base/result.hpp"

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace retort::graph {

// One node as the script directory declares it.
struct Revision {
  std::string id;
  std::vector<std::string> down_revisions;  // parents ("revises"); empty for a base
  std::vector<std::string> depends_on;      // revision ids, unique prefixes or branch labels
  std::vector<std::string> branch_labels;   // declared on this revision
  std::string message;
  // A squash revision: the revisions it stands for, in history order (graph/squash.hpp).
  std::vector<std::string> replaces{};
};

// A problem in the graph itself. Data: the command layer turns it into the user's message.
struct GraphProblem {
  enum class Kind {
    duplicate_revision,  // two revisions with one id
    missing_parent,      // revises names no revision
    missing_dependency,  // depends_on names no revision or label
    cycle,               // revisions reach themselves; `revisions` is the cycle in order
    duplicate_label,     // one branch label on two branches
    label_collides,      // a branch label equal to a revision id
    // Squashes (graph/squash.hpp):
    replaces_itself,     // a squash lists itself, or revises or depends on what it replaces
    replaced_twice,      // one id in the replaces of two squashes: `revisions` = {id, other}
    replaced_reference,  // a revision refers to a replaced id other than the tip:
                         // `revisions` = {the id, the squash, its tip}
    squash_not_retired,  // a squash replaces a squash whose replaced files are still there:
                         // `revisions` = {the inner squash, its replaced revisions present}
    replaced_outside,    // a replaced revision revises a revision outside the squash that the
                         // squash does not revise: `revisions` = {parent, squash}
    tip_not_last,        // a replaced revision comes after the last id of `replaces` (the
                         // tip): `revisions` = {that revision, the tip}
  };
  Kind kind;
  std::string revision;                // the revision the problem is reported at
  std::vector<std::string> revisions;  // the others involved (cycle order, the other holder)
  std::string message;                 // a complete sentence, no file names
};

// A target that cannot be resolved or planned. Data; the command layer adds the next command.
struct TargetError {
  enum class Kind {
    syntax,           // not a target expression
    not_found,        // no revision or label matches
    ambiguous,        // a prefix matches several revisions: `candidates`
    multiple_heads,   // "head" with several heads: `candidates` are the heads
    relative_range,   // +N / -N walks past a base or a head, or across a branch point
    no_downgrade,     // a step in the plan has no downgrade section: `candidates` = [revision]
    not_a_downgrade,  // the target is not below the current heads
    not_an_upgrade,   // the target is not above the current heads
    unknown_current,  // a current head names no known revision: `candidates`
  };
  Kind kind;
  std::string message;  // a complete sentence
  std::vector<std::string> candidates;
};

enum class Direction { upgrade, downgrade, stamp };

// One change to the version table. Every change must touch exactly one row.
struct VersionOp {
  enum class Kind { insert, update, remove };
  Kind kind;
  std::string from;  // update, remove: the row that must exist
  std::string to;    // insert, update: the new row
};

// One migration to run (or, for stamp, one version-table change to make).
struct Step {
  std::string revision;  // the revision whose upgrade or downgrade section runs
  Direction direction = Direction::upgrade;
  std::vector<VersionOp> version_ops;    // applied with the step, in order
  std::vector<std::string> heads_after;  // the version table's rows after this step, sorted
  // Not empty: the ledger's reason for this step instead of the run's (a squash's adoption).
  std::string reason{};
};

// A plan is data: it prints, and it is tested without a database.
struct Plan {
  std::vector<std::string> heads_before;  // sorted
  std::vector<std::string> heads_after;   // sorted
  std::vector<Step> steps;
};

class RevisionMap {
 public:
  // Builds and validates the graph, reporting every problem at once.
  static base::Result<RevisionMap, std::vector<GraphProblem>> build(
      std::vector<Revision> revisions);

  RevisionMap(RevisionMap&&) noexcept;
  RevisionMap& operator=(RevisionMap&&) noexcept;
  ~RevisionMap();

  [[nodiscard]] std::size_t size() const noexcept;
  [[nodiscard]] const Revision* find(std::string_view id) const noexcept;  // exact id only

  // Sorted by id.
  [[nodiscard]] std::vector<std::string> heads() const;
  // The heads nothing depends on either (Alembic's real heads); a head that another revision
  // depends on is an "effective head".
  [[nodiscard]] std::vector<std::string> real_heads() const;
  [[nodiscard]] std::vector<std::string> bases() const;
  [[nodiscard]] std::vector<std::string> children(std::string_view id) const;
  // Branch points: revisions with more than one child.
  [[nodiscard]] std::vector<std::string> branch_points() const;
  [[nodiscard]] bool is_merge_point(std::string_view id) const;
  // The labels of a revision, declared and inherited along its branch, as Alembic shows them.
  [[nodiscard]] std::vector<std::string> branch_labels_of(std::string_view id) const;

  // Resolves one target expression to revision ids, sorted (empty for "base"), given the
  // database's current heads (needed for +N, -N, "current"). Every form of SPEC §3: head,
  // heads (the heads nothing depends on, as Alembic), base, current, a full id, a branch label,
  // a unique prefix of any length of an id or label of four or more characters (as Alembic),
  // LABEL@head|heads|base|REV, REV@head, +N, -N, LABEL@+N, LABEL@-N, REV+N, REV-N. "-N" with
  // several current heads is refused (Alembic deprecated guessing); name the branch as REV@-N or
  // LABEL@-N. Thread-safe; O(n) at worst.
  [[nodiscard]] base::Result<std::vector<std::string>, TargetError> resolve(
      std::string_view target, std::span<const std::string> current_heads = {}) const;

  // Plans from the current heads to the target. Upgrade walks parents before children and
  // honours depends_on; downgrade walks back across merge points as Alembic does. A plan that
  // would run a downgrade with no downgrade section is not refused here: runner checks.
  // The version-table rows after every step are the heads of the applied revisions: where
  // Alembic would write a row below another row (a dependency that is also an ancestor), or
  // stop on an assertion, retort writes the heads or fails with a TargetError. Upgrading to an
  // ancestor of the current heads is an empty plan, as in Alembic.
  [[nodiscard]] base::Result<Plan, TargetError> plan_upgrade(
      std::span<const std::string> current_heads, std::string_view target) const;
  [[nodiscard]] base::Result<Plan, TargetError> plan_downgrade(
      std::span<const std::string> current_heads, std::string_view target) const;
  // Version-table changes only, as `alembic stamp` makes them; with purge, one step first
  // removes each current row, known or not. With several branches each branch's own row moves
  // (Alembic moves every row of the lineage into the first target).
  [[nodiscard]] base::Result<Plan, TargetError> plan_stamp(
      std::span<const std::string> current_heads, std::string_view target, bool purge) const;

  // The revisions for `history`, newest first (Alembic's walk_revisions order), limited to a
  // range "LOWER:UPPER" (either side may be empty, any target form); "" is everything.
  [[nodiscard]] base::Result<std::vector<const Revision*>, TargetError> history(
      std::string_view range, std::span<const std::string> current_heads = {}) const;

 private:
  struct Impl;
  explicit RevisionMap(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> m_impl;
};

}  // namespace retort::graph
