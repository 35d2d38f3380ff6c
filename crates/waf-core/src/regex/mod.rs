//! PCRE-compatible `@rx` patterns on two engines: linear time by default, bounded
//! backtracking only where a pattern needs it.
//!
//! This module never reads files or clocks; it turns a pattern string into a
//! [`Pattern`] once, at rule load, and matches byte strings against it many times.
//!
//! # What ModSecurity v3 does
//!
//! ModSecurity v3 (`src/utils/regex.cc`) compiles every `@rx` pattern with PCRE
//! (PCRE1 or PCRE2, 8-bit) and the options `DOTALL | MULTILINE`, adding `CASELESS` only
//! when the caller asks; it never sets UTF or UCP. An empty pattern is replaced by
//! `.*`. So, for us:
//!
//! * the subject is a string of bytes; `.` matches any byte, newline included;
//! * `\d`, `\w`, `\s`, `\b`, POSIX classes and case-insensitivity are ASCII-only
//!   (PCRE's built-in "C" locale tables); `\s` includes VT (0x0B), `\h` is
//!   `[\t \xA0]` and `\v` is `[\n\x0B\x0C\r\x85]` (not Rust's vertical tab);
//! * `^` matches at the start and after any `\n` except one that ends the subject;
//!   `$` matches before any `\n` and at the end;
//! * the pattern is bytes too: a UTF-8 character in a pattern is several literal
//!   bytes, and inside `[...]` each byte is a member of its own (CRS 4 relies on this,
//!   e.g. `[´’‘]`);
//! * `{` that does not start `{n}`, `{n,}` or `{n,m}` is a literal.
//!
//! # Design: translate, then pick an engine
//!
//! Rather than hand PCRE syntax to an engine with different defaults, [`Pattern`]
//! parses the PCRE dialect itself (`parse.rs`) into a small tree in which every
//! decision above is already made: literals under `(?i)` are byte sets with both
//! cases, `\s` is the exact byte set, `$` is "line end". The tree is then written out
//! (`emit.rs`) with every byte spelt as `\xHH` and Unicode off, so the target engine's
//! own notions of case, classes or UTF-8 never come into play.
//!
//! * [`Engine::Linear`]: [`regex::bytes::Regex`]. Linear in the input length and
//!   immune to ReDoS. Atomic groups `(?>...)` and possessive quantifiers (`*+`, `++`,
//!   `?+`, `{n,m}+`) are written as their plain forms. That can only *add* matches
//!   (atomicity forbids some backtracking paths, it never creates one), and CRS uses
//!   them purely as optimisations where the next item cannot match what the quantifier
//!   consumed (`\s*+\(`), where both readings agree. The differential test against
//!   `pcre2test` checks this on the CRS corpus.
//! * [`Engine::Backtracking`]: [`fancy_regex`] in its ASCII bytes mode, with a step
//!   limit, only for trees with lookaround, back references or `\Z` (end or before a
//!   final newline, which the linear engine cannot express). Here PCRE semantics are
//!   kept exactly, atomic groups included. Exceeding the limit yields
//!   [`LimitExceeded`], which the engine counts like ModSecurity's
//!   `MSC_PCRE_LIMITS_EXCEEDED`; it never hangs. `fancy_regex` 0.20 matches `&[u8]`
//!   natively (`BytesMode::Ascii`: `.` is one byte, `\xHH` is a byte), so no
//!   byte-to-char remapping of subjects (latin-1 style) is needed, and the reported
//!   offsets are byte offsets of the subject as given.
//!
//! Why not backtracking everywhere: CRS patterns are large alternations run on
//! attacker-chosen input; a linear engine makes their cost independent of the input's
//! shape, and the fallback is confined to the few patterns that cannot be expressed
//! otherwise. Why not reject those few: CRS 3.3 uses them in rules that matter
//! (920120, 942130, 953120).
//!
//! One more PCRE rule needs care: multiline `^` does not match after a `\n` that ends
//! the subject, which `regex`'s `(?m:^)` does. It only changes a result when the rest
//! of the pattern can match empty there (CRS: `^$`, `^(?:\?[01])?$`). For such
//! patterns the exact backtracking form is compiled as well and used only for subjects
//! ending in `\n`; all other patterns never carry it.
//!
//! # Measured
//!
//! (`tests/regex_crs.rs`, release build, 2 shared cores.)
//!
//! * CRS 4.28.0: 318 `@rx` patterns, all linear; compiling all takes 0.4-0.5 s (about
//!   what `regex` needs for the untranslated patterns), the slowest (933120/933151)
//!   60-80 ms.
//! * CRS 3.3.10: 266 patterns, 263 linear, 3 backtracking (920120 negative lookbehind,
//!   942130 back references, 953120 negative lookahead); about 0.25 s.
//!   Debian's CRS 3.3.4: 265 patterns, the same 3 backtracking.
//! * Against PCRE2 10.42 (`pcre2test`, the library Debian's libmodsecurity3 links):
//!   522 patterns (CRS 3.3.10 + 4.28.0 + hand-written corner cases) times 1007
//!   subjects from the CRS regression tests and variants: every match/no-match verdict
//!   and every group 0 span agrees.
//! * [`RegexConfig::default`] keeps `regex`'s 2 MiB lazy-DFA cache and raises the
//!   program size limit to 32 MiB; the CRS needs far less.
//!
//! # Known differences from PCRE
//!
//! * Linear engine only: atomic groups and possessive quantifiers are read as plain
//!   (see above); a pattern where that changes the result is not known in CRS.
//! * Lookbehind follows PCRE2 10.42: every top-level branch must have a fixed length.
//! * Unsupported (a [`RegexError::Unsupported`] at compile time, never a silent
//!   difference): recursion and subroutine calls, conditionals, branch reset `(?|`,
//!   backtracking verbs `(*...)`, `(?n)`, `\K`, `\X`, `\p{..}`, callouts.
//! * A NUL byte in a pattern is a literal NUL (ModSecurity stops the pattern there).
//! * The step limit counts `fancy_regex` backtracking steps, not PCRE's match-limit
//!   units, so a limit hit happens at a different input size than in ModSecurity.

