// kvstore Raft: a consensus core with no threads, clocks, sockets or files.
//
// The host owns all I/O. It calls Tick() on a timer, Step() for every message
// that arrives, Propose()/ProposeConfChange()/ReadIndex()/TransferLeader() for
// client requests, and then drains the core:
//
//   while (node.HasReady()) {
//     Ready rd = node.GetReady();
//     1. persist rd.snapshot (if any), rd.entries and rd.hard_state (if any),
//        durably and in that order, into the RaftStorage given to the node;
//     2. only then send rd.messages (opaque bytes via EncodeMessage);
//     3. apply rd.committed_entries to the state machine (and install
//        rd.snapshot into it first, if any); serve rd.read_states once the
//        state machine has applied up to each read's index;
//     4. node.Advance(rd);
//   }
//
// Threading: a RawNode is not thread-safe; one thread (or one strand) drives it.
// Ownership: the RawNode borrows the RaftStorage, which must outlive it; the
// node only reads from it, the host writes to it.
//
// Membership (see docs/raft.md): one server at a time. A configuration takes
// effect on a server as soon as its ConfChange entry is in that server's log
// (committed or not); a leader proposes a change only when no other change is
// uncommitted and an entry of its own term is committed. Learners receive the
// log but never vote and never count toward a quorum; AddNode on a learner
// promotes it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kvstore/slice.h"
#include "kvstore/status.h"

