#include "raft/raft_log.h"

#include <algorithm>
#include <cassert>
#include <cstdlib>

namespace kvstore::raft {

RaftLog::RaftLog(RaftStorage* storage) : storage_(storage) {
  offset_ = storage_->LastIndex() + 1;
  committed_ = storage_->FirstIndex() - 1;
  applied_ = committed_;
}

uint64_t RaftLog::FirstIndex() const {
  if (unstable_snap_) return unstable_snap_->meta.index + 1;
  return storage_->FirstIndex();
}

uint64_t RaftLog::LastIndex() const {
  if (!unstable_.empty()) return offset_ + unstable_.size() - 1;
  if (unstable_snap_) return unstable_snap_->meta.index;
  return storage_->LastIndex();
}

bool RaftLog::Term(uint64_t i, uint64_t* t) const {
  *t = 0;
  uint64_t dummy = FirstIndex() - 1;
  if (i < dummy || i > LastIndex()) return false;
  if (!unstable_.empty() && i >= offset_) {
    *t = unstable_[i - offset_].term;
    return true;
  }
  if (unstable_snap_ && i == unstable_snap_->meta.index) {
    *t = unstable_snap_->meta.term;
    return true;
  }
  if (unstable_snap_) return false;  // below the unstable snapshot: gone
  uint64_t term;
  if (!storage_->Term(i, &term).ok()) return false;
  *t = term;
  return true;
}

uint64_t RaftLog::TermOrZero(uint64_t i) const {
  uint64_t t;
  Term(i, &t);
  return t;
}

uint64_t RaftLog::LastTerm() const { return TermOrZero(LastIndex()); }

bool RaftLog::MatchTerm(uint64_t i, uint64_t t) const {
  uint64_t have;
  return Term(i, &have) && have == t;
}

uint64_t RaftLog::FindConflict(const std::vector<Entry>& ents) const {
  for (const Entry& e : ents) {
    if (!MatchTerm(e.index, e.term)) return e.index;
  }
  return 0;
}

std::pair<uint64_t, uint64_t> RaftLog::FindConflictByTerm(uint64_t i, uint64_t t) const {
  i = std::min(i, LastIndex());
  for (;; i--) {
    uint64_t have;
    if (!Term(i, &have)) return {i, 0};  // compacted: let the leader decide
    if (have <= t || i == 0) return {i, have};
  }
}

bool RaftLog::IsUpToDate(uint64_t last_index, uint64_t term) const {
  uint64_t lt = LastTerm();
  return term > lt || (term == lt && last_index >= LastIndex());
}

void RaftLog::Append(const std::vector<Entry>& ents) {
  if (ents.empty()) return;
  uint64_t after = ents[0].index;
  assert(after > committed_);
  if (after == offset_ + unstable_.size()) {
    unstable_.insert(unstable_.end(), ents.begin(), ents.end());
  } else if (after <= offset_) {
    // Replaces (part of) the stable log too; the host truncates storage when
    // it persists these.
    offset_ = after;
    unstable_ = ents;
  } else {
    unstable_.resize(after - offset_);
    unstable_.insert(unstable_.end(), ents.begin(), ents.end());
  }
}

bool RaftLog::Slice(uint64_t lo, uint64_t hi, uint64_t max_bytes, std::vector<Entry>* out) const {
  out->clear();
  if (lo < FirstIndex()) return false;
  hi = std::min(hi, LastIndex() + 1);
  if (lo >= hi) return true;
  uint64_t size = 0;
  if (lo < offset_) {
    std::vector<Entry> stored;
    if (!storage_->Entries(lo, std::min(hi, offset_), max_bytes, &stored).ok()) return false;
    for (Entry& e : stored) {
      size += e.data.size() + 16;
      if (!out->empty() && size > max_bytes) return true;
      out->push_back(std::move(e));
    }
    if (out->empty() || out->back().index + 1 < std::min(hi, offset_)) return true;  // size-limited
  }
  for (uint64_t i = std::max(lo, offset_); i < hi; i++) {
    const Entry& e = unstable_[i - offset_];
    size += e.data.size() + 16;
    if (!out->empty() && size > max_bytes) break;
    out->push_back(e);
  }
  return true;
}

void RaftLog::CommitTo(uint64_t i) {
  if (i > committed_) {
    if (i > LastIndex()) std::abort();  // a corrupt or lying leader: refuse to go on
    committed_ = i;
  }
}

bool RaftLog::MaybeCommit(uint64_t max_index, uint64_t term) {
  // Figure 8: only an entry of the leader's own term commits by counting.
  if (max_index > committed_ && TermOrZero(max_index) == term) {
    CommitTo(max_index);
    return true;
  }
  return false;
}

void RaftLog::AppliedTo(uint64_t i) {
  if (i == 0) return;
  assert(i <= committed_);
  if (i > applied_) applied_ = i;
}

void RaftLog::Restore(const Snapshot& s) {
  committed_ = s.meta.index;
  unstable_.clear();
  offset_ = s.meta.index + 1;
  unstable_snap_ = s;
}

bool RaftLog::GetSnapshot(Snapshot* s) const {
  if (unstable_snap_) {
    *s = *unstable_snap_;
    return true;
  }
  return storage_->GetSnapshot(s).ok();
}

bool RaftLog::HasNextCommittedEnts() const {
  uint64_t off = std::max(applied_ + 1, FirstIndex());
  return committed_ + 1 > off && !unstable_snap_;
}

std::vector<Entry> RaftLog::NextCommittedEnts(uint64_t max_bytes) const {
  std::vector<Entry> out;
  if (!HasNextCommittedEnts()) return out;
  uint64_t off = std::max(applied_ + 1, FirstIndex());
  Slice(off, committed_ + 1, max_bytes, &out);
  return out;
}

void RaftLog::StableTo(uint64_t i, uint64_t t) {
  if (unstable_.empty() || i < offset_) return;
  if (i >= offset_ + unstable_.size()) return;
  if (unstable_[i - offset_].term != t) return;  // replaced since the Ready was taken
  unstable_.erase(unstable_.begin(), unstable_.begin() + (i + 1 - offset_));
  offset_ = i + 1;
}

void RaftLog::StableSnapTo(uint64_t i) {
  if (unstable_snap_ && unstable_snap_->meta.index == i) unstable_snap_.reset();
}

}  // namespace kvstore::raft
