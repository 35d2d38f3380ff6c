//! SecLang transformations (`t:…`): the 36 functions ModSecurity v3 applies to
//! a value before an operator sees it.
//!
//! # What this module does and does not do
//!
//! Each transformation is a pure function from bytes to bytes. Values are
//! `&[u8]` and are never assumed to be UTF-8. No function panics on any input
//! and every one runs in time linear in its input. Nothing here caches,
//! allocates per transaction or knows about rules: the engine compiles the
//! `t:` actions of a rule into a list of [`Transformation`] handles and runs
//! them, caching results per (value, transformation prefix) itself.
//!
//! # Design
//!
//! * **Nothing is allocated when nothing changes.** A [`TransformFn`] returns
//!   `None` when its output would equal its input. Most values in real traffic
//!   contain no `%`, no `&`, no upper-case letter, so the common case of a long
//!   chain such as `t:urlDecodeUni,t:htmlEntityDecode,t:lowercase` is a few
//!   scans and no copy. [`Transformation::apply`] also guarantees the converse:
//!   `Some(v)` always differs from the input, so a caller can use `Some` as
//!   ModSecurity's "value changed" flag.
//! * **One table.** [`TABLE`] is the registry: every SecLang spelling (including
//!   the US spellings `normalizePath` and `normalizePathWin`) next to its
//!   handle and its implementation. Its first [`Transformation::COUNT`] rows are
//!   the canonical names in the order of the enum's discriminants, so a handle
//!   is an index into it. A support matrix can be generated from it.
//! * **A small handle.** [`Transformation`] is a one-byte `Copy` enum: cheap to
//!   store in a compiled rule, to compare and to hash into a cache key.
//! * **`none` is a marker, not a function.** `t:none` tells the rule compiler
//!   to drop every transformation before it (including those inherited from
//!   `SecDefaultAction`). It is in the table as [`Transformation::None`] so the
//!   compiler can see it ([`Transformation::is_reset`]); applying it is the
//!   identity. [`apply_chain`] shows the intended semantics.
//! * **Names.** [`lookup`] matches names ASCII-case-insensitively, as
//!   ModSecurity v2 (an APR table) and Coraza (lower-cased keys) do.
//!   ModSecurity v3 compares the exact spelling when it instantiates a
//!   transformation; accepting more spellings never changes what a valid
//!   CRS rule means.
//!
//! # Semantics
//!
//! Every file documents its transformation in SecLang terms, with the edge
//! cases it pins in unit tests beside it. Behaviour follows ModSecurity v3 and
//! the shared `secrules-language-tests` vectors; where ModSecurity's C code has
//! an artefact of its implementation (reading a NUL terminator, in-place
//! buffer tricks) the file says what we do instead and why.
//!
//! # Example
//!
//! ```
//! use waf_core::transformations::{lookup, Transformation};
//!
//! let t = lookup("urlDecodeUni").unwrap();
//! assert_eq!(t, Transformation::UrlDecodeUni);
//! assert_eq!(t.apply(b"%uff1cscript%3e").as_deref(), Some(&b"<script>"[..]));
//! // Unchanged input: nothing allocated.
//! assert_eq!(t.apply(b"plain"), None);
//! assert!(lookup("NONE").unwrap().is_reset());
//! ```

use std::borrow::Cow;
use std::fmt;

use crate::byteset::ByteSet;

mod util;

pub mod base64_decode;
pub mod base64_decode_ext;
pub mod base64_encode;
pub mod cmd_line;
pub mod compress_whitespace;
pub mod css_decode;
pub mod escape_seq_decode;
pub mod hex_decode;
pub mod hex_encode;
pub mod html_entity_decode;
pub mod js_decode;
pub mod length;
pub mod lowercase;
pub mod md5;
pub mod none;
pub mod normalise_path;
pub mod normalise_path_win;
pub mod parity_even_7bit;
pub mod parity_odd_7bit;
pub mod parity_zero_7bit;
pub mod remove_comments;
pub mod remove_comments_char;
pub mod remove_nulls;
pub mod remove_whitespace;
pub mod replace_comments;
pub mod replace_nulls;
pub mod sha1;
pub mod sql_hex_decode;
pub mod trim;
pub mod trim_left;
pub mod trim_right;
pub mod uppercase;
pub mod url_decode;
pub mod url_decode_uni;
pub mod url_encode;
pub mod utf8_to_unicode;

