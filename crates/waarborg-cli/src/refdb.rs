//! `waarborg refdb …` (enrolment, bulk import, records, flags, events, vault keys, synthetic
//! scale data) and `waarborg retention plan|apply`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand};
use waarborg_govern::reference::{Provenance, SourceKind};
use waarborg_govern::retention::PersonEvent;
use waarborg_govern::Timestamp;
use waarborg_index::{Index, IndexConfig};
use waarborg_ledger::Ledger;
use waarborg_refdb::enrol::{self, Enrolment};
use waarborg_refdb::vault::Vault;
use waarborg_refdb::{ReferenceDb, ReferenceStore};
use waarborg_seal::{Key, Keyring};
use waarborg_store::SqliteStore;

use crate::face::EngineArgs;
use crate::govern::Env;

/// The data key file in the data directory (it encrypts reference images, templates and
/// probe images at rest).
pub const VAULT_KEY_FILE: &str = "vault.key";
/// The previous key during a rotation (removed when `refdb rekey` has finished).
pub const PREVIOUS_VAULT_KEY_FILE: &str = "vault.key.previous";

#[derive(Debug, Subcommand)]
pub enum RefdbCommand {
    /// Enrol one image with its provenance.
    Enrol {
        /// The image file.
        image: PathBuf,
        /// Pseudonymous person key.
        #[arg(long)]
        person: String,
        /// custody_photo or alien_registration.
        #[arg(long)]
        source_kind: String,
        #[arg(long)]
        legal_basis: String,
        #[arg(long)]
        offence: String,
        #[arg(long)]
        max_sentence_years: u32,
        #[arg(long)]
        sexual_offence: bool,
        /// When the image was captured (RFC 3339 or a date).
        #[arg(long)]
        captured_at: String,
        #[arg(long)]
        capturing_unit: String,
        #[command(flatten)]
        who: Who,
        #[command(flatten)]
        engine: EngineArgs,
        #[command(flatten)]
        env: Env,
    },
    /// Import a directory of images with a CSV or JSONL manifest (resumable: run the same
    /// command again after an interruption).
    Import {
        /// The image directory.
        dir: PathBuf,
        /// The manifest (.csv, or .jsonl for JSON Lines).
        #[arg(long)]
        manifest: PathBuf,
        /// Where to write every row's outcome as CSV (default: <manifest>.outcome.csv).
        #[arg(long)]
        summary: Option<PathBuf>,
        #[command(flatten)]
        who: Who,
        #[command(flatten)]
        engine: EngineArgs,
        #[command(flatten)]
        env: Env,
    },
    /// List reference images (provenance; never the images).
    List {
        /// Start after this id.
        #[arg(long, default_value_t = 0)]
        after: u64,
        #[arg(long, default_value_t = 50)]
        limit: usize,
        #[command(flatten)]
        env: Env,
    },
    /// Possible duplicate persons awaiting review; `--clear ID` after review.
    Flags {
        /// Clear the flag of this reference image (reviewed: different persons).
        #[arg(long)]
        clear: Option<u64>,
        /// Why (required with --clear).
        #[arg(long)]
        reason: Option<String>,
        #[command(flatten)]
        who: Who,
        #[command(flatten)]
        env: Env,
    },
    /// Record an event about a person: acquittal, dismissal, conviction, end_of_alien_status.
    Event {
        person: String,
        event: String,
        /// When it happened (default: now).
        #[arg(long)]
        on: Option<String>,
        #[command(flatten)]
        who: Who,
        #[command(flatten)]
        env: Env,
    },
    /// Make a new vault key (the old one is kept until `refdb rekey` has re-encrypted every
    /// image).
    NewKey {
        #[command(flatten)]
        env: Env,
    },
    /// Re-encrypt every image under the current vault key, then retire the previous key.
    Rekey {
        #[command(flatten)]
        env: Env,
    },
    /// Bring records, templates and images into agreement (also done before every import
    /// and retention run).
    Reconcile {
        #[command(flatten)]
        env: Env,
    },
    /// Write an import set (face crops and manifest.csv) made from the sample photos, or
    /// from the photos given.
    SampleSet {
        /// Output directory.
        out: PathBuf,
        /// Photos to take faces from (default: the sample photos of the model cache).
        photos: Vec<PathBuf>,
        /// Images per face (mirrored and rescaled copies: same person, other bytes).
        #[arg(long, default_value_t = 1)]
        variants: usize,
        #[command(flatten)]
        engine: EngineArgs,
    },
    /// Add synthetic persons and templates (no images) for scale tests.
    Synth {
        #[arg(long)]
        persons: u64,
        #[arg(long, default_value_t = 2)]
        per_person: u64,
        #[command(flatten)]
        env: Env,
    },
}

