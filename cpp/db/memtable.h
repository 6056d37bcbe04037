// MemTable: the in-memory, sorted write buffer. Every write lands here (after
// the WAL) until the table is frozen and flushed to a level-0 SST.
//
// Contract:
//   * Add() needs external synchronisation: one writer at a time;
//     AddConcurrently() may run on many threads at once (not overlapping Add).
//   * Get(), NewIterator() and iterator use need none and may run
//     concurrently with the writer (the skiplist is lock-free for readers).
//   * ApproximateMemoryUsage() may be called from any thread.
//   * Entries are never removed. Memory is freed when the MemTable is
//     destroyed. The DB owns memtables through std::shared_ptr<MemTable>; an
//     iterator does not keep its memtable alive, so whoever hands an iterator
//     out must pin the shared_ptr for the iterator's lifetime (e.g. with
//     Iterator::RegisterCleanup).
//
// Entry encoding in the arena (one contiguous allocation per entry):
//   varint32 internal_key_len | user_key | fixed64 (seq << 8 | type)
//   | varint32 value_len | value
// Entries sort by internal key: user key ascending, then sequence descending.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "db/dbformat.h"
#include "db/skiplist.h"
#include "kvstore/iterator.h"
#include "util/arena.h"

namespace kvstore {

class MemTable {
 public:
  explicit MemTable(const InternalKeyComparator& cmp);
  MemTable(const MemTable&) = delete;
  MemTable& operator=(const MemTable&) = delete;

  // Bytes allocated for entries and index so far.
  size_t ApproximateMemoryUsage() const;
  // True if nothing was added yet.
  bool Empty() const;

  // key() is the internal key, value() the value (empty for deletions).
  // Seek() takes an internal key. status() is always OK.
  std::unique_ptr<Iterator> NewIterator() const;

  // One writer at a time. A (user_key, seq) pair must not be added twice.
  void Add(SequenceNumber seq, ValueType type, Slice user_key, Slice value);
  // Like Add, but any number of threads may call it at once (never overlapping
  // with Add). Used when a commit group's writers insert their own batches.
  void AddConcurrently(SequenceNumber seq, ValueType type, Slice user_key, Slice value);

  // Looks up the newest entry for key.user_key() with sequence <= the lookup's
  // sequence. Returns false if there is none. Otherwise returns true and:
  // a value => *value set and *s = OK; a deletion => *s = NotFound.
  bool Get(const LookupKey& key, std::string* value, Status* s) const;

 private:
  // Orders entries (pointers to length-prefixed internal keys) as comparator
  // orders their internal keys (inline for the bytewise user order).
  struct KeyComparator {
    InternalKeyComparator comparator;
    int operator()(const char* a, const char* b) const;
  };
  using Table = SkipList<const char*, KeyComparator>;
  void AddImpl(SequenceNumber seq, ValueType type, Slice user_key, Slice value, bool concurrent);
  class MemTableIterator;

  KeyComparator comparator_;
  Arena arena_;
  Table table_;
};

}  // namespace kvstore
