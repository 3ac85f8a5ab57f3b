//! Comparing two schemas, resolved: `$ref`s followed (each pair of schemas
//! compared at most once on the current path, so cycles end), `allOf`
//! merged, OpenAPI 3.1 `type` arrays and `const` read as 3.0's `type` +
//! `nullable` and one-value `enum`.

use std::collections::{BTreeSet, HashMap, HashSet};

use serde_json::Value;

use super::{Change, ChangeKind, Class};
use crate::normalize::resolve;

/// Which way the data flows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Direction {
    /// Clients write, servers read.
    Request,
    /// Servers write, clients read.
    Response,
}

/// What a change does to the set of values a schema accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Effect {
    /// Accepts less: breaks whoever writes.
    Narrower,
    /// Accepts more: breaks whoever reads.
    Wider,
    /// Neither contains the other: breaks both.
    Incompatible,
    /// Breaks nobody.
    Neutral,
}

/// `(clients, servers)` for an effect in a direction.
pub(super) fn classes(effect: Effect, direction: Direction) -> (Class, Class) {
    use Class::{Breaking as B, Compatible as C};
    match (effect, direction) {
        (Effect::Incompatible, _) => (B, B),
        (Effect::Neutral, _) => (C, C),
        (Effect::Narrower, Direction::Request) | (Effect::Wider, Direction::Response) => (B, C),
        (Effect::Narrower, Direction::Response) | (Effect::Wider, Direction::Request) => (C, B),
    }
}

/// Where in an operation: a section (`response 200 application/json`) and
/// a path into its schema (`$.user.name`, `$.items[]`).
///
/// Below a `$ref` both sides share, it also knows that schema and the path
/// within it: a change there is the same change wherever it is reached
/// from, and is reported once.
#[derive(Debug, Clone)]
pub(super) struct Loc {
    section: String,
    path: String,
    /// The innermost shared `$ref`, and the path from it.
    schema: Option<(String, String)>,
}

impl Loc {
    pub(super) fn new(section: impl Into<String>) -> Loc {
        Loc {
            section: section.into(),
            path: String::new(),
            schema: None,
        }
    }

    fn push(&self, segment: &str) -> Loc {
        let base = if self.path.is_empty() { "$" } else { &self.path };
        Loc {
            section: self.section.clone(),
            path: format!("{base}{segment}"),
            schema: self
                .schema
                .as_ref()
                .map(|(reference, inner)| (reference.clone(), format!("{inner}{segment}"))),
        }
    }

    /// Entering the schema `reference` names.
    fn enter(&self, reference: &str) -> Loc {
        Loc {
            schema: Some((reference.to_owned(), "$".to_owned())),
            ..self.clone()
        }
    }

    /// `#/components/schemas/X $.a.b`, when below a shared `$ref`.
    fn schema(&self) -> Option<String> {
        self.schema.as_ref().map(|(reference, inner)| {
            if inner == "$" {
                reference.clone()
            } else {
                format!("{reference} {inner}")
            }
        })
    }

    fn property(&self, name: &str) -> Loc {
        let plain = !name.is_empty()
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            && !name.starts_with(|c: char| c.is_ascii_digit());
        if plain {
            self.push(&format!(".{name}"))
        } else {
            self.push(&format!("[{}]", Value::String(name.to_owned())))
        }
    }

    pub(super) fn render(&self) -> String {
        if self.path.is_empty() {
            self.section.clone()
        } else {
            format!("{} {}", self.section, self.path)
        }
    }
}

/// The operation being compared, for the lines it reports.
#[derive(Debug, Clone, Default)]
pub(super) struct OpLabel {
    pub method: String,
    pub path: String,
    pub id: Option<String>,
}

/// Schema comparisons allowed per run, so that a pathological document
/// (many paths into one deep graph) ends in bounded time.
const BUDGET: usize = 2_000_000;
/// Nesting depth followed inside one schema.
const MAX_DEPTH: usize = 64;

