#!/usr/bin/env python3
"""Independent re-draw of a `chiso sample` draw (algorithm chiso-keyed-chacha20-v1).

An auditor who does not trust the chiso binary runs this script on the same records file
and the manifest that `chiso sample` wrote. It rebuilds the frame, the draw keys and the
official/reserve lists from docs/draw-algorithm.md alone, using the Python 3.11 standard
library only (SHA-256 from hashlib; ChaCha20 is written out below), and compares the
digests with the manifest's, and the lists with the published sample.csv when given.

Usage:
  python3 tools/redraw.py --records RECORDS.csv --manifest manifest.json [--sample sample.csv]
                          [--out lists.csv] [--seed TEXT]
  python3 tools/redraw.py --keys --seed TEXT [--value C1 --value C2 ...] --applicant ID
  python3 tools/redraw.py --recheck --responses RESPONSES.csv --seed TEXT --share X
                          [--refusals X] [--by stratum|interviewer] [--sample DIR]
                          [--out recheck.csv]
  python3 tools/redraw.py --self-test

With --recheck it draws the re-check (phuc tra) subsample of `chiso recheck` (stream
chiso-recheck-v1, §9) from a responses CSV file with a `stratum` column (or the strata of
the applicants in the sample.csv of --sample DIR), and writes the
rows of recheck.csv as chiso does (byte for byte).

Exit status: 0 identical, 1 different (or self-test failed), 2 bad usage or bad input.
Section numbers (§) below refer to docs/draw-algorithm.md.
"""
import argparse
import csv
import datetime
import hashlib
import json
import re
import struct
import sys
import unicodedata
from decimal import Decimal, InvalidOperation

ALGORITHM = "chiso-keyed-chacha20-v1"

# ---------------------------------------------------------------------------------------
# ChaCha20, original (DJB) variant: 64-bit block counter in words 12-13, 64-bit nonce in
# words 14-15, 20 rounds.
# ---------------------------------------------------------------------------------------
MASK32 = 0xFFFFFFFF
CONSTANTS = (0x61707865, 0x3320646E, 0x79622D32, 0x6B206574)  # "expand 32-byte k"


def chacha20_block(key, counter, nonce):
    """Return the 16 output words of the ChaCha20 block for (key, counter, nonce)."""
    state = [*CONSTANTS, *struct.unpack("<8I", key),
             counter & MASK32, counter >> 32, nonce & MASK32, nonce >> 32]
    x = list(state)

    def quarter_round(a, b, c, d):
        x[a] = (x[a] + x[b]) & MASK32; x[d] ^= x[a]; x[d] = ((x[d] << 16) | (x[d] >> 16)) & MASK32
        x[c] = (x[c] + x[d]) & MASK32; x[b] ^= x[c]; x[b] = ((x[b] << 12) | (x[b] >> 20)) & MASK32
        x[a] = (x[a] + x[b]) & MASK32; x[d] ^= x[a]; x[d] = ((x[d] << 8) | (x[d] >> 24)) & MASK32
        x[c] = (x[c] + x[d]) & MASK32; x[b] ^= x[c]; x[b] = ((x[b] << 7) | (x[b] >> 25)) & MASK32

    for _ in range(10):  # 10 double rounds = 20 rounds
        quarter_round(0, 4, 8, 12); quarter_round(1, 5, 9, 13)    # columns
        quarter_round(2, 6, 10, 14); quarter_round(3, 7, 11, 15)
        quarter_round(0, 5, 10, 15); quarter_round(1, 6, 11, 12)  # diagonals
        quarter_round(2, 7, 8, 13); quarter_round(3, 4, 9, 14)
    return [(x[i] + state[i]) & MASK32 for i in range(16)]


# ---------------------------------------------------------------------------------------
# Keys (§5) and the length-prefixed encoding used by keys and digests (Notation, §7)
# ---------------------------------------------------------------------------------------
def enc(text):
    """enc(s) = u32le(len(bytes(s))) || bytes(s), UTF-8, no normalisation."""
    data = text.encode("utf-8")
    return struct.pack("<I", len(data)) + data


def values_prefix(values):
    """u32le(k) || enc(c_1) || ... || enc(c_k): the stratum part of keys and digests."""
    return struct.pack("<I", len(values)) + b"".join(enc(v) for v in values)


def seed_key(seed):
    """K = SHA256("chiso-draw-v1" || 0x00 || seed)."""
    return hashlib.sha256(b"chiso-draw-v1\x00" + seed.encode("utf-8")).digest()


def draw_key(key, values, applicant_id):
    """The member's u64 draw key: first 64 bits of ChaCha20(K, counter 0, nonce stream)."""
    m = hashlib.sha256(b"chiso-member-v1\x00" + values_prefix(values) + enc(applicant_id)).digest()
    stream = struct.unpack("<Q", m[:8])[0]
    words = chacha20_block(key, 0, stream)
    return words[0] | (words[1] << 32)


# ---------------------------------------------------------------------------------------
# Reading cells (§1)
# ---------------------------------------------------------------------------------------
ASCII_WS = " \t\n\f\r"  # str.strip() alone would also strip Unicode spaces: not the spec
# What a spreadsheet shows in a cell whose formula failed: never an identifier (§2); compared
# with ASCII letters folded to upper case only (bytes.upper), as chiso does.
SPREADSHEET_ERRORS = {b"#DIV/0!", b"#N/A", b"#NAME?", b"#NULL!", b"#NUM!", b"#REF!", b"#VALUE!",
                      b"#GETTING_DATA"}
