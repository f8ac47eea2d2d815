//! The Settings panel: the settings file's values, and which value is in
//! effect once environment variables override them.

use eframe::egui;

use super::app::PetalApp;
use crate::settings::{MlflowSettings, Origin, S3Config, S3Settings, Settings, SettingsStore};

/// The settings file and the values being edited.
#[derive(Default)]
pub struct SettingsPanel {
    /// `None` when the platform has no config folder.
    pub store: Option<SettingsStore>,
    /// The values last read from or written to the file.
    pub saved: Settings,
    draft: Draft,
    pub saving: bool,
}

/// Text fields for each setting; empty means unset.
#[derive(Debug, Default, Clone, PartialEq)]
struct Draft {
    bucket: String,
    region: String,
    profile: String,
    endpoint_url: String,
    path_style: Option<bool>,
    model_prefix: String,
    tracking_uri: String,
    experiment_name: String,
}

impl Draft {
    fn of(settings: &Settings) -> Self {
        let text = |value: &Option<String>| value.clone().unwrap_or_default();
        Self {
            bucket: text(&settings.s3.bucket),
            region: text(&settings.s3.region),
            profile: text(&settings.s3.profile),
            endpoint_url: text(&settings.s3.endpoint_url),
            path_style: settings.s3.path_style,
            model_prefix: text(&settings.s3.model_prefix),
            tracking_uri: text(&settings.mlflow.tracking_uri),
            experiment_name: text(&settings.mlflow.experiment_name),
        }
    }

    /// The edited values over `saved`, which keeps the keys this panel
    /// does not edit.
    fn to_settings(&self, saved: &Settings) -> Settings {
        let value = |text: &str| Some(text.trim().to_string()).filter(|t| !t.is_empty());
        Settings {
            s3: S3Settings {
                bucket: value(&self.bucket),
                region: value(&self.region),
                profile: value(&self.profile),
                endpoint_url: value(&self.endpoint_url),
                path_style: self.path_style,
                model_prefix: value(&self.model_prefix),
            },
            mlflow: MlflowSettings {
                tracking_uri: value(&self.tracking_uri),
                experiment_name: value(&self.experiment_name),
            },
            ..saved.clone()
        }
    }
}

impl SettingsPanel {
    pub fn new(store: Option<SettingsStore>, saved: Settings) -> Self {
        Self {
            store,
            draft: Draft::of(&saved),
            saved,
            saving: false,
        }
    }
}

/// Resolves the S3 settings in effect for `settings` and the process environment.
pub fn effective_s3(settings: &S3Settings) -> S3Config {
    S3Config::resolve(settings, &|name| std::env::var(name).ok(), None)
}

impl PetalApp {
    pub(super) fn on_settings_saved(&mut self, settings: Settings, result: Result<(), String>) {
        self.settings.saving = false;
        match result {
            Ok(()) => {
                self.remote.s3 = effective_s3(&settings.s3);
                self.remote.mlflow = crate::mlflow::MlflowConfig::from_env(&settings.mlflow, None);
                self.runs.forget_connection();
                self.settings.saved = settings;
                self.bucket.opened = false;
                let path = self
                    .settings
                    .store
                    .as_ref()
                    .map(|s| s.path().display().to_string());
                self.notices.info(format!(
                    "Saved the settings to {}.",
                    path.unwrap_or_default()
                ));
            }
            Err(error) => self.notices.error(error),
        }
    }
}

pub fn show(app: &mut PetalApp, ui: &mut egui::Ui) {
    egui::CentralPanel::default().show(ui, |ui| {
        egui::ScrollArea::vertical().show(ui, |ui| {
            ui.heading("Settings");
            match &app.settings.store {
                Some(store) => ui.weak(format!("Saved in {}", store.path().display())),
                None => ui.weak("This platform has no config folder; set PETAL_CONFIG_DIR."),
            };
            ui.label(
                "Environment variables override these values. Credentials are never stored \
                 here: Petal reads them from the AWS credential chain and MLflow's variables.",
            );
            ui.add_space(8.0);
            let draft = app.settings.draft.to_settings(&app.settings.saved);
            let effective = effective_s3(&draft.s3);
            s3_fields(ui, &mut app.settings.draft, &effective);
            ui.add_space(8.0);
            mlflow_fields(ui, &mut app.settings.draft);
            ui.add_space(8.0);
            buttons(app, ui, draft);
        });
    });
}

