//! Field-level validation of one export line against `catalog-format.md`.
//!
//! Each `take_*` removes a known field from the line's object, so what remains at the end are
//! the unknown fields, kept as JSON in the row's `extra` column. Errors are sentences for the
//! rejected-line report ("price: expected a number >= 0 with at most two decimals").

use serde_json::{Map, Value};

/// Why a line was rejected.
pub(crate) type Reason = String;

/// One export line's JSON object, consumed field by field.
pub(crate) struct Line(pub(crate) Map<String, Value>);

impl Line {
    /// Parses a line into an object.
    pub(crate) fn parse(text: &str) -> Result<Line, Reason> {
        match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => Ok(Line(map)),
            Ok(_) => Err("expected a JSON object".to_owned()),
            Err(e) => Err(format!("invalid JSON: {e}")),
        }
    }

    /// Hash of the whole line's canonical JSON (keys sorted), before any field is taken.
    /// A null field counts as absent, as validation reads it: an export that omits a field and
    /// the storefront's database, whose rows name every column, hash alike.
    pub(crate) fn hash(&self) -> i64 {
        let present: serde_json::Map<String, Value> = self
            .0
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        content_hash(&Value::Object(present).to_string())
    }

    /// The fields nobody took, for the `extra` column (a null one is absent, as everywhere).
    pub(crate) fn rest(mut self) -> String {
        self.0.retain(|_, v| !v.is_null());
        Value::Object(self.0).to_string()
    }

    fn take(&mut self, key: &str) -> Option<Value> {
        self.0.remove(key).filter(|v| !v.is_null())
    }

    /// A required non-empty string.
    pub(crate) fn string(&mut self, key: &str) -> Result<String, Reason> {
        self.opt_string(key)?
            .filter(|s| !s.trim().is_empty())
            .ok_or_else(|| format!("{key}: required non-empty string is missing"))
    }

    /// A required non-empty string on one line: a name shown in lists and prompts holds no
    /// control character (a newline, a tab, an escape sequence).
    pub(crate) fn name(&mut self, key: &str) -> Result<String, Reason> {
        let name = self.string(key)?;
        match name.chars().find(|c| c.is_control()) {
            Some(c) => Err(format!(
                "{key}: contains a control character (U+{:04X})",
                c as u32
            )),
            None => Ok(name),
        }
    }

    /// An optional string.
    pub(crate) fn opt_string(&mut self, key: &str) -> Result<Option<String>, Reason> {
        match self.take(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(format!("{key}: expected a string, got {}", kind(&other))),
        }
    }

    /// An optional boolean.
    pub(crate) fn opt_bool(&mut self, key: &str) -> Result<Option<bool>, Reason> {
        match self.take(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(b)),
            Some(other) => Err(format!("{key}: expected a boolean, got {}", kind(&other))),
        }
    }

    /// A required integer within `min..=max`.
    pub(crate) fn integer(&mut self, key: &str, min: i64, max: i64) -> Result<i64, Reason> {
        self.opt_integer(key, min, max)?
            .ok_or_else(|| format!("{key}: required integer is missing"))
    }

    /// An optional integer within `min..=max` (`null` counts as absent).
    pub(crate) fn opt_integer(
        &mut self,
        key: &str,
        min: i64,
        max: i64,
    ) -> Result<Option<i64>, Reason> {
        match self.take(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => match n.as_i64() {
                Some(i) if (min..=max).contains(&i) => Ok(Some(i)),
                Some(i) => Err(format!("{key}: {i} is outside {min}..={max}")),
                None => Err(format!("{key}: expected an integer, got {n}")),
            },
            Some(other) => Err(format!("{key}: expected an integer, got {}", kind(&other))),
        }
    }

    /// A required amount in euros: >= 0, at most two decimals.
    pub(crate) fn price(&mut self, key: &str) -> Result<f64, Reason> {
        self.opt_price(key)?
            .ok_or_else(|| format!("{key}: required number is missing"))
    }

    /// An optional amount in euros.
    pub(crate) fn opt_price(&mut self, key: &str) -> Result<Option<f64>, Reason> {
        match self.take(key) {
            None => Ok(None),
            Some(Value::Number(n)) => match n.as_f64() {
                Some(p)
                    if p.is_finite()
                        && p >= 0.0
                        && ((p * 100.0).round() - p * 100.0).abs() < 1e-6 =>
                {
                    Ok(Some(p))
                }
                _ => Err(format!(
                    "{key}: expected a number >= 0 with at most two decimals, got {n}"
                )),
            },
            Some(other) => Err(format!("{key}: expected a number, got {}", kind(&other))),
        }
    }

    /// A required RFC 3339 timestamp, kept as written.
    pub(crate) fn timestamp(&mut self, key: &str) -> Result<String, Reason> {
        let s = self.string(key)?;
        chrono::DateTime::parse_from_rfc3339(&s)
            .map(|_| s.clone())
            .map_err(|e| format!("{key}: {s:?} is not an RFC 3339 timestamp ({e})"))
    }

    /// An optional RFC 3339 timestamp (`null` counts as absent), kept as written.
    pub(crate) fn opt_timestamp(&mut self, key: &str) -> Result<Option<String>, Reason> {
        match self.take(key) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => {
                self.0.insert(key.to_owned(), value);
                self.timestamp(key).map(Some)
            }
        }
    }

    /// An optional array of strings.
    pub(crate) fn strings(&mut self, key: &str) -> Result<Vec<String>, Reason> {
        match self.take(key) {
            None => Ok(Vec::new()),
            Some(value) => {
                string_array(&value).ok_or_else(|| format!("{key}: expected an array of strings"))
            }
        }
    }

    /// An optional object.
    pub(crate) fn opt_object(&mut self, key: &str) -> Result<Option<Map<String, Value>>, Reason> {
        match self.take(key) {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(map)),
            Some(other) => Err(format!("{key}: expected an object, got {}", kind(&other))),
        }
    }

    /// An optional array.
    pub(crate) fn opt_array(&mut self, key: &str) -> Result<Option<Vec<Value>>, Reason> {
        match self.take(key) {
            None => Ok(None),
            Some(Value::Array(items)) => Ok(Some(items)),
            Some(other) => Err(format!("{key}: expected an array, got {}", kind(&other))),
        }
    }
}

