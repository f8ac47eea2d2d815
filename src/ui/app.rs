//! The Petal window: its state and the layout of its panels.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use eframe::egui;

use super::batch::Batch;
use super::bucket::BucketBrowser;
use super::model_panel::ModelSlot;
use super::notices::Notices;
use super::photos::{PhotoList, PhotoState, Tally};
use super::prefs::{Panel, Prefs};
use super::preview::Preview;
use super::results::ResultsView;
use super::runs::{self, RunsPanel};
use super::screenshot::Screenshot;
use super::settings_panel::SettingsPanel;
use super::startup_probe::StartupProbe;
use super::{detail, gallery, model_panel, results, settings_panel, status, top_bar};
use crate::jobs::{Jobs, PhotoId, Task};
use crate::model::{Classifier, EngineOptions, ModelSource};
use crate::settings::S3Config;
use crate::storage::Remote;

/// Start-up options of the window.
#[derive(Debug, Clone)]
pub struct AppOptions {
    /// The model loaded at start.
    pub model: ModelSource,
    /// Photos and folders queued at start.
    pub photos: Vec<PathBuf>,
    /// Save a picture of the window here once every photo is classified,
    /// then close; used to make the README's screenshot.
    pub screenshot: Option<PathBuf>,
    /// Threads that classify photos.
    pub workers: usize,
    /// S3 settings in effect and the model cache.
    pub remote: Remote,
    /// The inference engine every model is loaded with.
    pub engine: EngineOptions,
    /// Problems found in the settings file, shown as notices.
    pub settings_messages: Vec<String>,
    /// The settings file, for the Settings panel; `None` disables saving.
    pub settings_store: Option<crate::settings::SettingsStore>,
    /// The settings read from that file.
    pub settings: crate::settings::Settings,
}

impl Default for AppOptions {
    fn default() -> Self {
        Self {
            model: ModelSource::Bundled,
            photos: Vec::new(),
            screenshot: None,
            workers: std::thread::available_parallelism().map_or(2, |n| n.get()),
            remote: Remote {
                s3: S3Config::resolve(&Default::default(), &|_| None, None),
                mlflow: crate::mlflow::MlflowConfig::default(),
                cache: None,
            },
            engine: EngineOptions::default(),
            settings_messages: Vec::new(),
            settings_store: None,
            settings: crate::settings::Settings::default(),
        }
    }
}

/// The desktop app. The UI thread owns every field, and slow work runs in
/// [`Jobs`] and comes back as events.
pub struct PetalApp {
    pub(super) jobs: Jobs,
    pub(super) model: ModelSlot,
    pub(super) photos: PhotoList,
    pub(super) selected: Option<PhotoId>,
    pub(super) batch: Batch,
    pub(super) prefs: Prefs,
    pub(super) notices: Notices,
    pub(super) preview: Preview,
    pub(super) results: ResultsView,
    /// Photos per row in the gallery at the last frame, for arrow keys.
    pub(super) gallery_columns: usize,
    pub(super) gallery_view: gallery::GridView,
    /// Scroll the selected photo into view at the next frame.
    pub(super) reveal_selected: bool,
    pub(super) screenshot: Option<Screenshot>,
    /// Folder walks still running.
    pub(super) expansions_pending: usize,
    /// S3 settings in effect and the model cache.
    pub(super) remote: Remote,
    /// The inference engine every model is loaded with, fixed at start.
    pub(super) engine: EngineOptions,
    pub(super) bucket: BucketBrowser,
    pub(super) settings: SettingsPanel,
    pub(super) runs: RunsPanel,
    /// Start-up timing for the benchmark, when it asked for it.
    startup_probe: Option<StartupProbe>,
}

impl PetalApp {
    /// Creates the app and starts loading its model and photos.
    pub fn new(cc: &eframe::CreationContext<'_>, options: AppOptions) -> Self {
        let ctx = cc.egui_ctx.clone();
        let wake = Arc::new(move || ctx.request_repaint());
        let mut app = Self {
            jobs: Jobs::new(wake, options.workers),
            model: ModelSlot::default(),
            photos: PhotoList::default(),
            selected: None,
            batch: Batch::default(),
            // A screenshot shows the defaults, not this user's choices.
            prefs: match options.screenshot {
                Some(_) => Prefs::default(),
                None => Prefs::load(cc.storage),
            },
            notices: Notices::default(),
            preview: Preview::default(),
            results: ResultsView::default(),
            gallery_columns: 1,
            gallery_view: gallery::GridView::default(),
            reveal_selected: false,
            screenshot: options.screenshot.map(Screenshot::new),
            expansions_pending: 0,
            remote: options.remote.clone(),
            engine: options.engine,
            bucket: BucketBrowser::default(),
            settings: SettingsPanel::new(options.settings_store.clone(), options.settings.clone()),
            runs: RunsPanel::default(),
            startup_probe: StartupProbe::from_env(),
        };
        for message in &options.settings_messages {
            app.notices.warn(message.clone());
        }
        app.load_model(options.model);
        app.add_paths(options.photos);
        app
    }

    /// True when nothing is loading or waiting to be classified.
    pub fn is_idle(&self) -> bool {
        self.model.loading.is_none()
            && self.expansions_pending == 0
            && !self.batch.is_running()
            && self.photos.tally().waiting == 0
    }

    /// Counts of photos by state.
    pub fn tally(&self) -> Tally {
        self.photos.tally()
    }

    /// Name of the selected photo.
    pub fn selected_name(&self) -> Option<&str> {
        let entry = self.photos.get(self.selected?)?;
        Some(&entry.name)
    }

