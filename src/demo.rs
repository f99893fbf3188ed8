//! A synthetic province for the demo and the benchmarks, with the two tiers of local
//! government in place since 1 July 2025: departments and other provincial agencies (sở,
//! ban, ngành) and communes, wards and a special zone (xã, phường, đặc khu), with skewed
//! volumes, people and organisations, three channels, early, on-time and late results (most
//! units within the 2% ceiling of late records, a few above it). Everything is generated from
//! a fixed ChaCha20 stream, so the same parameters always give the same file. All names,
//! identifiers and phone numbers are invented, and so are the PAR INDEX self-assessments and
//! appraisals of the departments and communes ([`write_par_scores`]) that the demo scores with
//! the example frameworks embedded here ([`DEMO_PAR_SO`], [`DEMO_PAR_XA`]).

use std::io::Write;

use rand_chacha::ChaCha20Rng;

use crate::random;

/// The shape of a synthetic province.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProvinceSpec {
    /// Departments and other provincial agencies (`so`).
    pub departments: usize,
    /// Communes, wards and special zones (`xa`).
    pub communes: usize,
    /// Approximate number of records.
    pub records: usize,
    /// Generator seed.
    pub seed: u64,
    /// The survey year: records are received from 1 December of the year before to the end
    /// of October.
    pub year: i32,
}

impl Default for ProvinceSpec {
    fn default() -> ProvinceSpec {
        ProvinceSpec {
            departments: 20,
            communes: 100,
            records: 300_000,
            seed: 2024,
            year: 2026,
        }
    }
}

/// One unit of the synthetic province.
#[derive(Clone, Debug, PartialEq)]
pub struct Unit {
    /// Its code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// `so` or `xa`.
    pub group: &'static str,
    /// Its share of the records.
    pub weight: f64,
    /// The probability that one of its results is returned late.
    pub late: f64,
}

/// The provincial agencies after the 2025 reorganisation (merged departments, the provincial
/// public-service centre and a few central agencies with one-stop counters in the province).
const DEPARTMENTS: [&str; 20] = [
    "Sở Nội vụ",
    "Sở Tư pháp",
    "Sở Tài chính",
    "Sở Xây dựng",
    "Sở Nông nghiệp và Môi trường",
    "Sở Công Thương",
    "Sở Y tế",
    "Sở Giáo dục và Đào tạo",
    "Sở Văn hóa, Thể thao và Du lịch",
    "Sở Khoa học và Công nghệ",
    "Sở Dân tộc và Tôn giáo",
    "Sở Ngoại vụ",
    "Thanh tra tỉnh",
    "Văn phòng UBND tỉnh",
    "Ban Quản lý các khu công nghiệp",
    "Trung tâm Phục vụ hành chính công tỉnh",
    "Công an tỉnh",
    "Thuế tỉnh",
    "Bảo hiểm xã hội tỉnh",
    "Kho bạc Nhà nước khu vực",
];
/// The two halves of the invented commune names (12 × 10 distinct names).
const NAME_FIRST: [&str; 12] = [
    "An", "Bình", "Hòa", "Tân", "Phú", "Long", "Vĩnh", "Đông", "Tây", "Nam", "Bắc", "Thạnh",
];
const NAME_SECOND: [&str; 10] = [
    "Thành", "Phước", "Hưng", "Lợi", "Mỹ", "Hiệp", "Thuận", "Lộc", "Sơn", "Hải",
];
const PLACES: [&str; 24] = [
    "An Bình",
    "Bình Minh",
    "Hòa Thuận",
    "Phú Lộc",
    "Tân Phong",
    "Đông Hà",
    "Hưng Long",
    "Thanh Xuân",
    "Quảng Phú",
    "Vĩnh Lợi",
    "Long Thành",
    "Hải Châu",
    "Tam Phước",
    "Hoài Thanh",
    "Đắk Song",
    "Phước An",
    "Cẩm Lệ",
    "Ngọc Lặc",
    "Thạch Hà",
    "Yên Bình",
    "Lộc Ninh",
    "Mỹ Đức",
    "Kim Sơn",
    "Gia Lộc",
];
const FAMILY: [&str; 14] = [
    "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ",
    "Hồ", "Ngô",
];
const MIDDLE: [&str; 6] = ["Văn", "Thị", "Hữu", "Minh", "Ngọc", "Đức"];
const GIVEN: [&str; 16] = [
    "An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hùng", "Lan", "Long", "Mai", "Nam",
    "Phúc", "Quân", "Thảo",
];
const FIELDS: [&str; 8] = [
    "ho_tich",
    "dat_dai",
    "xay_dung",
    "dang_ky_kinh_doanh",
    "chung_thuc",
    "lao_dong",
    "y_te",
    "giao_duc",
];

/// A small deterministic generator over the demo's ChaCha20 streams ([`random::demo`]) with
/// our own bounded draws.
struct Gen(ChaCha20Rng);

impl Gen {
    fn new(seed: u64, purpose: &str) -> Gen {
        Gen(random::demo(seed, purpose))
    }

    /// Uniform on [0, 1) with 53 bits ([`random::uniform53`]).
    fn unit(&mut self) -> f64 {
        random::uniform53(&mut self.0)
    }

    /// Uniform on `0..n` (n > 0), without modulo bias ([`random::below`]).
    fn below(&mut self, n: u64) -> u64 {
        random::below(&mut self.0, n)
    }

    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len() as u64) as usize]
    }

    /// Standard normal (Box–Muller, [`random::standard_normal`]).
    fn normal(&mut self) -> f64 {
        random::standard_normal(&mut self.0)
    }
}

/// The units of a synthetic province with their (skewed) shares of the records and their
/// rates of late results.
///
/// Communes: every fourth (the second, sixth, …) is a ward (`phường`, busier), the last one of
/// ten or more is a special zone (`đặc khu`, an island, quieter), the others are communes
/// (`xã`); all are in the group `xa`. A unit's rate of late results is
/// `0.005 · exp(0.9 z)` (departments `0.006 · exp(0.9 z)`), `z` standard normal, at most 0.2:
/// the median unit returns about 0.5% of its results late, and about one in twelve is above 2%.
pub fn units(spec: &ProvinceSpec) -> Vec<Unit> {
    let mut g = Gen::new(spec.seed, "units");
    let mut out = Vec::new();
    for i in 0..spec.departments {
        let name = DEPARTMENTS.get(i).map_or_else(
            || format!("Cơ quan cấp tỉnh số {}", i + 1),
            |s| s.to_string(),
        );
        let weight = 2.0 * (0.9 * g.normal()).exp();
        let late = (0.006 * (0.9 * g.normal()).exp()).min(0.2);
        out.push(Unit {
            code: format!("SO{:02}", i + 1),
            name,
            group: "so",
            weight,
            late,
        });
    }
    for i in 0..spec.communes {
        let place = format!(
            "{} {}",
            NAME_FIRST[i % NAME_FIRST.len()],
            NAME_SECOND[(i / NAME_FIRST.len() + i % NAME_FIRST.len()) % NAME_SECOND.len()]
        );
        let place = match i / (NAME_FIRST.len() * NAME_SECOND.len()) {
            0 => place,
            k => format!("{place} {}", k + 1),
        };
        let (kind, scale, spread) = if spec.communes >= 10 && i + 1 == spec.communes {
            ("đặc khu", 0.6, 0.3)
        } else if i % 4 == 1 {
            ("phường", 2.2, 0.5)
        } else {
            ("xã", 1.0, 0.6)
        };
        let weight = scale * (spread * g.normal()).exp();
        let late = (0.005 * (0.9 * g.normal()).exp()).min(0.2);
        out.push(Unit {
            code: format!("XA{:03}", i + 1),
            name: format!("UBND {kind} {place}"),
            group: "xa",
            weight,
            late,
        });
    }
    out
}

