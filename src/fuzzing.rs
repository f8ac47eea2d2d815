//! Entry points for fuzzing Petal's parsers of untrusted input.
//!
//! The cargo-fuzz targets in `fuzz/` and the regression test
//! `tests/fuzz_regressions.rs` both call these, so a crash found by the
//! fuzzer replays on stable Rust through the same code. Each function takes
//! raw bytes, runs one parser as Petal does, and panics only when an
//! invariant of Petal's own code breaks.
//!
//! Structured inputs are split on NUL bytes: the fuzzer finds the
//! separator quickly, and a crash file stays readable in a hex dump.

use std::collections::BTreeMap;
use std::path::{Component, Path};

use crate::imaging::{decode_photo_reduced, prepare_input, thumbnail, DecodeLimits};
use crate::imaging::{Layout, Preprocessing, Resize};
use crate::model::graph::{Dim, GraphFacts, TensorDecl};
use crate::model::sidecar::read_sidecars;
use crate::settings::{parse_settings, S3Config, S3_ENV};
use crate::storage::cache::safe_file_name;
use crate::storage::{ModelCache, S3Uri};

/// Smaller than Petal's defaults, so one input decodes in milliseconds and
/// stays inside the fuzzer's memory limit; the checks are the same code.
const PHOTO_LIMITS: DecodeLimits = DecodeLimits {
    max_file_bytes: 1 << 20,
    max_side: 8192,
    max_pixels: 4_000_000,
    max_alloc_bytes: 64 << 20,
};

/// Decodes `data` as a photo and prepares model input from it, as a batch
/// does: sniffing, the JPEG marker walk, every decoder, orientation, alpha,
/// resize, crop, normalisation, and the app's thumbnail.
pub fn photo(data: &[u8]) {
    let preprocessing = Preprocessing {
        resize: Resize::ShorterSide { length: 40 },
        crop: Some((32, 32)),
        mean: [0.485, 0.456, 0.406],
        std: [0.229, 0.224, 0.225],
        layout: Layout::Nchw,
    };
    // The first byte picks full or reduced JPEG decoding, so both run.
    let reduced = data.first().is_some_and(|b| b % 2 == 0);
    let min_side = reduced.then(|| preprocessing.min_source_side());
    let Ok(photo) = decode_photo_reduced(data, &PHOTO_LIMITS, min_side) else {
        return;
    };
    let input = prepare_input(&photo.image, &preprocessing);
    assert_eq!(input.len(), 3 * 32 * 32, "input tensor length");
    assert!(input.iter().all(|v| v.is_finite()), "non-finite input");
    let small = thumbnail::shrink(&photo.image, 16);
    assert!(small.width() <= 16, "thumbnail width {}", small.width());
    assert!(small.height() <= 16, "thumbnail height {}", small.height());
}

/// Reads `data` as an ONNX file's description: the protobuf, the declared
/// sizes of its weights, external data references, interface and metadata.
pub fn onnx_model(data: &[u8]) {
    let path = std::env::temp_dir()
        .join("petal-fuzz-missing")
        .join("model.onnx");
    if let Ok(spec) = crate::model::describe_model_bytes(data, Some(&path), Vec::new()) {
        check_input_size(spec.input_size());
    }
}

/// Resolves a description from metadata and sidecar files around a graph
/// whose interface the input chooses. The input's parts, split on NUL, are:
/// - metadata lines `key=value`;
/// - six sidecar files, `<model>.json`, `labels.txt`, `cat_to_name.json`,
///   `class_to_idx.json`, `config.json` and `preprocessor_config.json`,
///   where an empty part means the file is absent;
/// - the input's and the outputs' dimensions, one byte each, with 0 for a
///   symbolic dimension;
/// - one byte per output naming its producer: `S` for Softmax, `L` for
///   LogSoftmax, and another byte for MatMul.
pub fn model_description(data: &[u8]) {
    const SIDECARS: [&str; 6] = [
        "model.json",
        "labels.txt",
        "cat_to_name.json",
        "class_to_idx.json",
        "config.json",
        "preprocessor_config.json",
    ];
    let parts: Vec<&[u8]> = data.split(|&b| b == 0).collect();
    let part = |index: usize| parts.get(index).copied().unwrap_or_default();
    let Ok(folder) = tempfile::tempdir() else {
        return;
    };
    for (index, name) in SIDECARS.iter().enumerate() {
        let text = part(index + 1);
        if !text.is_empty() && std::fs::write(folder.path().join(name), text).is_err() {
            return;
        }
    }
    let sidecars = read_sidecars(&folder.path().join("model.onnx"));
    let facts = GraphFacts {
        inputs: vec![declaration("image", part(7), None)],
        outputs: part(9)
            .iter()
            .enumerate()
            .map(|(i, op)| declaration(&format!("out{i}"), part(8), Some(producer(*op))))
            .collect(),
        metadata: metadata_lines(part(0)),
    };
    if let Ok(spec) = crate::model::describe_graph(&facts, sidecars) {
        check_input_size(spec.input_size());
        let (crop_width, crop_height) = spec.preprocessing.output_size();
        assert!(crop_width > 0, "crop width 0");
        assert!(crop_height > 0, "crop height 0");
    }
}

