//! Rule files compiled into the filter: a wasm VM has no file system, so everything an
//! `Include` can name lives here.
//!
//! | name | what |
//! |---|---|
//! | `@recommended-conf` | our engine defaults (ModSecurity's recommended configuration, with the JSON and XML body processors CRS expects) |
//! | `@crs-setup.conf` (also `@crs-setup`) | the CRS setup file of the CRS chosen at build time |
//! | `@owasp_crs/*.conf`, `@owasp_crs/*.data` | that CRS's rules and data files |
//!
//! The CRS comes from `WAF_CRS_DIR` when the filter is built, else from Debian's
//! `modsecurity-crs` (see `build.rs`). Data files referenced by rules (`@pmFromFile
//! lfi-os-files.data`) resolve relative to the including rule file, so they are found as
//! `@owasp_crs/lfi-os-files.data`.

use waf_seclang::MemoryLoader;

mod generated {
    include!(concat!(env!("OUT_DIR"), "/embedded_files.rs"));
}

pub use generated::{CRS_SOURCE, FILES};

/// Our engine defaults (see `waf_core::config::RECOMMENDED_SETTINGS`).
pub use waf_core::config::RECOMMENDED_SETTINGS as RECOMMENDED_CONF;

/// Whether a CRS was embedded when the filter was built.
pub fn has_crs() -> bool {
    !CRS_SOURCE.is_empty()
}

/// A loader holding every embedded file, plus the caller's inline files.
pub fn loader() -> MemoryLoader {
    let mut loader = MemoryLoader::new();
    loader.insert("@recommended-conf", RECOMMENDED_CONF);
    loader.insert("@recommended-conf.conf", RECOMMENDED_CONF);
    for (name, text) in FILES {
        loader.insert(*name, *text);
        if *name == "@crs-setup.conf" {
            loader.insert("@crs-setup", *text);
        }
    }
    loader
}
