// Tests of the batch size of a backfill: it follows the target batch time from the recent 90th
// percentile, grows at most 1.5 times a batch, shrinks at once after a batch 5 times over
// target, and halves on a statement timeout.
#include "runner/backfill.hpp"

#include <gtest/gtest.h>

namespace retort::runner {
namespace {

using base::Millis;

TEST(BatchSizer, GrowsAtMostOneAndAHalfTimesABatch) {
  BatchSizer sizer(Millis{300}, std::nullopt);
  EXPECT_EQ(sizer.size(), BatchSizer::k_initial);
  // 1000 keys in 10ms: the target would allow 30,000, but growth is capped.
  sizer.record(Millis{10}, 1000);
  EXPECT_EQ(sizer.size(), 1500);
  sizer.record(Millis{15}, 1500);
  EXPECT_EQ(sizer.size(), 2250);
}

TEST(BatchSizer, SettlesAtTheTargetFromTheP90) {
  BatchSizer sizer(Millis{300}, std::nullopt);
  // 0.1ms a key: 3000 keys make 300ms.
  for (int batch = 0; batch < 20; ++batch) {
    sizer.record(Millis{sizer.size() / 10}, sizer.size());
  }
  EXPECT_EQ(sizer.size(), 3000);
  // One slow batch in ten is below the 90th percentile's rank for a window of ten... two are
  // not: the size follows the slower time.
  sizer.record(Millis{600}, 3000);  // 0.2ms a key, 2x over target: no immediate shrink
  EXPECT_EQ(sizer.size(), 3000);
  sizer.record(Millis{600}, 3000);
  EXPECT_EQ(sizer.size(), 1500);
}

TEST(BatchSizer, ShrinksAtOnceOnABatchFiveTimesOverTarget) {
  BatchSizer sizer(Millis{300}, std::nullopt);
  for (int batch = 0; batch < 10; ++batch) {
    sizer.record(Millis{sizer.size() / 10}, sizer.size());
  }
  const std::int64_t before = sizer.size();
  sizer.record(Millis{3000}, before);  // 10x over target
  EXPECT_EQ(sizer.size(), before / 10);
}

TEST(BatchSizer, AFixedSizeStaysButHalvesOnATimeout) {
  BatchSizer sizer(Millis{300}, 5000);
  sizer.record(Millis{1}, 5000);
  sizer.record(Millis{100'000}, 5000);
  EXPECT_EQ(sizer.size(), 5000);
  EXPECT_TRUE(sizer.halve());
  EXPECT_EQ(sizer.size(), 2500);
  BatchSizer one(Millis{300}, 1);
  EXPECT_FALSE(one.halve());
  EXPECT_EQ(one.size(), 1);
}

}  // namespace
}  // namespace retort::runner
