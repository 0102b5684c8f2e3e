#include "manager/observe/histogram.hpp"

#include <algorithm>

namespace sm::observe {

Histogram::Histogram(std::vector<double> upperBounds)
    : upperBounds_(std::move(upperBounds)), counts_(upperBounds_.size(), 0) {
  std::sort(upperBounds_.begin(), upperBounds_.end());
}

Histogram Histogram::latency() {
  return Histogram({0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                    0.5, 1, 2.5, 5, 10});
}

void Histogram::observe(double value) {
  for (std::size_t i = 0; i < upperBounds_.size(); ++i) {
    if (value <= upperBounds_[i]) ++counts_[i];
  }
  ++count_;
  sum_ += value;
}

}  // namespace sm::observe