#[cfg(test)]
mod proptests;

/// The signature every transformation implements.
///
/// Returns `None` when the output equals the input (nothing is allocated),
/// `Some(output)` otherwise. Individual functions may return `Some` with an
/// unchanged value in rare cases (e.g. `%zz` for `urlDecode`); the public
/// [`Transformation::apply`] normalises that to `None`.
pub type TransformFn = fn(&[u8]) -> Option<Vec<u8>>;

/// What a transformation's output says about the bytes of its input.
///
/// The engine uses it to check a rule's necessary condition ("the transformed value
/// contains one of these bytes", see [`crate::regex::Screen`]) on the raw value, before
/// transforming anything: if the raw value lacks every byte that could have produced a
/// needed byte, the transformed value lacks the needed byte too. Each transformation's
/// file states its own; a property test checks every one on generated inputs.
#[derive(Clone, Copy, Debug)]
pub enum Provenance {
    /// Output bytes need not occur in the input at all (encoders, hashes, `length`).
    Unrelated,
    /// Every output byte occurs in the input, or was decoded from a sequence starting
    /// with `escape`. The output is never longer than the input.
    Escaped { escape: u8 },
    /// Every output byte occurs in the input, except that `byte` may also stand for any
    /// of `from` (white space compressed to a space, `\` rewritten as `/`). The output
    /// is never longer than the input.
    Replaces { byte: u8, from: &'static [u8] },
    /// For every output byte `b`, the input holds a byte of `origins(b)`.
    Traced {
        origins: fn(u8) -> ByteSet,
        /// Whether the output can be longer than the input.
        lengthens: bool,
    },
}

/// The input bytes that can produce `out` when `byte` may stand for any of `from`.
pub(crate) fn replaced(out: u8, byte: u8, from: &[u8]) -> ByteSet {
    let mut set = ByteSet::single(out);
    if out == byte {
        set.union(&ByteSet::of(from));
    }
    set
}

impl Provenance {
    /// Output bytes are input bytes (some removed or reordered); never longer.
    pub const SAME: Provenance = Provenance::Traced {
        origins: ByteSet::single,
        lengthens: false,
    };

    /// Like [`Provenance::SAME`], but ASCII letters may have changed case.
    pub const CASE: Provenance = Provenance::Traced {
        origins: |b| ByteSet::single(b).case_folded(),
        lengthens: false,
    };

    /// URL decoding: decoded bytes need a `%`, and a space may also come from `+`.
    pub const URL_ESCAPES: Provenance = Provenance::Traced {
        origins: |b| {
            let mut set = ByteSet::of(&[b, b'%']);
            if b == b' ' {
                set.insert(b'+');
            }
            set
        },
        lengthens: false,
    };

    /// Only the top bit of each byte changes.
    pub const TOP_BIT: Provenance = Provenance::Traced {
        origins: |b| ByteSet::of(&[b & 0x7f, b | 0x80]),
        lengthens: false,
    };

    /// The input bytes one of which must be present for the output to contain `out`;
    /// `None` when the output says nothing about the input.
    pub fn origins(&self, out: u8) -> Option<ByteSet> {
        match self {
            Provenance::Unrelated => None,
            Provenance::Escaped { escape } => Some(ByteSet::of(&[out, *escape])),
            Provenance::Replaces { byte, from } => Some(replaced(out, *byte, from)),
            Provenance::Traced { origins, .. } => Some(origins(out)),
        }
    }

    /// The input bytes one of which must be present for the output to meet `needed`;
    /// `None` when the output says nothing about the input.
    pub fn sources(&self, needed: &ByteSet) -> Option<ByteSet> {
        let mut set = ByteSet::empty();
        for b in needed.iter() {
            set.union(&self.origins(b)?);
        }
        Some(set)
    }

