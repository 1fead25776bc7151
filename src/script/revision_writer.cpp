// New revision files: the template, its ${...} substitution, the slug, and random ids.
#include "base/text.hpp"
#include "retort/error.hpp"
#include "script/migration_parser.hpp"
#include "script/script_directory.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <utility>

namespace retort::script {
namespace {

namespace fs = std::filesystem;

// A message is one header line: line breaks become spaces.
std::string one_line(std::string_view text) {
  std::string out(base::trim(text));
  for (char& c : out) {
    if (c == '\n' || c == '\r' || c == '\t') {
      c = ' ';
    }
  }
  return out;
}

std::string header_of(const NewRevision& revision, const std::string& message) {
  std::string header = "-- retort:revision " + revision.revision;
  if (!revision.revises.empty()) {
    header += "\n-- retort:revises " + base::join(revision.revises, " ");
  }
  header += "\n-- retort:message " + message;
  if (!revision.branch_labels.empty()) {
    header += "\n-- retort:branch_labels " + base::join(revision.branch_labels, " ");
  }
  if (!revision.depends_on.empty()) {
    header += "\n-- retort:depends_on " + base::join(revision.depends_on, " ");
  }
  return header;
}

std::string render(std::string_view tmpl, const NewRevision& revision,
                   const fs::path& template_path) {
  const std::string message = one_line(revision.message);
  const std::array<std::pair<std::string_view, std::string>, 6> variables{{
      {"header", header_of(revision, message)},
      {"revision", revision.revision},
      {"revises", base::join(revision.revises, " ")},
      {"message", message},
      {"branch_labels", base::join(revision.branch_labels, " ")},
      {"depends_on", base::join(revision.depends_on, " ")},
  }};
  std::string out;
  out.reserve(tmpl.size() + 256);
  std::size_t pos = 0;
  while (pos < tmpl.size()) {
    const std::size_t open = tmpl.find("${", pos);
    const std::size_t close = open == std::string_view::npos ? open : tmpl.find('}', open);
    if (close == std::string_view::npos) {
      out += tmpl.substr(pos);
      break;
    }
    out += tmpl.substr(pos, open - pos);
    const std::string_view name = tmpl.substr(open + 2, close - open - 2);
    const auto variable = std::find_if(variables.begin(), variables.end(),
                                       [&](const auto& entry) { return entry.first == name; });
    if (variable == variables.end()) {
      throw Error(ExitCode::input,
                  fmt::format("the template uses ${{{}}}, which is not a template variable", name))
          .at(SourceLocation{template_path.generic_string(), base::line_of_offset(tmpl, open), 0})
          .explain(
              "the variables are ${header}, ${revision}, ${revises}, ${message}, "
              "${branch_labels} and ${depends_on}");
    }
    out += variable->second;
    pos = close + 1;
  }
  return out;
}

std::string read_template(const fs::path& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    throw Error(ExitCode::input, fmt::format("cannot read the template: {}", std::strerror(errno)))
        .at(SourceLocation{path.generic_string(), 0, 0});
  }
  std::string content;
  std::array<char, 4096> buffer{};
  std::size_t got = 0;
  while ((got = std::fread(buffer.data(), 1, buffer.size(), file)) > 0) {
    content.append(buffer.data(), got);
  }
  std::fclose(file);
  return content;
}

}  // namespace

