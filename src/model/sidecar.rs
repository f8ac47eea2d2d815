//! Reads a model description from files next to the model.
//!
//! Looked for in the model's folder, first match wins per part:
//! - `<model stem>.json`: the metadata keys of [`super::metadata`] as a JSON
//!   object, optionally with a `class_to_idx` object;
//! - `labels.txt`: one label per line, in output order;
//! - `cat_to_name.json` (class id to name) with `class_to_idx.json` (class
//!   id to output index), as saved by PyTorch training scripts;
//! - Hugging Face `config.json` (`id2label`) and `preprocessor_config.json`.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Map, Value};

use super::metadata::{labels_from_index_map, parse_metadata};
use super::spec::{Label, PartialSpec, ResizeRule};

/// Largest sidecar file read; real ones are a few kilobytes.
const MAX_SIDECAR_BYTES: u64 = 8 << 20;

/// A description found next to a model, with the file it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Sidecar {
    pub file_name: String,
    pub spec: PartialSpec,
}

/// Reads one kind of sidecar file, if it exists.
type SidecarReader = fn(&Path) -> Option<PartialSpec>;

/// Reads every sidecar present next to `model_path`, most specific first.
pub fn read_sidecars(model_path: &Path) -> Vec<Sidecar> {
    let Some(dir) = model_path.parent() else {
        return Vec::new();
    };
    let stem = model_path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("model");
    let readers: [(String, SidecarReader); 4] = [
        (format!("{stem}.json"), read_description_json),
        ("labels.txt".to_string(), read_labels_txt),
        ("cat_to_name.json".to_string(), read_cat_to_name),
        ("config.json".to_string(), read_hugging_face),
    ];
    readers
        .into_iter()
        .filter_map(|(file_name, read)| {
            let spec = read(&dir.join(&file_name))?;
            Some(Sidecar { file_name, spec })
        })
        .collect()
}

fn read_text(path: &Path) -> Option<Result<String, String>> {
    let metadata = std::fs::metadata(path).ok()?;
    if !metadata.is_file() {
        return None;
    }
    if metadata.len() > MAX_SIDECAR_BYTES {
        return Some(Err(format!("larger than {MAX_SIDECAR_BYTES} bytes")));
    }
    Some(std::fs::read_to_string(path).map_err(|e| e.to_string()))
}

fn read_json_object(path: &Path) -> Option<Result<Map<String, Value>, String>> {
    Some(
        read_text(path)?.and_then(|text| match serde_json::from_str(&text) {
            Ok(Value::Object(map)) => Ok(map),
            Ok(_) => Err("not a JSON object".to_string()),
            Err(e) => Err(format!("invalid JSON ({e})")),
        }),
    )
}

fn unreadable(path: &Path, cause: &str) -> PartialSpec {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    PartialSpec {
        warnings: vec![format!("{name} next to the model was ignored: {cause}")],
        ..PartialSpec::default()
    }
}

fn read_description_json(path: &Path) -> Option<PartialSpec> {
    let map = match read_json_object(path)? {
        Ok(map) => map,
        Err(cause) => return Some(unreadable(path, &cause)),
    };
    let props: BTreeMap<String, String> = map
        .iter()
        .filter(|(key, _)| key.as_str() != "class_to_idx")
        .map(|(key, value)| {
            let text = match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (key.clone(), text)
        })
        .collect();
    let mut spec = parse_metadata(&props);
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    for warning in &mut spec.warnings {
        *warning = warning.replacen("metadata property", &format!("{file_name} key"), 1);
    }
    if spec.labels.is_none() {
        if let Some(Value::Object(class_to_idx)) = map.get("class_to_idx") {
            spec.labels = labels_from_class_to_idx(class_to_idx, None);
        }
    }
    Some(spec)
}

