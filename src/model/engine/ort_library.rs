//! Finding, checking and loading ONNX Runtime's shared library.
//!
//! Petal does not link ONNX Runtime: the `ort` crate's `load-dynamic`
//! feature opens the library at run time. The search is small on purpose:
//!
//! 1. `ORT_DYLIB_PATH`, the `ort` crate's own variable, names the file;
//! 2. else `PETAL_ONNXRUNTIME` names a Python virtual environment with the
//!    `onnxruntime` package installed, and the newest
//!    `lib/python3.*/site-packages/onnxruntime/capi/libonnxruntime.so*` in it
//!    is used.
//!
//! The library is checked before `ort` loads it (it exports
//! `OrtGetApiBase`, its version is new enough and it offers the C API
//! version `ort` was built against), because `ort` panics on a wrong
//! library. Opening a library runs its initialisers, so only a file the
//! user named is ever opened.

use std::ffi::CStr;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The `ort` crate's variable for the library's path.
pub const ORT_DYLIB_ENV: &str = "ORT_DYLIB_PATH";

/// Petal's variable for a Python virtual environment that has the
/// `onnxruntime` package.
pub const PETAL_ONNXRUNTIME_ENV: &str = "PETAL_ONNXRUNTIME";

/// How to install a library, appended to every failure.
const INSTALL_HINT: &str = "install it with `pip install onnxruntime` and set \
    ORT_DYLIB_PATH=.../site-packages/onnxruntime/capi/libonnxruntime.so.1.N, or set \
    PETAL_ONNXRUNTIME to the virtual environment it was installed in";

/// An ONNX Runtime library that `ort` has loaded.
#[derive(Debug)]
pub struct Runtime {
    /// The library's own version string, such as `1.32.0`.
    pub version: String,
}

/// Finds, checks and loads the library once per process. Later calls
/// return the first outcome, because `ort` keeps the first library it
/// loads for the life of the process.
pub fn runtime() -> Result<&'static Runtime, String> {
    static RUNTIME: OnceLock<Result<Runtime, String>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            let env = |name: &str| std::env::var_os(name).filter(|value| !value.is_empty());
            let path = locate(&env)?;
            let version = probe(&path)?;
            initialise(&path)?;
            tracing::info!(path = %path.display(), %version, "ONNX Runtime loaded");
            Ok(Runtime { version })
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// The minimum ONNX Runtime version, as `1.N`.
fn required_version() -> String {
    format!("1.{}", ort::MINOR_VERSION)
}

/// Picks the library file from the environment; see the module's comment.
pub(super) fn locate(env: &dyn Fn(&str) -> Option<std::ffi::OsString>) -> Result<PathBuf, String> {
    if let Some(path) = env(ORT_DYLIB_ENV) {
        return Ok(PathBuf::from(path));
    }
    let Some(venv) = env(PETAL_ONNXRUNTIME_ENV) else {
        return Err(format!(
            "ONNX Runtime was requested but no library was named: neither {ORT_DYLIB_ENV} nor \
             {PETAL_ONNXRUNTIME_ENV} is set. Petal needs ONNX Runtime {} or newer; {INSTALL_HINT}",
            required_version()
        ));
    };
    let venv = PathBuf::from(venv);
    find_in_venv(&venv).ok_or_else(|| {
        format!(
            "ONNX Runtime was requested but {PETAL_ONNXRUNTIME_ENV}={} has no \
             lib/python3.*/site-packages/onnxruntime/capi/libonnxruntime.so*. Petal needs ONNX \
             Runtime {} or newer; {INSTALL_HINT}",
            venv.display(),
            required_version()
        )
    })
}

/// Finds the newest `libonnxruntime.so*` of the `onnxruntime` package in
/// a virtual environment, by file name.
fn find_in_venv(venv: &Path) -> Option<PathBuf> {
    let lib = std::fs::read_dir(venv.join("lib")).ok()?;
    let mut found: Vec<PathBuf> = lib
        .flatten()
        .filter(|entry| entry.file_name().to_string_lossy().starts_with("python3"))
        .map(|entry| entry.path().join("site-packages/onnxruntime/capi"))
        .filter_map(|capi| std::fs::read_dir(capi).ok())
        .flat_map(|files| files.flatten())
        .map(|entry| entry.path())
        .filter(|path| is_runtime_library(path))
        .collect();
    found.sort_by_key(|path| version_key(path));
    found.pop()
}

/// True for `libonnxruntime.so` and its versioned names, but not for the
/// providers' libraries beside it.
fn is_runtime_library(path: &Path) -> bool {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    name.is_some_and(|name| name == "libonnxruntime.so" || name.starts_with("libonnxruntime.so."))
}

/// Returns the numbers after `.so.` in a library's name, so 1.10 sorts
/// after 1.9.
fn version_key(path: &Path) -> Vec<u64> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    let suffix = name
        .as_deref()
        .and_then(|n| n.split_once(".so."))
        .map(|(_, v)| v);
    suffix
        .unwrap_or("")
        .split('.')
        .filter_map(|part| part.parse().ok())
        .collect()
}

