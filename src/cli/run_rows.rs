//! Runs as rows of text for `petal runs list`: one column each for the
//! id, name, status, start time, duration, parameters and latest metrics,
//! written as an aligned table, JSON, JSON Lines or CSV.

use std::collections::BTreeSet;
use std::io::{self, Write};

use serde_json::{json, Map, Value};

use crate::mlflow::Run;

/// Output format of `petal runs` and `petal experiments`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ListFormat {
    /// Aligned columns, for people.
    #[default]
    Table,
    /// One JSON array.
    Json,
    /// One JSON object per line.
    Jsonl,
    /// Comma-separated values with a header.
    Csv,
}

/// Fixed columns before the `params.*` and `metrics.*` ones.
const FIXED_COLUMNS: [&str; 5] = ["run_id", "run_name", "status", "start_time", "duration_s"];

/// Writes `runs` in `format`. Parameter and metric columns are the union
/// of the keys of all runs, sorted; a run without one has an empty cell.
pub fn write_runs(out: &mut dyn Write, runs: &[Run], format: ListFormat) -> io::Result<()> {
    match format {
        ListFormat::Json => {
            let values: Vec<Value> = runs.iter().map(run_json).collect();
            serde_json::to_writer_pretty(&mut *out, &values)?;
            writeln!(out)
        }
        ListFormat::Jsonl => {
            for run in runs {
                serde_json::to_writer(&mut *out, &run_json(run))?;
                writeln!(out)?;
            }
            Ok(())
        }
        ListFormat::Csv | ListFormat::Table => {
            let (header, rows) = run_table(runs);
            if format == ListFormat::Csv {
                write_csv(out, &header, &rows)
            } else {
                write_aligned(out, &header, &rows)
            }
        }
    }
}

/// Returns a run as a JSON object; non-finite metrics are written as the
/// strings MLflow uses (`"NaN"`, `"Infinity"`, `"-Infinity"`).
pub fn run_json(run: &Run) -> Value {
    let params: Map<String, Value> = run
        .data
        .params
        .iter()
        .map(|p| (p.key.clone(), Value::String(p.value.clone())))
        .collect();
    let metrics: Map<String, Value> = run
        .data
        .metrics
        .iter()
        .map(|m| (m.key.clone(), metric_json(m.value)))
        .collect();
    json!({
        "run_id": run.info.run_id,
        "run_name": run.info.run_name,
        "status": run.info.status.to_string(),
        "start_time": run.info.start_time.map(format_millis),
        "duration_s": run.info.duration_ms().map(|ms| ms as f64 / 1000.0),
        "params": params,
        "metrics": metrics,
    })
}

fn metric_json(value: f64) -> Value {
    serde_json::Number::from_f64(value)
        .map_or_else(|| Value::String(format_metric(value)), Value::Number)
}

/// Formats a metric value the way MLflow's UI and JSON name non-finite ones.
pub fn format_metric(value: f64) -> String {
    if value.is_nan() {
        "NaN".to_string()
    } else if value == f64::INFINITY {
        "Infinity".to_string()
    } else if value == f64::NEG_INFINITY {
        "-Infinity".to_string()
    } else {
        format!("{value}")
    }
}

/// Formats milliseconds since the Unix epoch as UTC, such as `2024-05-01T10:00:00Z`.
pub fn format_millis(millis: i64) -> String {
    let time = aws_smithy_types::DateTime::from_secs(millis.div_euclid(1000));
    time.fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap_or_else(|_| millis.to_string())
}

fn run_table(runs: &[Run]) -> (Vec<String>, Vec<Vec<String>>) {
    let params: BTreeSet<&str> = runs
        .iter()
        .flat_map(|r| r.data.params.iter().map(|p| p.key.as_str()))
        .collect();
    let metrics: BTreeSet<&str> = runs
        .iter()
        .flat_map(|r| r.data.metrics.iter().map(|m| m.key.as_str()))
        .collect();
    let mut header: Vec<String> = FIXED_COLUMNS.iter().map(|c| c.to_string()).collect();
    header.extend(params.iter().map(|k| format!("params.{k}")));
    header.extend(metrics.iter().map(|k| format!("metrics.{k}")));
    let rows = runs
        .iter()
        .map(|run| {
            let mut row = vec![
                run.info.run_id.clone(),
                run.info.run_name.clone(),
                run.info.status.to_string(),
                run.info.start_time.map(format_millis).unwrap_or_default(),
                run.info
                    .duration_ms()
                    .map(|ms| format!("{:.1}", ms as f64 / 1000.0))
                    .unwrap_or_default(),
            ];
            row.extend(
                params
                    .iter()
                    .map(|k| run.param(k).unwrap_or("").to_string()),
            );
            row.extend(
                metrics
                    .iter()
                    .map(|k| run.metric(k).map(format_metric).unwrap_or_default()),
            );
            row
        })
        .collect();
    (header, rows)
}

/// Writes a header and rows as CSV.
pub fn write_csv(out: &mut dyn Write, header: &[String], rows: &[Vec<String>]) -> io::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(header)?;
    for row in rows {
        writer.write_record(row)?;
    }
    writer.flush()
}

/// Writes a header and rows as columns padded to the widest cell.
pub fn write_aligned(
    out: &mut dyn Write,
    header: &[String],
    rows: &[Vec<String>],
) -> io::Result<()> {
    let all: Vec<&[String]> = std::iter::once(header)
        .chain(rows.iter().map(Vec::as_slice))
        .collect();
    write_padded(out, &all)
}

/// Writes rows with each column padded to its widest cell.
pub fn write_padded(out: &mut dyn Write, rows: &[&[String]]) -> io::Result<()> {
    let columns = rows.iter().map(|row| row.len()).max().unwrap_or(0);
    let mut widths = vec![0; columns];
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row.iter()) {
            *width = (*width).max(cell.chars().count());
        }
    }
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        writeln!(out, "{}", cells.join("  ").trim_end())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mlflow::{Metric, RunData, RunInfo, Tag};

    fn run(id: &str, loss: f64) -> Run {
        Run {
            info: RunInfo {
                run_id: id.to_string(),
                start_time: Some(1_714_560_000_000),
                end_time: Some(1_714_560_090_000),
                ..RunInfo::default()
            },
            data: RunData {
                metrics: vec![Metric {
                    key: "loss".into(),
                    value: loss,
                    ..Metric::default()
                }],
                params: vec![Tag {
                    key: "lr".into(),
                    value: "0.01".into(),
                }],
                tags: Vec::new(),
            },
        }
    }

    #[test]
    fn csv_has_param_and_metric_columns() {
        let mut out = Vec::new();
        let runs = [run("a", 0.5), run("b", f64::NAN)];
        write_runs(&mut out, &runs, ListFormat::Csv).expect("written");
        let text = String::from_utf8(out).expect("utf-8");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "run_id,run_name,status,start_time,duration_s,params.lr,metrics.loss"
        );
        assert_eq!(lines[1], "a,,FINISHED,2024-05-01T10:40:00Z,90.0,0.01,0.5");
        assert!(lines[2].ends_with(",NaN"), "{}", lines[2]);
    }

    #[test]
    fn json_keeps_non_finite_metrics_as_strings() {
        let value = run_json(&run("a", f64::INFINITY));
        assert_eq!(value["metrics"]["loss"], "Infinity");
        assert_eq!(value["duration_s"], 90.0);
    }
}
