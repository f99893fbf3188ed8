#!/usr/bin/env python3
"""Compares R's estimates (oracle/bench-r.R) with chiso's indices.csv, row by row.

Run by hand (Python 3 standard library only):

    python3 oracle/compare-indices.py DIR/r/estimates.csv DIR/out/indices.csv [TOLERANCE]

Every row of R's file (domain, indicator, measure) must be in chiso's file. For each, the
estimate and the standard error are compared by relative difference |chiso - R| / |R|
(the absolute difference when R's value is 0). Prints the number of rows compared and, per
R call and overall, the largest relative difference of each column with the row it occurs
on. Exits 1 if a row is missing or a difference is above TOLERANCE (default 1e-9).
"""

import csv
import sys


def read(path, key_cols):
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    table = {}
    for r in rows:
        key = tuple(r[c] for c in key_cols)
        if key in table:
            sys.exit(f"{path}: the row {key} appears twice")
        table[key] = r
    return rows, table


def rel(a, b):
    return abs(a - b) / abs(b) if b != 0 else abs(a - b)


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    tolerance = float(sys.argv[3]) if len(sys.argv) == 4 else 1e-9
    key_cols = ("domain", "indicator", "measure")
    r_rows, _ = read(sys.argv[1], key_cols)
    _, chiso = read(sys.argv[2], key_cols)

    worst = {}  # (call, column) -> (difference, key, R value, chiso value)
    missing = []
    for r in r_rows:
        key = tuple(r[c] for c in key_cols)
        c = chiso.get(key)
        if c is None:
            missing.append(key)
            continue
        for col in ("estimate", "std_error"):
            if r[col] == "" or c[col] == "":
                if r[col] != c[col]:
                    missing.append(key + (col,))
                continue
            a, b = float(c[col]), float(r[col])
            d = rel(a, b)
            for group in (r["r_call"], "all rows"):
                if (group, col) not in worst or d > worst[(group, col)][0]:
                    worst[(group, col)] = (d, key, b, a)

    print(f"{len(r_rows)} rows of R compared with chiso")
    for (group, col), (d, key, b, a) in sorted(worst.items()):
        print(
            f"{group:>22} {col:<9} max rel. diff {d:.3e} at {'/'.join(key)}"
            f" (R {b!r}, chiso {a!r})"
        )
    for key in missing[:10]:
        print(f"missing or empty in one file only: {key}")
    bad = [v for v in worst.values() if v[0] > tolerance]
    if missing or bad:
        print(f"FAILED: {len(missing)} missing, {len(bad)} columns above {tolerance:g}")
        sys.exit(1)
    print(f"OK: every difference within {tolerance:g}")


if __name__ == "__main__":
    main()
