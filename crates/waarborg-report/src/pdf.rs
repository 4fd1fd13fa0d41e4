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
    let dir = std::env::temp_dir().join(format!(
        "waarborg-pdf-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    ));
    std::fs::create_dir_all(&dir)
        .map_err(|e| ReportError::Pdf(format!("{}: {e}", dir.display())))?;
    let page = dir.join("report.html");
    let result = (|| {
        std::fs::write(&page, html).map_err(|e| ReportError::Pdf(e.to_string()))?;
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

#[cfg(test)]
mod tests {
    #[test]
    fn a_missing_browser_is_named_with_what_to_install() {
        // Only this test sets the variable; the path does not exist.
        std::env::set_var("WAARBORG_CHROMIUM", "/nonexistent/chromium");
        let out = std::env::temp_dir().join("waarborg-pdf-test.pdf");
        let e = super::print("<p>x</p>", &out).unwrap_err().to_string();
        assert!(e.contains("/nonexistent/chromium"), "{e}");
    }
}
