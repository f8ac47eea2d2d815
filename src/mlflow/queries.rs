//! The REST API 2.0 calls Petal makes, one method per endpoint, and the
//! paging that follows MLflow's page tokens to the end.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};

use super::api::{wire, Experiment, FileInfo, Metric, ModelVersion, Page, RegisteredModel, Run};
use super::client::MlflowClient;
use super::error::MlflowError;

/// Most pages any listing follows; a server that keeps sending new tokens
/// past this is treated as broken rather than followed forever.
pub const MAX_PAGES: usize = 10_000;
/// Page size for runs; MLflow accepts up to 50000 per `runs/search` page.
pub const RUNS_PAGE_SIZE: u32 = 1000;
/// Page size for metric histories.
pub const HISTORY_PAGE_SIZE: u32 = 25_000;

/// Lifecycle filter of an experiment search.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ViewType {
    #[default]
    ActiveOnly,
    DeletedOnly,
    All,
}

impl ViewType {
    fn as_str(self) -> &'static str {
        match self {
            ViewType::ActiveOnly => "ACTIVE_ONLY",
            ViewType::DeletedOnly => "DELETED_ONLY",
            ViewType::All => "ALL",
        }
    }
}

/// A `runs/search` query. Changing any field but `page_token` starts a new
/// listing, so callers must drop the old token.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RunsQuery {
    pub experiment_ids: Vec<String>,
    /// MLflow search syntax, such as `metrics.val_accuracy > 0.9`.
    pub filter: String,
    /// Such as `attributes.start_time DESC` or `metrics.loss ASC`.
    pub order_by: Vec<String>,
    /// Runs per page, at most 50000; 0 means [`RUNS_PAGE_SIZE`].
    pub page_size: u32,
    /// Include deleted runs.
    pub include_deleted: bool,
}

impl MlflowClient {
    /// Lists one page of experiments.
    pub fn search_experiments_page(
        &self,
        filter: &str,
        view: ViewType,
        page_token: Option<&str>,
    ) -> Result<Page<Experiment>, MlflowError> {
        let mut query = vec![
            ("view_type", view.as_str().to_string()),
            ("max_results", "1000".to_string()),
        ];
        if !filter.is_empty() {
            query.push(("filter", filter.to_string()));
        }
        if let Some(token) = page_token {
            query.push(("page_token", token.to_string()));
        }
        let page: wire::Experiments = self.get("experiments/search", &query)?;
        Ok(Page {
            items: page.experiments,
            next_page_token: page.next_page_token,
        })
    }

    /// Lists every experiment. Deleted ones are left out unless
    /// `include_deleted`, even when the server sends them.
    pub fn search_experiments(
        &self,
        include_deleted: bool,
        cancel: &AtomicBool,
    ) -> Result<Vec<Experiment>, MlflowError> {
        let view = if include_deleted {
            ViewType::All
        } else {
            ViewType::ActiveOnly
        };
        let all = all_pages("experiments/search", cancel, |token| {
            self.search_experiments_page("", view, token)
        })?;
        Ok(visible_experiments(all, include_deleted))
    }

    /// Looks up an experiment by name.
    pub fn experiment_by_name(&self, name: &str) -> Result<Experiment, MlflowError> {
        let query = [("experiment_name", name.to_string())];
        let found: wire::OneExperiment = self.get("experiments/get-by-name", &query)?;
        Ok(found.experiment)
    }

    /// Lists one page of runs.
    pub fn search_runs_page(
        &self,
        query: &RunsQuery,
        page_token: Option<&str>,
    ) -> Result<Page<Run>, MlflowError> {
        let page_size = if query.page_size == 0 {
            RUNS_PAGE_SIZE
        } else {
            query.page_size
        };
        let body = wire::SearchRuns {
            experiment_ids: &query.experiment_ids,
            filter: &query.filter,
            run_view_type: if query.include_deleted {
                "ALL"
            } else {
                "ACTIVE_ONLY"
            },
            max_results: page_size,
            order_by: &query.order_by,
            page_token,
        };
        let page: wire::Runs = self.post("runs/search", &body)?;
        Ok(Page {
            items: page.runs,
            next_page_token: page.next_page_token,
        })
    }

