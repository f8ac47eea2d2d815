//! tract and ONNX Runtime give the same top-5 species, and a missing or wrong
//! ONNX Runtime library falls back to tract with a message that gives the reason.
//!
//! The agreement tests need ONNX Runtime's library: `ORT_DYLIB_PATH` or
//! `PETAL_ONNXRUNTIME`, else the virtual environment `.ci/run` makes in
//! `.ci/ort-venv`. Without any of these they are skipped with a note, except
//! under CI (`CI` set), where they fail.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use petal::imaging::{open_photo, DecodeLimits};
use petal::model::{Classifier, EngineKind, EngineOptions, ModelSource};

/// Largest difference allowed between the engines' probabilities; both
/// compute in float32, in different orders.
const TOLERANCE: f32 = 1e-4;

/// Photos per class in the quick sample.
const SAMPLE_PER_CLASS: usize = 1;

const PETAL: &str = env!("CARGO_BIN_EXE_petal");

/// Points `PETAL_ONNXRUNTIME` at `.ci/ort-venv` when nothing else names a
/// library; returns false when no library can be found.
fn library_available() -> bool {
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    if set("ORT_DYLIB_PATH") || set("PETAL_ONNXRUNTIME") {
        return true;
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/ort-venv");
    if venv.is_dir() {
        std::env::set_var("PETAL_ONNXRUNTIME", &venv);
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "no ONNX Runtime library under CI; .ci/run should have set ORT_DYLIB_PATH"
    );
    eprintln!("note: skipped: no ONNX Runtime library (set ORT_DYLIB_PATH or PETAL_ONNXRUNTIME)");
    false
}

fn onnxruntime() -> Classifier {
    let options = EngineOptions {
        kind: EngineKind::OnnxRuntime,
        ..EngineOptions::default()
    };
    let classifier = ModelSource::Bundled
        .load_with(&options)
        .expect("bundled model loads");
    assert_eq!(
        classifier.info().engine.kind,
        EngineKind::OnnxRuntime,
        "fell back to tract: {:?}",
        classifier.spec().warnings
    );
    classifier
}

/// Lists the first `per_class` photos of every class folder of the
/// validation split, by file name.
fn validation_photos(per_class: usize) -> Vec<PathBuf> {
    let valid = support::dataset_dir().join("valid");
    let mut classes: Vec<PathBuf> = std::fs::read_dir(&valid)
        .expect("validation folder is readable")
        .map(|entry| entry.expect("folder entry").path())
        .filter(|path| path.is_dir())
        .collect();
    classes.sort();
    let mut photos = Vec::new();
    for class in classes {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&class)
            .expect("class folder is readable")
            .map(|entry| entry.expect("folder entry").path())
            .collect();
        files.sort();
        photos.extend(files.into_iter().take(per_class));
    }
    photos
}

/// Indices of the five most probable classes, best first.
fn top5(probabilities: &[f32]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..probabilities.len()).collect();
    order.sort_by(|&a, &b| probabilities[b].total_cmp(&probabilities[a]));
    order.truncate(5);
    order
}

/// Compares both engines on `photos` and returns one line per
/// disagreement. Two classes whose probabilities differ by less than the
/// tolerance may swap ranks, because either order is then right.
fn disagreements(photos: &[PathBuf]) -> Vec<String> {
    let tract = ModelSource::Bundled.load().expect("bundled model loads");
    let ort = onnxruntime();
    let mut found = Vec::new();
    for path in photos {
        let image = open_photo(path, &DecodeLimits::default())
            .expect("validation photo decodes")
            .image;
        let expected = tract.probabilities(&image).expect("tract runs");
        let actual = ort.probabilities(&image).expect("ONNX Runtime runs");
        let gap = expected
            .iter()
            .zip(&actual)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        if gap > TOLERANCE {
            found.push(format!("{}: probabilities differ by {gap}", path.display()));
        }
        let (want, got) = (top5(&expected), top5(&actual));
        for (rank, (&a, &b)) in want.iter().zip(&got).enumerate() {
            if a != b && (expected[a] - expected[b]).abs() > TOLERANCE {
                found.push(format!(
                    "{}: rank {} is class {a} with tract and {b} with ONNX Runtime",
                    path.display(),
                    rank + 1
                ));
            }
        }
    }
    found
}

