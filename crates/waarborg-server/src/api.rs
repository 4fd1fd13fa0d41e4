//! The JSON API's contract: a type for every request body and every answer, each with its
//! schema (`utoipa::ToSchema`), and the OpenAPI 3.1 document generated from them and the
//! route table ([`document`]). Domain objects inside an answer (a deployment, a case, a
//! report) are `object`s with their own documentation in the domain crates.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use utoipa::openapi::path::{Parameter, ParameterIn};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{IntoParams, PartialSchema, ToSchema};
use waarborg_app::search::SearchRecord;

use crate::routes::{Access, Body, ROUTES};

/// A type's schema, as the route table keeps it.
#[derive(Clone, Copy)]
pub struct Shape {
    name: fn() -> Cow<'static, str>,
    schema: fn() -> RefOr<Schema>,
    nested: fn(&mut Vec<(String, RefOr<Schema>)>),
}

impl std::fmt::Debug for Shape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&(self.name)())
    }
}

/// The shape of `T`.
pub const fn shape<T: ToSchema>() -> Shape {
    Shape {
        name: T::name,
        schema: <T as PartialSchema>::schema,
        nested: T::schemas,
    }
}

/// Query parameters of `T`.
pub fn query<T: IntoParams>() -> Vec<Parameter> {
    T::into_params(|| Some(ParameterIn::Query))
}

/// The query of `POST /api/videos`: where (deployment, case, source) and which frames.
pub fn video_query() -> Vec<Parameter> {
    let mut params = query::<waarborg_app::search::SubmitQuery>();
    params.extend(query::<waarborg_app::video::FramePick>());
    params
}

/// `GET /api/health`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: String,
}

/// `POST /api/login`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginBody {
    /// The user name.
    pub user: String,
    /// The password.
    pub password: String,
    /// The role to act in (one the account holds).
    pub role: String,
    /// The one-time code, for accounts with a second factor.
    #[serde(default)]
    pub code: Option<String>,
}

/// A session begun (its token is in the `Set-Cookie` header only).
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionStarted {
    /// The user.
    pub user: String,
    /// The role acted in.
    pub role: String,
    /// The token to send in `X-CSRF-Token` with every state-changing request.
    pub csrf: String,
    /// When the session ends (RFC 3339).
    #[schema(value_type = String, format = DateTime)]
    pub expires: waarborg_govern::Timestamp,
}

/// `POST /api/logout`.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoggedOut {
    /// Always true.
    pub logged_out: bool,
}

/// `GET /api/me`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    /// The user.
    pub user: String,
    /// The name shown.
    pub display_name: String,
    /// The role of this session.
    pub role: String,
    /// Every role the account holds.
    pub roles: Vec<String>,
    /// The organisational unit.
    pub unit: String,
}

/// One use of face recognition in the public register.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicUse {
    /// The deployment's id.
    pub deployment: String,
    /// Its name.
    pub name: String,
    /// The system it governs.
    pub system: String,
    /// `retrospective` or `real_time`.
    #[schema(value_type = String)]
    pub mode: waarborg_govern::revision::Mode,
    /// The domain of use.
    #[schema(value_type = String)]
    pub domain: waarborg_govern::revision::Domain,
    /// What it is for.
    pub purpose: String,
    /// Where it stands now.
    pub state: String,
    /// Its latest revision.
    pub revision: u32,
    /// First day of validity (RFC 3339).
    #[schema(value_type = String, format = DateTime)]
    pub valid_from: waarborg_govern::Timestamp,
    /// End of validity (RFC 3339).
    #[schema(value_type = String, format = DateTime)]
    pub valid_until: waarborg_govern::Timestamp,
    /// The short text for the algorithm register.
    pub algorithm_register_text: String,
    /// `operational`, `experiment` or `demonstration`.
    pub kind_of_use: String,
    /// The licence terms of the models it runs on, as the model cache recorded them.
    pub model_licences: Vec<String>,
    /// The published register text, where written.
    #[schema(value_type = Option<Object>)]
    pub register: Option<waarborg_report::register::RegisterText>,
}

/// `GET /api/public/register`.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicRegister {
    /// Every use.
    pub uses: Vec<PublicUse>,
}

/// `GET /api/deployments`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Deployments {
    /// Every deployment with its revisions and their history.
    #[schema(value_type = Vec<Object>)]
    pub deployments: Vec<waarborg_govern::revision::Deployment>,
}

