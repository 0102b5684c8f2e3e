#include "manager/daemon/reconcile/promotion_plan.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace sm::daemon {

namespace {
using Kind = PromotionDecision::Kind;

std::optional<std::int64_t> best(std::optional<std::int64_t> a, std::optional<std::int64_t> b) {
  if (!a) return b;
  if (!b) return a;
  return std::max(*a, *b);
}

// Why `score` may not be promoted, or "" when it may.
std::string lagProblem(const std::string& who, std::optional<std::int64_t> score,
                       std::optional<std::int64_t> bestSeen, std::optional<std::int64_t> maxLag) {
  if (!maxLag || !bestSeen) return "";
  if (!score) {
    return fmt::format("no candidate has a score, and maxLag {} needs one (best seen {})", *maxLag,
                       *bestSeen);
  }
  if (*bestSeen - *score <= *maxLag) return "";
  return fmt::format("{} has score {}, {} below the best seen ({}): more than maxLag {}", who,
                     *score, *bestSeen - *score, *bestSeen, *maxLag);
}
}  // namespace

PromotionDecision planPromotion(const PromotionRound& round) {
  if (round.requested && round.forced) {
    return {Kind::TakeOver, "", 0, "a forced switchover names it"};
  }
  auto ownScore = round.ownScore;
  if (!round.ownAnswered) {
    // Its own hook has not answered (its server may hang): within waitMs it waits for it; after
    // that a member with a score is fresher than one without, so it need not wait longer.
    const bool othersScored =
        std::any_of(round.others.begin(), round.others.end(),
                    [](const ScoreAnswer& a) { return a.answered && a.score; });
    if (round.elapsedMs < round.waitMs) {
      return {Kind::Wait, "", round.waitMs - round.elapsedMs, "its own score hook runs"};
    }
    if (!othersScored || round.requested) return {Kind::Wait, "", 0, "its own score hook runs"};
    ownScore.reset();
  }
  auto seen = best(round.bestSeen, ownScore);
  for (const auto& other : round.others) seen = best(seen, other.score);
  if (round.requested) {
    auto problem = lagProblem("it", ownScore, seen, round.maxLag);
    if (!problem.empty()) return {Kind::Hold, "", 0, problem};
    return {Kind::TakeOver, "", 0, "a switchover names it"};
  }
  const bool everyoneAnswered = std::all_of(round.others.begin(), round.others.end(),
                                            [](const ScoreAnswer& a) { return a.answered; });
  if (!everyoneAnswered && round.elapsedMs < round.waitMs) {
    return {Kind::Wait, "", round.waitMs - round.elapsedMs, "waiting for the others' scores"};
  }
  // The freshest other member: the highest score, the earliest in the chain on a tie.
  const ScoreAnswer* fresher = nullptr;
  for (const auto& other : round.others) {
    if (!other.answered || !other.score) continue;
    if (!fresher || *other.score > *fresher->score) fresher = &other;
  }
  const bool handOver = fresher && (!ownScore || *fresher->score > *ownScore);
  if (handOver) {
    auto problem = lagProblem(fresher->physical, fresher->score, seen, round.maxLag);
    if (!problem.empty()) return {Kind::Hold, "", 0, problem};
    return {Kind::HandOver, fresher->physical, 0,
            ownScore
                ? fmt::format("{} has score {}, higher than its own {}", fresher->physical,
                              *fresher->score, *ownScore)
                : fmt::format("{} has score {}, it has none", fresher->physical, *fresher->score)};
  }
  auto problem = lagProblem("it", ownScore, seen, round.maxLag);
  if (!problem.empty()) return {Kind::Hold, "", 0, problem};
  if (!ownScore) return {Kind::TakeOver, "", 0, "no member has a score: the chain decides"};
  return {Kind::TakeOver, "", 0,
          fmt::format("its score {} is the highest{}", *ownScore,
                      everyoneAnswered ? "" : " of those that answered in time")};
}

std::vector<ScoreAnswer> answersTo(const model::LogicalServiceView& logical, const std::string& candidate,
                                   std::int64_t round) {
  std::vector<ScoreAnswer> out;
  for (const auto& member : logical.election) {
    if (member.data && member.data->physical == candidate) continue;
    ScoreAnswer answer;
    answer.physical = member.data ? member.data->physical : member.name;
    if (member.data && member.data->round == round) {
      answer.answered = true;
      answer.score = member.data->score;
    }
    out.push_back(std::move(answer));
  }
  return out;
}

std::optional<std::int64_t> bestPublished(const model::LogicalServiceView& logical) {
  std::optional<std::int64_t> out;
  for (const auto& member : logical.election) {
    if (member.data) out = best(out, member.data->score);
  }
  return out;
}

bool scoreDue(std::optional<std::int64_t> answeredRound, std::int64_t firstSequence,
              std::int64_t nowMs, std::int64_t nextRefreshMs) {
  return answeredRound != firstSequence || nowMs >= nextRefreshMs;
}

}  // namespace sm::daemon
