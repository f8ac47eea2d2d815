//! The selected run: parameters, tags, latest metrics, metric charts
//! (with the ticked runs overlaid) and artifacts.

use std::collections::BTreeSet;

use eframe::egui;

use super::super::app::PetalApp;
use super::table::{display_name, format_value};
use super::{artifacts, charts};
use crate::mlflow::{Run, Tag};

/// Draws the detail of the selected run, if any.
pub fn show(app: &mut PetalApp, ui: &mut egui::Ui) {
    let Some(run) = app
        .runs
        .table
        .selected
        .as_deref()
        .and_then(|id| app.runs.table.run(id))
        .cloned()
    else {
        ui.weak("Click a run's name to see its parameters, metrics and artifacts.");
        return;
    };
    ui.heading(format!("Run {}", display_name(&run)));
    ui.weak(format!("id {}", run.info.run_id));
    pairs_ui(ui, "Parameters", "run-params", &run.data.params);
    metrics_ui(ui, &run);
    // MLflow's `mlflow.log-model.history` tag is a long JSON document.
    let tags: Vec<Tag> = run
        .data
        .tags
        .iter()
        .filter(|tag| !tag.key.starts_with("mlflow.log-model"))
        .cloned()
        .collect();
    pairs_ui(ui, "Tags", "run-tags", &tags);
    ui.separator();
    history_ui(app, ui, &run);
    ui.separator();
    ui.strong("Artifacts");
    if app.runs.offline_shown() {
        ui.weak("Artifacts need the server; they are not kept offline.");
    } else {
        artifacts::show(app, ui, &run.info.run_id);
    }
}

/// Draws a chart per metric of `run`, with the ticked runs overlaid.
fn history_ui(app: &mut PetalApp, ui: &mut egui::Ui, run: &Run) {
    ui.strong("Metric history");
    let keys: BTreeSet<String> = run.data.metrics.iter().map(|m| m.key.clone()).collect();
    if keys.is_empty() {
        ui.weak("This run has no metrics.");
        return;
    }
    let mut runs = vec![run.info.run_id.clone()];
    let compared = app.runs.table.compared.iter();
    runs.extend(compared.filter(|id| **id != run.info.run_id).cloned());
    charts::show(app, ui, &keys, &runs);
}

fn pairs_ui(ui: &mut egui::Ui, title: &str, id: &str, pairs: &[Tag]) {
    ui.strong(title);
    if pairs.is_empty() {
        ui.weak("none");
        return;
    }
    egui::Grid::new(id)
        .num_columns(2)
        .striped(true)
        .show(ui, |ui| {
            for pair in pairs {
                ui.label(&pair.key);
                ui.label(&pair.value);
                ui.end_row();
            }
        });
}

fn metrics_ui(ui: &mut egui::Ui, run: &Run) {
    ui.strong("Latest metrics");
    if run.data.metrics.is_empty() {
        ui.weak("none");
        return;
    }
    egui::Grid::new("run-metrics")
        .num_columns(3)
        .striped(true)
        .show(ui, |ui| {
            for metric in &run.data.metrics {
                ui.label(&metric.key);
                ui.label(format_value(metric.value));
                ui.weak(format!("step {}", metric.step));
                ui.end_row();
            }
        });
}
