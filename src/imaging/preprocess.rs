//! The resize, crop and normalisation that turn a photo into model input.
//!
//! The default policy matches the training tool's evaluation transform. The
//! shorter side is resized to a target with a bilinear (triangle) filter
//! that antialiases when shrinking, and the longer side is rounded to keep
//! the aspect ratio. Then the centre is cropped.

use fast_image_resize::{FilterType, ResizeAlg, ResizeOptions, Resizer};
use image::RgbImage;
use serde::Serialize;

/// Resize step that brings a photo to the model's input size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Resize {
    /// Scale so the shorter side has this length, keeping the aspect ratio.
    ShorterSide { length: u32 },
    /// Stretch to exactly this size.
    Exact { width: u32, height: u32 },
}

/// Memory order of the input tensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Layout {
    /// Batch, channels, height, width (PyTorch, most ONNX exports).
    #[serde(rename = "NCHW")]
    Nchw,
    /// Batch, height, width, channels (TensorFlow and Keras exports).
    #[serde(rename = "NHWC")]
    Nhwc,
}

impl Layout {
    pub fn name(self) -> &'static str {
        match self {
            Layout::Nchw => "NCHW",
            Layout::Nhwc => "NHWC",
        }
    }
}

/// Everything needed to build a model's input tensor from RGB pixels.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Preprocessing {
    pub resize: Resize,
    /// Width and height of the centre crop taken after resizing.
    pub crop: Option<(u32, u32)>,
    /// Per-channel mean subtracted after scaling pixels to [0, 1].
    pub mean: [f32; 3],
    /// Per-channel divisor applied after the mean.
    pub std: [f32; 3],
    pub layout: Layout,
}

impl Preprocessing {
    /// Width and height of the tensor this produces.
    pub fn output_size(&self) -> (u32, u32) {
        match (self.crop, self.resize) {
            (Some(size), _) => size,
            (None, Resize::Exact { width, height }) => (width, height),
            (None, Resize::ShorterSide { length }) => (length, length),
        }
    }
}

/// How many times the resized shorter side a photo decoded at reduced scale
/// keeps, so the bilinear resize still averages several source pixels per
/// output pixel.
const REDUCED_DECODE_MARGIN: u32 = 2;

impl Preprocessing {
    /// Shorter side below which a photo must not be shrunk before
    /// [`resize_and_crop`]: twice the longest side the resize produces or the
    /// crop takes, whatever the photo's orientation.
    pub fn min_source_side(&self) -> u32 {
        let (crop_width, crop_height) = self.output_size();
        let resized = match self.resize {
            Resize::ShorterSide { length } => length,
            Resize::Exact { width, height } => width.max(height),
        };
        resized.max(crop_width).max(crop_height) * REDUCED_DECODE_MARGIN
    }
}

/// Resizes and crops `image` as `prep` specifies; returns output_size() pixels.
///
/// The crop is applied to the source as a fractional box, so the full
/// resized photo is never built. With the filter support clipped to the
/// photo's edges rather than the box, this gives the same pixels as a
/// resize followed by a crop, without its memory for very long photos.
pub fn resize_and_crop(image: &RgbImage, prep: &Preprocessing) -> RgbImage {
    let (width, height) = image.dimensions();
    let (out_width, out_height) = prep.output_size();
    let (resized_width, resized_height) = resized_size((width, height), prep);
    let scale_x = f64::from(width) / f64::from(resized_width);
    let scale_y = f64::from(height) / f64::from(resized_height);
    // Crop offsets round down, as PIL and torchvision do.
    let left = f64::from((resized_width - out_width) / 2) * scale_x;
    let top = f64::from((resized_height - out_height) / 2) * scale_y;
    let crop_width = f64::from(out_width) * scale_x;
    let crop_height = f64::from(out_height) * scale_y;

    let mut output = RgbImage::new(out_width, out_height);
    let options = ResizeOptions::new()
        .resize_alg(ResizeAlg::Convolution(FilterType::Bilinear))
        .crop(left, top, crop_width, crop_height);
    Resizer::new()
        .resize(image, &mut output, &options)
        .expect("source and destination are both non-empty RGB8 buffers");
    output
}

