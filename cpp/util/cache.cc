#include "util/cache.h"

#include <cassert>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "util/checksum.h"

namespace kvstore {

struct Cache::Handle {
  std::string key;
  std::shared_ptr<void> value;
  size_t charge = 0;
  uint64_t hash = 0;
  int refs = 0;           // pins held by callers
  bool in_cache = false;  // reachable from the shard's table
  bool detached = false;  // never cached (an insert that did not fit)
  Handle* prev = nullptr;  // LRU list links; used only when in_cache && refs == 0
  Handle* next = nullptr;
};

namespace {

struct PrehashedKey {
  size_t operator()(std::string_view k) const { return XXH3_64bits(k.data(), k.size()); }
};

}  // namespace

class Cache::Shard {
 public:
  Shard() {
    lru_.next = &lru_;
    lru_.prev = &lru_;
  }
  ~Shard() {
    for (auto& [key, e] : table_) {
      assert(e->refs == 0);  // every handle must be released before the cache dies
      delete e;
    }
  }

  void set_capacity(size_t capacity) { capacity_ = capacity; }

  // Returns nullptr when the entry does not fit (the caller detaches it).
  Handle* Insert(Handle* e) {
    std::lock_guard<std::mutex> l(mu_);
    // Replace: the old entry leaves the cache first, freeing its charge.
    auto it = table_.find(std::string_view(e->key));
    if (it != table_.end()) {
      Handle* old = it->second;
      table_.erase(it);
      FinishErase(old);
    }
    while (usage_ + e->charge > capacity_ && lru_.next != &lru_) {
      Handle* victim = lru_.next;
      table_.erase(std::string_view(victim->key));
      FinishErase(victim);
    }
    if (usage_ + e->charge > capacity_) return nullptr;
    e->in_cache = true;
    e->refs = 1;
    usage_ += e->charge;
    pinned_ += e->charge;
    table_.emplace(std::string_view(e->key), e);
    return e;
  }

  Handle* Lookup(std::string_view key) {
    std::lock_guard<std::mutex> l(mu_);
    auto it = table_.find(key);
    if (it == table_.end()) return nullptr;
    Handle* e = it->second;
    if (e->refs == 0) {
      Unlink(e);
      pinned_ += e->charge;
    }
    e->refs++;
    return e;
  }

  void Release(Handle* e) {
    bool destroy = false;
    {
      std::lock_guard<std::mutex> l(mu_);
      assert(e->refs > 0);
      e->refs--;
      if (e->refs == 0) {
        if (e->in_cache) {
          pinned_ -= e->charge;
          Append(e);  // most recently used
        } else {
          destroy = true;
        }
      }
    }
    if (destroy) delete e;  // outside the lock: frees the value
  }

  void Erase(std::string_view key) {
    std::lock_guard<std::mutex> l(mu_);
    auto it = table_.find(key);
    if (it == table_.end()) return;
    Handle* e = it->second;
    table_.erase(it);
    FinishErase(e);
  }

  size_t usage() const {
    std::lock_guard<std::mutex> l(mu_);
    return usage_;
  }
  size_t pinned() const {
    std::lock_guard<std::mutex> l(mu_);
    return pinned_;
  }
  bool within_capacity() const {
    std::lock_guard<std::mutex> l(mu_);
    return usage_ <= capacity_;
  }

 private:
  void Unlink(Handle* e) {
    e->prev->next = e->next;
    e->next->prev = e->prev;
    e->prev = e->next = nullptr;
  }
  void Append(Handle* e) {
    e->next = &lru_;
    e->prev = lru_.prev;
    e->prev->next = e;
    lru_.prev = e;
  }
  // e was just removed from table_: drop its charge, and the entry itself
  // unless callers still pin it (then the last Release frees it).
  void FinishErase(Handle* e) {
    e->in_cache = false;
    usage_ -= e->charge;
    if (e->refs == 0) {
      Unlink(e);
      delete e;
    } else {
      pinned_ -= e->charge;
    }
  }

  mutable std::mutex mu_;
  size_t capacity_ = 0;
  size_t usage_ = 0;   // charges of entries in table_
  size_t pinned_ = 0;  // charges of entries in table_ with refs > 0
  Handle lru_;         // sentinel: lru_.next is the least recently used unpinned entry
  std::unordered_map<std::string_view, Handle*, PrehashedKey> table_;  // views of Handle::key
};

Cache::Cache(size_t capacity) : capacity_(capacity), shards_(new Shard[kNumShards]) {
  const size_t per_shard = capacity / kNumShards;
  for (int i = 0; i < kNumShards; i++) shards_[i].set_capacity(per_shard);
}

Cache::~Cache() = default;

Cache::Shard& Cache::ShardFor(uint64_t hash) const {
  return shards_[hash >> (64 - kNumShardBits)];
}

Cache::Handle* Cache::Insert(Slice key, std::shared_ptr<void> value, size_t charge) {
  auto* e = new Handle;
  e->key.assign(key.data(), key.size());
  e->value = std::move(value);
  e->charge = charge;
  e->hash = XXH3_64bits(key.data(), key.size());
  if (ShardFor(e->hash).Insert(e) != nullptr) return e;
  e->detached = true;
  e->refs = 1;
  detached_.fetch_add(charge, std::memory_order_relaxed);
  return e;
}

Cache::Handle* Cache::Lookup(Slice key) {
  return ShardFor(XXH3_64bits(key.data(), key.size())).Lookup(key);
}

void Cache::Release(Handle* handle) {
  if (handle->detached) {
    detached_.fetch_sub(handle->charge, std::memory_order_relaxed);
    delete handle;
    return;
  }
  ShardFor(handle->hash).Release(handle);
}

void* Cache::Value(Handle* handle) const { return handle->value.get(); }

void Cache::Erase(Slice key) { ShardFor(XXH3_64bits(key.data(), key.size())).Erase(key); }

size_t Cache::TotalCharge() const {
  size_t total = 0;
  for (int i = 0; i < kNumShards; i++) total += shards_[i].usage();
  return total;
}

size_t Cache::PinnedUsage() const {
  size_t total = 0;
  for (int i = 0; i < kNumShards; i++) total += shards_[i].pinned();
  return total;
}

bool Cache::ShardsWithinCapacity() const {
  for (int i = 0; i < kNumShards; i++) {
    if (!shards_[i].within_capacity()) return false;
  }
  return true;
}

}  // namespace kvstore
