//! The sample: a frame, its sizes and its draw, and the files that publish them
//! (`sample.csv`, `manifest.json`, `rejected.csv`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::design::{Design, StratumSize};
use crate::draw::{self, SeedKey, StratumDraw};
use crate::error::{ErrorKind, Result};
use crate::frame::Frame;
use crate::manifest::{self, Manifest, RecordsInfo, StratumEntry, Totals};
use crate::output::Staged;
use crate::records::{CONTACT, ColumnMap, DESCRIPTIVE, RecordLayout};
use crate::table::{self, Delimiter, Fetcher, Layout, Table};

pub use crate::files::sample::Role;

/// One selected applicant: where it stands in the frame and in its list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pick {
    /// Index of the stratum in the frame.
    pub stratum: usize,
    /// Index of the member in the stratum.
    pub member: usize,
    /// Official or reserve.
    pub role: Role,
    /// Rank within stratum and role, from 1.
    pub rank: u64,
}

/// A frame with its sizes and its draw.
#[derive(Clone, Debug)]
pub struct Lists {
    /// The frame.
    pub frame: Frame,
    /// The sizes, in frame order.
    pub sizes: Vec<StratumSize>,
    /// The draws, in frame order.
    pub draws: Vec<StratumDraw>,
}

impl Lists {
    /// Computes the sizes of `frame` under `design` and draws it with `seed`.
    pub fn draw(frame: Frame, design: &Design, seed: &str, threads: usize) -> Result<Lists> {
        let labelled: Vec<(String, u64)> =
            frame.strata.iter().map(|s| (s.label(), s.size())).collect();
        let sizes = design.sizes(&labelled)?;
        let draws = draw::draw(&frame, &sizes, &SeedKey::new(seed), threads);
        Ok(Lists {
            frame,
            sizes,
            draws,
        })
    }

    /// Every selected applicant in sample order: strata in order; officials by rank, then
    /// reserves by rank.
    pub fn picks(&self) -> impl Iterator<Item = Pick> + '_ {
        self.draws.iter().enumerate().flat_map(|(s, d)| {
            let official = d.official.iter().enumerate().map(move |(i, &m)| Pick {
                stratum: s,
                member: m as usize,
                role: Role::Official,
                rank: i as u64 + 1,
            });
            let reserve = d.reserve.iter().enumerate().map(move |(i, &m)| Pick {
                stratum: s,
                member: m as usize,
                role: Role::Reserve,
                rank: i as u64 + 1,
            });
            official.chain(reserve)
        })
    }

    /// The SHA-256 of the lists (`docs/draw-algorithm.md` §7), as hexadecimal.
    pub fn digest(&self) -> String {
        let mut h = Sha256::new();
        let put = |h: &mut Sha256, s: &str| {
            h.update((s.len() as u32).to_le_bytes());
            h.update(s.as_bytes());
        };
        for p in self.picks() {
            let s = &self.frame.strata[p.stratum];
            let m = &s.members[p.member];
            h.update((s.values.len() as u32).to_le_bytes());
            for v in &s.values {
                put(&mut h, v);
            }
            put(&mut h, p.role.as_str());
            put(&mut h, &p.rank.to_string());
            put(&mut h, &m.applicant_id);
            put(&mut h, &m.record_id);
        }
        hex::encode(h.finalize())
    }

    /// The manifest's per-stratum entries, and the frame digest (hexadecimal).
    pub fn entries(&self) -> (Vec<StratumEntry>, String) {
        stratum_entries(&self.frame, &self.sizes)
    }
}

/// The per-stratum entries of a frame with its sizes (as the manifest and a commitment list
/// them), and the frame digest (hexadecimal).
pub(crate) fn stratum_entries(frame: &Frame, sizes: &[StratumSize]) -> (Vec<StratumEntry>, String) {
    let (whole, strata) = frame.digests();
    let entries = frame
        .strata
        .iter()
        .zip(sizes)
        .zip(strata)
        .map(|((s, z), d)| StratumEntry {
            stratum: s.label(),
            values: s.values.clone(),
            frame_size: s.size(),
            sample_size: z.n,
            reserve_size: z.reserve,
            frame_digest: hex::encode(d),
        })
        .collect();
    (entries, hex::encode(whole))
}

