//! Tiny ONNX classifiers written with tract's protobuf types, so the tests
//! need no Python and no model files beyond the bundled one.
//!
//! The graph averages each colour channel over the photo and multiplies the
//! three means by a 3xC matrix, so the scores for a solid colour are known.

use prost::Message;
use tract_onnx::pb::tensor_shape_proto::{dimension, Dimension};
use tract_onnx::pb::type_proto::{self, Tensor};
use tract_onnx::pb::{
    AttributeProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, StringStringEntryProto,
    TensorProto, TensorShapeProto, TypeProto, ValueInfoProto,
};

/// A declared dimension: a number, or a symbol name.
#[derive(Clone)]
pub enum D {
    N(i64),
    S(&'static str),
}

pub fn value_info(name: &str, elem_type: i32, dims: &[D]) -> ValueInfoProto {
    let dim = dims
        .iter()
        .map(|d| Dimension {
            denotation: String::new(),
            value: Some(match d {
                D::N(n) => dimension::Value::DimValue(*n),
                D::S(s) => dimension::Value::DimParam(s.to_string()),
            }),
        })
        .collect();
    ValueInfoProto {
        name: name.to_string(),
        r#type: Some(TypeProto {
            denotation: String::new(),
            value: Some(type_proto::Value::TensorType(Tensor {
                elem_type,
                shape: Some(TensorShapeProto { dim }),
            })),
        }),
        doc_string: String::new(),
    }
}

pub fn node(op: &str, inputs: &[&str], output: &str, attributes: Vec<AttributeProto>) -> NodeProto {
    NodeProto {
        input: inputs.iter().map(|s| s.to_string()).collect(),
        output: vec![output.to_string()],
        name: output.to_string(),
        op_type: op.to_string(),
        attribute: attributes,
        ..Default::default()
    }
}

pub fn int_attribute(name: &str, value: i64) -> AttributeProto {
    AttributeProto {
        name: name.to_string(),
        r#type: 2,
        i: value,
        ..Default::default()
    }
}

pub fn ints_attribute(name: &str, values: &[i64]) -> AttributeProto {
    AttributeProto {
        name: name.to_string(),
        r#type: 7,
        ints: values.to_vec(),
        ..Default::default()
    }
}

pub fn float_tensor(name: &str, dims: &[i64], values: &[f32]) -> TensorProto {
    TensorProto {
        name: name.to_string(),
        dims: dims.to_vec(),
        data_type: 1,
        float_data: values.to_vec(),
        ..Default::default()
    }
}

pub fn model(graph: GraphProto, metadata: &[(&str, &str)]) -> Vec<u8> {
    ModelProto {
        ir_version: 8,
        opset_import: vec![OperatorSetIdProto {
            domain: String::new(),
            version: 13,
        }],
        producer_name: "petal-tests".to_string(),
        graph: Some(graph),
        metadata_props: metadata
            .iter()
            .map(|(k, v)| StringStringEntryProto {
                key: k.to_string(),
                value: v.to_string(),
            })
            .collect(),
        ..Default::default()
    }
    .encode_to_vec()
}

/// Builder for the channel-mean classifier.
pub struct TinyClassifier {
    /// Declared input dimensions, NCHW or NHWC.
    pub input: Vec<D>,
    pub nhwc: bool,
    /// One row of three weights (R, G, B) per class.
    pub weights: Vec<[f32; 3]>,
    pub softmax: bool,
    pub metadata: Vec<(&'static str, &'static str)>,
}

impl TinyClassifier {
    /// Three classes scoring red, green and blue.
    pub fn rgb(input: Vec<D>) -> Self {
        Self {
            input,
            nhwc: false,
            weights: vec![[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
            softmax: false,
            metadata: Vec::new(),
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let weights = float_tensor("weights", &[3, self.weights.len() as i64], &self.matrix());
        self.to_bytes_with(weights)
    }

    /// The same model with its weights in a file at `location`, relative
    /// to the model; the file must contain [`Self::matrix`] as little-endian f32.
    pub fn to_bytes_with_external_weights(&self, location: &str) -> Vec<u8> {
        let entry = |k: &str, v: String| StringStringEntryProto {
            key: k.to_string(),
            value: v,
        };
        let weights = TensorProto {
            name: "weights".to_string(),
            dims: vec![3, self.weights.len() as i64],
            data_type: 1,
            data_location: Some(1),
            external_data: vec![
                entry("location", location.to_string()),
                entry("offset", "0".to_string()),
                entry("length", (self.weights.len() * 12).to_string()),
            ],
            ..Default::default()
        };
        self.to_bytes_with(weights)
    }

    /// Returns the 3xC MatMul operand, whose column c contains class c's weights.
    pub fn matrix(&self) -> Vec<f32> {
        let mut matrix = Vec::with_capacity(self.weights.len() * 3);
        for channel in 0..3 {
            matrix.extend(self.weights.iter().map(|row| row[channel]));
        }
        matrix
    }

    fn to_bytes_with(&self, weights: TensorProto) -> Vec<u8> {
        let classes = self.weights.len() as i64;
        let mut nodes = Vec::new();
        let mut current = "image".to_string();
        if self.nhwc {
            nodes.push(node(
                "Transpose",
                &["image"],
                "nchw",
                vec![ints_attribute("perm", &[0, 3, 1, 2])],
            ));
            current = "nchw".to_string();
        }
        nodes.push(node("GlobalAveragePool", &[&current], "pooled", vec![]));
        nodes.push(node(
            "Flatten",
            &["pooled"],
            "flat",
            vec![int_attribute("axis", 1)],
        ));
        let scores = if self.softmax { "logits" } else { "scores" };
        nodes.push(node("MatMul", &["flat", "weights"], scores, vec![]));
        if self.softmax {
            nodes.push(node(
                "Softmax",
                &["logits"],
                "scores",
                vec![int_attribute("axis", 1)],
            ));
        }
        let graph = GraphProto {
            node: nodes,
            name: "tiny".to_string(),
            initializer: vec![weights],
            input: vec![value_info("image", 1, &self.input)],
            output: vec![value_info("scores", 1, &[D::S("batch"), D::N(classes)])],
            ..Default::default()
        };
        model(graph, &self.metadata)
    }
}
