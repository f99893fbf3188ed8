//! Output folders: one run's files appear together or not at all, one run at a time writes
//! into a folder, and a stopped or killed run leaves nothing behind (or the next run clears
//! it). Runs are stopped at the test checkpoints of a debug build (`CHISO_TEST_PAUSE`,
//! `CHISO_TEST_FAIL`: see `src/output/folder.rs`).

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};

use crate::util::*;

/// Every applicant drawn: `sample.csv` holds the whole frame, a large file.
const TAKE_ALL: &str = r#"
[frame]
window = ["2024-01-01", "2024-09-30"]
strata = ["unit_code"]
[size]
mode = "fixed"
n = 1000000
"#;

/// The arguments of `chiso sample` on `dir/records.csv` into `dir/out`.
fn sample_args(dir: &Dir, seed: &str, force: bool) -> Vec<String> {
    let mut args: Vec<String> = [
        "sample",
        "--records",
        p(&dir.path("records.csv")),
        "--design",
        p(&dir.path("design.toml")),
        "--seed",
        seed,
        "--out",
        p(&dir.path("out")),
    ]
    .map(String::from)
    .to_vec();
    if force {
        args.push("--force".into());
    }
    args
}

fn run(args: &[String]) -> std::process::Output {
    chiso(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

/// A folder with records (about `records` rows of a demo province, or the small records of
/// `util`) and a design.
fn setup(records: Option<usize>, design_text: &str) -> Dir {
    let dir = Dir::new();
    match records {
        Some(n) => dir.write("records.csv", &province(n)),
        None => dir.write("records.csv", &crate::util::records(4)),
    };
    dir.write("design.toml", design_text);
    dir
}

/// A run stopped at a checkpoint: it has said so on standard error and waits on standard
/// input.
struct Paused {
    child: Child,
    stdin: Option<ChildStdin>,
    stderr: BufReader<std::process::ChildStderr>,
    said: String,
}

impl Paused {
    /// Starts `args` and waits until the run reaches `point`.
    fn start(args: &[String], point: &str) -> Paused {
        let mut child = Command::new(env!("CARGO_BIN_EXE_chiso"))
            .args(args)
            .env("CHISO_TEST_PAUSE", point)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the chiso binary runs");
        let stdin = child.stdin.take();
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut said = String::new();
        loop {
            let mut line = String::new();
            if stderr.read_line(&mut line).unwrap() == 0 {
                panic!("the run ended before checkpoint {point}: {said}");
            }
            said += &line;
            if line == format!("checkpoint {point}\n") {
                break;
            }
        }
        Paused {
            child,
            stdin,
            stderr,
            said,
        }
    }

    /// Sends `signal` and waits for the run to end: its status and standard error.
    #[cfg(unix)]
    fn signal(mut self, signal: i32) -> (ExitStatus, String) {
        let pid = libc::pid_t::try_from(self.child.id()).unwrap();
        // SAFETY: kill(2) on a child of this process, which has not been waited for.
        assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
        self.wait()
    }

    /// Kills the run as SIGKILL or a power cut would: nothing of it runs any more.
    fn kill(mut self) -> (ExitStatus, String) {
        self.child.kill().unwrap();
        self.wait()
    }

    /// Lets the run go on and waits for it to end.
    fn resume(mut self) -> (ExitStatus, String) {
        self.stdin.take();
        self.wait()
    }

    fn wait(&mut self) -> (ExitStatus, String) {
        let status = self.child.wait().unwrap();
        self.stdin.take();
        self.stderr.read_to_string(&mut self.said).unwrap();
        (status, std::mem::take(&mut self.said))
    }
}

/// The files of `dir/out` by name, with their SHA-256 (empty when it does not exist).
fn snapshot(dir: &Dir) -> Vec<(String, String)> {
    dir.files("out")
        .into_iter()
        .map(|n| {
            let sha = file_sha(&dir.path("out").join(&n));
            (n, sha)
        })
        .collect()
}

/// `dir/out` holds a whole sample: its three files, the manifest naming the sample.csv beside
/// it; returns the manifest's seed.
fn whole_sample(dir: &Dir) -> String {
    assert_eq!(
        dir.files("out"),
        ["manifest.json", "rejected.csv", "sample.csv", "sample.xlsx"]
    );
    let m: serde_json::Value = serde_json::from_str(&dir.read("out/manifest.json")).unwrap();
    assert_eq!(
        m["sample_file_sha256"],
        file_sha(&dir.path("out/sample.csv")),
        "the manifest is the one of the sample.csv beside it"
    );
    m["seed"].as_str().unwrap().to_string()
}

/// Nothing of chiso's own is left in the test's folder or in `out`: no staging folder, no
/// lock file, no temporary file.
fn nothing_left(dir: &Dir) {
    for sub in ["", "out"] {
        let left: Vec<String> = dir
            .files(sub)
            .into_iter()
            .filter(|n| n.contains(".chiso") || n.ends_with(".tmp"))
            .collect();
        assert!(left.is_empty(), "left in {sub:?}: {left:?}");
    }
}

fn busy_message(dir: &Dir, pid: u32) -> String {
    format!(
        "error: {}: another chiso run (process {pid}) is writing there: wait for it to end, or \
         choose another --out\n",
        dir.path("out").display()
    )
}

#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "the test checkpoints are in debug builds only"
)]
fn a_second_run_into_a_folder_being_written_fails_at_once() {
    let dir = setup(None, DESIGN);
    let first = Paused::start(&sample_args(&dir, "first", false), "staged");
    let pid = first.child.id();
    // The same sample, with or without --force, and another command into the same folder.
    for args in [
        sample_args(&dir, "second", false),
        sample_args(&dir, "second", true),
        [
            "timeliness",
            "--records",
            p(&dir.path("records.csv")),
            "--out",
            p(&dir.path("out")),
        ]
        .map(String::from)
        .to_vec(),
    ] {
        let o = run(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert_eq!(text(&o), (String::new(), busy_message(&dir, pid)));
    }
    let (status, err) = first.resume();
    assert!(status.success(), "{err}");
    assert_eq!(whole_sample(&dir), "first");
    nothing_left(&dir);
    // Once it has ended, the folder is free: refused as an existing sample, not as busy.
    let o = run(&sample_args(&dir, "second", false));
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).1.contains("already exists"), "{:?}", text(&o));
}

