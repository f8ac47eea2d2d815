//! `petal runs` and `petal experiments`: training runs on an MLflow
//! tracking server.

use std::io::Write;
use std::sync::atomic::AtomicBool;

use serde_json::json;

use super::run_rows::{
    format_metric, format_millis, write_aligned, write_csv, write_padded, write_runs, ListFormat,
};
use super::{remote_for, MlflowArgs, S3Args, EXIT_OK, EXIT_PHOTO_FAILED, EXIT_USAGE};
use crate::mlflow::{Experiment, MlflowClient, MlflowError, Run, RunsQuery};

/// Most artifact entries `petal runs show` lists.
const MAX_ARTIFACT_ENTRIES: usize = 500;

#[derive(Debug, clap::Subcommand)]
pub enum RunsCommand {
    /// List runs with their parameters and latest metrics.
    List(ListArgs),
    /// Show one run: parameters, tags, latest metrics and artifacts.
    Show {
        #[arg(value_name = "RUN_ID")]
        run_id: String,
        /// Output format: `table` or `json`.
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
        #[command(flatten)]
        mlflow: MlflowArgs,
    },
}

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Experiment by name; default MLFLOW_EXPERIMENT_NAME or the settings
    /// file, else every active experiment.
    #[arg(long, value_name = "NAME")]
    pub experiment: Option<String>,
    /// MLflow search filter, such as "metrics.val_accuracy > 0.9".
    #[arg(long, value_name = "EXPR", default_value = "")]
    pub filter: String,
    /// Sort key, such as "metrics.val_accuracy DESC"; repeat for ties.
    /// Default: newest first.
    #[arg(long, value_name = "KEY")]
    pub order_by: Vec<String>,
    /// Maximum number of runs to list; default all.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub max: Option<u32>,
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
    #[command(flatten)]
    pub mlflow: MlflowArgs,
}

#[derive(Debug, clap::Subcommand)]
pub enum ExperimentsCommand {
    /// List experiments: id, name, state and artifact location.
    List {
        /// Include deleted experiments.
        #[arg(long)]
        all: bool,
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
        #[command(flatten)]
        mlflow: MlflowArgs,
    },
}

pub fn run(command: RunsCommand) -> u8 {
    let outcome = match command {
        RunsCommand::List(args) => list_runs(&args),
        RunsCommand::Show {
            run_id,
            format,
            mlflow,
        } => show_run(&run_id, format, &mlflow),
    };
    finish(outcome)
}

pub fn run_experiments(command: ExperimentsCommand) -> u8 {
    let ExperimentsCommand::List {
        all,
        format,
        mlflow,
    } = command;
    finish(list_experiments(all, format, &mlflow))
}

/// Maps an outcome to an exit status, printing the error.
fn finish(outcome: Result<(), MlflowError>) -> u8 {
    match outcome {
        Ok(()) => EXIT_OK,
        Err(error) => {
            eprintln!("error: {error}");
            match error {
                MlflowError::NotConfigured | MlflowError::InvalidUri { .. } => EXIT_USAGE,
                _ => EXIT_PHOTO_FAILED,
            }
        }
    }
}

fn connect(args: &MlflowArgs) -> Result<(MlflowClient, crate::mlflow::MlflowConfig), MlflowError> {
    let remote = remote_for(&S3Args::default(), args);
    let client = MlflowClient::new(&remote.mlflow)?;
    Ok((client, remote.mlflow))
}

fn list_runs(args: &ListArgs) -> Result<(), MlflowError> {
    let (client, config) = connect(&args.mlflow)?;
    let cancel = AtomicBool::new(false);
    let name = args
        .experiment
        .clone()
        .or_else(|| config.experiment_name.map(|e| e.value));
    let experiment_ids = match name {
        Some(name) => vec![
            client
                .experiment_by_name(&name)
                .map_err(|e| missing_experiment(e, &name))?
                .experiment_id,
        ],
        None => client
            .search_experiments(false, &cancel)?
            .into_iter()
            .map(|e| e.experiment_id)
            .collect(),
    };
    let query = RunsQuery {
        experiment_ids,
        filter: args.filter.clone(),
        order_by: args.order_by.clone(),
        ..RunsQuery::default()
    };
    let limit = args.max.map(|m| m as usize);
    let runs = client.search_runs(&query, limit, &cancel)?;
    let mut out = std::io::stdout().lock();
    write_runs(&mut out, &runs, args.format).map_err(output_error)
}

fn missing_experiment(error: MlflowError, name: &str) -> MlflowError {
    if error.is_not_found() {
        return MlflowError::Invalid(format!(
            "experiment {name:?} was not found; `petal experiments list` lists them"
        ));
    }
    error
}

fn show_run(run_id: &str, format: ListFormat, args: &MlflowArgs) -> Result<(), MlflowError> {
    let (client, _) = connect(args)?;
    let run = client.get_run(run_id)?;
    let artifacts = artifact_tree(&client, run_id)?;
    let mut out = std::io::stdout().lock();
    let written = match format {
        ListFormat::Json | ListFormat::Jsonl => write_run_json(&mut out, &run, &artifacts),
        ListFormat::Table | ListFormat::Csv => write_run_text(&mut out, &run, &artifacts),
    };
    written.map_err(output_error)
}

/// An artifact path and its size; folders end with `/`.
type ArtifactLine = (String, Option<u64>);