fn read_labels_txt(path: &Path) -> Option<PartialSpec> {
    let text = match read_text(path)? {
        Ok(text) => text,
        Err(cause) => return Some(unreadable(path, &cause)),
    };
    let mut names: Vec<String> = text.lines().map(|line| line.trim().to_string()).collect();
    while names.last().is_some_and(String::is_empty) {
        names.pop();
    }
    if names.is_empty() {
        return Some(unreadable(path, "it holds no labels"));
    }
    let labels = names
        .into_iter()
        .map(|name| Label {
            name,
            class_id: None,
        })
        .collect();
    Some(PartialSpec {
        labels: Some(labels),
        ..PartialSpec::default()
    })
}

/// Pairs `cat_to_name.json` with `class_to_idx.json` when present.
fn read_cat_to_name(path: &Path) -> Option<PartialSpec> {
    let names = match read_json_object(path)? {
        Ok(map) => map,
        Err(cause) => return Some(unreadable(path, &cause)),
    };
    let mapping_path = path.with_file_name("class_to_idx.json");
    let mut spec = PartialSpec::default();
    let labels = match read_json_object(&mapping_path) {
        Some(Ok(class_to_idx)) => labels_from_class_to_idx(&class_to_idx, Some(&names)),
        Some(Err(cause)) => {
            spec.warnings
                .push(format!("class_to_idx.json was ignored: {cause}"));
            None
        }
        None => None,
    };
    spec.labels = labels.or_else(|| {
        spec.warnings.push(
            "cat_to_name.json has no class_to_idx.json beside it, so classes are assumed in \
             the order torchvision's ImageFolder gives them (ids sorted as text: 1, 10, 100, \
             ...); add class_to_idx.json to state the order"
                .to_string(),
        );
        Some(labels_in_image_folder_order(&names))
    });
    Some(spec)
}

/// Builds labels from `{"class id": output index}`, naming them from
/// `names` (class id to name) when given.
fn labels_from_class_to_idx(
    class_to_idx: &Map<String, Value>,
    names: Option<&Map<String, Value>>,
) -> Option<Vec<Label>> {
    let mut labels = vec![None; class_to_idx.len()];
    for (class_id, index) in class_to_idx {
        let index = usize::try_from(index.as_u64()?).ok()?;
        let name = names
            .and_then(|n| n.get(class_id))
            .and_then(Value::as_str)
            .unwrap_or(class_id)
            .to_string();
        *labels.get_mut(index)? = Some(Label {
            name,
            class_id: Some(class_id.clone()),
        });
    }
    labels.into_iter().collect()
}

fn labels_in_image_folder_order(names: &Map<String, Value>) -> Vec<Label> {
    let mut ids: Vec<&String> = names.keys().collect();
    ids.sort();
    ids.into_iter()
        .map(|id| Label {
            name: names[id]
                .as_str()
                .map_or_else(|| names[id].to_string(), str::to_string),
            class_id: Some(id.clone()),
        })
        .collect()
}

/// Reads `config.json` and, beside it, `preprocessor_config.json`.
fn read_hugging_face(path: &Path) -> Option<PartialSpec> {
    let config = match read_json_object(path)? {
        Ok(map) => map,
        Err(cause) => return Some(unreadable(path, &cause)),
    };
    let mut spec = PartialSpec::default();
    if let Some(Value::Object(id2label)) = config.get("id2label") {
        spec.labels = labels_from_index_map(id2label).map(|names| {
            names
                .into_iter()
                .map(|name| Label {
                    name,
                    class_id: None,
                })
                .collect()
        });
    }
    if let Some(Ok(prep)) = read_json_object(&path.with_file_name("preprocessor_config.json")) {
        apply_hugging_face_preprocessing(&prep, &mut spec);
    }
    Some(spec)
}

