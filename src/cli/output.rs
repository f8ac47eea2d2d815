//! Printing results as a table, JSON Lines or CSV.

use std::io::{self, Write};

use serde::Serialize;

use crate::classify::{PhotoFailure, PhotoResult};
use crate::model::Prediction;

/// Output format of `classify`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One aligned line per photo, for people.
    Table,
    /// One JSON object per photo and line (JSON Lines).
    Json,
    /// One row per prediction, with a header.
    Csv,
}

/// Writes results in the chosen format, one photo at a time.
pub struct ResultWriter<W: Write> {
    out: W,
    format: Format,
}

#[derive(Serialize)]
struct JsonLine<'a> {
    path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    predictions: Option<&'a [Prediction]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    warning: Option<String>,
}

const CSV_HEADER: [&str; 8] = [
    "path",
    "rank",
    "label",
    "class_id",
    "index",
    "probability",
    "error",
    "warning",
];

impl<W: Write> ResultWriter<W> {
    /// Starts the output; CSV gets its header row.
    pub fn new(mut out: W, format: Format) -> io::Result<Self> {
        if format == Format::Csv {
            let mut header = csv::Writer::from_writer(Vec::new());
            header.write_record(CSV_HEADER)?;
            out.write_all(&header.into_inner().map_err(|e| e.into_error())?)?;
        }
        Ok(Self { out, format })
    }

    pub fn write(&mut self, result: &PhotoResult) -> io::Result<()> {
        match self.format {
            Format::Table => self.write_table_line(result),
            Format::Json => self.write_json_line(result),
            Format::Csv => self.write_csv_rows(result),
        }
    }

    fn write_table_line(&mut self, result: &PhotoResult) -> io::Result<()> {
        let path = escape_control(&result.path.display().to_string());
        match &result.outcome {
            Ok(classified) => {
                let ranked: Vec<String> = classified
                    .predictions
                    .iter()
                    .map(|p| format!("{} {:.1}%", p.label, p.probability * 100.0))
                    .collect();
                writeln!(self.out, "{path}\t{}", ranked.join(", "))?;
                for warning in &classified.warnings {
                    writeln!(self.out, "{path}\twarning: {warning}")?;
                }
            }
            Err(failure) => writeln!(self.out, "{path}\terror: {}", cause(failure))?,
        }
        self.out.flush()
    }

    fn write_json_line(&mut self, result: &PhotoResult) -> io::Result<()> {
        let line = match &result.outcome {
            Ok(classified) => JsonLine {
                path: result.path.display().to_string(),
                predictions: Some(&classified.predictions),
                error: None,
                warning: joined_warnings(&classified.warnings),
            },
            Err(failure) => JsonLine {
                path: result.path.display().to_string(),
                predictions: None,
                error: Some(cause(failure)),
                warning: None,
            },
        };
        serde_json::to_writer(&mut self.out, &line)?;
        writeln!(self.out)?;
        self.out.flush()
    }

    fn write_csv_rows(&mut self, result: &PhotoResult) -> io::Result<()> {
        let mut writer = csv::Writer::from_writer(Vec::new());
        let path = result.path.display().to_string();
        match &result.outcome {
            Ok(classified) => {
                let warning = joined_warnings(&classified.warnings).unwrap_or_default();
                for p in &classified.predictions {
                    writer.write_record([
                        path.as_str(),
                        &p.rank.to_string(),
                        &p.label,
                        p.class_id.as_deref().unwrap_or(""),
                        &p.index.to_string(),
                        &format!("{:.6}", p.probability),
                        "",
                        &warning,
                    ])?;
                }
            }
            Err(failure) => {
                writer.write_record([path.as_str(), "", "", "", "", "", &cause(failure), ""])?;
            }
        }
        self.out
            .write_all(&writer.into_inner().map_err(|e| e.into_error())?)?;
        self.out.flush()
    }
}

/// Escapes tabs, newlines and other control characters, which would break
/// the table's one-line-per-photo layout.
fn escape_control(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Formats the failure without the path, which has its own field or column.
fn cause(failure: &PhotoFailure) -> String {
    match failure {
        PhotoFailure::Photo(error) => error.kind.to_string(),
        PhotoFailure::Model { source, .. } => source.to_string(),
        PhotoFailure::Crashed { cause, .. } => {
            format!("processing crashed ({cause}); please report this photo")
        }
    }
}

fn joined_warnings(warnings: &[crate::imaging::PhotoWarning]) -> Option<String> {
    if warnings.is_empty() {
        return None;
    }
    let texts: Vec<String> = warnings.iter().map(ToString::to_string).collect();
    Some(texts.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_paths_escape_control_characters() {
        assert_eq!(escape_control("a\tb\nc.jpg"), "a\\tb\\nc.jpg");
        assert_eq!(escape_control("fleur été.jpg"), "fleur été.jpg");
    }
}
