//! A report as a self-contained HTML page, in English or Dutch: the ledger point it was
//! computed from (and how to recompute it), the figures overall and per deployment, and a
//! bar chart per month (inline SVG, no scripts, printable to PDF by any browser).
//!
//! The pages are askama templates (`templates/report/`, escaped by default) over a view of
//! the report built here; their words are the shared Fluent files' `report_*` messages
//! (`waarborg-i18n`), the same catalogue the service's pages use.

use std::collections::BTreeMap;

use askama::Template;

use crate::annual::{AnnualReport, Party};
use crate::{Figures, Report};

pub use waarborg_i18n::Lang;

/// The reader's language, for the templates (their words are the `report_*` messages).
pub(crate) struct Layout(pub(crate) Lang);

impl Layout {
    pub(crate) fn t(&self, key: &str) -> &'static str {
        waarborg_i18n::t(self.0, key)
    }

    pub(crate) fn code(&self) -> &'static str {
        self.0.code()
    }
}

/// One row of a figures table: a figure, or a part of the figure above (a reason, rule,
/// outcome or database, as recorded), after the figure's name where one is given.
struct Line {
    label: &'static str,
    name: String,
    n: u64,
    part: bool,
}

fn figure(lang: Lang, key: &str, n: u64) -> Line {
    Line {
        label: waarborg_i18n::t(lang, key),
        name: String::new(),
        n,
        part: false,
    }
}

/// The parts of a figure: one row per recorded name, after `of`'s label where given.
fn parts(lang: Lang, of: Option<&str>, counts: &BTreeMap<String, u64>) -> Vec<Line> {
    counts
        .iter()
        .map(|(name, n)| Line {
            label: of.map_or("", |key| waarborg_i18n::t(lang, key)),
            name: name.clone(),
            n: *n,
            part: true,
        })
        .collect()
}

fn lines(lang: Lang, figures: &[(&str, u64)]) -> Vec<Line> {
    figures
        .iter()
        .map(|(key, n)| figure(lang, key, *n))
        .collect()
}

fn figure_lines(lang: Lang, f: &Figures) -> Vec<Line> {
    let mut out = lines(
        lang,
        &[
            ("report_probes_submitted", f.probes_submitted),
            ("report_insufficient_quality", f.insufficient_quality),
            ("report_searches", f.searches),
            ("report_proposals", f.proposals),
            ("report_identifications", f.identifications),
            ("report_not_confirmed", f.not_confirmed),
            ("report_no_identification", f.no_identification),
            ("report_inconclusive", f.inconclusive),
            ("report_refusals", f.refusals.values().sum()),
            ("report_enrolments", f.enrolments),
            ("report_erasures", f.erasures.values().sum()),
        ],
    );
    out.extend(parts(
        lang,
        Some("report_insufficient_quality"),
        &f.insufficient_reasons,
    ));
    out.extend(parts(lang, Some("report_refusals"), &f.refusals));
    out.extend(parts(lang, Some("report_erasures"), &f.erasures));
    // What the investigations found: the usefulness the periodic review weighs; its
    // absence is said, not left out.
    out.push(figure(
        lang,
        "report_lead_feedback",
        f.lead_feedback.values().sum(),
    ));
    out.extend(parts(lang, Some("report_lead_feedback"), &f.lead_feedback));
    if f.identifications > 0 && f.lead_feedback.is_empty() {
        out.push(figure(lang, "report_no_lead_feedback", f.identifications));
    }
    out
}

/// An inline SVG bar chart, laid out here and drawn by the template.
struct Chart {
    heading: &'static str,
    label: &'static str,
    legend: Vec<(&'static str, &'static str)>,
    width: u64,
    height: u64,
    rects: Vec<Rect>,
    texts: Vec<Text>,
}

struct Rect {
    x: u64,
    y: u64,
    w: u64,
    h: u64,
    fill: &'static str,
    title: String,
}

struct Text {
    x: u64,
    y: u64,
    size: u32,
    middle: bool,
    text: String,
}

const SEARCHES: &str = "#12355b";
const IDENTIFIED: &str = "#0a6b2d";