# What a spreadsheet shows in a boolean cell: never an identifier either (§2), in any ASCII
# letter case (TRUE, True, false).
SPREADSHEET_BOOLEANS = {b"TRUE", b"FALSE"}
# Dates (§2): YYYY-MM-DD, or D/M/YYYY, D-M-YYYY, D.M.YYYY (day and month of 1 or 2 digits,
# the same separator twice); a time of day H:MM, H:MM:SS or H:MM:SS.fraction (24-hour, hour
# of 1 or 2 digits) after the date and one space (or a T, after YYYY-MM-DD only), or before
# the date and one space. Digits are ASCII only ([0-9], never \d).
ISO_DATE = r"(?P<y>[0-9]{4})-(?P<m>[0-9]{2})-(?P<d>[0-9]{2})"
DMY_DATE = r"(?P<dd>[0-9]{1,2})(?P<sep>[/.-])(?P<mm>[0-9]{1,2})(?P=sep)(?P<yy>[0-9]{4})"
TIME = r"(?P<H>[0-9]{1,2}):(?P<M>[0-9]{2})(?::(?P<S>[0-9]{2})(?:\.(?P<F>[0-9]{1,9}))?)?"
DATE_RES = [re.compile(r) for r in (
    ISO_DATE, DMY_DATE,
    ISO_DATE + "[ T]" + TIME, DMY_DATE + " " + TIME,
    TIME + " " + ISO_DATE, TIME + " " + DMY_DATE)]
# Applicant types (§2): the design's [applicant_types] lists, or these when it has none; the
# canonical words always count. Compared after fold().
DEFAULT_APPLICANT_TYPES = {
    "citizen": ["citizen", "individual", "person", "ca_nhan", "canhan", "cá nhân", "công dân",
                "người dân", "hộ gia đình", "hộ kinh doanh"],
    "organization": ["organization", "organisation", "org", "to_chuc", "tochuc", "tổ chức",
                     "doanh nghiệp", "công ty", "hợp tác xã", "cơ quan", "cơ quan nhà nước",
                     "đơn vị sự nghiệp"],
}
# Unicode's White_Space, as Rust's str::split_whitespace splits (str.split() would also split
# at U+001C to U+001F).
WHITE_SPACE_RE = re.compile("[\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029"
                            "\u202f\u205f\u3000]+")


def fold(text):
    """A typed text as chiso compares it (chiso::text::fold): NFC, white space trimmed and
    runs of it made one space, each character in lower case (per character, as Rust's
    char::to_lowercase: no context), then NFC again."""
    words = [w for w in WHITE_SPACE_RE.split(unicodedata.normalize("NFC", text)) if w]
    lowered = " ".join("".join(c.lower() for c in w) for w in words)
    return unicodedata.normalize("NFC", lowered)


def applicant_types(design):
    """{folded synonym: canonical type} from a manifest's design, as chiso reads it."""
    lists = design.get("applicant_types") or DEFAULT_APPLICANT_TYPES
    types = {}
    for canonical in ("citizen", "organization"):
        for s in [canonical] + list(lists.get(canonical, [])):
            if types.setdefault(fold(s), canonical) != canonical:
                raise InputError(f"applicant type {s!r} is in both lists")
    return types


# A cell that a spreadsheet would run as a formula is written with a ' in front, by chiso
# and by this script alike (§1, "Cells as chiso writes them"); reading chiso's files, one
# such ' is taken off again. The records are an office's file: read as they are.
PLAIN_NUMBER_RE = re.compile(r"-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")


def needs_quote(text):
    """Whether a cell is written with a ' in front: after any leading 's, it starts with =, +,
    @, a tab or a carriage return, or with - and is not a plain decimal number."""
    rest = text.lstrip("'")
    if rest[:1] in ("=", "+", "@", "\t", "\r"):
        return True
    return rest[:1] == "-" and PLAIN_NUMBER_RE.fullmatch(rest) is None


def neutralise(text):
    """The cell as written: with a ' in front when needs_quote says so."""
    return "'" + text if needs_quote(text) else text


def restore(text):
    """A cell of a file chiso wrote, as it was before it was written."""
    return text[1:] if text.startswith("'") and needs_quote(text[1:]) else text


