//! The photo grid: a thumbnail and the top species for each photo.

use eframe::egui::{self, Align, Layout, Role, Sense, UiBuilder, Vec2};

use super::app::PetalApp;
use super::dialogs;
use super::photos::{PhotoEntry, PhotoState};
use crate::verdict::percent;

const CELL: Vec2 = Vec2::new(180.0, 200.0);
const THUMBNAIL_BOX: Vec2 = Vec2::new(164.0, 124.0);

/// Scroll position of the grid at the last frame: offset and visible height.
#[derive(Debug, Default, Clone, Copy)]
pub struct GridView {
    offset: f32,
    height: f32,
    /// Set after the first frame; until then the grid starts at the top,
    /// whatever offset egui remembered from the last run.
    drawn: bool,
}

pub fn show(app: &mut PetalApp, ui: &mut egui::Ui, frame: &eframe::Frame) {
    egui::CentralPanel::default().show(ui, |ui| {
        if app.photos.is_empty() {
            empty_state(app, ui, frame);
        } else {
            grid(app, ui);
        }
    });
}

fn empty_state(app: &mut PetalApp, ui: &mut egui::Ui, frame: &eframe::Frame) {
    ui.vertical_centered(|ui| {
        ui.add_space(ui.available_height() * 0.3);
        ui.heading("Drop photos or folders here");
        ui.label("Petal names the flower species in each photo, offline.");
        ui.add_space(12.0);
        ui.horizontal(|ui| {
            // Centre the two buttons as a pair.
            ui.add_space((ui.available_width() - 220.0).max(0.0) / 2.0);
            if ui.button("Add photos…").clicked() {
                dialogs::pick_photos(&app.jobs, frame);
            }
            if ui.button("Add folder…").clicked() {
                dialogs::pick_folder(&app.jobs, frame);
            }
        });
        ui.add_space(8.0);
        ui.weak("You can also paste an image, or a file path, with Ctrl+V.");
    });
}

fn grid(app: &mut PetalApp, ui: &mut egui::Ui) {
    let spacing = ui.spacing().item_spacing;
    let columns = ((ui.available_width() + spacing.x) / (CELL.x + spacing.x)).floor() as usize;
    let columns = columns.max(1);
    app.gallery_columns = columns;
    let rows = app.photos.len().div_ceil(columns);
    let mut scroll = egui::ScrollArea::vertical().auto_shrink([false, false]);
    if let Some(offset) = reveal_offset(app, columns, spacing.y) {
        scroll = scroll.vertical_scroll_offset(offset);
    } else if !app.gallery_view.drawn {
        scroll = scroll.vertical_scroll_offset(0.0);
    }
    let mut clicked = None;
    let output = scroll.show_rows(ui, CELL.y, rows, |ui, visible| {
        for row in visible {
            ui.horizontal(|ui| {
                let start = row * columns;
                let end = (start + columns).min(app.photos.len());
                for entry in &app.photos.entries()[start..end] {
                    let selected = app.selected == Some(entry.id);
                    if cell(ui, entry, selected).clicked() {
                        clicked = Some(entry.id);
                    }
                }
            });
        }
    });
    app.gallery_view = GridView {
        offset: output.state.clamped_offset().y,
        height: output.inner_rect.height(),
        drawn: true,
    };
    if clicked.is_some() {
        app.select(clicked);
    }
}

/// Computes the scroll offset that brings the selected photo into view
/// after the keyboard moved the selection out of it.
fn reveal_offset(app: &mut PetalApp, columns: usize, gap: f32) -> Option<f32> {
    if !std::mem::take(&mut app.reveal_selected) {
        return None;
    }
    let position = app.photos.position(app.selected?)?;
    let row_height = CELL.y + gap;
    let top = (position / columns) as f32 * row_height;
    let view = app.gallery_view;
    if top < view.offset {
        Some(top)
    } else if top + row_height > view.offset + view.height {
        Some(top + row_height - view.height)
    } else {
        None
    }
}

fn cell(ui: &mut egui::Ui, entry: &PhotoEntry, selected: bool) -> egui::Response {
    let (rect, response) = ui.allocate_exact_size(CELL, Sense::click());
    let visuals = ui.style().interact_selectable(&response, selected);
    if selected || response.hovered() {
        ui.painter()
            .rect_filled(rect, visuals.corner_radius, visuals.weak_bg_fill);
    }
    let mut content = ui.new_child(
        UiBuilder::new()
            .max_rect(rect.shrink(6.0))
            .layout(Layout::top_down(Align::Center)),
    );
    thumbnail(&mut content, entry);
    content.add(
        egui::Label::new(egui::RichText::new(&entry.name).small())
            .truncate()
            .selectable(false),
    );
    summary(&mut content, entry);
    response.widget_info(|| egui::WidgetInfo::labeled(Role::Button, true, &entry.name));
    match &entry.state {
        PhotoState::Failed(error) => response.on_hover_text(error),
        _ => response.on_hover_text(entry.location()),
    }
}

fn thumbnail(ui: &mut egui::Ui, entry: &PhotoEntry) {
    let (rect, _) = ui.allocate_exact_size(THUMBNAIL_BOX, Sense::hover());
    match &entry.thumbnail {
        Some(texture) => {
            let size = texture.size_vec2();
            let scale = (rect.width() / size.x).min(rect.height() / size.y);
            let shown = egui::Rect::from_center_size(rect.center(), size * scale);
            let image = egui::Image::new(texture).fit_to_exact_size(shown.size());
            image.paint_at(ui, shown);
        }
        None => {
            ui.painter()
                .rect_filled(rect, 4.0, ui.visuals().extreme_bg_color);
        }
    }
}

/// Two short lines under the thumbnail: the species and how sure.
fn summary(ui: &mut egui::Ui, entry: &PhotoEntry) {
    let plain = |ui: &mut egui::Ui, text: egui::RichText| {
        ui.add(egui::Label::new(text).truncate().selectable(false));
    };
    match &entry.state {
        PhotoState::Waiting => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.weak("Waiting");
            });
        }
        PhotoState::Done(_) => {
            let Some(verdict) = entry.verdict() else {
                plain(ui, egui::RichText::new("No species"));
                return;
            };
            let first = verdict.first();
            plain(ui, egui::RichText::new(&first.label).strong());
            if verdict.is_uncertain() {
                let text = format!("Uncertain · {}", percent(first));
                plain(
                    ui,
                    egui::RichText::new(text).color(ui.visuals().warn_fg_color),
                );
            } else {
                plain(ui, egui::RichText::new(percent(first)));
            }
        }
        PhotoState::Failed(error) => {
            let color = ui.visuals().error_fg_color;
            plain(ui, egui::RichText::new("Cannot classify").color(color));
            plain(ui, egui::RichText::new(error).small());
        }
        PhotoState::Cancelled => plain(ui, egui::RichText::new("Cancelled").weak()),
    }
}