/// Bars of searches and identifications per month, scaled to the largest month.
fn months_chart(lang: Lang, report: &Report) -> Option<Chart> {
    if report.per_month.is_empty() {
        return None;
    }
    let max = report
        .per_month
        .values()
        .map(|f| f.searches.max(f.identifications))
        .max()
        .unwrap_or(0)
        .max(1);
    let (bar, gap, height) = (14u64, 12u64, 160u64);
    let t = |key| waarborg_i18n::t(lang, key);
    let mut chart = Chart {
        heading: t("report_per_month"),
        label: t("report_chart"),
        legend: vec![
            (SEARCHES, t("report_searches")),
            (IDENTIFIED, t("report_identifications")),
        ],
        width: report.per_month.len() as u64 * (2 * bar + gap) + 40,
        height: height + 40,
        rects: Vec::new(),
        texts: Vec::new(),
    };
    for (i, (month, f)) in report.per_month.iter().enumerate() {
        let x = 20 + i as u64 * (2 * bar + gap);
        for (j, (n, fill)) in [(f.searches, SEARCHES), (f.identifications, IDENTIFIED)]
            .into_iter()
            .enumerate()
        {
            let h = n * height / max;
            let left = x + j as u64 * bar;
            chart.rects.push(Rect {
                x: left,
                y: height - h + 14,
                w: bar,
                h,
                fill,
                title: format!("{month}: {n}"),
            });
            chart.texts.push(Text {
                x: left + bar / 2,
                y: height - h + 10,
                size: 10,
                middle: true,
                text: n.to_string(),
            });
        }
        chart.texts.push(Text {
            x: x + bar,
            y: height + 30,
            size: 10,
            middle: true,
            text: month.clone(),
        });
    }
    Some(chart)
}

/// Horizontal stacked bars: each deployment's verification outcomes.
fn outcomes_chart(lang: Lang, report: &Report) -> Option<Chart> {
    let t = |key| waarborg_i18n::t(lang, key);
    let parts = |f: &Figures| {
        [
            (f.identifications, IDENTIFIED, "report_identifications"),
            (f.not_confirmed, "#a11", "report_not_confirmed"),
            (f.no_identification, "#6b6b6b", "report_no_identification"),
            (f.inconclusive, "#d9a400", "report_inconclusive"),
        ]
    };
    let rows: Vec<(&String, &Figures)> = report
        .per_deployment
        .iter()
        .filter(|(_, f)| parts(f).iter().map(|p| p.0).sum::<u64>() > 0)
        .collect();
    if rows.is_empty() {
        return None;
    }
    let max = rows
        .iter()
        .map(|(_, f)| parts(f).iter().map(|p| p.0).sum::<u64>())
        .max()
        .unwrap_or(1)
        .max(1);
    let (label_w, bar_w, row_h) = (160u64, 400u64, 26u64);
    let mut chart = Chart {
        heading: t("report_outcomes_chart"),
        label: t("report_outcomes_chart"),
        legend: parts(&Figures::default())
            .iter()
            .map(|(_, colour, key)| (*colour, t(key)))
            .collect(),
        width: label_w + bar_w + 20,
        height: rows.len() as u64 * row_h + 10,
        rects: Vec::new(),
        texts: Vec::new(),
    };
    for (i, (revision, f)) in rows.iter().enumerate() {
        let y = 5 + i as u64 * row_h;
        chart.texts.push(Text {
            x: 0,
            y: y + 15,
            size: 12,
            middle: false,
            text: revision.to_string(),
        });
        let mut x = label_w;
        for (n, fill, key) in parts(f) {
            let w = n * bar_w / max;
            if w > 0 {
                chart.rects.push(Rect {
                    x,
                    y,
                    w,
                    h: row_h - 6,
                    fill,
                    title: format!("{}: {n}", t(key)),
                });
                x += w;
            }
        }
    }
    Some(chart)
}

/// A row of the table per offence category.
struct CategoryRow {
    name: String,
    searches: u64,
    proposals: u64,
    identifications: u64,
    not_confirmed: u64,
    refusals: u64,
}

/// Everything a figures report says, ready for the templates.
struct FiguresView {
    from: String,
    to: String,
    ledger: String,
    root: String,
    empty: bool,
    overall: Vec<Line>,
    months: Option<Chart>,
    outcomes: Option<Chart>,
    authorisations: Vec<Line>,
    categories: Vec<CategoryRow>,
    databases: Vec<Line>,
    framework: Vec<Line>,
    verification: Vec<Line>,
    deployments: Vec<(String, Vec<Line>)>,
    monitoring: Vec<MonitoringBlock>,
}

/// The monitoring counts of one deployment (or of the organisation): a row per indicator,
/// a column per month, a rate as `part/whole`.
struct MonitoringBlock {
    title: String,
    months: Vec<String>,
    rows: Vec<(String, Vec<String>)>,
}