// The built-in template. script.sql.tmpl files use the same variables:
//   ${header}         the directive lines: revision, revises (omitted for a base), message,
//                     branch_labels and depends_on (each omitted when empty)
//   ${revision}       the new revision id
//   ${revises}        the parent ids separated by spaces; empty for a base
//   ${message}        the message on one line
//   ${branch_labels}  the labels separated by spaces; may be empty
//   ${depends_on}     the dependencies separated by spaces; may be empty
// Anything else in ${...} is an error, so a typo never lands in a migration silently; a `$`
// not followed by `{` (dollar quotes, $1) is copied as it is.
std::string_view default_template() {
  return "${header}\n"
         "\n"
         "-- retort:upgrade\n"
         "-- Write the SQL that applies this revision here. retort will not run it empty.\n"
         "\n"
         "-- retort:downgrade\n"
         "-- Write the SQL that reverts the upgrade here; retort will not run it empty\n"
         "-- either. If there is nothing to revert, add `-- retort:empty downgrade` to the\n"
         "-- header; if it cannot be reverted, remove this section: retort then refuses to\n"
         "-- downgrade past this revision.\n";
}

std::string generated_revision_text(const NewRevision& revision) {
  std::string text = header_of(revision, one_line(revision.message));
  for (const std::string& line : revision.header_lines) {
    text += "\n" + line;
  }
  text += "\n\n" + revision.body.value_or("");
  return text;
}

std::string revision_file_name(const NewRevision& revision) {
  const std::string slug = slugify(revision.message);
  return revision.revision + (slug.empty() ? "" : "_" + slug) + ".sql";
}

std::string new_revision_id() {
  std::random_device device;
  const std::uint64_t high = device();
  const std::uint64_t low = device();
  return fmt::format("{:012x}", ((high << 32U) | low) & 0xffffffffffffULL);
}

fs::path write_revision(const fs::path& script_location, const NewRevision& revision) {
  if (!is_valid_revision_id(revision.revision)) {
    throw Error(ExitCode::input, fmt::format("`{}` is not a valid revision id", revision.revision))
        .explain("a revision id is 1 to 64 letters, digits or underscores");
  }
  // The file must load again: a message of another encoding (a Latin-1 terminal) would not.
  if (base::invalid_utf8_at(revision.message)) {
    throw Error(ExitCode::input,
                fmt::format("the message `{}` is not UTF-8", base::escape_bytes(revision.message)))
        .explain("migration files are UTF-8: give -m in UTF-8 (check the terminal's locale)");
  }
  const fs::path versions = script_location / "versions";
  std::error_code ec;
  if (!fs::is_directory(versions, ec)) {
    throw Error(ExitCode::input, "the script directory has no versions/ directory")
        .at(SourceLocation{versions.generic_string(), 0, 0})
        .next("retort init " + script_location.generic_string());
  }
  // A revision id names one file, whatever its slug.
  for (fs::directory_iterator it(versions, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name == revision.revision + ".sql" || name.starts_with(revision.revision + "_")) {
      throw Error(ExitCode::input, "revision " + revision.revision + " already exists")
          .at(SourceLocation{it->path().generic_string(), 0, 0})
          .explain("choose another id, or leave --rev-id out for a random one");
    }
  }

  std::string content;
  if (revision.body) {
    content = generated_revision_text(revision);
  } else {
    const fs::path template_path = script_location / "script.sql.tmpl";
    const std::string tmpl = fs::is_regular_file(template_path, ec)
                                 ? read_template(template_path)
                                 : std::string(default_template());
    content = render(tmpl, revision, template_path);
  }
  const fs::path path = versions / revision_file_name(revision);
  // "x": fail rather than overwrite a file that appeared since the check above.
  std::FILE* file = std::fopen(path.c_str(), "wbx");
  if (file == nullptr) {
    const int error = errno;
    throw Error(error == EEXIST ? ExitCode::input : ExitCode::failed,
                fmt::format("cannot create the revision file: {}", std::strerror(error)))
        .at(SourceLocation{path.generic_string(), 0, 0});
  }
  const bool written = std::fwrite(content.data(), 1, content.size(), file) == content.size();
  if (std::fclose(file) != 0 || !written) {
    std::error_code remove_ec;
    fs::remove(path, remove_ec);
    throw Error(ExitCode::failed, "cannot write the revision file")
        .at(SourceLocation{path.generic_string(), 0, 0});
  }
  return path;
}

}  // namespace retort::script
