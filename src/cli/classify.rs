//! `petal classify`: photos and folders in, top-k species out.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};

use indicatif::{ProgressBar, ProgressStyle};

use super::{ClassifyArgs, EXIT_OK, EXIT_PHOTO_FAILED, EXIT_USAGE};
use crate::classify::{classify_batch, BatchOptions, PhotoFailure, PhotoResult};
use crate::imaging::{PhotoError, PhotoErrorKind};
use crate::model::{Classifier, ModelSource};
use crate::report::ResultWriter;
use crate::storage::open_model;
use crate::walk::collect_photos;

/// Photos below this count get no progress bar.
const PROGRESS_MIN_PHOTOS: usize = 2;

pub fn run(args: &ClassifyArgs) -> u8 {
    let list = match collect_photos(&args.paths) {
        Ok(list) => list,
        Err(error) => {
            eprintln!("error: {error}");
            return EXIT_USAGE;
        }
    };
    let classifier = match load_model(args) {
        Ok(classifier) => classifier,
        Err(message) => {
            eprintln!("error: {message}");
            return EXIT_USAGE;
        }
    };
    for warning in &classifier.spec().warnings {
        eprintln!("warning: model {}: {warning}", classifier.info().origin);
    }
    match list.skipped {
        0 => {}
        1 => eprintln!("note: skipped 1 file that is not a photo"),
        n => eprintln!("note: skipped {n} files that are not photos"),
    }
    if list.photos.is_empty() && list.unreadable.is_empty() {
        let named: Vec<String> = args.paths.iter().map(|p| p.display().to_string()).collect();
        eprintln!("error: no photos found in {}", named.join(", "));
        return EXIT_PHOTO_FAILED;
    }

    // Entries the folder walk could not read are reported like failed photos.
    let unreadable: Vec<PhotoResult> = list
        .unreadable
        .into_iter()
        .map(|(path, error)| PhotoResult {
            outcome: Err(PhotoFailure::Photo(PhotoError {
                path: path.clone(),
                kind: PhotoErrorKind::Io(error),
            })),
            path,
        })
        .collect();
    let total = list.photos.len() + unreadable.len();
    let failed = classify_and_print(&classifier, &list.photos, unreadable, args);
    if failed > 0 {
        eprintln!(
            "{failed} of {} could not be classified",
            plural(total, "photo")
        );
        EXIT_PHOTO_FAILED
    } else {
        EXIT_OK
    }
}

fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

fn load_model(args: &ClassifyArgs) -> Result<Classifier, String> {
    let source = ModelSource::parse(&args.model).map_err(|why| format!("--model {why}"))?;
    let remote = super::remote_for(&args.s3, &args.mlflow);
    let progress = download_bar();
    let report = |done: u64, total: Option<u64>| {
        if let Some(total) = total {
            progress.set_length(total);
        }
        progress.set_position(done);
    };
    let opened = open_model(&source, &remote, &report, &AtomicBool::new(false));
    progress.finish_and_clear();
    opened.map_err(|error| error.to_string())
}

/// A byte progress bar on stderr for downloads, hidden unless stderr is a
/// terminal.
pub(super) fn download_bar() -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let style = ProgressStyle::with_template("{msg} {bar:30} {bytes}/{total_bytes} {eta}")
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    ProgressBar::new(0)
        .with_style(style)
        .with_message("downloading")
}

/// Prints results in input order as they complete, then `unreadable`;
/// returns the number of failures.
fn classify_and_print(
    classifier: &Classifier,
    photos: &[std::path::PathBuf],
    unreadable: Vec<PhotoResult>,
    args: &ClassifyArgs,
) -> usize {
    let mut options = BatchOptions {
        top_k: usize::from(args.top_k),
        ..BatchOptions::default()
    };
    // Each worker may hold one large decoded photo, so more workers than
    // cores would cost memory without adding speed.
    if let Some(jobs) = args.jobs {
        options.workers = usize::from(jobs).min(options.workers);
    }
    let stdout = std::io::stdout().lock();
    let mut writer = match ResultWriter::new(stdout, args.format) {
        Ok(writer) => writer,
        Err(error) => {
            eprintln!("error: cannot write to standard output: {error}");
            return photos.len() + unreadable.len();
        }
    };
    let progress = progress_bar(photos.len());
    let cancel = AtomicBool::new(false);
    let mut pending: BTreeMap<usize, PhotoResult> = BTreeMap::new();
    let mut next_to_print = 0;
    let mut failed = 0;

    classify_batch(classifier, photos, &options, &cancel, |index, result| {
        progress.inc(1);
        failed += usize::from(result.outcome.is_err());
        pending.insert(index, result);
        while let Some(result) = pending.remove(&next_to_print) {
            next_to_print += 1;
            if let Err(error) = progress.suspend(|| writer.write(&result)) {
                // A closed pipe (`petal classify ... | head`) ends the run quietly.
                if error.kind() != std::io::ErrorKind::BrokenPipe {
                    eprintln!("error: cannot write to standard output: {error}");
                }
                cancel.store(true, Ordering::Relaxed);
            }
        }
    });
    progress.finish_and_clear();
    let written = unreadable
        .iter()
        .try_for_each(|result| writer.write(result))
        .and_then(|()| writer.finish().map(drop));
    if let Err(error) = written {
        if error.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("error: cannot write to standard output: {error}");
        }
    }
    failed + unreadable.len()
}

fn progress_bar(photos: usize) -> ProgressBar {
    if photos < PROGRESS_MIN_PHOTOS || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(photos as u64);
    let style = ProgressStyle::with_template("{bar:40} {pos}/{len} photos, {eta} left")
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar
}
