//! A blocking HTTP client for one MLflow tracking server, for background
//! threads: timeouts, bounded retries of transient failures, credentials
//! from the environment, and errors in MLflow's terms.

use std::io::{Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use reqwest::blocking::{RequestBuilder, Response};
use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::config::{Auth, MlflowConfig};
use super::error::MlflowError;

/// Time allowed to open a connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Attempts per request when the failure is transient.
const ATTEMPTS: u32 = 3;
/// Wait before the first retry; it doubles for each later one.
const FIRST_BACKOFF: Duration = Duration::from_millis(300);
/// Bytes of a non-JSON body inspected to describe it.
const SNIFF_LENGTH: usize = 512;

/// A connection to one tracking server. Cloning is cheap and shares the
/// connection pool; clones may move to other threads.
#[derive(Clone)]
pub struct MlflowClient {
    http: reqwest::blocking::Client,
    base_url: String,
    auth: Auth,
    /// The read timeout, for messages.
    timeout: Duration,
}

impl std::fmt::Debug for MlflowClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MlflowClient")
            .field("base_url", &self.base_url)
            .field("auth", &self.auth)
            .finish()
    }
}

/// Bytes written and SHA-256 of a downloaded file.
#[derive(Debug, Clone)]
pub struct Downloaded {
    pub size: u64,
    /// Lowercase hex.
    pub sha256: String,
}

