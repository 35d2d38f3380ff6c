//! The test-file model: what a go-ftw YAML file says, in both syntaxes.
//!
//! Two syntaxes exist in the CRS trees we test against:
//!
//! * **v1** (CRS 3.3.x): `meta`, `tests[].test_title`, `tests[].stages[].stage.{input,output}`,
//!   expectations as `log_contains` / `no_log_contains` regexes and `status: [..]` lists.
//! * **v2** (CRS 4.x, ftw-tests-schema v2): top-level `rule_id`, `tests[].test_id`,
//!   `tests[].stages[].{input,output}`, expectations under `output.log`
//!   (`expect_ids`, `no_expect_ids`, `match_regex`, `no_match_regex`) and `status: 403`.
//!
//! Both deserialize into the same [`Input`] and [`Output`] types; a stage written either
//! way becomes one [`Stage`]. Loading is lenient about scalars (a header value written as
//! `Content-Length: 0` is the string `"0"`, as go-ftw's YAML decoder makes it) and strict
//! about structure (a `tests` entry that is not a mapping is an error, never a panic).

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};

/// Which of the two go-ftw syntaxes a file is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Syntax {
    /// `test_title` and `stages[].stage` (CRS 3.3.x, Python ftw / early go-ftw).
    V1,
    /// `rule_id`, `test_id` and `stages[].input` (CRS 4.x, go-ftw ≥ 1.0).
    V2,
}

/// One loaded test file.
#[derive(Clone, Debug)]
pub struct TestFile {
    /// Where the file was read from (as given to the loader).
    pub path: PathBuf,
    /// The syntax the file is written in.
    pub syntax: Syntax,
    /// `rule_id` (v2), or the first run of digits in the file name (what go-ftw falls back to).
    pub rule_id: u32,
    /// `meta` as written.
    pub meta: Meta,
    /// The tests, in file order.
    pub tests: Vec<Test>,
}

/// The `meta` block of a file.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct Meta {
    /// `author`.
    pub author: Option<Scalar>,
    /// `name` (v1 files repeat the file name here).
    pub name: Option<Scalar>,
    /// `description`.
    pub description: Option<Scalar>,
    /// `enabled`: deprecated in go-ftw and ignored there; kept for information.
    pub enabled: Option<bool>,
    /// `tags`.
    #[serde(deserialize_with = "null_default")]
    pub tags: Vec<String>,
}

/// One test: an id and one or more stages.
#[derive(Clone, Debug)]
pub struct Test {
    /// The id used in reports and override files: `"<rule_id>-<test_id>"` for v2,
    /// the `test_title` for v1 (e.g. `"920100-1"`, `"944200-0FP"`).
    pub id: String,
    /// The rule this test targets.
    pub rule_id: u32,
    /// The numeric test id: `test_id` (v2, or its position when absent, as go-ftw does),
    /// or the number after the dash in a v1 `test_title` when it is one.
    pub test_id: Option<u32>,
    /// `desc`.
    pub desc: Option<String>,
    /// `tags`.
    pub tags: Vec<String>,
    /// The stages, in order.
    pub stages: Vec<Stage>,
}

/// One request and what must be true of its outcome.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct Stage {
    /// `description` (schema v2 stages may carry one).
    pub description: Option<String>,
    /// What to send.
    #[serde(deserialize_with = "null_default")]
    pub input: Input,
    /// What to expect.
    #[serde(deserialize_with = "null_default")]
    pub output: Output,
}

