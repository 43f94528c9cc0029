//! LoPAPR's requirements of `ibm,query-interrupt-source-number` (LoPAR 7.3.10.5.2, in
//! "MSI Support"), in the papr profile: `qisn_r1_N_*` is requirement N of that section.

use crate::common::lopapr::*;
use crate::common::*;
use rtas::ics::Presentation;
use rtas::{Profile, Service, Signal};

/// R1-1: 4 inputs (config address, BUID, the function's interrupt number), 3
/// outputs (status, source, trigger: 1 edge for a message); other shapes -3.
#[test]
fn qisn_r1_1_the_argument_call_buffer() {
    let mut fw = firmware(B, Profile::Papr);
    let x = find_fn(&fw, |_, x| x.is_some_and(|x| x >= 8));
    let m = find_fn(&fw, |m, x| m.is_some() && x.is_none());
    assert_eq!(change_msi(&mut fw, x, 4, 3, 1, 4)[..2], [0, 3]);
    assert_eq!(change_msi(&mut fw, m, 3, 1, 1, 4)[..2], [0, 1]);
    let first = fw.machine.block(x).unwrap().first as i64;
    for i in 0..3 {
        assert_eq!(
            query(&mut fw, x, i),
            vec![0, first + i as i64, 1],
            "vector {i}"
        );
    }
    let src = fw.machine.block(m).unwrap().first as i64;
    assert_eq!(query(&mut fw, m, 0), vec![0, src, 1], "MSI: edge too");
    let [c, h, l] = cells(&fw, x);
    let q = Service::QueryInterruptSourceNumber;
    for (args, nret, why) in [
        (&[c, h, l][..], 3, "3 inputs"),
        (&[c, h, l, 0, 0][..], 3, "5 inputs"),
        (&[c, h, l, 0][..], 2, "2 outputs"),
        (&[c, h, l, 0][..], 4, "4 outputs"),
    ] {
        assert_eq!(call(&mut fw, q, args, nret)[0], -3, "{why}");
    }
    for i in [0, 2, 3, 1000] {
        let s = query(&mut fw, x, i)[0];
        assert!(matches!(s, -3..=1), "status {s}");
    }
}

/// R1-2: the numbers it returns are those `ibm,set-xive`, `ibm,get-xive`,
/// `ibm,int-off` and `ibm,int-on` take, and the vector's message reaches that source.
#[test]
fn qisn_r1_2_its_sources_are_the_xive_calls_numbers() {
    let mut fw = firmware(B, Profile::Papr);
    let x = find_fn(&fw, |_, x| x.is_some_and(|x| x >= 8));
    assert_eq!(change_msi(&mut fw, x, 4, 3, 1, 4)[..2], [0, 3]);
    for i in 0..3u32 {
        let r = query(&mut fw, x, i);
        assert_eq!(r[0], 0);
        let src = r[1] as u32;
        let prio = 4 + i;
        assert_eq!(call(&mut fw, Service::SetXive, &[src, 0, prio], 1), vec![0]);
        assert_eq!(get_xive(&mut fw, src), vec![0, 0, prio as i64]);
        assert_eq!(call(&mut fw, Service::IntOff, &[src], 1), vec![0]);
        assert_eq!(get_xive(&mut fw, src)[2], 0xff, "int-off masks it");
        let before = fw.machine.ics.presented.len();
        assert_eq!(fw.machine.signal(x, i), Signal::Delivered { source: src });
        assert_eq!(fw.machine.ics.presented.len(), before, "held while masked");
        assert_eq!(call(&mut fw, Service::IntOn, &[src], 1), vec![0]);
        assert_eq!(get_xive(&mut fw, src)[2], prio as i64, "int-on restores it");
        let _ = fw.machine.signal(x, i);
        assert_eq!(
            fw.machine.ics.presented.last(),
            Some(&Presentation {
                server: 0,
                source: src,
                priority: prio as u8
            }),
            "vector {i} presented as set-xive said"
        );
    }
}

/// R1-3 (the XML numbers it R1-2 a second time; it is the section's third): a valid
/// config address with no interrupt at that number answers 1; an invalid one -3.
#[test]
fn qisn_r1_3_no_interrupt_at_that_number_answers_1() {
    let mut fw = firmware(B, Profile::Papr);
    let x = find_fn(&fw, |_, x| x.is_some_and(|x| x >= 8));
    let none = find_fn(&fw, |m, x| m.is_none() && x.is_none());
    assert_eq!(query(&mut fw, x, 0)[0], 1, "nothing assigned yet");
    assert_eq!(query(&mut fw, none, 0)[0], 1, "no MSI capability at all");
    assert_eq!(change_msi(&mut fw, x, 4, 3, 1, 4)[..2], [0, 3]);
    assert_eq!(query(&mut fw, x, 2)[0], 0);
    for i in [3, 4, 64, u32::MAX] {
        assert_eq!(query(&mut fw, x, i)[0], 1, "number {i}");
    }
    let [c, h, l] = cells(&fw, x);
    let q = Service::QueryInterruptSourceNumber;
    assert_eq!(
        call(&mut fw, q, &[c + 0x100, h, l, 0], 3)[0],
        -3,
        "no function"
    );
    assert_eq!(call(&mut fw, q, &[c, h, l ^ 1, 0], 3)[0], -3, "no PHB");
    assert_eq!(call(&mut fw, q, &[c | 0x10, h, l, 0], 3)[0], -3, "register");
    assert_eq!(change_msi(&mut fw, x, 4, 0, 1, 4)[..2], [0, 0]);
    assert_eq!(query(&mut fw, x, 0)[0], 1, "released");
}
