//! Loading ONNX image classifiers, describing them, and running them with
//! tract or ONNX Runtime.

mod classifier;
mod describe;
mod engine;
mod error;
pub mod graph;
pub mod metadata;
pub mod sidecar;
mod source;
mod spec;
mod topk;

pub use classifier::{Classifier, ModelInfo};
pub use engine::{
    EngineInfo, EngineKind, EngineOptions, DEFAULT_ENGINE_THREADS, MAX_ENGINE_THREADS,
    ORT_DYLIB_ENV, PETAL_ONNXRUNTIME_ENV,
};
pub use error::{ModelError, ModelErrorKind};
pub use source::ModelSource;
pub use spec::{Label, ModelSpec, OutputKind, PartialSpec, Provenance, ResizeRule};
pub use topk::{infer_output_kind, softmax, to_probabilities, top_k, Prediction};
