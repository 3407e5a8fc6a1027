//! Field helpers for `#[serde(deserialize_with)]`: bounded arrays, counts that fit 32 bits on
//! every target, the latency range, and the named values whose errors list the accepted names.

use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde_json::{Map, Value};
use std::fmt;
use std::marker::PhantomData;

use super::float_text;
use crate::services::ServiceKind;
use crate::sim::{Acks, MessageKind, SimTime, TimingPreset};

/// An array of at most `N` entries.
pub fn at_most<'de, D, T, const N: usize>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct AtMost<T, const N: usize>(PhantomData<T>);

    impl<'de, T: Deserialize<'de>, const N: usize> Visitor<'de> for AtMost<T, N> {
        type Value = Vec<T>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an array")
        }

        fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
            if let Some(n) = seq.size_hint().filter(|n| *n > N) {
                return Err(de::Error::custom(format!(
                    "{n} entries is more than the limit of {N}"
                )));
            }
            let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
            while let Some(item) = seq.next_element()? {
                if items.len() == N {
                    return Err(de::Error::custom(format!(
                        "more entries than the limit of {N}"
                    )));
                }
                items.push(item);
            }
            Ok(items)
        }
    }

    d.deserialize_seq(AtMost::<T, N>(PhantomData))
}

/// A count that fits 32 bits, so that a file means the same natively and in wasm.
pub fn count<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
    u32::deserialize(d).map(|n| n as usize)
}

/// An optional count that fits 32 bits.
pub fn opt_count<'de, D: Deserializer<'de>>(d: D) -> Result<Option<usize>, D::Error> {
    count(d).map(Some)
}

/// A latency range `[low, high]` in ms.
pub fn latency_range<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<(SimTime, SimTime)>, D::Error> {
    struct Range;

    impl<'de> Visitor<'de> for Range {
        type Value = (SimTime, SimTime);

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("[low, high] in ms")
        }

        fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            if seq.size_hint().is_some_and(|n| n != 2) {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<Value>()? {
                    items.push(item);
                }
                return Err(not_a_range(Value::Array(items)));
            }
            let low = seq
                .next_element()?
                .ok_or_else(|| de::Error::invalid_length(0, &self))?;
            let high = seq
                .next_element()?
                .ok_or_else(|| de::Error::invalid_length(1, &self))?;
            if seq.next_element::<de::IgnoredAny>()?.is_some() {
                return Err(de::Error::invalid_length(3, &self));
            }
            Ok((low, high))
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Err(not_a_range(v))
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Err(not_a_range(v))
        }

        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            Err(not_a_range(float_text(v)))
        }

        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
            Err(not_a_range(v))
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Err(not_a_range(Value::from(v)))
        }

        fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            let value = Value::deserialize(de::value::MapAccessDeserializer::new(map))?;
            Err(not_a_range(value))
        }
    }

    /// The range error, naming what was found as JSON.
    fn not_a_range<E: de::Error>(found: impl fmt::Display) -> E {
        E::custom(format!("expected [low, high] in ms, found {found}"))
    }

    d.deserialize_any(Range).map(Some)
}

/// A name among `names`, or an error that lists them (`unknown service "billing"; expected
/// one of: ...`).
fn one_of<'de, D, T>(
    d: D,
    what: &str,
    names: &[&str],
    from_name: impl Fn(&str) -> Option<T>,
) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
{
    let name = String::deserialize(d)?;
    from_name(&name).ok_or_else(|| {
        de::Error::custom(format!(
            "unknown {what} {name:?}; expected one of: {}",
            names.join(", ")
        ))
    })
}

/// A service name.
pub fn service<'de, D: Deserializer<'de>>(d: D) -> Result<ServiceKind, D::Error> {
    let names = ServiceKind::ALL.map(ServiceKind::name);
    one_of(d, "service", &names, ServiceKind::from_name)
}

/// An optional message kind.
pub fn message_kind<'de, D: Deserializer<'de>>(d: D) -> Result<Option<MessageKind>, D::Error> {
    let names: Vec<&str> = MessageKind::ALL.iter().map(|k| k.name()).collect();
    one_of(d, "message kind", &names, MessageKind::from_name).map(Some)
}

/// `acks`: "0", "1", "all" or "-1" (0, 1 and -1 as numbers too).
pub fn acks<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Acks>, D::Error> {
    let v = Value::deserialize(d)?;
    match &v {
        Value::String(s) if s == "0" => Ok(Acks::None),
        Value::String(s) if s == "1" => Ok(Acks::Leader),
        Value::String(s) if s == "all" || s == "-1" => Ok(Acks::All),
        Value::Number(n) if n.as_i64() == Some(0) => Ok(Acks::None),
        Value::Number(n) if n.as_i64() == Some(1) => Ok(Acks::Leader),
        Value::Number(n) if n.as_i64() == Some(-1) => Ok(Acks::All),
        other => Err(de::Error::custom(format!(
            "acks must be \"0\", \"1\", \"all\" or \"-1\", not {other}"
        ))),
    }
    .map(Some)
}

/// The timing preset: "kafka" or "sandbox".
pub fn timing<'de, D: Deserializer<'de>>(d: D) -> Result<Option<TimingPreset>, D::Error> {
    let v = Value::deserialize(d)?;
    match v.as_str() {
        Some("kafka") => Ok(Some(TimingPreset::Kafka)),
        Some("sandbox") => Ok(Some(TimingPreset::Sandbox)),
        _ => Err(de::Error::custom(format!(
            "timing must be \"kafka\" or \"sandbox\", not {v}"
        ))),
    }
}

/// An object whose keys are all among `fields` (the report's, for `expect`).
pub fn keys_among<'de, D: Deserializer<'de>>(
    d: D,
    what: &'static str,
    fields: &'static [&'static str],
) -> Result<Option<Map<String, Value>>, D::Error> {
    struct Keys {
        what: &'static str,
        fields: &'static [&'static str],
    }

    impl<'de> de::DeserializeSeed<'de> for &Keys {
        type Value = String;

        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
            d.deserialize_str(self)
        }
    }

    impl<'de> Visitor<'de> for &Keys {
        type Value = String;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a field name")
        }

        fn visit_str<E: de::Error>(self, key: &str) -> Result<String, E> {
            if self.fields.contains(&key) {
                return Ok(key.to_string());
            }
            Err(E::custom(format!(
                "not {}; expected one of: {}",
                self.what,
                self.fields.join(", ")
            )))
        }
    }

    struct Object(Keys);

    impl<'de> Visitor<'de> for Object {
        type Value = Map<String, Value>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an object")
        }

        fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = Map::new();
            while let Some(key) = map.next_key_seed(&self.0)? {
                out.insert(key, map.next_value()?);
            }
            Ok(out)
        }
    }

    d.deserialize_map(Object(Keys { what, fields })).map(Some)
}