    /// Lists runs matching `query`, following pages until `limit` runs or the end.
    pub fn search_runs(
        &self,
        query: &RunsQuery,
        limit: Option<usize>,
        cancel: &AtomicBool,
    ) -> Result<Vec<Run>, MlflowError> {
        let mut runs = Vec::new();
        let mut seen = HashSet::new();
        let mut token: Option<String> = None;
        for _ in 0..MAX_PAGES {
            check_cancel(cancel, "runs/search")?;
            let page = self.search_runs_page(query, token.as_deref())?;
            let empty = page.items.is_empty();
            runs.extend(page.items);
            if let Some(limit) = limit.filter(|&l| runs.len() >= l) {
                runs.truncate(limit);
                return Ok(runs);
            }
            token = next_token(page.next_page_token, empty, &mut seen);
            if token.is_none() {
                return Ok(runs);
            }
        }
        Err(too_many_pages("runs/search"))
    }

    /// Returns one run with its parameters, latest metrics and tags.
    pub fn get_run(&self, run_id: &str) -> Result<Run, MlflowError> {
        let found: wire::OneRun = self.get("runs/get", &[("run_id", run_id.to_string())])?;
        Ok(found.run)
    }

    /// Returns one page of a metric's history.
    pub fn metric_history_page(
        &self,
        run_id: &str,
        key: &str,
        page_token: Option<&str>,
    ) -> Result<Page<Metric>, MlflowError> {
        let mut query = vec![
            ("run_id", run_id.to_string()),
            ("metric_key", key.to_string()),
            ("max_results", HISTORY_PAGE_SIZE.to_string()),
        ];
        if let Some(token) = page_token {
            query.push(("page_token", token.to_string()));
        }
        let page: wire::MetricHistory = self.get("metrics/get-history", &query)?;
        Ok(Page {
            items: page.metrics,
            next_page_token: page.next_page_token,
        })
    }

    /// Returns every recorded value of a metric, in the server's order
    /// (by step, then time). Stops when a page token repeats.
    pub fn metric_history(
        &self,
        run_id: &str,
        key: &str,
        cancel: &AtomicBool,
    ) -> Result<Vec<Metric>, MlflowError> {
        all_pages("metrics/get-history", cancel, |token| {
            self.metric_history_page(run_id, key, token)
        })
    }

    /// Lists the artifacts directly inside `path` of a run (`""` for the root).
    pub fn list_artifacts(&self, run_id: &str, path: &str) -> Result<Vec<FileInfo>, MlflowError> {
        let never = AtomicBool::new(false);
        all_pages("artifacts/list", &never, |token| {
            let mut query = vec![("run_id", run_id.to_string())];
            if !path.is_empty() {
                query.push(("path", path.to_string()));
            }
            if let Some(token) = token {
                query.push(("page_token", token.to_string()));
            }
            let page: wire::Artifacts = self.get("artifacts/list", &query)?;
            Ok(Page {
                items: page.files,
                next_page_token: page.next_page_token,
            })
        })
    }

    /// Lists registered models, optionally filtered (`name LIKE 'flowers%'`).
    pub fn search_registered_models(
        &self,
        filter: &str,
        cancel: &AtomicBool,
    ) -> Result<Vec<RegisteredModel>, MlflowError> {
        all_pages("registered-models/search", cancel, |token| {
            let mut query = vec![("max_results", "1000".to_string())];
            if !filter.is_empty() {
                query.push(("filter", filter.to_string()));
            }
            if let Some(token) = token {
                query.push(("page_token", token.to_string()));
            }
            let page: wire::RegisteredModels = self.get("registered-models/search", &query)?;
            Ok(Page {
                items: page.registered_models,
                next_page_token: page.next_page_token,
            })
        })
    }

    /// Lists the versions of one registered model.
    pub fn model_versions(
        &self,
        name: &str,
        cancel: &AtomicBool,
    ) -> Result<Vec<ModelVersion>, MlflowError> {
        let filter = format!("name='{}'", name.replace('\'', "\\'"));
        all_pages("model-versions/search", cancel, |token| {
            let mut query = vec![
                ("filter", filter.clone()),
                ("max_results", "1000".to_string()),
            ];
            if let Some(token) = token {
                query.push(("page_token", token.to_string()));
            }
            let page: wire::ModelVersions = self.get("model-versions/search", &query)?;
            Ok(Page {
                items: page.model_versions,
                next_page_token: page.next_page_token,
            })
        })
    }

