//! Synthetic templates and the brute-force reference the index must equal.
#![allow(dead_code)]

use std::path::PathBuf;

use waarborg_index::kernels::dot_f32;
use waarborg_index::DIM;

/// A deterministic generator (xorshift64*), so failures reproduce.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Roughly normal: the sum of four uniforms, centred.
    pub fn normal(&mut self) -> f32 {
        (0..4)
            .map(|_| (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32)
            .sum::<f32>()
            - 2.0
    }

    pub fn unit(&mut self) -> Vec<f32> {
        normalised((0..DIM).map(|_| self.normal()).collect())
    }

    /// A unit vector at about `cos` similarity to `to`.
    pub fn near(&mut self, to: &[f32], cos: f32) -> Vec<f32> {
        let noise = self.unit();
        let sin = (1.0 - cos * cos).max(0.0).sqrt();
        normalised(
            to.iter()
                .zip(&noise)
                .map(|(a, b)| cos * a + sin * b)
                .collect(),
        )
    }
}

pub fn normalised(mut v: Vec<f32>) -> Vec<f32> {
    let n = v
        .iter()
        .map(|&x| f64::from(x) * f64::from(x))
        .sum::<f64>()
        .sqrt() as f32;
    v.iter_mut().for_each(|x| *x /= n);
    v
}

pub fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("waarborg-index-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// Brute force over `(id, database, vector)`: every score, sorted by score then id.
pub fn brute_force(
    live: &[(u64, String, Vec<f32>)],
    query: &[f32],
    k: usize,
    min_score: Option<f32>,
    databases: Option<&[&str]>,
) -> Vec<(u64, f32)> {
    let mut all: Vec<(u64, f32)> = live
        .iter()
        .filter(|(_, db, _)| databases.is_none_or(|d| d.contains(&db.as_str())))
        .map(|(id, _, v)| (*id, dot_f32(v, query)))
        .filter(|(_, s)| min_score.is_none_or(|m| *s >= m))
        .collect();
    all.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    all.truncate(k);
    all
}