/// Writes the records CSV of a synthetic province (the columns of `docs/contract.md`) and returns
/// the number of records written.
pub fn write_records<W: Write>(spec: &ProvinceSpec, out: W) -> std::io::Result<u64> {
    write_records_with_progress(spec, out, |_| {})
}

/// [`write_records`], calling `progress` with the number of records written so far after
/// each unit (for a progress display; the file does not depend on it).
pub fn write_records_with_progress<W: Write>(
    spec: &ProvinceSpec,
    out: W,
    mut progress: impl FnMut(u64),
) -> std::io::Result<u64> {
    let units = units(spec);
    let total_weight: f64 = units.iter().map(|u| u.weight).sum();
    let mut g = Gen::new(spec.seed, "records");
    let mut w = crate::output::CsvWriter::new(out);
    w.write_record([
        "record_id",
        "unit_code",
        "unit_name",
        "unit_group",
        "applicant_id",
        "applicant_type",
        "applicant_name",
        "phone",
        "address",
        "officer_id",
        "procedure_code",
        "field",
        "channel",
        "received_date",
        "due_date",
        "returned_date",
    ])?;
    let start = chrono::NaiveDate::from_ymd_opt(spec.year - 1, 12, 1).expect("a valid year");
    let mut written = 0u64;
    for (ui, u) in units.iter().enumerate() {
        let n = ((spec.records as f64) * u.weight / total_weight)
            .round()
            .max(5.0) as u64;
        let pool = (n as f64 * 0.75).ceil().max(1.0) as u64;
        let officers = 3 + g.below(6);
        let org_share = match u.group {
            "so" => 0.35,
            _ => 0.05,
        };
        for r in 0..n {
            // Applicants come back: draw from a pool, the low indices more often.
            let a = ((g.unit() * g.unit()) * pool as f64) as u64;
            let mut ag = Gen::new(spec.seed, &format!("applicant/{ui}/{a}"));
            let is_org = ag.unit() < org_share;
            let (applicant_id, name, kind) = if is_org {
                (
                    format!("MST{:010}", ag.below(10_000_000_000)),
                    format!("Công ty TNHH {} {}", ag.pick(&PLACES), ag.pick(&GIVEN)),
                    "organization",
                )
            } else {
                (
                    format!("{:012}", ag.below(1_000_000_000_000)),
                    format!(
                        "{} {} {}",
                        ag.pick(&FAMILY),
                        ag.pick(&MIDDLE),
                        ag.pick(&GIVEN)
                    ),
                    "citizen",
                )
            };
            let phone = format!("09{:08}", ag.below(100_000_000));
            let address = format!("Thôn {}, {}", 1 + ag.below(12), ag.pick(&PLACES));
            let field = g.pick(&FIELDS);
            let channel = match g.unit() {
                x if x < 0.55 => "direct",
                x if x < 0.95 => "online",
                _ => "postal",
            };
            let received = start + chrono::Days::new(g.below(335));
            let allowed = 3 + g.below(18);
            let due = received + chrono::Days::new(allowed);
            // Not returned yet (1.5%), late (the unit's rate), early (up to 45%), on the day.
            let returned = match g.unit() {
                x if x < 0.015 => None,
                x if x < 0.015 + u.late => Some(due + chrono::Days::new(1 + g.below(10))),
                x if x < 0.45 => Some(received + chrono::Days::new(g.below(allowed))),
                _ => Some(due),
            };
            let d = |d: chrono::NaiveDate| d.format("%Y-%m-%d").to_string();
            w.write_record([
                format!("HS-{}-{:07}", u.code, r + 1).as_str(),
                &u.code,
                &u.name,
                u.group,
                &applicant_id,
                kind,
                &name,
                &phone,
                &address,
                &format!("{}-CB{:02}", u.code, 1 + g.below(officers)),
                &format!("TTHC-{}-{:03}", field, 1 + g.below(40)),
                field,
                channel,
                &d(received),
                &d(due),
                &returned.map(d).unwrap_or_default(),
            ])?;
            written += 1;
        }
        progress(written);
    }
    w.flush()?;
    Ok(written)
}

/// The design the demo draws with: the Ministry's formula per unit, half as many reserves.
pub const DEMO_DESIGN: &str = r#"# Demo design: one stratum per unit, the Ministry of Home Affairs formula
# n = N / (1 + N e^2) with e = 0.08, and one reserve for every two official respondents.
[frame]
window = ["2026-01-01", "2026-09-30"]
strata = ["unit_code"]

[size]
mode = "yamane"
e = 0.08
min = 30

[reserve]
ratio = 0.5
"#;

/// The seed the demo publishes.
pub const DEMO_SEED: &str = "demo-2026-10-01-xo-so-123456";

/// Where the demo's seed was announced to come from, before the draw (invented, like the
/// province).
pub const DEMO_SEED_SOURCE: &str = "giải đặc biệt xổ số kiến thiết mở thưởng ngày 01/10/2026 \
     (giả lập), viết thành demo-2026-10-01-xo-so-<6 chữ số>";

/// The questionnaire the demo answers: the shipped SIPAS questionnaire of the 2023 method
/// (Quyết định 1001/QĐ-BNV).
pub const DEMO_QUESTIONNAIRE: &str = include_str!("../questionnaires/sipas-2023.toml");

/// A unit's level of satisfaction, on the scale's points (standard deviation 0.4), from its
/// own stream (`level/<code>`): the same unit has the same level whatever the sample.
fn unit_level(seed: u64, code: &str) -> f64 {
    0.4 * Gen::new(seed, &format!("level/{code}")).normal()
}

