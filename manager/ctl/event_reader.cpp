#include "manager/ctl/event_reader.hpp"

#include <utility>

#include "manager/zk/session_reader.hpp"

namespace sm::ctl {

namespace {

// Hands out the watch on the children of events/ alone.
class EventsDirWatches : public zk::WatchArming {
 public:
  EventsDirWatches(zk::WatchArming& watches, std::string dir)
      : watches_(watches), dir_(std::move(dir)) {}

  zk::Watcher arm(const std::string& path, zk::WatchKind kind) override {
    return wanted(path, kind) ? watches_.arm(path, kind) : zk::Watcher{};
  }
  void disarm(const std::string& path, zk::WatchKind kind) override {
    if (wanted(path, kind)) watches_.disarm(path, kind);
  }

 private:
  bool wanted(const std::string& path, zk::WatchKind kind) const {
    return path == dir_ && kind == zk::WatchKind::Children;
  }

  zk::WatchArming& watches_;
  std::string dir_;
};

}  // namespace

EventPage readEvents(zk::Session& session, const config::Layout& layout,
                     const model::EventQuery& query, zk::WatchArming* watches) {
  std::optional<EventsDirWatches> dirOnly;
  if (watches) dirOnly.emplace(*watches, layout.eventsDir());
  zk::SessionReader reader(session, dirOnly ? &*dirOnly : nullptr);
  auto scope = model::ReadScope::none();
  scope.events = query;
  auto snapshot = model::readSnapshot(reader, layout, scope);
  return {std::move(snapshot.events), snapshot.newestEvent};
}

}  // namespace sm::ctl
