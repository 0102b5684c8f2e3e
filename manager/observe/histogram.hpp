#pragma once
// A Prometheus histogram's data: cumulative counts per upper bound, their sum and count. A plain
// value: the loop owns one and copies it into each published state.
#include <cstdint>
#include <string>
#include <vector>

namespace sm::observe {

class Histogram {
 public:
  explicit Histogram(std::vector<double> upperBounds);
  // Buckets for durations in seconds from 100 µs to 10 s: a failover takes milliseconds, a pass
  // over an unchanged tree microseconds, one that writes a few round trips.
  static Histogram latency();

  void observe(double value);

  const std::vector<double>& upperBounds() const { return upperBounds_; }
  // counts()[i]: observations <= upperBounds()[i] (cumulative); count() includes +Inf.
  const std::vector<std::uint64_t>& counts() const { return counts_; }
  std::uint64_t count() const { return count_; }
  double sum() const { return sum_; }

 private:
  std::vector<double> upperBounds_;
  std::vector<std::uint64_t> counts_;
  std::uint64_t count_ = 0;
  double sum_ = 0;
};

}  // namespace sm::observe
