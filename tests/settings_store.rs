//! The settings file survives interrupted saves: a save killed at any
//! moment leaves the previous or the new settings, leftovers are cleaned
//! up with a message, and a file cut short is never read silently.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use petal::settings::{Settings, SettingsStore};

/// Set in the child process that [`kill_during_save_keeps_valid_settings`] starts.
const CHILD_FOLDER: &str = "PETAL_TEST_SAVE_FOREVER_IN";

fn settings_with(bucket: &str) -> Settings {
    let mut settings = Settings::default();
    settings.s3.bucket = Some(bucket.to_string());
    settings.s3.region = Some("eu-west-1".to_string());
    settings.s3.endpoint_url = Some("http://127.0.0.1:9000".to_string());
    settings.mlflow.experiment_name = Some("flowers".to_string());
    settings
}

fn store_in(folder: &Path) -> SettingsStore {
    SettingsStore::at(folder.join("settings.toml"))
}

fn files_in(folder: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(folder)
        .expect("settings folder")
        .map(|entry| entry.expect("entry").path())
        .collect();
    files.sort();
    files
}

#[test]
fn leftover_temporary_file_is_removed_with_a_message() {
    let folder = tempfile::tempdir().expect("temporary folder");
    let store = store_in(folder.path());
    store.save(&settings_with("kept")).expect("saved");
    let leftover = folder.path().join(".settings-interrupted");
    std::fs::write(&leftover, "# Petal settings\n[s3]\nbucket = \"half").expect("write");
    let old = SystemTime::now() - Duration::from_secs(3600);
    let file = std::fs::File::options()
        .write(true)
        .open(&leftover)
        .expect("open");
    file.set_modified(old).expect("set the time");
    drop(file);

    let loaded = store.load();
    assert_eq!(loaded.settings, settings_with("kept"));
    assert_eq!(loaded.messages.len(), 1, "{:?}", loaded.messages);
    assert!(loaded.messages[0].contains(".settings-interrupted"));
    assert!(!leftover.exists());
}

#[test]
fn recent_temporary_file_is_left_alone() {
    let folder = tempfile::tempdir().expect("temporary folder");
    let store = store_in(folder.path());
    store.save(&settings_with("kept")).expect("saved");
    let in_progress = folder.path().join(".settings-in-progress");
    std::fs::write(&in_progress, "[s3]\n").expect("write");
    let loaded = store.load();
    assert!(loaded.messages.is_empty(), "{:?}", loaded.messages);
    assert!(in_progress.exists(), "another process's save was removed");
}

/// Cutting a saved file at any byte either keeps every value or gives a message.
#[test]
fn file_cut_anywhere_is_never_read_silently() {
    let folder = tempfile::tempdir().expect("temporary folder");
    let store = store_in(folder.path());
    let saved = settings_with("flowers");
    store.save(&saved).expect("saved");
    let bytes = std::fs::read(store.path()).expect("saved file");
    for cut in 0..bytes.len() {
        for stale in files_in(folder.path()) {
            std::fs::remove_file(stale).expect("clean");
        }
        std::fs::write(store.path(), &bytes[..cut]).expect("write cut file");
        let loaded = store.load();
        if loaded.settings != saved {
            assert!(
                !loaded.messages.is_empty(),
                "cut at {cut} lost settings silently: {:?}",
                loaded.settings
            );
        }
        let backups = files_in(folder.path())
            .into_iter()
            .filter(|p| p.to_string_lossy().contains(".corrupt-"))
            .count();
        if store.path().exists() {
            assert_eq!(backups, 0, "cut at {cut}");
        } else {
            assert_eq!(backups, 1, "cut at {cut}: the unreadable file was not kept");
        }
    }
}

#[test]
fn corrupt_files_keep_every_backup() {
    let folder = tempfile::tempdir().expect("temporary folder");
    let store = store_in(folder.path());
    for round in 0..3 {
        std::fs::write(store.path(), format!("[s3\nround {round}")).expect("write");
        let loaded = store.load();
        assert_eq!(loaded.messages.len(), 1, "{:?}", loaded.messages);
    }
    let backups: Vec<String> = files_in(folder.path())
        .iter()
        .map(|p| std::fs::read_to_string(p).expect("backup"))
        .collect();
    assert_eq!(backups.len(), 3, "a backup was overwritten");
}

#[test]
fn non_utf8_file_is_kept_aside() {
    let folder = tempfile::tempdir().expect("temporary folder");
    let store = store_in(folder.path());
    std::fs::write(store.path(), b"[s3]\nbucket = \"\xff\xfe\"\n").expect("write");
    let loaded = store.load();
    assert_eq!(loaded.settings, Settings::default());
    assert!(
        loaded.messages[0].contains("not UTF-8"),
        "{:?}",
        loaded.messages
    );
    assert_eq!(files_in(folder.path()).len(), 1);
}

/// Kills a process that saves in a loop, many times. The file always
/// contains one of the two settings it alternates between.
#[test]
fn kill_during_save_keeps_valid_settings() {
    let folder = tempfile::tempdir().expect("temporary folder");
    let store = store_in(folder.path());
    store.save(&settings_with("first")).expect("saved");
    let expected = [settings_with("first"), settings_with("second")];
    for round in 0..15u64 {
        let mut child = Command::new(std::env::current_exe().expect("test binary"))
            .args(["--exact", "save_forever", "--ignored", "--nocapture"])
            .env(CHILD_FOLDER, folder.path())
            .spawn()
            .expect("child starts");
        std::thread::sleep(Duration::from_millis(150 + 37 * round));
        child.kill().expect("kill");
        child.wait().expect("reap");
        let content = std::fs::read_to_string(store.path()).expect("settings file exists");
        let loaded = store.load();
        assert!(
            expected.contains(&loaded.settings),
            "round {round}: {:?}\n{content}",
            loaded.settings
        );
        let complaints: Vec<&String> = loaded
            .messages
            .iter()
            .filter(|m| !m.contains("left by a save"))
            .collect();
        assert!(complaints.is_empty(), "round {round}: {complaints:?}");
    }
}

/// Saves the two settings in turn until killed; only run as the child of
/// [`kill_during_save_keeps_valid_settings`].
#[test]
#[ignore = "runs only as a child process of another test"]
fn save_forever() {
    let Some(folder) = std::env::var_os(CHILD_FOLDER) else {
        return;
    };
    let store = store_in(Path::new(&folder));
    let choices = [settings_with("first"), settings_with("second")];
    for settings in choices.iter().cycle() {
        store.save(settings).expect("saved");
    }
}
