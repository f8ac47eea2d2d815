//! Petal's settings file, and the values in effect after the environment
//! and command-line flags override it.
//!
//! The file is TOML in the platform's config folder (`settings.toml`). It
//! never contains a secret: credentials come only from the AWS credential
//! chain and MLflow's environment variables, and keys that look like
//! secrets are dropped with a warning rather than kept.

mod engine;
mod resolve;
mod store;

pub use engine::{EngineConfig, EngineFlags, ENGINE_ENV, ENGINE_THREADS_ENV};
pub use resolve::{EnvLookup, Origin, S3Config, Setting, S3_ENV};
pub use store::{config_dir, parse_settings, Loaded, SettingsStore};

use serde::{Deserialize, Serialize};

/// The contents of the settings file. Every value is optional, so an empty
/// file is valid and means "defaults".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Inference engine: `tract` (the default) or `onnxruntime`
    /// (`PETAL_ENGINE`). Kept as text so a wrong value is reported and
    /// skipped instead of making the whole file unreadable.
    pub engine: Option<String>,
    /// Threads one photo's inference uses (`PETAL_ENGINE_THREADS`).
    pub engine_threads: Option<u64>,
    pub s3: S3Settings,
    pub mlflow: MlflowSettings,
}

/// Location of models in S3.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct S3Settings {
    /// Bucket browsed by default (`AWS_S3_BUCKET_NAME`).
    pub bucket: Option<String>,
    /// Region of the bucket (`AWS_REGION`).
    pub region: Option<String>,
    /// Profile in the shared AWS config files (`AWS_PROFILE`).
    pub profile: Option<String>,
    /// Endpoint of an S3-compatible server (`AWS_ENDPOINT_URL`).
    pub endpoint_url: Option<String>,
    /// Puts the bucket in the path instead of the host name. Unset means
    /// automatic: on for endpoints on an IP address or `localhost`.
    pub path_style: Option<bool>,
    /// Key prefix under which models are listed (default `models/`).
    pub model_prefix: Option<String>,
}

/// Location of the MLflow tracking server.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MlflowSettings {
    /// Tracking server URL (`MLFLOW_TRACKING_URI`).
    pub tracking_uri: Option<String>,
    /// Experiment shown first (`MLFLOW_EXPERIMENT_NAME`).
    pub experiment_name: Option<String>,
}
