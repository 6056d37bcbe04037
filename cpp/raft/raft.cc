#include "raft/raft.h"

#include <algorithm>
#include <cassert>

#include "util/coding.h"

namespace kvstore::raft {

namespace {

constexpr char kTransferContext[] = "transfer";

uint64_t SplitMix64(uint64_t* state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

MessageType VoteRespType(MessageType t) {
  return t == MessageType::kVote ? MessageType::kVoteResp : MessageType::kPreVoteResp;
}

}  // namespace

const char* RoleName(Role r) {
  switch (r) {
    case Role::kFollower: return "follower";
    case Role::kPreCandidate: return "pre-candidate";
    case Role::kCandidate: return "candidate";
    case Role::kLeader: return "leader";
  }
  return "unknown";
}

Status RaftConfig::Validate() const {
  if (id == 0) return Status::InvalidArgument("raft config: id must be non-zero");
  if (heartbeat_tick <= 0) return Status::InvalidArgument("raft config: heartbeat_tick must be > 0");
  if (election_tick <= heartbeat_tick) {
    return Status::InvalidArgument("raft config: election_tick must exceed heartbeat_tick");
  }
  if (max_inflight_msgs == 0) return Status::InvalidArgument("raft config: max_inflight_msgs must be > 0");
  return Status::OK();
}

Raft::Raft(const RaftConfig& c, RaftStorage* storage)
    : id_(c.id), cfg_(c), log_(storage), rng_state_(c.seed ^ (c.id * 0x2545f4914f6cdd1dull)) {}

Status Raft::Init() {
  Status s = cfg_.Validate();
  if (!s.ok()) return s;
  HardState hs;
  s = log_.storage()->InitialState(&hs, &base_conf_);
  if (!s.ok()) return s;
  uint64_t first = log_.FirstIndex(), last = log_.LastIndex();
  if (hs.commit < first - 1 || hs.commit > last) {
    if (!hs.IsEmpty()) return Status::Corruption("raft: hard state commit outside the log");
  }
  // Rebuild the configuration history from the durable log.
  if (last >= first) {
    std::vector<Entry> ents;
    if (!log_.Slice(first, last + 1, UINT64_MAX, &ents)) return Status::Corruption("raft: log unreadable");
    RecordConfEntries(ents);
  }
  BecomeFollower(hs.term, 0);
  term_ = hs.term;
  vote_ = hs.vote;
  if (!hs.IsEmpty()) log_.CommitTo(std::max(hs.commit, first - 1));
  uint64_t applied = std::max(cfg_.applied, first - 1);
  if (applied > log_.committed()) return Status::InvalidArgument("raft: applied index past commit");
  log_.AppliedTo(applied);
  return Status::OK();
}

// ---------------------------------------------------------------- configuration

const ConfState& Raft::conf() const {
  return conf_hist_.empty() ? base_conf_ : conf_hist_.rbegin()->second;
}

ConfState Raft::ConfAt(uint64_t index) const {
  auto it = conf_hist_.upper_bound(index);
  if (it == conf_hist_.begin()) return base_conf_;
  return std::prev(it)->second;
}

void Raft::RecordConfEntries(const std::vector<Entry>& ents) {
  bool changed = false;
  for (const Entry& e : ents) {
    if (e.type != EntryType::kConfChange) continue;
    ConfChange cc;
    // An undecodable change is a no-op on every server alike (same bytes).
    if (!DecodeConfChange(e.data, &cc).ok()) continue;
    ConfState next = ApplyConfChange(conf(), cc);
    conf_hist_[e.index] = std::move(next);
    changed = true;
  }
  if (changed) OnConfChanged();
}

void Raft::TruncateConfHistory(uint64_t from_index) {
  auto it = conf_hist_.lower_bound(from_index);
  if (it == conf_hist_.end()) return;
  conf_hist_.erase(it, conf_hist_.end());
  OnConfChanged();
}

void Raft::OnConfChanged() {
  if (role_ != Role::kLeader) return;
  const ConfState& cs = conf();
  // Drop progress of servers that left; add progress for newcomers.
  for (auto it = prs_.begin(); it != prs_.end();) {
    if (!cs.IsVoter(it->first) && !cs.IsLearner(it->first)) {
      if (it->first == lead_transferee_) AbortLeaderTransfer();
      it = prs_.erase(it);
    } else {
      ++it;
    }
  }
  auto add = [&](uint64_t id, bool learner) {
    auto [it, inserted] = prs_.try_emplace(id, cfg_.max_inflight_msgs);
    if (inserted) {
      it->second.next = log_.LastIndex() + 1;
      it->second.recent_active = true;
      if (id == id_) it->second.match = log_.LastIndex();
    }
    it->second.is_learner = learner;
  };
  for (uint64_t v : cs.voters) add(v, false);
  for (uint64_t l : cs.learners) add(l, true);
  if (lead_transferee_ != 0 && !cs.IsVoter(lead_transferee_)) AbortLeaderTransfer();
  // A smaller quorum may let the commit index move.
  if (MaybeCommit()) BcastAppend();
}

// ---------------------------------------------------------------- roles

void Raft::Send(Message m) {
  m.from = id_;
  if (m.type != MessageType::kPreVote && m.type != MessageType::kPreVoteResp &&
      m.type != MessageType::kVoteResp) {
    m.term = term_;
  }
  msgs_.push_back(std::move(m));
}

void Raft::ResetRandomizedElectionTimeout() {
  randomized_election_timeout_ =
      cfg_.election_tick + static_cast<int>(SplitMix64(&rng_state_) % cfg_.election_tick);
}

void Raft::Reset(uint64_t term) {
  if (term_ != term) {
    term_ = term;
    vote_ = 0;
  }
  lead_ = 0;
  election_elapsed_ = 0;
  heartbeat_elapsed_ = 0;
  ResetRandomizedElectionTimeout();
  AbortLeaderTransfer();
  votes_.clear();
  prs_.clear();
  pending_reads_.clear();
  reads_before_commit_.clear();
  pending_conf_index_ = 0;
}

void Raft::BecomeFollower(uint64_t term, uint64_t lead) {
  Reset(term);
  lead_ = lead;
  role_ = Role::kFollower;
}

void Raft::BecomePreCandidate() {
  // Neither the term nor the vote changes: a pre-vote round disturbs no one.
  votes_.clear();
  prs_.clear();
  lead_ = 0;
  role_ = Role::kPreCandidate;
}

void Raft::BecomeCandidate() {
  Reset(term_ + 1);
  vote_ = id_;
  role_ = Role::kCandidate;
}

void Raft::BecomeLeader() {
  Reset(term_);
  lead_ = id_;
  role_ = Role::kLeader;
  OnConfChanged();  // builds prs_
  for (auto& [id, pr] : prs_) {
    pr.next = log_.LastIndex() + 1;
    pr.match = id == id_ ? log_.LastIndex() : 0;
    pr.recent_active = true;
    pr.BecomeProbe();
    pr.next = log_.LastIndex() + 1;
  }
  // The empty entry of the new term: committing it commits everything before
  // (figure 8), and it gates conf changes and ReadIndex.
  AppendEntries({Entry{}});
}

void Raft::Hup(bool transfer) {
  if (role_ == Role::kLeader || !Promotable()) return;
  // Do not campaign past committed entries we have not yet seen: harmless here
  // since configurations take effect on append, not on apply.
  if (cfg_.pre_vote && !transfer) {
    CampaignIn(MessageType::kPreVote, false);
  } else {
    CampaignIn(MessageType::kVote, transfer);
  }
}

size_t Raft::Quorum() const { return conf().voters.size() / 2 + 1; }

void Raft::CampaignIn(MessageType vote_type, bool transfer) {
  uint64_t vote_term;
  if (vote_type == MessageType::kPreVote) {
    BecomePreCandidate();
    vote_term = term_ + 1;
  } else {
    BecomeCandidate();
    vote_term = term_;
  }
  if (Poll(id_, true) == 1) {
    if (vote_type == MessageType::kPreVote) {
      CampaignIn(MessageType::kVote, transfer);
    } else {
      BecomeLeader();
    }
    return;
  }
  for (uint64_t v : conf().voters) {
    if (v == id_) continue;
    Message m;
    m.type = vote_type;
    m.to = v;
    m.term = vote_term;
    m.index = log_.LastIndex();
    m.log_term = log_.LastTerm();
    if (transfer) m.context = kTransferContext;
    Send(std::move(m));
  }
}

int Raft::Poll(uint64_t id, bool granted) {
  votes_.try_emplace(id, granted);
  size_t yes = 0, no = 0;
  for (uint64_t v : conf().voters) {
    auto it = votes_.find(v);
    if (it == votes_.end()) continue;
    (it->second ? yes : no)++;
  }
  size_t q = Quorum();
  if (yes >= q) return 1;
  if (no > conf().voters.size() - q) return -1;
  return 0;
}

// ---------------------------------------------------------------- ticks

void Raft::Tick() {
  if (role_ != Role::kLeader) {
    election_elapsed_++;
    if (Promotable() && election_elapsed_ >= randomized_election_timeout_) {
      election_elapsed_ = 0;
      Hup(false);
    }
    return;
  }
  heartbeat_elapsed_++;
  election_elapsed_++;
  for (auto& [id, pr] : prs_) {
    if (pr.state == Progress::State::kSnapshot && ++pr.snapshot_ticks > cfg_.election_tick) {
      pr.BecomeProbe();  // the snapshot was probably lost; probe again
    }
  }
  if (election_elapsed_ >= cfg_.election_tick) {
    election_elapsed_ = 0;
    if (cfg_.check_quorum) {
      if (!QuorumActive()) {
        BecomeFollower(term_, 0);
        return;
      }
      for (auto& [id, pr] : prs_) {
        if (id != id_) pr.recent_active = false;
      }
    }
    if (lead_transferee_ != 0) AbortLeaderTransfer();  // took longer than an election timeout
  }
  if (heartbeat_elapsed_ >= cfg_.heartbeat_tick) {
    heartbeat_elapsed_ = 0;
    BcastHeartbeat("");
  }
}

bool Raft::QuorumActive() {
  size_t active = 0;
  for (uint64_t v : conf().voters) {
    if (v == id_) {
      active++;
      continue;
    }
    auto it = prs_.find(v);
    if (it != prs_.end() && it->second.recent_active) active++;
  }
  return active >= Quorum();
}

// ---------------------------------------------------------------- step

Status Raft::Step(const Message& m) {
  if (m.to != id_) return Status::InvalidArgument("raft: message for another node");
  if (m.from == 0 || m.from == id_) return Status::InvalidArgument("raft: bad sender");
  if (m.term > term_) {
    if (m.type == MessageType::kVote || m.type == MessageType::kPreVote) {
      bool force = m.context == kTransferContext;
      bool in_lease = cfg_.check_quorum && lead_ != 0 && election_elapsed_ < cfg_.election_tick;
      // A leader we heard from recently is alive: ignore disruptive campaigns.
      if (!force && in_lease) return Status::OK();
    }
    if (m.type == MessageType::kPreVote) {
      // Never change our term for a pre-vote.
    } else if (m.type == MessageType::kPreVoteResp && !m.reject) {
      // A granted pre-vote carries the future term; ours changes on winning.
    } else if (m.type == MessageType::kAppend || m.type == MessageType::kHeartbeat ||
               m.type == MessageType::kSnapshot) {
      BecomeFollower(m.term, m.from);
    } else {
      BecomeFollower(m.term, 0);
    }
  } else if (m.term < term_) {
    if ((cfg_.check_quorum || cfg_.pre_vote) &&
        (m.type == MessageType::kHeartbeat || m.type == MessageType::kAppend)) {
      // A stale leader (e.g. one cut off by a partition): tell it our term so
      // it steps down; with pre-vote, our higher term would otherwise never
      // reach it and we could never rejoin.
      Message r;
      r.type = MessageType::kAppendResp;
      r.to = m.from;
      Send(std::move(r));
    } else if (m.type == MessageType::kPreVote) {
      Message r;
      r.type = MessageType::kPreVoteResp;
      r.to = m.from;
      r.term = term_;
      r.reject = true;
      Send(std::move(r));
    }
    return Status::OK();
  }

  switch (m.type) {
    case MessageType::kVote:
    case MessageType::kPreVote: {
      bool can_vote = vote_ == m.from || (vote_ == 0 && lead_ == 0) ||
                      (m.type == MessageType::kPreVote && m.term > term_);
      Message r;
      r.type = VoteRespType(m.type);
      r.to = m.from;
      if (can_vote && log_.IsUpToDate(m.index, m.log_term)) {
        r.term = m.term;
        r.reject = false;
        if (m.type == MessageType::kVote) {
          election_elapsed_ = 0;
          vote_ = m.from;
        }
      } else {
        r.term = term_;
        r.reject = true;
      }
      Send(std::move(r));
      return Status::OK();
    }
    default:
      break;
  }
  switch (role_) {
    case Role::kFollower: StepFollower(m); break;
    case Role::kPreCandidate:
    case Role::kCandidate: StepCandidate(m); break;
    case Role::kLeader: StepLeader(m); break;
  }
  return Status::OK();
}

void Raft::StepFollower(const Message& m) {
  switch (m.type) {
    case MessageType::kAppend:
      election_elapsed_ = 0;
      lead_ = m.from;
      HandleAppend(m);
      break;
    case MessageType::kHeartbeat:
      election_elapsed_ = 0;
      lead_ = m.from;
      HandleHeartbeat(m);
      break;
    case MessageType::kSnapshot:
      election_elapsed_ = 0;
      lead_ = m.from;
      HandleSnapshot(m);
      break;
    case MessageType::kTimeoutNow:
      if (Promotable()) Hup(true);
      break;
    case MessageType::kReadIndexResp:
      read_states_.push_back({m.index, m.context});
      break;
    case MessageType::kTransferLeader:
      if (lead_ != 0) {
        Message f = m;
        f.to = lead_;
        Send(std::move(f));
      }
      break;
    default:
      break;
  }
}

void Raft::StepCandidate(const Message& m) {
  MessageType my_resp =
      role_ == Role::kPreCandidate ? MessageType::kPreVoteResp : MessageType::kVoteResp;
  switch (m.type) {
    case MessageType::kAppend:
      BecomeFollower(m.term, m.from);
      HandleAppend(m);
      break;
    case MessageType::kHeartbeat:
      BecomeFollower(m.term, m.from);
      HandleHeartbeat(m);
      break;
    case MessageType::kSnapshot:
      BecomeFollower(m.term, m.from);
      HandleSnapshot(m);
      break;
    case MessageType::kVoteResp:
    case MessageType::kPreVoteResp: {
      if (m.type != my_resp) break;
      int r = Poll(m.from, !m.reject);
      if (r == 1) {
        if (role_ == Role::kPreCandidate) {
          CampaignIn(MessageType::kVote, false);
        } else {
          BecomeLeader();
          BcastAppend();
        }
      } else if (r == -1) {
        BecomeFollower(term_, 0);
      }
      break;
    }
    default:
      break;
  }
}

void Raft::StepLeader(const Message& m) {
  auto it = prs_.find(m.from);
  switch (m.type) {
    case MessageType::kAppendResp:
      if (it != prs_.end()) HandleAppendResp(m);
      break;
    case MessageType::kHeartbeatResp:
      if (it != prs_.end()) HandleHeartbeatResp(m);
      break;
    case MessageType::kReadIndex:
      if (it != prs_.end()) HandleReadIndex(m.from, m.context);
      break;
    case MessageType::kTransferLeader:
      TransferLeader(m.index);
      break;
    default:
      break;
  }
}

// ---------------------------------------------------------------- follower side

void Raft::HandleAppend(const Message& m) {
  Message r;
  r.type = MessageType::kAppendResp;
  r.to = m.from;
  if (m.index < log_.committed()) {
    r.index = log_.committed();
    Send(std::move(r));
    return;
  }
  if (log_.MatchTerm(m.index, m.log_term)) {
    uint64_t last_new = m.index + m.entries.size();
    uint64_t ci = log_.FindConflict(m.entries);
    if (ci != 0) {
      assert(ci > log_.committed());
      std::vector<Entry> tail(m.entries.begin() + (ci - m.index - 1), m.entries.end());
      TruncateConfHistory(ci);
      log_.Append(tail);
      RecordConfEntries(tail);
    }
    log_.CommitTo(std::min(m.commit, last_new));
    r.index = last_new;
    Send(std::move(r));
    return;
  }
  auto [hint_index, hint_term] = log_.FindConflictByTerm(std::min(m.index, log_.LastIndex()), m.log_term);
  r.index = m.index;
  r.reject = true;
  r.reject_hint = hint_index;
  r.log_term = hint_term;
  Send(std::move(r));
}

void Raft::HandleHeartbeat(const Message& m) {
  log_.CommitTo(std::min(m.commit, log_.LastIndex()));
  Message r;
  r.type = MessageType::kHeartbeatResp;
  r.to = m.from;
  r.context = m.context;
  Send(std::move(r));
}

void Raft::HandleSnapshot(const Message& m) {
  Message r;
  r.type = MessageType::kAppendResp;
  r.to = m.from;
  if (Restore(m.snapshot)) {
    r.index = log_.LastIndex();
  } else {
    r.index = log_.committed();
  }
  Send(std::move(r));
}

bool Raft::Restore(const Snapshot& s) {
  if (s.meta.index <= log_.committed()) return false;
  if (log_.MatchTerm(s.meta.index, s.meta.term)) {
    // We already have the log up to the snapshot: just learn the commit.
    log_.CommitTo(s.meta.index);
    return false;
  }
  log_.Restore(s);
  base_conf_ = s.meta.conf;
  conf_hist_.clear();
  OnConfChanged();
  return true;
}

// ---------------------------------------------------------------- leader side

bool Raft::AppendEntries(std::vector<Entry> ents) {
  uint64_t li = log_.LastIndex();
  for (size_t i = 0; i < ents.size(); i++) {
    ents[i].term = term_;
    ents[i].index = li + 1 + i;
  }
  log_.Append(ents);
  RecordConfEntries(ents);
  auto self = prs_.find(id_);
  if (self != prs_.end()) self->second.MaybeUpdate(log_.LastIndex());
  MaybeCommit();
  return true;
}

Status Raft::Propose(std::string data) {
  std::vector<std::string> one;
  one.push_back(std::move(data));
  return ProposeBatch(std::move(one));
}

Status Raft::ProposeBatch(std::vector<std::string> batch) {
  if (role_ != Role::kLeader) return Status::InvalidArgument("raft: not leader");
  if (lead_transferee_ != 0) return Status::Busy("raft: leadership transfer in progress");
  if (!conf().IsVoter(id_)) return Status::InvalidArgument("raft: leader is leaving the group");
  if (batch.empty()) return Status::OK();
  std::vector<Entry> ents(batch.size());
  for (size_t i = 0; i < batch.size(); i++) ents[i].data = std::move(batch[i]);
  AppendEntries(std::move(ents));
  BcastAppend();  // one append per follower for the whole batch
  return Status::OK();
}

Status Raft::ProposeConfChange(const ConfChange& cc) {
  if (role_ != Role::kLeader) return Status::InvalidArgument("raft: not leader");
  if (lead_transferee_ != 0) return Status::Busy("raft: leadership transfer in progress");
  if (!conf().IsVoter(id_)) return Status::InvalidArgument("raft: leader is leaving the group");
  // One change at a time, and (Ongaro's fix for single-server changes) only
  // once this leader has committed an entry of its own term.
  if (pending_conf_index_ > log_.committed()) return Status::Busy("raft: a conf change is pending");
  if (!CommittedInCurrentTerm()) return Status::Busy("raft: no entry committed in this term yet");
  Status s = ValidateConfChange(conf(), cc);
  if (!s.ok()) return s;
  Entry e;
  e.type = EntryType::kConfChange;
  e.data = EncodeConfChange(cc);
  AppendEntries({std::move(e)});
  pending_conf_index_ = log_.LastIndex();
  BcastAppend();
  return Status::OK();
}

bool Raft::CommittedInCurrentTerm() const { return log_.TermOrZero(log_.committed()) == term_; }

bool Raft::MaybeSendAppend(uint64_t to, bool send_if_empty) {
  auto it = prs_.find(to);
  if (it == prs_.end() || to == id_) return false;
  Progress& pr = it->second;
  if (pr.IsPaused()) return false;
  Message m;
  m.to = to;
  uint64_t prev = pr.next - 1, prev_term;
  bool term_ok = log_.Term(prev, &prev_term);
  std::vector<Entry> ents;
  bool ents_ok = log_.Slice(pr.next, log_.LastIndex() + 1, cfg_.max_size_per_msg, &ents);
  if (ents.empty() && !send_if_empty && term_ok && ents_ok) return false;
  if (!term_ok || !ents_ok) {
    // The follower needs entries we compacted: send the snapshot instead.
    if (!pr.recent_active) return false;
    Snapshot snap;
    if (!log_.GetSnapshot(&snap) || snap.IsEmpty()) return false;
    m.type = MessageType::kSnapshot;
    m.snapshot = std::move(snap);
    pr.BecomeSnapshot(m.snapshot.meta.index);
    Send(std::move(m));
    return true;
  }
  m.type = MessageType::kAppend;
  m.index = prev;
  m.log_term = prev_term;
  m.commit = log_.committed();
  size_t n = ents.size();
  uint64_t last = n ? ents.back().index : prev;
  m.entries = std::move(ents);
  pr.SentEntries(last, n);
  Send(std::move(m));
  return true;
}

void Raft::SendHeartbeat(uint64_t to, const std::string& ctx) {
  const Progress& pr = prs_.at(to);
  Message m;
  m.type = MessageType::kHeartbeat;
  m.to = to;
  m.commit = std::min(pr.match, log_.committed());
  m.context = ctx;
  Send(std::move(m));
}

void Raft::BcastAppend() {
  for (auto& [id, pr] : prs_) {
    if (id != id_) MaybeSendAppend(id, true);
  }
}

void Raft::BcastHeartbeat(const std::string& ctx) {
  for (auto& [id, pr] : prs_) {
    if (id != id_) SendHeartbeat(id, ctx);
  }
}

bool Raft::MaybeCommit() {
  if (role_ != Role::kLeader) return false;
  std::vector<uint64_t> matches;
  for (uint64_t v : conf().voters) {
    auto it = prs_.find(v);
    matches.push_back(it == prs_.end() ? 0 : it->second.match);
  }
  if (matches.empty()) return false;
  std::sort(matches.begin(), matches.end(), std::greater<uint64_t>());
  uint64_t mci = matches[Quorum() - 1];
  if (!log_.MaybeCommit(mci, term_)) return false;
  AfterCommit();
  return true;
}

void Raft::AfterCommit() {
  if (!reads_before_commit_.empty() && CommittedInCurrentTerm()) {
    auto reads = std::move(reads_before_commit_);
    reads_before_commit_.clear();
    for (auto& [from, ctx] : reads) HandleReadIndex(from, std::move(ctx));
  }
  // A leader removed from the configuration leaves once its removal commits.
  if (!conf().IsVoter(id_) && ConfAt(log_.committed()) == conf()) {
    BcastAppend();  // let the others learn the commit before we go quiet
    BecomeFollower(term_, 0);
  }
}

void Raft::HandleAppendResp(const Message& m) {
  Progress& pr = prs_.at(m.from);
  pr.recent_active = true;
  if (m.reject) {
    uint64_t next_probe = m.reject_hint;
    if (m.log_term > 0) next_probe = log_.FindConflictByTerm(m.reject_hint, m.log_term).first;
    if (pr.MaybeDecrTo(m.index, next_probe)) {
      if (pr.state == Progress::State::kReplicate) pr.BecomeProbe();
      MaybeSendAppend(m.from, true);
    }
    return;
  }
  bool was_paused = pr.IsPaused();
  if (!pr.MaybeUpdate(m.index)) return;
  switch (pr.state) {
    case Progress::State::kProbe: pr.BecomeReplicate(); break;
    case Progress::State::kSnapshot:
      if (pr.match >= pr.pending_snapshot) {
        pr.BecomeProbe();
        pr.BecomeReplicate();
      }
      break;
    case Progress::State::kReplicate: pr.inflights.FreeLE(m.index); break;
  }
  if (MaybeCommit()) {
    if (role_ != Role::kLeader) return;
    BcastAppend();
  } else if (was_paused) {
    MaybeSendAppend(m.from, true);
  }
  // Pipelining: fill the window.
  while (prs_.count(m.from) && MaybeSendAppend(m.from, false)) {
  }
  auto it = prs_.find(m.from);
  if (it != prs_.end() && m.from == lead_transferee_ && it->second.match == log_.LastIndex()) {
    SendTimeoutNow(m.from);
  }
}

void Raft::HandleHeartbeatResp(const Message& m) {
  Progress& pr = prs_.at(m.from);
  pr.recent_active = true;
  pr.probe_sent = false;
  if (pr.state == Progress::State::kReplicate && pr.inflights.Full()) pr.inflights.FreeFirst();
  if (pr.match < log_.LastIndex()) MaybeSendAppend(m.from, true);
  if (m.context.size() != 8 || pending_reads_.empty()) return;
  uint64_t seq = DecodeFixed64(m.context.data());
  if (!conf().IsVoter(m.from)) return;
  // An ack of round `seq` also confirms every earlier round.
  for (PendingRead& rd : pending_reads_) {
    if (rd.seq > seq) break;
    if (std::find(rd.acks.begin(), rd.acks.end(), m.from) == rd.acks.end()) rd.acks.push_back(m.from);
  }
  ReleasePendingReads();
}

void Raft::SendTimeoutNow(uint64_t to) {
  Message m;
  m.type = MessageType::kTimeoutNow;
  m.to = to;
  Send(std::move(m));
}

void Raft::TransferLeader(uint64_t transferee) {
  if (role_ != Role::kLeader) {
    if (lead_ != 0 && lead_ != id_) {
      Message m;
      m.type = MessageType::kTransferLeader;
      m.to = lead_;
      m.index = transferee;
      Send(std::move(m));
    }
    return;
  }
  if (transferee == id_ || !conf().IsVoter(transferee)) return;
  if (lead_transferee_ == transferee) return;
  AbortLeaderTransfer();
  auto it = prs_.find(transferee);
  if (it == prs_.end()) return;
  election_elapsed_ = 0;  // the transfer must finish within one election timeout
  lead_transferee_ = transferee;
  if (it->second.match == log_.LastIndex()) {
    SendTimeoutNow(transferee);
  } else {
    MaybeSendAppend(transferee, true);
  }
}

void Raft::ReportSnapshot(uint64_t id, bool failed) {
  if (role_ != Role::kLeader) return;
  auto it = prs_.find(id);
  if (it == prs_.end() || it->second.state != Progress::State::kSnapshot) return;
  if (failed) it->second.pending_snapshot = 0;
  it->second.BecomeProbe();
  it->second.probe_sent = true;  // wait for the next heartbeat before probing
}

void Raft::ReportUnreachable(uint64_t id) {
  if (role_ != Role::kLeader) return;
  auto it = prs_.find(id);
  if (it != prs_.end() && it->second.state == Progress::State::kReplicate) it->second.BecomeProbe();
}

// ---------------------------------------------------------------- ReadIndex

void Raft::ReadIndex(std::string context) {
  if (role_ == Role::kLeader) {
    HandleReadIndex(id_, std::move(context));
  } else if (lead_ != 0) {
    Message m;
    m.type = MessageType::kReadIndex;
    m.to = lead_;
    m.context = std::move(context);
    Send(std::move(m));
  }
  // No known leader: dropped; the host retries.
}

void Raft::HandleReadIndex(uint64_t from, std::string ctx) {
  if (!CommittedInCurrentTerm()) {
    // Our commit index may be behind the true one until our first entry commits.
    reads_before_commit_.emplace_back(from, std::move(ctx));
    return;
  }
  if (conf().voters.size() == 1 && conf().IsVoter(id_)) {
    RespondRead(from, log_.committed(), std::move(ctx));
    return;
  }
  PendingRead rd;
  rd.index = log_.committed();
  rd.from = from;
  rd.context = std::move(ctx);
  uint64_t seq = ++read_seq_;
  rd.seq = seq;
  if (conf().IsVoter(id_)) rd.acks.push_back(id_);
  pending_reads_.push_back(std::move(rd));
  std::string hb_ctx;
  PutFixed64(&hb_ctx, seq);
  BcastHeartbeat(hb_ctx);
}

void Raft::RespondRead(uint64_t from, uint64_t index, std::string ctx) {
  if (from == id_) {
    read_states_.push_back({index, std::move(ctx)});
    return;
  }
  Message m;
  m.type = MessageType::kReadIndexResp;
  m.to = from;
  m.index = index;
  m.context = std::move(ctx);
  Send(std::move(m));
}

void Raft::ReleasePendingReads() {
  // Find the newest round confirmed by a quorum; it confirms all before it.
  size_t q = Quorum();
  size_t confirmed = 0;
  for (size_t i = 0; i < pending_reads_.size(); i++) {
    if (pending_reads_[i].acks.size() >= q) confirmed = i + 1;
  }
  for (size_t i = 0; i < confirmed; i++) {
    PendingRead& rd = pending_reads_.front();
    RespondRead(rd.from, rd.index, std::move(rd.context));
    pending_reads_.pop_front();
  }
}

}  // namespace kvstore::raft
