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
