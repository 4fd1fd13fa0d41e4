//! The HTTP server's own limits over a real socket (issue 23 item 6): a client that never
//! finishes its headers is cut off; connections beyond the limit wait; a shutdown lets the
//! request under way finish.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use axum::routing::get;
use waarborg_server::{serve, ServerLimits};

fn start(limits: ServerLimits) -> (std::net::SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            let router = axum::Router::new().route(
                "/",
                get(
                    |info: axum::extract::ConnectInfo<std::net::SocketAddr>| async move {
                        format!("hello {}", info.0.ip())
                    },
                ),
            );
            serve(listener, router, limits, async {
                let _ = stopped.await;
            })
            .await
            .unwrap();
        });
    });
    (addr, stop)
}

fn get_root(addr: std::net::SocketAddr) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn unfinished_headers_are_cut_off_and_connections_beyond_the_limit_wait() {
    let limits = ServerLimits {
        header_read_timeout: Duration::from_secs(1),
        max_connections: 1,
    };
    let (addr, stop) = start(limits);
    let answer = get_root(addr);
    assert!(
        answer.starts_with("HTTP/1.1 200") && answer.ends_with("hello 127.0.0.1"),
        "{answer}"
    );

    // A slow client: half a request, then nothing.
    let started = Instant::now();
    let mut slow = TcpStream::connect(addr).unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").unwrap();
    // The only connection slot is taken: another client waits until the slow one is cut.
    let waiting = std::thread::spawn(move || {
        let t = Instant::now();
        (get_root(addr), t.elapsed())
    });
    let mut rest = Vec::new();
    let _ = slow.read_to_end(&mut rest);
    let cut_after = started.elapsed();
    assert!(
        cut_after >= Duration::from_millis(900) && cut_after < Duration::from_secs(5),
        "the slow client was cut after {cut_after:?}"
    );
    let (answer, waited) = waiting.join().unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(waited >= Duration::from_millis(500), "it waited {waited:?}");
    let _ = stop.send(());
}
