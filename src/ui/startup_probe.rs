//! Start-up timestamps for `tools/bench/run.sh`, printed only when the
//! `PETAL_BENCH_FIRST_FRAME` environment variable is set.

use std::time::{SystemTime, UNIX_EPOCH};

use eframe::egui;

/// Prints the Unix time, in microseconds, of the first frame and of the
/// first frame with a model loaded, then closes the window. The times are
/// taken when the frame's layout is done, just before egui paints it.
#[derive(Debug, Default)]
pub struct StartupProbe {
    first_frame_seen: bool,
}

impl StartupProbe {
    /// Returns a probe when the benchmark asked for one.
    pub fn from_env() -> Option<Self> {
        std::env::var_os("PETAL_BENCH_FIRST_FRAME").map(|_| Self::default())
    }

    /// Records the frame just laid out.
    pub fn frame_done(&mut self, ctx: &egui::Context, model_ready: bool) {
        if !self.first_frame_seen {
            self.first_frame_seen = true;
            println!("first_frame_unix_us {}", unix_micros());
        }
        if model_ready {
            println!("model_ready_frame_unix_us {}", unix_micros());
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
    }
}

fn unix_micros() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_micros())
}
