//! Damaged inputs, made from valid ones by seeded mutations (truncations, stray quotes, NUL
//! bytes, bad UTF-8, huge cells, duplicated headers, doubled or dropped lines): every command
//! ends with exit 0 or 2, never a panic, and a refused run leaves no file behind. A file with a
//! damaged row never loses the rows around it: after a stray quote (anywhere, and at the start
//! of a cell, where it opens quotes), a run that is not refused read as many rows as from the
//! file undamaged, with at most one more rejected.
//!
//! The mutations come from ChaCha20 with a fixed seed, so a failure is reproducible: the
//! message names the input, the mutation number and what was done.

use std::path::Path;

use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};

use crate::util::*;

/// How many mutations of each input.
const CASES: usize = 40;

/// How many more of each CSV input, each a stray quote at the start of a cell.
const QUOTE_CASES: usize = 12;

fn below(rng: &mut ChaCha20Rng, n: usize) -> usize {
    (rng.next_u64() % n.max(1) as u64) as usize
}

/// One seeded mutation of `bytes`, and a description of it.
fn mutate(rng: &mut ChaCha20Rng, bytes: &[u8]) -> (Vec<u8>, String) {
    let mut b = bytes.to_vec();
    let at = below(rng, b.len());
    let what = match below(rng, 9) {
        0 => {
            b.truncate(at);
            format!("truncated at byte {at}")
        }
        1 => {
            b.insert(at, b'"');
            format!("a stray quote at byte {at}")
        }
        2 => {
            b.insert(at, 0);
            format!("a NUL byte at byte {at}")
        }
        3 => {
            b.splice(at..at, [0xC3, 0x28, 0xFF]);
            format!("invalid UTF-8 at byte {at}")
        }
        4 => {
            let huge = vec![b'x'; 200_000];
            b.splice(at..at, huge);
            format!("a 200 kB cell at byte {at}")
        }
        5 => {
            // The first header cell again at the end of the header line.
            let end = b.iter().position(|&c| c == b'\n').unwrap_or(b.len());
            let first: Vec<u8> = b[..end]
                .split(|&c| c == b',')
                .next()
                .unwrap_or(&[])
                .to_vec();
            let mut extra = vec![b','];
            extra.extend(first);
            b.splice(end..end, extra);
            "the first header repeated".to_string()
        }
        6 => {
            let lines: Vec<&[u8]> = bytes.split(|&c| c == b'\n').collect();
            let k = below(rng, lines.len());
            let mut out = Vec::new();
            for (i, l) in lines.iter().enumerate() {
                out.extend_from_slice(l);
                out.push(b'\n');
                if i == k {
                    out.extend_from_slice(l);
                    out.push(b'\n');
                }
            }
            b = out;
            format!("line {} doubled", k + 1)
        }
        7 => {
            let lines: Vec<&[u8]> = bytes.split(|&c| c == b'\n').collect();
            let k = below(rng, lines.len());
            b = lines
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != k)
                .flat_map(|(_, l)| l.iter().copied().chain([b'\n']))
                .collect();
            format!("line {} dropped", k + 1)
        }
        _ => {
            let c = [b',', b';', b'\r', b'\t', b'=', b'#'][below(rng, 6)];
            b.insert(at, c);
            format!("{:?} inserted at byte {at}", c as char)
        }
    };
    (b, what)
}

/// A stray quote where a cell starts (at the start of a line or after a comma), where it
/// opens quotes that run over the lines after it; and a description of it.
fn stray_quote_at_a_cell_start(rng: &mut ChaCha20Rng, bytes: &[u8]) -> (Vec<u8>, String) {
    let starts: Vec<usize> = (0..bytes.len())
        .filter(|&i| i == 0 || matches!(bytes[i - 1], b',' | b'\n'))
        .collect();
    let at = starts[below(rng, starts.len())];
    let mut b = bytes.to_vec();
    b.insert(at, b'"');
    (
        b,
        format!("a stray quote at byte {at}, where a cell starts"),
    )
}

