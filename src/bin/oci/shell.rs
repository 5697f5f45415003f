//! Command lines recorded in an image's history (`created_by`, image-spec
//! config.md, Properties: "the command which created the layer"), quoted
//! as a POSIX shell reads them, so that the record gives the arguments
//! back (POSIX.1-2017, Shell Command Language, 2.2 Quoting).

use std::borrow::Cow;

/// `words` joined by spaces, each quoted where a shell would otherwise
/// split, expand or reinterpret it: `oci config L:v1 --cmd 'echo hi; ls'`.
pub fn command_line<'a>(words: impl IntoIterator<Item = &'a str>) -> String {
    let quoted: Vec<Cow<'a, str>> = words.into_iter().map(quote).collect();
    quoted.join(" ")
}

/// `word` as is when it holds only characters no shell treats specially,
/// else in single quotes, inside which every character stands for itself
/// except `'`, written `'\''` (close, an escaped quote, reopen).
pub fn quote(word: &str) -> Cow<'_, str> {
    let plain = |c: char| c.is_ascii_alphanumeric() || "%+,-./:=@_".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        return Cow::Borrowed(word);
    }
    Cow::Owned(format!("'{}'", word.replace('\'', r"'\''")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_what_needs_it() {
        assert_eq!(quote("--cmd=/bin/true"), "--cmd=/bin/true");
        assert_eq!(quote("L:v1"), "L:v1");
        assert_eq!(quote(""), "''");
        assert_eq!(
            quote("echo hello; cat /etc/motd"),
            "'echo hello; cat /etc/motd'"
        );
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote("$HOME"), "'$HOME'");
        assert_eq!(quote("~"), "'~'");
        assert_eq!(quote("é"), "'é'");
        assert_eq!(
            command_line(["oci", "config", "--env", "A=b c"]),
            "oci config --env 'A=b c'"
        );
    }
}
