//! Preparing a probe (issue 18 item 2): a face the detector missed, marked by hand, and
//! derived probes. The original is never altered:
//!
//! | step | what is kept | in the ledger |
//! |------|--------------|---------------|
//! | [`mark_face`] | one more face on the search, `manual` with the points given | a detection entry: the box, whether eye points were placed |
//! | [`derive`] | a new search whose probe (PNG, in the vault) is the parent's image after the operations, with the parent's hash and the operations | a detection entry for the new probe naming its parent and the operations |
//!
//! A hand-marked face is aligned from its points as a detected one is: with the eye points
//! placed, the nose and mouth follow from the ArcFace template's proportions; without
//! them, the template is fitted into the box. Its quality is measured like any face's (the
//! detector's confidence is not known: it counts as 1).
//!
//! Operations apply in the order given, each to the result of the one before, in the
//! upright image's pixels; none mirrors (a mirrored face is another face to a comparison).

use serde::{Deserialize, Serialize};
use waarborg_face::DecodeLimits;
use waarborg_govern::gate::Action;
use waarborg_govern::Actor;
use waarborg_ledger::Operation;

use crate::search::{self, FaceSummary, SearchRecord, SearchStage};
use crate::{App, AppError, Result};

/// The smallest side of a marked box or of a prepared image, in pixels: below it no face
/// can be aligned.
pub const MIN_SIDE: u32 = 24;

/// How a face was marked by hand.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ManualMark {
    /// Who marked it.
    pub by: String,
    /// Whether the eye points were placed (otherwise the template was fitted to the box).
    pub eyes_placed: bool,
}

/// A face marked by hand, as the form or the API sends it: the box, and optionally the
/// centres of the right and left eye (as seen in the image: left to right).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct FaceMark {
    /// Left edge, in the upright probe's pixels.
    pub x: f32,
    /// Top edge.
    pub y: f32,
    /// Width.
    pub width: f32,
    /// Height.
    pub height: f32,
    /// The eye on the image's left (the person's right eye), `[x, y]`.
    #[serde(default)]
    pub right_eye: Option<[f32; 2]>,
    /// The eye on the image's right, `[x, y]`.
    #[serde(default)]
    pub left_eye: Option<[f32; 2]>,
}

/// One preparation step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Preparation {
    /// Keep only this rectangle.
    Crop {
        /// Left edge.
        x: u32,
        /// Top edge.
        y: u32,
        /// Width.
        width: u32,
        /// Height.
        height: u32,
    },
    /// Turn about the centre by this many degrees (clockwise positive, −180 to 180), on the
    /// same canvas: straightening a tilted head.
    Rotate {
        /// Degrees.
        degrees: f32,
    },
    /// Scale by this factor (0.25 to 4).
    Scale {
        /// The factor.
        factor: f32,
    },
    /// Add this to every level (−100 to 100).
    Brightness {
        /// Levels of 255.
        offset: i32,
    },
    /// Stretch the levels about the middle grey by this factor (0.25 to 4).
    Contrast {
        /// The factor.
        factor: f32,
    },
    /// Apply this gamma (0.25 to 4; above 1 brightens the shadows).
    Gamma {
        /// The gamma.
        gamma: f32,
    },
}

impl Preparation {
    /// The step in a few words, for the ledger and the page.
    pub fn describe(&self) -> String {
        match self {
            Preparation::Crop {
                x,
                y,
                width,
                height,
            } => format!("crop {width}x{height} at {x},{y}"),
            Preparation::Rotate { degrees } => format!("rotate {degrees}°"),
            Preparation::Scale { factor } => format!("scale ×{factor}"),
            Preparation::Brightness { offset } => format!("brightness {offset:+}"),
            Preparation::Contrast { factor } => format!("contrast ×{factor}"),
            Preparation::Gamma { gamma } => format!("gamma {gamma}"),
        }
    }
}

/// Where a derived probe came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Derivation {
    /// The search whose probe it was made from.
    pub parent_search: String,
    /// The parent probe's SHA-256.
    pub parent_sha256: String,
    /// The steps, in order.
    pub operations: Vec<Preparation>,
}

/// A derived probe, as the API sends it: the steps in order.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct DeriveBody {
    /// The steps, in order (at least one).
    pub operations: Vec<Preparation>,
}

fn invalid(detail: String) -> AppError {
    AppError::invalid(detail)
}

