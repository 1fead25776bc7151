// The deployment recipes of docs/guide/deployment.md, exercised as they ship, against a real
// PostgreSQL 15: (1) the Kubernetes Job: the shell script its container runs is taken from
// deploy/kubernetes/migrate-job.yaml and run as it stands, with the built retort on PATH and
// RETORT_URL set; (2) application replicas that migrate at start-up through libretort, several
// at once; (3) deploy/ci/retort-plan-apply.sh, plan then apply around a manual approval, and its
// refusal when what would run is not what was approved. Also: the manifests and CI files parse as
// YAML and keep their production settings, and the scripts are shellcheck-clean.
#include "harness/postgres_server.hpp"
#include "integration/cli_support.hpp"
#include "integration/project.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace retort::test {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using Strings = std::vector<std::string>;

const fs::path k_source_dir{RETORT_SOURCE_DIR};
const fs::path k_job_manifest = k_source_dir / "deploy" / "kubernetes" / "migrate-job.yaml";
const fs::path k_production_config = k_source_dir / "deploy" / "kubernetes" / "retort.toml";
const fs::path k_plan_apply = k_source_dir / "deploy" / "ci" / "retort-plan-apply.sh";
const fs::path k_fleet_manifest = k_source_dir / "deploy" / "kubernetes" / "fleet-job.yaml";

// Every document of a YAML file, as JSON, read by python3-yaml's safe loader: a file it cannot
// parse fails the test.
Json yaml_documents(const fs::path& file) {
  const std::string python = RETORT_YAML_PYTHON;
  if (python.empty()) {
    ADD_FAILURE() << "no python3 found at configure time; run scripts/install-deps.sh";
    return Json::array();
  }
  const ProcessResult read = run({python, "-c",
                                  "import json, sys, yaml\n"
                                  "with open(sys.argv[1]) as f:\n"
                                  "    json.dump(list(yaml.safe_load_all(f)), sys.stdout)\n",
                                  file.string()});
  if (read.exit_code != 0) {
    ADD_FAILURE() << file << " is not YAML that python3-yaml reads (install python3-yaml: "
                  << "scripts/install-deps.sh)\n"
                  << shown(read);
    return Json::array();
  }
  return Json::parse(read.out);
}

// The Job of migrate-job.yaml.
Json job_manifest() {
  for (const Json& doc : yaml_documents(k_job_manifest)) {
    if (doc.is_object() && doc.value("kind", "") == "Job") {
      return doc;
    }
  }
  ADD_FAILURE() << k_job_manifest << " has no document of kind Job";
  return Json::object();
}

// What the Job's container runs: its command followed by its args, exactly.
Strings job_argv() {
  const Json job = job_manifest();
  const Json container = job.at("spec").at("template").at("spec").at("containers").at(0);
  Strings argv = container.at("command").get<Strings>();
  const Strings args = container.value("args", Strings{});
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

// The environment of a deploy: the retort of this build first on PATH, the URL in RETORT_URL
// (with a password, which no output may show) and nothing from the caller's DATABASE_URL.
SpawnOptions deploy_environment(const Project& project, const std::string& url) {
  SpawnOptions options = in(project, std::chrono::seconds(60));
  const char* path = std::getenv("PATH");
  options.env["PATH"] =
      retort_binary().parent_path().string() + ":" + (path != nullptr ? path : "/usr/bin:/bin");
  options.env["RETORT_URL"] = url;
  options.env["NO_COLOR"] = "1";
  options.unset_env = {"DATABASE_URL"};
  return options;
}

// A fresh PostgreSQL database with the shipped production retort.toml (no url: RETORT_URL gives
// it) and three revisions; `slow` makes each take a moment, so that racing runners overlap.
class DeployTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::copy_file(k_production_config, m_project.dir() / "retort.toml");
    const std::string database = m_project.query_rows("SELECT current_database()").at(0);
    m_url = PostgresServer::instance().password_url(database);
  }

  void add_history(bool slow = false) {
    const std::string pause = slow ? "\nSELECT pg_sleep(0.4);" : "";
    m_project.add({"aaa",
                   {},
                   "CREATE TABLE users (id bigint PRIMARY KEY);" + pause,
                   "DROP TABLE users;",
                   {},
                   "create users"});
    m_project.add({"bbb",
                   {"aaa"},
                   "CREATE TABLE orders (id bigint PRIMARY KEY);" + pause,
                   "DROP TABLE orders;",
                   {},
                   "create orders"});
    m_project.add({"ccc",
                   {"bbb"},
                   "CREATE TABLE payments (id bigint PRIMARY KEY);" + pause,
                   "DROP TABLE payments;",
                   {},
                   "create payments"});
  }

  ProcessResult retort_cli(const Strings& args) {
    return retort(m_project, args, {{"RETORT_URL", m_url}}, std::chrono::seconds(60));
  }

  // The ledger as "revision direction status" lines, oldest first.
  Strings ledger_lines() {
    Strings out;
    for (const Project::LedgerRow& row : m_project.ledger()) {
      out.push_back(row.revision + " " + row.direction + " " + row.status);
    }
    return out;
  }

  // What a reviewer would compare: the schema with retort's tables, and the version rows.
  std::string database_state() {
    std::string out = m_project.schema();
    for (const std::string& row : m_project.version_rows()) {
      out += "version " + row + "\n";
    }
    return out;
  }

  Project m_project{Backend::postgres, "deploy"};
  std::string m_url;
};

