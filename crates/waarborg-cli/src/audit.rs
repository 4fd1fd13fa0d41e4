//! `waarborg audit …`: the auditor's and operator's view of the ledger.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use clap::{Args, Subcommand};
use waarborg_ledger::{keys, verify, KeySource, Ledger, NoteSigner, NoteVerifier, Snapshot};

/// Default origin (and key name) of a new ledger.
pub const DEFAULT_ORIGIN: &str = "waarborg.local/audit-ledger";

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Re-derive the tree from every entry, check every checkpoint's signature and the
    /// consistency between them; name the first bad entry. Exit status 1 on any problem.
    Verify {
        #[command(flatten)]
        data: DataArgs,
        /// The checkpoint-signing key you trust (`name+id+base64`), obtained independently.
        #[arg(long, value_name = "VKEY")]
        public_key: Option<String>,
    },
    /// Print the latest signed checkpoint (a C2SP signed note).
    Checkpoint {
        #[command(flatten)]
        data: DataArgs,
        /// Sign a new checkpoint now (needs the signing key).
        #[arg(long)]
        new: bool,
        #[command(flatten)]
        key: KeyArgs,
    },
    /// Print an entry and its inclusion proof against the latest checkpoint.
    Prove {
        #[command(flatten)]
        data: DataArgs,
        /// The entry's index.
        #[arg(long)]
        index: u64,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print a consistency proof from an earlier tree size to the latest checkpoint.
    Consistency {
        #[command(flatten)]
        data: DataArgs,
        /// The earlier tree size.
        #[arg(long)]
        from: u64,
        /// The later size (default: the latest checkpoint's).
        #[arg(long)]
        to: Option<u64>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Create a new signing key in a file only you can read, and print its public key.
    Keygen {
        /// Where to write it (must not exist).
        #[arg(long)]
        out: PathBuf,
        /// The log's origin, which is also the key's name.
        #[arg(long, default_value = DEFAULT_ORIGIN)]
        origin: String,
    },
    /// Replace the signing key: the current key announces the new one in the ledger.
    RotateKey {
        #[command(flatten)]
        data: DataArgs,
        #[command(flatten)]
        key: KeyArgs,
        /// The new key's file (from `waarborg audit keygen`).
        #[arg(long)]
        new_key: PathBuf,
    },
}

/// Where the data lives.
#[derive(Debug, Args)]
pub struct DataArgs {
    /// Data directory (default: $WAARBORG_DATA, else the user's data dir /waarborg/data).
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
}

impl DataArgs {
    /// The data directory `dir` (or the default, when `None`).
    pub fn at(dir: Option<PathBuf>) -> DataArgs {
        DataArgs { data: dir }
    }

    /// The directory given with `--data`, if one was.
    pub fn explicit(&self) -> Option<&Path> {
        self.data.as_deref()
    }

    pub fn dir(&self) -> PathBuf {
        data_dir(self.data.as_deref())
    }

    pub fn ledger_dir(&self) -> PathBuf {
        self.dir().join("ledger")
    }
}

/// Creates the data directory `dir` if it is missing and makes it private (0700): it holds
/// the database (sessions, second-factor secrets), the ledger and the keys. One that others
/// could read is tightened, with a warning.
pub fn private_dir(dir: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mode = std::fs::metadata(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("making {} private (0700)", dir.display()))?;
        tracing::warn!(
            dir = %dir.display(),
            mode = format!("{:o}", mode & 0o777),
            "the data directory was open to others; it is now 0700"
        );
    }
    Ok(())
}

/// The data directory: explicit, else `$WAARBORG_DATA`, else `<data home>/waarborg/data`.
pub fn data_dir(explicit: Option<&Path>) -> PathBuf {
    if let Some(d) = explicit {
        return d.to_path_buf();
    }
    if let Some(d) = std::env::var_os("WAARBORG_DATA").filter(|v| !v.is_empty()) {
        return PathBuf::from(d);
    }
    waarborg_models::data_home().map_or_else(
        || PathBuf::from(".waarborg/data"),
        |h| h.join("waarborg/data"),
    )
}

/// Where the signing key comes from.
#[derive(Debug, Default, Args)]
pub struct KeyArgs {
    /// Signing key file, mode 0600 (default: $WAARBORG_LEDGER_KEY, else
    /// <data>/ledger-signing.key).
    #[arg(long, value_name = "FILE")]
    key: Option<PathBuf>,
}

impl KeyArgs {
    /// Loads the signing key; with `create`, makes the default key file when none exists.
    pub fn signer(&self, data: &Path, create: bool) -> anyhow::Result<NoteSigner> {
        if let Some(file) = &self.key {
            return Ok(keys::load_file(file)?);
        }
        if let Some(signer) = keys::load_env()? {
            return Ok(signer);
        }
        let default = data.join("ledger-signing.key");
        if default.exists() {
            return Ok(keys::load_file(&default)?);
        }
        if !create {
            bail!(
                "no signing key: pass --key FILE, set {}, or create {} with `waarborg audit keygen --out {}`",
                keys::KEY_ENV,
                default.display(),
                default.display()
            );
        }
        private_dir(data)?;
        let signer = NoteSigner::generate(DEFAULT_ORIGIN)?;
        keys::save_new(&default, &signer)?;
        eprintln!(
            "created signing key {} (public key {})",
            default.display(),
            signer.verifier()
        );
        Ok(signer)
    }
}