fn within(name: &str, v: f32, lo: f32, hi: f32) -> Result<()> {
    if v.is_finite() && (lo..=hi).contains(&v) {
        Ok(())
    } else {
        Err(invalid(format!(
            "{name} must lie between {lo} and {hi}, not {v}"
        )))
    }
}

/// `image` after step `op`; an error says which limit the step broke.
pub fn apply(image: &image::RgbImage, op: &Preparation) -> Result<image::RgbImage> {
    let (w, h) = image.dimensions();
    let limits = DecodeLimits::default();
    let out = match *op {
        Preparation::Crop {
            x,
            y,
            width,
            height,
        } => {
            let inside = u64::from(x) + u64::from(width) <= u64::from(w)
                && u64::from(y) + u64::from(height) <= u64::from(h);
            if !inside {
                return Err(invalid(format!(
                    "the crop {width}x{height} at {x},{y} lies outside the image ({w}x{h})"
                )));
            }
            image::imageops::crop_imm(image, x, y, width, height).to_image()
        }
        Preparation::Rotate { degrees } => {
            within("the rotation", degrees, -180.0, 180.0)?;
            let (s, c) = f64::from(degrees).to_radians().sin_cos();
            let (cx, cy) = (f64::from(w) / 2.0, f64::from(h) / 2.0);
            // Image to image: about the centre, y pointing down (clockwise positive).
            let m = [[c, -s, cx - c * cx + s * cy], [s, c, cy - s * cx - c * cy]];
            waarborg_face::imgops::warp_affine(image, &m, w, h)
                .ok_or_else(|| invalid("the rotation cannot be applied".into()))?
        }
        Preparation::Scale { factor } => {
            within("the scale factor", factor, 0.25, 4.0)?;
            let (nw, nh) = (
                (w as f32 * factor).round() as u32,
                (h as f32 * factor).round() as u32,
            );
            if nw.max(nh) > limits.max_side || u64::from(nw) * u64::from(nh) > limits.max_pixels {
                return Err(invalid(format!(
                    "scaled ×{factor} the image would be {nw}x{nh}, above the largest accepted ({} a side, {} pixels)",
                    limits.max_side, limits.max_pixels
                )));
            }
            waarborg_face::imgops::resize_linear(image, nw.max(1), nh.max(1))
        }
        Preparation::Brightness { offset } => {
            if !(-100..=100).contains(&offset) {
                return Err(invalid(format!(
                    "the brightness offset must lie between -100 and 100, not {offset}"
                )));
            }
            levels(image, |v| v + offset as f32)
        }
        Preparation::Contrast { factor } => {
            within("the contrast factor", factor, 0.25, 4.0)?;
            levels(image, |v| 127.5 + (v - 127.5) * factor)
        }
        Preparation::Gamma { gamma } => {
            within("the gamma", gamma, 0.25, 4.0)?;
            levels(image, |v| 255.0 * (v / 255.0).powf(1.0 / gamma))
        }
    };
    let (ow, oh) = out.dimensions();
    if ow.min(oh) < MIN_SIDE {
        return Err(invalid(format!(
            "after {} the image is {ow}x{oh}: at least {MIN_SIDE} pixels a side are needed to find a face",
            op.describe()
        )));
    }
    Ok(out)
}

/// `image` with every level mapped by `f` (through a table), clamped to 0–255.
fn levels(image: &image::RgbImage, f: impl Fn(f32) -> f32) -> image::RgbImage {
    let table: Vec<u8> = (0..=255u8)
        .map(|v| f(f32::from(v)).round().clamp(0.0, 255.0) as u8)
        .collect();
    let mut out = image.clone();
    for p in out.iter_mut() {
        *p = table[usize::from(*p)];
    }
    out
}

