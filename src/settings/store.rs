//! Reading and saving the settings file, safely.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::Settings;

/// File name inside the config folder.
const FILE_NAME: &str = "settings.toml";

/// Keys the file may contain, by table; a top-level key has no inner keys.
const KNOWN_KEYS: [(&str, &[&str]); 4] = [
    ("engine", &[]),
    ("engine_threads", &[]),
    (
        "s3",
        &[
            "bucket",
            "region",
            "profile",
            "endpoint_url",
            "path_style",
            "model_prefix",
        ],
    ),
    ("mlflow", &["tracking_uri", "experiment_name"]),
];

/// Petal's config folder: `$PETAL_CONFIG_DIR`, else the platform's (such as
/// `~/.config/petal` on Linux). `None` when the platform has no home folder.
pub fn config_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("PETAL_CONFIG_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("", "", "petal").map(|dirs| dirs.config_dir().to_path_buf())
}

/// The settings read from disk, with anything the user should know.
#[derive(Debug, Default)]
pub struct Loaded {
    pub settings: Settings,
    /// Problems found and what was done about them, as sentences.
    pub messages: Vec<String>,
}

/// The settings file at one path.
#[derive(Debug, Clone)]
pub struct SettingsStore {
    path: PathBuf,
}

impl SettingsStore {
    /// Opens the file in [`config_dir`].
    pub fn open_default() -> Option<Self> {
        config_dir().map(|dir| Self::at(dir.join(FILE_NAME)))
    }

