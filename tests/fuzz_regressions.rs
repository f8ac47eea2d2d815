//! Replays every input under `tests/data/fuzz/<target>/` through the entry
//! point its fuzz target calls. Each file there once crashed Petal or
//! broke one of its invariants (minimised by `cargo fuzz tmin`); this keeps
//! them fixed on stable Rust without cargo-fuzz.

use std::path::PathBuf;

type EntryPoint = fn(&[u8]);

/// Every fuzz target and the library function it fuzzes.
const TARGETS: [(&str, EntryPoint); 6] = [
    ("photo", petal::fuzzing::photo),
    ("onnx_model", petal::fuzzing::onnx_model),
    ("model_description", petal::fuzzing::model_description),
    ("settings", petal::fuzzing::settings),
    ("s3_names", petal::fuzzing::s3_names),
    ("mlflow_response", petal::fuzzing::mlflow_response),
];

fn inputs(target: &str) -> Vec<PathBuf> {
    let folder = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/fuzz")
        .join(target);
    let Ok(entries) = std::fs::read_dir(&folder) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|entry| entry.expect("fuzz input entry").path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    files
}

#[test]
fn every_crash_input_passes() {
    let mut replayed = 0;
    for (target, entry_point) in TARGETS {
        for path in inputs(target) {
            let bytes = std::fs::read(&path).expect("fuzz input is readable");
            println!("{target}: {}", path.display());
            entry_point(&bytes);
            replayed += 1;
        }
    }
    println!("replayed {replayed} inputs");
}

#[test]
fn every_folder_belongs_to_a_target() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/fuzz");
    for entry in std::fs::read_dir(root).expect("tests/data/fuzz exists") {
        let name = entry.expect("entry").file_name();
        let name = name.to_string_lossy();
        assert!(
            TARGETS.iter().any(|(target, _)| *target == name),
            "tests/data/fuzz/{name} matches no fuzz target"
        );
    }
}
