//! Loading classifiers: layouts, symbolic shapes, descriptions and bad files.

mod support;

use image::{Rgb, RgbImage};
use petal::imaging::Layout;
use petal::model::{Classifier, ModelErrorKind, ModelSource, OutputKind, Provenance};
use support::onnx::{TinyClassifier, D};

fn load(bytes: &[u8]) -> Result<Classifier, petal::model::ModelError> {
    Classifier::load_bytes(bytes, "test.onnx".to_string(), None, Vec::new())
}

fn load_from_dir(
    bytes: &[u8],
    files: &[(&str, &str)],
) -> Result<Classifier, petal::model::ModelError> {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("model.onnx");
    std::fs::write(&path, bytes).expect("write model");
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).expect("write sidecar");
    }
    Classifier::load_path(&path)
}

fn red() -> RgbImage {
    RgbImage::from_pixel(300, 200, Rgb([255, 0, 0]))
}

fn nchw(h: D, w: D) -> Vec<D> {
    vec![D::S("batch"), D::N(3), h, w]
}

/// Softmax of [1, 0, 0]: a red photo scaled to [0, 1] through the tiny model.
const RED_PROBS: [f32; 3] = [0.576_117, 0.211_942, 0.211_942];

fn assert_probs(actual: &[f32], expected: &[f32]) {
    assert_eq!(actual.len(), expected.len());
    for (a, e) in actual.iter().zip(expected) {
        assert!((a - e).abs() < 1e-4, "{actual:?} != {expected:?}");
    }
}

#[test]
fn bundled_model_describes_itself() {
    let classifier = ModelSource::Bundled.load().expect("bundled model loads");
    let spec = classifier.spec();
    assert!(spec.warnings.is_empty(), "{:?}", spec.warnings);
    assert_eq!(spec.labels.len(), 102);
    assert_eq!(spec.labels[0].class_id.as_deref(), Some("1"));
    assert_eq!(spec.labels[0].name, "pink primrose");
    assert_eq!(spec.labels[9].class_id.as_deref(), Some("10"));
    assert_eq!(spec.input_size(), (224, 224));
    assert_eq!(spec.preprocessing.layout, Layout::Nchw);
    assert_eq!(spec.output_kind, OutputKind::Logits);
    assert_eq!(spec.provenance.get("labels"), Some(&Provenance::Metadata));
    assert!(spec
        .dataset_fingerprint
        .as_deref()
        .is_some_and(|f| f.starts_with("sha256:")));
    assert_eq!(classifier.info().sha256.len(), 64);
}

#[test]
fn label_mapping_matches_the_dataset() {
    let classifier = ModelSource::Bundled.load().expect("bundled model loads");
    let names = support::class_names();
    for label in &classifier.spec().labels {
        let id = label
            .class_id
            .as_deref()
            .expect("every label has a class id");
        assert_eq!(names.get(id), Some(&label.name), "class id {id}");
    }
}