/// The rows read and rejected that a run printed: `records: N rows read, M rejected` (sample),
/// `N responses in` (index, no row rejected); `None` for another command.
fn counts(stdout: &str) -> Option<(u64, u64)> {
    let number = |s: &str| s.trim().parse::<u64>().ok();
    if let Some(rest) = stdout.lines().find_map(|l| l.strip_prefix("records: ")) {
        let (rows, rest) = rest.split_once(" rows read, ")?;
        let (rejected, _) = rest.split_once(" rejected")?;
        return Some((number(rows)?, number(rejected)?));
    }
    let (responses, _) = stdout.lines().next()?.split_once(" responses in ")?;
    Some((number(responses)?, 0))
}

/// Runs `args` and checks the outcome: 0 or 2, and on 2 nothing in `out`. The exit status
/// and the rows read and rejected ([`counts`]).
fn check(args: &[&str], out: &Path, what: &str) -> (i32, Option<(u64, u64)>) {
    let o = chiso(args);
    let code = o.status.code().unwrap_or(-1);
    let (stdout, err) = text(&o);
    assert!(code == 0 || code == 2, "{what}: exit {code}\n{err}");
    assert!(!err.contains("panicked"), "{what}: {err}");
    if code == 2 {
        assert!(err.starts_with("error: "), "{what}: {err}");
        let left: Vec<_> = std::fs::read_dir(out)
            .map(|d| d.flatten().map(|e| e.file_name()).collect())
            .unwrap_or_default();
        assert!(left.is_empty(), "{what}: a refused run left {left:?}");
    }
    (code, counts(&stdout))
}

/// Mutates the file `name` of `inputs` (name, text) `CASES` times and runs `command` on each
/// version; `command` gets the directory and returns the arguments and the output directory.
fn each_mutation(
    label: &str,
    seed: u64,
    inputs: &[(&str, String)],
    name: &str,
    command: impl Fn(&Dir) -> (Vec<String>, std::path::PathBuf),
) {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let original = inputs
        .iter()
        .find(|(n, _)| *n == name)
        .expect("the input")
        .1
        .clone();
    // The inputs as they are are accepted.
    let dir = Dir::new();
    for (n, t) in inputs {
        dir.write(n, t);
    }
    let (args, out) = command(&dir);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, undamaged) = check(&args, &out, &format!("{label}, unmutated"));
    assert_eq!(code, 0);
    let (mut ok, mut refused) = (0, 0);
    let quote_cases = if name.ends_with(".csv") {
        QUOTE_CASES
    } else {
        0
    };
    for case in 0..CASES + quote_cases {
        let dir = Dir::new();
        for (n, t) in inputs {
            dir.write(n, t);
        }
        let (bytes, what) = if case < CASES {
            mutate(&mut rng, original.as_bytes())
        } else {
            stray_quote_at_a_cell_start(&mut rng, original.as_bytes())
        };
        std::fs::write(dir.path(name), bytes).unwrap();
        let (args, out) = command(&dir);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let what = format!("{label} mutation {case}: {what}");
        match check(&args, &out, &what) {
            (0, read) => {
                ok += 1;
                // A damaged row never loses the rows around it.
                if let (Some((rows, rejected)), true) = (undamaged, what.contains("stray quote")) {
                    let (now, now_rejected) = read.expect("the rows read are printed");
                    assert!(
                        now == rows && now_rejected <= rejected + 1,
                        "{what}: {now} rows read, {now_rejected} rejected; undamaged, {rows} \
                         read, {rejected} rejected"
                    );
                }
            }
            _ => refused += 1,
        }
    }
    // The mutations are not all harmless (a TOML file may refuse every one of them).
    assert!(refused > 0, "{label}: {ok} accepted, {refused} refused");
}

fn s(path: std::path::PathBuf) -> String {
    path.to_str().unwrap().to_string()
}

