//! The broken-photo corpus in `tests/data/broken/`, made by
//! `tools/fixtures/make_broken.py`: each file opened through Petal's photo
//! opening and preprocessing gets the result in the table below, or an
//! error that names the file, without a panic, a hang or unbounded memory.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use petal::imaging::{open_photo_reduced, prepare_input, DecodeLimits, Photo, PhotoError};
use petal::imaging::{PhotoErrorKind, PhotoWarning, Preprocessing};
use petal::model::ModelSource;
use serde_json::Value;

/// What Petal must do with one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Decodes with no warning.
    Pixels,
    /// Decodes with a warning that the data ends early.
    CutShort,
    /// Decodes the first frame of an animation, with a warning.
    FirstFrame,
    /// Fails with this error, by [`error_name`].
    Error(&'static str),
}

use Expect::{CutShort, Error, FirstFrame, Pixels};

/// Every file of the corpus and what Petal must do with it.
const EXPECTATIONS: &[(&str, Expect)] = &[
    ("animated-gif-4000-frames.gif", FirstFrame),
    ("animated-png-1000-frames.png", FirstFrame),
    ("animated-png-claims-2g-frames.png", FirstFrame),
    ("animated-webp-1200-frames.webp", FirstFrame),
    ("avif-named.jpg", Error("UnsupportedFormat")),
    ("bilevel.tif", Pixels),
    ("bmp-32bit-alpha.bmp", Pixels),
    ("bmp-offset-past-end.bmp", Error("Truncated")),
    ("bmp-rle8-bomb.bmp", Error("TooManyPixels")),
    ("cmyk.jpg", Pixels),
    ("cmyk.tif", Pixels),
    ("empty.jpg", Error("Empty")),
    ("empty.png", Error("Empty")),
    ("exif-400-segments.jpg", Pixels),
    ("exif-65535-entries.jpg", Pixels),
    ("exif-bad-byte-order.jpg", Pixels),
    ("exif-ifd-chain-3000.jpg", Pixels),
    ("exif-ifd-loop.jpg", Pixels),
    ("exif-offset-past-end.jpg", Pixels),
    ("exif-sub-ifd-loop.jpg", Pixels),
    ("float32-grey.tif", Error("UnsupportedEncoding")),
    ("gif-bad-lzw-size.gif", Error("Decode")),
    ("gif-named.webp", Pixels),
    ("gif-no-frames.gif", Error("Truncated")),
    ("good-bmp.bmp", Pixels),
    ("good-gif.gif", Pixels),
    ("good-jpg.jpg", Pixels),
    ("good-png.png", Pixels),
    ("good-tif.tif", Pixels),
    ("good-webp.webp", Pixels),
    ("grey-alpha.png", Pixels),
    ("grey.jpg", Pixels),
    ("grey16.png", Pixels),
    ("grey16.tif", Pixels),
    ("heic-named.jpg", Error("UnsupportedFormat")),
    ("html-named.png", Error("NotAnImage")),
    ("huge-bmp-1000000x1000000.bmp", Error("TooManyPixels")),
    ("huge-bmp-min-i32.bmp", Error("TooManyPixels")),
    ("huge-bmp-negative-height.bmp", Error("TooManyPixels")),
    ("huge-gif-frame-65535.gif", Error("Decode")),
    ("huge-gif-frame-offset.gif", Pixels),
    ("huge-gif-screen-65535.gif", Error("TooManyPixels")),
    ("huge-jpeg-65500x65500.jpg", Error("TooManyPixels")),
    ("huge-png-100000x100000.png", Error("TooManyPixels")),
    ("huge-png-65000x65000.png", Error("TooManyPixels")),
    ("huge-png-max-u32.png", Error("TooManyPixels")),
    ("huge-tiff-1000000x1000000.tif", Error("TooManyPixels")),
    ("huge-webp-vp8l-16384.webp", Error("TooManyPixels")),
    ("huge-webp-vp8x-16m.webp", Error("TooManyPixels")),
    ("icc-255-parts-claimed.jpg", Pixels),
    ("jpeg-300-comments.jpg", Pixels),
    ("jpeg-corrupt-scan.jpg", Error("Truncated")),
    ("jpeg-named.png", Pixels),
    ("jpeg-no-eoi.jpg", CutShort),
    ("jpeg-no-scan.jpg", Error("Decode")),
    ("jpeg-segment-length-past-end.jpg", Error("Truncated")),
    ("large-jpeg-14000x14000.jpg", Pixels),
    ("large-png-14000x14000-no-data.png", Error("Decode")),
    ("one-byte.jpg", Error("NotAnImage")),
    ("palette-transparent.gif", Pixels),
    ("pdf-named.jpg", Error("NotAnImage")),
    ("png-1500-text-chunks.png", Pixels),
    ("png-bad-depth.png", Error("Decode")),
    ("png-bad-idat-crc.png", Error("Decode")),
    ("png-bad-ihdr-crc.png", Error("Decode")),
    ("png-chunk-length-2gb.png", Error("Decode")),
    ("png-exif-loop.png", Pixels),
    ("png-exif-orientation-9.png", Pixels),
    ("png-exif-truncated.png", Pixels),
    ("png-iccp-bomb-32mb.png", Pixels),
    ("png-itxt-xmp-bomb-32mb.png", Pixels),
    ("png-named.jpg", Pixels),
    ("png-no-idat.png", Error("Decode")),
    ("png-no-iend.png", Error("Truncated")),
    ("png-palette-index-out-of-range.png", Pixels),
    ("png-ztxt-bomb-32mb.png", Pixels),
    ("progressive.jpg", Pixels),
    ("rgb16.png", Pixels),
    ("rgba16.png", Pixels),
    ("signature-only.png", Error("Truncated")),
    ("text-named.jpg", Error("NotAnImage")),
    ("tiff-billion-strips.tif", Error("Decode")),
    ("tiff-exif-ifd-loop.tif", Pixels),
    ("tiff-ifd-entries-65535.tif", Error("Truncated")),
    ("tiff-named.jpeg", Pixels),
    ("tiff-next-ifd-loop.tif", Error("Decode")),
    ("tiff-no-ifd.tif", Error("Truncated")),
    ("tiff-strip-bytes-4gb.tif", Error("Decode")),
    ("tiff-strip-past-end.tif", Error("Truncated")),
    ("trailing-garbage-bmp.bmp", Pixels),
    ("trailing-garbage-gif.gif", Pixels),
    ("trailing-garbage-jpg.jpg", Pixels),
    ("trailing-garbage-png.png", Pixels),
    ("trailing-garbage-tif.tif", Pixels),
    ("trailing-garbage-webp.webp", Pixels),
    ("trailing-second-jpeg.jpg", Pixels),
    ("truncated-half-bmp.bmp", Error("Truncated")),
    ("truncated-half-gif.gif", Error("Truncated")),
    ("truncated-half-jpg.jpg", CutShort),
    ("truncated-half-png.png", Error("Truncated")),
    ("truncated-half-tif.tif", Error("Truncated")),
    ("truncated-half-webp.webp", Error("Decode")),
    ("truncated-header-bmp.bmp", Error("Truncated")),
    ("truncated-header-gif.gif", Error("Truncated")),
    ("truncated-header-jpg.jpg", Error("Truncated")),
    ("truncated-header-png.png", Error("Truncated")),
    ("truncated-header-tif.tif", Error("Truncated")),
    ("truncated-header-webp.webp", Error("Truncated")),
    ("truncated-last-byte-bmp.bmp", Error("Truncated")),
    ("truncated-last-byte-gif.gif", Pixels),
    ("truncated-last-byte-jpg.jpg", CutShort),
    ("truncated-last-byte-png.png", Pixels),
    ("truncated-last-byte-tif.tif", Error("Truncated")),
    ("truncated-last-byte-webp.webp", Pixels),
    ("webp-exif-claims-2gb.webp", Pixels),
    ("webp-lossless-alpha.webp", Pixels),
    ("webp-named.bmp", Pixels),
    ("webp-riff-size-lies.webp", Pixels),
    ("webp-vp8-missing.webp", Error("Decode")),
    ("xmp-64k.jpg", Pixels),
    ("zero-height-png.png", Error("NoPixels")),
    ("zero-width-jpeg.jpg", Error("NoPixels")),
    ("zip-named.png", Error("NotAnImage")),
];

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/broken")
}

