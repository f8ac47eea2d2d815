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
}

/// Decodes a YCbCr or greyscale JPEG. Returns `Ok(None)` for colour spaces
/// libjpeg cannot convert to RGB. `check_size` receives the declared size
/// before any pixel buffer exists.
pub fn decode(
    bytes: &[u8],
    check_size: impl Fn(u32, u32) -> Result<(), PhotoErrorKind>,
) -> Result<Option<Decoded>, PhotoErrorKind> {
    // libjpeg reports fatal errors by unwinding out of its callbacks.
    crate::catch_panic(|| decode_unguarded(bytes, check_size)).unwrap_or_else(|message| {
        let message = message
            .trim_start_matches("libjpeg fatal error: ")
            .to_string();
        Err(PhotoErrorKind::Decode {
            format: "JPEG",
            message,
        })
    })
}

fn decode_unguarded(
    bytes: &[u8],
    check_size: impl Fn(u32, u32) -> Result<(), PhotoErrorKind>,
) -> Result<Option<Decoded>, PhotoErrorKind> {
    let io_error = |e: std::io::Error| PhotoErrorKind::Decode {
        format: "JPEG",
        message: e.to_string(),
    };
    let decompress = Decompress::with_markers(&[Marker::APP(1)])
        .from_mem(bytes)
        .map_err(io_error)?;
    if matches!(
        decompress.color_space(),
        ColorSpace::JCS_CMYK | ColorSpace::JCS_YCCK
    ) {
        return Ok(None);
    }
    let (width, height) = decompress.size();
    check_size(
        u32::try_from(width).unwrap_or(u32::MAX),
        u32::try_from(height).unwrap_or(u32::MAX),
    )?;
    let orientation = decompress
        .markers()
        .find_map(|marker| marker.data.strip_prefix(b"Exif\0\0"))
        .and_then(Orientation::from_exif_chunk)
        .unwrap_or(Orientation::NoTransforms);

    let mut started = decompress.rgb().map_err(io_error)?;
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
    Ok(Some(Decoded { image, orientation }))
}