/// The totals over `entries`.
pub(crate) fn totals(entries: &[StratumEntry]) -> Totals {
    Totals {
        strata: entries.len() as u64,
        frame_size: entries.iter().map(|e| e.frame_size).sum(),
        sample_size: entries.iter().map(|e| e.sample_size).sum(),
        reserve_size: entries.iter().map(|e| e.reserve_size).sum(),
    }
}

/// Reads the records of `req` into a frame, refusing them as a draw does (too many rejected
/// rows, or any with `strict`), with what the manifest says of the file.
pub(crate) fn read_checked(
    req: &SampleRequest,
) -> Result<(Table, RecordLayout, Frame, RecordsInfo)> {
    let (table, layout, frame) =
        read_records(&req.records, &req.layout, &req.columns, &req.design)?;
    if !(0.0..=1.0).contains(&req.max_rejected) {
        return Err(crate::Error::setting(
            "max_rejected",
            req.max_rejected,
            "expected a share from 0 to 1, such as 0.1",
        ));
    }
    crate::records::check_rejected(
        table.name(),
        frame.counts.rows,
        &frame.rejections,
        req.max_rejected,
    )?;
    if req.strict && !frame.rejections.is_empty() {
        return Err(ErrorKind::Strict {
            file: table.name().to_string(),
            count: frame.rejections.len(),
            first: frame.rejections.iter().take(5).cloned().collect(),
        }
        .into());
    }
    let records_info = RecordsInfo {
        file: req
            .records
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default(),
        sheet: req.layout.sheet.clone(),
        delimiter: table.delimiter().filter(|d| *d != Delimiter::Comma),
        header_row: Some(table.header_row()).filter(|&r| r != 1),
        sha256: match table.sha256() {
            Some(h) => h,
            None => table::file_sha256(&req.records)?,
        },
        counts: frame.counts,
    };
    Ok((table, layout, frame, records_info))
}

/// What `chiso sample` needs.
#[derive(Clone, Debug)]
pub struct SampleRequest {
    /// The records file.
    pub records: PathBuf,
    /// How the records file is laid out: its sheet, delimiter and header row (what is not
    /// given is found).
    pub layout: Layout,
    /// Column mapping.
    pub columns: ColumnMap,
    /// The design.
    pub design: Design,
    /// The published seed.
    pub seed: String,
    /// Threads for the draw (the result does not depend on it).
    pub threads: usize,
    /// Turn any rejected row into an error.
    pub strict: bool,
    /// The largest share of rejected rows (0–1) a draw accepts ([`DEFAULT_MAX_REJECTED`]);
    /// a file whose every row is rejected is refused whatever it is.
    pub max_rejected: f64,
    /// A commitment made before the seed ([`crate::commitment`]), with the file it was read
    /// from: the draw is refused unless it is made from exactly what was committed.
    pub commitment: Option<(crate::commitment::Commitment, PathBuf)>,
}

/// The largest share of rejected rows a draw accepts unless told otherwise: more than one row
/// in ten rejected means the file was most likely not read as meant.
pub const DEFAULT_MAX_REJECTED: f64 = 0.1;

/// A drawn sample, ready to be written.
#[derive(Debug)]
pub struct SampleOutput {
    /// The lists.
    pub lists: Lists,
    /// The manifest.
    pub manifest: Manifest,
    /// `sample.csv`.
    pub sample_csv: Vec<u8>,
    /// `rejected.csv`.
    pub rejected_csv: Vec<u8>,
    /// The seed as the request gave it, when it was not already in its published form
    /// ([`draw::normalize_seed`]).
    pub seed_as_given: Option<String>,
}

