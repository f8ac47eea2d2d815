//! Parses an arbitrary settings file and resolves it with arbitrary variables.
//! The work is in `petal::fuzzing::settings`, which the regression test replays.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(
    init: petal::install_panic_hook(),
    |data: &[u8]| petal::fuzzing::settings(data)
);
