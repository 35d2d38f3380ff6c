//! Just enough HTTP/2 (cleartext, prior knowledge) to send one request with a body and
//! trailers, which no HTTP/1 client on a Debian machine does, and read its status.
//!
//! Requests use HPACK literals without indexing and without Huffman coding. The response
//! status is decoded from the static table or a literal; Huffman-coded statuses are
//! digits only, and only those codes are decoded. One request per connection.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
const DATA: u8 = 0;
const HEADERS: u8 = 1;
const RST_STREAM: u8 = 3;
const SETTINGS: u8 = 4;
const GOAWAY: u8 = 7;
const END_STREAM: u8 = 0x1;
const END_HEADERS: u8 = 0x4;
const PADDED: u8 = 0x8;
const PRIORITY: u8 = 0x20;

/// What came back.
#[derive(Debug, Default, Clone)]
pub struct H2Response {
    pub status: u16,
    pub body: Vec<u8>,
}

fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let len = payload.len();
    let mut out = vec![(len >> 16) as u8, (len >> 8) as u8, len as u8, kind, flags];
    out.extend_from_slice(&stream.to_be_bytes());
    out.extend_from_slice(payload);
    out
}

fn hpack_int(out: &mut Vec<u8>, prefix_bits: u8, first: u8, mut value: usize) {
    let max = (1usize << prefix_bits) - 1;
    if value < max {
        out.push(first | value as u8);
        return;
    }
    out.push(first | max as u8);
    value -= max;
    while value >= 128 {
        out.push((value % 128) as u8 | 0x80);
        value /= 128;
    }
    out.push(value as u8);
}

fn header_block(fields: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, value) in fields {
        out.push(0x00);
        hpack_int(&mut out, 7, 0, name.len());
        out.extend_from_slice(name.as_bytes());
        hpack_int(&mut out, 7, 0, value.len());
        out.extend_from_slice(value);
    }
    out
}

/// Sends `method path` with `headers`, `body` (in `chunks` DATA frames) and `trailers`.
pub fn request(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    trailers: &[(&str, &str)],
) -> std::io::Result<H2Response> {
    let mut conn = TcpStream::connect(("127.0.0.1", port))?;
    conn.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut out = PREFACE.to_vec();
    out.extend(frame(SETTINGS, 0, 0, &[]));
    let mut fields: Vec<(&str, &[u8])> = vec![
        (":method", method.as_bytes()),
        (":scheme", b"http"),
        (":path", path.as_bytes()),
        (":authority", b"localhost"),
    ];
    fields.extend(headers.iter().map(|(n, v)| (*n, v.as_bytes())));
    let no_more = body.is_empty() && trailers.is_empty();
    let flags = END_HEADERS | if no_more { END_STREAM } else { 0 };
    out.extend(frame(HEADERS, flags, 1, &header_block(&fields)));
    if !body.is_empty() {
        let last = body.chunks(4096).count();
        for (i, chunk) in body.chunks(4096).enumerate() {
            let end = i + 1 == last && trailers.is_empty();
            out.extend(frame(DATA, if end { END_STREAM } else { 0 }, 1, chunk));
        }
    }
    if !trailers.is_empty() {
        let fields: Vec<(&str, &[u8])> = trailers.iter().map(|(n, v)| (*n, v.as_bytes())).collect();
        out.extend(frame(
            HEADERS,
            END_HEADERS | END_STREAM,
            1,
            &header_block(&fields),
        ));
    }
    conn.write_all(&out)?;

    let mut response = H2Response::default();
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 16384];
    loop {
        while buffer.len() >= 9 {
            let len = (usize::from(buffer[0]) << 16)
                | (usize::from(buffer[1]) << 8)
                | usize::from(buffer[2]);
            if buffer.len() < 9 + len {
                break;
            }
            let (kind, flags) = (buffer[3], buffer[4]);
            let stream =
                u32::from_be_bytes([buffer[5], buffer[6], buffer[7], buffer[8]]) & 0x7fff_ffff;
            let payload: Vec<u8> = buffer[9..9 + len].to_vec();
            buffer.drain(..9 + len);
            match kind {
                SETTINGS if flags & 1 == 0 => conn.write_all(&frame(SETTINGS, 1, 0, &[]))?,
                HEADERS if stream == 1 => {
                    if response.status == 0 {
                        response.status = status_of(strip_padding(&payload, flags)).unwrap_or(0);
                    }
                    if flags & END_STREAM != 0 {
                        return Ok(response);
                    }
                }
                DATA if stream == 1 => {
                    response
                        .body
                        .extend_from_slice(strip_padding(&payload, flags & PADDED));
                    if flags & END_STREAM != 0 {
                        return Ok(response);
                    }
                }
                RST_STREAM | GOAWAY => {
                    return if response.status != 0 {
                        Ok(response)
                    } else {
                        Err(std::io::Error::new(
                            std::io::ErrorKind::ConnectionReset,
                            "stream reset",
                        ))
                    };
                }
                _ => {}
            }
        }
        let n = conn.read(&mut chunk)?;
        if n == 0 {
            return if response.status != 0 {
                Ok(response)
            } else {
                Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "closed",
                ))
            };
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
}

