//! The statistics, on plain score lists: thresholds, error rates, bootstrap intervals, the
//! extrapolation to a gallery size.
//!
//! Conventions (ISO/IEC 19795-1): a comparison *matches* when its score is at or above the
//! threshold. FMR(T) is the share of impostor scores ≥ T, FNMR(T) the share of genuine
//! scores < T. The threshold for a target FMR is the lowest T whose FMR does not exceed the
//! target. A figure is computed only where the counts allow it, by the *rule of 30*: a rate
//! near `r` is stated only when at least `30 / r` comparisons back it (30 errors expected),
//! which keeps the relative error of the estimate near ±30 % at 90 % confidence.

/// Comparisons that must back an error rate `rate` (rule of 30).
pub fn needed_for(rate: f64) -> u64 {
    (30.0 / rate).ceil() as u64
}

/// Scores sorted ascending, with the two counts the error rates need.
#[derive(Debug, Clone, PartialEq)]
pub struct Sorted(Vec<f32>);

impl Sorted {
    /// Sorts the scores (NaN is not a score: the caller never passes one).
    pub fn new(mut scores: Vec<f32>) -> Self {
        scores.sort_by(f32::total_cmp);
        Self(scores)
    }

    /// How many scores.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The scores, ascending.
    pub fn scores(&self) -> &[f32] {
        &self.0
    }

    /// How many scores are at or above `t`.
    pub fn at_or_above(&self, t: f32) -> usize {
        self.0.len() - self.0.partition_point(|&s| s < t)
    }

    /// Share of scores at or above `t` (FMR for impostor scores).
    pub fn share_at_or_above(&self, t: f32) -> f64 {
        if self.0.is_empty() {
            return 0.0;
        }
        self.at_or_above(t) as f64 / self.0.len() as f64
    }

    /// Share of scores below `t` (FNMR for genuine scores).
    pub fn share_below(&self, t: f32) -> f64 {
        if self.0.is_empty() {
            return 0.0;
        }
        1.0 - self.share_at_or_above(t)
    }

    /// The lowest threshold at which at most `target` of these (impostor) scores match.
    pub fn threshold_for(&self, target: f64) -> Option<f32> {
        threshold_in(&self.0, target)
    }
}

/// The lowest threshold over ascending `sorted` with a share ≤ `target` at or above it.
fn threshold_in(sorted: &[f32], target: f64) -> Option<f32> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    // At most k scores may be at or above T: T just above the (k+1)-th highest.
    let k = ((target * n as f64).floor() as usize).min(n);
    if k == n {
        return Some(sorted[0]);
    }
    Some(sorted[n - 1 - k].next_up())
}

/// A small, seeded generator (SplitMix64): the bootstrap must give the same interval on every
/// run, so that a figure in a report can be recomputed.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform index below `n` (n > 0), by multiply-shift.
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }
}

/// The 2.5 % and 97.5 % points of FNMR at a target FMR over `rounds` bootstrap resamples of
/// both score lists (comparisons drawn independently with replacement; an interval that
/// ignores the dependence between comparisons that share an image, so it is narrower than
/// a resampling of people would give).
pub fn fnmr_interval(
    genuine: &Sorted,
    impostor: &Sorted,
    target: f64,
    rounds: usize,
    seed: u64,
) -> Option<[f64; 2]> {
    if genuine.is_empty() || impostor.is_empty() || rounds == 0 {
        return None;
    }
    let mut rng = SplitMix64::new(seed);
    let mut imp = vec![0f32; impostor.len()];
    let mut gen = vec![0f32; genuine.len()];
    let mut out = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        for s in imp.iter_mut() {
            *s = impostor.0[rng.below(impostor.len())];
        }
        for s in gen.iter_mut() {
            *s = genuine.0[rng.below(genuine.len())];
        }
        let n = imp.len();
        let k = ((target * n as f64).floor() as usize).min(n);
        let t = if k == n {
            f32::NEG_INFINITY
        } else {
            let (_, nth, _) = imp.select_nth_unstable_by(n - 1 - k, f32::total_cmp);
            nth.next_up()
        };
        let below = gen.iter().filter(|&&s| s < t).count();
        out.push(below as f64 / gen.len() as f64);
    }
    out.sort_by(f64::total_cmp);
    let at = |q: f64| out[((q * (out.len() - 1) as f64).round() as usize).min(out.len() - 1)];
    Some([at(0.025), at(0.975)])
}

/// The FMR per comparison at which a search of a gallery of `gallery` references gives a
/// non-mated probe any candidate with probability `fpir`: 1 − (1 − FPIR)^(1/N), assuming
/// independent comparisons.
pub fn fmr_for_fpir(fpir: f64, gallery: u64) -> f64 {
    -((-fpir).ln_1p() / gallery as f64).exp_m1()
}

/// FPIR at a gallery size for a per-comparison FMR: 1 − (1 − FMR)^N.
pub fn fpir_for_fmr(fmr: f64, gallery: u64) -> f64 {
    -((gallery as f64) * (-fmr).ln_1p()).exp_m1()
}

