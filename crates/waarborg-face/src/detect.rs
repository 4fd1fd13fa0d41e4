//! SCRFD face detection with five key points, decoded as the reference does.
//!
//! The image is resized, keeping its aspect ratio, into the top-left corner of a square
//! canvas (640×640 by default), normalised in RGB order as the model pair's manifest says
//! (SCRFD's (x − 127.5) / 128 for the default models), and run
//! through the network. Each of the three strides (8, 16, 32) gives, for two anchors per
//! grid location, a score, four distances to the box sides and ten key-point offsets, all
//! in units of the stride. Candidates at or above the score threshold are merged by
//! non-maximum suppression.

use image::RgbImage;
use ort::value::TensorRef;

use crate::imgops::resize_linear;
use crate::runtime::SessionPool;
use crate::FaceError;

const STRIDES: [usize; 3] = [8, 16, 32];
const ANCHORS_PER_LOCATION: usize = 2;

/// Detector settings. Changing any of them is a technology change (invariant 5).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DetectorConfig {
    /// Side of the square network input in pixels (a multiple of 32).
    pub input_size: u32,
    /// Lowest detector score kept.
    pub score_threshold: f32,
    /// Overlap (IoU) above which the weaker of two detections is dropped.
    pub nms_iou: f32,
}

impl Default for DetectorConfig {
    fn default() -> Self {
        Self {
            input_size: 640,
            score_threshold: 0.5,
            nms_iou: 0.4,
        }
    }
}

/// One detected face, in the pixel coordinates of the image given.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Detection {
    /// `[x1, y1, x2, y2]`.
    pub bbox: [f32; 4],
    /// Detector confidence, 0 to 1.
    pub score: f32,
    /// Right eye, left eye, nose tip, right and left mouth corner (image left to right).
    pub kps: [[f32; 2]; 5],
}

/// The network input for one image and the factor from image to canvas coordinates.
pub(crate) struct DetectorInput {
    pub blob: Vec<f32>,
    pub scale: f32,
}

/// Resizes and normalises an image into the detector's square canvas.
pub(crate) fn prepare(
    image: &RgbImage,
    input_size: u32,
    norm: crate::Normalisation,
) -> DetectorInput {
    // f64 and truncation as in the reference (Python floats and `int()`).
    let (w, h) = (f64::from(image.width()), f64::from(image.height()));
    let side = input_size as usize;
    let image_ratio = h / w;
    let (new_w, new_h) = if image_ratio > 1.0 {
        ((f64::from(input_size) / image_ratio) as u32, input_size)
    } else {
        (input_size, (f64::from(input_size) * image_ratio) as u32)
    };
    let (new_w, new_h) = (new_w.max(1), new_h.max(1));
    let scale = (f64::from(new_h) / h) as f32;
    let resized = resize_linear(image, new_w, new_h);
    // Planar RGB; the padding is a black pixel after normalisation, as in the reference.
    let pad = norm.apply(0);
    let mut blob = vec![pad; 3 * side * side];
    let plane = side * side;
    let (rw, rh) = (new_w as usize, new_h as usize);
    let raw = resized.as_raw();
    for y in 0..rh {
        let row = &raw[y * rw * 3..(y + 1) * rw * 3];
        for x in 0..rw {
            let o = y * side + x;
            blob[o] = norm.apply(row[x * 3]);
            blob[plane + o] = norm.apply(row[x * 3 + 1]);
            blob[2 * plane + o] = norm.apply(row[x * 3 + 2]);
        }
    }
    DetectorInput { blob, scale }
}

/// Runs the detector network on prepared inputs and decodes the detections.
pub(crate) fn detect(
    pool: &SessionPool,
    config: &DetectorConfig,
    input: &DetectorInput,
) -> Result<Vec<Detection>, FaceError> {
    let side = config.input_size as usize;
    let tensor = TensorRef::from_array_view(([1usize, 3, side, side], input.blob.as_slice()))
        .map_err(|e| FaceError::Inference(e.to_string()))?;
    let mut session = pool.acquire();
    let outputs = session
        .run(ort::inputs![tensor])
        .map_err(|e| FaceError::Inference(e.to_string()))?;
    if outputs.len() != 9 {
        return Err(FaceError::Inference(format!(
            "the detector has {} outputs; SCRFD with key points has 9",
            outputs.len()
        )));
    }
    let mut candidates = Vec::new();
    for (level, &stride) in STRIDES.iter().enumerate() {
        let extract = |i: usize| {
            outputs[i]
                .try_extract_tensor::<f32>()
                .map(|(_, data)| data)
                .map_err(|e| FaceError::Inference(e.to_string()))
        };
        let scores = extract(level)?;
        let boxes = extract(level + 3)?;
        let kps = extract(level + 6)?;
        let cells = side / stride;
        let count = cells * cells * ANCHORS_PER_LOCATION;
        if scores.len() != count || boxes.len() != count * 4 || kps.len() != count * 10 {
            return Err(FaceError::Inference(format!(
                "unexpected detector output sizes at stride {stride}"
            )));
        }
        decode_level(
            stride,
            cells,
            scores,
            boxes,
            kps,
            config.score_threshold,
            input.scale,
            &mut candidates,
        );
    }
    Ok(suppress(candidates, config.nms_iou))
}

