//! Bounded image decoding: the only way bytes from outside become pixels.
//!
//! Limits are checked from the file size and the image header *before* any pixel buffer is
//! allocated, so a decompression bomb (a small file that claims 30000×30000 pixels) is
//! refused cheaply. EXIF orientation is applied, so coordinates are those of the image as a
//! person sees it; grayscale, alpha, 16-bit and CMYK inputs all become 8-bit RGB.

use std::fs::File;
use std::io::{BufReader, Cursor, Read};
use std::path::Path;

use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageReader, RgbImage};

/// Hard limits on what may be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DecodeLimits {
    /// Largest accepted encoded size in bytes.
    pub max_bytes: u64,
    /// Largest accepted width × height.
    pub max_pixels: u64,
    /// Largest accepted width or height.
    pub max_side: u32,
}

impl Default for DecodeLimits {
    /// 40 MiB, 50 megapixels, 20000 pixels a side: well above any camera still or CCTV
    /// frame, well below what would exhaust the server's memory.
    fn default() -> Self {
        Self {
            max_bytes: 40 << 20,
            max_pixels: 50_000_000,
            max_side: 20_000,
        }
    }
}

/// Why an input could not be turned into pixels.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The path as given.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Zero bytes.
    #[error("the file is empty")]
    Empty,
    /// More bytes than allowed.
    #[error("the file is {actual} bytes; the limit is {limit} bytes")]
    TooManyBytes {
        /// Size found.
        actual: u64,
        /// Limit in force.
        limit: u64,
    },
    /// The content is not a format Waarborg reads.
    #[error("not a supported image (JPEG, PNG, WebP, BMP or TIFF expected)")]
    UnknownFormat,
    /// The header claims more pixels than allowed.
    #[error("the image is {width}×{height} pixels; the limit is {max_pixels} pixels and {max_side} a side")]
    TooManyPixels {
        /// Claimed width.
        width: u32,
        /// Claimed height.
        height: u32,
        /// Pixel limit in force.
        max_pixels: u64,
        /// Side limit in force.
        max_side: u32,
    },
    /// A zero-sized image.
    #[error("the image has no pixels ({width}×{height})")]
    NoPixels {
        /// Width.
        width: u32,
        /// Height.
        height: u32,
    },
    /// The decoder failed: truncated or corrupt data, or an unsupported variant.
    #[error("the image data is corrupt or truncated: {0}")]
    Corrupt(String),
}

