"""Deterministic fault simulation of the Raft core.

The simulation engine is C++ (``kvstore._core.raft.run_simulation``): a fake
clock, a seeded network that drops, duplicates, delays and reorders messages,
partitions, crashes and restarts, membership changes and leadership
transfers, with Raft's safety properties checked after every event. This
package is the Python face of it: run seeds, summarise, and replay failures.

    python -m kvstore.sim --seeds 300                 # CI
    python -m kvstore.sim --seeds 1 --first-seed 17   # replay seed 17
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor

from kvstore._core import raft as _raft

RaftError = _raft.RaftError
EVENT_KINDS: dict[str, int] = dict(_raft.SIM_EVENT_KINDS)

__all__ = [
    "EVENT_KINDS",
    "Event",
    "RaftError",
    "SeedResult",
    "replay_command",
    "run_seed",
    "run_seeds",
]


@dataclasses.dataclass(frozen=True)
class Event:
    """A scripted fault: at ``tick``, do ``kind`` (a key of EVENT_KINDS) with arguments a, b."""

    tick: int
    kind: str
    a: int = 0
    b: int = 0

    def native(self) -> _raft.SimEvent:
        return _raft.SimEvent(self.tick, EVENT_KINDS[self.kind], self.a, self.b)


@dataclasses.dataclass(frozen=True)
class SeedResult:
    seed: int
    nodes: int
    steps: int
    ok: bool
    violation: str
    tick: int
    stats: dict[str, int]


def run_seed(
    seed: int,
    *,
    nodes: int = 3,
    steps: int = 1500,
    random_faults: bool = True,
    schedule: Sequence[Event] = (),
    drop: float = 0.03,
    duplicate: float = 0.02,
    max_delay: int = 3,
    liveness_ticks: int = 800,
) -> SeedResult:
    """Runs one simulation. Deterministic: the same arguments give the same result."""
    r = _raft.run_simulation(
        seed,
        nodes=nodes,
        steps=steps,
        liveness_ticks=liveness_ticks,
        drop=drop,
        duplicate=duplicate,
        max_delay=max_delay,
        random_faults=random_faults,
        schedule=[e.native() for e in schedule],
    )
    return SeedResult(seed, nodes, steps, r.ok, r.violation, r.tick, r.stats.as_dict())


def run_seeds(
    seeds: Iterable[int], *, nodes: int = 3, steps: int = 1500, jobs: int = 1
) -> list[SeedResult]:
    """Runs many seeds; the native engine releases the GIL, so threads use all cores."""
    seeds = list(seeds)
    if jobs <= 1:
        return [run_seed(s, nodes=nodes, steps=steps) for s in seeds]
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(lambda s: run_seed(s, nodes=nodes, steps=steps), seeds))


def replay_command(seed: int, nodes: int, steps: int) -> str:
    return f"python -m kvstore.sim --seeds 1 --first-seed {seed} --nodes {nodes} --steps {steps}"
