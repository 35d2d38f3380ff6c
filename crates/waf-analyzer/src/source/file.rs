//! Following a JSON-lines file like `tail -F`.
//!
//! The follower polls (no inotify: it works the same on every file system,
//! including the overlay and network mounts log files tend to live on). Each
//! poll reads what was appended to the open handle, then looks at the path:
//!
//! * a different inode means the file was **rotated**: the old handle has just
//!   been read to its end (a last line without newline is taken as complete, the
//!   writer has moved on), and the new file is read from its start;
//! * the same inode but a size below our offset means it was **truncated**
//!   (`copytruncate`): reading restarts at 0;
//! * no file means it is between rename and re-create: we keep the old handle
//!   and look again next poll.
//!
//! The offset of the last complete line is written to a state file
//! (`{"dev":..,"ino":..,"offset":..}`, write-then-rename) so a restart resumes
//! where it stopped; when the inode no longer matches, the new file is read
//! from the start. A partial last line stays buffered until its newline comes.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::SourceError;

/// Longest line kept; longer ones are dropped and reported.
pub const MAX_LINE: usize = 4 << 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct State {
    dev: u64,
    ino: u64,
    offset: u64,
}

/// What one poll did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PollStats {
    /// Complete lines handed to the sink.
    pub lines: usize,
    /// The file was replaced.
    pub rotated: bool,
    /// The file shrank below our offset.
    pub truncated: bool,
    /// Lines dropped for exceeding [`MAX_LINE`].
    pub oversized: usize,
}

/// A followed file.
pub struct FileFollower {
    path: PathBuf,
    state_file: Option<PathBuf>,
    file: Option<File>,
    id: (u64, u64),
    /// Offset just after the last complete line handed out.
    offset: u64,
    /// Offset up to which the handle has been read (offset + partial.len()).
    read_pos: u64,
    partial: Vec<u8>,
    skipping: bool,
    first_open: bool,
    from_start: bool,
    saved: Option<State>,
    buf: Vec<u8>,
}

impl FileFollower {
    /// Prepares to follow `path`. With a state file whose inode matches, reading
    /// resumes at the saved offset; otherwise at the start (`from_start`) or end.
    pub fn new(
        path: &Path,
        state_file: Option<&Path>,
        from_start: bool,
    ) -> Result<FileFollower, SourceError> {
        let saved = match state_file {
            Some(sf) => match std::fs::read(sf) {
                Ok(bytes) => serde_json::from_slice::<State>(&bytes).ok(),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(source) => {
                    return Err(SourceError::Io {
                        path: sf.to_path_buf(),
                        source,
                    });
                }
            },
            None => None,
        };
        Ok(FileFollower {
            path: path.to_path_buf(),
            state_file: state_file.map(Path::to_path_buf),
            file: None,
            id: (0, 0),
            offset: 0,
            read_pos: 0,
            partial: Vec::new(),
            skipping: false,
            first_open: true,
            from_start,
            saved,
            buf: vec![0; 256 * 1024],
        })
    }

    /// The followed path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Offset after the last complete line.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    fn io(&self, source: std::io::Error) -> SourceError {
        SourceError::Io {
            path: self.path.clone(),
            source,
        }
    }

    fn open(&mut self) -> Result<bool, SourceError> {
        let mut f = match File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(self.io(e)),
        };
        let meta = f.metadata().map_err(|e| self.io(e))?;
        let id = (meta.dev(), meta.ino());
        let start = if self.first_open {
            match self.saved {
                Some(s) if (s.dev, s.ino) == id && s.offset <= meta.len() => s.offset,
                Some(_) => 0,
                None if self.from_start => 0,
                None => meta.len(),
            }
        } else {
            0
        };
        self.first_open = false;
        f.seek(SeekFrom::Start(start)).map_err(|e| self.io(e))?;
        self.file = Some(f);
        self.id = id;
        self.offset = start;
        self.read_pos = start;
        self.partial.clear();
        self.skipping = false;
        Ok(true)
    }

    /// Reads what is new and hands each complete line (without `\n`/`\r\n`) to `sink`.
    pub fn poll(&mut self, sink: &mut dyn FnMut(&[u8])) -> Result<PollStats, SourceError> {
        let mut stats = PollStats::default();
        if self.file.is_none() && !self.open()? {
            return Ok(stats);
        }
        self.drain(sink, &mut stats)?;
        // Now compare the path with our handle.
        match std::fs::metadata(&self.path) {
            Ok(meta) => {
                if (meta.dev(), meta.ino()) != self.id {
                    // Rotated: the old file is finished; its unterminated tail is a line.
                    self.flush_partial(sink, &mut stats);
                    stats.rotated = true;
                    self.file = None;
                    if self.open()? {
                        self.drain(sink, &mut stats)?;
                    }
                } else if meta.len() < self.read_pos {
                    stats.truncated = true;
                    self.partial.clear();
                    self.skipping = false;
                    if let Some(f) = self.file.as_mut() {
                        f.seek(SeekFrom::Start(0)).map_err(|e| SourceError::Io {
                            path: self.path.clone(),
                            source: e,
                        })?;
                    }
                    self.offset = 0;
                    self.read_pos = 0;
                    self.drain(sink, &mut stats)?;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(self.io(e)),
        }
        Ok(stats)
    }

    fn flush_partial(&mut self, sink: &mut dyn FnMut(&[u8]), stats: &mut PollStats) {
        if !self.partial.is_empty() && !self.skipping {
            let line = std::mem::take(&mut self.partial);
            emit(&line, sink, stats);
        }
        self.partial.clear();
        self.offset = self.read_pos;
    }

    fn drain(
        &mut self,
        sink: &mut dyn FnMut(&[u8]),
        stats: &mut PollStats,
    ) -> Result<(), SourceError> {
        let Some(file) = self.file.as_mut() else {
            return Ok(());
        };
        loop {
            let n = match file.read(&mut self.buf) {
                Ok(0) => return Ok(()),
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(SourceError::Io {
                        path: self.path.clone(),
                        source: e,
                    });
                }
            };
            let chunk_start = self.read_pos;
            self.read_pos += n as u64;
            let mut pos = 0;
            while let Some(rel) = self.buf[pos..n].iter().position(|b| *b == b'\n') {
                let nl = pos + rel;
                let piece = &self.buf[pos..nl];
                if self.skipping {
                    self.skipping = false;
                } else if self.partial.is_empty() {
                    emit(piece, sink, stats);
                } else {
                    self.partial.extend_from_slice(piece);
                    let line = std::mem::take(&mut self.partial);
                    emit(&line, sink, stats);
                }
                self.offset = chunk_start + nl as u64 + 1;
                pos = nl + 1;
            }
            let chunk = &self.buf[pos..n];
            if !chunk.is_empty() && !self.skipping {
                if self.partial.len() + chunk.len() > MAX_LINE {
                    self.partial.clear();
                    self.skipping = true;
                    stats.oversized += 1;
                } else {
                    self.partial.extend_from_slice(chunk);
                }
            }
        }
    }

    /// Writes the state file (if configured). Atomic: write to `.tmp`, then rename.
    pub fn save_state(&self) -> Result<(), SourceError> {
        let Some(sf) = &self.state_file else {
            return Ok(());
        };
        if self.file.is_none() {
            return Ok(());
        }
        let st = State {
            dev: self.id.0,
            ino: self.id.1,
            offset: self.offset,
        };
        let tmp = sf.with_extension("tmp");
        let bytes = serde_json::to_vec(&st).unwrap_or_default();
        let io = |source| SourceError::Io {
            path: sf.clone(),
            source,
        };
        std::fs::write(&tmp, bytes).map_err(io)?;
        std::fs::rename(&tmp, sf).map_err(io)?;
        Ok(())
    }
}

