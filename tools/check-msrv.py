#!/usr/bin/env python3
"""Checks that the crate's declared `rust-version` (its MSRV) is honest.

Reads `cargo metadata --format-version 1 --locked` and fails, naming the package, when a
package the crate needs to build (its normal and build dependencies, directly or through
other packages, for every target platform; not its dev-dependencies, nor optional
dependencies that no enabled feature turns on) declares a `rust-version` above the crate's
own. It also fails when the crate declares no `rust-version`, or one below what its edition
needs (1.85 for edition 2024).

Only one toolchain is installed where CI runs, so the crate is never built with the MSRV
compiler itself. This script and clippy's `incompatible_msrv` lint (on by default when
`rust-version` is set; it flags standard-library APIs newer than the MSRV, and CI runs clippy
with `-D warnings`) are the check. Neither catches a language feature newer than the MSRV.

Usage: python3 tools/check-msrv.py [METADATA.json]   (default: runs cargo metadata)
Python 3 standard library only.
"""

import json
import subprocess
import sys

EDITION_MIN = {"2015": (1, 0), "2018": (1, 31), "2021": (1, 56), "2024": (1, 85)}


def version(text):
    """`1.89`, `1.89.0` -> (1, 89, 0); a missing patch counts as 0."""
    parts = [int(p) for p in text.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))


def show(v):
    return ".".join(str(p) for p in v)


def metadata(argv):
    if len(argv) > 1:
        with open(argv[1], encoding="utf-8") as f:
            return json.load(f)
    out = subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--locked"],
        check=True,
        stdout=subprocess.PIPE,
    ).stdout
    return json.loads(out)


def main(argv):
    meta = metadata(argv)
    packages = {p["id"]: p for p in meta["packages"]}
    nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}
    root = meta["resolve"]["root"]
    crate = packages[root]
    if not crate.get("rust_version"):
        print(f"check-msrv: {crate['name']} declares no rust-version in Cargo.toml")
        return 1
    msrv = version(crate["rust_version"])
    problems = []

    edition_min = EDITION_MIN.get(crate["edition"], (1, 0))
    if msrv < version(show(edition_min)):
        problems.append(
            f"edition {crate['edition']} needs Rust {show(edition_min)} or newer, "
            f"but rust-version is {show(msrv)}"
        )

    def active_optional(pkg):
        """The optional dependencies (by package name or rename) that the package's enabled
        features turn on: `cargo metadata` lists every optional dependency in the resolve,
        enabled or not, so they are told apart here."""
        p = packages[pkg]
        optional = {d.get("rename") or d["name"] for d in p["dependencies"] if d["optional"]}
        on = set()
        for feature in nodes[pkg]["features"]:
            if feature in optional:
                on.add(feature)  # the implicit feature of an optional dependency
            for entry in p["features"].get(feature, []):
                name = entry[4:] if entry.startswith("dep:") else entry.split("/")[0]
                # `name?/feature` enables a feature of `name` only if it is on already.
                if name in optional:
                    on.add(name)
        return on

    def declared(pkg, dep_pkg):
        """How `pkg` declares its dependency on `dep_pkg`: its non-dev entries."""
        name = packages[dep_pkg]["name"]
        return [
            d
            for d in packages[pkg]["dependencies"]
            if d["name"] == name and d.get("kind") != "dev"
        ]

    def needed(pkg, dep):
        # An edge counts unless it is a dev-dependency only, or an optional dependency
        # that no enabled feature turns on.
        if not any(k.get("kind") != "dev" for k in dep["dep_kinds"]):
            return False
        entries = declared(pkg, dep["pkg"])
        if entries and all(d["optional"] for d in entries):
            on = active_optional(pkg)
            return any((d.get("rename") or d["name"]) in on for d in entries)
        return True

    # Every package reached from the crate through non-dev edges, with the chain that
    # brings it in (the first found, breadth first: the shortest).
    chain = {}
    queue = []
    for dep in nodes[root]["deps"]:
        if needed(root, dep) and dep["pkg"] not in chain:
            chain[dep["pkg"]] = [dep["pkg"]]
            queue.append(dep["pkg"])
    while queue:
        pkg = queue.pop(0)
        for dep in nodes[pkg]["deps"]:
            if needed(pkg, dep) and dep["pkg"] not in chain:
                chain[dep["pkg"]] = chain[pkg] + [dep["pkg"]]
                queue.append(dep["pkg"])

    highest = None
    for pkg, path in chain.items():
        p = packages[pkg]
        if not p.get("rust_version"):
            continue
        v = version(p["rust_version"])
        if highest is None or v > highest[0]:
            highest = (v, p)
        if v > msrv:
            via = " -> ".join(f"{packages[i]['name']} {packages[i]['version']}" for i in path)
            problems.append(
                f"{p['name']} {p['version']} needs Rust {p['rust_version']} "
                f"(through {crate['name']} -> {via})"
            )

    if problems:
        print(
            f"check-msrv: {crate['name']} declares rust-version = \"{crate['rust_version']}\", "
            "too low:"
        )
        for line in sorted(problems):
            print(f"  {line}")
        return 1
    top = f"; the highest is {highest[1]['name']} {highest[1]['version']} ({highest[1]['rust_version']})" if highest else ""
    print(
        f"check-msrv: rust-version {crate['rust_version']} covers the {len(chain)} packages "
        f"{crate['name']} builds with{top}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
