//! The columnar hot path: every item's, element's and the overall index, for every unit and
//! for `ALL`, with its standard error, in two passes over the decoded answers.
//!
//! Answers are decoded once ([`Columns::new`]) into one 16-bit code per pair of items (the two
//! answers' places on the scale), respondent by respondent, grouped into *cells*: the
//! respondents of one unit and one stratum (and calibration group, below) who carry the same
//! weight. The pairs follow the elements, so that an element's answers are whole pairs: a
//! respondent's pass costs one look-up per pair and no index arithmetic. Everything a
//! linearised variance needs is a sum over a cell times the cell's weight (or its square), so
//! the kernel never multiplies by a weight per answer.
//!
//! 1. **Counts** (items): per cell and item, how many respondents gave each answer (counted
//!    per pair of answers, then read off per item). A ratio's totals and, for an item index,
//!    its whole variance follow from these counts: the linearised value
//!    `t(v) = c·(y(v) − R·x(v))/X` depends on the answer `v` only, so `Σ z = Σ_v n_v t(v)` and
//!    `Σ z² = Σ_v n_v t(v)²` within a cell.
//! 2. **Combinations** (elements, overall): the linearised value of a combination of ratios
//!    sums its items' `t_k(v_k)`, so its square needs each respondent's answers together. Once
//!    the ratios are known, one pass per cell adds up, per respondent, one table row per pair
//!    code (eight lanes: three measures for the unit, three for `ALL`, items answered,
//!    padding) and accumulates the squares per element and overall. Their plain sums are
//!    linear in the answers and come from the counts.
//! 3. **Calibrated weights** (post-stratified or raked, [`crate::weights`]): the variance is
//!    that of the residuals `r_i = z_i − w_i·β_{g(i)}` of every respondent
//!    ([`crate::estimate`]), where `g(i)` is the respondent's *group* (its post-stratum, or
//!    its combination of the raking margins' categories) and `β_g = Σ_{k∈g} b_k` adds up the
//!    coefficients `b` of the group's *columns* (its post-stratum, or its category in each
//!    margin). Cells are split by group too (unit × stratum × group × weight), so a domain's
//!    `z` needs only four sums per (stratum, group), taken from the cells' sums above:
//!    `Σ z`, `Σ w·z`, `Σ z²` and `Σ z/w`. From them: `b` (post-strata:
//!    `b_g = Σ_{g} z / Σ_{g} w`; raking: R's ten backfitting passes, run on the columns' sums
//!    of `z/w` and the whole sample's counts of respondents in each pair of columns); per
//!    stratum of the domain `Σ r = Σ_g (Σz − β_g·W_hg)` and
//!    `Σ r² = Σ_g (Σz² − 2β_g·Σwz + β_g²·Q_hg)` with `W_hg`, `Q_hg` the whole sample's `Σ w`,
//!    `Σ w²`; and the strata outside the domain, where `r_i = −w_i·β_g`, add the quadratic
//!    form `bᵀ·(Σ_h f_h·S_h)·b` of their scatter matrices `S_h` of `w_i·(i's columns)` (each
//!    stratum's, about its mean, computed once per run; `f_h` the stratum's factor in the
//!    variance under the rule for lonely strata), the sum over every stratum less the
//!    domain's. A domain costs its cells plus its strata's groups and the columns squared,
//!    not a pass over every respondent.
//!
//! The formulas are those of [`crate::estimate`] (the reference implementation, checked
//! against R); the kernel is tested against it. Cells are independent and each is summed in
//! one fixed order; threads take whole cells and the per-cell results are reduced afterwards
//! in cell order, so the results are bit-identical for any number of threads.

// Lane loops index several fixed-size arrays in step; an index reads better than zips there.
#![allow(clippy::needless_range_loop)]

use rustc_hash::FxHashMap;

pub use crate::estimate::Estimate;
use crate::estimate::{self, CalibrationGroups, LonelyPsu, Precision};
use crate::questionnaire::Questionnaire;
use crate::responses::{NO_ANSWER, ResponseData};

/// Lanes of a respondent's table row: satisfied, dissatisfied, score for the unit (0–2) and
/// for `ALL` (3–5), items answered (6), padding (7). Eight lanes take as many AVX2
/// instructions as six, and the "answered" lane spares a scan of the answers.
const LANES: usize = 8;
const ANSWERED: usize = 6;
const MEASURES: usize = 3;

/// The answers decoded for the kernel: one code per pair of answers, respondent-major,
/// grouped by cell. An answer's slot is its place on the scale, or the no-answer slot; the
/// code of a pair is `first slot · slots + second slot`.
#[derive(Clone, Debug, PartialEq)]
pub struct Columns {
    /// Items in the questionnaire.
    items: usize,
    /// Answer slots: the scale's values and no answer.
    slots: usize,
    /// The items of each pair: each element's items two by two, in element order (an
    /// element with an odd number of items ends with one alone, its second slot always "no
    /// answer"), then the items in no element likewise.
    pairs: Vec<(usize, Option<usize>)>,
    /// Per element, where its pairs end.
    element_ends: Vec<usize>,
    codes: Vec<u16>,
    respondents_total: usize,
    cells: Vec<Cell>,
    respondents: Vec<f64>,
    population: Vec<f64>,
    units: usize,
    /// The groups the weights were calibrated on, when they were.
    calibration: Option<Calibration>,
}

/// Respondents of one unit, stratum and calibration group with one weight.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Cell {
    unit: u32,
    stratum: u32,
    /// The calibration group (0 when the weights were not calibrated).
    group: u32,
    /// The place of the cell's (stratum, group) among its stratum's groups
    /// ([`Calibration::stratum_groups`]).
    slot: u32,
    weight: f64,
    start: usize,
    len: usize,
}

/// The calibration of the weights as the variance needs it: the residual of a respondent's
/// linearised value is `r_i = z_i − w_i·β_g`, with `β_g = Σ_{k∈g} b_k` over the *columns*
/// (post-strata, or every raking margin's categories one after another) of the respondent's
/// *group* `g` (its post-stratum, or its combination of categories of every margin), and `b`
/// the coefficients of the calibration fitted to the domain's `z`.
#[derive(Clone, Debug, PartialEq)]
struct Calibration {
    raking: bool,
    /// Columns: post-strata, or the categories of every margin.
    columns: usize,
    /// Per margin, its columns (post-stratification: one margin).
    margins: Vec<std::ops::Range<usize>>,
    /// Per group, its columns (one per margin), `margins.len()` per group.
    group_columns: Vec<u32>,
    /// Per column, over every respondent: `Σ w` (post-strata) or the respondents (raking).
    column_total: Vec<f64>,
    /// Raking: the respondents in both of two columns, `columns × columns`.
    both: Vec<f64>,
    /// Per stratum, its groups in ascending order, each with `Σ w` and `Σ w²` over its
    /// respondents.
    stratum_groups: Vec<Vec<(u32, f64, f64)>>,
    /// Per stratum, its columns and the scatter `Σ_i (x_i − x̄)(x_i − x̄)ᵀ` of
    /// `x_i = w_i·(the indicators of i's columns)` about the stratum's mean (about 0 for a
    /// stratum of one respondent), square over those columns.
    scatter: Vec<(Vec<u32>, Vec<f64>)>,
}

