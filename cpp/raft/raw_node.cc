#include "raft/raft.h"

namespace kvstore::raft {

Status RawNode::Create(const RaftConfig& config, RaftStorage* storage, std::unique_ptr<RawNode>* out) {
  if (storage == nullptr) return Status::InvalidArgument("raft: null storage");
  std::unique_ptr<RawNode> n(new RawNode());
  n->raft_ = std::make_unique<Raft>(config, storage);
  Status s = n->raft_->Init();
  if (!s.ok()) return s;
  n->prev_soft_ = n->raft_->soft_state();
  n->prev_hard_ = n->raft_->hard_state();
  *out = std::move(n);
  return Status::OK();
}

RawNode::~RawNode() = default;

void RawNode::Tick() { raft_->Tick(); }

Status RawNode::Step(const Message& m) { return raft_->Step(m); }

Status RawNode::Propose(std::string data) { return raft_->Propose(std::move(data)); }

Status RawNode::ProposeBatch(std::vector<std::string> batch) {
  return raft_->ProposeBatch(std::move(batch));
}

Status RawNode::ProposeConfChange(const ConfChange& cc) { return raft_->ProposeConfChange(cc); }

void RawNode::ReadIndex(std::string context) { raft_->ReadIndex(std::move(context)); }

void RawNode::TransferLeader(uint64_t transferee) { raft_->TransferLeader(transferee); }

void RawNode::Campaign() { raft_->Campaign(); }

void RawNode::ReportSnapshot(uint64_t id, bool failed) { raft_->ReportSnapshot(id, failed); }

void RawNode::ReportUnreachable(uint64_t id) { raft_->ReportUnreachable(id); }

bool RawNode::HasReady() const {
  const Raft& r = *raft_;
  if (!(r.soft_state() == prev_soft_)) return true;
  HardState hs = r.hard_state();
  if (!hs.IsEmpty() && !(hs == prev_hard_)) return true;
  if (r.log().unstable_snapshot()) return true;
  if (!r.log().unstable_entries().empty()) return true;
  if (!raft_->msgs().empty() || !raft_->read_states().empty()) return true;
  return r.log().HasNextCommittedEnts();
}

Ready RawNode::GetReady() {
  Raft& r = *raft_;
  Ready rd;
  SoftState ss = r.soft_state();
  if (!(ss == prev_soft_)) {
    rd.soft_state = ss;
    prev_soft_ = ss;
  }
  HardState hs = r.hard_state();
  if (!hs.IsEmpty() && !(hs == prev_hard_)) rd.hard_state = hs;
  rd.entries = r.log().unstable_entries();
  if (r.log().unstable_snapshot()) rd.snapshot = *r.log().unstable_snapshot();
  rd.committed_entries = r.log().NextCommittedEnts(r.config().max_committed_size_per_ready);
  rd.messages = std::move(r.msgs());
  r.msgs().clear();
  rd.read_states = std::move(r.read_states());
  r.read_states().clear();
  return rd;
}

void RawNode::Advance(const Ready& rd) {
  Raft& r = *raft_;
  if (rd.hard_state) prev_hard_ = *rd.hard_state;
  if (!rd.entries.empty()) r.log().StableTo(rd.entries.back().index, rd.entries.back().term);
  if (!rd.snapshot.IsEmpty()) r.log().StableSnapTo(rd.snapshot.meta.index);
  if (!rd.committed_entries.empty()) {
    r.log().AppliedTo(rd.committed_entries.back().index);
  } else if (!rd.snapshot.IsEmpty()) {
    r.log().AppliedTo(rd.snapshot.meta.index);
  }
}

uint64_t RawNode::id() const { return raft_->id(); }
uint64_t RawNode::term() const { return raft_->term(); }
uint64_t RawNode::leader() const { return raft_->leader(); }
Role RawNode::role() const { return raft_->role(); }
uint64_t RawNode::committed() const { return raft_->log().committed(); }
uint64_t RawNode::applied() const { return raft_->log().applied(); }
uint64_t RawNode::last_index() const { return raft_->log().LastIndex(); }
ConfState RawNode::conf_state() const { return raft_->conf(); }
ConfState RawNode::ConfStateAt(uint64_t i) const { return raft_->ConfAt(i); }

}  // namespace kvstore::raft
