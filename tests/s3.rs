//! Models in S3, against a real S3-compatible server that checks SigV4
//! signatures (s3s-fs), through the `petal` binary as users run it.

mod support;

use std::path::{Path, PathBuf};

use support::s3::{CuttingProxy, S3Server, Sandbox, ACCESS_KEY};

const BUCKET: &str = "flowers";

fn bundled_model() -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/petal-flowers102-lite0.onnx");
    std::fs::read(path).expect("bundled model file")
}

fn pink_primrose_photo() -> PathBuf {
    support::dataset_dir().join("valid/1/image_06739.jpg")
}

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn list_follows_pages_past_1000_keys() {
    let server = S3Server::start();
    for index in 0..2500 {
        server.put(BUCKET, &format!("models/many/model-{index:04}.onnx"), b"x");
    }
    server.put(BUCKET, "models/other/skip.onnx", b"x");
    let sandbox = Sandbox::new();
    let output = sandbox.petal_s3(
        &server.endpoint(),
        &["models", "list", "s3://flowers/models/many/"],
    );
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    let lines: Vec<String> = stdout(&output).lines().map(str::to_string).collect();
    assert_eq!(lines.len(), 2500);
    assert!(lines[0].ends_with("s3://flowers/models/many/model-0000.onnx"));
    assert!(lines[2499].ends_with("s3://flowers/models/many/model-2499.onnx"));
}

#[test]
fn list_defaults_to_environment_bucket() {
    let server = S3Server::start();
    server.put(BUCKET, "models/a.onnx", b"x");
    server.put(BUCKET, "models/v2/b.onnx", b"x");
    let sandbox = Sandbox::new();
    let output = sandbox.petal(
        &["models", "list", "--s3-endpoint", &server.endpoint()],
        &[
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY),
            ("AWS_SECRET_ACCESS_KEY", support::s3::SECRET_KEY),
            ("AWS_S3_BUCKET_NAME", BUCKET),
        ],
    );
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("folder"), "{text}");
    assert!(text.contains("s3://flowers/models/v2/"), "{text}");
    assert!(text.contains("s3://flowers/models/a.onnx"), "{text}");
}

#[test]
fn odd_keys_are_cached_under_safe_names() {
    let server = S3Server::start();
    let model = bundled_model();
    let keys = [
        "models/with space/fleur été 🌸.onnx",
        "models/..\\..\\escape.onnx",
        "models/..hidden..onnx",
    ];
    for key in keys {
        server.put(BUCKET, key, &model);
    }
    let sandbox = Sandbox::new();
    let entries = sandbox.cache_dir().join("entries");
    for key in keys {
        let uri = format!("s3://{BUCKET}/{key}");
        let output = sandbox.petal_s3(&server.endpoint(), &["models", "pull", &uri]);
        assert!(output.status.success(), "{key}: {}", stderr(&output));
        let path = PathBuf::from(stdout(&output).trim());
        assert!(
            path.starts_with(&entries),
            "{key} cached at {}",
            path.display()
        );
        assert_eq!(std::fs::read(&path).expect("cached model"), model);
    }
    let output = sandbox.petal_s3(
        &server.endpoint(),
        &[
            "classify",
            "-k",
            "1",
            "--model",
            "s3://flowers/models/with space/fleur été 🌸.onnx",
            pink_primrose_photo().to_str().expect("UTF-8 path"),
        ],
    );
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    assert!(stdout(&output).contains("pink primrose"));
}