    pub fn at(path: PathBuf) -> Self {
        Self { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the file. A missing file gives defaults. A file that is not
    /// valid TOML is moved aside as a backup and replaced by defaults, so it
    /// never stops Petal from starting. Temporary files left by a save that
    /// was interrupted are removed, with a message.
    pub fn load(&self) -> Loaded {
        let leftovers = self.remove_leftover_temporary_files();
        let mut loaded = self.read();
        loaded.messages.extend(leftovers);
        loaded
    }

    fn read(&self) -> Loaded {
        let bytes = match std::fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Loaded::default(),
            Err(error) => {
                let message = format!(
                    "Cannot read the settings file {}: {error}. Using defaults; fix its permissions.",
                    self.path.display()
                );
                return Loaded {
                    settings: Settings::default(),
                    messages: vec![message],
                };
            }
        };
        let Ok(text) = String::from_utf8(bytes) else {
            return self.set_aside("it is not UTF-8 text");
        };
        match parse_settings(&text) {
            Ok(mut loaded) => {
                // Petal writes the header first and the marker last, so a file
                // that starts like its header (or is empty) needs the marker.
                let written_by_petal = text.starts_with(HEADER) || HEADER.starts_with(&text);
                if written_by_petal && !text.trim_end().ends_with(END_MARKER.trim()) {
                    loaded.messages.push(format!(
                        "The settings file {} ends before its last line, so it may be cut \
                         short. Petal uses the values it could read; check them in the \
                         Settings panel and save.",
                        self.path.display()
                    ));
                }
                loaded
            }
            Err(cause) => self.set_aside(&cause),
        }
    }

    /// Deletes temporary files from saves that never finished. Only those
    /// older than a minute go, so a save in progress elsewhere is kept.
    fn remove_leftover_temporary_files(&self) -> Vec<String> {
        let Some(folder) = self.path.parent() else {
            return Vec::new();
        };
        let Ok(entries) = std::fs::read_dir(folder) else {
            return Vec::new();
        };
        let now = std::time::SystemTime::now();
        let mut messages = Vec::new();
        for entry in entries.filter_map(Result::ok) {
            let name = entry.file_name();
            if !name.to_string_lossy().starts_with(TEMPORARY_PREFIX) {
                continue;
            }
            let modified = entry.metadata().and_then(|m| m.modified());
            let age = modified.map(|m| now.duration_since(m).unwrap_or_default());
            if age.is_ok_and(|age| age > LEFTOVER_AGE) && std::fs::remove_file(entry.path()).is_ok()
            {
                messages.push(format!(
                    "Removed {}, left by a save of the settings that was interrupted; {} \
                     holds the last complete save.",
                    entry.path().display(),
                    self.path.display()
                ));
            }
        }
        messages
    }

    fn set_aside(&self, cause: &str) -> Loaded {
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        // Never replace an earlier backup made in the same second.
        let backup = (0..)
            .map(|n| match n {
                0 => self.path.with_extension(format!("toml.corrupt-{stamp}")),
                n => self
                    .path
                    .with_extension(format!("toml.corrupt-{stamp}-{n}")),
            })
            .find(|candidate| !candidate.exists())
            .unwrap_or_else(|| self.path.with_extension("toml.corrupt"));
        let moved = std::fs::rename(&self.path, &backup);
        let message = match moved {
            Ok(()) => format!(
                "The settings file {} is not valid ({cause}). It was kept as {} and Petal \
                 uses default settings.",
                self.path.display(),
                backup.display()
            ),
            Err(error) => format!(
                "The settings file {} is not valid ({cause}) and cannot be moved aside \
                 ({error}). Petal uses default settings; fix or delete the file.",
                self.path.display()
            ),
        };
        tracing::warn!("{message}");
        Loaded {
            settings: Settings::default(),
            messages: vec![message],
        }
    }

    /// Writes the settings to a temporary file beside the real one and
    /// renames it into place, so an interrupted save leaves the old file.
    pub fn save(&self, settings: &Settings) -> std::io::Result<()> {
        let folder = self.path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(folder)?;
        let body = toml::to_string_pretty(settings).map_err(std::io::Error::other)?;
        let mut file = tempfile::Builder::new()
            .prefix(TEMPORARY_PREFIX)
            .tempfile_in(folder)?;
        file.write_all(HEADER.as_bytes())?;
        file.write_all(body.as_bytes())?;
        file.write_all(END_MARKER.as_bytes())?;
        file.as_file().sync_all()?;
        file.persist(&self.path).map_err(|error| error.error)?;
        sync_folder(folder);
        Ok(())
    }
}

/// Start of the temporary files that saves write before renaming them.
const TEMPORARY_PREFIX: &str = ".settings-";

/// Age after which a temporary file is surely left by an interrupted save.
const LEFTOVER_AGE: std::time::Duration = std::time::Duration::from_secs(60);

/// Last line of a saved file; a file Petal wrote that lacks it was cut short.
const END_MARKER: &str = "\n# End of Petal settings.\n";

/// Flushes the folder's entry for a renamed file to disk, so the new name
/// survives a power cut. Failure only weakens durability, so it is logged.
fn sync_folder(folder: &Path) {
    #[cfg(unix)]
    if let Err(error) = std::fs::File::open(folder).and_then(|dir| dir.sync_all()) {
        tracing::debug!(%error, folder = %folder.display(), "cannot sync the settings folder");
    }
    #[cfg(not(unix))]
    let _ = folder;
}

const HEADER: &str =
    "# Petal settings. Environment variables such as AWS_S3_BUCKET_NAME override\n\
# these values. Credentials never belong here: Petal reads them from the AWS\n\
# credential chain and MLflow's environment variables.\n\n";

/// Parses the text of a settings file, dropping keys Petal does not know
/// with a message each. The error is the reason the text is invalid.
pub fn parse_settings(text: &str) -> Result<Loaded, String> {
    let mut table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| e.message().to_string())?;
    let mut messages = Vec::new();
    table.retain(|name, value| {
        let Some((_, keys)) = KNOWN_KEYS.iter().find(|(table, _)| *table == name) else {
            messages.push(unknown_key_message(name));
            return false;
        };
        if let toml::Value::Table(inner) = value {
            inner.retain(|key, _| {
                let known = keys.contains(&key);
                if !known {
                    messages.push(unknown_key_message(&format!("{name}.{key}")));
                }
                known
            });
        }
        true
    });
    let settings =
        Settings::deserialize(toml::Value::Table(table)).map_err(|e| e.message().to_string())?;
    Ok(Loaded { settings, messages })
}

