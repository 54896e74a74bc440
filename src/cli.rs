//! The command line: global options shared by every command, and the
//! top-level parser. Each subcommand's own arguments live in `cmd/`.

use clap::builder::FalseyValueParser;
use clap::{ArgAction, Args, Parser, ValueEnum};

use crate::cmd::Command;
use crate::profile_name::ProfileName;

/// Keep a project's GitHub token and friends out of plaintext files.
///
/// bscred stores variables such as GITHUB_TOKEN in an age-encrypted file
/// or the OS keychain and hands them to your shell or to one
/// command. Start with `bscred init`, then `bscred set GITHUB_TOKEN`.
#[derive(Debug, Parser)]
#[command(
    name = "bscred",
    version = crate::version::LINE,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Profile to use [env: BSCRED_PROFILE] [default: the `profile` in the
    /// nearest allowed .bscred.toml, else "default"]; `env` and `exec` take
    /// several (-p personal -p team), merged in order, later winning
    // The variables BSCRED_PROFILE and BSCRED_BACKEND are read in
    // `Context::new`, not by clap, so that an empty one counts as unset.
    #[arg(short, long, global = true, value_name = "NAME", action = ArgAction::Append)]
    pub profile: Vec<ProfileName>,

    /// Backend for `init` and `migrate` [env: BSCRED_BACKEND] [default: auto]
    ///
    /// `init` records the backend; later commands use the recorded one, and
    /// naming another is an error (`bscred migrate --to BACKEND` moves a
    /// profile). `auto` picks the OS keychain when one answers within the
    /// timeout (BSCRED_KEYCHAIN_TIMEOUT, 5 s), else the file backend.
    #[arg(long, global = true, value_enum, value_name = "BACKEND")]
    pub backend: Option<BackendChoice>,

    /// Read the passphrase of a passphrase-protected identity from this
    /// file (its first line; the file must be 0600) instead of asking on the
    /// terminal; for scripts. `init --passphrase` takes the new one from it
    #[arg(long, global = true, value_name = "PATH")]
    pub passphrase_file: Option<std::path::PathBuf>,

    /// No warnings, reminders or progress notes on stderr (errors still print)
    // FalseyValueParser: BSCRED_QUIET=1 (or true, yes) quiets; 0, false, no
    // or empty does not, as users of such variables expect.
    #[arg(
        short,
        long,
        global = true,
        env = "BSCRED_QUIET",
        action = ArgAction::SetTrue,
        value_parser = FalseyValueParser::new()
    )]
    pub quiet: bool,
}

/// The global options that take a value as the next word, as `main` scans
/// a command line clap refused (to tell `exec` from the rest without
/// clap's command tree). A unit test checks it against the definition.
pub const VALUE_OPTIONS: &[&str] = &["-p", "--profile", "--backend", "--passphrase-file"];

/// The values `--backend` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BackendChoice {
    /// The OS keychain when one answers, else the file backend
    Auto,
    /// The OS keychain: Secret Service on Linux, Keychain on macOS, Credential Manager on Windows
    Keychain,
    /// An age-encrypted file per profile
    File,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definitions_are_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn the_value_options_list_is_every_global_option_that_takes_a_value() {
        let command = Cli::command();
        let mut defined: Vec<String> = Vec::new();
        for arg in command.get_arguments().filter(|a| a.is_global_set()) {
            if arg.get_action().takes_values() && !arg.is_positional() {
                defined.extend(arg.get_short().map(|s| format!("-{s}")));
                defined.extend(arg.get_long().map(|l| format!("--{l}")));
            }
        }
        defined.sort();
        let mut listed: Vec<String> = VALUE_OPTIONS.iter().map(ToString::to_string).collect();
        listed.sort();
        assert_eq!(listed, defined);
    }
}
