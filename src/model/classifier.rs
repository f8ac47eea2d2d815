//! A loaded, runnable image classifier.

use std::path::{Path, PathBuf};
use std::time::Instant;

use image::RgbImage;
use sha2::{Digest, Sha256};

use super::describe::{describe_onnx, Description};
use super::engine::{EngineInfo, EngineOptions, ModelInput, Plan};
use super::sidecar::{read_sidecars, Sidecar};
use super::spec::{Label, ModelSpec, OutputKind, Provenance};
use super::topk::{infer_output_kind, to_probabilities, top_k, Prediction};
use super::{ModelError, ModelErrorKind};
use crate::imaging::{prepare_input, Layout};

/// Origin, size and checksum of a loaded model file.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ModelInfo {
    /// The model as the user named it: `bundled` or a path.
    pub origin: String,
    /// The file on disk, when there is one.
    pub path: Option<PathBuf>,
    pub file_size: u64,
    /// SHA-256 of the ONNX file, in lowercase hex.
    pub sha256: String,
    /// Time to read, analyse, optimise and test-run the model.
    pub load_millis: u128,
    /// The engine that runs the model, which is tract when ONNX Runtime
    /// was asked for but could not be used.
    pub engine: EngineInfo,
}

/// An ONNX image classifier, compiled by an engine and ready to run.
///
/// Running takes `&self`, so one classifier can serve several threads.
pub struct Classifier {
    spec: ModelSpec,
    info: ModelInfo,
    plan: Plan,
}

impl std::fmt::Debug for Classifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Classifier")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

impl Classifier {
    /// Loads an ONNX file with tract, reading sidecar descriptions next to it.
    pub fn load_path(path: &Path) -> Result<Self, ModelError> {
        let origin = path.display().to_string();
        Self::load_path_named(path, origin, &EngineOptions::default())
    }

    /// Loads an ONNX file that `origin` names in messages and the model
    /// card, such as the `s3://` URI a cached file was fetched from.
    pub fn load_path_named(
        path: &Path,
        origin: String,
        engine: &EngineOptions,
    ) -> Result<Self, ModelError> {
        let bytes = read_model_file(path).map_err(|kind| ModelError::new(&origin, kind))?;
        Self::load_bytes_with(&bytes, origin, Some(path), read_sidecars(path), engine)
    }

    /// Loads a model from memory with tract. `path` locates external weight
    /// files and names the model in messages.
    pub fn load_bytes(
        bytes: &[u8],
        origin: String,
        path: Option<&Path>,
        sidecars: Vec<Sidecar>,
    ) -> Result<Self, ModelError> {
        Self::load_bytes_with(bytes, origin, path, sidecars, &EngineOptions::default())
    }

    /// Loads a model from memory with the engine `engine` requests.
    pub fn load_bytes_with(
        bytes: &[u8],
        origin: String,
        path: Option<&Path>,
        sidecars: Vec<Sidecar>,
        engine: &EngineOptions,
    ) -> Result<Self, ModelError> {
        let started = Instant::now();
        let fail = |kind: ModelErrorKind| ModelError::new(origin.clone(), kind);
        if bytes.is_empty() {
            return Err(fail(ModelErrorKind::Empty));
        }
        let loaded = contain_panics(|| build(bytes, path, sidecars, engine)).map_err(fail)?;
        let (spec, plan) = loaded;
        let info = ModelInfo {
            origin: origin.clone(),
            path: path.map(Path::to_path_buf),
            file_size: bytes.len() as u64,
            sha256: hex(&Sha256::digest(bytes)),
            load_millis: started.elapsed().as_millis(),
            engine: plan.engine(),
        };
        tracing::info!(
            model = %origin,
            millis = info.load_millis,
            engine = %info.engine,
            "model loaded"
        );
        Ok(Self { spec, info, plan })
    }

    pub fn spec(&self) -> &ModelSpec {
        &self.spec
    }

    pub fn info(&self) -> &ModelInfo {
        &self.info
    }

    /// Number of classes the model scores.
    pub fn class_count(&self) -> usize {
        self.spec.labels.len()
    }

    /// Class probabilities for an upright RGB photo, in output order.
    pub fn probabilities(&self, image: &RgbImage) -> Result<Vec<f32>, ModelError> {
        let input = prepare_input(image, &self.spec.preprocessing);
        let scores = contain_panics(|| run(&self.plan, &self.spec, input))
            .map_err(|kind| ModelError::new(self.info.origin.clone(), kind))?;
        Ok(to_probabilities(&scores, self.spec.output_kind))
    }

    /// Runs the model on an input tensor from [`prepare_input`] and returns
    /// its raw scores, as the model outputs them.
    pub fn run_input(&self, input: Vec<f32>) -> Result<Vec<f32>, ModelError> {
        contain_panics(|| run(&self.plan, &self.spec, input))
            .map_err(|kind| ModelError::new(self.info.origin.clone(), kind))
    }

    /// Ranks the `k` most probable classes for an upright RGB photo.
    pub fn classify(&self, image: &RgbImage, k: usize) -> Result<Vec<Prediction>, ModelError> {
        let probabilities = self.probabilities(image)?;
        Ok(top_k(&probabilities, &self.spec.labels, k))
    }
}

