// ScriptDirectory: reads versions/*.sql once each, parses them, checks the directory as a
// whole (duplicate revisions, the graph), and keeps the migrations and their RevisionMap.
#include "script/script_directory.hpp"

#include "script/header_cache.hpp"
#include "script/migration_parser.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>
#include <unordered_map>
#include <utility>
#include <vector>

namespace retort::script {

namespace fs = std::filesystem;

struct ScriptDirectory::Impl {
  // by_revision_in views the revision ids of migrations_in; moving the vector keeps them valid.
  Impl(fs::path location_in, std::vector<Migration> migrations_in, graph::RevisionMap map_in,
       graph::Squashes squashes_in,
       std::unordered_map<std::string_view, std::size_t> by_revision_in)
      : location(std::move(location_in)),
        migrations(std::move(migrations_in)),
        map(std::move(map_in)),
        squashes(std::move(squashes_in)),
        by_revision(std::move(by_revision_in)) {}

  fs::path location;
  std::vector<Migration> migrations;  // never resized after construction: by_revision views it
  graph::RevisionMap map;
  graph::Squashes squashes;
  std::unordered_map<std::string_view, std::size_t> by_revision;

  // Where the files are, for the loads that read them.
  struct Source {
    fs::path location;           // absolute script_location
    fs::path versions;           // location/versions
    fs::path project;            // what display paths are relative to
    std::string display_prefix;  // versions as displayed, with a trailing '/'
    std::string path_prefix;     // versions, absolute, with a trailing '/'
  };
  // Set when the graph came from the header cache and no file was read (header_cache.hpp):
  // find() reads the file it is asked for, migrations() every file, when first called.
  struct Deferred;
  std::unique_ptr<Deferred> deferred;

  // Every file of `names` read and parsed, the directory checked as a whole; each file's stamp
  // appended to `stamps`.
  static base::Result<std::shared_ptr<const Impl>, std::vector<Problem>> parse_all(
      const Source& source, int dir_fd, std::span<const std::string_view> names,
      std::vector<header_cache::FileStamp>& stamps);
  // The graph from the header cache when every file is there with its stamp; null otherwise.
  static std::shared_ptr<const Impl> from_cache(const Source& source, int dir_fd,
                                                std::span<const std::string_view> names,
                                                std::vector<header_cache::Entry> entries);
  [[nodiscard]] const Migration* find(std::string_view revision) const;
  // This, or for a deferred directory, every file read.
  [[nodiscard]] const Impl& whole() const;
};

// Deferred reading: the files named and stamped as the cache was checked.
struct ScriptDirectory::Impl::Deferred {
  Source source;
  std::vector<std::string> names;  // sorted, as listed
  std::vector<header_cache::FileStamp> stamps;
  std::unordered_map<std::string, std::size_t> file_of;                // revision -> index in names
  std::mutex mutex;                                                    // guards what follows
  std::shared_ptr<const Impl> whole;                                   // every file, once read
  std::unordered_map<std::string, std::unique_ptr<Migration>> single;  // files read alone

  [[nodiscard]] std::unique_ptr<Migration> read_one(std::size_t index) const;
  [[nodiscard]] std::shared_ptr<const Impl> read_all() const;
};

namespace {

// An open directory, closed on scope exit.
class Directory {
 public:
  explicit Directory(const fs::path& path) : m_dir(opendir(path.c_str())) {}
  ~Directory() {
    if (m_dir != nullptr) {
      closedir(m_dir);
    }
  }
  Directory(const Directory&) = delete;
  Directory& operator=(const Directory&) = delete;

  [[nodiscard]] DIR* get() const noexcept { return m_dir; }

