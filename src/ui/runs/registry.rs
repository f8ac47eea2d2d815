//! Registered models: names, versions and aliases, each with "Use".

use eframe::egui;

use super::super::app::PetalApp;
use crate::model::ModelSource;

/// Draws the registry, listing it the first time.
pub fn show(app: &mut PetalApp, ui: &mut egui::Ui) {
    if !app.runs.registry_requested && !app.runs.offline_shown() {
        if let Some(client) = app.runs.client.clone() {
            app.runs.registry_requested = true;
            app.jobs.mlflow_registry(client);
        }
    }
    let mut chosen = None;
    match &app.runs.registry {
        None if app.runs.registry_requested => {
            ui.spinner();
        }
        None => {
            ui.weak("Not listed yet.");
        }
        Some(Err(error)) => {
            ui.colored_label(ui.visuals().error_fg_color, error);
        }
        Some(Ok(models)) if models.is_empty() => {
            ui.weak("No registered models.");
        }
        Some(Ok(models)) => {
            for (model, versions) in models {
                ui.strong(&model.name);
                ui.indent(("registry", &model.name), |ui| {
                    for alias in &model.aliases {
                        ui.horizontal(|ui| {
                            ui.label(format!("@{} (version {})", alias.alias, alias.version));
                            if ui.button("Use").clicked() {
                                chosen = Some((model.name.clone(), alias.alias.clone()));
                            }
                        });
                    }
                    for version in versions {
                        ui.horizontal(|ui| {
                            ui.label(format!("version {}", version.version));
                            ui.weak(&version.status);
                            if ui.button("Use").clicked() {
                                chosen = Some((model.name.clone(), version.version.clone()));
                            }
                        });
                    }
                });
            }
        }
    }
    if let Some((name, reference)) = chosen {
        app.use_mlflow_model(ModelSource::MlflowModel { name, reference });
    }
}
