//! Loading a model from any source: bundled, a path, or S3 or MLflow
//! through the cache.

use std::sync::atomic::AtomicBool;

use super::cache::ModelCache;
use super::fetch::{fetch_model, FetchError, Progress, S3Uri};
use super::s3::S3Client;
use crate::mlflow::{fetch_mlflow_model, MlflowConfig, MlflowError};
use crate::model::{Classifier, ModelError, ModelSource};
use crate::settings::S3Config;

/// Context for remote sources: the S3 and MLflow settings and the cache.
#[derive(Debug, Clone)]
pub struct Remote {
    pub s3: S3Config,
    pub mlflow: MlflowConfig,
    /// `None` when the platform has no cache folder.
    pub cache: Option<ModelCache>,
}

/// Error from loading a model from any source.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error(transparent)]
    Mlflow(#[from] MlflowError),
    #[error("{0}")]
    Unsupported(String),
}

/// Loads the model `source` names. S3 and MLflow models come from the
/// cache when there, so they load with no network; otherwise they are
/// fetched first.
pub fn open_model(
    source: &ModelSource,
    remote: &Remote,
    progress: Progress,
    cancel: &AtomicBool,
) -> Result<Classifier, OpenError> {
    match source {
        ModelSource::Bundled | ModelSource::Path(_) => Ok(source.load()?),
        ModelSource::S3 { bucket, key } => {
            let uri = S3Uri {
                bucket: bucket.clone(),
                key: key.clone(),
            };
            let cache = cache_of(remote)?;
            let connect = || S3Client::connect(&remote.s3);
            let entry = fetch_model(&uri, cache, connect, progress, cancel, false)?;
            Ok(Classifier::load_path_named(
                &entry.model_path(),
                uri.to_string(),
            )?)
        }
        ModelSource::MlflowRun { .. } | ModelSource::MlflowModel { .. } => {
            let cache = cache_of(remote)?;
            let entry = fetch_mlflow_model(
                source,
                &remote.mlflow,
                &remote.s3,
                cache,
                progress,
                cancel,
                false,
            )?;
            Ok(Classifier::load_path_named(
                &entry.model_path(),
                source.to_string(),
            )?)
        }
    }
}

fn cache_of(remote: &Remote) -> Result<&ModelCache, OpenError> {
    remote.cache.as_ref().ok_or_else(|| {
        OpenError::Unsupported(
            "no cache folder for remote models; set PETAL_CACHE_DIR to a writable folder"
                .to_string(),
        )
    })
}
