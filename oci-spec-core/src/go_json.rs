//! A serde serialiser that writes JSON the way Go's `encoding/json` does,
//! compact (`json.Marshal`: the canonical form of image-spec
//! considerations.md, "JSON", as containerd, skopeo and umoci write it) or
//! indented (`json.MarshalIndent`, as `runc spec` writes `config.json`).
//!
//! Its output is serde_json's (compact or indented, numbers formatted
//! alike, control characters escaped alike) plus Go's HTML-safe escapes of
//! `<`, `>`, `&`, U+2028 and U+2029. It exists for speed: serde_json looks
//! at a string one byte at a time and hands each run to its formatter,
//! which must look again for Go's escapes; this writer checks sixteen bytes
//! at a time for anything to escape, in a single pass, straight into a `Vec`.

use std::fmt;

use serde::Serialize;
use serde::ser::{self, Impossible};

/// Serialises `value` into JSON bytes: compact without `indent`, else one
/// member or element per line, indented by `indent` per level with `": "`
/// after names (Go's `json.MarshalIndent(v, "", indent)`), no final newline.
///
/// ```
/// use ocikit_spec_core::go_json;
/// let value = serde_json::json!({"b": "<x>", "a": [1, 2]});
/// assert_eq!(go_json::to_vec(&value, None)?, br#"{"a":[1,2],"b":"\u003cx\u003e"}"#);
/// assert_eq!(go_json::to_vec(&value, Some("\t"))?, b"{\n\t\"a\": [\n\t\t1,\n\t\t2\n\t],\n\t\"b\": \"\\u003cx\\u003e\"\n}");
/// # Ok::<(), go_json::WriteError>(())
/// ```
///
/// # Errors
///
/// [`WriteError`] for a value JSON cannot hold: a map key that is not a
/// string or an integer, or an error raised by a `Serialize`
/// implementation. The models of the spec crates hold neither.
pub fn to_vec<T: Serialize + ?Sized>(
    value: &T,
    indent: Option<&'static str>,
) -> Result<Vec<u8>, Error> {
    let mut writer = Writer {
        out: Vec::with_capacity(1024),
        indent: indent.map(str::as_bytes),
        depth: 0,
    };
    value.serialize(&mut writer)?;
    Ok(writer.out)
}

/// A value that cannot be written as JSON: a map key that is not a string
/// or a number, or an error raised by a `Serialize` implementation.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct WriteError(String);

/// The error of this module's writer, under the name serde's traits use.
type Error = WriteError;

impl ser::Error for WriteError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        WriteError(msg.to_string())
    }
}

struct Writer {
    out: Vec<u8>,
    indent: Option<&'static [u8]>,
    depth: usize,
}

impl Writer {
    #[inline]
    fn open(&mut self, bracket: u8) {
        self.out.push(bracket);
        self.depth += 1;
    }

    /// Before an element or a member name: the separator and, when
    /// indenting, the new line.
    #[inline]
    fn next(&mut self, first: bool) {
        if !first {
            self.out.push(b',');
        }
        self.newline();
    }

    #[inline]
    fn close(&mut self, bracket: u8, empty: bool) {
        self.depth -= 1;
        if !empty {
            self.newline();
        }
        self.out.push(bracket);
    }

    #[inline]
    fn newline(&mut self) {
        if let Some(indent) = self.indent {
            self.out.push(b'\n');
            for _ in 0..self.depth {
                self.out.extend_from_slice(indent);
            }
        }
    }

    #[inline]
    fn colon(&mut self) {
        if self.indent.is_some() {
            self.out.extend_from_slice(b": ");
        } else {
            self.out.push(b':');
        }
    }

    #[inline]
    fn string(&mut self, s: &str) {
        write_string(&mut self.out, s.as_bytes());
    }

    #[inline]
    fn unsigned(&mut self, v: u64) {
        write_u64(&mut self.out, v);
    }

