//! Opens a photo file as upright RGB pixels.

use std::io::{Cursor, Read};
use std::path::Path;

use image::codecs::gif::GifDecoder;
use image::codecs::png::PngDecoder;
use image::codecs::webp::WebPDecoder;
use image::error::{ImageError, LimitErrorKind};
use image::metadata::Orientation;
use image::{AnimationDecoder, DynamicImage, ImageDecoder, ImageFormat, ImageReader, RgbImage};

use super::error::{PhotoError, PhotoErrorKind, PhotoWarning};
use super::sniff::{self, Format};
use super::{header, jpeg, libjpeg};
use crate::fsutil::{open_regular_file, OpenFailure};

/// Bounds on what one photo may cost to decode.
#[derive(Debug, Clone, Copy)]
pub struct DecodeLimits {
    /// Largest file read into memory.
    pub max_file_bytes: u64,
    /// Largest width or height.
    pub max_side: u32,
    /// Largest width times height.
    pub max_pixels: u64,
    /// Largest buffer a decoder may allocate.
    pub max_alloc_bytes: u64,
}

impl Default for DecodeLimits {
    /// Room for 200-megapixel phone photos in 8-bit RGBA, and no more.
    fn default() -> Self {
        Self {
            max_file_bytes: 512 << 20,
            max_side: 65_000,
            max_pixels: 200_000_000,
            max_alloc_bytes: 1 << 30,
        }
    }
}

/// A decoded photo, upright, with transparency composited over white.
#[derive(Debug)]
pub struct Photo {
    pub image: RgbImage,
    pub format: Format,
    /// Upright width and height of the photo as stored, which `image` is
    /// smaller than when a reduced decode was asked for.
    pub full_size: (u32, u32),
    /// Caveats about the pixels, for the user.
    pub warnings: Vec<PhotoWarning>,
}

/// Reads and decodes the photo at `path`.
pub fn open_photo(path: &Path, limits: &DecodeLimits) -> Result<Photo, PhotoError> {
    open_photo_reduced(path, limits, None)
}

/// Reads and decodes the photo at `path`. With `min_shorter_side`, a JPEG
/// large enough is decoded at a reduced DCT scale, faster and smaller, with
/// its shorter side still at least that long; other formats and smaller
/// JPEGs are decoded whole.
pub fn open_photo_reduced(
    path: &Path,
    limits: &DecodeLimits,
    min_shorter_side: Option<u32>,
) -> Result<Photo, PhotoError> {
    read_file(path, limits)
        .and_then(|bytes| decode_photo_reduced(&bytes, limits, min_shorter_side))
        .map_err(|kind| PhotoError {
            path: path.to_path_buf(),
            kind,
        })
}