/// The request of one stage, as written (defaults are applied when the request is built).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct Input {
    /// `dest_addr` (go-ftw default `localhost`).
    pub dest_addr: Option<Scalar>,
    /// `port` (go-ftw default 80).
    pub port: Option<i64>,
    /// `protocol`: `http` or `https` (go-ftw default `http`).
    pub protocol: Option<Scalar>,
    /// `uri` (default `/`), sent as is: no encoding, no validation.
    pub uri: Option<Scalar>,
    /// `uris` (schema ≥ 2.x): several URIs for one stage; not used by the CRS suites.
    pub uris: Option<Vec<Scalar>>,
    /// `method` (default `GET`), sent as is, leading spaces included.
    pub method: Option<Scalar>,
    /// `version` (default `HTTP/1.1`); `""` leaves the request line without a version.
    pub version: Option<Scalar>,
    /// `headers`: a mapping, so order and duplicates are lost; go-ftw sends it sorted by name.
    pub headers: Option<BTreeMap<String, Scalar>>,
    /// `ordered_headers` (schema v3): a list of `{name, value}` sent in order.
    pub ordered_headers: Option<Vec<HeaderTuple>>,
    /// `data`: the body, a Go template (go-ftw evaluates `{{ ... }}`).
    pub data: Option<Data>,
    /// `encoded_data`: the body, base64.
    pub encoded_data: Option<String>,
    /// `encoded_request`: the whole request, base64; everything else is ignored.
    pub encoded_request: Option<String>,
    /// `raw_request` (v1, deprecated): the whole request as a YAML string, sent as UTF-8.
    pub raw_request: Option<String>,
    /// `save_cookie`.
    pub save_cookie: Option<bool>,
    /// `stop_magic` (v1): the inverse of `autocomplete_headers`.
    pub stop_magic: Option<bool>,
    /// `autocomplete_headers` (default true).
    pub autocomplete_headers: Option<bool>,
    /// `no_autocomplete_headers` (a short-lived go-ftw spelling): the inverse of
    /// `autocomplete_headers`.
    pub no_autocomplete_headers: Option<bool>,
    /// `follow_redirect`.
    pub follow_redirect: Option<bool>,
    /// `virtual_host_mode`.
    pub virtual_host_mode: Option<bool>,
    /// `response`: what the backend (albedo) should answer; used by RESPONSE-* tests.
    pub response: Option<BackendResponse>,
}

/// One `ordered_headers` entry.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct HeaderTuple {
    /// Header name, sent as written.
    pub name: Scalar,
    /// Header value, sent as written.
    pub value: Scalar,
}

/// `input.response`: the response the test asks the backend to send.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct BackendResponse {
    /// Response headers.
    pub headers: Option<BTreeMap<String, Scalar>>,
    /// Status (albedo's default is 200).
    pub status: Option<i64>,
    /// Body as text.
    pub body: Option<String>,
    /// Body as base64.
    pub encoded_body: Option<String>,
    /// A line albedo logs.
    pub log_message: Option<String>,
}

/// What must be true of a stage's outcome, as written.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct Output {
    /// `status`: one code (v2) or a list of acceptable codes (v1).
    pub status: Option<StatusSpec>,
    /// `response_contains`: a regex matched against the response (go-ftw: the full response).
    pub response_contains: Option<String>,
    /// `log_contains` (v1): a regex that must match a log line of this stage.
    pub log_contains: Option<String>,
    /// `no_log_contains` (v1): a regex that must match no log line of this stage.
    pub no_log_contains: Option<String>,
    /// `log` (v2).
    #[serde(deserialize_with = "null_default")]
    pub log: LogSpec,
    /// `expect_error`: the request must fail to produce a response.
    pub expect_error: Option<bool>,
    /// `retry_once`: retry the stage once on failure (a phase-5 log race in go-ftw).
    pub retry_once: Option<bool>,
    /// `isolated`: exactly one rule may be logged.
    pub isolated: Option<bool>,
}

/// `output.log`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct LogSpec {
    /// Rule ids that must all appear as `[id "N"]`.
    #[serde(alias = "expect_id")]
    pub expect_ids: Option<OneOrMany<u32>>,
    /// Rule ids none of which may appear.
    #[serde(alias = "no_expect_id")]
    pub no_expect_ids: Option<OneOrMany<u32>>,
    /// A regex that must match a log line.
    pub match_regex: Option<String>,
    /// A regex that must match no log line.
    pub no_match_regex: Option<String>,
}

/// `status`: a single code or a list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusSpec(pub Vec<i64>);

/// A value written either alone or as a list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OneOrMany<T>(pub Vec<T>);

/// `data`: a string, or (Python ftw only) a list of strings joined with CRLF.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Data {
    /// The usual form.
    Text(String),
    /// A list of lines. go-ftw rejects this form; Python ftw joined the lines with `\r\n`.
    Lines(Vec<String>),
}

