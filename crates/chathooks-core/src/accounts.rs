//! Account rules both APIs share (they manage the same users).

/// Usernames both APIs accept (Mattermost's `IsValidUsername`): 3 to 22
/// characters, lowercase letters, digits, `.`, `-`, `_`, starting with a letter.
pub fn valid_username(name: &str) -> bool {
    (3..=22).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || ".-_".contains(c))
}

/// A plausible email address: something, `@`, a dotted domain, no spaces.
pub fn valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !email.contains(char::is_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_and_emails() {
        assert!(valid_username("alice.b-c_1"));
        assert!(!valid_username("Al"));
        assert!(!valid_username("1alice"));
        assert!(!valid_username("alice!"));
        assert!(valid_email("a@example.com"));
        assert!(!valid_email("a@localhost"));
        assert!(!valid_email("a b@example.com"));
        assert!(!valid_email("@example.com"));
    }
}
