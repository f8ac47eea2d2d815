//! The app's Models and Settings panels against a real S3-compatible
//! server. This file contains one test because it sets process-wide AWS
//! variables, which the SDK's credential chain reads.

mod support;

use std::path::Path;

use eframe::egui;
use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use petal::settings::{S3Config, S3Settings, Settings, SettingsStore};
use petal::storage::{ModelCache, Remote};
use petal::ui::{AppOptions, PetalApp};
use support::harness::{classify_primrose, has_label, step_until, LIMIT};
use support::s3::{S3Server, ACCESS_KEY, SECRET_KEY};

#[test]
fn models_panel_fetches_and_uses_a_bucket_model() {
    let server = S3Server::start();
    let model = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("models/petal-flowers102-lite0.onnx"),
    )
    .expect("bundled model file");
    server.put("flowers", "models/flowers.onnx", &model);
    server.put("flowers", "models/v2/older.onnx", b"not used");
    let home = tempfile::tempdir().expect("temporary home");
    std::env::set_var("AWS_ACCESS_KEY_ID", ACCESS_KEY);
    std::env::set_var("AWS_SECRET_ACCESS_KEY", SECRET_KEY);
    std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
    std::env::set_var("AWS_CONFIG_FILE", home.path().join("no-aws-config"));
    std::env::set_var(
        "AWS_SHARED_CREDENTIALS_FILE",
        home.path().join("no-aws-credentials"),
    );

    let settings = Settings {
        s3: S3Settings {
            bucket: Some("flowers".into()),
            region: Some("us-east-1".into()),
            endpoint_url: Some(server.endpoint()),
            ..S3Settings::default()
        },
        ..Settings::default()
    };
    let store = SettingsStore::at(home.path().join("config/settings.toml"));
    let cache = ModelCache::at(home.path().join("cache"));
    let options = AppOptions {
        remote: Remote {
            s3: S3Config::resolve(&settings.s3, &|_| None, None),
            mlflow: petal::mlflow::MlflowConfig::default(),
            cache: Some(cache.clone()),
        },
        settings_store: Some(store.clone()),
        settings: settings.clone(),
        ..AppOptions::default()
    };
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1280.0, 900.0))
        .build_eframe(move |cc| PetalApp::new(cc, options));
    step_until(&mut harness, LIMIT, "the bundled model", |h| {
        h.state().is_idle()
    });

    harness.get_by_label("Models").click();
    step_until(&mut harness, LIMIT, "the bucket listing", |h| {
        has_label(h, "flowers.onnx")
    });
    assert!(has_label(&harness, "v2/"), "the sub-folder is listed");

    // The last "Use" button belongs to the bucket's only model.
    let uses: Vec<_> = harness.query_all_by_label("Use").collect();
    uses.last().expect("a Use button").click();
    step_until(&mut harness, LIMIT, "the S3 model", |h| {
        h.state()
            .classifier()
            .is_some_and(|c| c.info().origin == "s3://flowers/models/flowers.onnx")
    });
    assert!(cache.lookup("s3://flowers/models/flowers.onnx").is_some());
    step_until(&mut harness, LIMIT, "the cache listing", |h| {
        has_label(h, "cached")
    });

    classify_primrose(&mut harness);

    harness.get_by_label("Settings").click();
    harness.run_steps(2);
    assert!(has_label(&harness, "in effect: flowers (settings file)"));
}
