//! A blob to a blob without building the tree: the input checked exactly as
//! [`read`](super::read) checks it, the output byte for byte what
//! [`write`](super::write) makes of the tree `read` would build, at the cost of two
//! passes over the structure block and no allocation per property.

use super::format::{align4, FDT_BEGIN_NODE, FDT_END, FDT_END_NODE, FDT_PROP};
use super::header::{Header, FDT_MAGIC};
use super::read::read_reservations;
use super::walk::{walk, Visit};
use crate::error::Error;
use crate::fxhash::FxHashMap;
use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;

/// First pass: the structure block's size and the strings block, names in first use.
#[derive(Default)]
struct Measure {
    size: usize,
    strings: Vec<u8>,
    by_off: FxHashMap<u32, u32>,
    by_name: HashMap<Arc<str>, u32>,
    props: Vec<usize>,
}

impl Visit for Measure {
    fn begin_node(&mut self, name: &str, _: &[u8], _: usize, _: usize) {
        self.size += 4 + align4(name.len() + 1);
        self.props.push(0);
    }

    fn end_node(&mut self) {
        self.size += 4;
        self.props.pop();
    }

    fn prop(&mut self, nameoff: u32, name: &Arc<str>, value: &[u8]) {
        self.size += 12 + align4(value.len());
        if let Some(n) = self.props.last_mut() {
            *n += 1;
        }
        if self.by_off.contains_key(&nameoff) {
            return;
        }
        let out = match self.by_name.get(name) {
            Some(&o) => o,
            None => {
                let o = self.strings.len() as u32;
                self.strings.extend_from_slice(name.as_bytes());
                self.strings.push(0);
                self.by_name.insert(name.clone(), o);
                o
            }
        };
        self.by_off.insert(nameoff, out);
    }

    fn props_here(&self) -> usize {
        self.props.last().copied().unwrap_or(0)
    }
}

/// Second pass: the structure block, written out.
struct Emit<'m, W: Write> {
    out: W,
    by_off: &'m FxHashMap<u32, u32>,
    props: Vec<usize>,
    error: Option<std::io::Error>,
}

impl<W: Write> Emit<'_, W> {
    fn put(&mut self, bytes: &[u8]) {
        if self.error.is_none() {
            if let Err(e) = self.out.write_all(bytes) {
                self.error = Some(e);
            }
        }
    }

    fn pad(&mut self, len: usize) {
        let n = align4(len) - len;
        self.put(&[0u8; 3][..n]);
    }
}

impl<W: Write> Visit for Emit<'_, W> {
    fn begin_node(&mut self, name: &str, _: &[u8], _: usize, _: usize) {
        self.put(&FDT_BEGIN_NODE.to_be_bytes());
        self.put(name.as_bytes());
        self.put(&[0]);
        self.pad(name.len() + 1);
        self.props.push(0);
    }

    fn end_node(&mut self) {
        self.put(&FDT_END_NODE.to_be_bytes());
        self.props.pop();
    }

    fn prop(&mut self, nameoff: u32, _: &Arc<str>, value: &[u8]) {
        let off = self.by_off.get(&nameoff).copied().unwrap_or(0);
        self.put(&FDT_PROP.to_be_bytes());
        self.put(&(value.len() as u32).to_be_bytes());
        self.put(&off.to_be_bytes());
        self.put(value);
        self.pad(value.len());
        if let Some(n) = self.props.last_mut() {
            *n += 1;
        }
    }

    fn props_here(&self) -> usize {
        self.props.last().copied().unwrap_or(0)
    }
}

fn too_large() -> Error {
    Error::Write("blob larger than 4 GiB".into())
}

/// Checks `blob` as [`read`](super::read) does and writes to `out` what
/// [`write`](super::write) would write of the tree read from it.
pub fn rewrite(blob: &[u8], out: &mut impl Write) -> Result<(), Error> {
    let h = Header::parse(blob)?;
    let blob = &blob[..h.totalsize as usize];
    let reservations = read_reservations(blob, h.off_mem_rsvmap as usize)?;
    let strings = &blob[h.strings_range()];
    let sr = h.struct_range();
    let so = h.off_dt_strings as usize;
    let mut m = Measure::default();
    walk(blob, sr.start, sr.end, strings, so, &mut m)?;
    let size_struct = m.size + 4;
    let off_struct = 40 + 16 * (reservations.len() + 1);
    let off_strings = off_struct + size_struct;
    let total = off_strings + m.strings.len();
    let to32 = |v: usize| u32::try_from(v).map_err(|_| too_large());
    let mut head = Vec::with_capacity(off_struct);
    for f in [
        FDT_MAGIC,
        to32(total)?,
        to32(off_struct)?,
        to32(off_strings)?,
        40,
        17,
        16,
        h.boot_cpuid_phys,
        to32(m.strings.len())?,
        to32(size_struct)?,
    ] {
        head.extend_from_slice(&f.to_be_bytes());
    }
    for r in &reservations {
        head.extend_from_slice(&r.address.to_be_bytes());
        head.extend_from_slice(&r.size.to_be_bytes());
    }
    head.extend_from_slice(&[0u8; 16]);
    let io = |e: std::io::Error| Error::Write(e.to_string());
    out.write_all(&head).map_err(io)?;
    let mut e = Emit {
        out: &mut *out,
        by_off: &m.by_off,
        props: Vec::new(),
        error: None,
    };
    walk(blob, sr.start, sr.end, strings, so, &mut e)?;
    e.put(&FDT_END.to_be_bytes());
    if let Some(err) = e.error {
        return Err(io(err));
    }
    out.write_all(&m.strings).map_err(io)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dtb::{read, write};

    fn via_tree(blob: &[u8]) -> Result<Vec<u8>, String> {
        let t = read(blob).map_err(|e| e.to_string())?;
        write(&t, &Default::default()).map_err(|e| e.to_string())
    }

    fn direct(blob: &[u8]) -> Result<Vec<u8>, String> {
        let mut out = Vec::new();
        rewrite(blob, &mut out).map_err(|e| e.to_string())?;
        Ok(out)
    }

    #[test]
    fn same_bytes_and_same_errors_as_read_then_write() {
        let fixtures: [&[u8]; 3] = [
            include_bytes!("../../../fixtures/qemu/b_devices.dtb"),
            include_bytes!("../../../fixtures/qemu/e_bridge_nested.dtb"),
            include_bytes!("../../../fixtures/linux-guest/guest-fdt.dtb"),
        ];
        let mut errors = 0;
        for f in fixtures {
            assert_eq!(direct(f), via_tree(f));
            assert!(direct(f).is_ok());
            // Every truncation, and each of the first 4 KiB's bytes changed: the same
            // bytes or the same error either way.
            for n in (0..f.len()).step_by(61) {
                let (a, b) = (direct(&f[..n]), via_tree(&f[..n]));
                assert_eq!(a, b, "truncated at {n}");
                errors += a.is_err() as usize;
            }
            for i in 0..f.len().min(4096) {
                let mut m = f.to_vec();
                m[i] ^= 0x5a;
                assert_eq!(direct(&m), via_tree(&m), "byte {i} changed");
            }
        }
        assert!(errors > 100, "{errors}");
    }
}
