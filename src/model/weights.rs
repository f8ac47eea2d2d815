//! Checks on a model's weights before tract reads them.
//!
//! An ONNX tensor states its shape apart from its data, so a small file can
//! declare a weight of terabytes. Weights may also live in other files that
//! the model names. Both are checked here against the bytes that really
//! exist, before any engine allocates what a tensor declares or opens a
//! file outside the model's folder.

use std::path::{Component, Path};

use tract_onnx::pb::{AttributeProto, GraphProto, ModelProto, TensorProto};

use super::ModelErrorKind;

/// Largest total size of weights accepted, declared or stored elsewhere.
/// Image classifiers weigh megabytes; the largest common ones stay under 2 GiB.
pub const MAX_WEIGHT_BYTES: u64 = 4 << 30;

/// ONNX `TensorProto.DataLocation` value for data stored in another file.
const EXTERNAL: i32 = 1;

/// Checks every tensor in the model: initializers, constants in node
/// attributes, and those of nested graphs (the branches of `If`, the
/// bodies of `Loop` and `Scan`). `model_path` locates external data.
pub fn check_weights(proto: &ModelProto, model_path: Option<&Path>) -> Result<(), ModelErrorKind> {
    let mut tensors = Vec::new();
    if let Some(graph) = &proto.graph {
        collect_graph(graph, &mut tensors);
    }
    let mut total: u64 = 0;
    for tensor in tensors {
        let bytes = check_tensor(tensor, model_path)?;
        total = total.saturating_add(bytes);
        if total > MAX_WEIGHT_BYTES {
            return Err(ModelErrorKind::BadWeights {
                tensor: tensor.name.clone(),
                cause: format!(
                    "the weights add up to more than the {MAX_WEIGHT_BYTES}-byte limit, far \
                     more than an image classifier needs"
                ),
            });
        }
    }
    Ok(())
}

/// Tells whether any tensor stores its data in another file.
pub fn has_external_data(proto: &ModelProto) -> bool {
    let mut tensors = Vec::new();
    if let Some(graph) = &proto.graph {
        collect_graph(graph, &mut tensors);
    }
    tensors
        .iter()
        .any(|tensor| tensor.data_location == Some(EXTERNAL))
}

fn collect_graph<'a>(graph: &'a GraphProto, tensors: &mut Vec<&'a TensorProto>) {
    tensors.extend(&graph.initializer);
    tensors.extend(
        graph
            .sparse_initializer
            .iter()
            .flat_map(|sparse| sparse.values.iter().chain(&sparse.indices)),
    );
    for node in &graph.node {
        for attribute in &node.attribute {
            collect_attribute(attribute, tensors);
        }
    }
}

fn collect_attribute<'a>(attribute: &'a AttributeProto, tensors: &mut Vec<&'a TensorProto>) {
    tensors.extend(&attribute.t);
    tensors.extend(&attribute.tensors);
    let sparse = attribute
        .sparse_tensor
        .iter()
        .chain(&attribute.sparse_tensors);
    tensors.extend(sparse.flat_map(|s| s.values.iter().chain(&s.indices)));
    for graph in attribute.g.iter().chain(&attribute.graphs) {
        collect_graph(graph, tensors);
    }
}

/// Returns the bytes `tensor` declares, after checking that its shape is
/// valid and that its data contains at least that much.
fn check_tensor(tensor: &TensorProto, model_path: Option<&Path>) -> Result<u64, ModelErrorKind> {
    let fail = |cause: String| ModelErrorKind::BadWeights {
        tensor: tensor.name.clone(),
        cause,
    };
    let declared = declared_bytes(tensor).map_err(fail)?;
    let present = if tensor.data_location == Some(EXTERNAL) {
        external_bytes(tensor, model_path)?
    } else {
        stored_bytes(tensor)
    };
    // Strings have no fixed size, so only their count could be checked.
    if declared > present && tensor.data_type != STRING {
        return Err(fail(format!(
            "the shape {:?} declares {declared} bytes, but the model contains {present} bytes \
             for it; the file is damaged or was cut short, so download or export it again",
            tensor.dims
        )));
    }
    Ok(declared)
}

const STRING: i32 = 8;

/// Bits per element of an ONNX data type; 0 for strings and unknown codes.
fn element_bits(data_type: i32) -> u64 {
    match data_type {
        2 | 3 | 9 | 17..=20 | 23 => 8, // uint8, int8, bool, float8 variants, float4 pairs
        4 | 5 | 10 | 16 => 16,         // uint16, int16, float16, bfloat16
        1 | 6 | 12 => 32,              // float, int32, uint32
        7 | 11 | 13 | 14 => 64,        // int64, double, uint64, complex64
        15 => 128,                     // complex128
        21 | 22 => 4,                  // uint4, int4
        _ => 0,
    }
}

/// Computes the bytes the shape declares, rejecting negative dimensions
/// and sizes that overflow.
fn declared_bytes(tensor: &TensorProto) -> Result<u64, String> {
    let mut elements: u64 = 1;
    for &dim in &tensor.dims {
        let dim = u64::try_from(dim)
            .map_err(|_| format!("the shape {:?} has a negative dimension", tensor.dims))?;
        elements = elements.checked_mul(dim).ok_or_else(|| {
            format!(
                "the shape {:?} overflows 64 bits; the file is damaged",
                tensor.dims
            )
        })?;
    }
    let bits = elements.checked_mul(element_bits(tensor.data_type));
    bits.map(|bits| bits.div_ceil(8)).ok_or_else(|| {
        format!(
            "the shape {:?} declares more bytes than 64 bits can count",
            tensor.dims
        )
    })
}

