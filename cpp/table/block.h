// Block: an immutable, parsed block (the format written by BlockBuilder).
//
// A Block owns its bytes. Its iterators point into them, so the Block must
// outlive every iterator it returns. A Block is safe for concurrent use by
// many threads; each iterator is used by one thread at a time.
//
// Malformed contents never cause out-of-bounds reads: a block whose restart
// array is inconsistent yields an iterator whose status() is Corruption, and
// an entry that does not decode stops iteration with Corruption.
//
// Point lookups use Block::Seek instead of an iterator: no virtual calls
// beyond the comparator, no allocation for keys up to BlockKey::kInline
// bytes, and the same checks (and Corruption statuses) as the iterator.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

#include "kvstore/iterator.h"
#include "kvstore/status.h"
#include "util/comparator.h"

namespace kvstore {

// A key rebuilt from a block's prefix-compressed entries: held inline up to
// kInline bytes, on the heap beyond. Not copyable (it may point into itself).
class BlockKey {
 public:
  static constexpr size_t kInline = 128;

  BlockKey() = default;
  BlockKey(const BlockKey&) = delete;
  BlockKey& operator=(const BlockKey&) = delete;

  Slice slice() const { return Slice(data_, size_); }
  size_t size() const { return size_; }
  // Keeps the first n bytes (n <= size()).
  void Truncate(size_t n) { size_ = n; }
  void Append(const char* p, size_t n) {
    if (n > capacity_ - size_) Grow(size_ + n);
    std::memcpy(data_ + size_, p, n);
    size_ += n;
  }

 private:
  void Grow(size_t need);

  char* data_ = inline_;
  size_t size_ = 0;
  size_t capacity_ = kInline;
  std::unique_ptr<char[]> heap_;  // data_ when capacity_ > kInline
  char inline_[kInline];
};

class Block {
 public:
  explicit Block(std::string contents);
  Block(const Block&) = delete;
  Block& operator=(const Block&) = delete;

  size_t size() const { return data_.size(); }
  // Entries must have been added in cmp order; cmp must outlive the iterator.
  std::unique_ptr<Iterator> NewIterator(const Comparator* cmp) const;

  // The first entry with key >= *target in cmp order (the first entry of the
  // block when target is null), found like the iterator's Seek: a binary
  // search over the restart points, then a scan that stops at the first key
  // >= target. Returns OK with *found = false when there is none; on success
  // with *found, *key holds the entry's key and *value points into the block.
  // Corruption ("bad block contents", "bad entry in block") exactly where an
  // iterator would report it.
  Status Seek(const Comparator* cmp, const Slice* target, BlockKey* key, Slice* value,
              bool* found) const {
    return SeekIn(ComparatorOrder{cmp}, target, key, value, found);
  }
  // The same with an order from util/comparator.h (ComparatorOrder or the
  // inline InternalBytewiseOrder), which must be the block's order.
  template <class Order>
  Status SeekIn(const Order& order, const Slice* target, BlockKey* key, Slice* value,
                bool* found) const;

 private:
  std::string data_;
  uint32_t restart_offset_ = 0;  // where the restart array begins
  uint32_t num_restarts_ = 0;
  bool malformed_ = false;
};

}  // namespace kvstore
