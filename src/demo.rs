//! A synthetic province for the demo and the benchmarks: departments (sở), districts
//! (huyện) and communes (xã) with skewed volumes, people and organisations, three channels,
//! early, on-time and late results. Everything is generated from a fixed ChaCha20 stream, so
//! the same parameters always give the same file. All names, identifiers and phone numbers
//! are invented.

use std::io::Write;

use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use sha2::{Digest, Sha256};

/// The shape of a synthetic province.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProvinceSpec {
    /// Departments (`so`).
    pub departments: usize,
    /// Districts (`huyen`).
    pub districts: usize,
    /// Communes (`xa`).
    pub communes: usize,
    /// Approximate number of records.
    pub records: usize,
    /// Generator seed.
    pub seed: u64,
}

impl Default for ProvinceSpec {
    fn default() -> ProvinceSpec {
        ProvinceSpec {
            departments: 20,
            districts: 9,
            communes: 150,
            records: 300_000,
            seed: 2024,
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
    /// `so`, `huyen` or `xa`.
    pub group: &'static str,
    /// Its share of the records.
    pub weight: f64,
}

const DEPARTMENTS: [&str; 20] = [
    "Sở Tư pháp",
    "Sở Kế hoạch và Đầu tư",
    "Sở Tài chính",
    "Sở Xây dựng",
    "Sở Giao thông vận tải",
    "Sở Tài nguyên và Môi trường",
    "Sở Công Thương",
    "Sở Nông nghiệp và Phát triển nông thôn",
    "Sở Lao động - Thương binh và Xã hội",
    "Sở Y tế",
    "Sở Giáo dục và Đào tạo",
    "Sở Văn hóa, Thể thao và Du lịch",
    "Sở Thông tin và Truyền thông",
    "Sở Khoa học và Công nghệ",
    "Sở Nội vụ",
    "Ban Dân tộc",
    "Thanh tra tỉnh",
    "Ban Quản lý các khu công nghiệp",
    "Sở Ngoại vụ",
    "Văn phòng UBND tỉnh",
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

/// A small deterministic generator over ChaCha20 with our own bounded draws.
struct Gen(ChaCha20Rng);

impl Gen {
    fn new(seed: u64, purpose: &str) -> Gen {
        let mut h = Sha256::new();
        h.update(b"chiso-demo-v1\0");
        h.update(seed.to_le_bytes());
        h.update(purpose.as_bytes());
        Gen(ChaCha20Rng::from_seed(h.finalize().into()))
    }

    /// Uniform on [0, 1) with 53 bits.
    fn unit(&mut self) -> f64 {
        (self.0.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform on `0..n` (n > 0), without modulo bias (rejection on the top range).
    fn below(&mut self, n: u64) -> u64 {
        let zone = u64::MAX - (u64::MAX % n + 1) % n;
        loop {
            let x = self.0.next_u64();
            if x <= zone {
                return x % n;
            }
        }
    }

    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len() as u64) as usize]
    }

    /// Standard normal (Box–Muller).
    fn normal(&mut self) -> f64 {
        let u = 1.0 - self.unit();
        let v = self.unit();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

/// The units of a synthetic province with their (skewed) shares of the records.
pub fn units(spec: &ProvinceSpec) -> Vec<Unit> {
    let mut g = Gen::new(spec.seed, "units");
    let mut out = Vec::new();
    for i in 0..spec.departments {
        let name = DEPARTMENTS
            .get(i)
            .map_or_else(|| format!("Sở số {}", i + 1), |s| s.to_string());
        out.push(Unit {
            code: format!("SO{:02}", i + 1),
            name,
            group: "so",
            weight: 3.0 * (0.9 * g.normal()).exp(),
        });
    }
    for i in 0..spec.districts {
        out.push(Unit {
            code: format!("HUYEN{:02}", i + 1),
            name: format!("UBND huyện {}", PLACES[i % PLACES.len()]),
            group: "huyen",
            weight: 4.0 * (0.5 * g.normal()).exp(),
        });
    }
    for i in 0..spec.communes {
        out.push(Unit {
            code: format!("XA{:03}", i + 1),
            name: format!(
                "UBND xã {} {}",
                PLACES[(i * 7 + 3) % PLACES.len()],
                i / PLACES.len() + 1
            ),
            group: "xa",
            weight: 0.5 * (0.8 * g.normal()).exp(),
        });
    }
    out
}

/// Writes the records CSV of a synthetic province (the columns of CONTRACT.md) and returns
/// the number of records written.
pub fn write_records<W: Write>(spec: &ProvinceSpec, out: W) -> std::io::Result<u64> {
    let units = units(spec);
    let total_weight: f64 = units.iter().map(|u| u.weight).sum();
    let mut g = Gen::new(spec.seed, "records");
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(out);
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
    let start = chrono::NaiveDate::from_ymd_opt(2023, 12, 1).expect("date");
    let mut written = 0u64;
    for (ui, u) in units.iter().enumerate() {
        let n = ((spec.records as f64) * u.weight / total_weight)
            .round()
            .max(5.0) as u64;
        let pool = (n as f64 * 0.75).ceil().max(1.0) as u64;
        let officers = 3 + g.below(6);
        let org_share = match u.group {
            "so" => 0.35,
            "huyen" => 0.15,
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
            let returned = match g.unit() {
                x if x < 0.02 => None,
                x if x < 0.05 => Some(due + chrono::Days::new(1 + g.below(10))),
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
    }
    w.flush()?;
    Ok(written)
}

/// The design the demo draws with: the Ministry's formula per unit, half as many reserves.
pub const DEMO_DESIGN: &str = r#"# Demo design: one stratum per unit, the Ministry of Home Affairs formula
# n = N / (1 + N e^2) with e = 0.08, and one reserve for every two official respondents.
[frame]
window = ["2024-01-01", "2024-09-30"]
strata = ["unit_code"]

[size]
mode = "yamane"
e = 0.08
min = 30

[reserve]
ratio = 0.5
"#;

/// The seed the demo publishes.
pub const DEMO_SEED: &str = "demo-2024-10-01-xo-so-123456";

/// The questionnaire the demo answers: the shipped five-element SIPAS questionnaire.
pub const DEMO_QUESTIONNAIRE: &str = include_str!("../questionnaires/sipas-5-elements.toml");

/// Simulated fieldwork: every official respondent of `sample_csv` answers every item of `q`
/// (about 3% "no answer"), with a satisfaction level of its own for every unit. Writes the
/// responses CSV (`applicant_id` then one column per item) and returns how many rows.
pub fn write_responses<W: Write>(
    sample_csv: &[u8],
    items: &[String],
    seed: u64,
    out: W,
) -> std::io::Result<u64> {
    let mut g = Gen::new(seed, "responses");
    let mut level: std::collections::HashMap<String, f64> = std::collections::HashMap::new();
    let mut rdr = csv::Reader::from_reader(sample_csv);
    let headers = rdr.headers()?.clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .expect("a chiso sample.csv")
    };
    let (role, applicant, unit) = (col("role"), col("applicant_id"), col("unit_code"));
    let item_effect: Vec<f64> = items.iter().map(|_| 0.3 * g.normal()).collect();
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(out);
    w.write_record(std::iter::once("applicant_id").chain(items.iter().map(String::as_str)))?;
    let mut n = 0;
    for r in rdr.records() {
        let r = r?;
        if &r[role] != "official" {
            continue;
        }
        let u = *level
            .entry(r[unit].to_string())
            .or_insert_with(|| 0.55 * g.normal());
        let mut rec = vec![r[applicant].to_string()];
        for e in &item_effect {
            let x = g.unit();
            rec.push(if x < 0.02 {
                "9".to_string()
            } else if x < 0.03 {
                String::new()
            } else {
                let v = (3.9 + u + e + 0.8 * g.normal()).round().clamp(1.0, 5.0);
                format!("{v}")
            });
        }
        w.write_record(&rec)?;
        n += 1;
    }
    w.flush()?;
    Ok(n)
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
        assert_eq!(u.len(), 179);
        let max = u.iter().map(|u| u.weight).fold(0.0, f64::max);
        let min = u.iter().map(|u| u.weight).fold(f64::MAX, f64::min);
        assert!(max / min > 20.0, "volumes are skewed: {min} .. {max}");
    }
}
