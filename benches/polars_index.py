"""The point estimates of `chiso index` with polars, for the end-to-end comparison in
docs/benchmarks-index.md: the same CSV files (`cargo run --release --example
index_bench_data -- DIR`), every item's weighted share satisfied (4, 5), share dissatisfied
(1, 2) and mean score, for every unit and the province, answers 0, 9 and empty left out;
weights N_h / m_h. No standard error, no interval, no element or overall index, no file
written: a lower bound of the work chiso does.

    python3 benches/polars_index.py DIR [DIR/out/indices.csv]

With chiso's `indices.csv` as second argument it also checks its first item's estimates
against chiso's (after the timing).
"""
import sys
import time

import polars as pl

start = time.perf_counter()
d = sys.argv[1]
responses = pl.read_csv(f"{d}/responses.csv", schema_overrides={"unit_code": pl.Utf8}, infer_schema_length=10000)
population = pl.read_csv(f"{d}/population.csv")
items = [c for c in responses.columns if c != "unit_code"]
m = responses.group_by("unit_code").len().rename({"len": "m"})
weights = population.rename({"stratum": "unit_code"}).join(m, on="unit_code").with_columns(
    (pl.col("population") / pl.col("m")).alias("w")
)
r = responses.join(weights.select("unit_code", "w"), on="unit_code")
exprs = []
for i in items:
    a = pl.col(i)
    w = pl.col("w")
    exprs += [
        w.filter((a >= 4) & (a <= 5)).sum().alias(f"{i}_sat"),
        w.filter((a >= 1) & (a <= 2)).sum().alias(f"{i}_dis"),
        (w * a).filter((a >= 1) & (a <= 5)).sum().alias(f"{i}_score"),
        w.filter((a >= 1) & (a <= 5)).sum().alias(f"{i}_w"),
    ]
per_unit = r.group_by("unit_code").agg(exprs)
province = r.select(exprs).with_columns(pl.lit("ALL").alias("unit_code"))
sums = pl.concat([per_unit, province.select(per_unit.columns)])
out = sums.select(
    ["unit_code"]
    + [
        (100 * pl.col(f"{i}_{k}") / pl.col(f"{i}_w")).alias(f"{i}_{k}")
        for i in items
        for k in ("sat", "dis")
    ]
    + [(pl.col(f"{i}_score") / pl.col(f"{i}_w")).alias(f"{i}_mean") for i in items]
)
elapsed = time.perf_counter() - start
if len(sys.argv) > 2:  # a check against chiso's indices.csv
    check = pl.read_csv(sys.argv[2]).filter(pl.col("indicator") == f"item:{items[0]}")
    for measure, col in (("satisfied_pct", "sat"), ("dissatisfied_pct", "dis"), ("mean_score", "mean")):
        mine = out.select("unit_code", pl.col(f"{items[0]}_{col}").alias("mine"))
        theirs = check.filter(pl.col("measure") == measure).select(
            pl.col("domain").alias("unit_code"), "estimate")
        worst = mine.join(theirs, on="unit_code").select(
            ((pl.col("mine") - pl.col("estimate")).abs() / pl.col("estimate").abs()).max()).item()
        print(f"{items[0]} {measure}: largest relative difference from chiso {worst:.2e}")
print(f"polars {pl.__version__}: {out.height} domains x {len(items)} items x 3 measures in {elapsed:.3f} s")
