//! `multipart/form-data` bodies, with ModSecurity's strict-error flags.
//!
//! # What ModSecurity v3 does
//!
//! **Boundary.** The `Content-Type` value must start with
//! `multipart/form-data` (any case) and be at most 1024 bytes. The word
//! `boundary` followed anywhere later by `=` may appear only once (any case).
//! The parameter is then looked up case-sensitively; between the MIME type
//! and `boundary` only whitespace and one `;` may appear (no `;` sets
//! `MULTIPART_MISSING_SEMICOLON`); whitespace between `boundary` and `=` or
//! right after `=` sets `MULTIPART_BOUNDARY_WHITESPACE`. The value is the rest
//! of the header; if it is wrapped in double quotes they are removed and
//! `MULTIPART_BOUNDARY_QUOTED` is set, a lone quote at either end is an error.
//! The value may not contain `boundary=` again and may only use the RFC 2046
//! boundary characters (a space is allowed, but not last). Anything else is a
//! hard error that stops processing and sets `REQBODY_ERROR`.
//!
//! **Body.** The body is read line by line through a 4096-byte buffer (a
//! line longer than that is handled in pieces, and a `\r` is never the last
//! byte of a piece). A piece that starts a line with `--boundary` followed by
//! exactly CRLF or LF is a boundary (`--boundary--` the final one); anything
//! else after the boundary text is an error. A line starting with `--` that
//! does not match sets `MULTIPART_UNMATCHED_BOUNDARY` to 1 (after the first
//! real boundary each real boundary sets it to 2), and so does the boundary
//! text anywhere inside a line. A quoted or whitespace-prefixed copy of the
//! boundary is an error. Data before the first boundary sets
//! `MULTIPART_DATA_BEFORE`; anything after the final boundary sets
//! `MULTIPART_DATA_AFTER`.
//!
//! **Part headers** end at an empty line; each line sets
//! `MULTIPART_LF_LINE` or `MULTIPART_CRLF_LINE` by its ending. A line that
//! starts with whitespace continues the previous header
//! (`MULTIPART_HEADER_FOLDING`; whitespace other than space/tab also sets
//! `MULTIPART_INVALID_HEADER_FOLDING`). NUL bytes, a missing colon, an empty
//! header name, folding with no header to continue, a header over 4096 bytes
//! and a duplicate header are errors. At the empty line the part needs a
//! `Content-Disposition: form-data` header with a `name`; `filename` makes it
//! a file. Parameters may be quoted with `"` or `'` (`'` sets
//! `MULTIPART_INVALID_QUOTING`, as does `'` inside a name or filename), `\`
//! escapes only the quote and itself, unknown parameters and duplicates are
//! errors. Every `name`/`filename` value seen goes to `MULTIPART_NAME` /
//! `MULTIPART_FILENAME`, and every header line of a named part goes to
//! `MULTIPART_PART_HEADERS:<name>`.
//!
//! **Data.** The line break that precedes a boundary belongs to the
//! boundary, not to the part. A part whose headers never completed is
//! dropped and sets `MULTIPART_INVALID_PART`. A body without a final
//! boundary is an error ("Final boundary missing", or "No boundaries found in
//! payload").
//!
//! `MULTIPART_STRICT_ERROR` is the OR of the hard-error flag and every flag
//! above except `MULTIPART_UNMATCHED_BOUNDARY` and `MULTIPART_CRLF_LINE`.
//!
//! # What we do, and where we differ on purpose
//!
//! The behaviour above, with these differences, each toward inspecting more
//! or failing closed:
//!
//! - Processing stops at the first hard error. (v3 keeps going after errors
//!   in part headers because of a return-value check, while still reporting
//!   the error.)
//! - Form field values keep their inner line breaks: `a\r\nb` stays
//!   `a\r\nb`. (v3 loses the held-back CRLF of each inner line of a field
//!   value and of `FILES_TMP_CONTENT`; ModSecurity v2 and Coraza keep it.)
//! - An empty quoted boundary (`boundary=""`) is an error; v3 accepts it
//!   silently with an empty boundary. An unterminated quoted
//!   Content-Disposition parameter is error -10; v3 reads past the string.
//! - A duplicate part header is reported as an error message; v3 stops
//!   parsing the line silently.
//! - When the final boundary is missing, the part being read is still
//!   returned (with the error), so rules see its data.
//! - Files count toward [`BodyLimits::max_files`] as soon as their headers
//!   end; v3 counts them only when it writes temporary files. Exceeding it
//!   sets `MULTIPART_FILE_LIMIT_EXCEEDED` and drops that file's content but
//!   keeps the entry.
//! - Form fields beyond [`BodyLimits::max_args`] are dropped with
//!   `args_limit_hit` (v3 does not apply `SecArgumentsLimit` to multipart).
//! - More than [`BodyLimits::max_parts`] parts is a hard error.
//!
//! Memory is bounded by the body size: field values, header lines and the
//! kept file content (at most `max_file_content` per file) are slices of it.

use std::collections::HashSet;

use super::BodyLimits;

/// ModSecurity's multipart line buffer size; it bounds header lines too.
const BUF_SIZE: usize = 4096;

/// The boundary and the flags found while extracting it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Boundary {
    /// The boundary, without quotes.
    pub boundary: Vec<u8>,
    /// `MULTIPART_BOUNDARY_QUOTED`.
    pub quoted: bool,
    /// `MULTIPART_BOUNDARY_WHITESPACE`.
    pub whitespace: bool,
    /// `MULTIPART_MISSING_SEMICOLON`.
    pub missing_semicolon: bool,
}

