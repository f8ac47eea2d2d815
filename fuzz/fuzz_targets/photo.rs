//! Decodes arbitrary bytes as a photo and prepares model input from it.
//! The work is in `petal::fuzzing::photo`, which the regression test replays.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(
    init: petal::install_panic_hook(),
    |data: &[u8]| petal::fuzzing::photo(data)
);