 private:
  DIR* m_dir;
};

// The names of the migration files of a directory, sorted. They live in one buffer, each
// followed by a NUL for openat(); the views exclude it. One allocation instead of one per name.
// A vector, not a std::string: moving a short string moves its characters, and the views.
struct FileNames {
  std::vector<char> buffer;
  std::vector<std::string_view> names;
};

// The migration files in a directory: regular files ending in .sql, not hidden. Editor
// backups, __pycache__ and README files are skipped.
std::optional<FileNames> list_sql_files(const Directory& dir, std::string& error) {
  FileNames out;
  std::vector<std::pair<std::size_t, std::size_t>> spans;  // offset and length in out.buffer
  if (dir.get() == nullptr) {
    error = std::strerror(errno);
    return std::nullopt;
  }
  const int dir_fd = dirfd(dir.get());
  errno = 0;
  while (const dirent* entry = readdir(dir.get())) {
    const std::string_view name = entry->d_name;
    if (name.empty() || name.front() == '.' || !name.ends_with(".sql")) {
      continue;
    }
    bool regular = entry->d_type == DT_REG;
    if (entry->d_type == DT_UNKNOWN || entry->d_type == DT_LNK) {
      struct stat info {};
      regular = fstatat(dir_fd, entry->d_name, &info, 0) == 0 && S_ISREG(info.st_mode);
    }
    if (regular) {
      spans.emplace_back(out.buffer.size(), name.size());
      out.buffer.insert(out.buffer.end(), name.begin(), name.end());
      out.buffer.push_back('\0');
    }
  }
  if (errno != 0) {
    error = std::strerror(errno);
    return std::nullopt;
  }
  // The buffer is complete: views into it stay valid from here on.
  out.names.reserve(spans.size());
  for (const auto& [offset, length] : spans) {
    out.names.emplace_back(out.buffer.data() + offset, length);
  }
  std::sort(out.names.begin(), out.names.end());
  // Moved, never copied: a copy's views would point into the original's buffer.
  return std::optional<FileNames>(std::move(out));
}

using header_cache::FileStamp;
using header_cache::stamp_of;

constexpr std::int64_t k_ns_per_s = 1'000'000'000;

// The whole file `name` (NUL-terminated), read into `buffer`, which is reused from file to
// file and only grows, so that reading allocates and clears nothing once it is large enough;
// nullopt with errno's text in `error`. The view is valid until the next call. Opening
// relative to the directory and reading into a buffer that usually holds the whole file keep
// this at four system calls per file, most of the cost of loading a large directory: the
// fourth, fstat on the open file, is the stamp by which the next load may reuse the parse.
std::optional<std::string_view> read_file_at(int dir_fd, const char* name, std::string& buffer,
                                             FileStamp& stamp, std::string& error) {
  constexpr std::size_t k_min_free = 65536;
  const int fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = std::strerror(errno);
    return std::nullopt;
  }
  struct stat info {};
  if (fstat(fd, &info) != 0) {
    error = std::strerror(errno);
    close(fd);
    return std::nullopt;
  }
  stamp = stamp_of(info);
  std::size_t size = 0;
  for (;;) {
    if (buffer.size() < size + k_min_free) {
      buffer.resize(std::max(size + k_min_free, 2 * buffer.size()));
    }
    const std::size_t wanted = buffer.size() - size;
    const ssize_t got = read(fd, buffer.data() + size, wanted);
    if (got < 0 && errno == EINTR) {
      continue;
    }
    if (got < 0) {
      error = std::strerror(errno);
      close(fd);
      return std::nullopt;
    }
    size += static_cast<std::size_t>(got);
    // A regular file reads short only at its end: no second read() to see end of file.
    if (static_cast<std::size_t>(got) < wanted) {
      break;
    }
  }
  close(fd);
  return std::string_view(buffer.data(), size);
}

std::string display_of(const fs::path& path, const fs::path& project_dir) {
  fs::path relative = path.lexically_relative(project_dir);
  if (relative.empty() || *relative.begin() == "..") {
    return path.generic_string();
  }
  return relative.generic_string();
}

// The line of the directive a graph problem is about, in the file of its revision.
int line_for(const graph::GraphProblem& problem, const Migration& migration,
             const DirectiveLines& lines) {
  using Kind = graph::GraphProblem::Kind;
  auto first_set = [](std::initializer_list<int> candidates) {
    for (const int line : candidates) {
      if (line != 0) {
        return line;
      }
    }
    return 1;
  };
  switch (problem.kind) {
    case Kind::duplicate_revision:
      return first_set({lines.revision});
    case Kind::missing_parent:
      return first_set({lines.revises, lines.revision});
    case Kind::missing_dependency:
      return first_set({lines.depends_on, lines.revision});
    case Kind::cycle: {
      // The cycle leaves its first revision through `revises` or through `depends_on`.
      const std::string next = problem.revisions.size() > 1 ? problem.revisions[1] : "";
      const bool by_revises = std::find(migration.revises.begin(), migration.revises.end(), next) !=
                              migration.revises.end();
      return by_revises ? first_set({lines.revises, lines.revision})
                        : first_set({lines.depends_on, lines.revises, lines.revision});
    }
    case Kind::duplicate_label:
    case Kind::label_collides:
      return first_set({lines.branch_labels, lines.revision});
    case Kind::replaces_itself:
    case Kind::replaced_twice:
    case Kind::squash_not_retired:
    case Kind::tip_not_last:
      if (!problem.revisions.empty()) {
        const std::string& ref = problem.revisions[0];
        if (std::find(migration.revises.begin(), migration.revises.end(), ref) !=
            migration.revises.end()) {
          return first_set({lines.revises, lines.revision});
        }
        if (std::find(migration.depends_on.begin(), migration.depends_on.end(), ref) !=
            migration.depends_on.end()) {
          return first_set({lines.depends_on, lines.revision});
        }
      }
      return first_set({lines.replaces, lines.revision});
    case Kind::replaced_reference:
    case Kind::replaced_outside: {
      const std::string& ref = problem.revisions.empty() ? problem.revision : problem.revisions[0];
      const bool by_revises = std::find(migration.revises.begin(), migration.revises.end(), ref) !=
                              migration.revises.end();
      return by_revises ? first_set({lines.revises, lines.revision})
                        : first_set({lines.depends_on, lines.revision});
    }
  }
  return 1;
}

std::string fix_for(const graph::GraphProblem& problem) {
  using Kind = graph::GraphProblem::Kind;
  switch (problem.kind) {
    case Kind::duplicate_revision:
      return "give one of the files a new revision id";
    case Kind::missing_parent:
      return "correct the id in `-- retort:revises`, or restore the file that declares it";
    case Kind::missing_dependency:
      return "correct `-- retort:depends_on`: it takes revision ids, unique prefixes of them, or "
             "branch labels";
    case Kind::cycle:
      return "a revision cannot come after itself: remove one of the `revises` or `depends_on` "
             "links of the cycle";
    case Kind::duplicate_label:
      return "choose a branch label no other branch uses";
    case Kind::label_collides:
      return "choose a branch label that is not a revision id";
    case Kind::replaces_itself:
      return "a squash stands for the revisions before it: list in `-- retort:replaces` only "
             "revisions it does not revise, depend on, or include itself";
    case Kind::replaced_twice:
      return "a revision belongs to one squash: take it out of the `-- retort:replaces` of one of "
             "them";
    case Kind::replaced_reference: {
      const std::string squash = problem.revisions.size() > 1 ? problem.revisions[1] : "S";
      const std::string tip = problem.revisions.size() > 2 ? problem.revisions[2] : "its tip";
      return "revise " + squash + " instead (or " + tip +
             ", the last revision it replaces, which stands for it); a squash replaces a "
             "revision and all its ancestors, so nothing else may hang off the ones inside";
    }
    case Kind::squash_not_retired:
      return "retire the inner squash's replaced files first (every database past it), or "
             "squash only what comes after it";
    case Kind::replaced_outside:
      return "a squash replaces a revision and all its ancestors: add the parent to "
             "`-- retort:replaces`, or list it in the squash's `-- retort:revises`";
    case Kind::tip_not_last:
      return "list the replaced revisions in history order, the tip (the revision the later "
             "ones revise) last; a squash replaces the tip and its ancestors only";
  }
  return {};
}

}  // namespace

