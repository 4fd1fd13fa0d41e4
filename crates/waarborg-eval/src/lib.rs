//! Accuracy evaluation of a model pair on a labelled set (issue 21 item 2; AI Act Art. 15 and
//! 26: the deployer knows the system's accuracy on its own kind of data).
//!
//! The caller (the CLI) reads a manifest of images (`path,identity[,group]`, see [`set`]),
//! computes one template per image with the engine, and hands them here. [`evaluate`]
//! compares every pair once and reports:
//!
//! - the genuine (same identity) and impostor score distributions;
//! - per target FMR (10⁻², 10⁻³, 10⁻⁴): the threshold and FNMR there, with a bootstrap
//!   interval, where the counts allow it (the rule of 30, [`stats`]) — else why not;
//! - open-set figures for the deployment's gallery size and candidate-list length: the
//!   threshold that gives a target FPIR, and FNIR and rank-k hit rates there, extrapolated
//!   from the score distributions ([`stats::hit_rate`]); and the closed-set rank-k hit rates
//!   measured on the set itself;
//! - a DET curve ([`det_svg`]);
//! - per group, FNMR and FMR at the overall threshold, and their ratio to the overall rates.
//!
//! Every compared pair is listed under `pairs` (`{"a", "b", "same", "score"}`), so anyone can
//! recompute every figure; the model hashes and the data set's hash say what was measured.

pub mod augment;
pub mod html;
pub mod set;
pub mod stats;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::stats::Sorted;

/// What can make an evaluation impossible as a whole (figures that cannot be computed are
/// reported inside the evaluation instead).
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// The manifest could not be read.
    #[error("{0}")]
    Manifest(String),
    /// Nothing to compare.
    #[error("the set gives {mated} mated and {non_mated} non-mated pairs; an evaluation needs at least one of each (two images of one identity, and two identities)")]
    TooSmall {
        /// Genuine pairs.
        mated: usize,
        /// Impostor pairs.
        non_mated: usize,
    },
    /// Templates of different lengths, or not finite.
    #[error("template of {0} is not a finite vector of the common length")]
    BadTemplate(String),
}

/// One image with its label and template.
#[derive(Debug, Clone, PartialEq)]
pub struct Labelled {
    /// The image, as the manifest names it.
    pub path: String,
    /// Who it shows.
    pub identity: String,
    /// A group for differentials (optional).
    pub group: Option<String>,
    /// Its template (unit length).
    pub template: Vec<f32>,
}

/// What to compute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Options {
    /// Target FMRs for the verification figures.
    pub fmr_targets: Vec<f64>,
    /// The deployment's gallery size (references searched).
    pub gallery_size: u64,
    /// The candidate list's length.
    pub list_length: usize,
    /// The FPIR the recommended threshold is for.
    pub fpir_target: f64,
    /// The threshold the deployment has chosen, to show the figures there too.
    pub chosen_threshold: Option<f32>,
    /// Bootstrap rounds.
    pub bootstrap_rounds: usize,
    /// Bootstrap seed (the same seed gives the same intervals).
    pub seed: u64,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            fmr_targets: vec![1e-2, 1e-3, 1e-4],
            gallery_size: 1_000_000,
            list_length: 10,
            fpir_target: 0.01,
            chosen_threshold: None,
            bootstrap_rounds: 1000,
            seed: 20_261_202,
        }
    }
}

/// A figure, or why it could not be computed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Figure<T> {
    /// Computed.
    Computed(T),
    /// Not computed, and why.
    NotComputed {
        /// Why.
        not_computed: String,
    },
}

impl<T> Figure<T> {
    fn not(why: String) -> Self {
        Self::NotComputed { not_computed: why }
    }

    /// The value, if computed.
    pub fn value(&self) -> Option<&T> {
        match self {
            Self::Computed(v) => Some(v),
            Self::NotComputed { .. } => None,
        }
    }
}

/// A score distribution in brief, with a histogram for plots.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Distribution {
    /// Comparisons.
    pub count: usize,
    /// Mean score.
    pub mean: f64,
    /// Standard deviation.
    pub sd: f64,
    /// Lowest score.
    pub min: f32,
    /// Highest score.
    pub max: f32,
    /// Counts in 40 bins of width 0.05 from −1 to 1.
    pub histogram: Vec<usize>,
}

