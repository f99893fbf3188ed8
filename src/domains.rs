//! A domains file (`index --domains`): the reporting domains the indices are published on,
//! each a union of the units the responses and the sample name. Last year's survey, drawn
//! and weighted on the old units (its strata lie within them), is re-estimated on this year's
//! units: every old unit belongs to one new unit.
//!
//! Columns `unit_code` (a unit as the responses or `sample.csv` name it) and `domain` (its
//! reporting domain's code), optionally `domain_name` and `domain_group`; CSV or a
//! spreadsheet, read as every office's file is ([`Table::open_layout`]: the header found below
//! title rows, a CSV file's delimiter found, headers compared after [`fold`]). A unit mapped
//! twice is an error naming both rows; the domains are checked as a units file's units are
//! ([`Units`]: a domain's code or name names one domain).
//!
//! The domains replace the units as the domains of estimation ([`apply`]): each respondent's
//! unit becomes its unit's domain, and the kernel, the reference estimator, flags and ranks
//! then work on them unchanged. Weights do not change (they come from the strata); since a
//! domain is a union of whole units, hence of whole strata, the variance is the stratified
//! design's for that domain, as R's `svyby(~x, ~domain, design, svymean)` gives it.

use std::collections::HashMap;
use std::path::Path;

use serde::Serialize;

use crate::error::{Error, ErrorKind, Result};
use crate::provenance::FileDigest;
use crate::responses::ResponseData;
use crate::table::{Layout, Table};
use crate::text::{fold, nfc};
use crate::units::{Unit, Units};

/// One row of a domains file: a unit and its reporting domain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mapping {
    /// The unit's code, as written (in NFC).
    pub unit: String,
    /// Its domain: an index into [`Domains::domains`]' units.
    pub domain: usize,
    /// Its row in the file (the header is row 1, or the row it was found on).
    pub row: u64,
}

/// A domains file, read and checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Domains {
    /// The reporting domains in the order of their first row: code (`domain`), name
    /// (`domain_name`) and group (`domain_group`), checked as a units file's units are.
    pub domains: Units,
    /// The rows, in file order.
    pub mapped: Vec<Mapping>,
    /// Folded unit code → index into `mapped`.
    by_unit: HashMap<String, usize>,
    /// Whether the file has a `domain_name` column.
    names_given: bool,
    /// Whether the file has a `domain_group` column.
    groups_given: bool,
    /// The file's name as given (for messages).
    file: String,
    /// The file's name and the SHA-256 of the bytes read.
    pub source: FileDigest,
}