/// The five key points for a hand-marked face: with the eye points, the ArcFace template
/// placed by them (nose and mouth where its proportions put them); without, the template
/// fitted into the box.
pub fn marked_points(mark: &FaceMark) -> Result<[[f32; 2]; 5]> {
    use waarborg_face::align::{similarity_transform, ARCFACE_TEMPLATE};
    let size = f64::from(waarborg_face::align::ALIGNED_SIZE);
    let dst: Vec<[f64; 2]> = match (mark.right_eye, mark.left_eye) {
        (Some(r), Some(l)) => {
            if r[0].partial_cmp(&l[0]) != Some(std::cmp::Ordering::Less) {
                return Err(invalid(
                    "the eye on the image's left must lie left of the other".into(),
                ));
            }
            vec![
                [f64::from(r[0]), f64::from(r[1])],
                [f64::from(l[0]), f64::from(l[1])],
            ]
        }
        (None, None) => {
            // The template's 112×112 square onto the box (its shorter side, centred).
            let side = f64::from(mark.width.min(mark.height));
            let (ox, oy) = (
                f64::from(mark.x) + (f64::from(mark.width) - side) / 2.0,
                f64::from(mark.y) + (f64::from(mark.height) - side) / 2.0,
            );
            vec![[ox, oy], [ox + side, oy + side]]
        }
        _ => return Err(invalid("place both eye points, or neither".into())),
    };
    let src: Vec<[f64; 2]> = match (mark.right_eye, mark.left_eye) {
        (Some(_), Some(_)) => vec![ARCFACE_TEMPLATE[0], ARCFACE_TEMPLATE[1]],
        _ => vec![[0.0, 0.0], [size, size]],
    };
    let m = similarity_transform(&src, &dst)
        .ok_or_else(|| invalid("the points given cannot place a face".into()))?;
    Ok(ARCFACE_TEMPLATE.map(|p| {
        [
            (m[0][0] * p[0] + m[0][1] * p[1] + m[0][2]) as f32,
            (m[1][0] * p[0] + m[1][1] * p[1] + m[1][2]) as f32,
        ]
    }))
}

/// Marks a face the detector missed on search `id` (its examiner, while faces are being
/// chosen): the box must lie in the probe and be at least [`MIN_SIDE`] pixels a side, eye
/// points (both or neither) inside the box. The face is aligned from the points, its
/// quality measured, and it is kept as one more face, marked manual; the step is in the
/// ledger before it is kept. Returns the search and the new face's index.
pub fn mark_face(
    app: &App,
    actor: &Actor,
    id: &str,
    mark: &FaceMark,
) -> Result<(SearchRecord, usize)> {
    let (mut s, version) = search::load(app, id)?;
    search::own(actor, &s)?;
    if s.stage != SearchStage::Detected {
        return Err(AppError::refused(format!(
            "search {id} is {}: faces are marked while one is being chosen",
            s.stage
        )));
    }
    // The gate first: nothing is decoded for a use it does not permit.
    let started = search::now_rfc3339();
    let (_, _, models) = search::gate_check(
        app,
        actor,
        Action::DetectForSearch,
        &s.deployment,
        &s.case_number,
        &s.probe_source,
    )?;
    let engine = app
        .engine
        .as_ref()
        .ok_or_else(crate::gate::engine_missing)?;
    let image =
        waarborg_face::decode::decode(&search::probe_bytes(app, &s)?, &DecodeLimits::default())
            .map_err(|e| AppError::internal(format!("the stored probe cannot be decoded: {e}")))?;
    let (w, h) = (image.width() as f32, image.height() as f32);
    let finite = [mark.x, mark.y, mark.width, mark.height]
        .iter()
        .all(|v| v.is_finite());
    if !finite
        || mark.x < 0.0
        || mark.y < 0.0
        || mark.x + mark.width > w
        || mark.y + mark.height > h
    {
        return Err(invalid(format!(
            "the box {}x{} at {},{} lies outside the probe ({w}x{h})",
            mark.width, mark.height, mark.x, mark.y
        )));
    }
    if mark.width < MIN_SIDE as f32 || mark.height < MIN_SIDE as f32 {
        return Err(invalid(format!(
            "the box {}x{} is too small to align a face: at least {MIN_SIDE} pixels a side",
            mark.width, mark.height
        )));
    }
    let in_box = |p: [f32; 2]| {
        p[0] >= mark.x
            && p[0] <= mark.x + mark.width
            && p[1] >= mark.y
            && p[1] <= mark.y + mark.height
    };
    if mark
        .right_eye
        .into_iter()
        .chain(mark.left_eye)
        .any(|p| !in_box(p))
    {
        return Err(invalid("the eye points must lie inside the box".into()));
    }
    let kps = marked_points(mark)?;
    let aligned = waarborg_face::align::align_face(&image, &kps)
        .ok_or_else(|| invalid("the points given cannot place a face".into()))?;
    let detection = waarborg_face::detect::Detection {
        bbox: [mark.x, mark.y, mark.x + mark.width, mark.y + mark.height],
        score: 1.0,
        kps,
    };
    let quality = waarborg_face::quality::assess(&detection, &aligned, &engine.config().quality);
    let eyes_placed = mark.right_eye.is_some();
    s.faces.push(FaceSummary {
        bbox: detection.bbox,
        kps: Some(kps),
        quality,
        manual: Some(ManualMark {
            by: actor.user.clone(),
            eyes_placed,
        }),
    });
    let index = s.faces.len() - 1;
    let f = &s.faces[index];
    let entry = search::operation(
        actor,
        Operation::Detect,
        &s,
        started,
        models,
        format!(
            "face {} marked by hand: box {:.0}x{:.0} at {:.0},{:.0}, {}; quality {}",
            index + 1,
            mark.width,
            mark.height,
            mark.x,
            mark.y,
            if eyes_placed {
                "eye points placed"
            } else {
                "fitted to the box"
            },
            if f.quality.sufficient {
                "sufficient"
            } else {
                "insufficient"
            }
        ),
        vec![],
    );
    search::save(app, &s, version, entry)?;
    Ok((s, index))
}

