//! Login throttling and the password-hashing gate, kept in memory.
//!
//! Failed logins are counted per *(source, name)*: five are free, then that pair waits a
//! minute, doubling up to sixteen. The key includes the source, so nobody can lock a person
//! out by failing from elsewhere (the prosecutor during a 48-hour urgent window), and it
//! includes the name whether or not an account has it, so the answer never tells which
//! names exist. A source that fails very often across names waits as a whole.
//!
//! Argon2id costs ~20 MiB and tens of milliseconds per check, decoding a large probe for a
//! face crop as much or more: a [`Gate`] lets at most one such task per processor run at
//! once and turns the rest away when the queue is long, so a burst of bogus logins or of
//! viewers cannot starve the service (the tasks run on the blocking pool, never on an async
//! worker).

use std::collections::HashMap;
use std::sync::{Condvar, Mutex};
use std::time::Duration;

/// Failed logins per (source, name) before that pair waits.
pub const FREE_ATTEMPTS: u32 = 5;
/// Failed logins per source, across names, within [`SOURCE_WINDOW`] before the source waits.
pub const SOURCE_LIMIT: u32 = 100;
/// The window of [`SOURCE_LIMIT`], seconds.
pub const SOURCE_WINDOW: i64 = 600;
/// Entries kept before expired ones are swept (the map stays small under a flood).
const SWEEP_AT: usize = 10_000;

#[derive(Debug, Clone, Copy, Default)]
struct Failures {
    count: u32,
    until: i64,
    last: i64,
}

/// The failed-login counters.
#[derive(Debug, Default)]
pub struct Throttle {
    pairs: Mutex<HashMap<(String, String), Failures>>,
    sources: Mutex<HashMap<String, (i64, u32)>>,
}

impl Throttle {
    /// Seconds `source` must wait before trying `name` again at `now`; 0 if it may try.
    pub fn wait(&self, source: &str, name: &str, now: i64) -> i64 {
        let pair = self
            .pairs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&(source.to_string(), name.to_string()))
            .map_or(0, |f| f.until - now);
        let whole = self
            .sources
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(source)
            .filter(|(start, n)| *n >= SOURCE_LIMIT && now < start + SOURCE_WINDOW)
            .map_or(0, |(start, _)| start + SOURCE_WINDOW - now);
        pair.max(whole).max(0)
    }

    /// Counts a failed login of `name` from `source` at `now`.
    pub fn failed(&self, source: &str, name: &str, now: i64) {
        let mut pairs = self.pairs.lock().unwrap_or_else(|e| e.into_inner());
        if pairs.len() >= SWEEP_AT {
            // Forget pairs that have waited out their time and been quiet a while.
            pairs.retain(|_, f| f.until > now || now - f.last < SOURCE_WINDOW);
        }
        let f = pairs
            .entry((source.to_string(), name.to_string()))
            .or_default();
        f.count = f.count.saturating_add(1);
        f.last = now;
        if f.count >= FREE_ATTEMPTS {
            let exponent = (f.count - FREE_ATTEMPTS).min(4);
            f.until = now.saturating_add(60 << exponent);
        }
        drop(pairs);
        let mut sources = self.sources.lock().unwrap_or_else(|e| e.into_inner());
        if sources.len() >= SWEEP_AT {
            sources.retain(|_, (start, _)| now < *start + SOURCE_WINDOW);
        }
        let (start, n) = sources.entry(source.to_string()).or_insert((now, 0));
        if now >= *start + SOURCE_WINDOW {
            (*start, *n) = (now, 0);
        }
        *n = n.saturating_add(1);
    }

    /// A successful login of `name` from `source`: its pair starts afresh.
    pub fn succeeded(&self, source: &str, name: &str) {
        self.pairs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&(source.to_string(), name.to_string()));
    }
}

/// Refused attempts logged one by one per (user, refusal code) a minute, before the rest
/// of that minute are held and counted.
pub const REFUSALS_PER_MINUTE: u64 = 20;

