//! The framework file: parsed from TOML, then validated once into a [`Framework`] whose scored
//! items carry their field, groups and source, so that scoring cannot meet an inconsistent plan.

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::POINTS_TOLERANCE;
use crate::error::{Error, ErrorKind, Result};

// ---------------------------------------------------------------------------------------------
// The framework as written.

/// The framework file as written in TOML.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrameworkSpec {
    /// Its name.
    pub name: String,
    /// The stated total of all maxima (usually 100); it must equal their sum.
    pub total: f64,
    /// The unit groups the framework knows (e.g. `["so", "ban"]`); needed when a criterion
    /// applies to some groups only, and then the scores' `unit_group` values must be among them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// The fields, in order.
    #[serde(rename = "field", default)]
    pub fields: Vec<FieldSpec>,
}

/// `[[field]]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    /// Its code, e.g. `1` or `I`.
    pub code: String,
    /// Its name.
    pub name: String,
    /// Its maximum points (optional; checked against the sum of its criteria when given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// Its criteria, in order.
    #[serde(rename = "criterion", default)]
    pub criteria: Vec<CriterionSpec>,
}

/// `[[field.criterion]]` or `[[field.criterion.sub]]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CriterionSpec {
    /// Its code, unique among all criteria and sub-criteria, e.g. `1.2` or `1.2.1`.
    pub code: String,
    /// Its name.
    pub name: String,
    /// Its maximum points.
    pub max: f64,
    /// The groups it applies to (default: all; a sub-criterion inherits its criterion's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<String>>,
    /// Where the points come from (scored items only; default `self`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceName>,
    /// The `indicator` of `indices.csv` (survey items), e.g. `overall` or `element:E3`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub indicator: Option<String>,
    /// The `measure` of `indices.csv` (survey items; default from the conversion).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measure: Option<String>,
    /// How the estimate becomes points (survey items; default `share`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversion: Option<ConversionName>,
    /// The highest answer `L` of the scale, for `conversion = "mean"` (default 5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_max: Option<f64>,
    /// Its sub-criteria (criteria only).
    #[serde(rename = "sub", default, skip_serializing_if = "Vec::is_empty")]
    pub subs: Vec<CriterionSpec>,
}

/// `source = "self" | "survey"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SourceName {
    /// Self-assessed, as appraised.
    #[serde(rename = "self")]
    SelfAssessed,
    /// From the survey's indices.
    #[serde(rename = "survey")]
    Survey,
}

/// `conversion = "share" | "mean"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConversionName {
    /// `max · estimate / 100`.
    Share,
    /// `max · (mean − 1) / (L − 1)`.
    Mean,
}

// ---------------------------------------------------------------------------------------------
// The validated framework.

/// How a survey estimate becomes points.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Conversion {
    /// `max · estimate / 100`, the estimate a percentage.
    Share,
    /// `max · (mean − 1) / (L − 1)`, the estimate a mean score on `1..L`.
    Mean {
        /// `L`, the highest answer.
        scale_max: f64,
    },
}

impl Conversion {
    /// `(c, offset, low, high)`: points = `c · (estimate − offset)`, the estimate must lie in
    /// `[low, high]`.
    pub(super) fn terms(self, max: f64) -> (f64, f64, f64, f64) {
        match self {
            Conversion::Share => (max / 100.0, 0.0, 0.0, 100.0),
            Conversion::Mean { scale_max } => (max / (scale_max - 1.0), 1.0, 1.0, scale_max),
        }
    }

    /// `share` or `mean`.
    pub fn as_str(self) -> &'static str {
        match self {
            Conversion::Share => "share",
            Conversion::Mean { .. } => "mean",
        }
    }
}

/// Where a scored item's points come from.
#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    /// The unit's self-assessment, replaced by the appraised score when there is one.
    SelfAssessed,
    /// An estimate of the survey.
    Survey {
        /// `indicator` in `indices.csv`.
        indicator: String,
        /// `measure` in `indices.csv`.
        measure: String,
        /// The conversion to points.
        conversion: Conversion,
    },
}

