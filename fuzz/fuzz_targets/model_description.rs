//! Resolves a model description from arbitrary metadata and sidecar files.
//! The work is in `petal::fuzzing::model_description`, which the regression test replays.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(
    init: petal::install_panic_hook(),
    |data: &[u8]| petal::fuzzing::model_description(data)
);