namespace kvstore::raft {

// ---------------------------------------------------------------- data types

enum class EntryType : uint8_t { kNormal = 0, kConfChange = 1 };

struct Entry {
  uint64_t term = 0;
  uint64_t index = 0;
  EntryType type = EntryType::kNormal;
  std::string data;
  bool operator==(const Entry&) const = default;
};

// What must be durable before messages of a Ready are sent.
struct HardState {
  uint64_t term = 0;
  uint64_t vote = 0;
  uint64_t commit = 0;
  bool operator==(const HardState&) const = default;
  bool IsEmpty() const { return term == 0 && vote == 0 && commit == 0; }
};

// A cluster configuration. Both lists are kept sorted and disjoint.
struct ConfState {
  std::vector<uint64_t> voters;
  std::vector<uint64_t> learners;
  bool operator==(const ConfState&) const = default;
  bool IsVoter(uint64_t id) const;
  bool IsLearner(uint64_t id) const;
};

struct SnapshotMetadata {
  uint64_t index = 0;
  uint64_t term = 0;
  ConfState conf;  // the configuration as of `index`
  bool operator==(const SnapshotMetadata&) const = default;
};

struct Snapshot {
  SnapshotMetadata meta;
  std::string data;  // the state machine image, opaque to raft
  bool IsEmpty() const { return meta.index == 0; }
  bool operator==(const Snapshot&) const = default;
};

enum class ConfChangeType : uint8_t { kAddNode = 0, kAddLearner = 1, kRemoveNode = 2 };

struct ConfChange {
  ConfChangeType type = ConfChangeType::kAddNode;
  uint64_t node_id = 0;
  std::string context;  // opaque to raft (e.g. the new member's address)
  bool operator==(const ConfChange&) const = default;
};

// Applies one change to a configuration (no validation; see ValidateConfChange).
ConfState ApplyConfChange(const ConfState& cs, const ConfChange& cc);
// OK if `cc` is a legal single-server change of `cs`.
Status ValidateConfChange(const ConfState& cs, const ConfChange& cc);

// Network message types. Every message is between two servers of one group.
enum class MessageType : uint8_t {
  kAppend = 1,         // index/log_term: the entry before `entries`; commit: leader's commit
  kAppendResp = 2,     // index: last matching index, or on reject the rejected index;
                       // reject_hint/log_term: the follower's hint for fast backtracking
  kVote = 3,           // index/log_term: the candidate's last entry; context "transfer" skips leases
  kVoteResp = 4,
  kPreVote = 5,        // term: the term the candidate would campaign in
  kPreVoteResp = 6,
  kHeartbeat = 7,      // commit: min(follower match, leader commit); context: ReadIndex round
  kHeartbeatResp = 8,  // context: echoed
  kSnapshot = 9,       // snapshot
  kTimeoutNow = 10,    // leadership transfer: campaign now
  kReadIndex = 11,     // follower -> leader: context identifies the read
  kReadIndexResp = 12, // leader -> follower: index is the read index
  kTransferLeader = 13 // follower -> leader: index is the transferee
};
constexpr uint8_t kMaxMessageType = 13;
const char* MessageTypeName(MessageType t);

struct Message {
  MessageType type = MessageType::kAppend;
  uint64_t from = 0;
  uint64_t to = 0;
  uint64_t term = 0;
  uint64_t log_term = 0;
  uint64_t index = 0;
  uint64_t commit = 0;
  bool reject = false;
  uint64_t reject_hint = 0;
  std::string context;
  std::vector<Entry> entries;
  Snapshot snapshot;  // only for kSnapshot
  bool operator==(const Message&) const = default;
};

// Wire format (docs/raft.md): version byte, fields as varints, entries and the
// snapshot length-prefixed, then a fixed32 checksum (XXH3 low bits) of all the
// bytes before it. DecodeMessage rejects with Corruption anything malformed:
// truncation, trailing bytes, a bad checksum, an unknown version or type, or an
// append whose entries are not consecutive after `index`.
std::string EncodeMessage(const Message& m);
Status DecodeMessage(Slice bytes, Message* m);
std::string EncodeConfChange(const ConfChange& cc);
Status DecodeConfChange(Slice bytes, ConfChange* cc);

// ---------------------------------------------------------------- storage

// The durable log as raft reads it. The host writes (appends entries, sets the
// hard state, installs snapshots, compacts); raft only reads. Index
// FirstIndex()-1 is the last index covered by the snapshot; its term must
// remain available through Term().
class RaftStorage {
 public:
  virtual ~RaftStorage() = default;
  virtual Status InitialState(HardState* hs, ConfState* cs) = 0;
  // Entries in [lo, hi), at least one if lo < hi, stopping before max_bytes
  // would be exceeded. NotFound if lo has been compacted.
  virtual Status Entries(uint64_t lo, uint64_t hi, uint64_t max_bytes, std::vector<Entry>* out) = 0;
  // NotFound if i is compacted (i < FirstIndex()-1) or past LastIndex().
  virtual Status Term(uint64_t i, uint64_t* term) = 0;
  virtual uint64_t FirstIndex() = 0;
  virtual uint64_t LastIndex() = 0;
  virtual Status GetSnapshot(Snapshot* snap) = 0;
};

// The log that starts a new cluster: one committed conf-change entry (term 1)
// per initial member, the same on every initial member.
std::vector<Entry> BootstrapEntries(const ConfState& cs);

// An in-memory RaftStorage, used by tests, the simulator and the benchmark.
class MemoryStorage : public RaftStorage {
 public:
  MemoryStorage();
  // A fresh member of a new cluster: BootstrapEntries(cs) committed in term 1.
  // Servers added later start from an empty MemoryStorage.
  static std::unique_ptr<MemoryStorage> Bootstrap(const ConfState& cs);

  Status InitialState(HardState* hs, ConfState* cs) override;
  Status Entries(uint64_t lo, uint64_t hi, uint64_t max_bytes, std::vector<Entry>* out) override;
  Status Term(uint64_t i, uint64_t* term) override;
  uint64_t FirstIndex() override;
  uint64_t LastIndex() override;
  Status GetSnapshot(Snapshot* snap) override;

  void SetHardState(const HardState& hs) { hard_state_ = hs; }
  const HardState& hard_state() const { return hard_state_; }
  // Appends, truncating any existing entries at or after entries[0].index.
  Status Append(const std::vector<Entry>& entries);
  // Replaces everything with the snapshot (InvalidArgument if older than ours).
  Status ApplySnapshot(const Snapshot& snap);
  // Records a snapshot of the state machine at index i (<= LastIndex()).
  Status CreateSnapshot(uint64_t i, const ConfState& cs, std::string data);
  // Discards entries before i (i <= the snapshot's index; the entry at i stays).
  Status Compact(uint64_t i);

