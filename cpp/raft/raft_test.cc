// Unit tests of the Raft rules, one scenario per test, driven through the
// synchronous test cluster (every message is encoded and decoded on the way).
#include <gtest/gtest.h>

#include "raft/test_cluster.h"

namespace kvstore::raft {
namespace {

using testing::Cluster;
using testing::StorageWithLog;

ConfState Voters(std::initializer_list<uint64_t> ids) {
  ConfState cs;
  cs.voters = ids;
  return cs;
}

TEST(RaftElectionTest, SingleLeaderAfterTimeout) {
  Cluster c(3);
  c.TickAll(40);
  uint64_t lead = c.Leader();
  ASSERT_NE(lead, 0u);
  for (auto& [id, tn] : c.nodes()) {
    EXPECT_EQ(tn.node->leader(), lead) << id;
    EXPECT_EQ(tn.node->term(), c.node(lead).term());
  }
}

TEST(RaftElectionTest, RandomizedTimeoutsDifferAndStayInRange) {
  Cluster c(5);
  std::set<int> seen;
  for (uint64_t id = 1; id <= 5; id++) {
    int t = c.raft(id).randomized_election_timeout();
    EXPECT_GE(t, 10);
    EXPECT_LT(t, 20);
    seen.insert(t);
  }
  EXPECT_GT(seen.size(), 1u);
}

TEST(RaftElectionTest, VoteRequiresUpToDateLog) {
  // Node 1 has a shorter log than 2 and 3: it cannot win; node 2 can.
  ConfState cs = Voters({1, 2, 3});
  Cluster c;
  c.AddNode(1, StorageWithLog(cs, {1}, 1));
  c.AddNode(2, StorageWithLog(cs, {1, 1}, 1));
  c.AddNode(3, StorageWithLog(cs, {1, 1}, 1));
  c.Elect(1);
  EXPECT_NE(c.node(1).role(), Role::kLeader);
  c.Elect(2);
  EXPECT_EQ(c.node(2).role(), Role::kLeader);
}

TEST(RaftElectionTest, PreVoteAcrossPartitionDoesNotDisturbLeader) {
  Cluster c(3);
  c.Elect(1);
  ASSERT_EQ(c.Leader(), 1u);
  uint64_t term = c.node(1).term();
  c.Isolate(3);
  for (int i = 0; i < 100; i++) {
    c.TickAll();
  }
  // Pre-vote never succeeds for the isolated node, so its term never moves.
  EXPECT_EQ(c.node(3).term(), term);
  EXPECT_NE(c.node(3).role(), Role::kLeader);
  c.Heal();
  c.TickAll(30);
  EXPECT_EQ(c.Leader(), 1u);
  EXPECT_EQ(c.node(1).term(), term);
  EXPECT_EQ(c.node(3).leader(), 1u);
}

TEST(RaftElectionTest, WithoutPreVoteARejoiningNodeRaisesTerms) {
  Cluster c(3, [](RaftConfig* cfg) {
    cfg->pre_vote = false;
    cfg->check_quorum = false;
  });
  c.Elect(1);
  uint64_t term = c.node(1).term();
  c.Isolate(3);
  c.TickAll(100);
  EXPECT_GT(c.node(3).term(), term);  // contrast with the pre-vote test above
}

TEST(RaftElectionTest, StaleLeaderStepsDownUnderCheckQuorum) {
  Cluster c(3);
  c.Elect(1);
  ASSERT_EQ(c.Leader(), 1u);
  c.Isolate(1);
  c.TickAll(25);
  EXPECT_EQ(c.node(1).role(), Role::kFollower);
  // The majority side elects a new leader in a higher term.
  c.TickAll(40);
  uint64_t lead = c.Leader();
  ASSERT_TRUE(lead == 2 || lead == 3);
  EXPECT_GT(c.node(lead).term(), c.node(1).term());
  c.Heal();
  c.TickAll(5);
  EXPECT_EQ(c.node(1).leader(), lead);
}

TEST(RaftElectionTest, LeaseIgnoresDisruptiveVote) {
  Cluster c(3);
  c.Elect(1);
  // Node 3 forces an election without pre-vote (as after a restart with a
  // higher term): 2 heard from the leader recently and ignores it.
  Message m;
  m.type = MessageType::kVote;
  m.from = 3;
  m.to = 2;
  m.term = c.node(2).term() + 5;
  m.index = 100;
  m.log_term = 100;
  ASSERT_TRUE(c.node(2).Step(m).ok());
  EXPECT_EQ(c.node(2).term(), c.node(1).term());
  EXPECT_EQ(c.node(2).leader(), 1u);
}

// Figure 7 of the Raft paper: a leader of term 8 brings each of the followers
// (a)-(f) to its own log, truncating what conflicts.
TEST(RaftReplicationTest, Figure7FollowersConvergeToLeader) {
  std::vector<uint64_t> leader_log = {1, 1, 1, 4, 4, 5, 5, 6, 6, 6};
  std::vector<std::vector<uint64_t>> followers = {
      {1, 1, 1, 4, 4, 5, 5, 6, 6},              // a
      {1, 1, 1, 4},                             // b
      {1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6},        // c
      {1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7},     // d
      {1, 1, 1, 4, 4, 4, 4},                    // e
      {1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3},        // f
  };
  for (size_t f = 0; f < followers.size(); f++) {
    SCOPED_TRACE("follower " + std::string(1, static_cast<char>('a' + f)));
    ConfState cs = Voters({1, 2, 3});
    Cluster c;
    c.AddNode(1, StorageWithLog(cs, leader_log, 7));
    c.AddNode(2, StorageWithLog(cs, followers[f], 7));
    c.AddNode(3, StorageWithLog(cs, {}, 7));  // votes for 1 (any log beats an empty one)
    c.Cut(1, 2);
    c.Elect(1);
    ASSERT_EQ(c.node(1).role(), Role::kLeader);
    ASSERT_EQ(c.node(1).term(), 8u);
    c.Heal();
    c.TickAll(3);
    EXPECT_EQ(c.LogTerms(2), c.LogTerms(1));
    EXPECT_EQ(c.node(2).committed(), 11u);  // leader_log + the term-8 no-op
  }
}

// Figure 8: a leader must not commit an entry of an earlier term by counting
// replicas; it commits once an entry of its own term is on a majority.
TEST(RaftReplicationTest, Figure8OnlyCurrentTermEntriesCommitByCounting) {
  ConfState cs = Voters({1, 2, 3, 4, 5});
  Cluster c(0, [](RaftConfig* cfg) { cfg->max_size_per_msg = 1; });
  c.AddNode(1, StorageWithLog(cs, {1, 2}, 3));  // S1 holds index 2 from term 2
  for (uint64_t id = 2; id <= 5; id++) c.AddNode(id, StorageWithLog(cs, {1}, 3));
  // Seed commit = 1 on everyone.
  for (uint64_t id = 1; id <= 5; id++) {
    HardState hs{3, 0, 1};
    c.tn(id).storage->SetHardState(hs);
    c.Restart(id);
  }
  // The leader never hears that anyone stored the term-4 no-op (index 3).
  c.SetDrop([](const Message& m) {
    return m.type == MessageType::kAppendResp && !m.reject && m.index >= 3;
  });
  c.Elect(1);
  ASSERT_EQ(c.node(1).role(), Role::kLeader);
  ASSERT_EQ(c.node(1).term(), 4u);
  c.TickAll(3);
  // Index 2 (term 2) is known to be on all five servers, yet it is not committed.
  for (uint64_t id = 2; id <= 5; id++) ASSERT_EQ(c.raft(1).progress().at(id).match, 2u);
  EXPECT_EQ(c.node(1).committed(), 1u);
  c.Heal();
  c.TickAll(3);
  EXPECT_EQ(c.node(1).committed(), 3u);
  for (uint64_t id = 2; id <= 5; id++) EXPECT_EQ(c.node(id).committed(), 3u);
}

TEST(RaftReplicationTest, ProposalsCommitAndApplyEverywhere) {
  Cluster c(3);
  c.Elect(1);
  for (int i = 0; i < 20; i++) ASSERT_TRUE(c.node(1).Propose("v" + std::to_string(i)).ok());
  c.Stabilize();
  c.TickAll(2);
  for (uint64_t id = 1; id <= 3; id++) {
    auto& applied = c.tn(id).applied;
    ASSERT_EQ(applied.size(), 24u);  // 3 bootstrap entries, the no-op, 20 proposals
    EXPECT_EQ(applied.back().data, "v19");
  }
  EXPECT_FALSE(c.node(2).Propose("x").ok());  // followers do not accept proposals
}

TEST(RaftReplicationTest, ProposeBatchSendsOneAppendPerFollower) {
  Cluster c(3);
  c.Elect(1);
  c.TickAll(1);
  size_t appends = 0;
  c.SetDrop([&](const Message& m) {
    if (m.type == MessageType::kAppend && !m.entries.empty()) appends++;
    return false;
  });
  ASSERT_TRUE(c.node(1).ProposeBatch({"a", "b", "c", "d"}).ok());
  c.Stabilize();
  EXPECT_EQ(appends, 2u);
  EXPECT_EQ(c.tn(3).applied.back().data, "d");
  EXPECT_EQ(c.node(3).committed(), c.node(1).last_index());
  EXPECT_TRUE(c.node(2).ProposeBatch({"x"}).IsInvalidArgument());
}

TEST(RaftReplicationTest, FastBacktrackingSkipsAWholeTermPerRound) {
  // Follower 2 holds 50 entries of a term the leader never saw.
  ConfState cs = Voters({1, 2, 3});
  std::vector<uint64_t> lead(10, 1), follow(10, 1);
  lead.insert(lead.end(), 50, 3);
  follow.insert(follow.end(), 50, 2);
  Cluster c;
  c.AddNode(1, StorageWithLog(cs, lead, 3));
  c.AddNode(2, StorageWithLog(cs, follow, 3));
  c.AddNode(3, StorageWithLog(cs, lead, 3));
  size_t rejects = 0;
  c.SetDrop([&](const Message& m) {
    if (m.type == MessageType::kAppendResp && m.reject && m.from == 2) rejects++;
    return false;
  });
  c.Elect(1);
  c.TickAll(3);
  EXPECT_EQ(c.LogTerms(2), c.LogTerms(1));
  EXPECT_LE(rejects, 3u);  // not ~50 as with one-by-one backtracking
}

TEST(RaftReplicationTest, InflightWindowBoundsUnackedAppends) {
  Cluster c(3, [](RaftConfig* cfg) {
    cfg->max_inflight_msgs = 4;
    cfg->max_size_per_msg = 1;
  });
  c.Elect(1);
  c.TickAll(2);
  // Node 2 stops answering; proposals pile up.
  size_t to2 = 0;
  c.SetDrop([&](const Message& m) {
    // Entry-carrying appends count against the window; empty ones (commit
    // updates) do not.
    if (m.to == 2 && m.type == MessageType::kAppend && !m.entries.empty()) to2++;
    return m.from == 2;
  });
  for (int i = 0; i < 30; i++) {
    ASSERT_TRUE(c.node(1).Propose("p").ok());
    c.Stabilize();
  }
  EXPECT_LE(to2, 4u);
  const Progress& pr = c.raft(1).progress().at(2);
  EXPECT_TRUE(pr.inflights.Full());
  // The other follower keeps the group committing.
  EXPECT_EQ(c.node(1).committed(), c.node(1).last_index());
  c.Heal();
  c.TickAll(5);
  EXPECT_EQ(c.LogTerms(2), c.LogTerms(1));
}

TEST(RaftReplicationTest, RestartKeepsTermVoteAndLog) {
  Cluster c(3);
  c.Elect(1);
  ASSERT_TRUE(c.node(1).Propose("a").ok());
  c.Stabilize();
  uint64_t term = c.node(2).term();
  uint64_t last = c.node(2).last_index();
  c.Crash(2);
  c.Restart(2);
  EXPECT_EQ(c.node(2).term(), term);
  EXPECT_EQ(c.node(2).last_index(), last);
  EXPECT_EQ(c.raft(2).vote(), 1u);
  c.TickAll(3);
  // Re-applies everything after the snapshot (none here) on restart.
  EXPECT_EQ(c.tn(2).applied.size(), 5u);
}

TEST(RaftSnapshotTest, LaggingFollowerGetsSnapshot) {
  Cluster c(3);
  c.Elect(1);
  c.Crash(3);
  for (int i = 0; i < 30; i++) ASSERT_TRUE(c.node(1).Propose("v" + std::to_string(i)).ok());
  c.Stabilize();
  uint64_t applied = c.node(1).applied();
  ASSERT_EQ(applied, 34u);  // 3 bootstrap entries, the no-op, 30 proposals
  auto& st = *c.tn(1).storage;
  ASSERT_TRUE(st.CreateSnapshot(applied, c.node(1).ConfStateAt(applied), "image@34").ok());
  ASSERT_TRUE(st.Compact(applied).ok());
  c.Restart(3);
  size_t snaps = 0;
  c.SetDrop([&](const Message& m) {
    if (m.type == MessageType::kSnapshot) snaps++;
    return false;
  });
  c.TickAll(3);
  EXPECT_EQ(snaps, 1u);
  Snapshot got;
  c.tn(3).storage->GetSnapshot(&got);
  EXPECT_EQ(got.meta.index, 34u);
  EXPECT_EQ(got.data, "image@34");
  EXPECT_EQ(got.meta.conf, Voters({1, 2, 3}));
  ASSERT_TRUE(c.node(1).Propose("after").ok());
  c.Stabilize();
  c.TickAll(1);
  EXPECT_EQ(c.node(3).committed(), 35u);
  ASSERT_FALSE(c.tn(3).applied.empty());
  EXPECT_EQ(c.tn(3).applied.back().data, "after");
}

TEST(RaftSnapshotTest, LostSnapshotIsResent) {
  Cluster c(3);
  c.Elect(1);
  c.Crash(3);
  for (int i = 0; i < 5; i++) ASSERT_TRUE(c.node(1).Propose("v").ok());
  c.Stabilize();
  auto& st = *c.tn(1).storage;
  uint64_t applied = c.node(1).applied();
  ASSERT_TRUE(st.CreateSnapshot(applied, c.node(1).ConfStateAt(applied), "img").ok());
  ASSERT_TRUE(st.Compact(applied).ok());
  c.Restart(3);
  int dropped = 0;
  c.SetDrop([&](const Message& m) { return m.type == MessageType::kSnapshot && dropped++ == 0; });
  c.TickAll(30);
  EXPECT_EQ(c.node(3).committed(), c.node(1).committed());
}

TEST(RaftMembershipTest, AddLearnerThenPromote) {
  Cluster c(3);
  c.Elect(1);
  c.TickAll(1);
  ASSERT_TRUE(c.node(1).ProposeConfChange({ConfChangeType::kAddLearner, 4, ""}).ok());
  c.AddNode(4, std::make_unique<MemoryStorage>());
  c.Stabilize();
  c.TickAll(3);
  EXPECT_TRUE(c.node(1).conf_state().IsLearner(4));
  EXPECT_EQ(c.node(4).conf_state(), c.node(1).conf_state());
  EXPECT_EQ(c.LogTerms(4), c.LogTerms(1));
  // A learner never campaigns.
  c.Tick(4, 100);
  c.Stabilize();
  EXPECT_EQ(c.node(4).role(), Role::kFollower);
  ASSERT_TRUE(c.node(1).ProposeConfChange({ConfChangeType::kAddNode, 4, ""}).ok());
  c.Stabilize();
  c.TickAll(2);
  EXPECT_EQ(c.node(1).conf_state(), Voters({1, 2, 3, 4}));
  EXPECT_EQ(c.node(4).conf_state(), Voters({1, 2, 3, 4}));
}

// Regression: the initial configuration once lived only in the bootstrap
// snapshot's metadata, so a server added later replayed the log from an empty
// configuration and believed the group had no voters.
TEST(RaftMembershipTest, NewServerLearnsBootstrapConfiguration) {
  Cluster c(3);
  c.Elect(1);
  c.TickAll(1);
  ASSERT_TRUE(c.node(1).ProposeConfChange({ConfChangeType::kAddLearner, 4, ""}).ok());
  c.AddNode(4, std::make_unique<MemoryStorage>());
  c.Stabilize();
  c.TickAll(2);
  ConfState want = Voters({1, 2, 3});
  want.learners = {4};
  EXPECT_EQ(c.node(4).conf_state(), want);
  EXPECT_EQ(c.node(4).ConfStateAt(3), Voters({1, 2, 3}));
  EXPECT_EQ(c.node(4).ConfStateAt(1), Voters({1}));
}

TEST(RaftMembershipTest, OneChangeAtATimeAndOnlyAfterATermCommit) {
  Cluster c(3);
  // Elected, but no acknowledgement arrives: the term's no-op is uncommitted.
  c.SetDrop([](const Message& m) { return m.type == MessageType::kAppendResp; });
  c.Elect(1);
  ASSERT_EQ(c.node(1).role(), Role::kLeader);
  EXPECT_TRUE(c.node(1).ProposeConfChange({ConfChangeType::kAddLearner, 4, ""}).IsBusy());
  c.Heal();
  c.TickAll(2);
  ASSERT_TRUE(c.node(1).ProposeConfChange({ConfChangeType::kAddLearner, 4, ""}).ok());
  // The first change is not committed yet (nothing delivered): a second is refused.
  EXPECT_TRUE(c.node(1).ProposeConfChange({ConfChangeType::kAddLearner, 5, ""}).IsBusy());
  c.Stabilize();
  EXPECT_TRUE(c.node(1).ProposeConfChange({ConfChangeType::kAddLearner, 5, ""}).ok());
  // Invalid changes are refused outright.
  c.Stabilize();
  EXPECT_TRUE(c.node(1).ProposeConfChange({ConfChangeType::kAddNode, 2, ""}).IsInvalidArgument());
  EXPECT_TRUE(c.node(1).ProposeConfChange({ConfChangeType::kRemoveNode, 9, ""}).IsInvalidArgument());
}

TEST(RaftMembershipTest, CrashInTheMiddleOfAChange) {
  Cluster c(3);
  c.Elect(1);
  c.TickAll(1);
  c.AddNode(4, std::make_unique<MemoryStorage>());
  // The leader appends the change and reaches only node 2, then crashes.
  c.SetDrop([](const Message& m) { return m.from == 1 && m.to != 2; });
  ASSERT_TRUE(c.node(1).ProposeConfChange({ConfChangeType::kAddNode, 4, ""}).ok());
  c.Stabilize();
  EXPECT_EQ(c.node(2).conf_state(), Voters({1, 2, 3, 4}));  // in effect on append
  c.Crash(1);
  c.Heal();
  // 2 holds the newest log and wins; the change then commits in 2's term.
  c.TickAll(60);
  uint64_t lead = c.Leader();
  ASSERT_EQ(lead, 2u);
  c.Restart(1);
  c.TickAll(10);
  for (uint64_t id = 1; id <= 4; id++) {
    EXPECT_EQ(c.node(id).conf_state(), Voters({1, 2, 3, 4})) << id;
    EXPECT_EQ(c.node(id).committed(), c.node(lead).committed()) << id;
  }
  // Now remove the old leader.
  ASSERT_TRUE(c.node(lead).ProposeConfChange({ConfChangeType::kRemoveNode, 1, ""}).ok());
  c.Stabilize();
  c.TickAll(3);
  EXPECT_EQ(c.node(3).conf_state(), Voters({2, 3, 4}));
  ASSERT_TRUE(c.node(lead).Propose("after-remove").ok());
  c.Stabilize();
  c.TickAll(2);
  EXPECT_EQ(c.tn(4).applied.back().data, "after-remove");
}

TEST(RaftMembershipTest, UncommittedChangeRollsBackOnTruncation) {
  Cluster c(3);
  c.Elect(1);
  c.TickAll(1);
  // Leader 1 appends a change that reaches nobody, then loses leadership.
  c.Isolate(1);
  ASSERT_TRUE(c.node(1).ProposeConfChange({ConfChangeType::kAddLearner, 7, ""}).ok());
  EXPECT_TRUE(c.node(1).conf_state().IsLearner(7));
  c.TickAll(60);
  uint64_t lead = c.Leader();
  ASSERT_TRUE(lead == 2 || lead == 3);
  ASSERT_TRUE(c.node(lead).Propose("x").ok());
  c.Stabilize();
  c.Heal();
  c.TickAll(5);
  // 1's conflicting entry was replaced, and with it the configuration.
  EXPECT_FALSE(c.node(1).conf_state().IsLearner(7));
  EXPECT_EQ(c.LogTerms(1), c.LogTerms(lead));
}

TEST(RaftMembershipTest, RemovedLeaderStepsDownAfterCommit) {
  Cluster c(3);
  c.Elect(1);
  c.TickAll(1);
  ASSERT_TRUE(c.node(1).ProposeConfChange({ConfChangeType::kRemoveNode, 1, ""}).ok());
  c.Stabilize();
  EXPECT_NE(c.node(1).role(), Role::kLeader);
  c.TickAll(60);
  uint64_t lead = c.Leader();
  ASSERT_TRUE(lead == 2 || lead == 3);
  EXPECT_EQ(c.node(lead).conf_state(), Voters({2, 3}));
  EXPECT_NE(c.node(1).role(), Role::kLeader);
}

TEST(RaftTransferTest, TransferToUpToDateFollower) {
  Cluster c(3);
  c.Elect(1);
  c.TickAll(1);
  c.node(1).TransferLeader(2);
  c.Stabilize();
  EXPECT_EQ(c.Leader(), 2u);
  EXPECT_EQ(c.node(1).leader(), 2u);
}

TEST(RaftTransferTest, TransferWaitsForLaggingTarget) {
  Cluster c(3);
  c.Elect(1);
  c.Isolate(3);
  for (int i = 0; i < 10; i++) ASSERT_TRUE(c.node(1).Propose("v").ok());
  c.Stabilize();
  c.node(1).TransferLeader(3);
  EXPECT_TRUE(c.node(1).Propose("during").IsBusy());
  c.Heal();
  c.Stabilize();
  EXPECT_EQ(c.Leader(), 3u);
  EXPECT_EQ(c.node(3).last_index(), c.node(1).last_index());
}

TEST(RaftTransferTest, TransferAbortsAfterElectionTimeout) {
  Cluster c(3);
  c.Elect(1);
  c.Isolate(3);
  c.node(1).TransferLeader(3);
  EXPECT_EQ(c.raft(1).lead_transferee(), 3u);
  c.TickAll(11);
  EXPECT_EQ(c.raft(1).lead_transferee(), 0u);
  EXPECT_EQ(c.Leader(), 1u);
  EXPECT_TRUE(c.node(1).Propose("ok again").ok());
}

TEST(RaftReadIndexTest, LeaderAndFollowerReads) {
  Cluster c(3);
  c.Elect(1);
  ASSERT_TRUE(c.node(1).Propose("a").ok());
  c.Stabilize();
  c.node(1).ReadIndex("r1");
  c.Stabilize();
  ASSERT_EQ(c.tn(1).reads.size(), 1u);
  EXPECT_EQ(c.tn(1).reads[0].context, "r1");
  EXPECT_EQ(c.tn(1).reads[0].index, c.node(1).committed());
  c.node(3).ReadIndex("r2");
  c.Stabilize();
  ASSERT_EQ(c.tn(3).reads.size(), 1u);
  EXPECT_EQ(c.tn(3).reads[0].index, c.node(1).committed());
}

TEST(RaftReadIndexTest, PartitionedLeaderCannotServeReads) {
  Cluster c(3);
  c.Elect(1);
  c.Isolate(1);
  c.node(1).ReadIndex("stale");
  c.TickAll(5);
  EXPECT_TRUE(c.tn(1).reads.empty());
}

TEST(RaftReadIndexTest, ReadWaitsForFirstCommitOfTerm) {
  Cluster c(3);
  c.Isolate(1);
  c.Elect(1);  // pre-vote fails while isolated
  EXPECT_NE(c.node(1).role(), Role::kLeader);
  c.Heal();
  c.SetDrop([](const Message& m) { return m.type == MessageType::kAppendResp; });
  c.Elect(1);
  ASSERT_EQ(c.node(1).role(), Role::kLeader);
  c.node(1).ReadIndex("early");
  c.Stabilize();
  EXPECT_TRUE(c.tn(1).reads.empty());
  c.Heal();
  c.TickAll(2);
  ASSERT_EQ(c.tn(1).reads.size(), 1u);
  EXPECT_GE(c.tn(1).reads[0].index, 1u);
}

TEST(RaftStepTest, RejectsForeignAndSelfMessages) {
  Cluster c(3);
  Message m;
  m.type = MessageType::kHeartbeat;
  m.from = 2;
  m.to = 3;
  EXPECT_TRUE(c.node(1).Step(m).IsInvalidArgument());
  m.to = 1;
  m.from = 1;
  EXPECT_TRUE(c.node(1).Step(m).IsInvalidArgument());
}

TEST(RaftStorageTest, MemoryStorageAppendTruncateCompact) {
  MemoryStorage s;
  std::vector<Entry> ents;
  for (uint64_t i = 1; i <= 5; i++) ents.push_back({1, i, EntryType::kNormal, "x"});
  ASSERT_TRUE(s.Append(ents).ok());
  EXPECT_EQ(s.LastIndex(), 5u);
  ASSERT_TRUE(s.Append({{2, 3, EntryType::kNormal, "y"}}).ok());
  EXPECT_EQ(s.LastIndex(), 3u);
  uint64_t t;
  ASSERT_TRUE(s.Term(3, &t).ok());
  EXPECT_EQ(t, 2u);
  EXPECT_TRUE(s.Append({{2, 9, EntryType::kNormal, "gap"}}).IsInvalidArgument());
  EXPECT_TRUE(s.Compact(2).IsInvalidArgument());  // past the snapshot
  ASSERT_TRUE(s.CreateSnapshot(2, {}, "img").ok());
  ASSERT_TRUE(s.Compact(2).ok());
  EXPECT_EQ(s.FirstIndex(), 3u);
  EXPECT_TRUE(s.Term(1, &t).IsNotFound());
  ASSERT_TRUE(s.Term(2, &t).ok());
  EXPECT_EQ(t, 1u);
  std::vector<Entry> out;
  EXPECT_TRUE(s.Entries(2, 4, UINT64_MAX, &out).IsNotFound());
  ASSERT_TRUE(s.Entries(3, 4, UINT64_MAX, &out).ok());
  EXPECT_EQ(out.size(), 1u);
}

}  // namespace
}  // namespace kvstore::raft
