//! A blocking S3 client over the AWS SDK, for background threads.
//!
//! Credentials come only from the AWS credential chain (environment,
//! shared config and credentials files, profiles, SSO, process
//! credentials, instance roles). Connect and read timeouts bound every
//! call, and the SDK retries only retryable errors, with backoff.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::ProvideCredentials;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;
use md5::Md5;
use sha2::{Digest, Sha256};

use super::s3_error::{S3Error, S3ErrorKind};
use crate::settings::S3Config;

/// Maximum wait for a TCP (and TLS) connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Maximum wait for any response bytes, including between body chunks.
pub const READ_TIMEOUT: Duration = Duration::from_secs(20);
/// Maximum time for one attempt of a request whose response the SDK reads
/// whole (listings, uploads' replies, a download's headers). Without it, a
/// server that trickles a byte now and then never trips [`READ_TIMEOUT`].
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(60);
/// Minimum data a download must receive in each [`READ_TIMEOUT`] window.
/// Slower servers count as stalled, because 16 KiB per 20 s is under 1 KiB/s.
const MIN_BYTES_PER_WINDOW: u64 = 16 << 10;
/// Upload rate assumed when bounding an upload attempt, so a slow but
/// working link finishes while a stalled reply still times out.
const MIN_UPLOAD_BYTES_PER_SECOND: u64 = 64 << 10;
/// Attempts per request, the first included, for retryable errors.
const MAX_ATTEMPTS: u32 = 3;
/// Region used when neither the settings nor the AWS config name one.
const FALLBACK_REGION: &str = "us-east-1";
/// User metadata key under which `push` stores the SHA-256 of an object.
pub const SHA256_METADATA: &str = "sha256";

/// One object in a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    pub key: String,
    pub size: u64,
    /// RFC 3339 time in UTC, when the server gave one.
    pub last_modified: Option<String>,
    pub etag: Option<String>,
}

/// A folder's contents: sub-folders (common prefixes) and objects.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Listing {
    pub prefixes: Vec<String>,
    pub objects: Vec<ObjectInfo>,
}

/// A verified download.
#[derive(Debug, Clone)]
pub struct Downloaded {
    pub size: u64,
    pub sha256: String,
    pub etag: Option<String>,
}

/// A connection to one S3 endpoint with the effective settings.
pub struct S3Client {
    runtime: tokio::runtime::Runtime,
    sdk: SdkConfig,
    path_style: bool,
    client: Client,
    /// Clients for buckets found in another region than configured.
    regional: Mutex<HashMap<String, Client>>,
    endpoint: String,
}

impl S3Client {
    /// Loads the AWS configuration and resolves credentials once, so a
    /// missing credential is reported before any request.
    pub fn connect(config: &S3Config) -> Result<Self, S3Error> {
        let endpoint = config
            .endpoint_url
            .as_ref()
            .map_or_else(|| "AWS S3".to_string(), |e| e.value.clone());
        let fail = |kind| S3Error {
            target: endpoint.clone(),
            kind,
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("petal-s3")
            .enable_all()
            .build()
            .map_err(|error| fail(S3ErrorKind::Io(error)))?;
        let sdk = runtime.block_on(load_sdk_config(config)).map_err(fail)?;
        let credentials = sdk.credentials_provider().ok_or_else(|| {
            fail(S3ErrorKind::NoCredentials {
                cause: "no credential provider is configured".to_string(),
            })
        })?;
        runtime
            .block_on(credentials.provide_credentials())
            .map_err(|error| {
                fail(S3ErrorKind::NoCredentials {
                    cause: error.to_string(),
                })
            })?;
        let path_style = config.path_style.value;
        let client = build_client(&sdk, path_style, None);
        Ok(Self {
            runtime,
            sdk,
            path_style,
            client,
            regional: Mutex::new(HashMap::new()),
            endpoint,
        })
    }

    /// Returns the endpoint in use, for messages.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Lists a folder: its sub-folders and objects, following every page.
    /// Folder-marker objects (keys ending in `/`) are left out.
    pub fn list(
        &self,
        bucket: &str,
        prefix: &str,
        cancel: &AtomicBool,
    ) -> Result<Listing, S3Error> {
        let target = format!("s3://{bucket}/{prefix}");
        self.with_region(bucket, &target, |client| async move {
            let mut listing = Listing::default();
            let mut pages = client
                .list_objects_v2()
                .bucket(bucket)
                .prefix(prefix)
                .delimiter("/")
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                if cancel.load(Ordering::Relaxed) {
                    return Err(Failure::Kind(S3ErrorKind::Cancelled));
                }
                let page = page.map_err(Failure::from_sdk)?;
                check_listing(&page)?;
                for folder in page.common_prefixes() {
                    listing.prefixes.extend(folder.prefix().map(str::to_string));
                }
                for object in page.contents() {
                    let Some(key) = object.key() else { continue };
                    if key.ends_with('/') {
                        continue;
                    }
                    listing.objects.push(ObjectInfo {
                        key: key.to_string(),
                        size: object.size().map_or(0, |s| s.max(0) as u64),
                        last_modified: object.last_modified().map(format_time),
                        etag: object.e_tag().map(unquote),
                    });
                }
            }
            Ok(listing)
        })
    }