fn monitoring_blocks(lang: Lang, report: &Report) -> Vec<MonitoringBlock> {
    use crate::monitoring::{Monitored, OrganisationMonitored};
    type Cell<T> = fn(&T) -> String;
    fn block<T>(
        lang: Lang,
        title: String,
        months: &BTreeMap<String, T>,
        cells: &[(&str, Cell<T>)],
    ) -> MonitoringBlock {
        MonitoringBlock {
            title,
            months: months.keys().cloned().collect(),
            rows: cells
                .iter()
                .map(|(code, cell)| {
                    (
                        waarborg_i18n::t(lang, &format!("indicator_{code}")).to_string(),
                        months.values().map(cell).collect(),
                    )
                })
                .collect(),
        }
    }
    let deployment: [(&str, Cell<Monitored>); 6] = [
        ("quality_rejection_rate", |c| {
            format!("{}/{}", c.insufficient_quality, c.probes)
        }),
        ("identification_rate", |c| {
            format!("{}/{}", c.identifications, c.searches)
        }),
        ("disagreement_rate", |c| {
            format!("{}/{}", c.not_confirmed, c.concluded)
        }),
        ("refusals", |c| c.refusals.to_string()),
        ("authorisation_hours", |c| {
            c.longest_decision_hours.to_string()
        }),
        ("urgent_uses", |c| c.urgent_uses.to_string()),
    ];
    let organisation: [(&str, Cell<OrganisationMonitored>); 2] = [
        ("consultations_without_case", |o| {
            o.consultations_without_case.to_string()
        }),
        ("proficiency_error_rate", |o| {
            format!("{}/{}", o.proficiency_wrong, o.proficiency_scored)
        }),
    ];
    let m = &report.monitoring;
    let mut out: Vec<MonitoringBlock> = m
        .per_deployment
        .iter()
        .map(|(d, months)| block(lang, d.clone(), months, &deployment))
        .collect();
    if !m.organisation.is_empty() {
        out.push(block(
            lang,
            waarborg_i18n::t(lang, "report_organisation").to_string(),
            &m.organisation,
            &organisation,
        ));
    }
    out
}

fn verification_lines(lang: Lang, report: &Report) -> Vec<Line> {
    let v = &report.verification;
    let mut out = lines(lang, &[("report_proposals", v.proposals.values().sum())]);
    out.extend(parts(lang, None, &v.proposals));
    out.extend(lines(
        lang,
        &[("report_own_conclusions", v.own_conclusions.values().sum())],
    ));
    out.extend(parts(lang, None, &v.own_conclusions));
    out.extend(lines(
        lang,
        &[
            (
                "report_own_conclusions_as_proposed",
                v.own_conclusions_as_proposed,
            ),
            ("report_verdicts", v.verdicts.values().sum()),
        ],
    ));
    out.extend(parts(lang, None, &v.verdicts));
    out.extend(lines(
        lang,
        &[
            ("report_disputes", v.disputes),
            (
                "report_resolved_by_further_verifier",
                v.resolved_by_further_verifier,
            ),
            (
                "report_resolved_by_consultation",
                v.resolved_by_consultation,
            ),
            ("report_concluded", v.concluded),
            (
                "report_minutes_to_outcome_median",
                v.minutes_to_outcome_median,
            ),
            ("report_minutes_to_outcome_max", v.minutes_to_outcome_max),
        ],
    ));
    let p = &report.proficiency;
    out.extend(lines(
        lang,
        &[
            ("report_proficiency_planted", p.planted),
            ("report_proficiency_answers", p.overall.values().sum()),
        ],
    ));
    out.extend(parts(lang, None, &p.overall));
    for (person, scores) in &p.per_person {
        let scored: BTreeMap<String, u64> = scores
            .iter()
            .map(|(score, n)| (format!("{person} · {score}"), *n))
            .collect();
        out.extend(parts(lang, None, &scored));
    }
    out
}

fn framework_lines(lang: Lang, report: &Report) -> Vec<Line> {
    let f = &report.framework;
    let mut out = lines(
        lang,
        &[
            ("report_drafted", f.drafted),
            ("report_submitted", f.submitted),
            ("report_advice", f.advice.values().sum()),
        ],
    );
    out.extend(parts(lang, None, &f.advice));
    out.extend(lines(
        lang,
        &[
            ("report_ratified", f.ratified),
            ("report_ratification_refused", f.ratification_refused),
            ("report_authority_approved", f.authority_approved),
            ("report_authority_declined", f.authority_declined),
            ("report_activated", f.activated),
            ("report_reviews", f.reviews),
            ("report_suspended", f.suspended),
            ("report_ended", f.ended),
            ("report_evaluations", f.evaluations),
            ("report_withdrawn", f.withdrawn),
            ("report_active_at_end", f.active_at_end),
            ("report_reviews_overdue_at_end", f.reviews_overdue_at_end),
            ("report_incidents_reported", f.incidents_reported),
            ("report_incidents_serious", f.incidents_serious),
            ("report_alerts_raised", f.alerts_raised.values().sum()),
        ],
    ));
    let by_indicator: BTreeMap<String, u64> = f
        .alerts_raised
        .iter()
        .map(|(code, n)| {
            (
                waarborg_i18n::t(lang, &format!("indicator_{code}")).to_string(),
                *n,
            )
        })
        .collect();
    out.extend(parts(lang, None, &by_indicator));
    out.extend(lines(
        lang,
        &[("report_alerts_acknowledged", f.alerts_acknowledged)],
    ));
    out
}

