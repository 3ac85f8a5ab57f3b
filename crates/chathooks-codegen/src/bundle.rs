//! Multi-file specs: one or more documents, and the files their `$ref`s
//! reach, made into the single self-contained document every later pass
//! reads.
//!
//! * A relative `$ref` (`defs/x.yaml`, `../common.yaml#/components/schemas/Y`)
//!   is read relative to the file it is written in, and so are the refs
//!   inside the file it reaches.
//! * A schema reached that way becomes one component schema, whatever the
//!   number of places that reach it (keyed by file and pointer), so it is one
//!   type; cycles end at the name given before the schema is walked.
//! * Anything else reached that way (a path item, a parameter, a response)
//!   is copied in place, as normalize does for local ones.
//! * Several documents (`--spec` repeated, or a directory of them) are merged
//!   into one API. Paths, operation ids and component names that clash are
//!   reported with both locations; definitions that are equal are one.
//! * Remote refs (`http…`) are refused: there is no network at generation
//!   time. A ref that does not resolve is an error naming the file, the
//!   pointer where it is written and the ref, unless unresolved refs are
//!   allowed, when it becomes an empty schema with a diagnostic.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use crate::diagnostics::{Diagnostic, Severity, pointer_segment};
use crate::normalize::METHODS;
use crate::{Error, load};

/// The merged document, and what went into it.
#[derive(Debug, Clone)]
pub struct Bundled {
    pub value: Value,
    /// Every file read, for `cargo:rerun-if-changed`.
    pub inputs: Vec<PathBuf>,
    pub diagnostics: Vec<Diagnostic>,
}

/// The documents named by `specs`: files, or directories whose `*.yaml`,
/// `*.yml` and `*.json` files that are OpenAPI documents (they have `paths`,
/// `openapi` or `swagger`) are taken in name order; the other files there are
/// definitions that the documents refer to.
pub fn load_specs(specs: &[PathBuf], allow_unresolved: bool) -> Result<Bundled, Error> {
    let mut bundler = Bundler::new(allow_unresolved);
    let mut roots = Vec::new();
    for spec in specs {
        if spec.is_dir() {
            let mut found = 0;
            for file in spec_files(spec)? {
                let value = bundler.read(&file)?;
                if is_document(value) {
                    roots.push(file);
                    found += 1;
                }
            }
            if found == 0 {
                return Err(Error::Spec {
                    path: spec.clone(),
                    message: "no OpenAPI document (a YAML or JSON file with `openapi` and `paths`) in this directory"
                        .into(),
                });
            }
        } else {
            let file = canonical(spec)?;
            bundler.read(&file)?;
            roots.push(file);
        }
    }
    roots.dedup();
    if roots.is_empty() {
        return Err(Error::Spec {
            path: PathBuf::new(),
            message: "no spec given".into(),
        });
    }
    bundler.base = roots[0].parent().map(Path::to_owned).unwrap_or_default();
    bundler.bundle(roots)
}

fn spec_files(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let entries = std::fs::read_dir(dir).map_err(|source| Error::Io {
        path: dir.to_owned(),
        source,
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| {
            path.is_file()
                && path
                    .extension()
                    .is_some_and(|ext| ["yaml", "yml", "json"].iter().any(|e| ext.eq_ignore_ascii_case(e)))
        })
        .collect();
    files.sort();
    files.iter().map(|file| canonical(file)).collect()
}

fn is_document(value: &Value) -> bool {
    ["openapi", "swagger", "paths"]
        .iter()
        .any(|key| value.get(key).is_some())
}

fn canonical(path: &Path) -> Result<PathBuf, Error> {
    path.canonicalize().map_err(|source| Error::Io {
        path: path.to_owned(),
        source,
    })
}

/// Where a walk is in a file: the file and the pointer segments from its top.
struct Here<'a> {
    file: &'a Path,
    segments: &'a [String],
}

impl Here<'_> {
    fn pointer(&self) -> String {
        self.segments
            .iter()
            .map(|s| format!("/{}", pointer_segment(s)))
            .collect()
    }
}

/// One `$ref` target: a file and a JSON pointer in it (`""` is the whole file).
type Target = (PathBuf, String);

