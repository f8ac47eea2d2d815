//! A run's artifacts as a tree whose folders are listed when opened, with
//! "Use this model" on ONNX files and MLflow model folders.

use std::collections::{BTreeSet, HashMap};

use eframe::egui;

use super::super::app::PetalApp;
use crate::mlflow::{FileInfo, MlflowError};
use crate::model::ModelSource;

/// Listings of one run's artifact folders.
#[derive(Default)]
pub struct ArtifactTree {
    /// The run listed; a different run starts a new tree.
    pub run_id: Option<String>,
    /// Folder path (`""` for the root) to its entries; `None` while listing.
    pub folders: HashMap<String, Option<Result<Vec<FileInfo>, String>>>,
    /// Folders shown open.
    pub expanded: BTreeSet<String>,
}

impl ArtifactTree {
    /// Stores a listing if it belongs to the run shown.
    pub fn receive(
        &mut self,
        run_id: &str,
        path: String,
        result: Result<Vec<FileInfo>, MlflowError>,
    ) {
        if self.run_id.as_deref() == Some(run_id) {
            let result = result.map_err(|error| error.to_string());
            self.folders.insert(path, Some(result));
        }
    }

    /// True when the listed folder contains an `MLmodel` file, which makes it
    /// an MLflow model folder.
    fn is_model_folder(&self, path: &str) -> bool {
        let Some(Some(Ok(entries))) = self.folders.get(path) else {
            return false;
        };
        entries
            .iter()
            .any(|entry| !entry.is_dir && file_name(&entry.path) == "MLmodel")
    }
}

impl PetalApp {
    /// Lists a folder of the selected run's artifacts unless already listed.
    fn list_artifacts(&mut self, run_id: &str, path: &str) {
        let offline = self.runs.offline_shown();
        let tree = &mut self.runs.artifacts;
        if tree.run_id.as_deref() != Some(run_id) {
            *tree = ArtifactTree {
                run_id: Some(run_id.to_string()),
                ..Default::default()
            };
        }
        if tree.folders.contains_key(path) || offline {
            return;
        }
        let Some(client) = self.runs.client.clone() else {
            return;
        };
        tree.folders.insert(path.to_string(), None);
        self.jobs
            .mlflow_artifacts(client, run_id.to_string(), path.to_string());
    }

    /// Downloads a run's model into the cache and makes it the classifier's
    /// model; the current one stays until the new one has loaded.
    fn use_run_model(&mut self, run_id: &str, path: &str) {
        if self.runs.download.is_some() {
            self.notices
                .info("Wait for the current model download, or cancel it.");
            return;
        }
        let source = ModelSource::MlflowRun {
            run_id: run_id.to_string(),
            path: path.to_string(),
        };
        self.use_mlflow_model(source);
    }
}

/// Draws the tree of `run_id`'s artifacts.
pub fn show(app: &mut PetalApp, ui: &mut egui::Ui, run_id: &str) {
    app.list_artifacts(run_id, "");
    let mut open = Vec::new();
    let mut use_model = None;
    folder_ui(app, ui, "", &mut open, &mut use_model);
    for path in open {
        app.list_artifacts(run_id, &path);
    }
    if let Some(path) = use_model {
        app.use_run_model(run_id, &path);
    }
}

fn folder_ui(
    app: &mut PetalApp,
    ui: &mut egui::Ui,
    path: &str,
    open: &mut Vec<String>,
    use_model: &mut Option<String>,
) {
    let entries = match app.runs.artifacts.folders.get(path) {
        Some(Some(Ok(entries))) => entries.clone(),
        Some(Some(Err(error))) => {
            ui.colored_label(ui.visuals().error_fg_color, error);
            return;
        }
        Some(None) => {
            ui.spinner();
            return;
        }
        None => return,
    };
    if entries.is_empty() && path.is_empty() {
        ui.weak("This run has no artifacts.");
    }
    for entry in entries {
        let name = file_name(&entry.path).to_string();
        if entry.is_dir {
            let expanded = app.runs.artifacts.expanded.contains(&entry.path);
            ui.horizontal(|ui| {
                let marker = if expanded { "[-]" } else { "[+]" };
                if ui.button(format!("{marker} {name}/")).clicked() {
                    toggle(&mut app.runs.artifacts.expanded, &entry.path);
                    open.push(entry.path.clone());
                }
                if app.runs.artifacts.is_model_folder(&entry.path)
                    && ui.button("Use this model").clicked()
                {
                    *use_model = Some(entry.path.clone());
                }
            });
            if expanded {
                ui.indent(("artifacts", &entry.path), |ui| {
                    folder_ui(app, ui, &entry.path, open, use_model);
                });
            }
        } else {
            ui.horizontal(|ui| {
                ui.label(&name);
                if let Some(size) = entry.file_size {
                    ui.weak(super::super::model_panel::describe_bytes(size));
                }
                let is_onnx = name.to_ascii_lowercase().ends_with(".onnx");
                if is_onnx && ui.button("Use this model").clicked() {
                    *use_model = Some(entry.path.clone());
                }
            });
        }
    }
}

fn toggle(set: &mut BTreeSet<String>, path: &str) {
    if !set.remove(path) {
        set.insert(path.to_string());
    }
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}
