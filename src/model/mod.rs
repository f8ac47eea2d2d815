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
mod weights;

pub use classifier::{Classifier, ModelInfo};
pub use engine::{
    EngineInfo, EngineKind, EngineOptions, DEFAULT_ENGINE_THREADS, MAX_ENGINE_THREADS,
    ORT_DYLIB_ENV, PETAL_ONNXRUNTIME_ENV,
};
pub use error::{ModelError, ModelErrorKind};
pub use source::ModelSource;
pub use spec::{Label, ModelSpec, OutputKind, PartialSpec, Provenance, ResizeRule};
pub use topk::{infer_output_kind, softmax, to_probabilities, top_k, Prediction};

/// Reads the description an ONNX model gives of itself and its sidecars,
/// with every check made before tract analyses the graph, but without
/// loading it. `path` locates external weights files.
pub fn describe_model_bytes(
    bytes: &[u8],
    path: Option<&std::path::Path>,
    sidecars: Vec<sidecar::Sidecar>,
) -> Result<ModelSpec, ModelErrorKind> {
    let read = || {
        let onnx = tract_onnx::onnx();
        describe::describe_onnx(&onnx, bytes, path, sidecars).map(|(_, found)| found.spec)
    };
    crate::catch_panic(read).unwrap_or_else(|cause| Err(ModelErrorKind::EnginePanic { cause }))
}

/// Resolves the description of a graph with interface `facts` from its
/// metadata and `sidecars`, as loading does before tract analyses it.
pub fn describe_graph(
    facts: &graph::GraphFacts,
    sidecars: Vec<sidecar::Sidecar>,
) -> Result<ModelSpec, ModelErrorKind> {
    let metadata = metadata::parse_metadata(&facts.metadata);
    describe::describe(facts, metadata, sidecars).map(|found| found.spec)
}
