#include "db/memtable.h"

#include <cstring>

#include "util/coding.h"

namespace kvstore {

namespace {

// Decodes the length-prefixed slice starting at p. Entries were written by
// Add(), so the varint is known to be well formed.
Slice GetLengthPrefixed(const char* p) {
  uint32_t len = 0;
  const char* q = GetVarint32Ptr(p, p + 5, &len);
  return Slice(q, len);
}

}  // namespace

// Runs at every step of every memtable search: small enough to inline there.
// InternalKeyComparator::Compare is itself inline, and with the bytewise user
// order compares without a virtual call (InternalBytewiseCompare).
[[gnu::always_inline]] inline int MemTable::KeyComparator::operator()(const char* a,
                                                                      const char* b) const {
  return comparator.Compare(GetLengthPrefixed(a), GetLengthPrefixed(b));
}

class MemTable::MemTableIterator final : public Iterator {
 public:
  explicit MemTableIterator(const Table* table) : iter_(table) {}

  bool Valid() const override { return iter_.Valid(); }
  void SeekToFirst() override { iter_.SeekToFirst(); }
  void SeekToLast() override { iter_.SeekToLast(); }
  void Seek(Slice target) override {
    // The skiplist compares entries, so give the target an entry's prefix.
    seek_key_.clear();
    PutLengthPrefixedSlice(&seek_key_, target);
    iter_.Seek(seek_key_.data());
  }
  void Next() override { iter_.Next(); }
  void Prev() override { iter_.Prev(); }
  Slice key() const override { return GetLengthPrefixed(iter_.key()); }
  Slice value() const override {
    Slice k = GetLengthPrefixed(iter_.key());
    return GetLengthPrefixed(k.data() + k.size());
  }
  Status status() const override { return Status::OK(); }

 private:
  Table::Iterator iter_;
  std::string seek_key_;
};

MemTable::MemTable(const InternalKeyComparator& cmp)
    : comparator_{cmp},
      table_(comparator_, &arena_) {}

size_t MemTable::ApproximateMemoryUsage() const { return arena_.MemoryUsage(); }

bool MemTable::Empty() const {
  Table::Iterator it(&table_);
  it.SeekToFirst();
  return !it.Valid();
}

std::unique_ptr<Iterator> MemTable::NewIterator() const {
  return std::make_unique<MemTableIterator>(&table_);
}

void MemTable::Add(SequenceNumber seq, ValueType type, Slice user_key, Slice value) {
  AddImpl(seq, type, user_key, value, /*concurrent=*/false);
}

void MemTable::AddConcurrently(SequenceNumber seq, ValueType type, Slice user_key, Slice value) {
  AddImpl(seq, type, user_key, value, /*concurrent=*/true);
}

void MemTable::AddImpl(SequenceNumber seq, ValueType type, Slice user_key, Slice value,
                       bool concurrent) {
  size_t key_size = user_key.size();
  size_t internal_key_size = key_size + 8;
  size_t encoded_len = VarintLength(internal_key_size) + internal_key_size +
                       VarintLength(value.size()) + value.size();
  char* buf = concurrent ? arena_.AllocateLocked(encoded_len) : arena_.Allocate(encoded_len);
  char* p = EncodeVarint32(buf, static_cast<uint32_t>(internal_key_size));
  if (key_size > 0) std::memcpy(p, user_key.data(), key_size);  // data() may be null when empty
  p += key_size;
  EncodeFixed64(p, PackSequenceAndType(seq, type));
  p += 8;
  p = EncodeVarint32(p, static_cast<uint32_t>(value.size()));
  if (!value.empty()) std::memcpy(p, value.data(), value.size());
  if (concurrent) {
    table_.InsertConcurrently(buf);
  } else {
    table_.Insert(buf);
  }
}

bool MemTable::Get(const LookupKey& key, std::string* value, Status* s) const {
  Table::Iterator iter(&table_);
  iter.Seek(key.memtable_key().data());
  if (!iter.Valid()) return false;
  // The seek skipped every entry of this user key newer than the snapshot, so
  // the entry found is the answer if it is for the same user key.
  Slice internal_key = GetLengthPrefixed(iter.key());
  if (comparator_.comparator.user_comparator()->Compare(ExtractUserKey(internal_key),
                                                        key.user_key()) != 0) {
    return false;
  }
  switch (static_cast<ValueType>(ExtractTag(internal_key) & 0xff)) {
    case kTypeValue: {
      Slice v = GetLengthPrefixed(internal_key.data() + internal_key.size());
      value->assign(v.data(), v.size());
      *s = Status::OK();
      return true;
    }
    case kTypeDeletion:
      *s = Status::NotFound(Slice());
      return true;
  }
  return false;
}

}  // namespace kvstore
