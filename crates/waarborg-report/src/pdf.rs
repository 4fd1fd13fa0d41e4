//! A report page printed to PDF by a headless Chromium (Debian's `chromium` package), the
//! same page a reader prints from any browser: A4, the charts as vectors.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::ReportError;

/// The browser to print with: `WAARBORG_CHROMIUM`, or the first of `chromium`,
/// `chromium-browser`, `google-chrome` on the `PATH`.
pub fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("WAARBORG_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|p| p.is_file())
}

/// Prints the HTML page `html` to the PDF file `out`.
pub fn print(html: &str, out: &Path) -> Result<(), ReportError> {
    let browser = chromium().ok_or_else(|| {
        ReportError::Pdf(
            "no Chromium to print with: install Debian's package (`apt-get install chromium`) or set WAARBORG_CHROMIUM; the HTML page prints the same from any browser".into(),
        )
    })?;
    let dir = private_temp_dir()?;
    let page = dir.join("report.html");
    let result = (|| {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&page)
            .and_then(|mut f| f.write_all(html.as_bytes()))
            .map_err(|e| ReportError::Pdf(format!("{}: {e}", page.display())))?;
        let out = std::path::absolute(out).map_err(|e| ReportError::Pdf(e.to_string()))?;
        let status = Command::new(&browser)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-pdf-header-footer",
            ])
            .arg(format!("--user-data-dir={}", dir.join("profile").display()))
            .arg(format!("--print-to-pdf={}", out.display()))
            .arg(format!("file://{}", page.display()))
            .output()
            .map_err(|e| ReportError::Pdf(format!("running {}: {e}", browser.display())))?;
        let printed = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
        if !status.status.success() || printed == 0 {
            return Err(ReportError::Pdf(format!(
                "{} did not print the PDF: {}",
                browser.display(),
                String::from_utf8_lossy(&status.stderr)
                    .lines()
                    .last()
                    .unwrap_or_default()
            )));
        }
        Ok(())
    })();
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// A new directory of our own under the temporary directory (0700): created, never
/// reused, so a name someone else made first (a symlink planted where we would write) is
/// passed over, not followed.
fn private_temp_dir() -> Result<PathBuf, ReportError> {
    use std::os::unix::fs::DirBuilderExt;
    static MADE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let mut last = None;
    for _ in 0..16 {
        let n = MADE.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir = std::env::temp_dir().join(format!(
            "waarborg-pdf-{}-{n}-{nanos:09}",
            std::process::id()
        ));
        match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) => last = Some(format!("{}: {e}", dir.display())),
        }
    }
    Err(ReportError::Pdf(format!(
        "no private temporary directory could be made: {}",
        last.unwrap_or_default()
    )))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_temporary_directory_is_new_private_and_never_a_planted_one() {
        use std::os::unix::fs::PermissionsExt;
        let a = super::private_temp_dir().unwrap();
        let b = super::private_temp_dir().unwrap();
        assert_ne!(a, b);
        let mode = std::fs::metadata(&a).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        for d in [a, b] {
            std::fs::remove_dir(d).unwrap();
        }
    }

    #[test]
    fn a_missing_browser_is_named_with_what_to_install() {
        // Only this test sets the variable; the path does not exist.
        std::env::set_var("WAARBORG_CHROMIUM", "/nonexistent/chromium");
        let out = std::env::temp_dir().join("waarborg-pdf-test.pdf");
        let e = super::print("<p>x</p>", &out).unwrap_err().to_string();
        assert!(e.contains("/nonexistent/chromium"), "{e}");
    }
}