impl Source {
    /// `self` or `survey`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Source::SelfAssessed => "self",
            Source::Survey { .. } => "survey",
        }
    }
}

/// A field.
#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    /// Its code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// Its maximum points.
    pub max: f64,
}

/// A scored item: a sub-criterion, or a criterion without sub-criteria.
#[derive(Clone, Debug, PartialEq)]
pub struct Criterion {
    /// Its code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// Index of its field in [`Framework::fields`].
    pub field: usize,
    /// The code of the criterion it belongs to, for a sub-criterion.
    pub parent: Option<String>,
    /// Its maximum points.
    pub max: f64,
    /// The groups it applies to; `None` = all.
    pub groups: Option<Vec<String>>,
    /// Where its points come from.
    pub source: Source,
}

impl Criterion {
    /// Whether it applies to a unit of group `group`.
    pub fn applies_to(&self, group: &str) -> bool {
        self.groups
            .as_ref()
            .is_none_or(|g| g.iter().any(|x| x == group))
    }
}

/// A validated framework.
#[derive(Clone, Debug, PartialEq)]
pub struct Framework {
    /// Its name.
    pub name: String,
    /// The total of all maxima.
    pub total: f64,
    /// The groups it knows (may be empty).
    pub groups: Vec<String>,
    /// The fields, in order.
    pub fields: Vec<Field>,
    /// The scored items, in framework order.
    pub criteria: Vec<Criterion>,
    /// Criteria scored through their sub-criteria: (code, sub-criteria codes).
    pub parents: Vec<(String, Vec<String>)>,
    /// SHA-256 of the file, when loaded from one.
    pub sha256: Option<String>,
    /// The file's name and SHA-256, when loaded from one.
    pub source: Option<crate::provenance::FileDigest>,
    file: String,
}

impl Framework {
    /// Reads and validates a framework file.
    pub fn load(path: &Path) -> Result<Framework> {
        let name = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let text = String::from_utf8(bytes.clone()).map_err(|_| ErrorKind::Malformed {
            at: crate::Position::file(name.clone()),
            message: "not UTF-8 text".into(),
        })?;
        let mut fw = Framework::from_toml(&text, &name)?;
        fw.sha256 = Some(hex::encode(Sha256::digest(&bytes)));
        fw.source = Some(crate::provenance::FileDigest::of_bytes(path, &bytes));
        Ok(fw)
    }

    /// Parses and validates framework TOML; `file` names it in messages.
    pub fn from_toml(text: &str, file: &str) -> Result<Framework> {
        let spec: FrameworkSpec = toml::from_str(text).map_err(|e| ErrorKind::Malformed {
            at: crate::Position::file(file.to_string()),
            message: format!("not a valid PAR framework: {}", e.to_string().trim_end()),
        })?;
        Framework::from_spec(spec, file)
    }

