//! Rust names for spec names: deterministic and collision-free.

use std::collections::BTreeSet;

use heck::{ToPascalCase, ToSnakeCase};

const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern", "false", "fn",
    "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return", "self",
    "Self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use", "where", "while", "abstract",
    "become", "box", "do", "final", "macro", "override", "priv", "typeof", "unsized", "virtual", "yield", "try",
];

fn clean(input: &str) -> String {
    input
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect::<String>()
}

/// typify's and progenitor's identifier rule (`sanitize` in both crates),
/// reproduced: apostrophes go, other characters that cannot continue an
/// identifier become word breaks, then heck's case conversion; an `x` in
/// front of what cannot start one, `_` behind keywords. What they do to a
/// name is what this does, so names can be made that they leave alone.
fn sanitize(input: &str, pascal_case: bool) -> String {
    let cleaned: String = input
        .replace('\'', "")
        .chars()
        .map(|c| if unicode_ident::is_xid_continue(c) { c } else { '-' })
        .collect();
    let out = match (input, pascal_case) {
        ("+1", _) => "plus1".to_owned(),
        ("-1", _) => "minus1".to_owned(),
        (_, true) => cleaned.to_pascal_case(),
        (_, false) => cleaned.to_snake_case(),
    };
    let prefix = if pascal_case { "X" } else { "x" };
    let out = match out.chars().next() {
        None => prefix.to_owned(),
        Some(c) if unicode_ident::is_xid_start(c) => out,
        Some(_) => format!("{prefix}{out}"),
    };
    if out == "_" || KEYWORDS.contains(&out.as_str()) {
        format!("{out}_")
    } else {
        out
    }
}

/// The one function that names Rust types: `PascalCase`, ASCII, and a fixed
/// point of typify's own renaming (`sanitize(type_name(x)) == type_name(x)`),
/// so the types crate defines every type under exactly the name the server
/// and client emitters refer to. heck's conversion is not idempotent
/// (`GetApiV1E2eFetch` becomes `GetApiV1e2eFetch`), hence the iteration; it
/// settles within a few rounds.
pub fn pascal(input: &str) -> String {
    let mut out = sanitize(&clean(input), true);
    for _ in 0..8 {
        let next = sanitize(&out, true);
        if next == out {
            break;
        }
        out = next;
    }
    out
}

/// True if `name` is already what [`pascal`] makes of it (and of itself).
pub fn is_type_name(name: &str) -> bool {
    pascal(name) == name
}

/// True if typify cannot name these enum values as distinct variants (its
/// two rounds: the values through its rule, then with `_` and other
/// non-identifier characters spelled `X`), which it answers with a panic.
pub fn variants_collide(values: &[&str]) -> bool {
    let distinct = |names: Vec<String>| {
        let count = names.len();
        names.into_iter().collect::<BTreeSet<_>>().len() == count
    };
    let plain = values.iter().map(|v| sanitize(v, true)).collect();
    let spelled = values
        .iter()
        .map(|v| {
            let spelled: String = v
                .chars()
                .map(|c| {
                    if c == '_' || !unicode_ident::is_xid_continue(c) {
                        'X'
                    } else {
                        c
                    }
                })
                .collect();
            sanitize(&spelled, true)
        })
        .collect();
    !distinct(plain) && !distinct(spelled)
}

/// The Rust field name typify gives a property, exactly (typify's rule), so
/// that collisions are found on the identifiers that will be emitted.
pub fn field_name(property: &str) -> String {
    sanitize(property, false)
}

/// `snake_case`, valid as a Rust field, function or module name.
pub fn snake(input: &str) -> String {
    let out = clean(input).to_snake_case();
    let out = fix_start(out, "x_");
    if KEYWORDS.contains(&out.as_str()) {
        format!("{out}_")
    } else {
        out
    }
}

fn fix_start(out: String, prefix: &str) -> String {
    match out.chars().next() {
        None => prefix.trim_end_matches('_').to_lowercase(),
        Some(c) if c.is_ascii_alphabetic() => out,
        Some(_) => format!("{prefix}{out}"),
    }
}

/// Hands out names that have not been handed out before, appending 2, 3, ...
/// when a name is taken. Deterministic for a deterministic call order.
#[derive(Debug, Default, Clone)]
pub struct NameSet {
    taken: BTreeSet<String>,
}

