// Engine-side access to a WriteBatch's encoding:
//   fixed64 sequence | fixed32 count | count x record
//   record = kTypeValue varstring(key) varstring(value) | kTypeDeletion varstring(key)
#pragma once

#include "db/dbformat.h"
#include "kvstore/write_batch.h"

namespace kvstore {

class MemTable;

class WriteBatchInternal {
 public:
  static constexpr size_t kHeader = 12;

  static uint32_t Count(const WriteBatch* b);
  static void SetCount(WriteBatch* b, uint32_t n);
  static SequenceNumber Sequence(const WriteBatch* b);
  static void SetSequence(WriteBatch* b, SequenceNumber seq);
  static Slice Contents(const WriteBatch* b) { return b->rep_; }
  static size_t ByteSize(const WriteBatch* b) { return b->rep_.size(); }
  // Corruption if contents is shorter than the header.
  static Status SetContents(WriteBatch* b, Slice contents);
  // Applies the batch to mem with consecutive sequence numbers from Sequence(b).
  static Status InsertInto(const WriteBatch* b, MemTable* mem);
  // The same with MemTable::AddConcurrently, at sequence numbers from seq.
  static Status InsertIntoConcurrently(const WriteBatch* b, SequenceNumber seq, MemTable* mem);
  static void Append(WriteBatch* dst, const WriteBatch* src);
};

}  // namespace kvstore