impl Calibration {
    fn columns_of(&self, group: u32) -> &[u32] {
        let m = self.margins.len();
        &self.group_columns[group as usize * m..(group as usize + 1) * m]
    }
}

/// Passes of backfitting for the residuals of a raking (as R's `svyrecvar`, and
/// [`crate::estimate`]).
const RAKING_PASSES: usize = 10;

/// Each respondent's calibration group, and the groups' columns (see [`Calibration`]):
/// post-strata and categories are numbered in ascending order of their codes among those
/// present; a raking's groups are numbered in order of first appearance.
fn calibration_groups(groups: &CalibrationGroups, n: usize) -> (Vec<u32>, Calibration) {
    let margins: Vec<&[u32]> = match groups {
        CalibrationGroups::PostStrata(g) => vec![g.as_slice()],
        CalibrationGroups::Raking(m) => m.iter().map(Vec::as_slice).collect(),
    };
    // Each margin's codes to dense columns.
    let mut ranges = Vec::with_capacity(margins.len());
    let mut dense: Vec<Vec<u32>> = Vec::with_capacity(margins.len());
    let mut columns = 0usize;
    for of in &margins {
        assert_eq!(of.len(), n, "one calibration group per respondent");
        let top = of.iter().map(|&c| c as usize + 1).max().unwrap_or(0);
        let mut place = vec![u32::MAX; top];
        for &c in *of {
            place[c as usize] = 0;
        }
        let mut next = columns as u32;
        for p in place.iter_mut().filter(|p| **p == 0) {
            *p = next;
            next += 1;
        }
        ranges.push(columns..next as usize);
        columns = next as usize;
        dense.push(of.iter().map(|&c| place[c as usize]).collect());
    }
    let (group_of, group_columns) = if margins.len() == 1 {
        let first = ranges[0].start as u32;
        let group_of: Vec<u32> = dense[0].iter().map(|&c| c - first).collect();
        (group_of, (first..columns as u32).collect())
    } else {
        let mut id: FxHashMap<Vec<u32>, u32> = FxHashMap::default();
        let mut group_columns = Vec::new();
        let mut key = vec![0u32; dense.len()];
        let group_of = (0..n)
            .map(|i| {
                for (k, d) in key.iter_mut().zip(&dense) {
                    *k = d[i];
                }
                if let Some(&g) = id.get(&key) {
                    return g;
                }
                let g = id.len() as u32;
                id.insert(key.clone(), g);
                group_columns.extend_from_slice(&key);
                g
            })
            .collect();
        (group_of, group_columns)
    };
    let calibration = Calibration {
        raking: matches!(groups, CalibrationGroups::Raking(_)),
        columns,
        margins: ranges,
        group_columns,
        column_total: vec![0.0; columns],
        both: Vec::new(),
        stratum_groups: Vec::new(),
        scatter: Vec::new(),
    };
    (group_of, calibration)
}

impl Calibration {
    /// The sums over the whole sample: column totals, the raking's cross counts, each
    /// stratum's groups and scatter. Sets each cell's `slot`.
    fn summarise(&mut self, cells: &mut [Cell], strata: usize, respondents: &[f64]) {
        let k_len = self.columns;
        let mut by_stratum: Vec<Vec<(u32, f64, f64)>> = vec![Vec::new(); strata];
        for c in cells.iter() {
            let (w, n) = (c.weight, c.len as f64);
            by_stratum[c.stratum as usize].push((c.group, w * n, w * w * n));
        }
        for groups in by_stratum.iter_mut() {
            groups.sort_by_key(|g| g.0);
            groups.dedup_by(|b, a| {
                if a.0 == b.0 {
                    a.1 += b.1;
                    a.2 += b.2;
                    true
                } else {
                    false
                }
            });
        }
        for c in cells.iter_mut() {
            let groups = &by_stratum[c.stratum as usize];
            c.slot = groups
                .binary_search_by_key(&c.group, |g| g.0)
                .expect("every cell's group is among its stratum's") as u32;
        }
        let mut column_total = vec![0.0f64; k_len];
        let mut both = if self.raking {
            vec![0.0f64; k_len * k_len]
        } else {
            Vec::new()
        };
        for c in cells.iter() {
            let n = c.len as f64;
            let columns = self.columns_of(c.group).to_vec();
            for &k in &columns {
                column_total[k as usize] += if self.raking { n } else { c.weight * n };
                if self.raking {
                    for &l in &columns {
                        both[k as usize * k_len + l as usize] += n;
                    }
                }
            }
        }
        // Each stratum's columns and the mean of its x.
        let mut scatter: Vec<(Vec<u32>, Vec<f64>)> = Vec::with_capacity(strata);
        let mut means: Vec<Vec<f64>> = Vec::with_capacity(strata);
        for (h, groups) in by_stratum.iter().enumerate() {
            let mut local: Vec<u32> = groups
                .iter()
                .flat_map(|g| self.columns_of(g.0).iter().copied())
                .collect();
            local.sort_unstable();
            local.dedup();
            let mut mean = vec![0.0f64; local.len()];
            for g in groups {
                for k in self.columns_of(g.0) {
                    let p = local.binary_search(k).expect("a column of the stratum");
                    mean[p] += g.1;
                }
            }
            let m = respondents[h];
            for x in mean.iter_mut() {
                *x /= if m >= 2.0 { m } else { f64::INFINITY };
            }
            let l = local.len();
            scatter.push((local, vec![0.0; l * l]));
            means.push(mean);
        }
        // The scatter, cell by cell: its respondents share one x.
        let mut d = Vec::new();
        for c in cells.iter() {
            let h = c.stratum as usize;
            let (local, s) = &mut scatter[h];
            d.clear();
            d.extend(means[h].iter().map(|&x| -x));
            for k in self.columns_of(c.group) {
                let p = local.binary_search(k).expect("a column of the stratum");
                d[p] += c.weight;
            }
            let (l, n) = (local.len(), c.len as f64);
            for a in 0..l {
                for b in 0..l {
                    s[a * l + b] += n * d[a] * d[b];
                }
            }
        }
        self.column_total = column_total;
        self.both = both;
        self.stratum_groups = by_stratum;
        self.scatter = scatter;
    }
}

