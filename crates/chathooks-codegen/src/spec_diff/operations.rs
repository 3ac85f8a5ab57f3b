//! Matching operations, and comparing their parameters, bodies and responses.

use serde_json::Value;

use super::schema::{Ctx, Direction, Effect, Loc, OpLabel, chase, classes};
use super::{ChangeKind, Class, Report};
use crate::normalize::METHODS;

use Class::{Breaking as B, Compatible as C};

struct Op<'a> {
    method: &'static str,
    path: &'a str,
    /// Method and path with parameter names left out.
    key: String,
    id: Option<&'a str>,
    operation: &'a Value,
    /// The path item, for path-level parameters.
    item: &'a Value,
}

impl Op<'_> {
    fn label(&self) -> OpLabel {
        OpLabel {
            method: self.method.to_ascii_uppercase(),
            path: self.path.to_owned(),
            id: self.id.map(str::to_owned),
        }
    }
}

fn operations(doc: &Value) -> Vec<Op<'_>> {
    let mut out = Vec::new();
    let Some(Value::Object(paths)) = doc.get("paths") else {
        return out;
    };
    for (path, item) in paths {
        let item = chase(doc, item).unwrap_or(item);
        for method in METHODS {
            if let Some(operation) = item.get(method).filter(|o| o.is_object()) {
                out.push(Op {
                    method,
                    path,
                    key: format!("{method} {}", path_key(path)),
                    id: operation.get("operationId").and_then(Value::as_str),
                    operation,
                    item,
                });
            }
        }
    }
    out
}

/// `/users/{user_id}/posts` -> `/users/{}/posts`; Express-style `:id`
/// segments count as parameters too.
fn path_key(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            if segment.len() > 1 && segment.starts_with(':') {
                return "{}".to_owned();
            }
            let mut out = String::new();
            let mut in_braces = false;
            for c in segment.chars() {
                match c {
                    '{' if !in_braces => {
                        in_braces = true;
                        out.push_str("{}");
                    }
                    '}' if in_braces => in_braces = false,
                    _ if in_braces => {}
                    c => out.push(c),
                }
            }
            out
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Names of the path parameters, in order.
fn path_params(path: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for segment in path.split('/') {
        if let Some(name) = segment.strip_prefix(':').filter(|n| !n.is_empty()) {
            out.push(name);
            continue;
        }
        let mut rest = segment;
        while let Some(start) = rest.find('{') {
            let Some(len) = rest[start..].find('}') else {
                break;
            };
            out.push(&rest[start + 1..start + len]);
            rest = &rest[start + len + 1..];
        }
    }
    out
}

pub(super) fn diff(old: &Value, new: &Value) -> Report {
    let old_ops = operations(old);
    let new_ops = operations(new);
    let mut ctx = Ctx::new(old, new);

    let mut matched: Vec<Option<usize>> = vec![None; old_ops.len()];
    let mut taken = vec![false; new_ops.len()];
    for (i, op) in old_ops.iter().enumerate() {
        if let Some(j) = (0..new_ops.len()).find(|&j| !taken[j] && new_ops[j].key == op.key) {
            taken[j] = true;
            matched[i] = Some(j);
        }
    }
    // Left over on both sides with the same operationId: moved.
    for (i, op) in old_ops.iter().enumerate() {
        if matched[i].is_some() || op.id.is_none() {
            continue;
        }
        if let Some(j) = (0..new_ops.len()).find(|&j| !taken[j] && new_ops[j].id == op.id) {
            taken[j] = true;
            matched[i] = Some(j);
        }
    }

    for (i, o) in old_ops.iter().enumerate() {
        match matched[i] {
            Some(j) => compare_operation(&mut ctx, o, &new_ops[j]),
            None => {
                ctx.op = o.label();
                ctx.report(
                    ChangeKind::OperationRemoved,
                    String::new(),
                    "operation removed".to_owned(),
                    (B, C),
                );
            }
        }
    }
    for (j, n) in new_ops.iter().enumerate() {
        if !taken[j] {
            ctx.op = n.label();
            ctx.report(
                ChangeKind::OperationAdded,
                String::new(),
                "operation added (a server of the old spec does not serve it)".to_owned(),
                (C, B),
            );
        }
    }
    Report {
        changes: ctx.changes,
        truncated: ctx.truncated,
    }
}

fn compare_operation<'a>(ctx: &mut Ctx<'a>, o: &Op<'a>, n: &Op<'a>) {
    ctx.op = n.label();
    if ctx.op.id.is_none() {
        ctx.op.id = o.id.map(str::to_owned);
    }
    if o.key != n.key {
        let message = format!(
            "was {} {} (matched by operationId)",
            o.method.to_ascii_uppercase(),
            o.path
        );
        ctx.report(ChangeKind::OperationPathChanged, String::new(), message, (B, B));
    } else {
        for (a, b) in path_params(o.path).into_iter().zip(path_params(n.path)) {
            if a != b {
                let message = format!("path parameter `{a}` is now `{b}`");
                ctx.report(ChangeKind::PathParameterRenamed, String::new(), message, (C, C));
            }
        }
        if let (Some(a), Some(b)) = (o.id, n.id)
            && a != b
        {
            let message = format!("operationId `{a}` -> `{b}` (generated method names change)");
            ctx.report(ChangeKind::OperationIdChanged, String::new(), message, (C, C));
        }
    }
    if ctx.same(o.operation, n.operation) && ctx.same(o.item, n.item) && o.path == n.path {
        return;
    }
    compare_parameters(ctx, o, n);
    compare_bodies(ctx, o, n);
    compare_responses(ctx, o, n);
}

