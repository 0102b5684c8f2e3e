#include "config/resource_lock_data.hpp"

#include "config/detail/znode_json.hpp"
#include "config/limits.hpp"
#include "config/names.hpp"

namespace sm::config {

namespace {
constexpr IntRange kSequenceRange{0, kMaxSafeInteger};
}  // namespace

std::string encodeResourceLockData(const ResourceLockData& data) {
  auto j = detail::newDocument();
  j["type"] = data.type;
  j["logical"] = data.logical;
  j["uuid"] = data.uuid;
  j["host"] = data.host;
  j["pid"] = data.pid;
  j["queued"] = data.queued;
  if (data.heldSince) j["heldSince"] = *data.heldSince;
  return detail::dump(j);
}

Result<ResourceLockData> decodeResourceLockData(std::string_view data, std::string_view znodePath) {
  return detail::decodeDocument<ResourceLockData>(
      data, znodePath, {"format", "type", "logical", "uuid", "host", "pid", "queued", "heldSince"},
      detail::UnknownKeys::Ignore, [](detail::NodeReader& r, const detail::MapFields& f) {
        ResourceLockData out;
        for (auto key : {"type", "logical", "uuid", "host", "pid", "queued"}) r.require(f, key);
        if (auto v = r.string(f, "type", checkServiceTypeName)) out.type = *v;
        if (auto v = r.integer(f, "logical", kSequenceRange)) out.logical = *v;
        if (auto v = r.string(f, "uuid", checkUuid)) out.uuid = *v;
        if (auto v = r.string(f, "host", checkHostId)) out.host = *v;
        if (auto v = r.integer(f, "pid", kPidRange)) out.pid = *v;
        if (auto v = r.integer(f, "queued", kTimestampMsRange)) out.queued = *v;
        out.heldSince = r.integer(f, "heldSince", kTimestampMsRange);
        return out;
      });
}

}  // namespace sm::config
