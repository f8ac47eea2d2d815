//! The MLflow settings in effect: the tracking server from the settings
//! file, overridden by MLflow's own environment variables and the
//! `--tracking-uri` flag, plus credentials taken only from the environment.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::settings::{EnvLookup, MlflowSettings, Origin, Setting};

/// Environment variables Petal reads for MLflow, in the order the settings
/// panel lists them. The credential variables are read but never shown.
pub const MLFLOW_ENV: [&str; 8] = [
    "MLFLOW_TRACKING_URI",
    "MLFLOW_EXPERIMENT_NAME",
    "MLFLOW_TRACKING_USERNAME",
    "MLFLOW_TRACKING_PASSWORD",
    "MLFLOW_TRACKING_TOKEN",
    "MLFLOW_TRACKING_SERVER_CERT_PATH",
    "MLFLOW_TRACKING_INSECURE_TLS",
    "MLFLOW_HTTP_REQUEST_TIMEOUT",
];

/// Time allowed for a response to start, and then between body chunks,
/// unless `MLFLOW_HTTP_REQUEST_TIMEOUT` sets another number of seconds.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Credentials sent with every request. `Debug` and `Display` redact them,
/// so a config can be logged safely.
#[derive(Clone, Default, PartialEq, Eq)]
pub enum Auth {
    /// No `Authorization` header.
    #[default]
    None,
    /// HTTP basic authentication (`MLFLOW_TRACKING_USERNAME` and
    /// `MLFLOW_TRACKING_PASSWORD`).
    Basic { username: String, password: String },
    /// A bearer token (`MLFLOW_TRACKING_TOKEN`).
    Bearer(String),
}

impl Auth {
    /// Returns the kind of credentials, with the user name but no secret.
    pub fn describe(&self) -> String {
        match self {
            Auth::None => "none".to_string(),
            Auth::Basic { username, .. } => format!("basic, user {username:?}"),
            Auth::Bearer(_) => "bearer token".to_string(),
        }
    }
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::None => f.write_str("None"),
            Auth::Basic { username, .. } => f
                .debug_struct("Basic")
                .field("username", username)
                .field("password", &"<redacted>")
                .finish(),
            Auth::Bearer(_) => f.write_str("Bearer(<redacted>)"),
        }
    }
}

/// The MLflow settings in effect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MlflowConfig {
    /// Base URL of the tracking server, without a trailing `/`; `None` when
    /// nothing sets one.
    pub tracking_uri: Option<Setting<String>>,
    /// Experiment shown or listed first.
    pub experiment_name: Option<Setting<String>>,
    pub auth: Auth,
    /// PEM file of extra trusted certificates (`MLFLOW_TRACKING_SERVER_CERT_PATH`).
    pub ca_cert_path: Option<PathBuf>,
    /// Skips TLS certificate checks (`MLFLOW_TRACKING_INSECURE_TLS=true`).
    pub insecure_tls: bool,
    /// Read timeout of each request (`MLFLOW_HTTP_REQUEST_TIMEOUT`, in seconds).
    pub request_timeout: Duration,
}

impl Default for MlflowConfig {
    fn default() -> Self {
        Self {
            tracking_uri: None,
            experiment_name: None,
            auth: Auth::None,
            ca_cert_path: None,
            insecure_tls: false,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
        }
    }
}

impl MlflowConfig {
    /// Combines the file's values with the environment and the
    /// `--tracking-uri` flag; later sources win.
    pub fn resolve(file: &MlflowSettings, env: EnvLookup, uri_flag: Option<&str>) -> Self {
        let text = |name: &'static str| {
            env(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let from_env = |name: &'static str| {
            text(name).map(|v| Setting {
                value: v,
                origin: Origin::Env(name),
            })
        };
        let from_file = |value: &Option<String>| {
            let value = value.as_deref().map(str::trim).filter(|v| !v.is_empty());
            value.map(|v| Setting {
                value: v.to_string(),
                origin: Origin::File,
            })
        };
        let flag = uri_flag
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(|v| Setting {
                value: v.to_string(),
                origin: Origin::Flag("--tracking-uri"),
            });
        let tracking_uri = flag
            .or_else(|| from_env("MLFLOW_TRACKING_URI"))
            .or_else(|| from_file(&file.tracking_uri))
            .map(|uri| Setting {
                value: uri.value.trim_end_matches('/').to_string(),
                origin: uri.origin,
            });
        let experiment_name =
            from_env("MLFLOW_EXPERIMENT_NAME").or_else(|| from_file(&file.experiment_name));
        let auth = match (
            text("MLFLOW_TRACKING_USERNAME"),
            text("MLFLOW_TRACKING_PASSWORD"),
            text("MLFLOW_TRACKING_TOKEN"),
        ) {
            (Some(username), Some(password), _) => Auth::Basic { username, password },
            (_, _, Some(token)) => Auth::Bearer(token),
            _ => Auth::None,
        };
        let insecure_tls = text("MLFLOW_TRACKING_INSECURE_TLS")
            .is_some_and(|v| matches!(v.to_ascii_lowercase().as_str(), "true" | "1" | "yes"));
        let request_timeout = text("MLFLOW_HTTP_REQUEST_TIMEOUT")
            .and_then(|v| v.parse::<f64>().ok())
            .filter(|seconds| seconds.is_finite() && *seconds > 0.0)
            .map_or(DEFAULT_REQUEST_TIMEOUT, Duration::from_secs_f64);
        Self {
            tracking_uri,
            experiment_name,
            auth,
            ca_cert_path: text("MLFLOW_TRACKING_SERVER_CERT_PATH").map(PathBuf::from),
            insecure_tls,
            request_timeout,
        }
    }

