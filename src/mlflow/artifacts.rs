//! Reading artifacts wherever a run keeps them: through the tracking
//! server's artifact proxy (`mlflow-artifacts:/...`) or straight from S3
//! (`s3://...`) with Petal's S3 settings.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::OnceLock;

use serde::Deserialize;

use super::client::{Downloaded, MlflowClient};
use super::error::MlflowError;
use crate::settings::S3Config;
use crate::storage::cache::safe_file_name;
use crate::storage::fetch::S3Uri;
use crate::storage::s3::file_sha256;
use crate::storage::S3Client;

/// Most files one folder download writes.
pub const MAX_FILES: usize = 1000;
/// Deepest folder nesting one download follows.
pub const MAX_DEPTH: usize = 8;

/// Location of an artifact or artifact folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArtifactLocation {
    /// Served by the tracking server under `/api/2.0/mlflow-artifacts/artifacts/`;
    /// `path` has no leading `/`.
    Proxied { path: String },
    /// An S3 key or prefix, read with Petal's S3 client.
    S3(S3Uri),
}

impl ArtifactLocation {
    /// Parses an artifact URI as runs record it. `mlflow-artifacts:` URIs
    /// may carry the server's address (`mlflow-artifacts://host/...`), which
    /// is ignored because the configured server is the one asked.
    pub fn parse(uri: &str) -> Result<Self, MlflowError> {
        if let Some(rest) = uri.strip_prefix("mlflow-artifacts:") {
            let path = match rest.strip_prefix("//") {
                Some(with_host) => with_host.split_once('/').map_or("", |(_, p)| p),
                None => rest,
            };
            return Ok(Self::Proxied {
                path: path.trim_matches('/').to_string(),
            });
        }
        if uri.starts_with("s3://") {
            return S3Uri::parse(uri)
                .map(Self::S3)
                .map_err(MlflowError::Invalid);
        }
        let scheme = uri.split_once(':').map_or("none", |(scheme, _)| scheme);
        Err(MlflowError::Invalid(format!(
            "artifact location {uri:?} uses the {scheme:?} scheme, which Petal cannot read; \
             it reads artifacts served by the tracking server (start it with \
             --serve-artifacts) or stored in S3"
        )))
    }

    /// Returns the location of `relative` inside this one.
    pub fn join(&self, relative: &str) -> Self {
        let relative = relative.trim_matches('/');
        let joined = |base: &str| match (base.trim_end_matches('/'), relative) {
            (base, "") => base.to_string(),
            ("", relative) => relative.to_string(),
            (base, relative) => format!("{base}/{relative}"),
        };
        match self {
            Self::Proxied { path } => Self::Proxied { path: joined(path) },
            Self::S3(uri) => Self::S3(S3Uri {
                bucket: uri.bucket.clone(),
                key: joined(&uri.key),
            }),
        }
    }

    /// Returns the last path component.
    pub fn file_name(&self) -> &str {
        let path = match self {
            Self::Proxied { path } => path.as_str(),
            Self::S3(uri) => uri.key.as_str(),
        };
        path.trim_end_matches('/').rsplit('/').next().unwrap_or("")
    }
}

impl std::fmt::Display for ArtifactLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Proxied { path } => write!(f, "mlflow-artifacts:/{path}"),
            Self::S3(uri) => write!(f, "{uri}"),
        }
    }
}

/// One entry of a folder listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArtifactEntry {
    /// The entry's own name, without its folder.
    pub name: String,
    pub is_dir: bool,
    pub size: Option<u64>,
}

/// Reads artifact locations with the tracking server's client and, for
/// `s3://` locations, an S3 client connected on first use.
pub struct ArtifactReader<'a> {
    client: &'a MlflowClient,
    s3_config: &'a S3Config,
    s3: OnceLock<S3Client>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ProxyListing {
    files: Vec<super::api::FileInfo>,
}

impl<'a> ArtifactReader<'a> {
    pub fn new(client: &'a MlflowClient, s3_config: &'a S3Config) -> Self {
        Self {
            client,
            s3_config,
            s3: OnceLock::new(),
        }
    }

    fn s3(&self) -> Result<&S3Client, MlflowError> {
        if let Some(client) = self.s3.get() {
            return Ok(client);
        }
        let client = S3Client::connect(self.s3_config)?;
        Ok(self.s3.get_or_init(|| client))
    }

    /// Lists the entries directly inside a folder; a file or a missing
    /// path gives an empty list.
    pub fn list(
        &self,
        location: &ArtifactLocation,
        cancel: &AtomicBool,
    ) -> Result<Vec<ArtifactEntry>, MlflowError> {
        match location {
            ArtifactLocation::Proxied { path } => {
                let url = format!(
                    "{}/api/2.0/mlflow-artifacts/artifacts",
                    self.client.base_url()
                );
                let listing: ProxyListing = self.client.get_url(&url, &[("path", path.clone())])?;
                Ok(listing.files.into_iter().map(entry_from_file).collect())
            }
            ArtifactLocation::S3(uri) => {
                let prefix = match uri.key.trim_end_matches('/') {
                    "" => String::new(),
                    key => format!("{key}/"),
                };
                let listing = self.s3()?.list(&uri.bucket, &prefix, cancel)?;
                let folders = listing.prefixes.iter().map(|p| ArtifactEntry {
                    name: last_component(p).to_string(),
                    is_dir: true,
                    size: None,
                });
                let files = listing.objects.iter().map(|o| ArtifactEntry {
                    name: last_component(&o.key).to_string(),
                    is_dir: false,
                    size: Some(o.size),
                });
                Ok(folders.chain(files).collect())
            }
        }
    }

