// LocalInstances, spec.promotion: scores taken with the instance's score hook and published in its
// election node, and each candidate's decision (reconcile/promotion_plan.hpp) applied.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "config/switchover_data.hpp"
#include "manager/daemon/local_instance.hpp"
#include "manager/daemon/local_instances.hpp"
#include "manager/daemon/reconcile/promotion_plan.hpp"
#include "manager/daemon/reconcile/score_reading.hpp"
#include "manager/zk/error.hpp"
#include "manager/zk/path.hpp"

namespace sm::daemon {

namespace {
// A score is one integer: more output than this is not one.
constexpr std::size_t kScoreOutputLimit = 256;
// How long a candidate's handover request to a fresher member may take before it decides again.
constexpr std::int64_t kHandOverDeadlineMs = 10000;

std::int64_t msSince(std::chrono::steady_clock::time_point at) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               at)
      .count();
}

// Equal but for when it was scored: an unchanged score is not written again.
bool sameButTime(config::ElectionData a, const config::ElectionData& b) {
  a.scoredAt = b.scoredAt;
  return a == b;
}
}  // namespace

bool LocalInstances::promotes(const Instance& instance) const {
  return instance.type.type.spec.promotion.has_value() && !instance.electionNode.empty();
}

void LocalInstances::startCandidacy(Instance& instance, const ElectionEvent& event) {
  Instance::Candidacy candidacy;
  candidacy.event = event;
  candidacy.wasSecondary = instance.told.role == services::Role::Secondary;
  instance.candidacy = candidacy;
  instance.master = false;
  spdlog::info(
      "instance {} of {} is first in its chain (epoch {}): asking for scores before it "
      "takes over",
      instance.id.uuid, context_.layout.logicalService(instance.id.logical), event.epoch);
  runScore(instance, event.epoch);
  inbox_.wake();
}

void LocalInstances::runScore(Instance& instance, std::int64_t round) {
  if (instance.scoring || instance.pid == 0 || !instance.type.type.spec.promotion) return;
  const auto& promotion = *instance.type.type.spec.promotion;
  instance.scoring = true;
  auto& inbox = inbox_;
  const auto uuid = instance.id.uuid;
  const int registration = instance.registration;
  // On the supervisor's thread, as health checks: the loop never waits for a hook.
  supervisor_->query(
      uuid, promotion.scoreExec, std::chrono::milliseconds(promotion.scoreTimeoutMs),
      kScoreOutputLimit,
      [&inbox, uuid, registration, round](const supervisor::OutputCommand::Outcome& o) {
        inbox.post(ScoreEvent{uuid, registration, round, o.ok, o.detail, o.output, o.truncated});
      });
}

void LocalInstances::handle(const ScoreEvent& event) {
  auto* instance = find(event.uuid);
  if (!instance) return;
  instance->scoring = false;
  if (instance->registration != event.registration || instance->phase != Phase::Running ||
      !promotes(*instance)) {
    inbox_.wakeSoon();  // a due score of its new member, if any, is taken by the next pass
    return;
  }
  const auto reading = readScore(event.ok, event.detail, event.output, event.truncated);
  // Logged once per change of outcome: a hook that keeps failing the same way says so once.
  const auto outcome = reading.score ? std::string("score") : reading.error;
  if (outcome != instance->scoreLogged) {
    if (reading.score) {
      spdlog::info("instance {} of {}: its score hook answers (score {})", instance->id.uuid,
                   context_.layout.logicalService(instance->id.logical), *reading.score);
    } else {
      spdlog::warn("instance {} of {}: no score: {}", instance->id.uuid,
                   context_.layout.logicalService(instance->id.logical), reading.error);
    }
    instance->scoreLogged = outcome;
  }
  const auto nowMs = wallNowMs();
  instance->answeredRound = event.round;
  instance->nextScoreMs = nowMs + instance->type.type.spec.promotion->refreshMs;
  if (reading.score) {
    auto& best = bestSeen_[instance->id.logical];
    best = std::max(best, *reading.score);
  }
  auto data = instance->published;
  data.round = event.round;
  data.score = reading.score;
  data.scoreError = reading.error;
  data.scoredAt = nowMs;
  if (auto& candidacy = instance->candidacy; candidacy && candidacy->event.epoch == event.round) {
    candidacy->ownAnswered = true;
    candidacy->ownScore = reading.score;
    inbox_.wake();  // it decides in the pass
  } else {
    inbox_.wakeSoon();  // a score for a newer first member may be due meanwhile
  }
  publish(*instance, data);
}