// ---- 1. The Kubernetes Job --------------------------------------------------------------------

TEST(KubernetesJobManifest, IsAJobWithTheProductionSettings) {
  const Json job = job_manifest();
  ASSERT_TRUE(job.contains("spec")) << job.dump(2);
  const Json& spec = job["spec"];
  EXPECT_EQ(spec.value("backoffLimit", -1), 0) << "a failed migration must not be retried";
  EXPECT_GT(spec.value("activeDeadlineSeconds", 0), 0);
  EXPECT_GT(spec.value("ttlSecondsAfterFinished", 0), 0);
  const Json& pod = spec["template"]["spec"];
  EXPECT_EQ(pod.value("restartPolicy", ""), "Never");
  EXPECT_EQ(pod["securityContext"].value("runAsNonRoot", false), true);
  EXPECT_GT(pod["securityContext"].value("runAsUser", 0), 0);
  ASSERT_EQ(pod["containers"].size(), 1U);
  // No service-account token: the migration never talks to the Kubernetes API.
  EXPECT_EQ(pod.value("automountServiceAccountToken", true), false);
  // Time for retort to cancel its statement and roll back after SIGTERM (the default is 30s).
  EXPECT_GE(pod.value("terminationGracePeriodSeconds", 0), 60);
  const Json& container = pod["containers"][0];
  EXPECT_EQ(container["securityContext"].value("allowPrivilegeEscalation", true), false);
  EXPECT_EQ(container["securityContext"].value("readOnlyRootFilesystem", false), true);
  EXPECT_EQ(container["securityContext"]["capabilities"]["drop"], Json::array({"ALL"}))
      << container.dump(2);
  EXPECT_FALSE(container["securityContext"]["capabilities"].contains("add")) << container.dump(2);
  // With a read-only root, retort writes only to mounted volumes: its backups and /tmp.
  Strings mounts;
  for (const Json& mount : container["volumeMounts"]) {
    mounts.push_back(mount.value("mountPath", ""));
  }
  EXPECT_EQ(mounts, (Strings{"/app/backups", "/tmp"}));
  EXPECT_TRUE(container["resources"].contains("requests")) << container.dump(2);
  EXPECT_TRUE(container["resources"].contains("limits")) << container.dump(2);

  bool url_from_secret = false;
  for (const Json& var : container["env"]) {
    if (var.value("name", "") == "RETORT_URL") {
      url_from_secret = var["valueFrom"].contains("secretKeyRef");
    }
  }
  EXPECT_TRUE(url_from_secret) << "RETORT_URL comes from a Secret\n" << container.dump(2);

  // Exit 3 (the lock was busy: nothing ran) is run again; 1 and 2 fail the Job.
  std::map<int, std::string> action_by_exit_code;
  for (const Json& rule : spec["podFailurePolicy"]["rules"]) {
    if (rule.contains("onExitCodes")) {
      for (const Json& code : rule["onExitCodes"]["values"]) {
        action_by_exit_code[code.get<int>()] = rule.value("action", "");
      }
      EXPECT_EQ(rule["onExitCodes"].value("containerName", ""), container.value("name", ""));
    }
  }
  EXPECT_EQ(action_by_exit_code,
            (std::map<int, std::string>{{1, "FailJob"}, {2, "FailJob"}, {3, "Ignore"}}));

  const Strings argv = job_argv();
  ASSERT_EQ(argv.size(), 3U);
  EXPECT_EQ(argv[0], "/bin/sh");
  EXPECT_EQ(argv[1], "-ec");
  const std::string& script = argv[2];
  const std::size_t preflight = script.find("retort preflight");
  const std::size_t upgrade = script.find("retort -v upgrade head");
  // exec: retort becomes PID 1 and gets the SIGTERM itself (a shell as PID 1 ignores it).
  EXPECT_NE(script.find("\nexec retort -v upgrade head"), std::string::npos) << script;
  ASSERT_NE(preflight, std::string::npos) << script;
  ASSERT_NE(upgrade, std::string::npos) << script;
  EXPECT_LT(preflight, upgrade) << script;

  const Json claims = yaml_documents(k_source_dir / "deploy" / "kubernetes" / "backups-pvc.yaml");
  ASSERT_EQ(claims.size(), 1U);
  EXPECT_EQ(claims[0].value("kind", ""), "PersistentVolumeClaim");
  EXPECT_EQ(claims[0]["metadata"].value("name", ""),
            pod["volumes"][0]["persistentVolumeClaim"].value("claimName", "?"));
}