/// What an answer slot counts as: satisfied, dissatisfied, its score, answered.
#[derive(Clone, Debug, PartialEq)]
struct Slots {
    of_value: [u8; 256],
    satisfied: Vec<f64>,
    dissatisfied: Vec<f64>,
    score: Vec<f64>,
    answered: Vec<f64>,
}

impl Slots {
    fn new(q: &Questionnaire) -> Slots {
        let (min, max) = (q.scale.min, q.scale.max);
        let valid = usize::from(max - min) + 1;
        let none = valid as u8;
        let mut of_value = [none; 256];
        let mut s = Slots {
            of_value: [none; 256],
            satisfied: vec![0.0; valid + 1],
            dissatisfied: vec![0.0; valid + 1],
            score: vec![0.0; valid + 1],
            answered: vec![0.0; valid + 1],
        };
        for v in min..=max {
            let slot = usize::from(v - min);
            of_value[usize::from(v)] = slot as u8;
            s.satisfied[slot] = f64::from(u8::from(q.scale.is_satisfied(v)));
            s.dissatisfied[slot] = f64::from(u8::from(q.scale.is_dissatisfied(v)));
            s.score[slot] = f64::from(v);
            s.answered[slot] = 1.0;
        }
        of_value[usize::from(NO_ANSWER)] = none;
        s.of_value = of_value;
        s
    }

    fn len(&self) -> usize {
        self.answered.len()
    }

    fn measure(&self, m: usize) -> &[f64] {
        match m {
            0 => &self.satisfied,
            1 => &self.dissatisfied,
            _ => &self.score,
        }
    }
}

impl Columns {
    /// Decodes the responses with the given weights (one per respondent, as
    /// [`ResponseData::weights`] gives them).
    ///
    /// # Panics
    /// If `weights` does not have one entry per respondent.
    pub fn new(q: &Questionnaire, data: &ResponseData, weights: &[f64]) -> Columns {
        Columns::with_threads(q, data, weights, crate::index::default_threads())
    }

    /// [`Columns::new`] on up to `threads` threads (the columns do not depend on them).
    ///
    /// # Panics
    /// As [`Columns::new`].
    pub fn with_threads(
        q: &Questionnaire,
        data: &ResponseData,
        weights: &[f64],
        threads: usize,
    ) -> Columns {
        let n = data.len();
        assert_eq!(weights.len(), n, "one weight per respondent");
        let slots = Slots::new(q);
        let (calibration_of, mut calibration) = match &data.calibration {
            Some(groups) => {
                let (of, c) = calibration_groups(groups, n);
                (Some(of), Some(c))
            }
            None => (None, None),
        };
        // Cells: (unit, stratum, calibration group, weight) groups, numbered in that order.
        let mut group_of: FxHashMap<(u32, u32, u32, u64), u32> = FxHashMap::default();
        let mut group = Vec::with_capacity(n);
        for i in 0..n {
            let g = calibration_of.as_ref().map_or(0, |of| of[i]);
            let key = (data.unit_of[i], data.stratum_of[i], g, weights[i].to_bits());
            let next = group_of.len() as u32;
            group.push(*group_of.entry(key).or_insert(next));
        }
        let mut keys: Vec<((u32, u32, u32, u64), u32)> = group_of.into_iter().collect();
        keys.sort_unstable_by(|a, b| {
            (a.0.0, a.0.1, a.0.2)
                .cmp(&(b.0.0, b.0.1, b.0.2))
                .then(f64::from_bits(a.0.3).total_cmp(&f64::from_bits(b.0.3)))
        });
        let mut cell_of_group = vec![0u32; keys.len()];
        for (c, (_, g)) in keys.iter().enumerate() {
            cell_of_group[*g as usize] = c as u32;
        }
        let mut cells: Vec<Cell> = keys
            .iter()
            .map(|&((unit, stratum, group, w), _)| Cell {
                unit,
                stratum,
                group,
                slot: 0,
                weight: f64::from_bits(w),
                start: 0,
                len: 0,
            })
            .collect();
        for g in group.iter_mut() {
            *g = cell_of_group[*g as usize];
            cells[*g as usize].len += 1;
        }
        let mut start = 0;
        for c in cells.iter_mut() {
            c.start = start;
            start += c.len;
        }
        // Pairs of items: each element's two by two, then the items in no element.
        let two_by_two = |items: &[usize]| -> Vec<(usize, Option<usize>)> {
            items.chunks(2).map(|p| (p[0], p.get(1).copied())).collect()
        };
        let mut pairs = Vec::new();
        let mut element_ends = Vec::with_capacity(q.elements.len());
        for e in &q.elements {
            pairs.extend(two_by_two(&e.items));
            element_ends.push(pairs.len());
        }
        let rest: Vec<usize> = (0..q.items.len())
            .filter(|k| !q.elements.iter().any(|e| e.items.contains(k)))
            .collect();
        pairs.extend(two_by_two(&rest));
        let width = pairs.len();
        let columns: Vec<(&[u8], Option<&[u8]>)> = pairs
            .iter()
            .map(|&(a, b)| {
                (
                    data.answers[a].as_slice(),
                    b.map(|b| data.answers[b].as_slice()),
                )
            })
            .collect();
        // A questionnaire's scale ends at 254 at most (255 is no answer), so there are at
        // most 256 slots and a pair's code fits in 16 bits.
        let s_len = u16::try_from(slots.len()).expect("at most 256 answer slots");
        let none = s_len - 1;
        // Each respondent's pairs to its place in its cell (respondents keep their file order
        // within a cell), on up to `threads` threads: each fills the rows of a run of cells.
        let mut codes = vec![0u16; n * width];
        // Below this many respondents a thread costs more than it saves.
        const LEAST: usize = 1 << 16;
        let bounds = cell_bounds(&cells, threads.clamp(1, (n / LEAST).max(1)));
        let fill = |(cells_from, cells_to): (usize, usize), rows: &mut [u16]| {
            let row0 = cells.get(cells_from).map_or(0, |c| c.start);
            let mut next: Vec<usize> = cells[cells_from..cells_to]
                .iter()
                .map(|c| c.start - row0)
                .collect();
            for (i, &c) in group.iter().enumerate() {
                let Some(place) = (c as usize)
                    .checked_sub(cells_from)
                    .and_then(|c| next.get_mut(c))
                else {
                    continue;
                };
                let p = *place;
                *place += 1;
                let row = &mut rows[p * width..(p + 1) * width];
                for (code, (a, b)) in row.iter_mut().zip(&columns) {
                    let first = u16::from(slots.of_value[usize::from(a[i])]);
                    let second = match b {
                        Some(b) => u16::from(slots.of_value[usize::from(b[i])]),
                        None => none,
                    };
                    *code = first * s_len + second;
                }
            }
        };
        if bounds.len() <= 2 {
            fill((0, cells.len()), &mut codes);
        } else {
            std::thread::scope(|scope| {
                let mut rest = codes.as_mut_slice();
                for w in bounds.windows(2) {
                    let (from, to) = (w[0], w[1]);
                    let rows: usize = cells[from..to].iter().map(|c| c.len).sum();
                    let (mine, others) = rest.split_at_mut(rows * width);
                    rest = others;
                    let fill = &fill;
                    scope.spawn(move || fill((from, to), mine));
                }
            });
        }
        let mut respondents = vec![0.0f64; data.strata.len()];
        for &h in &data.stratum_of {
            respondents[h as usize] += 1.0;
        }
        if let Some(c) = calibration.as_mut() {
            c.summarise(&mut cells, respondents.len(), &respondents);
        }
        Columns {
            items: q.items.len(),
            slots: slots.len(),
            pairs,
            element_ends,
            codes,
            respondents_total: n,
            cells,
            respondents,
            population: data.population.clone(),
            units: data.units.len(),
            calibration,
        }
    }

