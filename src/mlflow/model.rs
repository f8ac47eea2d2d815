//! Bringing a model named by `runs:/RUN_ID/PATH` or `models:/NAME/...`
//! into the model cache, so it loads like any local model and, once
//! cached, with no server.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use super::api::ModelVersion;
use super::artifacts::{file_digest, ArtifactLocation, ArtifactReader};
use super::client::MlflowClient;
use super::config::MlflowConfig;
use super::error::MlflowError;
use super::mlmodel::find_model_file;
use crate::model::ModelSource;
use crate::settings::S3Config;
use crate::storage::cache::{now_seconds, safe_file_name, CachedModel, EntryInfo, ModelCache};
use crate::storage::fetch::SIDECAR_NAMES;
use crate::storage::Progress;

/// A model reference resolved to where its files are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedModel {
    pub location: ArtifactLocation,
    /// The registry version, for `models:/` references.
    pub version: Option<String>,
}

/// Returns the cache entry for an MLflow model, downloading it first when
/// needed. `runs:/` and `models:/NAME/VERSION` entries are used with no
/// request once cached. An alias is looked up each time, and its cached
/// copy is used when it still points at the same version or when the
/// server cannot be reached.
pub fn fetch_mlflow_model(
    source: &ModelSource,
    config: &MlflowConfig,
    s3: &S3Config,
    cache: &ModelCache,
    progress: Progress,
    cancel: &AtomicBool,
    refresh: bool,
) -> Result<CachedModel, MlflowError> {
    let key = source.to_string();
    let cached = cache.lookup(&key).filter(|_| !refresh);
    if let Some(entry) = &cached {
        if !is_alias(source) {
            return Ok(entry.clone());
        }
    }
    let client = MlflowClient::new(config)?;
    let resolved = match resolve_model(&client, source) {
        Ok(resolved) => resolved,
        Err(error) if error.is_offline() && cached.is_some() => {
            tracing::warn!(%error, model = key, "the server is unreachable; using the cached copy");
            return cached.ok_or(error);
        }
        Err(error) => return Err(error),
    };
    if let Some(entry) = cached.filter(|e| e.info.etag == resolved.version) {
        return Ok(entry);
    }
    tracing::info!(model = key, location = %resolved.location, "downloading an MLflow model");
    download_model(&client, s3, cache, &key, &resolved, progress, cancel)
}

fn is_alias(source: &ModelSource) -> bool {
    matches!(source, ModelSource::MlflowModel { reference, .. } if !is_version(reference))
}

fn is_version(reference: &str) -> bool {
    !reference.is_empty() && reference.chars().all(|c| c.is_ascii_digit())
}

/// Finds where the files of `source` live.
pub fn resolve_model(
    client: &MlflowClient,
    source: &ModelSource,
) -> Result<ResolvedModel, MlflowError> {
    match source {
        ModelSource::MlflowRun { run_id, path } => Ok(ResolvedModel {
            location: run_artifact(client, run_id, path)?,
            version: None,
        }),
        ModelSource::MlflowModel { name, reference } => {
            let version = registry_version(client, name, reference)?;
            let uri = client.model_version_download_uri(name, &version.version)?;
            Ok(ResolvedModel {
                location: version_location(client, &uri, &version)?,
                version: Some(version.version),
            })
        }
        other => Err(MlflowError::Invalid(format!(
            "{other} is not an MLflow model; use runs:/RUN_ID/PATH or models:/NAME@ALIAS"
        ))),
    }
}

/// Returns the location of `path` among a run's artifacts.
pub fn run_artifact(
    client: &MlflowClient,
    run_id: &str,
    path: &str,
) -> Result<ArtifactLocation, MlflowError> {
    let run = client.get_run(run_id)?;
    Ok(ArtifactLocation::parse(&run.info.artifact_uri)?.join(path))
}

/// Looks up the version a `models:/` reference names: a number, `latest`,
/// or an alias.
fn registry_version(
    client: &MlflowClient,
    name: &str,
    reference: &str,
) -> Result<ModelVersion, MlflowError> {
    if is_version(reference) {
        return client.model_version(name, reference);
    }
    if reference.eq_ignore_ascii_case("latest") {
        let versions = client.model_versions(name, &AtomicBool::new(false))?;
        let newest = versions
            .into_iter()
            .max_by_key(|v| v.version.parse::<u64>().unwrap_or(0));
        return newest.ok_or_else(|| {
            MlflowError::Invalid(format!("registered model {name:?} has no versions"))
        });
    }
    client.model_version_by_alias(name, reference)
}