impl Domains {
    /// Reads the domains file at `path`.
    pub fn load(path: &Path) -> Result<Domains> {
        let wanted = ["unit_code", "domain"];
        let mut table = Table::open_layout(path, &Layout::default(), &wanted, true)?;
        let file = table.name().to_string();
        let c = table.require(&wanted)?;
        let name_col = table.column("domain_name");
        let group_col = table.column("domain_group");
        let mut domains: Vec<Unit> = Vec::new();
        let mut domain_index: HashMap<String, usize> = HashMap::new();
        let mut mapped: Vec<Mapping> = Vec::new();
        let mut by_unit: HashMap<String, usize> = HashMap::new();
        while let Some(r) = table.next_row()? {
            if r.is_blank() {
                continue;
            }
            let (unit, domain) = (nfc(r.get(c[0])).into_owned(), nfc(r.get(c[1])));
            if unit.is_empty() {
                return Err(Error::cell(
                    &file,
                    r.number(),
                    "unit_code",
                    "",
                    "a row needs the unit it maps (the code the responses or sample.csv give it)",
                ));
            }
            if domain.is_empty() {
                return Err(Error::cell(
                    &file,
                    r.number(),
                    "domain",
                    "",
                    format!("unit {unit} needs the code of its reporting domain"),
                ));
            }
            if fold(&domain) == fold("ALL") {
                return Err(Error::cell(
                    &file,
                    r.number(),
                    "domain",
                    &domain,
                    "ALL is the row of the whole population: give the domain another code",
                ));
            }
            let d = match domain_index.get(domain.as_ref()) {
                Some(&d) => d,
                None => {
                    domain_index.insert(domain.to_string(), domains.len());
                    domains.push(Unit {
                        code: domain.to_string(),
                        name: String::new(),
                        group: String::new(),
                        row: r.number(),
                    });
                    domains.len() - 1
                }
            };
            // A domain's name and group: the first given; another one is an error.
            for (col, label) in [(name_col, "domain_name"), (group_col, "domain_group")] {
                let Some(col) = col else { continue };
                let v = r.get(col);
                let slot = if label == "domain_name" {
                    &mut domains[d].name
                } else {
                    &mut domains[d].group
                };
                if v.is_empty() {
                    continue;
                }
                if slot.is_empty() {
                    *slot = v.to_string();
                } else if slot != v {
                    return Err(Error::cell(
                        &file,
                        r.number(),
                        label,
                        v,
                        format!(
                            "domain {domain} already has {label} {slot:?}: one value per domain \
                             expected"
                        ),
                    ));
                }
            }
            let key = fold(&unit).into_owned();
            if let Some(&first) = by_unit.get(&key) {
                let m: &Mapping = &mapped[first];
                return Err(Error::cell(
                    &file,
                    r.number(),
                    "unit_code",
                    &unit,
                    format!(
                        "this unit is already mapped on row {} (to domain {}): a unit belongs to \
                         one reporting domain",
                        m.row, domains[m.domain].code
                    ),
                ));
            }
            by_unit.insert(key, mapped.len());
            mapped.push(Mapping {
                unit,
                domain: d,
                row: r.number(),
            });
        }
        if mapped.is_empty() {
            return Err(ErrorKind::Malformed {
                at: crate::Position::file(file),
                message: "no unit is mapped: expected one row per unit, with columns unit_code \
                          and domain"
                    .into(),
            }
            .into());
        }
        let sha256 = match table.sha256() {
            Some(h) => h,
            None => crate::table::file_sha256(path)?,
        };
        let source = FileDigest::new(path, sha256);
        let domains = Units::new(&file, domains, ["domain", "domain_name"], source.clone())?;
        Ok(Domains {
            domains,
            mapped,
            by_unit,
            names_given: name_col.is_some(),
            groups_given: group_col.is_some(),
            file,
            source,
        })
    }

    /// The row that maps `unit` (compared after [`fold`]).
    pub fn mapping(&self, unit: &str) -> Option<&Mapping> {
        self.by_unit
            .get(fold(unit).as_ref())
            .map(|&i| &self.mapped[i])
    }

    /// How many units are mapped to domain `d`.
    fn units_in(&self, d: usize) -> usize {
        self.mapped.iter().filter(|m| m.domain == d).count()
    }
}

/// One reporting domain as a run used it (`indices.json`, `reporting_domains`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DomainUse {
    /// The domain's code.
    pub domain: String,
    /// The units of the responses it holds, in order.
    pub units: Vec<String>,
    /// Its respondents.
    pub respondents: u64,
}

/// What [`apply`] did: the domains with respondents, and what the file maps that no
/// respondent is in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Used {
    /// The domains file's name.
    #[serde(skip)]
    pub file: String,
    /// The domains published, in order.
    pub domains: Vec<DomainUse>,
    /// Units of the file with no respondent, in file order.
    pub units_without_responses: Vec<String>,
    /// Domains of the file with no respondent (none of their units has one), in file order.
    pub domains_without_responses: Vec<String>,
}

impl Used {
    /// The lines for standard output.
    pub fn summary(&self) -> String {
        let list = |v: &[String]| -> String {
            let mut shown: Vec<&str> = v.iter().take(10).map(String::as_str).collect();
            let more = format!("and {} more", v.len().saturating_sub(10));
            if v.len() > 10 {
                shown.push(&more);
            }
            shown.join(", ")
        };
        let units: usize = self.domains.iter().map(|d| d.units.len()).sum();
        let mut out = format!(
            "reporting domains ({}): the {units} unit(s) of the responses in {} domain(s)\n",
            self.file,
            self.domains.len()
        );
        if !self.units_without_responses.is_empty() {
            out += &format!(
                "  {} unit(s) mapped with no responses: {}\n",
                self.units_without_responses.len(),
                list(&self.units_without_responses)
            );
        }
        if !self.domains_without_responses.is_empty() {
            out += &format!(
                "  {} domain(s) with no responses, not published: {}\n",
                self.domains_without_responses.len(),
                list(&self.domains_without_responses)
            );
        }
        out
    }
}

