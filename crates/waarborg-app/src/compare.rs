//! The comparison view (issue 18 item 5): the probe face and one candidate side by side at
//! the same scale — both straightened so that the eyes lie level and 100 pixels apart
//! ([`waarborg_face::align::align_for_comparison`]) — with their five key points, for the
//! examiner's and a verifier's own feature-by-feature comparison
//! ([`waarborg_govern::comparison`]).
//!
//! The probe face is aligned from the key points kept when it was detected (or marked by
//! hand); the reference image's face is found again by the detector (the largest face: a
//! custody photo shows one). Where there are no key points, the face is shown as it is, not
//! aligned, and the page says so. A verifier reading blind sees no rank and no score here
//! either ([`crate::search::candidates_for`]); the view's read is logged as a read of the
//! search's probe and of the reference image.

use std::sync::Arc;

use image::RgbImage;
use waarborg_face::decode::DecodeLimits;
use waarborg_govern::Actor;

use crate::search::{self, Candidate, JudgingStep, SearchRecord, Weighed};
use crate::{App, AppError, Result};

/// A face as the comparison view shows it.
#[derive(Debug, Clone)]
pub struct ComparedFace {
    /// The image (JPEG).
    pub jpeg: Vec<u8>,
    /// Its width and height in pixels.
    pub size: [u32; 2],
    /// The five key points in it, when aligned; `None`: shown as found, not aligned.
    pub landmarks: Option<[[f32; 2]; 5]>,
}

impl Weighed for ComparedFace {
    fn bytes(&self) -> usize {
        self.jpeg.len()
    }
}

/// What the comparison view of one candidate shows a reader.
#[derive(Debug, Clone)]
pub struct Comparison {
    /// The search.
    pub search: SearchRecord,
    /// The candidate, as the reader may see it (blind: no rank, no score).
    pub candidate: Candidate,
    /// The reference image's record (its person and provenance), where the database keeps
    /// one.
    pub record: Option<waarborg_store::ReferenceRecord>,
    /// The probe face.
    pub probe: Arc<ComparedFace>,
    /// The candidate's face.
    pub reference: Arc<ComparedFace>,
    /// The candidates before and after this one, in the reader's order.
    pub previous: Option<u64>,
    /// The next one.
    pub next: Option<u64>,
    /// The judgement the reader may record now, on this comparison.
    pub step: Option<JudgingStep>,
}

/// Candidate `reference` of search `id` beside the probe face, for `actor` (who may read
/// the search; a verifier one assigned to them): the read logged before anything is shown.
pub fn comparison(app: &App, actor: &Actor, id: &str, reference: &str) -> Result<Comparison> {
    use waarborg_store::ReferenceStore;
    let (s, _) = search::readable(app, actor, id)?;
    let reference = search::on_list(&s, reference)?;
    if s.erased(waarborg_govern::retention::SearchPart::Probe) || s.chosen.is_none() {
        return Err(AppError::not_found(
            "the probe face is no longer kept, or no face was searched with",
        ));
    }
    let shown = search::candidates_for(actor, &s);
    let at = shown
        .iter()
        .position(|c| c.reference == reference)
        .ok_or_else(|| AppError::not_found("not a candidate of this search"))?;
    search::consult_image(
        app,
        actor,
        &s,
        "comparison",
        crate::consult::reference_images([reference]),
    )?;
    let probe = probe_face(app, &s)?;
    let reference_face = reference_face(app, actor, &s, reference)?;
    let record = match s.proficiency {
        Some(_) => None,
        None => app.store.reference(reference)?,
    };
    Ok(Comparison {
        candidate: shown[at].clone(),
        record,
        probe,
        reference: reference_face,
        previous: at.checked_sub(1).map(|i| shown[i].reference),
        next: shown.get(at + 1).map(|c| c.reference),
        step: search::judging_step(actor, &s),
        search: s,
    })
}

/// The face searched with, aligned from its key points (kept a while).
fn probe_face(app: &App, s: &SearchRecord) -> Result<Arc<ComparedFace>> {
    let chosen = s.chosen.unwrap_or_default();
    let face = s
        .faces
        .get(chosen)
        .ok_or_else(|| AppError::not_found("the probe has no such face"))?;
    let key = (s.probe_sha256.clone(), chosen);
    if !app.probes.contains(&s.probe_sha256) {
        app.caches.forget_probe(&s.probe_sha256);
        return Err(AppError::not_found("the probe image is no longer kept"));
    }
    kept(app, key, || {
        let image = decoded(&search::probe_bytes(app, s)?)?;
        Ok(shown(&image, face.kps, face.bbox))
    })
}

