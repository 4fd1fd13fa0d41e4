//! What the command-line tests share: raw HTTP/1.1 on loopback and a `waarborg serve` child.
#![allow(dead_code)] // each test binary uses its own part

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The binary under test.
pub fn waarborg() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_waarborg"));
    c.env_remove("WAARBORG_LEDGER_KEY");
    c
}

/// Sends `request` and reads the whole answer (the request says `Connection: close`);
/// empty when no service answers.
pub fn http(addr: &str, request: &str) -> String {
    let Ok(mut s) = TcpStream::connect(addr) else {
        return String::new();
    };
    if s.write_all(request.as_bytes()).is_err() {
        return String::new();
    }
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

/// Posts `body` of type `ctype` with `headers`; the answer (empty when no service answers).
pub fn post_bytes(
    addr: &str,
    path: &str,
    headers: &[(&str, &str)],
    ctype: &str,
    body: &[u8],
) -> String {
    let mut r = format!("POST {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        r.push_str(&format!("{k}: {v}\r\n"));
    }
    r.push_str("\r\n");
    let Ok(mut s) = TcpStream::connect(addr) else {
        return String::new();
    };
    if s.write_all(r.as_bytes())
        .and_then(|()| s.write_all(body))
        .is_err()
    {
        return String::new();
    }
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

/// The JSON body of an answer (`null` when there is none).
pub fn json(answer: &str) -> serde_json::Value {
    answer
        .split("\r\n\r\n")
        .nth(1)
        .and_then(|b| serde_json::from_str(b).ok())
        .unwrap_or_default()
}

/// A JSON request with `headers`.
pub fn request(method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> String {
    let mut r = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        r.push_str(&format!("{k}: {v}\r\n"));
    }
    r.push_str("\r\n");
    r.push_str(body);
    r
}

/// The status code of an answer (0: none came).
pub fn status(answer: &str) -> u16 {
    answer
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

/// Creates administrator `user` in `data`; the password shown once.
pub fn create_admin(data: &Path, user: &str) -> String {
    let out = waarborg()
        .args([
            "admin",
            "create",
            "--user",
            user,
            "--role",
            "administrator",
            "--unit",
            "it",
            "--data",
        ])
        .arg(data)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text.rsplit("(shown once): ")
        .next()
        .unwrap()
        .trim()
        .to_string()
}

/// A running `waarborg serve` on a free loopback port.
pub struct Service {
    pub child: Child,
    pub addr: String,
    pub data: PathBuf,
}

impl Service {
    /// Starts the service on `data` with `env` (no face engine: `WAARBORG_MODELS` points
    /// nowhere unless `env` says otherwise; empty: the installed models).
    pub fn start(data: &Path, env: &[(&str, &str)]) -> Service {
        let mut cmd = waarborg();
        cmd.args(["serve", "--bind", "127.0.0.1:0", "--data"])
            .arg(data)
            .env("WAARBORG_MODELS", data.join("no-models"))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let Some(addr) = line.trim().strip_prefix("listening on http://") else {
            let _ = child.kill();
            let mut said = String::new();
            if let Some(mut e) = child.stderr.take() {
                let _ = e.read_to_string(&mut said);
            }
            panic!("the service did not start: {line:?}\n{said}");
        };
        let addr = addr.to_string();
        // Its log is not read: drained so that it never blocks on a full pipe.
        if let Some(mut e) = child.stderr.take() {
            std::thread::spawn(move || std::io::copy(&mut e, &mut std::io::sink()));
        }
        Service {
            child,
            addr,
            data: data.to_path_buf(),
        }
    }

    /// Logs `user` in as an administrator: (cookie, CSRF token).
    pub fn login_admin(&self, user: &str, password: &str) -> (String, String) {
        self.login(user, password, "administrator")
    }

    /// Logs `user` in in `role`: (cookie, CSRF token).
    pub fn login(&self, user: &str, password: &str, role: &str) -> (String, String) {
        let body = format!(r#"{{"user":"{user}","password":"{password}","role":"{role}"}}"#);
        let login = http(&self.addr, &request("POST", "/api/login", &[], &body));
        assert_eq!(status(&login), 200, "{login}");
        let cookie = login
            .lines()
            .find_map(|l| l.strip_prefix("set-cookie: "))
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        (cookie, json(&login)["csrf"].as_str().unwrap().to_string())
    }

    /// Stops the service with SIGKILL.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Administrator's request for a new auditor account `user`: the answer.
pub fn create_account(addr: &str, session: &(String, String), user: &str) -> String {
    let body = format!(
        r#"{{"user":"{user}","display_name":"{user}","roles":["auditor"],"unit":"audit","password":"a-long-enough-password-1"}}"#
    );
    http(
        addr,
        &request(
            "POST",
            "/api/admin/accounts",
            &[("Cookie", &session.0), ("X-CSRF-Token", &session.1)],
            &body,
        ),
    )
}
