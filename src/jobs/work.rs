//! The body of each background job, free of threads and channels.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use image::RgbImage;

use super::pool::Task;
use super::{Event, Expansion, PhotoInput};
use crate::classify::PhotoFailure;
use crate::imaging::thumbnail::{shrink, to_rgba};
use crate::imaging::{open_photo_reduced, DecodeLimits, PhotoWarning};
use crate::model::{top_k, Classifier, ModelError, ModelErrorKind, ModelSource, Prediction};
use crate::report::{self, Format, Outcome, Record, ResultWriter};

/// Maximum side of a thumbnail in the photo list, in pixels.
pub const THUMBNAIL_SIDE: u32 = 160;
/// Maximum side of the large view, in pixels, enough for a full-screen panel.
pub const PREVIEW_SIDE: u32 = 1600;
/// Predictions kept per photo; the app shows up to this many.
pub const MAX_RANKED: usize = 20;

/// A classified photo, ready to show.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// Best first, at most [`MAX_RANKED`].
    pub predictions: Vec<Prediction>,
    /// Caveats about the pixels, joined; empty when none.
    pub warning: String,
    /// Width and height of the upright photo.
    pub size: (u32, u32),
}

/// RGBA pixels to show on screen.
#[derive(Clone)]
pub struct Picture {
    pub size: [usize; 2],
    pub rgba: Vec<u8>,
}

impl std::fmt::Debug for Picture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Picture").field("size", &self.size).finish()
    }
}

impl Picture {
    fn of(image: &RgbImage, max_side: u32) -> Self {
        let small = shrink(image, max_side);
        let (width, height) = small.dimensions();
        Self {
            size: [width as usize, height as usize],
            rgba: to_rgba(&small),
        }
    }
}

/// One photo's row in an exported file.
#[derive(Debug, Clone)]
pub struct ExportRow {
    pub path: PathBuf,
    pub predictions: Vec<Prediction>,
    pub warning: String,
    /// Error that explains the missing predictions.
    pub error: Option<String>,
}

pub fn run(task: Task) -> Event {
    match task {
        Task::Classify {
            id,
            generation,
            input,
            classifier,
            thumbnail,
        } => {
            let (outcome, thumbnail) = classify(&input, &classifier, thumbnail);
            Event::Classified {
                id,
                generation,
                outcome,
                thumbnail,
            }
        }
        Task::Preview { id, input } => Event::Preview {
            id,
            result: preview(&input),
        },
    }
}

/// Classifies one photo; a panic in a decoder or the engine becomes its error.
fn classify(
    input: &PhotoInput,
    classifier: &Classifier,
    thumbnail: bool,
) -> (Result<Analysis, String>, Option<Picture>) {
    let run = || {
        // The thumbnail and the model need far fewer pixels than a phone photo
        // holds, so a large JPEG is decoded at a reduced scale.
        let min_side = classifier.spec().preprocessing.min_source_side();
        let Loaded {
            image,
            full_size,
            warnings,
        } = match load(input, Some(min_side)) {
            Ok(loaded) => loaded,
            Err(failure) => return (Err(report::cause(&failure)), None),
        };
        let thumbnail = thumbnail.then(|| Picture::of(&image, THUMBNAIL_SIDE));
        let outcome = classifier
            .probabilities(&image)
            .map(|probabilities| Analysis {
                predictions: top_k(&probabilities, &classifier.spec().labels, MAX_RANKED),
                warning: report::joined_warnings(&warnings),
                size: full_size,
            })
            .map_err(|error| error.to_string());
        (outcome, thumbnail)
    };
    crate::catch_panic(run).unwrap_or_else(|cause| {
        tracing::error!(input = %describe(input), %cause, "classifying a photo panicked");
        let failure = PhotoFailure::Crashed {
            path: PathBuf::from(describe(input)),
            cause,
        };
        (Err(report::cause(&failure)), None)
    })
}

fn preview(input: &PhotoInput) -> Result<Picture, String> {
    let run = || {
        load(input, None)
            .map(|loaded| Picture::of(&loaded.image, PREVIEW_SIDE))
            .map_err(|failure| report::cause(&failure))
    };
    crate::catch_panic(run).unwrap_or_else(|cause| Err(format!("cannot show this photo ({cause})")))
}

