// WriteBatch: an ordered set of puts and deletes applied atomically by
// DB::Write — after a crash either all of a batch is present or none of it.
//
// Not thread safe: one thread builds a batch. The encoding (rep) is the WAL
// record payload; see docs/format.md.
#pragma once

#include <cstdint>
#include <string>

#include "kvstore/slice.h"
#include "kvstore/status.h"

namespace kvstore {

class WriteBatch {
 public:
  WriteBatch();
  // Reserves room for about reserved_bytes of encoded batch (ApproximateSize),
  // so a batch whose size is known up front grows without reallocating.
  explicit WriteBatch(size_t reserved_bytes);

  void Put(Slice key, Slice value);
  void Delete(Slice key);
  // Appends every operation of src after those of this batch.
  void Append(const WriteBatch& src);
  void Clear();

  uint32_t Count() const;
  // Bytes of the encoded batch (a close estimate of its memory and WAL cost).
  size_t ApproximateSize() const { return rep_.size(); }

  class Handler {
   public:
    virtual ~Handler();
    virtual void Put(Slice key, Slice value) = 0;
    virtual void Delete(Slice key) = 0;
  };
  // Calls handler for each operation in order; Corruption if the encoding is damaged.
  Status Iterate(Handler* handler) const;

 private:
  friend class WriteBatchInternal;
  std::string rep_;  // sequence (fixed64) | count (fixed32) | records
};

}  // namespace kvstore