#[test]
fn engines_agree_on_one_photo_per_class() {
    if !library_available() {
        return;
    }
    let photos = validation_photos(SAMPLE_PER_CLASS);
    assert_eq!(photos.len(), 102, "one photo for each of the 102 classes");
    let found = disagreements(&photos);
    assert!(found.is_empty(), "{}", found.join("\n"));
}

/// Checks all 818 validation photos; run it with
/// `cargo test --test engines -- --ignored`.
#[test]
#[ignore = "takes a few minutes; the sample above runs every time"]
fn engines_agree_on_every_validation_photo() {
    if !library_available() {
        return;
    }
    let photos = validation_photos(usize::MAX);
    assert_eq!(photos.len(), 818);
    let found = disagreements(&photos);
    assert!(found.is_empty(), "{}", found.join("\n"));
}

#[test]
fn onnxruntime_reports_its_version_and_threads() {
    if !library_available() {
        return;
    }
    let info = onnxruntime().info().engine.clone();
    assert_eq!(info.threads, 1);
    let version = info.version.expect("ONNX Runtime's version");
    assert!(version.starts_with("1."), "{version}");
}

/// Runs `petal classify --engine onnxruntime` on one photo with `env` set
/// and the library variables cleared; returns its status and stderr.
fn classify_with(env: &[(&str, &str)]) -> (Option<i32>, String, String) {
    let photo = &validation_photos(1)[0];
    let mut command = Command::new(PETAL);
    command
        .args(["classify", "--engine", "onnxruntime", "--top-k", "1"])
        .arg(photo)
        .env_remove("ORT_DYLIB_PATH")
        .env_remove("PETAL_ONNXRUNTIME")
        .env_remove("PETAL_ENGINE")
        .env("PETAL_CONFIG_DIR", env!("CARGO_TARGET_TMPDIR"));
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().expect("petal runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn missing_library_falls_back_to_tract() {
    let (status, stdout, stderr) = classify_with(&[]);
    assert_eq!(status, Some(0), "{stderr}");
    assert!(stdout.contains("pink primrose"), "{stdout}");
    assert!(
        stderr.contains("neither ORT_DYLIB_PATH nor PETAL_ONNXRUNTIME"),
        "{stderr}"
    );
    assert!(stderr.contains("pip install onnxruntime"), "{stderr}");
    assert!(
        stderr.contains("using the built-in tract engine"),
        "{stderr}"
    );
}

#[test]
fn library_path_that_does_not_exist_is_named() {
    let (status, _, stderr) = classify_with(&[("ORT_DYLIB_PATH", "/no/such/libonnxruntime.so")]);
    assert_eq!(status, Some(0), "{stderr}");
    assert!(
        stderr.contains("/no/such/libonnxruntime.so was not found"),
        "{stderr}"
    );
    assert!(
        stderr.contains("using the built-in tract engine"),
        "{stderr}"
    );
}

#[test]
fn wrong_library_is_rejected_without_a_crash() {
    // A real shared library that is not ONNX Runtime: libpthread or libm.
    let candidates = [
        "/lib/x86_64-linux-gnu/libm.so.6",
        "/usr/lib/x86_64-linux-gnu/libm.so.6",
        "/lib64/libm.so.6",
        "/lib/aarch64-linux-gnu/libm.so.6",
    ];
    let Some(library) = candidates.iter().find(|path| Path::new(path).is_file()) else {
        eprintln!("note: skipped: no libm.so.6 in the usual folders");
        return;
    };
    let (status, stdout, stderr) = classify_with(&[("ORT_DYLIB_PATH", *library)]);
    assert_eq!(status, Some(0), "{stderr}");
    assert!(stdout.contains("pink primrose"), "{stdout}");
    assert!(
        stderr.contains("is not an ONNX Runtime library"),
        "{stderr}"
    );
}

#[test]
fn bench_refuses_to_time_a_fallback() {
    let photo = &validation_photos(1)[0];
    let output = Command::new(PETAL)
        .args([
            "bench",
            "--measure",
            "raw",
            "--repeats",
            "1",
            "--engine",
            "onnxruntime",
        ])
        .arg(photo)
        .env_remove("ORT_DYLIB_PATH")
        .env_remove("PETAL_ONNXRUNTIME")
        .output()
        .expect("petal runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("engine onnxruntime is not available"),
        "{stderr}"
    );
}
