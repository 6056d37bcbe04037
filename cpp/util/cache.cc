#include "util/cache.h"

#include <cassert>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

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
  Handle* next_hash = nullptr;  // chain of the shard table's bucket; used only when in_cache

  bool Matches(Slice k, uint64_t h) const {
    return hash == h && key.size() == k.size() && std::memcmp(key.data(), k.data(), k.size()) == 0;
  }
};

namespace {

// The entries of one shard by key: chained buckets indexed by the low bits
// of the hash (the shard is chosen by the high bits), the chain link inside
// each Handle. Grows to keep about one entry per bucket.
class HandleTable {
 public:
  HandleTable() : buckets_(16, nullptr) {}

  Cache::Handle* Find(Slice key, uint64_t hash) const {
    Cache::Handle* e = buckets_[hash & (buckets_.size() - 1)];
    while (e != nullptr && !e->Matches(key, hash)) e = e->next_hash;
    return e;
  }
  // Adds e (no entry with its key may be present).
  void Add(Cache::Handle* e) {
    Cache::Handle*& head = buckets_[e->hash & (buckets_.size() - 1)];
    e->next_hash = head;
    head = e;
    if (++size_ > buckets_.size()) Grow();
  }
  // Removes and returns the entry for key, or nullptr.
  Cache::Handle* Remove(Slice key, uint64_t hash) {
    Cache::Handle** p = &buckets_[hash & (buckets_.size() - 1)];
    while (*p != nullptr && !(*p)->Matches(key, hash)) p = &(*p)->next_hash;
    Cache::Handle* e = *p;
    if (e != nullptr) {
      *p = e->next_hash;
      e->next_hash = nullptr;
      size_--;
    }
    return e;
  }
  template <typename Fn>
  void ForEach(Fn fn) const {
    for (Cache::Handle* head : buckets_) {
      for (Cache::Handle* e = head; e != nullptr;) {
        Cache::Handle* next = e->next_hash;  // fn may delete e
        fn(e);
        e = next;
      }
    }
  }

 private:
  void Grow() {
    std::vector<Cache::Handle*> bigger(buckets_.size() * 2, nullptr);
    for (Cache::Handle* head : buckets_) {
      for (Cache::Handle* e = head; e != nullptr;) {
        Cache::Handle* next = e->next_hash;
        Cache::Handle*& b = bigger[e->hash & (bigger.size() - 1)];
        e->next_hash = b;
        b = e;
        e = next;
      }
    }
    buckets_.swap(bigger);
  }

  std::vector<Cache::Handle*> buckets_;  // size: a power of two
  size_t size_ = 0;
};

}  // namespace

class Cache::Shard {
 public:
  Shard() {
    lru_.next = &lru_;
    lru_.prev = &lru_;
  }
  ~Shard() {
    table_.ForEach([](Handle* e) {
      assert(e->refs == 0);  // every handle must be released before the cache dies
      delete e;
    });
  }

  void set_capacity(size_t capacity) { capacity_ = capacity; }

  // Returns nullptr when the entry does not fit (the caller detaches it).
  Handle* Insert(Handle* e) {
    std::lock_guard<std::mutex> l(mu_);
    // Replace: the old entry leaves the cache first, freeing its charge.
    if (Handle* old = table_.Remove(e->key, e->hash)) FinishErase(old);
    while (usage_ + e->charge > capacity_ && lru_.next != &lru_) {
      Handle* victim = lru_.next;
      table_.Remove(victim->key, victim->hash);
      FinishErase(victim);
    }
    if (usage_ + e->charge > capacity_) return nullptr;
    e->in_cache = true;
    e->refs = 1;
    usage_ += e->charge;
    pinned_ += e->charge;
    table_.Add(e);
    return e;
  }

  Handle* Lookup(Slice key, uint64_t hash) {
    std::lock_guard<std::mutex> l(mu_);
    Handle* e = table_.Find(key, hash);
    if (e == nullptr) return nullptr;
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

  void Erase(Slice key, uint64_t hash) {
    std::lock_guard<std::mutex> l(mu_);
    if (Handle* e = table_.Remove(key, hash)) FinishErase(e);
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
  HandleTable table_;  // the entries in the cache
};

Cache::Cache(size_t capacity) : capacity_(capacity), shards_(new Shard[kNumShards]) {
  const size_t per_shard = capacity / kNumShards;
  for (int i = 0; i < kNumShards; i++) shards_[i].set_capacity(per_shard);
}

Cache::~Cache() = default;

Cache::Shard& Cache::ShardFor(uint64_t hash) const {
  return shards_[hash >> (64 - kNumShardBits)];
}

uint64_t Cache::Hash(Slice key) { return XXH3_64bits(key.data(), key.size()); }

Cache::Handle* Cache::Insert(Slice key, std::shared_ptr<void> value, size_t charge) {
  return Insert(key, Hash(key), std::move(value), charge);
}

Cache::Handle* Cache::Insert(Slice key, uint64_t hash, std::shared_ptr<void> value,
                             size_t charge) {
  auto* e = new Handle;
  e->key.assign(key.data(), key.size());
  e->value = std::move(value);
  e->charge = charge;
  e->hash = hash;
  if (ShardFor(e->hash).Insert(e) != nullptr) return e;
  e->detached = true;
  e->refs = 1;
  detached_.fetch_add(charge, std::memory_order_relaxed);
  return e;
}

Cache::Handle* Cache::Lookup(Slice key) { return Lookup(key, Hash(key)); }

Cache::Handle* Cache::Lookup(Slice key, uint64_t hash) { return ShardFor(hash).Lookup(key, hash); }

void Cache::Release(Handle* handle) {
  if (handle->detached) {
    detached_.fetch_sub(handle->charge, std::memory_order_relaxed);
    delete handle;
    return;
  }
  ShardFor(handle->hash).Release(handle);
}

void* Cache::Value(Handle* handle) const { return handle->value.get(); }

void Cache::Erase(Slice key) {
  const uint64_t hash = Hash(key);
  ShardFor(hash).Erase(key, hash);
}

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
