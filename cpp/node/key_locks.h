// KeyLocks: striped mutexes that make CompareAndSwap atomic with respect to
// every other write on the node.
//
// Every write path (Put, Delete, Write, CompareAndSwap) holds the stripes of
// all the keys it touches for the whole engine call, so a CAS's read-compare-
// write can never interleave with another write to the same key. A batch takes
// its stripes in increasing stripe order (deduplicated), and every other path
// takes one stripe, so no two lock holders can wait on each other: deadlock free.
// Two different keys may share a stripe; that only serializes them.
//
// Thread safety: safe for concurrent use. A StripeGuard belongs to one thread.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "kvstore/slice.h"

namespace kvstore::node {

class KeyLocks {
 public:
  explicit KeyLocks(size_t stripes = 4096);
  KeyLocks(const KeyLocks&) = delete;
  KeyLocks& operator=(const KeyLocks&) = delete;

  size_t StripeOf(Slice key) const;
  size_t stripes() const { return count_; }

  // Holds the stripes of a set of keys until destroyed.
  class StripeGuard {
   public:
    StripeGuard(KeyLocks* locks, std::vector<size_t> stripes);  // locks them, sorted
    ~StripeGuard();
    StripeGuard(const StripeGuard&) = delete;
    StripeGuard& operator=(const StripeGuard&) = delete;

   private:
    KeyLocks* locks_;
    std::vector<size_t> stripes_;
  };

  StripeGuard LockKey(Slice key);
  StripeGuard LockKeys(const std::vector<Slice>& keys);

 private:
  size_t count_;
  std::unique_ptr<std::mutex[]> mutexes_;
};

}  // namespace kvstore::node