// The Indexed Job of fleet-job.yaml.
Json fleet_job_manifest() {
  for (const Json& doc : yaml_documents(k_fleet_manifest)) {
    if (doc.is_object() && doc.value("kind", "") == "Job") {
      return doc;
    }
  }
  ADD_FAILURE() << k_fleet_manifest << " has no document of kind Job";
  return Json::object();
}

TEST(KubernetesFleetJobManifest, IsAnIndexedJobThatFailsAnIndexOnExit2AndIgnoresEvictions) {
  const Json job = fleet_job_manifest();
  ASSERT_TRUE(job.contains("spec")) << job.dump(2);
  const Json& spec = job["spec"];
  EXPECT_EQ(spec.value("completionMode", ""), "Indexed");
  EXPECT_GT(spec.value("completions", 0), 1);
  EXPECT_GT(spec.value("backoffLimitPerIndex", 0), 0);
  EXPECT_GT(spec.value("maxFailedIndexes", 0), 0);
  EXPECT_LT(spec.value("maxFailedIndexes", 0), spec.value("completions", 0));
  EXPECT_GT(spec.value("activeDeadlineSeconds", 0), 0);
  bool evictions_ignored = false;
  std::map<int, std::string> action_by_exit_code;
  for (const Json& rule : spec["podFailurePolicy"]["rules"]) {
    if (rule.contains("onPodConditions")) {
      for (const Json& condition : rule["onPodConditions"]) {
        evictions_ignored =
            evictions_ignored || (condition.value("type", "") == "DisruptionTarget" &&
                                  rule.value("action", "") == "Ignore");
      }
    }
    if (rule.contains("onExitCodes")) {
      EXPECT_EQ(rule["onExitCodes"].value("operator", ""), "In");
      for (const Json& code : rule["onExitCodes"]["values"]) {
        action_by_exit_code[code.get<int>()] = rule.value("action", "");
      }
    }
  }
  EXPECT_TRUE(evictions_ignored) << spec["podFailurePolicy"].dump(2);
  EXPECT_EQ(action_by_exit_code,
            (std::map<int, std::string>{{1, "Count"}, {2, "FailIndex"}, {3, "Count"}}));

  const Json& pod = spec["template"]["spec"];
  EXPECT_EQ(pod.value("restartPolicy", ""), "Never") << "backoffLimitPerIndex needs Never";
  EXPECT_EQ(pod["securityContext"].value("runAsNonRoot", false), true);
  ASSERT_EQ(pod["containers"].size(), 1U);
  const Json& container = pod["containers"][0];
  std::string shards;
  for (const Json& var : container["env"]) {
    if (var.value("name", "") == "SHARDS") {
      shards = var.value("value", "");
    }
  }
  EXPECT_EQ(shards, std::to_string(spec.value("completions", 0)))
      << "SHARDS must equal completions, or tenants fall between the shards";
  Strings argv = container.at("command").get<Strings>();
  for (const Json& arg : container["args"]) {
    argv.push_back(arg.get<std::string>());
  }
  ASSERT_EQ(argv.size(), 3U);
  EXPECT_NE(
      argv[2].find("exec retort fleet upgrade head --shard \"$JOB_COMPLETION_INDEX/$SHARDS\""),
      std::string::npos)
      << argv[2];
}

