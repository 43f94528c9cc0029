//! The error type of the simulator's side: a machine that could not be built, an OS
//! that failed, a scenario that is malformed or whose expectation failed.

/// Why building a machine, booting it or running a scenario failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The tree or machine could not be used.
    #[error(transparent)]
    Machine(#[from] rtas::Error),
    /// The OS failed.
    #[error(transparent)]
    Os(#[from] platform::Error),
    /// The tree could not be read.
    #[error(transparent)]
    Tree(#[from] of_tree::Error),
    /// A scenario file is malformed or an expectation failed.
    #[error("{file}:{line}:{col}: {msg}")]
    Scenario {
        /// The scenario file.
        file: String,
        /// Line, from 1.
        line: usize,
        /// Column, from 1.
        col: usize,
        /// What is wrong.
        msg: String,
    },
    /// A step of a scenario or a simulator action failed.
    #[error("{0}")]
    Failed(String),
}

/// The message `e` about the file `name`, naming it once: as it is when it begins with
/// the name already (an I/O or parse error of that file), else after `name: `.
pub fn about_file(name: &str, e: impl std::fmt::Display) -> String {
    let e = e.to_string();
    match e.strip_prefix(name) {
        Some(rest) if rest.starts_with(':') => e,
        _ => format!("{name}: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::about_file;

    #[test]
    fn the_name_comes_once() {
        let io = "a.dts: No such file or directory (os error 2)";
        assert_eq!(about_file("a.dts", io), io);
        assert_eq!(
            about_file("a.dts", "a.dts:3:1: expected ';'"),
            "a.dts:3:1: expected ';'"
        );
        assert_eq!(
            about_file("a.dts", "DTB offset 0x8: bad"),
            "a.dts: DTB offset 0x8: bad"
        );
        assert_eq!(about_file("a.dts", "a.dtsi: x"), "a.dts: a.dtsi: x");
    }
}
