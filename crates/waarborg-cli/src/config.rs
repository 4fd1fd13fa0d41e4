//! The service's configuration, in one struct from four sources, each overriding the one
//! before: built-in defaults, a TOML file (`--config FILE` or `$WAARBORG_CONFIG`), the
//! environment, and the command line's flags. `docs/configuration.md` lists every key; a
//! test keeps the two in step. Secrets are never configuration: the signing and data keys
//! are 0600 files or their own environment variables.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};
use waarborg_report::consultations::Thresholds;

/// Every key: (key in the file, environment variable, flag, what it sets) — what
/// `docs/configuration.md` must list (its test reads both).
#[cfg(test)]
const KEYS: &[(&str, &str, &str, &str)] = &[
    (
        "data",
        "WAARBORG_DATA",
        "--data",
        "the data directory: store, ledger, vaults, index, keys",
    ),
    (
        "bind",
        "WAARBORG_BIND",
        "--bind",
        "the address the service listens on (port 0: any free port)",
    ),
    (
        "secure_cookies",
        "WAARBORG_SECURE_COOKIES",
        "--secure-cookies",
        "mark session cookies Secure (behind a TLS proxy)",
    ),
    (
        "ledger_public_key",
        "WAARBORG_LEDGER_PUBLIC_KEY",
        "",
        "the ledger's genesis public key, obtained independently: the service's own verification is pinned to it",
    ),
    (
        "disk_reserve_mib",
        "WAARBORG_DISK_RESERVE_MIB",
        "",
        "free space kept on the data directory's disk: new work is refused with 507 below it",
    ),
    (
        "read_flag_records",
        "WAARBORG_READ_FLAG_RECORDS",
        "",
        "a reader who consults more distinct records than this within the window is flagged",
    ),
    (
        "read_flag_window_minutes",
        "WAARBORG_READ_FLAG_WINDOW_MINUTES",
        "",
        "the window of read_flag_records, in minutes",
    ),
    (
        "engine.threads",
        "WAARBORG_ENGINE_THREADS",
        "",
        "CPU threads the face engine may use (default: all)",
    ),
    (
        "engine.workers",
        "WAARBORG_ENGINE_WORKERS",
        "",
        "images inferred at the same time (default 1: lowest latency per probe)",
    ),
];

/// The service's configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// The data directory (default: `$XDG_DATA_HOME/waarborg/data`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<PathBuf>,
    /// Where the service listens.
    pub bind: SocketAddr,
    /// Session cookies marked `Secure`.
    pub secure_cookies: bool,
    /// The ledger's genesis public key (`name+id+base64`), given from outside: the kept
    /// verification checks the ledger's genesis against it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ledger_public_key: Option<String>,
    /// Free space (MiB) kept on the data directory's disk (`waarborg_app::space`).
    pub disk_reserve_mib: u64,
    /// A reader who consults more distinct records than this within
    /// `read_flag_window_minutes` is flagged on the "who consulted" page.
    pub read_flag_records: usize,
    /// The window of `read_flag_records`, in minutes.
    pub read_flag_window_minutes: u32,
    /// The face engine.
    pub engine: Engine,
}

/// The face engine's share of the machine.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Engine {
    /// CPU threads in all (default: every core).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threads: Option<usize>,
    /// Images inferred at the same time (default 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workers: Option<usize>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            data: None,
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            secure_cookies: false,
            ledger_public_key: None,
            disk_reserve_mib: waarborg_app::space::DEFAULT_RESERVE_BYTES / (1024 * 1024),
            read_flag_records: Thresholds::default().subjects,
            read_flag_window_minutes: (Thresholds::default().window_seconds / 60) as u32,
            engine: Engine::default(),
        }
    }
}

impl Config {
    /// The disk reserve on `data`'s file system (`disk_reserve_mib`).
    pub fn reserve(&self, data: &Path) -> waarborg_app::space::Reserve {
        waarborg_app::space::Reserve::of(data, self.disk_reserve_mib.saturating_mul(1024 * 1024))
    }

    /// When a pattern of reads is flagged (`read_flag_records`, `read_flag_window_minutes`).
    pub fn read_flags(&self) -> Thresholds {
        Thresholds {
            subjects: self.read_flag_records,
            window_seconds: i64::from(self.read_flag_window_minutes) * 60,
        }
    }

