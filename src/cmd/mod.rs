//! The subcommands: one file each, holding its `Args` (whose doc comment is
//! its help) and its `run`. This file is the list and the one `match`.

mod allow;
mod check;
pub mod completions;
mod doctor;
mod env;
mod exec;
mod get;
mod git_credential;
mod github;
mod identity;
mod import;
mod init;
mod list;
mod lock;
mod login;
mod migrate;
mod passphrase;
mod profiles;
mod push;
mod recipients;
mod remind;
mod rm;
mod rotate;
mod set;
mod status;
mod vault;
mod verify;
mod version;

use std::io::{self, Write};

use crate::cli::Cli;
use crate::context::Context;
use crate::error::{Error, Exit, Result};

/// Every subcommand.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    Init(init::Args),
    Set(set::Args),
    Get(get::Args),
    List(list::Args),
    Rm(rm::Args),
    Import(import::Args),
    Env(env::Args),
    Exec(exec::Args),
    Status(status::Args),
    GitCredential(git_credential::Args),
    Doctor(doctor::Args),
    Check(check::Args),
    Migrate(migrate::Args),
    Recipients(recipients::Args),
    Profiles(profiles::Args),
    Identity(identity::Args),
    Passphrase(passphrase::Args),
    Unlock(lock::UnlockArgs),
    Lock(lock::LockArgs),
    Verify(verify::Args),
    Github(github::Args),
    Rotate(rotate::Args),
    Remind(remind::Args),
    Vault(vault::Args),
    Push(push::Args),
    Login(login::Args),
    Completions(completions::Args),
    Man(completions::ManArgs),
    Allow(allow::AllowArgs),
    Deny(allow::DenyArgs),
    Version(version::Args),
}

/// Parses a command line for `env` or `exec` with only their own
/// definitions and the global options, not the whole command tree: what
/// every `eval $(bscred env)` and `bscred exec -- yarn dev` pays for at
/// start-up. `None` for any other command, and for anything this smaller
/// parser does not accept (help, version, a mistake): the full parser then
/// runs and gives exactly the answer it always gave. What it accepts, it
/// reads as the full parser does (a unit test compares the two).
pub fn parse_daily(args: &[std::ffi::OsString]) -> Option<Cli> {
    use clap::{Args as _, FromArgMatches};
    let sub = match crate::cli::subcommand(args)?.to_str()? {
        "env" => env::Args::augment_args(clap::Command::new("env")),
        "exec" => exec::Args::augment_args(clap::Command::new("exec")),
        _ => return None,
    };
    let root = crate::cli::GlobalArgs::augment_args(clap::Command::new("bscred"))
        .version(crate::version::LINE)
        .propagate_version(true)
        .subcommand_required(true)
        .subcommand(sub);
    let matches = root.try_get_matches_from(args).ok()?;
    let global = crate::cli::GlobalArgs::from_arg_matches(&matches).ok()?;
    let command = match matches.subcommand()? {
        ("env", sub) => Command::Env(env::Args::from_arg_matches(sub).ok()?),
        ("exec", sub) => Command::Exec(exec::Args::from_arg_matches(sub).ok()?),
        _ => return None,
    };
    Some(Cli { global, command })
}

/// Runs the parsed command line. Under `exec`, every failure of bscred's
/// own is `exec`'s 125 (see `Error::before_exec`): the one place that
/// rule lives, besides clap's own usage errors in `main`.
pub fn run(cli: Cli) -> Result<Exit> {
    let exec = matches!(cli.command, Command::Exec(_));
    dispatch(cli).map_err(|e| if exec { e.before_exec() } else { e })
}

fn dispatch(cli: Cli) -> Result<Exit> {
    // Generated from the definitions alone: no home, profile or project.
    match cli.command {
        Command::Completions(args) => return completions::completions(args),
        Command::Man(args) => return completions::man(args),
        Command::Version(args) => return version::run(args),
        _ => {}
    }
    let announce = !matches!(cli.command, Command::Allow(_) | Command::Deny(_));
    let ctx = Context::new(&cli.global, announce)?;
    if !ctx.also.is_empty() && !matches!(cli.command, Command::Env(_) | Command::Exec(_)) {
        return Err(Error::usage(
            "only `env` and `exec` take several profiles",
            format!("name one profile with -p (this one: {})", ctx.profile),
        ));
    }
    match cli.command {
        Command::Init(args) => init::run(&ctx, args),
        Command::Set(args) => set::run(&ctx, args),
        Command::Get(args) => get::run(&ctx, args),
        Command::List(args) => list::run(&ctx, args),
        Command::Rm(args) => rm::run(&ctx, args),
        Command::Import(args) => import::run(&ctx, args),
        Command::Env(args) => env::run(&ctx, args),
        Command::Exec(args) => exec::run(&ctx, args),
        Command::Status(args) => status::run(&ctx, args),
        Command::GitCredential(args) => git_credential::run(&ctx, args),
        Command::Doctor(args) => doctor::run(&ctx, args),
        Command::Check(args) => check::run(&ctx, args),
        Command::Migrate(args) => migrate::run(&ctx, args),
        Command::Recipients(args) => recipients::run(&ctx, args),
        Command::Profiles(args) => profiles::run(&ctx, args),
        Command::Identity(args) => identity::run(&ctx, args),
        Command::Passphrase(args) => passphrase::run(&ctx, args),
        Command::Unlock(args) => lock::unlock(&ctx, args),
        Command::Lock(args) => lock::lock(&ctx, args),
        Command::Verify(args) => verify::run(&ctx, args),
        Command::Github(args) => github::run(&ctx, args),
        Command::Rotate(args) => rotate::run(&ctx, args),
        Command::Remind(args) => remind::run(&ctx, args),
        Command::Vault(args) => vault::run(&ctx, args),
        Command::Push(args) => push::run(&ctx, args),
        Command::Login(args) => login::run(&ctx, args),
        Command::Completions(_) | Command::Man(_) | Command::Version(_) => {
            unreachable!("handled above")
        }
        Command::Allow(args) => allow::allow(&ctx, args, !cli.global.profile.is_empty()),
        Command::Deny(args) => allow::deny(&ctx, args),
    }
}