/// Upper bound on the bytes stored in the tensor itself. Typed fields
/// are counted at 8 bytes a value, the most one value can stand for
/// (complex128 takes two doubles), so a valid tensor never falls short.
fn stored_bytes(tensor: &TensorProto) -> u64 {
    let typed_values = tensor.float_data.len()
        + tensor.int32_data.len()
        + tensor.int64_data.len()
        + tensor.uint64_data.len()
        + tensor.double_data.len();
    let typed = (typed_values as u64).saturating_mul(8);
    (tensor.raw_data.len() as u64).saturating_add(typed)
}

/// Checks an external data reference and returns the bytes it provides:
/// its `length`, else the rest of the file after `offset`.
fn external_bytes(tensor: &TensorProto, model_path: Option<&Path>) -> Result<u64, ModelErrorKind> {
    let entry = |key: &str| {
        tensor
            .external_data
            .iter()
            .find(|entry| entry.key == key)
            .map(|entry| entry.value.as_str())
    };
    let location = entry("location").unwrap_or_default().to_string();
    let fail = |cause: String| ModelErrorKind::ExternalData {
        location: location.clone(),
        cause,
    };
    let file = external_file(&location, model_path).map_err(|cause| fail(cause.to_string()))?;
    let number = |key: &str| -> Result<Option<u64>, ModelErrorKind> {
        entry(key)
            .map(|text| {
                text.trim()
                    .parse::<u64>()
                    .map_err(|_| fail(format!("its {key} {text:?} is not a whole number")))
            })
            .transpose()
    };
    let offset = number("offset")?.unwrap_or(0);
    let length = number("length")?;
    let size = std::fs::metadata(&file)
        .map_err(|error| fail(format!("cannot be read ({error})")))?
        .len();
    let available = size.checked_sub(offset).ok_or_else(|| {
        fail(format!(
            "its offset {offset} lies past the end of the {size}-byte file; the weights file \
             does not belong to this model or was cut short"
        ))
    })?;
    match length {
        Some(length) if length > available => Err(fail(format!(
            "it claims {length} bytes at offset {offset}, but the file contains {size} bytes; \
             the weights file does not belong to this model or was cut short"
        ))),
        Some(length) => Ok(length),
        None if available > MAX_WEIGHT_BYTES => Err(fail(format!(
            "it is {size} bytes, more than the {MAX_WEIGHT_BYTES}-byte limit for weights"
        ))),
        None => Ok(available),
    }
}

/// Resolves an external data location, which must be a relative path to a
/// regular file in the model's folder or below it, so a model cannot make
/// Petal read files elsewhere.
fn external_file(
    location: &str,
    model_path: Option<&Path>,
) -> Result<std::path::PathBuf, &'static str> {
    let relative = Path::new(location);
    let inside = relative
        .components()
        .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    if location.is_empty() || !inside {
        return Err("lies outside the model's folder; keep weights files beside the model");
    }
    let dir = model_path
        .and_then(Path::parent)
        .ok_or("needs the model's folder; load the model from its file path")?;
    let file = dir.join(relative);
    if !file.is_file() {
        return Err("not found beside the model; copy it into the model's folder");
    }
    // A symbolic link beside the model may still point elsewhere.
    let resolved = file.canonicalize().ok();
    let dir = dir.canonicalize().ok();
    match (resolved, dir) {
        (Some(resolved), Some(dir)) if resolved.starts_with(&dir) => Ok(resolved),
        _ => Err("links to a file outside the model's folder; copy the weights beside the model"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tensor(dims: &[i64], data_type: i32, raw: usize) -> TensorProto {
        TensorProto {
            name: "w".to_string(),
            dims: dims.to_vec(),
            data_type,
            raw_data: vec![0; raw],
            ..Default::default()
        }
    }

    #[test]
    fn matching_data_passes() {
        assert_eq!(check_tensor(&tensor(&[3, 4], 1, 48), None).ok(), Some(48));
        assert_eq!(check_tensor(&tensor(&[], 7, 8), None).ok(), Some(8));
        assert_eq!(check_tensor(&tensor(&[0, 5], 1, 0), None).ok(), Some(0));
    }

    #[test]
    fn claims_beyond_the_data_fail() {
        let huge = check_tensor(&tensor(&[1 << 20, 1 << 20], 1, 48), None);
        assert!(matches!(huge, Err(ModelErrorKind::BadWeights { .. })));
        let negative = check_tensor(&tensor(&[-3, 4], 1, 48), None);
        assert!(matches!(negative, Err(ModelErrorKind::BadWeights { .. })));
        let overflow = check_tensor(&tensor(&[1 << 40, 1 << 40], 1, 48), None);
        assert!(matches!(overflow, Err(ModelErrorKind::BadWeights { .. })));
    }

    #[test]
    fn external_locations_stay_in_the_folder() {
        for location in ["../w.bin", "/etc/passwd", "", "a/../../b"] {
            let result = external_file(location, Some(Path::new("/tmp/model.onnx")));
            assert!(result.is_err(), "{location:?} was accepted");
        }
    }
}