    /// Streams an object into `destination`, then checks its size and,
    /// where the server offers one, its checksum: the SHA-256 that `push`
    /// stores in the object's metadata, else a single-part ETag (an MD5).
    pub fn download(
        &self,
        bucket: &str,
        key: &str,
        destination: &Path,
        progress: &(dyn Fn(u64, Option<u64>) + Sync),
        cancel: &AtomicBool,
    ) -> Result<Downloaded, S3Error> {
        let target = format!("s3://{bucket}/{key}");
        self.with_region(bucket, &target, |client| async move {
            let response = client
                .get_object()
                .bucket(bucket)
                .key(key)
                .send()
                .await
                .map_err(Failure::from_sdk)?;
            let expected_size = response.content_length().map(|s| s.max(0) as u64);
            let etag = response.e_tag().map(unquote);
            let stated_sha256 = response
                .metadata()
                .and_then(|m| m.get(SHA256_METADATA))
                .map(|s| s.to_ascii_lowercase());
            let mut body = response.body;
            let mut file = std::fs::File::create(destination).map_err(Failure::io)?;
            let mut sha256 = Sha256::new();
            let mut md5 = Md5::new();
            let mut size = 0u64;
            let mut rate = RateWindow::start();
            progress(0, expected_size);
            loop {
                if cancel.load(Ordering::Relaxed) {
                    return Err(Failure::Kind(S3ErrorKind::Cancelled));
                }
                let chunk = tokio::time::timeout(READ_TIMEOUT, body.next())
                    .await
                    .map_err(|_| Failure::Kind(timeout("while receiving the object")))?;
                let Some(chunk) = chunk else { break };
                let bytes = chunk.map_err(|error| {
                    Failure::Kind(S3ErrorKind::Unreachable {
                        endpoint: String::new(),
                        cause: format!("the connection broke during the download: {error}"),
                    })
                })?;
                rate.record(bytes.len() as u64)?;
                file.write_all(&bytes).map_err(Failure::io)?;
                sha256.update(&bytes);
                md5.update(&bytes);
                size += bytes.len() as u64;
                progress(size, expected_size);
            }
            file.sync_all().map_err(Failure::io)?;
            let sha256 = hex(&sha256.finalize());
            let md5 = hex(&md5.finalize());
            verify(
                size,
                expected_size,
                &sha256,
                stated_sha256.as_deref(),
                &md5,
                etag.as_deref(),
            )?;
            Ok(Downloaded { size, sha256, etag })
        })
    }

