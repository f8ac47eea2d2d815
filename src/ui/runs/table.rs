//! The runs table: filter, sort, chosen columns, paging and the ticks that
//! pick runs to compare.

use std::collections::BTreeSet;

use eframe::egui;
use egui_extras::{Column, TableBuilder};

use super::super::app::PetalApp;
use crate::mlflow::{MlflowError, Page, Run, RunsQuery};

/// Runs fetched per page; "Load more" fetches the next.
pub const PAGE_SIZE: u32 = 100;

/// A column the user added beside the fixed ones.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum ValueColumn {
    Param(String),
    Metric(String),
}

/// The column the server sorts the runs by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SortKey {
    Name,
    Status,
    StartTime,
    Value(ValueColumn),
}

impl SortKey {
    /// Returns MLflow's `order_by` clause for this key.
    fn order_by(&self, descending: bool) -> String {
        let field = match self {
            SortKey::Name => "attributes.run_name".to_string(),
            SortKey::Status => "attributes.status".to_string(),
            SortKey::StartTime => "attributes.start_time".to_string(),
            SortKey::Value(ValueColumn::Param(key)) => format!("params.`{key}`"),
            SortKey::Value(ValueColumn::Metric(key)) => format!("metrics.`{key}`"),
        };
        let direction = if descending { "DESC" } else { "ASC" };
        format!("{field} {direction}")
    }
}

/// State of the runs table. A query change bumps `generation`, and pages
/// that arrive for an older generation are dropped.
pub struct RunsTable {
    /// The filter being typed; applied on Enter.
    pub filter_text: String,
    /// The query of the rows shown.
    pub query: RunsQuery,
    /// Counts query changes.
    pub generation: u64,
    pub rows: Vec<Run>,
    /// Token of the next page; `None` once the last page arrived.
    pub next_token: Option<String>,
    /// A page request of this generation is on its way.
    pub loading: bool,
    /// The server's message about the last filter.
    pub filter_error: Option<String>,
    pub sort: SortKey,
    pub descending: bool,
    /// Parameter and metric columns shown, in the order chosen.
    pub columns: Vec<ValueColumn>,
    /// Ticked runs, overlaid in the charts.
    pub compared: BTreeSet<String>,
    /// The run shown in the detail view.
    pub selected: Option<String>,
}

impl Default for RunsTable {
    fn default() -> Self {
        Self {
            filter_text: String::new(),
            query: RunsQuery::default(),
            generation: 0,
            rows: Vec::new(),
            next_token: None,
            loading: false,
            filter_error: None,
            sort: SortKey::StartTime,
            descending: true,
            columns: Vec::new(),
            compared: BTreeSet::new(),
            selected: None,
        }
    }
}

impl RunsTable {
    /// Starts a new listing: a new generation with no rows and no token.
    pub fn restart(&mut self, experiment_id: &str) -> RunsQuery {
        self.generation += 1;
        self.rows.clear();
        self.next_token = None;
        self.loading = true;
        self.filter_error = None;
        self.query = RunsQuery {
            experiment_ids: vec![experiment_id.to_string()],
            filter: self.filter_text.trim().to_string(),
            order_by: vec![self.sort.order_by(self.descending)],
            page_size: PAGE_SIZE,
            include_deleted: false,
        };
        self.query.clone()
    }

    /// Applies a page; returns the error for the caller when it was not
    /// about the filter. A page of an older generation is ignored.
    pub fn receive(
        &mut self,
        generation: u64,
        result: Result<Page<Run>, MlflowError>,
    ) -> Result<bool, MlflowError> {
        if generation != self.generation {
            return Ok(false);
        }
        self.loading = false;
        match result {
            Ok(page) => {
                self.rows.extend(page.items);
                self.next_token = page.next_page_token.filter(|token| !token.is_empty());
                Ok(true)
            }
            Err(MlflowError::Server { message, .. }) if !self.query.filter.is_empty() => {
                self.filter_error = Some(message);
                Ok(false)
            }
            Err(error) => Err(error),
        }
    }

    /// Returns the run with `run_id` among the rows.
    pub fn run(&self, run_id: &str) -> Option<&Run> {
        self.rows.iter().find(|run| run.info.run_id == run_id)
    }

    /// Parameter and metric keys seen in the loaded rows.
    fn keys_seen(&self) -> BTreeSet<ValueColumn> {
        let mut keys = BTreeSet::new();
        for run in &self.rows {
            for param in &run.data.params {
                keys.insert(ValueColumn::Param(param.key.clone()));
            }
            for metric in &run.data.metrics {
                keys.insert(ValueColumn::Metric(metric.key.clone()));
            }
        }
        keys
    }
}

