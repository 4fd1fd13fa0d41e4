//! The service's metrics, in the Prometheus (OpenMetrics) text format: measured where the
//! work is done (the ledger's appends, the gate, the search stages, the scheduled duties),
//! scraped at `/metrics`. Counts and durations only — never an identifier or personal datum
//! in a label: the labels are closed vocabularies (refusal codes, stage names, job names).

use std::sync::Arc;
use std::time::Instant;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

/// A refusal code (`waarborg_govern::gate::Refusal::code`).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CodeLabel {
    /// The code.
    pub code: String,
}

/// A search stage (`detect`, `search`, `proposal`, `verification`).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StageLabel {
    /// The stage.
    pub stage: String,
}

/// A scheduled duty (`erase_uncovered`, `checkpoint`, `verification`, `retention`,
/// `full_verification`).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct JobLabel {
    /// The job.
    pub job: String,
}

fn seconds_histogram() -> Histogram {
    // 0.5 ms … about 16 s.
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

/// The metrics the application measures.
pub struct Metrics {
    /// Time for a ledger append (one entry or a batch, through the group commit).
    pub ledger_append_seconds: Histogram,
    /// Refusals by the gate, by code.
    pub gate_refusals: Family<CodeLabel, Counter>,
    /// Time of each search stage (the whole use case, gate and ledger included).
    pub search_stage_seconds: Family<StageLabel, Histogram, fn() -> Histogram>,
    /// Failed runs of a scheduled duty.
    pub job_failures: Family<JobLabel, Counter>,
    /// Time to log a read of personal data (its ledger append), which the read waits for.
    pub consultation_seconds: Histogram,
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics {
            ledger_append_seconds: seconds_histogram(),
            gate_refusals: Family::default(),
            search_stage_seconds: Family::new_with_constructor(seconds_histogram),
            job_failures: Family::default(),
            consultation_seconds: seconds_histogram(),
        }
    }
}

impl Metrics {
    /// Records how long `stage` took since `started`.
    pub fn stage(&self, stage: &str, started: Instant) {
        self.search_stage_seconds
            .get_or_create(&StageLabel {
                stage: stage.into(),
            })
            .observe(started.elapsed().as_secs_f64());
    }

    /// Counts a failed run of `job`.
    pub fn job_failed(&self, job: &str) {
        self.job_failures
            .get_or_create(&JobLabel { job: job.into() })
            .inc();
    }
}

/// What the ledger itself counts (its size and its group commit), read at each scrape.
#[derive(Debug)]
struct LedgerCollector(Arc<crate::App>);

impl Collector for LedgerCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let ledger = &self.0.ledger;
        let stats = ledger.sync_stats();
        let size = ConstGauge::new(ledger.size() as i64);
        size.encode(encoder.encode_descriptor(
            "ledger_entries",
            "Entries in the audit ledger",
            None,
            size.metric_type(),
        )?)?;
        let counters = [
            (
                "ledger_syncs",
                "fsyncs of the entry log by the group commit",
                stats.syncs as f64,
            ),
            (
                "ledger_synced_entries",
                "Entries made durable by those fsyncs (over the syncs: the mean group size)",
                stats.synced_entries as f64,
            ),
            (
                "ledger_sync_seconds",
                "Time spent in those fsyncs",
                stats.sync_nanos as f64 / 1e9,
            ),
        ];
        for (name, help, value) in counters {
            let counter = ConstCounter::new(value);
            counter.encode(encoder.encode_descriptor(
                name,
                help,
                None,
                counter.metric_type(),
            )?)?;
        }
        Ok(())
    }
}

impl std::fmt::Debug for crate::App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("ledger", &self.ledger)
            .finish_non_exhaustive()
    }
}

/// The metrics of `app` in the OpenMetrics text format.
pub fn render(app: &Arc<crate::App>) -> Result<String, std::fmt::Error> {
    let m = &app.caches.metrics;
    let mut registry = Registry::with_prefix("waarborg");
    registry.register(
        "ledger_append_seconds",
        "Time for a ledger append through the group commit",
        m.ledger_append_seconds.clone(),
    );
    registry.register(
        "gate_refusals",
        "Refusals by the gate, by code",
        m.gate_refusals.clone(),
    );
    registry.register(
        "search_stage_seconds",
        "Time of each search stage, gate and ledger included",
        m.search_stage_seconds.clone(),
    );
    registry.register(
        "job_failures",
        "Failed runs of a scheduled duty",
        m.job_failures.clone(),
    );
    registry.register(
        "consultation_log_seconds",
        "Time to log a read of personal data before it is answered",
        m.consultation_seconds.clone(),
    );
    registry.register_collector(Box::new(LedgerCollector(app.clone())));
    let mut out = String::new();
    prometheus_client::encoding::text::encode(&mut out, &registry)?;
    Ok(out)
}