    /// Uploads a local file, recording its SHA-256 in the object metadata
    /// so later downloads can be verified whatever the ETag scheme.
    pub fn upload(&self, source: &Path, bucket: &str, key: &str) -> Result<(), S3Error> {
        let target = format!("s3://{bucket}/{key}");
        let local_error = |error| S3Error {
            target: target.clone(),
            kind: S3ErrorKind::Io(error),
        };
        let sha256 = file_sha256(source).map_err(local_error)?;
        let size = std::fs::metadata(source).map_err(local_error)?.len();
        self.with_region(bucket, &target, |client| {
            let sha256 = sha256.clone();
            async move {
                let body = ByteStream::from_path(source)
                    .await
                    .map_err(|error| Failure::io(std::io::Error::other(error)))?;
                client
                    .put_object()
                    .bucket(bucket)
                    .key(key)
                    .metadata(SHA256_METADATA, sha256)
                    .body(body)
                    .customize()
                    .config_override(
                        aws_sdk_s3::config::Builder::new().timeout_config(upload_timeouts(size)),
                    )
                    .send()
                    .await
                    .map_err(Failure::from_sdk)?;
                Ok(())
            }
        })
    }

    /// Runs `operation`, and once more against the bucket's own region
    /// when the server reports that the bucket is in another region.
    fn with_region<'a, T, F, Fut>(
        &'a self,
        bucket: &str,
        target: &str,
        operation: F,
    ) -> Result<T, S3Error>
    where
        F: Fn(Client) -> Fut,
        Fut: std::future::Future<Output = Result<T, Failure>> + 'a,
    {
        let client = self.client_for(bucket);
        let first = self.runtime.block_on(operation(client));
        let result = match first {
            Err(Failure::Redirect { region }) => {
                tracing::info!(bucket, %region, "following the bucket to its region");
                let client = build_client(&self.sdk, self.path_style, Some(&region));
                self.regional_clients()
                    .insert(bucket.to_string(), client.clone());
                self.runtime.block_on(operation(client))
            }
            other => other,
        };
        result.map_err(|failure| S3Error {
            target: target.to_string(),
            kind: failure.into_kind(&self.endpoint),
        })
    }

    fn client_for(&self, bucket: &str) -> Client {
        let regional = self.regional_clients();
        regional
            .get(bucket)
            .cloned()
            .unwrap_or_else(|| self.client.clone())
    }

    fn regional_clients(&self) -> std::sync::MutexGuard<'_, HashMap<String, Client>> {
        self.regional
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

async fn load_sdk_config(config: &S3Config) -> Result<SdkConfig, S3ErrorKind> {
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .read_timeout(READ_TIMEOUT)
        .operation_attempt_timeout(ATTEMPT_TIMEOUT)
        .build();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(super::tls::http_client()?)
        .timeout_config(timeouts)
        .retry_config(RetryConfig::standard().with_max_attempts(MAX_ATTEMPTS));
    if let Some(profile) = &config.profile {
        loader = loader.profile_name(&profile.value);
    }
    if let Some(region) = &config.region {
        loader = loader.region(Region::new(region.value.clone()));
    }
    if let Some(endpoint) = &config.endpoint_url {
        loader = loader.endpoint_url(&endpoint.value);
    }
    Ok(loader.load().await)
}

/// Rejects a listing page that S3 could not have sent. The SDK's XML
/// reader accepts a document cut short, which would otherwise read as a
/// folder with fewer objects, or none.
// TODO: a listing cut inside its last key still passes, with that key cut
// short, because the SDK does not expose the raw body to check its end.
fn check_listing(
    page: &aws_sdk_s3::operation::list_objects_v2::ListObjectsV2Output,
) -> Result<(), Failure> {
    let entries = page.contents().len() + page.common_prefixes().len();
    let cause = if page.name().is_none() && page.key_count().is_none() {
        "the listing has neither a bucket name nor a key count".to_string()
    } else if page
        .key_count()
        .is_some_and(|count| count.max(0) as usize > entries)
    {
        format!(
            "the listing counts {} keys but contains {entries}, so it was cut short",
            page.key_count().unwrap_or_default()
        )
    } else {
        return Ok(());
    };
    Err(Failure::Kind(S3ErrorKind::Malformed { cause }))
}

