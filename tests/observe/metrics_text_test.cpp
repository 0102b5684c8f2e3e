// The Prometheus text: what it says, and that Debian's promtool accepts it.
#include "manager/observe/metrics_text.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "tests/observe/state_fixture.hpp"
#include "tests/support/debian_tool.hpp"

namespace sm::test {
namespace {

std::string render(const observe::ObservedState& state, std::uint64_t now = kNowNs) {
  return observe::renderMetrics(state, now, [](pid_t) { return std::nullopt; });
}

TEST(MetricsText, LocalMastersCountLiveLeasesAndReportZeroForTheOthers) {
  const auto text = render(sampleState());
  EXPECT_NE(text.find("servicesmgr_local_masters{type=\"Demo\",logical=\"logicalService0000000000\"} 1\n"),
            std::string::npos) << text;
  EXPECT_NE(text.find("servicesmgr_local_masters{type=\"Demo\",logical=\"logicalService0000000001\"} 0\n"),
            std::string::npos) << text;
  // Escaped label values.
  EXPECT_NE(text.find("type=\"Other\\\"type\""), std::string::npos) << text;
  // Once the lease has passed it is no master any more.
  const auto later = render(sampleState(), kNowNs + 3'000'000'000);
  EXPECT_NE(later.find("servicesmgr_local_masters{type=\"Demo\",logical=\"logicalService0000000000\"} 0\n"),
            std::string::npos) << later;
  EXPECT_NE(later.find("servicesmgr_master_lease_remaining_seconds{type=\"Demo\",logical=\"logicalService0000000000\"} 0\n"),
            std::string::npos) << later;
}

TEST(MetricsText, EventsWrittenDroppedAndPending) {
  auto state = sampleState();
  state.eventsWritten = 120;
  state.eventsDropped = 7;
  state.eventsPending = 3;
  const auto text = render(state);
  EXPECT_NE(text.find("servicesmgr_events_written_total 120\n"), std::string::npos) << text;
  EXPECT_NE(text.find("servicesmgr_events_dropped_total 7\n"), std::string::npos) << text;
  EXPECT_NE(text.find("servicesmgr_events_pending 3\n"), std::string::npos) << text;
}

TEST(MetricsText, CountersHistogramsAndSessionState) {
  const auto text = render(sampleState());
  EXPECT_NE(text.find("servicesmgr_restarts_total{type=\"Demo\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("servicesmgr_failover_seconds_bucket{le=\"0.005\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("servicesmgr_failover_seconds_bucket{le=\"0.0025\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("servicesmgr_failover_seconds_bucket{le=\"+Inf\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("servicesmgr_failover_seconds_count 1\n"), std::string::npos);
  EXPECT_NE(text.find("servicesmgr_zk_session_state{state=\"connected\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("servicesmgr_zk_session_state{state=\"expired\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("servicesmgr_zk_requests_total{op=\"getData\"} 40\n"), std::string::npos);
  EXPECT_NE(text.find("servicesmgr_instances{type=\"Demo\",state=\"running\",role=\"master\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("servicesmgr_master_lease_remaining_seconds{type=\"Demo\",logical=\"logicalService0000000000\"} 2\n"),
            std::string::npos) << text;
}

TEST(MetricsText, ProcessStatsOfLiveInstances) {
  auto state = sampleState();
  state.instances[0].pid = ::getpid();
  const auto text = observe::renderMetrics(state, kNowNs);
  EXPECT_NE(text.find("servicesmgr_instance_resident_memory_bytes{type=\"Demo\",logical=\"logicalService0000000000\",uuid=\"" + kMasterUuid + "\"} "),
            std::string::npos) << text;
  EXPECT_NE(text.find("servicesmgr_instance_cpu_seconds_total{"), std::string::npos);
}

TEST(MetricsText, PromtoolAcceptsIt) {
  const auto promtool = findTool("promtool");
  if (!promtool) GTEST_SKIP() << "promtool (Debian package prometheus) is not installed";
  const auto dir = std::filesystem::temp_directory_path() / ("sm-metrics-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto state = sampleState();
  state.instances[0].pid = ::getpid();
  {
    std::ofstream out(dir / "metrics.txt");
    out << observe::renderMetrics(state, kNowNs);
  }
  const auto run = runTool({*promtool, "check", "metrics"}, dir / "out.txt", dir / "metrics.txt");
  EXPECT_EQ(run.exitCode, 0) << run.output;
  EXPECT_EQ(run.output, "") << "promtool's lint found problems";
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace sm::test
