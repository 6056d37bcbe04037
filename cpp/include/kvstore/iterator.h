// Iterator: one contract for every ordered sequence of key/value pairs in the
// engine (memtable, block, table, merging and DB iterators).
//
// An iterator is used by one thread at a time. key() and value() stay valid only
// until the next call that moves the iterator. After a failure Valid() is false
// and status() says why; a clean end of data leaves status() OK.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "kvstore/slice.h"
#include "kvstore/status.h"

namespace kvstore {

class Iterator {
 public:
  Iterator() = default;
  Iterator(const Iterator&) = delete;
  Iterator& operator=(const Iterator&) = delete;
  virtual ~Iterator();

  virtual bool Valid() const = 0;
  virtual void SeekToFirst() = 0;
  virtual void SeekToLast() = 0;
  // Position at the first entry with key >= target.
  virtual void Seek(Slice target) = 0;
  // REQUIRES: Valid()
  virtual void Next() = 0;
  // REQUIRES: Valid()
  virtual void Prev() = 0;
  // REQUIRES: Valid()
  virtual Slice key() const = 0;
  // REQUIRES: Valid()
  virtual Slice value() const = 0;
  virtual Status status() const = 0;

  // Runs fn when the iterator is destroyed (releases what the iterator pins).
  void RegisterCleanup(std::function<void()> fn) { cleanups_.push_back(std::move(fn)); }

 private:
  std::vector<std::function<void()>> cleanups_;
};

// An iterator over nothing, optionally carrying an error status.
std::unique_ptr<Iterator> NewEmptyIterator(Status status = Status::OK());

}  // namespace kvstore