#[test]
fn of_two_sample_runs_at_once_into_one_folder_exactly_one_succeeds() {
    let dir = setup(None, DESIGN);
    for trial in 0..8 {
        let _ = std::fs::remove_dir_all(dir.path("out"));
        let spawn = |seed: &str| {
            Command::new(env!("CARGO_BIN_EXE_chiso"))
                .args(sample_args(&dir, seed, false))
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (a, b) = (spawn("a"), spawn("b"));
        let (pa, pb) = (a.id(), b.id());
        let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
        let ok: Vec<bool> = [&a, &b].iter().map(|o| o.status.success()).collect();
        assert_eq!(ok.iter().filter(|s| **s).count(), 1, "trial {trial}");
        let (winner, loser, winner_pid) = if ok[0] { ("a", &b, pa) } else { ("b", &a, pb) };
        assert_eq!(loser.status.code(), Some(2));
        let err = text(loser).1;
        // Refused while the other writes, or (when it had already ended) as an existing
        // sample; never both written.
        let busy = err.contains("another chiso run") && err.contains("is writing there");
        assert!(
            busy || err.contains("already exists"),
            "trial {trial}: {err}"
        );
        if busy {
            // The pid is written just after the lock is taken: it may not be there yet.
            assert!(
                err == busy_message(&dir, winner_pid)
                    || err.contains("another chiso run is writing there"),
                "{err}"
            );
        }
        assert_eq!(whole_sample(&dir), winner);
        nothing_left(&dir);
    }
}

#[cfg(unix)]
#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "the test checkpoints are in debug builds only"
)]
fn a_run_stopped_by_a_signal_while_writing_removes_its_files() {
    let dir = setup(Some(8_000), TAKE_ALL);
    for (signal, old) in [(libc::SIGTERM, true), (libc::SIGINT, false)] {
        let _ = std::fs::remove_dir_all(dir.path("out"));
        if old {
            assert!(run(&sample_args(&dir, "old", false)).status.success());
        }
        let before = snapshot(&dir);
        let paused = Paused::start(&sample_args(&dir, "new", true), "staged");
        // The large sample.csv, with names and phone numbers, is written in a staging folder
        // beside the output folder.
        let staging: Vec<String> = dir
            .files("")
            .into_iter()
            .filter(|n| n.starts_with(".out.chiso-") && n.ends_with(".part"))
            .collect();
        assert_eq!(staging.len(), 1, "{:?}", dir.files(""));
        let staged = dir.path(&staging[0]).join("sample.csv");
        assert!(std::fs::metadata(&staged).unwrap().len() > 500_000);
        let (status, err) = paused.signal(signal);
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(signal), "{err}");
        assert_eq!(
            err,
            format!(
                "checkpoint staged\ninterrupted: the unfinished output in {} was removed; the \
                 folder is as it was before this run\n",
                dir.path("out").display()
            )
        );
        assert!(!staged.exists());
        nothing_left(&dir);
        // The old set as it was, byte for byte, or nothing.
        assert_eq!(snapshot(&dir), before);
        assert_eq!(dir.path("out").exists(), old);
    }
}