struct Bundler {
    allow_unresolved: bool,
    /// Locations are shown relative to this (the first document's directory).
    base: PathBuf,
    /// Every file read, parsed, by canonical path.
    files: HashMap<PathBuf, Value>,
    read_order: Vec<PathBuf>,
    roots: Vec<PathBuf>,
    /// Component names taken: the documents' own, then those given to
    /// schemas reached in other files.
    taken: BTreeSet<String>,
    /// Schemas reached in other files: their component name.
    schema_names: HashMap<Target, String>,
    /// Those schemas, rewritten, in the order they were reached.
    hoisted: Vec<(String, Value)>,
    /// Non-schema targets being copied, to refuse a cycle among them.
    copying: Vec<Target>,
    errors: Vec<String>,
    diagnostics: Vec<Diagnostic>,
}

/// Keywords whose value maps names (which may be spelled like keywords,
/// a property called `example`) to definitions.
const NAME_MAPS: &[&str] = &[
    "properties",
    "patternProperties",
    "schemas",
    "definitions",
    "$defs",
    "paths",
    "webhooks",
    "responses",
    "parameters",
    "requestBodies",
    "headers",
    "examples",
    "links",
    "callbacks",
    "securitySchemes",
    "pathItems",
    "content",
    "encoding",
];

/// Past this many, errors are counted rather than listed.
const MAX_ERRORS: usize = 20;

impl Bundler {
    fn new(allow_unresolved: bool) -> Self {
        Bundler {
            allow_unresolved,
            base: PathBuf::new(),
            files: HashMap::new(),
            read_order: Vec::new(),
            roots: Vec::new(),
            taken: BTreeSet::new(),
            schema_names: HashMap::new(),
            hoisted: Vec::new(),
            copying: Vec::new(),
            errors: Vec::new(),
            diagnostics: Vec::new(),
        }
    }

    /// Parse a file once (by canonical path).
    fn read(&mut self, file: &Path) -> Result<&Value, Error> {
        if !self.files.contains_key(file) {
            let value = load::load_value(file)?;
            self.files.insert(file.to_owned(), value);
            self.read_order.push(file.to_owned());
        }
        Ok(&self.files[file])
    }

    fn display(&self, file: &Path) -> String {
        match file.strip_prefix(&self.base) {
            Ok(relative) => relative.display().to_string(),
            Err(_) => crate::files::relative_path(&self.base, file),
        }
    }

    fn location(&self, here: &Here<'_>) -> String {
        format!("{}#{}", self.display(here.file), here.pointer())
    }

    fn bundle(mut self, roots: Vec<PathBuf>) -> Result<Bundled, Error> {
        self.roots = roots.clone();
        for root in &roots {
            if let Some(Value::Object(components)) = self.files[root].get("components") {
                for kind in components.values().filter_map(Value::as_object) {
                    self.taken.extend(kind.keys().cloned());
                }
            }
        }
        self.name_aliased_components(&roots);
        let mut documents = Vec::new();
        for root in &roots {
            let mut document = self.files[root].clone();
            let mut segments = Vec::new();
            self.walk(&mut document, root, &mut segments, false);
            documents.push((root.clone(), document));
        }
        if !self.errors.is_empty() {
            let more = self.errors.len().saturating_sub(MAX_ERRORS);
            let mut message = self
                .errors
                .iter()
                .take(MAX_ERRORS)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n  ");
            if more > 0 {
                message.push_str(&format!("\n  … and {more} more"));
            }
            return Err(Error::Spec {
                path: roots[0].clone(),
                message: format!("the spec's references do not resolve:\n  {message}"),
            });
        }
        let mut value = self.merge(documents)?;
        let hoisted = std::mem::take(&mut self.hoisted);
        if !hoisted.is_empty() {
            if !value.get("components").is_some_and(Value::is_object) {
                value["components"] = json!({});
            }
            if !value["components"].get("schemas").is_some_and(Value::is_object) {
                value["components"]["schemas"] = json!({});
            }
            let schemas = value["components"]["schemas"]
                .as_object_mut()
                .expect("made an object above");
            for (name, schema) in hoisted {
                schemas.insert(name, schema);
            }
        }
        Ok(Bundled {
            value,
            inputs: self.read_order,
            diagnostics: self.diagnostics,
        })
    }

