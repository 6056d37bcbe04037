#include "kvstore/raft.h"

namespace kvstore::raft {

MemoryStorage::MemoryStorage() { ents_.resize(1); }

std::unique_ptr<MemoryStorage> MemoryStorage::Bootstrap(const ConfState& cs) {
  auto s = std::make_unique<MemoryStorage>();
  s->Append(BootstrapEntries(cs));
  s->hard_state_.term = 1;
  s->hard_state_.commit = s->LastIndex();
  return s;
}

std::vector<Entry> BootstrapEntries(const ConfState& cs) {
  // The initial configuration as ordinary committed conf-change entries of
  // term 1, identical on every initial member, so that a server added later
  // learns it by replaying the log like any other change.
  std::vector<Entry> out;
  auto add = [&](ConfChangeType t, uint64_t id) {
    Entry e;
    e.term = 1;
    e.index = out.size() + 1;
    e.type = EntryType::kConfChange;
    e.data = EncodeConfChange({t, id, ""});
    out.push_back(std::move(e));
  };
  for (uint64_t v : cs.voters) add(ConfChangeType::kAddNode, v);
  for (uint64_t l : cs.learners) add(ConfChangeType::kAddLearner, l);
  return out;
}

Status MemoryStorage::InitialState(HardState* hs, ConfState* cs) {
  *hs = hard_state_;
  *cs = snapshot_.meta.conf;
  return Status::OK();
}

uint64_t MemoryStorage::FirstIndex() { return ents_[0].index + 1; }
uint64_t MemoryStorage::LastIndex() { return ents_[0].index + ents_.size() - 1; }

Status MemoryStorage::Term(uint64_t i, uint64_t* term) {
  uint64_t offset = ents_[0].index;
  if (i < offset) return Status::NotFound("raft storage: compacted");
  if (i - offset >= ents_.size()) return Status::NotFound("raft storage: unavailable");
  *term = ents_[i - offset].term;
  return Status::OK();
}

Status MemoryStorage::Entries(uint64_t lo, uint64_t hi, uint64_t max_bytes,
                              std::vector<Entry>* out) {
  out->clear();
  uint64_t offset = ents_[0].index;
  if (lo <= offset) return Status::NotFound("raft storage: compacted");
  if (hi > LastIndex() + 1 || lo > hi) return Status::InvalidArgument("raft storage: out of range");
  uint64_t size = 0;
  for (uint64_t i = lo; i < hi; i++) {
    const Entry& e = ents_[i - offset];
    size += e.data.size() + 16;
    if (!out->empty() && size > max_bytes) break;
    out->push_back(e);
  }
  return Status::OK();
}

Status MemoryStorage::GetSnapshot(Snapshot* snap) {
  *snap = snapshot_;
  return Status::OK();
}

Status MemoryStorage::Append(const std::vector<Entry>& entries) {
  if (entries.empty()) return Status::OK();
  uint64_t first = FirstIndex();
  uint64_t last = entries.back().index;
  if (last < first) return Status::OK();  // all compacted already
  size_t skip = 0;
  if (entries[0].index < first) skip = first - entries[0].index;
  uint64_t offset = entries[skip].index - ents_[0].index;
  if (offset > ents_.size()) return Status::InvalidArgument("raft storage: append leaves a gap");
  ents_.resize(offset);
  ents_.insert(ents_.end(), entries.begin() + skip, entries.end());
  return Status::OK();
}

Status MemoryStorage::ApplySnapshot(const Snapshot& snap) {
  if (snap.meta.index < snapshot_.meta.index) {
    return Status::InvalidArgument("raft storage: snapshot out of date");
  }
  snapshot_ = snap;
  ents_.assign(1, Entry{});
  ents_[0].index = snap.meta.index;
  ents_[0].term = snap.meta.term;
  return Status::OK();
}

Status MemoryStorage::CreateSnapshot(uint64_t i, const ConfState& cs, std::string data) {
  if (i <= snapshot_.meta.index) return Status::InvalidArgument("raft storage: snapshot out of date");
  if (i > LastIndex()) return Status::InvalidArgument("raft storage: snapshot past the log");
  snapshot_.meta.index = i;
  snapshot_.meta.term = ents_[i - ents_[0].index].term;
  snapshot_.meta.conf = cs;
  snapshot_.data = std::move(data);
  return Status::OK();
}

Status MemoryStorage::Compact(uint64_t i) {
  uint64_t offset = ents_[0].index;
  if (i <= offset) return Status::OK();
  if (i > LastIndex()) return Status::InvalidArgument("raft storage: compact past the log");
  if (i > snapshot_.meta.index) {
    return Status::InvalidArgument("raft storage: compact past the snapshot");
  }
  // ents_[i - offset] becomes the new dummy; its term is kept.
  ents_.erase(ents_.begin(), ents_.begin() + (i - offset));
  ents_[0].data.clear();
  ents_[0].type = EntryType::kNormal;
  return Status::OK();
}

}  // namespace kvstore::raft