#[derive(Debug)]
struct Held {
    start: i64,
    logged: u64,
    /// The last refusal held back, and how many were.
    held: Option<(waarborg_ledger::Refusal, u64)>,
}

/// Keeps a flood of refused attempts from flooding the ledger without losing one: per
/// (user, refusal code), [`REFUSALS_PER_MINUTE`] are logged one by one each minute; the rest
/// are held and logged as one entry with their `count` once the minute is over (at the next
/// refusal of that kind, by the scheduled flush, or at shutdown).
#[derive(Debug, Default)]
pub struct Refusals {
    windows: Mutex<HashMap<(String, String), Held>>,
}

fn held_entry(mut r: waarborg_ledger::Refusal, n: u64, start: i64) -> waarborg_ledger::Event {
    if n >= 2 {
        r.count = Some(n);
        let code = r.code().to_string();
        r.reason = format!("{code}: {n} attempts of this kind in the minute from {start} s held back and counted here");
    }
    waarborg_ledger::Event::Refusal(r)
}

impl Refusals {
    /// What to log for `entry` at `now`: itself; nothing while its kind is held back; or a
    /// held count whose minute is over, then itself.
    pub fn admit(&self, entry: waarborg_ledger::Event, now: i64) -> Vec<waarborg_ledger::Event> {
        let waarborg_ledger::Event::Refusal(r) = entry else {
            return vec![entry];
        };
        let code = r.code().to_string();
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let w = windows.entry((r.user.clone(), code)).or_insert(Held {
            start: now,
            logged: 0,
            held: None,
        });
        let mut out = Vec::new();
        if now >= w.start + 60 {
            if let Some((last, n)) = w.held.take() {
                out.push(held_entry(last, n, w.start));
            }
            (w.start, w.logged) = (now, 0);
        }
        if w.logged < REFUSALS_PER_MINUTE {
            w.logged += 1;
            out.push(waarborg_ledger::Event::Refusal(r));
        } else {
            let n = w.held.as_ref().map_or(0, |(_, n)| *n) + 1;
            w.held = Some((r, n));
        }
        out
    }

    /// The held counts whose minute is over at `now` (every one when `all`: at shutdown),
    /// as entries to log.
    pub fn flush(&self, now: i64, all: bool) -> Vec<waarborg_ledger::Event> {
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = Vec::new();
        for w in windows.values_mut() {
            if all || now >= w.start + 60 {
                if let Some((last, n)) = w.held.take() {
                    out.push(held_entry(last, n, w.start));
                }
            }
        }
        windows.retain(|_, w| w.held.is_some() || now < w.start + 60);
        out
    }
}

/// At most one costly task (a password check, a probe decode) per processor at once; a
/// bounded queue behind it.
#[derive(Debug)]
pub struct Gate {
    running: Mutex<(usize, usize)>,
    freed: Condvar,
    slots: usize,
    queue: usize,
}

impl Default for Gate {
    fn default() -> Gate {
        let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
        Gate::new(cpus, 8 * cpus)
    }
}

impl Gate {
    /// A gate with `slots` checks at once and at most `queue` waiting.
    pub fn new(slots: usize, queue: usize) -> Gate {
        Gate {
            running: Mutex::new((0, 0)),
            freed: Condvar::new(),
            slots: slots.max(1),
            queue,
        }
    }