/// Reads the records and builds the frame of `design`, as `sample` and `verify` do.
pub fn read_frame(
    records: &Path,
    sheet: Option<&str>,
    columns: &ColumnMap,
    design: &Design,
) -> Result<Frame> {
    read_records(records, &Layout::sheet(sheet), columns, design).map(|(_, _, frame)| frame)
}

/// [`read_frame`], with the records file (hashed, ready to fetch the picked rows again) and
/// its layout.
pub(crate) fn read_records(
    records: &Path,
    file_layout: &Layout,
    columns: &ColumnMap,
    design: &Design,
) -> Result<(Table, RecordLayout, Frame)> {
    // The header is the row that holds the required columns, under their mapped names.
    let wanted = crate::records::REQUIRED.map(|c| columns.header(c));
    let mut table = Table::open_layout(records, file_layout, &wanted, true)?;
    let layout = RecordLayout::new(table.name(), table.headers(), columns, &design.strata)
        .map_err(|e| match e.into_kind() {
            ErrorKind::Design { key, message, .. } => crate::Error::from(ErrorKind::Design {
                file: "design".into(),
                key,
                message,
            }),
            other => crate::Error::from(other),
        })?;
    let frame = Frame::build(&mut table, &layout, design.window, &design.applicant_types)?;
    Ok((table, layout, frame))
}

/// Draws a sample: frame, sizes, lists, and the files that publish them. The seed is
/// drawn with in its published form ([`draw::normalize_seed`]).
pub fn draw_sample(req: &SampleRequest) -> Result<SampleOutput> {
    let seed = draw::normalize_seed(&req.seed);
    if seed.is_empty() {
        return Err(crate::Error::setting(
            "seed",
            format!("{:?}", req.seed),
            "expected the published seed: a text such as a lottery result, not empty",
        ));
    }
    let mut out = draw_with_seed(req, &seed)?;
    out.seed_as_given = (seed != req.seed).then(|| req.seed.clone());
    Ok(out)
}

/// [`draw_sample`] with `seed` exactly as given (as `chiso verify` re-draws a manifest's).
pub(crate) fn draw_with_seed(req: &SampleRequest, seed: &str) -> Result<SampleOutput> {
    let (table, layout, frame, records_info) = read_checked(req)?;
    let lists = Lists::draw(frame, &req.design, seed, req.threads)?;
    // The digests and `rejected.csv` need only the lists: they are computed on a second
    // thread while this one reads the picks again.
    let (sample_csv, (rejected_csv, (entries, frame_digest), sample_digest)) =
        std::thread::scope(|scope| {
            let others = scope.spawn(|| {
                (
                    write_rejected_csv(&lists.frame),
                    lists.entries(),
                    lists.digest(),
                )
            });
            let sample_csv = write_sample_csv(&lists, &table, &layout, &req.columns);
            let others = others.join().expect("the digests do not panic");
            sample_csv.map(|csv| (csv, others))
        })?;
    // The picked rows were read again from the file the pass read and hashed; it must not
    // have been written to since.
    table.unchanged()?;
    let totals = totals(&entries);
    let manifest = Manifest {
        format: manifest::FORMAT.to_string(),
        algorithm: draw::ALGORITHM.to_string(),
        engine_version: env!("CARGO_PKG_VERSION").to_string(),
        seed: seed.to_string(),
        design: req.design.spec().clone(),
        columns: req.columns.clone(),
        records: records_info,
        frame_digest,
        sample_digest,
        sample_file_sha256: hex::encode(Sha256::digest(&sample_csv)),
        totals,
        strata: entries,
    };
    if let Some((c, path)) = &req.commitment {
        crate::commitment::refuse_unless_committed(c, path, &manifest)?;
    }
    Ok(SampleOutput {
        lists,
        manifest,
        sample_csv,
        rejected_csv,
        seed_as_given: None,
    })
}