#[test]
fn symbolic_dims_take_size_from_metadata() {
    let mut tiny = TinyClassifier::rgb(nchw(D::S("height"), D::S("width")));
    tiny.metadata = vec![
        ("input_size", "[96, 128]"),
        ("labels", r#"["red", "green", "blue"]"#),
    ];
    let classifier = load(&tiny.to_bytes()).expect("loads");
    assert_eq!(classifier.spec().input_size(), (96, 128));
    assert_eq!(
        classifier.spec().provenance.get("input size"),
        Some(&Provenance::Metadata)
    );
    let top = classifier.classify(&red(), 1).expect("runs");
    assert_eq!(top[0].label, "red");
}

#[test]
fn symbolic_dims_without_description_default_with_warning() {
    let tiny = TinyClassifier::rgb(nchw(D::S("h"), D::S("w")));
    let classifier = load(&tiny.to_bytes()).expect("loads");
    let spec = classifier.spec();
    assert_eq!(spec.input_size(), (224, 224));
    assert!(
        spec.warnings.iter().any(|w| w.contains("input size")),
        "{:?}",
        spec.warnings
    );
    assert!(
        spec.warnings.iter().any(|w| w.contains("no labels")),
        "{:?}",
        spec.warnings
    );
    assert_eq!(spec.labels[2].name, "class 2");
    assert_probs(&classifier.probabilities(&red()).expect("runs"), &RED_PROBS);
}

#[test]
fn nhwc_model_is_detected_from_its_shape() {
    let mut tiny = TinyClassifier::rgb(vec![D::S("unk__6"), D::N(64), D::N(64), D::N(3)]);
    tiny.nhwc = true;
    let classifier = load(&tiny.to_bytes()).expect("loads");
    assert_eq!(classifier.spec().preprocessing.layout, Layout::Nhwc);
    assert_eq!(classifier.spec().input_size(), (64, 64));
    assert_probs(&classifier.probabilities(&red()).expect("runs"), &RED_PROBS);
}

#[test]
fn softmax_output_is_not_softmaxed_twice() {
    let mut tiny = TinyClassifier::rgb(nchw(D::N(32), D::N(32)));
    tiny.softmax = true;
    let classifier = load(&tiny.to_bytes()).expect("loads");
    assert_eq!(classifier.spec().output_kind, OutputKind::Probabilities);
    assert_eq!(
        classifier.spec().provenance.get("output kind"),
        Some(&Provenance::Graph)
    );
    assert_probs(&classifier.probabilities(&red()).expect("runs"), &RED_PROBS);
}

#[test]
fn sidecar_labels_txt_names_classes() {
    let tiny = TinyClassifier::rgb(nchw(D::N(32), D::N(32)));
    let classifier = load_from_dir(
        &tiny.to_bytes(),
        &[("labels.txt", "rose\nfern\nbluebell\n")],
    )
    .expect("loads");
    assert_eq!(
        classifier.spec().provenance.get("labels"),
        Some(&Provenance::Sidecar("labels.txt".to_string()))
    );
    assert_eq!(
        classifier.classify(&red(), 1).expect("runs")[0].label,
        "rose"
    );
}

#[test]
fn sidecar_class_to_idx_maps_ids_to_outputs() {
    let tiny = TinyClassifier::rgb(nchw(D::N(32), D::N(32)));
    let classifier = load_from_dir(
        &tiny.to_bytes(),
        &[
            (
                "cat_to_name.json",
                r#"{"2": "rose", "10": "fern", "1": "bluebell"}"#,
            ),
            ("class_to_idx.json", r#"{"10": 0, "2": 1, "1": 2}"#),
        ],
    )
    .expect("loads");
    let top = &classifier.classify(&red(), 1).expect("runs")[0];
    assert_eq!(top.label, "fern");
    assert_eq!(top.class_id.as_deref(), Some("10"));
}

#[test]
fn metadata_wins_over_sidecars() {
    let mut tiny = TinyClassifier::rgb(nchw(D::N(32), D::N(32)));
    tiny.metadata = vec![("labels", r#"["a", "b", "c"]"#)];
    let classifier =
        load_from_dir(&tiny.to_bytes(), &[("labels.txt", "x\ny\nz\n")]).expect("loads");
    assert_eq!(classifier.spec().labels[0].name, "a");
}

#[test]
fn label_count_mismatch_is_rejected() {
    let tiny = TinyClassifier::rgb(nchw(D::N(32), D::N(32)));
    let error = load_from_dir(&tiny.to_bytes(), &[("labels.txt", "one\ntwo\n")]).unwrap_err();
    assert!(
        matches!(
            error.kind,
            ModelErrorKind::LabelMismatch {
                outputs: 3,
                labels: 2,
                ..
            }
        ),
        "{error}"
    );
    assert!(error.to_string().contains("labels.txt"), "{error}");
}

#[test]
fn non_image_model_says_what_it_found() {
    use support::onnx::*;
    let graph = tract_onnx::pb::GraphProto {
        node: vec![node("Add", &["x", "w"], "y", vec![])],
        initializer: vec![float_tensor("w", &[1, 3], &[1.0, 2.0, 3.0])],
        input: vec![value_info("x", 1, &[D::N(1), D::N(3)])],
        output: vec![value_info("y", 1, &[D::N(1), D::N(3)])],
        ..Default::default()
    };
    let error = load(&model(graph, &[])).unwrap_err();
    let message = error.to_string();
    assert!(
        matches!(error.kind, ModelErrorKind::NotImageClassifier { .. }),
        "{message}"
    );
    assert!(message.contains("test.onnx"), "{message}");
    assert!(
        message.contains("'x' of type float32 and shape [1, 3]"),
        "{message}"
    );
    assert!(message.contains("[batch, 3, height, width]"), "{message}");
}

#[test]
fn two_inputs_are_rejected() {
    use support::onnx::*;
    let graph = tract_onnx::pb::GraphProto {
        node: vec![node("Add", &["a", "b"], "y", vec![])],
        input: vec![
            value_info("a", 1, &[D::N(1), D::N(3), D::N(8), D::N(8)]),
            value_info("b", 1, &[D::N(1), D::N(3), D::N(8), D::N(8)]),
        ],
        output: vec![value_info("y", 1, &[D::N(1), D::N(3), D::N(8), D::N(8)])],
        ..Default::default()
    };
    let error = load(&model(graph, &[])).unwrap_err();
    assert!(error.to_string().contains("2 inputs"), "{error}");
}

#[test]
fn truncated_and_foreign_files_are_not_onnx() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/models/petal-flowers102-lite0.onnx"
    );
    let bytes = std::fs::read(path).expect("bundled model file is readable");
    for cut in [10, 1000, bytes.len() / 2, bytes.len() - 7] {
        let error = load(&bytes[..cut]).unwrap_err();
        assert!(
            matches!(
                error.kind,
                ModelErrorKind::NotOnnx { .. } | ModelErrorKind::Unsupported { .. }
            ),
            "cut at {cut}: {error}"
        );
    }
    let error = load(b"\x89PNG\r\n\x1a\n not a model").unwrap_err();
    assert!(
        matches!(error.kind, ModelErrorKind::NotOnnx { .. }),
        "{error}"
    );
    assert!(matches!(load(b"").unwrap_err().kind, ModelErrorKind::Empty));
}

#[test]
fn remote_uris_are_reported_unavailable() {
    let source = ModelSource::parse("s3://bucket/model.onnx").expect("valid URI");
    let error = source.load().unwrap_err();
    assert!(
        error.to_string().contains("s3://bucket/model.onnx"),
        "{error}"
    );
}

#[test]
fn folder_as_model_is_not_a_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let error = Classifier::load_path(dir.path()).unwrap_err();
    assert!(matches!(error.kind, ModelErrorKind::NotAFile), "{error}");
}

#[test]
fn huge_described_input_is_rejected() {
    let tiny = TinyClassifier::rgb(nchw(D::S("h"), D::S("w")));
    let error = load_from_dir(
        &tiny.to_bytes(),
        &[("model.json", r#"{"input_size": "[30000, 30000]"}"#)],
    )
    .unwrap_err();
    assert!(
        matches!(
            error.kind,
            ModelErrorKind::InputTooLarge { height: 30000, .. }
        ),
        "{error}"
    );
}

#[test]
fn invalid_description_values_warn() {
    let tiny = TinyClassifier::rgb(nchw(D::N(32), D::N(32)));
    let classifier = load_from_dir(
        &tiny.to_bytes(),
        &[(
            "model.json",
            r#"{"std": "[0, 0, 0]", "output_kind": "log_probabilities", "output_name": "nope"}"#,
        )],
    )
    .expect("loads");
    let spec = classifier.spec();
    let warnings = spec.warnings.join("\n");
    assert!(warnings.contains("model.json key `std`"), "{warnings}");
    assert!(warnings.contains("\"nope\""), "{warnings}");
    assert!(warnings.contains("treating them as logits"), "{warnings}");
    assert_eq!(spec.preprocessing.std, [1.0; 3]);
    assert_eq!(spec.output_kind, OutputKind::Logits);
    assert_probs(&classifier.probabilities(&red()).expect("runs"), &RED_PROBS);
}

#[test]
fn image_shaped_output_is_not_a_classifier() {
    use support::onnx::*;
    let dims = [D::N(1), D::N(3), D::N(32), D::N(32)];
    let graph = tract_onnx::pb::GraphProto {
        node: vec![node("Identity", &["image"], "same", vec![])],
        input: vec![value_info("image", 1, &dims)],
        output: vec![value_info("same", 1, &dims)],
        ..Default::default()
    };
    let error = load(&model(graph, &[])).unwrap_err();
    let message = error.to_string();
    assert!(
        matches!(error.kind, ModelErrorKind::NotImageClassifier { .. }),
        "{message}"
    );
    assert!(message.contains("[1, 3, 32, 32]"), "{message}");
}

#[test]
fn nan_or_infinite_scores_reject_the_model() {
    for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
        let mut tiny = TinyClassifier::rgb(nchw(D::N(8), D::N(8)));
        tiny.weights[1] = [bad, 0.0, 0.0];
        let error = load(&tiny.to_bytes()).unwrap_err();
        assert!(
            matches!(error.kind, ModelErrorKind::NonFiniteScores),
            "{bad}: {error}"
        );
        assert!(error.to_string().contains("NaN or infinite"), "{error}");
    }
}

#[test]
fn missing_model_file_says_to_check_the_path() {
    let error = Classifier::load_path(std::path::Path::new("/no/such/model.onnx")).unwrap_err();
    let message = error.to_string();
    assert!(message.contains("/no/such/model.onnx"), "{message}");
    assert!(message.contains("check the path"), "{message}");
}
