//! Effective settings: flags over environment over file over defaults,
//! each value remembering where it came from.

use std::fmt;

use super::S3Settings;

/// Reads an environment variable; tests pass a map instead of the process
/// environment.
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Environment variables that override the S3 settings, in the order the
/// settings panel lists them.
pub const S3_ENV: [&str; 8] = [
    "AWS_S3_BUCKET_NAME",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_PROFILE",
    "AWS_ENDPOINT_URL_S3",
    "AWS_ENDPOINT_URL",
    "PETAL_S3_PATH_STYLE",
    "PETAL_S3_MODEL_PREFIX",
];

/// Source of an effective setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Petal's built-in default.
    Default,
    /// The settings file.
    File,
    /// An environment variable, by name.
    Env(&'static str),
    /// A command-line flag, by name.
    Flag(&'static str),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Default => f.write_str("default"),
            Origin::File => f.write_str("settings file"),
            Origin::Env(name) => write!(f, "${name}"),
            Origin::Flag(name) => write!(f, "{name}"),
        }
    }
}

/// An effective value and its source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting<T> {
    pub value: T,
    pub origin: Origin,
}

impl<T> Setting<T> {
    pub(super) fn new(value: T, origin: Origin) -> Self {
        Self { value, origin }
    }
}

/// The S3 settings in effect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Config {
    pub bucket: Option<Setting<String>>,
    /// `None` leaves the region to the AWS config files, then `us-east-1`.
    pub region: Option<Setting<String>>,
    pub profile: Option<Setting<String>>,
    pub endpoint_url: Option<Setting<String>>,
    pub path_style: Setting<bool>,
    /// Ends with `/` unless empty.
    pub model_prefix: Setting<String>,
}

/// Prefix under which models are listed when nothing else is set.
pub const DEFAULT_MODEL_PREFIX: &str = "models/";

impl S3Config {
    /// Combines the file's values with the environment and the
    /// `--s3-endpoint` flag; later sources win.
    pub fn resolve(file: &S3Settings, env: EnvLookup, endpoint_flag: Option<&str>) -> Self {
        let text = |name: &'static str| {
            let value = env(name).map(|v| v.trim().to_string());
            value
                .filter(|v| !v.is_empty())
                .map(|v| Setting::new(v, Origin::Env(name)))
        };
        let from_file = |value: &Option<String>| {
            let value = value.as_deref().map(str::trim).filter(|v| !v.is_empty());
            value.map(|v| Setting::new(v.to_string(), Origin::File))
        };
        let bucket = text("AWS_S3_BUCKET_NAME").or_else(|| from_file(&file.bucket));
        let region = text("AWS_REGION")
            .or_else(|| text("AWS_DEFAULT_REGION"))
            .or_else(|| from_file(&file.region));
        let profile = text("AWS_PROFILE").or_else(|| from_file(&file.profile));
        let flag = endpoint_flag
            .map(|v| Setting::new(v.trim().to_string(), Origin::Flag("--s3-endpoint")));
        let endpoint_url = flag
            .or_else(|| text("AWS_ENDPOINT_URL_S3"))
            .or_else(|| text("AWS_ENDPOINT_URL"))
            .or_else(|| from_file(&file.endpoint_url));
        let path_style = path_style(file, env, endpoint_url.as_ref());
        let model_prefix = text("PETAL_S3_MODEL_PREFIX")
            .or_else(|| from_file(&file.model_prefix))
            .unwrap_or_else(|| Setting::new(DEFAULT_MODEL_PREFIX.to_string(), Origin::Default));
        Self {
            bucket,
            region,
            profile,
            endpoint_url,
            path_style,
            model_prefix: Setting::new(normalise_prefix(&model_prefix.value), model_prefix.origin),
        }
    }
}

fn path_style(
    file: &S3Settings,
    env: EnvLookup,
    endpoint: Option<&Setting<String>>,
) -> Setting<bool> {
    let name = "PETAL_S3_PATH_STYLE";
    if let Some(value) = env(name).as_deref().and_then(parse_bool) {
        return Setting::new(value, Origin::Env(name));
    }
    if let Some(value) = file.path_style {
        return Setting::new(value, Origin::File);
    }
    let automatic = endpoint.is_some_and(|e| is_local_or_ip(&e.value));
    Setting::new(automatic, Origin::Default)
}

fn parse_bool(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// True for endpoints whose host is `localhost` or an IP address, where
/// virtual-hosted bucket names cannot resolve.
pub fn is_local_or_ip(endpoint: &str) -> bool {
    let without_scheme = endpoint
        .split_once("://")
        .map_or(endpoint, |(_, rest)| rest);
    let authority = without_scheme.split(['/', '?']).next().unwrap_or("");
    let host = match authority.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(""),
        None => authority
            .rsplit_once(':')
            .map_or(authority, |(host, _)| host),
    };
    host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok()
}

/// Adds the trailing `/` that makes a prefix name a folder.
fn normalise_prefix(prefix: &str) -> String {
    let trimmed = prefix.trim().trim_start_matches('/');
    if trimmed.is_empty() || trimmed.ends_with('/') {
        trimmed.to_string()
    } else {
        format!("{trimmed}/")
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn resolve(file: &S3Settings, vars: &[(&str, &str)], flag: Option<&str>) -> S3Config {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        S3Config::resolve(file, &|name| map.get(name).cloned(), flag)
    }

    #[test]
    fn environment_overrides_the_file_and_flags_override_both() {
        let file = S3Settings {
            bucket: Some("from-file".into()),
            endpoint_url: Some("https://s3.example.com".into()),
            ..S3Settings::default()
        };
        let vars = [
            ("AWS_S3_BUCKET_NAME", "from-env"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:9000"),
        ];
        let config = resolve(&file, &vars, Some("http://localhost:9100"));
        let bucket = config.bucket.expect("bucket set");
        assert_eq!(bucket.value, "from-env");
        assert_eq!(bucket.origin, Origin::Env("AWS_S3_BUCKET_NAME"));
        let endpoint = config.endpoint_url.expect("endpoint set");
        assert_eq!(endpoint.origin, Origin::Flag("--s3-endpoint"));
        assert!(config.path_style.value);
    }

    #[test]
    fn path_style_is_automatic_for_local_endpoints_only() {
        assert!(is_local_or_ip("http://127.0.0.1:9000"));
        assert!(is_local_or_ip("http://[::1]:9000/"));
        assert!(is_local_or_ip("http://LOCALHOST"));
        assert!(!is_local_or_ip("https://minio.example.com:9000"));
        let config = resolve(&S3Settings::default(), &[], None);
        assert!(!config.path_style.value);
        let forced = resolve(
            &S3Settings::default(),
            &[("PETAL_S3_PATH_STYLE", "yes")],
            None,
        );
        assert!(forced.path_style.value);
    }

    #[test]
    fn model_prefix_defaults_and_gets_a_slash() {
        let config = resolve(&S3Settings::default(), &[], None);
        assert_eq!(config.model_prefix.value, "models/");
        let file = S3Settings {
            model_prefix: Some("/teams/flowers".into()),
            ..S3Settings::default()
        };
        assert_eq!(
            resolve(&file, &[], None).model_prefix.value,
            "teams/flowers/"
        );
        let region = resolve(&file, &[("AWS_DEFAULT_REGION", "eu-west-3")], None).region;
        assert_eq!(region.map(|r| r.value).as_deref(), Some("eu-west-3"));
    }
}