 private:
  HardState hard_state_;
  Snapshot snapshot_;
  std::vector<Entry> ents_;  // ents_[0] is a dummy at the snapshot's index/term
};

// ---------------------------------------------------------------- the node

struct RaftConfig {
  uint64_t id = 0;                 // non-zero
  int election_tick = 10;          // timeouts are drawn from [election_tick, 2*election_tick)
  int heartbeat_tick = 1;          // < election_tick
  uint64_t applied = 0;            // on restart: the index the state machine already holds
  uint64_t max_size_per_msg = 1 << 20;  // bytes of entries per append (at least one entry)
  size_t max_inflight_msgs = 256;  // appends in flight per follower when pipelining
  uint64_t max_committed_size_per_ready = 64ull << 20;
  bool pre_vote = true;
  bool check_quorum = true;
  uint64_t seed = 1;               // seeds the election-timeout generator
  Status Validate() const;
};

enum class Role : uint8_t { kFollower = 0, kPreCandidate = 1, kCandidate = 2, kLeader = 3 };
const char* RoleName(Role r);

struct SoftState {
  uint64_t leader = 0;
  Role role = Role::kFollower;
  bool operator==(const SoftState&) const = default;
};

// A linearizable read: once the state machine has applied `index`, the read
// identified by `context` may be served from it.
struct ReadState {
  uint64_t index = 0;
  std::string context;
};

struct Ready {
  std::optional<SoftState> soft_state;   // set when leader or role changed
  std::optional<HardState> hard_state;   // set when it must be persisted
  std::vector<Entry> entries;            // to append to storage
  Snapshot snapshot;                     // to install when !IsEmpty()
  std::vector<Entry> committed_entries;  // to apply, in order
  std::vector<Message> messages;         // to send after persisting
  std::vector<ReadState> read_states;
};

class Raft;  // cpp/raft/raft.h

class RawNode {
 public:
  // Loads the durable state from `storage` (which must outlive the node).
  static Status Create(const RaftConfig& config, RaftStorage* storage, std::unique_ptr<RawNode>* out);
  ~RawNode();
  RawNode(const RawNode&) = delete;
  RawNode& operator=(const RawNode&) = delete;

  void Tick();
  // Feeds a message from a peer. InvalidArgument for local-only or foreign messages.
  Status Step(const Message& m);
  // Leader only: InvalidArgument("not leader") elsewhere, Busy during a transfer.
  Status Propose(std::string data);
  // Appends all of `batch` as consecutive entries and sends one append per
  // follower: the way to amortise per-proposal cost (see bench/raft).
  Status ProposeBatch(std::vector<std::string> batch);
  Status ProposeConfChange(const ConfChange& cc);
  // Starts a linearizable read; its ReadState comes in a later Ready (or never,
  // if leadership is lost: the host retries after a timeout).
  void ReadIndex(std::string context);
  void TransferLeader(uint64_t transferee);
  // Starts an election now (tests, or a host that knows the leader is gone).
  void Campaign();
  // For hosts that learn a snapshot send failed or finished.
  void ReportSnapshot(uint64_t id, bool failed);
  void ReportUnreachable(uint64_t id);

  bool HasReady() const;
  Ready GetReady();
  void Advance(const Ready& rd);

  uint64_t id() const;
  uint64_t term() const;
  uint64_t leader() const;
  Role role() const;
  uint64_t committed() const;
  uint64_t applied() const;
  uint64_t last_index() const;
  // The current configuration (the last one in the log).
  ConfState conf_state() const;
  // The configuration as of log index i (for CreateSnapshot at an applied index).
  ConfState ConfStateAt(uint64_t i) const;

  Raft* raft_for_testing() { return raft_.get(); }

 private:
  RawNode() = default;
  std::unique_ptr<Raft> raft_;
  SoftState prev_soft_;
  HardState prev_hard_;
};

}  // namespace kvstore::raft
