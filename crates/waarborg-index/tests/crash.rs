//! Durability under `kill -9`: a child process inserts, deletes, flushes and compacts,
//! announcing each change before it starts and acknowledging it when the call returns; it
//! is killed at a random moment; the parent reopens the index and checks that it holds
//! exactly the acknowledged templates (plus, at most, the one change in flight). Many
//! rounds on the same directory.

mod common;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::Rng;
use waarborg_index::{Index, IndexConfig, NewTemplate, SearchParams};

const CHILD_ENV: &str = "WAARBORG_INDEX_CRASH_DIR";
const START_ENV: &str = "WAARBORG_INDEX_CRASH_START";

fn vector(id: u64) -> Vec<f32> {
    Rng(id.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1).unit()
}

fn config() -> IndexConfig {
    // Flush often, so that kills land in flushes and compactions too; sealed, as the
    // service runs it, so kills land in sealed writes.
    let key = waarborg_seal::Key::from_hex(&"6".repeat(64)).expect("a valid key");
    IndexConfig {
        threads: 2,
        flush_rows: 48,
        keys: Some(std::sync::Arc::new(waarborg_seal::Keyring::new(
            key,
            Vec::new(),
        ))),
    }
}

/// The child: changes the index forever, printing `+ first last` / `- ids…` / `c` before
/// each change and `ok` after it returns.
#[test]
#[ignore = "run by `acknowledged_templates_survive_kill_9` as a child process"]
fn crash_child_writer() {
    let dir = std::env::var(CHILD_ENV).expect("run by the crash test");
    let mut next: u64 = std::env::var(START_ENV).unwrap().parse().unwrap();
    let (index, _) = Index::open(Path::new(&dir), config()).unwrap();
    let mut out = std::io::stdout();
    let mut rng = Rng(next | 1);
    let mut mine = Vec::new();
    // End the test harness's "test crash_child_writer ... " line first.
    writeln!(out).unwrap();
    loop {
        let roll = rng.next_u64() % 20;
        if roll < 14 {
            let n = 1 + rng.next_u64() % 12;
            let vectors: Vec<Vec<f32>> = (next..next + n).map(vector).collect();
            let templates: Vec<NewTemplate> = (next..next + n)
                .zip(&vectors)
                .map(|(id, v)| NewTemplate {
                    id,
                    owner: id * 10,
                    vector: v,
                })
                .collect();
            writeln!(out, "+ {next} {}", next + n - 1).unwrap();
            out.flush().unwrap();
            index
                .insert(
                    if next.is_multiple_of(2) {
                        "criminal"
                    } else {
                        "aliens"
                    },
                    &templates,
                )
                .unwrap();
            mine.extend(next..next + n);
            next += n;
        } else if roll < 19 && !mine.is_empty() {
            let ids: Vec<u64> = (0..3)
                .map(|_| mine[(rng.next_u64() % mine.len() as u64) as usize])
                .collect();
            let list: Vec<String> = ids.iter().map(u64::to_string).collect();
            writeln!(out, "- {}", list.join(" ")).unwrap();
            out.flush().unwrap();
            index.delete(&ids).unwrap();
            mine.retain(|id| !ids.contains(id));
        } else {
            writeln!(out, "c").unwrap();
            out.flush().unwrap();
            index.compact().unwrap();
        }
        writeln!(out, "ok").unwrap();
        out.flush().unwrap();
    }
}

#[derive(Default)]
struct Expected {
    live: BTreeSet<u64>,
    deleted: BTreeSet<u64>,
}