/// Candidate `reference`'s face, found again by the detector and aligned (kept a while).
fn reference_face(
    app: &App,
    actor: &Actor,
    s: &SearchRecord,
    reference: u64,
) -> Result<Arc<ComparedFace>> {
    // A planted test's gallery image is a probe-vault file, named by its hash.
    let key = match &s.proficiency {
        Some(_) => (format!("gallery:{}:{reference}", s.id), 0),
        None => (format!("reference:{reference}"), 0),
    };
    // Read (and its read logged) every time: an image the database no longer holds is
    // never shown from memory.
    let bytes = search::candidate_bytes(app, actor, s, reference)?;
    kept(app, key, || {
        let image = decoded(&bytes)?;
        let engine = app
            .engine
            .as_ref()
            .ok_or_else(crate::gate::engine_missing)?;
        let found = engine
            .detect(&image)
            .map_err(|e| AppError::internal(format!("finding the reference face: {e}")))?;
        let largest = found
            .into_iter()
            .max_by(|a, b| area(a.bbox).total_cmp(&area(b.bbox)));
        Ok(match largest {
            Some(d) => shown(&image, Some(d.kps), d.bbox),
            None => shown(
                &image,
                None,
                [0.0, 0.0, image.width() as f32, image.height() as f32],
            ),
        })
    })
}

fn area(b: [f32; 4]) -> f32 {
    (b[2] - b[0]).max(0.0) * (b[3] - b[1]).max(0.0)
}

/// A kept face, or `make` it behind the decoding gate and keep it.
fn kept(
    app: &App,
    key: (String, usize),
    make: impl FnOnce() -> Result<ComparedFace>,
) -> Result<Arc<ComparedFace>> {
    if let Some(face) = app.caches.compared.get(&key) {
        return Ok(face);
    }
    let face = app.caches.decoding.run(make).ok_or_else(|| {
        AppError::TooMany("the service is busy preparing images; try again shortly".into())
    })??;
    let face = Arc::new(face);
    app.caches.compared.put(key, face.clone());
    Ok(face)
}

fn decoded(bytes: &[u8]) -> Result<RgbImage> {
    waarborg_face::decode::decode(bytes, &DecodeLimits::default())
        .map_err(|e| AppError::internal(format!("the stored image cannot be decoded: {e}")))
}

/// The face aligned by its key points; without them (or with degenerate ones) the box with
/// a margin, scaled into the same frame but not aligned.
fn shown(image: &RgbImage, kps: Option<[[f32; 2]; 5]>, bbox: [f32; 4]) -> ComparedFace {
    use waarborg_face::align::{align_for_comparison, COMPARISON_SIZE};
    if let Some((face, points)) = kps.and_then(|k| align_for_comparison(image, &k)) {
        return ComparedFace {
            jpeg: jpeg(&face),
            size: COMPARISON_SIZE,
            landmarks: Some(points),
        };
    }
    let crop = search::with_margin(image, bbox);
    let [fw, fh] = COMPARISON_SIZE;
    let fitted = image::DynamicImage::ImageRgb8(crop)
        .resize(fw, fh, image::imageops::FilterType::Triangle)
        .to_rgb8();
    ComparedFace {
        jpeg: jpeg(&fitted),
        size: [fitted.width(), fitted.height()],
        landmarks: None,
    }
}

fn jpeg(image: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    // Encoding into memory fails only on an empty image, which alignment never makes.
    let _ = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 92).encode_image(image);
    out
}

/// Records `actor`'s judgement on search `id` from the comparison form with candidate
/// `reference`, its `fields` as posted — `level` (a key on the scale), `reasons`, and each
/// feature's mark (`feature.<key>`: `similar`, `dissimilar`, `not_assessable`) and note
/// (`note.<key>`): the examiner's proposal or a verifier's own conclusion, whichever is theirs
/// to record ([`search::judging_step`]); a supporting level names this candidate. Every
/// feature must be marked; a form with one left open is refused whole and logged as a
/// refusal, nothing kept.
pub fn judge(
    app: &App,
    actor: &Actor,
    id: &str,
    reference: &str,
    fields: &[(String, String)],
) -> Result<SearchRecord> {
    use waarborg_govern::comparison::{Assessment, FeatureMark};
    use waarborg_govern::scale::Tendency;
    let (s, _) = search::readable(app, actor, id)?;
    let reference = search::on_list(&s, reference)?;
    let field = |name: &str| {
        fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let level = field("level").trim().to_string();
    if level.is_empty() {
        return Err(AppError::invalid("choose a level of the conclusion scale"));
    }
    let mut features = Vec::new();
    for (name, value) in fields {
        let Some(feature) = name.strip_prefix("feature.") else {
            continue;
        };
        let assessment = Assessment::parse(value.trim()).ok_or_else(|| {
            AppError::invalid(format!(
                "{value:?} is no mark of a feature: similar, dissimilar or not_assessable"
            ))
        })?;
        let notes = field(&format!("note.{feature}"));
        features.push(FeatureMark {
            feature: feature.to_string(),
            assessment,
            notes,
        });
    }
    let supports = search::scale_of(app, &s)?
        .level(&level)
        .is_some_and(|l| l.tendency == Tendency::Support);
    let body = search::JudgementBody {
        level,
        reference: supports.then_some(reference),
        reasons: field("reasons"),
        comparison: Some(search::ComparisonBody {
            reference,
            features,
        }),
    };
    match search::judging_step(actor, &s) {
        Some(JudgingStep::OwnConclusion) => search::conclude_independently(app, actor, id, body),
        Some(JudgingStep::Propose) => search::propose(app, actor, id, body),
        // Not theirs to record now: the domain's rule refuses it, logged.
        None if actor.role == waarborg_govern::Role::Verifier => {
            search::conclude_independently(app, actor, id, body)
        }
        None => search::propose(app, actor, id, body),
    }
}
