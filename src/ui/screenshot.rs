//! Saving a picture of the window once the photos are classified.

use std::path::PathBuf;

use eframe::egui;

use super::app::PetalApp;

/// Frames drawn after the app went idle before the picture is taken, so
/// that textures uploaded in the last frame are on screen.
const SETTLE_FRAMES: u32 = 5;

pub struct Screenshot {
    path: PathBuf,
    idle_frames: u32,
    requested: bool,
}

impl Screenshot {
    pub fn new(path: PathBuf) -> Self {
        Self {
            path,
            idle_frames: 0,
            requested: false,
        }
    }
}

impl PetalApp {
    pub(super) fn take_screenshot_when_ready(&mut self, ctx: &egui::Context) {
        let ready = self.is_idle() && self.preview.is_ready();
        let Some(screenshot) = &mut self.screenshot else {
            return;
        };
        if screenshot.requested {
            return;
        }
        if !ready {
            screenshot.idle_frames = 0;
            return;
        }
        screenshot.idle_frames += 1;
        if screenshot.idle_frames < SETTLE_FRAMES {
            ctx.request_repaint();
            return;
        }
        screenshot.requested = true;
        let path = screenshot.path.clone();
        let saver = self.jobs.spawner();
        ctx.request_screenshot(move |image| saver.save_screenshot(path, image));
        ctx.request_repaint();
    }

    pub(super) fn on_screenshot_saved(
        &mut self,
        ctx: &egui::Context,
        path: &std::path::Path,
        result: Result<(), String>,
    ) {
        match result {
            Ok(()) => println!("saved {}", path.display()),
            Err(error) => eprintln!("error: {error}"),
        }
        ctx.send_viewport_cmd(egui::ViewportCommand::Close);
    }
}
