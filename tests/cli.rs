//! `petal classify` end to end: output formats, exit status, folders.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn petal(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_petal"))
        .args(args)
        .output()
        .expect("petal runs")
}

fn json_lines(output: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line is JSON"))
        .collect()
}

/// Runs `petal classify --format json` on a folder.
fn classify_json(dir: &Path) -> Output {
    petal(&["classify", "--format", "json", dir.to_str().expect("utf-8")])
}

/// Copies one validation photo per class id into `dir`.
fn copy_photos(dir: &Path, class_ids: &[&str]) -> Vec<PathBuf> {
    let valid = support::dataset_dir().join("valid");
    class_ids
        .iter()
        .map(|id| {
            let first = std::fs::read_dir(valid.join(id))
                .expect("class folder")
                .filter_map(Result::ok)
                .map(|e| e.path())
                .min()
                .expect("class has a photo");
            let target = dir.join(format!("class-{id}.jpg"));
            std::fs::copy(&first, &target).expect("copy photo");
            target
        })
        .collect()
}

#[test]
fn json_lines_have_documented_fields() {
    let dir = tempfile::tempdir().expect("tempdir");
    let photos = copy_photos(dir.path(), &["1", "54"]);
    let output = petal(&[
        "classify",
        "--format",
        "json",
        "-k",
        "3",
        dir.path().to_str().expect("utf-8"),
    ]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines = json_lines(&output);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["path"], photos[0].display().to_string());
    let predictions = lines[0]["predictions"].as_array().expect("predictions");
    assert_eq!(predictions.len(), 3);
    let first = &predictions[0];
    assert_eq!(first["rank"], 1);
    assert_eq!(first["class_id"], "1");
    assert_eq!(first["label"], "pink primrose");
    assert!(first["index"].is_u64());
    assert!(first["probability"].as_f64().expect("number") > 0.5);
    assert!(lines[0].get("error").is_none());
}

#[test]
fn bad_photos_fail_alone_with_exit_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_photos(dir.path(), &["3", "7"]);
    std::fs::write(dir.path().join("broken.jpg"), b"").expect("write");
    std::fs::write(dir.path().join("notes.jpg"), b"not a photo at all").expect("write");
    std::fs::write(dir.path().join("readme.txt"), b"skipped: not a photo name").expect("write");

    let output = classify_json(dir.path());
    assert_eq!(output.status.code(), Some(1));
    let lines = json_lines(&output);
    assert_eq!(lines.len(), 4, "{lines:?}");

    let errors: Vec<&Value> = lines.iter().filter(|l| l.get("error").is_some()).collect();
    assert_eq!(errors.len(), 2);
    assert!(errors[0]["error"]
        .as_str()
        .expect("text")
        .contains("empty (0 bytes)"));
    assert!(errors[1]["error"]
        .as_str()
        .expect("text")
        .contains("not a photo"));
    let classified = lines
        .iter()
        .filter(|l| l.get("predictions").is_some())
        .count();
    assert_eq!(classified, 2);

    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("skipped 1 file that is not a photo"),
        "{stderr}"
    );
}

#[test]
fn csv_and_table_formats() {
    let dir = tempfile::tempdir().expect("tempdir");
    let photos = copy_photos(dir.path(), &["10"]);
    let path = photos[0].to_str().expect("utf-8");
    let csv = petal(&["classify", "--format", "csv", "-k", "2", path]);
    assert_eq!(csv.status.code(), Some(0));
    let text = String::from_utf8_lossy(&csv.stdout);
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(
        rows[0],
        "path,rank,label,class_id,index,probability,error,warning"
    );
    assert_eq!(rows.len(), 3);
    assert!(rows[1].contains(",1,globe thistle,10,"), "{}", rows[1]);

    let table = petal(&["classify", path]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.starts_with(path), "{text}");
    assert!(text.contains("globe thistle"), "{text}");
}