fn s3_fields(ui: &mut egui::Ui, draft: &mut Draft, effective: &S3Config) {
    ui.strong("S3");
    egui::Grid::new("s3-settings")
        .num_columns(3)
        .spacing([12.0, 6.0])
        .show(ui, |ui| {
            let in_effect = |setting: &Option<crate::settings::Setting<String>>| {
                setting.as_ref().map(|s| (s.value.clone(), s.origin))
            };
            field(
                ui,
                "Bucket",
                &mut draft.bucket,
                in_effect(&effective.bucket),
            );
            field(
                ui,
                "Region",
                &mut draft.region,
                in_effect(&effective.region),
            );
            field(
                ui,
                "Profile",
                &mut draft.profile,
                in_effect(&effective.profile),
            );
            field(
                ui,
                "Endpoint URL",
                &mut draft.endpoint_url,
                in_effect(&effective.endpoint_url),
            );
            let prefix = &effective.model_prefix;
            field(
                ui,
                "Model prefix",
                &mut draft.model_prefix,
                Some((prefix.value.clone(), prefix.origin)),
            );
            ui.label("Path-style addressing");
            egui::ComboBox::from_id_salt("path-style")
                .selected_text(match draft.path_style {
                    None => "automatic",
                    Some(true) => "on",
                    Some(false) => "off",
                })
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut draft.path_style, None, "automatic");
                    ui.selectable_value(&mut draft.path_style, Some(true), "on");
                    ui.selectable_value(&mut draft.path_style, Some(false), "off");
                });
            let style = &effective.path_style;
            let state = if style.value { "on" } else { "off" };
            ui.weak(format!("in effect: {state} ({})", style.origin));
            ui.end_row();
        });
}

fn mlflow_fields(ui: &mut egui::Ui, draft: &mut Draft) {
    ui.strong("MLflow");
    let env = |name: &'static str| {
        std::env::var(name)
            .ok()
            .filter(|v| !v.is_empty())
            .map(|v| (v, Origin::Env(name)))
    };
    egui::Grid::new("mlflow-settings")
        .num_columns(3)
        .spacing([12.0, 6.0])
        .show(ui, |ui| {
            let file = |text: &str| {
                Some(text.trim().to_string())
                    .filter(|t| !t.is_empty())
                    .map(|v| (v, Origin::File))
            };
            let uri = env("MLFLOW_TRACKING_URI").or_else(|| file(&draft.tracking_uri));
            field(ui, "Tracking URI", &mut draft.tracking_uri, uri);
            let experiment = env("MLFLOW_EXPERIMENT_NAME").or_else(|| file(&draft.experiment_name));
            field(ui, "Experiment", &mut draft.experiment_name, experiment);
        });
}

/// Draws one row: the name, the file's value, and the value in effect.
fn field(ui: &mut egui::Ui, name: &str, value: &mut String, effective: Option<(String, Origin)>) {
    ui.label(name);
    ui.add(
        egui::TextEdit::singleline(value)
            .hint_text("unset")
            .desired_width(320.0),
    );
    match effective {
        Some((value, origin)) => ui.weak(format!("in effect: {value} ({origin})")),
        None => ui.weak("in effect: unset"),
    };
    ui.end_row();
}

fn buttons(app: &mut PetalApp, ui: &mut egui::Ui, draft: Settings) {
    let changed = draft != app.settings.saved;
    ui.horizontal(|ui| {
        let can_save = changed && !app.settings.saving && app.settings.store.is_some();
        if ui
            .add_enabled(can_save, egui::Button::new("Save"))
            .clicked()
        {
            if let Some(store) = app.settings.store.clone() {
                app.settings.saving = true;
                app.jobs.save_settings(store, draft);
            }
        }
        if ui
            .add_enabled(changed, egui::Button::new("Revert"))
            .clicked()
        {
            app.settings.draft = Draft::of(&app.settings.saved);
        }
        if app.settings.saving {
            ui.spinner();
        }
    });
}
