//! The questionnaire: items (tiêu chí) grouped into elements (yếu tố), and the answer scale,
//! parsed once from TOML into a validated [`Questionnaire`].
//!
//! ```toml
//! name = "SIPAS five elements"
//! [scale]
//! min = 1
//! max = 5
//! satisfied = [4, 5]
//! dissatisfied = [1, 2]
//! missing = [0, 9]      # codes meaning no answer; an empty cell is also no answer
//! labels = ["Rất không hài lòng", "Không hài lòng", "Bình thường", "Hài lòng", "Rất hài lòng"]
//! missing_labels = ["Không ý kiến"]
//!
//! [[element]]
//! code = "E1"
//! name = "Tiếp cận dịch vụ"
//! items = ["Q01", "Q02", "Q03"]
//! ```
//!
//! An element's index is the mean of its item indices and the overall index the mean of the
//! element indices, unless elements carry a `weight` (then the overall index is the weighted
//! mean, weights normalised to sum to one). Item texts may be given in an `[items]` table; a
//! responses column whose header is an item's text is read as that item. Answers may be
//! written as the scale's `labels` (from `min` to `max`) and `missing_labels`, matched after
//! [`crate::text::fold`]. `[columns]` names the headers an export uses for `unit_code`,
//! `applicant_id`, `stratum` and `disposition`.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};

/// The byte that stands for "no answer" in decoded answers.
pub const NO_ANSWER: u8 = u8::MAX;

/// The questionnaire as written in TOML.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuestionnaireSpec {
    /// Its name.
    pub name: String,
    /// The answer scale.
    pub scale: ScaleSpec,
    /// The elements, in order.
    #[serde(rename = "element", default)]
    pub elements: Vec<ElementSpec>,
    /// Item code → item text (optional).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub items: BTreeMap<String, String>,
    /// The headers an export uses for the responses' named columns (optional).
    #[serde(default, skip_serializing_if = "ColumnsSpec::is_empty")]
    pub columns: ColumnsSpec,
}

/// `[columns]`: the header of each named column of the responses in an export (e.g. an online
/// form's question text), when it is not the column's own name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnsSpec {
    /// The header of `unit_code`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_code: Option<String>,
    /// The header of `applicant_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applicant_id: Option<String>,
    /// The header of `stratum`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stratum: Option<String>,
    /// The header of `disposition`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disposition: Option<String>,
}

impl ColumnsSpec {
    /// Whether no header is given.
    pub fn is_empty(&self) -> bool {
        *self == ColumnsSpec::default()
    }

    /// The header given for the named column `name`, if any.
    pub fn header(&self, name: &str) -> Option<&str> {
        match name {
            "unit_code" => self.unit_code.as_deref(),
            "applicant_id" => self.applicant_id.as_deref(),
            "stratum" => self.stratum.as_deref(),
            "disposition" => self.disposition.as_deref(),
            _ => None,
        }
    }
}

/// `[scale]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScaleSpec {
    /// The lowest answer.
    pub min: i64,
    /// The highest answer.
    pub max: i64,
    /// Answers counted as satisfied.
    pub satisfied: Vec<i64>,
    /// Answers counted as dissatisfied.
    pub dissatisfied: Vec<i64>,
    /// Codes meaning no answer (excluded from denominators).
    #[serde(default)]
    pub missing: Vec<i64>,
    /// The answers `min..=max` as texts (optional): one per value, distinct.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<String>,
    /// Texts meaning no answer (optional).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing_labels: Vec<String>,
}

/// `[[element]]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ElementSpec {
    /// Its code, e.g. `E1`.
    pub code: String,
    /// Its name.
    pub name: String,
    /// Its item codes, in order.
    pub items: Vec<String>,
    /// Its weight in the overall index (default: equal weights).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<f64>,
    /// The weights of its items in the element's index, in item order (default: equal
    /// weights, the mean of the item indices).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_weights: Option<Vec<f64>>,
}

/// A validated answer scale.
#[derive(Clone, Debug, PartialEq)]
pub struct Scale {
    /// The lowest answer.
    pub min: u8,
    /// The highest answer.
    pub max: u8,
    satisfied: Vec<u8>,
    dissatisfied: Vec<u8>,
    missing: Vec<u8>,
    /// The labels of `min..=max` as written, and folded.
    labels: Vec<(String, String)>,
    /// The no-answer labels as written, and folded.
    missing_labels: Vec<(String, String)>,
    /// What [`Scale::read`] makes of each cell of one ASCII byte, by its byte.
    one_byte: [Option<Answer>; 128],
}

