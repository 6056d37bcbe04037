// BlockBuilder: serializes sorted key/value pairs into one block.
//
//   block   = entry* | fixed32 restart_offset* | fixed32 num_restarts
//   entry   = varint32 shared | varint32 non_shared | varint32 value_len
//             | key bytes [shared, shared + non_shared) | value bytes
//
// Each key is stored as the length of the prefix it shares with the previous
// key plus the remaining bytes. Every restart_interval entries the full key
// is stored (shared = 0) and the entry's offset is recorded as a restart
// point, which is what Block's binary search uses. A block always has at
// least one restart point (offset 0), even when it holds no entries.
//
// Not thread-safe. The builder does not know the comparator: callers add keys
// in strictly increasing order.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kvstore/slice.h"

namespace kvstore {

class BlockBuilder {
 public:
  // restart_interval < 1 is treated as 1.
  explicit BlockBuilder(int restart_interval);
  BlockBuilder(const BlockBuilder&) = delete;
  BlockBuilder& operator=(const BlockBuilder&) = delete;

  // REQUIRES: Finish() not called since the last Reset(); key greater than
  // every key added before.
  void Add(Slice key, Slice value);
  // Appends the restart array. The slice stays valid until Reset() or
  // destruction.
  Slice Finish();
  // Back to an empty builder (keeps the allocated buffer).
  void Reset();
  // Size of the block if Finish() were called now.
  size_t CurrentSizeEstimate() const;
  bool empty() const { return buffer_.empty(); }

 private:
  const int restart_interval_;
  std::string buffer_;
  std::vector<uint32_t> restarts_;
  int counter_ = 0;  // entries since the last restart point
  bool finished_ = false;
  std::string last_key_;
};

}  // namespace kvstore
