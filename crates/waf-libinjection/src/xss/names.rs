//! Names of dangerous tags, attributes and URL schemes, and how to compare them.
//!
//! Comparisons are ASCII case-insensitive and skip NUL bytes in the input, as old browsers
//! ignored them (`scr\0ipt` is `script`).

/// What an attribute's value can do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttrClass {
    /// Nothing we look at.
    Harmless,
    /// Runs script or defines markup whatever the value (event handlers, `xmlns`, ...).
    Dangerous,
    /// Holds a URL: dangerous with a script scheme.
    Url,
    /// CSS (`style`, IE `filter`): always reported.
    Style,
    /// Names another attribute (SVG `attributeName`): dangerous if that one is.
    Indirect,
}

/// Tags that load or run active content, or define markup.
const TAGS: &[&[u8]] = &[
    b"APPLET",
    b"BASE",
    b"COMMENT",
    b"EMBED",
    b"FRAME",
    b"FRAMESET",
    b"HANDLER",
    b"IFRAME",
    b"IMPORT",
    b"ISINDEX",
    b"LINK",
    b"LISTENER",
    b"META",
    b"NOSCRIPT",
    b"OBJECT",
    b"SCRIPT",
    b"STYLE",
    b"VMLFRAME",
    b"XML",
    b"XSS",
];

/// Attributes by class (event handlers are in [`EVENTS`]).
const ATTRS: &[(&[u8], AttrClass)] = &[
    (b"ACTION", AttrClass::Url),
    (b"ATTRIBUTENAME", AttrClass::Indirect),
    (b"BY", AttrClass::Url),
    (b"BACKGROUND", AttrClass::Url),
    (b"DATAFORMATAS", AttrClass::Dangerous),
    (b"DATASRC", AttrClass::Dangerous),
    (b"DYNSRC", AttrClass::Url),
    (b"FILTER", AttrClass::Style),
    (b"FORMACTION", AttrClass::Url),
    (b"FOLDER", AttrClass::Url),
    (b"FROM", AttrClass::Url),
    (b"HANDLER", AttrClass::Url),
    (b"HREF", AttrClass::Url),
    (b"LOWSRC", AttrClass::Url),
    (b"POSTER", AttrClass::Url),
    (b"SRC", AttrClass::Url),
    (b"STYLE", AttrClass::Style),
    (b"TO", AttrClass::Url),
    (b"VALUES", AttrClass::Url),
    (b"XLINK:HREF", AttrClass::Url),
];

/// JavaScript event-handler attributes (matched as prefixes of the attribute name).
const EVENTS: &[&[u8]] = &[
    b"ONABORT",
    b"ONACTIVATE",
    b"ONAFTERPRINT",
    b"ONBEFOREACTIVATE",
    b"ONBEFOREPRINT",
    b"ONBEFOREUNLOAD",
    b"ONBLUR",
    b"ONCANPLAY",
    b"ONCANPLAYTHROUGH",
    b"ONCLICK",
    b"ONCONTEXTMENU",
    b"ONCOPY",
    b"ONCUT",
    b"ONDBLCLICK",
    b"ONDRAG",
    b"ONDRAGEND",
    b"ONDRAGENTER",
    b"ONDRAGLEAVE",
    b"ONDRAGOVER",
    b"ONDRAGSTART",
    b"ONDROP",
    b"ONDURATIONCHANGE",
    b"ONEMPTIED",
    b"ONENDED",
    b"ONERROR",
    b"ONFOCUS",
    b"ONFOCUSIN",
    b"ONFOCUSOUT",
    b"ONFORMCHANGE",
    b"ONFORMINPUT",
    b"ONHASHCHANGE",
    b"ONINPUT",
    b"ONINVALID",
    b"ONKEYDOWN",
    b"ONKEYPRESS",
    b"ONKEYUP",
    b"ONLOAD",
    b"ONLOADEDDATA",
    b"ONLOADEDMETADATA",
    b"ONLOADSTART",
    b"ONMESSAGE",
    b"ONMOUSEDOWN",
    b"ONMOUSEENTER",
    b"ONMOUSELEAVE",
    b"ONMOUSEMOVE",
    b"ONMOUSEOUT",
    b"ONMOUSEOVER",
    b"ONMOUSEUP",
    b"ONMOUSEWHEEL",
    b"ONOFFLINE",
    b"ONONLINE",
    b"ONOPEN",
    b"ONPAGEHIDE",
    b"ONPAGESHOW",
    b"ONPASTE",
    b"ONPAUSE",
    b"ONPLAY",
    b"ONPLAYING",
    b"ONPOPSTATE",
    b"ONPROGRESS",
    b"ONPROPERTYCHANGE",
    b"ONRATECHANGE",
    b"ONREADYSTATECHANGE",
    b"ONRESET",
    b"ONRESIZE",
    b"ONSCROLL",
    b"ONSEARCH",
    b"ONSEEKED",
    b"ONSEEKING",
    b"ONSELECT",
    b"ONSHOW",
    b"ONSTALLED",
    b"ONSTART",
    b"ONSTORAGE",
    b"ONSUBMIT",
    b"ONSUSPEND",
    b"ONTIMEUPDATE",
    b"ONTOGGLE",
    b"ONTOUCHCANCEL",
    b"ONTOUCHEND",
    b"ONTOUCHMOVE",
    b"ONTOUCHSTART",
    b"ONUNLOAD",
    b"ONVOLUMECHANGE",
    b"ONWAITING",
    b"ONWHEEL",
];