/// What an answer cell means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// A value on the scale.
    Valid(u8),
    /// No answer (an empty cell or a missing code).
    Missing,
}

impl Scale {
    /// Reads one answer cell: a value on the scale, or no answer; `None` if it is neither.
    ///
    /// A cell that is not a whole number is compared with the labels after
    /// [`crate::text::fold`]: a label of the scale is its value, a no-answer label no answer.
    #[inline]
    pub fn read(&self, cell: &str) -> Option<Answer> {
        match cell.as_bytes() {
            [] => Some(Answer::Missing),
            // One ASCII byte (a digit, the common case): looked up.
            &[b] if b < 128 => self.one_byte[b as usize],
            _ => self.read_text(cell),
        }
    }

    /// [`Scale::read`] without the look-up of one-byte cells (which it makes).
    fn read_text(&self, cell: &str) -> Option<Answer> {
        if cell.is_empty() {
            return Some(Answer::Missing);
        }
        let Ok(v) = cell.parse::<i64>() else {
            return self.read_label(cell);
        };
        let v = u8::try_from(v).ok()?;
        if self.missing.contains(&v) {
            Some(Answer::Missing)
        } else if (self.min..=self.max).contains(&v) {
            Some(Answer::Valid(v))
        } else {
            None
        }
    }

    /// The scale of these fields, with its look-up of one-byte cells made.
    fn with_one_byte_cells(mut self) -> Scale {
        self.one_byte = std::array::from_fn(|b| {
            let cell = [b as u8];
            self.read_text(std::str::from_utf8(&cell).expect("an ASCII byte is UTF-8"))
        });
        self
    }

    fn read_label(&self, cell: &str) -> Option<Answer> {
        if self.labels.is_empty() && self.missing_labels.is_empty() {
            return None;
        }
        let folded = crate::text::fold(cell);
        if let Some(k) = self.labels.iter().position(|(_, f)| *f == folded) {
            return Some(Answer::Valid(self.min + k as u8));
        }
        if self.missing_labels.iter().any(|(_, f)| *f == folded) {
            return Some(Answer::Missing);
        }
        if folded.is_empty() {
            // A cell of white space only.
            return Some(Answer::Missing);
        }
        None
    }

    /// The labels of `min..=max`, as written (empty when the scale has none).
    pub fn labels(&self) -> impl Iterator<Item = &str> {
        self.labels.iter().map(|(l, _)| l.as_str())
    }

    /// The texts meaning no answer, as written (empty when the scale has none).
    pub fn missing_labels(&self) -> impl Iterator<Item = &str> {
        self.missing_labels.iter().map(|(l, _)| l.as_str())
    }

    /// Whether the scale has labels.
    pub fn has_labels(&self) -> bool {
        !self.labels.is_empty()
    }

    /// What an answer cell may hold, for messages: the values, the labels, the no-answer
    /// codes and labels, or an empty cell.
    pub fn expected(&self) -> String {
        let mut text = format!("a whole number from {} to {}", self.min, self.max);
        if !self.labels.is_empty() {
            let list: Vec<String> = self.labels.iter().map(|(l, _)| format!("{l:?}")).collect();
            text += &format!(", a label ({})", list.join(", "));
        }
        if !self.missing.is_empty() {
            let list: Vec<String> = self.missing.iter().map(u8::to_string).collect();
            text += &format!(", a no-answer code ({})", list.join(", "));
        }
        if !self.missing_labels.is_empty() {
            let list: Vec<String> = self
                .missing_labels
                .iter()
                .map(|(l, _)| format!("{l:?}"))
                .collect();
            text += &format!(", a no-answer label ({})", list.join(", "));
        }
        text + " or an empty cell"
    }

    /// Whether a valid answer counts as satisfied.
    pub fn is_satisfied(&self, v: u8) -> bool {
        self.satisfied.contains(&v)
    }

    /// Whether a valid answer counts as dissatisfied.
    pub fn is_dissatisfied(&self, v: u8) -> bool {
        self.dissatisfied.contains(&v)
    }

    /// The missing codes.
    pub fn missing(&self) -> &[u8] {
        &self.missing
    }
}

/// A validated element.
#[derive(Clone, Debug, PartialEq)]
pub struct Element {
    /// Its code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// Indices into [`Questionnaire::items`].
    pub items: Vec<usize>,
    /// Its weight in the overall index (the weights sum to one).
    pub weight: f64,
    /// Its items' weights in its index, parallel to `items` (they sum to one).
    pub item_weights: Vec<f64>,
}