/// The `MULTIPART_*` flag variables.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MultipartFlags {
    /// A hard error stopped processing (part of `MULTIPART_STRICT_ERROR`).
    pub error: bool,
    /// `MULTIPART_BOUNDARY_QUOTED`.
    pub boundary_quoted: bool,
    /// `MULTIPART_BOUNDARY_WHITESPACE`.
    pub boundary_whitespace: bool,
    /// `MULTIPART_DATA_BEFORE`.
    pub data_before: bool,
    /// `MULTIPART_DATA_AFTER`.
    pub data_after: bool,
    /// `MULTIPART_HEADER_FOLDING`.
    pub header_folding: bool,
    /// `MULTIPART_LF_LINE`: a boundary or header line ended in a bare LF.
    pub lf_line: bool,
    /// `MULTIPART_CRLF_LINE`: a boundary or header line ended in CRLF.
    pub crlf_line: bool,
    /// `MULTIPART_MISSING_SEMICOLON`.
    pub missing_semicolon: bool,
    /// `MULTIPART_INVALID_QUOTING`.
    pub invalid_quoting: bool,
    /// `MULTIPART_INVALID_PART`.
    pub invalid_part: bool,
    /// `MULTIPART_INVALID_HEADER_FOLDING`.
    pub invalid_header_folding: bool,
    /// `MULTIPART_FILE_LIMIT_EXCEEDED`.
    pub file_limit_exceeded: bool,
    /// `MULTIPART_UNMATCHED_BOUNDARY`: 0, 1 (something looked like a boundary
    /// but was not one) or 2 (v3's value once a second real boundary is seen,
    /// which overrides 1; rules test `@eq 1`).
    pub unmatched_boundary: u8,
}

impl MultipartFlags {
    /// `MULTIPART_STRICT_ERROR`.
    pub fn strict_error(&self) -> bool {
        self.error
            || self.boundary_quoted
            || self.boundary_whitespace
            || self.data_before
            || self.data_after
            || self.header_folding
            || self.lf_line
            || self.missing_semicolon
            || self.invalid_quoting
            || self.invalid_part
            || self.invalid_header_folding
            || self.file_limit_exceeded
    }

    /// `MULTIPART_CRLF_LF_LINES`: both line endings were used.
    pub fn crlf_lf_lines(&self) -> bool {
        self.crlf_line && self.lf_line
    }
}

/// One header line of a named part, for `MULTIPART_PART_HEADERS:<part_name>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartHeader {
    /// The part's `name` (the collection key).
    pub part_name: Vec<u8>,
    /// The header line as received, without its line ending
    /// (`Content-Type: text/plain`); folded continuation lines are separate
    /// entries.
    pub line: Vec<u8>,
}

/// An uploaded file (a part with a non-empty `filename`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MultipartFile {
    /// The part's `name` (`FILES_NAMES`; key of `FILES` and `FILES_SIZES`).
    pub name: Vec<u8>,
    /// The `filename` parameter (`FILES`).
    pub filename: Vec<u8>,
    /// Content length in bytes (`FILES_SIZES`), counted even when the content
    /// is not kept.
    pub size: u64,
    /// The part's `Content-Type` header value, if any.
    pub content_type: Option<Vec<u8>>,
    /// The part's headers as `(name, value)`, folded lines joined with a space.
    pub headers: Vec<(Vec<u8>, Vec<u8>)>,
    /// The content kept in memory (`FILES_TMP_CONTENT`), at most
    /// [`BodyLimits::max_file_content`] bytes.
    pub content: Vec<u8>,
    /// `content` is shorter than `size` (limit reached, or over `max_files`).
    pub content_truncated: bool,
}

/// Everything a `multipart/form-data` body yields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MultipartResult {
    /// Form fields `(name, value)` in body order (`ARGS_POST`).
    pub fields: Vec<(Vec<u8>, Vec<u8>)>,
    /// Uploaded files in body order.
    pub files: Vec<MultipartFile>,
    /// `MULTIPART_PART_HEADERS` entries.
    pub part_headers: Vec<PartHeader>,
    /// Every `name` parameter seen (`MULTIPART_NAME`).
    pub names: Vec<Vec<u8>>,
    /// Every `filename` parameter seen (`MULTIPART_FILENAME`).
    pub filenames: Vec<Vec<u8>>,
    /// The `MULTIPART_*` flags.
    pub flags: MultipartFlags,
    /// Form fields were dropped because of [`BodyLimits::max_args`].
    pub args_limit_hit: bool,
    /// The error for `REQBODY_ERROR_MSG` (without v3's
    /// `"multipart parsing error: "` prefix); `Some` means `REQBODY_ERROR`.
    pub error: Option<String>,
}

impl MultipartResult {
    /// `FILES_COMBINED_SIZE`.
    pub fn files_combined_size(&self) -> u64 {
        self.files.iter().map(|f| f.size).sum()
    }
}

/// Extracts the boundary from a `Content-Type` header value with
/// ModSecurity's checks. The error is the `REQBODY_ERROR_MSG` text.
///
/// ```
/// use waf_core::body::boundary_from_content_type;
/// let b = boundary_from_content_type(b"multipart/form-data; boundary=\"abc\"").unwrap();
/// assert_eq!(b.boundary, b"abc");
/// assert!(b.quoted);
/// assert!(boundary_from_content_type(b"multipart/form-data; boundary=\"abc").is_err());
/// ```
pub fn boundary_from_content_type(content_type: &[u8]) -> Result<Boundary, String> {
    let mut flags = MultipartFlags::default();
    let boundary = extract_boundary(content_type, &mut flags)?;
    Ok(Boundary {
        boundary,
        quoted: flags.boundary_quoted,
        whitespace: flags.boundary_whitespace,
        missing_semicolon: flags.missing_semicolon,
    })
}

/// Parses a `multipart/form-data` body. `content_type` is the request's
/// `Content-Type` header value.
///
/// ```
/// use waf_core::body::{parse_multipart, BodyLimits};
/// let body = b"--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--b--\r\n";
/// let r = parse_multipart(b"multipart/form-data; boundary=b", body, &BodyLimits::default());
/// assert_eq!(r.fields, vec![(b"a".to_vec(), b"1".to_vec())]);
/// assert!(r.error.is_none() && !r.flags.strict_error());
/// ```
pub fn parse_multipart(content_type: &[u8], body: &[u8], limits: &BodyLimits) -> MultipartResult {
    let mut parser = Parser {
        out: MultipartResult::default(),
        limits,
        boundary: Vec::new(),
        marker: Vec::new(),
        part: None,
        parts_seen: 0,
        files_kept: 0,
        boundary_count: 0,
        complete: false,
    };
    match extract_boundary(content_type, &mut parser.out.flags) {
        Ok(boundary) => {
            parser.marker = [&b"--"[..], &boundary].concat();
            parser.boundary = boundary;
        }
        Err(message) => {
            parser.out.flags.error = true;
            parser.out.error = Some(message);
            return parser.out;
        }
    }
    if let Err(message) = parser.run(body) {
        parser.out.flags.error = true;
        parser.out.error = Some(message);
    }
    parser.out
}

fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Occurrences of `boundary` (any case) that have a `=` somewhere after them.
fn count_boundary_params(value: &[u8]) -> usize {
    let lower = value.to_ascii_lowercase();
    let Some(last_eq) = lower.iter().rposition(|&b| b == b'=') else {
        return 0;
    };
    let mut count = 0;
    let mut from = 0;
    while let Some(at) = find(&lower[from..], b"boundary") {
        let end = from + at + 8;
        if last_eq >= end {
            count += 1;
        }
        from = end;
    }
    count
}

fn boundary_char_ok(c: u8, is_last: bool) -> bool {
    c.is_ascii_alphanumeric()
        || (c == b' ' && !is_last)
        || matches!(
            c,
            b'\'' | b'(' | b')' | b'+' | b'_' | b',' | b'-' | b'.' | b'/' | b':' | b'=' | b'?'
        )
}

fn extract_boundary(ct: &[u8], flags: &mut MultipartFlags) -> Result<Vec<u8>, String> {
    const MIME: &[u8] = b"multipart/form-data";
    let malformed = || "Multipart: Invalid boundary in C-T (malformed).".to_string();
    if ct.is_empty() {
        return Err("Multipart: Content-Type header not available.".into());
    }
    if ct.len() > 1024 {
        return Err("Multipart: Invalid boundary in C-T (length).".into());
    }
    if ct.len() < MIME.len() || !ct[..MIME.len()].eq_ignore_ascii_case(MIME) {
        return Err("Multipart: Invalid MIME type.".into());
    }
    if count_boundary_params(ct) > 1 {
        return Err("Multipart: Multiple boundary parameters in C-T.".into());
    }
    let Some(at) = find(ct, b"boundary") else {
        if count_boundary_params(ct) > 0 {
            return Err("Multipart: Invalid boundary in C-T (case sensitivity).".into());
        }
        return Err("Multipart: Boundary not found in C-T.".into());
    };
    let mut seen_semicolon = false;
    for &c in ct.get(MIME.len()..at).unwrap_or_default() {
        if is_c_space(c) {
            continue;
        }
        if c == b';' && !seen_semicolon {
            seen_semicolon = true;
        } else {
            return Err(malformed());
        }
    }
    flags.missing_semicolon = !seen_semicolon;
    let after_name = at + 8;
    let Some(eq) = ct[after_name..]
        .iter()
        .position(|&b| b == b'=')
        .map(|i| after_name + i)
    else {
        return Err(malformed());
    };
    for &c in &ct[after_name..eq] {
        if is_c_space(c) {
            flags.boundary_whitespace = true;
        } else {
            return Err("Multipart: Invalid boundary in C-T (parameter name).".into());
        }
    }
    let value = &ct[eq + 1..];
    if value.first().is_some_and(|&c| is_c_space(c)) {
        flags.boundary_whitespace = true;
    }
    let boundary = if value.len() >= 2 && value[0] == b'"' && value[value.len() - 1] == b'"' {
        flags.boundary_quoted = true;
        &value[1..value.len() - 1]
    } else {
        if value.first() == Some(&b'"') || (value.len() >= 2 && value[value.len() - 1] == b'"') {
            return Err("Multipart: Invalid boundary in C-T (quote).".into());
        }
        value
    };
    if boundary.is_empty() {
        return Err("Multipart: Invalid boundary in C-T (empty).".into());
    }
    if count_boundary_params(boundary) != 0 {
        return Err("Multipart: Invalid boundary in C-T (content).".into());
    }
    let last = boundary.len() - 1;
    if !boundary
        .iter()
        .enumerate()
        .all(|(i, &c)| boundary_char_ok(c, i == last))
    {
        return Err("Multipart: Invalid boundary in C-T (characters).".into());
    }
    Ok(boundary.to_vec())
}

/// The part being read.
#[derive(Default)]
struct Part {
    headers: Vec<(Vec<u8>, Vec<u8>)>,
    /// Lowercased header names, for the duplicate check.
    header_names: HashSet<Vec<u8>>,
    header_lines: Vec<Vec<u8>>,
    last_header: Option<usize>,
    name: Vec<u8>,
    filename: Vec<u8>,
    in_data: bool,
    is_file: bool,
    keep_content: bool,
    /// Field value, or the kept file content.
    data: Vec<u8>,
    size: u64,
    truncated: bool,
    /// The line break that ended the last data line: it is part of the data
    /// only if more data follows, not if a boundary does.
    reserve: &'static [u8],
}

impl Part {
    fn header(&self, name: &[u8]) -> Option<&Vec<u8>> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    fn push_data(&mut self, bytes: &[u8], limit: usize) {
        self.size = self.size.saturating_add(bytes.len() as u64);
        if self.is_file {
            let room = if self.keep_content {
                limit.saturating_sub(self.data.len())
            } else {
                0
            };
            let take = room.min(bytes.len());
            self.data.extend_from_slice(&bytes[..take]);
            self.truncated |= take < bytes.len();
        } else {
            self.data.extend_from_slice(bytes);
        }
    }
}

struct Parser<'l> {
    out: MultipartResult,
    limits: &'l BodyLimits,
    boundary: Vec<u8>,
    /// `--` followed by the boundary.
    marker: Vec<u8>,
    part: Option<Part>,
    parts_seen: usize,
    files_kept: usize,
    boundary_count: usize,
    complete: bool,
}

