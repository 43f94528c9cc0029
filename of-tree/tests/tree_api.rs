//! The tree's own interface: lookups by path, label and phandle, the whole-tree searches
//! against a scan of every node on the real trees, edits and what they detach, and
//! reading a file that is either a blob or source text.

mod common;

use common::*;
use of_tree::{dtb, dts, Error, Labels, Location, NodeId, Property, Tree};

fn parse(src: &str) -> Tree {
    dts::parse_str(src, "t.dts").unwrap_or_else(|e| panic!("{e}"))
}

/// Every node of `t` (attached) for which `f` holds, in tree order.
fn scan(t: &Tree, f: impl Fn(NodeId) -> bool) -> Vec<NodeId> {
    t.walk().into_iter().filter(|&n| f(n)).collect()
}

/// Checks each search against a scan, for every string and name the tree holds.
fn searches_match_a_scan(t: &Tree, what: &str) {
    let mut compatibles = Vec::new();
    let mut types = Vec::new();
    let mut names = Vec::new();
    for id in t.walk() {
        let n = t.at(id);
        compatibles.extend(n.strings("compatible").ok().flatten().unwrap_or_default());
        types.extend(n.string("device_type").ok().flatten());
        names.extend(t.node(id).props.iter().map(|p| p.name().to_string()));
    }
    assert!(!compatibles.is_empty() && !types.is_empty(), "{what}");
    for c in compatibles {
        let want = scan(t, |n| {
            t.at(n)
                .strings("compatible")
                .ok()
                .flatten()
                .is_some_and(|l| l.contains(&c))
        });
        assert_eq!(t.find_compatible(c), want, "{what}: compatible {c}");
    }
    for ty in types {
        let want = scan(t, |n| {
            t.at(n).string("device_type").ok().flatten() == Some(ty)
        });
        assert_eq!(t.find_device_type(ty), want, "{what}: device_type {ty}");
    }
    for name in names.iter().map(String::as_str).chain(["no-such-name"]) {
        let want = scan(t, |n| t.node(n).prop(name).is_some());
        assert_eq!(
            t.with_prop(name).collect::<Vec<_>>(),
            want,
            "{what}: {name}"
        );
    }
}

#[test]
fn paths_find_nodes_by_full_name_by_base_name_and_from_a_label() {
    let t = parse("/dts-v1/; / { pci@1 { lbl: vga@0 { sub { }; }; disk@2 { }; disk@3 { }; }; };");
    let vga = t.find("/pci@1/vga@0").unwrap();
    assert_eq!(t.find("/pci/vga").unwrap(), vga);
    assert_eq!(t.find("lbl").unwrap(), vga);
    assert_eq!(t.find("lbl/sub").unwrap(), t.find("/pci/vga/sub").unwrap());
    assert_eq!(t.find("/").unwrap(), t.root());
    assert_eq!(t.find("//pci@1//").unwrap(), t.find("/pci@1").unwrap());
    assert_eq!(t.find_label("lbl"), Some(vga));
    assert_eq!(t.find_label("nolabel"), None);
    // Errors name the whole path asked for.
    assert_eq!(
        t.find("/pci/disk"),
        Err(Error::Ambiguous("/pci/disk".into()))
    );
    assert_eq!(
        t.find("/pci/disk").unwrap_err().to_string(),
        "path /pci/disk is ambiguous: add the unit address"
    );
    assert_eq!(
        t.find("/pci/vga@9"),
        Err(Error::NoNode("/pci/vga@9".into()))
    );
    assert_eq!(
        t.find("nolabel/sub"),
        Err(Error::NoNode("nolabel/sub".into()))
    );
    assert_eq!(t.child_by_name(t.root(), "pci@1"), t.find("/pci").ok());
    assert_eq!(t.child_by_name(t.root(), "pci"), None, "full names only");
}

