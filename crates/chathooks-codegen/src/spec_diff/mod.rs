//! `spec-diff`: what changed between two versions of a spec, and whom it
//! breaks.
//!
//! Both documents are read as JSON values (OpenAPI 3.0, and 3.1 leniently:
//! `type` arrays, `const`). Operations are matched by method and path, with
//! path parameter names ignored (`{id}` and `{user_id}` are the same
//! segment), then by `operationId` for those left over. Schemas are compared
//! resolved: `$ref`s are followed (a cycle is compared once), `allOf`
//! members are merged.
//!
//! Every [`Change`] is classed twice:
//!
//! * **clients**: does a client written against OLD still work against a
//!   server of NEW?
//! * **servers**: does a server written against OLD still conform to NEW
//!   (equivalently: does a client of NEW still work against it)?
//!
//! Most changes follow from the direction data flows in. Making a schema
//! accept less (a new required property, a removed enum value, a narrower
//! type) breaks whoever writes it: clients for requests, servers for
//! responses. Making it accept more breaks whoever reads it: servers for
//! requests, clients for responses. Removals of what one side relies on
//! (operations, parameters, properties, success responses) are classed
//! case by case; see [`ChangeKind`].

mod operations;
mod schema;
mod source;

use std::fmt::Write as _;

use serde_json::{Value, json};

pub use source::Source;

/// Whether a change breaks one side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    Breaking,
    Compatible,
}

impl Class {
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Breaking => "breaking",
            Class::Compatible => "compatible",
        }
    }

    fn of(breaking: bool) -> Class {
        if breaking { Class::Breaking } else { Class::Compatible }
    }
}

/// Which side a `--fail-on` looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Clients,
    Servers,
    /// Either of the two.
    Any,
}

impl std::str::FromStr for Side {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "clients" => Ok(Side::Clients),
            "servers" => Ok(Side::Servers),
            "any" => Ok(Side::Any),
            other => Err(format!("`{other}` is not one of clients, servers, any")),
        }
    }
}

