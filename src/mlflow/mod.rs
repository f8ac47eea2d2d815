//! A client for MLflow tracking servers: experiments, runs, metric
//! histories, artifacts and the model registry, over the REST API 2.0.
//!
//! Every call blocks, so it belongs on a background thread; the client
//! is `Clone + Send` and cheap to clone. The API, by task:
//!
//! - Settings: [`MlflowConfig::resolve`] (or [`MlflowConfig::from_env`])
//!   combines the settings file, the `MLFLOW_*` environment variables and
//!   a `--tracking-uri` flag; credentials come only from the environment.
//! - Connection: [`MlflowClient::new`] builds a client; nothing is sent
//!   until the first call. Errors are [`MlflowError`]s that name the URL,
//!   the cause and the fix.
//! - Experiments: [`MlflowClient::search_experiments`] (every page, deleted
//!   ones hidden unless asked), [`MlflowClient::search_experiments_page`],
//!   [`MlflowClient::experiment_by_name`].
//! - Runs: [`MlflowClient::search_runs_page`] returns one [`Page`] and its
//!   next token for a [`RunsQuery`]; [`MlflowClient::search_runs`] follows
//!   the pages; [`MlflowClient::get_run`] returns one [`Run`].
//! - Metrics: [`MlflowClient::metric_history`] (every page, stopping on a
//!   repeated token) and [`MlflowClient::metric_history_page`].
//! - Artifacts: [`MlflowClient::list_artifacts`] lists a run's folder;
//!   [`ArtifactReader`] lists and downloads `mlflow-artifacts:` and `s3://`
//!   locations.
//! - Registry: [`MlflowClient::search_registered_models`],
//!   [`MlflowClient::model_versions`], [`MlflowClient::model_version`],
//!   [`MlflowClient::model_version_by_alias`],
//!   [`MlflowClient::model_version_download_uri`].
//! - Models: [`fetch_mlflow_model`] resolves `runs:/` and `models:/` and
//!   downloads the model into the [`ModelCache`](crate::storage::ModelCache).
//!   `Classifier::load_path_named` loads the entry's `model_path()`, and
//!   `storage::open_model` does all of that for a `ModelSource`.

pub mod api;
pub mod artifacts;
mod client;
mod config;
mod error;
pub mod mlmodel;
mod model;
mod queries;

pub use api::{
    Experiment, FileInfo, LifecycleStage, Metric, ModelAlias, ModelVersion, Page, RegisteredModel,
    Run, RunData, RunInfo, RunStatus, Tag,
};
pub use artifacts::{ArtifactEntry, ArtifactLocation, ArtifactReader};
pub use client::{error_from_body, parse_body, Downloaded, MlflowClient, CONNECT_TIMEOUT};
pub use config::{is_loopback, Auth, MlflowConfig, DEFAULT_REQUEST_TIMEOUT, MLFLOW_ENV};
pub use error::MlflowError;
pub use model::{fetch_mlflow_model, resolve_model, run_artifact, ResolvedModel};
pub use queries::{all_pages, visible_experiments, RunsQuery, ViewType, MAX_PAGES};
