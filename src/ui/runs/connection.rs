//! The tracking server's connection state, as the Runs panel shows it.

use eframe::egui;

use crate::mlflow::{MlflowConfig, MlflowError};
use crate::settings::Origin;

/// State of the connection to the tracking server.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Connection {
    /// Neither the settings file nor `MLFLOW_TRACKING_URI` names a server.
    #[default]
    NotConfigured,
    /// The first request is on its way.
    Connecting,
    Connected,
    /// The server did not respond in time or refused the connection.
    Unreachable(String),
    /// The server rejected the credentials, or there were none.
    Unauthorized(String),
    /// The server returned another error.
    Failed(String),
}

impl Connection {
    /// Classifies an error from a request that should have worked on any
    /// healthy server.
    pub fn from_error(error: &MlflowError) -> Self {
        match error {
            MlflowError::NotConfigured => Connection::NotConfigured,
            _ if error.is_offline() => Connection::Unreachable(error.to_string()),
            MlflowError::Unauthorized { .. } => Connection::Unauthorized(error.to_string()),
            _ => Connection::Failed(error.to_string()),
        }
    }

    /// True when requests cannot work until the user changes something.
    pub fn is_down(&self) -> bool {
        !matches!(self, Connection::Connecting | Connection::Connected)
    }
}

/// Draws the connection line: state, server and where its URL came from.
pub fn status_ui(ui: &mut egui::Ui, connection: &Connection, config: &MlflowConfig) -> bool {
    let mut reconnect = false;
    ui.horizontal_wrapped(|ui| {
        match (connection, &config.tracking_uri) {
            (Connection::NotConfigured, _) | (_, None) => {
                ui.strong("Not configured.");
                ui.label(
                    "Set the tracking URI in Settings, or set MLFLOW_TRACKING_URI before \
                     starting Petal.",
                );
            }
            (state, Some(uri)) => {
                state_ui(ui, state);
                ui.label(format!("{} ({})", uri.value, origin_text(&uri.origin)));
            }
        }
        if ui.button("Reconnect").clicked() {
            reconnect = true;
        }
    });
    if let Connection::Unreachable(message)
    | Connection::Unauthorized(message)
    | Connection::Failed(message) = connection
    {
        ui.colored_label(ui.visuals().error_fg_color, message);
    }
    reconnect
}

fn state_ui(ui: &mut egui::Ui, state: &Connection) {
    match state {
        Connection::Connecting => {
            ui.spinner();
            ui.strong("Connecting to");
        }
        Connection::Connected => {
            ui.strong("Connected to");
        }
        Connection::Unreachable(_) => {
            ui.colored_label(ui.visuals().error_fg_color, "Unreachable:");
        }
        Connection::Unauthorized(_) => {
            ui.colored_label(ui.visuals().error_fg_color, "Unauthorized:");
        }
        Connection::Failed(_) => {
            ui.colored_label(ui.visuals().error_fg_color, "Error from");
        }
        Connection::NotConfigured => {}
    }
}

fn origin_text(origin: &Origin) -> String {
    match origin {
        Origin::Env(name) => format!("from {name}, which overrides the settings file"),
        other => format!("from {other}"),
    }
}
