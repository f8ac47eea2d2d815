//! The desktop app, driven headless with egui_kittest: real photos, the
//! real bundled model and the app's own background workers.

mod support;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use eframe::egui::{self, accesskit::Role};
use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use petal::ui::{AppOptions, PetalApp};
use support::dropped::Dropped;
use support::harness::{has_label, has_label_containing};

/// Longest wait for the app to finish its work; only a hang gets near it.
const SETTLE_LIMIT: Duration = Duration::from_secs(300);

fn app(options: AppOptions) -> Harness<'static, PetalApp> {
    Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_eframe(move |cc| PetalApp::new(cc, options))
}

fn default_app() -> Harness<'static, PetalApp> {
    app(AppOptions::default())
}

fn drop_files(harness: &mut Harness<'_, PetalApp>, paths: &[PathBuf]) {
    for path in paths {
        let file: egui::DroppedFileHandle = Arc::new(Dropped(path.clone()));
        harness.input_mut().dropped_files.push(file);
    }
    harness.step();
}

/// Steps frames until the model is loaded and every photo has a result.
fn settle(harness: &mut Harness<'_, PetalApp>) {
    let started = Instant::now();
    harness.step();
    while !harness.state().is_idle() {
        assert!(
            started.elapsed() < SETTLE_LIMIT,
            "the app is still busy after {SETTLE_LIMIT:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
        harness.step();
    }
    // A few more frames, so that results that arrived are drawn.
    harness.run_steps(3);
}

fn valid_photo(class: &str, name: &str) -> PathBuf {
    support::dataset_dir().join("valid").join(class).join(name)
}

fn three_photos() -> Vec<PathBuf> {
    vec![
        valid_photo("1", "image_06739.jpg"),
        valid_photo("2", "image_05094.jpg"),
        valid_photo("3", "image_06621.jpg"),
    ]
}

fn bar_count(harness: &Harness<'_, PetalApp>) -> usize {
    harness.query_all_by_role(Role::ProgressIndicator).count()
}

#[test]
fn dropped_photos_show_their_species() {
    let mut harness = default_app();
    settle(&mut harness);
    drop_files(&mut harness, &three_photos());
    settle(&mut harness);

    for species in [
        "pink primrose",
        "hard-leaved pocket orchid",
        "canterbury bells",
    ] {
        assert!(has_label(&harness, species), "no label {species:?}");
    }
    let tally = harness.state().tally();
    assert_eq!((tally.total, tally.done, tally.failed), (3, 3, 0));
    // The first dropped photo is selected and described in words.
    assert_eq!(harness.state().selected_name(), Some("image_06739.jpg"));
    assert!(has_label_containing(&harness, "pink primrose ("));
}

#[test]
fn photos_given_at_start_are_classified() {
    let options = AppOptions {
        photos: three_photos(),
        ..AppOptions::default()
    };
    let mut harness = app(options);
    settle(&mut harness);
    assert_eq!(harness.state().tally().done, 3);
    assert!(has_label(&harness, "3 photos · 1 uncertain"));
}

#[test]
fn a_photo_dropped_twice_is_listed_once() {
    let mut harness = default_app();
    let photo = valid_photo("1", "image_06739.jpg");
    drop_files(&mut harness, &[photo.clone(), photo.clone()]);
    settle(&mut harness);
    drop_files(&mut harness, &[photo]);
    settle(&mut harness);
    assert_eq!(harness.state().tally().total, 1);
}

#[test]
fn a_corrupt_photo_shows_its_error_while_the_others_succeed() {
    let folder = tempfile::tempdir().expect("temporary folder");
    for photo in three_photos().iter().take(2) {
        let name = photo.file_name().expect("file name");
        std::fs::copy(photo, folder.path().join(name)).expect("copy a photo");
    }
    let good = std::fs::read(valid_photo("3", "image_06621.jpg")).expect("read a photo");
    std::fs::write(folder.path().join("broken.jpg"), &good[..600]).expect("write");
    std::fs::write(folder.path().join("notes.jpg"), b"shopping list").expect("write");

    let mut harness = default_app();
    drop_files(&mut harness, &[folder.path().to_path_buf()]);
    settle(&mut harness);

    // The cut JPEG is classified with a warning; the text file fails.
    let tally = harness.state().tally();
    assert_eq!((tally.total, tally.done, tally.failed), (4, 3, 1));
    assert!(has_label(&harness, "pink primrose"));
    assert!(has_label(&harness, "hard-leaved pocket orchid"));

    harness
        .get_by_role_and_label(Role::Button, "notes.jpg")
        .click();
    harness.run_steps(2);
    assert!(has_label(&harness, "Cannot classify this photo"));
    assert!(has_label_containing(&harness, "not a photo"));
    assert!(has_label_containing(&harness, "notes.jpg"));

    harness
        .get_by_role_and_label(Role::Button, "broken.jpg")
        .click();
    harness.run_steps(2);
    assert!(has_label_containing(&harness, "the JPEG data ends early"));
}

#[test]
fn the_top_k_control_sets_the_number_of_bars() {
    let mut harness = default_app();
    drop_files(&mut harness, &three_photos()[..1]);
    settle(&mut harness);
    assert_eq!(bar_count(&harness), 5);

    harness.get_by_label("+").click();
    harness.run_steps(2);
    assert_eq!(bar_count(&harness), 6);

    for _ in 0..3 {
        harness.get_by_label("−").click();
        harness.run_steps(2);
    }
    assert_eq!(bar_count(&harness), 3);
    assert!(has_label(&harness, "3. canterbury bells") || bar_count(&harness) == 3);
}

#[test]
fn cancel_stops_the_batch_and_the_rest_can_resume() {
    let options = AppOptions {
        workers: 1,
        ..AppOptions::default()
    };
    let mut harness = app(options);
    settle(&mut harness);
    let classes: Vec<PathBuf> = ["1", "2", "3", "4", "5"]
        .iter()
        .map(|class| support::dataset_dir().join("valid").join(class))
        .collect();
    let photos: usize = classes
        .iter()
        .map(|class| std::fs::read_dir(class).expect("class folder").count())
        .sum();
    drop_files(&mut harness, &classes);
    while harness.state().tally().done == 0 {
        std::thread::sleep(Duration::from_millis(20));
        harness.step();
    }
    harness.get_by_label("Cancel").click();
    harness.run_steps(2);
    settle(&mut harness);

    let tally = harness.state().tally();
    assert_eq!(tally.total, photos);
    assert!(
        tally.cancelled > photos / 2,
        "only {} cancelled",
        tally.cancelled
    );
    assert_eq!(tally.done + tally.cancelled, photos);

    let resume = format!("Classify {} cancelled", tally.cancelled);
    harness.get_by_label(&resume).click();
    settle(&mut harness);
    assert_eq!(harness.state().tally().done, photos);
}

#[test]
fn escape_cancels_and_arrow_keys_and_delete_edit_the_selection() {
    let mut harness = default_app();
    drop_files(&mut harness, &three_photos());
    settle(&mut harness);
    assert_eq!(harness.state().selected_name(), Some("image_06739.jpg"));

    harness.key_press(egui::Key::ArrowRight);
    harness.run_steps(2);
    assert_eq!(harness.state().selected_name(), Some("image_05094.jpg"));

    harness.key_press(egui::Key::Delete);
    harness.run_steps(2);
    assert_eq!(harness.state().tally().total, 2);
    assert_eq!(harness.state().selected_name(), Some("image_06621.jpg"));

    harness.key_press(egui::Key::ArrowLeft);
    harness.run_steps(2);
    assert_eq!(harness.state().selected_name(), Some("image_06739.jpg"));
}

#[test]
fn the_model_panel_shows_the_bundled_models_card() {
    let mut harness = default_app();
    settle(&mut harness);
    harness.get_by_label("Models").click();
    harness.run_steps(2);

    let bytes = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("models/petal-flowers102-lite0.onnx"),
    )
    .expect("bundled model file");
    let sha256 = sha2_hex(&bytes);
    assert!(has_label(&harness, &sha256), "no SHA-256 {sha256}");
    assert!(has_label(&harness, "102"));
    assert!(has_label(&harness, "bundled"));
    assert!(has_label_containing(&harness, "224 × 224 pixels, NCHW"));
    assert!(has_label_containing(&harness, "mean [0.5, 0.5, 0.5]"));
}

