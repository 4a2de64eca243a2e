//! Exact amounts of money in the unit the vendor documents.
//!
//! The vendors write CNY amounts two ways: integers in **fen** (1/100 yuan: Xportcn's preview, Dajisaas's
//! preview totals and `totalSuccessAmount`) and decimals in **yuan** (Dajisaas's per-line prices and order
//! lines). [`Money`] keeps the amount exactly, as a decimal, together with the unit the vendor used, and
//! converts between the two without rounding. No `f64` arithmetic is ever done on an amount.

use std::fmt;

/// The unit an amount is written in. Both are CNY.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MoneyUnit {
    /// 1/100 yuan (分).
    Fen,
    /// Yuan (元).
    Yuan,
}

impl MoneyUnit {
    /// `fen` or `yuan`.
    pub fn name(self) -> &'static str {
        match self {
            MoneyUnit::Fen => "fen",
            MoneyUnit::Yuan => "yuan",
        }
    }
}

/// An amount refused because it cannot be represented exactly.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("amount `{text}` ({unit}) is not an exact decimal: {why}")]
pub struct MoneyError {
    /// The amount as the vendor wrote it.
    pub text: String,
    /// Its unit (`fen`, `yuan`).
    pub unit: &'static str,
    /// Why it cannot be held.
    pub why: &'static str,
}

/// An exact decimal: `mantissa / 10^scale`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Decimal {
    mantissa: i128,
    scale: u32,
}

const MAX_SCALE: u32 = 18;

impl Decimal {
    /// The integer `n`, exactly.
    pub fn from_int(n: i64) -> Self {
        Decimal {
            mantissa: n as i128,
            scale: 0,
        }
    }

    /// Parses `-?digits(.digits)?` exactly (no exponent, no sign `+`, at most 18 fraction digits and 30
    /// digits in all).
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        let (negative, body) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (int, frac) = match body.split_once('.') {
            Some((i, f)) => (i, f),
            None => (body, ""),
        };
        if int.is_empty() || (body.contains('.') && frac.is_empty()) {
            return Err("expected digits, optionally `.` and more digits");
        }
        if !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
            return Err("only digits, one `.` and a leading `-` are accepted");
        }
        if frac.len() as u32 > MAX_SCALE || int.len() + frac.len() > 30 {
            return Err("too many digits");
        }
        let mut mantissa: i128 = 0;
        for b in int.bytes().chain(frac.bytes()) {
            mantissa = mantissa * 10 + (b - b'0') as i128;
        }
        Ok(Decimal {
            mantissa: if negative { -mantissa } else { mantissa },
            scale: frac.len() as u32,
        }
        .normalized())
    }

    /// Trailing fraction zeros removed (`1.80` and `1.8` are the same amount).
    fn normalized(mut self) -> Self {
        while self.scale > 0 && self.mantissa % 10 == 0 {
            self.mantissa /= 10;
            self.scale -= 1;
        }
        self
    }

    /// `self * 10^shift` (shift may be negative); `None` if it overflows or exceeds the scale limit.
    fn shifted(self, shift: i32) -> Option<Self> {
        if shift >= 0 {
            let mut m = self.mantissa;
            let mut scale = self.scale as i64 - shift as i64;
            while scale < 0 {
                m = m.checked_mul(10)?;
                scale += 1;
            }
            Some(
                Decimal {
                    mantissa: m,
                    scale: scale as u32,
                }
                .normalized(),
            )
        } else {
            let scale = self.scale + shift.unsigned_abs();
            (scale <= MAX_SCALE + 2).then_some(
                Decimal {
                    mantissa: self.mantissa,
                    scale,
                }
                .normalized(),
            )
        }
    }

    /// `self` rounded (half away from zero) to `places` decimals, if it is not already that precise and
    /// lies within `10^-tolerance` of the rounded value; `None` otherwise.
    fn rounded_within(self, places: u32, tolerance: u32) -> Option<Self> {
        if self.scale <= places {
            return None;
        }
        let step = 10i128.checked_pow(self.scale - places)?;
        let half = step / 2;
        let quotient = self.mantissa / step;
        let rest = self.mantissa % step;
        let rounded = match rest.abs() >= half {
            true => quotient + self.mantissa.signum(),
            false => quotient,
        };
        let diff = (self.mantissa - rounded * step).abs();
        // |diff| / 10^scale <= 10^-tolerance
        let within = match self.scale.checked_sub(tolerance) {
            Some(k) => diff <= 10i128.pow(k),
            None => diff == 0,
        };
        within.then(|| {
            Decimal {
                mantissa: rounded,
                scale: places,
            }
            .normalized()
        })
    }

    /// The value as an integer, if it is one.
    pub fn to_i64(self) -> Option<i64> {
        let d = self.normalized();
        (d.scale == 0).then(|| i64::try_from(d.mantissa).ok())?
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.mantissa.unsigned_abs().to_string();
        let sign = if self.mantissa < 0 { "-" } else { "" };
        let scale = self.scale as usize;
        if scale == 0 {
            return write!(f, "{sign}{digits}");
        }
        let padded = format!("{digits:0>width$}", width = scale + 1);
        let (int, frac) = padded.split_at(padded.len() - scale);
        write!(f, "{sign}{int}.{frac}")
    }
}

