//! Files dropped on the app's window in UI tests.

use std::path::{Path, PathBuf};

use eframe::egui;

/// A file dropped on the window, as the windowing layer delivers it.
#[derive(Debug)]
pub struct Dropped(pub PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &Path {
        &self.0
    }

    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|error| error.to_string())
    }
}
