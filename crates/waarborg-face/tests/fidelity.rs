//! Fidelity against the reference: Waarborg's engine must find every face InsightFace finds
//! (IoU ≥ 0.9), put the key points within 1.5 px and give templates with cosine ≥ 0.995.
//!
//! The expected values were recorded by `scripts/reference/record_insightface.py` running
//! the `insightface` package itself; they are never this engine's own output.

mod common;

use serde::Deserialize;
use waarborg_face::decode::decode_file;
use waarborg_face::{similarity, AnalyzedFace, DecodeLimits};

#[derive(Deserialize)]
struct Reference {
    images: Vec<RefImage>,
}

#[derive(Deserialize)]
struct RefImage {
    image: String,
    source: String,
    sha256: String,
    width: u32,
    height: u32,
    faces: Vec<RefFace>,
}

#[derive(Deserialize)]
struct RefFace {
    bbox: [f32; 4],
    kps: [[f32; 2]; 5],
    det_score: f32,
    embedding: Vec<f32>,
}

fn iou(a: &[f32; 4], b: &[f32; 4]) -> f32 {
    let w = (a[2].min(b[2]) - a[0].max(b[0])).max(0.0);
    let h = (a[3].min(b[3]) - a[1].max(b[1])).max(0.0);
    let inter = w * h;
    let area = |r: &[f32; 4]| (r[2] - r[0]) * (r[3] - r[1]);
    inter / (area(a) + area(b) - inter)
}

#[test]
fn every_reference_face_is_found_with_matching_key_points_and_template() {
    let text = std::fs::read_to_string(common::data("insightface_reference.json")).unwrap();
    let reference: Reference = serde_json::from_str(&text).unwrap();
    let models = common::models();
    let engine = common::engine();
    let (mut faces, mut worst_iou, mut worst_kp, mut worst_cos) = (0, 1.0f32, 0.0f32, 1.0f32);
    for img in &reference.images {
        let path = if img.source == "tests/data" {
            common::data(&img.image)
        } else {
            models.samples.join(&img.image)
        };
        let hash = waarborg_models::sha256_file(&path).unwrap();
        assert_eq!(
            hash, img.sha256,
            "{} is not the image the reference was recorded on",
            img.image
        );
        let pixels = decode_file(&path, &DecodeLimits::default()).unwrap();
        assert_eq!(
            pixels.dimensions(),
            (img.width, img.height),
            "{}",
            img.image
        );
        let ours: Vec<AnalyzedFace> = engine.analyze(&pixels, true).unwrap();
        for (n, want) in img.faces.iter().enumerate() {
            let (best, overlap) = ours
                .iter()
                .map(|f| (f, iou(&f.bbox, &want.bbox)))
                .max_by(|a, b| a.1.total_cmp(&b.1))
                .unwrap_or_else(|| panic!("{} face {n}: no face found", img.image));
            assert!(overlap >= 0.9, "{} face {n}: best IoU {overlap}", img.image);
            let kp_err = best
                .kps
                .iter()
                .zip(&want.kps)
                .map(|(a, b)| ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt())
                .fold(0.0f32, f32::max);
            assert!(
                kp_err <= 1.5,
                "{} face {n}: key point off by {kp_err} px",
                img.image
            );
            let cos = similarity(best.embedding.as_ref().unwrap(), &want.embedding);
            assert!(
                cos >= 0.995,
                "{} face {n}: template cosine {cos}",
                img.image
            );
            assert!(
                (best.det_score - want.det_score).abs() < 0.05,
                "{} face {n}: score",
                img.image
            );
            faces += 1;
            worst_iou = worst_iou.min(overlap);
            worst_kp = worst_kp.max(kp_err);
            worst_cos = worst_cos.min(cos);
        }
        // Extra faces are allowed only at the edge of the score threshold.
        for f in &ours {
            let matched = img.faces.iter().any(|w| iou(&f.bbox, &w.bbox) >= 0.9);
            assert!(
                matched || f.det_score < 0.52,
                "{}: extra face {:?}",
                img.image,
                f.bbox
            );
        }
    }
    assert!(faces >= 32, "only {faces} reference faces checked");
    eprintln!("{faces} faces: worst IoU {worst_iou:.4}, worst key point {worst_kp:.3} px, worst cosine {worst_cos:.5}");
}
