#include "manager/ctl/event_reader.hpp"

#include <algorithm>
#include <utility>

#include "manager/zk/path.hpp"

namespace sm::ctl {

EventPage readEvents(zk::Session& session, const config::Layout& layout, const EventQuery& query,
                     zk::Watcher watcher) {
  EventPage page;
  page.newest = query.after;
  const auto dir = layout.eventsDir();
  const auto names = session.children(dir, std::move(watcher));
  if (!names) return page;
  std::vector<std::pair<std::int64_t, std::string>> found;
  for (const auto& name : *names) {
    const auto sequence = config::Layout::parseEventName(name);
    if (!sequence || *sequence <= query.after) continue;
    found.emplace_back(*sequence, name);
    page.newest = std::max(page.newest, *sequence);
  }
  std::sort(found.begin(), found.end());
  for (auto it = found.rbegin(); it != found.rend(); ++it) {
    if (query.limit > 0 && page.rows.size() >= query.limit) break;
    const auto path = zk::childPath(dir, it->second);
    auto node = session.get(path);
    if (!node) continue;
    EventRow row{it->first, std::nullopt, ""};
    auto decoded = config::decodeEventData(node->data, path);
    if (decoded) {
      row.event = std::move(decoded.value());
      if (query.type && row.event->type != *query.type) continue;
    } else {
      if (query.type) continue;  // whose it is cannot be told
      row.problem = decoded.errorText();
      while (!row.problem.empty() && row.problem.back() == '\n') row.problem.pop_back();
    }
    page.rows.push_back(std::move(row));
  }
  std::reverse(page.rows.begin(), page.rows.end());
  return page;
}

}  // namespace sm::ctl
