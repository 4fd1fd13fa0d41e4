//! The demo organisation a newcomer can click through: an account for each role, the
//! default framework, an active CATCH-like deployment approved through the real review
//! chain, a small reference database enrolled from the sample photos, and one worked case
//! from probe to identification — every step in the ledger. Idempotent: a second run reuses
//! what is there.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::Arc;

use anyhow::{bail, Context};
use axum::body::Body;
use axum::http::{header, Request};
use tower::ServiceExt;
use waarborg_govern::case::{AuthorityKind, CaseAuthorisation};
use waarborg_govern::framework::Framework;
use waarborg_govern::revision::Deployment;
use waarborg_govern::{Actor, Role, Timestamp};
use waarborg_index::Index;
use waarborg_server::{auth, AppState};
use waarborg_store::{Account, AccountStore, Store};

/// The demo deployment's id.
pub const DEPLOYMENT: &str = "catch-demo";
/// The file (mode 0600) holding the demo accounts' generated passwords.
pub const PASSWORDS_FILE: &str = "demo-accounts.txt";

/// Accounts for every person of the demo, with generated passwords kept in a 0600 file.
fn accounts(state: &AppState, data: &Path) -> anyhow::Result<()> {
    let file = data.join(PASSWORDS_FILE);
    if state.store.account("examiner-1")?.is_some() {
        return Ok(());
    }
    let mut lines =
        String::from("# Demo accounts (generated; this file is readable only by you)\n");
    for (user, role, unit) in waarborg_govern::demo::PEOPLE {
        let password = auth::generate_password().map_err(|p| anyhow::anyhow!(p.detail))?;
        // Examiners at a biometrics centre also verify each other's proposals (never their
        // own: the domain refuses that).
        let mut roles = vec![*role];
        if *role == Role::Examiner {
            roles.push(Role::Verifier);
        }
        let account = Account {
            portfolio: (*role == Role::PortfolioHolder)
                .then_some(waarborg_govern::Portfolio::Digitalisation),
            ..Account::new(user, roles, unit)
        };
        auth::create_account(&state.store, &account, &password)
            .map_err(|p| anyhow::anyhow!(p.detail))?;
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

async fn call(
    app: &axum::Router,
    method: &str,
    path: &str,
    session: Option<&(String, String)>,
    ctype: &str,
    body: Vec<u8>,
) -> anyhow::Result<serde_json::Value> {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header(header::CONTENT_TYPE, ctype);
    if let Some((cookie, csrf)) = session {
        req = req
            .header(header::COOKIE, cookie.as_str())
            .header(auth::CSRF_HEADER, csrf.as_str());
    }
    let res = app.clone().oneshot(req.body(Body::from(body))?).await?;
    let status = res.status();
    let cookie = res
        .headers()
        .get(header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .map(|c| c.split(';').next().unwrap_or("").to_string());
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 24).await?;
    let mut v: serde_json::Value =
        serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    if !status.is_success() {
        bail!("{method} {path}: {status} {v}");
    }
    if let Some(c) = cookie {
        v["cookie"] = serde_json::Value::String(c);
    }
    Ok(v)
}

async fn login(
    app: &axum::Router,
    data: &Path,
    user: &str,
    role: Role,
) -> anyhow::Result<(String, String)> {
    let text = std::fs::read_to_string(data.join(PASSWORDS_FILE))?;
    let password = text
        .lines()
        .find_map(|l| {
            l.strip_prefix(user)
                .filter(|rest| rest.starts_with(' '))
                .and_then(|rest| rest.split_whitespace().nth(1))
        })
        .with_context(|| format!("no demo password for {user}"))?;
    let body =
        serde_json::json!({"user": user, "password": password, "role": role.as_str()}).to_string();
    let v = call(
        app,
        "POST",
        "/api/login",
        None,
        "application/json",
        body.into_bytes(),
    )
    .await?;
    Ok((
        v["cookie"].as_str().unwrap_or("").to_string(),
        v["csrf"].as_str().unwrap_or("").to_string(),
    ))
}

/// Sets up (or finds) the demo organisation in `state`.
pub fn set_up(state: &Arc<AppState>, data: &Path, samples: &Path) -> anyhow::Result<()> {
    accounts(state, data)?;
    let now = Timestamp(state.now());
    let store = &state.store;
    let framework = Framework::default_template();
    store.import_framework(&framework)?;
    let engine = state
        .engine
        .clone()
        .context("the demo needs the face engine: run `waarborg models install`")?;
    let index: Arc<Index> = state.index.clone().context("no reference index")?;
    if store.deployment(DEPLOYMENT)?.is_none() {
        let fp = engine.fingerprint();
        let content = waarborg_govern::demo::catch_like_content(
            vec![fp.detector_sha256.clone(), fp.recognizer_sha256.clone()],
            now.plus(-Timestamp::DAY),
        );
        let mut d = Deployment::new(
            DEPLOYMENT,
            "CATCH-like retrospective search (demo)",
            content,
        )?;
        let events = waarborg_govern::demo::approve_through_chain(&mut d, 1, &framework, now)?;
        for e in &events {
            state
                .ledger
                .append(waarborg_server::governance_entry(&d, e))?;
        }
        store.create_deployment(&d)?;
    }
    publish(state)?;
    // The reference database: face crops of the sample photos, enrolled through the real
    // bulk import (provenance, quality, duplicate checks, encrypted images, ledger entries).
    if index.stats().templates == 0 {
        let set = data.join("demo-reference-set");
        let photos: Vec<std::path::PathBuf> = waarborg_models::SAMPLE_PHOTOS
            .iter()
            .map(|p| samples.join(p))
            .collect();
        waarborg_refdb::synthetic::sample_set(&engine, &photos, &set, 1, now)?;
        let vault = state
            .references
            .as_ref()
            .context("the service state has no reference vault")?;
        let db = waarborg_refdb::ReferenceDb {
            store: &state.store,
            index: &index,
            vault,
            ledger: &state.ledger,
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
        );
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
        waarborg_server::cases::record_request(store, &state.ledger, &officer, &case)
            .map_err(|p| anyhow::anyhow!(p.detail))?;
        waarborg_server::cases::record_decision(
            store,
            &state.ledger,
            &state.probes,
            &prosecutor,
            "OM-DEMO-0001",
            true,
            "Serious offence; a targeted search is proportionate",
            now,
        )
        .map_err(|p| anyhow::anyhow!(p.detail))?;
        let app = waarborg_server::app(state.clone());
        let probe = std::fs::read(samples.join("yaoming.jpg"))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        runtime.block_on(async {
            let examiner = login(&app, data, "examiner-1", Role::Examiner).await?;
            let s = call(&app, "POST", &format!("/api/searches?deployment={DEPLOYMENT}&case=OM-DEMO-0001&probe_source=crime_scene_cctv"), Some(&examiner), "image/jpeg", probe).await?;
            let id = s["search"]["id"].as_str().context("no search id")?.to_string();
            let s = call(&app, "POST", &format!("/api/searches/{id}/choose"), Some(&examiner), "application/json", br#"{"face":0}"#.to_vec()).await?;
            let top = s["search"]["candidates"][0]["reference"].as_u64().context("no candidates")?;
            let proposal = serde_json::json!({"conclusion": {"conclusion": "candidate", "reference": top}, "reasoning": "Face shape, ears and hairline agree with the reference image"});
            call(&app, "POST", &format!("/api/searches/{id}/proposal"), Some(&examiner), "application/json", proposal.to_string().into_bytes()).await?;
            for v in ["verifier-1", "verifier-2"] {
                let s = login(&app, data, v, Role::Verifier).await?;
                let body = serde_json::json!({"verdict": "agree", "reasons": format!("{v}: compared independently; features agree")});
                call(&app, "POST", &format!("/api/searches/{id}/verifications"), Some(&s), "application/json", body.to_string().into_bytes()).await?;
            }
            anyhow::Ok(())
        })?;
    }
    state.ledger.checkpoint()?;
    Ok(())
}

/// The demo organisation's published texts (Dutch, as the register wants them) and its
/// details for the EU database, written once through the same path as the API's.
fn publish(state: &AppState) -> anyhow::Result<()> {
    use waarborg_report::annual::{EuRegistrationText, Organisation, Party};
    use waarborg_report::register::Link;
    use waarborg_server::publication;
    let privacy = Actor::new("privacy-1", Role::PrivacyOfficer, "privacy");
    let (mut text, version) = publication::publication(&state.store, DEPLOYMENT)
        .map_err(|p| anyhow::anyhow!(p.detail))?;
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
        publication::save_publication(&state.store, &state.ledger, &privacy, DEPLOYMENT, &text, 0)
            .map_err(|p| anyhow::anyhow!(p.detail))?;
    }
    let (_, version) =
        publication::organisation(&state.store).map_err(|p| anyhow::anyhow!(p.detail))?;
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
        publication::save_organisation(&state.store, &state.ledger, &privacy, &org, 0)
            .map_err(|p| anyhow::anyhow!(p.detail))?;
    }
    Ok(())
}
