//! The bucket browser in the Models panel: folders, objects, fetching.

use std::sync::Arc;

use eframe::egui::{self, RichText};

use super::app::PetalApp;
use super::dialogs;
use super::model_panel::describe_bytes;
use crate::jobs::Transfer;
use crate::model::ModelSource;
use crate::storage::fetch::S3Uri;
use crate::storage::{CachedModel, Listing};

/// State of the bucket browser.
#[derive(Default)]
pub struct BucketBrowser {
    /// The folder shown; `None` until a bucket is known.
    pub location: Option<S3Uri>,
    pub listing: Option<Result<Listing, String>>,
    pub listing_in_flight: bool,
    /// Complete cache entries, refreshed after each change.
    pub cached: Vec<CachedModel>,
    /// The download in progress, and whether to use the model after it.
    pub transfer: Option<(S3Uri, Arc<Transfer>, bool)>,
    /// The last upload's outcome, for the panel.
    pub publish_status: Option<Result<String, String>>,
    /// Set once the panel has listed the cache and the bucket.
    pub opened: bool,
}

impl BucketBrowser {
    pub fn is_cached(&self, uri: &S3Uri) -> bool {
        let source = uri.to_string();
        self.cached.iter().any(|entry| entry.info.source == source)
    }
}

impl PetalApp {
    /// Lists the cache and the configured bucket the first time the
    /// panel opens.
    pub(super) fn open_models_panel(&mut self) {
        if self.bucket.opened {
            return;
        }
        self.bucket.opened = true;
        self.jobs.list_cache(self.remote.clone());
        if let Some(bucket) = &self.remote.s3.bucket {
            let location = S3Uri {
                bucket: bucket.value.clone(),
                key: self.remote.s3.model_prefix.value.clone(),
            };
            self.browse(location);
        }
    }

    /// Shows a bucket folder, listing it in the background.
    pub(super) fn browse(&mut self, location: S3Uri) {
        self.bucket.location = Some(location.clone());
        self.bucket.listing = None;
        self.bucket.listing_in_flight = true;
        self.jobs.list_bucket(self.remote.clone(), location);
    }

    /// Downloads a model; with `then_use`, loads it once it is cached.
    pub(super) fn fetch(&mut self, uri: S3Uri, refresh: bool, then_use: bool) {
        if self.bucket.transfer.is_some() {
            self.notices
                .info("Wait for the current download, or cancel it.");
            return;
        }
        let transfer = self.jobs.fetch(self.remote.clone(), uri.clone(), refresh);
        self.bucket.transfer = Some((uri, transfer, then_use));
    }

    pub(super) fn use_s3_model(&mut self, uri: &S3Uri) {
        self.load_model(ModelSource::S3 {
            bucket: uri.bucket.clone(),
            key: uri.key.clone(),
        });
    }
}

pub fn show(app: &mut PetalApp, ui: &mut egui::Ui, frame: &eframe::Frame) {
    ui.heading("Bucket");
    let Some(location) = app.bucket.location.clone() else {
        ui.label(
            "No bucket is set. Set one in Settings, or with AWS_S3_BUCKET_NAME before starting \
             Petal.",
        );
        return;
    };
    breadcrumb(app, ui, &location);
    transfer(app, ui);
    publish(app, ui, frame, &location);
    ui.add_space(4.0);
    if app.bucket.listing_in_flight {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label(format!("Listing {location}…"));
        });
    }
    match app.bucket.listing.clone() {
        Some(Ok(listing)) => entries(app, ui, &location, &listing),
        Some(Err(error)) => {
            ui.colored_label(ui.visuals().error_fg_color, error);
        }
        None => {}
    }
}

fn breadcrumb(app: &mut PetalApp, ui: &mut egui::Ui, location: &S3Uri) {
    let mut target = None;
    ui.horizontal_wrapped(|ui| {
        if ui.link(format!("s3://{}", location.bucket)).clicked() {
            target = Some(String::new());
        }
        let mut prefix = String::new();
        for part in location.key.split('/').filter(|p| !p.is_empty()) {
            prefix.push_str(part);
            prefix.push('/');
            ui.label("/");
            if ui.link(part).clicked() {
                target = Some(prefix.clone());
            }
        }
        ui.separator();
        if ui.button("Refresh").clicked() {
            target = Some(location.key.clone());
        }
    });
    if let Some(key) = target {
        app.browse(S3Uri {
            bucket: location.bucket.clone(),
            key,
        });
    }
}

