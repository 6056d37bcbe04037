#include "node/key_locks.h"

#include <algorithm>
#include <functional>
#include <string_view>
#include <utility>

namespace kvstore::node {

KeyLocks::KeyLocks(size_t stripes)
    : count_(stripes == 0 ? 1 : stripes), mutexes_(new std::mutex[count_]) {}

size_t KeyLocks::StripeOf(Slice key) const { return std::hash<std::string_view>{}(key) % count_; }

KeyLocks::StripeGuard::StripeGuard(KeyLocks* locks, std::vector<size_t> stripes)
    : locks_(locks), stripes_(std::move(stripes)) {
  std::sort(stripes_.begin(), stripes_.end());
  stripes_.erase(std::unique(stripes_.begin(), stripes_.end()), stripes_.end());
  for (size_t s : stripes_) locks_->mutexes_[s].lock();
}

KeyLocks::StripeGuard::~StripeGuard() {
  for (auto it = stripes_.rbegin(); it != stripes_.rend(); ++it) locks_->mutexes_[*it].unlock();
}

KeyLocks::StripeGuard KeyLocks::LockKey(Slice key) { return StripeGuard(this, {StripeOf(key)}); }

KeyLocks::StripeGuard KeyLocks::LockKeys(const std::vector<Slice>& keys) {
  std::vector<size_t> stripes;
  stripes.reserve(keys.size());
  for (Slice k : keys) stripes.push_back(StripeOf(k));
  return StripeGuard(this, std::move(stripes));
}

}  // namespace kvstore::node
