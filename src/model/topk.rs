//! From raw scores to ranked, labelled predictions.

use serde::Serialize;

use super::spec::{Label, OutputKind};

/// One ranked prediction.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Prediction {
    /// 1 for the most likely class.
    pub rank: usize,
    pub label: String,
    /// The dataset's class id, when the model states it.
    pub class_id: Option<String>,
    /// Index into the model's output vector.
    pub index: usize,
    pub probability: f32,
}

/// Converts raw scores to probabilities that sum to one.
pub fn to_probabilities(scores: &[f32], kind: OutputKind) -> Vec<f32> {
    match kind {
        OutputKind::Logits => softmax(scores),
        OutputKind::LogProbabilities => scores.iter().map(|s| s.exp()).collect(),
        OutputKind::Probabilities => scores.to_vec(),
    }
}

/// Numerically stable softmax; NaN scores get probability zero.
pub fn softmax(scores: &[f32]) -> Vec<f32> {
    let max = scores
        .iter()
        .copied()
        .filter(|s| !s.is_nan())
        .fold(f32::NEG_INFINITY, f32::max);
    if !max.is_finite() {
        return vec![0.0; scores.len()];
    }
    let exps: Vec<f32> = scores
        .iter()
        .map(|s| if s.is_nan() { 0.0 } else { (s - max).exp() })
        .collect();
    let sum: f32 = exps.iter().sum();
    exps.into_iter().map(|e| e / sum).collect()
}

/// Ranks the `k` most probable classes, best first; `k` is clamped to the
/// number of classes. Ties keep output order.
pub fn top_k(probabilities: &[f32], labels: &[Label], k: usize) -> Vec<Prediction> {
    let mut order: Vec<usize> = (0..probabilities.len()).collect();
    order.sort_by(|&a, &b| {
        probabilities[b]
            .total_cmp(&probabilities[a])
            .then(a.cmp(&b))
    });
    order
        .into_iter()
        .take(k)
        .enumerate()
        .map(|(rank, index)| {
            let label = labels.get(index);
            Prediction {
                rank: rank + 1,
                label: label.map_or_else(|| format!("class {index}"), |l| l.name.clone()),
                class_id: label.and_then(|l| l.class_id.clone()),
                index,
                probability: probabilities[index],
            }
        })
        .collect()
}

/// Guesses what scores are from their values: probabilities lie in [0, 1]
/// and sum to one, log-probabilities are at most zero and their
/// exponentials sum to one, and anything else is treated as logits.
pub fn infer_output_kind(scores: &[f32]) -> OutputKind {
    const TOLERANCE: f32 = 1e-3;
    let sum: f32 = scores.iter().sum();
    if scores.iter().all(|s| (0.0..=1.0).contains(s)) && (sum - 1.0).abs() < TOLERANCE {
        return OutputKind::Probabilities;
    }
    let exp_sum: f32 = scores.iter().map(|s| s.exp()).sum();
    if scores.iter().all(|s| *s <= 0.0) && (exp_sum - 1.0).abs() < TOLERANCE {
        return OutputKind::LogProbabilities;
    }
    OutputKind::Logits
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(n: usize) -> Vec<Label> {
        (0..n)
            .map(|i| Label {
                name: format!("l{i}"),
                class_id: Some(format!("{}", i + 1)),
            })
            .collect()
    }

    #[test]
    fn softmax_sums_to_one() {
        let p = softmax(&[1.0, 2.0, 3.0, 1000.0]);
        assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!(p[3] > 0.999);
    }

    #[test]
    fn top_k_clamps_and_orders() {
        let preds = top_k(&[0.1, 0.6, 0.3], &labels(3), 10);
        assert_eq!(preds.len(), 3);
        assert_eq!(preds[0].index, 1);
        assert_eq!(preds[0].rank, 1);
        assert_eq!(preds[0].class_id.as_deref(), Some("2"));
        assert_eq!(preds[2].index, 0);
    }

    #[test]
    fn probabilities_are_not_softmaxed_again() {
        let probs = to_probabilities(&[0.7, 0.2, 0.1], OutputKind::Probabilities);
        assert_eq!(probs, [0.7, 0.2, 0.1]);
        let from_log = to_probabilities(&[0.7f32.ln(), 0.3f32.ln()], OutputKind::LogProbabilities);
        assert!((from_log[0] - 0.7).abs() < 1e-6);
    }

    #[test]
    fn output_kind_inferred_from_values() {
        assert_eq!(
            infer_output_kind(&[0.5, 0.25, 0.25]),
            OutputKind::Probabilities
        );
        assert_eq!(
            infer_output_kind(&[0.5f32.ln(), 0.5f32.ln()]),
            OutputKind::LogProbabilities
        );
        assert_eq!(infer_output_kind(&[2.0, -1.0, 0.5]), OutputKind::Logits);
    }
}
