//! `petal bench`: a hidden command that times one stage of Petal's pipeline
//! and prints the samples as one JSON line, for `tools/bench/run.sh`.
//!
//! It lives in the binary rather than in `benches/` so the benchmark times
//! the same release build, with the same compiled-in model, that users run,
//! and so the driver script can start a fresh process for each measure (load
//! time and peak memory are only meaningful in a fresh process).

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use clap::ValueEnum;
use serde_json::json;

use super::{EngineArgs, EXIT_OK, EXIT_PHOTO_FAILED, EXIT_USAGE};
use crate::classify::{classify_batch, classify_photo, BatchOptions};
use crate::imaging::{open_photo, prepare_input, DecodeLimits};
use crate::model::{Classifier, EngineOptions, ModelSource, DEFAULT_ENGINE_THREADS};
use crate::walk::collect_photos;

/// The stage to time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Measure {
    /// Loading the model until the first prediction is possible.
    Load,
    /// One photo end to end: read, decode, orient, resize, infer, top-k.
    Photo,
    /// The model alone, on one preprocessed tensor.
    Raw,
    /// Every photo of a folder on `--jobs` worker threads.
    Folder,
    /// No timing: the best class index of every photo of a folder, to
    /// compare the accuracy of reduced and full-scale decoding.
    Top1,
}

#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Stage to time.
    #[arg(long, value_enum)]
    pub measure: Measure,

    /// Model to use: `bundled` or a path to an .onnx file.
    #[arg(long, default_value = "bundled", value_name = "URI")]
    pub model: String,

    /// Timed runs after one untimed warm-up run (none for `load`).
    #[arg(long, default_value_t = 10, value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..))]
    pub repeats: u32,

    /// Worker threads for `folder`.
    #[arg(long, default_value_t = 2, value_name = "N",
          value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: u16,

    /// Decode every JPEG at full scale, as Petal did before DCT scaling.
    #[arg(long)]
    pub full_decode: bool,

    /// The photo for `photo` and `raw`, or the folder for `folder`.
    #[arg(value_name = "PATH")]
    pub path: Option<PathBuf>,

    /// The engine, from these flags alone: the settings file and the
    /// environment's PETAL_ENGINE are ignored so that runs compare alike.
    #[command(flatten)]
    pub engine: EngineArgs,
}

pub fn run(args: &BenchArgs) -> u8 {
    match measure(args) {
        Ok(report) => {
            println!("{report}");
            EXIT_OK
        }
        Err((status, message)) => {
            eprintln!("error: {message}");
            status
        }
    }
}

type Failure = (u8, String);

fn measure(args: &BenchArgs) -> Result<serde_json::Value, Failure> {
    let source = ModelSource::parse(&args.model).map_err(|why| (EXIT_USAGE, why))?;
    let engine = EngineOptions {
        kind: args.engine.engine.unwrap_or_default(),
        threads: args.engine.engine_threads.unwrap_or(DEFAULT_ENGINE_THREADS),
    };
    let load = || load_exactly(&source, &engine);
    let repeats = args.repeats as usize;
    let mut samples = Vec::with_capacity(repeats);
    let mut photos = 1;
    match args.measure {
        Measure::Load => {
            for _ in 0..repeats {
                let started = Instant::now();
                load()?;
                samples.push(millis(started));
            }
        }
        Measure::Photo => {
            let path = required_path(args)?;
            let classifier = load()?;
            let limits = DecodeLimits::default();
            for round in 0..=repeats {
                let started = Instant::now();
                let result = classify_photo(&classifier, path, 5, &limits, args.full_decode);
                result
                    .outcome
                    .map_err(|e| (EXIT_PHOTO_FAILED, e.to_string()))?;
                if round > 0 {
                    samples.push(millis(started));
                }
            }
        }
        Measure::Raw => {
            let path = required_path(args)?;
            let classifier = load()?;
            let photo = open_photo(path, &DecodeLimits::default())
                .map_err(|e| (EXIT_PHOTO_FAILED, e.to_string()))?;
            let input = prepare_input(&photo.image, &classifier.spec().preprocessing);
            for round in 0..=repeats {
                let copy = input.clone();
                let started = Instant::now();
                run_raw(&classifier, copy)?;
                if round > 0 {
                    samples.push(millis(started));
                }
            }
        }
        Measure::Folder => {
            let folder = required_path(args)?;
            let list =
                collect_photos(&[folder.to_path_buf()]).map_err(|e| (EXIT_USAGE, e.to_string()))?;
            photos = list.photos.len();
            let classifier = load()?;
            let options = BatchOptions {
                workers: usize::from(args.jobs),
                full_decode: args.full_decode,
                ..BatchOptions::default()
            };
            for _ in 0..repeats {
                let started = Instant::now();
                run_folder(&classifier, &list.photos, &options)?;
                samples.push(millis(started));
            }
        }
        Measure::Top1 => return top1(args, &load()?),
    }
    Ok(json!({
        "engine": "petal",
        "inference_engine": engine.kind.name(),
        "engine_threads": engine.threads,
        "measure": args.measure.to_possible_value().map(|v| v.get_name().to_string()),
        "full_decode": args.full_decode,
        "jobs": args.jobs,
        "photos": photos,
        "samples_ms": samples,
        "peak_rss_kib": peak_rss_kib(),
    }))
}

