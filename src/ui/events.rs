//! Applying the results of background jobs to the app's state.

use std::path::PathBuf;
use std::sync::Arc;

use eframe::egui;

use super::app::PetalApp;
use super::photos::PhotoState;
use crate::jobs::{Analysis, Event, Expansion, Pick, Picture};
use crate::model::{Classifier, ModelSource};
use crate::report::Format;
use crate::storage::fetch::S3Uri;
use crate::storage::CachedModel;

impl PetalApp {
    pub(super) fn handle_event(&mut self, ctx: &egui::Context, event: Event) {
        match event {
            Event::Expanded(expansion) => self.on_expanded(expansion),
            Event::ModelLoaded { source, result } => self.on_model_loaded(source, result),
            Event::Classified {
                id,
                generation,
                outcome,
                thumbnail,
            } => self.on_classified(ctx, id, generation, outcome, thumbnail),
            Event::Preview { id, result } => self.preview.receive(ctx, id, result),
            Event::Picked {
                purpose,
                paths,
                failed_to_open,
            } => {
                if failed_to_open {
                    self.notices.warn(
                        "No file dialog opened. Petal uses the desktop portal \
                         (xdg-desktop-portal) or zenity for dialogs; install one, or drop files \
                         on the window or paste their paths with Ctrl+V.",
                    );
                }
                self.on_picked(purpose, paths);
            }
            Event::Exported { path, result } => match result {
                Ok(rows) => self
                    .notices
                    .info(format!("Saved {rows} results to {}.", path.display())),
                Err(error) => self.notices.error(format!(
                    "Cannot save the results to {}: {error}. Choose another folder.",
                    path.display()
                )),
            },
            Event::ScreenshotSaved { path, result } => self.on_screenshot_saved(ctx, &path, result),
            Event::Listed { location, result } => {
                if self.bucket.location.as_ref() == Some(&location) {
                    self.bucket.listing_in_flight = false;
                    self.bucket.listing = Some(result);
                }
            }
            Event::CacheListed(entries) => self.bucket.cached = entries,
            Event::Fetched { uri, result } => self.on_fetched(uri, result),
            Event::Published {
                destination,
                result,
            } => self.on_published(destination, result),
            Event::SettingsSaved { settings, result } => self.on_settings_saved(settings, result),
            Event::Mlflow(reply) => self.on_mlflow_reply(reply),
        }
    }

    fn on_expanded(&mut self, expansion: Expansion) {
        self.expansions_pending = self.expansions_pending.saturating_sub(1);
        let mut added = Vec::new();
        for (path, identity) in expansion.photos {
            added.extend(self.photos.add_identified(path, identity));
        }
        for (path, reason) in expansion.failures {
            self.photos.add_failed_file(path, reason);
        }
        if expansion.skipped > 0 {
            self.notices.info(format!(
                "Skipped {} that {} not photos.",
                plural(expansion.skipped, "file"),
                if expansion.skipped == 1 { "is" } else { "are" }
            ));
        }
        if self.selected.is_none() {
            self.select(added.first().copied());
        }
        self.queue_waiting(&added);
    }

    fn on_model_loaded(&mut self, source: ModelSource, result: Result<Arc<Classifier>, String>) {
        if self.model.loading.as_ref() == Some(&source) {
            self.model.loading = None;
        }
        match result {
            Ok(classifier) => {
                for warning in &classifier.spec().warnings {
                    self.notices.warn(format!("Model {source}: {warning}"));
                }
                self.model.install(source, classifier);
                self.reclassify_all();
            }
            Err(error) => self.on_model_failed(source, error),
        }
    }

    fn on_model_failed(&mut self, source: ModelSource, message: String) {
        self.model.last_error = Some(message.clone());
        match &self.model.source {
            Some(current) => self
                .notices
                .error(format!("{message}. Still using {current}.")),
            None if source != ModelSource::Bundled => {
                self.notices
                    .error(format!("{message}. Using the bundled model instead."));
                self.load_model(ModelSource::Bundled);
            }
            None => self.notices.error(message),
        }
    }

    fn on_classified(
        &mut self,
        ctx: &egui::Context,
        id: u64,
        generation: u64,
        outcome: Result<Analysis, String>,
        thumbnail: Option<Picture>,
    ) {
        if generation != self.model.generation {
            return;
        }
        self.batch.finish_one();
        let Some(entry) = self.photos.get_mut(id) else {
            return;
        };
        if let Some(picture) = thumbnail {
            let image = egui::ColorImage::from_rgba_unmultiplied(picture.size, &picture.rgba);
            let name = format!("thumbnail-{id}");
            entry.thumbnail = Some(ctx.load_texture(name, image, egui::TextureOptions::LINEAR));
        }
        entry.state = match outcome {
            Ok(analysis) => PhotoState::Done(analysis),
            Err(error) => PhotoState::Failed(error),
        };
    }

    fn on_picked(&mut self, purpose: Pick, paths: Vec<PathBuf>) {
        if paths.is_empty() {
            return;
        }
        match purpose {
            Pick::Photos | Pick::Folder => self.add_paths(paths),
            Pick::Model => {
                if let Some(path) = paths.into_iter().next() {
                    self.load_model(ModelSource::Path(path));
                }
            }
            Pick::Publish => {
                let location = self.bucket.location.clone();
                if let (Some(path), Some(location)) = (paths.into_iter().next(), location) {
                    self.bucket.publish_status = Some(Ok(format!("Uploading to {location}…")));
                    self.jobs.publish(self.remote.clone(), path, location);
                }
            }
            Pick::Export => {
                if let Some(path) = paths.into_iter().next() {
                    self.export_to(path);
                }
            }
        }
    }

    fn on_fetched(&mut self, uri: S3Uri, result: Result<CachedModel, String>) {
        let then_use = matches!(&self.bucket.transfer, Some((u, _, true)) if *u == uri);
        self.bucket.transfer = None;
        match result {
            Ok(_) => {
                self.notices.info(format!("Fetched {uri} into the cache."));
                self.jobs.list_cache(self.remote.clone());
                if then_use {
                    self.use_s3_model(&uri);
                }
            }
            Err(error) => self
                .notices
                .error(format!("Cannot fetch the model: {error}")),
        }
    }

    fn on_published(&mut self, destination: S3Uri, result: Result<Vec<String>, String>) {
        self.bucket.publish_status = Some(match result {
            Ok(keys) => Ok(format!("Uploaded {}.", keys.join(", "))),
            Err(error) => Err(format!("Cannot publish the model: {error}")),
        });
        if self.bucket.location.as_ref() == Some(&destination) {
            self.browse(destination);
        }
    }

    /// Saves the rows the results table shows, in its order, to `path`;
    /// the format follows the extension (`.json`, `.jsonl`, else CSV).
    pub fn export_to(&mut self, path: PathBuf) {
        let extension = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        let format = match extension.as_deref() {
            Some("json") => Format::JsonArray,
            Some("jsonl") => Format::Json,
            _ => Format::Csv,
        };
        let rows = self.results.export_rows(&self.photos);
        self.jobs.export(path, format, rows);
    }
}

/// "1 file", "3 files".
pub(super) fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}