    /// Whether the output can be longer than the input.
    pub fn lengthens(&self) -> bool {
        match self {
            Provenance::Unrelated => true,
            Provenance::Escaped { .. } | Provenance::Replaces { .. } => false,
            Provenance::Traced { lengthens, .. } => *lengthens,
        }
    }
}

/// A SecLang transformation, as named by a `t:` action.
///
/// A one-byte handle: `Copy`, `Eq`, `Hash`, `Ord`; its discriminant is its row
/// in [`TABLE`] (see [`Transformation::index`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Transformation {
    /// `t:none`: the reset marker. Not a function; see [`Transformation::is_reset`].
    None = 0,
    /// `t:lowercase`
    Lowercase,
    /// `t:uppercase`
    Uppercase,
    /// `t:urlDecode`
    UrlDecode,
    /// `t:urlDecodeUni`
    UrlDecodeUni,
    /// `t:urlEncode`
    UrlEncode,
    /// `t:htmlEntityDecode`
    HtmlEntityDecode,
    /// `t:jsDecode`
    JsDecode,
    /// `t:cssDecode`
    CssDecode,
    /// `t:escapeSeqDecode`
    EscapeSeqDecode,
    /// `t:cmdLine`
    CmdLine,
    /// `t:compressWhitespace`
    CompressWhitespace,
    /// `t:removeWhitespace`
    RemoveWhitespace,
    /// `t:removeNulls`
    RemoveNulls,
    /// `t:replaceNulls`
    ReplaceNulls,
    /// `t:normalisePath` (also `t:normalizePath`)
    NormalisePath,
    /// `t:normalisePathWin` (also `t:normalizePathWin`)
    NormalisePathWin,
    /// `t:base64Decode`
    Base64Decode,
    /// `t:base64DecodeExt`
    Base64DecodeExt,
    /// `t:base64Encode`
    Base64Encode,
    /// `t:hexDecode`
    HexDecode,
    /// `t:hexEncode`
    HexEncode,
    /// `t:sqlHexDecode`
    SqlHexDecode,
    /// `t:md5`
    Md5,
    /// `t:sha1`
    Sha1,
    /// `t:length`
    Length,
    /// `t:trim`
    Trim,
    /// `t:trimLeft`
    TrimLeft,
    /// `t:trimRight`
    TrimRight,
    /// `t:removeComments`
    RemoveComments,
    /// `t:removeCommentsChar`
    RemoveCommentsChar,
    /// `t:replaceComments`
    ReplaceComments,
    /// `t:utf8toUnicode`
    Utf8ToUnicode,
    /// `t:parityEven7bit`
    ParityEven7bit,
    /// `t:parityOdd7bit`
    ParityOdd7bit,
    /// `t:parityZero7bit`
    ParityZero7bit,
}

/// One row of the registry: a SecLang spelling, its handle, its implementation.
#[derive(Clone, Copy)]
pub struct Entry {
    /// The name as written after `t:` (canonical SecLang spelling, or an alias).
    pub name: &'static str,
    /// The handle this name resolves to.
    pub transformation: Transformation,
    /// The implementation. For `none` this is the identity.
    pub func: TransformFn,
    /// What the output says about the input's bytes.
    pub provenance: Provenance,
}

impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Entry")
            .field("name", &self.name)
            .field("transformation", &self.transformation)
            .finish_non_exhaustive()
    }
}

const fn row(
    name: &'static str,
    transformation: Transformation,
    func: TransformFn,
    provenance: Provenance,
) -> Entry {
    Entry {
        name,
        transformation,
        func,
        provenance,
    }
}

use Transformation as T;