#[derive(Debug, Subcommand)]
pub enum RetentionCommand {
    /// List what is due for erasure and why: reference images, and the parts of searches
    /// past their revision's periods (and what a legal hold keeps).
    Plan {
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Print at most this many items (the count is always complete).
        #[arg(long, default_value_t = 50)]
        limit: usize,
        #[command(flatten)]
        env: Env,
    },
    /// Erase everything due — reference images (image, template, index entry and record)
    /// and the probes and results of searches whose periods ran out — with a deletion
    /// receipt in the ledger for each. Idempotent; crash-safe.
    Apply {
        /// Print JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        env: Env,
    },
}

/// Who acts.
#[derive(Debug, Args)]
pub struct Who {
    /// The acting user (pseudonymous id).
    #[arg(long = "user", default_value = "refdb-manager")]
    user: String,
}

/// The open parts of the reference database.
pub struct Parts {
    pub store: SqliteStore,
    pub index: Index,
    pub vault: Vault,
    pub ledger: Ledger,
}

impl Parts {
    pub fn db(&self) -> ReferenceDb<'_> {
        ReferenceDb {
            store: &self.store,
            index: &self.index,
            vault: &self.vault,
            ledger: &self.ledger,
        }
    }
}

/// The data keys of data directory `data`: the current key (created on first use) and,
/// during a rotation, the previous one.
pub fn keyring(data: &Path) -> anyhow::Result<Keyring> {
    crate::audit::private_dir(data)?;
    let current = Key::from_env_or_file(&data.join(VAULT_KEY_FILE), true)?;
    let previous_file = data.join(PREVIOUS_VAULT_KEY_FILE);
    let previous = if previous_file.exists() {
        vec![Key::load(&previous_file)?]
    } else {
        Vec::new()
    };
    Ok(Keyring::new(current, previous))
}

/// Opens the reference-image vault of data directory `data` with its data keys (from
/// [`keyring`], loaded once per process).
pub fn open_vault(data: &Path, keys: &Keyring) -> anyhow::Result<Vault> {
    Ok(Vault::open(&data.join("images"), keys.clone())?)
}

/// Opens the probe-image vault of data directory `data`. Probe images kept in the clear by
/// an earlier version (files named by their SHA-256 beside the vault's shards) are
/// encrypted into it and their plain files removed.
pub fn open_probes(data: &Path, keys: &Keyring) -> anyhow::Result<Vault> {
    let dir = data.join("probes");
    let vault = Vault::open(&dir, keys.clone())?;
    for entry in std::fs::read_dir(&dir).with_context(|| format!("listing {}", dir.display()))? {
        let path = entry?.path();
        let is_plain_probe = path.is_file()
            && path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.len() == 64 && n.bytes().all(|b| b.is_ascii_hexdigit()));
        if is_plain_probe {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            let bytes = std::fs::read(&path)?;
            vault.put(&name.to_ascii_lowercase(), &bytes)?;
            std::fs::remove_file(&path)?;
        }
    }
    Ok(vault)
}

