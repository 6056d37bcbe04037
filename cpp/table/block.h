// Block: an immutable, parsed block (the format written by BlockBuilder).
//
// A Block owns its bytes. Its iterators point into them, so the Block must
// outlive every iterator it returns. A Block is safe for concurrent use by
// many threads; each iterator is used by one thread at a time.
//
// Malformed contents never cause out-of-bounds reads: a block whose restart
// array is inconsistent yields an iterator whose status() is Corruption, and
// an entry that does not decode stops iteration with Corruption.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "kvstore/iterator.h"
#include "util/comparator.h"

namespace kvstore {

class Block {
 public:
  explicit Block(std::string contents);
  Block(const Block&) = delete;
  Block& operator=(const Block&) = delete;

  size_t size() const { return data_.size(); }
  // Entries must have been added in cmp order; cmp must outlive the iterator.
  std::unique_ptr<Iterator> NewIterator(const Comparator* cmp) const;

 private:
  std::string data_;
  uint32_t restart_offset_ = 0;  // where the restart array begins
  uint32_t num_restarts_ = 0;
  bool malformed_ = false;
};

}  // namespace kvstore
