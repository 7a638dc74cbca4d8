//! `cargo xtask <task>`: the project's build tasks, in Rust so they need nothing but cargo.
//!
//! - `build`: compiles the Leptos frontend to wasm32, runs wasm-bindgen in-process (no
//!   downloaded tools), names the outputs by content hash, precompresses them (br, gzip) and
//!   writes `frontend/dist/`, where `archlens serve` finds them.
//! - `serve [ARGS…]`: `build`, then `archlens serve ARGS…` (release build).
//! - `test [ARGS…]`: `build`, then every test (`cargo test`: the default members, i.e. all
//!   crates but the wasm-only frontend, whose logic lives in `shared` and is tested there).
//!
//! Each task first installs what rustup can install (the wasm32 target).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use sha2::{Digest, Sha256};

type Result<T> = std::result::Result<T, String>;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (task, rest) = match args.split_first() {
        Some((t, rest)) => (t.as_str(), rest.to_vec()),
        None => ("help", Vec::new()),
    };
    let result = match task {
        "build" => build(),
        "serve" => build().and_then(|_| serve(&rest)),
        "test" => build().and_then(|_| test(&rest)),
        _ => {
            eprintln!("usage: cargo xtask <build | serve [ARGS…] | test [ARGS…]>");
            return ExitCode::from(if task == "help" { 0 } else { 2 });
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask {task}: {e}");
            ExitCode::FAILURE
        }
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(root());
    cmd
}

fn run(mut cmd: Command) -> Result<()> {
    let shown = format!("{cmd:?}");
    let status = cmd.status().map_err(|e| format!("could not start {shown}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{shown} failed ({status})"))
    }
}

fn ensure_wasm_target() -> Result<()> {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains("wasm32-unknown-unknown"))
        .unwrap_or(false);
    if !installed {
        eprintln!("xtask: installing the wasm32-unknown-unknown target with rustup");
        let mut cmd = Command::new("rustup");
        cmd.args(["target", "add", "wasm32-unknown-unknown"]);
        run(cmd)?;
    }
    Ok(())
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|p| if p.is_absolute() { p } else { root().join(p) })
        .unwrap_or_else(|| root().join("target"))
}

fn short_hash(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest[..6].iter().map(|b| format!("{b:02x}")).collect()
}

fn build() -> Result<()> {
    ensure_wasm_target()?;
    let mut cmd = cargo();
    cmd.args([
        "build",
        "--package",
        "archlens-frontend",
        "--target",
        "wasm32-unknown-unknown",
        "--profile",
        "wasm-release",
    ]);
    run(cmd)?;
    let wasm = target_dir().join("wasm32-unknown-unknown/wasm-release/archlens_frontend.wasm");
    let staging = target_dir().join("bindgen");
    let _ = fs::remove_dir_all(&staging);
    fs::create_dir_all(&staging).map_err(|e| e.to_string())?;
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(&wasm)
        .web(true)
        .map_err(|e| e.to_string())?
        .omit_default_module_path(false)
        .remove_name_section(true)
        .remove_producers_section(true)
        .generate(&staging)
        .map_err(|e| format!("wasm-bindgen: {e}"))?;

    // Content-hashed names, so the server can cache them for a year and index.html never.
    let wasm_bytes = fs::read(staging.join("archlens_frontend_bg.wasm")).map_err(|e| e.to_string())?;
    let wasm_name = format!("archlens-{}.wasm", short_hash(&wasm_bytes));
    let js = fs::read_to_string(staging.join("archlens_frontend.js")).map_err(|e| e.to_string())?;
    if !js.contains("archlens_frontend_bg.wasm") {
        return Err("wasm-bindgen output no longer names archlens_frontend_bg.wasm; update xtask".into());
    }
    let js = js.replace("archlens_frontend_bg.wasm", &wasm_name);
    let js_name = format!("archlens-{}.js", short_hash(js.as_bytes()));
    let css = fs::read_to_string(root().join("frontend/style.css")).map_err(|e| e.to_string())?;
    let css_name = format!("archlens-{}.css", short_hash(css.as_bytes()));
    let boot = format!("import init from './{js_name}';\ninit();\n");
    let boot_name = format!("boot-{}.js", short_hash(boot.as_bytes()));
    let index = fs::read_to_string(root().join("frontend/index.html"))
        .map_err(|e| e.to_string())?
        .replace("{{css}}", &css_name)
        .replace("{{boot}}", &boot_name)
        .replace("{{wasm}}", &wasm_name);

    let dist = root().join("frontend/dist");
    let _ = fs::remove_dir_all(&dist);
    fs::create_dir_all(&dist).map_err(|e| e.to_string())?;
    let files: Vec<(String, Vec<u8>)> = vec![
        (wasm_name, wasm_bytes),
        (js_name, js.into_bytes()),
        (css_name, css.into_bytes()),
        (boot_name, boot.into_bytes()),
        ("index.html".into(), index.into_bytes()),
    ];
    let mut total_br = 0;
    for (name, bytes) in &files {
        fs::write(dist.join(name), bytes).map_err(|e| e.to_string())?;
        let br = brotli_bytes(bytes);
        total_br += br.len();
        fs::write(dist.join(format!("{name}.br")), br).map_err(|e| e.to_string())?;
        fs::write(dist.join(format!("{name}.gz")), gzip_bytes(bytes)).map_err(|e| e.to_string())?;
    }
    // Static extras (icons) are copied as they are.
    let public = root().join("frontend/public");
    if let Ok(entries) = fs::read_dir(&public) {
        for entry in entries.flatten() {
            fs::copy(entry.path(), dist.join(entry.file_name())).map_err(|e| e.to_string())?;
        }
    }
    eprintln!(
        "xtask: frontend built into {} ({} KB wasm, {} KB brotli in all)",
        dist.display(),
        files[0].1.len() / 1024,
        total_br / 1024
    );
    Ok(())
}

fn brotli_bytes(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &bytes[..], &mut out, &params).expect("in-memory brotli");
    out
}

fn gzip_bytes(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(bytes).expect("in-memory gzip");
    enc.finish().expect("in-memory gzip")
}

fn serve(args: &[String]) -> Result<()> {
    let mut cmd = cargo();
    cmd.args(["run", "--release", "--package", "archlens", "--bin", "archlens", "--", "serve"]);
    cmd.args(args);
    run(cmd)
}

fn test(args: &[String]) -> Result<()> {
    let mut cmd = cargo();
    cmd.arg("test");
    cmd.args(args);
    run(cmd)
}
