//! The desktop app, built with eframe and egui.
//!
//! [`PetalApp`] owns the state and draws it; each panel lives in its own
//! file as a function over the app. Slow work goes to [`crate::jobs`].

mod app;
mod batch;
mod bucket;
mod detail;
mod dialogs;
mod events;
mod gallery;
mod input;
mod model_panel;
mod notices;
mod photos;
mod prefs;
mod preview;
mod results;
pub(crate) mod runs;
mod screenshot;
mod settings_panel;
mod startup_probe;
mod status;
mod top_bar;

pub use app::{AppOptions, PetalApp};
pub use input::pasted_paths;
pub use photos::Tally;
pub use prefs::{Panel, Prefs};
pub use runs::{Connection, RunsPanel};

/// Application id: names the window class and the folder for window state.
pub const APP_ID: &str = "petal";

/// The window icon: a five-petal flower, drawn for Petal.
const ICON_PNG: &[u8] = include_bytes!("../../assets/icon.png");

/// Opens the window and runs until it is closed.
pub fn run(options: AppOptions) -> Result<(), String> {
    let viewport = eframe::egui::ViewportBuilder::default()
        .with_title("Petal")
        .with_app_id(APP_ID)
        .with_inner_size([1280.0, 800.0])
        .with_min_inner_size([640.0, 420.0]);
    let viewport = match eframe::icon_data::from_png_bytes(ICON_PNG) {
        Ok(icon) => viewport.with_icon(icon),
        Err(error) => {
            tracing::warn!(%error, "the window icon cannot be decoded");
            viewport
        }
    };
    let native = eframe::NativeOptions {
        viewport,
        // A screenshot shows the default window, not the user's last one.
        persist_window: options.screenshot.is_none(),
        ..Default::default()
    };
    eframe::run_native(
        "Petal",
        native,
        Box::new(|cc| Ok(Box::new(PetalApp::new(cc, options)))),
    )
    .map_err(|error| describe_start_error(&error))
}

fn describe_start_error(error: &eframe::Error) -> String {
    format!(
        "cannot open the window: {error}. Petal needs a graphical session with OpenGL \
         (on Linux, X11 or Wayland with Mesa drivers); `petal classify` works without one"
    )
}
