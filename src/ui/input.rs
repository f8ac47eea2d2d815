//! Dropped files, pasted paths and images, and keyboard shortcuts.

use std::path::PathBuf;

use eframe::egui::{self, Key, KeyboardShortcut, Modifiers};
use image::RgbImage;

use super::app::PetalApp;
use super::dialogs;
use super::prefs::Panel;

/// Extensions offered by the "Add photos" dialog.
pub const PHOTO_FILTER: [&str; 12] = [
    "jpg", "jpeg", "jpe", "jfif", "png", "gif", "webp", "bmp", "tif", "tiff", "JPG", "JPEG",
];

pub const OPEN_SHORTCUT: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::O);

impl PetalApp {
    pub(super) fn handle_input(&mut self, ctx: &egui::Context, frame: &eframe::Frame) {
        let dropped: Vec<PathBuf> = ctx.input(|input| {
            let files = input.raw.dropped_files.iter();
            files.map(|file| file.path().to_path_buf()).collect()
        });
        self.add_paths(dropped);
        self.handle_paste(ctx);
        self.handle_keys(ctx, frame);
    }

    fn handle_paste(&mut self, ctx: &egui::Context) {
        if ctx.egui_wants_keyboard_input() {
            return; // The paste goes into the focused text field.
        }
        let events = ctx.input(|input| input.events.clone());
        for event in events {
            match event {
                egui::Event::Paste(text) => self.paste_paths(&text),
                egui::Event::PasteImage(image) => {
                    let [width, height] = image.size;
                    let limit = crate::imaging::DecodeLimits::default().max_pixels;
                    if (width as u64).saturating_mul(height as u64) > limit {
                        self.notices.error(format!(
                            "The pasted image is {width} × {height} pixels, more than the \
                             {limit}-pixel limit; paste a smaller image."
                        ));
                        continue;
                    }
                    let id = self.photos.add_pixels(flatten(&image));
                    self.select(Some(id));
                    self.queue_waiting(&[id]);
                }
                _ => {}
            }
        }
    }

    /// Adds the paths in pasted text, one per line; other text is ignored.
    fn paste_paths(&mut self, text: &str) {
        let lines = text.lines().filter(|line| !line.trim().is_empty()).count();
        let paths = pasted_paths(text);
        let ignored = lines - paths.len();
        if paths.is_empty() {
            self.notices
                .info("The pasted text contains no path to an existing photo or folder.");
        } else if ignored > 0 {
            self.notices.info(format!(
                "Ignored {ignored} pasted lines that are not paths to existing files or folders."
            ));
        }
        self.add_paths(paths);
    }

    fn handle_keys(&mut self, ctx: &egui::Context, frame: &eframe::Frame) {
        if ctx.input_mut(|input| input.consume_shortcut(&OPEN_SHORTCUT)) {
            dialogs::pick_photos(&self.jobs, frame);
        }
        if ctx.input_mut(|input| input.consume_key(Modifiers::NONE, Key::Escape))
            && self.batch.is_running()
        {
            self.cancel_batch();
        }
        if ctx.egui_wants_keyboard_input() {
            return;
        }
        let row = match self.prefs.panel {
            Panel::Photos => self.gallery_columns.max(1) as isize,
            Panel::Results | Panel::Model | Panel::Runs | Panel::Settings => 1,
        };
        let pressed = |key| ctx.input_mut(|input| input.consume_key(Modifiers::NONE, key));
        let step = [
            (Key::ArrowLeft, -1),
            (Key::ArrowRight, 1),
            (Key::ArrowUp, -row),
            (Key::ArrowDown, row),
        ]
        .into_iter()
        .find_map(|(key, step)| pressed(key).then_some(step));
        if let Some(step) = step {
            self.move_selection(step);
        }
        if pressed(Key::Delete) {
            self.remove_selected();
        }
    }
}

/// Existing paths in pasted text, one per line, as file managers copy
/// them: plain, quoted, or as `file://` URLs.
pub fn pasted_paths(text: &str) -> Vec<PathBuf> {
    text.lines()
        .map(|line| line.trim().trim_matches(['"', '\'']))
        .filter(|line| !line.is_empty())
        .map(|line| match line.strip_prefix("file://") {
            Some(rest) => PathBuf::from(percent_decode(rest)),
            None => PathBuf::from(line),
        })
        .filter(|path| path.exists())
        .collect()
}

/// Decodes `%20`-style escapes in a `file://` URL; bad escapes stay as they are.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let escaped = bytes
            .get(index + 1..index + 3)
            .filter(|_| bytes[index] == b'%')
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                index += 3;
            }
            None => {
                out.push(bytes[index]);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Converts a pasted image to RGB, compositing transparency over white as
/// for files.
fn flatten(image: &egui::ColorImage) -> RgbImage {
    let [width, height] = image.size;
    let mut rgb = Vec::with_capacity(width * height * 3);
    for pixel in &image.pixels {
        let [r, g, b, a] = pixel.to_srgba_unmultiplied();
        let alpha = u16::from(a);
        let over_white = |c: u8| ((u16::from(c) * alpha + 255 * (255 - alpha) + 127) / 255) as u8;
        rgb.extend([over_white(r), over_white(g), over_white(b)]);
    }
    let (width, height) = (width as u32, height as u32);
    RgbImage::from_raw(width, height, rgb).unwrap_or_else(|| RgbImage::new(1, 1))
}

/// Draws what dropping does while files hover over the window.
pub fn show_drop_hint(ctx: &egui::Context) {
    let hovering = ctx.input(|input| !input.raw.hovered_files.is_empty());
    if !hovering {
        return;
    }
    let layer = egui::LayerId::new(egui::Order::Foreground, egui::Id::unique("drop-hint"));
    let painter = ctx.layer_painter(layer);
    let screen = ctx.content_rect();
    painter.rect_filled(screen, 0.0, egui::Color32::from_black_alpha(160));
    painter.text(
        screen.center(),
        egui::Align2::CENTER_CENTER,
        "Drop photos or folders to classify them,\nor an .onnx file to use it as the model",
        egui::FontId::proportional(22.0),
        egui::Color32::WHITE,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pasted_text_keeps_existing_paths_only() {
        let folder = tempfile::tempdir().expect("temporary folder");
        let photo = folder.path().join("wild rose.jpg");
        std::fs::write(&photo, b"x").expect("write");
        let url = format!("file://{}", photo.display()).replace(' ', "%20");
        let text = format!("{url}\n\"{}\"\nnot a path\n", photo.display());
        assert_eq!(pasted_paths(&text), vec![photo.clone(), photo]);
    }

    #[test]
    fn transparent_pasted_pixels_become_white() {
        let image = egui::ColorImage::new([1, 1], vec![egui::Color32::TRANSPARENT]);
        assert_eq!(
            flatten(&image).get_pixel(0, 0),
            &image::Rgb([255, 255, 255])
        );
    }
}