/// Makes a derived probe from search `id`'s probe (its examiner; the probe still kept):
/// the steps applied in order to the upright image, the result a new search of the same
/// case, under the gate as any probe, whose record names its parent's hash and the steps.
/// The parent is not changed.
pub fn derive(
    app: &App,
    actor: &Actor,
    id: &str,
    operations: &[Preparation],
) -> Result<SearchRecord> {
    derive_with(app, actor, id, |_| operations.to_vec())
}

/// [`derive`] from the page's form.
pub fn derive_from_form(
    app: &App,
    actor: &Actor,
    id: &str,
    f: &PrepareForm,
) -> Result<SearchRecord> {
    derive_with(app, actor, id, |size| f.operations(size))
}

/// [`derive`] with the steps that `steps` names for the upright probe's size (a form
/// leaves out what changes nothing, which needs the size): the parent loaded and decoded
/// once.
fn derive_with(
    app: &App,
    actor: &Actor,
    id: &str,
    steps: impl FnOnce([u32; 2]) -> Vec<Preparation>,
) -> Result<SearchRecord> {
    let (parent, _) = search::load(app, id)?;
    search::own(actor, &parent)?;
    if parent.erased(waarborg_govern::retention::SearchPart::Probe) {
        return Err(AppError::not_found("the probe image is no longer kept"));
    }
    let mut image = waarborg_face::decode::decode(
        &search::probe_bytes(app, &parent)?,
        &DecodeLimits::default(),
    )
    .map_err(|e| AppError::internal(format!("the stored probe cannot be decoded: {e}")))?;
    let operations = steps([image.width(), image.height()]);
    if operations.is_empty() {
        return Err(invalid("name at least one step to prepare a probe".into()));
    }
    if operations.len() > 16 {
        return Err(invalid("at most 16 steps in one preparation".into()));
    }
    for op in &operations {
        image = apply(&image, op)?;
    }
    let mut png = Vec::new();
    image
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .map_err(|e| AppError::internal(format!("encoding the prepared probe: {e}")))?;
    let q = search::SubmitQuery {
        deployment: parent.deployment.clone(),
        case: parent.case_number.clone(),
        probe_source: parent.probe_source.clone(),
    };
    let derivation = Derivation {
        parent_search: parent.id.clone(),
        parent_sha256: parent.probe_sha256.clone(),
        operations,
    };
    let probe = search::MadeProbe {
        bytes: png,
        image,
        faces: None,
        from: Some(search::MadeFrom::Derivation(derivation)),
    };
    search::submit_made(app, actor, &q, probe).map(|(s, _)| s)
}

/// A face marked by hand, as the page's form sends it: the box, and the eye points as four
/// fields that are all empty or all numbers.
#[derive(Debug, Deserialize)]
pub struct FaceMarkForm {
    /// Left edge.
    pub x: f32,
    /// Top edge.
    pub y: f32,
    /// Width.
    pub width: f32,
    /// Height.
    pub height: f32,
    /// The eye on the image's left, x (empty: not placed).
    #[serde(default)]
    pub right_eye_x: String,
    /// … and y.
    #[serde(default)]
    pub right_eye_y: String,
    /// The eye on the image's right, x.
    #[serde(default)]
    pub left_eye_x: String,
    /// … and y.
    #[serde(default)]
    pub left_eye_y: String,
}

