//! The Runs panel: MLflow experiments, runs, metric charts, artifacts and
//! registered models, with an offline copy of the last history fetched.
//!
//! Every request runs as a job (see [`crate::jobs::MlflowReply`]); this
//! module keeps the replies and draws them. Replies for a query, run or
//! folder that is no longer shown are dropped.

mod artifacts;
mod charts;
mod connection;
mod detail;
pub mod downsample;
mod experiments;
mod registry;
mod table;

use std::path::PathBuf;
use std::sync::Arc;

use eframe::egui;

use super::app::PetalApp;
use crate::jobs::offline::{self, OfflineCopy};
use crate::jobs::{MlflowReply, RegistryEntry, Transfer};
use crate::mlflow::{Experiment, MlflowClient, MlflowError};
use crate::model::ModelSource;
pub use connection::Connection;

/// State of the Runs panel. It lives as long as the window; "Reconnect"
/// and a settings change start it over.
#[derive(Default)]
pub struct RunsPanel {
    pub connection: Connection,
    /// The client for the server in the settings; `None` until connected.
    client: Option<MlflowClient>,
    /// Set once the panel has started connecting.
    opened: bool,
    /// Every experiment, deleted ones included.
    experiments: Vec<Experiment>,
    experiment_search: String,
    show_deleted: bool,
    /// The experiment whose runs the table lists.
    experiment_id: Option<String>,
    table: table::RunsTable,
    charts: charts::Charts,
    artifacts: artifacts::ArtifactTree,
    registry: Option<Result<Vec<RegistryEntry>, String>>,
    registry_requested: bool,
    /// The model download started here, until the model has loaded.
    download: Option<(ModelSource, Arc<Transfer>)>,
    /// The offline copy on disk, once read.
    saved_copy: Option<OfflineCopy>,
    /// When the offline copy is shown instead of the server's replies, the
    /// time it was fetched (seconds since the Unix epoch).
    offline_since: Option<i64>,
}

impl RunsPanel {
    /// True while the offline copy is shown in place of the server.
    pub fn offline_shown(&self) -> bool {
        self.offline_since.is_some()
    }

    /// Returns the model being downloaded, if any.
    pub fn download(&self) -> Option<&ModelSource> {
        self.download.as_ref().map(|(source, _)| source)
    }

    /// Makes the panel connect again the next time it is drawn, as after
    /// a settings change.
    pub fn forget_connection(&mut self) {
        self.opened = false;
    }

    /// Number of runs in the table.
    pub fn runs_shown(&self) -> usize {
        self.table.rows.len()
    }

    /// Returns the server's message about the filter last applied.
    pub fn filter_error(&self) -> Option<&str> {
        self.table.filter_error.as_deref()
    }

    /// Points fetched of a metric's history, and whether all have arrived.
    pub fn history(&self, run_id: &str, key: &str) -> Option<(usize, bool)> {
        let id = (run_id.to_string(), key.to_string());
        let history = self.charts.histories.get(&id)?;
        Some((history.values.len(), history.done))
    }
}

impl PetalApp {
    /// Connects the first time the panel opens.
    fn open_runs_panel(&mut self) {
        if !self.runs.opened {
            self.runs.opened = true;
            self.connect_runs();
        }
    }

    /// Starts over against the server in the settings: lists experiments,
    /// and reads the offline copy to stand in if the server is unreachable.
    pub(super) fn connect_runs(&mut self) {
        let saved_copy = self.runs.saved_copy.take();
        self.runs = RunsPanel {
            opened: true,
            saved_copy,
            ..Default::default()
        };
        if let Some(path) = self.offline_path() {
            self.jobs.load_offline(path);
        }
        match MlflowClient::new(&self.remote.mlflow) {
            Ok(client) => {
                self.runs.connection = Connection::Connecting;
                self.jobs.mlflow_experiments(client.clone());
                self.runs.client = Some(client);
            }
            Err(error) => self.runs.connection = Connection::from_error(&error),
        }
    }

    fn offline_path(&self) -> Option<PathBuf> {
        let cache = self.remote.cache.as_ref()?;
        Some(offline::path_in(cache.root()))
    }

    /// Makes an MLflow model the classifier's model, downloading it first,
    /// through the same loading path as the Models panel.
    pub(super) fn use_mlflow_model(&mut self, source: ModelSource) {
        self.model.loading = Some(source.clone());
        let transfer =
            self.jobs
                .load_model_tracked(source.clone(), self.remote.clone(), self.engine);
        self.runs.download = Some((source, transfer));
    }