/// `GET /api/deployments/{id}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionedDeployment {
    /// The stored version (send it back with a decision).
    pub version: u64,
    /// The deployment.
    #[schema(value_type = Object)]
    pub deployment: waarborg_govern::revision::Deployment,
}

/// `POST /api/deployments/{id}/decisions`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct DecisionBody {
    /// The revision (default: the latest).
    pub revision: Option<u32>,
    /// Why.
    #[serde(default)]
    pub reason: String,
    /// The step, as the domain's command (e.g. `{"action": "ratify"}`).
    #[schema(value_type = Object)]
    pub command: waarborg_govern::revision::Command,
    /// The deployment version the decision is based on (optimistic concurrency).
    pub version: Option<u64>,
}

/// A step taken.
#[derive(Debug, Serialize, ToSchema)]
pub struct Decided {
    /// The deployment's new version.
    pub version: u64,
    /// What changed, as the ledger recorded it.
    #[schema(value_type = Vec<Object>)]
    pub events: Vec<waarborg_govern::revision::Event>,
}

/// `GET /api/ledger/checkpoint`.
#[derive(Debug, Serialize, ToSchema)]
pub struct LedgerCheckpoint {
    /// Entries covered.
    pub size: u64,
    /// The tree's root there (base64).
    pub root: String,
    /// The signed note (C2SP).
    pub note: String,
}

/// `GET /api/ledger/entries/{index}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct LedgerEntry {
    /// The entry's index.
    pub index: u64,
    /// Its canonical JSON.
    pub entry: String,
    /// Its RFC 9162 leaf hash (base64).
    pub leaf_hash: String,
    /// The tree size the proof is for.
    pub tree_size: u64,
    /// The inclusion proof (base64 hashes).
    pub inclusion_proof: Vec<String>,
    /// The signed checkpoint of that size.
    pub checkpoint: String,
}

/// `GET /api/ledger/verify`.
#[derive(Debug, Serialize, ToSchema)]
pub struct LedgerVerification {
    /// Whether everything verifies.
    pub ok: bool,
    /// Entries verified.
    pub entries: u64,
    /// Checkpoints read.
    pub checkpoints: u64,
    /// The first entry a problem names.
    pub first_bad_entry: Option<u64>,
    /// Every problem, in words.
    pub problems: Vec<String>,
    /// Whose key the genesis was checked against: `configured` (the `ledger_public_key`
    /// given from outside) or `genesis` (the genesis entry's own: nothing outside pins it).
    pub trust: String,
    /// When the kept verification was brought up to date (RFC 3339).
    #[schema(value_type = String, format = DateTime)]
    pub as_of: waarborg_govern::Timestamp,
}

/// The probe image of `POST /api/searches` (the body's content type names its format).
pub struct ProbeImage;

impl PartialSchema for ProbeImage {
    fn schema() -> RefOr<Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .content_media_type("image/*")
            .description(Some(
                "The probe image: JPEG, PNG, WebP, BMP or TIFF, at most 20 MiB",
            ))
            .into()
    }
}

impl ToSchema for ProbeImage {}

/// The recorded video of `POST /api/videos` (the body's content type names its container).
pub struct RecordedVideo;

impl PartialSchema for RecordedVideo {
    fn schema() -> RefOr<Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .content_media_type("video/*")
            .description(Some(
                "The recorded video (never a stream): MP4, MOV, WebM, MKV or AVI, at most 100 MiB and 10 minutes",
            ))
            .into()
    }
}

impl ToSchema for RecordedVideo {}

/// A probe submitted.
#[derive(Debug, Serialize, ToSchema)]
pub struct Submitted {
    /// The search, with the faces found and their quality.
    pub search: SearchRecord,
    /// Urgent use: when the authorisation must have come (RFC 3339).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub urgent_until: Option<waarborg_govern::Timestamp>,
}

/// A search after a step.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchAnswer {
    /// The search.
    pub search: SearchRecord,
}

/// `POST /api/searches/{id}/choose`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ChooseBody {
    /// The face to search with (its number in the probe's faces).
    pub face: usize,
}

/// `GET /api/persons/{person}/searches/{search}/explanation`: the explanation (AI Act
/// Art. 86).
#[derive(Debug, Serialize, ToSchema)]
pub struct ExplanationAnswer {
    /// The explanation.
    #[schema(value_type = Object)]
    pub explanation: waarborg_app::subject::Explanation,
}