fn top1(args: &BenchArgs, classifier: &Classifier) -> Result<serde_json::Value, Failure> {
    let folder = required_path(args)?;
    let list = collect_photos(&[folder.to_path_buf()]).map_err(|e| (EXIT_USAGE, e.to_string()))?;
    let options = BatchOptions {
        top_k: 1,
        workers: usize::from(args.jobs),
        full_decode: args.full_decode,
        ..BatchOptions::default()
    };
    let mut best = serde_json::Map::new();
    let cancel = AtomicBool::new(false);
    classify_batch(classifier, &list.photos, &options, &cancel, |_, result| {
        let index = result
            .outcome
            .ok()
            .and_then(|classified| classified.predictions.first().map(|p| p.index));
        best.insert(result.path.display().to_string(), json!(index));
    });
    Ok(json!({ "full_decode": args.full_decode, "top1": best }))
}

/// Loads the model with exactly the engine asked for: a benchmark row must
/// not time tract under ONNX Runtime's name when the library is missing.
fn load_exactly(source: &ModelSource, engine: &EngineOptions) -> Result<Classifier, Failure> {
    let classifier = source
        .load_with(engine)
        .map_err(|e| (EXIT_USAGE, e.to_string()))?;
    if classifier.info().engine.kind != engine.kind {
        let why = classifier
            .spec()
            .warnings
            .last()
            .cloned()
            .unwrap_or_default();
        return Err((
            EXIT_USAGE,
            format!("engine {} is not available: {why}", engine.kind),
        ));
    }
    Ok(classifier)
}

fn required_path(args: &BenchArgs) -> Result<&Path, Failure> {
    args.path
        .as_deref()
        .ok_or_else(|| (EXIT_USAGE, "this measure needs a PATH".to_string()))
}

fn run_raw(classifier: &Classifier, input: Vec<f32>) -> Result<(), Failure> {
    classifier
        .run_input(input)
        .map(drop)
        .map_err(|e| (EXIT_PHOTO_FAILED, e.to_string()))
}

fn run_folder(
    classifier: &Classifier,
    photos: &[PathBuf],
    options: &BatchOptions,
) -> Result<(), Failure> {
    let mut failed = None;
    classify_batch(
        classifier,
        photos,
        options,
        &AtomicBool::new(false),
        |_, result| {
            if let Err(error) = result.outcome {
                failed.get_or_insert(error.to_string());
            }
        },
    );
    failed.map_or(Ok(()), |message| Err((EXIT_PHOTO_FAILED, message)))
}

fn millis(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1000.0
}

/// The process's peak resident memory (`VmHWM`), in KiB; Linux only.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