pub(super) struct Ctx<'a> {
    pub old: &'a Value,
    pub new: &'a Value,
    /// References that resolve to equal values in both documents, and whose
    /// targets refer only to such references: comparing them finds nothing.
    unchanged: HashSet<String>,
    pub changes: Vec<Change>,
    pub op: OpLabel,
    budget: usize,
    pub truncated: bool,
    /// Pairs of (old, new) schemas being compared on the current path.
    stack: Vec<(*const Value, *const Value)>,
    /// Changes inside shared schemas already listed: their index.
    seen: HashMap<(String, ChangeKind, String, (Class, Class)), usize>,
}

impl<'a> Ctx<'a> {
    pub(super) fn new(old: &'a Value, new: &'a Value) -> Ctx<'a> {
        Ctx {
            old,
            new,
            unchanged: unchanged_refs(old, new),
            changes: Vec::new(),
            op: OpLabel::default(),
            budget: BUDGET,
            truncated: false,
            stack: Vec::new(),
            seen: HashMap::new(),
        }
    }

    pub(super) fn report(&mut self, kind: ChangeKind, location: String, message: String, classes: (Class, Class)) {
        self.report_in(kind, location, None, message, classes);
    }

    /// A change inside the shared schema `schema` is listed once: where it
    /// is reached again (another operation, another property), the first
    /// listing counts the place instead.
    fn report_in(
        &mut self,
        kind: ChangeKind,
        location: String,
        schema: Option<String>,
        message: String,
        classes: (Class, Class),
    ) {
        let place = format!("{} {} {location}", self.op.method, self.op.path);
        if let Some(schema) = &schema {
            let key = (schema.clone(), kind, message.clone(), classes);
            if let Some(&index) = self.seen.get(&key) {
                let first: &mut Change = &mut self.changes[index];
                if !first.places.contains(&place) {
                    first.places.push(place);
                }
                return;
            }
            self.seen.insert(key, self.changes.len());
        }
        self.changes.push(Change {
            kind,
            method: self.op.method.clone(),
            path: self.op.path.clone(),
            operation_id: self.op.id.clone(),
            location,
            message,
            clients: classes.0,
            servers: classes.1,
            schema,
            places: vec![place],
        });
    }

    fn effect(&mut self, kind: ChangeKind, loc: &Loc, message: String, effect: Effect, direction: Direction) {
        self.report_in(kind, loc.render(), loc.schema(), message, classes(effect, direction));
    }

    /// True if the two values are equal and every reference in them is
    /// unchanged: nothing below can differ.
    pub(super) fn same(&self, old: &Value, new: &Value) -> bool {
        old == new && refs_all(old, &mut |r| self.unchanged.contains(r))
    }

    /// Compare the schema `old` (in the old document) with `new`.
    pub(super) fn compare(&mut self, old: &'a Value, new: &'a Value, direction: Direction, loc: &Loc) {
        if self.same(old, new) {
            return;
        }
        if self.budget == 0 || self.stack.len() >= MAX_DEPTH {
            self.truncated = true;
            return;
        }
        self.budget -= 1;
        // The same `$ref` on both sides: what changes below is that
        // schema's change.
        let entered;
        let loc = match (
            old.get("$ref").and_then(Value::as_str),
            new.get("$ref").and_then(Value::as_str),
        ) {
            (Some(a), Some(b)) if a == b => {
                entered = loc.enter(a);
                &entered
            }
            _ => loc,
        };
        let o = flatten(self.old, old);
        let n = flatten(self.new, new);
        match (o.unresolved, n.unresolved) {
            (None, None) => {}
            (a, b) if a == b => return,
            (a, b) => {
                let show = |r: Option<&str>| {
                    r.map(|r| format!("`{r}`"))
                        .unwrap_or_else(|| "a resolved schema".to_owned())
                };
                let message = format!("unresolvable reference: {} -> {}", show(a), show(b));
                self.effect(
                    ChangeKind::ReferenceChanged,
                    loc,
                    message,
                    Effect::Incompatible,
                    direction,
                );
                return;
            }
        }
        let pair = (o.id, n.id);
        if self.stack.contains(&pair) {
            return;
        }
        self.stack.push(pair);
        self.compare_nodes(&o, &n, direction, loc);
        self.stack.pop();
    }

    fn compare_nodes(&mut self, o: &Node<'a>, n: &Node<'a>, direction: Direction, loc: &Loc) {
        if let Some(effect) = type_effect(&o.types, &n.types) {
            let message = format!("type {} -> {}", show_types(&o.types), show_types(&n.types));
            self.effect(ChangeKind::TypeChanged, loc, message, effect, direction);
            if effect == Effect::Incompatible {
                return;
            }
        }
        if let Some(mut effect) = format_effect(o.format, n.format) {
            // A new integer format narrows nothing the bounds already kept
            // inside its range (`maximum: 100` then `format: int32`).
            if effect == Effect::Narrower
                && let Some((low, high)) = n.format.and_then(format_range)
            {
                let bound = |keys: [&str; 2]| {
                    n.limits
                        .iter()
                        .chain(o.limits.iter())
                        .find(|(k, _)| keys.contains(k))
                        .and_then(|(_, v)| v.as_f64())
                };
                if let (Some(min), Some(max)) = (
                    bound(["minimum", "exclusiveMinimum"]),
                    bound(["maximum", "exclusiveMaximum"]),
                ) && min >= low
                    && max <= high
                {
                    effect = Effect::Neutral;
                }
            }
            let show = |f: Option<&str>| f.map(|f| format!("`{f}`")).unwrap_or_else(|| "none".to_owned());
            let message = format!("format {} -> {}", show(o.format), show(n.format));
            if effect != Effect::Neutral {
                self.effect(ChangeKind::FormatChanged, loc, message, effect, direction);
            }
        }
        self.compare_limits(o, n, direction, loc);
        self.compare_enums(o, n, direction, loc);
        self.compare_properties(o, n, direction, loc);
        if let (Some(a), Some(b)) = (o.items, n.items) {
            self.compare(a, b, direction, &loc.push("[]"));
        }
        self.compare_additional(o, n, direction, loc);
        self.compare_variants(o, n, direction, loc);
    }

    fn compare_limits(&mut self, o: &Node<'a>, n: &Node<'a>, direction: Direction, loc: &Loc) {
        for keyword in LIMITS {
            let get = |node: &Node<'a>| node.limits.iter().find(|(k, _)| k == keyword).map(|(_, v)| *v);
            let (old, new) = (get(o), get(n));
            if let Some(effect) = limit_effect(keyword, old, new) {
                let show = |v: Option<&Value>| v.map(Value::to_string).unwrap_or_else(|| "none".to_owned());
                let message = format!("{keyword} {} -> {}", show(old), show(new));
                self.effect(ChangeKind::LimitChanged, loc, message, effect, direction);
            }
        }
    }

    fn compare_enums(&mut self, o: &Node<'a>, n: &Node<'a>, direction: Direction, loc: &Loc) {
        match (&o.enumeration, &n.enumeration) {
            (Some(old), Some(new)) => {
                for value in old.iter().filter(|v| !new.contains(v)) {
                    let message = format!("enum value {value} removed");
                    self.effect(ChangeKind::EnumValueRemoved, loc, message, Effect::Narrower, direction);
                }
                for value in new.iter().filter(|v| !old.contains(v)) {
                    let message = format!("enum value {value} added");
                    self.effect(ChangeKind::EnumValueAdded, loc, message, Effect::Wider, direction);
                }
            }
            (None, Some(new)) => {
                let filled = if o.placeholder {
                    " (an empty placeholder filled in)"
                } else {
                    ""
                };
                let message = format!("now restricted to the values {}{filled}", show_values(new));
                self.effect(ChangeKind::EnumAdded, loc, message, Effect::Narrower, direction);
            }
            (Some(old), None) => {
                let message = format!("no longer restricted to the values {}", show_values(old));
                self.effect(ChangeKind::EnumRemoved, loc, message, Effect::Wider, direction);
            }
            (None, None) => {}
        }
    }

    fn compare_properties(&mut self, o: &Node<'a>, n: &Node<'a>, direction: Direction, loc: &Loc) {
        // readOnly properties are not part of requests, writeOnly ones not of responses.
        let old_props = self.visible(self.old, &o.properties, direction);
        let new_props = self.visible(self.new, &n.properties, direction);
        let forbids_more = n.additional.is_some_and(|a| *a == Value::Bool(false));
        for &(name, old_schema) in &old_props {
            let was_required = o.required.contains(name);
            let here = loc.property(name);
            match new_props.iter().find(|(other, _)| *other == name) {
                None => {
                    let servers = match direction {
                        Direction::Request => was_required,
                        Direction::Response => forbids_more,
                    };
                    let required = if was_required { " (it was required)" } else { "" };
                    self.report_in(
                        ChangeKind::PropertyRemoved,
                        here.render(),
                        here.schema(),
                        format!("property `{name}` removed{required}"),
                        (Class::Breaking, Class::of(servers)),
                    );
                }
                Some(&(_, new_schema)) => {
                    let is_required = n.required.contains(name);
                    if is_required && !was_required {
                        let message = format!("property `{name}` is now required");
                        self.effect(
                            ChangeKind::PropertyBecameRequired,
                            &here,
                            message,
                            Effect::Narrower,
                            direction,
                        );
                    } else if was_required && !is_required {
                        let message = format!("property `{name}` is no longer required");
                        self.effect(
                            ChangeKind::PropertyBecameOptional,
                            &here,
                            message,
                            Effect::Wider,
                            direction,
                        );
                    }
                    self.compare(old_schema, new_schema, direction, &here);
                }
            }
        }
        for &(name, _) in &new_props {
            if old_props.iter().any(|(other, _)| *other == name) {
                continue;
            }
            let (effect, which) = if n.required.contains(name) {
                (Effect::Narrower, "required")
            } else {
                (Effect::Neutral, "optional")
            };
            let message = format!("{which} property `{name}` added");
            self.effect(
                ChangeKind::PropertyAdded,
                &loc.property(name),
                message,
                effect,
                direction,
            );
        }
    }

    fn visible(
        &self,
        doc: &'a Value,
        properties: &[(&'a str, &'a Value)],
        direction: Direction,
    ) -> Vec<(&'a str, &'a Value)> {
        let hidden = match direction {
            Direction::Request => "readOnly",
            Direction::Response => "writeOnly",
        };
        properties
            .iter()
            .filter(|(_, schema)| {
                let target = chase(doc, schema).unwrap_or(schema);
                target.get(hidden) != Some(&Value::Bool(true)) && schema.get(hidden) != Some(&Value::Bool(true))
            })
            .copied()
            .collect()
    }

    fn compare_additional(&mut self, o: &Node<'a>, n: &Node<'a>, direction: Direction, loc: &Loc) {
        let forbidden = |a: Option<&Value>| a == Some(&Value::Bool(false));
        match (o.additional, n.additional) {
            (Some(a), Some(b)) if a.is_object() && b.is_object() => self.compare(a, b, direction, &loc.push(".*")),
            (a, b) if forbidden(a) != forbidden(b) => {
                let (message, effect) = if forbidden(b) {
                    ("additional properties are no longer allowed", Effect::Narrower)
                } else {
                    ("additional properties are now allowed", Effect::Wider)
                };
                self.effect(
                    ChangeKind::AdditionalPropertiesChanged,
                    loc,
                    message.to_owned(),
                    effect,
                    direction,
                );
            }
            _ => {}
        }
    }

    fn compare_variants(&mut self, o: &Node<'a>, n: &Node<'a>, direction: Direction, loc: &Loc) {
        let (old, (keyword, new)) = match (&o.variants, &n.variants) {
            (None, None) => return,
            (Some((keyword, old)), None) => {
                let (message, effect) = if old.iter().all(|v| requirement_only(self.old, v)) {
                    (
                        format!("no longer requires one of {} sets of properties ({keyword})", old.len()),
                        Effect::Wider,
                    )
                } else {
                    (
                        format!("a choice of {} variants became a single schema", old.len()),
                        Effect::Incompatible,
                    )
                };
                self.effect(ChangeKind::TypeChanged, loc, message, effect, direction);
                return;
            }
            (None, Some((keyword, new))) => {
                // A choice of required-property lists only says which
                // properties must be there: it accepts less. So does a
                // placeholder filled in.
                let requirements = new.iter().all(|v| requirement_only(self.new, v));
                let (message, effect) = if requirements {
                    (
                        format!("now requires one of {} sets of properties ({keyword})", new.len()),
                        Effect::Narrower,
                    )
                } else if o.placeholder {
                    (
                        format!("an empty placeholder became a choice of {} variants", new.len()),
                        Effect::Narrower,
                    )
                } else {
                    (
                        format!("became a choice of {} variants", new.len()),
                        Effect::Incompatible,
                    )
                };
                self.effect(ChangeKind::TypeChanged, loc, message, effect, direction);
                return;
            }
            (Some((_, old)), Some(new)) => (old, new),
        };
        // Pair variants by reference first, then by position.
        let reference = |v: &Value| v.get("$ref").and_then(Value::as_str).map(str::to_owned);
        let mut pairs: Vec<(usize, Option<usize>)> = Vec::new();
        let mut taken = vec![false; new.len()];
        for (i, variant) in old.iter().enumerate() {
            let by_ref = reference(variant)
                .and_then(|r| (0..new.len()).find(|&j| !taken[j] && reference(new[j]).as_deref() == Some(r.as_str())));
            if let Some(j) = by_ref {
                taken[j] = true;
            }
            pairs.push((i, by_ref));
        }
        for pair in pairs.iter_mut().filter(|(_, j)| j.is_none()) {
            let free = (0..new.len()).find(|&j| {
                !taken[j]
                    && reference(new[j])
                        .is_none_or(|r| !old.iter().any(|v| reference(v).as_deref() == Some(r.as_str())))
            });
            if let Some(j) = free {
                taken[j] = true;
                pair.1 = Some(j);
            }
        }
        let show = |v: &Value, i: usize| match reference(v) {
            Some(r) => format!("{keyword} variant {i} (`{r}`)"),
            None => format!("{keyword} variant {i}"),
        };
        for (i, j) in pairs {
            match j {
                Some(j) => self.compare(old[i], new[j], direction, &loc.push(&format!("<{keyword} {j}>"))),
                None => {
                    let message = format!("{} removed", show(old[i], i));
                    self.effect(ChangeKind::VariantRemoved, loc, message, Effect::Narrower, direction);
                }
            }
        }
        for (j, variant) in new.iter().enumerate().filter(|(j, _)| !taken[*j]) {
            let message = format!("{} added", show(variant, j));
            self.effect(ChangeKind::VariantAdded, loc, message, Effect::Wider, direction);
        }
    }
}