fn read_file(path: &Path, limits: &DecodeLimits) -> Result<Vec<u8>, PhotoErrorKind> {
    let file = open_regular_file(path).map_err(|failure| match failure {
        OpenFailure::Io(error) => PhotoErrorKind::Io(error),
        OpenFailure::NotAFile => PhotoErrorKind::NotAFile,
    })?;
    let size = file.metadata()?.len();
    if size > limits.max_file_bytes {
        return Err(PhotoErrorKind::FileTooLarge {
            size,
            limit: limits.max_file_bytes,
        });
    }
    let mut bytes = Vec::with_capacity(size as usize);
    // The file may grow while it is read; never read past the limit.
    file.take(limits.max_file_bytes + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limits.max_file_bytes {
        return Err(PhotoErrorKind::FileTooLarge {
            size: bytes.len() as u64,
            limit: limits.max_file_bytes,
        });
    }
    Ok(bytes)
}

/// Decodes a photo held in memory, recognising its format by content.
pub fn decode_photo(bytes: &[u8], limits: &DecodeLimits) -> Result<Photo, PhotoErrorKind> {
    decode_photo_reduced(bytes, limits, None)
}

/// Decodes a photo held in memory, as [`open_photo_reduced`] does.
pub fn decode_photo_reduced(
    bytes: &[u8],
    limits: &DecodeLimits,
    min_shorter_side: Option<u32>,
) -> Result<Photo, PhotoErrorKind> {
    if bytes.is_empty() {
        return Err(PhotoErrorKind::Empty);
    }
    let head = &bytes[..bytes.len().min(sniff::SNIFF_LEN)];
    let format = sniff::sniff(head).ok_or_else(|| PhotoErrorKind::NotAnImage {
        found: sniff::describe_unknown(head),
    })?;
    if !format.is_decodable() {
        return Err(PhotoErrorKind::UnsupportedFormat {
            format: format.name(),
        });
    }

    let mut warnings = Vec::new();
    if format == Format::Jpeg {
        check_jpeg(bytes, limits, &mut warnings)?;
        let check_size = |width, height| check_dimensions(width, height, limits);
        let decoded = libjpeg::decode(bytes, check_size, min_shorter_side).map_err(|error| {
            // A file cut inside its headers fails to decode at all, so report it as truncated.
            match (&error, warnings.contains(&PhotoWarning::Truncated)) {
                (PhotoErrorKind::Decode { .. }, true) => {
                    PhotoErrorKind::Truncated { format: "JPEG" }
                }
                _ => error,
            }
        })?;
        if let Some(decoded) = decoded {
            let (width, height) = decoded.declared_size;
            let full_size = match decoded.orientation {
                Orientation::Rotate90
                | Orientation::Rotate270
                | Orientation::Rotate90FlipH
                | Orientation::Rotate270FlipH => (height, width),
                _ => (width, height),
            };
            let mut image = DynamicImage::ImageRgb8(decoded.image);
            image.apply_orientation(decoded.orientation);
            return Ok(Photo {
                image: flatten_to_rgb(image),
                format,
                full_size,
                warnings,
            });
        }
    }
    if let Some((width, height)) = header::declared_size(bytes, format) {
        check_dimensions(width, height, limits)?;
    }
    let image = decode_upright(bytes, format, limits)?;
    if is_animated(bytes, format) {
        warnings.push(PhotoWarning::FirstFrameOnly {
            format: format.name(),
        });
    }
    let image = flatten_to_rgb(image);
    Ok(Photo {
        full_size: image.dimensions(),
        image,
        format,
        warnings,
    })
}

/// Checks the declared size before decoding and notes missing data.
fn check_jpeg(
    bytes: &[u8],
    limits: &DecodeLimits,
    warnings: &mut Vec<PhotoWarning>,
) -> Result<(), PhotoErrorKind> {
    let layout = jpeg::walk(bytes);
    if let Some((width, height)) = layout.size {
        check_dimensions(width, height, limits)?;
    }
    if !layout.complete {
        warnings.push(PhotoWarning::Truncated);
    }
    Ok(())
}

fn check_dimensions(width: u32, height: u32, limits: &DecodeLimits) -> Result<(), PhotoErrorKind> {
    if width == 0 || height == 0 {
        return Err(PhotoErrorKind::NoPixels { width, height });
    }
    let pixels = u64::from(width) * u64::from(height);
    if width > limits.max_side || height > limits.max_side || pixels > limits.max_pixels {
        return Err(PhotoErrorKind::TooManyPixels {
            width,
            height,
            max_pixels: limits.max_pixels,
            max_side: limits.max_side,
        });
    }
    Ok(())
}

/// Decodes the first frame and applies the EXIF orientation.
fn decode_upright(
    bytes: &[u8],
    format: Format,
    limits: &DecodeLimits,
) -> Result<DynamicImage, PhotoErrorKind> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), image_format(format));
    // Width and height are checked below, after the header is read, so the
    // error can name them; the decoders enforce only the allocation bound.
    let mut decoder_limits = image::Limits::default();
    decoder_limits.max_image_width = None;
    decoder_limits.max_image_height = None;
    decoder_limits.max_alloc = Some(limits.max_alloc_bytes);
    reader.limits(decoder_limits);

    let to_kind = |error| decode_error_kind(error, format, limits);
    let mut decoder = reader.into_decoder().map_err(to_kind)?;
    let (width, height) = decoder.dimensions();
    check_dimensions(width, height, limits)?;
    // A damaged EXIF block only loses the rotation, not the photo.
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(to_kind)?;
    image.apply_orientation(orientation);
    Ok(image)
}