    /// Applies the reply to an MLflow request.
    pub(super) fn on_mlflow_reply(&mut self, reply: MlflowReply) {
        match reply {
            MlflowReply::Experiments(result) => self.on_experiments(result),
            MlflowReply::RunsPage { generation, result } => {
                match self.runs.table.receive(generation, result) {
                    Ok(true) => self.save_offline_copy(),
                    Ok(false) => {}
                    Err(error) => self.on_mlflow_error(&error),
                }
            }
            MlflowReply::HistoryPage {
                run_id,
                key,
                result,
                done,
            } => {
                self.runs.charts.receive(run_id, key, result, done);
                if done {
                    self.save_offline_copy();
                }
            }
            MlflowReply::Artifacts {
                run_id,
                path,
                result,
            } => self.runs.artifacts.receive(&run_id, path, result),
            MlflowReply::Registry(result) => {
                self.runs.registry = Some(result.map_err(|error| error.to_string()));
            }
            MlflowReply::OfflineLoaded { path, result } => match result {
                Ok(copy) => {
                    self.runs.saved_copy = copy;
                    if self.runs.connection.is_down() {
                        self.show_offline_copy();
                    }
                }
                Err(error) => {
                    tracing::warn!(path = %path.display(), error, "offline copy unusable")
                }
            },
            MlflowReply::OfflineSaved { path, result } => {
                if let Err(error) = result {
                    tracing::warn!(path = %path.display(), error, "cannot save the offline copy");
                }
            }
        }
    }

    fn on_experiments(&mut self, result: Result<Vec<Experiment>, MlflowError>) {
        match result {
            Ok(experiments) => {
                self.runs.connection = Connection::Connected;
                self.runs.offline_since = None;
                let name = self.remote.mlflow.experiment_name.as_ref();
                let name = name.map(|setting| setting.value.as_str());
                self.runs.experiment_id = experiments::default_choice(&experiments, name);
                self.runs.experiments = experiments;
                self.start_runs_query();
            }
            Err(error) => self.on_mlflow_error(&error),
        }
    }

    fn on_mlflow_error(&mut self, error: &MlflowError) {
        self.runs.connection = Connection::from_error(error);
        self.runs.table.loading = false;
        if error.is_offline() {
            self.show_offline_copy();
        }
    }

    /// Shows the saved copy, when there is one, in place of the server.
    fn show_offline_copy(&mut self) {
        let Some(copy) = self.runs.saved_copy.clone() else {
            return;
        };
        let runs = &mut self.runs;
        runs.offline_since = Some(copy.fetched_at);
        runs.experiments = copy.experiments;
        runs.experiment_id = copy.experiment_id;
        runs.table.rows = copy.runs;
        runs.table.next_token = None;
        runs.table.loading = false;
        for (run_id, key, values) in copy.histories {
            let history = charts::History {
                values,
                done: true,
                error: None,
            };
            runs.charts.histories.insert((run_id, key), history);
        }
    }

    /// Saves what is shown as the offline copy, on a job thread.
    fn save_offline_copy(&mut self) {
        if self.runs.offline_shown() {
            return;
        }
        let (Some(path), Some(server)) = (self.offline_path(), self.remote.mlflow.base_url())
        else {
            return;
        };
        let runs = &self.runs;
        let histories = runs
            .charts
            .histories
            .iter()
            .filter(|(_, history)| history.done && history.error.is_none())
            .map(|((run_id, key), history)| (run_id.clone(), key.clone(), history.values.clone()))
            .collect();
        let copy = OfflineCopy {
            server: offline::without_credentials(server),
            fetched_at: now_seconds(),
            experiments: runs.experiments.clone(),
            experiment_id: runs.experiment_id.clone(),
            runs: runs.table.rows.clone(),
            histories,
        };
        self.runs.saved_copy = Some(copy.clone());
        self.jobs.save_offline(path, copy);
    }
}

fn now_seconds() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs() as i64)
}

/// Draws the Runs panel.
pub fn show(app: &mut PetalApp, ui: &mut egui::Ui) {
    app.open_runs_panel();
    forget_finished_download(app);
    egui::Panel::left("runs-experiments")
        .resizable(true)
        .default_size(220.0)
        .show(ui, |ui| {
            experiments::show(app, ui);
            ui.separator();
            ui.strong("Registered models");
            egui::ScrollArea::vertical()
                .id_salt("registry")
                .show(ui, |ui| registry::show(app, ui));
        });
    egui::CentralPanel::default().show(ui, |ui| {
        if connection::status_ui(ui, &app.runs.connection, &app.remote.mlflow) {
            app.connect_runs();
        }
        if let Some(fetched_at) = app.runs.offline_since {
            let when = table::format_time(Some(fetched_at.saturating_mul(1000)));
            ui.colored_label(
                ui.visuals().warn_fg_color,
                format!("Offline, fetched at {when}. Reconnect to see the server's runs."),
            );
        }
        download_ui(app, ui);
        ui.separator();
        table::show(app, ui);
        ui.separator();
        egui::ScrollArea::vertical()
            .id_salt("run-detail")
            .show(ui, |ui| detail::show(app, ui));
    });
}

/// Forgets the download once its model is loaded or has failed.
fn forget_finished_download(app: &mut PetalApp) {
    let finished = match (&app.runs.download, &app.model.loading) {
        (Some((source, _)), Some(loading)) => source != loading,
        (Some(_), None) => true,
        (None, _) => false,
    };
    if finished {
        app.runs.download = None;
    }
}

fn download_ui(app: &PetalApp, ui: &mut egui::Ui) {
    if let Some((source, transfer)) = &app.runs.download {
        super::bucket::transfer_ui(ui, &format!("Loading {source}"), transfer);
    }
}
