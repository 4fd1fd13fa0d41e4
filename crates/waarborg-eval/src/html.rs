//! The evaluation as a page (`templates/evaluation.html`, escaped by default): the figures
//! in tables, the reasons for those not computed, the DET curve.

use askama::Template;

use crate::{AtThreshold, Evaluation, Figure, RankRate, VerificationFigures};

struct VerificationRow<'a> {
    target: String,
    figures: Option<&'a VerificationFigures>,
    why: String,
}

struct OpenRow<'a> {
    label: String,
    at: Option<&'a AtThreshold>,
    why: String,
}

struct GroupRow {
    group: String,
    images: usize,
    fnmr: String,
    mated: usize,
    fmr: String,
    non_mated: usize,
    ratios: String,
}

#[derive(Template)]
#[template(path = "evaluation.html")]
struct Page<'a> {
    e: &'a Evaluation,
    detector: &'a str,
    recognizer: &'a str,
    verification: Vec<VerificationRow<'a>>,
    open_rows: Vec<OpenRow<'a>>,
    measured: Option<&'a Vec<RankRate>>,
    group_threshold: String,
    groups: Vec<GroupRow>,
    det: String,
}

fn why<T>(f: &Figure<T>) -> String {
    match f {
        Figure::NotComputed { not_computed } => not_computed.clone(),
        Figure::Computed(_) => String::new(),
    }
}

fn rate(v: Option<f64>, digits: usize) -> String {
    v.map_or("–".into(), |v| format!("{v:.digits$}"))
}

/// The evaluation as an HTML page.
pub fn page(e: &Evaluation) -> Result<String, askama::Error> {
    let mut open_rows = vec![OpenRow {
        label: format!("recommended (FPIR {})", e.open_set.fpir_target),
        at: e.open_set.recommended.value(),
        why: format!("not computed: {}", why(&e.open_set.recommended)),
    }];
    if let Some(c) = &e.open_set.chosen {
        open_rows.push(OpenRow {
            label: "chosen".into(),
            at: Some(c),
            why: String::new(),
        });
    }
    Page {
        e,
        detector: e.models.first().map_or("", String::as_str),
        recognizer: e.models.get(1).map_or("", String::as_str),
        verification: e
            .verification
            .iter()
            .map(|v| VerificationRow {
                target: format!("{:e}", v.fmr_target),
                figures: v.figures.value(),
                why: why(&v.figures),
            })
            .collect(),
        open_rows,
        measured: e.open_set.measured_ranks.value(),
        group_threshold: e.group_threshold.map_or("–".into(), |t| format!("{t:.4}")),
        groups: e
            .groups
            .iter()
            .map(|g| GroupRow {
                group: g.group.clone(),
                images: g.images,
                fnmr: rate(g.fnmr, 4),
                mated: g.mated_pairs,
                fmr: rate(g.fmr, 5),
                non_mated: g.non_mated_pairs,
                ratios: format!("{} · {}", rate(g.fnmr_ratio, 2), rate(g.fmr_ratio, 2)),
            })
            .collect(),
        det: crate::det_svg(e),
    }
    .render()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{evaluate, Labelled, Options};

    #[test]
    fn the_page_escapes_what_the_manifest_wrote_and_names_what_it_did_not_compute() {
        let mut set = Vec::new();
        for i in 0..4 {
            for k in 0..2 {
                let angle = i as f32 * 0.8 + k as f32 * 0.01;
                set.push(Labelled {
                    path: format!("<img src=x onerror=alert(1)>{i}-{k}"),
                    identity: format!("p{i}"),
                    group: Some("<b>g</b>".into()),
                    template: vec![angle.cos(), angle.sin()],
                });
            }
        }
        let mut e = evaluate(&set, &Options::default()).unwrap();
        e.excluded.push(crate::Excluded {
            path: "<script>x</script>.jpg".into(),
            reason: "no face found".into(),
        });
        let html = page(&e).unwrap();
        assert!(
            !html.contains("<script>x") && !html.contains("<img src=x"),
            "escaped"
        );
        assert!(html.contains("&#60;script&#62;") || html.contains("&lt;script&gt;"));
        assert!(html.contains("not computed: FMR 1e-2 needs at least 3000"));
        assert!(html.contains("<svg") && html.contains("Accuracy evaluation"));
    }
}
