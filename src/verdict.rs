//! Saying in words how sure a classification is.

use crate::model::Prediction;

/// Below this probability the first species is only a guess.
pub const LOW_CONFIDENCE: f32 = 0.5;
/// When the first two species are closer than this, either may be right.
pub const CLOSE_MARGIN: f32 = 0.15;

/// Confidence judgement for a photo, from its two best predictions.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Verdict<'a> {
    /// The first species clearly leads.
    Confident(&'a Prediction),
    /// The first species is weak, or the second is close behind.
    Uncertain {
        first: &'a Prediction,
        second: Option<&'a Prediction>,
    },
}

impl<'a> Verdict<'a> {
    /// Judges predictions ranked best first; `None` when there are none.
    pub fn of(predictions: &'a [Prediction]) -> Option<Self> {
        let first = predictions.first()?;
        let second = predictions.get(1);
        let runner_up = second.map_or(0.0, |p| p.probability);
        let weak = first.probability < LOW_CONFIDENCE;
        let close = first.probability - runner_up < CLOSE_MARGIN;
        Some(if weak || close {
            Verdict::Uncertain { first, second }
        } else {
            Verdict::Confident(first)
        })
    }

    pub fn is_uncertain(&self) -> bool {
        matches!(self, Verdict::Uncertain { .. })
    }

    /// Returns the best prediction.
    pub fn first(&self) -> &'a Prediction {
        match self {
            Verdict::Confident(first) | Verdict::Uncertain { first, .. } => first,
        }
    }

    /// Formats one line for people, such as "Uncertain: rose (41%) or camellia (35%)".
    pub fn sentence(&self) -> String {
        match self {
            Verdict::Confident(first) => format!("{} ({})", first.label, percent(first)),
            Verdict::Uncertain {
                first,
                second: Some(second),
            } => format!(
                "Uncertain: {} ({}) or {} ({})",
                first.label,
                percent(first),
                second.label,
                percent(second)
            ),
            Verdict::Uncertain {
                first,
                second: None,
            } => format!("Uncertain: perhaps {} ({})", first.label, percent(first)),
        }
    }
}

/// Formats a probability as a whole percentage, or with one decimal below 10%.
pub fn percent(prediction: &Prediction) -> String {
    let value = prediction.probability * 100.0;
    if value < 10.0 {
        format!("{value:.1}%")
    } else {
        format!("{value:.0}%")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ranked(probabilities: &[f32]) -> Vec<Prediction> {
        probabilities
            .iter()
            .enumerate()
            .map(|(i, &probability)| Prediction {
                rank: i + 1,
                label: format!("species {i}"),
                class_id: None,
                index: i,
                probability,
            })
            .collect()
    }

    #[test]
    fn verdict_clear_lead_is_confident() {
        let predictions = ranked(&[0.92, 0.05]);
        let verdict = Verdict::of(&predictions).expect("two predictions");
        assert!(!verdict.is_uncertain());
        assert_eq!(verdict.sentence(), "species 0 (92%)");
    }

    #[test]
    fn verdict_weak_first_names_both() {
        let predictions = ranked(&[0.41, 0.12]);
        let verdict = Verdict::of(&predictions).expect("two predictions");
        assert!(verdict.is_uncertain());
        assert_eq!(
            verdict.sentence(),
            "Uncertain: species 0 (41%) or species 1 (12%)"
        );
    }

    #[test]
    fn verdict_close_second_is_uncertain() {
        let predictions = ranked(&[0.55, 0.44]);
        assert!(Verdict::of(&predictions).is_some_and(|v| v.is_uncertain()));
    }

    #[test]
    fn small_percentages_keep_a_decimal() {
        let predictions = ranked(&[0.034]);
        assert_eq!(percent(&predictions[0]), "3.4%");
        assert!(Verdict::of(&[]).is_none());
    }
}
