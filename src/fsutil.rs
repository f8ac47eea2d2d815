//! Opening files that strangers name, without blocking on pipes.

use std::fs::File;
use std::path::Path;

/// Error from opening a path as a regular file.
#[derive(Debug)]
pub enum OpenFailure {
    Io(std::io::Error),
    /// A folder, device, pipe or socket.
    NotAFile,
}

/// Opens `path` for reading only if it is a regular file. On Unix the
/// open itself does not block, so a FIFO with no writer is rejected at
/// once instead of hanging the thread.
pub fn open_regular_file(path: &Path) -> Result<File, OpenFailure> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(OpenFailure::Io)?;
    let metadata = file.metadata().map_err(OpenFailure::Io)?;
    if metadata.is_file() {
        Ok(file)
    } else {
        Err(OpenFailure::NotAFile)
    }
}

/// Describes an I/O error on a file in plain words, with what to do.
pub fn describe_io_error(error: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match error.kind() {
        ErrorKind::NotFound => {
            "no such file; it may have been moved or deleted, so check the path".to_string()
        }
        ErrorKind::PermissionDenied => {
            "permission denied; check the file's permissions or run as its owner".to_string()
        }
        _ => format!("{error}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn open_rejects_fifo_without_blocking() {
        let folder = tempfile::tempdir().expect("temporary folder");
        let fifo = folder.path().join("photo.jpg");
        let path =
            std::ffi::CString::new(fifo.to_str().expect("UTF-8").as_bytes()).expect("C path");
        // SAFETY: `path` is a valid NUL-terminated string that outlives the call.
        let made = unsafe { libc::mkfifo(path.as_ptr(), 0o600) };
        assert_eq!(made, 0, "mkfifo failed");
        assert!(matches!(
            open_regular_file(&fifo),
            Err(OpenFailure::NotAFile)
        ));
        assert!(matches!(
            open_regular_file(folder.path()),
            Err(OpenFailure::NotAFile)
        ));
    }

    #[test]
    fn missing_files_get_a_fix() {
        let error = std::io::Error::from(std::io::ErrorKind::NotFound);
        assert!(describe_io_error(&error).contains("check the path"));
    }
}