/// A decoded photo, upright.
struct Loaded {
    image: Arc<RgbImage>,
    /// Width and height as stored, which `image` is smaller than after a
    /// reduced decode.
    full_size: (u32, u32),
    warnings: Vec<PhotoWarning>,
}

/// Decodes the photo. A JPEG may be decoded at a reduced scale that keeps
/// `min_shorter_side`.
fn load(input: &PhotoInput, min_shorter_side: Option<u32>) -> Result<Loaded, PhotoFailure> {
    match input {
        PhotoInput::File(path) => {
            let photo = open_photo_reduced(path, &DecodeLimits::default(), min_shorter_side)?;
            Ok(Loaded {
                image: Arc::new(photo.image),
                full_size: photo.full_size,
                warnings: photo.warnings,
            })
        }
        PhotoInput::Pixels(image) => Ok(Loaded {
            image: image.clone(),
            full_size: image.dimensions(),
            warnings: Vec::new(),
        }),
    }
}

fn describe(input: &PhotoInput) -> String {
    match input {
        PhotoInput::File(path) => path.display().to_string(),
        PhotoInput::Pixels(_) => "pasted image".to_string(),
    }
}

/// Builds the error for a model whose loading panicked.
pub fn crashed_model(source: &ModelSource, cause: String) -> ModelError {
    ModelError::new(source.to_string(), ModelErrorKind::EnginePanic { cause })
}

/// Expands each path on its own, so one missing path spoils nothing else.
pub fn expand(paths: &[PathBuf]) -> Expansion {
    let mut expansion = Expansion::default();
    for path in paths {
        match crate::walk::collect_photos(std::slice::from_ref(path)) {
            Ok(list) => {
                let canonical = |path: PathBuf| {
                    let identity = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
                    (path, identity)
                };
                expansion
                    .photos
                    .extend(list.photos.into_iter().map(canonical));
                expansion.skipped += list.skipped;
                let unreadable = list.unreadable.into_iter();
                let described = unreadable.map(|(p, e)| (p, crate::walk::describe_io(&e)));
                expansion.failures.extend(described);
            }
            Err(error) => {
                let reason = crate::walk::describe_io(&error.source);
                expansion.failures.push((error.path, reason));
            }
        }
    }
    expansion
}

/// Writes the rows to a temporary file beside `path`, then renames it, so
/// a failed export never leaves a half-written file under the chosen name.
pub fn export(path: &Path, format: Format, rows: &[ExportRow]) -> std::io::Result<usize> {
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut file = tempfile::Builder::new()
        .prefix(".petal-export-")
        .tempfile_in(folder)?;
    let mut writer = ResultWriter::new(std::io::BufWriter::new(file.as_file_mut()), format)?;
    for row in rows {
        let outcome = match &row.error {
            Some(error) => Outcome::Failed(error),
            None => Outcome::Classified {
                predictions: &row.predictions,
                warning: &row.warning,
            },
        };
        writer.write_record(&Record {
            path: &row.path,
            outcome,
        })?;
    }
    writer.finish()?.flush()?;
    file.as_file().sync_all()?;
    file.persist(path).map_err(|error| error.error)?;
    Ok(rows.len())
}

/// Saves the window's pixels as a PNG file.
pub fn save_screenshot(path: &Path, image: &eframe::egui::ColorImage) -> Result<(), String> {
    let [width, height] = image.size;
    let rgba: Vec<u8> = image
        .pixels
        .iter()
        .flat_map(|pixel| pixel.to_srgba_unmultiplied())
        .collect();
    let too_large = || "the window is too large to save".to_string();
    let width = u32::try_from(width).map_err(|_| too_large())?;
    let height = u32::try_from(height).map_err(|_| too_large())?;
    image::save_buffer(path, &rgba, width, height, image::ExtendedColorType::Rgba8)
        .map_err(|error| format!("cannot save {}: {error}", path.display()))
}