impl SampleOutput {
    /// What was read, framed and drawn, and where it was written (`dir`), for standard
    /// output; `seconds` is the time the run took. Each line ends with a newline.
    pub fn summary(&self, dir: &Path, seconds: f64) -> String {
        let m = &self.manifest;
        let c = &m.records.counts;
        let mut out = format!(
            "records: {} rows read, {} rejected, {} not returned, {} outside the window, {} eligible\n",
            c.rows, c.rejected, c.not_returned, c.outside_window, c.eligible
        );
        out += &format!(
            "frame:   {} applicants in {} strata (frame_digest {})\n",
            m.totals.frame_size,
            m.totals.strata,
            &m.frame_digest[..16]
        );
        if let Some(given) = &self.seed_as_given {
            out += &format!(
                "seed:    {given:?} has decomposed accents or spaces around it: drawn and \
                 published as {:?}\n",
                m.seed
            );
        }
        out += &format!(
            "sample:  {} official and {} reserve (seed {:?}, sample_digest {})\n",
            m.totals.sample_size,
            m.totals.reserve_size,
            m.seed,
            &m.sample_digest[..16]
        );
        if c.rejected > 0 {
            out += &format!(
                "rejected rows are listed with their reasons in {}\n",
                dir.join("rejected.csv").display()
            );
        }
        out += &format!(
            "wrote {}, {} and {} in {seconds:.1} s\n",
            dir.join("sample.csv").display(),
            dir.join("sample.xlsx").display(),
            dir.join("manifest.json").display(),
        );
        out
    }

    /// `sample.xlsx`: the interviewers' list of `sample.csv` as a workbook
    /// ([`crate::files::sample_xlsx`]), the same bytes for the same `sample.csv`.
    pub fn sample_xlsx(&self, dir: &Path) -> Result<Vec<u8>> {
        crate::files::sample_xlsx::from_sample_csv(&self.sample_csv).map_err(|e| {
            crate::Error::io(
                &dir.join("sample.xlsx"),
                std::io::Error::other(e.to_string()),
            )
        })
    }

    /// Writes `sample.csv`, `sample.xlsx`, `rejected.csv` and `manifest.json` into `dir`
    /// atomically (all or none); refuses to replace an existing sample unless `force`.
    pub fn write(&self, dir: &Path, force: bool) -> Result<Vec<PathBuf>> {
        let xlsx = self.sample_xlsx(dir)?;
        let mut staged = Staged::new(dir, force, &PROTECTED)?;
        staged.add("sample.csv", &self.sample_csv[..]);
        staged.add("sample.xlsx", xlsx);
        staged.add("rejected.csv", &self.rejected_csv[..]);
        staged.add("manifest.json", self.manifest.to_json());
        staged.commit()
    }
}

/// The files of a sample that are never replaced without `force`.
const PROTECTED: [&str; 2] = ["sample.csv", "manifest.json"];

/// Holds `dir` for this run ([`crate::lock_output`]), and fails as [`SampleOutput::write`]
/// fails if `dir` already holds a sample and `force` is false: the check to make before
/// drawing, so that no work is done for nothing. Keep the lock until the sample is written:
/// no other run can write a sample into `dir` in between.
pub fn refuse_existing(dir: &Path, force: bool) -> Result<crate::OutputLock> {
    let lock = crate::lock_output(dir)?;
    Staged::new(dir, force, &PROTECTED)?;
    Ok(lock)
}

/// The fixed columns of `sample.csv` (defined with the file, in [`crate::files::sample`]).
pub use crate::files::sample::COLUMNS as SAMPLE_COLUMNS;

