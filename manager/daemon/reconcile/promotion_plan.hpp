#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "manager/model/cluster_snapshot.hpp"

namespace sm::daemon {

// Promotion by freshness (spec.promotion): the member that became first after a failover is a
// candidate. It asks every live secondary for a score and takes over only if none published a
// strictly higher one within waitMs; otherwise it hands its turn to the freshest (a switchover
// request: the chain is reordered as for `servicesctl switchover`), and it holds — no master — when
// the best it could promote lags more than maxLag behind the best score seen. Pure.

// One other member's answer to a round.
struct ScoreAnswer {
  std::string physical;   // its physical service
  bool answered = false;  // it published for this round (with a score or without)
  std::optional<std::int64_t> score;
};

struct PromotionRound {
  // The candidate's own hook ended. Still running after waitMs while another member has a
  // score, it counts as no score (the candidate's own server may be the one that hangs).
  bool ownAnswered = false;
  std::optional<std::int64_t> ownScore;
  std::vector<ScoreAnswer> others;       // the chain's other members, in chain order
  std::optional<std::int64_t> bestSeen;  // the best score ever published for the logical service
  std::optional<std::int64_t> maxLag;
  std::int64_t elapsedMs = 0;  // since it became first
  std::int64_t waitMs = 0;
  bool requested = false;  // a switchover request names it: that was the decision
  bool forced = false;     // ... with --force: maxLag does not hold it either
};

struct PromotionDecision {
  enum class Kind { Wait, TakeOver, HandOver, Hold };
  Kind kind = Kind::Wait;
  std::string target;       // HandOver: the physical service that should be master
  std::int64_t waitMs = 0;  // Wait: decide again after at most this (0: when the own hook ends)
  std::string reason;       // for the log, and the status while it holds
  bool operator==(const PromotionDecision&) const = default;
};

PromotionDecision planPromotion(const PromotionRound& round);

// The answers of `logical`'s members but `candidate` to round `round` (the candidate's sequence),
// in chain order: a member answered when its data carries that round.
std::vector<ScoreAnswer> answersTo(const model::LogicalServiceView& logical, const std::string& candidate,
                                   std::int64_t round);
// The highest score the members of `logical` publish now (the master's included).
std::optional<std::int64_t> bestPublished(const model::LogicalServiceView& logical);

// Whether a member that stands in the election (not first) should take its score now: it has
// never answered the chain's current first member, or its periodic refresh is due.
bool scoreDue(std::optional<std::int64_t> answeredRound, std::int64_t firstSequence,
              std::int64_t nowMs, std::int64_t nextRefreshMs);

}  // namespace sm::daemon
