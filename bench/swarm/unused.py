#!/usr/bin/env python3
# bench/swarm/unused.py: where the leechers' upload went unused in one
# kept run.sh work directory (run.sh -k).  Reads its `samples` (bytes
# sent by each host's veth, every 0.5 s: "EPOCH vI:BYTES ..."; v0 is the
# tracker, v1 the seeder) and prints the seeder's mean rate over the
# steady part, and the leechers' unused upload in Mbit, against
# BUSY_MBIT a leecher (what a busy 20 Mbit/s link carries here), split
# into the first 3 s after the start (ramp), the last 3 s (tail) and
# the rest (mid).
#
# usage: unused.py DIR [BUSY_MBIT]
import sys

if len(sys.argv) not in (2, 3):
    sys.exit("usage: unused.py DIR [BUSY_MBIT]")
busy = float(sys.argv[2]) if len(sys.argv) == 3 else 19.3
rows = []
try:
    f = open(sys.argv[1] + "/samples")
except OSError as e:
    sys.exit("unused.py: %s" % e)
with f:
    for line in f:
        p = line.split()
        try:
            rows.append((float(p[0]), {int(k[1:]): int(x) for k, x in
                                       (q.split(":") for q in p[1:])}))
        except (ValueError, IndexError):
            sys.exit("unused.py: bad sample line: " + line.strip())
if len(rows) < 3:
    sys.exit("unused.py: too few samples")
t0 = rows[0][0]
pairs = [(a, b) for a, b in zip(rows, rows[1:]) if b[0] > a[0]]
start = next((a[0] - t0 for a, b in pairs if b[1][1] - a[1][1] > 10000), None)
active = [b[0] - t0 for a, b in pairs
          if sum(b[1][i] - a[1][i] for i in a[1] if i >= 2) > 100000]
if start is None or not active:
    sys.exit("unused.py: no transfer in the samples")
end = max(active)
lost = {"ramp": 0.0, "mid": 0.0, "tail": 0.0}
seed = []
for (ta, a), (tb, b) in pairs:
    x, dt = ta - t0, tb - ta
    if x < start or x >= end:
        continue
    leech = [i for i in a if i >= 2 and i in b]
    sent = sum(b[i] - a[i] for i in leech) * 8 / 1e6
    part = "ramp" if x < start + 3 else "tail" if x > end - 3 else "mid"
    lost[part] += max(0.0, busy * len(leech) * dt - sent)
    if part == "mid":
        seed.append((b[1] - a[1]) * 8 / dt / 1e6)
print("seed_mbit=%.2f unused_mbit ramp=%d mid=%d tail=%d" % (
    sum(seed) / len(seed) if seed else 0.0,
    lost["ramp"], lost["mid"], lost["tail"]))