fn transfer(app: &mut PetalApp, ui: &mut egui::Ui) {
    let Some((uri, transfer, _)) = &app.bucket.transfer else {
        return;
    };
    transfer_ui(ui, &format!("Fetching {}", uri.file_name()), transfer);
}

/// Draws a download's progress bar, headed by `title`, with a Cancel button.
pub(super) fn transfer_ui(ui: &mut egui::Ui, title: &str, transfer: &Transfer) {
    let (done, total) = transfer.progress();
    let text = match total {
        Some(total) => format!("{} of {}", describe_bytes(done), describe_bytes(total)),
        None => describe_bytes(done),
    };
    let fraction = total.map_or(0.0, |t| done as f32 / t.max(1) as f32);
    ui.horizontal(|ui| {
        ui.label(title);
        if ui.button("Cancel").clicked() {
            transfer.cancel();
        }
        ui.add(egui::ProgressBar::new(fraction).text(text).animate(true));
    });
}

fn publish(app: &mut PetalApp, ui: &mut egui::Ui, frame: &eframe::Frame, location: &S3Uri) {
    ui.horizontal(|ui| {
        let hover = format!("Upload a local .onnx file and its sidecars to {location}");
        if ui.button("Publish a model…").on_hover_text(hover).clicked() {
            dialogs::pick_publish(&app.jobs, frame);
        }
        match &app.bucket.publish_status {
            Some(Ok(text)) => {
                ui.label(text);
            }
            Some(Err(error)) => {
                ui.colored_label(ui.visuals().error_fg_color, error);
            }
            None => {}
        }
    });
}

fn entries(app: &mut PetalApp, ui: &mut egui::Ui, location: &S3Uri, listing: &Listing) {
    if listing.prefixes.is_empty() && listing.objects.is_empty() {
        ui.weak("This folder is empty.");
        return;
    }
    let mut open = None;
    let mut fetch = None;
    egui::Grid::new("bucket-entries")
        .num_columns(4)
        .striped(true)
        .spacing([16.0, 4.0])
        .show(ui, |ui| {
            for prefix in &listing.prefixes {
                let name = prefix.strip_prefix(&location.key).unwrap_or(prefix);
                if ui.link(RichText::new(name).strong()).clicked() {
                    open = Some(prefix.clone());
                }
                ui.weak("folder");
                ui.label("");
                ui.label("");
                ui.end_row();
            }
            for object in &listing.objects {
                let uri = S3Uri {
                    bucket: location.bucket.clone(),
                    key: object.key.clone(),
                };
                let name = object
                    .key
                    .strip_prefix(&location.key)
                    .unwrap_or(&object.key);
                ui.label(name);
                ui.label(describe_bytes(object.size));
                ui.label(object.last_modified.as_deref().unwrap_or(""));
                ui.horizontal(|ui| {
                    let cached = app.bucket.is_cached(&uri);
                    if cached {
                        ui.weak("cached");
                    }
                    let is_model = object.key.to_ascii_lowercase().ends_with(".onnx");
                    if is_model && ui.button("Use").clicked() {
                        fetch = Some((uri.clone(), false, true, cached));
                    }
                    let label = if cached { "Fetch again" } else { "Fetch" };
                    if is_model && ui.button(label).clicked() {
                        fetch = Some((uri, cached, false, false));
                    }
                });
                ui.end_row();
            }
        });
    if let Some(key) = open {
        app.browse(S3Uri {
            bucket: location.bucket.clone(),
            key,
        });
    }
    match fetch {
        Some((uri, _, true, true)) => app.use_s3_model(&uri),
        Some((uri, refresh, then_use, _)) => app.fetch(uri, refresh, then_use),
        None => {}
    }
}
