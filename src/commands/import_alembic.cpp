// Alembic's history for `retort import --from alembic`: Alembic itself (Debian's python3-alembic)
// reads the project's ScriptDirectory and renders each revision alone in offline mode, the
// machinery of `alembic upgrade --sql START:END` without env.py and without the version
// table's statements; retort keeps the graph as Alembic declares it. A revision whose Python
// needs a live database (it reads rows to decide what to write) fails offline: it is listed
// with Alembic's error and its line, and written with its header alone for the user.
#include "commands/import_tools.hpp"
#include "ops/backup/program.hpp"
#include "retort/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <unistd.h>

namespace retort::commands::importing {

namespace fs = std::filesystem;

namespace {

// Run by python3 with: the alembic.ini, an output directory, the dialect. For revision N (in
// the order Alembic walks from base to the heads) it writes N.meta (key=value lines) and, for
// each of upgrade and downgrade, N.<which>.sql or N.<which>.error.
constexpr const char* k_alembic_script = R"PY(
import io, os, sys, traceback
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.runtime.migration import MigrationContext
from alembic.operations import Operations

ini, out, dialect = sys.argv[1], sys.argv[2], sys.argv[3]
here = os.path.dirname(os.path.abspath(ini))
os.chdir(here)
script = ScriptDirectory.from_config(Config(ini))

if dialect == "--upgrade":
    # --verify: Alembic itself runs every revision (data migrations included) on the
    # throwaway database whose libpq URL is sys.argv[4], as `alembic upgrade heads` does, with
    # retort's connection in place of env.py's engine.
    import psycopg2
    import sqlalchemy as sa
    from alembic.runtime.environment import EnvironmentContext
    dsn = sys.argv[4]
    engine = sa.create_engine("postgresql+psycopg2://", creator=lambda: psycopg2.connect(dsn),
                              poolclass=sa.pool.NullPool)
    def upgrade(rev, context):
        return script._upgrade_revs("heads", rev)
    with EnvironmentContext(Config(ini), script, fn=upgrade, destination_rev="heads") as env:
        with engine.connect() as connection:
            env.configure(connection=connection)
            with env.begin_transaction():
                env.run_migrations()
    sys.exit(0)
revisions = list(script.walk_revisions("base", "heads"))
revisions.reverse()

def words(value):
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return " ".join(value)

def one_line(text):
    for line in (text or "").splitlines():
        if line.strip():
            return line.strip()
    return ""

for n, rev in enumerate(revisions):
    module = rev.module
    meta = {
        "revision": rev.revision,
        "revises": words(rev.down_revision),
        "branch_labels": words(getattr(module, "branch_labels", None)),
        "depends_on": words(getattr(module, "depends_on", None)),
        "message": one_line(rev.doc),
        "source": os.path.relpath(rev.path, here),
        "autocommit": "0",
    }
    for which in ("upgrade", "downgrade"):
        buffer = io.StringIO()
        context = MigrationContext.configure(
            dialect_name=dialect,
            opts={"as_sql": True, "output_buffer": buffer, "transactional_ddl": False})
        original = context.autocommit_block
        def autocommit_block(original=original):
            meta["autocommit"] = "1"
            return original()
        context.autocommit_block = autocommit_block
        try:
            with Operations.context(context):
                getattr(module, which)()
            with open(os.path.join(out, "%d.%s.sql" % (n, which)), "w") as f:
                f.write(buffer.getvalue())
        except Exception as error:
            line = ""
            for frame in traceback.extract_tb(error.__traceback__):
                if os.path.abspath(frame.filename) == os.path.abspath(rev.path):
                    line = ":%d" % frame.lineno
            with open(os.path.join(out, "%d.%s.error" % (n, which)), "w") as f:
                f.write("%s%s: %s: %s" % (meta["source"], line, type(error).__name__,
                                          str(error).splitlines()[0] if str(error) else ""))
    with open(os.path.join(out, "%d.meta" % n), "w") as f:
        for key, value in meta.items():
            f.write("%s=%s\n" % (key, value.replace("\n", " ")))
)PY";

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> split_spaces(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string word;
  while (in >> word) {
    out.push_back(word);
  }
  return out;
}

// A private directory for the script's output, removed however the import ends.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "retort-import-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      throw Error(ExitCode::failed, "cannot create a temporary directory for alembic's output");
    }
    m_path = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(m_path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const fs::path& path() const { return m_path; }

 private:
  fs::path m_path;
};

