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

namespace {

// Reads a length-prefixed slice from [*p, limit): one-byte lengths inline.
bool ReadLengthPrefixed(const char** p, const char* limit, Slice* result) {
  uint32_t len = 0;
  const char* q = GetVarint32Ptr(*p, limit, &len);
  if (q == nullptr || static_cast<size_t>(limit - q) < len) return false;
  *result = Slice(q, len);
  *p = q + len;
  return true;
}

// Decodes rep's records in order, calling put(key, value) / del(key) for each;
// Corruption if the encoding is damaged. A template, so the memtable inserter
// runs without a virtual call per record.
template <typename Put, typename Delete>
Status ForEachRecord(Slice rep, uint32_t count, Put&& put, Delete&& del) {
  if (rep.size() < WriteBatchInternal::kHeader) {
    return Status::Corruption("write batch: too small");
  }
  const char* p = rep.data() + WriteBatchInternal::kHeader;
  const char* const limit = rep.data() + rep.size();
  uint32_t found = 0;
  while (p != limit) {
    found++;
    const char tag = *p++;
    Slice key, value;
    switch (tag) {
      case kTypeValue:
        if (!ReadLengthPrefixed(&p, limit, &key) || !ReadLengthPrefixed(&p, limit, &value)) {
          return Status::Corruption("write batch: bad put record");
        }
        put(key, value);
        break;
      case kTypeDeletion:
        if (!ReadLengthPrefixed(&p, limit, &key)) {
          return Status::Corruption("write batch: bad delete record");
        }
        del(key);
        break;
      default:
        return Status::Corruption("write batch: unknown record tag");
    }
  }
  if (found != count) return Status::Corruption("write batch: wrong count");
  return Status::OK();
}

}  // namespace

Status WriteBatch::Iterate(Handler* handler) const {
  return ForEachRecord(
      rep_, Count(), [handler](Slice key, Slice value) { handler->Put(key, value); },
      [handler](Slice key) { handler->Delete(key); });
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

Status WriteBatchInternal::InsertInto(const WriteBatch* b, MemTable* mem) {
  SequenceNumber seq = Sequence(b);
  return ForEachRecord(
      b->rep_, Count(b), [&](Slice key, Slice value) { mem->Add(seq++, kTypeValue, key, value); },
      [&](Slice key) { mem->Add(seq++, kTypeDeletion, key, Slice()); });
}

Status WriteBatchInternal::InsertIntoConcurrently(const WriteBatch* b, SequenceNumber seq,
                                                  MemTable* mem) {
  return ForEachRecord(
      b->rep_, Count(b),
      [&](Slice key, Slice value) { mem->AddConcurrently(seq++, kTypeValue, key, value); },
      [&](Slice key) { mem->AddConcurrently(seq++, kTypeDeletion, key, Slice()); });
}

void WriteBatchInternal::Append(WriteBatch* dst, const WriteBatch* src) {
  SetCount(dst, Count(dst) + Count(src));
  dst->rep_.append(src->rep_.data() + kHeader, src->rep_.size() - kHeader);
}

}  // namespace kvstore