base::Result<std::shared_ptr<const ScriptDirectory::Impl>, std::vector<Problem>>
ScriptDirectory::Impl::parse_all(const Source& source, int dir_fd,
                                 std::span<const std::string_view> names,
                                 std::vector<FileStamp>& stamps) {
  std::vector<Problem> problems;
  const std::string& display_prefix = source.display_prefix;
  const std::string& path_prefix = source.path_prefix;
  const std::size_t count = names.size();

  // migrations is reserved for every file and never grows past that, so first_declared can
  // view the revision ids it holds; the map then serves ScriptDirectory::find().
  std::vector<Migration> migrations;
  std::vector<DirectiveLines> lines;
  migrations.reserve(count);
  lines.reserve(count);
  std::unordered_map<std::string_view, std::size_t> first_declared;
  first_declared.reserve(count);
  std::vector<graph::Revision> revisions;
  revisions.reserve(count);
  // One file at a time, so that only one parse result is alive besides the migrations kept.
  // Reading on two threads measured slower on a busy two-core machine (the system calls
  // contend in the kernel) and raised the peak memory by the second thread's malloc arena.
  std::string buffer;
  std::string display;
  stamps.reserve(count);
  for (const std::string_view name : names) {
    display.assign(display_prefix).append(name);
    std::string read_error;
    FileStamp& stamp = stamps.emplace_back();
    const std::optional<std::string_view> text =
        read_file_at(dir_fd, name.data(), buffer, stamp, read_error);
    if (!text) {
      problems.push_back(Problem{SourceLocation{display, 0, 0},
                                 "cannot read the file: " + read_error, "check its permissions"});
      continue;
    }
    ParsedMigration parsed = parse_migration_text(display, *text);
    parsed.migration.path.reserve(path_prefix.size() + name.size());
    parsed.migration.path.append(path_prefix).append(name);
    for (Problem& problem : parsed.problems) {
      problems.push_back(std::move(problem));
    }
    Migration& migration = parsed.migration;
    if (migration.revision.empty()) {
      continue;  // already a problem; the graph cannot place it
    }
    const auto first = first_declared.find(migration.revision);
    if (first != first_declared.end()) {
      const Migration& other = migrations[first->second];
      problems.push_back(Problem{
          SourceLocation{display, parsed.lines.revision, 0},
          "revision " + migration.revision + " is also declared in " + other.display_path + ":" +
              std::to_string(lines[first->second].revision),
          "give one of the two files a new revision id (`retort revision` makes one) and update "
          "the `-- retort:revises` lines that should point to it"});
      continue;
    }
    revisions.push_back(graph::Revision{migration.revision, migration.revises, migration.depends_on,
                                        migration.branch_labels, migration.message,
                                        migration.replaces});
    migrations.push_back(std::move(migration));
    first_declared.emplace(migrations.back().revision, migrations.size() - 1);
    lines.push_back(parsed.lines);
  }

  // The squashes first: the main graph has each in place of the revisions it replaces.
  auto squashes = graph::Squashes::split(revisions);
  std::vector<graph::GraphProblem> graph_problems;
  std::optional<graph::RevisionMap> built;
  if (!squashes.ok()) {
    graph_problems = squashes.error();
  } else if (auto map = graph::RevisionMap::build(std::move(revisions)); !map.ok()) {
    graph_problems = map.error();
  } else {
    built.emplace(std::move(map).value());
  }
  {
    for (const graph::GraphProblem& graph_problem : graph_problems) {
      const auto at = first_declared.find(graph_problem.revision);
      if (at == first_declared.end()) {
        problems.push_back(
            Problem{SourceLocation{display_of(source.versions, source.project), 0, 0},
                    graph_problem.message, fix_for(graph_problem)});
        continue;
      }
      const Migration& migration = migrations[at->second];
      problems.push_back(
          Problem{SourceLocation{migration.display_path,
                                 line_for(graph_problem, migration, lines[at->second]), 0},
                  graph_problem.message, fix_for(graph_problem)});
    }
  }
  if (!problems.empty()) {
    std::stable_sort(problems.begin(), problems.end(), [](const Problem& a, const Problem& b) {
      if (a.where.file != b.where.file) {
        return a.where.file < b.where.file;
      }
      return a.where.line < b.where.line;
    });
    return base::fail(std::move(problems));
  }
  return std::shared_ptr<const Impl>(
      std::make_shared<const Impl>(source.location, std::move(migrations), std::move(*built),
                                   std::move(squashes).value(), std::move(first_declared)));
}

