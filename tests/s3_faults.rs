//! S3 servers that fail: each of `petal models list`, `pull` and `push`
//! against a stalled, erroring, garbled, trickling or cut-off server ends
//! with a clear error in bounded time, retries only what may succeed, and
//! leaves no cache entry that looks complete.

mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use support::child::{run_measured, ChildReport};
use support::faults::{Fault, FaultServer};
use support::s3::{CuttingProxy, S3Server, Sandbox};

const BUCKET: &str = "flowers";
const MODEL_URI: &str = "s3://flowers/models/flowers.onnx";

/// Maximum time any failing command may take. Three attempts of a 20 s
/// read timeout with backoff take about a minute, so only a hang gets near it.
const HANG_GUARD: Duration = Duration::from_secs(240);

fn bundled_model() -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("models/petal-flowers102-lite0.onnx"))
        .expect("bundled model file")
}

fn local_model(folder: &Path) -> PathBuf {
    let path = folder.join("mine.onnx");
    std::fs::write(&path, bundled_model()).expect("write model");
    path
}

/// Runs `list`, `pull` and `push` against `endpoint` at once, each in its
/// own sandbox, and returns their reports in that order.
fn every_operation(endpoint: &str) -> Vec<(&'static str, ChildReport)> {
    let local = tempfile::tempdir().expect("temporary folder");
    let model = local_model(local.path());
    let model = model.to_str().expect("UTF-8 path").to_string();
    let operations: Vec<(&'static str, Vec<String>)> = vec![
        (
            "list",
            vec![
                "models".into(),
                "list".into(),
                "s3://flowers/models/".into(),
            ],
        ),
        (
            "pull",
            vec!["models".into(), "pull".into(), MODEL_URI.into()],
        ),
        (
            "push",
            vec![
                "models".into(),
                "push".into(),
                model,
                "s3://flowers/new/".into(),
            ],
        ),
    ];
    std::thread::scope(|scope| {
        let handles: Vec<_> = operations
            .into_iter()
            .map(|(name, args)| {
                scope.spawn(move || {
                    let sandbox = Sandbox::new();
                    let args: Vec<&str> = args.iter().map(String::as_str).collect();
                    let command = sandbox.command_s3(endpoint, &args);
                    (name, run_measured(command, HANG_GUARD))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().expect("operation thread"))
            .collect()
    })
}

fn assert_failed_with(name: &str, report: &ChildReport, expected: &str) {
    assert_eq!(report.code, Some(1), "{name}: {}", report.stderr);
    assert!(
        report.stderr.contains(expected),
        "{name}: expected {expected:?} in: {}",
        report.stderr
    );
    assert!(
        report.stderr.contains("s3://flowers/"),
        "{name}: {}",
        report.stderr
    );
}

fn entry_count(sandbox: &Sandbox, folder: &str) -> usize {
    std::fs::read_dir(sandbox.cache_dir().join(folder)).map_or(0, |dir| dir.count())
}

#[test]
fn stalled_server_times_out() {
    let server = FaultServer::start(Fault::Stall);
    let started = Instant::now();
    for (name, report) in every_operation(&server.endpoint()) {
        assert_failed_with(name, &report, "timed out");
    }
    println!(
        "stalled: {:?}, {} requests",
        started.elapsed(),
        server.requests()
    );
}

#[test]
fn server_errors_are_retried_three_times() {
    let fault = Fault::Status {
        status: 500,
        code: "InternalError",
    };
    for (name, report) in every_operation(&FaultServer::start(fault).endpoint()) {
        assert_failed_with(name, &report, "HTTP 500 InternalError");
    }
    // One operation alone, to count its attempts.
    let server = FaultServer::start(fault);
    let sandbox = Sandbox::new();
    let command = sandbox.command_s3(&server.endpoint(), &["models", "list", "s3://flowers/"]);
    let report = run_measured(command, HANG_GUARD);
    assert_failed_with("list", &report, "HTTP 500");
    assert_eq!(server.requests(), 3, "attempts for a 500");
}

#[test]
fn access_denied_is_not_retried() {
    let fault = Fault::Status {
        status: 403,
        code: "AccessDenied",
    };
    let server = FaultServer::start(fault);
    let sandbox = Sandbox::new();
    let command = sandbox.command_s3(&server.endpoint(), &["models", "list", "s3://flowers/"]);
    let report = run_measured(command, HANG_GUARD);
    assert_failed_with("list", &report, "access denied");
    assert_eq!(server.requests(), 1, "attempts for a 403");
}

#[test]
fn malformed_listings_are_reported() {
    for fault in [Fault::MalformedXml, Fault::NotXml] {
        let server = FaultServer::start(fault);
        let sandbox = Sandbox::new();
        let args = ["models", "list", "s3://flowers/"];
        let command = sandbox.command_s3(&server.endpoint(), &args);
        let report = run_measured(command, HANG_GUARD);
        assert_failed_with(&format!("{fault:?}"), &report, "not valid S3");
    }
}

#[test]
fn trickling_download_times_out_without_an_entry() {
    let upstream = S3Server::start();
    upstream.put(BUCKET, "models/flowers.onnx", &bundled_model());
    let server = FaultServer::start(Fault::Trickle {
        upstream: upstream.port(),
        bytes: 256,
        interval: Duration::from_millis(500),
    });
    let sandbox = Sandbox::new();
    let command = sandbox.command_s3(&server.endpoint(), &["models", "pull", MODEL_URI]);
    let report = run_measured(command, HANG_GUARD);
    assert_failed_with("pull", &report, "timed out");
    assert_eq!(
        entry_count(&sandbox, "entries"),
        0,
        "a slow download left an entry"
    );
    assert_eq!(
        entry_count(&sandbox, "staging"),
        0,
        "a slow download left staging files"
    );
}

/// A download cut at any point leaves nothing that looks complete, and the
/// next attempt through a working endpoint succeeds from scratch.
#[test]
fn download_cut_anywhere_leaves_no_entry() {
    let upstream = S3Server::start();
    let model = bundled_model();
    upstream.put(BUCKET, "models/flowers.onnx", &model);
    let sandbox = Sandbox::new();
    for cut in [0, 10, 200, 2_000, 100_000, model.len() / 2, model.len()] {
        let proxy = CuttingProxy::start(upstream.port(), cut);
        let command = sandbox.command_s3(&proxy.endpoint(), &["models", "pull", MODEL_URI]);
        let report = run_measured(command, HANG_GUARD);
        assert_eq!(report.code, Some(1), "cut at {cut}: {}", report.stderr);
        assert_eq!(
            entry_count(&sandbox, "entries"),
            0,
            "cut at {cut} left an entry"
        );
        assert_eq!(
            entry_count(&sandbox, "staging"),
            0,
            "cut at {cut} left staging files"
        );
    }
    let command = sandbox.command_s3(&upstream.endpoint(), &["models", "pull", MODEL_URI]);
    let report = run_measured(command, HANG_GUARD);
    assert_eq!(report.code, Some(0), "{}", report.stderr);
    let path = PathBuf::from(report.stdout.trim());
    assert_eq!(std::fs::read(path).expect("cached model"), model);
}