    /// The number of respondents.
    pub fn len(&self) -> usize {
        self.respondents_total
    }

    /// Whether there is no respondent.
    pub fn is_empty(&self) -> bool {
        self.respondents_total == 0
    }

    /// The pair codes of each respondent of cell `c`.
    fn rows(&self, c: &Cell) -> std::slice::ChunksExact<'_, u16> {
        let width = self.pairs.len();
        self.codes[c.start * width..(c.start + c.len) * width].chunks_exact(width.max(1))
    }
}

/// Where to cut `cells` into up to `parts` runs of consecutive cells of about as many
/// respondents each: the first cell of each run, then the end (`cells.len()`); no run empty.
fn cell_bounds(cells: &[Cell], parts: usize) -> Vec<usize> {
    let total: usize = cells.iter().map(|c| c.len).sum();
    let mut bounds = vec![0usize];
    let mut next = 1;
    let mut seen = 0usize;
    for (i, c) in cells.iter().enumerate() {
        seen += c.len;
        if next < parts && seen * parts >= total * next {
            bounds.push(i + 1);
            next += 1;
        }
    }
    bounds.push(cells.len());
    bounds.dedup();
    bounds
}

/// The indicators of a questionnaire as the kernel computes them: items, then elements, then
/// overall; each a combination `Σ c_k R_k` of item ratios.
#[derive(Clone, Debug, PartialEq)]
struct Plan {
    slots: Slots,
    /// Per element: its items and their coefficients (weights in the element).
    elements: Vec<(Vec<usize>, Vec<f64>)>,
    /// Per element: its weight in the overall index.
    element_weights: Vec<f64>,
}

/// Per domain (`ALL` = 0, unit `u` = `u + 1`), per item, per measure: the ratio's numerator
/// and denominator totals.
struct Ratios {
    /// `[domain][item] → (Y per measure, X)`.
    totals: Vec<([f64; MEASURES], f64)>,
    items: usize,
}

impl Ratios {
    fn get(&self, domain: usize, k: usize) -> ([f64; MEASURES], f64) {
        self.totals[domain * self.items + k]
    }

    fn ratio(&self, domain: usize, k: usize, m: usize) -> f64 {
        let (y, x) = self.get(domain, k);
        y[m] / x
    }
}

const SCALE: [f64; MEASURES] = [100.0, 100.0, 1.0];

/// Per cell, per element (and overall, last): sums of the linearised values and of their
/// squares in each lane, and how many respondents answered.
#[derive(Clone, Debug, Default)]
struct CellSums {
    sum: Vec<[f64; LANES]>,
    sum_sq: Vec<[f64; LANES]>,
    answered: Vec<u64>,
}

/// Computes every estimate: domains `ALL` then units in order; indicators items, elements,
/// overall; measures satisfied, dissatisfied, mean score — the order of `indices.csv`.
/// Strata of one respondent follow `lonely` ([`crate::estimate`]). `threads` only changes
/// the speed, never a bit of the result.
pub fn compute(
    q: &Questionnaire,
    cols: &Columns,
    lonely: LonelyPsu,
    threads: usize,
) -> Vec<Estimate> {
    compute_with(q, cols, lonely, threads, true)
}

