//! Final dispositions of sample members and response rates per stratum, in the style of the
//! AAPOR *Standard Definitions*.
//!
//! A responses file may carry a `disposition` column. Its values:
//!
//! | value | AAPOR | meaning |
//! |---|---|---|
//! | `complete` (or empty) | I | a completed questionnaire: a respondent |
//! | `partial` | P | a partly completed questionnaire: a respondent (its answers are used) |
//! | `refusal` | R | reached, eligible, did not answer |
//! | `non_contact` (or `non-contact`) | NC | eligible, never reached |
//! | `ineligible` | — | not in the target population (e.g. the record was not theirs) |
//!
//! The same outcomes may be written in Vietnamese, as fieldwork sheets and online forms do
//! ([`VIETNAMESE`]): e.g. `Hoàn thành` or `Đã trả lời` (complete), `Trả lời một phần`
//! (partial), `Từ chối` (refusal), `Không liên lạc được` (non_contact), `Không thuộc đối
//! tượng` (ineligible). Every name is matched after [`crate::text::fold`] (case, spacing and
//! Unicode form do not matter).
//!
//! Only complete and partial rows are respondents: their answers are used and they count in
//! `m_h`. Rows of the other kinds must carry no answer.
//!
//! Members of the official list who have **no row at all** in the responses file are cases
//! of unknown outcome: they were drawn, and nobody recorded what happened. They are counted
//! as `unknown` (AAPOR UH, unknown eligibility) and stay in the denominator, as AAPOR does for
//! RR1 and RR2, so a response file that silently leaves out the people who could not be
//! reached does not inflate the rates. Reserves with no row were never used and are not
//! counted. With `--population` (no drawn sample) there is no list, so `unknown` is 0.
//!
//! ```text
//! RR1 = I / ((I + P) + (R + NC) + U)
//! RR2 = (I + P) / ((I + P) + (R + NC) + U)
//! ```
//!
//! Ineligible cases leave both numerator and denominator. The rates are unweighted shares
//! (0–1) of sample members, per stratum and for all strata together (`ALL`, from the summed
//! counts); a stratum whose denominator is 0 has no rate (empty cells).

use serde::Serialize;

/// The final disposition of one row of the responses file: the outcome of one contact of the
/// fieldwork.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Disposition {
    /// A completed questionnaire (AAPOR I).
    Complete,
    /// A partly completed questionnaire (AAPOR P).
    Partial,
    /// A refusal (AAPOR R).
    Refusal,
    /// Not reached (AAPOR NC).
    NonContact,
    /// Not in the target population.
    Ineligible,
}

impl Disposition {
    /// Every disposition, in the order of the files' columns.
    pub const ALL: [Disposition; 5] = [
        Disposition::Complete,
        Disposition::Partial,
        Disposition::Refusal,
        Disposition::NonContact,
        Disposition::Ineligible,
    ];

    /// The disposition's place in [`Disposition::ALL`].
    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// Reads the `disposition` cell `cell` of row `row` of `file` as [`Disposition::parse`]
    /// does, or an error naming the file, row, column, value and the names expected.
    pub fn read(file: &str, row: u64, cell: &str) -> crate::Result<Disposition> {
        Disposition::read_in(file, row, "disposition", cell)
    }

    /// [`Disposition::read`] of a column whose header is `column` (an export's own header).
    pub fn read_in(file: &str, row: u64, column: &str, cell: &str) -> crate::Result<Disposition> {
        Disposition::parse(cell).ok_or_else(|| {
            crate::Error::cell(
                file,
                row,
                column,
                cell,
                "expected complete, partial, refusal, non_contact (or non-contact), \
                 ineligible, or an empty cell (complete), or one of the Vietnamese names \
                 (e.g. Hoàn thành, Trả lời một phần, Từ chối, Không liên lạc được, Không \
                 thuộc đối tượng)",
            )
        })
    }

