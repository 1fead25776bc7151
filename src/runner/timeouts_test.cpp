// Tests of the effective timeouts of a step and of the SET statements that give them.
#include "runner/timeouts.hpp"

#include <gtest/gtest.h>

namespace retort::runner {
namespace {

using base::Millis;

TEST(EffectiveTimeouts, TheSettingsWhenTheHeaderSaysNothing) {
  Settings settings;
  settings.lock_timeout = Millis{1500};
  settings.statement_timeout = Millis{60'000};
  settings.lock_retries = 4;
  const script::Migration migration;
  const Timeouts timeouts = effective_timeouts(migration, settings);
  EXPECT_EQ(timeouts.lock_timeout, Millis{1500});
  EXPECT_EQ(timeouts.statement_timeout, Millis{60'000});
  EXPECT_EQ(timeouts.lock_retries, 4);
}

TEST(EffectiveTimeouts, TheHeaderOverridesEachSettingOnItsOwn) {
  Settings settings;
  settings.lock_timeout = Millis{1500};
  settings.statement_timeout = Millis{60'000};
  script::Migration migration;
  migration.lock_timeout = Millis{0};
  EXPECT_EQ(effective_timeouts(migration, settings).lock_timeout, Millis{0});
  EXPECT_EQ(effective_timeouts(migration, settings).statement_timeout, Millis{60'000});
  migration.lock_timeout.reset();
  migration.statement_timeout = Millis{5000};
  EXPECT_EQ(effective_timeouts(migration, settings).lock_timeout, Millis{1500});
  EXPECT_EQ(effective_timeouts(migration, settings).statement_timeout, Millis{5000});
}

TEST(EffectiveTimeouts, TheDefaultsWithoutSettings) {
  const Timeouts timeouts = effective_timeouts(script::Migration{}, Settings{});
  EXPECT_EQ(timeouts.lock_timeout, Millis{2000});
  EXPECT_EQ(timeouts.statement_timeout, Millis{0});
  EXPECT_EQ(timeouts.lock_retries, 10);
}

TEST(SetTimeoutsSql, LocalForATransaction) {
  const std::vector<std::string> sql = set_timeouts_sql(
      {.lock_timeout = Millis{2000}, .statement_timeout = Millis{0}}, SetScope::local);
  const std::vector<std::string> expected{"SET LOCAL lock_timeout = '2000ms'",
                                          "SET LOCAL statement_timeout = '0ms'"};
  EXPECT_EQ(sql, expected);
}

TEST(SetTimeoutsSql, SessionForStatementsOutsideATransaction) {
  const std::vector<std::string> sql = set_timeouts_sql(
      {.lock_timeout = Millis{250}, .statement_timeout = Millis{90'000}}, SetScope::session);
  const std::vector<std::string> expected{"SET lock_timeout = '250ms'",
                                          "SET statement_timeout = '90000ms'"};
  EXPECT_EQ(sql, expected);
}

}  // namespace
}  // namespace retort::runner
