#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/layout.hpp"
#include "manager/ctl/event_view.hpp"
#include "manager/zk/session.hpp"

namespace sm::ctl {

struct EventQuery {
  std::optional<std::string> type;  // only this service type's events
  std::int64_t after = -1;          // only events with a higher sequence
  std::size_t limit = 0;            // the newest `limit` that match; 0: all
};

struct EventPage {
  std::vector<EventRow> rows;  // oldest first
  std::int64_t newest = -1;    // the highest sequence listed (matching or not): the next `after`
};

// Lists events/ (with `watcher` left on its children when given: `events --follow` sleeps on it)
// and reads the documents the query wants, newest first until `limit` match. An event removed
// between the listing and its read (trimmed meanwhile) is skipped.
EventPage readEvents(zk::Session& session, const config::Layout& layout, const EventQuery& query,
                     zk::Watcher watcher = {});

}  // namespace sm::ctl