/// What changed. The JSON name is the snake_case of the variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ChangeKind {
    /// Clients: breaking. Servers: compatible (serving more is allowed).
    OperationRemoved,
    /// Clients: compatible. Servers: breaking (a server of OLD does not serve it).
    OperationAdded,
    /// Matched by operationId under another method or path: breaking for both.
    OperationPathChanged,
    /// Same method and path, another operationId: compatible on the wire
    /// (generated method names change).
    OperationIdChanged,
    /// `{id}` became `{user_id}`: compatible on the wire.
    PathParameterRenamed,
    /// Clients: breaking (what they send is ignored or refused). Servers:
    /// breaking only if it was required (a server of OLD refuses requests without it).
    ParameterRemoved,
    /// Required: breaking for clients. Optional: compatible.
    ParameterAdded,
    ParameterBecameRequired,
    ParameterBecameOptional,
    /// Like a removed parameter.
    RequestBodyRemoved,
    RequestBodyAdded,
    RequestBodyBecameRequired,
    RequestBodyBecameOptional,
    /// Clients: breaking (415). Servers: compatible.
    RequestMediaTypeRemoved,
    /// Clients: compatible. Servers: breaking (a server of OLD answers 415).
    RequestMediaTypeAdded,
    /// A documented status is gone (and no `default` or range covers it).
    /// Clients: breaking for a 2xx (the answer they expect on success), else
    /// compatible. Servers: breaking (a server of OLD still answers it).
    ResponseRemoved,
    /// Clients: breaking for a 2xx (an answer they do not expect), else
    /// compatible. Servers: compatible.
    ResponseAdded,
    /// Breaking for both: clients expect it, servers of OLD send it.
    ResponseMediaTypeRemoved,
    /// A body where there was none: breaking for servers. Another media type
    /// beside existing ones: breaking for clients.
    ResponseMediaTypeAdded,
    /// Request: breaking for clients (ignored or refused); for servers only if
    /// it was required. Response: breaking for clients (data they read is
    /// gone); for servers only if NEW forbids additional properties.
    PropertyRemoved,
    /// Required: the writer must send it (request: clients, response:
    /// servers). Optional: compatible.
    PropertyAdded,
    /// Breaks the writer.
    PropertyBecameRequired,
    /// Breaks the reader.
    PropertyBecameOptional,
    /// Breaks the writer (request: clients; response: servers).
    EnumValueRemoved,
    /// Breaks the reader (request: servers; response: clients).
    EnumValueAdded,
    /// A schema became restricted to a list of values: breaks the writer.
    EnumAdded,
    /// A schema's list of values was lifted: breaks the reader.
    EnumRemoved,
    /// Wider (integer to number, nullable, untyped) breaks the reader,
    /// narrower the writer, unrelated types both.
    TypeChanged,
    /// As types: `int32` to `int64` is wider; a new format narrower; others both.
    FormatChanged,
    /// `additionalProperties: false` added (narrower) or lifted (wider).
    AdditionalPropertiesChanged,
    /// A bound (`minLength`, `maximum`, `maxItems`...) or `pattern`:
    /// tighter is narrower, looser wider, a changed pattern both.
    LimitChanged,
    /// A oneOf/anyOf variant: removed is narrower, added is wider.
    VariantRemoved,
    VariantAdded,
    /// A `$ref` that does not resolve (external, or broken) changed: both.
    ReferenceChanged,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        use ChangeKind::*;
        match self {
            OperationRemoved => "operation_removed",
            OperationAdded => "operation_added",
            OperationPathChanged => "operation_path_changed",
            OperationIdChanged => "operation_id_changed",
            PathParameterRenamed => "path_parameter_renamed",
            ParameterRemoved => "parameter_removed",
            ParameterAdded => "parameter_added",
            ParameterBecameRequired => "parameter_became_required",
            ParameterBecameOptional => "parameter_became_optional",
            RequestBodyRemoved => "request_body_removed",
            RequestBodyAdded => "request_body_added",
            RequestBodyBecameRequired => "request_body_became_required",
            RequestBodyBecameOptional => "request_body_became_optional",
            RequestMediaTypeRemoved => "request_media_type_removed",
            RequestMediaTypeAdded => "request_media_type_added",
            ResponseRemoved => "response_removed",
            ResponseAdded => "response_added",
            ResponseMediaTypeRemoved => "response_media_type_removed",
            ResponseMediaTypeAdded => "response_media_type_added",
            PropertyRemoved => "property_removed",
            PropertyAdded => "property_added",
            PropertyBecameRequired => "property_became_required",
            PropertyBecameOptional => "property_became_optional",
            EnumValueRemoved => "enum_value_removed",
            EnumValueAdded => "enum_value_added",
            EnumAdded => "enum_added",
            EnumRemoved => "enum_removed",
            TypeChanged => "type_changed",
            FormatChanged => "format_changed",
            AdditionalPropertiesChanged => "additional_properties_changed",
            LimitChanged => "limit_changed",
            VariantRemoved => "variant_removed",
            VariantAdded => "variant_added",
            ReferenceChanged => "reference_changed",
        }
    }
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub kind: ChangeKind,
    /// Upper-case method.
    pub method: String,
    /// The path as NEW spells it (OLD's for a removed operation).
    pub path: String,
    pub operation_id: Option<String>,
    /// Where in the operation: `parameter query page`,
    /// `request body application/json $.user.name`, `response 200`...
    /// Empty for whole-operation changes.
    pub location: String,
    /// What happened, for people: `type string -> integer`.
    pub message: String,
    pub clients: Class,
    pub servers: Class,
    /// For a change inside a schema named by a `$ref` (on both sides): that
    /// schema and the path in it, `#/components/schemas/User $.name`. Such a
    /// change is listed once, wherever it is reached from.
    pub schema: Option<String>,
    /// Every place the change is reached from (`METHOD path location`), this
    /// listing's first.
    pub places: Vec<String>,
}

impl Change {
    /// ` [in #/components/schemas/X $.a, reached from N places]` when more
    /// than one place reaches it.
    fn shared(&self) -> String {
        match (&self.schema, self.places.len()) {
            (Some(schema), places) if places > 1 => format!(" [in {schema}, reached from {places} places]"),
            _ => String::new(),
        }
    }

    pub fn operation(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    fn to_json(&self) -> Value {
        json!({
            "kind": self.kind.as_str(),
            "method": self.method,
            "path": self.path,
            "operation_id": self.operation_id,
            "location": self.location,
            "message": self.message,
            "clients": self.clients.as_str(),
            "servers": self.servers.as_str(),
            "schema": self.schema,
            "places": self.places.len(),
            "reached_from": self.places,
        })
    }
}

/// Everything that changed, in OLD's operation order (added operations last).
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub changes: Vec<Change>,
    /// The comparison gave up on some schemas (a pathological document);
    /// the changes listed are still real.
    pub truncated: bool,
}

impl Report {
    pub fn breaking_for(&self, side: Side) -> usize {
        self.changes
            .iter()
            .filter(|c| match side {
                Side::Clients => c.clients == Class::Breaking,
                Side::Servers => c.servers == Class::Breaking,
                Side::Any => c.clients == Class::Breaking || c.servers == Class::Breaking,
            })
            .count()
    }