    /// A document's component schema that is only a ref to another file
    /// (`User: {$ref: schemas/user.yaml}`) names that file's schema: refs to
    /// the file from anywhere become refs to `User`, and `User` is defined
    /// by the file's contents (one type, not an alias of a second one).
    fn name_aliased_components(&mut self, roots: &[PathBuf]) {
        for root in roots {
            let Some(Value::Object(schemas)) = self.files[root].pointer("/components/schemas") else {
                continue;
            };
            let aliases: Vec<(String, String)> = schemas
                .iter()
                .filter_map(|(name, schema)| {
                    let reference = schema.as_object().filter(|o| o.len() == 1)?.get("$ref")?.as_str()?;
                    Some((name.clone(), reference.to_owned()))
                })
                .collect();
            for (name, reference) in aliases {
                let (file_part, fragment) = reference.split_once('#').unwrap_or((&reference, ""));
                if file_part.is_empty() || file_part.contains("://") {
                    continue;
                }
                let Ok(file) = root
                    .parent()
                    .unwrap_or(Path::new(""))
                    .join(percent_decode(file_part))
                    .canonicalize()
                else {
                    continue; // reported when the ref is walked
                };
                self.schema_names
                    .entry((file, decode_fragment(fragment)))
                    .or_insert(name);
            }
        }
    }

    /// Rewrite every `$ref` under `value`, written in `file` at `segments`.
    /// `in_schema`: `value` is (inside) a schema, so a ref here names a schema.
    fn walk(&mut self, value: &mut Value, file: &Path, segments: &mut Vec<String>, in_schema: bool) {
        self.walk_at(value, file, segments, in_schema, false);
    }

    /// `names`: the keys of `value` are names (of properties, paths,
    /// components, media types), not keywords.
    fn walk_at(&mut self, value: &mut Value, file: &Path, segments: &mut Vec<String>, in_schema: bool, names: bool) {
        if !names && let Some(Value::String(reference)) = value.get("$ref") {
            let reference = reference.clone();
            let here = Here { file, segments };
            if let Some(replacement) = self.reference(&reference, &here, in_schema) {
                *value = replacement;
            }
            return;
        }
        match value {
            Value::Object(map) => {
                for (key, child) in map.iter_mut() {
                    // Examples, defaults and extensions are data, not spec.
                    if !names
                        && (matches!(key.as_str(), "example" | "default" | "enum" | "const") || key.starts_with("x-"))
                    {
                        continue;
                    }
                    let (child_in_schema, child_names) = if names {
                        (in_schema, false)
                    } else {
                        (
                            in_schema || matches!(key.as_str(), "schema" | "schemas" | "definitions" | "$defs"),
                            NAME_MAPS.contains(&key.as_str()),
                        )
                    };
                    segments.push(key.clone());
                    self.walk_at(child, file, segments, child_in_schema, child_names);
                    segments.pop();
                }
            }
            Value::Array(items) => {
                for (index, item) in items.iter_mut().enumerate() {
                    segments.push(index.to_string());
                    self.walk(item, file, segments, in_schema);
                    segments.pop();
                }
            }
            _ => {}
        }
    }

    /// What a `{"$ref": reference}` object becomes: `None` to leave it.
    fn reference(&mut self, reference: &str, here: &Here<'_>, in_schema: bool) -> Option<Value> {
        let (file_part, fragment) = match reference.split_once('#') {
            Some((file, fragment)) => (file, fragment),
            None => (reference, ""),
        };
        if file_part.contains("://") {
            return self.unresolved(
                here,
                reference,
                "remote references are refused, as there is no network at generation time: save the file and refer to it by a relative path",
            );
        }
        if !fragment.is_empty() && !fragment.starts_with('/') {
            return self.unresolved(here, reference, "only JSON-pointer fragments (`#/…`) are supported");
        }
        let target_file = if file_part.is_empty() {
            here.file.to_owned()
        } else {
            let joined = here
                .file
                .parent()
                .unwrap_or(Path::new(""))
                .join(percent_decode(file_part));
            match joined.canonicalize() {
                Ok(file) => file,
                Err(e) => return self.unresolved(here, reference, &format!("cannot read {}: {e}", joined.display())),
            }
        };
        if let Err(error) = self.read(&target_file) {
            return self.unresolved(here, reference, &error.to_string());
        }
        let pointer = decode_fragment(fragment);
        let Some(target) = self.files[&target_file].pointer(&pointer).cloned() else {
            return self.unresolved(
                here,
                reference,
                &format!("{} has nothing at `#{pointer}`", self.display(&target_file)),
            );
        };
        let is_root = self.roots.contains(&target_file);
        if is_root && target_file == here.file {
            // A local ref in a document: it resolves, and normalize follows it.
            return None;
        }
        if is_root && is_component_pointer(&pointer) {
            // A ref into another document's components: they are merged by
            // name, so it becomes a local ref.
            return Some(json!({ "$ref": format!("#{pointer}") }));
        }
        let key = (target_file.clone(), pointer.clone());
        if in_schema {
            if let Some(name) = self.schema_names.get(&key).cloned() {
                let defining = self.roots.iter().any(|root| root == here.file)
                    && here.segments.len() == 3
                    && here.segments[0] == "components"
                    && here.segments[1] == "schemas"
                    && here.segments[2] == name;
                if !defining {
                    return Some(crate::normalize::schema_ref(&name));
                }
                // The component that names the file's schema: its contents.
                let mut schema = target;
                let mut segments = pointer_segments(&pointer);
                self.walk(&mut schema, &target_file, &mut segments, true);
                return Some(schema);
            }
            let name = self.name_for(&target_file, &pointer);
            self.schema_names.insert(key, name.clone());
            let mut schema = target;
            let mut segments = pointer_segments(&pointer);
            self.walk(&mut schema, &target_file, &mut segments, true);
            self.hoisted.push((name.clone(), schema));
            return Some(crate::normalize::schema_ref(&name));
        }
        if self.copying.contains(&key) {
            let location = self.location(here);
            self.errors.push(format!(
                "{location}: `$ref: {reference}` is part of a cycle of references that are not schemas"
            ));
            return Some(json!({}));
        }
        self.copying.push(key);
        let mut copy = target;
        let mut segments = pointer_segments(&pointer);
        self.walk(&mut copy, &target_file, &mut segments, false);
        self.copying.pop();
        Some(copy)
    }

