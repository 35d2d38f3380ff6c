//! Turning the raw request into what variables read: URI parts, query arguments, cookies,
//! and the request body through its processor.

use waf_seclang::{EngineMode, LimitAction};

use super::Transaction;
use crate::Intervention;
use crate::body::{self, BodyLimits};

/// `%XX` decoding of a path, as ModSecurity does for `REQUEST_FILENAME` (`+` stays `+`;
/// invalid escapes stay as written).
fn percent_decode(input: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        if input[i] == b'%'
            && let (Some(h), Some(l)) = (
                input.get(i + 1).copied().and_then(hex),
                input.get(i + 2).copied().and_then(hex),
            )
        {
            out.push(h << 4 | l);
            i += 3;
            continue;
        }
        out.push(input[i]);
        i += 1;
    }
    out
}

/// The origin-form part of an absolute URI (`http://h/p?q` → `/p?q`).
fn origin_form(uri: &[u8]) -> &[u8] {
    let lower: Vec<u8> = uri.iter().take(8).map(u8::to_ascii_lowercase).collect();
    let scheme_len = if lower.starts_with(b"http://") {
        7
    } else if lower.starts_with(b"https://") {
        8
    } else {
        return uri;
    };
    let rest = &uri[scheme_len..];
    match rest.iter().position(|&b| b == b'/' || b == b'?') {
        Some(p) => &rest[p..],
        None => b"/",
    }
}

impl Transaction {
    fn body_limits(&self) -> BodyLimits {
        let c = &self.rules().config;
        let used = self.req.args_get.len() + self.req.args_post.len();
        BodyLimits {
            max_args: usize::try_from(c.arguments_limit)
                .unwrap_or(usize::MAX)
                .saturating_sub(used),
            max_depth: usize::try_from(c.json_depth_limit).unwrap_or(usize::MAX),
            max_files: usize::try_from(c.upload_file_limit).unwrap_or(usize::MAX),
            ..BodyLimits::default()
        }
    }

    pub(super) fn set_request_line(&mut self, uri: &[u8], method: &[u8], http_version: &[u8]) {
        let protocol = if http_version.is_empty() || http_version.contains(&b'/') {
            http_version.to_vec()
        } else {
            [b"HTTP/".as_slice(), http_version].concat()
        };
        let mut line = Vec::with_capacity(method.len() + uri.len() + protocol.len() + 2);
        line.extend_from_slice(method);
        line.push(b' ');
        line.extend_from_slice(uri);
        if !protocol.is_empty() {
            line.push(b' ');
            line.extend_from_slice(&protocol);
        }
        let origin = origin_form(uri);
        let (path, query) = match origin.iter().position(|&b| b == b'?') {
            Some(q) => (&origin[..q], &origin[q + 1..]),
            None => (origin, &b""[..]),
        };
        let filename = percent_decode(path);
        let basename = match filename.iter().rposition(|&b| b == b'/' || b == b'\\') {
            Some(p) => filename[p + 1..].to_vec(),
            None => filename.clone(),
        };
        let separator = self.rules().config.argument_separator;
        let parsed = body::parse_urlencoded(query, separator, &self.body_limits());
        let r = &mut self.req;
        r.method = method.to_vec();
        r.protocol = protocol;
        r.uri_raw = uri.to_vec();
        r.uri = origin.to_vec();
        r.filename = filename;
        r.basename = basename;
        r.query_string = query.to_vec();
        r.request_line = line;
        r.urlencoded_error |= parsed.invalid_encoding;
        r.args_get = parsed.args;
    }

    /// Derives what phase 1 reads from the headers: cookies, and the body processor the
    /// Content-Type selects (`REQBODY_PROCESSOR` is readable in phase 1, as in ModSecurity;
    /// `ctl:requestBodyProcessor` may still override it).
    pub(super) fn prepare_request_headers(&mut self) {
        let content_type = self
            .request_header(b"content-type")
            .map(<[u8]>::to_ascii_lowercase);
        self.req.body_processor = content_type.and_then(|ct| {
            if ct.starts_with(b"application/x-www-form-urlencoded") {
                Some("URLENCODED".to_string())
            } else if ct.starts_with(b"multipart/form-data") {
                Some("MULTIPART".to_string())
            } else {
                None
            }
        });
        let limits = self.body_limits();
        let mut cookies = Vec::new();
        for (name, value) in &self.req.headers {
            if name.eq_ignore_ascii_case(b"cookie") {
                cookies.extend(body::parse_cookies(value, &limits).args);
            }
        }
        self.req.cookies = cookies;
    }

