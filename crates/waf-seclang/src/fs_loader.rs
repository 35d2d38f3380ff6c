//! The file-system [`Loader`] (feature `fs`): `Include` paths relative to the including
//! file, wildcards in the last path component, matches in name order (as Apache does).
//! The parser never opens files itself; this loader does, for callers that want it.

use std::path::Path;

use crate::loader::{LoadError, Loader, MemoryLoader, glob_match, has_wildcards, join_relative};

/// Reads rule and data files from the local file system.
#[derive(Debug, Default, Clone, Copy)]
pub struct FsLoader;

impl Loader for FsLoader {
    fn resolve(&mut self, pattern: &str, including_file: &str) -> Result<Vec<String>, LoadError> {
        let full = join_relative(pattern, including_file);
        if !has_wildcards(&full) {
            return Ok(vec![full]);
        }
        let (dir, file_pattern) = match full.rfind('/') {
            Some(i) => (&full[..i.max(1)], &full[i + 1..]),
            None => (".", full.as_str()),
        };
        if has_wildcards(dir) {
            return Err(LoadError(format!(
                "wildcards are supported in the file name only, not in the directory `{dir}`"
            )));
        }
        let entries =
            std::fs::read_dir(dir).map_err(|e| LoadError(format!("cannot list `{dir}`: {e}")))?;
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file() || t.is_symlink()))
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|name| glob_match(file_pattern, name))
            .map(|name| Path::new(dir).join(name).to_string_lossy().into_owned())
            .collect();
        names.sort();
        Ok(names)
    }

    fn read(&mut self, name: &str) -> Result<String, LoadError> {
        let bytes = std::fs::read(name).map_err(|e| LoadError(e.to_string()))?;
        // Rule files are text; stray bytes that are not UTF-8 are kept visible, not fatal.
        Ok(String::from_utf8(bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
    }
}

/// Files held in memory first, the file system for everything else: for configurations
/// that add inline directives (test harnesses, generated settings) to rule files on disk.
#[derive(Debug, Default, Clone)]
pub struct OverlayLoader {
    pub memory: MemoryLoader,
}

impl OverlayLoader {
    pub fn new(memory: MemoryLoader) -> Self {
        OverlayLoader { memory }
    }
}

impl Loader for OverlayLoader {
    fn resolve(&mut self, pattern: &str, including_file: &str) -> Result<Vec<String>, LoadError> {
        FsLoader.resolve(pattern, including_file)
    }

    fn read(&mut self, name: &str) -> Result<String, LoadError> {
        self.memory.read(name).or_else(|_| FsLoader.read(name))
    }
}
