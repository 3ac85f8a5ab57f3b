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
    /// An object-valued query parameter: how its properties are spelled in
    /// the query string and coerced (`kind` is then not used).
    pub object: Option<&'static ObjectSpec>,
}

/// How an object-valued query parameter is spelled in the query string
/// (OpenAPI's `style` and `explode`, for a value `{"status": "open", "limit": 3}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectStyle {
    /// `style: form, explode: true` (the default): each property is a key
    /// of its own, `status=open&limit=3`.
    FormExploded,
    /// `style: form, explode: false`: one key, names and values alternating,
    /// `filter=status,open,limit,3`.
    Form,
    /// `style: deepObject`: `filter[status]=open&filter[limit]=3`.
    DeepObject,
}

/// The properties of an object-valued query parameter. A property whose
/// kind is an array takes every value its key was given (`filter[tag]=a&filter[tag]=b`);
/// any other takes the last.
#[derive(Debug)]
pub struct ObjectSpec {
    pub style: ObjectStyle,
    /// The declared properties and how each one's text is coerced.
    pub properties: &'static [(&'static str, ParamKind)],
    /// Keys not among `properties` (the schema's `additionalProperties`):
    /// how their values are coerced. `None` leaves them out of the object
    /// (for `FormExploded`, where any other key of the query would do).
    pub rest: Option<ParamKind>,
}

/// Generated specs build parameters from the usual one of their location
/// and name what differs: `ParamSpec::query("page").kind(..).default("0").schema(..)`.
impl ParamSpec {
    /// A path parameter: required, not exploded (OpenAPI's `simple` style),
    /// a string (`{"type":"string"}`) without default.
    pub const fn path(name: &'static str) -> Self {
        Self::base(name, Location::Path, true, false)
    }

    /// A query parameter: optional, exploded (`form` style), a string without
    /// default.
    pub const fn query(name: &'static str) -> Self {
        Self::base(name, Location::Query, false, true)
    }

    /// A header: optional, not exploded, a string without default.
    pub const fn header(name: &'static str) -> Self {
        Self::base(name, Location::Header, false, false)
    }

    /// A cookie: optional, exploded, a string without default.
    pub const fn cookie(name: &'static str) -> Self {
        Self::base(name, Location::Cookie, false, true)
    }

    const fn base(name: &'static str, location: Location, required: bool, explode: bool) -> Self {
        Self {
            name,
            location,
            required,
            kind: ParamKind::String,
            explode,
            default: None,
            schema: r#"{"type":"string"}"#,
            object: None,
        }
    }

    pub const fn required(self, required: bool) -> Self {
        Self { required, ..self }
    }

    pub const fn kind(self, kind: ParamKind) -> Self {
        Self { kind, ..self }
    }

    /// Arrays as repeated keys (`true`) or one comma-separated value.
    pub const fn explode(self, explode: bool) -> Self {
        Self { explode, ..self }
    }

    /// The schema's `default`, as JSON text.
    pub const fn default(self, default: &'static str) -> Self {
        Self {
            default: Some(default),
            ..self
        }
    }

    /// The parameter's schema, as draft-4 JSON Schema text.
    pub const fn schema(self, schema: &'static str) -> Self {
        Self { schema, ..self }
    }

    /// An object-valued query parameter, gathered from the keys `object`
    /// says into one JSON object before it is validated.
    pub const fn object(self, object: &'static ObjectSpec) -> Self {
        Self {
            object: Some(object),
            ..self
        }
    }
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

impl MediaSpec {
    /// An `application/json` body of the given schema.
    pub const fn json(schema: &'static str) -> Self {
        Self {
            content_type: "application/json",
            kind: MediaKind::Json,
            fields: &[],
            schema,
        }
    }
}

#[derive(Debug)]
pub struct BodySpec {
    pub required: bool,
    /// A Content-Type matching none of `media` is read as JSON (the spec's
    /// `x-chathooks-lenient-json`), instead of answered 415.
    pub lenient_json: bool,
    pub media: &'static [MediaSpec],
}

impl BodySpec {
    /// A required body, refused with 415 in a media type not listed;
    /// generated specs set the media (`..BodySpec::REQUIRED`).
    pub const REQUIRED: Self = Self {
        required: true,
        lenient_json: false,
        media: &[],
    };
    /// An optional body, refused with 415 in a media type not listed.
    pub const OPTIONAL: Self = Self {
        required: false,
        ..Self::REQUIRED
    };
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
