//! Loading ONNX image classifiers with tract and describing them.

mod classifier;
mod describe;
mod error;
pub mod graph;
pub mod metadata;
pub mod sidecar;
mod source;
mod spec;
mod topk;

pub use classifier::{Classifier, ModelInfo};
pub use error::{ModelError, ModelErrorKind};
pub use source::ModelSource;
pub use spec::{Label, ModelSpec, OutputKind, PartialSpec, Provenance, ResizeRule};
pub use topk::{infer_output_kind, softmax, to_probabilities, top_k, Prediction};
