#include "manager/zk/op.hpp"

namespace sm::zk {

Op Op::create(std::string path, std::string data, CreateMode mode, std::optional<AclList> acl) {
  Op op;
  op.kind = Kind::Create;
  op.path = std::move(path);
  op.data = std::move(data);
  op.mode = mode;
  op.acl = std::move(acl);
  return op;
}

Op Op::remove(std::string path, int version) {
  Op op;
  op.kind = Kind::Remove;
  op.path = std::move(path);
  op.version = version;
  return op;
}

Op Op::set(std::string path, std::string data, int version) {
  Op op;
  op.kind = Kind::Set;
  op.path = std::move(path);
  op.data = std::move(data);
  op.version = version;
  return op;
}

Op Op::check(std::string path, int version) {
  Op op;
  op.kind = Kind::Check;
  op.path = std::move(path);
  op.version = version;
  return op;
}

}  // namespace sm::zk
