#include "db/version_edit.h"

#include "util/coding.h"

namespace kvstore {

namespace {

// Field tags; values are part of the MANIFEST format and must never change.
enum Tag : uint32_t {
  kComparator = 1,
  kLogNumber = 2,
  kNextFileNumber = 3,
  kLastSequence = 4,
  kCompactPointer = 5,
  kDeletedFile = 6,
  kNewFile = 7,
};

// Levels 0..6 (the DB's kNumLevels).
constexpr uint32_t kLevelLimit = 7;

bool GetLevel(Slice* input, int* level) {
  uint32_t v;
  if (!GetVarint32(input, &v) || v >= kLevelLimit) return false;
  *level = static_cast<int>(v);
  return true;
}

bool GetInternalKey(Slice* input, InternalKey* key) {
  Slice s;
  ParsedInternalKey parsed;
  if (!GetLengthPrefixedSlice(input, &s) || !ParseInternalKey(s, &parsed)) return false;
  return key->DecodeFrom(s);
}

std::string KeyDebugString(const InternalKey& key) {
  ParsedInternalKey p;
  if (!ParseInternalKey(key.Encode(), &p)) return "(bad internal key)";
  std::string r = "'";
  for (char c : p.user_key) {
    auto b = static_cast<unsigned char>(c);
    if (b >= 0x20 && b < 0x7f && c != '\\' && c != '\'') {
      r += c;
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      r += "\\x";
      r += kHex[b >> 4];
      r += kHex[b & 0xf];
    }
  }
  r += "' @ " + std::to_string(p.sequence) + (p.type == kTypeValue ? " : value" : " : deletion");
  return r;
}

}  // namespace

void VersionEdit::Clear() { *this = VersionEdit(); }

void VersionEdit::SetComparatorName(Slice name) {
  has_comparator_ = true;
  comparator_.assign(name.data(), name.size());
}

void VersionEdit::SetLogNumber(uint64_t num) {
  has_log_number_ = true;
  log_number_ = num;
}

void VersionEdit::SetNextFile(uint64_t num) {
  has_next_file_number_ = true;
  next_file_number_ = num;
}

void VersionEdit::SetLastSequence(SequenceNumber seq) {
  has_last_sequence_ = true;
  last_sequence_ = seq;
}

void VersionEdit::SetCompactPointer(int level, const InternalKey& key) {
  compact_pointers_.emplace_back(level, key);
}

void VersionEdit::AddFile(int level, uint64_t number, uint64_t file_size,
                          const InternalKey& smallest, const InternalKey& largest) {
  FileMetaData f;
  f.number = number;
  f.file_size = file_size;
  f.smallest = smallest;
  f.largest = largest;
  new_files_.emplace_back(level, std::move(f));
}

void VersionEdit::RemoveFile(int level, uint64_t number) { deleted_files_.emplace(level, number); }

void VersionEdit::EncodeTo(std::string* dst) const {
  if (has_comparator_) {
    PutVarint32(dst, kComparator);
    PutLengthPrefixedSlice(dst, comparator_);
  }
  if (has_log_number_) {
    PutVarint32(dst, kLogNumber);
    PutVarint64(dst, log_number_);
  }
  if (has_next_file_number_) {
    PutVarint32(dst, kNextFileNumber);
    PutVarint64(dst, next_file_number_);
  }
  if (has_last_sequence_) {
    PutVarint32(dst, kLastSequence);
    PutVarint64(dst, last_sequence_);
  }
  for (const auto& [level, key] : compact_pointers_) {
    PutVarint32(dst, kCompactPointer);
    PutVarint32(dst, static_cast<uint32_t>(level));
    PutLengthPrefixedSlice(dst, key.Encode());
  }
  for (const auto& [level, number] : deleted_files_) {
    PutVarint32(dst, kDeletedFile);
    PutVarint32(dst, static_cast<uint32_t>(level));
    PutVarint64(dst, number);
  }
  for (const auto& [level, f] : new_files_) {
    PutVarint32(dst, kNewFile);
    PutVarint32(dst, static_cast<uint32_t>(level));
    PutVarint64(dst, f.number);
    PutVarint64(dst, f.file_size);
    PutLengthPrefixedSlice(dst, f.smallest.Encode());
    PutLengthPrefixedSlice(dst, f.largest.Encode());
  }
}

Status VersionEdit::DecodeFrom(Slice src) {
  Clear();
  Slice input = src;
  const char* error = nullptr;
  while (error == nullptr && !input.empty()) {
    uint32_t tag;
    if (!GetVarint32(&input, &tag)) {
      error = "tag";
      break;
    }
    int level;
    uint64_t number;
    InternalKey key;
    Slice str;
    switch (tag) {
      case kComparator:
        if (GetLengthPrefixedSlice(&input, &str)) {
          SetComparatorName(str);
        } else {
          error = "comparator name";
        }
        break;
      case kLogNumber:
        if (GetVarint64(&input, &number)) {
          SetLogNumber(number);
        } else {
          error = "log number";
        }
        break;
      case kNextFileNumber:
        if (GetVarint64(&input, &number)) {
          SetNextFile(number);
        } else {
          error = "next file number";
        }
        break;
      case kLastSequence:
        if (GetVarint64(&input, &number)) {
          SetLastSequence(number);
        } else {
          error = "last sequence number";
        }
        break;
      case kCompactPointer:
        if (GetLevel(&input, &level) && GetInternalKey(&input, &key)) {
          SetCompactPointer(level, key);
        } else {
          error = "compaction pointer";
        }
        break;
      case kDeletedFile:
        if (GetLevel(&input, &level) && GetVarint64(&input, &number)) {
          RemoveFile(level, number);
        } else {
          error = "deleted file";
        }
        break;
      case kNewFile: {
        uint64_t file_size;
        InternalKey largest;
        if (GetLevel(&input, &level) && GetVarint64(&input, &number) &&
            GetVarint64(&input, &file_size) && GetInternalKey(&input, &key) &&
            GetInternalKey(&input, &largest)) {
          AddFile(level, number, file_size, key, largest);
        } else {
          error = "new-file entry";
        }
        break;
      }
      default:
        error = "unknown tag";
        break;
    }
  }
  if (error != nullptr) {
    Clear();
    return Status::Corruption("VersionEdit", error);
  }
  return Status::OK();
}

std::string VersionEdit::DebugString() const {
  std::string r = "VersionEdit {";
  if (has_comparator_) r += "\n  Comparator: " + comparator_;
  if (has_log_number_) r += "\n  LogNumber: " + std::to_string(log_number_);
  if (has_next_file_number_) r += "\n  NextFile: " + std::to_string(next_file_number_);
  if (has_last_sequence_) r += "\n  LastSeq: " + std::to_string(last_sequence_);
  for (const auto& [level, key] : compact_pointers_) {
    r += "\n  CompactPointer: L" + std::to_string(level) + " " + KeyDebugString(key);
  }
  for (const auto& [level, number] : deleted_files_) {
    r += "\n  RemoveFile: L" + std::to_string(level) + " #" + std::to_string(number);
  }
  for (const auto& [level, f] : new_files_) {
    r += "\n  AddFile: L" + std::to_string(level) + " #" + std::to_string(f.number) + " " +
         std::to_string(f.file_size) + " bytes [" + KeyDebugString(f.smallest) + " .. " +
         KeyDebugString(f.largest) + "]";
  }
  r += "\n}\n";
  return r;
}

}  // namespace kvstore