std::shared_ptr<const ScriptDirectory::Impl> ScriptDirectory::Impl::from_cache(
    const Source& source, int dir_fd, std::span<const std::string_view> names,
    std::vector<header_cache::Entry> entries) {
  if (entries.size() != names.size() ||
      !std::equal(names.begin(), names.end(), entries.begin(), entries.end(),
                  [](std::string_view name, const header_cache::Entry& entry) {
                    return name == entry.name;
                  })) {
    return nullptr;
  }
  // One system call per file: any write to a file changes its change time, and a file put in
  // its place has another inode.
  for (std::size_t i = 0; i < names.size(); ++i) {
    struct stat info {};
    if (fstatat(dir_fd, names[i].data(), &info, 0) != 0 || stamp_of(info) != entries[i].stamp) {
      return nullptr;
    }
  }
  auto deferred = std::make_unique<Deferred>();
  deferred->source = source;
  deferred->names.reserve(entries.size());
  deferred->stamps.reserve(entries.size());
  deferred->file_of.reserve(entries.size());
  std::vector<graph::Revision> revisions;
  revisions.reserve(entries.size());
  for (header_cache::Entry& entry : entries) {
    deferred->file_of.emplace(entry.revision.id, deferred->names.size());
    deferred->names.push_back(std::move(entry.name));
    deferred->stamps.push_back(entry.stamp);
    revisions.push_back(std::move(entry.revision));
  }
  // The graph as a whole load builds it; a cache that does not make one is not used.
  auto squashes = graph::Squashes::split(revisions);
  if (!squashes.ok()) {
    return nullptr;
  }
  auto map = graph::RevisionMap::build(std::move(revisions));
  if (!map.ok()) {
    return nullptr;
  }
  auto impl = std::make_shared<Impl>(source.location, std::vector<Migration>{},
                                     std::move(map).value(), std::move(squashes).value(),
                                     std::unordered_map<std::string_view, std::size_t>{});
  impl->deferred = std::move(deferred);
  return impl;
}

