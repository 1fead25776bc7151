// The header cache: what the files of a script directory declare for the graph (revision,
// revises, depends_on, branch labels, message, replaces), with each file's stamp, kept in a
// file between processes. A later process whose files all have the same stamps builds the graph
// from it with one fstatat per file, instead of opening, reading and parsing every file: what a
// no-op `upgrade head` or `current` needs at 10,000 revisions.
//
// Where: $RETORT_CACHE_DIR, else $XDG_CACHE_HOME/retort, else $HOME/.cache/retort; one file
// per script directory, named by a hash of its path (which the file holds too, and is compared).
// RETORT_CACHE_DIR=off turns it off. Never beside the scripts, where it would be committed.
// Several processes may write it at once: each writes a file of its own and renames it into
// place, so a reader sees one whole file or none; a torn or foreign file is ignored.
#pragma once

#include "graph/revision_map.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct stat;

namespace retort::script::header_cache {

// What a file was when it was read: the cache holds while all of these match. The change time
// cannot be set by a user (unlike the modification time), and changes with any write.
struct FileStamp {
  std::int64_t mtime_ns = 0;
  std::int64_t ctime_ns = 0;
  std::int64_t size = 0;
  std::uint64_t inode = 0;
  bool operator==(const FileStamp&) const = default;
};

[[nodiscard]] FileStamp stamp_of(const struct stat& info);

// One migration file: its name in versions/, its stamp, what its header declares.
struct Entry {
  std::string name;
  FileStamp stamp;
  graph::Revision revision;
};

// The cache file for a directory; `key` names the directory (the versions path and the project
// directory the display paths are relative to; no NUL byte). nullopt when the cache is off or there
// is no place for it.
[[nodiscard]] std::optional<std::string> path_for(std::string_view key);

// The entries in `path`, in file-name order; nullopt when there is no file, it is for another
// key or another retort, or it is not whole.
[[nodiscard]] std::optional<std::vector<Entry>> read(const std::string& path, std::string_view key);

// Writes the entries; false (and nothing written) when a value cannot be kept (a NUL byte,
// a list item with a space) or the file cannot be written. A cache is never worth an error.
bool write(const std::string& path, std::string_view key, const std::vector<Entry>& entries);

}  // namespace retort::script::header_cache