mod ast;
mod emit;
mod literal;
mod parse;
mod screen;

#[cfg(test)]
mod tests;

use std::fmt;
use std::ops::Range;

use emit::Target;
pub use screen::Screen;

/// Which engine a [`Pattern`] runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Engine {
    /// `regex::bytes::Regex`: linear time, no limit needed.
    Linear,
    /// `fancy_regex` with a backtracking step limit.
    Backtracking,
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Engine::Linear => "linear",
            Engine::Backtracking => "backtracking",
        })
    }
}

/// Compile-time and match-time limits. `Default` suits the whole CRS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegexConfig {
    /// PCRE `CASELESS` for the whole pattern (ModSecurity's `ignoreCase`). `@rx` uses
    /// `false`; CRS writes `(?i)` in the pattern instead.
    pub case_insensitive: bool,
    /// Approximate upper bound, in bytes, of one compiled program
    /// (`regex::bytes::RegexBuilder::size_limit`).
    pub size_limit: usize,
    /// Capacity in bytes of the lazy DFA cache of one pattern
    /// (`regex::bytes::RegexBuilder::dfa_size_limit`).
    pub dfa_size_limit: usize,
    /// Steps the backtracking engine may take for one match call before giving up
    /// with [`LimitExceeded`].
    pub backtrack_limit: usize,
}

impl Default for RegexConfig {
    fn default() -> Self {
        RegexConfig {
            case_insensitive: false,
            // The largest CRS pattern needs well under this; the default 10 MiB of the
            // regex crate is enough today, 32 MiB leaves room for local rules.
            size_limit: 32 << 20,
            dfa_size_limit: 2 << 20,
            backtrack_limit: 1_000_000,
        }
    }
}

/// Why a pattern was rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RegexError {
    /// PCRE would reject the pattern too. `offset` is a byte offset into the pattern.
    Syntax { offset: usize, error: SyntaxError },
    /// Valid PCRE that this module does not implement.
    Unsupported {
        offset: usize,
        feature: &'static str,
    },
    /// The compiled program would exceed [`RegexConfig::size_limit`].
    TooBig { limit: usize },
    /// The translated pattern was refused by the engine. This is a bug in the
    /// translation; `translated` is what was handed over.
    Engine {
        engine: Engine,
        message: String,
        translated: String,
    },
}

