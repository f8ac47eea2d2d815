//! Photo fixtures made in memory: every format the encoders of `image` can
//! write, EXIF orientations and headers that lie about their size.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, Rgb, RgbImage};

/// Draws a 64x32 photo with four solid quadrants, so any rotation or mirror shows.
pub fn quadrants() -> RgbImage {
    RgbImage::from_fn(64, 32, |x, y| match (x < 32, y < 16) {
        (true, true) => Rgb([220, 30, 30]),
        (false, true) => Rgb([30, 200, 40]),
        (true, false) => Rgb([30, 40, 210]),
        (false, false) => Rgb([230, 220, 40]),
    })
}

pub fn encode(image: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    image
        .write_to(&mut out, format)
        .expect("encoding to memory succeeds");
    out.into_inner()
}

/// Swaps rows and columns.
pub fn transpose(image: &RgbImage) -> RgbImage {
    RgbImage::from_fn(image.height(), image.width(), |x, y| *image.get_pixel(y, x))
}

/// Computes the stored pixels that display as `upright` under EXIF `orientation`.
pub fn stored_for_orientation(upright: &RgbImage, orientation: u16) -> RgbImage {
    use image::imageops::{flip_horizontal, flip_vertical, rotate180, rotate270, rotate90};
    match orientation {
        1 => upright.clone(),
        2 => flip_horizontal(upright),
        3 => rotate180(upright),
        4 => flip_vertical(upright),
        5 => transpose(upright),
        6 => rotate270(upright),
        7 => rotate180(&transpose(upright)),
        8 => rotate90(upright),
        other => panic!("EXIF orientation {other} does not exist"),
    }
}

/// Encodes a JPEG whose APP1 segment contains an EXIF orientation tag.
pub fn jpeg_with_orientation(stored: &RgbImage, orientation: u16) -> Vec<u8> {
    let jpeg = encode(&DynamicImage::ImageRgb8(stored.clone()), ImageFormat::Jpeg);
    let mut exif = b"Exif\0\0II*\0\x08\0\0\0".to_vec();
    exif.extend_from_slice(&1u16.to_le_bytes()); // one IFD entry
    exif.extend_from_slice(&0x0112u16.to_le_bytes()); // Orientation
    exif.extend_from_slice(&3u16.to_le_bytes()); // SHORT
    exif.extend_from_slice(&1u32.to_le_bytes()); // one value
    exif.extend_from_slice(&orientation.to_le_bytes());
    exif.extend_from_slice(&[0, 0, 0, 0, 0, 0]); // padding, no next IFD
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((exif.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(&exif);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// Writes a PNG signature and header chunk declaring `width`x`height` RGBA pixels,
/// followed by a tiny data chunk: a decompression bomb's header.
pub fn png_header_claiming(width: u32, height: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]); // 8-bit RGBA, no interlace
    push_chunk(&mut out, b"IHDR", &ihdr);
    push_chunk(
        &mut out,
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    );
    push_chunk(&mut out, b"IEND", &[]);
    out
}

fn push_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32fast::hash(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// Mean colour of a rectangle.
pub fn mean_rgb(image: &RgbImage, x0: u32, y0: u32, w: u32, h: u32) -> [f64; 3] {
    let mut sum = [0.0; 3];
    for y in y0..y0 + h {
        for x in x0..x0 + w {
            let p = image.get_pixel(x, y);
            for c in 0..3 {
                sum[c] += f64::from(p[c]);
            }
        }
    }
    sum.map(|s| s / f64::from(w * h))
}
