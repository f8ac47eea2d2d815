//! The Results panel: every photo in a sortable, filterable table.

use std::cmp::Ordering;

use eframe::egui::{self, RichText};
use egui_extras::{Column, TableBuilder};

use super::app::PetalApp;
use super::dialogs;
use super::photos::{PhotoEntry, PhotoList, PhotoState};
use crate::jobs::ExportRow;
use crate::verdict::percent;

/// Columns the table can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    /// The order photos were added in.
    #[default]
    Added,
    Path,
    Species,
    Confidence,
}

/// Filters and sort order of the results table.
#[derive(Debug, Default)]
pub struct ResultsView {
    pub sort: SortKey,
    pub descending: bool,
    /// Shows photos whose first or second species contains this text.
    pub species: String,
    pub uncertain_only: bool,
    pub failed_only: bool,
}

impl ResultsView {
    /// Positions in `photos` of the rows shown, in display order.
    pub fn rows(&self, photos: &PhotoList) -> Vec<usize> {
        let needle = self.species.trim().to_lowercase();
        let mut rows: Vec<usize> = (0..photos.len())
            .filter(|&index| self.keeps(&photos.entries()[index], &needle))
            .collect();
        let entries = photos.entries();
        rows.sort_by(|&a, &b| {
            let order = compare(&entries[a], &entries[b], self.sort).then(a.cmp(&b));
            if self.descending {
                order.reverse()
            } else {
                order
            }
        });
        rows
    }

    fn keeps(&self, entry: &PhotoEntry, needle: &str) -> bool {
        let failed = matches!(entry.state, PhotoState::Failed(_));
        if self.failed_only && !failed {
            return false;
        }
        if self.uncertain_only && !entry.is_uncertain() {
            return false;
        }
        if needle.is_empty() {
            return true;
        }
        let Some(analysis) = entry.analysis() else {
            return false;
        };
        let mut top_two = analysis.predictions.iter().take(2);
        top_two.any(|p| p.label.to_lowercase().contains(needle))
    }

    /// Returns the rows shown, in their order, as records to save.
    pub fn export_rows(&self, photos: &PhotoList) -> Vec<ExportRow> {
        let entries = photos.entries();
        let rows = self.rows(photos).into_iter().map(|index| &entries[index]);
        rows.map(export_row).collect()
    }

    fn toggle_sort(&mut self, key: SortKey) {
        if self.sort == key {
            self.descending = !self.descending;
        } else {
            self.sort = key;
            // Most confident first is the useful default for confidence.
            self.descending = key == SortKey::Confidence;
        }
    }
}

fn export_row(entry: &PhotoEntry) -> ExportRow {
    let path = std::path::PathBuf::from(entry.location());
    let (predictions, warning, error) = match &entry.state {
        PhotoState::Done(analysis) => {
            (analysis.predictions.clone(), analysis.warning.clone(), None)
        }
        PhotoState::Failed(error) => (Vec::new(), String::new(), Some(error.clone())),
        PhotoState::Waiting => (Vec::new(), String::new(), Some("not classified yet".into())),
        PhotoState::Cancelled => (Vec::new(), String::new(), Some("cancelled".into())),
    };
    ExportRow {
        path,
        predictions,
        warning,
        error,
    }
}

fn compare(a: &PhotoEntry, b: &PhotoEntry, key: SortKey) -> Ordering {
    match key {
        SortKey::Added => Ordering::Equal,
        SortKey::Path => a.location().cmp(&b.location()),
        SortKey::Species => top_label(a).cmp(&top_label(b)),
        SortKey::Confidence => top_probability(a).total_cmp(&top_probability(b)),
    }
}

fn top_label(entry: &PhotoEntry) -> Option<&str> {
    let analysis = entry.analysis()?;
    analysis.predictions.first().map(|p| p.label.as_str())
}

/// Photos without predictions sort below every classified one.
fn top_probability(entry: &PhotoEntry) -> f32 {
    let first = entry.analysis().and_then(|a| a.predictions.first());
    first.map_or(-1.0, |p| p.probability)
}

pub fn show(app: &mut PetalApp, ui: &mut egui::Ui, frame: &eframe::Frame) {
    egui::CentralPanel::default().show(ui, |ui| {
        let rows = app.results.rows(&app.photos);
        toolbar(app, ui, frame, rows.len());
        ui.separator();
        table(app, ui, &rows);
    });
}

fn toolbar(app: &mut PetalApp, ui: &mut egui::Ui, frame: &eframe::Frame, shown: usize) {
    ui.horizontal(|ui| {
        let view = &mut app.results;
        let filter = egui::TextEdit::singleline(&mut view.species)
            .hint_text("Filter by species")
            .desired_width(200.0);
        ui.add(filter);
        ui.checkbox(&mut view.uncertain_only, "Uncertain only");
        ui.checkbox(&mut view.failed_only, "Failed only");
        ui.label(format!("{shown} of {} photos", app.photos.len()));
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            let export = ui.add_enabled(shown > 0, egui::Button::new("Export…"));
            let export = export.on_hover_text("Save the rows shown, in this order, as CSV or JSON");
            if export.clicked() {
                dialogs::pick_export(&app.jobs, frame);
            }
        });
    });
}

