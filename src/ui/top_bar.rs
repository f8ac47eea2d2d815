//! The bar at the top: adding photos and switching panels.

use eframe::egui;

use super::app::PetalApp;
use super::dialogs;
use super::input::OPEN_SHORTCUT;
use super::prefs::Panel;

pub fn show(app: &mut PetalApp, ui: &mut egui::Ui, frame: &eframe::Frame) {
    egui::Panel::top("top-bar").show(ui, |ui| {
        ui.horizontal(|ui| {
            ui.heading("Petal");
            ui.separator();
            for panel in Panel::ALL {
                ui.selectable_value(&mut app.prefs.panel, panel, panel.title());
            }
            ui.separator();
            let shortcut = ui.ctx().format_shortcut(&OPEN_SHORTCUT);
            let add = ui.button("Add photos…").on_hover_text(format!(
                "Choose photos to classify ({shortcut}); you can also drop or paste them"
            ));
            if add.clicked() {
                dialogs::pick_photos(&app.jobs, frame);
            }
            if ui.button("Add folder…").clicked() {
                dialogs::pick_folder(&app.jobs, frame);
            }
        });
    });
}