/// The registry of every transformation.
///
/// Rows `0..Transformation::COUNT` are the canonical names, in discriminant
/// order (so `TABLE[t as usize].transformation == t`); the rows after them are
/// aliases.
pub static TABLE: &[Entry] = &[
    row("none", T::None, none::transform, none::PROVENANCE),
    row(
        "lowercase",
        T::Lowercase,
        lowercase::transform,
        lowercase::PROVENANCE,
    ),
    row(
        "uppercase",
        T::Uppercase,
        uppercase::transform,
        uppercase::PROVENANCE,
    ),
    row(
        "urlDecode",
        T::UrlDecode,
        url_decode::transform,
        url_decode::PROVENANCE,
    ),
    row(
        "urlDecodeUni",
        T::UrlDecodeUni,
        url_decode_uni::transform,
        url_decode_uni::PROVENANCE,
    ),
    row(
        "urlEncode",
        T::UrlEncode,
        url_encode::transform,
        url_encode::PROVENANCE,
    ),
    row(
        "htmlEntityDecode",
        T::HtmlEntityDecode,
        html_entity_decode::transform,
        html_entity_decode::PROVENANCE,
    ),
    row(
        "jsDecode",
        T::JsDecode,
        js_decode::transform,
        js_decode::PROVENANCE,
    ),
    row(
        "cssDecode",
        T::CssDecode,
        css_decode::transform,
        css_decode::PROVENANCE,
    ),
    row(
        "escapeSeqDecode",
        T::EscapeSeqDecode,
        escape_seq_decode::transform,
        escape_seq_decode::PROVENANCE,
    ),
    row(
        "cmdLine",
        T::CmdLine,
        cmd_line::transform,
        cmd_line::PROVENANCE,
    ),
    row(
        "compressWhitespace",
        T::CompressWhitespace,
        compress_whitespace::transform,
        compress_whitespace::PROVENANCE,
    ),
    row(
        "removeWhitespace",
        T::RemoveWhitespace,
        remove_whitespace::transform,
        remove_whitespace::PROVENANCE,
    ),
    row(
        "removeNulls",
        T::RemoveNulls,
        remove_nulls::transform,
        remove_nulls::PROVENANCE,
    ),
    row(
        "replaceNulls",
        T::ReplaceNulls,
        replace_nulls::transform,
        replace_nulls::PROVENANCE,
    ),
    row(
        "normalisePath",
        T::NormalisePath,
        normalise_path::transform,
        normalise_path::PROVENANCE,
    ),
    row(
        "normalisePathWin",
        T::NormalisePathWin,
        normalise_path_win::transform,
        normalise_path_win::PROVENANCE,
    ),
    row(
        "base64Decode",
        T::Base64Decode,
        base64_decode::transform,
        base64_decode::PROVENANCE,
    ),
    row(
        "base64DecodeExt",
        T::Base64DecodeExt,
        base64_decode_ext::transform,
        base64_decode_ext::PROVENANCE,
    ),
    row(
        "base64Encode",
        T::Base64Encode,
        base64_encode::transform,
        base64_encode::PROVENANCE,
    ),
    row(
        "hexDecode",
        T::HexDecode,
        hex_decode::transform,
        hex_decode::PROVENANCE,
    ),
    row(
        "hexEncode",
        T::HexEncode,
        hex_encode::transform,
        hex_encode::PROVENANCE,
    ),
    row(
        "sqlHexDecode",
        T::SqlHexDecode,
        sql_hex_decode::transform,
        sql_hex_decode::PROVENANCE,
    ),
    row("md5", T::Md5, md5::transform, md5::PROVENANCE),
    row("sha1", T::Sha1, sha1::transform, sha1::PROVENANCE),
    row("length", T::Length, length::transform, length::PROVENANCE),
    row("trim", T::Trim, trim::transform, trim::PROVENANCE),
    row(
        "trimLeft",
        T::TrimLeft,
        trim_left::transform,
        trim_left::PROVENANCE,
    ),
    row(
        "trimRight",
        T::TrimRight,
        trim_right::transform,
        trim_right::PROVENANCE,
    ),
    row(
        "removeComments",
        T::RemoveComments,
        remove_comments::transform,
        remove_comments::PROVENANCE,
    ),
    row(
        "removeCommentsChar",
        T::RemoveCommentsChar,
        remove_comments_char::transform,
        remove_comments_char::PROVENANCE,
    ),
    row(
        "replaceComments",
        T::ReplaceComments,
        replace_comments::transform,
        replace_comments::PROVENANCE,
    ),
    row(
        "utf8toUnicode",
        T::Utf8ToUnicode,
        utf8_to_unicode::transform,
        utf8_to_unicode::PROVENANCE,
    ),
    row(
        "parityEven7bit",
        T::ParityEven7bit,
        parity_even_7bit::transform,
        parity_even_7bit::PROVENANCE,
    ),
    row(
        "parityOdd7bit",
        T::ParityOdd7bit,
        parity_odd_7bit::transform,
        parity_odd_7bit::PROVENANCE,
    ),
    row(
        "parityZero7bit",
        T::ParityZero7bit,
        parity_zero_7bit::transform,
        parity_zero_7bit::PROVENANCE,
    ),
    // Aliases (US spellings) after the canonical rows.
    row(
        "normalizePath",
        T::NormalisePath,
        normalise_path::transform,
        normalise_path::PROVENANCE,
    ),
    row(
        "normalizePathWin",
        T::NormalisePathWin,
        normalise_path_win::transform,
        normalise_path_win::PROVENANCE,
    ),
];

