//! A walk over a JPEG's marker segments, to learn what decoders do not report.
//!
//! Decoders fill a JPEG whose data stops early with grey and report success.
//! Walking the segments up to the end-of-image marker detects that cheaply,
//! without decoding any pixels, and reads the declared size before a
//! decoder allocates anything.

/// Findings of the marker walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct JpegLayout {
    /// The end-of-image marker was reached, so no data is missing.
    pub complete: bool,
    /// Width and height declared by the first start-of-frame segment.
    pub size: Option<(u32, u32)>,
}

const SOI: u8 = 0xD8;
const EOI: u8 = 0xD9;
const SOS: u8 = 0xDA;

/// Walks the marker segments of `data`, which starts with SOI.
pub fn walk(data: &[u8]) -> JpegLayout {
    let mut layout = JpegLayout::default();
    if data.len() < 2 || data[0] != 0xFF || data[1] != SOI {
        return layout;
    }
    let mut pos = 2;
    while let Some((marker, next)) = next_marker(data, pos) {
        pos = next;
        match marker {
            EOI => {
                layout.complete = true;
                return layout;
            }
            0xD0..=0xD7 | 0x01 | SOI => continue,
            _ => {}
        }
        let Some(length) = read_u16(data, pos) else {
            return layout;
        };
        let segment_end = pos + usize::from(length);
        if length < 2 || segment_end > data.len() {
            return layout;
        }
        if is_start_of_frame(marker) && layout.size.is_none() {
            layout.size = frame_size(&data[pos..segment_end]);
        }
        pos = segment_end;
        if marker == SOS {
            pos = skip_entropy_coded(data, pos);
        }
    }
    layout
}

/// Finds the marker at `pos`, skipping fill bytes; returns it and the
/// position after it.
fn next_marker(data: &[u8], mut pos: usize) -> Option<(u8, usize)> {
    if *data.get(pos)? != 0xFF {
        return None;
    }
    while *data.get(pos)? == 0xFF {
        pos += 1;
    }
    Some((data[pos], pos + 1))
}

/// Returns the position of the first marker after entropy-coded data.
/// Stuffed zero bytes (FF 00) and restart markers belong to the data.
fn skip_entropy_coded(data: &[u8], mut pos: usize) -> usize {
    while pos + 1 < data.len() {
        if data[pos] == 0xFF {
            let next = data[pos + 1];
            if next != 0x00 && next != 0xFF && !(0xD0..=0xD7).contains(&next) {
                return pos;
            }
        }
        pos += 1;
    }
    data.len()
}

fn is_start_of_frame(marker: u8) -> bool {
    matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC)
}

/// Reads width and height from a start-of-frame segment (length included).
fn frame_size(segment: &[u8]) -> Option<(u32, u32)> {
    let height = read_u16(segment, 3)?;
    let width = read_u16(segment, 5)?;
    Some((u32::from(width), u32::from(height)))
}

fn read_u16(data: &[u8], pos: usize) -> Option<u16> {
    let bytes = data.get(pos..pos + 2)?;
    Some(u16::from_be_bytes([bytes[0], bytes[1]]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny_jpeg() -> Vec<u8> {
        let image = image::RgbImage::from_pixel(16, 8, image::Rgb([200, 30, 90]));
        let mut out = Vec::new();
        let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90);
        image
            .write_with_encoder(encoder)
            .expect("encoding to memory succeeds");
        out
    }

    #[test]
    fn walk_complete_file() {
        let layout = walk(&tiny_jpeg());
        assert!(layout.complete);
        assert_eq!(layout.size, Some((16, 8)));
    }

    #[test]
    fn walk_detects_every_truncation() {
        let data = tiny_jpeg();
        for cut in 0..data.len() {
            assert!(!walk(&data[..cut]).complete, "cut at {cut} looked complete");
        }
    }

    #[test]
    fn walk_accepts_trailing_garbage() {
        let mut data = tiny_jpeg();
        data.extend_from_slice(b"trailing bytes appended by some camera apps");
        assert!(walk(&data).complete);
    }
}