struct Param<'a> {
    key: String,
    name: &'a str,
    location: &'a str,
    required: bool,
    schema: Option<&'a Value>,
}

impl Param<'_> {
    fn describe(&self) -> String {
        format!("parameter {} {}", self.location, self.name)
    }
}

/// Path-level and operation-level parameters (the operation's win), keyed
/// by location and name; path parameters by position.
fn parameters<'a>(doc: &'a Value, op: &Op<'a>) -> Vec<Param<'a>> {
    let positions = path_params(op.path);
    let mut out: Vec<Param<'a>> = Vec::new();
    let lists = [op.operation.get("parameters"), op.item.get("parameters")];
    for list in lists.into_iter().flatten().filter_map(Value::as_array) {
        for param in list {
            let Ok(param) = chase(doc, param) else {
                continue;
            };
            let (Some(name), Some(location)) = (
                param.get("name").and_then(Value::as_str),
                param.get("in").and_then(Value::as_str),
            ) else {
                continue;
            };
            let key = match location {
                "path" => match positions.iter().position(|p| *p == name) {
                    Some(index) => format!("path #{index}"),
                    None => format!("path {name}"),
                },
                "header" => format!("header {}", name.to_ascii_lowercase()),
                other => format!("{other} {name}"),
            };
            if out.iter().any(|p| p.key == key) {
                continue;
            }
            let schema = param.get("schema").or_else(|| {
                param
                    .get("content")
                    .and_then(Value::as_object)
                    .and_then(|content| content.values().find_map(|media| media.get("schema")))
            });
            out.push(Param {
                key,
                name,
                location,
                required: location == "path" || param.get("required") == Some(&Value::Bool(true)),
                schema,
            });
        }
    }
    out
}

fn compare_parameters<'a>(ctx: &mut Ctx<'a>, o: &Op<'a>, n: &Op<'a>) {
    let old = parameters(ctx.old, o);
    let new = parameters(ctx.new, n);
    for p in &old {
        match new.iter().find(|q| q.key == p.key) {
            None => {
                let required = if p.required { " (it was required)" } else { "" };
                ctx.report(
                    ChangeKind::ParameterRemoved,
                    p.describe(),
                    format!("parameter `{}` removed{required}", p.name),
                    (B, Class::of(p.required)),
                );
            }
            Some(q) => {
                let loc = Loc::new(q.describe());
                if q.required && !p.required {
                    let message = format!("parameter `{}` is now required", q.name);
                    ctx.report(
                        ChangeKind::ParameterBecameRequired,
                        loc.render(),
                        message,
                        classes(Effect::Narrower, Direction::Request),
                    );
                } else if p.required && !q.required {
                    let message = format!("parameter `{}` is no longer required", q.name);
                    ctx.report(
                        ChangeKind::ParameterBecameOptional,
                        loc.render(),
                        message,
                        classes(Effect::Wider, Direction::Request),
                    );
                }
                if let (Some(a), Some(b)) = (p.schema, q.schema) {
                    ctx.compare(a, b, Direction::Request, &loc);
                }
            }
        }
    }
    for q in new.iter().filter(|q| !old.iter().any(|p| p.key == q.key)) {
        let (which, effect) = if q.required {
            ("required", Effect::Narrower)
        } else {
            ("optional", Effect::Neutral)
        };
        ctx.report(
            ChangeKind::ParameterAdded,
            q.describe(),
            format!("{which} parameter `{}` added", q.name),
            classes(effect, Direction::Request),
        );
    }
}

/// Media types of a body or response, by essence (`application/json`).
fn content<'a>(doc: &'a Value, entry: &'a Value) -> Vec<(String, &'a Value)> {
    let Some(Value::Object(content)) = chase(doc, entry).ok().and_then(|e| e.get("content")) else {
        return Vec::new();
    };
    content
        .iter()
        .map(|(media_type, media)| {
            let essence = media_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
            (essence, media.get("schema").unwrap_or(&Value::Null))
        })
        .collect()
}