/// Follow `$ref`s from `value` to a schema; `Err` carries a reference that
/// does not resolve, or for a cycle of nothing but references, the first.
pub(super) fn chase<'a>(doc: &'a Value, value: &'a Value) -> Result<&'a Value, &'a str> {
    let mut current = value;
    let mut first = None;
    for _ in 0..64 {
        match current.get("$ref").and_then(Value::as_str) {
            None => return Ok(current),
            Some(reference) => {
                first.get_or_insert(reference);
                current = resolve(doc, reference).ok_or(reference)?;
            }
        }
    }
    Err(first.unwrap_or_default())
}

/// One schema, resolved and merged.
struct Node<'a> {
    /// Identity of the resolved schema, for cycle detection.
    id: *const Value,
    unresolved: Option<&'a str>,
    /// `None`: any type. Includes `"null"` when nullable.
    types: Option<BTreeSet<&'a str>>,
    format: Option<&'a str>,
    enumeration: Option<Vec<&'a Value>>,
    properties: Vec<(&'a str, &'a Value)>,
    required: BTreeSet<&'a str>,
    items: Option<&'a Value>,
    additional: Option<&'a Value>,
    /// `oneOf` or `anyOf`, and its members.
    variants: Option<(&'static str, Vec<&'a Value>)>,
    /// `enum: []` or `oneOf: []`: a placeholder, read as "anything" until it
    /// is filled in (which narrows).
    placeholder: bool,
    /// Bounds and patterns, by keyword (`minLength`, `maximum`, `pattern`...).
    limits: Vec<(&'static str, &'a Value)>,
}