    pub fn is_breaking(&self, side: Side) -> bool {
        self.breaking_for(side) > 0
    }

    /// The human report: one block per operation, one line per change.
    pub fn to_text(&self, old: &str, new: &str) -> String {
        let mut out = format!("spec-diff {old} -> {new}\n");
        let mut current = None;
        for change in &self.changes {
            let operation = (change.method.as_str(), change.path.as_str());
            if current != Some(operation) {
                current = Some(operation);
                let id = change
                    .operation_id
                    .as_deref()
                    .map(|id| format!(" ({id})"))
                    .unwrap_or_default();
                let _ = writeln!(out, "\n{}{id}", change.operation());
            }
            let class = |side: &str, class: Class| match class {
                Class::Breaking => format!("{side} BREAKING"),
                Class::Compatible => format!("{side} ok"),
            };
            let where_ = if change.location.is_empty() {
                String::new()
            } else {
                format!(" at {}", change.location)
            };
            let _ = writeln!(
                out,
                "  {:<16} {:<16} {}{where_}: {}{}",
                class("clients", change.clients),
                class("servers", change.servers),
                change.kind.as_str(),
                change.message,
                change.shared()
            );
        }
        if self.changes.is_empty() {
            out.push_str("\nno changes\n");
        }
        if self.truncated {
            out.push_str(
                "\nnote: the documents are too large or deep to compare completely; some schemas were left out\n",
            );
        }
        let _ = writeln!(
            out,
            "\n{} change(s): {} breaking for clients, {} breaking for servers",
            self.changes.len(),
            self.breaking_for(Side::Clients),
            self.breaking_for(Side::Servers)
        );
        out
    }

    /// Is this change breaking for `side`?
    fn breaks(change: &Change, side: Side) -> bool {
        match side {
            Side::Clients => change.clients == Class::Breaking,
            Side::Servers => change.servers == Class::Breaking,
            Side::Any => change.clients == Class::Breaking || change.servers == Class::Breaking,
        }
    }

    /// One line of `change`, for the CI formats: `GET /x (id) at where: kind: message`.
    fn headline(change: &Change) -> String {
        let id = change
            .operation_id
            .as_deref()
            .map(|id| format!(" ({id})"))
            .unwrap_or_default();
        let where_ = if change.location.is_empty() {
            String::new()
        } else {
            format!(" at {}", change.location)
        };
        format!(
            "{}{id}{where_}: {}: {}{}",
            change.operation(),
            change.kind.as_str(),
            change.message,
            change.shared()
        )
    }

    /// GitHub Actions workflow commands (`--format github`): an `error`
    /// annotation on NEW for each change breaking the `fail_on` side, a
    /// `warning` for one breaking only the other side, a `notice` for the
    /// rest; then the summary line.
    pub fn to_github(&self, new: &str, fail_on: Side) -> String {
        let escape_data = |s: &str| s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A");
        let escape_property = |s: &str| escape_data(s).replace(':', "%3A").replace(',', "%2C");
        let mut out = String::new();
        for change in &self.changes {
            let level = if Self::breaks(change, fail_on) {
                "error"
            } else if Self::breaks(change, Side::Any) {
                "warning"
            } else {
                "notice"
            };
            let title = format!(
                "spec-diff: {} (clients {}, servers {})",
                change.kind.as_str(),
                change.clients.as_str(),
                change.servers.as_str()
            );
            let _ = writeln!(
                out,
                "::{level} file={},title={}::{}",
                escape_property(new),
                escape_property(&title),
                escape_data(&Self::headline(change))
            );
        }
        let _ = writeln!(out, "{}", self.summary_line());
        out
    }

    /// JUnit XML (`--format junit`): one test case per change, failed when
    /// it breaks the `fail_on` side; one passing case when nothing changed.
    pub fn to_junit(&self, old: &str, new: &str, fail_on: Side) -> String {
        let xml = |s: &str| {
            s.replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace('"', "&quot;")
                .replace('\'', "&apos;")
        };
        let failures = self.changes.iter().filter(|c| Self::breaks(c, fail_on)).count();
        let cases = self.changes.len().max(1);
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let name = xml(&format!("spec-diff {old} -> {new}"));
        let _ = writeln!(
            out,
            "<testsuites name=\"{name}\" tests=\"{cases}\" failures=\"{failures}\">\n  <testsuite name=\"{name}\" tests=\"{cases}\" failures=\"{failures}\">"
        );
        if self.changes.is_empty() {
            out.push_str("    <testcase classname=\"spec-diff\" name=\"no changes\"/>\n");
        }
        for change in &self.changes {
            let case_name = if change.location.is_empty() {
                change.kind.as_str().to_owned()
            } else {
                format!("{} at {}", change.kind.as_str(), change.location)
            };
            let _ = write!(
                out,
                "    <testcase classname=\"{}\" name=\"{}\"",
                xml(&change.operation()),
                xml(&case_name)
            );
            if Self::breaks(change, fail_on) {
                let _ = writeln!(
                    out,
                    ">\n      <failure message=\"{}\" type=\"{}\">clients {}, servers {}</failure>\n    </testcase>",
                    xml(&change.message),
                    change.kind.as_str(),
                    change.clients.as_str(),
                    change.servers.as_str()
                );
            } else {
                let _ = writeln!(
                    out,
                    ">\n      <system-out>{} (clients {}, servers {})</system-out>\n    </testcase>",
                    xml(&change.message),
                    change.clients.as_str(),
                    change.servers.as_str()
                );
            }
        }
        out.push_str("  </testsuite>\n</testsuites>\n");
        out
    }

