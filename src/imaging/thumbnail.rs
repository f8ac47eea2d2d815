//! Smaller copies of a photo for display: thumbnails and previews.

use fast_image_resize::{FilterType, ResizeAlg, ResizeOptions, Resizer};
use image::RgbImage;

/// Scales `image` down so neither side exceeds `max_side`, keeping its
/// aspect ratio. A photo already small enough is copied unchanged.
pub fn shrink(image: &RgbImage, max_side: u32) -> RgbImage {
    let (width, height) = image.dimensions();
    let (out_width, out_height) = fitted_size((width, height), max_side);
    if (out_width, out_height) == (width, height) {
        return image.clone();
    }
    let mut output = RgbImage::new(out_width, out_height);
    // Lanczos keeps fine petals and edges sharp when shrinking a lot.
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
    Resizer::new()
        .resize(image, &mut output, &options)
        .expect("source and destination are both non-empty RGB8 buffers");
    output
}

/// Converts RGB pixels to RGBA with full opacity, the layout GPUs take.
pub fn to_rgba(image: &RgbImage) -> Vec<u8> {
    let mut rgba = Vec::with_capacity(image.as_raw().len() / 3 * 4);
    for pixel in image.as_raw().chunks_exact(3) {
        rgba.extend_from_slice(pixel);
        rgba.push(u8::MAX);
    }
    rgba
}

/// The largest size within `max_side` with the same aspect ratio, each
/// side at least one pixel.
pub fn fitted_size((width, height): (u32, u32), max_side: u32) -> (u32, u32) {
    let longer = width.max(height);
    if longer <= max_side || longer == 0 {
        return (width.max(1), height.max(1));
    }
    let scale = f64::from(max_side) / f64::from(longer);
    let side = |length: u32| ((f64::from(length) * scale).round() as u32).clamp(1, max_side);
    (side(width), side(height))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fitted_size_keeps_the_aspect_ratio() {
        assert_eq!(fitted_size((4000, 3000), 160), (160, 120));
        assert_eq!(fitted_size((500, 700), 160), (114, 160));
        assert_eq!(fitted_size((100, 80), 160), (100, 80));
        assert_eq!(fitted_size((10_000, 1), 160), (160, 1));
    }

    #[test]
    fn shrink_scales_the_longer_side_to_the_limit() {
        let image = RgbImage::from_pixel(640, 480, image::Rgb([200, 40, 90]));
        let small = shrink(&image, 64);
        assert_eq!(small.dimensions(), (64, 48));
        assert_eq!(small.get_pixel(10, 10), &image::Rgb([200, 40, 90]));
        assert_eq!(to_rgba(&small).len(), 64 * 48 * 4);
    }
}