fn flatten<'a>(doc: &'a Value, value: &'a Value) -> Node<'a> {
    let mut chain = Vec::new();
    flatten_in(doc, value, &mut chain)
}

fn flatten_in<'a>(doc: &'a Value, value: &'a Value, chain: &mut Vec<*const Value>) -> Node<'a> {
    let mut node = Node {
        id: value,
        unresolved: None,
        types: None,
        format: None,
        enumeration: None,
        properties: Vec::new(),
        required: BTreeSet::new(),
        items: None,
        additional: None,
        variants: None,
        placeholder: false,
        limits: Vec::new(),
    };
    let schema = match chase(doc, value) {
        Ok(schema) => schema,
        Err(reference) => {
            node.unresolved = Some(reference);
            return node;
        }
    };
    node.id = schema;
    let Some(object) = schema.as_object() else {
        return node;
    };
    node.types = match object.get("type") {
        Some(Value::String(t)) => Some(BTreeSet::from([t.as_str()])),
        Some(Value::Array(ts)) => Some(ts.iter().filter_map(Value::as_str).collect()),
        _ => None,
    };
    node.format = object.get("format").and_then(Value::as_str);
    node.enumeration = match (object.get("enum"), object.get("const")) {
        (Some(Value::Array(values)), _) if values.is_empty() => {
            node.placeholder = true;
            None
        }
        (Some(Value::Array(values)), _) => Some(values.iter().collect()),
        (_, Some(value)) => Some(vec![value]),
        _ => None,
    };
    node.limits = LIMITS
        .iter()
        .filter_map(|&keyword| Some((keyword, object.get(keyword)?)))
        .collect();
    if let Some(Value::Object(properties)) = object.get("properties") {
        node.properties = properties.iter().map(|(k, v)| (k.as_str(), v)).collect();
    }
    if let Some(Value::Array(required)) = object.get("required") {
        node.required = required.iter().filter_map(Value::as_str).collect();
    }
    node.items = object.get("items").filter(|i| i.is_object());
    node.additional = object.get("additionalProperties");
    node.variants = ["oneOf", "anyOf"]
        .into_iter()
        .find_map(|k| Some((k, object.get(k)?.as_array()?.iter().collect::<Vec<_>>())));
    match &node.variants {
        Some((_, members)) if members.is_empty() => {
            node.placeholder = true;
            node.variants = None;
        }
        // A choice of single values is an enum, compared as a set whatever
        // the order: `oneOf: [{const: a}, {const: b}]` is `enum: [a, b]`.
        Some((_, members)) if node.enumeration.is_none() && members.iter().all(|m| single_value(doc, m).is_some()) => {
            node.enumeration = Some(members.iter().filter_map(|m| single_value(doc, m)).collect());
            node.variants = None;
        }
        _ => {}
    }
    if let Some(Value::Array(members)) = object.get("allOf") {
        chain.push(schema);
        for member in members {
            let target = chase(doc, member).unwrap_or(member);
            if chain.len() > 8 || chain.contains(&(target as *const Value)) {
                continue;
            }
            let member = flatten_in(doc, member, chain);
            merge(&mut node, member);
        }
        chain.pop();
    }
    if node.types.is_none() {
        if !node.properties.is_empty() || node.additional.is_some_and(Value::is_object) {
            node.types = Some(BTreeSet::from(["object"]));
        } else if node.items.is_some() {
            node.types = Some(BTreeSet::from(["array"]));
        }
    }
    if object.get("nullable") == Some(&Value::Bool(true))
        && let Some(types) = node.types.as_mut()
    {
        types.insert("null");
    }
    node
}