/// Verification at one target FMR.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AtFmr {
    /// The target.
    pub fmr_target: f64,
    /// Threshold, FNMR, interval — or why not.
    #[serde(flatten)]
    pub figures: Figure<VerificationFigures>,
}

/// The numbers at one target FMR.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerificationFigures {
    /// The lowest threshold whose FMR does not exceed the target.
    pub threshold: f32,
    /// The FMR observed there.
    pub fmr: f64,
    /// The FNMR there.
    pub fnmr: f64,
    /// Bootstrap 95 % interval of the FNMR.
    pub fnmr_interval: [f64; 2],
}

/// Open-set (1:N) figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenSet {
    /// The gallery size they are for.
    pub gallery_size: u64,
    /// The candidate list's length.
    pub list_length: usize,
    /// The FPIR the recommended threshold is for.
    pub fpir_target: f64,
    /// The FMR per comparison that FPIR needs at this gallery size.
    pub fmr_needed: f64,
    /// The threshold that gives the target FPIR, with FNIR there — or why not.
    pub recommended: Figure<AtThreshold>,
    /// The figures at the deployment's chosen threshold, when one was given.
    pub chosen: Option<AtThreshold>,
    /// Closed-set hit rates measured on the set (gallery: each identity's first image).
    pub measured_ranks: Figure<Vec<RankRate>>,
}

/// Extrapolated open-set figures at a threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AtThreshold {
    /// The threshold.
    pub threshold: f32,
    /// FPIR at the gallery size (extrapolated).
    pub fpir: f64,
    /// FNIR with the mate within the list and at or above the threshold (extrapolated).
    pub fnir: f64,
    /// Hit rates at rank 1, 5 and the list length (extrapolated).
    pub ranks: Vec<RankRate>,
}

/// A hit rate at a rank.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RankRate {
    /// The rank.
    pub rank: usize,
    /// Share of mated searches with the mate at or before it.
    pub hit_rate: f64,
}

/// One group's differentials at the overall threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupFigures {
    /// The group.
    pub group: String,
    /// Images in it.
    pub images: usize,
    /// Genuine pairs within it.
    pub mated_pairs: usize,
    /// Impostor pairs within it.
    pub non_mated_pairs: usize,
    /// FNMR within it at the overall threshold.
    pub fnmr: Option<f64>,
    /// FMR within it at the overall threshold.
    pub fmr: Option<f64>,
    /// FNMR ratio to the overall (None where the overall is 0).
    pub fnmr_ratio: Option<f64>,
    /// FMR ratio to the overall (None where the overall is 0).
    pub fmr_ratio: Option<f64>,
}

/// One compared pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComparedPair {
    /// First image.
    pub a: String,
    /// Second image.
    pub b: String,
    /// Same identity.
    pub same: bool,
    /// Similarity.
    pub score: f32,
}

/// An image left out, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Excluded {
    /// The image.
    pub path: String,
    /// Why.
    pub reason: String,
}

/// The evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// SHA-256 of the detector and the recogniser measured (set by the caller).
    pub models: Vec<String>,
    /// SHA-256 of the data set (set by the caller, [`set::dataset_sha256`]).
    pub dataset_sha256: String,
    /// What was asked.
    pub options: Options,
    /// Images compared.
    pub images: usize,
    /// Identities among them.
    pub identities: usize,
    /// Images left out, with reasons (set by the caller).
    pub excluded: Vec<Excluded>,
    /// Same-identity comparisons.
    pub genuine: Distribution,
    /// Different-identity comparisons.
    pub impostor: Distribution,
    /// Verification per target FMR.
    pub verification: Vec<AtFmr>,
    /// Open-set figures.
    pub open_set: OpenSet,
    /// The threshold the group figures are at (the lowest target FMR computed), if any.
    pub group_threshold: Option<f32>,
    /// Per-group differentials.
    pub groups: Vec<GroupFigures>,
    /// DET curve points, `[FMR, FNMR]`, FMR ascending.
    pub det: Vec<[f64; 2]>,
    /// Every compared pair.
    pub pairs: Vec<ComparedPair>,
}