impl Parser<'_> {
    fn run(&mut self, body: &[u8]) -> Result<(), String> {
        let mut pos = 0;
        let mut line_start = true;
        while pos < body.len() {
            let rest = &body[pos..];
            let head = &rest[..rest.len().min(BUF_SIZE - 1)];
            // `full`: the piece ended because the buffer filled, not at a line end.
            let (piece, newline, full) = if let Some(i) = head.iter().position(|&b| b == b'\n') {
                (&rest[..=i], true, false)
            } else if rest.len() >= BUF_SIZE {
                if rest[BUF_SIZE - 1] == b'\r' {
                    (&rest[..BUF_SIZE - 1], false, true)
                } else {
                    (&rest[..BUF_SIZE], rest[BUF_SIZE - 1] == b'\n', true)
                }
            } else {
                // A partial last line: ModSecurity waits for more data and only
                // checks it for the final boundary when the body ends.
                return self.finish(rest, line_start);
            };
            self.piece(piece, line_start, full)?;
            pos += piece.len();
            line_start = newline;
            if self.complete {
                if pos < body.len() {
                    self.out.flags.data_after = true;
                }
                return Ok(());
            }
        }
        self.finish(&[], line_start)
    }

    fn piece(&mut self, piece: &[u8], line_start: bool, full: bool) -> Result<(), String> {
        let b = &self.boundary;
        if line_start && piece.len() > 3 && piece.starts_with(b"--") {
            if piece.len() >= b.len() + 2 && piece[2..].starts_with(b) {
                if self.boundary_count > 0 {
                    self.out.flags.unmatched_boundary = 2;
                }
                let mut end = &piece[2 + b.len()..];
                let is_final = end.starts_with(b"--");
                if is_final {
                    end = &end[2..];
                }
                match end {
                    b"\r\n" => self.out.flags.crlf_line = true,
                    b"\n" => self.out.flags.lf_line = true,
                    _ => {
                        return Err(format!(
                            "Multipart: Invalid boundary: {}",
                            String::from_utf8_lossy(piece)
                        ));
                    }
                }
                self.boundary_count += 1;
                return self.on_boundary(is_final);
            }
            if self.out.flags.boundary_quoted
                && piece.len() >= b.len() + 3
                && piece[2] == b'"'
                && piece[3..].starts_with(b)
            {
                return Err("Multipart: Invalid boundary (quotes).".into());
            }
            let spaces = piece[2..].iter().take_while(|&&c| is_c_space(c)).count();
            if spaces > 0 && piece[2 + spaces..].starts_with(b) {
                return Err("Multipart: Invalid boundary (whitespace).".into());
            }
            self.out.flags.unmatched_boundary = 1;
        } else if line_start && contains_boundary_marker(piece, &self.marker) {
            self.out.flags.unmatched_boundary = 1;
        }

        let limit = self.limits.max_file_content;
        match self.part.as_mut() {
            None => self.out.flags.data_before = true,
            Some(part) if part.in_data => {
                let (data, reserve): (&[u8], &'static [u8]) = if piece.ends_with(b"\r\n") {
                    (&piece[..piece.len() - 2], b"\r\n")
                } else if piece.ends_with(b"\n") {
                    (&piece[..piece.len() - 1], b"\n")
                } else {
                    (piece, b"")
                };
                let held = std::mem::replace(&mut part.reserve, reserve);
                part.push_data(held, limit);
                part.push_data(data, limit);
            }
            Some(_) => {
                if full {
                    return Err(format!(
                        "Multipart: Part header line over {BUF_SIZE} bytes long"
                    ));
                }
                self.header_line(piece)?;
            }
        }
        Ok(())
    }

    fn header_line(&mut self, line: &[u8]) -> Result<(), String> {
        if line.contains(&0) {
            return Err("Multipart: Nul byte in part headers.".into());
        }
        let flags = &mut self.out.flags;
        if line.len() > 1 && line[line.len() - 2] == b'\r' {
            flags.crlf_line = true;
        } else {
            flags.lf_line = true;
        }
        let Some(part) = self.part.as_mut() else {
            return Ok(());
        };
        if line == b"\r\n" || line == b"\n" {
            return self.end_of_headers();
        }
        let text = chomp(line);
        if is_c_space(line[0]) {
            flags.header_folding = true;
            let indent = line.iter().take_while(|&&c| is_c_space(c)).count();
            if line[..indent].iter().any(|&c| c != b' ' && c != b'\t') {
                flags.invalid_header_folding = true;
            }
            let Some(last) = part.last_header else {
                return Err("Multipart: Invalid part header (folding error).".into());
            };
            let value = &mut part.headers[last].1;
            value.push(b' ');
            value.extend_from_slice(chomp(&line[indent.min(line.len())..]));
            if value.len() > BUF_SIZE {
                return Err("Multipart: Part header too long.".into());
            }
            part.header_lines.push(text.to_vec());
            return Ok(());
        }
        let Some(colon) = line.iter().position(|&c| c == b':') else {
            return Err(format!(
                "Multipart: Invalid part header (colon missing): {}",
                String::from_utf8_lossy(line)
            ));
        };
        if colon == 0 {
            return Err("Multipart: Invalid part header (header name missing).".into());
        }
        let name = &line[..colon];
        let after = &line[colon + 1..];
        let skip = after
            .iter()
            .take_while(|&&c| c == b' ' || c == b'\t')
            .count();
        let value = chomp(&after[skip..]);
        if !part.header_names.insert(name.to_ascii_lowercase()) {
            return Err(format!(
                "Multipart: Duplicate part header: {}.",
                String::from_utf8_lossy(name)
            ));
        }
        part.headers.push((name.to_vec(), value.to_vec()));
        part.last_header = Some(part.headers.len() - 1);
        part.header_lines.push(text.to_vec());
        Ok(())
    }

    fn end_of_headers(&mut self) -> Result<(), String> {
        let Some(part) = self.part.as_mut() else {
            return Ok(());
        };
        let Some(cd) = part.header(b"Content-Disposition").cloned() else {
            return Err("Multipart: Part missing Content-Disposition header.".into());
        };
        if let Err(code) = parse_content_disposition(&cd, part, &mut self.out) {
            return Err(format!(
                "Multipart: Invalid Content-Disposition header ({code}): {}",
                String::from_utf8_lossy(&cd)
            ));
        }
        if part.name.is_empty() {
            return Err("Multipart: Content-Disposition header missing name field.".into());
        }
        if !part.filename.is_empty() {
            if find(&cd, b"filename=").is_none() {
                return Err("Multipart: Invalid Content-Disposition header (filename).".into());
            }
            part.is_file = true;
            if self.files_kept >= self.limits.max_files {
                self.out.flags.file_limit_exceeded = true;
            } else {
                self.files_kept += 1;
                part.keep_content = true;
            }
        }
        part.in_data = true;
        part.last_header = None;
        for line in &part.header_lines {
            self.out.part_headers.push(PartHeader {
                part_name: part.name.clone(),
                line: line.clone(),
            });
        }
        Ok(())
    }

    fn on_boundary(&mut self, is_final: bool) -> Result<(), String> {
        if let Some(part) = self.part.take() {
            self.emit(part);
        }
        if is_final {
            self.complete = true;
            return Ok(());
        }
        self.parts_seen += 1;
        if self.parts_seen > self.limits.max_parts {
            return Err(format!(
                "Multipart: Too many parts (limit {}).",
                self.limits.max_parts
            ));
        }
        self.part = Some(Part::default());
        Ok(())
    }

    fn emit(&mut self, part: Part) {
        if part.name.is_empty() {
            self.out.flags.invalid_part = true;
            return;
        }
        if part.is_file {
            let content_type = part.header(b"Content-Type").cloned();
            self.out.files.push(MultipartFile {
                name: part.name,
                filename: part.filename,
                size: part.size,
                content_type,
                headers: part.headers,
                content: part.data,
                content_truncated: part.truncated,
            });
        } else if self.out.fields.len() >= self.limits.max_args {
            self.out.args_limit_hit = true;
        } else {
            self.out.fields.push((part.name, part.data));
        }
    }

    /// End of body: `leftover` is a last line without its line ending.
    fn finish(&mut self, leftover: &[u8], line_start: bool) -> Result<(), String> {
        if self.complete {
            return Ok(());
        }
        let b = &self.boundary;
        let is_final_boundary = line_start
            && leftover.len() == b.len() + 4
            && leftover.starts_with(b"--")
            && leftover[2..].starts_with(b)
            && leftover.ends_with(b"--");
        if self.boundary_count > 0 && is_final_boundary {
            if let Some(part) = self.part.take() {
                self.emit(part);
            }
            self.complete = true;
            return Ok(());
        }
        let seen_data =
            self.boundary_count > 0 || self.out.flags.data_before || !leftover.is_empty();
        if !seen_data {
            return Ok(());
        }
        if self.boundary_count == 0 {
            return Err("Multipart: No boundaries found in payload.".into());
        }
        // Keep what the unfinished part holds so rules can still see it.
        match self.part.take() {
            Some(mut part) if part.in_data => {
                let limit = self.limits.max_file_content;
                let held = std::mem::take(&mut part.reserve);
                part.push_data(held, limit);
                part.push_data(leftover, limit);
                self.emit(part);
            }
            _ => {}
        }
        // Like v3, a missing final boundary is a body error but not a strict-error flag.
        self.out.error = Some("Multipart: Final boundary missing.".into());
        Ok(())
    }
}