/// The responses `data` with the reporting domains of `domains` in place of their units:
/// each respondent's unit becomes its unit's domain, the domains sorted by code as units are;
/// a domain's name and group are those of the file, or, when it has no `domain_name`
/// (`domain_group`) column, its unit's name when the domain is one unit (the group its units
/// share, when they share one). Strata, weights and answers are unchanged.
///
/// A unit of the responses that the file does not map is an error naming the unit, the
/// responses file `responses` and the row of its first respondent.
pub fn apply(
    data: ResponseData,
    domains: &Domains,
    responses: &str,
) -> Result<(ResponseData, Used)> {
    let mut domain_of_unit: Vec<usize> = Vec::with_capacity(data.units.len());
    for (u, code) in data.units.iter().enumerate() {
        match domains.mapping(code) {
            Some(m) => domain_of_unit.push(m.domain),
            None => {
                let row = data
                    .unit_of
                    .iter()
                    .position(|&x| x as usize == u)
                    .and_then(|i| data.rows.get(i).copied())
                    .unwrap_or(0);
                return Err(Error::cell(
                    responses,
                    row,
                    "unit_code",
                    code,
                    format!(
                        "this unit has no row in {}: every unit of the responses needs its \
                         reporting domain (a row `unit_code, domain`)",
                        domains.file
                    ),
                ));
            }
        }
    }
    let all = &domains.domains.units;
    let mut used: Vec<usize> = domain_of_unit.clone();
    used.sort_by(|&a, &b| all[a].code.cmp(&all[b].code));
    used.dedup();
    let mut place = vec![usize::MAX; all.len()];
    for (p, &d) in used.iter().enumerate() {
        place[d] = p;
    }
    let mut respondents = vec![0u64; used.len()];
    let unit_of: Vec<u32> = data
        .unit_of
        .iter()
        .map(|&u| {
            let p = place[domain_of_unit[u as usize]];
            respondents[p] += 1;
            p as u32
        })
        .collect();
    let units_of = |p: usize| -> Vec<usize> {
        (0..data.units.len())
            .filter(|&u| domain_of_unit[u] == used[p])
            .collect()
    };
    let mut names = Vec::with_capacity(used.len());
    let mut groups = Vec::with_capacity(used.len());
    for (p, &d) in used.iter().enumerate() {
        let members = units_of(p);
        names.push(if domains.names_given {
            all[d].name.clone()
        } else if let ([u], 1) = (members.as_slice(), domains.units_in(d)) {
            data.unit_names.get(*u).cloned().unwrap_or_default()
        } else {
            String::new()
        });
        groups.push(if domains.groups_given {
            all[d].group.clone()
        } else {
            let of = |u: usize| data.unit_groups.get(u).map_or("", String::as_str);
            let first = of(members[0]);
            if members.iter().all(|&u| of(u) == first) {
                first.to_string()
            } else {
                String::new()
            }
        });
    }
    let report = Used {
        file: domains.file.clone(),
        domains: used
            .iter()
            .enumerate()
            .map(|(p, &d)| DomainUse {
                domain: all[d].code.clone(),
                units: units_of(p)
                    .into_iter()
                    .map(|u| data.units[u].clone())
                    .collect(),
                respondents: respondents[p],
            })
            .collect(),
        units_without_responses: domains
            .mapped
            .iter()
            .filter(|m| !data.units.iter().any(|u| fold(u) == fold(&m.unit)))
            .map(|m| m.unit.clone())
            .collect(),
        domains_without_responses: (0..all.len())
            .filter(|&d| place[d] == usize::MAX)
            .map(|d| all[d].code.clone())
            .collect(),
    };
    let data = ResponseData {
        units: used.iter().map(|&d| all[d].code.clone()).collect(),
        unit_of,
        unit_names: names,
        unit_groups: groups,
        ..data
    };
    Ok((data, report))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("domains.csv");
        std::fs::write(&p, text).unwrap();
        (dir, p)
    }

    fn data() -> ResponseData {
        ResponseData {
            strata: vec!["A".into(), "B".into(), "C".into()],
            population: vec![10.0, 20.0, 30.0],
            stratum_of: vec![0, 0, 1, 2, 2],
            units: vec!["A".into(), "B".into(), "C".into()],
            unit_of: vec![0, 0, 1, 2, 2],
            unit_names: vec!["Xã A".into(), "Xã B".into(), "Xã C".into()],
            unit_groups: vec!["g".into(), "g".into(), "h".into()],
            rows: vec![2, 3, 4, 5, 6],
            ..ResponseData::default()
        }
    }

    #[test]
    fn units_are_replaced_by_their_domains() {
        let (_d, p) = write("Title row\nunit_code;domain\nC;P2\nA;P1\nB;P1\nZ;P1\nY;P9\n");
        let d = Domains::load(&p).unwrap();
        assert_eq!(d.mapping("a").unwrap().row, 4);
        let (data, used) = apply(data(), &d, "r.csv").unwrap();
        assert_eq!(data.units, ["P1", "P2"]);
        assert_eq!(data.unit_of, [0, 0, 0, 1, 1]);
        assert_eq!(data.stratum_of, [0, 0, 1, 2, 2]);
        // P1 is three units (one without responses): no name; its units share group g. P2
        // is unit C alone: its name.
        assert_eq!(data.unit_names, ["", "Xã C"]);
        assert_eq!(data.unit_groups, ["g", "h"]);
        assert_eq!(used.domains[0].units, ["A", "B"]);
        assert_eq!(used.domains[0].respondents, 3);
        assert_eq!(used.units_without_responses, ["Z", "Y"]);
        assert_eq!(used.domains_without_responses, ["P9"]);
        let s = used.summary();
        assert!(
            s.contains("2 unit(s) mapped with no responses: Z, Y"),
            "{s}"
        );
        assert!(s.contains("not published: P9"), "{s}");
    }

    #[test]
    fn the_identity_keeps_names_and_groups() {
        let (_d, p) = write("unit_code,domain\nA,A\nB,B\nC,C\n");
        let before = data();
        let (after, _) = apply(before.clone(), &Domains::load(&p).unwrap(), "r.csv").unwrap();
        assert_eq!(after, before);
    }

    #[test]
    fn names_and_groups_come_from_the_file() {
        let (_d, p) = write(
            "unit_code,domain,domain_name,domain_group\nA,P1,Phường Một,phuong\nB,P1,,\nC,P2,Xã Hai,xa\n",
        );
        let (data, _) = apply(data(), &Domains::load(&p).unwrap(), "r.csv").unwrap();
        assert_eq!(data.unit_names, ["Phường Một", "Xã Hai"]);
        assert_eq!(data.unit_groups, ["phuong", "xa"]);
    }

    #[test]
    fn an_unmapped_unit_is_refused_with_its_first_row() {
        let (_d, p) = write("unit_code,domain\nA,P1\nC,P2\n");
        let e = apply(data(), &Domains::load(&p).unwrap(), "r.csv")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("r.csv")
                && e.contains("row 4")
                && e.contains("unit_code")
                && e.contains("\"B\"")
                && e.contains("domains.csv"),
            "{e}"
        );
    }

    #[test]
    fn bad_rows_are_refused() {
        for (text, row, column, what) in [
            (
                "unit_code,domain\nA,P1\nB,P1\na,P2\n",
                "row 4",
                "unit_code",
                "row 2",
            ),
            (
                "unit_code,domain\nA,P1\n,P1\n",
                "row 3",
                "unit_code",
                "a row needs",
            ),
            (
                "unit_code,domain\nA,\n",
                "row 2",
                "domain",
                "reporting domain",
            ),
            (
                "unit_code,domain\nA,all\n",
                "row 2",
                "domain",
                "whole population",
            ),
            (
                "unit_code,domain,domain_name\nA,P1,Một\nB,P1,Hai\n",
                "row 3",
                "domain_name",
                "one value per domain",
            ),
            (
                "unit_code,domain,domain_name\nA,P1,Một\nB,P2,một\n",
                "row 3",
                "domain_name",
                "already read",
            ),
        ] {
            let (_d, p) = write(text);
            let e = Domains::load(&p).unwrap_err().to_string();
            assert!(
                e.contains("domains.csv")
                    && e.contains(row)
                    && e.contains(column)
                    && e.contains(what),
                "{text}: {e}"
            );
        }
        let (_d, p) = write("unit_code,domain\n");
        assert!(
            Domains::load(&p)
                .unwrap_err()
                .to_string()
                .contains("no unit is mapped")
        );
    }
}
