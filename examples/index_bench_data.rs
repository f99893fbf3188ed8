//! Writes the synthetic survey of the index benchmark (`benches/index.rs`) to files, so that
//! `chiso index` and other tools (R's `survey` package, see `oracle/bench-r.R`) can be run on
//! exactly the data the benchmark measures.
//!
//! ```text
//! cargo run --release --example index_bench_data -- DIR [--respondents N] [--units U]
//! ```
//!
//! Writes into `DIR` (created if missing; existing files of these names are replaced):
//!
//! * `responses.csv`: `unit_code,Q01,...,Q22`, one row per respondent, in the order of the
//!   generator; an empty cell is no answer;
//! * `population.csv`: `stratum,population`, one row per unit (each unit is its own stratum),
//!   `N_h` as a whole number;
//! * `questionnaire.toml`: the shipped SIPAS questionnaire (22 items, five elements).
//!
//! Without options the data are the benchmark's: 1,000,000 respondents in 1,000 units. The
//! options draw a smaller (or larger) survey from the same stream of numbers, for trying a
//! tool out before the full run; every unit must then still get at least two respondents.
//!
//! Then, for example:
//!
//! ```text
//! chiso index --responses DIR/responses.csv --questionnaire DIR/questionnaire.toml \
//!     --population DIR/population.csv --out DIR/out
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

#[path = "../benches/support/index_data.rs"]
mod index_data;

const USAGE: &str = "usage: index_bench_data DIR [--respondents N] [--units U]";

/// The command line.
struct Args {
    dir: PathBuf,
    respondents: usize,
    units: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut dir = None;
    let mut respondents = index_data::RESPONDENTS;
    let mut units = index_data::UNITS;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--respondents" | "--units" => {
                let value = args
                    .next()
                    .ok_or_else(|| format!("{arg}: expected a whole number after it"))?;
                let n: usize =
                    value.parse().ok().filter(|&n| n > 0).ok_or_else(|| {
                        format!("{arg} {value:?}: expected a whole number above 0")
                    })?;
                if arg == "--respondents" {
                    respondents = n;
                } else {
                    units = n;
                }
            }
            "-h" | "--help" => return Err(USAGE.to_string()),
            _ if arg.starts_with('-') => return Err(format!("unknown option {arg:?}\n{USAGE}")),
            _ if dir.is_none() => dir = Some(PathBuf::from(arg)),
            _ => {
                return Err(format!(
                    "one directory expected, got a second: {arg:?}\n{USAGE}"
                ));
            }
        }
    }
    let dir = dir.ok_or_else(|| USAGE.to_string())?;
    if units > 10_000 {
        return Err(format!(
            "--units {units}: at most 10000 (unit codes are U0000..U9999)"
        ));
    }
    Ok(Args {
        dir,
        respondents,
        units,
    })
}

fn run() -> Result<(), String> {
    let args = parse_args()?;
    let q = index_data::questionnaire();
    let data = if (args.respondents, args.units) == (index_data::RESPONDENTS, index_data::UNITS) {
        // The very call the benchmark makes.
        index_data::responses(&q)
    } else {
        index_data::responses_sized(&q, args.respondents, args.units)
    };

    let mut counts = vec![0usize; args.units];
    for &u in &data.unit_of {
        counts[u as usize] += 1;
    }
    if let Some(u) = counts.iter().position(|&m| m < 2) {
        return Err(format!(
            "unit {} gets {} respondents: choose more --respondents or fewer --units \
             (every unit needs at least 2)",
            data.units[u], counts[u]
        ));
    }

    index_data::write_files(&q, &data, &args.dir)?;

    println!(
        "{} respondents, {} units, {} items: {}",
        data.len(),
        data.units.len(),
        q.items.len(),
        args.dir.display()
    );
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("index_bench_data: {message}");
            ExitCode::from(2)
        }
    }
}
