//! Model locations, parsed once from the `--model` value.

use std::fmt;
use std::path::PathBuf;

use super::classifier::Classifier;
use super::{EngineOptions, ModelError, ModelErrorKind};

/// The bundled model, compiled into the binary so it works from any folder.
static BUNDLED_ONNX: &[u8] = include_bytes!("../../models/petal-flowers102-lite0.onnx");

/// A model location, in the URI forms MLflow and S3 users know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelSource {
    /// The model shipped with Petal (`bundled`).
    Bundled,
    /// A local ONNX file.
    Path(PathBuf),
    /// `s3://bucket/key`.
    S3 { bucket: String, key: String },
    /// `runs:/RUN_ID/PATH`, an MLflow run artifact.
    MlflowRun { run_id: String, path: String },
    /// `models:/NAME/VERSION` or `models:/NAME@ALIAS`.
    MlflowModel { name: String, reference: String },
}

impl ModelSource {
    /// Parses a `--model` value; anything without a known scheme is a path.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err("is empty; use `bundled` or a path to an .onnx file".to_string());
        }
        if text.eq_ignore_ascii_case("bundled") && !std::path::Path::new(text).exists() {
            return Ok(ModelSource::Bundled);
        }
        let lower = text.to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            return Err(format!(
                "{text:?}: web addresses are not supported; download the .onnx file and pass its \
                 path, or use s3://BUCKET/KEY"
            ));
        }
        if let Some(rest) = text.strip_prefix("s3://") {
            let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() || key.is_empty() {
                return Err(format!("{text:?} is not of the form s3://BUCKET/KEY"));
            }
            return Ok(ModelSource::S3 {
                bucket: bucket.to_string(),
                key: key.to_string(),
            });
        }
        if let Some(rest) = text.strip_prefix("runs:/") {
            let (run_id, path) = rest
                .trim_start_matches('/')
                .split_once('/')
                .unwrap_or((rest, ""));
            if run_id.is_empty() || path.is_empty() {
                return Err(format!("{text:?} is not of the form runs:/RUN_ID/PATH"));
            }
            return Ok(ModelSource::MlflowRun {
                run_id: run_id.to_string(),
                path: path.to_string(),
            });
        }
        if let Some(rest) = text.strip_prefix("models:/") {
            let split = rest.split_once('@').or_else(|| rest.split_once('/'));
            return match split {
                // Neither part may hold a slash: MLflow forbids them in model
                // names, and `models:/a/b/1` could not say where the name ends.
                Some((name, reference))
                    if !name.is_empty()
                        && !reference.is_empty()
                        && !name.contains('/')
                        && !reference.contains('/') =>
                {
                    Ok(ModelSource::MlflowModel {
                        name: name.to_string(),
                        reference: reference.to_string(),
                    })
                }
                _ => Err(format!(
                    "{text:?} is not of the form models:/NAME/VERSION or models:/NAME@ALIAS"
                )),
            };
        }
        Ok(ModelSource::Path(PathBuf::from(text)))
    }

    /// Loads the model this source names with tract.
    pub fn load(&self) -> Result<Classifier, ModelError> {
        self.load_with(&EngineOptions::default())
    }

    /// Loads the model this source names with the engine `engine` requests.
    pub fn load_with(&self, engine: &EngineOptions) -> Result<Classifier, ModelError> {
        match self {
            ModelSource::Bundled => Classifier::load_bytes_with(
                BUNDLED_ONNX,
                "bundled".to_string(),
                None,
                Vec::new(),
                engine,
            ),
            ModelSource::Path(path) => {
                Classifier::load_path_named(path, path.display().to_string(), engine)
            }
            remote => Err(ModelError::new(
                remote.to_string(),
                ModelErrorKind::UnsupportedUri {
                    why: "remote models are not available in this build of Petal; download \
                          the .onnx file and pass its path to --model"
                        .to_string(),
                },
            )),
        }
    }
}

impl fmt::Display for ModelSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModelSource::Bundled => f.write_str("bundled"),
            ModelSource::Path(path) => write!(f, "{}", path.display()),
            ModelSource::S3 { bucket, key } => write!(f, "s3://{bucket}/{key}"),
            ModelSource::MlflowRun { run_id, path } => write!(f, "runs:/{run_id}/{path}"),
            ModelSource::MlflowModel { name, reference }
                if reference.chars().all(|c| c.is_ascii_digit()) =>
            {
                write!(f, "models:/{name}/{reference}")
            }
            ModelSource::MlflowModel { name, reference } => write!(f, "models:/{name}@{reference}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_model_uris() {
        assert_eq!(ModelSource::parse("bundled"), Ok(ModelSource::Bundled));
        assert_eq!(ModelSource::parse("Bundled"), Ok(ModelSource::Bundled));
        assert!(ModelSource::parse("https://example.com/m.onnx").is_err());
        assert_eq!(
            ModelSource::parse("s3://team/models/a.onnx"),
            Ok(ModelSource::S3 {
                bucket: "team".into(),
                key: "models/a.onnx".into()
            })
        );
        assert_eq!(
            ModelSource::parse("runs:/abc123/model/model.onnx"),
            Ok(ModelSource::MlflowRun {
                run_id: "abc123".into(),
                path: "model/model.onnx".into()
            })
        );
        let alias = ModelSource::parse("models:/flowers@champion").expect("valid");
        assert_eq!(alias.to_string(), "models:/flowers@champion");
        let version = ModelSource::parse("models:/flowers/3").expect("valid");
        assert_eq!(version.to_string(), "models:/flowers/3");
        assert_eq!(
            ModelSource::parse("m.onnx"),
            Ok(ModelSource::Path("m.onnx".into()))
        );
    }

    #[test]
    fn parse_rejects_incomplete_uris() {
        assert!(ModelSource::parse("s3://bucket").is_err());
        assert!(ModelSource::parse("runs:/abc").is_err());
        assert!(ModelSource::parse("models:/name").is_err());
        // Found by the mlflow_response fuzz target: a slash in the name
        // printed as a different model.
        assert!(ModelSource::parse("models:/a/b@champion").is_err());
        assert!(ModelSource::parse("models:/a/b/3").is_err());
    }
}