namespace {

// A file that changed between the check of its stamp and its reading: what the graph was
// built from is no longer what is there.
Error changed_while_read(const std::string& display_dir) {
  return Error(ExitCode::input,
               "the migration files in " + display_dir + " changed while retort was reading them")
      .explain("a file was added, removed or written after retort had checked it")
      .state("nothing was run")
      .next("run the same command again");
}

}  // namespace

std::unique_ptr<Migration> ScriptDirectory::Impl::Deferred::read_one(std::size_t index) const {
  const std::string path = source.path_prefix + names[index];
  std::string buffer;
  FileStamp stamp;
  std::string error;
  const std::optional<std::string_view> text =
      read_file_at(AT_FDCWD, path.c_str(), buffer, stamp, error);
  if (!text || stamp != stamps[index]) {
    return nullptr;
  }
  ParsedMigration parsed = parse_migration_text(source.display_prefix + names[index], *text);
  if (!parsed.problems.empty()) {
    return nullptr;
  }
  parsed.migration.path = path;
  return std::make_unique<Migration>(std::move(parsed.migration));
}

std::shared_ptr<const ScriptDirectory::Impl> ScriptDirectory::Impl::Deferred::read_all() const {
  const std::string display_dir = display_of(source.versions, source.project);
  const Directory dir(source.versions);
  if (dir.get() == nullptr) {
    throw changed_while_read(display_dir);
  }
  const std::vector<std::string_view> views(names.begin(), names.end());
  std::vector<FileStamp> read_stamps;
  auto parsed = parse_all(source, dirfd(dir.get()), views, read_stamps);
  if (!parsed.ok() || read_stamps != stamps) {
    throw changed_while_read(display_dir);
  }
  return std::move(parsed).value();
}