fn unknown_key_message(key: &str) -> String {
    let lower = key.to_ascii_lowercase();
    let secret = ["secret", "password", "token", "access_key", "session"]
        .iter()
        .any(|word| lower.contains(word));
    if secret {
        format!(
            "The settings file has `{key}`, which looks like a credential; Petal ignores it and \
             will not save it. Use the AWS credential chain or MLflow's environment variables."
        )
    } else {
        format!("The settings file has an unknown key `{key}`; Petal ignores it.")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn save_then_load_round_trips() {
        let folder = tempfile::tempdir().expect("temporary folder");
        let store = SettingsStore::at(folder.path().join("nested").join("settings.toml"));
        let mut settings = Settings::default();
        settings.s3.bucket = Some("flowers".into());
        settings.s3.path_style = Some(true);
        store.save(&settings).expect("saved");
        let loaded = store.load();
        assert_eq!(loaded.settings, settings);
        assert!(loaded.messages.is_empty());
    }

    #[test]
    fn corrupt_file_is_kept_aside_and_defaults_used() {
        let folder = tempfile::tempdir().expect("temporary folder");
        let path = folder.path().join("settings.toml");
        std::fs::write(&path, "[s3\nbucket = ").expect("write");
        let loaded = SettingsStore::at(path.clone()).load();
        assert_eq!(loaded.settings, Settings::default());
        assert_eq!(loaded.messages.len(), 1);
        assert!(!path.exists());
        let backups = std::fs::read_dir(folder.path()).expect("list").count();
        assert_eq!(backups, 1);
    }

    #[test]
    fn wrong_types_count_as_corrupt() {
        let folder = tempfile::tempdir().expect("temporary folder");
        let path = folder.path().join("settings.toml");
        std::fs::write(&path, "[s3]\npath_style = \"sometimes\"\n").expect("write");
        let loaded = SettingsStore::at(path).load();
        assert_eq!(loaded.settings, Settings::default());
        assert!(loaded.messages[0].contains("not valid"));
    }

    #[test]
    fn example_file_parses_commented_and_uncommented() {
        let example = include_str!("../../configs/settings.example.toml");
        let loaded = parse_settings(example).expect("the example parses");
        assert_eq!(loaded.settings, Settings::default());
        let uncommented: String = example
            .lines()
            .map(|line| match line.strip_prefix("# ") {
                Some(rest) if rest.contains(" = ") => rest,
                _ => line,
            })
            .map(|line| format!("{line}\n"))
            .collect();
        let loaded = parse_settings(&uncommented).expect("the uncommented example parses");
        assert!(loaded.messages.is_empty(), "{:?}", loaded.messages);
        assert!(loaded.settings.s3.bucket.is_some());
        assert!(loaded.settings.s3.path_style.is_some());
        assert!(loaded.settings.mlflow.experiment_name.is_some());
        assert_eq!(loaded.settings.engine.as_deref(), Some("onnxruntime"));
        assert_eq!(loaded.settings.engine_threads, Some(1));
    }

    #[test]
    fn secret_keys_are_dropped_with_a_warning() {
        let text = "[s3]\nbucket = \"flowers\"\naws_secret_access_key = \"abc\"\n[extra]\nx = 1\n";
        let loaded = parse_settings(text).expect("parses");
        assert_eq!(loaded.settings.s3.bucket.as_deref(), Some("flowers"));
        assert_eq!(loaded.messages.len(), 2);
        let credential = loaded
            .messages
            .iter()
            .filter(|m| m.contains("looks like a credential"));
        assert_eq!(credential.count(), 1, "{:?}", loaded.messages);
        let saved = toml::to_string(&loaded.settings).expect("serialises");
        assert!(!saved.contains("abc"));
    }
}