    /// Downloads one file to `destination`.
    pub fn download_file(
        &self,
        location: &ArtifactLocation,
        destination: &Path,
        progress: &(dyn Fn(u64, Option<u64>) + Sync),
        cancel: &AtomicBool,
    ) -> Result<Downloaded, MlflowError> {
        match location {
            ArtifactLocation::Proxied { path } => {
                let url = proxy_file_url(self.client.base_url(), path);
                self.client
                    .download(&url, destination, progress, cancel)
                    .map_err(|error| not_found_as_missing(error, location))
            }
            ArtifactLocation::S3(uri) => {
                let done =
                    self.s3()?
                        .download(&uri.bucket, &uri.key, destination, progress, cancel)?;
                Ok(Downloaded {
                    size: done.size,
                    sha256: done.sha256,
                })
            }
        }
    }

    /// Downloads a file, or a folder with everything in it, into
    /// `destination` (a folder). Every name is sanitised, so nothing is
    /// written outside `destination`. Returns the files written, relative
    /// to `destination`, and whether `location` was a folder.
    pub fn download_tree(
        &self,
        location: &ArtifactLocation,
        destination: &Path,
        progress: &(dyn Fn(u64, Option<u64>) + Sync),
        cancel: &AtomicBool,
    ) -> Result<(Vec<PathBuf>, bool), MlflowError> {
        let entries = self.list(location, cancel)?;
        if entries.is_empty() {
            let name = PathBuf::from(safe_file_name(location.file_name()));
            self.download_file(location, &destination.join(&name), progress, cancel)?;
            return Ok((vec![name], false));
        }
        let mut written = Vec::new();
        self.download_folder(
            location,
            entries,
            destination,
            Path::new(""),
            &mut written,
            cancel,
        )?;
        Ok((written, true))
    }

    fn download_folder(
        &self,
        location: &ArtifactLocation,
        entries: Vec<ArtifactEntry>,
        root: &Path,
        relative: &Path,
        written: &mut Vec<PathBuf>,
        cancel: &AtomicBool,
    ) -> Result<(), MlflowError> {
        if relative.components().count() > MAX_DEPTH {
            return Err(MlflowError::Invalid(format!(
                "{location} is nested more than {MAX_DEPTH} folders deep; download a smaller folder"
            )));
        }
        std::fs::create_dir_all(root.join(relative)).map_err(|source| MlflowError::Io {
            path: root.join(relative),
            source,
        })?;
        for entry in entries {
            let child = location.join(&entry.name);
            let local = relative.join(safe_file_name(&entry.name));
            if entry.is_dir {
                let inner = self.list(&child, cancel)?;
                self.download_folder(&child, inner, root, &local, written, cancel)?;
                continue;
            }
            if written.len() >= MAX_FILES {
                return Err(MlflowError::Invalid(format!(
                    "{location} contains more than {MAX_FILES} files; name the model file itself"
                )));
            }
            self.download_file(&child, &root.join(&local), &|_, _| {}, cancel)?;
            written.push(local);
        }
        Ok(())
    }
}

/// Returns the proxy URL of a file, with each path segment percent-encoded.
fn proxy_file_url(base_url: &str, path: &str) -> String {
    let encoded: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|segment| url::form_urlencoded::byte_serialize(segment.as_bytes()).collect())
        .collect();
    format!(
        "{base_url}/api/2.0/mlflow-artifacts/artifacts/{}",
        encoded.join("/").replace('+', "%20")
    )
}

fn entry_from_file(file: super::api::FileInfo) -> ArtifactEntry {
    ArtifactEntry {
        name: last_component(&file.path).to_string(),
        is_dir: file.is_dir,
        size: file.file_size,
    }
}

fn last_component(path: &str) -> &str {
    path.trim_end_matches('/').rsplit('/').next().unwrap_or("")
}

fn not_found_as_missing(error: MlflowError, location: &ArtifactLocation) -> MlflowError {
    let missing = matches!(
        error,
        MlflowError::Server { status: 404, .. } | MlflowError::NotMlflow { status: 404, .. }
    );
    if missing {
        return MlflowError::Invalid(format!(
            "artifact {location} was not found; `petal runs show RUN_ID` lists a run's artifacts"
        ));
    }
    error
}

/// Returns the SHA-256 and size of a file written by a download.
pub fn file_digest(path: &Path) -> Result<(u64, String), MlflowError> {
    let io_error = |source| MlflowError::Io {
        path: path.to_path_buf(),
        source,
    };
    let size = std::fs::metadata(path).map_err(io_error)?.len();
    let sha256 = file_sha256(path).map_err(io_error)?;
    Ok((size, sha256))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn artifact_uris_parse() {
        let proxied = ArtifactLocation::parse("mlflow-artifacts:/12/abc/artifacts").expect("ok");
        assert_eq!(
            proxied,
            ArtifactLocation::Proxied {
                path: "12/abc/artifacts".into()
            }
        );
        let with_host =
            ArtifactLocation::parse("mlflow-artifacts://host:5000/12/abc/artifacts").expect("ok");
        assert_eq!(with_host, proxied);
        let s3 = ArtifactLocation::parse("s3://bucket/12/abc/artifacts").expect("ok");
        assert_eq!(
            s3.join("model/model.onnx").to_string(),
            "s3://bucket/12/abc/artifacts/model/model.onnx"
        );
        assert!(ArtifactLocation::parse("file:///tmp/mlruns").is_err());
        assert!(ArtifactLocation::parse("dbfs:/x").is_err());
    }

    #[test]
    fn proxy_urls_encode_segments() {
        let url = proxy_file_url("http://h:1", "1/r/artifacts/my model/a#b.onnx");
        assert_eq!(
            url,
            "http://h:1/api/2.0/mlflow-artifacts/artifacts/1/r/artifacts/my%20model/a%23b.onnx"
        );
    }
}
