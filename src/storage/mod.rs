//! Models away from the local disk: the S3 client, the local cache that
//! keeps fetched models usable offline, and fetching and publishing.

pub mod cache;
pub mod fetch;
mod open;
pub mod s3;
mod s3_error;
mod tls;

pub use cache::{CachedModel, EntryInfo, ModelCache};
pub use fetch::{fetch_model, publish_model, FetchError, Progress, S3Uri};
pub use open::{open_model, OpenError, Remote};
pub use s3::{Listing, ObjectInfo, S3Client};
pub use s3_error::{S3Error, S3ErrorKind};
