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

/// `PascalCase`, valid as a Rust type name.
pub fn pascal(input: &str) -> String {
    let out = clean(input).to_pascal_case();
    fix_start(out, "X")
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
    fn name_set_never_repeats() {
        let mut names = NameSet::default();
        assert_eq!(names.unique("Foo"), "Foo");
        assert_eq!(names.unique("Foo"), "Foo2");
        assert_eq!(names.unique("Foo"), "Foo3");
        assert_eq!(names.unique_snake("id"), "id");
        assert_eq!(names.unique_snake("id"), "id_2");
    }
}
