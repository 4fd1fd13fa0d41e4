//! Templates as the index stores them: validated f32 vectors and their int8 codes with the
//! error bounds that make the int8 scan provably exact after f32 re-ranking.
//!
//! A vector `x` is stored as codes `q` (−127..=127) with a scale `s = max|xᵢ| / 127`, so that
//! `x = s·q + e`. For a query `y = t·p + f` quantised the same way, the real dot product
//! satisfies `|x·y − s·t·(q·p)| ≤ ‖e‖·‖y‖ + ‖s·q‖·‖f‖` (expand `x·y = x̂·y + e·y` and
//! `x̂·y = x̂·ŷ + x̂·f`, then Cauchy–Schwarz). `q·p` is an exact integer. The search keeps
//! every row whose upper bound can reach the K-th best lower bound, and ranks those by their
//! exact f32 dot product: the result equals brute-force f32 search.

use crate::IndexError;

/// Dimension of a template (ArcFace w600k_mbf).
pub const DIM: usize = 512;

/// How far from 1 a vector's L2 norm may be. Templates from the face engine are normalised
/// to within a few ulps; a larger deviation means the caller sent something else, and is
/// refused rather than silently altered.
pub const NORM_TOLERANCE: f32 = 1e-3;

/// Checks that `v` is a template: [`DIM`] finite values with an L2 norm of 1 ± [`NORM_TOLERANCE`].
pub fn validate(v: &[f32]) -> Result<(), IndexError> {
    if v.len() != DIM {
        return Err(IndexError::BadVector(format!(
            "has {} values; templates have {DIM}",
            v.len()
        )));
    }
    if let Some(i) = v.iter().position(|x| !x.is_finite()) {
        return Err(IndexError::BadVector(format!(
            "value {i} is {} (not a finite number)",
            v[i]
        )));
    }
    let norm = v
        .iter()
        .map(|&x| f64::from(x) * f64::from(x))
        .sum::<f64>()
        .sqrt();
    if (norm - 1.0).abs() > f64::from(NORM_TOLERANCE) {
        return Err(IndexError::BadVector(format!(
            "has L2 norm {norm:.6}; templates must be L2-normalised (norm 1 ± {NORM_TOLERANCE}) — a zero vector is never a template"
        )));
    }
    Ok(())
}

/// The int8 form of one vector and the sizes its error bound needs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quantised {
    /// `s` in `x ≈ s·q`.
    pub scale: f32,
    /// `‖x − s·q‖`, rounded up.
    pub err_norm: f32,
    /// `‖s·q‖`, rounded up.
    pub hat_norm: f32,
}

/// Quantises `v` into `codes` (each in −127..=127; −128 never occurs, which the kernels rely on).
pub fn quantise(v: &[f32], codes: &mut [i8]) -> Quantised {
    let max = v.iter().fold(0f32, |m, x| m.max(x.abs()));
    let scale = if max > 0.0 { max / 127.0 } else { 1.0 };
    let (mut err, mut hat) = (0f64, 0f64);
    for (c, &x) in codes.iter_mut().zip(v) {
        let q = (x / scale).round().clamp(-127.0, 127.0);
        *c = q as i8;
        let r = f64::from(scale) * f64::from(q);
        err += (f64::from(x) - r).powi(2);
        hat += r * r;
    }
    // Round the bounds up so that f32 storage never makes them too small.
    let up = |x: f64| (x.sqrt() * (1.0 + 1e-6)) as f32;
    Quantised {
        scale,
        err_norm: up(err),
        hat_norm: up(hat),
    }
}

/// A query prepared for the int8 kernels.
#[derive(Debug, Clone)]
pub struct Query {
    /// The f32 vector, for re-ranking.
    pub vector: Vec<f32>,
    /// Its codes.
    pub codes: Vec<i8>,
    /// `|codes|`, for the kernels' sign trick.
    pub abs: Vec<u8>,
    /// Its quantisation.
    pub quant: Quantised,
    /// `‖y‖`, rounded up.
    pub norm: f32,
}

impl Query {
    /// Validates and prepares `v`.
    pub fn new(v: &[f32]) -> Result<Self, IndexError> {
        validate(v)?;
        let mut codes = vec![0i8; DIM];
        let quant = quantise(v, &mut codes);
        let abs = codes.iter().map(|c| c.unsigned_abs()).collect();
        let norm = v.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>().sqrt();
        Ok(Query {
            vector: v.to_vec(),
            codes,
            abs,
            quant,
            norm: (norm * (1.0 + 1e-6)) as f32,
        })
    }

    /// The error bound of an approximate score against rows whose largest `‖e‖` and `‖x̂‖`
    /// are `err_max` and `hat_max`, including the rounding of f32 arithmetic (the exact
    /// dot product's and the approximation's).
    pub fn bound(&self, err_max: f32, hat_max: f32) -> f32 {
        let quantisation = err_max * self.norm + hat_max * self.quant.err_norm;
        // Recursive-summation bound n·u·‖x‖‖y‖ for the f32 dot, doubled for the
        // approximation's own rounding; norms are at most 1 + tolerance.
        let rounding = (DIM as f32 + 4.0) * f32::EPSILON * 1.01 * self.norm;
        (quantisation + rounding) * (1.0 + 1e-5)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(seed: u64) -> Vec<f32> {
        let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let mut v: Vec<f32> = (0..DIM)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                (s >> 40) as f32 / (1u64 << 24) as f32 - 0.5
            })
            .collect();
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter_mut().for_each(|x| *x /= n);
        v
    }

    #[test]
    fn the_bound_holds_for_every_pair() {
        let vs: Vec<Vec<f32>> = (0..60).map(unit).collect();
        for x in &vs {
            let mut qx = vec![0i8; DIM];
            let a = quantise(x, &mut qx);
            assert!(qx.iter().all(|&c| c != -128));
            for y in &vs {
                let q = Query::new(y).unwrap();
                let int: i32 = qx
                    .iter()
                    .zip(&q.codes)
                    .map(|(&a, &b)| i32::from(a) * i32::from(b))
                    .sum();
                let approx = int as f32 * (a.scale * q.quant.scale);
                let real: f64 = x
                    .iter()
                    .zip(y)
                    .map(|(&a, &b)| f64::from(a) * f64::from(b))
                    .sum();
                let bound = q.bound(a.err_norm, a.hat_norm);
                assert!(
                    (f64::from(approx) - real).abs() <= f64::from(bound),
                    "{approx} vs {real} bound {bound}"
                );
                assert!(bound < 0.02, "bound {bound} is too loose to be useful");
            }
        }
    }

    #[test]
    fn bad_vectors_are_refused_with_the_reason() {
        let good = unit(1);
        assert!(validate(&good).is_ok());
        let msg = |v: &[f32]| validate(v).unwrap_err().to_string();
        assert!(msg(&good[..100]).contains("has 100 values"));
        let mut nan = good.clone();
        nan[3] = f32::NAN;
        assert!(msg(&nan).contains("value 3 is NaN"));
        let mut inf = good.clone();
        inf[0] = f32::INFINITY;
        assert!(msg(&inf).contains("not a finite number"));
        assert!(msg(&vec![0.0; DIM]).contains("norm 0.000000"));
        let doubled: Vec<f32> = good.iter().map(|x| x * 2.0).collect();
        assert!(msg(&doubled).contains("L2-normalised"));
    }
}
