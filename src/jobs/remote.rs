//! Background jobs that reach S3 or the model cache.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use super::{Event, Jobs};
use crate::settings::{Settings, SettingsStore};
use crate::storage::fetch::S3Uri;
use crate::storage::{fetch_model, publish_model, Remote, S3Client};

/// Progress of a download that the UI draws and may cancel.
#[derive(Debug, Default)]
pub struct Transfer {
    done: AtomicU64,
    /// Zero until the size is known.
    total: AtomicU64,
    cancel: AtomicBool,
}

impl Transfer {
    /// Bytes done and, when known, the total.
    pub fn progress(&self) -> (u64, Option<u64>) {
        let total = self.total.load(Ordering::Relaxed);
        (
            self.done.load(Ordering::Relaxed),
            (total > 0).then_some(total),
        )
    }

    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    /// The flag that [`Transfer::cancel`] sets, for the job to check.
    pub(super) fn cancel_flag(&self) -> &AtomicBool {
        &self.cancel
    }

    pub(super) fn report(&self, done: u64, total: Option<u64>) {
        self.done.store(done, Ordering::Relaxed);
        if let Some(total) = total {
            self.total.store(total, Ordering::Relaxed);
        }
    }
}

impl Jobs {
    /// Lists one folder of a bucket.
    pub fn list_bucket(&self, remote: Remote, location: S3Uri) {
        self.spawn("s3-list", move || {
            let cancel = AtomicBool::new(false);
            let result = S3Client::connect(&remote.s3)
                .and_then(|client| client.list(&location.bucket, &location.key, &cancel))
                .map_err(|error| error.to_string());
            Event::Listed { location, result }
        });
    }

    /// Reads the cache's entries.
    pub fn list_cache(&self, remote: Remote) {
        self.spawn("cache-list", move || {
            let entries = remote.cache.map(|cache| cache.list()).unwrap_or_default();
            Event::CacheListed(entries)
        });
    }

    /// Removes one cache entry, then lists the cache again.
    pub fn remove_cached(&self, remote: Remote, source: String) {
        self.spawn("cache-remove", move || {
            let Some(cache) = remote.cache else {
                return Event::CacheListed(Vec::new());
            };
            if let Err(error) = cache.remove(&source) {
                tracing::warn!(%error, source, "cannot remove a cache entry");
            }
            Event::CacheListed(cache.list())
        });
    }

    /// Downloads a model into the cache (again, when `refresh`), reporting
    /// progress through the returned [`Transfer`].
    pub fn fetch(&self, remote: Remote, uri: S3Uri, refresh: bool) -> Arc<Transfer> {
        let transfer = Arc::new(Transfer::default());
        let shared = transfer.clone();
        let wake = self.spawner.wake.clone();
        self.spawn("s3-fetch", move || {
            let result = match &remote.cache {
                None => {
                    Err("no cache folder; set PETAL_CACHE_DIR to a writable folder".to_string())
                }
                Some(cache) => {
                    let report = |done, total| {
                        shared.report(done, total);
                        wake();
                    };
                    let connect = || S3Client::connect(&remote.s3);
                    fetch_model(&uri, cache, connect, &report, &shared.cancel, refresh)
                        .map_err(|error| error.to_string())
                }
            };
            Event::Fetched { uri, result }
        });
        transfer
    }

    /// Uploads a model and its sidecars to a bucket folder.
    pub fn publish(&self, remote: Remote, file: PathBuf, destination: S3Uri) {
        self.spawn("s3-publish", move || {
            let result = S3Client::connect(&remote.s3)
                .map_err(|error| error.to_string())
                .and_then(|client| {
                    publish_model(&client, &file, &destination).map_err(|error| error.to_string())
                });
            Event::Published {
                destination,
                result,
            }
        });
    }

    /// Saves the settings file.
    pub fn save_settings(&self, store: SettingsStore, settings: Settings) {
        self.spawn("settings-save", move || {
            let result = store.save(&settings).map_err(|error| {
                format!(
                    "cannot save the settings to {}: {error}",
                    store.path().display()
                )
            });
            Event::SettingsSaved { settings, result }
        });
    }
}
