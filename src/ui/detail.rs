//! The side panel for the selected photo: large view and top-k species.

use eframe::egui::{self, RichText};

use super::app::PetalApp;
use super::photos::{PhotoEntry, PhotoState};
use super::prefs::MAX_TOP_K;
use crate::jobs::PhotoId;
use crate::verdict::{percent, Verdict};

pub fn show(app: &mut PetalApp, ui: &mut egui::Ui) {
    egui::Panel::right("photo-detail")
        .resizable(true)
        .default_size(420.0)
        .size_range(280.0..=900.0)
        .show(ui, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| {
                match app.selected.and_then(|id| app.photos.get(id)) {
                    Some(_) => selected_photo(app, ui),
                    None => {
                        ui.add_space(12.0);
                        ui.weak("Select a photo to see its species.");
                    }
                }
            });
        });
}

fn selected_photo(app: &mut PetalApp, ui: &mut egui::Ui) {
    let Some(entry) = app.selected.and_then(|id| app.photos.get(id)) else {
        return;
    };
    ui.add(egui::Label::new(RichText::new(&entry.name).heading()).wrap());
    ui.add(egui::Label::new(RichText::new(entry.location()).weak().small()).wrap());
    if let Some(analysis) = entry.analysis() {
        let (width, height) = analysis.size;
        ui.weak(format!("{width} × {height} pixels"));
    }
    ui.add_space(6.0);
    large_view(app, ui, entry.id);
    ui.add_space(8.0);
    let id = entry.id;
    match &entry.state {
        PhotoState::Waiting => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Classifying…");
            });
        }
        PhotoState::Done(_) => species(app, ui),
        PhotoState::Failed(error) => {
            ui.colored_label(ui.visuals().error_fg_color, "Cannot classify this photo");
            ui.add(egui::Label::new(error.as_str()).wrap());
        }
        PhotoState::Cancelled => {
            ui.label("Not classified: the batch was cancelled.");
            if ui.button("Classify this photo").clicked() {
                app.photos.set_state(id, PhotoState::Waiting);
                app.queue_waiting(&[id]);
            }
        }
    }
}

fn large_view(app: &PetalApp, ui: &mut egui::Ui, id: PhotoId) {
    let max = egui::vec2(
        ui.available_width(),
        (ui.ctx().content_rect().height() * 0.45).max(160.0),
    );
    match app.preview.get(id) {
        Some(Ok(texture)) => {
            ui.add(egui::Image::new(texture).max_size(max).corner_radius(4.0));
        }
        Some(Err(error)) => {
            ui.colored_label(ui.visuals().error_fg_color, error);
        }
        None => {
            ui.add_sized(egui::vec2(max.x, 160.0), egui::Spinner::new());
        }
    }
}

/// Draws the verdict in words, the k control and one bar per species.
fn species(app: &mut PetalApp, ui: &mut egui::Ui) {
    let Some(entry) = app.selected.and_then(|id| app.photos.get(id)) else {
        return;
    };
    let Some(analysis) = entry.analysis() else {
        return;
    };
    if let Some(verdict) = Verdict::of(&analysis.predictions) {
        verdict_line(ui, &verdict);
    }
    if !analysis.warning.is_empty() {
        ui.colored_label(ui.visuals().warn_fg_color, &analysis.warning);
    }
    ui.add_space(6.0);
    let available = analysis.predictions.len().min(MAX_TOP_K);
    let shown = app.prefs.top_k.min(available);
    bars(ui, entry, shown);
    ui.add_space(6.0);
    top_k_control(ui, &mut app.prefs.top_k, shown, available);
}

fn verdict_line(ui: &mut egui::Ui, verdict: &Verdict) {
    let text = RichText::new(verdict.sentence()).size(18.0).strong();
    if verdict.is_uncertain() {
        ui.add(egui::Label::new(text.color(ui.visuals().warn_fg_color)).wrap());
        ui.weak("The model is not sure; compare with the photo.");
    } else {
        ui.add(egui::Label::new(text).wrap());
    }
}

fn bars(ui: &mut egui::Ui, entry: &PhotoEntry, shown: usize) {
    let Some(analysis) = entry.analysis() else {
        return;
    };
    egui::Grid::new(("species-bars", entry.id))
        .num_columns(2)
        .spacing([8.0, 4.0])
        .show(ui, |ui| {
            for prediction in analysis.predictions.iter().take(shown) {
                ui.label(format!("{}. {}", prediction.rank, prediction.label));
                let bar = egui::ProgressBar::new(prediction.probability)
                    .text(percent(prediction))
                    .desired_width(ui.available_width().max(80.0));
                ui.add(bar);
                ui.end_row();
            }
        });
}

/// Draws "Show [−] 5 [+] species" and stores the choice in `top_k`.
/// `shown` is the preference limited to what this photo has.
fn top_k_control(ui: &mut egui::Ui, top_k: &mut usize, shown: usize, available: usize) {
    ui.horizontal(|ui| {
        ui.label("Show");
        let fewer = ui.add_enabled(shown > 1, egui::Button::new("−"));
        if fewer.on_hover_text("Show fewer species").clicked() {
            *top_k = shown - 1;
        }
        ui.label(shown.to_string());
        let more = ui.add_enabled(shown < available, egui::Button::new("+"));
        if more.on_hover_text("Show more species").clicked() {
            *top_k = shown + 1;
        }
        ui.label("species");
    });
}