#[cfg(unix)]
#[test]
fn a_run_stopped_by_sigterm_at_any_moment_leaves_the_old_set_or_the_new() {
    use std::os::unix::process::ExitStatusExt;
    let dir = setup(Some(3_000), TAKE_ALL);
    let started = std::time::Instant::now();
    assert!(run(&sample_args(&dir, "old", false)).status.success());
    // Signals sent from the start of a run to past its usual end.
    let took = started.elapsed();
    let old = snapshot(&dir);
    let old_bytes: Vec<(String, Vec<u8>)> = old
        .iter()
        .map(|(n, _)| (n.clone(), std::fs::read(dir.path("out").join(n)).unwrap()))
        .collect();
    let mut outcomes = (0, 0);
    for k in 0..8u64 {
        let seed = format!("new {k}");
        let child = Command::new(env!("CARGO_BIN_EXE_chiso"))
            .args(sample_args(&dir, &seed, true))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(took * k as u32 / 6);
        let pid = libc::pid_t::try_from(child.id()).unwrap();
        // SAFETY: kill(2) on a child of this process, which has not been waited for.
        assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
        let o = child.wait_with_output().unwrap();
        let err = text(&o).1;
        // A signal that comes while the files are being put in place waits for them: the
        // run is stopped with its new set in place, and says so.
        let whole = format!(
            "interrupted: the files already written in {} are complete\n",
            dir.path("out").display()
        );
        if o.status.success() || err == whole {
            assert_eq!(whole_sample(&dir), seed, "trial {k}: {err}");
            outcomes.1 += 1;
            // Back to the old set for the next trial.
            std::fs::remove_dir_all(dir.path("out")).unwrap();
            std::fs::create_dir(dir.path("out")).unwrap();
            for (name, bytes) in &old_bytes {
                std::fs::write(dir.path("out").join(name), bytes).unwrap();
            }
        } else {
            assert_eq!(snapshot(&dir), old, "trial {k}: {err}");
            // Stopped before it wrote anything, or while it wrote.
            let removed = format!(
                "interrupted: the unfinished output in {} was removed; the folder is as it was \
                 before this run\n",
                dir.path("out").display()
            );
            assert!(err.is_empty() || err == removed, "trial {k}: {err}");
            outcomes.0 += 1;
        }
        if !o.status.success() {
            assert_eq!(o.status.signal(), Some(libc::SIGTERM), "{err}");
        }
        nothing_left(&dir);
    }
    assert!(outcomes.0 > 0, "no run was stopped: {outcomes:?}");
}