impl FaceMarkForm {
    /// The mark the form describes.
    pub fn mark(&self) -> Result<FaceMark> {
        let fields = [
            &self.right_eye_x,
            &self.right_eye_y,
            &self.left_eye_x,
            &self.left_eye_y,
        ];
        let given: Vec<f32> = fields
            .iter()
            .filter(|f| !f.trim().is_empty())
            .map(|f| {
                f.trim()
                    .parse::<f32>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .ok_or_else(|| invalid(format!("{f:?} is not a number of pixels")))
            })
            .collect::<Result<_>>()?;
        let (right_eye, left_eye) = match given[..] {
            [] => (None, None),
            [rx, ry, lx, ly] => (Some([rx, ry]), Some([lx, ly])),
            _ => {
                return Err(invalid(
                    "place both eye points (each with x and y), or neither".into(),
                ))
            }
        };
        Ok(FaceMark {
            x: self.x,
            y: self.y,
            width: self.width,
            height: self.height,
            right_eye,
            left_eye,
        })
    }
}

/// A preparation as the page's form sends it: every step's value, a step whose value
/// changes nothing (a crop of the whole image, 0°, ×1, +0) left out. The steps run in this
/// order: crop, rotate, scale, brightness, contrast, gamma.
#[derive(Debug, Deserialize)]
pub struct PrepareForm {
    /// Crop: left edge.
    pub crop_x: u32,
    /// Crop: top edge.
    pub crop_y: u32,
    /// Crop: width.
    pub crop_width: u32,
    /// Crop: height.
    pub crop_height: u32,
    /// Degrees to turn.
    pub rotate: f32,
    /// Scale factor.
    pub scale: f32,
    /// Brightness offset.
    pub brightness: i32,
    /// Contrast factor.
    pub contrast: f32,
    /// Gamma.
    pub gamma: f32,
}

