"""The calibrated variant of the index benchmark's files, for timing `chiso index --calibrate`
end to end against the same run without it (docs/benchmarks-index.md, "Calibrated runs end
to end"):

    python3 benches/calibrated_bench_data.py DIR OUT

reads DIR (written by `cargo run --release --example index_bench_data -- DIR`) and writes
into OUT: `responses.csv` with a `channel` column (eight groups `g1`..`g8` that cut across
the units, drawn with Python's `random` from the fixed seed 7), `margins.csv` (each group's
share of the respondents times the population total, as whole numbers adding up to it), and
copies of `population.csv` and `questionnaire.toml`. Then, in OUT:

    chiso index --responses responses.csv --questionnaire questionnaire.toml \\
        --population population.csv --margins margins.csv --calibrate poststratify --out o
"""
import os
import random
import shutil
import sys

src, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
for name in ("population.csv", "questionnaire.toml"):
    shutil.copyfile(os.path.join(src, name), os.path.join(out, name))

groups = 8
rng = random.Random(7)
counts = [0] * groups
with open(os.path.join(src, "responses.csv"), encoding="utf-8", newline="") as f, open(
    os.path.join(out, "responses.csv"), "w", encoding="utf-8", newline=""
) as o:
    o.write(f.readline().rstrip("\r\n") + ",channel\n")
    for line in f:
        g = rng.randrange(groups)
        counts[g] += 1
        o.write(f"{line.rstrip(chr(13) + chr(10))},g{g + 1}\n")

with open(os.path.join(src, "population.csv"), encoding="utf-8") as f:
    header = f.readline().rstrip("\r\n").split(",")
    col = header.index("population")
    total = sum(int(line.rstrip("\r\n").split(",")[col]) for line in f if line.strip())
n = sum(counts)
populations = [round(total * c / n) for c in counts]
populations[-1] += total - sum(populations)
with open(os.path.join(out, "margins.csv"), "w", encoding="utf-8", newline="") as m:
    m.write("variable,category,population\n")
    for g, p in enumerate(populations):
        m.write(f"channel,g{g + 1},{p}\n")
print(f"{n} respondents in {groups} channels, population {total}: {out}")
