//! Compiles the knowledge graph's YAML files into the crate (`include_str!`), so the server,
//! the command line and the browser all carry the same validated data with no file I/O.

use std::fs;
use std::path::{Path, PathBuf};

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
}

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let root = manifest.join("../knowledge").canonicalize().expect("knowledge/ folder next to shared/");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    for kind in ["remedies", "symptoms", "metrics"] {
        collect(&root.join(kind), &mut files);
    }
    files.sort();
    let mut code = String::from("/// `(path relative to knowledge/, contents)` of every knowledge file.\npub static FILES: &[(&str, &str)] = &[\n");
    for file in &files {
        let rel = file.strip_prefix(&root).unwrap().to_string_lossy().replace('\\', "/");
        code.push_str(&format!("    ({rel:?}, include_str!({:?})),\n", file.display().to_string()));
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("knowledge_files.rs");
    fs::write(out, code).unwrap();
}
