#include "raft/simulator.h"

#include <xxhash.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <unordered_map>

#include "kvstore/raft.h"
#include "raft/raft.h"
#include "util/coding.h"

namespace kvstore::raft {

namespace {

class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed * 0x9e3779b97f4a7c15ull + 0x632be59bd9b4e019ull) {}
  uint64_t Next() {
    uint64_t z = (s_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  uint64_t Uniform(uint64_t n) { return n == 0 ? 0 : Next() % n; }
  bool Chance(double p) { return (Next() >> 11) * (1.0 / 9007199254740992.0) < p; }

 private:
  uint64_t s_;
};

uint64_t EntryHash(const Entry& e) {
  std::string buf;
  PutVarint64(&buf, e.term);
  buf.push_back(static_cast<char>(e.type));
  buf.append(e.data);
  return XXH3_64bits(buf.data(), buf.size());
}

uint64_t Chain(uint64_t prev, uint64_t entry_hash) {
  uint64_t v[2] = {prev, entry_hash};
  return XXH3_64bits(v, sizeof(v));
}

struct Violation {
  std::string what;
};

struct SimNode {
  uint64_t id = 0;
  std::unique_ptr<MemoryStorage> storage;
  std::unique_ptr<RawNode> node;
  bool up = false;
  uint64_t restart_at = 0;
  uint64_t incarnation = 0;
  // The state machine (volatile: rebuilt from the snapshot on restart).
  uint64_t sm_index = 0;
  uint64_t sm_hash = 0;
  uint64_t known_commit = 0;  // commit index already checked
  uint64_t leader_term_seen = 0;
};

struct Packet {
  uint64_t deliver_at;
  uint64_t seq;
  uint64_t from;
  uint64_t to;
  std::string bytes;
};

struct PendingRead {
  uint64_t node;
  uint64_t must_see;  // highest index known committed when the read began
  uint64_t index = 0;  // once answered
  bool answered = false;
};

class Sim {
 public:
  explicit Sim(const SimOptions& o) : o_(o), rng_(o.seed) {}

  SimResult Run() {
    SimResult res;
    res.seed = o_.seed;
    try {
      Setup();
      for (; now_ < static_cast<uint64_t>(o_.steps); now_++) {
        FaultPhaseStep();
      }
      Liveness();
    } catch (const Violation& v) {
      res.ok = false;
      res.violation = v.what;
    }
    res.tick = now_;
    stats_.ticks = now_;
    stats_.committed = max_commit_;
    res.stats = stats_;
    return res;
  }

 private:
  [[noreturn]] void Fail(const std::string& what) {
    throw Violation{"tick " + std::to_string(now_) + ": " + what};
  }

  // ------------------------------------------------------------ setup

  void Setup() {
    if (o_.random_faults) {
      // Vary the environment per seed: network quality, and now and then the
      // protocol options (safety must not depend on pre-vote or check-quorum).
      switch (rng_.Uniform(4)) {
        case 0: drop_ = 0; dup_ = 0; break;
        case 1: drop_ = o_.drop * 4; break;
        default: break;
      }
      max_delay_ = rng_.Chance(0.3) ? o_.max_delay * 3 : o_.max_delay;
      pre_vote_ = !rng_.Chance(0.15);
      check_quorum_ = !rng_.Chance(0.15);
    }
    ConfState cs;
    for (int i = 1; i <= o_.nodes; i++) cs.voters.push_back(i);
    for (int i = 1; i <= o_.nodes; i++) {
      SimNode& n = nodes_[i];
      n.id = i;
      n.storage = MemoryStorage::Bootstrap(cs);
      Start(n);
    }
    next_spare_ = o_.nodes + 1;
  }

  void Start(SimNode& n) {
    RaftConfig c;
    c.id = n.id;
    c.election_tick = 10;
    c.heartbeat_tick = 2;
    c.max_inflight_msgs = 4;
    c.max_size_per_msg = 256;
    c.pre_vote = pre_vote_;
    c.check_quorum = check_quorum_;
    c.seed = o_.seed * 1000003 + n.id * 7919 + n.incarnation;
    Snapshot snap;
    n.storage->GetSnapshot(&snap);
    c.applied = snap.meta.index;
    Status s = RawNode::Create(c, n.storage.get(), &n.node);
    if (!s.ok()) Fail("node " + std::to_string(n.id) + " failed to start: " + s.ToString());
    n.up = true;
    n.incarnation++;
    n.sm_index = snap.meta.index;
    n.sm_hash = 0;
    if (!snap.IsEmpty()) {
      Slice in = snap.data;
      uint64_t idx;
      if (!GetFixed64(&in, &idx) || !GetFixed64(&in, &n.sm_hash) || idx != snap.meta.index) {
        Fail("bad snapshot image on node " + std::to_string(n.id));
      }
    }
    n.known_commit = std::max(n.known_commit, snap.meta.index);
    RecordCommitted(n, n.storage->hard_state().commit);
    n.leader_term_seen = 0;
  }

  // ------------------------------------------------------------ the fault phase

  void Trace() {
    if (o_.trace_every <= 0 || now_ % o_.trace_every != 0) return;
    std::fprintf(stderr, "t=%llu maxc=%llu blocked=%zu |", (unsigned long long)now_,
                 (unsigned long long)max_commit_, blocked_.size());
    for (auto& [id, n] : nodes_) {
      if (!n.up) {
        std::fprintf(stderr, " %llu:down", (unsigned long long)id);
        continue;
      }
      Raft* r = n.node->raft_for_testing();
      const ConfState& cs = r->conf();
      std::fprintf(stderr, " %llu:%s t%llu l%llu c%llu li%llu v%zu/%zu", (unsigned long long)id,
                   RoleName(r->role()), (unsigned long long)r->term(), (unsigned long long)r->leader(),
                   (unsigned long long)r->log().committed(), (unsigned long long)r->log().LastIndex(),
                   cs.voters.size(), cs.learners.size());
    }
    std::fprintf(stderr, "\n");
  }

  void FaultPhaseStep() {
    Trace();
    for (const SimEvent& e : o_.schedule) {
      if (static_cast<uint64_t>(e.tick) == now_) ApplyEvent(e);
    }
    if (o_.random_faults) RandomFaults();
    for (auto& [id, n] : nodes_) {
      if (!n.up && n.restart_at != 0 && n.restart_at <= now_) Restart(n);
    }
    TickAndDeliver();
    ClientTraffic();
    CheckReads();
  }

  void RandomFaults() {
    if (rng_.Chance(0.005)) Crash(PickUp());
    if (rng_.Chance(0.008)) {
      SimEvent e;
      e.kind = static_cast<int>(rng_.Uniform(3)) == 0 ? SimEvent::kOneWay : SimEvent::kPartition;
      e.a = rng_.Next();
      e.b = rng_.Next();
      SimNode* l = Leader();
      if (l && e.kind == SimEvent::kPartition && rng_.Chance(0.6)) {
        // Cut the leader off, alone or with one other node: the classic way
        // to get stale leaders, competing logs and figure-8 histories.
        uint64_t pos = std::distance(nodes_.begin(), nodes_.find(l->id));
        e.a = (1ull << pos) | (rng_.Chance(0.5) ? (1ull << rng_.Uniform(nodes_.size())) : 0);
      }
      ApplyEvent(e);
    }
    if (rng_.Chance(0.01)) ApplyEvent({0, SimEvent::kHeal, 0, 0});
    if (rng_.Chance(0.004)) ApplyEvent({0, SimEvent::kTransfer, rng_.Next(), 0});
    if (rng_.Chance(0.008)) {
      int k = static_cast<int>(rng_.Uniform(3));
      ApplyEvent({0, k == 0 ? SimEvent::kAddLearner : k == 1 ? SimEvent::kPromote : SimEvent::kRemove,
                  rng_.Next(), 0});
    }
    if (rng_.Chance(0.02)) ApplyEvent({0, SimEvent::kCompact, rng_.Next(), 0});
  }

  SimNode* PickUp() {
    std::vector<SimNode*> up;
    for (auto& [id, n] : nodes_) {
      if (n.up) up.push_back(&n);
    }
    return up.empty() ? nullptr : up[rng_.Uniform(up.size())];
  }

  SimNode* Leader() {
    SimNode* best = nullptr;
    for (auto& [id, n] : nodes_) {
      if (n.up && n.node->role() == Role::kLeader && (!best || n.node->term() > best->node->term())) {
        best = &n;
      }
    }
    return best;
  }

  SimNode* NodeAt(uint64_t index) {
    auto it = nodes_.begin();
    std::advance(it, index % nodes_.size());
    return &it->second;
  }

  void ApplyEvent(const SimEvent& e) {
    switch (e.kind) {
      case SimEvent::kCrash: {
        std::vector<SimNode*> up;
        for (auto& [id, n] : nodes_) {
          if (n.up) up.push_back(&n);
        }
        if (!up.empty()) Crash(up[e.a % up.size()]);
        break;
      }
      case SimEvent::kRestart: {
        std::vector<SimNode*> down;
        for (auto& [id, n] : nodes_) {
          if (!n.up) down.push_back(&n);
        }
        if (!down.empty()) Restart(*down[e.a % down.size()]);
        break;
      }
      case SimEvent::kPartition: {
        blocked_.clear();
        std::vector<uint64_t> ids;
        for (auto& [id, n] : nodes_) ids.push_back(id);
        for (size_t i = 0; i < ids.size(); i++) {
          for (size_t j = 0; j < ids.size(); j++) {
            bool si = (e.a >> i) & 1, sj = (e.a >> j) & 1;
            if (si != sj) blocked_.insert({ids[i], ids[j]});
          }
        }
        stats_.partitions++;
        break;
      }
      case SimEvent::kOneWay: {
        uint64_t a = NodeAt(e.a)->id, b = NodeAt(e.b)->id;
        if (a != b) {
          blocked_.insert({a, b});
          stats_.partitions++;
        }
        break;
      }
      case SimEvent::kHeal:
        if (!blocked_.empty()) stats_.heals++;
        blocked_.clear();
        break;
      case SimEvent::kTransfer: {
        SimNode* l = Leader();
        if (!l) break;
        const ConfState cs = l->node->conf_state();
        if (cs.voters.empty()) break;
        uint64_t target = cs.voters[e.a % cs.voters.size()];
        l->node->TransferLeader(target);
        stats_.transfers++;
        Process(*l);
        break;
      }
      case SimEvent::kAddLearner: {
        SimNode* l = Leader();
        if (!l || next_spare_ > static_cast<uint64_t>(o_.nodes) + 2) break;
        uint64_t id = next_spare_;
        if (l->node->ProposeConfChange({ConfChangeType::kAddLearner, id, ""}).ok()) {
          next_spare_++;
          stats_.conf_changes++;
          SimNode& n = nodes_[id];
          n.id = id;
          n.storage = std::make_unique<MemoryStorage>();
          Start(n);
          Process(*l);
        }
        break;
      }
      case SimEvent::kPromote: {
        SimNode* l = Leader();
        if (!l) break;
        ConfState cs = l->node->conf_state();
        if (cs.learners.empty()) break;
        uint64_t id = cs.learners[e.a % cs.learners.size()];
        if (l->node->ProposeConfChange({ConfChangeType::kAddNode, id, ""}).ok()) {
          stats_.conf_changes++;
          Process(*l);
        }
        break;
      }
      case SimEvent::kRemove: {
        SimNode* l = Leader();
        if (!l) break;
        ConfState cs = l->node->conf_state();
        if (cs.voters.size() <= 3) break;
        uint64_t id = cs.voters[e.a % cs.voters.size()];
        if (l->node->ProposeConfChange({ConfChangeType::kRemoveNode, id, ""}).ok()) {
          stats_.conf_changes++;
          Process(*l);
        }
        break;
      }
      case SimEvent::kCompact: {
        SimNode* n = NodeAt(e.a);
        if (n->up) Compact(*n);
        break;
      }
    }
  }

  void Crash(SimNode* n) {
    if (!n || !n->up) return;
    n->node.reset();
    n->up = false;
    n->restart_at = now_ + 5 + rng_.Uniform(40);
    stats_.crashes++;
  }

  void Restart(SimNode& n) {
    if (n.up) return;
    Start(n);
    stats_.restarts++;
  }

  void Compact(SimNode& n) {
    Snapshot cur;
    n.storage->GetSnapshot(&cur);
    if (n.sm_index < cur.meta.index + 8) return;
    std::string img;
    PutFixed64(&img, n.sm_index);
    PutFixed64(&img, n.sm_hash);
    ConfState cs = n.node->ConfStateAt(n.sm_index);
    if (!n.storage->CreateSnapshot(n.sm_index, cs, img).ok()) Fail("CreateSnapshot failed");
    uint64_t keep = rng_.Uniform(4);
    uint64_t upto = n.sm_index > keep ? n.sm_index - keep : n.sm_index;
    if (!n.storage->Compact(std::max<uint64_t>(upto, 1)).ok()) Fail("Compact failed");
    stats_.compactions++;
  }

  // ------------------------------------------------------------ network

  void Send(const Message& m) {
    stats_.messages_sent++;
    if (m.type == MessageType::kSnapshot) stats_.snapshots_sent++;
    std::string bytes = EncodeMessage(m);
    if (blocked_.count({m.from, m.to}) || rng_.Chance(drop_)) {
      stats_.messages_dropped++;
      return;
    }
    int copies = rng_.Chance(dup_) ? 2 : 1;
    if (copies == 2) stats_.messages_duplicated++;
    for (int i = 0; i < copies; i++) {
      uint64_t delay = 1 + rng_.Uniform(max_delay_);
      if (rng_.Chance(0.01)) delay += rng_.Uniform(25);  // a straggler
      net_.push_back({now_ + delay, seq_++, m.from, m.to, bytes});
    }
  }

  void TickAndDeliver() {
    for (auto& [id, n] : nodes_) {
      if (n.up) {
        n.node->Tick();
        Process(n);
      }
    }
    std::vector<Packet> due;
    for (size_t i = 0; i < net_.size();) {
      if (net_[i].deliver_at <= now_) {
        due.push_back(std::move(net_[i]));
        net_[i] = std::move(net_.back());
        net_.pop_back();
      } else {
        i++;
      }
    }
    std::sort(due.begin(), due.end(), [](const Packet& a, const Packet& b) { return a.seq < b.seq; });
    // Reorder within the tick.
    for (size_t i = due.size(); i > 1; i--) std::swap(due[i - 1], due[rng_.Uniform(i)]);
    for (Packet& p : due) {
      auto it = nodes_.find(p.to);
      if (it == nodes_.end() || !it->second.up) continue;
      Message m;
      Status s = DecodeMessage(p.bytes, &m);
      if (!s.ok()) Fail("codec: a sent message does not decode: " + s.ToString());
      stats_.messages_delivered++;
      it->second.node->Step(m);
      Process(it->second);
    }
  }

  // ------------------------------------------------------------ client traffic

  void ClientTraffic() {
    int proposals = static_cast<int>(rng_.Uniform(3));
    for (int i = 0; i < proposals; i++) {
      SimNode* n = PickUp();
      if (!n) break;
      std::string data = "s" + std::to_string(o_.seed) + "-" + std::to_string(proposal_seq_++);
      if (n->node->Propose(data).ok()) stats_.proposals++;
      Process(*n);
    }
    if (rng_.Chance(0.3)) {
      SimNode* n = PickUp();
      if (n) {
        std::string ctx = "r" + std::to_string(read_seq_++);
        reads_[ctx] = PendingRead{n->id, max_commit_};
        n->node->ReadIndex(ctx);
        Process(*n);
      }
    }
  }

  void CheckReads() {
    for (auto it = reads_.begin(); it != reads_.end();) {
      PendingRead& r = it->second;
      if (r.answered) {
        SimNode& n = nodes_[r.node];
        if (n.up && n.sm_index >= r.index) {
          // Serve it: the state at r.index must be the one every node saw there.
          stats_.reads_checked++;
          it = reads_.erase(it);
          continue;
        }
      }
      ++it;
    }
    if (reads_.size() > 2000) reads_.clear();  // lost reads (leader changes): the host would retry
  }

  // ------------------------------------------------------------ Ready handling + checks

  void Process(SimNode& n) {
    while (n.up && n.node->HasReady()) {
      if (n.node->role() == Role::kLeader && n.leader_term_seen != n.node->term()) {
        n.leader_term_seen = n.node->term();
        OnLeader(n);
      }
      Ready rd = n.node->GetReady();
      if (faults_on_ && rng_.Chance(0.0002)) {
        // Crash with the Ready taken but nothing persisted.
        stats_.crashes_mid_ready++;
        Crash(&n);
        return;
      }
      if (!rd.snapshot.IsEmpty()) InstallSnapshot(n, rd.snapshot);
      PersistEntries(n, rd.entries);
      if (rd.hard_state) {
        n.storage->SetHardState(*rd.hard_state);
        RecordCommitted(n, rd.hard_state->commit);
      }
      if (faults_on_ && rng_.Chance(0.0002)) {
        // Crash after persisting, before sending or applying.
        stats_.crashes_mid_ready++;
        Crash(&n);
        return;
      }
      for (const Message& m : rd.messages) Send(m);
      for (const Entry& e : rd.committed_entries) Apply(n, e);
      for (const ReadState& rs : rd.read_states) OnReadState(n, rs);
      n.node->Advance(rd);
    }
  }

  void OnLeader(SimNode& n) {
    uint64_t term = n.node->term();
    auto [it, inserted] = leader_of_term_.try_emplace(term, n.id);
    if (!inserted && it->second != n.id) {
      Fail("election safety: nodes " + std::to_string(it->second) + " and " + std::to_string(n.id) +
           " both lead term " + std::to_string(term));
    }
    if (inserted) stats_.leaders_elected++;
    // Leader completeness: everything known committed is in the new leader's log.
    const RaftLog& log = n.node->raft_for_testing()->log();
    if (log.LastIndex() < max_commit_) {
      Fail("leader completeness: leader " + std::to_string(n.id) + " of term " + std::to_string(term) +
           " ends at " + std::to_string(log.LastIndex()) + " but " + std::to_string(max_commit_) +
           " is committed");
    }
    for (uint64_t i = std::max<uint64_t>(log.FirstIndex(), 1); i <= max_commit_; i++) {
      uint64_t t;
      if (!log.Term(i, &t) || t != committed_[i].first) {
        Fail("leader completeness: leader " + std::to_string(n.id) + " of term " +
             std::to_string(term) + " lacks committed entry " + std::to_string(i));
      }
    }
  }

  void InstallSnapshot(SimNode& n, const Snapshot& s) {
    Slice in = s.data;
    uint64_t idx, hash;
    if (!GetFixed64(&in, &idx) || !GetFixed64(&in, &hash) || idx != s.meta.index) {
      Fail("snapshot image malformed");
    }
    auto it = chain_at_.find(idx);
    if (it != chain_at_.end() && it->second != hash) {
      Fail("state machine safety: snapshot at " + std::to_string(idx) + " differs from applied state");
    }
    if (s.meta.index > max_commit_) Fail("snapshot beyond the committed index");
    Status st = n.storage->ApplySnapshot(s);
    if (!st.ok()) Fail("ApplySnapshot: " + st.ToString());
    n.sm_index = idx;
    n.sm_hash = hash;
    n.known_commit = std::max(n.known_commit, idx);
  }

  void PersistEntries(SimNode& n, const std::vector<Entry>& ents) {
    if (ents.empty()) return;
    uint64_t prev_term;
    if (!n.storage->Term(ents[0].index - 1, &prev_term).ok()) {
      Fail("persist: no entry before " + std::to_string(ents[0].index) + " on node " +
           std::to_string(n.id));
    }
    if (ents[0].index <= n.known_commit) {
      Fail("durability: node " + std::to_string(n.id) + " overwrites committed index " +
           std::to_string(ents[0].index));
    }
    for (const Entry& e : ents) {
      // Log matching: (index, term) names one entry, and one predecessor term.
      uint64_t h = EntryHash(e);
      auto key = std::make_pair(e.index, e.term);
      auto [it, inserted] = ident_.try_emplace(key, std::make_pair(h, prev_term));
      if (!inserted && (it->second.first != h || it->second.second != prev_term)) {
        Fail("log matching: two different entries at index " + std::to_string(e.index) + " term " +
             std::to_string(e.term));
      }
      prev_term = e.term;
    }
    Status s = n.storage->Append(ents);
    if (!s.ok()) Fail("storage append: " + s.ToString());
  }

  void RecordCommitted(SimNode& n, uint64_t commit) {
    if (commit < n.known_commit) {
      // A node's commit index never goes back (it is persisted before use).
      Fail("durability: node " + std::to_string(n.id) + " commit went back to " + std::to_string(commit));
    }
    uint64_t first = n.storage->FirstIndex();
    for (uint64_t i = std::max(n.known_commit + 1, first); i <= commit; i++) {
      std::vector<Entry> ents;
      if (!n.storage->Entries(i, i + 1, UINT64_MAX, &ents).ok() || ents.empty()) {
        Fail("durability: committed index " + std::to_string(i) + " not in storage of node " +
             std::to_string(n.id));
      }
      uint64_t h = EntryHash(ents[0]);
      if (i < committed_.size()) {
        if (committed_[i].first != ents[0].term || committed_[i].second != h) {
          Fail("durability: committed index " + std::to_string(i) + " changed (node " +
               std::to_string(n.id) + " has term " + std::to_string(ents[0].term) + ", was term " +
               std::to_string(committed_[i].first) + ")");
        }
      } else {
        if (i != committed_.size()) Fail("commit index skipped past unrecorded entries");
        committed_.push_back({ents[0].term, h});
        max_commit_ = i;
      }
    }
    n.known_commit = std::max(n.known_commit, commit);
  }

  void Apply(SimNode& n, const Entry& e) {
    if (e.index != n.sm_index + 1) {
      Fail("apply out of order on node " + std::to_string(n.id) + ": " + std::to_string(e.index) +
           " after " + std::to_string(n.sm_index));
    }
    if (e.index >= committed_.size()) Fail("applied an entry not known committed");
    uint64_t h = EntryHash(e);
    if (committed_[e.index].second != h) {
      Fail("state machine safety: node " + std::to_string(n.id) + " applies a different entry at " +
           std::to_string(e.index));
    }
    n.sm_index = e.index;
    n.sm_hash = Chain(n.sm_hash, h);
    auto [it, inserted] = chain_at_.try_emplace(e.index, n.sm_hash);
    if (!inserted && it->second != n.sm_hash) {
      Fail("state machine safety: node " + std::to_string(n.id) + " state diverges at " +
           std::to_string(e.index));
    }
  }

  void OnReadState(SimNode& n, const ReadState& rs) {
    auto it = reads_.find(rs.context);
    if (it == reads_.end() || it->second.answered) return;  // duplicate answer
    PendingRead& r = it->second;
    if (r.node != n.id) Fail("read answered on the wrong node");
    if (rs.index < r.must_see) {
      Fail("linearizability: read " + rs.context + " got index " + std::to_string(rs.index) +
           " but " + std::to_string(r.must_see) + " was committed before it began");
    }
    if (rs.index > max_commit_) {
      Fail("linearizability: read " + rs.context + " at uncommitted index " + std::to_string(rs.index));
    }
    r.answered = true;
    r.index = rs.index;
  }

  // ------------------------------------------------------------ liveness

  void Liveness() {
    // Heal everything and stop injecting faults.
    faults_on_ = false;
    blocked_.clear();
    drop_ = 0;
    dup_ = 0;
    for (auto& [id, n] : nodes_) {
      if (!n.up) Restart(n);
    }
    uint64_t start = now_;
    uint64_t marker_index = 0, marker_term = 0, marker_at = 0;
    std::string marker;
    for (; now_ < start + static_cast<uint64_t>(o_.liveness_ticks); now_++) {
      Trace();
      TickAndDeliver();
      CheckReads();
      SimNode* l = Leader();
      if (!l) continue;
      if (marker_index == 0 || now_ - marker_at > 60) {
        marker = "live-" + std::to_string(now_);
        if (l->node->Propose(marker).ok()) {
          marker_index = l->node->last_index();
          marker_term = l->node->term();
          marker_at = now_;
          Process(*l);
        }
        continue;
      }
      if (marker_index >= committed_.size()) continue;
      Entry want;
      want.term = marker_term;
      want.data = marker;
      if (committed_[marker_index].second != EntryHash(want)) {
        marker_index = 0;  // overwritten before it committed: propose again
        continue;
      }
      ConfState cs = l->node->conf_state();
      bool all = true;
      for (const auto* list : {&cs.voters, &cs.learners}) {
        for (uint64_t id : *list) {
          auto it = nodes_.find(id);
          if (it == nodes_.end() || it->second.sm_index < marker_index) all = false;
        }
      }
      if (all) {
        stats_.recovery_ticks = now_ - start;
        return;
      }
    }
    SimNode* l = Leader();
    Fail(std::string("liveness: no progress ") + std::to_string(o_.liveness_ticks) +
         " ticks after healing (leader " + (l ? std::to_string(l->id) : std::string("none")) + ")");
  }

  SimOptions o_;
  Rng rng_;
  uint64_t now_ = 0;
  bool faults_on_ = o_.random_faults;
  int max_delay_ = o_.max_delay;
  bool pre_vote_ = true;
  bool check_quorum_ = true;
  double drop_ = o_.drop;
  double dup_ = o_.duplicate;
  std::map<uint64_t, SimNode> nodes_;
  uint64_t next_spare_ = 0;
  std::vector<Packet> net_;
  uint64_t seq_ = 0;
  std::set<std::pair<uint64_t, uint64_t>> blocked_;
  uint64_t proposal_seq_ = 0;
  uint64_t read_seq_ = 0;

  std::map<uint64_t, uint64_t> leader_of_term_;
  std::vector<std::pair<uint64_t, uint64_t>> committed_ = {{0, 0}};  // index -> (term, hash)
  uint64_t max_commit_ = 0;
  std::unordered_map<uint64_t, uint64_t> chain_at_;
  struct PairHash {
    size_t operator()(const std::pair<uint64_t, uint64_t>& p) const {
      return p.first * 0x9e3779b97f4a7c15ull ^ p.second;
    }
  };
  std::unordered_map<std::pair<uint64_t, uint64_t>, std::pair<uint64_t, uint64_t>, PairHash> ident_;
  std::map<std::string, PendingRead> reads_;
  SimStats stats_;
};

}  // namespace

SimResult RunSimulation(const SimOptions& options) {
  Sim sim(options);
  return sim.Run();
}

}  // namespace kvstore::raft
