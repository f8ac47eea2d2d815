//! Resolves a [`ModelSpec`] from the graph, its metadata and sidecar files.
//!
//! Each part comes from the first source that states it: the graph's
//! declared shapes (never overridden), then metadata properties, then
//! sidecar files, then a default that adds a warning.

use std::collections::BTreeMap;

use std::path::Path;

use tract_onnx::pb::ModelProto;
use tract_onnx::prelude::Framework;

use super::error::chain;
use super::graph::{self, Dim, GraphFacts, TensorDecl};
use super::metadata::parse_metadata;
use super::sidecar::Sidecar;
use super::spec::{Label, ModelSpec, OutputKind, PartialSpec, Provenance, ResizeRule};
use super::ModelErrorKind;
use crate::imaging::{Layout, Preprocessing, Resize};

/// Largest input height or width accepted; an image classifier's input is
/// a few hundred pixels, and the tensor for 4096x4096 is already 200 MB.
const MAX_INPUT_SIDE: u32 = 4096;

/// Side of the square input assumed when nothing states the size.
const DEFAULT_INPUT_SIDE: u32 = 224;
/// Share of the resized photo kept by the centre crop, as in ImageNet
/// evaluation (224 of 256).
const DEFAULT_CROP_FRACTION: f64 = 0.875;

const EXPECTED_INPUT: &str =
    "one float32 input of shape [batch, 3, height, width] or [batch, height, width, 3]";

/// A description source and what it stated.
struct Source {
    provenance: Provenance,
    spec: PartialSpec,
}

/// The resolved description and which graph output to read.
pub struct Description {
    pub spec: ModelSpec,
    /// Index into the graph's outputs.
    pub output_index: usize,
    /// Whether the output kind still has to be inferred from values.
    pub output_kind_known: bool,
}

/// Parses an ONNX file and resolves its description without the engine's
/// analysis: the protobuf, the declared sizes of its weights (see
/// [`super::weights`]), its interface, metadata and `sidecars`. `path`
/// locates external weights files.
pub fn describe_onnx(
    onnx: &tract_onnx::Onnx,
    bytes: &[u8],
    path: Option<&Path>,
    sidecars: Vec<Sidecar>,
) -> Result<(ModelProto, Description), ModelErrorKind> {
    let proto = onnx
        .proto_model_for_read(&mut &bytes[..])
        .map_err(|e| ModelErrorKind::NotOnnx { cause: chain(&e) })?;
    let facts = graph::inspect(&proto).ok_or_else(|| ModelErrorKind::NotOnnx {
        cause: "the file holds no graph".to_string(),
    })?;
    super::weights::check_weights(&proto, path)?;
    let description = describe(&facts, parse_metadata(&facts.metadata), sidecars)?;
    Ok((proto, description))
}

/// Resolves the description, or explains why this is not an image classifier.
pub fn describe(
    facts: &GraphFacts,
    metadata: PartialSpec,
    sidecars: Vec<Sidecar>,
) -> Result<Description, ModelErrorKind> {
    let input = single_image_input(facts)?;
    let mut sources = vec![Source {
        provenance: Provenance::Metadata,
        spec: metadata,
    }];
    sources.extend(sidecars.into_iter().map(|s| Source {
        provenance: Provenance::Sidecar(s.file_name),
        spec: s.spec,
    }));

    let mut warnings: Vec<String> = sources
        .iter()
        .flat_map(|s| s.spec.warnings.iter().cloned())
        .collect();
    let mut provenance = BTreeMap::new();
    let dims = input
        .shape
        .clone()
        .unwrap_or_else(|| vec![Dim::Symbolic(String::new()); 4]);

    let layout = resolve_layout(input, &dims, &sources, &mut provenance, &mut warnings)?;
    let size = resolve_size(&dims, layout, &sources, &mut provenance, &mut warnings);
    if size.0 > MAX_INPUT_SIDE || size.1 > MAX_INPUT_SIDE {
        let (height, width) = size;
        return Err(ModelErrorKind::InputTooLarge {
            height,
            width,
            max: MAX_INPUT_SIDE,
        });
    }
    let preprocessing =
        resolve_preprocessing(size, layout, &sources, &mut provenance, &mut warnings);
    let labels = first(&sources, |s| s.labels.clone()).map(|(labels, from)| {
        provenance.insert("labels", from);
        labels
    });
    let (output_index, output_kind) =
        resolve_output(facts, &labels, &sources, &mut provenance, &mut warnings);

    let spec = ModelSpec {
        name: first(&sources, |s| s.name.clone()).map(|(v, _)| v),
        version: first(&sources, |s| s.version.clone()).map(|(v, _)| v),
        labels: labels.unwrap_or_default(),
        preprocessing,
        input_name: input.name.clone(),
        output_name: facts.outputs[output_index].name.clone(),
        output_kind: output_kind.unwrap_or(OutputKind::Logits),
        dataset_fingerprint: first(&sources, |s| s.dataset_fingerprint.clone()).map(|(v, _)| v),
        provenance,
        warnings,
    };
    Ok(Description {
        spec,
        output_index,
        output_kind_known: output_kind.is_some(),
    })
}