fn declaration(name: &str, dims: &[u8], producer: Option<String>) -> TensorDecl {
    let shape = dims
        .iter()
        .map(|&d| match d {
            0 => Dim::Symbolic("n".to_string()),
            d => Dim::Static(i64::from(d) * 7),
        })
        .collect();
    TensorDecl {
        name: name.to_string(),
        elem_type: 1,
        shape: Some(shape),
        producer,
    }
}

fn producer(op: u8) -> String {
    match op {
        b'S' => "Softmax",
        b'L' => "LogSoftmax",
        _ => "MatMul",
    }
    .to_string()
}

fn metadata_lines(text: &[u8]) -> BTreeMap<String, String> {
    String::from_utf8_lossy(text)
        .lines()
        .filter_map(|line| line.split_once('='))
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .collect()
}

fn check_input_size((height, width): (u32, u32)) {
    assert!(height > 0, "input height 0");
    assert!(width > 0, "input width 0");
    assert!(height <= 4096, "input height {height} passed the limit");
    assert!(width <= 4096, "input width {width} passed the limit");
}

/// Parses a settings file, then resolves it with environment values and a
/// `--s3-endpoint` flag, as Petal starts. Parts, split on NUL: the file's
/// text, the variables of [`S3_ENV`] in order (empty means unset), and the
/// flag. Saved settings must read back unchanged.
pub fn settings(data: &[u8]) {
    let parts: Vec<String> = data
        .split(|&b| b == 0)
        .map(|part| String::from_utf8_lossy(part).into_owned())
        .collect();
    let Some(Ok(loaded)) = parts.first().map(|text| parse_settings(text)) else {
        return;
    };
    let env = |name: &str| {
        let index = S3_ENV.iter().position(|known| *known == name)?;
        parts.get(index + 1).filter(|v| !v.is_empty()).cloned()
    };
    let flag = parts.get(S3_ENV.len() + 1).map(String::as_str);
    let config = S3Config::resolve(&loaded.settings.s3, &env, flag);
    let prefix = &config.model_prefix.value;
    assert!(
        prefix.is_empty() || prefix.ends_with('/'),
        "prefix {prefix:?}"
    );

    let Ok(saved) = toml::to_string_pretty(&loaded.settings) else {
        return;
    };
    match parse_settings(&saved) {
        Ok(reread) => assert_eq!(reread.settings, loaded.settings, "settings changed on save"),
        Err(cause) => panic!("saved settings do not parse: {cause}\n{saved}"),
    }
}

/// Parses `data` as an `s3://` URI and as an object key, and checks that
/// the cache names derived from it stay inside the cache.
pub fn s3_names(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let root = Path::new("/cache-root");
    let cache = ModelCache::at(root.to_path_buf());
    let folder = cache.entry_folder(&text);
    let relative = folder.strip_prefix(root).unwrap_or(Path::new(".."));
    assert!(
        relative
            .components()
            .all(|c| matches!(c, Component::Normal(_))),
        "entry folder {folder:?} leaves the cache"
    );
    assert_eq!(relative.components().count(), 2, "entry folder {folder:?}");

    let name = safe_file_name(&text);
    assert!(!name.is_empty(), "empty name");
    assert!(name.len() <= 96, "name {name:?} is too long");
    assert!(!name.starts_with('.'), "name {name:?} starts with a dot");
    assert!(!name.ends_with('.'), "name {name:?} ends with a dot");
    assert_eq!(Path::new(&name).components().count(), 1, "name {name:?}");

    if let Ok(uri) = S3Uri::parse(&text) {
        assert!(!uri.bucket.is_empty(), "empty bucket");
        assert!(uri.key.ends_with(uri.file_name()), "file name of {uri}");
        assert!(uri.key.starts_with(uri.folder()), "folder of {uri}");
        match S3Uri::parse(&uri.to_string()) {
            Ok(again) => assert_eq!(again, uri, "URI changed when printed"),
            Err(cause) => panic!("{uri} does not parse again: {cause}"),
        }
    }
}

