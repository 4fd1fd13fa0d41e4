//! The demo organisation a newcomer can click through: an account for each role, the
//! default framework, an active CATCH-like deployment approved through the real review
//! chain, a small reference database enrolled from the sample photos, and one worked case
//! from probe to identification — every step in the ledger. Idempotent: a second run reuses
//! what is there.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use waarborg_app::{account, cases, publication, search, App};
use waarborg_govern::case::{AuthorityKind, CaseAuthorisation};
use waarborg_govern::framework::Framework;
use waarborg_govern::revision::Deployment;
use waarborg_govern::{Actor, Role, Timestamp};
use waarborg_index::Index;
use waarborg_store::{Account, AccountStore, Store};

/// The demo deployment's id.
pub const DEPLOYMENT: &str = "catch-demo";
/// The file (mode 0600) holding the demo accounts' generated passwords.
pub const PASSWORDS_FILE: &str = "demo-accounts.txt";

/// Accounts for every person of the demo, with generated passwords kept in a 0600 file.
fn accounts(app: &App, data: &Path) -> anyhow::Result<()> {
    let file = data.join(PASSWORDS_FILE);
    if app.store.account("examiner-1")?.is_some() {
        return Ok(());
    }
    let operator = crate::govern::operator();
    let mut lines =
        String::from("# Demo accounts (generated; this file is readable only by you)\n");
    for (user, role, unit) in waarborg_govern::demo::PEOPLE {
        let password = account::generate_password()?;
        // Examiners at a biometrics centre also verify each other's proposals (never their
        // own: the domain refuses that).
        let mut roles = vec![*role];
        if *role == Role::Examiner {
            roles.push(Role::Verifier);
        }
        let account = Account {
            portfolio: (*role == Role::PortfolioHolder)
                .then_some(waarborg_govern::Portfolio::Digitalisation),
            authority: (*role == Role::CompetentAuthority)
                .then_some(waarborg_govern::case::AuthorityKind::PublicProsecutor),
            ..Account::new(user, roles, unit)
        };
        account::create_account(app, &operator, account, &password)?;
        lines.push_str(&format!("{user:<14} {:<28} {password}\n", role.as_str()));
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&file)
        .with_context(|| format!("writing {}", file.display()))?;
    f.write_all(lines.as_bytes())?;
    Ok(())
}

