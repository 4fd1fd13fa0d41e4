//! `waarborg bench http`: concurrent clients against a running `waarborg serve` on loopback,
//! with keep-alive connections: throughput and latency percentiles per operation.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Args;

#[derive(Debug, Args)]
pub struct HttpBenchArgs {
    /// The server, e.g. http://127.0.0.1:8080.
    #[arg(long)]
    url: String,
    /// Concurrent clients, each with its own connection and session.
    #[arg(long, default_value_t = 32)]
    clients: usize,
    /// Seconds per operation.
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    /// Log in as USER:PASSWORD:ROLE (needed for anything but public routes).
    #[arg(long)]
    login: Option<String>,
    /// GET these paths, one measurement each.
    #[arg(long, value_delimiter = ',')]
    get: Vec<String>,
    /// Also measure whole searches: submit this probe and search with its first face.
    #[arg(long)]
    search_probe: Option<std::path::PathBuf>,
    /// The search's deployment and case, `DEPLOYMENT:CASE`.
    #[arg(long, default_value = "catch-demo:OM-DEMO-0001")]
    search_under: String,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

struct Conn {
    reader: BufReader<TcpStream>,
    host: String,
    cookie: String,
    csrf: String,
}

impl Conn {
    fn open(host: &str) -> anyhow::Result<Conn> {
        let stream = TcpStream::connect(host).with_context(|| format!("connecting to {host}"))?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(Duration::from_secs(120)))?;
        Ok(Conn {
            reader: BufReader::new(stream),
            host: host.to_string(),
            cookie: String::new(),
            csrf: String::new(),
        })
    }

    /// One request on the kept-alive connection; returns status and body.
    fn request(
        &mut self,
        method: &str,
        path: &str,
        ctype: &str,
        body: &[u8],
    ) -> anyhow::Result<(u16, Vec<u8>)> {
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\n",
            self.host,
            body.len()
        );
        if !self.cookie.is_empty() {
            head.push_str(&format!(
                "Cookie: {}\r\nX-CSRF-Token: {}\r\n",
                self.cookie, self.csrf
            ));
        }
        head.push_str("\r\n");
        let stream = self.reader.get_mut();
        stream.write_all(head.as_bytes())?;
        stream.write_all(body)?;
        let mut line = String::new();
        self.reader.read_line(&mut line)?;
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .context("no HTTP status line")?;
        let mut length = 0usize;
        loop {
            let mut h = String::new();
            self.reader.read_line(&mut h)?;
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    length = v.trim().parse().unwrap_or(0);
                } else if k.eq_ignore_ascii_case("set-cookie")
                    && v.trim().starts_with("waarborg_session=")
                {
                    self.cookie = v.trim().split(';').next().unwrap_or("").to_string();
                }
            }
        }
        let mut body = vec![0u8; length];
        self.reader.read_exact(&mut body)?;
        Ok((status, body))
    }

    fn login(&mut self, spec: &str) -> anyhow::Result<()> {
        let mut parts = spec.splitn(3, ':');
        let (Some(user), Some(password), Some(role)) = (parts.next(), parts.next(), parts.next())
        else {
            bail!("--login USER:PASSWORD:ROLE");
        };
        let body =
            serde_json::json!({"user": user, "password": password, "role": role}).to_string();
        // Many clients logging in at once meet the service's password-check gate (429,
        // "busy"): each waits its turn, as a person would.
        let mut waited = 0;
        let (status, body) = loop {
            let (status, answer) =
                self.request("POST", "/api/login", "application/json", body.as_bytes())?;
            if status != 429 || waited >= 50 {
                break (status, answer);
            }
            waited += 1;
            std::thread::sleep(std::time::Duration::from_millis(100 * waited));
        };
        if status != 200 {
            bail!("login failed: {status} {}", String::from_utf8_lossy(&body));
        }
        let v: serde_json::Value = serde_json::from_slice(&body)?;
        self.csrf = v["csrf"].as_str().unwrap_or("").to_string();
        Ok(())
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted
        .get(((sorted.len() as f64 - 1.0) * p).round() as usize)
        .copied()
        .unwrap_or(0.0)
}