/// `POST /api/searches/{id}/feedback`: what was recorded (the requester never receives the
/// search itself).
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedbackRecorded {
    /// The search.
    pub search: String,
    /// The finding's key.
    pub finding: String,
    /// Its date (RFC 3339).
    pub found_on: String,
}

/// One deadline of a serious incident (AI Act Art. 73).
#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentClock {
    /// `provider` or `authority`.
    pub to: String,
    /// By when (RFC 3339).
    pub due: String,
    /// When it was met (RFC 3339), if it was.
    pub done: Option<String>,
    /// Not met and past its time.
    pub overdue: bool,
}

/// An incident of a deployment as the API shows it (the description as written: the
/// register is for those who report and oversee).
#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentView {
    /// Its id.
    pub id: String,
    /// The deployment it concerns.
    pub deployment: String,
    /// The searches it touched.
    pub searches: Vec<String>,
    /// What happened.
    pub description: String,
    /// Who reported it.
    pub reported_by: String,
    /// When (RFC 3339).
    pub reported_at: String,
    /// When it became known (RFC 3339): the clocks run from here.
    pub aware_since: String,
    /// `not_serious`, a serious kind, or absent before the classification.
    pub classification: Option<String>,
    /// The deadlines (none before a serious classification).
    pub clocks: Vec<IncidentClock>,
    /// Whether the deployment was suspended from it.
    pub suspended: bool,
}

impl IncidentView {
    /// The view of `i` at `now`.
    pub fn of(
        i: &waarborg_govern::incident::Incident,
        now: waarborg_govern::Timestamp,
    ) -> IncidentView {
        IncidentView {
            id: i.id.clone(),
            deployment: i.deployment.clone(),
            searches: i.searches.clone(),
            description: i.description.clone(),
            reported_by: i.reported_by.clone(),
            reported_at: i.reported_at.to_string(),
            aware_since: i.aware_since.to_string(),
            classification: i
                .classification
                .as_ref()
                .map(|c| c.serious.map_or("not_serious", |k| k.as_str()).to_string()),
            clocks: i
                .clocks()
                .into_iter()
                .map(|c| IncidentClock {
                    to: c.to.as_str().to_string(),
                    due: c.due.to_string(),
                    done: c.done.map(|d| d.to_string()),
                    overdue: c.overdue(now),
                })
                .collect(),
            suspended: i.suspended.is_some(),
        }
    }
}

/// `GET /api/incidents`: the incidents the reader sees (overseers all, others their own).
#[derive(Debug, Serialize, ToSchema)]
pub struct Incidents {
    /// In the order reported.
    pub incidents: Vec<IncidentView>,
}

/// `POST /api/monitoring/alerts/{id}/acknowledgement`: the alert as acknowledged.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertAcknowledged {
    /// The alert.
    pub alert: String,
    /// Who acknowledged it.
    pub by: String,
    /// When (RFC 3339).
    pub at: String,
    /// What was done.
    pub note: String,
}

/// `POST /api/searches/{id}/withdrawal`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct WithdrawBody {
    /// Why the search is not pursued.
    pub reasons: String,
}

/// `POST /api/searches/{id}/assignments`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AssignBody {
    /// The verifier to assign (user name).
    pub verifier: String,
}

/// `GET /api/proficiency`: the planted cases and every conclusion on them, scored.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProficiencyResults {
    /// The planted searches' ids.
    pub planted: Vec<String>,
    /// Every conclusion on them, scored.
    pub scored: Vec<waarborg_app::proficiency::Scored>,
}

/// `GET /api/competence`: the competence register.
#[derive(Debug, Serialize, ToSchema)]
pub struct CompetenceRegister {
    /// Every examiner and verifier.
    pub people: Vec<waarborg_app::competence::Entry>,
}

/// `POST /api/competence/{person}`: the record after the change.
#[derive(Debug, Serialize, ToSchema)]
pub struct CompetenceChanged {
    /// The record.
    #[schema(value_type = Object)]
    pub record: waarborg_govern::competence::CompetenceRecord,
}

/// `GET /api/searches/{id}`: what the reader may see of it.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchView {
    /// The stored version; absent for a verifier (it would tell how many judgements are in).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
    /// The search as the reader may see it (a verifier: no others' judgements before their
    /// own).
    #[schema(value_type = Object)]
    pub search: Value,
}