    pub(super) fn buffer_request_body(&mut self, data: &[u8]) -> bool {
        if !self.overrides.request_body_access {
            return true;
        }
        let limit = usize::try_from(self.overrides.request_body_limit).unwrap_or(usize::MAX);
        let room = limit.saturating_sub(self.req.body.len());
        if data.len() > room {
            self.req.body.extend_from_slice(&data[..room]);
            self.req.body_overflow = true;
            return false;
        }
        self.req.body.extend_from_slice(data);
        true
    }

    fn request_header(&self, name: &[u8]) -> Option<&[u8]> {
        self.req
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_slice())
    }

    /// Runs the body processor before phase 2, setting `REQBODY_ERROR` on bad bodies.
    pub(super) fn process_body(&mut self) {
        if !self.overrides.request_body_access {
            return;
        }
        if self.req.body_overflow {
            let reject = self.rules().config.request_body_limit_action == LimitAction::Reject;
            if reject {
                if self.overrides.engine == EngineMode::On {
                    self.intervention = Some(Intervention::internal(
                        413,
                        "request body exceeds SecRequestBodyLimit",
                        2,
                    ));
                    return;
                }
                self.req.body_error =
                    Some("Request body is larger than the configured limit".into());
            }
        }
        let processor = self
            .overrides
            .body_processor
            .clone()
            .or_else(|| self.req.body_processor.clone());
        // REQUEST_BODY holds the raw body except where the XML or multipart processor
        // took it apart (unless a rule forces it), as CRS's tests expect of ModSecurity.
        self.req.body_variable = !matches!(processor.as_deref(), Some("XML" | "MULTIPART"))
            || self.overrides.force_request_body_variable;
        let limits = self.body_limits();
        let body = std::mem::take(&mut self.req.body);
        match processor.as_deref() {
            Some("URLENCODED") => {
                let parsed =
                    body::parse_urlencoded(&body, self.rules().config.argument_separator, &limits);
                self.req.urlencoded_error |= parsed.invalid_encoding;
                self.req.args_post = parsed.args;
            }
            Some("MULTIPART") => {
                let ct = self
                    .request_header(b"content-type")
                    .unwrap_or_default()
                    .to_vec();
                let result = body::parse_multipart(&ct, &body, &limits);
                if let Some(e) = &result.error {
                    self.req
                        .body_error
                        .get_or_insert_with(|| format!("multipart parsing error: {e}"));
                }
                self.req.args_post = result.fields.clone();
                self.req.multipart = Some(result);
            }
            Some("JSON") => {
                let result = body::parse_json(&body, &limits);
                if let Some(e) = result.error {
                    self.req
                        .body_error
                        .get_or_insert(format!("JSON parsing error: {e}"));
                }
                self.req.args_post = result.args;
            }
            Some("XML") => {
                let result = body::parse_xml(&body, &limits);
                if let Some(e) = &result.error {
                    self.req
                        .body_error
                        .get_or_insert_with(|| format!("XML parsing error: {e}"));
                }
                self.req.xml = Some(result);
            }
            _ => {}
        }
        self.req.body = body;
        self.req.body_processor = processor;
        self.enforce_no_files_limit();
    }

    /// `SecRequestBodyNoFilesLimit`: the body without its uploaded files' contents must
    /// stay under this limit (it bounds what parsing a body can cost, files aside).
    fn enforce_no_files_limit(&mut self) {
        let files: u64 = self
            .req
            .multipart
            .as_ref()
            .map_or(0, |m| m.files_combined_size());
        let without_files = (self.req.body.len() as u64).saturating_sub(files);
        if without_files <= self.rules().config.request_body_no_files_limit {
            return;
        }
        let reject = self.rules().config.request_body_limit_action == LimitAction::Reject;
        if reject && self.overrides.engine == EngineMode::On {
            self.intervention = Some(Intervention::internal(
                413,
                "request body (files excluded) exceeds SecRequestBodyNoFilesLimit",
                2,
            ));
        } else if reject {
            self.req.body_error.get_or_insert_with(|| {
                "Request body no files data length is larger than the configured limit".into()
            });
        }
    }

    /// Whether the response's content type is one `SecResponseBodyMimeType` names.
    pub(super) fn response_body_inspectable(&self) -> bool {
        let Some((_, ct)) = self
            .res
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(b"content-type"))
        else {
            return false;
        };
        let ct = String::from_utf8_lossy(ct).to_ascii_lowercase();
        let mime = ct.split(';').next().unwrap_or("").trim();
        self.rules()
            .config
            .response_body_mime_types
            .iter()
            .any(|m| m == mime)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_helpers() {
        assert_eq!(percent_decode(b"/a%2Fb%zz+c%4"), b"/a/b%zz+c%4");
        assert_eq!(origin_form(b"http://example.com/x?y"), b"/x?y");
        assert_eq!(origin_form(b"HTTPS://example.com"), b"/");
        assert_eq!(origin_form(b"/plain"), b"/plain");
    }
}