/// Merge an `allOf` member into the schema holding it.
fn merge<'a>(node: &mut Node<'a>, member: Node<'a>) {
    node.types = match (node.types.take(), member.types) {
        (Some(a), Some(b)) => {
            let both: BTreeSet<&str> = a.intersection(&b).copied().collect();
            Some(if both.is_empty() { a } else { both })
        }
        (a, b) => a.or(b),
    };
    node.format = node.format.or(member.format);
    node.enumeration = node.enumeration.take().or(member.enumeration);
    for (name, schema) in member.properties {
        if !node.properties.iter().any(|(n, _)| *n == name) {
            node.properties.push((name, schema));
        }
    }
    node.required.extend(member.required);
    node.items = node.items.or(member.items);
    node.additional = match (node.additional, member.additional) {
        // `false` in any member forbids what the others do not declare.
        (Some(Value::Bool(false)), _) | (_, Some(Value::Bool(false))) => Some(&Value::Bool(false)),
        (a, b) => a.or(b),
    };
    node.variants = node.variants.take().or(member.variants);
    node.placeholder |= member.placeholder;
    for (keyword, value) in member.limits {
        if !node.limits.iter().any(|(k, _)| *k == keyword) {
            node.limits.push((keyword, value));
        }
    }
}

/// The keywords that bound a value, compared by [`limit_effect`].
const LIMITS: &[&str] = &[
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "minProperties",
    "maxProperties",
    "pattern",
    "multipleOf",
];