/// `GET /api/consultations`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsultationsAnswer {
    /// `size` (ledger entries read), `reads` (index, time, user, role, unit, record_kind,
    /// records, purpose, case, recipient, flags), `flagged`, `thresholds`.
    #[schema(value_type = Object)]
    pub consultations: Value,
}

/// `GET /api/searches`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Searches {
    /// Each as the reader may see it.
    #[schema(value_type = Vec<Object>)]
    pub searches: Vec<Value>,
}

/// `POST /api/searches/{id}/verifications`.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerificationRecorded {
    /// The outcome, once every required verification is in.
    #[schema(value_type = Option<Object>)]
    pub outcome: Option<waarborg_govern::identification::Outcome>,
}

/// `GET /api/refdb`.
#[derive(Debug, Serialize, ToSchema)]
pub struct RefdbSummary {
    /// Reference records.
    pub references: u64,
    /// Live templates per reference database.
    #[schema(value_type = Object)]
    pub databases: std::collections::BTreeMap<String, usize>,
    /// Deleted templates whose bytes await compaction.
    pub awaiting_compaction: usize,
    /// The retention plan's page: `{due, offset, items}`.
    #[schema(value_type = Object)]
    pub retention_plan: Value,
    /// Records flagged as a possible duplicate person.
    #[schema(value_type = Vec<Object>)]
    pub flags: Vec<waarborg_store::ReferenceRecord>,
    /// Bulk imports, in counts.
    #[schema(value_type = Vec<Object>)]
    pub imports: Vec<waarborg_store::ImportSummary>,
}

/// `GET /api/refdb/references`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReferencePage {
    /// The records.
    #[schema(value_type = Vec<Object>)]
    pub records: Vec<waarborg_store::ReferenceRecord>,
    /// Where the next page starts (`after=`), if there is one.
    pub next_after: Option<u64>,
}

/// `POST /api/refdb/references/{id}/clear-flag`.
#[derive(Debug, Serialize, ToSchema)]
pub struct FlagCleared {
    /// The reference image.
    pub cleared: String,
}

/// A report to check against the ledger (`POST /api/reports/verify`): the JSON a report
/// download gave (figures, or a yearly report).
pub struct ReportJson;

impl PartialSchema for ReportJson {
    fn schema() -> RefOr<Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Object)
            .description(Some(
                "A report as downloaded: its figures and its ledger point",
            ))
            .into()
    }
}

impl ToSchema for ReportJson {}

/// `GET /api/openapi.json`: this document.
pub struct OpenApiDocument;

impl PartialSchema for OpenApiDocument {
    fn schema() -> RefOr<Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::Object)
            .description(Some("An OpenAPI 3.1 document"))
            .into()
    }
}

impl ToSchema for OpenApiDocument {}

/// The outcome of a report's check.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportChecked {
    /// Whether every figure matches the ledger.
    pub matches: bool,
    /// Every figure (or the root) that differs.
    #[schema(value_type = Vec<Object>)]
    pub mismatches: Vec<waarborg_report::Mismatch>,
}

/// A deployment's published texts and their version.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionedPublication {
    /// The version (0: none written yet; the texts are prefilled).
    pub version: u64,
    /// The texts.
    #[schema(value_type = Object)]
    pub publication: waarborg_app::publication::Publication,
}

/// `POST /api/deployments/{id}/publication`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PublicationChange {
    /// The version the writer read (0: none yet).
    #[serde(default)]
    pub version: u64,
    /// The texts.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub publication: waarborg_app::publication::Publication,
}

/// The organisation's details and their version.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionedOrganisation {
    /// The version (0: none written yet).
    pub version: u64,
    /// The details.
    #[schema(value_type = Object)]
    pub organisation: waarborg_report::annual::Organisation,
}

/// `POST /api/organisation`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct OrganisationChange {
    /// The version the writer read (0: none yet).
    #[serde(default)]
    pub version: u64,
    /// The details.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub organisation: waarborg_report::annual::Organisation,
}

/// A new version after a write.
#[derive(Debug, Serialize, ToSchema)]
pub struct Written {
    /// The new version.
    pub version: u64,
}

/// `GET /api/admin/accounts`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Accounts {
    /// Every account (never a password or a second factor's secret).
    #[schema(value_type = Vec<Object>)]
    pub accounts: Vec<waarborg_store::Account>,
}

/// `POST /api/admin/accounts`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountCreated {
    /// The new account's user name.
    pub created: String,
}