    /// Returns the newest message for the user, if any.
    pub fn latest_notice(&self) -> Option<&str> {
        self.notices.latest().map(|notice| notice.text.as_str())
    }

    /// Returns the loaded model, once there is one.
    pub fn classifier(&self) -> Option<&Arc<Classifier>> {
        self.model.current.as_ref()
    }

    /// Returns the Runs panel's state.
    pub fn runs(&self) -> &RunsPanel {
        &self.runs
    }

    /// Starts loading a model; the current one stays active meanwhile.
    pub(super) fn load_model(&mut self, source: ModelSource) {
        self.model.loading = Some(source.clone());
        self.jobs
            .load_model(source, self.remote.clone(), self.engine);
    }

    /// Adds files and folders the user chose; `.onnx` files become the model.
    pub(super) fn add_paths(&mut self, paths: Vec<PathBuf>) {
        let (models, photos): (Vec<PathBuf>, Vec<PathBuf>) =
            paths.into_iter().partition(|path| is_model_file(path));
        if let Some(model) = models.last() {
            self.load_model(ModelSource::Path(model.clone()));
        }
        if !photos.is_empty() {
            self.expansions_pending += 1;
            self.jobs.expand(photos);
        }
    }

    /// Queues photos that are waiting, when a model is ready.
    pub(super) fn queue_waiting(&mut self, ids: &[PhotoId]) {
        let Some(classifier) = self.model.current.clone() else {
            return;
        };
        let mut queued = 0;
        for &id in ids {
            let Some(entry) = self.photos.get(id) else {
                continue;
            };
            if !matches!(entry.state, PhotoState::Waiting) {
                continue;
            }
            self.jobs.classify(Task::Classify {
                id,
                generation: self.model.generation,
                input: entry.input.clone(),
                classifier: classifier.clone(),
                thumbnail: entry.thumbnail.is_none(),
            });
            queued += 1;
        }
        self.batch.add(queued, Instant::now());
    }

    /// Stops the batch: queued photos are marked cancelled.
    pub(super) fn cancel_batch(&mut self) {
        let cancelled = self.jobs.cancel();
        self.batch.withdraw(cancelled.len());
        for &id in &cancelled {
            self.photos.set_state(id, PhotoState::Cancelled);
        }
        if !cancelled.is_empty() {
            self.notices.info(format!(
                "Cancelled; {} photos were not classified.",
                cancelled.len()
            ));
        }
    }

    /// Queues the photos a cancel left out.
    pub(super) fn resume_cancelled(&mut self) {
        self.notices.dismiss();
        let ids: Vec<PhotoId> = self
            .photos
            .entries_mut()
            .filter(|entry| matches!(entry.state, PhotoState::Cancelled))
            .map(|entry| {
                entry.state = PhotoState::Waiting;
                entry.id
            })
            .collect();
        self.queue_waiting(&ids);
    }

    /// Classifies every photo again, as after a model change.
    pub(super) fn reclassify_all(&mut self) {
        self.jobs.cancel();
        self.batch.reset();
        let ids: Vec<PhotoId> = self
            .photos
            .entries_mut()
            .map(|entry| {
                entry.state = PhotoState::Waiting;
                entry.id
            })
            .collect();
        self.queue_waiting(&ids);
    }

    /// Selects a photo and requests its large view.
    pub(super) fn select(&mut self, id: Option<PhotoId>) {
        if self.selected == id {
            return;
        }
        self.selected = id;
        let input = id
            .and_then(|id| self.photos.get(id))
            .map(|e| e.input.clone());
        match (id, input) {
            (Some(id), Some(input)) => {
                self.preview.request(id);
                self.jobs.classify(Task::Preview { id, input });
            }
            _ => self.preview.clear(),
        }
    }

    /// Removes the selected photo and selects its neighbour.
    pub(super) fn remove_selected(&mut self) {
        let Some(id) = self.selected else {
            return;
        };
        let Some(position) = self.photos.remove(id) else {
            return;
        };
        self.selected = None;
        let next = self
            .photos
            .entries()
            .get(position)
            .or_else(|| self.photos.entries().last())
            .map(|entry| entry.id);
        self.select(next);
    }

    /// Moves the selection by `step` photos in list order.
    pub(super) fn move_selection(&mut self, step: isize) {
        let next = self.photos.neighbour(self.selected, step);
        self.select(next);
        self.reveal_selected = true;
    }
}

impl eframe::App for PetalApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        for event in self.jobs.poll() {
            self.handle_event(ctx, event);
        }
        self.take_screenshot_when_ready(ctx);
    }

    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        self.handle_input(ui.ctx(), frame);
        top_bar::show(self, ui, frame);
        status::show(self, ui);
        match self.prefs.panel {
            Panel::Photos => {
                detail::show(self, ui);
                gallery::show(self, ui, frame);
            }
            Panel::Results => results::show(self, ui, frame),
            Panel::Model => model_panel::show(self, ui, frame),
            Panel::Runs => runs::show(self, ui),
            Panel::Settings => settings_panel::show(self, ui),
        }
        super::input::show_drop_hint(ui.ctx());
        if let Some(probe) = &mut self.startup_probe {
            probe.frame_done(ui.ctx(), self.model.current.is_some());
        }
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        if self.screenshot.is_none() {
            self.prefs.save(storage);
        }
    }

    fn persist_egui_memory(&self) -> bool {
        self.screenshot.is_none()
    }
}

/// Files dropped or opened with this extension are models, not photos.
fn is_model_file(path: &std::path::Path) -> bool {
    path.extension()
        .is_some_and(|extension| extension.eq_ignore_ascii_case("onnx"))
        && !path.is_dir()
}
