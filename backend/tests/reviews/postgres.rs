//! A throwaway PostgreSQL server for one test: Debian's binaries, a fresh cluster in a temporary
//! folder (run as the `postgres` user when the tests run as root, since PostgreSQL refuses
//! root), a free port on 127.0.0.1, its socket in the same folder; stopped and removed on drop.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

pub struct PgServer {
    bin: PathBuf,
    base: PathBuf,
    pub port: u16,
    as_postgres: bool,
}

/// The newest `/usr/lib/postgresql/*/bin` with a server, or a failure that says what to install.
fn find_bin() -> PathBuf {
    if let Ok(dir) = std::env::var("ARCHLENS_TEST_PG_BIN") {
        let bin = PathBuf::from(dir);
        assert!(
            bin.join("initdb").exists(),
            "ARCHLENS_TEST_PG_BIN={} has no initdb (Debian's `postgresql` package puts it in /usr/lib/postgresql/*/bin)",
            bin.display()
        );
        return bin;
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            (bin.join("initdb").exists() && bin.join("pg_ctl").exists()).then_some((version, bin))
        })
        .collect();
    found.sort();
    match found.pop() {
        Some((_, bin)) => bin,
        None => panic!(
            "the PostgreSQL tests need a PostgreSQL server: no /usr/lib/postgresql/*/bin/initdb. \
             Install Debian's `postgresql` package (apt-get install -y postgresql), or point \
             ARCHLENS_TEST_PG_BIN at a folder with initdb, pg_ctl and createdb"
        ),
    }
}

fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").map(|m| m.uid() == 0).unwrap_or(false)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl PgServer {
    /// initdb, start, and create database `archlens`.
    pub fn start() -> PgServer {
        static SEQ: AtomicU32 = AtomicU32::new(0);
        let bin = find_bin();
        let base = std::env::temp_dir().join(format!(
            "archlens-pg-{}-{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&base);
        std::fs::create_dir_all(&base).unwrap();
        let as_postgres = is_root();
        if as_postgres {
            let ok = Command::new("chown").arg("postgres:postgres").arg(&base).status().map(|s| s.success());
            assert!(
                matches!(ok, Ok(true)),
                "cannot give {} to the `postgres` user (created by Debian's `postgresql` package)",
                base.display()
            );
        }
        let mut server = PgServer { bin, base, port: 0, as_postgres };
        server.run(
            "initdb",
            &["-D", &server.data(), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"],
        );
        // A port is free when picked and may be taken before the server binds it: retry.
        let mut last_error = String::new();
        for _ in 0..5 {
            server.port = free_port();
            let options = format!(
                "-p {} -k {} -c listen_addresses=127.0.0.1 -c max_connections=100",
                server.port,
                server.base.display()
            );
            let log = server.base.join("server.log");
            let status = server
                .command("pg_ctl")
                .args(["-D", &server.data(), "-l", &log.display().to_string(), "-o", &options, "-w", "-t", "60", "start"])
                .output()
                .unwrap();
            if status.status.success() {
                server.run(
                    "createdb",
                    &["-h", "127.0.0.1", "-p", &server.port.to_string(), "-U", "postgres", "archlens"],
                );
                return server;
            }
            last_error = format!(
                "{}\n{}",
                String::from_utf8_lossy(&status.stderr),
                std::fs::read_to_string(&log).unwrap_or_default()
            );
        }
        panic!("PostgreSQL did not start:\n{last_error}");
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/archlens", self.port)
    }

    fn data(&self) -> String {
        self.base.join("data").display().to_string()
    }

    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path).current_dir(&self.base);
            c
        } else {
            let mut c = Command::new(path);
            c.current_dir(&self.base);
            c
        }
    }

    fn run(&self, program: &str, args: &[&str]) {
        let started = Instant::now();
        let out = self
            .command(program)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {program} from {}: {e}", self.bin.display()));
        assert!(
            out.status.success(),
            "{program} {args:?} failed after {:?}:\n{}{}",
            started.elapsed(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl PgServer {
    /// Stops the server at once (as a crash would, without a shutdown checkpoint).
    pub fn stop(&self) {
        let _ = self.command("pg_ctl").args(["-D", &self.data(), "-m", "immediate", "-w", "stop"]).output();
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        if self.port != 0 {
            self.stop();
        }
        remove(&self.base);
    }
}

fn remove(path: &Path) {
    // The server may take a moment to let go of its files after stopping.
    for _ in 0..10 {
        if std::fs::remove_dir_all(path).is_ok() || !path.exists() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