fn apply_hugging_face_preprocessing(prep: &Map<String, Value>, spec: &mut PartialSpec) {
    let triple = |key: &str| -> Option<[f32; 3]> {
        let values = prep.get(key)?.as_array()?;
        let v: Vec<f32> = values
            .iter()
            .filter_map(|x| x.as_f64().map(|f| f as f32))
            .collect();
        (v.len() == 3).then(|| [v[0], v[1], v[2]])
    };
    if prep.get("do_normalize").and_then(Value::as_bool) != Some(false) {
        spec.mean = triple("image_mean");
        spec.std = triple("image_std");
    } else {
        spec.mean = Some([0.0; 3]);
        spec.std = Some([1.0; 3]);
    }
    let size = prep.get("size");
    let shortest = size
        .and_then(|s| s.get("shortest_edge"))
        .and_then(Value::as_u64);
    let exact = size.and_then(|s| Some((s.get("height")?.as_u64()?, s.get("width")?.as_u64()?)));
    let crop = prep.get("crop_size").and_then(|s| match s {
        Value::Number(n) => n.as_u64().map(|n| (n, n)),
        other => Some((
            other.get("height")?.as_u64()?,
            other.get("width")?.as_u64()?,
        )),
    });
    let do_crop = prep
        .get("do_center_crop")
        .and_then(Value::as_bool)
        .unwrap_or(crop.is_some());
    if let Some(length) = shortest.and_then(|n| u32::try_from(n).ok()) {
        spec.resize = Some(ResizeRule::ShorterSide(length));
    } else if let Some((h, w)) = exact {
        spec.resize = Some(ResizeRule::Exact);
        spec.input_size = Some((h as u32, w as u32));
    }
    spec.center_crop = Some(do_crop);
    if do_crop {
        if let Some((h, w)) = crop {
            spec.input_size = Some((h as u32, w as u32));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) {
        std::fs::write(dir.join(name), text).expect("write sidecar");
    }

    fn label_names(spec: &PartialSpec) -> Vec<String> {
        spec.labels
            .as_ref()
            .expect("labels")
            .iter()
            .map(|l| l.name.clone())
            .collect()
    }

    #[test]
    fn labels_txt_in_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), "labels.txt", "daisy\nrose\n\n");
        let found = read_sidecars(&dir.path().join("m.onnx"));
        assert_eq!(found.len(), 1);
        assert_eq!(label_names(&found[0].spec), ["daisy", "rose"]);
    }

    #[test]
    fn cat_to_name_follows_class_to_idx() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(
            dir.path(),
            "cat_to_name.json",
            r#"{"1": "one", "2": "two", "10": "ten"}"#,
        );
        write(
            dir.path(),
            "class_to_idx.json",
            r#"{"1": 0, "2": 1, "10": 2}"#,
        );
        let found = read_sidecars(&dir.path().join("m.onnx"));
        assert_eq!(label_names(&found[0].spec), ["one", "two", "ten"]);
        let ids = found[0].spec.labels.as_ref().expect("labels");
        assert_eq!(ids[2].class_id.as_deref(), Some("10"));
    }

    #[test]
    fn cat_to_name_alone_uses_image_folder_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(
            dir.path(),
            "cat_to_name.json",
            r#"{"1": "one", "2": "two", "10": "ten"}"#,
        );
        let found = read_sidecars(&dir.path().join("m.onnx"));
        assert_eq!(label_names(&found[0].spec), ["one", "ten", "two"]);
        assert!(found[0].spec.warnings[0].contains("class_to_idx.json"));
    }

    #[test]
    fn hugging_face_config_and_preprocessor() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(
            dir.path(),
            "config.json",
            r#"{"id2label": {"0": "cat", "1": "dog"}}"#,
        );
        write(
            dir.path(),
            "preprocessor_config.json",
            r#"{"image_mean": [0.485, 0.456, 0.406], "image_std": [0.229, 0.224, 0.225],
                "size": {"shortest_edge": 256}, "crop_size": {"height": 224, "width": 224},
                "do_center_crop": true}"#,
        );
        let found = read_sidecars(&dir.path().join("m.onnx"));
        let spec = &found[0].spec;
        assert_eq!(label_names(spec), ["cat", "dog"]);
        assert_eq!(spec.resize, Some(ResizeRule::ShorterSide(256)));
        assert_eq!(spec.input_size, Some((224, 224)));
        assert_eq!(spec.mean, Some([0.485, 0.456, 0.406]));
    }

    #[test]
    fn broken_sidecar_warns() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), "m.json", "{not json");
        let found = read_sidecars(&dir.path().join("m.onnx"));
        assert!(found[0].spec.labels.is_none());
        assert!(found[0].spec.warnings[0].contains("m.json"));
    }
}
