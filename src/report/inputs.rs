//! Loading the published inputs: `indices.csv`, `flags.csv`, `ranks.csv`,
//! `response_rates.csv`, `timeliness.csv`, `comparison.csv`, `par.csv` and `par_fields.csv`,
//! each read (every cell checked once) by the module of [`crate::files`] that defines it,
//! with the settings of `indices.json` and the sample's `manifest.json`; and checked against
//! each other here: `indices.json` and `indices.csv` of one run, one name and group per unit
//! across the files, each unit and group of the PAR INDEX from one `--par` directory, a
//! comparison made with these indices, a late rate that agrees with its mark. The public
//! version is made here too, once, from the inputs as loaded ([`Inputs::for_public`]).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use super::DEFAULT_TITLE;
use crate::error::{Error, Result};

/// Where the report's inputs are.
#[derive(Clone, Debug, Default)]
pub struct Sources {
    /// The directory written by `chiso index --out DIR`.
    pub indices: PathBuf,
    /// The directories written by `chiso par --out DIR` (none, one, or one per framework).
    pub par: Vec<PathBuf>,
    /// The directory holding `timeliness.csv`.
    pub timeliness: Option<PathBuf>,
    /// The sample's `manifest.json` (or the directory holding it).
    pub manifest: Option<PathBuf>,
    /// The directory written by `chiso compare --out DIR` (its `comparison.csv`), whose
    /// current run is `indices`.
    pub compare: Option<PathBuf>,
    /// The page's title (default: a generic Vietnamese title).
    pub title: Option<String>,
    /// The public version ([`Inputs::for_public`]): no officer, and no estimate on fewer
    /// than [`super::PUBLIC_MIN_ANSWERS`] answers. The default is the internal report.
    pub public: bool,
}

impl Sources {
    /// Every file a report reads, as (input, path), in order: what its provenance records
    /// and what `chiso verify --report` checks. Files that are optional and absent are left
    /// out.
    pub fn files(&self) -> Vec<(&'static str, PathBuf)> {
        let mut out = Vec::new();
        let dir = &self.indices;
        out.push(("indices", dir.join("indices.csv")));
        out.push(("indices_json", dir.join("indices.json")));
        for (input, name) in [
            ("flags", "flags.csv"),
            ("ranks", "ranks.csv"),
            ("response_rates", "response_rates.csv"),
        ] {
            if dir.join(name).exists() {
                out.push((input, dir.join(name)));
            }
        }
        if let Some(t) = &self.timeliness {
            out.push(("timeliness", t.join("timeliness.csv")));
        }
        if let Some(c) = &self.compare {
            out.push(("comparison", c.join("comparison.csv")));
        }
        for p in &self.par {
            out.push(("par", p.join("par.csv")));
            if p.join("par_fields.csv").exists() {
                out.push(("par_fields", p.join("par_fields.csv")));
            }
        }
        if let Some(m) = &self.manifest {
            let path = if m.is_dir() {
                m.join("manifest.json")
            } else {
                m.clone()
            };
            out.push(("manifest", path));
        }
        out
    }

    /// Sources with only the indices directory.
    pub fn new(indices: &Path) -> Sources {
        Sources {
            indices: indices.to_path_buf(),
            ..Sources::default()
        }
    }
}

/// One row of `indices.csv` (defined with the file, in [`crate::files::indices`]).
pub use crate::files::indices::Entry as IndexEntry;

/// `indices.csv` with the settings from `indices.json` (defined with the files, in
/// [`crate::files::indices`]).
pub use crate::files::indices::Indices;

/// One row of `flags.csv` (defined with the file, in [`crate::files::flags`]).
pub use crate::files::flags::Entry as Flag;

/// One row of `ranks.csv` (defined with the file, in [`crate::files::ranks`]).
pub use crate::files::ranks::Entry as Rank;

/// One row of `timeliness.csv` (defined with the file, in [`crate::files::timeliness`]).
pub use crate::files::timeliness::Entry as Timeliness;

/// One row of `response_rates.csv` (defined with the file, in
/// [`crate::files::response_rates`]).
pub use crate::disposition::ResponseRate;

/// One row of `comparison.csv` (defined with the file, in [`crate::files::comparison`]).
pub use crate::files::comparison::ComparisonRow as Change;

/// One row of `par.csv` (defined with the file, in [`crate::files::par`]).
pub use crate::files::par::UnitEntry as ParUnit;