/// Lists a run's artifacts depth-first, at most [`MAX_ARTIFACT_ENTRIES`].
fn artifact_tree(client: &MlflowClient, run_id: &str) -> Result<Vec<ArtifactLine>, MlflowError> {
    let mut lines = Vec::new();
    let mut pending = vec![String::new()];
    while let Some(folder) = pending.pop() {
        let mut files = client.list_artifacts(run_id, &folder)?;
        files.sort_by(|a, b| b.path.cmp(&a.path));
        for file in files {
            if lines.len() >= MAX_ARTIFACT_ENTRIES {
                lines.push(("...".to_string(), None));
                return Ok(lines);
            }
            if file.is_dir {
                lines.push((format!("{}/", file.path), None));
                pending.push(file.path);
            } else {
                lines.push((file.path, file.file_size));
            }
        }
    }
    lines.sort();
    Ok(lines)
}

fn write_run_text(
    out: &mut dyn Write,
    run: &Run,
    artifacts: &[ArtifactLine],
) -> std::io::Result<()> {
    let info = &run.info;
    writeln!(out, "run_id      {}", info.run_id)?;
    writeln!(out, "name        {}", info.run_name)?;
    writeln!(out, "experiment  {}", info.experiment_id)?;
    writeln!(out, "status      {}", info.status)?;
    let start = info.start_time.map(format_millis).unwrap_or_default();
    writeln!(out, "started     {start}")?;
    let duration = info
        .duration_ms()
        .map(|ms| format!("{:.1} s", ms as f64 / 1000.0));
    writeln!(out, "duration    {}", duration.unwrap_or_default())?;
    writeln!(out, "artifacts   {}", info.artifact_uri)?;
    let pairs = |pairs: &[crate::mlflow::Tag]| -> Vec<Vec<String>> {
        pairs
            .iter()
            .map(|p| vec![format!("  {}", p.key), p.value.clone()])
            .collect()
    };
    section(out, "params", &pairs(&run.data.params))?;
    let mut metrics = run.data.metrics.clone();
    metrics.sort_by(|a, b| a.key.cmp(&b.key));
    let metric_rows: Vec<Vec<String>> = metrics
        .iter()
        .map(|m| {
            vec![
                format!("  {}", m.key),
                format_metric(m.value),
                format!("step {}", m.step),
            ]
        })
        .collect();
    section(out, "metrics", &metric_rows)?;
    let mut tags = run.data.tags.clone();
    tags.sort_by(|a, b| a.key.cmp(&b.key));
    section(out, "tags", &pairs(&tags))?;
    let artifact_rows: Vec<Vec<String>> = artifacts
        .iter()
        .map(|(path, size)| {
            vec![
                format!("  {path}"),
                size.map(|s| format!("{s} bytes")).unwrap_or_default(),
            ]
        })
        .collect();
    section(out, "artifact files", &artifact_rows)
}

fn section(out: &mut dyn Write, title: &str, rows: &[Vec<String>]) -> std::io::Result<()> {
    writeln!(out, "\n{title}:")?;
    if rows.is_empty() {
        return writeln!(out, "  (none)");
    }
    let rows: Vec<&[String]> = rows.iter().map(Vec::as_slice).collect();
    write_padded(out, &rows)
}

fn write_run_json(
    out: &mut dyn Write,
    run: &Run,
    artifacts: &[ArtifactLine],
) -> std::io::Result<()> {
    let mut value = super::run_rows::run_json(run);
    let tags: serde_json::Map<String, serde_json::Value> = run
        .data
        .tags
        .iter()
        .map(|t| (t.key.clone(), json!(t.value)))
        .collect();
    value["experiment_id"] = json!(run.info.experiment_id);
    value["artifact_uri"] = json!(run.info.artifact_uri);
    value["tags"] = json!(tags);
    value["artifacts"] = artifacts
        .iter()
        .map(|(path, size)| json!({"path": path, "size": size}))
        .collect();
    serde_json::to_writer_pretty(&mut *out, &value)?;
    writeln!(out)
}

fn list_experiments(all: bool, format: ListFormat, args: &MlflowArgs) -> Result<(), MlflowError> {
    let (client, _) = connect(args)?;
    let experiments = client.search_experiments(all, &AtomicBool::new(false))?;
    let mut out = std::io::stdout().lock();
    write_experiments(&mut out, &experiments, format).map_err(output_error)
}

fn write_experiments(
    out: &mut dyn Write,
    experiments: &[Experiment],
    format: ListFormat,
) -> std::io::Result<()> {
    let header: Vec<String> = [
        "experiment_id",
        "name",
        "lifecycle_stage",
        "artifact_location",
    ]
    .iter()
    .map(|h| h.to_string())
    .collect();
    let rows: Vec<Vec<String>> = experiments
        .iter()
        .map(|e| {
            let stage = if e.is_deleted() { "deleted" } else { "active" };
            vec![
                e.experiment_id.clone(),
                e.name.clone(),
                stage.to_string(),
                e.artifact_location.clone(),
            ]
        })
        .collect();
    match format {
        ListFormat::Table => write_aligned(out, &header, &rows),
        ListFormat::Csv => write_csv(out, &header, &rows),
        ListFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, experiments)?;
            writeln!(out)
        }
        ListFormat::Jsonl => {
            for experiment in experiments {
                serde_json::to_writer(&mut *out, experiment)?;
                writeln!(out)?;
            }
            Ok(())
        }
    }
}

fn output_error(error: std::io::Error) -> MlflowError {
    MlflowError::Invalid(format!("cannot write to standard output: {error}"))
}
