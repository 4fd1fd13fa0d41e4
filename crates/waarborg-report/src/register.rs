//! The Dutch algorithm register (Algoritmeregister): a registered use's publication
//! following the register's publication standard, version [`STANDARD_VERSION`] — its
//! fields, which are required, their length limits and permitted values — checked before
//! export, so that nothing is exported that the register would refuse.
//!
//! The organisation writes the texts ([`RegisterText`], in Dutch, kept with the
//! deployment); the facts the system knows (status, the month of first use and of the end,
//! the language, the standard's version, the source id) are filled in from the deployment
//! ([`UseFacts`]). [`registration`] checks every field and names each problem;
//! [`to_csv`] writes registrations as one CSV row each.

use serde::{Deserialize, Serialize};

/// The version of the publication standard followed.
pub const STANDARD_VERSION: &str = "1.0.0";

/// A link with a title (legal bases, impact assessments, data sources).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Link {
    /// What it is.
    pub title: String,
    /// Where (`https://…`).
    pub link: String,
}

/// What the organisation writes for the register, in Dutch, about one use. Field names are
/// the standard's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RegisterText {
    /// Naam.
    pub name: String,
    /// Korte omschrijving.
    pub description_short: String,
    /// Organisatie.
    pub organization: String,
    /// Thema (at most three of [`THEMES`]).
    pub category: Vec<String>,
    /// Contactgegevens: an e-mail address or an `https://` page.
    pub contact_email: String,
    /// Link naar publiekspagina.
    pub website: String,
    /// Publicatiecategorie (one of [`PUBLICATION_CATEGORIES`]).
    pub publication_category: String,
    /// Link naar bronregistratie.
    pub url: String,
    /// Doel en impact.
    pub goal: String,
    /// Afwegingen.
    pub proportionality: String,
    /// Menselijke tussenkomst.
    pub human_intervention: String,
    /// Risicobeheer.
    pub risks: String,
    /// Wettelijke basis.
    pub lawful_basis: String,
    /// Verwijzingen wettelijke basis.
    pub lawful_basis_grouping: Vec<Link>,
    /// Link naar verwerkingsregister.
    pub process_index_url: String,
    /// Verwijzingen impacttoetsen.
    pub impacttoetsen_grouping: Vec<Link>,
    /// Toelichting op impacttoetsen.
    pub impacttoetsen: String,
    /// Gegevens.
    pub source_data: String,
    /// Verwijzingen gegevensbronnen.
    pub source_data_grouping: Vec<Link>,
    /// Technische werking.
    pub methods_and_models: String,
    /// Leverancier.
    pub provider: String,
    /// Link naar broncode.
    pub publiccode: String,
    /// Zoektermen.
    pub tags: String,
}

/// Where a use stands, in the standard's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum UseStatus {
    /// In ontwikkeling: proposed, under review, approved but not yet in use.
    InDevelopment,
    /// In gebruik.
    InUse,
    /// Buiten gebruik.
    OutOfUse,
}

impl UseStatus {
    /// The standard's value.
    pub fn as_dutch(self) -> &'static str {
        match self {
            UseStatus::InDevelopment => "In ontwikkeling",
            UseStatus::InUse => "In gebruik",
            UseStatus::OutOfUse => "Buiten gebruik",
        }
    }
}

/// What the system knows about the use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UseFacts {
    /// The deployment's id (the registration's source id).
    pub deployment: String,
    /// Where it stands.
    pub status: UseStatus,
    /// Month of first use, `YYYY-MM`.
    pub begin_date: Option<String>,
    /// Month use ended, `YYYY-MM`.
    pub end_date: Option<String>,
    /// The fundamental-rights impact assessment and the registration, as the revision
    /// records them.
    pub assessment: AssessmentRecord,
}

/// What the revision records of its fundamental-rights impact assessment (AI Act Art. 27)
/// and its registration (Art. 26(8), 49(4)): exported with the EU registration data, and
/// said in the algorithm register's `impacttoetsen` where the organisation wrote none.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssessmentRecord {
    /// Whether the assessment covers points (a)–(f) and is up to date for the revision.
    pub fria_complete: bool,
    /// When the market surveillance authority was notified of it (`YYYY-MM-DD`; empty:
    /// not yet).
    pub fria_notified_on: String,
    /// That notification's reference.
    pub fria_notification_reference: String,
    /// The use's reference in the EU database (empty: not yet registered).
    pub registration_reference: String,
}