/// The one value a variant allows: `{const: x}` or `{enum: [x]}` (titles
/// and descriptions aside).
fn single_value<'a>(doc: &'a Value, variant: &'a Value) -> Option<&'a Value> {
    let object = chase(doc, variant).ok()?.as_object()?;
    let documentation =
        |key: &str| matches!(key, "title" | "description" | "type" | "const" | "enum") || key.starts_with("x-");
    if !object.keys().all(|k| documentation(k)) {
        return None;
    }
    match (object.get("const"), object.get("enum")) {
        (Some(value), None) => Some(value),
        (None, Some(Value::Array(values))) if values.len() == 1 => values.first(),
        _ => None,
    }
}

/// A variant that only lists required properties (`{required: [a]}`): a
/// choice of them constrains which properties are present, nothing else.
fn requirement_only(doc: &Value, variant: &Value) -> bool {
    chase(doc, variant)
        .ok()
        .and_then(Value::as_object)
        .is_some_and(|object| {
            object.contains_key("required")
                && object
                    .keys()
                    .all(|k| matches!(k.as_str(), "required" | "title" | "description") || k.starts_with("x-"))
        })
}

/// What changing a limit does to the values accepted.
fn limit_effect(keyword: &str, old: Option<&Value>, new: Option<&Value>) -> Option<Effect> {
    if old == new {
        return None;
    }
    let number = |v: Option<&Value>| v.and_then(Value::as_f64);
    // A bound on the low side: a larger one accepts less.
    let lower = matches!(
        keyword,
        "minimum" | "exclusiveMinimum" | "minLength" | "minItems" | "minProperties"
    );
    let upper = matches!(
        keyword,
        "maximum" | "exclusiveMaximum" | "maxLength" | "maxItems" | "maxProperties"
    );
    match (old, new) {
        (None, Some(_)) => Some(Effect::Narrower),
        (Some(_), None) => Some(Effect::Wider),
        // 3.0 spells exclusive bounds as booleans beside minimum/maximum.
        (Some(Value::Bool(a)), Some(Value::Bool(b))) => Some(if *b && !*a { Effect::Narrower } else { Effect::Wider }),
        _ if lower || upper => match (number(old), number(new)) {
            (Some(a), Some(b)) if (lower && b > a) || (upper && b < a) => Some(Effect::Narrower),
            (Some(_), Some(_)) => Some(Effect::Wider),
            _ => Some(Effect::Incompatible),
        },
        // multipleOf: a multiple of the old step accepts less.
        _ if keyword == "multipleOf" => match (number(old), number(new)) {
            (Some(a), Some(b)) if a != 0.0 && (b / a).fract() == 0.0 => Some(Effect::Narrower),
            (Some(a), Some(b)) if b != 0.0 && (a / b).fract() == 0.0 => Some(Effect::Wider),
            _ => Some(Effect::Incompatible),
        },
        // Two patterns cannot be compared in general.
        _ => Some(Effect::Incompatible),
    }
}

