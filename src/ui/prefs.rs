//! Choices the app remembers between runs.

use serde::{Deserialize, Serialize};

/// Key under which eframe's storage keeps [`Prefs`].
pub const STORAGE_KEY: &str = "petal.prefs";
/// Most species a photo can show; the model may have fewer.
pub const MAX_TOP_K: usize = crate::jobs::MAX_RANKED;

/// The main views, switched from the top bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Panel {
    #[default]
    Photos,
    Results,
    Model,
    Runs,
    Settings,
}

impl Panel {
    pub const ALL: [Panel; 5] = [
        Panel::Photos,
        Panel::Results,
        Panel::Model,
        Panel::Runs,
        Panel::Settings,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Panel::Photos => "Photos",
            Panel::Results => "Results",
            Panel::Model => "Models",
            Panel::Runs => "Runs",
            Panel::Settings => "Settings",
        }
    }
}

/// Remembered settings. Nothing here is secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Prefs {
    /// Species shown per photo.
    pub top_k: usize,
    /// The view open when the app last closed.
    pub panel: Panel,
}

impl Default for Prefs {
    fn default() -> Self {
        Self {
            top_k: 5,
            panel: Panel::Photos,
        }
    }
}

impl Prefs {
    /// Reads the stored prefs; missing or unreadable ones give defaults.
    pub fn load(storage: Option<&dyn eframe::Storage>) -> Self {
        let stored = storage.and_then(|storage| eframe::get_value::<Prefs>(storage, STORAGE_KEY));
        let mut prefs = stored.unwrap_or_default();
        prefs.top_k = prefs.top_k.clamp(1, MAX_TOP_K);
        prefs
    }

    pub fn save(&self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, STORAGE_KEY, self);
    }
}
