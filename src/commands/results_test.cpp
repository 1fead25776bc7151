// The words of the results' vocabularies: what text, --json and the ledger have always said.
#include "retort/results.hpp"

#include <gtest/gtest.h>

namespace retort {
namespace {

TEST(Vocabulary, DirectionsAreTheLedgersWordsAndReadBack) {
  EXPECT_EQ(to_string(Direction::upgrade), "upgrade");
  EXPECT_EQ(to_string(Direction::downgrade), "downgrade");
  EXPECT_EQ(to_string(Direction::stamp), "stamp");
  for (const Direction direction : {Direction::upgrade, Direction::downgrade, Direction::stamp}) {
    EXPECT_EQ(parse_direction(to_string(direction)), direction);
  }
  EXPECT_EQ(parse_direction("Upgrade"), std::nullopt);
  EXPECT_EQ(parse_direction(""), std::nullopt);
  EXPECT_EQ(parse_direction("sideways"), std::nullopt);
}

TEST(Vocabulary, LedgerStatusesAreTheLedgersWordsAndReadBack) {
  EXPECT_EQ(to_string(LedgerStatus::running), "running");
  EXPECT_EQ(to_string(LedgerStatus::ok), "ok");
  EXPECT_EQ(to_string(LedgerStatus::failed), "failed");
  for (const LedgerStatus status :
       {LedgerStatus::running, LedgerStatus::ok, LedgerStatus::failed}) {
    EXPECT_EQ(parse_ledger_status(to_string(status)), status);
  }
  EXPECT_EQ(parse_ledger_status("OK"), std::nullopt);
  EXPECT_EQ(parse_ledger_status("planned"), std::nullopt);
}

TEST(Vocabulary, StepStatuses) {
  EXPECT_EQ(to_string(StepStatus::ok), "ok");
  EXPECT_EQ(to_string(StepStatus::failed), "failed");
  EXPECT_EQ(to_string(StepStatus::planned), "planned");
}

TEST(Vocabulary, Levels) {
  EXPECT_EQ(to_string(DoctorLevel::error), "error");
  EXPECT_EQ(to_string(DoctorLevel::warning), "warning");
  EXPECT_EQ(to_string(DoctorLevel::info), "info");
  EXPECT_EQ(to_string(LintLevel::error), "error");
  EXPECT_EQ(to_string(LintLevel::warning), "warning");
  EXPECT_EQ(to_string(LintLevel::note), "note");
}

TEST(Vocabulary, CheckStatuses) {
  EXPECT_EQ(to_string(CheckStatus::pass), "pass");
  EXPECT_EQ(to_string(CheckStatus::warn), "warn");
  EXPECT_EQ(to_string(CheckStatus::fail), "fail");
}

TEST(Vocabulary, BackupMethods) {
  EXPECT_EQ(to_string(BackupMethod::pg_dump), "pg_dump");
  EXPECT_EQ(to_string(BackupMethod::sqlite), "sqlite");
  EXPECT_EQ(to_string(BackupMethod::command), "command");
}

TEST(Vocabulary, SourcesSayNothingWhenNothingIsKnown) {
  EXPECT_EQ(to_string(ServerVersionSource::none), "");
  EXPECT_EQ(to_string(ServerVersionSource::database), "database");
  EXPECT_EQ(to_string(ServerVersionSource::option), "--pg-version");
  EXPECT_EQ(to_string(ServerVersionSource::default_version), "default");
  EXPECT_EQ(to_string(EstimateSource::none), "");
  EXPECT_EQ(to_string(EstimateSource::header), "header");
  EXPECT_EQ(to_string(EstimateSource::staging), "staging");
  EXPECT_EQ(to_string(EstimateSource::ledger), "ledger");
}

TEST(Vocabulary, ASourceNobodySetIsNone) {
  // The empty word these fields had before anything was known.
  EXPECT_EQ(LintResult{}.server_version_source, ServerVersionSource::none);
  EXPECT_EQ(PreflightStep{}.estimate_source, EstimateSource::none);
}

}  // namespace
}  // namespace retort