    #[inline]
    fn signed(&mut self, v: i64) {
        if v < 0 {
            self.out.push(b'-');
        }
        write_u64(&mut self.out, v.unsigned_abs());
    }

    /// `{"variant":` before the value of an enum variant with data.
    fn open_variant(&mut self, variant: &str) {
        self.open(b'{');
        self.next(true);
        self.string(variant);
        self.colon();
    }
}

/// Writes `bytes` (UTF-8) as a JSON string: `"` and `\` escaped, control
/// characters as `\b \t \n \f \r` or `\u00XX` (as serde_json and Go 1.22+
/// write them), and `<`, `>`, `&`, U+2028 and U+2029 as `\u003c`, `\u003e`,
/// `\u0026`, `\u2028`, `\u2029` (as Go does).
///
/// Most strings have nothing to escape: [`is_clean`] finds that out
/// without a branch per byte, and they are copied whole. The others take
/// one pass with a table lookup per byte, copying the runs between escapes.
#[inline]
fn write_string(out: &mut Vec<u8>, bytes: &[u8]) {
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    if is_clean(bytes) {
        out.extend_from_slice(bytes);
        out.push(b'"');
        return;
    }
    let mut start = 0; // the first byte not yet copied
    for (i, &b) in bytes.iter().enumerate() {
        if !NEEDS_ESCAPE[usize::from(b)] || i < start {
            continue;
        }
        out.extend_from_slice(&bytes[start..i]);
        start = i + 1;
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            0x08 => b"\\b",
            b'\t' => b"\\t",
            b'\n' => b"\\n",
            0x0C => b"\\f",
            b'\r' => b"\\r",
            // 0xE2: U+2028 and U+2029 are E2 80 A8 and E2 80 A9 in UTF-8;
            // other characters starting with it need nothing.
            0xE2 => match bytes.get(i + 1..i + 3) {
                Some([0x80, 0xA8]) => {
                    start = i + 3;
                    b"\\u2028"
                }
                Some([0x80, 0xA9]) => {
                    start = i + 3;
                    b"\\u2029"
                }
                _ => {
                    start = i;
                    continue;
                }
            },
            // The other control characters, `<`, `>` and `&`: `\u00XX`,
            // with lowercase hex as Go and serde_json write it. A fixed
            // size, so the copy is a store rather than a call.
            _ => {
                let hex = |n: u8| HEX_DIGITS[usize::from(n & 0xF)];
                out.extend_from_slice(&[b'\\', b'u', b'0', b'0', hex(b >> 4), hex(b)]);
                continue;
            }
        };
        out.extend_from_slice(escape);
    }
    // `start` passes the end only if an escape did, which none can.
    out.extend_from_slice(bytes.get(start..).unwrap_or_default());
    out.push(b'"');
}

const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

/// Whether no byte of `bytes` needs a look (see [`NEEDS_ESCAPE`]): blocks of
/// 16 bytes with comparisons the compiler turns into vector instructions,
/// the rest through the table, and no branch per byte either way.
#[inline]
fn is_clean(bytes: &[u8]) -> bool {
    let blocks = bytes.chunks_exact(16);
    let tail = blocks
        .remainder()
        .iter()
        .fold(false, |any, &b| any | NEEDS_ESCAPE[usize::from(b)]);
    let mut any = u8::from(tail);
    for block in blocks {
        any |= block.iter().fold(0u8, |any, &b| {
            any | u8::from(b < 0x20)
                | u8::from(b == b'"')
                | u8::from(b == b'\\')
                | u8::from(b == b'<')
                | u8::from(b == b'>')
                | u8::from(b == b'&')
                | u8::from(b == 0xE2)
        });
    }
    any == 0
}

