//! Debian 6.1's pseries `msi.c` (the `linux-source-6.1` package, which scripts/test.sh
//! installs), unpacked once into the target folder, and the Linux client built from it.

use super::root;
use platform::linux::Client;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

const TARBALL: &str = "/usr/src/linux-source-6.1.tar.xz";
const MEMBER: &str = "linux-source-6.1/arch/powerpc/platforms/pseries/msi.c";

/// The package's msi.c, unpacked once into the target folder; fails loudly without it.
/// Client builds of the test binary go to their own cache there, not the user's.
pub fn msi_c() -> &'static Path {
    static P: OnceLock<PathBuf> = OnceLock::new();
    P.get_or_init(|| {
        let dir = root().join("target").join("linux-client-test");
        std::env::set_var("PSERIES_SIM_CACHE", dir.join("cache"));
        let file = dir.join(MEMBER);
        if !file.is_file() {
            assert!(
                Path::new(TARBALL).is_file(),
                "{TARBALL} is required (Debian: linux-source-6.1); run scripts/test.sh, which installs it"
            );
            std::fs::create_dir_all(&dir).unwrap();
            let st = Command::new("tar")
                .args(["-xJf", TARBALL, "-C"])
                .arg(&dir)
                .arg(MEMBER)
                .status()
                .expect("tar runs");
            assert!(st.success(), "tar could not unpack {MEMBER}");
        }
        file
    })
}

/// The client built from it.
pub fn linux() -> Client {
    Client::parse(&format!("linux:{}", msi_c().display())).unwrap_or_else(|e| panic!("{e}"))
}
