//! Request bodies as the service receives them (JSON): every body type parsed, and the
//! rules that take their fields first — identifiers, a case request, a framework's
//! revision content — answer or refuse, never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use waarborg_app::{account, cases, search};
use waarborg_govern::case::{AuthorityKind, CaseAuthorisation};
use waarborg_govern::ids::{self, Kind};
use waarborg_govern::{Actor, Role, Timestamp};

fuzz_target!(|data: &[u8]| {
    let _ = serde_json::from_slice::<account::NewAccount>(data);
    let _ = serde_json::from_slice::<account::SecondFactorForm>(data);
    let _ = serde_json::from_slice::<cases::CaseDecision>(data);
    let _ = serde_json::from_slice::<search::VerificationBody>(data);
    let _ = serde_json::from_slice::<search::ConsultationBody>(data);
    let _ = serde_json::from_slice::<waarborg_app::competence::ChangeBody>(data);
    if let Ok(b) = serde_json::from_slice::<search::JudgementBody>(data) {
        // A level and a candidate: a conclusion on the scale, or the rule that refuses it.
        let scale = waarborg_govern::scale::ConclusionScale::enfsi();
        if let Err(rule) = scale.conclusion(&b.level, b.reference) {
            assert!(!rule.to_string().is_empty());
        }
    }
    let _ = serde_json::from_slice::<waarborg_app::publication::Publication>(data);
    let _ = serde_json::from_slice::<waarborg_govern::revision::RevisionContent>(data);
    if let Ok(r) = serde_json::from_slice::<cases::CaseRequest>(data) {
        let officer = Actor::new("officer-1", Role::Requester, "investigation");
        if let Ok(c) = CaseAuthorisation::request(
            &officer,
            &r.case_number,
            &r.deployment,
            &r.offence,
            &r.offence_category,
            r.max_sentence_years,
            AuthorityKind::PublicProsecutor,
            r.urgent.is_some(),
            Timestamp(1_800_000_000),
        ) {
            // What was accepted passes the one identifier rule.
            assert!(ids::check(Kind::CaseNumber, &c.case_number).is_ok());
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        for kind in [Kind::CaseNumber, Kind::Deployment, Kind::User] {
            if ids::check(kind, text).is_ok() {
                // Safe in a path segment and in a file name.
                assert!(!text.contains('/') && !text.starts_with('.') && !text.is_empty());
            }
        }
    }
});
