//! Reads a model description from ONNX metadata properties.
//!
//! Petal's exporter writes these keys; other exporters' keys for labels
//! (`classes`, `names`, `class_names`, `id2label`) are read as well.
//!
//! | key | value |
//! | --- | --- |
//! | `model_name`, `model_version` | text |
//! | `labels` | JSON list of names in output order |
//! | `class_ids` | JSON list of dataset class ids in output order |
//! | `input_layout` | `NCHW` or `NHWC` |
//! | `input_size` | JSON `[height, width]` |
//! | `resize` | `shorter_side:N` or `exact` |
//! | `crop` | `center` or `none` |
//! | `mean`, `std` | JSON lists of three numbers, for pixels in [0, 1] |
//! | `output_kind` | `logits`, `probabilities` or `log_probabilities` |
//! | `output_name` | the graph output holding the scores |
//! | `dataset_fingerprint` | text |

use std::collections::BTreeMap;

use serde_json::Value;

use super::spec::{Label, OutputKind, PartialSpec, ResizeRule};
use crate::imaging::Layout;

/// Keys that hold a label list in other exporters' conventions.
const FOREIGN_LABEL_KEYS: [&str; 4] = ["classes", "names", "class_names", "id2label"];

/// Parses metadata properties; a malformed value becomes a warning.
pub fn parse_metadata(props: &BTreeMap<String, String>) -> PartialSpec {
    let mut spec = PartialSpec::default();
    let mut warnings = Vec::new();

    spec.name = non_empty(props.get("model_name"));
    spec.version = non_empty(props.get("model_version"));
    spec.dataset_fingerprint = non_empty(props.get("dataset_fingerprint"));
    spec.output_name = non_empty(props.get("output_name"));

    let label_value = props.get("labels").map(|v| ("labels", v)).or_else(|| {
        FOREIGN_LABEL_KEYS
            .iter()
            .find_map(|key| props.get(*key).map(|v| (*key, v)))
    });
    if let Some((key, value)) = label_value {
        match parse_label_list(value) {
            Some(names) => spec.labels = Some(names),
            None => warnings.push(spec_warning(key, value, "a JSON list of names")),
        }
    }
    if let (Some(labels), Some(value)) = (spec.labels.as_mut(), props.get("class_ids")) {
        match serde_json::from_str::<Vec<Value>>(value) {
            Ok(ids) if ids.len() == labels.len() => {
                for (label, id) in labels.iter_mut().zip(ids) {
                    label.class_id = Some(json_to_text(&id));
                }
            }
            _ => warnings.push(spec_warning(
                "class_ids",
                value,
                "a JSON list as long as `labels`",
            )),
        }
    }

    if let Some(value) = props.get("input_layout") {
        match value.trim().to_ascii_uppercase().as_str() {
            "NCHW" => spec.layout = Some(Layout::Nchw),
            "NHWC" => spec.layout = Some(Layout::Nhwc),
            _ => warnings.push(spec_warning("input_layout", value, "NCHW or NHWC")),
        }
    }
    if let Some(value) = props.get("input_size") {
        match serde_json::from_str::<[u32; 2]>(value) {
            Ok([h, w]) if h > 0 && w > 0 => spec.input_size = Some((h, w)),
            _ => warnings.push(spec_warning(
                "input_size",
                value,
                "a JSON list [height, width]",
            )),
        }
    }
    if let Some(value) = props.get("resize") {
        match parse_resize(value) {
            Some(resize) => spec.resize = Some(resize),
            None => warnings.push(spec_warning("resize", value, "shorter_side:N or exact")),
        }
    }
    if let Some(value) = props.get("crop") {
        match value.trim() {
            "center" | "centre" => spec.center_crop = Some(true),
            "none" => spec.center_crop = Some(false),
            _ => warnings.push(spec_warning("crop", value, "center or none")),
        }
    }
    if let Some(value) = props.get("mean") {
        match parse_triple(value) {
            Some(triple) => spec.mean = Some(triple),
            None => warnings.push(spec_warning("mean", value, "a JSON list of three numbers")),
        }
    }
    if let Some(value) = props.get("std") {
        match parse_triple(value).filter(|t| t.iter().all(|v| *v > 0.0)) {
            Some(triple) => spec.std = Some(triple),
            None => warnings.push(spec_warning("std", value, "three numbers above zero")),
        }
    }
    if let Some(value) = props.get("output_kind") {
        match OutputKind::parse(value) {
            Some(kind) => spec.output_kind = Some(kind),
            None => warnings.push(spec_warning(
                "output_kind",
                value,
                "logits, probabilities or log_probabilities",
            )),
        }
    }
    spec.warnings = warnings;
    spec
}

