//! Native file dialogs, waited on off the UI thread.

use std::path::PathBuf;

use super::input::PHOTO_FILTER;
use crate::jobs::{Jobs, Pick};

/// Creates a dialog owned by the window when there is a window handle.
fn dialog(frame: &eframe::Frame) -> rfd::AsyncFileDialog {
    let dialog = rfd::AsyncFileDialog::new();
    // Without a window handle (in tests), the dialog simply has no parent.
    if frame.winit_window().is_some() {
        dialog.set_parent(frame)
    } else {
        dialog
    }
}

pub fn pick_photos(jobs: &Jobs, frame: &eframe::Frame) {
    let picking = dialog(frame)
        .set_title("Add photos")
        .add_filter("Photos", &PHOTO_FILTER)
        .add_filter("All files", &["*"])
        .pick_files();
    jobs.await_dialog(Pick::Photos, async move { paths(picking.await) });
}

pub fn pick_folder(jobs: &Jobs, frame: &eframe::Frame) {
    let picking = dialog(frame)
        .set_title("Add a folder of photos")
        .pick_folders();
    jobs.await_dialog(Pick::Folder, async move { paths(picking.await) });
}

pub fn pick_model(jobs: &Jobs, frame: &eframe::Frame) {
    let picking = dialog(frame)
        .set_title("Open an ONNX model")
        .add_filter("ONNX models", &["onnx"])
        .pick_file();
    jobs.await_dialog(Pick::Model, async move {
        paths(picking.await.map(|file| vec![file]))
    });
}

pub fn pick_publish(jobs: &Jobs, frame: &eframe::Frame) {
    let picking = dialog(frame)
        .set_title("Publish a model to the bucket")
        .add_filter("ONNX models", &["onnx"])
        .pick_file();
    jobs.await_dialog(Pick::Publish, async move {
        paths(picking.await.map(|file| vec![file]))
    });
}

pub fn pick_export(jobs: &Jobs, frame: &eframe::Frame) {
    let picking = dialog(frame)
        .set_title("Export results")
        .set_file_name("petal-results.csv")
        .add_filter("CSV", &["csv"])
        .add_filter("JSON", &["json"])
        .add_filter("JSON Lines", &["jsonl"])
        .save_file();
    jobs.await_dialog(Pick::Export, async move {
        paths(picking.await.map(|file| vec![file]))
    });
}

fn paths(files: Option<Vec<rfd::FileHandle>>) -> Vec<PathBuf> {
    files
        .unwrap_or_default()
        .iter()
        .map(|file| file.path().to_path_buf())
        .collect()
}