#[test]
fn wrong_secret_key_is_access_denied() {
    let server = S3Server::start();
    server.bucket(BUCKET);
    let sandbox = Sandbox::new();
    let output = sandbox.petal(
        &["models", "list", "s3://flowers/models/"],
        &[
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY),
            (
                "AWS_SECRET_ACCESS_KEY",
                "not-the-secret-key-at-all-000000000000000",
            ),
            ("AWS_ENDPOINT_URL", &server.endpoint()),
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(message.contains("access denied"), "{message}");
    assert!(message.contains("AWS_SECRET_ACCESS_KEY"), "{message}");
    assert!(
        !message.contains("not-the-secret-key"),
        "the secret leaked: {message}"
    );
}

#[test]
fn missing_bucket_is_named() {
    let server = S3Server::start();
    let sandbox = Sandbox::new();
    let output = sandbox.petal_s3(
        &server.endpoint(),
        &["models", "list", "s3://no-such-bucket/models/"],
    );
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(message.contains("s3://no-such-bucket/models/"), "{message}");
    assert!(message.contains("no such bucket"), "{message}");
}

#[test]
fn missing_credentials_are_explained() {
    let server = S3Server::start();
    let sandbox = Sandbox::new();
    let output = sandbox.petal(
        &["models", "list", "s3://flowers/"],
        &[("AWS_ENDPOINT_URL", &server.endpoint())],
    );
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(message.contains("no AWS credentials found"), "{message}");
}

#[test]
fn unreachable_endpoint_is_explained() {
    let server = S3Server::start();
    let endpoint = server.endpoint();
    drop(server);
    let sandbox = Sandbox::new();
    let output = sandbox.petal_s3(&endpoint, &["models", "list", "s3://flowers/"]);
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(
        message.contains("cannot reach the S3 endpoint"),
        "{message}"
    );
    assert!(message.contains(&endpoint), "{message}");
}

#[test]
fn interrupted_download_leaves_no_entry() {
    let server = S3Server::start();
    let model = bundled_model();
    server.put(BUCKET, "models/flowers.onnx", &model);
    let proxy = CuttingProxy::start(server.port(), 200_000);
    let sandbox = Sandbox::new();
    let uri = "s3://flowers/models/flowers.onnx";

    let cut = sandbox.petal_s3(&proxy.endpoint(), &["models", "pull", uri]);
    assert_eq!(cut.status.code(), Some(1), "stdout: {}", stdout(&cut));
    let listed = sandbox.petal(&["models", "list", "--cached"], &[]);
    assert!(!stdout(&listed).contains(uri), "{}", stdout(&listed));
    let entries = sandbox.cache_dir().join("entries");
    let complete = std::fs::read_dir(&entries).map_or(0, |dir| dir.count());
    assert_eq!(complete, 0, "a cut download left an entry");
    let staged =
        std::fs::read_dir(sandbox.cache_dir().join("staging")).map_or(0, |dir| dir.count());
    assert_eq!(staged, 0, "a cut download left staging files");

    let retry = sandbox.petal_s3(&server.endpoint(), &["models", "pull", uri]);
    assert!(retry.status.success(), "stderr: {}", stderr(&retry));
    let path = PathBuf::from(stdout(&retry).trim());
    assert_eq!(std::fs::read(path).expect("cached model"), model);
}

#[test]
fn cached_model_classifies_with_the_server_stopped() {
    let mut server = S3Server::start();
    server.put(BUCKET, "models/flowers.onnx", &bundled_model());
    let sandbox = Sandbox::new();
    let uri = "s3://flowers/models/flowers.onnx";
    let pulled = sandbox.petal_s3(&server.endpoint(), &["models", "pull", uri]);
    assert!(pulled.status.success(), "stderr: {}", stderr(&pulled));
    let endpoint = server.endpoint();
    server.stop();

    let photo = pink_primrose_photo();
    let args = [
        "classify",
        "-k",
        "1",
        "--model",
        uri,
        photo.to_str().expect("UTF-8 path"),
    ];
    let output = sandbox.petal_s3(&endpoint, &args);
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    assert!(
        stdout(&output).contains("pink primrose"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn push_then_pull_round_trips_with_sidecars() {
    let server = S3Server::start();
    server.bucket(BUCKET);
    let local = tempfile::tempdir().expect("temporary folder");
    let model = bundled_model();
    let model_path = local.path().join("mine.onnx");
    std::fs::write(&model_path, &model).expect("write model");
    let labels: String = (1..=102).map(|i| format!("species {i}\n")).collect();
    std::fs::write(local.path().join("labels.txt"), &labels).expect("write labels");
    let sandbox = Sandbox::new();

    let pushed = sandbox.petal_s3(
        &server.endpoint(),
        &[
            "models",
            "push",
            model_path.to_str().expect("UTF-8"),
            "s3://flowers/published/",
        ],
    );
    assert!(pushed.status.success(), "stderr: {}", stderr(&pushed));
    assert!(stdout(&pushed).contains("s3://flowers/published/mine.onnx"));
    assert!(stdout(&pushed).contains("s3://flowers/published/labels.txt"));

    let pulled = sandbox.petal_s3(
        &server.endpoint(),
        &["models", "pull", "s3://flowers/published/mine.onnx"],
    );
    assert!(pulled.status.success(), "stderr: {}", stderr(&pulled));
    let path = PathBuf::from(stdout(&pulled).trim());
    assert_eq!(std::fs::read(&path).expect("pulled model"), model);
    let sidecar = path.with_file_name("labels.txt");
    assert_eq!(
        std::fs::read_to_string(sidecar).expect("pulled labels"),
        labels
    );
}

#[test]
fn secrets_never_reach_settings_or_cache() {
    let server = S3Server::start();
    server.put(BUCKET, "models/flowers.onnx", &bundled_model());
    let sandbox = Sandbox::new();
    std::fs::create_dir_all(sandbox.config_dir()).expect("config folder");
    std::fs::write(
        sandbox.config_dir().join("settings.toml"),
        "[s3]\nbucket = \"flowers\"\n",
    )
    .expect("settings file");
    let output = sandbox.petal_s3(
        &server.endpoint(),
        &["models", "pull", "s3://flowers/models/flowers.onnx"],
    );
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    for file in walkdir::WalkDir::new(sandbox.home.path())
        .into_iter()
        .filter_map(Result::ok)
    {
        if !file.file_type().is_file() {
            continue;
        }
        let bytes = std::fs::read(file.path()).expect("readable");
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains(support::s3::SECRET_KEY),
            "secret in {}",
            file.path().display()
        );
    }
    assert!(!stderr(&output).contains(support::s3::SECRET_KEY));
}