// The Indexed Job simulated on one machine: its container's script as shipped, one process per
// index with JOB_COMPLETION_INDEX set, one of them SIGKILLed mid-run and started again (as
// backoffLimitPerIndex would), against 24 schema tenants.
TEST(KubernetesFleetJob, FourIndexesOneKilledAndRerunLeaveEveryTenantAtHeadOnce) {
  Project project(Backend::postgres, "fleet_job");
  project.add({"aaa",
               {},
               "CREATE TABLE users (id bigint PRIMARY KEY);\nSELECT pg_sleep(0.1);",
               "DROP TABLE users;",
               {},
               "create users"});
  project.add({"bbb",
               {"aaa"},
               "CREATE TABLE orders (id bigint);",
               "DROP TABLE orders;",
               {},
               "create orders"});
  const int tenants = 24;
  std::string create;
  for (int n = 0; n < tenants; ++n) {
    create += "CREATE SCHEMA tenant_" + std::to_string(n) + ";";
  }
  project.db().execute(create);
  write_config(project, "[retort.fleet]\nschemas = \"tenant_%\"\n");

  const Json job = fleet_job_manifest();
  const Json& container = job["spec"]["template"]["spec"]["containers"][0];
  Strings argv = container.at("command").get<Strings>();
  for (const Json& arg : container["args"]) {
    argv.push_back(arg.get<std::string>());
  }
  const auto index_options = [&](int index) {
    SpawnOptions options = in(project, std::chrono::seconds(120));
    const char* path = std::getenv("PATH");
    options.env["PATH"] =
        retort_binary().parent_path().string() + ":" + (path != nullptr ? path : "/usr/bin:/bin");
    options.env["JOB_COMPLETION_INDEX"] = std::to_string(index);
    options.env["SHARDS"] = "4";
    options.unset_env = {"DATABASE_URL", "RETORT_URL"};
    return options;
  };
  std::vector<std::unique_ptr<Process>> pods;
  for (int index = 0; index < 4; ++index) {
    pods.push_back(std::make_unique<Process>(argv, index_options(index)));
  }
  // Index 2 is killed while its tenants run (each first revision sleeps 0.1 s).
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  pods[2]->kill(SIGKILL);
  for (int index = 0; index < 4; ++index) {
    const ProcessResult result = pods[static_cast<std::size_t>(index)]->wait();
    if (index != 2) {
      EXPECT_EQ(result.exit_code, 0) << "index " << index << "\n" << shown(result);
    }
  }
  const ProcessResult rerun = run(argv, index_options(2));
  EXPECT_EQ(rerun.exit_code, 0) << shown(rerun);
  for (int n = 0; n < tenants; ++n) {
    const std::string schema = "tenant_" + std::to_string(n);
    EXPECT_EQ(project.query_rows("SELECT version_num FROM " + schema + ".retort_version"),
              Strings{"bbb"})
        << schema;
    EXPECT_EQ(project.query_rows("SELECT revision FROM " + schema +
                                 ".retort_log WHERE status = 'ok' ORDER BY id"),
              (Strings{"aaa", "bbb"}))
        << schema << ": each revision applied once";
  }
}

TEST_F(DeployTest, TheJobsScriptPassesPreflightAndReachesHead) {
  add_history();
  const ProcessResult job = run(job_argv(), deploy_environment(m_project, m_url));
  ASSERT_EQ(job.exit_code, 0) << shown(job);
  EXPECT_TRUE(has(job.out, "Preflight of `retort upgrade head` on postgresql://retort_pw:***@"));
  EXPECT_TRUE(has(job.err, "[3/3] upgrade ccc: create payments ok ("));
  EXPECT_TRUE(has(job.out, "Done: 3 steps on postgresql://retort_pw:***@"));
  EXPECT_TRUE(lacks(job.out + job.err, std::string(PostgresServer::k_password)));
  EXPECT_EQ(m_project.version_rows(), Strings{"ccc"});
  EXPECT_EQ(ledger_lines(), (Strings{"aaa upgrade ok", "bbb upgrade ok", "ccc upgrade ok"}));

  // The next release's Job, with nothing new: exit 0, nothing run.
  const ProcessResult again = run(job_argv(), deploy_environment(m_project, m_url));
  EXPECT_EQ(again.exit_code, 0) << shown(again);
  EXPECT_TRUE(has(again.out, "Nothing to upgrade: "));
  EXPECT_EQ(ledger_lines().size(), 3U);
}