def parse_date_time(text):
    """(date, time or None) of a date as §2 reads it; None if it is not one."""
    for r in DATE_RES:
        m = r.fullmatch(text)
        if m:
            break
    else:
        return None
    g = m.groupdict()
    y, mo, d = (g["y"], g["m"], g["d"]) if g.get("y") else (g["yy"], g["mm"], g["dd"])
    try:
        date = datetime.date(int(y), int(mo), int(d))
    except ValueError:  # e.g. 31/02/2024
        return None
    if g.get("H") is None:
        return date, None
    hour, minute, second = int(g["H"]), int(g["M"]), int(g["S"] or 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    micro = int((g["F"] or "0").ljust(9, "0")[:6])  # below a microsecond: not compared here
    return date, datetime.time(hour, minute, second, micro)


def parse_date(text):
    """The date of a date as §2 reads it (a time of day, if any, checked and dropped); else None."""
    parsed = parse_date_time(text)
    return parsed[0] if parsed else None


class InputError(Exception):
    """Bad input: reported, exit status 2."""


QUOTE_FIX = "remove the stray quote, or close the cell where it should end"


def quoted_over_lines(lines, first, delimiter=","):
    """Scan the lines of one record (as read, each with its line end), the first being line
    `first`, as the reader of §1 reads them. Return the quoted cells that hold a line end, as
    [cell index, line of the opening quote, line where the cell ends], and the unclosed last
    cell in the same form if the record ends inside quotes (else None)."""
    found, cell, state, opened = [], 0, "start", first
    for k, line in enumerate(lines):
        number = first + k
        body = line.rstrip("\r\n")  # one line end at most: the lines are split at each
        for ch in body:
            if state == "quoted":
                if ch == '"':
                    state = "quote"  # closing, or the first of a doubled quote
                    if found and found[-1][0] == cell:
                        found[-1][2] = number
            elif state == "quote" and ch == '"':
                state = "quoted"  # a doubled quote
            elif ch == delimiter:
                cell, state = cell + 1, "start"
            elif state == "start":
                if ch == '"':
                    state, opened = "quoted", number
                else:
                    state = "plain"
            elif state == "quote":
                state = "closed"  # text after the closing quote continues the cell
        if len(body) < len(line) and state == "quoted":  # a line end inside quotes
            if not (found and found[-1][0] == cell):
                found.append([cell, opened, number])
            found[-1][2] = number + 1
    unclosed = None
    if state == "quoted":
        ended = first + len(lines) - 1  # the line of the last character
        if found and found[-1][0] == cell:
            found[-1][2] = ended
        unclosed = [cell, opened, ended]
    return found, unclosed


DELIMITERS = [",", ";", "\t"]
HEADER_SEARCH = 30  # rows from the top among which the header is looked for (§1)


def fold(text):
    """A header or a typed text as chiso compares it (§1): NFC, white space trimmed and each
    run inside made one space, lower case."""
    return " ".join(unicodedata.normalize("NFC", text).split()).lower()


def holds_count(header, wanted):
    folded = {fold(h) for h in header}
    return sum(1 for w in wanted if fold(w) in folded)


def best_header(rows, wanted):
    """(index, count) of the header among `rows` (§1): the first holding every wanted column,
    else the first of those holding the most (at least one); None if none holds any."""
    if not wanted:
        return None
    best = None
    for k, row in enumerate(rows):
        n = holds_count(row, wanted)
        if n == len(wanted):
            return k, n
        if n > 0 and (best is None or n > best[1]):
            best = (k, n)
    return best


def find_layout(path, wanted, delimiter=None, header_row=None):
    """The delimiter and the number of records above the header of a records CSV (§1)."""
    candidates = [delimiter] if delimiter else DELIMITERS
    firsts = []
    limit = header_row if header_row else HEADER_SEARCH
    for d in candidates:
        with open(path, encoding="utf-8-sig", newline="") as f:
            rows = []
            for cells in csv.reader(f, delimiter=d):
                if len(rows) >= limit:
                    break
                if cells:
                    rows.append([c.strip(ASCII_WS) for c in cells])
        firsts.append(rows)

    def most_cells(k):
        cells = [len(r[k]) if k < len(r) else 0 for r in firsts]
        return cells.index(max(cells))
    if header_row:
        skip = header_row - 1
        for i, rows in enumerate(firsts):
            if wanted and skip < len(rows) and holds_count(rows[skip], wanted) == len(wanted):
                return candidates[i], skip
        return candidates[most_cells(skip)], skip
    found = [(-b[1], b[0], i) for i, b in ((i, best_header(r, wanted)) for i, r in enumerate(firsts))
             if b is not None]
    if found:
        _, k, i = min(found)
        return candidates[i], k
    return candidates[most_cells(0)], 0


def read_records(path, delimiter=",", skip=0):
    """The records of a CSV file (§1) as [(row number, cells)], the header first (row
    `skip` + 1, after `skip` title rows, which are left out); blank lines are not rows.
    Refuses, as chiso does, a file whose quotes swallow lines: one that ends inside quotes, or
    a quoted cell holding a line end in a row that has not the header's number of cells.
    Messages name lines, rows and columns, never cell contents."""
    records, consumed = [], []
    seen = 0  # records read, title rows included

    def lines(f):
        for line in f:
            consumed.append(line)
            yield line

    csv.field_size_limit(2**31 - 1)  # chiso sets no limit on a cell's size
    with open(path, encoding="utf-8-sig", newline="") as f:
        line_no, last = 0, None  # lines read before the current record; the last record
        for cells in csv.reader(lines(f), delimiter=delimiter):
            record_lines, first = consumed[:], line_no + 1
            consumed.clear()
            line_no += len(record_lines)
            if not cells:  # a blank line
                continue
            seen += 1
            if seen <= skip:  # a title row
                continue
            records.append((seen, cells))
            last = (record_lines, first)
            if len(record_lines) > 1:
                check_quotes(path, records, record_lines, first, delimiter)
    if last is not None and len(last[0]) == 1:  # the file may end inside quotes on its last line
        check_quotes(path, records, *last, delimiter)
    return records


def check_quotes(path, records, record_lines, first, delimiter=","):
    """Raise InputError if the last of `records`, read from `record_lines`, swallows lines."""
    row, cells = records[-1]
    header_row, header = records[0]
    found, unclosed = quoted_over_lines(record_lines, first, delimiter)

    def where(cell):
        if row > header_row and cell < len(header) and header[cell].strip(ASCII_WS):
            return f"row {row}, column `{header[cell].strip(ASCII_WS)}`"
        return f"row {row}, cell {cell + 1}"  # a header cell would show what it swallowed
    if unclosed is not None:
        cell, opened, ended = unclosed
        n = ended - opened + 1
        raise InputError(f"{path}: line {opened}: a quote opens a cell here ({where(cell)}) that "
                         f"never closes: the rest of the file ({n} line{'' if n == 1 else 's'}) "
                         f"would be one cell; {QUOTE_FIX}")
    if found and len(cells) != len(header):
        cell, opened, ended = max(found, key=lambda q: (q[2] - q[1], -q[1]))
        raise InputError(f"{path}: line {opened}: a quote opens a cell here ({where(cell)}) that "
                         f"closes only on line {ended}: lines {first} to {found[-1][2]} read as one "
                         f"row of {len(cells)} cells where the header has {len(header)}; {QUOTE_FIX}")


def find_column(header, columns, canonical, required):
    """Index of a canonical column, via the manifest's `columns` renaming; None if absent."""
    name = columns.get(canonical, canonical)
    folded = [fold(h) for h in header]
    if fold(name) in folded:  # headers match after folding (§1), as in chiso
        return folded.index(fold(name))
    if required:
        raise InputError(f"records file has no column {name!r} (for {canonical})")
    return None


# ---------------------------------------------------------------------------------------
# Rejection, eligibility (§2) and the frame (§3)
# ---------------------------------------------------------------------------------------
def build_frame(path, columns, strata_cols, window, types, delimiter=None, header_row=None):
    """Return (frame, stats, rejected) where frame = {values tuple: {applicant_id:
    [returned_date, record_id, record_count]}} holds the kept record of every member."""
    wanted = [columns.get(c, c) for c in ("record_id", "unit_code", "applicant_id", "returned_date")]
    try:
        delimiter, skip = find_layout(path, wanted, delimiter, header_row)
        rows = read_records(path, delimiter, skip)
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise InputError(f"cannot read records file: {e}")
    if not rows:
        raise InputError("records file is empty")
    header = [h.strip(ASCII_WS) for h in rows[0][1]]
    col = {c: find_column(header, columns, c, True) for c in ("record_id", "applicant_id", "returned_date")}
    for c in ("received_date", "due_date", "applicant_type"):
        col[c] = find_column(header, columns, c, False)
    for c in strata_cols:
        col[c] = find_column(header, columns, c, True)

    # Row numbers count the header as row 1. A row whose cells are all empty is skipped; a
    # row with more or fewer cells than the header is rejected.
    data, short = [], []
    for number, row in rows[1:]:
        cells = [c.strip(ASCII_WS) for c in row]
        if not any(cells):
            continue
        if len(cells) != len(header):
            short.append((number, [("", f"{len(cells)} cells, header has {len(header)}")]))
            continue
        data.append((number, {c: cells[i] for c, i in col.items() if i is not None}))

    # A record_id on more than one row rejects every such row (counted over all rows).
    id_count = {}
    for _, cell in data:
        if cell["record_id"]:
            id_count[cell["record_id"]] = id_count.get(cell["record_id"], 0) + 1

    frame, rejected = {}, list(short)
    stats = {"rows": len(data) + len(short), "rejected": len(short), "ineligible": 0, "eligible": 0}
    for number, cell in data:
        reasons = []
        for c in ("record_id", "applicant_id"):
            if not cell[c]:
                reasons.append((c, "empty"))
            elif any(ord(ch) < 32 or ord(ch) == 127 for ch in cell[c]) or \
                    cell[c].encode("utf-8").upper() in SPREADSHEET_ERRORS | SPREADSHEET_BOOLEANS:
                reasons.append((c, "not an identifier (a control character, a spreadsheet error or a boolean)"))
        returned = parse_date(cell["returned_date"]) if cell["returned_date"] else None
        if cell["returned_date"] and returned is None:
            reasons.append(("returned_date", "not a date"))
        for c in ("received_date", "due_date"):  # checked only when the column exists
            if cell.get(c) and parse_date(cell[c]) is None:
                reasons.append((c, "not a date"))
        if cell.get("applicant_type"):
            normalised = types.get(fold(cell["applicant_type"]))
            if normalised is None:
                reasons.append(("applicant_type", "unknown applicant type"))
            else:
                cell["applicant_type"] = normalised  # also the stratum value, if a stratum column
        for c in strata_cols:
            if not cell[c]:
                reasons.append((c, "empty stratum value"))
            elif len(strata_cols) > 1 and "|" in cell[c]:
                # '|' joins a stratum's values in its label: refused so labels cannot collide.
                reasons.append((c, "'|' in a value of one of several stratum columns"))
        if cell["record_id"] and id_count[cell["record_id"]] > 1:
            reasons.append(("record_id", "duplicate record_id"))
        if reasons:
            stats["rejected"] += 1
            rejected.append((number, reasons))
            continue
        if returned is None or not window[0] <= returned <= window[1]:
            stats["ineligible"] += 1
            continue
        stats["eligible"] += 1
        # One member per (stratum, applicant_id); keep the latest returned_date, then the
        # greatest record_id (Python compares str by code point = UTF-8 byte order).
        # Stratum values in NFC (§3): a unit written in either Unicode form is one stratum.
        values = tuple(unicodedata.normalize("NFC", cell[c]) for c in strata_cols)
        members = frame.setdefault(values, {})
        member = members.get(cell["applicant_id"])
        if member is None:
            members[cell["applicant_id"]] = [returned, cell["record_id"], 1]
        else:
            if (returned, cell["record_id"]) > (member[0], member[1]):
                member[0], member[1] = returned, cell["record_id"]
            member[2] += 1
    return frame, stats, rejected


# ---------------------------------------------------------------------------------------
# Selection (§6), digests (§7) and the comparison with the manifest
# ---------------------------------------------------------------------------------------
def redraw(args):
    try:
        with open(args.manifest, encoding="utf-8") as f:
            manifest = json.load(f)
        if manifest.get("algorithm") != ALGORITHM:
            raise InputError(f"algorithm is {manifest.get('algorithm')!r}, this script does {ALGORITHM!r}")
        frame_design = manifest["design"]["frame"]
        window = [parse_date(d) for d in frame_design["window"]]
        if len(window) != 2 or None in window:
            raise InputError(f"bad window {frame_design['window']!r}")
        strata_cols = list(frame_design["strata"])
        types = applicant_types(manifest["design"])
        columns = manifest.get("columns") or {}
        planned = {tuple(s["values"]): s for s in manifest["strata"]}
        for plan in planned.values():
            plan["sample_size"], plan["reserve_size"] = int(plan["sample_size"]), int(plan["reserve_size"])
        seed = args.seed if args.seed is not None else manifest["seed"]
    except (OSError, ValueError) as e:
        raise InputError(f"bad manifest: {e}")
    except (KeyError, TypeError) as e:
        raise InputError(f"manifest lacks a field: {e}")

    delimiter = {"tab": "\t"}.get(args.delimiter, args.delimiter)
    frame, stats, rejected = build_frame(args.records, columns, strata_cols, window, types,
                                         delimiter, args.header_row)
    print(f"rows {stats['rows']}: rejected {stats['rejected']}, ineligible {stats['ineligible']}, "
          f"eligible {stats['eligible']}; {len(frame)} strata")
    for number, reasons in rejected[:20]:
        print(f"  rejected row {number}: " + "; ".join(f"{c}: {why}" for c, why in reasons))
    if len(rejected) > 20:
        print(f"  ... and {len(rejected) - 20} more rejected rows")

    key = seed_key(seed)
    frame_hash, sample_hash = hashlib.sha256(), hashlib.sha256()
    differences, out_rows = [], []
    for values in sorted(frame):  # strata in order of their values tuples
        members = frame[values]
        label, prefix = "|".join(values), values_prefix(values)
        stratum_hash = hashlib.sha256()
        for applicant_id in sorted(members):
            _, record_id, count = members[applicant_id]
            item = prefix + enc(applicant_id) + enc(record_id) + enc(str(count))
            stratum_hash.update(item)
            frame_hash.update(item)
        plan = planned.get(values)
        if plan is None:
            differences.append(f"stratum {label!r}: in the frame ({len(members)} members), not in the manifest")
            continue
        if plan.get("frame_size") != len(members):
            differences.append(f"stratum {label!r}: frame_size {len(members)}, manifest {plan.get('frame_size')}")
        if plan.get("frame_digest") not in (None, stratum_hash.hexdigest()):
            differences.append(f"stratum {label!r}: frame_digest {stratum_hash.hexdigest()}, "
                               f"manifest {plan['frame_digest']}")
        # Sort by (key, applicant_id); cut after n officials, then r reserves.
        order = sorted((draw_key(key, values, a), a) for a in members)
        n, r = plan["sample_size"], plan["reserve_size"]
        lists = [("official", order[:n]), ("reserve", order[n:n + r])]
        for role, chosen in lists:
            for rank, (_, applicant_id) in enumerate(chosen, start=1):
                record_id = members[applicant_id][1]
                out_rows.append([label, role, rank, applicant_id, record_id])
                sample_hash.update(prefix + enc(role) + enc(str(rank)) + enc(applicant_id) + enc(record_id))
    for values in sorted(set(planned) - set(frame)):
        differences.append(f"stratum {'|'.join(values)!r}: in the manifest, not in the frame")

    if args.out:
        try:
            with open(args.out, "w", encoding="utf-8", newline="") as f:
                writer = csv.writer(f, lineterminator="\n")
                writer.writerow(["stratum", "role", "rank", "applicant_id", "record_id"])
                writer.writerows([neutralise(str(c)) for c in row] for row in out_rows)
        except OSError as e:
            raise InputError(f"cannot write {args.out}: {e}")
    if args.sample:
        differences.extend(compare_sample(args.sample, out_rows))

    frame_digest, sample_digest = frame_hash.hexdigest(), sample_hash.hexdigest()
    for name, mine in (("frame_digest", frame_digest), ("sample_digest", sample_digest)):
        theirs = manifest.get(name)
        print(f"{name}: {mine}  {'matches' if mine == theirs else 'manifest: ' + str(theirs)}")
        if mine != theirs:
            differences.append(f"{name} differs")
    for d in differences:
        print("  " + d)
    print("DIFFERENT" if differences else "IDENTICAL")
    return 1 if differences else 0


# ---------------------------------------------------------------------------------------
# The re-check subsample (§9)
# ---------------------------------------------------------------------------------------
RECHECK_COLUMNS = ["applicant_id", "stratum", "interviewer_id", "disposition", "group", "pool",
                   "rank", "row"]
DISPOSITIONS = {"": "complete", "complete": "complete", "partial": "partial", "refusal": "refusal",
                "non_contact": "non_contact", "non-contact": "non_contact",
                "ineligible": "ineligible"}
# The Vietnamese names chiso reads (src/disposition.rs, docs/contract.md), compared folded.
for _name, _d in [("Hoàn thành", "complete"), ("Hoàn tất", "complete"), ("Đã trả lời", "complete"),
                  ("Một phần", "partial"), ("Trả lời một phần", "partial"),
                  ("Chưa hoàn thành", "partial"), ("Từ chối", "refusal"),
                  ("Từ chối trả lời", "refusal"), ("Không liên lạc được", "non_contact"),
                  ("Không liên hệ được", "non_contact"), ("Không gặp được", "non_contact"),
                  ("Không nghe máy", "non_contact"), ("Không tiếp cận được", "non_contact"),
                  ("Không đủ điều kiện", "ineligible"), ("Không thuộc đối tượng", "ineligible"),
                  ("Không thuộc đối tượng khảo sát", "ineligible"),
                  ("Không phải người giao dịch", "ineligible")]:
    DISPOSITIONS[fold(_name)] = _d


def recheck_key(key, stratum, applicant_id):
    """A form's u64 re-check key: K = SHA256("chiso-recheck-v1" || 0x00 || seed), stream
    first8le(SHA256("chiso-recheck-form-v1" || 0x00 || enc(stratum) || enc(applicant)))."""
    m = hashlib.sha256(b"chiso-recheck-form-v1\x00" + enc(stratum) + enc(applicant_id)).digest()
    words = chacha20_block(key, 0, struct.unpack("<Q", m[:8])[0])
    return words[0] | (words[1] << 32)


def millionths(name, text):
    """A share above 0 and at most 1, with at most 6 decimals, in millionths."""
    try:
        m = Decimal(text) * 1000000
    except InvalidOperation:
        raise InputError(f"--{name} {text}: expected a share above 0 and at most 1")
    if m != m.to_integral_value() or not 1 <= m <= 1000000:
        raise InputError(f"--{name} {text}: expected a share above 0 and at most 1, at most 6 decimals")
    return int(m)


def sample_strata(path):
    """Each applicant's strata in a sample.csv written by chiso (or its directory)."""
    import os
    if os.path.isdir(path):
        path = os.path.join(path, "sample.csv")
    records = read_records(path)  # chiso's own file: comma-separated
    header = [restore(h.strip(ASCII_WS)) for h in records[0][1]] if records else []
    if "stratum" not in header or "applicant_id" not in header:
        raise InputError(f"{path}: no columns stratum and applicant_id")
    cs, ca = header.index("stratum"), header.index("applicant_id")
    strata = {}
    for _, cells in records[1:]:
        cells = [restore(c.strip(ASCII_WS)) for c in cells]
        if len(cells) == len(header):
            found = strata.setdefault(cells[ca], [])
            if cells[cs] not in found:
                found.append(cells[cs])
    return strata


def column_map(specs):
    """`--columns` as chiso reads it: each value `name=Header,name=Header`, or one pair whose
    header holds a comma (`stratum=Đơn vị, phòng`) when no piece after the first has `=`."""
    mapped = {}
    for spec in specs or []:
        pieces = spec.split(",")
        pairs = [spec.strip()] if all("=" not in p for p in pieces[1:]) else [p.strip() for p in pieces]
        for pair in pairs:
            if not pair:
                continue
            name, sep, header = pair.partition("=")
            if not sep or not name.strip() or not header.strip():
                raise InputError(f"--columns {pair!r}: not of the form name=Header")
            if name.strip() in mapped:
                raise InputError(f"--columns {name.strip()}: mapped twice")
            mapped[name.strip()] = header.strip()
    return mapped


def recheck(args):
    share = millionths("share", args.share)
    refusals = None if args.refusals is None else millionths("refusals", args.refusals)
    seed = unicodedata.normalize("NFC", args.seed.strip())
    if not seed:
        raise InputError("the seed is empty")
    key = hashlib.sha256(b"chiso-recheck-v1\x00" + seed.encode("utf-8")).digest()
    delimiter = {"tab": "\t"}.get(args.delimiter, args.delimiter)
    headers = column_map(args.columns)
    records = read_records(args.responses,
                           *find_layout(args.responses, [headers.get("applicant_id", "applicant_id")],
                                        delimiter, args.header_row))
    if not records:
        raise InputError(f"{args.responses}: no header")
    header = [h.strip(ASCII_WS) for h in records[0][1]]

    def column(name, required):
        name = headers.get(name, name)
        folded = [fold(h) for h in header]
        if fold(name) in folded:  # headers match after folding (§1), as in chiso
            return folded.index(fold(name))
        if required:
            raise InputError(f"{args.responses}: no column {name!r}")
        return None

    by_sample = sample_strata(args.sample) if args.sample else None
    ca, cs = column("applicant_id", True), column("stratum", by_sample is None)
    ci = column("interviewer_id", args.by == "interviewer")
    cd = column("disposition", False)
    groups, seen = {}, set()
    for number, cells in records[1:]:
        cells = [c.strip(ASCII_WS) for c in cells]
        if all(c == "" for c in cells):
            continue
        cell = lambda i: "" if i is None or i >= len(cells) else cells[i]
        applicant, stratum, interviewer = cell(ca), cell(cs), cell(ci)
        if not stratum and by_sample is not None and len(by_sample.get(applicant, [])) == 1:
            stratum = by_sample[applicant][0]
        disposition = DISPOSITIONS.get(fold(cell(cd))) if cd is not None else "complete"
        if not applicant or not stratum or disposition is None:
            raise InputError(f"{args.responses}: row {number}: no applicant, no stratum or a bad disposition")
        if (stratum, applicant) in seen:
            raise InputError(f"{args.responses}: row {number}: a second form of an applicant")
        seen.add((stratum, applicant))
        if disposition == "ineligible":
            continue
        group = stratum if args.by == "stratum" else interviewer
        pool = 0 if disposition in ("complete", "partial") else 1
        form = (recheck_key(key, stratum, applicant), applicant, stratum, interviewer, disposition, number)
        groups.setdefault(group, ([], []))[pool].append(form)
    rows = []
    for group in sorted(groups, key=lambda g: g.encode("utf-8")):
        for pool, (name, m) in enumerate((("completed", share), ("not_completed", refusals))):
            if m is None:
                continue
            forms = sorted(groups[group][pool],
                           key=lambda f: (f[0], f[1].encode("utf-8"), f[2].encode("utf-8")))
            take = -(-m * len(forms) // 1000000)  # ceil(share × n) in whole numbers
            for rank, (_, applicant, stratum, interviewer, disposition, number) in \
                    enumerate(forms[:take], start=1):
                rows.append([applicant, stratum, interviewer, disposition, group, name, rank, number])
    print(f"recheck: {sum(1 for r in rows if r[5] == 'completed')} completed forms chosen "
          f"in {len(groups)} groups")
    if args.out:
        try:
            # With the UTF-8 byte-order mark, as chiso writes recheck.csv (contract §14).
            with open(args.out, "w", encoding="utf-8-sig", newline="") as f:
                writer = csv.writer(f, lineterminator="\n")
                writer.writerow(RECHECK_COLUMNS)
                writer.writerows([neutralise(str(c)) for c in row] for row in rows)
        except OSError as e:
            raise InputError(f"cannot write {args.out}: {e}")
    return 0


def compare_sample(path, out_rows):
    """Differences between the lists of a published sample.csv (its columns stratum, role,
    rank, applicant_id, record_id, read as chiso reads them) and the re-drawn lists."""
    columns = ["stratum", "role", "rank", "applicant_id", "record_id"]
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            rows = list(csv.reader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise InputError(f"cannot read sample file: {e}")
    if not rows:
        raise InputError("sample file is empty")
    header = [h.strip(ASCII_WS) for h in rows[0]]
    missing = [c for c in columns if c not in header]
    if missing:
        raise InputError(f"sample file has no column {missing[0]!r}")
    index = [header.index(c) for c in columns]
    published = []
    for row in rows[1:]:
        cells = [restore(c.strip(ASCII_WS)) for c in row]
        if any(cells):
            published.append([cells[i] if i < len(cells) else "" for i in index])
    redrawn = [[str(c) for c in row] for row in out_rows]
    differences = []
    for k, (mine, theirs) in enumerate(zip(redrawn, published)):
        if mine != theirs:
            # Named by stratum, role, rank and record_id: never by applicant_id.
            differences.append(f"sample file row {k + 2}: {theirs[1]} rank {theirs[2]} record "
                               f"{theirs[4]!r} in stratum {theirs[0]!r}; the re-draw has {mine[1]} "
                               f"rank {mine[2]} record {mine[4]!r} in stratum {mine[0]!r}")
            break
    if len(published) != len(redrawn):
        differences.append(f"sample file has {len(published)} list rows, the re-draw {len(redrawn)}")
    print(f"sample file: {len(published)} list rows "
          + ("match" if not differences else "differ from the re-draw"))
    return differences


# ---------------------------------------------------------------------------------------
# Self-test
# ---------------------------------------------------------------------------------------
def self_test():
    """Check ChaCha20 against published vectors of the original construction and the key
    derivation against values computed with rand_chacha 0.10 (ChaCha20Rng::from_seed(K),
    set_stream(stream), next_u64()) and sha2. Return True if all pass."""
    def keystream(key, counter, nonce):
        return struct.pack("<16I", *chacha20_block(key, counter, nonce)).hex()
    zero, one = bytes(32), bytes(31) + b"\x01"
    chacha_vectors = [  # (key, counter, nonce as u64 from its 8 little-endian bytes, block)
        (zero, 0, 0, "76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7"
                     "da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586"),
        (zero, 1, 0, "9f07e7be5551387a98ba977c732d080dcb0f29a048e3656912c6533e32ee7aed"
                     "29b721769ce64e43d57133b074d839d531ed1f28510afb45ace10a1f4b794d6f"),
        (one, 0, 0, "4540f05a9f1fb296d7736e7b208e3c96eb4fe1834688d2604f450952ed432d41"
                    "bbe2a0b6ea7566d2a5d1e7e20d42af2c53d792b1c43fea817e9ad275ae546963"),
        (zero, 0, 1 << 56, "de9cba7bf3d69ef5e786dc63973f653a0b49e015adbff7134fcb7df137821031"  # nonce 00..01
                           "e85a050278a7084527214f73efc7fa5b5277062eb7a0433e445f41e31afab757"),
    ]
    key_vectors = [  # (seed, stratum values, applicant_id, draw key)
        ("20240101-12345", ["UBND-01"], "A001", 6897598764896803395),
        ("KQXS 2024-06-30: 123456", ["Sở Nội vụ", "citizen"], "079123456789", 15945551218531448735),
        ("", [], "x", 2968545371148693439),
    ]
    cell_vectors = [  # (text, as written); the same as the tests of chiso's src/output.rs
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'), ("+SUM(A1)", "'+SUM(A1)"),
        ("@cmd", "'@cmd"), ("\tx", "'\tx"), ("\rx", "'\rx"), ("-2+3", "'-2+3"), ("-cmd", "'-cmd"),
        ("-", "'-"), ("-.5", "'-.5"), ("-inf", "'-inf"), ("'=x", "''=x"), ("''+1", "'''+1"),
        ("-3.5", "-3.5"), ("-1e-9", "-1e-9"), ("-0", "-0"), ("", ""), ("'", "'"), ("'abc", "'abc"),
        ("'-3.5", "'-3.5"), ("A=B", "A=B"), (" =x", " =x"), ("#N/A", "#N/A"),
    ]
    ok = True
    for text, written in cell_vectors:
        if neutralise(text) != written or restore(written) != text:
            print(f"FAIL cell {text!r}: written {neutralise(text)!r}, read back {restore(written)!r}")
            ok = False
    for key, counter, nonce, expected in chacha_vectors:
        got = keystream(key, counter, nonce)
        if got != expected:
            print(f"FAIL chacha20 key={key.hex()} counter={counter} nonce={nonce}: {got}")
            ok = False
    for seed, values, applicant_id, expected in key_vectors:
        got = draw_key(seed_key(seed), values, applicant_id)
        if got != expected:
            print(f"FAIL draw key seed={seed!r} values={values} applicant={applicant_id!r}: {got} != {expected}")
            ok = False
    recheck_vectors = [  # (seed, stratum, applicant_id, re-check key): src/random.rs, §9
        ("chiso test vector 1", "U00", "A00-000", 7426120167471795790),
        ("Xổ số 123456", "SO-01|ho_tich", "Nguyễn A-42", 10669742041536900691),
    ]
    for seed, stratum, applicant_id, expected in recheck_vectors:
        k = hashlib.sha256(b"chiso-recheck-v1\x00" + seed.encode("utf-8")).digest()
        got = recheck_key(k, stratum, applicant_id)
        if got != expected:
            print(f"FAIL recheck key seed={seed!r} stratum={stratum!r}: {got} != {expected}")
            ok = False
    print(f"self-test: {len(chacha_vectors)} ChaCha20 vectors, {len(key_vectors)} key vectors, "
          f"{len(recheck_vectors)} re-check vectors, "
          f"{len(cell_vectors)} cell vectors: "
          + ("ok" if ok else "FAILED"))
    return ok


def main(argv=None):
    parser = argparse.ArgumentParser(description="Independent re-draw of a chiso sample.")
    parser.add_argument("--records", help="records CSV file (UTF-8)")
    parser.add_argument("--manifest", help="manifest.json written by `chiso sample`")
    parser.add_argument("--sample", help="compare the lists with this sample.csv written by `chiso sample`; "
                        "with --recheck, the sample (directory or sample.csv) giving the strata")
    parser.add_argument("--out", help="write the official and reserve lists to this CSV")
    parser.add_argument("--seed", help="seed text (default: the manifest's)")
    parser.add_argument("--delimiter", choices=[",", ";", "tab"],
                        help="what separates the cells of the records (or, with --recheck, of the "
                        "responses); default: found (§1)")
    parser.add_argument("--header-row", type=int,
                        help="the header row of the records (or responses), below title rows "
                        "(default: found, §1)")
    parser.add_argument("--keys", action="store_true", help="print one member's draw key")
    parser.add_argument("--value", action="append", default=[], help="stratum value (repeat, in order)")
    parser.add_argument("--applicant", help="applicant_id, with --keys")
    parser.add_argument("--self-test", action="store_true", help="run the built-in test vectors")
    parser.add_argument("--recheck", action="store_true", help="draw the re-check subsample (§9)")
    parser.add_argument("--responses", help="responses CSV file, with --recheck")
    parser.add_argument("--share", help="share of completed forms per group, with --recheck")
    parser.add_argument("--refusals", help="share of refusals and non-contacts, with --recheck")
    parser.add_argument("--columns", action="append",
                        help="with --recheck, the responses' headers: applicant_id=MaNguoiDan,stratum=DonVi")
    parser.add_argument("--by", choices=["stratum", "interviewer"], default="stratum",
                        help="group the forms by, with --recheck")
    args = parser.parse_args(argv)
    if args.self_test:
        return 0 if self_test() else 1
    if args.keys:
        if args.seed is None or args.applicant is None:
            parser.error("--keys needs --seed and --applicant")
        print(draw_key(seed_key(args.seed), args.value, args.applicant))
        return 0
    if args.recheck:
        if args.responses is None or args.seed is None or args.share is None:
            parser.error("--recheck needs --responses, --seed and --share")
        try:
            return recheck(args)
        except InputError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
    if not args.records or not args.manifest:
        parser.error("--records and --manifest are required")
    try:
        return redraw(args)
    except InputError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
