//! Finding the ONNX file of an MLflow model folder from its `MLmodel`
//! file, a YAML document such as:
//!
//! ```yaml
//! flavors:
//!   onnx:
//!     data: model.onnx
//!     onnx_version: 1.17.0
//! ```
//!
//! Only `flavors.onnx.data` is read, so a small indentation-based reader
//! is enough and no YAML library is needed.

use std::path::{Path, PathBuf};

/// Name of the file that describes an MLflow model folder.
pub const MLMODEL_FILE: &str = "MLmodel";

/// Returns `flavors.onnx.data` from an `MLmodel` document, if present.
pub fn onnx_data_path(mlmodel: &str) -> Option<String> {
    let mut in_flavors = false;
    let mut onnx_indent: Option<usize> = None;
    for line in mlmodel.lines() {
        let content = line.trim_end();
        let trimmed = content.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let indent = content.len() - trimmed.len();
        if indent == 0 {
            in_flavors = trimmed == "flavors:";
            onnx_indent = None;
            continue;
        }
        if !in_flavors {
            continue;
        }
        match onnx_indent {
            Some(flavor_indent) if indent <= flavor_indent => {
                onnx_indent = (trimmed == "onnx:").then_some(indent);
            }
            Some(_) => {
                if let Some(value) = trimmed.strip_prefix("data:") {
                    return Some(unquote(value.trim()).to_string());
                }
            }
            None if trimmed == "onnx:" => onnx_indent = Some(indent),
            None => {}
        }
    }
    None
}

fn unquote(value: &str) -> &str {
    let quoted = value.len() >= 2
        && ((value.starts_with('"') && value.ends_with('"'))
            || (value.starts_with('\'') && value.ends_with('\'')));
    if quoted {
        &value[1..value.len() - 1]
    } else {
        value
    }
}

/// Picks the model file among the `files` downloaded into `folder`: the
/// one the `MLmodel` file names, else the only `.onnx` file.
pub fn find_model_file(folder: &Path, files: &[PathBuf]) -> Result<PathBuf, String> {
    let mlmodel = files
        .iter()
        .find(|f| f.as_os_str() == MLMODEL_FILE)
        .and_then(|f| std::fs::read_to_string(folder.join(f)).ok());
    if let Some(data) = mlmodel.as_deref().and_then(onnx_data_path) {
        let named = files
            .iter()
            .find(|f| f.to_string_lossy() == data.trim_start_matches("./"));
        return named.cloned().ok_or_else(|| {
            format!("its MLmodel file names {data:?} as the ONNX model, but no such file is there")
        });
    }
    let onnx: Vec<&PathBuf> = files
        .iter()
        .filter(|f| {
            f.extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("onnx"))
        })
        .collect();
    match onnx.as_slice() {
        [single] => Ok((*single).clone()),
        [] => Err("it holds no .onnx file and no MLmodel file with an ONNX flavor".to_string()),
        several => Err(format!(
            "it holds {} .onnx files and no MLmodel file naming one; name the file itself, \
             such as runs:/RUN_ID/{}",
            several.len(),
            several[0].display()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_onnx_flavor_data() {
        let text = "artifact_path: model\nflavors:\n  python_function:\n    data: other.onnx\n    \
                    loader_module: mlflow.onnx\n  onnx:\n    onnx_version: 1.17.0\n    data: \
                    'flowers.onnx'\nmlflow_version: 3.1.0\n";
        assert_eq!(onnx_data_path(text).as_deref(), Some("flowers.onnx"));
        assert_eq!(
            onnx_data_path("flavors:\n  sklearn:\n    data: m.pkl\n"),
            None
        );
        assert_eq!(onnx_data_path("onnx:\n  data: x.onnx\n"), None);
    }

    #[test]
    fn picks_the_single_onnx_file() {
        let folder = Path::new("/nonexistent");
        let files = [PathBuf::from("labels.txt"), PathBuf::from("m.ONNX")];
        assert_eq!(find_model_file(folder, &files), Ok(PathBuf::from("m.ONNX")));
        let two = [PathBuf::from("a.onnx"), PathBuf::from("b.onnx")];
        assert!(find_model_file(folder, &two).is_err());
        assert!(find_model_file(folder, &[PathBuf::from("labels.txt")]).is_err());
    }
}