/// Largest ONNX file read; image classifiers are far smaller, and the
/// whole file is held in memory while it is parsed.
const MAX_MODEL_BYTES: u64 = 2 << 30;

fn read_model_file(path: &Path) -> Result<Vec<u8>, ModelErrorKind> {
    use std::io::Read;
    let file = crate::fsutil::open_regular_file(path).map_err(|failure| match failure {
        crate::fsutil::OpenFailure::Io(error) => ModelErrorKind::Io(error),
        crate::fsutil::OpenFailure::NotAFile => ModelErrorKind::NotAFile,
    })?;
    let metadata = file.metadata()?;
    if metadata.len() > MAX_MODEL_BYTES {
        return Err(ModelErrorKind::TooLarge {
            size: metadata.len(),
            limit: MAX_MODEL_BYTES,
        });
    }
    let mut bytes = Vec::with_capacity(metadata.len() as usize);
    file.take(MAX_MODEL_BYTES).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Runs `f`, turning a panic inside an engine into an error.
fn contain_panics<T>(f: impl FnOnce() -> Result<T, ModelErrorKind>) -> Result<T, ModelErrorKind> {
    crate::catch_panic(f).unwrap_or_else(|cause| Err(ModelErrorKind::EnginePanic { cause }))
}

fn build(
    bytes: &[u8],
    path: Option<&Path>,
    sidecars: Vec<Sidecar>,
    options: &EngineOptions,
) -> Result<(ModelSpec, Plan), ModelErrorKind> {
    let onnx = tract_onnx::onnx();
    let (proto, description) = describe_onnx(&onnx, bytes, path, sidecars)?;

    let input = ModelInput {
        bytes,
        proto: &proto,
        path,
        has_external_data: super::weights::has_external_data(&proto),
        input_shape: input_shape(&description.spec),
        input_name: &description.spec.input_name,
        output_index: description.output_index,
        output_name: &description.spec.output_name,
    };
    let (plan, fallback) = Plan::build(&input, options)?;
    let mut spec = finish_spec(description, &plan)?;
    spec.warnings.extend(fallback);
    Ok((spec, plan))
}

/// The input tensor's shape: one photo of the resolved size.
fn input_shape(spec: &ModelSpec) -> [usize; 4] {
    let (height, width) = spec.input_size();
    let (h, w) = (height as usize, width as usize);
    match spec.preprocessing.layout {
        Layout::Nchw => [1, 3, h, w],
        Layout::Nhwc => [1, h, w, 3],
    }
}

/// Runs the plan and checks that its output is one finite score per class.
fn run(plan: &Plan, spec: &ModelSpec, input: Vec<f32>) -> Result<Vec<f32>, ModelErrorKind> {
    let scores = plan.run(&input_shape(spec), input)?;
    let shape = scores.shape;
    if shape.iter().filter(|&&dim| dim > 1).count() > 1 {
        return Err(ModelErrorKind::NotImageClassifier {
            found: format!("output '{}' has shape {shape:?}", spec.output_name),
            expected: "one score per class, shaped [1, classes] or [classes]".to_string(),
        });
    }
    if scores.values.iter().any(|score| !score.is_finite()) {
        return Err(ModelErrorKind::NonFiniteScores);
    }
    Ok(scores.values)
}

/// Runs the model once on a grey photo to learn the output length, check
/// it against the labels, and infer the output kind where nothing stated it.
fn finish_spec(description: Description, plan: &Plan) -> Result<ModelSpec, ModelErrorKind> {
    let mut spec = description.spec;
    let grey = RgbImage::from_pixel(64, 64, image::Rgb([128, 128, 128]));
    let scores = run(plan, &spec, prepare_input(&grey, &spec.preprocessing))?;
    if scores.is_empty() {
        return Err(ModelErrorKind::NotImageClassifier {
            found: format!("output '{}' is empty", spec.output_name),
            expected: "one score per class".to_string(),
        });
    }
    let observed = infer_output_kind(&scores);
    if !description.output_kind_known {
        spec.output_kind = observed;
        spec.provenance
            .insert("output kind", Provenance::OutputValues);
    } else if spec.output_kind != OutputKind::Logits && observed != spec.output_kind {
        let from = spec
            .provenance
            .get("output kind")
            .map(ToString::to_string)
            .unwrap_or_default();
        spec.warnings.push(format!(
            "{from} states that the output holds {}, but its values on a test photo do not \
             fit that; treating them as logits",
            spec.output_kind.name()
        ));
        spec.output_kind = OutputKind::Logits;
        spec.provenance
            .insert("output kind", Provenance::OutputValues);
    }
    if spec.labels.is_empty() {
        spec.labels = (0..scores.len())
            .map(|i| Label {
                name: format!("class {i}"),
                class_id: None,
            })
            .collect();
        spec.provenance.insert("labels", Provenance::Default);
        spec.warnings.push(
            "no labels found in the model's metadata or beside it; classes are shown by number"
                .to_string(),
        );
    } else if spec.labels.len() != scores.len() {
        let labels_from = spec
            .provenance
            .get("labels")
            .map_or_else(|| "the description".to_string(), |p| p.to_string());
        return Err(ModelErrorKind::LabelMismatch {
            outputs: scores.len(),
            labels: spec.labels.len(),
            labels_from,
        });
    }
    Ok(spec)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