/// Size after the resize step, before the crop.
fn resized_size((width, height): (u32, u32), prep: &Preprocessing) -> (u32, u32) {
    let (out_width, out_height) = prep.output_size();
    match prep.resize {
        Resize::Exact { width, height } => (width, height),
        Resize::ShorterSide { length } => {
            let shorter = width.min(height).max(1);
            let scale = f64::from(length) / f64::from(shorter);
            let scaled = |side: u32| ((f64::from(side) * scale).round() as u32).max(1);
            let (w, h) = if width <= height {
                (length, scaled(height))
            } else {
                (scaled(width), length)
            };
            // A crop larger than the resized photo cannot be taken; grow to fit.
            (w.max(out_width), h.max(out_height))
        }
    }
}

/// Builds the normalised input tensor (batch of one) in the model's layout.
pub fn prepare_input(image: &RgbImage, prep: &Preprocessing) -> Vec<f32> {
    let pixels = resize_and_crop(image, prep);
    let (width, height) = pixels.dimensions();
    let plane = (width * height) as usize;
    let mut tensor = vec![0.0f32; plane * 3];
    let scale: [f32; 3] = std::array::from_fn(|c| 1.0 / (255.0 * prep.std[c]));
    let offset: [f32; 3] = std::array::from_fn(|c| prep.mean[c] / prep.std[c]);
    for (i, pixel) in pixels.pixels().enumerate() {
        for c in 0..3 {
            let value = f32::from(pixel[c]) * scale[c] - offset[c];
            match prep.layout {
                Layout::Nchw => tensor[c * plane + i] = value,
                Layout::Nhwc => tensor[i * 3 + c] = value,
            }
        }
    }
    tensor
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prep(resize: Resize, crop: Option<(u32, u32)>) -> Preprocessing {
        Preprocessing {
            resize,
            crop,
            mean: [0.5; 3],
            std: [0.5; 3],
            layout: Layout::Nchw,
        }
    }

    #[test]
    fn shorter_side_keeps_aspect_ratio() {
        let p = prep(Resize::ShorterSide { length: 256 }, Some((224, 224)));
        assert_eq!(resized_size((500, 700), &p), (256, 358));
        assert_eq!(resized_size((700, 500), &p), (358, 256));
    }

    #[test]
    fn thin_photo_still_fills_the_crop() {
        let p = prep(Resize::ShorterSide { length: 256 }, Some((224, 224)));
        assert_eq!(resized_size((4000, 10), &p), (102400, 256));
        let out = resize_and_crop(&RgbImage::new(40, 1), &p);
        assert_eq!(out.dimensions(), (224, 224));
    }

    #[test]
    fn normalisation_maps_to_minus_one_one() {
        let white = RgbImage::from_pixel(8, 8, image::Rgb([255, 255, 255]));
        let p = prep(
            Resize::Exact {
                width: 4,
                height: 4,
            },
            None,
        );
        let tensor = prepare_input(&white, &p);
        assert_eq!(tensor.len(), 48);
        assert!(tensor.iter().all(|v| (v - 1.0).abs() < 1e-6));
    }

    #[test]
    fn nhwc_interleaves_channels() {
        let red = RgbImage::from_pixel(2, 2, image::Rgb([255, 0, 0]));
        let mut p = prep(
            Resize::Exact {
                width: 2,
                height: 2,
            },
            None,
        );
        p.layout = Layout::Nhwc;
        let tensor = prepare_input(&red, &p);
        assert_eq!(&tensor[0..3], &[1.0, -1.0, -1.0]);
        p.layout = Layout::Nchw;
        let tensor = prepare_input(&red, &p);
        assert_eq!(&tensor[0..4], &[1.0; 4]);
        assert_eq!(&tensor[4..8], &[-1.0; 4]);
    }
}
