//! The local model cache: fetched models, usable with no network.
//!
//! Each entry is a folder holding the model file, its sidecars and
//! `entry.json`. A download is assembled in a staging folder and renamed
//! into place only after it is verified, so a folder under `entries/`
//! is always complete; an interrupted download leaves at most a staging
//! folder, which the next start removes.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The description every complete entry carries.
const ENTRY_FILE: &str = "entry.json";
/// Staging folders older than this belong to a process that died.
const STALE_STAGING: Duration = Duration::from_secs(60 * 60);

/// Description of one fetched model in the cache.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryInfo {
    /// The URI it was fetched from, such as `s3://bucket/models/a.onnx`.
    pub source: String,
    /// File name of the model inside the entry folder.
    pub model_file: String,
    /// Sidecar files fetched with it, by file name.
    pub sidecars: Vec<String>,
    pub size: u64,
    /// SHA-256 of the model file, lowercase hex.
    pub sha256: String,
    /// The server's ETag at fetch time, when it gave one; for an MLflow
    /// `models:/` entry, the registry version it was fetched at.
    pub etag: Option<String>,
    /// Seconds since the Unix epoch.
    pub fetched_at: u64,
}

/// A complete cache entry.
#[derive(Debug, Clone)]
pub struct CachedModel {
    pub folder: PathBuf,
    pub info: EntryInfo,
}

impl CachedModel {
    /// Returns the model file to load.
    pub fn model_path(&self) -> PathBuf {
        self.folder.join(&self.info.model_file)
    }
}

/// The cache folder and its entries.
#[derive(Debug, Clone)]
pub struct ModelCache {
    root: PathBuf,
}

/// A folder being filled by a download; removed on drop unless committed.
#[derive(Debug)]
pub struct Staging {
    folder: Option<tempfile::TempDir>,
    source: String,
}

impl ModelCache {
    /// Opens the cache in `$PETAL_CACHE_DIR`, else the platform's cache folder
    /// (such as `~/.cache/petal` on Linux).
    pub fn open_default() -> Option<Self> {
        if let Some(dir) = std::env::var_os("PETAL_CACHE_DIR").filter(|d| !d.is_empty()) {
            return Some(Self::at(PathBuf::from(dir)));
        }
        let dirs = directories::ProjectDirs::from("", "", "petal")?;
        Some(Self::at(dirs.cache_dir().to_path_buf()))
    }

