//! The DTB header, validated before anything else is trusted.

use super::format::bad;
use crate::error::Error;
use byteorder::{BigEndian, ByteOrder};

/// The magic number that opens every blob.
pub const FDT_MAGIC: u32 = 0xd00d_feed;

/// The header fields of a version 16 or 17 blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Size of the whole blob.
    pub totalsize: u32,
    /// Offset of the structure block.
    pub off_dt_struct: u32,
    /// Offset of the strings block.
    pub off_dt_strings: u32,
    /// Offset of the memory reservation block.
    pub off_mem_rsvmap: u32,
    /// Format version.
    pub version: u32,
    /// Oldest version this blob is compatible with.
    pub last_comp_version: u32,
    /// Physical id of the boot CPU.
    pub boot_cpuid_phys: u32,
    /// Size of the strings block.
    pub size_dt_strings: u32,
    /// Size of the structure block (version 17; `None` in version 16).
    pub size_dt_struct: Option<u32>,
}

impl Header {
    /// Size of a version 16 header.
    pub const V16_LEN: usize = 36;
    /// Size of a version 17 header.
    pub const V17_LEN: usize = 40;

    /// Parses and validates a header against the blob length: every block lies inside
    /// `totalsize`, which lies inside the buffer.
    pub fn parse(b: &[u8]) -> Result<Header, Error> {
        if b.len() < Self::V16_LEN {
            return Err(bad(
                0,
                format!("blob of {} bytes is shorter than a header", b.len()),
            ));
        }
        let f = |i: usize| BigEndian::read_u32(&b[i * 4..i * 4 + 4]);
        if f(0) != FDT_MAGIC {
            return Err(bad(
                0,
                format!("bad magic {:#010x}, expected 0xd00dfeed", f(0)),
            ));
        }
        let version = f(5);
        let last_comp_version = f(6);
        if version < 16 {
            return Err(bad(20, format!("version {version} is older than 16")));
        }
        if last_comp_version > 17 {
            return Err(bad(
                24,
                format!("last compatible version {last_comp_version} is newer than 17"),
            ));
        }
        let hdr_len = if version >= 17 {
            Self::V17_LEN
        } else {
            Self::V16_LEN
        };
        if b.len() < hdr_len {
            return Err(bad(
                0,
                format!("blob of {} bytes is shorter than its header", b.len()),
            ));
        }
        let h = Header {
            totalsize: f(1),
            off_dt_struct: f(2),
            off_dt_strings: f(3),
            off_mem_rsvmap: f(4),
            version,
            last_comp_version,
            boot_cpuid_phys: f(7),
            size_dt_strings: f(8),
            size_dt_struct: (version >= 17).then(|| f(9)),
        };
        let total = h.totalsize as usize;
        if total > b.len() {
            return Err(bad(
                4,
                format!(
                    "totalsize {total} is larger than the {} bytes given",
                    b.len()
                ),
            ));
        }
        if total < hdr_len {
            return Err(bad(
                4,
                format!("totalsize {total} is smaller than the header"),
            ));
        }
        let check_off = |field: usize, off: u32, what: &str| -> Result<(), Error> {
            let off = off as usize;
            if off < hdr_len || off > total {
                return Err(bad(
                    field,
                    format!("{what} offset {off:#x} lies outside the blob"),
                ));
            }
            Ok(())
        };
        check_off(8, h.off_dt_struct, "structure block")?;
        check_off(12, h.off_dt_strings, "strings block")?;
        check_off(16, h.off_mem_rsvmap, "memory reservation block")?;
        if !h.off_dt_struct.is_multiple_of(4) {
            return Err(bad(8, "structure block is not 4-byte aligned"));
        }
        if !h.off_mem_rsvmap.is_multiple_of(8) {
            return Err(bad(16, "memory reservation block is not 8-byte aligned"));
        }
        let strings_end = h.off_dt_strings as u64 + h.size_dt_strings as u64;
        if strings_end > total as u64 {
            return Err(bad(32, "strings block runs past the end of the blob"));
        }
        if let Some(s) = h.size_dt_struct {
            if h.off_dt_struct as u64 + s as u64 > total as u64 {
                return Err(bad(36, "structure block runs past the end of the blob"));
            }
        }
        Ok(h)
    }

    /// The structure block's byte range (to `totalsize` in version 16).
    pub fn struct_range(&self) -> std::ops::Range<usize> {
        let start = self.off_dt_struct as usize;
        match self.size_dt_struct {
            Some(s) => start..start + s as usize,
            None => {
                // Version 16 gives no size: the block ends where the next block starts, or
                // at the end of the blob.
                let mut end = self.totalsize as usize;
                for other in [self.off_dt_strings, self.off_mem_rsvmap] {
                    let o = other as usize;
                    if o > start && o < end {
                        end = o;
                    }
                }
                start..end
            }
        }
    }

    /// The strings block's byte range.
    pub fn strings_range(&self) -> std::ops::Range<usize> {
        let start = self.off_dt_strings as usize;
        start..start + self.size_dt_strings as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hdr(fields: [u32; 10]) -> Vec<u8> {
        fields.iter().flat_map(|f| f.to_be_bytes()).collect()
    }

    #[test]
    fn accepts_a_minimal_header_and_rejects_bad_fields() {
        let mut b = hdr([FDT_MAGIC, 72, 56, 72, 40, 17, 16, 0, 0, 16]);
        b.resize(72, 0);
        let h = Header::parse(&b).unwrap();
        assert_eq!(h.struct_range(), 56..72);
        let mut bad_magic = b.clone();
        bad_magic[0] = 0;
        assert!(Header::parse(&bad_magic).is_err());
        let mut too_big = b.clone();
        too_big[7] = 200;
        assert!(Header::parse(&too_big).is_err());
        let mut old = b.clone();
        old[23] = 15;
        assert!(Header::parse(&old).is_err());
        assert!(Header::parse(&b[..20]).is_err());
    }
}