fn write_sample_csv(
    lists: &Lists,
    table: &Table,
    layout: &RecordLayout,
    columns: &ColumnMap,
) -> Result<Vec<u8>> {
    // The record's own columns present in the file: descriptive ones, then contact details.
    let extra: Vec<(&str, usize)> = DESCRIPTIVE
        .iter()
        .filter(|c| **c != "applicant_type")
        .chain(CONTACT.iter())
        .filter_map(|c| layout.find(columns, c).map(|i| (*c, i)))
        .collect();
    let picks: Vec<Pick> = lists.picks().collect();
    let member = |p: &Pick| &lists.frame.strata[p.stratum].members[p.member];
    // Read the selected rows again, in file order (each pick's place looked up once, then
    // sorted), in parts of consecutive rows that two threads take in turn, each with its own
    // reader (the digests are being computed beside them: a fixed half each would leave one
    // thread waiting for the other). Only the cells written out are kept: the unit code, then
    // the `extra` cells.
    let mut order: Vec<(u64, usize)> = picks
        .iter()
        .enumerate()
        .map(|(i, p)| (member(p).locator, i))
        .collect();
    order.sort_unstable();
    let width = 1 + extra.len();
    let name = table.name();
    let reread = |fetcher: &mut Fetcher<'_>, part: &[(u64, usize)]| -> Result<Cells> {
        let mut cells = Cells::default();
        for &(_, i) in part {
            let m = member(&picks[i]);
            let row = fetcher.fetch(m.locator, m.row)?;
            if row.get(layout.record_id) != &*m.record_id
                || row.get(layout.applicant_id).trim() != m.applicant_id.trim()
            {
                return Err(ErrorKind::Malformed {
                    at: crate::Position::row(name.to_string(), m.row),
                    message: "the file changed while it was being read".into(),
                }
                .into());
            }
            cells.ends.push(cells.texts.len());
            let cols = std::iter::once(layout.unit_code).chain(extra.iter().map(|(_, c)| *c));
            for c in cols {
                cells.texts.push_str(row.get(c));
                cells.ends.push(cells.texts.len());
            }
        }
        Ok(cells)
    };
    const PARTS: usize = 16;
    let part_len = order.len().div_ceil(PARTS).max(1);
    let part_list: Vec<&[(u64, usize)]> = order.chunks(part_len).collect();
    let next_part = std::sync::atomic::AtomicUsize::new(0);
    // Each thread stops at its first error; the error reported is that of the first part
    // in file order (every part taken has been read).
    let work = |mut fetcher: Fetcher<'_>| -> Vec<(usize, Result<Cells>)> {
        let mut done = Vec::new();
        loop {
            let k = next_part.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(part) = part_list.get(k) else {
                return done;
            };
            let cells = reread(&mut fetcher, part);
            let failed = cells.is_err();
            done.push((k, cells));
            if failed {
                return done;
            }
        }
    };
    let fetchers = (table.fetcher()?, table.fetcher()?);
    let mut parts: Vec<(usize, Result<Cells>)> = std::thread::scope(|scope| {
        let other = scope.spawn(|| work(fetchers.1));
        let mut parts = work(fetchers.0);
        parts.extend(other.join().expect("re-reading rows does not panic"));
        parts
    });
    parts.sort_unstable_by_key(|(k, _)| *k);
    let parts: Vec<Cells> = parts.into_iter().map(|(_, c)| c).collect::<Result<_>>()?;
    // Where each pick's cells are: its part, and its place in that part.
    let mut place = vec![(0usize, 0usize); picks.len()];
    for (k, part) in part_list.iter().enumerate() {
        for (j, &(_, i)) in part.iter().enumerate() {
            place[i] = (k, j);
        }
    }
    let cell = |i: usize, k: usize| -> &str {
        let (part, j) = place[i];
        let c = &parts[part];
        let at = j * (width + 1) + k;
        &c.texts[c.ends[at]..c.ends[at + 1]]
    };

    // The cells that are the same for every pick of a stratum, formatted once per stratum:
    // label, N, n, n/N, N/n, reserves.
    let per_stratum: Vec<[String; 6]> = lists
        .frame
        .strata
        .iter()
        .zip(&lists.sizes)
        .map(|(s, z)| {
            let big_n = s.size();
            let (mut inclusion, mut weight) = (String::new(), String::new());
            write_ratio(&mut inclusion, z.n, big_n);
            write_ratio(&mut weight, big_n, z.n);
            [
                s.label(),
                big_n.to_string(),
                z.n.to_string(),
                inclusion,
                weight,
                z.reserve.to_string(),
            ]
        })
        .collect();
    // The rows, in list order: the first half and the second written on two threads, then
    // joined (a CSV row does not depend on the rows before it).
    let write = |range: std::ops::Range<usize>, header: bool| -> Vec<u8> {
        // The interviewers' list is opened in spreadsheets: the first part starts with the
        // byte-order mark that makes them read it as UTF-8.
        let mut w = if header {
            crate::output::csv_writer_with_bom()
        } else {
            crate::output::csv_writer()
        };
        if header {
            let header: Vec<&str> = SAMPLE_COLUMNS
                .iter()
                .copied()
                .chain(extra.iter().map(|(c, _)| *c))
                .collect();
            w.write_record(&header).expect("writing to memory");
        }
        let mut num = itoa::Buffer::new();
        let mut hex_key = [0u8; 16];
        for i in range {
            let p = &picks[i];
            let m = member(p);
            let [label, big_n, n, inclusion, weight, reserve] = &per_stratum[p.stratum];
            let mut field = |f: &str| w.write_field(f).expect("writing to memory");
            field(label);
            field(p.role.as_str());
            field(num.format(p.rank));
            field(&m.applicant_id);
            field(&m.record_id);
            field(cell(i, 0));
            field(big_n);
            field(n);
            field(inclusion);
            field(weight);
            field(reserve);
            field(num.format(m.record_count));
            field(m.applicant_type.map(|t| t.as_str()).unwrap_or(""));
            // `{:016x}` of the key, without the formatting machinery.
            let key = lists.draws[p.stratum].keys[p.member].to_be_bytes();
            hex::encode_to_slice(key, &mut hex_key).expect("16 digits for 8 bytes");
            field(std::str::from_utf8(&hex_key).expect("hexadecimal digits"));
            for k in 1..width {
                field(cell(i, k));
            }
            w.write_record(std::iter::empty::<&[u8]>())
                .expect("writing to memory");
        }
        w.into_inner().expect("writing to memory")
    };
    let half = picks.len() / 2;
    let (mut csv, rest) = std::thread::scope(|scope| {
        let other = scope.spawn(|| write(half..picks.len(), false));
        let first = write(0..half, true);
        (first, other.join().expect("writing rows does not panic"))
    });
    csv.extend_from_slice(&rest);
    Ok(csv)
}

