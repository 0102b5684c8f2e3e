#include "manager/daemon/reconcile/instance_lifecycle.hpp"

#include <gtest/gtest.h>

namespace sm::daemon {
namespace {

using K = LifecycleEvent::Kind;
using E = Effect;

LifecycleEvent event(K kind) {
  return LifecycleEvent{kind};
}
LifecycleEvent gaveUp(bool failure, bool crashLoop = false) {
  return LifecycleEvent{K::GaveUp, failure, crashLoop};
}

// Runs events through the machine from `phase`, returning the last phase and every effect.
Transition run(Phase phase, const std::vector<LifecycleEvent>& events) {
  Transition all{phase, {}};
  for (const auto& e : events) {
    auto step = transition(all.next, e);
    all.next = step.next;
    all.effects.insert(all.effects.end(), step.effects.begin(), step.effects.end());
  }
  return all;
}

TEST(InstanceLifecycle, AStartedInstanceRunsOnceRegistered) {
  EXPECT_EQ(transition(Phase::Starting, event(K::Started)).next, Phase::Starting);
  const auto registered = transition(Phase::Starting, event(K::Registered));
  EXPECT_EQ(registered.next, Phase::Running);
  EXPECT_TRUE(registered.effects.empty());
}

TEST(InstanceLifecycle, AnExitLeavesTheElectionAtOnceAndKeepsTheZnode) {
  // The successor must not wait for what the supervisor decides next.
  const auto exited = transition(Phase::Running, event(K::Exited));
  EXPECT_EQ(exited.next, Phase::Restarting);
  EXPECT_EQ(exited.effects, (std::vector<Effect>{E::TellUnknown, E::WithdrawElection}));
}

TEST(InstanceLifecycle, RestartInPlaceRejoinsAtTheEndOfTheChain) {
  const auto all = run(Phase::Running, {event(K::Exited), event(K::RestartScheduled),
                                        event(K::Started), event(K::Registered)});
  EXPECT_EQ(all.next, Phase::Running);
  // Nothing writes "restarting" on the way: the next pass shows the phase (planInstances).
  EXPECT_EQ(all.effects, (std::vector<Effect>{E::TellUnknown, E::WithdrawElection, E::Rejoin}));
}

TEST(InstanceLifecycle, AHungMasterIsDemotedBeforeItIsStopped) {
  const auto unhealthy = transition(Phase::Running, event(K::Unhealthy));
  EXPECT_EQ(unhealthy.next, Phase::Demoting);
  ASSERT_EQ(unhealthy.effects, (std::vector<Effect>{E::TellUnknown, E::WithdrawElection}));
  // The supervisor's kill and restart follow; nothing is withdrawn twice.
  const auto after = run(Phase::Demoting, {event(K::Exited), event(K::RestartScheduled)});
  EXPECT_EQ(after.next, Phase::Restarting);
  EXPECT_TRUE(after.effects.empty());
}

TEST(InstanceLifecycle, AStopRequestDemotesThenWithdrawsThenStops) {
  for (auto phase : {Phase::Running, Phase::Demoting, Phase::Restarting}) {
    const auto stop = transition(phase, event(K::StopRequested));
    EXPECT_EQ(stop.next, Phase::Stopping) << phaseName(phase);
    EXPECT_EQ(stop.effects, (std::vector<Effect>{E::TellUnknown, E::WithdrawAll, E::StopProcess}))
        << phaseName(phase);
  }
  EXPECT_EQ(transition(Phase::Stopping, event(K::Stopped)).next, Phase::Gone);
}

TEST(InstanceLifecycle, WhenTheSupervisorGivesUpTheReplicaIsFreedAndAFailureCounted) {
  // A crash loop, or a failure under `never`: replaced (elsewhere first).
  for (bool crashLoop : {false, true}) {
    const auto failed = run(Phase::Running, {event(K::Exited), gaveUp(true, crashLoop)});
    EXPECT_EQ(failed.next, Phase::Stopping);
    EXPECT_EQ(failed.effects,
              (std::vector<Effect>{E::TellUnknown, E::WithdrawElection, E::TellUnknown,
                                   E::WithdrawAll, E::RecordFailure, E::StopProcess}));
  }
  // A clean end under `on-failure` or `never` is no failure of this host.
  const auto completed = run(Phase::Restarting, {gaveUp(false)});
  EXPECT_EQ(completed.effects,
            (std::vector<Effect>{E::TellUnknown, E::WithdrawAll, E::StopProcess}));
}

TEST(InstanceLifecycle, AnInstanceThatDiesBeforeItRegistersIsGivenUp) {
  const auto died = transition(Phase::Starting, event(K::Exited));
  EXPECT_EQ(died.next, Phase::Stopping);
  EXPECT_EQ(died.effects, (std::vector<Effect>{E::RecordFailure, E::StopProcess}));
}

TEST(InstanceLifecycle, ARoleFileThatCannotBeWrittenEndsTheInstance) {
  const auto failed = transition(Phase::Running, event(K::RoleFileFailed));
  EXPECT_EQ(failed.next, Phase::Stopping);
  EXPECT_EQ(failed.effects, (std::vector<Effect>{E::TellUnknown, E::WithdrawAll,
                                                 E::RecordFailure, E::StopProcess}));
}

TEST(InstanceLifecycle, SessionExpiryKeepsRunningInstancesAsSurvivors) {
  const auto expired = transition(Phase::Running, event(K::SessionExpired));
  EXPECT_EQ(expired.next, Phase::Survivor);
  EXPECT_EQ(expired.effects, (std::vector<Effect>{E::TellUnknown, E::ForgetElection}));
  EXPECT_EQ(transition(Phase::Survivor, event(K::Registered)).next, Phase::Running);
  EXPECT_EQ(transition(Phase::Survivor, event(K::Exited)).effects,
            (std::vector<Effect>{E::StopProcess}));
  // One that was restarting is not healthy enough to keep: its replica is placed again.
  const auto restarting = transition(Phase::Restarting, event(K::SessionExpired));
  EXPECT_EQ(restarting.next, Phase::Stopping);
  EXPECT_EQ(restarting.effects, (std::vector<Effect>{E::ForgetElection, E::StopProcess}));
}

TEST(InstanceLifecycle, StoppingAndGoneIgnoreEverythingButTheEnd) {
  for (auto kind : {K::Started, K::Registered, K::Unhealthy, K::Exited, K::RestartScheduled,
                    K::RoleFileFailed, K::StopRequested, K::SessionExpired}) {
    EXPECT_EQ(transition(Phase::Stopping, event(kind)).next, Phase::Stopping)
        << lifecycleEventName(kind);
    EXPECT_TRUE(transition(Phase::Stopping, event(kind)).effects.empty());
    EXPECT_EQ(transition(Phase::Gone, event(kind)).next, Phase::Gone);
  }
}

TEST(InstanceLifecycle, ARunningInstanceIgnoresAStartOfItsOwn) {
  // A late Started of a run that already registered changes nothing.
  EXPECT_EQ(transition(Phase::Running, event(K::Started)).next, Phase::Running);
  EXPECT_TRUE(transition(Phase::Running, event(K::Started)).effects.empty());
  // A demoting instance rejoins only after its restart, not on a stray start.
  EXPECT_TRUE(transition(Phase::Demoting, event(K::Started)).effects.empty());
}

TEST(InstanceLifecycle, EveryPhaseEventAndEffectHasAName) {
  for (auto phase : {Phase::Starting, Phase::Running, Phase::Demoting, Phase::Restarting,
                     Phase::Stopping, Phase::Survivor, Phase::Gone}) {
    EXPECT_STRNE(phaseName(phase), "?");
  }
  for (auto effect : {E::TellUnknown, E::WithdrawElection, E::WithdrawAll, E::ForgetElection,
                      E::Rejoin, E::RecordFailure, E::StopProcess}) {
    EXPECT_STRNE(effectName(effect), "?");
  }
}

}  // namespace
}  // namespace sm::daemon
