//! Alignment: the similarity transform that maps a face's five key points onto the ArcFace
//! template, and the 112×112 crop the recogniser takes.

use image::RgbImage;

use crate::imgops::{warp_affine, Affine};

/// Side of the aligned crop the recogniser takes.
pub const ALIGNED_SIZE: u32 = 112;

/// Where the five key points (right eye, left eye, nose tip, right and left mouth corner,
/// as seen in the image: left to right) land in the 112×112 ArcFace crop.
pub const ARCFACE_TEMPLATE: [[f64; 2]; 5] = [
    [38.2946, 51.6963],
    [73.5318, 51.5014],
    [56.0252, 71.7366],
    [41.5493, 92.3655],
    [70.7299, 92.2041],
];

/// Least-squares similarity transform (rotation, uniform scale, translation; no
/// reflection) taking `src` points onto `dst` points: Umeyama's method, which in two
/// dimensions has this closed form. Returns `None` when the source points coincide.
pub fn similarity_transform(src: &[[f64; 2]], dst: &[[f64; 2]]) -> Option<Affine> {
    let n = src.len().min(dst.len());
    if n < 2 {
        return None;
    }
    let mean = |pts: &[[f64; 2]]| {
        let (sx, sy) = pts[..n]
            .iter()
            .fold((0.0, 0.0), |(a, b), p| (a + p[0], b + p[1]));
        [sx / n as f64, sy / n as f64]
    };
    let (ms, md) = (mean(src), mean(dst));
    let (mut dot, mut cross, mut norm) = (0.0, 0.0, 0.0);
    for (s, d) in src[..n].iter().zip(&dst[..n]) {
        let (sx, sy) = (s[0] - ms[0], s[1] - ms[1]);
        let (dx, dy) = (d[0] - md[0], d[1] - md[1]);
        dot += sx * dx + sy * dy;
        cross += sx * dy - sy * dx;
        norm += sx * sx + sy * sy;
    }
    if norm < 1e-12 || !norm.is_finite() {
        return None;
    }
    let (a, b) = (dot / norm, cross / norm);
    Some([
        [a, -b, md[0] - (a * ms[0] - b * ms[1])],
        [b, a, md[1] - (b * ms[0] + a * ms[1])],
    ])
}

/// The transform from image coordinates to the ArcFace crop for these key points.
pub fn arcface_transform(kps: &[[f32; 2]; 5]) -> Option<Affine> {
    let src = kps.map(|p| [f64::from(p[0]), f64::from(p[1])]);
    similarity_transform(&src, &ARCFACE_TEMPLATE)
}

/// The 112×112 aligned face crop for these key points; `None` for degenerate key points.
pub fn align_face(image: &RgbImage, kps: &[[f32; 2]; 5]) -> Option<RgbImage> {
    let m = arcface_transform(kps)?;
    warp_affine(image, &m, ALIGNED_SIZE, ALIGNED_SIZE)
}

/// Width and height of a face shown for comparison ([`align_for_comparison`]): the whole
/// head with ears, hairline and chin, upright, at one scale for every image.
pub const COMPARISON_SIZE: [u32; 2] = [320, 420];

/// Where the eyes (image left, image right) land in a face shown for comparison: level,
/// 100 pixels apart, so that two faces aligned this way are at the same scale.
pub const COMPARISON_EYES: [[f64; 2]; 2] = [[110.0, 185.0], [210.0, 185.0]];

/// A face straightened and scaled for comparison with another (the eyes exactly at
/// [`COMPARISON_EYES`]: no mirroring, no other distortion), and its five key points in that
/// frame; `None` when the eyes coincide.
pub fn align_for_comparison(
    image: &RgbImage,
    kps: &[[f32; 2]; 5],
) -> Option<(RgbImage, [[f32; 2]; 5])> {
    let eyes = [kps[0], kps[1]].map(|p| [f64::from(p[0]), f64::from(p[1])]);
    let m = similarity_transform(&eyes, &COMPARISON_EYES)?;
    let [w, h] = COMPARISON_SIZE;
    let face = warp_affine(image, &m, w, h)?;
    let points = kps.map(|p| {
        let (x, y) = (f64::from(p[0]), f64::from(p[1]));
        [
            (m[0][0] * x + m[0][1] * y + m[0][2]) as f32,
            (m[1][0] * x + m[1][1] * y + m[1][2]) as f32,
        ]
    });
    Some((face, points))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(m: &Affine, p: [f64; 2]) -> [f64; 2] {
        [
            m[0][0] * p[0] + m[0][1] * p[1] + m[0][2],
            m[1][0] * p[0] + m[1][1] * p[1] + m[1][2],
        ]
    }

    #[test]
    fn a_face_for_comparison_has_its_eyes_level_and_100_pixels_apart() {
        // A tilted, small face: eyes 40 px apart at 30 degrees.
        let (c, s) = (30f32.to_radians().cos(), 30f32.to_radians().sin());
        let at = |dx: f32, dy: f32| [200.0 + c * dx - s * dy, 150.0 + s * dx + c * dy];
        let kps = [
            at(-20.0, 0.0),
            at(20.0, 0.0),
            at(0.0, 20.0),
            at(-15.0, 40.0),
            at(15.0, 40.0),
        ];
        let image = RgbImage::from_pixel(400, 300, image::Rgb([90, 90, 90]));
        let (face, points) = align_for_comparison(&image, &kps).unwrap();
        assert_eq!([face.width(), face.height()], COMPARISON_SIZE);
        for (p, e) in points.iter().zip(COMPARISON_EYES) {
            assert!((f64::from(p[0]) - e[0]).abs() < 1e-3 && (f64::from(p[1]) - e[1]).abs() < 1e-3);
        }
        // The nose: straight below the eyes' middle, at 2.5× the scale (50 px).
        assert!((points[2][0] - 160.0).abs() < 1e-3 && (points[2][1] - 235.0).abs() < 1e-3);
        assert!(align_for_comparison(&image, &[[5.0, 5.0]; 5]).is_none());
    }

    #[test]
    fn recovers_an_exact_similarity() {
        let (s, t): (f64, f64) = (2.5, 0.4);
        let truth = [
            [s * t.cos(), -s * t.sin(), 10.0],
            [s * t.sin(), s * t.cos(), -3.0],
        ];
        let src = ARCFACE_TEMPLATE;
        let dst = src.map(|p| apply(&truth, p));
        let m = similarity_transform(&src, &dst).unwrap();
        for r in 0..2 {
            for c in 0..3 {
                assert!((m[r][c] - truth[r][c]).abs() < 1e-9, "{m:?}");
            }
        }
    }

    #[test]
    fn template_maps_to_itself() {
        let kps = ARCFACE_TEMPLATE.map(|p| [p[0] as f32, p[1] as f32]);
        let m = arcface_transform(&kps).unwrap();
        assert!((m[0][0] - 1.0).abs() < 1e-6 && m[0][1].abs() < 1e-6 && m[0][2].abs() < 1e-4);
    }

    #[test]
    fn never_reflects() {
        // Mirror-image points: the best similarity without reflection is not a mirror.
        let src = ARCFACE_TEMPLATE;
        let dst = src.map(|p| [112.0 - p[0], p[1]]);
        let m = similarity_transform(&src, &dst).unwrap();
        let det = m[0][0] * m[1][1] - m[0][1] * m[1][0];
        assert!(det >= 0.0);
    }

    #[test]
    fn coincident_points_are_refused() {
        assert!(arcface_transform(&[[5.0, 5.0]; 5]).is_none());
    }
}
