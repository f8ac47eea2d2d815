//! Secrets in the environment never reach anything Petal writes: runs
//! every command with AWS and MLflow credentials set and the most verbose
//! logs, then searches its output and every file it wrote for them.

mod support;

use std::path::Path;
use std::process::Output;

use petal::settings::{S3Config, Settings, SettingsStore};
use support::s3::{S3Server, Sandbox, ACCESS_KEY, SECRET_KEY};

const SESSION_TOKEN: &str = "petal-session-token-SECRET-7f3a9c0e51";
const MLFLOW_PASSWORD: &str = "petal-mlflow-password-SECRET-91b24d";
const MLFLOW_TOKEN: &str = "petal-mlflow-token-SECRET-c44e0a7b";

/// Values that must never appear, with their names for messages.
const SECRETS: [(&str, &str); 4] = [
    ("AWS_SECRET_ACCESS_KEY", SECRET_KEY),
    ("AWS_SESSION_TOKEN", SESSION_TOKEN),
    ("MLFLOW_TRACKING_PASSWORD", MLFLOW_PASSWORD),
    ("MLFLOW_TRACKING_TOKEN", MLFLOW_TOKEN),
];

fn bundled_model() -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("models/petal-flowers102-lite0.onnx"))
        .expect("bundled model file")
}

fn assert_no_secret(text: &str, place: &str) {
    for (name, value) in SECRETS {
        assert!(!text.contains(value), "{name} appears in {place}");
    }
}

#[test]
fn secrets_never_appear_in_output_or_files() {
    let server = S3Server::start();
    server.put("flowers", "models/flowers.onnx", &bundled_model());
    let sandbox = Sandbox::new();
    let local = sandbox.home.path().join("exports");
    std::fs::create_dir_all(&local).expect("local folder");
    let model = local.join("mine.onnx");
    std::fs::write(&model, bundled_model()).expect("local model");
    let photo = support::dataset_dir().join("valid/1/image_06739.jpg");
    let endpoint = server.endpoint();
    let vars = [
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY),
        ("AWS_SECRET_ACCESS_KEY", SECRET_KEY),
        ("AWS_SESSION_TOKEN", SESSION_TOKEN),
        ("AWS_ENDPOINT_URL", endpoint.as_str()),
        ("AWS_S3_BUCKET_NAME", "flowers"),
        ("MLFLOW_TRACKING_URI", "http://127.0.0.1:9"),
        ("MLFLOW_TRACKING_USERNAME", "petal"),
        ("MLFLOW_TRACKING_PASSWORD", MLFLOW_PASSWORD),
        ("MLFLOW_TRACKING_TOKEN", MLFLOW_TOKEN),
        ("PETAL_LOG", "trace"),
        ("RUST_LOG", "trace"),
    ];
    let photo = photo.to_str().expect("UTF-8 path");
    let model = model.to_str().expect("UTF-8 path");
    let runs: Vec<Vec<&str>> = vec![
        vec!["classify", "--format", "json", photo],
        vec!["models", "list"],
        vec!["models", "pull", "s3://flowers/models/flowers.onnx"],
        vec!["models", "push", model, "s3://flowers/published/"],
        vec![
            "classify",
            "--model",
            "s3://flowers/published/mine.onnx",
            "--format",
            "csv",
            photo,
        ],
        vec!["models", "list", "--cached"],
        vec!["models", "remove", "s3://flowers/models/flowers.onnx"],
    ];
    let mut logged = 0;
    for args in &runs {
        let output: Output = sandbox.petal(args, &vars);
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{args:?}: {stderr}");
        assert_no_secret(&stdout, &format!("the stdout of {args:?}"));
        assert_no_secret(&stderr, &format!("the stderr of {args:?}"));
        logged += stderr.lines().count();
    }
    assert!(logged > 100, "trace logging produced only {logged} lines");

    // The app's settings panel saves through this API with the values in effect.
    let env = |name: &str| {
        vars.iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.to_string())
    };
    let config = S3Config::resolve(&Default::default(), &env, None);
    let mut settings = Settings::default();
    settings.s3.bucket = config.bucket.map(|s| s.value);
    settings.s3.endpoint_url = config.endpoint_url.map(|s| s.value);
    settings.mlflow.tracking_uri = env("MLFLOW_TRACKING_URI");
    let store = SettingsStore::at(sandbox.config_dir().join("settings.toml"));
    store.save(&settings).expect("settings saved");

    let mut files = 0;
    for entry in walkdir::WalkDir::new(sandbox.home.path())
        .into_iter()
        .filter_map(Result::ok)
    {
        if entry.file_type().is_file() {
            let bytes = std::fs::read(entry.path()).expect("readable file");
            assert_no_secret(
                &String::from_utf8_lossy(&bytes),
                &entry.path().display().to_string(),
            );
            files += 1;
        }
    }
    assert!(files >= 4, "only {files} files were written");
}
