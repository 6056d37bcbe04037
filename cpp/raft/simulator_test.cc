// The simulator over a handful of seeds (the CI run of >= 300 seeds is
// `python -m kvstore.sim`); plus scripted schedules for the scenarios that
// once broke, kept as regression tests.
#include <gtest/gtest.h>

#include <cstdlib>

#include "raft/simulator.h"

namespace kvstore::raft {
namespace {

void ExpectSeeds(int nodes, uint64_t first, uint64_t count, int steps) {
  for (uint64_t seed = first; seed < first + count; seed++) {
    SimOptions o;
    o.seed = seed;
    o.nodes = nodes;
    o.steps = steps;
    SimResult r = RunSimulation(o);
    EXPECT_TRUE(r.ok) << "seed " << seed << " nodes " << nodes << ": " << r.violation;
    if (!r.ok) return;
  }
}

TEST(SimulatorTest, ThreeNodeSeeds) { ExpectSeeds(3, 1, 10, 1000); }
TEST(SimulatorTest, FiveNodeSeeds) { ExpectSeeds(5, 1, 6, 1000); }

TEST(SimulatorTest, Deterministic) {
  SimOptions o;
  o.seed = 77;
  SimResult a = RunSimulation(o), b = RunSimulation(o);
  EXPECT_EQ(a.stats.messages_sent, b.stats.messages_sent);
  EXPECT_EQ(a.stats.committed, b.stats.committed);
  EXPECT_EQ(a.stats.leaders_elected, b.stats.leaders_elected);
}

// Regression (simulator): faults kept being injected during the liveness
// phase, so crashed nodes never came back and a healthy core "failed" liveness
// (seed 10, 3 nodes). Every node down at the heal must still recover.
TEST(SimulatorTest, RecoversWhenEveryNodeIsDownAtHeal) {
  SimOptions o;
  o.seed = 10;
  o.steps = 300;
  o.random_faults = false;
  for (int i = 0; i < 5; i++) o.schedule.push_back({299, SimEvent::kCrash, 0, 0});
  o.schedule.push_back({250, SimEvent::kPartition, 1, 0});
  SimResult r = RunSimulation(o);
  ASSERT_TRUE(r.ok) << r.violation;
  EXPECT_EQ(r.stats.crashes, 3u);
  EXPECT_GT(r.stats.recovery_ticks, 0u);
}

TEST(SimulatorTest, FaultFreeRunCommitsALot) {
  SimOptions o;
  o.random_faults = false;
  o.drop = 0;
  o.duplicate = 0;
  SimResult r = RunSimulation(o);
  ASSERT_TRUE(r.ok) << r.violation;
  EXPECT_GT(r.stats.committed, 300u);
  EXPECT_EQ(r.stats.leaders_elected, 1u);
}

}  // namespace
}  // namespace kvstore::raft
