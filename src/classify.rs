//! Classifying many photos: one bad photo never stops the others.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;

use crate::imaging::{open_photo_reduced, DecodeLimits, PhotoError, PhotoWarning};
use crate::model::{Classifier, ModelError, Prediction};

/// Outcome for one photo.
#[derive(Debug)]
pub struct PhotoResult {
    pub path: PathBuf,
    pub outcome: Result<Classified, PhotoFailure>,
}

/// A classified photo.
#[derive(Debug)]
pub struct Classified {
    pub predictions: Vec<Prediction>,
    /// Caveats to show next to the predictions.
    pub warnings: Vec<PhotoWarning>,
}

/// Cause of a photo having no predictions.
#[derive(Debug, thiserror::Error)]
pub enum PhotoFailure {
    #[error(transparent)]
    Photo(#[from] PhotoError),
    #[error("{}: {0}", path.display())]
    Model { path: PathBuf, source: ModelError },
    /// A decoder or the engine panicked on this photo; the batch went on.
    #[error("{}: processing crashed ({cause}); please report this photo", path.display())]
    Crashed { path: PathBuf, cause: String },
}

/// Decodes, preprocesses and classifies one photo. A large JPEG is decoded
/// at a reduced DCT scale unless `full_decode` is set; the model still gets
/// at least twice the pixels its resize keeps.
pub fn classify_photo(
    classifier: &Classifier,
    path: &Path,
    k: usize,
    limits: &DecodeLimits,
    full_decode: bool,
) -> PhotoResult {
    let min_side = (!full_decode).then(|| classifier.spec().preprocessing.min_source_side());
    let outcome = open_photo_reduced(path, limits, min_side)
        .map_err(PhotoFailure::from)
        .and_then(|photo| {
            let predictions =
                classifier
                    .classify(&photo.image, k)
                    .map_err(|source| PhotoFailure::Model {
                        path: path.to_path_buf(),
                        source,
                    })?;
            Ok(Classified {
                predictions,
                warnings: photo.warnings,
            })
        });
    PhotoResult {
        path: path.to_path_buf(),
        outcome,
    }
}

/// Runs [`classify_photo`], turning a panic in a decoder into a failed
/// photo so the rest of the batch goes on.
fn classify_guarded(classifier: &Classifier, path: &Path, options: &BatchOptions) -> PhotoResult {
    let run = || {
        let limits = &options.limits;
        classify_photo(classifier, path, options.top_k, limits, options.full_decode)
    };
    crate::catch_panic(run).unwrap_or_else(|cause| {
        tracing::error!(path = %path.display(), %cause, "classifying a photo panicked");
        let outcome = Err(PhotoFailure::Crashed {
            path: path.to_path_buf(),
            cause,
        });
        PhotoResult {
            path: path.to_path_buf(),
            outcome,
        }
    })
}

/// Options for [`classify_batch`].
#[derive(Debug, Clone)]
pub struct BatchOptions {
    pub top_k: usize,
    /// Worker threads; each decodes and runs the model on its own photo.
    pub workers: usize,
    pub limits: DecodeLimits,
    /// Decode every JPEG at full scale, even when a reduced scale would do.
    pub full_decode: bool,
}

impl Default for BatchOptions {
    fn default() -> Self {
        let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self {
            top_k: 5,
            workers,
            limits: DecodeLimits::default(),
            full_decode: false,
        }
    }
}

/// Classifies `paths` on worker threads and calls `on_result` with each
/// photo's index and result, in completion order, on the calling thread.
/// Photos not started when `cancel` is set are skipped.
pub fn classify_batch(
    classifier: &Classifier,
    paths: &[PathBuf],
    options: &BatchOptions,
    cancel: &AtomicBool,
    mut on_result: impl FnMut(usize, PhotoResult),
) {
    let next = AtomicUsize::new(0);
    let work = |sender: mpsc::Sender<(usize, PhotoResult)>| loop {
        let index = next.fetch_add(1, Ordering::Relaxed);
        if index >= paths.len() || cancel.load(Ordering::Relaxed) {
            break;
        }
        let result = classify_guarded(classifier, &paths[index], options);
        if sender.send((index, result)).is_err() {
            break;
        }
    };
    let (sender, receiver) = mpsc::channel();
    let workers = options.workers.clamp(1, paths.len().max(1));
    std::thread::scope(|scope| {
        let mut started = 0;
        for worker in 0..workers {
            let sender = sender.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("petal-classify-{worker}"))
                .spawn_scoped(scope, move || work(sender));
            match spawned {
                Ok(_) => started += 1,
                Err(error) => tracing::warn!(%error, started, "cannot start more worker threads"),
            }
        }
        if started == 0 {
            // Without any worker thread, classify on this thread instead.
            work(sender);
        } else {
            drop(sender);
        }
        for (index, result) in receiver {
            on_result(index, result);
        }
    });
}