impl MlflowClient {
    /// Builds a client for the configured server. Nothing is sent yet; it
    /// fails on a missing or invalid URI, an unreadable CA file, or when
    /// the TLS backend cannot start.
    pub fn new(config: &MlflowConfig) -> Result<Self, MlflowError> {
        let uri = config.base_url().ok_or(MlflowError::NotConfigured)?;
        let parsed = reqwest::Url::parse(uri).map_err(|error| MlflowError::InvalidUri {
            uri: uri.to_string(),
            why: error.to_string(),
        })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(MlflowError::InvalidUri {
                uri: uri.to_string(),
                why: format!(
                    "the scheme {:?} is not supported; Petal talks to a tracking server over \
                     HTTP, not to a local mlruns folder or a database",
                    parsed.scheme()
                ),
            });
        }
        for warning in config.warnings() {
            tracing::warn!("{warning}");
        }
        let mut builder = reqwest::blocking::Client::builder()
            .use_rustls_tls()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(config.request_timeout)
            .user_agent(concat!("petal/", env!("CARGO_PKG_VERSION")))
            .danger_accept_invalid_certs(config.insecure_tls);
        if let Some(path) = &config.ca_cert_path {
            builder = builder.add_root_certificate(read_certificate(path)?);
        }
        let http = builder.build().map_err(|error| MlflowError::InvalidUri {
            uri: uri.to_string(),
            why: format!("cannot set up the HTTP client: {error}"),
        })?;
        Ok(Self {
            http,
            base_url: uri.trim_end_matches('/').to_string(),
            auth: config.auth.clone(),
            timeout: config.request_timeout,
        })
    }

    /// Returns the tracking server's base URL.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Returns the full URL of a REST endpoint under `/api/2.0/mlflow/`.
    pub fn endpoint_url(&self, endpoint: &str) -> String {
        format!("{}/api/2.0/mlflow/{endpoint}", self.base_url)
    }

    /// Sends `GET /api/2.0/mlflow/{endpoint}` with `query` and decodes the JSON response.
    pub fn get<T: DeserializeOwned>(
        &self,
        endpoint: &str,
        query: &[(&str, String)],
    ) -> Result<T, MlflowError> {
        let url = self.endpoint_url(endpoint);
        let response = self.send(&url, || self.http.get(&url).query(query))?;
        self.decode(&url, response)
    }

    /// Sends `POST /api/2.0/mlflow/{endpoint}` with a JSON body and decodes the response.
    pub fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        endpoint: &str,
        body: &B,
    ) -> Result<T, MlflowError> {
        let url = self.endpoint_url(endpoint);
        let response = self.send(&url, || self.http.post(&url).json(body))?;
        self.decode(&url, response)
    }

    /// Sends `GET` to any URL on the server (such as the artifact proxy,
    /// outside `/api/2.0/mlflow/`) and decodes the JSON response.
    pub fn get_url<T: DeserializeOwned>(
        &self,
        url: &str,
        query: &[(&str, String)],
    ) -> Result<T, MlflowError> {
        let response = self.send(url, || self.http.get(url).query(query))?;
        self.decode(url, response)
    }

    /// Streams the body of `url` into `destination` while hashing it, and
    /// checks the length against `Content-Length` when the server sends one.
    pub fn download(
        &self,
        url: &str,
        destination: &Path,
        progress: &(dyn Fn(u64, Option<u64>) + Sync),
        cancel: &AtomicBool,
    ) -> Result<Downloaded, MlflowError> {
        let mut response = self.send(url, || self.http.get(url))?;
        if !response.status().is_success() {
            return Err(error_from(url, response));
        }

        let expected = response.content_length();
        let io_error = |source| MlflowError::Io {
            path: destination.to_path_buf(),
            source,
        };
        let mut file = std::fs::File::create(destination).map_err(io_error)?;
        let mut hasher = Sha256::new();
        let mut buffer = vec![0u8; 64 * 1024];
        let mut size = 0u64;
        progress(0, expected);
        loop {
            if cancel.load(Ordering::Relaxed) {
                return Err(MlflowError::Cancelled(format!("the download of {url}")));
            }
            let read = response
                .read(&mut buffer)
                .map_err(|error| self.transport_error(url, &error))?;
            if read == 0 {
                break;
            }
            file.write_all(&buffer[..read]).map_err(io_error)?;
            hasher.update(&buffer[..read]);
            size += read as u64;
            progress(size, expected);
        }
        file.sync_all().map_err(io_error)?;

        if let Some(expected) = expected.filter(|&e| e != size) {
            return Err(MlflowError::Unreachable {
                url: url.to_string(),
                cause: format!("the download ended after {size} of {expected} bytes"),
            });
        }
        let sha256 = hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Ok(Downloaded { size, sha256 })
    }

    /// Names a failed exchange: a timeout, or the root cause of a
    /// connection failure.
    fn transport_error(&self, url: &str, error: &(dyn std::error::Error + 'static)) -> MlflowError {
        let timed_out = source_chain(error).any(|e| {
            e.downcast_ref::<reqwest::Error>()
                .is_some_and(reqwest::Error::is_timeout)
                || e.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut)
        });
        if timed_out {
            return MlflowError::Timeout {
                url: url.to_string(),
                seconds: self.timeout.as_secs_f64(),
            };
        }
        let cause = source_chain(error)
            .last()
            .map_or_else(|| error.to_string(), |root| root.to_string());
        MlflowError::Unreachable {
            url: url.to_string(),
            cause,
        }
    }

    /// Sends a request, retrying connect failures and 429/502/503/504 with
    /// backoff. Other statuses, 4xx included, come back at once.
    fn send(
        &self,
        url: &str,
        request: impl Fn() -> RequestBuilder,
    ) -> Result<Response, MlflowError> {
        let mut backoff = FIRST_BACKOFF;
        let mut attempt = 1;
        loop {
            let _span = tracing::debug_span!("mlflow request", url, attempt).entered();
            let outcome = self.authorize(request()).send();
            let retryable = match &outcome {
                Ok(response) => is_retryable_status(response.status()),
                Err(error) => error.is_connect(),
            };
            if !retryable || attempt >= ATTEMPTS {
                return outcome.map_err(|error| self.transport_error(url, &error));
            }
            let why = match &outcome {
                Ok(response) => format!("HTTP {}", response.status().as_u16()),
                Err(error) => error.to_string(),
            };
            tracing::info!(url, attempt, %why, "retrying an MLflow request");
            std::thread::sleep(backoff);
            backoff *= 2;
            attempt += 1;
        }
    }

    /// Turns a response into `T`, or into the error it carries.
    fn decode<T: DeserializeOwned>(&self, url: &str, response: Response) -> Result<T, MlflowError> {
        if !response.status().is_success() {
            return Err(error_from(url, response));
        }
        let status = response.status().as_u16();
        let bytes = response
            .bytes()
            .map_err(|error| self.transport_error(url, &error))?;
        parse_body(url, status, &bytes)
    }

    fn authorize(&self, request: RequestBuilder) -> RequestBuilder {
        match &self.auth {
            Auth::None => request,
            Auth::Basic { username, password } => request.basic_auth(username, Some(password)),
            Auth::Bearer(token) => request.bearer_auth(token),
        }
    }
}

fn read_certificate(path: &Path) -> Result<reqwest::Certificate, MlflowError> {
    let fail = |cause: String| MlflowError::Certificate {
        path: path.to_path_buf(),
        cause,
    };
    let pem = std::fs::read(path).map_err(|error| fail(error.to_string()))?;
    reqwest::Certificate::from_pem(&pem).map_err(|error| fail(error.to_string()))
}

fn is_retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 429 | 502 | 503 | 504)
}

fn source_chain<'a>(
    error: &'a (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'a (dyn std::error::Error + 'static)> {
    std::iter::successors(Some(error), |e| e.source())
}

