//! Helpers shared by the integration tests: data locations and fixtures
//! built in memory.
#![allow(dead_code)]

#[cfg(unix)]
pub mod child;
pub mod dropped;
pub mod faults;
pub mod harness;
pub mod mlflow;
pub mod onnx;
pub mod photos;
pub mod s3;

use std::path::PathBuf;

/// Returns the Oxford 102 flowers folder, overridable with `PETAL_DATASET`.
pub fn dataset_dir() -> PathBuf {
    let dir = std::env::var_os("PETAL_DATASET")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/datasets/oxford102")
        });
    assert!(
        dir.join("valid").is_dir(),
        "Oxford 102 dataset not found at {}; set PETAL_DATASET to its folder",
        dir.display()
    );
    dir
}

/// Returns the folder of inputs from public bug reports, overridable with `PETAL_CASES`.
pub fn cases_dir() -> PathBuf {
    let dir = std::env::var_os("PETAL_CASES")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/cases"));
    assert!(
        dir.join("README.md").is_file(),
        "bug-report cases not found at {}; set PETAL_CASES to their folder",
        dir.display()
    );
    dir
}

pub fn case(name: &str) -> PathBuf {
    cases_dir().join(name)
}

/// Class names from the dataset's `cat_to_name.json`, by class id.
pub fn class_names() -> std::collections::BTreeMap<String, String> {
    let text = std::fs::read_to_string(dataset_dir().join("cat_to_name.json"))
        .expect("cat_to_name.json is readable");
    serde_json::from_str(&text).expect("cat_to_name.json is a JSON object")
}