/// Opens the reference index of data directory `data`, its templates encrypted under the
/// data key. Segments not yet under the current key (an index from before encryption, or
/// a rotation) or sealed whole by an earlier version (held whole in memory) are resealed
/// on the way, their f32 rows in blocks.
pub fn open_index(data: &Path, keys: &Keyring) -> anyhow::Result<Index> {
    let config = IndexConfig {
        keys: Some(std::sync::Arc::new(keys.clone())),
        ..IndexConfig::default()
    };
    let (index, report) = Index::open(&data.join("index"), config)?;
    if report.stale_segments > 0 {
        let r = index.compact()?;
        eprintln!(
            "index: {} segments re-encrypted under the current data key, their rows in blocks",
            r.resealed
        );
    }
    Ok(index)
}

fn open(env: &Env) -> anyhow::Result<Parts> {
    let store = env.store()?;
    let ledger = env.ledger(&store)?;
    Parts::assemble(store, ledger, &env.data.dir())
}

/// Opens (creating) every part in data directory `data`, with a fresh signing key if none.
pub fn open_parts(data: &Path) -> anyhow::Result<Parts> {
    crate::audit::private_dir(data)?;
    let store = SqliteStore::open(&data.join(crate::govern::STORE_FILE))?;
    let signer = crate::audit::KeyArgs::default().signer(data, true)?;
    let (ledger, _) = Ledger::open(&data.join("ledger"), signer)?;
    crate::serve::reconciled(&store, &ledger)?;
    Parts::assemble(store, ledger, data)
}

impl Parts {
    /// The index and the vault of `data`, beside a store and a ledger already open.
    fn assemble(store: SqliteStore, ledger: Ledger, data: &Path) -> anyhow::Result<Parts> {
        let keys = keyring(data)?;
        Ok(Parts {
            store,
            index: open_index(data, &keys)?,
            vault: open_vault(data, &keys)?,
            ledger,
        })
    }
}

/// A progress bar with rate and ETA on standard error (hidden when it is not a terminal).
struct Bar(indicatif::ProgressBar);

impl enrol::Progress for Bar {
    fn start(&self, rows: u64) {
        self.0.set_length(rows);
        self.0.reset_eta();
    }
    fn advance(&self, n: u64) {
        self.0.inc(n);
    }
}

fn bar() -> Bar {
    let bar = indicatif::ProgressBar::new(0);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} images  {per_sec}  ETA {eta}")
    {
        bar.set_style(style);
    }
    Bar(bar)
}