/// Sets up (or finds) the demo organisation in `app`.
pub fn set_up(app: &App, data: &Path, samples: &Path) -> anyhow::Result<()> {
    accounts(app, data)?;
    let now = app.now();
    let store = &app.store;
    // The template for the uses proposed during the demo; the demo's own use is reviewed
    // under the demo framework, whose monitoring thresholds are low enough to show alerts.
    store.import_framework(&Framework::default_template())?;
    let framework = waarborg_govern::demo::demo_framework();
    store.import_framework(&framework)?;
    let engine = app
        .engine
        .clone()
        .context("the demo needs the face engine: run `waarborg models install`")?;
    let index: Arc<Index> = app.index.clone().context("no reference index")?;
    if store.deployment(DEPLOYMENT)?.is_none() {
        let fp = engine.fingerprint();
        // What the model cache records of the models (licences, evaluation), as for any
        // revision the application writes.
        let content = waarborg_app::governance::with_model_facts(
            app,
            waarborg_govern::demo::catch_like_content(
                vec![fp.detector_sha256.clone(), fp.recognizer_sha256.clone()],
                now.plus(-Timestamp::DAY),
            ),
        );
        let mut d = Deployment::new(
            DEPLOYMENT,
            "CATCH-like retrospective search (demo)",
            content,
        )?;
        let events = waarborg_govern::demo::approve_through_chain(&mut d, 1, &framework, now)?;
        let entries: Vec<_> = events
            .iter()
            .map(|e| waarborg_app::entries::governance_entry(&d, e))
            .collect();
        app.commit(&entries, |log| store.create_deployment_logged(&d, log))?;
    }
    publish(app)?;
    // The reference database: face crops of the sample photos, enrolled through the real
    // bulk import (provenance, quality, duplicate checks, encrypted images, ledger entries).
    if index.stats().templates == 0 {
        let set = data.join("demo-reference-set");
        let photos: Vec<std::path::PathBuf> = waarborg_models::SAMPLE_PHOTOS
            .iter()
            .map(|p| samples.join(p))
            .collect();
        waarborg_refdb::synthetic::sample_set(&engine, &photos, &set, 1, now)?;
        let vault = app
            .references
            .as_ref()
            .context("the service state has no reference vault")?;
        let db = waarborg_refdb::ReferenceDb {
            store: &app.store,
            index: &index,
            vault,
            ledger: &app.ledger,
        };
        let who = waarborg_refdb::enrol::Enrolment::new("manager-1", &engine, now);
        waarborg_refdb::enrol::import(
            &db,
            &engine,
            &set,
            &set.join("manifest.csv"),
            engine.config().workers,
            &who,
            &waarborg_refdb::enrol::Quiet,
        )?;
        index.flush()?;
        // The plaintext crops were only the import's input: the enrolled images live
        // encrypted in the vault. The manifest stays as the record of what was imported.
        for entry in std::fs::read_dir(&set)? {
            let path = entry?.path();
            if path.extension().is_some_and(|e| e == "jpg") {
                std::fs::remove_file(&path)?;
            }
        }
    }
    // One worked case, through the service itself.
    if store.case("OM-DEMO-0001")?.is_none() {
        let officer = Actor::new("officer-1", Role::Requester, "investigation");
        let prosecutor = Actor::new(
            "prosecutor-1",
            Role::CompetentAuthority,
            "public-prosecution",
        )
        .acting_as(waarborg_govern::case::AuthorityKind::PublicProsecutor);
        let case = CaseAuthorisation::request(
            &officer,
            "OM-DEMO-0001",
            DEPLOYMENT,
            "Armed robbery of a jeweller",
            "robbery",
            12,
            AuthorityKind::PublicProsecutor,
            false,
            now,
        )?;
        cases::record_request(app, &officer, &case)?;
        cases::record_decision(
            app,
            &prosecutor,
            "OM-DEMO-0001",
            true,
            "Serious offence; a targeted search is proportionate",
        )?;
        // The examiner's and the verifiers' steps, through the same use cases as the
        // service's.
        let person = |user: &str, role: Role| {
            let unit = waarborg_govern::demo::PEOPLE
                .iter()
                .find(|(u, _, _)| *u == user)
                .map_or("biometrics-centre", |(_, _, unit)| *unit);
            Actor::new(user, role, unit)
        };
        competences(app, now)?;
        let examiner = person("examiner-1", Role::Examiner);
        let probe = std::fs::read(samples.join("yaoming.jpg"))?;
        let asked = search::SubmitQuery {
            deployment: DEPLOYMENT.into(),
            case: "OM-DEMO-0001".into(),
            probe_source: "crime_scene_cctv".into(),
        };
        let (s, _) = search::submit_probe(app, &examiner, &asked, "image/jpeg", probe)?;
        let s = search::choose_face(app, &examiner, &s.id, 0)?;
        let top = s.candidates.first().context("no candidates")?.reference;
        let proposal = search::JudgementBody {
            level: "identification_support_moderate".into(),
            reference: Some(top),
            reasons: "Face shape, ears and hairline agree with the reference image".into(),
            comparison: Some(compared(top)),
        };
        search::propose(app, &examiner, &s.id, proposal)?;
        for v in ["verifier-1", "verifier-2"] {
            search::assign(app, &examiner, &s.id, v)?;
        }
        for v in ["verifier-1", "verifier-2"] {
            // Each verifier concludes on their own first, blind to the proposal.
            let own = search::JudgementBody {
                level: "identification_support_moderate".into(),
                reference: Some(top),
                reasons: format!("{v}: compared for myself; face shape, ears and hairline agree"),
                comparison: Some(compared(top)),
            };
            search::conclude_independently(app, &person(v, Role::Verifier), &s.id, own)?;
            let judgement = search::VerificationBody {
                verdict: waarborg_govern::identification::Verdict::Agree,
                reasons: format!("{v}: compared independently; features agree"),
            };
            search::record_verification(app, &person(v, Role::Verifier), &s.id, judgement)?;
        }
    }
    app.ledger.checkpoint()?;
    Ok(())
}

/// The demo's comparison form of candidate `reference`: the features a frontal photo shows
/// alike, the ones it hides not assessable.
fn compared(reference: u64) -> search::ComparisonBody {
    use waarborg_govern::comparison::{Assessment, FeatureMark, FEATURES};
    let features = FEATURES
        .iter()
        .map(|f| FeatureMark {
            feature: f.to_string(),
            assessment: match *f {
                "scars" | "alterations" | "neck" => Assessment::NotAssessable,
                _ => Assessment::Similar,
            },
            notes: match *f {
                "ears" => "lobes attached, same helix shape".into(),
                _ => String::new(),
            },
        })
        .collect();
    search::ComparisonBody {
        reference,
        features,
    }
}

