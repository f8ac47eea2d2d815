//! Types of the MLflow REST API 2.0, as the tracking server sends them.
//!
//! Fields the server may leave out default to empty; MLflow omits empty
//! lists and zero values from its JSON.

use serde::{Deserialize, Deserializer, Serialize};

/// Whether an experiment or run is live or in the trash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LifecycleStage {
    #[default]
    Active,
    Deleted,
    #[serde(other)]
    Unknown,
}

/// An experiment (`experiments/search`, `experiments/get-by-name`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Experiment {
    pub experiment_id: String,
    pub name: String,
    pub artifact_location: String,
    pub lifecycle_stage: LifecycleStage,
    /// Milliseconds since the Unix epoch.
    pub last_update_time: Option<i64>,
    pub creation_time: Option<i64>,
    pub tags: Vec<Tag>,
}

impl Experiment {
    pub fn is_deleted(&self) -> bool {
        self.lifecycle_stage == LifecycleStage::Deleted
    }
}

/// A key-value pair: a tag of an experiment, run or model, or a run parameter.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

/// Status of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum RunStatus {
    Running,
    Scheduled,
    #[default]
    Finished,
    Failed,
    Killed,
    #[serde(other)]
    Unknown,
}

impl std::fmt::Display for RunStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = match self {
            RunStatus::Running => "RUNNING",
            RunStatus::Scheduled => "SCHEDULED",
            RunStatus::Finished => "FINISHED",
            RunStatus::Failed => "FAILED",
            RunStatus::Killed => "KILLED",
            RunStatus::Unknown => "UNKNOWN",
        };
        f.write_str(text)
    }
}

/// A run's identity and state.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RunInfo {
    pub run_id: String,
    pub run_name: String,
    pub experiment_id: String,
    pub status: RunStatus,
    /// Milliseconds since the Unix epoch.
    pub start_time: Option<i64>,
    pub end_time: Option<i64>,
    /// Root of the run's artifacts: `mlflow-artifacts:/...` (served by the
    /// tracking server) or a store such as `s3://...`.
    pub artifact_uri: String,
    pub lifecycle_stage: LifecycleStage,
    pub user_id: String,
}

impl RunInfo {
    /// Returns the run's length in milliseconds, once it has ended.
    pub fn duration_ms(&self) -> Option<i64> {
        Some(self.end_time? - self.start_time?)
    }
}

/// A metric value at one step. `value` is `NaN` or infinite when the
/// server sent the strings `"NaN"`, `"Infinity"` or `"-Infinity"`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Metric {
    pub key: String,
    #[serde(deserialize_with = "metric_value")]
    pub value: f64,
    /// Milliseconds since the Unix epoch.
    pub timestamp: i64,
    pub step: i64,
}

/// A run's parameters, latest metrics and tags.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RunData {
    /// The latest value of each metric.
    pub metrics: Vec<Metric>,
    pub params: Vec<Tag>,
    pub tags: Vec<Tag>,
}

/// A run (`runs/get`, `runs/search`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Run {
    pub info: RunInfo,
    pub data: RunData,
}

impl Run {
    /// Returns a parameter's value.
    pub fn param(&self, key: &str) -> Option<&str> {
        find(&self.data.params, key)
    }

    /// Returns a tag's value.
    pub fn tag(&self, key: &str) -> Option<&str> {
        find(&self.data.tags, key)
    }

    /// Returns a metric's latest value.
    pub fn metric(&self, key: &str) -> Option<f64> {
        let metric = self.data.metrics.iter().find(|m| m.key == key)?;
        Some(metric.value)
    }
}

fn find<'a>(pairs: &'a [Tag], key: &str) -> Option<&'a str> {
    let pair = pairs.iter().find(|p| p.key == key)?;
    Some(pair.value.as_str())
}

/// One entry of an artifact listing.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct FileInfo {
    /// Path relative to the artifact root, with `/` separators.
    pub path: String,
    pub is_dir: bool,
    /// Bytes; absent for folders.
    pub file_size: Option<u64>,
}

/// A registered model (`registered-models/search`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RegisteredModel {
    pub name: String,
    pub description: String,
    pub creation_timestamp: Option<i64>,
    pub last_updated_timestamp: Option<i64>,
    pub latest_versions: Vec<ModelVersion>,
    pub aliases: Vec<ModelAlias>,
    pub tags: Vec<Tag>,
}

/// An alias pointing at a model version.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ModelAlias {
    pub alias: String,
    pub version: String,
}

