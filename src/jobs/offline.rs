//! The offline copy: the last MLflow history the Runs panel fetched, kept
//! in the cache folder so it can be browsed when the server is unreachable.
//!
//! The file contains what the server returned (experiments, the runs shown,
//! the metric histories charted) and the server's URL without any user
//! name or password. Credentials never reach it, because the panel never
//! holds them: they live only in [`crate::mlflow::MlflowConfig`].

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::mlflow::{Experiment, Metric, Run};

/// File name of the offline copy inside the cache folder.
pub const FILE_NAME: &str = "mlflow-offline.json";

/// The saved history.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OfflineCopy {
    /// Tracking server it came from, without credentials.
    pub server: String,
    /// Seconds since the Unix epoch when it was fetched.
    pub fetched_at: i64,
    pub experiments: Vec<Experiment>,
    /// The experiment whose runs are saved.
    pub experiment_id: Option<String>,
    pub runs: Vec<Run>,
    /// Metric histories as (run id, metric key, values).
    pub histories: Vec<(String, String, Vec<Metric>)>,
}

/// Returns where the offline copy lives in `cache_root`.
pub fn path_in(cache_root: &Path) -> PathBuf {
    cache_root.join(FILE_NAME)
}

/// Writes `copy` to `path` by a temporary file and a rename, so a reader
/// sees the old copy or the new one, never half of one.
pub fn save(path: &Path, copy: &OfflineCopy) -> Result<(), String> {
    let text = serde_json::to_string(copy)
        .map_err(|error| format!("cannot encode the offline copy: {error}"))?;
    let folder = path.parent().unwrap_or(Path::new("."));
    let failed = |error: std::io::Error| {
        format!(
            "cannot save the offline copy of MLflow history to {}: {error}. Check that the \
             folder is writable, or set PETAL_CACHE_DIR",
            path.display()
        )
    };
    std::fs::create_dir_all(folder).map_err(failed)?;
    let mut file = tempfile::NamedTempFile::new_in(folder).map_err(failed)?;
    std::io::Write::write_all(&mut file, text.as_bytes()).map_err(failed)?;
    file.persist(path).map_err(|error| failed(error.error))?;
    Ok(())
}

/// Reads the copy at `path`; a missing file is `Ok(None)`.
pub fn load(path: &Path) -> Result<Option<OfflineCopy>, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(format!("cannot read {}: {error}", path.display())),
    };
    serde_json::from_str(&text).map(Some).map_err(|error| {
        format!(
            "the offline copy {} is not valid ({error}); it is replaced at the next fetch",
            path.display()
        )
    })
}

/// Returns `url` without a `user:password@` part.
pub fn without_credentials(url: &str) -> String {
    let Ok(mut parsed) = reqwest::Url::parse(url) else {
        return url.to_string();
    };
    // Only URLs that cannot have credentials (such as `mailto:`) reject these.
    if parsed.set_username("").is_err() || parsed.set_password(None).is_err() {
        return url.to_string();
    }
    parsed.to_string().trim_end_matches('/').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_through_file() {
        let folder = tempfile::tempdir().expect("temporary folder");
        let path = path_in(folder.path());
        let copy = OfflineCopy {
            server: "http://127.0.0.1:5000".to_string(),
            fetched_at: 1_700_000_000,
            experiment_id: Some("1".to_string()),
            ..Default::default()
        };
        save(&path, &copy).expect("saved");
        assert_eq!(load(&path).expect("read"), Some(copy));
    }

    #[test]
    fn missing_file_is_none() {
        let folder = tempfile::tempdir().expect("temporary folder");
        assert_eq!(load(&path_in(folder.path())).expect("read"), None);
    }

    #[test]
    fn url_loses_credentials() {
        assert_eq!(
            without_credentials("https://ann:secret@mlflow.example:8443/"),
            "https://mlflow.example:8443"
        );
    }
}
