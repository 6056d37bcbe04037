"""The Raft simulator from Python: seeds, determinism, the CLI, and fault
schedules generated (and shrunk, on failure) by hypothesis."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

sim = pytest.importorskip("kvstore.sim")

STEPS = 600


@pytest.mark.parametrize("nodes", [3, 5])
def test_random_seeds_pass(nodes: int) -> None:
    results = sim.run_seeds(range(1, 21), nodes=nodes, steps=STEPS, jobs=2)
    bad = [(r.seed, r.violation) for r in results if not r.ok]
    assert not bad
    assert sum(r.stats["committed"] for r in results) > 0
    assert sum(r.stats["crashes"] for r in results) > 0
    assert sum(r.stats["partitions"] for r in results) > 0


def test_same_seed_same_run() -> None:
    a = sim.run_seed(123, nodes=5, steps=STEPS)
    b = sim.run_seed(123, nodes=5, steps=STEPS)
    assert a == b


def test_fault_free_run_elects_once_and_commits() -> None:
    r = sim.run_seed(1, steps=STEPS, random_faults=False, drop=0.0, duplicate=0.0)
    assert r.ok, r.violation
    assert r.stats["leaders_elected"] == 1
    assert r.stats["committed"] > 100


def test_cli_summary_and_exit_status(capsys: pytest.CaptureFixture[str]) -> None:
    from kvstore.sim.__main__ import main

    assert main(["--seeds", "4", "--first-seed", "10", "--nodes", "5", "--steps", "300"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1
    assert out[0].startswith("kvstore.sim ok: 4 seeds [10..13] nodes=5 steps=300 violations=0")


def test_replay_command_names_the_seed() -> None:
    cmd = sim.replay_command(17, 5, 900)
    assert cmd == "python -m kvstore.sim --seeds 1 --first-seed 17 --nodes 5 --steps 900"


events = st.builds(
    sim.Event,
    tick=st.integers(0, STEPS - 1),
    kind=st.sampled_from(sorted(sim.EVENT_KINDS)),
    a=st.integers(0, 2**16),
    b=st.integers(0, 2**16),
)


@settings(max_examples=40)
@given(
    seed=st.integers(0, 2**32),
    nodes=st.sampled_from([3, 5]),
    schedule=st.lists(events, max_size=40),
)
def test_scripted_fault_schedules_are_safe_and_live(
    seed: int, nodes: int, schedule: list[sim.Event]
) -> None:
    r = sim.run_seed(seed, nodes=nodes, steps=STEPS, random_faults=False, schedule=schedule)
    assert r.ok, f"{r.violation} (schedule {schedule})"
