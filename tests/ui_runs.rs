//! The app's Runs panel against real MLflow servers on loopback: listing,
//! paging, filters, run detail with charts, loading a run's model, the
//! offline copy, and servers that are down or silent.

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use eframe::egui;
use egui_kittest::kittest::{NodeT, Queryable};
use egui_kittest::Harness;
use petal::mlflow::MlflowConfig;
use petal::settings::{MlflowSettings, S3Config};
use petal::storage::{ModelCache, Remote};
use petal::ui::{AppOptions, Connection, PetalApp};
use support::harness::{classify_primrose, has_label, has_label_containing, step_until, LIMIT};
use support::mlflow::{FakeHttp, MlflowServer};

/// Hang guard for reporting a server that is down or silent.
const UNREACHABLE_LIMIT: Duration = Duration::from_secs(20);

fn model_file() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("models/petal-flowers102-lite0.onnx")
}

/// Opens the window on the Runs panel with `config` and a cache in `home`.
fn open_runs(config: MlflowConfig, home: &Path) -> Harness<'static, PetalApp> {
    let options = AppOptions {
        remote: Remote {
            s3: S3Config::resolve(&Default::default(), &|_| None, None),
            mlflow: config,
            cache: Some(ModelCache::at(home.join("cache"))),
        },
        ..AppOptions::default()
    };
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1280.0, 1000.0))
        .build_eframe(move |cc| PetalApp::new(cc, options));
    step_until(&mut harness, LIMIT, "the bundled model", |h| {
        h.state().is_idle()
    });
    harness.get_by_label("Runs").click();
    harness
}

fn config_for(uri: &str, experiment: Option<&str>) -> MlflowConfig {
    let file = MlflowSettings {
        tracking_uri: Some(uri.to_string()),
        experiment_name: experiment.map(str::to_string),
    };
    MlflowConfig::resolve(&file, &|_| None, None)
}

#[test]
fn runs_panel_browses_seeded_server() {
    let server = MlflowServer::start_seeded(&model_file(), &support::dataset_dir());
    let home = tempfile::tempdir().expect("temporary home");
    let config = config_for(&server.uri(), Some("petal-many-runs"));
    let mut harness = open_runs(config, home.path());

    // The first page of the configured experiment, newest first.
    step_until(&mut harness, LIMIT, "the first page of runs", |h| {
        h.state().runs().runs_shown() > 0
    });
    assert_eq!(harness.state().runs().connection, Connection::Connected);
    assert_eq!(harness.state().runs().runs_shown(), 100);
    assert!(has_label(&harness, "run-1199"), "newest run listed first");
    assert!(
        !has_label(&harness, "petal-deleted"),
        "deleted experiment hidden"
    );

    // "Load more" follows the page token.
    harness.get_by_label("Load more").click();
    step_until(&mut harness, LIMIT, "the second page", |h| {
        h.state().runs().runs_shown() == 200
    });

    // An invalid filter shows the server's message and keeps the rows out.
    let filter = harness.get_by_role_and_label(egui::accesskit::Role::TextInput, "Filter");
    filter.focus();
    filter.type_text("metrics.accuracy >>> oops");
    harness.run_steps(2);
    harness.get_by_label("Apply").click();
    step_until(&mut harness, LIMIT, "the filter error", |h| {
        h.state().runs().filter_error().is_some()
    });
    let message = harness
        .state()
        .runs()
        .filter_error()
        .expect("message")
        .to_string();
    assert!(has_label(&harness, &message), "message shown: {message}");
    assert_eq!(harness.state().runs().runs_shown(), 0);

    // The training run: parameters and a chart of its history.
    let training = server.id("training_run");
    let registered = server.id("registered_model");
    let experiment = experiment_of_training_run(&harness);
    harness
        .get_by_role_and_label(egui::accesskit::Role::Button, &experiment)
        .click();
    step_until(&mut harness, LIMIT, "the training run", |h| {
        has_label(h, "lite0")
    });
    harness
        .get_by_role_and_label(egui::accesskit::Role::Button, "lite0")
        .click();
    step_until(&mut harness, LIMIT, "the val_loss history", |h| {
        h.state().runs().history(&training, "val_loss") == Some((2, true))
    });
    assert!(has_label(&harness, "Parameters"));
    assert!(has_label(&harness, "0.012"), "the lr parameter");
    assert!(has_label(&harness, "val_loss"), "a chart per metric");
    assert!(has_label(&harness, &registered), "registered model listed");
    assert!(has_label(&harness, "@champion (version 1)"));

    // "Use this model" on the ONNX artifact makes it the classifier.
    step_until(&mut harness, LIMIT, "the artifacts", |h| {
        has_label(h, "[+] onnx/")
    });
    // The artifacts sit below the charts, out of the window's view, so the
    // buttons are pressed through AccessKit rather than by pointer.
    harness.get_by_label("[+] onnx/").click_accesskit();
    step_until(&mut harness, LIMIT, "the onnx folder", |h| {
        has_label(h, "Use this model")
    });
    let uses: Vec<_> = harness.query_all_by_label("Use this model").collect();
    uses.first()
        .expect("a Use this model button")
        .click_accesskit();
    let source = format!("runs:/{training}/onnx/petal-flowers102-lite0.onnx");
    step_until(&mut harness, LIMIT, "the run's model", |h| {
        h.state()
            .classifier()
            .is_some_and(|c| c.info().origin == source)
    });
    harness.get_by_label("Models").click();
    harness.run_steps(2);
    assert!(
        has_label_containing(&harness, &source),
        "Models panel names {source}"
    );
    classify_primrose(&mut harness);

    // With the server gone, the saved copy is shown, marked offline.
    server.stop();
    harness.get_by_label("Runs").click();
    harness.run_steps(2);
    harness.get_by_label("Reconnect").click();
    step_until(&mut harness, UNREACHABLE_LIMIT, "the offline copy", |h| {
        h.state().runs().offline_shown()
    });
    assert!(matches!(
        harness.state().runs().connection,
        Connection::Unreachable(_)
    ));
    assert!(has_label_containing(&harness, "Offline, fetched at"));
    assert!(has_label(&harness, "lite0"), "saved runs listed");
}

