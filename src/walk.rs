//! Expands the paths a user gives into the list of photos to classify.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::imaging::sniff;

/// File name extensions treated as photos while walking a folder. Files
/// without one are still taken when their content is a known image format.
const PHOTO_EXTENSIONS: [&str; 15] = [
    "jpg", "jpeg", "jpe", "jfif", "png", "apng", "gif", "webp", "bmp", "dib", "tif", "tiff",
    "avif", "heic", "heif",
];

/// The photos found under the given paths, in a stable order.
#[derive(Debug, Default)]
pub struct PhotoList {
    pub photos: Vec<PathBuf>,
    /// Files inside folders that are not photos, left out.
    pub skipped: usize,
    /// Folders or entries that could not be read.
    pub unreadable: Vec<(PathBuf, std::io::Error)>,
}

/// A path on the command line that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{}: {}", path.display(), describe_io(source))]
pub struct PathError {
    pub path: PathBuf,
    pub source: std::io::Error,
}

/// Says why a path cannot be read, in plain words.
pub fn describe_io(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => "no such file or folder".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => error.to_string(),
    }
}

/// Expands files and folders; folders are walked recursively in file name
/// order, skipping hidden entries. A named file is always kept, so that a
/// non-photo the user chose gets an error rather than silence. A photo
/// reached twice, by name or through a folder, is listed once.
pub fn collect_photos(paths: &[PathBuf]) -> Result<PhotoList, PathError> {
    let mut list = PhotoList::default();
    for path in paths {
        let metadata = std::fs::metadata(path).map_err(|source| PathError {
            path: path.clone(),
            source,
        })?;
        if metadata.is_dir() {
            walk_folder(path, &mut list);
        } else {
            list.photos.push(path.clone());
        }
    }
    let mut seen = std::collections::HashSet::new();
    list.photos
        .retain(|path| seen.insert(std::fs::canonicalize(path).unwrap_or(path.clone())));
    Ok(list)
}

fn walk_folder(root: &Path, list: &mut PhotoList) {
    let walker = walkdir::WalkDir::new(root)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|entry| entry.depth() == 0 || !is_hidden(entry.file_name()));
    for entry in walker {
        match entry {
            Ok(entry) if entry.file_type().is_file() => {
                if is_photo(entry.path()) {
                    list.photos.push(entry.into_path());
                } else {
                    list.skipped += 1;
                }
            }
            Ok(_) => {}
            Err(error) => {
                let path = error.path().unwrap_or(root).to_path_buf();
                let io = error.into_io_error().unwrap_or_else(|| {
                    std::io::Error::other("a symbolic link loops back to a parent folder")
                });
                list.unreadable.push((path, io));
            }
        }
    }
}

/// Hidden files include the `._name` resource forks macOS leaves on
/// shared drives, which carry a photo's extension but hold no photo.
fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.as_encoded_bytes().starts_with(b".")
}

fn is_photo(path: &Path) -> bool {
    let by_extension = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| PHOTO_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()));
    by_extension || has_photo_signature(path)
}

fn has_photo_signature(path: &Path) -> bool {
    let mut head = [0u8; sniff::SNIFF_LEN];
    let Ok(mut file) = File::open(path) else {
        return false;
    };
    let read = file.read(&mut head).unwrap_or(0);
    sniff::sniff(&head[..read]).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_walk_sorted_and_skip_other_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        std::fs::create_dir_all(root.join("b")).expect("mkdir");
        for name in ["b/2.jpg", "a.PNG", "notes.txt", ".hidden.jpg", "._a.jpg"] {
            std::fs::write(root.join(name), b"x").expect("write");
        }
        std::fs::write(root.join("no-extension"), b"\x89PNG\r\n\x1a\n....").expect("write");
        let list = collect_photos(&[root.to_path_buf()]).expect("exists");
        let names: Vec<String> = list
            .photos
            .iter()
            .map(|p| {
                p.strip_prefix(root)
                    .expect("inside")
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        assert_eq!(names, ["a.PNG", "b/2.jpg", "no-extension"]);
        assert_eq!(list.skipped, 1);
    }

    #[test]
    fn missing_path_is_an_error() {
        let error = collect_photos(&[PathBuf::from("/no/such/photo.jpg")]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "/no/such/photo.jpg: no such file or folder"
        );
    }

    #[test]
    fn photo_named_twice_is_listed_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let photo = dir.path().join("a.jpg");
        std::fs::write(&photo, b"x").expect("write");
        let list = collect_photos(&[photo.clone(), dir.path().to_path_buf()]).expect("exists");
        assert_eq!(list.photos, [photo]);
    }
}
