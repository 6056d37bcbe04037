// RaftLog: the log as the core sees it — the host's durable RaftStorage
// followed by the unstable tail (entries and possibly a snapshot) that the host
// has not yet persisted. Not thread-safe; owned by one Raft.
#pragma once

#include <optional>
#include <vector>

#include "kvstore/raft.h"

namespace kvstore::raft {

class RaftLog {
 public:
  explicit RaftLog(RaftStorage* storage);

  uint64_t FirstIndex() const;
  uint64_t LastIndex() const;
  uint64_t LastTerm() const;
  // False if i is compacted or past the end (then *t = 0).
  bool Term(uint64_t i, uint64_t* t) const;
  uint64_t TermOrZero(uint64_t i) const;
  bool MatchTerm(uint64_t i, uint64_t t) const;
  // The index of the first entry of `ents` whose term differs from ours (or
  // that we do not have); 0 if all match.
  uint64_t FindConflict(const std::vector<Entry>& ents) const;
  // The largest index <= i whose term is <= t (fast backtracking), with its term.
  std::pair<uint64_t, uint64_t> FindConflictByTerm(uint64_t i, uint64_t t) const;
  bool IsUpToDate(uint64_t last_index, uint64_t term) const;

  // Appends at ents[0].index, dropping any unstable suffix it replaces.
  void Append(const std::vector<Entry>& ents);
  // Entries [lo, hi) limited to max_bytes (at least one). False if lo is compacted.
  bool Slice(uint64_t lo, uint64_t hi, uint64_t max_bytes, std::vector<Entry>* out) const;

  void CommitTo(uint64_t i);
  bool MaybeCommit(uint64_t max_index, uint64_t term);
  void AppliedTo(uint64_t i);
  uint64_t committed() const { return committed_; }
  uint64_t applied() const { return applied_; }

  // Replaces the log with a snapshot (unstable until the host persists it).
  void Restore(const Snapshot& s);
  // The newest snapshot: the unstable one, else the storage's.
  bool GetSnapshot(Snapshot* s) const;

  const std::vector<Entry>& unstable_entries() const { return unstable_; }
  const std::optional<Snapshot>& unstable_snapshot() const { return unstable_snap_; }
  bool HasNextCommittedEnts() const;
  std::vector<Entry> NextCommittedEnts(uint64_t max_bytes) const;
  void StableTo(uint64_t i, uint64_t t);
  void StableSnapTo(uint64_t i);

  RaftStorage* storage() const { return storage_; }

 private:
  RaftStorage* storage_;
  std::optional<Snapshot> unstable_snap_;
  std::vector<Entry> unstable_;
  uint64_t offset_;  // index of unstable_[0]
  uint64_t committed_ = 0;
  uint64_t applied_ = 0;
};

}  // namespace kvstore::raft
