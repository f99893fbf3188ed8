//! How texts typed by people are compared: a header with a column name, an answer with a
//! label, a unit's name with the names of a units file.
//!
//! Two texts match when their [`fold`]s are equal: Unicode NFC (what a keyboard on Windows
//! types, where some tools write the decomposed form, NFD), white space trimmed at both ends
//! and every run of white space inside (spaces, tabs, no-break spaces, line ends) made one
//! space, and letters in lower case (Unicode's lower-case mapping, so `Đ` matches `đ` and `Ấ`
//! matches `ấ`).

use std::borrow::Cow;

use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};

/// `s` folded for comparison (module documentation). Borrowed when it is already folded
/// (plain lower-case ASCII with single spaces, the common case of a column name).
pub fn fold(s: &str) -> Cow<'_, str> {
    let simple = s.bytes().all(|b| b.is_ascii() && !b.is_ascii_uppercase())
        && !s.starts_with(|c: char| c.is_whitespace())
        && !s.ends_with(|c: char| c.is_whitespace())
        && !s.contains(|c: char| c.is_whitespace() && c != ' ')
        && !s.contains("  ");
    if simple {
        return Cow::Borrowed(s);
    }
    let nfc: Cow<'_, str> = match is_nfc_quick(s.chars()) {
        IsNormalized::Yes => Cow::Borrowed(s),
        _ => Cow::Owned(s.nfc().collect()),
    };
    let mut out = String::with_capacity(nfc.len());
    for word in nfc.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(word.chars().flat_map(char::to_lowercase));
    }
    // Lower-casing may leave a decomposed form (a few letters lower-case to two characters).
    match is_nfc_quick(out.chars()) {
        IsNormalized::Yes => Cow::Owned(out),
        _ => Cow::Owned(out.nfc().collect()),
    }
}

/// Whether `a` and `b` match ([`fold`]).
pub fn same(a: &str, b: &str) -> bool {
    a == b || fold(a) == fold(b)
}

/// `s` in Unicode NFC, borrowed when it already is (every ASCII text is).
pub fn nfc(s: &str) -> Cow<'_, str> {
    if s.is_ascii() {
        return Cow::Borrowed(s);
    }
    match is_nfc_quick(s.chars()) {
        IsNormalized::Yes => Cow::Borrowed(s),
        _ => Cow::Owned(s.nfc().collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_match_after_nfc_trimming_spacing_and_case() {
        let nfd = "Ma\u{0303} ho\u{0302}\u{0300} so\u{031b}"; // "Mã hồ sơ" decomposed
        assert!(same(nfd, "mã hồ sơ"));
        assert!(same("  RẤT   hài\u{a0}LÒNG ", "Rất hài lòng"));
        assert!(same("ĐƠN VỊ", "đơn vị"));
        assert!(!same("Hài lòng", "Rất hài lòng"));
        assert!(matches!(fold("record_id"), Cow::Borrowed(_)));
        assert_eq!(fold("Record_ID"), "record_id");
        assert_eq!(nfc(nfd), "Mã hồ sơ");
    }
}