    /// A component name for a schema in another file: its last pointer
    /// segment, or the file's name, made unique.
    fn name_for(&mut self, file: &Path, pointer: &str) -> String {
        let stem = pointer
            .rsplit('/')
            .next()
            .filter(|s| !s.is_empty())
            .map(|s| s.replace("~1", "/").replace("~0", "~"))
            .unwrap_or_else(|| {
                // A whole file: `message.yaml` is `Message`.
                file.file_stem()
                    .map(|s| crate::names::pascal(&s.to_string_lossy()))
                    .filter(|s| !s.is_empty())
                    .unwrap_or_else(|| "Schema".into())
            });
        let mut name = stem.clone();
        let mut n = 2;
        while self.taken.contains(&name) {
            name = format!("{stem}{n}");
            n += 1;
        }
        if name != stem {
            self.diagnostics.push(Diagnostic {
                severity: Severity::Adapted,
                location: format!("/components/schemas/{}", pointer_segment(&name)),
                operation: None,
                target: "spec",
                message: format!(
                    "the schema at {}#{pointer} is named `{name}`: `{stem}` is taken by another definition",
                    self.display(file)
                ),
            });
        }
        self.taken.insert(name.clone());
        name
    }

    fn unresolved(&mut self, here: &Here<'_>, reference: &str, why: &str) -> Option<Value> {
        let location = self.location(here);
        if self.allow_unresolved {
            self.diagnostics.push(Diagnostic {
                severity: Severity::Adapted,
                location: here.pointer(),
                operation: None,
                target: "spec",
                message: format!(
                    "in {}: `$ref: {reference}` does not resolve ({why}); treated as empty",
                    self.display(here.file)
                ),
            });
            Some(json!({}))
        } else {
            self.errors
                .push(format!("{location}: `$ref: {reference}` does not resolve: {why}"));
            None
        }
    }