/// An exact CNY amount, in the unit the vendor wrote it in.
///
/// A vendor number that is not an exact amount of the unit's precision but lies within [`TOLERANCE`] of
/// one (the JSON number `8.309999999999999` for 8.31 yuan: binary floating-point noise on the vendor's
/// side) is kept, never refused: the amount is the rounded value, [`Money::is_inexact`] is true and
/// [`Money::vendor_text`] is what the vendor sent. So is a JSON number with more significant digits than
/// a `f64` carries (not told apart from its neighbours): its shortest text, flagged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Money {
    amount: Decimal,
    unit: MoneyUnit,
    /// The vendor's value as sent, when it was not exact (`amount` is then rounded or uncertain).
    vendor: Option<Decimal>,
}

/// How far (in millionths of the unit: 1e-6 yuan, 1e-6 fen) a vendor number may lie from an amount of
/// the unit's precision to be read as that amount, flagged inexact. Further away, a finer amount is kept
/// exactly as sent (1688 unit prices such as `0.035` yuan exist).
pub const TOLERANCE: &str = "0.000001 of the unit";
const TOLERANCE_DIGITS: u32 = 6;

impl MoneyUnit {
    /// Decimal places of the unit's precision: yuan 2 (fen), fen 0.
    pub fn precision(self) -> u32 {
        match self {
            MoneyUnit::Fen => 0,
            MoneyUnit::Yuan => 2,
        }
    }
}

impl Money {
    /// An integer amount of fen, as Xportcn and Dajisaas send totals.
    pub fn fen(fen: i64) -> Self {
        Money {
            amount: Decimal::from_int(fen),
            unit: MoneyUnit::Fen,
            vendor: None,
        }
    }

    /// A decimal amount of yuan given as text (`"1.8"`, `"633.69"`), parsed exactly; text within
    /// [`TOLERANCE`] of a whole fen but not one (`"8.309999999999999"`) is rounded and flagged.
    pub fn yuan(text: &str) -> Result<Self, MoneyError> {
        Self::from_text(text, MoneyUnit::Yuan)
    }

    /// An amount of `unit` given as decimal text, rounded and flagged where inexact (see [`Money`]).
    pub fn from_text(text: &str, unit: MoneyUnit) -> Result<Self, MoneyError> {
        Decimal::parse(text.trim())
            .map(|amount| Self::of_vendor(amount, unit, false))
            .map_err(|why| MoneyError {
                text: text.to_string(),
                unit: unit.name(),
                why,
            })
    }

    /// A yuan amount that the generated client decoded from a JSON number into `f64` (Dajisaas prices).
    pub fn yuan_from_json_number(value: f64) -> Result<Self, MoneyError> {
        Self::from_json_number(value, MoneyUnit::Yuan)
    }