/// Finds the first source that states a part, with its provenance.
fn first<T>(
    sources: &[Source],
    get: impl Fn(&PartialSpec) -> Option<T>,
) -> Option<(T, Provenance)> {
    sources
        .iter()
        .find_map(|s| get(&s.spec).map(|v| (v, s.provenance.clone())))
}

fn not_image(found: String) -> ModelErrorKind {
    ModelErrorKind::NotImageClassifier {
        found,
        expected: EXPECTED_INPUT.to_string(),
    }
}

fn single_image_input(facts: &GraphFacts) -> Result<&TensorDecl, ModelErrorKind> {
    if facts.outputs.is_empty() {
        return Err(not_image("a graph with no outputs".to_string()));
    }
    let input = match facts.inputs.as_slice() {
        [] => return Err(not_image("a graph with no inputs".to_string())),
        [input] => input,
        several => {
            let listed: Vec<String> = several.iter().map(|i| i.to_string()).collect();
            return Err(not_image(format!(
                "{} inputs: {}",
                several.len(),
                listed.join("; ")
            )));
        }
    };
    let rank_ok = input.shape.as_ref().is_none_or(|dims| dims.len() == 4);
    if !input.is_float() || !rank_ok {
        return Err(not_image(format!("input {input}")));
    }
    Ok(input)
}

fn resolve_layout(
    input: &TensorDecl,
    dims: &[Dim],
    sources: &[Source],
    provenance: &mut BTreeMap<&'static str, Provenance>,
    warnings: &mut Vec<String>,
) -> Result<Layout, ModelErrorKind> {
    let channels_first = dims[1].value();
    let channels_last = dims[3].value();
    let declared = match (channels_first == Some(3), channels_last == Some(3)) {
        (true, false) => Some(Layout::Nchw),
        (false, true) => Some(Layout::Nhwc),
        _ => None,
    };
    if let Some(layout) = declared {
        provenance.insert("layout", Provenance::Graph);
        return Ok(layout);
    }
    let both_static = channels_first.is_some() && channels_last.is_some();
    let neither_is_three = channels_first != Some(3) && channels_last != Some(3);
    if both_static && neither_is_three {
        return Err(not_image(format!(
            "input {input}, which has no axis of 3 colour channels"
        )));
    }
    if let Some((layout, from)) = first(sources, |s| s.layout) {
        provenance.insert("layout", from);
        return Ok(layout);
    }
    provenance.insert("layout", Provenance::Default);
    warnings.push(format!(
        "the input {input} does not show where the colour channels are; assuming NCHW"
    ));
    Ok(Layout::Nchw)
}

