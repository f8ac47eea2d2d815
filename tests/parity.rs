//! The Rust pipeline reproduces the training tool's probabilities.
//!
//! `tests/data/reference_probabilities.json` holds, for 20 validation
//! photos, the probabilities that the PyTorch model gives after the training
//! tool's evaluation preprocessing (Pillow decode, bilinear resize, centre
//! crop). `tools/train/reference.py` regenerates it.

mod support;

use petal::imaging::{open_photo, DecodeLimits};
use petal::model::ModelSource;
use serde::Deserialize;

#[derive(Deserialize)]
struct Reference {
    model_sha256: String,
    photos: Vec<ReferencePhoto>,
}

#[derive(Deserialize)]
struct ReferencePhoto {
    path: String,
    class_id: String,
    probabilities: Vec<f32>,
}

impl ReferencePhoto {
    fn decode(&self, dataset: &std::path::Path) -> image::RgbImage {
        let path = dataset.join(&self.path);
        match open_photo(&path, &DecodeLimits::default()) {
            Ok(photo) => photo.image,
            Err(error) => panic!("validation photo does not decode: {error}"),
        }
    }
}

const TOLERANCE: f32 = 1e-3;

fn reference() -> Reference {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/reference_probabilities.json"
    );
    let text = std::fs::read_to_string(path).expect("reference file is readable");
    serde_json::from_str(&text).expect("reference file is valid JSON")
}

#[test]
fn probabilities_match_training_tool() {
    let reference = reference();
    let classifier = ModelSource::Bundled.load().expect("bundled model loads");
    assert_eq!(
        classifier.info().sha256,
        reference.model_sha256,
        "the reference was made with another model; run tools/train/reference.py"
    );
    assert_eq!(reference.photos.len(), 20);
    let dataset = support::dataset_dir();
    let mut worst = 0.0f32;
    for photo in &reference.photos {
        let image = photo.decode(&dataset);
        let probs = classifier.probabilities(&image).expect("model runs");
        assert_eq!(probs.len(), photo.probabilities.len());
        let gap = probs
            .iter()
            .zip(&photo.probabilities)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        worst = worst.max(gap);
        assert!(
            gap < TOLERANCE,
            "{}: probabilities differ by up to {gap}",
            photo.path
        );
    }
    eprintln!(
        "largest probability gap over {} photos: {worst:.2e}",
        reference.photos.len()
    );
}

#[test]
fn reference_photos_are_classified_as_their_species() {
    let reference = reference();
    let classifier = ModelSource::Bundled.load().expect("bundled model loads");
    let dataset = support::dataset_dir();
    let mut correct = 0;
    for photo in &reference.photos {
        let image = photo.decode(&dataset);
        let top = classifier.classify(&image, 1).expect("model runs");
        correct += usize::from(top[0].class_id.as_deref() == Some(photo.class_id.as_str()));
    }
    assert!(
        correct >= 19,
        "only {correct} of 20 reference photos classified correctly"
    );
}