/// What a run killed at `point` (replacing the sample `old` with `new`) leaves in the
/// folder, and what the next run says when it puts that right.
#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "the test checkpoints are in debug builds only"
)]
fn a_run_killed_at_any_step_leaves_a_whole_set_and_the_next_run_clears_the_rest() {
    let dir = setup(None, DESIGN);
    let out = dir.path("out");
    for (point, after, note) in [
        (
            "staged",
            Some("old"),
            "removed the unfinished output of an interrupted chiso run",
        ),
        (
            "ready",
            Some("old"),
            "removed the output of an interrupted chiso run into",
        ),
        // Between the two renames: no folder (the old one is aside, whole).
        ("aside", None, "put back"),
        (
            "placed",
            Some("new"),
            "removed the files an interrupted chiso run had replaced in",
        ),
    ] {
        let _ = std::fs::remove_dir_all(&out);
        assert!(run(&sample_args(&dir, "old", false)).status.success());
        let (status, _) = Paused::start(&sample_args(&dir, "new", true), point).kill();
        assert!(!status.success());
        match after {
            Some(seed) => assert_eq!(whole_sample(&dir), seed, "killed at {point}"),
            None => assert!(!out.exists(), "killed at {point}"),
        }
        // The next run clears what is left, saying so, then refuses to replace the sample
        // without --force: the old one was put back when the folder was missing.
        let o = run(&sample_args(&dir, "next", false));
        let (_, err) = text(&o);
        assert_eq!(o.status.code(), Some(2), "{err}");
        let (first, second) = err.split_once('\n').unwrap();
        assert!(
            first.starts_with("note: ") && first.contains(note),
            "killed at {point}: {err}"
        );
        assert!(second.contains("already exists"), "{err}");
        assert_eq!(whole_sample(&dir), after.unwrap_or("old"));
        nothing_left(&dir);
        let o = run(&sample_args(&dir, "next", true));
        assert!(o.status.success());
        assert_eq!(text(&o).1, "", "nothing more to clear");
        assert_eq!(whole_sample(&dir), "next");
    }
}

/// A folder that holds other files keeps them; there the files are renamed into it one by
/// one, and a run killed among them is completed by the next.
#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "the test checkpoints are in debug builds only"
)]
fn in_a_shared_folder_other_files_are_kept_and_a_killed_run_is_completed() {
    let dir = setup(None, DESIGN);
    std::fs::create_dir_all(dir.path("out/notes")).unwrap();
    dir.write("out/notes/plan.txt", "the plan");
    dir.write("out/README.txt", "read me");
    let others = |dir: &Dir| {
        assert_eq!(dir.read("out/notes/plan.txt"), "the plan");
        assert_eq!(dir.read("out/README.txt"), "read me");
    };
    let files = |dir: &Dir| {
        let mut v = dir.files("out");
        v.retain(|n| n != "notes" && n != "README.txt");
        v
    };
    assert!(run(&sample_args(&dir, "old", false)).status.success());
    assert_eq!(
        files(&dir),
        ["manifest.json", "rejected.csv", "sample.csv", "sample.xlsx"]
    );
    others(&dir);
    let (status, _) = Paused::start(&sample_args(&dir, "new", true), "placed").kill();
    assert!(!status.success());
    // The first file is in place, the others wait in the staging folder inside.
    let staging: Vec<String> = dir
        .files("out")
        .into_iter()
        .filter(|n| n.starts_with(".chiso-") && n.ends_with(".ready"))
        .collect();
    assert_eq!(staging.len(), 1, "{:?}", dir.files("out"));
    let o = run(&sample_args(&dir, "next", false));
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o).1;
    assert!(
        err.starts_with(&format!(
            "note: completed the replacement of files in {} that an interrupted chiso run had \
             begun: manifest.json, rejected.csv, sample.xlsx\n",
            dir.path("out").display()
        )),
        "{err}"
    );
    others(&dir);
    assert_eq!(
        files(&dir),
        ["manifest.json", "rejected.csv", "sample.csv", "sample.xlsx"]
    );
    let m: serde_json::Value = serde_json::from_str(&dir.read("out/manifest.json")).unwrap();
    assert_eq!(m["seed"], "new");
    assert_eq!(
        m["sample_file_sha256"],
        file_sha(&dir.path("out/sample.csv"))
    );
    // Killed before anything was in place: the next run removes the staging folder.
    let _ = Paused::start(&sample_args(&dir, "newer", true), "staged").kill();
    let o = run(&sample_args(&dir, "next", true));
    assert!(o.status.success());
    assert!(
        text(&o)
            .1
            .starts_with("note: removed the unfinished files of an interrupted")
    );
    others(&dir);
    assert_eq!(whole_seed(&dir), "next");
    nothing_left(&dir);
}