void LocalInstances::publish(Instance& instance, const config::ElectionData& data) {
  if (instance.electionNode.empty() || sameButTime(data, instance.published)) return;
  try {
    context_.session()->set(instance.electionNode, config::encodeElectionData(data));
    instance.published = data;
  } catch (const zk::ZkError& e) {
    if (e.isSessionLost()) throw;
    // Gone (the plan catches up), or a connection loss: the next score or decision writes again.
    if (e.code() != zk::Code::NoNode) {
      spdlog::warn("could not publish {}'s score yet: {}", instance.id.uuid, e.what());
    }
  }
  context_.tree().invalidate(instance.electionNode);
}

std::optional<std::chrono::steady_clock::time_point> LocalInstances::promote(
    const model::ClusterSnapshot& snapshot, std::int64_t nowMs) {
  std::optional<std::chrono::steady_clock::time_point> next;
  auto later = [&next](std::chrono::steady_clock::time_point at) {
    if (!next || at < *next) next = at;
  };
  const auto now = std::chrono::steady_clock::now();
  for (auto& [uuid, instancePtr] : instances_) {
    auto& instance = *instancePtr;
    if (instance.phase != Phase::Running || instance.pid == 0 || instance.electionNode.empty()) {
      continue;
    }
    const auto* type = snapshot.type(instance.id.logical.type);
    if (!type || !type->stored) continue;
    // The stored spec rules: an apply may have added, changed or removed it since the start.
    instance.type.type.spec.promotion = type->stored->type.spec.promotion;
    if (!instance.type.type.spec.promotion) {
      if (instance.candidacy) takeOver(instance, "spec.promotion was removed");
      continue;
    }
    const auto* logical = snapshot.logical(instance.id.logical);
    if (!logical || logical->election.empty()) continue;
    if (auto best = bestPublished(*logical)) {
      auto& seen = bestSeen_[instance.id.logical];
      seen = std::max(seen, *best);
    }
    const auto& first = logical->election.front();
    if (instance.candidacy) {
      auto& candidacy = *instance.candidacy;
      // Its own score, once per round, and again at each refresh while it holds.
      if (!candidacy.ownAnswered || (!candidacy.held.empty() && nowMs >= instance.nextScoreMs)) {
        runScore(instance, candidacy.event.epoch);
      }
      if (!candidacy.held.empty()) {
        later(now +
              std::chrono::milliseconds(std::max<std::int64_t>(0, instance.nextScoreMs - nowMs)));
      }
      // This snapshot may be older than the news that made it first: the next pass decides.
      if (first.data && first.data->physical == uuid)
        decide(instance, snapshot, *logical, nowMs, next);
      continue;
    }
    if (scoreDue(instance.answeredRound, first.sequence, nowMs, instance.nextScoreMs)) {
      runScore(instance, first.sequence);
    } else {
      later(now + std::chrono::milliseconds(instance.nextScoreMs - nowMs));
    }
  }
  return next;
}