/// URL schemes that run script or hide content (`JAVA` covers `javascript:`).
const SCHEMES: &[&[u8]] = &[b"DATA", b"VIEW-SOURCE", b"JAVA", b"VBSCRIPT"];

/// `upper` equals `s` with NUL bytes removed and `a`-`z` upper-cased.
pub(crate) fn eq_skipping_nul(upper: &[u8], s: &[u8]) -> bool {
    let mut want = upper.iter();
    for &b in s {
        if b == 0 {
            continue;
        }
        if want.next() != Some(&b.to_ascii_uppercase()) {
            return false;
        }
    }
    want.next().is_none()
}

fn starts_ci(s: &[u8], upper: &[u8]) -> bool {
    s.len() >= upper.len() && s[..upper.len()].eq_ignore_ascii_case(upper)
}

/// Is this tag name dangerous?
pub fn is_dangerous_tag(name: &[u8]) -> bool {
    if name.len() < 3 {
        return false;
    }
    TAGS.iter().any(|t| eq_skipping_nul(t, name))
        || starts_ci(name, b"SVG")
        || starts_ci(name, b"XSL")
}

/// Class of an attribute name.
pub fn classify_attr(name: &[u8]) -> AttrClass {
    if name.len() < 2 {
        return AttrClass::Harmless;
    }
    if name.len() >= 5 {
        // Event handlers match as prefixes: "onloadx" counts as "onload".
        if starts_ci(name, b"ON") && EVENTS.iter().any(|e| starts_ci(name, e)) {
            return AttrClass::Dangerous;
        }
        if eq_skipping_nul(b"XMLNS", &name[..5]) || eq_skipping_nul(b"XLINK", &name[..5]) {
            return AttrClass::Dangerous;
        }
    }
    ATTRS
        .iter()
        .find(|(a, _)| eq_skipping_nul(a, name))
        .map_or(AttrClass::Harmless, |(_, c)| *c)
}

/// Does this URL use a dangerous scheme?
pub fn is_dangerous_url(url: &[u8]) -> bool {
    let skip = url.iter().take_while(|&&b| b <= 32 || b >= 127).count();
    let url = &url[skip..];
    SCHEMES
        .iter()
        .any(|scheme| decoded_starts_with(url, scheme))
}

/// Does `s`, with HTML character references decoded, start with `upper` (case-insensitive)?
/// Leading bytes <= 32 and every NUL or newline are skipped. A decoded code point is
/// compared by its low byte, as libinjection compares a C `char`.
fn decoded_starts_with(s: &[u8], upper: &[u8]) -> bool {
    let mut want = upper.iter().peekable();
    let mut rest = s;
    let mut first = true;
    while !rest.is_empty() {
        let Some(&&w) = want.peek() else { return true };
        let (c, used) = decode_char(rest);
        rest = rest.get(used..).unwrap_or_default();
        if first && c <= 32 {
            continue;
        }
        first = false;
        if c == 0 || c == 10 {
            continue;
        }
        let c = if (u32::from(b'a')..=u32::from(b'z')).contains(&c) {
            c - 0x20
        } else {
            c
        };
        // Truncation to the low byte is intended (C's `(char)` cast).
        if (c & 0xff) as u8 != w {
            return false;
        }
        want.next();
    }
    want.peek().is_none()
}

/// Decodes one character at the start of `s`: `&#123;` / `&#x7b;` references (the `;` is
/// optional), anything else as itself. Returns (value, bytes used).
fn decode_char(s: &[u8]) -> (u32, usize) {
    let at = |i: usize| s.get(i).copied().unwrap_or(0);
    let first = u32::from(at(0));
    if at(0) != b'&' || s.len() < 2 {
        return (first, 1);
    }
    if at(1) != b'#' {
        return (u32::from(b'&'), 1);
    }
    let (radix, digits_from) = if matches!(at(2), b'x' | b'X') {
        (16, 3)
    } else {
        (10, 2)
    };
    let Some(mut val) = char::from(at(digits_from)).to_digit(radix) else {
        return (u32::from(b'&'), 1);
    };
    let mut i = digits_from + 1;
    while i < s.len() {
        let b = s[i];
        if b == b';' {
            return (val, i + 1);
        }
        let Some(d) = char::from(b).to_digit(radix) else {
            return (val, i);
        };
        val = val * radix + d;
        if val > 0x0010_00ff {
            return (u32::from(b'&'), 1);
        }
        i += 1;
    }
    (val, i)
}