const Migration* ScriptDirectory::Impl::find(std::string_view revision) const {
  if (!deferred) {
    const auto it = by_revision.find(revision);
    return it == by_revision.end() ? nullptr : &migrations[it->second];
  }
  // A command that needs a few files (current: the database's revision) reads those alone; one
  // that goes through many (history) reads them all at once, as a load without the cache does.
  constexpr std::size_t k_read_alone = 16;
  Deferred& lazy = *deferred;
  const std::lock_guard<std::mutex> lock(lazy.mutex);
  if (!lazy.whole) {
    const std::string key(revision);
    const auto file = lazy.file_of.find(key);
    if (file == lazy.file_of.end()) {
      return nullptr;
    }
    if (const auto read = lazy.single.find(key); read != lazy.single.end()) {
      return read->second.get();
    }
    if (lazy.single.size() < k_read_alone) {
      if (std::unique_ptr<Migration> one = lazy.read_one(file->second)) {
        return lazy.single.emplace(key, std::move(one)).first->second.get();
      }
    }
    lazy.whole = lazy.read_all();
  }
  return lazy.whole->find(revision);
}

const ScriptDirectory::Impl& ScriptDirectory::Impl::whole() const {
  if (!deferred) {
    return *this;
  }
  const std::lock_guard<std::mutex> lock(deferred->mutex);
  if (!deferred->whole) {
    deferred->whole = deferred->read_all();
  }
  return *deferred->whole;
}