// Runs the script with `args` after the alembic.ini and the output directory; an error with
// Alembic's words when it fails.
void run_alembic_script(const fs::path& dir, const TempDir& out,
                        const std::vector<std::string>& args) {
  const fs::path ini = fs::is_directory(dir) ? dir / "alembic.ini" : dir;
  if (!fs::exists(ini)) {
    throw Error(ExitCode::input, fmt::format("{} has no alembic.ini", dir.string()))
        .state("no file was written and no database was touched")
        .next("retort import --from alembic DIR   (DIR: where alembic.ini is, or its path)");
  }
  std::ofstream(out.path() / "retort_alembic.py") << k_alembic_script;
  const char* configured = std::getenv("RETORT_PYTHON");
  const std::string python =
      configured != nullptr && configured[0] != '\0'
          ? std::string(configured)
          : (fs::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3");
  std::vector<std::string> argv{python, (out.path() / "retort_alembic.py").string(),
                                fs::absolute(ini).string(), out.path().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  const ops::backup::ProgramResult run = ops::backup::run_program(argv, {});
  if (run.exit_code != 0) {
    Error error(ExitCode::failed, fmt::format("Alembic could not read {} ({} {})", ini.string(),
                                              python, ops::backup::ending(run)));
    error.state("no file was written and no database was touched");
    error.explain(run.output +
                  "\nimport runs Alembic (Debian's python3-alembic) to read the "
                  "revisions and render their SQL offline; the project's own imports must load "
                  "too");
    error.next(fmt::format("cd {} && alembic history   (the same error shows there)",
                           ini.parent_path().string()));
    throw error;
  }
}

}  // namespace

void run_alembic_upgrade(const fs::path& dir, const std::string& libpq_url) {
  const TempDir out;
  run_alembic_script(dir, out, {"--upgrade", libpq_url});
}

std::vector<Imported> read_alembic_history(const fs::path& dir, const std::string& dialect) {
  const TempDir out;
  run_alembic_script(dir, out, {dialect});
  std::vector<Imported> history;
  for (int n = 0;; ++n) {
    const fs::path meta_path = out.path() / fmt::format("{}.meta", n);
    if (!fs::exists(meta_path)) {
      break;
    }
    std::map<std::string, std::string> meta;
    std::istringstream lines(slurp(meta_path));
    std::string line;
    while (std::getline(lines, line)) {
      const std::size_t equals = line.find('=');
      meta[line.substr(0, equals)] = line.substr(equals + 1);
    }
    Imported item;
    item.revision = meta["revision"];
    item.version = item.revision;
    item.message = meta["message"];
    item.source = meta["source"];
    item.revises = split_spaces(meta["revises"]);
    item.branch_labels = split_spaces(meta["branch_labels"]);
    item.depends_on = split_spaces(meta["depends_on"]);
    item.transactional = meta["autocommit"] != "1";
    for (const char* which : {"upgrade", "downgrade"}) {
      const fs::path error_path = out.path() / fmt::format("{}.{}.error", n, which);
      if (fs::exists(error_path)) {
        const std::string reason = slurp(error_path);
        item.left_reason = item.left_reason ? *item.left_reason + "; " + which + ": " + reason
                                            : std::string(which) + ": " + reason;
        continue;
      }
      const std::string sql = slurp(out.path() / fmt::format("{}.{}.sql", n, which));
      if (std::string_view(which) == "upgrade") {
        item.upgrade = sql;
      } else {
        item.downgrade = sql;
      }
    }
    history.push_back(std::move(item));
  }
  if (history.empty()) {
    throw Error(ExitCode::input, fmt::format("no Alembic revision in {}", dir.string()))
        .state("no file was written and no database was touched");
  }
  return history;
}

}  // namespace retort::commands::importing
