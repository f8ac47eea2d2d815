//! Turning photo files into model input: decoding by content, orientation,
//! decoder limits, and the resize, crop and normalisation a model expects.

mod decode;
mod error;
mod header;
pub mod jpeg;
mod libjpeg;
mod preprocess;
pub mod sniff;
pub mod thumbnail;

pub use decode::{
    decode_photo, decode_photo_reduced, open_photo, open_photo_reduced, DecodeLimits, Photo,
};
pub use error::{PhotoError, PhotoErrorKind, PhotoWarning};
pub use libjpeg::dct_scale;
pub use preprocess::{prepare_input, resize_and_crop, Layout, Preprocessing, Resize};
pub use sniff::Format;