TEST_F(DeployTest, TwoJobsRacingApplyEachRevisionOnce) {
  add_history(/*slow=*/true);
  const Strings argv = job_argv();
  const SpawnOptions options = deploy_environment(m_project, m_url);
  Process first(argv, options);
  Process second(argv, options);
  const ProcessResult first_result = first.wait();
  const ProcessResult second_result = second.wait();
  EXPECT_EQ(first_result.exit_code, 0) << shown(first_result);
  EXPECT_EQ(second_result.exit_code, 0) << shown(second_result);
  // One ran the steps; the other, behind its run lock (lock_wait), found nothing left to do.
  const std::string outs = first_result.out + second_result.out;
  EXPECT_TRUE(has(outs, "Done: 3 steps on "));
  EXPECT_TRUE(has(outs, "Nothing to upgrade: "));
  EXPECT_EQ(m_project.version_rows(), Strings{"ccc"});
  EXPECT_EQ(ledger_lines(), (Strings{"aaa upgrade ok", "bbb upgrade ok", "ccc upgrade ok"}))
      << "one ledger row per revision: the second Job waited, then found nothing to do";
}

TEST_F(DeployTest, AFailingPreflightStopsTheJobBeforeUpgradeRuns) {
  add_history();
  ASSERT_EQ(retort_cli({"upgrade", "aaa"}).exit_code, 0);
  // Staging measured two hours; the shipped retort.toml allows 15m per step.
  m_project.add({"ddd",
                 {"ccc"},
                 "ALTER TABLE orders ADD COLUMN total bigint;",
                 "",
                 {"estimate 2h"},
                 "order totals"});
  const std::string before = database_state();
  const Strings ledger_before = ledger_lines();

  const ProcessResult job = run(job_argv(), deploy_environment(m_project, m_url));
  EXPECT_EQ(job.exit_code, 1) << shown(job);
  EXPECT_TRUE(has(job.out, "fail pending: 3 steps to run"));
  EXPECT_TRUE(has(job.out, "above max_step_runtime (15m): ddd (2h)"));
  EXPECT_TRUE(lacks(job.err, "upgrade bbb")) << "upgrade must not start";
  EXPECT_EQ(database_state(), before);
  EXPECT_EQ(m_project.version_rows(), Strings{"aaa"});
  EXPECT_EQ(ledger_lines(), ledger_before);
}

// ---- 2. Application start-up with several replicas ---------------------------------------------

TEST_F(DeployTest, SeveralReplicasStartAtOnceAndExactlyOneMigrates) {
  add_history(/*slow=*/true);
  const SpawnOptions options = deploy_environment(m_project, m_url);
  const ProcessResult probe_before = run({RETORT_STARTUP_EXAMPLE, "--probe"}, options);
  EXPECT_EQ(probe_before.exit_code, 1) << shown(probe_before);
  EXPECT_EQ(probe_before.out, "not ready: 3 revision(s) pending\n");

  constexpr int k_replicas = 5;
  std::vector<std::unique_ptr<Process>> replicas;
  for (int replica_idx = 0; replica_idx < k_replicas; ++replica_idx) {
    replicas.push_back(std::make_unique<Process>(Strings{RETORT_STARTUP_EXAMPLE}, options));
  }
  int migrated = 0;
  int found_nothing = 0;
  for (auto& replica : replicas) {
    const ProcessResult result = replica->wait();
    EXPECT_EQ(result.exit_code, 0) << shown(result);
    if (result.out == "migrated 3 step(s); serving on a database at ccc\n") {
      ++migrated;
    } else if (result.out == "migrated 0 step(s); serving on a database at ccc\n") {
      ++found_nothing;
    } else {
      ADD_FAILURE() << "unexpected output of a replica\n" << shown(result);
    }
  }
  EXPECT_EQ(migrated, 1) << "exactly one replica migrates";
  EXPECT_EQ(found_nothing, k_replicas - 1) << "the others wait for it and find nothing to do";
  EXPECT_EQ(m_project.version_rows(), Strings{"ccc"});
  EXPECT_EQ(ledger_lines(), (Strings{"aaa upgrade ok", "bbb upgrade ok", "ccc upgrade ok"}));

  const ProcessResult probe_after = run({RETORT_STARTUP_EXAMPLE, "--probe"}, options);
  EXPECT_EQ(probe_after.exit_code, 0) << shown(probe_after);
  EXPECT_EQ(probe_after.out, "ready: database at ccc\n");
}