fn distribution(s: &Sorted) -> Distribution {
    let n = s.len().max(1) as f64;
    let mean = s.scores().iter().map(|&x| f64::from(x)).sum::<f64>() / n;
    let var = s
        .scores()
        .iter()
        .map(|&x| (f64::from(x) - mean).powi(2))
        .sum::<f64>()
        / n;
    let mut histogram = vec![0usize; 40];
    for &x in s.scores() {
        let bin = (((f64::from(x) + 1.0) / 0.05).floor() as isize).clamp(0, 39) as usize;
        histogram[bin] += 1;
    }
    Distribution {
        count: s.len(),
        mean,
        sd: var.sqrt(),
        min: s.scores().first().copied().unwrap_or(0.0),
        max: s.scores().last().copied().unwrap_or(0.0),
        histogram,
    }
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Compares every pair of `samples` and computes the figures (`models`, `dataset_sha256`
/// and `excluded` are left for the caller to fill in).
pub fn evaluate(samples: &[Labelled], options: &Options) -> Result<Evaluation, EvalError> {
    let dim = samples.first().map_or(0, |s| s.template.len());
    for s in samples {
        if s.template.len() != dim || s.template.iter().any(|x| !x.is_finite()) {
            return Err(EvalError::BadTemplate(s.path.clone()));
        }
    }
    let mut pairs = Vec::with_capacity(samples.len() * samples.len().saturating_sub(1) / 2);
    for (i, a) in samples.iter().enumerate() {
        for b in &samples[i + 1..] {
            pairs.push(ComparedPair {
                a: a.path.clone(),
                b: b.path.clone(),
                same: a.identity == b.identity,
                score: dot(&a.template, &b.template),
            });
        }
    }
    let split = |keep: &dyn Fn(usize, usize) -> bool| {
        let (mut gen, mut imp) = (Vec::new(), Vec::new());
        let mut k = 0;
        for i in 0..samples.len() {
            for j in i + 1..samples.len() {
                if keep(i, j) {
                    if pairs[k].same {
                        gen.push(pairs[k].score);
                    } else {
                        imp.push(pairs[k].score);
                    }
                }
                k += 1;
            }
        }
        (Sorted::new(gen), Sorted::new(imp))
    };
    let (genuine, impostor) = split(&|_, _| true);
    if genuine.is_empty() || impostor.is_empty() {
        return Err(EvalError::TooSmall {
            mated: genuine.len(),
            non_mated: impostor.len(),
        });
    }

    let verification: Vec<AtFmr> = options
        .fmr_targets
        .iter()
        .map(|&target| AtFmr {
            fmr_target: target,
            figures: verification_at(&genuine, &impostor, target, options),
        })
        .collect();

    let open_set = open_set(samples, &genuine, &impostor, options);

    let group_threshold = verification
        .iter()
        .filter_map(|v| v.figures.value().map(|f| (v.fmr_target, f.threshold)))
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, t)| t);
    let mut groups = Vec::new();
    if let Some(t) = group_threshold {
        let mut names: BTreeMap<&str, usize> = BTreeMap::new();
        for s in samples {
            if let Some(g) = &s.group {
                *names.entry(g.as_str()).or_default() += 1;
            }
        }
        let (overall_fnmr, overall_fmr) = (genuine.share_below(t), impostor.share_at_or_above(t));
        for (name, images) in names {
            let in_group = |i: usize| samples[i].group.as_deref() == Some(name);
            let (g, m) = split(&|i, j| in_group(i) && in_group(j));
            let fnmr = (!g.is_empty()).then(|| g.share_below(t));
            let fmr = (!m.is_empty()).then(|| m.share_at_or_above(t));
            let ratio =
                |x: Option<f64>, overall: f64| x.filter(|_| overall > 0.0).map(|x| x / overall);
            groups.push(GroupFigures {
                group: name.to_string(),
                images,
                mated_pairs: g.len(),
                non_mated_pairs: m.len(),
                fnmr,
                fmr,
                fnmr_ratio: ratio(fnmr, overall_fnmr),
                fmr_ratio: ratio(fmr, overall_fmr),
            });
        }
    }

    let identities = samples
        .iter()
        .map(|s| s.identity.as_str())
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    Ok(Evaluation {
        models: Vec::new(),
        dataset_sha256: String::new(),
        options: options.clone(),
        images: samples.len(),
        identities,
        excluded: Vec::new(),
        genuine: distribution(&genuine),
        impostor: distribution(&impostor),
        verification,
        open_set,
        group_threshold,
        groups,
        det: det_points(&genuine, &impostor),
        pairs,
    })
}