/// One row of `par_fields.csv` (defined with the file, in [`crate::files::par`]).
pub use crate::files::par::FieldEntry as ParField;

/// The PAR INDEX files: of one `chiso par` run, or of several (one per framework) with
/// disjoint units and groups, in the order given.
#[derive(Clone, Debug, PartialEq)]
pub struct Par {
    /// `par.csv` (the rows of every run, one run after the other).
    pub units: Vec<ParUnit>,
    /// `par_fields.csv` of the runs that have one, when any has.
    pub fields: Option<Vec<ParField>>,
}

/// What the sample's manifest says about how the sample was drawn.
#[derive(Clone, Debug, PartialEq)]
pub struct SampleInfo {
    /// The draw algorithm's id.
    pub algorithm: String,
    /// The published seed.
    pub seed: String,
    /// SHA-256 of the lists.
    pub sample_digest: String,
    /// SHA-256 of the frame.
    pub frame_digest: String,
    /// Engine version that drew the sample.
    pub engine_version: String,
    /// The design, as written in the manifest.
    pub design: serde_json::Value,
    /// Frame members, when the manifest has totals.
    pub frame_size: Option<u64>,
    /// Official sample size, when the manifest has totals.
    pub sample_size: Option<u64>,
    /// SHA-256 of the manifest file.
    pub manifest_sha256: String,
}

/// A unit's display name and group, gathered from the files that carry them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UnitInfo {
    /// Display name.
    pub name: Option<String>,
    /// Ranking group.
    pub group: Option<String>,
}

/// Everything a report shows, checked.
#[derive(Clone, Debug, PartialEq)]
pub struct Inputs {
    /// The page's title.
    pub title: String,
    /// The indices.
    pub indices: Indices,
    /// `flags.csv`, when present.
    pub flags: Option<Vec<Flag>>,
    /// `ranks.csv`, when present.
    pub ranks: Option<Vec<Rank>>,
    /// `response_rates.csv`, when the indices directory has it.
    pub response_rates: Option<Vec<ResponseRate>>,
    /// `timeliness.csv`, when given.
    pub timeliness: Option<Vec<Timeliness>>,
    /// `comparison.csv` (last year's run against this one), when given.
    pub comparison: Option<Vec<Change>>,
    /// The PAR INDEX, when given.
    pub par: Option<Par>,
    /// The sample's manifest, when given.
    pub sample: Option<SampleInfo>,
    /// Names and groups by unit code.
    pub units: BTreeMap<String, UnitInfo>,
    /// Every file read, with its SHA-256, and the sample the indices rest on.
    pub provenance: crate::provenance::Provenance,
    /// Whether this is the public version ([`Inputs::for_public`] was applied).
    pub public: bool,
}

