//! Background work for the desktop app.
//!
//! The UI thread never decodes, runs a model or touches the disk. It sends
//! that work to [`Jobs`] to run on other threads and collects the results as
//! [`Event`]s once per frame. Each finished job calls the wake-up function,
//! so the window redraws as soon as something arrives.

mod mlflow;
pub mod offline;
mod pool;
mod remote;
mod work;

use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;

use image::RgbImage;

use crate::model::{Classifier, EngineOptions, ModelSource};
use crate::report::Format;
use crate::settings::Settings;
use crate::storage::fetch::S3Uri;
use crate::storage::{open_model, CachedModel, Listing, Remote};

pub use mlflow::{MlflowReply, RegistryEntry};
pub use pool::{Pool, Task};
pub use remote::Transfer;
pub use work::{Analysis, ExportRow, Picture, MAX_RANKED, PREVIEW_SIDE, THUMBNAIL_SIDE};

/// Asks the UI to redraw; cheap and callable from any thread.
pub type Wake = Arc<dyn Fn() + Send + Sync>;

/// Identifies a photo in the app for its whole life.
pub type PhotoId = u64;

/// Source of a photo's pixels.
#[derive(Debug, Clone)]
pub enum PhotoInput {
    File(PathBuf),
    /// An image pasted from the clipboard, already decoded.
    Pixels(Arc<RgbImage>),
}

/// A finished job, as the UI receives it.
#[derive(Debug)]
pub enum Event {
    /// Paths the user added, expanded into photos.
    Expanded(Expansion),
    /// A model finished loading, or failed to.
    ModelLoaded {
        source: ModelSource,
        /// The classifier, or the message saying why it could not be loaded.
        result: Result<Arc<Classifier>, String>,
    },
    /// A photo was classified (or failed) with the model of `generation`.
    Classified {
        id: PhotoId,
        generation: u64,
        outcome: Result<Analysis, String>,
        /// A small copy for the photo list, when it was asked for.
        thumbnail: Option<Picture>,
    },
    /// The large view of a photo is ready.
    Preview {
        id: PhotoId,
        result: Result<Picture, String>,
    },
    /// A file dialog closed; `paths` is empty when it was dismissed.
    Picked {
        purpose: Pick,
        paths: Vec<PathBuf>,
        /// The dialog returned nothing at once, as when no dialog backend
        /// (desktop portal or zenity) is installed.
        failed_to_open: bool,
    },
    /// Results were written to a file, or could not be.
    Exported {
        path: PathBuf,
        result: Result<usize, String>,
    },
    /// A bucket folder was listed.
    Listed {
        location: S3Uri,
        result: Result<Listing, String>,
    },
    /// The cache's entries, after reading or changing it.
    CacheListed(Vec<CachedModel>),
    /// A model was fetched into the cache, or could not be.
    Fetched {
        uri: S3Uri,
        result: Result<CachedModel, String>,
    },
    /// A model was uploaded; the keys written, or why not.
    Published {
        destination: S3Uri,
        result: Result<Vec<String>, String>,
    },
    /// The settings file was written, or could not be.
    SettingsSaved {
        settings: Settings,
        result: Result<(), String>,
    },
    /// An MLflow request of the Runs panel finished.
    Mlflow(MlflowReply),
    /// The window's picture was saved.
    ScreenshotSaved {
        path: PathBuf,
        result: Result<(), String>,
    },
}

/// Purpose of a file dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    Photos,
    Folder,
    Model,
    Export,
    /// A model to upload to the bucket folder shown.
    Publish,
}

/// Photos found under the paths a user added.
#[derive(Debug, Default)]
pub struct Expansion {
    /// Each photo with its canonical path, which identifies duplicates.
    pub photos: Vec<(PathBuf, PathBuf)>,
    /// Files inside folders that are not photos.
    pub skipped: usize,
    /// Paths or folder entries that could not be read, with the reason.
    pub failures: Vec<(PathBuf, String)>,
}

/// A dialog that returns nothing sooner than this never appeared.
const DIALOG_MIN_OPEN: std::time::Duration = std::time::Duration::from_millis(300);

/// Starts background work and collects its results.
pub struct Jobs {
    spawner: Spawner,
    receiver: Receiver<Event>,
    pool: Pool,
}

