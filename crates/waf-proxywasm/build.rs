//! Embeds a CRS directory in the filter, chosen when the filter is built.
//!
//! `WAF_CRS_DIR` names a CRS release directory (`crs-setup.conf(.example)` and `rules/`).
//! Without it, Debian's `modsecurity-crs` is used: rules from `/usr/share/modsecurity-crs`
//! and the setup file from `/etc/modsecurity/crs/crs-setup.conf`. When neither exists the
//! filter is built without CRS, and a configuration that includes `@owasp_crs/...` fails
//! to load with an error saying so.
//!
//! The files are copied into `OUT_DIR` (as UTF-8, lossily, so `include_str!` accepts every
//! data file) and a table of `(name, text)` pairs is generated for `src/embedded.rs`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

const DEBIAN_RULES: &str = "/usr/share/modsecurity-crs";
const DEBIAN_SETUP: &str = "/etc/modsecurity/crs/crs-setup.conf";

fn main() {
    println!("cargo:rerun-if-env-changed=WAF_CRS_DIR");
    println!("cargo:rerun-if-changed=build.rs");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let (source, setup, rules_dir) = match std::env::var_os("WAF_CRS_DIR") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            let setup = ["crs-setup.conf", "crs-setup.conf.example"]
                .iter()
                .map(|n| dir.join(n))
                .find(|p| p.is_file());
            (dir.display().to_string(), setup, dir.join("rules"))
        }
        None => {
            let dir = PathBuf::from(DEBIAN_RULES);
            let setup = [
                PathBuf::from(DEBIAN_SETUP),
                dir.join("crs-setup.conf.example"),
            ]
            .into_iter()
            .find(|p| p.is_file());
            (dir.display().to_string(), setup, dir.join("rules"))
        }
    };
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    if let Ok(entries) = std::fs::read_dir(&rules_dir) {
        println!("cargo:rerun-if-changed={}", rules_dir.display());
        let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for path in paths {
            let keep = path.extension().is_some_and(|e| e == "conf" || e == "data");
            if let (true, Some(name)) = (keep, path.file_name().and_then(|n| n.to_str())) {
                files.push((format!("@owasp_crs/{name}"), path.clone()));
            }
        }
    }
    let has_crs = !files.is_empty();
    if let (true, Some(setup)) = (has_crs, &setup) {
        println!("cargo:rerun-if-changed={}", setup.display());
        files.push(("@crs-setup.conf".into(), setup.clone()));
    }
    if !has_crs {
        println!("cargo:warning=no CRS at {source}: building the filter without embedded CRS");
    }

    let copies = out.join("crs");
    let _ = std::fs::remove_dir_all(&copies);
    std::fs::create_dir_all(&copies).expect("create OUT_DIR/crs");
    let mut table = String::new();
    let _ = writeln!(
        table,
        "/// Where the embedded CRS came from (empty: none embedded)."
    );
    let _ = writeln!(
        table,
        "pub const CRS_SOURCE: &str = {:?};",
        if has_crs { source.as_str() } else { "" }
    );
    let _ = writeln!(table, "/// `(name, text)` of every embedded file.");
    let _ = writeln!(table, "pub static FILES: &[(&str, &str)] = &[");
    for (index, (name, path)) in files.iter().enumerate() {
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let text = String::from_utf8_lossy(&bytes);
        let copy = copies.join(format!("{index}.txt"));
        std::fs::write(&copy, text.as_bytes()).expect("write embedded copy");
        let _ = writeln!(
            table,
            "    ({name:?}, include_str!({:?})),",
            path_str(&copy)
        );
    }
    let _ = writeln!(table, "];");
    std::fs::write(out.join("embedded_files.rs"), table).expect("write embedded_files.rs");
}

fn path_str(path: &Path) -> String {
    path.display().to_string()
}
