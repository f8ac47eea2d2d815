//! Writing results as a table, JSON or CSV, for the command line and for
//! the app's export.

use std::io::{self, Write};

use serde::Serialize;

use crate::classify::{PhotoFailure, PhotoResult};
use crate::model::Prediction;

/// Output format of results.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One aligned line per photo, for people.
    Table,
    /// One JSON object per photo and line (JSON Lines).
    Json,
    /// One JSON array of the same objects, for files saved from the app.
    JsonArray,
    /// One row per prediction, with a header.
    Csv,
}

/// One photo's result, as written out.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    pub path: &'a std::path::Path,
    pub outcome: Outcome<'a>,
}

/// What a [`Record`] says about its photo.
#[derive(Debug, Clone, Copy)]
pub enum Outcome<'a> {
    Classified {
        predictions: &'a [Prediction],
        /// Caveats, already joined into one sentence; empty when none.
        warning: &'a str,
    },
    /// Why the photo has no predictions, without its path.
    Failed(&'a str),
}

/// Writes results in the chosen format, one photo at a time. Call
/// [`ResultWriter::finish`] after the last one.
pub struct ResultWriter<W: Write> {
    out: W,
    format: Format,
    written: usize,
}

#[derive(Serialize)]
struct JsonLine<'a> {
    path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    predictions: Option<&'a [Prediction]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    warning: Option<&'a str>,
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
        match format {
            Format::Csv => {
                let mut header = csv::Writer::from_writer(Vec::new());
                header.write_record(CSV_HEADER)?;
                out.write_all(&header.into_inner().map_err(|e| e.into_error())?)?;
            }
            Format::JsonArray => out.write_all(b"[")?,
            Format::Table | Format::Json => {}
        }
        Ok(Self {
            out,
            format,
            written: 0,
        })
    }

    /// Writes one result of a batch.
    pub fn write(&mut self, result: &PhotoResult) -> io::Result<()> {
        let (warning, error) = match &result.outcome {
            Ok(classified) => (joined_warnings(&classified.warnings), String::new()),
            Err(failure) => (String::new(), cause(failure)),
        };
        let outcome = match &result.outcome {
            Ok(classified) => Outcome::Classified {
                predictions: &classified.predictions,
                warning: &warning,
            },
            Err(_) => Outcome::Failed(&error),
        };
        self.write_record(&Record {
            path: &result.path,
            outcome,
        })
    }

    /// Writes one photo's record.
    pub fn write_record(&mut self, record: &Record) -> io::Result<()> {
        match self.format {
            Format::Table => self.write_table_line(record)?,
            Format::Json | Format::JsonArray => self.write_json(record)?,
            Format::Csv => self.write_csv_rows(record)?,
        }
        self.written += 1;
        self.out.flush()
    }

    /// Ends the output and returns the writer.
    pub fn finish(mut self) -> io::Result<W> {
        if self.format == Format::JsonArray {
            self.out.write_all(b"\n]\n")?;
        }
        self.out.flush()?;
        Ok(self.out)
    }

    fn write_table_line(&mut self, record: &Record) -> io::Result<()> {
        let path = escape_control(&record.path.display().to_string());
        match record.outcome {
            Outcome::Classified {
                predictions,
                warning,
            } => {
                let ranked: Vec<String> = predictions
                    .iter()
                    .map(|p| format!("{} {:.1}%", p.label, p.probability * 100.0))
                    .collect();
                writeln!(self.out, "{path}\t{}", ranked.join(", "))?;
                if !warning.is_empty() {
                    writeln!(self.out, "{path}\twarning: {}", escape_control(warning))?;
                }
            }
            Outcome::Failed(error) => writeln!(self.out, "{path}\terror: {error}")?,
        }
        Ok(())
    }

    fn write_json(&mut self, record: &Record) -> io::Result<()> {
        let path = record.path.display().to_string();
        let line = match record.outcome {
            Outcome::Classified {
                predictions,
                warning,
            } => JsonLine {
                path,
                predictions: Some(predictions),
                error: None,
                warning: Some(warning).filter(|w| !w.is_empty()),
            },
            Outcome::Failed(error) => JsonLine {
                path,
                predictions: None,
                error: Some(error),
                warning: None,
            },
        };
        if self.format == Format::JsonArray {
            let separator: &[u8] = if self.written == 0 { b"\n  " } else { b",\n  " };
            self.out.write_all(separator)?;
            serde_json::to_writer(&mut self.out, &line)?;
        } else {
            serde_json::to_writer(&mut self.out, &line)?;
            writeln!(self.out)?;
        }
        Ok(())
    }

    fn write_csv_rows(&mut self, record: &Record) -> io::Result<()> {
        let mut writer = csv::Writer::from_writer(Vec::new());
        let path = record.path.display().to_string();
        match record.outcome {
            Outcome::Classified {
                predictions,
                warning,
            } => {
                for p in predictions {
                    writer.write_record([
                        path.as_str(),
                        &p.rank.to_string(),
                        &p.label,
                        p.class_id.as_deref().unwrap_or(""),
                        &p.index.to_string(),
                        &format!("{:.6}", p.probability),
                        "",
                        warning,
                    ])?;
                }
            }
            Outcome::Failed(error) => {
                writer.write_record([path.as_str(), "", "", "", "", "", error, ""])?;
            }
        }
        self.out
            .write_all(&writer.into_inner().map_err(|e| e.into_error())?)
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
pub fn cause(failure: &PhotoFailure) -> String {
    match failure {
        PhotoFailure::Photo(error) => error.kind.to_string(),
        PhotoFailure::Model { source, .. } => source.to_string(),
        PhotoFailure::Crashed { cause, .. } => {
            format!("processing crashed ({cause}); please report this photo")
        }
    }
}

/// Joins a photo's warnings into one sentence; empty when there are none.
pub fn joined_warnings(warnings: &[crate::imaging::PhotoWarning]) -> String {
    let texts: Vec<String> = warnings.iter().map(ToString::to_string).collect();
    texts.join("; ")
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