/// Timeouts for uploading `size` bytes: [`ATTEMPT_TIMEOUT`] plus the time
/// the body takes at [`MIN_UPLOAD_BYTES_PER_SECOND`].
fn upload_timeouts(size: u64) -> TimeoutConfig {
    let sending = Duration::from_secs(size / MIN_UPLOAD_BYTES_PER_SECOND);
    TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .read_timeout(READ_TIMEOUT)
        .operation_attempt_timeout(ATTEMPT_TIMEOUT.saturating_add(sending))
        .build()
}

/// Counts a download's bytes per [`READ_TIMEOUT`] window, to catch a
/// server that sends just often enough to never trip the read timeout.
struct RateWindow {
    started: std::time::Instant,
    bytes: u64,
}

impl RateWindow {
    fn start() -> Self {
        Self {
            started: std::time::Instant::now(),
            bytes: 0,
        }
    }

    /// Adds `bytes` and fails when a whole window passed with too few.
    fn record(&mut self, bytes: u64) -> Result<(), Failure> {
        self.bytes += bytes;
        if self.started.elapsed() < READ_TIMEOUT {
            return Ok(());
        }
        if self.bytes < MIN_BYTES_PER_WINDOW {
            return Err(Failure::Kind(timeout(&format!(
                "while receiving the object: under {MIN_BYTES_PER_WINDOW} bytes arrived in                  {} s",
                READ_TIMEOUT.as_secs()
            ))));
        }
        *self = Self::start();
        Ok(())
    }
}

fn build_client(sdk: &SdkConfig, path_style: bool, region: Option<&str>) -> Client {
    let mut builder = aws_sdk_s3::config::Builder::from(sdk).force_path_style(path_style);
    if let Some(region) = region {
        builder = builder.region(Region::new(region.to_string()));
    } else if sdk.region().is_none() {
        builder = builder.region(Region::new(FALLBACK_REGION));
    }
    Client::from_conf(builder.build())
}

/// A failure inside an operation, before it is tied to its target.
enum Failure {
    Kind(S3ErrorKind),
    /// The bucket lives in `region`; the operation may be retried there.
    Redirect {
        region: String,
    },
}

impl Failure {
    fn io(error: std::io::Error) -> Self {
        Failure::Kind(S3ErrorKind::Io(error))
    }

    fn from_sdk<E, R>(error: SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
        R: std::fmt::Debug + HasHeaders,
    {
        if let Some(region) = error
            .raw_response()
            .and_then(|r| r.header("x-amz-bucket-region"))
        {
            let code = error.code().unwrap_or_default();
            let status = error.raw_response().map_or(0, HasHeaders::status);
            if status == 301
                || code == "PermanentRedirect"
                || code == "AuthorizationHeaderMalformed"
            {
                return Failure::Redirect { region };
            }
        }
        let kind = match &error {
            SdkError::TimeoutError(_) => timeout("waiting for the server"),
            SdkError::DispatchFailure(failure) if failure.is_timeout() => timeout("connecting"),
            SdkError::DispatchFailure(failure) => S3ErrorKind::Unreachable {
                endpoint: String::new(),
                cause: error_chain(
                    failure
                        .as_connector_error()
                        .map_or(&error as &dyn std::error::Error, |e| e),
                ),
            },
            SdkError::ResponseError(_) => S3ErrorKind::Malformed {
                cause: error_chain(&error),
            },
            // A success status with a body the SDK cannot read as the
            // operation's output is no S3 error, just a response that is not S3.
            SdkError::ServiceError(_)
                if error
                    .raw_response()
                    .is_some_and(|r| (200..300).contains(&r.status())) =>
            {
                S3ErrorKind::Malformed {
                    cause: format!(
                        "a success status with a body that is not an S3 response: {}",
                        error_chain(&error)
                    ),
                }
            }
            SdkError::ServiceError(_) => {
                let status = error.raw_response().map_or(0, HasHeaders::status);
                let code = error
                    .code()
                    .map(str::to_string)
                    .unwrap_or_else(|| status_code_name(status));
                let message = error.message().unwrap_or("no message").to_string();
                S3ErrorKind::from_code(status, &code, &message)
            }
            _ => S3ErrorKind::Malformed {
                cause: error_chain(&error),
            },
        };
        Failure::Kind(kind)
    }

    fn into_kind(self, endpoint: &str) -> S3ErrorKind {
        match self {
            Failure::Kind(S3ErrorKind::Unreachable { cause, .. }) => S3ErrorKind::Unreachable {
                endpoint: endpoint.to_string(),
                cause,
            },
            Failure::Kind(kind) => kind,
            Failure::Redirect { region } => S3ErrorKind::WrongRegion {
                bucket_region: region,
            },
        }
    }
}

/// Header and status access on the SDK's raw HTTP response.
trait HasHeaders {
    fn header(&self, name: &str) -> Option<String>;
    fn status(&self) -> u16;
}

impl HasHeaders for aws_smithy_runtime_api::http::Response {
    fn header(&self, name: &str) -> Option<String> {
        self.headers().get(name).map(str::to_string)
    }

