// kvstore._core.raft: the Raft core and its simulator for Python. Thin: type
// conversion (byte fields are `bytes`), status -> exception mapping, and the
// GIL released around whole simulation runs. No consensus logic lives here.
#include <pybind11/operators.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>

#include "bindings/bindings.h"
#include "kvstore/raft.h"
#include "raft/simulator.h"

namespace py = pybind11;

namespace kvstore::bindings {

namespace {

using namespace kvstore::raft;

// Raised for refused operations (not leader, a change pending, ...).
PyObject* g_raft_error = nullptr;

void Check(const Status& s) {
  if (s.ok()) return;
  if (s.IsCorruption()) throw py::value_error(s.ToString());
  PyErr_SetString(g_raft_error, s.ToString().c_str());
  throw py::error_already_set();
}

std::string ToString(const py::bytes& b) { return std::string(b); }

// A std::string member exposed as a bytes property.
template <typename T>
void BytesField(py::class_<T>& cls, const char* name, std::string T::*field) {
  cls.def_property(
      name, [field](const T& self) { return py::bytes(self.*field); },
      [field](T& self, const py::bytes& v) { self.*field = ToString(v); });
}

}  // namespace

void RegisterRaft(py::module_& parent) {
  py::module_ m = parent.def_submodule(
      "raft", "The Raft consensus core (a pure state machine) and its deterministic simulator.");

  g_raft_error = PyErr_NewException("kvstore._core.raft.RaftError", PyExc_RuntimeError, nullptr);
  m.attr("RaftError") = py::handle(g_raft_error);

  py::enum_<EntryType>(m, "EntryType").value("NORMAL", EntryType::kNormal).value("CONF_CHANGE", EntryType::kConfChange);
  py::enum_<ConfChangeType>(m, "ConfChangeType")
      .value("ADD_NODE", ConfChangeType::kAddNode)
      .value("ADD_LEARNER", ConfChangeType::kAddLearner)
      .value("REMOVE_NODE", ConfChangeType::kRemoveNode);
  py::enum_<Role>(m, "Role")
      .value("FOLLOWER", Role::kFollower)
      .value("PRE_CANDIDATE", Role::kPreCandidate)
      .value("CANDIDATE", Role::kCandidate)
      .value("LEADER", Role::kLeader);
  py::enum_<MessageType>(m, "MessageType")
      .value("APPEND", MessageType::kAppend)
      .value("APPEND_RESP", MessageType::kAppendResp)
      .value("VOTE", MessageType::kVote)
      .value("VOTE_RESP", MessageType::kVoteResp)
      .value("PRE_VOTE", MessageType::kPreVote)
      .value("PRE_VOTE_RESP", MessageType::kPreVoteResp)
      .value("HEARTBEAT", MessageType::kHeartbeat)
      .value("HEARTBEAT_RESP", MessageType::kHeartbeatResp)
      .value("SNAPSHOT", MessageType::kSnapshot)
      .value("TIMEOUT_NOW", MessageType::kTimeoutNow)
      .value("READ_INDEX", MessageType::kReadIndex)
      .value("READ_INDEX_RESP", MessageType::kReadIndexResp)
      .value("TRANSFER_LEADER", MessageType::kTransferLeader);

  py::class_<Entry> entry(m, "Entry");
  entry.def(py::init<>())
      .def(py::init([](uint64_t term, uint64_t index, EntryType type, const py::bytes& data) {
             return Entry{term, index, type, ToString(data)};
           }),
           py::arg("term") = 0, py::arg("index") = 0, py::arg("type") = EntryType::kNormal,
           py::arg("data") = py::bytes())
      .def_readwrite("term", &Entry::term)
      .def_readwrite("index", &Entry::index)
      .def_readwrite("type", &Entry::type)
      .def(py::self == py::self)
      .def("__repr__", [](const Entry& e) {
        return "Entry(term=" + std::to_string(e.term) + ", index=" + std::to_string(e.index) +
               ", type=" + std::to_string(static_cast<int>(e.type)) + ", " +
               std::to_string(e.data.size()) + " bytes)";
      });
  BytesField(entry, "data", &Entry::data);

  py::class_<HardState>(m, "HardState")
      .def(py::init<>())
      .def(py::init([](uint64_t term, uint64_t vote, uint64_t commit) { return HardState{term, vote, commit}; }),
           py::arg("term"), py::arg("vote"), py::arg("commit"))
      .def_readwrite("term", &HardState::term)
      .def_readwrite("vote", &HardState::vote)
      .def_readwrite("commit", &HardState::commit)
      .def(py::self == py::self)
      .def("__repr__", [](const HardState& h) {
        return "HardState(term=" + std::to_string(h.term) + ", vote=" + std::to_string(h.vote) +
               ", commit=" + std::to_string(h.commit) + ")";
      });

  py::class_<ConfState>(m, "ConfState")
      .def(py::init<>())
      .def(py::init([](std::vector<uint64_t> voters, std::vector<uint64_t> learners) {
             std::sort(voters.begin(), voters.end());
             std::sort(learners.begin(), learners.end());
             return ConfState{voters, learners};
           }),
           py::arg("voters"), py::arg("learners") = std::vector<uint64_t>{})
      .def_readwrite("voters", &ConfState::voters)
      .def_readwrite("learners", &ConfState::learners)
      .def(py::self == py::self)
      .def("__repr__", [](const ConfState& c) {
        std::string s = "ConfState(voters=[";
        for (uint64_t v : c.voters) s += std::to_string(v) + ",";
        s += "], learners=[";
        for (uint64_t v : c.learners) s += std::to_string(v) + ",";
        return s + "])";
      });

  py::class_<SnapshotMetadata>(m, "SnapshotMetadata")
      .def(py::init<>())
      .def_readwrite("index", &SnapshotMetadata::index)
      .def_readwrite("term", &SnapshotMetadata::term)
      .def_readwrite("conf", &SnapshotMetadata::conf);
  py::class_<Snapshot> snap(m, "Snapshot");
  snap.def(py::init<>()).def_readwrite("meta", &Snapshot::meta).def("is_empty", &Snapshot::IsEmpty);
  BytesField(snap, "data", &Snapshot::data);

  py::class_<ConfChange> cc(m, "ConfChange");
  cc.def(py::init([](ConfChangeType type, uint64_t node_id, const py::bytes& context) {
           return ConfChange{type, node_id, ToString(context)};
         }),
         py::arg("type"), py::arg("node_id"), py::arg("context") = py::bytes())
      .def_readwrite("type", &ConfChange::type)
      .def_readwrite("node_id", &ConfChange::node_id)
      .def(py::self == py::self);
  BytesField(cc, "context", &ConfChange::context);

  py::class_<Message> msg(m, "Message");
  msg.def(py::init<>())
      .def_readwrite("type", &Message::type)
      .def_readwrite("from_", &Message::from)
      .def_readwrite("to", &Message::to)
      .def_readwrite("term", &Message::term)
      .def_readwrite("log_term", &Message::log_term)
      .def_readwrite("index", &Message::index)
      .def_readwrite("commit", &Message::commit)
      .def_readwrite("reject", &Message::reject)
      .def_readwrite("reject_hint", &Message::reject_hint)
      .def_readwrite("entries", &Message::entries)
      .def_readwrite("snapshot", &Message::snapshot)
      .def(py::self == py::self)
      .def("__repr__", [](const Message& x) {
        return std::string("Message(") + MessageTypeName(x.type) + " " + std::to_string(x.from) + "->" +
               std::to_string(x.to) + " term=" + std::to_string(x.term) + ")";
      });
  BytesField(msg, "context", &Message::context);

  m.def("encode_message", [](const Message& x) { return py::bytes(EncodeMessage(x)); });
  m.def(
      "decode_message",
      [](const py::bytes& b) {
        Message x;
        Check(DecodeMessage(ToString(b), &x));
        return x;
      },
      "Decodes wire bytes; raises ValueError on malformed input.");
  m.def("encode_conf_change", [](const ConfChange& x) { return py::bytes(EncodeConfChange(x)); });
  m.def("decode_conf_change", [](const py::bytes& b) {
    ConfChange x;
    Check(DecodeConfChange(ToString(b), &x));
    return x;
  });

  py::class_<MemoryStorage>(m, "MemoryStorage")
      .def(py::init<>())
      .def_static(
          "bootstrap", [](const ConfState& cs) { return MemoryStorage::Bootstrap(cs); },
          "Storage for an initial member of a new cluster.")
      .def("first_index", &MemoryStorage::FirstIndex)
      .def("last_index", &MemoryStorage::LastIndex)
      .def("term", [](MemoryStorage& s, uint64_t i) {
        uint64_t t;
        Check(s.Term(i, &t));
        return t;
      })
      .def("entries", [](MemoryStorage& s, uint64_t lo, uint64_t hi) {
        std::vector<Entry> out;
        Check(s.Entries(lo, hi, UINT64_MAX, &out));
        return out;
      })
      .def("snapshot", [](MemoryStorage& s) {
        Snapshot snap;
        Check(s.GetSnapshot(&snap));
        return snap;
      })
      .def_property("hard_state", &MemoryStorage::hard_state, &MemoryStorage::SetHardState)
      .def("append", [](MemoryStorage& s, const std::vector<Entry>& e) { Check(s.Append(e)); })
      .def("apply_snapshot", [](MemoryStorage& s, const Snapshot& snap) { Check(s.ApplySnapshot(snap)); })
      .def("create_snapshot",
           [](MemoryStorage& s, uint64_t i, const ConfState& cs, const py::bytes& data) {
             Check(s.CreateSnapshot(i, cs, ToString(data)));
           })
      .def("compact", [](MemoryStorage& s, uint64_t i) { Check(s.Compact(i)); });

  py::class_<RaftConfig>(m, "RaftConfig")
      .def(py::init([](uint64_t id, int election_tick, int heartbeat_tick, uint64_t applied,
                       uint64_t max_size_per_msg, size_t max_inflight_msgs, bool pre_vote,
                       bool check_quorum, uint64_t seed) {
             RaftConfig c;
             c.id = id;
             c.election_tick = election_tick;
             c.heartbeat_tick = heartbeat_tick;
             c.applied = applied;
             c.max_size_per_msg = max_size_per_msg;
             c.max_inflight_msgs = max_inflight_msgs;
             c.pre_vote = pre_vote;
             c.check_quorum = check_quorum;
             c.seed = seed;
             return c;
           }),
           py::arg("id"), py::arg("election_tick") = 10, py::arg("heartbeat_tick") = 1,
           py::arg("applied") = 0, py::arg("max_size_per_msg") = 1 << 20,
           py::arg("max_inflight_msgs") = 256, py::arg("pre_vote") = true,
           py::arg("check_quorum") = true, py::arg("seed") = 1)
      .def_readwrite("id", &RaftConfig::id)
      .def_readwrite("election_tick", &RaftConfig::election_tick)
      .def_readwrite("heartbeat_tick", &RaftConfig::heartbeat_tick)
      .def_readwrite("applied", &RaftConfig::applied)
      .def_readwrite("pre_vote", &RaftConfig::pre_vote)
      .def_readwrite("check_quorum", &RaftConfig::check_quorum)
      .def_readwrite("seed", &RaftConfig::seed);

  py::class_<SoftState>(m, "SoftState")
      .def_readonly("leader", &SoftState::leader)
      .def_readonly("role", &SoftState::role);
  py::class_<ReadState> rs(m, "ReadState");
  rs.def_readonly("index", &ReadState::index);
  rs.def_property_readonly("context", [](const ReadState& r) { return py::bytes(r.context); });

  py::class_<Ready>(m, "Ready")
      .def_readonly("soft_state", &Ready::soft_state)
      .def_readonly("hard_state", &Ready::hard_state)
      .def_readonly("entries", &Ready::entries)
      .def_readonly("snapshot", &Ready::snapshot)
      .def_readonly("committed_entries", &Ready::committed_entries)
      .def_readonly("messages", &Ready::messages)
      .def_readonly("read_states", &Ready::read_states);

  py::class_<RawNode>(m, "RawNode")
      .def(py::init([](const RaftConfig& c, MemoryStorage* storage) {
             std::unique_ptr<RawNode> n;
             Check(RawNode::Create(c, storage, &n));
             return n;
           }),
           py::arg("config"), py::arg("storage"), py::keep_alive<1, 3>(),
           "A Raft node reading its durable state from `storage` (kept alive by the node).")
      .def("tick", &RawNode::Tick)
      .def("step", [](RawNode& n, const Message& x) { Check(n.Step(x)); })
      .def("step_bytes",
           [](RawNode& n, const py::bytes& b) {
             Message x;
             Check(DecodeMessage(ToString(b), &x));
             Check(n.Step(x));
           })
      .def("propose", [](RawNode& n, const py::bytes& data) { Check(n.Propose(ToString(data))); })
      .def("propose_batch",
           [](RawNode& n, const std::vector<py::bytes>& batch) {
             std::vector<std::string> v;
             v.reserve(batch.size());
             for (const py::bytes& b : batch) v.push_back(ToString(b));
             Check(n.ProposeBatch(std::move(v)));
           })
      .def("propose_conf_change", [](RawNode& n, const ConfChange& x) { Check(n.ProposeConfChange(x)); })
      .def("read_index", [](RawNode& n, const py::bytes& ctx) { n.ReadIndex(ToString(ctx)); })
      .def("transfer_leader", &RawNode::TransferLeader)
      .def("campaign", &RawNode::Campaign)
      .def("report_snapshot", &RawNode::ReportSnapshot, py::arg("id"), py::arg("failed"))
      .def("report_unreachable", &RawNode::ReportUnreachable)
      .def("has_ready", &RawNode::HasReady)
      .def("ready", &RawNode::GetReady)
      .def("advance", &RawNode::Advance)
      .def_property_readonly("id", &RawNode::id)
      .def_property_readonly("term", &RawNode::term)
      .def_property_readonly("leader", &RawNode::leader)
      .def_property_readonly("role", &RawNode::role)
      .def_property_readonly("committed", &RawNode::committed)
      .def_property_readonly("applied", &RawNode::applied)
      .def_property_readonly("last_index", &RawNode::last_index)
      .def_property_readonly("conf_state", &RawNode::conf_state)
      .def("conf_state_at", &RawNode::ConfStateAt);

  // ---- the simulator
  py::class_<SimEvent>(m, "SimEvent")
      .def(py::init([](int tick, int kind, uint64_t a, uint64_t b) { return SimEvent{tick, kind, a, b}; }),
           py::arg("tick"), py::arg("kind"), py::arg("a") = 0, py::arg("b") = 0)
      .def_readwrite("tick", &SimEvent::tick)
      .def_readwrite("kind", &SimEvent::kind)
      .def_readwrite("a", &SimEvent::a)
      .def_readwrite("b", &SimEvent::b);
  py::dict kinds;
  kinds["CRASH"] = static_cast<int>(SimEvent::kCrash);
  kinds["RESTART"] = static_cast<int>(SimEvent::kRestart);
  kinds["PARTITION"] = static_cast<int>(SimEvent::kPartition);
  kinds["ONE_WAY"] = static_cast<int>(SimEvent::kOneWay);
  kinds["HEAL"] = static_cast<int>(SimEvent::kHeal);
  kinds["TRANSFER"] = static_cast<int>(SimEvent::kTransfer);
  kinds["ADD_LEARNER"] = static_cast<int>(SimEvent::kAddLearner);
  kinds["PROMOTE"] = static_cast<int>(SimEvent::kPromote);
  kinds["REMOVE"] = static_cast<int>(SimEvent::kRemove);
  kinds["COMPACT"] = static_cast<int>(SimEvent::kCompact);
  m.attr("SIM_EVENT_KINDS") = kinds;

  py::class_<SimStats> stats(m, "SimStats");
  stats.def("as_dict", [](const SimStats& s) {
    py::dict d;
    d["ticks"] = s.ticks;
    d["messages_sent"] = s.messages_sent;
    d["messages_delivered"] = s.messages_delivered;
    d["messages_dropped"] = s.messages_dropped;
    d["messages_duplicated"] = s.messages_duplicated;
    d["crashes"] = s.crashes;
    d["crashes_mid_ready"] = s.crashes_mid_ready;
    d["restarts"] = s.restarts;
    d["partitions"] = s.partitions;
    d["heals"] = s.heals;
    d["leaders_elected"] = s.leaders_elected;
    d["proposals"] = s.proposals;
    d["conf_changes"] = s.conf_changes;
    d["transfers"] = s.transfers;
    d["compactions"] = s.compactions;
    d["snapshots_sent"] = s.snapshots_sent;
    d["reads_checked"] = s.reads_checked;
    d["committed"] = s.committed;
    d["recovery_ticks"] = s.recovery_ticks;
    return d;
  });

  py::class_<SimResult>(m, "SimResult")
      .def_readonly("ok", &SimResult::ok)
      .def_readonly("seed", &SimResult::seed)
      .def_readonly("tick", &SimResult::tick)
      .def_readonly("violation", &SimResult::violation)
      .def_readonly("stats", &SimResult::stats);

  m.def(
      "run_simulation",
      [](uint64_t seed, int nodes, int steps, int liveness_ticks, double drop, double duplicate,
         int max_delay, bool random_faults, std::vector<SimEvent> schedule) {
        if (nodes < 1 || nodes > 7) throw py::value_error("nodes must be in [1, 7]");
        if (steps < 0 || liveness_ticks < 1) throw py::value_error("steps/liveness_ticks out of range");
        SimOptions o;
        o.seed = seed;
        o.nodes = nodes;
        o.steps = steps;
        o.liveness_ticks = liveness_ticks;
        o.drop = drop;
        o.duplicate = duplicate;
        o.max_delay = std::max(1, max_delay);
        o.random_faults = random_faults;
        o.schedule = std::move(schedule);
        py::gil_scoped_release release;
        return RunSimulation(o);
      },
      py::arg("seed"), py::arg("nodes") = 3, py::arg("steps") = 1500, py::arg("liveness_ticks") = 800,
      py::arg("drop") = 0.03, py::arg("duplicate") = 0.02, py::arg("max_delay") = 3,
      py::arg("random_faults") = true, py::arg("schedule") = std::vector<SimEvent>{},
      "Runs one deterministic simulation; the GIL is released while it runs.");
}

}  // namespace kvstore::bindings