    /// An amount of `unit` decoded from a JSON number into `f64`.
    ///
    /// The decimal is recovered from the shortest text that reads back as the same `f64`, which is the
    /// vendor's own text for any number of at most 15 significant digits (every price). Float noise
    /// within [`TOLERANCE`] of the unit's precision is rounded and flagged; a value whose shortest form
    /// needs more than 15 digits is kept as that text, flagged. Only a number no decimal can hold
    /// (not finite, more than 30 digits) is an error.
    pub fn from_json_number(value: f64, unit: MoneyUnit) -> Result<Self, MoneyError> {
        let refuse = |why| MoneyError {
            text: value.to_string(),
            unit: unit.name(),
            why,
        };
        if !value.is_finite() {
            return Err(refuse("not a finite number"));
        }
        let text = format!("{value}");
        let significant = text
            .bytes()
            .filter(u8::is_ascii_digit)
            .skip_while(|b| *b == b'0')
            .count();
        let amount = Decimal::parse(&text).map_err(refuse)?;
        Ok(Self::of_vendor(amount, unit, significant > 15))
    }

    /// The vendor's `sent` amount, rounded to the unit's precision where it lies within the tolerance of
    /// it; flagged when it was not exact (or `uncertain`: more digits than the number could carry).
    fn of_vendor(sent: Decimal, unit: MoneyUnit, uncertain: bool) -> Self {
        let rounded = sent.rounded_within(unit.precision(), TOLERANCE_DIGITS);
        let amount = rounded.unwrap_or(sent);
        let inexact = uncertain || amount != sent;
        Money {
            amount,
            unit,
            vendor: inexact.then_some(sent),
        }
    }

    /// Whether the vendor's number was not an exact amount (see [`Money`]); [`Money::vendor_text`] is what
    /// it sent.
    pub fn is_inexact(&self) -> bool {
        self.vendor.is_some()
    }

    /// The vendor's number as sent, when it was inexact.
    pub fn vendor_text(&self) -> Option<String> {
        self.vendor.map(|d| d.to_string())
    }

    /// The amount in the unit the vendor wrote it in.
    pub fn amount(&self) -> Decimal {
        self.amount
    }

    /// The unit the vendor wrote it in.
    pub fn unit(&self) -> MoneyUnit {
        self.unit
    }

    /// Always `"CNY"`: every amount the three vendors document is in Chinese yuan.
    pub fn currency(&self) -> &'static str {
        "CNY"
    }

    /// The exact amount in yuan (`6400 fen` → `64`).
    pub fn in_yuan(&self) -> Decimal {
        match self.unit {
            MoneyUnit::Yuan => self.amount,
            MoneyUnit::Fen => self.amount.shifted(-2).unwrap_or(self.amount),
        }
    }

    /// The exact amount in fen, when it is a whole number of fen (`1.8 yuan` → `180`; `0.035 yuan` → `None`).
    pub fn to_fen(&self) -> Option<i64> {
        match self.unit {
            MoneyUnit::Fen => self.amount.to_i64(),
            MoneyUnit::Yuan => self.amount.shifted(2)?.to_i64(),
        }
    }
}

/// `{"amount": "6400", "unit": "fen", "currency": "CNY", "yuan": "64"}`: amounts as exact decimal text;
/// an inexact vendor number adds `"inexact": true` and `"vendor_text"` (what was sent).
impl serde::Serialize for Money {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let fields = if self.is_inexact() { 6 } else { 4 };
        let mut st = s.serialize_struct("Money", fields)?;
        st.serialize_field("amount", &self.amount.to_string())?;
        st.serialize_field("unit", self.unit.name())?;
        st.serialize_field("currency", self.currency())?;
        st.serialize_field("yuan", &self.in_yuan().to_string())?;
        if let Some(text) = self.vendor_text() {
            st.serialize_field("inexact", &true)?;
            st.serialize_field("vendor_text", &text)?;
        }
        st.end()
    }
}

