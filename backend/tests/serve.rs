//! `archlens serve` as a process: its options (each with an `ARCHLENS_…` variable), JSON logs
//! carrying the request id, and a graceful stop on SIGTERM.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn archlens() -> Command {
    Command::new(env!("CARGO_BIN_EXE_archlens"))
}

#[test]
fn help_lists_every_option_with_its_environment_variable() {
    let out = archlens().args(["serve", "--help"]).output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for (option, variable) in [
        ("--listen", "ARCHLENS_LISTEN"),
        ("--log-format", "ARCHLENS_LOG_FORMAT"),
        ("--max-template-size", "ARCHLENS_MAX_TEMPLATE_SIZE"),
        ("--max-body-size", "ARCHLENS_MAX_BODY_SIZE"),
        ("--analysis-timeout", "ARCHLENS_ANALYSIS_TIMEOUT"),
        ("--max-concurrent-analyses", "ARCHLENS_MAX_CONCURRENT_ANALYSES"),
        ("--analysis-queue-wait", "ARCHLENS_ANALYSIS_QUEUE_WAIT"),
        ("--rate-limit", "ARCHLENS_RATE_LIMIT"),
        ("--cors-origin", "ARCHLENS_CORS_ORIGINS"),
        ("--embed-origin", "ARCHLENS_EMBED_ORIGINS"),
        ("--api-token", "ARCHLENS_API_TOKEN"),
        ("--trusted-user-header", "ARCHLENS_TRUSTED_USER_HEADER"),
    ] {
        assert!(help.contains(option), "no {option} in:\n{help}");
        assert!(help.contains(&format!("env: {variable}")), "no {variable} in:\n{help}");
    }
    assert!(help.contains("[default: 2MiB]") && help.contains("[default: 10s]") && help.contains("[default: 600]"), "{help}");
}

#[test]
fn bad_option_values_are_refused_before_starting() {
    for args in [
        ["--cors-origin", "app.example.com"],
        ["--embed-origin", "https://a.example.com; script-src *"],
        ["--max-body-size", "lots"],
        ["--analysis-timeout", "soon"],
    ] {
        let out = archlens().arg("serve").args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("invalid value"), "{args:?}");
    }
}

/// A server process on a free port, stopped on drop if a test fails first.
struct Server {
    child: Child,
    addr: SocketAddr,
    data: std::path::PathBuf,
}

impl Server {
    fn start(extra: &[&str]) -> (Server, BufReader<std::process::ChildStdout>) {
        let data = std::env::temp_dir().join(format!("archlens-serve-test-{}-{}", std::process::id(), extra.len()));
        let mut child = archlens()
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(&data)
            .args(extra)
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        let addr = loop {
            line.clear();
            assert!(stdout.read_line(&mut line).unwrap() > 0, "the server exited before listening");
            if let Some(rest) = line.split("running at http://").nth(1) {
                break rest.split('/').next().unwrap().parse().unwrap();
            }
        };
        (Server { child, addr, data }, stdout)
    }

    fn get(&self, path: &str, headers: &str) -> String {
        let mut stream = TcpStream::connect(self.addr).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        write!(stream, "GET {path} HTTP/1.1\r\nHost: {}\r\n{headers}Connection: close\r\n\r\n", self.addr).unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        response
    }

    fn terminate(&mut self) -> std::process::ExitStatus {
        let status = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status().unwrap();
        assert!(status.success());
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(started.elapsed() < Duration::from_secs(15), "the server did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.data);
    }
}

#[test]
fn json_logs_carry_the_request_id_and_sigterm_stops_the_server_cleanly() {
    let (mut server, mut stdout) = Server::start(&["--log-format", "json"]);
    let response = server.get("/api/v1/health", "x-request-id: serve-test-7f3a\r\n");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("x-request-id: serve-test-7f3a"), "{response}");

    let status = server.terminate();
    assert!(status.success(), "graceful shutdown exits 0: {status:?}");
    let mut logs = String::new();
    stdout.read_to_string(&mut logs).unwrap();
    let line = logs
        .lines()
        .find(|l| l.contains("serve-test-7f3a"))
        .unwrap_or_else(|| panic!("no log line with the request id in:\n{logs}"));
    let event: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
    assert_eq!(event["spans"][0]["request_id"], "serve-test-7f3a", "{event}");
    assert_eq!(event["spans"][0]["path"], "/api/v1/health", "{event}");
}