fn compare_bodies<'a>(ctx: &mut Ctx<'a>, o: &Op<'a>, n: &Op<'a>) {
    let body = |doc: &'a Value, op: &Op<'a>| op.operation.get("requestBody").map(|b| chase(doc, b).unwrap_or(b));
    let required = |b: &Value| b.get("required") == Some(&Value::Bool(true));
    match (body(ctx.old, o), body(ctx.new, n)) {
        (None, None) => {}
        (Some(a), None) => {
            let was = if required(a) { " (it was required)" } else { "" };
            ctx.report(
                ChangeKind::RequestBodyRemoved,
                "request body".to_owned(),
                format!("request body removed{was}"),
                (B, Class::of(required(a))),
            );
        }
        (None, Some(b)) => {
            let (which, effect) = if required(b) {
                ("required", Effect::Narrower)
            } else {
                ("optional", Effect::Neutral)
            };
            ctx.report(
                ChangeKind::RequestBodyAdded,
                "request body".to_owned(),
                format!("{which} request body added"),
                classes(effect, Direction::Request),
            );
        }
        (Some(a), Some(b)) => {
            if required(b) && !required(a) {
                ctx.report(
                    ChangeKind::RequestBodyBecameRequired,
                    "request body".to_owned(),
                    "request body is now required".to_owned(),
                    classes(Effect::Narrower, Direction::Request),
                );
            } else if required(a) && !required(b) {
                ctx.report(
                    ChangeKind::RequestBodyBecameOptional,
                    "request body".to_owned(),
                    "request body is no longer required".to_owned(),
                    classes(Effect::Wider, Direction::Request),
                );
            }
            let old = content(ctx.old, a);
            let new = content(ctx.new, b);
            for (media, schema) in &old {
                let section = format!("request body {media}");
                match new.iter().find(|(m, _)| m == media) {
                    None => ctx.report(
                        ChangeKind::RequestMediaTypeRemoved,
                        section,
                        format!("request media type `{media}` is no longer accepted"),
                        (B, C),
                    ),
                    Some((_, other)) => ctx.compare(schema, other, Direction::Request, &Loc::new(section)),
                }
            }
            for (media, _) in new.iter().filter(|(m, _)| !old.iter().any(|(o, _)| o == m)) {
                ctx.report(
                    ChangeKind::RequestMediaTypeAdded,
                    format!("request body {media}"),
                    format!("request media type `{media}` is now accepted (a server of the old spec refuses it)"),
                    (C, B),
                );
            }
        }
    }
}

/// `200`, `2XX`, `default`: a response's status key, normalized.
fn responses<'a>(op: &Op<'a>) -> Vec<(String, &'a Value)> {
    op.operation
        .get("responses")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(status, response)| {
            let status = if status.eq_ignore_ascii_case("default") {
                "default".to_owned()
            } else {
                status.to_ascii_uppercase()
            };
            (status, response)
        })
        .collect()
}

/// The response that covers `status`: itself, its range, or `default`.
fn covering<'r, 'a>(list: &'r [(String, &'a Value)], status: &str) -> Option<&'r (String, &'a Value)> {
    let range = status.get(..1).map(|digit| format!("{digit}XX"));
    list.iter()
        .find(|(s, _)| s == status)
        .or_else(|| range.and_then(|range| list.iter().find(|(s, _)| *s == range)))
        .or_else(|| list.iter().find(|(s, _)| s == "default"))
}

fn compare_responses<'a>(ctx: &mut Ctx<'a>, o: &Op<'a>, n: &Op<'a>) {
    let old = responses(o);
    let new = responses(n);
    let success = |status: &str| status.starts_with('2');
    for (status, response) in &old {
        match covering(&new, status) {
            Some((other_status, other)) => compare_response(ctx, status, other_status, response, other),
            None => ctx.report(
                ChangeKind::ResponseRemoved,
                format!("response {status}"),
                format!("response {status} removed"),
                (Class::of(success(status)), B),
            ),
        }
    }
    for (status, response) in new.iter().filter(|(s, _)| !old.iter().any(|(o, _)| o == s)) {
        match covering(&old, status) {
            Some((other_status, other)) => compare_response(ctx, other_status, status, other, response),
            None => ctx.report(
                ChangeKind::ResponseAdded,
                format!("response {status}"),
                format!("response {status} added"),
                (Class::of(success(status)), C),
            ),
        }
    }
}

fn compare_response<'a>(ctx: &mut Ctx<'a>, old_status: &str, new_status: &str, old: &'a Value, new: &'a Value) {
    if ctx.same(old, new) {
        return;
    }
    let status = if old_status == new_status {
        new_status.to_owned()
    } else {
        format!("{new_status} (was {old_status})")
    };
    let old_content = content(ctx.old, old);
    let new_content = content(ctx.new, new);
    for (media, schema) in &old_content {
        let section = format!("response {status} {media}");
        match new_content.iter().find(|(m, _)| m == media) {
            None => ctx.report(
                ChangeKind::ResponseMediaTypeRemoved,
                section,
                format!("response media type `{media}` removed"),
                (B, B),
            ),
            Some((_, other)) => ctx.compare(schema, other, Direction::Response, &Loc::new(section)),
        }
    }
    for (media, _) in new_content
        .iter()
        .filter(|(m, _)| !old_content.iter().any(|(o, _)| o == m))
    {
        let (message, classes) = if old_content.is_empty() {
            (
                format!("response body `{media}` added where there was none (a server of the old spec sends none)"),
                (C, B),
            )
        } else {
            (
                format!("response media type `{media}` added beside the others (clients may not read it)"),
                (B, C),
            )
        };
        ctx.report(
            ChangeKind::ResponseMediaTypeAdded,
            format!("response {status} {media}"),
            message,
            classes,
        );
    }
}
