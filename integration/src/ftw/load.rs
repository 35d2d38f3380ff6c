//! Reading test files and suites from disk or from text.

use std::fs;
use std::path::{Path, PathBuf};

use super::LoadError;
use super::model::{RawFile, Stage, Syntax, Test, TestFile};

/// Which files of a directory tree count as test files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileSelection {
    /// `**/*.yaml` only: exactly what `go-ftw run -d DIR` globs. CRS v4.28.0's
    /// `999999.yml` (31 tests) is therefore never run by go-ftw.
    GoFtw,
    /// `**/*.yaml` and `**/*.yml`.
    AllYaml,
}

/// All test files found under one directory.
#[derive(Clone, Debug, Default)]
pub struct Suite {
    /// Files in path order.
    pub files: Vec<TestFile>,
}

impl Suite {
    /// Every test of every file, in path order.
    pub fn tests(&self) -> impl Iterator<Item = (&TestFile, &Test)> {
        self.files
            .iter()
            .flat_map(|f| f.tests.iter().map(move |t| (f, t)))
    }

    /// The number of tests.
    pub fn test_count(&self) -> usize {
        self.files.iter().map(|f| f.tests.len()).sum()
    }

    /// The number of stages (requests).
    pub fn stage_count(&self) -> usize {
        self.tests().map(|(_, t)| t.stages.len()).sum()
    }

    /// The test with this id (`"920100-1"`), if any.
    pub fn find(&self, id: &str) -> Option<&Test> {
        self.tests().map(|(_, t)| t).find(|t| t.id == id)
    }
}

/// Loads every test file under `dir` (recursively, in sorted path order).
pub fn load_dir(dir: &Path, selection: FileSelection) -> Result<Suite, LoadError> {
    let mut paths = Vec::new();
    collect(dir, selection, &mut paths)?;
    paths.sort();
    let mut files = Vec::with_capacity(paths.len());
    for path in paths {
        files.push(load_file(&path)?);
    }
    Ok(Suite { files })
}