fn spec_warning(key: &str, value: &str, expected: &str) -> String {
    let shown: String = value.chars().take(60).collect();
    format!("metadata property `{key}` is {shown:?}, expected {expected}; ignored")
}

fn non_empty(value: Option<&String>) -> Option<String> {
    value
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// Reads labels from a JSON list, or a JSON object keyed by output index.
pub fn parse_label_list(text: &str) -> Option<Vec<Label>> {
    let value: Value = serde_json::from_str(text).ok()?;
    let names = match value {
        Value::Array(items) => items.iter().map(json_to_text).collect(),
        Value::Object(map) => labels_from_index_map(&map)?,
        _ => return None,
    };
    Some(
        names
            .into_iter()
            .map(|name| Label {
                name,
                class_id: None,
            })
            .collect(),
    )
}

/// Orders `{"0": "a", "1": "b"}` by index; every index 0..n must be present.
pub fn labels_from_index_map(map: &serde_json::Map<String, Value>) -> Option<Vec<String>> {
    let mut names = vec![None; map.len()];
    for (key, value) in map {
        let index: usize = key.trim().parse().ok()?;
        *names.get_mut(index)? = Some(json_to_text(value));
    }
    names.into_iter().collect()
}

fn json_to_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn parse_resize(text: &str) -> Option<ResizeRule> {
    let text = text.trim();
    if text == "exact" {
        return Some(ResizeRule::Exact);
    }
    let length = text.strip_prefix("shorter_side:")?.trim().parse().ok()?;
    (length > 0).then_some(ResizeRule::ShorterSide(length))
}

fn parse_triple(text: &str) -> Option<[f32; 3]> {
    let triple: [f32; 3] = serde_json::from_str(text).ok()?;
    triple.iter().all(|v| v.is_finite()).then_some(triple)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn metadata_full_description() {
        let spec = parse_metadata(&props(&[
            ("labels", r#"["rose", "tulip"]"#),
            ("class_ids", r#"["74", "7"]"#),
            ("input_layout", "NHWC"),
            ("input_size", "[240, 200]"),
            ("resize", "shorter_side:274"),
            ("crop", "center"),
            ("mean", "[0.5, 0.5, 0.5]"),
            ("std", "[0.25, 0.25, 0.25]"),
            ("output_kind", "probabilities"),
        ]));
        assert!(spec.warnings.is_empty(), "{:?}", spec.warnings);
        let labels = spec.labels.expect("labels parsed");
        assert_eq!(labels[0].name, "rose");
        assert_eq!(labels[1].class_id.as_deref(), Some("7"));
        assert_eq!(spec.layout, Some(Layout::Nhwc));
        assert_eq!(spec.input_size, Some((240, 200)));
        assert_eq!(spec.resize, Some(ResizeRule::ShorterSide(274)));
        assert_eq!(spec.std, Some([0.25; 3]));
        assert_eq!(spec.output_kind, Some(OutputKind::Probabilities));
    }

    #[test]
    fn metadata_index_map_labels() {
        let spec = parse_metadata(&props(&[("id2label", r#"{"1": "b", "0": "a"}"#)]));
        let names: Vec<_> = spec
            .labels
            .expect("labels")
            .into_iter()
            .map(|l| l.name)
            .collect();
        assert_eq!(names, ["a", "b"]);
    }

    #[test]
    fn metadata_malformed_values_spec_warning() {
        let spec = parse_metadata(&props(&[
            ("labels", "rose,tulip"),
            ("mean", "[0.5, 0.5]"),
            ("input_layout", "CHW"),
            ("id2label", r#"{"0": "a", "5": "b"}"#),
        ]));
        assert_eq!(spec.labels, None);
        assert_eq!(spec.mean, None);
        assert_eq!(spec.layout, None);
        assert_eq!(spec.warnings.len(), 3, "{:?}", spec.warnings);
        assert!(spec.warnings[0].contains("`labels`"));
    }
}
