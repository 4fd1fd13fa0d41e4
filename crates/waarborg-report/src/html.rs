//! A report as a self-contained HTML page, in English or Dutch: the ledger point it was
//! computed from (and how to recompute it), the figures overall and per deployment, and a
//! bar chart per month (inline SVG, no scripts, printable to PDF by any browser).

use std::fmt::Write;

use crate::{Figures, Report};

/// The language of a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// English.
    En,
    /// Dutch.
    Nl,
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// (key, English, Dutch)
const TEXT: &[(&str, &str, &str)] = &[
    (
        "title",
        "Face recognition: figures",
        "Gezichtsherkenning: cijfers",
    ),
    ("period", "Period", "Periode"),
    (
        "ledger",
        "Computed from the first {n} entries of the audit ledger",
        "Berekend uit de eerste {n} regels van het auditlogboek",
    ),
    (
        "root",
        "root hash at that size",
        "wortelhash bij die omvang",
    ),
    (
        "recompute",
        "Anyone with a copy of the ledger recomputes every figure with",
        "Iedereen met een kopie van het logboek berekent elk cijfer opnieuw met",
    ),
    ("overall", "All deployments", "Alle inzetten"),
    ("per_deployment", "Per deployment", "Per inzet"),
    ("per_month", "Per month", "Per maand"),
    (
        "probes_submitted",
        "Probe images submitted",
        "Ingediende zoekbeelden",
    ),
    (
        "insufficient_quality",
        "Judged of insufficient quality",
        "Beoordeeld als onvoldoende kwaliteit",
    ),
    ("searches", "Searches", "Zoekacties"),
    (
        "proposals",
        "Examiners' proposals",
        "Voorstellen van examinatoren",
    ),
    (
        "identifications",
        "Identifications confirmed (leads, never proof)",
        "Bevestigde identificaties (opsporingsindicaties, geen bewijs)",
    ),
    (
        "not_confirmed",
        "Not confirmed by the verifiers",
        "Niet bevestigd door de verificateurs",
    ),
    (
        "no_identification",
        "Confirmed: no identification",
        "Bevestigd: geen identificatie",
    ),
    ("inconclusive", "Inconclusive", "Niet te beoordelen"),
    (
        "refusals",
        "Attempts refused by the gate",
        "Door de poort geweigerde pogingen",
    ),
    (
        "enrolments",
        "Reference images enrolled",
        "Opgenomen referentiebeelden",
    ),
    (
        "erasures",
        "Reference records erased",
        "Gewiste referentierecords",
    ),
    (
        "none",
        "No entries in this period.",
        "Geen regels in deze periode.",
    ),
    ("figure", "Figure", "Cijfer"),
    ("count", "Number", "Aantal"),
    (
        "chart",
        "Searches and confirmed identifications per month",
        "Zoekacties en bevestigde identificaties per maand",
    ),
];

fn t(lang: Lang, key: &str) -> &'static str {
    TEXT.iter()
        .find(|(k, _, _)| *k == key)
        .map_or("??", |(_, en, nl)| if lang == Lang::En { en } else { nl })
}

fn rows(lang: Lang, f: &Figures) -> String {
    let mut out = String::new();
    for (key, n) in [
        ("probes_submitted", f.probes_submitted),
        ("insufficient_quality", f.insufficient_quality),
        ("searches", f.searches),
        ("proposals", f.proposals),
        ("identifications", f.identifications),
        ("not_confirmed", f.not_confirmed),
        ("no_identification", f.no_identification),
        ("inconclusive", f.inconclusive),
        ("refusals", f.refusals.values().sum()),
        ("enrolments", f.enrolments),
        ("erasures", f.erasures.values().sum()),
    ] {
        let _ = write!(
            out,
            "<tr><th scope=\"row\">{}</th><td>{n}</td></tr>",
            t(lang, key)
        );
    }
    for (reason, n) in &f.insufficient_reasons {
        let _ = write!(
            out,
            "<tr><th scope=\"row\">— {} <code>{}</code></th><td>{n}</td></tr>",
            t(lang, "insufficient_quality"),
            esc(reason)
        );
    }
    for (reason, n) in &f.refusals {
        let _ = write!(
            out,
            "<tr><th scope=\"row\">— {} <code>{}</code></th><td>{n}</td></tr>",
            t(lang, "refusals"),
            esc(reason)
        );
    }
    for (rule, n) in &f.erasures {
        let _ = write!(
            out,
            "<tr><th scope=\"row\">— {} <code>{}</code></th><td>{n}</td></tr>",
            t(lang, "erasures"),
            esc(rule)
        );
    }
    format!(
        "<table><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>{out}</tbody></table>",
        t(lang, "figure"),
        t(lang, "count")
    )
}

