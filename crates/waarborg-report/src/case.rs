//! The case report as a document for the police file and the court (issue 18 item 6): a
//! self-contained HTML page in English or Dutch, printed to PDF ([`crate::pdf`]). It says
//! in words what the JSON case report holds — the case and its authorisation, each search
//! with its technology, probe, derived probes, chosen face, comparison form, every
//! verifier's conclusion and the outcome — and lists the ledger entries with their
//! inclusion proofs against the signed checkpoint, so that the paper copy can be checked
//! too. The JSON stays the document a verifier reads
//! (`tools/auditor/waarborg_verify.py report`).
//!
//! The application layer fills the view ([`CaseDocument`]) in the reader's language; this
//! module only lays it out (askama, escaped by default).

use askama::Template;

use crate::html::Layout;

pub use waarborg_i18n::Lang;

/// The case report, in words.
#[derive(Debug, Clone, Default)]
pub struct CaseDocument {
    /// The document's title.
    pub title: String,
    /// What every identification is (an investigative lead, never proof).
    pub lead_not_proof: String,
    /// Who made it, when, and the case authorisation: (label, value).
    pub facts: Vec<(String, String)>,
    /// Each search of the case.
    pub searches: Vec<SearchSection>,
    /// The ledger's part.
    pub ledger: LedgerSection,
}

/// One search, in words.
#[derive(Debug, Clone, Default)]
pub struct SearchSection {
    /// Its heading.
    pub title: String,
    /// (label, value).
    pub facts: Vec<(String, String)>,
    /// The proposal, each verifier's own conclusion and verdict, a resolution, the outcome.
    pub judgements: Vec<Judged>,
}

/// One judgement on a search.
#[derive(Debug, Clone, Default)]
pub struct Judged {
    /// Whose, and which step.
    pub who: String,
    /// What they concluded.
    pub what: String,
    /// Why.
    pub reasons: String,
    /// The comparison form: a line that counts, and each feature's marks.
    pub comparison: Option<(String, Marks)>,
}

/// A comparison's marks: (feature, mark, note).
pub type Marks = Vec<(String, String, String)>;

/// The ledger entries of the case and their proofs.
#[derive(Debug, Clone, Default)]
pub struct LedgerSection {
    /// How to check them.
    pub how: String,
    /// The signed checkpoint (a C2SP signed note).
    pub checkpoint: String,
    /// (index, entry JSON, proof hashes).
    pub entries: Vec<(u64, String, Vec<String>)>,
}

#[derive(Template)]
#[template(path = "report/case.html")]
struct Page<'a> {
    layout: Layout,
    title: &'a str,
    d: &'a CaseDocument,
}

/// The case report as one HTML page in `lang`.
pub fn render(lang: Lang, d: &CaseDocument) -> Result<String, crate::ReportError> {
    Page {
        layout: Layout(lang),
        title: &d.title,
        d,
    }
    .render()
    .map_err(|e| crate::ReportError::Pdf(format!("rendering the case report: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_escapes_what_people_wrote_and_keeps_every_proof() {
        let d = CaseDocument {
            title: "Case report OM-1".into(),
            lead_not_proof: "a lead, never proof".into(),
            facts: vec![("Case".into(), "OM-1".into())],
            searches: vec![SearchSection {
                title: "Search S-1".into(),
                facts: vec![("Probe".into(), "abc".into())],
                judgements: vec![Judged {
                    who: "examiner-1".into(),
                    what: "moderate support".into(),
                    reasons: "<script>alert(1)</script>".into(),
                    comparison: Some((
                        "18 similar".into(),
                        vec![("Ears".into(), "similar".into(), "lobes".into())],
                    )),
                }],
            }],
            ledger: LedgerSection {
                how: "check it".into(),
                checkpoint: "waarborg.local/audit-ledger\n5\nroot\n".into(),
                entries: vec![(3, "{\"kind\":\"search\"}".into(), vec!["aGFzaA==".into()])],
            },
        };
        let html = render(Lang::En, &d).unwrap();
        assert!(!html.contains("<script>alert") && html.contains("script"));
        assert!(html.contains("aGFzaA==") && html.contains("a lead, never proof"));
        assert!(html.contains("lobes") && html.contains("18 similar"));
    }
}
