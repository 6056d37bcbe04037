// Raft: the consensus state machine behind RawNode. Internal; hosts use
// kvstore/raft.h. Every input is a method call, every output lands in msgs_,
// read_states_ or the log's unstable tail, so a test or the simulator can drive
// it step by step and inspect everything.
#pragma once

#include <deque>
#include <map>
#include <string>
#include <vector>

#include "kvstore/raft.h"
#include "raft/progress.h"
#include "raft/raft_log.h"

namespace kvstore::raft {

class Raft {
 public:
  Raft(const RaftConfig& c, RaftStorage* storage);
  // Loads term/vote/commit and the configuration; false if storage is inconsistent.
  Status Init();

  void Tick();
  Status Step(const Message& m);
  Status Propose(std::string data);
  Status ProposeBatch(std::vector<std::string> batch);
  Status ProposeConfChange(const ConfChange& cc);
  void ReadIndex(std::string context);
  void TransferLeader(uint64_t transferee);
  void Campaign() { Hup(false); }
  void ReportSnapshot(uint64_t id, bool failed);
  void ReportUnreachable(uint64_t id);

  // --- state (for RawNode, tests and the simulator)
  uint64_t id() const { return id_; }
  const RaftConfig& config() const { return cfg_; }
  uint64_t term() const { return term_; }
  uint64_t vote() const { return vote_; }
  uint64_t leader() const { return lead_; }
  Role role() const { return role_; }
  HardState hard_state() const { return {term_, vote_, log_.committed()}; }
  SoftState soft_state() const { return {lead_, role_}; }
  RaftLog& log() { return log_; }
  const RaftLog& log() const { return log_; }
  const ConfState& conf() const;
  ConfState ConfAt(uint64_t index) const;
  const std::map<uint64_t, Progress>& progress() const { return prs_; }
  uint64_t lead_transferee() const { return lead_transferee_; }
  int randomized_election_timeout() const { return randomized_election_timeout_; }
  std::vector<Message>& msgs() { return msgs_; }
  std::vector<ReadState>& read_states() { return read_states_; }
  bool Promotable() const { return conf().IsVoter(id_); }

 private:
  struct PendingRead {
    uint64_t index;
    uint64_t from;
    std::string context;
    uint64_t seq;                // heartbeat round that confirms it
    std::vector<uint64_t> acks;  // voters that confirmed our leadership
  };

  void Send(Message m);
  void BecomeFollower(uint64_t term, uint64_t lead);
  void BecomePreCandidate();
  void BecomeCandidate();
  void BecomeLeader();
  void Reset(uint64_t term);
  void ResetRandomizedElectionTimeout();
  void Hup(bool transfer);
  void CampaignIn(MessageType vote_type, bool transfer);
  // Records a vote; returns +1 won, -1 lost, 0 pending.
  int Poll(uint64_t id, bool granted);
  size_t Quorum() const;

  void StepFollower(const Message& m);
  void StepCandidate(const Message& m);
  void StepLeader(const Message& m);

  void HandleAppend(const Message& m);
  void HandleHeartbeat(const Message& m);
  void HandleSnapshot(const Message& m);
  bool Restore(const Snapshot& s);
  void HandleAppendResp(const Message& m);
  void HandleHeartbeatResp(const Message& m);

  bool AppendEntries(std::vector<Entry> ents);
  bool MaybeSendAppend(uint64_t to, bool send_if_empty);
  void SendHeartbeat(uint64_t to, const std::string& ctx);
  void BcastAppend();
  void BcastHeartbeat(const std::string& ctx);
  bool MaybeCommit();
  void AfterCommit();
  bool CommittedInCurrentTerm() const;
  bool QuorumActive();
  void AbortLeaderTransfer() { lead_transferee_ = 0; }
  void SendTimeoutNow(uint64_t to);

  void HandleReadIndex(uint64_t from, std::string ctx);
  void RespondRead(uint64_t from, uint64_t index, std::string ctx);
  void ReleasePendingReads();

  // Membership: conf entries are tracked by index so truncation and snapshots
  // can roll the configuration back or forward.
  void RecordConfEntries(const std::vector<Entry>& ents);
  void TruncateConfHistory(uint64_t from_index);
  void OnConfChanged();

  uint64_t id_;
  RaftConfig cfg_;
  RaftLog log_;
  uint64_t term_ = 0;
  uint64_t vote_ = 0;
  uint64_t lead_ = 0;
  Role role_ = Role::kFollower;

  ConfState base_conf_;                     // as of the log's first index - 1
  std::map<uint64_t, ConfState> conf_hist_; // index -> configuration from that entry on
  uint64_t pending_conf_index_ = 0;         // leader: the last conf entry it appended

  std::map<uint64_t, Progress> prs_;        // leader: everyone in the configuration
  std::map<uint64_t, bool> votes_;
  uint64_t lead_transferee_ = 0;

  int election_elapsed_ = 0;
  int heartbeat_elapsed_ = 0;
  int randomized_election_timeout_ = 0;
  uint64_t rng_state_;

  std::deque<PendingRead> pending_reads_;   // leader: waiting for a heartbeat quorum
  std::vector<std::pair<uint64_t, std::string>> reads_before_commit_;  // before a term commit
  uint64_t read_seq_ = 0;

  std::vector<Message> msgs_;
  std::vector<ReadState> read_states_;
};

}  // namespace kvstore::raft
