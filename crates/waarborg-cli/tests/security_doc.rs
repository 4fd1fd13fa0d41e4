//! docs/security.md stays honest: its summary equals the counts of its own rows, every row
//! has a status, and every requirement left open names the issue (or the reason) that
//! carries it.

use std::collections::BTreeMap;

#[test]
fn the_asvs_summary_counts_its_rows_and_every_open_item_names_its_carrier() {
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/security.md"),
    )
    .unwrap();
    let mut counted: BTreeMap<String, [u32; 3]> = BTreeMap::new();
    let mut summary: BTreeMap<String, [u32; 3]> = BTreeMap::new();
    let mut chapter: Option<String> = None;
    for line in doc.lines() {
        if let Some(rest) = line.strip_prefix("## V") {
            chapter = rest.split_whitespace().next().map(|n| format!("V{n}"));
            continue;
        }
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() < 5 || !line.starts_with("| ") {
            continue;
        }
        if chapter.is_none() && cells[1].starts_with('V') {
            // The summary: | V1 Architecture | met | N/A | open |
            if let (Ok(m), Ok(n), Ok(o)) = (cells[2].parse(), cells[3].parse(), cells[4].parse()) {
                let key = cells[1].split_whitespace().next().unwrap().to_string();
                summary.insert(key, [m, n, o]);
            }
            continue;
        }
        let Some(ch) = &chapter else { continue };
        if cells[1] == "#" || cells[1].starts_with("---") {
            continue;
        }
        let slot = match cells[3] {
            "met" => 0,
            "N/A" => 1,
            "open" => 2,
            other => panic!("{}: {} has no status ({other:?})", ch, cells[1]),
        };
        if slot == 2 {
            assert!(
                cells[4].to_lowercase().contains("issue ") || cells[4].contains("CI cannot"),
                "{} is open without the issue that carries it: {line}",
                cells[1]
            );
        }
        counted.entry(ch.clone()).or_default()[slot] += 1;
    }
    assert_eq!(counted.len(), 14, "all 14 chapters");
    assert_eq!(
        summary, counted,
        "the summary table does not match the rows"
    );
}
