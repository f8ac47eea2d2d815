//! Command-line parsing and the commands it runs.

mod bench;
mod classify;
mod models;
pub(crate) mod run_rows;
mod runs;

pub use models::ModelsCommand;
pub use run_rows::ListFormat;
pub use runs::{ExperimentsCommand, RunsCommand};

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::model::{EngineKind, EngineOptions, ModelSource, MAX_ENGINE_THREADS};
use crate::settings::{EngineConfig, EngineFlags};

pub use crate::report::Format;

/// Exit status when every photo was classified.
pub const EXIT_OK: u8 = 0;
/// Exit status when at least one photo failed.
pub const EXIT_PHOTO_FAILED: u8 = 1;
/// Exit status for usage errors: bad options, missing paths, unusable model.
pub const EXIT_USAGE: u8 = 2;

/// Identify flower species in photos, offline, with an ONNX model.
///
/// Without a command, Petal opens its window, with any photos given queued.
#[derive(Debug, Parser)]
#[command(name = "petal", version, args_conflicts_with_subcommands = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub open: OpenArgs,
}

/// Options for opening the window.
#[derive(Debug, clap::Args)]
pub struct OpenArgs {
    /// Model to load: `bundled` or a path to an .onnx file.
    #[arg(long, default_value = "bundled", value_name = "URI")]
    pub model: String,

    /// Photos, or folders of photos, to classify once the window opens.
    #[arg(value_name = "PHOTOS")]
    pub photos: Vec<PathBuf>,

    /// Save a PNG of the window once the photos are classified, then quit.
    #[arg(long, hide = true, value_name = "PNG")]
    pub screenshot: Option<PathBuf>,

    #[command(flatten)]
    pub engine: EngineArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Classify photos or folders of photos and print the top-k species.
    Classify(ClassifyArgs),
    /// List, fetch and publish models in S3 and the local cache.
    #[command(subcommand)]
    Models(ModelsCommand),
    /// List and show training runs on an MLflow tracking server.
    #[command(subcommand)]
    Runs(RunsCommand),
    /// List the experiments on an MLflow tracking server.
    #[command(subcommand)]
    Experiments(ExperimentsCommand),
    /// Time one stage of the pipeline for tools/bench/run.sh.
    #[command(hide = true)]
    Bench(bench::BenchArgs),
}

/// Options shared by the commands that reach S3.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct S3Args {
    /// Endpoint of an S3-compatible server, such as http://127.0.0.1:9000;
    /// overrides AWS_ENDPOINT_URL and the settings file.
    #[arg(long, value_name = "URL")]
    pub s3_endpoint: Option<String>,
}

/// Options shared by the commands that reach an MLflow tracking server.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct MlflowArgs {
    /// MLflow tracking server, such as http://127.0.0.1:5000; overrides
    /// MLFLOW_TRACKING_URI and the settings file.
    #[arg(long, value_name = "URL")]
    pub tracking_uri: Option<String>,
}

/// Options that choose the inference engine.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct EngineArgs {
    /// Inference engine: `tract` (built in) or `onnxruntime` (ONNX Runtime's
    /// library, found through ORT_DYLIB_PATH or PETAL_ONNXRUNTIME; Petal
    /// falls back to tract with a warning when it is missing). Overrides
    /// PETAL_ENGINE and the settings file.
    #[arg(long, value_name = "ENGINE", value_parser = EngineKind::parse)]
    pub engine: Option<EngineKind>,

    /// Threads one photo's inference uses (default 1). Overrides
    /// PETAL_ENGINE_THREADS and the settings file.
    #[arg(long, value_name = "N", value_parser = parse_engine_threads)]
    pub engine_threads: Option<usize>,
}

impl EngineArgs {
    fn flags(&self) -> EngineFlags {
        EngineFlags {
            engine: self.engine,
            threads: self.engine_threads,
        }
    }
}