void LocalInstances::decide(Instance& instance, const model::ClusterSnapshot& snapshot,
                            const model::LogicalServiceView& logical, std::int64_t nowMs,
                            std::optional<std::chrono::steady_clock::time_point>& next) {
  auto& candidacy = *instance.candidacy;
  const auto& promotion = *instance.type.type.spec.promotion;
  PromotionRound round;
  round.ownAnswered = candidacy.ownAnswered;
  round.ownScore = candidacy.ownScore;
  round.others = answersTo(logical, instance.id.uuid, candidacy.event.epoch);
  // A member on a draining host is leaving: its turn would be handed over again at once.
  std::erase_if(round.others, [&](const ScoreAnswer& answer) {
    return std::any_of(logical.election.begin(), logical.election.end(), [&](const auto& member) {
      return member.data && member.data->physical == answer.physical &&
             snapshot.isDraining(member.data->host);
    });
  });
  if (auto seen = bestSeen_.find(instance.id.logical); seen != bestSeen_.end()) {
    round.bestSeen = seen->second;
  }
  round.maxLag = promotion.maxLag;
  round.waitMs = promotion.waitMs;
  round.elapsedMs = msSince(candidacy.event.at);
  const auto request = snapshot.switchovers.find(instance.id.logical);
  const bool requestLive = request != snapshot.switchovers.end() && request->second.data &&
                           nowMs <= request->second.data->deadline;
  if (requestLive && request->second.data->target == instance.id.uuid) {
    round.requested = true;
    round.forced = request->second.data->force;
  }
  // Our own request went (done by someone else, or expired): decide afresh.
  if (candidacy.handingOver && !requestLive) candidacy.handingOver = false;
  const auto decision = planPromotion(round);
  switch (decision.kind) {
    case PromotionDecision::Kind::Wait:
      if (decision.waitMs > 0) {
        const auto at =
            std::chrono::steady_clock::now() + std::chrono::milliseconds(decision.waitMs);
        if (!next || at < *next) next = at;
      }
      return;
    case PromotionDecision::Kind::TakeOver:
      takeOver(instance, decision.reason);
      return;
    case PromotionDecision::Kind::HandOver:
      if (!candidacy.handingOver && !requestLive) {
        handOver(instance, decision.target, decision.reason, nowMs);
      }
      return;
    case PromotionDecision::Kind::Hold:
      hold(instance, decision.reason);
      return;
  }
}

void LocalInstances::takeOver(Instance& instance, const std::string& why) {
  const auto candidacy = *instance.candidacy;
  instance.candidacy.reset();
  instance.master = true;
  instance.epoch = candidacy.event.epoch;
  // Master only with a lease backed by a recent round trip; else the next renewal tells it.
  tellMaster(instance, cutOff_ ? 0 : lease_.current());
  recordMaster(instance, candidacy.event, candidacy.wasSecondary);
  spdlog::info("instance {} of {} takes over ({} ms after it became first): {}", instance.id.uuid,
               context_.layout.logicalService(instance.id.logical), msSince(candidacy.event.at),
               why);
  if (!candidacy.held.empty()) {
    recordEvent(instance, config::event_kind::kPromotion, "no longer held: " + why);
  }
  // After the role is told: only now do the other managers point their secondaries at it.
  auto data = instance.published;
  data.held.clear();
  data.master = true;
  publish(instance, data);
}

void LocalInstances::handOver(Instance& instance, const std::string& target, const std::string& why,
                              std::int64_t nowMs) {
  const auto& layout = context_.layout;
  const auto path = layout.switchover(instance.id.logical);
  config::SwitchoverData request;
  request.target = target;
  request.from = instance.id.uuid;
  request.created = nowMs;
  request.deadline = nowMs + kHandOverDeadlineMs;
  request.reason = "promotion: " + why;
  try {
    context_.session()->ensurePath(layout.switchoversDir());
    context_.session()->create(path, config::encodeSwitchoverData(request));
  } catch (const zk::ZkError& e) {
    if (e.isSessionLost()) throw;
    // Another request is in progress (it is followed first), or a connection loss: the next
    // pass decides again.
    spdlog::info("instance {} cannot hand its turn to {} yet: {}", instance.id.uuid, target,
                 e.what());
    context_.tree().invalidate(path);
    return;
  }
  context_.tree().invalidate(path);
  context_.tree().invalidate(layout.switchoversDir());
  instance.candidacy->handingOver = true;
  recordEvent(instance, config::event_kind::kPromotion,
              fmt::format("first in its chain, hands its turn to {}: {}", target, why));
  spdlog::info("instance {} of {} hands its turn to {}: {}", instance.id.uuid,
               layout.logicalService(instance.id.logical), target, why);
}

void LocalInstances::hold(Instance& instance, const std::string& why) {
  auto& candidacy = *instance.candidacy;
  if (candidacy.held == why) return;
  candidacy.held = why;
  spdlog::warn(
      "instance {} of {} is not promoted: {}; the logical service has no master until a "
      "fresher member answers or an operator forces a switchover",
      instance.id.uuid, context_.layout.logicalService(instance.id.logical), why);
  recordEvent(instance, config::event_kind::kPromotion, "not promoted: " + why);
  auto data = instance.published;
  data.held = why;
  publish(instance, data);
}

}  // namespace sm::daemon