    pub fn at(root: PathBuf) -> Self {
        Self { root }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn entries_dir(&self) -> PathBuf {
        self.root.join("entries")
    }

    fn staging_dir(&self) -> PathBuf {
        self.root.join("staging")
    }

    /// Returns the folder of the entry for `source`. The name comes from a
    /// hash of the URI plus a sanitised file name, so no key or path can
    /// place it outside the cache.
    pub fn entry_folder(&self, source: &str) -> PathBuf {
        let digest = Sha256::digest(source.as_bytes());
        let hash: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
        let name = source.rsplit('/').next().unwrap_or("");
        self.entries_dir()
            .join(format!("{hash}-{}", safe_file_name(name)))
    }

    /// Returns the complete entry for `source`, if there is one.
    pub fn lookup(&self, source: &str) -> Option<CachedModel> {
        let entry = read_entry(&self.entry_folder(source))?;
        (entry.info.source == source).then_some(entry)
    }

    /// Returns every complete entry, sorted by source.
    pub fn list(&self) -> Vec<CachedModel> {
        let Ok(folders) = std::fs::read_dir(self.entries_dir()) else {
            return Vec::new();
        };
        let mut entries: Vec<CachedModel> = folders
            .filter_map(Result::ok)
            .filter_map(|folder| read_entry(&folder.path()))
            .collect();
        entries.sort_by(|a, b| a.info.source.cmp(&b.info.source));
        entries
    }

    /// Deletes the entry for `source`; `false` when there was none.
    pub fn remove(&self, source: &str) -> std::io::Result<bool> {
        let Some(entry) = self.lookup(source) else {
            return Ok(false);
        };
        std::fs::remove_dir_all(entry.folder)?;
        Ok(true)
    }

    /// Starts a download for `source` in a fresh staging folder.
    pub fn stage(&self, source: &str) -> std::io::Result<Staging> {
        let staging = self.staging_dir();
        std::fs::create_dir_all(&staging)?;
        self.remove_stale_staging();
        let folder = tempfile::Builder::new()
            .prefix("fetch-")
            .tempdir_in(&staging)?;
        Ok(Staging {
            folder: Some(folder),
            source: source.to_string(),
        })
    }

    /// Writes `entry.json` into the staging folder and moves it into
    /// place, replacing an older entry for the same source.
    pub fn commit(&self, mut staging: Staging, info: EntryInfo) -> std::io::Result<CachedModel> {
        let folder = staging
            .folder
            .take()
            .expect("a staging folder is committed once");
        let json = serde_json::to_vec_pretty(&info).map_err(std::io::Error::other)?;
        write_synced(&folder.path().join(ENTRY_FILE), &json)?;
        let target = self.entry_folder(&staging.source);
        std::fs::create_dir_all(self.entries_dir())?;
        if target.exists() {
            // Move the old entry out of the way first: renaming onto a
            // non-empty folder fails.
            let old = self
                .staging_dir()
                .join(format!("old-{}", std::process::id()));
            std::fs::rename(&target, &old)?;
            let _ = std::fs::remove_dir_all(&old);
        }
        let staged = folder.keep();
        if let Err(error) = std::fs::rename(&staged, &target) {
            let _ = std::fs::remove_dir_all(&staged);
            return Err(error);
        }
        Ok(CachedModel {
            folder: target,
            info,
        })
    }

    fn remove_stale_staging(&self) {
        let Ok(folders) = std::fs::read_dir(self.staging_dir()) else {
            return;
        };
        let now = SystemTime::now();
        for folder in folders.filter_map(Result::ok) {
            let modified = folder.metadata().and_then(|m| m.modified());
            let stale =
                modified.is_ok_and(|m| now.duration_since(m).unwrap_or_default() > STALE_STAGING);
            if stale {
                let _ = std::fs::remove_dir_all(folder.path());
            }
        }
    }
}

impl Staging {
    /// Returns the staging folder, where the entry's files are written.
    pub fn path(&self) -> &Path {
        self.folder
            .as_ref()
            .map_or(Path::new(""), |folder| folder.path())
    }
}

fn read_entry(folder: &Path) -> Option<CachedModel> {
    let text = std::fs::read(folder.join(ENTRY_FILE)).ok()?;
    let info: EntryInfo = serde_json::from_slice(&text).ok()?;
    let entry = CachedModel {
        folder: folder.to_path_buf(),
        info,
    };
    entry.model_path().is_file().then_some(entry)
}

fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut file = std::fs::File::create(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// A file name made only of ASCII letters, digits, `.`, `_` and `-`, not
/// starting or ending with a dot, at most 96 bytes, and never a Windows
/// device name (`CON`, `NUL`, `COM1`, ...); other characters become `_`.
pub fn safe_file_name(name: &str) -> String {
    let mut safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    while safe.starts_with('.') {
        safe.replace_range(..1, "_");
    }
    // Windows drops trailing dots, which would make two names one.
    while safe.ends_with('.') {
        safe.pop();
        safe.push('_');
    }
    // Before the length cap, so the added underscore cannot exceed it.
    if is_windows_device_name(&safe) {
        safe.insert(0, '_');
    }
    if safe.len() > 96 {
        // Keep the extension, which distinguishes the model from its sidecars.
        match safe.rsplit_once('.') {
            Some((_, extension)) => {
                let extension: String = extension.chars().take(16).collect();
                safe.truncate(96 - extension.len() - 1);
                safe = format!("{safe}.{extension}");
            }
            // A name with no extension must not gain a trailing dot.
            None => safe.truncate(96),
        }
    }
    if safe.is_empty() {
        "model.onnx".to_string()
    } else {
        safe
    }
}

/// Reports whether Windows reserves `name` for a device, whatever its
/// extension: `CON`, `PRN`, `AUX`, `NUL`, `COM0`-`COM9` and `LPT0`-`LPT9`.
fn is_windows_device_name(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or("").to_ascii_uppercase();
    let numbered = |prefix: &str| {
        stem.strip_prefix(prefix)
            .is_some_and(|digit| digit.len() == 1 && digit.as_bytes()[0].is_ascii_digit())
    };
    matches!(stem.as_str(), "CON" | "PRN" | "AUX" | "NUL") || numbered("COM") || numbered("LPT")
}

/// Seconds since the Unix epoch, for [`EntryInfo::fetched_at`].
pub fn now_seconds() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(source: &str) -> EntryInfo {
        EntryInfo {
            source: source.to_string(),
            model_file: "m.onnx".into(),
            sidecars: Vec::new(),
            size: 3,
            sha256: String::new(),
            etag: None,
            fetched_at: 0,
        }
    }

    #[test]
    fn safe_names_cannot_leave_the_folder() {
        for hostile in [
            "..",
            "../../etc/passwd",
            "..\\..\\x.onnx",
            "/abs/path",
            "é 🌸.onnx",
            "",
        ] {
            let safe = safe_file_name(hostile);
            assert!(
                !safe.contains('/') && !safe.contains('\\'),
                "{hostile:?} -> {safe:?}"
            );
            assert!(!safe.starts_with('.'), "{hostile:?} -> {safe:?}");
            assert!(!safe.is_empty());
        }
        assert_eq!(safe_file_name("flowers v2.onnx"), "flowers_v2.onnx");
        let long = format!("{}.onnx", "a".repeat(300));
        assert!(safe_file_name(&long).ends_with(".onnx"));
        assert!(safe_file_name(&long).len() <= 96);
        // Found by the s3_names fuzz target: a long name with no dot.
        let plain = safe_file_name(&"b".repeat(300));
        assert_eq!(plain, "b".repeat(96));
        // And a long one that starts with a device name.
        let device = safe_file_name(&format!("LPT1.{}.onnx", "c".repeat(200)));
        assert!(device.starts_with("_LPT1."), "{device}");
        assert!(device.len() <= 96, "{device}");
    }

    #[test]
    fn device_names_and_trailing_dots_are_renamed() {
        assert_eq!(safe_file_name("CON.onnx"), "_CON.onnx");
        assert_eq!(safe_file_name("nul"), "_nul");
        assert_eq!(safe_file_name("com7.json"), "_com7.json");
        assert_eq!(safe_file_name("console.onnx"), "console.onnx");
        assert_eq!(safe_file_name("model."), "model_");
        assert_eq!(safe_file_name(".."), "__");
    }

    #[test]
    fn entries_appear_only_when_committed() {
        let root = tempfile::tempdir().expect("temporary folder");
        let cache = ModelCache::at(root.path().to_path_buf());
        let source = "s3://b/models/../../m.onnx";
        let staging = cache.stage(source).expect("staged");
        std::fs::write(staging.path().join("m.onnx"), b"abc").expect("write");
        assert!(cache.lookup(source).is_none());
        drop(staging);
        assert!(cache.list().is_empty());

        let staging = cache.stage(source).expect("staged");
        std::fs::write(staging.path().join("m.onnx"), b"abc").expect("write");
        let entry = cache.commit(staging, info(source)).expect("committed");
        assert!(entry.folder.starts_with(root.path().join("entries")));
        assert_eq!(cache.lookup(source).map(|e| e.info), Some(info(source)));
        assert!(cache.remove(source).expect("removed"));
        assert!(cache.lookup(source).is_none());
    }

    #[test]
    fn committing_again_replaces_the_entry() {
        let root = tempfile::tempdir().expect("temporary folder");
        let cache = ModelCache::at(root.path().to_path_buf());
        for content in [&b"one"[..], b"two"] {
            let staging = cache.stage("s3://b/m.onnx").expect("staged");
            std::fs::write(staging.path().join("m.onnx"), content).expect("write");
            cache
                .commit(staging, info("s3://b/m.onnx"))
                .expect("committed");
        }
        let entry = cache.lookup("s3://b/m.onnx").expect("entry");
        assert_eq!(std::fs::read(entry.model_path()).expect("read"), b"two");
        assert_eq!(cache.list().len(), 1);
    }
}