pub fn run(command: AuditCommand) -> anyhow::Result<ExitCode> {
    match command {
        AuditCommand::Verify { data, public_key } => {
            let trusted = public_key.as_deref().map(NoteVerifier::parse).transpose()?;
            let dir = data.ledger_dir();
            if !dir.join(waarborg_ledger::ENTRIES_FILE).exists() {
                bail!("no ledger at {}; pass --data DIR", dir.display());
            }
            let report = verify(&dir, trusted.as_ref())?;
            println!("ledger:      {}", dir.display());
            println!("entries:     {}", report.entries);
            println!("root:        {}", B64.encode(report.root));
            println!("checkpoints: {}", report.checkpoints);
            for (at, key) in &report.keys {
                println!("key from entry {at}: {key}");
            }
            match report.key_source {
                KeySource::Trusted => println!("trust:       the key you gave matches the genesis entry"),
                KeySource::Genesis => println!(
                    "trust:       the genesis entry's own key (pass --public-key to check it against a key you obtained independently)"
                ),
            }
            if let Some(cp) = &report.latest_verified_checkpoint {
                println!(
                    "latest verified checkpoint: size {} root {}",
                    cp.size,
                    B64.encode(cp.root)
                );
            }
            if report.is_ok() {
                println!("OK: every entry, checkpoint signature and consistency proof verifies");
                Ok(ExitCode::SUCCESS)
            } else {
                for p in &report.problems {
                    println!("PROBLEM at {}: {}", p.place, p.message);
                }
                match report.first_bad_entry() {
                    Some(i) => println!("FAILED: the first bad entry is entry {i}"),
                    None => println!("FAILED: the entries verify but a checkpoint does not"),
                }
                Ok(ExitCode::FAILURE)
            }
        }
        AuditCommand::Checkpoint { data, new, key } => {
            let note = if new {
                let signer = key.signer(&data.dir(), false)?;
                let (ledger, _) = Ledger::open(&data.ledger_dir(), signer)?;
                ledger.checkpoint()?.note
            } else {
                let snap = Snapshot::read(&data.ledger_dir())?;
                match snap.latest_checkpoint()? {
                    Some((note, _)) => note,
                    None => bail!("the ledger has no checkpoint yet; make one with `waarborg audit checkpoint --new`"),
                }
            };
            print!("{note}");
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::Prove { data, index, json } => {
            let snap = Snapshot::read(&data.ledger_dir())?;
            let Some((note, cp)) = snap.latest_checkpoint()? else {
                bail!("the ledger has no checkpoint yet; make one with `waarborg audit checkpoint --new`");
            };
            if index >= cp.size {
                bail!("entry {index} is not covered by the latest checkpoint (size {}); make a new one with `waarborg audit checkpoint --new`", cp.size);
            }
            let entry = snap.entry(index).context("entry missing")?;
            let proof = snap.tree().inclusion_proof(index, cp.size)?;
            let leaf = waarborg_ledger::merkle::leaf_hash(entry);
            let entry_text = String::from_utf8_lossy(entry);
            if json {
                println!(
                    "{}",
                    serde_json::json!({
                        "index": index,
                        "entry": entry_text,
                        "leaf_hash": B64.encode(leaf),
                        "tree_size": cp.size,
                        "inclusion_proof": proof.iter().map(|h| B64.encode(h)).collect::<Vec<_>>(),
                        "checkpoint": note,
                    })
                );
            } else {
                println!(
                    "entry {index}:\n{entry_text}\nleaf hash: {}\ntree size: {}",
                    B64.encode(leaf),
                    cp.size
                );
                println!("inclusion proof ({} hashes, RFC 9162 order):", proof.len());
                for h in &proof {
                    println!("{}", B64.encode(h));
                }
                print!("checkpoint:\n{note}");
            }
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::Consistency {
            data,
            from,
            to,
            json,
        } => {
            let snap = Snapshot::read(&data.ledger_dir())?;
            let (note, to) = match (to, snap.latest_checkpoint()?) {
                (Some(t), latest) => (latest.filter(|(_, c)| c.size == t).map(|(n, _)| n), t),
                (None, Some((n, c))) => (Some(n), c.size),
                (None, None) => bail!("the ledger has no checkpoint; pass --to SIZE"),
            };
            let proof = snap.tree().consistency_proof(from, to)?;
            let (r1, r2) = (snap.root(from)?, snap.root(to)?);
            if json {
                println!(
                    "{}",
                    serde_json::json!({
                        "from": from, "to": to,
                        "from_root": B64.encode(r1), "to_root": B64.encode(r2),
                        "consistency_proof": proof.iter().map(|h| B64.encode(h)).collect::<Vec<_>>(),
                        "checkpoint": note,
                    })
                );
            } else {
                println!(
                    "from size {from} root {}\nto size {to} root {}",
                    B64.encode(r1),
                    B64.encode(r2)
                );
                println!(
                    "consistency proof ({} hashes, RFC 9162 order):",
                    proof.len()
                );
                for h in &proof {
                    println!("{}", B64.encode(h));
                }
                if let Some(n) = note {
                    print!("checkpoint:\n{n}");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::Keygen { out, origin } => {
            let signer = NoteSigner::generate(&origin)?;
            keys::save_new(&out, &signer)?;
            eprintln!(
                "wrote {} (mode 0600); give auditors the public key:",
                out.display()
            );
            println!("{}", signer.verifier());
            Ok(ExitCode::SUCCESS)
        }
        AuditCommand::RotateKey { data, key, new_key } => {
            let signer = key.signer(&data.dir(), false)?;
            let new_signer = keys::load_file(&new_key)?;
            let (ledger, _) = Ledger::open(&data.ledger_dir(), signer)?;
            let receipt = ledger.rotate_key(new_signer.clone())?;
            println!(
                "entry {} announces {}; sign from now on with {}",
                receipt.index,
                new_signer.verifier(),
                new_key.display()
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}