fn corpus_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .expect("tests/data/broken exists")
        .map(|entry| entry.expect("folder entry").path())
        .filter(|path| path.extension().is_some_and(|e| e != "md"))
        .collect();
    files.sort();
    files
}

fn file_name(path: &Path) -> &str {
    path.file_name()
        .and_then(|n| n.to_str())
        .expect("corpus names are UTF-8")
}

/// Names the error variant, so the table can state it without a value.
fn error_name(kind: &PhotoErrorKind) -> &'static str {
    match kind {
        PhotoErrorKind::Io(_) => "Io",
        PhotoErrorKind::Empty => "Empty",
        PhotoErrorKind::NotAFile => "NotAFile",
        PhotoErrorKind::FileTooLarge { .. } => "FileTooLarge",
        PhotoErrorKind::NotAnImage { .. } => "NotAnImage",
        PhotoErrorKind::UnsupportedFormat { .. } => "UnsupportedFormat",
        PhotoErrorKind::UnsupportedEncoding { .. } => "UnsupportedEncoding",
        PhotoErrorKind::TooManyPixels { .. } => "TooManyPixels",
        PhotoErrorKind::NoPixels { .. } => "NoPixels",
        PhotoErrorKind::Truncated { .. } => "Truncated",
        PhotoErrorKind::Decode { .. } => "Decode",
    }
}

