//! Hostile object keys never place a file outside the model cache. A fake
//! bucket on loopback lists keys like those real buckets contain (`..`,
//! `//`, `\`, absolute paths, NUL, device names, very long and Unicode
//! names). It serves a model for any key, and every fetch lands inside the cache.
//!
//! This file contains one test because it sets the process environment that
//! the AWS credential chain reads.

mod support;

use std::path::Path;
use std::sync::atomic::AtomicBool;

use petal::settings::{S3Config, S3Settings};
use petal::storage::{fetch_model, ModelCache, S3Client, S3Uri};
use support::faults::{Fault, FaultServer};

/// A listing in the shape S3 returns, with the keys a stranger's bucket may
/// hold, sidecar names among them.
const LISTING: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>flowers</Name><Prefix>models/</Prefix><KeyCount>6</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated><Contents><Key>models/../../labels.txt</Key><Size>12</Size></Contents><Contents><Key>models/..\..\config.json</Key><Size>12</Size></Contents><Contents><Key>/etc/cat_to_name.json</Key><Size>12</Size></Contents><Contents><Key>models/sub/../../class_to_idx.json</Key><Size>12</Size></Contents><Contents><Key>models/CON.onnx</Key><Size>12</Size></Contents><Contents><Key>models/ünïcödé/模型.onnx</Key><Size>12</Size></Contents></ListBucketResult>"#;

/// Keys a user or a listing may name as the model.
fn hostile_keys() -> Vec<String> {
    vec![
        "models/../../escape.onnx".to_string(),
        "../../../../../../tmp/petal-escape.onnx".to_string(),
        "/etc/passwd".to_string(),
        "/tmp/petal-absolute.onnx".to_string(),
        "models//double-slash.onnx".to_string(),
        "models/..\\..\\..\\windows.onnx".to_string(),
        "C:\\Windows\\petal.onnx".to_string(),
        "models/nul\0byte.onnx".to_string(),
        "models/CON.onnx".to_string(),
        "models/aux".to_string(),
        "models/..".to_string(),
        "models/.".to_string(),
        "models/.hidden.onnx".to_string(),
        "models/trailing-dot.".to_string(),
        "models/ünïcödé/模型 🌸.onnx".to_string(),
        "models/a+b (v2).onnx".to_string(),
        format!("models/{}.onnx", "long".repeat(2000)),
        format!("models/{}.onnx", "é".repeat(3000)),
    ]
}

/// Fails if any file under `root` lies outside `allowed`.
fn assert_all_inside(root: &Path, allowed: &Path) {
    for entry in walkdir::WalkDir::new(root)
        .into_iter()
        .filter_map(Result::ok)
    {
        if entry.file_type().is_file() {
            assert!(
                entry.path().starts_with(allowed),
                "{} lies outside the cache",
                entry.path().display()
            );
        }
    }
}

#[test]
fn hostile_keys_stay_inside_the_cache() {
    static MODEL: &[u8] = b"stand-in model bytes";
    let server = FaultServer::start(Fault::Bucket {
        listing: LISTING,
        object: MODEL,
    });
    let sandbox = tempfile::tempdir().expect("temporary folder");
    // Nested, so that an escape by `..` would still land inside the sandbox.
    let cache_root = sandbox.path().join("a/b/c/cache");
    let cache = ModelCache::at(cache_root.clone());
    // This test binary runs only this test, so no other thread reads the
    // environment while it changes.
    std::env::set_var("AWS_ACCESS_KEY_ID", support::s3::ACCESS_KEY);
    std::env::set_var("AWS_SECRET_ACCESS_KEY", support::s3::SECRET_KEY);
    std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
    std::env::set_var("AWS_CONFIG_FILE", sandbox.path().join("no-config"));
    std::env::set_var(
        "AWS_SHARED_CREDENTIALS_FILE",
        sandbox.path().join("no-creds"),
    );
    let settings = S3Settings {
        endpoint_url: Some(server.endpoint()),
        region: Some("us-east-1".to_string()),
        ..S3Settings::default()
    };
    let config = S3Config::resolve(&settings, &|_| None, None);
    let cancel = AtomicBool::new(false);

    for key in hostile_keys() {
        let uri = S3Uri {
            bucket: "flowers".to_string(),
            key: key.clone(),
        };
        let connect = || S3Client::connect(&config);
        match fetch_model(&uri, &cache, connect, &|_, _| {}, &cancel, false) {
            Err(error) => panic!("{key:?}: {error}"),
            Ok(entry) => {
                let entries = cache_root.join("entries");
                assert!(
                    entry.folder.starts_with(&entries),
                    "{key:?}: {:?}",
                    entry.folder
                );
                assert_eq!(entry.folder.parent(), Some(entries.as_path()), "{key:?}");
                let model = entry.model_path();
                assert_eq!(model.parent(), Some(entry.folder.as_path()), "{key:?}");
                assert_eq!(std::fs::read(&model).expect("cached model"), MODEL);
                for sidecar in &entry.info.sidecars {
                    let path = entry.folder.join(sidecar);
                    assert_eq!(path.parent(), Some(entry.folder.as_path()), "{sidecar:?}");
                }
            }
        }
    }
    assert_all_inside(sandbox.path(), &cache_root);
    assert!(!Path::new("/tmp/petal-escape.onnx").exists());
    assert!(!Path::new("/tmp/petal-absolute.onnx").exists());
}