impl PrepareForm {
    /// The steps, for a probe of `size` (width, height).
    pub fn operations(&self, size: [u32; 2]) -> Vec<Preparation> {
        let whole = self.crop_x == 0
            && self.crop_y == 0
            && self.crop_width == size[0]
            && self.crop_height == size[1];
        let mut ops = Vec::new();
        if !whole {
            ops.push(Preparation::Crop {
                x: self.crop_x,
                y: self.crop_y,
                width: self.crop_width,
                height: self.crop_height,
            });
        }
        if self.rotate != 0.0 {
            ops.push(Preparation::Rotate {
                degrees: self.rotate,
            });
        }
        if self.scale != 1.0 {
            ops.push(Preparation::Scale { factor: self.scale });
        }
        if self.brightness != 0 {
            ops.push(Preparation::Brightness {
                offset: self.brightness,
            });
        }
        if self.contrast != 1.0 {
            ops.push(Preparation::Contrast {
                factor: self.contrast,
            });
        }
        if self.gamma != 1.0 {
            ops.push(Preparation::Gamma { gamma: self.gamma });
        }
        ops
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gradient(w: u32, h: u32) -> image::RgbImage {
        image::RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
        })
    }

    fn refused(r: Result<image::RgbImage>, says: &str) {
        match r {
            Err(AppError::Invalid { detail, .. }) => assert!(detail.contains(says), "{detail}"),
            other => panic!(
                "expected a refusal saying {says:?}, got {:?}",
                other.map(|i| i.dimensions())
            ),
        }
    }

    /// One row per refusal: each step's limits, said in words; nothing half made.
    #[test]
    fn every_step_refuses_what_it_cannot_do() {
        let image = gradient(200, 80);
        let rows: &[(Preparation, &str)] = &[
            (
                Preparation::Crop {
                    x: 150,
                    y: 0,
                    width: 100,
                    height: 50,
                },
                "outside the image",
            ),
            (
                Preparation::Crop {
                    x: 0,
                    y: 0,
                    width: 10,
                    height: 50,
                },
                "at least 24 pixels",
            ),
            (
                Preparation::Rotate { degrees: 400.0 },
                "between -180 and 180",
            ),
            (
                Preparation::Rotate { degrees: f32::NAN },
                "between -180 and 180",
            ),
            (Preparation::Scale { factor: 0.1 }, "between 0.25 and 4"),
            (Preparation::Scale { factor: 0.25 }, "at least 24 pixels"),
            (
                Preparation::Brightness { offset: 300 },
                "between -100 and 100",
            ),
            (Preparation::Contrast { factor: 9.0 }, "between 0.25 and 4"),
            (Preparation::Gamma { gamma: 0.0 }, "between 0.25 and 4"),
        ];
        for (op, says) in rows {
            refused(apply(&image, op), says);
        }
    }

    #[test]
    fn steps_do_what_they_say_and_never_mirror() {
        let image = gradient(200, 100);
        let crop = apply(
            &image,
            &Preparation::Crop {
                x: 10,
                y: 20,
                width: 50,
                height: 30,
            },
        )
        .unwrap();
        assert_eq!(crop.dimensions(), (50, 30));
        assert_eq!(crop.get_pixel(0, 0), image.get_pixel(10, 20));
        let scaled = apply(&image, &Preparation::Scale { factor: 2.0 }).unwrap();
        assert_eq!(scaled.dimensions(), (400, 200));
        let lighter = apply(&image, &Preparation::Brightness { offset: 10 }).unwrap();
        assert_eq!(lighter.get_pixel(5, 5).0, [15, 15, 138]);
        let same = apply(&image, &Preparation::Gamma { gamma: 1.0 }).unwrap();
        assert_eq!(same, image);
        let flat = apply(&image, &Preparation::Contrast { factor: 0.25 }).unwrap();
        assert!(
            flat.get_pixel(0, 0).0[0] > 90,
            "pulled towards the middle grey"
        );
        // A half turn about the centre puts the top-left corner's neighbourhood at the
        // bottom right, on the same canvas: a rotation, not a mirror.
        let turned = apply(&image, &Preparation::Rotate { degrees: 180.0 }).unwrap();
        assert_eq!(turned.dimensions(), (200, 100));
        let (a, b) = (image.get_pixel(20, 10).0, turned.get_pixel(179, 89).0);
        assert!(
            a.iter().zip(b).all(|(x, y)| x.abs_diff(y) <= 2),
            "{a:?} {b:?}"
        );
    }

    #[test]
    fn marked_points_follow_the_eyes_or_fit_the_box() {
        use waarborg_face::align::ARCFACE_TEMPLATE;
        let with_eyes = FaceMark {
            x: 0.0,
            y: 0.0,
            width: 200.0,
            height: 200.0,
            right_eye: Some([60.0, 80.0]),
            left_eye: Some([120.0, 80.0]),
        };
        let kps = marked_points(&with_eyes).unwrap();
        assert!((kps[0][0] - 60.0).abs() < 0.01 && (kps[1][0] - 120.0).abs() < 0.01);
        assert!(
            kps[2][1] > 80.0 && kps[3][1] > kps[2][1],
            "nose, then mouth, below the eyes"
        );
        let boxed = FaceMark {
            right_eye: None,
            left_eye: None,
            ..with_eyes.clone()
        };
        let kps = marked_points(&boxed).unwrap();
        let s = 200.0 / 112.0;
        assert!((kps[0][0] - ARCFACE_TEMPLATE[0][0] as f32 * s).abs() < 0.01);
        let swapped = FaceMark {
            right_eye: Some([120.0, 80.0]),
            left_eye: Some([60.0, 80.0]),
            ..with_eyes
        };
        assert!(
            marked_points(&swapped).is_err(),
            "the eyes the wrong way round"
        );
    }

    #[test]
    fn the_forms_say_only_what_was_asked() {
        let form = FaceMarkForm {
            x: 1.0,
            y: 2.0,
            width: 30.0,
            height: 40.0,
            right_eye_x: "5".into(),
            right_eye_y: String::new(),
            left_eye_x: String::new(),
            left_eye_y: String::new(),
        };
        assert!(form.mark().is_err(), "one eye coordinate alone");
        let none = FaceMarkForm {
            right_eye_x: String::new(),
            ..form
        };
        assert_eq!(none.mark().unwrap().right_eye, None);
        let nothing = PrepareForm {
            crop_x: 0,
            crop_y: 0,
            crop_width: 640,
            crop_height: 480,
            rotate: 0.0,
            scale: 1.0,
            brightness: 0,
            contrast: 1.0,
            gamma: 1.0,
        };
        assert!(nothing.operations([640, 480]).is_empty());
        let some = PrepareForm {
            crop_x: 10,
            rotate: -3.5,
            gamma: 1.4,
            ..nothing
        };
        assert_eq!(
            some.operations([640, 480]),
            [
                Preparation::Crop {
                    x: 10,
                    y: 0,
                    width: 640,
                    height: 480
                },
                Preparation::Rotate { degrees: -3.5 },
                Preparation::Gamma { gamma: 1.4 },
            ]
        );
    }
}