/// The items' effects on the answers (standard deviation 0.3), from the stream `items`: the
/// same questionnaire has the same effects in every year the demo simulates.
fn item_effects(seed: u64, items: usize) -> Vec<f64> {
    let mut g = Gen::new(seed, "items");
    (0..items).map(|_| 0.3 * g.normal()).collect()
}

/// One respondent's answers in a unit of level `u`: a respondent effect (standard deviation
/// 0.5) shared by all the answers of the form, then per item `4.15 + u + e + p + 0.6 z`
/// rounded into 1–5, `e` the item's effect; 2% of the answers are "no opinion" (9) and 1%
/// left blank.
fn answers_of(g: &mut Gen, u: f64, item_effect: &[f64]) -> Vec<String> {
    let person = 0.5 * g.normal();
    item_effect
        .iter()
        .map(|e| {
            let x = g.unit();
            if x < 0.02 {
                "9".to_string()
            } else if x < 0.03 {
                String::new()
            } else {
                let v = (4.15 + u + e + person + 0.6 * g.normal())
                    .round()
                    .clamp(1.0, 5.0);
                format!("{v}")
            }
        })
        .collect()
}

/// Simulated answers for everyone on the lists of a sample: what each person would answer if
/// reached. Officials' answers come from the stream `responses`, in file order; reserves'
/// answers come from a stream of their own (`responses/reserves`), with the same unit levels
/// and item effects, so that the officials' answers do not depend on the reserves.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SimulatedAnswers {
    answers: std::collections::HashMap<(String, crate::sample::Role, u64), Vec<String>>,
    officials: Vec<(String, u64, String)>,
}

impl SimulatedAnswers {
    /// The answers (one cell per item) of the person of rank `rank` on list `role` of
    /// `stratum`, if that person is on the lists.
    pub fn get(&self, stratum: &str, role: crate::sample::Role, rank: u64) -> Option<&[String]> {
        self.answers
            .get(&(stratum.to_string(), role, rank))
            .map(Vec::as_slice)
    }
}

/// Simulates the answers of every person of `sample` (a `chiso sample` file) to `items`:
/// about 3% "no answer", with a satisfaction level of its own for every unit.
pub fn simulate_answers(
    sample: &std::path::Path,
    items: &[String],
    seed: u64,
) -> crate::Result<SimulatedAnswers> {
    use crate::sample::Role;
    let mut g = Gen::new(seed, "responses");
    let file = crate::files::sample::SampleFile::open(
        sample,
        &["stratum", "role", "rank", "applicant_id", "unit_code"],
    )?;
    let item_effect = item_effects(seed, items.len());
    let simulate = |g: &mut Gen, u: f64| answers_of(g, u, &item_effect);
    let mut out = SimulatedAnswers::default();
    let mut reserves = Vec::new();
    file.rows(|r| {
        let (stratum, rank, unit) = (r.text("stratum"), r.rank()?, r.text("unit_code"));
        let role = r.role()?;
        if role == Role::Reserve {
            reserves.push((stratum.to_string(), rank, unit.to_string()));
            return Ok(());
        }
        let a = simulate(&mut g, unit_level(seed, unit));
        out.answers.insert((stratum.to_string(), role, rank), a);
        out.officials.push((
            stratum.to_string(),
            rank,
            r.text("applicant_id").to_string(),
        ));
        Ok(())
    })?;
    // Reserves after every official, from their own stream: the officials' answers do not
    // depend on the reserves.
    let mut g = Gen::new(seed, "responses/reserves");
    for (s, k, unit) in reserves {
        let a = simulate(&mut g, unit_level(seed, &unit));
        out.answers.insert((s, Role::Reserve, k), a);
    }
    Ok(out)
}

/// The title of the demo's report (the province is invented, and the page says so).
pub const DEMO_TITLE: &str = "Tỉnh Minh Họa (dữ liệu giả lập): sự hài lòng của người dân, \
     tổ chức và Chỉ số CCHC năm 2026";

/// The PAR framework the demo scores its departments with (`frameworks/par-so.toml`).
pub const DEMO_PAR_SO: &str = include_str!("../frameworks/par-so.toml");

/// The PAR framework the demo scores its communes, wards and special zone with
/// (`frameworks/par-xa.toml`).
pub const DEMO_PAR_XA: &str = include_str!("../frameworks/par-xa.toml");

/// What an appraisal council writes when it lowers a self-assessed score (the demo's notes).
const APPRAISAL_NOTES: [&str; 5] = [
    "Thiếu tài liệu kiểm chứng",
    "Báo cáo gửi chậm so với thời hạn",
    "Chưa hoàn thành đầy đủ kế hoạch",
    "Tài liệu kiểm chứng chưa đúng kỳ đánh giá",
    "Kết quả chưa được cơ quan có thẩm quyền xác nhận",
];

/// The smallest step of a PAR score in the demo (scores are multiples of a quarter point).
const SCORE_STEP: f64 = 0.25;

/// Writes a PAR scores file (`unit_code, unit_name, unit_group, criterion, self_score,
/// appraised_score, note`, the input of `chiso par`) for `units`, all in `group`: one row for
/// every self-assessed item of `fw` that applies to `group`, in framework order.
///
/// How the numbers are made (each unit from its own ChaCha20 stream, keyed by `seed`, the
/// framework's name and the unit's code, so a unit's scores do not depend on the other units
/// or on their order):
/// - the unit has a level of compliance `a`, uniform on `[0.70, 0.98)`;
/// - its self-assessed score on an item of maximum `M` is `M · min(1, a + 0.15 · z)` with `z`
///   a standard normal deviate (our own Box–Muller), cut at 0 and rounded to the nearest
///   quarter point: units tend to give themselves high marks;
/// - the appraisal council confirms the score (appraised = self), except with probability
///   0.15, when it takes off one to three quarter points (never below 0) and writes a note.
///
/// Returns the number of rows written.
pub fn write_par_scores<W: Write>(
    fw: &crate::par::Framework,
    units: &[&Unit],
    group: &str,
    seed: u64,
    out: W,
) -> std::io::Result<u64> {
    let mut w = crate::output::CsvWriter::new(out);
    w.write_record([
        "unit_code",
        "unit_name",
        "unit_group",
        "criterion",
        "self_score",
        "appraised_score",
        "note",
    ])?;
    let quarter = |v: f64| (v / SCORE_STEP).round() * SCORE_STEP;
    let mut n = 0;
    for u in units {
        let mut g = Gen::new(seed, &format!("par/{}/{}", fw.name, u.code));
        let level = 0.70 + 0.28 * g.unit();
        for c in &fw.criteria {
            if !matches!(c.source, crate::par::Source::SelfAssessed) || !c.applies_to(group) {
                continue;
            }
            let own = quarter(c.max * (level + 0.15 * g.normal()).clamp(0.0, 1.0)).min(c.max);
            let (appraised, note) = if g.unit() < 0.15 {
                let cut = SCORE_STEP * (1 + g.below(3)) as f64;
                let note = APPRAISAL_NOTES[g.below(APPRAISAL_NOTES.len() as u64) as usize];
                let appraised = (own - cut).max(0.0);
                (appraised, if appraised < own { note } else { "" })
            } else {
                (own, "")
            };
            w.write_record([
                u.code.as_str(),
                &u.name,
                group,
                &c.code,
                &format!("{own}"),
                &format!("{appraised}"),
                note,
            ])?;
            n += 1;
        }
    }
    w.flush()?;
    Ok(n)
}