fn strip_padding(payload: &[u8], flags: u8) -> &[u8] {
    let mut p = payload;
    let mut pad = 0;
    if flags & PADDED != 0 && !p.is_empty() {
        pad = usize::from(p[0]);
        p = &p[1..];
    }
    if flags & PRIORITY != 0 && p.len() >= 5 {
        p = &p[5..];
    }
    &p[..p.len().saturating_sub(pad)]
}

/// `:status` from the first field of a response header block.
fn status_of(block: &[u8]) -> Option<u16> {
    let first = *block.first()?;
    const STATIC: [u16; 7] = [200, 204, 206, 304, 400, 404, 500];
    if first & 0x80 != 0 {
        let index = usize::from(first & 0x7f);
        return (8..=14).contains(&index).then(|| STATIC[index - 8]);
    }
    // A literal with an indexed name (6-bit index with incremental indexing, else 4-bit).
    let index = if first & 0x40 != 0 {
        first & 0x3f
    } else {
        first & 0x0f
    };
    if !(8..=14).contains(&index) {
        return None;
    }
    let value = block.get(1)?;
    let len = usize::from(value & 0x7f);
    let bytes = block.get(2..2 + len)?;
    let text = if value & 0x80 != 0 {
        huffman_digits(bytes)?
    } else {
        String::from_utf8_lossy(bytes).into_owned()
    };
    text.parse().ok()
}

/// Huffman-decodes a string of digits (codes `00000`-`00010` for 0-2, `011001`-`011111`
/// for 3-9).
fn huffman_digits(bytes: &[u8]) -> Option<String> {
    let bits: Vec<u8> = bytes
        .iter()
        .flat_map(|b| (0..8).rev().map(move |i| (b >> i) & 1))
        .collect();
    let mut out = String::new();
    let mut i = 0;
    while i + 5 <= bits.len() {
        if bits[i..].iter().all(|&b| b == 1) {
            break;
        }
        let v5 = bits[i..i + 5].iter().fold(0u8, |a, &b| a << 1 | b);
        if v5 < 3 {
            out.push(char::from(b'0' + v5));
            i += 5;
            continue;
        }
        let v6 = (v5 << 1) | *bits.get(i + 5)?;
        if !(25..=31).contains(&v6) {
            return None;
        }
        out.push(char::from(b'0' + v6 - 22));
        i += 6;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn decodes_statuses() {
        assert_eq!(super::status_of(&[0x88]), Some(200));
        // 403, Huffman: 011010 00000 011001 + padding 1 → 0x68 0x19 0x9f? computed below.
        let bits = "0110100000001100111111111";
        let bytes: Vec<u8> = bits
            .as_bytes()
            .chunks(8)
            .map(|c| {
                let mut s = String::from_utf8_lossy(c).into_owned();
                while s.len() < 8 {
                    s.push('1');
                }
                u8::from_str_radix(&s, 2).unwrap()
            })
            .collect();
        assert_eq!(super::huffman_digits(&bytes).as_deref(), Some("403"));
        let mut block = vec![0x48, 0x80 | bytes.len() as u8];
        block.extend(&bytes);
        assert_eq!(super::status_of(&block), Some(403));
        assert_eq!(super::status_of(&[0x08, 0x03, b'4', b'1', b'3']), Some(413));
    }
}