impl PetalApp {
    /// Lists the selected experiment's runs from the first page.
    pub(in crate::ui) fn start_runs_query(&mut self) {
        let (Some(client), Some(experiment)) =
            (self.runs.client.clone(), self.runs.experiment_id.clone())
        else {
            return;
        };
        let query = self.runs.table.restart(&experiment);
        let generation = self.runs.table.generation;
        self.jobs.mlflow_runs_page(client, query, None, generation);
    }

    /// Fetches the page after the last one shown.
    fn load_more_runs(&mut self) {
        let table = &mut self.runs.table;
        let (Some(client), Some(token)) = (self.runs.client.clone(), table.next_token.clone())
        else {
            return;
        };
        table.loading = true;
        let query = table.query.clone();
        self.jobs
            .mlflow_runs_page(client, query, Some(token), table.generation);
    }
}

/// Draws the filter box, the column picker, the table and "Load more".
pub fn show(app: &mut PetalApp, ui: &mut egui::Ui) {
    let mut restart = false;
    ui.horizontal(|ui| {
        let label = ui.label("Filter");
        let edit = egui::TextEdit::singleline(&mut app.runs.table.filter_text)
            .hint_text("metrics.val_accuracy > 0.9 and params.epochs = '10'")
            .desired_width(360.0);
        let response = ui.add(edit).labelled_by(label.id);
        if response.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
            restart = true;
        }
        if ui.button("Apply").clicked() {
            restart = true;
        }
        columns_menu(ui, &mut app.runs.table);
        if let Some(message) = &app.runs.table.filter_error {
            ui.colored_label(ui.visuals().error_fg_color, message);
        }
    });
    if table_ui(ui, &mut app.runs.table) {
        restart = true;
    }
    let table = &app.runs.table;
    let mut more = false;
    ui.horizontal(|ui| {
        let count = table.rows.len();
        ui.label(format!("{count} runs shown"));
        if table.loading {
            ui.spinner();
        } else if table.next_token.is_some() {
            more = ui.button("Load more").clicked();
        }
    });
    if restart && !app.runs.offline_shown() {
        app.start_runs_query();
    }
    if more {
        app.load_more_runs();
    }
}

fn columns_menu(ui: &mut egui::Ui, table: &mut RunsTable) {
    ui.menu_button("Columns", |ui| {
        let keys = table.keys_seen();
        if keys.is_empty() {
            ui.weak("No parameters or metrics in the runs shown.");
        }
        for key in keys {
            let mut shown = table.columns.contains(&key);
            if ui.checkbox(&mut shown, column_title(&key)).changed() {
                if shown {
                    table.columns.push(key);
                } else {
                    table.columns.retain(|column| *column != key);
                }
            }
        }
    });
}

fn column_title(column: &ValueColumn) -> String {
    match column {
        ValueColumn::Param(key) => format!("params.{key}"),
        ValueColumn::Metric(key) => format!("metrics.{key}"),
    }
}

/// Draws the table; returns true when a header click changed the order.
fn table_ui(ui: &mut egui::Ui, table: &mut RunsTable) -> bool {
    let mut sort_by = None;
    let extra = table.columns.clone();
    let mut builder = TableBuilder::new(ui)
        .id_salt("runs-table")
        .striped(true)
        .resizable(true)
        .max_scroll_height(260.0)
        .column(Column::auto())
        .column(Column::initial(180.0).at_least(60.0))
        .columns(Column::auto().at_least(70.0), 3);
    for _ in &extra {
        builder = builder.column(Column::auto().at_least(70.0));
    }
    builder
        .header(20.0, |mut header| {
            header.col(|ui| {
                ui.strong("Compare");
            });
            let fixed = [
                ("Name", Some(SortKey::Name)),
                ("Status", Some(SortKey::Status)),
                ("Start", Some(SortKey::StartTime)),
                ("Duration", None),
            ];
            for (title, key) in fixed {
                header.col(|ui| sort_header(ui, table, title, key, &mut sort_by));
            }
            for column in &extra {
                let key = Some(SortKey::Value(column.clone()));
                header.col(|ui| sort_header(ui, table, &column_title(column), key, &mut sort_by));
            }
        })
        .body(|body| {
            body.rows(20.0, table.rows.len(), |mut row| {
                let index = row.index();
                row_ui(&mut row, table, index, &extra);
            });
        });
    match sort_by {
        Some(key) => {
            table.descending = table.sort != key || !table.descending;
            table.sort = key;
            true
        }
        None => false,
    }
}