fn parse_engine_threads(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(n @ 1..=MAX_ENGINE_THREADS) => Ok(n),
        _ => Err(format!(
            "use a number of threads from 1 to {MAX_ENGINE_THREADS}"
        )),
    }
}

/// Resolves the engine options in effect and prints each value that was
/// skipped because it is invalid.
pub(crate) fn engine_options(args: &EngineArgs) -> EngineOptions {
    let loaded = load_settings();
    let env = |name: &str| std::env::var(name).ok();
    let config = EngineConfig::resolve(&loaded.settings, &env, args.flags());
    for warning in &config.warnings {
        eprintln!("warning: {warning}");
    }
    config.options()
}

/// Reads the settings file's values and problems, or defaults when there
/// is none.
fn load_settings() -> crate::settings::Loaded {
    crate::settings::SettingsStore::open_default()
        .map(|store| store.load())
        .unwrap_or_default()
}

/// Returns the S3 settings and cache in effect, after printing any problem with
/// the settings file.
pub(crate) fn remote(args: &S3Args) -> crate::storage::Remote {
    remote_for(args, &MlflowArgs::default())
}

/// Returns the S3 and MLflow settings and the cache in effect, after printing any
/// problem with the settings file.
pub(crate) fn remote_for(s3: &S3Args, mlflow: &MlflowArgs) -> crate::storage::Remote {
    let (remote, messages) = remote_quietly(s3, mlflow);
    for message in &messages {
        eprintln!("warning: {message}");
    }
    remote
}

/// Returns the settings and cache in effect, with the settings file's problems.
fn remote_quietly(args: &S3Args, mlflow: &MlflowArgs) -> (crate::storage::Remote, Vec<String>) {
    let loaded = load_settings();
    let env = |name: &str| std::env::var(name).ok();
    let endpoint = args.s3_endpoint.as_deref();
    let s3 = crate::settings::S3Config::resolve(&loaded.settings.s3, &env, endpoint);
    let tracking_uri = mlflow.tracking_uri.as_deref();
    let mlflow = crate::mlflow::MlflowConfig::resolve(&loaded.settings.mlflow, &env, tracking_uri);
    let remote = crate::storage::Remote {
        s3,
        mlflow,
        cache: crate::storage::ModelCache::open_default(),
    };
    (remote, loaded.messages)
}

#[derive(Debug, clap::Args)]
pub struct ClassifyArgs {
    /// Model to use: `bundled`, a path to an .onnx file, `s3://BUCKET/KEY`,
    /// `runs:/RUN_ID/PATH`, `models:/NAME/VERSION` or `models:/NAME@ALIAS`.
    #[arg(long, default_value = "bundled", value_name = "URI")]
    pub model: String,

    /// Number of species to print per photo; clamped to the model's class count.
    #[arg(long, short = 'k', default_value_t = 5, value_name = "N",
          value_parser = clap::value_parser!(u16).range(1..))]
    pub top_k: u16,

    /// Output format; `json` prints one JSON object per line.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,

    /// Worker threads, at most and by default the number of CPU cores.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,

    /// Photos, or folders to search recursively for photos.
    #[arg(required = true, value_name = "PATHS")]
    pub paths: Vec<PathBuf>,

    #[command(flatten)]
    pub s3: S3Args,

    #[command(flatten)]
    pub mlflow: MlflowArgs,

    #[command(flatten)]
    pub engine: EngineArgs,
}

impl ValueEnum for Format {
    fn value_variants<'a>() -> &'a [Self] {
        &[Format::Table, Format::Json, Format::Csv]
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        let value = clap::builder::PossibleValue::new(match self {
            Format::Table => "table",
            Format::Json | Format::JsonArray => "json",
            Format::Csv => "csv",
        });
        // `json` prints JSON Lines, so the usual name of that format works too.
        match self {
            Format::Json | Format::JsonArray => Some(value.alias("jsonl")),
            _ => Some(value),
        }
    }
}