/// [`compute`], with the per-respondent pass on wide registers when the processor has them
/// (`wide`), or on the baseline instruction set.
fn compute_with(
    q: &Questionnaire,
    cols: &Columns,
    lonely: LonelyPsu,
    threads: usize,
    wide: bool,
) -> Vec<Estimate> {
    let plan = Plan {
        slots: Slots::new(q),
        elements: q
            .elements
            .iter()
            .map(|e| (e.items.clone(), e.item_weights.clone()))
            .collect(),
        element_weights: q.elements.iter().map(|e| e.weight).collect(),
    };
    let (k_items, s_len) = (cols.items, cols.slots);
    let domains = cols.units + 1;
    // Pass 1: counts per cell, item (questionnaire order) and answer slot. Pairs of answers
    // are counted (one increment per pair), then each item's counts are read off its pair's.
    let square = s_len * s_len;
    let counts: Vec<Vec<u32>> = by_cells(cols, threads, |_, c| {
        let mut joint = vec![0u32; cols.pairs.len() * square];
        for row in cols.rows(c) {
            for (joint, &code) in joint.chunks_exact_mut(square).zip(row) {
                joint[usize::from(code)] += 1;
            }
        }
        let mut n = vec![0u32; k_items * s_len];
        for (joint, &(first, second)) in joint.chunks_exact(square).zip(&cols.pairs) {
            for a in 0..s_len {
                for b in 0..s_len {
                    let m = joint[a * s_len + b];
                    n[first * s_len + a] += m;
                    if let Some(second) = second {
                        n[second * s_len + b] += m;
                    }
                }
            }
        }
        n
    });
    // Ratio totals per domain, summed over cells in cell order.
    let mut totals = vec![([0.0f64; MEASURES], 0.0f64); domains * k_items];
    if cols.calibration.is_none() {
        for (c, n) in cols.cells.iter().zip(&counts) {
            for d in [0, c.unit as usize + 1] {
                for k in 0..k_items {
                    let h = &n[k * s_len..(k + 1) * s_len];
                    let t = &mut totals[d * k_items + k];
                    for m in 0..MEASURES {
                        t.0[m] += c.weight * dot_counts(h, plan.slots.measure(m));
                    }
                    t.1 += c.weight * dot_counts(h, &plan.slots.answered);
                }
            }
        }
    } else {
        // Calibrated weights split a unit into many more cells (one per group at least): the
        // weighted counts per domain, item and answer are summed over the cells first, and
        // the totals taken from them once.
        let mut weighted = vec![0.0f64; domains * k_items * s_len];
        for (c, n) in cols.cells.iter().zip(&counts) {
            for d in [0, c.unit as usize + 1] {
                let row = &mut weighted[d * k_items * s_len..(d + 1) * k_items * s_len];
                for (t, &n) in row.iter_mut().zip(n) {
                    *t += c.weight * f64::from(n);
                }
            }
        }
        for (t, h) in totals.iter_mut().zip(weighted.chunks_exact(s_len)) {
            for m in 0..MEASURES {
                t.0[m] = dot(h, plan.slots.measure(m));
            }
            t.1 = dot(h, &plan.slots.answered);
        }
    }
    let ratios = Ratios {
        totals,
        items: k_items,
    };
    // Pass 2: the combinations, per cell.
    let combos = plan.elements.len() + 1;
    let sums: Vec<CellSums> = if plan.elements.is_empty() {
        Vec::new()
    } else {
        by_cells_with(cols, threads, Tables::default, |tables, i, c| {
            if wide {
                combination_sums_fast(cols, &plan, &ratios, tables, c, &counts[i])
            } else {
                combination_sums(cols, &plan, &ratios, tables, c, &counts[i])
            }
        })
    };

    // Variance sums per (domain, stratum); a domain's strata are reduced in cell order.
    let strata = cols.population.len();
    let variance = |s1: &[f64], s2: &[f64], touched: &[usize]| -> f64 {
        estimate::variance(touched.iter().map(|&h| {
            estimate::stratum_part(
                lonely,
                cols.respondents[h],
                cols.population[h],
                s1[h],
                s2[h],
            )
        }))
    };
    // The precision of an estimate whose answers come from the strata marked in `answered`.
    let judge = |df: u64, variance: f64, touched: &[usize], answered: &[bool]| -> Precision {
        Precision::judge(
            lonely,
            df,
            variance,
            touched
                .iter()
                .filter(|&&h| answered[h])
                .map(|&h| (cols.respondents[h], cols.population[h])),
        )
    };
    // Cells of each domain: ALL = every cell; a unit = its cells (contiguous).
    let mut unit_cells: Vec<(usize, usize)> = vec![(0, 0); cols.units];
    for (i, c) in cols.cells.iter().enumerate() {
        let u = &mut unit_cells[c.unit as usize];
        if u.1 == 0 {
            u.0 = i;
        }
        u.1 = i + 1;
    }
    // The domains of `range`, in order; each domain on its own, so ranges can run on
    // different threads and be concatenated.
    let calibrated = cols
        .calibration
        .as_ref()
        .map(|cal| CalibratedVariance::new(cal, cols, lonely));
    let run = |range: std::ops::Range<usize>| -> Vec<Estimate> {
        let mut out = Vec::with_capacity(range.len() * (k_items + combos) * MEASURES);
        let mut cal_sums = CalibratedSums::default();
        let mut s1 = vec![0.0f64; strata];
        let mut s2 = vec![0.0f64; strata];
        let mut seen = vec![false; strata];
        let mut answered_in = vec![false; strata];
        let mut touched: Vec<usize> = Vec::new();
        let mut lin = vec![0.0f64; s_len];
        let mut lin3 = vec![[0.0f64; MEASURES]; s_len];
        for d in range {
            let (lo, hi) = if d == 0 {
                (0, cols.cells.len())
            } else {
                unit_cells[d - 1]
            };
            let cells = lo..hi;
            let lane0 = if d == 0 { MEASURES } else { 0 };
            // Strata of the domain, in first-seen order.
            touched.clear();
            for c in &cols.cells[cells.clone()] {
                let h = c.stratum as usize;
                if !seen[h] {
                    seen[h] = true;
                    touched.push(h);
                }
            }
            if let Some(cv) = &calibrated {
                cv.domain(&mut cal_sums, &touched, strata);
            }
            // Items.
            for k in 0..k_items {
                let (y, x) = ratios.get(d, k);
                let mut n_used = 0u64;
                for &h in &touched {
                    answered_in[h] = false;
                }
                for (c, n) in cols.cells[cells.clone()].iter().zip(&counts[cells.clone()]) {
                    let h = &n[k * s_len..(k + 1) * s_len];
                    let a: u64 = h[..s_len - 1].iter().map(|&v| u64::from(v)).sum();
                    n_used += a;
                    answered_in[c.stratum as usize] |= a > 0;
                }
                let df = n_used - touched.iter().filter(|&&h| answered_in[h]).count() as u64;
                if let Some(cv) = &calibrated {
                    // The three measures in one pass over the cells.
                    let mut r = [0.0f64; MEASURES];
                    for m in 0..MEASURES {
                        r[m] = y[m] / x;
                        for (t, &f) in lin3.iter_mut().zip(plan.slots.measure(m)) {
                            t[m] = SCALE[m] * (f - r[m]) / x;
                        }
                    }
                    cal_sums.clear();
                    for (c, n) in cols.cells[cells.clone()].iter().zip(&counts[cells.clone()]) {
                        let h = &n[k * s_len..(k + 1) * s_len];
                        let (mut a, mut b) = ([0.0f64; MEASURES], [0.0f64; MEASURES]);
                        for (&cnt, t) in h.iter().zip(&lin3).take(s_len - 1) {
                            for m in 0..MEASURES {
                                a[m] += f64::from(cnt) * t[m];
                                b[m] += f64::from(cnt) * t[m] * t[m];
                            }
                        }
                        cal_sums.add(c, a, b);
                    }
                    for m in 0..MEASURES {
                        let v = cv.variance(cols, &mut cal_sums, &touched, m);
                        out.push(finish(
                            SCALE[m] * r[m],
                            v,
                            n_used,
                            df,
                            judge(df, v, &touched, &answered_in),
                        ));
                    }
                    continue;
                }
                for m in 0..MEASURES {
                    let r = y[m] / x;
                    let f = plan.slots.measure(m);
                    // The linearised value of each answer (the same for every cell).
                    for (t, &f) in lin.iter_mut().zip(f) {
                        *t = SCALE[m] * (f - r) / x;
                    }
                    for &h in &touched {
                        s1[h] = 0.0;
                        s2[h] = 0.0;
                    }
                    for (c, n) in cols.cells[cells.clone()].iter().zip(&counts[cells.clone()]) {
                        let h = &n[k * s_len..(k + 1) * s_len];
                        let (mut a, mut b) = (0.0f64, 0.0f64);
                        for (&cnt, &t) in h.iter().zip(&lin).take(s_len - 1) {
                            a += f64::from(cnt) * t;
                            b += f64::from(cnt) * t * t;
                        }
                        s1[c.stratum as usize] += c.weight * a;
                        s2[c.stratum as usize] += c.weight * c.weight * b;
                    }
                    let v = variance(&s1, &s2, &touched);
                    out.push(finish(
                        SCALE[m] * r,
                        v,
                        n_used,
                        df,
                        judge(df, v, &touched, &answered_in),
                    ));
                }
            }
            // Elements and overall.
            for e in 0..combos {
                let items: Vec<(usize, f64)> = if e < plan.elements.len() {
                    let (items, c) = &plan.elements[e];
                    items.iter().copied().zip(c.iter().copied()).collect()
                } else {
                    plan.elements
                        .iter()
                        .zip(&plan.element_weights)
                        .flat_map(|((items, c), w)| {
                            items.iter().zip(c).map(move |(&k, c)| (k, c * w))
                        })
                        .collect()
                };
                let mut n_used = 0u64;
                for &h in &touched {
                    answered_in[h] = false;
                    s1[h] = 0.0;
                    s2[h] = 0.0;
                }
                for (c, s) in cols.cells[cells.clone()].iter().zip(&sums[cells.clone()]) {
                    n_used += s.answered[e];
                    answered_in[c.stratum as usize] |= s.answered[e] > 0;
                }
                let df = n_used - touched.iter().filter(|&&h| answered_in[h]).count() as u64;
                if calibrated.is_some() {
                    cal_sums.clear();
                    for (c, s) in cols.cells[cells.clone()].iter().zip(&sums[cells.clone()]) {
                        let lanes = lane0..lane0 + MEASURES;
                        let a = s.sum[e][lanes.clone()].try_into().expect("three measures");
                        let b = s.sum_sq[e][lanes].try_into().expect("three measures");
                        cal_sums.add(c, a, b);
                    }
                }
                for m in 0..MEASURES {
                    let estimate: f64 = items
                        .iter()
                        .map(|&(k, c)| c * SCALE[m] * ratios.ratio(d, k, m))
                        .sum();
                    for &h in &touched {
                        s1[h] = 0.0;
                        s2[h] = 0.0;
                    }
                    let v = if let Some(cv) = &calibrated {
                        cv.variance(cols, &mut cal_sums, &touched, m)
                    } else {
                        for (c, s) in cols.cells[cells.clone()].iter().zip(&sums[cells.clone()]) {
                            let h = c.stratum as usize;
                            s1[h] += c.weight * s.sum[e][lane0 + m];
                            s2[h] += c.weight * c.weight * s.sum_sq[e][lane0 + m];
                        }
                        variance(&s1, &s2, &touched)
                    };
                    let precision = judge(df, v, &touched, &answered_in);
                    out.push(finish(estimate, v, n_used, df, precision));
                }
            }
            for &h in &touched {
                seen[h] = false;
            }
        }
        out
    };
    // `ALL` reduces every cell, as much as all the units together: it gets a thread of its
    // own, the units share the others.
    if threads < 2 || domains < 3 {
        return run(0..domains);
    }
    let unit_threads = (threads - 1).min(domains - 1);
    let per = (domains - 1).div_ceil(unit_threads);
    let ranges: Vec<std::ops::Range<usize>> = std::iter::once(0..1)
        .chain(
            (1..domains)
                .step_by(per)
                .map(|lo| lo..(lo + per).min(domains)),
        )
        .collect();
    let run = &run;
    std::thread::scope(|scope| {
        let handles: Vec<_> = ranges
            .into_iter()
            .map(|r| scope.spawn(move || run(r)))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a kernel thread panicked"))
            .collect()
    })
}