base::Result<ScriptDirectory, std::vector<Problem>> ScriptDirectory::load(
    const fs::path& script_location, const fs::path& project_dir) {
  std::error_code ec;
  const fs::path location = fs::absolute(script_location, ec);
  const fs::path project = fs::absolute(project_dir, ec).lexically_normal();
  const fs::path versions = (location / "versions").lexically_normal();
  std::vector<Problem> problems;
  if (!fs::is_directory(versions, ec)) {
    problems.push_back(Problem{
        SourceLocation{display_of(versions, project), 0, 0},
        "the script directory has no versions/ directory",
        "run `retort init " + display_of(location.lexically_normal(), project) +
            "` to create it, or point script_location in retort.toml at the right directory"});
    return base::fail(std::move(problems));
  }

  const Directory dir(versions);
  std::string list_error;
  const std::optional<FileNames> files = list_sql_files(dir, list_error);
  if (!files) {
    problems.push_back(Problem{SourceLocation{display_of(versions, project), 0, 0},
                               "cannot list the directory: " + list_error,
                               "check that it exists and is readable"});
    return base::fail(std::move(problems));
  }
  const int dir_fd = dirfd(dir.get());

  // The last parses of directories, newest last: reused while the same files are there
  // unchanged. A local class, for the access to Impl that load() has.
  struct Cached {
    std::string location;
    std::string project;
    std::vector<std::string> names;
    std::vector<FileStamp> stamps;
    std::shared_ptr<const Impl> impl;
  };
  constexpr std::size_t k_cached = 8;
  static std::mutex cache_mutex;
  static std::vector<Cached> cache;
  std::optional<Cached> candidate;
  {
    const std::lock_guard<std::mutex> lock(cache_mutex);
    for (const Cached& entry : cache) {
      if (entry.location == location.native() && entry.project == project.native() &&
          std::equal(entry.names.begin(), entry.names.end(), files->names.begin(),
                     files->names.end())) {
        candidate = entry;
      }
    }
  }
  if (candidate) {
    bool same = true;
    for (std::size_t i = 0; same && i < files->names.size(); ++i) {
      struct stat info {};
      same = fstatat(dir_fd, files->names[i].data(), &info, 0) == 0 &&
             stamp_of(info) == candidate->stamps[i];
    }
    if (same) {
      return ScriptDirectory(std::move(candidate->impl));
    }
  }

  // Keeps a parse for the next load in this process (the Python module calls load() for every
  // command), newest last.
  const auto remember = [&](std::vector<FileStamp> stamps, std::shared_ptr<const Impl> impl) {
    Cached entry{location.native(), project.native(),
                 std::vector<std::string>(files->names.begin(), files->names.end()),
                 std::move(stamps), std::move(impl)};
    const std::lock_guard<std::mutex> lock(cache_mutex);
    std::erase_if(cache, [&](const Cached& old) {
      return old.location == entry.location && old.project == entry.project;
    });
    if (cache.size() == k_cached) {
      cache.erase(cache.begin());
    }
    cache.push_back(std::move(entry));
  };

  const Impl::Source source{location, versions, project, display_of(versions, project) + "/",
                            versions.string() + "/"};
  // The header cache between processes, for directories large enough that reading every file
  // costs more than the cache: below that, a load reads the files as before and writes nothing.
  constexpr std::size_t k_cache_from_files = 64;
  std::optional<std::string> cache_path;
  std::string cache_key;
  if (files->names.size() >= k_cache_from_files) {
    // The versions path's length first: the two paths cannot be split another way.
    cache_key.append(std::to_string(versions.native().size()))
        .append(1, ':')
        .append(versions.native())
        .append(project.native());
    cache_path = header_cache::path_for(cache_key);
  }
  if (cache_path) {
    if (std::optional<std::vector<header_cache::Entry>> entries =
            header_cache::read(*cache_path, cache_key)) {
      std::vector<FileStamp> stamps;
      stamps.reserve(entries->size());
      for (const header_cache::Entry& entry : *entries) {
        stamps.push_back(entry.stamp);
      }
      if (std::shared_ptr<const Impl> cached =
              Impl::from_cache(source, dir_fd, files->names, std::move(*entries))) {
        // Its stamps were settled when the cache was written; the files it reads later are
        // checked against them, so it is as good a parse to keep as a whole one.
        remember(std::move(stamps), cached);
        return ScriptDirectory(std::move(cached));
      }
    }
  }

  std::vector<FileStamp> stamps;
  auto parsed = Impl::parse_all(source, dir_fd, files->names, stamps);
  if (!parsed.ok()) {
    return base::fail(std::move(parsed).error());
  }
  std::shared_ptr<const Impl> impl = std::move(parsed).value();
  // Kept only when every file is older than two seconds: a file written again within the
  // timestamp granularity of its file system would otherwise look unchanged.
  constexpr std::int64_t k_settled_ns = 2 * k_ns_per_s;
  const std::int64_t now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count();
  const bool settled = std::all_of(stamps.begin(), stamps.end(), [&](const FileStamp& stamp) {
    return now_ns - stamp.mtime_ns > k_settled_ns;
  });
  // Between processes, the change time too must be settled: a file whose modification time
  // was set back (a checkout, `touch -d`) may still be written again within one tick.
  const bool settled_on_disk =
      settled && std::all_of(stamps.begin(), stamps.end(), [&](const FileStamp& stamp) {
        return now_ns - stamp.ctime_ns > k_settled_ns;
      });
  if (settled_on_disk && cache_path && impl->migrations.size() == files->names.size()) {
    // Every file made one migration, in file-name order (a problem would have failed the load).
    std::vector<header_cache::Entry> entries;
    entries.reserve(impl->migrations.size());
    for (std::size_t i = 0; i < impl->migrations.size(); ++i) {
      const Migration& migration = impl->migrations[i];
      entries.push_back(header_cache::Entry{
          std::string(files->names[i]), stamps[i],
          graph::Revision{migration.revision, migration.revises, migration.depends_on,
                          migration.branch_labels, migration.message, migration.replaces}});
    }
    (void)header_cache::write(*cache_path, cache_key, entries);
  }
  if (settled) {
    remember(std::move(stamps), impl);
  }
  return ScriptDirectory(std::move(impl));
}

ScriptDirectory::ScriptDirectory(std::shared_ptr<const Impl> impl) : m_impl(std::move(impl)) {}
ScriptDirectory::ScriptDirectory(ScriptDirectory&&) noexcept = default;
ScriptDirectory& ScriptDirectory::operator=(ScriptDirectory&&) noexcept = default;
ScriptDirectory::~ScriptDirectory() = default;

const graph::RevisionMap& ScriptDirectory::map() const noexcept { return m_impl->map; }

const graph::Squashes& ScriptDirectory::squashes() const noexcept { return m_impl->squashes; }

const Migration* ScriptDirectory::find(std::string_view revision) const {
  return m_impl->find(revision);
}

std::span<const Migration> ScriptDirectory::migrations() const {
  return m_impl->whole().migrations;
}

const fs::path& ScriptDirectory::location() const noexcept { return m_impl->location; }

}  // namespace retort::script