/// Runs `op` (which answers the HTTP status it ended with) from every client for the given
/// time; returns requests, rates and latencies, and the errors counted by status.
fn measure(
    args: &HttpBenchArgs,
    host: &str,
    op: &(dyn Fn(&mut Conn) -> anyhow::Result<u16> + Sync),
) -> anyhow::Result<serde_json::Value> {
    let deadline = Instant::now() + Duration::from_secs_f64(args.seconds);
    let started = Instant::now();
    type Statuses = std::collections::BTreeMap<u16, usize>;
    let results: Vec<anyhow::Result<(Vec<f64>, Statuses)>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..args.clients)
            .map(|_| {
                s.spawn(|| {
                    let mut conn = Conn::open(host)?;
                    if let Some(l) = &args.login {
                        conn.login(l)?;
                    }
                    let (mut times, mut errors) = (Vec::new(), Statuses::new());
                    while Instant::now() < deadline {
                        let t = Instant::now();
                        let status = op(&mut conn)?;
                        if status != 200 {
                            *errors.entry(status).or_default() += 1;
                        }
                        times.push(t.elapsed().as_secs_f64() * 1e3);
                    }
                    Ok((times, errors))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("a client panicked")))
            })
            .collect()
    });
    let wall = started.elapsed().as_secs_f64();
    let mut times = Vec::new();
    let mut errors = Statuses::new();
    for r in results {
        let (t, e) = r?;
        times.extend(t);
        for (status, n) in e {
            *errors.entry(status).or_default() += n;
        }
    }
    times.sort_by(f64::total_cmp);
    Ok(serde_json::json!({
        "requests": times.len(), "errors": errors.values().sum::<usize>(),
        // Which answers the errors were (429: the service's busy answer, by design).
        "error_statuses": errors,
        "seconds": wall,
        "per_s": times.len() as f64 / wall,
        "p50_ms": percentile(&times, 0.5), "p99_ms": percentile(&times, 0.99),
    }))
}

pub fn http(args: HttpBenchArgs) -> anyhow::Result<ExitCode> {
    let host = args
        .url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let mut report = serde_json::Map::new();
    for path in &args.get {
        let target = path.clone();
        let r = measure(&args, &host, &move |c: &mut Conn| {
            Ok(c.request("GET", &target, "application/json", b"")?.0)
        })?;
        if !args.json {
            print_line(
                &format!("GET {path:<28}"),
                "req/s",
                "requests",
                &r,
                args.clients,
            );
        }
        report.insert(format!("GET {path}"), r);
    }
    if let Some(probe) = &args.search_probe {
        let bytes = std::fs::read(probe).with_context(|| format!("reading {}", probe.display()))?;
        let (deployment, case) = args
            .search_under
            .split_once(':')
            .context("--search-under DEPLOYMENT:CASE")?;
        let submit = format!(
            "/api/searches?deployment={deployment}&case={case}&probe_source=crime_scene_cctv"
        );
        let r = measure(&args, &host, &|c: &mut Conn| {
            let (status, body) = c.request("POST", &submit, "image/jpeg", &bytes)?;
            if status != 200 {
                return Ok(status);
            }
            let v: serde_json::Value = serde_json::from_slice(&body)?;
            let id = v["search"]["id"].as_str().unwrap_or("");
            let (status, _) = c.request(
                "POST",
                &format!("/api/searches/{id}/choose"),
                "application/json",
                br#"{"face":0}"#,
            )?;
            Ok(status)
        })?;
        if !args.json {
            print_line(
                "search (probe + choose)     ",
                "/s   ",
                "searches",
                &r,
                args.clients,
            );
        }
        report.insert("search".into(), r);
    }
    if args.json {
        println!("{}", serde_json::Value::Object(report));
    }
    Ok(ExitCode::SUCCESS)
}

/// One measured operation as a line: rate, p50, p99, and the errors by status.
fn print_line(what: &str, rate: &str, unit: &str, r: &serde_json::Value, clients: usize) {
    let errors = r["error_statuses"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(s, n)| format!(" {s}×{n}"))
                .collect::<String>()
        })
        .unwrap_or_default();
    println!(
        "{what} {:>8.1} {rate}  p50 {:>7.2} ms  p99 {:>7.2} ms  ({} {unit}, {} errors{}, {clients} clients)",
        r["per_s"].as_f64().unwrap_or(0.0),
        r["p50_ms"].as_f64().unwrap_or(0.0),
        r["p99_ms"].as_f64().unwrap_or(0.0),
        r["requests"],
        r["errors"],
        if errors.is_empty() { String::new() } else { format!(":{errors}") },
    );
}