#[allow(clippy::too_many_arguments)]
fn decode_level(
    stride: usize,
    cells: usize,
    scores: &[f32],
    boxes: &[f32],
    kps: &[f32],
    threshold: f32,
    scale: f32,
    out: &mut Vec<Detection>,
) {
    let s = stride as f32;
    for (i, &score) in scores.iter().enumerate() {
        if score < threshold {
            continue;
        }
        let cell = i / ANCHORS_PER_LOCATION;
        let cx = ((cell % cells) * stride) as f32;
        let cy = ((cell / cells) * stride) as f32;
        let d = &boxes[i * 4..i * 4 + 4];
        let bbox = [
            (cx - d[0] * s) / scale,
            (cy - d[1] * s) / scale,
            (cx + d[2] * s) / scale,
            (cy + d[3] * s) / scale,
        ];
        let k = &kps[i * 10..i * 10 + 10];
        let points =
            std::array::from_fn(|p| [(cx + k[2 * p] * s) / scale, (cy + k[2 * p + 1] * s) / scale]);
        out.push(Detection {
            bbox,
            score,
            kps: points,
        });
    }
}

/// Greedy non-maximum suppression, best score first; equal scores keep their order.
fn suppress(mut candidates: Vec<Detection>, iou_threshold: f32) -> Vec<Detection> {
    candidates.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut keep: Vec<Detection> = Vec::new();
    let area = |b: &[f32; 4]| (b[2] - b[0] + 1.0) * (b[3] - b[1] + 1.0);
    'next: for c in candidates {
        for k in &keep {
            let w = (c.bbox[2].min(k.bbox[2]) - c.bbox[0].max(k.bbox[0]) + 1.0).max(0.0);
            let h = (c.bbox[3].min(k.bbox[3]) - c.bbox[1].max(k.bbox[1]) + 1.0).max(0.0);
            let inter = w * h;
            if inter / (area(&c.bbox) + area(&k.bbox) - inter) > iou_threshold {
                continue 'next;
            }
        }
        keep.push(c);
    }
    keep
}

#[cfg(test)]
mod tests {
    use super::*;

    fn det(b: [f32; 4], score: f32) -> Detection {
        Detection {
            bbox: b,
            score,
            kps: [[0.0; 2]; 5],
        }
    }

    #[test]
    fn suppression_keeps_the_best_of_overlapping_boxes() {
        let out = suppress(
            vec![
                det([0.0, 0.0, 10.0, 10.0], 0.7),
                det([1.0, 1.0, 11.0, 11.0], 0.9),
                det([50.0, 50.0, 60.0, 60.0], 0.6),
            ],
            0.4,
        );
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].score, 0.9);
        assert_eq!(out[1].score, 0.6);
    }

    #[test]
    fn prepare_keeps_aspect_and_pads_below() {
        let img = RgbImage::from_pixel(200, 100, image::Rgb([255, 255, 255]));
        let input = prepare(&img, 64, crate::Normalisation::SCRFD);
        assert!((input.scale - 0.32).abs() < 1e-6);
        let white = (255.0 - 127.5) / 128.0;
        assert_eq!(input.blob[0], white);
        assert_eq!(input.blob[31 * 64 + 63], white);
        assert_eq!(input.blob[32 * 64], -127.5 / 128.0);
    }

    #[test]
    fn decoding_scales_back_to_image_pixels() {
        let mut out = Vec::new();
        // One cell grid, anchor 1 of cell 0 fires with distances of one stride.
        let scores = [0.1, 0.8];
        let boxes = [0.0; 4].into_iter().chain([1.0; 4]).collect::<Vec<_>>();
        let kps = vec![0.5; 20];
        decode_level(8, 1, &scores, &boxes, &kps, 0.5, 0.5, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].bbox, [-16.0, -16.0, 16.0, 16.0]);
        assert_eq!(out[0].kps[0], [8.0, 8.0]);
    }
}
