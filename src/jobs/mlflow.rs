//! Background jobs that talk to an MLflow tracking server for the Runs
//! panel. Each reply carries enough of its request (generation, run id,
//! metric key, folder) for the panel to drop replies it no longer needs.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use super::offline::{self, OfflineCopy};
use super::{Event, Jobs, Transfer};
use crate::mlflow::{
    Experiment, FileInfo, Metric, MlflowClient, MlflowError, ModelVersion, Page, RegisteredModel,
    Run, RunsQuery,
};
use crate::model::{EngineOptions, ModelSource};
use crate::storage::{open_model, Remote};

/// A registered model with its versions.
pub type RegistryEntry = (RegisteredModel, Vec<ModelVersion>);

/// Reply to one MLflow request of the Runs panel.
#[derive(Debug)]
pub enum MlflowReply {
    /// Every experiment (deleted ones too; the panel filters).
    Experiments(Result<Vec<Experiment>, MlflowError>),
    /// One page of runs for the query of `generation`.
    RunsPage {
        generation: u64,
        result: Result<Page<Run>, MlflowError>,
    },
    /// One page of a metric's history; `done` is set on the last one.
    HistoryPage {
        run_id: String,
        key: String,
        result: Result<Vec<Metric>, MlflowError>,
        done: bool,
    },
    /// The entries directly inside `path` of a run's artifacts.
    Artifacts {
        run_id: String,
        path: String,
        result: Result<Vec<FileInfo>, MlflowError>,
    },
    /// Registered models, each with its versions.
    Registry(Result<Vec<RegistryEntry>, MlflowError>),
    /// The offline copy was read from `path` (`None`: there is none yet).
    OfflineLoaded {
        path: PathBuf,
        result: Result<Option<OfflineCopy>, String>,
    },
    /// The offline copy was written to `path`, or could not be.
    OfflineSaved {
        path: PathBuf,
        result: Result<(), String>,
    },
}

impl Jobs {
    /// Lists every experiment, deleted ones included.
    pub fn mlflow_experiments(&self, client: MlflowClient) {
        self.spawn("mlflow-experiments", move || {
            let never = AtomicBool::new(false);
            let result = client.search_experiments(true, &never);
            Event::Mlflow(MlflowReply::Experiments(result))
        });
    }

    /// Fetches one page of runs; the reply carries `generation` so a page
    /// of an older query can be recognised and dropped.
    pub fn mlflow_runs_page(
        &self,
        client: MlflowClient,
        query: RunsQuery,
        token: Option<String>,
        generation: u64,
    ) {
        self.spawn("mlflow-runs", move || {
            let result = client.search_runs_page(&query, token.as_deref());
            Event::Mlflow(MlflowReply::RunsPage { generation, result })
        });
    }

    /// Fetches a metric's history page by page, sending each page as it
    /// arrives, so a long history draws while the rest loads.
    pub fn mlflow_history(&self, client: MlflowClient, run_id: String, key: String) {
        let sender = self.spawner.clone();
        self.spawn("mlflow-history", move || {
            let mut token: Option<String> = None;
            let mut seen = std::collections::HashSet::new();
            for _ in 0..crate::mlflow::MAX_PAGES {
                let page = match client.metric_history_page(&run_id, &key, token.as_deref()) {
                    Ok(page) => page,
                    Err(error) => return history(&run_id, &key, Err(error), true),
                };
                token = page.next_page_token.filter(|t| seen.insert(t.clone()));
                if token.is_none() || page.items.is_empty() {
                    return history(&run_id, &key, Ok(page.items), true);
                }
                let partial = history(&run_id, &key, Ok(page.items), false);
                sender.send(partial);
            }
            let error = MlflowError::Invalid(format!(
                "the history of metric {key} of run {run_id} has more than {} pages",
                crate::mlflow::MAX_PAGES
            ));
            history(&run_id, &key, Err(error), true)
        });
    }

    /// Lists one folder of a run's artifacts (`""` for the root).
    pub fn mlflow_artifacts(&self, client: MlflowClient, run_id: String, path: String) {
        self.spawn("mlflow-artifacts", move || {
            let result = client.list_artifacts(&run_id, &path);
            Event::Mlflow(MlflowReply::Artifacts {
                run_id,
                path,
                result,
            })
        });
    }

    /// Lists registered models and the versions of each.
    pub fn mlflow_registry(&self, client: MlflowClient) {
        self.spawn("mlflow-registry", move || {
            let never = AtomicBool::new(false);
            let result = client
                .search_registered_models("", &never)
                .and_then(|models| {
                    models
                        .into_iter()
                        .map(|model| {
                            let versions = client.model_versions(&model.name, &never)?;
                            Ok((model, versions))
                        })
                        .collect()
                });
            Event::Mlflow(MlflowReply::Registry(result))
        });
    }

    /// Reads the offline copy at `path`.
    pub fn load_offline(&self, path: PathBuf) {
        self.spawn("mlflow-offline-load", move || {
            let result = offline::load(&path);
            Event::Mlflow(MlflowReply::OfflineLoaded { path, result })
        });
    }

    /// Replaces the offline copy at `path` with `copy`.
    pub fn save_offline(&self, path: PathBuf, copy: OfflineCopy) {
        self.spawn("mlflow-offline-save", move || {
            let result = offline::save(&path, &copy);
            Event::Mlflow(MlflowReply::OfflineSaved { path, result })
        });
    }

    /// Loads a model like [`Jobs::load_model`], reporting the download's
    /// progress and taking a cancel through the returned [`Transfer`].
    pub fn load_model_tracked(
        &self,
        source: ModelSource,
        remote: Remote,
        engine: EngineOptions,
    ) -> Arc<Transfer> {
        let transfer = Arc::new(Transfer::default());
        let shared = transfer.clone();
        let wake = self.spawner.wake.clone();
        self.spawn("load-mlflow-model", move || {
            let report = |done, total| {
                shared.report(done, total);
                wake();
            };
            let open = || open_model(&source, &remote, &engine, &report, shared.cancel_flag());
            let result = crate::catch_panic(open)
                .unwrap_or_else(|cause| Err(super::work::crashed_model(&source, cause).into()))
                .map(Arc::new)
                .map_err(|error| error.to_string());
            Event::ModelLoaded { source, result }
        });
        transfer
    }
}

fn history(run_id: &str, key: &str, result: Result<Vec<Metric>, MlflowError>, done: bool) -> Event {
    Event::Mlflow(MlflowReply::HistoryPage {
        run_id: run_id.to_string(),
        key: key.to_string(),
        result,
        done,
    })
}
