//! Recognises a photo's format from its first bytes, never from its name.

/// A container format recognised by its signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Jpeg,
    Png,
    Gif,
    WebP,
    Bmp,
    Tiff,
    /// AV1 image file (ISO BMFF with an `avif`/`avis` brand).
    Avif,
    /// HEIF/HEIC, the default photo format of recent iPhones.
    Heic,
}

impl Format {
    /// Common name of the format, for messages.
    pub fn name(self) -> &'static str {
        match self {
            Format::Jpeg => "JPEG",
            Format::Png => "PNG",
            Format::Gif => "GIF",
            Format::WebP => "WebP",
            Format::Bmp => "BMP",
            Format::Tiff => "TIFF",
            Format::Avif => "AVIF",
            Format::Heic => "HEIC",
        }
    }

    /// Reports whether Petal can decode this format.
    pub fn is_decodable(self) -> bool {
        !matches!(self, Format::Avif | Format::Heic)
    }
}

/// Number of leading bytes that [`sniff`] needs at most.
pub const SNIFF_LEN: usize = 32;

/// Identifies the format from the first bytes of a file.
pub fn sniff(head: &[u8]) -> Option<Format> {
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some(Format::Jpeg);
    }
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some(Format::Png);
    }
    if head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a") {
        return Some(Format::Gif);
    }
    if head.len() >= 12 && &head[0..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        return Some(Format::WebP);
    }
    if head.starts_with(b"BM") && is_bmp_info_header(head) {
        return Some(Format::Bmp);
    }
    if head.starts_with(b"II*\0") || head.starts_with(b"MM\0*") {
        return Some(Format::Tiff);
    }
    sniff_iso_bmff(head)
}

/// Checks the size field of the header after the 14-byte file header,
/// which is one of the few sizes the BMP versions define. Text that starts
/// with "BM" fails this.
fn is_bmp_info_header(head: &[u8]) -> bool {
    let Some(size) = head.get(14..18) else {
        return false;
    };
    let size = u32::from_le_bytes([size[0], size[1], size[2], size[3]]);
    matches!(size, 12 | 16 | 40 | 52 | 56 | 64 | 108 | 124)
}

/// Recognises AVIF and HEIF by the major brand of their `ftyp` box.
fn sniff_iso_bmff(head: &[u8]) -> Option<Format> {
    if head.len() < 12 || &head[4..8] != b"ftyp" {
        return None;
    }
    match &head[8..12] {
        b"avif" | b"avis" => Some(Format::Avif),
        b"heic" | b"heix" | b"hevc" | b"hevx" | b"heim" | b"heis" | b"mif1" | b"msf1" => {
            Some(Format::Heic)
        }
        _ => None,
    }
}

/// Describes content that is not a photo, for error messages.
pub fn describe_unknown(head: &[u8]) -> &'static str {
    if head.starts_with(b"%PDF") {
        "a PDF document"
    } else if head.starts_with(b"PK\x03\x04") {
        "a ZIP archive"
    } else if head.starts_with(b"<") || head.starts_with(b"\xEF\xBB\xBF<") {
        "HTML or XML text"
    } else if !head.is_empty() && std::str::from_utf8(head).is_ok() {
        "plain text"
    } else {
        "data of an unknown format"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniff_known_signatures() {
        assert_eq!(sniff(b"\xFF\xD8\xFF\xE0\0\x10JFIF"), Some(Format::Jpeg));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n\0\0"), Some(Format::Png));
        assert_eq!(sniff(b"GIF89a\x01\0"), Some(Format::Gif));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some(Format::WebP));
        assert_eq!(sniff(b"II*\0\x08\0\0\0"), Some(Format::Tiff));
        assert_eq!(sniff(b"\0\0\0\x1cftypavif\0\0\0\0"), Some(Format::Avif));
        assert_eq!(sniff(b"\0\0\0\x18ftypheic\0\0\0\0"), Some(Format::Heic));
    }

    #[test]
    fn sniff_rejects_text() {
        assert_eq!(sniff(b"hello, this is not a photo"), None);
        assert_eq!(sniff(b"BMW service notes, spring inspection"), None);
        assert_eq!(describe_unknown(b"hello"), "plain text");
        assert_eq!(describe_unknown(b"<html>"), "HTML or XML text");
    }
}
