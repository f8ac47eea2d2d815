//! The hostile-model corpus in `tests/data/models/`, made by
//! `tools/fixtures/make_models.py`: each model is rejected with a message
//! that names it and the cause, quickly and without allocating what it
//! claims, and a good model loaded before stays usable.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use image::{Rgb, RgbImage};
use petal::model::{Classifier, ModelErrorKind};

/// Every model of the corpus but `good.onnx`, with the error it must get.
const EXPECTATIONS: &[(&str, &str)] = &[
    ("custom-domain-operator.onnx", "Unsupported"),
    ("empty.onnx", "Empty"),
    ("external-absolute-path.onnx", "ExternalData"),
    ("external-huge-length.onnx", "ExternalData"),
    ("external-missing-file.onnx", "ExternalData"),
    ("external-offset-past-end.onnx", "ExternalData"),
    ("external-parent-folder.onnx", "ExternalData"),
    ("external-short-file.onnx", "BadWeights"),
    ("future-opset.onnx", "Unsupported"),
    ("huge-constant-node.onnx", "BadWeights"),
    ("huge-initializer-float-data.onnx", "BadWeights"),
    ("huge-initializer-raw.onnx", "BadWeights"),
    ("int64-input.onnx", "NotImageClassifier"),
    ("labels-mismatch-metadata.onnx", "LabelMismatch"),
    ("labels-mismatch-sidecar/model.onnx", "LabelMismatch"),
    ("negative-initializer-dims.onnx", "BadWeights"),
    ("no-outputs.onnx", "NotImageClassifier"),
    ("not-onnx-png.onnx", "NotOnnx"),
    ("not-onnx-tensor.onnx", "NotOnnx"),
    ("not-onnx-text.onnx", "NotOnnx"),
    ("overflowing-initializer-dims.onnx", "BadWeights"),
    ("rank2-input.onnx", "NotImageClassifier"),
    ("subgraph-huge-initializer.onnx", "BadWeights"),
    ("truncated-half.onnx", "NotOnnx"),
    ("truncated-last-byte.onnx", "NotOnnx"),
    ("two-inputs.onnx", "NotImageClassifier"),
    ("unsupported-operator.onnx", "Unsupported"),
];

fn models_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/models")
}

fn error_name(kind: &ModelErrorKind) -> &'static str {
    match kind {
        ModelErrorKind::Io(_) => "Io",
        ModelErrorKind::Empty => "Empty",
        ModelErrorKind::NotAFile => "NotAFile",
        ModelErrorKind::TooLarge { .. } => "TooLarge",
        ModelErrorKind::InputTooLarge { .. } => "InputTooLarge",
        ModelErrorKind::NotOnnx { .. } => "NotOnnx",
        ModelErrorKind::ExternalData { .. } => "ExternalData",
        ModelErrorKind::BadWeights { .. } => "BadWeights",
        ModelErrorKind::NotImageClassifier { .. } => "NotImageClassifier",
        ModelErrorKind::Unsupported { .. } => "Unsupported",
        ModelErrorKind::LabelMismatch { .. } => "LabelMismatch",
        ModelErrorKind::NonFiniteScores => "NonFiniteScores",
        ModelErrorKind::Inference { .. } => "Inference",
        ModelErrorKind::EnginePanic { .. } => "EnginePanic",
        ModelErrorKind::UnsupportedUri { .. } => "UnsupportedUri",
    }
}

/// Lists every `.onnx` file in the corpus, sub-folders included.
fn corpus_models() -> Vec<PathBuf> {
    let mut models: Vec<PathBuf> = walkdir::WalkDir::new(models_dir())
        .into_iter()
        .map(|entry| entry.expect("corpus entry").into_path())
        .filter(|path| path.extension().is_some_and(|e| e == "onnx"))
        .collect();
    models.sort();
    models
}

/// Returns the corpus-relative name used in the table.
fn table_name(path: &Path) -> String {
    let relative = path.strip_prefix(models_dir()).expect("inside the corpus");
    relative.to_string_lossy().replace('\\', "/")
}

fn solid(colour: [u8; 3]) -> RgbImage {
    RgbImage::from_pixel(40, 40, Rgb(colour))
}

#[test]
fn good_model_classifies_colours() {
    let model = Classifier::load_path(&models_dir().join("good.onnx")).expect("good model");
    let top = model.classify(&solid([230, 20, 20]), 1).expect("runs");
    assert_eq!(top[0].label, "red");
    let top = model.classify(&solid([20, 20, 230]), 1).expect("runs");
    assert_eq!(top[0].label, "blue");
}

#[test]
fn hostile_models_are_rejected_with_their_cause() {
    let mut wrong = Vec::new();
    for path in corpus_models() {
        let name = table_name(&path);
        if name == "good.onnx" {
            continue;
        }
        let (sender, receiver) = std::sync::mpsc::channel();
        let owned = path.clone();
        std::thread::spawn(move || {
            let _ = sender.send(Classifier::load_path(&owned).map(|_| ()));
        });
        let result = receiver
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|error| panic!("{name} did not load or fail in 60 s: {error}"));
        let Err(error) = result else {
            wrong.push(format!("{name}: loaded"));
            continue;
        };
        let message = error.to_string();
        assert!(
            message.contains(&path.display().to_string()),
            "{name}: the message does not name the model: {message}"
        );
        let actual = error_name(&error.kind);
        match EXPECTATIONS.iter().find(|(file, _)| *file == name) {
            Some((_, expected)) if *expected == actual => {}
            Some((_, expected)) => wrong.push(format!(
                "{name}: expected {expected}, got {actual}: {message}"
            )),
            None => wrong.push(format!("{name}: not in the table; got {actual}: {message}")),
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// `petal classify --model` with each hostile model exits 2 with one
/// message naming the model, in bounded time and memory.
#[test]
fn cli_rejects_hostile_models_in_bounded_memory() {
    let photo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/broken/good-png.png");
    let run = |model: &Path| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_petal"));
        command.args(["classify", "--format", "jsonl", "--model"]);
        command.arg(model).arg(&photo);
        support::child::run_measured(command, Duration::from_secs(120))
    };
    let baseline = run(&models_dir().join("good.onnx"));
    assert_eq!(baseline.code, Some(0), "{}", baseline.stderr);
    for path in corpus_models() {
        let name = table_name(&path);
        if name == "good.onnx" {
            continue;
        }
        let child = run(&path);
        assert_eq!(child.code, Some(2), "{name}: {}", child.stderr);
        let file = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("UTF-8 name");
        assert!(child.stderr.contains(file), "{name}: {}", child.stderr);
        let extra = child.max_rss_kib.saturating_sub(baseline.max_rss_kib);
        assert!(
            extra < 256 << 10,
            "{name} took {extra} KiB more than a good model"
        );
    }
}

#[cfg(unix)]
#[test]
fn external_weights_linked_from_outside_are_refused() {
    let folder = tempfile::tempdir().expect("temporary folder");
    let model = folder.path().join("model.onnx");
    std::fs::copy(models_dir().join("external-missing-file.onnx"), &model).expect("copy");
    let outside = tempfile::NamedTempFile::new().expect("file outside the folder");
    std::fs::write(outside.path(), [0u8; 48]).expect("write");
    std::os::unix::fs::symlink(outside.path(), folder.path().join("missing-weights.bin"))
        .expect("symlink");
    let error = Classifier::load_path(&model).expect_err("a link outside is refused");
    assert_eq!(error_name(&error.kind), "ExternalData", "{error}");
    assert!(
        error.to_string().contains("outside the model's folder"),
        "{error}"
    );
}