fn whole_seed(dir: &Dir) -> String {
    let m: serde_json::Value = serde_json::from_str(&dir.read("out/manifest.json")).unwrap();
    assert_eq!(
        m["sample_file_sha256"],
        file_sha(&dir.path("out/sample.csv"))
    );
    m["seed"].as_str().unwrap().to_string()
}

#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "the test checkpoints are in debug builds only"
)]
fn a_write_that_fails_leaves_the_folder_as_it_was() {
    let dir = setup(None, DESIGN);
    let failing = |point: &str, seed: &str, force: bool| {
        Command::new(env!("CARGO_BIN_EXE_chiso"))
            .args(sample_args(&dir, seed, force))
            .env("CHISO_TEST_FAIL", point)
            .output()
            .unwrap()
    };
    // A new folder: the second file fails, nothing is made.
    let o = failing("staged", "first", false);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o).1;
    assert!(
        err.starts_with("error: ") && err.contains("stopped at checkpoint staged"),
        "{err}"
    );
    assert!(!dir.path("out").exists());
    nothing_left(&dir);
    // An existing sample: failing while writing, or while swapping the folders, keeps it.
    assert!(run(&sample_args(&dir, "old", false)).status.success());
    let before = snapshot(&dir);
    for point in ["staged", "ready", "aside"] {
        let o = failing(point, "new", true);
        assert_eq!(o.status.code(), Some(2), "{point}");
        assert!(text(&o).1.contains(&format!("checkpoint {point}")));
        assert_eq!(snapshot(&dir), before, "{point}");
        nothing_left(&dir);
    }
}

#[test]
fn temporary_files_left_by_an_earlier_version_are_removed() {
    let dir = setup(None, DESIGN);
    assert!(run(&sample_args(&dir, "old", false)).status.success());
    dir.write(
        "out/.sample.csv.Ab3xY9.tmp",
        "R00001,Nguyễn Văn 1,0900000001",
    );
    // Not a file of this run, or not such a name: kept.
    dir.write("out/.notes.txt.Ab3xY9.tmp", "mine");
    dir.write("out/.sample.csv.mine.tmp", "mine too");
    let o = run(&sample_args(&dir, "new", true));
    assert!(o.status.success());
    assert_eq!(
        text(&o).1,
        format!(
            "note: removed {}, left by an interrupted chiso run\n",
            dir.path("out/.sample.csv.Ab3xY9.tmp").display()
        )
    );
    assert_eq!(
        dir.files("out"),
        [
            ".notes.txt.Ab3xY9.tmp",
            ".sample.csv.mine.tmp",
            "manifest.json",
            "rejected.csv",
            "sample.csv",
            "sample.xlsx"
        ]
    );
}

#[cfg(unix)]
#[test]
fn a_replaced_folder_keeps_its_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = setup(None, DESIGN);
    assert!(run(&sample_args(&dir, "old", false)).status.success());
    let mode = |dir: &Dir| {
        std::fs::metadata(dir.path("out"))
            .unwrap()
            .permissions()
            .mode()
            & 0o7777
    };
    std::fs::set_permissions(dir.path("out"), std::fs::Permissions::from_mode(0o750)).unwrap();
    assert!(run(&sample_args(&dir, "new", true)).status.success());
    assert_eq!(whole_sample(&dir), "new");
    assert_eq!(mode(&dir), 0o750);
}

#[test]
fn a_folder_made_for_a_run_that_fails_is_removed() {
    let dir = setup(None, DESIGN);
    let mut args = sample_args(&dir, "s", false);
    let out = dir.path("a/b/out");
    *args.iter_mut().find(|a| a.ends_with("out")).unwrap() = p(&out).to_string();
    *args
        .iter_mut()
        .find(|a| a.ends_with("design.toml"))
        .unwrap() = p(&dir.path("missing.toml")).to_string();
    let o = run(&args);
    assert_eq!(o.status.code(), Some(2));
    assert!(!dir.path("a").exists(), "{:?}", dir.files(""));
}
