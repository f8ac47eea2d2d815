//! Parses an arbitrary body as each MLflow reply Petal reads, and as the
//! MLmodel files, URIs and offline history it handles.
//! The work is in `petal::fuzzing::mlflow_response`, which the regression
//! test replays.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(
    init: petal::install_panic_hook(),
    |data: &[u8]| petal::fuzzing::mlflow_response(data)
);
