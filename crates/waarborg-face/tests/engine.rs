//! The engine on the real models: concurrency, configuration and edge inputs.

mod common;

use image::RgbImage;
use waarborg_face::decode::decode_file;
use waarborg_face::{
    similarity, DecodeLimits, DetectorConfig, EngineConfig, EnginePaths, FaceEngine,
};

fn sample(name: &str) -> RgbImage {
    decode_file(
        &common::models().samples.join(name),
        &DecodeLimits::default(),
    )
    .unwrap()
}

#[test]
fn concurrent_callers_get_the_same_results_as_one_caller() {
    let engine = common::engine();
    let images = [
        sample("players.jpg"),
        sample("gdp.jpg"),
        sample("yaoming.jpg"),
    ];
    let alone: Vec<_> = images
        .iter()
        .map(|i| engine.analyze(i, true).unwrap())
        .collect();
    let together: Vec<Vec<_>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..6)
            .map(|k| {
                let img = &images[k % 3];
                s.spawn(move || engine.analyze(img, true).unwrap())
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (k, faces) in together.iter().enumerate() {
        let expect = &alone[k % 3];
        assert_eq!(faces.len(), expect.len());
        for (a, b) in faces.iter().zip(expect) {
            assert_eq!(a.bbox, b.bbox);
            let cos = similarity(a.embedding.as_ref().unwrap(), b.embedding.as_ref().unwrap());
            assert!(cos > 0.9999, "{cos}");
        }
    }
}

#[test]
fn templates_are_unit_length_and_tell_people_apart() {
    let engine = common::engine();
    let yao = engine.analyze(&sample("yaoming.jpg"), true).unwrap();
    let gdp = engine.analyze(&sample("gdp.jpg"), true).unwrap();
    let t = yao[0].embedding.as_ref().unwrap();
    assert_eq!(t.len(), waarborg_face::TEMPLATE_DIM);
    assert!((similarity(t, t) - 1.0).abs() < 1e-5);
    for f in &gdp {
        assert!(
            similarity(t, f.embedding.as_ref().unwrap()) < 0.3,
            "different people score low"
        );
    }
}

#[test]
fn tiny_and_faceless_images_give_no_faces() {
    let engine = common::engine();
    assert!(engine
        .analyze(&RgbImage::new(1, 1), true)
        .unwrap()
        .is_empty());
    assert!(engine
        .analyze(&RgbImage::new(3, 4000), true)
        .unwrap()
        .is_empty());
    let noise = RgbImage::from_fn(640, 480, |x, y| {
        image::Rgb([((x * 13) ^ (y * 7)) as u8, (x + y) as u8, 90])
    });
    assert!(engine.analyze(&noise, true).unwrap().is_empty());
}

#[test]
fn fingerprint_reports_the_pinned_model_hashes() {
    let fp = common::engine().fingerprint();
    let pins = waarborg_models::PINNED_MODELS;
    assert_eq!(fp.detector_sha256, pins[0].sha256);
    assert_eq!(fp.recognizer_sha256, pins[1].sha256);
}

#[test]
fn bad_configuration_and_paths_are_clear_errors() {
    let m = common::models();
    let paths = EnginePaths {
        runtime_library: m.runtime_library.clone(),
        detector: m.detector.clone(),
        recognizer: m.recognizer.clone(),
        detector_input: waarborg_face::Normalisation::SCRFD,
        recognizer_input: waarborg_face::Normalisation::ARCFACE,
    };
    let odd = EngineConfig {
        detector: DetectorConfig {
            input_size: 600,
            ..DetectorConfig::default()
        },
        ..EngineConfig::default()
    };
    let err = FaceEngine::load(&paths, odd).err().unwrap().to_string();
    assert!(err.contains("multiple of 32"), "{err}");

    let swapped = EnginePaths {
        detector: m.recognizer.clone(),
        recognizer: m.detector.clone(),
        ..paths.clone()
    };
    let err = FaceEngine::load(&swapped, EngineConfig::default())
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("outputs"), "{err}");

    let unnormalisable = EnginePaths {
        recognizer_input: waarborg_face::Normalisation {
            mean: 127.5,
            std: 0.0,
        },
        ..paths.clone()
    };
    let err = FaceEngine::load(&unnormalisable, EngineConfig::default())
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("recogniser") && err.contains("positive std"),
        "{err}"
    );

    let missing = EnginePaths {
        detector: m.detector.with_file_name("nope.onnx"),
        ..paths
    };
    let err = FaceEngine::load(&missing, EngineConfig::default())
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.contains("nope.onnx") && err.contains("waarborg models install"),
        "{err}"
    );
}
