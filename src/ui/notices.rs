//! Messages for the user: what happened, and what to do about it.

/// How much a notice matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Warning,
    Error,
}

#[derive(Debug, Clone)]
pub struct Notice {
    pub level: Level,
    pub text: String,
}

/// The latest messages, newest last; old ones are dropped.
#[derive(Debug, Default)]
pub struct Notices {
    items: Vec<Notice>,
    /// Notices before this index were dismissed from the status bar.
    dismissed: usize,
}

/// Messages kept for the history popup.
const KEPT: usize = 50;

impl Notices {
    pub fn info(&mut self, text: impl Into<String>) {
        self.push(Level::Info, text.into());
    }

    pub fn warn(&mut self, text: impl Into<String>) {
        self.push(Level::Warning, text.into());
    }

    pub fn error(&mut self, text: impl Into<String>) {
        self.push(Level::Error, text.into());
    }

    fn push(&mut self, level: Level, text: String) {
        match level {
            Level::Error => tracing::warn!("{text}"),
            Level::Warning | Level::Info => tracing::info!("{text}"),
        }
        self.items.push(Notice { level, text });
        if self.items.len() > KEPT {
            let extra = self.items.len() - KEPT;
            self.items.drain(..extra);
            self.dismissed = self.dismissed.saturating_sub(extra);
        }
    }

    /// Returns the newest notice not dismissed.
    pub fn latest(&self) -> Option<&Notice> {
        self.items.get(self.dismissed..)?.last()
    }

    pub fn dismiss(&mut self) {
        self.dismissed = self.items.len();
    }

    /// Returns all kept notices, oldest first.
    pub fn all(&self) -> &[Notice] {
        &self.items
    }
}