// ---- 3. CI/CD: plan, a manual approval, apply -------------------------------------------------

class PlanApplyTest : public DeployTest {
 protected:
  ProcessResult plan_apply(const std::string& subcommand) {
    return run({"/bin/sh", k_plan_apply.string(), subcommand, "approved"},
               deploy_environment(m_project, m_url));
  }
  [[nodiscard]] std::string approved(const std::string& file) const {
    return read_file(m_project.dir() / "approved" / file);
  }
};

TEST_F(PlanApplyTest, ApplyRunsThePlanThatWasApproved) {
  add_history();
  ASSERT_EQ(retort_cli({"upgrade", "aaa"}).exit_code, 0);
  const std::string before = database_state();

  const ProcessResult plan = plan_apply("plan");
  ASSERT_EQ(plan.exit_code, 0) << shown(plan);
  EXPECT_EQ(database_state(), before) << "plan changes nothing";
  // From the database's current revision, as `retort upgrade head` would run it.
  EXPECT_TRUE(has(approved("plan.sql"), "-- retort 0.1.0: 2 steps from aaa to ccc\n"));
  EXPECT_TRUE(has(approved("plan.sql"), "CREATE TABLE orders (id bigint PRIMARY KEY);\n"));
  EXPECT_TRUE(lacks(approved("plan.sql"), "CREATE TABLE users"));
  EXPECT_TRUE(has(approved("preflight.txt"), "Preflight of `retort upgrade head` on "));
  EXPECT_TRUE(has(approved("summary.md"), "### The SQL that apply will run"));
  EXPECT_TRUE(lacks(plan.out + approved("summary.md"), std::string(PostgresServer::k_password)));

  const ProcessResult apply = plan_apply("apply");
  ASSERT_EQ(apply.exit_code, 0) << shown(apply);
  EXPECT_TRUE(has(apply.err, "the plan is the approved one (sha256 "));
  EXPECT_TRUE(has(apply.out, "Done: 2 steps on postgresql://retort_pw:***@"));
  EXPECT_EQ(m_project.version_rows(), Strings{"ccc"});
  EXPECT_EQ(ledger_lines(), (Strings{"aaa upgrade ok", "bbb upgrade ok", "ccc upgrade ok"}));
}

TEST_F(PlanApplyTest, ApplyRefusesWhenAMigrationAppearedAfterTheApproval) {
  add_history();
  const ProcessResult plan = plan_apply("plan");
  ASSERT_EQ(plan.exit_code, 0) << shown(plan);
  EXPECT_TRUE(has(approved("plan.sql"), "-- retort 0.1.0: 3 steps from base (no revision) to ccc"));
  m_project.add({"ddd", {"ccc"}, "DROP TABLE users;", "", {}, "drop users"});
  const std::string before = database_state();

  const ProcessResult apply = plan_apply("apply");
  EXPECT_EQ(apply.exit_code, 1) << shown(apply);
  EXPECT_TRUE(has(apply.err,
                  "refusing to apply: what would run now differs from the approved plan "
                  "approved/plan.sql"));
  EXPECT_TRUE(has(apply.err, "  +++ approved/plan-now.sql"));
  EXPECT_TRUE(has(apply.err, "+DROP TABLE users;"));
  EXPECT_TRUE(has(apply.err, "database: nothing was applied; postgresql://retort_pw:***@"));
  EXPECT_TRUE(has(apply.err, "next: run the plan again and have the new plan reviewed"));
  EXPECT_TRUE(lacks(apply.out, "Done:"));
  EXPECT_EQ(database_state(), before) << "the database is unchanged";
}

