//! The Model panel: the loaded model's card, and opening another model.

use std::sync::Arc;

use eframe::egui;

use super::app::PetalApp;
use super::dialogs;
use crate::imaging::{Layout, Resize};
use crate::model::{Classifier, ModelSource};

/// The model in use, and the one being loaded.
#[derive(Default)]
pub struct ModelSlot {
    pub current: Option<Arc<Classifier>>,
    /// Source of the current model.
    pub source: Option<ModelSource>,
    /// A model being loaded; the current one stays in use until it is ready.
    pub loading: Option<ModelSource>,
    /// Counts model changes, so results from an older model are ignored.
    pub generation: u64,
    /// Error of the last model that failed to load.
    pub last_error: Option<String>,
}

impl ModelSlot {
    pub fn install(&mut self, source: ModelSource, classifier: Arc<Classifier>) {
        self.current = Some(classifier);
        self.source = Some(source);
        self.generation += 1;
        self.last_error = None;
    }

    /// Returns a short name for the status bar.
    pub fn title(&self) -> String {
        match &self.current {
            Some(classifier) => display_name(classifier),
            None => "no model".to_string(),
        }
    }
}

fn display_name(classifier: &Classifier) -> String {
    let spec = classifier.spec();
    match (&spec.name, &spec.version) {
        (Some(name), Some(version)) => format!("{name} {version}"),
        (Some(name), None) => name.clone(),
        _ => classifier.info().origin.clone(),
    }
}

pub fn show(app: &mut PetalApp, ui: &mut egui::Ui, frame: &eframe::Frame) {
    app.open_models_panel();
    egui::CentralPanel::default().show(ui, |ui| {
        egui::ScrollArea::vertical().show(ui, |ui| {
            ui.heading("Model in use");
            actions(app, ui, frame);
            if let Some(source) = &app.model.loading {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label(format!("Loading {source}…"));
                });
            }
            if let Some(error) = &app.model.last_error {
                ui.colored_label(ui.visuals().error_fg_color, error);
            }
            ui.add_space(8.0);
            match (&app.model.current, &app.model.source) {
                (Some(classifier), Some(source)) => card(ui, classifier, source),
                _ => {
                    ui.label("No model is loaded yet.");
                }
            }
            ui.add_space(12.0);
            local_models(app, ui);
            ui.add_space(12.0);
            super::bucket::show(app, ui, frame);
        });
    });
}

/// The bundled model and the cached ones, each with Use, cached ones with Remove.
fn local_models(app: &mut PetalApp, ui: &mut egui::Ui) {
    ui.heading("On this computer");
    let mut load = None;
    let mut remove = None;
    egui::Grid::new("local-models")
        .num_columns(3)
        .striped(true)
        .spacing([16.0, 4.0])
        .show(ui, |ui| {
            ui.label("bundled");
            ui.weak("compiled into Petal");
            if ui.button("Use").clicked() {
                load = Some(ModelSource::Bundled);
            }
            ui.end_row();
            for entry in &app.bucket.cached {
                ui.label(&entry.info.source);
                ui.weak(describe_bytes(entry.info.size));
                ui.horizontal(|ui| {
                    if ui.button("Use").clicked() {
                        load = ModelSource::parse(&entry.info.source).ok();
                    }
                    if ui
                        .button("Remove")
                        .on_hover_text("Delete it from the cache")
                        .clicked()
                    {
                        remove = Some(entry.info.source.clone());
                    }
                });
                ui.end_row();
            }
        });
    if app.remote.cache.is_none() {
        ui.weak("No cache folder: set PETAL_CACHE_DIR to keep fetched models.");
    }
    if let Some(source) = load {
        app.load_model(source);
    }
    if let Some(source) = remove {
        app.jobs.remove_cached(app.remote.clone(), source);
    }
}

fn actions(app: &mut PetalApp, ui: &mut egui::Ui, frame: &eframe::Frame) {
    ui.horizontal(|ui| {
        if ui
            .button("Open model…")
            .on_hover_text("Use another .onnx file; you can also drop one on the window")
            .clicked()
        {
            dialogs::pick_model(&app.jobs, frame);
        }
        let bundled_in_use = app.model.source == Some(ModelSource::Bundled);
        let use_bundled = ui.add_enabled(!bundled_in_use, egui::Button::new("Use bundled model"));
        if use_bundled.clicked() {
            app.load_model(ModelSource::Bundled);
        }
    });
}

fn card(ui: &mut egui::Ui, classifier: &Classifier, source: &ModelSource) {
    let spec = classifier.spec();
    let info = classifier.info();
    let prep = &spec.preprocessing;
    let (height, width) = spec.input_size();
    egui::Grid::new("model-card")
        .num_columns(2)
        .striped(true)
        .spacing([24.0, 6.0])
        .show(ui, |ui| {
            row(ui, "Name", &display_name(classifier));
            row(ui, "Source", &source.to_string());
            if let Some(path) = &info.path {
                row(ui, "File", &path.display().to_string());
            }
            row(ui, "Classes", &classifier.class_count().to_string());
            row(
                ui,
                "Input",
                &format!("{height} × {width} pixels, {}", layout_name(prep.layout)),
            );
            row(ui, "Resize", &resize_text(&prep.resize, prep.crop));
            row(
                ui,
                "Normalization",
                &format!("mean {:?}, std {:?}", prep.mean, prep.std),
            );
            row(ui, "Output", spec.output_kind.name());
            row(ui, "File size", &describe_bytes(info.file_size));
            row(ui, "SHA-256", &info.sha256);
            row(ui, "Load time", &format!("{} ms", info.load_millis));
            row(ui, "Engine", &info.engine.to_string());
            if let Some(fingerprint) = &spec.dataset_fingerprint {
                row(ui, "Dataset", fingerprint);
            }
            for (part, provenance) in &spec.provenance {
                row(
                    ui,
                    &format!("{} from", capitalise(part)),
                    &provenance.to_string(),
                );
            }
        });
    if !spec.warnings.is_empty() {
        ui.add_space(8.0);
        ui.strong("Warnings");
        for warning in &spec.warnings {
            ui.colored_label(ui.visuals().warn_fg_color, warning);
        }
    }
}

fn row(ui: &mut egui::Ui, name: &str, value: &str) {
    ui.label(name);
    ui.add(egui::Label::new(value).selectable(true).wrap());
    ui.end_row();
}

fn layout_name(layout: Layout) -> String {
    format!("{} layout", layout.name())
}

fn resize_text(resize: &Resize, crop: Option<(u32, u32)>) -> String {
    let resize = match resize {
        Resize::ShorterSide { length } => format!("shorter side to {length} px"),
        Resize::Exact { width, height } => format!("stretch to {width} × {height} px"),
    };
    match crop {
        Some((width, height)) => format!("{resize}, centre crop {width} × {height}"),
        None => resize,
    }
}

/// Bytes in the largest unit that keeps a whole number in front.
pub fn describe_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["bytes", "KB", "MB", "GB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} bytes")
    } else {
        format!("{value:.1} {} ({bytes} bytes)", UNITS[unit])
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
