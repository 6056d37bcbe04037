// Arena: a bump allocator for many small, same-lifetime allocations (memtable
// entries and skiplist nodes). Memory is released only when the Arena is
// destroyed.
//
// Thread safety: Allocate/AllocateAligned need external synchronisation (one
// writer at a time). MemoryUsage() may be called concurrently from any thread.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

namespace kvstore {

class Arena {
 public:
  Arena() = default;
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  // Returns bytes bytes with no particular alignment. REQUIRES: bytes > 0.
  char* Allocate(size_t bytes);
  // Like Allocate, aligned for any fundamental type (alignof(std::max_align_t)).
  char* AllocateAligned(size_t bytes);

  // The same, safe to call from several threads at once. Must not overlap with
  // calls of the unlocked forms (sequential mixing is fine).
  char* AllocateLocked(size_t bytes) {
    std::lock_guard<std::mutex> l(mu_);
    return Allocate(bytes);
  }
  char* AllocateAlignedLocked(size_t bytes) {
    std::lock_guard<std::mutex> l(mu_);
    return AllocateAligned(bytes);
  }

  // Bytes reserved from the system so far, including bookkeeping.
  size_t MemoryUsage() const { return memory_usage_.load(std::memory_order_relaxed); }

 private:
  static constexpr size_t kBlockSize = 4096;

  char* AllocateFallback(size_t bytes);
  char* NewBlock(size_t block_bytes);

  char* alloc_ptr_ = nullptr;      // next free byte of the current block
  size_t alloc_remaining_ = 0;     // free bytes left in the current block
  std::vector<std::unique_ptr<char[]>> blocks_;
  std::atomic<size_t> memory_usage_{0};
  std::mutex mu_;  // serialises the *Locked forms
};

inline char* Arena::Allocate(size_t bytes) {
  if (bytes <= alloc_remaining_) {
    char* result = alloc_ptr_;
    alloc_ptr_ += bytes;
    alloc_remaining_ -= bytes;
    return result;
  }
  return AllocateFallback(bytes);
}

}  // namespace kvstore