impl Inputs {
    /// Reads and checks every input named in `sources`.
    pub fn load(sources: &Sources) -> Result<Inputs> {
        let dir = &sources.indices;
        let indices = crate::files::indices::read_published(dir)?;
        let flags_path = dir.join("flags.csv");
        let flags = flags_path
            .exists()
            .then(|| crate::files::flags::read(&flags_path))
            .transpose()?;
        let ranks_path = dir.join("ranks.csv");
        let ranks = ranks_path
            .exists()
            .then(|| crate::files::ranks::read(&ranks_path))
            .transpose()?;
        let rates_path = dir.join("response_rates.csv");
        let response_rates = rates_path
            .exists()
            .then(|| crate::files::response_rates::read(&rates_path))
            .transpose()?;
        let timeliness = sources
            .timeliness
            .as_ref()
            .map(|d| {
                let path = required(d, "timeliness.csv", "timeliness")?;
                let rows = crate::files::timeliness::read(&path)?;
                marks_agree(&path, &rows)?;
                Ok::<_, Error>(rows)
            })
            .transpose()?;
        let comparison = sources
            .compare
            .as_ref()
            .map(|d| {
                let path = required(d, "comparison.csv", "compare")?;
                let rows = crate::files::comparison::read(&path)?;
                comparison_belongs(&indices, &path, &rows)?;
                Ok::<_, Error>(rows)
            })
            .transpose()?;
        // Each unit's par.csv and row index there, for the catalogue below.
        let mut par_origin: Vec<(PathBuf, usize)> = Vec::new();
        let par = load_pars(&sources.par, &indices, &mut par_origin)?;
        let sample = sources
            .manifest
            .as_ref()
            .map(|m| {
                let path = if m.is_dir() {
                    m.join("manifest.json")
                } else {
                    m.clone()
                };
                let info = load_manifest(&path)?;
                sample_belongs(&indices, dir, &path, &info)?;
                Ok::<_, Error>(info)
            })
            .transpose()?;
        let mut units: BTreeMap<String, UnitInfo> = BTreeMap::new();
        for code in indices.units() {
            units.insert(code.to_string(), UnitInfo::default());
        }
        let mut catalogue = Catalogue::default();
        if let Some(ranks) = &ranks {
            for (i, r) in ranks.iter().enumerate() {
                catalogue.learn(
                    &mut units,
                    &ranks_path,
                    i,
                    &r.domain,
                    Some(&r.unit_name),
                    Some(&r.unit_group),
                )?;
            }
        }
        if let Some(par) = &par {
            for (u, (path, i)) in par.units.iter().zip(&par_origin) {
                catalogue.learn(
                    &mut units,
                    path,
                    *i,
                    &u.unit_code,
                    Some(&u.unit_name),
                    Some(&u.unit_group),
                )?;
            }
        }
        if let Some(flags) = &flags {
            for (i, f) in flags.iter().enumerate() {
                catalogue.learn(
                    &mut units,
                    &flags_path,
                    i,
                    &f.domain,
                    None,
                    f.unit_group.as_deref(),
                )?;
            }
        }
        let mut provenance = crate::provenance::Provenance::default();
        for (input, path) in sources.files() {
            provenance.add(input, crate::provenance::FileDigest::of(&path)?);
        }
        provenance.sample = indices.provenance.as_ref().and_then(|p| p.sample.clone());
        let inputs = Inputs {
            provenance,
            title: sources
                .title
                .clone()
                .filter(|t| !t.trim().is_empty())
                .unwrap_or_else(|| DEFAULT_TITLE.to_string()),
            indices,
            flags,
            ranks,
            response_rates,
            timeliness,
            comparison,
            par,
            sample,
            units,
            public: false,
        };
        Ok(if sources.public {
            inputs.for_public()
        } else {
            inputs
        })
    }

    /// The public version of these inputs, which the page and the workbook then show as they
    /// show any: every officer's row left out (of `flags.csv` and `timeliness.csv`: no
    /// officer id, rate or mark), and every estimate on fewer than
    /// [`super::PUBLIC_MIN_ANSWERS`] answers (or on a number of answers not recorded)
    /// suppressed: its estimate, standard error and interval in `indices.csv`, its estimate,
    /// interval and ranks in `ranks.csv`, its numbers and marks in `flags.csv`, and the change
    /// of `comparison.csv` whose current estimate it is. Rows stay, so that every unit is
    /// still listed; [`Inputs::suppressed`] tells the page which cells to mark.
    pub fn for_public(mut self) -> Inputs {
        let min = super::PUBLIC_MIN_ANSWERS;
        let few = |n: u64| n < min;
        for e in &mut self.indices.rows {
            if few(e.answers()) {
                (e.estimate, e.std_error, e.ci_lower, e.ci_upper) = (None, None, None, None);
            }
        }
        if let Some(flags) = &mut self.flags {
            flags.retain(|f| f.level != "officer" && f.officer_id.is_none());
            for f in flags.iter_mut().filter(|f| few(f.n)) {
                (f.dissatisfied_pct, f.std_error, f.ci_lower, f.ci_upper) =
                    (None, None, None, None);
                (f.above, f.certain) = (None, None);
            }
        }
        if let Some(ranks) = &mut self.ranks {
            for r in ranks.iter_mut().filter(|r| few(r.n)) {
                (r.estimate, r.ci_lower, r.ci_upper) = (None, None, None);
                (r.rank, r.rank_lower, r.rank_upper) = (None, None, None);
            }
        }
        if let Some(t) = &mut self.timeliness {
            t.retain(|t| t.level != "officer" && t.officer_id.is_none());
        }
        if let Some(changes) = &mut self.comparison {
            for c in changes.iter_mut() {
                let current = self.indices.get(&c.domain, &c.indicator, &c.measure);
                if current.is_none_or(|e| few(e.answers())) {
                    (c.previous, c.current, c.difference) = (None, None, None);
                    (c.std_error, c.ci_lower, c.ci_upper, c.significant) = (None, None, None, None);
                }
            }
        }
        self.public = true;
        self
    }