    /// Defaults, then `file` (or `$WAARBORG_CONFIG`), then the environment.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Config> {
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let file = file
            .map(Path::to_path_buf)
            .or_else(|| env("WAARBORG_CONFIG").map(PathBuf::from));
        let mut config = match &file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("reading the configuration {}", path.display()))?;
                Config::parse(&text)
                    .with_context(|| format!("the configuration {}", path.display()))?
            }
            None => Config::default(),
        };
        config.apply_env(env)?;
        Ok(config)
    }

    /// A configuration file's text (unknown keys are refused, so a misspelt key is named).
    pub fn parse(text: &str) -> anyhow::Result<Config> {
        Ok(toml::from_str(text)?)
    }

    /// Overrides from the environment (`get` reads a variable).
    fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> anyhow::Result<()> {
        fn parsed<T: std::str::FromStr>(name: &str, value: &str) -> anyhow::Result<T>
        where
            T::Err: std::fmt::Display,
        {
            value
                .parse()
                .map_err(|e| anyhow::anyhow!("{name}={value:?} cannot be used: {e}"))
        }
        if let Some(v) = get("WAARBORG_DATA") {
            self.data = Some(PathBuf::from(v));
        }
        if let Some(v) = get("WAARBORG_BIND") {
            self.bind = parsed("WAARBORG_BIND", &v)?;
        }
        if let Some(v) = get("WAARBORG_SECURE_COOKIES") {
            self.secure_cookies = match v.as_str() {
                "1" | "true" | "yes" => true,
                "0" | "false" | "no" => false,
                _ => anyhow::bail!("WAARBORG_SECURE_COOKIES={v:?}: use true or false"),
            };
        }
        if let Some(v) = get("WAARBORG_LEDGER_PUBLIC_KEY") {
            self.ledger_public_key = Some(v);
        }
        if let Some(v) = get("WAARBORG_DISK_RESERVE_MIB") {
            self.disk_reserve_mib = parsed("WAARBORG_DISK_RESERVE_MIB", &v)?;
        }
        if let Some(v) = get("WAARBORG_READ_FLAG_RECORDS") {
            self.read_flag_records = parsed("WAARBORG_READ_FLAG_RECORDS", &v)?;
        }
        if let Some(v) = get("WAARBORG_READ_FLAG_WINDOW_MINUTES") {
            self.read_flag_window_minutes = parsed("WAARBORG_READ_FLAG_WINDOW_MINUTES", &v)?;
        }
        if let Some(v) = get("WAARBORG_ENGINE_THREADS") {
            self.engine.threads = Some(parsed("WAARBORG_ENGINE_THREADS", &v)?);
        }
        if let Some(v) = get("WAARBORG_ENGINE_WORKERS") {
            self.engine.workers = Some(parsed("WAARBORG_ENGINE_WORKERS", &v)?);
        }
        if self.engine.threads == Some(0) || self.engine.workers == Some(0) {
            anyhow::bail!("engine.threads and engine.workers are at least 1");
        }
        Ok(())
    }

    /// The face engine's settings: the defaults with this configuration's share.
    pub fn engine_config(&self) -> waarborg_face::EngineConfig {
        let mut c = waarborg_face::EngineConfig::default();
        if let Some(t) = self.engine.threads {
            c.threads = t;
        }
        if let Some(w) = self.engine.workers {
            c.workers = w.min(c.threads).max(1);
        }
        c
    }

    /// The configuration as a file would hold it.
    pub fn to_toml(&self) -> anyhow::Result<String> {
        Ok(toml::to_string(self)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every key is documented, and the documentation's example file parses.
    #[test]
    fn every_key_is_documented_and_the_example_parses() {
        let doc = include_str!("../../../docs/configuration.md");
        for (key, env, flag, _) in KEYS {
            assert!(doc.contains(&format!("`{key}`")), "{key} undocumented");
            assert!(doc.contains(&format!("`{env}`")), "{env} undocumented");
            if !flag.is_empty() {
                assert!(doc.contains(&format!("`{flag}`")), "{flag} undocumented");
            }
        }
        let example = doc
            .split("```toml\n")
            .nth(1)
            .and_then(|rest| rest.split("```").next())
            .expect("an example file in docs/configuration.md");
        let parsed = Config::parse(example).unwrap();
        assert_eq!(parsed.bind.port(), 8080);
        assert_eq!(parsed.engine.workers, Some(1));
    }

    #[test]
    fn later_sources_override_earlier_ones_and_bad_values_are_named() {
        let mut c = Config::parse("bind = \"127.0.0.1:9000\"\nsecure_cookies = true\n").unwrap();
        assert_eq!(c.bind.port(), 9000);
        c.apply_env(|name| (name == "WAARBORG_BIND").then(|| "0.0.0.0:7000".to_string()))
            .unwrap();
        assert_eq!(c.bind.port(), 7000);
        assert!(c.secure_cookies, "unset variables change nothing");
        let e = c
            .apply_env(|name| (name == "WAARBORG_ENGINE_THREADS").then(|| "many".to_string()))
            .unwrap_err();
        assert!(e.to_string().contains("WAARBORG_ENGINE_THREADS"), "{e}");
        let e = Config::parse("bnid = \"x\"\n").unwrap_err();
        assert!(format!("{e:#}").contains("bnid"), "{e:#}");
    }
}
