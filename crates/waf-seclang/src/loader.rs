//! Where included files come from. The parser asks a [`Loader`]; it never opens files itself.

use std::collections::BTreeMap;

/// Why a file could not be provided.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct LoadError(pub String);

/// Supplies rule files to the parser.
pub trait Loader {
    /// Expands an `Include` argument (which may hold `*`, `?` and `[...]` wildcards) written
    /// in `including_file` into file names, in the order they should load.
    fn resolve(&mut self, pattern: &str, including_file: &str) -> Result<Vec<String>, LoadError>;
    /// Returns the text of a file named by [`Loader::resolve`] or by the caller.
    fn read(&mut self, name: &str) -> Result<String, LoadError>;
}

/// Files held in memory: for tests, and for rule sets embedded in a binary.
#[derive(Debug, Default, Clone)]
pub struct MemoryLoader {
    files: BTreeMap<String, String>,
}

impl MemoryLoader {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn insert(&mut self, name: impl Into<String>, text: impl Into<String>) -> &mut Self {
        self.files.insert(name.into(), text.into());
        self
    }
}

impl Loader for MemoryLoader {
    fn resolve(&mut self, pattern: &str, including_file: &str) -> Result<Vec<String>, LoadError> {
        let full = join_relative(pattern, including_file);
        if !has_wildcards(&full) {
            return if self.files.contains_key(&full) {
                Ok(vec![full])
            } else {
                Err(LoadError(format!("no such file `{full}`")))
            };
        }
        Ok(self
            .files
            .keys()
            .filter(|name| glob_match(&full, name))
            .cloned()
            .collect())
    }

    fn read(&mut self, name: &str) -> Result<String, LoadError> {
        self.files
            .get(name)
            .cloned()
            .ok_or_else(|| LoadError(format!("no such file `{name}`")))
    }
}

/// Resolves `pattern` against the directory of `including_file`, as ModSecurity does for
/// relative `Include` paths.
pub fn join_relative(pattern: &str, including_file: &str) -> String {
    if pattern.starts_with('/') {
        return pattern.to_string();
    }
    match including_file.rfind('/') {
        Some(i) => format!("{}/{}", &including_file[..i], pattern),
        None => pattern.to_string(),
    }
}

pub fn has_wildcards(pattern: &str) -> bool {
    pattern.contains(['*', '?', '['])
}

/// Shell-style matching: `*` and `?` do not cross `/`; `[abc]`, `[a-z]` and `[!a]` classes.
pub fn glob_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    // Iterative matching with one backtrack point per `*`: linear in practice, never recursive.
    let (mut pi, mut ni) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        if pi < p.len() {
            match p[pi] {
                '*' => {
                    star = Some((pi, ni));
                    pi += 1;
                    continue;
                }
                '?' if n[ni] != '/' => {
                    pi += 1;
                    ni += 1;
                    continue;
                }
                '[' => {
                    if let Some((matched, next)) = class_match(&p, pi, n[ni]) {
                        if matched {
                            pi = next;
                            ni += 1;
                            continue;
                        }
                    } else if n[ni] == '[' {
                        pi += 1;
                        ni += 1;
                        continue;
                    }
                }
                c if c == n[ni] && c != '?' => {
                    pi += 1;
                    ni += 1;
                    continue;
                }
                _ => {}
            }
        }
        match star {
            Some((sp, sn)) if n[sn] != '/' => {
                star = Some((sp, sn + 1));
                pi = sp + 1;
                ni = sn + 1;
            }
            _ => return false,
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// Matches `c` against the class starting at `p[start] == '['`. Returns whether it matched
/// and the index after the class, or `None` if the class is not closed.
fn class_match(p: &[char], start: usize, c: char) -> Option<(bool, usize)> {
    let mut i = start + 1;
    let negate = matches!(p.get(i), Some('!') | Some('^'));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    while i < p.len() {
        if p[i] == ']' && !first {
            return Some((matched != negate && c != '/', i + 1));
        }
        first = false;
        if i + 2 < p.len() && p[i + 1] == '-' && p[i + 2] != ']' {
            if p[i] <= c && c <= p[i + 2] {
                matched = true;
            }
            i += 3;
        } else {
            if p[i] == c {
                matched = true;
            }
            i += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("rules/*.conf", "rules/REQUEST-901.conf"));
        assert!(!glob_match("rules/*.conf", "rules/sub/x.conf"));
        assert!(!glob_match("rules/*.conf", "rules/x.conf.example"));
        assert!(glob_match("a?c", "abc"));
        assert!(glob_match("[a-c]x", "bx"));
        assert!(!glob_match("[!a-c]x", "bx"));
        assert!(glob_match("*", ""));
        assert!(glob_match("*a*b*", "xxaxxbxx"));
        assert!(!glob_match("[ab", "a"));
        assert!(glob_match("[ab", "[ab"));
    }

    #[test]
    fn relative_includes_follow_the_including_file() {
        assert_eq!(
            join_relative("rules/*.conf", "/etc/crs/setup.conf"),
            "/etc/crs/rules/*.conf"
        );
        assert_eq!(join_relative("/abs.conf", "/etc/x.conf"), "/abs.conf");
        assert_eq!(join_relative("x.conf", "main.conf"), "x.conf");
    }
}