#[test]
fn searches_match_a_scan_on_every_fixture_and_after_edits() {
    for f in fixture_dtbs() {
        let mut t = dtb::read(&std::fs::read(&f).unwrap()).unwrap();
        let what = f.display().to_string();
        searches_match_a_scan(&t, &what);
        // Edits after the searches: a new typed node, a changed compatible, a removal.
        let last = *t.walk().last().unwrap();
        let n = t.add_child(last, "new@1");
        t.set_prop(n, "compatible", b"test,new\0other\0".to_vec());
        t.set_prop(n, "device_type", b"pci\0".to_vec());
        let first = t.node(t.root()).children()[0];
        t.set_prop(first, "compatible", b"test,first\0".to_vec());
        let second = t.node(t.root()).children()[1];
        t.remove_node(second).unwrap();
        searches_match_a_scan(&t, &format!("{what} after edits"));
        assert_eq!(t.find_compatible("test,new"), vec![n]);
        assert_eq!(t.find_compatible("test,first"), vec![first]);
    }
}

#[test]
fn a_removed_node_takes_its_subtree_out_of_every_search() {
    let mut t = dtb::read(&std::fs::read(fixture("qemu/b_devices.dtb")).unwrap()).unwrap();
    let phb = t.find("/pci@800000020000000").unwrap();
    let below = t.descendants(phb, |_, _| true);
    assert!(below.len() >= 3, "{} nodes below the PHB", below.len());
    let before = t.node_count();
    let typed_before = t.find_device_type("pci").len();
    let is_pci = |t: &Tree, n: NodeId| t.at(n).string("device_type").ok().flatten() == Some("pci");
    let typed_gone = 1 + below.iter().filter(|&&n| is_pci(&t, n)).count();
    t.remove_node(phb).unwrap();
    assert_eq!(t.node_count(), before - 1 - below.len());
    assert!(!t.is_attached(phb));
    for &n in &below {
        assert!(!t.is_attached(n), "{}", t.node(n).name());
        assert!(!t.walk().contains(&n));
        assert!(!t.with_prop("reg").any(|m| m == n));
    }
    assert_eq!(t.find_device_type("pci").len(), typed_before - typed_gone);
    assert!(t.find("/pci@800000020000000").is_err());
    assert_eq!(
        t.remove_node(t.root()),
        Err(Error::NoNode("/ cannot be deleted".into()))
    );
}

#[test]
fn descendants_go_into_a_node_only_when_asked() {
    let t = parse("/dts-v1/; / { a { a1 { a11 { }; }; a2 { }; }; b { b1 { }; }; };");
    let names = |ids: Vec<NodeId>| -> Vec<String> {
        ids.into_iter()
            .map(|n| t.node(n).name().to_string())
            .collect()
    };
    assert_eq!(
        names(t.descendants(t.root(), |_, _| true)),
        ["a", "a1", "a11", "a2", "b", "b1"]
    );
    assert_eq!(
        names(t.descendants(t.root(), |t, n| t.node(n).name() != "a")),
        ["a", "b", "b1"]
    );
    let a1 = t.find("/a/a1").unwrap();
    assert_eq!(names(t.descendants(a1, |_, _| false)), ["a11"]);
    assert_eq!(t.preorder().collect::<Vec<_>>(), t.walk());
}

#[test]
fn phandles_come_from_phandle_or_linux_phandle() {
    let t = dtb::read(&std::fs::read(fixture("qemu/a_default.dtb")).unwrap()).unwrap();
    let with: Vec<NodeId> = scan(&t, |n| t.phandle_of(n).is_some());
    assert!(!with.is_empty());
    for n in with {
        assert_eq!(t.find_phandle(t.phandle_of(n).unwrap()), Some(n));
    }
    let mut t = Tree::new();
    let a = t.add_child(t.root(), "a");
    let b = t.add_child(t.root(), "b");
    let c = t.add_child(t.root(), "c");
    t.set_prop(a, "phandle", be(&[5]));
    t.set_prop(a, "linux,phandle", be(&[6]));
    t.set_prop(b, "linux,phandle", be(&[7]));
    t.set_prop(c, "phandle", vec![0, 0, 8]);
    assert_eq!(t.phandle_of(a), Some(5), "phandle first");
    assert_eq!(t.phandle_of(b), Some(7));
    assert_eq!(t.phandle_of(c), None, "not one cell");
    assert_eq!((t.find_phandle(7), t.find_phandle(6)), (Some(b), None));
}

