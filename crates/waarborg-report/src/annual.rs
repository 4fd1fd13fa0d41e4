//! The AI Act's documents for a deployer of post-remote biometric identification:
//!
//! * the **yearly report** to the market surveillance authority and the national data
//!   protection authority on the use of the systems (Art. 26(10)) — figures only, with no
//!   sensitive operational detail (no case numbers, offences, users or references), each
//!   figure recomputable from the ledger point it states;
//! * the **EU database registration data** a deployer that is a public authority enters for
//!   each high-risk deployment (Art. 49(3) and Annex VIII, Section C; for law enforcement in
//!   the database's non-public section, Art. 49(4)).

use serde::{Deserialize, Serialize};

use crate::register::{FieldProblem, UseFacts};
use crate::Report;

/// Name, address and contact details (Annex VIII, Section C, points 1 and 2).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Party {
    /// Name.
    pub name: String,
    /// Postal address.
    pub address: String,
    /// Contact details (e-mail address or telephone).
    pub contact: String,
}

/// The deploying organisation, as it registers itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Organisation {
    /// The deployer (point 1).
    pub deployer: Party,
    /// The person who submits the information on the deployer's behalf (point 2).
    pub submitter: Party,
}

/// What the organisation writes for a deployment's EU database registration.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EuRegistrationText {
    /// The URL of the provider's entry of the AI system in the EU database (point 3).
    pub provider_entry_url: String,
    /// A summary of the findings of the fundamental rights impact assessment (Art. 27;
    /// point 4).
    pub fria_summary: String,
    /// A summary of the data protection impact assessment (point 5).
    pub dpia_summary: String,
}

/// One deployment's EU database registration data, as exported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EuRegistration {
    /// Which section of the database: law enforcement uses go to the non-public section.
    pub section: String,
    /// Point 1.
    pub deployer: Party,
    /// Point 2.
    pub submitter: Party,
    /// Point 3. (Points 4 and 5, the summaries of the fundamental-rights and data-protection
    /// impact assessments, are not part of the non-public section: Art. 49(4) asks only
    /// points 1 to 3 of a law-enforcement deployer.)
    pub provider_entry_url: String,
    /// The deployment (the organisation's reference).
    pub deployment: String,
    /// The AI system it uses.
    pub system: String,
    /// Where the use stands (the register's words).
    pub status: String,
    /// The deployer's own record: the fundamental-rights impact assessment, its
    /// notification, the registration's reference (not a point of Section C; kept with it).
    #[serde(default)]
    pub assessment: crate::register::AssessmentRecord,
}

/// Checks and assembles a deployment's EU database registration data; every missing or
/// too-long field is named.
pub fn eu_registration(
    organisation: &Organisation,
    text: &EuRegistrationText,
    facts: &UseFacts,
    system: &str,
) -> Result<EuRegistration, Vec<FieldProblem>> {
    let mut out = Vec::new();
    let mut need = |field: &str, title: &str, value: &str, max: usize| {
        let n = value.chars().count();
        if value.trim().is_empty() {
            out.push(FieldProblem {
                field: field.into(),
                title: title.into(),
                problem: "required, and empty".into(),
            });
        } else if n > max {
            out.push(FieldProblem {
                field: field.into(),
                title: title.into(),
                problem: format!("{n} characters; at most {max}"),
            });
        }
    };
    for (who, party, point) in [
        ("deployer", &organisation.deployer, "Annex VIII C.1"),
        ("submitter", &organisation.submitter, "Annex VIII C.2"),
    ] {
        need(&format!("{who}.name"), point, &party.name, 200);
        need(&format!("{who}.address"), point, &party.address, 500);
        need(&format!("{who}.contact"), point, &party.contact, 200);
    }
    need(
        "provider_entry_url",
        "Annex VIII C.3",
        &text.provider_entry_url,
        500,
    );
    if !text.provider_entry_url.is_empty() && !text.provider_entry_url.starts_with("https://") {
        out.push(FieldProblem {
            field: "provider_entry_url".into(),
            title: "Annex VIII C.3".into(),
            problem: "must be a link starting with https://".into(),
        });
    }
    if !out.is_empty() {
        return Err(out);
    }
    Ok(EuRegistration {
        section: "non-public (law enforcement, Art. 49(4))".into(),
        deployer: organisation.deployer.clone(),
        submitter: organisation.submitter.clone(),
        provider_entry_url: text.provider_entry_url.clone(),
        deployment: facts.deployment.clone(),
        system: system.into(),
        status: facts.status.as_dutch().into(),
        assessment: facts.assessment.clone(),
    })
}

