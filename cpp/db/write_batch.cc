#include "kvstore/write_batch.h"

#include <algorithm>
#include <cstring>

#include "db/memtable.h"
#include "db/write_batch_internal.h"
#include "util/coding.h"

namespace kvstore {

WriteBatch::Handler::~Handler() = default;

WriteBatch::WriteBatch() { Clear(); }

WriteBatch::WriteBatch(size_t reserved_bytes) {
  rep_.reserve(std::max(reserved_bytes, WriteBatchInternal::kHeader));
  Clear();
}

void WriteBatch::Clear() {
  rep_.clear();
  rep_.resize(WriteBatchInternal::kHeader);
}

uint32_t WriteBatch::Count() const { return WriteBatchInternal::Count(this); }

namespace {

// Appends a record of n bytes to rep in one growth; returns where it starts.
char* GrowBy(std::string* rep, size_t n) {
  const size_t old = rep->size();
  rep->resize(old + n);
  return rep->data() + old;
}

char* EncodeLengthPrefixed(char* p, Slice s) {
  p = EncodeVarint32(p, static_cast<uint32_t>(s.size()));
  if (!s.empty()) std::memcpy(p, s.data(), s.size());  // data() may be null when empty
  return p + s.size();
}

}  // namespace

void WriteBatch::Put(Slice key, Slice value) {
  WriteBatchInternal::SetCount(this, Count() + 1);
  char* p = GrowBy(&rep_, 1 + VarintLength(key.size()) + key.size() + VarintLength(value.size()) +
                              value.size());
  *p++ = static_cast<char>(kTypeValue);
  p = EncodeLengthPrefixed(p, key);
  EncodeLengthPrefixed(p, value);
}

void WriteBatch::Delete(Slice key) {
  WriteBatchInternal::SetCount(this, Count() + 1);
  char* p = GrowBy(&rep_, 1 + VarintLength(key.size()) + key.size());
  *p++ = static_cast<char>(kTypeDeletion);
  EncodeLengthPrefixed(p, key);
}

void WriteBatch::Append(const WriteBatch& src) { WriteBatchInternal::Append(this, &src); }

Status WriteBatch::Iterate(Handler* handler) const {
  Slice input(rep_);
  if (input.size() < WriteBatchInternal::kHeader) {
    return Status::Corruption("write batch: too small");
  }
  input.remove_prefix(WriteBatchInternal::kHeader);
  uint32_t found = 0;
  while (!input.empty()) {
    found++;
    char tag = input[0];
    input.remove_prefix(1);
    Slice key, value;
    switch (tag) {
      case kTypeValue:
        if (!GetLengthPrefixedSlice(&input, &key) || !GetLengthPrefixedSlice(&input, &value)) {
          return Status::Corruption("write batch: bad put record");
        }
        handler->Put(key, value);
        break;
      case kTypeDeletion:
        if (!GetLengthPrefixedSlice(&input, &key)) {
          return Status::Corruption("write batch: bad delete record");
        }
        handler->Delete(key);
        break;
      default:
        return Status::Corruption("write batch: unknown record tag");
    }
  }
  if (found != Count()) return Status::Corruption("write batch: wrong count");
  return Status::OK();
}

uint32_t WriteBatchInternal::Count(const WriteBatch* b) { return DecodeFixed32(b->rep_.data() + 8); }

void WriteBatchInternal::SetCount(WriteBatch* b, uint32_t n) { EncodeFixed32(&b->rep_[8], n); }

SequenceNumber WriteBatchInternal::Sequence(const WriteBatch* b) {
  return DecodeFixed64(b->rep_.data());
}

void WriteBatchInternal::SetSequence(WriteBatch* b, SequenceNumber seq) {
  EncodeFixed64(&b->rep_[0], seq);
}

Status WriteBatchInternal::SetContents(WriteBatch* b, Slice contents) {
  if (contents.size() < kHeader) return Status::Corruption("log record too small for a write batch");
  b->rep_.assign(contents.data(), contents.size());
  return Status::OK();
}

namespace {

class MemTableInserter final : public WriteBatch::Handler {
 public:
  MemTableInserter(SequenceNumber seq, MemTable* mem, bool concurrent)
      : seq_(seq), mem_(mem), concurrent_(concurrent) {}
  void Put(Slice key, Slice value) override { Add(kTypeValue, key, value); }
  void Delete(Slice key) override { Add(kTypeDeletion, key, Slice()); }

 private:
  void Add(ValueType type, Slice key, Slice value) {
    if (concurrent_) {
      mem_->AddConcurrently(seq_++, type, key, value);
    } else {
      mem_->Add(seq_++, type, key, value);
    }
  }
  SequenceNumber seq_;
  MemTable* mem_;
  bool concurrent_;
};

}  // namespace

Status WriteBatchInternal::InsertInto(const WriteBatch* b, MemTable* mem) {
  MemTableInserter inserter(Sequence(b), mem, /*concurrent=*/false);
  return b->Iterate(&inserter);
}

Status WriteBatchInternal::InsertIntoConcurrently(const WriteBatch* b, SequenceNumber seq,
                                                  MemTable* mem) {
  MemTableInserter inserter(seq, mem, /*concurrent=*/true);
  return b->Iterate(&inserter);
}

void WriteBatchInternal::Append(WriteBatch* dst, const WriteBatch* src) {
  SetCount(dst, Count(dst) + Count(src));
  dst->rep_.append(src->rep_.data() + kHeader, src->rep_.size() - kHeader);
}

}  // namespace kvstore