/// Whether a byte is escaped or may start an escaped sequence: a control
/// character, `"`, `\`, `<`, `>`, `&`, or 0xE2, the first byte of U+2028
/// and U+2029 (and of other characters, which need nothing).
static NEEDS_ESCAPE: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = true;
        b += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table[b'<' as usize] = true;
    table[b'>' as usize] = true;
    table[b'&' as usize] = true;
    table[0xE2] = true;
    table
};

/// Writes `v` in decimal, two digits at a time.
#[inline]
fn write_u64(out: &mut Vec<u8>, mut v: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    while v >= 100 {
        // Below 100, so the cast keeps it.
        let pair = usize::from((v % 100) as u8) * 2;
        v /= 100;
        at -= 2;
        digits[at..at + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    }
    // Below 100 here, so the cast keeps it.
    let v = v as u8;
    if v >= 10 {
        let pair = usize::from(v) * 2;
        at -= 2;
        digits[at..at + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    } else {
        at -= 1;
        digits[at] = b'0' + v;
    }
    out.extend_from_slice(&digits[at..]);
}

/// "00", "01", ... "99", one after the other.
static DIGIT_PAIRS: [u8; 200] = {
    let mut pairs = [0u8; 200];
    let mut n = 0;
    while n < 100 {
        pairs[2 * n] = b'0' + (n / 10) as u8;
        pairs[2 * n + 1] = b'0' + (n % 10) as u8;
        n += 1;
    }
    pairs
};

/// Writes a float as serde_json does (non-finite values as `null`).
fn write_float<T: Serialize>(out: &mut Vec<u8>, v: T) -> Result<(), Error> {
    serde_json::to_writer(out, &v).map_err(|e| WriteError(e.to_string()))
}

/// An array or object being written.
struct Compound<'a> {
    writer: &'a mut Writer,
    first: bool,
    /// Whether the compound is the value of an enum variant, to be closed
    /// by a `}` after its own bracket.
    in_variant: bool,
}

impl Compound<'_> {
    #[inline]
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.writer.next(self.first);
        self.first = false;
        value.serialize(&mut *self.writer)
    }

    #[inline]
    fn member<T: Serialize + ?Sized>(&mut self, name: &str, value: &T) -> Result<(), Error> {
        self.writer.next(self.first);
        self.first = false;
        self.writer.string(name);
        self.writer.colon();
        value.serialize(&mut *self.writer)
    }

    #[inline]
    fn close(self, bracket: u8) -> Result<(), Error> {
        self.writer.close(bracket, self.first);
        if self.in_variant {
            self.writer.close(b'}', false);
        }
        Ok(())
    }
}

impl<'a> ser::Serializer for &'a mut Writer {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'a>;
    type SerializeTuple = Compound<'a>;
    type SerializeTupleStruct = Compound<'a>;
    type SerializeTupleVariant = Compound<'a>;
    type SerializeMap = Compound<'a>;
    type SerializeStruct = Compound<'a>;
    type SerializeStructVariant = Compound<'a>;

