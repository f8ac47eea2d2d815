//! Helpers for the app's `egui_kittest` tests: stepping frames until the
//! app reaches a state, and finding labels.

use std::sync::Arc;
use std::time::{Duration, Instant};

use egui_kittest::kittest::{NodeT, Queryable};
use egui_kittest::Harness;
use petal::ui::PetalApp;

use super::dropped::Dropped;

/// Hang guard for anything that waits on the bundled model, a server or a
/// batch; generous, because CI's two cores also run other tests.
pub const LIMIT: Duration = Duration::from_secs(300);

/// Steps frames until `done` holds, then two more so the result is drawn.
/// Fails, naming `what`, after `limit`.
pub fn step_until(
    harness: &mut Harness<'_, PetalApp>,
    limit: Duration,
    what: &str,
    done: impl Fn(&Harness<'_, PetalApp>) -> bool,
) {
    let started = Instant::now();
    harness.step();
    while !done(harness) {
        assert!(
            started.elapsed() < limit,
            "waited {limit:?} for {what}; on screen: {}",
            labels_on_screen(harness)
        );
        std::thread::sleep(Duration::from_millis(20));
        harness.step();
    }
    harness.run_steps(2);
}

/// Opens the Photos panel, drops the dataset's pink primrose photo and
/// checks that the model in use names it.
pub fn classify_primrose(harness: &mut Harness<'_, PetalApp>) {
    harness.get_by_label("Photos").click();
    let photo = super::dataset_dir().join("valid/1/image_06739.jpg");
    harness
        .input_mut()
        .dropped_files
        .push(Arc::new(Dropped(photo)));
    step_until(harness, LIMIT, "the photo", |h| {
        h.state().is_idle() && h.state().tally().done == 1
    });
    assert!(has_label(harness, "pink primrose"));
}

/// Tells whether a widget with exactly this label is on screen.
pub fn has_label(harness: &Harness<'_, PetalApp>, label: &str) -> bool {
    harness.query_all_by_label(label).next().is_some()
}

/// Tells whether a widget whose label contains `part` is on screen.
pub fn has_label_containing(harness: &Harness<'_, PetalApp>, part: &str) -> bool {
    harness.query_all_by_label_contains(part).next().is_some()
}

/// Lists the labels of every widget on screen, for a failure message.
pub fn labels_on_screen(harness: &Harness<'_, PetalApp>) -> String {
    let labels: Vec<String> = harness
        .query_all_by(|node| node.label().is_some())
        .filter_map(|node| node.accesskit_node().label())
        .collect();
    labels.join(" | ")
}