impl FiguresView {
    fn new(lang: Lang, report: &Report) -> FiguresView {
        let a = &report.authorisations;
        let mut authorisations = lines(
            lang,
            &[
                ("report_requested", a.requested),
                ("report_urgent_requested", a.urgent_requested),
                ("report_granted", a.granted),
                ("report_refused", a.refused),
                ("report_urgent_late", a.urgent_late),
                ("report_urgent_without_decision", a.urgent_without_decision),
                ("report_searches_erased", a.searches_erased.values().sum()),
            ],
        );
        authorisations.extend(parts(lang, None, &a.searches_erased));
        FiguresView {
            from: report.period.from.clone(),
            to: report.period.to.clone(),
            ledger: waarborg_i18n::t_with(
                lang,
                "report_ledger",
                &[("n", report.ledger.size.to_string())],
            ),
            root: report.ledger.root.clone(),
            empty: report.per_month.is_empty(),
            overall: figure_lines(lang, &report.overall),
            months: months_chart(lang, report),
            outcomes: outcomes_chart(lang, report),
            authorisations,
            categories: report
                .per_offence_category
                .iter()
                .map(|(name, f)| CategoryRow {
                    name: name.clone(),
                    searches: f.searches,
                    proposals: f.proposals,
                    identifications: f.identifications,
                    not_confirmed: f.not_confirmed,
                    refusals: f.refusals.values().sum(),
                })
                .collect(),
            databases: parts(lang, None, &report.reference_databases),
            framework: framework_lines(lang, report),
            verification: verification_lines(lang, report),
            monitoring: monitoring_blocks(lang, report),
            deployments: report
                .per_deployment
                .iter()
                .map(|(revision, f)| (revision.clone(), figure_lines(lang, f)))
                .collect(),
        }
    }
}

/// `templates/report/figures.html`.
#[derive(Template)]
#[template(path = "report/figures.html")]
struct FiguresPage {
    layout: Layout,
    title: &'static str,
    f: FiguresView,
}

/// `templates/report/framework.html`.
#[derive(Template)]
#[template(path = "report/framework.html")]
struct FrameworkPage {
    layout: Layout,
    title: &'static str,
    f: FiguresView,
}

/// A deployment in the yearly report's list.
struct DeploymentRow {
    id: String,
    name: String,
    system: String,
    status: String,
    used: String,
}

/// `templates/report/annual.html`.
#[derive(Template)]
#[template(path = "report/annual.html")]
struct AnnualPage<'a> {
    layout: Layout,
    title: &'static str,
    recipients: String,
    deployer: &'a Party,
    year: i32,
    deployments: Vec<DeploymentRow>,
    f: FiguresView,
}

/// A template's page; a template that cannot render (it has no fallible part: every value
/// is prepared) says so instead of failing the report.
fn page(t: &impl Template) -> String {
    t.render()
        .unwrap_or_else(|e| format!("<!doctype html><p>the report cannot be shown: {e}</p>"))
}

/// The report as one HTML page.
pub fn render(report: &Report, lang: Lang) -> String {
    page(&FiguresPage {
        layout: Layout(lang),
        title: waarborg_i18n::t(lang, "report_title"),
        f: FiguresView::new(lang, report),
    })
}

/// The half-yearly overview of the deployment framework's working (the figures of
/// [`Report::framework`] for the period).
pub fn render_framework(report: &Report, lang: Lang) -> String {
    page(&FrameworkPage {
        layout: Layout(lang),
        title: waarborg_i18n::t(lang, "report_half_year_title"),
        f: FiguresView::new(lang, report),
    })
}

