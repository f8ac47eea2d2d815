//! Parses arbitrary S3 URIs and keys into cache names, which must stay inside.
//! The work is in `petal::fuzzing::s3_names`, which the regression test replays.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(
    init: petal::install_panic_hook(),
    |data: &[u8]| petal::fuzzing::s3_names(data)
);
