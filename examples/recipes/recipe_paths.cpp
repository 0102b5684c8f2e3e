#include "examples/recipes/recipe_paths.hpp"

#include <algorithm>
#include <stdexcept>

#include "config/layout.hpp"
#include "manager/zk/path.hpp"

namespace sm::recipes {

RecipePaths::RecipePaths(std::string root) : root_(std::move(root)) {
  if (auto problem = config::checkZroot(root_)) {
    throw std::invalid_argument("root \"" + root_ + "\": " + *problem);
  }
}

std::string RecipePaths::recipesDir() const { return zk::childPath(root_, "recipes"); }
std::string RecipePaths::lockDir() const { return zk::childPath(recipesDir(), "lock"); }
std::string RecipePaths::electionDir() const { return zk::childPath(recipesDir(), "election"); }
std::string RecipePaths::barrier() const { return zk::childPath(recipesDir(), "barrier"); }
std::string RecipePaths::queueDir() const { return zk::childPath(recipesDir(), "queue"); }
std::string RecipePaths::groupDir() const { return zk::childPath(recipesDir(), "group"); }

std::string RecipePaths::groupMember(const std::string& name) const {
  if (!validMemberName(name)) throw std::invalid_argument("invalid member name \"" + name + "\"");
  return zk::childPath(groupDir(), name);
}

bool validMemberName(const std::string& name) {
  if (name.empty() || name.size() > 64 || name == "." || name == "..") return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_' || c == '-';
  });
}

}  // namespace sm::recipes
