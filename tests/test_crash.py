"""Crash test: SIGKILL a writing process at seeded random instants.

A child process (crash_child.py) opens the DB and writes with sync=True —
single puts/deletes and multi-key batches — announcing each transaction before
writing it and acknowledging it after. The parent kills it after a seeded
number of acknowledgements (so the kill lands inside a later write, often
during a flush or a compaction, given the tiny write buffer), reopens the DB and
checks that every acknowledged transaction is present and that the one in
flight, if any, is all-or-nothing. Repeats for KVSTORE_CRASH_ROUNDS rounds
(default 30) on the same directory; KVSTORE_CRASH_SEED changes the seed.
"""

from __future__ import annotations

import json
import os
import random
import select
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import kvstore
import pytest

ROUNDS = int(os.environ.get("KVSTORE_CRASH_ROUNDS", "30"))
SEED = int(os.environ.get("KVSTORE_CRASH_SEED", "20240611"))
LINE_TIMEOUT = 120.0  # seconds without a line from the child before giving up
CHILD = Path(__file__).with_name("crash_child.py")

Ops = list[tuple[str, str | None]]


class LineReader:
    """Reads lines from a pipe with a deadline per line (no blocking forever)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buf = b""
        self.eof = False

    def readline(self, timeout: float) -> str | None:
        """The next line without its newline, or None at end of file."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            if self.eof:
                if self.buf:
                    line, self.buf = self.buf, b""
                    return line.decode()  # a torn last line
                return None
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no output from the crash child")
            ready, _, _ = select.select([self.fd], [], [], remaining)
            if ready:
                chunk = os.read(self.fd, 65536)
                if chunk:
                    self.buf += chunk
                else:
                    self.eof = True
        line, _, self.buf = self.buf.partition(b"\n")
        return line.decode()


@dataclass
class Tally:
    rounds: int = 0
    acked: int = 0
    lost: int = 0
    inflight_applied: int = 0
    inflight_absent: int = 0
    killed_before_open: int = 0


def apply(state: dict[str, str], ops: Ops) -> dict[str, str]:
    out = dict(state)
    for key, value in ops:
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def read_state(path: Path) -> dict[str, str]:
    with kvstore.DB(path) as db:
        return {k.decode(): v.decode() for k, v in db.items()}


def run_round(
    path: Path, round_no: int, rng: random.Random, tally: Tally, model: dict[str, str]
) -> dict[str, str]:
    wbs = rng.choice([4096, 8192, 16384])
    kill_before_open = rng.random() < 0.1
    kill_after_acks = rng.randint(1, 400)
    stderr_path = path.parent / f"child-{round_no}.err"
    with open(stderr_path, "wb") as err:
        proc = subprocess.Popen(
            [sys.executable, str(CHILD), str(path), str(round_no), str(SEED), str(wbs)],
            stdout=subprocess.PIPE,
            stderr=err,
            stdin=subprocess.DEVNULL,
        )
    assert proc.stdout is not None
    reader = LineReader(proc.stdout.fileno())
    intents: dict[int, Ops] = {}
    acked: list[int] = []
    killed = False

    def handle(line: str) -> None:
        kind, _, rest = line.partition(" ")
        if kind == "I":
            txid, _, payload = rest.partition(" ")
            try:
                ops = [(k, v) for k, v in json.loads(payload)]
            except ValueError:
                return  # a torn intent line: that transaction never started
            intents[int(txid)] = ops
        elif kind == "A":
            acked.append(int(rest))

    try:
        if not kill_before_open:
            line = reader.readline(LINE_TIMEOUT)
            assert line == "open", f"child failed to open: {stderr_path.read_text()}"
            while len(acked) < kill_after_acks:
                line = reader.readline(LINE_TIMEOUT)
                if line is None:
                    break
                handle(line)
        proc.send_signal(signal.SIGKILL)
        killed = True
        proc.wait(timeout=LINE_TIMEOUT)
        # Everything the child printed before it died counts.
        while (line := reader.readline(LINE_TIMEOUT)) is not None:
            if line != "open":
                handle(line)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        proc.stdout.close()
    if not killed or proc.returncode != -signal.SIGKILL:
        pytest.fail(f"child exited on its own ({proc.returncode}): {stderr_path.read_text()}")
    if kill_before_open:
        tally.killed_before_open += 1

    # Transactions are sequential: all acked ones come first, then at most one in flight.
    acked_set = set(acked)
    expected = dict(model)
    for txid in sorted(acked_set):
        expected = apply(expected, intents[txid])
    pending = [t for t in intents if t not in acked_set]
    assert len(pending) <= 1, pending
    assert not acked or not pending or pending[0] > max(acked)

    state = read_state(path)
    tally.rounds += 1
    tally.acked += len(acked)
    if state == expected:
        if pending:
            tally.inflight_absent += 1
        return state
    if pending and state == apply(expected, intents[pending[0]]):
        tally.inflight_applied += 1
        return state
    # Wrong: count the acknowledged transactions whose effect is missing.
    lost = [
        txid
        for txid in sorted(acked_set)
        if any(state.get(k) != v for k, v in intents[txid] if expected.get(k) == v)
    ]
    tally.lost += len(lost)
    diff = {
        k: (expected.get(k), state.get(k))
        for k in set(expected) | set(state)
        if expected.get(k) != state.get(k)
    }
    pytest.fail(
        f"round {round_no}: recovered state differs: {len(lost)} acked transactions lost, "
        f"pending={pending and intents[pending[0]]}, diff (expected, got)={dict(list(diff.items())[:10])}"
    )


def test_crash_recovery(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "db"
    rng = random.Random(SEED)
    tally = Tally()
    model: dict[str, str] = {}
    for round_no in range(ROUNDS):
        model = run_round(path, round_no, rng, tally, model)
    with capsys.disabled():
        print(
            f"\ncrash test: {tally.rounds} rounds, {tally.acked} acked writes checked, "
            f"{tally.lost} lost; in-flight at kill: {tally.inflight_applied} applied, "
            f"{tally.inflight_absent} absent; {tally.killed_before_open} kills before open; "
            f"{len(model)} keys at the end"
        )
    assert tally.lost == 0
    assert tally.rounds == ROUNDS