/// The demo's competence register, kept by its competence administrator: every examiner and
/// verifier trained and authorised under the demo deployment — except examiner-2, whose
/// facial-comparison qualification expired (the gate refuses their searches), and
/// verifier-3, whose AI-literacy training expires within weeks (shown ahead of time).
fn competences(app: &App, now: Timestamp) -> anyhow::Result<()> {
    let admin = Actor::new("competence-1", Role::CompetenceAdministrator, "training");
    let year = 365 * Timestamp::DAY;
    for (person, role) in [
        ("examiner-1", Role::Examiner),
        ("examiner-2", Role::Examiner),
        ("verifier-1", Role::Verifier),
        ("verifier-2", Role::Verifier),
        ("verifier-3", Role::Verifier),
    ] {
        let expires = match person {
            "examiner-2" => [now.plus(-30 * Timestamp::DAY), now.plus(year)],
            "verifier-3" => [now.plus(2 * year), now.plus(40 * Timestamp::DAY)],
            _ => [now.plus(2 * year), now.plus(year)],
        };
        waarborg_app::competence::qualify(app, &admin, person, role, DEPLOYMENT, expires)?;
    }
    Ok(())
}

/// The demo organisation's published texts (Dutch, as the register wants them) and its
/// details for the EU database, written once through the same path as the API's.
fn publish(app: &App) -> anyhow::Result<()> {
    use waarborg_report::annual::{EuRegistrationText, Organisation, Party};
    use waarborg_report::register::Link;
    let privacy = Actor::new("privacy-1", Role::PrivacyOfficer, "privacy");
    let (mut text, version) = publication::publication(&app.store, DEPLOYMENT)?;
    if version == 0 {
        let r = &mut text.register;
        r.name = "Gezichtsherkenning achteraf in de strafrechtelijke fotodatabank (demo)".into();
        r.organization = "Politie (demo-organisatie)".into();
        r.contact_email = "algoritmes@politie.example".into();
        r.category = vec!["Openbare orde en veiligheid".into(), "Recht".into()];
        r.proportionality = "Alleen bij misdrijven met een strafmaximum van vier jaar of meer, per zaak gemachtigd door de officier van justitie. Een gerichte zoekactie in een beperkte databank weegt op tegen de inbreuk op de privacy; zonder deze vergelijking blijven zaken met beeldmateriaal vaker onopgelost.".into();
        r.risks = "Verkeerde overeenkomsten: de uitkomst is een opsporingsindicatie, nooit bewijs, en pas een identificatie na twee onafhankelijke verificaties. Elke stap staat in een onveranderbaar auditlogboek; toezichthouders rekenen de cijfers na.".into();
        r.lawful_basis = "Wet politiegegevens en Wetboek van Strafvordering; machtiging per zaak door het bevoegd gezag (AI-verordening, artikel 26, lid 10).".into();
        r.lawful_basis_grouping = vec![Link {
            title: "Wet politiegegevens".into(),
            link: "https://wetten.overheid.nl/BWBR0022463".into(),
        }];
        r.source_data = "Foto's van verdachten uit de strafrechtelijke fotodatabank (met herkomst en bewaartermijn) en het zoekbeeld uit de zaak.".into();
        r.methods_and_models = "Gezichtsdetectie (SCRFD) en een gezichtsherkenningsmodel (ArcFace) maken van elk gezicht een sjabloon; de zoekactie geeft een kandidatenlijst op volgorde van overeenkomst. Niet zelflerend.".into();
        r.provider = "Intern ontwikkeld (Waarborg)".into();
        text.eu = EuRegistrationText {
            provider_entry_url: "https://eu-ai-database.example/systems/waarborg-demo".into(),
            fria_summary: "Grondrechtentoets: risico op onterechte verdenking beperkt door menselijke verificatie, drempel voor delicten en machtiging per zaak.".into(),
            dpia_summary: "DPIA DPIA-DEMO-2026 goedgekeurd: versleutelde opslag, bewaartermijnen, logging van elke handeling.".into(),
        };
        publication::save_publication(app, &privacy, DEPLOYMENT, &text, 0)?;
    }
    let (_, version) = publication::organisation(&app.store)?;
    if version == 0 {
        let party = Party {
            name: "Politie (demo-organisatie)".into(),
            address: "Postbus 1, 2500 AA Den Haag".into(),
            contact: "privacy@politie.example".into(),
        };
        let org = Organisation {
            deployer: party.clone(),
            submitter: Party {
                name: "Privacy officer (demo)".into(),
                ..party
            },
        };
        publication::save_organisation(app, &privacy, &org, 0)?;
    }
    Ok(())
}