/// The specific syntax problem in a [`RegexError::Syntax`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SyntaxError {
    UnmatchedCloseParen,
    UnclosedGroup,
    UnclosedClass,
    UnclosedComment,
    NothingToRepeat,
    RepeatTooLarge,
    RepeatOutOfOrder,
    RangeOutOfOrder,
    TrailingBackslash,
    BadEscape,
    BadEscapeInClass,
    CodePointTooLarge,
    UnknownGroupKind,
    UnknownFlag,
    BadGroupName,
    NoSuchGroup,
    UnknownPosixClass,
    PosixOutsideClass,
    CollatingElement,
    InvalidRange,
    LookbehindNotFixed,
    TooDeep,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SyntaxError::UnmatchedCloseParen => "unmatched closing parenthesis",
            SyntaxError::UnclosedGroup => "missing closing parenthesis",
            SyntaxError::UnclosedClass => "missing terminating ] for character class",
            SyntaxError::UnclosedComment => "missing ) after (?# comment",
            SyntaxError::NothingToRepeat => "quantifier does not follow a repeatable item",
            SyntaxError::RepeatTooLarge => "number too big in {} quantifier",
            SyntaxError::RepeatOutOfOrder => "numbers out of order in {} quantifier",
            SyntaxError::RangeOutOfOrder => "range out of order in character class",
            SyntaxError::TrailingBackslash => "\\ at end of pattern",
            SyntaxError::BadEscape => "unrecognized or malformed escape sequence",
            SyntaxError::BadEscapeInClass => "escape sequence is invalid in character class",
            SyntaxError::CodePointTooLarge => "character code point value too large (non-UTF)",
            SyntaxError::UnknownGroupKind => "unrecognized character after (?",
            SyntaxError::UnknownFlag => "unrecognized option letter",
            SyntaxError::BadGroupName => "malformed group name",
            SyntaxError::NoSuchGroup => "reference to non-existent group",
            SyntaxError::UnknownPosixClass => "unknown POSIX class name",
            SyntaxError::PosixOutsideClass => {
                "POSIX named classes are supported only within a class"
            }
            SyntaxError::CollatingElement => "POSIX collating elements are not supported",
            SyntaxError::InvalidRange => "invalid range in character class",
            SyntaxError::LookbehindNotFixed => "lookbehind assertion is not fixed length",
            SyntaxError::TooDeep => "parentheses are too deeply nested",
        })
    }
}

impl fmt::Display for RegexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegexError::Syntax { offset, error } => write!(f, "{error} at offset {offset}"),
            RegexError::Unsupported { offset, feature } => {
                write!(f, "unsupported PCRE feature at offset {offset}: {feature}")
            }
            RegexError::TooBig { limit } => {
                write!(
                    f,
                    "compiled pattern exceeds the size limit of {limit} bytes"
                )
            }
            RegexError::Engine {
                engine, message, ..
            } => write!(
                f,
                "{engine} engine rejected the translated pattern: {message}"
            ),
        }
    }
}

impl std::error::Error for RegexError {}

/// The backtracking engine gave up: the match result is unknown. Counted by the
/// engine like ModSecurity's `MSC_PCRE_LIMITS_EXCEEDED`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LimitExceeded {
    /// The step limit in force ([`RegexConfig::backtrack_limit`]).
    pub limit: usize,
}

impl fmt::Display for LimitExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "regex backtracking limit of {} steps exceeded",
            self.limit
        )
    }
}

impl std::error::Error for LimitExceeded {}

/// The groups of one match: index 0 is the whole match (`TX:0`), 1.. the capture
/// groups (`TX:1`..`TX:9` for `capture`). A group that did not take part is `None`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Captures<'h> {
    hay: &'h [u8],
    spans: Vec<Option<Range<usize>>>,
}