/// Whether the survey results hold, for unit `code`, an estimate and a standard error for
/// every survey item of `fw` that applies to `group`: what `chiso par` needs to score the unit.
/// (A unit of a very small demo may have too few respondents.)
pub fn par_surveyed(
    fw: &crate::par::Framework,
    survey: &crate::par::Survey,
    code: &str,
    group: &str,
) -> bool {
    fw.criteria.iter().all(|c| match &c.source {
        crate::par::Source::Survey {
            indicator, measure, ..
        } if c.applies_to(group) => survey
            .estimates
            .get(&(code.to_string(), indicator.clone(), measure.clone()))
            .is_some_and(|e| e.estimate.is_some() && e.std_error.is_some()),
        _ => true,
    })
}

/// The departments as they were before the 2025 reorganisation, each with the index (in
/// [`DEPARTMENTS`]) of the agency that does its work today: several merged into one.
const DEPARTMENTS_BEFORE: [(&str, usize); 20] = [
    ("Sở Nội vụ", 0),
    ("Sở Tư pháp", 1),
    ("Sở Kế hoạch và Đầu tư", 2),
    ("Sở Tài chính", 2),
    ("Sở Xây dựng", 3),
    ("Sở Giao thông vận tải", 3),
    ("Sở Tài nguyên và Môi trường", 4),
    ("Sở Nông nghiệp và Phát triển nông thôn", 4),
    ("Sở Công Thương", 5),
    ("Sở Lao động - Thương binh và Xã hội", 0),
    ("Sở Y tế", 6),
    ("Sở Giáo dục và Đào tạo", 7),
    ("Sở Văn hóa, Thể thao và Du lịch", 8),
    ("Sở Thông tin và Truyền thông", 9),
    ("Sở Khoa học và Công nghệ", 9),
    ("Ban Dân tộc", 10),
    ("Sở Ngoại vụ", 11),
    ("Thanh tra tỉnh", 12),
    ("Văn phòng UBND tỉnh", 13),
    ("Ban Quản lý các khu công nghiệp", 14),
];

/// Last year's survey, on the units as they were before the reform, as a province holds it
/// when the units change: the respondents' answers by old unit, the old units' populations,
/// and the table from each old unit to the unit that does its work today (the reporting
/// domain), the files `chiso index --population --domains` re-estimates on today's units.
#[derive(Clone, Debug, PartialEq)]
pub struct PreviousYear {
    /// `responses.csv`: `unit_code` (the old unit) and one column per item.
    pub responses: Vec<u8>,
    /// `population.csv`: `stratum, population` (each old unit's eligible records).
    pub population: Vec<u8>,
    /// `domains.csv`: `unit_code, domain, domain_name, domain_group` (old unit → today's unit).
    pub domains: Vec<u8>,
    /// The number of old units.
    pub old_units: usize,
    /// The number of respondents.
    pub respondents: usize,
}

/// Generates last year's survey of the province of `spec` (stream `previous-year` of its
/// seed): the twenty departments before their 2025 merger (codes `CU-SO01` …), and for each
/// of today's communes one to three communes that merged into it (codes `CU-XA0001` …; the
/// last of ten or more communes, the special zone, from one old unit). Each old unit has
/// between 20 and 59 respondents (fewer in a demo of fewer than 300,000 records, at least
/// 8), a population of 8 to 37 times that, and a level of satisfaction that is today's
/// unit's level, lowered by 0.06 of a point of the scale (the province improved) and moved
/// by a deviation of its own (standard deviation 0.15); its respondents answer as this
/// year's do ([`simulate_answers`], with the same items' effects). Only the departments
/// that exist in `spec` are used.
pub fn previous_year(spec: &ProvinceSpec, items: &[String]) -> PreviousYear {
    let today = units(spec);
    let mut g = Gen::new(spec.seed, "previous-year");
    let scale = (spec.records as f64 / 300_000.0).clamp(0.2, 4.0);
    // (old code, today's unit)
    let mut old: Vec<(String, &Unit)> = Vec::new();
    for (k, (_, now)) in DEPARTMENTS_BEFORE.iter().enumerate() {
        if let Some(u) = today.iter().filter(|u| u.group == "so").nth(*now) {
            old.push((format!("CU-SO{:02}", k + 1), u));
        }
    }
    let communes: Vec<&Unit> = today.iter().filter(|u| u.group == "xa").collect();
    for (i, u) in communes.iter().enumerate() {
        let merged = if communes.len() >= 10 && i + 1 == communes.len() {
            1
        } else {
            1 + g.below(3)
        };
        for _ in 0..merged {
            old.push((format!("CU-XA{:04}", old.len() + 1), u));
        }
    }
    let item_effect = item_effects(spec.seed, items.len());
    let mut responses = crate::output::CsvWriter::new(Vec::new());
    let mut population = crate::output::CsvWriter::new(Vec::new());
    let mut domains = crate::output::CsvWriter::new(Vec::new());
    let header: Vec<&str> = std::iter::once("unit_code")
        .chain(items.iter().map(String::as_str))
        .collect();
    let io = "writing to memory cannot fail";
    responses.write_record(&header).expect(io);
    population
        .write_record(["stratum", "population"])
        .expect(io);
    domains
        .write_record(["unit_code", "domain", "domain_name", "domain_group"])
        .expect(io);
    let mut respondents = 0;
    for (code, now) in &old {
        let n = (((20 + g.below(40)) as f64 * scale).round() as u64).max(8);
        let level = unit_level(spec.seed, &now.code) - 0.06 + 0.15 * g.normal();
        for _ in 0..n {
            let row: Vec<String> = std::iter::once(code.clone())
                .chain(answers_of(&mut g, level, &item_effect))
                .collect();
            responses.write_record(&row).expect(io);
        }
        respondents += n as usize;
        let size = n * (8 + g.below(30));
        population
            .write_record([code.as_str(), &size.to_string()])
            .expect(io);
        domains
            .write_record([code.as_str(), &now.code, &now.name, now.group])
            .expect(io);
    }
    let done = |w: crate::output::CsvWriter<Vec<u8>>| w.into_inner().expect(io);
    PreviousYear {
        responses: done(responses),
        population: done(population),
        domains: done(domains),
        old_units: old.len(),
        respondents,
    }
}