impl AssessmentRecord {
    /// The record in the register's words (Dutch), if there is anything to say.
    pub fn in_dutch(&self) -> Option<String> {
        if !self.fria_complete {
            return None;
        }
        let mut s = "Een grondrechteneffectbeoordeling (AI-verordening art. 27) is uitgevoerd en actueel voor deze versie van de inzet".to_string();
        if !self.fria_notified_on.is_empty() {
            s.push_str(&format!(
                "; gemeld aan de markttoezichtautoriteit op {} (kenmerk {})",
                self.fria_notified_on, self.fria_notification_reference
            ));
        }
        if !self.registration_reference.is_empty() {
            s.push_str(&format!(
                "; geregistreerd in de EU-databank (kenmerk {})",
                self.registration_reference
            ));
        }
        s.push('.');
        Some(s)
    }
}

/// A registration as exported: the organisation's texts and the system's facts, in the
/// standard's fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registration {
    /// The texts.
    #[serde(flatten)]
    pub text: RegisterText,
    /// Status.
    pub status: String,
    /// Begindatum (`YYYY-MM`).
    pub begin_date: String,
    /// Einddatum (`YYYY-MM`).
    pub end_date: String,
    /// Taal (ISO 639-3).
    pub lang: String,
    /// Versie publicatiestandaard.
    pub standard_version: String,
    /// Bron-ID.
    pub source_id: String,
}

/// The standard's themes (Thema).
pub const THEMES: &[&str] = &[
    "Organisatie en bedrijfsvoering",
    "Cultuur en recreatie",
    "Economie",
    "Overheidsfinanciën",
    "Wonen",
    "Internationaal",
    "Migratie en integratie",
    "Natuur en milieu",
    "Onderwijs en wetenschap",
    "Openbare orde en veiligheid",
    "Recht",
    "Ruimte en infrastructuur",
    "Sociale zekerheid",
    "Verkeer",
    "Werk",
    "Zorg en gezondheid",
];

/// The standard's publication categories (Publicatiecategorie).
pub const PUBLICATION_CATEGORIES: &[&str] = &[
    "Hoog-risico AI-systeem",
    "Impactvolle algoritmes",
    "Overige algoritmes",
];

/// A text field's rule: its key, its title in the register, its length limit (characters),
/// whether it is required, whether it holds a URL.
struct Rule {
    key: &'static str,
    title: &'static str,
    max: usize,
    required: bool,
    url: bool,
}

const fn rule(key: &'static str, title: &'static str, max: usize, required: bool) -> Rule {
    Rule {
        key,
        title,
        max,
        required,
        url: false,
    }
}

const fn url(key: &'static str, title: &'static str) -> Rule {
    Rule {
        key,
        title,
        max: 500,
        required: false,
        url: true,
    }
}

/// The text fields' rules, in the standard's order.
const RULES: &[Rule] = &[
    rule("name", "Naam", 100, true),
    rule("description_short", "Korte omschrijving", 350, true),
    rule("organization", "Organisatie", 100, true),
    rule("contact_email", "Contactgegevens", 500, true),
    url("website", "Link naar publiekspagina"),
    rule("publication_category", "Publicatiecategorie", 100, true),
    url("url", "Link naar bronregistratie"),
    rule("goal", "Doel en impact", 2500, false),
    rule("proportionality", "Afwegingen", 2500, false),
    rule("human_intervention", "Menselijke tussenkomst", 2500, false),
    rule("risks", "Risicobeheer", 2500, false),
    rule("lawful_basis", "Wettelijke basis", 2500, false),
    url("process_index_url", "Link naar verwerkingsregister"),
    rule("impacttoetsen", "Toelichting op impacttoetsen", 2500, false),
    rule("source_data", "Gegevens", 2500, false),
    rule("methods_and_models", "Technische werking", 5000, false),
    rule("provider", "Leverancier", 200, false),
    url("publiccode", "Link naar broncode"),
    rule("tags", "Zoektermen", 2500, false),
];