    /// Runs `check` when a slot is free; `None` if the queue is full or no slot came free
    /// within ten seconds (the caller answers "busy, try again").
    pub fn run<T>(&self, check: impl FnOnce() -> T) -> Option<T> {
        let mut state = self.running.lock().unwrap_or_else(|e| e.into_inner());
        if state.0 >= self.slots && state.1 >= self.queue {
            return None;
        }
        state.1 += 1;
        let (mut state, timeout) = self
            .freed
            .wait_timeout_while(state, Duration::from_secs(10), |s| s.0 >= self.slots)
            .unwrap_or_else(|e| e.into_inner());
        state.1 -= 1;
        if timeout.timed_out() && state.0 >= self.slots {
            return None;
        }
        state.0 += 1;
        drop(state);
        let out = check();
        self.running.lock().unwrap_or_else(|e| e.into_inner()).0 -= 1;
        self.freed.notify_one();
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pair_waits_after_five_failures_and_others_do_not() {
        let t = Throttle::default();
        for _ in 0..FREE_ATTEMPTS - 1 {
            t.failed("10.0.0.9", "prosecutor", 1000);
        }
        assert_eq!(t.wait("10.0.0.9", "prosecutor", 1000), 0);
        t.failed("10.0.0.9", "prosecutor", 1000);
        assert_eq!(t.wait("10.0.0.9", "prosecutor", 1000), 60);
        t.failed("10.0.0.9", "prosecutor", 1000);
        assert_eq!(t.wait("10.0.0.9", "prosecutor", 1000), 120);
        // The prosecutor at their own desk is not locked out by someone else's failures.
        assert_eq!(t.wait("10.0.0.1", "prosecutor", 1000), 0);
        // An unknown name is throttled exactly like a known one (the throttle knows none).
        for _ in 0..FREE_ATTEMPTS {
            t.failed("10.0.0.9", "nobody", 1000);
        }
        assert_eq!(t.wait("10.0.0.9", "nobody", 1000), 60);
        t.succeeded("10.0.0.9", "prosecutor");
        assert_eq!(t.wait("10.0.0.9", "prosecutor", 1000), 0);
        assert_eq!(t.wait("10.0.0.9", "nobody", 1061), 0, "waited out");
    }

    #[test]
    fn a_source_failing_across_many_names_waits_as_a_whole() {
        let t = Throttle::default();
        for i in 0..SOURCE_LIMIT {
            t.failed("10.6.6.6", &format!("name-{i}"), 5000);
        }
        assert_eq!(t.wait("10.6.6.6", "fresh-name", 5000), SOURCE_WINDOW);
        assert_eq!(t.wait("10.0.0.1", "fresh-name", 5000), 0);
        assert_eq!(t.wait("10.6.6.6", "fresh-name", 5000 + SOURCE_WINDOW), 0);
    }

    #[test]
    fn the_hashing_gate_runs_at_most_its_slots_at_once_and_turns_away_a_long_queue() {
        let gate = std::sync::Arc::new(Gate::new(2, 2));
        let peak = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let now = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let (gate, peak, now) = (gate.clone(), peak.clone(), now.clone());
                std::thread::spawn(move || {
                    gate.run(|| {
                        use std::sync::atomic::Ordering::SeqCst;
                        let n = now.fetch_add(1, SeqCst) + 1;
                        peak.fetch_max(n, SeqCst);
                        std::thread::sleep(Duration::from_millis(50));
                        now.fetch_sub(1, SeqCst);
                    })
                })
            })
            .collect();
        let ran = threads
            .into_iter()
            .filter_map(|t| t.join().unwrap())
            .count();
        assert_eq!(ran, 4, "two ran, two waited in the queue");
        assert!(peak.load(std::sync::atomic::Ordering::SeqCst) <= 2);
        // One slot, no queue: while it is taken, the next check is turned away at once.
        let gate = std::sync::Arc::new(Gate::new(1, 0));
        let (started, wait) = std::sync::mpsc::channel();
        let holder = {
            let gate = gate.clone();
            std::thread::spawn(move || {
                gate.run(|| {
                    started.send(()).unwrap();
                    std::thread::sleep(Duration::from_millis(200));
                })
            })
        };
        wait.recv().unwrap();
        assert_eq!(gate.run(|| 1), None, "busy");
        assert!(holder.join().unwrap().is_some());
        assert_eq!(gate.run(|| 1), Some(1), "free again");
    }
}