#[test]
fn acknowledged_templates_survive_kill_9() {
    let dir = std::env::temp_dir().join(format!("waarborg-index-crash-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let exe = std::env::current_exe().unwrap();
    let mut rng = Rng(0x5eed);
    let mut expected = Expected::default();
    let mut next_id = 1u64;
    let (mut acked, mut torn, mut in_flight_landed) = (0usize, 0usize, 0usize);
    let rounds = 60;
    for round in 0..rounds {
        let mut child = Command::new(&exe)
            .args([
                "--ignored",
                "--exact",
                "crash_child_writer",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, &dir)
            .env(START_ENV, next_id.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .collect::<Vec<String>>()
        });
        std::thread::sleep(Duration::from_millis(40 + rng.next_u64() % 160));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let lines = reader.join().unwrap();

        // Apply acknowledged changes; remember the one in flight.
        let mut in_flight_inserts = BTreeSet::new();
        let mut in_flight_deletes = BTreeSet::new();
        let mut pending: Option<&str> = None;
        let protocol = lines
            .iter()
            .filter(|l| *l == "ok" || *l == "c" || l.starts_with("+ ") || l.starts_with("- "));
        for line in protocol {
            if line == "ok" {
                let change = pending.take().expect("an ack follows an announcement");
                let mut words = change.split(' ');
                match words.next() {
                    Some("+") => {
                        let a: u64 = words.next().unwrap().parse().unwrap();
                        let b: u64 = words.next().unwrap().parse().unwrap();
                        expected.live.extend(a..=b);
                        next_id = b + 1;
                    }
                    Some("-") => {
                        for id in words.map(|w| w.parse::<u64>().unwrap()) {
                            if expected.live.remove(&id) {
                                expected.deleted.insert(id);
                            }
                        }
                    }
                    _ => {}
                }
                acked += 1;
            } else {
                pending = Some(line);
            }
        }
        if let Some(change) = pending {
            let mut words = change.split(' ');
            match words.next() {
                Some("+") => {
                    let a: u64 = words.next().unwrap().parse().unwrap();
                    let b: u64 = words.next().unwrap().parse().unwrap();
                    in_flight_inserts.extend(a..=b);
                    next_id = b + 1;
                }
                Some("-") => in_flight_deletes.extend(words.map(|w| w.parse::<u64>().unwrap())),
                _ => {}
            }
        }

        let (index, report) =
            Index::open(&dir, config()).unwrap_or_else(|e| panic!("round {round}: {e}"));
        torn += usize::from(report.torn_bytes > 0);
        for &id in &expected.live {
            let got = index.get(id);
            if got.is_none() && in_flight_deletes.contains(&id) {
                continue; // the deletion in flight reached the disk before the kill
            }
            assert_eq!(
                got.map(|g| g.0),
                Some(id * 10),
                "round {round}: acknowledged template {id} lost"
            );
        }
        for &id in &expected.deleted {
            assert!(
                index.get(id).is_none(),
                "round {round}: deleted template {id} is back"
            );
        }
        // An in-flight insert is all or nothing.
        let landed: Vec<bool> = in_flight_inserts
            .iter()
            .map(|&id| index.get(id).is_some())
            .collect();
        assert!(
            landed.iter().all(|&l| l == landed[0]) || landed.is_empty(),
            "round {round}: half an insert"
        );
        if landed.first() == Some(&true) {
            expected.live.extend(&in_flight_inserts);
            in_flight_landed += 1;
        }
        for id in &in_flight_deletes {
            if index.get(*id).is_none() && expected.live.remove(id) {
                expected.deleted.insert(*id);
            }
        }
        let extra: Vec<u64> = (1..next_id + 20)
            .filter(|id| index.get(*id).is_some() && !expected.live.contains(id))
            .collect();
        assert!(
            extra.is_empty(),
            "round {round}: templates {extra:?} were never acknowledged; lines {lines:?}"
        );
        assert_eq!(
            index.stats().templates,
            expected.live.len(),
            "round {round}"
        );
        // Searches find what is there.
        if let Some(&id) = expected.live.iter().next_back() {
            let hits = index.search(&vector(id), &SearchParams::top(1)).unwrap();
            assert_eq!(hits[0].template, id, "round {round}");
        }
    }
    assert!(
        acked > 200,
        "the child acknowledged only {acked} changes in {rounds} rounds"
    );
    eprintln!(
        "{rounds} rounds, {acked} acknowledged changes, {} templates live, {} deleted; {torn} torn log tails cut; {in_flight_landed} in-flight inserts had landed",
        expected.live.len(),
        expected.deleted.len()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