impl RegisterText {
    fn text(&self, key: &str) -> &str {
        match key {
            "name" => &self.name,
            "description_short" => &self.description_short,
            "organization" => &self.organization,
            "contact_email" => &self.contact_email,
            "website" => &self.website,
            "publication_category" => &self.publication_category,
            "url" => &self.url,
            "goal" => &self.goal,
            "proportionality" => &self.proportionality,
            "human_intervention" => &self.human_intervention,
            "risks" => &self.risks,
            "lawful_basis" => &self.lawful_basis,
            "process_index_url" => &self.process_index_url,
            "impacttoetsen" => &self.impacttoetsen,
            "source_data" => &self.source_data,
            "methods_and_models" => &self.methods_and_models,
            "provider" => &self.provider,
            "publiccode" => &self.publiccode,
            "tags" => &self.tags,
            _ => "",
        }
    }
}

/// One field the register would refuse, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldProblem {
    /// The field's key in the standard (`goal`, `lawful_basis_grouping[1].link`, …).
    pub field: String,
    /// Its title in the register.
    pub title: String,
    /// What is wrong, and what the standard allows.
    pub problem: String,
}

impl std::fmt::Display for FieldProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({}): {}", self.field, self.title, self.problem)
    }
}

fn problem(field: impl Into<String>, title: &str, text: impl Into<String>) -> FieldProblem {
    FieldProblem {
        field: field.into(),
        title: title.into(),
        problem: text.into(),
    }
}

fn check_length(out: &mut Vec<FieldProblem>, field: String, title: &str, value: &str, max: usize) {
    let n = value.chars().count();
    if n > max {
        out.push(problem(
            field,
            title,
            format!(
                "{n} characters; the standard allows at most {max} — shorten it by {}",
                n - max
            ),
        ));
    }
}

fn is_url(v: &str) -> bool {
    v.strip_prefix("https://")
        .is_some_and(|rest| !rest.is_empty() && !rest.contains(char::is_whitespace))
}

fn is_month(v: &str) -> bool {
    v.len() == 7
        && v.bytes().enumerate().all(|(i, b)| {
            if i == 4 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        })
        && matches!(v[5..].parse::<u8>(), Ok(1..=12))
}