TEST_F(PlanApplyTest, ApplyRefusesWhenTheDatabaseMovedSinceThePlan) {
  add_history();
  ASSERT_EQ(plan_apply("plan").exit_code, 0);
  ASSERT_EQ(retort_cli({"upgrade", "aaa"}).exit_code, 0);  // someone ran part of it meanwhile

  const ProcessResult apply = plan_apply("apply");
  EXPECT_EQ(apply.exit_code, 1) << shown(apply);
  EXPECT_TRUE(has(apply.err, "+-- retort 0.1.0: 2 steps from aaa to ccc"));
  EXPECT_TRUE(has(apply.err, "is at aaa\n"));
  EXPECT_EQ(m_project.version_rows(), Strings{"aaa"});
}

TEST_F(PlanApplyTest, APlanWhosePreflightFailsHasNothingToApprove) {
  add_history();
  m_project.add({"ddd",
                 {"ccc"},
                 "ALTER TABLE orders ADD COLUMN total bigint;",
                 "",
                 {"estimate 2h"},
                 "order totals"});
  const ProcessResult plan = plan_apply("plan");
  EXPECT_EQ(plan.exit_code, 1) << shown(plan);
  EXPECT_TRUE(has(plan.err,
                  "preflight failed (exit 1): nothing to approve; see "
                  "approved/preflight.txt"));
  EXPECT_TRUE(has(approved("preflight.txt"), "fail pending: "));
  EXPECT_TRUE(has(approved("summary.md"), "### retort preflight (exit 1)"));
  EXPECT_EQ(m_project.version_rows(), Strings{"<no version table>"});
}

TEST(CiPipelineFiles, GateApplyOnAManualApprovalAndCallTheScript) {
  const Json github = yaml_documents(k_source_dir / "deploy" / "ci" / "github-actions.yml");
  ASSERT_EQ(github.size(), 1U);
  const Json& jobs = github[0]["jobs"];
  const auto runs = [](const Json& job) {
    std::string out;
    for (const Json& step : job["steps"]) {
      out += step.value("run", "") + "\n";
    }
    return out;
  };
  EXPECT_TRUE(has(runs(jobs["plan"]), "sh deploy/ci/retort-plan-apply.sh plan plan"));
  EXPECT_EQ(jobs["apply"].value("needs", ""), "plan");
  EXPECT_EQ(jobs["apply"].value("environment", ""), "production")
      << "the environment's required reviewers are the approval";
  EXPECT_TRUE(has(runs(jobs["apply"]), "sh deploy/ci/retort-plan-apply.sh apply plan"));

  const Json gitlab = yaml_documents(k_source_dir / "deploy" / "ci" / "gitlab-ci.yml");
  ASSERT_EQ(gitlab.size(), 1U);
  const Json& apply = gitlab[0]["retort-apply"];
  EXPECT_EQ(apply["rules"][0].value("when", ""), "manual");
  EXPECT_EQ(apply["needs"][0].value("job", ""), "retort-plan");
  EXPECT_EQ(apply["script"].back(), "sh deploy/ci/retort-plan-apply.sh apply plan");
  EXPECT_EQ(gitlab[0]["retort-plan"]["script"].back(),
            "sh deploy/ci/retort-plan-apply.sh plan plan");
}

TEST(DeployScripts, AreShellcheckClean) {
  const std::string shellcheck = RETORT_SHELLCHECK;
  ASSERT_FALSE(shellcheck.empty())
      << "shellcheck was not found at configure time; run scripts/install-deps.sh";
  const ProcessResult script = run({shellcheck, "--shell=sh", k_plan_apply.string()});
  EXPECT_EQ(script.exit_code, 0) << shown(script);

  TempDir dir;
  const Strings argv = job_argv();
  ASSERT_EQ(argv.size(), 3U);
  dir.write("job.sh", "#!/bin/sh\nset -e\n" + argv[2]);
  const ProcessResult job = run({shellcheck, "--shell=sh", (dir.path() / "job.sh").string()});
  EXPECT_EQ(job.exit_code, 0) << shown(job);
}

}  // namespace
}  // namespace retort::test
