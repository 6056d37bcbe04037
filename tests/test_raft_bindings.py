"""kvstore._core.raft driven from Python: a three-node group whose messages
travel as bytes, error mapping, and decoding of hostile bytes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

core = pytest.importorskip("kvstore._core")
raft = core.raft


class Group:
    def __init__(self, n: int = 3) -> None:
        cs = raft.ConfState(list(range(1, n + 1)))
        self.storages = {i: raft.MemoryStorage.bootstrap(cs) for i in range(1, n + 1)}
        self.nodes = {
            i: raft.RawNode(raft.RaftConfig(i, seed=i), self.storages[i]) for i in range(1, n + 1)
        }
        self.applied: dict[int, list[bytes]] = {i: [] for i in self.nodes}
        self.reads: dict[int, list[tuple[int, bytes]]] = {i: [] for i in self.nodes}

    def stabilize(self) -> None:
        while True:
            wire: list[bytes] = []
            for i, node in self.nodes.items():
                while node.has_ready():
                    rd = node.ready()
                    st_ = self.storages[i]
                    if not rd.snapshot.is_empty():
                        st_.apply_snapshot(rd.snapshot)
                    st_.append(rd.entries)
                    if rd.hard_state is not None:
                        st_.hard_state = rd.hard_state
                    wire += [raft.encode_message(m) for m in rd.messages]
                    self.applied[i] += [
                        e.data for e in rd.committed_entries if e.type == raft.EntryType.NORMAL
                    ]
                    self.reads[i] += [(r.index, r.context) for r in rd.read_states]
                    node.advance(rd)
            if not wire:
                return
            for b in wire:
                m = raft.decode_message(b)
                self.nodes[m.to].step_bytes(b)


def test_three_nodes_elect_replicate_and_read() -> None:
    g = Group()
    g.nodes[1].campaign()
    g.stabilize()
    assert g.nodes[1].role == raft.Role.LEADER
    assert all(n.leader == 1 for n in g.nodes.values())
    for k in range(10):
        g.nodes[1].propose(b"v%d" % k)
    g.stabilize()
    for _ in range(2):
        for n in g.nodes.values():
            n.tick()
        g.stabilize()
    for i in g.nodes:
        assert g.applied[i][-10:] == [b"v%d" % k for k in range(10)]
    g.nodes[2].read_index(b"ctx")
    g.stabilize()
    assert g.reads[2] == [(g.nodes[1].committed, b"ctx")]


def test_refusals_raise_raft_error() -> None:
    g = Group()
    g.nodes[1].campaign()
    g.stabilize()
    with pytest.raises(raft.RaftError, match="not leader"):
        g.nodes[2].propose(b"x")
    with pytest.raises(raft.RaftError, match="already a voter"):
        g.nodes[1].propose_conf_change(raft.ConfChange(raft.ConfChangeType.ADD_NODE, 2))


def test_transfer_leadership() -> None:
    g = Group()
    g.nodes[1].campaign()
    g.stabilize()
    g.nodes[1].transfer_leader(3)
    g.stabilize()
    assert g.nodes[3].role == raft.Role.LEADER


def test_message_round_trip_keeps_bytes() -> None:
    m = raft.Message()
    m.type = raft.MessageType.APPEND
    m.from_, m.to, m.term, m.index, m.log_term = 1, 2, 3, 4, 3
    m.context = b"\x00\xff"
    m.entries = [raft.Entry(3, 5, raft.EntryType.NORMAL, b"\x00binary\xff")]
    got = raft.decode_message(raft.encode_message(m))
    assert got == m
    assert got.entries[0].data == b"\x00binary\xff"


def test_conf_change_round_trip() -> None:
    cc = raft.ConfChange(raft.ConfChangeType.ADD_LEARNER, 9, b"host:1")
    assert raft.decode_conf_change(raft.encode_conf_change(cc)) == cc


@given(st.binary(max_size=200))
def test_hostile_bytes_raise_value_error(b: bytes) -> None:
    try:
        raft.decode_message(b)
    except ValueError:
        pass
