#include "manager/daemon/reconcile/score_reading.hpp"

#include <gtest/gtest.h>

namespace sm::daemon {
namespace {

TEST(ReadScore, OneIntegerWithSpacesAndANewline) {
  EXPECT_EQ(readScore(true, "exit 0", "12345\n", false), (ScoreReading{12345, ""}));
  EXPECT_EQ(readScore(true, "exit 0", "  -7 \r\n", false), (ScoreReading{-7, ""}));
  EXPECT_EQ(readScore(true, "exit 0", "9007199254740991", false).score, 9007199254740991);
}

TEST(ReadScore, AnythingElseIsNoScoreWithTheReason) {
  EXPECT_EQ(readScore(true, "exit 0", "garbage\n", false).error,
            "score hook printed \"garbage\": not an integer");
  EXPECT_EQ(readScore(true, "exit 0", "12 13\n", false).error,
            "score hook printed \"12 13\": not an integer");
  EXPECT_EQ(readScore(true, "exit 0", "0x10", false).error,
            "score hook printed \"0x10\": not an integer");
  EXPECT_EQ(readScore(true, "exit 0", "", false).error, "score hook printed nothing");
  EXPECT_EQ(readScore(false, "exit status 3", "12\n", false).error,
            "score hook failed: exit status 3");
  EXPECT_EQ(readScore(false, "timed out and was killed", "", false).error,
            "score hook failed: timed out and was killed");
  EXPECT_EQ(readScore(true, "exit 0", "1", true).error,
            "score hook printed too much (not one integer)");
  EXPECT_FALSE(readScore(true, "exit 0", "\x01\x02", false).score);
}

TEST(ReadScore, NumbersNoJsonReaderHoldsExactlyAreNoScore) {
  const std::string hundredDigits(100, '9');
  const auto reading = readScore(true, "exit 0", hundredDigits + "\n", false);
  EXPECT_FALSE(reading.score);
  EXPECT_EQ(reading.error,
            "score hook printed \"9999999999999999999999999999999999999999...\": out of range "
            "(|score| <= 9007199254740991)");
  EXPECT_FALSE(readScore(true, "exit 0", "9007199254740992", false).score);
  EXPECT_FALSE(readScore(true, "exit 0", "-9007199254740992", false).score);
}

}  // namespace
}  // namespace sm::daemon
