//! Petal identifies flower species in photos with a local ONNX model.
//!
//! The library does the work; the command line and the desktop app are thin
//! layers over it. [`imaging`] turns files into model input, [`model`]
//! loads and runs classifiers with tract, [`walk`] expands folders, and
//! [`classify`] runs batches where one bad photo never stops the rest.

pub mod classify;
pub mod cli;
mod fsutil;
pub mod imaging;
pub mod jobs;
pub mod mlflow;
pub mod model;
pub mod report;
pub mod settings;
pub mod storage;
pub mod ui;
pub mod verdict;
pub mod walk;

std::thread_local! {
    /// Set while [`catch_panic`] runs, so the hook can tell that a panic is handled.
    static CATCHING_PANIC: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f`, turning a panic into its message. Such a panic is logged at
/// debug level by [`install_panic_hook`] instead of printed, because the
/// caller reports it as an error.
pub(crate) fn catch_panic<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    let was_catching = CATCHING_PANIC.replace(true);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    CATCHING_PANIC.set(was_catching);
    result.map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_string())
    })
}

/// Keeps panics caught by [`catch_panic`] off stderr; others print as usual.
pub fn install_panic_hook() {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if CATCHING_PANIC.get() {
            tracing::debug!(%info, "caught a panic");
        } else {
            default_hook(info);
        }
    }));
}
