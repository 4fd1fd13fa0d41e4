//! Pixel operations that must agree with the reference pipeline (OpenCV's `resize` with
//! `INTER_LINEAR` and `warpAffine` with bilinear sampling and a black border), because the
//! models were trained, and the reference values recorded, on images prepared that way.

use image::RgbImage;

/// OpenCV's fixed-point scale for resize weights (`INTER_RESIZE_COEF_BITS` = 11).
const COEF_SCALE: f32 = 2048.0;

/// One output coordinate of a linear resize: the first source index and the two weights.
#[derive(Debug, Clone, Copy)]
struct Tap {
    index: usize,
    next: usize,
    w0: i32,
    w1: i32,
}

fn linear_taps(src: usize, dst: usize) -> Vec<Tap> {
    let scale = src as f64 / dst as f64;
    (0..dst)
        .map(|d| {
            // Pixel centres are aligned (OpenCV's half-pixel convention), computed in f32
            // as OpenCV does.
            let f = ((d as f64 + 0.5) * scale - 0.5) as f32;
            let mut index = f.floor() as isize;
            let mut frac = f - index as f32;
            if index < 0 {
                index = 0;
                frac = 0.0;
            }
            if index as usize >= src - 1 {
                index = src as isize - 1;
                frac = 0.0;
            }
            let index = index as usize;
            let w0 = ((1.0 - frac) * COEF_SCALE).round_ties_even() as i32;
            let w1 = (frac * COEF_SCALE).round_ties_even() as i32;
            Tap {
                index,
                next: (index + 1).min(src - 1),
                w0,
                w1,
            }
        })
        .collect()
}

/// Bilinear resize of an RGB image, bit-compatible in method (not always to the last bit)
/// with OpenCV's `cv2.resize(img, (w, h))` for 8-bit images.
pub fn resize_linear(src: &RgbImage, width: u32, height: u32) -> RgbImage {
    let (sw, sh) = (src.width() as usize, src.height() as usize);
    let (dw, dh) = (width as usize, height as usize);
    let xs = linear_taps(sw, dw);
    let ys = linear_taps(sh, dh);
    let data = src.as_raw();
    let stride = sw * 3;
    let hresize = |row: usize, out: &mut [i32]| {
        let line = &data[row * stride..(row + 1) * stride];
        for (x, tap) in xs.iter().enumerate() {
            for c in 0..3 {
                out[x * 3 + c] = i32::from(line[tap.index * 3 + c]) * tap.w0
                    + i32::from(line[tap.next * 3 + c]) * tap.w1;
            }
        }
    };
    let mut out = vec![0u8; dw * dh * 3];
    let mut row0 = vec![0i32; dw * 3];
    let mut row1 = vec![0i32; dw * 3];
    let mut cached = (usize::MAX, usize::MAX);
    for (y, tap) in ys.iter().enumerate() {
        if cached != (tap.index, tap.next) {
            if cached.1 == tap.index {
                std::mem::swap(&mut row0, &mut row1);
            } else {
                hresize(tap.index, &mut row0);
            }
            hresize(tap.next, &mut row1);
            cached = (tap.index, tap.next);
        }
        let line = &mut out[y * dw * 3..(y + 1) * dw * 3];
        for ((o, &a), &b) in line.iter_mut().zip(&row0).zip(&row1) {
            // OpenCV's vectorised vertical pass: 16-bit high multiplies, then round.
            let v = ((tap.w0 * (a >> 4)) >> 16) + ((tap.w1 * (b >> 4)) >> 16);
            *o = ((v + 2) >> 2).clamp(0, 255) as u8;
        }
    }
    RgbImage::from_raw(width, height, out).unwrap_or_else(|| RgbImage::new(width, height))
}

/// A 2×3 affine matrix mapping source coordinates to destination coordinates.
pub type Affine = [[f64; 3]; 2];

/// Inverts a 2×3 affine matrix; `None` when it is singular.
pub fn invert_affine(m: &Affine) -> Option<Affine> {
    let det = m[0][0] * m[1][1] - m[0][1] * m[1][0];
    if det.abs() < 1e-12 || !det.is_finite() {
        return None;
    }
    let (a, b, c) = (m[1][1] / det, -m[0][1] / det, -m[1][0] / det);
    let d = m[0][0] / det;
    Some([
        [a, b, -(a * m[0][2] + b * m[1][2])],
        [c, d, -(c * m[0][2] + d * m[1][2])],
    ])
}

