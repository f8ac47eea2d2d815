//! The photos in the app and what is known about each, without drawing.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use eframe::egui::TextureHandle;
use image::RgbImage;

use crate::jobs::{Analysis, PhotoId, PhotoInput};
use crate::verdict::Verdict;

/// Progress of one photo.
#[derive(Debug, Clone)]
pub enum PhotoState {
    /// Queued, or waiting for a model.
    Waiting,
    Done(Analysis),
    /// Error that explains the missing predictions.
    Failed(String),
    /// Left out of a cancelled batch.
    Cancelled,
}

/// One photo in the list.
pub struct PhotoEntry {
    pub id: PhotoId,
    pub input: PhotoInput,
    /// File name, or a name for a pasted image.
    pub name: String,
    pub state: PhotoState,
    pub thumbnail: Option<TextureHandle>,
    /// The canonical path that keeps the file from being listed twice.
    identity: Option<PathBuf>,
}

impl PhotoEntry {
    /// Returns the file, when the photo has one.
    pub fn path(&self) -> Option<&Path> {
        match &self.input {
            PhotoInput::File(path) => Some(path),
            PhotoInput::Pixels(_) => None,
        }
    }

    /// Returns the full path, or the name of a pasted image.
    pub fn location(&self) -> String {
        self.path()
            .map_or_else(|| self.name.clone(), |path| path.display().to_string())
    }

    pub fn analysis(&self) -> Option<&Analysis> {
        match &self.state {
            PhotoState::Done(analysis) => Some(analysis),
            _ => None,
        }
    }

    pub fn verdict(&self) -> Option<Verdict<'_>> {
        self.analysis()
            .and_then(|analysis| Verdict::of(&analysis.predictions))
    }

    pub fn is_uncertain(&self) -> bool {
        self.verdict().is_some_and(|verdict| verdict.is_uncertain())
    }
}

/// Counts for the status bar.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    pub total: usize,
    pub done: usize,
    pub failed: usize,
    pub uncertain: usize,
    pub waiting: usize,
    pub cancelled: usize,
}

/// The photos in the order they were added; each file appears once.
#[derive(Default)]
pub struct PhotoList {
    entries: Vec<PhotoEntry>,
    positions: HashMap<PhotoId, usize>,
    /// Canonical paths of the files in the list.
    files: HashSet<PathBuf>,
    next_id: PhotoId,
    pasted: usize,
}

impl PhotoList {
    /// Adds a file unless it is already in the list.
    pub fn add_file(&mut self, path: PathBuf) -> Option<PhotoId> {
        let identity = identity(&path);
        self.add_identified(path, identity)
    }

    /// Adds a file whose canonical path is known, unless it is listed.
    pub fn add_identified(&mut self, path: PathBuf, identity: PathBuf) -> Option<PhotoId> {
        if !self.files.insert(identity.clone()) {
            return None;
        }
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let id = self.push(PhotoInput::File(path), name, PhotoState::Waiting);
        if let Some(entry) = self.get_mut(id) {
            entry.identity = Some(identity);
        }
        Some(id)
    }

    /// Adds a file that cannot be read, with the reason, unless it is listed.
    pub fn add_failed_file(&mut self, path: PathBuf, reason: String) -> Option<PhotoId> {
        let id = self.add_file(path)?;
        self.set_state(id, PhotoState::Failed(reason));
        Some(id)
    }

    /// Adds an image pasted from the clipboard.
    pub fn add_pixels(&mut self, image: RgbImage) -> PhotoId {
        self.pasted += 1;
        let name = format!("Pasted image {}", self.pasted);
        self.push(
            PhotoInput::Pixels(Arc::new(image)),
            name,
            PhotoState::Waiting,
        )
    }

    fn push(&mut self, input: PhotoInput, name: String, state: PhotoState) -> PhotoId {
        let id = self.next_id;
        self.next_id += 1;
        self.positions.insert(id, self.entries.len());
        self.entries.push(PhotoEntry {
            id,
            input,
            name,
            state,
            thumbnail: None,
            identity: None,
        });
        id
    }