    /// Reads a `disposition` cell: one of the names above, `non-contact` for `non_contact`,
    /// a Vietnamese name ([`VIETNAMESE`]), or empty for `complete`. Compared after
    /// [`crate::text::fold`]: case, spacing and Unicode form do not matter.
    pub fn parse(cell: &str) -> Option<Disposition> {
        let folded = crate::text::fold(cell);
        match folded.as_ref() {
            "" | "complete" => Some(Disposition::Complete),
            "partial" => Some(Disposition::Partial),
            "refusal" => Some(Disposition::Refusal),
            "non_contact" | "non-contact" => Some(Disposition::NonContact),
            "ineligible" => Some(Disposition::Ineligible),
            other => VIETNAMESE
                .iter()
                .find(|(name, _)| crate::text::fold(name) == other)
                .map(|&(_, d)| d),
        }
    }

    /// Whether the row is a respondent's (complete or partial).
    pub fn is_respondent(self) -> bool {
        matches!(self, Disposition::Complete | Disposition::Partial)
    }

    /// The name used in files.
    pub fn as_str(self) -> &'static str {
        match self {
            Disposition::Complete => "complete",
            Disposition::Partial => "partial",
            Disposition::Refusal => "refusal",
            Disposition::NonContact => "non_contact",
            Disposition::Ineligible => "ineligible",
        }
    }
}

/// The Vietnamese names of the dispositions a `disposition` cell may hold (matched after
/// [`crate::text::fold`]).
pub const VIETNAMESE: [(&str, Disposition); 17] = [
    ("Hoàn thành", Disposition::Complete),
    ("Hoàn tất", Disposition::Complete),
    ("Đã trả lời", Disposition::Complete),
    ("Một phần", Disposition::Partial),
    ("Trả lời một phần", Disposition::Partial),
    ("Chưa hoàn thành", Disposition::Partial),
    ("Từ chối", Disposition::Refusal),
    ("Từ chối trả lời", Disposition::Refusal),
    ("Không liên lạc được", Disposition::NonContact),
    ("Không liên hệ được", Disposition::NonContact),
    ("Không gặp được", Disposition::NonContact),
    ("Không nghe máy", Disposition::NonContact),
    ("Không tiếp cận được", Disposition::NonContact),
    ("Không đủ điều kiện", Disposition::Ineligible),
    ("Không thuộc đối tượng", Disposition::Ineligible),
    ("Không thuộc đối tượng khảo sát", Disposition::Ineligible),
    ("Không phải người giao dịch", Disposition::Ineligible),
];

/// The dispositions counted in one stratum (or `ALL`), and its response rates.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ResponseRate {
    /// The stratum label, or `ALL`.
    pub stratum: String,
    /// Completed questionnaires.
    pub complete: u64,
    /// Partly completed questionnaires.
    pub partial: u64,
    /// Refusals.
    pub refusal: u64,
    /// Not reached.
    pub non_contact: u64,
    /// Not eligible.
    pub ineligible: u64,
    /// Officials of the sample with no row in the responses file (unknown eligibility).
    pub unknown: u64,
    /// AAPOR RR1, or `None` when the denominator is 0.
    pub rr1: Option<f64>,
    /// AAPOR RR2, or `None` when the denominator is 0.
    pub rr2: Option<f64>,
}

impl ResponseRate {
    /// An empty count for `stratum`.
    pub fn new(stratum: &str) -> ResponseRate {
        ResponseRate {
            stratum: stratum.to_string(),
            ..ResponseRate::default()
        }
    }

    /// Counts one row.
    pub fn add(&mut self, d: Disposition) {
        match d {
            Disposition::Complete => self.complete += 1,
            Disposition::Partial => self.partial += 1,
            Disposition::Refusal => self.refusal += 1,
            Disposition::NonContact => self.non_contact += 1,
            Disposition::Ineligible => self.ineligible += 1,
        }
    }

    /// Fills in `rr1` and `rr2` from the counts.
    pub fn finish(&mut self) {
        let denominator =
            self.complete + self.partial + self.refusal + self.non_contact + self.unknown;
        if denominator > 0 {
            let d = denominator as f64;
            self.rr1 = Some(self.complete as f64 / d);
            self.rr2 = Some((self.complete + self.partial) as f64 / d);
        } else {
            self.rr1 = None;
            self.rr2 = None;
        }
    }
}

