//! A small blocking HTTP/1.1 client for Loki's JSON API (the Kubernetes API
//! server is reached with kube-rs, see [`crate::enforce::cilium`]). One request
//! per connection (`Connection: close`), `Content-Length` or chunked bodies,
//! timeouts on connect, read and write, and a cap on the response size so a
//! broken server cannot exhaust memory.
//!
//! Plain `http://` only: Loki is reached inside the cluster network.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use crate::error::HttpError;

/// Largest response body accepted.
pub const MAX_BODY: usize = 64 << 20;

/// A parsed `http://host:port/prefix` base URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BaseUrl {
    /// Host name or address (IPv6 without brackets).
    pub host: String,
    /// Port (80 when not given).
    pub port: u16,
    /// Path prefix without trailing slash ("" for none).
    pub prefix: String,
}

impl BaseUrl {
    /// Parses a base URL.
    pub fn parse(url: &str) -> Result<BaseUrl, HttpError> {
        let bad = |m: &str| HttpError::Url {
            url: url.to_string(),
            message: m.to_string(),
        };
        let rest = match url.trim().strip_prefix("http://") {
            Some(r) => r,
            None if url.trim().starts_with("https://") => {
                return Err(bad(
                    "https is not built into the Loki client; use a plain-HTTP address",
                ));
            }
            None => return Err(bad("must start with http://")),
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let end = v6.find(']').ok_or_else(|| bad("unclosed ["))?;
            let port = match v6[end + 1..].strip_prefix(':') {
                Some(p) => p.parse().map_err(|_| bad("bad port"))?,
                None => 80,
            };
            (v6[..end].to_string(), port)
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h.to_string(), p.parse().map_err(|_| bad("bad port"))?),
                None => (authority.to_string(), 80),
            }
        };
        if host.is_empty() {
            return Err(bad("no host"));
        }
        Ok(BaseUrl {
            host,
            port,
            prefix: path.trim_end_matches('/').to_string(),
        })
    }

    /// `host:port` for the `Host` header.
    pub fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// Opens a TCP connection with the given timeout.
    pub fn connect(&self, timeout: Duration) -> std::io::Result<TcpStream> {
        let mut last = std::io::Error::new(std::io::ErrorKind::NotFound, "host did not resolve");
        for addr in (self.host.as_str(), self.port).to_socket_addrs()? {
            match TcpStream::connect_timeout(&addr, timeout) {
                Ok(s) => {
                    s.set_read_timeout(Some(timeout))?;
                    s.set_write_timeout(Some(timeout))?;
                    let _ = s.set_nodelay(true);
                    return Ok(s);
                }
                Err(e) => last = e,
            }
        }
        Err(last)
    }
}

/// A response.
#[derive(Debug)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Headers, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// Body (de-chunked).
    pub body: Vec<u8>,
}

/// Percent-encodes a query-string value.
pub fn encode_query(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Sends one request; `path_and_query` is appended to the base prefix.
/// Any status is returned; the caller decides which are errors.
pub fn request(
    base: &BaseUrl,
    method: &str,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
    timeout: Duration,
) -> Result<Response, HttpError> {
    let url = format!(
        "http://{}{}{}",
        base.authority(),
        base.prefix,
        path_and_query
    );
    let io = |source: std::io::Error| HttpError::Io {
        method: method.to_string(),
        url: url.clone(),
        source,
    };
    let proto = |message: &str| HttpError::Protocol {
        method: method.to_string(),
        url: url.clone(),
        message: message.to_string(),
    };
    let mut stream = base.connect(timeout).map_err(io)?;
    let mut head = format!(
        "{method} {}{path_and_query} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nUser-Agent: waf-analyzer\r\n",
        base.prefix,
        base.authority()
    );
    for (k, v) in headers {
        if k.contains(['\r', '\n']) || v.contains(['\r', '\n']) {
            return Err(proto("header contains a line break"));
        }
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if let Some(b) = body {
        head.push_str(&format!("Content-Length: {}\r\n", b.len()));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).map_err(io)?;
    if let Some(b) = body {
        stream.write_all(b).map_err(io)?;
    }
    stream.flush().map_err(io)?;

    // Bound everything we read (headers included) so a broken server cannot exhaust memory.
    let mut r = BufReader::new(stream.take(MAX_BODY as u64 + (1 << 20)));
    let mut line = String::new();
    r.read_line(&mut line).map_err(io)?;
    let mut parts = line.split_whitespace();
    let version = parts.next().unwrap_or("");
    if !version.starts_with("HTTP/1.") {
        return Err(proto("no HTTP/1.x status line"));
    }
    let status: u16 = parts
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| proto("bad status code"))?;
    let mut headers_out = Vec::new();
    loop {
        line.clear();
        let n = r.read_line(&mut line).map_err(io)?;
        if n == 0 {
            return Err(proto("connection closed inside headers"));
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if headers_out.len() > 200 {
            return Err(proto("too many headers"));
        }
        if let Some((k, v)) = l.split_once(':') {
            headers_out.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    let header = |name: &str| {
        headers_out
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let mut body = Vec::new();
    if header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        loop {
            line.clear();
            r.read_line(&mut line).map_err(io)?;
            let size_text = line.trim().split(';').next().unwrap_or("");
            let size = usize::from_str_radix(size_text, 16).map_err(|_| proto("bad chunk size"))?;
            if size == 0 {
                break;
            }
            if body.len() + size > MAX_BODY {
                return Err(proto("response body too large"));
            }
            let start = body.len();
            body.resize(start + size, 0);
            r.read_exact(&mut body[start..]).map_err(io)?;
            line.clear();
            r.read_line(&mut line).map_err(io)?;
        }
    } else if let Some(len) = header("content-length") {
        let len: usize = len.parse().map_err(|_| proto("bad Content-Length"))?;
        if len > MAX_BODY {
            return Err(proto("response body too large"));
        }
        body.resize(len, 0);
        r.read_exact(&mut body).map_err(io)?;
    } else {
        r.take(MAX_BODY as u64 + 1)
            .read_to_end(&mut body)
            .map_err(io)?;
        if body.len() > MAX_BODY {
            return Err(proto("response body too large"));
        }
    }
    Ok(Response {
        status,
        headers: headers_out,
        body,
    })
}

/// Shortens a body for an error message.
pub fn snippet(body: &[u8]) -> String {
    let s = String::from_utf8_lossy(&body[..body.len().min(300)]);
    s.replace(['\r', '\n'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        let u = BaseUrl::parse("http://loki.monitoring:3100/prefix/").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.prefix.as_str()),
            ("loki.monitoring", 3100, "/prefix")
        );
        let u = BaseUrl::parse("http://[::1]:8001").unwrap();
        assert_eq!(u.authority(), "[::1]:8001");
        assert!(BaseUrl::parse("https://kubernetes.default").is_err());
        assert!(BaseUrl::parse("ftp://x").is_err());
        assert!(BaseUrl::parse("http://:80").is_err());
        assert!(BaseUrl::parse("http://h:notaport").is_err());
        assert_eq!(encode_query("{app=\"waf\"}"), "%7Bapp%3D%22waf%22%7D");
    }
}