/// Bars of searches and identifications per month, scaled to the largest month.
fn chart(lang: Lang, report: &Report) -> String {
    let months: Vec<(&String, &Figures)> = report.per_month.iter().collect();
    if months.is_empty() {
        return String::new();
    }
    let max = months
        .iter()
        .map(|(_, f)| f.searches.max(f.identifications))
        .max()
        .unwrap_or(0)
        .max(1);
    let (bar, gap, height) = (14u64, 12u64, 160u64);
    let width = months.len() as u64 * (2 * bar + gap) + 40;
    let mut svg = format!(
        "<svg role=\"img\" aria-label=\"{}\" viewBox=\"0 0 {width} {}\" width=\"{width}\" height=\"{}\">",
        t(lang, "chart"),
        height + 40,
        height + 40
    );
    for (i, (month, f)) in months.iter().enumerate() {
        let x = 20 + i as u64 * (2 * bar + gap);
        for (j, (n, colour)) in [(f.searches, "#12355b"), (f.identifications, "#0a6b2d")]
            .into_iter()
            .enumerate()
        {
            let h = n * height / max;
            let _ = write!(
                svg,
                "<rect x=\"{}\" y=\"{}\" width=\"{bar}\" height=\"{h}\" fill=\"{colour}\"><title>{month}: {n}</title></rect><text x=\"{}\" y=\"{}\" font-size=\"10\" text-anchor=\"middle\">{n}</text>",
                x + j as u64 * bar,
                height - h + 14,
                x + j as u64 * bar + bar / 2,
                height - h + 10
            );
        }
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" font-size=\"10\" text-anchor=\"middle\">{}</text>",
            x + bar,
            height + 30,
            esc(month)
        );
    }
    svg.push_str("</svg>");
    format!(
        "<section><h2>{}</h2><p><span style=\"color:#12355b\">■</span> {} <span style=\"color:#0a6b2d\">■</span> {}</p>{svg}</section>",
        t(lang, "per_month"),
        t(lang, "searches"),
        t(lang, "identifications")
    )
}

/// The report as one HTML page.
pub fn render(report: &Report, lang: Lang) -> String {
    let code = if lang == Lang::En { "en" } else { "nl" };
    let mut body = format!(
        "<h1>{}</h1><p>{}: {} – {}</p><p class=\"ledger\">{} ({}: <code>{}</code>). {} <code>waarborg report verify</code>.</p>",
        t(lang, "title"),
        t(lang, "period"),
        esc(&report.period.from),
        esc(&report.period.to),
        t(lang, "ledger").replace("{n}", &report.ledger.size.to_string()),
        t(lang, "root"),
        esc(&report.ledger.root),
        t(lang, "recompute"),
    );
    if report.per_month.is_empty() {
        let _ = write!(body, "<p>{}</p>", t(lang, "none"));
    }
    let _ = write!(
        body,
        "<section><h2>{}</h2>{}</section>",
        t(lang, "overall"),
        rows(lang, &report.overall)
    );
    body.push_str(&chart(lang, report));
    if !report.per_deployment.is_empty() {
        let _ = write!(body, "<h2>{}</h2>", t(lang, "per_deployment"));
        for (revision, f) in &report.per_deployment {
            let _ = write!(
                body,
                "<section><h3>{}</h3>{}</section>",
                esc(revision),
                rows(lang, f)
            );
        }
    }
    format!(
        "<!doctype html><html lang=\"{code}\"><head><meta charset=\"utf-8\"><title>{}</title><style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}}table{{border-collapse:collapse;margin:.5rem 0}}th,td{{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}}td{{text-align:right}}.ledger{{background:#eef2f7;padding:.5rem}}code{{word-break:break-all}}</style></head><body>{body}</body></html>",
        t(lang, "title")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_exists_in_both_languages() {
        for (k, en, nl) in TEXT {
            assert!(!en.is_empty() && !nl.is_empty(), "{k}");
        }
        assert_eq!(t(Lang::Nl, "searches"), "Zoekacties");
    }
}