fn sort_header(
    ui: &mut egui::Ui,
    table: &RunsTable,
    title: &str,
    key: Option<SortKey>,
    sort_by: &mut Option<SortKey>,
) {
    let Some(key) = key else {
        ui.strong(title);
        return;
    };
    let text = match (table.sort == key, table.descending) {
        (true, true) => format!("{title} (desc)"),
        (true, false) => format!("{title} (asc)"),
        (false, _) => title.to_string(),
    };
    if ui.button(text).clicked() {
        *sort_by = Some(key);
    }
}

fn row_ui(
    row: &mut egui_extras::TableRow<'_, '_>,
    table: &mut RunsTable,
    index: usize,
    extra: &[ValueColumn],
) {
    let Some(run) = table.rows.get(index) else {
        return;
    };
    let run_id = run.info.run_id.clone();
    let name = display_name(run);
    let status = format!("{:?}", run.info.status);
    let start = format_time(run.info.start_time);
    let duration = run
        .info
        .duration_ms()
        .map(format_duration)
        .unwrap_or_default();
    let values: Vec<String> = extra.iter().map(|column| value_text(run, column)).collect();
    row.col(|ui| {
        let mut ticked = table.compared.contains(&run_id);
        if ui.checkbox(&mut ticked, "").changed() {
            if ticked {
                table.compared.insert(run_id.clone());
            } else {
                table.compared.remove(&run_id);
            }
        }
    });
    row.col(|ui| {
        let selected = table.selected.as_deref() == Some(run_id.as_str());
        if ui.selectable_label(selected, &name).clicked() {
            table.selected = Some(run_id.clone());
        }
    });
    for text in [status, start, duration].iter().chain(&values) {
        row.col(|ui| {
            ui.label(text);
        });
    }
}

/// Returns the run's name, or its id when it has none.
pub fn display_name(run: &Run) -> String {
    if run.info.run_name.is_empty() {
        run.info.run_id.clone()
    } else {
        run.info.run_name.clone()
    }
}

fn value_text(run: &Run, column: &ValueColumn) -> String {
    match column {
        ValueColumn::Param(key) => run.param(key).unwrap_or_default().to_string(),
        ValueColumn::Metric(key) => run.metric(key).map(format_value).unwrap_or_default(),
    }
}

/// Formats a metric value with four significant decimals.
pub fn format_value(value: f64) -> String {
    if value.is_finite() {
        format!("{value:.4}")
    } else {
        value.to_string()
    }
}

/// Formats milliseconds since the Unix epoch as UTC date and time.
pub fn format_time(millis: Option<i64>) -> String {
    let Some(millis) = millis else {
        return String::new();
    };
    let seconds = millis.div_euclid(1000);
    let days = seconds.div_euclid(86_400);
    let of_day = seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60
    )
}

/// Converts days since 1970-01-01 to a proleptic Gregorian date
/// (Howard Hinnant's `civil_from_days` algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Formats a duration in milliseconds as "1h 02m", "3m 05s" or "4.2 s".
pub fn format_duration(millis: i64) -> String {
    let seconds = millis / 1000;
    match seconds {
        s if s >= 3600 => format!("{}h {:02}m", s / 3600, s % 3600 / 60),
        s if s >= 60 => format!("{}m {:02}s", s / 60, s % 60),
        _ => format!("{:.1} s", millis as f64 / 1000.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_formatted_in_utc() {
        assert_eq!(format_time(Some(0)), "1970-01-01 00:00:00 UTC");
        assert_eq!(
            format_time(Some(1_709_210_096_000)),
            "2024-02-29 12:34:56 UTC"
        );
    }

    #[test]
    fn durations_formatted() {
        assert_eq!(format_duration(4200), "4.2 s");
        assert_eq!(format_duration(185_000), "3m 05s");
        assert_eq!(format_duration(3_720_000), "1h 02m");
    }

    #[test]
    fn stale_page_dropped() {
        let mut table = RunsTable::default();
        table.restart("1");
        let old = table.generation;
        table.restart("2");
        let page = Page {
            items: vec![Run::default()],
            next_page_token: Some("next".to_string()),
        };
        assert!(!table.receive(old, Ok(page)).expect("no error"));
        assert!(table.rows.is_empty());
        assert!(table.next_token.is_none());
    }

    #[test]
    fn restart_resets_token() {
        let mut table = RunsTable::default();
        table.restart("1");
        let page = Page {
            items: vec![Run::default()],
            next_page_token: Some("next".to_string()),
        };
        table.receive(table.generation, Ok(page)).expect("no error");
        assert_eq!(table.next_token.as_deref(), Some("next"));
        table.filter_text = "metrics.loss < 1".to_string();
        let query = table.restart("1");
        assert_eq!(query.filter, "metrics.loss < 1");
        assert!(table.next_token.is_none());
        assert!(table.rows.is_empty());
    }
}