/// `cv2.warpAffine(src, m, (width, height), borderValue=0)`: bilinear, black outside.
///
/// The reference's OpenCV build runs this through Intel IPP, which interpolates at full
/// floating-point precision (not OpenCV's own 1/32-pixel fixed point) and rounds half to
/// even; this does the same, so the aligned crops agree with the reference's.
/// Returns `None` when `m` is singular.
pub fn warp_affine(src: &RgbImage, m: &Affine, width: u32, height: u32) -> Option<RgbImage> {
    let inv = invert_affine(m)?;
    let (sw, sh) = (i64::from(src.width()), i64::from(src.height()));
    let data = src.as_raw();
    let pixel = |x: i64, y: i64, c: usize| -> f64 {
        if x < 0 || y < 0 || x >= sw || y >= sh {
            0.0
        } else {
            f64::from(data[((y * sw + x) * 3) as usize + c])
        }
    };
    let mut out = vec![0u8; width as usize * height as usize * 3];
    for y in 0..height as usize {
        for x in 0..width as usize {
            let sx = inv[0][0] * x as f64 + inv[0][1] * y as f64 + inv[0][2];
            let sy = inv[1][0] * x as f64 + inv[1][1] * y as f64 + inv[1][2];
            if !(sx > -1.0 && sy > -1.0 && sx < sw as f64 && sy < sh as f64) {
                continue; // also skips NaN
            }
            let (fx0, fy0) = (sx.floor(), sy.floor());
            let (ix, iy) = (fx0 as i64, fy0 as i64);
            let (fx, fy) = (sx - fx0, sy - fy0);
            for c in 0..3 {
                let top = pixel(ix, iy, c) * (1.0 - fx) + pixel(ix + 1, iy, c) * fx;
                let bottom = pixel(ix, iy + 1, c) * (1.0 - fx) + pixel(ix + 1, iy + 1, c) * fx;
                let v = top * (1.0 - fy) + bottom * fy;
                out[(y * width as usize + x) * 3 + c] = v.round_ties_even().clamp(0.0, 255.0) as u8;
            }
        }
    }
    RgbImage::from_raw(width, height, out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    #[test]
    fn resize_to_same_size_is_identity() {
        let img = RgbImage::from_fn(13, 7, |x, y| Rgb([(x * 19) as u8, (y * 31) as u8, 7]));
        assert_eq!(resize_linear(&img, 13, 7), img);
    }

    #[test]
    fn downscale_by_two_averages_pairs() {
        // With half-pixel centres a 2× downscale samples exactly between two pixels.
        let img = RgbImage::from_fn(4, 2, |x, _| Rgb([if x % 2 == 0 { 100 } else { 200 }, 0, 0]));
        let out = resize_linear(&img, 2, 1);
        assert_eq!(out.get_pixel(0, 0)[0], 150);
        assert_eq!(out.get_pixel(1, 0)[0], 150);
    }

    #[test]
    fn identity_warp_keeps_pixels_and_borders_are_black() {
        let img = RgbImage::from_fn(8, 8, |x, y| Rgb([(x * 30) as u8, (y * 30) as u8, 99]));
        let id = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]];
        assert_eq!(warp_affine(&img, &id, 8, 8).unwrap(), img);
        let shift = [[1.0, 0.0, 4.0], [0.0, 1.0, 0.0]];
        let out = warp_affine(&img, &shift, 8, 8).unwrap();
        assert_eq!(out.get_pixel(0, 0), &Rgb([0, 0, 0]));
        assert_eq!(out.get_pixel(4, 3), img.get_pixel(0, 3));
    }

    #[test]
    fn singular_matrix_is_refused() {
        let img = RgbImage::new(4, 4);
        assert!(warp_affine(&img, &[[0.0; 3]; 2], 4, 4).is_none());
    }

    #[test]
    fn inverse_composes_to_identity() {
        let m = [[0.8, -0.3, 12.0], [0.3, 0.8, -4.0]];
        let inv = invert_affine(&m).unwrap();
        let (x, y) = (5.0, 9.0);
        let (u, v) = (
            m[0][0] * x + m[0][1] * y + m[0][2],
            m[1][0] * x + m[1][1] * y + m[1][2],
        );
        let (bx, by) = (
            inv[0][0] * u + inv[0][1] * v + inv[0][2],
            inv[1][0] * u + inv[1][1] * v + inv[1][2],
        );
        assert!((bx - x).abs() < 1e-9 && (by - y).abs() < 1e-9);
    }
}