/// A validated questionnaire.
#[derive(Clone, Debug, PartialEq)]
pub struct Questionnaire {
    spec: QuestionnaireSpec,
    /// Its name.
    pub name: String,
    /// The scale.
    pub scale: Scale,
    /// Every item code, in element order.
    pub items: Vec<String>,
    /// The elements.
    pub elements: Vec<Element>,
    /// The file it was read from, with the SHA-256 of the bytes read (`None` when it was
    /// built from a spec in memory).
    pub source: Option<crate::provenance::FileDigest>,
}

impl Questionnaire {
    /// Reads and validates a questionnaire file.
    pub fn load(path: &Path) -> Result<Questionnaire> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let spec: QuestionnaireSpec = toml::from_str(&text).map_err(|e| ErrorKind::Malformed {
            at: crate::Position::file(name.clone()),
            message: format!("not a valid questionnaire: {}", e.to_string().trim_end()),
        })?;
        let mut q = Questionnaire::from_spec(spec, &name)?;
        q.source = Some(crate::provenance::FileDigest::of_bytes(
            path,
            text.as_bytes(),
        ));
        Ok(q)
    }

    /// Validates a questionnaire. `file` names it in messages.
    pub fn from_spec(spec: QuestionnaireSpec, file: &str) -> Result<Questionnaire> {
        let err = |key: &str, msg: String| Error::design(file, key, msg);
        let sc = &spec.scale;
        let in_byte = |key: &str, v: i64| -> Result<u8> {
            u8::try_from(v).map_err(|_| err(key, format!("{v} is not a code from 0 to 255")))
        };
        let (min, max) = (
            in_byte("[scale] min", sc.min)?,
            in_byte("[scale] max", sc.max)?,
        );
        if max == NO_ANSWER {
            return Err(err(
                "[scale] max",
                format!("max = {max} is the code kept for no answer; a scale ends at 254 at most"),
            ));
        }
        if min >= max {
            return Err(err(
                "[scale] max",
                format!("max = {max} must be above min = {min}, e.g. min = 1, max = 5"),
            ));
        }
        let codes = |key: &str, vs: &[i64], on_scale: bool| -> Result<Vec<u8>> {
            let mut out = Vec::with_capacity(vs.len());
            for &v in vs {
                let b = in_byte(key, v)?;
                if on_scale != (min..=max).contains(&b) {
                    let want = if on_scale {
                        format!("on the scale {min}..{max}")
                    } else {
                        format!("outside the scale {min}..{max}")
                    };
                    return Err(err(key, format!("{v} must be {want}")));
                }
                if out.contains(&b) {
                    return Err(err(key, format!("{v} is listed twice")));
                }
                out.push(b);
            }
            Ok(out)
        };
        let satisfied = codes("[scale] satisfied", &sc.satisfied, true)?;
        let dissatisfied = codes("[scale] dissatisfied", &sc.dissatisfied, true)?;
        let missing = codes("[scale] missing", &sc.missing, false)?;
        let fold_all = |key: &str, texts: &[String]| -> Result<Vec<(String, String)>> {
            let mut out: Vec<(String, String)> = Vec::with_capacity(texts.len());
            for t in texts {
                let f = crate::text::fold(t).into_owned();
                if f.is_empty() {
                    return Err(err(key, "a label is empty".into()));
                }
                if f.parse::<i64>().is_ok() {
                    return Err(err(
                        key,
                        format!("{t:?} is a number: a label is a text, a number is read as a code"),
                    ));
                }
                if let Some((other, _)) = out.iter().find(|(_, g)| *g == f) {
                    return Err(err(
                        key,
                        format!(
                            "{t:?} and {other:?} are the same label once case and spacing are set aside"
                        ),
                    ));
                }
                out.push((t.clone(), f));
            }
            Ok(out)
        };
        let labels = fold_all("[scale] labels", &sc.labels)?;
        let values = usize::from(max - min) + 1;
        if !labels.is_empty() && labels.len() != values {
            return Err(err(
                "[scale] labels",
                format!(
                    "{} labels for the {values} answers from {min} to {max}: give one label per \
                     answer, from {min} to {max}",
                    labels.len()
                ),
            ));
        }
        let missing_labels = fold_all("[scale] missing_labels", &sc.missing_labels)?;
        if let Some((t, _)) = missing_labels
            .iter()
            .find(|(_, f)| labels.iter().any(|(_, g)| g == f))
        {
            return Err(err(
                "[scale] missing_labels",
                format!("{t:?} is also a label of the scale"),
            ));
        }
        for (name, header) in [
            ("unit_code", &spec.columns.unit_code),
            ("applicant_id", &spec.columns.applicant_id),
            ("stratum", &spec.columns.stratum),
            ("disposition", &spec.columns.disposition),
        ] {
            if header
                .as_deref()
                .is_some_and(|h| crate::text::fold(h).is_empty())
            {
                return Err(err(
                    &format!("[columns] {name}"),
                    "the header is empty".into(),
                ));
            }
        }
        if satisfied.is_empty() {
            return Err(err(
                "[scale] satisfied",
                "list the answers that count as satisfied, e.g. [4, 5]".into(),
            ));
        }
        if let Some(v) = satisfied.iter().find(|v| dissatisfied.contains(v)) {
            return Err(err(
                "[scale] dissatisfied",
                format!("{v} is both satisfied and dissatisfied"),
            ));
        }
        if spec.elements.is_empty() {
            return Err(err(
                "[[element]]",
                "the questionnaire has no element".into(),
            ));
        }
        let mut items: Vec<String> = Vec::new();
        let mut owner: BTreeMap<&str, &str> = BTreeMap::new();
        let mut elements = Vec::with_capacity(spec.elements.len());
        let weighted = spec.elements.iter().any(|e| e.weight.is_some());
        for e in &spec.elements {
            let key = format!("[[element]] code = {:?}", e.code);
            if e.code.trim().is_empty() {
                return Err(err("[[element]]", "an element has an empty code".into()));
            }
            if elements.iter().any(|x: &Element| x.code == e.code) {
                return Err(err(&key, "two elements have this code".into()));
            }
            if e.items.is_empty() {
                return Err(err(&key, "the element has no item".into()));
            }
            let mut idx = Vec::with_capacity(e.items.len());
            for it in &e.items {
                if it.trim().is_empty() {
                    return Err(err(&key, "an item code is empty".into()));
                }
                if let Some(other) = owner.insert(it, &e.code) {
                    return Err(err(
                        &key,
                        format!(
                            "item {it:?} is already in element {other:?}: an item belongs to one element"
                        ),
                    ));
                }
                idx.push(items.len());
                items.push(it.clone());
            }
            let weight = match (weighted, e.weight) {
                (false, _) => 1.0,
                (true, Some(w)) if w.is_finite() && w > 0.0 => w,
                (true, Some(w)) => return Err(err(&key, format!("weight = {w} must be positive"))),
                (true, None) => {
                    return Err(err(&key, "some elements have a weight and this one has none: give every element a weight, or none".into()));
                }
            };
            let item_weights = match &e.item_weights {
                None => vec![1.0 / idx.len() as f64; idx.len()],
                Some(w) if w.len() != idx.len() => {
                    return Err(err(
                        &key,
                        format!(
                            "item_weights has {} numbers for {} items: give one weight per item, in item order",
                            w.len(),
                            idx.len()
                        ),
                    ));
                }
                Some(w) => {
                    if let Some(bad) = w.iter().find(|w| !(w.is_finite() && **w > 0.0)) {
                        return Err(err(&key, format!("item_weights: {bad} must be positive")));
                    }
                    let total: f64 = w.iter().sum();
                    w.iter().map(|w| w / total).collect()
                }
            };
            elements.push(Element {
                code: e.code.clone(),
                name: e.name.clone(),
                items: idx,
                weight,
                item_weights,
            });
        }
        let total: f64 = elements.iter().map(|e| e.weight).sum();
        for e in &mut elements {
            e.weight /= total;
        }
        let mut texts: BTreeMap<String, &str> = BTreeMap::new();
        for (code, text) in &spec.items {
            if !owner.contains_key(code.as_str()) {
                return Err(err(
                    "[items]",
                    format!("{code:?} has a text but is in no element"),
                ));
            }
            // A header holding the text names one item.
            if let Some(other) = texts.insert(crate::text::fold(text).into_owned(), code) {
                return Err(err(
                    "[items]",
                    format!("{other:?} and {code:?} have the same text: a column would name both"),
                ));
            }
        }
        Ok(Questionnaire {
            name: spec.name.clone(),
            scale: Scale {
                min,
                max,
                satisfied,
                dissatisfied,
                missing,
                labels,
                missing_labels,
                one_byte: [None; 128],
            }
            .with_one_byte_cells(),
            items,
            elements,
            spec,
            source: None,
        })
    }

    /// The text of item `k` (questionnaire order), when `[items]` gives one.
    pub fn item_text(&self, k: usize) -> Option<&str> {
        self.spec.items.get(&self.items[k]).map(String::as_str)
    }

    /// The export's headers of the responses' named columns (`[columns]`).
    pub fn columns(&self) -> &ColumnsSpec {
        &self.spec.columns
    }

    /// The questionnaire as written: what outputs record.
    pub fn spec(&self) -> &QuestionnaireSpec {
        &self.spec
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = r#"
name = "t"
[scale]
min = 1
max = 5
satisfied = [4, 5]
dissatisfied = [1, 2]
missing = [0, 9]
[[element]]
code = "E1"
name = "Access"
items = ["Q01", "Q02"]
[[element]]
code = "E2"
name = "Procedures"
items = ["Q03"]
"#;

    fn parse(text: &str) -> Result<Questionnaire> {
        Questionnaire::from_spec(toml::from_str(text).unwrap(), "q.toml")
    }

    #[test]
    fn a_valid_questionnaire_and_its_scale() {
        let q = parse(BASE).unwrap();
        assert_eq!(q.items, ["Q01", "Q02", "Q03"]);
        assert_eq!(q.elements[1].items, [2]);
        assert_eq!(q.elements[0].weight, 0.5);
        let s = &q.scale;
        assert_eq!(s.read("4"), Some(Answer::Valid(4)));
        assert_eq!(s.read(""), Some(Answer::Missing));
        assert_eq!(s.read("9"), Some(Answer::Missing));
        assert_eq!(s.read("6"), None);
        assert_eq!(s.read("x"), None);
        assert!(s.is_satisfied(5) && !s.is_satisfied(3) && s.is_dissatisfied(2));
    }

    #[test]
    fn one_byte_cells_are_looked_up_as_the_scale_reads_them() {
        // Without labels, and with labels of one letter (read after folding: `A` is `a`).
        let labelled = BASE.replace(
            "missing = [0, 9]",
            "missing = [0, 9]\nlabels = [\"a\", \"b\", \"c\", \"d\", \"e\"]\nmissing_labels = [\"x\"]",
        );
        for text in [BASE.to_string(), labelled] {
            let s = parse(&text).unwrap().scale;
            let mut cells: Vec<String> = (0u8..128).map(|b| (b as char).to_string()).collect();
            cells.extend(["", "10", "05", "4 ", "é", "Ă", "ab", "-1"].map(String::from));
            for cell in &cells {
                assert_eq!(s.read(cell), s.read_text(cell), "{cell:?}");
            }
            assert_eq!(s.read("4"), Some(Answer::Valid(4)));
            assert_eq!(s.read("9"), Some(Answer::Missing));
            assert_eq!(s.read("6"), None);
        }
    }

    #[test]
    fn mistakes_are_refused_with_the_setting_named() {
        let cases = [
            (
                BASE.replace("items = [\"Q03\"]", "items = [\"Q01\"]"),
                "already in element \"E1\"",
            ),
            (
                BASE.replace("items = [\"Q03\"]", "items = []"),
                "has no item",
            ),
            (
                BASE.replace("dissatisfied = [1, 2]", "dissatisfied = [1, 4]"),
                "both satisfied and dissatisfied",
            ),
            (
                BASE.replace("missing = [0, 9]", "missing = [0, 3]"),
                "outside the scale",
            ),
            (
                BASE.replace("satisfied = [4, 5]\n", "satisfied = [4, 7]\n"),
                "on the scale",
            ),
            (BASE.replace("max = 5", "max = 255"), "kept for no answer"),
            (
                BASE.replace("code = \"E2\"", "code = \"E1\""),
                "two elements have this code",
            ),
            (
                BASE.replace("items = [\"Q03\"]", "items = [\"Q03\"]\nweight = 2.0"),
                "give every element a weight",
            ),
        ];
        for (text, words) in cases {
            let e = parse(&text).unwrap_err().to_string();
            assert!(
                e.contains(words) && e.starts_with("q.toml: "),
                "{words}: {e}"
            );
        }
    }

    #[test]
    fn answers_may_be_labels_matched_after_folding() {
        let text = BASE.replace(
            "missing = [0, 9]",
            "missing = [0, 9]\nlabels = [\"Rất không hài lòng\", \"Không hài lòng\", \"Bình thường\", \"Hài lòng\", \"Rất hài lòng\"]\nmissing_labels = [\"Không ý kiến\"]",
        );
        let q = parse(&text).unwrap();
        let s = &q.scale;
        assert_eq!(s.read("Rất hài lòng"), Some(Answer::Valid(5)));
        assert_eq!(s.read("  hài   LÒNG "), Some(Answer::Valid(4)));
        assert_eq!(
            s.read("Ra\u{0302}\u{0301}t kho\u{0302}ng ha\u{0300}i lo\u{0300}ng"),
            Some(Answer::Valid(1))
        );
        assert_eq!(s.read("KHÔNG Ý KIẾN"), Some(Answer::Missing));
        assert_eq!(s.read("4"), Some(Answer::Valid(4)));
        assert_eq!(s.read("Hài lòng lắm"), None);
        assert!(s.expected().contains("\"Bình thường\""), "{}", s.expected());
        // Without labels a text is not an answer.
        assert_eq!(parse(BASE).unwrap().scale.read("Hài lòng"), None);

        let cases = [
            (
                text.replace("\"Bình thường\", ", ""),
                "4 labels for the 5 answers from 1 to 5",
            ),
            (
                text.replace("\"Bình thường\"", "\"HÀI LÒNG\""),
                "are the same label",
            ),
            (
                text.replace("[\"Không ý kiến\"]", "[\"hài lòng\"]"),
                "also a label of the scale",
            ),
            (text.replace("\"Bình thường\"", "\"3\""), "is a number"),
            (
                format!("{text}\n[items]\nQ01 = \"Thái độ\"\nQ02 = \"thái  độ\"\n"),
                "have the same text",
            ),
            (
                format!("{text}\n[columns]\nunit = \"Đơn vị\"\n"),
                "unknown field",
            ),
        ];
        for (t, words) in cases {
            let e = match toml::from_str(&t) {
                Ok(spec) => Questionnaire::from_spec(spec, "q.toml")
                    .unwrap_err()
                    .to_string(),
                Err(e) => e.to_string(),
            };
            assert!(e.contains(words), "{words}: {e}");
        }
        let with = parse(&format!(
            "{text}\n[items]\nQ01 = \"Câu 1. Thái độ\"\n[columns]\nunit_code = \"Đơn vị\"\n"
        ))
        .unwrap();
        assert_eq!(with.item_text(0), Some("Câu 1. Thái độ"));
        assert_eq!(with.item_text(1), None);
        assert_eq!(with.columns().header("unit_code"), Some("Đơn vị"));
        assert_eq!(with.columns().header("stratum"), None);
    }

    #[test]
    fn element_weights_are_normalised() {
        let text = BASE
            .replace(
                "items = [\"Q01\", \"Q02\"]",
                "items = [\"Q01\", \"Q02\"]\nweight = 3.0",
            )
            .replace("items = [\"Q03\"]", "items = [\"Q03\"]\nweight = 1.0");
        let q = parse(&text).unwrap();
        assert_eq!((q.elements[0].weight, q.elements[1].weight), (0.75, 0.25));
        assert_eq!(q.elements[0].item_weights, [0.5, 0.5]);
    }

    #[test]
    fn item_weights_are_normalised_and_checked() {
        let with = |w: &str| {
            parse(&BASE.replace(
                "items = [\"Q01\", \"Q02\"]",
                &format!("items = [\"Q01\", \"Q02\"]\nitem_weights = {w}"),
            ))
        };
        assert_eq!(
            with("[3, 1]").unwrap().elements[0].item_weights,
            [0.75, 0.25]
        );
        let msg = |w: &str| with(w).unwrap_err().to_string();
        assert!(
            msg("[1]").contains("item_weights has 1 numbers for 2 items"),
            "{}",
            msg("[1]")
        );
        assert!(
            msg("[1, 0]").contains("must be positive"),
            "{}",
            msg("[1, 0]")
        );
        assert!(msg("[1, -2]").contains("must be positive"));
    }

    #[test]
    fn the_shipped_questionnaires_are_valid() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("questionnaires");
        let five = Questionnaire::load(&dir.join("sipas-5-elements.toml")).unwrap();
        assert_eq!(five.elements.len(), 5);
        assert_eq!(five.items.len(), 22);
        let q2023 = Questionnaire::load(&dir.join("sipas-2023.toml")).unwrap();
        assert!(q2023.elements.len() >= 2);
    }
}
