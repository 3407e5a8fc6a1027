//! Share links: a scenario as compact JSON in base64url (no padding), safe in a URL fragment.

use super::format::{parse_scenario, Scenario, ScenarioError, SCENARIO_BYTES_MAX};

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Encodes a scenario for a URL fragment: its JSON, base64url without padding.
pub fn encode_share(scenario: &Scenario) -> String {
    let json = serde_json::to_string(scenario).unwrap_or_default();
    base64url_encode(json.as_bytes())
}

/// A scenario as indented JSON, for a file a person reads: the compact JSON re-indented as
/// serde_json's pretty printer would (two spaces, `": "`), without a second serializer in the
/// page.
pub fn scenario_file_text(scenario: &Scenario) -> String {
    indent_json(&serde_json::to_string(scenario).unwrap_or_default())
}

/// Re-indents compact JSON: a newline and two spaces per level inside non-empty objects and
/// arrays, `": "` between keys and values; strings are copied as they are.
pub fn indent_json(compact: &str) -> String {
    let mut out = String::with_capacity(compact.len() * 2);
    let mut depth = 0usize;
    let (mut in_string, mut escaped) = (false, false);
    let mut chars = compact.chars().peekable();
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        for _ in 0..depth {
            out.push_str("  ");
        }
    };
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                if matches!(chars.peek(), Some('}' | ']')) {
                    out.extend(chars.next());
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            _ => out.push(c),
        }
    }
    out
}

/// Decodes a share fragment (a leading `#` is ignored) back into a checked scenario.
pub fn decode_share(fragment: &str) -> Result<Scenario, ScenarioError> {
    let text = fragment.trim().trim_start_matches('#');
    if text.len() > SCENARIO_BYTES_MAX / 3 * 4 + 4 {
        return Err(ScenarioError::new(
            "",
            "the shared scenario is too long".to_string(),
        ));
    }
    let bytes = base64url_decode(text)
        .ok_or_else(|| ScenarioError::new("", "the share link is not valid base64url"))?;
    let json = String::from_utf8(bytes)
        .map_err(|_| ScenarioError::new("", "the share link does not hold UTF-8 text"))?;
    parse_scenario(&json)
}

/// Base64url without padding (RFC 4648 section 5).
pub fn base64url_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..chars {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// Decodes base64url, with or without padding; `None` on any invalid character or length.
pub fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    let text = text.trim_end_matches('=');
    if text.len() % 4 == 1 {
        return None;
    }
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::with_capacity(text.len() / 4 * 3 + 2);
    for chunk in text.as_bytes().chunks(4) {
        let mut n = 0u32;
        for (i, c) in chunk.iter().enumerate() {
            n |= value(*c)? << (18 - 6 * i);
        }
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..chunk.len() - 1]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenario_files_are_indented_exactly_as_serde_jsons_pretty_printer_does() {
        for (id, text) in crate::scenario::presets::PRESETS {
            let scenario = parse_scenario(text).expect("a preset parses");
            let pretty = serde_json::to_string_pretty(&scenario).expect("serializes");
            assert_eq!(scenario_file_text(&scenario), pretty, "{id}");
        }
        let tricky = r#"{"a":"x,{y}:[z]\"q\\","b":[],"c":{},"d":[{"e":[1,2]}]}"#;
        let value: serde_json::Value = serde_json::from_str(tricky).unwrap();
        assert_eq!(
            indent_json(tricky),
            serde_json::to_string_pretty(&value).unwrap()
        );
    }

    #[test]
    fn base64url_round_trips_every_length() {
        for len in 0..40u8 {
            let data: Vec<u8> = (0..len)
                .map(|i| i.wrapping_mul(37).wrapping_add(200))
                .collect();
            let text = base64url_encode(&data);
            assert!(text
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
            assert_eq!(base64url_decode(&text).as_deref(), Some(&data[..]));
        }
        assert_eq!(base64url_encode(b"Man"), "TWFu");
        assert_eq!(base64url_encode(b"Ma"), "TWE");
        assert_eq!(base64url_decode("TWE="), Some(b"Ma".to_vec()));
        assert_eq!(base64url_decode("T"), None);
        assert_eq!(base64url_decode("T!=="), None);
    }
}