/// A calibration under a rule for strata of one respondent: what every domain's variance
/// shares.
struct CalibratedVariance<'a> {
    cal: &'a Calibration,
    lonely: LonelyPsu,
    /// Per stratum, the factor of its scatter in the variance (the stratum's part of a
    /// variance with `Σ r = 0`, `Σ r² = 1`).
    factor: Vec<f64>,
    /// `Σ_h factor_h · scatter_h` over every stratum, `columns × columns`.
    all: Vec<f64>,
    /// Strata with respondents, and those with a part of their own ([`estimate::variance`]).
    present: u64,
    own: u64,
}

/// Per-thread room for a calibrated variance: per (stratum of the domain, group) the sums of
/// `z`, `w·z`, `z²` and `z/w` over the domain's respondents (0 elsewhere).
#[derive(Default)]
struct CalibratedSums {
    /// Per stratum of the domain, where its groups' sums start.
    start: Vec<usize>,
    /// Per (stratum, group), per measure.
    sums: Vec<[[f64; 4]; MEASURES]>,
    len: usize,
    /// The coefficients `b` of the calibration, and (raking) the column sums of `z/w`.
    b: Vec<f64>,
    z: Vec<f64>,
    /// `Σ_h factor_h · scatter_h` over the strata outside the domain, when there are any.
    outside: Option<Vec<f64>>,
}

