//! The quality report: the examiner's first question about a probe, "is this face good
//! enough to search?", answered with measurements and a verdict that lists its reasons.
//!
//! Measurements come from the detection (score, box, key points) and from the aligned
//! 112×112 crop the recogniser would see (sharpness, brightness, contrast). Pose is
//! estimated from the key points alone, so it is an estimate, and says so.

use image::RgbImage;
use serde::{Deserialize, Serialize};

use crate::detect::Detection;

/// Thresholds for the verdict. The defaults are deliberately permissive about pose and
/// strict about resolution: a small face yields a template that matches unreliably.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct QualityThresholds {
    /// Lowest detector score.
    pub min_det_score: f32,
    /// Fewest pixels between the eye centres.
    pub min_interocular_px: f32,
    /// Largest estimated left-right head turn, degrees.
    pub max_abs_yaw_deg: f32,
    /// Largest in-plane head tilt, degrees.
    pub max_abs_roll_deg: f32,
    /// Lowest variance of the Laplacian of the aligned gray crop.
    pub min_sharpness: f32,
    /// Darkest acceptable mean gray level (0–255) of the aligned crop.
    pub min_brightness: f32,
    /// Brightest acceptable mean gray level.
    pub max_brightness: f32,
    /// Lowest standard deviation of gray levels.
    pub min_contrast: f32,
}

impl Default for QualityThresholds {
    fn default() -> Self {
        Self {
            min_det_score: 0.6,
            min_interocular_px: 20.0,
            max_abs_yaw_deg: 40.0,
            max_abs_roll_deg: 30.0,
            min_sharpness: 20.0,
            min_brightness: 40.0,
            max_brightness: 215.0,
            min_contrast: 20.0,
        }
    }
}

/// A quality threshold a face can fail (a stable key for counting: reports give the
/// reasons why probes were judged insufficient).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QualityCheck {
    /// The detector is not confident enough that this is a face.
    DetectorScore,
    /// The face is too small (eyes too close together in pixels).
    EyeDistance,
    /// The head is turned too far.
    Yaw,
    /// The head is tilted too far.
    Roll,
    /// Too blurred.
    Sharpness,
    /// Too dark.
    TooDark,
    /// Too bright.
    TooBright,
    /// Too little contrast.
    Contrast,
}

impl QualityCheck {
    /// The key, as in JSON and the ledger.
    pub fn as_str(self) -> &'static str {
        match self {
            QualityCheck::DetectorScore => "detector_score",
            QualityCheck::EyeDistance => "eye_distance",
            QualityCheck::Yaw => "yaw",
            QualityCheck::Roll => "roll",
            QualityCheck::Sharpness => "sharpness",
            QualityCheck::TooDark => "too_dark",
            QualityCheck::TooBright => "too_bright",
            QualityCheck::Contrast => "contrast",
        }
    }
}

/// Measurements of one face and the verdict on them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QualityReport {
    /// Detector confidence.
    pub det_score: f32,
    /// Face box width in image pixels.
    pub box_width_px: f32,
    /// Face box height in image pixels.
    pub box_height_px: f32,
    /// Distance between the eye centres in image pixels.
    pub interocular_px: f32,
    /// Estimated left-right head turn in degrees (0 is frontal; sign: towards image right).
    pub yaw_deg: f32,
    /// In-plane tilt of the eye line in degrees (0 is level).
    pub roll_deg: f32,
    /// Variance of the Laplacian of the aligned gray crop (higher is sharper).
    pub sharpness: f32,
    /// Mean gray level of the aligned crop, 0–255.
    pub brightness: f32,
    /// Standard deviation of gray levels of the aligned crop.
    pub contrast: f32,
    /// `true` when no threshold is violated.
    pub sufficient: bool,
    /// One sentence per violated threshold; empty when sufficient.
    pub reasons: Vec<String>,
    /// The violated thresholds, one per reason, in the same order.
    #[serde(default)]
    pub failed: Vec<QualityCheck>,
}