    /// Markdown (`--format markdown`), for a pull-request comment or a job
    /// summary: a heading, the summary, and one table row per change.
    pub fn to_markdown(&self, old: &str, new: &str) -> String {
        let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
        let mut out = format!("### spec-diff `{old}` → `{new}`\n\n{}\n", self.summary_line());
        if self.changes.is_empty() {
            return out;
        }
        out.push_str("\n| Clients | Servers | Operation | Change | Where | What |\n|---|---|---|---|---|---|\n");
        for change in &self.changes {
            let class = |class: Class| match class {
                Class::Breaking => "**breaking**",
                Class::Compatible => "ok",
            };
            let id = change
                .operation_id
                .as_deref()
                .map(|id| format!(" ({id})"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "| {} | {} | `{}`{} | {} | {} | {} |",
                class(change.clients),
                class(change.servers),
                cell(&change.operation()),
                cell(&id),
                change.kind.as_str(),
                if change.location.is_empty() {
                    String::new()
                } else {
                    format!("`{}`", cell(&change.location))
                },
                cell(&change.message)
            );
        }
        if self.truncated {
            out.push_str(
                "\n_The documents are too large or deep to compare completely; some schemas were left out._\n",
            );
        }
        out
    }

    fn summary_line(&self) -> String {
        format!(
            "{} change(s): {} breaking for clients, {} breaking for servers",
            self.changes.len(),
            self.breaking_for(Side::Clients),
            self.breaking_for(Side::Servers)
        )
    }

    /// The JSON report (`--format json`), a stable shape:
    ///
    /// ```json
    /// { "old": "origin/main:spec/x.yaml", "new": "spec/x.yaml",
    ///   "breaking": { "clients": true, "servers": false },
    ///   "summary": { "changes": 1, "breaking_for_clients": 1, "breaking_for_servers": 0 },
    ///   "truncated": false,
    ///   "changes": [ { "kind": "property_removed", "method": "GET", "path": "/users/{id}",
    ///                  "operation_id": "GetUser", "location": "response 200 application/json $.name",
    ///                  "message": "property `name` removed",
    ///                  "clients": "breaking", "servers": "compatible" } ] }
    /// ```
    ///
    /// New fields may be added; existing ones keep their meaning.
    pub fn to_json(&self, old: &str, new: &str) -> Value {
        self.json_value(old, new)
    }

    /// [`Report::to_json`], pretty-printed.
    pub fn to_json_string(&self, old: &str, new: &str) -> String {
        serde_json::to_string_pretty(&self.json_value(old, new)).unwrap_or_else(|_| "{}".to_owned())
    }

    fn json_value(&self, old: &str, new: &str) -> Value {
        json!({
            "old": old,
            "new": new,
            "breaking": {
                "clients": self.is_breaking(Side::Clients),
                "servers": self.is_breaking(Side::Servers),
            },
            "summary": {
                "changes": self.changes.len(),
                "breaking_for_clients": self.breaking_for(Side::Clients),
                "breaking_for_servers": self.breaking_for(Side::Servers),
            },
            "truncated": self.truncated,
            "changes": self.changes.iter().map(Change::to_json).collect::<Vec<_>>(),
        })
    }
}

/// Compare two documents (JSON values as [`crate::load`] reads them).
pub fn diff(old: &Value, new: &Value) -> Report {
    operations::diff(old, new)
}

/// Read both sides ([`Source::parse`] with `cwd`, git run in `repo`) and compare.
pub fn diff_sources(
    old: &str,
    new: &str,
    cwd: &std::path::Path,
    repo: &std::path::Path,
) -> Result<Report, crate::Error> {
    let old = Source::parse(old, cwd).load(repo)?;
    let new = Source::parse(new, cwd).load(repo)?;
    Ok(diff(&old, &new))
}