/// An error (RFC 9457), as every route answers one.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemShape {
    /// A stable code (`forbidden`, `gate_refused`, `conflict`, …).
    #[serde(rename = "type")]
    pub kind: String,
    /// The HTTP status's words.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong and what to do.
    pub detail: String,
    /// The governance rule that refused (`wrong_role`, `no_quorum`, …), on a refusal by one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
}

/// Puts `s` (and the types it names) among the document's schemas; a reference to it.
fn add(s: &Shape, schemas: &mut serde_json::Map<String, Value>) -> Value {
    let name = (s.name)().to_string();
    let mut nested = Vec::new();
    (s.nested)(&mut nested);
    for (n, schema) in nested {
        schemas.insert(n, serde_json::to_value(schema).unwrap_or(Value::Null));
    }
    schemas.insert(
        name.clone(),
        serde_json::to_value((s.schema)()).unwrap_or(Value::Null),
    );
    reference(&name)
}

fn reference(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

/// The OpenAPI 3.1 document: every route of [`ROUTES`] with its roles, its path and query
/// parameters, its request body and its answer, each body's schema from its type.
pub fn document() -> Value {
    let mut schemas = serde_json::Map::new();
    add(&shape::<ProblemShape>(), &mut schemas);
    let mut paths = serde_json::Map::new();
    for r in ROUTES {
        let mut params: Vec<Value> = r
            .path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        if let Some(q) = r.query {
            params.extend(q().into_iter().filter_map(|p| serde_json::to_value(p).ok()));
        }
        let roles = match r.access {
            Access::Public => "public".to_string(),
            Access::AnyRole => "any role".to_string(),
            Access::Roles(roles) => roles
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        };
        let ok = match (&r.answer, r.path.starts_with("/api/")) {
            (Some(s), _) => {
                json!({"description": "OK", "content": {"application/json": {"schema": add(s, &mut schemas)}}})
            }
            (None, true) => json!({"description": "OK"}),
            (None, false) if r.path == "/metrics" => {
                json!({"description": "OK", "content": {"application/openmetrics-text": {"schema": {"type": "string"}}}})
            }
            (None, false) => {
                json!({"description": "A page (or a redirect after a form)", "content": {"text/html": {"schema": {"type": "string"}}}})
            }
        };
        let mut op = json!({
            "summary": r.summary,
            "description": format!("Roles: {roles}."),
            "operationId": format!("{}{}", r.method.to_lowercase(), r.path.replace(['/', '{', '}', '.', '-'], "_")),
            "parameters": params,
            "responses": {
                "200": ok,
                "default": {"description": "An error", "content": {"application/problem+json": {"schema": reference("ProblemShape")}}}
            }
        });
        match &r.body {
            Body::Json(s) => {
                op["requestBody"] = json!({"required": true, "content": {"application/json": {"schema": add(s, &mut schemas)}}});
            }
            Body::Image => {
                let schema = add(&shape::<ProbeImage>(), &mut schemas);
                let content: serde_json::Map<String, Value> = waarborg_app::search::PROBE_TYPES
                    .iter()
                    .map(|m| (m.to_string(), json!({"schema": schema.clone()})))
                    .collect();
                op["requestBody"] = json!({"required": true, "content": content});
            }
            Body::Video => {
                let schema = add(&shape::<RecordedVideo>(), &mut schemas);
                let content: serde_json::Map<String, Value> = waarborg_app::video::VIDEO_TYPES
                    .iter()
                    .map(|m| (m.to_string(), json!({"schema": schema.clone()})))
                    .collect();
                op["requestBody"] = json!({"required": true, "content": content});
            }
            Body::Form => {
                op["requestBody"] = json!({"required": true, "content": {"application/x-www-form-urlencoded": {"schema": {"type": "object"}}}});
            }
            Body::None => {}
        }
        if r.access != Access::Public {
            op["security"] = json!([{"session": []}]);
        }
        let entry = paths.entry(r.path.to_string()).or_insert_with(|| json!({}));
        entry[r.method.to_lowercase()] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": "Waarborg", "version": env!("CARGO_PKG_VERSION"),
                 "description": "Governed retrospective facial identification. State-changing requests need the session cookie and the X-CSRF-Token header."},
        "paths": paths,
        "components": {
            "securitySchemes": {"session": {"type": "apiKey", "in": "cookie", "name": crate::auth::COOKIE}},
            "schemas": schemas,
        }
    })
}
