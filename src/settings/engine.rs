//! The inference engine in effect: `--engine` over `PETAL_ENGINE` over the
//! settings file's `engine` key, and the same order for the threads one
//! photo's inference uses.

use super::resolve::{EnvLookup, Origin, Setting};
use super::Settings;
use crate::model::{EngineKind, EngineOptions, DEFAULT_ENGINE_THREADS, MAX_ENGINE_THREADS};

/// Variable that picks the engine: `tract` or `onnxruntime`.
pub const ENGINE_ENV: &str = "PETAL_ENGINE";

/// Variable for the threads one photo's inference uses.
pub const ENGINE_THREADS_ENV: &str = "PETAL_ENGINE_THREADS";

/// Engine choices given on the command line, which override the rest.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EngineFlags {
    pub engine: Option<EngineKind>,
    pub threads: Option<usize>,
}

/// The engine settings in effect, and where each came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineConfig {
    pub kind: Setting<EngineKind>,
    pub threads: Setting<usize>,
    /// Values that were ignored because they are invalid, each naming its
    /// source and the value used instead.
    pub warnings: Vec<String>,
}

impl EngineConfig {
    /// Combines the settings file, the environment and the flags; later
    /// sources win, and an invalid value is skipped with a warning.
    pub fn resolve(file: &Settings, env: EnvLookup, flags: EngineFlags) -> Self {
        let mut warnings = Vec::new();
        let mut kind = Setting::new(EngineKind::default(), Origin::Default);
        let mut threads = Setting::new(DEFAULT_ENGINE_THREADS, Origin::Default);

        if let Some(text) = file.engine.as_deref() {
            match EngineKind::parse(text) {
                Ok(value) => kind = Setting::new(value, Origin::File),
                Err(why) => warnings.push(format!("settings file: engine {why}")),
            }
        }
        if let Some(value) = file.engine_threads {
            match valid_threads(value) {
                Ok(value) => threads = Setting::new(value, Origin::File),
                Err(why) => warnings.push(format!("settings file: engine_threads {why}")),
            }
        }
        if let Some(text) = env(ENGINE_ENV).filter(|t| !t.trim().is_empty()) {
            match EngineKind::parse(&text) {
                Ok(value) => kind = Setting::new(value, Origin::Env(ENGINE_ENV)),
                Err(why) => warnings.push(format!("${ENGINE_ENV}: {why}")),
            }
        }
        if let Some(text) = env(ENGINE_THREADS_ENV).filter(|t| !t.trim().is_empty()) {
            let parsed = text
                .trim()
                .parse::<u64>()
                .map_err(|_| format!("{text:?} is not a number; use 1 to {MAX_ENGINE_THREADS}"));
            match parsed.and_then(valid_threads) {
                Ok(value) => threads = Setting::new(value, Origin::Env(ENGINE_THREADS_ENV)),
                Err(why) => warnings.push(format!("${ENGINE_THREADS_ENV}: {why}")),
            }
        }
        if let Some(value) = flags.engine {
            kind = Setting::new(value, Origin::Flag("--engine"));
        }
        if let Some(value) = flags.threads {
            threads = Setting::new(value, Origin::Flag("--engine-threads"));
        }
        for warning in &mut warnings {
            warning.push_str(&format!("; using {}", kind.value));
        }
        Self {
            kind,
            threads,
            warnings,
        }
    }

    /// Returns the options to load models with.
    pub fn options(&self) -> EngineOptions {
        EngineOptions {
            kind: self.kind.value,
            threads: self.threads.value,
        }
    }
}

fn valid_threads(value: u64) -> Result<usize, String> {
    match usize::try_from(value) {
        Ok(value @ 1..=MAX_ENGINE_THREADS) => Ok(value),
        _ => Err(format!(
            "{value} is out of range; use 1 to {MAX_ENGINE_THREADS}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn resolve(file: &Settings, vars: &[(&str, &str)], flags: EngineFlags) -> EngineConfig {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        EngineConfig::resolve(file, &|name| map.get(name).cloned(), flags)
    }

    #[test]
    fn tract_on_one_thread_by_default() {
        let config = resolve(&Settings::default(), &[], EngineFlags::default());
        assert_eq!(config.options(), EngineOptions::default());
        assert_eq!(config.kind.origin, Origin::Default);
        assert!(config.warnings.is_empty());
    }

    #[test]
    fn flag_over_environment_over_file() {
        let file = Settings {
            engine: Some("onnxruntime".into()),
            engine_threads: Some(2),
            ..Settings::default()
        };
        let from_file = resolve(&file, &[], EngineFlags::default());
        assert_eq!(from_file.kind.value, EngineKind::OnnxRuntime);
        assert_eq!(from_file.threads, Setting::new(2, Origin::File));

        let vars = [(ENGINE_ENV, "tract"), (ENGINE_THREADS_ENV, "3")];
        let from_env = resolve(&file, &vars, EngineFlags::default());
        assert_eq!(
            from_env.kind,
            Setting::new(EngineKind::Tract, Origin::Env(ENGINE_ENV))
        );
        assert_eq!(from_env.threads.value, 3);

        let flags = EngineFlags {
            engine: Some(EngineKind::OnnxRuntime),
            threads: Some(4),
        };
        let from_flags = resolve(&file, &vars, flags);
        assert_eq!(from_flags.kind.origin, Origin::Flag("--engine"));
        assert_eq!(from_flags.threads.value, 4);
    }

    #[test]
    fn invalid_values_are_skipped_with_a_warning() {
        let file = Settings {
            engine: Some("cuda".into()),
            engine_threads: Some(0),
            ..Settings::default()
        };
        let vars = [(ENGINE_THREADS_ENV, "many")];
        let config = resolve(&file, &vars, EngineFlags::default());
        assert_eq!(config.options(), EngineOptions::default());
        assert_eq!(config.warnings.len(), 3, "{:?}", config.warnings);
        assert!(
            config.warnings[0].contains("\"cuda\""),
            "{:?}",
            config.warnings
        );
        assert!(
            config.warnings[2].contains(ENGINE_THREADS_ENV),
            "{:?}",
            config.warnings
        );
    }
}
