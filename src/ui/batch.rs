//! Progress of the photos being classified, with a time estimate.

use std::time::{Duration, Instant};

/// Counts photos queued since the queue was last empty.
#[derive(Debug, Default)]
pub struct Batch {
    total: usize,
    finished: usize,
    started: Option<Instant>,
}

impl Batch {
    /// Adds photos to the batch, starting a new one when the last is over.
    pub fn add(&mut self, photos: usize, now: Instant) {
        if photos == 0 {
            return;
        }
        if !self.is_running() {
            *self = Batch {
                total: 0,
                finished: 0,
                started: Some(now),
            };
        }
        self.total += photos;
    }

    /// Records one photo's result.
    pub fn finish_one(&mut self) {
        self.finished = (self.finished + 1).min(self.total);
    }

    /// Takes photos that will never run out of the batch.
    pub fn withdraw(&mut self, photos: usize) {
        self.total = self.total.saturating_sub(photos).max(self.finished);
    }

    /// Forgets the batch, as when a new model makes every result stale.
    pub fn reset(&mut self) {
        *self = Batch::default();
    }

    pub fn is_running(&self) -> bool {
        self.finished < self.total
    }

    pub fn finished(&self) -> usize {
        self.finished
    }

    pub fn total(&self) -> usize {
        self.total
    }

    /// Share done, from 0 to 1.
    pub fn fraction(&self) -> f32 {
        if self.total == 0 {
            return 1.0;
        }
        self.finished as f32 / self.total as f32
    }

    /// Time left at the pace so far; `None` until a photo has finished.
    pub fn remaining(&self, now: Instant) -> Option<Duration> {
        let started = self.started?;
        if self.finished == 0 {
            return None;
        }
        let per_photo = now.duration_since(started).as_secs_f64() / self.finished as f64;
        let left = (self.total - self.finished) as f64;
        Some(Duration::from_secs_f64(per_photo * left))
    }
}

/// Formats a time estimate for people: "about 40 s", "about 3 min".
pub fn describe_remaining(remaining: Duration) -> String {
    let seconds = remaining.as_secs();
    match seconds {
        0..=4 => "a few seconds left".to_string(),
        5..=89 => format!("about {seconds} s left"),
        _ => format!("about {} min left", (seconds + 30) / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remaining_time_follows_the_pace() {
        let start = Instant::now();
        let mut batch = Batch::default();
        batch.add(10, start);
        assert_eq!(batch.remaining(start), None);
        for _ in 0..4 {
            batch.finish_one();
        }
        let later = start + Duration::from_secs(8);
        assert_eq!(batch.remaining(later), Some(Duration::from_secs(12)));
        assert!((batch.fraction() - 0.4).abs() < 1e-6);
    }

    #[test]
    fn batch_restarts_after_withdrawal() {
        let now = Instant::now();
        let mut batch = Batch::default();
        batch.add(2, now);
        batch.finish_one();
        batch.withdraw(1);
        assert!(!batch.is_running());
        batch.add(3, now);
        assert_eq!((batch.finished(), batch.total()), (0, 3));
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(
            describe_remaining(Duration::from_secs(2)),
            "a few seconds left"
        );
        assert_eq!(
            describe_remaining(Duration::from_secs(40)),
            "about 40 s left"
        );
        assert_eq!(
            describe_remaining(Duration::from_secs(200)),
            "about 3 min left"
        );
    }
}