/// The range an integer format holds.
fn format_range(format: &str) -> Option<(f64, f64)> {
    match format {
        "int32" => Some((i32::MIN as f64, i32::MAX as f64)),
        "int64" => Some((i64::MIN as f64, i64::MAX as f64)),
        _ => None,
    }
}

fn type_effect(old: &Option<BTreeSet<&str>>, new: &Option<BTreeSet<&str>>) -> Option<Effect> {
    // `a` accepts everything `b` does (an integer is a number).
    let covers = |a: &BTreeSet<&str>, b: &BTreeSet<&str>| {
        b.iter()
            .all(|t| a.contains(t) || (*t == "integer" && a.contains("number")))
    };
    match (old, new) {
        (None, None) => None,
        (Some(_), None) => Some(Effect::Wider),
        (None, Some(_)) => Some(Effect::Narrower),
        (Some(o), Some(n)) if o == n => None,
        (Some(o), Some(n)) if covers(n, o) => Some(Effect::Wider),
        (Some(o), Some(n)) if covers(o, n) => Some(Effect::Narrower),
        _ => Some(Effect::Incompatible),
    }
}

fn format_effect(old: Option<&str>, new: Option<&str>) -> Option<Effect> {
    match (old, new) {
        (a, b) if a == b => None,
        (Some(_), None) => Some(Effect::Wider),
        (None, Some(_)) => Some(Effect::Narrower),
        (Some("int32"), Some("int64")) | (Some("float"), Some("double")) => Some(Effect::Wider),
        (Some("int64"), Some("int32")) | (Some("double"), Some("float")) => Some(Effect::Narrower),
        _ => Some(Effect::Incompatible),
    }
}