/// P(X ≤ k) for X ~ Poisson(λ): the chance that at most `k` non-mates outscore a mate.
pub fn poisson_cdf(k: usize, lambda: f64) -> f64 {
    if lambda <= 0.0 {
        return 1.0;
    }
    let mut term = (-lambda).exp();
    let mut sum = term;
    for i in 1..=k {
        term *= lambda / i as f64;
        sum += term;
    }
    sum.min(1.0)
}

/// The share of mated searches, in a gallery of `gallery` references, whose mate scores at
/// or above `threshold` and ranks within the first `rank` candidates: for each genuine
/// score s the other N − 1 references outscore it about Poisson((N − 1)·FMR(s)) times.
/// FMR(s) is read from the impostor scores, so past the highest impostor score it is 0 and
/// the figure is optimistic there; it is an extrapolation, labelled as one.
pub fn hit_rate(
    genuine: &Sorted,
    impostor: &Sorted,
    gallery: u64,
    rank: usize,
    threshold: f32,
) -> f64 {
    if genuine.is_empty() {
        return 0.0;
    }
    let others = gallery.saturating_sub(1) as f64;
    let sum: f64 = genuine
        .0
        .iter()
        .filter(|&&s| s >= threshold)
        .map(|&s| {
            poisson_cdf(
                rank.saturating_sub(1),
                others * impostor.share_at_or_above(s.next_up()),
            )
        })
        .sum();
    sum / genuine.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Impostor scores 0.0000, 0.0001, …, 0.9999: FMR(T) is known exactly.
    fn uniform(n: usize) -> Sorted {
        Sorted::new((0..n).map(|i| i as f32 / n as f32).collect())
    }

    #[test]
    fn the_threshold_for_a_target_fmr_lets_through_no_more_than_the_target() {
        let imp = uniform(10_000);
        for target in [1e-1, 1e-2, 1e-3, 1e-4, 0.0] {
            let t = imp.threshold_for(target).unwrap();
            let fmr = imp.share_at_or_above(t);
            assert!(fmr <= target, "{target}: {fmr}");
            // The lowest such threshold: one step lower lets through more than the target.
            assert!(
                imp.share_at_or_above(t.next_down()) > target || t <= 0.0,
                "{target}"
            );
            assert!(
                (fmr - target).abs() < 1e-9,
                "uniform scores hit the target: {fmr}"
            );
        }
        assert_eq!(imp.threshold_for(1.0), Some(0.0));
        assert_eq!(Sorted::new(vec![]).threshold_for(0.01), None);
    }

    #[test]
    fn fnmr_at_a_known_threshold_is_the_share_of_genuine_scores_below_it() {
        let imp = uniform(10_000);
        // Genuine scores 0.95 + i/2000: at FMR 1e-2 (T just above 0.9899, the 101st highest
        // impostor score) four fifths of them fall below.
        let gen = Sorted::new((0..100).map(|i| 0.95 + i as f32 / 2000.0).collect());
        let t = imp.threshold_for(1e-2).unwrap();
        assert!(t > 0.9899 && t < 0.98991, "{t}");
        assert!(
            (gen.share_below(t) - 0.8).abs() < 0.011,
            "{}",
            gen.share_below(t)
        );
        let [lo, hi] = fnmr_interval(&gen, &imp, 1e-2, 400, 7).unwrap();
        assert!(lo <= 0.8 && 0.8 <= hi && hi - lo < 0.25, "{lo} {hi}");
        // Same seed, same interval.
        assert_eq!(fnmr_interval(&gen, &imp, 1e-2, 400, 7), Some([lo, hi]));
    }

    #[test]
    fn gallery_extrapolation_inverts_and_matches_known_cases() {
        for (fpir, n) in [(0.01, 1_000_000u64), (0.1, 1000), (0.5, 10)] {
            let fmr = fmr_for_fpir(fpir, n);
            assert!((fpir_for_fmr(fmr, n) - fpir).abs() < 1e-12, "{fpir} {n}");
        }
        // One reference: FPIR is FMR.
        assert!((fmr_for_fpir(0.01, 1) - 0.01).abs() < 1e-15);
        assert!((poisson_cdf(0, 1.0) - (-1f64).exp()).abs() < 1e-15);
        assert!((poisson_cdf(2, 2.0) - 5.0 * (-2f64).exp()).abs() < 1e-12);
        assert_eq!(poisson_cdf(3, 0.0), 1.0);
        // Mates far above every impostor: found at rank 1; at the impostors' level: lost in
        // a large gallery, found in a gallery of one.
        let imp = uniform(1000);
        let high = Sorted::new(vec![2.0; 10]);
        assert_eq!(hit_rate(&high, &imp, 1_000_000, 1, 0.0), 1.0);
        let mid = Sorted::new(vec![0.5; 10]);
        assert!(hit_rate(&mid, &imp, 1_000_000, 1, 0.0) < 1e-6);
        assert_eq!(hit_rate(&mid, &imp, 1, 1, 0.0), 1.0);
        assert_eq!(hit_rate(&mid, &imp, 1, 1, 0.6), 0.0);
    }

    #[test]
    fn the_rule_of_30() {
        assert_eq!(needed_for(1e-2), 3000);
        assert_eq!(needed_for(1e-4), 300_000);
    }
}