/// Starts one-off jobs from any thread; their events reach [`Jobs`].
#[derive(Clone)]
pub struct Spawner {
    sender: Sender<Event>,
    wake: Wake,
}

impl Jobs {
    /// Starts `workers` threads for photos; other jobs get their own thread.
    pub fn new(wake: Wake, workers: usize) -> Self {
        let (sender, receiver) = mpsc::channel();
        let pool = Pool::new(workers, sender.clone(), wake.clone());
        Self {
            spawner: Spawner { sender, wake },
            receiver,
            pool,
        }
    }

    /// Returns a handle for starting jobs from callbacks on other threads.
    pub fn spawner(&self) -> Spawner {
        self.spawner.clone()
    }

    /// Events that arrived since the last call.
    pub fn poll(&self) -> Vec<Event> {
        self.receiver.try_iter().collect()
    }

    /// Waits up to `timeout` for the next event; for tests and tools.
    pub fn wait(&self, timeout: std::time::Duration) -> Option<Event> {
        self.receiver.recv_timeout(timeout).ok()
    }

    /// Expands files and folders into photos.
    pub fn expand(&self, paths: Vec<PathBuf>) {
        self.spawn("expand", move || Event::Expanded(work::expand(&paths)));
    }

    /// Loads a model, fetching it into the cache first when it is remote;
    /// the current one stays in use until this succeeds.
    pub fn load_model(&self, source: ModelSource, remote: Remote, engine: EngineOptions) {
        self.spawn("load-model", move || {
            let cancel = std::sync::atomic::AtomicBool::new(false);
            let open = || open_model(&source, &remote, &engine, &|_, _| {}, &cancel);
            let result = crate::catch_panic(open)
                .unwrap_or_else(|cause| Err(work::crashed_model(&source, cause).into()))
                .map(Arc::new)
                .map_err(|error| error.to_string());
            Event::ModelLoaded { source, result }
        });
    }

    /// Queues a photo for classification.
    pub fn classify(&self, task: Task) {
        self.pool.push(task);
    }

    /// Drops queued photos that no worker has started; returns their ids.
    /// Photos already being classified finish.
    pub fn cancel(&self) -> Vec<PhotoId> {
        self.pool.cancel()
    }

    /// Writes `rows` to `path` in `format`, replacing the file at once.
    pub fn export(&self, path: PathBuf, format: Format, rows: Vec<ExportRow>) {
        self.spawn("export", move || {
            let result = work::export(&path, format, &rows).map_err(|e| e.to_string());
            Event::Exported { path, result }
        });
    }

    /// Waits for a dialog on another thread, so the window keeps drawing.
    pub fn await_dialog(
        &self,
        purpose: Pick,
        dialog: impl std::future::Future<Output = Vec<PathBuf>> + Send + 'static,
    ) {
        self.spawn("dialog", move || {
            let started = std::time::Instant::now();
            let paths = pollster::block_on(dialog);
            // Nobody closes a real dialog this fast.
            let failed_to_open = paths.is_empty() && started.elapsed() < DIALOG_MIN_OPEN;
            Event::Picked {
                purpose,
                paths,
                failed_to_open,
            }
        });
    }

    fn spawn(&self, name: &str, job: impl FnOnce() -> Event + Send + 'static) {
        self.spawner.spawn(name, job);
    }
}

impl Spawner {
    /// Saves a screenshot of the window as PNG.
    pub fn save_screenshot(&self, path: PathBuf, image: Arc<eframe::egui::ColorImage>) {
        self.spawn("screenshot", move || {
            let result = work::save_screenshot(&path, &image);
            Event::ScreenshotSaved { path, result }
        });
    }

    /// Delivers an event from a job that sends more than one.
    pub fn send(&self, event: Event) {
        if self.sender.send(event).is_ok() {
            (self.wake)();
        }
    }

    /// Runs `job` on a new named thread and delivers its event.
    pub fn spawn(&self, name: &str, job: impl FnOnce() -> Event + Send + 'static) {
        let sender = self.sender.clone();
        let wake = self.wake.clone();
        let run = move || {
            if sender.send(job()).is_ok() {
                wake();
            }
        };
        let spawned = std::thread::Builder::new()
            .name(format!("petal-{name}"))
            .spawn(run);
        if let Err(error) = spawned {
            tracing::error!(%error, job = name, "cannot start a background thread");
        }
    }
}
