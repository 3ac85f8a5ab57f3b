//! Static descriptions of operations, emitted by the generator as `static`s.
//! Everything here is `const`-constructible on purpose.

use crate::error::Location;

/// How a parameter's (or form field's) text is coerced to JSON before it is
/// validated, following the schema's declared type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    String,
    Integer,
    Number,
    Boolean,
    /// An array of the given item kind (`form` style: repeated keys, or a
    /// comma-separated list when not exploded).
    Array(&'static ParamKind),
    /// A JSON document carried as text (object parameters, untyped fields).
    Json,
}

#[derive(Debug)]
pub struct ParamSpec {
    pub name: &'static str,
    pub location: Location,
    pub required: bool,
    pub kind: ParamKind,
    pub explode: bool,
    /// The schema's `default`, as JSON text.
    pub default: Option<&'static str>,
    /// The parameter's schema, as draft-4 JSON Schema text.
    pub schema: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaKind {
    Json,
    Form,
    Multipart,
    /// `text/*`: the body is handed over as a string.
    Text,
    /// Anything else: handed over as bytes.
    Binary,
}

#[derive(Debug)]
pub struct MediaSpec {
    /// The media type as written in the spec (may contain wildcards like `text/*`).
    pub content_type: &'static str,
    pub kind: MediaKind,
    /// For form and multipart bodies: how to coerce each field.
    pub fields: &'static [(&'static str, ParamKind)],
    pub schema: &'static str,
}

#[derive(Debug)]
pub struct BodySpec {
    pub required: bool,
    /// A Content-Type matching none of `media` is read as JSON (the spec's
    /// `x-chathooks-lenient-json`), instead of answered 415.
    pub lenient_json: bool,
    pub media: &'static [MediaSpec],
}

/// One security scheme, as far as extracting a credential goes.
#[derive(Debug)]
pub enum SchemeSpec {
    /// `type: http`: `Authorization: <scheme> <credential>`, scheme compared
    /// case-insensitively.
    Http { scheme: &'static str },
    /// `type: apiKey` in a header, the query string or a cookie.
    ApiKey { location: Location, name: &'static str },
}

#[derive(Debug)]
pub struct OperationSpec {
    pub operation_id: &'static str,
    pub method: &'static str,
    pub path: &'static str,
    pub params: &'static [ParamSpec],
    pub body: Option<BodySpec>,
    /// Alternatives (OR) of scheme sets (AND). Empty: no authentication. An
    /// empty alternative makes authentication optional.
    pub security: &'static [&'static [SchemeSpec]],
}