/// Opens the library and reads its version through `OrtGetApiBase`,
/// checking that it offers the C API version `ort` was built against.
fn probe(path: &Path) -> Result<String, String> {
    let shown = path.display();
    let hint = || {
        format!(
            "Petal needs ONNX Runtime {} or newer; {INSTALL_HINT}",
            required_version()
        )
    };
    if !path.is_file() {
        return Err(format!(
            "ONNX Runtime library {shown} was not found (from {}); {}",
            origin_of(path),
            hint()
        ));
    }
    // SAFETY: opening a shared library runs its initialisers; the file is
    // one the user named through the variables above.
    let library = unsafe { libloading::Library::new(path) }
        .map_err(|e| format!("cannot open {shown} as a shared library ({e}); {}", hint()))?;
    type GetApiBase = unsafe extern "C" fn() -> *const ort::sys::OrtApiBase;
    // SAFETY: `OrtGetApiBase` has this signature in every ONNX Runtime
    // release; the symbol is only called, never kept past `library`.
    let get_base = unsafe { library.get::<GetApiBase>(b"OrtGetApiBase\0") }.map_err(|_| {
        format!(
            "{shown} is not an ONNX Runtime library (it has no OrtGetApiBase); {}",
            hint()
        )
    })?;
    // SAFETY: ONNX Runtime returns a pointer to a static table or null.
    let base = unsafe { get_base() };
    // SAFETY: checked for null; the table and its version string are
    // static in the library, which stays open for this whole block.
    let (version, api) = unsafe {
        let Some(base) = base.as_ref() else {
            return Err(format!(
                "{shown} returned no API table from OrtGetApiBase; {}",
                hint()
            ));
        };
        let version = CStr::from_ptr((base.GetVersionString)())
            .to_string_lossy()
            .into_owned();
        (version, (base.GetApi)(ort::MINOR_VERSION))
    };
    let minor = version
        .split('.')
        .nth(1)
        .and_then(|m| m.parse::<u32>().ok());
    if api.is_null() || minor.is_none_or(|minor| minor < ort::MINOR_VERSION) {
        return Err(format!(
            "{shown} is ONNX Runtime {version}, which is too old; {}",
            hint()
        ));
    }
    Ok(version)
}

/// Names the variable a library path came from, for messages.
fn origin_of(path: &Path) -> String {
    match std::env::var_os(ORT_DYLIB_ENV) {
        Some(value) if Path::new(&value) == path => ORT_DYLIB_ENV.to_string(),
        _ => PETAL_ONNXRUNTIME_ENV.to_string(),
    }
}

/// Hands the checked library to `ort` and creates its environment.
fn initialise(path: &Path) -> Result<(), String> {
    let shown = path.display().to_string();
    let commit = || {
        ort::init_from(shown.clone())
            .with_name("petal")
            .with_telemetry(false)
            .commit()
    };
    match crate::catch_panic(commit) {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(error)) => Err(format!("ONNX Runtime at {shown} failed to start: {error}")),
        Err(panic) => Err(format!("ONNX Runtime at {shown} failed to start: {panic}")),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::ffi::OsString;

    use super::*;

    fn locate_with(vars: &[(&str, &str)]) -> Result<PathBuf, String> {
        let map: HashMap<&str, OsString> =
            vars.iter().map(|(k, v)| (*k, OsString::from(v))).collect();
        locate(&|name| map.get(name).cloned())
    }

    #[test]
    fn dylib_variable_wins() {
        let path = locate_with(&[
            (ORT_DYLIB_ENV, "/opt/ort.so"),
            (PETAL_ONNXRUNTIME_ENV, "/venv"),
        ]);
        assert_eq!(path, Ok(PathBuf::from("/opt/ort.so")));
    }

    #[test]
    fn nothing_set_says_how_to_install() {
        let error = locate_with(&[]).unwrap_err();
        assert!(error.contains("pip install onnxruntime"), "{error}");
        assert!(error.contains("ORT_DYLIB_PATH"), "{error}");
        assert!(
            error.contains(&format!("1.{}", ort::MINOR_VERSION)),
            "{error}"
        );
    }

    #[test]
    fn venv_search_picks_newest_library() {
        let venv = tempfile::tempdir().expect("temporary folder");
        let capi = venv
            .path()
            .join("lib/python3.11/site-packages/onnxruntime/capi");
        std::fs::create_dir_all(&capi).expect("capi folder");
        for name in [
            "libonnxruntime.so.1.9.0",
            "libonnxruntime.so.1.10.0",
            "libonnxruntime_providers_shared.so",
        ] {
            std::fs::write(capi.join(name), b"").expect("library file");
        }
        let venv_path = venv.path().to_string_lossy().into_owned();
        let found = locate_with(&[(PETAL_ONNXRUNTIME_ENV, &venv_path)]);
        assert_eq!(found, Ok(capi.join("libonnxruntime.so.1.10.0")));
    }

    #[test]
    fn venv_without_package_is_named() {
        let venv = tempfile::tempdir().expect("temporary folder");
        let venv_path = venv.path().to_string_lossy().into_owned();
        let error = locate_with(&[(PETAL_ONNXRUNTIME_ENV, &venv_path)]).unwrap_err();
        assert!(error.contains(&venv_path), "{error}");
    }

    #[test]
    fn probe_rejects_files_that_are_not_libraries() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let fake = dir.path().join("libonnxruntime.so.1.32.0");
        std::fs::write(&fake, b"not a library").expect("fake library");
        let error = probe(&fake).unwrap_err();
        assert!(error.contains("cannot open"), "{error}");
        assert!(error.contains("pip install onnxruntime"), "{error}");
        let missing = probe(&dir.path().join("missing.so")).unwrap_err();
        assert!(missing.contains("was not found"), "{missing}");
    }
}
