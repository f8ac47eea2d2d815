//! Errors from talking to an MLflow tracking server. Each names the URL
//! or object, the cause, and what to try.

use std::path::PathBuf;

/// Error from an MLflow request, an artifact download or a model lookup.
#[derive(Debug, thiserror::Error)]
pub enum MlflowError {
    #[error(
        "no MLflow tracking server is set; set MLFLOW_TRACKING_URI (such as \
         http://127.0.0.1:5000), pass --tracking-uri, or fill it in the settings"
    )]
    NotConfigured,

    #[error("tracking URI {uri:?} is invalid: {why}. Use http://HOST:PORT or https://HOST")]
    InvalidUri { uri: String, why: String },

    #[error(
        "cannot reach the MLflow server at {url}: {cause}. Is the server running? \
         Check MLFLOW_TRACKING_URI"
    )]
    Unreachable { url: String, cause: String },

    #[error(
        "the MLflow server at {url} did not answer within {seconds} s; check that the \
         server is healthy, or try again"
    )]
    Timeout { url: String, seconds: f64 },

    #[error(
        "the MLflow server refused {url} (HTTP {status}): {message}. Set \
         MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD, or MLFLOW_TRACKING_TOKEN, \
         to credentials the server accepts"
    )]
    Unauthorized {
        url: String,
        status: u16,
        message: String,
    },

    #[error("MLflow request {url} failed (HTTP {status}, {error_code}): {message}")]
    Server {
        url: String,
        status: u16,
        /// MLflow's code, such as `INVALID_PARAMETER_VALUE` or
        /// `RESOURCE_DOES_NOT_EXIST`.
        error_code: String,
        message: String,
    },

    #[error(
        "{url} returned {what} (HTTP {status}), not an MLflow API response; check that \
         MLFLOW_TRACKING_URI points at the tracking server itself, not a login page or proxy"
    )]
    NotMlflow {
        url: String,
        status: u16,
        /// Such as "an HTML page" or "a body that is not JSON".
        what: String,
    },

    #[error("{0} was cancelled")]
    Cancelled(String),

    #[error("cannot read the CA certificate {} named by MLFLOW_TRACKING_SERVER_CERT_PATH: {cause}", path.display())]
    Certificate { path: PathBuf, cause: String },

    #[error("{}: {source}. Check that the folder is writable, or set PETAL_CACHE_DIR", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error(transparent)]
    S3(#[from] crate::storage::S3Error),

    #[error("{0}")]
    Invalid(String),
}

impl MlflowError {
    /// True for MLflow's "not found" responses.
    pub fn is_not_found(&self) -> bool {
        matches!(self, MlflowError::Server { status: 404, .. })
            || matches!(self, MlflowError::Server { error_code, .. }
                if error_code == "RESOURCE_DOES_NOT_EXIST")
    }

    /// True when the server could not be reached at all, so a cached copy
    /// may stand in.
    pub fn is_offline(&self) -> bool {
        matches!(
            self,
            MlflowError::Unreachable { .. } | MlflowError::Timeout { .. }
        )
    }
}