impl Data {
    /// The text go-ftw would template: lists are joined with `\r\n`.
    pub fn text(&self) -> String {
        match self {
            Data::Text(s) => s.clone(),
            Data::Lines(lines) => lines.join("\r\n"),
        }
    }
}

/// A YAML scalar read as text, whatever its YAML type (`80`, `true`, `1.5`, `~` → `""`).
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Scalar(pub String);

impl Scalar {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string, number, boolean or null")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
        Ok(Scalar(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Scalar, E> {
        Ok(Scalar(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
        Ok(Scalar(v.to_string()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
        Ok(Scalar(v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
        Ok(Scalar(v.to_string()))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
        Ok(Scalar(v.to_string()))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Scalar, E> {
        Ok(Scalar(String::new()))
    }
    fn visit_none<E: de::Error>(self) -> Result<Scalar, E> {
        Ok(Scalar(String::new()))
    }
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
}

impl<'de> Deserialize<'de> for StatusSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        OneOrMany::<i64>::deserialize(d).map(|v| StatusSpec(v.0))
    }
}

/// Elements of [`OneOrMany`] that can also come alone.
pub trait FromScalar: Sized {
    /// Converts a lone integer.
    fn from_i64(v: i64) -> Option<Self>;
}

impl FromScalar for i64 {
    fn from_i64(v: i64) -> Option<Self> {
        Some(v)
    }
}

impl FromScalar for u32 {
    fn from_i64(v: i64) -> Option<Self> {
        u32::try_from(v).ok()
    }
}

struct OneOrManyVisitor<T>(std::marker::PhantomData<T>);

impl<'de, T: Deserialize<'de> + FromScalar> Visitor<'de> for OneOrManyVisitor<T> {
    type Value = OneOrMany<T>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer or a list of integers")
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        T::from_i64(v)
            .map(|t| OneOrMany(vec![t]))
            .ok_or_else(|| E::custom(format!("integer {v} out of range")))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        let v = i64::try_from(v).map_err(|_| E::custom(format!("integer {v} out of range")))?;
        self.visit_i64(v)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(OneOrMany(Vec::new()))
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(OneOrMany(Vec::new()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(item) = seq.next_element::<T>()? {
            out.push(item);
        }
        Ok(OneOrMany(out))
    }
}

impl<'de, T: Deserialize<'de> + FromScalar> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(OneOrManyVisitor(std::marker::PhantomData))
    }
}

struct DataVisitor;

impl<'de> Visitor<'de> for DataVisitor {
    type Value = Data;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or a list of strings")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Data, A::Error> {
        let mut out = Vec::new();
        while let Some(item) = seq.next_element::<Scalar>()? {
            out.push(item.0);
        }
        Ok(Data::Lines(out))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Data, E> {
        Ok(Data::Text(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Data, E> {
        Ok(Data::Text(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Data, E> {
        Ok(Data::Text(v.to_string()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Data, E> {
        Ok(Data::Text(v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Data, E> {
        Ok(Data::Text(v.to_string()))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Data, E> {
        Ok(Data::Text(v.to_string()))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Data, E> {
        Ok(Data::Text(String::new()))
    }
}

impl<'de> Deserialize<'de> for Data {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(DataVisitor)
    }
}

/// Reads a field that YAML may leave empty (`meta:` with nothing after it) as its default.
fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Option::<T>::deserialize(d).map(Option::unwrap_or_default)
}

// ---- raw file shapes (private): both syntaxes deserialize through these ----

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawFile {
    #[serde(deserialize_with = "null_default")]
    pub meta: Meta,
    pub rule_id: Option<i64>,
    #[serde(deserialize_with = "null_default")]
    pub tests: Vec<RawTest>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawTest {
    pub test_title: Option<Scalar>,
    pub test_id: Option<i64>,
    pub desc: Option<String>,
    #[serde(deserialize_with = "null_default")]
    pub tags: Vec<String>,
    #[serde(deserialize_with = "null_default")]
    pub stages: Vec<RawStage>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RawStage {
    /// v1 wraps input/output in `stage:`.
    pub stage: Option<Stage>,
    pub description: Option<String>,
    pub input: Option<Input>,
    pub output: Option<Output>,
}