impl<'a> CalibratedVariance<'a> {
    fn new(cal: &'a Calibration, cols: &Columns, lonely: LonelyPsu) -> CalibratedVariance<'a> {
        let k_len = cal.columns;
        let mut all = vec![0.0f64; k_len * k_len];
        let (mut present, mut own) = (0u64, 0u64);
        let mut factor = vec![0.0f64; cols.population.len()];
        for (h, (local, s)) in cal.scatter.iter().enumerate() {
            let m = cols.respondents[h];
            if m == 0.0 {
                continue;
            }
            let part = estimate::stratum_part(lonely, m, cols.population[h], 0.0, 1.0);
            present += 1;
            own += u64::from(part.is_some());
            factor[h] = part.unwrap_or(0.0);
            add_scatter(&mut all, k_len, local, s, factor[h]);
        }
        CalibratedVariance {
            cal,
            lonely,
            factor,
            all,
            present,
            own,
        }
    }

    /// Readies `sums` for a domain whose strata are `touched`.
    fn domain(&self, sums: &mut CalibratedSums, touched: &[usize], strata: usize) {
        sums.start.resize(strata, 0);
        let mut len = 0;
        for &h in touched {
            sums.start[h] = len;
            len += self.cal.stratum_groups[h].len();
        }
        sums.len = len;
        if sums.sums.len() < len {
            sums.sums.resize(len, [[0.0; 4]; MEASURES]);
        }
        sums.b.resize(self.cal.columns, 0.0);
        sums.z.resize(self.cal.columns, 0.0);
        sums.outside = (touched.len() < self.present as usize).then(|| {
            let k_len = self.cal.columns;
            let mut outside = self.all.clone();
            for &h in touched {
                let (local, s) = &self.cal.scatter[h];
                add_scatter(&mut outside, k_len, local, s, -self.factor[h]);
            }
            outside
        });
    }

    /// The variance of the estimate whose sums are in `sums`: the stratified formula on the
    /// residuals `r_i = z_i − w_i·β_g` of every respondent. Per stratum of the domain,
    /// `Σ r = Σ_g (Σz − β_g Σw)` and `Σ r² = Σ_g (Σz² − 2β_g Σwz + β_g² Σw²)`; the strata
    /// outside it (where `z = 0`) add `bᵀ (Σ_h factor_h · scatter_h) b`.
    fn variance(
        &self,
        cols: &Columns,
        sums: &mut CalibratedSums,
        touched: &[usize],
        m: usize,
    ) -> f64 {
        let cal = self.cal;
        let k_len = cal.columns;
        let CalibratedSums {
            start,
            sums: acc,
            b,
            z,
            outside,
            ..
        } = sums;
        b.fill(0.0);
        if cal.raking {
            // Backfitting on the column sums of z/w: a pass over a margin adds to each of its
            // categories' b the mean of r/w over the category's respondents.
            z.fill(0.0);
            for &h in touched {
                for (s, g) in acc[start[h]..].iter().zip(&cal.stratum_groups[h]) {
                    for &k in cal.columns_of(g.0) {
                        z[k as usize] += s[m][3];
                    }
                }
            }
            for _ in 0..RAKING_PASSES {
                for margin in &cal.margins {
                    for k in margin.clone() {
                        let both = &cal.both[k * k_len..(k + 1) * k_len];
                        let mut rest = z[k];
                        for (n, b) in both.iter().zip(b.iter()) {
                            rest -= n * b;
                        }
                        b[k] += rest / cal.column_total[k];
                    }
                }
            }
        } else {
            for &h in touched {
                for (s, g) in acc[start[h]..].iter().zip(&cal.stratum_groups[h]) {
                    b[g.0 as usize] += s[m][0];
                }
            }
            for (b, t) in b.iter_mut().zip(&cal.column_total) {
                *b /= t;
            }
        }
        let mut sum = 0.0f64;
        for &h in touched {
            let (mut s1, mut s2) = (0.0f64, 0.0f64);
            for (s, g) in acc[start[h]..].iter().zip(&cal.stratum_groups[h]) {
                let s = &s[m];
                let beta: f64 = if cal.raking {
                    cal.columns_of(g.0).iter().map(|&k| b[k as usize]).sum()
                } else {
                    b[g.0 as usize]
                };
                s1 += s[0] - beta * g.1;
                s2 += s[2] - 2.0 * beta * s[1] + beta * beta * g.2;
            }
            let part = estimate::stratum_part(
                self.lonely,
                cols.respondents[h],
                cols.population[h],
                s1,
                s2,
            );
            sum += part.unwrap_or(0.0);
        }
        if let Some(m) = outside {
            let mut q = 0.0f64;
            for (row, &bk) in m.chunks_exact(k_len).zip(b.iter()) {
                let r: f64 = row.iter().zip(b.iter()).map(|(m, b)| m * b).sum();
                q += bk * r;
            }
            sum += q;
        }
        if self.own == self.present {
            sum
        } else {
            sum * self.present as f64 / self.own as f64
        }
    }
}

impl CalibratedSums {
    fn clear(&mut self) {
        self.sums[..self.len].fill([[0.0; 4]; MEASURES]);
    }

    /// Adds a cell's `Σ z/w = a` and `Σ (z/w)² = b` per measure (its weight is constant).
    #[inline]
    fn add(&mut self, c: &Cell, a: [f64; MEASURES], b: [f64; MEASURES]) {
        let w = c.weight;
        let s = &mut self.sums[self.start[c.stratum as usize] + c.slot as usize];
        for m in 0..MEASURES {
            s[m][0] += w * a[m];
            s[m][1] += w * w * a[m];
            s[m][2] += w * w * b[m];
            s[m][3] += a[m];
        }
    }
}

/// `m += f · s`, with `s` square over the columns `local` of `m` (`k_len` square).
fn add_scatter(m: &mut [f64], k_len: usize, local: &[u32], s: &[f64], f: f64) {
    let l = local.len();
    for (a, &ka) in local.iter().enumerate() {
        for (b, &kb) in local.iter().enumerate() {
            m[ka as usize * k_len + kb as usize] += f * s[a * l + b];
        }
    }
}

fn finish(estimate: f64, variance: f64, n: u64, df: u64, precision: Precision) -> Estimate {
    Estimate {
        estimate,
        std_error: estimate::std_error(variance),
        n,
        df,
        precision,
    }
}

/// `Σ_s x[s]·f[s]` over the answer slots (the last slot, no answer, counts nothing).
fn dot(x: &[f64], f: &[f64]) -> f64 {
    x.iter().zip(f).map(|(&x, &v)| x * v).sum()
}

/// `Σ_s counts[s]·f[s]` over the answer slots (the last slot, no answer, counts nothing).
fn dot_counts(counts: &[u32], f: &[f64]) -> f64 {
    counts.iter().zip(f).map(|(&n, &v)| f64::from(n) * v).sum()
}

/// A unit's look-up tables for the per-respondent pass: per item and answer slot, the item's
/// linearised value in the lanes (with its coefficient in its element); per pair of an
/// element's items and pair code, the sum of both items' rows. They depend on the unit's and
/// `ALL`'s ratios only, so the cells of one unit (split by weight, or by calibration group)
/// share them.
#[derive(Default)]
struct Tables {
    unit: Option<u32>,
    single: Vec<[f64; LANES]>,
    table: Vec<[f64; LANES]>,
}

impl Tables {
    /// The tables of `unit`, built unless they are the ones last built.
    fn of(&mut self, cols: &Columns, plan: &Plan, ratios: &Ratios, unit: u32) -> &Tables {
        if self.unit == Some(unit) {
            return self;
        }
        let s_len = cols.slots;
        let d_unit = unit as usize + 1;
        self.single.clear();
        self.single.resize(cols.items * s_len, [0.0; LANES]);
        for (items, coefs) in &plan.elements {
            for (&k, &coef) in items.iter().zip(coefs) {
                for s in 0..s_len {
                    let mut t = [0.0f64; LANES];
                    for (half, d) in [(0, d_unit), (MEASURES, 0)] {
                        let (y, x) = ratios.get(d, k);
                        for m in 0..MEASURES {
                            let f = plan.slots.measure(m)[s];
                            t[half + m] = if x > 0.0 {
                                coef * SCALE[m] * (f - y[m] / x * plan.slots.answered[s]) / x
                            } else {
                                0.0
                            };
                        }
                    }
                    t[ANSWERED] = plan.slots.answered[s];
                    self.single[k * s_len + s] = t;
                }
            }
        }
        // Per pair of an element's items: one table row per pair code, the sum of both items'
        // rows (a respondent needs one look-up per pair; three items at a time make the
        // tables outgrow the L1 cache and are no faster). An item alone has rows for every
        // second slot.
        let e_pairs = cols.element_ends.last().copied().unwrap_or(0);
        self.table.clear();
        for &(first, second) in &cols.pairs[..e_pairs] {
            for a in 0..s_len {
                for b in 0..s_len {
                    let mut t = self.single[first * s_len + a];
                    if let Some(second) = second {
                        let row = &self.single[second * s_len + b];
                        for l in 0..LANES {
                            t[l] += row[l];
                        }
                    }
                    self.table.push(t);
                }
            }
        }
        self.unit = Some(unit);
        self
    }
}

/// [`combination_sums`], compiled for AVX2 when the processor has it. The same additions and
/// multiplications in the same order, only on wider registers: the results are bit-identical
/// either way (Rust never fuses a multiply and an add on its own).
fn combination_sums_fast(
    cols: &Columns,
    plan: &Plan,
    ratios: &Ratios,
    tables: &mut Tables,
    c: &Cell,
    counts: &[u32],
) -> CellSums {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            #[target_feature(enable = "avx2")]
            fn avx2(
                cols: &Columns,
                plan: &Plan,
                ratios: &Ratios,
                tables: &mut Tables,
                c: &Cell,
                counts: &[u32],
            ) -> CellSums {
                combination_sums(cols, plan, ratios, tables, c, counts)
            }
            // SAFETY: the processor supports AVX2, checked just above.
            return unsafe { avx2(cols, plan, ratios, tables, c, counts) };
        }
    }
    combination_sums(cols, plan, ratios, tables, c, counts)
}

