//! Numbers in one piece, as `{:#x}` and `{}` write them but without the formatter's
//! general padding path: the trace writes millions of them. A width pads on the left
//! with spaces (as `{:>10}`); other flags are ignored.

use std::fmt;

/// Writes the digits of `v` in `radix` (10 or 16) at the end of `buf`; the index of
/// the first.
fn digits(buf: &mut [u8; 24], mut v: u64, radix: u64) -> usize {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b"0123456789abcdef"[(v % radix) as usize];
        v /= radix;
        if v == 0 {
            return i;
        }
    }
}

/// Writes `buf`, made by [`digits`] and a `0x` or `-`, right-aligned in the width.
fn put(f: &mut fmt::Formatter<'_>, buf: &[u8]) -> fmt::Result {
    debug_assert!(buf.is_ascii());
    const SPACES: &str = "                                ";
    let mut pad = f.width().unwrap_or(0).saturating_sub(buf.len());
    while pad > 0 {
        let n = pad.min(SPACES.len());
        f.write_str(&SPACES[..n])?;
        pad -= n;
    }
    // SAFETY: the bytes are ASCII digits, `0x` and `-` (see `digits`), so UTF-8; this
    // skips a validation that cost as much as the formatting.
    f.write_str(unsafe { std::str::from_utf8_unchecked(buf) })
}

/// A number as `{:#x}` writes it (a negative one in two's complement, 64 bits).
#[derive(Debug, Clone, Copy)]
pub struct Hex(pub u64);

impl fmt::Display for Hex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0u8; 24];
        let mut i = digits(&mut buf, self.0, 16);
        i -= 2;
        buf[i..i + 2].copy_from_slice(b"0x");
        put(f, &buf[i..])
    }
}

/// A number as `{}` writes it.
#[derive(Debug, Clone, Copy)]
pub struct Dec(pub i64);

impl fmt::Display for Dec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0u8; 24];
        let mut i = digits(&mut buf, self.0.unsigned_abs(), 10);
        if self.0 < 0 {
            i -= 1;
            buf[i] = b'-';
        }
        put(f, &buf[i..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn as_the_formatter_writes_them() {
        for v in [0u64, 1, 9, 10, 15, 16, 0x10009, u32::MAX as u64, u64::MAX] {
            assert_eq!(Hex(v).to_string(), format!("{v:#x}"));
        }
        assert_eq!(Hex(-3i64 as u64).to_string(), format!("{:#x}", -3i64));
        for v in [0i64, 7, 10, -1, -3, 12345, i64::MIN, i64::MAX] {
            assert_eq!(Dec(v).to_string(), v.to_string());
        }
        // Right-aligned in a width, as the table writes them.
        assert_eq!(
            format!("{:>10}", Hex(0x10009)),
            format!("{:>#10x}", 0x10009)
        );
        assert_eq!(format!("{:>6}", Dec(23)), format!("{:>6}", 23));
        assert_eq!(format!("{:>2}", Hex(0x10009)), "0x10009");
        assert_eq!(format!("{:>40}", Dec(1)), format!("{:>40}", 1));
    }
}