    /// Whether the public version suppressed `e` (too few answers to publish).
    pub fn suppressed(&self, e: &IndexEntry) -> bool {
        self.public && e.answers() < super::PUBLIC_MIN_ANSWERS
    }

    /// The change of `domain`'s overall share satisfied since the previous run: `None`
    /// without a comparison, `Some(None)` when the unit is not in it (new this year).
    pub(super) fn change(&self, domain: &str) -> Option<Option<&Change>> {
        let rows = self.comparison.as_ref()?;
        Some(rows.iter().find(|c| {
            c.domain == domain && c.indicator == "overall" && c.measure == "satisfied_pct"
        }))
    }

    /// The province's (domain `ALL`) overall share satisfied.
    pub fn overall(&self) -> Option<&IndexEntry> {
        self.indices.get("ALL", "overall", "satisfied_pct")
    }

    /// The unit-level flag above the threshold for `domain` and `indicator`, if any.
    pub(super) fn unit_flag(&self, domain: &str, indicator: &str) -> Option<&Flag> {
        self.flags.as_ref()?.iter().find(|f| {
            f.level == "unit"
                && f.domain == domain
                && f.indicator == indicator
                && f.above == Some(true)
        })
    }

    /// Whether `domain` is flagged above the threshold on any indicator.
    pub(super) fn unit_flagged(&self, domain: &str) -> Option<&Flag> {
        self.flags
            .as_ref()?
            .iter()
            .find(|f| f.level == "unit" && f.domain == domain && f.above == Some(true))
    }

    /// The ranking rows shown in the page: `overall` / `satisfied_pct` when `ranks.csv` has
    /// them, otherwise its first indicator and measure.
    pub(super) fn headline_ranks(&self) -> Vec<&Rank> {
        let Some(ranks) = &self.ranks else {
            return Vec::new();
        };
        let (ind, meas) = if ranks
            .iter()
            .any(|r| r.indicator == "overall" && r.measure == "satisfied_pct")
        {
            ("overall", "satisfied_pct")
        } else if let Some(r) = ranks.first() {
            (r.indicator.as_str(), r.measure.as_str())
        } else {
            return Vec::new();
        };
        ranks
            .iter()
            .filter(|r| r.indicator == ind && r.measure == meas)
            .collect()
    }

    /// An indicator's label, with the item's text or the element's name when `indices.json`
    /// gives one.
    pub fn indicator_label(&self, indicator: &str) -> String {
        let label = super::vi::indicator_label(indicator);
        let name = if let Some(c) = indicator.strip_prefix("item:") {
            self.indices.item_texts.get(c)
        } else if let Some(c) = indicator.strip_prefix("element:") {
            self.indices.element_names.get(c)
        } else {
            None
        };
        match name {
            Some(text) => format!("{label}: {text}"),
            None => label,
        }
    }

    pub(super) fn name_of(&self, code: &str) -> &str {
        self.units
            .get(code)
            .and_then(|u| u.name.as_deref())
            .unwrap_or("")
    }

    pub(super) fn group_of(&self, code: &str) -> Option<&str> {
        self.units.get(code).and_then(|u| u.group.as_deref())
    }

    pub(super) fn imprecise(&self, code: &str) -> bool {
        self.headline_ranks()
            .iter()
            .any(|r| r.domain == code && r.imprecise == Some(true))
    }
}