/// Resolves a SecLang transformation name (the part after `t:`), ignoring
/// ASCII case. Returns `None` for unknown names.
pub fn lookup(name: &str) -> Option<Transformation> {
    TABLE
        .iter()
        .find(|e| e.name.eq_ignore_ascii_case(name))
        .map(|e| e.transformation)
}

impl Transformation {
    /// Number of distinct transformations (including `none`).
    pub const COUNT: usize = 36;

    /// The row of this transformation in [`TABLE`]; also a dense index in
    /// `0..COUNT` for per-transformation arrays.
    #[inline]
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The handle at a dense index, if any.
    #[inline]
    pub fn from_index(index: usize) -> Option<Self> {
        if index < Self::COUNT {
            Some(TABLE[index].transformation)
        } else {
            None
        }
    }

    /// Every transformation, `none` first, in index order.
    pub fn all() -> impl Iterator<Item = Self> {
        TABLE[..Self::COUNT].iter().map(|e| e.transformation)
    }

    /// The canonical SecLang name (`"urlDecodeUni"`, `"normalisePath"`, …).
    #[inline]
    pub fn name(self) -> &'static str {
        TABLE[self.index()].name
    }

    /// Whether this is `t:none`, which resets the transformation list built so
    /// far instead of transforming anything.
    #[inline]
    pub const fn is_reset(self) -> bool {
        matches!(self, Self::None)
    }

    /// The implementation. Prefer [`Transformation::apply`], which also
    /// normalises "changed to the same bytes" to `None`.
    #[inline]
    pub fn func(self) -> TransformFn {
        TABLE[self.index()].func
    }

    /// What the output says about the input's bytes.
    #[inline]
    pub fn provenance(self) -> Provenance {
        TABLE[self.index()].provenance
    }

    /// Applies the transformation. `None` means the output equals `input`
    /// (nothing was allocated); `Some(v)` always differs from `input`.
    /// `Transformation::None` is the identity here.
    #[inline]
    pub fn apply(self, input: &[u8]) -> Option<Vec<u8>> {
        match (self.func())(input) {
            Some(out) if out.as_slice() != input => Some(out),
            _ => None,
        }
    }

    /// Like [`Transformation::apply`], as a `Cow` that borrows when unchanged.
    #[inline]
    pub fn apply_cow(self, input: &[u8]) -> Cow<'_, [u8]> {
        match self.apply(input) {
            Some(out) => Cow::Owned(out),
            None => Cow::Borrowed(input),
        }
    }
}

