//! Reads the width and height a PNG, GIF, BMP or WebP file declares,
//! straight from its header.
//!
//! Decoders reject absurd sizes with their own words ("memory limit
//! exceeded", "image too large") or misread them, so Petal reads the size
//! first and names it in the error. JPEG sizes come from the marker walk;
//! TIFF decoders report theirs before allocating.

use super::sniff::Format;

/// Returns the declared width and height, or `None` when the header is
/// too short or the format keeps its size elsewhere.
pub fn declared_size(bytes: &[u8], format: Format) -> Option<(u32, u32)> {
    match format {
        Format::Png if bytes.get(12..16) == Some(b"IHDR") => {
            Some((be_u32(bytes, 16)?, be_u32(bytes, 20)?))
        }
        Format::Gif => Some((u32::from(le_u16(bytes, 6)?), u32::from(le_u16(bytes, 8)?))),
        Format::Bmp => bmp_size(bytes),
        Format::WebP => webp_size(bytes),
        _ => None,
    }
}

/// Reads a BMP's signed sizes (a negative height means top-down rows).
/// The info header's own size comes first and sets the width of the fields.
fn bmp_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if le_u32(bytes, 14)? == 12 {
        return Some((u32::from(le_u16(bytes, 18)?), u32::from(le_u16(bytes, 20)?)));
    }
    let width = le_u32(bytes, 18)? as i32;
    let height = le_u32(bytes, 22)? as i32;
    Some((width.unsigned_abs(), height.unsigned_abs()))
}

/// Reads the canvas of an extended WebP, or the frame size of a simple
/// lossless or lossy one.
fn webp_size(bytes: &[u8]) -> Option<(u32, u32)> {
    let chunk = bytes.get(12..16)?;
    match chunk {
        b"VP8X" => Some((le_u24(bytes, 24)? + 1, le_u24(bytes, 27)? + 1)),
        b"VP8L" if bytes.get(20) == Some(&0x2f) => {
            let bits = le_u32(bytes, 21)?;
            Some(((bits & 0x3fff) + 1, ((bits >> 14) & 0x3fff) + 1))
        }
        b"VP8 " if bytes.get(23..26) == Some(&[0x9d, 0x01, 0x2a]) => Some((
            u32::from(le_u16(bytes, 26)? & 0x3fff),
            u32::from(le_u16(bytes, 28)? & 0x3fff),
        )),
        _ => None,
    }
}

fn be_u32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

fn le_u32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

fn le_u24(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at + 3)?;
    Some(u32::from(b[0]) | u32::from(b[1]) << 8 | u32::from(b[2]) << 16)
}

fn le_u16(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(bytes.get(at..at + 2)?.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_of_small_headers() {
        let gif = b"GIF89a\x10\x00\x08\x00\x80\x00\x00";
        assert_eq!(declared_size(gif, Format::Gif), Some((16, 8)));
        let mut bmp = b"BM".to_vec();
        bmp.extend_from_slice(&[0; 12]);
        bmp.extend_from_slice(&40u32.to_le_bytes());
        bmp.extend_from_slice(&7i32.to_le_bytes());
        bmp.extend_from_slice(&(-5i32).to_le_bytes());
        assert_eq!(declared_size(&bmp, Format::Bmp), Some((7, 5)));
        assert_eq!(declared_size(b"\x89PNG", Format::Png), None);
    }
}