fn table(app: &mut PetalApp, ui: &mut egui::Ui, rows: &[usize]) {
    let mut clicked = None;
    let mut open_photo = false;
    let mut sort_by = None;
    let header = |ui: &mut egui::Ui, title: &str, key: SortKey, view: &ResultsView| {
        let clicked = ui
            .button(RichText::new(title).strong())
            .on_hover_text("Sort by this column; click again to reverse")
            .clicked();
        if view.sort == key {
            sort_arrow(ui, view.descending);
        }
        clicked
    };
    TableBuilder::new(ui)
        .striped(true)
        .resizable(true)
        .sense(egui::Sense::click())
        .column(Column::initial(320.0).at_least(120.0).clip(true))
        .column(Column::initial(180.0).at_least(80.0).clip(true))
        .column(Column::initial(100.0).at_least(60.0))
        .column(Column::initial(180.0).at_least(80.0).clip(true))
        .column(Column::remainder().at_least(120.0).clip(true))
        .header(24.0, |mut row| {
            let view = &app.results;
            let columns = [
                ("Photo", SortKey::Path),
                ("Species", SortKey::Species),
                ("Confidence", SortKey::Confidence),
            ];
            for (title, key) in columns {
                row.col(|ui| {
                    if header(ui, title, key, view) {
                        sort_by = Some(key);
                    }
                });
            }
            row.col(|ui| {
                ui.strong("Second");
            });
            row.col(|ui| {
                ui.strong("Note");
            });
        })
        .body(|body| {
            body.rows(22.0, rows.len(), |mut row| {
                let entry = &app.photos.entries()[rows[row.index()]];
                row.set_selected(app.selected == Some(entry.id));
                table_row(&mut row, entry);
                let response = row.response();
                if response.clicked() {
                    clicked = Some(entry.id);
                }
                if response.double_clicked() {
                    open_photo = true;
                }
            });
        });
    if let Some(key) = sort_by {
        app.results.toggle_sort(key);
    }
    if clicked.is_some() {
        app.select(clicked);
    }
    if open_photo {
        app.prefs.panel = super::prefs::Panel::Photos;
        app.reveal_selected = true;
    }
}

/// Draws a small triangle that points up for ascending, down for descending.
fn sort_arrow(ui: &mut egui::Ui, descending: bool) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(10.0, 10.0), egui::Sense::hover());
    let (top, bottom) = (rect.top() + 2.0, rect.bottom() - 2.0);
    let (tip, base) = if descending {
        (bottom, top)
    } else {
        (top, bottom)
    };
    let points = vec![
        egui::pos2(rect.center().x, tip),
        egui::pos2(rect.left() + 1.0, base),
        egui::pos2(rect.right() - 1.0, base),
    ];
    let color = ui.visuals().strong_text_color();
    ui.painter().add(egui::Shape::convex_polygon(
        points,
        color,
        egui::Stroke::NONE,
    ));
}

fn table_row(row: &mut egui_extras::TableRow<'_, '_>, entry: &PhotoEntry) {
    let analysis = entry.analysis();
    let prediction = |rank: usize| analysis.and_then(|a| a.predictions.get(rank));
    row.col(|ui| {
        ui.add(
            egui::Label::new(entry.location())
                .truncate()
                .selectable(false),
        );
    });
    row.col(|ui| {
        ui.add(egui::Label::new(prediction(0).map_or("", |p| &p.label)).selectable(false));
    });
    row.col(|ui| {
        ui.add(egui::Label::new(prediction(0).map(percent).unwrap_or_default()).selectable(false));
    });
    row.col(|ui| {
        let second = prediction(1).map(|p| format!("{} ({})", p.label, percent(p)));
        ui.add(egui::Label::new(second.unwrap_or_default()).selectable(false));
    });
    row.col(|ui| note(ui, entry));
}

fn note(ui: &mut egui::Ui, entry: &PhotoEntry) {
    let visuals = ui.visuals().clone();
    let text = match &entry.state {
        PhotoState::Waiting => RichText::new("waiting").weak(),
        PhotoState::Cancelled => RichText::new("cancelled").weak(),
        PhotoState::Failed(error) => RichText::new(error).color(visuals.error_fg_color),
        PhotoState::Done(_) if entry.is_uncertain() => {
            RichText::new("uncertain").color(visuals.warn_fg_color)
        }
        PhotoState::Done(analysis) => RichText::new(&analysis.warning).weak(),
    };
    ui.add(egui::Label::new(text).truncate().selectable(false));
}
