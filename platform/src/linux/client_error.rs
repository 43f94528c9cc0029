//! Why a Linux client could not be read, built or loaded.

use std::path::PathBuf;
use std::process::ExitStatus;

/// Why a user's `msi.c` could not be read, compiled or loaded; the compiler's and the
/// loader's own messages are kept as they said them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    /// The user's file could not be read.
    #[error("--client linux:{}: {error}", file.display())]
    Read {
        /// The file as the user named it.
        file: PathBuf,
        /// What the system said.
        error: String,
    },
    /// A file or folder of the build, or the private copy of the library, could not be
    /// written.
    #[error("{}: {error}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What the system said.
        error: String,
    },
    /// The C compiler could not be started.
    #[error("cannot run the C compiler `{cc}`: {error}")]
    NoCompiler {
        /// The compiler's command.
        cc: String,
        /// What the system said.
        error: String,
    },
    /// The compiler refused the file.
    #[error("{} does not compile ({cc} exited with {status}):\n{diagnostics}", file.display())]
    Compile {
        /// The file as the user named it.
        file: PathBuf,
        /// The compiler's command.
        cc: String,
        /// How the compiler exited.
        status: ExitStatus,
        /// The compiler's messages, trailing white space trimmed.
        diagnostics: String,
    },
    /// The client compiled but does not link: it refers to functions (or data) that
    /// exist nowhere, each named with the caller's line where the debug info gives it.
    #[error("{} does not link ({cc}): it refers to symbols nothing defines:\n{}", file.display(), list(undefined))]
    Undefined {
        /// The file as the user named it.
        file: PathBuf,
        /// The compiler's command.
        cc: String,
        /// Each undefined reference, once.
        undefined: Vec<Undefined>,
    },
    /// A folder given as `linux:TREE` that is not a kernel source tree the client can
    /// be built from (no Makefile version, or files the build needs are missing).
    #[error("--client linux:{}: {why}", tree.display())]
    NotATree {
        /// The folder as the user named it.
        tree: PathBuf,
        /// What is missing.
        why: String,
    },
    /// A kernel tree of a version the tree client cannot build yet.
    #[error("--client linux:{}: Linux {version} is not supported yet: {why}", tree.display())]
    Unsupported {
        /// The folder as the user named it.
        tree: PathBuf,
        /// The tree's version (its Makefile's).
        version: String,
        /// What that version lacks or has that the client needs.
        why: String,
    },
    /// The objects of a tree client did not link.
    #[error("--client linux:{}: the client does not link ({cc}):\n{diagnostics}", tree.display())]
    Link {
        /// The tree.
        tree: PathBuf,
        /// The compiler's command.
        cc: String,
        /// The linker's messages.
        diagnostics: String,
    },
    /// The shared object could not be loaded.
    #[error("{}: {error}", library.display())]
    Load {
        /// The shared object.
        library: PathBuf,
        /// What the loader said.
        error: String,
    },
    /// The shared object lacks an entry point.
    #[error("{0}")]
    Symbol(String),
    /// The shared object was built for another version of the entry points.
    #[error("{}: not a client of this version", library.display())]
    Version {
        /// The shared object.
        library: PathBuf,
    },
}

/// A reference to a symbol nothing defines, as the linker reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Undefined {
    /// `file:line` of the reference (the user's path for their file), when known.
    pub at: Option<String>,
    /// The function that makes it, when known.
    pub function: Option<String>,
    /// The symbol.
    pub symbol: String,
}

impl std::fmt::Display for Undefined {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(at) = &self.at {
            write!(f, "{at}: ")?;
        }
        if let Some(func) = &self.function {
            write!(f, "in function `{func}`: ")?;
        }
        write!(f, "undefined reference to `{}`", self.symbol)
    }
}

/// One reference a line, indented.
fn list(undefined: &[Undefined]) -> String {
    let lines: Vec<String> = undefined.iter().map(|u| format!("  {u}")).collect();
    lines.join("\n")
}