    /// One document from several: the first one's top level, every one's
    /// paths and components.
    fn merge(&mut self, documents: Vec<(PathBuf, Value)>) -> Result<Value, Error> {
        let mut documents = documents.into_iter();
        let Some((first_file, first)) = documents.next() else {
            return Ok(json!({}));
        };
        let rest: Vec<(PathBuf, Value)> = documents.collect();
        if rest.is_empty() {
            return Ok(first);
        }
        let mut merged = first.clone();
        let mut clashes = Vec::new();
        let mut paths: Map<String, Value> = Map::new();
        let mut path_origin: BTreeMap<(String, String), String> = BTreeMap::new();
        let mut operation_ids: BTreeMap<String, String> = BTreeMap::new();
        let mut components: BTreeMap<String, Map<String, Value>> = BTreeMap::new();
        let mut component_origin: BTreeMap<(String, String), String> = BTreeMap::new();
        let mut tags: Vec<Value> = Vec::new();
        for (file, document) in std::iter::once((first_file, first)).chain(rest) {
            let shown = self.display(&file);
            if let Some(Value::Object(items)) = document.get("paths") {
                for (path, item) in items {
                    let mut item = item.clone();
                    push_down_path_parameters(&mut item);
                    let entry = paths.entry(path.clone()).or_insert_with(|| json!({}));
                    for (key, operation) in item.as_object().into_iter().flatten() {
                        let at = format!("{shown}#/paths/{}/{key}", pointer_segment(path));
                        if METHODS.contains(&key.as_str()) {
                            if let Some(id) = operation.get("operationId").and_then(Value::as_str) {
                                if let Some(other) = operation_ids.get(id) {
                                    clashes.push(format!("operationId `{id}` is used at {other} and at {at}"));
                                } else {
                                    operation_ids.insert(id.to_owned(), at.clone());
                                }
                            }
                            if let Some(other) = path_origin.get(&(path.clone(), key.clone())) {
                                clashes.push(format!(
                                    "{} {path} is defined at {other} and at {at}",
                                    key.to_uppercase()
                                ));
                                continue;
                            }
                            path_origin.insert((path.clone(), key.clone()), at);
                        }
                        entry
                            .as_object_mut()
                            .expect("made an object above")
                            .entry(key.clone())
                            .or_insert_with(|| operation.clone());
                    }
                }
            }
            if let Some(Value::Object(kinds)) = document.get("components") {
                for (kind, defined) in kinds {
                    let Some(defined) = defined.as_object() else { continue };
                    let out = components.entry(kind.clone()).or_default();
                    for (name, definition) in defined {
                        let at = format!("{shown}#/components/{kind}/{}", pointer_segment(name));
                        match out.get(name) {
                            Some(existing) if existing == definition => {}
                            Some(_) => clashes.push(format!(
                                "components/{kind} `{name}` is defined differently at {} and at {at}",
                                component_origin[&(kind.clone(), name.clone())]
                            )),
                            None => {
                                out.insert(name.clone(), definition.clone());
                                component_origin.insert((kind.clone(), name.clone()), at);
                            }
                        }
                    }
                }
            }
            for tag in document.get("tags").and_then(Value::as_array).into_iter().flatten() {
                if !tags.iter().any(|t| t.get("name") == tag.get("name")) {
                    tags.push(tag.clone());
                }
            }
        }
        if !clashes.is_empty() {
            return Err(Error::Spec {
                path: self.roots[0].clone(),
                message: format!("the documents clash:\n  {}", clashes.join("\n  ")),
            });
        }
        merged["paths"] = Value::Object(paths);
        merged["components"] = Value::Object(components.into_iter().map(|(k, v)| (k, Value::Object(v))).collect());
        if !tags.is_empty() {
            merged["tags"] = Value::Array(tags);
        }
        Ok(merged)
    }
}

/// A path item's shared parameters, copied into each of its operations (an
/// operation's own parameter of the same name and place wins), so path items
/// from several documents can be merged.
fn push_down_path_parameters(item: &mut Value) {
    let Some(object) = item.as_object_mut() else { return };
    let Some(Value::Array(shared)) = object.remove("parameters") else {
        return;
    };
    for method in METHODS {
        let Some(operation) = object.get_mut(method).and_then(Value::as_object_mut) else {
            continue;
        };
        let own = operation
            .entry("parameters")
            .or_insert_with(|| json!([]))
            .as_array_mut();
        let Some(own) = own else { continue };
        for parameter in &shared {
            let same = |p: &Value| {
                p.get("name") == parameter.get("name") && p.get("in") == parameter.get("in") && p.get("name").is_some()
            };
            if !own.iter().any(same) {
                own.push(parameter.clone());
            }
        }
    }
}

fn is_component_pointer(pointer: &str) -> bool {
    let segments: Vec<&str> = pointer.split('/').collect();
    segments.len() == 4 && segments[0].is_empty() && segments[1] == "components"
}

fn pointer_segments(pointer: &str) -> Vec<String> {
    pointer
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect()
}

/// A URI fragment as a JSON pointer (percent escapes decoded).
fn decode_fragment(fragment: &str) -> String {
    percent_decode(fragment)
}

fn percent_decode(text: &str) -> String {
    if !text.contains('%') {
        return text.to_owned();
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = bytes.get(i + 1..i + 3)
            && let Ok(byte) = u8::from_str_radix(std::str::from_utf8(hex).unwrap_or("-"), 16)
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| text.to_owned())
}