    #[inline]
    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.out
            .extend_from_slice(if v { b"true" } else { b"false" });
        Ok(())
    }
    #[inline]
    fn serialize_i8(self, v: i8) -> Result<(), Error> {
        self.signed(v.into());
        Ok(())
    }
    #[inline]
    fn serialize_i16(self, v: i16) -> Result<(), Error> {
        self.signed(v.into());
        Ok(())
    }
    #[inline]
    fn serialize_i32(self, v: i32) -> Result<(), Error> {
        self.signed(v.into());
        Ok(())
    }
    #[inline]
    fn serialize_i64(self, v: i64) -> Result<(), Error> {
        self.signed(v);
        Ok(())
    }
    fn serialize_i128(self, v: i128) -> Result<(), Error> {
        self.out.extend_from_slice(v.to_string().as_bytes());
        Ok(())
    }
    #[inline]
    fn serialize_u8(self, v: u8) -> Result<(), Error> {
        self.unsigned(v.into());
        Ok(())
    }
    #[inline]
    fn serialize_u16(self, v: u16) -> Result<(), Error> {
        self.unsigned(v.into());
        Ok(())
    }
    #[inline]
    fn serialize_u32(self, v: u32) -> Result<(), Error> {
        self.unsigned(v.into());
        Ok(())
    }
    #[inline]
    fn serialize_u64(self, v: u64) -> Result<(), Error> {
        self.unsigned(v);
        Ok(())
    }
    fn serialize_u128(self, v: u128) -> Result<(), Error> {
        self.out.extend_from_slice(v.to_string().as_bytes());
        Ok(())
    }
    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        write_float(&mut self.out, v)
    }
    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        write_float(&mut self.out, v)
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        self.string(v.encode_utf8(&mut [0; 4]));
        Ok(())
    }
    #[inline]
    fn serialize_str(self, v: &str) -> Result<(), Error> {
        self.string(v);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), Error> {
        // As serde_json: an array of numbers.
        use ser::SerializeSeq;
        let mut seq = self.serialize_seq(Some(v.len()))?;
        for b in v {
            seq.serialize_element(b)?;
        }
        ser::SerializeSeq::end(seq)
    }
    #[inline]
    fn serialize_none(self) -> Result<(), Error> {
        self.serialize_unit()
    }
    #[inline]
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }
    #[inline]
    fn serialize_unit(self) -> Result<(), Error> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        self.serialize_unit()
    }
    #[inline]
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.string(variant);
        Ok(())
    }
    #[inline]
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.open_variant(variant);
        value.serialize(&mut *self)?;
        self.close(b'}', false);
        Ok(())
    }
    #[inline]
    fn serialize_seq(self, _len: Option<usize>) -> Result<Compound<'a>, Error> {
        self.open(b'[');
        Ok(Compound {
            writer: self,
            first: true,
            in_variant: false,
        })
    }
    #[inline]
    fn serialize_tuple(self, len: usize) -> Result<Compound<'a>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<Compound<'a>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a>, Error> {
        self.open_variant(variant);
        self.open(b'[');
        Ok(Compound {
            writer: self,
            first: true,
            in_variant: true,
        })
    }
    #[inline]
    fn serialize_map(self, _len: Option<usize>) -> Result<Compound<'a>, Error> {
        self.open(b'{');
        Ok(Compound {
            writer: self,
            first: true,
            in_variant: false,
        })
    }
    #[inline]
    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<Compound<'a>, Error> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'a>, Error> {
        self.open_variant(variant);
        self.open(b'{');
        Ok(Compound {
            writer: self,
            first: true,
            in_variant: true,
        })
    }
}

/// The sequence-like serde traits, which all write an element into `[...]`.
macro_rules! sequence_like {
    ($($trait:ident :: $method:ident),*) => {$(
        impl ser::$trait for Compound<'_> {
            type Ok = ();
            type Error = Error;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
                self.element(value)
            }
            #[inline]
            fn end(self) -> Result<(), Error> {
                Compound::close(self, b']')
            }
        }
    )*};
}

sequence_like!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = Error;
    #[inline]
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.writer.next(self.first);
        self.first = false;
        key.serialize(KeyWriter(&mut *self.writer))?;
        self.writer.colon();
        Ok(())
    }
    #[inline]
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        value.serialize(&mut *self.writer)
    }
    #[inline]
    fn end(self) -> Result<(), Error> {
        Compound::close(self, b'}')
    }
}

/// The struct-like serde traits, which both write a member into `{...}`.
macro_rules! struct_like {
    ($($trait:ident),*) => {$(
        impl ser::$trait for Compound<'_> {
            type Ok = ();
            type Error = Error;
            #[inline]
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                name: &'static str,
                value: &T,
            ) -> Result<(), Error> {
                self.member(name, value)
            }
            #[inline]
            fn end(self) -> Result<(), Error> {
                Compound::close(self, b'}')
            }
        }
    )*};
}

