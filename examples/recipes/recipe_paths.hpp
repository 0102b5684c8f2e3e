#pragma once
// Where the recipes live: <root>/recipes/<recipe>. The example's own corner of the namespace, kept
// apart from the managers' tree (config/layout.*), and the only place of the example that spells
// znode names, so that `servicesctl --root <root> tree` shows the recipes beside any federation.
#include <string>

namespace sm::recipes {

class RecipePaths {
 public:
  // Throws std::invalid_argument for a root config::checkZroot refuses.
  explicit RecipePaths(std::string root);

  const std::string& root() const { return root_; }
  std::string recipesDir() const;
  std::string lockDir() const;
  std::string electionDir() const;
  std::string barrier() const;
  std::string queueDir() const;
  std::string groupDir() const;
  std::string groupMember(const std::string& name) const;

  static constexpr const char* kQueueItemPrefix = "item-";

 private:
  std::string root_;
};

// Member names become znode names: [A-Za-z0-9._-]+, not "." or "..", at most 64 characters.
bool validMemberName(const std::string& name);

}  // namespace sm::recipes
