#include "manager/daemon/reconcile/promotion_plan.hpp"

#include <gtest/gtest.h>

namespace sm::daemon {
namespace {

using Kind = PromotionDecision::Kind;

ScoreAnswer answer(std::string physical, std::optional<std::int64_t> score) {
  return {std::move(physical), true, score};
}
ScoreAnswer silent(std::string physical) {
  return {std::move(physical), false, std::nullopt};
}

PromotionRound round(std::optional<std::int64_t> own, std::vector<ScoreAnswer> others) {
  PromotionRound r;
  r.ownAnswered = true;
  r.ownScore = own;
  r.others = std::move(others);
  r.waitMs = 300;
  r.elapsedMs = 5;
  return r;
}

TEST(PlanPromotion, WaitsForItsOwnScoreWithinWaitMs) {
  auto r = round(std::nullopt, {answer("b", 10)});
  r.ownAnswered = false;
  EXPECT_EQ(planPromotion(r).kind, Kind::Wait);
  EXPECT_EQ(planPromotion(r).waitMs, 295);
  // Past waitMs, its hook still running (its server hangs): b has a score, it has none.
  r.elapsedMs = 300;
  const auto d = planPromotion(r);
  EXPECT_EQ(d.kind, Kind::HandOver);
  EXPECT_EQ(d.target, "b");
  // Nobody else has a score: its own hook's end (bounded by its timeout) decides.
  r.others = {answer("b", std::nullopt)};
  EXPECT_EQ(planPromotion(r).kind, Kind::Wait);
  EXPECT_EQ(planPromotion(r).waitMs, 0) << "its own hook's end wakes it";
}

TEST(PlanPromotion, TakesOverAtOnceWhenEveryoneAnsweredAndNoneIsFresher) {
  EXPECT_EQ(planPromotion(round(10, {answer("b", 9), answer("c", 10)})).kind, Kind::TakeOver)
      << "a tie is not strictly higher: the chain order stands";
  EXPECT_EQ(planPromotion(round(10, {})).kind, Kind::TakeOver) << "alone";
}

TEST(PlanPromotion, WaitsForSilentMembersUntilWaitMs) {
  auto r = round(10, {answer("b", 9), silent("c")});
  auto wait = planPromotion(r);
  EXPECT_EQ(wait.kind, Kind::Wait);
  EXPECT_EQ(wait.waitMs, 295);
  r.elapsedMs = 300;
  EXPECT_EQ(planPromotion(r).kind, Kind::TakeOver) << "waitMs is over: those that answered decide";
}

TEST(PlanPromotion, HandsOverToTheFreshestEarliestOnATie) {
  auto d = planPromotion(round(10, {answer("b", 20), answer("c", 30), answer("d", 30)}));
  EXPECT_EQ(d.kind, Kind::HandOver);
  EXPECT_EQ(d.target, "c");
  EXPECT_EQ(d.reason, "c has score 30, higher than its own 10");
}

TEST(PlanPromotion, AMemberWithoutAScoreIsNeverPreferredOverOneWithAScore) {
  // Its own hook failed: any member with a score is fresher.
  auto d = planPromotion(round(std::nullopt, {answer("b", std::nullopt), answer("c", 0)}));
  EXPECT_EQ(d.kind, Kind::HandOver);
  EXPECT_EQ(d.target, "c");
  // The others' hooks failed: it keeps its turn.
  EXPECT_EQ(planPromotion(round(0, {answer("b", std::nullopt)})).kind, Kind::TakeOver);
  // Nobody has a score: the chain decides, as without promotion.
  auto none = planPromotion(round(std::nullopt, {answer("b", std::nullopt), silent("c")}));
  EXPECT_EQ(none.kind, Kind::Wait);
  auto late = round(std::nullopt, {answer("b", std::nullopt), silent("c")});
  late.elapsedMs = 400;
  EXPECT_EQ(planPromotion(late).kind, Kind::TakeOver);
}

TEST(PlanPromotion, MaxLagHoldsACandidateTooFarBelowTheBestSeen) {
  auto r = round(100, {answer("b", 50)});
  r.maxLag = 1000;
  r.bestSeen = 1200;
  auto d = planPromotion(r);
  EXPECT_EQ(d.kind, Kind::Hold);
  EXPECT_EQ(d.reason, "it has score 100, 1100 below the best seen (1200): more than maxLag 1000");
  r.bestSeen = 1100;
  EXPECT_EQ(planPromotion(r).kind, Kind::TakeOver) << "exactly maxLag below is allowed";
}

TEST(PlanPromotion, MaxLagAppliesToTheFresherMemberToo) {
  auto r = round(10, {answer("b", 100)});
  r.maxLag = 50;
  r.bestSeen = 1000;
  EXPECT_EQ(planPromotion(r).kind, Kind::Hold);
  r.others = {answer("b", 100), answer("c", 990)};  // a fresher candidate appears
  auto d = planPromotion(r);
  EXPECT_EQ(d.kind, Kind::HandOver);
  EXPECT_EQ(d.target, "c");
}

TEST(PlanPromotion, MaxLagHoldsWhenNobodyHasAScore) {
  auto r = round(std::nullopt, {answer("b", std::nullopt)});
  r.maxLag = 10;
  r.bestSeen = 5;
  EXPECT_EQ(planPromotion(r).kind, Kind::Hold);
  r.bestSeen.reset();  // nothing ever scored: nothing to lag behind
  EXPECT_EQ(planPromotion(r).kind, Kind::TakeOver);
}

TEST(PlanPromotion, TheBestSeenIncludesTheScoresOfThisRound) {
  auto r = round(0, {answer("b", std::nullopt), answer("c", 2000)});
  r.maxLag = 10;
  r.bestSeen = 5;  // older than c's score
  auto d = planPromotion(r);
  EXPECT_EQ(d.kind, Kind::HandOver);
  EXPECT_EQ(d.target, "c");
}

TEST(PlanPromotion, ASwitchoverTargetTakesOverWithoutARoundForcedPastMaxLag) {
  auto r = round(10, {answer("b", 100)});
  r.requested = true;
  EXPECT_EQ(planPromotion(r).kind, Kind::TakeOver) << "the request was the decision";
  r.maxLag = 5;
  r.bestSeen = 100;
  EXPECT_EQ(planPromotion(r).kind, Kind::Hold) << "but maxLag still holds it";
  r.forced = true;
  r.ownAnswered = false;
  EXPECT_EQ(planPromotion(r).kind, Kind::TakeOver) << "--force";
}

TEST(PlanPromotion, IsIdempotent) {
  const auto r = round(10, {answer("b", 20), silent("c")});
  EXPECT_EQ(planPromotion(r), planPromotion(r));
}

model::LogicalServiceView chainOf(std::vector<std::pair<std::string, config::ElectionData>> members) {
  model::LogicalServiceView logical;
  std::int64_t sequence = 3;
  for (auto& [name, data] : members) logical.election.push_back({name, sequence++, data, "", 0});
  logical.election.push_back({"lock-garbage-0000000099", 99, std::nullopt, "", 0});
  return logical;
}

TEST(AnswersTo, CountsOnlyAnswersToThisRoundInChainOrder) {
  config::ElectionData a{"a", "h1"};
  config::ElectionData b{"b", "h2"};
  b.round = 3;
  b.score = 7;
  config::ElectionData c{"c", "h3"};
  c.round = 1;  // an older round's answer
  c.score = 100;
  config::ElectionData d{"d", "h1"};
  d.round = 3;
  d.scoreError = "score hook failed: exit 1";
  const auto logical =
      chainOf({{"lock-a-3", a}, {"lock-b-4", b}, {"lock-c-5", c}, {"lock-d-6", d}});
  const auto answers = answersTo(logical, "a", 3);
  ASSERT_EQ(answers.size(), 4u);
  EXPECT_EQ(answers[0].physical, "b");
  EXPECT_TRUE(answers[0].answered);
  EXPECT_EQ(answers[0].score, 7);
  EXPECT_FALSE(answers[1].answered) << "c answered another round";
  EXPECT_TRUE(answers[2].answered);
  EXPECT_FALSE(answers[2].score.has_value());
  EXPECT_FALSE(answers[3].answered) << "unreadable";
  EXPECT_EQ(bestPublished(logical), 100);
}

TEST(ScoreDue, OncePerFirstMemberAndAtEachRefresh) {
  EXPECT_TRUE(scoreDue(std::nullopt, 3, 0, 0));
  EXPECT_FALSE(scoreDue(3, 3, 999, 1000));
  EXPECT_TRUE(scoreDue(3, 3, 1000, 1000));
  EXPECT_TRUE(scoreDue(3, 4, 0, 1000)) << "a new first member: answer it at once";
}

}  // namespace
}  // namespace sm::daemon