fn image_format(format: Format) -> ImageFormat {
    match format {
        Format::Jpeg => ImageFormat::Jpeg,
        Format::Png => ImageFormat::Png,
        Format::Gif => ImageFormat::Gif,
        Format::WebP => ImageFormat::WebP,
        Format::Bmp => ImageFormat::Bmp,
        Format::Tiff => ImageFormat::Tiff,
        Format::Avif => ImageFormat::Avif,
        Format::Heic => ImageFormat::Avif,
    }
}

/// Maps a decoder error onto the cause a user can act on.
fn decode_error_kind(error: ImageError, format: Format, limits: &DecodeLimits) -> PhotoErrorKind {
    let name = format.name();
    match error {
        ImageError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            PhotoErrorKind::Truncated { format: name }
        }
        ImageError::Limits(e) => match e.kind() {
            LimitErrorKind::DimensionError => PhotoErrorKind::Decode {
                format: name,
                message: format!(
                    "a dimension exceeds the limit of {} pixels",
                    limits.max_side
                ),
            },
            _ => PhotoErrorKind::Decode {
                format: name,
                message: format!("decoding needs more memory than the limit allows ({e})"),
            },
        },
        ImageError::Unsupported(e) if format == Format::Tiff => {
            tracing::debug!(error = %e, "unsupported TIFF");
            PhotoErrorKind::UnsupportedEncoding {
                encoding: "this TIFF's compression or colour type (such as JPEG inside TIFF)"
                    .to_string(),
            }
        }
        ImageError::Unsupported(e) => PhotoErrorKind::UnsupportedEncoding {
            encoding: format!("{name} feature ({e})"),
        },
        other => {
            let message = other.to_string();
            if looks_truncated(&message) {
                PhotoErrorKind::Truncated { format: name }
            } else {
                PhotoErrorKind::Decode {
                    format: name,
                    message,
                }
            }
        }
    }
}

/// Decoders report missing data in their own words; these are the ones
/// `image` 0.25 and its PNG, GIF, WebP, BMP and TIFF decoders use.
fn looks_truncated(message: &str) -> bool {
    let lower = message.to_ascii_lowercase();
    [
        "unexpected eof",
        "unexpected end",
        "end of file",
        "failed to fill whole buffer",
        "eof",
    ]
    .iter()
    .any(|needle| lower.contains(needle))
}

/// Reports whether the file contains more than one frame. Only the first is used.
fn is_animated(bytes: &[u8], format: Format) -> bool {
    match format {
        Format::Gif => GifDecoder::new(Cursor::new(bytes))
            .map(|decoder| decoder.into_frames().take(2).filter(Result::is_ok).count() > 1)
            .unwrap_or(false),
        Format::WebP => WebPDecoder::new(Cursor::new(bytes))
            .map(|decoder| decoder.has_animation())
            .unwrap_or(false),
        Format::Png => PngDecoder::new(Cursor::new(bytes))
            .and_then(|decoder| decoder.is_apng())
            .unwrap_or(false),
        _ => false,
    }
}

/// Converts any pixel format to 8-bit RGB, compositing alpha over white.
fn flatten_to_rgb(image: DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.into_rgb8();
    }
    let rgba = image.into_rgba8();
    let (width, height) = rgba.dimensions();
    let mut rgb = RgbImage::new(width, height);
    for (out, pixel) in rgb.pixels_mut().zip(rgba.pixels()) {
        let alpha = u32::from(pixel[3]);
        for channel in 0..3 {
            let value = u32::from(pixel[channel]) * alpha + 255 * (255 - alpha);
            out[channel] = ((value + 127) / 255) as u8;
        }
    }
    rgb
}
