#include "table/mem_file_testutil.h"

#include <algorithm>
#include <cstring>

namespace kvstore {

Status StringSink::Append(Slice data) {
  contents_.append(data.data(), data.size());
  return Status::OK();
}

Status StringSource::Read(uint64_t offset, size_t n, Slice* result, char* scratch) const {
  reads_++;
  bytes_ += n;
  if (fail_reads_) return Status::IOError("injected read failure");
  if (offset >= contents_.size()) {
    *result = Slice();
    return Status::OK();
  }
  const size_t len = std::min<uint64_t>(n, contents_.size() - offset);
  std::memcpy(scratch, contents_.data() + offset, len);
  *result = Slice(scratch, len);
  return Status::OK();
}

}  // namespace kvstore
