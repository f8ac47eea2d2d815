//! Opening photos: every supported format, orientation and broken input.

mod support;

use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use petal::imaging::{
    decode_photo, open_photo, DecodeLimits, Format, PhotoErrorKind, PhotoWarning,
};
use support::photos::*;

fn decode(bytes: &[u8]) -> Result<petal::imaging::Photo, PhotoErrorKind> {
    decode_photo(bytes, &DecodeLimits::default())
}

fn assert_close(actual: [f64; 3], expected: [u8; 3], tolerance: f64, context: &str) {
    for c in 0..3 {
        let gap = (actual[c] - f64::from(expected[c])).abs();
        assert!(
            gap <= tolerance,
            "{context}: channel {c} is {} not {}",
            actual[c],
            expected[c]
        );
    }
}

/// Checks the four quadrants of a decoded [`quadrants`] photo.
fn assert_upright_quadrants(image: &RgbImage, tolerance: f64, context: &str) {
    assert_eq!(image.dimensions(), (64, 32), "{context}: size");
    assert_close(
        mean_rgb(image, 4, 4, 24, 8),
        [220, 30, 30],
        tolerance,
        context,
    );
    assert_close(
        mean_rgb(image, 36, 4, 24, 8),
        [30, 200, 40],
        tolerance,
        context,
    );
    assert_close(
        mean_rgb(image, 4, 20, 24, 8),
        [30, 40, 210],
        tolerance,
        context,
    );
    assert_close(
        mean_rgb(image, 36, 20, 24, 8),
        [230, 220, 40],
        tolerance,
        context,
    );
}

#[test]
fn lossless_formats_decode_exactly() {
    let source = DynamicImage::ImageRgb8(quadrants());
    for format in [
        ImageFormat::Png,
        ImageFormat::Bmp,
        ImageFormat::Tiff,
        ImageFormat::WebP,
    ] {
        let photo = decode(&encode(&source, format)).expect("decodes");
        assert_eq!(photo.image, quadrants(), "{format:?} pixels");
        assert!(photo.warnings.is_empty(), "{format:?} warnings");
    }
}

#[test]
fn jpeg_and_gif_decode_close() {
    let source = DynamicImage::ImageRgb8(quadrants());
    let jpeg = decode(&encode(&source, ImageFormat::Jpeg)).expect("JPEG decodes");
    assert_eq!(jpeg.format, Format::Jpeg);
    assert_upright_quadrants(&jpeg.image, 12.0, "JPEG");
    let gif = decode(&encode(&source, ImageFormat::Gif)).expect("GIF decodes");
    assert_upright_quadrants(&gif.image, 12.0, "GIF");
}

#[test]
fn png_sixteen_bit_scales_to_eight() {
    let wide = image::ImageBuffer::<image::Rgb<u16>, _>::from_pixel(4, 4, Rgb([65535, 32896, 0]));
    let photo =
        decode(&encode(&DynamicImage::ImageRgb16(wide), ImageFormat::Png)).expect("decodes");
    assert_eq!(photo.image.get_pixel(0, 0), &Rgb([255, 128, 0]));
}

#[test]
fn png_gray_and_gray_alpha() {
    let gray = image::GrayImage::from_pixel(4, 4, image::Luma([90]));
    let photo = decode(&encode(&DynamicImage::ImageLuma8(gray), ImageFormat::Png)).expect("gray");
    assert_eq!(photo.image.get_pixel(1, 1), &Rgb([90, 90, 90]));

    // Half-transparent black over white is mid grey; fully transparent is white.
    let gray_alpha = image::GrayAlphaImage::from_fn(2, 1, |x, _| {
        if x == 0 {
            image::LumaA([0, 128])
        } else {
            image::LumaA([0, 0])
        }
    });
    let photo = decode(&encode(
        &DynamicImage::ImageLumaA8(gray_alpha),
        ImageFormat::Png,
    ))
    .expect("gray+alpha");
    assert_eq!(photo.image.get_pixel(0, 0), &Rgb([127, 127, 127]));
    assert_eq!(photo.image.get_pixel(1, 0), &Rgb([255, 255, 255]));
}

