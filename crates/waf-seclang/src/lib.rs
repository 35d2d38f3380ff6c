//! SecLang, the ModSecurity rule language, parsed into a typed syntax tree.
//!
//! This crate reads rule text and nothing else: it evaluates nothing and touches no files.
//! `Include` directives are resolved through a [`Loader`] the caller supplies (a file system,
//! files embedded in a wasm module, a map in a test). The result is a [`RuleSetAst`]: every
//! directive of every file in load order, each with its file, line and column, plus every
//! error and warning found on the way. A bad directive is reported and skipped; parsing goes
//! on, so one run lists every problem. No input makes the parser panic.
//!
//! ```
//! let parsed = waf_seclang::parse_str("example.conf",
//!     r#"SecRule ARGS "@rx <script" "id:1,phase:2,deny,t:lowercase""#);
//! assert!(parsed.errors.is_empty());
//! let waf_seclang::Directive::Rule(rule) = &parsed.ast.directives[0].node else { panic!() };
//! assert_eq!(rule.operator.name, "rx");
//! ```
//!
//! Printing a [`Directive`] with `Display` gives SecLang back; parsing that text yields the
//! same tree (spans aside).

mod actions;
pub mod ast;
mod directive;
#[cfg(feature = "fs")]
mod fs_loader;
mod lines;
mod loader;
mod macros;
mod operator;
mod print;
mod span;
mod variables;

pub use actions::TRANSFORMATION_NAMES;
pub use ast::*;
#[cfg(feature = "fs")]
pub use fs_loader::{FsLoader, OverlayLoader};
pub use loader::{LoadError, Loader, MemoryLoader, glob_match, has_wildcards, join_relative};
pub use macros::parse_macros;
pub use operator::OPERATOR_NAMES;
pub use span::{Location, ParseError, Span, Warning};

use directive::{Parsed, inert_directive_name, parse_line};

/// How deep `Include` may nest before we assume a cycle.
pub const MAX_INCLUDE_DEPTH: usize = 32;

/// The outcome of parsing: the tree of everything that parsed, and what did not.
#[derive(Debug, Default)]
pub struct ParseOutput {
    pub ast: RuleSetAst,
    pub errors: Vec<ParseError>,
    pub warnings: Vec<Warning>,
}

impl ParseOutput {
    /// Rules in the tree: `SecRule` and `SecAction` directives, chain links included.
    pub fn rule_directive_count(&self) -> usize {
        self.ast
            .directives
            .iter()
            .filter(|d| matches!(d.node, Directive::Rule(_) | Directive::Action(_)))
            .count()
    }
}

/// Parses one text with no `Include` support (an `Include` is reported as an error).
pub fn parse_str(name: &str, text: &str) -> ParseOutput {
    let mut loader = MemoryLoader::default();
    let mut parser = Parser::new(&mut loader);
    parser.parse_text(name, text);
    parser.finish()
}

/// Parses files through a loader, following `Include`.
pub fn parse_files(loader: &mut dyn Loader, names: &[&str]) -> ParseOutput {
    let mut parser = Parser::new(loader);
    for name in names {
        parser.parse_file(name, None);
    }
    parser.finish()
}

/// Incremental parser: feed it texts and files in load order, then [`Parser::finish`].
pub struct Parser<'l> {
    loader: &'l mut dyn Loader,
    out: ParseOutput,
    /// Files currently being read, innermost last, to detect include cycles.
    stack: Vec<String>,
}

impl<'l> Parser<'l> {
    pub fn new(loader: &'l mut dyn Loader) -> Self {
        Parser {
            loader,
            out: ParseOutput::default(),
            stack: Vec::new(),
        }
    }

    /// Reads a file through the loader and parses it. `from` is where the request came from,
    /// for error messages.
    pub fn parse_file(&mut self, name: &str, from: Option<&Location>) {
        match self.loader.read(name) {
            Ok(text) => self.parse_text(name, &text),
            Err(e) => self.error_at(
                from.cloned().unwrap_or_else(|| Location {
                    file: name.to_string(),
                    line: 0,
                    column: 0,
                }),
                format!("cannot read `{name}`: {e}"),
            ),
        }
    }

    /// Parses rule text that came from `name`.
    pub fn parse_text(&mut self, name: &str, text: &str) {
        let file = self.out.ast.files.len() as u32;
        self.out.ast.files.push(name.to_string());
        self.stack.push(name.to_string());
        for line in lines::logical_lines(text) {
            let span_at = |offset: usize| {
                let (line_no, column) = line.position(offset);
                Span {
                    file,
                    line: line_no,
                    column,
                }
            };
            let words = match lines::split_words(&line.text) {
                Ok(w) => w,
                Err(e) => {
                    self.error(span_at(e.offset), e.message.to_string());
                    continue;
                }
            };
            let span = span_at(0);
            match parse_line(&words, &span_at) {
                Ok(Parsed::Directive(directive)) => {
                    if let Directive::Setting(Setting::Inert { directive: d, .. }) = &directive {
                        let name = inert_directive_name(d).unwrap_or("directive");
                        self.warn(
                            span,
                            format!("{name} is accepted but not acted on: the engine does no I/O; the host decides logging and storage"),
                        );
                    }
                    self.out.ast.directives.push(Located {
                        node: directive,
                        span,
                    });
                }
                Ok(Parsed::Include { pattern, optional }) => {
                    self.include(&pattern, optional, name, span)
                }
                Err(e) => self.error(span_at(e.offset), e.message),
            }
        }
        self.stack.pop();
    }

    fn include(&mut self, pattern: &str, optional: bool, from: &str, span: Span) {
        let location = self.location(span);
        if self.stack.len() >= MAX_INCLUDE_DEPTH {
            self.error(
                span,
                format!("Include nested deeper than {MAX_INCLUDE_DEPTH} levels (a cycle?)"),
            );
            return;
        }
        let names = match self.loader.resolve(pattern, from) {
            Ok(names) => names,
            Err(_) if optional => return,
            Err(e) => {
                self.error(span, format!("Include `{pattern}`: {e}"));
                return;
            }
        };
        if names.is_empty() && !optional {
            self.error(span, format!("Include `{pattern}` matched no file"));
        }
        for name in names {
            if self.stack.contains(&name) {
                self.error(span, format!("Include cycle: `{name}` includes itself"));
                continue;
            }
            self.parse_file(&name, Some(&location));
        }
    }

    fn location(&self, span: Span) -> Location {
        Location {
            file: self.out.ast.file_name(span).to_string(),
            line: span.line,
            column: span.column,
        }
    }

    fn error(&mut self, span: Span, message: String) {
        let location = self.location(span);
        self.error_at(location, message);
    }

    fn error_at(&mut self, location: Location, message: String) {
        self.out.errors.push(ParseError { location, message });
    }

    fn warn(&mut self, span: Span, message: String) {
        let location = self.location(span);
        self.out.warnings.push(Warning { location, message });
    }

    pub fn finish(self) -> ParseOutput {
        self.out
    }
}

#[cfg(test)]
mod tests;