fn collect(dir: &Path, selection: FileSelection, out: &mut Vec<PathBuf>) -> Result<(), LoadError> {
    let entries = fs::read_dir(dir).map_err(|source| LoadError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    for entry in entries {
        let entry = entry.map_err(|source| LoadError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let path = entry.path();
        let kind = entry.file_type().map_err(|source| LoadError::Io {
            path: path.clone(),
            source,
        })?;
        if kind.is_dir() {
            collect(&path, selection, out)?;
        } else if is_test_file(&path, selection) {
            out.push(path);
        }
    }
    Ok(())
}

fn is_test_file(path: &Path, selection: FileSelection) -> bool {
    match path.extension().and_then(|e| e.to_str()) {
        Some("yaml") => true,
        Some("yml") => selection == FileSelection::AllYaml,
        _ => false,
    }
}

/// Loads one test file.
pub fn load_file(path: &Path) -> Result<TestFile, LoadError> {
    let text = fs::read(path).map_err(|source| LoadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let text = String::from_utf8(text).map_err(|_| LoadError::NotUtf8 {
        path: path.to_path_buf(),
    })?;
    load_str(&text, path)
}

/// Loads a test file from text; `path` names it in errors and supplies the rule id
/// when the file has no `rule_id` (the first run of digits in the file name, as go-ftw does).
pub fn load_str(text: &str, path: &Path) -> Result<TestFile, LoadError> {
    let raw: RawFile = serde_norway::from_str(text).map_err(|e| LoadError::Yaml {
        path: path.to_path_buf(),
        message: one_line(&e.to_string()),
    })?;
    let syntax = detect_syntax(&raw);
    let rule_id = match raw.rule_id {
        Some(id) => u32::try_from(id).map_err(|_| LoadError::Invalid {
            path: path.to_path_buf(),
            message: format!("rule_id {id} is out of range"),
        })?,
        None => rule_id_from_name(path).ok_or_else(|| LoadError::Invalid {
            path: path.to_path_buf(),
            message: "no rule_id and no digits in the file name".to_owned(),
        })?,
    };
    let mut tests = Vec::with_capacity(raw.tests.len());
    for (index, raw_test) in raw.tests.into_iter().enumerate() {
        let position = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let (id, test_rule, test_id) = match (&raw_test.test_title, raw_test.test_id) {
            (_, Some(n)) => {
                let n = u32::try_from(n).map_err(|_| LoadError::Invalid {
                    path: path.to_path_buf(),
                    message: format!("test_id {n} is out of range"),
                })?;
                // go-ftw treats test_id 0 as "not set" and uses the position.
                let n = if n == 0 { position } else { n };
                (format!("{rule_id}-{n}"), rule_id, Some(n))
            }
            (Some(title), None) if !title.as_str().is_empty() => {
                let (r, t) = split_title(title.as_str());
                (title.0.clone(), r.unwrap_or(rule_id), t)
            }
            _ => (format!("{rule_id}-{position}"), rule_id, Some(position)),
        };
        let mut stages = Vec::with_capacity(raw_test.stages.len());
        for (n, raw_stage) in raw_test.stages.into_iter().enumerate() {
            let stage = match raw_stage.stage {
                Some(mut inner) => {
                    if inner.description.is_none() {
                        inner.description = raw_stage.description;
                    }
                    inner
                }
                None => {
                    let (Some(input), Some(output)) = (raw_stage.input, raw_stage.output) else {
                        return Err(LoadError::Invalid {
                            path: path.to_path_buf(),
                            message: format!("test {id}, stage {}: needs input and output", n + 1),
                        });
                    };
                    Stage {
                        description: raw_stage.description,
                        input,
                        output,
                    }
                }
            };
            stages.push(stage);
        }
        tests.push(Test {
            id,
            rule_id: test_rule,
            test_id,
            desc: raw_test.desc,
            tags: raw_test.tags,
            stages,
        });
    }
    Ok(TestFile {
        path: path.to_path_buf(),
        syntax,
        rule_id,
        meta: raw.meta,
        tests,
    })
}

fn detect_syntax(raw: &RawFile) -> Syntax {
    let v1 = raw.rule_id.is_none()
        || raw
            .tests
            .iter()
            .any(|t| t.test_title.is_some() || t.stages.iter().any(|s| s.stage.is_some()));
    if v1 { Syntax::V1 } else { Syntax::V2 }
}

/// `"920100-1"` → (920100, Some(1)); `"944200-0FP"` → (944200, None).
fn split_title(title: &str) -> (Option<u32>, Option<u32>) {
    match title.split_once('-') {
        Some((rule, test)) => (rule.trim().parse().ok(), test.trim().parse().ok()),
        None => (title.trim().parse().ok(), None),
    }
}

fn rule_id_from_name(path: &Path) -> Option<u32> {
    let name = path.file_name()?.to_str()?;
    let start = name.find(|c: char| c.is_ascii_digit())?;
    let digits: String = name[start..]
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse().ok()
}

fn one_line(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ftw::model::Data;

    const V1: &str = r#"---
meta:
  author: "someone"
  enabled: true
  name: "920100.yaml"
tests:
  - # comment
    test_title: 920100-1
    stages:
      - stage:
          input:
            dest_addr: "127.0.0.1"
            port: 80
            headers:
              Host: localhost
              Content-Length: 7
            data:
              - a=1
              - b=2
            stop_magic: true
          output:
            status: [400, 403]
            log_contains: id "920100"
  - test_title: 944200-0FP
    stages:
      - stage:
          input:
            raw_request: "GET / HTTP/1.0\r\n\r\n\0\x05"
          output:
            no_log_contains: id "944200"
"#;

    const V2: &str = r#"meta:
rule_id: 942100
tests:
- test_id: 3
  desc: x
  stages:
  - input:
      headers: { Host: localhost, X: ~ }
      data: "a"
      autocomplete_headers: false
    output:
      status: 403
      log:
        expect_ids: [942100]
        no_expect_id: 920100
- stages:
  - input: {}
    output:
      log:
"#;

    #[test]
    fn v1_file() {
        let f = load_str(V1, Path::new("x/920100.yaml")).unwrap();
        assert_eq!(f.syntax, Syntax::V1);
        assert_eq!(f.rule_id, 920100);
        assert_eq!(f.tests.len(), 2);
        let t = &f.tests[0];
        assert_eq!(
            (t.id.as_str(), t.rule_id, t.test_id),
            ("920100-1", 920100, Some(1))
        );
        let i = &t.stages[0].input;
        assert_eq!(i.headers.as_ref().unwrap()["Content-Length"].as_str(), "7");
        assert_eq!(i.data, Some(Data::Lines(vec!["a=1".into(), "b=2".into()])));
        assert_eq!(
            t.stages[0].output.status.as_ref().unwrap().0,
            vec![400, 403]
        );
        let t = &f.tests[1];
        assert_eq!((t.id.as_str(), t.test_id), ("944200-0FP", None));
        assert_eq!(
            t.stages[0].input.raw_request.as_deref(),
            Some("GET / HTTP/1.0\r\n\r\n\0\u{5}")
        );
    }

    #[test]
    fn v2_file() {
        let f = load_str(V2, Path::new("942100.yaml")).unwrap();
        assert_eq!(f.syntax, Syntax::V2);
        assert_eq!(f.tests[0].id, "942100-3");
        // Without test_id, the position (go-ftw).
        assert_eq!(f.tests[1].id, "942100-2");
        let s = &f.tests[0].stages[0];
        assert_eq!(s.input.headers.as_ref().unwrap()["X"].as_str(), "");
        assert_eq!(s.output.status.as_ref().unwrap().0, vec![403]);
        assert_eq!(s.output.log.no_expect_ids.as_ref().unwrap().0, vec![920100]);
    }

    #[test]
    fn rule_id_from_file_name() {
        let f = load_str(
            "tests:\n- stages: []\n",
            Path::new("dir-1/REQUEST-913-x/913100.yaml"),
        )
        .unwrap();
        assert_eq!(f.rule_id, 913100);
        assert_eq!(f.tests[0].id, "913100-1");
        assert!(matches!(
            load_str("tests: []\n", Path::new("none.yaml")),
            Err(LoadError::Invalid { .. })
        ));
    }

    #[test]
    fn structural_errors_are_typed() {
        let p = Path::new("1.yaml");
        assert!(matches!(
            load_str("tests: 5\n", p),
            Err(LoadError::Yaml { .. })
        ));
        assert!(matches!(
            load_str("tests:\n- stages:\n  - input: {}\n", p),
            Err(LoadError::Invalid { .. })
        ));
        assert!(matches!(
            load_str("rule_id: -1\ntests: []\n", p),
            Err(LoadError::Invalid { .. })
        ));
        assert!(matches!(load_str("[", p), Err(LoadError::Yaml { .. })));
        assert!(matches!(
            load_str(
                "rule_id: 1\ntests:\n- test_id: 99999999999\n  stages: []\n",
                p
            ),
            Err(LoadError::Invalid { .. })
        ));
        // An empty document is a file without tests.
        assert_eq!(load_str("", p).unwrap().tests.len(), 0);
        let e = load_str("tests: [1, 2]\n", p).unwrap_err().to_string();
        assert!(!e.contains('\n'), "{e}");
    }

    #[test]
    fn never_panics_on_cut_or_mangled_yaml() {
        for text in [V1, V2] {
            for end in 0..text.len() {
                if text.is_char_boundary(end) {
                    let _ = load_str(&text[..end], Path::new("1.yaml"));
                }
            }
            let mangled: String = text
                .chars()
                .map(|c| if c == ':' { '-' } else { c })
                .collect();
            let _ = load_str(&mangled, Path::new("1.yaml"));
            let deep = "[".repeat(10_000);
            let _ = load_str(&deep, Path::new("1.yaml"));
            let _ = load_str("&a [*a, *a]\n", Path::new("1.yaml"));
        }
    }
}
