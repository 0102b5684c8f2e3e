#include "manager/ctl/operator_event.hpp"

#include <unistd.h>

#include <iostream>

#include "config/event_data.hpp"
#include "manager/zk/error.hpp"

namespace sm::ctl {

void recordOperatorEvent(Context& ctx, const std::string& type, const std::string& message) {
  char name[256] = {};
  ::gethostname(name, sizeof name - 1);
  config::EventData event;
  event.time = nowMs();
  event.host = std::string("servicesctl@") + name;
  event.kind = std::string(config::event_kind::kOperator);
  event.type = type;
  event.message = message;
  try {
    ctx.session->create(ctx.layout.eventPrefix(), config::encodeEventData(event),
                        zk::CreateMode::PersistentSequential);
  } catch (const zk::ZkError& e) {
    std::cerr << "servicesctl: done, but the event could not be recorded: " << e.what() << "\n";
  }
}

}  // namespace sm::ctl
