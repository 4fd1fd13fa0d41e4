//! Recorded video as probe material (issue 18 item 3): a file, never a stream. Frames are
//! picked at the times the examiner names, or as the best by face quality among frames
//! sampled evenly through the video; each frame becomes a probe of its own whose record
//! names the video's hash and the frame's time ([`FrameSource`]). The video itself is not
//! kept — the police's evidence system keeps the original; its hash ties the frames to it.
//!
//! Decoding is Debian's `ffprobe` and `ffmpeg`, each a separate process with a time limit,
//! reading one private temporary copy (mode 0600, removed when the request ends: a video
//! container needs a seekable file). Limits:
//!
//! | limit | value |
//! |-------|-------|
//! | size | [`MAX_VIDEO_BYTES`] |
//! | length | [`MAX_VIDEO_SECONDS`] |
//! | frames named | [`MAX_TIMES`] |
//! | best frames asked | [`MAX_BEST`], from [`SAMPLES`] samples |
//! | one decoder run | [`DECODER_TIMEOUT`] |

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use waarborg_face::DecodeLimits;
use waarborg_govern::Actor;

use crate::search::{self, SearchRecord, SubmitQuery};
use crate::{App, AppError, Result};

/// The video types accepted (the container, as the upload names it).
pub const VIDEO_TYPES: &[&str] = &[
    "video/mp4",
    "video/quicktime",
    "video/webm",
    "video/x-matroska",
    "video/x-msvideo",
];

/// The largest video accepted, in bytes.
pub const MAX_VIDEO_BYTES: usize = 100 * 1024 * 1024;
/// The longest video accepted, in seconds.
pub const MAX_VIDEO_SECONDS: f64 = 600.0;
/// The most frame times one request names.
pub const MAX_TIMES: usize = 8;
/// The most best frames one request asks for.
pub const MAX_BEST: usize = 5;
/// How many frames are sampled to find the best.
pub const SAMPLES: usize = 16;
/// The longest one decoder run may take.
pub const DECODER_TIMEOUT: Duration = Duration::from_secs(60);

/// Where a frame probe came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FrameSource {
    /// The video file's SHA-256.
    pub video_sha256: String,
    /// The frame's time from the video's start, in milliseconds.
    pub time_ms: u64,
    /// The video's length, in milliseconds.
    pub duration_ms: u64,
    /// How the frame was picked: `time` (named by the examiner) or `best` (the best face
    /// among the samples).
    pub picked: String,
}

/// Which frames to take.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FramePick {
    /// Times in seconds, separated by spaces or semicolons (a decimal comma is read as a
    /// point: `1,5; 12` and `1.5 12` are the same).
    #[serde(default)]
    pub at: Option<String>,
    /// How many of the best frames by face quality to take (0 to 5).
    #[serde(default)]
    pub best: Option<usize>,
}

impl FramePick {
    /// The named times in milliseconds and the number of best frames; an error says what
    /// is wrong.
    pub fn parse(&self) -> Result<(Vec<u64>, usize)> {
        let mut times = Vec::new();
        for part in self
            .at
            .as_deref()
            .unwrap_or("")
            .split([' ', ';', '\t'])
            .map(|p| p.trim().trim_end_matches(','))
            .filter(|p| !p.is_empty())
        {
            let seconds = part
                .replace(',', ".")
                .parse::<f64>()
                .ok()
                .filter(|s| s.is_finite() && *s >= 0.0)
                .ok_or_else(|| {
                    AppError::invalid(format!("{part:?} is not a time in seconds (e.g. 12.5)"))
                })?;
            times.push((seconds * 1000.0).round() as u64);
        }
        times.sort_unstable();
        times.dedup();
        let best = self.best.unwrap_or(0);
        if times.len() > MAX_TIMES {
            return Err(AppError::invalid(format!(
                "name at most {MAX_TIMES} frame times at once"
            )));
        }
        if best > MAX_BEST {
            return Err(AppError::invalid(format!(
                "ask for at most {MAX_BEST} best frames at once"
            )));
        }
        if times.is_empty() && best == 0 {
            return Err(AppError::invalid(
                "name the frames to take: times in seconds, or a number of best frames",
            ));
        }
        Ok((times, best))
    }
}

/// What came of a video: its hash and length, and the frame probes made from it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FramesTaken {
    /// The video file's SHA-256.
    pub video_sha256: String,
    /// Its length, in milliseconds.
    pub duration_ms: u64,
    /// One search per frame, in time order.
    pub searches: Vec<SearchRecord>,
}

fn unavailable(what: &str, e: impl std::fmt::Display) -> AppError {
    AppError::Unavailable {
        code: "video_unavailable",
        detail: format!(
            "{what} cannot run ({e}); install ffmpeg (Debian: apt-get install ffmpeg; the project's setup does)"
        ),
    }
}