/// Parses `data` as the MLflow server's reply to each endpoint Petal calls,
/// and as the other MLflow text Petal reads: `MLmodel` files, artifact and
/// model URIs, the offline copy of the history, and run listings as the
/// CLI prints them. Every reply shape is tried, as a hostile server could
/// send any body to any call.
pub fn mlflow_response(data: &[u8]) {
    use crate::mlflow::api::wire;
    use crate::mlflow::{error_from_body, parse_body};

    const URL: &str = "http://127.0.0.1:5000/api/2.0/mlflow/runs/search";
    let status = data.first().map_or(200, |b| 200 + u16::from(*b));
    let _ = parse_body::<wire::Experiments>(URL, 200, data);
    let _ = parse_body::<wire::OneExperiment>(URL, 200, data);
    let _ = parse_body::<wire::OneRun>(URL, 200, data);
    let _ = parse_body::<wire::Artifacts>(URL, 200, data);
    let _ = parse_body::<wire::RegisteredModels>(URL, 200, data);
    let _ = parse_body::<wire::ModelVersions>(URL, 200, data);
    let _ = parse_body::<wire::OneModelVersion>(URL, 200, data);
    let _ = parse_body::<wire::DownloadUri>(URL, 200, data);
    let error = error_from_body(URL, status, data).to_string();
    assert!(error.contains(URL), "error {error:?} does not name the URL");

    if let Ok(runs) = parse_body::<wire::Runs>(URL, 200, data) {
        print_runs(&runs.runs);
    }
    if let Ok(history) = parse_body::<wire::MetricHistory>(URL, 200, data) {
        chart_history(&history.metrics);
    }
    let text = String::from_utf8_lossy(data);
    mlflow_text(&text);
    let _ = serde_json::from_slice::<crate::jobs::offline::OfflineCopy>(data);
}

/// Prints runs in every format `petal runs list` offers.
fn print_runs(runs: &[crate::mlflow::Run]) {
    use crate::cli::run_rows::{write_runs, ListFormat};
    for format in [
        ListFormat::Table,
        ListFormat::Json,
        ListFormat::Jsonl,
        ListFormat::Csv,
    ] {
        let mut out = Vec::new();
        write_runs(&mut out, runs, format).expect("writing to memory");
    }
}

/// Thins a metric history as the Runs panel's charts do.
fn chart_history(metrics: &[crate::mlflow::Metric]) {
    let points: Vec<[f64; 2]> = metrics
        .iter()
        .map(|metric| [metric.step as f64, metric.value])
        .collect();
    let thinned = crate::ui::runs::downsample::min_max_buckets(&points, 4);
    assert!(thinned.len() <= points.len(), "thinning added points");
    assert!(
        thinned.iter().all(|[x, y]| x.is_finite() && y.is_finite()),
        "thinning kept a non-finite point"
    );
}

/// Reads `text` as an `MLmodel` file, an artifact URI and a model URI.
fn mlflow_text(text: &str) {
    use crate::mlflow::mlmodel::onnx_data_path;
    use crate::mlflow::ArtifactLocation;
    use crate::model::ModelSource;

    let _ = onnx_data_path(text);
    if let Ok(location) = ArtifactLocation::parse(text) {
        let name = safe_file_name(location.file_name());
        assert_eq!(Path::new(&name).components().count(), 1, "name {name:?}");
        let _ = location.join(text).to_string();
    }
    if let Ok(source) = ModelSource::parse(text) {
        let printed = source.to_string();
        match ModelSource::parse(&printed) {
            Ok(again) => assert_eq!(again, source, "{printed} changed when parsed again"),
            Err(cause) => panic!("{printed} does not parse again: {cause}"),
        }
    }
}