/// Writes `bytes` to stdout and flushes, mapping failure (a closed pipe
/// included) to an error `main` knows how to end quietly on.
fn print(bytes: &[u8]) -> Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(Error::io("cannot write to standard output"))
}

/// Writes a report meant for people to stdout, each line escaped for the
/// terminal: the names, values and paths in it may come from others.
fn print_text(text: &str) -> Result<()> {
    print(crate::terminal::escape_lines(text).as_bytes())
}

/// Serialises a JSON report for stdout.
fn print_json(value: &impl serde::Serialize) -> Result<()> {
    let mut text = serde_json::to_string_pretty(value)
        .map_err(|e| Error::io("cannot serialise JSON output")(e.into()))?;
    text.push('\n');
    print(text.as_bytes())
}

/// Left-aligned columns, two spaces apart, every cell escaped for the
/// terminal (names, values and paths in it may come from others).
fn table<const N: usize>(header: [&str; N], rows: &[[String; N]]) -> String {
    let rows: Vec<[String; N]> = rows
        .iter()
        .map(|row| {
            row.each_ref()
                .map(|cell| crate::terminal::escape(cell).into_owned())
        })
        .collect();
    let mut widths = header.map(|h| h.chars().count());
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let header = header.map(str::to_string);
    for row in std::iter::once(&header).chain(&rows) {
        let line: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use std::ffi::OsString;

    fn argv(words: &[&str]) -> Vec<OsString> {
        std::iter::once("bscred")
            .chain(words.iter().copied())
            .map(OsString::from)
            .collect()
    }

    /// Every global-option form, every `env`/`exec` option, mistakes,
    /// help and version, and other commands: wherever the small parser
    /// answers, its answer is the full parser's, and where the full parser
    /// refuses (or prints help), the small one leaves it to the full one.
    #[test]
    fn the_daily_parser_agrees_with_the_full_one_or_declines() {
        let globals: &[&[&str]] = &[
            &[],
            &["-q"],
            &["-p", "work"],
            &["-pwork"],
            &["--profile=work", "-p", "team"],
            &["--backend", "file"],
            &["--backend=keychain", "-q"],
            &["--passphrase-file", "/tmp/p"],
            &["--backend", "nonsense"],
            &["-p"],
            &["--help"],
            &["--version"],
            &["-x"],
        ];
        let commands: &[&[&str]] = &[
            &["env"],
            &["env", "--shell", "fish"],
            &["env", "--shell=json", "--only", "A,B"],
            &["env", "--only", "not a name"],
            &["env", "--shell", "tcsh"],
            &["env", "-q", "-p", "late"],
            &["env", "--help"],
            &["env", "extra"],
            &["exec", "--", "yarn", "dev"],
            &[
                "exec",
                "--only",
                "GITHUB_TOKEN",
                "--no-override",
                "--",
                "node",
                "-e",
                "1",
            ],
            &["exec", "-p", "late", "--", "true"],
            &["exec", "--", "true", "--help", "-p", "x"],
            &[
                "exec",
                "--github-app-token",
                "GH",
                "--repo",
                "acme/app",
                "--",
                "true",
            ],
            &[
                "exec",
                "--github-app-token",
                "GH",
                "--installation",
                "9",
                "--permissions",
                "contents=read",
                "--",
                "true",
            ],
            &["exec", "--installation", "9", "--", "true"],
            &[
                "exec",
                "--installation",
                "9",
                "--repo",
                "a/b",
                "--github-app-token",
                "G",
                "--",
                "true",
            ],
            &["exec", "true"],
            &["exec"],
            &["exec", "--help"],
            &["exec", "--version"],
            &["exec", "--", ""],
            &["list"],
            &["set", "A", "b"],
            &["help", "env"],
            &[],
        ];
        let mut answered = 0;
        for global in globals {
            for command in commands {
                for order in [true, false] {
                    let words: Vec<&str> = if order {
                        global.iter().chain(command.iter()).copied().collect()
                    } else if let Some((first, rest)) = command.split_first() {
                        // Global options after the subcommand's name.
                        std::iter::once(*first)
                            .chain(global.iter().copied())
                            .chain(rest.iter().copied())
                            .collect()
                    } else {
                        continue;
                    };
                    let args = argv(&words);
                    let full = Cli::try_parse_from(&args);
                    match parse_daily(&args) {
                        Some(daily) => {
                            answered += 1;
                            let full = full.unwrap_or_else(|e| {
                                panic!("{words:?}: the small parser accepted what the full one refuses: {e}")
                            });
                            assert_eq!(format!("{daily:?}"), format!("{full:?}"), "{words:?}");
                        }
                        None => {
                            if let Ok(full) = full {
                                assert!(
                                    !matches!(full.command, Command::Env(_) | Command::Exec(_)),
                                    "{words:?}: the small parser declined an `env`/`exec` line the full one takes"
                                );
                            }
                        }
                    }
                }
            }
        }
        assert!(
            answered > 50,
            "the small parser answered only {answered} lines"
        );
    }
}
