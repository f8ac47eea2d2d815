//! Large JPEGs decoded at a reduced DCT scale for the model: the scale keeps
//! enough pixels, small photos stay whole, and the answer does not change.

mod support;

use image::imageops::{resize, FilterType};
use image::{DynamicImage, ImageFormat, RgbImage};
use petal::imaging::{decode_photo, decode_photo_reduced, DecodeLimits, Photo};
use petal::model::ModelSource;
use support::photos::{encode, jpeg_with_orientation, quadrants};

/// The shorter side the bundled model asks for: twice its 256-pixel resize.
const MIN_SIDE: u32 = 512;

fn reduced(bytes: &[u8]) -> Photo {
    decode_photo_reduced(bytes, &DecodeLimits::default(), Some(MIN_SIDE))
        .expect("the JPEG decodes at reduced scale")
}

fn full(bytes: &[u8]) -> Photo {
    decode_photo(bytes, &DecodeLimits::default()).expect("the JPEG decodes")
}

/// Encodes `image` scaled by `factor` as a JPEG, as a phone would store it.
fn enlarged_jpeg(image: &RgbImage, factor: u32) -> Vec<u8> {
    let (width, height) = image.dimensions();
    let large = resize(image, width * factor, height * factor, FilterType::Triangle);
    encode(&DynamicImage::ImageRgb8(large), ImageFormat::Jpeg)
}

fn dataset_photo(class_id: u32) -> std::path::PathBuf {
    let folder = support::dataset_dir()
        .join("valid")
        .join(class_id.to_string());
    let mut photos: Vec<_> = std::fs::read_dir(&folder)
        .expect("class folder is readable")
        .map(|entry| entry.expect("folder entry is readable").path())
        .collect();
    photos.sort();
    photos.into_iter().next().expect("class folder has a photo")
}

#[test]
fn large_jpeg_keeps_min_side() {
    let bytes = enlarged_jpeg(&quadrants(), 32); // 2048x1024
    let photo = reduced(&bytes);
    let (width, height) = photo.image.dimensions();
    assert_eq!(photo.full_size, (2048, 1024));
    assert!(
        height >= MIN_SIDE,
        "shorter side {height} is below {MIN_SIDE}"
    );
    assert!(height < 1024, "the photo was not reduced: {width}x{height}");
    // libjpeg scales both sides by the same eighths: 4/8 here.
    assert_eq!((width, height), (1024, 512));
}

#[test]
fn small_photo_stays_whole() {
    let bytes = std::fs::read(dataset_photo(1)).expect("dataset photo is readable");
    let whole = full(&bytes);
    let photo = reduced(&bytes);
    assert!(whole.image.width().min(whole.image.height()) < 2 * MIN_SIDE);
    assert_eq!(photo.image.dimensions(), whole.image.dimensions());
    assert!(
        photo.image == whole.image,
        "pixels differ from the full decode"
    );
}

#[test]
fn rotated_large_jpeg_reports_upright_size() {
    let stored = resize(&quadrants(), 2048, 1024, FilterType::Nearest);
    // Orientation 6 displays the stored photo turned a quarter clockwise.
    let bytes = jpeg_with_orientation(&stored, 6);
    let photo = reduced(&bytes);
    assert_eq!(photo.full_size, (1024, 2048));
    assert_eq!(photo.image.dimensions(), (512, 1024));
}

#[test]
fn reduced_decode_keeps_top1() {
    let classifier = ModelSource::Bundled.load().expect("bundled model loads");
    for class_id in [1, 17, 33, 51, 77, 102] {
        let path = dataset_photo(class_id);
        let photo = image::open(&path)
            .expect("dataset photo decodes")
            .into_rgb8();
        let bytes = enlarged_jpeg(&photo, 4);
        let small = reduced(&bytes);
        let whole = full(&bytes);
        assert!(small.image.width() < whole.image.width());
        let best = |image: &RgbImage| classifier.classify(image, 1).expect("model runs")[0].index;
        assert_eq!(
            best(&small.image),
            best(&whole.image),
            "{}: top-1 changed with reduced decoding",
            path.display()
        );
    }
}