impl NameSet {
    pub fn reserve(&mut self, name: &str) -> bool {
        self.taken.insert(name.to_owned())
    }

    pub fn contains(&self, name: &str) -> bool {
        self.taken.contains(name)
    }

    pub fn unique(&mut self, base: &str) -> String {
        if self.taken.insert(base.to_owned()) {
            return base.to_owned();
        }
        (2..)
            .map(|n| format!("{base}{n}"))
            .find(|candidate| self.taken.insert(candidate.clone()))
            .expect("an unbounded range always yields a free name")
    }

    /// A type name: `base` through [`pascal`], numbered while taken; every
    /// candidate is itself a fixed point of [`pascal`].
    pub fn unique_type(&mut self, base: &str) -> String {
        let base = pascal(base);
        if self.taken.insert(base.clone()) {
            return base;
        }
        (2..)
            .map(|n| pascal(&format!("{base}{n}")))
            .find(|candidate| self.taken.insert(candidate.clone()))
            .expect("an unbounded range always yields a free name")
    }

    /// Like [`NameSet::unique`] but separated by `_`, for snake-case names.
    pub fn unique_snake(&mut self, base: &str) -> String {
        if self.taken.insert(base.to_owned()) {
            return base.to_owned();
        }
        (2..)
            .map(|n| format!("{base}_{n}"))
            .find(|candidate| self.taken.insert(candidate.clone()))
            .expect("an unbounded range always yields a free name")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_valid_identifiers() {
        assert_eq!(pascal("plugin_manifest.webapp"), "PluginManifestWebapp");
        assert_eq!(pascal("2fa"), "X2fa");
        assert_eq!(snake("_id"), "id");
        assert_eq!(snake("type"), "type_");
        assert_eq!(snake("X-Request-Id"), "x_request_id");
        assert_eq!(snake("$count"), "count");
    }

    #[test]
    fn type_names_are_fixed_points_of_typify_renaming() {
        let inputs = [
            "get /api/v1/e2e.fetchMyKeys",
            "GetApiV1E2eFetchMyKeys",
            "aB1C",
            "a1B2c3D",
            "HTTPServer",
            "self",
            "Self",
            "2fa",
            "won't",
            "\u{e9}t\u{e9}",
            "",
            "_",
            "+1",
            "foo.bar-baz_qux",
        ];
        for input in inputs {
            let name = pascal(input);
            assert_eq!(sanitize(&name, true), name, "typify renames pascal({input:?})");
            assert_eq!(pascal(&name), name, "pascal is not idempotent on {input:?}");
            assert!(syn::parse_str::<syn::Ident>(&name).is_ok(), "{name} is no identifier");
            // Names built by appending to a type name stay type names once
            // passed through `pascal` again, as `NameSet::unique_type` does.
            let composed = pascal(&format!("{name}Response"));
            assert_eq!(sanitize(&composed, true), composed);
        }
        assert_eq!(pascal("get /api/v1/e2e.fetchMyKeys"), pascal("GetApiV1E2eFetchMyKeys"));
    }

    #[test]
    fn field_names_are_typify_field_names() {
        assert_eq!(field_name(" _id"), field_name("id"));
        assert_eq!(field_name("a-b"), field_name("a_b"));
        assert_eq!(field_name("won't"), field_name("wont"));
        assert_eq!(field_name("type"), "type_");
        assert_eq!(field_name("1st"), "x1st");
    }

    #[test]
    fn enum_variant_collisions_are_typify_collisions() {
        assert!(variants_collide(&["a-b", "a_b"]), "`_` and `-` both become X");
        assert!(!variants_collide(&["ab", "a_b"]), "told apart in the second round");
        assert!(variants_collide(&["a b", "a-b"]));
        assert!(variants_collide(&["Open", "open"]));
        assert!(!variants_collide(&["open", "closed"]));
    }

    #[test]
    fn name_set_never_repeats() {
        let mut names = NameSet::default();
        assert_eq!(names.unique("Foo"), "Foo");
        assert_eq!(names.unique("Foo"), "Foo2");
        assert_eq!(names.unique("Foo"), "Foo3");
        assert_eq!(names.unique_snake("id"), "id");
        assert_eq!(names.unique_snake("id"), "id_2");
        let mut types = NameSet::default();
        assert_eq!(types.unique_type("V1E2e"), "V1e2e");
        assert_eq!(types.unique_type("V1e2e"), "V1e2e2");
    }
}