/// Names unit names and groups once, refusing two files (or rows) that disagree.
#[derive(Default)]
struct Catalogue {
    /// Where a unit's name or group was first read: (unit, column) → (file, row).
    seen: HashMap<(String, &'static str), (String, u64)>,
}

impl Catalogue {
    fn learn(
        &mut self,
        units: &mut BTreeMap<String, UnitInfo>,
        path: &Path,
        index: usize,
        code: &str,
        name: Option<&str>,
        group: Option<&str>,
    ) -> Result<()> {
        let file = path.display().to_string();
        // Rows are numbered from 2 (header = row 1); blank rows are not read.
        let row = index as u64 + 2;
        let info = units.entry(code.to_string()).or_default();
        for (column, new, old) in [
            ("unit_name", name, &mut info.name),
            ("unit_group", group, &mut info.group),
        ] {
            let Some(new) = new.filter(|v| !v.is_empty()) else {
                continue;
            };
            let origin = self
                .seen
                .entry((code.to_string(), column))
                .or_insert_with(|| (file.clone(), row));
            match old {
                Some(o) if o != new => {
                    return Err(Error::cell(
                        &file,
                        row,
                        column,
                        new,
                        format!(
                            "unit {code} is {o:?} in {} row {}; a unit has one {column}",
                            origin.0, origin.1
                        ),
                    ));
                }
                Some(_) => {}
                None => *old = Some(new.to_string()),
            }
        }
        Ok(())
    }
}

/// Refuses a row of `timeliness.csv` whose mark (`above_ceiling`) is not what its rate and
/// ceiling give at full precision (over means strictly above: a rate equal to the ceiling is
/// within it): the page states the rule and shows the rate beside the mark.
fn marks_agree(path: &Path, rows: &[Timeliness]) -> Result<()> {
    for (i, t) in rows.iter().enumerate() {
        if let (Some(late), Some(ceiling), Some(above)) =
            (t.late_pct, t.late_ceiling_pct, t.above_ceiling)
            && (late > ceiling) != above
        {
            return Err(Error::cell(
                &path.display().to_string(),
                i as u64 + 2,
                "above_ceiling",
                &above.to_string(),
                format!(
                    "late_pct {late} is {} the ceiling {ceiling}, so above_ceiling must be {}",
                    if late > ceiling { "above" } else { "not above" },
                    late > ceiling
                ),
            ));
        }
    }
    Ok(())
}

/// Refuses a `comparison.csv` whose current run is not these indices: each of its rows must
/// be a row of `indices.csv` with the same estimate (both are written at full precision).
fn comparison_belongs(indices: &Indices, path: &Path, rows: &[Change]) -> Result<()> {
    for (i, c) in rows.iter().enumerate() {
        let found = indices.get(&c.domain, &c.indicator, &c.measure);
        let why = match found {
            None => format!(
                "{} {} {} is not a row of the report's indices.csv",
                c.domain, c.indicator, c.measure
            ),
            Some(e) if e.estimate != c.current => format!(
                "the current estimate is not the one of the report's indices.csv (row {}: {})",
                e.row,
                e.estimate.map_or("empty".to_string(), |x| x.to_string())
            ),
            Some(_) => continue,
        };
        return Err(Error::cell(
            &path.display().to_string(),
            i as u64 + 2,
            "current",
            &c.current.map_or(String::new(), |x| x.to_string()),
            format!("{why}: give the comparison whose current run is the report's indices"),
        ));
    }
    Ok(())
}

/// `dir/name`, which must exist; `input` is the source it was given as.
fn required(dir: &Path, name: &str, input: &'static str) -> Result<PathBuf> {
    let path = dir.join(name);
    if path.is_file() {
        Ok(path)
    } else {
        Err(Error::input(
            input,
            format!(
                "{}: not found; expected the directory that holds {name}",
                path.display()
            ),
        ))
    }
}

pub(super) use crate::files::indices::is_share;

/// Reads every `--par` directory and joins them into one [`Par`], refusing a unit or a group
/// that two directories both rank. `origin` receives each unit's file and row index.
fn load_pars(
    dirs: &[PathBuf],
    indices: &Indices,
    origin: &mut Vec<(PathBuf, usize)>,
) -> Result<Option<Par>> {
    if dirs.is_empty() {
        return Ok(None);
    }
    let mut all = Par {
        units: Vec::new(),
        fields: None,
    };
    // Unit code → (file, row); group → file.
    let mut unit_seen: HashMap<String, (PathBuf, usize)> = HashMap::new();
    let mut group_seen: HashMap<String, PathBuf> = HashMap::new();
    for d in dirs {
        let path = required(d, "par.csv", "par")?;
        par_belongs(indices, d)?;
        let units = crate::files::par::read(&path)?;
        let mut groups_here: Vec<&str> = Vec::new();
        for (i, u) in units.iter().enumerate() {
            if let Some((file, row)) = unit_seen.get(&u.unit_code) {
                return Err(Error::cell(
                    &path.display().to_string(),
                    i as u64 + 2,
                    "unit_code",
                    &u.unit_code,
                    format!(
                        "unit {} is also in {} row {}: give each unit's PAR result once",
                        u.unit_code,
                        file.display(),
                        row + 2
                    ),
                ));
            }
            if let Some(file) = group_seen.get(&u.unit_group) {
                return Err(Error::cell(
                    &path.display().to_string(),
                    i as u64 + 2,
                    "unit_group",
                    &u.unit_group,
                    format!(
                        "group {} is also ranked in {}; the ranks of a group come from one \
                         `chiso par` run, so each group must come from one directory only",
                        u.unit_group,
                        file.display()
                    ),
                ));
            }
            unit_seen.insert(u.unit_code.clone(), (path.clone(), i));
            if !groups_here.contains(&u.unit_group.as_str()) {
                groups_here.push(&u.unit_group);
            }
            origin.push((path.clone(), i));
        }
        for g in groups_here {
            group_seen.insert(g.to_string(), path.clone());
        }
        let fields_path = d.join("par_fields.csv");
        if fields_path.exists() {
            let fields = crate::files::par::read_fields(&fields_path)?;
            all.fields.get_or_insert_with(Vec::new).extend(fields);
        }
        all.units.extend(units);
    }
    Ok(Some(all))
}

/// Refuses a manifest that is not the one of the sample the indices were computed from (as
/// `indices.json` records it in `provenance.sample`): the report would publish another
/// sample's seed and digests beside these numbers.
fn sample_belongs(indices: &Indices, dir: &Path, path: &Path, info: &SampleInfo) -> Result<()> {
    let refuse = |why: String| {
        Err(Error::input(
            "manifest",
            format!(
                "{}: {why}; give the manifest of the sample the indices were computed from",
                path.display()
            ),
        ))
    };
    match indices.provenance.as_ref().and_then(|p| p.sample.as_ref()) {
        None => refuse(format!(
            "the indices in {} were not computed from a drawn sample (their indices.json names \
             none), so no manifest belongs to them",
            dir.display()
        )),
        Some(s)
            if s.sample_digest != info.sample_digest
                || s.manifest_sha256 != info.manifest_sha256 =>
        {
            refuse(format!(
                "not the manifest of the sample the indices in {} were computed from (its \
                 sample_digest {}, SHA-256 {}; indices.json names sample_digest {}, SHA-256 {})",
                dir.display(),
                short(&info.sample_digest),
                short(&info.manifest_sha256),
                short(&s.sample_digest),
                short(&s.manifest_sha256)
            ))
        }
        Some(_) => Ok(()),
    }
}

/// Refuses a PAR run whose survey criteria were scored from another `indices.csv` than the
/// report's (`inputs.survey_sha256` of its `par.json`).
fn par_belongs(indices: &Indices, dir: &Path) -> Result<()> {
    let json_path = dir.join("par.json");
    let Ok(text) = std::fs::read_to_string(&json_path) else {
        return Ok(());
    };
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| -> Error {
        crate::error::ErrorKind::Malformed {
            at: crate::Position::line(json_path.display().to_string(), e.line() as u64),
            message: e.to_string(),
        }
        .into()
    })?;
    match json
        .pointer("/inputs/survey_sha256")
        .and_then(|v| v.as_str())
    {
        Some(sha) if sha != indices.csv_sha256 => Err(Error::input(
            "par",
            format!(
                "{}: its survey criteria were scored from another indices.csv (SHA-256 {}) than \
                 the report's (SHA-256 {}): run `chiso par --survey` on the report's indices",
                json_path.display(),
                short(sha),
                short(&indices.csv_sha256)
            ),
        )),
        _ => Ok(()),
    }
}

fn short(hex: &str) -> &str {
    &hex[..hex.len().min(16)]
}

/// The sample's facts for the report, from its manifest read as `chiso sample` wrote it
/// ([`crate::manifest::Manifest`]).
fn load_manifest(path: &Path) -> Result<SampleInfo> {
    let m = crate::manifest::Manifest::load(path)?;
    Ok(SampleInfo {
        manifest_sha256: crate::table::file_sha256(path)?,
        design: serde_json::to_value(&m.design).expect("a design serialises"),
        frame_size: Some(m.totals.frame_size),
        sample_size: Some(m.totals.sample_size),
        algorithm: m.algorithm,
        seed: m.seed,
        sample_digest: m.sample_digest,
        frame_digest: m.frame_digest,
        engine_version: m.engine_version,
    })
}
