//! The whole loop over the HTTP API with the real engine, index, store and ledger: probe →
//! faces → candidates → proposal → two independent verifications → identification; and the
//! forbidden paths refused and logged.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use serde_json::Value;
use tower::ServiceExt;
use waarborg_govern::case::{AuthorityKind, CaseAuthorisation};
use waarborg_govern::framework::Framework;
use waarborg_govern::revision::Deployment;
use waarborg_govern::{Actor, Role, Timestamp};
use waarborg_index::{Index, IndexConfig, NewTemplate};
use waarborg_ledger::{Ledger, NoteSigner};
use waarborg_server::{app, auth, AppState};
use waarborg_store::{Account, AccountStore, SqliteStore, Store};

const PASSWORD: &str = "correct horse battery staple";
const NOW: i64 = 1_800_000_000;

fn clock() -> i64 {
    NOW
}

struct World {
    app: axum::Router,
    state: Arc<AppState>,
    samples: std::path::PathBuf,
}

fn world() -> World {
    world_named("flow")
}

/// A world of its own for each test (tests of one binary run side by side).
fn world_named(name: &str) -> World {
    let dir = std::env::temp_dir().join(format!("waarborg-server-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let paths = waarborg_models::ModelCache::from_env()
        .require()
        .unwrap_or_else(|e| panic!("these tests need the real models: {e}"));
    let engine = waarborg_face::FaceEngine::load(
        &waarborg_face::EnginePaths {
            runtime_library: paths.runtime_library,
            detector: paths.detector,
            recognizer: paths.recognizer,
            detector_input: waarborg_face::Normalisation::SCRFD,
            recognizer_input: waarborg_face::Normalisation::ARCFACE,
        },
        waarborg_face::EngineConfig {
            threads: 2,
            ..Default::default()
        },
    )
    .unwrap();
    // A small reference database: every sufficient face of the sample photos.
    let (index, _) = Index::open(&dir.join("index"), IndexConfig::default()).unwrap();
    for (i, photo) in waarborg_models::SAMPLE_PHOTOS.iter().enumerate() {
        let image =
            waarborg_face::decode::decode_file(&paths.samples.join(photo), &Default::default())
                .unwrap();
        let faces = engine.analyze(&image, true).unwrap();
        let templates: Vec<Vec<f32>> = faces
            .iter()
            .filter(|f| f.quality.sufficient)
            .filter_map(|f| f.embedding.clone())
            .collect();
        let new: Vec<NewTemplate> = templates
            .iter()
            .enumerate()
            .map(|(j, t)| NewTemplate {
                id: (i * 100 + j) as u64,
                owner: (i * 100 + j) as u64,
                vector: t,
            })
            .collect();
        index.insert("criminal", &new).unwrap();
    }
    let store = SqliteStore::open(&dir.join("waarborg.sqlite")).unwrap();
    // Reference 200 (the single face of the third sample photo) has its record and its
    // image in the vault; the others are templates only.
    let references = waarborg_refdb::vault::Vault::open(
        &dir.join("images"),
        waarborg_seal::Keyring::new(waarborg_seal::Key::generate().unwrap(), Vec::new()),
    )
    .unwrap();
    let photo_200 = std::fs::read(paths.samples.join(waarborg_models::SAMPLE_PHOTOS[2])).unwrap();
    references
        .put(&waarborg_refdb::vault_name(200), &photo_200)
        .unwrap();
    {
        use waarborg_store::ReferenceStore;
        let now = waarborg_govern::Timestamp(clock());
        let record = waarborg_store::ReferenceRecord {
            id: 200,
            database: "criminal".into(),
            provenance: waarborg_refdb::synthetic::provenance(200, now),
            image_sha256: "00".repeat(32),
            enrolled_at: now,
            enrolled_by: "manager".into(),
            quality: "sufficient; 1 face".into(),
            duplicate: None,
            erasing: None,
        };
        store
            .add_references(&[record], &[], &mut || Ok(Vec::new()))
            .unwrap();
    }
    let f = Framework::default_template();
    store.import_framework(&f).unwrap();
    let fp = engine.fingerprint();
    let content = waarborg_govern::demo::catch_like_content(
        vec![fp.detector_sha256.clone(), fp.recognizer_sha256.clone()],
        Timestamp(NOW - 86_400),
    );
    let mut d = Deployment::new("catch-demo", "CATCH-like retrospective search", content).unwrap();
    waarborg_govern::demo::approve_through_chain(&mut d, 1, &f, Timestamp(NOW - 3600)).unwrap();
    store.create_deployment(&d).unwrap();
    let officer = Actor::new("officer-1", Role::Requester, "investigation");
    let prosecutor = Actor::new("prosecutor-1", Role::CompetentAuthority, "om")
        .acting_as(waarborg_govern::case::AuthorityKind::PublicProsecutor);
    let mut granted = CaseAuthorisation::request(
        &officer,
        "OM-1",
        "catch-demo",
        "armed robbery",
        "robbery",
        12,
        AuthorityKind::PublicProsecutor,
        false,
        Timestamp(NOW - 600),
    )
    .unwrap();
    granted
        .decide(&prosecutor, true, "proportionate", Timestamp(NOW - 300))
        .unwrap();
    store.create_case(&granted).unwrap();
    let pending = CaseAuthorisation::request(
        &officer,
        "OM-2",
        "catch-demo",
        "burglary",
        "burglary",
        6,
        AuthorityKind::PublicProsecutor,
        false,
        Timestamp(NOW - 600),
    )
    .unwrap();
    store.create_case(&pending).unwrap();
    for (user, roles) in [
        ("examiner-1", vec![Role::Examiner, Role::Verifier]),
        ("verifier-1", vec![Role::Verifier]),
        ("verifier-2", vec![Role::Verifier]),
        ("auditor-1", vec![Role::Auditor]),
        ("coordinator-1", vec![Role::Coordinator]),
        ("chief-1", vec![Role::ChiefOfPolice]),
        ("officer-1", vec![Role::Requester]),
        ("privacy-1", vec![Role::PrivacyOfficer]),
    ] {
        let a = Account::new(user, roles, "biometrics-centre");
        store
            .create_account(&a, &waarborg_app::account::hash_password(PASSWORD).unwrap())
            .unwrap();
    }
    let signer = NoteSigner::generate("waarborg.test/ledger").unwrap();
    let (ledger, _) = Ledger::open(&dir.join("ledger"), signer).unwrap();
    let state = Arc::new(AppState {
        app: Arc::new(waarborg_server::App {
            store,
            ledger,
            clock: Arc::new(clock),
            engine: Some(Arc::new(engine)),
            index: Some(Arc::new(index)),
            probes: waarborg_refdb::vault::Vault::open(
                &dir.join("probes"),
                waarborg_seal::Keyring::new(waarborg_seal::Key::generate().unwrap(), Vec::new()),
            )
            .unwrap(),
            references: Some(references),
            caches: Default::default(),
            reserve: waarborg_app::space::Reserve::unchecked(),
            read_flags: Default::default(),
            model_licences: Vec::new(),
            model_evaluations: Vec::new(),
        }),
        secure_cookies: false,
    });
    // Everyone who examines or verifies is trained and authorised, in the register.
    let admin = Actor::new("competence-1", Role::CompetenceAdministrator, "training");
    for (person, role) in [
        ("examiner-1", Role::Examiner),
        ("verifier-1", Role::Verifier),
        ("verifier-2", Role::Verifier),
    ] {
        waarborg_app::competence::qualify(
            &state.app,
            &admin,
            person,
            role,
            "catch-demo",
            [Timestamp(NOW + 86_400 * 365); 2],
        )
        .unwrap();
    }
    World {
        app: app(state.clone()),
        state,
        samples: paths.samples,
    }
}

type Session = (String, String);

async fn send(
    w: &World,
    method: &str,
    path: &str,
    s: Option<&Session>,
    ctype: &str,
    body: Vec<u8>,
) -> (StatusCode, Value) {
    let (status, bytes) = send_raw(w, method, path, s, ctype, body).await;
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

async fn send_raw(
    w: &World,
    method: &str,
    path: &str,
    s: Option<&Session>,
    ctype: &str,
    body: Vec<u8>,
) -> (StatusCode, Vec<u8>) {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header(header::CONTENT_TYPE, ctype);
    if let Some((cookie, csrf)) = s {
        req = req
            .header(header::COOKIE, cookie.as_str())
            .header(auth::CSRF_HEADER, csrf.as_str());
    }
    let res = w
        .app
        .clone()
        .oneshot(req.body(Body::from(body)).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 24)
        .await
        .unwrap();
    (status, bytes.to_vec())
}

async fn json(
    w: &World,
    method: &str,
    path: &str,
    s: Option<&Session>,
    body: &str,
) -> (StatusCode, Value) {
    send(
        w,
        method,
        path,
        s,
        "application/json",
        body.as_bytes().to_vec(),
    )
    .await
}

async fn login(w: &World, user: &str, role: &str) -> Session {
    let req = Request::builder()
        .method("POST")
        .uri("/api/login")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(format!(
            r#"{{"user":"{user}","password":"{PASSWORD}","role":"{role}"}}"#
        )))
        .unwrap();
    let res = w.app.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "login {user} as {role}");
    let cookie = res.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .unwrap();
    let v: Value = serde_json::from_slice(&bytes).unwrap();
    (cookie, v["csrf"].as_str().unwrap().to_string())
}

fn ledger_text(w: &World) -> String {
    String::from_utf8_lossy(
        &std::fs::read(w.state.ledger.dir().join(waarborg_ledger::ENTRIES_FILE)).unwrap(),
    )
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probe_to_identification_and_every_forbidden_path() {
    let w = world();
    let examiner = login(&w, "examiner-1", "examiner").await;
    let probe = std::fs::read(w.samples.join("yaoming.jpg")).unwrap();

    // Wrong content type; a case that is not authorised (refused and logged).
    let (status, _) = send(
        &w,
        "POST",
        "/api/searches?deployment=catch-demo&case=OM-1&probe_source=crime_scene_cctv",
        Some(&examiner),
        "text/plain",
        probe.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let (status, body) = send(
        &w,
        "POST",
        "/api/searches?deployment=catch-demo&case=OM-2&probe_source=crime_scene_cctv",
        Some(&examiner),
        "image/jpeg",
        probe.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .starts_with("not_authorised"),
        "{body}"
    );
    assert!(
        ledger_text(&w).contains("not_authorised"),
        "the refusal is in the ledger"
    );
    // A broken image.
    let (status, body) = send(
        &w,
        "POST",
        "/api/searches?deployment=catch-demo&case=OM-1&probe_source=crime_scene_cctv",
        Some(&examiner),
        "image/jpeg",
        probe[..200].to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        ledger_text(&w).contains("invalid_probe"),
        "a permitted attempt with an unusable probe is in the ledger too"
    );
    let stored = std::fs::read_dir(w.state.probes.dir()).unwrap().count();
    assert_eq!(stored, 0, "nothing of it is kept");

    // The search.
    let (status, body) = send(
        &w,
        "POST",
        "/api/searches?deployment=catch-demo&case=OM-1&probe_source=crime_scene_cctv",
        Some(&examiner),
        "image/jpeg",
        probe.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = body["search"]["id"].as_str().unwrap().to_string();
    assert_eq!(body["search"]["faces"].as_array().unwrap().len(), 1);
    assert!(body["search"]["faces"][0]["quality"]["sufficient"]
        .as_bool()
        .unwrap());
    let (status, body) = json(
        &w,
        "POST",
        &format!("/api/searches/{id}/choose"),
        Some(&examiner),
        r#"{"face":0}"#,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let candidates = body["search"]["candidates"].as_array().unwrap().clone();
    assert!(!candidates.is_empty() && candidates.len() <= 20);
    assert_eq!(
        candidates[0]["reference"], 200,
        "the same photo, enrolled as reference 200, comes first"
    );
    assert!(candidates[0]["score"].as_f64().unwrap() > 0.99);
    // The search's ledger entry records its best score in thousandths, for drift, and no
    // reference with it.
    let last = w.state.ledger.size() - 1;
    let entry: serde_json::Value =
        serde_json::from_slice(&w.state.ledger.entry(last).unwrap()).unwrap();
    assert_eq!(entry["event"]["operation"], "search", "{entry}");
    let milli = entry["event"]["best_score_milli"].as_i64().unwrap();
    assert!(
        (milli as f64 / 1000.0 - candidates[0]["score"].as_f64().unwrap()).abs() < 0.001,
        "{entry}"
    );
    assert!(!entry.to_string().contains("\"reference\""));
    // The probe is kept encrypted: no file under the probe vault holds its bytes, and the
    // vault gives them back whole.
    let probes = w.state.probes.dir().to_path_buf();
    let needle = &probe[probe.len() / 2..probe.len() / 2 + 64];
    let mut files = vec![probes.clone()];
    let mut stored = 0;
    while let Some(d) = files.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            if e.path().is_dir() {
                files.push(e.path());
            } else {
                stored += 1;
                let bytes = std::fs::read(e.path()).unwrap();
                assert!(!bytes.windows(64).any(|x| x == needle), "{:?}", e.path());
            }
        }
    }
    assert_eq!(stored, 1);
    assert_eq!(w.state.probes.names().unwrap().len(), 1);
    assert_eq!(
        w.state
            .probes
            .get(&w.state.probes.names().unwrap()[0])
            .unwrap(),
        probe
    );
    // The candidate's reference image, beside the probe on the page, with its provenance;
    // only a candidate of this search, and only for its readers.
    let path = format!("/ui/searches/{id}");
    let (status, page) = send_raw(&w, "GET", &path, Some(&examiner), "", Vec::new()).await;
    assert_eq!(status, StatusCode::OK);
    let page = String::from_utf8_lossy(&page).to_string();
    let image = format!("/ui/searches/{id}/candidates/200/image");
    assert!(page.contains(&image), "{page}");
    // Candidates per person: one card per person record, the others on demand.
    let people = page.matches("<li class=\"person\"").count();
    assert!(people >= 1 && page.contains("Person record"), "{page}");
    let cards_and_more = page.matches("/candidates/").count();
    assert!(cards_and_more >= people, "{page}");
    // Filters: a capture period with nothing in it shows no candidate (the search is
    // unchanged); a malformed day is a page that says so.
    let (status, filtered) = send_raw(
        &w,
        "GET",
        &format!("{path}?captured_from=2999-01-01"),
        Some(&examiner),
        "",
        Vec::new(),
    )
    .await;
    let filtered = String::from_utf8_lossy(&filtered).to_string();
    assert_eq!(status, StatusCode::OK);
    assert!(
        filtered.contains("No candidate meets these filters") && !filtered.contains(&image),
        "{filtered}"
    );
    let (status, _) = send_raw(
        &w,
        "GET",
        &format!("{path}?captured_to=yesterday"),
        Some(&examiner),
        "",
        Vec::new(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        page.contains("Wet politiegegevens") || page.contains("Vreemdelingenwet"),
        "provenance shown"
    );
    let (status, bytes) = send_raw(&w, "GET", &image, Some(&examiner), "", Vec::new()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(bytes, std::fs::read(w.samples.join("yaoming.jpg")).unwrap());
    // The face searched with, cut out of the probe for the comparison.
    let face = format!("/ui/searches/{id}/probe?face=0");
    assert!(page.contains(&face));
    let (status, png) = send_raw(&w, "GET", &face, Some(&examiner), "", Vec::new()).await;
    assert_eq!(status, StatusCode::OK);
    let crop = image::load_from_memory(&png).unwrap();
    let whole = image::load_from_memory(&probe).unwrap();
    assert!(crop.width() < whole.width() && crop.height() < whole.height());
    let (_, again) = send_raw(&w, "GET", &face, Some(&examiner), "", Vec::new()).await;
    assert_eq!(again, png, "the same crop, kept");
    let (status, _) = send_raw(
        &w,
        "GET",
        &format!("/ui/searches/{id}/probe?face=99"),
        Some(&examiner),
        "",
        Vec::new(),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let other = format!("/ui/searches/{id}/candidates/999999/image");
    let (status, _) = send_raw(&w, "GET", &other, Some(&examiner), "", Vec::new()).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "not a candidate: not served");
    // Another probe, stopped for insufficient quality: the ledger says why, as the
    // thresholds its faces failed (what the yearly figures count).
    let group = std::fs::read(w.samples.join("players.jpg")).unwrap();
    let (status, body) = send(
        &w,
        "POST",
        "/api/searches?deployment=catch-demo&case=OM-1&probe_source=crime_scene_cctv",
        Some(&examiner),
        "image/jpeg",
        group,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let second = body["search"]["id"].as_str().unwrap().to_string();
    // The group photo shown large with every face boxed and numbered, in the upright
    // probe's frame; a face picked on it is marked; its quality in the reader's words.
    let faces = body["search"]["faces"].as_array().unwrap().len();
    assert!(faces > 1, "a group photo");
    let whole =
        image::load_from_memory(&std::fs::read(w.samples.join("players.jpg")).unwrap()).unwrap();
    let page_path = format!("/ui/searches/{second}?face=1&lang=nl");
    let (status, page) = send_raw(&w, "GET", &page_path, Some(&examiner), "", Vec::new()).await;
    assert_eq!(status, StatusCode::OK);
    let page = String::from_utf8_lossy(&page).to_string();
    assert!(
        page.contains(&format!(
            "viewBox=\"0 0 {} {}\"",
            whole.width(),
            whole.height()
        )),
        "{page}"
    );
    assert_eq!(
        page.matches("<rect class=\"face-box").count(),
        faces,
        "{page}"
    );
    assert_eq!(page.matches(" selected\"").count(), 1, "one face picked");
    assert!(
        page.contains("px uit elkaar") && page.contains("Zoeken met gezicht"),
        "{page}"
    );
    let view = format!("/ui/searches/{second}/probe?view=upright");
    let (status, jpeg) = send_raw(&w, "GET", &view, Some(&examiner), "", Vec::new()).await;
    assert_eq!(status, StatusCode::OK);
    let shown = image::load_from_memory(&jpeg).unwrap();
    assert_eq!(
        (shown.width(), shown.height()),
        (whole.width(), whole.height()),
        "a small probe is shown at its size"
    );
    let (status, _) = send_raw(
        &w,
        "GET",
        &format!("/ui/searches/{second}/probe?view=sideways"),
        Some(&examiner),
        "",
        Vec::new(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Issue 18 item 2: a face marked by hand. A box outside the probe or too small to align
    // is refused and nothing is kept or logged; a good one, with the eye points, is
    // aligned, measured and kept as marked by hand, the step in the ledger.
    let searches = || {
        use waarborg_store::DocumentStore;
        w.state.store.documents("search", None).unwrap().len()
    };
    let faces_path = format!("/api/searches/{second}/faces");
    let (before, kept) = (w.state.ledger.size(), searches());
    for (mark, says) in [
        (
            r#"{"x": 10, "y": 10, "width": 9000, "height": 50}"#,
            "outside the probe",
        ),
        (
            r#"{"x": 10, "y": 10, "width": 10, "height": 50}"#,
            "too small to align",
        ),
        (
            r#"{"x": 10, "y": 10, "width": 60, "height": 60, "right_eye": [30, 30]}"#,
            "both eye points",
        ),
    ] {
        let (status, body) = json(&w, "POST", &faces_path, Some(&examiner), mark).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(body["detail"].as_str().unwrap().contains(says), "{body}");
    }
    assert_eq!(
        (w.state.ledger.size(), searches()),
        (before, kept),
        "nothing kept, nothing logged"
    );
    let first_face = {
        let (_, body) = json(
            &w,
            "GET",
            &format!("/api/searches/{second}"),
            Some(&examiner),
            "",
        )
        .await;
        body["search"]["faces"][0].clone()
    };
    let [x0, y0, x1, y1] = [0, 1, 2, 3].map(|i| first_face["bbox"][i].as_f64().unwrap());
    let kps = &first_face["kps"];
    let mark = serde_json::json!({
        "x": x0, "y": y0, "width": x1 - x0, "height": y1 - y0,
        "right_eye": kps[0], "left_eye": kps[1],
    });
    let (status, body) = json(&w, "POST", &faces_path, Some(&examiner), &mark.to_string()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let marked = body["search"]["faces"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(body["search"]["faces"].as_array().unwrap().len(), faces + 1);
    assert_eq!(marked["manual"]["eyes_placed"], true, "{marked}");
    assert_eq!(
        marked["quality"]["sufficient"], first_face["quality"]["sufficient"],
        "the same face, aligned from its own eyes, is judged alike"
    );
    assert!(ledger_text(&w).contains("marked by hand: box"));

    // A derived probe: the face cropped with a margin and lightened; a new search of the
    // same case naming its parent's hash and the steps; the original is unchanged. A crop
    // outside the image is refused and nothing is made.
    let derived_path = format!("/api/searches/{second}/derived");
    let (before, kept) = (w.state.ledger.size(), searches());
    let outside =
        r#"{"operations": [{"op": "crop", "x": 0, "y": 0, "width": 100000, "height": 10}]}"#;
    let (status, body) = json(&w, "POST", &derived_path, Some(&examiner), outside).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("outside the image"),
        "{body}"
    );
    assert_eq!((w.state.ledger.size(), searches()), (before, kept));
    let margin = (x1 - x0).max(y1 - y0) * 0.6;
    let steps = serde_json::json!({"operations": [
        {"op": "crop", "x": (x0 - margin).max(0.0) as u32, "y": (y0 - margin).max(0.0) as u32,
         "width": ((x1 - x0) + 2.0 * margin) as u32, "height": ((y1 - y0) + 2.0 * margin) as u32},
        {"op": "brightness", "offset": 12},
    ]});
    let (status, body) = json(
        &w,
        "POST",
        &derived_path,
        Some(&examiner),
        &steps.to_string(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let derived = &body["search"];
    let parent_sha = {
        let (_, body) = json(
            &w,
            "GET",
            &format!("/api/searches/{second}"),
            Some(&examiner),
            "",
        )
        .await;
        body["search"]["probe_sha256"].as_str().unwrap().to_string()
    };
    assert_eq!(derived["derivation"]["parent_sha256"], parent_sha.as_str());
    assert_eq!(derived["derivation"]["parent_search"], second.as_str());
    assert_eq!(derived["derivation"]["operations"][1]["op"], "brightness");
    assert_eq!(derived["case_number"], "OM-1");
    assert_ne!(derived["probe_sha256"], parent_sha.as_str());
    assert!(
        !derived["faces"].as_array().unwrap().is_empty(),
        "the face is found in the crop"
    );
    assert!(
        w.state.probes.contains(&parent_sha),
        "the original is kept as it was"
    );
    assert!(ledger_text(&w).contains(&format!("prepared from probe {parent_sha}")));
    let path = format!("/api/searches/{second}/insufficient");
    let (status, body) = json(&w, "POST", &path, Some(&examiner), "").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let log = ledger_text(&w);
    let stopped = log
        .split("insufficient quality: no search; ")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .to_string();
    assert!(stopped.contains("eye_distance"), "{stopped}");
    assert!(stopped.contains("examiner_judgement"), "{stopped}");
    let (status, _) = json(
        &w,
        "POST",
        &format!("/api/searches/{id}/choose"),
        Some(&examiner),
        r#"{"face":0}"#,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "searched once");

    // Proposal; a candidate not on the list is refused.
    let (status, _) = json(
        &w,
        "POST",
        &format!("/api/searches/{id}/proposal"),
        Some(&examiner),
        r#"{"level":"identification_support_strong","reference":999,"reasoning":"x y z"}"#,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // A level not on the framework's scale, or support without the candidate: refused.
    for (body, rule) in [
        (
            r#"{"level":"very_likely","reference":200,"reasons":"x y z"}"#,
            "not_on_scale",
        ),
        (
            r#"{"level":"identification_support_strong","reasons":"x y z"}"#,
            "level_needs_candidate",
        ),
    ] {
        let path = format!("/api/searches/{id}/proposal");
        let (status, answer) = json(&w, "POST", &path, Some(&examiner), body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        assert_eq!(answer["rule"], rule, "{answer}");
    }

    // Issue 18: the comparison view — both faces aligned, their key points, the form.
    let compare = format!("/ui/searches/{id}/compare/200");
    let (status, page) = send_raw(&w, "GET", &compare, Some(&examiner), "", vec![]).await;
    let page = String::from_utf8(page).unwrap();
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(
        page.matches("data:image/jpeg;base64,").count(),
        2,
        "both faces"
    );
    assert_eq!(page.matches("<circle").count(), 10, "five key points each");
    assert!(page.contains("id=\"comparison\"") && page.contains("feature.ears"));
    assert!(
        !page.contains("no key points to align") && page.contains("Rank 1 · Score"),
        "aligned; the examiner sees rank and score"
    );
    let (status, _) = send_raw(
        &w,
        "GET",
        &format!("/ui/searches/{id}/compare/999"),
        Some(&examiner),
        "",
        vec![],
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "not a candidate");
    // A form with a feature left open, or a mark that is none: refused, nothing kept.
    let marks = |skip: &str, mark: &str| -> Vec<u8> {
        let mut form: Vec<String> = waarborg_govern::comparison::FEATURES
            .iter()
            .filter(|f| **f != skip)
            .map(|f| format!("feature.{f}={mark}&note.{f}="))
            .collect();
        form.push("level=identification_support_moderate&reasons=same+ears+and+hairline".into());
        form.join("&").into_bytes()
    };
    let form = "application/x-www-form-urlencoded";
    let (status, page) = send_raw(
        &w,
        "POST",
        &compare,
        Some(&examiner),
        form,
        marks("ears", "similar"),
    )
    .await;
    let page = String::from_utf8(page).unwrap();
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(
        page.contains("ears") && page.contains("Nothing was recorded"),
        "{page}"
    );
    let (status, _) = send_raw(
        &w,
        "POST",
        &compare,
        Some(&examiner),
        form,
        marks("", "alike"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a mark that is none");
    let (_, seen) = json(
        &w,
        "GET",
        &format!("/api/searches/{id}"),
        Some(&examiner),
        "",
    )
    .await;
    assert!(
        seen["search"]["identification"]["proposal"].is_null(),
        "nothing kept: {seen}"
    );
    assert!(
        ledger_text(&w).contains("feature_unmarked"),
        "the refusal is logged"
    );
    // The whole form: the proposal, naming this candidate, with every feature's mark.
    let (status, _) = send_raw(
        &w,
        "POST",
        &compare,
        Some(&examiner),
        form,
        marks("", "similar"),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, seen) = json(
        &w,
        "GET",
        &format!("/api/searches/{id}"),
        Some(&examiner),
        "",
    )
    .await;
    let proposal = &seen["search"]["identification"]["proposal"];
    assert_eq!(proposal["conclusion"]["reference"], 200, "{proposal}");
    assert_eq!(
        proposal["comparison"]["features"].as_array().unwrap().len(),
        18,
        "{proposal}"
    );
    let (_, page) = send_raw(
        &w,
        "GET",
        &format!("/ui/searches/{id}"),
        Some(&examiner),
        "",
        vec![],
    )
    .await;
    assert!(String::from_utf8(page)
        .unwrap()
        .contains("18 similar, 0 dissimilar, 0 not assessable"));

    // Issue 16: verification is assigned. Before that, a verifier neither has it in their
    // queue nor reads it (403, logged); the examiner cannot be assigned, in any role.
    let v1 = login(&w, "verifier-1", "verifier").await;
    let (_, queue) = json(&w, "GET", "/api/searches", Some(&v1), "").await;
    assert_eq!(queue["searches"].as_array().unwrap().len(), 0, "{queue}");
    let (status, _) = json(&w, "GET", &format!("/api/searches/{id}"), Some(&v1), "").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "not assigned: not readable");
    let assign = format!("/api/searches/{id}/assignments");
    let (status, body) = json(
        &w,
        "POST",
        &assign,
        Some(&examiner),
        r#"{"verifier":"examiner-1"}"#,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["rule"], "verify_own_proposal", "{body}");
    for v in ["verifier-1", "verifier-2"] {
        let b = format!(r#"{{"verifier":"{v}"}}"#);
        let (status, body) = json(&w, "POST", &assign, Some(&examiner), &b).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (status, body) = json(
        &w,
        "POST",
        &assign,
        Some(&examiner),
        r#"{"verifier":"auditor-1"}"#,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["rule"], "not_a_verifier", "{body}");
    // An assignment withdrawn before the verifier acted, and made again.
    let withdraw = format!("/api/searches/{id}/assignments/withdrawal");
    let v2_body = r#"{"verifier":"verifier-2"}"#;
    let (status, body) = json(&w, "POST", &withdraw, Some(&examiner), v2_body).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let assigned = &body["search"]["identification"]["assigned"];
    assert_eq!(assigned, &serde_json::json!(["verifier-1"]));
    let (status, _) = json(&w, "POST", &assign, Some(&examiner), v2_body).await;
    assert_eq!(status, StatusCode::OK);

    // The examiner cannot verify their own proposal, even holding the verifier role.
    let self_verifier = login(&w, "examiner-1", "verifier").await;
    let (status, body) = json(
        &w,
        "POST",
        &format!("/api/searches/{id}/verifications"),
        Some(&self_verifier),
        r#"{"verdict":"agree","reasons":"mine"}"#,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("own proposal"));

    // Two independent verifiers; the second is blind to the first until they record.
    let v2 = login(&w, "verifier-2", "verifier").await;
    let (_, queue) = json(&w, "GET", "/api/searches", Some(&v1), "").await;
    assert_eq!(queue["searches"].as_array().unwrap().len(), 1, "{queue}");
    // Issue 16: each verifier first concludes on their own, blind: no proposal, no
    // reasoning, no score, no rank, no version; a verdict before that is refused.
    let (status, body) = json(
        &w,
        "POST",
        &format!("/api/searches/{id}/verifications"),
        Some(&v1),
        r#"{"verdict":"agree","reasons":"ears and hairline agree"}"#,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["rule"], "own_conclusion_first", "{body}");
    for v in [&v1, &v2] {
        let (status, seen) = json(&w, "GET", &format!("/api/searches/{id}"), Some(v), "").await;
        assert_eq!(status, StatusCode::OK, "{seen}");
        let text = seen.to_string();
        assert!(
            !text.contains("\"score\"")
                && !text.contains("\"rank\"")
                && !text.contains("hairline")
                && seen["search"]["identification"]["proposal"].is_null()
                && seen.get("version").is_none(),
            "blind: {seen}"
        );
        // The comparison view, blind too: no rank, no score, the form for their own.
        let (status, page) = send_raw(&w, "GET", &compare, Some(v), "", vec![]).await;
        let page = String::from_utf8(page).unwrap();
        assert_eq!(status, StatusCode::OK);
        for leak in ["Score", "Rank", "same ears and hairline"] {
            assert!(!page.contains(leak), "blind: {leak}");
        }
        assert!(page.contains("feature.ears") && page.contains("Record my own conclusion"));
        let (status, body) = json(
            &w,
            "POST",
            &format!("/api/searches/{id}/own-conclusion"),
            Some(v),
            r#"{"level":"identification_support_strong","reference":200,"reasons":"ears and hairline agree, seen for myself"}"#,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(
            !body["search"]["identification"]["proposal"].is_null(),
            "shown after: {body}"
        );
    }
    // A verifier who concluded stays assigned.
    let v1_body = r#"{"verifier":"verifier-1"}"#;
    let (status, body) = json(&w, "POST", &withdraw, Some(&examiner), v1_body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["rule"], "assignment_acted_on", "{body}");
    let (status, body) = json(
        &w,
        "POST",
        &format!("/api/searches/{id}/verifications"),
        Some(&v1),
        r#"{"verdict":"agree","reasons":"ears and hairline agree"}"#,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["outcome"].is_null());
    let (_, seen) = json(
        &w,
        "GET",
        &format!("/api/searches/{id}"),
        Some(&examiner),
        "",
    )
    .await;
    assert_eq!(
        seen["search"]["identification"]["own_conclusions"],
        serde_json::json!([]),
        "the examiner sees no judgement before the outcome: {seen}"
    );
    let (_, seen) = json(&w, "GET", &format!("/api/searches/{id}"), Some(&v2), "").await;
    assert_eq!(
        seen["search"]["identification"]["verifications"]
            .as_array()
            .unwrap()
            .len(),
        0,
        "the others' judgements hidden until one's own verdict: {seen}"
    );
    let (status, body) = json(
        &w,
        "POST",
        &format!("/api/searches/{id}/verifications"),
        Some(&v2),
        r#"{"verdict":"agree","reasons":"independently, the same"}"#,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["outcome"]["outcome"], "identification");
    assert_eq!(body["outcome"]["reference"], 200);
    // The requester reads the outcome in the case folder as a statement: the person record
    // from the reference database, who verified — never a candidate or a score.
    let person = {
        use waarborg_store::ReferenceStore;
        w.state
            .store
            .reference(200)
            .unwrap()
            .unwrap()
            .provenance
            .person
    };
    let officer = login(&w, "officer-1", "requester").await;
    let (status, page) =
        send_raw(&w, "GET", "/ui/cases/OM-1", Some(&officer), "", Vec::new()).await;
    let page = String::from_utf8_lossy(&page).to_string();
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains(&format!("person record {person}"))
            && page.contains("Verified independently by verifier-1, verifier-2"),
        "{page}"
    );
    assert!(
        !page.contains("/candidates/") && !page.contains(&format!("/ui/searches/{id}")),
        "no candidate and no search for the requester: {page}"
    );
    // A concluded identification stands: it is not withdrawn (refused, logged).
    let withdraw = format!("/api/searches/{id}/withdrawal");
    let reasons = r#"{"reasons":"no longer needed"}"#;
    let (status, body) = json(&w, "POST", &withdraw, Some(&examiner), reasons).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["rule"], "withdraw_after_outcome", "{body}");

    // Issue 19: the requester records what the investigation found of the identification
    // (the folder offers the form); a date to come is refused and logged, a finding that is
    // none is bad input, nobody else records it; the reports count the latest.
    assert!(
        page.contains("Record what the investigation found"),
        "{page}"
    );
    let feedback = format!("/api/searches/{id}/feedback");
    let (status, body) = json(
        &w,
        "POST",
        &feedback,
        Some(&officer),
        r#"{"finding":"lead_confirmed","found_on":"2027-02-01"}"#,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["rule"], "feedback_from_the_future", "{body}");
    let (status, _) = json(
        &w,
        "POST",
        &feedback,
        Some(&officer),
        r#"{"finding":"maybe","found_on":"2027-01-10"}"#,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = json(
        &w,
        "POST",
        &feedback,
        Some(&examiner),
        r#"{"finding":"unknown","found_on":"2027-01-10"}"#,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a requester's step");
    for finding in ["unknown", "lead_confirmed"] {
        let b = format!(r#"{{"finding":"{finding}","found_on":"2027-01-10"}}"#);
        let (status, body) = json(&w, "POST", &feedback, Some(&officer), &b).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["finding"], finding, "{body}");
        assert!(
            body.get("candidates").is_none() && body["search"] == id.as_str(),
            "{body}"
        );
    }
    let (_, page) = send_raw(&w, "GET", "/ui/cases/OM-1", Some(&officer), "", Vec::new()).await;
    assert!(String::from_utf8_lossy(&page)
        .contains("What the investigation found: the lead was confirmed"));
    assert!(ledger_text(&w).contains("\"finding\":\"lead_confirmed\""));
    let figures = {
        let period = waarborg_report::Period::new("2000-01-01", "2200-01-01").unwrap();
        let report = waarborg_report::figures_of_verified(w.state.ledger.dir(), &period).unwrap();
        report.overall.lead_feedback
    };
    assert_eq!(
        figures.get("lead_confirmed"),
        Some(&1),
        "the latest per search: {figures:?}"
    );
    assert_eq!(figures.len(), 1, "{figures:?}");
    // The periodic review sees it on the deployment's page.
    let chief = login(&w, "chief-1", "chief_of_police").await;
    let (_, page) = send_raw(
        &w,
        "GET",
        "/ui/deployments/catch-demo",
        Some(&chief),
        "",
        Vec::new(),
    )
    .await;
    let page = String::from_utf8_lossy(&page);
    assert!(
        page.contains("What the investigation found: the lead was confirmed</th><td>1"),
        "{page}"
    );

    // Issue 19 (AI Act Art. 86): the privacy officer explains the search's part to the
    // person identified — models, threshold, their rank, the judgements towards them, never
    // another candidate; a disclosure in the ledger. A person not on the list: not found.
    let privacy = login(&w, "privacy-1", "privacy_officer").await;
    let explain = format!("/api/persons/{person}/searches/{id}/explanation");
    let (status, body) = json(&w, "GET", &explain, Some(&privacy), "").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let e = &body["explanation"];
    assert_eq!(e["on_the_list"].as_array().unwrap().len(), 1, "{e}");
    assert_eq!(e["on_the_list"][0][0], 200, "{e}");
    assert_eq!(e["on_the_list"][0][1], 1, "{e}");
    assert_eq!(e["outcome"], "this_person", "{e}");
    assert_eq!(e["finding"], "lead_confirmed", "{e}");
    let judged = e["judgements"].as_array().unwrap();
    assert!(
        judged.len() >= 5 && judged.iter().all(|j| j["towards"] == "this_person"),
        "{e}"
    );
    assert!(
        !e.to_string().contains("same ears"),
        "no reasons' words: {e}"
    );
    let page = format!("/ui/persons/{person}/searches/{id}");
    let (status, page) = send_raw(&w, "GET", &page, Some(&privacy), "", vec![]).await;
    let page = String::from_utf8(page).unwrap();
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("about this person") && page.contains("Proposal of the examiner"),
        "{page}"
    );
    let nobody = format!("/api/persons/NO-SUCH-1/searches/{id}/explanation");
    let (status, _) = json(&w, "GET", &nobody, Some(&privacy), "").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        ledger_text(&w).contains("the data subject (AI Act Art. 86)"),
        "a disclosure in the ledger"
    );

    // The auditor reads but cannot write; another examiner's search is not yours.
    let auditor = login(&w, "auditor-1", "auditor").await;
    assert_eq!(
        json(
            &w,
            "GET",
            &format!("/api/searches/{id}"),
            Some(&auditor),
            ""
        )
        .await
        .0,
        StatusCode::OK
    );
    assert_eq!(
        json(
            &w,
            "POST",
            &format!("/api/searches/{id}/proposal"),
            Some(&auditor),
            "{}"
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );

    // A suspended deployment refuses the next search (and logs the refusal).
    let chief = login(&w, "chief-1", "chief_of_police").await;
    let (status, body) = json(
        &w,
        "POST",
        "/api/deployments/catch-demo/decisions",
        Some(&chief),
        r#"{"command":{"action":"suspend"},"reason":"complaint under investigation"}"#,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = send(
        &w,
        "POST",
        "/api/searches?deployment=catch-demo&case=OM-1&probe_source=crime_scene_cctv",
        Some(&examiner),
        "image/jpeg",
        probe,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(
        body["detail"].as_str().unwrap().starts_with("suspended"),
        "{body}"
    );

    // Every step is in the ledger, which verifies.
    let log = ledger_text(&w);
    for op in [
        "\"operation\":\"detect\"",
        "\"operation\":\"search\"",
        "\"operation\":\"proposal\"",
        "\"operation\":\"verification\"",
        "\"action\":\"suspend\"",
    ] {
        assert!(log.contains(op), "{op} missing from the ledger");
    }
    // The two refusals above and the later ones, and the unusable probe (issue 23); the
    // self-verification and the verdict before one's own conclusion, two levels off the
    // scale, a verifier reading before assignment, two assignments and a withdrawal refused
    // (issue 16); withdrawing a concluded search, a comparison with a feature left open
    // (issue 18); feedback dated in the future (issue 19).
    assert_eq!(log.matches("\"kind\":\"refusal\"").count(), 14);
    assert!(log.contains("not_on_scale") && log.contains("not_to_verify"));
    assert!(log.contains("verify_own_proposal") && log.contains("own_conclusion_first"));
    let (status, verified) = json(&w, "GET", "/api/ledger/verify", Some(&auditor), "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(verified["ok"], true, "{verified}");
    assert_eq!(verified["trust"], "genesis", "no key configured: says so");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn urgent_uses_refused_or_late_have_their_search_results_erased() {
    let w = world_named("urgent");
    let officer = Actor::new("officer-1", Role::Requester, "investigation");
    for (number, category) in [("OM-U1", "robbery"), ("OM-U2", "murder")] {
        let c = CaseAuthorisation::request(
            &officer,
            number,
            "catch-demo",
            "armed robbery",
            category,
            12,
            AuthorityKind::PublicProsecutor,
            true,
            Timestamp(NOW - 600),
        )
        .unwrap();
        waarborg_server::cases::record_request(&w.state, &officer, &c).unwrap();
    }
    // Urgent use: the examiner searches for both before any decision.
    let examiner = login(&w, "examiner-1", "examiner").await;
    let mut ids = Vec::new();
    for (case, photo) in [("OM-U1", "yaoming.jpg"), ("OM-U2", "gdp.jpg")] {
        let (status, body) = send(
            &w,
            "POST",
            &format!(
                "/api/searches?deployment=catch-demo&case={case}&probe_source=crime_scene_cctv"
            ),
            Some(&examiner),
            "image/jpeg",
            std::fs::read(w.samples.join(photo)).unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body["urgent_until"].is_string(), "{body}");
        let id = body["search"]["id"].as_str().unwrap().to_string();
        let (status, body) = json(
            &w,
            "POST",
            &format!("/api/searches/{id}/choose"),
            Some(&examiner),
            r#"{"face":0}"#,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(!body["search"]["candidates"].as_array().unwrap().is_empty());
        ids.push(id);
    }
    assert_eq!(w.state.probes.names().unwrap().len(), 2);

    // The prosecutor refuses OM-U1: its search's results are erased at once.
    let prosecutor = Actor::new("prosecutor-1", Role::CompetentAuthority, "om")
        .acting_as(waarborg_govern::case::AuthorityKind::PublicProsecutor);
    // (at NOW, the service's clock)
    waarborg_server::cases::record_decision(
        &w.state,
        &prosecutor,
        "OM-U1",
        false,
        "not proportionate",
    )
    .unwrap();
    let (status, body) = json(
        &w,
        "GET",
        &format!("/api/searches/{}", ids[0]),
        Some(&examiner),
        "",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["search"]["stage"], "erased", "{body}");
    assert!(body["search"]["candidates"].as_array().unwrap().is_empty());
    assert!(body["search"]["faces"].as_array().unwrap().is_empty());
    assert_eq!(
        w.state.probes.names().unwrap().len(),
        1,
        "the probe is gone"
    );
    let (status, body) = json(
        &w,
        "POST",
        &format!("/api/searches/{}/choose", ids[0]),
        Some(&examiner),
        r#"{"face":0}"#,
    )
    .await;
    assert!(
        status.is_client_error(),
        "an erased search cannot go on: {body}"
    );
    // OM-U2 is still within its 48 hours: untouched.
    let (_, body) = json(
        &w,
        "GET",
        &format!("/api/searches/{}", ids[1]),
        Some(&examiner),
        "",
    )
    .await;
    assert_eq!(body["search"]["stage"], "searched");

    // 49 hours on, OM-U2 has no decision: the service's sweep erases it; once.
    let later = Timestamp(NOW + 49 * 3600);
    // The service's run every few minutes looks at deadlines of the last day; its run at
    // start at every case.
    let sweep = |deadlines_after| {
        waarborg_server::cases::erase_uncovered_searches(&w.state, later, deadlines_after).unwrap()
    };
    assert_eq!(sweep(Some(Timestamp(later.0 - 86_400))), 1);
    assert_eq!(sweep(None), 0, "already erased");
    assert!(w.state.probes.names().unwrap().is_empty());
    let (_, body) = json(
        &w,
        "GET",
        &format!("/api/searches/{}", ids[1]),
        Some(&examiner),
        "",
    )
    .await;
    assert_eq!(body["search"]["stage"], "erased");

    // The report counts it all from the ledger.
    let today = &waarborg_ledger::entry::now()[..10];
    let year: i32 = today[..4].parse().unwrap();
    let period = waarborg_report::Period::new(
        &format!("{}-01-01", year - 1),
        &format!("{}-01-01", year + 1),
    )
    .unwrap();
    let report = waarborg_report::figures_of_verified(w.state.ledger.dir(), &period).unwrap();
    let a = &report.authorisations;
    assert_eq!((a.requested, a.urgent_requested, a.refused), (2, 2, 1));
    assert_eq!(a.searches_erased.get("authorisation_refused"), Some(&1));
    assert_eq!(a.searches_erased.get("authorisation_late"), Some(&1));
    assert_eq!(report.per_offence_category["robbery"].searches, 1);
    assert_eq!(report.per_offence_category["murder"].searches, 1);
}

/// `/metrics` counts what the service did, by closed labels only: the gate's refusals by
/// code, each search stage's time, the ledger's appends and group commit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_refusals_stages_and_the_ledger() {
    let w = world_named("metrics");
    let examiner = login(&w, "examiner-1", "examiner").await;
    let probe = std::fs::read(w.samples.join("yaoming.jpg")).unwrap();
    let (status, _) = send(
        &w,
        "POST",
        "/api/searches?deployment=catch-demo&case=OM-NEVER-ASKED&probe_source=crime_scene_cctv",
        Some(&examiner),
        "image/jpeg",
        probe.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = send(
        &w,
        "POST",
        "/api/searches?deployment=catch-demo&case=OM-1&probe_source=crime_scene_cctv",
        Some(&examiner),
        "image/jpeg",
        probe,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, text) = send_raw(&w, "GET", "/metrics", None, "", Vec::new()).await;
    assert_eq!(status, StatusCode::OK);
    let text = String::from_utf8(text).unwrap();
    for expected in [
        "waarborg_gate_refusals_total{code=\"no_case\"} 1",
        "waarborg_search_stage_seconds_count{stage=\"detect\"} 2",
        "waarborg_ledger_entries ",
        "waarborg_ledger_syncs_total ",
        "waarborg_ledger_append_seconds_count ",
        "# EOF",
    ] {
        assert!(text.contains(expected), "{expected} missing in:\n{text}");
    }
    assert!(
        !text.contains("examiner-1") && !text.contains("OM-"),
        "no identifiers"
    );
}

/// Issue 17 item 4: a restricted person's images are left out of every search — the rest of
/// the list unchanged — and the search's entry says how many; lifted, they are back.
#[tokio::test]
async fn a_restricted_persons_images_are_left_out_of_searches_until_lifted() {
    use waarborg_govern::subject::Step;
    let w = world_named("restricted");
    let examiner = login(&w, "examiner-1", "examiner").await;
    let probe = std::fs::read(w.samples.join("yaoming.jpg")).unwrap();
    let before = search_references(&w, &examiner, &probe).await;
    assert_eq!(before[0], 200);
    let person = {
        use waarborg_store::ReferenceStore;
        w.state
            .store
            .reference(200)
            .unwrap()
            .unwrap()
            .provenance
            .person
    };
    let officer = Actor::new("privacy-1", Role::PrivacyOfficer, "privacy");
    let decide = |step, reason| {
        waarborg_app::subject::decide(&w.state, &officer, &person, step, reason).unwrap()
    };
    decide(Step::Restrict, "accuracy contested");
    let restricted = search_references(&w, &examiner, &probe).await;
    assert!(!restricted.contains(&200), "{restricted:?}");
    assert_eq!(restricted, before[1..], "the rest of the list, unchanged");
    assert!(ledger_text(&w).contains("1 restricted records left out"));
    decide(Step::Lift, "accuracy checked");
    assert_eq!(search_references(&w, &examiner, &probe).await, before);
}

/// A whole search with `probe`'s first face under case OM-1: the candidates' references.
async fn search_references(w: &World, examiner: &Session, probe: &[u8]) -> Vec<u64> {
    let (status, body) = send(
        w,
        "POST",
        "/api/searches?deployment=catch-demo&case=OM-1&probe_source=crime_scene_cctv",
        Some(examiner),
        "image/jpeg",
        probe.to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = body["search"]["id"].as_str().unwrap().to_string();
    let (status, body) = json(
        w,
        "POST",
        &format!("/api/searches/{id}/choose"),
        Some(examiner),
        r#"{"face":0}"#,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["search"]["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["reference"].as_u64().unwrap())
        .collect()
}

/// Issue 16: a coordinator plants a known-answer case in the examiner's work; it looks like
/// any search to the examiner (no truth, no mark), its candidates' images come from the
/// test gallery, the examiner's conclusion is scored, and the case number never becomes a
/// real case.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_planted_proficiency_test_is_indistinguishable_scored_and_never_a_case() {
    use base64::Engine as _;
    let w = world_named("proficiency");
    let b64 = |name: &str| {
        base64::engine::general_purpose::STANDARD
            .encode(std::fs::read(w.samples.join(name)).unwrap())
    };
    let coordinator = login(&w, "coordinator-1", "coordinator").await;
    let examiner = login(&w, "examiner-1", "examiner").await;
    let body = serde_json::json!({
        "deployment": "catch-demo",
        "case_number": "OM-2027-0777",
        "examiner": "examiner-1",
        "probe_base64": b64("yaoming.jpg"),
        "gallery_base64": [b64("gdp.jpg"), b64("yaoming.jpg")],
        "mated": 1,
    })
    .to_string();
    // Only a coordinator plants; the examiner cannot.
    let (status, _) = json(&w, "POST", "/api/proficiency", Some(&examiner), &body).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, planted) = json(&w, "POST", "/api/proficiency", Some(&coordinator), &body).await;
    assert_eq!(status, StatusCode::OK, "{planted}");
    let id = planted["search"]["id"].as_str().unwrap().to_string();
    let mated = planted["search"]["proficiency"]["mated"].as_u64().unwrap();
    assert_eq!(
        planted["search"]["candidates"][0]["reference"], mated,
        "the same face ranks first"
    );
    // The examiner sees an ordinary search of theirs, in their list and by id.
    let (_, mine) = json(&w, "GET", "/api/searches", Some(&examiner), "").await;
    assert!(mine.to_string().contains(&id), "{mine}");
    let (status, seen) = json(
        &w,
        "GET",
        &format!("/api/searches/{id}"),
        Some(&examiner),
        "",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(seen["search"].get("proficiency").is_none(), "{seen}");
    let image = format!("/ui/searches/{id}/candidates/{mated}/image");
    let (status, bytes) = send_raw(&w, "GET", &image, Some(&examiner), "", Vec::new()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(bytes.starts_with(&[0xff, 0xd8]), "the gallery's JPEG");
    let proposal = format!(
        r#"{{"level":"identification_support_strong","reference":{mated},"reasons":"same face"}}"#
    );
    let (status, body) = json(
        &w,
        "POST",
        &format!("/api/searches/{id}/proposal"),
        Some(&examiner),
        &proposal,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Withdrawn with reasons (not without), nothing more is done on it.
    let withdraw = format!("/api/searches/{id}/withdrawal");
    let (status, body) = json(
        &w,
        "POST",
        &withdraw,
        Some(&coordinator),
        r#"{"reasons":" "}"#,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["rule"], "needs_reasons", "{body}");
    let reasons = r#"{"reasons":"the test period has ended"}"#;
    let (status, body) = json(&w, "POST", &withdraw, Some(&coordinator), reasons).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["search"]["stage"], "withdrawn", "{body}");
    let assign = format!("/api/searches/{id}/assignments");
    let v1 = r#"{"verifier":"verifier-1"}"#;
    let (status, _) = json(&w, "POST", &assign, Some(&coordinator), v1).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "withdrawn: nothing more"
    );
    let (status, results) = json(&w, "GET", "/api/proficiency", Some(&coordinator), "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(results["scored"][0]["person"], "examiner-1", "{results}");
    assert_eq!(results["scored"][0]["score"], "correct", "{results}");
    // The case number is never a real case: a request under it is refused and logged.
    let officer = Actor::new("officer-1", Role::Requester, "investigation");
    let c = CaseAuthorisation::request(
        &officer,
        "OM-2027-0777",
        "catch-demo",
        "robbery",
        "robbery",
        12,
        AuthorityKind::PublicProsecutor,
        false,
        Timestamp(NOW),
    )
    .unwrap();
    let refused = waarborg_app::cases::record_request(&w.state.app, &officer, &c).unwrap_err();
    assert_eq!(refused.rule().map(|r| r.code()), Some("proficiency_case"));
    // The reports count it in the proficiency figures and nowhere else.
    let snapshot = waarborg_ledger::Snapshot::read(w.state.ledger.dir()).unwrap();
    let period = waarborg_report::Period::new("2000-01-01", "2100-01-01").unwrap();
    let report = waarborg_report::figures(&snapshot, snapshot.size(), &period).unwrap();
    assert_eq!(report.proficiency.planted, 1);
    assert_eq!(report.proficiency.per_person["examiner-1"]["correct"], 1);
    assert_eq!(report.overall.proposals, 0, "{:?}", report.overall);
    assert!(report.verification.proposals.is_empty());
}

/// A video made with ffmpeg (installed by the project's setup): `args` after `-y`.
fn make_video(name: &str, args: &[&str]) -> Vec<u8> {
    let path = std::env::temp_dir().join(format!("waarborg-test-{}-{name}", std::process::id()));
    let status = std::process::Command::new("ffmpeg")
        .args(["-nostdin", "-v", "error", "-y"])
        .args(args)
        .arg(&path)
        .status()
        .expect("ffmpeg is installed by scripts/setup.sh");
    assert!(status.success(), "ffmpeg made {name}");
    let bytes = std::fs::read(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    bytes
}

/// Issue 18 item 3: frames of a recorded video become probes of a case — at a time named,
/// and the best by face quality among frames sampled through it — each naming the video's
/// hash and the frame's time, in the ledger too; a video that is not one, too long, or
/// asked for a frame past its end is refused with nothing kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frames_of_a_recorded_video_become_probes_that_name_it() {
    let w = world_named("video");
    let examiner = login(&w, "examiner-1", "examiner").await;
    let photo = w.samples.join("yaoming.jpg");
    let video = make_video(
        "still.mp4",
        &[
            "-loop",
            "1",
            "-i",
            photo.to_str().unwrap(),
            "-t",
            "3",
            "-r",
            "5",
            "-vf",
            "scale=trunc(iw/2)*2:trunc(ih/2)*2",
            "-pix_fmt",
            "yuv420p",
            "-c:v",
            "libx264",
        ],
    );
    let sha = {
        use sha2::Digest;
        sha2::Sha256::digest(&video)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    let searches = || {
        use waarborg_store::DocumentStore;
        w.state.store.documents("search", None).unwrap().len()
    };
    let base = "/api/videos?deployment=catch-demo&case=OM-1&probe_source=crime_scene_cctv";
    let (before, kept) = (w.state.ledger.size(), searches());
    // Refused, nothing kept or logged: not a video; a type not taken; past the end; too long.
    let long = make_video(
        "long.mp4",
        &[
            "-f",
            "lavfi",
            "-i",
            "color=c=black:s=32x32:r=1",
            "-t",
            "660",
            "-c:v",
            "libx264",
        ],
    );
    for (ctype, body, query, status, says) in [
        (
            "video/mp4",
            b"not a video".to_vec(),
            "&at=1",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "cannot be read",
        ),
        (
            "image/png",
            video.clone(),
            "&at=1",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "send the video as",
        ),
        (
            "video/mp4",
            video.clone(),
            "&at=9",
            StatusCode::BAD_REQUEST,
            "no frame at 9.0 s",
        ),
        (
            "video/mp4",
            video.clone(),
            "",
            StatusCode::BAD_REQUEST,
            "name the frames",
        ),
        (
            "video/mp4",
            long,
            "&at=1",
            StatusCode::BAD_REQUEST,
            "at most 600 s",
        ),
    ] {
        let (got, body) = send(
            &w,
            "POST",
            &format!("{base}{query}"),
            Some(&examiner),
            ctype,
            body,
        )
        .await;
        assert_eq!(got, status, "{body}");
        assert!(
            body["detail"].as_str().unwrap_or("").contains(says),
            "{says}: {body}"
        );
    }
    assert_eq!(
        (w.state.ledger.size(), searches()),
        (before, kept),
        "nothing kept, nothing logged"
    );

    let (status, body) = send(
        &w,
        "POST",
        &format!("{base}&at=0.5&best=1"),
        Some(&examiner),
        "video/mp4",
        video,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["video_sha256"], sha.as_str());
    let taken = body["searches"].as_array().unwrap();
    assert_eq!(taken.len(), 2, "{body}");
    assert_eq!(taken[0]["frame"]["time_ms"], 500);
    assert_eq!(taken[0]["frame"]["picked"], "time");
    assert!(taken.iter().any(|s| s["frame"]["picked"] == "best"));
    for s in taken {
        assert_eq!(s["frame"]["video_sha256"], sha.as_str());
        assert_eq!(s["case_number"], "OM-1");
        assert_eq!(
            s["faces"].as_array().unwrap().len(),
            1,
            "the face in every frame"
        );
    }
    assert!(ledger_text(&w).contains(&format!("frame at 0.500 s of video {sha} (time frame)")));
    assert_eq!(searches(), kept + 2);
}

/// A form posted by `s`: the status and the page.
async fn post_form(w: &World, path: &str, s: &Session, body: &str) -> (StatusCode, String) {
    let form = "application/x-www-form-urlencoded";
    let (status, page) = send_raw(w, "POST", path, Some(s), form, body.into()).await;
    (status, String::from_utf8_lossy(&page).into_owned())
}

/// Issue 19 item 4: an incident reported, classified serious, its clocks run from when it
/// became known (the provider's overdue, shown so), a notification recorded, and the
/// deployment suspended from it in one step — after which nothing is searched under it.
/// Bad input is refused with what is wrong, nothing kept; a notification before the
/// classification is refused and logged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incident_is_classified_notified_and_suspends_its_deployment() {
    let w = world_named("incidents");
    let examiner = login(&w, "examiner-1", "examiner").await;
    let privacy = login(&w, "privacy-1", "privacy_officer").await;
    let chief = login(&w, "chief-1", "chief_of_police").await;
    for (body, status) in [
        (
            "deployment=nowhere&description=a+wrong+identification+acted+upon&aware_since=2027-01-10",
            StatusCode::BAD_REQUEST,
        ),
        (
            "deployment=catch-demo&description=oops&aware_since=2027-01-10",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "deployment=catch-demo&description=a+wrong+identification+acted+upon&aware_since=2027-03-01",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        let (got, page) = post_form(&w, "/ui/incidents", &examiner, body).await;
        assert_eq!(got, status, "{body}: {page}");
    }
    let reported = "deployment=catch-demo&description=A+wrong+identification+was+acted+upon+before+verification&aware_since=2027-01-10";
    let (got, _) = post_form(&w, "/ui/incidents", &examiner, reported).await;
    assert_eq!(got, StatusCode::SEE_OTHER);
    let actor = waarborg_govern::Actor::new("privacy-1", Role::PrivacyOfficer, "privacy");
    let listed = waarborg_app::incidents::list(&w.state, &actor).unwrap();
    assert_eq!(listed.len(), 1, "nothing kept of the refused reports");
    let id = listed[0].id.clone();
    // Notified before it is classified: refused, logged.
    let notify = format!("/ui/incidents/{id}/notifications");
    let (got, _) = post_form(
        &w,
        &notify,
        &privacy,
        "to=provider&sent=2027-01-11&reference=T-1",
    )
    .await;
    assert_eq!(got, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(ledger_text(&w).contains("incident_unclassified"));
    let classify = format!("/ui/incidents/{id}/classification");
    let (got, _) = post_form(
        &w,
        &classify,
        &examiner,
        "classification=death&reasons=x+y+z",
    )
    .await;
    assert_eq!(got, StatusCode::FORBIDDEN, "the privacy officer classifies");
    let (got, _) = post_form(
        &w,
        &classify,
        &privacy,
        "classification=serious-ish&reasons=x+y+z",
    )
    .await;
    assert_eq!(got, StatusCode::BAD_REQUEST);
    let (got, _) = post_form(
        &w,
        &classify,
        &privacy,
        "classification=other_serious&reasons=harm+to+a+person%27s+rights",
    )
    .await;
    assert_eq!(got, StatusCode::SEE_OTHER);
    // Known since 10 January, now 15 January: the provider's 24 hours ran out; the
    // authority's 15 days have not.
    let (_, page) = send_raw(&w, "GET", "/ui/incidents", Some(&privacy), "", vec![]).await;
    let page = String::from_utf8(page).unwrap();
    assert_eq!(page.matches("— overdue").count(), 1, "{page}");
    // The oversight page shows the deadlines still running, the overdue one flagged.
    let (_, oversight) = send_raw(&w, "GET", "/ui/reports", Some(&privacy), "", vec![]).await;
    let oversight = String::from_utf8(oversight).unwrap();
    assert!(
        oversight.contains(&format!("/ui/incidents#{id}")),
        "{oversight}"
    );
    assert_eq!(oversight.matches("— overdue").count(), 1, "{oversight}");
    let (got, _) = post_form(
        &w,
        &notify,
        &chief,
        "to=provider&sent=2027-01-11&reference=T-1",
    )
    .await;
    assert_eq!(got, StatusCode::SEE_OTHER);
    let (_, page) = send_raw(&w, "GET", "/ui/incidents", Some(&privacy), "", vec![]).await;
    assert!(!String::from_utf8(page).unwrap().contains("— overdue"));
    // The same register through the API: the clocks as data, one met.
    let (status, listed) = send(&w, "GET", "/api/incidents", Some(&privacy), "", vec![]).await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    let clocks = &listed["incidents"][0]["clocks"];
    assert_eq!(listed["incidents"][0]["classification"], "other_serious");
    assert_eq!(clocks[0]["to"], "provider", "{clocks}");
    assert!(clocks[0]["done"].is_string() && !clocks[0]["overdue"].as_bool().unwrap());
    let (status, body) = send(
        &w,
        "POST",
        &format!("/api/incidents/{id}/notifications"),
        Some(&privacy),
        "application/json",
        br#"{"to":"the press","sent":"2027-01-12","reference":"X"}"#.to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = send(
        &w,
        "POST",
        "/api/incidents",
        Some(&examiner),
        "application/json",
        br#"{"deployment":"catch-demo","description":"Reported through the API by the examiner","aware_since":"2027-01-14"}"#.to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["classification"].is_null() && body["clocks"].as_array().unwrap().is_empty());
    // The examiner sees the incidents they reported; the form is theirs, not the steps.
    let (_, page) = send_raw(&w, "GET", "/ui/incidents", Some(&examiner), "", vec![]).await;
    let page = String::from_utf8(page).unwrap();
    assert!(
        page.contains(&id) && !page.contains("/classification"),
        "{page}"
    );
    // Suspended from the incident, in one step: no search runs under it any more.
    let suspend = format!("/ui/incidents/{id}/suspension");
    let (got, _) = post_form(&w, &suspend, &chief, "reasons=stop+until+reviewed").await;
    assert_eq!(got, StatusCode::SEE_OTHER);
    assert!(ledger_text(&w).contains(&format!("incident {id}: stop until reviewed")));
    let probe = std::fs::read(w.samples.join("yaoming.jpg")).unwrap();
    let (status, body) = send(
        &w,
        "POST",
        "/api/searches?deployment=catch-demo&case=OM-1&probe_source=crime_scene_cctv",
        Some(&examiner),
        "image/jpeg",
        probe,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let period = waarborg_report::Period::new("2000-01-01", "2200-01-01").unwrap();
    let report = waarborg_report::figures_of_verified(w.state.ledger.dir(), &period).unwrap();
    let f = &report.framework;
    assert_eq!(
        (f.incidents_reported, f.incidents_serious, f.suspended),
        (2, 1, 1)
    );
}