    fn status(&self) -> u16 {
        self.status().as_u16()
    }
}

/// Names the usual error for a status when the body had no error code
/// (HEAD responses carry no body).
fn status_code_name(status: u16) -> String {
    match status {
        403 => "AccessDenied",
        404 => "NotFound",
        _ => "UnknownError",
    }
    .to_string()
}

fn timeout(what: &str) -> S3ErrorKind {
    S3ErrorKind::Timeout {
        what: what.to_string(),
    }
}

fn verify(
    size: u64,
    expected_size: Option<u64>,
    sha256: &str,
    stated_sha256: Option<&str>,
    md5: &str,
    etag: Option<&str>,
) -> Result<(), Failure> {
    let mismatch = |expected: String, actual: String| {
        Failure::Kind(S3ErrorKind::Integrity { expected, actual })
    };
    if let Some(expected) = expected_size.filter(|&e| e != size) {
        return Err(mismatch(
            format!("{expected} bytes"),
            format!("{size} bytes"),
        ));
    }
    if let Some(stated) = stated_sha256 {
        if stated != sha256 {
            return Err(mismatch(
                format!("SHA-256 {stated}"),
                format!("SHA-256 {sha256}"),
            ));
        }
        return Ok(());
    }
    // A multipart ETag ("...-N") is not the MD5 of the bytes; skip it.
    if let Some(etag) = etag.filter(|e| e.len() == 32 && e.chars().all(|c| c.is_ascii_hexdigit())) {
        if !etag.eq_ignore_ascii_case(md5) {
            return Err(mismatch(format!("MD5 {etag}"), format!("MD5 {md5}")));
        }
    }
    Ok(())
}

/// Computes the SHA-256 of a file, in lowercase hex.
pub fn file_sha256(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher)?;
    Ok(hex(&hasher.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unquote(etag: &str) -> String {
    etag.trim_matches('"').to_string()
}

fn format_time(time: &aws_sdk_s3::primitives::DateTime) -> String {
    time.fmt(aws_sdk_s3::primitives::DateTimeFormat::DateTime)
        .unwrap_or_else(|_| time.secs().to_string())
}

/// Joins an error's message with its sources, as the SDK nests them.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut parts = vec![error.to_string()];
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !parts.contains(&text) {
            parts.push(text);
        }
        source = cause.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verify_checks_size_then_checksums() {
        let md5 = "900150983cd24fb0d6963f7d28e17f72";
        assert!(verify(3, Some(3), "x", None, md5, Some(md5)).is_ok());
        assert!(verify(2, Some(3), "x", None, md5, Some(md5)).is_err());
        assert!(verify(3, Some(3), "x", Some("y"), md5, Some(md5)).is_err());
        assert!(verify(3, Some(3), "x", Some("x"), md5, Some("bad")).is_ok());
        assert!(verify(
            3,
            None,
            "x",
            None,
            md5,
            Some("ffffffffffffffffffffffffffffffff")
        )
        .is_err());
        assert!(verify(3, None, "x", None, md5, Some("abc-2")).is_ok());
    }
}