/// The schema of what `Serialize` writes (four strings); hand-written because the serialisation is.
#[cfg(feature = "schemars")]
impl schemars::JsonSchema for Money {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Money".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "An exact CNY amount in the unit the vendor wrote it in, as decimal text.",
            "type": "object",
            "properties": {
                "amount": {"type": "string", "description": "Exact decimal, in `unit`"},
                "unit": {"type": "string", "enum": ["fen", "yuan"]},
                "currency": {"type": "string", "const": "CNY"},
                "yuan": {"type": "string", "description": "The same amount in yuan, exact"},
                "inexact": {"type": "boolean", "description": "Present (true) when the vendor's number was not an exact amount: `amount` is it rounded to the unit's precision"},
                "vendor_text": {"type": "string", "description": "The vendor's number as sent, when inexact"}
            },
            "required": ["amount", "unit", "currency", "yuan"]
        })
    }
}

impl fmt::Display for Money {
    /// `6400 fen (64 CNY)`, `1.8 yuan (1.8 CNY)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} ({} CNY)",
            self.amount,
            self.unit.name(),
            self.in_yuan()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fen_and_yuan_convert_exactly() {
        let total = Money::fen(6400);
        assert_eq!(total.unit(), MoneyUnit::Fen);
        assert_eq!(total.in_yuan().to_string(), "64");
        assert_eq!(total.to_fen(), Some(6400));
        assert_eq!(Money::fen(1671).in_yuan().to_string(), "16.71");
        assert_eq!(Money::fen(5).in_yuan().to_string(), "0.05");
        assert_eq!(Money::fen(-5).in_yuan().to_string(), "-0.05");
        let price = Money::yuan("1.80").unwrap();
        assert_eq!(price.amount().to_string(), "1.8");
        assert_eq!(price.to_fen(), Some(180));
        assert_eq!(Money::yuan("0.035").unwrap().to_fen(), None);
        assert_eq!(total.to_string(), "6400 fen (64 CNY)");
    }

    #[test]
    fn json_numbers_keep_the_vendors_digits() {
        for (n, text) in [
            (1.8, "1.8"),
            (8.96, "8.96"),
            (0.1, "0.1"),
            (633.69, "633.69"),
        ] {
            assert_eq!(
                Money::yuan_from_json_number(n)
                    .unwrap()
                    .amount()
                    .to_string(),
                text
            );
        }
        assert!(Money::yuan_from_json_number(f64::NAN).is_err());
    }

    #[test]
    fn float_noise_is_rounded_and_flagged_never_refused() {
        for (n, amount, sent) in [
            (8.309999999999999, "8.31", "8.309999999999999"),
            (0.1 + 0.2, "0.3", "0.30000000000000004"),
            (-2.0000000000000004, "-2", "-2.0000000000000004"),
        ] {
            let m = Money::yuan_from_json_number(n).unwrap();
            assert_eq!(m.amount().to_string(), amount);
            assert!(m.is_inexact());
            assert_eq!(m.vendor_text().as_deref(), Some(sent));
            let json = serde_json::to_value(m).unwrap();
            assert_eq!(json["inexact"], true);
            assert_eq!(json["vendor_text"], sent);
            assert_eq!(json["amount"], amount);
        }
        let text = Money::yuan("8.309999999999999").unwrap();
        assert_eq!((text.to_fen(), text.is_inexact()), (Some(831), true));
        let fen = Money::from_json_number(1671.0000000001, MoneyUnit::Fen).unwrap();
        assert_eq!((fen.to_fen(), fen.is_inexact()), (Some(1671), true));
        // Exact amounts, and finer amounts far from a whole fen, are kept as sent, unflagged.
        for exact in ["8.31", "0.035", "1.8", "12.3456"] {
            let m = Money::yuan(exact).unwrap();
            assert!(!m.is_inexact(), "{exact}");
            assert_eq!(m.amount().to_string(), exact);
            assert!(serde_json::to_value(m).unwrap().get("inexact").is_none());
        }
        // More digits than a f64 carries, not near a whole fen: kept as its shortest text, flagged.
        let m = Money::yuan_from_json_number(1.2345678901234567).unwrap();
        assert_eq!(m.amount().to_string(), "1.2345678901234567");
        assert!(m.is_inexact());
    }

    #[test]
    fn bad_text_is_refused() {
        for bad in ["", ".5", "5.", "1e3", "+1", "1,5", "abc", "1.2.3", "--1"] {
            assert!(Money::yuan(bad).is_err(), "{bad}");
        }
    }
}