struct_like!(SerializeStruct, SerializeStructVariant);

/// Writes a map key: strings as they are, numbers and booleans quoted (as
/// serde_json does); anything else is an error.
struct KeyWriter<'a>(&'a mut Writer);

fn key_must_be_a_string() -> Error {
    WriteError("key must be a string".to_owned())
}

impl KeyWriter<'_> {
    #[inline]
    fn quoted(self, digits: &[u8]) -> Result<(), Error> {
        self.0.out.push(b'"');
        self.0.out.extend_from_slice(digits);
        self.0.out.push(b'"');
        Ok(())
    }
}

impl ser::Serializer for KeyWriter<'_> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Impossible<(), Error>;
    type SerializeTuple = Impossible<(), Error>;
    type SerializeTupleStruct = Impossible<(), Error>;
    type SerializeTupleVariant = Impossible<(), Error>;
    type SerializeMap = Impossible<(), Error>;
    type SerializeStruct = Impossible<(), Error>;
    type SerializeStructVariant = Impossible<(), Error>;

    #[inline]
    fn serialize_str(self, v: &str) -> Result<(), Error> {
        self.0.string(v);
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        self.0.string(v.encode_utf8(&mut [0; 4]));
        Ok(())
    }
    #[inline]
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.0.string(variant);
        Ok(())
    }
    #[inline]
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }
    #[inline]
    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.quoted(if v { b"true" } else { b"false" })
    }
    #[inline]
    fn serialize_i8(self, v: i8) -> Result<(), Error> {
        self.serialize_i64(v.into())
    }
    #[inline]
    fn serialize_i16(self, v: i16) -> Result<(), Error> {
        self.serialize_i64(v.into())
    }
    #[inline]
    fn serialize_i32(self, v: i32) -> Result<(), Error> {
        self.serialize_i64(v.into())
    }
    #[inline]
    fn serialize_i64(self, v: i64) -> Result<(), Error> {
        self.quoted(v.to_string().as_bytes())
    }
    fn serialize_i128(self, v: i128) -> Result<(), Error> {
        self.quoted(v.to_string().as_bytes())
    }
    #[inline]
    fn serialize_u8(self, v: u8) -> Result<(), Error> {
        self.serialize_u64(v.into())
    }
    #[inline]
    fn serialize_u16(self, v: u16) -> Result<(), Error> {
        self.serialize_u64(v.into())
    }
    #[inline]
    fn serialize_u32(self, v: u32) -> Result<(), Error> {
        self.serialize_u64(v.into())
    }
    #[inline]
    fn serialize_u64(self, v: u64) -> Result<(), Error> {
        self.quoted(v.to_string().as_bytes())
    }
    fn serialize_u128(self, v: u128) -> Result<(), Error> {
        self.quoted(v.to_string().as_bytes())
    }
    fn serialize_f32(self, _v: f32) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_f64(self, _v: f64) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_bytes(self, _v: &[u8]) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    #[inline]
    fn serialize_none(self) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    #[inline]
    fn serialize_some<T: Serialize + ?Sized>(self, _value: &T) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    #[inline]
    fn serialize_unit(self) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    #[inline]
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        Err(key_must_be_a_string())
    }
    #[inline]
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(key_must_be_a_string())
    }
    #[inline]
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, Error> {
        Err(key_must_be_a_string())
    }
    #[inline]
    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(key_must_be_a_string())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// serde_json's output, then Go's extra escapes: what this writer must
    /// produce, computed the slow, obvious way.
    fn reference(value: &serde_json::Value, pretty: bool) -> String {
        let text = if pretty {
            let mut out = Vec::new();
            let formatter = serde_json::ser::PrettyFormatter::with_indent(b"\t");
            let mut ser = serde_json::Serializer::with_formatter(&mut out, formatter);
            value.serialize(&mut ser).unwrap();
            String::from_utf8(out).unwrap()
        } else {
            serde_json::to_string(value).unwrap()
        };
        // Outside strings JSON text has none of these characters.
        text.replace('<', "\\u003c")
            .replace('>', "\\u003e")
            .replace('&', "\\u0026")
            .replace('\u{2028}', "\\u2028")
            .replace('\u{2029}', "\\u2029")
    }

    fn ours(value: &serde_json::Value, pretty: bool) -> String {
        String::from_utf8(to_vec(value, pretty.then_some("\t")).unwrap()).unwrap()
    }

    #[test]
    fn strings_match_serde_json_plus_go_escapes_at_every_offset() {
        // Each byte that needs an escape, and look-alikes that share a lead
        // byte with U+2028, at every position across two or three blocks.
        let mut specials: Vec<String> = (0u8..0x20).map(|b| char::from(b).to_string()).collect();
        for s in [
            "\"", "\\", "<", ">", "&", "/", "\u{7f}", "\u{2028}", "\u{2029}", "\u{2027}",
            "\u{20ac}", "é",
        ] {
            specials.push(s.to_owned());
        }
        for special in &specials {
            for before in 0..34 {
                for after in [0, 1, 15, 16, 17] {
                    let s = format!("{}{special}{}", "a".repeat(before), "b".repeat(after));
                    let value = serde_json::Value::String(s);
                    assert_eq!(ours(&value, false), reference(&value, false), "{value}");
                }
            }
        }
        let dense = serde_json::Value::String("&&<>\u{2028}\u{2029}é\"\\\n\u{1}&".repeat(9));
        assert_eq!(ours(&dense, false), reference(&dense, false));
    }

    #[test]
    fn documents_match_serde_json_compact_and_indented() {
        let value = serde_json::json!({
            "b": [1, -2, 18446744073709551615u64, -9223372036854775808i64, 0, 1.5, -0.0, 1e300],
            "d": [9, 10, 11, 99, 100, 101, 999, 1000, 1001, 12345, 100000, 4294967295u64, -10, -99, -100],
            "a": {"nested": {"x": [], "y": {}, "z": [[], {}, [null]]}, "t": true, "f": false},
            "s": "Alyssa <a&b@example.com>\u{2028}",
            "e": [],
            "o": {},
            "n": null
        });
        for pretty in [false, true] {
            assert_eq!(ours(&value, pretty), reference(&value, pretty));
        }
        assert_eq!(ours(&serde_json::json!([]), true), "[]");
        assert_eq!(
            ours(&serde_json::json!({"k": []}), true),
            "{\n\t\"k\": []\n}"
        );
    }

    #[test]
    fn enums_and_map_keys_match_serde_json() {
        #[derive(Serialize)]
        enum E {
            Unit,
            Newtype(u8),
            Tuple(u8, &'static str),
            Struct { a: u8 },
        }
        let values = vec![E::Unit, E::Newtype(1), E::Tuple(2, "x"), E::Struct { a: 3 }];
        let mut keys = BTreeMap::new();
        keys.insert(7u32, "seven");
        for pretty in [false, true] {
            let indent = pretty.then_some("\t");
            let ours = String::from_utf8(to_vec(&values, indent).unwrap()).unwrap();
            let reference = reference(&serde_json::to_value(&values).unwrap(), pretty);
            assert_eq!(ours, reference);
            let ours = String::from_utf8(to_vec(&keys, indent).unwrap()).unwrap();
            assert_eq!(ours, reference_of(&keys, pretty));
        }
        let mut bad = BTreeMap::new();
        bad.insert(vec![1u8], 1);
        let err = to_vec(&bad, None).unwrap_err();
        assert_eq!(err.to_string(), "key must be a string");
    }

    fn reference_of<T: Serialize>(value: &T, pretty: bool) -> String {
        reference(&serde_json::to_value(value).unwrap(), pretty)
    }
}
