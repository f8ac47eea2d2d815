//! The description of an image classifier: what its input wants and what
//! its outputs mean.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use crate::imaging::{Layout, Preprocessing};

/// One class the model can predict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Label {
    /// Human-readable name, such as "pink primrose".
    pub name: String,
    /// The dataset's own id for the class, such as the Oxford 102 folder "1".
    pub class_id: Option<String>,
}

/// What the chosen output's scores are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputKind {
    /// Unnormalised scores; top-k applies softmax.
    Logits,
    /// Probabilities that already sum to one.
    Probabilities,
    /// Natural logarithms of probabilities (a LogSoftmax output).
    LogProbabilities,
}

impl OutputKind {
    pub fn parse(text: &str) -> Option<Self> {
        match text
            .trim()
            .to_ascii_lowercase()
            .replace(['-', ' '], "_")
            .as_str()
        {
            "logits" | "scores" => Some(OutputKind::Logits),
            "probabilities" | "probs" | "softmax" => Some(OutputKind::Probabilities),
            "log_probabilities" | "log_probs" | "log_softmax" | "logsoftmax" => {
                Some(OutputKind::LogProbabilities)
            }
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            OutputKind::Logits => "logits",
            OutputKind::Probabilities => "probabilities",
            OutputKind::LogProbabilities => "log-probabilities",
        }
    }
}

/// Where one part of a [`ModelSpec`] came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Provenance {
    /// The ONNX file's metadata properties.
    Metadata,
    /// A file next to the model, by name.
    Sidecar(String),
    /// The graph itself: declared shapes or the operator that makes an output.
    Graph,
    /// The values the model produced on a test input.
    OutputValues,
    /// A fallback, reported in a warning.
    Default,
}

impl fmt::Display for Provenance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Provenance::Metadata => f.write_str("model metadata"),
            Provenance::Sidecar(name) => write!(f, "{name}"),
            Provenance::Graph => f.write_str("model graph"),
            Provenance::OutputValues => f.write_str("output values"),
            Provenance::Default => f.write_str("default"),
        }
    }
}

/// The complete, resolved description of a loaded classifier.
#[derive(Debug, Clone, Serialize)]
pub struct ModelSpec {
    pub name: Option<String>,
    pub version: Option<String>,
    /// Labels in output order: `labels[i]` names output index `i`.
    pub labels: Vec<Label>,
    pub preprocessing: Preprocessing,
    /// Name of the graph input fed with the photo.
    pub input_name: String,
    /// Name of the graph output read for the scores.
    pub output_name: String,
    pub output_kind: OutputKind,
    /// Hash of the training data, when the model states it.
    pub dataset_fingerprint: Option<String>,
    /// Source of each part: "labels", "preprocessing", "input size",
    /// "layout" and "output kind".
    pub provenance: BTreeMap<&'static str, Provenance>,
    /// Fallbacks taken while describing the model, for the user.
    pub warnings: Vec<String>,
}

impl ModelSpec {
    /// Height and width of the input tensor.
    pub fn input_size(&self) -> (u32, u32) {
        let (width, height) = self.preprocessing.output_size();
        (height, width)
    }
}

/// Resize rule stated by a source. The target size follows from the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResizeRule {
    /// Scale the shorter side to this length, then centre-crop.
    ShorterSide(u32),
    /// Stretch to the input size.
    Exact,
}

/// A description read from one source, each part optional.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PartialSpec {
    pub name: Option<String>,
    pub version: Option<String>,
    pub labels: Option<Vec<Label>>,
    /// Height and width.
    pub input_size: Option<(u32, u32)>,
    pub resize: Option<ResizeRule>,
    /// `Some(false)` when the source states that no crop is taken.
    pub center_crop: Option<bool>,
    pub mean: Option<[f32; 3]>,
    pub std: Option<[f32; 3]>,
    pub layout: Option<Layout>,
    pub output_kind: Option<OutputKind>,
    pub output_name: Option<String>,
    pub dataset_fingerprint: Option<String>,
    /// Notes about how this source was read, for the user.
    pub warnings: Vec<String>,
}

impl PartialSpec {
    /// Reports whether the source described preprocessing at all.
    pub fn has_preprocessing(&self) -> bool {
        self.mean.is_some() || self.std.is_some() || self.resize.is_some()
    }
}
