//! A report as a self-contained HTML page, in English or Dutch: the ledger point it was
//! computed from (and how to recompute it), the figures overall and per deployment, and a
//! bar chart per month (inline SVG, no scripts, printable to PDF by any browser).

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::annual::AnnualReport;
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
    ("per_category", "Per offence category", "Per delictcategorie"),
    ("category", "Offence category", "Delictcategorie"),
    (
        "outcomes_chart",
        "Outcomes of verification per deployment",
        "Uitkomsten van de verificatie per inzet",
    ),
    (
        "authorisations",
        "Case authorisations",
        "Machtigingen per zaak",
    ),
    ("requested", "Requested", "Aangevraagd"),
    (
        "urgent_requested",
        "of which urgent (search before the decision)",
        "waarvan spoedeisend (zoeken vóór de beslissing)",
    ),
    ("granted", "Granted", "Verleend"),
    ("refused", "Refused", "Geweigerd"),
    (
        "urgent_late",
        "Urgent uses authorised after 48 hours",
        "Spoedeisend gebruik na 48 uur gemachtigd",
    ),
    (
        "urgent_without_decision",
        "Urgent uses without a decision after 48 hours",
        "Spoedeisend gebruik zonder beslissing na 48 uur",
    ),
    (
        "searches_erased",
        "Search results erased because the authorisation was refused or late",
        "Zoekresultaten gewist omdat de machtiging geweigerd of te laat was",
    ),
    (
        "reference_databases",
        "Reference databases at the end of the period (images held)",
        "Referentiedatabanken aan het eind van de periode (aantal beelden)",
    ),
    ("database", "Database", "Databank"),
    (
        "framework",
        "The deployment framework at work",
        "De werking van het inzetkader",
    ),
    ("drafted", "Revisions drafted", "Opgestelde versies"),
    (
        "submitted",
        "Submitted to the review committee",
        "Voorgelegd aan de toetsingscommissie",
    ),
    ("advice", "Committee advice", "Advies van de commissie"),
    ("ratified", "Ratified by the chief of police", "Bekrachtigd door de korpschef"),
    (
        "ratification_refused",
        "Ratification refused",
        "Bekrachtiging geweigerd",
    ),
    (
        "authority_approved",
        "Approved by the competent authority",
        "Goedgekeurd door het bevoegd gezag",
    ),
    (
        "authority_declined",
        "Declined by the competent authority",
        "Afgewezen door het bevoegd gezag",
    ),
    ("activated", "Taken into use", "In gebruik genomen"),
    ("reviews", "Reviews during use", "Toetsingen tijdens gebruik"),
    ("suspended", "Suspensions", "Opschortingen"),
    ("ended", "Uses ended", "Beëindigd gebruik"),
    ("evaluations", "Evaluations", "Evaluaties"),
    ("withdrawn", "Withdrawn", "Ingetrokken"),
    (
        "active_at_end",
        "In use at the end of the period",
        "In gebruik aan het eind van de periode",
    ),
    (
        "reviews_overdue_at_end",
        "of which with a review overdue",
        "waarvan met een achterstallige toetsing",
    ),
    (
        "annual_title",
        "Yearly report on the use of post-remote biometric identification (AI Act, Article 26(10))",
        "Jaarverslag over het gebruik van biometrische identificatie achteraf (AI-verordening, artikel 26, lid 10)",
    ),
    ("to", "To", "Aan"),
    ("deployer", "Deployer", "Gebruiksverantwoordelijke"),
    ("year", "Year", "Jaar"),
    ("deployments", "Deployments", "Inzetten"),
    ("name", "Name", "Naam"),
    ("system", "System", "Systeem"),
    ("status", "Status", "Status"),
    (
        "no_use",
        "no use recorded this year",
        "geen gebruik vastgelegd dit jaar",
    ),
    (
        "no_operational",
        "This report holds figures only: no case numbers, offences, persons, images or reference records (no sensitive operational data).",
        "Dit verslag bevat alleen aantallen: geen zaaknummers, delicten, personen, beelden of referentierecords (geen gevoelige operationele gegevens).",
    ),
    (
        "half_year_title",
        "The deployment framework at work: overview for the half-yearly report to Parliament",
        "De werking van het inzetkader: overzicht voor de halfjaarlijkse rapportage aan de Tweede Kamer",
    ),
];

fn t(lang: Lang, key: &str) -> &'static str {
    TEXT.iter()
        .find(|(k, _, _)| *k == key)
        .map_or("??", |(_, en, nl)| if lang == Lang::En { en } else { nl })
}

/// One row of a figures table.
enum Row<'a> {
    /// A figure, named by its text key.
    Figure(&'static str, u64),
    /// A part of the figure above (a reason, rule, outcome or database, as recorded),
    /// after the figure's name where one is given.
    Part(Option<&'static str>, &'a str, u64),
}