impl<'h> Captures<'h> {
    /// The bytes of group `i`, if it took part in the match.
    pub fn get(&self, i: usize) -> Option<&'h [u8]> {
        let span = self.spans.get(i)?.clone()?;
        self.hay.get(span)
    }

    /// The byte range of group `i` in the haystack.
    pub fn span(&self, i: usize) -> Option<Range<usize>> {
        self.spans.get(i)?.clone()
    }

    /// Number of groups including group 0.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Always false: group 0 is always there.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// All groups in order, `None` for those that did not take part.
    pub fn iter(&self) -> impl Iterator<Item = Option<&'h [u8]>> + '_ {
        (0..self.spans.len()).map(|i| self.get(i))
    }
}

#[derive(Clone, Debug)]
enum Compiled {
    Linear {
        regex: regex::bytes::Regex,
        /// The exact (backtracking) form, used only for subjects ending in `\n` when
        /// a multiline `^` could match at the very end (see the module docs).
        trailing_newline: Option<fancy_regex::Regex>,
        limit: usize,
    },
    Backtracking {
        regex: fancy_regex::Regex,
        limit: usize,
    },
}

impl Compiled {
    /// The regex to run on `hay`, as either engine.
    fn pick(&self, hay: &[u8]) -> Picked<'_> {
        match self {
            Compiled::Linear {
                trailing_newline: Some(exact),
                limit,
                ..
            } if hay.last() == Some(&b'\n') => Picked::Fancy(exact, *limit),
            Compiled::Linear { regex, .. } => Picked::Linear(regex),
            Compiled::Backtracking { regex, limit } => Picked::Fancy(regex, *limit),
        }
    }
}

