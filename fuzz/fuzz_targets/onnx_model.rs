//! Reads arbitrary bytes as an ONNX model's description, before tract runs.
//! The work is in `petal::fuzzing::onnx_model`, which the regression test replays.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(
    init: petal::install_panic_hook(),
    |data: &[u8]| petal::fuzzing::onnx_model(data)
);
