//! The simulator's half of PCI hotplug, which no OS has: QEMU's `device_add` (a
//! function put in a running machine from a DTS node) and `device_del` (its removal
//! asked for), each followed by what the OS does when the firmware signals it (the
//! hotplug event's connectors): Linux's add path and its driver's request, or its
//! removal path.

use super::port::{firmware_mut, function_of};
use of_tree::Tree;
use platform::kernel::{DevId, Kernel};
use rtas::pci::PciAddr;

/// `DDDD:BB:DD.F` as (domain, address).
pub fn parse_pci_name(name: &str) -> Option<(u32, PciAddr)> {
    let (dom, rest) = name.split_once(':')?;
    let (bus, rest) = rest.split_once(':')?;
    let (dev, func) = rest.split_once('.')?;
    let domain = u32::from_str_radix(dom, 16).ok()?;
    let bus = u8::from_str_radix(bus, 16).ok()?;
    let dev = u8::from_str_radix(dev, 16).ok().filter(|&d| d < 32)?;
    let func = u8::from_str_radix(func, 16).ok().filter(|&f| f < 8)?;
    Some((
        domain,
        PciAddr {
            bus,
            devfn: dev << 3 | func,
        },
    ))
}

/// `device_add` of the function `dts` describes at `name` (`DDDD:BB:DD.F`), then the
/// OS's addition of every connector the firmware signals, each new function's driver
/// asking for its vectors as at boot (an LSI when that fails). Returns the new
/// devices: none when QEMU defers the event (a function other than 0 waits for
/// function 0). `source` names the DTS in errors.
pub fn hotplug_add(
    k: &mut Kernel,
    name: &str,
    dts: &Tree,
    source: &str,
) -> Result<Vec<DevId>, String> {
    let (domain, addr) = parse_pci_name(name).ok_or_else(|| format!("{name}: not DDDD:BB:DD.F"))?;
    let os_phb = k
        .phbs
        .iter()
        .position(|p| p.domain == domain)
        .ok_or_else(|| format!("{name}: the OS has no PHB {domain:04x}"))?;
    let m = &mut firmware_mut(k).machine;
    let phb = m
        .phb_by_index(domain)
        .ok_or_else(|| format!("{name}: the machine has no PHB {domain:04x}"))?;
    let signalled = m.plug(phb, addr, dts, source).map_err(|e| e.to_string())?;
    let mut added = Vec::new();
    for index in signalled {
        let d = k.dlpar_add(os_phb, index).map_err(|e| e.to_string())?;
        if let Some((kind, n)) = crate::driver::driver_request(k.tree(), k.devices[d].node) {
            if k.request(d, kind, n, 1).is_err() {
                k.request_lsi(d);
            }
        }
        added.push(d);
    }
    Ok(added)
}

/// `device_del` of a device, then the OS's removal of every connector the firmware
/// signals (none for a function other than 0: QEMU waits for function 0's removal,
/// which takes the whole slot). Returns the devices removed.
pub fn hotplug_remove(k: &mut Kernel, dev: DevId) -> Result<Vec<DevId>, String> {
    let r = function_of(k, dev)?;
    let signalled = firmware_mut(k)
        .machine
        .unplug_request(r)
        .map_err(|e| e.to_string())?;
    let mut removed = Vec::new();
    for index in signalled {
        let d = (0..k.devices.len())
            .find(|&d| {
                !k.devices[d].removed
                    && k.devices[d].msi_device.is_none()
                    && k.drc_index(d).ok() == Some(index)
            })
            .ok_or_else(|| format!("the OS has no device on connector {index:#x}"))?;
        k.dlpar_remove(d).map_err(|e| e.to_string())?;
        removed.push(d);
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pci_names() {
        assert_eq!(
            parse_pci_name("0001:02:1f.7"),
            Some((
                1,
                PciAddr {
                    bus: 2,
                    devfn: 0xff
                }
            ))
        );
        assert_eq!(parse_pci_name("0000:00:20.0"), None);
        assert_eq!(parse_pci_name("0000:00:01.8"), None);
        assert_eq!(parse_pci_name("0000:00:01"), None);
    }
}
