//! The large view of the selected photo, decoded in the background.

use eframe::egui;

use crate::jobs::{PhotoId, Picture};

/// The selected photo's large picture, or why it cannot be shown.
#[derive(Default)]
pub struct Preview {
    /// The photo whose picture was requested.
    requested: Option<PhotoId>,
    shown: Option<(PhotoId, Result<egui::TextureHandle, String>)>,
}

impl Preview {
    pub fn request(&mut self, id: PhotoId) {
        self.requested = Some(id);
    }

    pub fn clear(&mut self) {
        *self = Preview::default();
    }

    /// Takes a decoded picture; pictures for other photos are dropped.
    pub fn receive(&mut self, ctx: &egui::Context, id: PhotoId, result: Result<Picture, String>) {
        if self.requested != Some(id) {
            return;
        }
        let texture = result.map(|picture| {
            let image = egui::ColorImage::from_rgba_unmultiplied(picture.size, &picture.rgba);
            ctx.load_texture(format!("preview-{id}"), image, egui::TextureOptions::LINEAR)
        });
        self.shown = Some((id, texture));
    }

    /// Returns the picture for `id`, or `None` while it is being decoded.
    pub fn get(&self, id: PhotoId) -> Option<Result<&egui::TextureHandle, &str>> {
        match &self.shown {
            Some((shown, result)) if *shown == id => Some(result.as_ref().map_err(String::as_str)),
            _ => None,
        }
    }

    /// Returns true once the requested picture has arrived.
    pub fn is_ready(&self) -> bool {
        self.requested
            .is_none_or(|requested| self.shown.as_ref().is_some_and(|(id, _)| *id == requested))
    }
}