#[test]
fn webp_alpha_composites_over_white() {
    let rgba = image::RgbaImage::from_pixel(4, 4, image::Rgba([200, 0, 0, 0]));
    let photo =
        decode(&encode(&DynamicImage::ImageRgba8(rgba), ImageFormat::WebP)).expect("decodes");
    assert_eq!(photo.image.get_pixel(0, 0), &Rgb([255, 255, 255]));
}

#[test]
fn exif_orientations_one_to_eight_come_out_upright() {
    let upright = quadrants();
    for orientation in 1..=8 {
        let stored = stored_for_orientation(&upright, orientation);
        let photo = decode(&jpeg_with_orientation(&stored, orientation)).expect("decodes");
        assert_upright_quadrants(&photo.image, 12.0, &format!("orientation {orientation}"));
    }
}

#[test]
fn empty_file_is_named_empty() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("empty.jpg");
    std::fs::write(&path, b"").expect("write");
    let error = open_photo(&path, &DecodeLimits::default()).unwrap_err();
    assert!(matches!(error.kind, PhotoErrorKind::Empty));
    let message = error.to_string();
    assert!(message.contains("empty.jpg"), "{message}");
    assert!(message.contains("empty (0 bytes)"), "{message}");
}

#[test]
fn text_named_jpg_is_not_a_photo() {
    let error = decode(b"just some notes, saved with the wrong name").unwrap_err();
    assert!(
        matches!(
            error,
            PhotoErrorKind::NotAnImage {
                found: "plain text"
            }
        ),
        "{error}"
    );
}

#[test]
fn truncated_jpeg_warns_at_every_cut() {
    let bytes = encode(&DynamicImage::ImageRgb8(quadrants()), ImageFormat::Jpeg);
    // Cut inside the compressed data: the decoder fills the rest with grey.
    for cut in [bytes.len() - 2, bytes.len() * 3 / 4, bytes.len() / 2 + 100] {
        match decode(&bytes[..cut]) {
            Ok(photo) => assert_eq!(photo.warnings, [PhotoWarning::Truncated], "cut at {cut}"),
            Err(error) => assert!(
                matches!(
                    error,
                    PhotoErrorKind::Truncated { .. } | PhotoErrorKind::Decode { .. }
                ),
                "cut at {cut}: {error}"
            ),
        }
    }
}

#[test]
fn truncated_png_is_an_error() {
    let bytes = encode(&DynamicImage::ImageRgb8(quadrants()), ImageFormat::Png);
    let error = decode(&bytes[..bytes.len() / 2]).unwrap_err();
    assert!(
        matches!(
            error,
            PhotoErrorKind::Truncated { format: "PNG" } | PhotoErrorKind::Decode { .. }
        ),
        "{error}"
    );
}

#[test]
fn decompression_bomb_is_rejected_by_header() {
    let started = std::time::Instant::now();
    let error = decode(&png_header_claiming(100_000, 100_000)).unwrap_err();
    assert!(
        matches!(
            error,
            PhotoErrorKind::TooManyPixels {
                width: 100_000,
                height: 100_000,
                ..
            }
        ),
        "{error}"
    );
    assert!(error.to_string().contains("100000x100000"));
    // Rejected before any pixel buffer exists, so it is instant.
    assert!(started.elapsed().as_secs() < 5);
}

#[test]
fn limits_apply_to_every_format() {
    let limits = DecodeLimits {
        max_pixels: 1000,
        ..DecodeLimits::default()
    };
    let source = DynamicImage::ImageRgb8(quadrants());
    for format in [
        ImageFormat::Png,
        ImageFormat::Jpeg,
        ImageFormat::Gif,
        ImageFormat::Bmp,
        ImageFormat::Tiff,
        ImageFormat::WebP,
    ] {
        let error = decode_photo(&encode(&source, format), &limits).unwrap_err();
        assert!(
            matches!(error, PhotoErrorKind::TooManyPixels { .. }),
            "{format:?}: {error}"
        );
    }
}

