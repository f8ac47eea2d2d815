//! Command-line parsing and the commands it runs.

mod classify;
mod output;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

pub use output::Format;

/// Exit status when every photo was classified.
pub const EXIT_OK: u8 = 0;
/// Exit status when at least one photo failed.
pub const EXIT_PHOTO_FAILED: u8 = 1;
/// Exit status for usage errors: bad options, missing paths, unusable model.
pub const EXIT_USAGE: u8 = 2;

/// Identify flower species in photos, offline, with an ONNX model.
#[derive(Debug, Parser)]
#[command(name = "petal", version, arg_required_else_help = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Classify photos or folders of photos and print the top-k species.
    Classify(ClassifyArgs),
}

#[derive(Debug, clap::Args)]
pub struct ClassifyArgs {
    /// Model to use: `bundled`, a path to an .onnx file, `s3://BUCKET/KEY`,
    /// `runs:/RUN_ID/PATH` or `models:/NAME/VERSION`.
    #[arg(long, default_value = "bundled", value_name = "URI")]
    pub model: String,

    /// Number of species to print per photo; clamped to the model's class count.
    #[arg(long, short = 'k', default_value_t = 5, value_name = "N",
          value_parser = clap::value_parser!(u16).range(1..))]
    pub top_k: u16,

    /// Output format; `json` prints one JSON object per line.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,

    /// Worker threads, at most and by default the number of CPU cores.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,

    /// Photos, or folders to search recursively for photos.
    #[arg(required = true, value_name = "PATHS")]
    pub paths: Vec<PathBuf>,
}

impl ValueEnum for Format {
    fn value_variants<'a>() -> &'a [Self] {
        &[Format::Table, Format::Json, Format::Csv]
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(match self {
            Format::Table => "table",
            Format::Json => "json",
            Format::Csv => "csv",
        }))
    }
}

/// Runs the parsed command and returns the process exit status.
pub fn run(cli: Cli) -> ExitCode {
    let status = match cli.command {
        Command::Classify(args) => classify::run(&args),
    };
    ExitCode::from(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_flags_parse() {
        let cli = Cli::try_parse_from([
            "petal", "classify", "--model", "m.onnx", "-k", "3", "--format", "csv", "a.jpg",
        ])
        .expect("valid arguments");
        let Command::Classify(args) = cli.command;
        assert_eq!(args.model, "m.onnx");
        assert_eq!(args.top_k, 3);
        assert_eq!(args.format, Format::Csv);
        assert_eq!(args.paths, [PathBuf::from("a.jpg")]);
    }

    #[test]
    fn classify_rejects_zero_top_k() {
        assert!(Cli::try_parse_from(["petal", "classify", "-k", "0", "a.jpg"]).is_err());
    }

    #[test]
    fn classify_requires_paths() {
        assert!(Cli::try_parse_from(["petal", "classify"]).is_err());
    }
}
