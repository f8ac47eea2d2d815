//! Errors and warnings about one photo.

use std::fmt;
use std::path::PathBuf;

/// A photo that could not be turned into pixels, and why.
#[derive(Debug, thiserror::Error)]
#[error("{}: {kind}", path.display())]
pub struct PhotoError {
    /// The file as the user named it.
    pub path: PathBuf,
    pub kind: PhotoErrorKind,
}

/// The cause of a [`PhotoError`], worded to be shown after the file name.
#[derive(Debug, thiserror::Error)]
pub enum PhotoErrorKind {
    #[error("cannot read the file: {}", crate::fsutil::describe_io_error(.0))]
    Io(#[from] std::io::Error),

    #[error("the file is empty (0 bytes); copy or download it again")]
    Empty,

    #[error("not a regular file (a folder, device, pipe or socket); name a photo file instead")]
    NotAFile,

    #[error("the file is {size} bytes, more than the {limit}-byte limit for one photo")]
    FileTooLarge { size: u64, limit: u64 },

    #[error("not a photo: the content is {found}; Petal reads JPEG, PNG, GIF, WebP, BMP and TIFF")]
    NotAnImage { found: &'static str },

    #[error("{format} photo: not supported; convert it to JPEG or PNG first")]
    UnsupportedFormat { format: &'static str },

    #[error("{encoding}: not supported; re-save the photo as a baseline JPEG or as PNG")]
    UnsupportedEncoding { encoding: String },

    #[error(
        "the photo declares {width}x{height} pixels, more than the limit of {max_pixels} pixels \
         ({max_side} per side); scale it down first"
    )]
    TooManyPixels {
        width: u32,
        height: u32,
        max_pixels: u64,
        max_side: u32,
    },

    #[error("the photo declares {width}x{height} pixels, so there is nothing to classify")]
    NoPixels { width: u32, height: u32 },

    #[error("the {format} data ends early (the file is cut short); copy or download it again")]
    Truncated { format: &'static str },

    #[error("invalid {format} data: {message}; the file may be damaged")]
    Decode {
        format: &'static str,
        message: String,
    },
}

/// A photo that was classified, but with a caveat the user should know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhotoWarning {
    /// The JPEG's data stops early; the decoder filled the rest with grey.
    Truncated,
    /// Only the first frame of an animation was classified.
    FirstFrameOnly { format: &'static str },
}

impl fmt::Display for PhotoWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PhotoWarning::Truncated => f.write_str(
                "the JPEG data ends early, so part of the photo is missing and was filled \
                 with grey; the result may be wrong",
            ),
            PhotoWarning::FirstFrameOnly { format } => {
                write!(f, "animated {format}: only the first frame was classified")
            }
        }
    }
}
