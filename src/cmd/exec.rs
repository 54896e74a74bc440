//! `bscred exec`: run one command with the profile's variables.

use std::ffi::OsString;
use std::process::Command;

use crate::context::Context;
use crate::error::{Error, Exit, Result};
use crate::secret::VarName;

/// Run a command with the profile's variables in its environment
///
/// On Unix bscred becomes the command (exec), so signals, the terminal and
/// the exit status are the command's own. When bscred fails before the
/// command starts it exits 125 (126: not executable, 127: not found), so the
/// command's own codes are never mistaken for bscred's.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  \
    bscred exec -- yarn dev\n  \
    bscred exec --only GITHUB_TOKEN -- gh repo list")]
pub struct Args {
    /// Only these variables (comma-separated)
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    only: Vec<VarName>,

    /// Keep a variable the environment already has instead of replacing it
    #[arg(long)]
    no_override: bool,

    /// The command and its arguments, after `--`
    #[arg(last = true, required = true, value_name = "COMMAND")]
    command: Vec<OsString>,
}

pub fn run(ctx: &Context, args: Args) -> Result<Exit> {
    let command = prepare(ctx, &args)?;
    launch(command, &args.command[0])
}

/// Everything that can fail before the command starts.
fn prepare(ctx: &Context, args: &Args) -> Result<Command> {
    let merged = crate::context::resolve::merged(ctx)?;
    let vars = crate::context::resolve::selected(ctx, &merged.doc, &args.only)?;
    merged.remind(ctx, &vars)?;
    let mut command = Command::new(&args.command[0]);
    command.args(&args.command[1..]);
    if merged.vault {
        // The token bscred read the profile with is its own credential
        // (the issue: never in a child's environment), unless the profile
        // hands one out on purpose (set below).
        for name in ["VAULT_TOKEN", "BAO_TOKEN"] {
            command.env_remove(name);
        }
    }
    for (name, var) in vars {
        let value = &var.value;
        if args.no_override && std::env::var_os(name.as_str()).is_some() {
            continue;
        }
        command.env(name.as_str(), value.expose());
    }
    Ok(command)
}

/// Replaces this process with the command; returns only on failure.
#[cfg(unix)]
fn launch(mut command: Command, program: &OsString) -> Result<Exit> {
    use std::os::unix::process::CommandExt;
    let error = command.exec();
    Err(Error::spawn(program, &error))
}

/// Windows has no exec: run the command, wait, and pass its status on.
#[cfg(not(unix))]
fn launch(mut command: Command, program: &OsString) -> Result<Exit> {
    let status = command.status().map_err(|e| Error::spawn(program, &e))?;
    Ok(Exit::Child(
        u8::try_from(status.code().unwrap_or(1) & 0xff).unwrap_or(1),
    ))
}