/// A deployment as the yearly report lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentLine {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// The AI system used.
    pub system: String,
    /// Where the use stands.
    pub status: String,
}

/// The yearly report on the use of post-remote biometric identification (Art. 26(10)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnnualReport {
    /// What this document is.
    pub kind: String,
    /// The calendar year.
    pub year: i32,
    /// The deployer.
    pub deployer: Party,
    /// To whom it goes.
    pub recipients: Vec<String>,
    /// The deployments covered.
    pub deployments: Vec<DeploymentLine>,
    /// The year's figures, from the ledger point they state.
    pub figures: Report,
}

/// The kind tag of a yearly report.
pub const ANNUAL_KIND: &str = "ai_act_art_26_10_yearly_report";

impl AnnualReport {
    /// Assembles the yearly report from the year's figures. Sensitive operational detail
    /// is left out: figures per offence category stay (they are counts), case numbers,
    /// offences, people and references never were in a report.
    pub fn new(
        year: i32,
        deployer: Party,
        deployments: Vec<DeploymentLine>,
        figures: Report,
    ) -> AnnualReport {
        AnnualReport {
            kind: ANNUAL_KIND.into(),
            year,
            deployer,
            recipients: vec![
                "the market surveillance authority".into(),
                "the national data protection authority".into(),
            ],
            deployments,
            figures,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::register::UseStatus;

    #[test]
    fn eu_registration_names_every_missing_point_and_assembles_when_complete() {
        let facts = UseFacts {
            deployment: "catch".into(),
            status: UseStatus::InUse,
            begin_date: None,
            end_date: None,
            assessment: crate::register::AssessmentRecord {
                fria_complete: true,
                fria_notified_on: "2026-02-01".into(),
                fria_notification_reference: "MSA-7".into(),
                registration_reference: "EU-42".into(),
            },
        };
        let problems = eu_registration(
            &Organisation::default(),
            &EuRegistrationText::default(),
            &facts,
            "waarborg",
        )
        .unwrap_err();
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "deployer.name",
                "deployer.address",
                "deployer.contact",
                "submitter.name",
                "submitter.address",
                "submitter.contact",
                "provider_entry_url",
            ]
        );
        let party = Party {
            name: "Politie".into(),
            address: "Postbus 1, Den Haag".into(),
            contact: "privacy@politie.example".into(),
        };
        let org = Organisation {
            deployer: party.clone(),
            submitter: party,
        };
        let mut text = EuRegistrationText {
            provider_entry_url: "ftp://x".into(),
            fria_summary: "Grondrechten afgewogen.".into(),
            dpia_summary: String::new(),
        };
        let problems = eu_registration(&org, &text, &facts, "waarborg").unwrap_err();
        assert_eq!(
            problems.len(),
            1,
            "only C.1–C.3 are asked (Art. 49(4)): {problems:?}"
        );
        text.provider_entry_url = "https://eu-database.example/entry/1".into();
        let r = eu_registration(&org, &text, &facts, "waarborg").unwrap();
        assert!(r.section.contains("non-public"));
        let exported = serde_json::to_string(&r).unwrap();
        assert!(
            !exported.contains("Grondrechten"),
            "no C.4/C.5 in the non-public section"
        );
        assert_eq!(r.status, "In gebruik");
        assert!(
            exported.contains("\"fria_notification_reference\":\"MSA-7\"")
                && exported.contains("EU-42"),
            "the deployer's record of the assessment and the registration: {exported}"
        );
    }
}
