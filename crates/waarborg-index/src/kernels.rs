//! The two inner loops: int8 dot products over many rows (the scan) and the f32 dot
//! product (re-ranking), with AVX2 chosen at run time and portable fallbacks.
//!
//! The f32 dot product defines what "exact" means for this index: brute force and the
//! re-ranking both use [`dot_f32`], so on one machine they agree bit for bit.

use crate::quant::{Query, DIM};

/// Whether the AVX2 (and FMA) kernels can run on this CPU.
pub fn simd_level() -> &'static str {
    if avx2() {
        "avx2+fma"
    } else {
        "portable"
    }
}

#[cfg(target_arch = "x86_64")]
fn avx2() -> bool {
    std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
}

#[cfg(not(target_arch = "x86_64"))]
fn avx2() -> bool {
    false
}

/// `out[r] = codes[r]·query.codes` for every row `r` of `codes` (`out.len()` rows of [`DIM`]).
pub fn scores_i8(codes: &[i8], query: &Query, out: &mut [i32]) {
    assert_eq!(codes.len(), out.len() * DIM, "rows and outputs disagree");
    #[cfg(target_arch = "x86_64")]
    if avx2() {
        // SAFETY: AVX2 is present; every row read is within `codes` (checked above) and the
        // query's arrays have DIM elements (built by `Query::new`).
        unsafe { x86::scores_i8(codes, &query.codes, &query.abs, out) };
        return;
    }
    for (row, o) in codes.chunks_exact(DIM).zip(out.iter_mut()) {
        *o = row
            .iter()
            .zip(&query.codes)
            .map(|(&a, &b)| i32::from(a) * i32::from(b))
            .sum();
    }
}

/// The f32 dot product of two templates.
pub fn dot_f32(a: &[f32], b: &[f32]) -> f32 {
    assert!(
        a.len() == DIM && b.len() == DIM,
        "templates have {DIM} values"
    );
    #[cfg(target_arch = "x86_64")]
    if avx2() {
        // SAFETY: AVX2 and FMA are present; both slices have DIM elements.
        return unsafe { x86::dot_f32(a, b) };
    }
    // Eight lanes of four partial sums, as the AVX2 kernel keeps them, for comparable
    // rounding on every machine.
    let mut acc = [0f32; 32];
    for k in (0..DIM).step_by(32) {
        for (l, s) in acc.iter_mut().enumerate() {
            *s = a[k + l].mul_add(b[k + l], *s);
        }
    }
    acc.iter().sum()
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    use crate::quant::DIM;

    #[target_feature(enable = "avx2")]
    unsafe fn hsum_epi32(v: __m256i) -> i32 {
        let s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
        let s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0b01_00_11_10));
        let s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0b10_11_00_01));
        _mm_cvtsi128_si32(s)
    }

    /// Int8 dot products by the sign trick: `|q|·(r·sign(q))` with `vpmaddubsw` (pairs
    /// stay below 2·127·127, no saturation; codes are never −128), widened by `vpmaddwd`.
    #[target_feature(enable = "avx2")]
    pub unsafe fn scores_i8(codes: &[i8], q: &[i8], abs: &[u8], out: &mut [i32]) {
        let ones = _mm256_set1_epi16(1);
        let qp = q.as_ptr() as *const __m256i;
        let ap = abs.as_ptr() as *const __m256i;
        for (r, o) in out.iter_mut().enumerate() {
            let row = codes.as_ptr().add(r * DIM) as *const __m256i;
            let mut acc0 = _mm256_setzero_si256();
            let mut acc1 = _mm256_setzero_si256();
            let mut k = 0;
            while k < DIM / 32 {
                let s0 = _mm256_sign_epi8(
                    _mm256_loadu_si256(row.add(k)),
                    _mm256_loadu_si256(qp.add(k)),
                );
                let p0 = _mm256_maddubs_epi16(_mm256_loadu_si256(ap.add(k)), s0);
                acc0 = _mm256_add_epi32(acc0, _mm256_madd_epi16(p0, ones));
                let s1 = _mm256_sign_epi8(
                    _mm256_loadu_si256(row.add(k + 1)),
                    _mm256_loadu_si256(qp.add(k + 1)),
                );
                let p1 = _mm256_maddubs_epi16(_mm256_loadu_si256(ap.add(k + 1)), s1);
                acc1 = _mm256_add_epi32(acc1, _mm256_madd_epi16(p1, ones));
                k += 2;
            }
            *o = hsum_epi32(_mm256_add_epi32(acc0, acc1));
        }
    }

    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn dot_f32(a: &[f32], b: &[f32]) -> f32 {
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        let mut acc = [_mm256_setzero_ps(); 4];
        let mut k = 0;
        while k < DIM {
            for (l, s) in acc.iter_mut().enumerate() {
                let o = k + 8 * l;
                *s = _mm256_fmadd_ps(_mm256_loadu_ps(pa.add(o)), _mm256_loadu_ps(pb.add(o)), *s);
            }
            k += 32;
        }
        let mut lanes = [0f32; 32];
        for (l, s) in acc.iter().enumerate() {
            _mm256_storeu_ps(lanes.as_mut_ptr().add(8 * l), *s);
        }
        // The same order of summation as the portable fallback.
        lanes.iter().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simd_and_portable_int8_scores_agree_exactly() {
        let mut v: Vec<f32> = (0..DIM).map(|i| ((i * 7919) % 113) as f32 - 56.0).collect();
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter_mut().for_each(|x| *x /= n);
        let q = Query::new(&v).unwrap();
        // Extreme codes included: ±127 everywhere maximises the pair sums.
        let mut codes: Vec<i8> = (0..DIM * 9)
            .map(|i| ((i * 31 + 7) % 255) as i32 - 127)
            .map(|c| c as i8)
            .collect();
        codes[..DIM].iter_mut().for_each(|c| *c = 127);
        codes[DIM..2 * DIM]
            .iter_mut()
            .zip(&q.codes)
            .for_each(|(c, &qc)| *c = if qc < 0 { -127 } else { 127 });
        let mut fast = vec![0; 9];
        scores_i8(&codes, &q, &mut fast);
        let slow: Vec<i32> = codes
            .chunks_exact(DIM)
            .map(|r| {
                r.iter()
                    .zip(&q.codes)
                    .map(|(&a, &b)| i32::from(a) * i32::from(b))
                    .sum()
            })
            .collect();
        assert_eq!(fast, slow);
    }

    #[test]
    fn f32_dot_is_close_to_the_real_product() {
        let a: Vec<f32> = (0..DIM).map(|i| (i as f32 * 0.37).sin() / 16.0).collect();
        let b: Vec<f32> = (0..DIM).map(|i| (i as f32 * 0.11).cos() / 16.0).collect();
        let real: f64 = a
            .iter()
            .zip(&b)
            .map(|(&x, &y)| f64::from(x) * f64::from(y))
            .sum();
        assert!((f64::from(dot_f32(&a, &b)) - real).abs() < 1e-6);
    }
}