fn string_array(value: &Value) -> Option<Vec<String>> {
    value
        .as_array()?
        .iter()
        .map(|v| v.as_str().map(str::to_owned))
        .collect()
}

/// Checks the `attributes` object: the four facet keys are arrays of strings, `dimensions` an
/// object of numbers, any other key a string or an array of strings.
pub(crate) fn check_attributes(attributes: &Map<String, Value>) -> Result<(), Reason> {
    for (key, value) in attributes {
        match key.as_str() {
            key if crate::filter::Facet::attribute(key).is_some() => {
                string_array(value)
                    .ok_or_else(|| format!("attributes.{key}: expected an array of strings"))?;
            }
            "dimensions" => {
                let dims = value
                    .as_object()
                    .ok_or_else(|| "attributes.dimensions: expected an object".to_owned())?;
                for (dim, v) in dims {
                    if !v.as_f64().is_some_and(|x| x.is_finite() && x >= 0.0) {
                        return Err(format!(
                            "attributes.dimensions.{dim}: expected a number >= 0"
                        ));
                    }
                }
            }
            _ => {
                if !value.is_string() && string_array(value).is_none() {
                    return Err(format!(
                        "attributes.{key}: expected a string or an array of strings"
                    ));
                }
            }
        }
    }
    Ok(())
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// FNV-1a over the line's canonical JSON: stable across builds, so a re-import of the same
/// export is recognised as unchanged.
fn content_hash(canonical: &str) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in canonical.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash as i64
}
