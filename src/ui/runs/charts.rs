//! Metric history charts: one plot per metric, the selected run and the
//! ticked runs overlaid, against step or time.

use std::collections::{BTreeSet, HashMap};

use eframe::egui;
use egui_plot::{Legend, Line, Plot, PlotPoints};

use super::super::app::PetalApp;
use super::downsample::min_max_buckets;
use super::table::display_name;
use crate::mlflow::{Metric, MlflowError};

/// The x axis of the charts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum XAxis {
    #[default]
    Step,
    /// Seconds since the run's first recorded value.
    Time,
}

/// One metric history of one run, as fetched so far.
#[derive(Debug, Default)]
pub struct History {
    pub values: Vec<Metric>,
    /// The last page arrived.
    pub done: bool,
    pub error: Option<String>,
}

/// Histories by (run id, metric key), and how to draw them.
#[derive(Default)]
pub struct Charts {
    pub histories: HashMap<(String, String), History>,
    pub x_axis: XAxis,
    /// Draws every point instead of the min and max per pixel column.
    pub show_all_points: bool,
}

impl Charts {
    /// Appends a page of a history the panel requested.
    pub fn receive(
        &mut self,
        run_id: String,
        key: String,
        result: Result<Vec<Metric>, MlflowError>,
        done: bool,
    ) {
        let history = self.histories.entry((run_id, key)).or_default();
        history.done |= done;
        match result {
            Ok(values) => history.values.extend(values),
            Err(error) => {
                history.done = true;
                history.error = Some(error.to_string());
            }
        }
    }
}

impl PetalApp {
    /// Requests the histories the charts need that are not fetched or on their way.
    pub(super) fn request_histories(&mut self, keys: &BTreeSet<String>, runs: &[String]) {
        let Some(client) = self.runs.client.clone() else {
            return;
        };
        if self.runs.offline_shown() {
            return;
        }
        for run_id in runs {
            for key in keys {
                let id = (run_id.clone(), key.clone());
                if self.runs.charts.histories.contains_key(&id) {
                    continue;
                }
                self.runs.charts.histories.insert(id, History::default());
                self.jobs
                    .mlflow_history(client.clone(), run_id.clone(), key.clone());
            }
        }
    }
}

/// Draws the axis toggle and one chart per metric key.
pub fn show(app: &mut PetalApp, ui: &mut egui::Ui, keys: &BTreeSet<String>, runs: &[String]) {
    app.request_histories(keys, runs);
    let charts = &mut app.runs.charts;
    ui.horizontal(|ui| {
        ui.label("X axis:");
        ui.selectable_value(&mut charts.x_axis, XAxis::Step, "Step");
        ui.selectable_value(&mut charts.x_axis, XAxis::Time, "Time");
        ui.checkbox(&mut charts.show_all_points, "Show all points");
    });
    let names: Vec<String> = runs
        .iter()
        .map(|id| {
            app.runs
                .table
                .run(id)
                .map_or_else(|| id.clone(), display_name)
        })
        .collect();
    let charts = &app.runs.charts;
    for key in keys {
        ui.strong(key);
        for run_id in runs {
            if let Some(history) = charts.histories.get(&(run_id.clone(), key.clone())) {
                status_ui(ui, history);
            }
        }
        let width = ui.available_width().max(100.0);
        Plot::new(format!("chart-{key}"))
            .height(180.0)
            .legend(Legend::default())
            .x_axis_label(match charts.x_axis {
                XAxis::Step => "step",
                XAxis::Time => "seconds",
            })
            .allow_scroll(false)
            .show(ui, |plot| {
                for (run_id, name) in runs.iter().zip(&names) {
                    let Some(history) = charts.histories.get(&(run_id.clone(), key.clone())) else {
                        continue;
                    };
                    let points = series(&history.values, charts.x_axis);
                    let points = if charts.show_all_points {
                        points
                    } else {
                        min_max_buckets(&points, width as usize)
                    };
                    plot.line(Line::new(name.clone(), PlotPoints::from(points)));
                }
            });
    }
}

fn status_ui(ui: &mut egui::Ui, history: &History) {
    if let Some(error) = &history.error {
        ui.colored_label(ui.visuals().error_fg_color, error);
    } else if !history.done {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label(format!("{} points so far", history.values.len()));
        });
    }
}

/// Returns the history as (x, y) points, sorted by x.
fn series(values: &[Metric], axis: XAxis) -> Vec<[f64; 2]> {
    let first = values.iter().map(|m| m.timestamp).min().unwrap_or(0);
    let mut points: Vec<[f64; 2]> = values
        .iter()
        .map(|metric| {
            let x = match axis {
                XAxis::Step => metric.step as f64,
                XAxis::Time => (metric.timestamp - first) as f64 / 1000.0,
            };
            [x, metric.value]
        })
        .collect();
    points.sort_by(|a, b| a[0].total_cmp(&b[0]));
    points
}
