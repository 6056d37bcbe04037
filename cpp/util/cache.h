// Cache: a sharded LRU cache with a capacity in bytes, for the block cache.
//
// Keys are byte strings; values are type-erased shared pointers, each
// inserted with a charge (its size in bytes). The key space is split into
// 16 shards by hash, each with its own mutex, LRU list and capacity / 16.
// A key is hashed once per call (Hash(key)); callers on hot paths compute it
// themselves and pass it to the overloads that take it.
//
// Pinning: Insert and Lookup return a Handle that pins its entry until
// Release. A pinned entry is never evicted; it still counts towards usage
// while it stays in the cache. Unpinned entries are evicted least recently
// used first.
//
// Strict capacity: a shard's usage never exceeds its capacity. When an
// insert does not fit even after evicting every unpinned entry of its shard
// (the shard is full of pinned entries, or the charge is larger than the
// shard), the entry is not cached: the caller gets a handle to a detached
// entry, counted in DetachedUsage() until released. So the memory held
// through the cache is at most capacity() + DetachedUsage(), and detached
// entries are the blocks in flight in readers.
//
// Thread safety: every method may be called concurrently. The Cache must
// outlive every handle; all handles must be released before it is destroyed.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "kvstore/slice.h"

namespace kvstore {

class Cache {
 public:
  struct Handle;  // opaque
  static constexpr int kNumShardBits = 4;
  static constexpr int kNumShards = 1 << kNumShardBits;

  explicit Cache(size_t capacity);
  Cache(const Cache&) = delete;
  Cache& operator=(const Cache&) = delete;
  ~Cache();

  // Inserts key -> value charged charge bytes, replacing any entry with the
  // same key (which lives on, uncached, until its pins are released).
  // Returns a pinned handle; never null.
  Handle* Insert(Slice key, std::shared_ptr<void> value, size_t charge);
  // A pinned handle to the entry for key, or nullptr.
  Handle* Lookup(Slice key);
  // The same, with hash == Hash(key) computed by the caller.
  Handle* Insert(Slice key, uint64_t hash, std::shared_ptr<void> value, size_t charge);
  Handle* Lookup(Slice key, uint64_t hash);
  // The hash the cache uses for key.
  static uint64_t Hash(Slice key);
  // Unpins. handle must not be used afterwards.
  void Release(Handle* handle);
  // The value of a handle (valid until it is released).
  void* Value(Handle* handle) const;
  // Removes key's entry from the cache (it lives on until its pins are released).
  void Erase(Slice key);

  // A new id, unique for this cache, to prefix the keys of one client
  // (tables use it so that blocks of different files never collide).
  uint64_t NewId() { return next_id_.fetch_add(1, std::memory_order_relaxed) + 1; }

  size_t capacity() const { return capacity_; }
  // Sum of the charges of the cached entries (pinned or not).
  size_t TotalCharge() const;
  // Sum of the charges of the cached entries that are pinned.
  size_t PinnedUsage() const;
  // Sum of the charges of live detached entries (inserts that did not fit).
  size_t DetachedUsage() const { return detached_.load(std::memory_order_relaxed); }
  // True if every shard's usage is within its capacity (the invariant; for tests).
  bool ShardsWithinCapacity() const;

 private:
  class Shard;
  Shard& ShardFor(uint64_t hash) const;

  const size_t capacity_;
  std::unique_ptr<Shard[]> shards_;
  std::atomic<uint64_t> next_id_{0};
  std::atomic<size_t> detached_{0};
};

}  // namespace kvstore
