//! The built-in engine: tract, optimised for one photo of a fixed size.

use std::path::Path;
use std::sync::Arc;

use tract_linalg::multithread::{multithread_tract_scope, Executor};
use tract_onnx::prelude::*;

use super::{ModelInput, Scores};
use crate::model::error::chain;
use crate::model::ModelErrorKind;

/// A model parsed and optimised by tract.
pub(in crate::model) struct TractPlan {
    plan: Arc<TypedRunnableModel>,
    /// The thread pool for matrix multiplications, when more than one
    /// thread is asked for; shared by every run of this plan.
    executor: Option<Executor>,
    threads: usize,
}

impl TractPlan {
    /// Parses the graph, fixes its input to one photo of the resolved size,
    /// keeps the chosen output, and lets tract optimise for that shape.
    pub fn build(model: &ModelInput, threads: usize) -> Result<Self, ModelErrorKind> {
        let unsupported = |e: anyhow::Error| ModelErrorKind::Unsupported { cause: chain(&e) };
        let dir = model.path.and_then(Path::parent).and_then(Path::to_str);
        let parsed = tract_onnx::onnx()
            .parse(model.proto, dir)
            .map_err(unsupported)?;
        if !parsed.unresolved_inputs.is_empty() {
            let names = parsed.unresolved_inputs.join(", ");
            return Err(ModelErrorKind::Unsupported {
                cause: format!("unresolved inputs {names}"),
            });
        }
        let plan = optimise(parsed.model, model).map_err(unsupported)?;
        let executor = (threads > 1).then(|| Executor::multithread_with_name(threads, "petal-mm"));
        Ok(Self {
            plan,
            executor,
            threads,
        })
    }

    pub fn run(&self, shape: &[usize; 4], input: Vec<f32>) -> Result<Scores, ModelErrorKind> {
        let failed = |e: anyhow::Error| ModelErrorKind::Inference { cause: chain(&e) };
        let tensor = Tensor::from_shape(shape, &input).map_err(failed)?;
        let run = || self.plan.run(tvec!(tensor.into()));
        let outputs = match &self.executor {
            Some(executor) => multithread_tract_scope(executor.clone(), run),
            None => run(),
        }
        .map_err(failed)?;
        let output = &outputs[0];
        let values = output.to_plain_array_view::<f32>().map_err(failed)?;
        Ok(Scores {
            shape: output.shape().to_vec(),
            values: values.iter().copied().collect(),
        })
    }

    pub fn threads(&self) -> usize {
        self.threads
    }
}

fn optimise(mut graph: InferenceModel, model: &ModelInput) -> TractResult<Arc<TypedRunnableModel>> {
    graph.set_input_fact(0, f32::fact(model.input_shape).into())?;
    let output = graph.output_outlets()?[model.output_index];
    graph.select_output_outlets(&[output])?;
    graph.into_optimized()?.into_runnable()
}