/// A private copy of the video for the decoders, removed when dropped.
struct TempVideo(PathBuf);

impl TempVideo {
    fn write(bytes: &[u8]) -> Result<TempVideo> {
        use std::os::unix::fs::OpenOptionsExt;
        let path = std::env::temp_dir().join(format!("waarborg-video-{}", search::random_id()?));
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .map_err(|e| AppError::internal(format!("a temporary copy of the video: {e}")))?;
        let copy = TempVideo(path);
        f.write_all(bytes)
            .map_err(|e| AppError::internal(format!("a temporary copy of the video: {e}")))?;
        Ok(copy)
    }
}

impl Drop for TempVideo {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Runs `program` with `args`, its output collected, killed after [`DECODER_TIMEOUT`].
fn run(program: &str, args: &[&str]) -> Result<std::process::Output> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| unavailable(program, e))?;
    // Read the pipes on their own threads so that a large frame cannot fill one and stall.
    let mut stdout = child.stdout.take();
    let mut stderr = child.stderr.take();
    let out = std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(s) = stdout.as_mut() {
            let _ = std::io::Read::read_to_end(s, &mut buf);
        }
        buf
    });
    let err = std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(s) = stderr.as_mut() {
            let _ = std::io::Read::read_to_end(s, &mut buf);
        }
        buf
    });
    let deadline = Instant::now() + DECODER_TIMEOUT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(20)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(AppError::invalid(format!(
                    "decoding the video took longer than {} s; send a shorter or simpler file",
                    DECODER_TIMEOUT.as_secs()
                )));
            }
            Err(e) => return Err(AppError::internal(format!("{program}: {e}"))),
        }
    };
    Ok(std::process::Output {
        status,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    })
}

/// The video's length in milliseconds (ffprobe); a file the decoders cannot read, or too
/// long, is refused.
fn duration_ms(path: &Path) -> Result<u64> {
    let p = path.to_string_lossy();
    let out = run(
        "ffprobe",
        &[
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-show_entries",
            "format=duration:stream=codec_type",
            "-of",
            "json",
            &p,
        ],
    )?;
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    let has_video = v["streams"]
        .as_array()
        .is_some_and(|s| s.iter().any(|s| s["codec_type"] == "video"));
    if !out.status.success() || !has_video {
        return Err(AppError::Invalid {
            code: "unsupported_media_type",
            detail: "the video cannot be read: its format is not supported, or it holds no picture (send MP4, MOV, WebM, MKV or AVI)".into(),
        });
    }
    let seconds = v["format"]["duration"]
        .as_str()
        .and_then(|d| d.parse::<f64>().ok())
        .filter(|d| d.is_finite() && *d > 0.0)
        .ok_or_else(|| AppError::invalid("the video does not say how long it is"))?;
    if seconds > MAX_VIDEO_SECONDS {
        return Err(AppError::invalid(format!(
            "the video lasts {seconds:.0} s; at most {MAX_VIDEO_SECONDS:.0} s is taken: cut out the part that matters first"
        )));
    }
    Ok((seconds * 1000.0) as u64)
}