fn verification_at(
    genuine: &Sorted,
    impostor: &Sorted,
    target: f64,
    options: &Options,
) -> Figure<VerificationFigures> {
    let needed = stats::needed_for(target);
    if (impostor.len() as u64) < needed {
        return Figure::not(format!(
            "FMR {target:e} needs at least {needed} non-mated pairs (rule of 30); the set gives {}",
            impostor.len()
        ));
    }
    let Some(threshold) = impostor.threshold_for(target) else {
        return Figure::not("no non-mated pairs".into());
    };
    let Some(fnmr_interval) = stats::fnmr_interval(
        genuine,
        impostor,
        target,
        options.bootstrap_rounds,
        options.seed,
    ) else {
        return Figure::not("no bootstrap rounds were asked for".into());
    };
    Figure::Computed(VerificationFigures {
        threshold,
        fmr: impostor.share_at_or_above(threshold),
        fnmr: genuine.share_below(threshold),
        fnmr_interval,
    })
}

fn at_threshold(genuine: &Sorted, impostor: &Sorted, t: f32, options: &Options) -> AtThreshold {
    let n = options.gallery_size;
    let mut ranks: Vec<usize> = vec![1, 5, options.list_length];
    ranks.retain(|&r| r >= 1 && r <= options.list_length.max(1));
    ranks.dedup();
    AtThreshold {
        threshold: t,
        fpir: stats::fpir_for_fmr(impostor.share_at_or_above(t), n),
        fnir: 1.0 - stats::hit_rate(genuine, impostor, n, options.list_length.max(1), t),
        ranks: ranks
            .into_iter()
            .map(|rank| RankRate {
                rank,
                hit_rate: stats::hit_rate(genuine, impostor, n, rank, f32::NEG_INFINITY),
            })
            .collect(),
    }
}

fn open_set(
    samples: &[Labelled],
    genuine: &Sorted,
    impostor: &Sorted,
    options: &Options,
) -> OpenSet {
    let fmr_needed = stats::fmr_for_fpir(options.fpir_target, options.gallery_size);
    let needed = stats::needed_for(fmr_needed);
    let recommended = if (impostor.len() as u64) < needed {
        Figure::not(format!(
            "FPIR {} at a gallery of {} needs an FMR of {fmr_needed:.3e} per comparison, which \
             needs at least {needed} non-mated pairs (rule of 30); the set gives {}",
            options.fpir_target,
            options.gallery_size,
            impostor.len()
        ))
    } else {
        match impostor.threshold_for(fmr_needed) {
            Some(t) => Figure::Computed(at_threshold(genuine, impostor, t, options)),
            None => Figure::not("no non-mated pairs".into()),
        }
    };
    OpenSet {
        gallery_size: options.gallery_size,
        list_length: options.list_length,
        fpir_target: options.fpir_target,
        fmr_needed,
        recommended,
        chosen: options
            .chosen_threshold
            .map(|t| at_threshold(genuine, impostor, t, options)),
        measured_ranks: measured_ranks(samples, options),
    }
}

/// Closed-set search on the set itself: each identity's first image is its reference, every
/// other image a mated probe against all references.
fn measured_ranks(samples: &[Labelled], options: &Options) -> Figure<Vec<RankRate>> {
    let mut gallery: Vec<(&str, &[f32])> = Vec::new();
    let mut probes = Vec::new();
    for s in samples {
        if gallery.iter().any(|(id, _)| *id == s.identity) {
            probes.push(s);
        } else {
            gallery.push((&s.identity, &s.template));
        }
    }
    if probes.is_empty() || gallery.len() < 2 {
        return Figure::not(
            "closed-set ranks need an identity with two images and at least two identities".into(),
        );
    }
    let ranks_of: Vec<usize> = probes
        .iter()
        .map(|p| {
            let mate = gallery
                .iter()
                .find(|(id, _)| *id == p.identity)
                .map_or(f32::NEG_INFINITY, |(_, t)| dot(&p.template, t));
            1 + gallery
                .iter()
                .filter(|(id, t)| *id != p.identity && dot(&p.template, t) >= mate)
                .count()
        })
        .collect();
    let mut wanted = vec![1, 5, options.list_length.max(1)];
    wanted.retain(|&r| r < gallery.len() || r == 1);
    wanted.dedup();
    Figure::Computed(
        wanted
            .into_iter()
            .map(|rank| RankRate {
                rank,
                hit_rate: ranks_of.iter().filter(|&&r| r <= rank).count() as f64
                    / ranks_of.len() as f64,
            })
            .collect(),
    )
}