#[test]
fn animated_gif_uses_first_frame_and_warns() {
    use image::codecs::gif::GifEncoder;
    use image::Frame;
    let mut bytes = Vec::new();
    {
        let mut encoder = GifEncoder::new(&mut bytes);
        for colour in [[250, 0, 0, 255], [0, 0, 250, 255]] {
            let frame = image::RgbaImage::from_pixel(8, 8, image::Rgba(colour));
            encoder
                .encode_frame(Frame::new(frame))
                .expect("frame encodes");
        }
    }
    let photo = decode(&bytes).expect("decodes");
    assert_eq!(
        photo.warnings,
        [PhotoWarning::FirstFrameOnly { format: "GIF" }]
    );
    let first = photo.image.get_pixel(4, 4);
    assert!(
        first[0] > 200 && first[2] < 50,
        "first frame is red, got {first:?}"
    );
}

#[test]
fn avif_and_heic_are_named_unsupported() {
    let avif = b"\0\0\0\x1cftypavif\0\0\0\0avifmif1miaf";
    let error = decode(avif).unwrap_err();
    assert_eq!(
        error.to_string(),
        "AVIF photo: not supported; convert it to JPEG or PNG first"
    );
    let heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic";
    assert!(matches!(
        decode(heic).unwrap_err(),
        PhotoErrorKind::UnsupportedFormat { format: "HEIC" }
    ));
}

#[test]
fn garbage_after_valid_jpeg_is_fine() {
    let mut bytes = encode(&DynamicImage::ImageRgb8(quadrants()), ImageFormat::Jpeg);
    bytes.extend_from_slice(&[0x42; 5000]);
    let photo = decode(&bytes).expect("decodes");
    assert!(photo.warnings.is_empty(), "{:?}", photo.warnings);
    assert_upright_quadrants(&photo.image, 12.0, "JPEG with trailing data");
}

/// Reads a fixture that `tools/fixtures/make_photos.py` wrote with Pillow.
fn fixture(name: &str) -> petal::imaging::Photo {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/photos")
        .join(name);
    open_photo(&path, &DecodeLimits::default()).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn pillow_fixtures_decode_upright() {
    for name in ["lossy.webp", "cmyk.jpg", "progressive.jpg"] {
        assert_upright_quadrants(&fixture(name).image, 16.0, name);
    }
}

#[test]
fn palette_png_decodes_exactly() {
    assert_eq!(fixture("palette.png").image, quadrants());
}

#[test]
fn lossy_webp_alpha_over_white() {
    let photo = fixture("lossy-alpha.webp");
    assert_eq!(photo.image.get_pixel(0, 0), &Rgb([255, 255, 255]));
    assert_close(
        mean_rgb(&photo.image, 36, 20, 24, 8),
        [230, 220, 40],
        16.0,
        "opaque part",
    );
}

#[test]
fn grayscale_jpeg_becomes_gray_rgb() {
    let photo = fixture("gray.jpg");
    let red_quadrant = mean_rgb(&photo.image, 4, 4, 24, 8);
    // ITU-R BT.601 luma of (220, 30, 30) is about 87.
    assert_close(red_quadrant, [87, 87, 87], 4.0, "grey red quadrant");
    assert!(photo.image.pixels().all(|p| p[0] == p[1] && p[1] == p[2]));
}

#[test]
fn fifo_is_not_a_regular_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("fifo.jpg");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    // With no writer, a blocking open would wait forever; the check must
    // return at once.
    let error = open_photo(&fifo, &DecodeLimits::default()).unwrap_err();
    assert!(matches!(error.kind, PhotoErrorKind::NotAFile), "{error}");
}

#[test]
fn jpeg_cut_in_headers_is_truncated() {
    let bytes = encode(&DynamicImage::ImageRgb8(quadrants()), ImageFormat::Jpeg);
    let error = decode(&bytes[..200]).unwrap_err();
    assert!(
        matches!(error, PhotoErrorKind::Truncated { format: "JPEG" }),
        "{error}"
    );
}