enum Picked<'a> {
    Linear(&'a regex::bytes::Regex),
    Fancy(&'a fancy_regex::Regex, usize),
}

fn build_backtracking(
    translated: &str,
    config: &RegexConfig,
) -> Result<fancy_regex::Regex, RegexError> {
    fancy_regex::RegexBuilder::new(translated)
        .bytes_mode(fancy_regex::BytesMode::Ascii)
        .unicode_mode(false)
        .backtrack_limit(config.backtrack_limit)
        .delegate_size_limit(config.size_limit)
        .delegate_dfa_size_limit(config.dfa_size_limit)
        .build()
        .map_err(|e| RegexError::Engine {
            engine: Engine::Backtracking,
            message: e.to_string(),
            translated: translated.to_owned(),
        })
}

/// A compiled `@rx` pattern. Cheap to share (`Send + Sync`); compile once, match many.
#[derive(Clone, Debug)]
pub struct Pattern {
    source: String,
    translated: String,
    groups: usize,
    compiled: Compiled,
    screen: Screen,
    /// Set when the pattern only looks for a literal (see `literal.rs`).
    literal: Option<literal::Literal>,
    /// Set when the pattern matches any line whole (see `literal.rs`).
    whole_line: Option<literal::WholeLine>,
}

impl Pattern {
    /// Compiles a PCRE pattern with ModSecurity's options and [`RegexConfig::default`].
    ///
    /// ```
    /// use waf_core::regex::{Engine, Pattern};
    /// let p = Pattern::compile(r"(?i)<script[^>]*>").unwrap();
    /// assert_eq!(p.engine(), Engine::Linear);
    /// assert!(p.is_match(b"x=<SCRIPT src=//a>").unwrap());
    /// ```
    pub fn compile(pcre: &str) -> Result<Pattern, RegexError> {
        Self::with_config(pcre, &RegexConfig::default())
    }

    /// Compiles with explicit limits and options.
    pub fn with_config(pcre: &str, config: &RegexConfig) -> Result<Pattern, RegexError> {
        let source = if pcre.is_empty() { ".*" } else { pcre };
        let parsed = parse::parse(source.as_bytes(), config.case_insensitive)?;
        let groups = usize::try_from(parsed.groups).unwrap_or(usize::MAX);
        let (translated, compiled) = if parsed.node.needs_backtracking() {
            let translated = emit::emit(&parsed.node, Target::Backtracking);
            let regex = build_backtracking(&translated, config)?;
            let limit = config.backtrack_limit;
            (translated, Compiled::Backtracking { regex, limit })
        } else {
            let translated = emit::emit(&parsed.node, Target::Linear);
            let regex = regex::bytes::RegexBuilder::new(&translated)
                .unicode(false)
                .size_limit(config.size_limit)
                .dfa_size_limit(config.dfa_size_limit)
                // Our emitter adds a `(?:...)` around some repeated items; PCRE's own
                // nesting limit (250) is enforced by the parser.
                .nest_limit(1000)
                .build()
                .map_err(|e| match e {
                    regex::Error::CompiledTooBig(limit) => RegexError::TooBig { limit },
                    other => RegexError::Engine {
                        engine: Engine::Linear,
                        message: other.to_string(),
                        translated: translated.clone(),
                    },
                })?;
            let trailing_newline = if parsed.node.line_start_may_end_match() {
                let exact = emit::emit(&parsed.node, Target::Backtracking);
                Some(build_backtracking(&exact, config)?)
            } else {
                None
            };
            let limit = config.backtrack_limit;
            (
                translated,
                Compiled::Linear {
                    regex,
                    trailing_newline,
                    limit,
                },
            )
        };
        Ok(Pattern {
            source: pcre.to_owned(),
            translated,
            groups,
            compiled,
            screen: Screen::of(&parsed.node),
            literal: literal::Literal::of(&parsed.node),
            whole_line: literal::WholeLine::of(&parsed.node),
        })
    }

    /// The pattern as written (before the empty pattern became `.*`).
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// The pattern handed to the engine, for debugging and reports.
    pub fn translated(&self) -> &str {
        &self.translated
    }

    /// Which engine runs this pattern.
    pub fn engine(&self) -> Engine {
        match self.compiled {
            Compiled::Linear { .. } => Engine::Linear,
            Compiled::Backtracking { .. } => Engine::Backtracking,
        }
    }

    /// Number of capture groups, not counting group 0.
    pub fn group_count(&self) -> usize {
        self.groups
    }

    /// A cheap necessary condition for a match (see [`Screen`]).
    pub fn screen(&self) -> &Screen {
        &self.screen
    }

    /// Whether the pattern matches anywhere in `hay`.
    pub fn is_match(&self, hay: &[u8]) -> Result<bool, LimitExceeded> {
        if let Some(answer) = self.literal.as_ref().and_then(|l| l.is_match(hay)) {
            return Ok(answer);
        }
        match self.compiled.pick(hay) {
            Picked::Linear(re) => Ok(re.is_match(hay)),
            Picked::Fancy(re, limit) => re.is_match(hay).map_err(|_| LimitExceeded { limit }),
        }
    }

    /// The byte range of the first (leftmost, PCRE-priority) match.
    pub fn find(&self, hay: &[u8]) -> Result<Option<Range<usize>>, LimitExceeded> {
        if let Some(whole) = self.whole_line.as_ref().and_then(|w| w.find(hay)) {
            return Ok(Some(whole));
        }
        match self.compiled.pick(hay) {
            Picked::Linear(re) => Ok(re.find(hay).map(|m| m.range())),
            Picked::Fancy(re, limit) => re
                .find(hay)
                .map(|m| m.map(|m| m.start()..m.end()))
                .map_err(|_| LimitExceeded { limit }),
        }
    }

    /// The groups of the first match, for the `capture` action.
    pub fn captures<'h>(&self, hay: &'h [u8]) -> Result<Option<Captures<'h>>, LimitExceeded> {
        let spans: Vec<Option<Range<usize>>> = match self.compiled.pick(hay) {
            Picked::Linear(re) => match re.captures(hay) {
                None => return Ok(None),
                Some(c) => c.iter().map(|m| m.map(|m| m.range())).collect(),
            },
            Picked::Fancy(re, limit) => {
                match re.captures(hay).map_err(|_| LimitExceeded { limit })? {
                    None => return Ok(None),
                    Some(c) => (0..c.len())
                        .map(|i| c.get(i).map(|m| m.start()..m.end()))
                        .collect(),
                }
            }
        };
        Ok(Some(Captures { hay, spans }))
    }
}