/// Parses a successful response body, telling an HTML page or other
/// non-JSON body (a login page from a proxy, say) from MLflow's JSON.
pub fn parse_body<T: DeserializeOwned>(
    url: &str,
    status: u16,
    body: &[u8],
) -> Result<T, MlflowError> {
    if let Some(what) = describe_non_json(body) {
        return Err(MlflowError::NotMlflow {
            url: url.to_string(),
            status,
            what,
        });
    }
    serde_json::from_slice(body).map_err(|error| MlflowError::NotMlflow {
        url: url.to_string(),
        status,
        what: format!("JSON of an unexpected shape ({error})"),
    })
}

/// Names what a body is when it is plainly not JSON.
fn describe_non_json(body: &[u8]) -> Option<String> {
    let start = &body[..body.len().min(SNIFF_LENGTH)];
    let text = String::from_utf8_lossy(start);
    let trimmed = text.trim_start();
    if trimmed.is_empty() {
        return Some("an empty body".to_string());
    }
    let lower = trimmed.to_ascii_lowercase();
    if lower.starts_with("<!doctype html") || lower.starts_with("<html") || lower.contains("<body")
    {
        return Some(match html_title(trimmed) {
            Some(title) => format!("an HTML page titled {title:?}"),
            None => "an HTML page".to_string(),
        });
    }
    if !trimmed.starts_with('{') && !trimmed.starts_with('[') {
        return Some("a body that is not JSON".to_string());
    }
    None
}

fn html_title(html: &str) -> Option<String> {
    let lower = html.to_ascii_lowercase();
    let start = lower.find("<title>")? + "<title>".len();
    let end = start + lower[start..].find("</title>")?;
    Some(html[start..end].trim().to_string())
}

/// MLflow's error body: `{"error_code": "...", "message": "..."}`.
#[derive(Debug, serde::Deserialize)]
struct ErrorBody {
    #[serde(default)]
    error_code: String,
    #[serde(default)]
    message: String,
}

/// Turns an unsuccessful response into an error naming the URL and cause.
fn error_from(url: &str, response: Response) -> MlflowError {
    let status = response.status().as_u16();
    let body = response.bytes().unwrap_or_default();
    error_from_body(url, status, &body)
}

/// Classifies an unsuccessful status and its body.
pub fn error_from_body(url: &str, status: u16, body: &[u8]) -> MlflowError {
    let parsed: Option<ErrorBody> = serde_json::from_slice(body).ok();
    let message = match &parsed {
        Some(error) if !error.message.is_empty() => error.message.clone(),
        _ => String::from_utf8_lossy(&body[..body.len().min(200)])
            .trim()
            .to_string(),
    };
    if matches!(status, 401 | 403) {
        return MlflowError::Unauthorized {
            url: url.to_string(),
            status,
            message,
        };
    }
    match parsed {
        Some(error) if !error.error_code.is_empty() => MlflowError::Server {
            url: url.to_string(),
            status,
            error_code: error.error_code,
            message,
        },
        _ => MlflowError::NotMlflow {
            url: url.to_string(),
            status,
            what: describe_non_json(body).unwrap_or_else(|| "JSON without an error_code".into()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_not_an_mlflow_response() {
        let page = b"<!DOCTYPE html>\n<html><head><title>Login</title></head></html>";
        let error = parse_body::<serde_json::Value>("http://h/api", 200, page)
            .expect_err("HTML is rejected");
        let text = error.to_string();
        assert!(text.contains("not an MLflow API response"), "{text}");
        assert!(text.contains("Login"), "{text}");
    }

    #[test]
    fn error_bodies_keep_the_server_message() {
        let body = br#"{"error_code": "INVALID_PARAMETER_VALUE", "message": "bad filter"}"#;
        let error = error_from_body("http://h/api", 400, body);
        assert!(matches!(error, MlflowError::Server { status: 400, .. }));
        assert!(error.to_string().contains("bad filter"));
        let denied = error_from_body("http://h/api", 401, b"You are not authenticated");
        assert!(matches!(denied, MlflowError::Unauthorized { .. }));
        assert!(denied.to_string().contains("MLFLOW_TRACKING_USERNAME"));
    }

    #[test]
    fn only_transient_statuses_retry() {
        for status in [429, 502, 503, 504] {
            assert!(is_retryable_status(
                StatusCode::from_u16(status).expect("valid")
            ));
        }
        for status in [400, 401, 403, 404, 500] {
            assert!(!is_retryable_status(
                StatusCode::from_u16(status).expect("valid")
            ));
        }
    }
}