#[test]
fn top_k_is_clamped_to_class_count() {
    let dir = tempfile::tempdir().expect("tempdir");
    let photos = copy_photos(dir.path(), &["2"]);
    let output = petal(&[
        "classify",
        "--format",
        "json",
        "-k",
        "500",
        photos[0].to_str().expect("utf-8"),
    ]);
    let lines = json_lines(&output);
    assert_eq!(
        lines[0]["predictions"]
            .as_array()
            .expect("predictions")
            .len(),
        102
    );
}

#[test]
fn usage_errors_exit_two() {
    let missing = petal(&["classify", "/no/such/folder"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/no/such/folder: no such file"));

    let unknown = petal(&["classify", "--colour", "a.jpg"]);
    assert_eq!(unknown.status.code(), Some(2));

    let dir = tempfile::tempdir().expect("tempdir");
    let model = dir.path().join("broken.onnx");
    std::fs::write(&model, b"\x08\x07garbage").expect("write");
    let photos = copy_photos(dir.path(), &["5"]);
    let bad_model = petal(&[
        "classify",
        "--model",
        model.to_str().expect("utf-8"),
        photos[0].to_str().expect("utf-8"),
    ]);
    assert_eq!(bad_model.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&bad_model.stderr);
    assert!(stderr.contains("broken.onnx"), "{stderr}");
}

#[test]
fn validation_folder_accuracy_at_least_95_percent() {
    let valid = support::dataset_dir().join("valid");
    let output = petal(&[
        "classify",
        "--format",
        "json",
        "-k",
        "1",
        valid.to_str().expect("utf-8"),
    ]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let lines = json_lines(&output);
    assert!(lines.len() > 800, "only {} photos", lines.len());
    let correct = lines
        .iter()
        .filter(|line| {
            let path = PathBuf::from(line["path"].as_str().expect("path"));
            let folder = path
                .parent()
                .and_then(|p| p.file_name())
                .and_then(|n| n.to_str());
            folder.is_some() && line["predictions"][0]["class_id"].as_str() == folder
        })
        .count();
    let accuracy = correct as f64 / lines.len() as f64;
    assert!(
        accuracy >= 0.95,
        "top-1 accuracy {accuracy:.4} on {} photos",
        lines.len()
    );
}

#[test]
fn unreadable_folder_entries_are_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_photos(dir.path(), &["8"]);
    std::os::unix::fs::symlink(
        dir.path().join("missing.jpg"),
        dir.path().join("broken.jpg"),
    )
    .expect("symlink");
    let output = classify_json(dir.path());
    assert_eq!(output.status.code(), Some(1));
    let lines = json_lines(&output);
    assert_eq!(lines.len(), 2, "{lines:?}");
    let broken = lines
        .iter()
        .find(|l| l.get("error").is_some())
        .expect("an error line");
    assert!(broken["path"]
        .as_str()
        .expect("path")
        .ends_with("broken.jpg"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("1 of 2 photos could not be classified"),
        "{stderr}"
    );
}

#[test]
fn empty_model_uri_is_a_usage_error() {
    let output = petal(&["classify", "--model", "", "a.jpg"]);
    assert_eq!(output.status.code(), Some(2));
}

#[cfg(unix)]
#[test]
fn a_fifo_named_as_a_photo_fails_without_hanging() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let fifo = dir.path().join("photo.jpg");
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let good = copy_photos(dir.path(), &["1"]);

    let mut child = Command::new(env!("CARGO_BIN_EXE_petal"))
        .args(["classify", "--format", "json"])
        .arg(&fifo)
        .arg(&good[0])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("petal starts");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while child.try_wait().expect("status").is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("petal hung on a FIFO");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let output = child.wait_with_output().expect("output");
    assert_eq!(output.status.code(), Some(1));
    let lines = json_lines(&output);
    assert_eq!(lines.len(), 2);
    let error = lines[0]["error"].as_str().unwrap_or_default();
    assert!(error.contains("not a regular file"), "{error}");
    assert_eq!(lines[1]["predictions"][0]["label"], "pink primrose");
}