/// Checks `text` against the standard's rules and, if every field holds, returns the
/// registration with the system's facts; otherwise every problem, each naming the field,
/// its title in the register, and what the standard allows.
pub fn registration(
    text: &RegisterText,
    facts: &UseFacts,
) -> Result<Registration, Vec<FieldProblem>> {
    let mut out = Vec::new();
    for r in RULES {
        let value = text.text(r.key);
        if value.trim().is_empty() {
            if r.required {
                out.push(problem(r.key, r.title, "required, and empty"));
            }
            continue;
        }
        check_length(&mut out, r.key.into(), r.title, value, r.max);
        if r.url && !is_url(value) {
            out.push(problem(
                r.key,
                r.title,
                "must be a link starting with https://",
            ));
        }
    }
    let contact = text.contact_email.trim();
    if !contact.is_empty() && !is_url(contact) && !is_email(contact) {
        out.push(problem(
            "contact_email",
            "Contactgegevens",
            "must be an e-mail address or a link starting with https://",
        ));
    }
    if !text.publication_category.is_empty()
        && !PUBLICATION_CATEGORIES.contains(&text.publication_category.as_str())
    {
        out.push(problem(
            "publication_category",
            "Publicatiecategorie",
            format!("must be one of: {}", PUBLICATION_CATEGORIES.join("; ")),
        ));
    }
    if text.category.len() > 3 {
        out.push(problem(
            "category",
            "Thema",
            format!(
                "{} themes; the standard allows at most 3",
                text.category.len()
            ),
        ));
    }
    for (i, theme) in text.category.iter().enumerate() {
        if !THEMES.contains(&theme.as_str()) {
            out.push(problem(
                format!("category[{i}]"),
                "Thema",
                format!(
                    "{theme:?} is not one of the standard's themes ({})",
                    THEMES.join("; ")
                ),
            ));
        }
    }
    for (key, title, links, title_max) in [
        (
            "lawful_basis_grouping",
            "Verwijzingen wettelijke basis",
            &text.lawful_basis_grouping,
            100,
        ),
        (
            "impacttoetsen_grouping",
            "Verwijzingen impacttoetsen",
            &text.impacttoetsen_grouping,
            500,
        ),
        (
            "source_data_grouping",
            "Verwijzingen gegevensbronnen",
            &text.source_data_grouping,
            500,
        ),
    ] {
        for (i, l) in links.iter().enumerate() {
            if l.title.trim().is_empty() {
                out.push(problem(
                    format!("{key}[{i}].title"),
                    title,
                    "required, and empty",
                ));
            }
            check_length(
                &mut out,
                format!("{key}[{i}].title"),
                title,
                &l.title,
                title_max,
            );
            if !is_url(&l.link) {
                out.push(problem(
                    format!("{key}[{i}].link"),
                    title,
                    "must be a link starting with https://",
                ));
            }
            check_length(&mut out, format!("{key}[{i}].link"), title, &l.link, 500);
        }
    }
    for (key, title, month) in [
        ("begin_date", "Begindatum", &facts.begin_date),
        ("end_date", "Einddatum", &facts.end_date),
    ] {
        if month.as_deref().is_some_and(|m| !is_month(m)) {
            out.push(problem(key, title, "must be a month written YYYY-MM"));
        }
    }
    if facts.status == UseStatus::InUse && facts.end_date.is_some() {
        out.push(problem(
            "end_date",
            "Einddatum",
            "stays empty while the use goes on",
        ));
    }
    if facts.deployment.chars().count() > 100 {
        out.push(problem(
            "source_id",
            "Bron-ID",
            "longer than 100 characters",
        ));
    }
    if !out.is_empty() {
        return Err(out);
    }
    // The assessment said where the organisation wrote nothing on impact assessments.
    let mut text = text.clone();
    if text.impacttoetsen.trim().is_empty() {
        if let Some(said) = facts.assessment.in_dutch() {
            text.impacttoetsen = said.chars().take(2500).collect();
        }
    }
    Ok(Registration {
        text,
        status: facts.status.as_dutch().into(),
        begin_date: facts.begin_date.clone().unwrap_or_default(),
        end_date: facts.end_date.clone().unwrap_or_default(),
        lang: "nld".into(),
        standard_version: STANDARD_VERSION.into(),
        source_id: facts.deployment.clone(),
    })
}

fn is_email(v: &str) -> bool {
    let Some((local, domain)) = v.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !v.contains(char::is_whitespace)
}

/// The CSV columns, in order: the standard's keys.
pub const CSV_COLUMNS: &[&str] = &[
    "name",
    "organization",
    "description_short",
    "category",
    "status",
    "begin_date",
    "end_date",
    "contact_email",
    "website",
    "publication_category",
    "url",
    "goal",
    "proportionality",
    "human_intervention",
    "risks",
    "lawful_basis",
    "lawful_basis_grouping",
    "process_index_url",
    "impacttoetsen_grouping",
    "impacttoetsen",
    "source_data",
    "source_data_grouping",
    "methods_and_models",
    "provider",
    "publiccode",
    "lang",
    "standard_version",
    "source_id",
    "tags",
];

