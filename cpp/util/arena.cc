#include "util/arena.h"

#include <cstdint>

namespace kvstore {

namespace {
constexpr size_t kAlign = alignof(std::max_align_t);
}  // namespace

char* Arena::NewBlock(size_t block_bytes) {
  // operator new[] for char returns memory aligned for any fundamental type.
  blocks_.push_back(std::make_unique_for_overwrite<char[]>(block_bytes));
  memory_usage_.fetch_add(block_bytes + sizeof(std::unique_ptr<char[]>), std::memory_order_relaxed);
  return blocks_.back().get();
}

char* Arena::AllocateFallback(size_t bytes) {
  if (bytes > kBlockSize / 4) {
    // Large objects get their own block so the current block's tail is not wasted.
    return NewBlock(bytes);
  }
  alloc_ptr_ = NewBlock(kBlockSize);
  alloc_remaining_ = kBlockSize - bytes;
  char* result = alloc_ptr_;
  alloc_ptr_ += bytes;
  return result;
}

char* Arena::AllocateAligned(size_t bytes) {
  size_t misalign = reinterpret_cast<uintptr_t>(alloc_ptr_) & (kAlign - 1);
  size_t slop = misalign == 0 ? 0 : kAlign - misalign;
  size_t needed = bytes + slop;
  if (needed <= alloc_remaining_) {
    char* result = alloc_ptr_ + slop;
    alloc_ptr_ += needed;
    alloc_remaining_ -= needed;
    return result;
  }
  return AllocateFallback(bytes);  // new blocks start aligned
}

}  // namespace kvstore