/// `--boundary` somewhere inside a line (`marker` is `--` + boundary).
fn contains_boundary_marker(piece: &[u8], marker: &[u8]) -> bool {
    memchr::memmem::find(piece, marker).is_some()
}

/// Drops trailing CR and LF bytes.
fn chomp(line: &[u8]) -> &[u8] {
    let end = line
        .iter()
        .rposition(|&c| c != b'\r' && c != b'\n')
        .map_or(0, |i| i + 1);
    &line[..end]
}

/// RFC 2045 token characters.
fn is_token_char(c: u8) -> bool {
    c > 32
        && c < 127
        && !matches!(
            c,
            b'(' | b')'
                | b'<'
                | b'>'
                | b'@'
                | b','
                | b';'
                | b':'
                | b'\\'
                | b'"'
                | b'/'
                | b'['
                | b']'
                | b'?'
                | b'='
        )
}

/// Parses a `Content-Disposition` value into the part's name and filename.
/// The error codes are ModSecurity's, since they appear in the error message.
fn parse_content_disposition(
    v: &[u8],
    part: &mut Part,
    out: &mut MultipartResult,
) -> Result<(), i32> {
    let at = |p: usize| v.get(p).copied().unwrap_or(0);
    let skip_ws = |mut p: usize| {
        while matches!(at(p), b' ' | b'\t') {
            p += 1;
        }
        p
    };
    if !v.starts_with(b"form-data") {
        return Err(-1);
    }
    let mut p = skip_ws(9);
    if p >= v.len() {
        return Ok(());
    }
    if v[p] != b';' {
        return Err(-2);
    }
    p += 1;
    while p < v.len() {
        p = skip_ws(p);
        if p >= v.len() {
            return Err(-3);
        }
        let start = p;
        while p < v.len() && !matches!(v[p], b'=' | b'\t' | b' ') {
            p += 1;
        }
        if p >= v.len() {
            return Err(-4);
        }
        let param = &v[start..p];
        p = skip_ws(p);
        if p >= v.len() {
            return Err(-5);
        }
        if v[p] != b'=' {
            return Err(-13);
        }
        p = skip_ws(p + 1);
        if p >= v.len() {
            return Err(-6);
        }
        let mut value = Vec::new();
        if v[p] == b'"' || v[p] == b'\'' {
            let quote = v[p];
            if quote == b'\'' {
                out.flags.invalid_quoting = true;
            }
            p += 1;
            if p >= v.len() {
                return Err(-7);
            }
            let mut closed = false;
            while p < v.len() {
                if v[p] == b'\\' {
                    if p + 1 >= v.len() {
                        return Err(-8);
                    }
                    if v[p + 1] == quote || v[p + 1] == b'\\' {
                        p += 1;
                    }
                } else if v[p] == quote {
                    closed = true;
                    break;
                }
                value.push(v[p]);
                p += 1;
            }
            if !closed {
                return Err(-10);
            }
            p += 1;
        } else {
            let start = p;
            while p < v.len() && is_token_char(v[p]) {
                p += 1;
            }
            value.extend_from_slice(&v[start..p]);
        }
        let (seen, slot, duplicate) = match param {
            b"name" => (&mut out.names, &mut part.name, -14),
            b"filename" => (&mut out.filenames, &mut part.filename, -15),
            _ => return Err(-11),
        };
        if value.contains(&b'\'') {
            out.flags.invalid_quoting = true;
        }
        seen.push(value.clone());
        if !slot.is_empty() {
            return Err(duplicate);
        }
        *slot = value;
        if p < v.len() {
            p = skip_ws(p);
            if p >= v.len() {
                return Ok(());
            }
            if v[p] != b';' {
                if matches!(v[p - 1], b'\'' | b'"') {
                    out.flags.invalid_quoting = true;
                }
                return Err(-12);
            }
            p += 1;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const CT: &[u8] = b"multipart/form-data; boundary=XyZ";

    fn parse(body: &[u8]) -> MultipartResult {
        parse_multipart(CT, body, &BodyLimits::default())
    }

    fn field(n: &str, v: &str) -> (Vec<u8>, Vec<u8>) {
        (n.as_bytes().to_vec(), v.as_bytes().to_vec())
    }

    #[test]
    fn fields_and_file() {
        let body = b"--XyZ\r\n\
Content-Disposition: form-data; name=\"a\"\r\n\
\r\n\
hello\r\nworld\r\n\
--XyZ\r\n\
Content-Disposition: form-data; name=\"up\"; filename=\"x.php\"\r\n\
Content-Type: application/x-php\r\n\
\r\n\
<?php echo 1; ?>\r\n\
--XyZ--\r\n";
        let r = parse(body);
        assert_eq!(r.error, None);
        assert_eq!(r.fields, vec![field("a", "hello\r\nworld")]);
        assert_eq!(r.files.len(), 1);
        let f = &r.files[0];
        assert_eq!(f.name, b"up");
        assert_eq!(f.filename, b"x.php");
        assert_eq!(f.size, 16);
        assert_eq!(f.content, b"<?php echo 1; ?>");
        assert_eq!(f.content_type.as_deref(), Some(&b"application/x-php"[..]));
        assert_eq!(r.files_combined_size(), 16);
        assert_eq!(r.names, vec![b"a".to_vec(), b"up".to_vec()]);
        assert_eq!(r.filenames, vec![b"x.php".to_vec()]);
        assert_eq!(r.part_headers.len(), 3);
        assert_eq!(r.part_headers[2].part_name, b"up");
        assert_eq!(r.part_headers[2].line, b"Content-Type: application/x-php");
        assert!(!r.flags.strict_error());
        assert!(r.flags.crlf_line && !r.flags.lf_line);
        assert_eq!(r.flags.unmatched_boundary, 2);
    }

    #[test]
    fn boundary_extraction_checks() {
        let ok = |ct: &[u8]| boundary_from_content_type(ct).unwrap();
        let err = |ct: &[u8]| boundary_from_content_type(ct).unwrap_err();
        assert_eq!(ok(b"multipart/form-data; boundary=abc").boundary, b"abc");
        assert_eq!(ok(b"Multipart/Form-Data;boundary=abc").boundary, b"abc");
        assert!(ok(b"multipart/form-data boundary=abc").missing_semicolon);
        assert!(ok(b"multipart/form-data; boundary =abc").whitespace);
        assert!(ok(b"multipart/form-data; boundary=\"a b\"").quoted);
        assert_eq!(err(b""), "Multipart: Content-Type header not available.");
        assert_eq!(
            err(b"text/plain; boundary=a"),
            "Multipart: Invalid MIME type."
        );
        assert_eq!(
            err(b"multipart/form-data"),
            "Multipart: Boundary not found in C-T."
        );
        assert_eq!(
            err(b"multipart/form-data; BOUNDARY=a"),
            "Multipart: Invalid boundary in C-T (case sensitivity)."
        );
        assert_eq!(
            err(b"multipart/form-data; boundary=a; boundary=b"),
            "Multipart: Multiple boundary parameters in C-T."
        );
        assert_eq!(
            err(b"multipart/form-data; x; boundary=a"),
            "Multipart: Invalid boundary in C-T (malformed)."
        );
        assert_eq!(
            err(b"multipart/form-data; boundary"),
            "Multipart: Invalid boundary in C-T (malformed)."
        );
        assert_eq!(
            err(b"multipart/form-data; boundaryx=a"),
            "Multipart: Invalid boundary in C-T (parameter name)."
        );
        assert_eq!(
            err(b"multipart/form-data; boundary=\"a"),
            "Multipart: Invalid boundary in C-T (quote)."
        );
        assert_eq!(
            err(b"multipart/form-data; boundary=a\""),
            "Multipart: Invalid boundary in C-T (quote)."
        );
        assert_eq!(
            err(b"multipart/form-data; boundary=\"\""),
            "Multipart: Invalid boundary in C-T (empty)."
        );
        assert_eq!(
            err(b"multipart/form-data; boundary="),
            "Multipart: Invalid boundary in C-T (empty)."
        );
        assert_eq!(
            err(b"multipart/form-data; boundary=a<b"),
            "Multipart: Invalid boundary in C-T (characters)."
        );
        assert_eq!(
            err(b"multipart/form-data; boundary=ab "),
            "Multipart: Invalid boundary in C-T (characters)."
        );
        // Trailing parameters stay in the value, as in v3, and fail the character check.
        assert!(
            boundary_from_content_type(b"multipart/form-data; boundary=a; charset=utf-8").is_err()
        );
        let long = [&b"multipart/form-data; boundary="[..], &[b'a'; 1000]].concat();
        assert_eq!(err(&long), "Multipart: Invalid boundary in C-T (length).");
    }

    #[test]
    fn content_type_error_stops_parsing() {
        let r = parse_multipart(b"multipart/form-data", b"--a\r\n", &BodyLimits::default());
        assert!(r.flags.error && r.flags.strict_error());
        assert_eq!(
            r.error.as_deref(),
            Some("Multipart: Boundary not found in C-T.")
        );
    }

    #[test]
    fn lf_lines_and_mixed_endings() {
        let body = b"--XyZ\nContent-Disposition: form-data; name=\"a\"\r\n\n1\n--XyZ--\n";
        let r = parse(body);
        assert_eq!(r.error, None);
        assert_eq!(r.fields, vec![field("a", "1")]);
        assert!(r.flags.lf_line && r.flags.crlf_line && r.flags.crlf_lf_lines());
        assert!(r.flags.strict_error());
    }

    #[test]
    fn data_before_and_after() {
        let body =
            b"junk\r\n--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--XyZ--\r\nmore";
        let r = parse(body);
        assert!(r.flags.data_before && r.flags.data_after);
        assert_eq!(r.fields, vec![field("a", "1")]);
        assert_eq!(r.error, None);
    }

    #[test]
    fn final_boundary_without_line_ending() {
        let r = parse(b"--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--XyZ--");
        assert_eq!(r.error, None);
        assert_eq!(r.fields, vec![field("a", "1")]);
        assert!(!r.flags.data_after);
    }

    #[test]
    fn missing_final_boundary_keeps_data_but_errors() {
        let r = parse(b"--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\nabc");
        assert_eq!(
            r.error.as_deref(),
            Some("Multipart: Final boundary missing.")
        );
        assert_eq!(r.fields, vec![field("a", "abc")]);
        let r = parse(b"no boundary\r\nat all");
        assert_eq!(
            r.error.as_deref(),
            Some("Multipart: No boundaries found in payload.")
        );
        assert!(r.flags.data_before);
        let r = parse(b"");
        assert_eq!(r.error, None);
    }

    #[test]
    fn header_folding_flags() {
        let body = b"--XyZ\r\nContent-Disposition: form-data;\r\n name=a\r\n\r\n1\r\n--XyZ--\r\n";
        let r = parse(body);
        assert_eq!(r.error, None);
        assert!(r.flags.header_folding && !r.flags.invalid_header_folding);
        assert_eq!(r.fields, vec![field("a", "1")]);
        assert_eq!(r.part_headers.len(), 2);
        let body =
            b"--XyZ\r\nContent-Disposition: form-data;\r\n\x0b name=a\r\n\r\n1\r\n--XyZ--\r\n";
        assert!(parse(body).flags.invalid_header_folding);
        let body = b"--XyZ\r\n folded-first\r\n\r\n--XyZ--\r\n";
        assert_eq!(
            parse(body).error.as_deref(),
            Some("Multipart: Invalid part header (folding error).")
        );
    }

    #[test]
    fn invalid_quoting_and_single_quotes() {
        let r = parse(b"--XyZ\r\nContent-Disposition: form-data; name='a'\r\n\r\n1\r\n--XyZ--\r\n");
        assert!(r.flags.invalid_quoting);
        assert_eq!(r.fields, vec![field("a", "1")]);
        let r =
            parse(b"--XyZ\r\nContent-Disposition: form-data; name=\"a'b\"\r\n\r\n1\r\n--XyZ--\r\n");
        assert!(r.flags.invalid_quoting);
        let r =
            parse(b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"x\r\n\r\n1\r\n--XyZ--\r\n");
        assert!(r.flags.invalid_quoting);
        assert!(
            r.error
                .unwrap()
                .starts_with("Multipart: Invalid Content-Disposition header (-12)")
        );
    }

    #[test]
    fn escapes_in_quoted_values() {
        let r = parse(b"--XyZ\r\nContent-Disposition: form-data; name=\"a\\\"b\\\\c\\d\"\r\n\r\n1\r\n--XyZ--\r\n");
        assert_eq!(r.error, None);
        assert_eq!(r.fields, vec![field("a\"b\\c\\d", "1")]);
    }

    #[test]
    fn content_disposition_errors() {
        let cases: &[(&[u8], &str)] = &[
            (b"attachment; name=a", "(-1)"),
            (b"form-data x", "(-2)"),
            (b"form-data; name", "(-4)"),
            (b"form-data; name x", "(-13)"),
            (b"form-data; name=\"a", "(-10)"),
            (b"form-data; other=a", "(-11)"),
            (b"form-data; name=a; name=b", "(-14)"),
            (b"form-data; name=a; filename=b; filename=c", "(-15)"),
        ];
        for (cd, code) in cases {
            let body = [
                &b"--XyZ\r\nContent-Disposition: "[..],
                cd,
                b"\r\n\r\n1\r\n--XyZ--\r\n",
            ]
            .concat();
            let r = parse(&body);
            let err = r.error.unwrap_or_default();
            assert!(
                err.contains(code),
                "{err} for {}",
                String::from_utf8_lossy(cd)
            );
            assert!(r.flags.error);
        }
        let r =
            parse(b"--XyZ\r\nContent-Disposition: form-data; name=\"\"\r\n\r\n1\r\n--XyZ--\r\n");
        assert_eq!(
            r.error.as_deref(),
            Some("Multipart: Content-Disposition header missing name field.")
        );
        let r = parse(b"--XyZ\r\nContent-Type: text/plain\r\n\r\n1\r\n--XyZ--\r\n");
        assert_eq!(
            r.error.as_deref(),
            Some("Multipart: Part missing Content-Disposition header.")
        );
    }

    #[test]
    fn header_errors() {
        let r = parse(b"--XyZ\r\nno colon here\r\n\r\n--XyZ--\r\n");
        assert!(
            r.error
                .unwrap()
                .starts_with("Multipart: Invalid part header (colon missing)")
        );
        let r = parse(b"--XyZ\r\n: v\r\n\r\n--XyZ--\r\n");
        assert_eq!(
            r.error.as_deref(),
            Some("Multipart: Invalid part header (header name missing).")
        );
        let r = parse(b"--XyZ\r\nA: \x00\r\n\r\n--XyZ--\r\n");
        assert_eq!(
            r.error.as_deref(),
            Some("Multipart: Nul byte in part headers.")
        );
        let r = parse(b"--XyZ\r\nA: 1\r\na: 2\r\n\r\n--XyZ--\r\n");
        assert!(
            r.error
                .unwrap()
                .starts_with("Multipart: Duplicate part header")
        );
        let long = [&b"--XyZ\r\nA: "[..], &[b'x'; 5000], b"\r\n\r\n--XyZ--\r\n"].concat();
        assert_eq!(
            parse(&long).error.as_deref(),
            Some("Multipart: Part header line over 4096 bytes long")
        );
    }

    #[test]
    fn invalid_part_without_headers() {
        let r = parse(
            b"--XyZ\r\n--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--XyZ--\r\n",
        );
        assert!(r.flags.invalid_part);
        assert_eq!(r.fields, vec![field("a", "1")]);
    }

    #[test]
    fn boundary_lookalikes() {
        // Text after the boundary on its line is a hard error.
        let r = parse(b"--XyZ \r\n");
        assert!(r.error.unwrap().starts_with("Multipart: Invalid boundary:"));
        // A final boundary without a line ending does not reset the flag to 2.
        let r = parse(b"--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\n--other\r\n--XyZ--");
        assert_eq!(r.flags.unmatched_boundary, 1);
        assert_eq!(r.fields, vec![field("a", "--other")]);
        let r = parse(b"--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\nx--XyZ\r\n--XyZ--");
        assert_eq!(r.flags.unmatched_boundary, 1);
        // As in v3, any real boundary after the first one sets it to 2.
        let r =
            parse(b"--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\n--other\r\n--XyZ--\r\n");
        assert_eq!(r.flags.unmatched_boundary, 2);
        let r = parse(b"-- XyZ\r\n");
        assert_eq!(
            r.error.as_deref(),
            Some("Multipart: Invalid boundary (whitespace).")
        );
        let r = parse_multipart(
            b"multipart/form-data; boundary=\"XyZ\"",
            b"--\"XyZ\"\r\n",
            &BodyLimits::default(),
        );
        assert_eq!(
            r.error.as_deref(),
            Some("Multipart: Invalid boundary (quotes).")
        );
        assert!(r.flags.boundary_quoted);
    }

    #[test]
    fn empty_filename_is_a_field() {
        let r = parse(b"--XyZ\r\nContent-Disposition: form-data; name=f; filename=\"\"\r\n\r\nx\r\n--XyZ--\r\n");
        assert!(r.files.is_empty());
        assert_eq!(r.fields, vec![field("f", "x")]);
        assert_eq!(r.filenames, vec![b"".to_vec()]);
    }

    #[test]
    fn limits() {
        let two_files =
            b"--XyZ\r\nContent-Disposition: form-data; name=a; filename=1\r\n\r\n0123456789\r\n\
--XyZ\r\nContent-Disposition: form-data; name=b; filename=2\r\n\r\nabc\r\n\
--XyZ\r\nContent-Disposition: form-data; name=c\r\n\r\nv\r\n\
--XyZ\r\nContent-Disposition: form-data; name=d\r\n\r\nw\r\n--XyZ--\r\n";
        let limits = BodyLimits {
            max_files: 1,
            max_file_content: 4,
            max_args: 1,
            ..BodyLimits::default()
        };
        let r = parse_multipart(CT, two_files, &limits);
        assert_eq!(r.error, None);
        assert!(r.flags.file_limit_exceeded && r.flags.strict_error());
        assert_eq!(r.files[0].content, b"0123");
        assert!(r.files[0].content_truncated);
        assert_eq!(r.files[0].size, 10);
        assert_eq!(r.files[1].content, b"");
        assert_eq!(r.files[1].size, 3);
        assert_eq!(r.files_combined_size(), 13);
        assert_eq!(r.fields, vec![field("c", "v")]);
        assert!(r.args_limit_hit);
        let limits = BodyLimits {
            max_parts: 2,
            ..BodyLimits::default()
        };
        let r = parse_multipart(CT, two_files, &limits);
        assert_eq!(
            r.error.as_deref(),
            Some("Multipart: Too many parts (limit 2).")
        );
    }

    #[test]
    fn long_data_lines_are_kept_whole() {
        let mut body = b"--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\n".to_vec();
        let mut value = vec![b'x'; 9000];
        value[4095] = b'\r';
        value.extend_from_slice(b"\r\nline2");
        body.extend_from_slice(&value);
        body.extend_from_slice(b"\r\n--XyZ--\r\n");
        let r = parse(&body);
        assert_eq!(r.error, None);
        assert_eq!(r.fields, vec![(b"a".to_vec(), value)]);
    }

    // Regression guard for quadratic work: many headers in one part and a
    // boundary-like line soup must stay fast.
    #[test]
    fn hostile_sizes_stay_linear() {
        let mut body = b"--XyZ\r\n".to_vec();
        for i in 0..50_000 {
            body.extend_from_slice(format!("H{i}: v\r\n").as_bytes());
        }
        body.extend_from_slice(b"Content-Disposition: form-data; name=a\r\n\r\n1\r\n--XyZ--\r\n");
        let r = parse(&body);
        assert_eq!(r.error, None);
        assert_eq!(r.part_headers.len(), 50_001);
        let dashes = "-".repeat(70);
        let ct = format!("multipart/form-data; boundary={dashes}");
        let line = [&[b'x'][..], &[b'-'; 4000][..], b"\r\n"].concat();
        let soup = line.repeat(300);
        let r = parse_multipart(ct.as_bytes(), &soup, &BodyLimits::default());
        assert!(r.flags.data_before);
    }

    // CRS 922130: a control byte in a part header name must reach
    // MULTIPART_PART_HEADERS.
    #[test]
    fn crs_922130_control_char_header_line() {
        let body = b"--boundary\r\n\x0eContent-Disposition: form-data; name=\"file\"; filename=\"1.php\"\r\n\
Content-Disposition: form-data; name=\"post\"\r\n\r\n<?php ?>\r\n--boundary--";
        let r = parse_multipart(
            b"multipart/form-data; boundary=boundary",
            body,
            &BodyLimits::default(),
        );
        assert_eq!(r.error, None);
        assert!(
            r.part_headers
                .iter()
                .any(|h| h.part_name == b"post" && h.line.starts_with(b"\x0eContent"))
        );
    }

    proptest! {
        #[test]
        fn never_panics(body in proptest::collection::vec(any::<u8>(), 0..600)) {
            let r = parse(&body);
            prop_assert!(r.fields.len() <= BodyLimits::default().max_args);
        }

        #[test]
        fn never_panics_structured(parts in proptest::collection::vec(
            prop_oneof![
                Just(&b"--XyZ\r\n"[..]), Just(&b"--XyZ--\r\n"[..]), Just(&b"--XyZ\n"[..]),
                Just(&b"Content-Disposition: form-data; name=\"a\"\r\n"[..]),
                Just(&b"Content-Disposition: form-data; name=a; filename='b'\r\n"[..]),
                Just(&b"\r\n"[..]), Just(&b" folded\r\n"[..]), Just(&b"data"[..]), Just(&b"--"[..]),
            ], 0..20), ct in prop_oneof![Just(CT), Just(&b"multipart/form-data; boundary=\"XyZ\""[..])]) {
            let body = parts.concat();
            let limits = BodyLimits { max_parts: 5, max_files: 1, max_file_content: 3, ..BodyLimits::default() };
            let r = parse_multipart(ct, &body, &limits);
            for f in &r.files {
                prop_assert!(f.content.len() <= 3);
            }
        }
    }
}