/// The frame at `ms` as PNG bytes (the frame shown at that time).
fn frame_at(path: &Path, ms: u64) -> Result<Vec<u8>> {
    let p = path.to_string_lossy();
    let at = format!("{}.{:03}", ms / 1000, ms % 1000);
    let out = run(
        "ffmpeg",
        &[
            "-nostdin",
            "-v",
            "error",
            "-threads",
            "1",
            "-ss",
            &at,
            "-i",
            &p,
            "-frames:v",
            "1",
            "-f",
            "image2pipe",
            "-c:v",
            "png",
            "pipe:1",
        ],
    )?;
    if !out.status.success() || out.stdout.is_empty() {
        return Err(AppError::invalid(format!(
            "no frame could be taken at {at} s ({})",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(out.stdout)
}

/// How good a face is for a search, in the order the best frames are picked: sufficient
/// first, then the detector's confidence times the eye distance.
type FaceScore = (bool, f32);

/// A frame's faces, and how good its best face is for a search: sufficient faces first,
/// then the detector's confidence times the eye distance (a larger, surer face). The faces
/// go on with the frame if it is taken (found once).
fn frame_faces(
    app: &App,
    image: &image::RgbImage,
) -> Result<(Option<FaceScore>, Vec<waarborg_face::AnalyzedFace>)> {
    let engine = app
        .engine
        .as_ref()
        .ok_or_else(crate::gate::engine_missing)?;
    let faces = engine
        .analyze(image, false)
        .map_err(|e| AppError::internal(e.to_string()))?;
    let best = faces
        .iter()
        .map(|f| (f.quality.sufficient, f.det_score * f.quality.interocular_px))
        .max_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    Ok((best, faces))
}

/// Takes frames of a recorded video for case `q` (an examiner, under the gate as any probe,
/// which refuses what the deployment does not allow — a live source among them): the
/// frames at the times named, and the `best` frames by face quality among [`SAMPLES`]
/// taken evenly through it; each a new search whose record names the video's hash and the
/// frame's time. Nothing is kept when the video is refused.
pub fn take_frames(
    app: &App,
    actor: &Actor,
    q: &SubmitQuery,
    ctype: &str,
    bytes: &[u8],
    pick: &FramePick,
) -> Result<FramesTaken> {
    if !VIDEO_TYPES.contains(&ctype) {
        return Err(AppError::Invalid {
            code: "unsupported_media_type",
            detail: format!(
                "send the video as {}, not {ctype:?}",
                VIDEO_TYPES.join(", ")
            ),
        });
    }
    if bytes.len() > MAX_VIDEO_BYTES {
        return Err(AppError::invalid(format!(
            "the video is {} MiB; at most {} MiB is taken: cut out the part that matters first",
            bytes.len() >> 20,
            MAX_VIDEO_BYTES >> 20
        )));
    }
    let (times, best) = pick.parse()?;
    // The gate first: nothing is decoded for a use it does not permit (its refusal logged).
    search::gate_detect(app, actor, q)?;
    app.engine
        .as_ref()
        .ok_or_else(crate::gate::engine_missing)?;
    let video = TempVideo::write(bytes)?;
    let duration = duration_ms(&video.0)?;
    if let Some(late) = times.iter().find(|t| **t >= duration) {
        return Err(AppError::invalid(format!(
            "the video lasts {:.1} s: there is no frame at {:.1} s",
            duration as f64 / 1000.0,
            *late as f64 / 1000.0
        )));
    }
    let video_sha256 = search::sha256_hex(bytes);
    let decode = |png: &[u8]| {
        waarborg_face::decode::decode(png, &DecodeLimits::default())
            .map_err(|e| AppError::internal(format!("a frame does not decode: {e}")))
    };
    let mut frames = Vec::new();
    for &t in &times {
        let png = frame_at(&video.0, t)?;
        let image = decode(&png)?;
        frames.push((t, "time", png, image, None));
    }
    if best > 0 {
        let step = duration / SAMPLES as u64;
        let mut scored = Vec::new();
        for i in 0..SAMPLES as u64 {
            let t = i * step;
            if times.contains(&t) {
                continue;
            }
            // A sample at the very end may fall past the last frame: it is left out.
            let Ok(png) = frame_at(&video.0, t) else {
                continue;
            };
            let image = decode(&png)?;
            if let (Some(quality), faces) = frame_faces(app, &image)? {
                scored.push((quality, t, png, image, faces));
            }
        }
        scored.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap_or(std::cmp::Ordering::Equal));
        frames.extend(
            scored
                .into_iter()
                .take(best)
                .map(|(_, t, png, image, faces)| (t, "best", png, image, Some(faces))),
        );
        if frames.is_empty() {
            return Err(AppError::invalid(
                "no face was found in any frame sampled from the video; name the times of the frames to take",
            ));
        }
    }
    frames.sort_by_key(|f| f.0);
    drop(video);
    let mut searches = Vec::with_capacity(frames.len());
    for (time_ms, picked, bytes, image, faces) in frames {
        let source = FrameSource {
            video_sha256: video_sha256.clone(),
            time_ms,
            duration_ms: duration,
            picked: picked.to_string(),
        };
        let probe = search::MadeProbe {
            bytes,
            image,
            faces,
            from: Some(search::MadeFrom::Frame(source)),
        };
        let (s, _) = search::submit_made(app, actor, q, probe)?;
        searches.push(s);
    }
    Ok(FramesTaken {
        video_sha256,
        duration_ms: duration,
        searches,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_picks_are_read_and_bounded() {
        let pick = |at: &str, best| FramePick {
            at: Some(at.into()),
            best: Some(best),
        };
        assert_eq!(
            pick("1.5, 3 ;1,5", 0).parse().unwrap(),
            (vec![1500, 3000], 0)
        );
        assert_eq!(pick("", 2).parse().unwrap(), (vec![], 2));
        for (at, best, says) in [
            ("", 0, "name the frames"),
            ("soon", 0, "not a time"),
            ("-1", 0, "not a time"),
            ("1 2 3 4 5 6 7 8 9", 0, "at most 8"),
            ("", 6, "at most 5"),
        ] {
            match pick(at, best).parse() {
                Err(AppError::Invalid { detail, .. }) => assert!(detail.contains(says), "{detail}"),
                other => panic!("{at:?}/{best}: {other:?}"),
            }
        }
    }
}
