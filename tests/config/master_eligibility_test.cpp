#include "config/master_eligibility.hpp"

#include <gtest/gtest.h>

namespace sm::config {
namespace {

TEST(MasterEligibility, EveryHostWhenNothingIsSaid) {
  EXPECT_FALSE(restrictsMaster({}));
  EXPECT_TRUE(masterEligible({}, "anything", {}));
}

TEST(MasterEligibility, HostsMustMatchAGlobAndCarryEveryLabel) {
  Constraints c;
  c.masterHosts = {"db[12]", "spare"};
  c.masterLabels = {{"disk", "ssd"}};
  EXPECT_TRUE(restrictsMaster(c));
  EXPECT_TRUE(masterEligible(c, "db1", {{"disk", "ssd"}, {"zone", "a"}}));
  EXPECT_EQ(masterIneligibility(c, "db3", {{"disk", "ssd"}}),
            "masterHosts [db[12], spare] do not match db3");
  EXPECT_EQ(masterIneligibility(c, "db2", {}), "masterLabels disk=\"ssd\" but db2 has no label disk");
  EXPECT_EQ(masterIneligibility(c, "spare", {{"disk", "hdd"}}),
            "masterLabels disk=\"ssd\" but spare has disk=\"hdd\"");
}

}  // namespace
}  // namespace sm::config