// ---------------------------------------------------------------------------------------------
// The command: `chiso demo`.

/// What `chiso demo` needs.
#[derive(Clone, Debug)]
pub struct DemoRequest {
    /// The directory the demo writes into (its own files there are replaced).
    pub out: std::path::PathBuf,
    /// About how many records the province has.
    pub records: usize,
    /// Threads for the draw and the re-draw (no file depends on it).
    pub threads: usize,
}

/// What the demo tells as it goes: the progress of its long steps (for a display; no file
/// depends on it) and the lines of its summary.
pub trait Observer {
    /// A step of unknown length starts.
    fn step(&mut self, _message: &'static str) {}
    /// A step of about `len` units starts.
    fn bar(&mut self, _message: &'static str, _len: u64) {}
    /// The current step has done `position` units.
    fn advance(&mut self, _position: u64) {}
    /// The current step is over.
    fn done(&mut self) {}
    /// Lines of the summary, each ending with a newline.
    fn say(&mut self, _text: &str) {}
}

/// An observer that shows nothing.
#[derive(Clone, Copy, Debug, Default)]
pub struct Quiet;

impl Observer for Quiet {}

/// What the demo did: whether the re-drawn sample was identical, and where the report is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoOutput {
    /// The auditor's re-draw gave the same lists and files.
    pub verified: bool,
    /// `report.html`.
    pub page: std::path::PathBuf,
    /// `report.xlsx`.
    pub workbook: std::path::PathBuf,
}

/// One PAR run of the demo: its framework and scores files, and its output directory.
struct ParRun {
    framework: std::path::PathBuf,
    scores: std::path::PathBuf,
    out: std::path::PathBuf,
}

/// Runs the whole pipeline on a synthetic province: records → sample → verify → simulated
/// fieldwork → indices, flags and ranks → timeliness → PAR INDEX → report, each step through
/// the same library call as its command, and tells `observer` what it did and how to repeat
/// each step by hand (the same files result).
pub fn run(req: &DemoRequest, observer: &mut dyn Observer) -> crate::Result<DemoOutput> {
    use crate::design::Design;
    use crate::output::Staged;
    use crate::records::ColumnMap;
    use crate::sample::{SampleRequest, draw_sample};
    use crate::{fieldwork, index, par, report, timeliness, verify};

    let started = std::time::Instant::now();
    let out = req.out.as_path();
    let spec = ProvinceSpec {
        records: req.records,
        ..ProvinceSpec::default()
    };
    let records_path = out.join("records.csv");
    let design_path = out.join("design.toml");
    let q_path = out.join("questionnaire.toml");
    let io = |p: &std::path::Path| {
        let p = p.to_path_buf();
        move |e| crate::Error::io(&p, e)
    };
    observer.bar("generating records", req.records as u64);
    let mut records = Vec::new();
    let n = write_records_with_progress(&spec, &mut records, |k| observer.advance(k))
        .map_err(io(&records_path))?;
    let mut staged = Staged::new(out, true, &[])?;
    staged.add("records.csv", records);
    staged.add("design.toml", DEMO_DESIGN.as_bytes());
    staged.add("questionnaire.toml", DEMO_QUESTIONNAIRE.as_bytes());
    staged.commit()?;
    observer.done();
    observer.say(&format!(
        "demo province: {} departments and agencies, {} communes, wards and special zones; {n} records in {}\n",
        spec.departments,
        spec.communes,
        records_path.display()
    ));

    let sample_dir = out.join("sample");
    let mut sample_req = SampleRequest {
        records: records_path.clone(),
        layout: Default::default(),
        columns: ColumnMap::default(),
        design: Design::load(&design_path)?,
        seed: DEMO_SEED.to_string(),
        threads: req.threads,
        strict: true,
        max_rejected: crate::sample::DEFAULT_MAX_REJECTED,
        commitment: None,
    };
    // The ceremony: the records and design are committed before the seed is known.
    observer.step("committing the records and design before the seed");
    let commitment = crate::commitment::commit(&crate::commitment::CommitRequest {
        sample: sample_req.clone(),
        seed_source: DEMO_SEED_SOURCE.to_string(),
    })?;
    let commitment_dir = out.join("commitment");
    crate::commitment::write(&commitment_dir, &commitment, true)?;
    observer.done();
    sample_req.commitment = Some((commitment, commitment_dir.join("commitment.json")));
    observer.step("building the frame and drawing the sample");
    let drawn = draw_sample(&sample_req)?;
    // The demo's own files: re-running the demo replaces them.
    drawn.write(&sample_dir, true)?;
    crate::commitment::write_after(&out.join("bien-ban"), &drawn.manifest, DEMO_SEED_SOURCE)?;
    observer.done();
    observer.say(&drawn.summary(&sample_dir, started.elapsed().as_secs_f64()));

    observer.step("re-drawing the sample from its manifest");
    let manifest_path = sample_dir.join("manifest.json");
    let sample_csv = sample_dir.join("sample.csv");
    let check = verify::verify(
        &records_path,
        &manifest_path,
        Some(&sample_csv),
        &Default::default(),
        req.threads,
    )?;
    observer.done();
    observer.say(&format!("verify:  {check}"));

    // Simulated fieldwork: officials in rank order, those who fail replaced from the
    // reserves of their stratum in rank order, every substitution logged.
    observer.step("simulating fieldwork");
    let q = crate::questionnaire::Questionnaire::load(&q_path)?;
    let sample =
        fieldwork::SampleLists::read(&crate::files::sample::SampleDir::open(&sample_dir)?)?;
    let fw = fieldwork::Simulation::new(spec.seed, fieldwork::Rates::default())
        .run(sample.lists.clone());
    // The simulated contacts go through the audit of `chiso fieldwork`, which writes the
    // files: the rule it checks is the rule the simulation followed.
    let contacts: Vec<fieldwork::Contact> = fw
        .attempts()
        .iter()
        .map(|a| {
            let stratum = fw.lists()[a.stratum].stratum();
            fieldwork::Contact {
                stratum: stratum.to_string(),
                role: a.role,
                rank: a.rank,
                outcome: a.outcome,
                interviewer: String::new(),
                unit: sample.unit(stratum, a.role, a.rank).to_string(),
            }
        })
        .collect();
    let audit = fieldwork::audit(
        sample.lists,
        &contacts,
        Vec::new(),
        &fieldwork::RateSettings::default(),
    );
    if let Some(b) = audit.breaches.first() {
        return Err(crate::Error::usage(format!(
            "the demo's simulated fieldwork breaks the rule of substitution: {b}"
        )));
    }
    let answers = simulate_answers(&sample_csv, &q.items, spec.seed)?;
    let answer = |stratum: &str, role, rank| {
        answers
            .get(stratum, role, rank)
            .expect("everyone on the lists has simulated answers")
            .to_vec()
    };
    let mut staged = Staged::new(&out.join("fieldwork"), true, &[])?;
    audit.stage(&mut staged);
    staged.commit()?;
    let responses_path = out.join("responses.csv");
    let mut staged = Staged::new(out, true, &[])?;
    staged.add("responses.csv", fw.responses_csv(&q.items, answer));
    staged.commit()?;
    observer.done();
    observer.say(&fw.report(out));

    // Every contact's row: the disposition column says who responded (complete, partial),
    // and gives the response rates.
    observer.step("computing the indices");
    let indices_dir = out.join("indices");
    let index_req = index::IndexRequest {
        responses: responses_path.clone(),
        sheet: None,
        delimiter: None,
        header_row: None,
        columns: Default::default(),
        questionnaire: q,
        population: index::Population::Sample(sample_dir.clone()),
        settings: index::Settings::default(),
        flags: crate::flags::FlagSettings::default(),
        ranks: crate::ranks::RankSettings::default(),
        invalid_as_missing: false,
        calibration: None,
        units: None,
        domains: None,
        period: None,
        records: None,
        out: indices_dir.clone(),
    };
    let indices = index::run(&index_req)?;
    observer.done();
    observer.say(&crate::flags::summary(
        &indices.data,
        &indices.flags,
        &index_req.flags,
    ));

    // Last year's survey, drawn on the units before the reform, re-estimated on today's units
    // (each a union of old units) and compared with this year's.
    observer.step("re-estimating last year's survey on today's units");
    let previous_dir = out.join("previous-year");
    let prev = previous_year(&spec, &index_req.questionnaire.items);
    let mut staged = Staged::new(&previous_dir, true, &[])?;
    staged.add("responses.csv", prev.responses);
    staged.add("population.csv", prev.population);
    staged.add("domains.csv", prev.domains);
    staged.commit()?;
    let prev_responses = previous_dir.join("responses.csv");
    let prev_population = previous_dir.join("population.csv");
    let prev_domains = previous_dir.join("domains.csv");
    let prev_indices_dir = previous_dir.join("indices");
    index::run(&index::IndexRequest {
        responses: prev_responses.clone(),
        population: index::Population::File(prev_population.clone()),
        domains: Some(crate::domains::Domains::load(&prev_domains)?),
        out: prev_indices_dir.clone(),
        ..index_req.clone()
    })?;
    let comparison_dir = out.join("comparison");
    let comparison = crate::compare::run(&crate::compare::CompareRequest::new(
        prev_indices_dir.clone(),
        indices_dir.clone(),
        None,
        comparison_dir.clone(),
    )?)?;
    observer.done();
    observer.say(&format!(
        "last year: {} respondents in {} units before the reform, re-estimated on today's units in {}\n",
        prev.respondents,
        prev.old_units,
        prev_indices_dir.display()
    ));
    observer.say(&comparison.summary());

    observer.step("timeliness from the records");
    let timeliness_dir = out.join("timeliness");
    let (tl, _) = timeliness::run(&timeliness::TimelinessRequest {
        records: records_path.clone(),
        layout: Default::default(),
        columns: ColumnMap::default(),
        window: Some(sample_req.design.window),
        applicant_types: sample_req.design.applicant_types.clone(),
        settings: timeliness::TimelinessSettings::default(),
        max_rejected: crate::sample::DEFAULT_MAX_REJECTED,
        out: timeliness_dir.clone(),
    })?;
    observer.done();
    observer.say(&tl.summary());

    let survey_path = indices_dir.join("indices.csv");
    if let Some(r) = indices
        .rows
        .iter()
        .find(|r| r.domain == "ALL" && r.indicator == "overall" && r.measure == "satisfied_pct")
    {
        observer.say(&format!(
            "indices: {} respondents (complete and partial); overall satisfaction {:.2}% (95% CI {:.2}–{:.2}%) in {}\n",
            indices.data.len(),
            r.estimate.unwrap_or(f64::NAN),
            r.ci_lower.unwrap_or(f64::NAN),
            r.ci_upper.unwrap_or(f64::NAN),
            survey_path.display()
        ));
    }

    // PAR INDEX: the departments on par-so.toml, the communes on par-xa.toml, their survey
    // criteria from the demo's indices. The frameworks and the scores are written first and
    // read back as `chiso par` reads them, so the printed commands give the same files.
    observer.step("scoring the PAR INDEX");
    let par_dir = out.join("par");
    let survey = par::Survey::read(&survey_path)?;
    let province = units(&spec);
    let mut staged = Staged::new(&par_dir, true, &[])?;
    let mut par_runs: Vec<ParRun> = Vec::new();
    for (group, text) in [("so", DEMO_PAR_SO), ("xa", DEMO_PAR_XA)] {
        let framework = format!("framework-{group}.toml");
        let fw = par::Framework::from_toml(text, &framework)?;
        let (scored, unscored): (Vec<&Unit>, Vec<&Unit>) = province
            .iter()
            .filter(|u| u.group == group)
            .partition(|u| par_surveyed(&fw, &survey, &u.code, group));
        if !unscored.is_empty() {
            let codes: Vec<&str> = unscored.iter().map(|u| u.code.as_str()).collect();
            observer.say(&format!(
                "par:     {} not scored: too few respondents for the survey criteria\n",
                codes.join(", ")
            ));
        }
        if scored.is_empty() {
            continue;
        }
        let scores = format!("scores-{group}.csv");
        let mut bytes = Vec::new();
        write_par_scores(&fw, &scored, group, spec.seed, &mut bytes)
            .map_err(io(&par_dir.join(&scores)))?;
        staged.add(&framework, text.as_bytes());
        staged.add(&scores, bytes);
        par_runs.push(ParRun {
            framework: par_dir.join(framework),
            scores: par_dir.join(scores),
            out: par_dir.join(group),
        });
    }
    staged.commit()?;
    observer.done();
    observer.bar("ranking the PAR INDEX", par_runs.len() as u64);
    for (k, run) in par_runs.iter().enumerate() {
        let fw = par::Framework::load(&run.framework)?;
        let (result, _) = par::run(&par::ParRequest {
            framework: fw.clone(),
            scores: run.scores.clone(),
            sheet: None,
            reading: par::ReadOptions::default(),
            survey: Some(survey_path.clone()),
            settings: par::Settings::default(),
            out: run.out.clone(),
        })?;
        observer.advance(k as u64 + 1);
        observer.say(&result.group_summary(&fw, &run.out));
    }
    observer.done();

    // The internal report (everything, officers included) and the public one, for the
    // province's web site (no officer, no estimate on too few answers).
    observer.step("writing the reports");
    let report_dir = out.join("report");
    let public_dir = out.join("public");
    let sources = report::Sources {
        indices: indices_dir.clone(),
        par: par_runs.iter().map(|r| r.out.clone()).collect(),
        timeliness: Some(timeliness_dir.clone()),
        manifest: Some(manifest_path.clone()),
        compare: Some(comparison_dir.clone()),
        title: Some(DEMO_TITLE.to_string()),
        public: false,
    };
    report::write(&report_dir, &report::Inputs::load(&sources)?)?;
    let public_sources = report::Sources {
        public: true,
        ..sources.clone()
    };
    report::write(&public_dir, &report::Inputs::load(&public_sources)?)?;
    observer.done();

    let page = report_dir.join("report.html");
    let workbook = report_dir.join("report.xlsx");
    let mut text = format!(
        "\nopen the report: {} (web page), {} (workbook)\n\
         the public version, for the web site (no officers, no estimate on fewer than {} answers): {}\n",
        page.display(),
        workbook.display(),
        report::PUBLIC_MIN_ANSWERS,
        public_dir.join("report.html").display()
    );
    text += "\nan auditor re-draws the same lists with:\n";
    text += &format!(
        "  chiso verify --records {} --manifest {} --sample {}\n",
        sh(&records_path),
        sh(&manifest_path),
        sh(&sample_csv)
    );
    text += &format!(
        "and re-computes every published index from its inputs with:\n  chiso verify --indices {} \
         --responses {} --questionnaire {} --sample {}\n",
        sh(&indices_dir),
        sh(&responses_path),
        sh(&q_path),
        sh(&sample_dir)
    );
    text += "each step again by hand (the same files result):\n";
    text += &format!(
        "  chiso commit --records {} --design {} --seed-source {} --out {} --force\n",
        sh(&records_path),
        sh(&design_path),
        sh_text(DEMO_SEED_SOURCE),
        sh(&commitment_dir)
    );
    text += &format!(
        "  chiso sample --records {} --design {} --seed {} --commitment {} --out {} --force\n",
        sh(&records_path),
        sh(&design_path),
        sh_text(DEMO_SEED),
        sh(&commitment_dir.join("commitment.json")),
        sh(&sample_dir)
    );
    text += &format!(
        "  chiso commit --manifest {} --seed-source {} --out {}\n",
        sh(&manifest_path),
        sh_text(DEMO_SEED_SOURCE),
        sh(&out.join("bien-ban"))
    );
    text += &format!(
        "  chiso index --responses {} --questionnaire {} --sample {} --out {}\n",
        sh(&responses_path),
        sh(&q_path),
        sh(&sample_dir),
        sh(&indices_dir)
    );
    text += &format!(
        "  chiso index --responses {} --questionnaire {} --population {} --domains {} --out {}\n",
        sh(&prev_responses),
        sh(&q_path),
        sh(&prev_population),
        sh(&prev_domains),
        sh(&prev_indices_dir)
    );
    text += &format!(
        "  chiso compare --previous {} --current {} --out {}\n",
        sh(&prev_indices_dir),
        sh(&indices_dir),
        sh(&comparison_dir)
    );
    text += &format!(
        "  chiso timeliness --records {} --design {} --out {}\n",
        sh(&records_path),
        sh(&design_path),
        sh(&timeliness_dir)
    );
    for run in &par_runs {
        text += &format!(
            "  chiso par --framework {} --scores {} --survey {} --out {}\n",
            sh(&run.framework),
            sh(&run.scores),
            sh(&survey_path),
            sh(&run.out)
        );
    }
    let pars: String = par_runs
        .iter()
        .map(|r| format!(" --par {}", sh(&r.out)))
        .collect();
    for (dir, public) in [(&report_dir, ""), (&public_dir, " --public")] {
        text += &format!(
            "  chiso report --indices {}{pars} --timeliness {} --manifest {} --compare {} --title {}{public} --out {}\n",
            sh(&indices_dir),
            sh(&timeliness_dir),
            sh(&manifest_path),
            sh(&comparison_dir),
            sh_text(DEMO_TITLE),
            sh(dir)
        );
    }
    observer.say(&text);
    Ok(DemoOutput {
        verified: check.identical(),
        page,
        workbook,
    })
}

/// A path as a shell word (see [`sh_text`]).
fn sh(path: &std::path::Path) -> String {
    sh_text(&path.display().to_string())
}

/// Text as one shell word for the commands the demo prints: as it is when it holds only
/// characters no shell treats specially, else in single quotes (a quote inside as `'\''`).
fn sh_text(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c));
    if plain {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_province_is_reproducible_and_skewed() {
        let spec = ProvinceSpec {
            records: 5_000,
            ..ProvinceSpec::default()
        };
        let mut a = Vec::new();
        let mut b = Vec::new();
        write_records(&spec, &mut a).unwrap();
        write_records(&spec, &mut b).unwrap();
        assert_eq!(a, b);
        let u = units(&spec);
        assert_eq!(u.len(), 120);
        let max = u.iter().map(|u| u.weight).fold(0.0, f64::max);
        let min = u.iter().map(|u| u.weight).fold(f64::MAX, f64::min);
        assert!(max / min > 20.0, "volumes are skewed: {min} .. {max}");
        // Today's units: departments and communes, wards and one special zone, all named
        // differently; no district.
        let mut names: Vec<&str> = u.iter().map(|u| u.name.as_str()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), u.len());
        assert_eq!(u.iter().filter(|u| u.group == "so").count(), 20);
        let kinds = |k: &str| u.iter().filter(|u| u.name.starts_with(k)).count();
        assert_eq!(kinds("UBND phường "), 25);
        assert_eq!(kinds("UBND đặc khu "), 1);
        assert_eq!(kinds("UBND xã "), 74);
        // Most units are within the 2% ceiling of late records, a few are not.
        let above = u.iter().filter(|u| u.late > 0.02).count();
        assert!((3..=25).contains(&above), "{above} units above 2%");
    }

    fn par_rows(fw: &str, group: &str, units: &[&Unit]) -> Vec<csv::StringRecord> {
        let fw = crate::par::Framework::from_toml(fw, "framework.toml").unwrap();
        let mut bytes = Vec::new();
        let n = write_par_scores(&fw, units, group, 2024, &mut bytes).unwrap();
        let rows: Vec<csv::StringRecord> = csv::Reader::from_reader(bytes.as_slice())
            .records()
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(rows.len() as u64, n);
        rows
    }

    #[test]
    fn par_scores_cover_every_self_assessed_item_and_read_back() {
        let spec = ProvinceSpec::default();
        let all = units(&spec);
        let so: Vec<&Unit> = all.iter().filter(|u| u.group == "so").collect();
        let xa: Vec<&Unit> = all.iter().filter(|u| u.group == "xa").collect();
        for (text, group, units, items) in [
            // par-so.toml, for a `so` unit: fields 1 to 7 have 6, 3, 6, 3, 4, 3 and 5 scored
            // items (criteria 1.1 and 3.1 count through their two sub-criteria each), and
            // field 8 one (8.3): 31. par-xa.toml splits 3.3 into two sub-criteria: 32.
            (DEMO_PAR_SO, "so", &so, 31),
            (DEMO_PAR_XA, "xa", &xa, 32),
        ] {
            let fw = crate::par::Framework::from_toml(text, "framework.toml").unwrap();
            let self_items = fw
                .criteria
                .iter()
                .filter(|c| {
                    matches!(c.source, crate::par::Source::SelfAssessed) && c.applies_to(group)
                })
                .count();
            assert_eq!(self_items, items);
            let rows = par_rows(text, group, units);
            assert_eq!(rows.len(), items * units.len());
            let (mut lowered, mut noted) = (0, 0);
            for r in &rows {
                let c = &fw.criteria[fw.criterion(&r[3]).unwrap()];
                let own: f64 = r[4].parse().unwrap();
                let appraised: f64 = r[5].parse().unwrap();
                assert!((0.0..=c.max).contains(&own), "{r:?}");
                assert!(appraised <= own && appraised >= 0.0, "{r:?}");
                assert_eq!((own * 4.0).fract(), 0.0, "quarter points: {r:?}");
                assert_eq!((appraised * 4.0).fract(), 0.0, "quarter points: {r:?}");
                assert_eq!(
                    appraised < own,
                    !r[6].is_empty(),
                    "a note on every cut: {r:?}"
                );
                lowered += (appraised < own) as usize;
                noted += (!r[6].is_empty()) as usize;
                assert_eq!(&r[2], group);
            }
            // Some, not most, scores are lowered by the council.
            assert!(
                lowered > 0 && lowered * 4 < rows.len(),
                "{lowered} of {}",
                rows.len()
            );
            assert_eq!(lowered, noted);
            // The file is a valid `chiso par` input.
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("scores.csv");
            let mut bytes = Vec::new();
            write_par_scores(&fw, units, group, 2024, &mut bytes).unwrap();
            std::fs::write(&path, &bytes).unwrap();
            let scores = crate::par::Scores::read(&path, None, &fw).unwrap();
            assert_eq!(scores.units.len(), units.len());
            assert_eq!(scores.units[0].name, units[0].name);
        }
    }

    #[test]
    fn a_units_par_scores_depend_on_its_code_and_the_seed_only() {
        let all = units(&ProvinceSpec::default());
        let so: Vec<&Unit> = all.iter().filter(|u| u.group == "so").collect();
        let both = par_rows(DEMO_PAR_SO, "so", &[so[0], so[1]]);
        let second = par_rows(DEMO_PAR_SO, "so", &[so[1]]);
        assert_eq!(&both[31..], second.as_slice());
        assert_eq!(par_rows(DEMO_PAR_SO, "so", &[so[1]]), second);
        // Two units do not get the same scores.
        let first: Vec<&str> = both[..31].iter().map(|r| &r[4]).collect();
        let other: Vec<&str> = both[31..].iter().map(|r| &r[4]).collect();
        assert_ne!(first, other);
    }

    #[test]
    fn last_years_units_map_onto_todays() {
        let spec = ProvinceSpec::default();
        let items: Vec<String> = (1..=4).map(|i| format!("Q{i}")).collect();
        let prev = previous_year(&spec, &items);
        assert_eq!(prev, previous_year(&spec, &items), "reproducible");
        let rows = |bytes: &[u8]| -> Vec<csv::StringRecord> {
            csv::Reader::from_reader(bytes)
                .records()
                .map(|r| r.unwrap())
                .collect()
        };
        let (responses, population, domains) = (
            rows(&prev.responses),
            rows(&prev.population),
            rows(&prev.domains),
        );
        assert_eq!(responses.len(), prev.respondents);
        assert_eq!(population.len(), prev.old_units);
        assert_eq!(domains.len(), prev.old_units);
        let today = units(&spec);
        for d in &domains {
            let u = today
                .iter()
                .find(|u| u.code == d[1])
                .expect("a unit of today");
            assert_eq!((&d[2], &d[3]), (u.name.as_str(), u.group));
        }
        // Every commune of today had one or more predecessors; the departments that merged
        // share one, and the agencies new to the survey have none.
        for u in today.iter().filter(|u| u.group == "xa") {
            assert!(domains.iter().any(|d| d[1] == u.code), "{}", u.code);
        }
        let before = |code: &str| domains.iter().filter(|d| &d[1] == code).count();
        assert_eq!(
            before("SO03"),
            2,
            "Kế hoạch và Đầu tư merged into Tài chính"
        );
        assert_eq!(before("SO16"), 0);
        assert!(prev.old_units > 120 + 50);
        // Each old unit's respondents are counted in its population.
        for p in &population {
            let n = responses.iter().filter(|r| r[0] == p[0]).count() as u64;
            let size: u64 = p[1].parse().unwrap();
            assert!(n >= 8 && size >= 8 * n, "{p:?}: {n}");
        }
    }

    #[test]
    fn reserves_do_not_change_the_officials_answers() {
        use crate::sample::Role;
        let items: Vec<String> = (1..=22).map(|i| format!("Q{i:02}")).collect();
        let mut with = String::from("stratum,role,rank,applicant_id,record_id,unit_code\n");
        let mut without = with.clone();
        for u in 0..4 {
            for k in 1..=6 {
                let row = format!("U{u},official,{k},A{u}{k},R{u}{k},U{u}\n");
                with.push_str(&row);
                without.push_str(&row);
            }
            for k in 1..=3 {
                with.push_str(&format!("U{u},reserve,{k},B{u}{k},S{u}{k},U{u}\n"));
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let (p, q) = (dir.path().join("with.csv"), dir.path().join("without.csv"));
        std::fs::write(&p, with).unwrap();
        std::fs::write(&q, without).unwrap();
        let a = simulate_answers(&p, &items, 7).unwrap();
        let b = simulate_answers(&q, &items, 7).unwrap();
        for u in 0..4 {
            let s = format!("U{u}");
            for k in 1..=6 {
                assert_eq!(a.get(&s, Role::Official, k), b.get(&s, Role::Official, k));
                assert_eq!(a.get(&s, Role::Official, k).unwrap().len(), 22);
            }
            assert_eq!(a.get(&s, Role::Reserve, 3).unwrap().len(), 22);
            assert_eq!(b.get(&s, Role::Reserve, 1), None);
        }
        // Different people answer differently.
        assert_ne!(
            a.get("U0", Role::Reserve, 1),
            a.get("U0", Role::Official, 1)
        );
    }
}