    /// Validates a framework; `file` names it in messages.
    pub fn from_spec(spec: FrameworkSpec, file: &str) -> Result<Framework> {
        let err = |key: &str, msg: String| Error::design(file, key, msg);
        if !(spec.total.is_finite() && spec.total > 0.0) {
            return Err(err(
                "total",
                format!(
                    "{} must be a positive number of points, e.g. 100",
                    spec.total
                ),
            ));
        }
        let mut groups: Vec<String> = Vec::new();
        for g in &spec.groups {
            if g.trim().is_empty() || g.trim() != g {
                return Err(err(
                    "groups",
                    format!("{g:?} is not a group name (no empty names or surrounding spaces)"),
                ));
            }
            if groups.contains(g) {
                return Err(err("groups", format!("{g:?} is listed twice")));
            }
            groups.push(g.clone());
        }
        if spec.fields.is_empty() {
            return Err(err("[[field]]", "the framework has no field".into()));
        }
        let mut fields: Vec<Field> = Vec::new();
        let mut criteria: Vec<Criterion> = Vec::new();
        let mut parents: Vec<(String, Vec<String>)> = Vec::new();
        let mut codes: BTreeSet<String> = BTreeSet::new();
        let mut sum_total = 0.0;
        for f in &spec.fields {
            let fkey = format!("field {:?}", f.code);
            if f.code.trim().is_empty() {
                return Err(err("[[field]] code", "a field has an empty code".into()));
            }
            if fields.iter().any(|x| x.code == f.code) {
                return Err(err(&fkey, "two fields have this code".into()));
            }
            if f.criteria.is_empty() {
                return Err(err(&fkey, "the field has no criterion".into()));
            }
            let field = fields.len();
            let mut sum = 0.0;
            for c in &f.criteria {
                check_criterion(c, None, file, &groups, &mut codes)?;
                sum += c.max;
                if c.subs.is_empty() {
                    criteria.push(leaf(c, field, None, c.groups.clone(), file)?);
                } else {
                    for s in &c.subs {
                        check_criterion(s, Some(c), file, &groups, &mut codes)?;
                        let groups = s.groups.clone().or_else(|| c.groups.clone());
                        criteria.push(leaf(s, field, Some(c.code.clone()), groups, file)?);
                    }
                    parents.push((
                        c.code.clone(),
                        c.subs.iter().map(|s| s.code.clone()).collect(),
                    ));
                }
            }
            if let Some(m) = f.max
                && !close(m, sum)
            {
                return Err(err(
                    &format!("{fkey} max"),
                    format!(
                        "{m} is not the sum of the field's criteria ({sum}); \
                             correct one of them or remove `max`"
                    ),
                ));
            }
            sum_total += sum;
            fields.push(Field {
                code: f.code.clone(),
                name: f.name.clone(),
                max: sum,
            });
        }
        if !close(spec.total, sum_total) {
            return Err(err(
                "total",
                format!(
                    "{} is not the sum of the fields' maxima ({sum_total}): {}",
                    spec.total,
                    fields
                        .iter()
                        .map(|f| format!("{} = {}", f.code, f.max))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        Ok(Framework {
            name: spec.name,
            total: spec.total,
            groups,
            fields,
            criteria,
            parents,
            sha256: None,
            source: None,
            file: file.to_string(),
        })
    }

    /// The file it was read from (for messages).
    pub fn file(&self) -> &str {
        &self.file
    }

    /// Whether some scored item comes from the survey.
    pub fn needs_survey(&self) -> bool {
        self.criteria
            .iter()
            .any(|c| matches!(c.source, Source::Survey { .. }))
    }

    /// Whether some scored item applies to some groups only.
    pub fn has_group_rules(&self) -> bool {
        self.criteria.iter().any(|c| c.groups.is_some())
    }

    /// The scored item with code `code`.
    pub fn criterion(&self, code: &str) -> Option<usize> {
        self.criteria.iter().position(|c| c.code == code)
    }

    /// The maximum points of the items that apply to group `group`.
    pub fn max_points(&self, group: &str) -> f64 {
        self.criteria
            .iter()
            .filter(|c| c.applies_to(group))
            .map(|c| c.max)
            .sum()
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= POINTS_TOLERANCE * a.abs().max(b.abs()).max(1.0)
}

/// Checks what every criterion and sub-criterion must satisfy.
fn check_criterion(
    c: &CriterionSpec,
    parent: Option<&CriterionSpec>,
    file: &str,
    groups: &[String],
    codes: &mut BTreeSet<String>,
) -> Result<()> {
    let kind = if parent.is_some() {
        "sub-criterion"
    } else {
        "criterion"
    };
    let key = format!("{kind} {:?}", c.code);
    let err = |k: &str, msg: String| Error::design(file, k, msg);
    if c.code.trim().is_empty() {
        return Err(err(&key, format!("a {kind} has an empty code")));
    }
    if !codes.insert(c.code.clone()) {
        return Err(err(
            &key,
            "two criteria or sub-criteria have this code; codes must be unique".into(),
        ));
    }
    if !(c.max.is_finite() && c.max > 0.0) {
        return Err(err(
            &format!("{key} max"),
            format!("{} must be a positive number of points", c.max),
        ));
    }
    if let Some(gs) = &c.groups {
        let gkey = format!("{key} groups");
        if gs.is_empty() {
            return Err(err(
                &gkey,
                "an empty list: leave `groups` out for a criterion that applies to all".into(),
            ));
        }
        if groups.is_empty() {
            return Err(err(
                &gkey,
                "list the unit groups in the top-level `groups` first, e.g. groups = [\"so\", \"ban\"]"
                    .into(),
            ));
        }
        let mut seen: Vec<&str> = Vec::new();
        for g in gs {
            if !groups.contains(g) {
                return Err(err(
                    &gkey,
                    format!(
                        "{g:?} is not one of the framework's groups ({})",
                        groups.join(", ")
                    ),
                ));
            }
            if seen.contains(&g.as_str()) {
                return Err(err(&gkey, format!("{g:?} is listed twice")));
            }
            seen.push(g);
        }
        if let Some(Some(pg)) = parent.map(|p| &p.groups)
            && let Some(g) = gs.iter().find(|g| !pg.contains(g))
        {
            return Err(err(
                &gkey,
                format!(
                    "{g:?} is not among the groups of criterion {:?} ({})",
                    parent.map(|p| p.code.as_str()).unwrap_or_default(),
                    pg.join(", ")
                ),
            ));
        }
    }
    if parent.is_some() && !c.subs.is_empty() {
        return Err(err(
            &key,
            "a sub-criterion cannot have sub-criteria of its own".into(),
        ));
    }
    if !c.subs.is_empty() {
        let scored = [
            ("source", c.source.is_some()),
            ("indicator", c.indicator.is_some()),
            ("measure", c.measure.is_some()),
            ("conversion", c.conversion.is_some()),
            ("scale_max", c.scale_max.is_some()),
        ];
        if let Some((k, _)) = scored.iter().find(|(_, set)| *set) {
            return Err(err(
                &format!("{key} {k}"),
                "a criterion with sub-criteria is scored through them: set it on each sub-criterion"
                    .into(),
            ));
        }
        let sum: f64 = c.subs.iter().map(|s| s.max).sum();
        if !close(sum, c.max) {
            return Err(err(
                &format!("{key} max"),
                format!(
                    "{} is not the sum of its sub-criteria ({sum}: {})",
                    c.max,
                    c.subs
                        .iter()
                        .map(|s| format!("{} = {}", s.code, s.max))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
    }
    Ok(())
}

/// The scored item of a criterion without sub-criteria, or of a sub-criterion.
fn leaf(
    c: &CriterionSpec,
    field: usize,
    parent: Option<String>,
    groups: Option<Vec<String>>,
    file: &str,
) -> Result<Criterion> {
    let kind = if parent.is_some() {
        "sub-criterion"
    } else {
        "criterion"
    };
    let key = |k: &str| format!("{kind} {:?} {k}", c.code);
    let err = |k: &str, msg: &str| Error::design(file, &key(k), msg.to_string());
    let source = match c.source.unwrap_or(SourceName::SelfAssessed) {
        SourceName::SelfAssessed => {
            for (k, set) in [
                ("indicator", c.indicator.is_some()),
                ("measure", c.measure.is_some()),
                ("conversion", c.conversion.is_some()),
                ("scale_max", c.scale_max.is_some()),
            ] {
                if set {
                    return Err(err(
                        k,
                        "only survey criteria take this key: add source = \"survey\" or remove it",
                    ));
                }
            }
            Source::SelfAssessed
        }
        SourceName::Survey => {
            let indicator = match &c.indicator {
                Some(i) if !i.trim().is_empty() => i.trim().to_string(),
                _ => {
                    return Err(err(
                        "indicator",
                        "a survey criterion needs the indicator of indices.csv it is scored \
                         from, e.g. indicator = \"overall\" or \"element:E3\"",
                    ));
                }
            };
            let conversion = match c.conversion.unwrap_or(ConversionName::Share) {
                ConversionName::Share => {
                    if c.scale_max.is_some() {
                        return Err(err(
                            "scale_max",
                            "only conversion = \"mean\" uses the scale maximum",
                        ));
                    }
                    Conversion::Share
                }
                ConversionName::Mean => {
                    let l = c.scale_max.unwrap_or(5.0);
                    if !(l.is_finite() && l > 1.0) {
                        return Err(err(
                            "scale_max",
                            "the highest answer of the scale must be above 1, e.g. 5",
                        ));
                    }
                    Conversion::Mean { scale_max: l }
                }
            };
            let wanted = match conversion {
                Conversion::Share => "satisfied_pct",
                Conversion::Mean { .. } => "mean_score",
            };
            let measure = c.measure.clone().unwrap_or_else(|| wanted.to_string());
            if measure != wanted {
                return Err(Error::design(
                    file,
                    &key("measure"),
                    format!(
                        "{measure:?} cannot be converted by conversion = {:?}: it reads \
                         measure = {wanted:?}",
                        conversion.as_str()
                    ),
                ));
            }
            Source::Survey {
                indicator,
                measure,
                conversion,
            }
        }
    };
    Ok(Criterion {
        code: c.code.clone(),
        name: c.name.clone(),
        field,
        parent,
        max: c.max,
        groups,
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
        name = "t"
        total = 10
        groups = ["so", "ban"]
        [[field]]
        code = "1"
        name = "A"
        max = 6
        [[field.criterion]]
        code = "1.1"
        name = "a"
        max = 4
        [[field.criterion.sub]]
        code = "1.1.1"
        name = "a1"
        max = 1.5
        [[field.criterion.sub]]
        code = "1.1.2"
        name = "a2"
        max = 2.5
        groups = ["so"]
        [[field.criterion]]
        code = "1.2"
        name = "b"
        max = 2
        [[field]]
        code = "2"
        name = "B"
        [[field.criterion]]
        code = "2.1"
        name = "s"
        max = 4
        source = "survey"
        indicator = "overall"
    "#;

    fn load(text: &str) -> Result<Framework> {
        Framework::from_toml(text, "f.toml")
    }

    fn message(text: &str) -> String {
        load(text).unwrap_err().to_string()
    }

    #[test]
    fn a_valid_framework_lists_its_scored_items() {
        let fw = load(GOOD).unwrap();
        let codes: Vec<&str> = fw.criteria.iter().map(|c| c.code.as_str()).collect();
        assert_eq!(codes, ["1.1.1", "1.1.2", "1.2", "2.1"]);
        assert_eq!(
            fw.parents,
            [(
                "1.1".to_string(),
                vec!["1.1.1".to_string(), "1.1.2".to_string()]
            )]
        );
        assert_eq!(fw.fields[0].max, 6.0);
        assert_eq!(fw.fields[1].max, 4.0);
        assert_eq!(fw.max_points("so"), 10.0);
        assert_eq!(fw.max_points("ban"), 7.5);
        assert!(fw.needs_survey());
        assert_eq!(
            fw.criteria[3].source,
            Source::Survey {
                indicator: "overall".into(),
                measure: "satisfied_pct".into(),
                conversion: Conversion::Share
            }
        );
    }

    #[test]
    fn sub_criteria_must_add_up_to_their_criterion() {
        let m = message(&GOOD.replace("max = 2.5", "max = 2"));
        assert!(
            m.contains("criterion \"1.1\" max") && m.contains("sum of its sub-criteria"),
            "{m}"
        );
    }

    #[test]
    fn the_total_must_be_the_sum() {
        let m = message(&GOOD.replace("total = 10", "total = 100"));
        assert!(m.contains("f.toml: total:") && m.contains("(10)"), "{m}");
    }

    #[test]
    fn a_stated_field_maximum_must_be_the_sum() {
        let m = message(&GOOD.replace("max = 6", "max = 7"));
        assert!(m.contains("field \"1\" max"), "{m}");
    }

    #[test]
    fn maxima_must_be_positive() {
        let m = message(&GOOD.replace("max = 2\n", "max = -2\n"));
        assert!(
            m.contains("criterion \"1.2\" max") && m.contains("positive"),
            "{m}"
        );
        let m = message(&GOOD.replace("max = 2\n", "max = 0\n"));
        assert!(m.contains("positive"), "{m}");
    }

    #[test]
    fn codes_must_be_unique() {
        let m = message(&GOOD.replace("code = \"1.2\"", "code = \"1.1.1\""));
        assert!(
            m.contains("criterion \"1.1.1\"") && m.contains("unique"),
            "{m}"
        );
        let m = message(&GOOD.replace("code = \"2\"", "code = \"1\""));
        assert!(m.contains("field \"1\"") && m.contains("two fields"), "{m}");
    }

    #[test]
    fn unknown_keys_are_refused_by_name() {
        let m = message(&GOOD.replace("indicator = \"overall\"", "indicater = \"overall\""));
        assert!(m.contains("indicater"), "{m}");
        let m = message(&GOOD.replace("source = \"survey\"", "source = \"poll\""));
        assert!(m.contains("poll"), "{m}");
    }

    #[test]
    fn groups_must_be_declared() {
        let m = message(&GOOD.replace("groups = [\"so\"]", "groups = [\"xa\"]"));
        assert!(
            m.contains("\"xa\" is not one of the framework's groups"),
            "{m}"
        );
        let m = message(&GOOD.replace("groups = [\"so\", \"ban\"]", ""));
        assert!(m.contains("top-level `groups`"), "{m}");
    }

    #[test]
    fn survey_keys_are_checked() {
        let m = message(&GOOD.replace("indicator = \"overall\"", ""));
        assert!(m.contains("criterion \"2.1\" indicator"), "{m}");
        let m = message(&GOOD.replace(
            "indicator = \"overall\"",
            "indicator = \"overall\"\nmeasure = \"mean_score\"",
        ));
        assert!(m.contains("criterion \"2.1\" measure"), "{m}");
        let m = message(&GOOD.replace(
            "indicator = \"overall\"",
            "indicator = \"overall\"\nconversion = \"mean\"\nscale_max = 1",
        ));
        assert!(m.contains("scale_max"), "{m}");
        let m = message(&GOOD.replace("code = \"1.2\"", "code = \"1.2\"\nindicator = \"overall\""));
        assert!(
            m.contains("criterion \"1.2\" indicator") && m.contains("only survey"),
            "{m}"
        );
        let fw = load(&GOOD.replace(
            "indicator = \"overall\"",
            "indicator = \"element:E3\"\nconversion = \"mean\"",
        ))
        .unwrap();
        assert_eq!(
            fw.criteria[3].source,
            Source::Survey {
                indicator: "element:E3".into(),
                measure: "mean_score".into(),
                conversion: Conversion::Mean { scale_max: 5.0 }
            }
        );
    }

    #[test]
    fn a_criterion_with_sub_criteria_takes_no_source() {
        let m = message(&GOOD.replace(
            "max = 4\n        [[field.criterion.sub]]",
            "max = 4\nsource = \"self\"\n        [[field.criterion.sub]]",
        ));
        assert!(
            m.contains("criterion \"1.1\" source") && m.contains("sub-criteria"),
            "{m}"
        );
    }

    #[test]
    fn a_sub_criterion_stays_inside_its_criterion_groups() {
        let text = GOOD.replace(
            "max = 4\n        [[field.criterion.sub]]",
            "max = 4\ngroups = [\"ban\"]\n        [[field.criterion.sub]]",
        );
        let m = message(&text);
        assert!(
            m.contains("sub-criterion \"1.1.2\" groups") && m.contains("\"so\""),
            "{m}"
        );
    }
}