#[test]
fn damaged_records_and_designs() {
    let inputs = [
        ("records.csv", records(3)),
        ("design.toml", DESIGN.to_string()),
    ];
    let sample = |dir: &Dir| {
        let out = dir.path("out");
        let args = [
            "sample",
            "--records",
            &s(dir.path("records.csv")),
            "--design",
            &s(dir.path("design.toml")),
            "--seed",
            "s",
            "--out",
            &s(out.clone()),
            "--max-rejected",
            "1",
        ];
        (
            args.iter().map(|a| a.to_string()).collect::<Vec<String>>(),
            out,
        )
    };
    each_mutation("records", 1, &inputs, "records.csv", sample);
    each_mutation("design", 2, &inputs, "design.toml", sample);
}

#[test]
fn damaged_responses_and_questionnaires() {
    let population = "stratum,population\nU1,40\nU2,60\n";
    let mut responses = String::from("unit_code,Q01,Q02,Q03,Q04,Q05,Q06\n");
    for i in 0..30 {
        let u = if i % 2 == 0 { "U1" } else { "U2" };
        responses.push_str(&format!(
            "{u},{},{},{},{},{},9\n",
            1 + i % 5,
            1 + (i / 2) % 5,
            1 + (i / 3) % 5,
            1 + (i / 5) % 5,
            5 - i % 5
        ));
    }
    let inputs = [
        ("responses.csv", responses),
        ("q.toml", ORACLE_QUESTIONNAIRE.to_string()),
        ("population.csv", population.to_string()),
    ];
    let index = |dir: &Dir| {
        let out = dir.path("out");
        let args = [
            "index",
            "--responses",
            &s(dir.path("responses.csv")),
            "--questionnaire",
            &s(dir.path("q.toml")),
            "--population",
            &s(dir.path("population.csv")),
            "--out",
            &s(out.clone()),
            "--rank-replicates",
            "50",
        ];
        (
            args.iter().map(|a| a.to_string()).collect::<Vec<String>>(),
            out,
        )
    };
    each_mutation("responses", 3, &inputs, "responses.csv", index);
    each_mutation("questionnaire", 4, &inputs, "q.toml", index);
    each_mutation("population", 5, &inputs, "population.csv", index);
}

#[test]
fn damaged_par_scores() {
    let framework = include_str!("../frameworks/par-so.toml");
    let fw = chiso::par::Framework::from_toml(framework, "framework.toml").unwrap();
    // Every self-assessed criterion of two departments, scored at its maximum.
    let mut scores = String::from("unit_code,unit_group,criterion,self_score,appraised_score\n");
    for unit in ["SO01", "SO02"] {
        for c in fw
            .criteria
            .iter()
            .filter(|c| matches!(c.source, chiso::par::Source::SelfAssessed) && c.applies_to("so"))
        {
            scores.push_str(&format!("{unit},so,{},{},{}\n", c.code, c.max, c.max));
        }
    }
    let mut survey = String::from("domain,indicator,measure,estimate,std_error\n");
    for unit in ["SO01", "SO02"] {
        for ind in [
            "overall",
            "element:DV1",
            "element:DV2",
            "element:DV3",
            "element:DV4",
            "element:DV5",
        ] {
            for m in ["satisfied_pct", "dissatisfied_pct", "mean_score"] {
                let e = if m == "mean_score" { "4.1" } else { "80" };
                survey.push_str(&format!("{unit},{ind},{m},{e},1.5\n"));
            }
        }
    }
    let inputs = [
        ("framework.toml", framework.to_string()),
        ("scores.csv", scores),
        ("indices.csv", survey),
    ];
    let par = |dir: &Dir| {
        let out = dir.path("out");
        let args = [
            "par",
            "--framework",
            &s(dir.path("framework.toml")),
            "--scores",
            &s(dir.path("scores.csv")),
            "--survey",
            &s(dir.path("indices.csv")),
            "--out",
            &s(out.clone()),
            "--replicates",
            "50",
        ];
        (
            args.iter().map(|a| a.to_string()).collect::<Vec<String>>(),
            out,
        )
    };
    each_mutation("scores", 6, &inputs, "scores.csv", par);
}