fn outcome(result: &Result<Photo, PhotoError>) -> Expect {
    match result {
        Ok(photo) if photo.warnings.contains(&PhotoWarning::Truncated) => CutShort,
        Ok(photo) if photo.warnings.is_empty() => Pixels,
        Ok(photo) => match photo.warnings[0] {
            PhotoWarning::FirstFrameOnly { .. } => FirstFrame,
            PhotoWarning::Truncated => CutShort,
        },
        Err(error) => Error(error_name(&error.kind)),
    }
}

/// Opens and preprocesses `path` on another thread, as a batch does, and
/// gives up after a generous hang guard.
fn open_guarded(path: &Path, preprocessing: &Preprocessing) -> Result<Photo, PhotoError> {
    let (sender, receiver) = std::sync::mpsc::channel();
    let owned = path.to_path_buf();
    let preprocessing = preprocessing.clone();
    let min_side = preprocessing.min_source_side();
    std::thread::spawn(move || {
        let result = open_photo_reduced(&owned, &DecodeLimits::default(), Some(min_side));
        if let Ok(photo) = &result {
            let input = prepare_input(&photo.image, &preprocessing);
            assert!(input.iter().all(|v| v.is_finite()), "non-finite input");
        }
        let _ = sender.send(result);
    });
    receiver
        .recv_timeout(Duration::from_secs(60))
        .unwrap_or_else(|error| panic!("{} did not finish in 60 s: {error}", path.display()))
}

