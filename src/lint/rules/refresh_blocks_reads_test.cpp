#include "lint/lint_test_support.hpp"

#include <gtest/gtest.h>

namespace retort::lint {
namespace {

using test::findings;

TEST(RefreshBlocksReads, ReportsARefreshWithoutConcurrently) {
  const auto found = findings("PG112", "REFRESH MATERIALIZED VIEW sales_daily;");
  ASSERT_EQ(found.size(), 1U);
  EXPECT_EQ(found[0].level, Level::warning);
  EXPECT_NE(found[0].fix.find("REFRESH MATERIALIZED VIEW CONCURRENTLY sales_daily;"),
            std::string::npos);
}

TEST(RefreshBlocksReads, NotReportedConcurrentlyOrForANewView) {
  EXPECT_TRUE(findings("PG112", "REFRESH MATERIALIZED VIEW CONCURRENTLY sales_daily;").empty());
  EXPECT_TRUE(findings("PG112",
                       "CREATE MATERIALIZED VIEW mv AS SELECT 1 AS one WITH NO DATA;\n"
                       "REFRESH MATERIALIZED VIEW mv;")
                  .empty());
}

}  // namespace
}  // namespace retort::lint