/// Returns the name of the experiment the seed logged the training run to.
fn experiment_of_training_run(harness: &Harness<'_, PetalApp>) -> String {
    let known = [
        "petal-many-runs",
        "petal-metrics",
        "petal-deleted",
        "Default",
    ];
    harness
        .query_all_by_role(egui::accesskit::Role::Button)
        .filter_map(|node| node.accesskit_node().label())
        .find(|label| label.starts_with("petal") && !known.contains(&label.as_str()))
        .expect("the training experiment is listed")
}

#[test]
fn runs_panel_reports_server_down() {
    let home = tempfile::tempdir().expect("temporary home");
    let port = support::mlflow::free_port();
    let config = config_for(&format!("http://127.0.0.1:{port}"), None);
    let mut harness = open_runs(config, home.path());
    step_until(&mut harness, UNREACHABLE_LIMIT, "unreachable", |h| {
        matches!(h.state().runs().connection, Connection::Unreachable(_))
    });
    assert!(has_label(&harness, "Unreachable:"));
}

#[test]
fn runs_panel_reports_silent_server() {
    let home = tempfile::tempdir().expect("temporary home");
    let silent = FakeHttp::start(None);
    let mut config = config_for(&silent.uri(), None);
    config.request_timeout = Duration::from_secs(3);
    let mut harness = open_runs(config, home.path());
    harness.run_steps(2);
    assert!(
        has_label(&harness, "Connecting to"),
        "connecting while waiting"
    );
    // Frames keep drawing while the request waits.
    step_until(&mut harness, UNREACHABLE_LIMIT, "unreachable", |h| {
        matches!(h.state().runs().connection, Connection::Unreachable(_))
    });
    assert!(has_label(&harness, "Unreachable:"));
}

#[test]
fn runs_panel_explains_missing_server() {
    let home = tempfile::tempdir().expect("temporary home");
    let mut harness = open_runs(MlflowConfig::default(), home.path());
    harness.run_steps(2);
    assert_eq!(harness.state().runs().connection, Connection::NotConfigured);
    assert!(has_label(&harness, "Not configured."));
    assert!(has_label_containing(&harness, "MLFLOW_TRACKING_URI"));
}