#[test]
fn corpus_outcomes_match_the_table() {
    let model = ModelSource::Bundled.load().expect("bundled model");
    let preprocessing = &model.spec().preprocessing;
    let mut wrong = Vec::new();
    for path in corpus_files() {
        let name = file_name(&path);
        let result = open_guarded(&path, preprocessing);
        let actual = outcome(&result);
        if let Err(error) = &result {
            let message = error.to_string();
            assert!(
                message.contains(name),
                "the error for {name} does not name the file: {message}"
            );
        }
        match EXPECTATIONS.iter().find(|(file, _)| *file == name) {
            Some((_, expected)) if *expected == actual => {}
            Some((_, expected)) => wrong.push(format!(
                "{name}: expected {expected:?}, got {actual:?} ({result:?})"
            )),
            None => wrong.push(format!(
                "{name}: not in the table; got {actual:?} ({})",
                result
                    .as_ref()
                    .err()
                    .map(ToString::to_string)
                    .unwrap_or_default()
            )),
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Peak memory of `petal classify` on a good photo, plus this much, is the
/// most a broken file may cost. Petal's decoder limit is 1 GiB, and no file
/// here should come near it.
const MAX_EXTRA_RSS_KIB: u64 = 1 << 20;

fn classify_alone(path: &Path) -> support::child::ChildReport {
    let mut command = Command::new(env!("CARGO_BIN_EXE_petal"));
    command.args(["classify", "--format", "jsonl", "--jobs", "1"]);
    command.arg(path);
    support::child::run_measured(command, Duration::from_secs(120))
}

#[test]
fn each_file_alone_stays_bounded() {
    let baseline = classify_alone(&corpus_dir().join("good-jpg.jpg"));
    assert_eq!(baseline.code, Some(0), "{}", baseline.stderr);
    let mut report = Vec::new();
    for path in corpus_files() {
        let started = Instant::now();
        let child = classify_alone(&path);
        let name = file_name(&path);
        assert!(
            matches!(child.code, Some(0 | 1)),
            "{name}: exit status {:?}, stderr: {}",
            child.code,
            child.stderr
        );
        assert_eq!(child.stdout.lines().count(), 1, "{name}: {}", child.stdout);
        let extra = child.max_rss_kib.saturating_sub(baseline.max_rss_kib);
        report.push(format!("{name}: +{extra} KiB, {:?}", started.elapsed()));
        assert!(
            extra <= MAX_EXTRA_RSS_KIB,
            "{name} took {extra} KiB more than a good photo"
        );
    }
    println!("{}", report.join("\n"));
}

#[test]
fn mixed_folder_yields_every_good_result() {
    let folder = tempfile::tempdir().expect("temporary folder");
    for path in corpus_files() {
        std::fs::copy(&path, folder.path().join(file_name(&path))).expect("copy");
    }
    let valid = support::dataset_dir().join("valid");
    let mut good_names: Vec<String> = Vec::new();
    for class in ["1", "17", "54", "77", "102"] {
        let photo = std::fs::read_dir(valid.join(class))
            .expect("class folder")
            .map(|entry| entry.expect("entry").path())
            .min()
            .expect("class has a photo");
        let name = format!("dataset-{class}.jpg");
        std::fs::copy(&photo, folder.path().join(&name)).expect("copy photo");
        good_names.push(name);
    }
    for (name, expected) in EXPECTATIONS {
        if !matches!(expected, Error(_)) {
            good_names.push(name.to_string());
        }
    }

    let mut command = Command::new(env!("CARGO_BIN_EXE_petal"));
    command.args(["classify", "--format", "jsonl", "--jobs", "2"]);
    command.arg(folder.path());
    let child = support::child::run_measured(command, Duration::from_secs(600));
    assert_eq!(child.code, Some(1), "{}", child.stderr);

    let lines: Vec<Value> = child
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line is JSON"))
        .collect();
    let total = corpus_files().len() + 5;
    assert_eq!(lines.len(), total, "one line per file");
    for line in &lines {
        let path = line["path"].as_str().expect("path");
        let name = path.rsplit('/').next().expect("file name");
        let good = good_names.iter().any(|g| g == name);
        if good {
            assert!(line["predictions"].is_array(), "{name}: {line}");
        } else {
            // The file is named by the line's `path`, so the error need not repeat it.
            let error = line["error"].as_str().expect("an error for a bad file");
            assert!(!error.is_empty(), "{name}: empty error");
        }
    }
}
