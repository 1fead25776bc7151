// Comparing two schema models: what differs, object by object, as a user reads it and as a
// planner consumes it. Pure: models in, changes out.
#pragma once

#include "schema/model.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace retort::schema {

enum class ChangeKind { added, removed, changed };

// One difference. `object` is the kind as the line spells it ("schema", "extension", "type",
// "domain", "sequence", "table", "column", "constraint", "index", "view", "materialized view",
// "function", "procedure", "trigger", "policy", "comment"); `name` the qualified name
// ("public.users", "public.users.email", "public.add(integer, integer)", "TABLE public.users"
// for a comment). For a changed object, `attribute` says what changed ("type", "default",
// "not null", "definition", "labels", "enabled", "version", ...) and `before`/`after` hold
// the two values; for an added or removed object they hold its whole definition (SQL), one
// of them empty.
struct Change {
  ChangeKind kind = ChangeKind::changed;
  std::string object;
  std::string name;
  std::string attribute;
  std::string before;
  std::string after;

  friend bool operator==(const Change&, const Change&) = default;
};

struct DiffOptions {
  // [retort.schema] ignore: an entry matches an object's name ("public.spatial_ref_sys"), or
  // its kind and name ("event trigger on_ddl"); `*` matches any run of characters. An ignored
  // table takes its columns, constraints, indexes, triggers, policies and comments with it.
  std::vector<std::string> ignore;
};

// Whether an [retort.schema] ignore entry matches the object `kind` `name` (see DiffOptions).
[[nodiscard]] bool ignored(const std::vector<std::string>& ignore, std::string_view kind,
                           std::string_view name);

struct Diff {
  // In a stable order: by the order of kinds above, then by name, then by attribute.
  std::vector<Change> changes;
  // Objects of kinds the model does not cover, in either model and not ignored: retort cannot
  // say they are equal, so a drift check fails on them.
  std::vector<Unsupported> uncompared;

  [[nodiscard]] bool empty() const { return changes.empty() && uncompared.empty(); }
};

// What turns `from` into `to`. Equal models give an empty Diff. What the server generates
// and two equal schemas may still spell apart is not a change: column order, the names of
// constraints and indexes the server generated when both sides have the same definition under
// generated names, an enum label order reached through BEFORE/AFTER, the state of a sequence.
[[nodiscard]] Diff diff(const Schema& from, const Schema& to, const DiffOptions& options = {});

// One line: "+ view public.active_users", "- table public.old",
// "~ column public.users.email: type text -> citext". A multi-line value (a definition) is
// not repeated on the line: "~ view public.active_users: definition".
[[nodiscard]] std::string change_line(const Change& change);

// A unified diff of two texts by lines ("--- before", "+++ after", "@@ -a,b +c,d @@" hunks with
// `context` lines around each change); empty when the texts are equal.
[[nodiscard]] std::string unified_diff(const std::string& before, const std::string& after,
                                       int context = 3);

// Whether a change's values span several lines, so that its text shows them as unified_diff.
[[nodiscard]] bool multi_line(const Change& change);

}  // namespace retort::schema
