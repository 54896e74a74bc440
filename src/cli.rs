//! The command line: global options shared by every command, and the
//! top-level parser. Each subcommand's own arguments live in `cmd/`.

use clap::builder::FalseyValueParser;
use clap::{ArgAction, Args, Parser, ValueEnum};

use crate::cmd::Command;
use crate::error::{Error, Result};
use crate::profile_name::ProfileName;
use crate::store::vault::VaultSettings;

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

/// The subcommand a command line names, found without clap (for a command
/// line clap refused, and to pick the small parser for `env` and `exec`): the first
/// word that is neither an option nor the value of a global option.
pub fn subcommand(args: &[std::ffi::OsString]) -> Option<&std::ffi::OsString> {
    let mut words = args.iter().skip(1);
    while let Some(word) = words.next() {
        match word.to_str() {
            Some("--") => return None,
            Some(w) if VALUE_OPTIONS.contains(&w) => {
                words.next();
            }
            Some(w) if w.starts_with('-') => {}
            _ => return Some(word),
        }
    }
    None
}

/// The values `--backend` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BackendChoice {
    /// The OS keychain when one answers, else the file backend
    Auto,
    /// The OS keychain: Secret Service on Linux, Keychain on macOS, Credential Manager on Windows
    Keychain,
    /// An age-encrypted file per profile
    File,
    /// A KV version 2 secret on a HashiCorp Vault or OpenBao server (init: --vault-addr, --vault-path)
    Vault,
}

/// Where a vault-backed profile lives (`--backend vault`).
#[derive(Debug, Clone, Default, clap::Args)]
#[command(next_help_heading = "Vault backend")]
pub struct VaultArgs {
    /// A Vault/OpenBao server address (https://HOST:8200; http:// only to
    /// this machine); repeat it for each node of a cluster, tried in order.
    /// The token is only ever sent to these [default: VAULT_ADDR, else
    /// BAO_ADDR]
    #[arg(long = "vault-addr", value_name = "URL")]
    pub vault_addr: Vec<String>,

    /// The KV version 2 secret holding the profile, as MOUNT/PATH (e.g.
    /// secret/teams/backstage); bscred's metadata goes beside it in
    /// MOUNT/PATH.bscred
    #[arg(long, value_name = "MOUNT/PATH")]
    pub vault_path: Option<String>,

    /// The Vault Enterprise / OpenBao namespace [default: VAULT_NAMESPACE]
    #[arg(long, value_name = "NAMESPACE")]
    pub vault_namespace: Option<String>,

    /// A PEM file of the CA certificates the servers' certificates chain
    /// to [default: VAULT_CACERT]
    #[arg(long, value_name = "PATH")]
    pub vault_cacert: Option<std::path::PathBuf>,

    /// Hours an encrypted offline copy of the last read may serve `env` and
    /// `exec` while no server answers; 0 turns the copy off [default: 24]
    #[arg(long, value_name = "HOURS")]
    pub vault_offline_hours: Option<u32>,
}

impl VaultArgs {
    /// The vault settings these flags (and Vault's variables) describe.
    pub fn settings(&self, env: &crate::vault::VaultEnv) -> Result<VaultSettings> {
        let bad = |message: String| {
            Error::usage(
                message,
                "e.g. `bscred init --backend vault --vault-addr https://vault.example.com:8200 --vault-path secret/teams/backstage`",
            )
        };
        let given: Vec<String> = if self.vault_addr.is_empty() {
            env.addr.iter().cloned().collect()
        } else {
            self.vault_addr.clone()
        };
        if given.is_empty() {
            return Err(bad(
                "the vault backend needs --vault-addr (or VAULT_ADDR)".to_string()
            ));
        }
        let addrs = given
            .iter()
            .map(|a| crate::vault::normalise_addr(a).map_err(&bad))
            .collect::<Result<Vec<_>>>()?;
        let path = self
            .vault_path
            .as_deref()
            .ok_or_else(|| bad("the vault backend needs --vault-path MOUNT/PATH".to_string()))?;
        let (mount, path) = crate::vault::split_path(path).map_err(&bad)?;
        let cacert = match &self.vault_cacert {
            Some(p) => Some(
                std::path::absolute(p)
                    .map_err(Error::io(format!("cannot resolve {}", p.display())))?
                    .display()
                    .to_string(),
            ),
            None => env.cacert.clone(),
        };
        Ok(VaultSettings {
            addrs,
            mount,
            path,
            namespace: self
                .vault_namespace
                .clone()
                .or_else(|| env.namespace.clone()),
            cacert,
            offline_max_hours: self.vault_offline_hours,
            accepted: Default::default(),
        })
    }

    pub fn any(&self) -> bool {
        !self.vault_addr.is_empty()
            || self.vault_path.is_some()
            || self.vault_namespace.is_some()
            || self.vault_cacert.is_some()
            || self.vault_offline_hours.is_some()
    }
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