impl fmt::Display for Transformation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Applies a chain left to right with ModSecurity's `t:none` semantics: every
/// transformation before the last `none` is dropped.
///
/// The engine caches per prefix and will not use this; it is the reference
/// for what a chain means and handy in tests and tools.
pub fn apply_chain<'a>(chain: &[Transformation], input: &'a [u8]) -> Cow<'a, [u8]> {
    let start = chain
        .iter()
        .rposition(|t| t.is_reset())
        .map_or(0, |i| i + 1);
    let mut value = Cow::Borrowed(input);
    for t in &chain[start..] {
        if let Some(out) = t.apply(&value) {
            value = Cow::Owned(out);
        }
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_every_transformation_once_in_index_order() {
        assert_eq!(TABLE.len(), Transformation::COUNT + 2);
        for (i, e) in TABLE[..Transformation::COUNT].iter().enumerate() {
            assert_eq!(
                e.transformation.index(),
                i,
                "row {i} ({}) out of order",
                e.name
            );
        }
        assert_eq!(Transformation::all().count(), Transformation::COUNT);
        assert_eq!(Transformation::from_index(Transformation::COUNT), None);
        assert_eq!(
            Transformation::from_index(35),
            Some(Transformation::ParityZero7bit)
        );
    }

    #[test]
    fn names_are_unique_ignoring_case() {
        for (i, a) in TABLE.iter().enumerate() {
            for b in &TABLE[i + 1..] {
                assert!(!a.name.eq_ignore_ascii_case(b.name), "duplicate {}", a.name);
            }
        }
    }

    #[test]
    fn every_name_resolves_to_its_row() {
        let mut checked = 0;
        for e in TABLE {
            assert_eq!(lookup(e.name), Some(e.transformation));
            assert_eq!(lookup(&e.name.to_ascii_uppercase()), Some(e.transformation));
            assert_eq!(lookup(&e.name.to_ascii_lowercase()), Some(e.transformation));
            checked += 1;
        }
        assert_eq!(checked, 38);
    }

    #[test]
    fn aliases_behave_like_their_canonical_row() {
        let samples: [&[u8]; 4] = [b"a/./b/../c", b"a\\b\\..\\c", b"//x//", b""];
        let mut checked = 0;
        for e in &TABLE[Transformation::COUNT..] {
            for s in samples {
                assert_eq!((e.func)(s), (e.transformation.func())(s), "{}", e.name);
                checked += 1;
            }
        }
        assert_eq!(checked, 8);
    }

    #[test]
    fn us_spellings_and_canonical_names() {
        assert_eq!(lookup("normalizePath"), Some(Transformation::NormalisePath));
        assert_eq!(
            lookup("normalizePathWin"),
            Some(Transformation::NormalisePathWin)
        );
        assert_eq!(Transformation::NormalisePath.name(), "normalisePath");
        assert_eq!(Transformation::Utf8ToUnicode.name(), "utf8toUnicode");
        assert_eq!(Transformation::CmdLine.to_string(), "cmdLine");
        assert_eq!(lookup("cmd_line"), None);
        assert_eq!(lookup(""), None);
        assert_eq!(lookup("lowercase "), None);
    }

    #[test]
    fn none_is_a_reset_marker_and_the_identity() {
        let t = lookup("none").unwrap();
        assert_eq!(t, Transformation::None);
        assert!(t.is_reset());
        assert_eq!(Transformation::all().filter(|t| t.is_reset()).count(), 1);
        assert_eq!(t.apply(b"ABC"), None);
    }

    #[test]
    fn apply_reports_unchanged_as_none() {
        // urlDecode sees a '%' but decodes nothing.
        assert_eq!(Transformation::UrlDecode.apply(b"100%zz"), None);
        // length of "1" is "1".
        assert_eq!(Transformation::Length.apply(b"1"), None);
        assert!(matches!(
            Transformation::Lowercase.apply_cow(b"abc"),
            Cow::Borrowed(_)
        ));
        assert_eq!(Transformation::Lowercase.apply_cow(b"ABC").as_ref(), b"abc");
    }

    #[test]
    fn chain_honours_the_last_none() {
        use Transformation as T;
        let v = apply_chain(
            &[T::Uppercase, T::None, T::UrlDecode, T::Lowercase],
            b"A%42c",
        );
        assert_eq!(v.as_ref(), b"abc");
        let v = apply_chain(&[T::UrlDecode, T::None], b"%41");
        assert_eq!(v.as_ref(), b"%41");
        let v = apply_chain(&[], b"x");
        assert!(matches!(v, Cow::Borrowed(_)));
    }

    #[test]
    fn handle_is_one_byte() {
        assert_eq!(std::mem::size_of::<Transformation>(), 1);
        assert_eq!(std::mem::size_of::<Option<Transformation>>(), 1);
    }
}