/// The parts of a figure: one row per recorded name.
fn parts<'a>(
    of: Option<&'static str>,
    counts: &'a BTreeMap<String, u64>,
) -> impl Iterator<Item = Row<'a>> + 'a {
    counts.iter().map(move |(name, n)| Row::Part(of, name, *n))
}

fn table(lang: Lang, rows: &[Row]) -> String {
    let body: String = rows
        .iter()
        .map(|row| {
            let (label, n) = match row {
                Row::Figure(key, n) => (t(lang, key).to_string(), n),
                Row::Part(of, name, n) => (
                    match of {
                        Some(key) => format!("— {} <code>{}</code>", t(lang, key), esc(name)),
                        None => format!("— <code>{}</code>", esc(name)),
                    },
                    n,
                ),
            };
            format!("<tr><th scope=\"row\">{label}</th><td>{n}</td></tr>")
        })
        .collect();
    format!(
        "<table><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>{body}</tbody></table>",
        t(lang, "figure"),
        t(lang, "count")
    )
}

fn rows(lang: Lang, f: &Figures) -> String {
    let mut rows: Vec<Row> = [
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
    ]
    .into_iter()
    .map(|(key, n)| Row::Figure(key, n))
    .collect();
    rows.extend(parts(Some("insufficient_quality"), &f.insufficient_reasons));
    rows.extend(parts(Some("refusals"), &f.refusals));
    rows.extend(parts(Some("erasures"), &f.erasures));
    table(lang, &rows)
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

/// Horizontal stacked bars: each deployment's verification outcomes.
fn outcomes_chart(lang: Lang, report: &Report) -> String {
    let rows: Vec<(&String, &Figures)> = report
        .per_deployment
        .iter()
        .filter(|(_, f)| {
            f.identifications + f.not_confirmed + f.no_identification + f.inconclusive > 0
        })
        .collect();
    if rows.is_empty() {
        return String::new();
    }
    let parts = |f: &Figures| {
        [
            (f.identifications, "#0a6b2d", "identifications"),
            (f.not_confirmed, "#a11", "not_confirmed"),
            (f.no_identification, "#6b6b6b", "no_identification"),
            (f.inconclusive, "#d9a400", "inconclusive"),
        ]
    };
    let max = rows
        .iter()
        .map(|(_, f)| parts(f).iter().map(|p| p.0).sum::<u64>())
        .max()
        .unwrap_or(1)
        .max(1);
    let (label_w, bar_w, row_h) = (160u64, 400u64, 26u64);
    let height = rows.len() as u64 * row_h + 10;
    let mut svg = format!(
        "<svg role=\"img\" aria-label=\"{}\" viewBox=\"0 0 {w} {height}\" width=\"{w}\" height=\"{height}\">",
        t(lang, "outcomes_chart"),
        w = label_w + bar_w + 20
    );
    for (i, (revision, f)) in rows.iter().enumerate() {
        let y = 5 + i as u64 * row_h;
        let _ = write!(
            svg,
            "<text x=\"0\" y=\"{}\" font-size=\"12\">{}</text>",
            y + 15,
            esc(revision)
        );
        let mut x = label_w;
        for (n, colour, key) in parts(f) {
            let w = n * bar_w / max;
            if w > 0 {
                let _ = write!(
                    svg,
                    "<rect x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{}\" fill=\"{colour}\"><title>{}: {n}</title></rect>",
                    row_h - 6,
                    t(lang, key)
                );
                x += w;
            }
        }
    }
    svg.push_str("</svg>");
    let legend: String = parts(&Figures::default())
        .iter()
        .map(|(_, colour, key)| {
            format!("<span style=\"color:{colour}\">■</span> {} ", t(lang, key))
        })
        .collect();
    format!(
        "<section><h2>{}</h2><p>{legend}</p>{svg}</section>",
        t(lang, "outcomes_chart")
    )
}

fn framework_table(lang: Lang, report: &Report) -> String {
    let f = &report.framework;
    let mut rows = vec![
        Row::Figure("drafted", f.drafted),
        Row::Figure("submitted", f.submitted),
        Row::Figure("advice", f.advice.values().sum()),
    ];
    rows.extend(parts(None, &f.advice));
    rows.extend(
        [
            ("ratified", f.ratified),
            ("ratification_refused", f.ratification_refused),
            ("authority_approved", f.authority_approved),
            ("authority_declined", f.authority_declined),
            ("activated", f.activated),
            ("reviews", f.reviews),
            ("suspended", f.suspended),
            ("ended", f.ended),
            ("evaluations", f.evaluations),
            ("withdrawn", f.withdrawn),
            ("active_at_end", f.active_at_end),
            ("reviews_overdue_at_end", f.reviews_overdue_at_end),
        ]
        .into_iter()
        .map(|(key, n)| Row::Figure(key, n)),
    );
    format!(
        "<section><h2>{}</h2>{}</section>",
        t(lang, "framework"),
        table(lang, &rows)
    )
}

fn ledger_point(lang: Lang, report: &Report) -> String {
    format!(
        "<p>{}: {} – {}</p><p class=\"ledger\">{} ({}: <code>{}</code>). {} <code>waarborg report verify</code>.</p>",
        t(lang, "period"),
        esc(&report.period.from),
        esc(&report.period.to),
        t(lang, "ledger").replace("{n}", &report.ledger.size.to_string()),
        t(lang, "root"),
        esc(&report.ledger.root),
        t(lang, "recompute"),
    )
}

/// Everything a figures report says, as HTML sections.
fn body(report: &Report, lang: Lang) -> String {
    let mut body = ledger_point(lang, report);
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
    body.push_str(&outcomes_chart(lang, report));
    let a = &report.authorisations;
    let mut auth: Vec<Row> = [
        ("requested", a.requested),
        ("urgent_requested", a.urgent_requested),
        ("granted", a.granted),
        ("refused", a.refused),
        ("urgent_late", a.urgent_late),
        ("urgent_without_decision", a.urgent_without_decision),
        ("searches_erased", a.searches_erased.values().sum()),
    ]
    .into_iter()
    .map(|(key, n)| Row::Figure(key, n))
    .collect();
    auth.extend(parts(None, &a.searches_erased));
    let _ = write!(
        body,
        "<section><h2>{}</h2>{}</section>",
        t(lang, "authorisations"),
        table(lang, &auth)
    );
    if !report.per_offence_category.is_empty() {
        let rows: String = report
            .per_offence_category
            .iter()
            .map(|(c, f)| {
                format!(
                    "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    esc(c),
                    f.searches,
                    f.proposals,
                    f.identifications,
                    f.not_confirmed,
                    f.refusals.values().sum::<u64>()
                )
            })
            .collect();
        let _ = write!(
            body,
            "<section><h2>{}</h2><table><thead><tr><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>{rows}</tbody></table></section>",
            t(lang, "per_category"),
            t(lang, "category"),
            t(lang, "searches"),
            t(lang, "proposals"),
            t(lang, "identifications"),
            t(lang, "not_confirmed"),
            t(lang, "refusals"),
        );
    }
    if !report.reference_databases.is_empty() {
        let dbs: Vec<Row> = parts(None, &report.reference_databases).collect();
        let _ = write!(
            body,
            "<section><h2>{}</h2>{}</section>",
            t(lang, "reference_databases"),
            table(lang, &dbs)
        );
    }
    body.push_str(&framework_table(lang, report));
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
    body
}

fn document(lang: Lang, title: &str, body: &str) -> String {
    let code = if lang == Lang::En { "en" } else { "nl" };
    format!(
        "<!doctype html><html lang=\"{code}\"><head><meta charset=\"utf-8\"><title>{title}</title><style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}}table{{border-collapse:collapse;margin:.5rem 0}}th,td{{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}}td{{text-align:right}}.ledger{{background:#eef2f7;padding:.5rem}}code{{word-break:break-all}}section{{break-inside:avoid}}h2,h3{{break-after:avoid}}@page{{size:A4;margin:15mm}}</style></head><body><h1>{title}</h1>{body}</body></html>"
    )
}

/// The report as one HTML page.
pub fn render(report: &Report, lang: Lang) -> String {
    document(lang, t(lang, "title"), &body(report, lang))
}

/// The half-yearly overview of the deployment framework's working (the figures of
/// [`Report::framework`] for the period).
pub fn render_framework(report: &Report, lang: Lang) -> String {
    let body = format!(
        "{}{}",
        ledger_point(lang, report),
        framework_table(lang, report)
    );
    document(lang, t(lang, "half_year_title"), &body)
}

/// The AI Act yearly report as one HTML page.
pub fn render_annual(report: &AnnualReport, lang: Lang) -> String {
    let deployments: String = report
        .deployments
        .iter()
        .map(|d| {
            let used = match report.figures.deployment(&d.id) {
                Some(f) => f.searches.to_string(),
                None => t(lang, "no_use").to_string(),
            };
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{used}</td></tr>",
                esc(&d.id),
                esc(&d.name),
                esc(&d.system),
                esc(&d.status)
            )
        })
        .collect();
    let head = format!(
        "<p><strong>{}:</strong> {}</p><p><strong>{}:</strong> {} — {} — {}</p><p><strong>{}:</strong> {}</p><p class=\"ledger\">{}</p><section><h2>{}</h2><table><thead><tr><th scope=\"col\">Id</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th><th scope=\"col\">{}</th></tr></thead><tbody>{deployments}</tbody></table></section>",
        t(lang, "to"),
        esc(&report.recipients.join("; ")),
        t(lang, "deployer"),
        esc(&report.deployer.name),
        esc(&report.deployer.address),
        esc(&report.deployer.contact),
        t(lang, "year"),
        report.year,
        t(lang, "no_operational"),
        t(lang, "deployments"),
        t(lang, "name"),
        t(lang, "system"),
        t(lang, "status"),
        t(lang, "searches"),
    );
    document(
        lang,
        t(lang, "annual_title"),
        &format!("{head}{}", body(&report.figures, lang)),
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