/// The AI Act yearly report as one HTML page.
pub fn render_annual(report: &AnnualReport, lang: Lang) -> String {
    let deployments = report
        .deployments
        .iter()
        .map(|d| DeploymentRow {
            id: d.id.clone(),
            name: d.name.clone(),
            system: d.system.clone(),
            status: d.status.clone(),
            used: match report.figures.deployment(&d.id) {
                Some(f) => f.searches.to_string(),
                None => waarborg_i18n::t(lang, "report_no_use").to_string(),
            },
        })
        .collect();
    page(&AnnualPage {
        layout: Layout(lang),
        title: waarborg_i18n::t(lang, "report_annual_title"),
        recipients: report.recipients.join("; "),
        deployer: &report.deployer,
        year: report.year,
        deployments,
        f: FiguresView::new(lang, &report.figures),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::annual::DeploymentLine;
    use crate::{Authorisations, LedgerPoint, Period};

    fn figures(k: u64) -> Figures {
        Figures {
            probes_submitted: 10 * k,
            searches: 9 * k,
            identifications: 3 * k,
            not_confirmed: k,
            refusals: BTreeMap::from([("no_case".to_string(), 2 * k)]),
            ..Figures::default()
        }
    }

    fn sample() -> Report {
        Report {
            period: Period::new("2027-01-01", "2028-01-01").unwrap(),
            ledger: LedgerPoint {
                size: 1234,
                root: "abc+/=".into(),
            },
            overall: figures(3),
            per_deployment: BTreeMap::from([("catch/<b>1</b>".to_string(), figures(1))]),
            per_month: BTreeMap::from([("2027-01".to_string(), figures(1))]),
            per_offence_category: BTreeMap::from([("violent <crime>".to_string(), figures(1))]),
            authorisations: Authorisations {
                requested: 7,
                ..Authorisations::default()
            },
            reference_databases: BTreeMap::from([("custody".to_string(), 500)]),
            framework: Default::default(),
            verification: crate::verification::VerificationFigures {
                disputes: 2,
                resolved_by_further_verifier: 1,
                ..Default::default()
            },
            proficiency: Default::default(),
            monitoring: Default::default(),
        }
    }

    #[test]
    fn a_report_says_its_figures_in_the_readers_language_and_escapes_what_it_shows() {
        let r = sample();
        let nl = render(&r, Lang::Nl);
        assert!(
            nl.starts_with("<!doctype html>\n<html lang=\"nl\">"),
            "{nl}"
        );
        assert!(nl.contains("<h1>Gezichtsherkenning: cijfers</h1>"), "{nl}");
        assert!(nl.contains("Berekend uit de eerste 1234 regels van het auditlogboek"));
        assert!(
            nl.contains("<th scope=\"row\">Zoekacties</th><td>27</td>"),
            "{nl}"
        );
        assert!(
            nl.contains("— Door de poort geweigerde pogingen <code>no_case</code>"),
            "{nl}"
        );
        assert!(nl.contains("<svg role=\"img\""), "{nl}");
        // What the ledger recorded is text, never markup.
        assert!(!nl.contains("<crime>") && !nl.contains("<b>1</b>"), "{nl}");
        assert!(nl.contains("violent &#60;crime&#62;"), "{nl}");
        let en = render(&r, Lang::En);
        assert!(en.contains("<h1>Face recognition: figures</h1>"), "{en}");
        for page in [&en, &nl] {
            assert!(!page.contains("??"), "a label is missing: {page}");
        }
    }

    #[test]
    fn the_yearly_and_half_yearly_reports_render_in_both_languages() {
        let annual = AnnualReport::new(
            2027,
            Party {
                name: "Politie & <NL>".into(),
                address: "Den Haag".into(),
                contact: "privacy@example.org".into(),
            },
            vec![DeploymentLine {
                id: "unused".into(),
                name: "Unused".into(),
                system: "waarborg".into(),
                status: "ended".into(),
            }],
            sample(),
        );
        for lang in [Lang::En, Lang::Nl] {
            let page = render_annual(&annual, lang);
            assert!(!page.contains("??") && !page.contains("<NL>"), "{page}");
            assert!(
                page.contains(waarborg_i18n::t(lang, "report_no_use")),
                "{page}"
            );
            let mut watched = sample();
            watched.monitoring.per_deployment.insert(
                "catch/<b>".into(),
                BTreeMap::from([(
                    "2027-02".to_string(),
                    crate::monitoring::Monitored {
                        insufficient_quality: 3,
                        probes: 7,
                        ..Default::default()
                    },
                )]),
            );
            let page = render_framework(&watched, lang);
            assert!(page.contains(waarborg_i18n::t(lang, "report_framework_heading")));
            assert!(page.contains(waarborg_i18n::t(lang, "indicator_quality_rejection_rate")));
            assert!(
                page.contains("<td>3/7</td>") && page.contains("catch/&#60;b&#62;"),
                "{page}"
            );
            assert!(!page.contains("??"), "{page}");
        }
    }
}
