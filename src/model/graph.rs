//! Facts read from an ONNX graph before tract analyses it: the declared
//! inputs and outputs, and which operator produces each output.

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use tract_onnx::pb::tensor_shape_proto::dimension;
use tract_onnx::pb::type_proto;
use tract_onnx::pb::{ModelProto, ValueInfoProto};

/// ONNX `TensorProto.DataType` code for 32-bit floats.
const ONNX_FLOAT: i32 = 1;

/// One declared dimension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dim {
    Static(i64),
    /// A named or unnamed dimension fixed only at run time.
    Symbolic(String),
}

impl Dim {
    pub fn value(&self) -> Option<i64> {
        match self {
            Dim::Static(v) => Some(*v),
            Dim::Symbolic(_) => None,
        }
    }
}

impl fmt::Display for Dim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Dim::Static(v) => write!(f, "{v}"),
            Dim::Symbolic(name) if name.is_empty() => f.write_str("?"),
            Dim::Symbolic(name) => f.write_str(name),
        }
    }
}

/// A graph input or output as declared.
#[derive(Debug, Clone)]
pub struct TensorDecl {
    pub name: String,
    /// ONNX element type code; 1 is float32.
    pub elem_type: i32,
    /// `None` when the graph declares no shape.
    pub shape: Option<Vec<Dim>>,
    /// The operator that computes this output, such as "Softmax".
    pub producer: Option<String>,
}

impl TensorDecl {
    pub fn is_float(&self) -> bool {
        self.elem_type == ONNX_FLOAT
    }
}

impl fmt::Display for TensorDecl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "'{}' of type {}",
            self.name,
            elem_type_name(self.elem_type)
        )?;
        match &self.shape {
            Some(dims) => {
                let dims: Vec<String> = dims.iter().map(Dim::to_string).collect();
                write!(f, " and shape [{}]", dims.join(", "))
            }
            None => f.write_str(" with no declared shape"),
        }
    }
}

fn elem_type_name(code: i32) -> &'static str {
    match code {
        1 => "float32",
        2 => "uint8",
        3 => "int8",
        6 => "int32",
        7 => "int64",
        8 => "string",
        9 => "bool",
        10 => "float16",
        11 => "float64",
        _ => "another element type",
    }
}

/// The graph's interface and metadata.
#[derive(Debug, Clone)]
pub struct GraphFacts {
    pub inputs: Vec<TensorDecl>,
    pub outputs: Vec<TensorDecl>,
    pub metadata: BTreeMap<String, String>,
}

/// Reads the interface of `proto`'s main graph.
pub fn inspect(proto: &ModelProto) -> Option<GraphFacts> {
    let graph = proto.graph.as_ref()?;
    // Older exporters list weights among the inputs; those are not fed.
    let weights: HashSet<&str> = graph.initializer.iter().map(|t| t.name.as_str()).collect();
    let producers: BTreeMap<&str, &str> = graph
        .node
        .iter()
        .flat_map(|node| {
            node.output
                .iter()
                .map(|out| (out.as_str(), node.op_type.as_str()))
        })
        .collect();

    let inputs = graph
        .input
        .iter()
        .filter(|input| !weights.contains(input.name.as_str()))
        .map(|input| declaration(input, None))
        .collect();
    let outputs = graph
        .output
        .iter()
        .map(|output| {
            let producer = producers.get(output.name.as_str()).map(|op| op.to_string());
            declaration(output, producer)
        })
        .collect();
    let metadata = proto
        .metadata_props
        .iter()
        .map(|p| (p.key.clone(), p.value.clone()))
        .collect();
    Some(GraphFacts {
        inputs,
        outputs,
        metadata,
    })
}

fn declaration(value: &ValueInfoProto, producer: Option<String>) -> TensorDecl {
    let tensor = value.r#type.as_ref().and_then(|t| {
        t.value
            .as_ref()
            .map(|type_proto::Value::TensorType(tensor)| tensor)
    });
    let shape = tensor.and_then(|t| t.shape.as_ref()).map(|shape| {
        shape
            .dim
            .iter()
            .map(|d| match &d.value {
                Some(dimension::Value::DimValue(v)) if *v > 0 => Dim::Static(*v),
                Some(dimension::Value::DimParam(name)) => Dim::Symbolic(name.clone()),
                _ => Dim::Symbolic(String::new()),
            })
            .collect()
    });
    TensorDecl {
        name: value.name.clone(),
        elem_type: tensor.map_or(0, |t| t.elem_type),
        shape,
        producer,
    }
}
