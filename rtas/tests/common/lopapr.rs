//! Helpers of `lopapr.rs` (LoPAPR's MSI requirements, one test each).

use rtas::{Firmware, FnRef, Service};

/// The fixture with one function of each MSI kind.
pub const B: &str = "qemu/b_devices.dtb";

/// A function's config address and its PHB's BUID cells.
pub fn cells(fw: &Firmware, r: FnRef) -> [u32; 3] {
    let (hi, lo) = super::buid_cells(fw, r);
    [super::cfg_addr(fw, r), hi, lo]
}

/// A call through the typed API, the status signed.
pub fn call(fw: &mut Firmware, s: Service, args: &[u32], nret: usize) -> Vec<i64> {
    let cells = fw.call(s, args, nret).expect("the service exists");
    rtas::calllog::CallRecord::new("x", vec![], &cells).rets
}

/// `ibm,get-xive` of a source: status, server, priority.
pub fn get_xive(fw: &mut Firmware, src: u32) -> Vec<i64> {
    call(fw, Service::GetXive, &[src], 3)
}

/// What the OS can see of a function's MSI state: the capability's control word, the
/// command register, every message, and each vector's source.
pub fn seen(fw: &mut Firmware, r: FnRef, n: u32) -> (u32, u32, Vec<(u64, u32)>, Vec<i64>) {
    let f = fw.machine.function(r);
    let (ctl, msgs) = match (f.msi, f.msix, f.msix_table.as_ref()) {
        (Some(cap), _, _)
            if f.msix.is_none_or(|c| !c.enabled(&f.config)) && cap.enabled(&f.config) =>
        {
            (
                f.config.read(cap.offset as u32 + 2, 2).unwrap(),
                (0..n).map(|i| cap.message(&f.config, i)).collect(),
            )
        }
        (_, Some(cap), Some(t)) => (
            f.config.read(cap.offset as u32 + 2, 2).unwrap(),
            (0..n).map(|i| t.message(i).unwrap()).collect(),
        ),
        _ => panic!("no MSI enabled"),
    };
    let cmd = f.config.read(4, 2).unwrap();
    let sources = (0..n).map(|i| super::query(fw, r, i)[1]).collect();
    (ctl, cmd, msgs, sources)
}

/// The function's vectors' (address, data) as it would send them.
pub fn messages(fw: &Firmware, r: FnRef, n: u32) -> Vec<(u64, u32)> {
    let f = fw.machine.function(r);
    match (f.msix, f.msix_table.as_ref()) {
        (Some(c), Some(t)) if c.enabled(&f.config) => {
            (0..n).map(|i| t.message(i).unwrap()).collect()
        }
        _ => (0..n)
            .map(|i| f.msi.unwrap().message(&f.config, i))
            .collect(),
    }
}

/// One vector for a function, of the kind it has (MSI-X first): the count granted.
pub fn one_vector(fw: &mut Firmware, r: FnRef) -> i64 {
    let f = if fw.machine.function(r).msix.is_some() {
        4
    } else {
        3
    };
    let out = super::change_msi(fw, r, f, 1, 1, 4);
    assert_eq!(out[0], 0, "{}", fw.machine.function(r).info.path);
    out[1]
}

/// The capability IDs in a function's config space, walking its list from 0x34.
pub fn capability_ids(fw: &Firmware, r: FnRef) -> Vec<u8> {
    let cs = &fw.machine.function(r).config;
    let mut ids = Vec::new();
    let mut at = cs.read(0x34, 1).unwrap() & 0xfc;
    while at != 0 && ids.len() < 48 {
        ids.push(cs.read(at, 1).unwrap() as u8);
        at = cs.read(at + 1, 1).unwrap() & 0xfc;
    }
    ids
}

/// A node below a DR connector (its path relative to the slot) and its properties.
pub type Node = (String, Vec<(String, Vec<u8>)>);

/// The `ibm,configure-connector` loop as Linux makes it, through the call buffer: the
/// nodes it hands out, or the status that stopped it.
pub fn configure_connector(fw: &mut Firmware, index: u32) -> Result<Vec<Node>, i32> {
    use rtas::memory::Memory;
    let (buf, wa) = (0x10_0000u64, 0x10_1000u64);
    let mut mem = Memory::new(buf, 0x3000);
    let token = fw.tokens.token(Service::ConfigureConnector).unwrap();
    let (mut nodes, mut path): (Vec<Node>, Vec<String>) = (Vec::new(), Vec::new());
    mem.write_u32(wa, index);
    mem.write_u32(wa + 4, 0);
    for _ in 0..10_000 {
        mem.write_call(buf, token, &[wa as u32, 0], 1).unwrap();
        fw.call_buffer(&mut mem, buf).unwrap();
        let cell = |i: u64| mem.read_u32(wa + 4 * i).unwrap() as u64;
        let string = |at: u64| {
            let b = mem.read_bytes(wa + at, 256).unwrap();
            String::from_utf8(b[..b.iter().position(|&c| c == 0).unwrap()].to_vec()).unwrap()
        };
        match mem.read_u32(buf + 20).unwrap() as i32 {
            0 => return Ok(nodes),
            2 => {
                path.push(string(cell(2)));
                nodes.push((path.join("/"), Vec::new()));
            }
            3 => {
                let value = mem.read_bytes(wa + cell(4), cell(3) as usize).unwrap();
                let prop = (string(cell(2)), value.to_vec());
                nodes.last_mut().unwrap().1.push(prop);
            }
            4 => {
                path.pop();
            }
            other => return Err(other),
        }
    }
    panic!("configure-connector never finished");
}