fn show_types(types: &Option<BTreeSet<&str>>) -> String {
    match types {
        None => "any".to_owned(),
        Some(types) => {
            // `null` last: `string | null`.
            let mut list: Vec<&str> = types.iter().copied().filter(|t| *t != "null").collect();
            if types.contains("null") {
                list.push("null");
            }
            format!("`{}`", list.join(" | "))
        }
    }
}

fn show_values(values: &[&Value]) -> String {
    let list: Vec<String> = values.iter().map(|v| v.to_string()).collect();
    format!("[{}]", list.join(", "))
}

/// True if `f` holds for every `$ref` in `value`.
fn refs_all(value: &Value, f: &mut dyn FnMut(&str) -> bool) -> bool {
    match value {
        Value::Object(map) => map.iter().all(|(key, child)| match (key.as_str(), child) {
            ("$ref", Value::String(reference)) => f(reference),
            _ => refs_all(child, f),
        }),
        Value::Array(items) => items.iter().all(|item| refs_all(item, f)),
        _ => true,
    }
}

/// References whose targets are equal in both documents and refer only to
/// such references (a fixed point), or that resolve in neither.
fn unchanged_refs(old: &Value, new: &Value) -> HashSet<String> {
    let mut all = BTreeSet::new();
    for doc in [old, new] {
        refs_all(doc, &mut |r| {
            all.insert(r.to_owned());
            true
        });
    }
    let mut unchanged: HashSet<String> = all.into_iter().filter(|r| resolve(old, r) == resolve(new, r)).collect();
    loop {
        let drop: Vec<String> = unchanged
            .iter()
            .filter(|r| resolve(old, r).is_some_and(|target| !refs_all(target, &mut |inner| unchanged.contains(inner))))
            .cloned()
            .collect();
        if drop.is_empty() {
            return unchanged;
        }
        for r in drop {
            unchanged.remove(&r);
        }
    }
}
