//! Petal identifies flower species in photos with a local ONNX model.
//!
//! The library does the work; the command line and the desktop app are thin
//! layers over it. [`imaging`] turns files into model input, [`model`]
//! loads and runs classifiers with tract, [`walk`] expands folders, and
//! [`classify`] runs batches where one bad photo never stops the rest.

pub mod classify;
pub mod cli;
pub mod imaging;
pub mod model;
pub mod walk;

/// Extracts the message of a caught panic, for error reports.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string())
}