    /// Removes a photo; returns the position it had.
    pub fn remove(&mut self, id: PhotoId) -> Option<usize> {
        let position = self.positions.remove(&id)?;
        let entry = self.entries.remove(position);
        if let Some(identity) = &entry.identity {
            self.files.remove(identity);
        }
        for (index, entry) in self.entries.iter().enumerate().skip(position) {
            self.positions.insert(entry.id, index);
        }
        Some(position)
    }

    pub fn set_state(&mut self, id: PhotoId, state: PhotoState) {
        if let Some(entry) = self.get_mut(id) {
            entry.state = state;
        }
    }

    pub fn get(&self, id: PhotoId) -> Option<&PhotoEntry> {
        self.positions.get(&id).map(|&index| &self.entries[index])
    }

    pub fn get_mut(&mut self, id: PhotoId) -> Option<&mut PhotoEntry> {
        let index = *self.positions.get(&id)?;
        self.entries.get_mut(index)
    }

    pub fn position(&self, id: PhotoId) -> Option<usize> {
        self.positions.get(&id).copied()
    }

    pub fn entries(&self) -> &[PhotoEntry] {
        &self.entries
    }

    pub fn entries_mut(&mut self) -> impl Iterator<Item = &mut PhotoEntry> {
        self.entries.iter_mut()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Returns the id `step` places after `id` (before it when negative),
    /// clamped to the list. Without `id`, returns the first photo.
    pub fn neighbour(&self, id: Option<PhotoId>, step: isize) -> Option<PhotoId> {
        let last = self.entries.len().checked_sub(1)?;
        let target = match id.and_then(|id| self.position(id)) {
            Some(index) => index.saturating_add_signed(step).min(last),
            None => 0,
        };
        Some(self.entries[target].id)
    }

    pub fn tally(&self) -> Tally {
        let mut tally = Tally {
            total: self.entries.len(),
            ..Tally::default()
        };
        for entry in &self.entries {
            match &entry.state {
                PhotoState::Waiting => tally.waiting += 1,
                PhotoState::Done(_) => {
                    tally.done += 1;
                    tally.uncertain += usize::from(entry.is_uncertain());
                }
                PhotoState::Failed(_) => tally.failed += 1,
                PhotoState::Cancelled => tally.cancelled += 1,
            }
        }
        tally
    }
}

/// Returns the canonical path, so two spellings of one file match.
fn identity(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_file_ignores_other_spellings() {
        let folder = tempfile::tempdir().expect("temporary folder");
        let photo = folder.path().join("rose.jpg");
        std::fs::write(&photo, b"not really a photo").expect("write");
        let mut list = PhotoList::default();
        assert!(list.add_file(photo.clone()).is_some());
        assert!(list
            .add_file(folder.path().join(".").join("rose.jpg"))
            .is_none());
        assert_eq!(list.len(), 1);
    }

    #[test]
    fn removing_keeps_positions_and_allows_adding_again() {
        let mut list = PhotoList::default();
        let a = list.add_file(PathBuf::from("a.jpg")).expect("new");
        let b = list.add_file(PathBuf::from("b.jpg")).expect("new");
        let c = list.add_file(PathBuf::from("c.jpg")).expect("new");
        assert_eq!(list.remove(b), Some(1));
        assert_eq!(list.position(c), Some(1));
        assert_eq!(list.neighbour(Some(a), 1), Some(c));
        assert_eq!(list.neighbour(Some(c), 5), Some(c));
        assert_eq!(list.neighbour(None, -1), Some(a));
        assert!(list.add_file(PathBuf::from("b.jpg")).is_some());
    }

    #[test]
    fn tally_counts_each_state() {
        let mut list = PhotoList::default();
        let a = list.add_file(PathBuf::from("a.jpg")).expect("new");
        list.add_failed_file(PathBuf::from("b.jpg"), "broken".into());
        list.add_pixels(RgbImage::new(2, 2));
        list.set_state(a, PhotoState::Cancelled);
        let tally = list.tally();
        assert_eq!((tally.total, tally.failed, tally.waiting), (3, 1, 1));
        assert_eq!(tally.cancelled, 1);
    }
}