/// The strata's rates (already counted) in order, then an `ALL` row from their sums; every
/// row's rates are filled in.
pub fn with_total(mut strata: Vec<ResponseRate>) -> Vec<ResponseRate> {
    let mut all = ResponseRate::new("ALL");
    for s in &mut strata {
        s.finish();
        all.complete += s.complete;
        all.partial += s.partial;
        all.refusal += s.refusal;
        all.non_contact += s.non_contact;
        all.ineligible += s.ineligible;
        all.unknown += s.unknown;
    }
    all.finish();
    strata.push(all);
    strata
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_synonyms() {
        assert_eq!(Disposition::parse(""), Some(Disposition::Complete));
        assert_eq!(
            Disposition::parse(" Non-Contact "),
            Some(Disposition::NonContact)
        );
        assert_eq!(
            Disposition::parse("non_contact"),
            Some(Disposition::NonContact)
        );
        assert_eq!(Disposition::parse("refused"), None);
        // Vietnamese names, in any case, spacing and Unicode form.
        assert_eq!(
            Disposition::parse("Hoàn thành"),
            Some(Disposition::Complete)
        );
        assert_eq!(
            Disposition::parse("ĐÃ  TRẢ LỜI"),
            Some(Disposition::Complete)
        );
        assert_eq!(
            Disposition::parse("tu\u{031b}\u{0300} cho\u{0302}\u{0301}i"),
            Some(Disposition::Refusal)
        );
        assert_eq!(
            Disposition::parse("Không liên lạc được"),
            Some(Disposition::NonContact)
        );
        assert_eq!(
            Disposition::parse("Trả lời một phần"),
            Some(Disposition::Partial)
        );
        assert_eq!(
            Disposition::parse("không thuộc đối tượng"),
            Some(Disposition::Ineligible)
        );
        assert_eq!(Disposition::parse("Hoàn thành rồi"), None);
        let e = Disposition::read_in("r.csv", 4, "Tình trạng", "Xong").unwrap_err();
        assert!(
            e.to_string().contains("Tình trạng") && e.to_string().contains("Hoàn thành"),
            "{e}"
        );
        assert!(Disposition::Partial.is_respondent() && !Disposition::Refusal.is_respondent());
    }

    #[test]
    fn rates_by_hand() {
        // Stratum A: 6 complete, 2 partial, 1 refusal, 1 non-contact, 3 ineligible, 2 unknown:
        // denominator 6 + 2 + 1 + 1 + 2 = 12; RR1 = 6/12, RR2 = 8/12.
        // Stratum B: only ineligible: no rate. ALL: 6/12 and 8/12 as well (B adds nothing).
        let mut a = ResponseRate::new("A");
        for (d, k) in [
            (Disposition::Complete, 6),
            (Disposition::Partial, 2),
            (Disposition::Refusal, 1),
            (Disposition::NonContact, 1),
            (Disposition::Ineligible, 3),
        ] {
            for _ in 0..k {
                a.add(d);
            }
        }
        a.unknown = 2;
        let mut b = ResponseRate::new("B");
        b.add(Disposition::Ineligible);
        let rates = with_total(vec![a, b]);
        assert_eq!(rates[0].rr1, Some(0.5));
        assert_eq!(rates[0].rr2, Some(8.0 / 12.0));
        assert_eq!((rates[1].rr1, rates[1].rr2), (None, None));
        assert_eq!(rates[2].stratum, "ALL");
        assert_eq!(rates[2].ineligible, 4);
        assert_eq!(rates[2].rr1, Some(0.5));
        let csv = String::from_utf8(crate::files::response_rates::to_csv(&rates)).unwrap();
        assert_eq!(
            csv.lines().nth(2),
            Some("B,0,0,0,0,1,,,0"),
            "an undefined rate is an empty cell"
        );
        assert!(csv.starts_with(
            "stratum,complete,partial,refusal,non_contact,ineligible,rr1,rr2,unknown\nA,6,2,1,1,3,0.5,0.6666666666666666,2\n"
        ));
    }
}