/// Reads and decodes an image file within `limits`. The size is checked before reading.
pub fn decode_file(path: &Path, limits: &DecodeLimits) -> Result<RgbImage, DecodeError> {
    let read_err = |source| DecodeError::Read {
        path: path.display().to_string(),
        source,
    };
    let file = File::open(path).map_err(read_err)?;
    let len = file.metadata().map_err(read_err)?.len();
    check_byte_count(len, limits)?;
    let mut bytes = Vec::with_capacity(len as usize);
    // Read at most one byte past the limit, in case the file grows while we read it.
    BufReader::new(file)
        .take(limits.max_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(read_err)?;
    decode(&bytes, limits)
}

fn check_byte_count(len: u64, limits: &DecodeLimits) -> Result<(), DecodeError> {
    if len == 0 {
        return Err(DecodeError::Empty);
    }
    if len > limits.max_bytes {
        return Err(DecodeError::TooManyBytes {
            actual: len,
            limit: limits.max_bytes,
        });
    }
    Ok(())
}

/// Decodes encoded image bytes within `limits` into upright 8-bit RGB.
pub fn decode(bytes: &[u8], limits: &DecodeLimits) -> Result<RgbImage, DecodeError> {
    check_byte_count(bytes.len() as u64, limits)?;
    let reader = || -> Result<ImageReader<Cursor<&[u8]>>, DecodeError> {
        let reader = ImageReader::new(Cursor::new(bytes))
            .with_guessed_format()
            .map_err(|e| DecodeError::Corrupt(e.to_string()))?;
        if reader.format().is_none() {
            return Err(DecodeError::UnknownFormat);
        }
        Ok(reader)
    };
    let first = reader()?;
    if first.format() == Some(image::ImageFormat::Jpeg) {
        let orientation = first
            .into_decoder()
            .and_then(|mut d| d.orientation())
            .unwrap_or(Orientation::NoTransforms);
        let mut image = DynamicImage::ImageRgb8(decode_jpeg(bytes, limits)?);
        image.apply_orientation(orientation);
        return Ok(image.into_rgb8());
    }
    // First pass reads only the header, so the size the file claims is judged before a
    // single pixel buffer exists.
    let (width, height) = first.into_dimensions().map_err(map_image_error)?;
    check_dimensions(width, height, limits)?;
    let mut decoder_limits = image::Limits::default();
    decoder_limits.max_image_width = Some(limits.max_side);
    decoder_limits.max_image_height = Some(limits.max_side);
    // Room for the decoded image at up to 16 bytes a pixel (RGBA32F) plus decoder buffers.
    decoder_limits.max_alloc = Some(
        limits
            .max_pixels
            .saturating_mul(16)
            .saturating_add(64 << 20),
    );
    let mut reader = reader()?;
    reader.limits(decoder_limits);
    let mut decoder = reader.into_decoder().map_err(map_image_error)?;
    let orientation = decoder.orientation().map_err(map_image_error)?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(map_image_error)?;
    image.apply_orientation(orientation);
    Ok(image.into_rgb8())
}

/// JPEG through libjpeg-turbo, as the reference pipeline decodes it (same inverse DCT and
/// chroma upsampling), so the pixels and hence the detections agree with it.
fn decode_jpeg(bytes: &[u8], limits: &DecodeLimits) -> Result<RgbImage, DecodeError> {
    let corrupt = |e: turbojpeg::Error| DecodeError::Corrupt(e.to_string());
    let mut decompressor = turbojpeg::Decompressor::new().map_err(corrupt)?;
    let header = decompressor.read_header(bytes).map_err(corrupt)?;
    let (w, h) = (header.width, header.height);
    let too_big = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
    check_dimensions(too_big(w), too_big(h), limits)?;
    let cmyk = matches!(
        header.colorspace,
        turbojpeg::Colorspace::CMYK | turbojpeg::Colorspace::YCCK
    );
    let (format, channels) = if cmyk {
        (turbojpeg::PixelFormat::CMYK, 4)
    } else {
        (turbojpeg::PixelFormat::RGB, 3)
    };
    let mut pixels = vec![0u8; w * h * channels];
    let output = turbojpeg::Image {
        pixels: pixels.as_mut_slice(),
        width: w,
        pitch: w * channels,
        height: h,
        format,
    };
    decompressor.decompress(bytes, output).map_err(corrupt)?;
    if cmyk {
        // Adobe-style (inverted) CMYK to RGB, as OpenCV converts it.
        pixels = pixels
            .chunks_exact(4)
            .flat_map(|p| {
                let k = u32::from(p[3]);
                let ink = |v: u8| (k - (((255 - u32::from(v)) * k) >> 8)) as u8;
                [ink(p[0]), ink(p[1]), ink(p[2])]
            })
            .collect();
    }
    RgbImage::from_raw(w as u32, h as u32, pixels)
        .ok_or_else(|| DecodeError::Corrupt("decoder returned a short buffer".into()))
}

fn check_dimensions(width: u32, height: u32, limits: &DecodeLimits) -> Result<(), DecodeError> {
    if width == 0 || height == 0 {
        return Err(DecodeError::NoPixels { width, height });
    }
    if width > limits.max_side
        || height > limits.max_side
        || u64::from(width) * u64::from(height) > limits.max_pixels
    {
        return Err(DecodeError::TooManyPixels {
            width,
            height,
            max_pixels: limits.max_pixels,
            max_side: limits.max_side,
        });
    }
    Ok(())
}

fn map_image_error(e: image::ImageError) -> DecodeError {
    match e {
        image::ImageError::Unsupported(u)
            if matches!(u.kind(), image::error::UnsupportedErrorKind::Format(_)) =>
        {
            DecodeError::UnknownFormat
        }
        image::ImageError::Limits(l) => {
            DecodeError::Corrupt(format!("decoder limit exceeded: {l}"))
        }
        other => DecodeError::Corrupt(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageFormat, Rgb};

    fn encode(img: &DynamicImage, format: ImageFormat) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, format).unwrap();
        out.into_inner()
    }

    fn gradient(w: u32, h: u32) -> RgbImage {
        RgbImage::from_fn(w, h, |x, y| {
            Rgb([(x * 7) as u8, (y * 5) as u8, ((x + y) * 3) as u8])
        })
    }

    #[test]
    fn every_supported_format_decodes_to_rgb() {
        let img = DynamicImage::ImageRgb8(gradient(33, 17));
        for format in [
            ImageFormat::Png,
            ImageFormat::Bmp,
            ImageFormat::Tiff,
            ImageFormat::WebP,
            ImageFormat::Jpeg,
        ] {
            let bytes = encode(&img, format);
            let out = decode(&bytes, &DecodeLimits::default())
                .unwrap_or_else(|e| panic!("{format:?}: {e}"));
            assert_eq!(out.dimensions(), (33, 17), "{format:?}");
        }
    }

    #[test]
    fn grayscale_alpha_and_16_bit_become_rgb() {
        let gray = DynamicImage::ImageLuma8(image::GrayImage::from_pixel(4, 3, image::Luma([200])));
        let out = decode(&encode(&gray, ImageFormat::Png), &DecodeLimits::default()).unwrap();
        assert_eq!(out.get_pixel(1, 1), &Rgb([200, 200, 200]));

        let rgba = DynamicImage::ImageRgba8(image::RgbaImage::from_pixel(
            4,
            3,
            image::Rgba([10, 20, 30, 0]),
        ));
        let out = decode(&encode(&rgba, ImageFormat::Png), &DecodeLimits::default()).unwrap();
        assert_eq!(out.get_pixel(0, 0), &Rgb([10, 20, 30]));

        let deep = DynamicImage::ImageRgb16(image::ImageBuffer::from_pixel(
            4,
            3,
            Rgb([65535u16, 0, 32896]),
        ));
        let out = decode(&encode(&deep, ImageFormat::Png), &DecodeLimits::default()).unwrap();
        assert_eq!(out.get_pixel(2, 2), &Rgb([255, 0, 128]));
    }

    #[test]
    fn empty_and_garbage_are_refused() {
        let limits = DecodeLimits::default();
        assert!(matches!(decode(b"", &limits), Err(DecodeError::Empty)));
        assert!(matches!(
            decode(b"this is not an image at all", &limits),
            Err(DecodeError::UnknownFormat)
        ));
    }

    #[test]
    fn truncated_png_is_an_error() {
        let bytes = encode(&DynamicImage::ImageRgb8(gradient(64, 64)), ImageFormat::Png);
        let err = decode(&bytes[..bytes.len() / 2], &DecodeLimits::default()).unwrap_err();
        assert!(matches!(err, DecodeError::Corrupt(_)), "{err}");
    }

    #[test]
    fn oversized_file_is_refused_before_decoding() {
        let limits = DecodeLimits {
            max_bytes: 100,
            ..DecodeLimits::default()
        };
        let bytes = encode(&DynamicImage::ImageRgb8(gradient(64, 64)), ImageFormat::Bmp);
        assert!(matches!(
            decode(&bytes, &limits),
            Err(DecodeError::TooManyBytes { .. })
        ));
    }

    /// A PNG header that claims 30000×30000 pixels: refused from the header, no allocation.
    #[test]
    fn decompression_bomb_header_is_refused() {
        let bytes = encode(
            &DynamicImage::ImageLuma8(image::GrayImage::new(1, 1)),
            ImageFormat::Png,
        );
        let mut bomb = bytes.clone();
        // IHDR width and height live at bytes 16..24; rewrite them and fix the CRC.
        bomb[16..20].copy_from_slice(&30_000u32.to_be_bytes());
        bomb[20..24].copy_from_slice(&30_000u32.to_be_bytes());
        let crc = crc32(&bomb[12..29]);
        bomb[29..33].copy_from_slice(&crc.to_be_bytes());
        match decode(&bomb, &DecodeLimits::default()) {
            Err(DecodeError::TooManyPixels {
                width: 30_000,
                height: 30_000,
                ..
            }) => {}
            other => panic!("expected TooManyPixels, got {other:?}"),
        }
    }

    /// A PNG carrying an EXIF orientation of 6 (rotate 90° clockwise to view) comes out
    /// upright: width and height swap and the top-left pixel moves to the top-right.
    #[test]
    fn exif_orientation_is_applied() {
        let img = RgbImage::from_fn(4, 2, |x, y| Rgb([(x * 60) as u8, (y * 200) as u8, 0]));
        let plain = encode(&DynamicImage::ImageRgb8(img.clone()), ImageFormat::Png);
        // Minimal big-endian TIFF structure: one IFD entry, Orientation (0x0112) = 6.
        let exif: Vec<u8> = [
            &b"MM\0*\0\0\0\x08\0\x01"[..],
            &[
                0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 0x00, 0x00,
            ],
            &[0, 0, 0, 0],
        ]
        .concat();
        let mut chunk = (exif.len() as u32).to_be_bytes().to_vec();
        chunk.extend_from_slice(b"eXIf");
        chunk.extend_from_slice(&exif);
        chunk.extend_from_slice(&crc32(&chunk[4..]).to_be_bytes());
        // Insert after the signature (8 bytes) and IHDR (25 bytes).
        let with_exif = [&plain[..33], &chunk[..], &plain[33..]].concat();
        let out = decode(&with_exif, &DecodeLimits::default()).unwrap();
        assert_eq!(out.dimensions(), (2, 4));
        assert_eq!(out.get_pixel(1, 0), img.get_pixel(0, 0));
        assert_eq!(out.get_pixel(0, 3), img.get_pixel(3, 1));
    }

    #[test]
    fn one_pixel_image_decodes() {
        let bytes = encode(&DynamicImage::ImageRgb8(gradient(1, 1)), ImageFormat::Png);
        assert_eq!(
            decode(&bytes, &DecodeLimits::default())
                .unwrap()
                .dimensions(),
            (1, 1)
        );
    }

    #[test]
    fn unreadable_path_names_the_path() {
        let err = decode_file(
            Path::new("/nonexistent/probe.jpg"),
            &DecodeLimits::default(),
        )
        .unwrap_err();
        assert!(err.to_string().contains("/nonexistent/probe.jpg"), "{err}");
    }

    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xffff_ffffu32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 != 0 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
}