/// Turns a version's download URI into a location Petal can read. The
/// URI may itself be `runs:/...` on older servers.
fn version_location(
    client: &MlflowClient,
    uri: &str,
    version: &ModelVersion,
) -> Result<ArtifactLocation, MlflowError> {
    if let Some(rest) = uri.strip_prefix("runs:/") {
        let (run_id, path) = rest
            .trim_start_matches('/')
            .split_once('/')
            .unwrap_or((rest, ""));
        return run_artifact(client, run_id, path);
    }
    ArtifactLocation::parse(uri).map_err(|error| {
        MlflowError::Invalid(format!(
            "model {:?} version {} (source {:?}): {error}",
            version.name, version.version, version.source
        ))
    })
}

/// Downloads the model at `resolved` and the files that describe it into
/// a staging folder, then commits it as the cache entry for `key`.
fn download_model(
    client: &MlflowClient,
    s3: &S3Config,
    cache: &ModelCache,
    key: &str,
    resolved: &ResolvedModel,
    progress: Progress,
    cancel: &AtomicBool,
) -> Result<CachedModel, MlflowError> {
    let cache_error = |source| MlflowError::Io {
        path: cache.root().to_path_buf(),
        source,
    };
    let reader = ArtifactReader::new(client, s3);
    let staging = cache.stage(key).map_err(cache_error)?;
    let location = &resolved.location;
    let (mut files, is_folder) =
        reader.download_tree(location, staging.path(), progress, cancel)?;
    let model_file = if is_folder {
        find_model_file(staging.path(), &files).map_err(|why| {
            MlflowError::Invalid(format!("{location} is not an ONNX model folder: {why}"))
        })?
    } else {
        let sidecars = download_sidecars(&reader, location, staging.path(), cancel)?;
        files.extend(sidecars);
        files[0].clone()
    };
    let (size, sha256) = file_digest(&staging.path().join(&model_file))?;
    let info = EntryInfo {
        source: key.to_string(),
        model_file: model_file.to_string_lossy().into_owned(),
        sidecars: files
            .iter()
            .filter(|f| **f != model_file)
            .map(|f| f.to_string_lossy().into_owned())
            .collect(),
        size,
        sha256,
        etag: resolved.version.clone(),
        fetched_at: now_seconds(),
    };
    cache.commit(staging, info).map_err(cache_error)
}

/// Downloads the sidecar files in the folder of a single model file.
fn download_sidecars(
    reader: &ArtifactReader,
    model: &ArtifactLocation,
    folder: &Path,
    cancel: &AtomicBool,
) -> Result<Vec<PathBuf>, MlflowError> {
    let parent = parent_location(model);
    let stem = model
        .file_name()
        .rsplit_once('.')
        .map_or(model.file_name(), |(stem, _)| stem);
    let own_description = format!("{stem}.json");
    let mut fetched = Vec::new();
    for entry in reader.list(&parent, cancel)? {
        let wanted = SIDECAR_NAMES.contains(&entry.name.as_str()) || entry.name == own_description;
        if entry.is_dir || !wanted {
            continue;
        }
        let local = PathBuf::from(safe_file_name(&entry.name));
        let child = parent.join(&entry.name);
        reader.download_file(&child, &folder.join(&local), &|_, _| {}, cancel)?;
        fetched.push(local);
    }
    Ok(fetched)
}

fn parent_location(location: &ArtifactLocation) -> ArtifactLocation {
    let parent = |path: &str| {
        path.rsplit_once('/')
            .map_or(String::new(), |(p, _)| p.to_string())
    };
    match location {
        ArtifactLocation::Proxied { path } => ArtifactLocation::Proxied { path: parent(path) },
        ArtifactLocation::S3(uri) => ArtifactLocation::S3(crate::storage::S3Uri {
            bucket: uri.bucket.clone(),
            key: parent(&uri.key),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_and_aliases_differ() {
        let alias = ModelSource::parse("models:/flowers@champion").expect("valid");
        assert!(is_alias(&alias));
        let version = ModelSource::parse("models:/flowers/3").expect("valid");
        assert!(!is_alias(&version));
        let latest = ModelSource::parse("models:/flowers/latest").expect("valid");
        assert!(is_alias(&latest));
    }

    #[test]
    fn parents_of_locations() {
        let file = ArtifactLocation::parse("mlflow-artifacts:/1/r/artifacts/m.onnx").expect("ok");
        assert_eq!(
            parent_location(&file).to_string(),
            "mlflow-artifacts:/1/r/artifacts"
        );
        let s3 = ArtifactLocation::parse("s3://b/1/r/artifacts/m.onnx").expect("ok");
        assert_eq!(parent_location(&s3).to_string(), "s3://b/1/r/artifacts");
    }
}