#[test]
fn properties_are_set_in_place_pushed_at_the_end_and_removed_by_name() {
    let mut t = Tree::new();
    let r = t.root();
    t.set_prop(r, "a", vec![1]);
    t.set_prop(r, "b", vec![2]);
    t.set_prop(r, "a", vec![3]);
    t.push_prop(r, Property::new("a", vec![4]));
    let props: Vec<(&str, u8)> = t
        .node(r)
        .props
        .iter()
        .map(|p| (p.name(), p.value[0]))
        .collect();
    assert_eq!(props, [("a", 3), ("b", 2), ("a", 4)]);
    assert_eq!(
        &t.node(r).prop("a").unwrap().value[..],
        [3],
        "the first of a name"
    );
    assert!(t.remove_prop(r, "a"));
    assert!(!t.remove_prop(r, "a"));
    assert_eq!(t.node(r).props.len(), 1);
}

#[test]
fn node_names_split_into_base_and_unit_and_labels_keep_order() {
    let mut t = Tree::new();
    let n = t.add_child(t.root(), "ethernet@1,2");
    let m = t.add_child(n, "cpus");
    assert_eq!(
        (t.node(n).base_name(), t.node(n).unit_address()),
        ("ethernet", Some("1,2"))
    );
    assert_eq!(
        (t.node(m).base_name(), t.node(m).unit_address()),
        ("cpus", None)
    );
    assert_eq!(t.node(t.root()).name(), "");
    assert_eq!(t.node(m).parent(), Some(n));
    assert_eq!(t.path(m), "/ethernet@1,2/cpus");
    let mut l = Labels::default();
    assert!(l.is_empty());
    for name in ["b", "a", "b"] {
        l.push(name.into());
    }
    assert_eq!(l.iter().collect::<Vec<_>>(), ["b", "a"]);
    assert!(l.contains("a") && !l.contains("c") && !l.is_empty());
    assert!(Labels::from(Vec::new()).is_empty());
    assert_eq!(Labels::from(vec!["x".to_string()]).iter().count(), 1);
}

#[test]
fn files_and_bytes_are_read_as_blobs_or_as_text() {
    let blob_path = fixture("qemu/a_default.dtb");
    let bytes = std::fs::read(&blob_path).unwrap();
    let from_blob = dtb::read(&bytes).unwrap();
    assert_eq!(of_tree::read_any(&bytes, "x").unwrap(), from_blob);
    assert_eq!(of_tree::read_file(&blob_path).unwrap(), from_blob);
    // Source text, with an /include/ found beside the file.
    let src = corpus("20_include.dts");
    let from_text = dts::parse_file(&src).unwrap();
    assert_eq!(of_tree::read_file(&src).unwrap(), from_text);
    let text = "/dts-v1/; / { a = <1>; };";
    assert_eq!(
        of_tree::read_any(text.as_bytes(), "t").unwrap(),
        parse(text)
    );
    match of_tree::read_any(b"\xff\xfe", "odd.bin") {
        Err(Error::Dts { loc, msg }) => {
            assert_eq!(loc, Location::new("odd.bin", 1, 1));
            assert!(msg.starts_with("source is not UTF-8 text"), "{msg}");
        }
        other => panic!("{other:?}"),
    }
    let missing = scratch("read-file").join("missing.dtb");
    match of_tree::read_file(&missing) {
        Err(Error::Io { path, .. }) => assert_eq!(path, missing.display().to_string()),
        other => panic!("{other:?}"),
    }
}
