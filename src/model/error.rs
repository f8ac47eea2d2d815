//! Errors about a model file.

/// A model that could not be loaded or run, and why.
#[derive(Debug, thiserror::Error)]
#[error("model {origin}: {kind}")]
pub struct ModelError {
    /// The model as the user named it: a path or `bundled`.
    pub origin: String,
    pub kind: ModelErrorKind,
}

/// The cause of a [`ModelError`], worded to follow the model's name.
#[derive(Debug, thiserror::Error)]
pub enum ModelErrorKind {
    #[error("cannot read the file: {}", crate::fsutil::describe_io_error(.0))]
    Io(#[from] std::io::Error),

    #[error("the file is empty (0 bytes); download or copy it again")]
    Empty,

    #[error("not a regular file (a folder, device, pipe or socket); name an .onnx file instead")]
    NotAFile,

    #[error("the file is {size} bytes, more than the {limit}-byte limit for a model")]
    TooLarge { size: u64, limit: u64 },

    #[error(
        "the input size {height}x{width} is larger than {max} pixels per side; \
         state a smaller input_size in the model's description"
    )]
    InputTooLarge { height: u32, width: u32, max: u32 },

    #[error(
        "not a complete ONNX model ({cause}); the file may be cut short by an interrupted \
         download, or be another format. Download it again, or export it to ONNX"
    )]
    NotOnnx { cause: String },

    #[error("external weights file {location:?}: {cause}")]
    ExternalData { location: String, cause: String },

    #[error("weight tensor '{tensor}': {cause}")]
    BadWeights { tensor: String, cause: String },

    #[error("not an image classifier: {found}; expected {expected}")]
    NotImageClassifier { found: String, expected: String },

    #[error("tract cannot load the model: {cause}. Re-export it with ONNX opset 9 to 18 and standard operators")]
    Unsupported { cause: String },

    #[error(
        "the model outputs {outputs} scores but {labels_from} lists {labels} labels; use labels \
         made for this model"
    )]
    LabelMismatch {
        outputs: usize,
        labels: usize,
        labels_from: String,
    },

    #[error(
        "the model produced NaN or infinite scores, so its output cannot be trusted; check how \
         it was exported (or, if other photos work, this photo)"
    )]
    NonFiniteScores,

    #[error("the inference engine failed: {cause}")]
    Inference { cause: String },

    #[error("the inference engine crashed ({cause}); this model cannot be used")]
    EnginePanic { cause: String },

    #[error("{why}")]
    UnsupportedUri { why: String },
}

impl ModelError {
    pub fn new(origin: impl Into<String>, kind: impl Into<ModelErrorKind>) -> Self {
        Self {
            origin: origin.into(),
            kind: kind.into(),
        }
    }
}

/// Formats an error with its causes, as tract and anyhow chain them.
pub(crate) fn chain(error: &anyhow::Error) -> String {
    let parts: Vec<String> = error.chain().map(|cause| cause.to_string()).collect();
    parts.join(": ")
}