pub fn run(command: RefdbCommand) -> anyhow::Result<ExitCode> {
    match command {
        RefdbCommand::Enrol {
            image,
            person,
            source_kind,
            legal_basis,
            offence,
            max_sentence_years,
            sexual_offence,
            captured_at,
            capturing_unit,
            who,
            engine,
            env,
        } => {
            let now = env.now()?;
            let provenance = Provenance {
                source_kind: SourceKind::parse(&source_kind).map_err(anyhow::Error::msg)?,
                legal_basis,
                person,
                offence,
                max_sentence_years,
                sexual_offence,
                captured_at: Timestamp::parse(&captured_at).map_err(anyhow::Error::msg)?,
                capturing_unit,
            };
            let bytes =
                std::fs::read(&image).with_context(|| format!("reading {}", image.display()))?;
            let engine = engine.load(1)?;
            let parts = open(&env)?;
            let outcome = parts.db().enrol_one(
                &engine,
                bytes,
                &image.display().to_string(),
                provenance,
                &Enrolment::new(&who.user, &engine, now),
            )?;
            match (outcome.reference, outcome.rejected) {
                (Some(id), _) => {
                    println!("enrolled as reference image {id}");
                    if let Some(d) = outcome.duplicate {
                        println!(
                            "flagged: possible duplicate of person {} (reference image {}, score {:.3}); review with `waarborg refdb flags`",
                            d.person, d.reference, d.score
                        );
                    }
                    Ok(ExitCode::SUCCESS)
                }
                (None, why) => {
                    eprintln!("not enrolled: {}", why.unwrap_or_default());
                    Ok(ExitCode::from(1))
                }
            }
        }
        RefdbCommand::Import {
            dir,
            manifest,
            summary,
            who,
            engine,
            env,
        } => {
            let now = env.now()?;
            let engine = engine.load(usize::MAX)?;
            let workers = engine.config().workers;
            let parts = open(&env)?;
            let bar = bar();
            let s = enrol::import(
                &parts.db(),
                &engine,
                &dir,
                &manifest,
                workers,
                &Enrolment::new(&who.user, &engine, now),
                &bar,
            )?;
            bar.0.finish_and_clear();
            let out = summary.unwrap_or_else(|| {
                let mut name = manifest.file_name().unwrap_or_default().to_os_string();
                name.push(".outcome.csv");
                manifest.with_file_name(name)
            });
            write_outcomes(&out, &s.outcomes)?;
            println!(
                "{} rows: {} accepted ({} flagged as possible duplicate persons), {} rejected; \
                 {} done earlier; {} images analysed in {:.1} s ({:.1} images/s)",
                s.rows,
                s.accepted,
                s.flagged,
                s.rejected,
                s.already_done,
                s.analysed,
                s.seconds,
                s.analysed as f64 / s.seconds.max(1e-9)
            );
            for (reason, n) in &s.reasons {
                println!("  rejected {n:>6}  {reason}");
            }
            println!("every row's outcome: {}", out.display());
            Ok(ExitCode::SUCCESS)
        }
        RefdbCommand::List { after, limit, env } => {
            // A read of personal data: in the ledger, as the operator's, before it is shown —
            // page by page, each page's read one entry.
            let app = env.app()?;
            let mut out = std::io::stdout().lock();
            let (mut after, mut left) = (after, limit);
            while left > 0 {
                let paging = waarborg_app::reference::Paging {
                    after,
                    limit: Some(left.min(waarborg_app::reference::MAX_PAGE_ROWS)),
                    ..Default::default()
                };
                let (records, next) =
                    waarborg_app::reference::records(&app, &crate::govern::operator(), &paging)?;
                left -= records.len();
                print_records(&mut out, &records)?;
                match next {
                    Some(n) => after = n,
                    None => break,
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        RefdbCommand::Flags {
            clear,
            reason,
            who,
            env,
        } => {
            let store = env.store()?;
            match clear {
                None => {
                    for r in store.flagged_duplicates()? {
                        if let Some(d) = r.duplicate {
                            println!(
                                "reference image {} (person {}) resembles reference image {} (person {}), score {:.3}",
                                r.id, r.provenance.person, d.reference, d.person, d.score
                            );
                        }
                    }
                }
                Some(id) => {
                    let reason = reason
                        .filter(|r| !r.trim().is_empty())
                        .context("--clear needs --reason (what the review found)")?;
                    let ledger = env.ledger(&store)?;
                    waarborg_refdb::clear_duplicate_flag(&store, &ledger, &who.user, id, &reason)?;
                    println!("flag on reference image {id} cleared");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        RefdbCommand::Event {
            person,
            event,
            on,
            who,
            env,
        } => {
            let event = PersonEvent::parse(&event).map_err(anyhow::Error::msg)?;
            let at = match on {
                Some(t) => Timestamp::parse(&t).map_err(anyhow::Error::msg)?,
                None => env.now()?,
            };
            let store = env.store()?;
            let ledger = env.ledger(&store)?;
            store.record_person_event(
                &person,
                event,
                at,
                &mut waarborg_refdb::logged_decision(
                    &ledger,
                    &who.user,
                    "record_person_event",
                    &format!("person-event:{}", event.as_str()),
                    &format!("{} on {at}", event.as_str()),
                ),
            )?;
            println!(
                "recorded {} of {person} on {at}; see `waarborg retention plan`",
                event.as_str()
            );
            Ok(ExitCode::SUCCESS)
        }
        RefdbCommand::NewKey { env } => {
            let dir = env.data.dir();
            let (current, previous) = (dir.join(VAULT_KEY_FILE), dir.join(PREVIOUS_VAULT_KEY_FILE));
            anyhow::ensure!(
                !previous.exists(),
                "a rotation is in progress ({} exists); run `waarborg refdb rekey` first",
                previous.display()
            );
            anyhow::ensure!(current.exists(), "no vault key at {}", current.display());
            std::fs::rename(&current, &previous)?;
            let key = Key::create(&current)?;
            println!(
                "new data key {}; run `waarborg refdb rekey` to re-encrypt every image and template",
                key.id_hex()
            );
            Ok(ExitCode::SUCCESS)
        }
        RefdbCommand::Rekey { env } => {
            let dir = env.data.dir();
            let keys = keyring(&dir)?;
            let vault = open_vault(&dir, &keys)?;
            let images = vault.rekey()?;
            let probes = open_probes(&dir, &keys)?.rekey()?;
            let factors = waarborg_app::account::reseal_second_factors(
                &SqliteStore::open(&dir.join(crate::govern::STORE_FILE))?,
                &keys,
            )?;
            // Opening the index reseals every segment not under the current key; a flush
            // moves logged templates into (sealed) segments and starts a fresh log.
            let index = open_index(&dir, &keys)?;
            index.flush()?;
            let previous = dir.join(PREVIOUS_VAULT_KEY_FILE);
            if previous.exists() {
                std::fs::remove_file(&previous)?;
            }
            println!(
                "{} reference images, {} probe images and {factors} second-factor secrets re-encrypted ({} and {} images already current); \
                 templates re-encrypted; everything is under key {}; the previous key is retired",
                images.reencrypted,
                probes.reencrypted,
                images.current,
                probes.current,
                vault.key_id()
            );
            Ok(ExitCode::SUCCESS)
        }
        RefdbCommand::Reconcile { env } => {
            let parts = open(&env)?;
            let r = parts.db().reconcile()?;
            println!(
                "{} orphan templates and {} orphan images removed; {} erasures completed",
                r.orphan_templates, r.orphan_images, r.completed_erasures
            );
            Ok(ExitCode::SUCCESS)
        }
        RefdbCommand::SampleSet {
            out,
            photos,
            variants,
            engine,
        } => {
            let photos = if photos.is_empty() {
                let samples = waarborg_models::ModelCache::from_env().require()?.samples;
                waarborg_models::SAMPLE_PHOTOS
                    .iter()
                    .map(|p| samples.join(p))
                    .collect()
            } else {
                photos
            };
            let engine = engine.load(1)?;
            let now = Timestamp(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs() as i64),
            );
            let n = waarborg_refdb::synthetic::sample_set(&engine, &photos, &out, variants, now)?;
            println!(
                "{n} images and {} written",
                out.join("manifest.csv").display()
            );
            Ok(ExitCode::SUCCESS)
        }
        RefdbCommand::Synth {
            persons,
            per_person,
            env,
        } => {
            let now = env.now()?;
            let parts = open(&env)?;
            let started = std::time::Instant::now();
            let bar = bar();
            enrol::Progress::start(&bar, persons * per_person);
            let mut last = 0;
            let n = waarborg_refdb::synthetic::generate(
                &parts.db(),
                persons,
                per_person,
                now,
                "synthetic",
                &mut |done| {
                    bar.0.inc(done - last);
                    last = done;
                },
            )?;
            parts.index.flush()?;
            bar.0.finish_and_clear();
            println!(
                "{n} synthetic templates of {persons} persons in {:.1} s",
                started.elapsed().as_secs_f64()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// One line per record: id, database, person, source, offence, sentence, capture, quality,
/// a duplicate flag.
fn print_records(
    out: &mut impl Write,
    records: &[waarborg_store::ReferenceRecord],
) -> std::io::Result<()> {
    for r in records {
        let p = &r.provenance;
        writeln!(
            out,
            "{:>8}  {:<9} {:<14} {:<20} {:<18} {:>2}y  captured {}  {}{}",
            r.id,
            r.database,
            p.person,
            p.source_kind.as_str(),
            p.offence,
            p.max_sentence_years,
            p.captured_at,
            r.quality,
            r.duplicate.as_ref().map_or(String::new(), |d| format!(
                "  FLAG: like {} ({:.3})",
                d.person, d.score
            ))
        )?;
    }
    Ok(())
}

fn write_outcomes(path: &Path, rows: &[waarborg_store::ImportRow]) -> anyhow::Result<()> {
    let mut w =
        csv::Writer::from_path(path).with_context(|| format!("writing {}", path.display()))?;
    w.write_record(["row", "file", "outcome", "reason", "reference"])?;
    for r in rows {
        w.write_record([
            r.row.to_string(),
            r.file.clone(),
            format!("{:?}", r.outcome).to_lowercase(),
            r.reason.clone(),
            r.reference.map_or(String::new(), |id| id.to_string()),
        ])?;
    }
    w.flush()?;
    Ok(())
}

pub fn retention(command: RetentionCommand) -> anyhow::Result<ExitCode> {
    match command {
        RetentionCommand::Plan { json, limit, env } => {
            let now = env.now()?;
            // The plan reads the records only: no index, vault or ledger to open.
            let store = env.store()?;
            let started = std::time::Instant::now();
            let plan = waarborg_app::retention::plan(&store, now)?;
            let seconds = started.elapsed().as_secs_f64();
            if json {
                let mut out = plan.to_json(limit);
                out["seconds"] = seconds.into();
                out["at"] = serde_json::to_value(now)?;
                println!("{out}");
            } else {
                let mut out = std::io::stdout().lock();
                for i in plan.references.iter().take(limit) {
                    writeln!(
                        out,
                        "reference image {:>9}  {:<22} since {}  {}",
                        i.id, i.due.rule, i.due.since, i.due.reason
                    )?;
                }
                for (list, held) in [(&plan.searches, ""), (&plan.held, "  (kept: legal hold)")] {
                    for i in list.iter().take(limit) {
                        writeln!(
                            out,
                            "{:<15} {:<9} {:<22} since {}  case {}, {}{held}",
                            i.part.as_str(),
                            i.search,
                            i.due.rule,
                            i.due.since,
                            i.case_number,
                            i.due.reason
                        )?;
                    }
                }
                writeln!(
                    out,
                    "{} reference images and {} parts of searches due for erasure at {now}, {} kept by a legal hold (planned in {seconds:.2} s)",
                    plan.references.len(),
                    plan.searches.len(),
                    plan.held.len()
                )?;
            }
            Ok(ExitCode::SUCCESS)
        }
        RetentionCommand::Apply { json, env } => {
            let app = env.app_with_references()?;
            let r = waarborg_app::retention::apply(&app)?;
            let reference = r.references.clone().unwrap_or_default();
            if json {
                println!(
                    "{}",
                    serde_json::json!({"planned": reference.planned, "erased": reference.erased,
                        "probes": r.probes, "results": r.results, "held": r.held,
                        "plan_seconds": reference.plan_seconds, "erase_seconds": reference.erase_seconds,
                        "compact_seconds": reference.compact_seconds})
                );
            } else {
                println!(
                    "{}; plan {:.2} s, erase {:.2} s, compaction {:.2} s",
                    r.describe(),
                    reference.plan_seconds,
                    reference.erase_seconds,
                    reference.compact_seconds
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