/// The cells kept from re-read rows, one after the other in `texts`; per row, `ends` holds
/// where its first cell starts and where each of its cells ends.
#[derive(Default)]
struct Cells {
    texts: String,
    ends: Vec<usize>,
}

/// Appends `a / b` in the shortest form that reads back exactly; nothing when `b` is 0.
fn write_ratio(out: &mut String, a: u64, b: u64) {
    if b != 0 {
        write!(out, "{}", a as f64 / b as f64).expect("string");
    }
}

fn write_rejected_csv(frame: &Frame) -> Vec<u8> {
    let mut w = crate::output::csv_writer_with_bom();
    w.write_record(["row", "column", "value", "reason"])
        .expect("memory");
    for p in &frame.rejections {
        w.write_record([p.row.to_string().as_str(), &p.column, &p.value, &p.reason])
            .expect("memory");
    }
    w.into_inner().expect("memory")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::{ProvinceSpec, write_records};
    use crate::design::DesignSpec;

    #[test]
    fn a_records_file_changed_after_its_pass_is_refused_at_the_first_row_that_differs() {
        let (_dir, path, bytes, design) = province(
            ProvinceSpec {
                departments: 3,
                communes: 7,
                records: 20_000,
                seed: 7,
                year: 2024,
            },
            "[size]\nmode = \"yamane\"\ne = 0.1\n[reserve]\nratio = 0.5\n",
        );
        let columns = ColumnMap::default();
        let (table, layout, frame) =
            read_records(&path, &Layout::default(), &columns, &design).unwrap();
        let lists = Lists::draw(frame, &design, "s", 2).unwrap();
        assert!(write_sample_csv(&lists, &table, &layout, &columns).is_ok());
        // Every record id changed, the bytes' places kept: each part of the re-reading fails,
        // and the error names the first pick in file order, whichever thread read it.
        let changed = String::from_utf8(bytes).unwrap().replace("HS-", "HX-");
        std::fs::write(&path, changed).unwrap();
        let first = lists
            .picks()
            .map(|p| lists.frame.strata[p.stratum].members[p.member].row)
            .min()
            .unwrap();
        for _ in 0..5 {
            let err = write_sample_csv(&lists, &table, &layout, &columns)
                .unwrap_err()
                .to_string();
            assert!(
                err.contains(&format!(
                    "row {first}: the file changed while it was being read"
                )),
                "{err}"
            );
        }
    }

    /// A demo province's records written to a temporary `records.csv`, with a design that
    /// takes units as strata over 2024 and the `[size]` (and `[reserve]`) given.
    fn province(spec: ProvinceSpec, size: &str) -> (tempfile::TempDir, PathBuf, Vec<u8>, Design) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("records.csv");
        let mut bytes = Vec::new();
        write_records(&spec, &mut bytes).unwrap();
        std::fs::write(&path, &bytes).unwrap();
        let text = format!(
            "[frame]\nwindow = [\"2024-01-01\", \"2024-12-31\"]\nstrata = [\"unit_code\"]\n{size}"
        );
        let design =
            Design::from_spec(toml::from_str::<DesignSpec>(&text).unwrap(), "design").unwrap();
        (dir, path, bytes, design)
    }

    fn small() -> (tempfile::TempDir, PathBuf, Vec<u8>, Design) {
        province(
            ProvinceSpec {
                departments: 2,
                communes: 5,
                records: 5_000,
                seed: 11,
                year: 2024,
            },
            "[size]\nmode = \"fixed\"\nn = 5\n",
        )
    }

    #[test]
    #[cfg(unix)]
    fn a_records_file_replaced_after_its_pass_is_not_read_again() {
        let (dir, path, bytes, design) = small();
        let columns = ColumnMap::default();
        let (table, layout, frame) =
            read_records(&path, &Layout::default(), &columns, &design).unwrap();
        let lists = Lists::draw(frame, &design, "s", 2).unwrap();
        let before = write_sample_csv(&lists, &table, &layout, &columns).unwrap();
        // Another file put in its place (same record ids, other names): the rows are read
        // again from the file the pass read and hashed.
        let other = dir.path().join("other.csv");
        let original = String::from_utf8(bytes).unwrap();
        let changed = original.replace("Nguyễn", "Trần");
        assert_ne!(changed, original);
        std::fs::write(&other, changed).unwrap();
        std::fs::rename(&other, &path).unwrap();
        assert_eq!(
            write_sample_csv(&lists, &table, &layout, &columns).unwrap(),
            before
        );
        assert!(table.unchanged().is_ok());
    }

    #[test]
    fn a_records_file_written_to_after_its_pass_is_refused() {
        let (_dir, path, bytes, design) = small();
        let columns = ColumnMap::default();
        let (table, _layout, _frame) =
            read_records(&path, &Layout::default(), &columns, &design).unwrap();
        assert!(table.unchanged().is_ok());
        // The same length, written where it is, a moment later.
        let original = String::from_utf8(bytes).unwrap();
        let changed = original.replace("Nguyễn", "Nguyền");
        assert!(changed != original && changed.len() == original.len());
        let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        std::io::Write::write_all(&mut &f, changed.as_bytes()).unwrap();
        f.set_modified(std::time::SystemTime::now() + std::time::Duration::from_secs(10))
            .unwrap();
        let err = table.unchanged().unwrap_err().to_string();
        assert!(err.contains("changed while it was being read"), "{err}");
    }
}