/// Height and width: declared static dimensions win over any description.
fn resolve_size(
    dims: &[Dim],
    layout: Layout,
    sources: &[Source],
    provenance: &mut BTreeMap<&'static str, Provenance>,
    warnings: &mut Vec<String>,
) -> (u32, u32) {
    let (h, w) = match layout {
        Layout::Nchw => (&dims[2], &dims[3]),
        Layout::Nhwc => (&dims[1], &dims[2]),
    };
    let declared = |d: &Dim| d.value().and_then(|v| u32::try_from(v).ok());
    let described = first(sources, |s| s.input_size);
    if let (Some(height), Some(width)) = (declared(h), declared(w)) {
        if let Some(((dh, dw), from)) = described {
            if (dh, dw) != (height, width) {
                warnings.push(format!(
                    "{from} gives input size {dh}x{dw} but the graph declares {height}x{width}; \
                     using {height}x{width}"
                ));
            }
        }
        provenance.insert("input size", Provenance::Graph);
        return (height, width);
    }
    if let Some((size, from)) = described {
        provenance.insert("input size", from);
        return size;
    }
    provenance.insert("input size", Provenance::Default);
    warnings.push(format!(
        "the input size is not fixed by the graph or stated anywhere; assuming \
         {DEFAULT_INPUT_SIDE}x{DEFAULT_INPUT_SIDE}"
    ));
    (DEFAULT_INPUT_SIDE, DEFAULT_INPUT_SIDE)
}

fn resolve_preprocessing(
    (height, width): (u32, u32),
    layout: Layout,
    sources: &[Source],
    provenance: &mut BTreeMap<&'static str, Provenance>,
    warnings: &mut Vec<String>,
) -> Preprocessing {
    let stated = sources.iter().find(|s| s.spec.has_preprocessing());
    let spec = stated.map(|s| s.spec.clone()).unwrap_or_default();
    match stated {
        Some(source) => provenance.insert("preprocessing", source.provenance.clone()),
        None => {
            warnings.push(
                "no preprocessing is stated in the model's metadata or beside it; assuming \
                 pixels scaled to [0, 1] without mean/std normalisation, and a centre crop; \
                 results may be less accurate"
                    .to_string(),
            );
            provenance.insert("preprocessing", Provenance::Default)
        }
    };
    let default_shorter = (f64::from(height.min(width)) / DEFAULT_CROP_FRACTION).round() as u32;
    let (resize, crop) = match spec.resize {
        Some(ResizeRule::Exact) => (Resize::Exact { width, height }, None),
        Some(ResizeRule::ShorterSide(length)) if spec.center_crop != Some(false) => {
            (Resize::ShorterSide { length }, Some((width, height)))
        }
        // Resizing the shorter side without a crop leaves no fixed size.
        Some(ResizeRule::ShorterSide(_)) => (Resize::Exact { width, height }, None),
        None if spec.center_crop == Some(false) => (Resize::Exact { width, height }, None),
        None => (
            Resize::ShorterSide {
                length: default_shorter,
            },
            Some((width, height)),
        ),
    };
    Preprocessing {
        resize,
        crop,
        mean: spec.mean.unwrap_or([0.0; 3]),
        std: spec.std.unwrap_or([1.0; 3]),
        layout,
    }
}

/// Chooses the output to read and, where stated, what its scores are.
fn resolve_output(
    facts: &GraphFacts,
    labels: &Option<Vec<Label>>,
    sources: &[Source],
    provenance: &mut BTreeMap<&'static str, Provenance>,
    warnings: &mut Vec<String>,
) -> (usize, Option<OutputKind>) {
    let named = first(sources, |s| s.output_name.clone()).and_then(|(name, from)| {
        let found = facts.outputs.iter().position(|o| o.name == name);
        if found.is_none() {
            let names: Vec<&str> = facts.outputs.iter().map(|o| o.name.as_str()).collect();
            warnings.push(format!(
                "{from} names output {name:?}, but the graph's outputs are {names:?}; \
                 choosing one by its length"
            ));
        }
        found
    });
    let by_length = labels.as_ref().and_then(|labels| {
        facts.outputs.iter().position(|o| {
            o.shape.as_ref().and_then(|d| d.last()).and_then(Dim::value)
                == Some(labels.len() as i64)
        })
    });
    let index = named.or(by_length).unwrap_or(0);
    let output = &facts.outputs[index];

    if let Some((kind, from)) = first(sources, |s| s.output_kind) {
        provenance.insert("output kind", from);
        return (index, Some(kind));
    }
    let from_graph = match output.producer.as_deref() {
        Some("Softmax") => Some(OutputKind::Probabilities),
        Some("LogSoftmax") => Some(OutputKind::LogProbabilities),
        _ => None,
    };
    if from_graph.is_some() {
        provenance.insert("output kind", Provenance::Graph);
    }
    (index, from_graph)
}
