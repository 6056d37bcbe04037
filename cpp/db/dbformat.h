// Internal keys: how the engine tags every user key with a sequence number and
// an operation type so that many versions of a key can coexist.
//
//   internal key = user_key | fixed64( (sequence << 8) | type )
//
// Internal keys sort by user key ascending, then sequence descending (newest
// first), then type descending. See docs/format.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "kvstore/slice.h"
#include "util/coding.h"
#include "util/comparator.h"

namespace kvstore {

using SequenceNumber = uint64_t;
// Sequence numbers use 56 bits, leaving 8 for the type.
inline constexpr SequenceNumber kMaxSequenceNumber = (uint64_t{1} << 56) - 1;

enum ValueType : unsigned char {
  kTypeDeletion = 0x0,
  kTypeValue = 0x1,
};
// Seeks use the highest type so that a lookup key sorts before every entry of its sequence.
inline constexpr ValueType kValueTypeForSeek = kTypeValue;

inline uint64_t PackSequenceAndType(SequenceNumber seq, ValueType t) { return (seq << 8) | t; }

struct ParsedInternalKey {
  Slice user_key;
  SequenceNumber sequence = 0;
  ValueType type = kTypeValue;
};

void AppendInternalKey(std::string* result, const ParsedInternalKey& key);

// REQUIRES: internal_key.size() >= 8
inline Slice ExtractUserKey(Slice internal_key) {
  return Slice(internal_key.data(), internal_key.size() - 8);
}
inline uint64_t ExtractTag(Slice internal_key) {
  return DecodeFixed64(internal_key.data() + internal_key.size() - 8);
}

// False if the key is too short or its type byte is unknown. Inline: DB
// iterators parse every entry they step over.
inline bool ParseInternalKey(Slice internal_key, ParsedInternalKey* result) {
  if (internal_key.size() < 8) return false;
  const uint64_t tag = ExtractTag(internal_key);
  const auto type = static_cast<unsigned char>(tag & 0xff);
  if (type > kTypeValue) return false;
  result->user_key = ExtractUserKey(internal_key);
  result->sequence = tag >> 8;
  result->type = static_cast<ValueType>(type);
  return true;
}

// Orders internal keys; wraps the user-key comparator.
class InternalKeyComparator final : public Comparator {
 public:
  explicit InternalKeyComparator(const Comparator* user)
      : user_(user), bytewise_(user == BytewiseComparator()) {}
  // Inline, with the bytewise user order compared directly (no virtual call):
  // this runs for every step of every memtable, block and merge search.
  int Compare(Slice a, Slice b) const override {
    if (bytewise_) return InternalBytewiseCompare(a, b);
    Slice ua = ExtractUserKey(a);
    Slice ub = ExtractUserKey(b);
    int r = user_->Compare(ua, ub);
    if (r == 0) {
      uint64_t atag = ExtractTag(a);
      uint64_t btag = ExtractTag(b);
      r = atag > btag ? -1 : (atag < btag ? +1 : 0);
    }
    return r;
  }
  const char* Name() const override { return "kvstore.InternalKeyComparator"; }
  void FindShortestSeparator(std::string* start, Slice limit) const override;
  void FindShortSuccessor(std::string* key) const override;
  const Comparator* user_comparator() const { return user_; }
  // The user order is bytewise: Compare is InternalBytewiseCompare.
  bool bytewise() const { return bytewise_; }

 private:
  const Comparator* user_;
  bool bytewise_;
};

// An owned internal key (file boundaries in version edits).
class InternalKey {
 public:
  InternalKey() = default;
  InternalKey(Slice user_key, SequenceNumber s, ValueType t) {
    AppendInternalKey(&rep_, ParsedInternalKey{user_key, s, t});
  }
  bool DecodeFrom(Slice s) {
    rep_.assign(s.data(), s.size());
    return !rep_.empty();
  }
  Slice Encode() const { return rep_; }
  Slice user_key() const { return ExtractUserKey(rep_); }
  void SetFrom(const ParsedInternalKey& p) {
    rep_.clear();
    AppendInternalKey(&rep_, p);
  }
  void Clear() { rep_.clear(); }
  bool empty() const { return rep_.empty(); }

 private:
  std::string rep_;
};

// A key prepared for a memtable or table lookup at a snapshot:
//   varint32(internal_key.size()) | user_key | fixed64(tag)
class LookupKey {
 public:
  LookupKey(Slice user_key, SequenceNumber sequence);
  LookupKey(const LookupKey&) = delete;
  LookupKey& operator=(const LookupKey&) = delete;
  ~LookupKey();

  // The memtable key (length-prefixed internal key).
  Slice memtable_key() const { return Slice(start_, end_ - start_); }
  Slice internal_key() const { return Slice(kstart_, end_ - kstart_); }
  Slice user_key() const { return Slice(kstart_, end_ - kstart_ - 8); }

 private:
  const char* start_;
  const char* kstart_;
  const char* end_;
  char space_[200];  // avoids an allocation for short keys
};

}  // namespace kvstore
