//! The optional engine: ONNX Runtime, through the `ort` crate.

use std::sync::Mutex;

use ort::session::builder::GraphOptimizationLevel;
use ort::session::Session;
use ort::value::Tensor;

use super::ort_library::{runtime, Runtime};
use super::{ModelInput, Scores};
use crate::model::ModelErrorKind;

/// A model loaded into ONNX Runtime sessions.
///
/// `ort` runs a session through `&mut`, so each thread that classifies at
/// the same time takes its own session from the pool, and a new one is
/// made when all are busy. A batch on two workers thus uses two sessions.
pub(in crate::model) struct OrtPlan {
    runtime: &'static Runtime,
    /// The ONNX file, kept to make more sessions.
    bytes: Vec<u8>,
    /// The model file, when its weights are partly stored beside it, so
    /// ONNX Runtime can find them.
    external_path: Option<std::path::PathBuf>,
    threads: usize,
    input_name: String,
    output_name: String,
    idle: Mutex<Vec<Session>>,
}

impl OrtPlan {
    /// Loads the library (once per process) and makes the first session.
    /// The error explains why ONNX Runtime cannot be used for this model.
    pub fn build(model: &ModelInput, threads: usize) -> Result<Self, String> {
        let runtime = runtime()?;
        let external_path = match (model.has_external_data, model.path) {
            (true, Some(path)) => Some(path.to_path_buf()),
            _ => None,
        };
        let plan = Self {
            runtime,
            bytes: model.bytes.to_vec(),
            external_path,
            threads,
            input_name: model.input_name.to_string(),
            output_name: model.output_name.to_string(),
            idle: Mutex::new(Vec::new()),
        };
        let session = plan.new_session().map_err(|cause| {
            format!(
                "ONNX Runtime {} cannot load this model: {cause}",
                runtime.version
            )
        })?;
        plan.give_back(session);
        Ok(plan)
    }

    pub fn run(&self, shape: &[usize; 4], input: Vec<f32>) -> Result<Scores, ModelErrorKind> {
        let failed = |e: ort::Error| ModelErrorKind::Inference {
            cause: e.to_string(),
        };
        let mut session = match self.take_idle() {
            Some(session) => session,
            None => self.new_session().map_err(failed)?,
        };
        let tensor = Tensor::from_array((*shape, input)).map_err(failed)?;
        let scores = run_session(&mut session, &self.input_name, &self.output_name, tensor);
        self.give_back(session);
        scores
    }

    pub fn version(&self) -> &str {
        &self.runtime.version
    }

    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Creates a session with all graph optimisations, run sequentially with
    /// `threads` intra-op threads, as the benchmark's Python pipeline runs.
    fn new_session(&self) -> ort::Result<Session> {
        let builder = Session::builder()?
            .with_optimization_level(GraphOptimizationLevel::Level3)?
            .with_parallel_execution(false)?
            .with_intra_threads(self.threads)?
            .with_inter_threads(1)?;
        match &self.external_path {
            Some(path) => builder.commit_from_file(path),
            None => builder.commit_from_memory(&self.bytes),
        }
    }

    fn take_idle(&self) -> Option<Session> {
        // A poisoned pool only lost a session to a panic; the rest are fine.
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        idle.pop()
    }

    fn give_back(&self, session: Session) {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        idle.push(session);
    }
}

fn run_session(
    session: &mut Session,
    input_name: &str,
    output_name: &str,
    tensor: Tensor<f32>,
) -> Result<Scores, ModelErrorKind> {
    let failed = |e: ort::Error| ModelErrorKind::Inference {
        cause: e.to_string(),
    };
    let outputs = session
        .run(ort::inputs![input_name => tensor])
        .map_err(failed)?;
    let output = outputs
        .get(output_name)
        .ok_or_else(|| ModelErrorKind::Inference {
            cause: format!("ONNX Runtime returned no output named '{output_name}'"),
        })?;
    let (shape, values) = output.try_extract_tensor::<f32>().map_err(failed)?;
    let shape = shape
        .iter()
        .map(|&dim| usize::try_from(dim).unwrap_or(0))
        .collect();
    Ok(Scores {
        shape,
        values: values.to_vec(),
    })
}
