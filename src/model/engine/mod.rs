//! The inference engines that run a model's graph: tract, built in, and
//! ONNX Runtime, loaded from a shared library when one is asked for and
//! found.
//!
//! Everything else about a model (its description, input layout, labels,
//! output kind and softmax) is worked out before an engine is chosen, so
//! both engines see the same input tensor and their raw scores go through
//! the same checks.

mod onnxruntime;
mod ort_library;
mod tract;

use std::fmt;
use std::path::Path;

use tract_onnx::pb::ModelProto;

use super::ModelErrorKind;

pub use ort_library::{ORT_DYLIB_ENV, PETAL_ONNXRUNTIME_ENV};

/// The engine a user can ask for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EngineKind {
    /// tract, compiled into Petal.
    #[default]
    Tract,
    /// ONNX Runtime, loaded at run time from its shared library.
    #[serde(rename = "onnxruntime")]
    OnnxRuntime,
}

impl EngineKind {
    /// Every engine, in the order help text lists them.
    pub const ALL: [EngineKind; 2] = [EngineKind::Tract, EngineKind::OnnxRuntime];

    /// Returns the name used by `--engine`, `PETAL_ENGINE` and the settings file.
    pub fn name(self) -> &'static str {
        match self {
            EngineKind::Tract => "tract",
            EngineKind::OnnxRuntime => "onnxruntime",
        }
    }

    /// Parses an engine name, ignoring case and surrounding spaces.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        Self::ALL
            .into_iter()
            .find(|kind| kind.name().eq_ignore_ascii_case(text))
            .ok_or_else(|| format!("{text:?} is not an engine; use `tract` or `onnxruntime`"))
    }
}

impl fmt::Display for EngineKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Threads one photo's inference uses when nothing else is set. One thread
/// per photo leaves the other cores to the other photos of a batch.
pub const DEFAULT_ENGINE_THREADS: usize = 1;

/// Largest number of threads accepted for one photo's inference.
pub const MAX_ENGINE_THREADS: usize = 256;

/// The engine settings a model is loaded with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngineOptions {
    /// The engine asked for; tract is used instead when ONNX Runtime is
    /// asked for but cannot be loaded.
    pub kind: EngineKind,
    /// Threads inside one inference: ONNX Runtime's intra-op threads, or
    /// tract's matrix-multiplication threads.
    pub threads: usize,
}

impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            kind: EngineKind::Tract,
            threads: DEFAULT_ENGINE_THREADS,
        }
    }
}

/// The raw output of one run, before any check.
pub(super) struct Scores {
    pub shape: Vec<usize>,
    pub values: Vec<f32>,
}

/// The model file and resolved facts an engine builds its plan from.
pub(super) struct ModelInput<'a> {
    pub bytes: &'a [u8],
    pub proto: &'a ModelProto,
    /// The model file, when it was read from one; external weights files
    /// are found beside it.
    pub path: Option<&'a Path>,
    pub has_external_data: bool,
    /// The input tensor's shape: one photo, in the model's layout.
    pub input_shape: [usize; 4],
    pub input_name: &'a str,
    pub output_index: usize,
    pub output_name: &'a str,
}

/// A model compiled for one engine and ready to run on several threads.
pub(super) enum Plan {
    Tract(tract::TractPlan),
    OnnxRuntime(onnxruntime::OrtPlan),
}

impl Plan {
    /// Builds the plan for the engine `options` requests. When ONNX Runtime
    /// cannot be loaded or cannot load this model, it builds tract's plan
    /// instead and returns why in the warning.
    pub fn build(
        model: &ModelInput,
        options: &EngineOptions,
    ) -> Result<(Self, Option<String>), ModelErrorKind> {
        let threads = options.threads.clamp(1, MAX_ENGINE_THREADS);
        if options.kind == EngineKind::OnnxRuntime {
            match onnxruntime::OrtPlan::build(model, threads) {
                Ok(plan) => return Ok((Plan::OnnxRuntime(plan), None)),
                Err(why) => {
                    let warning = format!("{why}; using the built-in tract engine instead");
                    tracing::warn!("{warning}");
                    let plan = tract::TractPlan::build(model, threads)?;
                    return Ok((Plan::Tract(plan), Some(warning)));
                }
            }
        }
        Ok((Plan::Tract(tract::TractPlan::build(model, threads)?), None))
    }

    /// Runs the model on one input tensor of `shape`.
    pub fn run(&self, shape: &[usize; 4], input: Vec<f32>) -> Result<Scores, ModelErrorKind> {
        match self {
            Plan::Tract(plan) => plan.run(shape, input),
            Plan::OnnxRuntime(plan) => plan.run(shape, input),
        }
    }

    /// The engine in use, with its version, for the model card and logs.
    pub fn engine(&self) -> EngineInfo {
        match self {
            Plan::Tract(plan) => EngineInfo {
                kind: EngineKind::Tract,
                version: None,
                threads: plan.threads(),
            },
            Plan::OnnxRuntime(plan) => EngineInfo {
                kind: EngineKind::OnnxRuntime,
                version: Some(plan.version().to_string()),
                threads: plan.threads(),
            },
        }
    }
}

/// The engine that runs a loaded model.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct EngineInfo {
    pub kind: EngineKind,
    /// The version string of the ONNX Runtime library that was loaded;
    /// `None` for tract, whose version is fixed by Petal's build.
    pub version: Option<String>,
    /// Threads inside one inference.
    pub threads: usize,
}

impl fmt::Display for EngineInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.kind, &self.version) {
            (EngineKind::OnnxRuntime, Some(version)) => write!(f, "ONNX Runtime {version}")?,
            (EngineKind::OnnxRuntime, None) => f.write_str("ONNX Runtime")?,
            (EngineKind::Tract, _) => f.write_str("tract (built in)")?,
        }
        match self.threads {
            1 => f.write_str(", 1 thread per photo"),
            n => write!(f, ", {n} threads per photo"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_names_parse() {
        assert_eq!(EngineKind::parse("tract"), Ok(EngineKind::Tract));
        assert_eq!(
            EngineKind::parse(" ONNXRuntime "),
            Ok(EngineKind::OnnxRuntime)
        );
        let error = EngineKind::parse("cuda").unwrap_err();
        assert!(error.contains("onnxruntime"), "{error}");
    }

    #[test]
    fn engine_info_names_version_and_threads() {
        let info = EngineInfo {
            kind: EngineKind::OnnxRuntime,
            version: Some("1.32.0".to_string()),
            threads: 2,
        };
        assert_eq!(info.to_string(), "ONNX Runtime 1.32.0, 2 threads per photo");
    }
}
