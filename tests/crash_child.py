"""Child process of test_crash.py: writes with sync=True until it is killed.

Usage: crash_child.py PATH ROUND SEED WRITE_BUFFER_SIZE

Protocol on stdout, one line each, flushed at once:
  "open"                 the DB is open
  "I <txid> <json ops>"  about to write transaction txid (ops: [[key, value|null], ...])
  "A <txid>"             transaction txid was acknowledged (fsynced)
A single put or delete is a one-op transaction; a batch has several ops.
"""

from __future__ import annotations

import json
import random
import sys

import kvstore


def main() -> None:
    path, round_no, seed, wbs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    rng = random.Random(seed * 1_000_003 + round_no)
    db = kvstore.DB(
        path,
        sync=True,
        write_buffer_size=wbs,
        target_file_size=16 * 1024,
        max_bytes_for_level_base=64 * 1024,
        level0_compaction_trigger=2,
    )
    out = sys.stdout
    out.write("open\n")
    out.flush()
    txid = 0
    while True:
        txid += 1
        n = 1 if rng.random() < 0.6 else rng.randint(2, 8)
        ops: list[tuple[str, str | None]] = []
        for j in range(n):
            key = f"k{rng.randrange(300):03d}" if rng.random() < 0.7 else f"u{round_no}.{txid}.{j}"
            if rng.random() < 0.1:
                ops.append((key, None))
            else:
                tag = f"{round_no}.{txid}.{j}."
                ops.append((key, tag + "x" * rng.randrange(0, 800)))
        out.write(f"I {txid} {json.dumps(ops)}\n")
        out.flush()
        if n == 1 and rng.random() < 0.8:
            key, value = ops[0]
            if value is None:
                db.delete(key.encode())
            else:
                db.put(key.encode(), value.encode())
        else:
            batch = kvstore.WriteBatch()
            for key, value in ops:
                if value is None:
                    batch.delete(key.encode())
                else:
                    batch.put(key.encode(), value.encode())
            db.write(batch)
        out.write(f"A {txid}\n")
        out.flush()


if __name__ == "__main__":
    main()
