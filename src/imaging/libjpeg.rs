//! JPEG decoding with libjpeg-turbo's decoder (through mozjpeg), which gives
//! the same pixels as Pillow, so Petal's input matches the training tool's.
//!
//! `image`'s pure-Rust decoder differs from libjpeg by one or two levels per
//! pixel, and the bundled model moves by up to 0.02 in probability on such
//! noise. CMYK and YCCK photos, which libjpeg does not convert to RGB, go to
//! `image` instead.

use image::metadata::Orientation;
use image::RgbImage;
use mozjpeg::{ColorSpace, Decompress, Marker};

use super::error::PhotoErrorKind;

/// An RGB photo decoded by libjpeg, before orientation is applied.
pub struct Decoded {
    pub image: RgbImage,
    pub orientation: Orientation,
    /// Width and height declared in the file, before any DCT scaling.
    pub declared_size: (u32, u32),
}

/// Decodes a YCbCr or greyscale JPEG. Returns `Ok(None)` for colour spaces
/// libjpeg cannot convert to RGB. `check_size` receives the declared size
/// before any pixel buffer exists.
///
/// With `min_shorter_side`, a large photo is decoded at a reduced DCT scale
/// (see [`dct_scale`]) whose shorter side is still at least that long.
pub fn decode(
    bytes: &[u8],
    check_size: impl Fn(u32, u32) -> Result<(), PhotoErrorKind>,
    min_shorter_side: Option<u32>,
) -> Result<Option<Decoded>, PhotoErrorKind> {
    // libjpeg reports fatal errors by unwinding out of its callbacks.
    let run = || decode_unguarded(bytes, check_size, min_shorter_side);
    crate::catch_panic(run).unwrap_or_else(|message| {
        let message = message
            .trim_start_matches("libjpeg fatal error: ")
            .to_string();
        Err(PhotoErrorKind::Decode {
            format: "JPEG",
            message,
        })
    })
}

/// Picks libjpeg's scale numerator (the output is `numerator / 8` of the
/// declared size) for a photo whose shorter side is `shorter`: the smallest
/// that keeps the scaled shorter side at least `min_shorter_side`. Returns
/// 8, full scale, when no reduction keeps enough pixels.
pub fn dct_scale(shorter: u32, min_shorter_side: u32) -> u8 {
    (1..8u8)
        .find(|&numerator| scaled_side(shorter, numerator) >= min_shorter_side)
        .unwrap_or(8)
}

/// Side length libjpeg produces at `numerator / 8` scale; it rounds up.
fn scaled_side(side: u32, numerator: u8) -> u32 {
    (u64::from(side) * u64::from(numerator)).div_ceil(8) as u32
}

fn decode_unguarded(
    bytes: &[u8],
    check_size: impl Fn(u32, u32) -> Result<(), PhotoErrorKind>,
    min_shorter_side: Option<u32>,
) -> Result<Option<Decoded>, PhotoErrorKind> {
    let io_error = |e: std::io::Error| PhotoErrorKind::Decode {
        format: "JPEG",
        message: e.to_string(),
    };
    let mut decompress = Decompress::with_markers(&[Marker::APP(1)])
        .from_mem(bytes)
        .map_err(io_error)?;
    if matches!(
        decompress.color_space(),
        ColorSpace::JCS_CMYK | ColorSpace::JCS_YCCK
    ) {
        return Ok(None);
    }
    let (width, height) = decompress.size();
    let declared_size = (
        u32::try_from(width).unwrap_or(u32::MAX),
        u32::try_from(height).unwrap_or(u32::MAX),
    );
    check_size(declared_size.0, declared_size.1)?;
    let orientation = decompress
        .markers()
        .find_map(|marker| marker.data.strip_prefix(b"Exif\0\0"))
        .and_then(Orientation::from_exif_chunk)
        .unwrap_or(Orientation::NoTransforms);

    if let Some(min) = min_shorter_side {
        let numerator = dct_scale(declared_size.0.min(declared_size.1), min);
        if numerator < 8 {
            decompress.scale(numerator);
        }
    }

    let mut started = decompress.rgb().map_err(io_error)?;
    let (width, height) = (started.width(), started.height());
    let pixels: Vec<u8> = started.read_scanlines().map_err(io_error)?;
    // The pixels are complete here: libjpeg fills data missing at the end,
    // which the marker walk reports as a warning. A complaint from the
    // final step loses nothing.
    if let Err(error) = started.finish() {
        tracing::debug!(%error, "libjpeg failed to finish after reading all rows");
    }
    let image = RgbImage::from_raw(width as u32, height as u32, pixels).ok_or_else(|| {
        PhotoErrorKind::Decode {
            format: "JPEG",
            message: "fewer pixels than declared".to_string(),
        }
    })?;
    Ok(Some(Decoded {
        image,
        orientation,
        declared_size,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dct_scale_keeps_enough_pixels() {
        // A 12-megapixel photo (3000 pixels high) for a 512-pixel minimum.
        assert_eq!(dct_scale(3000, 512), 2);
        assert!(scaled_side(3000, 2) >= 512);
        assert!(scaled_side(3000, 1) < 512);
    }

    #[test]
    fn dct_scale_leaves_small_photos_whole() {
        assert_eq!(dct_scale(500, 512), 8);
        assert_eq!(dct_scale(511, 512), 8);
        assert_eq!(dct_scale(512, 512), 8);
    }

    #[test]
    fn dct_scale_rounds_up_like_libjpeg() {
        // 1025 * 4 / 8 = 512.5, which libjpeg rounds up to 513.
        assert_eq!(scaled_side(1025, 4), 513);
        assert_eq!(dct_scale(1025, 513), 4);
    }
}