/// Registrations as CSV: a header row of [`CSV_COLUMNS`], then one row each; a list is
/// written as JSON in its cell (themes as a JSON array, links as an array of objects).
pub fn to_csv(registrations: &[Registration]) -> Result<String, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(CSV_COLUMNS)?;
    for r in registrations {
        let value = serde_json::to_value(r).unwrap_or_default();
        let row: Vec<String> = CSV_COLUMNS
            .iter()
            .map(|k| match &value[*k] {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Null => String::new(),
                other => other.to_string(),
            })
            .collect();
        w.write_record(&row)?;
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete() -> RegisterText {
        RegisterText {
            name: "Gezichten vergelijken met de strafrechtelijke fotodatabase".into(),
            description_short: "Een examinator vergelijkt een foto van een verdachte met foto's uit de strafrechtelijke database.".into(),
            organization: "Politie".into(),
            category: vec!["Openbare orde en veiligheid".into(), "Recht".into()],
            contact_email: "algoritmes@politie.example".into(),
            publication_category: "Hoog-risico AI-systeem".into(),
            lawful_basis_grouping: vec![Link {
                title: "Wet politiegegevens".into(),
                link: "https://wetten.example/BWBR0022463".into(),
            }],
            ..Default::default()
        }
    }

    fn facts() -> UseFacts {
        UseFacts {
            deployment: "catch".into(),
            status: UseStatus::InUse,
            begin_date: Some("2026-03".into()),
            end_date: None,
            assessment: AssessmentRecord {
                fria_complete: true,
                fria_notified_on: "2026-02-01".into(),
                fria_notification_reference: "MSA-7".into(),
                registration_reference: "EU-42".into(),
            },
        }
    }

    /// Issue 19 item 1: the assessment is in the register export where the organisation
    /// wrote nothing on impact assessments; their own words stand where they did.
    #[test]
    fn the_assessment_is_said_where_the_organisation_wrote_none() {
        let mut text = complete();
        text.impacttoetsen = String::new();
        let r = registration(&text, &facts()).unwrap();
        assert!(
            r.text.impacttoetsen.contains("art. 27") && r.text.impacttoetsen.contains("MSA-7"),
            "{}",
            r.text.impacttoetsen
        );
        text.impacttoetsen = "Eigen tekst.".into();
        assert_eq!(
            registration(&text, &facts()).unwrap().text.impacttoetsen,
            "Eigen tekst."
        );
        let mut bare = facts();
        bare.assessment = AssessmentRecord::default();
        text.impacttoetsen = String::new();
        assert!(registration(&text, &bare)
            .unwrap()
            .text
            .impacttoetsen
            .is_empty());
    }

    #[test]
    fn a_complete_text_gives_a_registration_with_the_system_facts() {
        let r = registration(&complete(), &facts()).unwrap();
        assert_eq!(r.status, "In gebruik");
        assert_eq!(
            (r.lang.as_str(), r.standard_version.as_str()),
            ("nld", STANDARD_VERSION)
        );
        assert_eq!(r.source_id, "catch");
        let csv = to_csv(&[r]).unwrap();
        let mut rows = csv::Reader::from_reader(csv.as_bytes());
        let header = rows.headers().unwrap().clone();
        assert_eq!(header.len(), CSV_COLUMNS.len());
        let row = rows.records().next().unwrap().unwrap();
        let cell = |k: &str| row[header.iter().position(|h| h == k).unwrap()].to_string();
        assert_eq!(cell("status"), "In gebruik");
        assert_eq!(
            cell("category"),
            r#"["Openbare orde en veiligheid","Recht"]"#
        );
        assert!(cell("lawful_basis_grouping").contains("Wet politiegegevens"));
    }

    #[test]
    fn missing_too_long_and_wrong_fields_are_each_named() {
        let mut t = complete();
        t.name.clear();
        t.description_short = "x".repeat(351);
        t.goal = "ë".repeat(2501);
        t.website = "http://insecure.example".into();
        t.contact_email = "not an address".into();
        t.publication_category = "Hoog risico".into();
        t.category = vec![
            "Verkeer".into(),
            "Recht".into(),
            "Werk".into(),
            "Politie".into(),
        ];
        t.lawful_basis_grouping[0].link = "wetten".into();
        let mut f = facts();
        f.end_date = Some("2026-13".into());
        let problems = registration(&t, &f).unwrap_err();
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        for expected in [
            "name",
            "description_short",
            "goal",
            "website",
            "contact_email",
            "publication_category",
            "category",
            "category[3]",
            "lawful_basis_grouping[0].link",
            "end_date",
        ] {
            assert!(
                fields.contains(&expected),
                "{expected} not named in {fields:?}"
            );
        }
        let goal = problems.iter().find(|p| p.field == "goal").unwrap();
        assert_eq!(
            goal.to_string(),
            "goal (Doel en impact): 2501 characters; the standard allows at most 2500 — shorten it by 1",
            "characters are counted, not bytes"
        );
        assert_eq!(
            problems
                .iter()
                .find(|p| p.field == "name")
                .unwrap()
                .to_string(),
            "name (Naam): required, and empty"
        );
    }
}
