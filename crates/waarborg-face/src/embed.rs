//! ArcFace templates: aligned 112×112 crops in, L2-normalised 512-d vectors out, batched.

use image::RgbImage;
use ort::session::Session;
use ort::value::TensorRef;

use crate::align::ALIGNED_SIZE;
use crate::runtime::SessionPool;
use crate::FaceError;

/// Length of a template.
pub const TEMPLATE_DIM: usize = 512;

/// Largest batch sent to the recogniser in one run; bigger requests are split.
pub const MAX_BATCH: usize = 32;

/// A face template: L2-normalised, so the similarity of two templates is their dot product.
pub type Template = Vec<f32>;

/// Similarity of two templates (cosine, as both are unit length).
pub fn similarity(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn normalised(v: &[f32]) -> Template {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 && norm.is_finite() {
        v.iter().map(|x| x / norm).collect()
    } else {
        vec![0.0; v.len()]
    }
}

/// Templates for aligned crops, in order. A batch is split over the sessions that are idle
/// when it starts, each part on its own thread.
pub(crate) fn embed(
    pool: &SessionPool,
    crops: &[&RgbImage],
    norm: crate::Normalisation,
) -> Result<Vec<Template>, FaceError> {
    let mut out = Vec::with_capacity(crops.len());
    for chunk in crops.chunks(MAX_BATCH) {
        let mut sessions = pool.acquire_idle(chunk.len());
        if sessions.len() == 1 {
            out.extend(run_batch(&mut sessions[0], chunk, norm)?);
            continue;
        }
        let per = chunk.len().div_ceil(sessions.len());
        let parts: Vec<Result<Vec<Template>, FaceError>> = std::thread::scope(|scope| {
            let handles: Vec<_> = sessions
                .iter_mut()
                .zip(chunk.chunks(per))
                .map(|(session, part)| {
                    let session: &mut Session = session;
                    scope.spawn(move || run_batch(session, part, norm))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| {
                        Err(FaceError::Inference("a recogniser thread panicked".into()))
                    })
                })
                .collect()
        });
        for part in parts {
            out.extend(part?);
        }
    }
    Ok(out)
}

fn run_batch(
    session: &mut Session,
    crops: &[&RgbImage],
    norm: crate::Normalisation,
) -> Result<Vec<Template>, FaceError> {
    let side = ALIGNED_SIZE as usize;
    let plane = side * side;
    let mut blob = vec![0f32; crops.len() * 3 * plane];
    for (i, crop) in crops.iter().enumerate() {
        if crop.dimensions() != (ALIGNED_SIZE, ALIGNED_SIZE) {
            return Err(FaceError::Inference(format!(
                "aligned crops must be {ALIGNED_SIZE}×{ALIGNED_SIZE}"
            )));
        }
        let base = i * 3 * plane;
        for (p, px) in crop.as_raw().chunks_exact(3).enumerate() {
            for c in 0..3 {
                blob[base + c * plane + p] = norm.apply(px[c]);
            }
        }
    }
    let tensor = TensorRef::from_array_view(([crops.len(), 3, side, side], blob.as_slice()))
        .map_err(|e| FaceError::Inference(e.to_string()))?;
    let outputs = session
        .run(ort::inputs![tensor])
        .map_err(|e| FaceError::Inference(e.to_string()))?;
    let (_, data) = outputs[0]
        .try_extract_tensor::<f32>()
        .map_err(|e| FaceError::Inference(e.to_string()))?;
    if data.len() != crops.len() * TEMPLATE_DIM {
        return Err(FaceError::Inference(format!(
            "the recogniser returned {} values for {} faces",
            data.len(),
            crops.len()
        )));
    }
    Ok(data.chunks_exact(TEMPLATE_DIM).map(normalised).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalised_has_unit_length_and_zero_stays_zero() {
        let v = normalised(&[3.0, 4.0]);
        assert!((similarity(&v, &v) - 1.0).abs() < 1e-6);
        assert_eq!(normalised(&[0.0, 0.0]), vec![0.0, 0.0]);
    }
}
