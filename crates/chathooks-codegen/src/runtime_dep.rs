//! Where a generated server crate gets `chathooks-runtime` from.
//!
//! A generated manifest must build wherever it is written: in this
//! repository (a path dependency on the crate beside it), in another
//! project (the registry version matching this generator, or a git URL), or
//! against a local checkout the user names. It never points into the
//! generator's own checkout unless asked to with `path:`.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// The source of the `chathooks-runtime` dependency in a generated server
/// crate; written `git:URL[#REV]`, `path:DIR` or `version:X.Y` on the
/// command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Runtime {
    /// A version requirement on the registry crate.
    Version(String),
    /// A git repository holding the chathooks workspace, at a revision (a
    /// commit, or any ref cargo's `rev` accepts) or its default branch.
    Git { url: String, rev: Option<String> },
    /// A directory holding the `chathooks-runtime` crate. Written into the
    /// manifest relative to the generated crate, so a repository that
    /// holds both can be moved as a whole.
    Path(PathBuf),
}

impl Default for Runtime {
    /// The registry release of the runtime this generator was built with.
    fn default() -> Self {
        Runtime::Version(env!("CARGO_PKG_VERSION").to_owned())
    }
}

impl Runtime {
    /// Relative `path:` directories are taken from `cwd`.
    pub fn parse(text: &str, cwd: &Path) -> Result<Runtime, String> {
        let runtime: Runtime = text.parse()?;
        Ok(match runtime {
            Runtime::Path(dir) => Runtime::Path(cwd.join(dir)),
            other => other,
        })
    }

    /// The value of the `chathooks-runtime = …` line in the manifest of a
    /// crate written to `crate_dir`.
    pub fn dependency(&self, crate_dir: &Path) -> String {
        match self {
            Runtime::Version(version) => format!("\"{}\"", toml_escape(version)),
            Runtime::Git { url, rev: None } => format!("{{ git = \"{}\" }}", toml_escape(url)),
            Runtime::Git { url, rev: Some(rev) } => {
                format!("{{ git = \"{}\", rev = \"{}\" }}", toml_escape(url), toml_escape(rev))
            }
            Runtime::Path(dir) => {
                format!(
                    "{{ path = \"{}\" }}",
                    toml_escape(&crate::files::relative_path(crate_dir, dir))
                )
            }
        }
    }
}

impl FromStr for Runtime {
    type Err = String;

    fn from_str(text: &str) -> Result<Runtime, String> {
        let invalid = || format!("`{text}`: expected git:URL[#REV], path:DIR or version:X.Y");
        let (kind, value) = text.split_once(':').ok_or_else(invalid)?;
        if value.is_empty() {
            return Err(invalid());
        }
        match kind {
            "version" => {
                let plausible = value
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-+^~=<>*, ".contains(c));
                if !plausible || !value.starts_with(|c: char| c.is_ascii_digit() || "^~=<>".contains(c)) {
                    return Err(format!("`{value}` is not a version requirement (like 0.1 or =0.1.0)"));
                }
                Ok(Runtime::Version(value.to_owned()))
            }
            "git" => Ok(match value.split_once('#') {
                Some((url, rev)) if !url.is_empty() && !rev.is_empty() => Runtime::Git {
                    url: url.to_owned(),
                    rev: Some(rev.to_owned()),
                },
                Some(_) => return Err(invalid()),
                None => Runtime::Git {
                    url: value.to_owned(),
                    rev: None,
                },
            }),
            "path" => Ok(Runtime::Path(PathBuf::from(value))),
            _ => Err(invalid()),
        }
    }
}

impl fmt::Display for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Runtime::Version(version) => write!(f, "version:{version}"),
            Runtime::Git { url, rev: None } => write!(f, "git:{url}"),
            Runtime::Git { url, rev: Some(rev) } => write!(f, "git:{url}#{rev}"),
            Runtime::Path(dir) => write!(f, "path:{}", dir.display()),
        }
    }
}

/// Escape a string for a TOML basic string.
fn toml_escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_each_form() {
        let cwd = Path::new("/work");
        assert_eq!(
            Runtime::parse("git:file:///tmp/repo#abc123", cwd).unwrap(),
            Runtime::Git {
                url: "file:///tmp/repo".into(),
                rev: Some("abc123".into())
            }
        );
        assert_eq!(
            Runtime::parse("git:https://example.invalid/x.git", cwd).unwrap(),
            Runtime::Git {
                url: "https://example.invalid/x.git".into(),
                rev: None
            }
        );
        assert_eq!(
            Runtime::parse("path:rt", cwd).unwrap(),
            Runtime::Path("/work/rt".into())
        );
        assert_eq!(
            Runtime::parse("version:0.1", cwd).unwrap(),
            Runtime::Version("0.1".into())
        );
        for bad in ["", "git:", "git:#abc", "git:url#", "svn:x", "version:latest", "0.1"] {
            assert!(Runtime::parse(bad, cwd).is_err(), "{bad}");
        }
    }

    #[test]
    fn manifest_values() {
        let dir = Path::new("/out/chathooks-x-server");
        assert_eq!(Runtime::Version("0.1".into()).dependency(dir), "\"0.1\"");
        assert_eq!(
            Runtime::Git {
                url: "file:///r".into(),
                rev: Some("abc".into())
            }
            .dependency(dir),
            "{ git = \"file:///r\", rev = \"abc\" }"
        );
        assert_eq!(Runtime::Path("/out/rt".into()).dependency(dir), "{ path = \"../rt\" }");
        assert!(Runtime::default().to_string().starts_with("version:"));
    }
}