/// Runs the parsed command and returns the process exit status.
pub fn run(cli: Cli) -> ExitCode {
    let status = match cli.command {
        Some(Command::Classify(args)) => classify::run(&args),
        Some(Command::Models(command)) => models::run(command),
        Some(Command::Runs(command)) => runs::run(command),
        Some(Command::Experiments(command)) => runs::run_experiments(command),
        Some(Command::Bench(args)) => bench::run(&args),
        None => open_window(cli.open),
    };
    ExitCode::from(status)
}

fn open_window(args: OpenArgs) -> u8 {
    let model = match ModelSource::parse(&args.model) {
        Ok(model) => model,
        Err(why) => {
            eprintln!("error: --model {why}");
            return EXIT_USAGE;
        }
    };
    let store = crate::settings::SettingsStore::open_default();
    let loaded = store.as_ref().map(|s| s.load()).unwrap_or_default();
    let env = |name: &str| std::env::var(name).ok();
    let remote = crate::storage::Remote {
        s3: crate::settings::S3Config::resolve(&loaded.settings.s3, &env, None),
        mlflow: crate::mlflow::MlflowConfig::resolve(&loaded.settings.mlflow, &env, None),
        cache: crate::storage::ModelCache::open_default(),
    };
    let engine = EngineConfig::resolve(&loaded.settings, &env, args.engine.flags());
    let mut settings_messages = loaded.messages;
    settings_messages.extend(engine.warnings.iter().cloned());
    let options = crate::ui::AppOptions {
        model,
        photos: args.photos,
        screenshot: args.screenshot,
        remote,
        engine: engine.options(),
        settings_messages,
        settings_store: store,
        settings: loaded.settings,
        ..crate::ui::AppOptions::default()
    };
    match crate::ui::run(options) {
        Ok(()) => EXIT_OK,
        Err(message) => {
            eprintln!("error: {message}");
            EXIT_PHOTO_FAILED
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_flags_parse() {
        let cli = Cli::try_parse_from([
            "petal", "classify", "--model", "m.onnx", "-k", "3", "--format", "csv", "a.jpg",
        ])
        .expect("valid arguments");
        let Some(Command::Classify(args)) = cli.command else {
            panic!("expected the classify command");
        };
        assert_eq!(args.model, "m.onnx");
        assert_eq!(args.top_k, 3);
        assert_eq!(args.format, Format::Csv);
        assert_eq!(args.paths, [PathBuf::from("a.jpg")]);
    }

    #[test]
    fn classify_rejects_zero_top_k() {
        assert!(Cli::try_parse_from(["petal", "classify", "-k", "0", "a.jpg"]).is_err());
    }

    #[test]
    fn photos_without_a_command_open_the_window() {
        let cli = Cli::try_parse_from(["petal", "a.jpg", "flowers/"]).expect("valid arguments");
        assert!(cli.command.is_none());
        assert_eq!(cli.open.photos.len(), 2);
        assert_eq!(cli.open.model, "bundled");
    }

    #[test]
    fn engine_flags_parse() {
        let cli = Cli::try_parse_from([
            "petal",
            "classify",
            "--engine",
            "onnxruntime",
            "--engine-threads",
            "2",
            "a.jpg",
        ])
        .expect("valid arguments");
        let Some(Command::Classify(args)) = cli.command else {
            panic!("expected the classify command");
        };
        assert_eq!(args.engine.engine, Some(EngineKind::OnnxRuntime));
        assert_eq!(args.engine.engine_threads, Some(2));
        let window = Cli::try_parse_from(["petal", "--engine", "tract"]).expect("valid");
        assert_eq!(window.open.engine.engine, Some(EngineKind::Tract));
    }

    #[test]
    fn engine_flags_reject_bad_values() {
        assert!(Cli::try_parse_from(["petal", "classify", "--engine", "cuda", "a.jpg"]).is_err());
        let zero = ["petal", "classify", "--engine-threads", "0", "a.jpg"];
        assert!(Cli::try_parse_from(zero).is_err());
    }

    #[test]
    fn classify_requires_paths() {
        assert!(Cli::try_parse_from(["petal", "classify"]).is_err());
    }
}