/// Starts the app, drops `model` on it and returns the notice it shows.
fn notice_after_dropping_model(harness: &mut Harness<'_, PetalApp>, model: PathBuf) -> String {
    settle(harness);
    drop_files(harness, &[model]);
    settle(harness);
    harness
        .state()
        .latest_notice()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn a_broken_model_leaves_the_previous_one_active() {
    let folder = tempfile::tempdir().expect("temporary folder");
    let broken = folder.path().join("broken.onnx");
    std::fs::write(&broken, b"\x08\x07 this is not a model").expect("write");

    let mut harness = default_app();
    let notice = notice_after_dropping_model(&mut harness, broken);
    assert!(notice.contains("broken.onnx"), "notice: {notice}");
    assert!(notice.contains("Still using bundled"), "notice: {notice}");
    assert!(harness.state().classifier().is_some());

    drop_files(&mut harness, &three_photos()[..1]);
    settle(&mut harness);
    assert!(has_label(&harness, "pink primrose"));
}

#[test]
fn a_hostile_model_leaves_the_previous_one_active() {
    // Its weight claims 4 TiB with 48 bytes of data.
    let hostile =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/models/huge-initializer-raw.onnx");

    let mut harness = default_app();
    let notice = notice_after_dropping_model(&mut harness, hostile);
    assert!(
        notice.contains("huge-initializer-raw.onnx"),
        "notice: {notice}"
    );
    assert!(notice.contains("weight tensor"), "notice: {notice}");
    assert!(notice.contains("Still using bundled"), "notice: {notice}");

    drop_files(&mut harness, &three_photos()[1..2]);
    settle(&mut harness);
    assert!(has_label(&harness, "hard-leaved pocket orchid"));
}

#[test]
fn a_pasted_path_adds_the_photo() {
    let mut harness = default_app();
    let photo = valid_photo("2", "image_05094.jpg");
    harness.event(egui::Event::Paste(photo.display().to_string()));
    settle(&mut harness);
    assert!(has_label(&harness, "hard-leaved pocket orchid"));
}

#[test]
fn export_writes_the_rows_shown() {
    let folder = tempfile::tempdir().expect("temporary folder");
    let mut harness = default_app();
    drop_files(&mut harness, &three_photos());
    settle(&mut harness);

    let csv_path = folder.path().join("results.csv");
    let json_path = folder.path().join("results.json");
    harness.state_mut().export_to(csv_path.clone());
    harness.state_mut().export_to(json_path.clone());
    wait_for_file(&mut harness, &csv_path);
    wait_for_file(&mut harness, &json_path);

    let csv = std::fs::read_to_string(&csv_path).expect("CSV written");
    assert!(csv.starts_with("path,rank,label,class_id,index,probability,error,warning\n"));
    assert_eq!(csv.lines().count(), 1 + 3 * petal::jobs::MAX_RANKED);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json_path).expect("JSON written"))
            .expect("valid JSON");
    let rows = json.as_array().expect("a JSON array");
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0]["predictions"][0]["label"], "pink primrose");
}

fn wait_for_file(harness: &mut Harness<'_, PetalApp>, path: &Path) {
    let started = Instant::now();
    while !path.exists() {
        assert!(
            started.elapsed() < SETTLE_LIMIT,
            "{} never written",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(20));
        harness.step();
    }
}

fn sha2_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}
