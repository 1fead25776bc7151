// to_result: each direction of a plan's step is the public direction of the same name.
#include "runner/direction.hpp"

#include <gtest/gtest.h>

namespace retort::runner {
namespace {

TEST(Direction, EachGraphDirectionIsThePublicOneOfTheSameName) {
  EXPECT_EQ(to_result(graph::Direction::upgrade), Direction::upgrade);
  EXPECT_EQ(to_result(graph::Direction::downgrade), Direction::downgrade);
  EXPECT_EQ(to_result(graph::Direction::stamp), Direction::stamp);
  static_assert(to_result(graph::Direction::stamp) == Direction::stamp);
}

}  // namespace
}  // namespace retort::runner
