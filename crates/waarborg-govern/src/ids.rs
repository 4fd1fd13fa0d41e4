//! Identifiers from outside — case numbers, deployment ids, user names — each checked by one
//! rule wherever it enters (a form, the API, the command line, a manifest), so that none
//! carries a path separator, a dot-segment, whitespace or markup into a URL, a file name or
//! a log line. Where an identifier is put into a URL it is still percent-encoded (the
//! templates' `urlencode_strict`): this rule is the first line, not the only one.
//!
//! | kind | characters | length |
//! |------|------------|--------|
//! | case number | ASCII letters, digits, `-`, `_`, `.` (not first) | 1–64 |
//! | deployment id | lowercase ASCII letters, digits, `-`, `_` | 1–64 |
//! | user name | lowercase ASCII letters, digits, `-`, `_`, `.` (not first) | 1–64 |
//! | record (its kind, `:`, its id: `reference-image:7`, `case:OM-2027-0042`) | ASCII letters, digits, `-`, `_`, `.` (not first), `:` | 1–96 |

use crate::GovernError;

/// What an identifier names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A case number (the police's or the prosecutor's, e.g. `OM-2027-0042`).
    CaseNumber,
    /// A deployment's id in the register (e.g. `catch-demo`).
    Deployment,
    /// A person's user name (pseudonymous, e.g. `examiner-1`).
    User,
    /// A record with its kind, as the ledger names it (`reference-image:7`, `case:OM-1`).
    Record,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::CaseNumber => "case number",
            Kind::Deployment => "deployment id",
            Kind::User => "user name",
            Kind::Record => "record (kind:id)",
        }
    }

    fn allows(self, b: u8) -> bool {
        match self {
            Kind::CaseNumber => b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'),
            Kind::Deployment => {
                b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_')
            }
            Kind::User => {
                b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.')
            }
            Kind::Record => b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'),
        }
    }

    fn what(self) -> &'static str {
        match self {
            Kind::CaseNumber => "letters, digits, '-', '_' and '.'",
            Kind::Deployment => "lowercase letters, digits, '-' and '_'",
            Kind::User => "lowercase letters, digits, '-', '_' and '.'",
            Kind::Record => "a kind, ':' and an id of letters, digits, '-', '_' and '.'",
        }
    }

    fn max_len(self) -> usize {
        match self {
            // A kind and a case number.
            Kind::Record => MAX_LEN + 32,
            _ => MAX_LEN,
        }
    }
}

/// The longest identifier.
pub const MAX_LEN: usize = 64;

/// Checks `id` as a `kind`; the error says what is allowed.
pub fn check(kind: Kind, id: &str) -> Result<(), GovernError> {
    let bad = |why: String| Err(GovernError::Invalid(why));
    if id.is_empty() || id.len() > kind.max_len() {
        return bad(format!(
            "a {} has 1 to {} characters; {:?} has {}",
            kind.name(),
            kind.max_len(),
            id.chars().take(80).collect::<String>(),
            id.chars().count()
        ));
    }
    if id.starts_with('.') || !id.bytes().all(|b| kind.allows(b)) {
        return bad(format!(
            "{:?} is not a {}: use {} (not starting with '.')",
            id,
            kind.name(),
            kind.what()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_takes_its_own_and_refuses_the_rest() {
        for ok in ["OM-2027-0042", "PL1100.2027.12", "om_1"] {
            assert!(check(Kind::CaseNumber, ok).is_ok(), "{ok}");
        }
        for ok in ["catch-demo", "retro_search2"] {
            assert!(check(Kind::Deployment, ok).is_ok(), "{ok}");
        }
        for ok in ["examiner-1", "j.jansen", "admin_2"] {
            assert!(check(Kind::User, ok).is_ok(), "{ok}");
        }
        for ok in ["reference-image:7", "case:OM-2027-0042", "search:S-0a1b"] {
            assert!(check(Kind::Record, ok).is_ok(), "{ok}");
        }
        let refused = [
            (Kind::CaseNumber, "OM-X/../../cases/OM-Y"),
            (Kind::CaseNumber, ".."),
            (Kind::CaseNumber, "OM 1"),
            (Kind::CaseNumber, "OM-1\n"),
            (Kind::CaseNumber, "<b>1</b>"),
            (Kind::CaseNumber, ""),
            (Kind::CaseNumber, "OM-1%2F"),
            (Kind::Deployment, "Catch"),
            (Kind::Deployment, "catch.demo"),
            (Kind::User, "Examiner"),
            (Kind::User, ".hidden"),
            (Kind::User, "ëxaminer"),
            (Kind::Record, "case:OM 1"),
            (Kind::Record, "<script>"),
        ];
        for (kind, id) in refused {
            let e = check(kind, id).unwrap_err().to_string();
            assert!(e.contains(kind.name()), "{id}: {e}");
        }
        assert!(check(Kind::CaseNumber, &"1".repeat(MAX_LEN)).is_ok());
        assert!(check(Kind::CaseNumber, &"1".repeat(MAX_LEN + 1)).is_err());
    }
}