/// Measures a face and judges it against `thresholds`.
pub fn assess(
    det: &Detection,
    aligned: &RgbImage,
    thresholds: &QualityThresholds,
) -> QualityReport {
    let [re, le, nose, _, _] = det.kps;
    let (dx, dy) = (le[0] - re[0], le[1] - re[1]);
    let interocular_px = (dx * dx + dy * dy).sqrt();
    let roll_deg = dy.atan2(dx).to_degrees();
    // Yaw: where the nose tip sits between the eyes, measured along the eye line. A frontal
    // face has it in the middle; turning moves it towards one eye. atan of the offset
    // relative to half the eye distance (nose depth ≈ half the eye distance).
    let mid = [(re[0] + le[0]) / 2.0, (re[1] + le[1]) / 2.0];
    let yaw_deg = if interocular_px > 0.0 {
        let along = ((nose[0] - mid[0]) * dx + (nose[1] - mid[1]) * dy) / interocular_px;
        (along / (interocular_px / 2.0)).atan().to_degrees()
    } else {
        0.0
    };
    let gray = to_gray(aligned);
    let (brightness, contrast) = mean_and_std(&gray);
    let sharpness = laplacian_variance(&gray, aligned.width() as usize, aligned.height() as usize);

    let t = thresholds;
    let mut reasons = Vec::new();
    let mut failed = Vec::new();
    if det.score < t.min_det_score {
        reasons.push(format!(
            "detector score {:.2} is below {:.2}",
            det.score, t.min_det_score
        ));
        failed.push(QualityCheck::DetectorScore);
    }
    if interocular_px < t.min_interocular_px {
        reasons.push(format!(
            "eyes are {interocular_px:.1} px apart; at least {:.0} px needed",
            t.min_interocular_px
        ));
        failed.push(QualityCheck::EyeDistance);
    }
    if yaw_deg.abs() > t.max_abs_yaw_deg {
        reasons.push(format!(
            "head turned about {:.0}°; at most {:.0}°",
            yaw_deg.abs(),
            t.max_abs_yaw_deg
        ));
        failed.push(QualityCheck::Yaw);
    }
    if roll_deg.abs() > t.max_abs_roll_deg {
        reasons.push(format!(
            "head tilted {:.0}°; at most {:.0}°",
            roll_deg.abs(),
            t.max_abs_roll_deg
        ));
        failed.push(QualityCheck::Roll);
    }
    if sharpness < t.min_sharpness {
        reasons.push(format!(
            "too blurred (sharpness {sharpness:.1}, at least {:.1})",
            t.min_sharpness
        ));
        failed.push(QualityCheck::Sharpness);
    }
    if brightness < t.min_brightness {
        reasons.push(format!(
            "too dark (mean level {brightness:.0}, at least {:.0})",
            t.min_brightness
        ));
        failed.push(QualityCheck::TooDark);
    }
    if brightness > t.max_brightness {
        reasons.push(format!(
            "too bright (mean level {brightness:.0}, at most {:.0})",
            t.max_brightness
        ));
        failed.push(QualityCheck::TooBright);
    }
    if contrast < t.min_contrast {
        reasons.push(format!(
            "too little contrast ({contrast:.1}, at least {:.1})",
            t.min_contrast
        ));
        failed.push(QualityCheck::Contrast);
    }
    QualityReport {
        det_score: det.score,
        box_width_px: det.bbox[2] - det.bbox[0],
        box_height_px: det.bbox[3] - det.bbox[1],
        interocular_px,
        yaw_deg,
        roll_deg,
        sharpness,
        brightness,
        contrast,
        sufficient: reasons.is_empty(),
        reasons,
        failed,
    }
}

/// ITU-R BT.601 luma.
fn to_gray(img: &RgbImage) -> Vec<f32> {
    img.as_raw()
        .chunks_exact(3)
        .map(|p| 0.299 * f32::from(p[0]) + 0.587 * f32::from(p[1]) + 0.114 * f32::from(p[2]))
        .collect()
}

fn mean_and_std(values: &[f32]) -> (f32, f32) {
    if values.is_empty() {
        return (0.0, 0.0);
    }
    let n = values.len() as f64;
    let mean = values.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
    let var = values
        .iter()
        .map(|&v| (f64::from(v) - mean).powi(2))
        .sum::<f64>()
        / n;
    (mean as f32, var.sqrt() as f32)
}

/// Variance of the 4-neighbour Laplacian over the interior pixels.
fn laplacian_variance(gray: &[f32], w: usize, h: usize) -> f32 {
    if w < 3 || h < 3 {
        return 0.0;
    }
    let mut lap = Vec::with_capacity((w - 2) * (h - 2));
    for y in 1..h - 1 {
        for x in 1..w - 1 {
            let c = gray[y * w + x];
            lap.push(
                gray[y * w + x - 1]
                    + gray[y * w + x + 1]
                    + gray[(y - 1) * w + x]
                    + gray[(y + 1) * w + x]
                    - 4.0 * c,
            );
        }
    }
    let (_, std) = mean_and_std(&lap);
    std * std
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    fn frontal(scale: f32) -> Detection {
        let kps =
            crate::align::ARCFACE_TEMPLATE.map(|p| [p[0] as f32 * scale, p[1] as f32 * scale]);
        Detection {
            bbox: [0.0, 0.0, 112.0 * scale, 112.0 * scale],
            score: 0.9,
            kps,
        }
    }

    fn checkerboard() -> RgbImage {
        RgbImage::from_fn(112, 112, |x, y| {
            if (x / 4 + y / 4) % 2 == 0 {
                Rgb([60, 60, 60])
            } else {
                Rgb([190, 190, 190])
            }
        })
    }

    #[test]
    fn a_large_sharp_frontal_face_is_sufficient() {
        let r = assess(
            &frontal(2.0),
            &checkerboard(),
            &QualityThresholds::default(),
        );
        assert!(r.sufficient, "{:?}", r.reasons);
        assert!(r.yaw_deg.abs() < 1.0 && r.roll_deg.abs() < 1.0);
        assert!((r.interocular_px - 70.47).abs() < 0.1);
    }

    #[test]
    fn a_small_flat_dark_face_is_insufficient_with_every_reason() {
        let mut det = frontal(0.25);
        det.score = 0.55;
        let flat = RgbImage::from_pixel(112, 112, Rgb([10, 10, 10]));
        let r = assess(&det, &flat, &QualityThresholds::default());
        assert!(!r.sufficient);
        let text = r.reasons.join("; ");
        for word in ["score", "apart", "blurred", "dark", "contrast"] {
            assert!(text.contains(word), "missing {word}: {text}");
        }
    }

    #[test]
    fn turned_and_tilted_faces_are_measured() {
        let mut det = frontal(2.0);
        // Nose moved most of the way to the left eye: a strong turn.
        det.kps[2][0] = det.kps[1][0] - 5.0;
        let r = assess(&det, &checkerboard(), &QualityThresholds::default());
        assert!(r.yaw_deg > 40.0, "{}", r.yaw_deg);
        assert!(!r.sufficient);

        let mut det = frontal(2.0);
        det.kps[1][1] += 70.0; // left eye far lower: 45° tilt
        let r = assess(&det, &checkerboard(), &QualityThresholds::default());
        assert!((r.roll_deg - 45.0).abs() < 1.0, "{}", r.roll_deg);
    }
}