    /// Reads the process environment over `file`.
    pub fn from_env(file: &MlflowSettings, uri_flag: Option<&str>) -> Self {
        Self::resolve(file, &|name| std::env::var(name).ok(), uri_flag)
    }

    /// Returns the tracking server's base URL.
    pub fn base_url(&self) -> Option<&str> {
        self.tracking_uri.as_ref().map(|uri| uri.value.as_str())
    }

    /// Returns the problems worth a warning before connecting: checks
    /// switched off, or credentials about to cross the network unencrypted.
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        if self.insecure_tls {
            warnings.push(
                "MLFLOW_TRACKING_INSECURE_TLS is set: the tracking server's TLS certificate is \
                 not checked, so a machine in between could read or change the traffic"
                    .to_string(),
            );
        }
        let Some(uri) = self.base_url() else {
            return warnings;
        };
        let plain_http = uri.to_ascii_lowercase().starts_with("http://");
        let remote_host = !is_loopback(uri);
        if plain_http && remote_host && self.auth != Auth::None {
            warnings.push(format!(
                "credentials ({}) would be sent unencrypted to {uri}; use an https:// \
                 tracking URI",
                self.auth.describe()
            ));
        }
        warnings
    }
}

/// True when the URL's host is `localhost` or a loopback address.
pub fn is_loopback(url: &str) -> bool {
    let Ok(parsed) = reqwest::Url::parse(url) else {
        return false;
    };
    match parsed.host() {
        Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn resolve(file: &MlflowSettings, vars: &[(&str, &str)], flag: Option<&str>) -> MlflowConfig {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        MlflowConfig::resolve(file, &|name| map.get(name).cloned(), flag)
    }

    #[test]
    fn flag_over_environment_over_file() {
        let file = MlflowSettings {
            tracking_uri: Some("http://file:5000".into()),
            experiment_name: Some("from-file".into()),
        };
        let config = resolve(&file, &[], None);
        assert_eq!(config.base_url(), Some("http://file:5000"));
        let env = [("MLFLOW_TRACKING_URI", "http://127.0.0.1:5000/")];
        let config = resolve(&file, &env, None);
        assert_eq!(config.base_url(), Some("http://127.0.0.1:5000"));
        let config = resolve(&file, &env, Some("http://localhost:6000"));
        let uri = config.tracking_uri.expect("set");
        assert_eq!(uri.origin, Origin::Flag("--tracking-uri"));
        assert_eq!(
            config.experiment_name.map(|e| e.value).as_deref(),
            Some("from-file")
        );
    }

    #[test]
    fn credentials_are_redacted() {
        let vars = [
            ("MLFLOW_TRACKING_USERNAME", "admin"),
            ("MLFLOW_TRACKING_PASSWORD", "hunter2-secret"),
        ];
        let config = resolve(&MlflowSettings::default(), &vars, None);
        assert!(matches!(config.auth, Auth::Basic { .. }));
        let shown = format!("{config:?}");
        assert!(!shown.contains("hunter2-secret"), "{shown}");
        let token = resolve(
            &MlflowSettings::default(),
            &[("MLFLOW_TRACKING_TOKEN", "tok-secret")],
            None,
        );
        assert!(!format!("{token:?}").contains("tok-secret"));
        assert_eq!(token.auth.describe(), "bearer token");
    }

    #[test]
    fn plain_http_credentials_warn_off_loopback() {
        let vars = [("MLFLOW_TRACKING_TOKEN", "t")];
        let local = resolve(
            &MlflowSettings::default(),
            &vars,
            Some("http://127.0.0.1:5000"),
        );
        assert!(local.warnings().is_empty());
        let remote = resolve(
            &MlflowSettings::default(),
            &vars,
            Some("http://mlflow.lan:5000"),
        );
        assert_eq!(remote.warnings().len(), 1);
        let tls = resolve(
            &MlflowSettings::default(),
            &vars,
            Some("https://mlflow.lan"),
        );
        assert!(tls.warnings().is_empty());
        let insecure = resolve(
            &MlflowSettings::default(),
            &[("MLFLOW_TRACKING_INSECURE_TLS", "true")],
            Some("https://mlflow.lan"),
        );
        assert!(insecure.insecure_tls);
        assert_eq!(insecure.warnings().len(), 1);
    }

    #[test]
    fn request_timeout_from_the_environment() {
        let default = resolve(&MlflowSettings::default(), &[], None);
        assert_eq!(default.request_timeout, DEFAULT_REQUEST_TIMEOUT);
        let set = resolve(
            &MlflowSettings::default(),
            &[("MLFLOW_HTTP_REQUEST_TIMEOUT", "2.5")],
            None,
        );
        assert_eq!(set.request_timeout, Duration::from_millis(2500));
        let invalid = resolve(
            &MlflowSettings::default(),
            &[("MLFLOW_HTTP_REQUEST_TIMEOUT", "-1")],
            None,
        );
        assert_eq!(invalid.request_timeout, DEFAULT_REQUEST_TIMEOUT);
    }

    #[test]
    fn loopback_hosts() {
        assert!(is_loopback("http://localhost:5000"));
        assert!(is_loopback("http://127.0.0.2"));
        assert!(is_loopback("http://[::1]:80/"));
        assert!(!is_loopback("http://10.0.0.1"));
        assert!(!is_loopback("not a url"));
    }
}