/// The per-respondent pass of one cell: each respondent's linearised value for every element
/// and the overall index, squared and summed. (Their plain sums are linear in the answers and
/// come from the cell's `counts`.)
#[inline(always)]
fn combination_sums(
    cols: &Columns,
    plan: &Plan,
    ratios: &Ratios,
    tables: &mut Tables,
    c: &Cell,
    counts: &[u32],
) -> CellSums {
    let s_len = cols.slots;
    let e_count = plan.elements.len();
    let mut out = CellSums {
        sum: vec![[0.0; LANES]; e_count + 1],
        sum_sq: vec![[0.0; LANES]; e_count + 1],
        answered: vec![0; e_count + 1],
    };
    let Tables { single, table, .. } = tables.of(cols, plan, ratios, c.unit);
    for (e, (items, _)) in plan.elements.iter().enumerate() {
        for &k in items {
            for s in 0..s_len {
                let t = &single[k * s_len + s];
                let n = f64::from(counts[k * s_len + s]);
                for l in 0..LANES {
                    out.sum[e][l] += n * t[l];
                }
            }
        }
    }
    for e in 0..e_count {
        for l in 0..LANES {
            out.sum[e_count][l] += plan.element_weights[e] * out.sum[e][l];
        }
    }
    let square = s_len * s_len;
    let tables: Vec<&[[f64; LANES]]> = table.chunks_exact(square).collect();
    let weights = &plan.element_weights;
    for row in cols.rows(c) {
        let mut overall = [0.0f64; LANES];
        let mut any = false;
        let mut lo = 0;
        for (e, &hi) in cols.element_ends.iter().enumerate() {
            let mut z = [0.0f64; LANES];
            for (table, &code) in tables[lo..hi].iter().zip(&row[lo..hi]) {
                let t = &table[usize::from(code)];
                for l in 0..LANES {
                    z[l] += t[l];
                }
            }
            lo = hi;
            let answered = z[ANSWERED] > 0.0;
            let (q, w) = (&mut out.sum_sq[e], weights[e]);
            for l in 0..LANES {
                q[l] += z[l] * z[l];
                overall[l] += w * z[l];
            }
            out.answered[e] += u64::from(answered);
            any |= answered;
        }
        let q = &mut out.sum_sq[e_count];
        for l in 0..LANES {
            q[l] += overall[l] * overall[l];
        }
        out.answered[e_count] += u64::from(any);
    }
    out
}

/// Runs `f` on every cell, on up to `threads` threads taking contiguous runs of cells of
/// about equal respondents; the results come back in cell order.
fn by_cells<T: Send>(
    cols: &Columns,
    threads: usize,
    f: impl Fn(usize, &Cell) -> T + Sync,
) -> Vec<T> {
    by_cells_with(cols, threads, || (), |_, i, c| f(i, c))
}

/// [`by_cells`], with a state of each thread's own (made by `init`) that `f` may keep between
/// the cells of its run.
fn by_cells_with<S, T: Send>(
    cols: &Columns,
    threads: usize,
    init: impl Fn() -> S + Sync,
    f: impl Fn(&mut S, usize, &Cell) -> T + Sync,
) -> Vec<T> {
    let threads = threads.clamp(1, cols.cells.len().max(1));
    if threads == 1 {
        let mut state = init();
        return cols
            .cells
            .iter()
            .enumerate()
            .map(|(i, c)| f(&mut state, i, c))
            .collect();
    }
    // Split points: cell boundaries closest to equal shares of respondents.
    let bounds = cell_bounds(&cols.cells, threads);
    let (f, init) = (&f, &init);
    std::thread::scope(|scope| {
        let handles: Vec<_> = bounds
            .windows(2)
            .map(|w| {
                let (lo, hi) = (w[0], w[1]);
                scope.spawn(move || {
                    let mut state = init();
                    (lo..hi)
                        .map(|i| f(&mut state, i, &cols.cells[i]))
                        .collect::<Vec<T>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a kernel thread panicked"))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_registers_give_the_same_bits() {
        let q = Questionnaire::from_spec(
            toml::from_str(include_str!("../questionnaires/sipas-5-elements.toml")).unwrap(),
            "q.toml",
        )
        .unwrap();
        let n = 3_000;
        let mut state = 7u64;
        let mut next = |m: u64| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) % m
        };
        let unit_of: Vec<u32> = (0..n).map(|_| next(10) as u32).collect();
        let answers: Vec<Vec<u8>> = (0..q.items.len())
            .map(|_| {
                (0..n)
                    .map(|_| match next(7) {
                        0 => NO_ANSWER,
                        v => v.min(5) as u8,
                    })
                    .collect()
            })
            .collect();
        let population: Vec<f64> = (0..10).map(|u| 400.0 + 37.0 * f64::from(u)).collect();
        let data = ResponseData {
            strata: (0..10).map(|u| format!("U{u}")).collect(),
            weight: crate::weights::stratum_weights(&unit_of, &population),
            population,
            stratum_of: unit_of.clone(),
            units: (0..10).map(|u| format!("U{u}")).collect(),
            unit_of,
            answers,
            ..ResponseData::default()
        };
        let cols = Columns::new(&q, &data, &data.weights());
        let bits = |e: &[Estimate]| -> Vec<[u64; 2]> {
            e.iter()
                .map(|e| [e.estimate.to_bits(), e.std_error.to_bits()])
                .collect()
        };
        assert_eq!(
            bits(&compute_with(&q, &cols, LonelyPsu::Adjust, 1, false)),
            bits(&compute_with(&q, &cols, LonelyPsu::Adjust, 1, true))
        );
    }
}