    /// Returns one version of a registered model.
    pub fn model_version(&self, name: &str, version: &str) -> Result<ModelVersion, MlflowError> {
        let query = [("name", name.to_string()), ("version", version.to_string())];
        let found: wire::OneModelVersion = self.get("model-versions/get", &query)?;
        Ok(found.model_version)
    }

    /// Returns the version an alias points at.
    pub fn model_version_by_alias(
        &self,
        name: &str,
        alias: &str,
    ) -> Result<ModelVersion, MlflowError> {
        let query = [("name", name.to_string()), ("alias", alias.to_string())];
        let found: wire::OneModelVersion = self.get("registered-models/alias", &query)?;
        Ok(found.model_version)
    }

    /// Returns the artifact location of a model version's files.
    pub fn model_version_download_uri(
        &self,
        name: &str,
        version: &str,
    ) -> Result<String, MlflowError> {
        let query = [("name", name.to_string()), ("version", version.to_string())];
        let found: wire::DownloadUri = self.get("model-versions/get-download-uri", &query)?;
        Ok(found.artifact_uri)
    }
}

/// Leaves out deleted experiments unless `include_deleted`.
pub fn visible_experiments(experiments: Vec<Experiment>, include_deleted: bool) -> Vec<Experiment> {
    experiments
        .into_iter()
        .filter(|e| include_deleted || !e.is_deleted())
        .collect()
}

/// Follows page tokens from the first page to the last, at most
/// [`MAX_PAGES`] pages, checking `cancel` between pages.
pub fn all_pages<T>(
    endpoint: &str,
    cancel: &AtomicBool,
    mut fetch: impl FnMut(Option<&str>) -> Result<Page<T>, MlflowError>,
) -> Result<Vec<T>, MlflowError> {
    let mut items = Vec::new();
    let mut seen = HashSet::new();
    let mut token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        check_cancel(cancel, endpoint)?;
        let page = fetch(token.as_deref())?;
        let empty = page.items.is_empty();
        items.extend(page.items);
        token = next_token(page.next_page_token, empty, &mut seen);
        if token.is_none() {
            return Ok(items);
        }
    }
    Err(too_many_pages(endpoint))
}

/// Returns the token to send next, or `None` to stop: at the last page,
/// after an empty page, or when the server repeats a token it already
/// sent (such a token would loop forever).
fn next_token(
    token: Option<String>,
    page_was_empty: bool,
    seen: &mut HashSet<String>,
) -> Option<String> {
    let token = token.filter(|t| !t.is_empty())?;
    if page_was_empty {
        return None;
    }
    if !seen.insert(token.clone()) {
        tracing::warn!(
            token,
            "the server repeated a page token; stopping the listing there"
        );
        return None;
    }
    Some(token)
}

fn check_cancel(cancel: &AtomicBool, endpoint: &str) -> Result<(), MlflowError> {
    if cancel.load(Ordering::Relaxed) {
        return Err(MlflowError::Cancelled(format!("the listing of {endpoint}")));
    }
    Ok(())
}

fn too_many_pages(endpoint: &str) -> MlflowError {
    MlflowError::Invalid(format!(
        "{endpoint} returned more than {MAX_PAGES} pages; narrow the query with a filter"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_stops_on_a_repeated_token() {
        let mut calls = 0;
        let never = AtomicBool::new(false);
        let items = all_pages("test", &never, |_| {
            calls += 1;
            Ok(Page {
                items: vec![calls],
                next_page_token: Some("same".to_string()),
            })
        })
        .expect("stops");
        assert_eq!(items, [1, 2]);
    }

    #[test]
    fn paging_stops_on_empty_page() {
        let never = AtomicBool::new(false);
        let mut calls = 0;
        let items: Vec<u8> = all_pages("test", &never, |_| {
            calls += 1;
            Ok(Page {
                items: Vec::new(),
                next_page_token: Some(format!("t{calls}")),
            })
        })
        .expect("stops");
        assert!(items.is_empty());
        assert_eq!(calls, 1);
    }

    #[test]
    fn paging_honours_cancel() {
        let cancel = AtomicBool::new(true);
        let result: Result<Vec<u8>, _> = all_pages("test", &cancel, |_| unreachable!());
        assert!(matches!(result, Err(MlflowError::Cancelled(_))));
    }
}