/// A version of a registered model.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ModelVersion {
    pub name: String,
    pub version: String,
    /// Origin of the model: `runs:/RUN_ID/PATH`, an artifact URI, or in
    /// MLflow 3 a logged model `models:/m-ID`.
    pub source: String,
    pub run_id: String,
    pub status: String,
    pub current_stage: String,
    pub description: String,
    pub creation_timestamp: Option<i64>,
    pub aliases: Vec<String>,
    pub tags: Vec<Tag>,
}

/// One page of a listing and the token for the next, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// `None` on the last page.
    pub next_page_token: Option<String>,
}

/// Reads a metric value that is a JSON number or one of the strings
/// Python's `json` writes for non-finite floats.
fn metric_value<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Value {
        Number(f64),
        Text(String),
    }
    match Value::deserialize(deserializer)? {
        Value::Number(number) => Ok(number),
        Value::Text(text) => parse_special_float(&text).ok_or_else(|| {
            serde::de::Error::custom(format!("metric value {text:?} is not a number"))
        }),
    }
}

fn parse_special_float(text: &str) -> Option<f64> {
    match text.trim() {
        "NaN" | "nan" => Some(f64::NAN),
        "Infinity" | "inf" | "+Infinity" => Some(f64::INFINITY),
        "-Infinity" | "-inf" => Some(f64::NEG_INFINITY),
        other => other.parse().ok(),
    }
}

/// Response bodies of the endpoints, as the server wraps them.
pub(crate) mod wire {
    use super::*;

    #[derive(Debug, Default, Deserialize)]
    #[serde(default)]
    pub struct Experiments {
        pub experiments: Vec<Experiment>,
        pub next_page_token: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    pub struct OneExperiment {
        pub experiment: Experiment,
    }

    #[derive(Debug, Default, Deserialize)]
    #[serde(default)]
    pub struct Runs {
        pub runs: Vec<Run>,
        pub next_page_token: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    pub struct OneRun {
        pub run: Run,
    }

    #[derive(Debug, Default, Deserialize)]
    #[serde(default)]
    pub struct MetricHistory {
        pub metrics: Vec<Metric>,
        pub next_page_token: Option<String>,
    }

    #[derive(Debug, Default, Deserialize)]
    #[serde(default)]
    pub struct Artifacts {
        pub root_uri: Option<String>,
        pub files: Vec<FileInfo>,
        pub next_page_token: Option<String>,
    }

    #[derive(Debug, Default, Deserialize)]
    #[serde(default)]
    pub struct RegisteredModels {
        pub registered_models: Vec<RegisteredModel>,
        pub next_page_token: Option<String>,
    }

    #[derive(Debug, Default, Deserialize)]
    #[serde(default)]
    pub struct ModelVersions {
        pub model_versions: Vec<ModelVersion>,
        pub next_page_token: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    pub struct OneModelVersion {
        pub model_version: ModelVersion,
    }

    #[derive(Debug, Deserialize)]
    pub struct DownloadUri {
        pub artifact_uri: String,
    }

    /// `runs/search`'s request body.
    #[derive(Debug, Serialize)]
    pub struct SearchRuns<'a> {
        pub experiment_ids: &'a [String],
        #[serde(skip_serializing_if = "str::is_empty")]
        pub filter: &'a str,
        pub run_view_type: &'a str,
        pub max_results: u32,
        #[serde(skip_serializing_if = "<[String]>::is_empty")]
        pub order_by: &'a [String],
        #[serde(skip_serializing_if = "Option::is_none")]
        pub page_token: Option<&'a str>,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_values_accept_special_strings() {
        let json = r#"[{"key":"l","value":"NaN","timestamp":1,"step":0},
            {"key":"l","value":"Infinity","timestamp":1,"step":1},
            {"key":"l","value":"-Infinity","timestamp":1,"step":2},
            {"key":"l","value":0.25,"timestamp":1,"step":3}]"#;
        let metrics: Vec<Metric> = serde_json::from_str(json).expect("parses");
        assert!(metrics[0].value.is_nan());
        assert_eq!(metrics[1].value, f64::INFINITY);
        assert_eq!(metrics[2].value, f64::NEG_INFINITY);
        assert_eq!(metrics[3].value, 0.25);
        let bad = r#"{"key":"l","value":"high","timestamp":1,"step":0}"#;
        assert!(serde_json::from_str::<Metric>(bad).is_err());
    }

    #[test]
    fn runs_parse_with_missing_fields() {
        let json = r#"{"info": {"run_id": "r1", "status": "FAILED", "start_time": 1000,
            "end_time": 4000}, "data": {}}"#;
        let run: Run = serde_json::from_str(json).expect("parses");
        assert_eq!(run.info.status, RunStatus::Failed);
        assert_eq!(run.info.duration_ms(), Some(3000));
        assert!(run.data.metrics.is_empty());
    }
}
