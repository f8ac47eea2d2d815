//! MLflow runs, metrics, artifacts and registered models, against real
//! MLflow tracking servers started on loopback, through the `petal`
//! binary and the library's client. The response parsers are also tested
//! on the MLflow cases in `$PETAL_CASES`.

mod support;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::atomic::AtomicBool;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use petal::mlflow::{
    all_pages, visible_experiments, ArtifactLocation, Experiment, Metric, MlflowClient,
    MlflowConfig, MlflowError, Page, Run,
};
use support::mlflow::{FakeHttp, MlflowServer, ADMIN_PASSWORD, ADMIN_USER};
use support::s3::{S3Server, Sandbox, ACCESS_KEY, SECRET_KEY};

/// Returns the seeded server, started once for every test of this binary.
fn seeded() -> &'static MlflowServer {
    static SERVER: OnceLock<MlflowServer> = OnceLock::new();
    SERVER
        .get_or_init(|| MlflowServer::start_seeded(&bundled_model_path(), &support::dataset_dir()))
}

fn bundled_model_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("models/petal-flowers102-lite0.onnx")
}

fn primrose_photo() -> PathBuf {
    support::dataset_dir().join("valid/1/image_06739.jpg")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn petal_mlflow(sandbox: &Sandbox, uri: &str, args: &[&str]) -> Output {
    sandbox.petal(args, &[("MLFLOW_TRACKING_URI", uri)])
}

fn client_for(uri: &str) -> MlflowClient {
    let config = MlflowConfig::resolve(&Default::default(), &|_| None, Some(uri));
    MlflowClient::new(&config).expect("client")
}

fn json_lines(text: &str) -> Vec<serde_json::Value> {
    text.lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect()
}

/// Returns the top-1 label that `petal classify` printed for the primrose photo.
fn top_label(output: &Output) -> String {
    assert!(
        output.status.success(),
        "classify failed: {}",
        stderr(output)
    );
    let lines = json_lines(&stdout(output));
    lines[0]["predictions"][0]["label"]
        .as_str()
        .expect("a label")
        .to_string()
}

fn classify_with(sandbox: &Sandbox, uri: &str, model: &str) -> Output {
    let photo = primrose_photo();
    let photo = photo.to_str().expect("UTF-8 path");
    let args = [
        "classify", "--model", model, "--format", "json", "-k", "1", photo,
    ];
    petal_mlflow(sandbox, uri, &args)
}

fn bundled_top_label(sandbox: &Sandbox) -> String {
    let photo = primrose_photo();
    let photo = photo.to_str().expect("UTF-8 path");
    let output = sandbox.petal(&["classify", "--format", "json", "-k", "1", photo], &[]);
    top_label(&output)
}

#[test]
fn experiments_list_hides_deleted() {
    let server = seeded();
    let sandbox = Sandbox::new();
    let args = ["experiments", "list", "--format", "jsonl"];
    let output = petal_mlflow(&sandbox, &server.uri(), &args);
    assert!(output.status.success(), "{}", stderr(&output));
    let names: Vec<String> = json_lines(&stdout(&output))
        .iter()
        .map(|e| e["name"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(names.contains(&"petal-many-runs".to_string()), "{names:?}");
    assert!(!names.contains(&"petal-deleted".to_string()), "{names:?}");

    let all = petal_mlflow(&sandbox, &server.uri(), &["experiments", "list", "--all"]);
    assert!(all.status.success(), "{}", stderr(&all));
    let deleted_line = stdout(&all)
        .lines()
        .find(|l| l.contains("petal-deleted"))
        .map(str::to_string);
    assert!(deleted_line.is_some_and(|l| l.contains("deleted  ")));
}

#[test]
fn runs_list_pages_through_1200_runs() {
    let server = seeded();
    let sandbox = Sandbox::new();
    let args = [
        "runs",
        "list",
        "--experiment",
        "petal-many-runs",
        "--order-by",
        "attributes.start_time ASC",
        "--format",
        "jsonl",
    ];
    let output = petal_mlflow(&sandbox, &server.uri(), &args);
    assert!(output.status.success(), "{}", stderr(&output));
    let runs = json_lines(&stdout(&output));
    let seeded_ids: Vec<&str> = server.manifest["many_run_ids"]
        .as_array()
        .expect("run ids")
        .iter()
        .filter_map(|id| id.as_str())
        .collect();
    assert_eq!(seeded_ids.len(), 1200);
    assert_eq!(runs.len(), 1200);
    for (index, (run, id)) in runs.iter().zip(&seeded_ids).enumerate() {
        assert_eq!(run["run_id"], *id, "run {index} is out of order");
        assert_eq!(run["params"]["index"], index.to_string());
    }
    assert_eq!(runs[0]["status"], "FINISHED");
    assert_eq!(runs[0]["duration_s"], 60.0);
    assert_eq!(runs[0]["start_time"], "2024-05-01T10:40:00Z");
}

#[test]
fn runs_list_default_order_and_max() {
    let server = seeded();
    let sandbox = Sandbox::new();
    let args = [
        "runs",
        "list",
        "--max",
        "3",
        "--format",
        "csv",
        "--tracking-uri",
        &server.uri(),
    ];
    let output = sandbox.petal(&args, &[("MLFLOW_EXPERIMENT_NAME", "petal-many-runs")]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(lines[0].starts_with("run_id,run_name,status,start_time,duration_s,params.index"));
    assert!(
        lines[1].contains(",run-1199,"),
        "newest first: {}",
        lines[1]
    );
    assert!(lines[3].contains(",run-1197,"), "{}", lines[3]);
}

#[test]
fn invalid_filter_shows_server_message() {
    let server = seeded();
    let sandbox = Sandbox::new();
    let args = [
        "runs",
        "list",
        "--experiment",
        "petal-many-runs",
        "--filter",
        "metrics.accuracy >>> banana",
    ];
    let output = petal_mlflow(&sandbox, &server.uri(), &args);
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(message.contains("INVALID_PARAMETER_VALUE"), "{message}");
    assert!(message.contains("runs/search"), "{message}");
}

#[test]
fn unknown_experiment_is_named() {
    let server = seeded();
    let sandbox = Sandbox::new();
    let args = ["runs", "list", "--experiment", "no-such-experiment"];
    let output = petal_mlflow(&sandbox, &server.uri(), &args);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("\"no-such-experiment\" was not found"));
}

#[test]
fn metric_history_of_30000_points() {
    let server = seeded();
    let client = client_for(&server.uri());
    let run_id = server.id("history_run");
    let history = client
        .metric_history(&run_id, "loss", &AtomicBool::new(false))
        .expect("history");
    assert_eq!(history.len(), 30000);
    for (step, metric) in history.iter().enumerate() {
        assert_eq!(metric.step, step as i64);
        assert_eq!(metric.value, 1.0 / (step as f64 + 1.0));
    }
    let first = client
        .metric_history_page(&run_id, "loss", None)
        .expect("first page");
    assert!(
        first.items.len() < 30000,
        "the history came in more than one page"
    );
    assert!(first.next_page_token.is_some());
}

#[test]
fn nan_and_infinite_metrics() {
    let server = seeded();
    let client = client_for(&server.uri());
    let run = client.get_run(&server.id("special_run")).expect("run");
    let value = |key: &str| run.metric(key).unwrap_or_else(|| panic!("metric {key}"));
    assert!(value("nan_metric").is_nan());
    // The SQL store keeps infinities as the largest finite doubles.
    assert!(value("pos_inf") >= f64::MAX);
    assert!(value("neg_inf") <= f64::MIN);
    assert_eq!(value("plain"), 0.5);

    let sandbox = Sandbox::new();
    let args = [
        "runs",
        "show",
        &server.id("special_run"),
        "--format",
        "json",
    ];
    let output = petal_mlflow(&sandbox, &server.uri(), &args);
    assert!(output.status.success(), "{}", stderr(&output));
    let shown: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON");
    assert_eq!(shown["metrics"]["nan_metric"], "NaN");
}

#[test]
fn runs_show_lists_training_run() {
    let server = seeded();
    let sandbox = Sandbox::new();
    let run_id = server.id("training_run");
    let output = petal_mlflow(&sandbox, &server.uri(), &["runs", "show", &run_id]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    for expected in [
        "dataset_fingerprint",
        "sha256:seed",
        "val_top1",
        "best_val_top1",
        "model/MLmodel",
        "model/model.onnx",
        "onnx/petal-flowers102-lite0.onnx",
    ] {
        assert!(text.contains(expected), "{expected} missing from:\n{text}");
    }
    let client = client_for(&server.uri());
    let history = client
        .metric_history(&run_id, "val_top1", &AtomicBool::new(false))
        .expect("history");
    let steps: Vec<i64> = history.iter().map(|m| m.step).collect();
    assert_eq!(steps, [1, 2]);
}

#[test]
fn classify_through_runs_uri() {
    let server = seeded();
    let sandbox = Sandbox::new();
    let expected = bundled_top_label(&sandbox);
    assert_eq!(expected, "pink primrose");
    let model = format!(
        "runs:/{}/{}",
        server.id("training_run"),
        server.id("onnx_file")
    );
    let output = classify_with(&sandbox, &server.uri(), &model);
    assert_eq!(top_label(&output), expected);

    // Cached now: a stopped server does not matter.
    let dead = format!("http://127.0.0.1:{}", support::mlflow::free_port());
    let offline = classify_with(&sandbox, &dead, &model);
    assert_eq!(top_label(&offline), expected);
}

#[test]
fn classify_through_model_folder() {
    let server = seeded();
    let sandbox = Sandbox::new();
    let model = format!("runs:/{}/model", server.id("training_run"));
    let output = classify_with(&sandbox, &server.uri(), &model);
    assert_eq!(top_label(&output), "pink primrose");
    let entries: Vec<PathBuf> = walk(&sandbox.cache_dir().join("entries"));
    let names: Vec<String> = entries
        .iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    for expected in ["MLmodel", "model.onnx", "labels.txt", "entry.json"] {
        assert!(names.contains(&expected.to_string()), "{names:?}");
    }
}

#[test]
fn classify_through_registry_alias() {
    let server = seeded();
    let sandbox = Sandbox::new();
    let name = server.id("registered_model");
    for model in [
        format!("models:/{name}@{}", server.id("alias")),
        format!("models:/{name}/{}", server.id("version")),
        format!("models:/{name}/latest"),
    ] {
        let output = classify_with(&sandbox, &server.uri(), &model);
        assert_eq!(top_label(&output), "pink primrose", "{model}");
    }
    let missing = classify_with(&sandbox, &server.uri(), &format!("models:/{name}@nobody"));
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("registered-models/alias"),
        "{}",
        stderr(&missing)
    );
}

#[test]
fn registry_lists_versions_and_aliases() {
    let server = seeded();
    let client = client_for(&server.uri());
    let never = AtomicBool::new(false);
    let models = client.search_registered_models("", &never).expect("models");
    let model = models
        .iter()
        .find(|m| m.name == server.id("registered_model"))
        .expect("the seeded model");
    assert!(model.aliases.iter().any(|a| a.alias == "champion"));
    let versions = client
        .model_versions(&model.name, &never)
        .expect("versions");
    assert_eq!(versions.len(), 1);
    assert_eq!(versions[0].run_id, server.id("training_run"));
}

#[test]
fn artifacts_straight_from_s3() {
    let server = seeded();
    let uri = server.id("s3_artifact_uri");
    let Some(ArtifactLocation::S3(location)) = ArtifactLocation::parse(&uri).ok() else {
        panic!("{uri} is not an s3:// location");
    };
    let s3 = S3Server::start();
    let model = std::fs::read(bundled_model_path()).expect("bundled model");
    s3.put(
        &location.bucket,
        &format!("{}/flowers.onnx", location.key),
        &model,
    );
    let sandbox = Sandbox::new();
    let photo = primrose_photo();
    let photo = photo.to_str().expect("UTF-8 path");
    let model = format!("runs:/{}/flowers.onnx", server.id("s3_run"));
    let args = [
        "classify", "--model", &model, "--format", "json", "-k", "1", photo,
    ];
    let output = sandbox.petal(
        &args,
        &[
            ("MLFLOW_TRACKING_URI", &server.uri()),
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY),
            ("AWS_SECRET_ACCESS_KEY", SECRET_KEY),
            ("AWS_ENDPOINT_URL", &s3.endpoint()),
        ],
    );
    assert_eq!(top_label(&output), "pink primrose");
}

#[test]
fn stopped_server_fails_fast() {
    let sandbox = Sandbox::new();
    let dead = format!("http://127.0.0.1:{}", support::mlflow::free_port());
    let started = Instant::now();
    let output = petal_mlflow(&sandbox, &dead, &["experiments", "list"]);
    assert!(started.elapsed() < Duration::from_secs(20), "hang guard");
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(
        message.contains("cannot reach the MLflow server"),
        "{message}"
    );
    assert!(message.contains("MLFLOW_TRACKING_URI"), "{message}");
}

#[test]
fn silent_server_times_out() {
    let silent = FakeHttp::start(None);
    let sandbox = Sandbox::new();
    let started = Instant::now();
    let output = sandbox.petal(
        &["runs", "show", "abc"],
        &[
            ("MLFLOW_TRACKING_URI", &silent.uri()),
            ("MLFLOW_HTTP_REQUEST_TIMEOUT", "2"),
        ],
    );
    assert!(started.elapsed() < Duration::from_secs(20), "hang guard");
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("did not answer within 2 s"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn login_page_is_not_an_api_response() {
    let page = std::fs::read_to_string(
        support::cases_dir().join("C31-login-page-instead-of-json-200.html"),
    )
    .expect("case C31");
    let response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: \
         close\r\n\r\n{page}",
        page.len()
    );
    let proxy = FakeHttp::start(Some(response));
    let sandbox = Sandbox::new();
    let output = petal_mlflow(&sandbox, &proxy.uri(), &["experiments", "list"]);
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(message.contains("not an MLflow API response"), "{message}");
    assert!(message.contains("\"Login\""), "{message}");
}

#[test]
fn basic_auth_rejects_wrong_password() {
    let server = MlflowServer::start_with_basic_auth();
    let sandbox = Sandbox::new();
    let with_password = |password: &str| {
        sandbox.petal(
            &["experiments", "list"],
            &[
                ("MLFLOW_TRACKING_URI", &server.uri()),
                ("MLFLOW_TRACKING_USERNAME", ADMIN_USER),
                ("MLFLOW_TRACKING_PASSWORD", password),
            ],
        )
    };
    let wrong = with_password("not-the-password");
    assert_eq!(wrong.status.code(), Some(1));
    let message = stderr(&wrong);
    assert!(message.contains("HTTP 401"), "{message}");
    assert!(message.contains("MLFLOW_TRACKING_PASSWORD"), "{message}");
    assert!(!message.contains("not-the-password"), "{message}");
    let right = with_password(ADMIN_PASSWORD);
    assert!(
        right.status.success(),
        "{}\n{}",
        stderr(&right),
        server.log()
    );
    assert!(stdout(&right).contains("Default"));
}

fn walk(folder: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let Ok(entries) = std::fs::read_dir(folder) else {
        return files;
    };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

// The parsers on responses from public bug reports.

fn case(name: &str) -> Vec<u8> {
    std::fs::read(support::cases_dir().join(name)).expect("MLflow case file")
}

#[test]
fn case_non_advancing_token_stops() {
    #[derive(serde::Deserialize)]
    struct History {
        #[serde(default)]
        metrics: Vec<Metric>,
        next_page_token: Option<String>,
    }
    let body = case("C28-get-history-empty-nonadvancing-token.json");
    let mut calls = 0;
    let metrics = all_pages("metrics/get-history", &AtomicBool::new(false), |_| {
        calls += 1;
        assert!(calls < 10, "the listing did not stop");
        let page: History = serde_json::from_slice(&body).expect("parses");
        Ok(Page {
            items: page.metrics,
            next_page_token: page.next_page_token,
        })
    })
    .expect("stops");
    assert!(metrics.is_empty());
}

#[test]
fn case_nan_and_infinity_strings() {
    #[derive(serde::Deserialize)]
    struct History {
        metrics: Vec<Metric>,
    }
    let history: History =
        serde_json::from_slice(&case("C29-get-history-nan-inf-as-strings.json")).expect("parses");
    let values: Vec<f64> = history.metrics.iter().map(|m| m.value).collect();
    assert_eq!(values.len(), 6);
    assert!(values[1].is_nan());
    assert_eq!(values[2], f64::INFINITY);
    assert_eq!(values[3], f64::NEG_INFINITY);
    assert_eq!(values[4], f64::MAX);
}

#[test]
fn case_proxied_and_s3_artifact_uris() {
    #[derive(serde::Deserialize)]
    struct OneRun {
        run: Run,
    }
    let proxied: OneRun =
        serde_json::from_slice(&case("C30-run-get-proxied-artifacts.json")).expect("parses");
    let direct: OneRun =
        serde_json::from_slice(&case("C30-run-get-direct-s3-artifacts.json")).expect("parses");
    let proxied = ArtifactLocation::parse(&proxied.run.info.artifact_uri).expect("proxied");
    assert!(matches!(proxied, ArtifactLocation::Proxied { .. }));
    assert_eq!(
        proxied.join("model.onnx").to_string(),
        "mlflow-artifacts:/125569209838085682/5010695ff2844e43a81ce222d3714051/artifacts/model.onnx"
    );
    let direct = ArtifactLocation::parse(&direct.run.info.artifact_uri).expect("s3");
    let ArtifactLocation::S3(uri) = direct else {
        panic!("expected an S3 location");
    };
    assert_eq!(uri.bucket, "mlflow-artifacts-bucket");
}

#[test]
fn case_login_page_is_rejected() {
    let body = case("C31-login-page-instead-of-json-200.html");
    let error = petal::mlflow::parse_body::<serde_json::Value>("http://proxy/api", 200, &body)
        .expect_err("HTML is not an API response");
    assert!(matches!(error, MlflowError::NotMlflow { status: 200, .. }));
}

#[test]
fn case_deleted_experiments_hidden() {
    #[derive(serde::Deserialize)]
    struct Experiments {
        experiments: Vec<Experiment>,
    }
    let all: Experiments =
        serde_json::from_slice(&case("C32-experiments-search-all-view.json")).expect("parses");
    let shown = visible_experiments(all.experiments.clone(), false);
    let names: Vec<&str> = shown.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["Default", "image-classifier-v2"]);
    assert_eq!(visible_experiments(all.experiments, true).len(), 3);
}
