//! A test set from the photos the project has (issue 21 item 3): each face cut out of a
//! photo with a margin, in variants a search meets in practice — another crop, smaller and
//! larger, blurred, brighter and darker, heavily compressed. The variants of one face are
//! genuine pairs by construction; faces of different people are non-mated pairs. No data
//! set is downloaded.
//!
//! Such a set says little about accuracy on custody photos (the variants of one photo are
//! far more alike than two photos of one person taken years apart); it exercises the
//! evaluation end to end, and its figures are an upper bound on what the models achieve.

use std::io::Cursor;

use image::imageops::{self, FilterType};
use image::{ImageFormat, RgbImage};

/// One variant of a face.
#[derive(Debug, Clone)]
pub struct Variant {
    /// What was done to it (`crop`, `shifted`, `small`, …).
    pub name: &'static str,
    /// The image.
    pub image: RgbImage,
    /// Where the face is in it (`x1,y1,x2,y2`), for a manifest's face box.
    pub face_box: [f32; 4],
}

/// The region around a face box: the box widened by `margin` of its size on every side,
/// shifted by `shift` of its size, clamped to the photo.
fn region(photo: &RgbImage, b: [f32; 4], margin: f32, shift: f32) -> (u32, u32, u32, u32) {
    let (w, h) = (b[2] - b[0], b[3] - b[1]);
    let x0 = (b[0] - margin * w + shift * w).max(0.0);
    let y0 = (b[1] - margin * h + shift * h).max(0.0);
    let x1 = (b[2] + margin * w + shift * w).min(photo.width() as f32);
    let y1 = (b[3] + margin * h + shift * h).min(photo.height() as f32);
    let (x0, y0) = (x0 as u32, y0 as u32);
    (
        x0,
        y0,
        ((x1 as u32).saturating_sub(x0)).max(1),
        ((y1 as u32).saturating_sub(y0)).max(1),
    )
}

/// The cut-out and the face's box in it.
fn crop(photo: &RgbImage, b: [f32; 4], margin: f32, shift: f32) -> (RgbImage, [f32; 4]) {
    let (x, y, w, h) = region(photo, b, margin, shift);
    let (fx, fy) = (x as f32, y as f32);
    (
        imageops::crop_imm(photo, x, y, w, h).to_image(),
        [b[0] - fx, b[1] - fy, b[2] - fx, b[3] - fy],
    )
}

fn scaled(img: &RgbImage, b: [f32; 4], f: f32) -> (RgbImage, [f32; 4]) {
    let w = ((img.width() as f32 * f) as u32).max(1);
    let h = ((img.height() as f32 * f) as u32).max(1);
    let (sx, sy) = (
        w as f32 / img.width() as f32,
        h as f32 / img.height() as f32,
    );
    (
        imageops::resize(img, w, h, FilterType::Triangle),
        [b[0] * sx, b[1] * sy, b[2] * sx, b[3] * sy],
    )
}

/// JPEG at `quality`, decoded again: the compression's damage, kept.
fn recompressed(img: &RgbImage, quality: u8) -> Result<RgbImage, image::ImageError> {
    let mut bytes = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, quality).encode_image(img)?;
    Ok(image::load(Cursor::new(bytes), ImageFormat::Jpeg)?.to_rgb8())
}

/// The eight variants of the face at `face_box` in `photo`.
pub fn variants(photo: &RgbImage, face_box: [f32; 4]) -> Result<Vec<Variant>, image::ImageError> {
    let (base, b) = crop(photo, face_box, 0.6, 0.0);
    let variant = |name, (image, face_box)| Variant {
        name,
        image,
        face_box,
    };
    Ok(vec![
        variant("shifted", crop(photo, face_box, 0.5, 0.12)),
        variant("small", scaled(&base, b, 0.6)),
        variant("large", scaled(&base, b, 1.6)),
        variant("blur", (imageops::blur(&base, 1.5), b)),
        variant("bright", (imageops::brighten(&base, 45), b)),
        variant("dark", (imageops::brighten(&base, -45), b)),
        variant("jpeg25", (recompressed(&base, 25)?, b)),
        variant("crop", (base, b)),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_differ_and_stay_within_the_photo() {
        let photo = RgbImage::from_fn(200, 100, |x, y| image::Rgb([x as u8, y as u8, 90]));
        // A box near the edge: the region is clamped, never outside the photo.
        let v = variants(&photo, [150.0, 10.0, 195.0, 60.0]).unwrap();
        assert_eq!(v.len(), 8);
        let crop = &v.iter().find(|v| v.name == "crop").unwrap().image;
        assert!(crop.width() <= 200 && crop.height() <= 100);
        let small = v.iter().find(|v| v.name == "small").unwrap();
        assert!(small.image.width() < crop.width());
        // The face box follows the face: 45 wide in the photo, 27 after scaling by 0.6.
        let w = small.face_box[2] - small.face_box[0];
        assert!((w - 27.0).abs() < 1.0, "{w}");
        for v in &v {
            let [x1, y1, x2, y2] = v.face_box;
            assert!(
                x1 >= 0.0
                    && y1 >= 0.0
                    && x2 <= v.image.width() as f32 + 0.5
                    && y2 <= v.image.height() as f32 + 0.5,
                "{}: {:?}",
                v.name,
                v.face_box
            );
        }
        let bright = &v.iter().find(|v| v.name == "bright").unwrap().image;
        assert!(bright.get_pixel(0, 0)[2] > crop.get_pixel(0, 0)[2]);
        let names: std::collections::BTreeSet<_> = v.iter().map(|v| v.name).collect();
        assert_eq!(names.len(), 8);
    }
}
