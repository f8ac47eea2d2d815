//! Fetching a model (with its sidecars) from S3 into the cache, and
//! publishing a local model to S3.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use super::cache::{now_seconds, safe_file_name, CachedModel, EntryInfo, ModelCache};
use super::s3::S3Client;
use super::s3_error::{S3Error, S3ErrorKind};

/// Files that describe a model when they sit beside it.
pub const SIDECAR_NAMES: [&str; 5] = [
    "labels.txt",
    "cat_to_name.json",
    "class_to_idx.json",
    "config.json",
    "preprocessor_config.json",
];

/// Reports bytes done and, when known, the total.
pub type Progress<'a> = &'a (dyn Fn(u64, Option<u64>) + Sync);

/// An `s3://BUCKET/KEY` location; the key may be empty or a prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Uri {
    pub bucket: String,
    pub key: String,
}

impl S3Uri {
    pub fn parse(text: &str) -> Result<Self, String> {
        let rest = text
            .trim()
            .strip_prefix("s3://")
            .ok_or_else(|| format!("{text:?} is not an s3://BUCKET/KEY URI"))?;
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(format!("{text:?} names no bucket; write s3://BUCKET/KEY"));
        }
        Ok(Self {
            bucket: bucket.to_string(),
            key: key.to_string(),
        })
    }

    /// Returns the key's folder, ending with `/`, or empty at the bucket's top.
    pub fn folder(&self) -> &str {
        self.key
            .rsplit_once('/')
            .map_or("", |(folder, _)| &self.key[..=folder.len()])
    }

    /// Returns the last part of the key.
    pub fn file_name(&self) -> &str {
        self.key.rsplit('/').next().unwrap_or("")
    }
}

impl std::fmt::Display for S3Uri {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.key)
    }
}

/// Error from fetching or publishing a model.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error(transparent)]
    S3(#[from] S3Error),
    #[error("cache folder {}: {source}. Check that it is writable, or set PETAL_CACHE_DIR", path.display())]
    Cache {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Invalid(String),
}

/// Returns the cached entry for `uri`, downloading it first when it is
/// not cached or `refresh` is set. A cached model needs no network, and
/// `connect` is called only when a download is needed.
pub fn fetch_model(
    uri: &S3Uri,
    cache: &ModelCache,
    connect: impl FnOnce() -> Result<S3Client, S3Error>,
    progress: Progress,
    cancel: &AtomicBool,
    refresh: bool,
) -> Result<CachedModel, FetchError> {
    if uri.key.is_empty() || uri.key.ends_with('/') {
        return Err(FetchError::Invalid(format!(
            "{uri} is a folder; name a model object such as {uri}model.onnx"
        )));
    }
    let source = uri.to_string();
    if !refresh {
        if let Some(entry) = cache.lookup(&source) {
            return Ok(entry);
        }
    }
    let client = connect()?;
    let cache_error = |source| FetchError::Cache {
        path: cache.root().to_path_buf(),
        source,
    };
    let staging = cache.stage(&source).map_err(cache_error)?;
    let model_file = safe_file_name(uri.file_name());
    let downloaded = client.download(
        &uri.bucket,
        &uri.key,
        &staging.path().join(&model_file),
        progress,
        cancel,
    )?;
    let sidecars = fetch_sidecars(&client, uri, staging.path(), cancel)?;
    let info = EntryInfo {
        source,
        model_file,
        sidecars,
        size: downloaded.size,
        sha256: downloaded.sha256,
        etag: downloaded.etag,
        fetched_at: now_seconds(),
    };
    cache.commit(staging, info).map_err(cache_error)
}

/// Downloads the sidecar files in the model's folder. A folder that cannot
/// be listed (no list permission) gives no sidecars rather than an error.
fn fetch_sidecars(
    client: &S3Client,
    uri: &S3Uri,
    folder: &Path,
    cancel: &AtomicBool,
) -> Result<Vec<String>, S3Error> {
    let listing = match client.list(&uri.bucket, uri.folder(), cancel) {
        Ok(listing) => listing,
        Err(error) if matches!(error.kind, S3ErrorKind::Cancelled) => return Err(error),
        Err(error) => {
            tracing::warn!(%error, "cannot list the model's folder; fetching no sidecars");
            return Ok(Vec::new());
        }
    };
    let stem = uri
        .file_name()
        .rsplit_once('.')
        .map_or(uri.file_name(), |(stem, _)| stem);
    let own_description = format!("{stem}.json");
    let mut fetched = Vec::new();
    for object in &listing.objects {
        let name = object.key.rsplit('/').next().unwrap_or("");
        if !SIDECAR_NAMES.contains(&name) && name != own_description {
            continue;
        }
        let local = safe_file_name(name);
        client.download(
            &uri.bucket,
            &object.key,
            &folder.join(&local),
            &|_, _| {},
            cancel,
        )?;
        fetched.push(local);
    }
    Ok(fetched)
}

/// Uploads a model and the sidecars beside it. A `uri` ending in `/` is a
/// folder and gets the file's own name. Returns the keys written.
pub fn publish_model(
    client: &S3Client,
    file: &Path,
    uri: &S3Uri,
) -> Result<Vec<String>, FetchError> {
    if !file.is_file() {
        return Err(FetchError::Invalid(format!(
            "{} is not a model file; name an .onnx file",
            file.display()
        )));
    }
    let file_name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let key = if uri.key.is_empty() || uri.key.ends_with('/') {
        format!("{}{file_name}", uri.key)
    } else {
        uri.key.clone()
    };
    let target = S3Uri {
        bucket: uri.bucket.clone(),
        key,
    };
    client.upload(file, &target.bucket, &target.key)?;
    let mut written = vec![target.key.clone()];
    let stem = target
        .file_name()
        .rsplit_once('.')
        .map_or(target.file_name(), |(stem, _)| stem);
    let local_stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut sidecars: Vec<(PathBuf, String)> = SIDECAR_NAMES
        .iter()
        .map(|name| (file.with_file_name(name), name.to_string()))
        .collect();
    sidecars.push((
        file.with_file_name(format!("{local_stem}.json")),
        format!("{stem}.json"),
    ));
    for (local, name) in sidecars.into_iter().filter(|(local, _)| local.is_file()) {
        let key = format!("{}{name}", target.folder());
        client.upload(&local, &target.bucket, &key)?;
        written.push(key);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_uris_split_into_bucket_folder_and_name() {
        let uri = S3Uri::parse("s3://team/models/v2/flowers.onnx").expect("valid");
        assert_eq!(uri.bucket, "team");
        assert_eq!(uri.folder(), "models/v2/");
        assert_eq!(uri.file_name(), "flowers.onnx");
        assert_eq!(uri.to_string(), "s3://team/models/v2/flowers.onnx");
        assert_eq!(S3Uri::parse("s3://team").expect("valid").folder(), "");
        assert!(S3Uri::parse("s3:///key").is_err());
        assert!(S3Uri::parse("/tmp/model.onnx").is_err());
    }
}