fn emit(line: &[u8], sink: &mut dyn FnMut(&[u8]), stats: &mut PollStats) {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.iter().all(u8::is_ascii_whitespace) {
        return;
    }
    stats.lines += 1;
    sink(line);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn collect(f: &mut FileFollower) -> (Vec<String>, PollStats) {
        let mut out = Vec::new();
        let st = f
            .poll(&mut |l| out.push(String::from_utf8_lossy(l).into_owned()))
            .unwrap();
        (out, st)
    }

    fn append(p: &Path, s: &str) {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(p)
            .unwrap();
        f.write_all(s.as_bytes()).unwrap();
    }

    fn tmpdir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("waf-analyzer-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn partial_lines_rotation_truncation_and_restart() {
        let d = tmpdir("follow");
        let log = d.join("audit.log");
        let state = d.join("audit.offset");
        append(&log, "old\n");
        let mut f = FileFollower::new(&log, Some(&state), false).unwrap();
        // Starts at the end without state.
        assert_eq!(collect(&mut f).0, Vec::<String>::new());
        append(&log, "a\nb");
        assert_eq!(collect(&mut f).0, vec!["a"]);
        append(&log, "c\r\n\n");
        assert_eq!(collect(&mut f).0, vec!["bc"]);
        f.save_state().unwrap();

        // Restart resumes at the saved offset.
        append(&log, "d\n");
        let mut f = FileFollower::new(&log, Some(&state), false).unwrap();
        assert_eq!(collect(&mut f).0, vec!["d"]);

        // Rotation: unterminated tail of the old file is kept, the new file read from 0.
        append(&log, "e");
        std::fs::rename(&log, d.join("audit.log.1")).unwrap();
        append(&log, "f\n");
        let (lines, st) = collect(&mut f);
        assert_eq!(lines, vec!["e", "f"]);
        assert!(st.rotated);

        // Truncation (copytruncate), seen before and after new data arrives.
        std::fs::write(&log, "").unwrap();
        let (lines, st) = collect(&mut f);
        assert!(lines.is_empty() && st.truncated);
        append(&log, "g\n");
        assert_eq!(collect(&mut f).0, vec!["g"]);
        append(&log, "a-longer-line\n");
        assert_eq!(collect(&mut f).0, vec!["a-longer-line"]);
        std::fs::write(&log, "").unwrap();
        append(&log, "k\n");
        let (lines, st) = collect(&mut f);
        assert_eq!(lines, vec!["k"]);
        assert!(st.truncated);

        // Missing file between rename and create: nothing, no error.
        std::fs::remove_file(&log).unwrap();
        assert_eq!(collect(&mut f).0, Vec::<String>::new());
        append(&log, "h\n");
        assert_eq!(collect(&mut f).0, vec!["h"]);

        // A saved state for another inode: the new file is read from the start.
        f.save_state().unwrap();
        std::fs::remove_file(&log).unwrap();
        append(&log, "i\nj\n");
        let mut f = FileFollower::new(&log, Some(&state), false).unwrap();
        assert_eq!(collect(&mut f).0, vec!["i", "j"]);
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn garbage_state_file_is_ignored() {
        let d = tmpdir("state");
        let log = d.join("a.log");
        let state = d.join("a.offset");
        std::fs::write(&state, b"\xff not json").unwrap();
        append(&log, "x\n");
        let mut f = FileFollower::new(&log, Some(&state), true).unwrap();
        assert_eq!(collect(&mut f).0, vec!["x"]);
        let _ = std::fs::remove_dir_all(&d);
    }
}