/// Points of the DET curve at FMRs spaced evenly in log from 1 / (non-mated pairs) to 1.
fn det_points(genuine: &Sorted, impostor: &Sorted) -> Vec<[f64; 2]> {
    let lowest = 1.0 / impostor.len() as f64;
    let steps = 60;
    let mut out: Vec<[f64; 2]> = Vec::with_capacity(steps + 1);
    for i in 0..=steps {
        let target = lowest.powf(1.0 - i as f64 / steps as f64);
        if let Some(t) = impostor.threshold_for(target) {
            let point = [impostor.share_at_or_above(t), genuine.share_below(t)];
            if out.last() != Some(&point) && point[0] > 0.0 {
                out.push(point);
            }
        }
    }
    out
}

/// The DET curve as an SVG image: FMR on a log axis, FNMR on a linear one.
pub fn det_svg(e: &Evaluation) -> String {
    let (w, h, left, bottom, top, right) = (640.0, 420.0, 70.0, 50.0, 20.0, 20.0);
    let lo = e
        .det
        .first()
        .map_or(-4.0, |p| p[0].log10().floor())
        .min(-1.0);
    let ymax = e.det.iter().map(|p| p[1]).fold(0.05f64, f64::max).min(1.0);
    let x = |fmr: f64| left + (fmr.log10() - lo) / -lo * (w - left - right);
    let y = |fnmr: f64| h - bottom - fnmr / ymax * (h - bottom - top);
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"sans-serif\" font-size=\"12\">\n\
         <title>DET curve: FNMR against FMR ({} mated, {} non-mated pairs)</title>\n\
         <rect width=\"{w}\" height=\"{h}\" fill=\"white\"/>\n",
        e.genuine.count, e.impostor.count
    );
    let mut decade = lo as i32;
    while decade <= 0 {
        let px = x(10f64.powi(decade));
        s += &format!(
            "<line x1=\"{px:.1}\" y1=\"{top}\" x2=\"{px:.1}\" y2=\"{:.1}\" stroke=\"#ddd\"/>\
             <text x=\"{px:.1}\" y=\"{:.1}\" text-anchor=\"middle\">1e{decade}</text>\n",
            h - bottom,
            h - bottom + 16.0
        );
        decade += 1;
    }
    for i in 0..=4 {
        let v = ymax * f64::from(i) / 4.0;
        s += &format!(
            "<line x1=\"{left}\" y1=\"{py:.1}\" x2=\"{:.1}\" y2=\"{py:.1}\" stroke=\"#ddd\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{v:.4}</text>\n",
            w - right,
            left - 6.0,
            y(v) + 4.0,
            py = y(v)
        );
    }
    let points: Vec<String> = e
        .det
        .iter()
        .map(|p| format!("{:.1},{:.1}", x(p[0]), y(p[1])))
        .collect();
    s += &format!(
        "<polyline fill=\"none\" stroke=\"#1f4e9c\" stroke-width=\"2\" points=\"{}\"/>\n\
         <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">FMR (false match rate, log)</text>\n\
         <text transform=\"translate(16 {:.1}) rotate(-90)\" text-anchor=\"middle\">FNMR (false non-match rate)</text>\n</svg>\n",
        points.join(" "),
        left + (w - left - right) / 2.0,
        h - 10.0,
        top + (h - top - bottom) / 2.0
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Unit templates on a circle: the score of two is the cosine of their angle, so the
    /// distributions are known by construction.
    fn at_angle(path: &str, identity: &str, group: &str, angle: f32) -> Labelled {
        Labelled {
            path: path.into(),
            identity: identity.into(),
            group: Some(group.into()),
            template: vec![angle.cos(), angle.sin()],
        }
    }

    fn circle_set(identities: usize, per: usize) -> Vec<Labelled> {
        let mut out = Vec::new();
        for i in 0..identities {
            for k in 0..per {
                // Identities spread over half the circle, images of one within a small arc.
                let angle = i as f32 * std::f32::consts::PI / identities as f32 + k as f32 * 0.002;
                out.push(at_angle(
                    &format!("{i}-{k}.jpg"),
                    &format!("p{i}"),
                    if i % 2 == 0 { "even" } else { "odd" },
                    angle,
                ));
            }
        }
        out
    }

    #[test]
    fn every_pair_is_listed_once_with_its_label_and_score() {
        let set = circle_set(6, 3);
        let e = evaluate(&set, &Options::default()).unwrap();
        assert_eq!(e.pairs.len(), 18 * 17 / 2);
        assert_eq!(e.genuine.count, 6 * 3);
        assert_eq!(e.impostor.count, 18 * 17 / 2 - 18);
        for p in &e.pairs {
            assert_eq!(p.same, p.a.split('-').next() == p.b.split('-').next());
        }
        assert!(e.genuine.mean > 0.99 && e.impostor.mean < 0.9);
        assert_eq!(e.genuine.histogram.iter().sum::<usize>(), e.genuine.count);
        assert_eq!(e.identities, 6);
    }

    #[test]
    fn figures_the_counts_do_not_support_say_why() {
        let e = evaluate(&circle_set(6, 3), &Options::default()).unwrap();
        for v in &e.verification {
            match &v.figures {
                Figure::NotComputed { not_computed } => {
                    assert!(not_computed.contains("non-mated pairs"), "{not_computed}")
                }
                Figure::Computed(_) => {
                    panic!("153 non-mated pairs cannot support FMR {}", v.fmr_target)
                }
            }
        }
        assert!(e.group_threshold.is_none() && e.groups.is_empty());
        assert!(e.open_set.recommended.value().is_none());
    }

    #[test]
    fn separated_identities_give_no_errors_and_groups_their_own_rates() {
        // 80 identities × 4 images: 480 mated pairs, 50,560 non-mated: FMR 1e-2 and 1e-3
        // computable (3,000 and 30,000 needed), 1e-4 not (300,000).
        let set = circle_set(80, 4);
        let e = evaluate(&set, &Options::default()).unwrap();
        let v = e.verification[0].figures.value().unwrap();
        assert!(v.fmr <= 1e-2 && v.fnmr == 0.0, "{v:?}");
        assert_eq!(v.fnmr_interval, [0.0, 0.0]);
        assert!(e.verification[2].figures.value().is_none());
        let ranks = e.open_set.measured_ranks.value().unwrap();
        assert_eq!(
            ranks[0],
            RankRate {
                rank: 1,
                hit_rate: 1.0
            }
        );
        assert_eq!(e.groups.len(), 2);
        assert_eq!(e.groups[0].group, "even");
        assert_eq!(e.groups[0].images, 160);
        assert_eq!(e.groups[0].mated_pairs, 240);
        let at_1e3 = e.verification[1].figures.value().unwrap();
        assert_eq!(e.group_threshold, Some(at_1e3.threshold));
        let svg = det_svg(&e);
        assert!(svg.starts_with("<svg") && svg.contains("<polyline"));
    }

    #[test]
    fn a_set_without_mates_or_without_non_mates_is_refused() {
        let one = circle_set(1, 3);
        assert!(matches!(
            evaluate(&one, &Options::default()),
            Err(EvalError::TooSmall { non_mated: 0, .. })
        ));
        let singles = circle_set(5, 1);
        assert!(matches!(
            evaluate(&singles, &Options::default()),
            Err(EvalError::TooSmall { mated: 0, .. })
        ));
        let mut bad = circle_set(2, 2);
        bad[1].template = vec![f32::NAN, 0.0];
        assert!(
            matches!(evaluate(&bad, &Options::default()), Err(EvalError::BadTemplate(p)) if p == "0-1.jpg")
        );
    }
}
