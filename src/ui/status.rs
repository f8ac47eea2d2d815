//! The bar at the bottom: batch progress, counts, model and messages.

use std::time::Instant;

use eframe::egui;

use super::app::PetalApp;
use super::batch::describe_remaining;
use super::notices::Level;

pub fn show(app: &mut PetalApp, ui: &mut egui::Ui) {
    egui::Panel::bottom("status-bar").show(ui, |ui| {
        ui.add_space(2.0);
        if app.batch.is_running() {
            progress(app, ui);
        }
        ui.horizontal(|ui| {
            if let Some(source) = &app.model.loading {
                ui.spinner();
                ui.label(format!("Loading model {source}…"));
                ui.separator();
            }
            counts(app, ui);
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                ui.label(format!("Model: {}", app.model.title()));
            });
        });
        notice(app, ui);
        ui.add_space(2.0);
    });
}

fn progress(app: &mut PetalApp, ui: &mut egui::Ui) {
    let batch = &app.batch;
    let mut text = format!("{} of {} photos", batch.finished(), batch.total());
    if let Some(remaining) = batch.remaining(Instant::now()) {
        text.push_str(&format!(" · {}", describe_remaining(remaining)));
    }
    let fraction = batch.fraction();
    let mut cancel = false;
    ui.horizontal(|ui| {
        cancel = ui
            .button("Cancel")
            .on_hover_text("Stop after the photos being classified now (Esc)")
            .clicked();
        let bar = egui::ProgressBar::new(fraction).text(text).animate(true);
        ui.add(bar);
    });
    if cancel {
        app.cancel_batch();
    }
}

fn counts(app: &mut PetalApp, ui: &mut egui::Ui) {
    let tally = app.photos.tally();
    if tally.total == 0 {
        ui.label("No photos yet");
        return;
    }
    let mut parts = vec![super::events::plural(tally.total, "photo")];
    if tally.failed > 0 {
        parts.push(format!("{} failed", tally.failed));
    }
    if tally.uncertain > 0 {
        parts.push(format!("{} uncertain", tally.uncertain));
    }
    ui.label(parts.join(" · "));
    if tally.cancelled > 0 {
        let label = format!("Classify {} cancelled", tally.cancelled);
        if ui.button(label).clicked() {
            app.resume_cancelled();
        }
    }
}

fn notice(app: &mut PetalApp, ui: &mut egui::Ui) {
    let Some(latest) = app.notices.latest() else {
        return;
    };
    let color = match latest.level {
        Level::Info => ui.visuals().text_color(),
        Level::Warning => ui.visuals().warn_fg_color,
        Level::Error => ui.visuals().error_fg_color,
    };
    let text = latest.text.clone();
    let mut dismiss = false;
    ui.horizontal(|ui| {
        dismiss = ui.small_button("×").on_hover_text("Dismiss").clicked();
        let label = ui.add(egui::Label::new(egui::RichText::new(text).color(color)).wrap());
        label.on_hover_ui(|ui| history(app, ui));
    });
    if dismiss {
        app.notices.dismiss();
    }
}

/// Lists the recent messages, oldest first.
fn history(app: &PetalApp, ui: &mut egui::Ui) {
    ui.strong("Recent messages");
    for notice in app.notices.all().iter().rev().take(12).rev() {
        ui.label(&notice.text);
    }
}
