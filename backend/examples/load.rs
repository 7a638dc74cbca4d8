//! Load test of `POST /api/v1/analyze`: posts a 20-resource SAM template
//! (`examples/load-template.yaml`) over N keep-alive connections for S seconds against a running
//! server, then prints requests/s and latency percentiles. Loopback targets only.
//!
//! ```text
//! cargo build --release -p archlens --bin archlens --example load
//! target/release/archlens serve --listen 127.0.0.1:8088 --rate-limit 0 & SERVER=$!
//! target/release/examples/load --url http://127.0.0.1:8088 --seconds 10 --connections 32
//! grep VmHWM /proc/$SERVER/status   # the server's peak RSS
//! kill $SERVER
//! ```
//! (`--rate-limit 0`: every connection comes from one IP, which the default per-client limit
//! of 600 requests a minute would throttle.)
//!
//! Measured on the 2-core development machine, server and load generator sharing both cores,
//! nothing else running, release build (whole-program optimisation, `Cargo.toml`): sixteen runs
//! of 10 s gave 2,191–3,402 analyses/s (median 2,810), p99 14.7–21.5 ms, 0 errors, server peak
//! RSS under 42 MB. The machine has slow and fast phases of several minutes (the same binary's
//! CPU time per request moves by up to 40 %), so the build before it was run alternately with
//! it in the same minutes: 2,185 / 2,485 / 2,204 against 2,764 / 2,742 / 2,756 (1.1–1.26x).
//! Details and history: `bench/RESULTS.md`.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use clap::Parser;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;

const TEMPLATE: &str = include_str!("load-template.yaml");

#[derive(Parser)]
#[command(about = "Load test of POST /api/v1/analyze on a running server (loopback only)")]
struct Args {
    /// Base URL of the server.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// How long to send requests (at most 60).
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Connections, each sending one request after the other.
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// `?format=` of the requests: json, sarif, markdown or text.
    #[arg(long, default_value = "json")]
    format: String,
    /// Bearer token, when the server has `--api-token`.
    #[arg(long)]
    token: Option<String>,
}

#[derive(Default)]
struct Tally {
    latencies: Vec<Duration>,
    errors: Vec<u16>,
}

fn main() {
    let args = Args::parse();
    let authority = args.url.trim_end_matches('/').strip_prefix("http://").expect("an http:// URL").to_string();
    let addr: SocketAddr = authority.parse().expect("URL host must be an IP:port, e.g. 127.0.0.1:8080");
    assert!(addr.ip().is_loopback(), "this load test only targets loopback addresses");
    let duration = Duration::from_secs(args.seconds.clamp(1, 60));
    let body = Bytes::from(serde_json::to_vec(&serde_json::json!({"template": TEMPLATE, "name": "load-template.yaml"})).unwrap());
    let path = format!("/api/v1/analyze?format={}", args.format);

    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let started = Instant::now();
    let tallies: Vec<Tally> = runtime.block_on(async {
        let deadline = tokio::time::Instant::now() + duration;
        let workers: Vec<_> = (0..args.connections)
            .map(|_| tokio::spawn(connection(addr, authority.clone(), path.clone(), args.token.clone(), body.clone(), deadline)))
            .collect();
        let mut tallies = Vec::new();
        for w in workers {
            tallies.push(w.await.unwrap());
        }
        tallies
    });
    let elapsed = started.elapsed();

    let mut latencies: Vec<Duration> = tallies.iter().flat_map(|t| t.latencies.iter().copied()).collect();
    let errors: Vec<u16> = tallies.iter().flat_map(|t| t.errors.iter().copied()).collect();
    latencies.sort();
    let pct = |p: f64| latencies.get(((latencies.len() as f64 * p).ceil() as usize).saturating_sub(1)).copied().unwrap_or_default();
    println!(
        "{} connections, {:.1} s, template of {} bytes (20 resources), format {}",
        args.connections,
        elapsed.as_secs_f64(),
        TEMPLATE.len(),
        args.format
    );
    println!("ok:        {}", latencies.len());
    println!("errors:    {} {}", errors.len(), summarize(&errors));
    println!("requests/s {:.0}", latencies.len() as f64 / elapsed.as_secs_f64());
    println!("latency    p50 {:.1} ms   p90 {:.1} ms   p99 {:.1} ms   max {:.1} ms",
        ms(pct(0.50)), ms(pct(0.90)), ms(pct(0.99)), ms(latencies.last().copied().unwrap_or_default()));
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn summarize(errors: &[u16]) -> String {
    let mut counts = std::collections::BTreeMap::new();
    for e in errors {
        *counts.entry(*e).or_insert(0) += 1;
    }
    counts.iter().map(|(status, n)| format!("{status}x{n}")).collect::<Vec<_>>().join(" ")
}

/// One keep-alive connection sending requests back to back until the deadline. Status 0
/// stands for a transport error (the connection is then reopened).
async fn connection(
    addr: SocketAddr,
    authority: String,
    path: String,
    token: Option<String>,
    body: Bytes,
    deadline: tokio::time::Instant,
) -> Tally {
    let mut tally = Tally::default();
    'reconnect: while tokio::time::Instant::now() < deadline {
        let Ok(stream) = tokio::net::TcpStream::connect(addr).await else {
            tally.errors.push(0);
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        let Ok((mut sender, conn)) = http1::handshake::<_, Full<Bytes>>(TokioIo::new(stream)).await else {
            tally.errors.push(0);
            continue;
        };
        tokio::spawn(conn);
        while tokio::time::Instant::now() < deadline {
            let mut request = Request::post(path.as_str())
                .header("host", authority.as_str())
                .header("content-type", "application/json");
            if let Some(token) = &token {
                request = request.header("authorization", format!("Bearer {token}"));
            }
            let request = request.body(Full::new(body.clone())).unwrap();
            let sent = Instant::now();
            let response = match sender.send_request(request).await {
                Ok(r) => r,
                Err(_) => {
                    tally.errors.push(0);
                    continue 'reconnect;
                }
            };
            let status = response.status();
            if response.into_body().collect().await.is_err() {
                tally.errors.push(0);
                continue 'reconnect;
            }
            if status.is_success() {
                tally.latencies.push(sent.elapsed());
            } else {
                tally.errors.push(status.as_u16());
            }
        }
    }
    tally
}
